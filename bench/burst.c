/*
 * burst: starts K containers at once, waits for all of them, and repeats;
 * prints the starts per second it reached. It is the harness of the
 * concurrency measurement, not something measured, so it uses libc.
 *
 *   burst K ROUNDS WARMUP COMMAND [ARG]...
 *
 * Every "{}" in an ARG is replaced by the start's serial number, 0, 1, ...
 * in the order of the starts, warm-up included: runc and crun refuse two
 * live containers with one id, so their ids and bundles are made unique
 * this way. Each start must exit 0: the first failure stops the run with
 * status 1, so a number is never printed for starts that did not happen.
 *
 * Output, one line: K ROUNDS SECONDS STARTS_PER_SECOND
 *
 * Build: gcc -O2 -o burst burst.c
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { MAX_K = 64, MAX_ARGS = 64, ARG_LEN = 512 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* argv for one start: a copy of the template with "{}" made the serial. */
static char **instance(char **tmpl, int argc, long serial, char ids[][MAX_ARGS][ARG_LEN])
{
    static char *argv[MAX_K][MAX_ARGS + 1];
    int slot = (int)(serial % MAX_K);
    for (int i = 0; i < argc; i++) {
        char *hole = strstr(tmpl[i], "{}");
        if (hole == NULL) {
            argv[slot][i] = tmpl[i];
            continue;
        }
        int n = snprintf(ids[slot][i], sizeof ids[slot][i], "%.*s%ld%s", (int)(hole - tmpl[i]), tmpl[i],
                         serial, hole + 2);
        if (n < 0 || n >= (int)sizeof ids[slot][i]) {
            fprintf(stderr, "burst: argument too long: %s\n", tmpl[i]);
            exit(2);
        }
        argv[slot][i] = ids[slot][i];
    }
    argv[slot][argc] = NULL;
    return argv[slot];
}

/* Starts k commands at once and waits for all; returns 0 when all exited 0. */
static int round_of(int k, char **tmpl, int argc, long *serial)
{
    static char ids[MAX_K][MAX_ARGS][ARG_LEN];
    pid_t pids[MAX_K];
    for (int i = 0; i < k; i++) {
        char **argv = instance(tmpl, argc, (*serial)++, ids);
        if (posix_spawn(&pids[i], argv[0], NULL, NULL, argv, environ) != 0) {
            perror(argv[0]);
            return -1;
        }
    }
    int failed = 0;
    for (int i = 0; i < k; i++) {
        int status = 0;
        if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "burst: a start failed (wait status %#x)\n", status);
            failed = 1;
        }
    }
    return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: burst K ROUNDS WARMUP COMMAND [ARG]...\n");
        return 2;
    }
    int k = atoi(argv[1]), rounds = atoi(argv[2]), warmup = atoi(argv[3]);
    int cargc = argc - 4;
    if (k < 1 || k > MAX_K || rounds < 1 || warmup < 0 || cargc > MAX_ARGS) {
        fprintf(stderr, "burst: K must be 1..%d, ROUNDS >= 1, at most %d args\n", MAX_K, MAX_ARGS);
        return 2;
    }
    long serial = 0;
    for (int r = 0; r < warmup; r++)
        if (round_of(k, argv + 4, cargc, &serial) != 0)
            return 1;
    double t0 = now();
    for (int r = 0; r < rounds; r++)
        if (round_of(k, argv + 4, cargc, &serial) != 0)
            return 1;
    double dt = now() - t0;
    printf("%d %d %.6f %.1f\n", k, rounds, dt, (double)k * rounds / dt);
    return 0;
}
