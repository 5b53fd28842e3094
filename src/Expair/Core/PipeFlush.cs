namespace Expair.Core;

/// <summary>Waiting for an outbound pipe to empty: what linger and the socket's FlushAsync do.</summary>
internal static class PipeFlush
{
    /// <summary>
    /// Waits until every message queued in <paramref name="outbound"/> was handed to the OS (nothing queued,
    /// nothing in flight). False when the deadline passed first, or the pipe was destroyed with its peer while
    /// messages were in it (31/EXPAIR: a departed peer's queue is discarded, so what was in it was not delivered).
    /// </summary>
    public static async Task<bool> WaitDeliveredAsync(Pipe outbound, Deadline deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            var seen = outbound.Writable.Version;
            if (Settled(outbound) is { } settled)
                return settled;
            if (!await WaitAsync(outbound.Writable, seen, deadline, cancellationToken).ConfigureAwait(false))
                return DeliveredAtDeadline(outbound);
        }
    }

    /// <summary>
    /// <see cref="WaitDeliveredAsync"/>, blocking the caller's thread: it sleeps on the pipe's signal, which the
    /// connection's own send thread sets, so no thread-pool thread is needed (Dispose on a starved pool).
    /// </summary>
    public static bool WaitDelivered(Pipe outbound, Deadline deadline)
    {
        while (true)
        {
            var seen = outbound.Writable.Version;
            if (Settled(outbound) is { } settled)
                return settled;
            if (!outbound.Writable.Wait(seen, deadline))
                return DeliveredAtDeadline(outbound);
        }
    }

    /// <summary>
    /// True when everything left, false when the pipe was discarded with messages in it, null while messages are
    /// still queued. A pipe discarded empty had handed everything over before its peer left: that is a success,
    /// whichever came first, the flush's look or the peer reading and leaving at once.
    /// </summary>
    private static bool? Settled(Pipe outbound)
    {
        // A stream engine's outbound pipe is never closed by its writer, only discarded.
        if (outbound.IsWriterClosed)
            return outbound.IsDiscardedEmpty;
        return outbound.IsIdleElseWatch() ? true : null;
    }

    private static bool DeliveredAtDeadline(Pipe outbound) => outbound.IsWriterClosed ? outbound.IsDiscardedEmpty : outbound.IsIdle;

    /// <summary>Waits for <paramref name="signal"/> to move past <paramref name="seen"/>; false when the deadline came first.</summary>
    public static async Task<bool> WaitAsync(Signal signal, long seen, Deadline deadline, CancellationToken cancellationToken)
    {
        var remaining = deadline.Remaining;
        if (remaining == TimeSpan.Zero)
            return false;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(remaining); // infinite stays infinite
        try
        {
            await signal.WaitAsync(seen, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
