/* libzmq's side of the benchmark, in C as libzmq's own perf tools (local_thr, remote_thr, local_lat, remote_lat)
 * drive it, with the loops of `expair bench` (src/Expair.Cli/Bench/BenchLoops.cs): the same warm-up, the same
 * clock start and stop points, the same summary line. PAIR sockets of one context, default high-water marks,
 * every wait bounded by ZMQ_RCVTIMEO/ZMQ_SNDTIMEO. */
#define _GNU_SOURCE
#include "bench_common.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define INPROC_ENDPOINT "inproc://zmq-bench"

/* A failed call: a timeout (EAGAIN after ZMQ_RCVTIMEO/ZMQ_SNDTIMEO) says what was still missing. */
static void check(int result, const char *call, const struct bench_spec *spec, const char *progress, int done)
{
    if (result >= 0)
        return;
    if (zmq_errno() == EAGAIN)
        bench_die(EXIT_FAILED, "nothing from the peer within %d ms (%d of %d %s)", spec->timeout_ms, done,
                  spec->count, progress);
    bench_die(EXIT_FAILED, "%s: %s", call, zmq_strerror(zmq_errno()));
}

static void *new_socket(void *context, const struct bench_spec *spec)
{
    void *socket = zmq_socket(context, ZMQ_PAIR);
    if (!socket)
        bench_die(EXIT_FAILED, "zmq_socket: %s", zmq_strerror(zmq_errno()));
    const int options[] = {ZMQ_RCVTIMEO, ZMQ_SNDTIMEO, ZMQ_LINGER};
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        if (zmq_setsockopt(socket, options[i], &spec->timeout_ms, sizeof spec->timeout_ms) != 0)
            bench_die(EXIT_FAILED, "zmq_setsockopt(%d): %s", options[i], zmq_strerror(zmq_errno()));
    }
    return socket;
}

static void set_key(void *socket, int option, const char *name, const char *z85)
{
    /* libzmq takes a 40-character option value as Z85 and refuses one outside its alphabet. */
    if (zmq_setsockopt(socket, option, z85, 40) != 0)
        bench_die(EXIT_USAGE, "option %s is not a valid CURVE key: %s", name, zmq_strerror(zmq_errno()));
}

/* CURVE as `expair bench` sets it up (SecurityFlags.cs): a server with its secret key, or a client of a server's
 * public key with its own pair (a fresh one when no secret is given). */
static void set_curve(void *socket, const struct bench_spec *spec)
{
    if (!spec->curve_server && !spec->curve_serverkey)
        return;
    if (!zmq_has("curve"))
        bench_die(EXIT_FAILED, "this libzmq was built without CURVE");
    char public_key[41], secret_key[41];
    if (spec->curve_secret) {
        set_key(socket, ZMQ_CURVE_SECRETKEY, "--curve-secret", spec->curve_secret);
        if (zmq_curve_public(public_key, spec->curve_secret) != 0)
            bench_die(EXIT_USAGE, "option --curve-secret is not a valid CURVE key");
        if (spec->curve_public && strcmp(spec->curve_public, public_key) != 0)
            bench_die(EXIT_USAGE, "option --curve-public does not match --curve-secret (whose public key is %s)", public_key);
    } else {
        if (zmq_curve_keypair(public_key, secret_key) != 0)
            bench_die(EXIT_FAILED, "zmq_curve_keypair: %s", zmq_strerror(zmq_errno()));
        set_key(socket, ZMQ_CURVE_SECRETKEY, "--curve-secret", secret_key);
    }
    set_key(socket, ZMQ_CURVE_PUBLICKEY, "--curve-public", public_key);
    if (spec->curve_server) {
        const int server = 1;
        if (zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &server, sizeof server) != 0)
            bench_die(EXIT_FAILED, "zmq_setsockopt(ZMQ_CURVE_SERVER): %s", zmq_strerror(zmq_errno()));
    } else
        set_key(socket, ZMQ_CURVE_SERVERKEY, "--curve-serverkey", spec->curve_serverkey);
}

/* Receives one message into msg and checks it is one frame of SIZE bytes (index < 0: a warm-up message). */
static void expect(void *socket, zmq_msg_t *msg, const struct bench_spec *spec, int index, const char *progress)
{
    check(zmq_msg_recv(msg, socket, 0), "zmq_msg_recv", spec, progress, index < 0 ? 0 : index);
    if (zmq_msg_more(msg))
        bench_die(EXIT_FAILED, "received a multipart message; the benchmark sends one frame");
    if ((int)zmq_msg_size(msg) != spec->size) {
        if (index < 0)
            bench_die(EXIT_FAILED, "a warm-up message had %zu bytes, expected %d", zmq_msg_size(msg), spec->size);
        bench_die(EXIT_FAILED, "message %d had %zu bytes, expected %d", index + 1, zmq_msg_size(msg), spec->size);
    }
}

/* The sender's message: a fresh zmq_msg_init_size buffer with every byte written, as an application would. */
static void send_payload(void *socket, zmq_msg_t *msg, const struct bench_spec *spec, int index, const char *progress)
{
    check(zmq_msg_init_size(msg, (size_t)spec->size), "zmq_msg_init_size", spec, progress, index);
    bench_fill(zmq_msg_data(msg), spec->size, index);
    check(zmq_msg_send(msg, socket, 0), "zmq_msg_send", spec, progress, index);
    zmq_msg_close(msg); /* empty after the send: as remote_thr does */
}

/* thr-local: COUNT messages, clocked from the first, then one empty acknowledgement. */
static int64_t receive_throughput(void *socket, const struct bench_spec *spec)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    for (int i = 0; i < spec->warmup; i++)
        expect(socket, &msg, spec, -1, "messages received");
    expect(socket, &msg, spec, 0, "messages received");
    int64_t started = bench_now();
    for (int received = 1; received < spec->count; received++)
        expect(socket, &msg, spec, received, "messages received");
    int64_t elapsed = bench_now() - started;
    zmq_msg_close(&msg);
    check(zmq_send(socket, NULL, 0, 0), "zmq_send", spec, "messages received", spec->count);
    return elapsed;
}

/* thr-remote: COUNT messages, then the acknowledgement; clocked from the first send to the acknowledgement. */
static int64_t send_throughput(void *socket, const struct bench_spec *spec)
{
    zmq_msg_t msg;
    for (int i = 0; i < spec->warmup; i++)
        send_payload(socket, &msg, spec, i, "messages sent");
    int64_t started = bench_now();
    for (int sent = 0; sent < spec->count; sent++)
        send_payload(socket, &msg, spec, sent, "messages sent");
    zmq_msg_init(&msg);
    check(zmq_msg_recv(&msg, socket, 0), "zmq_msg_recv", spec, "messages sent, no acknowledgement", spec->count);
    if (zmq_msg_size(&msg) != 0)
        bench_die(EXIT_FAILED, "expected an empty acknowledgement, got %zu bytes", zmq_msg_size(&msg));
    int64_t elapsed = bench_now() - started;
    zmq_msg_close(&msg);
    return elapsed;
}

/* lat-local: echoes COUNT messages (the received message itself goes back, as local_lat does); clocked from the
 * first. */
static int64_t echo(void *socket, const struct bench_spec *spec)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    for (int i = 0; i < spec->warmup; i++) {
        expect(socket, &msg, spec, -1, "messages echoed");
        check(zmq_msg_send(&msg, socket, 0), "zmq_msg_send", spec, "messages echoed", 0);
    }
    expect(socket, &msg, spec, 0, "messages echoed");
    check(zmq_msg_send(&msg, socket, 0), "zmq_msg_send", spec, "messages echoed", 0);
    int64_t started = bench_now();
    for (int echoed = 1; echoed < spec->count; echoed++) {
        expect(socket, &msg, spec, echoed, "messages echoed");
        check(zmq_msg_send(&msg, socket, 0), "zmq_msg_send", spec, "messages echoed", echoed);
    }
    int64_t elapsed = bench_now() - started;
    zmq_msg_close(&msg);
    return elapsed;
}

static int64_t round_trip(void *socket, const struct bench_spec *spec, int index)
{
    zmq_msg_t out, in;
    /* The payload is written before the clock starts: latency is the transport's time, not memset's. */
    check(zmq_msg_init_size(&out, (size_t)spec->size), "zmq_msg_init_size", spec, "round trips done", index);
    bench_fill(zmq_msg_data(&out), spec->size, index);
    int64_t started = bench_now();
    check(zmq_msg_send(&out, socket, 0), "zmq_msg_send", spec, "round trips done", index < 0 ? 0 : index);
    zmq_msg_close(&out);
    zmq_msg_init(&in);
    expect(socket, &in, spec, index, "round trips done");
    int64_t elapsed = bench_now() - started;
    zmq_msg_close(&in);
    return elapsed;
}

/* lat-remote: COUNT round trips, the first an untimed warm-up; prints the latency line. */
static void round_trips(void *socket, const struct bench_spec *spec, const char *kind, const char *endpoint)
{
    int64_t *timed = malloc(sizeof(int64_t) * (size_t)(spec->count - 1));
    if (!timed)
        bench_die(EXIT_FAILED, "out of memory for %d round-trip times", spec->count - 1);
    for (int i = 0; i < spec->warmup; i++)
        round_trip(socket, spec, -1);
    round_trip(socket, spec, 0);
    int64_t started = bench_now();
    for (int done = 1; done < spec->count; done++)
        timed[done - 1] = round_trip(socket, spec, done);
    int64_t elapsed = bench_now() - started;
    bench_print_latency(kind, spec, endpoint, elapsed, timed, spec->count - 1, "libzmq");
    free(timed);
}

struct peer {
    void *socket;
    const struct bench_spec *spec;
};

/* The in-process modes' second thread: the sender (inproc-thr) or the echo (inproc-lat). */
static void *run_peer(void *argument)
{
    struct peer *peer = argument;
    if (peer->spec->mode == INPROC_THR)
        send_throughput(peer->socket, peer->spec);
    else
        echo(peer->socket, peer->spec);
    return NULL;
}

static int run_inproc(void *context, const struct bench_spec *spec)
{
    void *local = new_socket(context, spec);
    void *remote = new_socket(context, spec);
    if (zmq_bind(local, INPROC_ENDPOINT) != 0 || zmq_connect(remote, INPROC_ENDPOINT) != 0)
        bench_die(EXIT_FAILED, "inproc: %s", zmq_strerror(zmq_errno()));
    int thr = spec->mode == INPROC_THR;
    struct peer peer = {thr ? remote : local, spec};
    pthread_t thread;
    if (pthread_create(&thread, NULL, run_peer, &peer) != 0)
        bench_die(EXIT_FAILED, "cannot start the peer thread");
    if (thr)
        bench_print_throughput("inproc_thr", spec, NULL, receive_throughput(local, spec), "libzmq");
    else
        round_trips(remote, spec, "inproc_lat", NULL);
    pthread_join(thread, NULL);
    zmq_close(remote);
    zmq_close(local);
    return EXIT_DONE;
}

static int run_network(void *context, const struct bench_spec *spec)
{
    void *socket = new_socket(context, spec);
    set_curve(socket, spec);
    char bound[256];
    const char *endpoint = spec->endpoint;
    if (spec->mode == THR_LOCAL || spec->mode == LAT_LOCAL) {
        size_t length = sizeof bound;
        if (zmq_bind(socket, spec->endpoint) != 0)
            bench_die(EXIT_FAILED, "cannot bind %s: %s", spec->endpoint, zmq_strerror(zmq_errno()));
        if (zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, bound, &length) != 0)
            bench_die(EXIT_FAILED, "zmq_getsockopt(ZMQ_LAST_ENDPOINT): %s", zmq_strerror(zmq_errno()));
        endpoint = bound;
        /* The resolved endpoint, for a caller that bound a wildcard port (bench/run.sh reads it). */
        if (strcmp(bound, spec->endpoint) != 0) {
            fprintf(stderr, "zmq-bench: bound to %s\n", bound);
            fflush(stderr);
        }
    } else if (zmq_connect(socket, spec->endpoint) != 0)
        bench_die(EXIT_FAILED, "cannot connect to %s: %s", spec->endpoint, zmq_strerror(zmq_errno()));
    switch (spec->mode) {
    case THR_LOCAL:
        bench_print_throughput("thr_local", spec, endpoint, receive_throughput(socket, spec), "libzmq");
        break;
    case THR_REMOTE:
        bench_print_throughput("thr_remote", spec, endpoint, send_throughput(socket, spec), "libzmq");
        break;
    case LAT_LOCAL:
        bench_print_plain("lat_local", spec, endpoint, echo(socket, spec), "libzmq");
        break;
    default:
        round_trips(socket, spec, "lat_remote", endpoint);
        break;
    }
    zmq_close(socket);
    return EXIT_DONE;
}

static int run_zmq(const struct bench_spec *spec)
{
    void *context = zmq_ctx_new();
    if (!context)
        bench_die(EXIT_FAILED, "zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
    int code = spec->mode == INPROC_THR || spec->mode == INPROC_LAT ? run_inproc(context, spec)
                                                                     : run_network(context, spec);
    zmq_ctx_term(context);
    return code;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "version") == 0) {
        int major, minor, patch;
        zmq_version(&major, &minor, &patch);
        printf("%d.%d.%d\n", major, minor, patch);
        return EXIT_DONE;
    }
    struct bench_spec spec;
    bench_parse(argc - 1, argv + 1, &spec);
    switch (spec.mode) {
    case RAW_THR:
        return run_raw_thr(&spec);
    case RAW_LAT:
        return run_raw_lat(&spec);
    default:
        return run_zmq(&spec);
    }
}
