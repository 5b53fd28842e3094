using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Expair.Internal;

/// <summary>
/// One socket's metrics, on the one <see cref="ExpairMetrics.MeterName"/> meter. Events (connections, reconnects,
/// handshake failures, refused and held peers, discarded messages) are counters that do nothing unless a listener
/// enabled them. Traffic (messages and bytes each way) and queue depths are observable instruments: a listener's
/// collection reads the totals the pipes keep anyway (<see cref="Core.PairCore.ReadTotals"/>), so sending and
/// receiving never touch the metrics. Every measurement carries the socket's endpoint and transport.
/// </summary>
internal sealed class SocketMetrics
{
    private static readonly Meter Meter = new(ExpairMetrics.MeterName, typeof(SocketMetrics).Assembly.GetName().Version?.ToString(3));

    // Live sockets for the observable instruments; weak, so a socket that was never disposed still goes away.
    private static readonly ConditionalWeakTable<SocketMetrics, object?> Live = new();

    private static readonly Counter<long> ConnectionsOpened = Meter.CreateCounter<long>("expair.connections.opened", "{connection}",
        "Connections that completed the ZMTP handshake and took the PAIR slot (inproc: links formed).");
    private static readonly Counter<long> ConnectionsClosed = Meter.CreateCounter<long>("expair.connections.closed", "{connection}",
        "Handshaken connections that ended.");
    private static readonly Counter<long> Reconnects = Meter.CreateCounter<long>("expair.reconnects", "{attempt}",
        "Times the connecting side scheduled another connection attempt.");
    private static readonly Counter<long> HandshakeFailures = Meter.CreateCounter<long>("expair.handshake.failures", "{connection}",
        "Connections that ended before their handshake completed, by expair.reason.");
    private static readonly Counter<long> PeersRefused = Meter.CreateCounter<long>("expair.peers.refused", "{peer}",
        "Peers a bound socket closed because it had a peer and its waiting line was full.");
    private static readonly Counter<long> PeersHeld = Meter.CreateCounter<long>("expair.peers.held", "{peer}",
        "Peers a bound socket with a peer put in its waiting line, their handshake held.");
    private static readonly Counter<long> MessagesDiscarded = Meter.CreateCounter<long>("expair.messages.discarded", "{message}",
        "Queued messages destroyed: queued for a peer that left, or left when the linger time ended.");

    static SocketMetrics()
    {
        Meter.CreateObservableCounter("expair.messages.sent", () => Observe(static t => t.MessagesSent), "{message}",
            "Messages the application queued for the peer.");
        Meter.CreateObservableCounter("expair.bytes.sent", () => Observe(static t => t.BytesSent), "By",
            "Payload bytes (all frames) of the messages queued for the peer.");
        Meter.CreateObservableCounter("expair.messages.received", () => Observe(static t => t.MessagesReceived), "{message}",
            "Messages that arrived from the peer.");
        Meter.CreateObservableCounter("expair.bytes.received", () => Observe(static t => t.BytesReceived), "By",
            "Payload bytes (all frames) of the messages that arrived from the peer.");
        Meter.CreateObservableUpDownCounter("expair.queue.outbound", () => Observe(static t => t.QueuedOutbound), "{message}",
            "Messages queued for the current peer and not yet taken by the connection (at most the send high-water mark).");
        Meter.CreateObservableUpDownCounter("expair.queue.inbound", () => Observe(static t => t.QueuedInbound), "{message}",
            "Messages that arrived and were not yet received by the application.");
    }

    private Func<TrafficTotals>? _totals;
    private KeyValuePair<string, object?>[]? _tags; // null until the socket is bound or connecting

    /// <summary>
    /// The socket is bound (<paramref name="role"/> <c>bind</c>) or connecting (<c>connect</c>) at
    /// <paramref name="endpoint"/>: every measurement from now on carries them and the transport. The role tells
    /// apart the two ends of one endpoint in one process.
    /// </summary>
    public void Opened(string endpoint, string role)
    {
        var end = endpoint.IndexOf("://", StringComparison.Ordinal);
        Volatile.Write(ref _tags, [
            new("expair.endpoint", endpoint),
            new("expair.transport", end > 0 ? endpoint[..end] : ""),
            new("expair.role", role),
        ]);
    }

    /// <summary>Starts reporting the socket's traffic from <paramref name="totals"/> (read only when a listener collects).</summary>
    public void Track(Func<TrafficTotals> totals)
    {
        _totals = totals;
        Live.AddOrUpdate(this, null);
    }

    /// <summary>The socket closed: its traffic is no longer reported.</summary>
    public void Untrack() => Live.Remove(this);

    public void ConnectionOpened() => Add(ConnectionsOpened);

    public void ConnectionClosed() => Add(ConnectionsClosed);

    public void Reconnect() => Add(Reconnects);

    /// <param name="reason"><c>timeout</c>, <c>evicted</c>, <c>peer_error</c> or <c>error</c>: a small fixed set, fit for a tag.</param>
    public void HandshakeFailed(string reason)
    {
        if (!HandshakeFailures.Enabled)
            return;
        var tags = new TagList(Tags()) { { "expair.reason", reason } };
        HandshakeFailures.Add(1, tags);
    }

    public void PeerRefused() => Add(PeersRefused);

    public void PeerHeld() => Add(PeersHeld);

    public void Discarded(int count)
    {
        if (count > 0)
            Add(MessagesDiscarded, count);
    }

    private void Add(Counter<long> counter, long value = 1)
    {
        if (counter.Enabled)
            counter.Add(value, Tags());
    }

    private ReadOnlySpan<KeyValuePair<string, object?>> Tags() => Volatile.Read(ref _tags);

    /// <summary>One measurement per live socket that has an endpoint; runs only when a listener collects.</summary>
    private static List<Measurement<long>> Observe(Func<TrafficTotals, long> value)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var (metrics, _) in Live)
        {
            if (metrics._totals is { } totals && Volatile.Read(ref metrics._tags) is { } tags)
                measurements.Add(new Measurement<long>(value(totals()), tags));
        }
        return measurements;
    }
}
