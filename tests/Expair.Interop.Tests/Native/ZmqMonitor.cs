using System.Runtime.InteropServices;
using System.Text;

namespace Expair.Interop.Tests.Native;

/// <summary>One zmq_socket_monitor event: what happened, its value (an fd, errno or interval) and the endpoint.</summary>
internal readonly record struct ZmqMonitorEvent(int Event, int Value, string Endpoint);

/// <summary>
/// Watches a libzmq socket's connection events (zmq_socket_monitor), so a test can wait for "handshake
/// done" or "peer gone" instead of sleeping. Create it before the socket binds or connects: libzmq drops
/// events raised while nobody listens.
/// </summary>
internal sealed class ZmqMonitor : IDisposable
{
    private readonly ZmqSocket _monitored;
    private readonly ZmqSocket _events;

    public ZmqMonitor(ZmqSocket socket, int events = LibZmq.ZMQ_EVENT_ALL)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _monitored = socket;
        string endpoint = $"inproc://expair-monitor-{Guid.NewGuid():N}";
        if (LibZmq.zmq_socket_monitor(socket.Handle, endpoint, events) != 0)
        {
            throw ZmqException.Last($"zmq_socket_monitor({endpoint})");
        }

        _events = new ZmqSocket(LibZmq.PAIR, socket.Context);
        _events.Connect(endpoint);
    }

    public bool TryReceive(out ZmqMonitorEvent monitorEvent, int timeoutMs)
    {
        monitorEvent = default;
        if (!_events.TryReceive(out List<byte[]> frames, timeoutMs))
        {
            return false;
        }

        // Monitor protocol v1 (libzmq 4.x): frame 1 is a 16-bit event id then a 32-bit value, in host
        // byte order; frame 2 is the endpoint.
        if (frames.Count != 2 || frames[0].Length != 6)
        {
            throw new InvalidOperationException($"Unexpected monitor message: {frames.Count} frames.");
        }

        monitorEvent = new ZmqMonitorEvent(
            MemoryMarshal.Read<ushort>(frames[0]),
            MemoryMarshal.Read<int>(frames[0].AsSpan(2)),
            Encoding.UTF8.GetString(frames[1]));
        return true;
    }

    /// <summary>
    /// Returns the first event matching <paramref name="eventMask"/>, skipping others; throws
    /// <see cref="TimeoutException"/> naming the events seen if none matches in time.
    /// </summary>
    public ZmqMonitorEvent WaitFor(int eventMask, int timeoutMs = ZmqSocket.DefaultTimeoutMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timeoutMs);
        var seen = new List<string>();
        long deadline = Environment.TickCount64 + timeoutMs;
        while (TryReceive(out ZmqMonitorEvent monitorEvent, (int)Math.Max(0, deadline - Environment.TickCount64)))
        {
            if ((monitorEvent.Event & eventMask) != 0)
            {
                return monitorEvent;
            }

            seen.Add($"0x{monitorEvent.Event:X4}({monitorEvent.Value})");
        }

        throw new TimeoutException(
            $"No libzmq monitor event matching 0x{eventMask:X4} within {timeoutMs} ms; saw [{string.Join(", ", seen)}].");
    }

    public void Dispose()
    {
        // Stopping the monitor touches the monitored socket, which must still be open.
        if (!_monitored.IsClosed)
        {
            _ = LibZmq.zmq_socket_monitor(_monitored.Handle, null, 0);
        }

        _events.Dispose();
    }
}
