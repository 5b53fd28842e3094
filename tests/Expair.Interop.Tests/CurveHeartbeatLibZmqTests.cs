using System.Net;
using System.Net.Sockets;
using System.Text;
using Expair.Interop.Tests.Native;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;
using static Expair.Interop.Tests.CurveTestKeys;

namespace Expair.Interop.Tests;

/// <summary>
/// Heartbeats under CURVE between Expair and libzmq 4.3.4 (ZMQ_HEARTBEAT_IVL and ZMQ_HEARTBEAT_TIMEOUT on
/// libzmq's side, the same on Expair's): PING and PONG travel inside MESSAGEs, so each side must open the other's
/// and answer. An idle link survives three timeouts both ways; the control shows libzmq does send encrypted PINGs
/// and drops a CURVE peer that never answers them within the same window.
/// </summary>
public sealed class CurveHeartbeatLibZmqTests : LibZmqFixture
{
    private const int IntervalMs = 200;

    /// <summary>1 s, not less: a PONG delayed by a busy 2-core machine must not drop a healthy link.</summary>
    private const int TimeoutMs = 1000;

    /// <summary>Three timeouts: a side whose PONGs were not understood is surely dropped within it.</summary>
    private const int WindowMs = 3000;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("tcp", true)]
    [InlineData("tcp", false)]
    [InlineData("ipc", true)]
    [InlineData("ipc", false)]
    public async Task IdleCurveLink_WithHeartbeatsOnBothSides_SurvivesThreeTimeouts(string transport, bool expairIsServer)
    {
        var options = new PairSocketOptions
        {
            Security = expairIsServer
                ? SocketSecurity.CurveServer(ServerKeys, new CurveAllowList([ClientPublic]))
                : SocketSecurity.CurveClient(ServerPublic, ClientKeys),
            ReceiveTimeout = Wait,
            SendTimeout = Wait,
            HeartbeatInterval = TimeSpan.FromMilliseconds(IntervalMs),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(TimeoutMs),
        };
        var expair = Track(new PairSocket(options));
        var expairEvents = Track(expair.Monitor());
        var zmq = Track(expairIsServer
            ? LibZmqSecuritySockets.CurveClient(Context, ServerPublic, ClientPublic, ClientSecret)
            : LibZmqSecuritySockets.CurveServer(Context, ServerSecret));
        zmq.SetOption(LibZmq.ZMQ_HEARTBEAT_IVL, IntervalMs);
        zmq.SetOption(LibZmq.ZMQ_HEARTBEAT_TIMEOUT, TimeoutMs);
        var zmqEvents = Track(new ZmqMonitor(zmq));
        var endpoint = transport == "tcp" ? "tcp://127.0.0.1:*" : Resources.IpcEndpoint();
        // Expair binds as the server, libzmq binds as the server: each side's usual place.
        if (expairIsServer)
            zmq.Connect(expair.Bind(endpoint));
        else
            expair.Connect(zmq.Bind(endpoint));
        zmqEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
        RoundTrip(expair, zmq, "before");

        // Nothing but heartbeats for three timeouts. The wait is the subject of the test, not synchronisation;
        // awaited, so no pool thread is held that a connection may need meanwhile.
        await Task.Delay(WindowMs);

        var zmqDuring = Drain(zmqEvents);
        Assert.DoesNotContain(zmqDuring, e => e.Event is LibZmq.ZMQ_EVENT_DISCONNECTED or LibZmq.ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
        RoundTrip(expair, zmq, "after");
        var expairSeen = new List<SocketEvent>();
        while (expairEvents.TryRead(out var next))
            expairSeen.Add(next);
        Assert.Single(expairSeen, e => e.Kind == SocketEventKind.HandshakeSucceeded);
        Assert.DoesNotContain(expairSeen, e => e.Kind is SocketEventKind.ProtocolError or SocketEventKind.Disconnected);
    }

    /// <summary>
    /// The control: libzmq as a CURVE client with heartbeats, against a raw CURVE server that completes the
    /// handshake and never answers. Every frame libzmq sends is a MESSAGE whose encrypted flags say COMMAND and
    /// which holds a PING; libzmq drops the connection within the window.
    /// </summary>
    [Fact]
    public async Task LibZmqCurveHeartbeats_AreEncryptedPings_AndASilentPeerIsDropped()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var zmq = Track(LibZmqSecuritySockets.CurveClient(Context, ServerPublic, ClientPublic, ClientSecret));
        zmq.SetOption(LibZmq.ZMQ_HEARTBEAT_IVL, IntervalMs);
        zmq.SetOption(LibZmq.ZMQ_HEARTBEAT_TIMEOUT, TimeoutMs);
        var zmqEvents = Track(new ZmqMonitor(zmq));
        zmq.Connect($"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");

        using var silent = new RawMechanismPeer(await listener.AcceptSocketAsync().WaitAsync(Wait),
            CurveMechanism.Server(ServerKeys.PublicKey, ServerKeys.SecretKey, authenticate: false, [new("Socket-Type", "PAIR")]));
        silent.Handshake();
        zmqEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var pings = await Task.Run(() =>
        {
            var count = 0;
            try
            {
                while (true)
                {
                    var (payload, flags) = silent.ReceiveFrame();
                    Assert.Equal(FrameFlags.Command, flags);
                    Assert.True(MechanismCommands.HasName(payload, "PING"), $"libzmq sent {Encoding.ASCII.GetString(payload)}");
                    count++;
                }
            }
            catch (Exception e) when (e is Expair.Protocol.ProtocolViolationException or IOException)
            {
                return count; // libzmq closed the connection
            }
        }).WaitAsync(Wait);
        zmqEvents.WaitFor(LibZmq.ZMQ_EVENT_DISCONNECTED);
        Assert.True(pings >= 1, "libzmq sent no PING");
        Assert.True(clock.ElapsedMilliseconds < WindowMs, $"libzmq dropped the silent CURVE peer only after {clock.ElapsedMilliseconds} ms.");
    }

    private static List<ZmqMonitorEvent> Drain(ZmqMonitor monitor)
    {
        var events = new List<ZmqMonitorEvent>();
        while (monitor.TryReceive(out var monitorEvent, timeoutMs: 0))
            events.Add(monitorEvent);
        return events;
    }
}
