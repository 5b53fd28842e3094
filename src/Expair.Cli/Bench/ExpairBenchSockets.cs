namespace Expair.Cli.Bench;

/// <summary>Expair's side of the benchmark: PairSocket with libzmq's default high-water marks, every wait bounded.</summary>
internal sealed class ExpairBenchSockets(TimeSpan timeout, int size) : IBenchSockets
{
    public string Implementation => "expair";

    private PairSocketOptions Options => PairSocketOptions.Default with { SendTimeout = timeout, ReceiveTimeout = timeout, Linger = timeout };

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
/// One PairSocket driven through the allocation-free calls: the span send, and either the span receive (small
/// messages: one copy into a reused buffer) or a reused <see cref="Message"/> (large ones: no copy at all).
/// </summary>
internal sealed class ExpairBenchSocket(PairSocket socket, int size) : IBenchSocket
{
    /// <summary>From here up, a copy costs more than refilling a reused Message with the pooled frame.</summary>
    public const int ReusedMessageFrom = 64 * 1024;

    private readonly bool _intoSpan = size < ReusedMessageFrom;
    private readonly byte[] _received = new byte[size < ReusedMessageFrom ? size : 0];
    private readonly Message _message = new();
    private byte[] _payload = [];
    private int _payloadLength;
    private int _receivedLength;

    public Span<byte> NextPayload(int length)
    {
        if (_payload.Length < length)
            _payload = new byte[length];
        _payloadLength = length;
        return _payload.AsSpan(0, length);
    }

    public void SendPayload() => socket.Send(_payload.AsSpan(0, _payloadLength));

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

    public void SendBackReceived()
    {
        if (_intoSpan)
            socket.Send(_received.AsSpan(0, _receivedLength));
        else
            socket.Send(_message);
    }

    public void SendEmpty() => socket.Send(ReadOnlySpan<byte>.Empty);

    public void Dispose()
    {
        _message.Dispose();
        socket.Dispose();
    }
}
