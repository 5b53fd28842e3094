using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Reflection;

namespace Expair.Cli;

/// <summary>One command of the CLI: its System.CommandLine definition (options and action) and its help page.</summary>
internal sealed record CliCommand(Command Command, CliHelp Help);

/// <summary>
/// Parses the command line with System.CommandLine and runs the chosen command. What System.CommandLine
/// reports as wrong becomes one line naming the problem and exit code 2 (<see cref="UsageException"/>);
/// <c>--help</c> (or <c>-h</c>) anywhere before <c>--</c> prints the command's help, even where a value was due.
/// </summary>
internal static class CliParser
{
    public const string RootUsage = """
        expair - ZeroMQ PAIR sockets from the command line (ZMTP 3.1, talks to libzmq PAIR sockets)

        Usage:
          expair demo                    a supervisor and a worker socket in one process
          expair recv (--bind|--connect) ENDPOINT [options]
          expair send (--bind|--connect) ENDPOINT [options] [MESSAGE...]
          expair echo (--bind|--connect) ENDPOINT [options]
          expair bench MODE [ENDPOINT] SIZE COUNT [options]
          expair keygen                  print a fresh CURVE key pair
          expair COMMAND --help          details of one command, every option with its default
          expair --version               the version

        Socket options on recv, send, echo and bench use libzmq's names: --sndhwm, --rcvhwm, --linger,
        --reconnect-ivl, --reconnect-ivl-max, --heartbeat-ivl, --heartbeat-timeout, --heartbeat-ttl,
        --handshake-timeout, --max-msg-size; and security: --curve-server, --curve-secret, --curve-public,
        --curve-serverkey, --curve-allow, --plain-server, --plain.
        Endpoints: tcp://HOST:PORT (bind tcp://*:PORT, or port * for a free one), ipc:///PATH,
                   inproc://NAME (within one process only).
        Exit codes: 0 done, 1 failed or timed out, 2 bad arguments,
                    130 interrupted (Ctrl+C, SIGTERM) before done.
        """;

    private static readonly string[] HelpTokens = ["--help", "-h", "-?"];

    /// <summary>The command's usage error: <c>recv: what (see 'expair recv --help')</c>.</summary>
    public static UsageException Error(string command, string message) => new($"{command}: {message} (see 'expair {command} --help')");

    private static UsageException RootError(string message) => new($"{message} (see 'expair --help')");

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken stop)
    {
        var commands = new[]
        {
            DemoCommand.Create(console),
            RecvCommand.Create(console),
            SendCommand.Create(console),
            EchoCommand.Create(console),
            Bench.BenchCommand.Create(console),
            KeygenCommand.Create(console),
        }.ToDictionary(c => c.Command.Name, StringComparer.Ordinal);

        if (args.Length == 0)
            throw RootError("missing command");
        if (args[0] is "help" || HelpTokens.Contains(args[0]))
            return Help(args.Length > 1 ? args[1] : null, commands, console);
        if (commands.TryGetValue(args[0], out var chosen) && args.TakeWhile(a => a != "--").Any(HelpTokens.Contains))
            return Help(args[0], commands, console);

        if (chosen is not null)
            ThrowIfSwitchHasValue(chosen.Command, args);

        var root = new RootCommand("ZeroMQ PAIR sockets from the command line");
        foreach (var command in commands.Values)
            root.Subcommands.Add(command.Command);
        root.Options.OfType<VersionOption>().Single().Action = new PrintVersion();
        var parsed = root.Parse(args, ParserConfiguration());
        ThrowFirstError(parsed);
        var invocation = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false, // exceptions reach Cli.RunAsync, which knows their exit codes
            ProcessTerminationTimeout = null, // Program handles Ctrl+C and SIGTERM (a sender still lingers)
        };
        return await parsed.InvokeAsync(invocation, stop).ConfigureAwait(false);
    }

    private static int Help(string? name, Dictionary<string, CliCommand> commands, CliConsole console)
    {
        if (name is null)
        {
            console.Out.WriteLine(RootUsage);
            return ExitCode.Ok;
        }
        if (!commands.TryGetValue(name, out var command))
            throw RootError($"unknown command '{name}'");
        console.Out.WriteLine(command.Help.Render(command.Command));
        return ExitCode.Ok;
    }

    /// <summary>How the command line is parsed: no response files, since a message or a Z85 key may start with '@'.</summary>
    public static ParserConfiguration ParserConfiguration() => new() { ResponseFileTokenReplacer = null };

    /// <summary>The first thing wrong with the command line, as one line in the words of the old parser.</summary>
    private static void ThrowFirstError(ParseResult parsed)
    {
        var result = parsed.CommandResult;
        if (result.Command is RootCommand)
        {
            if (parsed.UnmatchedTokens.Count > 0)
                throw RootError(IsOptionLike(parsed.UnmatchedTokens[0]) ? Unexpected(parsed.UnmatchedTokens[0]) : $"unknown command '{parsed.UnmatchedTokens[0]}'");
            if (parsed.Errors.Count > 0)
                throw RootError("missing command");
            return;
        }
        var name = result.Command.Name;
        foreach (var option in result.Children.OfType<OptionResult>())
        {
            // Repeatable options (--curve-allow, --plain-server) take one value each time.
            if (option.IdentifierTokenCount > 1 && option.Option.Arity.MaximumNumberOfValues <= 1)
                throw Error(name, $"option {option.Option.Name} given twice");
        }
        if (parsed.UnmatchedTokens.Count > 0)
            throw Error(name, Unexpected(parsed.UnmatchedTokens[0]));
        // An operand list takes whatever is left, unknown options too; only after "--" may an operand start with '-'.
        var doubleDash = parsed.Tokens.ToList().FindIndex(t => t.Type == TokenType.DoubleDash);
        foreach (var operands in result.Children.OfType<ArgumentResult>())
        {
            foreach (var token in operands.Tokens)
            {
                if (IsOptionLike(token.Value) && (doubleDash < 0 || IndexOf(parsed.Tokens, token) < doubleDash))
                    throw Error(name, Unexpected(token.Value));
            }
        }
        foreach (var error in parsed.Errors)
        {
            if (error.SymbolResult is OptionResult { Tokens.Count: 0 } option && option.Option.Arity.MinimumNumberOfValues > 0)
                throw Error(name, $"option {option.Option.Name} needs a value");
            throw Error(name, error.Message);
        }
    }

    /// <summary><c>expair --version</c>: this assembly's informational version (the entry assembly may be a test host).</summary>
    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var version = typeof(CliParser).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            parseResult.InvocationConfiguration.Output.WriteLine(version);
            return ExitCode.Ok;
        }
    }

    /// <summary>
    /// <c>--json=true</c>: System.CommandLine would split off "true" as an operand (for send, a message to send),
    /// so a switch given a value is refused first.
    /// </summary>
    private static void ThrowIfSwitchHasValue(Command command, string[] args)
    {
        foreach (var arg in args.Skip(1).TakeWhile(a => a != "--"))
        {
            var split = arg.IndexOfAny(['=', ':']);
            if (split > 0 && command.Options.Any(o => o.Arity.MaximumNumberOfValues == 0 && o.Name == arg[..split]))
                throw Error(command.Name, $"option {arg[..split]} takes no value");
        }
    }

    private static bool IsOptionLike(string token) => token.Length > 1 && token[0] == '-';

    private static string Unexpected(string token) =>
        IsOptionLike(token) ? $"unknown option '{token.Split('=', ':')[0]}'" : $"unexpected argument '{token}'";

    private static int IndexOf(IReadOnlyList<Token> tokens, Token token)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            if (ReferenceEquals(tokens[i], token))
                return i;
        }
        return -1;
    }
}
