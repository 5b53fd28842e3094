using FsCheck;
using FsCheck.Fluent;

namespace Expair.Tests.Properties;

/// <summary>
/// Any run of messages encodes and decodes to itself however its bytes are cut: one byte at a time (a split
/// at every byte), in two pieces at a random point, or in random chunks.
/// </summary>
public class CodecRoundTripProperties
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(300);

    [Fact]
    public void AnyMessages_FedOneByteAtATime_DecodeIdentically() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), Prop.ForAll(MessageGen.Messages.ToArbitrary(), messages =>
        {
            var bytes = MessageGen.Encode(messages);
            var decoder = new StreamingDecoder();
            for (var i = 0; i < bytes.Length; i++)
                decoder.Feed(bytes.AsSpan(i, 1));
            AssertDecoded(messages, decoder);
        }));

    [Fact]
    public void AnyMessages_SplitAtAnyPoint_DecodeIdentically() =>
        Check.One(Runs, Prop.ForAll(MessageGen.Messages.ToArbitrary(), Gen.Choose(0, int.MaxValue).ToArbitrary(), (messages, pick) =>
        {
            var bytes = MessageGen.Encode(messages);
            var split = bytes.Length == 0 ? 0 : pick % (bytes.Length + 1);
            var decoder = new StreamingDecoder();
            decoder.Feed(bytes.AsSpan(0, split));
            decoder.Feed(bytes.AsSpan(split));
            AssertDecoded(messages, decoder);
        }));

    [Fact]
    public void SmallMessages_SplitAtEveryPoint_DecodeIdentically()
    {
        // Exhaustive over split points, so bounded to streams of a few kB.
        var small = Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 300).Select(size => new byte[size].Select((_, i) => (byte)(i * 13 + size)).ToArray()), n));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60), Prop.ForAll(Gen.ArrayOf(small, 3).ToArbitrary(), messages =>
        {
            var bytes = MessageGen.Encode(messages);
            for (var split = 0; split <= bytes.Length; split++)
            {
                var decoder = new StreamingDecoder();
                decoder.Feed(bytes.AsSpan(0, split));
                decoder.Feed(bytes.AsSpan(split));
                AssertDecoded(messages, decoder);
            }
        }));
    }

    [Fact]
    public void AnyMessages_InRandomChunks_DecodeIdentically() =>
        Check.One(Runs, Prop.ForAll(MessageGen.Messages.ToArbitrary(), MessageGen.Chunks.ToArbitrary(), (messages, chunks) =>
        {
            var bytes = MessageGen.Encode(messages);
            var decoder = new StreamingDecoder();
            var offset = 0;
            for (var i = 0; offset < bytes.Length; i++)
            {
                var size = Math.Min(chunks[i % chunks.Length], bytes.Length - offset);
                decoder.Feed(bytes.AsSpan(offset, size));
                offset += size;
            }
            AssertDecoded(messages, decoder);
        }));

    internal static void AssertDecoded(byte[][][] expected, StreamingDecoder decoder)
    {
        Assert.Equal(0, decoder.PendingFrames);
        Assert.Equal(0, decoder.PendingBytes);
        Assert.Equal(expected.Length, decoder.Messages.Count);
        for (var m = 0; m < expected.Length; m++)
        {
            Assert.Equal(expected[m].Length, decoder.Messages[m].Length);
            for (var f = 0; f < expected[m].Length; f++)
                Assert.True(expected[m][f].AsSpan().SequenceEqual(decoder.Messages[m][f]), $"message {m} frame {f} differs");
        }
    }
}
