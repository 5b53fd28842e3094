using System.Runtime.InteropServices;
using Expair.Internal;

namespace Expair.Tests.Unit;

/// <summary>Small bodies travel inside the frame (no pool); larger ones in a pooled array.</summary>
public class FrameTests
{
    private static byte[] Bytes(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7 + 1)).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(33)]
    [InlineData(Frame.InlineCapacity)]
    public void Copy_UpToInlineCapacity_IsInlineAndKeepsEveryByte(int length)
    {
        var bytes = Bytes(length);
        var frame = Frame.Copy(bytes, more: true);
        Assert.True(frame.IsInline);
        Assert.True(frame.More);
        Assert.Equal(bytes, frame.Span.ToArray());
        Assert.Throws<InvalidOperationException>(() => frame.Array);
        frame.Release(); // nothing to return: must not throw
    }

    [Theory]
    [InlineData(Frame.InlineCapacity + 1)]
    [InlineData(4096)]
    public void Copy_AboveInlineCapacity_UsesAnArray(int length)
    {
        var bytes = Bytes(length);
        var frame = Frame.Copy(bytes, more: false);
        Assert.False(frame.IsInline);
        Assert.Equal(bytes, frame.Span.ToArray());
        Assert.Equal(bytes, frame.Array.AsSpan(frame.Offset, length).ToArray());
        frame.Release();
    }

    [Theory]
    [InlineData(65_537)]
    [InlineData(530_000)]
    [InlineData(1_048_577)]
    [InlineData(9_000_000)]
    public void Rent_ALargeFrame_GetsAnArrayAtMostAQuarterLonger(int length)
    {
        // A full queue of large messages costs about their size (power-of-two buffers cost up to twice).
        var frame = Frame.Rent(length, more: false);
        Assert.Equal(length, frame.Length);
        Assert.InRange(frame.Array.Length, FramePool.Headroom + length, FramePool.Headroom + length + length / 4);
        frame.Release();
    }

    [Theory]
    [InlineData(FramePool.HeadroomFrom)]
    [InlineData(16 * 1024)]
    [InlineData(64 * 1024)]
    [InlineData(1024 * 1024)]
    public void LargeFrames_HaveHeadroomBeforeTheBody_WithoutTakingALargerBuffer(int length)
    {
        var bytes = Bytes(length);
        foreach (var frame in new[] { Frame.Rent(length, more: false), Frame.Copy(bytes, more: false) })
        {
            Assert.Equal(FramePool.Headroom, frame.Offset);
            Assert.True(frame.HasRoomBefore);
            Assert.Equal(FramePool.Headroom + length, frame.Array.Length); // a bucket's length and the pool's slack
            bytes.CopyTo(frame.Writable.Span);
            Assert.Equal(bytes, frame.Span.ToArray());
            Assert.Equal(length + 1, frame.RoomAndBody.Length);
            Assert.Equal(bytes, frame.RoomAndBody[1..].ToArray());
            var array = frame.Array;
            frame.Release();
            var again = Frame.Rent(length, more: false); // the buffer went back to its bucket
            Assert.Same(array, again.Array);
            again.Release();
        }
    }

    [Fact]
    public void SmallerFrames_AndArraysThatAreNotExpairs_HaveNoRoomBefore()
    {
        var below = Frame.Rent(FramePool.HeadroomFrom - 1, more: false);
        Assert.Equal(0, below.Offset);
        Assert.False(below.HasRoomBefore);
        below.Release();
        Assert.False(Frame.Copy(Bytes(100), more: false).HasRoomBefore);
        Assert.False(new Frame(new byte[100_000], offset: 64, length: 1000, pooled: false, more: false).HasRoomBefore);
    }

    [Fact]
    public void EmptyFrame_IsNotInlineAndHasAnEmptyArray()
    {
        var frame = Frame.Copy([], more: false);
        Assert.False(frame.IsInline);
        Assert.Equal(0, frame.Length);
        Assert.Empty(frame.Array);
    }

    [Fact]
    public void WithMore_KeepsTheInlineBody()
    {
        var bytes = Bytes(40);
        var frame = Frame.Copy(bytes, more: false).WithMore(true);
        Assert.True(frame.More);
        Assert.True(frame.IsInline);
        Assert.Equal(bytes, frame.Span.ToArray());
    }

    [Fact]
    public void WithArray_GivesAnInlineBodyAnArray_AndLeavesArrayFramesAlone()
    {
        var bytes = Bytes(20);
        var moved = Frame.Copy(bytes, more: true).WithArray();
        Assert.False(moved.IsInline);
        Assert.True(moved.More);
        Assert.Equal(bytes, moved.Array.AsSpan(0, 20).ToArray());
        moved.Release();

        var large = Frame.Copy(Bytes(100), more: false);
        Assert.Same(large.Array, large.WithArray().Array);
        large.Release();
    }

    [Fact]
    public void Message_HandsOutMemoryForSmallFrames_AndKeepsItValid()
    {
        using var message = new Message(Bytes(3), Bytes(64), Bytes(65));
        var first = message[0];
        Assert.Equal(Bytes(3), first.ToArray());
        Assert.Equal(Bytes(64), message[1].ToArray());
        Assert.Equal(Bytes(65), message[2].ToArray());
        Assert.Equal(Bytes(3), message[0].ToArray());
        Assert.True(MemoryMarshal.TryGetArray(first, out var once));
        Assert.True(MemoryMarshal.TryGetArray(message[0], out var again));
        Assert.Same(once.Array, again.Array); // an inline frame gets its array once, and keeps it
        Assert.Equal(Bytes(64), message.ToArray(1));
    }
}
