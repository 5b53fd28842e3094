using System.Diagnostics;
using Expair.Interop.Tests.Native;
using Expair.Tests.Hostile;

namespace Expair.Interop.Tests;

/// <summary>Tests that starve the process's thread pool: nothing else in this assembly runs meanwhile.</summary>
[CollectionDefinition(nameof(StarvedPoolRuns), DisableParallelization = true)]
public sealed class StarvedPoolRuns;

/// <summary>
/// Heartbeats need no thread-pool thread: with every pool worker blocked (<see cref="StarvedPool"/>), an idle link
/// between Expair and libzmq, both sending PINGs every 100 ms with a 1 s TTL and timeout, stays up for three
/// timeouts, and each side's PINGs keep going out and are answered. A relay on its own threads records the wire.
/// </summary>
[Collection(nameof(StarvedPoolRuns))]
public sealed class PoolStarvedHeartbeatLibZmqTests : LibZmqFixture
{
    private const int IntervalMs = 100;
    private const int TimeoutMs = 1000;

    /// <summary>Three timeouts: a side whose PINGs stopped is dropped by the other's TTL within it.</summary>
    private const int WindowMs = 3000;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void HeartbeatingLink_StaysUp_AndPingsAreAnswered_WhileThePoolIsStarved(string transport)
    {
        var expair = Track(new PairSocket(new PairSocketOptions
        {
            ReceiveTimeout = Wait,
            SendTimeout = Wait,
            Linger = TimeSpan.Zero,
            HeartbeatInterval = TimeSpan.FromMilliseconds(IntervalMs),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(TimeoutMs),
            HeartbeatTtl = TimeSpan.FromMilliseconds(TimeoutMs), // libzmq drops Expair if its PINGs stop
        }));
        var expairEvents = Track(expair.Monitor());
        var bound = expair.Bind(transport == "tcp" ? "tcp://127.0.0.1:*" : Resources.IpcEndpoint());
        var relay = Track(new ThreadedRelay(bound, Resources.IpcEndpoint()));
        var zmq = Track(new ZmqSocket(LibZmq.PAIR, Context));
        zmq.SetOption(LibZmq.ZMQ_HEARTBEAT_IVL, IntervalMs);
        zmq.SetOption(LibZmq.ZMQ_HEARTBEAT_TTL, TimeoutMs);
        zmq.SetOption(LibZmq.ZMQ_HEARTBEAT_TIMEOUT, TimeoutMs);
        var zmqEvents = Track(new ZmqMonitor(zmq));
        zmq.Connect(relay.Endpoint);
        zmqEvents.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
        RoundTrip(expair, zmq, "before");

        using (new StarvedPool())
        {
            var (expairPings, zmqPongs, zmqPings, expairPongs) = Heartbeats(relay);
            // Nothing but heartbeats for three timeouts: the window is the subject of the test, watched through
            // libzmq's monitor, which reports a drop at once.
            var seen = new List<int>();
            var clock = Stopwatch.StartNew();
            for (long left; (left = WindowMs - clock.ElapsedMilliseconds) > 0;)
            {
                if (zmqEvents.TryReceive(out var zmqEvent, (int)left))
                    seen.Add(zmqEvent.Event);
            }
            Assert.DoesNotContain(LibZmq.ZMQ_EVENT_DISCONNECTED, seen);

            var after = Heartbeats(relay);
            var sent = after.ExpairPings - expairPings;
            var asked = after.ZmqPings - zmqPings;
            // Half the PINGs the interval asks for, at least: a loaded 2-core machine may delay some, never all.
            Assert.True(sent >= WindowMs / IntervalMs / 2, $"Expair sent {sent} PINGs in {WindowMs} ms with the pool starved.");
            Assert.InRange(after.ZmqPongs - zmqPongs, sent - 1, sent + 1); // one may be in flight at either end
            Assert.True(asked >= WindowMs / IntervalMs / 2, $"libzmq sent {asked} PINGs in {WindowMs} ms.");
            Assert.InRange(after.ExpairPongs - expairPongs, asked - 1, asked + 1);
            RoundTrip(expair, zmq, "starved");
        }

        RoundTrip(expair, zmq, "after");
        var expairSeen = new List<SocketEvent>();
        while (expairEvents.TryRead(out var next))
            expairSeen.Add(next);
        Assert.DoesNotContain(expairSeen, e => e.Kind is SocketEventKind.Disconnected or SocketEventKind.ProtocolError);
    }

    /// <summary>PINGs and PONGs on the wire so far, each way (libzmq is the relay's client, Expair its target).</summary>
    private static (int ExpairPings, int ZmqPongs, int ZmqPings, int ExpairPongs) Heartbeats(ThreadedRelay relay)
    {
        var fromZmq = Zmtp.Frames(relay.SentByClient);
        var fromExpair = Zmtp.Frames(relay.SentByTarget);
        return (Count(fromExpair, "PING"), Count(fromZmq, "PONG"), Count(fromZmq, "PING"), Count(fromExpair, "PONG"));
    }

    private static int Count(List<Zmtp.Frame> frames, string command) => frames.Count(f => f.IsCommand && f.CommandName == command);
}
