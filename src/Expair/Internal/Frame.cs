using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Expair.Internal;

/// <summary>
/// One frame of a queued message. A body of up to <see cref="InlineCapacity"/> bytes travels inside the frame
/// itself, as libzmq keeps small messages inside its message structure: small messages then never touch a pool.
/// Larger bodies live in <see cref="Array"/>[Offset..Offset + Length); a pooled array came from <see cref="FramePool"/> and
/// goes back there once the frame is consumed.
/// </summary>
internal readonly struct Frame
{
    /// <summary>Bodies up to this size are stored inline (the frame is then 80 bytes, a queue slot and a bit).</summary>
    public const int InlineCapacity = 64;

    private readonly byte[]? _array;
    private readonly InlineBody _inline;
    private readonly ushort _offset; // in the padding after the two flags: the frame stays 80 bytes
    private readonly bool _pooled;

    public Frame(byte[] array, int length, bool pooled, bool more)
    {
        _array = array;
        Length = length;
        _pooled = pooled;
        More = more;
    }

    /// <summary>A body at <paramref name="offset"/> in its array (a frame decrypted where it arrived, behind its header).</summary>
    public Frame(byte[] array, int offset, int length, bool pooled, bool more)
        : this(array, length, pooled, more)
    {
        _offset = checked((ushort)offset);
    }

    /// <summary>An inline frame of <paramref name="length"/> bytes, all zero until <see cref="InlineBytes"/> is written.</summary>
    private Frame(int length, bool more)
    {
        Length = length;
        More = more;
    }

    private Frame(in Frame source, bool more)
    {
        this = source;
        More = more;
    }

    /// <summary>The array holding the body; only for frames that are not inline (bodies over <see cref="InlineCapacity"/>, or rented).</summary>
    public byte[] Array
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] // the throw would keep the JIT from inlining it on its own
        get => _array ?? throw new InvalidOperationException("An inline frame has no array.");
    }

    public int Length { get; }

    /// <summary>Where the body starts in <see cref="Array"/>: 0, except for large rented frames (their headroom) and frames opened in place by a mechanism.</summary>
    public int Offset => _offset;

    /// <summary>True when another frame of the same message follows (ZMTP's MORE flag).</summary>
    public bool More { get; }

    /// <summary>True when the body is stored in the frame itself.</summary>
    public bool IsInline => _array is null && Length > 0;

    /// <summary>The body. For an inline frame this points into the frame, so it lives as long as the variable or slot holding it.</summary>
    [UnscopedRef]
    public ReadOnlySpan<byte> Span
    {
        // Inlined into the per-message path, which is compiled optimised at its first call (HotPath).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _array is null ? ((ReadOnlySpan<byte>)_inline)[..Length] : _array.AsSpan(_offset, Length);
    }

    public Frame WithMore(bool more) => new(in this, more);

    /// <summary>Copies <paramref name="bytes"/> into the frame itself when they fit, else into a pooled array.</summary>
    [MethodImpl(HotPath.Optimized)]
    public static Frame Copy(ReadOnlySpan<byte> bytes, bool more)
    {
        Copy(bytes, more, out var frame);
        return frame;
    }

    /// <summary>Copies <paramref name="bytes"/> into <paramref name="frame"/>, built where it lies (a queue slot, a list's element).</summary>
    [MethodImpl(HotPath.Optimized)]
    public static void Copy(ReadOnlySpan<byte> bytes, bool more, out Frame frame)
    {
        if ((uint)bytes.Length - 1 >= InlineCapacity)
        {
            frame = CopyOutOfLine(bytes, more);
            return;
        }
        frame = new Frame(bytes.Length, more);
        bytes.CopyTo(frame.InlineBytes);
    }

    /// <summary>An empty frame, or a copy into a pooled array: kept out of the Copy methods, which are inlined for their small case.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Frame CopyOutOfLine(ReadOnlySpan<byte> bytes, bool more)
    {
        if (bytes.IsEmpty)
            return new Frame([], 0, pooled: false, more);
        var frame = Rent(bytes.Length, more);
        bytes.CopyTo(frame.Writable.Span);
        return frame;
    }

    /// <summary>The inline body's storage, for filling a frame just built.</summary>
    [UnscopedRef]
    private Span<byte> InlineBytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Unsafe.AsRef(in _inline);
    }

    /// <summary>
    /// A frame of <paramref name="length"/> bytes in a pooled array, to be filled through <see cref="Writable"/>
    /// (never inline). From <see cref="FramePool.HeadroomFrom"/> bytes the body starts <see cref="FramePool.Headroom"/>
    /// bytes into its array (<see cref="HasRoomBefore"/>).
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public static Frame Rent(int length, bool more)
    {
        if (length == 0)
            return new Frame([], 0, pooled: false, more);
        var room = length < FramePool.HeadroomFrom ? 0 : FramePool.Headroom;
        return new Frame(FramePool.Rent(room + length), room, length, pooled: true, more);
    }

    /// <summary>The body in its array, to be written by whoever just rented the frame (frames that are not inline).</summary>
    public Memory<byte> Writable => Array.AsMemory(_offset, Length);

    /// <summary>
    /// True when the byte before the body is free: the array is Expair's own (pooled) and the body does not start it.
    /// A mechanism may write there while encoding; the body itself stays as it was, for a frame sent again.
    /// </summary>
    public bool HasRoomBefore
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _pooled && _offset > 0;
    }

    /// <summary>The free byte before the body, then the body (only when <see cref="HasRoomBefore"/>).</summary>
    public Span<byte> RoomAndBody => Array.AsSpan(_offset - 1, Length + 1);

    /// <summary>This frame with its body in an array (a pooled copy when it was inline), for APIs that hand out memory.</summary>
    public Frame WithArray() => IsInline ? Rent(Length, More).CopiedFrom(Span) : this;

    private Frame CopiedFrom(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Writable.Span);
        return this;
    }

    public void Release()
    {
        if (_pooled)
            FramePool.Return(_array!);
    }

    [InlineArray(InlineCapacity)]
    private struct InlineBody
    {
        private byte _first;
    }
}
