using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Expair.Transport;

/// <summary>
/// recv, send and sendmsg from the C library on a blocking socket (Linux). .NET keeps a socket it has used
/// asynchronously in non-blocking mode for good and emulates blocking calls by waiting on its event-loop
/// thread; calling the C library directly lets the kernel wake the blocked thread itself.
/// Each call holds a reference on the handle, so a concurrent close cannot hand its descriptor to another socket.
/// </summary>
internal sealed unsafe partial class LinuxSocketCalls
{
    private const int GetFlags = 3; // F_GETFL
    private const int SetFlags = 4; // F_SETFL
    private const int NonBlocking = 0x800; // O_NONBLOCK
    private const int DuplicateCloseOnExec = 1030; // F_DUPFD_CLOEXEC
    private const int NoFlags = 0;
    private const int NoSignal = 0x4000; // MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE
    private const int Interrupted = 4; // EINTR
    private const int WouldBlock = 11; // EAGAIN
    private const int DontWait = 0x40; // MSG_DONTWAIT

    /// <summary>Pieces per gathered write; more wait for the next call (Linux's IOV_MAX is 1024).</summary>
    private const int MaxPieces = 256;

    private readonly SafeHandle _handle;
    private readonly GCHandle[] _pins = new GCHandle[MaxPieces];

    private LinuxSocketCalls(SafeHandle handle) => _handle = handle;

    /// <summary>Switches the socket to blocking mode; null when that fails (the caller then uses .NET's calls).</summary>
    public static LinuxSocketCalls? TryCreate(SafeHandle handle)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            var flags = Fcntl(fd, GetFlags, 0);
            if (flags < 0 || ((flags & NonBlocking) != 0 && Fcntl(fd, SetFlags, flags & ~NonBlocking) < 0))
                return null;
            return new LinuxSocketCalls(handle);
        }
        catch (ObjectDisposedException)
        {
            return null; // already closed: .NET's own calls report that
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }

    /// <summary>
    /// A second descriptor for the same connection, or -1. .NET's event loop watches a socket once it has been
    /// used asynchronously and, on every arrival, wakes its own thread and a thread-pool worker for nothing
    /// when the reads are ours. The connection is first taken out of the event loop's epoll set (which would
    /// outlive the old descriptor); the fresh descriptor carries no .NET state.
    /// </summary>
    public static int Duplicate(SafeHandle handle)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            EventLoopRegistrations.Remove(fd);
            return Fcntl(fd, DuplicateCloseOnExec, 0);
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }

    /// <summary>A blocking read: the bytes read, 0 at the end of the stream, -1 when the receive timeout (<see cref="SetReceiveTimeout"/>) passed first.</summary>
    public int Receive(Span<byte> buffer) => Transfer(buffer, send: false, NoFlags);

    /// <summary>Bounds every blocking read (SO_RCVTIMEO): one that waits that long returns -1. False when refused.</summary>
    public bool SetReceiveTimeout(TimeSpan timeout)
    {
        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            var ticks = timeout.Ticks;
            var value = new TimeValue(ticks / TimeSpan.TicksPerSecond, ticks % TimeSpan.TicksPerSecond / TimeSpan.TicksPerMicrosecond);
            return SetOption((int)_handle.DangerousGetHandle(), SocketLevel, ReceiveTimeoutOption, &value, sizeof(TimeValue)) == 0;
        }
        finally
        {
            if (added)
                _handle.DangerousRelease();
        }
    }

    public int Send(ReadOnlySpan<byte> buffer) => Transfer(buffer, send: true, NoSignal);

    /// <summary>Writes what the kernel takes without waiting: 0 when its send buffer is full.</summary>
    public int SendNow(ReadOnlySpan<byte> buffer) => Transfer(buffer, send: true, NoSignal | DontWait);

    /// <summary>One recv or send, retried when a signal interrupts it; returns the bytes moved (0 when it would wait).</summary>
    private int Transfer(ReadOnlySpan<byte> buffer, bool send, int flags)
    {
        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            var fd = (int)_handle.DangerousGetHandle();
            fixed (byte* bytes = buffer)
            {
                while (true)
                {
                    var moved = send ? SendBytes(fd, bytes, buffer.Length, flags) : Recv(fd, bytes, buffer.Length, flags);
                    if (moved >= 0)
                        return (int)moved;
                    if ((flags & DontWait) != 0 && Marshal.GetLastPInvokeError() == WouldBlock)
                        return 0;
                    if (!send && Marshal.GetLastPInvokeError() == WouldBlock)
                        return -1; // the receive timeout passed
                    ThrowUnlessInterrupted();
                }
            }
        }
        finally
        {
            if (added)
                _handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Waits until the socket has bytes to read, has ended or failed (poll), at most <paramref name="timeoutMs"/>
    /// milliseconds (-1: no limit). False when the time ran out.
    /// </summary>
    public bool WaitReadable(int timeoutMs)
    {
        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            var entry = new PollEntry { Fd = (int)_handle.DangerousGetHandle(), Events = PollIn };
            while (true)
            {
                var ready = Poll(&entry, 1, timeoutMs);
                if (ready >= 0)
                    return ready > 0;
                ThrowUnlessInterrupted();
            }
        }
        finally
        {
            if (added)
                _handle.DangerousRelease();
        }
    }

    /// <summary>One sendmsg of up to <see cref="MaxPieces"/> pieces; returns the bytes the kernel took.</summary>
    public long SendGathered(List<ArraySegment<byte>> pieces) => SendGathered(pieces, NoSignal);

    /// <summary>One sendmsg that never waits: returns the bytes the kernel took now (0 when its send buffer is full).</summary>
    public long SendGatheredNow(List<ArraySegment<byte>> pieces) => SendGathered(pieces, NoSignal | DontWait);

    private long SendGathered(List<ArraySegment<byte>> pieces, int flags)
    {
        var count = Math.Min(pieces.Count, MaxPieces);
        var vectors = stackalloc IoVector[count];
        var added = false;
        var pinned = 0;
        try
        {
            for (; pinned < count; pinned++)
            {
                var piece = pieces[pinned];
                _pins[pinned] = GCHandle.Alloc(piece.Array, GCHandleType.Pinned);
                vectors[pinned] = new IoVector((byte*)_pins[pinned].AddrOfPinnedObject() + piece.Offset, piece.Count);
            }
            var header = new MessageHeader { Vectors = vectors, VectorCount = count };
            _handle.DangerousAddRef(ref added);
            var fd = (int)_handle.DangerousGetHandle();
            while (true)
            {
                var sent = SendMessage(fd, &header, flags);
                if (sent >= 0)
                    return sent;
                if ((flags & DontWait) != 0 && Marshal.GetLastPInvokeError() == WouldBlock)
                    return 0;
                ThrowUnlessInterrupted();
            }
        }
        finally
        {
            if (added)
                _handle.DangerousRelease();
            for (var i = 0; i < pinned; i++)
                _pins[i].Free();
        }
    }

    private static void ThrowUnlessInterrupted()
    {
        var errno = Marshal.GetLastPInvokeError();
        if (errno != Interrupted)
            throw new SocketException((int)ToSocketError(errno));
    }

    /// <summary>The errors a connected stream socket reports, in .NET's terms (Linux errno values).</summary>
    private static SocketError ToSocketError(int errno) => errno switch
    {
        104 => SocketError.ConnectionReset, // ECONNRESET
        32 => SocketError.Shutdown, // EPIPE: we or the peer shut the socket down
        103 => SocketError.ConnectionAborted, // ECONNABORTED
        110 => SocketError.TimedOut, // ETIMEDOUT
        113 => SocketError.HostUnreachable, // EHOSTUNREACH
        101 => SocketError.NetworkUnreachable, // ENETUNREACH
        107 => SocketError.NotConnected, // ENOTCONN
        9 => SocketError.OperationAborted, // EBADF
        _ => SocketError.SocketError,
    };

    private const short PollIn = 1; // POLLIN
    private const int SocketLevel = 1; // SOL_SOCKET
    private const int ReceiveTimeoutOption = 20; // SO_RCVTIMEO

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct TimeValue(long seconds, long microseconds)
    {
        public readonly long Seconds = seconds;
        public readonly long Microseconds = microseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollEntry
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct IoVector(byte* start, nint length)
    {
        public readonly byte* Start = start;
        public readonly nint Length = length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public int NameLength;
        public IoVector* Vectors;
        public nint VectorCount;
        public void* Control;
        public nint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint SendBytes(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetOption(int fd, int level, int option, void* value, int length);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollEntry* entries, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMessage(int fd, MessageHeader* header, int flags);
}
