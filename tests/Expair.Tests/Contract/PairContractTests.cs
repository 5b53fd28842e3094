using System.Diagnostics;

namespace Expair.Tests.Contract;

/// <summary>
/// The PAIR behaviour of 31/EXPAIR, one suite run over every transport (see the derived classes).
/// Every wait has a timeout, so a broken behaviour fails rather than hangs.
/// </summary>
public abstract partial class PairContractTests
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>A fresh endpoint to bind on this transport.</summary>
    protected abstract string NewEndpoint();

    protected static PairSocketOptions Options(int sendHwm = 1000, int receiveHwm = 1000) => new()
    {
        SendHighWaterMark = sendHwm,
        ReceiveHighWaterMark = receiveHwm,
        SendTimeout = Patience,
        ReceiveTimeout = Patience,
        Linger = TimeSpan.FromSeconds(2),
    };

    protected (PairSocket Server, PairSocket Client, string Endpoint) ConnectedPair(PairSocketOptions? serverOptions = null, PairSocketOptions? clientOptions = null)
    {
        var server = new PairSocket(serverOptions ?? Options());
        var client = new PairSocket(clientOptions ?? Options());
        var endpoint = server.Bind(NewEndpoint());
        client.Connect(endpoint);
        client.Send("ping");
        Assert.Equal("ping", server.ReceiveString());
        server.Send("pong");
        Assert.Equal("pong", client.ReceiveString());
        return (server, client, endpoint);
    }

    [Fact]
    public void SendReceive_BothDirections_ExactBytes()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
            client.Send(all);
            Assert.Equal(all, server.ReceiveBytes());
            server.Send(ReadOnlySpan<byte>.Empty);
            Assert.Empty(client.ReceiveBytes());
        }
    }

    [Fact]
    public void Multipart_WithEmptyFrame_ArrivesWholeAndInOrder()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            client.Send(new Message("first", "", "third"));
            using var message = server.Receive();
            Assert.Equal(3, message.Count);
            Assert.Equal(["first", "", "third"], message.Select(f => System.Text.Encoding.UTF8.GetString(f.Span)));
        }
    }

    [Fact]
    public void ReceiveBytes_OnMultipart_ThrowsAndKeepsTheMessage()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            client.Send(new Message("a", "b"));
            var error = Assert.Throws<InvalidOperationException>(() => server.ReceiveBytes());
            Assert.Contains("more than one frame", error.Message, StringComparison.Ordinal);
            using var message = server.Receive();
            Assert.Equal("a", message.GetString(0));
            Assert.Equal("b", message.GetString(1));
        }
    }

    [Fact]
    public void LargeMessage_OneMebibyte_ArrivesIntact()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            var payload = new byte[1 << 20];
            new Random(42).NextBytes(payload);
            client.Send(payload);
            Assert.Equal(payload, server.ReceiveBytes());
        }
    }

    [Fact]
    public void SecondBind_OnSameSocket_ThrowsExplainingOneEndpoint()
    {
        using var socket = new PairSocket(Options());
        var endpoint = socket.Bind(NewEndpoint());
        var error = Assert.Throws<InvalidOperationException>(() => socket.Bind(NewEndpoint()));
        Assert.Contains("exactly one endpoint", error.Message, StringComparison.Ordinal);
        Assert.Contains(endpoint, error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => socket.Connect(endpoint));
    }

    [Fact]
    public void SecondConnect_OnSameSocket_ThrowsExplainingOneEndpoint()
    {
        using var server = new PairSocket(Options());
        var endpoint = server.Bind(NewEndpoint());
        using var client = new PairSocket(Options());
        client.Connect(endpoint);
        var error = Assert.Throws<InvalidOperationException>(() => client.Connect(endpoint));
        Assert.Contains("Disconnect first", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => client.Bind(NewEndpoint()));
    }

    [Fact]
    public void Unbind_ThenBindAgain_Works()
    {
        using var socket = new PairSocket(Options());
        var first = socket.Bind(NewEndpoint());
        socket.Unbind(first);
        Assert.Null(socket.Endpoint);
        var second = socket.Bind(NewEndpoint());
        Assert.Equal(second, socket.Endpoint);
    }

    [Fact]
    public void ConnectBeforeBind_QueuedMessagesDeliveredOnceBound()
    {
        var endpoint = NewEndpoint();
        if (endpoint.StartsWith("tcp://", StringComparison.Ordinal))
            endpoint = FreeTcpEndpoint();
        using var client = new PairSocket(Options());
        client.Connect(endpoint);
        for (var i = 0; i < 5; i++)
            Assert.True(client.TrySend($"early {i}", TimeSpan.Zero), "the connecting side queues from Connect on");
        using var server = new PairSocket(Options());
        server.Bind(endpoint);
        for (var i = 0; i < 5; i++)
            Assert.Equal($"early {i}", server.ReceiveString());
    }

    [Fact]
    public void ConnectingSide_WithNoPeer_QueuesExactlyHighWaterMark()
    {
        var endpoint = NewEndpoint();
        if (endpoint.StartsWith("tcp://", StringComparison.Ordinal))
            endpoint = FreeTcpEndpoint();
        using var client = new PairSocket(Options(sendHwm: 5));
        client.Connect(endpoint);
        for (var i = 0; i < 5; i++)
            Assert.True(client.TrySend($"m{i}", TimeSpan.Zero));
        Assert.False(client.TrySend("one too many", TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public void BindingSide_WithNoPeer_TrySendReturnsFalseAfterTimeout()
    {
        using var server = new PairSocket(Options());
        server.Bind(NewEndpoint());
        var watch = Stopwatch.StartNew();
        Assert.False(server.TrySend("nobody", TimeSpan.FromMilliseconds(300)));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(290), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void BindingSide_WithNoPeer_SendThrowsTimeoutNamingTheCause()
    {
        using var server = new PairSocket(Options() with { SendTimeout = TimeSpan.FromMilliseconds(100) });
        server.Bind(NewEndpoint());
        var error = Assert.Throws<TimeoutException>(() => server.Send("nobody"));
        Assert.Contains("no peer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BindingSide_WithNoPeer_SendAsyncHonoursCancellation()
    {
        using var server = new PairSocket(Options());
        server.Bind(NewEndpoint());
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await server.SendAsync("nobody", cancel.Token));
    }

    [Fact]
    public async Task SendAsync_WaitsForPeer_ThenDelivers()
    {
        using var server = new PairSocket(Options());
        var endpoint = server.Bind(NewEndpoint());
        var sending = server.SendAsync("after the peer came").AsTask();
        Assert.False(sending.IsCompleted);
        using var client = new PairSocket(Options());
        client.Connect(endpoint);
        await sending.WaitAsync(Patience);
        Assert.Equal("after the peer came", client.ReceiveString());
    }

    [Fact]
    public async Task ReceiveAsync_HonoursCancellation()
    {
        using var server = new PairSocket(Options());
        server.Bind(NewEndpoint());
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await server.ReceiveAsync(cancel.Token));
    }

    [Fact]
    public void Receive_WithNothingComing_TimesOut()
    {
        using var server = new PairSocket(Options() with { ReceiveTimeout = TimeSpan.FromMilliseconds(100) });
        server.Bind(NewEndpoint());
        Assert.Throws<TimeoutException>(() => server.Receive());
        Assert.False(server.TryReceive(out _, TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public void SendFiveThenDispose_AllFiveDelivered()
    {
        using var server = new PairSocket(Options());
        var endpoint = server.Bind(NewEndpoint());
        var client = new PairSocket(new PairSocketOptions()); // default linger
        client.Connect(endpoint);
        for (var i = 0; i < 5; i++)
            client.Send($"Status update {i}");
        client.Dispose();
        for (var i = 0; i < 5; i++)
            Assert.Equal($"Status update {i}", server.ReceiveString());
    }

    [Fact]
    public void Dispose_WithUndeliverableQueue_ReturnsWithinLinger()
    {
        var endpoint = NewEndpoint();
        if (endpoint.StartsWith("tcp://", StringComparison.Ordinal))
            endpoint = FreeTcpEndpoint();
        var client = new PairSocket(Options() with { Linger = TimeSpan.FromMilliseconds(300) });
        client.Connect(endpoint);
        client.Send("never delivered");
        var watch = Stopwatch.StartNew();
        client.Dispose();
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void UseAfterDispose_ThrowsObjectDisposed()
    {
        var socket = new PairSocket(Options());
        socket.Dispose();
        Assert.Throws<ObjectDisposedException>(() => socket.Send("x"));
        Assert.Throws<ObjectDisposedException>(() => socket.Receive());
        Assert.Throws<ObjectDisposedException>(() => socket.Bind(NewEndpoint()));
        Assert.Throws<ObjectDisposedException>(() => socket.Connect(NewEndpoint()));
        socket.Dispose(); // twice is fine
    }

    [Fact]
    public void BlockedReceiver_IsReleasedByDispose()
    {
        var server = new PairSocket(Options());
        server.Bind(NewEndpoint());
        var receiving = Task.Run(() => server.Receive());
        Assert.False(receiving.Wait(100));
        server.Dispose();
        var error = Assert.Throws<AggregateException>(() => receiving.Wait(Patience));
        Assert.IsType<ObjectDisposedException>(error.InnerException);
    }

    protected static string FreeTcpEndpoint()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return $"tcp://127.0.0.1:{port}";
    }
}

public sealed class TcpPairContractTests : PairContractTests
{
    protected override string NewEndpoint() => "tcp://127.0.0.1:*";
}

public sealed class IpcPairContractTests : PairContractTests
{
    protected override string NewEndpoint() => $"ipc://{Path.GetTempPath()}expair-{Guid.NewGuid():N}.sock";
}

public sealed class InProcPairContractTests : PairContractTests
{
    protected override string NewEndpoint() => $"inproc://contract-{Guid.NewGuid():N}";
}
