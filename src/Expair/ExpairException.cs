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
