namespace Expair.Cli.Tests;

/// <summary>
/// How the command line is read (System.CommandLine underneath): the rules the hand-written parser had, kept
/// with their assertions, now checked through the whole CLI.
/// </summary>
public class CliArgumentsTests
{
    private static string NewInProc() => $"inproc://args-{Guid.NewGuid():N}";

    private static PairSocket NewPeer() => new(new PairSocketOptions { ReceiveTimeout = TimeSpan.FromSeconds(10) });

    [Fact]
    public async Task Parse_ValueAfterSpaceOrEquals_BothAccepted()
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());

        var send = await CliRunner.RunAsync("send", "--connect", endpoint, "--count=2", "--interval", "0", "x");

        Assert.True(send.ExitCode == 0, send.ToString());
        Assert.Equal(["x", "x"], new[] { peer.ReceiveString(), peer.ReceiveString() });
    }

    [Fact]
    public async Task Parse_DoubleDash_EndsOptions()
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());

        var send = await CliRunner.RunAsync("send", "--connect", endpoint, "a", "--", "--count", "-x", "--help");

        Assert.True(send.ExitCode == 0, send.ToString());
        Assert.Equal(["a", "--count", "-x", "--help"], Enumerable.Range(0, 4).Select(_ => peer.ReceiveString()));
        Assert.False(peer.TryReceive(out _, TimeSpan.Zero)); // --count was a message, not the option
    }

    [Fact]
    public async Task Parse_SingleDash_IsAnOperand()
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());

        var send = await CliRunner.RunAsync("send", "--connect", endpoint, "-");

        Assert.True(send.ExitCode == 0, send.ToString());
        Assert.Equal("-", peer.ReceiveString());
    }

    [Theory]
    [InlineData("recv", "--bind", "--help")]
    [InlineData("recv", "--nonsense", "-h")]
    public async Task Parse_HelpWhereAValueWasDue_IsHelp(params string[] args)
    {
        var result = await CliRunner.RunAsync(args);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("Usage: expair recv", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unknown option '--nope'", "--nope")]
    [InlineData("option --count needs a value", "--count")]
    [InlineData("option --count given twice", "--count", "1", "--count", "2")]
    public async Task Parse_Wrong_ThrowsUsageNamingTheProblem(string expected, params string[] args)
    {
        var result = await CliRunner.RunAsync(["recv", "--bind", NewInProc(), .. args]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal([$"expair: recv: {expected} (see 'expair recv --help')"], result.StderrLines);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("1.5")]
    [InlineData("")]
    [InlineData("99999999999")]
    public async Task GetInt_NotAWholeNumberOfAtLeastOne_Throws(string value)
    {
        var result = await CliRunner.RunAsync("recv", "--bind", NewInProc(), "--count", value);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Matches(@"^expair: recv: option --count (needs a whole number, not '.*'|must be at least 1, not -?\d+) \(see 'expair recv --help'\)$", Assert.Single(result.StderrLines));
    }

    [Fact]
    public async Task GetTarget_NeitherOrBoth_Throws()
    {
        Assert.Contains("missing endpoint", (await CliRunner.RunAsync("recv")).Stderr, StringComparison.Ordinal);
        Assert.Contains("not both", (await CliRunner.RunAsync("recv", "--bind", "a", "--connect", "b")).Stderr, StringComparison.Ordinal);
    }
}
