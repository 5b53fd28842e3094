using System.Net.Sockets;
using Expair.Core;
using Expair.Internal;
using Expair.Transport;
using Expair.Transport.Ipc;

namespace Expair.Engine;

/// <summary>
/// The binding side over tcp or ipc: accepts connections and runs a server engine for each, each on a thread of its
/// own (its handshake, then its receive loop). Which of them becomes the peer is decided by <see cref="PairCore"/>,
/// not here. Accepting runs on a thread of its own too, so a busy thread pool cannot keep a peer out, and closing
/// joins these threads: it waits for nothing the thread pool has to run. The connection threads are bounded by
/// <see cref="SocketSettings.MaxPendingHandshakes"/> (older pending handshakes are closed), the waiting line
/// (<see cref="SocketSettings.MaxWaitingPeers"/>) and the one peer.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Close ends the listener and disposes the listening socket.")]
internal sealed class StreamListener : IEndpointHandler
{
    private readonly Socket _listener;
    private readonly Endpoint _bound;
    private readonly IpcSocketFile? _socketFile; // the ipc file this listener bound, removed at the end only if still its own
    private readonly PairCore _core;
    private readonly SocketSettings _options;
    private readonly SocketDiagnostics _diagnostics;
    private readonly Lock _lock = new();
    // The running engines, each with a view of its kernel send queue (for linger).
    private readonly Dictionary<ZmtpEngine, KernelSendQueue?> _engines = [];
    // Set when closing and the last engine has ended (each engine's thread ends just after).
    private readonly ManualResetEventSlim _enginesEnded = new();
    private readonly PendingHandshakes _pending;
    private bool _closing;
    private Thread? _acceptThread;

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
        _acceptThread = IoThread.Start(AcceptLoop, "Expair accept");
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

    /// <summary>Starts an engine on a thread of its own for an accepted connection; false (and the connection closed) when closing.</summary>
    private bool Run(Socket socket)
    {
        StreamTransport.Tune(socket);
        var engine = new ZmtpEngine(socket, StreamTransport.Describe(socket, _bound), isServer: true, _core, null, _options, _diagnostics);
        _diagnostics.Accepted(engine.Description);
        var pending = _pending.Add(engine, out var evicted);
        engine.PeerReady = () => _pending.Remove(pending);
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
            _engines.Add(engine, KernelSendQueue.Open(socket));
        }
        IoThread.Start(() => RunEngine(engine, pending), "Expair connection");
        return true;
    }

    /// <summary>Closes the oldest pending handshake; logged only if that is why it ends (it may be timing out).</summary>
    private void Evict(ZmtpEngine engine)
    {
        var reason = $"closed as the oldest of more than {_options.MaxPendingHandshakes} pending handshakes";
        if (engine.ClaimEnd(reason))
            _diagnostics.PendingHandshakeEvicted(engine.Description, reason, _options.MaxPendingHandshakes);
        engine.Stop(reason); // shuts its socket down: its thread wakes and closes it at once
    }

    /// <summary>An accepted connection's thread: the handshake, the receive loop if it becomes the peer, the end.</summary>
    private void RunEngine(ZmtpEngine engine, LinkedListNode<ZmtpEngine> pending)
    {
        engine.Run(); // the engine reports how it ended
        _pending.Remove(pending);
        bool last;
        lock (_lock)
        {
            _engines.Remove(engine);
            last = _closing && _engines.Count == 0;
        }
        if (last)
            _enginesEnded.Set();
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

    /// <summary>
    /// Stops the engines and the accept thread and waits for them on the calling thread: they end on their own
    /// threads, so a closing socket never waits for a thread-pool thread to become free.
    /// </summary>
    public void Close()
    {
        ZmtpEngine[] running;
        lock (_lock)
        {
            if (_closing)
                throw new InvalidOperationException("The listener is already closed.");
            _closing = true;
            running = [.. _engines.Keys];
            if (running.Length == 0)
                _enginesEnded.Set();
        }
        foreach (var engine in running)
            engine.Stop("unbinding");
        _listener.Dispose(); // ends a blocked accept
        _acceptThread?.Join();
        _enginesEnded.Wait();
        _socketFile?.RemoveIfOwn();
    }
}
