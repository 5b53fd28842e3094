using System.Buffers.Binary;
using Expair.Internal;

namespace Expair.Protocol.Mechanisms;

/// <summary>
/// CURVE's handshake command bodies (26/CurveZMQ grammar; sizes as libzmq sends them): HELLO, WELCOME with its
/// cookie, INITIATE with its vouch, and READY. Pure and deterministic: the caller supplies keys, counters and the
/// random long nonces, so the boxes can be checked against known answers. Readers check every length, name,
/// version, box and key, and throw <see cref="ProtocolViolationException"/> with the reason.
/// Keys: C/c client permanent, S/s server permanent, C'/c' and S'/s' the connection's transient pairs.
/// </summary>
internal static class CurveCommands
{
    public const int KeyLength = Sodium.KeyLength;
    private const int Mac = Sodium.MacLength;

    // HELLO (200): name, version 1.0, 72 zero bytes (the grammar's and libzmq's; the prose says 70), C', nonce, Box[64 zeros](C'->S).
    public const int HelloLength = 200;
    private const int HelloVersion = 6;
    private const int HelloPadding = 8;
    private const int HelloClientKey = 80;
    private const int HelloNonce = 112;
    private const int HelloBox = 120;
    private const int HelloZeros = 64;

    // WELCOME (168): name, long nonce, Box[S' + cookie](S->C').
    public const int WelcomeLength = 168;
    private const int WelcomeNonce = 8;
    private const int WelcomeBox = 24;

    /// <summary>The cookie: long nonce and Box[C' + s'](K) under the server's cookie key K.</summary>
    public const int CookieLength = CurveNonce.LongLength + 2 * KeyLength + Mac;

    /// <summary>The vouch: long nonce and Box[C' + S](C->S').</summary>
    public const int VouchLength = CurveNonce.LongLength + 2 * KeyLength + Mac;

    // INITIATE (257+): name, cookie, short nonce, Box[C + vouch + metadata](C'->S').
    public const int InitiateMinLength = InitiateBox + Mac + KeyLength + VouchLength;
    private const int InitiateCookie = 9;
    private const int InitiateNonce = InitiateCookie + CookieLength;
    private const int InitiateBox = InitiateNonce + CurveNonce.ShortLength;

    // READY (30+): name, short nonce, Box[metadata](S'->C').
    public const int ReadyMinLength = ReadyBox + Mac;
    private const int ReadyNonce = 6;
    private const int ReadyBox = ReadyNonce + CurveNonce.ShortLength;

    public const string Hello = "HELLO";
    public const string Welcome = "WELCOME";
    public const string Initiate = "INITIATE";
    public const string Ready = "READY";

    /// <summary>Writes HELLO (exactly <see cref="HelloLength"/> bytes) from the client's transient pair to the server's key S.</summary>
    public static void WriteHello(Span<byte> body, ReadOnlySpan<byte> clientTransientPublic, ReadOnlySpan<byte> clientTransientSecret, ReadOnlySpan<byte> serverPublic, ulong nonce)
    {
        body = body[..HelloLength];
        MechanismCommands.WriteName(body, Hello);
        body[HelloVersion] = 1;
        body[HelloVersion + 1] = 0;
        body[HelloPadding..HelloClientKey].Clear();
        clientTransientPublic.CopyTo(body[HelloClientKey..]);
        BinaryPrimitives.WriteUInt64BigEndian(body[HelloNonce..], nonce);
        Span<byte> fullNonce = stackalloc byte[CurveNonce.Length];
        CurveNonce.Short(fullNonce, CurveNonce.Hello, nonce);
        Span<byte> zeros = stackalloc byte[HelloZeros];
        zeros.Clear();
        if (!Sodium.Box(body[HelloBox..], zeros, fullNonce, serverPublic, clientTransientSecret))
            throw new ProtocolViolationException("CURVE: the server's public key is not a usable Curve25519 key");
    }

    /// <summary>Reads HELLO with the server's secret key s: returns the client's short nonce and writes C'.</summary>
    public static ulong ReadHello(ReadOnlySpan<byte> body, ReadOnlySpan<byte> serverSecret, Span<byte> clientTransientPublic)
    {
        Expect(body, Hello);
        if (body.Length != HelloLength)
            throw new ProtocolViolationException($"CURVE HELLO: {body.Length} bytes, not {HelloLength}");
        if (body[HelloVersion] != 1 || body[HelloVersion + 1] != 0)
            throw new ProtocolViolationException($"CURVE HELLO: version {body[HelloVersion]}.{body[HelloVersion + 1]}, not 1.0");
        var clientKey = body.Slice(HelloClientKey, KeyLength);
        Span<byte> fullNonce = stackalloc byte[CurveNonce.Length];
        CurveNonce.Short(fullNonce, CurveNonce.Hello, body[HelloNonce..]);
        Span<byte> zeros = stackalloc byte[HelloZeros];
        if (!Sodium.BoxOpen(zeros, body[HelloBox..], fullNonce, clientKey, serverSecret))
            throw new ProtocolViolationException("CURVE HELLO: the signature box does not open (the client has another server key, or the command was altered)");
        if (zeros.IndexOfAnyExcept((byte)0) >= 0)
            throw new ProtocolViolationException("CURVE HELLO: the signature box does not hold 64 zero bytes");
        clientKey.CopyTo(clientTransientPublic);
        return BinaryPrimitives.ReadUInt64BigEndian(body[HelloNonce..]);
    }

    /// <summary>Writes the cookie (<see cref="CookieLength"/> bytes): Box[C' + s'](K) under the server's cookie key.</summary>
    public static void WriteCookie(Span<byte> cookie, ReadOnlySpan<byte> cookieNonce, ReadOnlySpan<byte> clientTransientPublic, ReadOnlySpan<byte> serverTransientSecret, ReadOnlySpan<byte> cookieKey)
    {
        cookieNonce[..CurveNonce.LongLength].CopyTo(cookie);
        Span<byte> fullNonce = stackalloc byte[CurveNonce.Length];
        CurveNonce.Long(fullNonce, CurveNonce.Cookie, cookieNonce);
        Span<byte> plain = stackalloc byte[2 * KeyLength];
        try
        {
            clientTransientPublic.CopyTo(plain);
            serverTransientSecret.CopyTo(plain[KeyLength..]);
            Sodium.SecretBox(cookie.Slice(CurveNonce.LongLength, CookieLength - CurveNonce.LongLength), plain, fullNonce, cookieKey);
        }
        finally
        {
            Sodium.Zero(plain);
        }
    }

    /// <summary>Writes WELCOME (exactly <see cref="WelcomeLength"/> bytes): Box[S' + cookie](S->C').</summary>
    public static void WriteWelcome(Span<byte> body, ReadOnlySpan<byte> welcomeNonce, ReadOnlySpan<byte> serverTransientPublic, ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> clientTransientPublic, ReadOnlySpan<byte> serverSecret)
    {
        body = body[..WelcomeLength];
        MechanismCommands.WriteName(body, Welcome);
        welcomeNonce[..CurveNonce.LongLength].CopyTo(body[WelcomeNonce..]);
        Span<byte> fullNonce = stackalloc byte[CurveNonce.Length];
        CurveNonce.Long(fullNonce, CurveNonce.Welcome, welcomeNonce);
        Span<byte> plain = stackalloc byte[KeyLength + CookieLength];
        serverTransientPublic.CopyTo(plain);
        cookie.CopyTo(plain[KeyLength..]);
        if (!Sodium.Box(body[WelcomeBox..], plain, fullNonce, clientTransientPublic, serverSecret))
            throw new ProtocolViolationException("CURVE HELLO: the client's transient key is not a usable Curve25519 key");
    }

    /// <summary>Reads WELCOME with the server's key S and the client's transient secret c': writes S' and the cookie.</summary>
    public static void ReadWelcome(ReadOnlySpan<byte> body, ReadOnlySpan<byte> serverPublic, ReadOnlySpan<byte> clientTransientSecret, Span<byte> serverTransientPublic, Span<byte> cookie)
    {
        Expect(body, Welcome);
        if (body.Length != WelcomeLength)
            throw new ProtocolViolationException($"CURVE WELCOME: {body.Length} bytes, not {WelcomeLength}");
        Span<byte> fullNonce = stackalloc byte[CurveNonce.Length];
        CurveNonce.Long(fullNonce, CurveNonce.Welcome, body[WelcomeNonce..]);
        Span<byte> plain = stackalloc byte[KeyLength + CookieLength];
        if (!Sodium.BoxOpen(plain, body[WelcomeBox..], fullNonce, serverPublic, clientTransientSecret))
            throw new ProtocolViolationException("CURVE WELCOME: the box does not open (the server does not hold the secret key of the server public key we were given, or the command was altered)");
        plain[..KeyLength].CopyTo(serverTransientPublic);
        plain[KeyLength..].CopyTo(cookie);
    }

    /// <summary>Writes the vouch (<see cref="VouchLength"/> bytes): Box[C' + S](C->S') with the client's permanent secret c.</summary>
    public static void WriteVouch(Span<byte> vouch, ReadOnlySpan<byte> vouchNonce, ReadOnlySpan<byte> clientTransientPublic, ReadOnlySpan<byte> serverPublic, ReadOnlySpan<byte> serverTransientPublic, ReadOnlySpan<byte> clientSecret)
    {
        vouchNonce[..CurveNonce.LongLength].CopyTo(vouch);
        Span<byte> fullNonce = stackalloc byte[CurveNonce.Length];
        CurveNonce.Long(fullNonce, CurveNonce.Vouch, vouchNonce);
        Span<byte> plain = stackalloc byte[2 * KeyLength];
        clientTransientPublic.CopyTo(plain);
        serverPublic.CopyTo(plain[KeyLength..]);
        if (!Sodium.Box(vouch.Slice(CurveNonce.LongLength, VouchLength - CurveNonce.LongLength), plain, fullNonce, serverTransientPublic, clientSecret))
            throw new ProtocolViolationException("CURVE WELCOME: the server's transient key is not a usable Curve25519 key");
    }

    /// <summary>The exact length of INITIATE with <paramref name="metadataLength"/> bytes of metadata.</summary>
    public static int InitiateLength(int metadataLength) => InitiateMinLength + metadataLength;

    /// <summary>
    /// Writes INITIATE (exactly <see cref="InitiateLength"/> bytes): the cookie, the short nonce and
    /// Box[C + vouch + metadata](C'->S') under the shared key of c' and S'.
    /// </summary>
    public static void WriteInitiate(Span<byte> body, ReadOnlySpan<byte> cookie, ulong nonce, ReadOnlySpan<byte> clientPublic, ReadOnlySpan<byte> vouch, IReadOnlyList<KeyValuePair<string, string>> metadata, ReadOnlySpan<byte> sharedKey)
    {
        MechanismCommands.WriteName(body, Initiate);
        cookie[..CookieLength].CopyTo(body[InitiateCookie..]);
        BinaryPrimitives.WriteUInt64BigEndian(body[InitiateNonce..], nonce);
        var text = body[(InitiateBox + Mac)..];
        clientPublic.CopyTo(text);
        vouch[..VouchLength].CopyTo(text[KeyLength..]);
        var length = KeyLength + VouchLength + MechanismCommands.WriteMetadata(text[(KeyLength + VouchLength)..], metadata);
        Span<byte> fullNonce = stackalloc byte[CurveNonce.Length];
        CurveNonce.Short(fullNonce, CurveNonce.Initiate, nonce);
        Sodium.BoxInPlaceAfterNm(text[..length], body.Slice(InitiateBox, Mac), fullNonce, sharedKey);
    }

    /// <summary>What a valid INITIATE told the server.</summary>
    /// <param name="Nonce">The client's short nonce.</param>
    /// <param name="Metadata">The client's properties.</param>
    public readonly record struct InitiateContents(ulong Nonce, Dictionary<string, string> Metadata);

    /// <summary>
    /// Reads INITIATE on the server: opens the cookie with the cookie key K and checks it names this connection's
    /// C', checks the short nonce follows the HELLO's, derives the shared key of C' and s' into
    /// <paramref name="sharedKey"/>, opens the box, opens the vouch with the client's permanent key C and checks
    /// it names C' and this server's S. Writes C to <paramref name="clientPublic"/>.
    /// </summary>
    public static InitiateContents ReadInitiate(ReadOnlySpan<byte> body, ReadOnlySpan<byte> cookieKey, ReadOnlySpan<byte> clientTransientPublic, ReadOnlySpan<byte> serverPublic, ulong helloNonce, Span<byte> sharedKey, Span<byte> clientPublic)
    {
        Expect(body, Initiate);
        if (body.Length < InitiateMinLength)
            throw new ProtocolViolationException($"CURVE INITIATE: {body.Length} bytes, fewer than {InitiateMinLength}");
        var nonce = BinaryPrimitives.ReadUInt64BigEndian(body[InitiateNonce..]);
        if (nonce <= helloNonce)
            throw new ProtocolViolationException($"CURVE INITIATE: short nonce {nonce} does not follow the HELLO's {helloNonce}");

        // The cookie gives back s', the server's transient secret for this connection (26/CurveZMQ "WELCOME").
        Span<byte> cookiePlain = stackalloc byte[2 * KeyLength];
        Span<byte> fullNonce = stackalloc byte[CurveNonce.Length];
        try
        {
            var cookie = body.Slice(InitiateCookie, CookieLength);
            CurveNonce.Long(fullNonce, CurveNonce.Cookie, cookie);
            if (!Sodium.SecretBoxOpen(cookiePlain, cookie[CurveNonce.LongLength..], fullNonce, cookieKey))
                throw new ProtocolViolationException("CURVE INITIATE: the cookie does not open (not this connection's, or altered)");
            if (!Sodium.Equal32(cookiePlain[..KeyLength], clientTransientPublic))
                throw new ProtocolViolationException("CURVE INITIATE: the cookie names another client transient key than the HELLO's");
            var serverTransientSecret = cookiePlain[KeyLength..];
            if (!Sodium.BoxBeforeNm(sharedKey, clientTransientPublic, serverTransientSecret))
                throw new ProtocolViolationException("CURVE INITIATE: the client's transient key is not a usable Curve25519 key");

            var text = new byte[body.Length - InitiateBox - Mac];
            CurveNonce.Short(fullNonce, CurveNonce.Initiate, body[InitiateNonce..]);
            if (!Sodium.BoxOpenAfterNm(text, body[InitiateBox..], fullNonce, sharedKey))
                throw new ProtocolViolationException("CURVE INITIATE: the box does not open (altered, or not from this connection's client)");
            var claimedClient = text.AsSpan(0, KeyLength);
            var vouch = text.AsSpan(KeyLength, VouchLength);
            Span<byte> vouchPlain = stackalloc byte[2 * KeyLength];
            CurveNonce.Long(fullNonce, CurveNonce.Vouch, vouch);
            if (!Sodium.BoxOpen(vouchPlain, vouch[CurveNonce.LongLength..], fullNonce, claimedClient, serverTransientSecret))
                throw new ProtocolViolationException("CURVE INITIATE: the vouch does not open (the client does not hold the secret key of the public key it claims)");
            if (!Sodium.Equal32(vouchPlain[..KeyLength], clientTransientPublic))
                throw new ProtocolViolationException("CURVE INITIATE: the vouch names another client transient key");
            if (!Sodium.Equal32(vouchPlain[KeyLength..], serverPublic))
                throw new ProtocolViolationException("CURVE INITIATE: the vouch names another server");
            var metadata = MechanismCommands.ParseMetadata(text.AsSpan(KeyLength + VouchLength), "CURVE INITIATE");
            claimedClient.CopyTo(clientPublic);
            return new InitiateContents(nonce, metadata);
        }
        finally
        {
            Sodium.Zero(cookiePlain);
        }
    }

    /// <summary>The exact length of READY with <paramref name="metadataLength"/> bytes of metadata.</summary>
    public static int ReadyLength(int metadataLength) => ReadyMinLength + metadataLength;

    /// <summary>Writes READY (exactly <see cref="ReadyLength"/> bytes): the short nonce and Box[metadata](S'->C').</summary>
    public static void WriteReady(Span<byte> body, ulong nonce, IReadOnlyList<KeyValuePair<string, string>> metadata, ReadOnlySpan<byte> sharedKey)
    {
        MechanismCommands.WriteName(body, Ready);
        BinaryPrimitives.WriteUInt64BigEndian(body[ReadyNonce..], nonce);
        var text = body[(ReadyBox + Mac)..];
        var length = MechanismCommands.WriteMetadata(text, metadata);
        Span<byte> fullNonce = stackalloc byte[CurveNonce.Length];
        CurveNonce.Short(fullNonce, CurveNonce.Ready, nonce);
        Sodium.BoxInPlaceAfterNm(text[..length], body.Slice(ReadyBox, Mac), fullNonce, sharedKey);
    }

    /// <summary>Reads READY on the client with the shared key of c' and S': returns the server's short nonce and metadata.</summary>
    public static (ulong Nonce, Dictionary<string, string> Metadata) ReadReady(ReadOnlySpan<byte> body, ReadOnlySpan<byte> sharedKey)
    {
        Expect(body, Ready);
        if (body.Length < ReadyMinLength)
            throw new ProtocolViolationException($"CURVE READY: {body.Length} bytes, fewer than {ReadyMinLength}");
        Span<byte> fullNonce = stackalloc byte[CurveNonce.Length];
        CurveNonce.Short(fullNonce, CurveNonce.Ready, body[ReadyNonce..]);
        var text = new byte[body.Length - ReadyMinLength];
        if (!Sodium.BoxOpenAfterNm(text, body[ReadyBox..], fullNonce, sharedKey))
            throw new ProtocolViolationException("CURVE READY: the box does not open (altered, or not from this connection's server)");
        return (BinaryPrimitives.ReadUInt64BigEndian(body[ReadyNonce..]), MechanismCommands.ParseMetadata(text, "CURVE READY"));
    }

    private static void Expect(ReadOnlySpan<byte> body, string name)
    {
        if (!MechanismCommands.HasName(body, name))
            throw new ProtocolViolationException($"CURVE: expected {name}, received {MechanismCommands.NameOf(body)}");
    }
}
