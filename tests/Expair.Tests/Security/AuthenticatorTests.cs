namespace Expair.Tests.Security;

public class AuthenticatorTests
{
    private const string Address = "tcp://192.0.2.7:50412";

    [Fact]
    public async Task CurveAllowList_AllowsListedKeysOnly()
    {
        using var listed = CurveKeyPair.FromSecretKey(CurveKeyPairTests.ClientSecret);
        using var stranger = CurveKeyPair.Generate();
        var list = new CurveAllowList([CurveKeyPairTests.ClientPublic, CurveKeyPairTests.ClientPublic]);
        Assert.Equal(1, list.Count);
        Assert.True(list.Contains(listed.PublicKey));
        Assert.False(list.Contains(stranger.PublicKey));
        Assert.False(list.Contains(new byte[5]));

        var allowed = await list.AuthenticateAsync(new AuthenticationRequest(Address, listed.PublicKey), default);
        Assert.True(allowed.IsAllowed);
        Assert.Same(AuthenticationResult.Allow, allowed);

        var denied = await list.AuthenticateAsync(new AuthenticationRequest(Address, stranger.PublicKey), default);
        Assert.False(denied.IsAllowed);
        Assert.Equal($"client public key {stranger.PublicKeyZ85} is not on the allow-list", denied.DenyReason);

        var plain = await list.AuthenticateAsync(new AuthenticationRequest(Address, "u", "p"), default);
        Assert.Equal("the CURVE allow-list admits CURVE clients only, not PLAIN", plain.DenyReason);
    }

    [Fact]
    public async Task CurveAllowList_FromBytes_IsTheSameList()
    {
        var list = new CurveAllowList([Z85.Decode(CurveKeyPairTests.ClientPublic)]);
        var result = await list.AuthenticateAsync(new AuthenticationRequest(Address, Z85.Decode(CurveKeyPairTests.ClientPublic)), default);
        Assert.True(result.IsAllowed);
        Assert.Throws<ArgumentException>(() => new CurveAllowList([new byte[31]]));
        Assert.Throws<FormatException>(() => new CurveAllowList(["not a key"]));
        Assert.Throws<ArgumentNullException>(() => new CurveAllowList([(string)null!]));
    }

    [Fact]
    public async Task PlainCredentials_AllowsMatchingPairsOnly_SameReasonForUserOrPassword()
    {
        var table = new PlainCredentials([new("admin", "secret"), new("guest", ""), new("admin", "newer")]);
        Assert.Equal(2, table.Count);
        Assert.True((await table.AuthenticateAsync(new AuthenticationRequest(Address, "admin", "newer"), default)).IsAllowed);
        Assert.True((await table.AuthenticateAsync(new AuthenticationRequest(Address, "guest", ""), default)).IsAllowed);

        var wrongPassword = await table.AuthenticateAsync(new AuthenticationRequest(Address, "admin", "secret"), default);
        var unknownUser = await table.AuthenticateAsync(new AuthenticationRequest(Address, "root", "newer"), default);
        Assert.Equal("PLAIN user \"admin\": unknown user or wrong password", wrongPassword.DenyReason);
        Assert.Equal("PLAIN user \"root\": unknown user or wrong password", unknownUser.DenyReason);
        Assert.False((await table.AuthenticateAsync(new AuthenticationRequest(Address, "ADMIN", "newer"), default)).IsAllowed);

        using var keys = CurveKeyPair.Generate();
        var curve = await table.AuthenticateAsync(new AuthenticationRequest(Address, keys.PublicKey), default);
        Assert.Equal("the PLAIN credentials table admits PLAIN clients only, not CURVE", curve.DenyReason);
    }

    [Fact]
    public void PlainCredentials_RejectsNullAndOverlongFields()
    {
        Assert.Throws<ArgumentNullException>(() => new PlainCredentials([new("u", null!)]));
        Assert.Throws<ArgumentException>(() => new PlainCredentials([new(new string('u', 256), "p")]));
    }

    [Fact]
    public void Request_CarriesTheIdentityAndHidesThePassword()
    {
        var plain = new AuthenticationRequest(Address, "admin", "secret");
        Assert.Equal((SecurityMechanism.Plain, "admin", "secret"), (plain.Mechanism, plain.UserName, plain.Password));
        Assert.True(plain.ClientPublicKey.IsEmpty);
        Assert.Null(plain.ClientPublicKeyZ85);
        Assert.DoesNotContain("secret", plain.ToString());

        var curve = new AuthenticationRequest(Address, Z85.Decode(CurveKeyPairTests.ClientPublic));
        Assert.Equal(SecurityMechanism.Curve, curve.Mechanism);
        Assert.Equal(CurveKeyPairTests.ClientPublic, curve.ClientPublicKeyZ85);
        Assert.Equal($"CURVE client {CurveKeyPairTests.ClientPublic} from {Address}", curve.ToString());
        Assert.Null(curve.UserName);
        Assert.Throws<ArgumentException>(() => new AuthenticationRequest(Address, new byte[3]));
    }

    [Fact]
    public void Result_DenyNeedsAReason()
    {
        Assert.Equal("deny: no", AuthenticationResult.Deny("no").ToString());
        Assert.Equal("allow", AuthenticationResult.Allow.ToString());
        Assert.Throws<ArgumentException>(() => AuthenticationResult.Deny(""));
        Assert.Throws<ArgumentNullException>(() => AuthenticationResult.Deny(null!));
    }
}
