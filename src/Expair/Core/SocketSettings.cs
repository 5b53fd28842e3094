using Expair.Protocol.Mechanisms;

namespace Expair.Core;

/// <summary>
/// The settings the layers below the public API read, built once from the public options when the socket
/// is created, so nothing below the API sees the public options type.
/// Each property has the name, meaning and validated range of the option it comes from.
/// </summary>
internal sealed record SocketSettings
{
    /// <summary>Messages queued for the peer before a send waits; 0 means no limit.</summary>
    public required int SendHighWaterMark { get; init; }

    /// <summary>Messages queued from the peer before it is no longer read; 0 means no limit.</summary>
    public required int ReceiveHighWaterMark { get; init; }

    /// <summary>Wait before a connector retries; infinite means never reconnect.</summary>
    public required TimeSpan ReconnectInterval { get; init; }

    /// <summary>Upper bound of the doubling reconnect wait; no back-off when not above <see cref="ReconnectInterval"/>.</summary>
    public required TimeSpan ReconnectIntervalMax { get; init; }

    /// <summary>Longest a connection may take to finish the ZMTP handshake; infinite turns the limit off.</summary>
    public required TimeSpan HandshakeTimeout { get; init; }

    /// <summary>Connections a listener lets sit in the handshake at once; at least 1.</summary>
    public required int MaxPendingHandshakes { get; init; }

    /// <summary>Time between PINGs; zero sends none.</summary>
    public required TimeSpan HeartbeatInterval { get; init; }

    /// <summary>Silence after a PING before the connection is dropped; zero means <see cref="HeartbeatInterval"/>.</summary>
    public required TimeSpan HeartbeatTimeout { get; init; }

    /// <summary>TTL sent in each PING, a whole number of tenths of a second up to 6553.5 s; zero sends none.</summary>
    public required TimeSpan HeartbeatTtl { get; init; }

    /// <summary>Largest message accepted from the peer, in bytes over all its frames; -1 means no limit.</summary>
    public required long MaxMessageSize { get; init; }

    /// <summary>Peers a bound socket keeps waiting while it has one.</summary>
    public required int MaxWaitingPeers { get; init; }

    /// <summary>
    /// Makes the security mechanism of one tcp or ipc connection, given the metadata it sends (37/ZMTP); null
    /// means NULL. Built from the socket's security once per socket; inproc has no handshake and ignores it.
    /// </summary>
    public Func<IReadOnlyList<KeyValuePair<string, string>>, IMechanism>? CreateMechanism { get; init; }

    /// <summary>
    /// Asks the socket's authenticator about a peer (its identity and address) on the connection's own thread,
    /// blocking it up to the authentication timeout: null allows it, a reason denies it. Null when the socket has no
    /// authenticator.
    /// </summary>
    public Func<PeerIdentity, string, CancellationToken, string?>? Authenticate { get; init; }
}
