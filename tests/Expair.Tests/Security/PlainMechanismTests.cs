using Expair.Protocol;
using Expair.Protocol.Mechanisms;
using static Expair.Tests.Security.CurveCommandsTests;

namespace Expair.Tests.Security;

public class PlainMechanismTests
{
    private static readonly KeyValuePair<string, string>[] ServerProperties = [new("Socket-Type", "PAIR"), new("X-Side", "server")];

    [Fact]
    public void Handshake_Allowed_ExchangesMetadataAndShowsTheCredentials()
    {
        using var client = PlainMechanism.Client("admin", "secret", PairMetadata);
        using var server = PlainMechanism.Server(ServerProperties);
        Assert.Equal(("PLAIN", false, true), (client.Name, client.AsServer, server.AsServer));
        var exchange = new MechanismExchange(client, server);
        exchange.Run(identity => null);

        Assert.Equal(["client HELLO", "server WELCOME", "client INITIATE", "server READY"], exchange.Names);
        Assert.Equal([CommandDue.Next, CommandDue.Next, CommandDue.Final, CommandDue.Final], exchange.Commands.Select(c => c.Due));
        var identity = Assert.Single(exchange.IdentitiesSeen);
        Assert.Equal(new PeerIdentity("PLAIN", "admin", "secret", null), identity);
        Assert.Equal((MechanismStatus.Ready, MechanismStatus.Ready), (client.Status, server.Status));
        Assert.Equal("server", client.PeerProperties!["X-Side"]);
        Assert.Equal("PAIR", server.PeerProperties!["Socket-Type"]);
        Assert.Null(server.Identity);
        Assert.False(client.TransformsFrames || server.TransformsFrames);
    }

    [Fact]
    public void Server_PausesForAuthentication_WithNothingToSend()
    {
        using var client = PlainMechanism.Client("u", "p", PairMetadata);
        using var server = PlainMechanism.Server(PairMetadata);
        Assert.Null(server.Identity);
        server.ReceiveCommand(MechanismExchange.Write(client));
        Assert.Equal(MechanismStatus.AuthenticationNeeded, server.Status);
        Assert.Equal(CommandDue.None, server.CommandDue);
        Assert.Equal("u", server.Identity!.UserName);
        server.CompleteAuthentication(null);
        Assert.Equal(CommandDue.Next, server.CommandDue);
        Assert.Throws<InvalidOperationException>(() => server.CompleteAuthentication(null));
    }

    [Fact]
    public void Handshake_Denied_SendsErrorAndTheClientSurfacesIt()
    {
        using var client = PlainMechanism.Client("admin", "wrong", PairMetadata);
        using var server = PlainMechanism.Server(PairMetadata);
        var exchange = new MechanismExchange(client, server);
        var e = Assert.Throws<ProtocolViolationException>(() => exchange.Run(identity => "400"));
        Assert.Equal("400", e.PeerError);
        Assert.Equal(["client HELLO", "server ERROR"], exchange.Names);
        Assert.Equal(MechanismStatus.Failed, server.Status);
        Assert.Equal("PLAIN authentication denied: 400", server.FailureReason);
        Assert.Equal(CommandDue.None, server.CommandDue);
        Assert.Equal([5, .. "ERROR"u8, 3, .. "400"u8], exchange.Commands[1].Body);
    }

    [Fact]
    public void Server_FinalReady_StaysDueUntilWritten()
    {
        using var client = PlainMechanism.Client("u", "p", PairMetadata);
        using var server = PlainMechanism.Server(PairMetadata);
        server.ReceiveCommand(MechanismExchange.Write(client));
        server.CompleteAuthentication(null);
        client.ReceiveCommand(MechanismExchange.Write(server));
        server.ReceiveCommand(MechanismExchange.Write(client));
        // The binding side may hold READY while the PAIR slot is taken: nothing changes until it writes it.
        Assert.Equal((CommandDue.Final, MechanismStatus.Handshaking), (server.CommandDue, server.Status));
        Assert.Equal((CommandDue.Final, MechanismStatus.Handshaking), (server.CommandDue, server.Status));
        client.ReceiveCommand(MechanismExchange.Write(server));
        Assert.Equal((MechanismStatus.Ready, MechanismStatus.Ready), (client.Status, server.Status));
    }

    [Fact]
    public void UnexpectedCommands_AreViolations()
    {
        using var server = PlainMechanism.Server(PairMetadata);
        AssertViolation(() => server.ReceiveCommand([8, .. "INITIATE"u8]), "PLAIN: expected HELLO, received INITIATE");

        using var client = PlainMechanism.Client("u", "p", PairMetadata);
        AssertViolation(() => client.ReceiveCommand([7, .. "WELCOME"u8]), "PLAIN: unexpected WELCOME command (client SendHello)");
        MechanismExchange.Write(client);
        AssertViolation(() => client.ReceiveCommand([5, .. "READY"u8]), "expected WELCOME, received READY");
    }

    [Fact]
    public void PeerError_DuringTheHandshake_EndsItWithTheReason()
    {
        using var client = PlainMechanism.Client("u", "p", PairMetadata);
        MechanismExchange.Write(client);
        var e = Assert.Throws<ProtocolViolationException>(() => client.ReceiveCommand([5, .. "ERROR"u8, 3, .. "500"u8]));
        Assert.Equal("500", e.PeerError);
    }

    [Fact]
    public void LibzmqsMalformedPlainError_IsStillAnError()
    {
        // libzmq 4.3.4's PLAIN server sends ERROR as 0x5E "RROR" (its source's "\x5ERROR"), seen on the wire.
        using var client = PlainMechanism.Client("u", "p", PairMetadata);
        MechanismExchange.Write(client);
        var e = Assert.Throws<ProtocolViolationException>(() => client.ReceiveCommand(Convert.FromHexString("5E52524F5203343030")));
        Assert.Equal("400", e.PeerError);
    }

    [Fact]
    public void Greeting_OldPeersAndTwoServersAreRefused_LibzmqsZeroIsAccepted()
    {
        using var server = PlainMechanism.Server(PairMetadata);
        using var client = PlainMechanism.Client("u", "p", PairMetadata);
        AssertViolation(() => server.CheckPeerGreeting(new PeerGreeting(2, 0, "PLAIN", false)), "PLAIN needs ZMTP 3.0 or later; the peer speaks 2.0");
        AssertViolation(() => server.CheckPeerGreeting(new PeerGreeting(3, 1, "PLAIN", true)), "both sides are PLAIN servers");
        server.CheckPeerGreeting(new PeerGreeting(3, 0, "PLAIN", false));
        client.CheckPeerGreeting(new PeerGreeting(3, 1, "PLAIN", false)); // libzmq's server says as-server 0
        client.CheckPeerGreeting(new PeerGreeting(3, 1, "PLAIN", true));
    }

    [Fact]
    public void Client_RefusesOverlongCredentials()
    {
        Assert.Throws<ArgumentException>(() => PlainMechanism.Client(new string('u', 256), "p", PairMetadata));
    }

}
