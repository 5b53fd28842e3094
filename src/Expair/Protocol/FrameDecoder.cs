using System.Buffers;
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
    private long _messageBytes; // of the message being decoded, for the size limit
    private Frame _pending;
    private int _bodyRemaining;

    public FrameDecoder(long maxMessageSize, int maxInPlaceBody, IMechanism? mechanism = null)
    {
        _maxMessageSize = maxMessageSize;
        _maxInPlaceBody = maxInPlaceBody;
        if (mechanism is { TransformsFrames: true })
        {
            _transform = mechanism;
            _unwrapped = new byte[maxInPlaceBody];
        }
    }

    /// <summary>Bytes of the pending frame's body still to arrive; 0 when none is pending.</summary>
    public int BodyRemaining => _bodyRemaining;

    /// <summary>Where the next bytes of the pending body go (while <see cref="BodyRemaining"/> is not 0).</summary>
    public Span<byte> PendingBody => _pending.Array.AsSpan(_pending.Length - _bodyRemaining, _bodyRemaining);

    /// <summary>
    /// Decodes the frame at the start of <paramref name="buffered"/>: <paramref name="consumed"/> bytes of it are
    /// used (none when more are needed). A data frame comes out in <paramref name="frame"/> (for
    /// <see cref="DecodeStatus.BodyPending"/>, its body is filled through <see cref="PendingBody"/>); a command's body
    /// in <paramref name="command"/>. Throws <see cref="ProtocolViolationException"/> on a bad header or a size over
    /// the limit.
    /// </summary>
    public DecodeStatus Decode(ReadOnlySpan<byte> buffered, out int consumed, out Frame frame, out ReadOnlySpan<byte> command)
    {
        consumed = 0;
        frame = default;
        command = default;
        var limit = _maxMessageSize < 0 ? Array.MaxLength : Math.Min(Array.MaxLength, _maxMessageSize - _messageBytes);
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
        if (!header.IsCommand)
            _messageBytes += length;
        if (available < length)
        {
            // Large body: its bytes arrive straight into the frame's buffer, never allocated before the header
            // passed the size check.
            frame = _pending = Frame.Rent(length, header.More);
            buffered.Slice(header.HeaderLength, available).CopyTo(frame.Array);
            _bodyRemaining = length - available;
            return DecodeStatus.BodyPending;
        }
        var body = buffered.Slice(header.HeaderLength, length);
        if (_transform is not null)
            return Unwrapped(body, out frame, out command);
        frame = Frame.Copy(body, header.More);
        if (!header.More)
            _messageBytes = 0;
        return DecodeStatus.Frame;
    }

    /// <summary>
    /// <paramref name="count"/> bytes arrived in <see cref="PendingBody"/>. True when the body is whole: then
    /// <paramref name="frame"/> is the finished frame, which replaces the one <see cref="Decode"/> gave out.
    /// </summary>
    public bool BodyReceived(int count, out Frame frame)
    {
        _bodyRemaining -= count;
        frame = _pending;
        if (_bodyRemaining > 0)
            return false;
        _pending = default;
        if (_transform is not null)
        {
            // Opened in place: the payload is shorter than what carries it.
            var length = _transform.UnwrapFrame(frame.Array.AsSpan(0, frame.Length), frame.Array, out var flags);
            if ((flags & FrameFlags.Command) != 0)
                throw new ProtocolViolationException("command frame too large");
            frame = new Frame(frame.Array, length, pooled: true, (flags & FrameFlags.More) != 0);
        }
        if (!frame.More)
            _messageBytes = 0;
        return true;
    }

    /// <summary>The one place the mechanism opens an incoming frame small enough to be decoded in place.</summary>
    private DecodeStatus Unwrapped(ReadOnlySpan<byte> wireBody, out Frame frame, out ReadOnlySpan<byte> command)
    {
        frame = default;
        command = default;
        var length = _transform!.UnwrapFrame(wireBody, _unwrapped!, out var flags);
        var payload = _unwrapped.AsSpan(0, length);
        if ((flags & FrameFlags.Command) != 0)
        {
            command = payload;
            return DecodeStatus.Command;
        }
        var more = (flags & FrameFlags.More) != 0;
        frame = Frame.Copy(payload, more);
        if (!more)
            _messageBytes = 0;
        return DecodeStatus.Frame;
    }
}
