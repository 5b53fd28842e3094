using System.CommandLine;

namespace Expair.Cli.Bench;

/// <summary><c>expair bench</c>: throughput and latency with libzmq's perf-tool arguments, one summary line per run.</summary>
internal static class BenchCommand
{
    private static readonly CliHelp Help = new(
        """
        Usage: expair bench MODE ENDPOINT SIZE COUNT [options]
               expair bench (inproc-thr|inproc-lat) SIZE COUNT [options]
        """,
        """
        Measures throughput and latency the way libzmq's local_thr/remote_thr/local_lat/remote_lat do, so
        either side can run against a libzmq PAIR peer (bench/Expair.Benchmarks has one).

          thr-local ENDPOINT SIZE COUNT   bind, receive COUNT messages of SIZE bytes (clocked from the first),
                                          then send one empty message back as the acknowledgement
          thr-remote ENDPOINT SIZE COUNT  connect, send COUNT messages (every payload byte written), wait for
                                          the acknowledgement
          lat-local ENDPOINT SIZE COUNT   bind, echo COUNT messages
          lat-remote ENDPOINT SIZE COUNT  connect, do COUNT round trips (the first is an untimed warm-up)
          inproc-thr SIZE COUNT           thr-local and thr-remote over inproc, two threads of one process
          inproc-lat SIZE COUNT           lat-local and lat-remote over inproc, two threads of one process

        Prints one line, for example
          thr_local endpoint=tcp://*:5555 size=64 count=1000000 secs=0.41 msgs_per_s=2425000 mb_per_s=155.2 gc0=0 gc1=0 gc2=0 alloc_bytes=4096 impl=expair
          lat_remote endpoint=... size=64 count=10000 secs=... one_way_us=30.1 rtt_us=60.2 rtt_p50_us=58.0 rtt_p99_us=90.3 ...
        MB = 10^6 bytes; gc0-2 and alloc_bytes count collections and allocated bytes during the timed part.
        """,
        "Exit codes: 0 done, 1 timed out or a wrong message arrived, 2 bad arguments, 130 interrupted.");

    public static CliCommand Create(CliConsole console)
    {
        var timeout = CliOptions.WholeNumber("--timeout", "MS", 1,
            "fail when any wait (peer, message, acknowledgement) takes longer", $"{BenchSpec.DefaultTimeout.TotalMilliseconds:0}");
        var warmup = CliOptions.WholeNumber("--warmup", "N", 0,
            "first move N untimed messages (or round trips); give both sides the same N", "0, libzmq's protocol unchanged");
        var operands = new Argument<string[]>("MODE [ENDPOINT] SIZE COUNT") { Arity = ArgumentArity.ZeroOrMore };
        var socketFlags = new SocketOptionFlags(lingerDefault: "--timeout");
        var command = new Command("bench", "throughput and latency, as libzmq's perf tools measure them") { timeout, warmup, operands };
        socketFlags.AddTo(command);
        command.SetAction((parsed, stop) =>
        {
            BenchSpec spec;
            try
            {
                var wait = parsed.GetValue(timeout) is { } ms ? TimeSpan.FromMilliseconds(ms) : BenchSpec.DefaultTimeout;
                spec = BenchSpec.FromOperands(parsed.GetValue(operands) ?? [], wait, parsed.GetValue(warmup) ?? 0);
            }
            catch (FormatException e)
            {
                throw CliParser.Error("bench", e.Message);
            }
            var options = socketFlags.Apply(parsed, PairSocketOptions.Default with { Linger = spec.Timeout }, console);
            // Both inproc sides would get the same flags, two servers or two clients: security is for one side of an ENDPOINT.
            if (spec.IsInProc && options.Security.Mechanism != SecurityMechanism.Null)
                throw CliParser.Error("bench", "the security options are for the ENDPOINT modes; inproc-thr and inproc-lat run both sides in one process");
            return socketFlags.ReleasingKeysAfter(RunAsync(spec, new ExpairBenchSockets(spec.Timeout, spec.Size, options), console, stop));
        });
        return new CliCommand(command, Help);
    }

    private static async Task<int> RunAsync(BenchSpec spec, ExpairBenchSockets sockets, CliConsole console, CancellationToken stop)
    {
        try
        {
            if (spec.IsInProc)
            {
                var inproc = await Task.Factory.StartNew(() => BenchRunner.RunInProc(spec, sockets), CancellationToken.None,
                    TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
                console.Out.WriteLine(inproc);
                return ExitCode.Ok;
            }
            // Opened here, before the first await, so the bound endpoint is on stderr when this call returns.
            var (socket, opened) = Open(spec, sockets, console);
            using var closing = socket;
            // The loops block; Ctrl+C closes the socket under them, which ends the run at once.
            using var interrupt = stop.Register(socket.Dispose);
            var line = await Task.Factory.StartNew(() => BenchRunner.Run(opened, socket, sockets.Implementation), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            console.Out.WriteLine(line);
            return ExitCode.Ok;
        }
        catch (BenchFailedException e)
        {
            return console.Fail($"bench: {e.Message}", ExitCode.Failed);
        }
        catch (ObjectDisposedException) when (stop.IsCancellationRequested)
        {
            return console.Fail("bench: interrupted", ExitCode.Interrupted);
        }
    }

    private static (IBenchSocket Socket, BenchSpec Spec) Open(BenchSpec spec, IBenchSockets sockets, CliConsole console)
    {
        try
        {
            return BenchRunner.Open(spec, sockets, note => console.Note($"bench: {note}"));
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"bench: {Sockets.WithoutParameterName(e)}", e);
        }
        catch (EndpointException e)
        {
            throw new EndpointException($"bench: {e.Message}", e);
        }
    }
}
