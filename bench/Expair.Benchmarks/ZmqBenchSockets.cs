using System.Runtime.InteropServices;
using Expair.Cli.Bench;
using Expair.Interop.Tests.Native;
using static Expair.Interop.Tests.Native.LibZmq;

namespace Expair.Benchmarks;

/// <summary>
/// libzmq's side of the benchmark: PAIR sockets of one context, default high-water marks (1000), every wait
/// bounded by ZMQ_RCVTIMEO/ZMQ_SNDTIMEO. Messages go through zmq_msg_t as libzmq's own perf tools do: the sender
/// writes into zmq_msg_init_size's buffer, the receiver and echo reuse one zmq_msg_t (no copy).
/// </summary>
internal sealed class ZmqBenchSockets : IBenchSockets, IDisposable
{
    private readonly nint _context = zmq_ctx_new();
    private readonly int _timeoutMs;

    public ZmqBenchSockets(TimeSpan timeout) => _timeoutMs = (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds);

    public string Implementation => "libzmq";

    public IBenchSocket Bind(string endpoint, out string bound)
    {
        var socket = NewSocket();
        if (zmq_bind(socket, endpoint) != 0)
            throw Failed(socket, $"cannot bind {endpoint}");
        bound = LastEndpoint(socket);
        return new ZmqBenchSocket(socket);
    }

    public IBenchSocket Connect(string endpoint)
    {
        var socket = NewSocket();
        if (zmq_connect(socket, endpoint) != 0)
            throw Failed(socket, $"cannot connect to {endpoint}");
        return new ZmqBenchSocket(socket);
    }

    public string InProcEndpoint() => $"inproc://zmq-bench-{Guid.NewGuid():N}";

    public void Dispose() => _ = zmq_ctx_term(_context);

    private unsafe nint NewSocket()
    {
        var socket = zmq_socket(_context, PAIR);
        if (socket == 0)
            throw new BenchFailedException($"zmq_socket: {StrError(zmq_errno())}");
        var timeout = _timeoutMs;
        foreach (var option in new[] { ZMQ_RCVTIMEO, ZMQ_SNDTIMEO, ZMQ_LINGER })
        {
            if (zmq_setsockopt(socket, option, &timeout, sizeof(int)) != 0)
                throw Failed(socket, $"zmq_setsockopt({option})");
        }
        return socket;
    }

    private static unsafe string LastEndpoint(nint socket)
    {
        var buffer = stackalloc byte[256];
        nuint length = 256;
        if (zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, buffer, &length) != 0)
            throw Failed(socket, "zmq_getsockopt(ZMQ_LAST_ENDPOINT)");
        return Marshal.PtrToStringUTF8((nint)buffer) ?? "";
    }

    private static BenchFailedException Failed(nint socket, string what)
    {
        var error = new BenchFailedException($"{what}: {StrError(zmq_errno())}");
        _ = zmq_close(socket);
        return error;
    }
}

/// <summary>One libzmq PAIR socket with its two reusable zmq_msg_t (native memory, so they never move).</summary>
internal sealed unsafe class ZmqBenchSocket : IBenchSocket
{
    private readonly nint _socket;
    private readonly ZmqMsg* _outgoing = (ZmqMsg*)NativeMemory.AlignedAlloc((nuint)sizeof(ZmqMsg), 8);
    private readonly ZmqMsg* _incoming = (ZmqMsg*)NativeMemory.AlignedAlloc((nuint)sizeof(ZmqMsg), 8);

    public ZmqBenchSocket(nint socket)
    {
        _socket = socket;
        // zmq_msg_init cannot fail (zmq_msg_init(3)).
        _ = zmq_msg_init(_outgoing);
        _ = zmq_msg_init(_incoming);
    }

    public Span<byte> NextPayload(int size)
    {
        _ = zmq_msg_close(_outgoing); // the previous payload, already sent (an empty message then)
        Check(zmq_msg_init_size(_outgoing, (nuint)size), "zmq_msg_init_size");
        return new Span<byte>(zmq_msg_data(_outgoing), size);
    }

    public void SendPayload() => Check(zmq_msg_send(_outgoing, _socket, 0), "zmq_msg_send");

    public int Receive()
    {
        Check(zmq_msg_recv(_incoming, _socket, 0), "zmq_msg_recv");
        return zmq_msg_more(_incoming) == 0
            ? (int)zmq_msg_size(_incoming)
            : throw new BenchFailedException("received a multipart message; the benchmark sends one frame");
    }

    // zmq_msg_send takes the content and leaves the message empty, ready for the next receive (as local_lat does).
    public void SendBackReceived() => Check(zmq_msg_send(_incoming, _socket, 0), "zmq_msg_send");

    public void SendEmpty() => Check(zmq_send(_socket, null, 0, 0), "zmq_send");

    public void Dispose()
    {
        _ = zmq_msg_close(_outgoing);
        _ = zmq_msg_close(_incoming);
        NativeMemory.AlignedFree(_outgoing);
        NativeMemory.AlignedFree(_incoming);
        _ = zmq_close(_socket);
    }

    private static void Check(int result, string call)
    {
        if (result >= 0)
            return;
        var errno = zmq_errno();
        throw errno == EAGAIN ? new TimeoutException(call) : new BenchFailedException($"{call}: {StrError(errno)}");
    }
}
