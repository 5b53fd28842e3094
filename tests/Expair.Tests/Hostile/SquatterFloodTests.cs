using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Expair.Tests.Hostile;

/// <summary>
/// Measures the whole process (descriptors, managed heap), so nothing else may run meanwhile: xunit runs
/// this collection alone, after the parallel ones.
/// </summary>
[CollectionDefinition(nameof(ProcessWideMeasurements), DisableParallelization = true)]
public sealed class ProcessWideMeasurements;

/// <summary>
/// A flood of 1,000 connections that never finish the handshake, from another process (so every descriptor
/// and byte counted here is Expair's): the real peer gets in and works, descriptors and memory stay bounded by
/// <see cref="PairSocketOptions.MaxPendingHandshakes"/>, every squatter is closed, and all returns to baseline.
/// </summary>
[Collection(nameof(ProcessWideMeasurements))]
public class SquatterFloodTests(ITestOutputHelper output)
{
    private const int Squatters = 1000;
    private const int MaxPending = 100;

    /// <summary>
    /// Room above the cap: the real peer's two sockets, the flood process's pipes, the connection being
    /// accepted, and timed-out squatters whose engines are still closing.
    /// </summary>
    private const int DescriptorSlack = 50;

    /// <summary>
    /// Descriptors the runtime keeps once it has used something for the first time, none of them a socket:
    /// assemblies and symbols mapped for Process and for exception stack traces, the child-process pipe.
    /// </summary>
    private const int RuntimeDescriptors = 10;

    /// <summary>
    /// Growth allowed while 100 handshakes are pending and the real link runs (its four pooled 64 KiB buffers
    /// included). Below the 6.4 MiB that 100 pending handshakes held when each had a 64 KiB receive buffer.
    /// </summary>
    private const long PeakMemoryBound = 4 << 20;

    /// <summary>Left after everything closed: pooled buffers kept for reuse, and this test's 1,000+ log records.</summary>
    private const long AfterMemoryBound = 2 << 20;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task ThousandSquatters_RealPeerWorks_ResourcesStayBounded_AllAreClosed()
    {
        var logs = new RecordingLoggerFactory();
        using var server = new PairSocket(new PairSocketOptions
        {
            HandshakeTimeout = HandshakeTimeout,
            MaxPendingHandshakes = MaxPending,
            ReceiveTimeout = Patience,
            SendTimeout = Patience,
            LoggerFactory = logs,
        });
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        var port = new Uri(endpoint.Replace("tcp://", "http://", StringComparison.Ordinal)).Port;

        var baselineFds = OpenDescriptors();
        var baselineSockets = OpenSockets();
        var baselineMemory = ManagedMemoryAfterGc();
        var peakFds = baselineFds;
        using var stopSampling = new CancellationTokenSource();
        var sampling = Task.Run(async () =>
        {
            // A measurement, not a wait: how many descriptors the process holds, every few milliseconds.
            while (!stopSampling.IsCancellationRequested)
            {
                peakFds = Math.Max(peakFds, OpenDescriptors());
                await Task.Delay(5);
            }
        });

        var clock = Stopwatch.StartNew();
        using var flood = Process.Start(new ProcessStartInfo("python3")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Hostile", "squatters.py"), "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), Squatters.ToString(CultureInfo.InvariantCulture), "15" },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        try
        {
            Assert.Equal("half", await ReadLineAsync(flood));

            // The real peer arrives in the middle of the flood, and keeps talking through the second half.
            using var real = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience, SendTimeout = Patience });
            real.Connect(endpoint);
            await RoundTripsAsync(real, server, "first half", 10);
            await flood.StandardInput.WriteLineAsync("go");
            await flood.StandardInput.FlushAsync();
            var talking = RoundTripsAsync(real, server, "second half", 200);
            Assert.Equal("all", await ReadLineAsync(flood));
            var floodedMemory = ManagedMemoryAfterGc();
            await talking;

            Assert.Equal($"closed {Squatters} of {Squatters}", await ReadLineAsync(flood));
            var allClosed = clock.Elapsed;
            await stopSampling.CancelAsync();
            await sampling;
            await RoundTripsAsync(real, server, "after", 10);

            // Back to the state of the baseline: no peer, no flood process (its pipes are descriptors too).
            real.Dispose();
            await flood.WaitForExitAsync();
            flood.StandardInput.Close();
            flood.StandardOutput.Close();
            Assert.True(logs.WaitFor(104, Patience), "event 104: the real peer's disconnection");
            var afterFds = OpenDescriptors();
            var afterSockets = OpenSockets();
            var afterMemory = ManagedMemoryAfterGc();

            var evicted = logs.Texts(312).Length;
            var timedOut = logs.Texts(313).Length;
            output.WriteLine($"{Squatters} squatters all closed after {allClosed.TotalMilliseconds:0} ms: {evicted} by the cap, {timedOut} by the handshake timeout");
            output.WriteLine($"descriptors: baseline {baselineFds}, peak {peakFds}, after {afterFds}; sockets: baseline {baselineSockets}, after {afterSockets}");
            output.WriteLine($"managed memory after GC: baseline {baselineMemory >> 10} KiB, flooded {floodedMemory >> 10} KiB, after {afterMemory >> 10} KiB");

            // Every squatter was closed once, by the cap or the timeout; the real peer never was (it is the one
            // connection that finished the handshake, and it still works below).
            Assert.Equal(Squatters, evicted + timedOut);
            Assert.DoesNotContain(PeerAddress(Assert.Single(logs.Texts(103))), logs.Texts(312).Concat(logs.Texts(313)).Select(PeerAddress));
            Assert.InRange(timedOut, 1, MaxPending);
            Assert.InRange(peakFds, baselineFds, baselineFds + MaxPending + DescriptorSlack);
            Assert.Equal(baselineSockets, afterSockets);
            Assert.InRange(afterFds, 0, baselineFds + RuntimeDescriptors);
            Assert.InRange(floodedMemory - baselineMemory, long.MinValue, PeakMemoryBound);
            Assert.InRange(afterMemory - baselineMemory, long.MinValue, AfterMemoryBound);
        }
        finally
        {
            if (!flood.HasExited)
                flood.Kill();
            await flood.WaitForExitAsync();
        }
    }

    /// <summary>The first peer address a log entry names (for 103, 312 and 313 that is the peer's).</summary>
    private static string PeerAddress(string text) => System.Text.RegularExpressions.Regex.Match(text, @"tcp://127\.0\.0\.1:\d+").Value;

    private static async Task RoundTripsAsync(PairSocket real, PairSocket server, string label, int count)
    {
        using var cancel = new CancellationTokenSource(Patience);
        for (var i = 0; i < count; i++)
        {
            await real.SendAsync($"{label} {i}", cancel.Token);
            using (var request = await server.ReceiveAsync(cancel.Token))
                Assert.Equal($"{label} {i}", request.GetString());
            await server.SendAsync($"reply {i}", cancel.Token);
            using var reply = await real.ReceiveAsync(cancel.Token);
            Assert.Equal($"reply {i}", reply.GetString());
        }
    }

    private static async Task<string?> ReadLineAsync(Process process)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await process.StandardOutput.ReadLineAsync(cancel.Token);
    }

    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;

    private static int OpenSockets() => Directory.GetFiles("/proc/self/fd").Count(IsSocket);

    private static bool IsSocket(string descriptor)
    {
        try
        {
            return new FileInfo(descriptor).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true;
        }
        catch (IOException)
        {
            return false; // closed while we looked
        }
    }

    private static long ManagedMemoryAfterGc()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
