using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Expair.Benchmarks.Report;
using Expair.Cli.Bench;

namespace Expair.Benchmarks;

/// <summary>
/// The benchmark companion of <c>expair bench</c>: libzmq and NetMQ peers for the same modes and lines, the raw socket
/// ceiling, BenchmarkDotNet micro-benchmarks, and the writer of docs/benchmarks.md. bench/run.sh drives it.
/// </summary>
internal static class Program
{
    private const string Usage = """
        Usage: Expair.Benchmarks COMMAND ...

          zmq MODE [ENDPOINT] SIZE COUNT [--timeout MS]  the libzmq PAIR peer: the modes and the summary line of
                                                          `expair bench` (thr-local, thr-remote, lat-local,
                                                          lat-remote, inproc-thr, inproc-lat)
          netmq MODE [ENDPOINT] SIZE COUNT [--timeout MS] the NetMQ PAIR peer: the same modes and line (NetMQ's
                                                          ipc:// is tcp on loopback, not a unix socket)
          raw-tcp SIZE COUNT [--timeout MS]               the ceiling: a loopback TCP byte pump, same line format
          raw-ipc SIZE COUNT [--timeout MS]               the same over a unix socket
          micro [--short] [BenchmarkDotNet options]       codec and queue micro-benchmarks (in-process toolchain;
                                                          e.g. --filter '*Pipe*'; --short for a quick job)
          report RESULTS MACHINE MICRO_DIR OUTPUT         writes the markdown page from bench/run.sh's results
          libzmq-version                                  prints the loaded libzmq's version
          netmq-version                                   prints the NetMQ package's version

        Exit codes: 0 done, 1 failed or timed out, 2 bad arguments.
        """;

    private static int Main(string[] args)
    {
        try
        {
            return args.FirstOrDefault() switch
            {
                "zmq" => RunPeer(args[1..], spec => new ZmqBenchSockets(spec.Timeout)),
                "netmq" => RunPeer(args[1..], spec => new NetMqBenchSockets(spec)),
                "raw-tcp" => RunRaw("tcp", args[1..]),
                "raw-ipc" => RunRaw("ipc", args[1..]),
                "micro" => RunMicro(args[1..]),
                "report" when args.Length == 5 => ReportWriter.Write(args[1], args[2], args[3], args[4]),
                "libzmq-version" => Print(ZmqBenchSockets.Version),
                "netmq-version" => Print(NetMqBenchSockets.Version),
                "--help" or "-h" => Print(Usage),
                _ => Fail(Usage, 2),
            };
        }
        catch (FormatException e)
        {
            return Fail($"expair-benchmarks: {e.Message}", 2);
        }
        catch (BenchFailedException e)
        {
            return Fail($"expair-benchmarks: {e.Message}", 1);
        }
    }

    /// <summary>One run of a peer (libzmq or NetMQ); its sockets (a context) are disposed after the socket.</summary>
    private static int RunPeer<TSockets>(string[] args, Func<BenchSpec, TSockets> open)
        where TSockets : IBenchSockets, IDisposable
    {
        var spec = BenchSpec.Parse(args);
        using var sockets = open(spec);
        if (spec.IsInProc)
            return Print(BenchRunner.RunInProc(spec, sockets));
        var (socket, opened) = BenchRunner.Open(spec, sockets, note => Console.Error.WriteLine($"expair-benchmarks: {note}"));
        using (socket)
            return Print(BenchRunner.Run(opened, socket, sockets.Implementation));
    }

    private static int RunRaw(string transport, string[] args)
    {
        // Same argument rules as the in-process modes: SIZE COUNT [--timeout MS].
        var spec = BenchSpec.Parse(["inproc-thr", .. args]);
        if (spec.Size == 0)
            throw new FormatException("SIZE must be at least 1 for a byte pump");
        return Print(RawPump.Run(transport, spec.Size, spec.Count, spec.Timeout));
    }

    private static int RunMicro(string[] args)
    {
        var job = args.Contains("--short") ? Job.ShortRun : Job.Default;
        // In-process: no generated project to build, so it works inside this repository's strict build settings.
        var config = DefaultConfig.Instance
            .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance))
            .WithArtifactsPath(Path.Combine("artifacts", "bench", "micro"));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. args.Where(a => a != "--short")], config);
        return 0;
    }

    private static int Print(string line)
    {
        Console.Out.WriteLine(line);
        return 0;
    }

    private static int Fail(string message, int exitCode)
    {
        Console.Error.WriteLine(message);
        return exitCode;
    }
}
