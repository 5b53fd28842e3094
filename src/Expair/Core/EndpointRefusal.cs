namespace Expair.Core;

/// <summary>
/// Why the connecting endpoint stopped for good: its handshake with <paramref name="Peer"/> ended with an ERROR
/// command whose reason is <paramref name="Reason"/>, sent by the peer or by this socket (37/ZMTP).
/// </summary>
internal sealed record EndpointRefusal(string Endpoint, string Peer, string Reason, bool ByPeer)
{
    /// <summary>What sends, receives and flushes that fail because of it say.</summary>
    public string Message =>
        $"The handshake with {Peer} ended with ERROR \"{Reason}\" ({(ByPeer ? "sent by the peer" : "sent by this socket")}), " +
        $"so the socket stopped connecting to {Endpoint} (37/ZMTP). Connect again to retry.";
}
