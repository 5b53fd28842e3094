namespace Expair.Engine;

/// <summary>What a socket's one Bind or Connect runs: a listener or a connector, for one transport.</summary>
internal interface IEndpointHandler : IAsyncDisposable
{
    /// <summary>The endpoint as bound (real port for <c>*</c>) or as connected.</summary>
    string Endpoint { get; }

    /// <summary>Starts listening or connecting; reports <see cref="SocketEventKind.Listening"/> or <see cref="SocketEventKind.Connecting"/>.</summary>
    void Start();

    /// <summary>True while a peer is linked and its handshake is complete.</summary>
    bool IsConnected { get; }

    /// <summary>Waits until what was sent has left for the peer, or the deadline passed. True when all left.</summary>
    Task<bool> FlushAsync(Core.Deadline deadline, CancellationToken cancellationToken);

    // DisposeAsync closes the endpoint and its connections.
}
