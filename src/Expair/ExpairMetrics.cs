namespace Expair;

/// <summary>
/// Names for collecting Expair's metrics (<c>System.Diagnostics.Metrics</c>), e.g. with OpenTelemetry's
/// <c>AddMeter(ExpairMetrics.MeterName)</c> or <c>dotnet-counters monitor --counters Expair</c>. Every socket reports
/// through the one meter; the instruments and their units are listed in docs/telemetry.md.
/// </summary>
public static class ExpairMetrics
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> all Expair instruments belong to: <c>Expair</c>.</summary>
    public const string MeterName = "Expair";
}
