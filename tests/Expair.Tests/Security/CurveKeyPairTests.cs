namespace Expair.Tests.Security;

public class CurveKeyPairTests
{
    // The example pairs of libzmq's zmq_curve(7) manual page, made by libzmq's curve_keygen.
    internal const string ClientPublic = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
    internal const string ClientSecret = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
    internal const string ServerPublic = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    internal const string ServerSecret = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";

    [Theory]
    [InlineData(ClientSecret, ClientPublic)]
    [InlineData(ServerSecret, ServerPublic)]
    public void FromSecretKey_LibzmqExamplePairs_DerivesTheirPublicKeys(string secret, string expectedPublic)
    {
        using var pair = CurveKeyPair.FromSecretKey(secret);
        Assert.Equal(expectedPublic, pair.PublicKeyZ85);
        Assert.Equal(Z85.Decode(expectedPublic), pair.PublicKey.ToArray());
        Assert.Equal(secret, pair.GetSecretKeyZ85());
        Assert.Equal(Z85.Decode(secret), pair.SecretKey.ToArray());
    }

    [Fact]
    public void FromSecretKey_Bytes_DerivesRfc7748PublicKey()
    {
        using var pair = CurveKeyPair.FromSecretKey(SodiumTests.AliceSecret);
        Assert.Equal(SodiumTests.AlicePublic, pair.PublicKey.ToArray());
    }

    [Fact]
    public void Generate_GivesDistinctConsistentPairs()
    {
        using var a = CurveKeyPair.Generate();
        using var b = CurveKeyPair.Generate();
        Assert.NotEqual(a.PublicKeyZ85, b.PublicKeyZ85);
        Assert.Equal(40, a.PublicKeyZ85.Length);
        Assert.Equal(32, a.PublicKey.Length);
        using var again = CurveKeyPair.FromSecretKey(a.SecretKey);
        Assert.Equal(a.PublicKeyZ85, again.PublicKeyZ85);
    }

    [Fact]
    public void Dispose_ZeroesTheSecretAndForbidsReadingIt()
    {
        var pair = CurveKeyPair.FromSecretKey(ServerSecret);
        var secret = pair.SecretKey; // the pinned array itself
        pair.Dispose();
        Assert.Equal(new byte[32], secret.ToArray());
        Assert.Throws<ObjectDisposedException>(() => pair.SecretKey.Length);
        Assert.Throws<ObjectDisposedException>(() => pair.GetSecretKeyZ85());
        Assert.Equal(ServerPublic, pair.PublicKeyZ85);
        pair.Dispose();
    }

    [Fact]
    public void ToString_ShowsThePublicKeyOnly()
    {
        using var pair = CurveKeyPair.FromSecretKey(ServerSecret);
        Assert.Equal($"CurveKeyPair {ServerPublic}", pair.ToString());
    }

    [Fact]
    public void FromSecretKey_WrongLengthsAndBadText_ThrowClearly()
    {
        var e1 = Assert.Throws<ArgumentException>(() => CurveKeyPair.FromSecretKey(new byte[31]));
        Assert.Contains("32 bytes, not 31", e1.Message);
        var e2 = Assert.Throws<FormatException>(() => CurveKeyPair.FromSecretKey(ServerSecret[..35]));
        Assert.Contains("secret key in Z85 is 40 characters, not 35", e2.Message);
        var e3 = Assert.Throws<FormatException>(() => CurveKeyPair.FromSecretKey(ServerSecret[..39] + "~"));
        Assert.Contains("The CURVE secret key is not valid Z85", e3.Message);
        Assert.Contains("'~' at position 39", e3.Message);
        Assert.Throws<ArgumentNullException>(() => CurveKeyPair.FromSecretKey((string)null!));
    }
}
