using System.CommandLine;

namespace Expair.Cli;

/// <summary>
/// The security flags of the socket commands, named as libzmq's options (<c>--curve-server</c> for
/// <c>ZMQ_CURVE_SERVER</c>, <c>--curve-serverkey</c> for <c>ZMQ_CURVE_SERVERKEY</c>, ...), and their mapping to
/// <see cref="PairSocketOptions.Security"/>. One mechanism and one role per socket; anything else, and any key
/// that is not a CURVE key, is a usage error naming the option (exit 2). Part of <see cref="SocketOptionFlags"/>.
/// </summary>
internal sealed class SecurityFlags
{
    private readonly Option<bool> _curveServer = CliOptions.Flag("--curve-server",
        "be a CURVE server (ZMQ_CURVE_SERVER); needs --curve-secret");
    private readonly Option<string?> _curveSecret = Key("--curve-secret",
        "this side's CURVE secret key, 40 characters of Z85 from 'expair keygen' (ZMQ_CURVE_SECRETKEY)",
        "none; a CURVE client makes a fresh pair");
    private readonly Option<string?> _curvePublic = Key("--curve-public",
        "this side's CURVE public key, checked against --curve-secret (ZMQ_CURVE_PUBLICKEY)", "derived from --curve-secret");
    private readonly Option<string?> _curveServerKey = Key("--curve-serverkey",
        "be a CURVE client of the server with this public key (ZMQ_CURVE_SERVERKEY)", "none");
    private readonly Option<string[]> _curveAllow = Repeatable("--curve-allow", "KEY",
        "CURVE server: let in the client with this public key; repeat for more",
        "any client key, noted on stderr");
    private readonly Option<string[]> _plainServer = Repeatable("--plain-server", "USER:PASSWORD",
        "be a PLAIN server that lets in this user; repeat for more (ZMQ_PLAIN_SERVER)", "none");
    private readonly Option<string?> _plain = new("--plain")
    {
        HelpName = "USER:PASSWORD",
        Description = CliOptions.WithDefault("be a PLAIN client logging in as USER (ZMQ_PLAIN_USERNAME, ZMQ_PLAIN_PASSWORD)", "none"),
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _curveServer, _curveSecret, _curvePublic, _curveServerKey, _curveAllow, _plainServer, _plain })
            command.Options.Add(option);
    }

    /// <summary>
    /// The security the flags ask for (NULL when none is given). A CURVE server without <c>--curve-allow</c>
    /// accepts any client key and says so on <paramref name="console"/>'s stderr.
    /// </summary>
    public CliSecurity Build(ParseResult parsed, CliConsole console)
    {
        var command = parsed.CommandResult.Command.Name;
        var isCurveServer = parsed.GetValue(_curveServer);
        var serverKey = parsed.GetValue(_curveServerKey);
        var allowed = parsed.GetValue(_curveAllow) ?? [];
        var plainUsers = parsed.GetValue(_plainServer) ?? [];
        var plain = parsed.GetValue(_plain);
        var secret = parsed.GetValue(_curveSecret);
        var publicKey = parsed.GetValue(_curvePublic);

        // One mechanism and one role: each of these flags picks both.
        var roles = new (string Name, bool Given)[]
        {
            (_curveServer.Name, isCurveServer), (_curveServerKey.Name, serverKey is not null),
            (_plainServer.Name, plainUsers.Length > 0), (_plain.Name, plain is not null),
        }.Where(r => r.Given).Select(r => r.Name).ToList();
        if (roles.Count > 1)
            throw CliParser.Error(command, $"option {roles[1]} conflicts with {roles[0]}: a socket has one mechanism and one role");
        if (secret is null && publicKey is not null)
            throw CliParser.Error(command, $"option {_curvePublic.Name} needs {_curveSecret.Name}");
        if (secret is not null && !isCurveServer && serverKey is null)
            throw CliParser.Error(command, $"option {_curveSecret.Name} needs {_curveServer.Name} or {_curveServerKey.Name}");
        if (allowed.Length > 0 && !isCurveServer)
            throw CliParser.Error(command, $"option {_curveAllow.Name} needs {_curveServer.Name}");

        if (plain is not null)
        {
            var (user, password) = Credentials(command, _plain.Name, plain);
            return new CliSecurity(Refused(command, _plain.Name, () => SocketSecurity.PlainClient(user, password)), null, null);
        }
        if (plainUsers.Length > 0)
        {
            var table = plainUsers.Select(u => Credentials(command, _plainServer.Name, u)).Select(u => KeyValuePair.Create(u.User, u.Password)).ToList();
            var credentials = Refused(command, _plainServer.Name, () => new PlainCredentials(table));
            return new CliSecurity(SocketSecurity.PlainServer(credentials), null, null);
        }
        if (isCurveServer)
        {
            if (secret is null)
                throw CliParser.Error(command, $"option {_curveServer.Name} needs {_curveSecret.Name} KEY (the server's secret key; 'expair keygen' makes a pair)");
            // The allow-list is checked before the pair is made, so a bad key leaves no secret behind.
            var allowList = allowed.Length == 0 ? null : new CurveAllowList(allowed.Select(k => Z85.Encode(DecodeKey(command, _curveAllow.Name, k))));
            var keys = Pair(command, secret, publicKey);
            if (allowList is not null)
                return new CliSecurity(SocketSecurity.CurveServer(keys, allowList), keys, null);
            console.Note($"{command}: CURVE server accepting any client key (give --curve-allow KEY to admit only known clients)");
            return new CliSecurity(SocketSecurity.CurveServerAcceptingAnyClient(keys), keys, null);
        }
        if (serverKey is not null)
        {
            var server = DecodeKey(command, _curveServerKey.Name, serverKey);
            var keys = secret is null ? null : Pair(command, secret, publicKey);
            return new CliSecurity(SocketSecurity.CurveClient(server, keys), keys, server);
        }
        return new CliSecurity(SocketSecurity.Null, null, null);
    }

    /// <summary>The pair of <c>--curve-secret</c>, checked against <c>--curve-public</c> when that is given.</summary>
    private CurveKeyPair Pair(string command, string secret, string? publicKey)
    {
        var secretBytes = DecodeKey(command, _curveSecret.Name, secret);
        var keys = CurveKeyPair.FromSecretKey(secretBytes);
        Array.Clear(secretBytes);
        if (publicKey is not null && !DecodeKey(command, _curvePublic.Name, publicKey).AsSpan().SequenceEqual(keys.PublicKey))
        {
            var derived = keys.PublicKeyZ85;
            keys.Dispose();
            throw CliParser.Error(command, $"option {_curvePublic.Name} does not match {_curveSecret.Name} (whose public key is {derived})");
        }
        return keys;
    }

    /// <summary>A 40-character Z85 CURVE key as its 32 bytes; otherwise a usage error naming the option (never showing the value).</summary>
    private static byte[] DecodeKey(string command, string option, string text)
    {
        if (text.Length != CurveKeyPair.Z85KeyLength)
            throw CliParser.Error(command, $"option {option} needs a CURVE key of {CurveKeyPair.Z85KeyLength} Z85 characters, not {text.Length}");
        try
        {
            return Z85.Decode(text);
        }
        catch (FormatException e)
        {
            throw CliParser.Error(command, $"option {option} is not a valid CURVE key: {e.Message}");
        }
    }

    /// <summary><c>USER:PASSWORD</c>, split at the first colon (a password may hold colons).</summary>
    private static (string User, string Password) Credentials(string command, string option, string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
            throw CliParser.Error(command, $"option {option} needs USER:PASSWORD, a user name, a colon and the password");
        return (text[..colon], text[(colon + 1)..]);
    }

    /// <summary>What the library refuses (a PLAIN field over 255 bytes) as a usage error naming the option.</summary>
    private static T Refused<T>(string command, string option, Func<T> make)
    {
        try
        {
            return make();
        }
        catch (ArgumentException e)
        {
            throw CliParser.Error(command, $"option {option} is refused: {Sockets.WithoutParameterName(e)}");
        }
    }

    private static Option<string?> Key(string name, string description, string defaultText) =>
        new(name) { HelpName = "KEY", Description = CliOptions.WithDefault(description, defaultText) };

    /// <summary>An option that may be given many times, one value each time (<c>--curve-allow A --curve-allow B</c>).</summary>
    private static Option<string[]> Repeatable(string name, string valueName, string description, string defaultText) =>
        new(name)
        {
            HelpName = valueName,
            Description = CliOptions.WithDefault(description, defaultText),
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
}

/// <summary>
/// What the security flags built: the socket's <see cref="Security"/>, this side's long-term CURVE pair made from
/// <c>--curve-secret</c> (null otherwise) and, for a CURVE client, the server's public key.
/// </summary>
internal sealed record CliSecurity(SocketSecurity Security, CurveKeyPair? Keys, byte[]? ServerKey);
