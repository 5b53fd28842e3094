using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Expair.Tests.Faults;

/// <summary>
/// The connecting side across lost connections (issue 4, item 1): it retries with back-off, delivers what was
/// queued meanwhile, never half-delivers or duplicates, and stays quiet while nothing listens.
/// </summary>
public class ReconnectTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static PairSocketOptions Options(LogRecorder? logs = null) => new()
    {
        SendTimeout = Patience,
        ReceiveTimeout = Patience,
        ReconnectInterval = TimeSpan.FromMilliseconds(10),
        Linger = TimeSpan.Zero,
        LoggerFactory = logs,
    };

    public static TheoryData<string> Transports => ["tcp", "ipc"];

    public static TheoryData<string> Mechanisms => ["NULL", "CURVE"];

    private static readonly CurveKeyPair ServerKeys = CurveKeyPair.Generate();
    private static readonly CurveKeyPair ClientKeys = CurveKeyPair.Generate();

    /// <summary>
    /// Server and client options for <paramref name="mechanism"/>. With CURVE a message sent again after a cut is
    /// sealed anew under the next connection's keys, from the same frames (their bodies must come through unchanged).
    /// </summary>
    private static (PairSocketOptions Server, PairSocketOptions Client) Secured(string mechanism, PairSocketOptions options) => mechanism == "CURVE"
        ? (options with { Security = SocketSecurity.CurveServer(ServerKeys, new CurveAllowList([ClientKeys.PublicKeyZ85])) },
            options with { Security = SocketSecurity.CurveClient(ServerKeys.PublicKeyZ85, ClientKeys) })
        : (options, options);

    /// <summary>
    /// The proxy's receive buffer in the tests that cut a stream (the kernel doubles it): with one the kernel grows at
    /// will, the proxy could take in everything a client sent before the cut, and nothing would be left to send again.
    /// </summary>
    private const int ProxyReceiveBuffer = 64 * 1024;

    /// <summary>The most a tcp send buffer grows to: tcp_wmem's maximum on Linux; elsewhere a generous guess.</summary>
    private static int TcpSendBufferLimit()
    {
        const string Limits = "/proc/sys/net/ipv4/tcp_wmem"; // "min default max"
        return OperatingSystem.IsLinux() && File.Exists(Limits)
            ? int.Parse(File.ReadAllText(Limits).Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture)
            : 16 << 20;
    }

    private static string NewEndpoint(string transport) => transport == "tcp"
        ? "tcp://127.0.0.1:*"
        : $"ipc://{Path.GetTempPath()}expair-reconnect-{Guid.NewGuid():N}.sock";

    [Theory]
    [MemberData(nameof(Transports))]
    public void PeerRestartedOnTheSameEndpoint_20Times_MessagesQueuedWhileDownArriveInOrder(string transport)
    {
        var server = new PairSocket(Options());
        var endpoint = server.Bind(NewEndpoint(transport));
        using var client = new PairSocket(Options());
        client.Connect(endpoint);
        long next = 0;
        try
        {
            for (var round = 0; round < 20; round++)
            {
                // A live link: exact round trips.
                client.Send(Sequenced.Frame(next, 100));
                Assert.Equal(next++, Sequenced.Check(server.Receive()));
                server.Send("ack");
                Assert.Equal("ack", client.ReceiveString());

                server.Dispose();
                Eventually.True(() => !client.IsConnected, Patience, "the client saw the peer go");
                var queuedFrom = next;
                for (var i = 0; i < 50; i++)
                    client.Send(Sequenced.Frame(next++, i * 37));

                server = new PairSocket(Options());
                server.Bind(endpoint);
                for (var expected = queuedFrom; expected < next; expected++)
                    Assert.Equal(expected, Sequenced.Check(server.Receive()));
            }
        }
        finally
        {
            server.Dispose();
        }
    }

    [Fact]
    public async Task ConnectionKilledByTheNetwork_20Times_NoDuplicatesNoReordering()
    {
        using var server = new PairSocket(Options());
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        await using var proxy = new FaultProxy(endpoint);
        using var client = new PairSocket(Options());
        client.Connect(proxy.Endpoint);
        long sent = 0;
        long expected = 0;
        var gaps = 0;
        for (var round = 0; round < 20; round++)
        {
            for (var i = 0; i < 200; i++)
                client.Send(Sequenced.Frame(sent++, i % 50));
            // Read at least the first message of this round, so the kill lands while traffic flows.
            var first = Sequenced.Check(server.Receive());
            Assert.True(first >= expected, $"message {first} after {expected - 1}: duplicate or reordered");
            gaps += first > expected ? 1 : 0;
            expected = first + 1;
            proxy.KillAll(reset: round % 2 == 0);
            Eventually.True(() => proxy.ConnectionCount > round + 1 && client.IsConnected, Patience, "the client reconnected");
            // A marker after the reconnect: everything before it arrived or is a gap at the cut.
            client.Send(Sequenced.Frame(sent++, 1));
            var marker = sent - 1;
            while (true)
            {
                var got = Sequenced.Check(server.Receive());
                Assert.True(got >= expected, $"message {got} after {expected - 1}: duplicate or reordered");
                gaps += got > expected ? 1 : 0;
                expected = got + 1;
                if (got == marker)
                    break;
            }
        }
        Assert.Equal(sent, expected);
        Assert.True(gaps <= 20, $"{gaps} gaps in 20 cuts: gaps only at a cut");
    }

    [Theory]
    [MemberData(nameof(Mechanisms))]
    public async Task MultipartCutMidway_IsNeverHalfDelivered_AndIsSentAgainWhole(string mechanism)
    {
        var (serverOptions, clientOptions) = Secured(mechanism, Options());
        using var server = new PairSocket(serverOptions with { ReceiveHighWaterMark = 0 });
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        // The first connection dies 1 MB into the traffic, in the middle of a 20 MB multipart message whose
        // frames (10 kB each) span many writes, far more than the socket buffers hold (see ProxyReceiveBuffer).
        await using var proxy = new FaultProxy(endpoint, n => n == 0 ? FaultPlan.Upstream(Fault.CutAt(1 << 20)) : FaultPlan.None, ProxyReceiveBuffer);
        using var client = new PairSocket(clientOptions);
        client.Connect(proxy.Endpoint);

        client.Send(Sequenced.Frame(0, 10));
        Assert.Equal(0, Sequenced.Check(server.Receive()));
        using (var big = Sequenced.Multipart(1, frames: 2000, frameSize: 10_000))
            client.Send(big);
        client.Send(Sequenced.Frame(2, 10));

        await (await proxy.AcceptedAsync(0)).FaultReached(Direction.ClientToServer).WaitAsync(Patience);
        using (var whole = server.Receive())
        {
            Assert.Equal(2000, whole.Count); // never the tail of the message as a message of its own
            Assert.Equal(1, Sequenced.Check(whole, expectedFrames: 2000));
        }
        Assert.Equal(2, Sequenced.Check(server.Receive()));
        Assert.True(proxy.ConnectionCount >= 2, "the big message came through a second connection");
    }

    [Theory]
    [MemberData(nameof(Mechanisms))]
    public async Task WriteFailingMidBatch_MessagesThatGotThrough_AreNotSentAgain(string mechanism)
    {
        var (serverOptions, clientOptions) = Secured(mechanism, Options());
        using var server = new PairSocket(serverOptions);
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        // Messages of 200 kB leave in a few large writes; the link dies 3 MiB in, while a write is still blocked:
        // the messages before the cut reached the peer and must not come again after the reconnect. What the kernels
        // took beyond the cut dies with the connection (the TCP limit, docs/reliability.md), so the client sends more
        // than its send buffer and the proxy's can hold beyond the cut: messages are still queued when the link dies,
        // and they must come through the second connection.
        const int Size = 200_000;
        const int Cut = 3 << 20;
        var count = (Cut + TcpSendBufferLimit() + 2 * ProxyReceiveBuffer) / Size + 20;
        await using var proxy = new FaultProxy(endpoint, n => n == 0 ? FaultPlan.Upstream(Fault.CutAt(Cut)) : FaultPlan.None, ProxyReceiveBuffer);
        using var client = new PairSocket(clientOptions);
        client.Connect(proxy.Endpoint);
        for (var i = 0; i < count; i++)
            client.Send(Sequenced.Frame(i, Size));

        long expected = 0;
        var gaps = 0;
        while (expected < count)
        {
            var got = Sequenced.Check(server.Receive());
            Assert.True(got >= expected, $"message {got} after {expected - 1}: delivered twice");
            gaps += got > expected ? 1 : 0;
            expected = got + 1;
        }
        Assert.True(gaps <= 1, $"{gaps} gaps for one cut");
        Assert.True(proxy.ConnectionCount >= 2, "the rest came through a second connection");
    }

    [Fact]
    public async Task LargeDirectWrite_CutWhileTheSendThreadFinishesIt_NeverHalfNeverTwice()
    {
        using var server = new PairSocket(Options());
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        // Each 6 MB message is sent on an idle connection, so the caller's thread writes what the kernel takes at
        // once (at most its 4 MiB send buffer) and the send thread finishes the rest (a handover); the link dies
        // inside the second message.
        await using var proxy = new FaultProxy(endpoint, n => n == 0 ? FaultPlan.Upstream(Fault.CutAt((10 << 20) + 12345)) : FaultPlan.None);
        using var client = new PairSocket(Options());
        client.Connect(proxy.Endpoint);
        const int Count = 6;
        var sending = Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < Count; i++)
            {
                // Idle first: the send thread asleep on the queue (after a cut, the next connection's).
                Assert.True(SpinWait.SpinUntil(() => Probes.Of(client).Outbound?.Readable.Waiters > 0, Patience), $"no idle send thread before message {i}");
                client.Send(Sequenced.Frame(i, 6_000_000));
            }
        }, TaskCreationOptions.LongRunning);

        long expected = 0;
        var gaps = 0;
        while (expected < Count)
        {
            using var message = server.Receive();
            var got = Sequenced.Check(message); // every byte of it: never a message with a piece missing
            Assert.True(got >= expected, $"message {got} after {expected - 1}: delivered twice");
            gaps += got > expected ? 1 : 0;
            expected = got + 1;
        }
        await sending.WaitAsync(Patience);
        Assert.True(gaps <= 1, $"{gaps} gaps for one cut");
        Assert.True(proxy.ConnectionCount >= 2, "the rest came through a second connection");
    }

    [Fact]
    public void NothingListening_RetriesQuietly_ThenConnectsWhenThePeerBinds()
    {
        var logs = new LogRecorder();
        var endpoint = FreeTcpEndpoint();
        using var client = new PairSocket(Options(logs));
        client.Connect(endpoint);
        client.Send("queued before the peer existed");
        Assert.True(logs.WaitFor(102, 10, Patience), "10 retries logged (event 102)");

        using var server = new PairSocket(Options());
        server.Bind(endpoint);
        Assert.Equal("queued before the peer existed", server.ReceiveString());
        var loud = logs.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Text).ToList();
        Assert.Empty(loud);
        Assert.All(logs.Entries.Where(e => e.Id == 102), e => Assert.Equal(LogLevel.Debug, e.Level));
    }

    [Fact]
    public void RefusedConnects_BackOffDoubling_UpToTheMaximum()
    {
        var logs = new LogRecorder();
        using var client = new PairSocket(Options(logs) with
        {
            ReconnectInterval = TimeSpan.FromMilliseconds(20),
            ReconnectIntervalMax = TimeSpan.FromMilliseconds(160),
        });
        client.Connect(FreeTcpEndpoint());
        Assert.True(logs.WaitFor(102, 7, Patience), "7 retries logged");

        var retries = logs.Entries.Where(e => e.Id == 102).Take(7).ToList();
        // The announced delay is the wait itself: the backed-off interval plus its jitter (up to 10 %).
        long[] intervals = [20, 40, 80, 160, 160, 160, 160];
        var announcedDelays = retries.Select(e => Convert.ToInt64(e.Values["DelayMs"], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        for (var i = 0; i < intervals.Length; i++)
            Assert.InRange(announcedDelays[i], intervals[i], intervals[i] + (intervals[i] / 10) + 1);
        // Each wait lasts at least its announced delay (jitter only adds, up to 10 %).
        for (var i = 1; i < retries.Count; i++)
        {
            var waited = retries[i].AtMs - retries[i - 1].AtMs;
            var announced = Convert.ToInt64(retries[i - 1].Values["DelayMs"], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(waited >= announced - 1, $"retry {i} came after {waited} ms, announced {announced} ms");
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void ReconnectIntervalNever_StopsAfterTheLoss_AndFreesTheEndpoint(string transport)
    {
        var server = new PairSocket(Options() with { Linger = Patience });
        var endpoint = server.Bind(NewEndpoint(transport));
        var logs = new LogRecorder();
        using var client = new PairSocket(Options(logs) with { ReconnectInterval = Timeout.InfiniteTimeSpan });
        client.Connect(endpoint);
        client.Send("hello");
        Assert.Equal("hello", server.ReceiveString());
        server.Send("still readable after the loss");
        Assert.True(SpinWait.SpinUntil(() => client.HasPeer && client.IsConnected, Patience));

        server.Dispose(); // delivers what it queued, then closes the connection; the client must not come back
        Eventually.True(() => client.Endpoint is null, Patience, "the client freed its endpoint");
        Assert.False(client.HasPeer);
        Assert.Equal("still readable after the loss", client.ReceiveString());
        Assert.DoesNotContain(logs.Entries, e => e.Id == 102);

        // The endpoint is free: the socket may connect again, and then it works.
        using var again = new PairSocket(Options());
        again.Bind(endpoint);
        client.Connect(endpoint);
        client.Send("again");
        Assert.Equal("again", again.ReceiveString());
    }

    internal static string FreeTcpEndpoint()
    {
        using var probe = FaultProxyTests.Listen(out var endpoint);
        return endpoint;
    }
}
