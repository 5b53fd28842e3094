namespace Expair.Cli.Tests;

/// <summary>Help, bad arguments and refused endpoints: exit codes and the exact shape of what is printed.</summary>
public class UsageTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    [InlineData("help", "send")]
    [InlineData("demo", "--help")]
    [InlineData("recv", "--help")]
    [InlineData("send", "-h")]
    [InlineData("echo", "--help")]
    [InlineData("recv", "--bind", "--help")]
    [InlineData("send", "--connect", "tcp://127.0.0.1:1", "--count", "x", "--help")]
    public async Task Help_PrintsUsageToStdout_Exit0(params string[] args)
    {
        var result = await CliRunner.RunAsync(args);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Usage:", result.Stdout, StringComparison.Ordinal);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task Help_ForEachCommand_NamesThatCommand()
    {
        foreach (var command in new[] { "demo", "recv", "send", "echo" })
        {
            var result = await CliRunner.RunAsync(command, "--help");
            Assert.StartsWith($"Usage: expair {command}", result.Stdout, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("expair: missing command (see 'expair --help')")]
    [InlineData("expair: unknown command 'bogus' (see 'expair --help')", "bogus")]
    [InlineData("expair: unknown command 'bogus' (see 'expair --help')", "help", "bogus")]
    [InlineData("expair: recv: missing endpoint: give --bind ENDPOINT or --connect ENDPOINT (see 'expair recv --help')", "recv")]
    [InlineData("expair: recv: option --bind needs a value (see 'expair recv --help')", "recv", "--bind")]
    [InlineData("expair: recv: give either --bind or --connect, not both (a PAIR socket has one endpoint) (see 'expair recv --help')", "recv", "--bind", "inproc://a", "--connect", "inproc://b")]
    [InlineData("expair: recv: option --count needs a whole number, not 'abc' (see 'expair recv --help')", "recv", "--bind", "inproc://a", "--count", "abc")]
    [InlineData("expair: recv: option --count must be at least 1, not 0 (see 'expair recv --help')", "recv", "--bind", "inproc://a", "--count", "0")]
    [InlineData("expair: recv: unexpected argument 'extra' (see 'expair recv --help')", "recv", "--bind", "inproc://a", "extra")]
    [InlineData("expair: send: unknown option '--wat' (see 'expair send --help')", "send", "--wat")]
    [InlineData("expair: send: option --interval needs a whole number, not '1s' (see 'expair send --help')", "send", "--connect", "inproc://a", "--interval", "1s", "x")]
    [InlineData("expair: echo: unknown option '--interval' (see 'expair echo --help')", "echo", "--connect", "inproc://a", "--interval", "5")]
    [InlineData("expair: demo: unexpected argument 'now' (see 'expair demo --help')", "demo", "now")]
    [InlineData("expair: unknown option '--bogus' (see 'expair --help')", "--bogus")]
    [InlineData("expair: send: option --multipart takes no value (see 'expair send --help')", "send", "--connect", "inproc://a", "--multipart=1", "x")]
    [InlineData("expair: recv: option --json takes no value (see 'expair recv --help')", "recv", "--connect", "inproc://a", "--json:true")]
    [InlineData("expair: recv: option --format must be text, hex or base64, not 'utf8' (see 'expair recv --help')", "recv", "--connect", "inproc://a", "--format", "utf8")]
    [InlineData("expair: echo: unknown option '-5' (see 'expair echo --help')", "echo", "--connect", "inproc://a", "-5")]
    [InlineData("expair: recv: Invalid endpoint 'tcp://nohost': a tcp endpoint needs host:port, for example tcp://127.0.0.1:5555.", "recv", "--bind", "tcp://nohost")]
    [InlineData("expair: echo: Invalid endpoint 'tcp://*:5555': cannot connect to host *; name the host to connect to.", "echo", "--connect", "tcp://*:5555")]
    [InlineData("expair: send: Invalid endpoint 'udp://x:1': unknown transport 'udp'; Expair supports tcp, ipc and inproc.", "send", "--bind", "udp://x:1", "hi")]
    public async Task BadArguments_OneLineOnStderr_Exit2(string expected, params string[] args)
    {
        var result = await CliRunner.RunAsync(args);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal([expected], result.StderrLines);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Bind_AddressInUse_OneLineOnStderr_Exit1()
    {
        using var holder = new PairSocket();
        var endpoint = holder.Bind("tcp://127.0.0.1:*");
        var result = await CliRunner.RunAsync("recv", "--bind", endpoint);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal([$"expair: recv: {endpoint}: the address is already in use"], result.StderrLines);
    }
}

/// <summary>--version, and help pages that list every option with its default.</summary>
public class HelpAndVersionTests
{
    [Fact]
    public async Task Version_PrintsTheInformationalVersion_Exit0()
    {
        var result = await CliRunner.RunAsync("--version");

        Assert.True(result.ExitCode == 0, result.ToString());
        var expected = typeof(Cli).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        Assert.Equal([expected], result.StdoutLines);
        Assert.Equal("", result.Stderr);
    }

    [Theory]
    [InlineData("recv")]
    [InlineData("send")]
    [InlineData("echo")]
    [InlineData("bench")]
    public async Task Help_ListsEveryOptionWithItsDefault(string command)
    {
        var result = await CliRunner.RunAsync(command, "--help");
        Assert.True(result.ExitCode == 0, result.ToString());

        string[] socketFlags = ["--sndhwm", "--rcvhwm", "--linger", "--reconnect-ivl", "--reconnect-ivl-max", "--heartbeat-ivl",
            "--heartbeat-timeout", "--heartbeat-ttl", "--handshake-timeout", "--max-msg-size", "--timeout",
            "--curve-server", "--curve-secret", "--curve-public", "--curve-serverkey", "--curve-allow", "--plain-server", "--plain"];
        // A row starts with "  --name"; deeper-indented lines continue its description.
        var rows = new List<string>();
        foreach (var line in result.StdoutLines.SkipWhile(l => l != "Options:").Skip(1).TakeWhile(l => l.Length > 0))
        {
            if (line.StartsWith("  --", StringComparison.Ordinal))
                rows.Add(line.Trim());
            else
                rows[^1] += " " + line.Trim();
        }
        foreach (var flag in socketFlags)
            Assert.Contains(rows, row => row.StartsWith(flag + " ", StringComparison.Ordinal));
        // Every row ends with the option's default, except --bind/--connect, of which one is required.
        foreach (var row in rows.Where(r => !r.StartsWith("--bind ", StringComparison.Ordinal) && !r.StartsWith("--connect ", StringComparison.Ordinal)))
            Assert.Matches(@"\(default: [^)]*\)$", row);
    }

    [Fact]
    public async Task Help_SendNamesItsFormatsAndMultipart()
    {
        var result = await CliRunner.RunAsync("send", "--help");
        Assert.Contains("--format text|hex|base64", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("--multipart", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("(default: 10000)", result.Stdout, StringComparison.Ordinal);
    }
}
