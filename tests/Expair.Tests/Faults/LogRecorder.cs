using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Expair.Tests.Faults;

/// <summary>Records every log event (id, level, named values) so a test can wait for and inspect them.</summary>
internal sealed class LogRecorder : ILoggerFactory
{
    private readonly ConcurrentQueue<Entry> _entries = new();
    private readonly object _lock = new();

    public sealed record Entry(int Id, LogLevel Level, string Text, IReadOnlyDictionary<string, object?> Values, long AtMs);

    public IReadOnlyList<Entry> Entries => [.. _entries];

    /// <summary>Waits until at least <paramref name="count"/> events with <paramref name="id"/> were logged.</summary>
    public bool WaitFor(int id, int count, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_lock)
        {
            while (_entries.Count(e => e.Id == id) < count)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                    return false;
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(left));
            }
        }
        return true;
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private void Add(Entry entry)
    {
        lock (_lock)
        {
            _entries.Enqueue(entry);
            Monitor.PulseAll(_lock);
        }
    }

    private sealed class Logger(LogRecorder owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.ToDictionary(p => p.Key, p => p.Value)
                : [];
            owner.Add(new Entry(eventId.Id, logLevel, formatter(state, exception), values, System.Diagnostics.Stopwatch.GetTimestamp() * 1000 / System.Diagnostics.Stopwatch.Frequency));
        }
    }
}
