using System.Net;
using System.Net.Sockets;

namespace Expair.Tests.Faults;

/// <summary>The proxy itself: each fault does exactly what it says at exactly its offset.</summary>
public class FaultProxyTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task PassThrough_ForwardsBothWays_AndCountsBytes()
    {
        using var server = Listen(out var endpoint);
        await using var proxy = new FaultProxy(endpoint);
        using var client = await ConnectAsync(proxy.Endpoint);
        using var accepted = await server.AcceptAsync().WaitAsync(Patience);

        await client.SendAsync(new byte[1000], SocketFlags.None);
        Assert.Equal(1000, (await ReadAsync(accepted, 1000)).Length);
        await accepted.SendAsync(new byte[300], SocketFlags.None);
        Assert.Equal(300, (await ReadAsync(client, 300)).Length);

        var connection = await proxy.AcceptedAsync(0).WaitAsync(Patience);
        // The proxy counts a write once it returns, which can be just after the far end read the bytes.
        Assert.True(SpinWait.SpinUntil(() => connection.Forwarded(Direction.ClientToServer) == 1000, Patience));
        Assert.True(SpinWait.SpinUntil(() => proxy.Forwarded(Direction.ServerToClient) == 300, Patience));
        Assert.Equal(1000, connection.Forwarded(Direction.ClientToServer));
        Assert.Equal(300, proxy.Forwarded(Direction.ServerToClient));
        Assert.Equal(1, proxy.ConnectionCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CutOrReset_ForwardsExactlyTheOffset_ThenClosesBothSides(bool reset)
    {
        var kind = reset ? FaultKind.Reset : FaultKind.Cut;
        using var server = Listen(out var endpoint);
        await using var proxy = new FaultProxy(endpoint, _ => FaultPlan.Upstream(new Fault(kind, 777)));
        using var client = await ConnectAsync(proxy.Endpoint);
        using var accepted = await server.AcceptAsync().WaitAsync(Patience);

        await client.SendAsync(Enumerable.Range(0, 2000).Select(i => (byte)i).ToArray(), SocketFlags.None);
        var connection = await proxy.AcceptedAsync(0).WaitAsync(Patience);
        await connection.FaultReached(Direction.ClientToServer).WaitAsync(Patience);
        await connection.Closed.WaitAsync(Patience);

        var (upstream, upstreamReset) = await ReadToEndAsync(accepted);
        Assert.Equal(Enumerable.Range(0, 777).Select(i => (byte)i), upstream);
        var (downstream, downstreamReset) = await ReadToEndAsync(client);
        Assert.Empty(downstream);
        Assert.Equal(kind == FaultKind.Reset, upstreamReset);
        Assert.Equal(kind == FaultKind.Reset, downstreamReset);
    }

    [Fact]
    public async Task BlackHole_KeepsTheConnectionOpen_AndDropsEverythingPastTheOffset()
    {
        using var server = Listen(out var endpoint);
        await using var proxy = new FaultProxy(endpoint, _ => FaultPlan.Upstream(Fault.BlackHoleAt(10)));
        using var client = await ConnectAsync(proxy.Endpoint);
        using var accepted = await server.AcceptAsync().WaitAsync(Patience);

        await client.SendAsync(new byte[100], SocketFlags.None);
        var connection = await proxy.AcceptedAsync(0).WaitAsync(Patience);
        await connection.FaultReached(Direction.ClientToServer).WaitAsync(Patience);
        await client.SendAsync(new byte[100], SocketFlags.None); // still accepted: the TCP connection is up

        // The other direction still works while this one swallows bytes.
        await accepted.SendAsync(new byte[5], SocketFlags.None);
        Assert.Equal(5, (await ReadAsync(client, 5)).Length);
        Assert.False(connection.Closed.IsCompleted);

        proxy.KillAll();
        var (upstream, _) = await ReadToEndAsync(accepted);
        Assert.Equal(10, upstream.Length);
        Assert.Equal(10, connection.Forwarded(Direction.ClientToServer));
    }

    [Fact]
    public async Task NothingBehindTheProxy_ClosesTheClientAtOnce()
    {
        int port;
        using (var gone = Listen(out var endpoint))
            port = new Uri(endpoint.Replace("tcp://", "http://", StringComparison.Ordinal)).Port;
        await using var proxy = new FaultProxy($"tcp://127.0.0.1:{port}");
        using var client = await ConnectAsync(proxy.Endpoint);
        var (bytes, _) = await ReadToEndAsync(client);
        Assert.Empty(bytes);
        Assert.Equal(0, proxy.ConnectionCount);
    }

    internal static Socket Listen(out string endpoint)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        endpoint = $"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}";
        return listener;
    }

    private static async Task<Socket> ConnectAsync(string endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, new Uri(endpoint.Replace("tcp://", "http://", StringComparison.Ordinal)).Port);
        return socket;
    }

    private static async Task<byte[]> ReadAsync(Socket socket, int count)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[count];
        var offset = 0;
        while (offset < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, read);
            offset += read;
        }
        return buffer;
    }

    /// <summary>Everything until end of stream, and whether it ended with a reset.</summary>
    private static async Task<(byte[] Bytes, bool Reset)> ReadToEndAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                return ([.. received], true);
            }
            if (read == 0)
                return ([.. received], false);
            received.AddRange(buffer.AsSpan(0, read));
        }
    }
}
