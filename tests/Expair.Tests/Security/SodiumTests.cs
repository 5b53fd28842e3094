using Expair.Internal;

namespace Expair.Tests.Security;

/// <summary>
/// The libsodium bindings against known answers: RFC 7748's X25519 keys, NaCl's crypto_box "firstkey", and boxes
/// computed by the system's own libsodium (a separate build) for the same keys, nonce and text.
/// </summary>
public class SodiumTests
{
    internal static readonly byte[] AliceSecret = Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    internal static readonly byte[] AlicePublic = Convert.FromHexString("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    internal static readonly byte[] BobSecret = Convert.FromHexString("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    internal static readonly byte[] BobPublic = Convert.FromHexString("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    private static readonly byte[] SharedKey = Convert.FromHexString("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389");
    private static readonly byte[] Nonce = Convert.FromHexString("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
    private static readonly byte[] Text = "CurveZMQ known answer"u8.ToArray();
    private static readonly byte[] BoxOfText = Convert.FromHexString("07f54df8e13ebad66a8c7f38409f01c173eb162c11b3adf72de92dc3ae795ad474689ce828");
    private static readonly byte[] SecretBoxOfText = Convert.FromHexString("7126f7ccaf7f1c4b33b34c74361fdb36127dff0fcae5f5c018168b1157641be472e5510e64");

    [Fact]
    public void PublicKeyOf_Rfc7748Secrets_GivesTheirPublicKeys()
    {
        var pk = new byte[32];
        Sodium.PublicKeyOf(AliceSecret, pk);
        Assert.Equal(AlicePublic, pk);
        Sodium.PublicKeyOf(BobSecret, pk);
        Assert.Equal(BobPublic, pk);
    }

    [Fact]
    public void BoxBeforeNm_IsTheSameFromBothSides_AndNaClsFirstKey()
    {
        var ab = new byte[32];
        var ba = new byte[32];
        Assert.True(Sodium.BoxBeforeNm(ab, BobPublic, AliceSecret));
        Assert.True(Sodium.BoxBeforeNm(ba, AlicePublic, BobSecret));
        Assert.Equal(SharedKey, ab);
        Assert.Equal(SharedKey, ba);
    }

    [Fact]
    public void BoxBeforeNm_AllZeroPublicKey_IsRefused()
    {
        Assert.False(Sodium.BoxBeforeNm(new byte[32], new byte[32], AliceSecret));
    }

    [Fact]
    public void Box_KnownAnswer_AndOpensOnTheOtherSide()
    {
        var box = new byte[Text.Length + Sodium.MacLength];
        Assert.True(Sodium.Box(box, Text, Nonce, BobPublic, AliceSecret));
        Assert.Equal(BoxOfText, box);

        var opened = new byte[Text.Length];
        Assert.True(Sodium.BoxOpen(opened, box, Nonce, AlicePublic, BobSecret));
        Assert.Equal(Text, opened);
    }

    [Fact]
    public void BoxAfterNm_MatchesBox_AndOpensWithEitherForm()
    {
        var box = new byte[Text.Length + Sodium.MacLength];
        Sodium.BoxAfterNm(box, Text, Nonce, SharedKey);
        Assert.Equal(BoxOfText, box);

        var opened = new byte[Text.Length];
        Assert.True(Sodium.BoxOpenAfterNm(opened, box, Nonce, SharedKey));
        Assert.Equal(Text, opened);
    }

    [Fact]
    public void DetachedInPlace_IsTheEasyBoxSplitIntoMacAndCipherText()
    {
        var text = Text.ToArray();
        var mac = new byte[Sodium.MacLength];
        Sodium.BoxInPlaceAfterNm(text, mac, Nonce, SharedKey);
        Assert.Equal(BoxOfText[..16], mac);
        Assert.Equal(BoxOfText[16..], text);

        Assert.True(Sodium.BoxOpenDetachedAfterNm(text, text, mac, Nonce, SharedKey));
        Assert.Equal(Text, text);
    }

    [Fact]
    public void BoxOpen_AnyFlippedBit_IsRefusedAndWritesNothingUsable()
    {
        for (var bit = 0; bit < BoxOfText.Length * 8; bit++)
        {
            var box = BoxOfText.ToArray();
            box[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(Sodium.BoxOpenAfterNm(new byte[Text.Length], box, Nonce, SharedKey), $"bit {bit}");
        }
    }

    [Fact]
    public void BoxOpen_WrongNonceOrKey_IsRefused()
    {
        var nonce = Nonce.ToArray();
        nonce[23] ^= 1;
        Assert.False(Sodium.BoxOpenAfterNm(new byte[Text.Length], BoxOfText, nonce, SharedKey));
        Assert.False(Sodium.BoxOpen(new byte[Text.Length], BoxOfText, Nonce, BobPublic, BobSecret));
        Assert.False(Sodium.BoxOpenAfterNm([], new byte[15], Nonce, SharedKey));
    }

    [Fact]
    public void SecretBox_KnownAnswer_AndRoundTrip()
    {
        var key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var box = new byte[Text.Length + Sodium.MacLength];
        Sodium.SecretBox(box, Text, Nonce, key);
        Assert.Equal(SecretBoxOfText, box);

        var opened = new byte[Text.Length];
        Assert.True(Sodium.SecretBoxOpen(opened, box, Nonce, key));
        Assert.Equal(Text, opened);
        box[^1] ^= 0x80;
        Assert.False(Sodium.SecretBoxOpen(opened, box, Nonce, key));
    }

    [Fact]
    public void BoxKeyPair_GivesAMatchingFreshPair()
    {
        var pk1 = new byte[32];
        var sk1 = new byte[32];
        var pk2 = new byte[32];
        var sk2 = new byte[32];
        Sodium.BoxKeyPair(pk1, sk1);
        Sodium.BoxKeyPair(pk2, sk2);
        Assert.NotEqual(sk1, sk2);
        var derived = new byte[32];
        Sodium.PublicKeyOf(sk1, derived);
        Assert.Equal(pk1, derived);
    }

    [Fact]
    public void RandomBytes_FillsTheBuffer()
    {
        var a = new byte[64];
        var b = new byte[64];
        Sodium.RandomBytes(a);
        Sodium.RandomBytes(b);
        Assert.NotEqual(a, b);
        Assert.NotEqual(new byte[64], a);
    }

    [Fact]
    public void Zero_ClearsEveryByte()
    {
        var secret = AliceSecret.ToArray();
        Sodium.Zero(secret);
        Assert.Equal(new byte[32], secret);
        Sodium.Zero([]);
    }

    [Fact]
    public void Equal_ComparesContentAndLength()
    {
        Assert.True(Sodium.Equal32(AlicePublic, AlicePublic.ToArray()));
        Assert.False(Sodium.Equal32(AlicePublic, BobPublic));
        Assert.True(Sodium.Equal("abc"u8, "abc"u8));
        Assert.False(Sodium.Equal("abc"u8, "abd"u8));
        Assert.False(Sodium.Equal("abc"u8, "abcd"u8));
        Assert.True(Sodium.Equal([], []));
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheArgument()
    {
        var e = Assert.Throws<ArgumentException>(() => Sodium.PublicKeyOf(new byte[31], new byte[32]));
        Assert.Equal("secretKey", e.ParamName);
        Assert.Contains("32 bytes, not 31", e.Message);
        Assert.Throws<ArgumentException>(() => Sodium.Box(new byte[10], Text, Nonce, BobPublic, AliceSecret));
    }

    [Fact]
    public void OnLinux_TheDistributionsLibsodiumIsTheOneLoaded()
    {
        Sodium.EnsureInitialized();
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(Sodium.LoadedSystemLibrary);
            return;
        }
        // The test machines have Debian's libsodium23 (libzmq's dependency), so the resolver must have taken it.
        Assert.Equal(Sodium.SystemLibrary, Sodium.LoadedSystemLibrary);
        Assert.Contains(File.ReadLines("/proc/self/maps"), line => line.Contains("/libsodium.so.23", StringComparison.Ordinal));
    }
}
