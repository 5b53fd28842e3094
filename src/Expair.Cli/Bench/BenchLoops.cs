using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Expair.Cli.Bench;

/// <summary>
/// The timed loops, written once over <see cref="IBenchSocket"/> so Expair and libzmq run exactly the same code
/// and clocks. The protocol is issue 3's: the throughput receiver clocks from its first message and then sends one
/// empty acknowledgement; the latency client does COUNT round trips, the first a warm-up that is not timed.
/// With <see cref="BenchSpec.Warmup"/> both sides first move that many untimed messages (or round trips).
/// </summary>
internal static class BenchLoops
{
    /// <summary>thr-local: receives COUNT messages of SIZE bytes, clocked from the first, then acknowledges.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Measurement ReceiveThroughput(IBenchSocket socket, BenchSpec spec)
    {
        var received = 0;
        try
        {
            for (var i = 0; i < spec.Warmup; i++)
                Expect(socket.Receive(), spec, -1);
            Expect(socket.Receive(), spec, received++);
            var meter = Measurement.Start();
            while (received < spec.Count)
                Expect(socket.Receive(), spec, received++);
            var measured = meter.Stop();
            socket.SendEmpty();
            return measured;
        }
        catch (TimeoutException e)
        {
            throw Timeout(spec, $"{received} of {spec.Count} messages received", e);
        }
    }

    /// <summary>thr-remote: sends COUNT messages, writing every payload byte of each, then waits for the acknowledgement.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Measurement SendThroughput(IBenchSocket socket, BenchSpec spec)
    {
        var sent = 0;
        try
        {
            for (var i = 0; i < spec.Warmup; i++)
            {
                PayloadWriter.Fill(socket.NextPayload(spec.Size), (byte)i);
                socket.SendPayload();
            }
            var meter = Measurement.Start();
            for (; sent < spec.Count; sent++)
            {
                // Every byte written per message, as an application producing data would (the index varies it).
                PayloadWriter.Fill(socket.NextPayload(spec.Size), (byte)sent);
                socket.SendPayload();
            }
            var ack = socket.Receive();
            if (ack != 0)
                throw new BenchFailedException($"expected an empty acknowledgement, got {ack} bytes");
            return meter.Stop();
        }
        catch (TimeoutException e)
        {
            throw Timeout(spec, sent < spec.Count ? $"{sent} of {spec.Count} messages sent" : "all sent, no acknowledgement", e);
        }
    }

    /// <summary>lat-local: echoes COUNT messages; clocked from the first (the client's warm-up).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Measurement Echo(IBenchSocket socket, BenchSpec spec)
    {
        var echoed = 0;
        try
        {
            for (var i = 0; i < spec.Warmup; i++)
            {
                Expect(socket.Receive(), spec, -1);
                socket.SendBackReceived();
            }
            Expect(socket.Receive(), spec, echoed);
            socket.SendBackReceived();
            echoed++;
            var meter = Measurement.Start();
            for (; echoed < spec.Count; echoed++)
            {
                Expect(socket.Receive(), spec, echoed);
                socket.SendBackReceived();
            }
            return meter.Stop();
        }
        catch (TimeoutException e)
        {
            throw Timeout(spec, $"{echoed} of {spec.Count} messages echoed", e);
        }
    }

    /// <summary>lat-remote: COUNT round trips; the first is a warm-up, the others are each timed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (Measurement Measured, long[] RoundTrips) RoundTrips(IBenchSocket socket, BenchSpec spec)
    {
        var roundTrips = new long[spec.Count - 1];
        var done = 0;
        try
        {
            for (var i = 0; i < spec.Warmup; i++)
                RoundTrip(socket, spec, -1);
            RoundTrip(socket, spec, 0);
            done = 1; // counted once it came back, so a timeout reports what really completed
            var meter = Measurement.Start();
            for (; done < spec.Count; done++)
                roundTrips[done - 1] = RoundTrip(socket, spec, done);
            return (meter.Stop(), roundTrips);
        }
        catch (TimeoutException e)
        {
            throw Timeout(spec, $"{done} of {spec.Count} round trips done", e);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long RoundTrip(IBenchSocket socket, BenchSpec spec, int index)
    {
        // The payload is written before the clock starts: latency is the transport's time, not memset's.
        PayloadWriter.Fill(socket.NextPayload(spec.Size), (byte)index);
        var start = Stopwatch.GetTimestamp();
        socket.SendPayload();
        var length = socket.Receive();
        var end = Stopwatch.GetTimestamp();
        Expect(length, spec, index);
        return end - start;
    }

    /// <summary>Per message: inlined into the optimised loops, so no call runs unoptimised while the clock runs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Expect(int length, BenchSpec spec, int index)
    {
        if (length != spec.Size)
            throw WrongLength(length, spec, index);
    }

    private static BenchFailedException WrongLength(int length, BenchSpec spec, int index) =>
        new(index < 0
            ? $"a warm-up message had {length} bytes, expected {spec.Size}"
            : $"message {index + 1} had {length} bytes, expected {spec.Size}");

    private static BenchFailedException Timeout(BenchSpec spec, string progress, TimeoutException e) =>
        new($"nothing from the peer within {spec.Timeout.TotalMilliseconds:0} ms ({progress})", e);
}
