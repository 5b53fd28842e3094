using System.Globalization;
using Expair.Cli.Bench;

namespace Expair.Benchmarks.Report;

/// <summary>
/// bench/run.sh's raw results: one line per summary line, <c>transport=… test=… sender=… receiver=… size=… rep=… | LINE</c>,
/// where sender is the throughput sender or latency client and receiver the throughput receiver or echo.
/// Each metric is the median over the repetitions.
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
            set._rows.Add((tags, SummaryLine.Parse(line[(bar + 3)..])));
        }
        return set;
    }

    public IEnumerable<int> Sizes => _rows.Select(r => int.Parse(r.Tags["size"], CultureInfo.InvariantCulture)).Distinct().Order();

    public int Repetitions => _rows.Select(r => r.Tags.GetValueOrDefault("rep")).Distinct().Count();

    /// <summary>Whether any run of <paramref name="implementation"/> against itself over <paramref name="transport"/> is in the results.</summary>
    public bool Has(string transport, string implementation) =>
        _rows.Any(r => r.Tags["transport"] == transport && r.Tags["sender"] == implementation && r.Tags["receiver"] == implementation);

    /// <summary>Median of <paramref name="metric"/> over the matching runs' <paramref name="kind"/> lines; null when none ran.</summary>
    public double? Median(string transport, string test, string sender, string receiver, int size, string kind, string metric)
    {
        var values = Values(transport, test, sender, receiver, size, kind, metric);
        if (values.Length == 0)
            return null;
        var middle = values.Length / 2;
        return values.Length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    /// <summary>Every repetition's value of <paramref name="metric"/> for one configuration, smallest first.</summary>
    public double[] Values(string transport, string test, string sender, string receiver, int size, string kind, string metric) =>
        _rows
            .Where(r => r.Tags["transport"] == transport && r.Tags["test"] == test && r.Tags["sender"] == sender &&
                        r.Tags["receiver"] == receiver && r.Tags["size"] == size.ToString(CultureInfo.InvariantCulture) &&
                        r.Fields["kind"] == kind && r.Fields.ContainsKey(metric))
            .Select(r => double.Parse(r.Fields[metric], CultureInfo.InvariantCulture))
            .Order()
            .ToArray();

    /// <summary>
    /// The tags of every run, once each (a network run has two lines): configuration, repetition, and, when run.sh
    /// measured it, <c>steal_pct</c> (CPU time the hypervisor took during the kept attempt) and <c>attempts</c>.
    /// </summary>
    public IReadOnlyList<Dictionary<string, string>> Runs =>
        _rows.Select(r => r.Tags)
            .DistinctBy(t => string.Join(' ', new[] { "transport", "test", "sender", "receiver", "size", "rep" }.Select(k => t.GetValueOrDefault(k))))
            .ToList();

    /// <summary>Median of allocated bytes per message on the <paramref name="kind"/> side.</summary>
    public double? AllocPerMessage(string transport, string test, string sender, string receiver, int size, string kind) =>
        Median(transport, test, sender, receiver, size, kind, "alloc_bytes") is { } bytes &&
        Median(transport, test, sender, receiver, size, kind, "count") is { } count && count > 0
            ? bytes / count
            : null;
}
