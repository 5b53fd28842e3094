namespace Expair.Cli.Bench;

/// <summary>
/// Runs one <see cref="BenchSpec"/> with a program's sockets and writes its summary line. The in-process modes
/// run the receiving (or echoing) side on a second thread of this process.
/// </summary>
internal static class BenchRunner
{
    /// <summary>
    /// Opens the socket for a network mode: binding for the local modes (the bound endpoint goes to
    /// <paramref name="note"/> when the port was a wildcard), connecting for the remote ones. The spec comes
    /// back with the real endpoint, for the summary line.
    /// </summary>
    public static (IBenchSocket Socket, BenchSpec Spec) Open(BenchSpec spec, IBenchSockets sockets, Action<string> note)
    {
        if (spec.Mode is BenchMode.ThrRemote or BenchMode.LatRemote)
            return (sockets.Connect(spec.Endpoint!), spec);
        var socket = sockets.Bind(spec.Endpoint!, out var bound);
        if (bound != spec.Endpoint)
            note($"bound to {bound}");
        return (socket, spec with { Endpoint = bound });
    }

    /// <summary>Runs a network mode on <paramref name="socket"/> (from <see cref="Open"/>) and returns its line.</summary>
    public static string Run(BenchSpec spec, IBenchSocket socket, string implementation)
    {
        switch (spec.Mode)
        {
            case BenchMode.ThrLocal:
                return SummaryLine.Throughput("thr_local", spec.Endpoint, spec.Size, spec.Count, BenchLoops.ReceiveThroughput(socket, spec), implementation);
            case BenchMode.ThrRemote:
                return SummaryLine.Throughput("thr_remote", spec.Endpoint, spec.Size, spec.Count, BenchLoops.SendThroughput(socket, spec), implementation);
            case BenchMode.LatLocal:
                return SummaryLine.Plain("lat_local", spec.Endpoint, spec.Size, spec.Count, BenchLoops.Echo(socket, spec), implementation);
            case BenchMode.LatRemote:
                var (measured, roundTrips) = BenchLoops.RoundTrips(socket, spec);
                return SummaryLine.Latency("lat_remote", spec.Endpoint, spec.Size, spec.Count, measured, roundTrips, implementation);
            default:
                throw new ArgumentException($"{spec.Mode} is an in-process mode", nameof(spec));
        }
    }

    /// <summary>inproc-thr / inproc-lat: both ends in this process, the binding end on a second thread.</summary>
    public static string RunInProc(BenchSpec spec, IBenchSockets sockets)
    {
        var endpoint = sockets.InProcEndpoint();
        using var local = sockets.Bind(endpoint, out _);
        using var remote = sockets.Connect(endpoint);
        Exception? localError = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (spec.Mode == BenchMode.InProcThr)
                    BenchLoops.SendThroughput(remote, spec);
                else
                    BenchLoops.Echo(local, spec);
            }
            catch (Exception e) when (e is BenchFailedException or TimeoutException or ObjectDisposedException)
            {
                localError = e;
            }
        }) { IsBackground = true, Name = "bench peer" };
        thread.Start();
        string line;
        if (spec.Mode == BenchMode.InProcThr)
        {
            var measured = BenchLoops.ReceiveThroughput(local, spec);
            line = SummaryLine.Throughput("inproc_thr", null, spec.Size, spec.Count, measured, sockets.Implementation);
        }
        else
        {
            var (measured, roundTrips) = BenchLoops.RoundTrips(remote, spec);
            line = SummaryLine.Latency("inproc_lat", null, spec.Size, spec.Count, measured, roundTrips, sockets.Implementation);
        }
        // The peer thread ends right after our last message (the ack, or the last echo); its own waits are bounded.
        if (!thread.Join(spec.Timeout + spec.Timeout))
            throw new BenchFailedException("the peer thread did not finish");
        return localError is null ? line : throw new BenchFailedException($"peer thread: {localError.Message}", localError);
    }
}
