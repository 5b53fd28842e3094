using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Expair.Cli.Bench;

/// <summary>
/// What one timed part cost: wall time, garbage collections per generation and bytes allocated (all threads),
/// so a per-message allocation shows up as <c>alloc_bytes / count</c>.
/// </summary>
internal readonly record struct Measurement(long ElapsedTicks, int Gen0, int Gen1, int Gen2, long AllocatedBytes)
{
    public double Seconds => (double)ElapsedTicks / Stopwatch.Frequency;

    public static Meter Start() => new(
        Stopwatch.GetTimestamp(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
        GC.GetTotalAllocatedBytes(precise: true));

    /// <summary>Snapshot taken at the start of a timed part; <see cref="Stop"/> turns it into a measurement.</summary>
    internal readonly record struct Meter(long Timestamp, int Gen0, int Gen1, int Gen2, long Allocated)
    {
        public Measurement Stop()
        {
            var now = Stopwatch.GetTimestamp();
            return new Measurement(now - Timestamp,
                GC.CollectionCount(0) - Gen0, GC.CollectionCount(1) - Gen1, GC.CollectionCount(2) - Gen2,
                GC.GetTotalAllocatedBytes(precise: true) - Allocated);
        }
    }
}

/// <summary>
/// The one summary line each run prints: <c>kind key=value ...</c>, invariant culture, MB = 10^6 bytes, rates
/// as libzmq's perf tools compute them (messages over the receiver's time from its first message).
/// </summary>
internal static class SummaryLine
{
    public static string Throughput(string kind, string? endpoint, int size, int count, Measurement m, string implementation)
    {
        var line = Start(kind, endpoint, size, count, m);
        var seconds = m.Seconds;
        var perSecond = seconds > 0 ? count / seconds : 0;
        Append(line, "msgs_per_s", perSecond.ToString("0", CultureInfo.InvariantCulture));
        Append(line, "mb_per_s", (perSecond * size / 1e6).ToString("0.0", CultureInfo.InvariantCulture));
        return End(line, m, implementation);
    }

    /// <summary>A latency line from the timed round trips (clock ticks each; the warm-up is not among them).</summary>
    public static string Latency(string kind, string? endpoint, int size, int count, Measurement m, long[] roundTrips, string implementation)
    {
        var line = Start(kind, endpoint, size, count, m);
        var sorted = roundTrips.ToArray();
        Array.Sort(sorted);
        var mean = sorted.Length == 0 ? 0 : Microseconds(sorted.Sum()) / sorted.Length;
        Append(line, "one_way_us", Format(mean / 2));
        Append(line, "rtt_us", Format(mean));
        Append(line, "rtt_p50_us", Format(Microseconds(Percentile(sorted, 0.50))));
        Append(line, "rtt_p99_us", Format(Microseconds(Percentile(sorted, 0.99))));
        return End(line, m, implementation);
    }

    /// <summary>A line with only the elapsed time: the sides that echo (lat_local) or only send.</summary>
    public static string Plain(string kind, string? endpoint, int size, int count, Measurement m, string implementation) =>
        End(Start(kind, endpoint, size, count, m), m, implementation);

    /// <summary>Parses <c>key=value</c> pairs of a summary line (the first word is the kind, under "kind").</summary>
    public static Dictionary<string, string> Parse(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal) { ["kind"] = words.Length > 0 ? words[0] : "" };
        foreach (var word in words.Skip(1))
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
                fields[word[..equals]] = word[(equals + 1)..];
        }
        return fields;
    }

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    private static long Percentile(long[] sorted, double fraction) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static double Microseconds(long ticks) => ticks * 1e6 / Stopwatch.Frequency;

    private static string Format(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static StringBuilder Start(string kind, string? endpoint, int size, int count, Measurement m)
    {
        var line = new StringBuilder(kind);
        if (endpoint is not null)
            Append(line, "endpoint", endpoint);
        Append(line, "size", size.ToString(CultureInfo.InvariantCulture));
        Append(line, "count", count.ToString(CultureInfo.InvariantCulture));
        Append(line, "secs", m.Seconds.ToString("0.000000", CultureInfo.InvariantCulture));
        return line;
    }

    private static string End(StringBuilder line, Measurement m, string implementation)
    {
        Append(line, "gc0", m.Gen0.ToString(CultureInfo.InvariantCulture));
        Append(line, "gc1", m.Gen1.ToString(CultureInfo.InvariantCulture));
        Append(line, "gc2", m.Gen2.ToString(CultureInfo.InvariantCulture));
        Append(line, "alloc_bytes", m.AllocatedBytes.ToString(CultureInfo.InvariantCulture));
        Append(line, "impl", implementation);
        return line.ToString();
    }

    private static void Append(StringBuilder line, string key, string value) => line.Append(' ').Append(key).Append('=').Append(value);
}
