using Expair.Tests.Events;
using static Expair.SocketEventKind;

namespace Expair.Tests.Security;

/// <summary>Expair against Expair with PLAIN and CURVE over tcp and ipc: the whole socket, the handshake, the traffic.</summary>
public sealed class SecureSocketTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly CurveKeyPair _serverKeys = CurveKeyPair.Generate();
    private readonly CurveKeyPair _clientKeys = CurveKeyPair.Generate();

    public void Dispose()
    {
        _serverKeys.Dispose();
        _clientKeys.Dispose();
    }

    public static TheoryData<string, string> MechanismsAndTransports => new()
    {
        { "CURVE", "tcp" }, { "CURVE", "ipc" }, { "PLAIN", "tcp" }, { "PLAIN", "ipc" },
    };

    public static TheoryData<string, string, bool> MechanismsTransportsAndBinders => new()
    {
        { "CURVE", "tcp", true }, { "CURVE", "tcp", false }, { "CURVE", "ipc", true }, { "CURVE", "ipc", false },
        { "PLAIN", "tcp", true }, { "PLAIN", "tcp", false }, { "PLAIN", "ipc", true }, { "PLAIN", "ipc", false },
    };

    private static string Endpoint(string transport) => transport == "tcp"
        ? "tcp://127.0.0.1:*"
        : $"ipc:///tmp/expair-secure-{Guid.NewGuid():N}.sock";

    private static PairSocketOptions Options(SocketSecurity security) => new()
    {
        Security = security,
        ReceiveTimeout = Patience,
        SendTimeout = Patience,
    };

    private (SocketSecurity Server, SocketSecurity Client) Allowed(string mechanism) => mechanism == "CURVE"
        ? (SocketSecurity.CurveServer(_serverKeys, new CurveAllowList([_clientKeys.PublicKeyZ85])), SocketSecurity.CurveClient(_serverKeys.PublicKeyZ85, _clientKeys))
        : (SocketSecurity.PlainServer(new PlainCredentials([new("worker", "s3cret")])), SocketSecurity.PlainClient("worker", "s3cret"));

    [Theory]
    [MemberData(nameof(MechanismsTransportsAndBinders))]
    public void Allowed_RoundTrips_Multipart_AndOneMebibyte_BothWays(string mechanism, string transport, bool serverBinds)
    {
        var (serverSecurity, clientSecurity) = Allowed(mechanism);
        using var server = new PairSocket(Options(serverSecurity));
        using var client = new PairSocket(Options(clientSecurity));
        if (serverBinds)
            client.Connect(server.Bind(Endpoint(transport)));
        else
            server.Connect(client.Bind(Endpoint(transport)));

        for (var i = 0; i < 100; i++)
        {
            client.Send($"ping {i}");
            Assert.Equal($"ping {i}", server.ReceiveString());
            server.Send($"pong {i}");
            Assert.Equal($"pong {i}", client.ReceiveString());
        }

        client.Send(new Message("a", "", "ccc"));
        using (var multipart = server.Receive())
            Assert.Equal(["a", "", "ccc"], multipart.Select(f => System.Text.Encoding.UTF8.GetString(f.Span)));

        var large = new byte[1024 * 1024];
        Random.Shared.NextBytes(large);
        server.Send(large);
        Assert.Equal(large, client.ReceiveBytes());
        client.Send(large);
        Assert.Equal(large, server.ReceiveBytes());
    }

    [Theory]
    [MemberData(nameof(MechanismsAndTransports))]
    public async Task Denied_Client_IsRefused_WithTheReason_AndDeliversNothing(string mechanism, string transport)
    {
        using var intruderKeys = CurveKeyPair.Generate();
        var (serverSecurity, _) = Allowed(mechanism);
        var intruder = mechanism == "CURVE"
            ? SocketSecurity.CurveClient(_serverKeys.PublicKeyZ85, intruderKeys)
            : SocketSecurity.PlainClient("worker", "wrong");
        using var server = new PairSocket(Options(serverSecurity));
        var serverEvents = new MonitorReading(server.Monitor());
        // The message is queued before anything listens, so before the handshake (a denial can come back within
        // microseconds of Connect, and sends then fail with it); the connector retries until the bind.
        var endpoint = transport == "tcp" ? TestEndpoints.FreeTcp() : Endpoint(transport);
        using var client = new PairSocket(Options(intruder) with { ReconnectInterval = TimeSpan.FromMilliseconds(10) });
        var clientEvents = new MonitorReading(client.Monitor());
        client.Connect(endpoint);
        Assert.True(client.TrySend("let me in", TimeSpan.Zero)); // never delivered
        server.Bind(endpoint);

        var failed = (await serverEvents.UntilAsync(HandshakeFailed))[^1];
        Assert.Equal($"{mechanism} authentication denied: " + (mechanism == "CURVE"
            ? $"client public key {intruderKeys.PublicKeyZ85} is not on the allow-list"
            : "PLAIN user \"worker\": unknown user or wrong password"), failed.Reason);
        var clientFailed = (await clientEvents.UntilAsync(HandshakeFailed))[^1];
        Assert.Contains("400", clientFailed.Reason, StringComparison.Ordinal);
        Assert.False(server.TryReceiveString(out _, TimeSpan.FromMilliseconds(100)));
        Assert.DoesNotContain(serverEvents.Seen, e => e.Kind == HandshakeSucceeded);
    }

    [Theory]
    [InlineData(1000)] // opened inside the receive buffer
    [InlineData(200_000)] // a large body, read straight into a buffer and opened into its frame
    public async Task Curve_MaxMessageSize_CountsThePayload_NotWhatCarriesIt(int limit)
    {
        var (serverSecurity, clientSecurity) = Allowed("CURVE");
        using var server = new PairSocket(Options(serverSecurity) with { MaxMessageSize = limit });
        var serverEvents = new MonitorReading(server.Monitor());
        using var client = new PairSocket(Options(clientSecurity));
        client.Connect(server.Bind(Endpoint("tcp")));

        client.Send(new Message(new byte[limit / 2], new byte[limit - limit / 2 - FrameCost()]));
        using (var whole = server.Receive())
            Assert.Equal(limit - FrameCost(), whole.ByteCount);
        client.Send(new byte[limit + 1]);
        var failed = (await serverEvents.UntilAsync(ProtocolError))[^1];
        Assert.Equal($"message larger than MaxMessageSize ({limit} bytes)", failed.Reason);
        Assert.False(server.TryReceiveString(out _, TimeSpan.Zero));
    }

    private static int FrameCost() => Expair.Protocol.FrameDecoder.FrameCost;

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task MechanismMismatch_IsAHandshakeFailure_NamingBoth(string transport)
    {
        var (serverSecurity, _) = Allowed("CURVE");
        using var server = new PairSocket(Options(serverSecurity));
        var serverEvents = new MonitorReading(server.Monitor());
        using var client = new PairSocket(Options(SocketSecurity.PlainClient("worker", "s3cret")));
        var clientEvents = new MonitorReading(client.Monitor());
        client.Connect(server.Bind(Endpoint(transport)));

        Assert.Equal("security mechanism mismatch: peer uses PLAIN, this socket uses CURVE", (await serverEvents.UntilAsync(HandshakeFailed))[^1].Reason);
        Assert.Equal("security mechanism mismatch: peer uses CURVE, this socket uses PLAIN", (await clientEvents.UntilAsync(HandshakeFailed))[^1].Reason);
    }

    [Theory]
    [MemberData(nameof(MechanismsAndTransports))]
    public async Task DeniedPeers_NeverDisturbTheConnectedPeer(string mechanism, string transport)
    {
        using var intruderKeys = CurveKeyPair.Generate();
        var (serverSecurity, clientSecurity) = Allowed(mechanism);
        using var server = new PairSocket(Options(serverSecurity) with { MaxWaitingPeers = 0 });
        var serverEvents = new MonitorReading(server.Monitor());
        var endpoint = server.Bind(Endpoint(transport));
        using var client = new PairSocket(Options(clientSecurity));
        client.Connect(endpoint);
        client.Send("first");
        Assert.Equal("first", server.ReceiveString());

        for (var i = 0; i < 5; i++)
        {
            using var intruder = new PairSocket(Options(mechanism == "CURVE"
                ? SocketSecurity.CurveClient(_serverKeys.PublicKeyZ85, intruderKeys)
                : SocketSecurity.PlainClient("worker", "wrong")) with { ReconnectInterval = Timeout.InfiniteTimeSpan });
            // No send: the denial (ERROR 400) may arrive before it, and sends then fail with the refusal.
            intruder.Connect(endpoint);
            var failed = (await serverEvents.UntilAsync(HandshakeFailed))[^1];
            Assert.StartsWith($"{mechanism} authentication denied: ", failed.Reason, StringComparison.Ordinal);
            client.Send($"ping {i}");
            Assert.Equal($"ping {i}", server.ReceiveString());
            server.Send($"pong {i}");
            Assert.Equal($"pong {i}", client.ReceiveString());
        }
        // Refused by authentication, never by the full slot: none of them reached the waiting line.
        Assert.DoesNotContain(serverEvents.Seen, e => e.Kind is PeerRefused or PeerKeptWaiting or Disconnected);
        Assert.Single(serverEvents.Seen, e => e.Kind == HandshakeSucceeded);
    }

    [Fact]
    public async Task SilentAuthenticator_TimesOut_AsADenial_AndTheClientGetsError400()
    {
        using var server = new PairSocket(Options(SocketSecurity.CurveServer(_serverKeys, new SilentAuthenticator()))
            with { AuthenticationTimeout = TimeSpan.FromMilliseconds(200) });
        var serverEvents = new MonitorReading(server.Monitor());
        using var client = new PairSocket(Options(SocketSecurity.CurveClient(_serverKeys.PublicKeyZ85, _clientKeys)) with { ReconnectInterval = Timeout.InfiniteTimeSpan });
        var clientEvents = new MonitorReading(client.Monitor());
        client.Connect(server.Bind(Endpoint("tcp")));

        Assert.Equal("CURVE authentication denied: the authenticator did not answer within 0.2 s", (await serverEvents.UntilAsync(HandshakeFailed))[^1].Reason);
        Assert.Equal("peer sent ERROR: 400", (await clientEvents.UntilAsync(HandshakeFailed))[^1].Reason);
    }

    /// <summary>Never answers until cancelled.</summary>
    private sealed class SilentAuthenticator : IPeerAuthenticator
    {
        public async ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return AuthenticationResult.Allow;
        }
    }
}
