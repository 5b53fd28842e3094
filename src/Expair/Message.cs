using System.Collections;
using System.Runtime.CompilerServices;
using System.Text;
using Expair.Internal;

namespace Expair;

/// <summary>
/// A ZeroMQ message: one or more frames of opaque bytes, delivered whole or not at all.
/// A received message holds pooled buffers; dispose it to hand them back (forgetting to is safe, only slower).
/// Frames are read-only views that stay valid until the message is disposed or reused by
/// <see cref="PairSocket.Receive(Message)"/>. A message is not thread-safe.
/// </summary>
public sealed class Message : IReadOnlyList<ReadOnlyMemory<byte>>, IDisposable
{
    private List<Frame> _frames;
    private List<Frame>? _spare; // receives into this when the message is reused, so nothing is allocated
    private bool _disposed;

    /// <summary>Creates an empty message; add frames with <see cref="Add(ReadOnlySpan{byte})"/>.</summary>
    public Message() => _frames = [];

    /// <summary>Creates a message whose frames are copies of <paramref name="frames"/>.</summary>
    public Message(params ReadOnlySpan<byte[]> frames)
    {
        _frames = new List<Frame>(frames.Length);
        foreach (var frame in frames)
            Add(frame ?? throw new ArgumentNullException(nameof(frames), "A frame cannot be null; use an empty array for an empty frame."));
    }

    /// <summary>Creates a message whose frames are the UTF-8 encodings of <paramref name="frames"/>.</summary>
    public Message(params ReadOnlySpan<string> frames)
    {
        _frames = new List<Frame>(frames.Length);
        foreach (var frame in frames)
            Add(frame ?? throw new ArgumentNullException(nameof(frames), "A frame cannot be null; use an empty string for an empty frame."));
    }

    internal Message(List<Frame> frames) => _frames = frames;

    /// <summary>Number of frames.</summary>
    public int Count => _frames.Count;

    /// <summary>Total bytes over all frames.</summary>
    public long ByteCount
    {
        get
        {
            long total = 0;
            foreach (var frame in _frames)
                total += frame.Length;
            return total;
        }
    }

    /// <summary>The bytes of frame <paramref name="index"/>.</summary>
    public ReadOnlyMemory<byte> this[int index]
    {
        [MethodImpl(HotPath.Optimized)]
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var frame = _frames[index];
            if (frame.IsInline)
                _frames[index] = frame = frame.WithArray(); // memory needs an array: small frames get one only when asked
            return frame.Array.AsMemory(frame.Offset, frame.Length);
        }
    }

    internal List<Frame> Frames => _frames;

    /// <summary>The frames in place, for copying their bodies out without handing out memory.</summary>
    internal ReadOnlySpan<Frame> FrameSpan
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_frames);
        }
    }

    /// <summary>An empty list for <see cref="PairSocket.Receive(Message)"/> to fill; the current frames stay until it succeeds.</summary>
    [MethodImpl(HotPath.Optimized)]
    internal List<Frame> PrepareForReuse()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var spare = _spare ?? new List<Frame>(1);
        _spare = null;
        return spare;
    }

    /// <summary>The receive filled <paramref name="frames"/>: they become this message's, the old ones are released.</summary>
    [MethodImpl(HotPath.Optimized)]
    internal void CompleteReuse(List<Frame> frames)
    {
        foreach (var frame in _frames)
            frame.Release();
        _frames.Clear();
        _spare = _frames;
        _frames = frames;
    }

    /// <summary>The receive failed: keep the old frames and the spare list.</summary>
    internal void CancelReuse(List<Frame> frames)
    {
        foreach (var frame in frames)
            frame.Release();
        frames.Clear();
        _spare = frames;
    }

    /// <summary>Appends a copy of <paramref name="frame"/> as the last frame. Returns this message.</summary>
    public Message Add(ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _frames.Add(Frame.Copy(frame, more: false));
        return this;
    }

    /// <summary>
    /// Appends a frame of <paramref name="length"/> bytes taken from Expair's buffer pool and returns its memory,
    /// to be written in place: with <see cref="PairSocket.SendAndClear(Message)"/> the bytes then reach the socket
    /// without a single copy. The memory holds stale bytes until written, and must not be used once the message
    /// is sent, cleared or disposed.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public Memory<byte> AddBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var frame = Frame.Rent(length, more: false);
        _frames.Add(frame);
        return frame.Writable;
    }

    /// <summary>The frames to send: a disposed message is refused before an empty one (it has no frames left either).</summary>
    [MethodImpl(HotPath.Optimized)]
    internal ReadOnlySpan<Frame> FramesToSend()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Count == 0)
            throw new ArgumentException("A message needs at least one frame.", "message");
        return FrameSpan;
    }

    /// <summary>The socket took the frames' buffers: forget them without returning them to the pool.</summary>
    internal void ForgetSent() => _frames.Clear();

    /// <summary>Appends the UTF-8 encoding of <paramref name="frame"/> as the last frame. Returns this message.</summary>
    public Message Add(string frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var result = Frame.Rent(Encoding.UTF8.GetByteCount(frame), more: false);
        Encoding.UTF8.GetBytes(frame, result.Writable.Span);
        _frames.Add(result);
        return this;
    }

    /// <summary>Frame <paramref name="index"/> decoded as UTF-8.</summary>
    public string GetString(int index = 0) => Encoding.UTF8.GetString(FrameSpan[index].Span);

    /// <summary>A fresh array holding the bytes of frame <paramref name="index"/>.</summary>
    public byte[] ToArray(int index = 0) => FrameSpan[index].Span.ToArray();

    /// <inheritdoc/>
    public IEnumerator<ReadOnlyMemory<byte>> GetEnumerator()
    {
        for (var i = 0; i < _frames.Count; i++)
            yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Returns pooled buffers. The frames must not be used afterwards.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var frame in _frames)
            frame.Release();
        _frames.Clear();
    }

    /// <summary>The frames as UTF-8 text, joined with " | ", for diagnostics.</summary>
    public override string ToString() => _disposed ? "(disposed message)" : string.Join(" | ", this.Select(f => Encoding.UTF8.GetString(f.Span)));
}
