using System.CommandLine;

namespace Expair.Cli.Tests;

/// <summary>
/// The security flags: each maps to its <see cref="SocketSecurity"/> (inspected through <see cref="CliSecurity"/>,
/// no connection made), and every bad key or conflicting flag is exit 2 with one line naming the option.
/// </summary>
public sealed class SecurityFlagTests : IDisposable
{
    private static readonly CurveKeyPair Server = CurveKeyPair.Generate();
    private static readonly CurveKeyPair Client = CurveKeyPair.Generate();
    private static readonly string ServerSecret = Server.GetSecretKeyZ85();
    private static readonly string ClientSecret = Client.GetSecretKeyZ85();

    private readonly StringWriter _stderr = new();

    public void Dispose() => _stderr.Dispose();

    private CliSecurity Build(params string[] args)
    {
        var flags = new SecurityFlags();
        var command = new Command("recv");
        flags.AddTo(command);
        var parsed = command.Parse(args, CliParser.ParserConfiguration());
        Assert.Empty(parsed.Errors);
        return flags.Build(parsed, new CliConsole(TextWriter.Null, _stderr, Stream.Null));
    }

    [Fact]
    public void NoFlags_IsNull()
    {
        var built = Build();

        Assert.Same(SocketSecurity.Null, built.Security);
        Assert.Null(built.Keys);
        Assert.Equal("", _stderr.ToString());
    }

    [Fact]
    public void CurveServer_WithoutAllowList_AcceptsAnyClientAndSaysSo()
    {
        var built = Build("--curve-server", "--curve-secret", ServerSecret);

        Assert.Equal(SecurityMechanism.Curve, built.Security.Mechanism);
        Assert.True(built.Security.IsServer);
        Assert.Null(built.Security.Authenticator);
        Assert.Equal(Server.PublicKeyZ85, built.Keys!.PublicKeyZ85);
        Assert.True(built.Keys.SecretKey.SequenceEqual(Server.SecretKey));
        Assert.Equal("expair: recv: CURVE server accepting any client key (give --curve-allow KEY to admit only known clients)"
            + Environment.NewLine, _stderr.ToString());
    }

    [Fact]
    public async Task CurveServer_WithAllowList_AdmitsExactlyTheListedKeys()
    {
        using var other = CurveKeyPair.Generate();
        using var stranger = CurveKeyPair.Generate();
        var built = Build("--curve-server", "--curve-secret", ServerSecret, "--curve-public", Server.PublicKeyZ85,
            "--curve-allow", Client.PublicKeyZ85, "--curve-allow", other.PublicKeyZ85);

        Assert.Equal(SecurityMechanism.Curve, built.Security.Mechanism);
        Assert.True(built.Security.IsServer);
        var allowList = Assert.IsType<CurveAllowList>(built.Security.Authenticator);
        Assert.Equal(2, allowList.Count);
        Assert.True(allowList.Contains(Client.PublicKey));
        Assert.True(allowList.Contains(other.PublicKey));
        Assert.False(allowList.Contains(stranger.PublicKey));
        Assert.True((await allowList.AuthenticateAsync(new AuthenticationRequest("peer", Client.PublicKey), default)).IsAllowed);
        Assert.Equal(Server.PublicKeyZ85, built.Keys!.PublicKeyZ85);
        Assert.Equal("", _stderr.ToString());
    }

    [Fact]
    public void CurveClient_WithoutItsOwnPair_LeavesTheFreshPairToTheSocket()
    {
        var built = Build("--curve-serverkey", Server.PublicKeyZ85);

        Assert.Equal(SecurityMechanism.Curve, built.Security.Mechanism);
        Assert.False(built.Security.IsServer);
        Assert.Null(built.Keys);
        Assert.Equal(Server.PublicKey.ToArray(), built.ServerKey);
        Assert.Equal("", _stderr.ToString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CurveClient_WithItsPair_UsesIt(bool withPublic)
    {
        string[] publicFlag = withPublic ? ["--curve-public", Client.PublicKeyZ85] : [];
        var built = Build(["--curve-serverkey", Server.PublicKeyZ85, "--curve-secret", ClientSecret, .. publicFlag]);

        Assert.Equal(SecurityMechanism.Curve, built.Security.Mechanism);
        Assert.False(built.Security.IsServer);
        Assert.Equal(Client.PublicKeyZ85, built.Keys!.PublicKeyZ85);
        Assert.Equal(Server.PublicKey.ToArray(), built.ServerKey);
    }

    [Fact]
    public async Task PlainServer_AdmitsEachListedUserWithItsPassword()
    {
        var built = Build("--plain-server", "alice:secret", "--plain-server", "bob:p:w");

        Assert.Equal(SecurityMechanism.Plain, built.Security.Mechanism);
        Assert.True(built.Security.IsServer);
        var table = Assert.IsType<PlainCredentials>(built.Security.Authenticator);
        Assert.Equal(2, table.Count);
        Assert.True((await table.AuthenticateAsync(new AuthenticationRequest("peer", "alice", "secret"), default)).IsAllowed);
        // The password is everything after the first colon.
        Assert.True((await table.AuthenticateAsync(new AuthenticationRequest("peer", "bob", "p:w"), default)).IsAllowed);
        Assert.False((await table.AuthenticateAsync(new AuthenticationRequest("peer", "bob", "p"), default)).IsAllowed);
        Assert.False((await table.AuthenticateAsync(new AuthenticationRequest("peer", "alice", "secret:"), default)).IsAllowed);
    }

    [Fact]
    public void PlainClient_IsAPlainClient()
    {
        var built = Build("--plain", "alice:");

        Assert.Equal(SecurityMechanism.Plain, built.Security.Mechanism);
        Assert.False(built.Security.IsServer);
        Assert.Null(built.Security.Authenticator);
    }

    /// <summary>The flags reach PairSocketOptions.Security through SocketOptionFlags, which every socket command uses.</summary>
    [Fact]
    public void SocketOptionFlags_SetSecurity()
    {
        var flags = new SocketOptionFlags(lingerDefault: "x");
        var command = new Command("send");
        flags.AddTo(command);
        var options = flags.Apply(command.Parse(["--curve-serverkey", Server.PublicKeyZ85, "--sndhwm", "5"], CliParser.ParserConfiguration()), PairSocketOptions.Default,
            new CliConsole(TextWriter.Null, _stderr, Stream.Null));

        Assert.Equal(SecurityMechanism.Curve, options.Security.Mechanism);
        Assert.False(options.Security.IsServer);
        Assert.Equal(5, options.SendHighWaterMark);
    }

    private static readonly string Short = ServerSecret[..39];
    private static readonly string NotInAlphabet = "~" + ServerSecret[1..];
    private static readonly string Over32Bits = "%%%%%" + ServerSecret[5..];

    public static TheoryData<string, string[]> BadInputs => new()
    {
        { "option --curve-secret needs a CURVE key of 40 Z85 characters, not 39", ["--curve-server", "--curve-secret", Short] },
        { "option --curve-secret needs a CURVE key of 40 Z85 characters, not 41", ["--curve-server", "--curve-secret", ServerSecret + "0"] },
        { "option --curve-serverkey needs a CURVE key of 40 Z85 characters, not 0", ["--curve-serverkey", ""] },
        { "option --curve-public needs a CURVE key of 40 Z85 characters, not 39", ["--curve-serverkey", Server.PublicKeyZ85, "--curve-secret", ClientSecret, "--curve-public", Short] },
        { "option --curve-allow needs a CURVE key of 40 Z85 characters, not 39", ["--curve-server", "--curve-secret", ServerSecret, "--curve-allow", Client.PublicKeyZ85, "--curve-allow", Short] },
        { "option --curve-serverkey is not a valid CURVE key: Z85 text has '~' at position 0, which is not in Z85's alphabet (0-9, a-z, A-Z and .-:+=^!/*?&<>()[]{}@%$#).", ["--curve-serverkey", NotInAlphabet] },
        { "option --curve-secret is not a valid CURVE key: Z85 characters 0-4 (\"%%%%%\") stand for more than 32 bits.", ["--curve-server", "--curve-secret", Over32Bits] },
        { "option --curve-allow is not a valid CURVE key: Z85 text has '~' at position 0, which is not in Z85's alphabet (0-9, a-z, A-Z and .-:+=^!/*?&<>()[]{}@%$#).", ["--curve-server", "--curve-secret", ServerSecret, "--curve-allow", NotInAlphabet] },
        { $"option --curve-public does not match --curve-secret (whose public key is {Server.PublicKeyZ85})", ["--curve-server", "--curve-secret", ServerSecret, "--curve-public", Client.PublicKeyZ85] },
        { $"option --curve-public does not match --curve-secret (whose public key is {Client.PublicKeyZ85})", ["--curve-serverkey", Server.PublicKeyZ85, "--curve-secret", ClientSecret, "--curve-public", Server.PublicKeyZ85] },
        { "option --curve-server needs --curve-secret KEY (the server's secret key; 'expair keygen' makes a pair)", ["--curve-server"] },
        { "option --curve-public needs --curve-secret", ["--curve-serverkey", Server.PublicKeyZ85, "--curve-public", Client.PublicKeyZ85] },
        { "option --curve-secret needs --curve-server or --curve-serverkey", ["--curve-secret", ServerSecret] },
        { "option --curve-allow needs --curve-server", ["--curve-serverkey", Server.PublicKeyZ85, "--curve-allow", Client.PublicKeyZ85] },
        { "option --plain conflicts with --curve-server: a socket has one mechanism and one role", ["--plain", "u:p", "--curve-server", "--curve-secret", ServerSecret] },
        { "option --curve-serverkey conflicts with --curve-server: a socket has one mechanism and one role", ["--curve-server", "--curve-secret", ServerSecret, "--curve-serverkey", Server.PublicKeyZ85] },
        { "option --plain conflicts with --plain-server: a socket has one mechanism and one role", ["--plain-server", "u:p", "--plain", "u:p"] },
        { "option --plain-server conflicts with --curve-serverkey: a socket has one mechanism and one role", ["--curve-serverkey", Server.PublicKeyZ85, "--plain-server", "u:p"] },
        { "option --plain needs USER:PASSWORD, a user name, a colon and the password", ["--plain", "alice"] },
        { "option --plain needs USER:PASSWORD, a user name, a colon and the password", ["--plain", ":secret"] },
        { "option --plain-server needs USER:PASSWORD, a user name, a colon and the password", ["--plain-server", "a:b", "--plain-server", "c"] },
        { "option --plain is refused: A PLAIN user name is at most 255 bytes in UTF-8, not 256.", ["--plain", new string('u', 256) + ":p"] },
        { "option --plain-server is refused: A PLAIN password is at most 255 bytes in UTF-8, not 300.", ["--plain-server", "u:" + new string('p', 300)] },
        { "option --curve-server given twice", ["--curve-server", "--curve-server", "--curve-secret", ServerSecret] },
        { "option --plain given twice", ["--plain", "a:b", "--plain", "c:d"] },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadInput_Exit2WithOneLineNamingTheOption(string expected, string[] flags)
    {
        foreach (var command in new[] { "recv", "send", "echo" })
        {
            var result = await CliRunner.RunAsync([command, "--connect", $"inproc://security-{Guid.NewGuid():N}", .. flags]);
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Equal([$"expair: {command}: {expected} (see 'expair {command} --help')"], result.StderrLines);
            Assert.Equal("", result.Stdout);
        }
        var bench = await CliRunner.RunAsync(["bench", "thr-local", "tcp://127.0.0.1:*", "8", "10", .. flags]);
        Assert.True(bench.ExitCode == 2, bench.ToString());
        Assert.Equal([$"expair: bench: {expected} (see 'expair bench --help')"], bench.StderrLines);
    }

    [Fact]
    public async Task Bench_InProcWithSecurity_Exit2()
    {
        var result = await CliRunner.RunAsync("bench", "inproc-thr", "8", "10", "--curve-serverkey", Server.PublicKeyZ85);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(["expair: bench: the security options are for the ENDPOINT modes; inproc-thr and inproc-lat run both sides in one process (see 'expair bench --help')"],
            result.StderrLines);
    }

    /// <summary>
    /// A key may start with any Z85 character, '-' and '@' too: it is the option's value, not an option or a
    /// response file. Runs the whole CLI (a CURVE server with no peer, so it times out: exit 1, not 2).
    /// </summary>
    [Theory]
    [InlineData('-')]
    [InlineData('@')]
    [InlineData('!')]
    [InlineData(':')]
    [InlineData('=')]
    public async Task Key_StartingWithAnyZ85Character_IsTakenAsTheValue(char first)
    {
        // libzmq's test secret key with its first character replaced; none of these overflows the first group.
        using var pair = CurveKeyPair.FromSecretKey(first + "TKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6");
        string[][] flagSets =
        [
            ["--curve-server", "--curve-secret", pair.GetSecretKeyZ85(), "--curve-allow", pair.PublicKeyZ85],
            ["--curve-server", $"--curve-secret={pair.GetSecretKeyZ85()}", "--curve-public", pair.PublicKeyZ85],
            ["--curve-serverkey", pair.GetSecretKeyZ85()],
        ];
        foreach (var flags in flagSets)
        {
            var result = await CliRunner.RunAsync(["recv", "--connect", $"inproc://security-{Guid.NewGuid():N}", "--timeout", "0", .. flags]);
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.EndsWith("expair: recv: no message within 0 ms (0 received)", result.StderrLines[^1], StringComparison.Ordinal);
        }
    }

    /// <summary>A repeatable option takes one value per use: what follows is send's message, not another key.</summary>
    [Fact]
    public void CurveAllow_TakesOneValuePerUse()
    {
        var messages = new Argument<string[]>("MESSAGE") { Arity = ArgumentArity.ZeroOrMore };
        var flags = new SecurityFlags();
        var command = new Command("send") { messages };
        flags.AddTo(command);

        var parsed = command.Parse(["--curve-server", "--curve-secret", ServerSecret, "--curve-allow", Client.PublicKeyZ85, "hello"], CliParser.ParserConfiguration());

        Assert.Empty(parsed.Errors);
        Assert.Equal(["hello"], parsed.GetValue(messages)!);
        Assert.Equal(1, Assert.IsType<CurveAllowList>(flags.Build(parsed, new CliConsole(TextWriter.Null, _stderr, Stream.Null)).Security.Authenticator).Count);
    }
}
