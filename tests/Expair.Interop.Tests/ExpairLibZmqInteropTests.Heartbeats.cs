using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Expair.Interop.Tests.Native;

namespace Expair.Interop.Tests;

/// <summary>ZMTP 3.1 heartbeats: libzmq PINGs, Expair answers with PONGs.</summary>
public sealed partial class ExpairLibZmqInteropTests
{
    private const int HeartbeatIntervalMs = 200;

    // 1 s, not less: the test host runs the soak and flood tests beside this one, and a PONG delayed past
    // libzmq's timeout by a busy 2-core machine would fail the test without any fault in Expair.
    private const int HeartbeatTimeoutMs = 1000;

    /// <summary>Three heartbeat timeouts: long enough that a peer not answering PINGs is surely dropped.</summary>
    private const int HeartbeatWindowMs = 3000;

    [Theory]
    [MemberData(nameof(TransportsAndBinders))]
    public async Task LibZmqHeartbeats_ExpairAnswers_ConnectionOutlivesTheTimeout(string transport, Binder binder)
    {
        var log = new RecordingLoggerFactory();
        var link = Connect(transport, binder, configure: EnableHeartbeats, options: TestOptions with { LoggerFactory = log }, monitor: true);
        link.Monitor!.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
        link.LibZmq.Send("before"u8);
        Assert.Equal("before", link.Expair.ReceiveString());
        link.Expair.Send("before");
        Assert.Equal(["before"], Strings(link.LibZmq.Receive()));

        // No traffic for three heartbeat timeouts: only PONGs keep libzmq from dropping the connection. This
        // delay is the point of the test (the window to survive), not synchronisation. Awaited, so the test
        // does not hold a pool thread that Expair's connection may need meanwhile.
        await Task.Delay(HeartbeatWindowMs);

        // A dropped and remade connection would also show as a new handshake.
        var during = DrainEvents(link.Monitor);
        Assert.True(
            !during.Any(e => e.Event is LibZmq.ZMQ_EVENT_DISCONNECTED or LibZmq.ZMQ_EVENT_HANDSHAKE_SUCCEEDED),
            $"libzmq dropped the connection during the heartbeat window: events {Describe(during)}; Expair logged:{Environment.NewLine}{string.Join(Environment.NewLine, log.Entries)}");

        link.LibZmq.Send("after"u8);
        Assert.Equal("after", link.Expair.ReceiveString());
        link.Expair.Send("after");
        Assert.Equal(["after"], Strings(link.LibZmq.Receive()));

        var after = DrainEvents(link.Monitor);
        Assert.True(
            !after.Any(e => e.Event is LibZmq.ZMQ_EVENT_DISCONNECTED or LibZmq.ZMQ_EVENT_HANDSHAKE_SUCCEEDED),
            $"libzmq reconnected: events during the window {Describe(during)}, after it {Describe(after)}; Expair logged:{Environment.NewLine}{string.Join(Environment.NewLine, log.Entries)}");
    }

    /// <summary>
    /// The same exchange seen on the wire, through a recording relay: each of libzmq's PINGs is answered by a
    /// PONG with the (empty) context echoed, and Expair sends nothing else meanwhile.
    /// </summary>
    [Theory]
    [MemberData(nameof(Transports))]
    public void LibZmqHeartbeats_OnTheWire_EveryPingIsAnsweredWithAPong(string transport)
    {
        const int Pings = 5;
        var expair = Track(new PairSocket(TestOptions));
        var proxy = Track(NewProxy(transport, expair.Bind(BindEndpoint(transport))));
        var zmq = Track(new ZmqSocket(LibZmq.PAIR));
        EnableHeartbeats(zmq);
        zmq.Connect(proxy.Endpoint);
        var connection = proxy.WaitForConnection(0, Wait);

        connection.WaitUntil(
            (fromZmq, fromExpair) => Count(Zmtp.Frames(fromZmq), "PING") >= Pings && Count(Zmtp.Frames(fromExpair), "PONG") >= Pings,
            Wait,
            $"{Pings} PINGs from libzmq and {Pings} PONGs from Expair");

        var zmqCommands = Zmtp.Frames(connection.SentByClient);
        var expairFrames = Zmtp.Frames(connection.SentByTarget);
        int pings = Count(zmqCommands, "PING");
        int pongs = Count(expairFrames, "PONG");
        // A PING may be in flight as the bytes are read, so its PONG may not be recorded yet.
        Assert.InRange(pongs, pings - 1, pings);
        Assert.Equal("READY", expairFrames[0].CommandName);
        Assert.All(expairFrames.Skip(1), frame =>
        {
            Assert.True(frame.IsCommand && frame.CommandName == "PONG", $"Expair sent {frame} between heartbeats.");
            Assert.Equal("\u0004PONG"u8.ToArray(), frame.Body); // libzmq's PINGs carry no context, so nothing to echo
        });

        zmq.Send("still here"u8);
        Assert.Equal("still here", expair.ReceiveString());
        Assert.False(connection.Completion.IsCompleted, "The connection ended during the heartbeats.");
    }

    private static int Count(List<Zmtp.Frame> frames, string command) => frames.Count(frame => frame.IsCommand && frame.CommandName == command);

    /// <summary>
    /// The control for the test above: the same libzmq settings against a ZMTP peer that completes the
    /// handshake but never answers PINGs are dropped within the window. Without this, surviving the window
    /// could mean libzmq never sent PINGs at all.
    /// </summary>
    [Fact]
    public async Task LibZmqHeartbeats_SilentPeer_IsDroppedWithinTheWindow()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var zmq = Track(new ZmqSocket(LibZmq.PAIR));
        EnableHeartbeats(zmq);
        var monitor = Track(new ZmqMonitor(zmq));
        zmq.Connect($"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");

        using var peer = await listener.AcceptSocketAsync().WaitAsync(Wait);
        peer.ReceiveTimeout = WaitMs;
        peer.Send(SilentPeerHandshake());
        monitor.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // The peer reads (PINGs) and never writes; libzmq must give up after its heartbeat timeout.
        var reading = Task.Run(() =>
        {
            byte[] buffer = new byte[4096];
            try
            {
                while (peer.Receive(buffer) > 0)
                {
                }
            }
            catch (SocketException)
            {
            }
        });
        monitor.WaitFor(LibZmq.ZMQ_EVENT_DISCONNECTED);
        Assert.True(clock.ElapsedMilliseconds < HeartbeatWindowMs, $"libzmq dropped the silent peer only after {clock.ElapsedMilliseconds} ms.");
        peer.Shutdown(SocketShutdown.Both);
        await reading.WaitAsync(Wait);
    }

    private static void EnableHeartbeats(ZmqSocket zmq)
    {
        zmq.SetOption(LibZmq.ZMQ_HEARTBEAT_IVL, HeartbeatIntervalMs);
        zmq.SetOption(LibZmq.ZMQ_HEARTBEAT_TIMEOUT, HeartbeatTimeoutMs);
    }

    /// <summary>A ZMTP 3.1 NULL server greeting followed by READY (Socket-Type PAIR), as raw bytes.</summary>
    private static byte[] SilentPeerHandshake()
    {
        byte[] greeting = new byte[64];
        greeting[0] = 0xFF;
        greeting[9] = 0x7F;
        greeting[10] = 3;
        greeting[11] = 1;
        Encoding.ASCII.GetBytes("NULL").CopyTo(greeting, 12);
        greeting[32] = 1; // as-server

        byte[] name = Encoding.ASCII.GetBytes("Socket-Type");
        byte[] value = Encoding.ASCII.GetBytes("PAIR");
        var body = new List<byte> { 5 };
        body.AddRange(Encoding.ASCII.GetBytes("READY"));
        body.Add((byte)name.Length);
        body.AddRange(name);
        byte[] valueLength = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(valueLength, value.Length);
        body.AddRange(valueLength);
        body.AddRange(value);

        return [.. greeting, 0x04, (byte)body.Count, .. body];
    }
}
