using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Expair.Transport;

/// <summary>
/// What one connection's kernel still holds of what was written to it (Linux <c>SIOCOUTQ</c>): for a unix socket,
/// bytes the receiving process has not read yet; for tcp, bytes the peer has not acknowledged. Linger waits for it
/// to empty (<see cref="Engine.KernelDrain"/>) before the connection closes: a libzmq receiver that has paused reading at its high-water mark drops
/// what is still unread in the kernel when the sender hangs up.
/// It reads through the connection's own handle, holding a reference for each call, so once the connection has
/// closed it reports 0 and never looks at a descriptor number another socket may have taken since.
/// </summary>
internal sealed partial class KernelSendQueue
{
    private const int OutputQueue = 0x5411; // SIOCOUTQ (TIOCOUTQ)

    private readonly SafeSocketHandle _handle;

    private KernelSendQueue(SafeSocketHandle handle) => _handle = handle;

    /// <summary>A view of <paramref name="socket"/>'s send queue; null where the kernel cannot report it (not Linux).</summary>
    public static KernelSendQueue? Open(Socket socket) =>
        Internal.IoPlatform.UsesLinuxCalls ? new KernelSendQueue(socket.SafeHandle) : null;

    /// <summary>Bytes written and not yet taken by the peer; 0 once the connection is closed or the kernel cannot say.</summary>
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

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int IoControl(int fd, nint request, int* value);
}
