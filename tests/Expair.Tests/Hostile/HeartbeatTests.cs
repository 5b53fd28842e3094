using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Expair.Protocol;
using Xunit.Abstractions;

namespace Expair.Tests.Hostile;

/// <summary>
/// Heartbeats (37/ZMTP "Connection Heartbeating") against scripted raw peers: a peer that goes silent
/// after the handshake is dropped within the timeout on either side, the slot or the link recovers, and a
/// peer's TTL is honoured. Times are measured from a moment known to be before the timer started.
/// </summary>
public class HeartbeatTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Room for a busy 2-core machine on top of the expected time; detection must still come within it. The test sees
    /// the close through awaits, whose continuations wait for a pool thread while the parallel suites load the machine.
    /// </summary>
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(3000);

    /// <summary>2.5 s: 25 tenths of a second on the wire.</summary>
    private static readonly TimeSpan Ttl = TimeSpan.FromMilliseconds(2500);

    private static PairSocketOptions Options(RecordingLoggerFactory? logs = null) => new()
    {
        ReceiveTimeout = Patience,
        SendTimeout = Patience,
        HeartbeatInterval = Interval,
        HeartbeatTimeout = HeartbeatTimeout,
        HeartbeatTtl = Ttl,
        ReconnectInterval = TimeSpan.FromMilliseconds(100),
        LoggerFactory = logs,
    };

    private static byte[] OurPing()
    {
        var buffer = new byte[16];
        return buffer[..Commands.WritePing(buffer, 25, [])];
    }

    private static readonly byte[] Handshake = [.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR")];

    [Fact]
    public async Task SilentPeer_IsDroppedAfterTheHeartbeatTimeout_AndANewPeerGetsTheSlot()
    {
        var logs = new RecordingLoggerFactory();
        using var server = new PairSocket(Options(logs));
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using var silent = await RawPeer.ConnectAsync(endpoint);

        var clock = Stopwatch.StartNew(); // before our READY: the server's heartbeats cannot start earlier
        await silent.SendAsync(Handshake);
        Assert.Equal(Handshake.Length, (await silent.ReadExactlyAsync(Handshake.Length, Patience)).Length);
        var afterHandshake = await silent.ReadUntilClosedAsync(Patience);
        var detected = clock.Elapsed;
        output.WriteLine($"silent client peer dropped {detected.TotalMilliseconds:0} ms after the handshake (expected from {(Interval + HeartbeatTimeout).TotalMilliseconds:0})");

        // The first PING goes out one interval in; with no reply, the connection ends a timeout later.
        Assert.InRange(detected, Interval + HeartbeatTimeout - TimeSpan.FromMilliseconds(1), Interval + HeartbeatTimeout + Slack);
        AssertOnlyPings(afterHandshake);
        Assert.True(logs.WaitFor(310, Patience), $"event 310: heartbeat timeout{Environment.NewLine}{logs}");
        Assert.True(logs.WaitFor(104, Patience), $"event 104: disconnected{Environment.NewLine}{logs}"); // logged once the engine has ended
        Assert.Contains(logs.Texts(104), text => text.Contains("heartbeat timeout", StringComparison.Ordinal));

        using var next = new PairSocket(Options());
        next.Connect(endpoint);
        await next.SendAsync("new peer");
        Assert.Equal("new peer", await ReceiveStringAsync(server));
        await server.SendAsync("welcome");
        Assert.Equal("welcome", await ReceiveStringAsync(next));
    }

    [Fact]
    public async Task SilentServer_ConnectingSideDropsIt_AndReconnects()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var logs = new RecordingLoggerFactory();
        using var client = new PairSocket(Options(logs));
        client.Connect($"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");

        using (var silent = await RawPeer.AcceptAsync(listener, Patience))
        {
            var clock = Stopwatch.StartNew();
            await silent.SendAsync(Handshake); // as the server; the client's heartbeats start after this READY
            Assert.Equal(Handshake.Length, (await silent.ReadExactlyAsync(Handshake.Length, Patience)).Length);
            AssertOnlyPings(await silent.ReadUntilClosedAsync(Patience));
            output.WriteLine($"silent server dropped {clock.Elapsed.TotalMilliseconds:0} ms after the handshake (expected from {(Interval + HeartbeatTimeout).TotalMilliseconds:0})");
            Assert.InRange(clock.Elapsed, Interval + HeartbeatTimeout - TimeSpan.FromMilliseconds(1), Interval + HeartbeatTimeout + Slack);
        }
        Assert.True(logs.WaitFor(310, Patience), $"event 310: heartbeat timeout{Environment.NewLine}{logs}");

        // The reconnect: a second connection that works, and carries what was queued meanwhile.
        await client.SendAsync("queued while down");
        using var second = await RawPeer.AcceptAsync(listener, Patience);
        await second.SendAsync(Handshake);
        Assert.Equal(Handshake.Length, (await second.ReadExactlyAsync(Handshake.Length, Patience)).Length);
        var (flags, body) = await ReadMessageFrameAsync(second);
        Assert.Equal(0, flags);
        Assert.Equal("queued while down"u8.ToArray(), body);
    }

    [Fact]
    public async Task PeerPingWithTtl_ThenSilence_IsDroppedAfterTheTtl()
    {
        var logs = new RecordingLoggerFactory();
        using var server = new PairSocket(new PairSocketOptions { LoggerFactory = logs }); // no heartbeats of its own
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync(Handshake);
        await peer.ReadExactlyAsync(Handshake.Length, Patience);

        var clock = Stopwatch.StartNew();
        await peer.SendAsync(Ping(ttlDeciseconds: 3, "ttl"u8)); // 300 ms
        var reply = await peer.ReadUntilClosedAsync(Patience);
        var detected = clock.Elapsed;
        output.WriteLine($"peer silent after a PING with a 300 ms TTL dropped after {detected.TotalMilliseconds:0} ms");

        Assert.InRange(detected, TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(300) + Slack);
        Assert.Equal(Pong("ttl"u8), reply);
        Assert.True(logs.WaitFor(311, Patience), $"event 311: TTL expired{Environment.NewLine}{logs}");
    }

    [Fact]
    public async Task PeerPingWithTtl_FollowedByTraffic_KeepsTheConnection()
    {
        var logs = new RecordingLoggerFactory();
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience, LoggerFactory = logs });
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync(Handshake);
        await peer.ReadExactlyAsync(Handshake.Length, Patience);

        // Traffic after the PING: the TTL no longer applies (as libzmq). Written with the PING in one write, so
        // a slow test machine cannot make the peer really silent for the 200 ms between the two.
        await peer.SendAsync([.. Ping(ttlDeciseconds: 2, "a"u8), 0x00, 0x04, .. "late"u8]);
        Assert.Equal(Pong("a"u8), await peer.ReadExactlyAsync(Pong("a"u8).Length, Patience));
        Assert.Equal("late", await ReceiveStringAsync(server));

        // The point of the test is this window (five TTLs of silence), not synchronisation.
        await Task.Delay(TimeSpan.FromMilliseconds(1000));
        using (var cancel = new CancellationTokenSource(Patience)) // a dropped peer must fail the test, not hang it
            await server.SendAsync("still here", cancel.Token);
        var (_, body) = await ReadMessageFrameAsync(peer);
        Assert.Equal("still here"u8.ToArray(), body);
        Assert.Empty(logs.Texts(311));
    }

    [Fact]
    public async Task Zmtp30Peer_IsNeverPinged_AndNotDroppedForSilence()
    {
        var logs = new RecordingLoggerFactory();
        using var server = new PairSocket(Options(logs) with { HeartbeatInterval = TimeSpan.FromMilliseconds(50) });
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using var old = await RawPeer.ConnectAsync(endpoint);
        await old.SendAsync([.. RawPeer.Greeting(minor: 0), .. RawPeer.Ready("PAIR")]);
        await old.ReadExactlyAsync(Handshake.Length, Patience);
        Assert.True(logs.WaitFor(121, Patience), $"event 121: no heartbeats with ZMTP 3.0{Environment.NewLine}{logs}");

        // Twenty intervals: a PING would have gone out, and a timeout passed, many times over.
        await Task.Delay(TimeSpan.FromMilliseconds(1000));
        await server.SendAsync("first bytes after the handshake");
        var (flags, body) = await old.ReadFrameAsync(Patience);
        Assert.Equal(0, flags); // a message, not a PING
        Assert.Equal("first bytes after the handshake"u8.ToArray(), body);
        Assert.Empty(logs.Texts(310));
    }

    [Fact]
    public async Task BothSidesHeartbeating_IdleLinkSurvivesManyIntervals()
    {
        var serverLogs = new RecordingLoggerFactory();
        var clientLogs = new RecordingLoggerFactory();
        // A timeout of thirty intervals: the link must not fall to a thread-pool stall of a busy test host (a 1 s
        // timeout fell to one in a full portable run), yet the window below outlasts the timeout and the TTL.
        var options = Options() with { HeartbeatTimeout = TimeSpan.FromSeconds(3), HeartbeatTtl = TimeSpan.FromSeconds(4) };
        using var server = new PairSocket(options with { LoggerFactory = serverLogs });
        using var client = new PairSocket(options with { LoggerFactory = clientLogs });
        client.Connect(server.Bind("tcp://127.0.0.1:*"));
        await client.SendAsync("hello");
        Assert.Equal("hello", await ReceiveStringAsync(server));
        Assert.True(serverLogs.WaitFor(120, Patience) && clientLogs.WaitFor(120, Patience), "event 120: heartbeats started on both sides");

        await Task.Delay(TimeSpan.FromMilliseconds(4500)); // the window to survive: 45 intervals, no traffic but heartbeats

        await server.SendAsync("after");
        Assert.Equal("after", await ReceiveStringAsync(client));
        foreach (var logs in new[] { serverLogs, clientLogs })
        {
            Assert.True(logs.Texts(104).Length == 0 && logs.Texts(310).Length == 0 && logs.Texts(311).Length == 0, $"the link dropped:{Environment.NewLine}{logs}");
        }
    }

    [Fact]
    public async Task FullReceiveQueue_IsNotPeerSilence_NothingIsLost()
    {
        const int Count = 20_000;
        var logs = new RecordingLoggerFactory();
        // A timeout of ten intervals: a thread-pool stall of the test host must not end the link before the window.
        using var server = new PairSocket(Options(logs) with { ReceiveHighWaterMark = 10, HeartbeatTimeout = TimeSpan.FromSeconds(1) });
        var clientLogs = new RecordingLoggerFactory();
        using var client = new PairSocket(new PairSocketOptions { SendHighWaterMark = 0, SendTimeout = Patience, LoggerFactory = clientLogs });
        client.Connect(server.Bind("tcp://127.0.0.1:*"));
        for (var i = 0; i < Count; i++)
            await client.SendAsync(BitConverter.GetBytes(i));

        // The server reads nothing for longer than its heartbeat timeout: its queue is full and the peer's bytes
        // wait in the kernel, unread. That is our silence, not the peer's. This delay is the window under test.
        await Task.Delay(TimeSpan.FromMilliseconds(2000));

        using var cancel = new CancellationTokenSource(Patience);
        for (var i = 0; i < Count; i++)
        {
            using var message = await server.ReceiveAsync(cancel.Token);
            var received = BitConverter.ToInt32(message[0].Span);
            Assert.True(received == i, $"message {received} where {i} was due; server logged:{Environment.NewLine}{logs}{Environment.NewLine}client logged:{Environment.NewLine}{clientLogs}");
        }
        Assert.True(logs.Texts(310).Length == 0 && logs.Texts(104).Length == 0, $"dropped while our own queue was full:{Environment.NewLine}{logs}");
    }

    private static byte[] Ping(ushort ttlDeciseconds, ReadOnlySpan<byte> context)
    {
        var buffer = new byte[32];
        return buffer[..Commands.WritePing(buffer, ttlDeciseconds, context)];
    }

    private static byte[] Pong(ReadOnlySpan<byte> context)
    {
        var buffer = new byte[32];
        return buffer[..Commands.WritePong(buffer, context)];
    }

    /// <summary>Every byte is one of our PINGs, each with our 2.5 s TTL (0x0019) and no context; at least one.</summary>
    private static void AssertOnlyPings(byte[] bytes)
    {
        var ping = OurPing();
        Assert.Equal([0x04, 0x07, 0x04, .. "PING"u8, 0x00, 0x19], ping);
        Assert.True(bytes.Length >= ping.Length && bytes.Length % ping.Length == 0, $"{bytes.Length} bytes are not whole PINGs");
        for (var offset = 0; offset < bytes.Length; offset += ping.Length)
            Assert.Equal(ping, bytes[offset..(offset + ping.Length)]);
    }

    /// <summary>The next message frame, past any PINGs.</summary>
    private static async Task<(byte Flags, byte[] Body)> ReadMessageFrameAsync(RawPeer peer)
    {
        while (true)
        {
            var frame = await peer.ReadFrameAsync(Patience);
            if ((frame.Flags & 0x04) == 0)
                return frame;
        }
    }

    private static async Task<string> ReceiveStringAsync(PairSocket socket)
    {
        using var cancel = new CancellationTokenSource(Patience);
        using var message = await socket.ReceiveAsync(cancel.Token);
        return message.GetString();
    }
}
