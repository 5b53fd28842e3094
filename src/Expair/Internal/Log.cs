using Microsoft.Extensions.Logging;

namespace Expair.Internal;

/// <summary>
/// Every log line Expair writes, with stable event ids (1xx lifecycle, 2xx peers, 3xx protocol errors).
/// Call these only from <see cref="SocketDiagnostics"/>, which publishes the matching socket event.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Information, "Bound {Endpoint}")]
    public static partial void Bound(ILogger logger, string endpoint);

    [LoggerMessage(101, LogLevel.Information, "Connecting to {Endpoint}")]
    public static partial void Connecting(ILogger logger, string endpoint);

    [LoggerMessage(102, LogLevel.Debug, "Connect to {Endpoint} failed ({Reason}); retrying in {DelayMs} ms")]
    public static partial void ConnectRetry(ILogger logger, string endpoint, string reason, long delayMs);

    [LoggerMessage(103, LogLevel.Information, "Connected to {Peer}")]
    public static partial void PeerConnected(ILogger logger, string peer);

    [LoggerMessage(104, LogLevel.Information, "Peer {Peer} disconnected: {Reason}")]
    public static partial void PeerDisconnected(ILogger logger, string peer, string reason);

    [LoggerMessage(105, LogLevel.Debug, "Accepted a connection from {Peer}")]
    public static partial void Accepted(ILogger logger, string peer);

    [LoggerMessage(106, LogLevel.Information, "Socket closed")]
    public static partial void Closed(ILogger logger);

    [LoggerMessage(107, LogLevel.Warning, "Bind to {Endpoint} failed: {Reason}")]
    public static partial void BindFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(108, LogLevel.Debug, "Connection to {Peer} established; handshaking")]
    public static partial void TransportConnected(ILogger logger, string peer);

    [LoggerMessage(109, LogLevel.Warning, "Accept on {Endpoint} failed ({Reason}); still listening")]
    public static partial void AcceptFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(110, LogLevel.Warning, "Linger of {LingerMs} ms expired with {Count} messages not yet handed to the OS; they are discarded")]
    public static partial void LingerExpired(ILogger logger, long lingerMs, int count);

    [LoggerMessage(120, LogLevel.Debug, "Heartbeats with {Peer}: a PING every {IntervalMs} ms, dropped after {TimeoutMs} ms of silence after one, TTL {TtlDeciseconds} tenths of a second")]
    public static partial void HeartbeatsStarted(ILogger logger, string peer, long intervalMs, long timeoutMs, int ttlDeciseconds);

    [LoggerMessage(121, LogLevel.Information, "Peer {Peer} speaks ZMTP 3.0, which has no PING: no heartbeats on this connection")]
    public static partial void HeartbeatsUnsupported(ILogger logger, string peer);

    [LoggerMessage(200, LogLevel.Warning, "Peer {Peer} kept waiting: this PAIR socket already has peer {Current}; it gets the slot when that peer leaves")]
    public static partial void PeerKeptWaiting(ILogger logger, string peer, string current);

    [LoggerMessage(201, LogLevel.Warning, "Peer {Peer} refused: this PAIR socket already has peer {Current} and {Waiting} more waiting")]
    public static partial void PeerRefusedBusy(ILogger logger, string peer, string current, int waiting);

    [LoggerMessage(202, LogLevel.Information, "Waiting peer {Peer} takes the free PAIR slot")]
    public static partial void WaitingPeerPromoted(ILogger logger, string peer);

    [LoggerMessage(203, LogLevel.Information, "Discarded {Count} messages queued for departed peer {Peer}")]
    public static partial void OutboundDiscarded(ILogger logger, string peer, int count);

    [LoggerMessage(204, LogLevel.Warning, "Handshake with {Peer} is still waiting for the peer's READY after {Ms} ms: a bound PAIR socket that already has a peer holds extra peers until it is free")]
    public static partial void HandshakeHeld(ILogger logger, string peer, long ms);

    [LoggerMessage(300, LogLevel.Warning, "Connection from {Peer} closed: {Reason}")]
    public static partial void ProtocolError(ILogger logger, string peer, string reason);

    [LoggerMessage(301, LogLevel.Warning, "Peer {Peer} refused the connection with ERROR: {Reason}")]
    public static partial void PeerSentError(ILogger logger, string peer, string reason);

    [LoggerMessage(302, LogLevel.Error, "Stopped connecting to {Endpoint}: the handshake with {Peer} ended with ERROR \"{Reason}\" ({Side}); 37/ZMTP says not to reconnect")]
    public static partial void ReconnectStopped(ILogger logger, string endpoint, string peer, string reason, string side);

    [LoggerMessage(314, LogLevel.Warning, "Left out {Count} repeats of warning {EventId} in the last {WindowSeconds} s (identical warnings are written once per {WindowSeconds} s): {Reason}")]
    public static partial void RepeatsLeftOut(ILogger logger, int count, int eventId, long windowSeconds, string reason);

    [LoggerMessage(310, LogLevel.Warning, "Peer {Peer} dropped: heartbeat timeout, nothing received for {SilentMs} ms after a PING (timeout {TimeoutMs} ms)")]
    public static partial void HeartbeatTimeout(ILogger logger, string peer, long silentMs, long timeoutMs);

    [LoggerMessage(311, LogLevel.Warning, "Peer {Peer} dropped: nothing received for {SilentMs} ms after its PING with a TTL of {TtlMs} ms")]
    public static partial void HeartbeatTtlExpired(ILogger logger, string peer, long silentMs, long ttlMs);

    [LoggerMessage(312, LogLevel.Warning, "Closed the oldest pending handshake, from {Peer}: more than MaxPendingHandshakes ({Max}) connections to {Endpoint} were handshaking")]
    public static partial void PendingHandshakeEvicted(ILogger logger, string peer, int max, string endpoint);

    [LoggerMessage(313, LogLevel.Warning, "Connection from {Peer} closed: handshake not completed within {TimeoutMs} ms")]
    public static partial void HandshakeTimedOut(ILogger logger, string peer, long timeoutMs);
}
