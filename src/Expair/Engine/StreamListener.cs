using System.Net.Sockets;
using Expair.Core;
using Expair.Internal;
using Expair.Transport;
using Expair.Transport.Ipc;

namespace Expair.Engine;

/// <summary>
/// The binding side over tcp or ipc: accepts connections and runs a server engine for each. Which of them
/// becomes the peer is decided by <see cref="PairCore"/>, not here. Accepting runs on a thread of its own, so a
/// busy thread pool cannot keep a peer out, and closing waits for nothing the thread pool has to run.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "CloseAsync ends the listener and disposes the listening socket.")]
internal sealed class StreamListener : IEndpointHandler
{
    private readonly Socket _listener;
    private readonly Endpoint _bound;
    private readonly IpcSocketFile? _socketFile; // the ipc file this listener bound, removed at the end only if still its own
    private readonly PairCore _core;
    private readonly SocketSettings _options;
    private readonly SocketDiagnostics _diagnostics;
    private readonly Lock _lock = new();
    // The running engines, each with a view of its kernel send queue once its peer sent READY (for linger).
    private readonly Dictionary<ZmtpEngine, KernelSendQueue?> _engines = [];
    // Completes when closing and the last engine has ended; no RunContinuationsAsynchronously, see CloseAsync.
    private readonly TaskCompletionSource _enginesEnded = new();
    private readonly PendingHandshakes _pending;
    private bool _closing;
    private Task _acceptLoop = Task.CompletedTask;

    public StreamListener(Endpoint endpoint, PairCore core, SocketSettings options, SocketDiagnostics diagnostics)
    {
        (_listener, _bound) = StreamTransport.Listen(endpoint);
        if (_bound.Kind == TransportKind.Ipc)
            _socketFile = IpcSocketFile.Bound(_bound.Address);
        _core = core;
        _options = options;
        _diagnostics = diagnostics;
        _pending = new PendingHandshakes(options.MaxPendingHandshakes);
    }

    public string Endpoint => _bound.ToString();

    public void Start()
    {
        _diagnostics.Listening();
        _acceptLoop = IoThread.Run(AcceptLoop, "Expair accept");
    }

    /// <summary>Blocking accepts on the accept thread, until closing disposes the listening socket under it.</summary>
    private void AcceptLoop()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = _listener.Accept();
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (Volatile.Read(ref _closing))
            {
                return; // closing shut the listener under a blocked accept: not a failure
            }
            catch (SocketException e)
            {
                // Out of descriptors or a connection reset before accept: keep listening.
                _diagnostics.AcceptFailed(e.SocketErrorCode.ToString());
                continue;
            }
            if (!Run(socket))
                return;
        }
    }

    /// <summary>Starts an engine for an accepted connection; false (and the connection closed) when closing.</summary>
    private bool Run(Socket socket)
    {
        StreamTransport.Tune(socket);
        var engine = new ZmtpEngine(socket, StreamTransport.Describe(socket, _bound), isServer: true, _core, null, _options, _diagnostics);
        _diagnostics.Accepted(engine.Description);
        var pending = _pending.Add(engine, out var evicted);
        engine.PeerReady = () =>
        {
            _pending.Remove(pending);
            TrackSendQueue(engine, socket);
        };
        if (evicted is not null)
            Evict(evicted);
        lock (_lock)
        {
            if (_closing)
            {
                _pending.Remove(pending);
                socket.Dispose();
                return false;
            }
            _engines.Add(engine, null);
        }
        // The engine runs here until its first wait (it sends the greeting and waits for the peer's), then on.
        _ = RunEngineAsync(engine, pending);
        return true;
    }

    /// <summary>
    /// The peer sent READY: it may become the peer (or wait for the slot), so linger will want its kernel send
    /// queue. Taken now, while <paramref name="socket"/> is still the engine's descriptor.
    /// </summary>
    private void TrackSendQueue(ZmtpEngine engine, Socket socket)
    {
        var queue = KernelSendQueue.Open(socket);
        lock (_lock)
        {
            if (_engines.ContainsKey(engine))
            {
                _engines[engine] = queue;
                return;
            }
        }
        queue?.Dispose(); // ended already
    }

    /// <summary>Closes the oldest pending handshake; logged only if that is why it ends (it may be timing out).</summary>
    private void Evict(ZmtpEngine engine)
    {
        var reason = $"closed as the oldest of more than {_options.MaxPendingHandshakes} pending handshakes";
        if (engine.ClaimEnd(reason))
            _diagnostics.PendingHandshakeEvicted(engine.Description, reason, _options.MaxPendingHandshakes);
        engine.Stop(reason);
        engine.CloseNow();
    }

    private async Task RunEngineAsync(ZmtpEngine engine, LinkedListNode<ZmtpEngine> pending)
    {
        await engine.RunAsync().ConfigureAwait(false); // the engine reports how it ended
        _pending.Remove(pending);
        KernelSendQueue? queue;
        bool last;
        lock (_lock)
        {
            _engines.Remove(engine, out queue);
            last = _closing && _engines.Count == 0;
        }
        queue?.Dispose(); // the connection's last descriptor: it closes now
        if (last)
            _enginesEnded.TrySetResult();
    }

    public bool IsConnected => _core.HasPeer;

    public Task<bool> FlushAsync(Deadline deadline, CancellationToken cancellationToken) =>
        KernelDrain.WaitDeliveredAsync(() => _core.Outbound, PeerSendQueue, deadline, cancellationToken);

    public bool Flush(Deadline deadline) => KernelDrain.WaitDelivered(() => _core.Outbound, PeerSendQueue, deadline);

    /// <summary>The kernel send queue of the connection that holds the PAIR slot, if any.</summary>
    private KernelSendQueue? PeerSendQueue()
    {
        if (_core.CurrentPeer is not ZmtpEngine peer)
            return null;
        lock (_lock)
            return _engines.GetValueOrDefault(peer);
    }

    public Task CloseAsync()
    {
        ZmtpEngine[] running;
        lock (_lock)
        {
            if (_closing)
                throw new InvalidOperationException("The listener is already closed.");
            _closing = true;
            running = [.. _engines.Keys];
            if (running.Length == 0)
                _enginesEnded.TrySetResult();
        }
        foreach (var engine in running)
            engine.Stop("unbinding");
        _listener.Dispose(); // ends a blocked accept
        return EndAsync();
    }

    /// <summary>
    /// Waits for the accept thread and the engines. Their tasks complete on their own threads and run this on,
    /// so a closing socket never waits for a thread-pool thread to become free.
    /// </summary>
    private async Task EndAsync()
    {
        await _acceptLoop.ConfigureAwait(false);
        await _enginesEnded.Task.ConfigureAwait(false);
        _socketFile?.RemoveIfOwn();
    }
}
