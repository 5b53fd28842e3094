using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Expair.Transport;

/// <summary>
/// What one connection's kernel still holds of what was written to it (Linux <c>SIOCOUTQ</c>): for a unix socket,
/// bytes the receiving process has not read yet; for tcp, bytes the peer has not acknowledged. Linger waits for it
/// to empty (<see cref="Engine.KernelDrain"/>) before the connection closes: a libzmq receiver that has paused reading at its high-water mark drops
/// what is still unread in the kernel when the sender hangs up.
/// It holds a descriptor of its own for the connection, taken before the connection's owner moves it to another
/// (<see cref="BlockingStream.LeaveEventLoop"/>), and must be disposed when the connection ends, or the
/// connection stays open in the kernel.
/// </summary>
internal sealed partial class KernelSendQueue : IDisposable
{
    private const int DuplicateCloseOnExec = 1030; // F_DUPFD_CLOEXEC
    private const int OutputQueue = 0x5411; // SIOCOUTQ (TIOCOUTQ)

    private readonly SafeSocketHandle _handle;

    private KernelSendQueue(SafeSocketHandle handle) => _handle = handle;

    /// <summary>A view of <paramref name="socket"/>'s send queue; null where the kernel cannot report it (not Linux) or the socket is closed.</summary>
    public static KernelSendQueue? Open(Socket socket)
    {
        if (!Internal.IoPlatform.UsesLinuxCalls)
            return null;
        var added = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref added);
            var fd = Fcntl((int)socket.SafeHandle.DangerousGetHandle(), DuplicateCloseOnExec, 0);
            return fd < 0 ? null : new KernelSendQueue(new SafeSocketHandle(fd, ownsHandle: true));
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
        finally
        {
            if (added)
                socket.SafeHandle.DangerousRelease();
        }
    }

    /// <summary>Bytes written and not yet taken by the peer; 0 once this view is disposed or the kernel cannot say.</summary>
    public unsafe long UnsentBytes
    {
        get
        {
            var added = false;
            try
            {
                _handle.DangerousAddRef(ref added);
                int unsent;
                return IoControl((int)_handle.DangerousGetHandle(), OutputQueue, &unsent) == 0 ? unsent : 0;
            }
            catch (ObjectDisposedException)
            {
                return 0;
            }
            finally
            {
                if (added)
                    _handle.DangerousRelease();
            }
        }
    }

    /// <summary>Closes this view's descriptor (the connection itself closes with its last descriptor).</summary>
    public void Dispose() => _handle.Dispose();

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int IoControl(int fd, nint request, int* value);
}
