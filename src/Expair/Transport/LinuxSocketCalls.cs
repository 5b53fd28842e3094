using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Expair.Internal;

namespace Expair.Transport;

/// <summary>
/// recv, send and sendmsg from the C library on a blocking socket, on the Linux path only (Linux x64 and arm64 without
/// the portable switch: <see cref="IoPlatform"/>); elsewhere <see cref="TryCreate"/> gives null and .NET's own
/// calls are used. The kernel wakes a thread blocked in these calls itself; the socket is never used
/// asynchronously, so .NET's event loop never watches it.
/// Each call holds a reference on the handle, so a concurrent close cannot hand its descriptor to another socket.
/// </summary>
internal sealed unsafe partial class LinuxSocketCalls
{
    // Linux's values, the same on x64 and arm64 (the only architectures this class is used on: IoPlatform).
    private const int F_GETFL = 3;
    private const int F_SETFL = 4;
    private const int O_NONBLOCK = 0x800;
    private const int MSG_DONTWAIT = 0x40;
    private const int MSG_NOSIGNAL = 0x4000; // a closed peer is an error, not SIGPIPE
    private const int SOL_SOCKET = 1;
    private const int SO_RCVTIMEO = 20;
    private const short POLLIN = 1;
    private const int NoFlags = 0;

    // errno values (asm-generic/errno-base.h and errno.h, shared by x64 and arm64)
    private const int EBADF = 9;
    private const int EINTR = 4;
    private const int EAGAIN = 11;
    private const int EPIPE = 32;
    private const int ENETUNREACH = 101;
    private const int ECONNABORTED = 103;
    private const int ECONNRESET = 104;
    private const int ENOTCONN = 107;
    private const int ETIMEDOUT = 110;
    private const int EHOSTUNREACH = 113;

    /// <summary>Pieces per gathered write; more wait for the next call (Linux's IOV_MAX is 1024).</summary>
    private const int MaxPieces = 256;

    private readonly SafeHandle _handle;
    private readonly GCHandle[] _pins = new GCHandle[MaxPieces];

    private LinuxSocketCalls(SafeHandle handle) => _handle = handle;

    /// <summary>Switches the socket to blocking mode; null off the Linux path or when that fails (the caller then uses .NET's calls).</summary>
    public static LinuxSocketCalls? TryCreate(SafeHandle handle)
    {
        if (!IoPlatform.UsesLinuxCalls)
            return null;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            var flags = Fcntl(fd, F_GETFL, 0);
            if (flags < 0 || ((flags & O_NONBLOCK) != 0 && Fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0))
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
            return SetOption((int)_handle.DangerousGetHandle(), SOL_SOCKET, SO_RCVTIMEO, &value, sizeof(TimeValue)) == 0;
        }
        finally
        {
            if (added)
                _handle.DangerousRelease();
        }
    }

    public int Send(ReadOnlySpan<byte> buffer) => Transfer(buffer, send: true, MSG_NOSIGNAL);

    /// <summary>Writes what the kernel takes without waiting: 0 when its send buffer is full.</summary>
    public int SendNow(ReadOnlySpan<byte> buffer) => Transfer(buffer, send: true, MSG_NOSIGNAL | MSG_DONTWAIT);

    /// <summary>One recv or send, retried when a signal interrupts it; returns the bytes moved (0 when it would wait).</summary>
    [MethodImpl(HotPath.Optimized)]
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
                    if ((flags & MSG_DONTWAIT) != 0 && Marshal.GetLastPInvokeError() == EAGAIN)
                        return 0;
                    if (!send && Marshal.GetLastPInvokeError() == EAGAIN)
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
            var entry = new PollEntry { Fd = (int)_handle.DangerousGetHandle(), Events = POLLIN };
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
    public long SendGathered(List<ArraySegment<byte>> pieces) => SendGathered(pieces, MSG_NOSIGNAL);

    /// <summary>One sendmsg that never waits: returns the bytes the kernel took now (0 when its send buffer is full).</summary>
    public long SendGatheredNow(List<ArraySegment<byte>> pieces) => SendGathered(pieces, MSG_NOSIGNAL | MSG_DONTWAIT);

    [MethodImpl(HotPath.Optimized)]
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
                if ((flags & MSG_DONTWAIT) != 0 && Marshal.GetLastPInvokeError() == EAGAIN)
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
        if (errno != EINTR)
            throw new SocketException((int)ToSocketError(errno));
    }

    /// <summary>The errors a connected stream socket reports, in .NET's terms (Linux errno values).</summary>
    private static SocketError ToSocketError(int errno) => errno switch
    {
        ECONNRESET => SocketError.ConnectionReset,
        EPIPE => SocketError.Shutdown, // we or the peer shut the socket down
        ECONNABORTED => SocketError.ConnectionAborted,
        ETIMEDOUT => SocketError.TimedOut,
        EHOSTUNREACH => SocketError.HostUnreachable,
        ENETUNREACH => SocketError.NetworkUnreachable,
        ENOTCONN => SocketError.NotConnected,
        EBADF => SocketError.OperationAborted,
        _ => SocketError.SocketError,
    };

    // The C structures as laid out on 64-bit Linux (LP64: long and size_t are 8 bytes), the same on x64 and arm64.

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
