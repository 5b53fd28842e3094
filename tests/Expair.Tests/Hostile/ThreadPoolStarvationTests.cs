namespace Expair.Tests.Hostile;

/// <summary>
/// A connected socket's traffic runs on its own I/O threads (docs/threading.md), so a host whose thread pool is
/// starved — every worker blocked, more blocking work queued ahead of anything else — still gets its messages
/// through. Runs alone (it starves the whole process's pool), in the process-wide collection.
/// </summary>
[Collection(nameof(ProcessWideMeasurements))]
public class ThreadPoolStarvationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("tcp://127.0.0.1:0")]
    [InlineData("ipc")]
    public void RoundTrips_Continue_WhileTheThreadPoolIsStarved(string endpoint)
    {
        const int RoundTrips = 2000;
        var options = PairSocketOptions.Default with { SendTimeout = Patience, ReceiveTimeout = Patience, Linger = TimeSpan.Zero };
        using var server = new PairSocket(options);
        using var client = new PairSocket(options);
        client.Connect(server.Bind(endpoint == "ipc" ? $"ipc://{Path.GetTempPath()}expair-starve-{Guid.NewGuid():N}.sock" : endpoint));
        client.Send("hello"); // connected and handshaken before the pool is taken away (PoolStarvedConnectTests starve it first)
        Assert.Equal("hello", server.ReceiveString());

        // The pool is capped at one worker per core and every worker blocked until disposed (before the sockets close,
        // as PoolStarvedShutdownTests close them on a starved pool).
        using (new StarvedPool())
        {
            // Both ends on threads of their own (LongRunning is not a pool thread): nothing of the exchange may
            // need the pool.
            var echo = Task.Factory.StartNew(() =>
            {
                var buffer = new byte[64];
                for (var i = 0; i < RoundTrips; i++)
                    server.Send(buffer.AsSpan(0, server.Receive(buffer)));
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var payload = new byte[64];
            var reply = new byte[64];
            for (var i = 0; i < RoundTrips; i++)
            {
                payload[0] = (byte)i;
                client.Send(payload);
                Assert.Equal(64, client.Receive(reply));
                Assert.Equal((byte)i, reply[0]);
            }
            Assert.True(echo.Wait(Patience));
        }
    }
}
