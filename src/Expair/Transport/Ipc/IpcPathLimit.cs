namespace Expair.Transport.Ipc;

/// <summary>
/// The longest ipc path (in UTF-8 bytes) this operating system's unix sockets take: the size of
/// <c>sockaddr_un.sun_path</c> less the terminating zero that .NET's <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>
/// writes after the path.
/// </summary>
internal static class IpcPathLimit
{
    /// <summary>The systems whose <c>sun_path</c> sizes differ.</summary>
    internal enum SystemFamily { Linux, Bsd, Windows }

    private const int LinuxSunPathSize = 108; // <sys/un.h>; also Android and illumos
    private const int BsdSunPathSize = 104; // <sys/un.h> on macOS, iOS and FreeBSD
    private const int WindowsSunPathSize = 108; // UNIX_PATH_MAX in <afunix.h>

    /// <summary>The limit on this system.</summary>
    public static int MaxBytes { get; } = MaxBytesOn(
        OperatingSystem.IsWindows() ? SystemFamily.Windows
        : OperatingSystem.IsMacOS() || OperatingSystem.IsMacCatalyst() || OperatingSystem.IsIOS() || OperatingSystem.IsTvOS() || OperatingSystem.IsFreeBSD() ? SystemFamily.Bsd
        : SystemFamily.Linux);

    /// <summary>The limit on a system of <paramref name="family"/>.</summary>
    internal static int MaxBytesOn(SystemFamily family) => family switch
    {
        SystemFamily.Bsd => BsdSunPathSize,
        SystemFamily.Windows => WindowsSunPathSize,
        _ => LinuxSunPathSize,
    } - 1;
}
