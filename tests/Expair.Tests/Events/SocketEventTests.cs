using Expair.Tests.Hostile;
using static Expair.SocketEventKind;

namespace Expair.Tests.Events;

/// <summary>
/// The exact event sequence of the main scenarios, on both sides, over every transport (derived classes), and
/// the same lines, in the same order, in the log.
/// </summary>
public abstract class SocketEventTests
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>A fresh endpoint to bind; <paramref name="fixedPort"/> gives a real tcp port, to connect to before binding.</summary>
    protected abstract string NewEndpoint(bool fixedPort = false);

    /// <summary>tcp and ipc have a wire: retries, a handshake the binder can hold. Inproc links at once.</summary>
    protected abstract bool HasWire { get; }

    private protected static PairSocketOptions Options(RecordingLoggerFactory? log = null) => new()
    {
        SendTimeout = Patience,
        ReceiveTimeout = Patience,
        Linger = TimeSpan.FromSeconds(2),
        LoggerFactory = log,
    };

    [Fact]
    public async Task PeerConnectsExchangesAndLeaves_ExactSequenceOnBothSides()
    {
        var serverLog = new RecordingLoggerFactory();
        var clientLog = new RecordingLoggerFactory();
        var server = new PairSocket(Options(serverLog));
        var serverEvents = new MonitorReading(server.Monitor());
        var endpoint = server.Bind(NewEndpoint());
        var client = new PairSocket(Options(clientLog));
        var clientEvents = new MonitorReading(client.Monitor());
        client.Connect(endpoint);
        client.Send("hello");
        Assert.Equal("hello", server.ReceiveString());
        await serverEvents.UntilAsync(HandshakeSucceeded);
        await clientEvents.UntilAsync(HandshakeSucceeded);

        client.Dispose();
        await clientEvents.ToEndAsync();
        await serverEvents.UntilAsync(Disconnected);
        server.Dispose();
        await serverEvents.ToEndAsync();

        serverEvents.AssertKinds(Listening, Accepted, HandshakeSucceeded, Disconnected, Closed);
        clientEvents.AssertKinds(Connecting, Connected, HandshakeSucceeded, Disconnected, Closed);
        Assert.All(serverEvents.Seen.Concat(clientEvents.Seen), e => Assert.Equal(endpoint, e.Endpoint));
        var peer = serverEvents.Seen[1].Peer;
        Assert.NotNull(peer);
        Assert.All(serverEvents.Seen[1..4], e => Assert.Equal(peer, e.Peer));
        Assert.Equal("peer closed the connection", serverEvents.Seen[3].Reason);
        Assert.Equal("disconnecting", clientEvents.Seen[3].Reason);
        AssertLogMatches(serverLog, serverEvents.Seen);
        AssertLogMatches(clientLog, clientEvents.Seen);
    }

    [Fact]
    public async Task ConnectBeforeBind_RetriesThenConnects_ExactSequence()
    {
        var clientLog = new RecordingLoggerFactory();
        var client = new PairSocket(Options(clientLog));
        var clientEvents = new MonitorReading(client.Monitor());
        var endpoint = NewEndpoint(fixedPort: true);
        client.Connect(endpoint);
        client.Send("queued before the bind");
        if (HasWire)
            await clientEvents.UntilAsync(ConnectRetried);

        using (var server = new PairSocket(Options()))
        {
            server.Bind(endpoint);
            Assert.Equal("queued before the bind", server.ReceiveString());
            await clientEvents.UntilAsync(HandshakeSucceeded);
            client.Dispose();
            await clientEvents.ToEndAsync();
        }

        var kinds = clientEvents.Seen.Select(e => e.Kind).ToList();
        var retries = kinds.Count(k => k == ConnectRetried);
        clientEvents.AssertKinds([Connecting, .. Enumerable.Repeat(ConnectRetried, retries), Connected, HandshakeSucceeded, Disconnected, Closed]);
        if (HasWire)
            Assert.InRange(retries, 1, 100);
        else
            Assert.Equal(0, retries);
        foreach (var retry in clientEvents.Seen.Where(e => e.Kind == ConnectRetried))
        {
            // The default 100 ms reconnect interval plus up to 10 % jitter, and why it failed.
            Assert.InRange(retry.Delay!.Value, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(110));
            Assert.False(string.IsNullOrEmpty(retry.Reason));
        }
        AssertLogMatches(clientLog, clientEvents.Seen);
    }

    [Fact]
    public async Task SecondPeer_IsKeptWaiting_ThenPromoted_ExactSequence()
    {
        var serverLog = new RecordingLoggerFactory();
        var server = new PairSocket(Options(serverLog));
        var serverEvents = new MonitorReading(server.Monitor());
        var endpoint = server.Bind(NewEndpoint());
        var first = new PairSocket(Options());
        first.Connect(endpoint);
        first.Send("one");
        Assert.Equal("one", server.ReceiveString());

        var second = new PairSocket(Options());
        var secondEvents = new MonitorReading(second.Monitor());
        second.Connect(endpoint);
        await serverEvents.UntilAsync(PeerKeptWaiting);
        if (HasWire)
            await secondEvents.UntilAsync(HandshakeHeld); // the binder withholds its READY; reported after a second

        first.Dispose();
        second.Send("two");
        Assert.Equal("two", server.ReceiveString());
        await serverEvents.UntilAsync(HandshakeSucceeded);
        await secondEvents.UntilAsync(HandshakeSucceeded);
        second.Dispose();
        await secondEvents.ToEndAsync();
        await serverEvents.UntilAsync(Disconnected);
        server.Dispose();
        await serverEvents.ToEndAsync();

        serverEvents.AssertKinds(
            Listening,
            Accepted, HandshakeSucceeded, // first
            Accepted, PeerKeptWaiting, // second
            Disconnected, WaitingPeerPromoted, HandshakeSucceeded, // first leaves, second takes the slot
            Disconnected, Closed);
        if (HasWire)
            secondEvents.AssertKinds(Connecting, Connected, HandshakeHeld, HandshakeSucceeded, Disconnected, Closed);
        else
            secondEvents.AssertKinds(Connecting, Connected, HandshakeSucceeded, Disconnected, Closed);
        var s = serverEvents.Seen;
        Assert.All(new[] { s[2], s[5] }, e => Assert.Equal(s[1].Peer, e.Peer)); // the first peer
        Assert.All(new[] { s[4], s[6], s[7], s[8] }, e => Assert.Equal(s[3].Peer, e.Peer)); // the second
        AssertLogMatches(serverLog, serverEvents.Seen);
    }

    [Fact]
    public async Task MonitorNeverRead_DoesNotSlowTraffic_ThenReportsDroppedAndTheNewest()
    {
        const int Messages = 100_000;
        const int Capacity = 4;
        var server = new PairSocket(Options() with { ReceiveHighWaterMark = 0 });
        var neverRead = server.Monitor(Capacity);
        var full = new MonitorReading(server.Monitor());
        var endpoint = server.Bind(NewEndpoint());

        for (var cycle = 0; cycle < 4; cycle++)
        {
            using (var client = new PairSocket(Options() with { SendHighWaterMark = 0 }))
            {
                client.Connect(endpoint);
                var count = cycle == 0 ? Messages : 1;
                var receiving = Task.Run(() =>
                {
                    for (var i = 0; i < count; i++)
                        Assert.Equal(4, server.ReceiveBytes().Length);
                });
                var payload = new byte[4];
                for (var i = 0; i < count; i++)
                    client.Send(payload);
                Assert.True(receiving.Wait(Patience), $"{count} messages did not arrive within {Patience}");
            }
            await full.UntilAsync(Disconnected);
        }
        server.Dispose();
        await full.ToEndAsync();

        // Listening, 4 x (Accepted, HandshakeSucceeded, Disconnected), Closed.
        Assert.Equal(14, full.Seen.Count);
        var slow = new MonitorReading(neverRead);
        var read = await slow.ToEndAsync();
        Assert.Equal(EventsDropped, read[0].Kind);
        Assert.Equal(full.Seen.Count - Capacity, read[0].Count);
        Assert.Equal(full.Seen[^Capacity..], read[1..]);
    }

    /// <summary>Each event is one log line with its stable id, in the same order (EventsDropped is per monitor, never logged).</summary>
    internal static void AssertLogMatches(RecordingLoggerFactory log, IEnumerable<SocketEvent> events)
    {
        var expected = events.Where(e => e.Kind != EventsDropped).Select(LogId).ToList();
        var logged = log.Lines.Select(l => l.Id).ToList();
        Assert.True(expected.SequenceEqual(logged),
            $"Events as log ids: {string.Join(", ", expected)}\nLogged: {string.Join(", ", logged)}\n{string.Join("\n", log.Lines)}");
    }

    private static int LogId(SocketEvent e) => e.Kind switch
    {
        Listening => 100,
        Connecting => 101,
        ConnectRetried => 102,
        HandshakeSucceeded => 103,
        Disconnected => 104,
        Accepted => 105,
        Closed => 106,
        BindFailed => 107,
        Connected => 108,
        AcceptFailed => 109,
        LingerExpired => 110,
        PeerKeptWaiting => 200,
        PeerRefused => 201,
        WaitingPeerPromoted => 202,
        MessagesDiscarded => 203,
        HandshakeHeld => 204,
        ReconnectStopped => 302,
        HandshakeFailed or ProtocolError => e.Reason!.StartsWith("peer sent ERROR", StringComparison.Ordinal) ? 301 : 300,
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.Kind, "no log line"),
    };
}

public sealed class TcpSocketEventTests : SocketEventTests
{
    protected override bool HasWire => true;

    protected override string NewEndpoint(bool fixedPort = false) => fixedPort ? TestEndpoints.FreeTcp() : "tcp://127.0.0.1:*";
}

public sealed class IpcSocketEventTests : SocketEventTests
{
    protected override bool HasWire => true;

    protected override string NewEndpoint(bool fixedPort = false) => $"ipc://{Path.GetTempPath()}expair-events-{Guid.NewGuid():N}.sock";
}

public sealed class InProcSocketEventTests : SocketEventTests
{
    protected override bool HasWire => false;

    protected override string NewEndpoint(bool fixedPort = false) => $"inproc://events-{Guid.NewGuid():N}";
}
