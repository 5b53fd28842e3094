using Expair.Interop.Tests.Native;

namespace Expair.Interop.Tests;

/// <summary>
/// ZMTP 3.1 heartbeats the other way round: Expair PINGs libzmq, which answers; and Expair honours the TTL that
/// libzmq puts in its PINGs. A recording relay sits between the two to show the bytes, and to silence one side.
/// </summary>
public sealed partial class ExpairLibZmqInteropTests
{
    /// <summary>Expair's TTL, 1 s: 10 tenths of a second (0x000A) in each of its PINGs.</summary>
    private static readonly byte[] ExpairPing = [4, .. "PING"u8, 0x00, 0x0A];

    /// <summary>libzmq's TTL, 500 ms: it sends 5 tenths of a second (0x0005), and no context.</summary>
    private const int LibZmqTtlMs = 500;

    private static readonly byte[] LibZmqPing = [4, .. "PING"u8, 0x00, 0x05];

    /// <summary>
    /// Expair's heartbeats for these tests: a PING every 200 ms; a timeout of five intervals, so a thread-pool
    /// stall of the test host cannot drop a healthy link.
    /// </summary>
    private static readonly PairSocketOptions ExpairHeartbeats = TestOptions with
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(HeartbeatIntervalMs),
        HeartbeatTimeout = TimeSpan.FromSeconds(1),
        HeartbeatTtl = TimeSpan.FromSeconds(1),
    };

    [Theory]
    [MemberData(nameof(TransportsAndBinders))]
    public void ExpairHeartbeats_LibZmqAnswersEveryPing_LinkSurvives(string transport, Binder binder)
    {
        const int Pings = 10;
        var log = new RecordingLoggerFactory();
        var link = ProxiedLink(transport, binder, ExpairHeartbeats with { LoggerFactory = log });
        var connection = link.Proxy.WaitForConnection(0, Wait);

        connection.WaitUntil(
            (fromClient, fromTarget) =>
                Count(Zmtp.Frames(link.FromExpair(fromClient, fromTarget)), "PING") >= Pings
                && Count(Zmtp.Frames(link.FromLibZmq(fromClient, fromTarget)), "PONG") >= Pings,
            Wait,
            $"{Pings} PINGs from Expair and {Pings} PONGs from libzmq");

        var expairFrames = Zmtp.Frames(link.FromExpair(connection.SentByClient, connection.SentByTarget));
        var zmqFrames = Zmtp.Frames(link.FromLibZmq(connection.SentByClient, connection.SentByTarget));
        Assert.Equal("READY", expairFrames[0].CommandName);
        Assert.All(expairFrames.Skip(1), frame => Assert.Equal(ExpairPing, frame.Body));
        Assert.Equal("READY", zmqFrames[0].CommandName);
        Assert.All(zmqFrames.Skip(1), frame => Assert.Equal("\u0004PONG"u8.ToArray(), frame.Body)); // our empty context, echoed
        Assert.InRange(zmqFrames.Count - 1, expairFrames.Count - 2, expairFrames.Count - 1); // a PONG may be in flight

        link.LibZmq.Send("still here"u8);
        Assert.Equal("still here", link.Expair.ReceiveString());
        link.Expair.Send("and here");
        Assert.Equal(["and here"], Strings(link.LibZmq.Receive()));
        Assert.False(connection.Completion.IsCompleted, "The connection ended during the heartbeats.");
        Assert.DoesNotContain(log.Entries, e => e.EventId is 104 or 310 or 311);
    }

    [Theory]
    [MemberData(nameof(TransportsAndBinders))]
    public void LibZmqTtl_WhenLibZmqFallsSilent_ExpairDropsTheLinkAfterIt_AndTheLinkIsRemade(string transport, Binder binder)
    {
        var log = new RecordingLoggerFactory();
        var link = ProxiedLink(transport, binder, TestOptions with { LoggerFactory = log }, zmq =>
        {
            zmq.SetOption(LibZmq.ZMQ_HEARTBEAT_IVL, HeartbeatIntervalMs);
            zmq.SetOption(LibZmq.ZMQ_HEARTBEAT_TTL, LibZmqTtlMs);
            zmq.SetOption(LibZmq.ZMQ_HEARTBEAT_TIMEOUT, 60_000); // libzmq itself must not give up first
        });
        var connection = link.Proxy.WaitForConnection(0, Wait);
        link.Monitor.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
        connection.WaitUntil(
            (fromClient, fromTarget) => Count(Zmtp.Frames(link.FromLibZmq(fromClient, fromTarget)), "PING") >= 3,
            Wait,
            "three PINGs from libzmq");
        Assert.All(
            Zmtp.Frames(link.FromLibZmq(connection.SentByClient, connection.SentByTarget)).Where(f => f.CommandName == "PING"),
            frame => Assert.Equal(LibZmqPing, frame.Body));

        // libzmq's bytes stop reaching Expair; the connection stays up. Expair has no heartbeats of its own:
        // only the TTL in libzmq's last PING can make it drop the link.
        long silencedAt = log.ElapsedMs;
        connection.BlackHole(fromTarget: link.LibZmqIsTarget);
        var dropped = log.WaitFor(311);
        long detectedMs = dropped.Ms - silencedAt;
        Console.WriteLine($"libzmq TTL {LibZmqTtlMs} ms ({transport}, {binder} binds): Expair dropped the silent link {detectedMs} ms after it fell silent; it logged: {dropped.Text}");

        // The TTL runs from libzmq's last PING, which came shortly before the silence: at most a TTL and some
        // slack after it. Expair reports how long it had heard nothing since that PING: not less than the TTL.
        Assert.InRange(detectedMs, 0, LibZmqTtlMs + 1500);
        var silentMs = int.Parse(System.Text.RegularExpressions.Regex.Match(dropped.Text, @"nothing received for (\d+) ms").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(silentMs, LibZmqTtlMs, LibZmqTtlMs + 1500);
        Assert.Contains($"TTL of {LibZmqTtlMs} ms", dropped.Text, StringComparison.Ordinal);

        // The connecting side makes a new connection through the relay, and the handshake completes on it.
        link.Proxy.WaitForConnection(1, Wait);
        link.Monitor.WaitFor(LibZmq.ZMQ_EVENT_DISCONNECTED);
        link.Monitor.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
        if (binder == Binder.LibZmq)
        {
            // Expair reconnected. Messages are not checked here: a bound libzmq PAIR lets go of the old
            // connection's pipe only once the application reads past its end, so the new one may have been
            // turned away (libzmq's behaviour, covered in the SecondPeer tests).
            log.WaitFor(RecordingLoggerFactory.PeerConnectedEvent, occurrence: 2);
            return;
        }

        link.Expair.Send("after");
        Assert.Equal(["after"], Strings(link.LibZmq.Receive()));
        link.LibZmq.Send("back"u8);
        Assert.Equal("back", link.Expair.ReceiveString());
    }

    /// <summary>An Expair socket and a libzmq PAIR linked through a <see cref="RecordingProxy"/> in front of the binder.</summary>
    private sealed record ProxiedPair(PairSocket Expair, ZmqSocket LibZmq, ZmqMonitor Monitor, RecordingProxy Proxy, bool LibZmqIsTarget)
    {
        public byte[] FromExpair(byte[] fromClient, byte[] fromTarget) => LibZmqIsTarget ? fromClient : fromTarget;

        public byte[] FromLibZmq(byte[] fromClient, byte[] fromTarget) => LibZmqIsTarget ? fromTarget : fromClient;
    }

    private ProxiedPair ProxiedLink(string transport, Binder binder, PairSocketOptions options, Action<ZmqSocket>? configure = null)
    {
        var expair = Track(new PairSocket(options));
        var zmq = Track(new ZmqSocket(LibZmq.PAIR));
        configure?.Invoke(zmq);
        var monitor = Track(new ZmqMonitor(zmq));
        RecordingProxy proxy;
        if (binder == Binder.LibZmq)
        {
            proxy = Track(NewProxy(transport, zmq.Bind(BindEndpoint(transport))));
            expair.Connect(proxy.Endpoint);
        }
        else
        {
            proxy = Track(NewProxy(transport, expair.Bind(BindEndpoint(transport))));
            zmq.Connect(proxy.Endpoint);
        }

        return new ProxiedPair(expair, zmq, monitor, proxy, LibZmqIsTarget: binder == Binder.LibZmq);
    }
}
