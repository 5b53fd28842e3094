using Expair.Internal;

namespace Expair.Tests.Platform;

/// <summary>
/// Tests of the Linux I/O path's own behaviour (caller reads, replies written by the receive thread, the epoll set,
/// loopback congestion control) carry <c>[Trait(LinuxPath.Trait, LinuxPath.Value)]</c> and call <see cref="Require"/>:
/// the portable run (test.sh, EXPAIR_PORTABLE_IO=1) leaves them out by that trait, and one run there by hand fails at
/// once, saying why, instead of waiting for a path that is switched off.
/// </summary>
internal static class LinuxPath
{
    public const string Trait = "IoPath";
    public const string Value = "Linux";

    public static void Require() =>
        Assert.True(IoPlatform.UsesLinuxCalls, $"this test checks the Linux I/O path, which this process does not take " +
            $"(not Linux x64/arm64, or {IoPlatform.EnvironmentVariable}=1); the portable run leaves out {Trait}={Value}");
}
