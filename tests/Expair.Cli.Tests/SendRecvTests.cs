using System.Diagnostics;
using System.Text;

namespace Expair.Cli.Tests;

public class SendRecvTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static string NewInProc() => $"inproc://cli-{Guid.NewGuid():N}";

    private static PairSocket NewPeer() => new(new PairSocketOptions { SendTimeout = Patience, ReceiveTimeout = Patience, Linger = Patience });

    [Fact]
    public async Task SendToRecv_OverInProc_DeliversExactLines()
    {
        var endpoint = NewInProc();
        var recv = new CliRunner();
        var receiving = recv.Start("recv", "--bind", endpoint, "--count", "4", "--timeout", "10000");

        var send = await CliRunner.RunAsync("send", "--connect", endpoint, "--timeout", "10000", "alpha", "", "γ δ ε", "tab\there");
        var received = await recv.ResultAsync(receiving);

        Assert.True(send.ExitCode == 0, send.ToString());
        Assert.Equal("", send.Stderr);
        Assert.True(received.ExitCode == 0, received.ToString());
        Assert.Equal(["alpha", "", "γ δ ε", "tab\there"], received.StdoutLines);
        Assert.Equal("", received.Stderr);
    }

    /// <summary>`send` connects over inproc and exits before anyone binds; its Linger must keep the messages.</summary>
    [Fact]
    public async Task Send_ConnectingOverInProcBeforeTheBind_LingersUntilDelivered()
    {
        var endpoint = NewInProc();
        var sender = new CliRunner();
        var sending = sender.Start("send", "--connect", endpoint, "--timeout", "10000", "early");
        using var peer = NewPeer();
        peer.Bind(endpoint);

        Assert.True(peer.TryReceive(out var message, Patience), $"nothing arrived; send: {await sender.ResultAsync(sending)}");
        using (message)
            Assert.Equal("early", message.GetString());
        var result = await sender.ResultAsync(sending);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task SendToRecv_OverTcp_WithPickedPort_DeliversExactLines()
    {
        var recv = new CliRunner();
        var receiving = recv.Start("recv", "--bind", "tcp://127.0.0.1:*", "--count", "3", "--timeout", "10000");
        // The bound port is announced on stderr, for exactly this: a peer must find it.
        var note = await recv.Stderr.WaitForLineAsync(line => line.StartsWith("expair: recv: bound to ", StringComparison.Ordinal));
        var endpoint = note["expair: recv: bound to ".Length..];

        var send = await CliRunner.RunWithStdinAsync("one\ntwo\r\nthree\n", "send", "--connect", endpoint);
        var received = await recv.ResultAsync(receiving);

        Assert.True(send.ExitCode == 0, send.ToString());
        Assert.True(received.ExitCode == 0, received.ToString());
        Assert.Equal(["one", "two", "three"], received.StdoutLines);
        Assert.Equal([note], received.StderrLines);
    }

    [Fact]
    public async Task Send_StdinWithCount_RepeatsTheLinesInOrder()
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind("tcp://127.0.0.1:*");

        var send = await CliRunner.RunWithStdinAsync("a\nb", "send", "--connect", endpoint, "--count", "3");

        Assert.True(send.ExitCode == 0, send.ToString());
        var got = Enumerable.Range(0, 6).Select(_ => peer.ReceiveString()).ToArray();
        Assert.Equal(["a", "b", "a", "b", "a", "b"], got);
        Assert.False(peer.TryReceive(out _, TimeSpan.Zero));
    }

    [Fact]
    public async Task Send_MessagesAfterDoubleDash_MayStartWithADash()
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());

        var send = await CliRunner.RunAsync("send", "--connect", endpoint, "--", "--help", "-");

        Assert.True(send.ExitCode == 0, send.ToString());
        Assert.Equal("--help", peer.ReceiveString());
        Assert.Equal("-", peer.ReceiveString());
    }

    [Fact]
    public async Task Send_WithInterval_WaitsBetweenMessages()
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());

        var clock = Stopwatch.StartNew();
        var send = await CliRunner.RunAsync("send", "--connect", endpoint, "--interval", "100", "1", "2", "3");
        clock.Stop();

        Assert.True(send.ExitCode == 0, send.ToString());
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(190), $"3 messages 100 ms apart took only {clock.ElapsedMilliseconds} ms");
        Assert.Equal(["1", "2", "3"], new[] { peer.ReceiveString(), peer.ReceiveString(), peer.ReceiveString() });
    }

    [Fact]
    public async Task Send_BoundWithNoPeer_TimesOutWithExit1()
    {
        var send = await CliRunner.RunAsync("send", "--bind", NewInProc(), "--timeout", "200", "lost");

        Assert.True(send.ExitCode == 1, send.ToString());
        Assert.Equal(["expair: send: message 1 not sent within 200 ms: no peer connected (0 sent)"], send.StderrLines);
    }

    [Fact]
    public async Task Send_BoundToTcp_WaitsForThePeerAndDelivers()
    {
        var send = new CliRunner();
        var sending = send.Start("send", "--bind", "tcp://127.0.0.1:*", "first", "second");
        var note = await send.Stderr.WaitForLineAsync(line => line.StartsWith("expair: send: bound to ", StringComparison.Ordinal));
        using var peer = NewPeer();
        peer.Connect(note["expair: send: bound to ".Length..]);

        Assert.Equal("first", peer.ReceiveString());
        Assert.Equal("second", peer.ReceiveString());
        var result = await send.ResultAsync(sending);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    /// <summary>
    /// The peer reads the message and leaves at once, often before send looks at its queue again: send still
    /// exits 0, since the message was written before the peer left. Over tcp and ipc, many rounds.
    /// </summary>
    [Theory]
    [InlineData("tcp://127.0.0.1:*")]
    [InlineData("ipc")]
    public async Task Send_Bound_PeerReadsAndLeavesAtOnce_Exits0(string bind)
    {
        for (var round = 0; round < 30; round++)
        {
            var send = new CliRunner();
            var endpoint = bind == "ipc" ? $"ipc://{Path.GetTempPath()}cli-{Guid.NewGuid():N}.sock" : bind;
            var sending = send.Start("send", "--bind", endpoint, $"m{round}");
            if (bind != "ipc")
                endpoint = (await send.Stderr.WaitForLineAsync(line => line.StartsWith("expair: send: bound to ", StringComparison.Ordinal)))["expair: send: bound to ".Length..];
            using (var peer = NewPeer())
            {
                peer.Connect(endpoint);
                Assert.Equal($"m{round}", peer.ReceiveString());
            }
            var result = await send.ResultAsync(sending);
            Assert.True(result.ExitCode == 0, $"round {round}: {result}");
        }
    }

    [Fact]
    public async Task Recv_Multipart_PrintsFramesTabSeparatedOnOneLine()
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind("tcp://127.0.0.1:*");
        var recv = new CliRunner();
        var receiving = recv.Start("recv", "--connect", endpoint, "--count", "3", "--timeout", "10000");

        peer.Send(new Message("key", "", "value"));
        peer.Send("single");
        using (var bad = new Message([[0x61, 0xFF, 0x62]]))
            peer.Send(bad); // not UTF-8: printed with U+FFFD

        var result = await recv.ResultAsync(receiving);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["key\t\tvalue", "single", "a\uFFFDb"], result.StdoutLines);
    }

    [Fact]
    public async Task Recv_NothingComes_TimesOutWithExit1()
    {
        var clock = Stopwatch.StartNew();
        var result = await CliRunner.RunAsync("recv", "--bind", NewInProc(), "--timeout", "200");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(["expair: recv: no message within 200 ms (0 received)"], result.StderrLines);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Recv_TimeoutIsPerMessage_CountsWhatCame()
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());
        var recv = new CliRunner();
        var receiving = recv.Start("recv", "--connect", endpoint, "--timeout", "300");
        peer.Send("only");
        var result = await recv.ResultAsync(receiving);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(["only"], result.StdoutLines);
        Assert.Equal(["expair: recv: no message within 300 ms (1 received)"], result.StderrLines);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 130)]
    public async Task Recv_Cancelled_StopsWithExitCode(bool withCount, int expectedExit)
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());
        using var stop = new CancellationTokenSource();
        var recv = new CliRunner();
        string[] args = withCount ? ["recv", "--connect", endpoint, "--count", "5"] : ["recv", "--connect", endpoint];
        var receiving = recv.Start("", stop.Token, args);

        peer.Send("before Ctrl+C");
        await recv.Stdout.WaitForLineAsync(line => line == "before Ctrl+C");
        stop.Cancel();

        var result = await recv.ResultAsync(receiving);
        Assert.True(result.ExitCode == expectedExit, result.ToString());
        Assert.Equal(["before Ctrl+C"], result.StdoutLines);
        Assert.Equal(withCount ? ["expair: recv: interrupted after 1 of 5 messages"] : [], result.StderrLines);
    }

    [Fact]
    public async Task Send_CancelledWhileWaitingForAPeer_Exit130()
    {
        using var stop = new CancellationTokenSource();
        var send = new CliRunner();
        var sending = send.Start("", stop.Token, "send", "--bind", "tcp://127.0.0.1:*", "nobody hears this");
        await send.Stderr.WaitForLineAsync(line => line.StartsWith("expair: send: bound to ", StringComparison.Ordinal));
        stop.Cancel();

        var result = await send.ResultAsync(sending);
        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.Equal("expair: send: interrupted after 0 messages", result.StderrLines.Last());
    }

    [Fact]
    public async Task SendToRecv_ManyMessages_AllArriveInOrder()
    {
        const int Count = 5000;
        var endpoint = NewInProc();
        var recv = new CliRunner();
        var receiving = recv.Start("recv", "--bind", endpoint, "--count", Count.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "10000");
        var lines = new StringBuilder();
        for (var i = 0; i < Count; i++)
            lines.Append("message ").Append(i).Append('\n');

        var send = await CliRunner.RunWithStdinAsync(lines.ToString(), "send", "--connect", endpoint);
        var result = await recv.ResultAsync(receiving);

        Assert.True(send.ExitCode == 0, send.ToString());
        Assert.True(result.ExitCode == 0, result.ToString()[..Math.Min(2000, result.ToString().Length)]);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"message {i}"), result.StdoutLines);
    }
}

/// <summary>send's exit code says whether its messages reached the peer before the linger time ended.</summary>
public class SendDeliveryTests
{
    [Fact]
    public async Task Send_ConnectingToNobody_LingerEnds_Exit1()
    {
        // A tcp port nobody listens on: the connecting socket queues the message and retries in vain.
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var send = await CliRunner.RunAsync("send", "--connect", $"tcp://127.0.0.1:{port}", "--linger", "300", "lost");

        Assert.True(send.ExitCode == 1, send.ToString());
        Assert.Equal(["expair: send: messages still undelivered when the linger time (300 ms) ended: no peer took them (none connected, or a busy PAIR peer held us waiting) (1 sent)"], send.StderrLines);
    }

    [Fact]
    public async Task Send_HeldByABusyPairPeer_Exit1()
    {
        using var binder = new PairSocket(new PairSocketOptions { Linger = TimeSpan.Zero });
        var endpoint = binder.Bind($"inproc://busy-{Guid.NewGuid():N}");
        using var first = new PairSocket(new PairSocketOptions { Linger = TimeSpan.Zero });
        first.Connect(endpoint); // takes the PAIR slot

        var send = await CliRunner.RunAsync("send", "--connect", endpoint, "--linger", "200", "never taken");

        Assert.True(send.ExitCode == 1, send.ToString());
        Assert.StartsWith("expair: send: messages still undelivered when the linger time (200 ms) ended", Assert.Single(send.StderrLines), StringComparison.Ordinal);
        Assert.False(binder.TryReceive(out _, TimeSpan.Zero));
    }
}
