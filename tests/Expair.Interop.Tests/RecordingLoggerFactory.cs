using Microsoft.Extensions.Logging;

namespace Expair.Interop.Tests;

/// <summary>One line Expair logged: its stable event id and the formatted text.</summary>
internal readonly record struct LogEntry(long Ms, int EventId, LogLevel Level, string Text)
{
    public override string ToString() => $"+{Ms} ms  {EventId} {Level}: {Text}";
}

/// <summary>
/// Records what a <see cref="PairSocket"/> logs (through <see cref="PairSocketOptions.LoggerFactory"/>), so a
/// test can wait for a documented event, such as "peer kept waiting" (200), instead of sleeping.
/// </summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory
{
    // Expair's stable event ids (src/Expair/Internal/Log.cs).
    public const int PeerConnectedEvent = 103;
    public const int PeerKeptWaitingEvent = 200;
    public const int WaitingPeerPromotedEvent = 202;
    public const int ProtocolErrorEvent = 300;
    public const int PeerSentErrorEvent = 301;
    public const int ReconnectStoppedEvent = 302;

    // A plain object, not System.Threading.Lock: Monitor.Wait/PulseAll need a monitor lock.
    private readonly object _lock = new();
    private readonly List<LogEntry> _entries = [];
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    /// <summary>Milliseconds since this factory was made: the clock of <see cref="LogEntry.Ms"/>.</summary>
    public long ElapsedMs => _clock.ElapsedMilliseconds;

    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>
    /// Waits for the <paramref name="occurrence"/>-th entry (1-based) with <paramref name="eventId"/> that
    /// satisfies <paramref name="match"/>; throws <see cref="TimeoutException"/> listing what was logged.
    /// </summary>
    public LogEntry WaitFor(int eventId, Func<LogEntry, bool>? match = null, int timeoutMs = 10_000, int occurrence = 1)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        lock (_lock)
        {
            while (true)
            {
                var found = _entries.Where(e => e.EventId == eventId && (match is null || match(e))).Skip(occurrence - 1).FirstOrDefault();
                if (found.Text is not null)
                {
                    return found;
                }

                long remaining = deadline - Environment.TickCount64;
                if (remaining <= 0)
                {
                    throw new TimeoutException(
                        $"Expair logged no event {eventId} (occurrence {occurrence}) within {timeoutMs} ms; it logged:{Environment.NewLine}{string.Join(Environment.NewLine, _entries)}");
                }

                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(remaining));
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Recorder(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private void Add(LogEntry entry)
    {
        lock (_lock)
        {
            _entries.Add(entry);
            Monitor.PulseAll(_lock);
        }
    }

    private sealed class Recorder(RecordingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add(new LogEntry(owner.ElapsedMs, eventId.Id, logLevel, formatter(state, exception)));
    }
}
