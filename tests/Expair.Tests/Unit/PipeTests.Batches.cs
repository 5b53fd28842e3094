using System.Text;
using Expair.Core;
using Expair.Internal;

namespace Expair.Tests.Unit;

/// <summary>The batch operations the engines use, and the single-frame read behind the span receive.</summary>
public class PipeBatchTests
{
    private static Frame F(string text, bool more = false) => Frame.Copy(Encoding.UTF8.GetBytes(text), more);

    private static string Text(Frame frame) => Encoding.UTF8.GetString(frame.Span);

    [Fact]
    public void TryWriteMessages_TakesOnlyWholeMessagesThatFitTheHighWaterMark()
    {
        var pipe = new Pipe(2);
        Frame[] batch = [F("a1", more: true), F("a2"), F("b"), F("c1", more: true), F("c2")];

        Assert.Equal(3, pipe.TryWriteMessages(batch, out var result));
        Assert.Equal(WriteResult.Full, result);
        Assert.Equal(2, pipe.Count);

        var frames = new List<Frame>();
        Assert.Equal(ReadResult.Message, pipe.TryRead(frames));
        Assert.Equal(["a1", "a2"], frames.Select(Text));
        Assert.Equal(2, pipe.TryWriteMessages(batch.AsSpan(3), out result));
        Assert.Equal(WriteResult.Written, result);
        Assert.Equal(2, pipe.Count);
    }

    [Fact]
    public void TryWriteMessages_OnClosedPipe_TakesNothing()
    {
        var pipe = new Pipe(0);
        pipe.CloseWriter();
        var frame = F("x");
        Assert.Equal(0, pipe.TryWriteMessages([frame], out var result));
        Assert.Equal(WriteResult.Closed, result);
        frame.Release();
    }

    [Fact]
    public void TryReadFrames_TakesAcrossMessagesAndCountsWholeOnesInFlight()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("a1"), F("a2")]);
        pipe.TryWrite([F("b")]);
        var into = new Frame[2];

        Assert.Equal(2, pipe.TryReadFrames(into));
        Assert.Equal(["a1", "a2"], into.Select(Text));
        Assert.True(into[0].More);
        Assert.False(into[1].More);
        Assert.Equal(1, pipe.Count);
        Assert.False(pipe.IsIdle); // "a" is in flight until reported sent

        pipe.CompleteSent(1);
        Assert.Equal(1, pipe.TryReadFrames(into));
        Assert.Equal("b", Text(into[0]));
        Assert.Equal(0, pipe.TryReadFrames(into));
    }

    [Fact]
    public void TryReadFrames_StopsAtTheByteBudgetButTakesAtLeastOne()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("0123456789")]);
        pipe.TryWrite([F("abc")]);
        var into = new Frame[8];

        Assert.Equal(1, pipe.TryReadFrames(into, maxBytes: 5));
        Assert.Equal("0123456789", Text(into[0]));
        Assert.Equal(1, pipe.TryReadFrames(into, maxBytes: 5));
        Assert.Equal("abc", Text(into[0]));
    }

    [Fact]
    public void TryReadFrames_ThenUnread_PutsMessagesBackInOrder()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("a")]);
        pipe.TryWrite([F("b1"), F("b2")]);
        var into = new Frame[3];
        Assert.Equal(3, pipe.TryReadFrames(into));

        pipe.Unread(into);

        Assert.Equal(2, pipe.Count);
        var frames = new List<Frame>();
        pipe.TryRead(frames);
        pipe.TryRead(frames);
        Assert.Equal(["a", "b1", "b2"], frames.Select(Text));
        Assert.True(pipe.IsIdle);
    }

    [Fact]
    public void TryReadSingle_LeavesMultipartAndTooLargeQueued()
    {
        var pipe = new Pipe(0);
        pipe.TryWrite([F("12345")]);
        pipe.TryWrite([F("m1"), F("m2")]);

        Assert.Equal(ReadResult.TooLarge, pipe.TryReadSingle(4, out _, out var length));
        Assert.Equal(5, length);
        Assert.Equal(ReadResult.Message, pipe.TryReadSingle(5, out var frame, out _));
        Assert.Equal("12345", Text(frame));
        Assert.Equal(ReadResult.Multipart, pipe.TryReadSingle(100, out _, out _));
        Assert.Equal(1, pipe.Count);
        pipe.CloseWriter();
        var frames = new List<Frame>();
        Assert.Equal(ReadResult.Message, pipe.TryRead(frames));
        Assert.Equal(ReadResult.Finished, pipe.TryReadSingle(100, out _, out _));
    }
}
