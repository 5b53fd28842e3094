using Microsoft.Extensions.Logging;

namespace Expair.Internal;

/// <summary>
/// The one place a socket reports what happens to it: each method writes its <see cref="Log"/> line (stable
/// event id) and publishes the matching <see cref="SocketEvent"/> to the socket's monitors, so the log and the
/// event stream never disagree. Engines, connectors, listeners and the PAIR core call these methods with plain
/// strings and never see the public event types. With no monitor, publishing is one volatile read.
/// </summary>
internal sealed class SocketDiagnostics(ILogger log, RepeatedWarnings? repeatedWarnings = null)
{
    /// <summary>How long an identical warning that a peer can repeat at will stays quiet after it was written.</summary>
    public static readonly TimeSpan RepeatWindow = TimeSpan.FromSeconds(10);

    private readonly RepeatedWarnings _repeats = repeatedWarnings ?? new RepeatedWarnings(RepeatWindow);
    private readonly Lock _lock = new();
    private EventBuffer[] _monitors = []; // copied on change, so publishing reads it without a lock
    private bool _completed;
    private string? _endpoint;

    /// <summary>The socket's metrics; the event methods below count on them too.</summary>
    public SocketMetrics Metrics { get; } = new();

    /// <summary>The socket's endpoint, stamped on every event; set by the socket on Bind and Connect.</summary>
    public string? Endpoint
    {
        get => Volatile.Read(ref _endpoint);
        set => Volatile.Write(ref _endpoint, value);
    }

    public void Subscribe(EventBuffer monitor)
    {
        lock (_lock)
        {
            if (!_completed)
            {
                _monitors = [.. _monitors, monitor];
                return;
            }
        }
        monitor.Complete(); // the socket already closed: nothing will come
    }

    public void Unsubscribe(EventBuffer monitor)
    {
        lock (_lock)
            _monitors = [.. _monitors.Where(m => !ReferenceEquals(m, monitor))];
    }

    public void Listening()
    {
        Metrics.Opened(Endpoint ?? "", "bind");
        Log.Bound(log, Endpoint ?? "");
        Publish(SocketEventKind.Listening);
    }

    public void BindFailed(string endpoint, string reason)
    {
        Log.BindFailed(log, endpoint, reason);
        Publish(new SocketEvent { Kind = SocketEventKind.BindFailed, Endpoint = endpoint, Reason = reason });
    }

    public void AcceptFailed(string reason)
    {
        Log.AcceptFailed(log, Endpoint ?? "", reason);
        Publish(SocketEventKind.AcceptFailed, reason: reason);
    }

    public void Accepted(string peer) => Publish(SocketEventKind.Accepted, Log.Accepted, peer);

    public void Connecting()
    {
        Metrics.Opened(Endpoint ?? "", "connect");
        Log.Connecting(log, Endpoint ?? "");
        Publish(SocketEventKind.Connecting);
    }

    public void Connected(string peer) => Publish(SocketEventKind.Connected, Log.TransportConnected, peer);

    public void ConnectRetried(string reason, TimeSpan delay)
    {
        Metrics.Reconnect();
        Log.ConnectRetry(log, Endpoint ?? "", reason, (long)delay.TotalMilliseconds);
        Publish(SocketEventKind.ConnectRetried, reason: reason, delay: delay);
    }

    public void HandshakeSucceeded(string peer)
    {
        Metrics.ConnectionOpened();
        Publish(SocketEventKind.HandshakeSucceeded, Log.PeerConnected, peer);
    }

    /// <summary>
    /// A connection failed: <see cref="SocketEventKind.HandshakeFailed"/> before its handshake completed,
    /// <see cref="SocketEventKind.ProtocolError"/> after. For a connection the peer made (<paramref name="accepted"/>),
    /// it can fail the same way as often as it reconnects, so identical warnings are rate-limited (<see cref="RepeatedWarnings"/>);
    /// our own reconnects are paced by the reconnect interval.
    /// </summary>
    public void ConnectionFailed(string peer, string reason, bool handshakeComplete, string? peerError, bool accepted = false)
    {
        if (!handshakeComplete)
            Metrics.HandshakeFailed(peerError is not null ? "peer_error" : "error");
        if (peerError is not null)
        {
            if (!accepted || ShouldWrite(301, peerError))
                Log.PeerSentError(log, peer, peerError);
        }
        else if (!accepted || ShouldWrite(300, reason))
            Log.ProtocolError(log, peer, reason);
        Publish(handshakeComplete ? SocketEventKind.ProtocolError : SocketEventKind.HandshakeFailed, peer, reason);
    }

    /// <summary>The connecting side's handshake ended with ERROR and it stops for good: <see cref="SocketEventKind.ReconnectStopped"/>, log 302.</summary>
    public void ReconnectStopped(string peer, string reason, bool byPeer)
    {
        Log.ReconnectStopped(log, Endpoint ?? "", peer, reason, byPeer ? "sent by the peer" : "sent by this socket");
        Publish(SocketEventKind.ReconnectStopped, peer, reason);
    }

    /// <summary>The handshake timer ran out: <see cref="SocketEventKind.HandshakeFailed"/>, log 313.</summary>
    public void HandshakeTimedOut(string peer, string reason, long timeoutMs)
    {
        Metrics.HandshakeFailed("timeout");
        Log.HandshakeTimedOut(log, peer, timeoutMs);
        Publish(SocketEventKind.HandshakeFailed, peer, reason);
    }

    /// <summary>Too many connections were handshaking and this, the oldest, was closed: <see cref="SocketEventKind.HandshakeFailed"/>, log 312.</summary>
    public void PendingHandshakeEvicted(string peer, string reason, int max)
    {
        Metrics.HandshakeFailed("evicted");
        Log.PendingHandshakeEvicted(log, peer, max, Endpoint ?? "");
        Publish(SocketEventKind.HandshakeFailed, peer, reason);
    }

    // Heartbeat detail lines (120, 121, 310, 311) have no event of their own: a heartbeat failure ends the
    // connection, and the Disconnected event that follows carries the same reason.
    public void HeartbeatsStarted(string peer, long intervalMs, long timeoutMs, int ttlDeciseconds) =>
        Log.HeartbeatsStarted(log, peer, intervalMs, timeoutMs, ttlDeciseconds);

    public void HeartbeatsUnsupported(string peer) => Log.HeartbeatsUnsupported(log, peer);

    public void HeartbeatTimeout(string peer, long silentMs, long timeoutMs) => Log.HeartbeatTimeout(log, peer, silentMs, timeoutMs);

    public void HeartbeatTtlExpired(string peer, long silentMs, long ttlMs) => Log.HeartbeatTtlExpired(log, peer, silentMs, ttlMs);

    public void HandshakeHeld(string peer, TimeSpan waited)
    {
        Log.HandshakeHeld(log, peer, (long)waited.TotalMilliseconds);
        Publish(SocketEventKind.HandshakeHeld, peer, delay: waited);
    }

    public void PeerKeptWaiting(string peer, string current)
    {
        Metrics.PeerHeld();
        Log.PeerKeptWaiting(log, peer, current);
        Publish(SocketEventKind.PeerKeptWaiting, peer);
    }

    public void PeerRefused(string peer, string current, int waiting)
    {
        Metrics.PeerRefused();
        Log.PeerRefusedBusy(log, peer, current, waiting);
        Publish(SocketEventKind.PeerRefused, peer, $"this PAIR socket already has peer {current} and {waiting} more waiting", count: waiting);
    }

    public void WaitingPeerPromoted(string peer) => Publish(SocketEventKind.WaitingPeerPromoted, Log.WaitingPeerPromoted, peer);

    public void Disconnected(string peer, string reason)
    {
        Metrics.ConnectionClosed();
        Log.PeerDisconnected(log, peer, reason);
        Publish(SocketEventKind.Disconnected, peer, reason);
    }

    public void MessagesDiscarded(string peer, int count)
    {
        Metrics.Discarded(count);
        Log.OutboundDiscarded(log, peer, count);
        Publish(SocketEventKind.MessagesDiscarded, peer, count: count);
    }

    public void LingerExpired(TimeSpan linger, int count)
    {
        Log.LingerExpired(log, (long)linger.TotalMilliseconds, count);
        Publish(SocketEventKind.LingerExpired, delay: linger, count: count);
    }

    /// <summary>The socket is closed: the last event. Every monitor's stream ends after it.</summary>
    public void Closed()
    {
        Metrics.Untrack();
        Log.Closed(log);
        Publish(SocketEventKind.Closed);
        EventBuffer[] monitors;
        lock (_lock)
        {
            _completed = true;
            monitors = _monitors;
            _monitors = [];
        }
        foreach (var monitor in monitors)
            monitor.Complete();
    }

    /// <summary>
    /// For a warning a peer can repeat at will (it reconnects after each one): false when an identical one was
    /// written within <see cref="RepeatWindow"/>; before the next one written, a line counts those left out (log 314).
    /// </summary>
    private bool ShouldWrite(int eventId, string reason)
    {
        if (!log.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Warning))
            return false;
        if (!_repeats.ShouldWrite(eventId, reason, out var leftOut))
            return false;
        if (leftOut > 0)
            Log.RepeatsLeftOut(log, leftOut, eventId, (long)_repeats.Window.TotalSeconds, reason);
        return true;
    }

    /// <summary>Logs a line whose only argument is the peer, and publishes <paramref name="kind"/> about that peer.</summary>
    private void Publish(SocketEventKind kind, Action<ILogger, string> logLine, string peer)
    {
        logLine(log, peer);
        Publish(kind, peer);
    }

    private void Publish(SocketEventKind kind, string? peer = null, string? reason = null, TimeSpan? delay = null, int count = 0)
    {
        if (Volatile.Read(ref _monitors).Length == 0)
            return; // nobody listens: nothing is recorded
        Publish(new SocketEvent { Kind = kind, Endpoint = Endpoint, Peer = peer, Reason = reason, Delay = delay, Count = count });
    }

    private void Publish(SocketEvent socketEvent)
    {
        var monitors = Volatile.Read(ref _monitors);
        if (monitors.Length == 0)
            return;
        socketEvent = socketEvent with { Timestamp = DateTimeOffset.UtcNow };
        foreach (var monitor in monitors)
            monitor.Write(socketEvent);
    }
}
