using System.Text;
using Expair.Core;
using Expair.Internal;

namespace Expair.Tests.Unit;

/// <summary>
/// A writer held at the high-water mark is woken when the queue drains to the low-water mark, not after every
/// read; one whose wait runs out still takes any room there is.
/// </summary>
public class LowWaterTests
{
    private static Frame F(string text) => Frame.Copy(Encoding.UTF8.GetBytes(text), more: false);

    /// <summary>A pipe at its high-water mark whose writer found it full, so it waits for room.</summary>
    private static Pipe Full(int capacity)
    {
        var pipe = new Pipe(capacity);
        for (var i = 0; i < capacity; i++)
            Assert.Equal(WriteResult.Written, pipe.TryWrite([F($"m{i}")]));
        Assert.Equal(WriteResult.Full, pipe.TryWrite([F("late")]));
        return pipe;
    }

    [Theory]
    [InlineData(10, 5)] // half
    [InlineData(11, 6)]
    [InlineData(2, 1)]
    [InlineData(5000, 3976)] // 1024 below a large mark, as libzmq
    public void Reads_WakeTheWriter_OnlyAtTheLowWaterMark(int capacity, int lowWater)
    {
        var pipe = Full(capacity);
        var frames = new List<Frame>();
        var seen = pipe.Writable.Version;
        while (pipe.Count > lowWater + 1)
            Assert.Equal(ReadResult.Message, pipe.TryRead(frames));
        Assert.Equal(seen, pipe.Writable.Version);

        Assert.Equal(ReadResult.Message, pipe.TryReadSingle(int.MaxValue, out _, out _));
        Assert.Equal(lowWater, pipe.Count);
        Assert.NotEqual(seen, pipe.Writable.Version);
    }

    [Fact]
    public void BatchRead_WakesTheWriter_WhenItCrossesTheLowWaterMark()
    {
        var pipe = Full(10);
        var seen = pipe.Writable.Version;
        var into = new Frame[4];
        Assert.Equal(4, pipe.TryReadFrames(into)); // 6 left: above 5
        Assert.Equal(seen, pipe.Writable.Version);
        Assert.Equal(4, pipe.TryReadFrames(into)); // 2 left
        Assert.NotEqual(seen, pipe.Writable.Version);
    }

    [Fact]
    public void LargeReads_WakeAWaitingWriterEveryTime()
    {
        var pipe = new Pipe(10);
        for (var i = 0; i < 10; i++)
            Assert.Equal(WriteResult.Written, pipe.TryWrite([Frame.Copy(new byte[32 * 1024], more: false)]));
        Assert.Equal(WriteResult.Full, pipe.TryWrite([F("late")]));
        var frames = new List<Frame>();
        var seen = pipe.Writable.Version;
        Assert.Equal(ReadResult.Message, pipe.TryRead(frames)); // 9 left, far above the low-water mark
        Assert.NotEqual(seen, pipe.Writable.Version);

        Assert.Equal(WriteResult.Written, pipe.TryWrite([Frame.Copy(new byte[32 * 1024], more: false)]));
        Assert.Equal(WriteResult.Full, pipe.TryWrite([F("late")]));
        seen = pipe.Writable.Version;
        Assert.Equal(1, pipe.TryReadFrames(new Frame[1]));
        Assert.NotEqual(seen, pipe.Writable.Version);
    }

    [Fact]
    public void Reads_WithNoWriterWaiting_LeaveWritableAlone()
    {
        var pipe = new Pipe(10);
        for (var i = 0; i < 10; i++)
            Assert.Equal(WriteResult.Written, pipe.TryWrite([i % 2 == 0 ? F($"m{i}") : Frame.Copy(new byte[32 * 1024], more: false)]));
        var seen = pipe.Writable.Version;
        var frames = new List<Frame>();
        while (pipe.TryRead(frames) == ReadResult.Message)
        {
        }
        Assert.Equal(seen, pipe.Writable.Version); // small and large reads, down to empty: nobody to wake
    }

    [Fact]
    public void CompleteSent_WakesOnlyAFlushWaiter_AndDiscardAlwaysWakes()
    {
        var pipe = new Pipe(10);
        var into = new Frame[1];
        Assert.Equal(WriteResult.Written, pipe.TryWrite([F("a")]));
        Assert.Equal(1, pipe.TryReadFrames(into));
        var seen = pipe.Writable.Version;
        pipe.CompleteSent(1); // nobody flushing
        Assert.Equal(seen, pipe.Writable.Version);

        Assert.Equal(WriteResult.Written, pipe.TryWrite([F("b")]));
        Assert.Equal(1, pipe.TryReadFrames(into));
        Assert.False(pipe.IsIdleElseWatch()); // what linger does: the message is still in flight
        pipe.CompleteSent(1);
        Assert.NotEqual(seen, pipe.Writable.Version);
        Assert.True(pipe.IsIdleElseWatch());

        seen = pipe.Writable.Version;
        pipe.Discard();
        Assert.NotEqual(seen, pipe.Writable.Version);
    }

    [Fact]
    public void TrySend_WaitingWhileRoomFreesAboveTheLowWaterMark_TakesItAtItsDeadline()
    {
        // inproc capacity is the two marks together: 2 + 2 = 4, low-water mark 2.
        var options = PairSocketOptions.Default with { SendHighWaterMark = 2, ReceiveHighWaterMark = 2 };
        using var server = new PairSocket(options);
        using var client = new PairSocket(options);
        client.Connect(server.Bind($"inproc://low-water-{Guid.NewGuid()}"));
        var queued = 0;
        while (client.TrySend($"m{queued}", TimeSpan.Zero))
            queued++;
        Assert.Equal(4, queued);

        var sender = Task.Factory.StartNew(() => client.TrySend("late", TimeSpan.FromSeconds(1)), TaskCreationOptions.LongRunning);
        // Only once the sender sleeps in its wait does the read below free room without waking it.
        var writable = Probes.Of(client).Outbound!.Writable;
        Assert.True(SpinWait.SpinUntil(() => writable.Waiters == 1, TimeSpan.FromSeconds(10)));
        var version = writable.Version;
        Assert.Equal("m0", server.ReceiveString()); // 3 left: above the low-water mark, no wake-up
        Assert.Equal(version, writable.Version);
        Assert.True(sender.Wait(TimeSpan.FromSeconds(10)));
        Assert.True(sender.Result);
        foreach (var expected in new[] { "m1", "m2", "m3", "late" })
            Assert.Equal(expected, server.ReceiveString());
    }
}
