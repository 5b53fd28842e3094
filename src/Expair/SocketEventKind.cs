namespace Expair;

/// <summary>
/// What a <see cref="SocketEvent"/> reports. Each kind except <see cref="EventsDropped"/> is also logged, with
/// the stable log event id named here, when <see cref="PairSocketOptions.LoggerFactory"/> is set.
/// See <c>docs/socket-events.md</c> for the sequences each transport produces.
/// </summary>
public enum SocketEventKind
{
    /// <summary><see cref="PairSocket.Bind"/> succeeded; <see cref="SocketEvent.Endpoint"/> is the endpoint as bound. Log 100.</summary>
    Listening,

    /// <summary><see cref="PairSocket.Bind"/> failed (it also throws); <see cref="SocketEvent.Reason"/> says why. Log 107.</summary>
    BindFailed,

    /// <summary>A bound tcp/ipc socket could not accept a connection (e.g. out of descriptors); it keeps listening. Log 109.</summary>
    AcceptFailed,

    /// <summary>A bound socket took a new connection (inproc: a connecting socket arrived); its handshake follows. Log 105.</summary>
    Accepted,

    /// <summary><see cref="PairSocket.Connect"/> was called; the connection is made in the background. Log 101.</summary>
    Connecting,

    /// <summary>The connecting side's transport connection is up (tcp/ipc: before the ZMTP handshake; inproc: linked). Log 108.</summary>
    Connected,

    /// <summary>
    /// The connecting side will try again after <see cref="SocketEvent.Delay"/> (the reconnect interval with its
    /// jitter and back-off) because the last attempt failed or the connection was lost; <see cref="SocketEvent.Reason"/> says why. Log 102.
    /// </summary>
    ConnectRetried,

    /// <summary>
    /// The ZMTP handshake completed and <see cref="SocketEvent.Peer"/> holds the PAIR slot: messages flow from now on.
    /// Inproc has no wire handshake and reports this when the link forms. Log 103.
    /// </summary>
    HandshakeSucceeded,

    /// <summary>
    /// A connection ended before its handshake completed (bad greeting, wrong socket type, security mechanism,
    /// the authenticator's denial, timeout, the peer's ERROR or departure); <see cref="SocketEvent.Reason"/> says
    /// which (a denial: "CURVE authentication denied: " or "PLAIN authentication denied: " and the authenticator's reason). Log 300, or 301 when the peer sent ERROR.
    /// </summary>
    HandshakeFailed,

    /// <summary>
    /// The connecting side has waited <see cref="SocketEvent.Delay"/> for the binder's READY: a bound PAIR socket
    /// that already has a peer holds extra peers in line. Reported once per connection, after one second. Log 204.
    /// </summary>
    HandshakeHeld,

    /// <summary>A bound socket that already has a peer put <see cref="SocketEvent.Peer"/> in its waiting line (see <see cref="PairSocketOptions.MaxWaitingPeers"/>). Log 200.</summary>
    PeerKeptWaiting,

    /// <summary>A bound socket that already has a peer and a full waiting line closed the connection of <see cref="SocketEvent.Peer"/>; <see cref="SocketEvent.Count"/> is the line's length. Log 201.</summary>
    PeerRefused,

    /// <summary>The peer left and the first waiting peer, <see cref="SocketEvent.Peer"/>, takes the PAIR slot. Log 202.</summary>
    WaitingPeerPromoted,

    /// <summary>An established connection broke the protocol or a limit and is closed; <see cref="Disconnected"/> follows. Log 300, or 301 when the peer sent ERROR.</summary>
    ProtocolError,

    /// <summary>The connection to the peer ended; <see cref="SocketEvent.Reason"/> says why. Log 104.</summary>
    Disconnected,

    /// <summary><see cref="SocketEvent.Count"/> messages queued for a departed peer were destroyed, as 31/EXPAIR requires. Log 203.</summary>
    MessagesDiscarded,

    /// <summary>
    /// Dispose waited the <see cref="PairSocketOptions.Linger"/> time (<see cref="SocketEvent.Delay"/>) and
    /// <see cref="SocketEvent.Count"/> messages were still queued; they are discarded. Log 110.
    /// </summary>
    LingerExpired,

    /// <summary>The socket is closed. The last event: the monitor's stream completes after it. Log 106.</summary>
    Closed,

    /// <summary>
    /// This monitor's buffer was full and its <see cref="SocketEvent.Count"/> oldest events were dropped; the
    /// events after this one are the newest. Per monitor, so never logged.
    /// </summary>
    EventsDropped,

    /// <summary>
    /// The connecting side stopped for good: its handshake ended with an ERROR command (37/ZMTP), sent by the peer
    /// (e.g. libzmq refusing a PAIR that connects to a DEALER) or by this socket (the peer is not a PAIR), and a
    /// connecting peer that sees ERROR does not reconnect. <see cref="SocketEvent.Reason"/> is the ERROR's reason.
    /// The endpoint is freed (the socket may bind or connect again); until it does, sends, and receives with nothing
    /// left to read, throw <see cref="ExpairException"/> with that reason. Follows <see cref="HandshakeFailed"/>. Log 302 (Error).
    /// </summary>
    ReconnectStopped,
}
