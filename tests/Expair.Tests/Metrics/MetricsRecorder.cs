using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Expair.Tests.Metrics;

/// <summary>
/// A <see cref="MeterListener"/> on the Expair meter that records every measurement with its tags. Tests in
/// parallel share the meter, so readings are always filtered by a socket's endpoint and role.
/// </summary>
internal sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, long Value, Dictionary<string, object?> Tags)> _events = new();

    public MetricsRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ExpairMetrics.MeterName)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
                copy[tag.Key] = tag.Value;
            _events.Enqueue((instrument.Name, value, copy));
        });
        _listener.Start();
    }

    /// <summary>The names of the instruments the listener found on the meter.</summary>
    public static HashSet<string> InstrumentNames()
    {
        var names = new HashSet<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == ExpairMetrics.MeterName)
                    names.Add($"{instrument.Name} {instrument.Unit} {instrument.GetType().Name.Split('`')[0]}");
            },
        };
        listener.Start();
        return names;
    }

    /// <summary>Sum of the counter's increments for this socket (optionally only those with <paramref name="reason"/>).</summary>
    public long Counted(string instrument, string endpoint, string role, string? reason = null) =>
        _events.Where(e => e.Instrument == instrument && Matches(e.Tags, endpoint, role)
                && (reason is null || Equals(e.Tags.GetValueOrDefault("expair.reason"), reason)))
            .Sum(e => e.Value);

    /// <summary>The observable instrument's value for this socket now, or null when the socket reports none.</summary>
    public long? Observe(string instrument, string endpoint, string role)
    {
        var mark = _events.Count;
        _listener.RecordObservableInstruments();
        var found = _events.Skip(mark).Where(e => e.Instrument == instrument && Matches(e.Tags, endpoint, role)).ToList();
        return found.Count == 0 ? null : Assert.Single(found).Value;
    }

    /// <summary>Waits, collecting again and again, until the observable instrument shows <paramref name="expected"/>.</summary>
    public void WaitForObserved(string instrument, string endpoint, string role, long expected)
    {
        long? seen = null;
        var reached = SpinWait.SpinUntil(() => (seen = Observe(instrument, endpoint, role)) == expected, TimeSpan.FromSeconds(10));
        Assert.True(reached, $"{instrument} for {role} {endpoint} stayed at {seen?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, expected {expected}");
    }

    private static bool Matches(Dictionary<string, object?> tags, string endpoint, string role) =>
        Equals(tags.GetValueOrDefault("expair.endpoint"), endpoint) && Equals(tags.GetValueOrDefault("expair.role"), role);

    public void Dispose() => _listener.Dispose();
}
