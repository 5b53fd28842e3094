using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Expair.Internal;

namespace Expair.Protocol;

/// <summary>ZMTP frame flags (37/ZMTP "Framing"). Bits 3-7 are reserved and must be zero.</summary>
[Flags]
internal enum FrameFlags : byte
{
    None = 0,
    More = 1,
    LongSize = 2,
    Command = 4,
}

/// <summary>A decoded frame header: flags and body length, plus how many bytes the header itself took.</summary>
internal readonly record struct FrameHeader(FrameFlags Flags, long BodyLength, int HeaderLength)
{
    public const int MaxSize = 9;

    public bool More => (Flags & FrameFlags.More) != 0;
    public bool IsCommand => (Flags & FrameFlags.Command) != 0;

    /// <summary>
    /// Parses a header from the start of <paramref name="buffer"/>. Checks the length against
    /// <paramref name="maxBodyLength"/> before anything trusts it, so a hostile length is refused, never allocated.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public static OperationStatus TryParse(ReadOnlySpan<byte> buffer, long maxBodyLength, out FrameHeader header)
    {
        header = default;
        if (buffer.IsEmpty)
            return OperationStatus.NeedMoreData;
        var flags = (FrameFlags)buffer[0];
        if ((buffer[0] & 0xF8) != 0)
            return OperationStatus.InvalidData; // reserved bits set
        if ((flags & FrameFlags.Command) != 0 && (flags & FrameFlags.More) != 0)
            return OperationStatus.InvalidData; // commands are never multipart
        long length;
        int headerLength;
        if ((flags & FrameFlags.LongSize) != 0)
        {
            if (buffer.Length < 9)
                return OperationStatus.NeedMoreData;
            var raw = BinaryPrimitives.ReadUInt64BigEndian(buffer[1..]);
            if (raw > long.MaxValue)
                return OperationStatus.InvalidData; // 37/ZMTP: the most significant bit must be zero
            length = (long)raw;
            headerLength = 9;
        }
        else
        {
            if (buffer.Length < 2)
                return OperationStatus.NeedMoreData;
            length = buffer[1];
            headerLength = 2;
        }
        if (length > maxBodyLength)
            return OperationStatus.DestinationTooSmall; // too large for us: refused before any body byte is read
        header = new FrameHeader(flags & ~FrameFlags.LongSize, length, headerLength);
        return OperationStatus.Done;
    }

    /// <summary>Writes a header for a body of <paramref name="length"/> bytes; returns its size (2 or 9).</summary>
    [MethodImpl(HotPath.Optimized)]
    public static int Write(Span<byte> destination, long length, bool more, bool command = false)
    {
        var flags = (more ? FrameFlags.More : 0) | (command ? FrameFlags.Command : 0);
        if (length <= byte.MaxValue)
        {
            destination[0] = (byte)flags;
            destination[1] = (byte)length;
            return 2;
        }
        destination[0] = (byte)(flags | FrameFlags.LongSize);
        BinaryPrimitives.WriteUInt64BigEndian(destination[1..], (ulong)length);
        return 9;
    }

    public static int SizeFor(long length) => length <= byte.MaxValue ? 2 : 9;
}
