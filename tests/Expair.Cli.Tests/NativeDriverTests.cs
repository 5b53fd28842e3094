using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Expair.Cli.Bench;
using static Expair.Cli.Tests.SummaryLineShape;

namespace Expair.Cli.Tests;

/// <summary>
/// Builds bench/native (the C libzmq driver and cpu-time) once for the class, with bench/native/build.sh, into a
/// fresh directory. Needs a C compiler and libzmq's headers (test.sh installs gcc and libzmq3-dev); a build that
/// fails fails every test, with the compiler's words.
/// </summary>
public sealed class NativeDriverBuild : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("expair-native-").FullName;

    public NativeDriverBuild()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Expair.slnx")))
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no Expair.slnx above " + AppContext.BaseDirectory);
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(root, "bench", "native", "build.sh"));
        info.ArgumentList.Add(_directory);
        using var build = Process.Start(info) ?? throw new InvalidOperationException("cannot start bash");
        var output = build.StandardOutput.ReadToEndAsync();
        var errors = build.StandardError.ReadToEndAsync();
        // A compiler (and, when root, apt-get installing one) is bounded too.
        if (!build.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            build.Kill(entireProcessTree: true);
            throw new TimeoutException("bench/native/build.sh took over 10 minutes");
        }
        if (build.ExitCode != 0)
            throw new InvalidOperationException($"bench/native/build.sh failed (exit {build.ExitCode}):\n{output.Result}{errors.Result}");
        Driver = Path.Combine(_directory, "zmq-bench");
        CpuTime = Path.Combine(_directory, "cpu-time");
    }

    public string Driver { get; }

    public string CpuTime { get; }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

/// <summary>
/// The native libzmq driver (bench/native/zmq-bench) keeps <c>expair bench</c>'s contract: its summary lines have
/// the shape of Expair's and parse with the same parser (<see cref="SummaryLine.Parse"/>) into consistent figures,
/// it pairs with <c>expair bench</c> in either role, and it refuses the arguments <see cref="BenchSpec.Parse"/>
/// refuses, for the same reason.
/// </summary>
public partial class NativeDriverTests(NativeDriverBuild build) : IClassFixture<NativeDriverBuild>
{
    private const string Tail = @" gc0=0 gc1=0 gc2=0 alloc_bytes=0 impl=";

    [GeneratedRegex(@"^(thr_local|thr_remote|inproc_thr|raw_thr)( endpoint=\S+)?" + SummaryLineShape.Throughput + Tail + "(libzmq|raw)$")]
    private static partial Regex ThroughputLine();

    [GeneratedRegex(@"^(lat_remote|inproc_lat|raw_lat)( endpoint=\S+)?" + SummaryLineShape.Latency + Tail + "(libzmq|raw-block|raw-busy)$")]
    private static partial Regex LatencyLine();

    [GeneratedRegex(@"^lat_local endpoint=\S+" + SummaryLineShape.Echo + Tail + "libzmq$")]
    private static partial Regex EchoLine();

    [Theory]
    [InlineData("inproc-thr", "0")]
    [InlineData("inproc-thr", "70000")]
    [InlineData("raw-thr", "tcp", "1000")]
    [InlineData("raw-thr", "ipc", "70000")]
    public async Task Throughput_OneLineOfExpairsShape_RateIsCountOverSecs(params string[] modeAndSize)
    {
        var result = await RunAsync(build.Driver, [.. modeAndSize, "3000", "--timeout", "20000"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var line = Assert.Single(result.StdoutLines);
        Assert.Matches(ThroughputLine(), line);
        var fields = SummaryLine.Parse(line);
        Assert.Equal(modeAndSize[0].Replace('-', '_'), fields["kind"]);
        Assert.Equal((modeAndSize[^1], "3000"), (fields["size"], fields["count"]));
        var secs = Number(fields["secs"]);
        Assert.True(secs > 0, line);
        var rate = Number(fields["msgs_per_s"]);
        // secs is printed to the microsecond: the rate agrees with it to that rounding (half a microsecond in secs).
        Assert.Equal(3000 / secs, rate, tolerance: 1 + rate * 0.5e-6 / secs * 1.01);
        Assert.Equal(rate * int.Parse(modeAndSize[^1], CultureInfo.InvariantCulture) / 1e6, Number(fields["mb_per_s"]), tolerance: 0.05 + 1e-3 * rate);
    }

    [Theory]
    [InlineData("inproc-lat", "64")]
    [InlineData("raw-lat", "tcp", "64")]
    [InlineData("raw-lat", "ipc", "70000", "--busy")]
    [InlineData("raw-lat", "inproc", "1")]
    [InlineData("raw-lat", "inproc", "1", "--busy")]
    public async Task Latency_WithWarmup_TimesOnlyCountRoundTrips(params string[] modeAndSize)
    {
        var result = await RunAsync(build.Driver, [.. modeAndSize, "300", "--warmup", "100", "--timeout", "20000"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var line = Assert.Single(result.StdoutLines);
        Assert.Matches(LatencyLine(), line);
        var fields = SummaryLine.Parse(line);
        Assert.Equal("300", fields["count"]);
        AssertLatencyConsistent(fields, timedRoundTrips: 299);
        if (modeAndSize[0] == "raw-lat")
            Assert.Equal(modeAndSize[^1] == "--busy" ? "raw-busy" : "raw-block", fields["impl"]);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task ExpairReceiver_LibzmqSender_BothLinesParseAndAgree(string transport)
    {
        var bindAt = BindAt(transport);
        var local = new CliRunner();
        var running = local.Start(["bench", "thr-local", bindAt, "1000", "5000", "--timeout", "20000", "--warmup", "500"]);
        // Start() returns once the socket is bound; a wildcard port was noted on stderr before that.
        var endpoint = transport == "tcp" ? After(local.Stderr.Text, "bound to ") : bindAt;

        var remote = await RunAsync(build.Driver, ["thr-remote", endpoint, "1000", "5000", "--timeout", "20000", "--warmup", "500"]);
        var received = await local.ResultAsync(running);

        Assert.True(remote.ExitCode == 0, remote.ToString());
        Assert.True(received.ExitCode == 0, received.ToString());
        Assert.Matches(ThroughputLine(), Assert.Single(remote.StdoutLines));
        var sender = SummaryLine.Parse(remote.StdoutLines[0]);
        var receiver = SummaryLine.Parse(Assert.Single(received.StdoutLines));
        Assert.Equal(("thr_remote", "libzmq", endpoint), (sender["kind"], sender["impl"], sender["endpoint"]));
        Assert.Equal(("thr_local", "expair", endpoint), (receiver["kind"], receiver["impl"], receiver["endpoint"]));
        // The sender's clock stops after the acknowledgement, which left after the receiver's clock stopped.
        Assert.True(Number(sender["secs"]) >= Number(receiver["secs"]), $"{remote.Stdout}{received.Stdout}");
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task LibzmqEcho_ExpairClient_BothLinesParseAndAgree(string transport)
    {
        var bindAt = BindAt(transport);
        using var echo = Start(build.Driver, ["lat-local", bindAt, "100", "300", "--timeout", "20000"]);
        // The driver notes a resolved wildcard port on stderr once bound; over ipc a client connecting first retries.
        var endpoint = transport == "tcp"
            ? After(await echo.StandardError.ReadLineAsync().WaitAsync(CliRunner.Patience) ?? "", "zmq-bench: bound to ")
            : bindAt;

        var client = await CliRunner.RunAsync("bench", "lat-remote", endpoint, "100", "300", "--timeout", "20000");
        var echoed = await FinishAsync(echo);

        Assert.True(client.ExitCode == 0, client.ToString());
        Assert.True(echoed.ExitCode == 0, echoed.ToString());
        Assert.Matches(EchoLine(), Assert.Single(echoed.StdoutLines));
        var fields = SummaryLine.Parse(Assert.Single(client.StdoutLines));
        Assert.Equal(endpoint, SummaryLine.Parse(echoed.StdoutLines[0])["endpoint"]);
        Assert.Equal(("lat_remote", "expair", "300"), (fields["kind"], fields["impl"], fields["count"]));
        AssertLatencyConsistent(fields, timedRoundTrips: 299);
    }

    [Fact]
    public async Task LibzmqPair_OverTcp_LatencyLineOfExpairsShape()
    {
        using var echo = Start(build.Driver, ["lat-local", "tcp://127.0.0.1:*", "1", "200", "--timeout", "20000"]);
        var endpoint = After(await echo.StandardError.ReadLineAsync().WaitAsync(CliRunner.Patience) ?? "", "zmq-bench: bound to ");

        var client = await RunAsync(build.Driver, ["lat-remote", endpoint, "1", "200", "--timeout", "20000"]);
        var echoed = await FinishAsync(echo);

        Assert.True(client.ExitCode == 0, client.ToString());
        Assert.True(echoed.ExitCode == 0, echoed.ToString());
        Assert.Matches(LatencyLine(), Assert.Single(client.StdoutLines));
        AssertLatencyConsistent(SummaryLine.Parse(client.StdoutLines[0]), timedRoundTrips: 199);
    }

    /// <summary>
    /// The driver's CURVE options are <c>expair bench</c>'s: a libzmq CURVE server (its secret from <c>expair keygen</c>)
    /// receives from an Expair CURVE client that knows only the server's public key (a fresh pair of its own).
    /// </summary>
    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task Curve_LibzmqServer_ExpairClient_Throughput(string transport)
    {
        var server = await KeygenAsync();
        using var receiver = Start(build.Driver, ["thr-local", BindAt(transport), "1000", "3000", "--timeout", "20000", "--warmup", "300",
            "--curve-server", "--curve-secret", server.Secret]);
        var endpoint = await EndpointAsync(receiver, transport);

        var sender = await CliRunner.RunAsync("bench", "thr-remote", endpoint, "1000", "3000", "--timeout", "20000", "--warmup", "300",
            "--curve-serverkey", server.Public);
        var received = await FinishAsync(receiver);

        Assert.True(sender.ExitCode == 0, sender.ToString());
        Assert.True(received.ExitCode == 0, received.ToString());
        Assert.Matches(ThroughputLine(), Assert.Single(received.StdoutLines));
        var fields = SummaryLine.Parse(received.StdoutLines[0]);
        Assert.Equal(("thr_local", "3000", "1000"), (fields["kind"], fields["count"], fields["size"]));
    }

    /// <summary>
    /// A libzmq CURVE client with its own pair (<c>--curve-secret</c>, <c>--curve-public</c>) does round trips with an
    /// Expair CURVE server that admits exactly that public key.
    /// </summary>
    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task Curve_ExpairServerAllowingTheDriversKey_LibzmqClient_Latency(string transport)
    {
        var (server, client) = (await KeygenAsync(), await KeygenAsync());
        var bindAt = BindAt(transport);
        var echo = new CliRunner();
        var echoing = echo.Start("bench", "lat-local", bindAt, "100", "300", "--timeout", "20000",
            "--curve-server", "--curve-secret", server.Secret, "--curve-allow", client.Public);
        // Start() returns once the socket is bound; a wildcard port was noted on stderr before that.
        var endpoint = transport == "tcp" ? After(echo.Stderr.Text, "bound to ") : bindAt;

        var driver = await RunAsync(build.Driver, ["lat-remote", endpoint, "100", "300", "--timeout", "20000",
            "--curve-serverkey", server.Public, "--curve-secret", client.Secret, "--curve-public", client.Public]);
        var echoed = await echo.ResultAsync(echoing);

        Assert.True(driver.ExitCode == 0, driver.ToString());
        Assert.True(echoed.ExitCode == 0, echoed.ToString());
        Assert.Matches(LatencyLine(), Assert.Single(driver.StdoutLines));
        AssertLatencyConsistent(SummaryLine.Parse(driver.StdoutLines[0]), timedRoundTrips: 299);
    }

    /// <summary>
    /// The driver really runs CURVE: a client whose server key is another pair's never completes the handshake with an
    /// Expair CURVE server, so no round trip happens and it times out (exit 1).
    /// </summary>
    [Fact]
    public async Task Curve_DriverClientWithTheWrongServerKey_GetsNoRoundTrip()
    {
        var (server, other) = (await KeygenAsync(), await KeygenAsync());
        var echo = new CliRunner();
        var echoing = echo.Start("bench", "lat-local", "tcp://127.0.0.1:*", "8", "10", "--timeout", "3000",
            "--curve-server", "--curve-secret", server.Secret);
        var endpoint = After(echo.Stderr.Text, "bound to ");

        var driver = await RunAsync(build.Driver, ["lat-remote", endpoint, "8", "10", "--timeout", "1000", "--curve-serverkey", other.Public]);
        var echoed = await echo.ResultAsync(echoing);

        Assert.True(driver.ExitCode == 1, driver.ToString());
        Assert.Equal(["zmq-bench: nothing from the peer within 1000 ms (0 of 10 round trips done)"], driver.StderrLines);
        Assert.True(echoed.ExitCode == 1, echoed.ToString());
        Assert.Empty(echoed.StdoutLines);
    }

    public static TheoryData<string, string[]> BadCurveArguments => new()
    {
        { "option --curve-secret needs a CURVE key of 40 Z85 characters, not 39", ["--curve-server", "--curve-secret", new string('a', 39)] },
        { "option --curve-serverkey needs a CURVE key of 40 Z85 characters, not 0", ["--curve-serverkey", ""] },
        { "option --curve-server needs --curve-secret KEY", ["--curve-server"] },
        { "option --curve-public needs --curve-secret", ["--curve-serverkey", new string('a', 40), "--curve-public", new string('a', 40)] },
        { "option --curve-secret needs --curve-server or --curve-serverkey", ["--curve-secret", new string('a', 40)] },
        { "option --curve-serverkey conflicts with --curve-server: a socket has one mechanism and one role",
            ["--curve-server", "--curve-secret", new string('a', 40), "--curve-serverkey", new string('a', 40)] },
        { "option --curve-serverkey is not a valid CURVE key: Invalid argument", ["--curve-serverkey", "~" + new string('a', 39)] },
    };

    [Theory]
    [MemberData(nameof(BadCurveArguments))]
    public async Task Curve_BadArguments_Exit2_NamingTheOption(string reason, string[] curve)
    {
        var result = await RunAsync(build.Driver, ["thr-remote", "tcp://127.0.0.1:1", "8", "10", "--timeout", "100", .. curve]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(["zmq-bench: " + reason], result.StderrLines);
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData("the security options are for the ENDPOINT modes; inproc-thr and inproc-lat run both sides in one process", "inproc-thr", "8", "10")]
    [InlineData("the security options are for the ENDPOINT modes; raw-lat has no ZeroMQ", "raw-lat", "tcp", "8", "10")]
    public async Task Curve_WithoutAnEndpoint_Exit2(string reason, params string[] mode)
    {
        var result = await RunAsync(build.Driver, [.. mode, "--curve-serverkey", new string('a', 40)]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(["zmq-bench: " + reason], result.StderrLines);
    }

    [Theory]
    [InlineData("thr", "1", "1")]
    [InlineData("thr-local", "64", "10")]
    [InlineData("inproc-thr", "inproc://x", "64", "10")]
    [InlineData("inproc-thr", "1k", "10")]
    [InlineData("lat-remote", "tcp://127.0.0.1:1", "8", "1")]
    [InlineData("inproc-lat", "8", "10", "--hwm", "5")]
    [InlineData("inproc-lat", "8", "-1")]
    [InlineData("inproc-lat", "8", "99999999999")]
    [InlineData("inproc-lat", "8", "10", "--timeout", "0")]
    public async Task BadArguments_Exit2_ForTheReasonExpairGives(params string[] args)
    {
        var reason = Assert.Throws<FormatException>(() => BenchSpec.Parse(args)).Message;

        var result = await RunAsync(build.Driver, args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(["zmq-bench: " + reason], result.StderrLines);
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData("thr-local", "0 of 10 messages received")]
    [InlineData("lat-remote", "0 of 10 round trips done")]
    public async Task NoPeer_TimesOutWithExit1_SayingHowFarItGot(string mode, string progress)
    {
        var result = await RunAsync(build.Driver, [mode, $"ipc://{Path.GetTempPath()}zmq-bench-{Guid.NewGuid():N}.sock", "8", "10", "--timeout", "200"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal([$"zmq-bench: nothing from the peer within 200 ms ({progress})"], result.StderrLines);
    }

    [Fact]
    public async Task CpuTime_WritesTheCommandsCpuSeconds_AndExitsAsItDid()
    {
        var file = Path.Combine(Path.GetTempPath(), $"expair-cpu-{Guid.NewGuid():N}.txt");
        try
        {
            var done = await RunAsync(build.CpuTime, [file, build.Driver, "inproc-thr", "64", "200000"]);
            Assert.True(done.ExitCode == 0, done.ToString());
            Assert.Matches(ThroughputLine(), Assert.Single(done.StdoutLines));
            var cpu = SummaryLine.Parse("cpu " + File.ReadAllText(file).Trim());
            // Two threads moved 200,000 messages: some CPU time, and no more than the wall time of both cores.
            var seconds = Number(cpu["cpu_user_s"]) + Number(cpu["cpu_sys_s"]);
            Assert.InRange(seconds, 1e-6, 2 * 60);

            var refused = await RunAsync(build.CpuTime, [file, build.Driver, "inproc-thr", "x", "1"]);
            Assert.Equal(2, refused.ExitCode);
            Assert.StartsWith("cpu_user_s=", File.ReadAllText(file), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>A pair from <c>expair keygen</c>, as bench/run.sh makes its server's.</summary>
    private static async Task<(string Public, string Secret)> KeygenAsync()
    {
        var keygen = await CliRunner.RunAsync("keygen");
        Assert.True(keygen.ExitCode == 0, keygen.ToString());
        return (After(keygen.StdoutLines[0], "public-key="), After(keygen.StdoutLines[1], "secret-key="));
    }

    /// <summary>Where a driver that binds listens: the port it notes on stderr (tcp), or the ipc path it was given.</summary>
    private static async Task<string> EndpointAsync(Process driver, string transport) =>
        transport == "tcp"
            ? After(await driver.StandardError.ReadLineAsync().WaitAsync(CliRunner.Patience) ?? "", "zmq-bench: bound to ")
            : driver.StartInfo.ArgumentList[1];

    private static string BindAt(string transport) =>
        transport == "tcp" ? "tcp://127.0.0.1:*" : $"ipc://{Path.GetTempPath()}expair-native-{Guid.NewGuid():N}.sock";

    private static string After(string line, string marker)
    {
        var at = line.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, $"expected '{marker}' in '{line}'");
        return line[(at + marker.Length)..].Trim();
    }

    private static Process Start(string program, string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        return Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
    }

    private static async Task<CliResult> FinishAsync(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    private static async Task<CliResult> RunAsync(string program, string[] args)
    {
        using var process = Start(program, args);
        return await FinishAsync(process);
    }
}
