using System.Globalization;
using System.Text;
using static Expair.Benchmarks.Report.Format;

namespace Expair.Benchmarks.Report;

/// <summary>
/// Writes docs/benchmarks.md from bench/run.sh's results: a summary of Expair / libzmq, per transport the cold and
/// warm tables with the physical floor and the CPU cost beside them, libzmq and Expair with CURVE, Expair beside NetMQ,
/// the mixed pairs, the spread between repetitions, memory, and the micro-benchmark tables when they were run.
/// </summary>
internal static class ReportWriter
{
    private const string Expair = ComparisonTables.Expair;
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
        Method(page);
        var figures = ComparisonTables.Summary(page, results);
        foreach (var transport in new[] { "tcp", "ipc", "inproc" }.Where(t => results.Has(t, Expair) || results.Has(t, ComparisonTables.Zmq)))
            ComparisonTables.Transport(page, results, transport);
        ComparisonTables.Curve(page, results, machine);
        NetMqSection(page, results, machine);
        ComparisonTables.MixedPairs(page, results);
        ComparisonTables.Spread(page, results);
        Memory(page);
        Micro(page, microDirectory);
        var directory = Path.GetDirectoryName(outputPath);
        if (!string.IsNullOrEmpty(directory))
            Directory.CreateDirectory(directory);
        File.WriteAllText(outputPath, page.ToString().ReplaceLineEndings("\n"));
        Console.Out.WriteLine($"wrote {outputPath}");
        Console.Out.WriteLine($"summary (for the README's figures): {figures}");
        return 0;
    }

    private static void Header(StringBuilder page, Dictionary<string, string> machine, ResultSet results)
    {
        string Get(string key) => machine.GetValueOrDefault(key, "?");
        page.AppendLine("# Benchmarks").AppendLine();
        page.AppendLine("Expair's PAIR socket beside libzmq's as libzmq ships (driven from C), NetMQ's, and the physical floor of each")
            .AppendLine("transport, cold and warm (issues 3 and 23). This page is generated: rerun the command below, do not edit it by hand.")
            .AppendLine();
        page.AppendLine("```sh").AppendLine(Get("command")).AppendLine("```").AppendLine();
        page.AppendLine("| | |").AppendLine("| --- | --- |");
        page.AppendLine(CultureInfo.InvariantCulture, $"| Date (UTC) | {Get("date")} |");
        page.AppendLine(CultureInfo.InvariantCulture, $"| Machine | {Get("cpu")} ({Get("cores")} cores), {Get("kernel")} |");
        page.AppendLine(CultureInfo.InvariantCulture, $"| Expair driver | `expair bench` (`src/Expair.Cli/Bench`), .NET {Get("dotnet")}, Release |");
        page.AppendLine(CultureInfo.InvariantCulture,
            $"| libzmq driver | `zmq-bench` (`bench/native/zmq_driver.c`), C, `cc -O2` ({Get("cc")}), against libzmq {Get("libzmq")} (Debian's libzmq3-dev) |");
        if (machine.ContainsKey("netmq"))
            page.AppendLine(CultureInfo.InvariantCulture, $"| NetMQ | {Get("netmq")} (`Expair.Benchmarks netmq`, the loops of `expair bench`) |");
        page.AppendLine(CultureInfo.InvariantCulture, $"| Repetitions | {results.Repetitions}, interleaved (every configuration once, then again); each cell is the median |");
        if (machine.TryGetValue("elapsed_min", out var minutes))
            page.AppendLine(CultureInfo.InvariantCulture, $"| Run time | {minutes} minutes (measurements only, after the build) |");
        if (machine.TryGetValue("scale", out var scale) && scale != "1")
            page.AppendLine(CultureInfo.InvariantCulture, $"| Counts | divided by {scale}: a smoke run, not figures to quote |");
        Steal(page, machine, results);
        page.AppendLine();
        if (machine.TryGetValue("note", out var note) && note.Length > 0)
            page.AppendLine(CultureInfo.InvariantCulture, $"**Note:** {note}").AppendLine();
    }

    private static void Method(StringBuilder page)
    {
        page.AppendLine("How the numbers are taken (`expair bench --help`, `bench/native/zmq_driver.c`, `bench/run.sh`):").AppendLine();
        page.AppendLine("- Two drivers, one contract: the same modes, arguments, warm-up, clock points and summary line. Expair's is")
            .AppendLine("  `expair bench`; libzmq's is `zmq-bench`, in C as libzmq's own perf tools use it (the sender fills each")
            .AppendLine("  `zmq_msg_init_size` buffer and sends it, the echo sends the received `zmq_msg_t` back), so every libzmq figure,")
            .AppendLine("  mixed pairs included, is libzmq's own cost, not a managed loop's. Both sides keep the default high-water marks")
            .AppendLine("  (1000 messages).")
            .AppendLine("- Throughput: `thr-local` binds and receives COUNT messages, clocked from the first; `thr-remote` connects and")
            .AppendLine("  sends them, writing every payload byte, then waits for a one-message acknowledgement. msg/s and MB/s (10^6 bytes)")
            .AppendLine("  are the receiver's.")
            .AppendLine("- Latency: `lat-remote` does COUNT round trips against `lat-local`'s echo (tcp and ipc: 30,000 up to 1 KiB,")
            .AppendLine("  20,000 at 64 KiB, 3,000 at 1 MiB; inproc 10,000 and 2,000), the first untimed; one-way = mean round trip / 2;")
            .AppendLine("  p50/p99 are of the round trips. A p99 is the 1 % slowest: one slow spell of the machine can decide it.")
            .AppendLine("- Cold and warm: every run starts fresh processes (inproc: one process). **Cold** runs move no untimed traffic")
            .AppendLine("  (`--warmup 0`): what a short-lived program sees, with .NET's start-up compilation of the hot code inside the")
            .AppendLine("  timed part. **Warm** runs first move about a second of untimed traffic, the same `--warmup N` for both")
            .AppendLine("  drivers (throughput: 5,000,000 messages up to 64 B, 2,000,000 at 1 KiB, 30,000 at 64 KiB, 5,000 at 1 MiB,")
            .AppendLine("  enough to fill a sender's queue; inproc 200,000 and 30,000 for the last two; NetMQ at most 300,000. Latency:")
            .AppendLine("  20,000 round trips up to 1 KiB, 8,000 at 64 KiB, 2,500 at 1 MiB; inproc 100,000 and 20,000): the steady")
            .AppendLine("  state, after .NET has re-compiled the hot code optimised. Cold and warm runs of one configuration follow each")
            .AppendLine("  other in every repetition. Mixed pairs and NetMQ are measured warm only.")
            .AppendLine("- CPU per message: every process runs under `cpu-time` (`bench/native/cpu_time.c`), which reads its user and")
            .AppendLine("  system CPU seconds, all threads, from exec to exit (`wait4`). The figure is the sum over both processes (inproc:")
            .AppendLine("  the one) divided by the messages moved, timed and warm-up, in µs per message = CPU seconds per million messages.")
            .AppendLine("  So a cold figure includes starting the runtime and compiling; a warm one spreads that over the warm-up too.")
            .AppendLine("- The floor, without ZeroMQ (`zmq-bench raw-thr` and `raw-lat`, C): the raw pump writes every byte of COUNT")
            .AppendLine("  payloads over a plain socket to a second process, small ones packed into 64 KiB writes, the receiver reading")
            .AppendLine("  64 KiB at a time, clocked from its go-ahead to the last byte: what the kernel moves. The ping-pong sends SIZE")
            .AppendLine("  bytes over a plain socket to a second process that returns them, blocking in the kernel or busy-polling")
            .AppendLine("  (non-blocking calls in a loop, a core each); inproc's floor is two threads handing a pointer over, waiting in")
            .AppendLine("  a futex or spinning. Sockets are tuned as Expair tunes its own (TCP_NODELAY and Reno on loopback, a 1 MiB")
            .AppendLine("  send buffer on unix sockets).")
            .AppendLine("- Ratio = Expair / libzmq. Throughput: above 1.00 is better. Latency and CPU: below 1.00 is better.")
            .AppendLine("- B/msg = bytes allocated on the managed heap per message during the timed part, all threads of that process")
            .AppendLine("  (GC.GetTotalAllocatedBytes); GCs = collections of generation 0/1/2 during it. The C driver has no managed heap.")
            .AppendLine();
    }

    /// <summary>
    /// Expair beside NetMQ, the other C# ZeroMQ: tcp and inproc (NetMQ's ipc:// is tcp on loopback on Linux, so it is
    /// not measured there). Results without NetMQ lines (an older run) get a one-line note instead of empty tables.
    /// </summary>
    private static void NetMqSection(StringBuilder page, ResultSet results, Dictionary<string, string> machine)
    {
        page.AppendLine("## Expair beside NetMQ (warm)").AppendLine();
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
            double? Thr(string impl, int size, string metric) => results.Median(new Cell(transport, "thr", impl, size), metric);
            double? Lat(string impl, int size, string metric) => results.Median(new Cell(transport, "lat", impl, size), metric);
            string Gc(string impl, int size) => Gcs(Thr(impl, size, "gc0"), Thr(impl, size, "gc1"), Thr(impl, size, "gc2"));
            ComparisonTables.SizeTable(page, $"{transport}: throughput", results.Sizes,
                ["NetMQ msg/s", "Expair msg/s", "Expair / NetMQ", "NetMQ B/msg", "Expair B/msg", "NetMQ GCs 0/1/2", "Expair GCs 0/1/2"],
                size => [
                    Rate(Thr(NetMq, size, "msgs_per_s")), Rate(Thr(Expair, size, "msgs_per_s")),
                    Ratio(Thr(Expair, size, "msgs_per_s"), Thr(NetMq, size, "msgs_per_s")),
                    Bytes(results.AllocPerMessage(new Cell(transport, "thr", NetMq, size))),
                    Bytes(results.AllocPerMessage(new Cell(transport, "thr", Expair, size))), Gc(NetMq, size), Gc(Expair, size)]);
            ComparisonTables.SizeTable(page, $"{transport}: latency (µs)", results.Sizes,
                ["NetMQ one-way", "Expair one-way", "Expair / NetMQ", "NetMQ p50 RTT", "Expair p50 RTT", "NetMQ p99 RTT", "Expair p99 RTT"],
                size => [
                    Micros(Lat(NetMq, size, "one_way_us")), Micros(Lat(Expair, size, "one_way_us")),
                    Ratio(Lat(Expair, size, "one_way_us"), Lat(NetMq, size, "one_way_us")),
                    Micros(Lat(NetMq, size, "rtt_p50_us")), Micros(Lat(Expair, size, "rtt_p50_us")),
                    Micros(Lat(NetMq, size, "rtt_p99_us")), Micros(Lat(Expair, size, "rtt_p99_us"))]);
        }
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
            $"{t["transport"]} {t["test"]} {t["sender"]}→{t["receiver"]} {SizeName(int.Parse(t["size"], CultureInfo.InvariantCulture))} {t["phase"]} rep {t["rep"]}: {StealOf(t):0.0} %"));
        if (over.Count > 8)
            listed += ", …";
        page.AppendLine(CultureInfo.InvariantCulture,
            $"| Hypervisor steal | runs during which the hypervisor took over {limit:0.0} % of the CPU time (`/proc/stat`) are repeated, up to " +
            $"{machine.GetValueOrDefault("steal_attempts", "?")} attempts, the calmest kept, at most {machine.GetValueOrDefault("steal_retry_budget", "?")} repeats per run of the script: " +
            $"{repeated} of {runs.Count} runs repeated; kept runs' steal median {steal[steal.Length / 2]:0.0} %, highest {steal[^1]:0.0} %; " +
            $"{over.Count} kept over {limit:0.0} %{(over.Count > 0 ? $" ({listed})" : "")} |");
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
}
