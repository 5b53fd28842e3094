using Expair.Tests.Hostile;
using static Expair.SocketEventKind;

namespace Expair.Tests.Events;

/// <summary>Events for peers that are refused: the wrong socket type, a full waiting line, a bad bind.</summary>
public class HostileSocketEventTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task DealerPeer_HandshakeFailed_InvalidSocketType()
    {
        var log = new RecordingLoggerFactory();
        var server = new PairSocket(new PairSocketOptions { LoggerFactory = log });
        var events = new MonitorReading(server.Monitor());
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using (var dealer = await RawPeer.ConnectAsync(endpoint))
        {
            await dealer.SendAsync([.. RawPeer.Greeting(), .. RawPeer.Ready("DEALER")]);
            await dealer.ReadUntilClosedAsync(Patience);
        }
        await events.UntilAsync(HandshakeFailed);
        server.Dispose();
        await events.ToEndAsync();

        events.AssertKinds(Listening, Accepted, HandshakeFailed, Closed);
        Assert.StartsWith("Invalid socket type", events.Seen[2].Reason, StringComparison.Ordinal);
        Assert.Contains("DEALER", events.Seen[2].Reason, StringComparison.Ordinal);
        Assert.Equal(events.Seen[1].Peer, events.Seen[2].Peer);
        SocketEventTests.AssertLogMatches(log, events.Seen);
    }

    [Fact]
    public async Task PeerBeyondTheWaitingLine_IsRefused_WithTheLineLength()
    {
        var log = new RecordingLoggerFactory();
        var server = new PairSocket(new PairSocketOptions { MaxWaitingPeers = 0, ReceiveTimeout = Patience, LoggerFactory = log });
        var events = new MonitorReading(server.Monitor());
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using (var first = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience }))
        {
            first.Connect(endpoint);
            first.Send("first");
            Assert.Equal("first", server.ReceiveString());
            using var extra = await RawPeer.ConnectAsync(endpoint);
            await extra.SendAsync([.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR")]);
            Assert.Equal(64, (await extra.ReadUntilClosedAsync(Patience)).Length); // our greeting, then closed
            await events.UntilAsync(PeerRefused);
        }
        await events.UntilAsync(Disconnected);
        server.Dispose();
        await events.ToEndAsync();

        events.AssertKinds(Listening, Accepted, HandshakeSucceeded, Accepted, PeerRefused, Disconnected, Closed);
        Assert.Equal(0, events.Seen[4].Count);
        Assert.Contains("already has peer", events.Seen[4].Reason, StringComparison.Ordinal);
        SocketEventTests.AssertLogMatches(log, events.Seen);
    }

    [Fact]
    public async Task BindToAPortInUse_BindFailed_ThenTheSocketStillWorks()
    {
        using var holder = new PairSocket();
        var taken = holder.Bind("tcp://127.0.0.1:*");
        var log = new RecordingLoggerFactory();
        var server = new PairSocket(new PairSocketOptions { LoggerFactory = log });
        var events = new MonitorReading(server.Monitor());
        Assert.Throws<EndpointException>(() => server.Bind(taken));
        var bound = server.Bind("tcp://127.0.0.1:*");
        server.Dispose();
        await events.ToEndAsync();

        events.AssertKinds(BindFailed, Listening, Closed);
        Assert.Equal(taken, events.Seen[0].Endpoint);
        Assert.Contains("in use", events.Seen[0].Reason, StringComparison.Ordinal);
        Assert.Equal(bound, events.Seen[1].Endpoint);
        SocketEventTests.AssertLogMatches(log, events.Seen);
    }
}
