using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Expair.Protocol.Mechanisms;

/// <summary>
/// 26/CurveZMQ's 24-byte nonces: a 16-byte prefix and an 8-byte short nonce (a big-endian counter) for boxes
/// under transient keys, or an 8-byte prefix and a 16-byte random long nonce for boxes under permanent keys.
/// </summary>
internal static class CurveNonce
{
    public const int Length = 24;
    public const int ShortLength = 8;
    public const int LongLength = 16;

    public static ReadOnlySpan<byte> Hello => "CurveZMQHELLO---"u8;
    public static ReadOnlySpan<byte> Welcome => "WELCOME-"u8;
    public static ReadOnlySpan<byte> Cookie => "COOKIE--"u8;
    public static ReadOnlySpan<byte> Initiate => "CurveZMQINITIATE"u8;
    public static ReadOnlySpan<byte> Vouch => "VOUCH---"u8;
    public static ReadOnlySpan<byte> Ready => "CurveZMQREADY---"u8;
    public static ReadOnlySpan<byte> MessageFromClient => "CurveZMQMESSAGEC"u8;
    public static ReadOnlySpan<byte> MessageFromServer => "CurveZMQMESSAGES"u8;

    /// <summary>Prefix (16 bytes) and short nonce <paramref name="counter"/> (8 bytes, network order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // per frame, into the optimised MESSAGE path
    public static void Short(Span<byte> nonce, ReadOnlySpan<byte> prefix, ulong counter)
    {
        prefix.CopyTo(nonce);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[16..], counter);
    }

    /// <summary>Prefix (16 bytes) and the 8 short-nonce bytes as they came off the wire.</summary>
    public static void Short(Span<byte> nonce, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> shortNonce)
    {
        prefix.CopyTo(nonce);
        shortNonce[..ShortLength].CopyTo(nonce[16..]);
    }

    /// <summary>Prefix (8 bytes) and the 16-byte long nonce.</summary>
    public static void Long(Span<byte> nonce, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> longNonce)
    {
        prefix.CopyTo(nonce);
        longNonce[..LongLength].CopyTo(nonce[8..]);
    }
}
