using System.CommandLine;

namespace Expair.Cli;

/// <summary><c>expair echo</c>: sends every message straight back to the peer.</summary>
internal static class EchoCommand
{
    private static readonly CliHelp Help = new(
        "Usage: expair echo (--bind|--connect) ENDPOINT [options]",
        "Sends every message it receives back to the peer unchanged, all frames of a multipart message intact.",
        """
        Exit codes: 0 done (or stopped by Ctrl+C without --count), 1 timed out, 2 bad arguments,
                    130 interrupted before N messages.
        """);

    private static readonly TimeSpan DefaultLinger = TimeSpan.FromSeconds(10);

    public static CliCommand Create(CliConsole console)
    {
        var endpoint = CliOptions.Endpoint();
        var count = CliOptions.WholeNumber("--count", "N", 1, "stop after echoing N messages", "run until Ctrl+C or SIGTERM");
        var timeout = CliOptions.Milliseconds("--timeout",
            "give up when MS milliseconds pass without a message, or when a reply cannot be queued within MS", "no limit");
        var socketFlags = new SocketOptionFlags(lingerDefault: "--timeout, else 10000");
        var command = new Command("echo", "send every message back to the peer") { endpoint.Bind, endpoint.Connect, count, timeout };
        socketFlags.AddTo(command);
        command.SetAction((parsed, stop) =>
        {
            var target = parsed.Target(endpoint);
            var wait = parsed.GetMilliseconds(timeout);
            // Linger so the last replies reach the peer before the socket closes.
            var options = socketFlags.Apply(parsed, PairSocketOptions.Default with { Linger = wait ?? DefaultLinger }, console);
            return socketFlags.ReleasingKeysAfter(RunAsync(target, options, parsed.GetValue(count), wait, console, stop));
        });
        return new CliCommand(command, Help);
    }

    private static async Task<int> RunAsync(SocketTarget target, PairSocketOptions options, int? count, TimeSpan? timeout, CliConsole console, CancellationToken stop)
    {
        var socket = Sockets.Open("echo", target, options, console);
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
