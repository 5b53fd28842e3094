using Expair.Protocol.Mechanisms;
using Expair.Tests.Events;
using static Expair.SocketEventKind;
using static Expair.Tests.Security.SecureLink;
using static Expair.Tests.Security.Tamper;

namespace Expair.Tests.Security;

/// <summary>
/// Hostile PLAIN and CURVE handshakes against a live socket, each case one line: a raw peer runs a genuine
/// handshake up to some point and then sends something malformed, out of order or forged. Our socket binds as the
/// server (a healthy client holds the slot throughout) or connects as the client (its reconnect meets a genuine
/// server). Each time: that connection is closed, the socket event names the reason, nothing reaches the
/// application, and the healthy link carries messages afterwards.
/// </summary>
public sealed class HostileHandshakeTests
{
    // INITIATE's layout (26/CurveZMQ): name (9), cookie (96), short nonce (8), MAC (16), C (32), vouch (96), metadata.
    private const int InitiateCookie = 9;
    private const int InitiateNonce = 105;
    private const int InitiateMac = 113;
    private const int InitiateVouch = 161;

    /// <summary>A hostile client and the start of the reason the server's HandshakeFailed event must give.</summary>
    private sealed record ClientCase(string Reason, Func<HostileClient, Task> Act);

    /// <summary>A hostile server and the start of the reason the client's HandshakeFailed event must give.</summary>
    private sealed record ServerCase(string Reason, Func<HostileServer, Task> Act);

    private static readonly Dictionary<string, ClientCase> CurveClients = new()
    {
        ["greeting ZMTP 2.0"] = new("peer speaks ZMTP 2.x", c => c.Wire.SendGreetingAsync("CURVE", asServer: false, major: 2)),
        ["greeting NULL"] = new("security mechanism mismatch: peer uses NULL, this socket uses CURVE", c => c.Wire.SendGreetingAsync("NULL", asServer: false)),
        ["greeting two servers"] = new("both sides are CURVE servers", c => c.Wire.SendGreetingAsync("CURVE", asServer: true)),
        ["HELLO 199 bytes"] = new("CURVE HELLO: 199 bytes, not 200", AtHello(s => s.Hello()[..199])),
        ["HELLO 201 bytes"] = new("CURVE HELLO: 201 bytes, not 200", AtHello(s => [.. s.Hello(), 0])),
        ["HELLO renamed"] = new("CURVE: expected HELLO, received HELLP", AtHello(s => Renamed(s.Hello()))),
        ["HELLO version 2.0"] = new("CURVE HELLO: version 2.0, not 1.0", AtHello(s => Set(s.Hello(), 6, 2))),
        ["HELLO for another server key"] = new("CURVE HELLO: the signature box does not open", AtHello(s => new CurveClientScript(OtherKeys.PublicKey, ClientKeys).Hello())),
        ["HELLO flipped transient key"] = new("CURVE HELLO: the signature box does not open", AtHello(s => Flip(s.Hello(), 80))),
        ["HELLO flipped nonce"] = new("CURVE HELLO: the signature box does not open", AtHello(s => Flip(s.Hello(), 119))),
        ["HELLO flipped box start"] = new("CURVE HELLO: the signature box does not open", AtHello(s => Flip(s.Hello(), 120))),
        ["HELLO flipped box end"] = new("CURVE HELLO: the signature box does not open", AtHello(s => Flip(s.Hello(), -1))),
        ["INITIATE first"] = new("CURVE: expected HELLO, received INITIATE", AtHello(s => [8, .. "INITIATE"u8, .. new byte[300]])),
        ["READY first"] = new("CURVE: expected HELLO, received READY", AtHello(s => [5, .. "READY"u8, .. new byte[40]])),
        ["MESSAGE before HELLO"] = new("peer sent a message before completing the handshake", async c => { await c.GreetAsync("CURVE"); await c.SendDataAsync(); }),
        ["HELLO twice"] = new("CURVE: expected INITIATE, received HELLO", AtInitiate(s => s.Hello(3))),
        ["INITIATE 256 bytes"] = new("CURVE INITIATE: 256 bytes, fewer than 257", AtInitiate(s => s.Initiate(metadata: [])[..256])),
        ["INITIATE renamed"] = new("CURVE: expected INITIATE, received INITIATF", AtInitiate(s => Renamed(s.Initiate()))),
        ["INITIATE nonce of HELLO"] = new("CURVE INITIATE: short nonce 1 does not follow the HELLO's 1", AtInitiate(s => s.Initiate(nonce: 1))),
        ["INITIATE cookie nonce flipped"] = new("CURVE INITIATE: the cookie does not open", AtInitiate(s => Flip(s.Initiate(), InitiateCookie))),
        ["INITIATE cookie box flipped"] = new("CURVE INITIATE: the cookie does not open", AtInitiate(s => Flip(s.Initiate(), InitiateNonce - 1))),
        ["INITIATE zeroed cookie"] = new("CURVE INITIATE: the cookie does not open", AtInitiate(s => s.Initiate(cookie: new byte[CurveCommands.CookieLength]))),
        ["INITIATE nonce flipped"] = new("CURVE INITIATE: the box does not open", AtInitiate(s => Flip(s.Initiate(nonce: 2), InitiateNonce + 7))),
        ["INITIATE MAC flipped"] = new("CURVE INITIATE: the box does not open", AtInitiate(s => Flip(s.Initiate(), InitiateMac))),
        ["INITIATE box end flipped"] = new("CURVE INITIATE: the box does not open", AtInitiate(s => Flip(s.Initiate(), -1))),
        ["INITIATE vouch flipped"] = new("CURVE INITIATE: the vouch does not open", AtInitiate(s => s.Initiate(vouch: Flip(s.Vouch(), 40)))),
        ["INITIATE vouch signed by another key"] = new("CURVE INITIATE: the vouch does not open", AtInitiate(s => s.Initiate(vouch: s.Vouch(signer: OtherKeys.SecretKey.ToArray())))),
        ["INITIATE claims another client key"] = new("CURVE INITIATE: the vouch does not open", AtInitiate(s => s.Initiate(clientPublic: HealthyKeys.PublicKey.ToArray()))),
        ["INITIATE vouch for another transient key"] = new("CURVE INITIATE: the vouch names another client transient key", AtInitiate(s => s.Initiate(vouch: s.Vouch(transient: OtherKeys.PublicKey.ToArray())))),
        ["INITIATE vouch for another server"] = new("CURVE INITIATE: the vouch names another server", AtInitiate(s => s.Initiate(vouch: s.Vouch(server: OtherKeys.PublicKey.ToArray())))),
        ["INITIATE metadata malformed"] = new("CURVE INITIATE: malformed metadata", AtInitiate(s => s.Initiate(metadata: [11, .. "Socket-Type"u8, 0, 0, 0, 9, .. "PAIR"u8]))),
        ["INITIATE metadata truncated"] = new("CURVE INITIATE: malformed metadata", AtInitiate(s => s.Initiate(metadata: CurveClientScript.PairMetadata[..^1]))),
        ["INITIATE without Socket-Type"] = new("Invalid socket type: peer socket type is (none)", AtInitiate(s => s.Initiate(metadata: []))),
        ["INITIATE from a DEALER"] = new("Invalid socket type: peer socket type is DEALER", AtInitiate(s => s.Initiate(metadata: CurveClientScript.Metadata("Socket-Type", "DEALER")))),
        ["MESSAGE instead of INITIATE"] = new("peer sent a message before completing the handshake", async c => { await c.CurveUpToInitiateAsync(); await c.SendDataAsync(); }),
        ["unknown client key"] = new("CURVE authentication denied: client public key", async c =>
        {
            var stranger = new CurveClientScript(ServerKeys.PublicKey, OtherKeys);
            var impostor = new HostileClient(c.Wire, stranger);
            await impostor.CurveUpToInitiateAsync();
            await impostor.SendAsync(stranger.Initiate());
            Assert.Equal(HostileClient.Error400, await c.Wire.ReadCommandAsync(MechanismCommands.Error));
        }),
    };

    private static readonly Dictionary<string, ClientCase> PlainClients = new()
    {
        ["greeting ZMTP 2.0"] = new("peer speaks ZMTP 2.x", c => c.Wire.SendGreetingAsync("PLAIN", asServer: false, major: 2)),
        ["greeting CURVE"] = new("security mechanism mismatch: peer uses CURVE, this socket uses PLAIN", c => c.Wire.SendGreetingAsync("CURVE", asServer: false)),
        ["HELLO renamed"] = new("PLAIN: expected HELLO, received HELLP", AtPlainHello(Renamed(HostileClient.PlainHello("worker", "s3cret")))),
        ["HELLO user past the end"] = new("PLAIN HELLO: the user name runs past the end of the command", AtPlainHello([5, .. "HELLO"u8, 10, .. "worker"u8])),
        ["HELLO password past the end"] = new("PLAIN HELLO: the password runs past the end of the command", AtPlainHello([5, .. "HELLO"u8, 6, .. "worker"u8, 7, .. "s3cret"u8])),
        ["HELLO bytes after the password"] = new("PLAIN HELLO: 1 bytes after the password", AtPlainHello([.. HostileClient.PlainHello("worker", "s3cret"), 0])),
        ["HELLO user not UTF-8"] = new("PLAIN HELLO: the user name is not valid UTF-8", AtPlainHello([5, .. "HELLO"u8, 2, 0xC3, 0x28, 6, .. "s3cret"u8])),
        ["INITIATE first"] = new("PLAIN: expected HELLO, received INITIATE", AtPlainHello(HostileClient.PlainMetadataCommand("INITIATE"))),
        ["MESSAGE before HELLO"] = new("peer sent a message before completing the handshake", async c => { await c.GreetAsync("PLAIN"); await c.SendDataAsync(); }),
        ["HELLO twice"] = new("PLAIN: expected INITIATE, received HELLO", AtPlainInitiate(HostileClient.PlainHello("worker", "s3cret"))),
        ["INITIATE renamed"] = new("PLAIN: expected INITIATE, received INITIATF", AtPlainInitiate(Renamed(HostileClient.PlainMetadataCommand("INITIATE")))),
        ["INITIATE metadata malformed"] = new("PLAIN INITIATE: malformed metadata", AtPlainInitiate(HostileClient.PlainMetadataCommand("INITIATE", [200, .. "Socket-Type"u8]))),
        ["INITIATE from a DEALER"] = new("Invalid socket type: peer socket type is DEALER", AtPlainInitiate(HostileClient.PlainMetadataCommand("INITIATE", CurveClientScript.Metadata("Socket-Type", "DEALER")))),
        ["MESSAGE instead of INITIATE"] = new("peer sent a message before completing the handshake", async c => { await c.PlainUpToInitiateAsync(); await c.SendDataAsync(); }),
        ["wrong password"] = new("PLAIN authentication denied: PLAIN user \"worker\"", async c =>
        {
            await c.GreetAsync("PLAIN");
            await c.SendAsync(HostileClient.PlainHello("worker", "guess"));
            Assert.Equal(HostileClient.Error400, await c.Wire.ReadCommandAsync(MechanismCommands.Error));
        }),
    };

    private static readonly Dictionary<string, ServerCase> CurveServers = new()
    {
        ["greeting ZMTP 2.0"] = new("peer speaks ZMTP 2.x", s => s.Wire.SendGreetingAsync("CURVE", asServer: true, major: 2)),
        ["greeting PLAIN"] = new("security mechanism mismatch: peer uses PLAIN, this socket uses CURVE", s => s.Wire.SendGreetingAsync("PLAIN", asServer: true)),
        ["WELCOME 167 bytes"] = new("CURVE WELCOME: 167 bytes, not 168", AtWelcome(s => s.Welcome()[..167])),
        ["WELCOME renamed"] = new("CURVE: expected WELCOME, received WELCOMF", AtWelcome(s => Renamed(s.Welcome()))),
        ["WELCOME nonce flipped"] = new("CURVE WELCOME: the box does not open", AtWelcome(s => Flip(s.Welcome(), 8))),
        ["WELCOME box start flipped"] = new("CURVE WELCOME: the box does not open", AtWelcome(s => Flip(s.Welcome(), 24))),
        ["WELCOME box end flipped"] = new("CURVE WELCOME: the box does not open", AtWelcome(s => Flip(s.Welcome(), -1))),
        ["WELCOME from an impostor"] = new("CURVE WELCOME: the box does not open", AtWelcome(s => s.Welcome(signer: OtherKeys.SecretKey.ToArray()))),
        ["HELLO back"] = new("CURVE: expected WELCOME, received HELLO", AtWelcome(s => new CurveClientScript(ServerKeys.PublicKey, OtherKeys).Hello())),
        ["READY before WELCOME"] = new("CURVE: expected WELCOME, received READY", AtWelcome(s => [5, .. "READY"u8, .. new byte[40]])),
        ["MESSAGE before WELCOME"] = new("peer sent a message before completing the handshake", async s => { await s.CurveUpToWelcomeAsync(); await s.SendDataAsync(); }),
        ["WELCOME twice"] = new("CURVE: expected READY, received WELCOME", AtReady(s => s.Welcome())),
        ["READY 29 bytes"] = new("CURVE READY: 29 bytes, fewer than 30", AtReady(s => s.Ready(metadata: [])[..29])),
        ["READY renamed"] = new("CURVE: expected READY, received READZ", AtReady(s => Renamed(s.Ready()))),
        ["READY nonce flipped"] = new("CURVE READY: the box does not open", AtReady(s => Flip(s.Ready(), 13))),
        ["READY MAC flipped"] = new("CURVE READY: the box does not open", AtReady(s => Flip(s.Ready(), 14))),
        ["READY box end flipped"] = new("CURVE READY: the box does not open", AtReady(s => Flip(s.Ready(), -1))),
        ["READY metadata malformed"] = new("CURVE READY: malformed metadata", AtReady(s => s.Ready(metadata: [4, .. "Sock"u8, 0, 0]))),
        ["MESSAGE instead of READY"] = new("peer sent a message before completing the handshake", async s => { await s.CurveUpToReadyAsync(); await s.SendDataAsync(); }),
    };

    private static readonly Dictionary<string, ServerCase> PlainServers = new()
    {
        ["greeting ZMTP 2.0"] = new("peer speaks ZMTP 2.x", s => s.Wire.SendGreetingAsync("PLAIN", asServer: true, major: 2)),
        ["WELCOME with a body"] = new("PLAIN WELCOME: 1 bytes after the name", AtPlainWelcome([.. HostileServer.PlainWelcome, 0])),
        ["WELCOME renamed"] = new("PLAIN: expected WELCOME, received WELCOMF", AtPlainWelcome(Renamed(HostileServer.PlainWelcome))),
        ["READY before WELCOME"] = new("PLAIN: expected WELCOME, received READY", AtPlainWelcome(HostileClient.PlainMetadataCommand("READY"))),
        ["HELLO back"] = new("PLAIN: expected WELCOME, received HELLO", AtPlainWelcome(HostileClient.PlainHello("worker", "s3cret"))),
        ["MESSAGE before WELCOME"] = new("peer sent a message before completing the handshake", async s => { await s.PlainUpToWelcomeAsync(); await s.SendDataAsync(); }),
        ["READY renamed"] = new("PLAIN: expected READY, received READZ", AtPlainReady(Renamed(HostileClient.PlainMetadataCommand("READY")))),
        ["READY metadata malformed"] = new("PLAIN READY: malformed metadata", AtPlainReady(HostileClient.PlainMetadataCommand("READY", [11, .. "Socket-Type"u8, 0xFF]))),
        ["MESSAGE instead of READY"] = new("peer sent a message before completing the handshake", async s => { await s.PlainUpToReadyAsync(); await s.SendDataAsync(); }),
    };

    /// <summary>The cases also run over ipc: one of each stage of the handshake, for both mechanisms.</summary>
    private static readonly HashSet<string> OverIpcToo =
    [
        "greeting ZMTP 2.0", "HELLO flipped box end", "INITIATE vouch for another server", "INITIATE MAC flipped", "MESSAGE instead of INITIATE",
        "HELLO bytes after the password", "WELCOME box end flipped", "READY MAC flipped", "READY metadata malformed", "MESSAGE instead of READY",
    ];

    public static TheoryData<string, string> CurveClientCases => Cases(CurveClients.Keys);

    public static TheoryData<string, string> PlainClientCases => Cases(PlainClients.Keys);

    public static TheoryData<string, string> CurveServerCases => Cases(CurveServers.Keys);

    public static TheoryData<string, string> PlainServerCases => Cases(PlainServers.Keys);

    [Theory]
    [MemberData(nameof(CurveClientCases))]
    public Task CurveServer_RefusesHostileClient(string name, string transport) => RefusesHostileClientAsync("CURVE", CurveClients[name], transport);

    [Theory]
    [MemberData(nameof(PlainClientCases))]
    public Task PlainServer_RefusesHostileClient(string name, string transport) => RefusesHostileClientAsync("PLAIN", PlainClients[name], transport);

    [Theory]
    [MemberData(nameof(CurveServerCases))]
    public Task CurveClient_RefusesHostileServer(string name, string transport) => RefusesHostileServerAsync("CURVE", CurveServers[name], transport);

    [Theory]
    [MemberData(nameof(PlainServerCases))]
    public Task PlainClient_RefusesHostileServer(string name, string transport) => RefusesHostileServerAsync("PLAIN", PlainServers[name], transport);

    private static TheoryData<string, string> Cases(IEnumerable<string> names)
    {
        var data = new TheoryData<string, string>();
        foreach (var name in names)
        {
            data.Add(name, "tcp");
            if (OverIpcToo.Contains(name))
                data.Add(name, "ipc");
        }
        return data;
    }

    private static Func<HostileClient, Task> AtHello(Func<CurveClientScript, byte[]> hello) => async c =>
    {
        await c.GreetAsync("CURVE");
        await c.SendAsync(hello(c.Curve));
    };

    private static Func<HostileClient, Task> AtInitiate(Func<CurveClientScript, byte[]> initiate) => async c =>
    {
        await c.CurveUpToInitiateAsync();
        await c.SendAsync(initiate(c.Curve));
    };

    private static Func<HostileClient, Task> AtPlainHello(byte[] hello) => async c =>
    {
        await c.GreetAsync("PLAIN");
        await c.SendAsync(hello);
    };

    private static Func<HostileClient, Task> AtPlainInitiate(byte[] initiate) => async c =>
    {
        await c.PlainUpToInitiateAsync();
        await c.SendAsync(initiate);
    };

    private static Func<HostileServer, Task> AtWelcome(Func<CurveServerScript, byte[]> welcome) => async s =>
    {
        await s.CurveUpToWelcomeAsync();
        await s.SendAsync(welcome(s.Curve));
    };

    private static Func<HostileServer, Task> AtReady(Func<CurveServerScript, byte[]> ready) => async s =>
    {
        await s.CurveUpToReadyAsync();
        await s.SendAsync(ready(s.Curve));
    };

    private static Func<HostileServer, Task> AtPlainWelcome(byte[] welcome) => async s =>
    {
        await s.PlainUpToWelcomeAsync();
        await s.SendAsync(welcome);
    };

    private static Func<HostileServer, Task> AtPlainReady(byte[] ready) => async s =>
    {
        await s.PlainUpToReadyAsync();
        await s.SendAsync(ready);
    };

    /// <summary>
    /// Our socket binds as the server, a healthy client holds the slot; the hostile client's connection is closed
    /// with <see cref="HandshakeFailed"/>, delivers nothing, and the healthy link is never interrupted.
    /// </summary>
    private static async Task RefusesHostileClientAsync(string mechanism, ClientCase hostile, string transport)
    {
        var (serverSecurity, healthySecurity) = mechanism == "CURVE" ? (CurveServer, CurveClient(HealthyKeys)) : (PlainServer, PlainClient);
        using var server = new PairSocket(Options(serverSecurity));
        var events = new MonitorReading(server.Monitor());
        var endpoint = server.Bind(Endpoint(transport));
        using var healthy = new PairSocket(Options(healthySecurity));
        healthy.Connect(endpoint);
        RoundTrip(healthy, server, "before");
        await events.UntilAsync(HandshakeSucceeded);

        using (var wire = await WirePeer.ConnectAsync(endpoint))
        {
            await hostile.Act(new HostileClient(wire, new CurveClientScript(ServerKeys.PublicKey, ClientKeys)));
            await wire.AssertClosedByPeerAsync();
        }
        var failed = (await events.UntilAsync(HandshakeFailed))[^1];
        Assert.StartsWith(hostile.Reason, failed.Reason, StringComparison.Ordinal);
        Assert.False(server.TryReceive(out _, TimeSpan.Zero), "a message from the hostile peer reached the application");

        RoundTrip(healthy, server, "after");
        Assert.DoesNotContain(events.Seen, e => e.Kind is ProtocolError or Disconnected or PeerKeptWaiting or PeerRefused);
    }

    /// <summary>
    /// Our socket connects as the client to a raw server that turns hostile: the connection is closed with
    /// <see cref="HandshakeFailed"/> and delivers nothing; the reconnect meets a genuine server and messages flow
    /// both ways.
    /// </summary>
    private static async Task RefusesHostileServerAsync(string mechanism, ServerCase hostile, string transport)
    {
        var clientSecurity = mechanism == "CURVE" ? CurveClient() : PlainClient;
        using var listener = new WireListener(transport);
        using var client = new PairSocket(Options(clientSecurity) with { ReconnectInterval = TimeSpan.FromMilliseconds(20) });
        var events = new MonitorReading(client.Monitor());
        client.Connect(listener.Endpoint);

        using (var wire = await listener.AcceptAsync())
        {
            await hostile.Act(new HostileServer(wire, new CurveServerScript(ServerKeys)));
            await wire.AssertClosedByPeerAsync();
        }
        var failed = (await events.UntilAsync(HandshakeFailed))[^1];
        Assert.StartsWith(hostile.Reason, failed.Reason, StringComparison.Ordinal);
        Assert.False(client.TryReceive(out _, TimeSpan.Zero), "a message from the hostile peer reached the application");

        using var genuine = await listener.AcceptAsync();
        var server = new HostileServer(genuine, new CurveServerScript(ServerKeys));
        if (mechanism == "CURVE")
        {
            await server.CurveUpToReadyAsync();
            await server.SendAsync(server.Curve.Ready());
        }
        else
        {
            await server.PlainUpToReadyAsync();
            await server.SendAsync(HostileClient.PlainMetadataCommand("READY"));
        }
        await events.UntilAsync(HandshakeSucceeded);
        using var traffic = mechanism == "CURVE" ? server.Curve.Traffic() : null;
        client.Send("after");
        var (_, _, wireBody) = await genuine.ReadFrameAsync();
        Assert.Equal("after"u8.ToArray(), traffic is null ? wireBody : Unwrap(traffic, wireBody));
        await genuine.SendFrameAsync(traffic is null ? "reply"u8.ToArray() : Wrap(traffic, "reply"u8));
        Assert.Equal("reply", client.ReceiveString());
    }
}
