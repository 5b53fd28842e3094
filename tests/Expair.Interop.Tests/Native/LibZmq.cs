using System.Runtime.InteropServices;

namespace Expair.Interop.Tests.Native;

// Raw bindings to the system libzmq (Debian package libzmq5). Only what the interop tests need.
// Numbers are from zmq.h of libzmq 4.3 and were checked against pyzmq built on the same library.
internal static unsafe partial class LibZmq
{
    // The soname, not "libzmq.so": the unversioned symlink only ships with the -dev package.
    private const string Library = "libzmq.so.5";

    // Socket types.
    public const int PAIR = 0;
    public const int PUB = 1;
    public const int SUB = 2;
    public const int REQ = 3;
    public const int REP = 4;
    public const int DEALER = 5;
    public const int ROUTER = 6;
    public const int PULL = 7;
    public const int PUSH = 8;

    // Socket options.
    public const int ZMQ_ROUTING_ID = 5;
    public const int ZMQ_RCVMORE = 13;
    public const int ZMQ_EVENTS = 15;
    public const int ZMQ_TYPE = 16;
    public const int ZMQ_LINGER = 17;
    public const int ZMQ_RECONNECT_IVL = 18;
    public const int ZMQ_RECONNECT_IVL_MAX = 21;
    public const int ZMQ_MAXMSGSIZE = 22;
    public const int ZMQ_SNDHWM = 23;
    public const int ZMQ_RCVHWM = 24;
    public const int ZMQ_RCVTIMEO = 27;
    public const int ZMQ_SNDTIMEO = 28;
    public const int ZMQ_LAST_ENDPOINT = 32;
    public const int ZMQ_IMMEDIATE = 39;
    public const int ZMQ_IPV6 = 42;
    public const int ZMQ_HANDSHAKE_IVL = 66;
    public const int ZMQ_HEARTBEAT_IVL = 75;
    public const int ZMQ_HEARTBEAT_TTL = 76;
    public const int ZMQ_HEARTBEAT_TIMEOUT = 77;
    public const int ZMQ_CONNECT_TIMEOUT = 79;

    // Send/receive flags and message properties.
    public const int ZMQ_DONTWAIT = 1;
    public const int ZMQ_SNDMORE = 2;
    public const int ZMQ_MORE = 1;

    // zmq_poll event bits.
    public const short ZMQ_POLLIN = 1;
    public const short ZMQ_POLLOUT = 2;

    // Socket monitor events (zmq_socket_monitor).
    public const int ZMQ_EVENT_CONNECTED = 0x0001;
    public const int ZMQ_EVENT_CONNECT_DELAYED = 0x0002;
    public const int ZMQ_EVENT_CONNECT_RETRIED = 0x0004;
    public const int ZMQ_EVENT_LISTENING = 0x0008;
    public const int ZMQ_EVENT_BIND_FAILED = 0x0010;
    public const int ZMQ_EVENT_ACCEPTED = 0x0020;
    public const int ZMQ_EVENT_ACCEPT_FAILED = 0x0040;
    public const int ZMQ_EVENT_CLOSED = 0x0080;
    public const int ZMQ_EVENT_CLOSE_FAILED = 0x0100;
    public const int ZMQ_EVENT_DISCONNECTED = 0x0200;
    public const int ZMQ_EVENT_MONITOR_STOPPED = 0x0400;
    public const int ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL = 0x0800;
    public const int ZMQ_EVENT_HANDSHAKE_SUCCEEDED = 0x1000;
    public const int ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL = 0x2000;
    public const int ZMQ_EVENT_HANDSHAKE_FAILED_AUTH = 0x4000;
    public const int ZMQ_EVENT_ALL = 0xFFFF;

    // errno values (Linux) and libzmq's own, which start at ZMQ_HAUSNUMERO = 156384712.
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ETERM = 156384712 + 53;

    /// <summary>zmq_msg_t: 64 opaque bytes, pointer-aligned (the longs give the alignment).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 64)]
    public struct ZmqMsg
    {
        private fixed long _storage[8];
    }

    /// <summary>zmq_pollitem_t on Unix: the fd member is an int.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ZmqPollItem
    {
        public nint Socket;
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Library)]
    public static partial void zmq_version(out int major, out int minor, out int patch);

    [LibraryImport(Library)]
    public static partial int zmq_errno();

    // Returns a pointer to a static string: never freed.
    [LibraryImport(Library)]
    public static partial nint zmq_strerror(int errnum);

    [LibraryImport(Library)]
    public static partial nint zmq_ctx_new();

    [LibraryImport(Library)]
    public static partial int zmq_ctx_term(nint context);

    [LibraryImport(Library)]
    public static partial int zmq_ctx_shutdown(nint context);

    [LibraryImport(Library)]
    public static partial nint zmq_socket(nint context, int type);

    [LibraryImport(Library)]
    public static partial int zmq_close(nint socket);

    [LibraryImport(Library)]
    public static partial int zmq_setsockopt(nint socket, int option, void* value, nuint length);

    [LibraryImport(Library)]
    public static partial int zmq_getsockopt(nint socket, int option, void* value, nuint* length);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int zmq_bind(nint socket, string endpoint);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int zmq_connect(nint socket, string endpoint);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int zmq_unbind(nint socket, string endpoint);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int zmq_disconnect(nint socket, string endpoint);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int zmq_socket_monitor(nint socket, string? endpoint, int events);

    [LibraryImport(Library)]
    public static partial int zmq_send(nint socket, void* buffer, nuint length, int flags);

    [LibraryImport(Library)]
    public static partial int zmq_msg_init(ZmqMsg* message);

    [LibraryImport(Library)]
    public static partial int zmq_msg_init_size(ZmqMsg* message, nuint size);

    [LibraryImport(Library)]
    public static partial void* zmq_msg_data(ZmqMsg* message);

    [LibraryImport(Library)]
    public static partial nuint zmq_msg_size(ZmqMsg* message);

    [LibraryImport(Library)]
    public static partial int zmq_msg_send(ZmqMsg* message, nint socket, int flags);

    [LibraryImport(Library)]
    public static partial int zmq_msg_recv(ZmqMsg* message, nint socket, int flags);

    [LibraryImport(Library)]
    public static partial int zmq_msg_more(ZmqMsg* message);

    [LibraryImport(Library)]
    public static partial int zmq_msg_close(ZmqMsg* message);

    // The timeout is a C long: 64-bit on Linux, hence CLong rather than int.
    [LibraryImport(Library)]
    public static partial int zmq_poll(ZmqPollItem* items, int count, CLong timeoutMs);

    /// <summary>The text for an errno as libzmq words it.</summary>
    public static string StrError(int errno) =>
        Marshal.PtrToStringUTF8(zmq_strerror(errno)) ?? $"errno {errno}";

    public static Version Version
    {
        get
        {
            zmq_version(out int major, out int minor, out int patch);
            return new Version(major, minor, patch);
        }
    }
}
