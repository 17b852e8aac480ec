/*
 * cycle: one lifecycle of a container as an engine drives its runtime
 * (conmon, containerd's shim): `create --bundle B --pid-file P ID`, then
 * `start ID`, then waiting for the container's process (its reaper, as a
 * child subreaper), then `delete ID`. hyperfine times one cycle a run, the
 * same driver for nsinit, crun and runc.
 *
 * usage: cycle PIDFILE BUNDLE ID RUNTIME [GLOBAL-OPTION]...
 * Exits 0 when every step did and the payload exited 0.
 *
 * Build: gcc -O2 -Wall -o cycle cycle.c
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 32

static int run(char **argv)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* argv: the runtime and its global options, then `words`, NULL-ended. */
static int runtime(char **rt, int nrt, const char **words)
{
    char *argv[MAX_ARGS];
    int n = 0;
    for (int i = 0; i < nrt && n < MAX_ARGS - 1; i++)
        argv[n++] = rt[i];
    for (int i = 0; words[i] && n < MAX_ARGS - 1; i++)
        argv[n++] = (char *)words[i];
    argv[n] = NULL;
    return run(argv);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: cycle PIDFILE BUNDLE ID RUNTIME [GLOBAL-OPTION]...\n");
        return 2;
    }
    const char *pid_file = argv[1], *bundle = argv[2], *id = argv[3];
    char **rt = argv + 4;
    int nrt = argc - 4;
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        perror("cycle: prctl PR_SET_CHILD_SUBREAPER");
        return 1;
    }
    const char *create[] = {"create", "--bundle", bundle, "--pid-file", pid_file, id, NULL};
    if (runtime(rt, nrt, create) != 0) {
        fprintf(stderr, "cycle: create failed\n");
        return 1;
    }
    char text[32] = {0};
    int fd = open(pid_file, O_RDONLY);
    if (fd < 0 || read(fd, text, sizeof text - 1) <= 0) {
        fprintf(stderr, "cycle: no pid file\n");
        return 1;
    }
    close(fd);
    pid_t container = atoi(text);
    const char *start[] = {"start", id, NULL};
    if (runtime(rt, nrt, start) != 0) {
        fprintf(stderr, "cycle: start failed\n");
        return 1;
    }
    int status, payload = 1;
    /* The container's process is ours since create returned. */
    if (waitpid(container, &status, 0) == container)
        payload = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const char *delete[] = {"delete", id, NULL};
    if (runtime(rt, nrt, delete) != 0) {
        fprintf(stderr, "cycle: delete failed\n");
        return 1;
    }
    return payload;
}
