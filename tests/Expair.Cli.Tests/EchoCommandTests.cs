namespace Expair.Cli.Tests;

public class EchoCommandTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static PairSocket NewPeer() => new(new PairSocketOptions { SendTimeout = Patience, ReceiveTimeout = Patience, Linger = Patience });

    private static readonly byte[][] Frames = [[0x00, 0xFF, 0x0A, 0x09], [], "second frame"u8.ToArray(), new byte[70_000]];

    [Theory]
    [InlineData("tcp://127.0.0.1:*")]
    [InlineData("inproc://echo-{0}")]
    public async Task Echo_Connecting_ReturnsMultipartIntact(string bindEndpoint)
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(string.Format(System.Globalization.CultureInfo.InvariantCulture, bindEndpoint, Guid.NewGuid().ToString("N")));
        var echo = new CliRunner();
        var echoing = echo.Start("echo", "--connect", endpoint, "--count", "2", "--timeout", "10000");

        using (var multipart = new Message(Frames))
            peer.Send(multipart);
        peer.Send("plain");

        using (var back = peer.Receive())
        {
            Assert.Equal(Frames.Length, back.Count);
            for (var i = 0; i < Frames.Length; i++)
                Assert.Equal(Frames[i], back.ToArray(i));
        }
        Assert.Equal("plain", peer.ReceiveString());
        var result = await echo.ResultAsync(echoing);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task Echo_Binding_ReturnsEachMessage()
    {
        var echo = new CliRunner();
        var echoing = echo.Start("echo", "--bind", "tcp://127.0.0.1:*", "--count", "3", "--timeout", "10000");
        var note = await echo.Stderr.WaitForLineAsync(line => line.StartsWith("expair: echo: bound to ", StringComparison.Ordinal));
        using var peer = NewPeer();
        peer.Connect(note["expair: echo: bound to ".Length..]);

        foreach (var text in new[] { "a", "b", "c" })
        {
            peer.Send(text);
            Assert.Equal(text, peer.ReceiveString());
        }
        var result = await echo.ResultAsync(echoing);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    /// <summary>
    /// The echo closes right after its last reply; the reply must stay readable by the peer, as it does over tcp.
    /// </summary>
    [Fact]
    public async Task Echo_BindingOverInProc_LastReplyStaysReadableAfterEchoExits()
    {
        var endpoint = $"inproc://echo-{Guid.NewGuid():N}";
        var echo = new CliRunner();
        var echoing = echo.Start("echo", "--bind", endpoint, "--count", "1", "--timeout", "10000");
        using var peer = NewPeer();
        peer.Connect(endpoint);
        peer.Send("last");

        var result = await echo.ResultAsync(echoing);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(peer.TryReceive(out var reply, Patience), "the echoed reply was lost when the echo's socket closed");
        using (reply)
            Assert.Equal("last", reply.GetString());
    }

    [Fact]
    public async Task Echo_NothingComes_TimesOutWithExit1()
    {
        var result = await CliRunner.RunAsync("echo", "--bind", $"inproc://echo-{Guid.NewGuid():N}", "--timeout", "200");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(["expair: echo: no message within 200 ms (0 echoed)"], result.StderrLines);
    }

    [Fact]
    public async Task Echo_CancelledWithoutCount_Exit0()
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind($"inproc://echo-{Guid.NewGuid():N}");
        using var stop = new CancellationTokenSource();
        var echo = new CliRunner();
        var echoing = echo.Start("", stop.Token, "echo", "--connect", endpoint);

        peer.Send("x");
        Assert.Equal("x", peer.ReceiveString()); // the echo is running and waiting for the next one
        stop.Cancel();

        var result = await echo.ResultAsync(echoing);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
    }
}
