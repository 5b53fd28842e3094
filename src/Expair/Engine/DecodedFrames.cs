using System.Runtime.CompilerServices;
using Expair.Internal;

namespace Expair.Engine;

/// <summary>
/// The frames a receive thread decoded and has not yet handed to the pipe, in order. A frame is decoded straight into
/// the element after the last (<see cref="Next"/>), which counts once <see cref="Commit"/> is called; elements past
/// <see cref="Count"/> hold no body (the decoder writes an empty frame there whenever it finds none).
/// </summary>
internal sealed class DecodedFrames
{
    private Frame[] _frames = new Frame[16];

    public int Count { get; private set; }

    /// <summary>The element after the last, for the decoder to fill; it counts only after <see cref="Commit"/>.</summary>
    [MethodImpl(HotPath.Optimized)]
    public ref Frame Next()
    {
        if (Count == _frames.Length)
            Array.Resize(ref _frames, _frames.Length * 2);
        return ref _frames[Count];
    }

    /// <summary>The element <see cref="Next"/> gave holds a whole frame: it is the last one now.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Commit() => Count++;

    /// <summary>Appends a frame (a large body that arrived after its header).</summary>
    public void Add(in Frame frame)
    {
        Next() = frame;
        Commit();
    }

    /// <summary>The frames, in order.</summary>
    public Span<Frame> Frames
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(_frames, 0, Count);
    }

    /// <summary>Forgets the first <paramref name="count"/> frames (the pipe owns them now) and moves the rest up.</summary>
    [MethodImpl(HotPath.Optimized)]
    public void RemoveFront(int count)
    {
        var left = Count - count;
        Array.Copy(_frames, count, _frames, 0, left);
        Array.Clear(_frames, left, count);
        Count = left;
    }

    /// <summary>Forgets every frame (their bodies were released or handed on).</summary>
    public void Clear()
    {
        Array.Clear(_frames, 0, Count);
        Count = 0;
    }
}
