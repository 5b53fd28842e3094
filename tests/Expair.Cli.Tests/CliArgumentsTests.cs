namespace Expair.Cli.Tests;

public class CliArgumentsTests
{
    private static readonly string[] Valued = ["--bind", "--connect", "--count"];

    [Fact]
    public void Parse_ValueAfterSpaceOrEquals_BothAccepted()
    {
        var parsed = CliArguments.Parse("recv", ["--bind", "tcp://*:1", "--count=7"], Valued);
        Assert.Equal(new SocketTarget(true, "tcp://*:1"), parsed.GetTarget());
        Assert.Equal(7, parsed.GetInt("--count", min: 1));
    }

    [Fact]
    public void Parse_DoubleDash_EndsOptions()
    {
        var parsed = CliArguments.Parse("send", ["a", "--", "--count", "-x", "--help"], Valued);
        Assert.False(parsed.Help);
        Assert.Equal(["a", "--count", "-x", "--help"], parsed.Operands);
        Assert.False(parsed.Has("--count"));
    }

    [Fact]
    public void Parse_SingleDash_IsAnOperand()
    {
        var parsed = CliArguments.Parse("send", ["-"], Valued);
        Assert.Equal(["-"], parsed.Operands);
    }

    [Fact]
    public void Parse_HelpWhereAValueWasDue_IsHelp()
    {
        Assert.True(CliArguments.Parse("recv", ["--bind", "--help"], Valued).Help);
        Assert.True(CliArguments.Parse("recv", ["--nonsense", "-h"], Valued).Help);
    }

    [Theory]
    [InlineData("unknown option '--nope'", "--nope")]
    [InlineData("option --count needs a value", "--count")]
    [InlineData("option --count given twice", "--count", "1", "--count", "2")]
    public void Parse_Wrong_ThrowsUsageNamingTheProblem(string expected, params string[] args)
    {
        var error = Assert.Throws<UsageException>(() => CliArguments.Parse("recv", args, Valued));
        Assert.Equal($"recv: {expected} (see 'expair recv --help')", error.Message);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("1.5")]
    [InlineData("")]
    [InlineData("99999999999")]
    public void GetInt_NotAWholeNumberOfAtLeastOne_Throws(string value)
    {
        var parsed = CliArguments.Parse("recv", ["--count", value], Valued);
        Assert.Throws<UsageException>(() => parsed.GetInt("--count", min: 1));
    }

    [Fact]
    public void GetTarget_NeitherOrBoth_Throws()
    {
        Assert.Contains("missing endpoint", Assert.Throws<UsageException>(() => CliArguments.Parse("recv", [], Valued).GetTarget()).Message, StringComparison.Ordinal);
        Assert.Contains("not both", Assert.Throws<UsageException>(() => CliArguments.Parse("recv", ["--bind", "a", "--connect", "b"], Valued).GetTarget()).Message, StringComparison.Ordinal);
    }
}
