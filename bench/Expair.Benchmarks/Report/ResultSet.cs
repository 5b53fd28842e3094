using System.Globalization;
using Expair.Cli.Bench;

namespace Expair.Benchmarks.Report;

/// <summary>
/// One configuration of bench/run.sh: who sent to whom (or which floor, <c>raw</c>, <c>raw-block</c>, <c>raw-busy</c>),
/// over which transport, with which message size, cold (no warm-up) or warm.
/// </summary>
internal readonly record struct Cell(string Transport, string Test, string Sender, string Receiver, int Size, string Phase = "warm")
{
    public Cell(string transport, string test, string implementation, int size, string phase = "warm")
        : this(transport, test, implementation, implementation, size, phase)
    {
    }

    /// <summary>The summary line that carries this configuration's figures: the receiver's, or the latency client's.</summary>
    public string Kind => (Test, Transport, Sender) switch
    {
        ("thr", _, "raw") => "raw_thr",
        ("lat", _, var sender) when sender.StartsWith("raw-", StringComparison.Ordinal) => "raw_lat",
        ("thr", "inproc", _) => "inproc_thr",
        ("lat", "inproc", _) => "inproc_lat",
        ("thr", _, _) => "thr_local",
        _ => "lat_remote",
    };
}

/// <summary>
/// bench/run.sh's raw results: one line per summary line,
/// <c>transport=… test=… sender=… receiver=… size=… phase=… warmup=… rep=… | LINE</c>, where sender is the throughput
/// sender or latency client and receiver the throughput receiver or echo, and LINE ends with the CPU seconds its
/// process used (<c>cpu_user_s=… cpu_sys_s=…</c>). Lines without a phase (older runs) are warm. Each metric is the
/// median over the repetitions.
/// </summary>
internal sealed class ResultSet
{
    private readonly List<(Dictionary<string, string> Tags, Dictionary<string, string> Fields)> _rows = [];

    public static ResultSet Load(string path)
    {
        var set = new ResultSet();
        foreach (var line in File.ReadLines(path))
        {
            var bar = line.IndexOf(" | ", StringComparison.Ordinal);
            if (bar < 0)
                continue;
            var tags = SummaryLine.Parse("tags " + line[..bar]);
            tags.TryAdd("phase", "warm");
            set._rows.Add((tags, SummaryLine.Parse(line[(bar + 3)..])));
        }
        return set;
    }

    public IEnumerable<int> Sizes => _rows.Select(r => int.Parse(r.Tags["size"], CultureInfo.InvariantCulture)).Distinct().Order();

    public int Repetitions => _rows.Select(r => r.Tags.GetValueOrDefault("rep")).Distinct().Count();

    /// <summary>Whether any run of <paramref name="implementation"/> against itself over <paramref name="transport"/> is in the results.</summary>
    public bool Has(string transport, string implementation) =>
        _rows.Any(r => r.Tags["transport"] == transport && r.Tags["sender"] == implementation && r.Tags["receiver"] == implementation);

    /// <summary>Median of <paramref name="metric"/> over the cell's runs (their <see cref="Cell.Kind"/> lines); null when none ran.</summary>
    public double? Median(Cell cell, string metric) => Median(Values(cell, metric));

    /// <summary>Every repetition's value of <paramref name="metric"/> for one cell, smallest first.</summary>
    public double[] Values(Cell cell, string metric, string? kind = null) =>
        Rows(cell)
            .Where(r => r.Fields["kind"] == (kind ?? cell.Kind) && r.Fields.ContainsKey(metric))
            .Select(r => Number(r.Fields[metric]))
            .Order()
            .ToArray();

    /// <summary>Median of allocated bytes per message in the <paramref name="kind"/> line (a side of the cell).</summary>
    public double? AllocPerMessage(Cell cell, string? kind = null) =>
        Median(Values(cell, "alloc_bytes", kind)) is { } bytes && Median(Values(cell, "count", kind)) is { } count && count > 0
            ? bytes / count
            : null;

    /// <summary>
    /// Median over the repetitions of the CPU time (user + system) every process of the run used, start-up to exit,
    /// in microseconds per message moved (timed and warm-up): equal to CPU seconds per million messages.
    /// </summary>
    public double? CpuPerMessage(Cell cell) =>
        Median(Rows(cell)
            .GroupBy(r => r.Tags["rep"], StringComparer.Ordinal)
            .Where(run => run.All(r => r.Fields.ContainsKey("cpu_user_s") && r.Fields.ContainsKey("cpu_sys_s")))
            .Select(run =>
            {
                var seconds = run.Sum(r => Number(r.Fields["cpu_user_s"]) + Number(r.Fields["cpu_sys_s"]));
                var first = run.First();
                var messages = Number(first.Fields["count"]) + Number(first.Tags.GetValueOrDefault("warmup", "0"));
                return seconds * 1e6 / messages;
            })
            .Order()
            .ToArray());

    /// <summary>
    /// The tags of every run, once each (a network run has two lines): configuration, repetition, and, when run.sh
    /// measured it, <c>steal_pct</c> (CPU time the hypervisor took during the kept attempt) and <c>attempts</c>.
    /// </summary>
    public IReadOnlyList<Dictionary<string, string>> Runs =>
        _rows.Select(r => r.Tags)
            .DistinctBy(t => string.Join(' ', new[] { "transport", "test", "sender", "receiver", "size", "phase", "rep" }.Select(k => t.GetValueOrDefault(k))))
            .ToList();

    private IEnumerable<(Dictionary<string, string> Tags, Dictionary<string, string> Fields)> Rows(Cell cell)
    {
        var size = cell.Size.ToString(CultureInfo.InvariantCulture);
        return _rows.Where(r => r.Tags["transport"] == cell.Transport && r.Tags["test"] == cell.Test &&
                                r.Tags["sender"] == cell.Sender && r.Tags["receiver"] == cell.Receiver &&
                                r.Tags["size"] == size && r.Tags["phase"] == cell.Phase);
    }

    private static double? Median(double[] values)
    {
        if (values.Length == 0)
            return null;
        var middle = values.Length / 2;
        return values.Length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    private static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);
}
