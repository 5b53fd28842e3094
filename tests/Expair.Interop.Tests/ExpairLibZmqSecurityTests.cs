using System.Text;
using Expair.Interop.Tests.Native;
using static Expair.Interop.Tests.CurveTestKeys;
using static Expair.SocketEventKind;

namespace Expair.Interop.Tests;

/// <summary>
/// Expair's sockets with CURVE and PLAIN against the real libzmq, both directions, tcp and ipc: the outcomes
/// <see cref="LibZmqSecurityTests"/> shows libzmq has against itself. libzmq's failures are read from its
/// monitor, Expair's from its socket events; nothing waits for a message that should not come.
/// </summary>
public sealed class ExpairLibZmqSecurityTests : LibZmqFixture
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public static TheoryData<string, bool> TransportsAndBinders => new()
    {
        { "tcp", true }, { "tcp", false }, { "ipc", true }, { "ipc", false },
    };

    [Theory]
    [MemberData(nameof(TransportsAndBinders))]
    public void Curve_ExpairServer_LibzmqClient_CarriesMessages(string transport, bool expairBinds)
    {
        var expair = Expair(SocketSecurity.CurveServer(ServerKeys, new CurveAllowList([ClientPublic])));
        var zmq = ZmqCurveClient(ServerPublic, ClientPublic, ClientSecret);
        Link(expair, zmq, transport, expairBinds);
        AssertTraffic(expair, zmq);
    }

    [Theory]
    [MemberData(nameof(TransportsAndBinders))]
    public void Curve_ExpairClient_LibzmqServer_CarriesMessages(string transport, bool expairBinds)
    {
        var zmq = ZmqCurveServer();
        var expair = Expair(SocketSecurity.CurveClient(ServerPublic, ClientKeys));
        Link(expair, zmq, transport, expairBinds);
        AssertTraffic(expair, zmq);
    }

    [Theory]
    [MemberData(nameof(TransportsAndBinders))]
    public void Plain_ExpairServer_LibzmqClient_CarriesMessages(string transport, bool expairBinds)
    {
        var expair = Expair(SocketSecurity.PlainServer(new PlainCredentials([new("worker", "s3cret")])));
        var zmq = ZmqPlainClient("worker", "s3cret");
        Link(expair, zmq, transport, expairBinds);
        AssertTraffic(expair, zmq);
    }

    [Theory]
    [MemberData(nameof(TransportsAndBinders))]
    public void Plain_ExpairClient_LibzmqServer_CarriesMessages(string transport, bool expairBinds)
    {
        var zap = Track(new ZapHandler(Context, (mechanism, credentials) => mechanism == "PLAIN" && Encoding.UTF8.GetString(credentials[1]) == "s3cret"));
        var zmq = ZmqPlainServer();
        var expair = Expair(SocketSecurity.PlainClient("worker", "s3cret"));
        Link(expair, zmq, transport, expairBinds);
        AssertTraffic(expair, zmq);
        Assert.Equal(["worker", "s3cret"], zap.Requests[0].Credentials.Select(c => Encoding.UTF8.GetString(c)));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task Curve_UnknownLibzmqClientKey_IsRefusedWith400_AndTheReasonInTheEvent(string transport)
    {
        using var stranger = CurveKeyPair.Generate();
        var expair = Expair(SocketSecurity.CurveServer(ServerKeys, new CurveAllowList([ClientPublic])));
        using var events = expair.Monitor();
        var zmq = ZmqCurveClient(ServerPublic, stranger.PublicKeyZ85, stranger.GetSecretKeyZ85());
        var zmqEvents = Monitor(zmq);
        Link(expair, zmq, transport, expairBinds: true);

        Assert.Equal(400, zmqEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_AUTH).Value);
        var failed = await UntilAsync(events, HandshakeFailed);
        Assert.Equal($"CURVE authentication denied: client public key {stranger.PublicKeyZ85} is not on the allow-list", failed.Reason);
        Assert.False(expair.TryReceive(out Message? _, TimeSpan.Zero));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task Curve_LibzmqClientWithWrongServerKey_IsRefused(string transport)
    {
        using var other = CurveKeyPair.Generate();
        var expair = Expair(SocketSecurity.CurveServer(ServerKeys, new CurveAllowList([ClientPublic])));
        using var events = expair.Monitor();
        var zmq = ZmqCurveClient(other.PublicKeyZ85, ClientPublic, ClientSecret);
        Link(expair, zmq, transport, expairBinds: true);

        var failed = await UntilAsync(events, HandshakeFailed);
        Assert.Equal("CURVE HELLO: the signature box does not open (the client has another server key, or the command was altered)", failed.Reason);
        Assert.False(zmq.TryReceive(out _, 0));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task Curve_ExpairClientWithWrongServerKey_IsRefusedByLibzmq(string transport)
    {
        using var other = CurveKeyPair.Generate();
        var zmq = ZmqCurveServer();
        var zmqEvents = Monitor(zmq);
        var expair = Expair(SocketSecurity.CurveClient(other.PublicKeyZ85, ClientKeys));
        using var events = expair.Monitor();
        Link(expair, zmq, transport, expairBinds: false);

        expair.Send("secret");

        Assert.Equal(LibZmq.ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, zmqEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL).Value);
        var failed = await UntilAsync(events, HandshakeFailed);
        Assert.Equal("peer closed the connection during the handshake", failed.Reason);
        // libzmq closes without ERROR here, so this is no refusal: Expair retries (as a libzmq client does) and the
        // flush just reports the message undelivered.
        Assert.False(await expair.FlushAsync(TimeSpan.Zero));
        Assert.False(zmq.TryReceive(out _, 0));
    }

    /// <summary>
    /// libzmq's ZAP handler denies the client key, so libzmq sends ERROR "400": the client stops for good, and a flush
    /// that was waiting for the queued message ends at once with the reason (no timeout decides it); nothing arrives.
    /// </summary>
    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task Curve_ExpairClientWithUnknownKey_FlushAsyncThrowsLibzmqsError400(string transport)
    {
        var zap = Track(new ZapHandler(Context, (_, credentials) => Z85.Encode(credentials[0]) == ClientPublic));
        using var stranger = CurveKeyPair.Generate();
        var zmq = ZmqCurveServer();
        var zmqEvents = Monitor(zmq);
        var expair = Expair(SocketSecurity.CurveClient(ServerPublic, stranger));
        var endpoint = Resources.FreeEndpoint(transport);
        expair.Connect(endpoint); // before libzmq binds: the message is queued and the flush waiting when the ERROR comes
        expair.Send("secret");
        var flush = expair.FlushAsync(Timeout.InfiniteTimeSpan).AsTask();
        Assert.False(flush.IsCompleted);

        zmq.Bind(endpoint);

        var refused = await Assert.ThrowsAsync<HandshakeRefusedException>(() => flush.WaitAsync(Wait));
        Assert.Equal("400", refused.Reason);
        Assert.True(refused.SentByPeer);
        Assert.Equal(endpoint, refused.Endpoint);
        Assert.Equal(400, zmqEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_AUTH).Value);
        Assert.Equal(stranger.PublicKey.ToArray(), Assert.Single(zap.Requests).Credentials[0]);
        Assert.False(zmq.TryReceive(out _, 0));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task Plain_LibzmqClientWithWrongPassword_IsRefused(string transport)
    {
        var expair = Expair(SocketSecurity.PlainServer(new PlainCredentials([new("worker", "s3cret")])));
        using var events = expair.Monitor();
        var zmq = ZmqPlainClient("worker", "guess");
        var zmqEvents = Monitor(zmq);
        Link(expair, zmq, transport, expairBinds: true);

        var failed = await UntilAsync(events, HandshakeFailed);
        Assert.Equal("PLAIN authentication denied: PLAIN user \"worker\": unknown user or wrong password", failed.Reason);
        // libzmq 4.3.4's PLAIN client knows only its own malformed ERROR: Expair's well-formed one is a protocol error to it.
        Assert.Equal(LibZmq.ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND, zmqEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL).Value);
        Assert.False(expair.TryReceive(out Message? _, TimeSpan.Zero));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task Plain_ExpairClientWithWrongPassword_GetsLibzmqsError400(string transport)
    {
        Track(new ZapHandler(Context, (_, credentials) => Encoding.UTF8.GetString(credentials[1]) == "s3cret"));
        var zmq = ZmqPlainServer();
        var zmqEvents = Monitor(zmq);
        var expair = Expair(SocketSecurity.PlainClient("worker", "guess"));
        using var events = expair.Monitor();
        Link(expair, zmq, transport, expairBinds: false);

        Assert.Equal(400, zmqEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_AUTH).Value);
        var failed = await UntilAsync(events, HandshakeFailed);
        Assert.Equal("peer sent ERROR: 400", failed.Reason); // libzmq's malformed PLAIN ERROR, understood
        Assert.Equal("400", (await UntilAsync(events, ReconnectStopped)).Reason);
        // The connector stopped for good: a flush says so at once, with the reason, even with no timeout.
        var refused = await Assert.ThrowsAsync<HandshakeRefusedException>(async () => await expair.FlushAsync(Timeout.InfiniteTimeSpan));
        Assert.Equal("400", refused.Reason);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task MechanismMismatch_ExpairNullAgainstLibzmqCurve_LibzmqClosesFirst(string transport)
    {
        var zmq = ZmqCurveServer();
        var zmqEvents = Monitor(zmq);
        var expair = Expair(SocketSecurity.Null);
        using var events = expair.Monitor();
        Link(expair, zmq, transport, expairBinds: false);

        Assert.Equal(LibZmq.ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, zmqEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL).Value);
        // libzmq reads Expair's whole greeting at once and closes before the rest of its own goes out.
        var failed = await UntilAsync(events, HandshakeFailed);
        Assert.Equal("peer closed the connection during the greeting", failed.Reason);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task MechanismMismatch_ExpairCurveAgainstLibzmqPlain_LibzmqClosesFirst(string transport)
    {
        var expair = Expair(SocketSecurity.CurveServer(ServerKeys, new CurveAllowList([ClientPublic])));
        using var events = expair.Monitor();
        var zmq = ZmqPlainClient("worker", "s3cret");
        var zmqEvents = Monitor(zmq);
        Link(expair, zmq, transport, expairBinds: true);

        Assert.Equal(LibZmq.ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, zmqEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL).Value);
        var failed = await UntilAsync(events, HandshakeFailed);
        Assert.Equal("peer closed the connection during the greeting", failed.Reason);
    }

    private PairSocket Expair(SocketSecurity security) =>
        Track(new PairSocket(new PairSocketOptions { Security = security, ReceiveTimeout = Wait, SendTimeout = Wait }));

    private ZmqSocket ZmqCurveServer(string secretKeyZ85 = ServerSecret) => Track(LibZmqSecuritySockets.CurveServer(Context, secretKeyZ85));

    private ZmqSocket ZmqCurveClient(string serverPublicZ85, string publicZ85, string secretZ85) =>
        Track(LibZmqSecuritySockets.CurveClient(Context, serverPublicZ85, publicZ85, secretZ85));

    private ZmqSocket ZmqPlainServer() => Track(LibZmqSecuritySockets.PlainServer(Context));

    private ZmqSocket ZmqPlainClient(string user, string password) => Track(LibZmqSecuritySockets.PlainClient(Context, user, password));

    private ZmqMonitor Monitor(ZmqSocket socket) => Track(LibZmqSecuritySockets.HandshakeMonitor(socket));

    private void Link(PairSocket expair, ZmqSocket zmq, string transport, bool expairBinds)
    {
        var endpoint = transport == "tcp" ? "tcp://127.0.0.1:*" : Resources.IpcEndpoint();
        if (expairBinds)
        {
            zmq.Connect(expair.Bind(endpoint));
        }
        else
        {
            expair.Connect(zmq.Bind(endpoint));
        }
    }

    /// <summary>Round trips, a multipart message and 1 MiB each way.</summary>
    private static void AssertTraffic(PairSocket expair, ZmqSocket zmq)
    {
        for (var i = 0; i < 20; i++)
        {
            zmq.Send(Encoding.UTF8.GetBytes($"ping {i}"));
            Assert.Equal($"ping {i}", expair.ReceiveString());
            expair.Send($"pong {i}");
            Assert.Equal($"pong {i}", Encoding.UTF8.GetString(Assert.Single(zmq.Receive())));
        }
        zmq.Send(Encoding.UTF8.GetBytes("a"), [], Encoding.UTF8.GetBytes("ccc"));
        using (var multipart = expair.Receive())
            Assert.Equal(["a", "", "ccc"], multipart.Select(f => Encoding.UTF8.GetString(f.Span)));
        expair.Send(new Message("x", "yy"));
        Assert.Equal(["x", "yy"], zmq.Receive().Select(f => Encoding.UTF8.GetString(f)));

        var large = new byte[1024 * 1024];
        Random.Shared.NextBytes(large);
        zmq.Send(large);
        Assert.Equal(large, expair.ReceiveBytes());
        expair.Send(large);
        Assert.Equal(large, Assert.Single(zmq.Receive()));
    }

    private static async Task<SocketEvent> UntilAsync(SocketMonitor monitor, SocketEventKind kind)
    {
        using var timeout = new CancellationTokenSource(Wait);
        await foreach (var socketEvent in monitor.ReadAllAsync(timeout.Token))
        {
            if (socketEvent.Kind == kind)
                return socketEvent;
        }
        Assert.Fail($"no {kind} event");
        return default;
    }
}
