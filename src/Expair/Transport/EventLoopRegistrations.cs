using System.Runtime.InteropServices;

namespace Expair.Transport;

/// <summary>
/// Takes a socket out of .NET's own epoll sets (the Linux path only: <see cref="Internal.IoPlatform"/>). .NET registers a socket edge-triggered on its first
/// asynchronous call and never removes it: closing the descriptor is not enough while a <c>dup</c> of it lives
/// (epoll watches the open file, not the number), so its event-loop thread would wake on every arrival and every
/// freed byte of send buffer of a connection it no longer serves.
/// </summary>
internal static partial class EventLoopRegistrations
{
    private const int EPOLL_CTL_DEL = 2;
    private const int ENOENT = 2; // not in that set

    private static readonly Lock Gate = new();
    private static int[] s_epollDescriptors = [];
    private static long s_lastLook; // Environment.TickCount64 of the last look at /proc

    /// <summary>
    /// Removes <paramref name="fd"/> from every epoll set of the process that holds it; must run while the
    /// descriptor is still open.
    /// </summary>
    public static void Remove(int fd)
    {
        var removed = RemoveFrom(Volatile.Read(ref s_epollDescriptors), fd, out var anyMissing);
        if (removed > 0 && !anyMissing)
            return;
        // None held it, or a descriptor we knew is gone: the event loops may have been created since the last
        // look (.NET creates them on first use). A socket .NET never had to wait for is in no set at all, so
        // once a set is known and none was lost, /proc is read at most once a second, however many connections arrive.
        lock (Gate)
        {
            if (!anyMissing && s_epollDescriptors.Length > 0 && Environment.TickCount64 - s_lastLook < 1000)
                return;
            s_lastLook = Environment.TickCount64;
            s_epollDescriptors = FindEpollDescriptors();
        }
        RemoveFrom(s_epollDescriptors, fd, out _);
    }

    private static int RemoveFrom(int[] epolls, int fd, out bool anyMissing)
    {
        var removed = 0;
        anyMissing = false;
        foreach (var epoll in epolls)
        {
            if (EpollControl(epoll, EPOLL_CTL_DEL, fd, 0) == 0)
                removed++;
            else if (Marshal.GetLastPInvokeError() != ENOENT)
                anyMissing = true; // EBADF or EINVAL: that number is no longer an epoll set
        }
        return removed;
    }

    /// <summary>The process's epoll descriptors, from /proc/self/fd; empty when /proc cannot be read.</summary>
    private static int[] FindEpollDescriptors()
    {
        var found = new List<int>();
        try
        {
            foreach (var path in Directory.EnumerateFiles("/proc/self/fd"))
            {
                try
                {
                    if (new FileInfo(path).LinkTarget == "anon_inode:[eventpoll]" && int.TryParse(Path.GetFileName(path), out var fd))
                        found.Add(fd);
                }
                catch (IOException)
                {
                    // closed while we looked
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc: the connection keeps working, its bytes merely wake .NET's event loop too.
        }
        return [.. found];
    }

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollControl(int epoll, int operation, int fd, nint events);
}
