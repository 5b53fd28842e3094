namespace Expair.Cli.Bench;

/// <summary>Expair's side of the benchmark: PairSocket with libzmq's default high-water marks, every wait bounded.</summary>
internal sealed class ExpairBenchSockets(TimeSpan timeout) : IBenchSockets
{
    public string Implementation => "expair";

    private PairSocketOptions Options => PairSocketOptions.Default with { SendTimeout = timeout, ReceiveTimeout = timeout, Linger = timeout };

    public IBenchSocket Bind(string endpoint, out string bound)
    {
        var socket = new PairSocket(Options);
        try
        {
            bound = socket.Bind(endpoint);
            return new ExpairBenchSocket(socket);
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
            return new ExpairBenchSocket(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public string InProcEndpoint() => $"inproc://expair-bench-{Guid.NewGuid():N}";
}

/// <summary>One PairSocket driven through the span send and the allocation-free receive calls.</summary>
internal sealed class ExpairBenchSocket(PairSocket socket) : IBenchSocket
{
    private byte[] _payload = [];
    private int _payloadLength;
    private Message? _received;

    public Span<byte> NextPayload(int size)
    {
        if (_payload.Length < size)
            _payload = new byte[size];
        _payloadLength = size;
        return _payload.AsSpan(0, size);
    }

    public void SendPayload() => socket.Send(_payload.AsSpan(0, _payloadLength));

    public int Receive()
    {
        _received?.Dispose();
        _received = socket.Receive();
        return _received.Count == 1
            ? _received[0].Length
            : throw new BenchFailedException($"received a {_received.Count}-frame message; the benchmark sends one frame");
    }

    public void SendBackReceived() => socket.Send(_received!);

    public void SendEmpty() => socket.Send(ReadOnlySpan<byte>.Empty);

    public void Dispose()
    {
        _received?.Dispose();
        socket.Dispose();
    }
}
