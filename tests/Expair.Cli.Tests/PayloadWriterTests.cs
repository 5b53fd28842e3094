using Expair.Cli.Bench;

namespace Expair.Cli.Tests;

/// <summary>The benchmark senders' payload writer: every byte of the payload, and not one byte beyond it.</summary>
public class PayloadWriterTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(1023)]
    [InlineData(1024 * 1024)]
    [InlineData(1024 * 1024 + 7)]
    public void Fill_WritesEveryByteOfThePayloadAndNothingAround(int length)
    {
        var buffer = new byte[length + 64];
        buffer.AsSpan().Fill(0xEE);

        PayloadWriter.Fill(buffer.AsSpan(32, length), 0x5A);

        Assert.Equal(-1, buffer.AsSpan(32, length).IndexOfAnyExcept((byte)0x5A));
        Assert.Equal(-1, buffer.AsSpan(0, 32).IndexOfAnyExcept((byte)0xEE));
        Assert.Equal(-1, buffer.AsSpan(32 + length).IndexOfAnyExcept((byte)0xEE));
    }
}
