namespace Expair.Tests.Security;

public class SocketSecurityTests
{
    [Fact]
    public void Default_IsNull()
    {
        Assert.Same(SocketSecurity.Null, PairSocketOptions.Default.Security);
        Assert.Equal(SecurityMechanism.Null, SocketSecurity.Null.Mechanism);
        Assert.False(SocketSecurity.Null.IsServer);
        Assert.Null(SocketSecurity.Null.Authenticator);
        Assert.Equal("NULL", SocketSecurity.Null.ToString());
        Assert.Equal(TimeSpan.FromSeconds(5), PairSocketOptions.Default.AuthenticationTimeout);
    }

    [Fact]
    public void CurveServer_KeepsKeysAndAuthenticator()
    {
        using var keys = CurveKeyPair.FromSecretKey(CurveKeyPairTests.ServerSecret);
        var allow = new CurveAllowList([CurveKeyPairTests.ClientPublic]);
        var security = SocketSecurity.CurveServer(keys, allow);
        Assert.Equal(SecurityMechanism.Curve, security.Mechanism);
        Assert.True(security.IsServer);
        Assert.Same(allow, security.Authenticator);
        Assert.Same(keys, Assert.IsType<CurveServerSecurity>(security).ServerKeys);
        Assert.Equal("CURVE server", security.ToString());
    }

    [Fact]
    public void CurveServer_AcceptingAnyClient_HasNoAuthenticator_AndMustBeAskedForByName()
    {
        using var keys = CurveKeyPair.Generate();
        var security = SocketSecurity.CurveServerAcceptingAnyClient(keys);
        Assert.True(security.IsServer);
        Assert.Null(security.Authenticator);
        Assert.Throws<ArgumentNullException>(() => SocketSecurity.CurveServer(keys, null!));
        Assert.Throws<ArgumentNullException>(() => SocketSecurity.CurveServer(null!, new CurveAllowList(Array.Empty<string>())));
    }

    [Fact]
    public void CurveServer_DisposedKeys_Throw()
    {
        var keys = CurveKeyPair.Generate();
        keys.Dispose();
        Assert.Throws<ObjectDisposedException>(() => SocketSecurity.CurveServerAcceptingAnyClient(keys));
        Assert.Throws<ObjectDisposedException>(() => SocketSecurity.CurveClient(CurveKeyPairTests.ServerPublic, keys));
    }

    [Fact]
    public void CurveClient_FromZ85OrBytes_KeepsTheServerKey()
    {
        using var clientKeys = CurveKeyPair.FromSecretKey(CurveKeyPairTests.ClientSecret);
        var fromText = Assert.IsType<CurveClientSecurity>(SocketSecurity.CurveClient(CurveKeyPairTests.ServerPublic, clientKeys));
        Assert.Equal(Z85.Decode(CurveKeyPairTests.ServerPublic), fromText.ServerPublicKey.ToArray());
        Assert.Same(clientKeys, fromText.ClientKeys);
        Assert.False(fromText.IsServer);
        Assert.Null(fromText.Authenticator);

        var fromBytes = Assert.IsType<CurveClientSecurity>(SocketSecurity.CurveClient(Z85.Decode(CurveKeyPairTests.ServerPublic)));
        Assert.Equal(fromText.ServerPublicKey.ToArray(), fromBytes.ServerPublicKey.ToArray());
        Assert.Null(fromBytes.ClientKeys);
    }

    [Fact]
    public void CurveClient_BadServerKey_ThrowsNamingIt()
    {
        var e1 = Assert.Throws<ArgumentException>(() => SocketSecurity.CurveClient(new byte[16]));
        Assert.Equal("serverPublicKey", e1.ParamName);
        var e2 = Assert.Throws<FormatException>(() => SocketSecurity.CurveClient("short"));
        Assert.Contains("server public key in Z85 is 40 characters, not 5", e2.Message);
        var e3 = Assert.Throws<FormatException>(() => SocketSecurity.CurveClient(CurveKeyPairTests.ServerPublic.Replace('r', ' ')));
        Assert.Contains("The CURVE server public key is not valid Z85", e3.Message);
        Assert.Throws<ArgumentNullException>(() => SocketSecurity.CurveClient((string)null!));
    }

    [Fact]
    public void Plain_ServerNeedsAnAuthenticator_ClientFieldsAreChecked()
    {
        var table = new PlainCredentials([new("admin", "secret")]);
        var server = SocketSecurity.PlainServer(table);
        Assert.Equal(SecurityMechanism.Plain, server.Mechanism);
        Assert.True(server.IsServer);
        Assert.Same(table, server.Authenticator);
        Assert.Throws<ArgumentNullException>(() => SocketSecurity.PlainServer(null!));

        var client = Assert.IsType<PlainClientSecurity>(SocketSecurity.PlainClient("admin", "secret"));
        Assert.Equal(("admin", "secret"), (client.UserName, client.Password));
        Assert.Equal("PLAIN client", client.ToString());
        Assert.Throws<ArgumentNullException>(() => SocketSecurity.PlainClient(null!, "x"));
        Assert.Throws<ArgumentNullException>(() => SocketSecurity.PlainClient("x", null!));
        var e = Assert.Throws<ArgumentException>(() => SocketSecurity.PlainClient("x", new string('\u00e9', 128)));
        Assert.Equal("password", e.ParamName);
        Assert.Contains("at most 255 bytes in UTF-8, not 256", e.Message);
        SocketSecurity.PlainClient("", new string('p', 255));
    }

    [Fact]
    public void Options_RejectNullSecurityAndBadTimeouts()
    {
        Assert.Throws<ArgumentNullException>(() => new PairSocketOptions { Security = null! });
        Assert.Throws<ArgumentOutOfRangeException>(() => new PairSocketOptions { AuthenticationTimeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new PairSocketOptions { AuthenticationTimeout = Timeout.InfiniteTimeSpan });
        var options = PairSocketOptions.Default with { Security = SocketSecurity.PlainClient("u", "p"), AuthenticationTimeout = TimeSpan.FromSeconds(1) };
        Assert.Equal(SecurityMechanism.Plain, options.Security.Mechanism);
    }
}
