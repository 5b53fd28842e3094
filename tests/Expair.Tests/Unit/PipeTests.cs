using System.Text;
using Expair.Core;
using Expair.Internal;

namespace Expair.Tests.Unit;

public class PipeTests
{
    private static Frame F(string text) => Frame.Copy(Encoding.UTF8.GetBytes(text), more: false);

    private static string[] Texts(List<Frame> frames) => frames.Select(f => Encoding.UTF8.GetString(f.Span)).ToArray();

    /// <summary>Takes one frame, as the engine's batch read does with a batch of one.</summary>
    private static bool TryReadFrame(Pipe pipe, out Frame frame)
    {
        var one = new Frame[1];
        var taken = pipe.TryReadFrames(one) == 1;
        frame = one[0];
        return taken;
    }

    private static string[] Read(Pipe pipe)
    {
        var frames = new List<Frame>();
        Assert.Equal(ReadResult.Message, pipe.TryRead(frames));
        return Texts(frames);
    }

    [Fact]
    public void TryWrite_HighWaterMarkCountsMessagesNotFrames()
    {
        var pipe = new Pipe(capacity: 2);
        Assert.Equal(WriteResult.Written, pipe.TryWrite([F("a1"), F("a2"), F("a3")]));
        Assert.Equal(WriteResult.Written, pipe.TryWrite([F("b1"), F("b2"), F("b3")]));
        Assert.Equal(WriteResult.Full, pipe.TryWrite([F("c")]));
        Assert.Equal(2, pipe.Count);
    }

    [Fact]
    public void TryWrite_AfterReadFromFullPipe_IsWrittenAgain()
    {
        var pipe = new Pipe(capacity: 1);
        Assert.Equal(WriteResult.Written, pipe.TryWrite([F("a")]));
        Assert.Equal(WriteResult.Full, pipe.TryWrite([F("b")]));
        Read(pipe);
        Assert.Equal(WriteResult.Written, pipe.TryWrite([F("b")]));
    }

    [Fact]
    public void TryWrite_Force_IgnoresHighWaterMark()
    {
        var pipe = new Pipe(capacity: 1);
        pipe.TryWrite([F("a")]);
        Assert.Equal(WriteResult.Written, pipe.TryWrite([F("b")], force: true));
        Assert.Equal(2, pipe.Count);
    }

    [Fact]
    public void TryWrite_CapacityZero_HasNoLimit()
    {
        var pipe = new Pipe(capacity: 0);
        for (var i = 0; i < 5000; i++)
            Assert.Equal(WriteResult.Written, pipe.TryWrite([F("x")]));
        Assert.Equal(5000, pipe.Count);
    }

    [Fact]
    public void TryRead_ReturnsWholeMessagesInOrderWithMoreFlags()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("a"), F("b")]);
        pipe.TryWrite([F("c")]);

        var frames = new List<Frame>();
        Assert.Equal(ReadResult.Message, pipe.TryRead(frames));
        Assert.Equal(["a", "b"], Texts(frames));
        Assert.Equal([true, false], frames.Select(f => f.More));
        Assert.Equal(["c"], Read(pipe));
        Assert.Equal(ReadResult.Empty, pipe.TryRead(frames));
        Assert.Equal(2, frames.Count);
    }

    [Fact]
    public void TryRead_ManyMessagesThroughWrappedAndGrownRing_KeepsOrder()
    {
        var pipe = new Pipe(0);
        var next = 0;
        var expected = 0;
        for (var round = 0; round < 20; round++)
        {
            for (var i = 0; i < round + 3; i++, next++)
                pipe.TryWrite([F($"{next}-a"), F($"{next}-b"), F($"{next}-c")]);
            for (var i = 0; i < 2; i++, expected++)
                Assert.Equal([$"{expected}-a", $"{expected}-b", $"{expected}-c"], Read(pipe));
        }
        while (expected < next)
        {
            Assert.Equal([$"{expected}-a", $"{expected}-b", $"{expected}-c"], Read(pipe));
            expected++;
        }
        Assert.Equal(0, pipe.Count);
    }

    [Fact]
    public void TryRead_SingleFrameOnlyOnMultipart_LeavesItQueued()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("a"), F("b")]);
        var frames = new List<Frame>();
        Assert.Equal(ReadResult.Multipart, pipe.TryRead(frames, singleFrameOnly: true));
        Assert.Empty(frames);
        Assert.Equal(1, pipe.Count);
        Assert.Equal(["a", "b"], Read(pipe));
    }

    [Fact]
    public void TryRead_SingleFrameOnlyOnSingleFrame_ReadsIt()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("a")]);
        var frames = new List<Frame>();
        Assert.Equal(ReadResult.Message, pipe.TryRead(frames, singleFrameOnly: true));
        Assert.Equal(["a"], Texts(frames));
    }

    [Fact]
    public void CloseWriter_QueuedStaysReadableThenFinished()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("a")]);
        pipe.TryWrite([F("b"), F("c")]);
        pipe.CloseWriter();

        Assert.True(pipe.IsWriterClosed);
        Assert.False(pipe.IsFinished);
        Assert.Equal(WriteResult.Closed, pipe.TryWrite([F("late")]));
        Assert.Equal(["a"], Read(pipe));
        Assert.Equal(["b", "c"], Read(pipe));
        Assert.True(pipe.IsFinished);
        Assert.Equal(ReadResult.Finished, pipe.TryRead([]));
    }

    [Fact]
    public void Discard_DropsQueuedAndRefusesWrites()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("a")]);
        pipe.TryWrite([F("b"), F("c")]);
        pipe.TryWrite([F("d")]);

        Assert.Equal(3, pipe.Discard());
        Assert.Equal(0, pipe.Count);
        Assert.True(pipe.IsFinished);
        Assert.True(pipe.IsWriterClosed);
        Assert.True(pipe.IsIdle);
        Assert.Equal(WriteResult.Closed, pipe.TryWrite([F("e")]));
        Assert.Equal(ReadResult.Finished, pipe.TryRead([]));
        Assert.False(TryReadFrame(pipe, out _));
    }

    [Fact]
    public void Discard_AfterPartialFrameRead_CountsOnlyWholeQueuedMessages()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("a"), F("b")]);
        pipe.TryWrite([F("c")]);
        Assert.True(TryReadFrame(pipe, out _)); // "a": its message is still counted until "b" is taken
        Assert.Equal(2, pipe.Discard());
    }

    [Fact]
    public void Unread_PutsFramesBackAtTheFront()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("a"), F("b")]);
        pipe.TryWrite([F("c")]);
        Assert.True(TryReadFrame(pipe, out var a));
        Assert.True(TryReadFrame(pipe, out var b));
        Assert.Equal(1, pipe.Count);

        pipe.Unread([a, b]);

        Assert.Equal(2, pipe.Count);
        Assert.Equal(["a", "b"], Read(pipe));
        Assert.Equal(["c"], Read(pipe));
        Assert.True(pipe.IsIdle);
    }

    [Fact]
    public void Unread_PartOfAMessage_RestoresWholeMessage()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("a"), F("b"), F("c")]);
        Assert.True(TryReadFrame(pipe, out var a));
        pipe.Unread([a]);
        Assert.Equal(1, pipe.Count);
        Assert.Equal(["a", "b", "c"], Read(pipe));
        Assert.True(pipe.IsIdle);
    }

    [Fact]
    public void Unread_AfterRingGrew_KeepsOrder()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("first")]);
        Assert.True(TryReadFrame(pipe, out var first));
        for (var i = 0; i < 40; i++)
            pipe.TryWrite([F($"m{i}")]);
        pipe.Unread([first]);
        Assert.Equal(["first"], Read(pipe));
        for (var i = 0; i < 40; i++)
            Assert.Equal([$"m{i}"], Read(pipe));
    }

    [Fact]
    public void Unread_IntoAFullRing_GrowsItAndKeepsOrder()
    {
        var pipe = new Pipe(0);
        for (var i = 0; i < 16; i++) // the ring's first size
            pipe.TryWrite([F($"a{i}")]);
        var taken = new Frame[16];
        Assert.Equal(16, pipe.TryReadFrames(taken));
        for (var i = 0; i < 16; i++) // every slot the reader freed is filled again
            pipe.TryWrite([F($"b{i}")]);
        pipe.Unread(taken); // no free slot in front: the ring must grow, the writer's next slot must move with it
        pipe.TryWrite([F("c")]);
        Assert.Equal(33, pipe.Count);
        var expected = Enumerable.Range(0, 16).Select(i => $"a{i}").Concat(Enumerable.Range(0, 16).Select(i => $"b{i}")).Append("c");
        foreach (var text in expected)
            Assert.Equal([text], Read(pipe));
        Assert.Equal(ReadResult.Empty, pipe.TryRead([]));
    }

    [Fact]
    public void Unread_OnDiscardedPipe_DropsFrames()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("a")]);
        Assert.True(TryReadFrame(pipe, out var a));
        pipe.Discard();
        pipe.Unread([a]);
        Assert.Equal(0, pipe.Count);
        Assert.Equal(ReadResult.Finished, pipe.TryRead([]));
    }

    [Fact]
    public void SetCapacity_RaisesLimitAndSignalsWriters()
    {
        var pipe = new Pipe(capacity: 1);
        pipe.TryWrite([F("a")]);
        Assert.Equal(WriteResult.Full, pipe.TryWrite([F("b")]));
        var seen = pipe.Writable.Version;

        pipe.SetCapacity(2);

        Assert.NotEqual(seen, pipe.Writable.Version);
        Assert.Equal(WriteResult.Written, pipe.TryWrite([F("b")]));
        Assert.Equal(WriteResult.Full, pipe.TryWrite([F("c")]));
    }

    [Fact]
    public void IsIdle_StaysFalseWhileFrameReadMessageIsInFlight()
    {
        var pipe = new Pipe(0);
        Assert.True(pipe.IsIdle);
        pipe.TryWrite([F("a"), F("b")]);
        Assert.False(pipe.IsIdle);

        Assert.True(TryReadFrame(pipe, out var a));
        Assert.True(a.More);
        Assert.False(pipe.IsIdle);
        Assert.True(TryReadFrame(pipe, out var b));
        Assert.False(b.More);
        Assert.Equal(0, pipe.Count);
        Assert.False(pipe.IsIdle); // taken but not yet handed to the OS

        pipe.CompleteSent(1);
        Assert.True(pipe.IsIdle);
        Assert.False(TryReadFrame(pipe, out _));
    }

    [Fact]
    public void Signals_WakeOnlyASideThatFoundNothingToDo()
    {
        var pipe = new Pipe(capacity: 1);
        var readable = pipe.Readable.Version;
        pipe.TryWrite([F("a")]); // no reader looked yet: nobody to wake
        Assert.Equal(readable, pipe.Readable.Version);
        Assert.Equal(WriteResult.Full, pipe.TryWrite([F("b")])); // the writer now waits for room

        var writable = pipe.Writable.Version;
        Read(pipe);
        Assert.NotEqual(writable, pipe.Writable.Version);
        Assert.Equal(ReadResult.Empty, pipe.TryRead([]));
        Assert.True(pipe.PrepareToWaitReadable()); // the reader now waits for a message
        readable = pipe.Readable.Version;
        pipe.TryWrite([F("c")]);
        Assert.NotEqual(readable, pipe.Readable.Version);

        writable = pipe.Writable.Version;
        readable = pipe.Readable.Version;
        Read(pipe); // nobody waits for room
        pipe.TryWrite([F("d")]); // the reader has not looked since its wake-up
        Assert.Equal(writable, pipe.Writable.Version);
        Assert.Equal(readable, pipe.Readable.Version);
    }

    [Fact]
    public void BatchWrite_WakesAReaderThatFoundThePipeEmpty()
    {
        var pipe = new Pipe(capacity: 0);
        Assert.Equal(0, pipe.TryReadFrames(new Frame[4]));
        var readable = pipe.Readable.Version;
        Assert.Equal(1, pipe.TryWriteMessages([F("a")], out _)); // nobody waits yet
        Assert.Equal(readable, pipe.Readable.Version);
        Assert.Equal(1, pipe.TryReadFrames(new Frame[4]));
        Assert.True(pipe.PrepareToWaitReadable());
        Assert.Equal(1, pipe.TryWriteMessages([F("a")], out var result));
        Assert.Equal(WriteResult.Written, result);
        Assert.NotEqual(readable, pipe.Readable.Version);
    }

    /// <summary>
    /// A writer and a reader on two threads, each waiting on the other's signal only after finding nothing to do
    /// (the reader after <see cref="Pipe.PrepareToWaitReadable"/>, as every reader that waits does):
    /// with a mark of 3 they wait often, and a lost wake-up would leave one asleep until the deadline.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(0)]
    public void TwoThreads_WaitingOnEachOther_MoveEveryMessageInOrder(int capacity)
    {
        const int messages = 200_000;
        var pipe = new Pipe(capacity);
        var deadline = Deadline.After(TimeSpan.FromSeconds(30));
        var writer = Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < messages; i++)
            {
                var frame = Frame.Copy(BitConverter.GetBytes(i), more: false);
                while (true)
                {
                    var seen = pipe.Writable.Version;
                    if (pipe.TryWrite([frame]) == WriteResult.Written)
                        break;
                    Assert.True(pipe.Writable.Wait(seen, deadline), $"writer stuck at message {i}");
                }
            }
            pipe.CloseWriter();
        }, TaskCreationOptions.LongRunning);
        var next = 0;
        while (true)
        {
            var seen = pipe.Readable.Version;
            var result = pipe.TryReadSingle(int.MaxValue, out var frame, out _);
            if (result == ReadResult.Finished)
                break;
            if (result == ReadResult.Empty)
            {
                if (pipe.PrepareToWaitReadable())
                    Assert.True(pipe.Readable.Wait(seen, deadline), $"reader stuck after message {next}");
                continue;
            }
            Assert.Equal(ReadResult.Message, result);
            Assert.Equal(next++, BitConverter.ToInt32(frame.Span));
        }
        writer.GetAwaiter().GetResult();
        Assert.Equal(messages, next);
    }

    /// <summary>Two senders on one pipe (the writer's lock) and a batch reader: every message once, each sender's in order.</summary>
    [Fact]
    public void TwoWriters_OneBatchReader_EveryMessageOnceInEachWritersOrder()
    {
        const int perWriter = 100_000;
        var pipe = new Pipe(capacity: 7);
        var deadline = Deadline.After(TimeSpan.FromSeconds(30));
        var writers = Enumerable.Range(0, 2).Select(w => Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                // Two frames: a reader that sees a message's first frame must find its second.
                var message = new[] { Frame.Copy([(byte)w], more: true), Frame.Copy(BitConverter.GetBytes(i), more: false) };
                while (true)
                {
                    var seen = pipe.Writable.Version;
                    if (pipe.TryWrite(message) == WriteResult.Written)
                        break;
                    Assert.True(pipe.Writable.Wait(seen, deadline), $"writer {w} stuck at message {i}");
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        var next = new int[2];
        var batch = new Frame[5]; // odd: messages are cut across batches
        int? writerOfCut = null;
        while (next[0] + next[1] < 2 * perWriter)
        {
            var seen = pipe.Readable.Version;
            var count = pipe.TryReadFrames(batch);
            if (count == 0)
            {
                if (pipe.PrepareToWaitReadable())
                    Assert.True(pipe.Readable.Wait(seen, deadline), $"reader stuck after {next[0]} + {next[1]}");
                continue;
            }
            foreach (var frame in batch.AsSpan(0, count))
            {
                if (frame.More)
                {
                    Assert.Null(writerOfCut);
                    writerOfCut = frame.Span[0];
                    continue;
                }
                var writer = writerOfCut ?? throw new Xunit.Sdk.XunitException("second frame without a first");
                Assert.Equal(next[writer]++, BitConverter.ToInt32(frame.Span));
                writerOfCut = null;
            }
            pipe.CompleteSent(0);
        }
        Task.WaitAll(writers);
        Assert.Equal(0, pipe.Count);
    }

    [Fact]
    public async Task WaitDelivered_WhenIdle_ReturnsTrue()
    {
        var pipe = new Pipe(0);
        Assert.True(await PipeFlush.WaitDeliveredAsync(new Pipe(0), Deadline.After(TimeSpan.Zero), CancellationToken.None));
        pipe.TryWrite([F("a")]);
        Read(pipe);
        Assert.True(await PipeFlush.WaitDeliveredAsync(pipe, Deadline.After(TimeSpan.Zero), CancellationToken.None));
    }

    [Fact]
    public async Task WaitDelivered_NotIdleAtDeadline_ReturnsFalse()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("a")]);
        Assert.False(await PipeFlush.WaitDeliveredAsync(pipe, Deadline.After(TimeSpan.FromMilliseconds(30)), CancellationToken.None));
    }

    [Fact]
    public async Task WaitDelivered_CompletesWhenInFlightMessageIsSent()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("a")]);
        Assert.True(TryReadFrame(pipe, out _));
        var waiting = PipeFlush.WaitDeliveredAsync(pipe, Deadline.After(TimeSpan.FromSeconds(10)), CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        pipe.CompleteSent(1);

        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task WaitDelivered_PipeDiscardedEmpty_TrueElseFalse()
    {
        var delivered = new Pipe(0);
        delivered.TryWrite([F("a")]);
        Read(delivered);
        Assert.Equal(0, delivered.Discard()); // the peer took everything, then left
        Assert.True(delivered.IsDiscardedEmpty);
        Assert.True(await PipeFlush.WaitDeliveredAsync(delivered, Deadline.After(TimeSpan.Zero), CancellationToken.None));
        Assert.True(PipeFlush.WaitDelivered(delivered, Deadline.After(TimeSpan.Zero)));

        var queued = new Pipe(0);
        queued.TryWrite([F("a")]);
        Assert.Equal(1, queued.Discard());
        queued.Discard(); // a second discard finds it empty, and must not make it look delivered
        Assert.False(queued.IsDiscardedEmpty);
        Assert.False(await PipeFlush.WaitDeliveredAsync(queued, Deadline.After(TimeSpan.Zero), CancellationToken.None));

        var inFlight = new Pipe(0);
        inFlight.TryWrite([F("a")]);
        Assert.True(TryReadFrame(inFlight, out _)); // taken by the send loop, not reported sent
        var waiting = PipeFlush.WaitDeliveredAsync(inFlight, Deadline.After(TimeSpan.FromSeconds(10)), CancellationToken.None);
        Assert.Equal(0, inFlight.Discard());
        Assert.False(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
