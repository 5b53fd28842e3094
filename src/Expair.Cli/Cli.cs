using Expair.Cli.Bench;

namespace Expair.Cli;

/// <summary>The <c>expair</c> command line, runnable in-process: dispatches to one command per file.</summary>
internal static class Cli
{
    public const string Usage = """
        expair - ZeroMQ PAIR sockets from the command line (ZMTP 3.1, talks to libzmq PAIR sockets)

        Usage:
          expair demo                    a supervisor and a worker socket in one process
          expair recv (--bind|--connect) ENDPOINT [--count N] [--timeout MS]
          expair send (--bind|--connect) ENDPOINT [--count N] [--interval MS] [--timeout MS] [MESSAGE...]
          expair echo (--bind|--connect) ENDPOINT [--count N] [--timeout MS]
          expair bench MODE [ENDPOINT] SIZE COUNT [--timeout MS]
          expair COMMAND --help          details of one command

        Endpoints: tcp://HOST:PORT (bind tcp://*:PORT, or port * for a free one), ipc:///PATH,
                   inproc://NAME (within one process only).
        Exit codes: 0 done, 1 failed or timed out, 2 bad arguments,
                    130 interrupted (Ctrl+C, SIGTERM) before done.
        """;

    /// <summary>
    /// Runs the command line <paramref name="args"/> and returns the exit code. Output goes to
    /// <paramref name="stdout"/> (flushed before returning), diagnostics to <paramref name="stderr"/> prefixed
    /// with <c>expair: </c>; <paramref name="stop"/> is Ctrl+C/SIGTERM.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, TextReader stdin, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(args);
        var console = new CliConsole(stdout, stderr, stdin);
        try
        {
            var rest = args.Skip(1).ToArray();
            return args.FirstOrDefault() switch
            {
                null => throw new UsageException("missing command (see 'expair --help')"),
                "--help" or "-h" or "help" => Help(rest, console),
                "demo" => await DemoCommand.RunAsync(rest, console, stop).ConfigureAwait(false),
                "recv" => await RecvCommand.RunAsync(rest, console, stop).ConfigureAwait(false),
                "send" => await SendCommand.RunAsync(rest, console, stop).ConfigureAwait(false),
                "echo" => await EchoCommand.RunAsync(rest, console, stop).ConfigureAwait(false),
                "bench" => await BenchCommand.RunAsync(rest, console, stop).ConfigureAwait(false),
                var other => throw new UsageException($"unknown command '{other}' (see 'expair --help')"),
            };
        }
        catch (UsageException e)
        {
            return console.Fail(e.Message, ExitCode.Usage);
        }
        catch (EndpointException e)
        {
            // Address in use, not available, cannot resolve: the command line was fine, the machine said no.
            return console.Fail(e.Message, ExitCode.Failed);
        }
        finally
        {
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static int Help(string[] rest, CliConsole console)
    {
        var text = rest.FirstOrDefault() switch
        {
            null => Usage,
            "demo" => DemoCommand.Usage,
            "recv" => RecvCommand.Usage,
            "send" => SendCommand.Usage,
            "echo" => EchoCommand.Usage,
            "bench" => BenchCommand.Usage,
            var other => throw new UsageException($"unknown command '{other}' (see 'expair --help')"),
        };
        console.Out.WriteLine(text);
        return ExitCode.Ok;
    }
}

/// <summary>Exit codes, as documented in <see cref="Cli.Usage"/>.</summary>
internal static class ExitCode
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    /// <summary>128 + SIGINT, the shell's convention for a program stopped by Ctrl+C.</summary>
    public const int Interrupted = 130;
}

/// <summary>The three standard streams a command uses.</summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, TextReader In)
{
    /// <summary>Writes one <c>expair: </c> line to stderr and returns <paramref name="exitCode"/>.</summary>
    public int Fail(string message, int exitCode)
    {
        Error.WriteLine("expair: " + message);
        return exitCode;
    }

    /// <summary>Writes one informational <c>expair: </c> line to stderr.</summary>
    public void Note(string message) => Error.WriteLine("expair: " + message);
}
