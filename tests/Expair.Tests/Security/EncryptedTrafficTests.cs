using System.Buffers.Binary;
using Expair.Internal;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;
using Expair.Tests.Events;
using static Expair.SocketEventKind;
using static Expair.Tests.Security.SecureLink;

namespace Expair.Tests.Security;

/// <summary>
/// CURVE traffic at the socket level, after a real handshake with a raw peer: two genuine MESSAGEs, then a hostile
/// one (replayed, reordered, a flipped bit in the nonce, MAC or body, reserved flag bits, too short, or the bad
/// second half of a multipart message). Each is refused by closing the connection with a
/// <see cref="ProtocolError"/> naming why; the genuine messages arrive exactly once and nothing partial does.
/// Our socket is the binding server (then a healthy client takes the freed slot) or the connecting client.
/// </summary>
public sealed class EncryptedTrafficTests
{
    // A MESSAGE's layout (26/CurveZMQ): name (8), short nonce (8), MAC (16), the boxed flags byte, the payload.
    private const int Nonce = 8;
    private const int Mac = 16;
    private const int FlagsByte = 32;
    private const int Body = 33;

    /// <summary>
    /// What the hostile peer sends after the genuine "one" and "two" (short nonces n and n+1), the reason the
    /// <see cref="ProtocolError"/> must start with ({0} is the next unused nonce), and the genuine messages the
    /// socket delivers in all.
    /// </summary>
    private sealed record TrafficCase(string Reason, Func<TrafficPeer, Task> Act, params string[] Delivered);

    private static readonly Dictionary<string, TrafficCase> Cases = new()
    {
        ["replayed"] = new("CURVE MESSAGE: short nonce {-2} is not above the last one, {-1} (replayed or reordered)", p => p.SendAsync(p.Sent[0]), "one", "two"),
        ["replayed last"] = new("CURVE MESSAGE: short nonce {-1} is not above the last one, {-1}", p => p.SendAsync(p.Sent[1]), "one", "two"),
        ["reordered"] = new("CURVE MESSAGE: short nonce {0} is not above the last one, {1}", async p =>
        {
            var three = p.Wrap("three");
            await p.SendAsync(p.Wrap("four"));
            await p.SendAsync(three);
        }, "one", "two", "four"),
        ["nonce flipped high"] = new("CURVE MESSAGE {N}: the box does not open", p => p.SendAsync(Flip(p.Wrap("three"), Nonce)), "one", "two"),
        ["nonce flipped low"] = new("CURVE MESSAGE {1}: the box does not open", p => p.SendAsync(FlipNonceUp(p.Wrap("three"))), "one", "two"),
        ["MAC first byte flipped"] = new("CURVE MESSAGE {0}: the box does not open", p => p.SendAsync(Flip(p.Wrap("three"), Mac)), "one", "two"),
        ["MAC last byte flipped"] = new("CURVE MESSAGE {0}: the box does not open", p => p.SendAsync(Flip(p.Wrap("three"), Mac + 15)), "one", "two"),
        ["flags byte flipped"] = new("CURVE MESSAGE {0}: the box does not open", p => p.SendAsync(Flip(p.Wrap("three"), FlagsByte)), "one", "two"),
        ["body start flipped"] = new("CURVE MESSAGE {0}: the box does not open", p => p.SendAsync(Flip(p.Wrap("three"), Body)), "one", "two"),
        ["body end flipped"] = new("CURVE MESSAGE {0}: the box does not open", p => p.SendAsync(Flip(p.Wrap("three"), -1)), "one", "two"),
        ["name flipped"] = new("CURVE: expected MESSAGE, received MESSAGF", p => p.SendAsync(Tamper.Renamed(p.Wrap("three"))), "one", "two"),
        ["32 bytes"] = new("CURVE MESSAGE: 32 bytes, fewer than 33", p => p.SendAsync(p.Wrap("")[..32]), "one", "two"),
        ["reserved flag bits"] = new("CURVE MESSAGE {0}: reserved flag bits set (0x04)", p => p.SendAsync(p.Forge(0x04, "three"u8)), "one", "two"),
        ["second frame flipped"] = new("CURVE MESSAGE {1}: the box does not open", async p =>
        {
            await p.SendAsync(p.Wrap("three-a", FrameFlags.More));
            await p.SendAsync(Flip(p.Wrap("three-b"), -1));
        }, "one", "two"),
        ["second frame replayed"] = new("CURVE MESSAGE: short nonce {-1} is not above the last one, {0}", async p =>
        {
            await p.SendAsync(p.Wrap("three-a", FrameFlags.More));
            await p.SendAsync(p.Sent[1]);
        }, "one", "two"),
    };

    /// <summary>Over ipc too, and with our socket as the connecting client: one of each kind.</summary>
    private static readonly string[] Subset = ["replayed", "reordered", "MAC first byte flipped", "body end flipped", "reserved flag bits", "second frame flipped"];

    public static TheoryData<string, string, bool> AllCases
    {
        get
        {
            var data = new TheoryData<string, string, bool>();
            foreach (var name in Cases.Keys)
                data.Add(name, "tcp", true);
            foreach (var name in Subset)
            {
                data.Add(name, "ipc", true);
                data.Add(name, "tcp", false);
                data.Add(name, "ipc", false);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public async Task HostileMessage_ClosesTheConnection_GenuineOnesDeliveredOnce(string name, string transport, bool socketBinds)
    {
        var hostile = Cases[name];
        await using var link = await TrafficLink.OpenAsync(transport, socketBinds);
        await link.Peer.SendAsync(link.Peer.Wrap("one"));
        await link.Peer.SendAsync(link.Peer.Wrap("two"));
        var firstNonce = link.Peer.NextNonce - 2;
        await hostile.Act(link.Peer);
        await link.Peer.Wire.AssertClosedByPeerAsync();

        var error = (await link.Events.UntilAsync(ProtocolError))[^1];
        Assert.StartsWith(Expand(hostile.Reason, firstNonce + 2), error.Reason, StringComparison.Ordinal);
        foreach (var expected in hostile.Delivered)
            Assert.Equal(expected, link.Socket.ReceiveString());
        Assert.False(link.Socket.TryReceive(out var extra, TimeSpan.Zero), $"delivered beyond the genuine messages: {extra?.ByteCount} bytes");
        await link.Events.UntilAsync(Disconnected);

        if (socketBinds)
            link.HealthyRoundTrip();
    }

    /// <summary>libzmq's quirk, followed: a MESSAGE in a command frame is opened like one in a data frame.</summary>
    [Theory]
    [InlineData("tcp", true)]
    [InlineData("tcp", false)]
    [InlineData("ipc", true)]
    public async Task MessageInACommandFrame_IsAccepted(string transport, bool socketBinds)
    {
        await using var link = await TrafficLink.OpenAsync(transport, socketBinds);
        await link.Peer.SendAsync(link.Peer.Wrap("one"));
        await link.Peer.Wire.SendCommandAsync(link.Peer.Wrap("two"));
        await link.Peer.Wire.SendFrameAsync(link.Peer.Wrap("three-a", FrameFlags.More), command: true);
        await link.Peer.SendAsync(link.Peer.Wrap("three-b"));
        Assert.Equal("one", link.Socket.ReceiveString());
        Assert.Equal("two", link.Socket.ReceiveString());
        using (var multipart = link.Socket.Receive())
            Assert.Equal(["three-a", "three-b"], multipart.Select(f => System.Text.Encoding.UTF8.GetString(f.Span)));

        link.Socket.Send("back");
        Assert.Equal("back", await link.Peer.ReceiveAsync());
        Assert.DoesNotContain(link.Events.Seen, e => e.Kind is ProtocolError or Disconnected);
    }

    /// <summary>"{0}" is the first nonce after the genuine two, "{1}" the one after it, "{-1}" and "{-2}" the genuine ones, "{N}" the high-bit-flipped nonce.</summary>
    private static string Expand(string reason, ulong next) => reason
        .Replace("{-2}", $"{next - 2}", StringComparison.Ordinal)
        .Replace("{-1}", $"{next - 1}", StringComparison.Ordinal)
        .Replace("{0}", $"{next}", StringComparison.Ordinal)
        .Replace("{1}", $"{next + 1}", StringComparison.Ordinal)
        .Replace("{N}", $"{next ^ (1UL << 56)}", StringComparison.Ordinal);

    private static byte[] Flip(byte[] bytes, int at) => Tamper.Flip(bytes, at);

    /// <summary>The nonce raised by one (its low bit set on an even nonce): above the last, but not the one boxed.</summary>
    private static byte[] FlipNonceUp(byte[] message)
    {
        var copy = message.ToArray();
        BinaryPrimitives.WriteUInt64BigEndian(copy.AsSpan(Nonce), BinaryPrimitives.ReadUInt64BigEndian(copy.AsSpan(Nonce)) + 1);
        return copy;
    }

    /// <summary>
    /// The raw side of a CURVE link after a genuine handshake: wraps and sends MESSAGEs in data frames as libzmq
    /// does, remembers what it sent, and can forge a MESSAGE with any flags byte under the real key.
    /// </summary>
    internal sealed class TrafficPeer(WirePeer wire, CurveTraffic traffic, byte[] sharedKey, bool isServer, ulong nextNonce) : IDisposable
    {
        public WirePeer Wire => wire;

        public List<byte[]> Sent { get; } = [];

        public ulong NextNonce { get; private set; } = nextNonce;

        /// <summary>The next MESSAGE, wrapped (its nonce used) but not sent.</summary>
        public byte[] Wrap(string text, FrameFlags flags = FrameFlags.None)
        {
            NextNonce++;
            return SecureLink.Wrap(traffic, System.Text.Encoding.UTF8.GetBytes(text), flags);
        }

        /// <summary>The next MESSAGE with a raw <paramref name="flagsByte"/> inside its box.</summary>
        public byte[] Forge(byte flagsByte, ReadOnlySpan<byte> payload)
        {
            var nonce = NextNonce++;
            var wireBody = new byte[Body + payload.Length];
            MechanismCommands.WriteName(wireBody, CurveTraffic.Message);
            BinaryPrimitives.WriteUInt64BigEndian(wireBody.AsSpan(Nonce), nonce);
            var fullNonce = new byte[CurveNonce.Length];
            CurveNonce.Short(fullNonce, isServer ? CurveNonce.MessageFromServer : CurveNonce.MessageFromClient, nonce);
            Sodium.BoxAfterNm(wireBody.AsSpan(Mac), [flagsByte, .. payload], fullNonce, sharedKey);
            return wireBody;
        }

        public async Task SendAsync(byte[] message)
        {
            await wire.SendFrameAsync(message);
            Sent.Add(message);
        }

        public async Task<string> ReceiveAsync()
        {
            var (_, _, body) = await wire.ReadFrameAsync();
            return System.Text.Encoding.UTF8.GetString(Unwrap(traffic, body));
        }

        public void Dispose()
        {
            traffic.Dispose();
            wire.Dispose();
        }
    }

    /// <summary>An Expair CURVE socket and a raw peer that completed a genuine handshake with it.</summary>
    private sealed class TrafficLink : IAsyncDisposable
    {
        private readonly WireListener? _listener;
        private readonly string? _endpoint;

        private TrafficLink(PairSocket socket, MonitorReading events, TrafficPeer peer, WireListener? listener, string? endpoint)
        {
            Socket = socket;
            Events = events;
            Peer = peer;
            _listener = listener;
            _endpoint = endpoint;
        }

        public PairSocket Socket { get; }

        public MonitorReading Events { get; }

        public TrafficPeer Peer { get; }

        private static PairSocketOptions Once(SocketSecurity security) => Options(security) with { ReconnectInterval = Timeout.InfiniteTimeSpan };

        public static async Task<TrafficLink> OpenAsync(string transport, bool socketBinds)
        {
            if (socketBinds)
            {
                var server = new PairSocket(Once(CurveServer));
                var events = new MonitorReading(server.Monitor());
                var endpoint = server.Bind(Endpoint(transport));
                var client = new HostileClient(await WirePeer.ConnectAsync(endpoint), new CurveClientScript(ServerKeys.PublicKey, ClientKeys));
                await client.CurveHandshakeAsync();
                await events.UntilAsync(HandshakeSucceeded);
                return new TrafficLink(server, events, new TrafficPeer(client.Wire, client.Curve.Traffic(), client.Curve.SharedKey, isServer: false, 3), null, endpoint);
            }

            var listener = new WireListener(transport);
            var socket = new PairSocket(Once(CurveClient()));
            var clientEvents = new MonitorReading(socket.Monitor());
            socket.Connect(listener.Endpoint);
            var hostile = new HostileServer(await listener.AcceptAsync(), new CurveServerScript(ServerKeys));
            await hostile.CurveUpToReadyAsync();
            await hostile.SendAsync(hostile.Curve.Ready());
            await clientEvents.UntilAsync(HandshakeSucceeded);
            return new TrafficLink(socket, clientEvents, new TrafficPeer(hostile.Wire, hostile.Curve.Traffic(), hostile.Curve.SharedKey, isServer: true, 2), listener, null);
        }

        /// <summary>The bound socket's slot is free again: a genuine Expair client takes it and round-trips.</summary>
        public void HealthyRoundTrip()
        {
            using var healthy = new PairSocket(Once(CurveClient()));
            healthy.Connect(_endpoint!);
            RoundTrip(healthy, Socket, "healthy");
        }

        public ValueTask DisposeAsync()
        {
            Peer.Dispose();
            Socket.Dispose();
            _listener?.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
