namespace Expair.Internal;

/// <summary>
/// One monitor's events: a bounded ring that never makes the writer wait. When it is full the oldest event
/// is dropped and counted, and the reader is told how many with one <see cref="SocketEventKind.EventsDropped"/>
/// before the newest events. The lock guards a few array operations only; it is never held while waiting.
/// </summary>
internal sealed class EventBuffer
{
    private readonly Lock _lock = new();
    private readonly SocketEvent[] _ring;
    private int _head;
    private int _count;
    private int _dropped;
    private string? _droppedEndpoint;
    private bool _completed;
    private TaskCompletionSource<bool>? _waiter;

    public EventBuffer(int capacity) => _ring = new SocketEvent[capacity];

    public int Capacity => _ring.Length;

    /// <summary>Adds <paramref name="socketEvent"/>, dropping the oldest when full. Never blocks the caller (an I/O loop).</summary>
    public void Write(in SocketEvent socketEvent)
    {
        TaskCompletionSource<bool>? waiter;
        lock (_lock)
        {
            if (_completed)
                return;
            if (_count == _ring.Length)
            {
                _droppedEndpoint = _ring[_head].Endpoint;
                _head = (_head + 1) % _ring.Length;
                _count--;
                _dropped++;
            }
            _ring[(_head + _count) % _ring.Length] = socketEvent;
            _count++;
            waiter = _waiter;
            _waiter = null;
        }
        // The waiter runs its continuations asynchronously: the reader's code never runs on this thread.
        waiter?.TrySetResult(true);
    }

    /// <summary>No more events will be written; the reader still gets what is buffered, then the end.</summary>
    public void Complete()
    {
        TaskCompletionSource<bool>? waiter;
        lock (_lock)
        {
            _completed = true;
            waiter = _waiter;
            _waiter = null;
        }
        waiter?.TrySetResult(false);
    }

    public bool TryRead(out SocketEvent socketEvent)
    {
        lock (_lock)
        {
            if (_dropped > 0)
            {
                socketEvent = new SocketEvent
                {
                    Kind = SocketEventKind.EventsDropped,
                    Timestamp = DateTimeOffset.UtcNow,
                    Endpoint = _droppedEndpoint,
                    Count = _dropped,
                };
                _dropped = 0;
                return true;
            }
            if (_count == 0)
            {
                socketEvent = default;
                return false;
            }
            socketEvent = _ring[_head];
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
            _count--;
            return true;
        }
    }

    /// <summary>True when an event can be read; false once completed and drained.</summary>
    public async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<bool> wait;
            lock (_lock)
            {
                if (_count > 0 || _dropped > 0)
                    return true;
                if (_completed)
                    return false;
                _waiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiter.Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
