namespace Expair.Transport;

/// <summary>
/// An endpoint could not be bound: the address is in use or not available, or the operating system refused.
/// Transport's own error, so it needs nothing from the public API; the socket reports it as an
/// <c>EndpointException</c> with the same endpoint and reason.
/// </summary>
internal sealed class TransportException(string endpoint, string reason, Exception? innerException = null)
    : Exception($"{endpoint}: {reason}", innerException)
{
    /// <summary>The endpoint that failed, as given (for a tcp bind, before a port is chosen).</summary>
    public string Endpoint { get; } = endpoint;

    /// <summary>Why, without the endpoint.</summary>
    public string Reason { get; } = reason;
}
