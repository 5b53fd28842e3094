namespace Expair.Protocol;

/// <summary>The peer broke the protocol or a limit, or refused us with ERROR; the message is the logged reason.</summary>
internal sealed class ProtocolViolationException(string message) : Exception(message)
{
    /// <summary>The reason in the peer's ERROR command, when that is what ended the connection.</summary>
    public string? PeerError { get; init; }

    /// <summary>True when this side wrote ERROR before failing (37/ZMTP: it refused the peer, e.g. its socket type).</summary>
    public bool SentError { get; init; }

    /// <summary>The handshake ended with an ERROR command, either way: 37/ZMTP says the connecting side does not retry.</summary>
    public bool IsRefusal => PeerError is not null || SentError;

    public static ProtocolViolationException FromPeerError(string reason) => new($"peer sent ERROR: {reason}") { PeerError = reason };
}
