using System.Diagnostics;

namespace Expair.Engine;

/// <summary>
/// The one thread that runs every connection's heartbeat checks at their due times (37/ZMTP heartbeats): started on
/// first use, asleep until the earliest due time. Not the thread pool, so a starved pool never delays a PING or a
/// timeout (a late PING lets a peer with a TTL drop a healthy link); not a connection's send thread, which may be
/// blocked in a write to a peer that stopped reading, exactly when a timeout must still fire. A check is short and
/// never blocks: a lock, a comparison, then a signal or a stop that only wakes the connection's own threads.
/// </summary>
internal sealed class HeartbeatClock
{
    public static HeartbeatClock Shared { get; } = new();

    private readonly object _gate = new(); // a monitor: the thread sleeps on it with a timeout
    private readonly PriorityQueue<Heartbeater, long> _due = new();
    private Thread? _thread;

    /// <summary>Entries held, stale ones included (tests check that ended connections leave none).</summary>
    public int Count
    {
        get { lock (_gate) return _due.Count; }
    }

    /// <summary>
    /// Calls <see cref="Heartbeater.OnDue"/> at Stopwatch time <paramref name="due"/>. An earlier entry of the same
    /// heartbeater stays: the heartbeater ignores an entry whose time is no longer its own.
    /// </summary>
    public void Schedule(Heartbeater heartbeater, long due)
    {
        lock (_gate)
        {
            var earliest = _due.TryPeek(out _, out var first) ? first : long.MaxValue;
            _due.Enqueue(heartbeater, due);
            if (_thread is null)
                _thread = IoThread.Start(Run, "Expair heartbeats");
            else if (due < earliest)
                Monitor.Pulse(_gate); // the thread sleeps until a later time
        }
    }

    /// <summary>Drops every entry of a heartbeater whose connection ended, so the clock holds nothing of it.</summary>
    public void Cancel(Heartbeater heartbeater)
    {
        lock (_gate)
        {
            while (_due.Remove(heartbeater, out _, out _))
            {
            }
        }
    }

    private void Run()
    {
        while (true)
        {
            Heartbeater next;
            long due;
            lock (_gate)
            {
                while (true)
                {
                    if (!_due.TryPeek(out next!, out due))
                    {
                        Monitor.Wait(_gate);
                        continue;
                    }
                    var wait = due - Stopwatch.GetTimestamp();
                    if (wait <= 0)
                        break;
                    Monitor.Wait(_gate, TimeSpan.FromMilliseconds(Math.Ceiling(wait * 1000.0 / Stopwatch.Frequency))); // may wake early: looks again
                }
                _due.Dequeue();
            }
            next.OnDue(due);
        }
    }
}
