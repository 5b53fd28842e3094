using System.Buffers;
using System.Runtime.CompilerServices;
using Expair.Internal;
using Expair.Protocol.Mechanisms;

namespace Expair.Protocol;

/// <summary>What <see cref="FrameDecoder.Decode"/> found at the start of the buffered bytes.</summary>
internal enum DecodeStatus
{
    /// <summary>Not a whole frame yet (and not a large body that could be read straight into its frame).</summary>
    NeedMoreData,

    /// <summary>A whole data frame.</summary>
    Frame,

    /// <summary>A data frame whose large body is still arriving: read it into <see cref="FrameDecoder.PendingBody"/>.</summary>
    BodyPending,

    /// <summary>A whole command frame (its body: name length, name, data).</summary>
    Command,
}

/// <summary>
/// Decodes frames (37/ZMTP "Framing") after the handshake. Checks each length against the message's size limit before
/// trusting it, copies small bodies out of the receive buffer and rents a large body's frame once its header passed
/// the check, so its bytes can be read straight into it. The mechanism's frame transform has its one place on the
/// receive side here. Pure (no I/O); used by whoever holds the read side, one thread at a time.
/// </summary>
internal sealed class FrameDecoder
{
    private readonly long _maxMessageSize; // -1: no limit
    private readonly int _maxInPlaceBody; // larger bodies are read straight into their frame; larger commands are refused
    private readonly IMechanism? _transform; // set only for a mechanism that transforms frames (CURVE)
    private readonly byte[]? _unwrapped; // where a transformed frame small enough to stay in the buffer is opened
    private readonly int _firstBodyStep; // FirstBodyStep of payload, and what carries it on the wire
    private long _messageBytes; // what the message being decoded costs so far, for the size limit
    private bool _inMessage; // a frame with MORE was decoded: the next frame belongs to the same message
    private byte[]? _body; // the large body being read, grown as its bytes arrive
    private int _bodyLength;
    private int _bodyReceived;
    private bool _bodyMore;

    public FrameDecoder(long maxMessageSize, int maxInPlaceBody, IMechanism? mechanism = null)
    {
        _maxMessageSize = maxMessageSize;
        _maxInPlaceBody = maxInPlaceBody;
        _firstBodyStep = FirstBodyStep;
        if (mechanism is { TransformsFrames: true })
        {
            _transform = mechanism;
            _unwrapped = new byte[maxInPlaceBody];
            // A 1 MiB payload's wire body is a few bytes longer: the first step holds it whole, not grown for them.
            _firstBodyStep = (int)mechanism.WrappedLength(FirstBodyStep);
        }
    }

    /// <summary>
    /// What each frame after a message's first costs against the limit besides its body: its slot while the message
    /// is assembled. Without it, an endless run of empty frames with MORE would grow memory without bound.
    /// </summary>
    public static readonly int FrameCost = Unsafe.SizeOf<Frame>();

    /// <summary>A large body's buffer starts this big and doubles as its bytes arrive (a header is only a promise).</summary>
    public const int FirstBodyStep = 1024 * 1024;

    /// <summary>Bytes of the pending frame's body still to arrive; 0 when none is pending.</summary>
    public int BodyRemaining => _body is null ? 0 : _bodyLength - _bodyReceived;

    /// <summary>Where the next bytes of the pending body go (while <see cref="BodyRemaining"/> is not 0); at most what its buffer holds now.</summary>
    public Span<byte> PendingBody => _body.AsSpan(_bodyReceived, Math.Min(_body!.Length, _bodyLength) - _bodyReceived);

    /// <summary>
    /// Decodes the frame at the start of <paramref name="buffered"/>: <paramref name="consumed"/> bytes of it are
    /// used (none when more are needed). A whole data frame comes out in <paramref name="frame"/>; a large one's body
    /// (<see cref="DecodeStatus.BodyPending"/>) is filled through <see cref="PendingBody"/> and its frame comes out of
    /// <see cref="BodyReceived"/>; a command's body comes out in <paramref name="command"/>. Throws
    /// <see cref="ProtocolViolationException"/> on a bad header or a size over the limit.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public DecodeStatus Decode(ReadOnlySpan<byte> buffered, out int consumed, out Frame frame, out ReadOnlySpan<byte> command)
    {
        consumed = 0;
        frame = default;
        command = default;
        var frameCost = _inMessage ? FrameCost : 0;
        var limit = _maxMessageSize < 0 ? Array.MaxLength : Math.Min(Array.MaxLength, _maxMessageSize - _messageBytes - frameCost);
        // The limit is on the payload: a transformed frame may be as long as what carries a payload of that size.
        if (_transform is not null && limit >= 0 && limit < Array.MaxLength)
            limit = Math.Min(Array.MaxLength, _transform.WrappedLength(limit));
        var status = FrameHeader.TryParse(buffered, limit, out var header);
        if (status == OperationStatus.NeedMoreData)
            return DecodeStatus.NeedMoreData;
        if (status == OperationStatus.InvalidData)
            throw new ProtocolViolationException("malformed frame header");
        if (status == OperationStatus.DestinationTooSmall)
            throw new ProtocolViolationException(_maxMessageSize >= 0
                ? $"message larger than MaxMessageSize ({_maxMessageSize} bytes)"
                : "frame larger than the largest .NET array");

        var length = (int)header.BodyLength;
        if (header.IsCommand && length > _maxInPlaceBody)
            throw new ProtocolViolationException("command frame too large");
        if (header.IsCommand && _transform is null)
        {
            if (buffered.Length < header.HeaderLength + length)
                return DecodeStatus.NeedMoreData;
            command = buffered.Slice(header.HeaderLength, length);
            consumed = header.HeaderLength + length;
            return DecodeStatus.Command;
        }

        var available = Math.Min(length, buffered.Length - header.HeaderLength);
        if (available < length && length <= _maxInPlaceBody)
            return DecodeStatus.NeedMoreData; // small body: wait for it in the receive buffer
        consumed = header.HeaderLength + available;
        if (_transform is null && !header.IsCommand)
            _messageBytes += length + frameCost; // a transformed frame counts once opened (Count), by its payload
        if (available < length)
        {
            // Large body: its bytes arrive straight into its buffer, allocated only once the header passed the size
            // check, and grown as the bytes come, so memory follows what arrived rather than what was announced.
            _body = FramePool.Rent(Math.Min(length, _firstBodyStep));
            _bodyLength = length;
            _bodyMore = header.More;
            buffered.Slice(header.HeaderLength, available).CopyTo(_body);
            _bodyReceived = available;
            return DecodeStatus.BodyPending;
        }
        var body = buffered.Slice(header.HeaderLength, length);
        if (_transform is not null)
            return Unwrapped(body, out frame, out command);
        Frame.Copy(body, header.More, out frame);
        EndFrame(header.More);
        return DecodeStatus.Frame;
    }

    /// <summary>
    /// <paramref name="count"/> bytes arrived in <see cref="PendingBody"/>. True when the body is whole: then
    /// <paramref name="frame"/> is its frame, which the caller owns from then on.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public bool BodyReceived(int count, out Frame frame)
    {
        frame = default;
        _bodyReceived += count;
        var body = _body!;
        if (_bodyReceived < _bodyLength)
        {
            if (_bodyReceived == body.Length)
            {
                var larger = FramePool.Rent((int)Math.Min(_bodyLength, 2L * body.Length));
                body.AsSpan(0, _bodyReceived).CopyTo(larger);
                FramePool.Return(body);
                _body = larger;
            }
            return false;
        }
        _body = null;
        var more = _bodyMore;
        var length = _bodyLength;
        var offset = 0;
        if (_transform is not null)
        {
            // Opened in place, the payload left where it lies (behind what carried it): decrypted once, never moved.
            length = _transform.UnwrapFrameAt(body.AsSpan(0, length), body, out offset, out var flags);
            if ((flags & FrameFlags.Command) != 0)
            {
                FramePool.Return(body);
                throw new ProtocolViolationException("command frame too large");
            }
            more = (flags & FrameFlags.More) != 0;
            Count(length);
        }
        frame = new Frame(body, offset, length, pooled: true, more);
        EndFrame(more);
        return true;
    }

    /// <summary>The connection ends: a body still arriving never reaches the application.</summary>
    public void ReleasePending()
    {
        if (_body is { } body)
            FramePool.Return(body);
        _body = null;
    }

    /// <summary>
    /// A transformed data frame's payload against the size limit: its wire length passed the check, which the
    /// payload's meets too (the transform only adds bytes), so this only keeps the message's running total.
    /// </summary>
    private void Count(int payloadLength) => _messageBytes += payloadLength + (_inMessage ? FrameCost : 0);

    private void EndFrame(bool more)
    {
        _inMessage = more;
        if (!more)
            _messageBytes = 0;
    }

    /// <summary>The one place the mechanism opens an incoming frame small enough to be decoded in place.</summary>
    [MethodImpl(HotPath.Optimized)]
    private DecodeStatus Unwrapped(ReadOnlySpan<byte> wireBody, out Frame frame, out ReadOnlySpan<byte> command)
    {
        frame = default;
        command = default;
        var length = _transform!.UnwrapFrameAt(wireBody, _unwrapped.AsSpan(0, (int)_transform.UnwrappedLength(wireBody.Length)), out var offset, out var flags);
        var payload = _unwrapped.AsSpan(offset, length);
        if ((flags & FrameFlags.Command) != 0)
        {
            command = payload;
            return DecodeStatus.Command;
        }
        Count(length);
        var more = (flags & FrameFlags.More) != 0;
        Frame.Copy(payload, more, out frame);
        EndFrame(more);
        return DecodeStatus.Frame;
    }
}
