using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Expair.Tests.Faults;

/// <summary>
/// An in-test TCP proxy between a client and a server that injects faults per connection and direction
/// (see <see cref="FaultKind"/>), counts bytes, and exposes tasks to await instead of sleeping.
/// Each accepted client connection gets a fresh upstream connection to the server; when the server is
/// down the client connection is closed at once, as a refused connect would be.
/// </summary>
internal sealed class FaultProxy : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly IPEndPoint _upstream;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<ProxyConnection>> _accepted = new();
    private readonly ConcurrentDictionary<int, ProxyConnection> _live = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _count;
    private long _clientToServer;
    private long _serverToClient;

    /// <param name="upstream">The server, e.g. <c>tcp://127.0.0.1:5555</c>.</param>
    /// <param name="plan">Faults for connection N (0-based); null means pass everything through.</param>
    /// <param name="clientReceiveBuffer">
    /// The receive buffer of every client connection (set on the listener, which they inherit), instead of one the
    /// kernel grows as it likes (up to tcp_rmem's maximum): bounds what a client can hand to the kernel beyond a cut.
    /// </param>
    public FaultProxy(string upstream, Func<int, FaultPlan>? plan = null, int? clientReceiveBuffer = null)
    {
        var uri = new Uri(upstream.Replace("tcp://", "http://", StringComparison.Ordinal));
        _upstream = new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port);
        Plan = plan ?? (_ => FaultPlan.None);
        if (clientReceiveBuffer is { } size)
            _listener.ReceiveBufferSize = size; // before listening: accepted connections take it, window scaling included
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        Endpoint = $"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Where clients connect.</summary>
    public string Endpoint { get; }

    /// <summary>Faults for connection N; may be changed while running, applies to connections accepted later.</summary>
    public Func<int, FaultPlan> Plan { get; set; }

    /// <summary>Connections accepted so far.</summary>
    public int ConnectionCount => Volatile.Read(ref _count);

    /// <summary>Bytes forwarded in one direction over every connection (dropped bytes not counted).</summary>
    public long Forwarded(Direction direction) =>
        Interlocked.Read(ref direction == Direction.ClientToServer ? ref _clientToServer : ref _serverToClient);

    /// <summary>Completes when connection <paramref name="index"/> (0-based) has been accepted and linked upstream.</summary>
    public Task<ProxyConnection> AcceptedAsync(int index) => Slot(index).Task;

    /// <summary>Closes every current connection on both sides (RST with <paramref name="reset"/>, else FIN).</summary>
    public void KillAll(bool reset = false)
    {
        foreach (var connection in _live.Values)
            connection.Kill(reset);
    }

    internal void AddForwarded(Direction direction, int bytes) =>
        Interlocked.Add(ref direction == Direction.ClientToServer ? ref _clientToServer : ref _serverToClient, bytes);

    private TaskCompletionSource<ProxyConnection> Slot(int index) =>
        _accepted.GetOrAdd(index, _ => new TaskCompletionSource<ProxyConnection>(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = LinkAsync(client);
        }
    }

    private async Task LinkAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(_upstream, _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Nothing listening behind the proxy: the client sees its connection closed at once.
            server.Dispose();
            client.Dispose();
            return;
        }
        var index = Interlocked.Increment(ref _count) - 1;
        var connection = new ProxyConnection(this, index, client, server, Plan(index));
        _live[index] = connection;
        Slot(index).TrySetResult(connection);
        await connection.RunAsync();
        _live.TryRemove(index, out _);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        KillAll(reset: true);
        foreach (var slot in _accepted.Values)
            slot.TrySetCanceled();
        _stop.Dispose();
    }
}
