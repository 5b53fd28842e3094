using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Expair.Internal;

namespace Expair.Protocol.Mechanisms;

/// <summary>
/// A CURVE connection's MESSAGE traffic after the handshake (26/CurveZMQ "The MESSAGE Command"): each frame
/// becomes "MESSAGE", an 8-byte short nonce and Box[flags + payload] under the shared key of the two transient
/// pairs. The flags byte carries MORE (bit 0) and COMMAND (bit 1, libzmq's extension for PING/PONG). Sending
/// and receiving keep separate counters, so one thread may wrap while another unwraps. A received nonce must
/// be larger than every one before it (libzmq's rule; gaps allowed), so a replayed or reordered MESSAGE is
/// refused; a forged one never moves the counter.
/// </summary>
internal sealed class CurveTraffic : IDisposable
{
    public const string Message = "MESSAGE";

    /// <summary>Name, short nonce and MAC: the bytes before the boxed flags byte.</summary>
    public const int HeaderLength = 1 + 7 + CurveNonce.ShortLength + Sodium.MacLength;

    /// <summary>26/CurveZMQ: a MESSAGE is at least 33 bytes (its box holds at least the flags byte).</summary>
    public const int MinLength = HeaderLength + 1;

    private const int NonceOffset = 8;
    private const int MacOffset = 16;
    private const byte More = 0x01;
    private const byte Command = 0x02;

    // Every MESSAGE nonce one way starts with the same 16 bytes, so XSalsa20's first step (HSalsa20 of the shared
    // key and that prefix) is done once per direction here, not once per frame.
    private readonly byte[] _sendKey = Sodium.AllocateSecret(Sodium.SharedKeyLength);
    private readonly byte[] _receiveKey = Sodium.AllocateSecret(Sodium.SharedKeyLength);
    private ulong _nextSendNonce;
    private ulong _lastReceivedNonce;

    /// <param name="sharedKey">crypto_box_beforenm of the peer's transient public key and this side's transient secret (not kept).</param>
    /// <param name="isServer">Whether this side is the server (its nonces are prefixed "CurveZMQMESSAGES").</param>
    /// <param name="nextSendNonce">The short nonce of the first MESSAGE this side sends.</param>
    /// <param name="lastReceivedNonce">The peer's last handshake short nonce: its MESSAGEs must come after it.</param>
    public CurveTraffic(ReadOnlySpan<byte> sharedKey, bool isServer, ulong nextSendNonce, ulong lastReceivedNonce)
    {
        Sodium.HSalsa20(_sendKey, isServer ? CurveNonce.MessageFromServer : CurveNonce.MessageFromClient, sharedKey);
        Sodium.HSalsa20(_receiveKey, isServer ? CurveNonce.MessageFromClient : CurveNonce.MessageFromServer, sharedKey);
        _nextSendNonce = nextSendNonce;
        _lastReceivedNonce = lastReceivedNonce;
    }

    /// <summary>The wire body carrying <paramref name="payloadLength"/> bytes.</summary>
    public static long WrappedLength(long payloadLength) => MinLength + payloadLength;

    /// <summary>The room a payload needs when unwrapped from <paramref name="wireLength"/> bytes.</summary>
    public static long UnwrappedLength(long wireLength) => Math.Max(0, wireLength - MinLength);

    /// <summary>
    /// Writes the MESSAGE (exactly <see cref="WrappedLength"/> bytes) carrying one frame: the payload is encrypted
    /// straight from where it lies into <paramref name="wireBody"/> (which must not overlap it).
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public void Wrap(FrameFlags flags, ReadOnlySpan<byte> payload, Span<byte> wireBody)
    {
        if (wireBody.Length != MinLength + payload.Length)
            throw new ArgumentException($"A MESSAGE carrying {payload.Length} bytes is {MinLength + payload.Length} bytes, not {wireBody.Length}.", nameof(wireBody));
        if (_nextSendNonce == ulong.MaxValue)
            throw new ProtocolViolationException("CURVE: this connection used up its 2^64-1 short nonces");
        var nonce = _nextSendNonce++;
        MechanismCommands.WriteName(wireBody, Message);
        BinaryPrimitives.WriteUInt64BigEndian(wireBody[NonceOffset..], nonce);
        var flagsByte = (byte)(((flags & FrameFlags.More) != 0 ? More : 0) | ((flags & FrameFlags.Command) != 0 ? Command : 0));
        Sodium.StreamBox(wireBody[HeaderLength..], wireBody.Slice(MacOffset, Sodium.MacLength), flagsByte, payload, wireBody.Slice(NonceOffset, CurveNonce.ShortLength), _sendKey);
    }

    /// <summary>
    /// Opens one MESSAGE: writes its payload to the start of <paramref name="payload"/> (at least
    /// <see cref="UnwrappedLength"/> bytes) and returns the payload's length and real flags. Separate memory takes
    /// the payload as it is decrypted; the wire buffer itself (<paramref name="payload"/> starting where
    /// <paramref name="wireBody"/> does) is decrypted in place and the payload then moved to its start. Throws
    /// <see cref="ProtocolViolationException"/> for anything else.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public int Unwrap(ReadOnlySpan<byte> wireBody, Span<byte> payload, out FrameFlags flags)
    {
        if (wireBody.Length < MinLength || !MechanismCommands.HasName(wireBody, Message))
        {
            throw new ProtocolViolationException(MechanismCommands.HasName(wireBody, Message)
                ? $"CURVE MESSAGE: {wireBody.Length} bytes, fewer than {MinLength}"
                : $"CURVE: expected MESSAGE, received {MechanismCommands.NameOf(wireBody)}");
        }
        var nonce = BinaryPrimitives.ReadUInt64BigEndian(wireBody[NonceOffset..]);
        if (nonce <= _lastReceivedNonce)
            throw new ProtocolViolationException($"CURVE MESSAGE: short nonce {nonce} is not above the last one, {_lastReceivedNonce} (replayed or reordered)");
        var length = wireBody.Length - MinLength;
        if (payload.Length < length)
            throw new ArgumentException($"Unwrapping a {wireBody.Length}-byte MESSAGE needs {length} bytes of room, not {payload.Length}.", nameof(payload));

        var inPlace = payload.Length >= wireBody.Length && Unsafe.AreSame(ref MemoryMarshal.GetReference(wireBody), ref MemoryMarshal.GetReference(payload));
        var text = inPlace ? payload.Slice(MinLength, length) : payload[..length];
        if (!Sodium.StreamBoxOpen(text, out var flagsByte, wireBody[HeaderLength..], wireBody.Slice(MacOffset, Sodium.MacLength), wireBody.Slice(NonceOffset, CurveNonce.ShortLength), _receiveKey))
            throw new ProtocolViolationException($"CURVE MESSAGE {nonce}: the box does not open (altered or forged)");
        if ((flagsByte & ~(More | Command)) != 0)
            throw new ProtocolViolationException($"CURVE MESSAGE {nonce}: reserved flag bits set (0x{flagsByte:X2})");
        _lastReceivedNonce = nonce;
        flags = ((flagsByte & More) != 0 ? FrameFlags.More : FrameFlags.None) | ((flagsByte & Command) != 0 ? FrameFlags.Command : FrameFlags.None);
        if (inPlace)
            text.CopyTo(payload);
        return length;
    }

    /// <summary>Zeroes the keys.</summary>
    public void Dispose()
    {
        Sodium.Zero(_sendKey);
        Sodium.Zero(_receiveKey);
    }
}
