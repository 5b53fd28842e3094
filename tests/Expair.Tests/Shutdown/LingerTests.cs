using System.Diagnostics;
using Expair.Tests.Events;
using Xunit.Abstractions;
using static Expair.SocketEventKind;

namespace Expair.Tests.Shutdown;

/// <summary>
/// Linger and shutdown over every transport (derived classes): Dispose delivers what is queued for up to the
/// linger time and never longer, zero discards at once, FlushAsync says whether everything left, and the
/// endpoint can be bound again right away.
/// </summary>
public abstract class LingerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>Generous room for a loaded machine (2 shared cores) on top of a bound we assert.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);

    /// <summary>A fresh endpoint; <paramref name="fixedPort"/> gives a real tcp port, to connect before binding or to bind twice.</summary>
    protected abstract string NewEndpoint(bool fixedPort = false);

    protected abstract bool HasWire { get; }

    private static PairSocketOptions Options() => new() { SendTimeout = Patience, ReceiveTimeout = Patience, Linger = TimeSpan.FromSeconds(2) };

    [Fact]
    public async Task Dispose_WithQueuedMessages_WaitsForThePeer_AndDeliversAll()
    {
        var endpoint = NewEndpoint(fixedPort: true);
        var client = new PairSocket(Options() with { Linger = Patience, SendHighWaterMark = 0 });
        var events = new MonitorReading(client.Monitor());
        client.Connect(endpoint);
        for (var i = 0; i < 200; i++)
            client.Send($"m{i}");
        var disposing = Task.Run(client.Dispose); // nobody to deliver to yet: lingers
        if (HasWire)
            await events.UntilAsync(ConnectRetried);
        Assert.False(disposing.IsCompleted);

        using var server = new PairSocket(Options());
        server.Bind(endpoint);
        for (var i = 0; i < 200; i++)
            Assert.Equal($"m{i}", server.ReceiveString());
        Assert.True(disposing.Wait(Patience), "Dispose did not return once everything was delivered");
        await events.ToEndAsync();
        Assert.DoesNotContain(events.Seen, e => e.Kind is LingerExpired or MessagesDiscarded);
        Assert.Equal(Closed, events.Seen[^1].Kind);
    }

    [Fact]
    public async Task FlushAsync_TrueOnceHandedOver_FalseWhenNobodyTakesThem()
    {
        using var server = new PairSocket(Options());
        var endpoint = server.Bind(NewEndpoint());
        using var client = new PairSocket(Options() with { SendHighWaterMark = 0 });
        client.Connect(endpoint);
        for (var i = 0; i < 1000; i++)
            client.Send($"m{i}");
        Assert.True(await client.FlushAsync(Patience));
        for (var i = 0; i < 1000; i++)
            Assert.Equal($"m{i}", server.ReceiveString());
        for (var i = 0; i < 1000; i++)
            server.Send($"r{i}");
        Assert.True(await server.FlushAsync(Patience)); // the binding side's queue too
        for (var i = 0; i < 1000; i++)
            Assert.Equal($"r{i}", client.ReceiveString());

        var stranded = new PairSocket(Options() with { Linger = TimeSpan.FromMilliseconds(200) });
        var events = new MonitorReading(stranded.Monitor());
        stranded.Connect(NewEndpoint(fixedPort: true)); // nothing is bound there
        stranded.Send("nobody takes this");
        Assert.False(await stranded.FlushAsync(TimeSpan.FromMilliseconds(100)));
        using var cancel = new CancellationTokenSource();
        var waiting = stranded.FlushAsync(Timeout.InfiniteTimeSpan, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await stranded.FlushAsync(TimeSpan.FromSeconds(-2)));

        stranded.Dispose();
        await events.ToEndAsync();
        var end = events.Seen.SkipWhile(e => e.Kind is Connecting or ConnectRetried).ToList();
        Assert.Equal([LingerExpired, MessagesDiscarded, Closed], end.Select(e => e.Kind));
        Assert.Equal(1, end[0].Count);
        Assert.Equal(TimeSpan.FromMilliseconds(200), end[0].Delay);
        Assert.Equal(1, end[1].Count);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => stranded.FlushAsync(TimeSpan.Zero).AsTask());
    }

    /// <summary>
    /// The peer reads the message and leaves at once, often before the flush looks at the queue again; the binder
    /// then discards the departed peer's queue, which was empty: everything had been written, so the flush succeeds.
    /// </summary>
    [Fact]
    public async Task FlushAsync_PeerReceivesAndLeavesAtOnce_TrueEveryTime()
    {
        for (var i = 0; i < 200; i++)
        {
            using var server = new PairSocket(Options());
            var endpoint = server.Bind(NewEndpoint());
            var client = new PairSocket(Options() with { Linger = TimeSpan.Zero });
            client.Connect(endpoint);
            server.Send($"m{i}");
            var flush = server.FlushAsync(Patience).AsTask();
            Assert.Equal($"m{i}", client.ReceiveString());
            client.Dispose();
            Assert.True(await flush, $"Round {i}: the flush reported a message undelivered that the peer had read.");
        }
    }

    [Fact]
    public async Task LingerZero_DiscardsAtOnce_NothingArrivesLater()
    {
        var endpoint = NewEndpoint(fixedPort: true);
        var client = new PairSocket(Options() with { Linger = TimeSpan.Zero });
        var events = new MonitorReading(client.Monitor());
        client.Connect(endpoint);
        for (var i = 0; i < 10; i++)
            client.Send($"discarded {i}");
        var watch = Stopwatch.StartNew();
        client.Dispose();
        output.WriteLine($"Dispose with linger 0 took {watch.Elapsed.TotalMilliseconds:0} ms");
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, Slack);
        await events.ToEndAsync();
        var end = events.Seen.SkipWhile(e => e.Kind is Connecting or ConnectRetried).ToList();
        Assert.Equal([MessagesDiscarded, Closed], end.Select(e => e.Kind));
        Assert.Equal(10, end[0].Count);

        using var server = new PairSocket(Options());
        server.Bind(endpoint);
        Assert.False(server.TryReceive(out _, TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task PeerStoppedReading_DisposeReturnsWithinLinger()
    {
        var linger = TimeSpan.FromMilliseconds(500);
        using var server = new PairSocket(Options() with { ReceiveHighWaterMark = 1 });
        var endpoint = server.Bind(NewEndpoint());
        // 64 queued messages of 256 KiB: far more than the kernel can take in while the peer's window
        // briefly reopens (Linux may shrink a stalled receive queue and open the window a little).
        var client = new PairSocket(Options() with { SendHighWaterMark = 64, Linger = linger });
        var events = new MonitorReading(client.Monitor());
        client.Connect(endpoint);
        await events.UntilAsync(HandshakeSucceeded);
        // Fill the server's queue, both kernel buffers and our queue: the peer reads nothing. Full means a
        // send waited two seconds in vain, so a busy thread pool is not mistaken for a full line.
        var filled = Task.Run(() =>
        {
            var big = new byte[256 * 1024];
            var sent = 0;
            while (client.TrySend(big, TimeSpan.FromSeconds(2)))
                Assert.InRange(++sent, 1, 4000);
        });
        Assert.True(filled.Wait(Patience * 2), "the line never filled up");

        var watch = Stopwatch.StartNew();
        client.Dispose();
        var took = watch.Elapsed;
        output.WriteLine($"Dispose with linger {linger.TotalMilliseconds} ms and a peer that stopped reading took {took.TotalMilliseconds:0} ms");
        await events.ToEndAsync();
        Assert.InRange(took, TimeSpan.Zero, linger + Slack);
        if (HasWire)
        {
            Assert.InRange(took, linger - TimeSpan.FromMilliseconds(50), linger + Slack);
            var end = events.Seen.SkipWhile(e => e.Kind != LingerExpired).Select(e => e.Kind);
            Assert.True(end.SequenceEqual([LingerExpired, Disconnected, MessagesDiscarded, Closed]), MonitorReading.Describe(events.Seen));
        }
    }

    [Fact]
    public async Task Rebind_SameEndpointRightAfterDispose_WorksAndThePeerComesBack()
    {
        var endpoint = NewEndpoint(fixedPort: true);
        using var client = new PairSocket(Options());
        var clientEvents = new MonitorReading(client.Monitor());
        client.Connect(endpoint);
        var server = new PairSocket(Options());
        server.Bind(endpoint);
        for (var round = 0; round < 3; round++)
        {
            client.Send($"hello {round}");
            Assert.Equal($"hello {round}", server.ReceiveString());
            server.Send($"back {round}");
            Assert.Equal($"back {round}", client.ReceiveString());
            server.Dispose();
            server = new PairSocket(Options());
            Assert.Equal(endpoint, server.Bind(endpoint)); // at once: no "address in use"
            // Send only once the client saw the old connection end: a message written into a connection
            // the peer just closed can be lost in the kernel (docs/pair-semantics.md, "Limits").
            await clientEvents.UntilAsync(Disconnected);
        }
        server.Dispose();

        // The client's view: each loss is reported, retried after the reconnect interval (tcp/ipc), and healed.
        var kinds = string.Join(" ", clientEvents.Seen.Select(e => e.Kind));
        var pattern = HasWire
            ? @"^Connecting( ConnectRetried)* Connected HandshakeSucceeded( Disconnected( ConnectRetried)+ Connected HandshakeSucceeded){2} Disconnected$"
            : @"^Connecting Connected HandshakeSucceeded( Disconnected Connected HandshakeSucceeded){2} Disconnected$";
        Assert.Matches(pattern, kinds);
    }
}

public sealed class TcpLingerTests(ITestOutputHelper output) : LingerTests(output)
{
    protected override bool HasWire => true;

    protected override string NewEndpoint(bool fixedPort = false) => fixedPort ? TestEndpoints.FreeTcp() : "tcp://127.0.0.1:*";
}

public sealed class IpcLingerTests(ITestOutputHelper output) : LingerTests(output)
{
    protected override bool HasWire => true;

    protected override string NewEndpoint(bool fixedPort = false) => $"ipc://{Path.GetTempPath()}expair-linger-{Guid.NewGuid():N}.sock";
}

public sealed class InProcLingerTests(ITestOutputHelper output) : LingerTests(output)
{
    protected override bool HasWire => false;

    protected override string NewEndpoint(bool fixedPort = false) => $"inproc://linger-{Guid.NewGuid():N}";
}
