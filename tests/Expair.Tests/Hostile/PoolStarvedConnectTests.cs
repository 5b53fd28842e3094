using System.Diagnostics;
using Expair.Tests.Faults;
using Xunit.Abstractions;

namespace Expair.Tests.Hostile;

/// <summary>
/// An application that keeps every thread-pool thread busy must still be able to accept and connect peers (issue 20,
/// defect 3): connecting, accepting, the handshake (with PLAIN and CURVE, and an authenticator that answers at
/// once) and the reconnect wait run on the socket's own threads. The pool is capped at one worker per core and every
/// worker is blocked (<see cref="StarvedPool"/>) before the sockets are even made. Runs alone, in the process-wide
/// collection.
/// </summary>
[Collection(nameof(ProcessWideMeasurements))]
public class PoolStarvedConnectTests(ITestOutputHelper output)
{
    /// <summary>What a new connection may take on a starved pool: no step of it depends on the pool.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    private static readonly PairSocketOptions Options = new() { SendTimeout = Budget, ReceiveTimeout = Budget, Linger = TimeSpan.Zero };

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void NewConnection_HandshakesAndRoundTrips_WhileThePoolIsStarved(string transport)
    {
        using var pool = new StarvedPool();
        RoundTrip(transport, Options, Options);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void PlainPeer_IsAuthenticatedAndAccepted_WhileThePoolIsStarved(string transport)
    {
        var server = Options with { Security = SocketSecurity.PlainServer(new PlainCredentials([new("admin", "secret")])) };
        var client = Options with { Security = SocketSecurity.PlainClient("admin", "secret") };
        using var pool = new StarvedPool();
        RoundTrip(transport, server, client);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void CurvePeer_IsAuthenticatedAndAccepted_WhileThePoolIsStarved(string transport)
    {
        using var serverKeys = CurveKeyPair.Generate();
        using var clientKeys = CurveKeyPair.Generate();
        var server = Options with { Security = SocketSecurity.CurveServer(serverKeys, new CurveAllowList([clientKeys.PublicKeyZ85])) };
        var client = Options with { Security = SocketSecurity.CurveClient(serverKeys.PublicKeyZ85, clientKeys) };
        using var pool = new StarvedPool();
        RoundTrip(transport, server, client);
    }

    [Fact]
    public void Connector_RetriesUntilTheBinderAppears_WhileThePoolIsStarved()
    {
        // The first attempts are refused: the reconnect wait and the next attempt need no pool thread either.
        var endpoint = TestEndpoints.FreeTcp();
        using var pool = new StarvedPool();
        var watch = Stopwatch.StartNew();
        var logs = new LogRecorder();
        using var client = new PairSocket(Options with { ReconnectInterval = TimeSpan.FromMilliseconds(20), ReconnectIntervalMax = TimeSpan.FromMilliseconds(20), LoggerFactory = logs });
        client.Connect(endpoint);
        const int ConnectRetried = 102;
        Assert.True(logs.WaitFor(ConnectRetried, 2, Budget), "the connector did not retry while the pool was starved");
        using var server = new PairSocket(Options);
        server.Bind(endpoint);
        client.Send("hello");
        Assert.Equal("hello", server.ReceiveString());
        output.WriteLine($"bound after refusals, round trip in {watch.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.True(watch.Elapsed < Budget * 2);
    }

    /// <summary>Binds, connects and exchanges one message each way, all on this thread, within the budget.</summary>
    private void RoundTrip(string transport, PairSocketOptions serverOptions, PairSocketOptions clientOptions)
    {
        var watch = Stopwatch.StartNew();
        using var server = new PairSocket(serverOptions);
        using var client = new PairSocket(clientOptions);
        client.Connect(server.Bind(transport == "tcp" ? "tcp://127.0.0.1:0" : $"ipc://{Path.GetTempPath()}expair-starved-{Guid.NewGuid():N}.sock"));
        client.Send("ping");
        Assert.Equal("ping", server.ReceiveString());
        server.Send("pong");
        Assert.Equal("pong", client.ReceiveString());
        output.WriteLine($"{transport}: connected, handshaken and round-tripped in {watch.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.True(watch.Elapsed < Budget, $"took {watch.Elapsed.TotalMilliseconds:0} ms");
    }
}
