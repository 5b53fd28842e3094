namespace Expair.Cli;

/// <summary><c>expair recv</c>: prints what the peer sends.</summary>
internal static class RecvCommand
{
    public const string Usage = """
        Usage: expair recv (--bind|--connect) ENDPOINT [--count N] [--timeout MS]

        Receives messages and prints each on one line of stdout, as UTF-8 (invalid bytes print as U+FFFD).
        The frames of a multipart message are printed tab-separated on that one line.

          --bind ENDPOINT     listen on ENDPOINT for the peer (tcp://*:5555, tcp://127.0.0.1:*, ipc:///tmp/x)
          --connect ENDPOINT  connect to the peer at ENDPOINT (tcp://127.0.0.1:5555); retried until it answers
          --count N           stop after N messages (default: run until Ctrl+C or SIGTERM)
          --timeout MS        give up when MS milliseconds pass without a message (default: wait for ever)

        Exit codes: 0 done (or stopped by Ctrl+C without --count), 1 timed out, 2 bad arguments,
                    130 interrupted before N messages.
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliConsole console, CancellationToken stop)
    {
        var parsed = CliArguments.Parse("recv", args, ["--bind", "--connect", "--count", "--timeout"]);
        if (parsed.Help)
        {
            console.Out.WriteLine(Usage);
            return ExitCode.Ok;
        }
        var target = parsed.GetTarget();
        var count = parsed.GetInt("--count", min: 1);
        var timeout = parsed.GetMilliseconds("--timeout");
        parsed.RequireNoOperands();

        // A receiver has nothing of its own to flush at close.
        var socket = Sockets.Open("recv", target, PairSocketOptions.Default with { Linger = TimeSpan.Zero }, console);
        await using (socket.ConfigureAwait(false))
        {
            var received = 0;
            try
            {
                while (count is null || received < count)
                {
                    if (!socket.TryReceive(out var message, TimeSpan.Zero))
                    {
                        // About to wait: show what came so far (stdout is written in blocks while busy).
                        await console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                        message = await Sockets.ReceiveAsync(socket, timeout, stop).ConfigureAwait(false);
                        if (message is null)
                            return console.Fail($"recv: no message within {Sockets.Milliseconds(timeout!.Value)} ({received} received)", ExitCode.Failed);
                    }
                    using (message)
                        console.Out.WriteLine(Sockets.Format(message));
                    received++;
                }
                return ExitCode.Ok;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return count is null
                    ? ExitCode.Ok
                    : console.Fail($"recv: interrupted after {received} of {count} messages", ExitCode.Interrupted);
            }
        }
    }
}
