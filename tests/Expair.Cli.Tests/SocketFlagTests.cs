using System.CommandLine;

namespace Expair.Cli.Tests;

/// <summary>libzmq-named socket flags: each reaches its PairSocketOptions property; wrong values are usage errors.</summary>
public class SocketFlagTests
{
    private static PairSocketOptions Apply(params string[] args)
    {
        var flags = new SocketOptionFlags(lingerDefault: "x");
        var command = new Command("t");
        flags.AddTo(command);
        var parsed = command.Parse(args, CliParser.ParserConfiguration());
        Assert.Empty(parsed.Errors);
        return flags.Apply(parsed, PairSocketOptions.Default, new CliConsole(TextWriter.Null, TextWriter.Null, Stream.Null));
    }

    [Fact]
    public void EveryFlag_SetsItsOption()
    {
        var options = Apply("--sndhwm", "5", "--rcvhwm", "6", "--linger", "700", "--reconnect-ivl", "200", "--reconnect-ivl-max", "800",
            "--heartbeat-ivl", "100", "--heartbeat-timeout", "300", "--heartbeat-ttl", "1500", "--handshake-timeout", "2500", "--max-msg-size", "65536");

        Assert.Equal(PairSocketOptions.Default with
        {
            SendHighWaterMark = 5,
            ReceiveHighWaterMark = 6,
            Linger = TimeSpan.FromMilliseconds(700),
            ReconnectInterval = TimeSpan.FromMilliseconds(200),
            ReconnectIntervalMax = TimeSpan.FromMilliseconds(800),
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(300),
            HeartbeatTtl = TimeSpan.FromMilliseconds(1500),
            HandshakeTimeout = TimeSpan.FromMilliseconds(2500),
            MaxMessageSize = 65536,
        }, options);
    }

    [Fact]
    public void LibzmqSpecialValues_MeanWhatTheyMeanInLibzmq()
    {
        var options = Apply("--linger", "-1", "--reconnect-ivl", "-1", "--handshake-timeout", "0", "--max-msg-size", "-1", "--sndhwm", "0");

        Assert.Equal(Timeout.InfiniteTimeSpan, options.Linger);
        Assert.Equal(Timeout.InfiniteTimeSpan, options.ReconnectInterval);
        Assert.Equal(Timeout.InfiniteTimeSpan, options.HandshakeTimeout);
        Assert.Equal(-1, options.MaxMessageSize);
        Assert.Equal(0, options.SendHighWaterMark);
    }

    [Fact]
    public void NoFlags_LeaveTheOptionsAlone() => Assert.Equal(PairSocketOptions.Default, Apply());

    [Theory]
    [InlineData("option --sndhwm must be at least 0, not -1", "--sndhwm", "-1")]
    [InlineData("option --linger must be at least -1, not -2", "--linger", "-2")]
    [InlineData("option --max-msg-size needs a whole number, not '1k'", "--max-msg-size", "1k")]
    [InlineData("option --heartbeat-ivl needs a value", "--heartbeat-ivl")]
    [InlineData("option --heartbeat-ttl 50 is refused: HeartbeatTtl must be zero (no TTL) or between 0.1 s and 6553.5 s: it travels in tenths of a second in 16 bits.", "--heartbeat-ttl", "50")]
    public async Task BadValue_Exit2NamingTheFlag(string expected, params string[] flag)
    {
        foreach (var command in new[] { "recv", "send", "echo" })
        {
            var result = await CliRunner.RunAsync([command, "--connect", $"inproc://flags-{Guid.NewGuid():N}", .. flag]);
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Equal([$"expair: {command}: {expected} (see 'expair {command} --help')"], result.StderrLines);
        }
        var bench = await CliRunner.RunAsync(["bench", "inproc-thr", "8", "10", .. flag]);
        Assert.True(bench.ExitCode == 2, bench.ToString());
        Assert.Equal([$"expair: bench: {expected} (see 'expair bench --help')"], bench.StderrLines);
    }

    /// <summary>
    /// --max-msg-size reaches the socket: a larger message from the peer drops the connection (without the flag
    /// recv would print it, exit 0 and only then disconnect), and --reconnect-ivl -1 keeps it from coming back.
    /// </summary>
    [Fact]
    public async Task Recv_MaxMsgSize_RefusesALargerMessage()
    {
        using var peer = new PairSocket(new PairSocketOptions { SendTimeout = TimeSpan.FromSeconds(10), Linger = TimeSpan.Zero });
        using var monitor = peer.Monitor();
        var endpoint = peer.Bind("tcp://127.0.0.1:*");
        using var stop = new CancellationTokenSource();
        var recv = new CliRunner();
        var receiving = recv.Start("", stop.Token, "recv", "--connect", endpoint, "--max-msg-size", "4", "--count", "1", "--reconnect-ivl", "-1");

        peer.Send("12345");
        await WaitForAsync(monitor, SocketEventKind.Disconnected);
        stop.Cancel();

        var result = await recv.ResultAsync(receiving);
        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.Equal("", result.Stdout);
        Assert.Equal(["expair: recv: interrupted after 0 of 1 messages"], result.StderrLines);
    }

    private static async Task WaitForAsync(SocketMonitor monitor, SocketEventKind kind)
    {
        using var patience = new CancellationTokenSource(CliRunner.Patience);
        await foreach (var e in monitor.ReadAllAsync(patience.Token))
        {
            if (e.Kind == kind)
                return;
        }
    }
}
