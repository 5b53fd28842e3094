using System.Globalization;

namespace Expair.Benchmarks.Report;

/// <summary>How the page writes its figures: invariant culture, "–" for a cell that did not run.</summary>
internal static class Format
{
    public static string SizeName(int size) => size switch
    {
        >= 1 << 20 when size % (1 << 20) == 0 => $"{size >> 20} MiB",
        >= 1024 when size % 1024 == 0 => $"{size >> 10} KiB",
        _ => $"{size} B",
    };

    public static string Rate(double? perSecond) => perSecond switch
    {
        null => "–",
        >= 1e6 => (perSecond.Value / 1e6).ToString("0.00 M", CultureInfo.InvariantCulture),
        >= 1e3 => (perSecond.Value / 1e3).ToString("0 k", CultureInfo.InvariantCulture),
        _ => perSecond.Value.ToString("0", CultureInfo.InvariantCulture),
    };

    public static string Mb(double? mb) => mb is { } v ? v.ToString(v >= 100 ? "#,0" : "0.0", CultureInfo.InvariantCulture) : "–";

    public static string Micros(double? us) => us is { } v ? v.ToString(v >= 100 ? "0" : v >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture) : "–";

    public static string Bytes(double? bytes) => bytes is { } v ? v.ToString(v >= 10 ? "#,0" : "0.0", CultureInfo.InvariantCulture) : "–";

    /// <summary>Expair over the other: above 1 is faster for throughput, slower for latency and CPU.</summary>
    public static string Ratio(double? expair, double? other) =>
        RatioOf(expair, other) is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–";

    public static double? RatioOf(double? expair, double? other) =>
        expair is { } e && other is { } o && o > 0 ? e / o : null;

    /// <summary>"a–b×" of the ratios present (one value alone when they agree to two decimals).</summary>
    public static string RatioRange(IEnumerable<double?> ratios)
    {
        var present = ratios.OfType<double>().Order().ToArray();
        if (present.Length == 0)
            return "–";
        var low = present[0].ToString("0.00", CultureInfo.InvariantCulture);
        var high = present[^1].ToString("0.00", CultureInfo.InvariantCulture);
        return (low == high ? low : $"{low}–{high}") + "×";
    }

    public static string Percent(double? part, double? whole) =>
        part is { } p && whole is { } w && w > 0 ? (100 * p / w).ToString("0", CultureInfo.InvariantCulture) + " %" : "–";

    public static string Gcs(double? gen0, double? gen1, double? gen2) =>
        gen0 is null ? "–" : string.Create(CultureInfo.InvariantCulture, $"{gen0:0}/{gen1:0}/{gen2:0}");
}
