namespace Expair.Protocol;

/// <summary>The peer broke the protocol or a limit, or refused us with ERROR; the message is the logged reason.</summary>
internal sealed class ProtocolViolationException(string message) : Exception(message)
{
    /// <summary>The reason in the peer's ERROR command, when that is what ended the connection.</summary>
    public string? PeerError { get; init; }

    public static ProtocolViolationException FromPeerError(string reason) => new($"peer sent ERROR: {reason}") { PeerError = reason };
}
