using System.Net.Sockets;
using Expair.Core;
using Expair.Internal;
using Expair.Transport;

namespace Expair.Engine;

/// <summary>
/// The connecting side over tcp or ipc. Owns the double queue from Connect on (31/EXPAIR) and keeps it
/// through lost connections, reconnecting after the reconnect interval, with back-off up to the maximum.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "CloseAsync cancels _stop, which holds no timer; the loop may still read its token afterwards.")]
internal sealed class StreamConnector : IEndpointHandler, IPeer, IProbedPeer
{
    private readonly Endpoint _endpoint;
    private readonly PairCore _core;
    private readonly SocketSettings _options;
    private readonly SocketDiagnostics _diagnostics;
    private readonly CancellationTokenSource _stop = new();
    private readonly PeerPipes _pipes;
    private readonly Action<StreamConnector>? _gaveUp;
    private ZmtpEngine? _engine;
    private KernelSendQueue? _sendQueue; // the current connection's, for linger

    // Closing waits only for the connection in progress (its engine ends on its own threads), not for the loop,
    // which may be waiting for a thread-pool thread (to start, or to finish a connect attempt or a reconnect
    // timer): once closed, the loop starts no connection and ends quietly when it resumes.
    private readonly Lock _gate = new();
    private bool _closed;
    // Set by the loop when its connection has ended. Closing waits on this, not on the engine's task: .NET runs only
    // one of a task's continuations on the completing thread and queues the others to the pool.
    private TaskCompletionSource? _connectionEnded;

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
        _ = Task.Run(RunAsync); // closing does not wait for the loop (see _connectionEnded)
    }

    void IPeer.OnGranted(PeerPipes pipes)
    {
    }

    void IPeer.OnRefused(string reason)
    {
    }

    IConnectionProbe? IProbedPeer.Connection => Volatile.Read(ref _engine);

    private async Task RunAsync()
    {
        var token = _stop.Token;
        var delay = _options.ReconnectInterval;
        while (!token.IsCancellationRequested)
        {
            string reason;
            (string Peer, HandshakeRefusal Refusal)? refused = null;
            try
            {
                var socket = await StreamTransport.ConnectAsync(_endpoint, token).ConfigureAwait(false);
                var engine = new ZmtpEngine(socket, StreamTransport.Describe(socket, _endpoint), isServer: false, _core, _pipes, _options, _diagnostics);
                Task<string> connection;
                KernelSendQueue? sendQueue;
                var ended = new TaskCompletionSource();
                lock (_gate)
                {
                    if (_closed)
                    {
                        socket.Dispose();
                        return;
                    }
                    _diagnostics.Connected(engine.Description);
                    sendQueue = KernelSendQueue.Open(socket); // before the engine moves the connection to a descriptor of its own
                    Volatile.Write(ref _sendQueue, sendQueue);
                    Volatile.Write(ref _engine, engine);
                    _connectionEnded = ended;
                    connection = engine.RunAsync(); // runs here until its first wait
                }
                reason = await connection.ConfigureAwait(false); // the engine reports how it ended
                Volatile.Write(ref _engine, null);
                Volatile.Write(ref _sendQueue, null);
                sendQueue?.Dispose(); // the connection's last descriptor: it closes now
                ended.TrySetResult();
                if (engine.IsHandshakeComplete)
                    delay = _options.ReconnectInterval; // a working connection resets the back-off
                if (engine.Refusal is { } refusal)
                    refused = (engine.Description, refusal);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e)
            {
                reason = e.SocketErrorCode.ToString();
            }
            if (token.IsCancellationRequested)
                return;
            if (refused is { } stop)
            {
                StopRefused(stop.Peer, stop.Refusal);
                return;
            }
            if (_options.ReconnectInterval == Timeout.InfiniteTimeSpan)
            {
                // libzmq's ZMQ_RECONNECT_IVL -1: the connection is not remade and the endpoint is freed, so
                // the socket may connect again; what arrived stays readable, what was queued is dropped.
                _core.Detach(this);
                _gaveUp?.Invoke(this);
                return;
            }
            var wait = Jitter(delay);
            _diagnostics.ConnectRetried(reason, wait);
            await WaitAsync(wait, token).ConfigureAwait(false);
            if (token.IsCancellationRequested)
                return;
            if (_options.ReconnectIntervalMax > _options.ReconnectInterval)
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectIntervalMax.Ticks));
        }
    }

    /// <summary>
    /// Waits <paramref name="wait"/>, or until <paramref name="token"/> is cancelled. Unlike <c>Task.Delay</c>,
    /// cancelling runs the rest of the loop on the cancelling thread, so closing ends the loop without waiting for
    /// a thread-pool thread (the timer's end still needs one: reconnecting does, closing does not).
    /// </summary>
    private static async Task WaitAsync(TimeSpan wait, CancellationToken token)
    {
        var woken = new TaskCompletionSource();
        using (token.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), woken))
        using (new Timer(static state => ((TaskCompletionSource)state!).TrySetResult(), woken, wait, Timeout.InfiniteTimeSpan))
            await woken.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// 37/ZMTP: a peer that receives ERROR does not reconnect (libzmq obeys), and one that sent it refused the peer
    /// for good. The endpoint is freed as with reconnecting off; sends and receives then fail with the reason.
    /// </summary>
    private void StopRefused(string peer, HandshakeRefusal refusal)
    {
        _diagnostics.ReconnectStopped(peer, refusal.Reason, refusal.ByPeer);
        _core.DetachRefused(this, $"The handshake with {peer} ended with ERROR \"{refusal.Reason}\" " +
            $"({(refusal.ByPeer ? "sent by the peer" : "sent by this socket")}), so the socket stopped connecting to {Endpoint} (37/ZMTP). " +
            "Connect again to retry.");
        _gaveUp?.Invoke(this);
    }

    /// <summary>Up to 10 % random extra, so many clients cut off together do not all return at once.</summary>
    private static TimeSpan Jitter(TimeSpan delay) =>
        delay + TimeSpan.FromTicks((long)(delay.Ticks * 0.1 * Random.Shared.NextDouble()));

    public bool IsConnected => Volatile.Read(ref _engine) is { IsHandshakeComplete: true };

    public Task<bool> FlushAsync(Deadline deadline, CancellationToken cancellationToken) =>
        KernelDrain.WaitDeliveredAsync(() => _pipes.Outbound, () => Volatile.Read(ref _sendQueue), deadline, cancellationToken);

    public bool Flush(Deadline deadline) =>
        KernelDrain.WaitDelivered(() => _pipes.Outbound, () => Volatile.Read(ref _sendQueue), deadline);

    public Task CloseAsync()
    {
        Task? connection;
        lock (_gate)
        {
            _closed = true;
            connection = _connectionEnded?.Task;
        }
        _stop.Cancel(); // not disposed: the loop may look at its token when it resumes
        Volatile.Read(ref _engine)?.Stop("disconnecting");
        return EndAsync(connection);
    }

    /// <summary>
    /// Waits for the last connection, which ends on its own threads (or on this one), never on one the thread pool
    /// has to provide.
    /// </summary>
    private async Task EndAsync(Task? connection)
    {
        if (connection is not null)
            await connection.ConfigureAwait(false);
        _core.Detach(this);
    }
}
