using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Expair.Transport.Ipc;

/// <summary>
/// A listening unix socket bound with the C library (Linux). A socket bound through .NET deletes its path when
/// disposed, whatever file has that name by then, possibly another socket's; one made from a bound descriptor
/// does not, which leaves the removal to <see cref="IpcSocketFile.RemoveIfOwn"/>.
/// </summary>
internal static unsafe partial class NativeUnixListener
{
    private const int UnixFamily = 1; // AF_UNIX
    private const int StreamCloseOnExec = 1 | 0x80000; // SOCK_STREAM | SOCK_CLOEXEC
    private const int PathOffset = 2; // sockaddr_un: a 16-bit family, then sun_path
    private const int PathCapacity = 108;
    private const int AddressInUse = 98; // EADDRINUSE

    /// <summary>Binds <paramref name="path"/> and listens; throws <see cref="TransportException"/> naming <paramref name="endpoint"/>.</summary>
    public static Socket Listen(string endpoint, string path, int backlog)
    {
        var fd = SocketCall(UnixFamily, StreamCloseOnExec, 0);
        if (fd < 0)
            throw Failed(endpoint, Marshal.GetLastPInvokeError());
        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        try
        {
            var address = stackalloc byte[PathOffset + PathCapacity];
            new Span<byte>(address, PathOffset + PathCapacity).Clear();
            *(ushort*)address = UnixFamily;
            var length = Encoding.UTF8.GetBytes(path, new Span<byte>(address + PathOffset, PathCapacity - 1)); // Endpoint checked the length
            if (BindCall(fd, address, PathOffset + length + 1) != 0 || ListenCall(fd, backlog) != 0)
                throw Failed(endpoint, Marshal.GetLastPInvokeError());
            return new Socket(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static TransportException Failed(string endpoint, int error) =>
        new(endpoint, error == AddressInUse ? "the path is already in use" : Marshal.GetPInvokeErrorMessage(error));

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int SocketCall(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int BindCall(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    private static partial int ListenCall(int fd, int backlog);
}
