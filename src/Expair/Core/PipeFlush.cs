namespace Expair.Core;

/// <summary>Waiting for an outbound pipe to empty: what linger and the socket's FlushAsync do.</summary>
internal static class PipeFlush
{
    /// <summary>
    /// Waits until every message queued in <paramref name="outbound"/> was handed to the OS (nothing queued,
    /// nothing in flight). False when the deadline passed first, or the pipe was destroyed with its peer
    /// (31/EXPAIR: a departed peer's queue is discarded, so what was in it was not delivered).
    /// </summary>
    public static async Task<bool> WaitDeliveredAsync(Pipe outbound, Deadline deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            var seen = outbound.Writable.Version;
            // A stream engine's outbound pipe is never closed by its writer, only discarded.
            if (outbound.IsWriterClosed)
                return false;
            if (outbound.IsIdleElseWatch())
                return true;
            if (!await WaitAsync(outbound.Writable, seen, deadline, cancellationToken).ConfigureAwait(false))
                return outbound.IsIdle && !outbound.IsWriterClosed;
        }
    }

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
