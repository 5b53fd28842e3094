using Expair.Transport.InProc;
using Xunit.Abstractions;

namespace Expair.Tests.Shutdown;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ResourceCountTests
{
    /// <summary>Counts of process-wide resources are only meaningful with no other test running.</summary>
    public const string Name = "Process resource counts";
}

/// <summary>
/// Nothing left behind: after many create/bind/connect/exchange/dispose cycles the process's threads, open
/// descriptors, timers and inproc names are back near where they started.
/// </summary>
[Collection(ResourceCountTests.Name)]
public class ResourceCycleTests(ITestOutputHelper output)
{
    private const int Cycles = 200;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    // Bounds above the baseline. Descriptors and timers are owned by the sockets and must come back exactly;
    // the small allowance is for the runtime's own (e.g. a lazily opened epoll or timer for the thread pool).
    // Threads: the thread pool may keep a few extra workers for up to 20 s after a burst.
    private const int FdSlack = 4;
    private const int TimerSlack = 2;
    private const int ThreadSlack = 8;

    public static TheoryData<string> Transports => ["tcp", "ipc", "inproc"];

    [Theory]
    [MemberData(nameof(Transports))]
    public void ManyCycles_LeaveNoThreadsDescriptorsTimersOrInProcNames(string transport)
    {
        RunCycles(transport, 20); // warm up: JIT, buffer pools, the thread pool's first workers
        var before = Counts.Take();
        RunCycles(transport, Cycles);
        var settled = SpinWait.SpinUntil(() => Counts.Take().Within(before, FdSlack, TimerSlack, ThreadSlack), Patience);
        var after = Counts.Take();
        output.WriteLine($"{transport}, {Cycles} cycles: before {before}; after {after}");
        Assert.True(settled, $"{transport}: before {before}, after {after} (allowed +{FdSlack} fds, +{TimerSlack} timers, +{ThreadSlack} threads)");
        Assert.Equal(before.InProcNames, after.InProcNames);
        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), "expair-cycle-*.sock")); // ipc socket files removed
    }

    private static void RunCycles(string transport, int cycles)
    {
        var options = new PairSocketOptions { SendTimeout = Patience, ReceiveTimeout = Patience };
        for (var i = 0; i < cycles; i++)
        {
            using var server = new PairSocket(options);
            var endpoint = server.Bind(transport switch
            {
                "tcp" => "tcp://127.0.0.1:*",
                "ipc" => $"ipc://{Path.GetTempPath()}expair-cycle-{Guid.NewGuid():N}.sock",
                _ => $"inproc://cycle-{Guid.NewGuid():N}",
            });
            using var client = new PairSocket(options);
            client.Connect(endpoint);
            client.Send("ping");
            Assert.Equal("ping", server.ReceiveString());
            server.Send("pong");
            Assert.Equal("pong", client.ReceiveString());
        }
    }

    private readonly record struct Counts(int Fds, long Timers, int Threads, int InProcNames)
    {
        public static Counts Take() => new(
            Directory.GetFileSystemEntries("/proc/self/fd").Length,
            Timer.ActiveCount,
            Directory.GetDirectories("/proc/self/task").Length,
            InProcRegistry.Count);

        public bool Within(Counts baseline, int fds, int timers, int threads) =>
            Fds <= baseline.Fds + fds && Timers <= baseline.Timers + timers && Threads <= baseline.Threads + threads
            && InProcNames == baseline.InProcNames;

        public override string ToString() => $"{Fds} fds, {Timers} timers, {Threads} threads, {InProcNames} inproc names";
    }
}
