using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Expair.Tests.Hostile;

/// <summary>The line of peers held while the PAIR slot is taken: bounded, logged, promoted in order.</summary>
public class WaitingLineTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task PeersBeyondMaxWaiting_AreClosed_WaitingOnesAreLogged()
    {
        var logs = new RecordingLoggerFactory();
        using var server = new PairSocket(new PairSocketOptions { MaxWaitingPeers = 1, ReceiveTimeout = Patience, LoggerFactory = logs });
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using var first = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        first.Connect(endpoint);
        first.Send("first");
        Assert.Equal("first", server.ReceiveString());

        using var waiting = await RawPeer.ConnectAsync(endpoint);
        await waiting.SendAsync([.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR")]);
        Assert.Equal(64, (await waiting.ReadExactlyAsync(64, Patience)).Length); // greeting only: READY withheld
        Assert.True(logs.WaitFor(200, Patience), "event 200: peer kept waiting");

        using var extra = await RawPeer.ConnectAsync(endpoint);
        await extra.SendAsync([.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR")]);
        Assert.Equal(64, (await extra.ReadUntilClosedAsync(Patience)).Length); // greeting, then closed: line full
        Assert.True(logs.WaitFor(201, Patience), "event 201: peer refused, line full");

        first.Dispose();
        Assert.Equal(RawPeer.Ready("PAIR"), await waiting.ReadExactlyAsync(RawPeer.Ready("PAIR").Length, Patience));
        Assert.True(logs.WaitFor(202, Patience), "event 202: waiting peer promoted");
    }
}

/// <summary>Collects log event ids (and their text) so a test can wait for one.</summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory
{
    private readonly BlockingCollection<int> _events = [];
    private readonly ConcurrentBag<int> _seen = [];
    private readonly ConcurrentQueue<(int Id, string Text)> _entries = [];

    /// <summary>Every line logged so far, in order: its event id and text.</summary>
    public IReadOnlyList<(int Id, string Text)> Lines => [.. _entries];

    /// <summary>The text of every entry logged so far with <paramref name="eventId"/>, in order.</summary>
    public string[] Texts(int eventId) => [.. _entries.Where(e => e.Id == eventId).Select(e => e.Text)];

    /// <summary>Everything logged so far, for failure messages.</summary>
    public override string ToString() => string.Join(Environment.NewLine, _entries.Select(e => $"{e.Id}: {e.Text}"));

    /// <summary>Waits until <paramref name="eventId"/> was logged <paramref name="count"/> times; false on timeout.</summary>
    public bool WaitFor(int eventId, TimeSpan timeout, int count = 1)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Logged(eventId) < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !_events.TryTake(out _, left))
                return Logged(eventId) >= count;
        }
        return true;
    }

    private int Logged(int eventId) => _seen.Count(seen => seen == eventId);

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private sealed class Logger(RecordingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._entries.Enqueue((eventId.Id, formatter(state, exception)));
            owner._seen.Add(eventId.Id);
            owner._events.Add(eventId.Id);
        }
    }
}
