namespace Expair;

/// <summary>Base type of the errors Expair reports that are not argument, state or timeout errors.</summary>
public class ExpairException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ExpairException() { }

    /// <summary>Creates the exception with a message.</summary>
    public ExpairException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ExpairException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// An endpoint could not be bound or used: the address is in use, not available on this machine, or refused
/// by the operating system. <see cref="Endpoint"/> names it.
/// </summary>
public sealed class EndpointException : ExpairException
{
    /// <summary>Creates the exception.</summary>
    public EndpointException() { }

    /// <summary>Creates the exception with a message.</summary>
    public EndpointException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public EndpointException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for <paramref name="endpoint"/>.</summary>
    public EndpointException(string endpoint, string message, Exception? innerException = null)
        : base($"{endpoint}: {message}", innerException!) => Endpoint = endpoint;

    /// <summary>The endpoint that failed.</summary>
    public string? Endpoint { get; }
}

/// <summary>
/// The connecting socket's handshake ended with an ERROR command (37/ZMTP), so it stopped connecting for good
/// (libzmq does the same): a CURVE or PLAIN server denied this client (<see cref="Reason"/> "400"), the peer is
/// not a PAIR socket, or this socket refused the peer. Sends, receives with nothing left to read, and
/// <see cref="PairSocket.FlushAsync"/> throw it until the socket connects or binds again; what was queued was
/// discarded, undelivered.
/// </summary>
public sealed class HandshakeRefusedException : ExpairException
{
    /// <summary>Creates the exception.</summary>
    public HandshakeRefusedException() { }

    /// <summary>Creates the exception with a message.</summary>
    public HandshakeRefusedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public HandshakeRefusedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for the ERROR <paramref name="reason"/> that ended the handshake with <paramref name="endpoint"/>.</summary>
    public HandshakeRefusedException(string message, string endpoint, string reason, bool sentByPeer)
        : base(message)
    {
        Endpoint = endpoint;
        Reason = reason;
        SentByPeer = sentByPeer;
    }

    /// <summary>The endpoint the socket was connecting to.</summary>
    public string? Endpoint { get; }

    /// <summary>The ERROR command's reason, exactly as sent: "400" when a CURVE or PLAIN server denied this client.</summary>
    public string? Reason { get; }

    /// <summary>True when the peer sent the ERROR; false when this socket sent it (it refused the peer).</summary>
    public bool SentByPeer { get; }
}
