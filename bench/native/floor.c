/* The physical floor, without ZeroMQ: what a plain socket (or, for inproc, a hand-over between two threads) does
 * with the same sizes and counts. raw-thr pumps bytes one way; raw-lat plays ping-pong, blocking in the kernel or
 * busy-polling. Two processes for tcp and ipc, as the measured pairs are; sockets tuned as Expair tunes its own
 * (TCP_NODELAY and Reno on loopback, a 1 MiB send buffer on unix sockets). */
#define _GNU_SOURCE
#include "bench_common.h"

#include <errno.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define BATCH_BYTES (64 * 1024)
#define READ_BYTES (64 * 1024) /* as Expair's receive buffer: a read buffer that stays in the cache */
#define IPC_SEND_BUFFER (1024 * 1024)

static void fail_errno(const char *what)
{
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        bench_die(EXIT_FAILED, "%s: nothing from the peer in time", what);
    bench_die(EXIT_FAILED, "%s: %s", what, strerror(errno));
}

static void tune(int fd, const struct bench_spec *spec)
{
    int one = 1;
    if (strcmp(spec->transport, "tcp") == 0) {
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
            fail_errno("TCP_NODELAY");
        /* As Expair on loopback: the floor is what the machine moves, not what a pacing congestion control lets
         * through. Not fatal where Reno is not available. */
        setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4);
    } else {
        int bytes = IPC_SEND_BUFFER;
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes) != 0)
            fail_errno("SO_SNDBUF");
    }
    struct timeval timeout = {spec->timeout_ms / 1000, (spec->timeout_ms % 1000) * 1000};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) != 0)
        fail_errno("SO_RCVTIMEO");
}

/* A connected pair of stream sockets over loopback tcp or a unix socket path (removed once connected). */
static void connect_pair(const struct bench_spec *spec, int fds[2])
{
    struct sockaddr_storage address;
    socklen_t length;
    memset(&address, 0, sizeof address);
    int tcp = strcmp(spec->transport, "tcp") == 0;
    if (tcp) {
        struct sockaddr_in *in = (struct sockaddr_in *)&address;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        length = sizeof *in;
    } else {
        struct sockaddr_un *un = (struct sockaddr_un *)&address;
        un->sun_family = AF_UNIX;
        const char *tmp = getenv("TMPDIR");
        snprintf(un->sun_path, sizeof un->sun_path, "%s/zmq-bench-floor-%d.sock", tmp ? tmp : "/tmp", getpid());
        unlink(un->sun_path);
        length = sizeof *un;
    }
    int listener = socket(address.ss_family, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, length) != 0 || listen(listener, 1) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0)
        fail_errno("listen");
    fds[0] = socket(address.ss_family, SOCK_STREAM, 0);
    if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&address, length) != 0)
        fail_errno("connect");
    fds[1] = accept(listener, NULL, NULL);
    if (fds[1] < 0)
        fail_errno("accept");
    close(listener);
    if (!tcp)
        unlink(((struct sockaddr_un *)&address)->sun_path);
    tune(fds[0], spec);
    tune(fds[1], spec);
}

/* Spins on a non-blocking call until it moves bytes; gives up at the run's timeout. */
static void spin_wait(int64_t *deadline, int *spins, const struct bench_spec *spec, const char *what)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause(); /* tells the core it is a spin loop (frees the sibling hyper-thread) */
#endif
    if (*deadline == 0)
        *deadline = bench_now() + (int64_t)spec->timeout_ms * 1000000;
    else if ((++*spins & 1023) == 0 && bench_now() > *deadline)
        bench_die(EXIT_FAILED, "%s: nothing from the peer within %d ms", what, spec->timeout_ms);
}

/* Moves exactly length bytes in or out; busy: MSG_DONTWAIT and spin instead of sleeping in the kernel. */
static void transfer(int fd, char *bytes, size_t length, int out, const struct bench_spec *spec)
{
    int flags = spec->busy ? MSG_DONTWAIT : 0;
    int64_t deadline = 0;
    int spins = 0;
    while (length > 0) {
        ssize_t moved = out ? send(fd, bytes, length, flags | MSG_NOSIGNAL) : recv(fd, bytes, length, flags);
        if (moved > 0) {
            bytes += moved;
            length -= (size_t)moved;
        } else if (moved == 0)
            bench_die(EXIT_FAILED, "the peer closed the connection");
        else if (spec->busy && (errno == EAGAIN || errno == EWOULDBLOCK))
            spin_wait(&deadline, &spins, spec, out ? "send" : "recv");
        else if (errno != EINTR)
            fail_errno(out ? "send" : "recv");
    }
}

static char *allocate(size_t bytes)
{
    char *buffer = malloc(bytes);
    if (!buffer)
        bench_die(EXIT_FAILED, "out of memory for %zu bytes", bytes);
    return buffer;
}

static pid_t start_child(void)
{
    fflush(stdout);
    pid_t child = fork();
    if (child < 0)
        fail_errno("fork");
    return child;
}

static int reap(pid_t child)
{
    int status;
    if (waitpid(child, &status, 0) != child)
        fail_errno("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bench_die(EXIT_FAILED, "the peer process failed");
    return EXIT_DONE;
}

/* raw-thr: the child writes every byte of COUNT payloads, small ones packed into 64 KiB writes; the parent reads
 * 64 KiB at a time and acknowledges with one byte. The clock starts when the parent tells the child to begin, so
 * bytes queued before the first read cannot inflate the rate. */
int run_raw_thr(const struct bench_spec *spec)
{
    int fds[2];
    connect_pair(spec, fds);
    pid_t child = start_child();
    if (child == 0) {
        close(fds[1]);
        int per_batch = spec->size >= BATCH_BYTES ? 1 : BATCH_BYTES / spec->size;
        char *buffer = allocate((size_t)per_batch * (size_t)spec->size);
        char go;
        transfer(fds[0], &go, 1, 0, spec);
        for (int sent = 0; sent < spec->count;) {
            int messages = spec->count - sent < per_batch ? spec->count - sent : per_batch;
            for (int i = 0; i < messages; i++)
                bench_fill(buffer + (size_t)i * (size_t)spec->size, spec->size, sent + i);
            transfer(fds[0], buffer, (size_t)messages * (size_t)spec->size, 1, spec);
            sent += messages;
        }
        char ack;
        transfer(fds[0], &ack, 1, 0, spec);
        _exit(EXIT_DONE);
    }
    close(fds[0]);
    char *buffer = allocate(READ_BYTES);
    long long total = (long long)spec->size * spec->count, received;
    char go = 'g';
    int64_t started = bench_now();
    transfer(fds[1], &go, 1, 1, spec);
    for (received = 0; received < total;) {
        ssize_t got = recv(fds[1], buffer, READ_BYTES, 0);
        if (got == 0)
            bench_die(EXIT_FAILED, "the peer closed the connection after %lld of %lld bytes", received, total);
        if (got < 0)
            fail_errno("recv");
        received += got;
    }
    int64_t elapsed = bench_now() - started;
    transfer(fds[1], buffer, 1, 1, spec);
    reap(child);
    bench_print_throughput("raw_thr", spec, NULL, elapsed, "raw");
    return EXIT_DONE;
}

/* The inproc floor: two threads hand over a pointer to the payload and back, each side waiting for the other's
 * counter to move, by spinning (--busy) or in a futex. */
struct handover {
    _Atomic uint32_t request;
    _Atomic uint32_t reply;
    char *_Atomic payload;
    const struct bench_spec *spec;
};

static void wait_for(_Atomic uint32_t *word, uint32_t value, const struct bench_spec *spec)
{
    int64_t deadline = 0;
    int spins = 0;
    uint32_t seen;
    while ((seen = atomic_load_explicit(word, memory_order_acquire)) != value) {
        if (spec->busy) {
            spin_wait(&deadline, &spins, spec, "inproc");
            continue;
        }
        struct timespec timeout = {spec->timeout_ms / 1000, (long)(spec->timeout_ms % 1000) * 1000000};
        if (syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, seen, &timeout, NULL, 0) != 0 && errno == ETIMEDOUT)
            bench_die(EXIT_FAILED, "inproc: nothing from the peer within %d ms", spec->timeout_ms);
    }
}

static void publish(_Atomic uint32_t *word, uint32_t value, const struct bench_spec *spec)
{
    atomic_store_explicit(word, value, memory_order_release);
    if (!spec->busy)
        syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *inproc_echo(void *argument)
{
    struct handover *h = argument;
    for (uint32_t i = 1; i <= (uint32_t)(h->spec->warmup + h->spec->count); i++) {
        wait_for(&h->request, i, h->spec);
        publish(&h->reply, i, h->spec);
    }
    return NULL;
}

/* raw-lat: COUNT round trips, the first an untimed warm-up, as lat-remote; the echo returns every byte (inproc:
 * the pointer). */
int run_raw_lat(const struct bench_spec *spec)
{
    int inproc = strcmp(spec->transport, "inproc") == 0;
    int fds[2] = {-1, -1};
    char *payload = allocate((size_t)spec->size);
    struct handover h = {0, 0, NULL, spec};
    pthread_t thread;
    pid_t child = -1;
    if (inproc) {
        if (pthread_create(&thread, NULL, inproc_echo, &h) != 0)
            bench_die(EXIT_FAILED, "cannot start the echo thread");
    } else {
        connect_pair(spec, fds);
        child = start_child();
        if (child == 0) {
            close(fds[0]);
            for (int i = 0; i < spec->warmup + spec->count; i++) {
                transfer(fds[1], payload, (size_t)spec->size, 0, spec);
                transfer(fds[1], payload, (size_t)spec->size, 1, spec);
            }
            _exit(EXIT_DONE);
        }
        close(fds[1]);
    }
    int64_t *timed = (int64_t *)allocate(sizeof(int64_t) * (size_t)(spec->count - 1));
    int64_t started = 0;
    for (int i = 0; i < spec->warmup + spec->count; i++) {
        int index = i - spec->warmup;
        bench_fill(payload, spec->size, index);
        if (index == 1)
            started = bench_now();
        int64_t sent = bench_now();
        if (inproc) {
            atomic_store_explicit(&h.payload, payload, memory_order_relaxed);
            publish(&h.request, (uint32_t)i + 1, spec);
            wait_for(&h.reply, (uint32_t)i + 1, spec);
        } else {
            transfer(fds[0], payload, (size_t)spec->size, 1, spec);
            transfer(fds[0], payload, (size_t)spec->size, 0, spec);
        }
        if (index >= 1)
            timed[index - 1] = bench_now() - sent;
    }
    int64_t elapsed = bench_now() - started;
    if (inproc)
        pthread_join(thread, NULL);
    else
        reap(child);
    bench_print_latency("raw_lat", spec, NULL, elapsed, timed, spec->count - 1, spec->busy ? "raw-busy" : "raw-block");
    return EXIT_DONE;
}
