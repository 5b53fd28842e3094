using Expair.Protocol.Mechanisms;
using static Expair.Tests.Security.CurveCommandsTests;

namespace Expair.Tests.Security;

/// <summary>PLAIN's command bodies as libzmq sends them (24/ZMTP-PLAIN; libzmq's src/plain_*.cpp layout).</summary>
public class PlainCommandsTests
{
    [Fact]
    public void Hello_SpecBytes_AndReadBack()
    {
        var body = new byte[PlainCommands.HelloLength("admin"u8, "pw"u8)];
        Assert.Equal(body.Length, PlainCommands.WriteHello(body, "admin"u8, "pw"u8));
        byte[] expected = [5, .. "HELLO"u8, 5, .. "admin"u8, 2, .. "pw"u8];
        Assert.Equal(expected, body);
        Assert.Equal(("admin", "pw"), PlainCommands.ReadHello(body));
    }

    [Fact]
    public void Hello_EmptyFieldsAndUtf8_RoundTrip()
    {
        var user = "Åsa ✓"u8.ToArray();
        var body = new byte[PlainCommands.HelloLength(user, []) ];
        PlainCommands.WriteHello(body, user, []);
        Assert.Equal(("Åsa ✓", ""), PlainCommands.ReadHello(body));
    }

    [Theory]
    [InlineData(new byte[] { 5, 72, 69, 76, 76, 79 }, "the user name runs past the end")]
    [InlineData(new byte[] { 5, 72, 69, 76, 76, 79, 3, 97 }, "the user name runs past the end")]
    [InlineData(new byte[] { 5, 72, 69, 76, 76, 79, 1, 97 }, "the password runs past the end")]
    [InlineData(new byte[] { 5, 72, 69, 76, 76, 79, 1, 97, 2, 98 }, "the password runs past the end")]
    [InlineData(new byte[] { 5, 72, 69, 76, 76, 79, 1, 97, 1, 98, 0 }, "1 bytes after the password")]
    [InlineData(new byte[] { 5, 72, 69, 76, 76, 79, 1, 0xFF, 0 }, "the user name is not valid UTF-8")]
    [InlineData(new byte[] { 5, 72, 69, 76, 76, 79, 0, 2, 0xC3, 0x28 }, "the password is not valid UTF-8")]
    [InlineData(new byte[] { 5, 104, 101, 108, 108, 111, 0, 0 }, "expected HELLO, received hello")]
    [InlineData(new byte[] { 4, 72, 69, 76, 76 }, "expected HELLO, received HELL")]
    [InlineData(new byte[] { }, "expected HELLO, received (no valid name)")]
    public void ReadHello_Malformed_Throws(byte[] body, string expected)
    {
        AssertViolation(() => PlainCommands.ReadHello(body), expected);
    }

    [Fact]
    public void Welcome_IsTheNameAlone_ExtraBytesRefused()
    {
        var body = new byte[PlainCommands.WelcomeLength];
        PlainCommands.WriteWelcome(body);
        Assert.Equal([7, .. "WELCOME"u8], body);
        PlainCommands.ReadWelcome(body);
        AssertViolation(() => PlainCommands.ReadWelcome([.. body, 0]), "PLAIN WELCOME: 1 bytes after the name");
        AssertViolation(() => PlainCommands.ReadWelcome([5, .. "READY"u8]), "expected WELCOME, received READY");
    }

    [Theory]
    [InlineData("INITIATE")]
    [InlineData("READY")]
    public void MetadataCommands_SpecBytes_AndReadBack(string name)
    {
        var body = new byte[PlainCommands.MetadataCommandLength(name, PairMetadata)];
        Assert.Equal(body.Length, PlainCommands.WriteMetadataCommand(body, name, PairMetadata));
        byte[] expected = [(byte)name.Length, .. System.Text.Encoding.ASCII.GetBytes(name), 11, .. "Socket-Type"u8, 0, 0, 0, 4, .. "PAIR"u8];
        Assert.Equal(expected, body);
        Assert.Equal("PAIR", PlainCommands.ReadMetadataCommand(body, name)["Socket-Type"]);
        AssertViolation(() => PlainCommands.ReadMetadataCommand(body.AsSpan(0, body.Length - 1).ToArray(), name), $"PLAIN {name}: malformed metadata");
    }

    [Fact]
    public void Error_CarriesTheReasonCutTo255()
    {
        var body = new byte[MechanismCommands.ErrorLength("400")];
        MechanismCommands.WriteError(body, "400");
        Assert.Equal([5, .. "ERROR"u8, 3, .. "400"u8], body);
        var longReason = new string('x', 300);
        var longBody = new byte[MechanismCommands.ErrorLength(longReason)];
        Assert.Equal(7 + 255, MechanismCommands.WriteError(longBody, longReason));
        Assert.Equal(255, longBody[6]);
    }
}
