namespace Expair.Internal;

/// <summary>
/// Rate-limits warnings a remote peer can repeat at will, such as one that reconnects after every refusal: the
/// first line for an (event id, reason) pair is written; identical ones within <see cref="Window"/> are only
/// counted; the next one after the window is written, and the count of those left out is reported with it. The
/// peer's address is not part of the key (each reconnect has a new port). Socket events are never limited.
/// </summary>
internal sealed class RepeatedWarnings
{
    /// <summary>Distinct reasons remembered at once; a peer sending ever-new reasons cannot grow the table further.</summary>
    private const int MaxReasons = 64;

    private readonly Lock _lock = new();
    private readonly Dictionary<(int EventId, string Reason), Entry> _entries = [];
    private readonly Func<long> _nowMs;

    /// <param name="window">How long an identical warning stays quiet after it was written.</param>
    /// <param name="nowMs">The clock in milliseconds (tests pass their own); <see cref="Environment.TickCount64"/> by default.</param>
    public RepeatedWarnings(TimeSpan window, Func<long>? nowMs = null)
    {
        Window = window;
        _nowMs = nowMs ?? (() => Environment.TickCount64);
    }

    public TimeSpan Window { get; }

    /// <summary>
    /// True when the warning should be written now; then <paramref name="leftOut"/> is how many identical ones were
    /// left out since the last one written.
    /// </summary>
    public bool ShouldWrite(int eventId, string reason, out int leftOut)
    {
        var now = _nowMs();
        lock (_lock)
        {
            if (_entries.TryGetValue((eventId, reason), out var entry))
            {
                if (now - entry.WrittenAtMs < (long)Window.TotalMilliseconds)
                {
                    entry.LeftOut++;
                    leftOut = 0;
                    return false;
                }
                leftOut = entry.LeftOut;
                entry.LeftOut = 0;
                entry.WrittenAtMs = now;
                return true;
            }
            if (_entries.Count >= MaxReasons)
                _entries.Clear(); // forget the counts rather than grow: at worst a repeat is written early
            _entries[(eventId, reason)] = new Entry { WrittenAtMs = now };
            leftOut = 0;
            return true;
        }
    }

    private sealed class Entry
    {
        public long WrittenAtMs;
        public int LeftOut;
    }
}
