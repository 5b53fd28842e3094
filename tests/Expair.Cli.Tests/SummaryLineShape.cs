using System.Globalization;

namespace Expair.Cli.Tests;

/// <summary>
/// The shape of <c>expair bench</c>'s summary lines, shared by the tests of every driver that prints them (Expair's
/// and the native libzmq driver's), and the consistency every latency line must show.
/// </summary>
internal static class SummaryLineShape
{
    /// <summary>The throughput figures after the kind and endpoint.</summary>
    public const string Throughput = @" size=\d+ count=\d+ secs=\d+\.\d{6} msgs_per_s=\d+ mb_per_s=\d+\.\d";

    /// <summary>The latency figures after the kind and endpoint.</summary>
    public const string Latency = @" size=\d+ count=\d+ secs=\d+\.\d{6} one_way_us=\d+\.\d\d rtt_us=\d+\.\d\d rtt_p50_us=\d+\.\d\d rtt_p99_us=\d+\.\d\d";

    /// <summary>The echo's figures after the kind and endpoint.</summary>
    public const string Echo = @" size=\d+ count=\d+ secs=\d+\.\d{6}";

    /// <summary>Mean, percentiles and the timed part agree with each other.</summary>
    public static void AssertLatencyConsistent(Dictionary<string, string> fields, int timedRoundTrips)
    {
        var rtt = Number(fields["rtt_us"]);
        Assert.True(rtt > 0, string.Join(' ', fields));
        Assert.Equal(rtt / 2, Number(fields["one_way_us"]), tolerance: 0.01);
        Assert.True(Number(fields["rtt_p50_us"]) <= Number(fields["rtt_p99_us"]), string.Join(' ', fields));
        // The timed part is the timed round trips back to back: their mean times their number fits in it.
        Assert.True(Number(fields["secs"]) * 1e6 >= timedRoundTrips * rtt * 0.999, string.Join(' ', fields));
    }

    public static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);
}
