using System.Net.Sockets;
using Expair.Core;
using Expair.Internal;
using Expair.Transport;

namespace Expair.Engine;

/// <summary>
/// The binding side over tcp or ipc: accepts connections and runs a server engine for each. Which of them
/// becomes the peer is decided by <see cref="PairCore"/>, not here.
/// </summary>
internal sealed class StreamListener : IEndpointHandler
{
    private readonly Socket _listener;
    private readonly Endpoint _bound;
    private readonly PairCore _core;
    private readonly SocketSettings _options;
    private readonly SocketDiagnostics _diagnostics;
    private readonly Lock _lock = new();
    private readonly Dictionary<ZmtpEngine, Task> _engines = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly PendingHandshakes _pending;
    private Task _acceptLoop = Task.CompletedTask;

    public StreamListener(Endpoint endpoint, PairCore core, SocketSettings options, SocketDiagnostics diagnostics)
    {
        (_listener, _bound) = StreamTransport.Listen(endpoint);
        _core = core;
        _options = options;
        _diagnostics = diagnostics;
        _pending = new PendingHandshakes(options.MaxPendingHandshakes);
    }

    public string Endpoint => _bound.ToString();

    public void Start()
    {
        _diagnostics.Listening();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (token.IsCancellationRequested)
            {
                return; // unbinding closed the listener under a pending accept (OperationAborted): not a failure
            }
            catch (SocketException e)
            {
                // Out of descriptors or a connection reset before accept: keep listening.
                _diagnostics.AcceptFailed(e.SocketErrorCode.ToString());
                continue;
            }
            StreamTransport.Tune(socket);
            var engine = new ZmtpEngine(socket, StreamTransport.Describe(socket, _bound), isServer: true, _core, null, _options, _diagnostics);
            _diagnostics.Accepted(engine.Description);
            var pending = _pending.Add(engine, out var evicted);
            engine.PeerReady = () => _pending.Remove(pending);
            if (evicted is not null)
                Evict(evicted);
            lock (_lock)
            {
                if (token.IsCancellationRequested)
                {
                    socket.Dispose();
                    return;
                }
                _engines[engine] = RunEngineAsync(engine, pending);
            }
        }
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
        await Task.Yield();
        await engine.RunAsync().ConfigureAwait(false); // the engine reports how it ended
        _pending.Remove(pending);
        lock (_lock)
            _engines.Remove(engine);
    }

    public bool IsConnected => _core.HasPeer;

    public Task<bool> FlushAsync(Deadline deadline, CancellationToken cancellationToken) =>
        _core.Outbound is { } outbound ? PipeFlush.WaitDeliveredAsync(outbound, deadline, cancellationToken) : Task.FromResult(true);

    public async ValueTask DisposeAsync()
    {
        Task[] running;
        lock (_lock)
        {
            _stop.Cancel();
            foreach (var engine in _engines.Keys)
                engine.Stop("unbinding");
            running = [.. _engines.Values];
        }
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(running).ConfigureAwait(false);
        if (_bound.Kind == TransportKind.Ipc)
            Transport.Ipc.IpcTransport.Cleanup(_bound);
        _stop.Dispose();
    }
}
