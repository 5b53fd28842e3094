using System.CommandLine;
using System.Runtime.CompilerServices;
using System.Text;

namespace Expair.Cli;

/// <summary><c>expair send</c>: sends messages from the command line or stdin, and waits until they went out.</summary>
internal static class SendCommand
{
    private static readonly CliHelp Help = new(
        "Usage: expair send (--bind|--connect) ENDPOINT [options] [MESSAGE...]",
        """
        Sends each MESSAGE, or, with no MESSAGE, each line of stdin (without its line ending; the bytes as
        they are, not decoded), as a one-frame message; with --multipart a tab separates the frames of a
        message, as recv prints them. Each frame is read in --format: text takes the bytes as given, hex and
        base64 decode them, so any bytes can be sent. Put -- before messages that start with '-'. A line of
        stdin may hold at most 64 MiB (67108864 bytes, before decoding); a longer one stops send (exit 2).
        Exits once everything was handed over and has reached the peer (handed to the operating system for
        tcp and ipc), waiting up to --linger for that; a message still queued then is an error.
        """,
        """
        Exit codes: 0 all sent and delivered, 1 a message could not be queued in time or was still undelivered
                    when the linger time ended, 2 bad arguments or input, 130 interrupted.
        """);

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static CliCommand Create(CliConsole console)
    {
        var endpoint = CliOptions.Endpoint();
        var count = CliOptions.WholeNumber("--count", "N", 1, "send the whole list N times", "1");
        var interval = CliOptions.Milliseconds("--interval", "wait MS milliseconds between messages", "0");
        var timeout = CliOptions.Milliseconds("--timeout",
            "fail when a message cannot be queued within MS (no peer yet, or its queue is full)", "10000");
        var format = CliOptions.Format("how each frame is written");
        var multipart = CliOptions.Flag("--multipart", "a tab separates the frames of a message");
        var messages = new Argument<string[]>("MESSAGE") { Arity = ArgumentArity.ZeroOrMore, Description = "the messages; none: stdin's lines" };
        var socketFlags = new SocketOptionFlags(lingerDefault: "--timeout");
        var command = new Command("send", "send messages from the command line or stdin")
        {
            endpoint.Bind, endpoint.Connect, count, interval, timeout, format, multipart, messages,
        };
        socketFlags.AddTo(command);
        command.SetAction((parsed, stop) =>
        {
            var target = parsed.Target(endpoint);
            var wait = parsed.GetMilliseconds(timeout) ?? DefaultTimeout;
            var input = new Input(parsed.GetValue(format), parsed.GetValue(multipart), parsed.GetValue(count) ?? 1);
            // Operands are checked before the socket opens: a bad one sends nothing.
            List<byte[][]> operands;
            try
            {
                operands = [.. (parsed.GetValue(messages) ?? []).Select((text, i) => input.Parse(Encoding.UTF8.GetBytes(text), $"message {i + 1}"))];
            }
            catch (FormatException e)
            {
                throw CliParser.Error("send", e.Message);
            }
            var options = socketFlags.Apply(parsed, PairSocketOptions.Default with { Linger = wait }, console);
            var sending = new Sending(wait, parsed.GetMilliseconds(interval), console);
            return socketFlags.ReleasingKeysAfter(sending.RunAsync(target, options, operands.Count > 0 ? input.Repeat(operands) : input.ReadAsync(console.In, stop), stop));
        });
        return new CliCommand(command, Help);
    }

    /// <summary>The send loop and the final wait for delivery.</summary>
    private sealed class Sending(TimeSpan timeout, TimeSpan? interval, CliConsole console)
    {
        public async Task<int> RunAsync(SocketTarget target, PairSocketOptions options, IAsyncEnumerable<byte[][]> messages, CancellationToken stop)
        {
            // Linger is both the final wait below and Dispose's, which then finds nothing left (or, after
            // Ctrl+C, still lets what was queued go out).
            var socket = Sockets.Open("send", target, options, console);
            await using (socket.ConfigureAwait(false))
            {
                var sent = 0;
                try
                {
                    await foreach (var frames in messages.ConfigureAwait(false))
                    {
                        if (sent > 0 && interval is { } pause && pause > TimeSpan.Zero)
                            await Task.Delay(pause, stop).ConfigureAwait(false);
                        using var message = new Message(frames);
                        if (!await Sockets.SendAsync(socket, message, timeout, stop).ConfigureAwait(false))
                        {
                            var why = socket.HasPeer ? "the peer's queue stayed full" : "no peer connected";
                            return console.Fail($"send: message {sent + 1} not sent within {Sockets.Milliseconds(timeout)}: {why} ({sent} sent)", ExitCode.Failed);
                        }
                        sent++;
                    }
                    if (await socket.FlushAsync(options.Linger, stop).ConfigureAwait(false))
                        return ExitCode.Ok;
                    var who = socket.IsConnected ? "the peer did not take them" : "no peer took them (none connected, or a busy PAIR peer held us waiting)";
                    Release(socket, target); // nothing more to wait for: Dispose must not linger again
                    return console.Fail($"send: messages still undelivered when the linger time ({Sockets.Milliseconds(options.Linger)}) ended: {who} ({sent} sent)", ExitCode.Failed);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return console.Fail($"send: interrupted after {sent} messages", ExitCode.Interrupted);
                }
                catch (FormatException e)
                {
                    return console.Fail($"send: {e.Message} ({sent} sent)", ExitCode.Usage);
                }
                catch (HandshakeRefusedException e)
                {
                    // The server's ERROR (a CURVE or PLAIN server denying this client sends "400") ended a send or the flush.
                    return console.Fail($"send: refused: the handshake ended with ERROR \"{e.Reason}\" ({sent} sent, none delivered)", ExitCode.Failed);
                }
                catch (ExpairException e)
                {
                    return console.Fail($"send: {e.Message} ({sent} sent)", ExitCode.Failed);
                }
            }
        }

        private static void Release(PairSocket socket, SocketTarget target)
        {
            if (socket.Endpoint is not { } endpoint)
                return;
            try
            {
                if (target.IsBind)
                    socket.Unbind(endpoint);
                else
                    socket.Disconnect(endpoint);
            }
            catch (InvalidOperationException)
            {
                // Already released (a connector that stopped for good): Dispose has nothing to linger for either.
            }
        }
    }

    /// <summary>How text becomes messages: each a list of frames, per --format and --multipart, repeated --count times.</summary>
    private sealed class Input(MessageFormat format, bool multipart, int count)
    {
        /// <summary>The longest line of stdin, in bytes as read (before hex or base64 decoding): 64 MiB.</summary>
        public const int MaxLineLength = 64 * 1024 * 1024;

        /// <summary>One message from its text; throws <see cref="FormatException"/> naming <paramref name="where"/>.</summary>
        public byte[][] Parse(ReadOnlySpan<byte> text, string where)
        {
            try
            {
                return MessageFormats.ParseFrames(text, format, multipart);
            }
            catch (FormatException e)
            {
                throw new FormatException($"{where}: {e.Message}", e);
            }
        }

        public IAsyncEnumerable<byte[][]> Repeat(IReadOnlyList<byte[][]> messages) =>
            Enumerable.Repeat(messages, count).SelectMany(list => list).ToAsyncEnumerable();

        /// <summary>Stdin's lines as they arrive; kept for later rounds only when --count asks for them.</summary>
        public async IAsyncEnumerable<byte[][]> ReadAsync(Stream stdin, [EnumeratorCancellation] CancellationToken stop)
        {
            List<byte[][]>? kept = count > 1 ? [] : null;
            var reader = new LineReader(stdin, MaxLineLength);
            var number = 0;
            while (await NextLineAsync(reader, ++number, stop).ConfigureAwait(false) is { } line)
            {
                var message = Parse(line.Span, $"line {number} of stdin");
                kept?.Add(message);
                yield return message;
            }
            for (var round = 1; round < count; round++)
            {
                foreach (var message in kept!)
                    yield return message;
            }
        }

        /// <summary>Stdin's next line; a line over the limit is a <see cref="FormatException"/> naming it.</summary>
        private static async ValueTask<ReadOnlyMemory<byte>?> NextLineAsync(LineReader reader, int number, CancellationToken stop)
        {
            try
            {
                return await reader.ReadLineAsync(stop).ConfigureAwait(false);
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {number} of stdin: {e.Message}", e);
            }
        }
    }
}
