using Expair.Protocol;

namespace Expair.Tests.Protocol;

public partial class CommandsTests
{
    [Fact]
    public void WritePing_ProducesSpecBytes()
    {
        // ping = command-size %d4 "PING" ping-ttl ping-context; ping-ttl is 2 octets, network order, in tenths of a second.
        var buffer = new byte[32];
        var written = Commands.WritePing(buffer, ttlDeciseconds: 300, "abc"u8);
        byte[] expected = [0x04, 10, 4, .. Ascii("PING"), 0x01, 0x2C, .. Ascii("abc")];
        Assert.Equal(expected, buffer[..written]);
    }

    [Fact]
    public void WritePing_ContextOver16Bytes_IsCutTo16()
    {
        var buffer = new byte[64];
        var written = Commands.WritePing(buffer, 0, Ascii("0123456789ABCDEFGHIJ"));
        Assert.Equal(2 + 1 + 4 + 2 + 16, written);
        var (name, data) = ParseFrame(buffer.AsSpan(0, written));
        Assert.Equal("PING", name);
        Assert.Equal(Ascii("0123456789ABCDEF"), Commands.PingContext(data).ToArray());
    }

    [Fact]
    public void PongForKnownPing_ProducesSpecBytes()
    {
        byte[] ping = [0x04, 10, 4, .. Ascii("PING"), 0x00, 0x0A, .. Ascii("abc")];
        var (name, data) = ParseFrame(ping);
        Assert.Equal("PING", name);

        var buffer = new byte[32];
        var written = Commands.WritePong(buffer, Commands.PingContext(data));

        // pong = command-size %d4 "PONG" ping-context
        byte[] expected = [0x04, 8, 4, .. Ascii("PONG"), .. Ascii("abc")];
        Assert.Equal(expected, buffer[..written]);
    }

    [Fact]
    public void WritePong_EmptyContext_IsNameOnly()
    {
        var buffer = new byte[16];
        var written = Commands.WritePong(buffer, []);
        Assert.Equal([0x04, 5, 4, .. Ascii("PONG")], buffer[..written]);
    }

    [Fact]
    public void WritePong_ContextOver16Bytes_IsCutTo16()
    {
        var buffer = new byte[64];
        var written = Commands.WritePong(buffer, Ascii("0123456789ABCDEFGHIJ"));
        Assert.Equal([0x04, 21, 4, .. Ascii("PONG"), .. Ascii("0123456789ABCDEF")], buffer[..written]);
    }

    [Fact]
    public void PingContext_SkipsTtlAndCutsTo16()
    {
        Assert.Equal(Ascii("xy"), Commands.PingContext([0, 1, (byte)'x', (byte)'y']).ToArray());
        Assert.Equal(Ascii("0123456789ABCDEF"), Commands.PingContext([0, 1, .. Ascii("0123456789ABCDEFGHIJ")]).ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void PingContext_NoBytesAfterTtl_IsEmpty(int length) =>
        Assert.True(Commands.PingContext(new byte[length]).IsEmpty);

    [Fact]
    public void PingTtl_ReadsTwoOctetsInNetworkOrder()
    {
        byte[] ping = [0x04, 10, 4, .. Ascii("PING"), 0xFF, 0xFE, .. Ascii("abc")];
        var (_, data) = ParseFrame(ping);
        Assert.Equal(0xFFFE, Commands.PingTtl(data));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void PingTtl_DataTooShort_IsZero(int length) =>
        Assert.Equal(0, Commands.PingTtl(Enumerable.Repeat((byte)0xFF, length).ToArray()));
}
