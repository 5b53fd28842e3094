using System.Buffers;
using System.CommandLine;

namespace Expair.Cli;

/// <summary><c>expair recv</c>: prints what the peer sends.</summary>
internal static class RecvCommand
{
    private static readonly CliHelp Help = new(
        "Usage: expair recv (--bind|--connect) ENDPOINT [options]",
        """
        Receives messages and prints each on one line of stdout, its frames tab-separated, each in --format:
        text prints UTF-8 (bytes that are not UTF-8 print as U+FFFD; line breaks inside a frame as \n and \r,
        and in a multipart message a tab inside a frame as \t), hex and base64 are exact for any bytes.
        With --json each message is one JSON object instead: {"frames":[...],"bytes":N}.
        """,
        """
        Exit codes: 0 done (or stopped by Ctrl+C without --count), 1 timed out, 2 bad arguments,
                    130 interrupted before N messages.
        """);

    public static CliCommand Create(CliConsole console)
    {
        var endpoint = CliOptions.Endpoint();
        var count = CliOptions.WholeNumber("--count", "N", 1, "stop after N messages", "run until Ctrl+C or SIGTERM");
        var timeout = CliOptions.Milliseconds("--timeout", "give up when MS milliseconds pass without a message", "wait for ever");
        var format = CliOptions.Format("how each frame is printed");
        var json = CliOptions.Flag("--json", "print each message as a JSON object {\"frames\":[...],\"bytes\":N}, frames in --format");
        var socketFlags = new SocketOptionFlags(lingerDefault: "0, nothing of its own to send");
        var command = new Command("recv", "print the messages the peer sends") { endpoint.Bind, endpoint.Connect, count, timeout, format, json };
        socketFlags.AddTo(command);
        command.SetAction((parsed, stop) =>
        {
            var target = parsed.Target(endpoint);
            // A receiver has nothing of its own to flush at close.
            var options = socketFlags.Apply(parsed, PairSocketOptions.Default with { Linger = TimeSpan.Zero }, console);
            var printer = new Printer(parsed.GetValue(format), parsed.GetValue(json));
            return socketFlags.ReleasingKeysAfter(RunAsync(target, options, parsed.GetValue(count), parsed.GetMilliseconds(timeout), printer, console, stop));
        });
        return new CliCommand(command, Help);
    }

    private static async Task<int> RunAsync(SocketTarget target, PairSocketOptions options, int? count, TimeSpan? timeout, Printer printer, CliConsole console, CancellationToken stop)
    {
        var socket = Sockets.Open("recv", target, options, console);
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
                        console.Out.WriteLine(printer.Print(message));
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

    /// <summary>One message as one line of output, in the chosen format.</summary>
    private sealed class Printer(MessageFormat format, bool json)
    {
        private readonly ArrayBufferWriter<byte> _json = new();

        public string Print(Message message) => json ? MessageFormats.Json(message, format, _json) : MessageFormats.Line(message, format);
    }
}
