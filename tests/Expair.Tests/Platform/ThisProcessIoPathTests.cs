using Expair.Internal;
using Xunit.Abstractions;

namespace Expair.Tests.Platform;

/// <summary>
/// The test process takes the path its environment asks for: the Linux one on Linux x64/arm64, the portable one
/// under EXPAIR_PORTABLE_IO=1 (test.sh's portable run, which includes this class) or anywhere else.
/// </summary>
public class ThisProcessIoPathTests(ITestOutputHelper output)
{
    [Fact]
    public void ThisProcess_TakesThePathItsEnvironmentAsksFor()
    {
        var portable = Environment.GetEnvironmentVariable(IoPlatform.EnvironmentVariable) == "1";
        var observed = IoPathProbe.Observe();
        output.WriteLine($"{IoPlatform.EnvironmentVariable}={(portable ? "1" : "unset")}: {observed.Format()}");
        Assert.Equal(PortableSwitchTests.HasLinuxPath && !portable ? IoPathObservation.Linux : IoPathObservation.Portable, observed);
    }
}
