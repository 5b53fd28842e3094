namespace Expair.Tests.Hostile;

/// <summary>
/// Each heartbeating connection keeps its due time on the one heartbeat clock (<see cref="Expair.Engine.HeartbeatClock"/>),
/// and takes every entry back when it ends; it makes no timer. Counted process-wide (the clock's entries and
/// <see cref="Timer.ActiveCount"/>), so this runs alone in <see cref="ProcessWideMeasurements"/>.
/// </summary>
[Collection(nameof(ProcessWideMeasurements))]
public class HeartbeatTimerCleanupTests
{
    private const int Cycles = 50;

    /// <summary>Timers of the runtime itself (thread-pool, socket engine) may come and go meanwhile.</summary>
    private const int TimerSlack = 5;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ManyHeartbeatingConnections_LeaveNoTimerBehind()
    {
        var logs = new RecordingLoggerFactory();
        var options = new PairSocketOptions
        {
            ReceiveTimeout = Patience,
            SendTimeout = Patience,
            HeartbeatInterval = TimeSpan.FromMilliseconds(20),
            HeartbeatTimeout = TimeSpan.FromSeconds(2),
            HeartbeatTtl = TimeSpan.FromSeconds(2),
            Linger = TimeSpan.Zero,
        };
        using var server = new PairSocket(options with { LoggerFactory = logs });
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        var baseline = Timer.ActiveCount;
        var clockBaseline = Expair.Engine.HeartbeatClock.Shared.Count;

        for (var i = 0; i < Cycles; i++)
        {
            using var client = new PairSocket(options);
            client.Connect(endpoint);
            await client.SendAsync($"hello {i}");
            using var cancel = new CancellationTokenSource(Patience);
            using (var message = await server.ReceiveAsync(cancel.Token))
                Assert.Equal($"hello {i}", message.GetString());
            Assert.True(logs.WaitFor(120, Patience, count: i + 1), $"event 120 #{i + 1}: heartbeats started");
            client.Dispose();
            Assert.True(logs.WaitFor(104, Patience, count: i + 1), $"event 104 #{i + 1}: the server saw client {i} leave");
        }

        Assert.InRange(Timer.ActiveCount, 0, baseline + TimerSlack);
        Assert.Equal(clockBaseline, Expair.Engine.HeartbeatClock.Shared.Count);
        Assert.Empty(logs.Texts(310));
    }
}
