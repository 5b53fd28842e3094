using System.Text;
using Expair.Protocol;

namespace Expair.Tests.Protocol;

public partial class CommandsTests
{
    [Fact]
    public void WriteError_ProducesSpecBytes()
    {
        // error = command-size %d5 "ERROR" error-reason; error-reason = short-size 0*255VCHAR
        var buffer = new byte[64];
        var written = Commands.WriteError(buffer, "bad");
        byte[] expected = [0x04, 10, 5, .. Ascii("ERROR"), 3, .. Ascii("bad")];
        Assert.Equal(expected, buffer[..written]);
    }

    [Fact]
    public void WriteErrorThenParse_RoundTripsReason()
    {
        var buffer = new byte[128];
        var written = Commands.WriteError(buffer, "Socket-Type mismatch: PUB is not PAIR");
        var (name, data) = ParseFrame(buffer.AsSpan(0, written));
        Assert.Equal("ERROR", name);
        Assert.Equal("Socket-Type mismatch: PUB is not PAIR", Commands.ParseErrorReason(data));
    }

    [Fact]
    public void WriteError_EmptyReason_RoundTrips()
    {
        var buffer = new byte[16];
        var written = Commands.WriteError(buffer, "");
        Assert.Equal([0x04, 7, 5, .. Ascii("ERROR"), 0], buffer[..written]);
        Assert.Equal("", Commands.ParseErrorReason(ParseFrame(buffer.AsSpan(0, written)).Data));
    }

    [Fact]
    public void WriteError_ReasonOver255Bytes_IsCutTo255()
    {
        var buffer = new byte[FrameHeader.MaxSize + 1 + 5 + 1 + 300];
        var written = Commands.WriteError(buffer, new string('r', 300));
        Assert.Equal(9 + 1 + 5 + 1 + 255, written); // body 262 bytes needs a long frame
        var (_, data) = ParseFrame(buffer.AsSpan(0, written));
        Assert.Equal(255, data[0]);
        Assert.Equal(new string('r', 255), Commands.ParseErrorReason(data));
    }

    [Fact]
    public void ParseErrorReason_LengthBeyondData_IsClippedToData() =>
        Assert.Equal("ab", Commands.ParseErrorReason([200, (byte)'a', (byte)'b']));

    [Fact]
    public void ParseErrorReason_EmptyOrLengthOnly_IsEmpty()
    {
        Assert.Equal("", Commands.ParseErrorReason([]));
        Assert.Equal("", Commands.ParseErrorReason([0]));
        Assert.Equal("", Commands.ParseErrorReason([9]));
    }

    [Fact]
    public void ParseErrorReason_TrailingBytesAfterReason_AreIgnored() =>
        Assert.Equal("ab", Commands.ParseErrorReason([2, (byte)'a', (byte)'b', (byte)'c']));

    [Fact]
    public void WriteError_NonAsciiReason_StaysAsciiAndReadable()
    {
        var buffer = new byte[64];
        var written = Commands.WriteError(buffer, "naïve");
        var reason = Commands.ParseErrorReason(ParseFrame(buffer.AsSpan(0, written)).Data);
        Assert.Equal(5, reason.Length);
        Assert.True(Encoding.ASCII.GetBytes(reason).All(b => b < 0x80));
    }
}
