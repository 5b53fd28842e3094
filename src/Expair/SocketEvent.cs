namespace Expair;

/// <summary>
/// One thing that happened to a <see cref="PairSocket"/>, as read from a <see cref="SocketMonitor"/>.
/// Which properties are set depends on <see cref="Kind"/> (see each <see cref="SocketEventKind"/> member).
/// </summary>
public readonly record struct SocketEvent
{
    /// <summary>What happened.</summary>
    public SocketEventKind Kind { get; init; }

    /// <summary>When it happened (UTC).</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The socket's endpoint (as bound, with the real port, or as connected), or null before it has one.</summary>
    public string? Endpoint { get; init; }

    /// <summary>The remote side, when known: <c>tcp://address:port</c>, the ipc path, or the inproc name.</summary>
    public string? Peer { get; init; }

    /// <summary>Why, for failures, refusals and disconnections; otherwise null.</summary>
    public string? Reason { get; init; }

    /// <summary>The wait before a reconnect, how long a handshake was held, or the linger time; otherwise null.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>How many: messages discarded, events dropped, or peers already waiting; otherwise 0.</summary>
    public int Count { get; init; }

    /// <summary>A one-line description, e.g. <c>HandshakeSucceeded tcp://127.0.0.1:5555 peer=tcp://127.0.0.1:40312</c>.</summary>
    public override string ToString()
    {
        var text = $"{Kind} {Endpoint}";
        if (Peer is not null)
            text += $" peer={Peer}";
        if (Reason is not null)
            text += $" reason=\"{Reason}\"";
        if (Delay is { } delay)
            text += $" delay={delay.TotalMilliseconds:0}ms";
        if (Count != 0)
            text += $" count={Count}";
        return text;
    }
}
