using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Text;
using Expair.Interop.Tests.Native;

namespace Expair.Interop.Tests;

/// <summary>
/// Expair <see cref="PairSocket"/> against the real libzmq (in-process, through the test wrapper), in both
/// directions (libzmq binds / Expair connects, Expair binds / libzmq connects) over tcp and ipc.
/// This file holds the shared set-up; the tests are in the other ExpairLibZmqInteropTests.*.cs files.
/// </summary>
/// <remarks>
/// Every wait is bounded (10 s): Expair's <see cref="PairSocketOptions.ReceiveTimeout"/> and
/// <see cref="PairSocketOptions.SendTimeout"/>, and the wrapper's default timeout. Nothing sleeps to
/// synchronise: tests wait for messages, libzmq monitor events or Expair log events. The only sleep is the
/// heartbeat window, which is what that test is about. Bursts end with an acknowledgement from the
/// receiver before anything closes, because libzmq 4.3.4 can drop the tail of a burst on ipc when the
/// sender closes at once (libzmq #4660).
/// </remarks>
public sealed partial class ExpairLibZmqInteropTests : IDisposable
{
    private const int WaitMs = ZmqSocket.DefaultTimeoutMs;

    private static readonly TimeSpan Wait = TimeSpan.FromMilliseconds(WaitMs);

    /// <summary>The settings every Expair socket in these tests starts from: nothing waits for ever.</summary>
    private static readonly PairSocketOptions TestOptions = new() { ReceiveTimeout = Wait, SendTimeout = Wait };

    private static readonly byte[] Ack = Encoding.ASCII.GetBytes("ack");

    private readonly List<IDisposable> _cleanup = [];

    /// <summary>Which side of a link binds; the other connects.</summary>
    public enum Binder
    {
        LibZmq,
        Expair,
    }

    public static TheoryData<string, Binder> TransportsAndBinders => new()
    {
        { "tcp", Binder.LibZmq },
        { "tcp", Binder.Expair },
        { "ipc", Binder.LibZmq },
        { "ipc", Binder.Expair },
    };

    public static TheoryData<string> Transports => new() { "tcp", "ipc" };

    public void Dispose()
    {
        // Reverse order: monitors before the sockets they watch, sockets before their ipc files.
        for (int i = _cleanup.Count - 1; i >= 0; i--)
        {
            _cleanup[i].Dispose();
        }
    }

    /// <summary>An Expair socket and a libzmq socket linked over one endpoint.</summary>
    private sealed record Link(PairSocket Expair, ZmqSocket LibZmq, ZmqMonitor? Monitor, string Endpoint);

    /// <summary>
    /// Links a new Expair PAIR with a new libzmq socket of <paramref name="zmqType"/>; <paramref name="binder"/>
    /// binds first, the other connects. <paramref name="configure"/> sets libzmq options before either; with
    /// <paramref name="monitor"/> the libzmq socket is watched from before it binds or connects. Returns at
    /// once: the handshake completes in the background, and both sides queue or wait for it.
    /// </summary>
    private Link Connect(
        string transport,
        Binder binder,
        int zmqType = LibZmq.PAIR,
        Action<ZmqSocket>? configure = null,
        PairSocketOptions? options = null,
        bool monitor = false)
    {
        var expair = Track(new PairSocket(options ?? TestOptions));
        var zmq = Track(new ZmqSocket(zmqType));
        configure?.Invoke(zmq);
        var zmqMonitor = monitor ? Track(new ZmqMonitor(zmq)) : null;
        string endpoint;
        if (binder == Binder.LibZmq)
        {
            endpoint = zmq.Bind(BindEndpoint(transport));
            expair.Connect(endpoint);
        }
        else
        {
            endpoint = expair.Bind(BindEndpoint(transport));
            zmq.Connect(endpoint);
        }

        return new Link(expair, zmq, zmqMonitor, endpoint);
    }

    /// <summary>What to bind: any free loopback port, or a fresh ipc path (removed after the test).</summary>
    private string BindEndpoint(string transport) => transport switch
    {
        "tcp" => "tcp://127.0.0.1:*",
        "ipc" => IpcEndpoint(),
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, null),
    };

    /// <summary>A concrete endpoint nobody listens on yet, for connecting before the bind.</summary>
    private string FreeEndpoint(string transport) => transport switch
    {
        "tcp" => $"tcp://127.0.0.1:{FreeTcpPort()}",
        "ipc" => IpcEndpoint(),
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, null),
    };

    private static int FreeTcpPort()
    {
        // The kernel's pick, released at once: free now, and very unlikely to be handed out again within the test.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private string IpcEndpoint()
    {
        // A unique path under /tmp, well within the 107-byte sun_path limit; removed when the test ends.
        string path = $"/tmp/expair-interop-{Guid.NewGuid():N}.sock";
        _cleanup.Add(new FileCleanup(path));
        return "ipc://" + path;
    }

    private T Track<T>(T disposable)
        where T : IDisposable
    {
        _cleanup.Add(disposable);
        return disposable;
    }

    /// <summary>
    /// Runs the first action on this thread and the others on their own threads, and always waits for all of
    /// them before returning, so no thread is still inside a libzmq socket when the test closes it. Failures
    /// are rethrown (all of them, if several failed).
    /// </summary>
    private static void RunConcurrently(params Action[] actions)
    {
        var others = actions.Skip(1)
            .Select(action => Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))
            .ToArray();
        var failures = new List<Exception>();
        try
        {
            actions[0]();
        }
        catch (Exception e)
        {
            failures.Add(e);
        }

        foreach (var task in others)
        {
            try
            {
                // Each action's own waits are bounded, so this limit is only a last resort.
                if (!task.Wait(TimeSpan.FromSeconds(60)))
                {
                    failures.Add(new TimeoutException("A concurrent part of the test did not finish within 60 s."));
                }
            }
            catch (AggregateException e)
            {
                failures.AddRange(e.InnerExceptions);
            }
        }

        if (failures.Count == 1)
        {
            ExceptionDispatchInfo.Throw(failures[0]);
        }

        if (failures.Count > 1)
        {
            throw new AggregateException(failures);
        }
    }

    /// <summary>The frames of the next Expair message, copied out; the message is disposed.</summary>
    private static byte[][] ReceiveFrames(PairSocket socket)
    {
        using var message = socket.Receive();
        return [.. message.Select(frame => frame.ToArray())];
    }

    private static string[] ReceiveStrings(PairSocket socket) => Strings(ReceiveFrames(socket));

    private static string[] Strings(IEnumerable<byte[]> frames) => [.. frames.Select(frame => Encoding.UTF8.GetString(frame))];

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Index(int index) => BitConverter.GetBytes(index);

    /// <summary>The index carried by a burst message, or -1 for the acknowledgement.</summary>
    private static int IndexOf(ReadOnlySpan<byte> frame, int expected)
    {
        if (frame.SequenceEqual(Ack))
        {
            return -1;
        }

        if (frame.Length != sizeof(int))
        {
            Assert.Fail($"Expected message {expected} (4 bytes), got {frame.Length} bytes.");
        }

        return BitConverter.ToInt32(frame);
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Compares large payloads without letting xunit render megabytes of diff.</summary>
    private static void AssertSameBytes(byte[] expected, byte[] actual)
    {
        Assert.True(expected.Length == actual.Length, $"Expected {expected.Length} bytes, got {actual.Length}.");
        int mismatch = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(mismatch == expected.Length, $"Payload differs first at byte {mismatch} of {expected.Length}.");
    }

    /// <summary>All events the monitor has queued now, without waiting.</summary>
    private static List<ZmqMonitorEvent> DrainEvents(ZmqMonitor monitor)
    {
        var events = new List<ZmqMonitorEvent>();
        while (monitor.TryReceive(out ZmqMonitorEvent monitorEvent, timeoutMs: 0))
        {
            events.Add(monitorEvent);
        }

        return events;
    }

    private static string Describe(IEnumerable<ZmqMonitorEvent> events) =>
        "[" + string.Join(", ", events.Select(e => $"0x{e.Event:X4}({e.Value})")) + "]";

    private sealed class FileCleanup(string path) : IDisposable
    {
        public void Dispose() => File.Delete(path);
    }
}
