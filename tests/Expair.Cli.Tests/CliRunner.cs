using System.Text;

namespace Expair.Cli.Tests;

/// <summary>What one in-process run of the CLI produced.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StdoutLines => CapturingWriter.Lines(Stdout);

    public string[] StderrLines => CapturingWriter.Lines(Stderr);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs <see cref="Cli.RunAsync"/> in-process, every run bounded so a hang fails the test.</summary>
internal sealed class CliRunner
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public CapturingWriter Stdout { get; } = new();

    public CapturingWriter Stderr { get; } = new();

    public Task<int> Start(params string[] args) => Start(stdin: "", CancellationToken.None, args);

    /// <summary>
    /// Starts the command on this thread: it runs until its first real wait, so by the time this returns
    /// its socket is bound or connected. That ordering is what makes inproc tests deterministic (no sleeps).
    /// </summary>
    public Task<int> Start(string stdin, CancellationToken stop, params string[] args) =>
        Start(Encoding.UTF8.GetBytes(stdin), stop, args);

    /// <summary>As <see cref="Start(string, CancellationToken, string[])"/>, with stdin's exact bytes.</summary>
    public Task<int> Start(byte[] stdin, CancellationToken stop, params string[] args) =>
        Start(new MemoryStream(stdin), stop, args);

    /// <summary>As <see cref="Start(string, CancellationToken, string[])"/>, with <paramref name="stdin"/> as it is.</summary>
    public Task<int> Start(Stream stdin, CancellationToken stop, params string[] args) =>
        Cli.RunAsync(args, Stdout, Stderr, stdin, stop);

    public async Task<CliResult> ResultAsync(Task<int> run)
    {
        var exitCode = await run.WaitAsync(Patience);
        return new CliResult(exitCode, Stdout.Text, Stderr.Text);
    }

    public static Task<CliResult> RunAsync(params string[] args) => RunWithStdinAsync("", args);

    public static Task<CliResult> RunWithStdinAsync(string stdin, params string[] args) =>
        RunWithStdinAsync(Encoding.UTF8.GetBytes(stdin), args);

    public static Task<CliResult> RunWithStdinAsync(byte[] stdin, params string[] args) =>
        RunWithStdinAsync(new MemoryStream(stdin), args);

    public static async Task<CliResult> RunWithStdinAsync(Stream stdin, params string[] args)
    {
        var runner = new CliRunner();
        return await runner.ResultAsync(runner.Start(stdin, CancellationToken.None, args));
    }
}

/// <summary>A thread-safe <see cref="TextWriter"/> that records everything and lets a test wait for a line.</summary>
internal sealed class CapturingWriter : TextWriter
{
    private readonly Lock _lock = new();
    private readonly StringBuilder _text = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];

    public override Encoding Encoding => Encoding.UTF8;

    public string Text
    {
        get { lock (_lock) return _text.ToString(); }
    }

    public static string[] Lines(string text)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        return text.Length == 0 ? [] : lines[..^1]; // the text ends with a newline; nothing follows it
    }

    public override void Write(char value) => Write(value.ToString());

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return;
        List<(TaskCompletionSource<string>, string)> found = [];
        lock (_lock)
        {
            _text.Append(value);
            var complete = Lines(_text.ToString());
            foreach (var waiter in _waiters.ToArray())
            {
                var line = complete.FirstOrDefault(waiter.Match);
                if (line is null)
                    continue;
                _waiters.Remove(waiter);
                found.Add((waiter.Found, line));
            }
        }
        foreach (var (tcs, line) in found)
            tcs.TrySetResult(line);
    }

    public override void WriteLine(string? value) => Write(value + NewLine);

    /// <summary>The first complete line matching <paramref name="match"/>, once written; throws after <see cref="CliRunner.Patience"/>.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var line = Lines(_text.ToString()).FirstOrDefault(match);
            if (line is not null)
                return Task.FromResult(line);
            _waiters.Add((match, found));
        }
        return found.Task.WaitAsync(CliRunner.Patience);
    }
}
