namespace Expair.Internal;

/// <summary>
/// One frame of a queued message: the bytes live in <see cref="Array"/>[0..Length). A pooled array came from
/// <see cref="FramePool"/> and goes back there once the frame is consumed.
/// </summary>
internal readonly struct Frame
{
    public Frame(byte[] array, int length, bool pooled, bool more)
    {
        Array = array;
        Length = length;
        Pooled = pooled;
        More = more;
    }

    public byte[] Array { get; }
    public int Length { get; }
    public bool Pooled { get; }

    /// <summary>True when another frame of the same message follows (ZMTP's MORE flag).</summary>
    public bool More { get; }

    public ReadOnlySpan<byte> Span => Array.AsSpan(0, Length);

    public Frame WithMore(bool more) => new(Array, Length, Pooled, more);

    /// <summary>Copies <paramref name="bytes"/> into a pooled array.</summary>
    public static Frame Copy(ReadOnlySpan<byte> bytes, bool more)
    {
        if (bytes.IsEmpty)
            return new Frame([], 0, pooled: false, more);
        var array = FramePool.Rent(bytes.Length);
        bytes.CopyTo(array);
        return new Frame(array, bytes.Length, pooled: true, more);
    }

    /// <summary>A pooled array of at least <paramref name="length"/> bytes, to be filled by the caller.</summary>
    public static Frame Rent(int length, bool more) =>
        length == 0 ? new Frame([], 0, pooled: false, more) : new Frame(FramePool.Rent(length), length, pooled: true, more);

    public void Release()
    {
        if (Pooled)
            FramePool.Return(Array);
    }
}
