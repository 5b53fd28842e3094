using System.CommandLine;

namespace Expair.Cli;

/// <summary>
/// <c>expair demo</c>: the classic PAIR scenario in one process. A supervisor binds, a worker connects and
/// reports five status updates, the supervisor prints them; then both close.
/// </summary>
internal static class DemoCommand
{
    private static readonly CliHelp Help = new(
        "Usage: expair demo",
        """
        Runs a supervisor and a worker PAIR socket in one process. The supervisor binds tcp://*:5555
        (tcp://127.0.0.1:* when that port is taken, noted on stderr); the worker connects to it and sends
        "Status update 0" to "Status update 4"; the supervisor prints each as "Supervisor received: ...".
        """,
        "Exit codes: 0 all five arrived, 1 one did not arrive within 5 seconds, 130 interrupted.");

    private const string Endpoint = "tcp://*:5555";
    private const string FallbackEndpoint = "tcp://127.0.0.1:*";
    private const int Updates = 5;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    public static CliCommand Create(CliConsole console)
    {
        var command = new Command("demo", "a supervisor and a worker socket in one process");
        command.SetAction((_, stop) => RunAsync(console, stop));
        return new CliCommand(command, Help);
    }

    private static async Task<int> RunAsync(CliConsole console, CancellationToken stop)
    {
        // Every wait is bounded, so the demo can fail but never hang.
        var options = PairSocketOptions.Default with { SendTimeout = Patience, ReceiveTimeout = Patience, Linger = Patience };
        var supervisor = new PairSocket(options);
        await using (supervisor.ConfigureAwait(false))
        {
            string bound;
            try
            {
                bound = supervisor.Bind(Endpoint);
            }
            catch (EndpointException e)
            {
                bound = supervisor.Bind(FallbackEndpoint);
                console.Note($"demo: cannot bind {Endpoint} ({e.Message}); bound {bound} instead");
            }
            var port = bound[(bound.LastIndexOf(':') + 1)..];
            var worker = Task.Run(() => RunWorkerAsync($"tcp://127.0.0.1:{port}", options), CancellationToken.None);
            try
            {
                for (var i = 0; i < Updates; i++)
                {
                    using var update = await Sockets.ReceiveAsync(supervisor, Patience, stop).ConfigureAwait(false);
                    if (update is null)
                    {
                        var sent = await worker.ConfigureAwait(false);
                        return console.Fail($"demo: supervisor received no status update within {Sockets.Milliseconds(Patience)} ({i} of {Updates} received, worker sent {sent})", ExitCode.Failed);
                    }
                    console.Out.WriteLine($"Supervisor received: {MessageFormats.Line(update, MessageFormat.Text)}");
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return console.Fail("demo: interrupted", ExitCode.Interrupted);
            }
            await worker.ConfigureAwait(false);
            return ExitCode.Ok;
        }
    }

    /// <summary>The worker: connects, reports, closes (lingering until its reports left). Returns how many went.</summary>
    private static async Task<int> RunWorkerAsync(string endpoint, PairSocketOptions options)
    {
        var worker = new PairSocket(options);
        await using (worker.ConfigureAwait(false))
        {
            worker.Connect(endpoint);
            for (var i = 0; i < Updates; i++)
            {
                if (!worker.TrySend($"Status update {i}", Patience))
                    return i;
            }
            return Updates;
        }
    }
}
