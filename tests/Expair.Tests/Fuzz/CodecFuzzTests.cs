using System.Buffers;
using System.Diagnostics;
using Expair.Protocol;
using Xunit.Abstractions;

namespace Expair.Tests.Fuzz;

/// <summary>
/// Tens of thousands of mutated greetings, commands and frames against the pure codec: every call returns
/// one of its documented results, never throws, and allocates in proportion to the input, never to a length
/// the input claims.
/// </summary>
public class CodecFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 100_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The size limit: claimed lengths above it must be refused; below it, a claimed but absent body must
    /// not be allocated either (the codec only slices what arrived), which the allocation check would see.
    /// </summary>
    private const long MaxBody = 1 << 20;

    [Fact]
    public void FixedSeed_MutatedInput_OnlyDocumentedResults() => Run(FuzzSeeds.Fixed);

    [Fact]
    public void FreshSeed_MutatedInput_OnlyDocumentedResults() => Run(FuzzSeeds.Fresh());

    private void Run(int seed)
    {
        output.WriteLine($"codec fuzz seed {seed} (replay: EXPAIR_FUZZ_SEED={seed})");
        var mutator = new Mutator(seed);
        var clock = Stopwatch.StartNew();
        var frames = 0;
        var iterations = 0;
        for (; iterations < Iterations && clock.Elapsed < Budget; iterations++)
        {
            var input = mutator.Next();
            var before = GC.GetAllocatedBytesForCurrentThread();
            CheckGreeting(input);
            CheckGreeting(input.AsSpan(0, mutator.Random.Next(input.Length + 1)));
            frames += DecodeStream(input);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            // Metadata names and values become strings, plus a dictionary (and the checks here box a little):
            // in proportion to the input, never to MaxBody or a claimed length.
            Assert.True(allocated <= 16 * input.Length + 16 * 1024, $"iteration {iterations} (seed {seed}): {allocated} bytes allocated for {input.Length} bytes of input");
        }
        output.WriteLine($"{iterations:N0} inputs, {frames:N0} frames decoded in {clock.ElapsedMilliseconds} ms");
        Assert.True(iterations >= 10_000, $"only {iterations} inputs in {Budget}");
    }

    private static void CheckGreeting(ReadOnlySpan<byte> input)
    {
        var status = Greeting.Check(input, out var greeting);
        Assert.True(Enum.IsDefined(status));
        if (status == GreetingStatus.Complete)
            Assert.True(greeting.Major >= 3 && greeting.Mechanism.Length <= 20);
    }

    /// <summary>Decodes frames the way the engine does: header, size check, body, command dispatch.</summary>
    private static int DecodeStream(ReadOnlySpan<byte> rest)
    {
        var frames = 0;
        while (true)
        {
            var status = FrameHeader.TryParse(rest, MaxBody, out var header);
            Assert.True(Enum.IsDefined(status));
            if (status != OperationStatus.Done)
                return frames;
            Assert.InRange(header.BodyLength, 0, MaxBody);
            Assert.True(header.HeaderLength is 2 or 9);
            Assert.False(header.IsCommand && header.More);
            if (rest.Length < header.HeaderLength + header.BodyLength)
                return frames;
            var body = rest.Slice(header.HeaderLength, (int)header.BodyLength);
            if (header.IsCommand && Commands.TryParse(body, out var name, out var data))
            {
                Assert.InRange(name.Length, 1, 255);
                if (Commands.IsNamed(name, Commands.Ready))
                    _ = Commands.TryParseMetadata(data, out _);
                else if (Commands.IsNamed(name, Commands.Ping))
                    Assert.InRange(Commands.PingContext(data).Length, 0, Commands.MaxPingContext);
                else if (Commands.IsNamed(name, Commands.Error))
                    Assert.InRange(Commands.ParseErrorReason(data).Length, 0, 255);
            }
            rest = rest[(header.HeaderLength + body.Length)..];
            frames++;
        }
    }
}
