using System.Runtime.CompilerServices;
using Expair.Internal;

namespace Expair;

/// <summary>
/// A subscription to what happens to a <see cref="PairSocket"/> (see <see cref="SocketEventKind"/>), from
/// <see cref="PairSocket.Monitor"/>. Events are buffered per monitor, up to <see cref="Capacity"/>; a monitor
/// that is not read never slows the socket: when its buffer is full the oldest event is dropped, and the reader
/// is told how many with one <see cref="SocketEventKind.EventsDropped"/> event ahead of the newest ones.
/// After the socket's <see cref="SocketEventKind.Closed"/> event, or after <see cref="Dispose"/>, reading
/// returns what is left and then ends. Meant for one reader at a time.
/// </summary>
public sealed class SocketMonitor : IDisposable
{
    /// <summary>The buffer size <see cref="PairSocket.Monitor"/> uses when none is given: 1024 events.</summary>
    public const int DefaultCapacity = 1024;

    private readonly SocketDiagnostics _source;
    private readonly EventBuffer _buffer;

    internal SocketMonitor(SocketDiagnostics source, int capacity)
    {
        _source = source;
        _buffer = new EventBuffer(capacity);
        source.Subscribe(_buffer);
    }

    /// <summary>Most events held for this monitor before the oldest is dropped.</summary>
    public int Capacity => _buffer.Capacity;

    /// <summary>Takes the next event if one is buffered. Never waits.</summary>
    public bool TryRead(out SocketEvent socketEvent) => _buffer.TryRead(out socketEvent);

    /// <summary>
    /// Waits until an event can be read (true), or the monitor has ended and is drained (false): after the
    /// socket closed or this monitor was disposed.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => _buffer.WaitToReadAsync(cancellationToken);

    /// <summary>
    /// Every event, as it happens, until the socket closes (its <see cref="SocketEventKind.Closed"/> event is the
    /// last) or this monitor is disposed. Leaving the loop early does not end the subscription: dispose the monitor.
    /// </summary>
    public async IAsyncEnumerable<SocketEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await _buffer.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_buffer.TryRead(out var socketEvent))
                yield return socketEvent;
        }
    }

    /// <summary>Stops receiving events. What is already buffered can still be read.</summary>
    public void Dispose()
    {
        _source.Unsubscribe(_buffer);
        _buffer.Complete();
    }
}
