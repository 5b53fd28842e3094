using System.Runtime.CompilerServices;

namespace Expair.Cli.Bench;

/// <summary>
/// Expair's side of the benchmark: PairSocket with libzmq's default high-water marks (or the command line's
/// <paramref name="options"/>), every wait bounded by <paramref name="timeout"/>.
/// </summary>
internal sealed class ExpairBenchSockets(TimeSpan timeout, int size, PairSocketOptions options) : IBenchSockets
{
    public string Implementation => "expair";

    private PairSocketOptions Options => options with { SendTimeout = timeout, ReceiveTimeout = timeout };

    public IBenchSocket Bind(string endpoint, out string bound)
    {
        var socket = new PairSocket(Options);
        try
        {
            bound = socket.Bind(endpoint);
            return new ExpairBenchSocket(socket, size);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public IBenchSocket Connect(string endpoint)
    {
        var socket = new PairSocket(Options);
        try
        {
            socket.Connect(endpoint);
            return new ExpairBenchSocket(socket, size);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public string InProcEndpoint() => $"inproc://expair-bench-{Guid.NewGuid():N}";
}

/// <summary>
/// One PairSocket driven through the allocation-free calls. Small messages: the span send and the span receive (one
/// copy each way, into and out of the queue). Large ones: no copy at all, as libzmq's peer does with its messages —
/// the payload is written into a pooled buffer (<see cref="Message.AddBuffer(int)"/>) that
/// <see cref="PairSocket.SendAndClear(Message)"/> hands to the socket, and a reused <see cref="Message"/> receives.
/// </summary>
internal sealed class ExpairBenchSocket(PairSocket socket, int size) : IBenchSocket
{
    /// <summary>From here up, a copy costs more than refilling a reused Message with the pooled frame.</summary>
    public const int ReusedMessageFrom = 64 * 1024;

    private readonly bool _intoSpan = size < ReusedMessageFrom;
    private readonly byte[] _received = new byte[size < ReusedMessageFrom ? size : 0];
    private readonly Message _message = new();
    private Message _outgoing = new();
    private byte[] _payload = [];
    private int _payloadLength;
    private int _receivedLength;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Span<byte> NextPayload(int length)
    {
        if (!_intoSpan)
        {
            if (_outgoing.Count > 0)
            {
                _outgoing.Dispose(); // a payload handed out but never sent goes back to the pool
                _outgoing = new Message();
            }
            return _outgoing.AddBuffer(length).Span;
        }
        if (_payload.Length < length)
            _payload = new byte[length];
        _payloadLength = length;
        return _payload.AsSpan(0, length);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SendPayload()
    {
        if (_intoSpan)
            socket.Send(_payload.AsSpan(0, _payloadLength));
        else
            socket.SendAndClear(_outgoing);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Receive()
    {
        if (_intoSpan)
        {
            try
            {
                return _receivedLength = socket.Receive(_received);
            }
            catch (ArgumentException e)
            {
                throw new BenchFailedException($"received a message larger than {size} bytes: {e.Message}", e);
            }
            catch (InvalidOperationException e)
            {
                throw new BenchFailedException($"received a multipart message; the benchmark sends one frame ({e.Message})", e);
            }
        }
        socket.Receive(_message);
        return _message.Count == 1
            ? _message[0].Length
            : throw new BenchFailedException($"received a {_message.Count}-frame message; the benchmark sends one frame");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SendBackReceived()
    {
        if (_intoSpan)
            socket.Send(_received.AsSpan(0, _receivedLength));
        else
            socket.SendAndClear(_message); // the received buffers go straight back out
    }

    public void SendEmpty() => socket.Send(ReadOnlySpan<byte>.Empty);

    public void Dispose()
    {
        _message.Dispose();
        _outgoing.Dispose();
        socket.Dispose();
    }
}
