using Expair.Core;
using Expair.Transport;

namespace Expair.Engine;

/// <summary>
/// The last step of linger and <see cref="PairSocket.FlushAsync"/>: once the queue is written, wait until the
/// kernel has handed the bytes on (<see cref="KernelSendQueue"/>). The kernel gives no event for "empty", so it
/// looks again after pauses that double from 1 ms to 16 ms; no pause passes the deadline.
/// </summary>
internal static class KernelDrain
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(1), LongestPause = TimeSpan.FromMilliseconds(16);

    /// <summary>
    /// Waits until the queue <paramref name="outbound"/> names is written (<see cref="PipeFlush"/>) and the kernel
    /// send queue of the connection <paramref name="connection"/> names is empty. When that connection ends during
    /// the wait, what it held may be back in the queue for the next one, so the wait starts over. True when all
    /// left; false when the deadline passed or the queue was discarded with its peer.
    /// </summary>
    public static bool WaitDelivered(Func<Pipe?> outbound, Func<KernelSendQueue?> connection, Deadline deadline)
    {
        while (true)
        {
            if (outbound() is { } pipe && !PipeFlush.WaitDelivered(pipe, deadline))
                return false;
            var queue = connection();
            if (queue is null)
                return true;
            if (!Wait(queue, deadline))
                return false;
            if (connection() == queue)
                return true;
        }
    }

    /// <inheritdoc cref="WaitDelivered"/>
    public static async Task<bool> WaitDeliveredAsync(Func<Pipe?> outbound, Func<KernelSendQueue?> connection, Deadline deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (outbound() is { } pipe && !await PipeFlush.WaitDeliveredAsync(pipe, deadline, cancellationToken).ConfigureAwait(false))
                return false;
            var queue = connection();
            if (queue is null)
                return true;
            if (!await WaitAsync(queue, deadline, cancellationToken).ConfigureAwait(false))
                return false;
            if (connection() == queue)
                return true;
        }
    }

    /// <summary>Blocks until the queue is empty (true) or <paramref name="deadline"/> passes (false).</summary>
    private static bool Wait(KernelSendQueue queue, Deadline deadline)
    {
        for (var pause = FirstPause; ; pause = Longer(pause))
        {
            if (queue.UnsentBytes == 0)
                return true;
            if (!TryPause(deadline, pause, out var wait))
                return false;
            Thread.Sleep(wait);
        }
    }

    /// <inheritdoc cref="Wait"/>
    private static async Task<bool> WaitAsync(KernelSendQueue queue, Deadline deadline, CancellationToken cancellationToken)
    {
        for (var pause = FirstPause; ; pause = Longer(pause))
        {
            if (queue.UnsentBytes == 0)
                return true;
            if (!TryPause(deadline, pause, out var wait))
                return false;
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    private static TimeSpan Longer(TimeSpan pause) => pause * 2 < LongestPause ? pause * 2 : LongestPause;

    /// <summary>The next pause, cut to the time left; false once the deadline has passed.</summary>
    private static bool TryPause(Deadline deadline, TimeSpan pause, out TimeSpan wait)
    {
        var remaining = deadline.Remaining;
        wait = remaining == Timeout.InfiniteTimeSpan || remaining > pause ? pause : remaining;
        return remaining != TimeSpan.Zero;
    }
}
