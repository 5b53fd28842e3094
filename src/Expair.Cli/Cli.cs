namespace Expair.Cli;

/// <summary>The <c>expair</c> command line, runnable in-process: parses with <see cref="CliParser"/>, one command per file.</summary>
internal static class Cli
{
    /// <summary>
    /// Runs the command line <paramref name="args"/> and returns the exit code. Output goes to
    /// <paramref name="stdout"/> (flushed before returning), diagnostics to <paramref name="stderr"/> prefixed
    /// with <c>expair: </c>; <paramref name="stdin"/> is read as bytes; <paramref name="stop"/> is Ctrl+C/SIGTERM.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Stream stdin, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(args);
        var console = new CliConsole(stdout, stderr, stdin);
        try
        {
            return await CliParser.RunAsync(args, console, stop).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            return console.Fail(e.Message, ExitCode.Usage);
        }
        catch (ExpairException e)
        {
            // Address in use, not available, cannot resolve, or the peer refused the handshake with ERROR: the
            // command line was fine, the machine or the peer said no.
            return console.Fail(e.Message, ExitCode.Failed);
        }
        finally
        {
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }
}

/// <summary>Exit codes, as documented in <see cref="CliParser.RootUsage"/>.</summary>
internal static class ExitCode
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    /// <summary>128 + SIGINT, the shell's convention for a program stopped by Ctrl+C.</summary>
    public const int Interrupted = 130;
}

/// <summary>The three standard streams a command uses; stdin is bytes, so binary input is not decoded.</summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, Stream In)
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
