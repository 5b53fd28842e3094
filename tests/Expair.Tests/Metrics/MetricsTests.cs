using System.Net.Sockets;
using Expair.Tests.Events;

namespace Expair.Tests.Metrics;

/// <summary>The Expair meter's instruments against real sockets, read with a <see cref="System.Diagnostics.Metrics.MeterListener"/>.</summary>
public sealed class MetricsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static PairSocketOptions Options => new() { SendTimeout = Patience, ReceiveTimeout = Patience, Linger = Patience };

    [Fact]
    public void Meter_PublishesTheDocumentedInstruments()
    {
        using var socket = new PairSocket(); // the instruments exist once the first socket was made
        Assert.Equal(new HashSet<string>
        {
            "expair.messages.sent {message} ObservableCounter",
            "expair.messages.received {message} ObservableCounter",
            "expair.bytes.sent By ObservableCounter",
            "expair.bytes.received By ObservableCounter",
            "expair.queue.outbound {message} ObservableUpDownCounter",
            "expair.queue.inbound {message} ObservableUpDownCounter",
            "expair.connections.opened {connection} Counter",
            "expair.connections.closed {connection} Counter",
            "expair.reconnects {attempt} Counter",
            "expair.handshake.failures {connection} Counter",
            "expair.peers.refused {peer} Counter",
            "expair.peers.held {peer} Counter",
            "expair.messages.discarded {message} Counter",
        }, MetricsRecorder.InstrumentNames());
    }

    [Theory]
    [InlineData("tcp://127.0.0.1:*")]
    [InlineData("ipc")]
    [InlineData("inproc")]
    public async Task Traffic_CountsMessagesBytesAndQueueDepthsEachWay(string bindTo)
    {
        using var recorder = new MetricsRecorder();
        using var binder = new PairSocket(Options);
        using var connector = new PairSocket(Options);
        var endpoint = binder.Bind(TestEndpoint(bindTo));
        connector.Connect(endpoint);

        connector.Send("a");                                  // 1 byte
        connector.Send(new Message("bc", "def"));             // 5 bytes, one message
        connector.Send(new byte[100]);                        // 100 bytes
        Assert.True(await connector.FlushAsync(Patience));

        Assert.Equal(3, recorder.Observe("expair.messages.sent", endpoint, "connect"));
        Assert.Equal(106, recorder.Observe("expair.bytes.sent", endpoint, "connect"));
        // inproc has one pipe each way, shared by both ends: what waits in it shows on both.
        Assert.Equal(bindTo == "inproc" ? 3 : 0, recorder.Observe("expair.queue.outbound", endpoint, "connect"));
        recorder.WaitForObserved("expair.messages.received", endpoint, "bind", 3);
        Assert.Equal(106, recorder.Observe("expair.bytes.received", endpoint, "bind"));
        Assert.Equal(3, recorder.Observe("expair.queue.inbound", endpoint, "bind"));

        for (var i = 0; i < 3; i++)
            binder.Receive().Dispose();
        Assert.Equal(0, recorder.Observe("expair.queue.inbound", endpoint, "bind"));
        Assert.Equal(3, recorder.Observe("expair.messages.received", endpoint, "bind")); // totals never go down

        binder.Send("back");
        Assert.Equal("back", connector.ReceiveString());
        Assert.Equal(1, recorder.Observe("expair.messages.sent", endpoint, "bind"));
        Assert.Equal(4, recorder.Observe("expair.bytes.received", endpoint, "connect"));
        Assert.Equal(3, recorder.Observe("expair.messages.sent", endpoint, "connect"));
        Assert.Equal(bindTo.Split(':')[0], TransportOf(endpoint));
    }

    [Fact]
    public void Traffic_ClosedSocket_IsNoLongerReported()
    {
        using var recorder = new MetricsRecorder();
        var socket = new PairSocket(Options);
        var endpoint = socket.Bind($"inproc://metrics-{Guid.NewGuid():N}");
        Assert.Equal(0, recorder.Observe("expair.messages.sent", endpoint, "bind"));

        socket.Dispose();

        Assert.Null(recorder.Observe("expair.messages.sent", endpoint, "bind"));
    }

    [Fact]
    public async Task Connections_OpenedAndClosed_CountedOnBothSides()
    {
        using var recorder = new MetricsRecorder();
        using var binder = new PairSocket(Options);
        using var monitor = binder.Monitor();
        var events = new MonitorReading(monitor);
        var endpoint = binder.Bind("tcp://127.0.0.1:*");
        var connector = new PairSocket(Options);
        connector.Connect(endpoint);
        await events.UntilAsync(SocketEventKind.HandshakeSucceeded);
        connector.Send("x");
        Assert.Equal("x", binder.ReceiveString()); // the connector's handshake is done too

        Assert.Equal(1, recorder.Counted("expair.connections.opened", endpoint, "bind"));
        Assert.Equal(1, recorder.Counted("expair.connections.opened", endpoint, "connect"));
        Assert.Equal(0, recorder.Counted("expair.connections.closed", endpoint, "bind"));

        connector.Dispose();
        await events.UntilAsync(SocketEventKind.Disconnected);

        Assert.Equal(1, recorder.Counted("expair.connections.closed", endpoint, "bind"));
        Assert.Equal(1, recorder.Counted("expair.connections.closed", endpoint, "connect"));
    }

    [Fact]
    public async Task Reconnects_CountedPerRetry()
    {
        using var recorder = new MetricsRecorder();
        var endpoint = $"tcp://127.0.0.1:{FreePort()}";
        using var connector = new PairSocket(Options with { Linger = TimeSpan.Zero });
        using var monitor = connector.Monitor();
        var events = new MonitorReading(monitor);
        connector.Connect(endpoint);

        await events.UntilAsync(SocketEventKind.ConnectRetried);
        await events.UntilAsync(SocketEventKind.ConnectRetried);

        Assert.True(recorder.Counted("expair.reconnects", endpoint, "connect") >= 2);
        Assert.Equal("tcp", TransportOf(endpoint));
    }

    [Fact]
    public async Task HandshakeFailures_CountedByReason()
    {
        using var recorder = new MetricsRecorder();
        using var binder = new PairSocket(Options with { HandshakeTimeout = TimeSpan.FromMilliseconds(300) });
        using var monitor = binder.Monitor();
        var events = new MonitorReading(monitor);
        var endpoint = binder.Bind("tcp://127.0.0.1:*");
        var port = int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

        using (var garbage = new TcpClient())
        {
            await garbage.ConnectAsync("127.0.0.1", port);
            await garbage.GetStream().WriteAsync(new byte[64]); // not a ZMTP greeting
            await events.UntilAsync(SocketEventKind.HandshakeFailed);
        }
        using (var silent = new TcpClient())
        {
            await silent.ConnectAsync("127.0.0.1", port); // says nothing: the handshake timer runs out
            await events.UntilAsync(SocketEventKind.HandshakeFailed);
        }

        Assert.Equal(1, recorder.Counted("expair.handshake.failures", endpoint, "bind", "error"));
        Assert.Equal(1, recorder.Counted("expair.handshake.failures", endpoint, "bind", "timeout"));
        Assert.Equal(2, recorder.Counted("expair.handshake.failures", endpoint, "bind"));
    }

    [Fact]
    public async Task HandshakeFailures_OldestPendingEvicted_CountedAsEvicted()
    {
        using var recorder = new MetricsRecorder();
        using var binder = new PairSocket(Options with { MaxPendingHandshakes = 1 });
        using var monitor = binder.Monitor();
        var events = new MonitorReading(monitor);
        var endpoint = binder.Bind("tcp://127.0.0.1:*");
        var port = int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

        using var first = new TcpClient();
        await first.ConnectAsync("127.0.0.1", port);
        await events.UntilAsync(SocketEventKind.Accepted);
        using var second = new TcpClient();
        await second.ConnectAsync("127.0.0.1", port); // one too many handshaking: the first is closed
        await events.UntilAsync(SocketEventKind.HandshakeFailed);

        Assert.Equal(1, recorder.Counted("expair.handshake.failures", endpoint, "bind", "evicted"));
        Assert.Equal(1, recorder.Counted("expair.handshake.failures", endpoint, "bind"));
    }

    [Fact]
    public async Task Peers_HeldThenRefused_WhenTheSlotIsTaken()
    {
        using var recorder = new MetricsRecorder();
        using var binder = new PairSocket(Options with { MaxWaitingPeers = 1 });
        using var monitor = binder.Monitor();
        var events = new MonitorReading(monitor);
        var endpoint = binder.Bind($"inproc://metrics-peers-{Guid.NewGuid():N}");
        using var first = new PairSocket(Options);
        using var second = new PairSocket(Options);
        using var third = new PairSocket(Options);

        first.Connect(endpoint);
        await events.UntilAsync(SocketEventKind.HandshakeSucceeded);
        second.Connect(endpoint);
        await events.UntilAsync(SocketEventKind.PeerKeptWaiting);
        third.Connect(endpoint);
        await events.UntilAsync(SocketEventKind.PeerRefused);

        Assert.Equal(1, recorder.Counted("expair.peers.held", endpoint, "bind"));
        Assert.Equal(1, recorder.Counted("expair.peers.refused", endpoint, "bind"));
    }

    /// <summary>The linger ends with two messages queued; they are destroyed with the connector's queue and counted once.</summary>
    [Fact]
    public async Task Discarded_WhenTheLingerEnds()
    {
        using var recorder = new MetricsRecorder();
        var endpoint = $"tcp://127.0.0.1:{FreePort()}";
        var connector = new PairSocket(Options with { Linger = TimeSpan.FromMilliseconds(50) });
        using var monitor = connector.Monitor();
        var events = new MonitorReading(monitor);
        connector.Connect(endpoint);
        connector.Send("never");
        connector.Send("delivered");

        connector.Dispose();
        await events.UntilAsync(SocketEventKind.Closed);

        Assert.Equal(2, recorder.Counted("expair.messages.discarded", endpoint, "connect"));
    }

    /// <summary>
    /// With a listener on every Expair instrument, sending and receiving still allocate nothing per message:
    /// traffic is read from the pipes' own counters at collection time, not counted as it happens.
    /// </summary>
    [Fact]
    public void Traffic_WithAListener_StillAllocatesNothingPerMessage()
    {
        const int Warmup = 20_000;
        const int Measured = 200_000;
        using var recorder = new MetricsRecorder();
        using var server = new PairSocket(Options with { SendHighWaterMark = 0, ReceiveHighWaterMark = 0 });
        using var client = new PairSocket(Options with { SendHighWaterMark = 0, ReceiveHighWaterMark = 0 });
        var endpoint = server.Bind($"inproc://metrics-alloc-{Guid.NewGuid():N}");
        client.Connect(endpoint);
        var payload = new byte[64];
        var buffer = new byte[64];
        for (var i = 0; i < Warmup; i++)
        {
            client.Send(payload);
            server.Receive(buffer);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Measured; i++)
        {
            client.Send(payload);
            server.Receive(buffer);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < Measured, $"allocated {allocated} bytes over {Measured} messages");
        Assert.Equal(Warmup + Measured, recorder.Observe("expair.messages.sent", endpoint, "connect"));
    }

    private static string TestEndpoint(string kind) => kind switch
    {
        "ipc" => $"ipc://{Path.Combine(Path.GetTempPath(), $"expair-metrics-{Guid.NewGuid():N}.sock")}",
        "inproc" => $"inproc://metrics-{Guid.NewGuid():N}",
        _ => kind,
    };

    private static string TransportOf(string endpoint) => endpoint[..endpoint.IndexOf("://", StringComparison.Ordinal)];

    private static int FreePort()
    {
        using var probe = new TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}
