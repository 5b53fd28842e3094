using System.Buffers.Binary;
using System.Text;

namespace Expair.Protocol;

/// <summary>
/// ZMTP command bodies (37/ZMTP "Commands"): a one-byte name length, the name, then command data.
/// Writers return the number of bytes written; parsers never throw on hostile input, they return false.
/// </summary>
internal static class Commands
{
    public const string Ready = "READY";
    public const string Error = "ERROR";
    public const string Ping = "PING";
    public const string Pong = "PONG";

    /// <summary>37/ZMTP "Connection Heartbeating": a PONG echoes at most 16 bytes of the PING's context.</summary>
    public const int MaxPingContext = 16;

    /// <summary>Splits a command body into name and data.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> data)
    {
        name = data = default;
        if (body.IsEmpty || body[0] == 0 || body.Length < 1 + body[0])
            return false;
        name = body.Slice(1, body[0]);
        data = body[(1 + body[0])..];
        return true;
    }

    public static bool IsNamed(ReadOnlySpan<byte> name, string expected) =>
        name.Length == expected.Length && Ascii.EqualsIgnoreCase(name, expected);

    /// <summary>Writes a whole command frame (header and body) for READY with the given metadata.</summary>
    public static int WriteReady(Span<byte> destination, IReadOnlyList<KeyValuePair<string, string>> properties)
    {
        var bodyLength = ReadyBodyLength(properties);
        var offset = FrameHeader.Write(destination, bodyLength, more: false, command: true);
        return offset + WriteReadyBody(destination[offset..], properties);
    }

    /// <summary>The exact length of a READY command body with the given metadata.</summary>
    public static int ReadyBodyLength(IReadOnlyList<KeyValuePair<string, string>> properties)
    {
        var bodyLength = 1 + Ready.Length;
        foreach (var (key, value) in properties)
            bodyLength += 1 + Encoding.ASCII.GetByteCount(key) + 4 + Encoding.UTF8.GetByteCount(value);
        return bodyLength;
    }

    /// <summary>Writes a READY command body (name length, name, metadata; no frame header); returns its length.</summary>
    public static int WriteReadyBody(Span<byte> destination, IReadOnlyList<KeyValuePair<string, string>> properties)
    {
        var offset = WriteName(destination, Ready);
        return offset + Mechanisms.MechanismCommands.WriteMetadata(destination[offset..], properties);
    }

    /// <summary>Writes an ERROR command frame; the reason is cut to 255 bytes as the spec requires.</summary>
    public static int WriteError(Span<byte> destination, string reason)
    {
        var reasonBytes = Encoding.ASCII.GetBytes(reason);
        var reasonLength = Math.Min(reasonBytes.Length, byte.MaxValue);
        var offset = FrameHeader.Write(destination, 1 + Error.Length + 1 + reasonLength, more: false, command: true);
        offset += WriteName(destination[offset..], Error);
        destination[offset++] = (byte)reasonLength;
        reasonBytes.AsSpan(0, reasonLength).CopyTo(destination[offset..]);
        return offset + reasonLength;
    }

    /// <summary>Writes a PING command frame with a TTL in tenths of a second (37/ZMTP) and a context.</summary>
    public static int WritePing(Span<byte> destination, ushort ttlDeciseconds, ReadOnlySpan<byte> context)
    {
        var bodyLength = PingBodyLength(context);
        var offset = FrameHeader.Write(destination, bodyLength, more: false, command: true);
        return offset + WritePingBody(destination[offset..], ttlDeciseconds, context);
    }

    /// <summary>The length of a PING body carrying <paramref name="context"/> (cut to 16 bytes).</summary>
    public static int PingBodyLength(ReadOnlySpan<byte> context) => 1 + Ping.Length + 2 + Math.Min(context.Length, MaxPingContext);

    /// <summary>Writes a PING command body (no frame header); returns its length.</summary>
    public static int WritePingBody(Span<byte> destination, ushort ttlDeciseconds, ReadOnlySpan<byte> context)
    {
        context = context[..Math.Min(context.Length, MaxPingContext)];
        var offset = WriteName(destination, Ping);
        BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], ttlDeciseconds);
        offset += 2;
        context.CopyTo(destination[offset..]);
        return offset + context.Length;
    }

    /// <summary>The context a PONG must echo, from a PING's data (2-byte TTL, then up to 16 bytes of context).</summary>
    public static ReadOnlySpan<byte> PingContext(ReadOnlySpan<byte> pingData)
    {
        var context = pingData.Length > 2 ? pingData[2..] : default;
        return context[..Math.Min(context.Length, MaxPingContext)];
    }

    /// <summary>
    /// The TTL of a PING, in tenths of a second (37/ZMTP: 2 octets, network order). Zero when the PING has
    /// none, or when its data is too short to hold one (a hostile PING is answered, never trusted).
    /// </summary>
    public static ushort PingTtl(ReadOnlySpan<byte> pingData) =>
        pingData.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(pingData) : (ushort)0;

    /// <summary>Writes a PONG command frame echoing <paramref name="context"/> (cut to 16 bytes).</summary>
    public static int WritePong(Span<byte> destination, ReadOnlySpan<byte> context)
    {
        var bodyLength = 1 + Pong.Length + Math.Min(context.Length, MaxPingContext);
        var offset = FrameHeader.Write(destination, bodyLength, more: false, command: true);
        return offset + WritePongBody(destination[offset..], context);
    }

    /// <summary>Writes a PONG command body (no frame header) echoing <paramref name="context"/> (cut to 16 bytes).</summary>
    public static int WritePongBody(Span<byte> destination, ReadOnlySpan<byte> context)
    {
        context = context[..Math.Min(context.Length, MaxPingContext)];
        var offset = WriteName(destination, Pong);
        context.CopyTo(destination[offset..]);
        return offset + context.Length;
    }

    /// <summary>The most bytes a PING or PONG body takes.</summary>
    public const int MaxHeartbeatBodySize = 1 + 4 + 2 + MaxPingContext;

    /// <summary>Reads the reason of an ERROR command's data; hostile lengths are clipped, never trusted.</summary>
    public static string ParseErrorReason(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return "";
        var length = Math.Min(data[0], data.Length - 1);
        return Encoding.ASCII.GetString(data.Slice(1, length));
    }

    /// <summary>
    /// Parses READY metadata (37/ZMTP "Connection Metadata"). False when a property overruns the body
    /// or has an empty name.
    /// </summary>
    public static bool TryParseMetadata(ReadOnlySpan<byte> data, out Dictionary<string, string> properties)
    {
        properties = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (!data.IsEmpty)
        {
            int nameLength = data[0];
            if (nameLength == 0 || data.Length < 1 + nameLength + 4)
                return false;
            var name = Encoding.ASCII.GetString(data.Slice(1, nameLength));
            data = data[(1 + nameLength)..];
            var valueLength = BinaryPrimitives.ReadUInt32BigEndian(data);
            if (valueLength > (uint)(data.Length - 4))
                return false;
            properties[name] = Encoding.UTF8.GetString(data.Slice(4, (int)valueLength));
            data = data[(4 + (int)valueLength)..];
        }
        return true;
    }

    /// <summary>Upper bound of the bytes <see cref="WriteReady"/> needs.</summary>
    public static int ReadySize(IReadOnlyList<KeyValuePair<string, string>> properties)
    {
        var size = FrameHeader.MaxSize + 1 + Ready.Length;
        foreach (var (key, value) in properties)
            size += 1 + key.Length + 4 + Encoding.UTF8.GetByteCount(value);
        return size;
    }

    private static int WriteName(Span<byte> destination, string name)
    {
        destination[0] = (byte)name.Length;
        Encoding.ASCII.GetBytes(name, destination[1..]);
        return 1 + name.Length;
    }
}
