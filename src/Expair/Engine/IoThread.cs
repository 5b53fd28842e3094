using System.Runtime.ExceptionServices;

namespace Expair.Engine;

/// <summary>
/// A dedicated thread for one loop of a connection, as libzmq gives each socket I/O threads: the loop blocks in
/// the kernel or on a pipe signal and is woken there directly, with no thread-pool hop, and a busy thread pool
/// cannot delay it (a late PONG would look like a dead peer). A PAIR socket has one connection in traffic, so
/// this costs two threads per socket (three for a binder, whose accept loop has one too).
/// </summary>
internal static class IoThread
{
    /// <summary>
    /// Room for what runs on as a loop ends (below). .NET runs a continuation inline only while at least 128 KiB
    /// of stack is left, else it queues it to the pool; the default 8 MiB would only reserve more address space.
    /// </summary>
    private const int StackSize = 1024 * 1024;

    /// <summary>
    /// Runs <paramref name="loop"/> on a new background thread; the task ends as the loop does, with its exception.
    /// What waits for the task runs on at once on this thread as the loop ends, not through the thread pool: a
    /// connection then ends, and Dispose waiting for it wakes, even when every pool thread is busy.
    /// </summary>
    public static Task Run(Action loop, string name)
    {
        var done = new TaskCompletionSource();
        var thread = new Thread(() =>
        {
            ExceptionDispatchInfo? failure = null;
            try
            {
                loop();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            // Completed outside the catch block, so what runs on starts with the loop's stack unwound.
            if (failure is null)
                done.TrySetResult();
            else if (failure.SourceException is OperationCanceledException canceled)
                done.TrySetCanceled(canceled.CancellationToken);
            else
                done.TrySetException(failure.SourceException);
        }, StackSize)
        {
            IsBackground = true,
            Name = name,
        };
        thread.UnsafeStart();
        return done.Task;
    }
}
