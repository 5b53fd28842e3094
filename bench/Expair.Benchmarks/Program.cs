using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Expair.Benchmarks.Report;
using Expair.Cli.Bench;

namespace Expair.Benchmarks;

/// <summary>
/// The benchmark companion of <c>expair bench</c>: the NetMQ peer (and a libzmq peer through P/Invoke, for hand runs)
/// for the same modes and lines, BenchmarkDotNet micro-benchmarks, and the writer of docs/benchmarks.md. bench/run.sh
/// drives it; the page's libzmq figures and the floor come from the C driver in bench/native.
/// </summary>
internal static class Program
{
    private const string Usage = """
        Usage: Expair.Benchmarks COMMAND ...

          zmq MODE [ENDPOINT] SIZE COUNT [--timeout MS]  libzmq's PAIR socket through P/Invoke from these C#
                                                          loops: the modes and the summary line of `expair bench`
                                                          (thr-local, thr-remote, lat-local, lat-remote, inproc-thr,
                                                          inproc-lat). For hand runs; bench/run.sh measures libzmq
                                                          with the C driver (bench/native/zmq-bench)
          netmq MODE [ENDPOINT] SIZE COUNT [--timeout MS] the NetMQ PAIR peer: the same modes and line (NetMQ's
                                                          ipc:// is tcp on loopback, not a unix socket)
          micro [--short] [BenchmarkDotNet options]       codec and queue micro-benchmarks (in-process toolchain;
                                                          e.g. --filter '*Pipe*'; --short for a quick job)
          report RESULTS MACHINE MICRO_DIR OUTPUT         writes the markdown page from bench/run.sh's results
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
                "micro" => RunMicro(args[1..]),
                "report" when args.Length == 5 => ReportWriter.Write(args[1], args[2], args[3], args[4]),
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
