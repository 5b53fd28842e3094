using System.Globalization;
using System.Text;
using static Expair.Benchmarks.Report.Format;

namespace Expair.Benchmarks.Report;

/// <summary>
/// The page's Expair-beside-libzmq parts: the summary of ratios, per transport the cold and warm tables with the
/// floor beside them and the CPU cost, the mixed pairs, and the cells whose repetitions disagree.
/// </summary>
internal static class ComparisonTables
{
    public const string Zmq = "libzmq";
    public const string Expair = "expair";
    public const string ZmqCurve = "libzmq-curve";
    public const string ExpairCurve = "expair-curve";
    private static readonly string[] Transports = ["tcp", "ipc", "inproc"];

    /// <summary>The page's rows: a transport without security, and tcp and ipc with CURVE (bench/run.sh's -curve implementations).</summary>
    private static readonly (string Label, string Transport, string Zmq, string Expair)[] Rows =
    [
        .. Transports.Select(t => (t, t, Zmq, Expair)),
        ("tcp CURVE", "tcp", ZmqCurve, ExpairCurve), ("ipc CURVE", "ipc", ZmqCurve, ExpairCurve),
    ];
    private static readonly string[] Phases = ["cold", "warm"];

    private static double? Thr(ResultSet results, string transport, string impl, int size, string phase) =>
        results.Median(new Cell(transport, "thr", impl, size, phase), "msgs_per_s");

    private static double? OneWay(ResultSet results, string transport, string impl, int size, string phase) =>
        results.Median(new Cell(transport, "lat", impl, size, phase), "one_way_us");

    /// <summary>
    /// Ratio ranges per transport and the cells where Expair is behind libzmq (throughput under 1.00×, latency over),
    /// so the README can quote the page as the page gives it. Returns the ranges over every transport, for the README.
    /// </summary>
    public static string Summary(StringBuilder page, ResultSet results)
    {
        page.AppendLine("## Summary").AppendLine();
        page.AppendLine("Expair / libzmq, the range over the message sizes (throughput: above 1.00× is better for Expair; one-way latency")
            .AppendLine("and CPU per message: below 1.00× is better).").AppendLine();
        page.AppendLine("| Transport | Throughput cold | Throughput warm | Latency cold | Latency warm | CPU/msg cold | CPU/msg warm |");
        page.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        var behind = new List<string>();
        var overall = new Dictionary<(string, string), List<double?>>();
        foreach (var (label, transport, zmq, expair) in Rows)
        {
            if (!results.Has(transport, zmq) && !results.Has(transport, expair))
                continue;
            var cells = new List<string> { label };
            foreach (var (metric, phase) in new[] { ("thr", "cold"), ("thr", "warm"), ("lat", "cold"), ("lat", "warm"), ("cpu", "cold"), ("cpu", "warm") })
            {
                var ratios = results.Sizes.Select(size => (size, ratio: metric switch
                {
                    "thr" => RatioOf(Thr(results, transport, expair, size, phase), Thr(results, transport, zmq, size, phase)),
                    "lat" => RatioOf(OneWay(results, transport, expair, size, phase), OneWay(results, transport, zmq, size, phase)),
                    _ => RatioOf(results.CpuPerMessage(new Cell(transport, "thr", expair, size, phase)),
                        results.CpuPerMessage(new Cell(transport, "thr", zmq, size, phase))),
                })).ToList();
                cells.Add(RatioRange(ratios.Select(r => r.ratio)));
                // The README's ranges are the plain transports'; CURVE has its own rows.
                if (zmq == Zmq)
                {
                    overall.TryAdd((metric, phase), []);
                    overall[(metric, phase)].AddRange(ratios.Select(r => r.ratio));
                }
                var worse = metric == "thr" ? ratios.Where(r => r.ratio < 1) : metric == "lat" ? ratios.Where(r => r.ratio > 1) : [];
                behind.AddRange(worse.Select(r => string.Create(CultureInfo.InvariantCulture,
                    $"{label} {SizeName(r.size)} {(metric == "thr" ? "throughput" : "latency")} {phase} {r.ratio:0.00}×")));
            }
            page.AppendLine("| " + string.Join(" | ", cells) + " |");
        }
        page.AppendLine();
        page.AppendLine(behind.Count == 0
            ? "Expair is ahead of libzmq in every throughput and latency cell, cold and warm."
            : $"Cells where Expair is behind libzmq ({behind.Count}): {string.Join(", ", behind)}.").AppendLine();
        string Range(string metric, string phase) => RatioRange(overall.GetValueOrDefault((metric, phase)) ?? []);
        return $"Expair / libzmq (C driver) over tcp, ipc and inproc, {SizeName(results.Sizes.FirstOrDefault())}–{SizeName(results.Sizes.LastOrDefault())}: " +
               $"throughput {Range("thr", "cold")} cold, {Range("thr", "warm")} warm; one-way latency {Range("lat", "cold")} cold, " +
               $"{Range("lat", "warm")} warm; CPU per message {Range("cpu", "cold")} cold, {Range("cpu", "warm")} warm " +
               $"({behind.Count} throughput or latency cells behind libzmq).";
    }

    public static void Transport(StringBuilder page, ResultSet results, string transport)
    {
        var inproc = transport == "inproc";
        var sizes = results.Sizes.ToArray();
        page.AppendLine(CultureInfo.InvariantCulture, $"## {transport}").AppendLine();

        string[] pump = inproc ? [] : ["raw pump"];
        SizeTable(page, "Throughput (msg/s)", sizes,
            ["libzmq cold", "Expair cold", "Ratio cold", "libzmq warm", "Expair warm", "Ratio warm", .. pump],
            size => [.. ColdWarm(phase => (Thr(results, transport, Zmq, size, phase), Thr(results, transport, Expair, size, phase)), Rate),
                .. inproc ? [] : new[] { Rate(results.Median(new Cell(transport, "thr", "raw", size), "msgs_per_s")) }]);

        double? Cpu(string impl, int size, string phase) => results.CpuPerMessage(new Cell(transport, "thr", impl, size, phase));
        SizeTable(page, "CPU per message, throughput runs (µs: user + system, " + (inproc ? "the process" : "both processes") +
                        ", start-up to exit, per message moved = CPU seconds per million messages)", sizes,
            ["libzmq cold", "Expair cold", "Ratio cold", "libzmq warm", "Expair warm", "Ratio warm", .. pump],
            size => [.. ColdWarm(phase => (Cpu(Zmq, size, phase), Cpu(Expair, size, phase)), Micros),
                .. inproc ? [] : new[] { Micros(results.CpuPerMessage(new Cell(transport, "thr", "raw", size))) }]);

        Details(page, results, transport, sizes);

        double? Floor(string poll, int size) => results.Median(new Cell(transport, "lat", "raw-" + poll, size), "one_way_us");
        SizeTable(page, "Latency, one-way (µs)", sizes,
            ["libzmq cold", "Expair cold", "Ratio cold", "libzmq warm", "Expair warm", "Ratio warm", "floor blocking", "floor busy-polling"],
            size => [.. ColdWarm(phase => (OneWay(results, transport, Zmq, size, phase), OneWay(results, transport, Expair, size, phase)), Micros),
                Micros(Floor("block", size)), Micros(Floor("busy", size))]);

        double? Rtt(string impl, int size, string phase, string metric) => results.Median(new Cell(transport, "lat", impl, size, phase), metric);
        SizeTable(page, "Round trips (µs)", sizes,
            ["libzmq p50 cold", "Expair p50 cold", "libzmq p99 cold", "Expair p99 cold",
             "libzmq p50 warm", "Expair p50 warm", "libzmq p99 warm", "Expair p99 warm", "p99 ratio warm", "floor p99 blocking"],
            size => [.. Phases.SelectMany(phase => new[]
                {
                    Micros(Rtt(Zmq, size, phase, "rtt_p50_us")), Micros(Rtt(Expair, size, phase, "rtt_p50_us")),
                    Micros(Rtt(Zmq, size, phase, "rtt_p99_us")), Micros(Rtt(Expair, size, phase, "rtt_p99_us")),
                }),
                Ratio(Rtt(Expair, size, "warm", "rtt_p99_us"), Rtt(Zmq, size, "warm", "rtt_p99_us")),
                Micros(results.Median(new Cell(transport, "lat", "raw-block", size), "rtt_p99_us"))]);
    }

    /// <summary>Warm throughput in bytes, against the raw pump, and Expair's managed allocations and collections.</summary>
    private static void Details(StringBuilder page, ResultSet results, string transport, int[] sizes)
    {
        var inproc = transport == "inproc";
        double? Mbs(string impl, int size) => results.Median(new Cell(transport, "thr", impl, size), "mb_per_s");
        var expair = (int size) => new Cell(transport, "thr", Expair, size);
        string Gc(int size) => Gcs(results.Median(expair(size), "gc0"), results.Median(expair(size), "gc1"), results.Median(expair(size), "gc2"));
        if (inproc)
        {
            SizeTable(page, "Throughput details, warm", sizes,
                ["libzmq MB/s", "Expair MB/s", "Expair B/msg (both ends)", "Expair GCs 0/1/2"],
                size => [Mb(Mbs(Zmq, size)), Mb(Mbs(Expair, size)), Bytes(results.AllocPerMessage(expair(size))), Gc(size)]);
            return;
        }
        SizeTable(page, "Throughput details, warm (MB = 10^6 bytes; % of the raw pump's MB/s)", sizes,
            ["raw pump MB/s", "libzmq MB/s", "Expair MB/s", "libzmq % of raw", "Expair % of raw", "Expair recv B/msg", "Expair send B/msg", "Expair recv GCs 0/1/2"],
            size => [Mb(Mbs("raw", size)), Mb(Mbs(Zmq, size)), Mb(Mbs(Expair, size)), Percent(Mbs(Zmq, size), Mbs("raw", size)),
                Percent(Mbs(Expair, size), Mbs("raw", size)), Bytes(results.AllocPerMessage(expair(size))),
                Bytes(results.AllocPerMessage(expair(size), "thr_remote")), Gc(size)]);
        const int MiB = 1 << 20;
        if (Mbs("raw", MiB) is { } raw && Mbs(Expair, MiB) is { } moved)
            page.AppendLine(CultureInfo.InvariantCulture, $"1 MiB over {transport}: Expair moves {Percent(moved, raw)} of the raw pump (target: at least 60 %).").AppendLine();
    }

    /// <summary>libzmq, Expair and their ratio, cold then warm.</summary>
    private static IEnumerable<string> ColdWarm(Func<string, (double? Zmq, double? Expair)> figures, Func<double?, string> format) =>
        Phases.SelectMany(phase =>
        {
            var (zmq, expair) = figures(phase);
            return new[] { format(zmq), format(expair), Ratio(expair, zmq) };
        });

    /// <summary>A "### title" table with one row per message size: the size, then <paramref name="cells"/>'s cells.</summary>
    public static void SizeTable(StringBuilder page, string title, IEnumerable<int> sizes, string[] columns, Func<int, string[]> cells)
    {
        page.AppendLine(CultureInfo.InvariantCulture, $"### {title}").AppendLine();
        page.AppendLine("| Size | " + string.Join(" | ", columns) + " |");
        page.AppendLine("| ---: |" + string.Concat(Enumerable.Repeat(" ---: |", columns.Length)));
        foreach (var size in sizes)
            page.AppendLine("| " + string.Join(" | ", [SizeName(size), .. cells(size)]) + " |");
        page.AppendLine();
    }

    public static void MixedPairs(StringBuilder page, ResultSet results)
    {
        (string Sender, string Receiver, string Name)[] pairs =
        [
            (Zmq, Zmq, "libzmq→libzmq"), (Expair, Expair, "Expair→Expair"), (Expair, Zmq, "Expair→libzmq"), (Zmq, Expair, "libzmq→Expair"),
        ];
        if (!results.Has("tcp", Expair) || !results.Runs.Any(t => t["sender"] != t["receiver"]))
            return;
        page.AppendLine("## Mixed pairs (warm)").AppendLine();
        page.AppendLine("Sender→receiver for throughput (the receiver's msg/s), client→echo for latency (one-way µs); libzmq is the C")
            .AppendLine("driver. A mixed pair shows which side limits: if Expair→libzmq is fast and libzmq→Expair slow, Expair's receive")
            .AppendLine("path is the bottleneck.").AppendLine();
        page.AppendLine("| Transport | Size | " + string.Join(" | ", pairs.Select(p => p.Name + " msg/s")) + " | " + string.Join(" | ", pairs.Select(p => p.Name + " µs")) + " |");
        page.AppendLine("| --- | ---: |" + string.Concat(Enumerable.Repeat(" ---: |", pairs.Length * 2)));
        foreach (var transport in new[] { "tcp", "ipc" })
        {
            foreach (var size in results.Sizes)
            {
                var cells = pairs.Select(p => Rate(results.Median(new Cell(transport, "thr", p.Sender, p.Receiver, size), "msgs_per_s")))
                    .Concat(pairs.Select(p => Micros(results.Median(new Cell(transport, "lat", p.Sender, p.Receiver, size), "one_way_us"))));
                page.AppendLine($"| {transport} | {SizeName(size)} | " + string.Join(" | ", cells) + " |");
            }
        }
        page.AppendLine();
    }

    /// <summary>
    /// libzmq with CURVE beside Expair with CURVE, per transport, cold and warm: the receiver (or echo) is the CURVE
    /// server, the sender (or client) its client. Results without CURVE runs get a one-line note.
    /// </summary>
    public static void Curve(StringBuilder page, ResultSet results, IReadOnlyDictionary<string, string> machine)
    {
        page.AppendLine("## CURVE").AppendLine();
        var transports = new[] { "tcp", "ipc" }.Where(t => results.Has(t, ZmqCurve) || results.Has(t, ExpairCurve)).ToArray();
        if (transports.Length == 0)
        {
            page.AppendLine("(No CURVE runs in these results: `bench/run.sh` and `bench/run.sh --curve` include them.)").AppendLine();
            return;
        }
        page.AppendLine("libzmq→libzmq and Expair→Expair with CURVE (25/ZMTP-CURVE, 26/CurveZMQ): the receiver or echo binds as the CURVE")
            .AppendLine("server with one key pair made by `expair keygen` for the whole run (`--curve-server --curve-secret`), the sender or")
            .AppendLine("client connects with `--curve-serverkey` and a fresh pair of its own; every message is encrypted and authenticated")
            .AppendLine("(XSalsa20-Poly1305) by the same library, the system's libsodium, which libzmq links and Expair prefers on Linux.")
            .AppendLine("The handshake happens before the clock starts. Cold and warm as above; because encryption")
            .AppendLine("makes messages several times slower, these runs move fewer messages than the others (a 1 MiB throughput warm-up")
            .AppendLine("still fills a sender's 1000-message queue):").AppendLine();
        page.AppendLine("| Size | Throughput messages | Latency round trips | Throughput warm-up | Latency warm-up |")
            .AppendLine("| ---: | ---: | ---: | ---: | ---: |");
        foreach (var size in results.Sizes)
        {
            if (machine.TryGetValue("curve_counts_" + size.ToString(CultureInfo.InvariantCulture), out var counts))
                page.AppendLine("| " + string.Join(" | ", [SizeName(size), .. counts.Split(' ').Select(c => int.Parse(c, CultureInfo.InvariantCulture).ToString("#,0", CultureInfo.InvariantCulture))]) + " |");
        }
        page.AppendLine();
        page.AppendLine("Ratio = Expair / libzmq: throughput above 1.00× is better for Expair, latency and CPU below 1.00×.").AppendLine();
        foreach (var transport in transports)
        {
            double? Thr(string impl, int size, string metric, string phase = "warm") => results.Median(new Cell(transport, "thr", impl, size, phase), metric);
            double? Lat(string impl, int size, string metric, string phase = "warm") => results.Median(new Cell(transport, "lat", impl, size, phase), metric);
            double? Cpu(string impl, int size, string phase) => results.CpuPerMessage(new Cell(transport, "thr", impl, size, phase));
            var expair = (int size) => new Cell(transport, "thr", ExpairCurve, size);
            SizeTable(page, $"{transport} CURVE: throughput (msg/s)", results.Sizes,
                ["libzmq cold", "Expair cold", "Ratio cold", "libzmq warm", "Expair warm", "Ratio warm", "CPU/msg ratio cold", "CPU/msg ratio warm"],
                size => [
                    .. ColdWarm(phase => (Thr(ZmqCurve, size, "msgs_per_s", phase), Thr(ExpairCurve, size, "msgs_per_s", phase)), Rate),
                    .. Phases.Select(phase => Ratio(Cpu(ExpairCurve, size, phase), Cpu(ZmqCurve, size, phase)))]);
            SizeTable(page, $"{transport} CURVE: throughput details, warm", results.Sizes,
                ["libzmq MB/s", "Expair MB/s", "Expair recv B/msg", "Expair send B/msg", "Expair recv GCs 0/1/2"],
                size => [
                    Mb(Thr(ZmqCurve, size, "mb_per_s")), Mb(Thr(ExpairCurve, size, "mb_per_s")),
                    Bytes(results.AllocPerMessage(expair(size))), Bytes(results.AllocPerMessage(expair(size), "thr_remote")),
                    Gcs(Thr(ExpairCurve, size, "gc0"), Thr(ExpairCurve, size, "gc1"), Thr(ExpairCurve, size, "gc2"))]);
            SizeTable(page, $"{transport} CURVE: latency, one-way (µs), and round trips warm", results.Sizes,
                ["libzmq cold", "Expair cold", "Ratio cold", "libzmq warm", "Expair warm", "Ratio warm",
                 "libzmq p50 RTT warm", "Expair p50 RTT warm", "libzmq p99 RTT warm", "Expair p99 RTT warm", "p99 ratio warm"],
                size => [
                    .. ColdWarm(phase => (Lat(ZmqCurve, size, "one_way_us", phase), Lat(ExpairCurve, size, "one_way_us", phase)), Micros),
                    Micros(Lat(ZmqCurve, size, "rtt_p50_us")), Micros(Lat(ExpairCurve, size, "rtt_p50_us")),
                    Micros(Lat(ZmqCurve, size, "rtt_p99_us")), Micros(Lat(ExpairCurve, size, "rtt_p99_us")),
                    Ratio(Lat(ExpairCurve, size, "rtt_p99_us"), Lat(ZmqCurve, size, "rtt_p99_us"))]);
        }
    }

    /// <summary>Cells whose repetitions disagree widely: on a busy 2-core machine a median hides a bimodal cell.</summary>
    public static void Spread(StringBuilder page, ResultSet results)
    {
        const double Wide = 1.3;
        page.AppendLine("## Run-to-run spread").AppendLine();
        page.AppendLine(CultureInfo.InvariantCulture, $"Cells of the tables above whose slowest and fastest repetition differ by more than {Wide:0.0}×, for either")
            .AppendLine("implementation (smallest–largest; throughput in msg/s, latency one-way µs). Read their ratios with care.").AppendLine();
        page.AppendLine("| Transport | Test | Phase | Size | libzmq | Expair |").AppendLine("| --- | --- | --- | ---: | ---: | ---: |");
        var rows = 0;
        foreach (var (label, transport, zmqImpl, expairImpl) in Rows)
        {
            foreach (var (test, metric, format) in new (string, string, Func<double?, string>)[] { ("thr", "msgs_per_s", Rate), ("lat", "one_way_us", Micros) })
            {
                foreach (var phase in Phases)
                {
                    foreach (var size in results.Sizes)
                    {
                        var zmq = results.Values(new Cell(transport, test, zmqImpl, size, phase), metric);
                        var expair = results.Values(new Cell(transport, test, expairImpl, size, phase), metric);
                        static bool IsWide(double[] v) => v.Length > 1 && v[0] > 0 && v[^1] / v[0] > Wide;
                        if (!IsWide(zmq) && !IsWide(expair))
                            continue;
                        string Range(double[] v) => v.Length == 0 ? "–" : format(v[0]) + "–" + format(v[^1]);
                        page.AppendLine(CultureInfo.InvariantCulture,
                            $"| {label} | {(test == "thr" ? "throughput" : "latency")} | {phase} | {SizeName(size)} | {Range(zmq)} | {Range(expair)} |");
                        rows++;
                    }
                }
            }
        }
        if (rows == 0)
            page.AppendLine(results.Repetitions > 1 ? "| – | none | | | | |" : "| – | one repetition: no spread | | | | |");
        page.AppendLine();
    }
}
