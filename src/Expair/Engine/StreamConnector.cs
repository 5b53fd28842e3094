using System.Net.Sockets;
using Expair.Core;
using Expair.Internal;
using Expair.Transport;

namespace Expair.Engine;

/// <summary>
/// The connecting side over tcp or ipc. Owns the double queue from Connect on (31/EXPAIR) and keeps it
/// through lost connections, reconnecting after the reconnect interval, with back-off up to the maximum.
/// </summary>
internal sealed class StreamConnector : IEndpointHandler, IPeer
{
    private readonly Endpoint _endpoint;
    private readonly PairCore _core;
    private readonly SocketSettings _options;
    private readonly SocketDiagnostics _diagnostics;
    private readonly CancellationTokenSource _stop = new();
    private readonly PeerPipes _pipes;
    private readonly Action<StreamConnector>? _gaveUp;
    private ZmtpEngine? _engine;

    /// <summary>The current connection's engine, if any (for tests).</summary>
    internal ZmtpEngine? Engine => Volatile.Read(ref _engine);
    private Task _loop = Task.CompletedTask;

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
        _loop = Task.Run(RunAsync);
    }

    void IPeer.OnGranted(PeerPipes pipes)
    {
    }

    void IPeer.OnRefused(string reason)
    {
    }

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
                _diagnostics.Connected(engine.Description);
                Volatile.Write(ref _engine, engine);
                if (token.IsCancellationRequested)
                    engine.Stop("disconnecting");
                reason = await engine.RunAsync().ConfigureAwait(false); // the engine reports how it ended
                Volatile.Write(ref _engine, null);
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
            try
            {
                await Task.Delay(wait, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (_options.ReconnectIntervalMax > _options.ReconnectInterval)
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectIntervalMax.Ticks));
        }
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
        PipeFlush.WaitDeliveredAsync(_pipes.Outbound, deadline, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        Volatile.Read(ref _engine)?.Stop("disconnecting");
        await _loop.ConfigureAwait(false);
        _core.Detach(this);
        _stop.Dispose();
    }
}
