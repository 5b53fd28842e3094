using Expair.Core;
using Expair.Engine;

namespace Expair;

public sealed partial class PairSocket
{
    /// <summary>
    /// Waits until every message sent so far has been handed to the operating system (tcp/ipc) or put in the
    /// peer's queue (inproc), for at most <paramref name="timeout"/>. Returns true when nothing is left queued,
    /// false when the timeout passed first or the peer left and its queue was destroyed (31/EXPAIR). Use it
    /// before <see cref="Dispose"/> to know whether the linger flush would have had anything left to do.
    /// "Handed to the operating system" is as far as any ZeroMQ socket can see: bytes in kernel buffers are
    /// lost if the peer's process dies before reading them.
    /// </summary>
    /// <param name="timeout">Longest wait; <see cref="Timeout.InfiniteTimeSpan"/> waits until delivered.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not infinite.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    public ValueTask<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "timeout must be zero or more, or Timeout.InfiniteTimeSpan.");
        IEndpointHandler? handler;
        lock (_stateLock)
        {
            ThrowIfClosed();
            handler = _endpoint;
        }
        if (handler is null)
            return ValueTask.FromResult(true); // no endpoint, so no peer and no queue
        return new ValueTask<bool>(handler.FlushAsync(Deadline.After(timeout), cancellationToken));
    }

    /// <summary>
    /// Closes the socket: first lets queued messages go out for up to <see cref="PairSocketOptions.Linger"/>
    /// (zero: discards them at once), then closes the endpoint and its connections. Returns within the linger
    /// time plus the time to close, even when the peer stopped reading. Blocked senders and receivers get
    /// <see cref="ObjectDisposedException"/>. Monitors see <see cref="SocketEventKind.LingerExpired"/> if messages
    /// were left, then <see cref="SocketEventKind.Closed"/>, and end. The tcp port or ipc path can be bound again
    /// as soon as this returns.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        lock (_stateLock)
        {
            if (_disposal is null)
            {
                _disposeState = 1;
                _disposal = DisposeCoreAsync(_endpoint);
                _endpoint = null;
            }
        }
        return new ValueTask(_disposal);
    }

    private async Task DisposeCoreAsync(IEndpointHandler? handler)
    {
        if (handler is not null && Options.Linger != TimeSpan.Zero
            && !await handler.FlushAsync(Deadline.After(Options.Linger), CancellationToken.None).ConfigureAwait(false))
        {
            _diagnostics.LingerExpired(Options.Linger, _core.Outbound?.Count ?? 0);
        }
        Volatile.Write(ref _disposeState, 2);
        _core.Close();
        if (handler is not null)
            await handler.DisposeAsync().ConfigureAwait(false);
        _security.ReleaseForSocket(); // every connection has ended: a fresh CURVE client pair made for the socket is zeroed
        _diagnostics.Closed();
    }
}
