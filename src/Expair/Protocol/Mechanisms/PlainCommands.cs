using System.Text;

namespace Expair.Protocol.Mechanisms;

/// <summary>
/// PLAIN command bodies (24/ZMTP-PLAIN, as libzmq sends them: length-prefixed names, not the 8-character padded
/// names of the RFC's prose): HELLO (user name, password), WELCOME (empty), INITIATE and READY (metadata).
/// Readers throw <see cref="ProtocolViolationException"/> with the reason.
/// </summary>
internal static class PlainCommands
{
    public const string Hello = "HELLO";
    public const string Welcome = "WELCOME";
    public const string Initiate = "INITIATE";
    public const string Ready = "READY";

    /// <summary>The exact length of a HELLO body.</summary>
    public static int HelloLength(ReadOnlySpan<byte> userName, ReadOnlySpan<byte> password) =>
        1 + Hello.Length + 1 + userName.Length + 1 + password.Length;

    /// <summary>Writes HELLO: name, then user name and password each behind a one-byte length.</summary>
    public static int WriteHello(Span<byte> destination, ReadOnlySpan<byte> userName, ReadOnlySpan<byte> password)
    {
        if (userName.Length > byte.MaxValue || password.Length > byte.MaxValue)
            throw new ArgumentException("PLAIN user names and passwords are at most 255 bytes.");
        var offset = MechanismCommands.WriteName(destination, Hello);
        destination[offset++] = (byte)userName.Length;
        userName.CopyTo(destination[offset..]);
        offset += userName.Length;
        destination[offset++] = (byte)password.Length;
        password.CopyTo(destination[offset..]);
        return offset + password.Length;
    }

    /// <summary>Reads HELLO; both fields must be valid UTF-8 and the body must end right after the password.</summary>
    public static (string UserName, string Password) ReadHello(ReadOnlySpan<byte> body)
    {
        Expect(body, Hello);
        var data = body[(1 + Hello.Length)..];
        var userName = ReadField(ref data, "user name");
        var password = ReadField(ref data, "password");
        if (!data.IsEmpty)
            throw new ProtocolViolationException($"PLAIN HELLO: {data.Length} bytes after the password");
        return (userName, password);
    }

    /// <summary>The WELCOME body: the name alone.</summary>
    public static int WelcomeLength => 1 + Welcome.Length;

    public static int WriteWelcome(Span<byte> destination) => MechanismCommands.WriteName(destination, Welcome);

    /// <summary>Reads WELCOME, which carries nothing (libzmq refuses extra bytes, so do we).</summary>
    public static void ReadWelcome(ReadOnlySpan<byte> body)
    {
        Expect(body, Welcome);
        if (body.Length != WelcomeLength)
            throw new ProtocolViolationException($"PLAIN WELCOME: {body.Length - WelcomeLength} bytes after the name");
    }

    /// <summary>The length of an INITIATE or READY body: the name and the metadata.</summary>
    public static int MetadataCommandLength(string name, IReadOnlyList<KeyValuePair<string, string>> properties) =>
        1 + name.Length + MechanismCommands.MetadataLength(properties);

    /// <summary>Writes INITIATE or READY (<paramref name="name"/>) with <paramref name="properties"/>.</summary>
    public static int WriteMetadataCommand(Span<byte> destination, string name, IReadOnlyList<KeyValuePair<string, string>> properties)
    {
        var offset = MechanismCommands.WriteName(destination, name);
        return offset + MechanismCommands.WriteMetadata(destination[offset..], properties);
    }

    /// <summary>Reads INITIATE or READY (<paramref name="name"/>) and returns its metadata.</summary>
    public static Dictionary<string, string> ReadMetadataCommand(ReadOnlySpan<byte> body, string name)
    {
        Expect(body, name);
        return MechanismCommands.ParseMetadata(body[(1 + name.Length)..], $"PLAIN {name}");
    }

    private static void Expect(ReadOnlySpan<byte> body, string name)
    {
        if (!MechanismCommands.HasName(body, name))
            throw new ProtocolViolationException($"PLAIN: expected {name}, received {MechanismCommands.NameOf(body)}");
    }

    private static string ReadField(ref ReadOnlySpan<byte> data, string what)
    {
        if (data.IsEmpty || data.Length < 1 + data[0])
            throw new ProtocolViolationException($"PLAIN HELLO: the {what} runs past the end of the command");
        var field = data.Slice(1, data[0]);
        data = data[(1 + field.Length)..];
        if (!System.Text.Unicode.Utf8.IsValid(field))
            throw new ProtocolViolationException($"PLAIN HELLO: the {what} is not valid UTF-8");
        return Encoding.UTF8.GetString(field);
    }
}
