using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Expair.Interop.Tests;

/// <summary>
/// A byte-for-byte relay between a client and a target (tcp or ipc) that records what passes each way, so a
/// test can check what went over the wire between libzmq and Expair: here, the ZMTP commands of a refused
/// handshake. It never changes or delays the bytes beyond relaying them, unless a test black-holes one direction
/// of a connection (<see cref="ProxiedConnection.BlackHole"/>).
/// </summary>
internal sealed class RecordingProxy : IDisposable
{
    private readonly Socket _listener;
    private readonly EndPoint _target;
    private readonly Lock _lock = new();
    private readonly List<ProxiedConnection> _connections = [];
    private readonly SemaphoreSlim _accepted = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly bool _relayClientClose;

    /// <param name="target">The endpoint to relay to: <c>tcp://127.0.0.1:port</c> or <c>ipc:///path</c>.</param>
    /// <param name="ipcPath">For ipc, the socket path to listen on; ignored for tcp (a free loopback port is used).</param>
    /// <param name="relayClientClose">
    /// False to keep the target's side open when the client closes, so the target can only see the connection end
    /// if it ends it itself: <see cref="ProxiedConnection.TargetClosed"/> then proves the target closed on its own.
    /// </param>
    public RecordingProxy(string target, string? ipcPath = null, bool relayClientClose = true)
    {
        _relayClientClose = relayClientClose;
        if (target.StartsWith("tcp://", StringComparison.Ordinal))
        {
            var port = int.Parse(target[(target.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            _target = new IPEndPoint(IPAddress.Loopback, port);
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Endpoint = $"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";
        }
        else
        {
            ArgumentNullException.ThrowIfNull(ipcPath);
            _target = new UnixDomainSocketEndPoint(target["ipc://".Length..]);
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _listener.Bind(new UnixDomainSocketEndPoint(ipcPath));
            Endpoint = "ipc://" + ipcPath;
        }

        _listener.Listen(16);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Where clients connect.</summary>
    public string Endpoint { get; }

    /// <summary>Waits for the <paramref name="index"/>-th (0-based) client connection to be accepted.</summary>
    public ProxiedConnection WaitForConnection(int index, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            lock (_lock)
            {
                if (_connections.Count > index)
                {
                    return _connections[index];
                }
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero || !_accepted.Wait(remaining))
            {
                throw new TimeoutException($"The proxy saw no connection #{index} within {timeout.TotalMilliseconds:0} ms.");
            }
        }
    }

    public IReadOnlyList<ProxiedConnection> Connections
    {
        get
        {
            lock (_lock)
            {
                return [.. _connections];
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        foreach (var connection in Connections)
        {
            connection.Abort();
        }

        try
        {
            _acceptLoop.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
        _accepted.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var upstream = new Socket(_target.AddressFamily, SocketType.Stream, _target is IPEndPoint ? ProtocolType.Tcp : ProtocolType.Unspecified);
            try
            {
                await upstream.ConnectAsync(_target, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                upstream.Dispose();
                client.Dispose();
                continue;
            }

            var connection = new ProxiedConnection(client, upstream, _relayClientClose);
            lock (_lock)
            {
                _connections.Add(connection);
            }

            _accepted.Release();
        }
    }
}

/// <summary>One relayed connection: what the client sent to the target and what the target sent back.</summary>
internal sealed class ProxiedConnection
{
    private readonly Socket _client;
    private readonly Socket _target;
    private readonly MemoryStream _toTarget = new();
    private readonly MemoryStream _toClient = new();
    private readonly object _lock = new(); // a monitor lock: WaitUntil waits on it
    private readonly bool _relayClientClose;
    private readonly TaskCompletionSource _targetClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _blackHoleFromClient;
    private volatile bool _blackHoleFromTarget;

    public ProxiedConnection(Socket client, Socket target, bool relayClientClose)
    {
        _client = client;
        _target = target;
        _relayClientClose = relayClientClose;
        var toTarget = PumpAsync(client, target, _toTarget, fromTarget: false);
        var toClient = PumpAsync(target, client, _toClient, fromTarget: true);
        Completion = Task.WhenAll(toTarget, toClient).ContinueWith(
            _ =>
            {
                _client.Dispose();
                _target.Dispose();
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Completes when both directions have ended and both sockets are closed.</summary>
    public Task Completion { get; }

    /// <summary>Completes when the target's side of the connection has ended (end of stream or reset).</summary>
    public Task TargetClosed => _targetClosed.Task;

    public byte[] SentByClient
    {
        get
        {
            lock (_lock)
            {
                return _toTarget.ToArray();
            }
        }
    }

    public byte[] SentByTarget
    {
        get
        {
            lock (_lock)
            {
                return _toClient.ToArray();
            }
        }
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds for the bytes recorded so far (client's, target's),
    /// re-checking whenever more arrive; throws <see cref="TimeoutException"/> if it does not in time.
    /// </summary>
    public void WaitUntil(Func<byte[], byte[], bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_lock)
        {
            while (!condition(_toTarget.ToArray(), _toClient.ToArray()))
            {
                var remaining = deadline - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"Not seen on the wire within {timeout.TotalMilliseconds:0} ms: {what}.");
                }

                Monitor.Wait(_lock, remaining);
            }
        }
    }

    /// <summary>
    /// From now on one side's bytes (the target's, or the client's) are still read and recorded but never
    /// relayed, and the connection stays up: to the other side, that one has gone silent without closing.
    /// </summary>
    public void BlackHole(bool fromTarget)
    {
        if (fromTarget)
        {
            _blackHoleFromTarget = true;
        }
        else
        {
            _blackHoleFromClient = true;
        }
    }

    public void Abort()
    {
        _client.Dispose();
        _target.Dispose();
        _targetClosed.TrySetResult();
    }

    private async Task PumpAsync(Socket from, Socket to, MemoryStream record, bool fromTarget)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                lock (_lock)
                {
                    record.Write(buffer, 0, read);
                    Monitor.PulseAll(_lock);
                }

                if (!(fromTarget ? _blackHoleFromTarget : _blackHoleFromClient))
                {
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // A reset counts as an end like any other.
        }

        if (fromTarget)
        {
            _targetClosed.TrySetResult();
        }
        else if (!_relayClientClose)
        {
            // Hold the target's side open: only the target itself may end it now.
            await _targetClosed.Task.ConfigureAwait(false);
        }

        try
        {
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}

/// <summary>Reads a recorded ZMTP 3.x byte stream: the 64-byte greeting, then frames (23/ZMTP).</summary>
internal static class Zmtp
{
    public const int GreetingSize = 64;

    public readonly record struct Frame(bool IsCommand, bool More, byte[] Body)
    {
        /// <summary>The command name, for a command frame.</summary>
        public string CommandName => IsCommand && Body.Length > 0 ? Encoding.ASCII.GetString(Body, 1, Body[0]) : "";

        /// <summary>The reason of an ERROR command.</summary>
        public string ErrorReason
        {
            get
            {
                int offset = 1 + Body[0];
                return Encoding.ASCII.GetString(Body, offset + 1, Body[offset]);
            }
        }

        public override string ToString() => IsCommand ? $"command {CommandName} ({Body.Length} bytes)" : $"message frame ({Body.Length} bytes{(More ? ", more" : "")})";
    }

    /// <summary>The complete frames after the greeting; a cut-off last frame is left out.</summary>
    public static List<Frame> Frames(byte[] stream)
    {
        var frames = new List<Frame>();
        int offset = GreetingSize;
        while (offset < stream.Length)
        {
            byte flags = stream[offset];
            bool isLong = (flags & 0x02) != 0;
            int headerLength = isLong ? 9 : 2;
            if (stream.Length - offset < headerLength)
            {
                break;
            }

            long size = isLong ? BinaryPrimitives.ReadInt64BigEndian(stream.AsSpan(offset + 1)) : stream[offset + 1];
            if (stream.Length - offset - headerLength < size)
            {
                break;
            }

            frames.Add(new Frame((flags & 0x04) != 0, (flags & 0x01) != 0, stream.AsSpan(offset + headerLength, (int)size).ToArray()));
            offset += headerLength + (int)size;
        }

        return frames;
    }
}
