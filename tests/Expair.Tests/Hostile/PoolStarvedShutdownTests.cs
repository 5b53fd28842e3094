using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Expair.Tests.Faults;
using Xunit.Abstractions;

namespace Expair.Tests.Hostile;

/// <summary>
/// An application that keeps every thread-pool thread busy must still be able to close sockets and accept peers
/// (issue 20, defect 3: Dispose waited on work that needed a pool thread, and two Dispose calls on pool threads
/// deadlocked). Runs alone (it starves the whole process's pool), in the process-wide collection.
/// </summary>
[Collection(nameof(ProcessWideMeasurements))]
public class PoolStarvedShutdownTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static readonly PairSocketOptions Options = new() { SendTimeout = Patience, ReceiveTimeout = Patience };

    [Fact(Skip = "Passes in about 5 runs of 6; a close still hangs now and then until the pool frees (issue 20, defect 3: not yet found).")]
    public void DisposeUnbindAndDisconnect_OnStarvedPoolThreads_Finish()
    {
        var tcp = LinkedPair("tcp://127.0.0.1:0");
        var ipc = LinkedPair($"ipc://{Path.GetTempPath()}expair-starved-{Guid.NewGuid():N}.sock");
        var inproc = LinkedPair($"inproc://starved-{Guid.NewGuid():N}");
        var released = LinkedPair("tcp://127.0.0.1:0"); // unbound and disconnected before it is disposed
        var boundOnly = new PairSocket(Options);
        boundOnly.Bind("tcp://127.0.0.1:0");
        var connecting = new PairSocket(Options); // nothing listens: it waits between attempts
        connecting.Connect(TestEndpoints.FreeTcp());

        var timings = new ConcurrentQueue<string>();
        void Timed(string what, Action action)
        {
            var watch = Stopwatch.StartNew();
            action();
            timings.Enqueue($"{what}: {watch.Elapsed.TotalMilliseconds:0.0} ms");
        }

        // Two closers at once, while the pool may not grow past one worker per core and every worker is blocked.
        // They run on threads of their own: a Dispose on a pool thread only takes one more worker away, and what
        // deadlocked was Dispose waiting for work that needed a free worker.
        using var pool = new StarvedPool();
        var closers = new[]
        {
            new Thread(() =>
            {
                Timed("tcp binder Dispose", tcp.Server.Dispose);
                Timed("tcp connector Dispose", tcp.Client.Dispose);
                Timed("Unbind", () => released.Server.Unbind(released.Server.Endpoint!));
                Timed("Disconnect", () => released.Client.Disconnect(released.Client.Endpoint!));
                Timed("bound, never connected, Dispose", boundOnly.Dispose);
            }),
            new Thread(() =>
            {
                Timed("ipc connector Dispose", ipc.Client.Dispose);
                Timed("ipc binder Dispose", ipc.Server.Dispose);
                Timed("inproc Dispose (both)", () => { inproc.Server.Dispose(); inproc.Client.Dispose(); });
                Timed("connecting to nothing, Dispose", connecting.Dispose);
            }),
        };
        foreach (var closer in closers)
        {
            closer.IsBackground = true; // a hung one must not keep the test process alive
            closer.Start();
        }
        var finished = closers.All(closer => closer.Join(Patience));
        foreach (var line in timings)
            output.WriteLine(line);
        Assert.True(finished, "closing while the thread pool was starved did not finish");
        Assert.Equal(9, timings.Count);
        released.Server.Dispose();
        released.Client.Dispose();
    }

    [Theory]
    [InlineData("tcp://127.0.0.1:0")]
    [InlineData("ipc")]
    public void NewConnection_IsAccepted_WhileThePoolIsStarved(string endpoint)
    {
        var logs = new LogRecorder();
        using var server = new PairSocket(Options with { LoggerFactory = logs });
        var bound = server.Bind(endpoint == "ipc" ? $"ipc://{Path.GetTempPath()}expair-starved-{Guid.NewGuid():N}.sock" : endpoint);
        using var pool = new StarvedPool();
        // A blocking connect from this (non-pool) thread: the kernel completes it; accepting is the socket's part.
        using var client = bound.StartsWith("ipc://", StringComparison.Ordinal)
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(bound.StartsWith("ipc://", StringComparison.Ordinal)
            ? new UnixDomainSocketEndPoint(bound["ipc://".Length..])
            : new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, int.Parse(bound[(bound.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture)));
        const int Accepted = 105;
        Assert.True(logs.WaitFor(Accepted, 1, Patience), "the connection was not accepted while the pool was starved");
    }

    private static (PairSocket Server, PairSocket Client) LinkedPair(string endpoint)
    {
        var server = new PairSocket(Options);
        var client = new PairSocket(Options);
        client.Connect(server.Bind(endpoint));
        client.Send("hello"); // connected and handshaken before the pool is taken away
        Assert.Equal("hello", server.ReceiveString());
        return (server, client);
    }

    /// <summary>Caps the pool at one worker per core and blocks every worker until disposed: nothing else queued runs.</summary>
    private sealed class StarvedPool : IDisposable
    {
        private readonly ManualResetEventSlim _release = new(); // not disposed: queued items still to run must find it set
        private readonly int _maxWorkers;
        private readonly int _maxIo;

        public StarvedPool()
        {
            ThreadPool.GetMaxThreads(out _maxWorkers, out _maxIo);
            Assert.True(ThreadPool.SetMaxThreads(Environment.ProcessorCount, _maxIo));
            // More blocking items than workers, queued again while a probe still gets through (a worker may be
            // between items, or one more may have been started before the cap).
            for (var round = 0; ; round++)
            {
                for (var i = 0; i < 64 + ThreadPool.ThreadCount; i++)
                    ThreadPool.UnsafeQueueUserWorkItem(static release => release.Wait(), _release, preferLocal: false);
                if (!Task.Run(() => { }).Wait(TimeSpan.FromMilliseconds(300)))
                    break;
                Assert.True(round < 5, "the thread pool is not starved");
            }
        }

        public void Dispose()
        {
            _release.Set();
            ThreadPool.SetMaxThreads(_maxWorkers, _maxIo);
        }
    }
}
