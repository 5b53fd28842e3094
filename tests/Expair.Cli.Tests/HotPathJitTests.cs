using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Expair.Cli.Tests;

/// <summary>
/// The per-message path is compiled optimised at its first call (src/Expair/Internal/HotPath.cs), so a short-lived
/// program never moves its traffic through unoptimised code. A method that is called per message but not optimised
/// at first call shows up as recompiled by tiered compilation once it has been called 30 times: these tests run
/// fresh `expair bench` processes with the runtime's method listing (DOTNET_JitDisasmSummary) and the call-counting
/// delay off (so every method called that often is recompiled while the run lasts), and expect no Expair method there.
/// </summary>
public partial class HotPathJitTests
{
    /// <summary>
    /// Recompiled methods that are not per message: <see cref="List{T}.RemoveRange"/> runs once per batch of decoded
    /// frames handed to the pipe, a .NET method that cannot carry the attribute.
    /// </summary>
    private static readonly string[] NotPerMessage = ["System.Collections.Generic.List`1[Expair.Internal.Frame]:RemoveRange(int,int)"];

    [Fact]
    public async Task InProcThroughput_OneByteMessages_NoLibraryMethodRecompiledWhileTheyFlow()
    {
        if (!OptimisedBuild())
            return;
        var run = Start("bench", "inproc-thr", "1", "200000", "--warmup", "0");

        AssertNoneRecompiled(RecompiledExpairMethods(await FinishAsync(run)));
    }

    [Theory]
    [InlineData("thr", 200_000)]
    [InlineData("lat", 20_000)]
    public async Task Tcp_OneByteMessages_NoLibraryOrBenchLoopMethodRecompiledWhileTheyFlow(string test, int count)
    {
        if (!OptimisedBuild())
            return;
        var local = Start("bench", $"{test}-local", "tcp://127.0.0.1:*", "1", $"{count}", "--warmup", "0", "--timeout", "20000");
        var note = await local.Process.StandardError.ReadLineAsync().WaitAsync(CliRunner.Patience);
        Assert.StartsWith("expair: bench: bound to tcp://127.0.0.1:", note, StringComparison.Ordinal);
        var remote = Start("bench", $"{test}-remote", note!["expair: bench: bound to ".Length..], "1", $"{count}", "--warmup", "0", "--timeout", "20000");

        var remoteListing = await FinishAsync(remote);
        var localListing = await FinishAsync(local);

        AssertNoneRecompiled(RecompiledExpairMethods(localListing).Concat(RecompiledExpairMethods(remoteListing)));
    }

    /// <summary>
    /// Methods of the library, of generic .NET types over its types, and of the CLI's benchmark loops that were
    /// recompiled at tier 1 or on-stack replaced (the CLI's argument parsing runs often at start-up: not counted).
    /// </summary>
    private static IEnumerable<string> RecompiledExpairMethods(string listing)
    {
        var methods = JitLine().Matches(listing).Select(match => match.Groups["method"].Value).ToList();
        // The listing must be there: a run without it would find nothing recompiled and prove nothing.
        Assert.Contains(methods, method => method.StartsWith("Expair.Cli.Bench.BenchLoops:", StringComparison.Ordinal));
        return JitLine().Matches(listing)
            .Where(match => match.Groups["tier"].Value.StartsWith("Tier1", StringComparison.Ordinal) || match.Groups["tier"].Value.Contains("OSR", StringComparison.Ordinal))
            .Select(match => match.Groups["method"].Value)
            .Where(method => method.Contains("Expair.", StringComparison.Ordinal)
                && (!method.StartsWith("Expair.Cli.", StringComparison.Ordinal) || method.StartsWith("Expair.Cli.Bench.", StringComparison.Ordinal))
                && !NotPerMessage.Contains(method))
            .Distinct();
    }

    private static void AssertNoneRecompiled(IEnumerable<string> methods)
    {
        var recompiled = methods.Distinct().ToList();
        Assert.True(recompiled.Count == 0, "called per message, but not optimised at first call:\n" + string.Join("\n", recompiled));
    }

    /// <summary>A Debug build compiles every method unoptimised, tiers and attributes aside: there is nothing to check.</summary>
    private static bool OptimisedBuild() =>
        typeof(PairSocket).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled != true;

    /// <summary>A running `expair` process; its stdout (the listing, and the summary line) is read as it comes, so it never fills the pipe.</summary>
    private sealed record Run(Process Process, Task<string> Stdout);

    private static Run Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["DOTNET_JitDisasmSummary"] = "1";
        info.Environment["DOTNET_TC_CallCountingDelayMs"] = "0";
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Expair.Cli.dll"));
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        return new Run(process, process.StandardOutput.ReadToEndAsync());
    }

    /// <summary>Waits for a successful exit and returns the method listing.</summary>
    private static async Task<string> FinishAsync(Run run)
    {
        using var process = run.Process;
        var stderr = process.StandardError.ReadToEndAsync();
        await ProcessTests.WaitForExitAsync(process);
        var stdout = await run.Stdout;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{await stderr}");
        return stdout;
    }

    // "  12: JIT compiled Expair.Core.Pipe:Publish(long,int,long) [Tier1, IL size=101, code size=48]"
    [GeneratedRegex(@"JIT compiled (?<method>\S.*?\)) \[(?<tier>[^,\]]+)")]
    private static partial Regex JitLine();
}
