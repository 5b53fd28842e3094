using System.Diagnostics;
using Expair.Internal;
using static Expair.SocketEventKind;

namespace Expair.Tests.Events;

/// <summary>The monitor's buffer: drop-oldest, never blocking the writer, ending after Closed.</summary>
public class SocketMonitorTests
{
    private static SocketEvent Numbered(int i) => new() { Kind = Accepted, Count = i };

    [Fact]
    public void FullBuffer_DropsOldest_ReportsHowManyBeforeTheNewest()
    {
        var buffer = new EventBuffer(3);
        for (var i = 0; i < 10; i++)
            buffer.Write(Numbered(i));

        Assert.True(buffer.TryRead(out var dropped));
        Assert.Equal(EventsDropped, dropped.Kind);
        Assert.Equal(7, dropped.Count);
        var rest = new List<int>();
        while (buffer.TryRead(out var e))
            rest.Add(e.Count);
        Assert.Equal([7, 8, 9], rest);
    }

    [Fact]
    public void MillionWrites_NobodyReading_NeverBlockAndStayBounded()
    {
        var buffer = new EventBuffer(8);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 1_000_000; i++)
            buffer.Write(Numbered(i));
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.True(buffer.TryRead(out var dropped));
        Assert.Equal(1_000_000 - 8, dropped.Count);
        var count = 0;
        while (buffer.TryRead(out _))
            count++;
        Assert.Equal(8, count);
    }

    [Fact]
    public async Task WaitToRead_WakesOnWrite_AndEndsAfterComplete()
    {
        var buffer = new EventBuffer(4);
        var waiting = buffer.WaitToReadAsync(CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        buffer.Write(Numbered(1));
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        buffer.Complete();
        Assert.True(await buffer.WaitToReadAsync(CancellationToken.None)); // what was buffered stays readable
        Assert.True(buffer.TryRead(out _));
        Assert.False(await buffer.WaitToReadAsync(CancellationToken.None));
        buffer.Write(Numbered(2)); // after the end: ignored
        Assert.False(buffer.TryRead(out _));
    }

    [Fact]
    public async Task WaitToRead_Cancelled_Throws()
    {
        var buffer = new EventBuffer(4);
        using var cancel = new CancellationTokenSource();
        var waiting = buffer.WaitToReadAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public async Task MonitorOpenedLate_SeesOnlyLaterEvents_NothingRecordedBefore()
    {
        var server = new PairSocket();
        var endpoint = server.Bind($"inproc://late-{Guid.NewGuid():N}");
        var events = new MonitorReading(server.Monitor());
        Assert.False(events.Monitor.TryRead(out _));
        server.Dispose();
        await events.ToEndAsync();
        events.AssertKinds(Closed);
        Assert.Equal(endpoint, events.Seen[0].Endpoint);
    }

    [Fact]
    public async Task DisposedMonitor_EndsItsStream_OthersKeepReceiving()
    {
        using var server = new PairSocket();
        var stopped = server.Monitor();
        var kept = new MonitorReading(server.Monitor());
        stopped.Dispose();
        server.Bind($"inproc://stop-{Guid.NewGuid():N}");
        Assert.False(await stopped.WaitToReadAsync());
        Assert.Equal(Listening, (await kept.NextAsync()).Kind);
    }

    [Fact]
    public void Monitor_BadCapacityOrClosedSocket_Throws()
    {
        var socket = new PairSocket();
        Assert.Throws<ArgumentOutOfRangeException>(() => socket.Monitor(0));
        socket.Dispose();
        Assert.Throws<ObjectDisposedException>(() => socket.Monitor());
    }
}
