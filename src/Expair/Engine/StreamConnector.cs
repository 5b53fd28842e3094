using System.Net.Sockets;
using Expair.Core;
using Expair.Internal;
using Expair.Transport;

namespace Expair.Engine;

/// <summary>
/// The connecting side over tcp or ipc. Owns the double queue from Connect on (31/EXPAIR) and keeps it
/// through lost connections, reconnecting after the reconnect interval, with back-off up to the maximum.
/// One thread of its own connects, runs each connection (its handshake, then its receive loop) and waits between
/// attempts; closing wakes it and joins it, so nothing here waits for a thread-pool thread.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The wait handle is only set and waited on, never exposed: it holds no kernel object.")]
internal sealed class StreamConnector : IEndpointHandler, IPeer, IProbedPeer
{
    private readonly Endpoint _endpoint;
    private readonly PairCore _core;
    private readonly SocketSettings _options;
    private readonly SocketDiagnostics _diagnostics;
    private readonly ManualResetEventSlim _closing = new(); // set by Close: ends the wait between attempts
    private readonly PeerPipes _pipes;
    private readonly Action<StreamConnector>? _gaveUp;
    private ZmtpEngine? _engine;
    private KernelSendQueue? _sendQueue; // the current connection's, for linger

    private readonly Lock _gate = new();
    private bool _closed;
    private Socket? _connecting; // the socket of a connect attempt in progress, disposed by Close to end it
    private Thread? _thread;

    /// <summary><paramref name="gaveUp"/> is called when the connector stops for good: reconnecting is off, or the handshake ended with ERROR.</summary>
    public StreamConnector(Endpoint endpoint, PairCore core, SocketSettings options, SocketDiagnostics diagnostics, Action<StreamConnector>? gaveUp = null)
    {
        _endpoint = endpoint;
        _gaveUp = gaveUp;
        _core = core;
        _options = options;
        _diagnostics = diagnostics;
        _pipes = new PeerPipes(new Pipe(options.SendHighWaterMark), new Pipe(options.ReceiveHighWaterMark));
    }

    public string Endpoint => _endpoint.ToString();

    public string Description => _endpoint.ToString();

    public void Start()
    {
        _core.RequestSlot(this, () => _pipes);
        _diagnostics.Connecting();
        _thread = IoThread.Start(Run, "Expair connection");
    }

    void IPeer.OnGranted(PeerPipes pipes)
    {
    }

    void IPeer.OnRefused(string reason)
    {
    }

    IConnectionProbe? IProbedPeer.Connection => Volatile.Read(ref _engine);

    /// <summary>
    /// The connector's thread: connects, runs each connection's handshake and receive loop itself, and waits out the
    /// reconnect interval, all with blocking calls that closing interrupts.
    /// </summary>
    private void Run()
    {
        var delay = _options.ReconnectInterval;
        while (!IsClosed)
        {
            string reason;
            ZmtpEngine engine;
            try
            {
                var socket = Connect();
                if (socket is null)
                    return; // closed meanwhile
                engine = new ZmtpEngine(socket, StreamTransport.Describe(socket, _endpoint), isServer: false, _core, _pipes, _options, _diagnostics);
                lock (_gate)
                {
                    if (_closed)
                    {
                        socket.Dispose();
                        return;
                    }
                    _diagnostics.Connected(engine.Description);
                    Volatile.Write(ref _sendQueue, KernelSendQueue.Open(socket));
                    Volatile.Write(ref _engine, engine);
                }
            }
            catch (ObjectDisposedException) when (IsClosed)
            {
                return; // closing disposed the socket just after it connected
            }
            catch (SocketException e)
            {
                reason = e.SocketErrorCode.ToString();
                if (!WaitToRetry(reason, ref delay))
                    return;
                continue;
            }
            reason = engine.Run(); // the engine reports how it ended
            lock (_gate)
            {
                Volatile.Write(ref _engine, null);
                Volatile.Write(ref _sendQueue, null);
            }
            if (IsClosed)
                return;
            if (engine.IsHandshakeComplete)
                delay = _options.ReconnectInterval; // a working connection resets the back-off
            if (engine.Refusal is { } refusal)
            {
                StopRefused(engine.Description, refusal);
                return;
            }
            if (!WaitToRetry(reason, ref delay))
                return;
        }
    }

    private bool IsClosed
    {
        get
        {
            lock (_gate)
                return _closed;
        }
    }

    /// <summary>
    /// One blocking connect attempt; null when closing came first. Closing disposes the socket under a connect in
    /// progress, which ends it.
    /// </summary>
    private Socket? Connect()
    {
        var socket = StreamTransport.NewSocket(_endpoint);
        lock (_gate)
        {
            if (_closed)
            {
                socket.Dispose();
                return null;
            }
            _connecting = socket;
        }
        try
        {
            StreamTransport.Connect(socket, _endpoint);
            return socket;
        }
        catch (Exception e) when (IsClosed && e is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            return null;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        finally
        {
            lock (_gate)
                _connecting = null;
        }
    }

    /// <summary>
    /// After a failed attempt or a lost connection: stops for good when reconnecting is off, else waits the reconnect
    /// interval (with back-off and jitter) or until closing. False when the connector is done.
    /// </summary>
    private bool WaitToRetry(string reason, ref TimeSpan delay)
    {
        if (IsClosed)
            return false;
        if (_options.ReconnectInterval == Timeout.InfiniteTimeSpan)
        {
            // libzmq's ZMQ_RECONNECT_IVL -1: the connection is not remade and the endpoint is freed, so
            // the socket may connect again; what arrived stays readable, what was queued is dropped.
            _core.Detach(this);
            _gaveUp?.Invoke(this);
            return false;
        }
        var wait = Jitter(delay);
        _diagnostics.ConnectRetried(reason, wait);
        // The whole wait, never less: a timed wait may wake a little early.
        var due = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        for (long left; (left = due - System.Diagnostics.Stopwatch.GetTimestamp()) > 0;)
        {
            if (_closing.Wait(TimeSpan.FromMilliseconds(Math.Ceiling(left * 1000.0 / System.Diagnostics.Stopwatch.Frequency))))
                return false;
        }
        if (_closing.IsSet)
            return false;
        if (_options.ReconnectIntervalMax > _options.ReconnectInterval)
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectIntervalMax.Ticks));
        return true;
    }

    /// <summary>
    /// 37/ZMTP: a peer that receives ERROR does not reconnect (libzmq obeys), and one that sent it refused the peer
    /// for good. The endpoint is freed as with reconnecting off; sends and receives then fail with the reason. The
    /// event comes last, so whoever sees it finds the socket already in that state (free to connect again).
    /// </summary>
    private void StopRefused(string peer, HandshakeRefusal refusal)
    {
        _core.DetachRefused(this, new EndpointRefusal(Endpoint, peer, refusal.Reason, refusal.ByPeer));
        _gaveUp?.Invoke(this);
        _diagnostics.ReconnectStopped(peer, refusal.Reason, refusal.ByPeer);
    }

    /// <summary>Up to 10 % random extra, so many clients cut off together do not all return at once.</summary>
    private static TimeSpan Jitter(TimeSpan delay) =>
        delay + TimeSpan.FromTicks((long)(delay.Ticks * 0.1 * Random.Shared.NextDouble()));

    public bool IsConnected => Volatile.Read(ref _engine) is { IsHandshakeComplete: true };

    public Task<bool> FlushAsync(Deadline deadline, CancellationToken cancellationToken) =>
        KernelDrain.WaitDeliveredAsync(() => _pipes.Outbound, () => Volatile.Read(ref _sendQueue), deadline, cancellationToken);

    public bool Flush(Deadline deadline) =>
        KernelDrain.WaitDelivered(() => _pipes.Outbound, () => Volatile.Read(ref _sendQueue), deadline);

    /// <summary>
    /// Stops connecting and the connection, and waits on the calling thread for the connector's thread to end: it
    /// ends on its own, so closing never waits for a thread-pool thread.
    /// </summary>
    public void Close()
    {
        Socket? connecting;
        lock (_gate)
        {
            _closed = true;
            connecting = _connecting;
        }
        _closing.Set();
        connecting?.Dispose(); // ends a connect in progress
        Volatile.Read(ref _engine)?.Stop("disconnecting");
        _thread?.Join();
        _core.Detach(this);
    }
}
