using Expair.Protocol;
using Expair.Protocol.Mechanisms;
using Expair.Tests.Events;
using static Expair.SocketEventKind;
using static Expair.Tests.Security.SecureLink;

namespace Expair.Tests.Security;

/// <summary>
/// 37/ZMTP heartbeats under CURVE, where PING and PONG travel inside MESSAGEs (the COMMAND bit in the encrypted
/// flags byte, the MESSAGE itself in a data frame as libzmq sends it): an idle Expair link survives several
/// timeouts, and a raw peer sees only encrypted PINGs, gets an encrypted PONG for its own, and is dropped once
/// it stops answering — the control showing the survival is not for want of PINGs.
/// </summary>
public sealed class CurveHeartbeatTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>1 s, not less: a PONG delayed by a busy 2-core machine must not drop a healthy link.</summary>
    private static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Three timeouts: a link whose PONGs were not understood is surely dropped within it.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    private static PairSocketOptions Heartbeats(SocketSecurity security) => Options(security) with
    {
        HeartbeatInterval = Interval,
        HeartbeatTimeout = HeartbeatTimeout,
    };

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task ExpairToExpair_IdleLink_SurvivesSeveralTimeouts(string transport)
    {
        using var server = new PairSocket(Heartbeats(CurveServer));
        var serverEvents = new MonitorReading(server.Monitor());
        using var client = new PairSocket(Heartbeats(CurveClient()));
        var clientEvents = new MonitorReading(client.Monitor());
        client.Connect(server.Bind(Endpoint(transport)));
        RoundTrip(client, server, "before");
        await serverEvents.UntilAsync(HandshakeSucceeded);
        await clientEvents.UntilAsync(HandshakeSucceeded);

        // Nothing but heartbeats for three timeouts. The wait is the subject of the test, not synchronisation.
        await Task.Delay(Window);

        RoundTrip(client, server, "after");
        Assert.DoesNotContain(Drain(serverEvents), e => e.Kind is ProtocolError or Disconnected or HandshakeSucceeded);
        Assert.DoesNotContain(Drain(clientEvents), e => e.Kind is ProtocolError or Disconnected or HandshakeSucceeded or ConnectRetried);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task RawPeer_GetsEncryptedPings_AndPongs_ThenGoesSilent_AndIsDropped(string transport)
    {
        using var server = new PairSocket(Heartbeats(CurveServer));
        var events = new MonitorReading(server.Monitor());
        var endpoint = server.Bind(Endpoint(transport));
        using var wire = await WirePeer.ConnectAsync(endpoint);
        var peer = new HostileClient(wire, new CurveClientScript(ServerKeys.PublicKey, ClientKeys));
        await peer.CurveHandshakeAsync();
        using var traffic = peer.Curve.Traffic();

        // Five of the socket's PINGs, each answered; then our own PING, answered with its context.
        for (var pings = 0; pings < 5; pings++)
        {
            var ping = await ReadCommandAsync(wire, traffic);
            Assert.True(MechanismCommands.HasName(ping, "PING"), $"expected PING, got {MechanismCommands.NameOf(ping)}");
            await wire.SendFrameAsync(Wrap(traffic, [4, .. "PONG"u8], FrameFlags.Command));
        }
        await wire.SendFrameAsync(Wrap(traffic, [4, .. "PING"u8, 0, 0, .. "ctx"u8], FrameFlags.Command));
        byte[] pong;
        while (!MechanismCommands.HasName(pong = await ReadCommandAsync(wire, traffic), "PONG"))
            await wire.SendFrameAsync(Wrap(traffic, [4, .. "PONG"u8], FrameFlags.Command));
        Assert.Equal((byte[])[4, .. "PONG"u8, .. "ctx"u8], pong);
        Assert.DoesNotContain(Drain(events), e => e.Kind is ProtocolError or Disconnected);

        // Silence: the socket gives up after its heartbeat timeout.
        await wire.AssertClosedByPeerAsync();
        var gone = (await events.UntilAsync(Disconnected))[^1];
        Assert.StartsWith("heartbeat timeout: nothing received for ", gone.Reason, StringComparison.Ordinal);
        Assert.False(server.TryReceive(out _, TimeSpan.Zero));
    }

    /// <summary>
    /// Reads one frame from the socket: it must be a data frame (libzmq's way of sending a MESSAGE) whose
    /// encrypted flags say COMMAND; returns the command inside.
    /// </summary>
    private static async Task<byte[]> ReadCommandAsync(WirePeer wire, CurveTraffic traffic)
    {
        var (command, more, body) = await wire.ReadFrameAsync();
        Assert.False(command || more, "a CURVE MESSAGE goes in a plain data frame");
        var payload = new byte[CurveTraffic.UnwrappedLength(body.Length)];
        var length = traffic.Unwrap(body, payload, out var flags);
        Assert.Equal(FrameFlags.Command, flags);
        return payload[..length];
    }

    /// <summary>The events waiting now, without waiting for more.</summary>
    private static List<SocketEvent> Drain(MonitorReading events)
    {
        var waiting = new List<SocketEvent>();
        while (events.Monitor.TryRead(out var next))
            waiting.Add(next);
        events.Seen.AddRange(waiting);
        return waiting;
    }
}
