using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Expair.Cli.Tests;

/// <summary>
/// The built program as a real process: catches what in-process runs cannot, such as the assembly loading
/// (the CLI and library assemblies must not share a name, which .NET compares case-insensitively) and signals.
/// </summary>
public class ProcessTests
{
    internal static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Expair.Cli.dll"));
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        return Process.Start(info)!;
    }

    internal static async Task<(int ExitCode, string Stdout, string Stderr)> FinishAsync(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await WaitForExitAsync(process);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Waits for the process to end; one still running after <see cref="CliRunner.Patience"/> is killed.</summary>
    internal static async Task WaitForExitAsync(Process process)
    {
        using var patience = new CancellationTokenSource(CliRunner.Patience);
        try
        {
            await process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }
    }

    [Fact]
    public async Task Demo_AsAProcess_PrintsTheFiveLines()
    {
        using var process = Start("demo");
        var (exitCode, stdout, stderr) = await FinishAsync(process);
        Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"Supervisor received: Status update {i}\n"), stdout.Split('\n')[..^1].Select(l => l + "\n"));
    }

    [Fact]
    public async Task Recv_AsAProcess_SigTermStopsIt_Exit0()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return;
        using var process = Start("recv", "--bind", "tcp://127.0.0.1:*");
        // The bound note comes after the signal handlers are registered, so the signal cannot arrive too early.
        var note = await process.StandardError.ReadLineAsync().WaitAsync(CliRunner.Patience);
        Assert.StartsWith("expair: recv: bound to tcp://127.0.0.1:", note, StringComparison.Ordinal);

        Assert.Equal(0, Kill(process.Id, 15));
        var (exitCode, stdout, stderr) = await FinishAsync(process);
        Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
