namespace Expair.Interop.Tests.Native;

/// <summary>A libzmq call failed; the message carries libzmq's own wording of the errno.</summary>
internal sealed class ZmqException : Exception
{
    public ZmqException(string operation, int errno)
        : base($"{operation} failed: {LibZmq.StrError(errno)} (errno {errno})")
    {
        Operation = operation;
        Errno = errno;
    }

    public string Operation { get; }

    public int Errno { get; }

    /// <summary>Reads zmq_errno() right away, before another libzmq call on this thread can overwrite it.</summary>
    public static ZmqException Last(string operation) => new(operation, LibZmq.zmq_errno());
}
