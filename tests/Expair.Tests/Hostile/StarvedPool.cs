namespace Expair.Tests.Hostile;

/// <summary>
/// Caps the thread pool at one worker per core (lowering its minimum to that too, where a test assembly raised it) and
/// keeps every worker blocked until disposed, which restores the pool's limits: nothing else queued to the pool runs meanwhile. Holders given to the constructor start first, each
/// on a pool worker until it returns; the blocking items are queued behind them, so any pool work a holder's own
/// work waits for is queued behind those and cannot run.
/// </summary>
internal sealed class StarvedPool : IDisposable
{
    private const int BlockedItems = 200;

    private readonly ManualResetEventSlim _release = new(); // not disposed: queued items still to run must find it set
    private readonly int _maxWorkers;
    private readonly int _maxIo;
    private readonly int _minWorkers;
    private readonly int _minIo;

    public StarvedPool(params Action[] holders)
    {
        ThreadPool.GetMaxThreads(out _maxWorkers, out _maxIo);
        ThreadPool.GetMinThreads(out _minWorkers, out _minIo);
        try
        {
            // The holders start before the cap: the test runner may keep pool workers of its own busy, and a capped
            // pool would not grow past them.
            var started = new CountdownEvent(holders.Length); // not disposed: a holder that starts late must find it
            foreach (var holder in holders)
            {
                ThreadPool.UnsafeQueueUserWorkItem(state =>
                {
                    started.Signal();
                    state();
                }, holder, preferLocal: false);
            }
            Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "the holders did not start on pool threads");
            Assert.True(ThreadPool.SetMinThreads(Math.Min(_minWorkers, Environment.ProcessorCount), _minIo));
            Assert.True(ThreadPool.SetMaxThreads(Environment.ProcessorCount, _maxIo));
            // Blocking items for every worker, queued again while a probe still gets through (a worker may have
            // been between items, or more workers than the cap may have been running when it was set).
            for (var round = 0; ; round++)
            {
                for (var i = 0; i < BlockedItems + ThreadPool.ThreadCount; i++)
                    ThreadPool.UnsafeQueueUserWorkItem(static release => release.Wait(), _release, preferLocal: false);
                if (!ProbeRuns())
                    break;
                Assert.True(round < 5, "the thread pool is not starved");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether an item queued to the pool now runs within 300 ms. Queued globally and waited for on an event, so the
    /// waiting thread cannot run it itself (Task.Wait inlines a task still in the caller's own pool queue).
    /// </summary>
    private static bool ProbeRuns()
    {
        var ran = new ManualResetEventSlim(); // not disposed: the probe may still run after the pool is released
        ThreadPool.UnsafeQueueUserWorkItem(static e => e.Set(), ran, preferLocal: false);
        return ran.Wait(TimeSpan.FromMilliseconds(300));
    }

    public void Dispose()
    {
        _release.Set();
        ThreadPool.SetMaxThreads(_maxWorkers, _maxIo);
        ThreadPool.SetMinThreads(_minWorkers, _minIo);
    }
}
