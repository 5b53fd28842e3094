using System.Runtime.InteropServices;
using System.Text;

namespace Expair.Cli;

/// <summary>The process entry point: wires the real console and signals to <see cref="Cli.RunAsync"/>.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        // Declared first so it is disposed last, after the signal registrations that cancel it.
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            // The first Ctrl+C or SIGTERM asks the command to stop cleanly (a sender still lingers to flush);
            // a second one keeps the default behaviour and ends the process at once.
            if (stop.IsCancellationRequested)
                return;
            context.Cancel = true;
            stop.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        // Messages are UTF-8 whatever the console's code page; stdout is not flushed per line (Console.Out
        // is), so a busy `recv` writes in blocks: commands flush whenever they wait and when they end.
        await using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        await using var stdin = Console.OpenStandardInput(); // bytes: `send` decodes per --format, binary stays exact
        return await Cli.RunAsync(args, stdout, Console.Error, stdin, stop.Token).ConfigureAwait(false);
    }
}
