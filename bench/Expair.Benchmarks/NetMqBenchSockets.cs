using System.Net.Sockets;
using System.Reflection;
using Expair.Cli.Bench;
using NetMQ;

namespace Expair.Benchmarks;

/// <summary>
/// NetMQ's side of the benchmark, written the way a careful NetMQ user writes a hot loop: PAIR sockets with the
/// default high-water marks (1000), every wait bounded by <c>TryReceive</c>/<c>TrySend</c> timeouts, linger as the
/// libzmq peer's. Messages go through <see cref="Msg"/>: the sender fills <c>Msg.InitPool</c>'s buffer, the receiver
/// and echo reuse one initialised <see cref="Msg"/> (NetMQ's documented zero-copy pattern), and message buffers come
/// from NetMQ's own pooled <see cref="BufferPool"/> (<c>SetBufferManagerBufferPool</c>) rather than its default,
/// which allocates every buffer from the GC. NetMQ has one process-wide context, cleaned up on dispose.
/// </summary>
internal sealed class NetMqBenchSockets : IBenchSockets, IDisposable
{
    // Enough pooled memory for both pipes full at the default high-water mark (1000 each) plus the batches in
    // flight, capped at 1 GiB (the 1 MiB runs; the pool allocates on demand, not up front).
    private const int PooledMessages = 2 * 1000 + 64;
    private const long MaxPoolBytes = 1L << 30;

    private readonly TimeSpan _timeout;

    public NetMqBenchSockets(BenchSpec spec)
    {
        _timeout = spec.Timeout;
        var bufferSize = Math.Max(spec.Size, 1);
        BufferPool.SetBufferManagerBufferPool(Math.Min(MaxPoolBytes, (long)PooledMessages * bufferSize), bufferSize);
    }

    public string Implementation => "netmq";

    /// <summary>The package version: the informational version less its "+commit" suffix.</summary>
    public static string Version =>
        typeof(NetMQSocket).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";

    public IBenchSocket Bind(string endpoint, out string bound)
    {
        var socket = Open(endpoint, "bind", s => s.Bind(endpoint));
        bound = socket.Options.LastEndpoint ?? endpoint;
        return new NetMqBenchSocket(socket, _timeout);
    }

    public IBenchSocket Connect(string endpoint) => new NetMqBenchSocket(Open(endpoint, "connect to", s => s.Connect(endpoint)), _timeout);

    public string InProcEndpoint() => $"inproc://netmq-bench-{Guid.NewGuid():N}";

    // Blocks until the sockets' linger lets go, as zmq_ctx_term does for the libzmq peer.
    public void Dispose() => NetMQConfig.Cleanup(block: true);

    /// <summary>A new PAIR socket with linger set, bound or connected by <paramref name="attach"/>.</summary>
    private NetMQ.Sockets.PairSocket Open(string endpoint, string verb, Action<NetMQ.Sockets.PairSocket> attach)
    {
        var socket = new NetMQ.Sockets.PairSocket { Options = { Linger = _timeout } };
        try
        {
            attach(socket);
            return socket;
        }
        // NetMQ reports a bad or unresolvable address with the runtime's own exceptions, not only NetMQException.
        catch (Exception e) when (e is NetMQException or SocketException or ArgumentException)
        {
            socket.Dispose();
            throw new BenchFailedException($"cannot {verb} {endpoint}: {e.Message}", e);
        }
    }
}

/// <summary>
/// One NetMQ PAIR socket with its reusable <see cref="Msg"/>s: outgoing payload, incoming (also echoed back), and
/// the empty acknowledgement. Mutable fields, passed by reference.
/// </summary>
internal sealed class NetMqBenchSocket : IBenchSocket
{
    private readonly NetMQ.Sockets.PairSocket _socket;
    private readonly TimeSpan _timeout;
    private Msg _outgoing;
    private Msg _incoming;
    private Msg _empty;

    public NetMqBenchSocket(NetMQ.Sockets.PairSocket socket, TimeSpan timeout)
    {
        _socket = socket;
        _timeout = timeout;
        _outgoing.InitEmpty();
        _incoming.InitEmpty();
        _empty.InitEmpty();
    }

    public Span<byte> NextPayload(int size)
    {
        _outgoing.Close(); // the previous payload, already sent (an empty message then)
        if (size == 0)
            _outgoing.InitEmpty();
        else
            _outgoing.InitPool(size);
        return _outgoing.Slice();
    }

    // A successful send takes the content and leaves the Msg empty, ready for the next NextPayload or receive.
    public void SendPayload() => Send(ref _outgoing);

    public int Receive()
    {
        if (!_socket.TryReceive(ref _incoming, _timeout))
            throw new TimeoutException("TryReceive");
        return _incoming.HasMore
            ? throw new BenchFailedException("received a multipart message; the benchmark sends one frame")
            : _incoming.Size;
    }

    public void SendBackReceived() => Send(ref _incoming);

    public void SendEmpty() => Send(ref _empty);

    public void Dispose()
    {
        _outgoing.Close();
        _incoming.Close();
        _empty.Close();
        _socket.Dispose();
    }

    private void Send(ref Msg msg)
    {
        if (!_socket.TrySend(ref msg, _timeout, more: false))
            throw new TimeoutException("TrySend");
    }
}
