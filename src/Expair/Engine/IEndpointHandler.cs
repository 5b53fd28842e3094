namespace Expair.Engine;

/// <summary>What a socket's one Bind or Connect runs: a listener or a connector, for one transport.</summary>
internal interface IEndpointHandler
{
    /// <summary>The endpoint as bound (real port for <c>*</c>) or as connected.</summary>
    string Endpoint { get; }

    /// <summary>Starts listening or connecting; reports <see cref="SocketEventKind.Listening"/> or <see cref="SocketEventKind.Connecting"/>.</summary>
    void Start();

    /// <summary>True while a peer is linked and its handshake is complete.</summary>
    bool IsConnected { get; }

    /// <summary>
    /// Waits until what was sent has left for the peer (tcp/ipc: written, and taken from the kernel's send queue),
    /// or the deadline passed. True when all left.
    /// </summary>
    Task<bool> FlushAsync(Core.Deadline deadline, CancellationToken cancellationToken);

    /// <summary><see cref="FlushAsync"/> blocking the caller's thread, with no thread-pool thread needed (linger in Dispose).</summary>
    bool Flush(Core.Deadline deadline);

    /// <summary>
    /// Closes the endpoint and its connections and returns when all is closed: it signals their threads and joins
    /// them on the calling thread, so Dispose, Unbind and Disconnect never wait for a thread-pool thread.
    /// </summary>
    void Close();
}
