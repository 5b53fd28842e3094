using System.Text;
using Expair.Protocol;

namespace Expair.Tests.Protocol;

/// <summary>The 64-byte greeting of 37/ZMTP "Version Negotiation".</summary>
public class GreetingTests
{
    // signature (FF, 8 padding, 7F), version 3.1, "NULL" padded to 20, as-server 0, 31 zero filler.
    private static byte[] ExpectedNullClientGreeting() =>
    [
        0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F,
        3, 1,
        (byte)'N', (byte)'U', (byte)'L', (byte)'L', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0,
        .. new byte[31],
    ];

    private static byte[] ValidGreeting(string mechanism = "NULL", bool asServer = false)
    {
        var buffer = new byte[Greeting.Size];
        Greeting.Write(buffer, mechanism, asServer);
        return buffer;
    }

    [Fact]
    public void Write_Default_ProducesExact64SpecBytes()
    {
        var buffer = Enumerable.Repeat((byte)0xAA, Greeting.Size).ToArray(); // stale bytes must be cleared
        Greeting.Write(buffer);
        Assert.Equal(64, ExpectedNullClientGreeting().Length);
        Assert.Equal(ExpectedNullClientGreeting(), buffer);
    }

    [Fact]
    public void Write_AsServerWithPlain_SetsMechanismAndAsServerByte()
    {
        var buffer = ValidGreeting("PLAIN", asServer: true);
        Assert.Equal("PLAIN\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", Encoding.ASCII.GetString(buffer, 12, 20));
        Assert.Equal(1, buffer[32]);
        Assert.All(buffer[33..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Write_IntoLargerBuffer_LeavesBytesAfter64Untouched()
    {
        var buffer = Enumerable.Repeat((byte)0xAA, 80).ToArray();
        Greeting.Write(buffer);
        Assert.Equal(ExpectedNullClientGreeting(), buffer[..64]);
        Assert.All(buffer[64..], b => Assert.Equal(0xAA, b));
    }

    [Fact]
    public void Check_EveryPrefixOfValidGreeting_NeedsMoreDataUntil64ThenComplete()
    {
        var greeting = ValidGreeting();
        for (var length = 0; length < Greeting.Size; length++)
        {
            Assert.Equal(GreetingStatus.NeedMoreData, Greeting.Check(greeting.AsSpan(0, length), out var partial));
            Assert.Equal(default, partial);
        }
        Assert.Equal(GreetingStatus.Complete, Greeting.Check(greeting, out var peer));
        Assert.Equal(new PeerGreeting(3, 1, "NULL", false), peer);
    }

    [Fact]
    public void Check_MoreThan64Bytes_ParsesOnlyTheGreeting()
    {
        byte[] buffer = [.. ValidGreeting(), 0x04, 0x19, 0x05];
        Assert.Equal(GreetingStatus.Complete, Greeting.Check(buffer, out var peer));
        Assert.Equal(new PeerGreeting(3, 1, "NULL", false), peer);
    }

    [Fact]
    public void Check_Zmtp10FirstByte_IsNotZmtp3AfterOneByte()
    {
        // A ZMTP 1.0 peer opens with a short frame length, e.g. 0x01 for an empty identity frame.
        Assert.Equal(GreetingStatus.NotZmtp3, Greeting.Check([0x01], out _));
        Assert.Equal(GreetingStatus.NotZmtp3, Greeting.Check([0x01, 0x00], out _));
    }

    [Fact]
    public void Check_Byte9Not7F_IsNotZmtp3OnceByte9Arrives()
    {
        var greeting = ValidGreeting();
        greeting[9] = 0x00; // a ZMTP 1.0 long frame: 0xFF then an 8-byte length
        Assert.Equal(GreetingStatus.NeedMoreData, Greeting.Check(greeting.AsSpan(0, 9), out _));
        Assert.Equal(GreetingStatus.NotZmtp3, Greeting.Check(greeting.AsSpan(0, 10), out _));
        Assert.Equal(GreetingStatus.NotZmtp3, Greeting.Check(greeting, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Check_MajorVersionBelow3_IsOldVersionAt11Bytes(byte major)
    {
        var greeting = ValidGreeting();
        greeting[10] = major;
        Assert.Equal(GreetingStatus.NeedMoreData, Greeting.Check(greeting.AsSpan(0, 10), out _));
        Assert.Equal(GreetingStatus.OldVersion, Greeting.Check(greeting.AsSpan(0, Greeting.VersionDetectSize), out _));
        Assert.Equal(GreetingStatus.OldVersion, Greeting.Check(greeting, out _));
    }

    [Theory]
    [InlineData(3, 0, false)]
    [InlineData(3, 1, true)]
    [InlineData(3, 2, true)]
    [InlineData(4, 0, true)]
    public void Check_Version_ReportsHeartbeatSupportFrom31(byte major, byte minor, bool heartbeats)
    {
        var greeting = ValidGreeting();
        greeting[10] = major;
        greeting[11] = minor;
        Assert.Equal(GreetingStatus.Complete, Greeting.Check(greeting, out var peer));
        Assert.Equal(major, peer.Major);
        Assert.Equal(minor, peer.Minor);
        Assert.Equal(heartbeats, peer.SupportsHeartbeats);
    }

    [Fact]
    public void Check_PlainAsServer_ParsesMechanismAndRole()
    {
        Assert.Equal(GreetingStatus.Complete, Greeting.Check(ValidGreeting("PLAIN", asServer: true), out var peer));
        Assert.Equal("PLAIN", peer.Mechanism);
        Assert.True(peer.AsServer);
    }

    [Fact]
    public void Check_MechanismFillingAll20Bytes_ReadsWholeName()
    {
        var greeting = ValidGreeting("ABCDEFGHIJKLMNOPQRST");
        Assert.Equal(GreetingStatus.Complete, Greeting.Check(greeting, out var peer));
        Assert.Equal("ABCDEFGHIJKLMNOPQRST", peer.Mechanism);
    }

    [Fact]
    public void Check_NonZeroPadding_IsAccepted()
    {
        // 37/ZMTP: padding = 8OCTET, "not significant"; libzmq sends a length there.
        var greeting = ValidGreeting();
        greeting.AsSpan(1, 8).Fill(0x5A);
        Assert.Equal(GreetingStatus.Complete, Greeting.Check(greeting, out var peer));
        Assert.Equal("NULL", peer.Mechanism);
    }
}
