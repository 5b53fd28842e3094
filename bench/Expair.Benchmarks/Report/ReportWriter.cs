using System.Globalization;
using System.Text;

namespace Expair.Benchmarks.Report;

/// <summary>
/// Writes docs/benchmarks.md from bench/run.sh's results: per transport Expair beside libzmq with the ratio, Expair
/// beside NetMQ, the mixed pairs, the raw ceiling, allocation and GC counts, and the micro-benchmark tables when
/// they were run.
/// </summary>
internal static class ReportWriter
{
    private const string Zmq = "libzmq";
    private const string Expair = "expair";
    private const string NetMq = "netmq";

    public static int Write(string resultsPath, string machinePath, string microDirectory, string outputPath)
    {
        var results = ResultSet.Load(resultsPath);
        var machine = File.ReadLines(machinePath)
            .Select(line => line.Split('=', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal);
        var page = new StringBuilder();
        Header(page, machine, results);
        foreach (var transport in new[] { "tcp", "ipc", "inproc" })
            Transport(page, results, transport);
        NetMqSection(page, results, machine);
        MixedPairs(page, results);
        Spread(page, results);
        Ceiling(page, results);
        Memory(page);
        Micro(page, microDirectory);
        File.WriteAllText(outputPath, page.ToString().ReplaceLineEndings("\n"));
        Console.Out.WriteLine($"wrote {outputPath}");
        return 0;
    }

    private static void Header(StringBuilder page, Dictionary<string, string> machine, ResultSet results)
    {
        string Get(string key) => machine.GetValueOrDefault(key, "?");
        page.AppendLine("# Benchmarks").AppendLine();
        page.AppendLine("Expair's PAIR socket beside libzmq's and NetMQ's, measured with the same loops and clocks on every side (issue 3).")
            .AppendLine("This page is generated: rerun the command below, do not edit it by hand.").AppendLine();
        page.AppendLine("```sh").AppendLine(Get("command")).AppendLine("```").AppendLine();
        page.AppendLine("| | |").AppendLine("| --- | --- |");
        page.AppendLine(CultureInfo.InvariantCulture, $"| Date (UTC) | {Get("date")} |");
        page.AppendLine(CultureInfo.InvariantCulture, $"| CPU | {Get("cpu")} ({Get("cores")} cores) |");
        page.AppendLine(CultureInfo.InvariantCulture, $"| Kernel | {Get("kernel")} |");
        page.AppendLine(CultureInfo.InvariantCulture, $"| .NET | {Get("dotnet")} |");
        page.AppendLine(CultureInfo.InvariantCulture, $"| libzmq | {Get("libzmq")} |");
        if (machine.ContainsKey("netmq"))
            page.AppendLine(CultureInfo.InvariantCulture, $"| NetMQ | {Get("netmq")} |");
        page.AppendLine(CultureInfo.InvariantCulture, $"| Repetitions | {results.Repetitions}, interleaved (every configuration once, then again); each cell is the median |");
        Steal(page, machine, results);
        page.AppendLine();
        if (machine.TryGetValue("note", out var note) && note.Length > 0)
            page.AppendLine(CultureInfo.InvariantCulture, $"**Note:** {note}").AppendLine();
        page.AppendLine("How the numbers are taken (`expair bench --help`, `bench/Expair.Benchmarks`):").AppendLine();
        page.AppendLine("- Throughput: `thr-local` binds and receives COUNT messages, clocked from the first; `thr-remote` connects and")
            .AppendLine("  sends them, writing every payload byte, then waits for a one-message acknowledgement. msg/s and MB/s (10^6 bytes)")
            .AppendLine("  are the receiver's. Both sides keep the default high-water marks (1000 messages).")
            .AppendLine("- Latency: `lat-remote` does COUNT round trips against `lat-local`'s echo (tcp and ipc: 30,000 up to 1 KiB,")
            .AppendLine("  20,000 at 64 KiB, 3,000 at 1 MiB; inproc 10,000 and 2,000), the first an untimed warm-up; one-way = mean round")
            .AppendLine("  trip / 2; p50/p99 are of the round trips. A p99 is the 1 % slowest: a run of 1 s or less let one slow spell")
            .AppendLine("  of the machine, which hits either implementation, decide it.")
            .AppendLine("- Warm-up (`--warmup N`, the same for both implementations): before the timed part both sides move about a second of")
            .AppendLine("  untimed traffic (throughput: 5,000,000 messages up to 64 B, 2,000,000 at 1 KiB, 30,000 at 64 KiB, 5,000 at 1 MiB,")
            .AppendLine("  enough to fill a sender's queue; inproc 200,000 and 30,000 for the last two; NetMQ at most 300,000. Latency:")
            .AppendLine("  20,000 round trips up to 1 KiB, 8,000 at 64 KiB, 2,500 at 1 MiB; inproc 100,000 and 20,000), so .NET's")
            .AppendLine("  re-compilation of hot code after its first calls is not measured: while its background compiler runs it takes one")
            .AppendLine("  of the two cores, and shorter warm-ups left hot methods unoptimised in the timed part, millisecond round trips in")
            .AppendLine("  the p99 and a growing queue's page faults in the 1 MiB figures. Every figure is a steady state. Senders write")
            .AppendLine("  payloads with a loop compiled optimised at its first call (`PayloadWriter`): `Span.Fill`'s tiered loop made some")
            .AppendLine("  whole runs fill at half speed.")
            .AppendLine("- Ratio = Expair / libzmq. Throughput: above 1.00 is better. Latency: below 1.00 is better.")
            .AppendLine("- B/msg = bytes allocated on the managed heap per message during the timed part, all threads of that process")
            .AppendLine("  (GC.GetTotalAllocatedBytes); GCs = collections of generation 0/1/2 during it. libzmq allocates natively, so its")
            .AppendLine("  managed figures are the harness's own (about zero).")
            .AppendLine();
    }

    private static void Transport(StringBuilder page, ResultSet results, string transport)
    {
        var inproc = transport == "inproc";
        var thr = inproc ? "inproc_thr" : "thr_local";
        var lat = inproc ? "inproc_lat" : "lat_remote";
        page.AppendLine(CultureInfo.InvariantCulture, $"## {transport}").AppendLine();
        page.AppendLine("### Throughput").AppendLine();
        page.AppendLine(inproc
            ? "| Size | libzmq msg/s | Expair msg/s | Ratio | libzmq MB/s | Expair MB/s | Expair B/msg (both ends) | Expair GCs 0/1/2 |"
            : "| Size | libzmq msg/s | Expair msg/s | Ratio | libzmq MB/s | Expair MB/s | Expair recv B/msg | Expair send B/msg | Expair recv GCs 0/1/2 |");
        page.AppendLine(inproc ? "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" : "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var size in results.Sizes)
        {
            double? Zm(string metric) => results.Median(transport, "thr", Zmq, Zmq, size, thr, metric);
            double? Ex(string metric) => results.Median(transport, "thr", Expair, Expair, size, thr, metric);
            var row = new List<string>
            {
                SizeName(size), Rate(Zm("msgs_per_s")), Rate(Ex("msgs_per_s")), Ratio(Ex("msgs_per_s"), Zm("msgs_per_s")),
                Mb(Zm("mb_per_s")), Mb(Ex("mb_per_s")),
                Bytes(results.AllocPerMessage(transport, "thr", Expair, Expair, size, thr)),
            };
            if (!inproc)
                row.Add(Bytes(results.AllocPerMessage(transport, "thr", Expair, Expair, size, "thr_remote")));
            row.Add(Gcs(Ex("gc0"), Ex("gc1"), Ex("gc2")));
            page.AppendLine("| " + string.Join(" | ", row) + " |");
        }
        page.AppendLine();
        page.AppendLine("### Latency (µs)").AppendLine();
        page.AppendLine("| Size | libzmq one-way | Expair one-way | Ratio | libzmq p50 RTT | Expair p50 RTT | libzmq p99 RTT | Expair p99 RTT | p99 ratio |");
        page.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var size in results.Sizes)
        {
            double? Zm(string metric) => results.Median(transport, "lat", Zmq, Zmq, size, lat, metric);
            double? Ex(string metric) => results.Median(transport, "lat", Expair, Expair, size, lat, metric);
            page.AppendLine("| " + string.Join(" | ",
                SizeName(size), Micros(Zm("one_way_us")), Micros(Ex("one_way_us")), Ratio(Ex("one_way_us"), Zm("one_way_us")),
                Micros(Zm("rtt_p50_us")), Micros(Ex("rtt_p50_us")), Micros(Zm("rtt_p99_us")), Micros(Ex("rtt_p99_us")),
                Ratio(Ex("rtt_p99_us"), Zm("rtt_p99_us"))) + " |");
        }
        page.AppendLine();
    }

    /// <summary>
    /// Expair beside NetMQ, the other C# ZeroMQ: tcp and inproc (NetMQ's ipc:// is tcp on loopback on Linux, so it is
    /// not measured there). Results without NetMQ lines (an older run) get a one-line note instead of empty tables.
    /// </summary>
    private static void NetMqSection(StringBuilder page, ResultSet results, Dictionary<string, string> machine)
    {
        page.AppendLine("## Expair beside NetMQ").AppendLine();
        var transports = new[] { "tcp", "inproc" }.Where(t => results.Has(t, NetMq)).ToArray();
        if (transports.Length == 0)
        {
            page.AppendLine("(No NetMQ runs in these results.)").AppendLine();
            return;
        }
        page.AppendLine("NetMQ→NetMQ with the same loops (`Expair.Benchmarks netmq MODE ...`), written as a careful NetMQ user would:")
            .AppendLine("one `Msg` reused for every receive and echo, the sender filling `Msg.InitPool`'s buffer, and NetMQ's pooled")
            .AppendLine("buffers (`BufferPool.SetBufferManagerBufferPool`) instead of its default, which takes every buffer from the GC.")
            .AppendLine("Not over ipc: NetMQ's `ipc://` listens on tcp loopback on Linux, not on a unix socket.");
        if (machine.TryGetValue("netmq_thr_max", out var cap))
            page.AppendLine(CultureInfo.InvariantCulture, $"NetMQ's throughput runs move at most {cap} messages (the others more) to keep one run short.");
        page.AppendLine("Expair / NetMQ: throughput above 1.00× is better for Expair, latency below 1.00×. B/msg and GCs are the receiver's")
            .AppendLine("(inproc: the one process, both ends).").AppendLine();
        foreach (var transport in transports)
        {
            var inproc = transport == "inproc";
            var thr = inproc ? "inproc_thr" : "thr_local";
            var lat = inproc ? "inproc_lat" : "lat_remote";
            double? Thr(string impl, int size, string metric) => results.Median(transport, "thr", impl, impl, size, thr, metric);
            double? Lat(string impl, int size, string metric) => results.Median(transport, "lat", impl, impl, size, lat, metric);
            string Gc(string impl, int size) => Gcs(Thr(impl, size, "gc0"), Thr(impl, size, "gc1"), Thr(impl, size, "gc2"));
            SizeTable(page, $"{transport}: throughput", results.Sizes,
                ["NetMQ msg/s", "Expair msg/s", "Expair / NetMQ", "NetMQ B/msg", "Expair B/msg", "NetMQ GCs 0/1/2", "Expair GCs 0/1/2"],
                size => [
                    Rate(Thr(NetMq, size, "msgs_per_s")), Rate(Thr(Expair, size, "msgs_per_s")),
                    Ratio(Thr(Expair, size, "msgs_per_s"), Thr(NetMq, size, "msgs_per_s")),
                    Bytes(results.AllocPerMessage(transport, "thr", NetMq, NetMq, size, thr)),
                    Bytes(results.AllocPerMessage(transport, "thr", Expair, Expair, size, thr)), Gc(NetMq, size), Gc(Expair, size)]);
            SizeTable(page, $"{transport}: latency (µs)", results.Sizes,
                ["NetMQ one-way", "Expair one-way", "Expair / NetMQ", "NetMQ p50 RTT", "Expair p50 RTT", "NetMQ p99 RTT", "Expair p99 RTT"],
                size => [
                    Micros(Lat(NetMq, size, "one_way_us")), Micros(Lat(Expair, size, "one_way_us")),
                    Ratio(Lat(Expair, size, "one_way_us"), Lat(NetMq, size, "one_way_us")),
                    Micros(Lat(NetMq, size, "rtt_p50_us")), Micros(Lat(Expair, size, "rtt_p50_us")),
                    Micros(Lat(NetMq, size, "rtt_p99_us")), Micros(Lat(Expair, size, "rtt_p99_us"))]);
        }
    }

    /// <summary>A "### title" table with one row per message size: the size, then <paramref name="cells"/>'s cells.</summary>
    private static void SizeTable(StringBuilder page, string title, IEnumerable<int> sizes, string[] columns, Func<int, string[]> cells)
    {
        page.AppendLine(CultureInfo.InvariantCulture, $"### {title}").AppendLine();
        page.AppendLine("| Size | " + string.Join(" | ", columns) + " |");
        page.AppendLine("| ---: |" + string.Concat(Enumerable.Repeat(" ---: |", columns.Length)));
        foreach (var size in sizes)
            page.AppendLine("| " + string.Join(" | ", [SizeName(size), .. cells(size)]) + " |");
        page.AppendLine();
    }

    private static void MixedPairs(StringBuilder page, ResultSet results)
    {
        (string Sender, string Receiver, string Name)[] pairs =
        [
            (Zmq, Zmq, "libzmq→libzmq"), (Expair, Expair, "Expair→Expair"), (Expair, Zmq, "Expair→libzmq"), (Zmq, Expair, "libzmq→Expair"),
        ];
        page.AppendLine("## Mixed pairs").AppendLine();
        page.AppendLine("Sender→receiver for throughput (the receiver's msg/s), client→echo for latency (one-way µs). A mixed pair shows")
            .AppendLine("which side limits: if Expair→libzmq is fast and libzmq→Expair slow, Expair's receive path is the bottleneck.").AppendLine();
        page.AppendLine("| Transport | Size | " + string.Join(" | ", pairs.Select(p => p.Name + " msg/s")) + " | " + string.Join(" | ", pairs.Select(p => p.Name + " µs")) + " |");
        page.AppendLine("| --- | ---: |" + string.Concat(Enumerable.Repeat(" ---: |", pairs.Length * 2)));
        foreach (var transport in new[] { "tcp", "ipc" })
        {
            foreach (var size in results.Sizes)
            {
                var cells = pairs.Select(p => Rate(results.Median(transport, "thr", p.Sender, p.Receiver, size, "thr_local", "msgs_per_s")))
                    .Concat(pairs.Select(p => Micros(results.Median(transport, "lat", p.Sender, p.Receiver, size, "lat_remote", "one_way_us"))));
                page.AppendLine($"| {transport} | {SizeName(size)} | " + string.Join(" | ", cells) + " |");
            }
        }
        page.AppendLine();
    }

    /// <summary>
    /// The hypervisor's share of the CPU time during the runs (bench/run.sh repeats a run during which it took too much,
    /// keeping the calmest attempt; its limits come in the machine file): a virtual machine's slow spells otherwise
    /// decide p99 cells.
    /// </summary>
    private static void Steal(StringBuilder page, Dictionary<string, string> machine, ResultSet results)
    {
        var runs = results.Runs.Where(t => t.ContainsKey("steal_pct")).ToList();
        if (runs.Count == 0)
            return;
        static double StealOf(Dictionary<string, string> t) => double.Parse(t["steal_pct"], CultureInfo.InvariantCulture);
        var limit = double.Parse(machine.GetValueOrDefault("steal_limit_pct", "1.0"), CultureInfo.InvariantCulture);
        var steal = runs.Select(StealOf).Order().ToArray();
        var repeated = runs.Count(t => t.GetValueOrDefault("attempts") is { } a && a != "1");
        var over = runs.Where(t => StealOf(t) > limit).ToList();
        var listed = string.Join(", ", over.Take(8).Select(t =>
            $"{t["transport"]} {t["test"]} {t["sender"]}→{t["receiver"]} {SizeName(int.Parse(t["size"], CultureInfo.InvariantCulture))} rep {t["rep"]}: {StealOf(t):0.0} %"));
        if (over.Count > 8)
            listed += ", …";
        page.AppendLine(CultureInfo.InvariantCulture,
            $"| Hypervisor steal | runs during which the hypervisor took over {limit:0.0} % of the CPU time (`/proc/stat`) are repeated, up to " +
            $"{machine.GetValueOrDefault("steal_attempts", "?")} attempts, the calmest kept, at most {machine.GetValueOrDefault("steal_retry_budget", "?")} repeats per run of the script: " +
            $"{repeated} of {runs.Count} runs repeated; kept runs' steal median {steal[steal.Length / 2]:0.0} %, highest {steal[^1]:0.0} %; " +
            $"{over.Count} kept over {limit:0.0} %{(over.Count > 0 ? $" ({listed})" : "")} |");
    }

    /// <summary>Cells whose repetitions disagree widely: on a busy 2-core machine a median hides a bimodal cell.</summary>
    private static void Spread(StringBuilder page, ResultSet results)
    {
        const double Wide = 1.3;
        page.AppendLine("## Run-to-run spread").AppendLine();
        page.AppendLine(CultureInfo.InvariantCulture, $"Cells of the tables above whose slowest and fastest repetition differ by more than {Wide:0.0}×, for either")
            .AppendLine("implementation (smallest–largest; throughput in msg/s, latency one-way µs). Read their ratios with care.").AppendLine();
        page.AppendLine("| Transport | Test | Size | libzmq | Expair |").AppendLine("| --- | --- | ---: | ---: | ---: |");
        var rows = 0;
        foreach (var transport in new[] { "tcp", "ipc", "inproc" })
        {
            var inproc = transport == "inproc";
            foreach (var (test, kind, metric, format) in new (string, string, string, Func<double?, string>)[]
            {
                ("thr", inproc ? "inproc_thr" : "thr_local", "msgs_per_s", Rate),
                ("lat", inproc ? "inproc_lat" : "lat_remote", "one_way_us", Micros),
            })
            {
                foreach (var size in results.Sizes)
                {
                    var zmq = results.Values(transport, test, Zmq, Zmq, size, kind, metric);
                    var expair = results.Values(transport, test, Expair, Expair, size, kind, metric);
                    static bool IsWide(double[] v) => v.Length > 1 && v[0] > 0 && v[^1] / v[0] > Wide;
                    if (!IsWide(zmq) && !IsWide(expair))
                        continue;
                    string Range(double[] v) => v.Length == 0 ? "–" : format(v[0]) + "–" + format(v[^1]);
                    page.AppendLine(CultureInfo.InvariantCulture, $"| {transport} | {(test == "thr" ? "throughput" : "latency")} | {SizeName(size)} | {Range(zmq)} | {Range(expair)} |");
                    rows++;
                }
            }
        }
        if (rows == 0)
            page.AppendLine("| – | none | | | |");
        page.AppendLine();
    }

    private static void Ceiling(StringBuilder page, ResultSet results)
    {
        page.AppendLine("## Raw socket ceiling").AppendLine();
        page.AppendLine("A plain byte pump in the same run (`Expair.Benchmarks raw-tcp|raw-ipc SIZE COUNT`): the sender writes every byte")
            .AppendLine("of COUNT payloads, small ones packed into 64 KiB writes, the receiver reads 256 KiB at a time. No framing, no")
            .AppendLine("queue: what the kernel moves. The percentages are each implementation's MB/s over that ceiling.").AppendLine();
        page.AppendLine("| Size | raw tcp MB/s | libzmq tcp | Expair tcp | raw ipc MB/s | libzmq ipc | Expair ipc |");
        page.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var size in results.Sizes)
        {
            var cells = new List<string> { SizeName(size) };
            foreach (var transport in new[] { "tcp", "ipc" })
            {
                var raw = results.Median($"raw-{transport}", "thr", "raw", "raw", size, $"raw_{transport}", "mb_per_s");
                cells.Add(Mb(raw));
                foreach (var impl in new[] { Zmq, Expair })
                    cells.Add(Percent(results.Median(transport, "thr", impl, impl, size, "thr_local", "mb_per_s"), raw));
            }
            page.AppendLine("| " + string.Join(" | ", cells) + " |");
        }
        page.AppendLine();
        const int MiB = 1 << 20;
        foreach (var transport in new[] { "tcp", "ipc" })
        {
            var raw = results.Median($"raw-{transport}", "thr", "raw", "raw", MiB, $"raw_{transport}", "mb_per_s");
            var expair = results.Median(transport, "thr", Expair, Expair, MiB, "thr_local", "mb_per_s");
            if (raw is not null && expair is not null)
                page.AppendLine(CultureInfo.InvariantCulture, $"- 1 MiB over {transport}: Expair moves {Percent(expair, raw)} of the raw ceiling (target: at least 60 %).");
        }
        page.AppendLine();
    }

    /// <summary>What memory a connection costs: from the code, not measured here (see FramePool and the engine).</summary>
    private static void Memory(StringBuilder page)
    {
        page.AppendLine("## Memory").AppendLine();
        page.AppendLine("- A tcp/ipc connection at rest holds a 64 KiB receive buffer (rented when traffic starts; a handshaking")
            .AppendLine("  connection holds 512 bytes), a 64 KiB send buffer, two pipes whose rings start at 16 frame slots (80 bytes")
            .AppendLine("  each: bodies up to 64 bytes live in the slot; plus 512 bytes of positions on separate cache lines) and grow")
            .AppendLine("  to the high-water mark, the send loop's 256-frame batch (22 KiB) and, once a caller wrote directly, a 4 KiB")
            .AppendLine("  direct-write buffer: about 160 KiB in all, plus the two I/O")
            .AppendLine("  threads of the connection in the PAIR slot (256 KiB of stack reserved each, committed as used; see")
            .AppendLine("  docs/threading.md).")
            .AppendLine("- A full queue costs its high-water mark times the message size rounded up to the pool's bucket (a power")
            .AppendLine("  of two up to 64 KiB, so at most twice the size; above, a quarter-step, at most 1.25 times), plus 80 bytes")
            .AppendLine("  per frame; frames of up to 64 bytes need no buffer at all.")
            .AppendLine("  Nothing else is kept per message.")
            .AppendLine("- Buffers return to `FramePool` (`src/Expair/Internal/FramePool.cs`), which keeps what was in flight at the")
            .AppendLine("  peak: up to 4096 buffers per size up to 1 KiB; above 1 KiB (`BufferPool.cs`, up to 64 MiB) every buffer")
            .AppendLine("  traffic needs, given back to the GC once unused for 8-10 s, down to 512 KiB per size up to 64 KiB and 2 MiB")
            .AppendLine("  per bucket above. So a steady stream recycles instead of allocating (the B/msg columns above).")
            .AppendLine("- A 1 MiB sender outruns its socket and keeps up to 1000 messages queued; the throughput warm-up lets its queue")
            .AppendLine("  fill first in most runs, so the timed part shows buffers recycling, not the queue's growth (after a warm-up half")
            .AppendLine("  as long the sender still allocated 190-335 MB of fresh buffers in the timed part, and both implementations'")
            .AppendLine("  senders spent a fifth of their time faulting in new pages).")
            .AppendLine("- Where a row still shows bytes per message (64 KiB; the 1 MiB senders in some runs), the queue reached a new depth")
            .AppendLine("  during the timed part (a receiver held up for a moment), and each new depth costs its buffers once, up to the")
            .AppendLine("  high-water mark: over 4,000,000 inproc 64 KiB messages after as many untimed ones, 108 new buffers and one ring")
            .AppendLine("  growth, nothing else. A 1 MiB ipc sender that allocated 24-70 MB in 2,000 timed messages took 23-67 new 1 MiB")
            .AppendLine("  buffers, with no collection; in the run before, with the same code, its median was 8.7 bytes per message.")
            .AppendLine();
    }

    private static void Micro(StringBuilder page, string microDirectory)
    {
        page.AppendLine("## Micro-benchmarks").AppendLine();
        page.AppendLine("BenchmarkDotNet with `[MemoryDiagnoser]` for the codec (`FrameHeader`, `Commands`) and the queue (`Pipe`):").AppendLine();
        page.AppendLine("```sh").AppendLine("dotnet run -c Release --project bench/Expair.Benchmarks -- micro --filter '*'").AppendLine("```").AppendLine();
        var reports = Directory.Exists(Path.Combine(microDirectory, "results"))
            ? Directory.GetFiles(Path.Combine(microDirectory, "results"), "*-report-github.md").Order(StringComparer.Ordinal).ToArray()
            : [];
        if (reports.Length == 0)
        {
            page.AppendLine("(Not run in this pass: `bench/run.sh --micro` includes them.)").AppendLine();
            return;
        }
        foreach (var report in reports)
        {
            var name = Path.GetFileName(report).Replace("-report-github.md", "", StringComparison.Ordinal);
            page.AppendLine(CultureInfo.InvariantCulture, $"### {name[(name.LastIndexOf('.') + 1)..]}").AppendLine();
            // Keep the table; BenchmarkDotNet's environment block repeats what the header above says.
            var table = File.ReadAllLines(report).SkipWhile(line => !line.StartsWith('|'));
            foreach (var line in table)
                page.AppendLine(line);
            page.AppendLine();
        }
    }

    private static string SizeName(int size) => size switch
    {
        >= 1 << 20 when size % (1 << 20) == 0 => $"{size >> 20} MiB",
        >= 1024 when size % 1024 == 0 => $"{size >> 10} KiB",
        _ => $"{size} B",
    };

    private static string Rate(double? perSecond) => perSecond switch
    {
        null => "–",
        >= 1e6 => (perSecond.Value / 1e6).ToString("0.00 M", CultureInfo.InvariantCulture),
        >= 1e3 => (perSecond.Value / 1e3).ToString("0 k", CultureInfo.InvariantCulture),
        _ => perSecond.Value.ToString("0", CultureInfo.InvariantCulture),
    };

    private static string Mb(double? mb) => mb is { } v ? v.ToString(v >= 100 ? "#,0" : "0.0", CultureInfo.InvariantCulture) : "–";

    private static string Micros(double? us) => us is { } v ? v.ToString(v >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture) : "–";

    private static string Bytes(double? bytes) => bytes is { } v ? v.ToString(v >= 10 ? "#,0" : "0.0", CultureInfo.InvariantCulture) : "–";

    private static string Ratio(double? expair, double? other) =>
        expair is { } e && other is { } o && o > 0 ? (e / o).ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–";

    private static string Percent(double? part, double? whole) =>
        part is { } p && whole is { } w && w > 0 ? (100 * p / w).ToString("0", CultureInfo.InvariantCulture) + " %" : "–";

    private static string Gcs(double? gen0, double? gen1, double? gen2) =>
        gen0 is null ? "–" : string.Create(CultureInfo.InvariantCulture, $"{gen0:0}/{gen1:0}/{gen2:0}");
}
