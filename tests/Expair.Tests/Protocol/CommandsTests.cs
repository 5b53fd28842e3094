using System.Buffers;
using System.Text;
using Expair.Protocol;

namespace Expair.Tests.Protocol;

/// <summary>Command bodies of 37/ZMTP "Commands": name length, name, data. Split by command into partial files.</summary>
public partial class CommandsTests
{
    /// <summary>Parses a whole written command frame and returns its name and data.</summary>
    private static (string Name, byte[] Data) ParseFrame(ReadOnlySpan<byte> frame)
    {
        Assert.Equal(OperationStatus.Done, FrameHeader.TryParse(frame, long.MaxValue, out var header));
        Assert.True(header.IsCommand);
        Assert.False(header.More);
        Assert.Equal(frame.Length, header.HeaderLength + header.BodyLength);
        Assert.True(Commands.TryParse(frame[header.HeaderLength..], out var name, out var data));
        return (Encoding.ASCII.GetString(name), data.ToArray());
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    [Fact]
    public void TryParse_NameThenData_SplitsThem()
    {
        byte[] body = [5, .. Ascii("READY"), 1, 2, 3];
        Assert.True(Commands.TryParse(body, out var name, out var data));
        Assert.Equal("READY", Encoding.ASCII.GetString(name));
        Assert.Equal([1, 2, 3], data.ToArray());
    }

    [Fact]
    public void TryParse_NameFillsBody_GivesEmptyData()
    {
        Assert.True(Commands.TryParse([4, .. Ascii("PING")], out var name, out var data));
        Assert.Equal("PING", Encoding.ASCII.GetString(name));
        Assert.True(data.IsEmpty);
    }

    [Fact]
    public void TryParse_EmptyBody_ReturnsFalse() => Assert.False(Commands.TryParse([], out _, out _));

    [Fact]
    public void TryParse_ZeroLengthName_ReturnsFalse() => Assert.False(Commands.TryParse([0, 1, 2], out _, out _));

    [Fact]
    public void TryParse_NameLengthOverrunningBody_ReturnsFalse() =>
        Assert.False(Commands.TryParse([5, .. Ascii("REA")], out _, out _));

    [Theory]
    [InlineData("READY", "READY", true)]
    [InlineData("ready", "READY", true)]
    [InlineData("READ", "READY", false)]
    [InlineData("READYY", "READY", false)]
    public void IsNamed_ComparesWholeNameIgnoringCase(string name, string expected, bool result) =>
        Assert.Equal(result, Commands.IsNamed(Ascii(name), expected));

    [Fact]
    public void Parsers_RandomBytes_NeverThrow()
    {
        var random = new Random(7331);
        byte[] edgy = [0, 1, 2, 3, 4, 5, 0x7F, 0x80, 0xFF];
        for (var i = 0; i < 20_000; i++)
        {
            var buffer = new byte[random.Next(0, 48)];
            // Half the buffers draw from small/edge values so length fields often almost fit.
            if (random.Next(2) == 0)
                random.NextBytes(buffer);
            else
                for (var j = 0; j < buffer.Length; j++)
                    buffer[j] = edgy[random.Next(edgy.Length)];

            if (Commands.TryParse(buffer, out var name, out var data))
                Assert.Equal(buffer.Length, 1 + name.Length + data.Length);
            if (Commands.TryParseMetadata(buffer, out var properties))
                Assert.All(properties.Keys, key => Assert.NotEqual("", key));
            Assert.InRange(Commands.ParseErrorReason(buffer).Length, 0, 255);
            Assert.InRange(Commands.PingContext(buffer).Length, 0, Commands.MaxPingContext);
        }
    }
}
