namespace Expair.Cli.Bench;

/// <summary><c>expair bench</c>: throughput and latency with libzmq's perf-tool arguments, one summary line per run.</summary>
internal static class BenchCommand
{
    public const string Usage = """
        Usage: expair bench MODE ENDPOINT SIZE COUNT [--timeout MS] [--warmup N]
               expair bench (inproc-thr|inproc-lat) SIZE COUNT [--timeout MS] [--warmup N]

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
          --timeout MS                    fail when any wait (peer, message, acknowledgement) takes longer
                                          (default 60000)
          --warmup N                      first move N untimed messages (or round trips); give both sides
                                          the same N (default 0, libzmq's protocol unchanged)

        Prints one line, for example
          thr_local endpoint=tcp://*:5555 size=64 count=1000000 secs=0.41 msgs_per_s=2425000 mb_per_s=155.2 gc0=0 gc1=0 gc2=0 alloc_bytes=4096 impl=expair
          lat_remote endpoint=... size=64 count=10000 secs=... one_way_us=30.1 rtt_us=60.2 rtt_p50_us=58.0 rtt_p99_us=90.3 ...
        MB = 10^6 bytes; gc0-2 and alloc_bytes count collections and allocated bytes during the timed part.

        Exit codes: 0 done, 1 timed out or a wrong message arrived, 2 bad arguments, 130 interrupted.
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliConsole console, CancellationToken stop)
    {
        if (args.Any(a => a is "--help" or "-h"))
        {
            console.Out.WriteLine(Usage);
            return ExitCode.Ok;
        }
        BenchSpec spec;
        try
        {
            spec = BenchSpec.Parse(args);
        }
        catch (FormatException e)
        {
            throw new UsageException($"bench: {e.Message} (see 'expair bench --help')", e);
        }
        var sockets = new ExpairBenchSockets(spec.Timeout, spec.Size);
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
