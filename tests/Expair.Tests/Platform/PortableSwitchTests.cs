using System.Diagnostics;
using System.Runtime.InteropServices;
using Expair.Internal;
using Cpu = System.Runtime.InteropServices.Architecture;

namespace Expair.Tests.Platform;

/// <summary>
/// EXPAIR_PORTABLE_IO=1 and the AppContext switch Expair.PortableIO put a process on the portable I/O path (.NET's
/// socket calls waiting in poll, Monitor waits, no descriptor duplication). The decision is made once per process, so each
/// setting is checked in a child process running this assembly's probe (<see cref="Program"/>). The test process
/// itself is checked by <see cref="ThisProcessIoPathTests"/>.
/// </summary>
public class PortableSwitchTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Linux on x64 or arm64: where the Linux path exists.</summary>
    internal static bool HasLinuxPath =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Cpu.X64 or Cpu.Arm64;

    [Fact]
    public async Task Child_WithNothingSet_TakesTheLinuxPathOnLinuxX64AndArm64()
    {
        Assert.True(HasLinuxPath, "the Linux path exists only on Linux x64 and arm64, where this suite runs");
        Assert.Equal(IoPathObservation.Linux, await ProbeAsync(environment: null));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("true")]
    public async Task Child_WithTheEnvironmentVariable_TakesThePortablePath(string value) =>
        Assert.Equal(IoPathObservation.Portable, await ProbeAsync(environment: value));

    [Fact]
    public async Task Child_WithTheEnvironmentVariableAtZero_TakesTheLinuxPath() =>
        Assert.Equal(IoPathObservation.Linux, await ProbeAsync(environment: "0"));

    [Fact]
    public async Task Child_WithTheAppContextSwitch_TakesThePortablePath() =>
        Assert.Equal(IoPathObservation.Portable, await ProbeAsync(environment: null, "--switch=true"));

    [Fact]
    public async Task Child_WithTheSwitchOff_TakesTheLinuxPathWhateverTheEnvironmentSays() =>
        Assert.Equal(IoPathObservation.Linux, await ProbeAsync(environment: "1", "--switch=false"));

    [Theory]
    [InlineData(null, null, false)]
    [InlineData(null, "1", true)]
    [InlineData(null, "True", true)]
    [InlineData(null, "TRUE", true)]
    [InlineData(null, "0", false)]
    [InlineData(null, "", false)]
    [InlineData(null, "yes", false)]
    [InlineData(true, null, true)]
    [InlineData(false, "1", false)]
    [InlineData(true, "0", true)]
    public void PortableRequested_SwitchFirstThenEnvironment(bool? appContextSwitch, string? environment, bool expected) =>
        Assert.Equal(expected, IoPlatform.PortableRequested(appContextSwitch, environment));

    [Theory]
    [InlineData(true, Cpu.X64, true)]
    [InlineData(true, Cpu.Arm64, true)]
    [InlineData(true, Cpu.X86, false)]
    [InlineData(true, Cpu.Arm, false)]
    [InlineData(true, Cpu.RiscV64, false)]
    [InlineData(true, Cpu.LoongArch64, false)]
    [InlineData(true, Cpu.S390x, false)]
    [InlineData(true, Cpu.Ppc64le, false)]
    [InlineData(false, Cpu.X64, false)]
    [InlineData(false, Cpu.Arm64, false)]
    public void HasLinuxCalls_OnlyLinuxX64AndArm64(bool isLinux, Cpu architecture, bool expected) =>
        Assert.Equal(expected, IoPlatform.HasLinuxCalls(isLinux, architecture));

    /// <summary>Runs the probe in a child process with <paramref name="environment"/> as EXPAIR_PORTABLE_IO (null: unset).</summary>
    private static async Task<IoPathObservation> ProbeAsync(string? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(typeof(PortableSwitchTests).Assembly.Location);
        info.ArgumentList.Add("io-probe");
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        if (environment is null)
            info.Environment.Remove(IoPlatform.EnvironmentVariable);
        else
            info.Environment[IoPlatform.EnvironmentVariable] = environment;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(Patience);
        try
        {
            await process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"the probe exited with {process.ExitCode}:\n{output}\n{await stderr}");
        return IoPathObservation.Parse(output);
    }
}
