using System.Text;
using Expair.Protocol;

namespace Expair.Tests.Protocol;

public partial class CommandsTests
{
    [Fact]
    public void WriteReady_SocketTypePair_ProducesSpecBytes()
    {
        // ready = command-size %d5 "READY" metadata; property = name (short-size) value (4-byte size, network order)
        KeyValuePair<string, string>[] properties = [new("Socket-Type", "PAIR")];
        var buffer = new byte[Commands.ReadySize(properties)];
        var written = Commands.WriteReady(buffer, properties);
        byte[] expected = [0x04, 26, 5, .. Ascii("READY"), 11, .. Ascii("Socket-Type"), 0, 0, 0, 4, .. Ascii("PAIR")];
        Assert.Equal(expected, buffer[..written]);
    }

    [Fact]
    public void WriteReadyThenParse_RoundTripsEveryProperty()
    {
        KeyValuePair<string, string>[] properties =
        [
            new("Socket-Type", "PAIR"),
            new("Identity", ""),
            new("X-Custom", "värde ✓"),
            new("Resource", "/a/b"),
        ];
        var buffer = new byte[Commands.ReadySize(properties)];
        var written = Commands.WriteReady(buffer, properties);
        Assert.InRange(written, 1, buffer.Length);

        var (name, data) = ParseFrame(buffer.AsSpan(0, written));
        Assert.Equal("READY", name);
        Assert.True(Commands.TryParseMetadata(data, out var parsed));
        Assert.Equal(4, parsed.Count);
        Assert.Equal("PAIR", parsed["Socket-Type"]);
        Assert.Equal("", parsed["Identity"]);
        Assert.Equal("värde ✓", parsed["X-Custom"]);
        Assert.Equal("/a/b", parsed["Resource"]);
    }

    [Fact]
    public void TryParseMetadata_LooksUpNamesIgnoringCase()
    {
        // 37/ZMTP: "The case (upper or lower) of names SHALL NOT be significant."
        byte[] data = [11, .. Ascii("SOCKET-TYPE"), 0, 0, 0, 4, .. Ascii("PAIR")];
        Assert.True(Commands.TryParseMetadata(data, out var parsed));
        Assert.Equal("PAIR", parsed["socket-type"]);
        Assert.Equal("PAIR", parsed["Socket-Type"]);
    }

    [Fact]
    public void WriteReady_LongMetadata_UsesLongFrameAndRoundTrips()
    {
        KeyValuePair<string, string>[] properties = [new("Socket-Type", "PAIR"), new("X-Big", new string('v', 300))];
        var buffer = new byte[Commands.ReadySize(properties)];
        var written = Commands.WriteReady(buffer, properties);
        Assert.Equal(0x06, buffer[0]);
        var (_, data) = ParseFrame(buffer.AsSpan(0, written));
        Assert.True(Commands.TryParseMetadata(data, out var parsed));
        Assert.Equal(new string('v', 300), parsed["x-big"]);
    }

    [Fact]
    public void TryParseMetadata_Empty_IsTrueWithNoProperties()
    {
        Assert.True(Commands.TryParseMetadata([], out var parsed));
        Assert.Empty(parsed);
    }

    [Fact]
    public void TryParseMetadata_EmptyName_ReturnsFalse() =>
        Assert.False(Commands.TryParseMetadata([0, 0, 0, 0, 0], out _));

    [Fact]
    public void TryParseMetadata_ValueLengthOverrunningData_ReturnsFalse() =>
        Assert.False(Commands.TryParseMetadata([1, (byte)'A', 0, 0, 0, 5, (byte)'x'], out _));

    [Fact]
    public void TryParseMetadata_HugeValueLength_ReturnsFalse() =>
        Assert.False(Commands.TryParseMetadata([1, (byte)'A', 0xFF, 0xFF, 0xFF, 0xFF, (byte)'x'], out _));

    [Fact]
    public void TryParseMetadata_NameOverrunningData_ReturnsFalse() =>
        Assert.False(Commands.TryParseMetadata([5, (byte)'A', (byte)'B'], out _));

    [Fact]
    public void TryParseMetadata_TruncatedValueSize_ReturnsFalse() =>
        Assert.False(Commands.TryParseMetadata([1, (byte)'A', 0, 0], out _));

    [Fact]
    public void TryParseMetadata_GoodPropertyThenGarbage_ReturnsFalse()
    {
        byte[] data = [1, (byte)'A', 0, 0, 0, 1, (byte)'x', 0];
        Assert.False(Commands.TryParseMetadata(data, out _));
    }

    [Fact]
    public void ReadySize_IsAtLeastWhatWriteReadyWrites()
    {
        KeyValuePair<string, string>[] properties = [new("Socket-Type", "PAIR"), new("Identity", "ünïcode")];
        var buffer = new byte[1024];
        var written = Commands.WriteReady(buffer, properties);
        Assert.True(Commands.ReadySize(properties) >= written);
    }
}
