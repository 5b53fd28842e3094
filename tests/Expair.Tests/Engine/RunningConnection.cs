using System.Diagnostics;
using Expair.Engine;

namespace Expair.Tests.Engine;

/// <summary>
/// The probe of a socket's connection once its traffic phase runs. A peer holds the final handshake command a moment
/// before the connection's parts start, so a test that steers reading waits for them rather than race them.
/// </summary>
internal static class RunningConnection
{
    public static IConnectionProbe Of(PairSocket socket, TimeSpan patience)
    {
        var waited = Stopwatch.StartNew();
        IConnectionProbe? connection;
        while ((connection = Probes.Of(socket).Connection) is not { TrafficStarted: true })
        {
            Assert.True(waited.Elapsed < patience, "the connection's traffic phase never started");
            Thread.Yield();
        }
        return connection;
    }
}
