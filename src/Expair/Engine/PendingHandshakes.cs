namespace Expair.Engine;

/// <summary>
/// The connections of one listener still in the ZMTP handshake, oldest first, capped at
/// <see cref="Core.SocketSettings.MaxPendingHandshakes"/>. Closing the oldest when a new one arrives means a
/// flood of connections that never finish (nothing sent, half a greeting) cannot lock the real peer out:
/// the real peer finishes in a few round trips, while each squatter is pushed out by the ones behind it.
/// </summary>
internal sealed class PendingHandshakes(int max)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<ZmtpEngine> _engines = [];

    /// <summary>Adds a new connection; <paramref name="evicted"/> is the oldest one, to close, when there are now too many.</summary>
    public LinkedListNode<ZmtpEngine> Add(ZmtpEngine engine, out ZmtpEngine? evicted)
    {
        evicted = null;
        lock (_lock)
        {
            var node = _engines.AddLast(engine);
            if (_engines.Count > max)
            {
                evicted = _engines.First!.Value;
                _engines.RemoveFirst();
            }
            return node;
        }
    }

    /// <summary>The connection finished its side of the handshake, or ended. Safe to call more than once.</summary>
    public void Remove(LinkedListNode<ZmtpEngine> node)
    {
        lock (_lock)
        {
            if (node.List is not null)
                _engines.Remove(node);
        }
    }
}
