/*
 * timed: the runtime as an engine calls it, with the time spent inside it
 * written down (make bench-engines). An engine (conmon, containerd's shim,
 * dockerd through the shim) runs this in place of the runtime; it runs the
 * runtime with the same arguments, standard streams and environment, waits
 * for it and exits as it did, and appends one line to LOG:
 *
 *     COMMAND START NANOSECONDS
 *
 * COMMAND is the runtime's command word (create, start, kill, delete,
 * exec, state...), START the CLOCK_MONOTONIC time of the fork in
 * nanoseconds (the clock Python's time.monotonic_ns reads, so the bench can
 * tell which engine command each call belongs to), NANOSECONDS the wall
 * time from fork to the runtime's end.
 * The runtime's own children (the container's process) are not waited
 * for: they go to the engine, its subreaper, once the runtime exits.
 *
 * Built once per runtime: cc -O2 -DRUNTIME='"/usr/bin/crun"' -DLOG='"..."'.
 * -DHIDE_UNIFIED: the runtime runs in a mount namespace of its own without
 * /sys/fs/cgroup/unified (crun 1.8 refuses a hybrid host whose cgroup2 tree
 * has controllers), set up before the clock starts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RUNTIME
#error "build with -DRUNTIME='\"/path/to/runtime\"'"
#endif
#ifndef LOG
#error "build with -DLOG='\"/path/to/log\"'"
#endif

static const char *const COMMANDS[] = {"create", "start", "run", "kill", "delete", "exec", "state", "pause",
                                       "resume", "update", "events", "ps", "list", "features", "spec", NULL};

/* The first argument that is one of the runtime's commands. */
static const char *command(char **argv)
{
    for (int i = 1; argv[i]; i++)
        for (int c = 0; COMMANDS[c]; c++)
            if (strcmp(argv[i], COMMANDS[c]) == 0)
                return argv[i];
    return "other";
}

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
    (void)argc;
    argv[0] = RUNTIME;
#ifdef HIDE_UNIFIED
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        perror("timed: a mount namespace for the runtime");
        return 125;
    }
    if (umount2("/sys/fs/cgroup/unified", MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
        perror("timed: umount /sys/fs/cgroup/unified");
        return 125;
    }
#endif
    long long start = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        perror("timed: fork");
        return 125;
    }
    if (pid == 0) {
        execv(RUNTIME, argv);
        perror("timed: execv " RUNTIME);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            perror("timed: waitpid");
            return 125;
        }
    long long took = now_ns() - start;
    int log = open(LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log >= 0) {
        dprintf(log, "%s %lld %lld\n", command(argv), start, took);
        close(log);
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
