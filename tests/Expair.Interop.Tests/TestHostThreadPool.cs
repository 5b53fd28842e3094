using System.Runtime.CompilerServices;

namespace Expair.Interop.Tests;

/// <summary>
/// Gives the test process's thread pool enough threads up front, before any test runs.
/// </summary>
/// <remarks>
/// Expair runs its connections (reading, writing, answering libzmq's PINGs) on the .NET thread pool. The test
/// host keeps several pool threads blocked for the whole run (xunit's and VSTest's own synchronous waits, plus
/// each running test's thread), and on a small machine the pool starts with only one thread per core: measured
/// here on 2 cores, a bare work item queued during the first test waited up to ~730 ms before the pool added a
/// thread. Such stalls delayed Expair's PONGs by ~900 ms, so libzmq with a 300 ms heartbeat timeout dropped the
/// connection, while with a responsive pool every PING was answered within ~3 ms. The stalls come from the test
/// host, not from the behaviour under test, so the pool is sized for the host here instead of the tests
/// tolerating them.
/// </remarks>
internal static class TestHostThreadPool
{
    private const int MinimumThreads = 32;

#pragma warning disable CA2255 // The initializer is meant for this test assembly, which nothing else loads.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, MinimumThreads), Math.Max(completionPorts, MinimumThreads));
    }
}
