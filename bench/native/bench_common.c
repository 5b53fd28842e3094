/* Command line, clock and summary lines of the native driver: the contract of `expair bench`. */
#define _GNU_SOURCE
#include "bench_common.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* As BenchSpec.ModeNames: the reasons match expair's word for word (the floor's modes are in --help). */
#define MODE_NAMES "thr-local, thr-remote, lat-local, lat-remote, inproc-thr, inproc-lat"

static const char usage[] =
    "Usage: zmq-bench MODE ENDPOINT SIZE COUNT [--timeout MS] [--warmup N] [CURVE options]\n"
    "       zmq-bench (inproc-thr|inproc-lat) SIZE COUNT [--timeout MS] [--warmup N]\n"
    "       zmq-bench raw-thr (tcp|ipc) SIZE COUNT [--timeout MS]\n"
    "       zmq-bench raw-lat (tcp|ipc|inproc) SIZE COUNT [--busy] [--timeout MS] [--warmup N]\n"
    "       zmq-bench version\n"
    "\n"
    "libzmq's PAIR socket driven from C with the command contract and summary line of `expair bench`\n"
    "(thr-local, thr-remote, lat-local, lat-remote, inproc-thr, inproc-lat; see `expair bench --help`), and the\n"
    "physical floor without ZeroMQ:\n"
    "  raw-thr    a byte pump over a plain socket between two processes: every payload byte written, small\n"
    "             payloads packed into 64 KiB writes, the receiver reading 64 KiB at a time\n"
    "  raw-lat    a ping-pong of SIZE-byte messages between two processes over a plain socket (inproc: two\n"
    "             threads handing over a pointer), blocking in the kernel or with --busy polling without blocking\n"
    "\n"
    "CURVE, for the ENDPOINT modes, named as `expair bench`'s options:\n"
    "  --curve-server --curve-secret KEY                 a CURVE server with this secret key\n"
    "  --curve-serverkey KEY [--curve-secret KEY [--curve-public KEY]]\n"
    "                                                    a CURVE client of that server (a fresh pair if no secret)\n"
    "KEY is 40 characters of Z85, as `expair keygen` prints them.\n"
    "\n"
    "Exit codes: 0 done, 1 failed or timed out, 2 bad arguments.\n";

void bench_die(int code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("zmq-bench: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(code);
}

/* A whole number in digits only (no sign, no blanks), at least min: BenchSpec.Number's rules. */
static int number(const char *name, const char *text, int min)
{
    long value = 0;
    if (*text == '\0')
        bench_die(EXIT_USAGE, "%s needs a whole number, not '%s'", name, text);
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9')
            bench_die(EXIT_USAGE, "%s needs a whole number, not '%s'", name, text);
        value = value * 10 + (*c - '0');
        if (value > INT_MAX)
            bench_die(EXIT_USAGE, "%s needs a whole number, not '%s'", name, text);
    }
    if (value < min)
        bench_die(EXIT_USAGE, "%s must be at least %d, not %ld", name, min, value);
    return (int)value;
}

/* A CURVE key as text: 40 characters (Z85's alphabet is checked by libzmq when the option is set). */
static const char *key(const char *option, const char *text)
{
    if (strlen(text) != 40)
        bench_die(EXIT_USAGE, "option %s needs a CURVE key of 40 Z85 characters, not %zu", option, strlen(text));
    return text;
}

/* One role per socket, as SecurityFlags.Build: the reasons are expair's. */
static void check_curve(const struct bench_spec *spec, const char *mode, int inproc, int raw)
{
    int any = spec->curve_server || spec->curve_secret || spec->curve_public || spec->curve_serverkey;
    if (any && inproc)
        bench_die(EXIT_USAGE, "the security options are for the ENDPOINT modes; inproc-thr and inproc-lat run both "
                              "sides in one process");
    if (any && raw)
        bench_die(EXIT_USAGE, "the security options are for the ENDPOINT modes; %s has no ZeroMQ", mode);
    if (spec->curve_server && spec->curve_serverkey)
        bench_die(EXIT_USAGE, "option --curve-serverkey conflicts with --curve-server: a socket has one mechanism and one role");
    if (spec->curve_server && !spec->curve_secret)
        bench_die(EXIT_USAGE, "option --curve-server needs --curve-secret KEY");
    if (spec->curve_public && !spec->curve_secret)
        bench_die(EXIT_USAGE, "option --curve-public needs --curve-secret");
    if (spec->curve_secret && !spec->curve_server && !spec->curve_serverkey)
        bench_die(EXIT_USAGE, "option --curve-secret needs --curve-server or --curve-serverkey");
}

static const struct {
    const char *name;
    enum bench_mode mode;
} modes[] = {
    {"thr-local", THR_LOCAL}, {"thr-remote", THR_REMOTE}, {"lat-local", LAT_LOCAL}, {"lat-remote", LAT_REMOTE},
    {"inproc-thr", INPROC_THR}, {"inproc-lat", INPROC_LAT}, {"raw-thr", RAW_THR}, {"raw-lat", RAW_LAT},
};

void bench_parse(int argc, char **argv, struct bench_spec *spec)
{
    const char *operands[8];
    int count = 0;
    memset(spec, 0, sizeof *spec);
    spec->timeout_ms = 60000;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            exit(EXIT_DONE);
        } else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
            spec->warmup = number("--warmup", argv[++i], 0);
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            spec->timeout_ms = number("--timeout", argv[++i], 1);
        else if (strncmp(argv[i], "--timeout=", 10) == 0)
            spec->timeout_ms = number("--timeout", argv[i] + 10, 1);
        else if (strcmp(argv[i], "--busy") == 0)
            spec->busy = 1;
        else if (strcmp(argv[i], "--curve-server") == 0)
            spec->curve_server = 1;
        else if (strcmp(argv[i], "--curve-secret") == 0 && i + 1 < argc)
            spec->curve_secret = key("--curve-secret", argv[++i]);
        else if (strcmp(argv[i], "--curve-public") == 0 && i + 1 < argc)
            spec->curve_public = key("--curve-public", argv[++i]);
        else if (strcmp(argv[i], "--curve-serverkey") == 0 && i + 1 < argc)
            spec->curve_serverkey = key("--curve-serverkey", argv[++i]);
        else if (strncmp(argv[i], "--", 2) == 0)
            bench_die(EXIT_USAGE, "unknown option '%s'", argv[i]);
        else if (count < 8)
            operands[count++] = argv[i];
        else
            bench_die(EXIT_USAGE, "too many arguments");
    }
    if (count == 0)
        bench_die(EXIT_USAGE, "missing mode (%s)", MODE_NAMES);
    size_t m = 0;
    while (m < sizeof modes / sizeof modes[0] && strcmp(modes[m].name, operands[0]) != 0)
        m++;
    if (m == sizeof modes / sizeof modes[0])
        bench_die(EXIT_USAGE, "unknown mode '%s' (%s)", operands[0], MODE_NAMES);
    spec->mode = modes[m].mode;
    int inproc = spec->mode == INPROC_THR || spec->mode == INPROC_LAT;
    int raw = spec->mode == RAW_THR || spec->mode == RAW_LAT;
    if (count != (inproc ? 3 : 4))
        bench_die(EXIT_USAGE, "%s takes %s", operands[0],
                  inproc ? "SIZE COUNT" : raw ? "TRANSPORT SIZE COUNT" : "ENDPOINT SIZE COUNT");
    if (spec->busy && spec->mode != RAW_LAT)
        bench_die(EXIT_USAGE, "--busy is an option of raw-lat only");
    check_curve(spec, operands[0], inproc, raw);
    if (raw) {
        spec->transport = operands[1];
        int known = strcmp(spec->transport, "tcp") == 0 || strcmp(spec->transport, "ipc") == 0 ||
                    (spec->mode == RAW_LAT && strcmp(spec->transport, "inproc") == 0);
        if (!known)
            bench_die(EXIT_USAGE, "%s has no transport '%s'", operands[0], spec->transport);
    } else if (!inproc)
        spec->endpoint = operands[1];
    spec->size = number("SIZE", operands[count - 2], raw ? 1 : 0);
    /* Latency needs a warm-up plus at least one timed round trip. */
    int round_trips = spec->mode == LAT_REMOTE || spec->mode == INPROC_LAT || spec->mode == RAW_LAT;
    spec->count = number("COUNT", operands[count - 1], round_trips ? 2 : 1);
}

int64_t bench_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

void bench_fill(void *payload, int size, int index)
{
    memset(payload, (unsigned char)index, (size_t)size);
}

static void start(const char *kind, const struct bench_spec *spec, const char *endpoint, int64_t elapsed_ns)
{
    printf("%s", kind);
    if (endpoint)
        printf(" endpoint=%s", endpoint);
    printf(" size=%d count=%d secs=%.6f", spec->size, spec->count, elapsed_ns / 1e9);
}

static void end(const char *impl)
{
    printf(" gc0=0 gc1=0 gc2=0 alloc_bytes=0 impl=%s\n", impl);
    fflush(stdout);
}

void bench_print_throughput(const char *kind, const struct bench_spec *spec, const char *endpoint, int64_t elapsed_ns,
                            const char *impl)
{
    double per_second = elapsed_ns > 0 ? spec->count / (elapsed_ns / 1e9) : 0;
    start(kind, spec, endpoint, elapsed_ns);
    printf(" msgs_per_s=%.0f mb_per_s=%.1f", per_second, per_second * spec->size / 1e6);
    end(impl);
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples, as SummaryLine.Percentile. */
static int64_t percentile(const int64_t *sorted, int n, double fraction)
{
    if (n == 0)
        return 0;
    long rank = (long)ceil(fraction * n) - 1;
    return sorted[rank < 0 ? 0 : rank >= n ? n - 1 : rank];
}

void bench_print_latency(const char *kind, const struct bench_spec *spec, const char *endpoint, int64_t elapsed_ns,
                         int64_t *round_trips_ns, int timed, const char *impl)
{
    qsort(round_trips_ns, (size_t)timed, sizeof *round_trips_ns, by_value);
    double sum = 0;
    for (int i = 0; i < timed; i++)
        sum += round_trips_ns[i] / 1e3;
    double mean = timed == 0 ? 0 : sum / timed;
    start(kind, spec, endpoint, elapsed_ns);
    printf(" one_way_us=%.2f rtt_us=%.2f rtt_p50_us=%.2f rtt_p99_us=%.2f", mean / 2, mean,
           percentile(round_trips_ns, timed, 0.50) / 1e3, percentile(round_trips_ns, timed, 0.99) / 1e3);
    end(impl);
}

void bench_print_plain(const char *kind, const struct bench_spec *spec, const char *endpoint, int64_t elapsed_ns,
                       const char *impl)
{
    start(kind, spec, endpoint, elapsed_ns);
    end(impl);
}
