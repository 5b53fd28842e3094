using System.Diagnostics;
using System.Net.Sockets;
using Expair.Tests.Faults;
using Expair.Tests.Hostile;
using Xunit.Abstractions;

namespace Expair.Tests.Fuzz;

/// <summary>
/// Mutated handshakes and traffic from raw TCP peers against a live bound socket: every connection ends
/// (the socket closes it, or holds it and lets it go when it leaves), nothing hangs, no message above the size
/// limit is delivered, memory stays bounded, and a healthy peer keeps exact round trips throughout.
/// Runs alone (not beside other tests) so its memory figures are its own.
/// </summary>
[Collection(nameof(RunsAlone))]
public class LiveSocketFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private const int MaxMessageSize = 64 * 1024;
    private const int Workers = 8;

    /// <summary>What a few thousand hostile connections may leave on the GC heap, pools included.</summary>
    private const long MemorySlackBytes = 32 << 20;

    private static PairSocketOptions ServerOptions => new()
    {
        MaxMessageSize = MaxMessageSize,
        HandshakeTimeout = TimeSpan.FromSeconds(2),
        SendTimeout = Patience,
        ReceiveTimeout = Patience,
        Linger = TimeSpan.Zero,
    };

    [Fact]
    public Task FixedSeed_MutatedHandshakes_EveryConnectionEnds_HealthyPeerUnharmed() => HandshakesAsync(FuzzSeeds.Fixed);

    [Fact]
    public Task FreshSeed_MutatedHandshakes_EveryConnectionEnds_HealthyPeerUnharmed() => HandshakesAsync(FuzzSeeds.Fresh());

    [Fact]
    public Task FixedSeed_MutatedTraffic_EveryConnectionEnds_HealthyPeerUnharmed() => TrafficAsync(FuzzSeeds.Fixed);

    [Fact]
    public Task FreshSeed_MutatedTraffic_EveryConnectionEnds_HealthyPeerUnharmed() => TrafficAsync(FuzzSeeds.Fresh());

    /// <summary>The healthy peer is connected before, during and after; hostile peers arrive beside it.</summary>
    private async Task HandshakesAsync(int seed)
    {
        output.WriteLine($"live handshake fuzz seed {seed} (replay: EXPAIR_FUZZ_SEED={seed})");
        var before = Resources.Measure();
        using var server = new PairSocket(ServerOptions);
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using var healthy = new PairSocket(new PairSocketOptions { SendTimeout = Patience, ReceiveTimeout = Patience, Linger = TimeSpan.Zero });
        healthy.Connect(endpoint);
        RoundTrip(healthy, server, -1);

        using var stop = new CancellationTokenSource(Budget);
        var roundTrips = Task.Run(() =>
        {
            var count = 0;
            while (!stop.IsCancellationRequested)
                RoundTrip(healthy, server, count++);
            return count;
        });
        var workers = Enumerable.Range(0, Workers)
            .Select(i => HostileHandshakesAsync(endpoint, new Mutator(seed + i), stop.Token))
            .ToArray();
        var counts = await Task.WhenAll(workers);
        var trips = await roundTrips;
        RoundTrip(healthy, server, int.MaxValue);

        var after = Resources.Measure();
        output.WriteLine($"{counts.Sum(c => c.Connections):N0} hostile connections, {counts.Sum(c => c.Inputs):N0} mutated greetings/commands/frames, " +
            $"{trips:N0} healthy round trips; GC heap {before.HeapBytes / 1024} KiB -> {after.HeapBytes / 1024} KiB");
        Assert.True(counts.Sum(c => c.Connections) >= 500, "too few connections to mean anything");
        Assert.True(trips > 0, "the healthy peer got no round trip through");
        Assert.True(after.HeapBytes - before.HeapBytes < MemorySlackBytes, "the GC heap grew");
    }

    private static async Task<(int Connections, int Inputs)> HostileHandshakesAsync(string endpoint, Mutator mutator, CancellationToken stop)
    {
        var connections = 0;
        var inputs = 0;
        while (!stop.IsCancellationRequested)
        {
            // A greeting, mostly mutated; then maybe a READY or other command, maybe frames, each maybe mutated.
            var bytes = new List<byte>(mutator.Random.Next(4) == 0 ? mutator.Greeting() : mutator.Mutate(mutator.Greeting()));
            inputs++;
            var more = mutator.Random.Next(3);
            for (var i = 0; i < more; i++, inputs++)
            {
                var piece = i == 0 ? mutator.Command() : mutator.DataFrames(mutator.Random.Next(1, 3));
                bytes.AddRange(mutator.Random.Next(2) == 0 ? piece : mutator.Mutate(piece));
            }
            await SendAndExpectCloseAsync(endpoint, [.. bytes]);
            connections++;
        }
        return (connections, inputs);
    }

    /// <summary>Each hostile peer completes a real handshake (it holds the PAIR slot), then sends mutated traffic.</summary>
    private async Task TrafficAsync(int seed)
    {
        output.WriteLine($"live traffic fuzz seed {seed} (replay: EXPAIR_FUZZ_SEED={seed})");
        var before = Resources.Measure();
        var mutator = new Mutator(seed);
        using var server = new PairSocket(ServerOptions);
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        byte[] handshake = [.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR")];
        var clock = Stopwatch.StartNew();
        int connections = 0, inputs = 0, delivered = 0, healthyTrips = 0;
        while (clock.Elapsed < Budget)
        {
            // The healthy peer before, between and after the hostile ones.
            if (connections % 25 == 0)
            {
                using var healthy = new PairSocket(new PairSocketOptions { SendTimeout = Patience, ReceiveTimeout = Patience, Linger = TimeSpan.Zero });
                healthy.Connect(endpoint);
                RoundTrip(healthy, server, healthyTrips++);
                healthy.Disconnect(endpoint);
                Eventually.True(() => !server.HasPeer, Patience, "the healthy peer left");
            }
            var bytes = new List<byte>(handshake);
            var pieces = mutator.Random.Next(1, 40);
            for (var i = 0; i < pieces; i++)
            {
                var piece = mutator.Random.Next(4) == 0 ? mutator.Command() : mutator.DataFrames(mutator.Random.Next(1, 4));
                bytes.AddRange(mutator.Random.Next(3) == 0 ? piece : mutator.Mutate(piece));
            }
            inputs += pieces;
            await SendAndExpectCloseAsync(endpoint, [.. bytes]);
            connections++;
            // What the hostile peer managed to deliver is whole and within the limit; none is left to confuse
            // the next healthy round trip.
            Eventually.True(() => !server.HasPeer, Patience, "the hostile peer's slot was freed");
            while (server.TryReceive(out var message, TimeSpan.Zero))
            {
                using (message)
                    Assert.InRange(message.ByteCount, 0, MaxMessageSize);
                delivered++;
            }
        }
        using (var last = new PairSocket(new PairSocketOptions { SendTimeout = Patience, ReceiveTimeout = Patience, Linger = TimeSpan.Zero }))
        {
            last.Connect(endpoint);
            RoundTrip(last, server, healthyTrips++);
        }

        var after = Resources.Measure();
        output.WriteLine($"{connections:N0} hostile connections holding the slot, {inputs:N0} mutated commands/frame runs, {delivered:N0} messages delivered, " +
            $"{healthyTrips} healthy round trips; GC heap {before.HeapBytes / 1024} KiB -> {after.HeapBytes / 1024} KiB");
        Assert.True(connections >= 200, "too few connections to mean anything");
        Assert.True(after.HeapBytes - before.HeapBytes < MemorySlackBytes, "the GC heap grew");
    }

    /// <summary>Sends the bytes, then end of stream; the socket must close its side within the patience.</summary>
    private static async Task SendAndExpectCloseAsync(string endpoint, byte[] bytes)
    {
        using var peer = await RawPeer.ConnectAsync(endpoint);
        try
        {
            await peer.SendAsync(bytes);
            peer.ShutdownSend();
        }
        catch (SocketException)
        {
            return; // the socket already closed (reset) on the bytes it read: the connection ended
        }
        await peer.ReadUntilClosedAsync(Patience); // throws on a hang
    }

    private static void RoundTrip(PairSocket client, PairSocket server, int sequence)
    {
        var payload = Sequenced.Frame(sequence, sequence & 0xFF);
        client.Send(payload);
        Assert.Equal(payload, server.ReceiveBytes());
        server.Send(payload);
        Assert.Equal(payload, client.ReceiveBytes());
    }
}
