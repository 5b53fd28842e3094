namespace Expair.Cli.Tests;

/// <summary><c>expair keygen</c>: two lines of Z85 that are a real CURVE pair, fresh on every run.</summary>
public class KeygenCommandTests
{
    [Fact]
    public async Task Keygen_PrintsAPublicAndSecretKeyOfOnePair()
    {
        var result = await CliRunner.RunAsync("keygen");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        var lines = result.StdoutLines;
        Assert.Equal(2, lines.Length);
        Assert.Matches("^public-key=.{40}$", lines[0]);
        Assert.Matches("^secret-key=.{40}$", lines[1]);
        var publicKey = lines[0]["public-key=".Length..];
        var secretKey = lines[1]["secret-key=".Length..];
        using var pair = CurveKeyPair.FromSecretKey(secretKey);
        Assert.Equal(publicKey, pair.PublicKeyZ85);
    }

    [Fact]
    public async Task Keygen_MakesAFreshPairEachRun()
    {
        var first = await CliRunner.RunAsync("keygen");
        var second = await CliRunner.RunAsync("keygen");

        Assert.NotEqual(first.StdoutLines[1], second.StdoutLines[1]);
        Assert.NotEqual(first.StdoutLines[0], second.StdoutLines[0]);
    }

    [Fact]
    public async Task Keygen_WithAnArgument_Exit2()
    {
        var result = await CliRunner.RunAsync("keygen", "now");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(["expair: keygen: unexpected argument 'now' (see 'expair keygen --help')"], result.StderrLines);
    }

    [Fact]
    public async Task Keygen_Help_SaysWhatTheLinesAre()
    {
        var result = await CliRunner.RunAsync("keygen", "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("Usage: expair keygen", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("public-key=", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("secret-key=", result.Stdout, StringComparison.Ordinal);
    }
}
