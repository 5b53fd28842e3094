using Expair.Internal;
using Expair.Tests.Platform;

namespace Expair.Tests;

/// <summary>
/// The test assembly's entry point (test hosts load it as a library and never call this). It runs the I/O path probe in
/// a fresh process, where the once-per-process decision (<see cref="IoPlatform"/>) is still open:
/// <c>dotnet exec Expair.Tests.dll io-probe [--switch=true|false]</c> prints one line of observations.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] != "io-probe")
        {
            Console.Error.WriteLine("usage: Expair.Tests io-probe [--switch=true|false]");
            return 2;
        }
        foreach (var arg in args.Skip(1))
        {
            if (!arg.StartsWith("--switch=", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"unknown argument '{arg}'");
                return 2;
            }
            AppContext.SetSwitch(IoPlatform.SwitchName, bool.Parse(arg["--switch=".Length..]));
        }
        Console.WriteLine(IoPathProbe.Observe().Format());
        return 0;
    }
}
