namespace Expair.Cli;

/// <summary><c>expair echo</c>: sends every message straight back to the peer.</summary>
internal static class EchoCommand
{
    public const string Usage = """
        Usage: expair echo (--bind|--connect) ENDPOINT [--count N] [--timeout MS]

        Sends every message it receives back to the peer unchanged, all frames of a multipart message intact.

          --bind ENDPOINT     listen on ENDPOINT for the peer (tcp://*:5555, tcp://127.0.0.1:*, ipc:///tmp/x)
          --connect ENDPOINT  connect to the peer at ENDPOINT (tcp://127.0.0.1:5555); retried until it answers
          --count N           stop after echoing N messages (default: run until Ctrl+C or SIGTERM)
          --timeout MS        give up when MS milliseconds pass without a message, or when a reply cannot be
                              queued within MS; on exit, wait at most MS for replies to go out (default: no
                              limit on waits, 10000 ms on exit)

        Exit codes: 0 done (or stopped by Ctrl+C without --count), 1 timed out, 2 bad arguments,
                    130 interrupted before N messages.
        """;

    private static readonly TimeSpan DefaultLinger = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliConsole console, CancellationToken stop)
    {
        var parsed = CliArguments.Parse("echo", args, ["--bind", "--connect", "--count", "--timeout"]);
        if (parsed.Help)
        {
            console.Out.WriteLine(Usage);
            return ExitCode.Ok;
        }
        var target = parsed.GetTarget();
        var count = parsed.GetInt("--count", min: 1);
        var timeout = parsed.GetMilliseconds("--timeout");
        parsed.RequireNoOperands();

        // Linger so the last replies reach the peer before the socket closes.
        var socket = Sockets.Open("echo", target, PairSocketOptions.Default with { Linger = timeout ?? DefaultLinger }, console);
        await using (socket.ConfigureAwait(false))
        {
            var echoed = 0;
            try
            {
                while (count is null || echoed < count)
                {
                    using var message = await Sockets.ReceiveAsync(socket, timeout, stop).ConfigureAwait(false);
                    if (message is null)
                        return console.Fail($"echo: no message within {Sockets.Milliseconds(timeout!.Value)} ({echoed} echoed)", ExitCode.Failed);
                    if (!await Sockets.SendAsync(socket, message, timeout, stop).ConfigureAwait(false))
                        return console.Fail($"echo: could not send message {echoed + 1} back within {Sockets.Milliseconds(timeout!.Value)}", ExitCode.Failed);
                    echoed++;
                }
                return ExitCode.Ok;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return count is null
                    ? ExitCode.Ok
                    : console.Fail($"echo: interrupted after {echoed} of {count} messages", ExitCode.Interrupted);
            }
        }
    }
}
