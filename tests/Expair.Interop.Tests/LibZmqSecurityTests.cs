using System.Text;
using Expair.Interop.Tests.Native;

using static Expair.Interop.Tests.CurveTestKeys;

namespace Expair.Interop.Tests;

/// <summary>
/// libzmq with CURVE and PLAIN against libzmq, tcp and ipc, through the test wrapper: the baseline the
/// Expair-against-libzmq security tests will be held to once the mechanisms are wired into the engine, and
/// proof that keys made by <see cref="CurveKeyPair"/> and <see cref="Z85"/> work in libzmq. Every server lives in
/// a context of its own, with a ZAP handler where the test needs one. Failures are observed through libzmq's
/// socket monitor events, never by waiting for a message that does not come.
/// </summary>
public sealed class LibZmqSecurityTests : LibZmqFixture
{
    [Fact]
    public void Libzmq_IsBuiltWithCurve()
    {
        Assert.Equal(1, LibZmq.zmq_has("curve"));
    }

    [Theory]
    [InlineData("tcp", true)]
    [InlineData("tcp", false)]
    [InlineData("ipc", true)]
    [InlineData("ipc", false)]
    public void Curve_LibzmqExampleKeys_CarryMessagesBothWays(string transport, bool serverBinds)
    {
        var server = CurveServer(ServerSecret);
        var client = CurveClient(ServerPublic, ClientPublic, ClientSecret);
        Link(server, client, transport, serverBinds);
        AssertRoundTrip(server, client);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void Curve_KeysFromCurveKeyPair_WorkInLibzmq_AndTheAllowListSeesTheClientKey(string transport)
    {
        using var serverKeys = CurveKeyPair.Generate();
        using var clientKeys = CurveKeyPair.Generate();
        var zap = Track(new ZapHandler(Context, (mechanism, credentials) => Z85.Encode(credentials[0]) == clientKeys.PublicKeyZ85));
        var server = CurveServer(serverKeys.GetSecretKeyZ85());
        var client = CurveClient(serverKeys.PublicKeyZ85, clientKeys.PublicKeyZ85, clientKeys.GetSecretKeyZ85());
        Link(server, client, transport, serverBinds: true);
        AssertRoundTrip(server, client);
        var request = Assert.Single(zap.Requests);
        Assert.Equal("CURVE", request.Mechanism);
        Assert.Equal(clientKeys.PublicKey.ToArray(), Assert.Single(request.Credentials));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void Curve_WrongServerKey_ServerCannotOpenHello(string transport)
    {
        using var other = CurveKeyPair.Generate();
        var server = CurveServer(ServerSecret);
        var serverEvents = Monitor(server);
        var client = CurveClient(other.PublicKeyZ85, ClientPublic, ClientSecret);
        Link(server, client, transport, serverBinds: true);
        var failure = serverEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
        Assert.Equal(LibZmq.ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, failure.Value);
        Assert.False(client.TryReceive(out _, 0));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void Curve_UnknownClientKey_IsRefusedWith400(string transport)
    {
        var zap = Track(new ZapHandler(Context, (_, credentials) => Z85.Encode(credentials[0]) == ClientPublic));
        using var stranger = CurveKeyPair.Generate();
        var server = CurveServer(ServerSecret);
        var serverEvents = Monitor(server);
        var client = CurveClient(ServerPublic, stranger.PublicKeyZ85, stranger.GetSecretKeyZ85());
        var clientEvents = Monitor(client);
        Link(server, client, transport, serverBinds: true);
        Assert.Equal(400, serverEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_AUTH).Value);
        Assert.Equal(400, clientEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_AUTH).Value);
        Assert.NotEmpty(zap.Requests);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void Curve_WithoutZapHandler_AcceptsAnyClient(string transport)
    {
        // libzmq's silent default, which Expair makes explicit (SocketSecurity.CurveServerAcceptingAnyClient).
        using var stranger = CurveKeyPair.Generate();
        var server = CurveServer(ServerSecret);
        var client = CurveClient(ServerPublic, stranger.PublicKeyZ85, stranger.GetSecretKeyZ85());
        Link(server, client, transport, serverBinds: false);
        AssertRoundTrip(server, client);
    }

    [Theory]
    [InlineData("tcp", true)]
    [InlineData("ipc", false)]
    public void Plain_RightPassword_CarriesMessages(string transport, bool serverBinds)
    {
        var zap = Track(new ZapHandler(Context, PasswordIs("s3cret")));
        var server = PlainServer();
        var client = PlainClient("worker", "s3cret");
        Link(server, client, transport, serverBinds);
        AssertRoundTrip(server, client);
        var request = Assert.Single(zap.Requests);
        Assert.Equal("PLAIN", request.Mechanism);
        Assert.Equal(["worker", "s3cret"], request.Credentials.Select(c => Encoding.UTF8.GetString(c)));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void Plain_WrongPassword_IsRefusedWith400(string transport)
    {
        Track(new ZapHandler(Context, PasswordIs("s3cret")));
        var server = PlainServer();
        var serverEvents = Monitor(server);
        var client = PlainClient("worker", "guess");
        var clientEvents = Monitor(client);
        Link(server, client, transport, serverBinds: true);
        Assert.Equal(400, serverEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_AUTH).Value);
        Assert.Equal(400, clientEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_AUTH).Value);
    }

    [Fact]
    public void Plain_WithoutZapHandler_RefusesEveryone()
    {
        // libzmq's default; Expair cannot be configured so (SocketSecurity.PlainServer needs an authenticator).
        var server = PlainServer();
        var serverEvents = Monitor(server);
        var client = PlainClient("worker", "s3cret");
        Link(server, client, "tcp", serverBinds: true);
        serverEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
        Assert.False(server.TryReceive(out _, 0));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void MechanismMismatch_NullAgainstCurve_IsAProtocolError(string transport)
    {
        var server = CurveServer(ServerSecret);
        var serverEvents = Monitor(server);
        var client = Track(new ZmqSocket(LibZmq.PAIR, Context));
        var clientEvents = Monitor(client);
        Link(server, client, transport, serverBinds: true);
        Assert.Equal(LibZmq.ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, serverEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL).Value);
        Assert.Equal(LibZmq.ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, clientEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL).Value);
    }

    [Fact]
    public void MechanismMismatch_PlainAgainstCurve_IsAProtocolError()
    {
        var server = CurveServer(ServerSecret);
        var serverEvents = Monitor(server);
        var client = PlainClient("worker", "s3cret");
        Link(server, client, "tcp", serverBinds: true);
        Assert.Equal(LibZmq.ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, serverEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL).Value);
    }

    [Fact]
    public void Mechanism_OptionReportsWhatWasConfigured()
    {
        Assert.Equal(LibZmq.ZMQ_CURVE, CurveServer(ServerSecret).GetOptionInt32(LibZmq.ZMQ_MECHANISM));
        Assert.Equal(LibZmq.ZMQ_PLAIN, PlainClient("u", "p").GetOptionInt32(LibZmq.ZMQ_MECHANISM));
        Assert.Equal(LibZmq.ZMQ_NULL, Track(new ZmqSocket(LibZmq.PAIR, Context)).GetOptionInt32(LibZmq.ZMQ_MECHANISM));
    }

    private static Func<string, IReadOnlyList<byte[]>, bool> PasswordIs(string password) =>
        (mechanism, credentials) => mechanism == "PLAIN" && Encoding.UTF8.GetString(credentials[1]) == password;

    private ZmqSocket CurveServer(string secretKeyZ85 = ServerSecret) => Track(LibZmqSecuritySockets.CurveServer(Context, secretKeyZ85));

    private ZmqSocket CurveClient(string serverPublicZ85, string publicZ85, string secretZ85) =>
        Track(LibZmqSecuritySockets.CurveClient(Context, serverPublicZ85, publicZ85, secretZ85));

    private ZmqSocket PlainServer() => Track(LibZmqSecuritySockets.PlainServer(Context));

    private ZmqSocket PlainClient(string user, string password) => Track(LibZmqSecuritySockets.PlainClient(Context, user, password));

    private ZmqMonitor Monitor(ZmqSocket socket) => Track(LibZmqSecuritySockets.HandshakeMonitor(socket));

    /// <summary>Binds one socket and connects the other, whichever is the server.</summary>
    private void Link(ZmqSocket server, ZmqSocket client, string transport, bool serverBinds)
    {
        var (bound, connecting) = serverBinds ? (server, client) : (client, server);
        var endpoint = bound.Bind(transport == "tcp" ? "tcp://127.0.0.1:*" : IpcEndpoint());
        connecting.Connect(endpoint);
    }

    private static void AssertRoundTrip(ZmqSocket server, ZmqSocket client)
    {
        client.Send(Encoding.UTF8.GetBytes("from client"), Encoding.UTF8.GetBytes("two frames"));
        Assert.Equal(["from client", "two frames"], server.Receive().Select(f => Encoding.UTF8.GetString(f)));
        server.Send(Encoding.UTF8.GetBytes("from server"));
        Assert.Equal("from server", Encoding.UTF8.GetString(Assert.Single(client.Receive())));
    }

    private string IpcEndpoint() => Resources.IpcEndpoint();
}
