using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Expair.Internal;
using Expair.Protocol;
using Expair.Tests.Events;
using Expair.Tests.Hostile;
using static Expair.SocketEventKind;

namespace Expair.Tests.Engine;

/// <summary>
/// Defects an outside review found with hostile and unlucky peers (issue 20: 1, 2, 6, 9), each shown here against
/// a scripted raw peer: the size limit counts each frame's memory, PINGs from ZMTP 3.0 peers are answered, and a
/// failed handshake leaves no "held" notice behind.
/// </summary>
public class HostilePeerDefectTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly byte[] Handshake = [.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR")];

    [Fact]
    public async Task EndlessEmptyFramesWithMore_AreCutAtMaxMessageSize_WithAProtocolErrorEvent()
    {
        var server = new PairSocket(new PairSocketOptions { MaxMessageSize = 4096, ReceiveTimeout = Patience });
        var events = new MonitorReading(server.Monitor());
        using (server)
        {
            using var peer = await RawPeer.ConnectAsync(server.Bind("tcp://127.0.0.1:*"));
            await peer.SendAsync(Handshake);
            await peer.ReadExactlyAsync(Handshake.Length, Patience);

            // Empty frames with MORE, 2 bytes each on the wire: without a cost per frame, they never reach the limit.
            var flood = new byte[2 * 100_000];
            for (var i = 0; i < flood.Length; i += 2)
                flood[i] = 0x01;
            var sending = peer.SendAsync(flood);
            Assert.Empty(await peer.ReadUntilClosedAsync(Patience));
            try
            {
                await sending;
            }
            catch (SocketException)
            {
                // Cut while still sending: the close is what this test waits for.
            }

            var failure = (await events.UntilAsync(ProtocolError))[^1];
            Assert.Equal("message larger than MaxMessageSize (4096 bytes)", failure.Reason);
            Assert.False(server.TryReceive(out _, TimeSpan.Zero), "a part of the cut message was delivered");
        }
    }

    [Fact]
    public void LargeBodyBuffer_FollowsWhatArrived_NotWhatTheHeaderAnnounced()
    {
        var decoder = new FrameDecoder(maxMessageSize: -1, maxInPlaceBody: 64 * 1024 - 9);
        var announced = int.MaxValue - 1000;
        var wire = new byte[9 + 1024];
        FrameHeader.Write(wire, announced, more: false);
        Assert.Equal(DecodeStatus.BodyPending, decoder.Decode(wire, out var consumed, out _, out _));
        Assert.Equal(wire.Length, consumed);
        Assert.Equal(announced - 1024, decoder.BodyRemaining);
        // About 1 MiB held, not 2 GiB (the pool's buffers have its headroom's worth of slack besides).
        Assert.Equal(FrameDecoder.FirstBodyStep + FramePool.Headroom - 1024, decoder.PendingBody.Length);
        decoder.ReleasePending();
    }

    [Fact]
    public void LargeBodyBuffer_GrowsByDoubling_AndKeepsEveryByte()
    {
        var decoder = new FrameDecoder(maxMessageSize: -1, maxInPlaceBody: 64 * 1024 - 9);
        const int Length = 5 * FrameDecoder.FirstBodyStep + 123;
        var body = new byte[Length];
        new Random(7).NextBytes(body);
        var header = new byte[9];
        FrameHeader.Write(header, Length, more: true);
        Assert.Equal(DecodeStatus.BodyPending, decoder.Decode(header, out _, out _, out _));
        var offset = 0;
        var steps = new List<int>();
        Internal.Frame frame;
        while (true)
        {
            var into = decoder.PendingBody;
            steps.Add(into.Length + offset);
            var piece = Math.Min(into.Length, 300_000);
            body.AsSpan(offset, piece).CopyTo(into);
            offset += piece;
            if (decoder.BodyReceived(piece, out frame))
                break;
        }
        Assert.True(frame.More);
        Assert.True(body.AsSpan().SequenceEqual(frame.Span), "the body changed on its way through the growing buffer");
        Assert.Equal(FrameDecoder.FirstBodyStep + FramePool.Headroom, steps[0]); // room for 1 MiB first, then 2, 4 and the whole
        Assert.Contains(steps, s => s >= 2 * FrameDecoder.FirstBodyStep && s < 4 * FrameDecoder.FirstBodyStep);
        frame.Release();
    }

    [Fact]
    public async Task Zmtp30PeerThatPings_GetsItsPong()
    {
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        using var old = await RawPeer.ConnectAsync(server.Bind("tcp://127.0.0.1:*"));
        await old.SendAsync([.. RawPeer.Greeting(minor: 0), .. RawPeer.Ready("PAIR")]);
        await old.ReadExactlyAsync(Handshake.Length, Patience);

        await old.SendAsync(Ping("ctx"u8));
        var (flags, body) = await old.ReadFrameAsync(Patience);
        Assert.Equal(0x04, flags);
        Assert.Equal([4, .. "PONG"u8, .. "ctx"u8], body);
    }

    [Fact]
    public async Task Zmtp30PeerThatPings_IsPingedToo_WhenOurHeartbeatsAreOn()
    {
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience, HeartbeatInterval = TimeSpan.FromMilliseconds(50), HeartbeatTimeout = Patience });
        using var old = await RawPeer.ConnectAsync(server.Bind("tcp://127.0.0.1:*"));
        await old.SendAsync([.. RawPeer.Greeting(minor: 0), .. RawPeer.Ready("PAIR")]);
        await old.ReadExactlyAsync(Handshake.Length, Patience);

        await old.SendAsync(Ping("n"u8));
        var (flags, body) = await old.ReadFrameAsync(Patience);
        Assert.Equal(0x04, flags);
        Assert.Equal([4, .. "PONG"u8, .. "n"u8], body); // answered first
        (flags, body) = await old.ReadFrameAsync(Patience);
        Assert.Equal(0x04, flags);
        Assert.Equal([4, .. "PING"u8, 0, 0], body); // then pinged: no TTL, an empty context
    }

    [Fact]
    public async Task HandshakeFailingAfterOurReady_LeavesNoHandshakeHeldNotice()
    {
        var log = new RecordingLoggerFactory();
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            using var client = new PairSocket(new PairSocketOptions { ReconnectInterval = TimeSpan.FromMilliseconds(100), LoggerFactory = log });
            client.Connect($"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
            // Each connection: greetings both ways, the client's READY (its notice timer runs from then), then a
            // message before our READY, which fails the handshake at once. The notice is due a second later: the
            // connections that follow for two seconds are the clock.
            var clock = Stopwatch.StartNew();
            var failed = 0;
            while (clock.Elapsed < TimeSpan.FromSeconds(2))
            {
                using var peer = await RawPeer.AcceptAsync(listener, Patience);
                await peer.SendAsync(RawPeer.Greeting());
                await peer.ReadExactlyAsync(Handshake.Length, Patience);
                await peer.SendAsync([0x00, 0x01, 0x2A]);
                await peer.ReadUntilClosedAsync(Patience);
                failed++;
            }
            Assert.True(log.WaitFor(300, Patience, count: failed), $"not every failed handshake was logged{Environment.NewLine}{log}");
            Assert.True(failed >= 2, $"only {failed} connection(s) in two seconds");
            Assert.Empty(log.Texts(204)); // HandshakeHeld
        }
        finally
        {
            listener.Stop();
        }
    }

    private static byte[] Ping(ReadOnlySpan<byte> context)
    {
        var buffer = new byte[32];
        return buffer[..Commands.WritePing(buffer, 0, context)];
    }
}
