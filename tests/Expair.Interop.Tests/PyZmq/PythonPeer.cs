using System.Diagnostics;

namespace Expair.Interop.Tests.PyZmq;

/// <summary>
/// A pyzmq script run by the Debian python3 (<c>/usr/bin/python3</c> with python3-zmq, which test.sh installs), read
/// line by line. Every wait is bounded; the process is killed if the test ends first.
/// </summary>
internal sealed class PythonPeer : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly Process _process;

    private PythonPeer(Process process) => _process = process;

    public static PythonPeer Start(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PyZmq", script));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return new PythonPeer(Process.Start(start) ?? throw new InvalidOperationException($"{Python} did not start"));
    }

    /// <summary>The script's next line of output; fails with its stderr if it ends or says nothing in time.</summary>
    public async Task<string> ReadLineAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        string? line;
        try
        {
            line = await _process.StandardOutput.ReadLineAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            line = null;
        }
        return line ?? throw new Xunit.Sdk.XunitException($"The pyzmq peer printed nothing more. Its stderr:\n{await StderrAsync()}");
    }

    /// <summary>Waits for a clean exit (code 0).</summary>
    public async Task ExitedAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        await _process.WaitForExitAsync(timeout.Token);
        Assert.True(_process.ExitCode == 0, $"The pyzmq peer exited with {_process.ExitCode}:\n{await StderrAsync()}");
    }

    private async Task<string> StderrAsync()
    {
        if (!_process.HasExited)
            _process.Kill();
        using var timeout = new CancellationTokenSource(Patience);
        return await _process.StandardError.ReadToEndAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
