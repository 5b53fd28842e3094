using System.Runtime.InteropServices;

namespace Expair.Transport.Ipc;

/// <summary>What is at an ipc path: nothing, a socket file, or something else (a file, a directory, a link).</summary>
internal enum IpcPathKind { Missing, Socket, Other }

/// <summary>
/// The socket file a listener bound, told apart from any file that later takes its path (device and inode on
/// Linux), so closing the listener removes the path only while it is still this file: a second binder that
/// replaced a stale file, or the user, may own the path by then.
/// </summary>
internal sealed partial class IpcSocketFile
{
    private readonly string _path;
    private readonly FileId _id;

    private IpcSocketFile(string path, FileId id)
    {
        _path = path;
        _id = id;
    }

    /// <summary>The file a listener just bound at <paramref name="path"/>; null for an abstract name (no file) or when it cannot be read.</summary>
    public static IpcSocketFile? Bound(string path) =>
        !IsAbstract(path) && Identify(path, out var id) == IpcPathKind.Socket ? new IpcSocketFile(path, id) : null;

    /// <summary>Linux's abstract names (a leading '@') have no file on disk.</summary>
    public static bool IsAbstract(string path) => path.StartsWith('@');

    /// <summary>What is at <paramref name="path"/> now, without following a symbolic link.</summary>
    public static IpcPathKind Kind(string path) => Identify(path, out _);

    /// <summary>Removes the path if it is still the file this listener bound. Best effort: a failure leaves the file.</summary>
    public void RemoveIfOwn()
    {
        if (Identify(_path, out var now) != IpcPathKind.Socket || now != _id)
            return;
        try
        {
            File.Delete(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover socket file with no listener is replaced by the next Bind.
        }
    }

    /// <summary>Which file a path names: device and inode where the system says (Linux), else its times.</summary>
    private readonly record struct FileId(ulong Device, ulong Inode, DateTime Created, DateTime Modified);

    private static IpcPathKind Identify(string path, out FileId id)
    {
        if (Internal.IoPlatform.UsesLinuxCalls && TryStatx(path, out var kind, out id))
            return kind;
        return IdentifyPortably(path, out id);
    }

    /// <summary>
    /// Where the file type cannot be read: an empty file that is not a directory counts as a socket (a socket
    /// file has no length; whether it is live is decided by connecting to it). Anything with content is not one.
    /// </summary>
    private static IpcPathKind IdentifyPortably(string path, out FileId id)
    {
        id = default;
        var info = new FileInfo(path);
        if (!info.Exists)
            return Directory.Exists(path) || info.LinkTarget is not null ? IpcPathKind.Other : IpcPathKind.Missing;
        id = new FileId(0, 0, info.CreationTimeUtc, info.LastWriteTimeUtc);
        return info.Length == 0 && info.LinkTarget is null ? IpcPathKind.Socket : IpcPathKind.Other;
    }

    private const int AtCurrentDirectory = -100; // AT_FDCWD
    private const int NoFollow = 0x100; // AT_SYMLINK_NOFOLLOW: a link at the path is not a socket, whatever it points to
    private const uint WantTypeAndInode = 0x1 | 0x100; // STATX_TYPE | STATX_INO
    private const int FileTypeMask = 0xF000; // S_IFMT
    private const int SocketType = 0xC000; // S_IFSOCK
    private const int NoEntry = 2; // ENOENT
    private const int NotDirectory = 20; // ENOTDIR

    /// <summary>
    /// statx(2): the one stat call whose buffer has the same layout on every Linux architecture (mode at 28,
    /// inode at 32, device major and minor at 136 and 140; 256 bytes). False when the C library lacks it.
    /// </summary>
    private static unsafe bool TryStatx(string path, out IpcPathKind kind, out FileId id)
    {
        kind = IpcPathKind.Missing;
        id = default;
        var buffer = stackalloc byte[256];
        int result;
        try
        {
            result = Statx(AtCurrentDirectory, path, NoFollow, WantTypeAndInode, buffer);
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        if (result != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            if (error is NoEntry or NotDirectory)
                return true;
            return false; // e.g. no permission to look: the portable view decides
        }
        var mode = *(ushort*)(buffer + 28);
        kind = (mode & FileTypeMask) == SocketType ? IpcPathKind.Socket : IpcPathKind.Other;
        id = new FileId(((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140), *(ulong*)(buffer + 32), default, default);
        return true;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);
}
