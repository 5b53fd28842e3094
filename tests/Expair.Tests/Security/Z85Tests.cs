namespace Expair.Tests.Security;

public class Z85Tests
{
    private static readonly byte[] HelloWorldBytes = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];

    [Fact]
    public void Encode_SpecExample_IsHelloWorld()
    {
        Assert.Equal("HelloWorld", Z85.Encode(HelloWorldBytes));
    }

    [Fact]
    public void Decode_SpecExample_GivesItsBytes()
    {
        Assert.Equal(HelloWorldBytes, Z85.Decode("HelloWorld"));
        var destination = new byte[10];
        Assert.Equal(8, Z85.Decode("HelloWorld", destination));
        Assert.Equal(HelloWorldBytes, destination[..8]);
    }

    [Fact]
    public void Extremes_AllZerosAndAllOnes()
    {
        Assert.Equal("00000", Z85.Encode(new byte[4]));
        Assert.Equal("%nSc0", Z85.Encode([0xFF, 0xFF, 0xFF, 0xFF]));
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, Z85.Decode("%nSc0"));
        Assert.Equal("", Z85.Encode([]));
        Assert.Empty(Z85.Decode(""));
    }

    [Fact]
    public void RoundTrip_RandomData()
    {
        var random = new Random(85);
        for (var length = 0; length <= 128; length += 4)
        {
            var data = new byte[length];
            random.NextBytes(data);
            var text = Z85.Encode(data);
            Assert.Equal(length / 4 * 5, text.Length);
            Assert.Equal(data, Z85.Decode(text));
        }
    }

    [Fact]
    public void Encode_IntoSpan_WritesTheSameText()
    {
        var chars = new char[12];
        Assert.Equal(10, Z85.Encode(HelloWorldBytes, chars));
        Assert.Equal("HelloWorld", new string(chars, 0, 10));
        var e = Assert.Throws<ArgumentException>(() => Z85.Encode(HelloWorldBytes, new char[9]));
        Assert.Equal("destination", e.ParamName);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(31)]
    public void Encode_LengthNotAMultipleOf4_Throws(int length)
    {
        var e = Assert.Throws<ArgumentException>(() => Z85.Encode(new byte[length]));
        Assert.Equal("data", e.ParamName);
        Assert.Contains($"{length} bytes is not a multiple of 4", e.Message);
    }

    [Theory]
    [InlineData("Hell")]
    [InlineData("HelloWorl")]
    [InlineData("HelloWorld1")]
    public void Decode_LengthNotAMultipleOf5_Throws(string text)
    {
        var e = Assert.Throws<FormatException>(() => Z85.Decode(text));
        Assert.Contains($"a length of {text.Length} is not a multiple of 5", e.Message);
    }

    [Theory]
    [InlineData("Hello Worl", "U+0020 at position 5")]
    [InlineData("Hello\"orld", "'\"' at position 5")]
    [InlineData("HelloWor\\d", "'\\' at position 8")]
    [InlineData("~elloWorld", "'~' at position 0")]
    [InlineData("HelloWorl\u00e9", "'\u00e9' at position 9")]
    [InlineData("Hello,orld", "',' at position 5")]
    public void Decode_CharacterOutsideTheAlphabet_ThrowsNamingIt(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => Z85.Decode(text));
        Assert.Contains(expected, e.Message);
        Assert.Contains("not in Z85's alphabet", e.Message);
    }

    [Theory]
    [InlineData("%nSc1")]
    [InlineData("#####")]
    public void Decode_GroupAbove32Bits_Throws(string text)
    {
        var e = Assert.Throws<FormatException>(() => Z85.Decode(text));
        Assert.Contains("more than 32 bits", e.Message);
    }

    [Fact]
    public void Decode_Null_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => Z85.Decode((string)null!));
    }

    [Fact]
    public void Lengths_AreComputedAndChecked()
    {
        Assert.Equal(40, Z85.GetEncodedLength(32));
        Assert.Equal(32, Z85.GetDecodedLength(40));
        Assert.Throws<ArgumentException>(() => Z85.GetEncodedLength(5));
        Assert.Throws<FormatException>(() => Z85.GetDecodedLength(-5));
        Assert.Throws<ArgumentException>(() => Z85.Decode("HelloWorld", new byte[7]));
    }
}
