namespace Expair.Cli.Bench;

/// <summary>
/// What the benchmark loops need from a PAIR socket, implemented once for Expair and once for libzmq so the
/// same loops (and the same clocks) measure both. Each call that waits throws <see cref="TimeoutException"/>
/// after the run's timeout.
/// </summary>
internal interface IBenchSocket : IDisposable
{
    /// <summary>Where the sender writes the next message's <paramref name="size"/> payload bytes.</summary>
    Span<byte> NextPayload(int size);

    /// <summary>Sends the payload last handed out by <see cref="NextPayload"/>.</summary>
    void SendPayload();

    /// <summary>Waits for the next one-frame message and returns its length; it stays held until the next call.</summary>
    int Receive();

    /// <summary>Sends the message last returned by <see cref="Receive"/> back to the peer (the latency echo).</summary>
    void SendBackReceived();

    /// <summary>Sends one empty message: the throughput receiver's acknowledgement.</summary>
    void SendEmpty();
}

/// <summary>How a program opens its sockets: Expair's CLI and the libzmq peer each supply one.</summary>
internal interface IBenchSockets
{
    /// <summary>Name printed as <c>impl=</c> on every summary line.</summary>
    string Implementation { get; }

    /// <summary>Binds <paramref name="endpoint"/>; <paramref name="bound"/> is the real endpoint (a wildcard port resolved).</summary>
    IBenchSocket Bind(string endpoint, out string bound);

    IBenchSocket Connect(string endpoint);

    /// <summary>A fresh endpoint for the in-process modes.</summary>
    string InProcEndpoint();
}

/// <summary>A run could not finish (a timeout, a wrong-sized message); the message is one line for stderr.</summary>
internal sealed class BenchFailedException : Exception
{
    public BenchFailedException() { }

    public BenchFailedException(string message) : base(message) { }

    public BenchFailedException(string message, Exception innerException) : base(message, innerException) { }
}
