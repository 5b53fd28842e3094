using System.Diagnostics;
using System.Net;

namespace Expair.Tests.Hostile;

/// <summary>
/// Connections that never finish the handshake ("squatters") never hold the PAIR slot: each is closed
/// after the handshake timeout, or sooner when too many handshakes are pending, and the real peer works.
/// </summary>
public class SquatterTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(1500);

    /// <summary>The handshake timer may fire this much early against the test's stopwatch (measured: 1.1 ms).</summary>
    private static readonly TimeSpan TimerResolution = TimeSpan.FromMilliseconds(15);

    public static TheoryData<string, byte[]> Stalls => new()
    {
        { "nothing", [] },
        { "half a greeting", RawPeer.Greeting()[..32] },
        { "a greeting, no READY", RawPeer.Greeting() },
        { "a greeting and half a READY", [.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR")[..10]] },
    };

    [Theory]
    [MemberData(nameof(Stalls))]
    public async Task StalledHandshake_IsClosedAfterTheTimeout_WhileTheRealPeerWorks(string what, byte[] sent)
    {
        var logs = new RecordingLoggerFactory();
        using var server = new PairSocket(new PairSocketOptions { HandshakeTimeout = HandshakeTimeout, ReceiveTimeout = Patience, LoggerFactory = logs });
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        var clock = Stopwatch.StartNew(); // before the connection exists: its handshake timer cannot start earlier
        using var squatter = await RawPeer.ConnectAsync(endpoint);
        if (sent.Length > 0)
            await squatter.SendAsync(sent);

        using var real = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        real.Connect(endpoint);
        real.Send("real");
        Assert.Equal("real", server.ReceiveString());
        server.Send("back");
        Assert.Equal("back", real.ReceiveString());

        var received = await squatter.ReadUntilClosedAsync(Patience);
        Assert.InRange(clock.Elapsed, HandshakeTimeout - TimerResolution, HandshakeTimeout + Slack);
        Assert.Equal(64, received.Length); // our greeting only: a READY never goes to a peer that did not finish
        Assert.True(logs.WaitFor(313, Patience), $"event 313: handshake timed out ({what}){Environment.NewLine}{logs}");
        real.Send("still");
        Assert.Equal("still", server.ReceiveString());
    }

    [Fact]
    public async Task TooManyPendingHandshakes_CloseTheOldest_NeverTheConnectedPeer()
    {
        var logs = new RecordingLoggerFactory();
        var options = new PairSocketOptions { MaxPendingHandshakes = 2, HandshakeTimeout = Timeout.InfiniteTimeSpan, ReceiveTimeout = Patience, LoggerFactory = logs };
        using var server = new PairSocket(options);
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using var real = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        real.Connect(endpoint);
        real.Send("in");
        Assert.Equal("in", server.ReceiveString());

        // Two squatters fill the pending set; the connected peer is not in it.
        using var first = await OpenSquatterAsync(endpoint);
        using var second = await OpenSquatterAsync(endpoint);
        using var third = await OpenSquatterAsync(endpoint);

        Assert.Empty(await first.Peer.ReadUntilClosedAsync(Patience)); // closed with no timeout at all: the cap did it
        Assert.True(logs.WaitFor(312, Patience), $"event 312: oldest pending handshake closed{Environment.NewLine}{logs}");
        var evicted = Assert.Single(logs.Texts(312));
        Assert.Contains($":{first.LocalPort}", evicted, StringComparison.Ordinal);

        using var fourth = await OpenSquatterAsync(endpoint);
        Assert.Empty(await second.Peer.ReadUntilClosedAsync(Patience)); // then the next oldest, in order
        real.Send("still in");
        Assert.Equal("still in", server.ReceiveString());
        server.Send("back");
        Assert.Equal("back", real.ReceiveString());
        Assert.True(logs.WaitFor(312, Patience, count: 2), $"event 312 twice{Environment.NewLine}{logs}");
        Assert.Contains($":{second.LocalPort}", logs.Texts(312)[1], StringComparison.Ordinal);
    }

    private sealed record Squatter(RawPeer Peer, int LocalPort) : IDisposable
    {
        public void Dispose() => Peer.Dispose();
    }

    /// <summary>Connects and sends nothing; returns once the server has accepted it (its greeting arrived).</summary>
    private static async Task<Squatter> OpenSquatterAsync(string endpoint)
    {
        var peer = await RawPeer.ConnectAsync(endpoint);
        Assert.Equal(64, (await peer.ReadExactlyAsync(64, Patience)).Length);
        return new Squatter(peer, ((IPEndPoint)peer.LocalEndPoint!).Port);
    }
}
