using Expair.Protocol.Mechanisms;
using Expair.Tests.Faults;
using Expair.Tests.Hostile;
using Xunit.Abstractions;
using static Expair.Tests.Security.SecureLink;

namespace Expair.Tests.Security;

/// <summary>
/// 1,000 connections that complete the CURVE or PLAIN exchange with credentials the server denies (a client key
/// not on the allow-list, a wrong password), against one server whose legitimate peer keeps exact round trips
/// going throughout. Every one is sent ERROR 400 and closed; afterwards the GC heap and the process's descriptors
/// are back at their baseline. Measures the whole process, so it runs alone.
/// </summary>
[Collection(nameof(ProcessWideMeasurements))]
public sealed class BadKeyFloodTests(ITestOutputHelper output)
{
    private const int Connections = 1000;
    private const int Workers = 4;

    /// <summary>Connections made (beside round trips) before the baseline is taken: pools, JIT and the thread pool settle in them.</summary>
    private const int WarmUp = 300;

    /// <summary>Descriptors the runtime may keep once it has used something for the first time; none a socket.</summary>
    private const int DescriptorSlack = 10;

    /// <summary>What may stay on the GC heap afterwards: buffers pooled for reuse.</summary>
    private const long MemorySlackBytes = 2 << 20;


    [Theory]
    [InlineData("CURVE")]
    [InlineData("PLAIN")]
    public async Task ThousandDeniedPeers_LegitimatePeerUnharmed_ResourcesBackAtBaseline(string mechanism)
    {
        var (serverSecurity, clientSecurity) = mechanism == "CURVE" ? (CurveServer, CurveClient()) : (PlainServer, PlainClient);
        using var server = new PairSocket(Options(serverSecurity));
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using var client = new PairSocket(Options(clientSecurity));
        client.Connect(endpoint);
        RoundTrip(client, server, "first");

        await FloodBesideRoundTripsAsync(client, server, endpoint, mechanism, WarmUp);
        var before = Resources.Measure();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var trips = await FloodBesideRoundTripsAsync(client, server, endpoint, mechanism, Connections);
        var floodTime = clock.Elapsed;
        RoundTrip(client, server, "last");

        var after = Resources.Measure();
        output.WriteLine($"{mechanism}: {Connections} denied connections in {floodTime.TotalSeconds:0.0} s beside {trips} round trips; " +
            $"GC heap {before.HeapBytes / 1024} KiB -> {after.HeapBytes / 1024} KiB, descriptors {before.Handles} -> {after.Handles}");
        Assert.True(trips > 0, "the legitimate peer got no round trip through during the flood");
        Assert.True(after.Handles <= before.Handles + DescriptorSlack, $"descriptors {before.Handles} -> {after.Handles}");
        Assert.True(after.HeapBytes - before.HeapBytes <= MemorySlackBytes, $"GC heap {before.HeapBytes} -> {after.HeapBytes} bytes");
        Assert.True(server.HasPeer);
    }

    /// <summary>The flood, while the legitimate peer makes round trips; how many it made.</summary>
    private static async Task<int> FloodBesideRoundTripsAsync(PairSocket client, PairSocket server, string endpoint, string mechanism, int count)
    {
        using var flooding = new CancellationTokenSource();
        var roundTrips = Task.Run(() =>
        {
            var trips = 0;
            while (!flooding.IsCancellationRequested)
                RoundTrip(client, server, $"trip {trips++}");
            return trips;
        });
        await FloodAsync(endpoint, mechanism, count);
        await flooding.CancelAsync();
        return await roundTrips.WaitAsync(Patience);
    }

    /// <summary>
    /// <paramref name="count"/> raw connections over <see cref="Workers"/> workers, each denied with ERROR 400 and
    /// closed by the server before the next starts.
    /// </summary>
    private static async Task FloodAsync(string endpoint, string mechanism, int count)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                using var wire = await WirePeer.ConnectAsync(endpoint);
                var denied = new HostileClient(wire, new CurveClientScript(ServerKeys.PublicKey, OtherKeys));
                if (mechanism == "CURVE")
                {
                    await denied.CurveUpToInitiateAsync();
                    await denied.SendAsync(denied.Curve.Initiate());
                }
                else
                {
                    await denied.GreetAsync("PLAIN");
                    await denied.SendAsync(HostileClient.PlainHello(User, "guess"));
                }
                Assert.Equal(HostileClient.Error400, await wire.ReadCommandAsync(MechanismCommands.Error));
                await wire.AssertClosedByPeerAsync();
            }
        })));
    }
}
