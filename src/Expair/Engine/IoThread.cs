namespace Expair.Engine;

/// <summary>
/// A dedicated thread for one piece of a socket's work, as libzmq gives each socket I/O threads: accepting,
/// connecting, a connection's handshake and receive loop, its send loop. Each blocks in the kernel or on a signal
/// and is woken there directly, with no thread-pool hop, so a busy thread pool can neither delay it (a late PONG
/// would look like a dead peer) nor keep a peer out, and closing waits for these threads by joining them.
/// </summary>
internal static class IoThread
{
    /// <summary>
    /// Each thread's stack, committed only as used: room for the application's logger and authenticator, which run
    /// on these threads; the default 8 MiB would only reserve more address space.
    /// </summary>
    private const int StackSize = 1024 * 1024;

    /// <summary>Starts <paramref name="work"/> on a new background thread, which ends with it; join it to wait.</summary>
    public static Thread Start(Action work, string name)
    {
        var thread = new Thread(() => work(), StackSize)
        {
            IsBackground = true,
            Name = name,
        };
        thread.UnsafeStart();
        return thread;
    }
}
