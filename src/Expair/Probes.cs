using Expair.Core;
using Expair.Engine;

namespace Expair;

/// <summary>
/// The test seam: the one way tests observe and steer Expair's internals (STYLE.md 15, CONTRIBUTING.md "Tests").
/// Each probe is an internal interface its type implements explicitly, so production types carry no members whose
/// only caller is a test, and production code never calls a probe.
/// </summary>
internal static class Probes
{
    /// <summary>A socket's probe: the connection holding its PAIR slot, and its outbound queue.</summary>
    public static ISocketProbe Of(PairSocket socket) => socket;

    /// <summary>A signal's probe: its adaptive spin.</summary>
    public static ISignalProbe Of(Signal signal) => signal;
}

/// <summary>What tests see of a <see cref="PairSocket"/> (implemented explicitly; reached with <see cref="Probes.Of(PairSocket)"/>).</summary>
internal interface ISocketProbe
{
    /// <summary>The tcp or ipc connection holding the PAIR slot, if any (inproc peers have none).</summary>
    IConnectionProbe? Connection { get; }

    /// <summary>The queue toward the peer holding the slot, if any: its signals show when a sender or the send thread waits.</summary>
    Pipe? Outbound { get; }
}
