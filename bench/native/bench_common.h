/* The native benchmark driver's shared parts: the command line of `expair bench` (BenchSpec.cs), the clock and
 * the summary lines (SummaryLine in Measurement.cs), so a line from this driver reads exactly like Expair's. */
#ifndef EXPAIR_BENCH_COMMON_H
#define EXPAIR_BENCH_COMMON_H

#include <stdint.h>

enum bench_exit { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

enum bench_mode { THR_LOCAL, THR_REMOTE, LAT_LOCAL, LAT_REMOTE, INPROC_THR, INPROC_LAT, RAW_THR, RAW_LAT };

/* One run as the command line gave it. transport is set for the raw modes only ("tcp", "ipc", "inproc"). */
struct bench_spec {
    enum bench_mode mode;
    const char *endpoint;
    const char *transport;
    int size;
    int count;
    int timeout_ms;
    int warmup;
    int busy; /* raw-lat: poll without blocking */
    /* CURVE, named as `expair bench`'s flags (src/Expair.Cli/SecurityFlags.cs); NULL when not given. */
    int curve_server;            /* --curve-server: ZMQ_CURVE_SERVER, needs curve_secret */
    const char *curve_secret;    /* --curve-secret KEY: this side's secret key, 40 characters of Z85 */
    const char *curve_public;    /* --curve-public KEY: this side's public key (default: derived from the secret) */
    const char *curve_serverkey; /* --curve-serverkey KEY: be a client of the server with this public key */
};

/* Parses argv after the program name; on a bad argument prints the reason and exits with EXIT_USAGE. */
void bench_parse(int argc, char **argv, struct bench_spec *spec);

/* Prints "zmq-bench: MESSAGE" on stderr and exits with the given code. */
void bench_die(int code, const char *format, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Monotonic clock in nanoseconds (CLOCK_MONOTONIC, what .NET's Stopwatch reads on Linux). */
int64_t bench_now(void);

/* Payload filler: every byte written, varied by the message index, as PayloadWriter.Fill. */
void bench_fill(void *payload, int size, int index);

/* The summary lines. The managed-heap fields (gc0-2, alloc_bytes) are 0: a C program has no managed heap. */
void bench_print_throughput(const char *kind, const struct bench_spec *spec, const char *endpoint, int64_t elapsed_ns,
                            const char *impl);
void bench_print_latency(const char *kind, const struct bench_spec *spec, const char *endpoint, int64_t elapsed_ns,
                         int64_t *round_trips_ns, int timed, const char *impl);
void bench_print_plain(const char *kind, const struct bench_spec *spec, const char *endpoint, int64_t elapsed_ns,
                       const char *impl);

/* The floor's modes (floor.c): plain sockets and threads, no ZeroMQ. */
int run_raw_thr(const struct bench_spec *spec);
int run_raw_lat(const struct bench_spec *spec);

#endif
