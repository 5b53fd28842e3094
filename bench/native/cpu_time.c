/* cpu-time FILE COMMAND [ARG...]: runs COMMAND and writes the user and system CPU seconds it and its waited-for
 * descendants used (wait4's rusage: every thread, start-up to exit) to FILE as "cpu_user_s=U cpu_sys_s=S".
 * Exits as COMMAND did (128 + N when killed by signal N); SIGTERM, SIGINT and SIGHUP are passed on to it, so a
 * caller stopping this process stops the command. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t child;

static void pass_on(int signal)
{
    if (child > 0)
        kill(child, signal);
}

static double seconds(struct timeval t)
{
    return t.tv_sec + t.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("Usage: cpu-time FILE COMMAND [ARG...]\n", stderr);
        return 2;
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = pass_on;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    child = fork();
    if (child < 0) {
        perror("cpu-time: fork");
        return 1;
    }
    if (child == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "cpu-time: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage usage;
    while (wait4(child, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("cpu-time: wait4");
            return 1;
        }
    }
    FILE *file = fopen(argv[1], "w");
    if (!file ||
        fprintf(file, "cpu_user_s=%.6f cpu_sys_s=%.6f\n", seconds(usage.ru_utime), seconds(usage.ru_stime)) < 0 ||
        fclose(file) != 0) {
        fprintf(stderr, "cpu-time: cannot write %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
