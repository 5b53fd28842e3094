using System.Globalization;

namespace Expair.Cli.Bench;

/// <summary>The benchmark modes, named as on the command line (libzmq's perf tools plus two in-process ones).</summary>
internal enum BenchMode { ThrLocal, ThrRemote, LatLocal, LatRemote, InProcThr, InProcLat }

/// <summary>
/// One benchmark run as the command line gave it: <c>MODE ENDPOINT SIZE COUNT</c> like libzmq's
/// <c>local_thr</c>/<c>remote_thr</c>/<c>local_lat</c>/<c>remote_lat</c>, or <c>MODE SIZE COUNT</c> for the
/// in-process modes; <c>--timeout MS</c> bounds every wait; <c>--warmup N</c> (both sides alike) first moves N
/// untimed messages or round trips, so a JIT-compiled runtime is measured in its steady state. Shared (linked) by the <c>expair</c> CLI and the
/// libzmq peer in bench/Expair.Benchmarks, so both take the same arguments.
/// </summary>
internal sealed record BenchSpec(BenchMode Mode, string? Endpoint, int Size, int Count, TimeSpan Timeout, int Warmup = 0)
{
    /// <summary>Default bound on each wait (peer, next message, acknowledgement): a run fails, never hangs.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public const string ModeNames = "thr-local, thr-remote, lat-local, lat-remote, inproc-thr, inproc-lat";

    public bool IsInProc => Mode is BenchMode.InProcThr or BenchMode.InProcLat;

    /// <summary>Parses the arguments after the command; throws <see cref="FormatException"/> with a one-line reason.</summary>
    public static BenchSpec Parse(IReadOnlyList<string> args)
    {
        var operands = new List<string>();
        var timeout = DefaultTimeout;
        var warmup = 0;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--warmup" && i + 1 < args.Count)
                warmup = Number("--warmup", args[++i], min: 0);
            else if (args[i] == "--timeout" && i + 1 < args.Count)
                timeout = TimeSpan.FromMilliseconds(Number("--timeout", args[++i], min: 1));
            else if (args[i].StartsWith("--timeout=", StringComparison.Ordinal))
                timeout = TimeSpan.FromMilliseconds(Number("--timeout", args[i]["--timeout=".Length..], min: 1));
            else if (args[i].StartsWith("--", StringComparison.Ordinal))
                throw new FormatException($"unknown option '{args[i]}'");
            else
                operands.Add(args[i]);
        }
        return FromOperands(operands, timeout, warmup);
    }

    /// <summary>The spec from <c>MODE [ENDPOINT] SIZE COUNT</c> and the option values; throws <see cref="FormatException"/> with a one-line reason.</summary>
    public static BenchSpec FromOperands(IReadOnlyList<string> operands, TimeSpan timeout, int warmup)
    {
        if (operands.Count == 0)
            throw new FormatException($"missing mode ({ModeNames})");
        var mode = operands[0] switch
        {
            "thr-local" => BenchMode.ThrLocal,
            "thr-remote" => BenchMode.ThrRemote,
            "lat-local" => BenchMode.LatLocal,
            "lat-remote" => BenchMode.LatRemote,
            "inproc-thr" => BenchMode.InProcThr,
            "inproc-lat" => BenchMode.InProcLat,
            var other => throw new FormatException($"unknown mode '{other}' ({ModeNames})"),
        };
        var inproc = mode is BenchMode.InProcThr or BenchMode.InProcLat;
        var expected = inproc ? 3 : 4;
        if (operands.Count != expected)
            throw new FormatException(inproc
                ? $"{operands[0]} takes SIZE COUNT"
                : $"{operands[0]} takes ENDPOINT SIZE COUNT");
        var endpoint = inproc ? null : operands[1];
        var size = Number("SIZE", operands[^2], min: 0);
        // Latency needs a warm-up plus at least one timed round trip.
        var count = Number("COUNT", operands[^1], min: mode is BenchMode.LatRemote or BenchMode.InProcLat ? 2 : 1);
        return new BenchSpec(mode, endpoint, size, count, timeout, warmup);
    }

    private static int Number(string name, string text, int min)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw new FormatException($"{name} needs a whole number, not '{text}'");
        return value >= min ? value : throw new FormatException($"{name} must be at least {min}, not {value}");
    }
}
