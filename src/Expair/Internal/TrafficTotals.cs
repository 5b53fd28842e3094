namespace Expair.Internal;

/// <summary>A socket's traffic as metrics report it: totals since it was made, and its queues now.</summary>
internal struct TrafficTotals
{
    public long MessagesSent;
    public long BytesSent;
    public long MessagesReceived;
    public long BytesReceived;
    public long QueuedOutbound;
    public long QueuedInbound;
}
