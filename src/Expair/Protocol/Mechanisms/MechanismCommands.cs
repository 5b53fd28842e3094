using System.Buffers.Binary;
using System.Text;

namespace Expair.Protocol.Mechanisms;

/// <summary>
/// What PLAIN and CURVE command bodies share: the name (a length byte and ASCII, compared exactly as libzmq
/// does), ZMTP metadata (37/ZMTP "Connection Metadata"), and the ERROR command a server sends on a denial.
/// </summary>
internal static class MechanismCommands
{
    public const string Error = "ERROR";

    /// <summary>Whether <paramref name="body"/> starts with the name <paramref name="name"/> (length byte included).</summary>
    public static bool HasName(ReadOnlySpan<byte> body, string name)
    {
        if (body.Length < 1 + name.Length || body[0] != name.Length)
            return false;
        for (var i = 0; i < name.Length; i++)
        {
            if (body[1 + i] != name[i])
                return false;
        }
        return true;
    }

    /// <summary>The command's name for error messages, or a placeholder when the body has none.</summary>
    public static string NameOf(ReadOnlySpan<byte> body) =>
        Commands.TryParse(body, out var name, out _) && Ascii.IsValid(name) && !name.ContainsAnyInRange((byte)0, (byte)31)
            ? Encoding.ASCII.GetString(name)
            : "(no valid name)";

    /// <summary>Writes a name (length byte and ASCII); returns the bytes written.</summary>
    public static int WriteName(Span<byte> destination, string name)
    {
        destination[0] = (byte)name.Length;
        Encoding.ASCII.GetBytes(name, destination[1..]);
        return 1 + name.Length;
    }

    /// <summary>The length of <paramref name="properties"/> in the metadata format.</summary>
    public static int MetadataLength(IReadOnlyList<KeyValuePair<string, string>> properties)
    {
        var length = 0;
        foreach (var (key, value) in properties)
            length += 1 + Encoding.ASCII.GetByteCount(key) + 4 + Encoding.UTF8.GetByteCount(value);
        return length;
    }

    /// <summary>Writes <paramref name="properties"/> as metadata; returns the bytes written.</summary>
    public static int WriteMetadata(Span<byte> destination, IReadOnlyList<KeyValuePair<string, string>> properties)
    {
        var offset = 0;
        foreach (var (key, value) in properties)
        {
            var keyLength = Encoding.ASCII.GetBytes(key, destination[(offset + 1)..]);
            destination[offset] = (byte)keyLength;
            offset += 1 + keyLength;
            var valueLength = Encoding.UTF8.GetBytes(value, destination[(offset + 4)..]);
            BinaryPrimitives.WriteInt32BigEndian(destination[offset..], valueLength);
            offset += 4 + valueLength;
        }
        return offset;
    }

    /// <summary>Parses metadata, or throws naming the <paramref name="command"/> that carried it.</summary>
    public static Dictionary<string, string> ParseMetadata(ReadOnlySpan<byte> data, string command) =>
        Commands.TryParseMetadata(data, out var properties)
            ? properties
            : throw new ProtocolViolationException($"{command}: malformed metadata");

    /// <summary>
    /// Whether <paramref name="body"/> is an ERROR command, and its reason. Also recognises the form libzmq
    /// 4.3.4's PLAIN server sends, whose name is written <c>"\x5ERROR"</c> in its source: the bytes 0x5E "RROR"
    /// (a C hex escape that swallowed the E), then the usual length and reason.
    /// </summary>
    public static bool IsError(ReadOnlySpan<byte> body, out string reason)
    {
        reason = "";
        var nameLength = HasName(body, Error) ? 1 + Error.Length : body.StartsWith(LibZmqPlainError) ? LibZmqPlainError.Length : 0;
        if (nameLength == 0)
            return false;
        reason = Commands.ParseErrorReason(body[nameLength..]);
        return true;
    }

    private static ReadOnlySpan<byte> LibZmqPlainError => [0x5E, (byte)'R', (byte)'R', (byte)'O', (byte)'R'];

    /// <summary>The length of an ERROR body for <paramref name="reason"/> (cut to 255 ASCII bytes).</summary>
    public static int ErrorLength(string reason) => 1 + Error.Length + 1 + Math.Min(Encoding.ASCII.GetByteCount(reason), byte.MaxValue);

    /// <summary>Writes an ERROR body (23/ZMTP: error-reason is a short string of at most 255 characters).</summary>
    public static int WriteError(Span<byte> destination, string reason)
    {
        var offset = WriteName(destination, Error);
        var reasonBytes = Encoding.ASCII.GetBytes(reason);
        var length = Math.Min(reasonBytes.Length, byte.MaxValue);
        destination[offset++] = (byte)length;
        reasonBytes.AsSpan(0, length).CopyTo(destination[offset..]);
        return offset + length;
    }
}
