using System.Buffers.Binary;
using Expair.Internal;
using Expair.Protocol.Mechanisms;

namespace Expair.Tests.Security;

/// <summary>
/// The client's side of a CURVE handshake computed step by step from <see cref="CurveCommands"/> (26/CurveZMQ), so
/// a hostile-peer test can change any field — a nonce, the cookie, the vouch's keys, the metadata inside the box —
/// and still produce every other byte correctly. Short nonces as libzmq counts them: HELLO 1, INITIATE 2, MESSAGE 3.
/// </summary>
internal sealed class CurveClientScript
{
    public static readonly byte[] PairMetadata = Metadata("Socket-Type", "PAIR");

    public CurveClientScript(ReadOnlySpan<byte> serverPublic, CurveKeyPair clientKeys)
    {
        ServerPublic = serverPublic.ToArray();
        ClientPublic = clientKeys.PublicKey.ToArray();
        ClientSecret = clientKeys.SecretKey.ToArray();
        Sodium.BoxKeyPair(TransientPublic, TransientSecret);
    }

    public byte[] ServerPublic { get; }
    public byte[] ClientPublic { get; }
    public byte[] ClientSecret { get; }
    public byte[] TransientPublic { get; } = new byte[32];
    public byte[] TransientSecret { get; } = new byte[32];
    public byte[] ServerTransientPublic { get; } = new byte[32];
    public byte[] Cookie { get; } = new byte[CurveCommands.CookieLength];
    public byte[] SharedKey { get; } = new byte[32];

    public byte[] Hello(ulong nonce = 1)
    {
        var body = new byte[CurveCommands.HelloLength];
        CurveCommands.WriteHello(body, TransientPublic, TransientSecret, ServerPublic, nonce);
        return body;
    }

    public void ReadWelcome(byte[] body)
    {
        CurveCommands.ReadWelcome(body, ServerPublic, TransientSecret, ServerTransientPublic, Cookie);
        Assert.True(Sodium.BoxBeforeNm(SharedKey, ServerTransientPublic, TransientSecret));
    }

    /// <summary>The vouch Box[C' + S](C->S'); each key replaceable to vouch for something else.</summary>
    public byte[] Vouch(byte[]? transient = null, byte[]? server = null, byte[]? signer = null)
    {
        var vouch = new byte[CurveCommands.VouchLength];
        var nonce = new byte[16];
        Sodium.RandomBytes(nonce);
        CurveCommands.WriteVouch(vouch, nonce, transient ?? TransientPublic, server ?? ServerPublic, ServerTransientPublic, signer ?? ClientSecret);
        return vouch;
    }

    /// <summary>INITIATE: cookie, short nonce, Box[C + vouch + metadata](C'->S'), each part replaceable.</summary>
    public byte[] Initiate(ulong nonce = 2, byte[]? cookie = null, byte[]? clientPublic = null, byte[]? vouch = null, byte[]? metadata = null)
    {
        metadata ??= PairMetadata;
        vouch ??= Vouch();
        var text = (byte[])[.. clientPublic ?? ClientPublic, .. vouch, .. metadata];
        var body = new byte[9 + CurveCommands.CookieLength + 8 + Sodium.MacLength + text.Length];
        MechanismCommands.WriteName(body, CurveCommands.Initiate);
        (cookie ?? Cookie).CopyTo(body, 9);
        BinaryPrimitives.WriteUInt64BigEndian(body.AsSpan(9 + CurveCommands.CookieLength), nonce);
        var boxStart = 9 + CurveCommands.CookieLength + 8;
        text.CopyTo(body, boxStart + Sodium.MacLength);
        var fullNonce = new byte[CurveNonce.Length];
        CurveNonce.Short(fullNonce, CurveNonce.Initiate, nonce);
        Sodium.BoxInPlaceAfterNm(body.AsSpan(boxStart + Sodium.MacLength), body.AsSpan(boxStart, Sodium.MacLength), fullNonce, SharedKey);
        return body;
    }

    public ulong ReadReady(byte[] body) => CurveCommands.ReadReady(body, SharedKey).Nonce;

    /// <summary>The client's MESSAGE traffic after READY (first nonce 3; the server's READY was 1).</summary>
    public CurveTraffic Traffic() => new(SharedKey, isServer: false, nextSendNonce: 3, lastReceivedNonce: 1);

    /// <summary>Metadata bytes (37/ZMTP "Connection Metadata") holding one property.</summary>
    public static byte[] Metadata(string name, string value)
    {
        KeyValuePair<string, string>[] properties = [new(name, value)];
        var bytes = new byte[MechanismCommands.MetadataLength(properties)];
        MechanismCommands.WriteMetadata(bytes, properties);
        return bytes;
    }
}

/// <summary>
/// The server's side of a CURVE handshake computed step by step, for a hostile server facing a connecting Expair
/// client: WELCOME's keys, cookie and box, and READY's nonce and metadata are each replaceable. READY is nonce 1.
/// </summary>
internal sealed class CurveServerScript
{
    private readonly byte[] _cookieKey = new byte[32];
    private ulong _clientNonce;

    public CurveServerScript(CurveKeyPair serverKeys)
    {
        ServerPublic = serverKeys.PublicKey.ToArray();
        ServerSecret = serverKeys.SecretKey.ToArray();
        Sodium.BoxKeyPair(TransientPublic, TransientSecret);
        Sodium.RandomBytes(_cookieKey);
    }

    public byte[] ServerPublic { get; }
    public byte[] ServerSecret { get; }
    public byte[] TransientPublic { get; } = new byte[32];
    public byte[] TransientSecret { get; } = new byte[32];
    public byte[] ClientTransientPublic { get; } = new byte[32];
    public byte[] ClientPublic { get; } = new byte[32];
    public byte[] SharedKey { get; } = new byte[32];

    public void ReadHello(byte[] body) => _clientNonce = CurveCommands.ReadHello(body, ServerSecret, ClientTransientPublic);

    /// <summary>WELCOME: Box[S' + cookie](S->C'); <paramref name="signer"/> replaces the server's secret s.</summary>
    public byte[] Welcome(byte[]? signer = null)
    {
        var nonces = new byte[32];
        Sodium.RandomBytes(nonces);
        var cookie = new byte[CurveCommands.CookieLength];
        CurveCommands.WriteCookie(cookie, nonces.AsSpan(0, 16), ClientTransientPublic, TransientSecret, _cookieKey);
        var body = new byte[CurveCommands.WelcomeLength];
        CurveCommands.WriteWelcome(body, nonces.AsSpan(16), TransientPublic, cookie, ClientTransientPublic, signer ?? ServerSecret);
        return body;
    }

    public void ReadInitiate(byte[] body) =>
        _clientNonce = CurveCommands.ReadInitiate(body, _cookieKey, ClientTransientPublic, ServerPublic, _clientNonce, SharedKey, ClientPublic).Nonce;

    /// <summary>READY: short nonce and Box[metadata](S'->C'), the metadata as raw bytes.</summary>
    public byte[] Ready(ulong nonce = 1, byte[]? metadata = null)
    {
        metadata ??= CurveClientScript.PairMetadata;
        var body = new byte[6 + 8 + Sodium.MacLength + metadata.Length];
        MechanismCommands.WriteName(body, CurveCommands.Ready);
        BinaryPrimitives.WriteUInt64BigEndian(body.AsSpan(6), nonce);
        metadata.CopyTo(body, 14 + Sodium.MacLength);
        var fullNonce = new byte[CurveNonce.Length];
        CurveNonce.Short(fullNonce, CurveNonce.Ready, nonce);
        Sodium.BoxInPlaceAfterNm(body.AsSpan(14 + Sodium.MacLength), body.AsSpan(14, Sodium.MacLength), fullNonce, SharedKey);
        return body;
    }

    /// <summary>The server's MESSAGE traffic after READY (first nonce 2; the client's INITIATE was its last).</summary>
    public CurveTraffic Traffic() => new(SharedKey, isServer: true, nextSendNonce: 2, lastReceivedNonce: _clientNonce);
}
