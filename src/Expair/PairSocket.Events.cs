namespace Expair;

public sealed partial class PairSocket
{
    /// <summary>
    /// Starts recording what happens to this socket (see <see cref="SocketEventKind"/>) into a new
    /// <see cref="SocketMonitor"/>, from this call on: call it before <see cref="Bind"/> or <see cref="Connect"/>
    /// to see every event. Recording never blocks or slows the socket: each monitor holds at most
    /// <paramref name="capacity"/> events and drops the oldest when full (reporting how many). The monitor's
    /// stream ends after the socket's <see cref="SocketEventKind.Closed"/> event. Any number of monitors may
    /// be open; with none, nothing is recorded.
    /// </summary>
    /// <param name="capacity">Events buffered before the oldest is dropped; default <see cref="SocketMonitor.DefaultCapacity"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is less than 1.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    public SocketMonitor Monitor(int capacity = SocketMonitor.DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ThrowIfClosed();
        return new SocketMonitor(_diagnostics, capacity);
    }
}
