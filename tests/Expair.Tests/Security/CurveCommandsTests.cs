using System.Buffers.Binary;
using Expair.Internal;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;

namespace Expair.Tests.Security;

/// <summary>
/// CURVE's command codec against known answers: every box of a whole handshake with fixed keys (libzmq's example
/// pairs as the long-term keys, RFC 7748's as the transient ones), fixed long nonces and cookie key, as computed
/// independently from 26/CurveZMQ's grammar with the system's libsodium. Then every check of the readers.
/// </summary>
public class CurveCommandsTests
{
    private const string HelloHex = "0548454c4c4f01000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000008520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a00000000000000010f12e6d8432bc1f8ff6ac5ee7f33480ae7055a3256384031c6382831537a187b355282ee552bddcddbdd0b742decd9059e9a5b358af2f7b8ecb51345fc4f6a87dd72ffb8478b040724d2f7eb375faefa"; // 200 bytes
    private const string CookieHex = "101112131415161718191a1b1c1d1e1f068895bf64acd387396e6c2bfccc911ca6a7385935f73c72988722738e2a8944b1c3b3bb339d61d932adfe848ae04951653837ef6aa05d49ebe684f61a13116c958801d3681c64e7d144d9520de0b6e7"; // 96 bytes
    private const string WelcomeHex = "0757454c434f4d45202122232425262728292a2b2c2d2e2f0bf69fc20e1914f580f9705f7cfed90f8a3b5cdea12a231738889933fd2e6684fd7104fc080df34316a7e13ab0f5dae9a1b1d0b01e8c20012d895bcbd8c2f9f35578af89358cc8fe074f848c851074cb1063924e4f69c96a3d32e7ef16d23db377841b4af387257a44f30224cabbd4d7c3cb961fa95791d3d7ed229c08bef12c201afc984b1ff32a75a71dea59cbba70"; // 168 bytes
    private const string VouchHex = "303132333435363738393a3b3c3d3e3f4d8c1a62a6e8ba924862b24076128732e95f4565469f3f3abe85fd7e13612fde52db2ac8bb43f7b68ecfa3c30a187f74741713da308b85e51f6a3f8a38b133ae19d569afeb5ee2aa24fed42a662f1283"; // 96 bytes
    private const string InitiateHex = "08494e495449415445101112131415161718191a1b1c1d1e1f068895bf64acd387396e6c2bfccc911ca6a7385935f73c72988722738e2a8944b1c3b3bb339d61d932adfe848ae04951653837ef6aa05d49ebe684f61a13116c958801d3681c64e7d144d9520de0b6e700000000000000024f1df128cd5e2e005bd8d899561915d49ab39c5de9ee2a2401c73c17a97b85e7ac7c20be692b4668d78042a13aee031176db0aa26396fc0bc8d7ea147bf1cdec3190d1021ca82ec020669d4f30be623aa922a5d1b9d86f2f19e10431542de46faea4cb9ca3240c6d3e20cc95d772edcca461765935244114cc019a08691f59674f3cb2edef47a170cd91ab35281c2a2e25a6c2b8d6d24e4be76ce114b7b351434601eef1"; // 277 bytes
    private const string ReadyHex = "0552454144590000000000000001a14b9a582c23c678aa477591d27e52faa4e3bba9ce7249df66b017051d5f2766a50d2fc8"; // 50 bytes
    private const string MessageFromClientHex = "074d455353414745000000000000000310a6b0e8b4ec7aaad84f6845fc1a0acd99fb8e"; // 35 bytes
    private const string MessageFromServerHex = "074d4553534147450000000000000002398b2bda9a26af7d2217507d55faf987d17f553f4149"; // 38 bytes

    internal static readonly byte[] ClientSecret = Z85.Decode(CurveKeyPairTests.ClientSecret);
    internal static readonly byte[] ClientPublic = Z85.Decode(CurveKeyPairTests.ClientPublic);
    internal static readonly byte[] ServerSecret = Z85.Decode(CurveKeyPairTests.ServerSecret);
    internal static readonly byte[] ServerPublic = Z85.Decode(CurveKeyPairTests.ServerPublic);
    private static readonly byte[] ClientTransientSecret = SodiumTests.AliceSecret;
    private static readonly byte[] ClientTransientPublic = SodiumTests.AlicePublic;
    private static readonly byte[] ServerTransientSecret = SodiumTests.BobSecret;
    private static readonly byte[] ServerTransientPublic = SodiumTests.BobPublic;
    private static readonly byte[] CookieKey = Range(0x00, 32);
    private static readonly byte[] CookieNonce = Range(0x10, 16);
    private static readonly byte[] WelcomeNonce = Range(0x20, 16);
    private static readonly byte[] VouchNonce = Range(0x30, 16);
    internal static readonly KeyValuePair<string, string>[] PairMetadata = [new("Socket-Type", "PAIR")];

    private static byte[] Range(int start, int count) => Enumerable.Range(start, count).Select(i => (byte)i).ToArray();

    private static byte[] SharedKey()
    {
        var key = new byte[32];
        Assert.True(Sodium.BoxBeforeNm(key, ServerTransientPublic, ClientTransientSecret));
        return key;
    }

    [Fact]
    public void Hello_KnownAnswer_AndServerReadsIt()
    {
        var body = new byte[CurveCommands.HelloLength];
        CurveCommands.WriteHello(body, ClientTransientPublic, ClientTransientSecret, ServerPublic, 1);
        Assert.Equal(Convert.FromHexString(HelloHex), body);

        var clientKey = new byte[32];
        Assert.Equal(1UL, CurveCommands.ReadHello(body, ServerSecret, clientKey));
        Assert.Equal(ClientTransientPublic, clientKey);
    }

    [Fact]
    public void CookieAndWelcome_KnownAnswer_AndClientReadsThem()
    {
        var cookie = new byte[CurveCommands.CookieLength];
        CurveCommands.WriteCookie(cookie, CookieNonce, ClientTransientPublic, ServerTransientSecret, CookieKey);
        Assert.Equal(Convert.FromHexString(CookieHex), cookie);

        var body = new byte[CurveCommands.WelcomeLength];
        CurveCommands.WriteWelcome(body, WelcomeNonce, ServerTransientPublic, cookie, ClientTransientPublic, ServerSecret);
        Assert.Equal(Convert.FromHexString(WelcomeHex), body);

        var serverTransient = new byte[32];
        var readCookie = new byte[CurveCommands.CookieLength];
        CurveCommands.ReadWelcome(body, ServerPublic, ClientTransientSecret, serverTransient, readCookie);
        Assert.Equal(ServerTransientPublic, serverTransient);
        Assert.Equal(cookie, readCookie);
    }

    [Fact]
    public void VouchAndInitiate_KnownAnswer_AndServerReadsThem()
    {
        var vouch = new byte[CurveCommands.VouchLength];
        CurveCommands.WriteVouch(vouch, VouchNonce, ClientTransientPublic, ServerPublic, ServerTransientPublic, ClientSecret);
        Assert.Equal(Convert.FromHexString(VouchHex), vouch);

        var body = new byte[CurveCommands.InitiateLength(MechanismCommands.MetadataLength(PairMetadata))];
        Assert.Equal(277, body.Length);
        CurveCommands.WriteInitiate(body, Convert.FromHexString(CookieHex), 2, ClientPublic, vouch, PairMetadata, SharedKey());
        Assert.Equal(Convert.FromHexString(InitiateHex), body);

        var sharedKey = new byte[32];
        var clientPublic = new byte[32];
        var contents = CurveCommands.ReadInitiate(body, CookieKey, ClientTransientPublic, ServerPublic, 1, sharedKey, clientPublic);
        Assert.Equal(2UL, contents.Nonce);
        Assert.Equal("PAIR", contents.Metadata["Socket-Type"]);
        Assert.Equal(ClientPublic, clientPublic);
        Assert.Equal(SharedKey(), sharedKey);
    }

    [Fact]
    public void Ready_KnownAnswer_AndClientReadsIt()
    {
        var body = new byte[CurveCommands.ReadyLength(MechanismCommands.MetadataLength(PairMetadata))];
        Assert.Equal(50, body.Length);
        CurveCommands.WriteReady(body, 1, PairMetadata, SharedKey());
        Assert.Equal(Convert.FromHexString(ReadyHex), body);

        var (nonce, metadata) = CurveCommands.ReadReady(body, SharedKey());
        Assert.Equal(1UL, nonce);
        Assert.Equal("PAIR", metadata["Socket-Type"]);
    }

    [Fact]
    public void Message_KnownAnswerBothWays()
    {
        using var client = new CurveTraffic(SharedKey(), isServer: false, nextSendNonce: 3, lastReceivedNonce: 1);
        using var server = new CurveTraffic(SharedKey(), isServer: true, nextSendNonce: 2, lastReceivedNonce: 2);

        var fromClient = new byte[CurveTraffic.WrappedLength(2)];
        client.Wrap(FrameFlags.More, "hi"u8, fromClient);
        Assert.Equal(Convert.FromHexString(MessageFromClientHex), fromClient);
        var payload = new byte[CurveTraffic.UnwrappedLength(fromClient.Length)];
        Assert.Equal(2, server.Unwrap(fromClient, payload, out var flags));
        Assert.Equal(FrameFlags.More, flags);
        Assert.Equal("hi"u8.ToArray(), payload[..2]);

        // A PING travels as a MESSAGE whose flags byte has COMMAND (libzmq's extension).
        var fromServer = new byte[CurveTraffic.WrappedLength(5)];
        server.Wrap(FrameFlags.Command, "\x04PING"u8, fromServer);
        Assert.Equal(Convert.FromHexString(MessageFromServerHex), fromServer);
        Assert.Equal(5, client.Unwrap(fromServer, fromServer, out flags));
        Assert.Equal(FrameFlags.Command, flags);
        Assert.Equal("\x04PING"u8.ToArray(), fromServer[..5]);
    }

    [Theory]
    [InlineData(199)]
    [InlineData(201)]
    public void ReadHello_WrongLength_Throws(int length)
    {
        var body = ValidHello();
        Array.Resize(ref body, length);
        AssertViolation(() => CurveCommands.ReadHello(body, ServerSecret, new byte[32]), $"CURVE HELLO: {length} bytes, not 200");
    }

    [Fact]
    public void ReadHello_WrongNameVersionKeyOrBox_Throws()
    {
        var body = ValidHello();
        body[1] = (byte)'J';
        AssertViolation(() => CurveCommands.ReadHello(body, ServerSecret, new byte[32]), "expected HELLO, received JELLO");
        body = ValidHello();
        body[6] = 2;
        AssertViolation(() => CurveCommands.ReadHello(body, ServerSecret, new byte[32]), "version 2.0, not 1.0");
        body = ValidHello();
        body[7] = 1;
        AssertViolation(() => CurveCommands.ReadHello(body, ServerSecret, new byte[32]), "version 1.1, not 1.0");
        // Another server's secret: the signature box does not open.
        AssertViolation(() => CurveCommands.ReadHello(ValidHello(), ClientSecret, new byte[32]), "signature box does not open");
        for (var i = 80; i < 200; i += 7)
        {
            body = ValidHello();
            body[i] ^= 0x01;
            AssertViolation(() => CurveCommands.ReadHello(body, ServerSecret, new byte[32]), "signature box does not open");
        }
    }

    [Fact]
    public void ReadWelcome_WrongLengthNameOrServer_Throws()
    {
        var welcome = Convert.FromHexString(WelcomeHex);
        AssertViolation(() => CurveCommands.ReadWelcome(welcome.AsSpan(0, 167).ToArray(), ServerPublic, ClientTransientSecret, new byte[32], new byte[96]), "CURVE WELCOME: 167 bytes, not 168");
        AssertViolation(() => CurveCommands.ReadWelcome(Convert.FromHexString(HelloHex), ServerPublic, ClientTransientSecret, new byte[32], new byte[96]), "expected WELCOME, received HELLO");
        // The client was given another server key than the one that answered (a man in the middle, or a mistake).
        AssertViolation(() => CurveCommands.ReadWelcome(welcome, ClientPublic, ClientTransientSecret, new byte[32], new byte[96]), "the box does not open");
        for (var i = 8; i < 168; i += 5)
        {
            var altered = welcome.ToArray();
            altered[i] ^= 0x80;
            AssertViolation(() => CurveCommands.ReadWelcome(altered, ServerPublic, ClientTransientSecret, new byte[32], new byte[96]), "the box does not open");
        }
    }

    [Fact]
    public void ReadInitiate_TooShortOrWrongName_Throws()
    {
        var initiate = Convert.FromHexString(InitiateHex);
        AssertViolation(() => ReadInitiate(initiate[..256]), "CURVE INITIATE: 256 bytes, fewer than 257");
        var renamed = initiate.ToArray();
        renamed[8] = (byte)'X';
        AssertViolation(() => ReadInitiate(renamed), "expected INITIATE, received INITIATX");
    }

    [Fact]
    public void ReadInitiate_BadCookie_Throws()
    {
        var initiate = Convert.FromHexString(InitiateHex);
        for (var i = 9; i < 105; i += 4)
        {
            var altered = initiate.ToArray();
            altered[i] ^= 0x01;
            AssertViolation(() => ReadInitiate(altered), "the cookie does not open");
        }
        // Another connection's cookie key (rotated per connection).
        AssertViolation(() => CurveCommands.ReadInitiate(initiate, Range(1, 32), ClientTransientPublic, ServerPublic, 1, new byte[32], new byte[32]), "the cookie does not open");
        // A cookie replayed on a connection whose HELLO carried another transient key.
        AssertViolation(() => CurveCommands.ReadInitiate(initiate, CookieKey, ServerTransientPublic, ServerPublic, 1, new byte[32], new byte[32]), "the cookie names another client transient key");
    }

    [Fact]
    public void ReadInitiate_NonceNotAboveHellos_Throws()
    {
        AssertViolation(() => CurveCommands.ReadInitiate(Convert.FromHexString(InitiateHex), CookieKey, ClientTransientPublic, ServerPublic, 2, new byte[32], new byte[32]), "short nonce 2 does not follow the HELLO's 2");
    }

    [Fact]
    public void ReadInitiate_BadBox_Throws()
    {
        var initiate = Convert.FromHexString(InitiateHex);
        for (var i = 113; i < initiate.Length; i += 9)
        {
            var altered = initiate.ToArray();
            altered[i] ^= 0x40;
            AssertViolation(() => ReadInitiate(altered), "the box does not open");
        }
        var renonced = initiate.ToArray();
        BinaryPrimitives.WriteUInt64BigEndian(renonced.AsSpan(105), 3);
        AssertViolation(() => ReadInitiate(renonced), "the box does not open");
    }

    [Fact]
    public void ReadInitiate_VouchFromAnotherKeyOrForAnotherServer_Throws()
    {
        // The client claims C but its vouch was made with another secret key: it does not hold C's secret.
        using var impostor = CurveKeyPair.Generate();
        AssertViolation(() => ReadInitiate(Initiate(ClientTransientPublic, ServerPublic, impostor.SecretKey.ToArray())), "the vouch does not open");
        // A vouch naming another server (relayed from a connection to that server).
        AssertViolation(() => ReadInitiate(Initiate(ClientTransientPublic, ClientPublic, ClientSecret)), "the vouch names another server");
        // A vouch naming another transient key.
        AssertViolation(() => ReadInitiate(Initiate(ServerTransientPublic, ServerPublic, ClientSecret)), "the vouch names another client transient key");
    }

    [Fact]
    public void ReadInitiate_MalformedMetadata_Throws()
    {
        KeyValuePair<string, string>[] metadata = [new("Socket-Type", "PAIR")];
        var body = new byte[CurveCommands.InitiateLength(MechanismCommands.MetadataLength(metadata) + 1)];
        // Build the box by hand around metadata with a trailing stray byte.
        var vouch = new byte[CurveCommands.VouchLength];
        CurveCommands.WriteVouch(vouch, VouchNonce, ClientTransientPublic, ServerPublic, ServerTransientPublic, ClientSecret);
        var text = new byte[32 + 96 + MechanismCommands.MetadataLength(metadata) + 1];
        ClientPublic.CopyTo(text, 0);
        vouch.CopyTo(text, 32);
        MechanismCommands.WriteMetadata(text.AsSpan(128), metadata);
        text[^1] = 9;
        MechanismCommands.WriteName(body, "INITIATE");
        Convert.FromHexString(CookieHex).CopyTo(body, 9);
        BinaryPrimitives.WriteUInt64BigEndian(body.AsSpan(105), 2);
        var nonce = new byte[24];
        CurveNonce.Short(nonce, CurveNonce.Initiate, 2);
        Sodium.BoxAfterNm(body.AsSpan(113), text, nonce, SharedKey());
        AssertViolation(() => ReadInitiate(body), "CURVE INITIATE: malformed metadata");
    }

    [Fact]
    public void ReadReady_TooShortWrongNameOrBadBox_Throws()
    {
        var ready = Convert.FromHexString(ReadyHex);
        AssertViolation(() => CurveCommands.ReadReady(ready.AsSpan(0, 29).ToArray(), SharedKey()), "CURVE READY: 29 bytes, fewer than 30");
        AssertViolation(() => CurveCommands.ReadReady(Convert.FromHexString(WelcomeHex), SharedKey()), "expected READY, received WELCOME");
        for (var i = 6; i < ready.Length; i += 3)
        {
            var altered = ready.ToArray();
            altered[i] ^= 0x04;
            AssertViolation(() => CurveCommands.ReadReady(altered, SharedKey()), "the box does not open");
        }
    }

    private static byte[] ValidHello() => Convert.FromHexString(HelloHex);

    private static void ReadInitiate(byte[] body) =>
        CurveCommands.ReadInitiate(body, CookieKey, ClientTransientPublic, ServerPublic, 1, new byte[32], new byte[32]);

    private static byte[] Initiate(byte[] vouchedTransient, byte[] vouchedServer, byte[] vouchSecret)
    {
        var vouch = new byte[CurveCommands.VouchLength];
        var nonce = new byte[24];
        CurveNonce.Long(nonce, CurveNonce.Vouch, VouchNonce);
        VouchNonce.CopyTo(vouch, 0);
        Assert.True(Sodium.Box(vouch.AsSpan(16), [.. vouchedTransient, .. vouchedServer], nonce, ServerTransientPublic, vouchSecret));
        var body = new byte[CurveCommands.InitiateLength(MechanismCommands.MetadataLength(PairMetadata))];
        CurveCommands.WriteInitiate(body, Convert.FromHexString(CookieHex), 2, ClientPublic, vouch, PairMetadata, SharedKey());
        return body;
    }

    internal static void AssertViolation(Action action, string expected)
    {
        var e = Assert.Throws<ProtocolViolationException>(action);
        Assert.Contains(expected, e.Message);
    }
}
