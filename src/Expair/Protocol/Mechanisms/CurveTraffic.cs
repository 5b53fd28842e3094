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

    /// <summary>The command name as it goes on the wire, length byte first: copied and compared whole, per message.</summary>
    private static ReadOnlySpan<byte> WireName => "\u0007MESSAGE"u8;

    /// <summary>Name, short nonce and MAC: the bytes before the boxed flags byte.</summary>
    public const int HeaderLength = 1 + 7 + CurveNonce.ShortLength + Sodium.MacLength;

    /// <summary>26/CurveZMQ: a MESSAGE is at least 33 bytes (its box holds at least the flags byte).</summary>
    public const int MinLength = HeaderLength + 1;

    private const int NonceOffset = 8;
    private const int MacOffset = 16;
    private const byte More = 0x01;
    private const byte Command = 0x02;

    private readonly byte[] _sharedKey = Sodium.AllocateSecret(Sodium.SharedKeyLength);
    private readonly bool _fromServer;
    private ulong _nextSendNonce;
    private ulong _lastReceivedNonce;

    /// <param name="sharedKey">crypto_box_beforenm of the peer's transient public key and this side's transient secret (copied).</param>
    /// <param name="isServer">Whether this side is the server (its nonces are prefixed "CurveZMQMESSAGES").</param>
    /// <param name="nextSendNonce">The short nonce of the first MESSAGE this side sends.</param>
    /// <param name="lastReceivedNonce">The peer's last handshake short nonce: its MESSAGEs must come after it.</param>
    public CurveTraffic(ReadOnlySpan<byte> sharedKey, bool isServer, ulong nextSendNonce, ulong lastReceivedNonce)
    {
        sharedKey.CopyTo(_sharedKey);
        _fromServer = isServer;
        _nextSendNonce = nextSendNonce;
        _lastReceivedNonce = lastReceivedNonce;
    }

    /// <summary>The wire body carrying <paramref name="payloadLength"/> bytes.</summary>
    public static long WrappedLength(long payloadLength) => MinLength + payloadLength;

    /// <summary>
    /// The room a payload needs when unwrapped from <paramref name="wireLength"/> bytes: the payload and one
    /// byte for the flags it is decrypted with.
    /// </summary>
    public static long UnwrappedLength(long wireLength) => Math.Max(0, wireLength - HeaderLength);

    /// <summary>Writes the MESSAGE (exactly <see cref="WrappedLength"/> bytes) carrying one frame.</summary>
    [MethodImpl(HotPath.Optimized)]
    public void Wrap(FrameFlags flags, ReadOnlySpan<byte> payload, Span<byte> wireBody)
    {
        var nonce = NextMessage(payload.Length, wireBody);
        wireBody[HeaderLength] = FlagsByte(flags);
        payload.CopyTo(wireBody[MinLength..]);
        Seal(nonce, wireBody[HeaderLength..], wireBody);
    }

    /// <summary>
    /// <see cref="Wrap"/> for a payload with a free byte before it (<paramref name="roomAndPayload"/>[0]): the flags
    /// byte is written there and sealed with the payload straight into <paramref name="wireBody"/>, so the payload is
    /// read once and not moved. The payload is left as it was.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public void WrapAfterRoom(FrameFlags flags, Span<byte> roomAndPayload, Span<byte> wireBody)
    {
        var nonce = NextMessage(roomAndPayload.Length - 1, wireBody);
        roomAndPayload[0] = FlagsByte(flags);
        Seal(nonce, roomAndPayload, wireBody);
    }

    /// <summary>Checks the wire body's length, takes the next short nonce and writes the MESSAGE's name and nonce.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong NextMessage(int payloadLength, Span<byte> wireBody)
    {
        if (wireBody.Length != MinLength + payloadLength)
            throw new ArgumentException($"A MESSAGE carrying {payloadLength} bytes is {MinLength + payloadLength} bytes, not {wireBody.Length}.", nameof(wireBody));
        if (_nextSendNonce == ulong.MaxValue)
            throw new ProtocolViolationException("CURVE: this connection used up its 2^64-1 short nonces");
        var nonce = _nextSendNonce++;
        WireName.CopyTo(wireBody);
        BinaryPrimitives.WriteUInt64BigEndian(wireBody[NonceOffset..], nonce);
        return nonce;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte FlagsByte(FrameFlags flags) =>
        (byte)(((flags & FrameFlags.More) != 0 ? More : 0) | ((flags & FrameFlags.Command) != 0 ? Command : 0));

    /// <summary>Encrypts the flags byte and payload (<paramref name="plainText"/>) into the MESSAGE's box, MAC first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Seal(ulong nonce, ReadOnlySpan<byte> plainText, Span<byte> wireBody)
    {
        Span<byte> fullNonce = stackalloc byte[CurveNonce.Length];
        CurveNonce.Short(fullNonce, _fromServer ? CurveNonce.MessageFromServer : CurveNonce.MessageFromClient, nonce);
        Sodium.BoxDetachedAfterNm(wireBody[HeaderLength..], wireBody.Slice(MacOffset, Sodium.MacLength), plainText, fullNonce, _sharedKey);
    }

    /// <summary>
    /// Opens one MESSAGE: writes its payload to the start of <paramref name="payload"/> (at least
    /// <see cref="UnwrappedLength"/> bytes; it may be the same memory as <paramref name="wireBody"/>) and returns
    /// the payload's length and real flags. Throws <see cref="ProtocolViolationException"/> for anything else.
    /// </summary>
    public int Unwrap(ReadOnlySpan<byte> wireBody, Span<byte> payload, out FrameFlags flags)
    {
        var length = UnwrapAt(wireBody, payload, out var offset, out flags);
        payload.Slice(offset, length).CopyTo(payload);
        return length;
    }

    /// <summary>
    /// Opens one MESSAGE into <paramref name="output"/> without moving the payload: returns its length and real flags,
    /// and in <paramref name="payloadOffset"/> where in <paramref name="output"/> it starts. Separate memory takes the
    /// decrypted flags byte and payload (at least <see cref="UnwrappedLength"/> bytes; offset 1); the wire buffer
    /// itself (<paramref name="output"/> starting where <paramref name="wireBody"/> does) is decrypted in place
    /// (offset <see cref="MinLength"/>). Throws <see cref="ProtocolViolationException"/> for anything else.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public int UnwrapAt(ReadOnlySpan<byte> wireBody, Span<byte> output, out int payloadOffset, out FrameFlags flags)
    {
        if (wireBody.Length < MinLength || !wireBody.StartsWith(WireName))
        {
            throw new ProtocolViolationException(wireBody.StartsWith(WireName)
                ? $"CURVE MESSAGE: {wireBody.Length} bytes, fewer than {MinLength}"
                : $"CURVE: expected MESSAGE, received {MechanismCommands.NameOf(wireBody)}");
        }
        var nonce = BinaryPrimitives.ReadUInt64BigEndian(wireBody[NonceOffset..]);
        if (nonce <= _lastReceivedNonce)
            throw new ProtocolViolationException($"CURVE MESSAGE: short nonce {nonce} is not above the last one, {_lastReceivedNonce} (replayed or reordered)");
        var textLength = wireBody.Length - HeaderLength;
        if (output.Length < textLength)
            throw new ArgumentException($"Unwrapping a {wireBody.Length}-byte MESSAGE needs {textLength} bytes of room, not {output.Length}.", nameof(output));

        Span<byte> fullNonce = stackalloc byte[CurveNonce.Length];
        CurveNonce.Short(fullNonce, _fromServer ? CurveNonce.MessageFromClient : CurveNonce.MessageFromServer, nonce);
        // Decrypted in place when the output is the wire buffer itself (no move of the cipher text first).
        var inPlace = output.Length >= wireBody.Length && Unsafe.AreSame(ref MemoryMarshal.GetReference(wireBody), ref MemoryMarshal.GetReference(output));
        var textOffset = inPlace ? HeaderLength : 0;
        var text = output.Slice(textOffset, textLength);
        if (!Sodium.BoxOpenDetachedAfterNm(text, wireBody[HeaderLength..], wireBody.Slice(MacOffset, Sodium.MacLength), fullNonce, _sharedKey))
            throw new ProtocolViolationException($"CURVE MESSAGE {nonce}: the box does not open (altered or forged)");
        var flagsByte = text[0];
        if ((flagsByte & ~(More | Command)) != 0)
            throw new ProtocolViolationException($"CURVE MESSAGE {nonce}: reserved flag bits set (0x{flagsByte:X2})");
        _lastReceivedNonce = nonce;
        flags = ((flagsByte & More) != 0 ? FrameFlags.More : FrameFlags.None) | ((flagsByte & Command) != 0 ? FrameFlags.Command : FrameFlags.None);
        payloadOffset = textOffset + 1;
        return textLength - 1;
    }

    /// <summary>Zeroes the shared key.</summary>
    public void Dispose() => Sodium.Zero(_sharedKey);
}
