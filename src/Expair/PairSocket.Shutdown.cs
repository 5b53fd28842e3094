using Expair.Core;
using Expair.Engine;

namespace Expair;

public sealed partial class PairSocket
{
    /// <summary>
    /// Waits until every message sent so far has left, for at most <paramref name="timeout"/>: over tcp and ipc,
    /// written to the connection and taken from the kernel's send queue (on Linux; elsewhere, written), which
    /// for ipc means read by the peer process and for tcp acknowledged by the peer's kernel; over inproc, put
    /// in the peer's queue. Returns true when nothing is left (also when the peer took everything and then left),
    /// false when the timeout passed first or the peer left with messages still queued, which were destroyed
    /// (31/EXPAIR). Use it before <see cref="Dispose"/> to know whether the linger flush would have had anything
    /// left to do. A tcp peer's kernel may still lose bytes it acknowledged if the peer's process dies before
    /// reading them: ZMTP has no delivery receipt.
    /// </summary>
    /// <param name="timeout">Longest wait; <see cref="Timeout.InfiniteTimeSpan"/> waits until delivered.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not infinite.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    /// <exception cref="HandshakeRefusedException">
    /// The connecting socket's handshake ended with ERROR (a CURVE or PLAIN server denied it): nothing will deliver
    /// the queue, which was discarded. Thrown as soon as the refusal ends the wait, or at once when it came before,
    /// as sends do, until the socket connects or binds again.
    /// </exception>
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
        if (handler is null) // no endpoint, so no peer and no queue: a refused connector freed it
            return _core.Refusal is null ? ValueTask.FromResult(true) : ValueTask.FromException<bool>(RefusedByHandshake());
        var flush = handler.FlushAsync(Deadline.After(timeout), cancellationToken);
        return flush.IsCompletedSuccessfully && flush.Result ? ValueTask.FromResult(true) : FlushedOrRefusedAsync(flush);
    }

    /// <summary>A failed flush whose queue a refusal discarded says why (the refusal is set before the discard).</summary>
    private async ValueTask<bool> FlushedOrRefusedAsync(Task<bool> flush)
    {
        if (await flush.ConfigureAwait(false))
            return true;
        return _core.Refusal is null ? false : throw RefusedByHandshake();
    }

    /// <summary>
    /// Closes the socket: first lets queued messages go out for up to <see cref="PairSocketOptions.Linger"/>
    /// (zero: discards them at once), then closes the endpoint and its connections. Over tcp and ipc "go out"
    /// means written and taken from the kernel's send queue (on Linux; elsewhere, written): for ipc, read by the
    /// peer process. Returns within the linger time plus the time to close, even when the peer stopped reading.
    /// Blocked senders and receivers get <see cref="ObjectDisposedException"/>. Monitors see
    /// <see cref="SocketEventKind.LingerExpired"/> if messages were left, then <see cref="SocketEventKind.Closed"/>,
    /// and end. The tcp port or ipc path can be bound again as soon as this returns. It needs no thread-pool thread:
    /// it stops the socket's own threads and joins them on the calling thread.
    /// </summary>
    public void Dispose()
    {
        if (!BeginDispose(out var handler))
        {
            _disposal!.Task.GetAwaiter().GetResult(); // another call is closing; it finishes without this thread
            return;
        }
        try
        {
            var flushed = handler is null || Options.Linger == TimeSpan.Zero || handler.Flush(Deadline.After(Options.Linger));
            EndLinger(flushed);
            handler?.Close(); // joins the connections' own threads on this one
            EndDispose();
        }
        catch (Exception e)
        {
            _disposal!.TrySetException(e);
            throw;
        }
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        if (BeginDispose(out var handler))
            _ = CloseAsync(handler);
        return new ValueTask(_disposal!.Task); // continues on the thread pool, never on a socket's thread
    }

    private async Task CloseAsync(IEndpointHandler? handler)
    {
        try
        {
            var flushed = handler is null || Options.Linger == TimeSpan.Zero
                || await handler.FlushAsync(Deadline.After(Options.Linger), CancellationToken.None).ConfigureAwait(false);
            EndLinger(flushed);
            // Joining the socket's threads blocks: done on a thread of its own, not on the caller's nor a pool thread.
            if (handler is not null)
                await Task.Factory.StartNew(handler.Close, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            EndDispose();
        }
        catch (Exception e)
        {
            _disposal!.TrySetException(e);
        }
    }

    /// <summary>True for the first call, which closes; later ones wait for <see cref="_disposal"/>.</summary>
    private bool BeginDispose(out IEndpointHandler? handler)
    {
        lock (_stateLock)
        {
            handler = _endpoint;
            if (_disposal is not null)
                return false;
            // Callers waiting for another's close continue on the thread pool, not on the thread that closed.
            _disposal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _disposeState = 1;
            _endpoint = null;
            return true;
        }
    }

    private void EndLinger(bool flushed)
    {
        if (!flushed)
            _diagnostics.LingerExpired(Options.Linger, _core.Outbound?.Count ?? 0);
        Volatile.Write(ref _disposeState, 2);
        _core.Close();
    }

    private void EndDispose()
    {
        _security.ReleaseForSocket(); // every connection has ended: a fresh CURVE client pair made for the socket is zeroed
        _diagnostics.Closed();
        _disposal!.TrySetResult();
    }
}
