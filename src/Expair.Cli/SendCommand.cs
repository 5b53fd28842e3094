using System.Runtime.CompilerServices;

namespace Expair.Cli;

/// <summary><c>expair send</c>: sends messages from the command line or stdin, and waits until they went out.</summary>
internal static class SendCommand
{
    public const string Usage = """
        Usage: expair send (--bind|--connect) ENDPOINT [--count N] [--interval MS] [--timeout MS] [MESSAGE...]

        Sends each MESSAGE as a one-frame UTF-8 message, or, with no MESSAGE, each line of stdin (without
        its line ending). Put -- before messages that start with '-'. Exits once everything was handed over,
        lingering up to MS milliseconds at the end for queued messages to reach the peer.

          --bind ENDPOINT     listen on ENDPOINT for the peer (tcp://*:5555, tcp://127.0.0.1:*, ipc:///tmp/x)
          --connect ENDPOINT  connect to the peer at ENDPOINT (tcp://127.0.0.1:5555); retried until it answers
          --count N           send the whole list N times (default 1)
          --interval MS       wait MS milliseconds between messages (default 0)
          --timeout MS        fail when a message cannot be queued within MS (no peer yet, or its queue is
                              full), and linger at most MS at the end (default 10000)

        Note: a connecting socket queues messages before its peer answers, so if no peer ever answers they
        are dropped when the linger time ends, and the exit code is still 0.

        Exit codes: 0 all sent, 1 a message could not be sent in time, 2 bad arguments, 130 interrupted.
        """;

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliConsole console, CancellationToken stop)
    {
        var parsed = CliArguments.Parse("send", args, ["--bind", "--connect", "--count", "--interval", "--timeout"]);
        if (parsed.Help)
        {
            console.Out.WriteLine(Usage);
            return ExitCode.Ok;
        }
        var target = parsed.GetTarget();
        var count = parsed.GetInt("--count", min: 1) ?? 1;
        var interval = parsed.GetMilliseconds("--interval");
        var timeout = parsed.GetMilliseconds("--timeout") ?? DefaultTimeout;
        var messages = parsed.Operands.Count > 0
            ? Enumerable.Repeat(parsed.Operands, count).SelectMany(list => list).ToAsyncEnumerable()
            : ReadLinesAsync(console.In, count, stop);

        // PairSocket.Dispose lingers up to Options.Linger for queued messages to leave.
        var socket = Sockets.Open("send", target, PairSocketOptions.Default with { Linger = timeout }, console);
        await using (socket.ConfigureAwait(false))
        {
            var sent = 0;
            try
            {
                await foreach (var text in messages.ConfigureAwait(false))
                {
                    if (sent > 0 && interval is { } pause && pause > TimeSpan.Zero)
                        await Task.Delay(pause, stop).ConfigureAwait(false);
                    using var message = new Message(text);
                    if (!await Sockets.SendAsync(socket, message, timeout, stop).ConfigureAwait(false))
                    {
                        var why = socket.HasPeer ? "the peer's queue stayed full" : "no peer connected";
                        return console.Fail($"send: message {sent + 1} not sent within {Sockets.Milliseconds(timeout)}: {why} ({sent} sent)", ExitCode.Failed);
                    }
                    sent++;
                }
                return ExitCode.Ok;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return console.Fail($"send: interrupted after {sent} messages", ExitCode.Interrupted);
            }
        }
    }

    /// <summary>Stdin's lines as they arrive (so `tail -f log | expair send` streams); kept for later rounds only when --count asks for them.</summary>
    private static async IAsyncEnumerable<string> ReadLinesAsync(TextReader stdin, int count, [EnumeratorCancellation] CancellationToken stop)
    {
        List<string>? kept = count > 1 ? [] : null;
        while (true)
        {
            // Console streams ignore the token while blocked in read(2); WaitAsync lets Ctrl+C stop us anyway
            // (the abandoned read dies with the process).
            var pending = stdin.ReadLineAsync(stop);
            var line = pending.IsCompletedSuccessfully ? pending.Result : await pending.AsTask().WaitAsync(stop).ConfigureAwait(false);
            if (line is null)
                break;
            kept?.Add(line);
            yield return line;
        }
        for (var round = 1; round < count; round++)
        {
            foreach (var line in kept!)
                yield return line;
        }
    }
}
