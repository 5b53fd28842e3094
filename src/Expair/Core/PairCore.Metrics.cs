using Expair.Internal;

namespace Expair.Core;

/// <summary>
/// The socket's traffic totals for metrics, read from the counters the pipes keep anyway (messages and bytes
/// written), so sending and receiving pay nothing for them. A pipe counts while it can still be written; once it
/// is replaced or finished its counts move to the retired totals, so the sums only grow.
/// </summary>
internal sealed partial class PairCore
{
    private Pipe? _countedOutbound; // the outbound pipe being counted: the current one, or the last before a detach
    private long _retiredSent;
    private long _retiredSentBytes;
    private long _retiredReceived;
    private long _retiredReceivedBytes;

    /// <summary>Messages and bytes queued for the peer and arrived from it since the socket was made, and what is queued now.</summary>
    public TrafficTotals ReadTotals()
    {
        lock (_lock)
        {
            var totals = new TrafficTotals
            {
                MessagesSent = _retiredSent,
                BytesSent = _retiredSentBytes,
                MessagesReceived = _retiredReceived,
                BytesReceived = _retiredReceivedBytes,
            };
            if (_countedOutbound is { } outbound)
            {
                totals.MessagesSent += outbound.MessagesWritten;
                totals.BytesSent += outbound.BytesWritten;
            }
            if (_outbound is { } current)
                totals.QueuedOutbound = Math.Max(0, current.MessagesWritten - current.MessagesRead);
            foreach (var inbound in _inbound)
            {
                totals.MessagesReceived += inbound.MessagesWritten;
                totals.BytesReceived += inbound.BytesWritten;
                totals.QueuedInbound += Math.Max(0, inbound.MessagesWritten - inbound.MessagesRead);
            }
            return totals;
        }
    }

    /// <summary>Under the lock, when <paramref name="outbound"/> becomes the peer's queue: the one counted before retires.</summary>
    private void CountOutboundLocked(Pipe outbound)
    {
        if (ReferenceEquals(_countedOutbound, outbound))
            return;
        if (_countedOutbound is { } old)
        {
            _retiredSent += old.MessagesWritten;
            _retiredSentBytes += old.BytesWritten;
        }
        _countedOutbound = outbound;
    }

    /// <summary>Under the lock, as a drained inbound pipe whose writer is gone leaves the list: its counts are final.</summary>
    private void RetireInboundLocked(Pipe inbound)
    {
        _retiredReceived += inbound.MessagesWritten;
        _retiredReceivedBytes += inbound.BytesWritten;
    }
}
