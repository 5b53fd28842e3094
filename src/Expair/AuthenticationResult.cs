namespace Expair;

/// <summary>An <see cref="IPeerAuthenticator"/>'s answer: allow the peer, or deny it with a reason.</summary>
public sealed class AuthenticationResult
{
    private AuthenticationResult(string? denyReason) => DenyReason = denyReason;

    /// <summary>The peer may become the socket's peer.</summary>
    public static AuthenticationResult Allow { get; } = new(null);

    /// <summary>
    /// The peer is refused: the server sends it an ERROR command (27/ZAP's meaning: do not retry with these
    /// credentials) and closes the connection. <paramref name="reason"/> goes to the socket's events and log.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="reason"/> is null or empty.</exception>
    public static AuthenticationResult Deny(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new AuthenticationResult(reason);
    }

    /// <summary>Whether the peer is allowed.</summary>
    public bool IsAllowed => DenyReason is null;

    /// <summary>Why the peer was denied; null when it is allowed.</summary>
    public string? DenyReason { get; }

    /// <summary>"allow" or "deny: reason".</summary>
    public override string ToString() => IsAllowed ? "allow" : $"deny: {DenyReason}";
}
