using System.Globalization;
using System.Text.RegularExpressions;

namespace Expair.Cli.Tests;

/// <summary><c>expair bench</c>: the summary lines' exact shape, and local/remote pairs that agree with each other.</summary>
public partial class BenchCommandTests
{
    private const string Gc = @" gc0=\d+ gc1=\d+ gc2=\d+ alloc_bytes=\d+ impl=expair";

    [GeneratedRegex(@"^(thr_local|thr_remote|inproc_thr)( endpoint=\S+)?" + SummaryLineShape.Throughput + Gc + "$")]
    private static partial Regex ThroughputLine();

    [GeneratedRegex(@"^(lat_remote|inproc_lat)( endpoint=\S+)?" + SummaryLineShape.Latency + Gc + "$")]
    private static partial Regex LatencyLine();

    [GeneratedRegex(@"^lat_local endpoint=\S+" + SummaryLineShape.Echo + Gc + "$")]
    private static partial Regex EchoLine();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(70_000)]
    public async Task InProcThr_PrintsOneThroughputLineWithTheGivenSizeAndCount(int size)
    {
        var result = await CliRunner.RunAsync("bench", "inproc-thr", $"{size}", "3000");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        var line = Assert.Single(result.StdoutLines);
        Assert.Matches(ThroughputLine(), line);
        var fields = Fields(line);
        Assert.Equal("inproc_thr", fields["kind"]);
        Assert.Equal($"{size}", fields["size"]);
        Assert.Equal("3000", fields["count"]);
        var secs = Number(fields["secs"]);
        Assert.True(secs > 0, line);
        // secs is printed to the microsecond, so the rates agree with it to 1e-6 / secs relative (a fast run of 3000
        // messages takes a few hundred microseconds: then that is a few parts in a thousand).
        var rate = Number(fields["msgs_per_s"]);
        var relative = 1e-6 / secs;
        Assert.Equal(3000 / secs, rate, tolerance: 1 + relative * rate);
        Assert.Equal(rate * size / 1e6, Number(fields["mb_per_s"]), tolerance: 0.05 + relative * rate * size / 1e6);
    }

    [Fact]
    public async Task InProcLat_PrintsOneLatencyLine_PercentilesOrdered()
    {
        var result = await CliRunner.RunAsync("bench", "inproc-lat", "64", "500");

        Assert.True(result.ExitCode == 0, result.ToString());
        var line = Assert.Single(result.StdoutLines);
        Assert.Matches(LatencyLine(), line);
        var fields = Fields(line);
        Assert.Equal("inproc_lat", fields["kind"]);
        Assert.Equal("500", fields["count"]);
        AssertLatencyConsistent(fields, timedRoundTrips: 499);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task ThrLocalAndThrRemote_AgreeOnCountAndTime(string transport)
    {
        var (endpoint, received, remote) = await RunPairAsync("thr-local", "thr-remote", transport, size: 1000, count: 5000);

        Assert.Matches(ThroughputLine(), remote.StdoutLines[0]);
        Assert.Matches(ThroughputLine(), received.StdoutLines[0]);
        var sender = Fields(remote.StdoutLines[0]);
        var receiver = Fields(received.StdoutLines[0]);
        Assert.Equal(("thr_remote", "thr_local"), (sender["kind"], receiver["kind"]));
        Assert.Equal(endpoint, sender["endpoint"]);
        Assert.Equal(endpoint, receiver["endpoint"]);
        Assert.Equal(("1000", "5000"), (sender["size"], sender["count"]));
        Assert.Equal(("1000", "5000"), (receiver["size"], receiver["count"]));
        // The sender's clock starts before its first message and stops after the acknowledgement, which was sent
        // after the receiver's clock stopped: it must have run at least as long.
        Assert.True(Number(sender["secs"]) >= Number(receiver["secs"]), $"{remote.Stdout}{received.Stdout}");
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task LatLocalAndLatRemote_AgreeOnCountAndTime(string transport)
    {
        var (endpoint, echoed, remote) = await RunPairAsync("lat-local", "lat-remote", transport, size: 100, count: 300);

        Assert.Matches(LatencyLine(), remote.StdoutLines[0]);
        Assert.Matches(EchoLine(), echoed.StdoutLines[0]);
        var client = Fields(remote.StdoutLines[0]);
        var echo = Fields(echoed.StdoutLines[0]);
        Assert.Equal(endpoint, client["endpoint"]);
        Assert.Equal(("100", "300"), (client["size"], client["count"]));
        Assert.Equal(("100", "300"), (echo["size"], echo["count"]));
        AssertLatencyConsistent(client, timedRoundTrips: 299);
        Assert.True(Number(echo["secs"]) > 0, echoed.Stdout);
    }

    [Theory]
    [InlineData("thr-local", "thr-remote")]
    [InlineData("lat-local", "lat-remote")]
    public async Task Warmup_BothSides_MoveTheWarmupUntimedThenCount(string localMode, string remoteMode)
    {
        // If either side ignored --warmup, the other would wait for 500 messages that never come and time out.
        var (_, local, remote) = await RunPairAsync(localMode, remoteMode, "tcp", size: 10, count: 200, "--warmup", "500");

        Assert.Equal("200", Fields(local.StdoutLines[0])["count"]);
        Assert.Equal("200", Fields(remote.StdoutLines[0])["count"]);
    }

    [Fact]
    public async Task InProcLat_WithWarmup_TimesOnlyCountRoundTrips()
    {
        var result = await CliRunner.RunAsync("bench", "inproc-lat", "64", "100", "--warmup", "1000");

        Assert.True(result.ExitCode == 0, result.ToString());
        var fields = Fields(Assert.Single(result.StdoutLines));
        Assert.Equal("100", fields["count"]);
        AssertLatencyConsistent(fields, timedRoundTrips: 99);
    }

    /// <summary>Runs the binding mode, then the connecting one against it; both must succeed with one line each.</summary>
    private static async Task<(string Endpoint, CliResult Local, CliResult Remote)> RunPairAsync(string localMode, string remoteMode, string transport, int size, int count, params string[] extra)
    {
        var bindAt = transport == "tcp" ? "tcp://127.0.0.1:*" : $"ipc://{Path.GetTempPath()}expair-bench-{Guid.NewGuid():N}.sock";
        var local = new CliRunner();
        var running = local.Start(["bench", localMode, bindAt, $"{size}", $"{count}", "--timeout", "20000", .. extra]);
        // Start() returns once the socket is bound; a wildcard port was noted on stderr before that.
        var endpoint = transport == "tcp" ? BoundEndpoint(local) : bindAt;

        var remote = await CliRunner.RunAsync(["bench", remoteMode, endpoint, $"{size}", $"{count}", "--timeout", "20000", .. extra]);
        var result = await local.ResultAsync(running);

        Assert.True(remote.ExitCode == 0, remote.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Single(remote.StdoutLines);
        Assert.Single(result.StdoutLines);
        return (endpoint, result, remote);
    }

    [Theory]
    [InlineData("thr-local", "0 of 10 messages received")]
    [InlineData("lat-remote", "0 of 10 round trips done")]
    [InlineData("lat-local", "0 of 10 messages echoed")]
    public async Task NoPeer_TimesOutWithExit1_SayingHowFarItGot(string mode, string progress)
    {
        var result = await CliRunner.RunAsync("bench", mode, $"inproc://bench-{Guid.NewGuid():N}", "8", "10", "--timeout", "200");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal([$"expair: bench: nothing from the peer within 200 ms ({progress})"], result.StderrLines);
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData("expair: bench: missing mode (thr-local, thr-remote, lat-local, lat-remote, inproc-thr, inproc-lat) (see 'expair bench --help')")]
    [InlineData("expair: bench: unknown mode 'thr' (thr-local, thr-remote, lat-local, lat-remote, inproc-thr, inproc-lat) (see 'expair bench --help')", "thr", "1", "1")]
    [InlineData("expair: bench: thr-local takes ENDPOINT SIZE COUNT (see 'expair bench --help')", "thr-local", "64", "10")]
    [InlineData("expair: bench: inproc-thr takes SIZE COUNT (see 'expair bench --help')", "inproc-thr", "inproc://x", "64", "10")]
    [InlineData("expair: bench: SIZE needs a whole number, not '1k' (see 'expair bench --help')", "inproc-thr", "1k", "10")]
    [InlineData("expair: bench: COUNT must be at least 2, not 1 (see 'expair bench --help')", "lat-remote", "tcp://127.0.0.1:1", "8", "1")]
    [InlineData("expair: bench: unknown option '--hwm' (see 'expair bench --help')", "inproc-lat", "8", "10", "--hwm", "5")]
    [InlineData("expair: bench: Invalid endpoint 'tcp://nohost': a tcp endpoint needs host:port, for example tcp://127.0.0.1:5555.", "thr-local", "tcp://nohost", "8", "10")]
    public async Task Bench_BadArguments_OneLineOnStderr_Exit2(string expected, params string[] args)
    {
        var result = await CliRunner.RunAsync(["bench", .. args]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal([expected], result.StderrLines);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Bench_Help_PrintsUsage()
    {
        var result = await CliRunner.RunAsync("help", "bench");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("Usage: expair bench MODE ENDPOINT SIZE COUNT", result.Stdout, StringComparison.Ordinal);
    }

    private static string BoundEndpoint(CliRunner runner)
    {
        var note = Assert.Single(runner.Stderr.Text.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("expair: bench: bound to tcp://127.0.0.1:", note, StringComparison.Ordinal);
        return note["expair: bench: bound to ".Length..];
    }

    private static void AssertLatencyConsistent(Dictionary<string, string> fields, int timedRoundTrips) =>
        SummaryLineShape.AssertLatencyConsistent(fields, timedRoundTrips);

    private static Dictionary<string, string> Fields(string line) => Bench.SummaryLine.Parse(line);

    private static double Number(string text) => SummaryLineShape.Number(text);
}
