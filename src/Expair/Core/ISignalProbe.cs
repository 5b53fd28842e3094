namespace Expair.Core;

/// <summary>How tests observe a <see cref="Signal"/>'s adaptive spin (it implements this explicitly; tests reach it with <c>Probes.Of</c>).</summary>
internal interface ISignalProbe
{
    /// <summary>Spin rounds the next wait will make.</summary>
    int SpinRounds { get; }
}
