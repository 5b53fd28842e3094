using System.Runtime.CompilerServices;
using Expair.Internal;
using Expair.Protocol.Mechanisms;

namespace Expair.Protocol;

/// <summary>
/// Encodes frames (37/ZMTP "Framing") for one gathered write: headers and small bodies are copied into one buffer,
/// large bodies become segments of their own arrays (zero-copy). Every write path encodes through this type, so the
/// mechanism's frame transform has exactly one place on the send side. Used by one thread at a time.
/// </summary>
internal sealed class FrameEncoder
{
    /// <summary>Bodies at least this large go to the socket straight from their own buffer, not copied.</summary>
    public const int ZeroCopyThreshold = 8 * 1024;

    private readonly byte[] _buffer;
    private readonly IMechanism? _transform; // set only for a mechanism that transforms frames (CURVE)
    private readonly List<byte[]> _wrapped = []; // arrays holding large transformed bodies, returned at Reset
    private int _used;
    private int _segmentStart;
    private long _closed; // bytes in the segments already closed

    public FrameEncoder(byte[] buffer, IMechanism? mechanism = null)
    {
        _buffer = buffer;
        _transform = mechanism is { TransformsFrames: true } ? mechanism : null;
    }

    public byte[] Buffer => _buffer;

    /// <summary>The encoded bytes; complete once <see cref="Close"/> was called.</summary>
    public List<ArraySegment<byte>> Segments { get; } = [];

    /// <summary>Bytes of the buffer in use.</summary>
    public int Used => _used;

    /// <summary>Bytes encoded so far: where the next frame would start in the stream of this write.</summary>
    public long Length
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _closed + _used - _segmentStart;
    }

    /// <summary>Bytes of bodies added as segments of their own.</summary>
    public long ZeroCopyBytes { get; private set; }

    /// <summary>
    /// The buffer bytes a frame takes when encoded after <paramref name="used"/> of <paramref name="bufferSize"/>
    /// bytes: its header, and its body when that is copied (small, or inline, which has no array to send from).
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public int BufferBytes(in Frame frame, int used, int bufferSize)
    {
        var wire = WireLength(frame.Length);
        var header = FrameHeader.SizeFor(wire);
        return header + (Copies(frame, wire, bufferSize - used - header) ? (int)wire : 0);
    }

    /// <summary>True when <paramref name="message"/> fits a buffer of <paramref name="bufferSize"/> bytes.</summary>
    public bool Fits(ReadOnlySpan<Frame> message, int bufferSize)
    {
        var used = 0;
        foreach (ref readonly var frame in message)
        {
            used += BufferBytes(frame, used, bufferSize);
            if (used > bufferSize)
                return false;
        }
        return true;
    }

    /// <summary>True when the frame fits what is left of the buffer.</summary>
    public bool HasRoomFor(in Frame frame) => BufferBytes(frame, _used, _buffer.Length) <= _buffer.Length - _used;

    /// <summary>Adds one data frame (check <see cref="HasRoomFor"/> first); returns <see cref="Length"/> after it.</summary>
    [MethodImpl(HotPath.Optimized)]
    public long Add(in Frame frame)
    {
        if (_transform is not null)
        {
            // A body with a free byte before it is sealed from there, without first being copied.
            var flags = frame.More ? FrameFlags.More : FrameFlags.None;
            if (frame.HasRoomBefore)
                _transform.WrapFrameAfterRoom(flags, frame.RoomAndBody, WrappedBody(frame.Length));
            else
                _transform.WrapFrame(flags, frame.Span, WrappedBody(frame.Length));
            return Length;
        }
        var header = FrameHeader.Write(_buffer.AsSpan(_used), frame.Length, frame.More);
        _used += header;
        if (Copies(frame, frame.Length, _buffer.Length - _used))
        {
            frame.Span.CopyTo(_buffer.AsSpan(_used));
            _used += frame.Length;
        }
        else
        {
            AddOwnSegment(new ArraySegment<byte>(frame.Array, frame.Offset, frame.Length));
        }
        return Length;
    }

    /// <summary>Adds one command frame (a PING or PONG body of a few bytes).</summary>
    public void AddCommand(ReadOnlySpan<byte> body)
    {
        if (_transform is not null)
        {
            _transform.WrapFrame(FrameFlags.Command, body, WrappedBody(body.Length));
            return;
        }
        _used += FrameHeader.Write(_buffer.AsSpan(_used), body.Length, more: false, command: true);
        body.CopyTo(_buffer.AsSpan(_used));
        _used += body.Length;
    }

    /// <summary>Ends the last segment: <see cref="Segments"/> then holds every byte encoded.</summary>
    [MethodImpl(HotPath.Optimized)]
    public void Close()
    {
        if (_used > _segmentStart)
        {
            Segments.Add(new ArraySegment<byte>(_buffer, _segmentStart, _used - _segmentStart));
            _closed += _used - _segmentStart;
            _segmentStart = _used;
        }
    }

    /// <summary>Forgets what was encoded (after it was written, or abandoned).</summary>
    [MethodImpl(HotPath.Optimized)]
    public void Reset()
    {
        Segments.Clear();
        _used = _segmentStart = 0;
        _closed = 0;
        ZeroCopyBytes = 0;
        foreach (var array in _wrapped)
            FramePool.Return(array);
        _wrapped.Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long WireLength(int payloadLength) => _transform?.WrappedLength(payloadLength) ?? payloadLength;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Copies(in Frame frame, long wireLength, int free) =>
        frame.IsInline || (wireLength < ZeroCopyThreshold && wireLength <= free);

    [MethodImpl(HotPath.Optimized)]
    private void AddOwnSegment(ArraySegment<byte> body)
    {
        Segments.Add(new ArraySegment<byte>(_buffer, _segmentStart, _used - _segmentStart));
        Segments.Add(body);
        _closed += _used - _segmentStart + body.Count;
        _segmentStart = _used;
        ZeroCopyBytes += body.Count;
    }

    /// <summary>
    /// The one place the mechanism's transformed frames are laid out: writes the header of a data frame with neither
    /// MORE nor COMMAND set (the real flags travel inside its body, as CURVE's MESSAGE carries them) and returns
    /// where the mechanism writes that body for a payload of <paramref name="payloadLength"/> bytes: the buffer when
    /// it is small and fits, else an array of its own added as a segment (both counted as encoded once this returns).
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    private Span<byte> WrappedBody(int payloadLength)
    {
        var wire = (int)_transform!.WrappedLength(payloadLength);
        _used += FrameHeader.Write(_buffer.AsSpan(_used), wire, more: false);
        if (wire < ZeroCopyThreshold && wire <= _buffer.Length - _used)
        {
            _used += wire;
            return _buffer.AsSpan(_used - wire, wire);
        }
        // FramePool keeps as many large buffers as were in flight at the peak: a batch of many large frames
        // recycles them instead of outgrowing a shared pool's per-core stacks.
        var array = FramePool.Rent(wire);
        _wrapped.Add(array);
        AddOwnSegment(new ArraySegment<byte>(array, 0, wire));
        return array.AsSpan(0, wire);
    }
}
