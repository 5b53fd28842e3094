namespace Expair.Interop.Tests.Native;

/// <summary>A libzmq context: owns libzmq's I/O thread.</summary>
internal sealed class ZmqContext : IDisposable
{
    private nint _handle;

    public ZmqContext()
    {
        _handle = LibZmq.zmq_ctx_new();
        if (_handle == 0)
        {
            throw ZmqException.Last("zmq_ctx_new");
        }
    }

    /// <summary>
    /// One context for the whole test run. It is never terminated: zmq_ctx_term waits for every socket
    /// to close, so one socket leaked by a failing test would hang the run instead of failing one test.
    /// </summary>
    public static ZmqContext Shared { get; } = new();

    public nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle == 0, this);
            return _handle;
        }
    }

    /// <summary>Terminates the context. Blocks until every socket made in it is closed.</summary>
    public void Dispose()
    {
        if (_handle == 0 || ReferenceEquals(this, Shared))
        {
            return;
        }

        while (LibZmq.zmq_ctx_term(_handle) != 0)
        {
            int errno = LibZmq.zmq_errno();
            if (errno != LibZmq.EINTR)
            {
                throw new ZmqException("zmq_ctx_term", errno);
            }
        }

        _handle = 0;
    }
}
