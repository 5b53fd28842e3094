namespace Expair.Tests.Events;

/// <summary>Reads a <see cref="SocketMonitor"/> with a timeout on every wait, keeping what it read for failure messages.</summary>
internal sealed class MonitorReading(SocketMonitor monitor)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public List<SocketEvent> Seen { get; } = [];

    public SocketMonitor Monitor => monitor;

    /// <summary>The next event; fails if none comes in time or the stream ends.</summary>
    public async Task<SocketEvent> NextAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            if (!await monitor.WaitToReadAsync(timeout.Token))
                Assert.Fail($"The monitor ended. Events so far:\n{Describe(Seen)}");
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"No event within {Patience.TotalSeconds} s. Events so far:\n{Describe(Seen)}");
        }
        Assert.True(monitor.TryRead(out var socketEvent));
        Seen.Add(socketEvent);
        return socketEvent;
    }

    /// <summary>Reads up to and including the first event of <paramref name="kind"/>; returns what it read.</summary>
    public async Task<List<SocketEvent>> UntilAsync(SocketEventKind kind)
    {
        var read = new List<SocketEvent>();
        while (true)
        {
            var next = await NextAsync();
            read.Add(next);
            if (next.Kind == kind)
                return read;
        }
    }

    /// <summary>Reads until the stream ends (after Closed); returns what it read.</summary>
    public async Task<List<SocketEvent>> ToEndAsync()
    {
        var read = new List<SocketEvent>();
        using var timeout = new CancellationTokenSource(Patience);
        await foreach (var socketEvent in monitor.ReadAllAsync(timeout.Token))
        {
            Seen.Add(socketEvent);
            read.Add(socketEvent);
        }
        return read;
    }

    /// <summary>Every event read so far must be exactly <paramref name="expected"/>, in order.</summary>
    public void AssertKinds(params SocketEventKind[] expected) =>
        Assert.True(expected.SequenceEqual(Seen.Select(e => e.Kind)),
            $"Expected:\n  {string.Join(", ", expected)}\nGot:\n{Describe(Seen)}");

    public static string Describe(IEnumerable<SocketEvent> events) => string.Join("\n", events.Select(e => "  " + e));
}
