using System.Buffers;
using System.Buffers.Binary;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;
using static Expair.Tests.Security.CurveCommandsTests;

namespace Expair.Tests.Security;

public class CurveMechanismTests
{
    private static readonly KeyValuePair<string, string>[] ServerProperties = [new("Socket-Type", "PAIR"), new("X-Side", "server")];

    private static CurveMechanism Client(byte[]? serverPublic = null, CurveKeyPair? keys = null) =>
        keys is null
            ? CurveMechanism.Client(serverPublic ?? ServerPublic, ClientPublic, ClientSecret, PairMetadata)
            : CurveMechanism.Client(serverPublic ?? ServerPublic, keys.PublicKey, keys.SecretKey, PairMetadata);

    private static CurveMechanism Server(bool authenticate = true) =>
        CurveMechanism.Server(ServerPublic, ServerSecret, authenticate, ServerProperties);

    [Fact]
    public void Handshake_Allowed_MatchesLibzmqSizesAndShowsTheClientKey()
    {
        using var client = Client();
        using var server = Server();
        Assert.Equal(("CURVE", false, true), (client.Name, client.AsServer, server.AsServer));
        var exchange = new MechanismExchange(client, server);
        exchange.Run(identity => null);

        Assert.Equal(["client HELLO", "server WELCOME", "client INITIATE", "server READY"], exchange.Names);
        Assert.Equal([CommandDue.Next, CommandDue.Next, CommandDue.Final, CommandDue.Final], exchange.Commands.Select(c => c.Due));
        // Sizes libzmq 4.3.4 was seen sending with PAIR metadata: HELLO 200, WELCOME 168, INITIATE 277; READY here carries one more property.
        Assert.Equal([200, 168, 277, 30 + 20 + 17], exchange.Commands.Select(c => c.Body.Length));
        var identity = Assert.Single(exchange.IdentitiesSeen);
        Assert.Equal("CURVE", identity.Mechanism);
        Assert.Equal(ClientPublic, identity.PublicKey);
        Assert.Equal((MechanismStatus.Ready, MechanismStatus.Ready), (client.Status, server.Status));
        Assert.Equal("server", client.PeerProperties!["X-Side"]);
        Assert.Equal("PAIR", server.PeerProperties!["Socket-Type"]);
        Assert.True(client.TransformsFrames && server.TransformsFrames);
        // Short nonces as libzmq counts them: HELLO 1, INITIATE 2 (client); READY 1 (server).
        Assert.Equal(1UL, BinaryPrimitives.ReadUInt64BigEndian(exchange.Commands[0].Body.AsSpan(112)));
        Assert.Equal(2UL, BinaryPrimitives.ReadUInt64BigEndian(exchange.Commands[2].Body.AsSpan(105)));
        Assert.Equal(1UL, BinaryPrimitives.ReadUInt64BigEndian(exchange.Commands[3].Body.AsSpan(6)));
    }

    [Fact]
    public void Frames_RoundTripBothWays_AfterTheHandshake()
    {
        using var client = Client();
        using var server = Server();
        new MechanismExchange(client, server).Run();

        var wire = Wrap(client, "hello"u8, FrameFlags.More);
        Assert.Equal(3UL, BinaryPrimitives.ReadUInt64BigEndian(wire.AsSpan(8)));
        Assert.Equal("hello"u8.ToArray(), Unwrap(server, wire, out var flags));
        Assert.Equal(FrameFlags.More, flags);

        wire = Wrap(server, "\x04PONG"u8, FrameFlags.Command);
        Assert.Equal(2UL, BinaryPrimitives.ReadUInt64BigEndian(wire.AsSpan(8)));
        Assert.Equal("\x04PONG"u8.ToArray(), Unwrap(client, wire, out flags));
        Assert.Equal(FrameFlags.Command, flags);
    }

    [Fact]
    public void Frames_TamperedOrReplayed_AreRefused()
    {
        using var client = Client();
        using var server = Server();
        new MechanismExchange(client, server).Run();
        var wire = Wrap(client, "once"u8, FrameFlags.None);
        var tampered = wire.ToArray();
        tampered[^1] ^= 1;
        AssertViolation(() => Unwrap(server, tampered, out _), "the box does not open");
        Unwrap(server, wire, out _);
        AssertViolation(() => Unwrap(server, wire, out _), "(replayed or reordered)");
    }

    [Fact]
    public void Frames_BeforeTheHandshake_AreAnError()
    {
        using var client = Client();
        Assert.Throws<InvalidOperationException>(() => client.WrapFrame(FrameFlags.None, "x"u8, new byte[34]));
        Assert.Equal(34, client.WrappedLength(1));
    }

    [Fact]
    public void AcceptingAnyClient_NeverPauses()
    {
        using var keys = CurveKeyPair.Generate();
        using var client = Client(keys: keys);
        using var server = Server(authenticate: false);
        var exchange = new MechanismExchange(client, server);
        exchange.Run(identity => throw new InvalidOperationException("not asked"));
        Assert.Empty(exchange.IdentitiesSeen);
        Assert.Equal(MechanismStatus.Ready, server.Status);
    }

    [Fact]
    public void Handshake_Denied_SendsErrorInsteadOfReady()
    {
        using var client = Client();
        using var server = Server();
        var exchange = new MechanismExchange(client, server);
        var e = Assert.Throws<ProtocolViolationException>(() => exchange.Run(identity => "400"));
        Assert.Equal("400", e.PeerError);
        Assert.Equal(["client HELLO", "server WELCOME", "client INITIATE", "server ERROR"], exchange.Names);
        Assert.Equal(MechanismStatus.Failed, server.Status);
        Assert.Equal("CURVE authentication denied: 400", server.FailureReason);
        Assert.Equal(CommandDue.None, server.CommandDue);
        Assert.Throws<InvalidOperationException>(() => server.WrapFrame(FrameFlags.None, "x"u8, new byte[34]));
    }

    [Fact]
    public void WrongServerKey_TheServerCannotOpenHello()
    {
        using var stranger = CurveKeyPair.Generate();
        using var client = Client(serverPublic: stranger.PublicKey.ToArray());
        using var server = Server();
        var e = Assert.Throws<ProtocolViolationException>(() => new MechanismExchange(client, server).Run());
        Assert.Contains("CURVE HELLO: the signature box does not open", e.Message);
    }

    [Fact]
    public void ImpostorServer_TheClientCannotOpenWelcome()
    {
        // Someone answering with its own pair where the client expects the real server's public key.
        using var impostor = CurveKeyPair.Generate();
        using var client = Client();
        using var server = CurveMechanism.Server(ServerPublic, impostor.SecretKey, true, ServerProperties);
        var e = Assert.Throws<ProtocolViolationException>(() => new MechanismExchange(client, server).Run());
        Assert.Contains("signature box does not open", e.Message);
    }

    [Fact]
    public void CommandsOutOfOrder_AreViolations()
    {
        using var server = Server();
        AssertViolation(() => server.ReceiveCommand(Convert.FromHexString(ReadyHexForTests)), "CURVE: expected HELLO, received READY");
        using var client = Client();
        AssertViolation(() => client.ReceiveCommand([7, .. "WELCOME"u8]), "CURVE: unexpected WELCOME command (client SendHello)");

        using var c2 = Client();
        using var s2 = Server();
        new MechanismExchange(c2, s2).Run();
        AssertViolation(() => c2.ReceiveCommand([5, .. "READY"u8]), "unexpected READY command after the handshake");
    }

    [Fact]
    public void ReplayedHello_OnAReadyServer_IsAViolation()
    {
        using var client = Client();
        using var server = Server();
        var exchange = new MechanismExchange(client, server);
        exchange.Run();
        AssertViolation(() => server.ReceiveCommand(exchange.Commands[0].Body), "after the handshake");
    }

    [Fact]
    public void Initiate_ReplayedOnAnotherConnection_IsRefused()
    {
        // An eavesdropper replays a recorded HELLO and INITIATE to a fresh connection: the new cookie key rejects the cookie.
        using var client = Client();
        using var server = Server();
        var exchange = new MechanismExchange(client, server);
        exchange.Run();
        using var victim = Server();
        victim.ReceiveCommand(exchange.Commands[0].Body);
        MechanismExchange.Write(victim);
        AssertViolation(() => victim.ReceiveCommand(exchange.Commands[2].Body), "the cookie does not open");
    }

    [Fact]
    public void Greeting_OldPeersAndTwoServersAreRefused()
    {
        using var server = Server();
        AssertViolation(() => server.CheckPeerGreeting(new PeerGreeting(2, 0, "CURVE", false)), "CURVE needs ZMTP 3.0 or later");
        AssertViolation(() => server.CheckPeerGreeting(new PeerGreeting(3, 1, "CURVE", true)), "both sides are CURVE servers");
        server.CheckPeerGreeting(new PeerGreeting(3, 0, "CURVE", false));
    }

    [Fact]
    public void Dispose_ZeroesTheSharedKey()
    {
        using var client = Client();
        var server = Server();
        new MechanismExchange(client, server).Run();
        var wire = Wrap(client, "after"u8, FrameFlags.None);
        server.Dispose();
        AssertViolation(() => Unwrap(server, wire, out _), "the box does not open");
    }

    [Fact]
    public void Dispose_ZeroesTheServersLongTermSecret()
    {
        using var client = Client();
        var server = Server();
        server.Dispose();
        AssertViolation(() => server.ReceiveCommand(MechanismExchange.Write(client)), "the signature box does not open");
    }

    [Fact]
    public void Dispose_ZeroesTheServersCookieKey()
    {
        using var client = Client();
        var server = Server();
        server.ReceiveCommand(MechanismExchange.Write(client));
        client.ReceiveCommand(MechanismExchange.Write(server));
        server.Dispose();
        AssertViolation(() => server.ReceiveCommand(MechanismExchange.Write(client)), "the cookie does not open");
    }

    [Fact]
    public void Dispose_ZeroesTheClientsTransientSecret()
    {
        var client = Client();
        using var server = Server();
        server.ReceiveCommand(MechanismExchange.Write(client));
        client.Dispose();
        AssertViolation(() => client.ReceiveCommand(MechanismExchange.Write(server)), "CURVE WELCOME: the box does not open");
    }

    private const string ReadyHexForTests = "05524541445900000000000000011111111111111111111111111111111111";


    private static byte[] Wrap(IMechanism mechanism, ReadOnlySpan<byte> payload, FrameFlags flags)
    {
        var wire = new byte[mechanism.WrappedLength(payload.Length)];
        mechanism.WrapFrame(flags, payload, wire);
        return wire;
    }

    private static byte[] Unwrap(IMechanism mechanism, byte[] wire, out FrameFlags flags)
    {
        var payload = new byte[mechanism.UnwrappedLength(wire.Length)];
        var length = mechanism.UnwrapFrame(wire, payload, out flags);
        return payload[..length];
    }
}
