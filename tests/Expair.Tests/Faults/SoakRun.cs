namespace Expair.Tests.Faults;

/// <summary>
/// One soak session: a bound and a connecting socket talking through a <see cref="FaultProxy"/> whose
/// connections get random faults, plus a chaos loop that kills live connections at random moments.
/// Both directions carry sequence-numbered messages of random sizes, checked on arrival.
/// </summary>
internal sealed class SoakRun(int seed, int largestMessage = 1024 * 1024)
{
    private static readonly TimeSpan DrainPatience = TimeSpan.FromSeconds(60);

    private readonly Random _random = new(seed);
    private long _faults;

    /// <summary>The session's sockets and proxy, to check that nothing keeps them alive once disposed.</summary>
    public List<WeakReference> Tracked { get; } = [];

    public async Task<SoakStats> RunAsync(TimeSpan duration)
    {
        var options = new PairSocketOptions { ReconnectInterval = TimeSpan.FromMilliseconds(1), Linger = TimeSpan.Zero };
        await using var server = new PairSocket(options);
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        await using var proxy = new FaultProxy(endpoint, _ => RandomPlan());
        await using var client = new PairSocket(options);
        client.Connect(proxy.Endpoint);
        Tracked.Add(new WeakReference(server));
        Tracked.Add(new WeakReference(client));
        Tracked.Add(new WeakReference(proxy));

        using var sending = new CancellationTokenSource(duration);
        using var draining = new CancellationTokenSource(duration + DrainPatience);
        var up = new Stream(client, server, new Random(Next()), largestMessage);
        var down = new Stream(server, client, new Random(Next()), largestMessage);
        var chaos = ChaosAsync(proxy, sending.Token);
        var senders = Task.WhenAll(up.SendAsync(sending.Token), down.SendAsync(sending.Token));
        var receivers = Task.WhenAll(up.ReceiveAsync(draining.Token), down.ReceiveAsync(draining.Token));

        await senders;
        await chaos;
        // Faults off; drop whatever connection is up (it may carry a fault), then a clean link carries the
        // end markers: everything sent before them has arrived or is a counted gap at a cut.
        proxy.Plan = _ => FaultPlan.None;
        var cleanFrom = proxy.ConnectionCount;
        proxy.KillAll();
        Interlocked.Increment(ref _faults);
        await proxy.AcceptedAsync(cleanFrom).WaitAsync(DrainPatience);
        Eventually.True(() => client.IsConnected, DrainPatience, "the clean link is up");
        await up.SendEndAsync(draining.Token);
        await down.SendEndAsync(draining.Token);
        await receivers;

        return new SoakStats(
            Messages: up.Received + down.Received,
            Bytes: up.ReceivedBytes + down.ReceivedBytes,
            Cycles: proxy.ConnectionCount,
            Faults: Interlocked.Read(ref _faults),
            UpGaps: up.Gaps,
            UpLost: up.Lost,
            DownGaps: down.Gaps,
            DownLost: down.Lost);
    }

    private int Next()
    {
        lock (_random)
            return _random.Next();
    }

    private FaultPlan RandomPlan()
    {
        lock (_random)
        {
            var roll = _random.Next(100);
            var offset = _random.Next(0, 256 * 1024);
            var fault = roll switch
            {
                < 35 => Fault.None,
                < 55 => Fault.CutAt(offset),
                < 70 => Fault.ResetAt(offset),
                < 80 => Fault.BlackHoleAt(offset),
                _ => Fault.DelayEach(TimeSpan.FromMilliseconds(1), offset),
            };
            if (fault.Kind is FaultKind.Cut or FaultKind.Reset or FaultKind.BlackHole)
                Interlocked.Increment(ref _faults);
            return _random.Next(2) == 0 ? FaultPlan.Upstream(fault) : FaultPlan.Downstream(fault);
        }
    }

    /// <summary>Kills each connection after a random 0-20 ms (black-holed ones included: no heartbeat here).</summary>
    private async Task ChaosAsync(FaultProxy proxy, CancellationToken cancellationToken)
    {
        for (var n = 0; !cancellationToken.IsCancellationRequested; n++)
        {
            ProxyConnection connection;
            try
            {
                connection = await proxy.AcceptedAsync(n).WaitAsync(cancellationToken);
                int wait;
                lock (_random)
                    wait = _random.Next(0, 20);
                await Task.WhenAny(connection.Closed, Task.Delay(wait, cancellationToken)); // the fault schedule, not a wait for state
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (connection.Closed.IsCompleted)
                continue;
            bool reset;
            lock (_random)
                reset = _random.Next(2) == 0;
            connection.Kill(reset);
            Interlocked.Increment(ref _faults);
        }
    }

    /// <summary>One direction: a sender of numbered messages and a receiver that checks them.</summary>
    private sealed class Stream(PairSocket from, PairSocket to, Random random, int largestMessage)
    {
        private long _sent;
        private long _expected;

        public long Received { get; private set; }
        public long ReceivedBytes { get; private set; }
        public long Gaps { get; private set; }
        public long Lost { get; private set; }

        public async Task SendAsync(CancellationToken cancellationToken)
        {
            try
            {
                while (true)
                {
                    using var message = RandomMessage(_sent);
                    await from.SendAsync(message, cancellationToken);
                    _sent++;
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public async Task SendEndAsync(CancellationToken cancellationToken)
        {
            await from.SendAsync(Sequenced.Frame(-_sent - 1, 0), cancellationToken);
        }

        public async Task ReceiveAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                using var message = await to.ReceiveAsync(cancellationToken);
                var sequence = Sequenced.CheckAny(message);
                if (sequence < 0)
                {
                    // The end marker says how many were sent: what is missing at the end is one last gap.
                    var sent = -sequence - 1;
                    if (sent > _expected)
                    {
                        Gaps++;
                        Lost += sent - _expected;
                    }
                    return;
                }
                Assert.True(sequence >= _expected, $"message {sequence} arrived after {_expected - 1}: duplicated or reordered");
                if (sequence > _expected)
                {
                    Gaps++;
                    Lost += sequence - _expected;
                }
                _expected = sequence + 1;
                Received++;
                ReceivedBytes += message.ByteCount;
            }
        }

        private Message RandomMessage(long sequence)
        {
            var roll = random.Next(1000);
            if (roll < 9)
                return Sequenced.Multipart(sequence, random.Next(2, 7), random.Next(0, 2000));
            var size = roll switch
            {
                < 700 => random.Next(0, 64),
                < 950 => random.Next(64, 4096),
                < 999 => random.Next(4096, 64 * 1024),
                _ => random.Next(largestMessage / 4, largestMessage),
            };
            return new Message().Add(Sequenced.Frame(sequence, size));
        }
    }
}

internal sealed record SoakStats(long Messages, long Bytes, int Cycles, long Faults, long UpGaps, long UpLost, long DownGaps, long DownLost)
{
    public override string ToString() =>
        $"{Messages:N0} messages ({Bytes / (1 << 20):N0} MiB) received exactly once and in order; {Cycles:N0} connections, " +
        $"{Faults:N0} injected faults; gaps client->server {UpGaps:N0} ({UpLost:N0} messages), server->client {DownGaps:N0} ({DownLost:N0} messages)";
}
