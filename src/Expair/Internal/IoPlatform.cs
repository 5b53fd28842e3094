using System.Runtime.InteropServices;

namespace Expair.Internal;

/// <summary>
/// Which I/O path this process takes, decided once at first use. The Linux path (x64 and arm64 only: its system
/// call numbers and structure layouts are those two architectures') makes blocking socket calls and futex waits
/// straight to the kernel, moves a connection off .NET's event loop, and tunes loopback tcp. Every other system and
/// architecture takes the portable path: .NET's own socket calls waiting in poll (Transport's PortableSocketCalls) and
/// <see cref="Monitor"/> waits.
/// <see cref="EnvironmentVariable"/>=1 or the AppContext switch <see cref="SwitchName"/> forces the portable path
/// on Linux too, so that it can be tested there.
/// </summary>
internal static class IoPlatform
{
    /// <summary>The AppContext switch that forces the portable path; when set (true or false) it decides over the environment variable.</summary>
    public const string SwitchName = "Expair.PortableIO";

    /// <summary>The environment variable that forces the portable path when it is <c>1</c> or <c>true</c>.</summary>
    public const string EnvironmentVariable = "EXPAIR_PORTABLE_IO";

    /// <summary>True when this process uses the Linux path; false on the portable path.</summary>
    public static bool UsesLinuxCalls { get; } =
        !PortableRequested(AppContext.TryGetSwitch(SwitchName, out var on) ? on : null, Environment.GetEnvironmentVariable(EnvironmentVariable))
        && HasLinuxCalls(OperatingSystem.IsLinux(), RuntimeInformation.ProcessArchitecture);

    /// <summary>Whether the portable path is asked for: the switch when it is set, else the environment variable.</summary>
    internal static bool PortableRequested(bool? appContextSwitch, string? environmentValue) =>
        appContextSwitch ?? (environmentValue is "1" || string.Equals(environmentValue, "true", StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether the Linux path exists on this system: Linux on x64 or arm64.</summary>
    internal static bool HasLinuxCalls(bool isLinux, Architecture architecture) =>
        isLinux && architecture is Architecture.X64 or Architecture.Arm64;
}
