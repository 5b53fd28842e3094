using System.Net.Sockets;

namespace Expair.Tests.Faults;

/// <summary>One client connection through a <see cref="FaultProxy"/> and its upstream twin.</summary>
internal sealed class ProxyConnection
{
    private const int ChunkSize = 16 * 1024;

    private readonly FaultProxy _proxy;
    private readonly Socket _client;
    private readonly Socket _server;
    private readonly FaultPlan _plan;
    private readonly TaskCompletionSource _clientToServerFault = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _serverToClientFault = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _kill = new();
    private long _clientToServer;
    private long _serverToClient;
    private int _closing;

    public ProxyConnection(FaultProxy proxy, int index, Socket client, Socket server, FaultPlan plan)
    {
        _proxy = proxy;
        Index = index;
        _client = client;
        _server = server;
        _plan = plan;
    }

    /// <summary>0 for the first connection the proxy accepted.</summary>
    public int Index { get; }

    /// <summary>Completes when the fault's offset is reached in that direction (never for pass-through).</summary>
    public Task FaultReached(Direction direction) =>
        (direction == Direction.ClientToServer ? _clientToServerFault : _serverToClientFault).Task;

    /// <summary>Completes when both sockets are closed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Bytes of this connection forwarded in one direction.</summary>
    public long Forwarded(Direction direction) =>
        Interlocked.Read(ref direction == Direction.ClientToServer ? ref _clientToServer : ref _serverToClient);

    /// <summary>Closes both sides now: RST with <paramref name="reset"/>, else FIN.</summary>
    public void Kill(bool reset = false)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
            return;
        foreach (var socket in new[] { _client, _server })
        {
            try
            {
                if (reset)
                    socket.LingerState = new LingerOption(true, 0); // close() then sends RST, not FIN
                else
                    socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
            socket.Dispose();
        }
        _kill.Cancel();
    }

    internal async Task RunAsync()
    {
        var up = PumpAsync(_client, _server, Direction.ClientToServer, _plan.ClientToServer, _clientToServerFault);
        var down = PumpAsync(_server, _client, Direction.ServerToClient, _plan.ServerToClient, _serverToClientFault);
        await Task.WhenAll(up, down);
        Kill();
        _closed.TrySetResult();
    }

    private async Task PumpAsync(Socket from, Socket to, Direction direction, Fault fault, TaskCompletionSource reached)
    {
        var buffer = new byte[ChunkSize];
        long offset = 0;
        var dropping = false;
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _kill.Token);
                if (read == 0)
                {
                    // Half-close passes through: the other side sees end of stream once it has read everything.
                    if (!dropping)
                        to.Shutdown(SocketShutdown.Send);
                    return;
                }
                if (dropping)
                    continue;
                var chunk = buffer.AsMemory(0, read);
                if (fault.Kind == FaultKind.Delay && offset + read > fault.Offset)
                {
                    reached.TrySetResult();
                    await Task.Delay(fault.Delay, _kill.Token); // the fault itself, not a synchronisation
                }
                var forward = read;
                var trigger = fault.Kind is FaultKind.Cut or FaultKind.Reset or FaultKind.BlackHole && offset + read >= fault.Offset;
                if (trigger)
                    forward = (int)(fault.Offset - offset);
                if (forward > 0)
                    await SendAllAsync(to, chunk[..forward], direction);
                offset += forward;
                if (!trigger)
                    continue;
                reached.TrySetResult();
                if (fault.Kind == FaultKind.BlackHole)
                {
                    dropping = true;
                    continue;
                }
                Kill(reset: fault.Kind == FaultKind.Reset);
                return;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            Kill(reset: e is SocketException { SocketErrorCode: SocketError.ConnectionReset });
        }
    }

    private async Task SendAllAsync(Socket to, ReadOnlyMemory<byte> bytes, Direction direction)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await to.SendAsync(bytes, SocketFlags.None, _kill.Token);
            bytes = bytes[sent..];
            Interlocked.Add(ref direction == Direction.ClientToServer ? ref _clientToServer : ref _serverToClient, sent);
            _proxy.AddForwarded(direction, sent);
        }
    }
}
