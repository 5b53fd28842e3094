using System.Buffers;
using Expair.Protocol;

namespace Expair.Tests.Protocol;

/// <summary>Frame headers of 37/ZMTP "Framing": flags byte, then a 1-byte or 8-byte big-endian size.</summary>
public class FrameHeaderTests
{
    private static readonly long[] Lengths = [0, 1, 255, 256, 65536, int.MaxValue, 1L << 40, long.MaxValue];

    public static TheoryData<long, bool, bool> LengthsAndFlags()
    {
        var data = new TheoryData<long, bool, bool>();
        foreach (var length in Lengths)
        {
            data.Add(length, false, false);
            data.Add(length, true, false);
            data.Add(length, false, true);
        }
        return data;
    }

    private static byte[] Header(long length, bool more, bool command)
    {
        var buffer = new byte[FrameHeader.MaxSize];
        var written = FrameHeader.Write(buffer, length, more, command);
        return buffer[..written];
    }

    [Theory]
    [MemberData(nameof(LengthsAndFlags))]
    public void WriteThenTryParse_RoundTripsLengthAndFlags(long length, bool more, bool command)
    {
        var header = Header(length, more, command);
        var expectedSize = length <= 255 ? 2 : 9;
        Assert.Equal(expectedSize, header.Length);
        Assert.Equal(expectedSize, FrameHeader.SizeFor(length));

        Assert.Equal(OperationStatus.Done, FrameHeader.TryParse(header, long.MaxValue, out var parsed));
        Assert.Equal(length, parsed.BodyLength);
        Assert.Equal(expectedSize, parsed.HeaderLength);
        Assert.Equal(more, parsed.More);
        Assert.Equal(command, parsed.IsCommand);
        Assert.Equal(FrameFlags.None, parsed.Flags & FrameFlags.LongSize);
    }

    [Theory]
    [MemberData(nameof(LengthsAndFlags))]
    public void TryParse_EverySplitPointOfHeader_NeedsMoreDataUntilComplete(long length, bool more, bool command)
    {
        var header = Header(length, more, command);
        for (var split = 0; split < header.Length; split++)
            Assert.Equal(OperationStatus.NeedMoreData, FrameHeader.TryParse(header.AsSpan(0, split), long.MaxValue, out _));
        byte[] withBody = [.. header, 1, 2, 3];
        Assert.Equal(OperationStatus.Done, FrameHeader.TryParse(withBody, long.MaxValue, out var parsed));
        Assert.Equal(header.Length, parsed.HeaderLength);
    }

    [Fact]
    public void Write_ShortFrame_ProducesSpecBytes()
    {
        Assert.Equal([0x00, 0x05], Header(5, more: false, command: false));
        Assert.Equal([0x01, 0xFF], Header(255, more: true, command: false));
        Assert.Equal([0x04, 0x00], Header(0, more: false, command: true));
    }

    [Fact]
    public void Write_LongFrame_ProducesBigEndianEightByteSize()
    {
        Assert.Equal([0x03, 0, 0, 0, 0, 0, 0, 0x01, 0x00], Header(256, more: true, command: false));
        Assert.Equal([0x06, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF], Header(int.MaxValue, more: false, command: true));
    }

    [Fact]
    public void TryParse_LongFormWithSmallLength_IsAccepted()
    {
        // long-size may carry any value 0..2^63-1, even one that would fit a short frame.
        Assert.Equal(OperationStatus.Done, FrameHeader.TryParse([0x02, 0, 0, 0, 0, 0, 0, 0, 5], long.MaxValue, out var parsed));
        Assert.Equal(new FrameHeader(FrameFlags.None, 5, 9), parsed);
    }

    [Theory]
    [InlineData(0x08)]
    [InlineData(0x10)]
    [InlineData(0x20)]
    [InlineData(0x40)]
    [InlineData(0x80)]
    [InlineData(0xF8)]
    public void TryParse_ReservedFlagBitSet_IsInvalidDataFromFirstByte(byte flags)
    {
        Assert.Equal(OperationStatus.InvalidData, FrameHeader.TryParse([flags], long.MaxValue, out _));
        Assert.Equal(OperationStatus.InvalidData, FrameHeader.TryParse([flags, 0], long.MaxValue, out _));
        Assert.Equal(OperationStatus.InvalidData, FrameHeader.TryParse([(byte)(flags | 0x01), 0], long.MaxValue, out _));
    }

    [Theory]
    [InlineData(0x05)]
    [InlineData(0x07)]
    public void TryParse_CommandWithMore_IsInvalidData(byte flags)
    {
        Assert.Equal(OperationStatus.InvalidData, FrameHeader.TryParse([flags], long.MaxValue, out _));
        Assert.Equal(OperationStatus.InvalidData, FrameHeader.TryParse([flags, 0, 0, 0, 0, 0, 0, 0, 1], long.MaxValue, out _));
    }

    [Fact]
    public void TryParse_LongLengthWithTopBitSet_IsInvalidData()
    {
        Assert.Equal(OperationStatus.InvalidData, FrameHeader.TryParse([0x02, 0x80, 0, 0, 0, 0, 0, 0, 0], long.MaxValue, out _));
        Assert.Equal(OperationStatus.InvalidData, FrameHeader.TryParse([0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], long.MaxValue, out _));
    }

    [Fact]
    public void TryParse_ShortLengthOverMax_IsDestinationTooSmallBeforeBody()
    {
        Assert.Equal(OperationStatus.DestinationTooSmall, FrameHeader.TryParse([0x00, 11], 10, out var header));
        Assert.Equal(default, header);
        Assert.Equal(OperationStatus.Done, FrameHeader.TryParse([0x00, 10], 10, out _));
    }

    [Fact]
    public void TryParse_LongLengthOverMax_IsDestinationTooSmallBeforeBody()
    {
        var header = Header(1L << 40, more: false, command: false);
        Assert.Equal(OperationStatus.DestinationTooSmall, FrameHeader.TryParse(header, int.MaxValue, out _));
        Assert.Equal(OperationStatus.DestinationTooSmall, FrameHeader.TryParse(Header(256, false, false), 255, out _));
    }

    [Fact]
    public void TryParse_RandomBytes_NeverThrowsAndDoneHeadersAreConsistent()
    {
        var random = new Random(20240601);
        long[] limits = [0, 255, 256, int.MaxValue, long.MaxValue];
        for (var i = 0; i < 20_000; i++)
        {
            var buffer = new byte[random.Next(0, 12)];
            random.NextBytes(buffer);
            if (buffer.Length > 0 && random.Next(2) == 0)
                buffer[0] &= 0x07; // valid flags half the time, so the length paths are reached
            var limit = limits[random.Next(limits.Length)];

            var status = FrameHeader.TryParse(buffer, limit, out var header);

            if (status == OperationStatus.Done)
            {
                Assert.True(header.HeaderLength is 2 or 9);
                Assert.True(header.HeaderLength <= buffer.Length);
                Assert.InRange(header.BodyLength, 0, limit);
            }
        }
    }
}
