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
 * The engine's hooks are timed apart: on `create` and `run`, before its
 * clock starts, it rewrites each hook of the bundle's config.json to run
 * through itself (`timed --hook PATH ARGV...`, which runs PATH with ARGV
 * and logs `hook START NANOSECONDS`). A hook is the engine's binary
 * (Docker's libnetwork-setkey), not the runtime's: the bench takes its
 * time out of the runtime's own. The rewrite reads the layout Go's and
 * Rust's encoders write ({"path":"...","args":[...]}, no escapes in the
 * path); a hook in another shape is left as it was, and counts as the
 * runtime's.
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
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
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

/* Appends "WORD START NANOSECONDS" to LOG. */
static void log_call(const char *word, long long start, long long took)
{
    int log = open(LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log >= 0) {
        dprintf(log, "%s %lld %lld\n", word, start, took);
        close(log);
    }
}

/* Runs PATH with argv, waits, logs it as WORD; its status as a shell's. */
static int run_logged(const char *word, const char *path, char **argv)
{
    long long start = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        perror("timed: fork");
        return 125;
    }
    if (pid == 0) {
        execv(path, argv);
        fprintf(stderr, "timed: execv %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            perror("timed: waitpid");
            return 125;
        }
    log_call(word, start, now_ns() - start);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* The bundle of a create or run: --bundle DIR, -b DIR, --bundle=DIR, or ".". */
static const char *bundle(char **argv)
{
    for (int i = 1; argv[i]; i++) {
        if ((strcmp(argv[i], "--bundle") == 0 || strcmp(argv[i], "-b") == 0) && argv[i + 1])
            return argv[i + 1];
        if (strncmp(argv[i], "--bundle=", 9) == 0)
            return argv[i] + 9;
    }
    return ".";
}

/* Appends n bytes to the growing text *out (length *len); 0, or -1 when out of memory. */
static int put(char **out, size_t *len, const char *s, size_t n)
{
    char *grown = realloc(*out, *len + n + 1);
    if (!grown)
        return -1;
    memcpy(grown + *len, s, n);
    *len += n;
    grown[*len] = 0;
    *out = grown;
    return 0;
}

/* Where the JSON object starting at `open` ('{') ends: just past its '}'. */
static const char *object_end(const char *open)
{
    int depth = 0, in_string = 0;
    for (const char *c = open; *c; c++) {
        if (in_string) {
            if (*c == '\\' && c[1])
                c++;
            else if (*c == '"')
                in_string = 0;
        } else if (*c == '"')
            in_string = 1;
        else if (*c == '{' || *c == '[')
            depth++;
        else if ((*c == '}' || *c == ']') && --depth == 0)
            return c + 1;
    }
    return NULL;
}

/* Rewrites every hook of BUNDLE/config.json to run through this wrapper
 * (self, a path): {"path":"P","args":["A",...]} becomes
 * {"path":"SELF","args":["SELF","--hook","P","A",...]}. Leaves the file as
 * it was when it has no hooks or a hook of another shape. */
static void time_hooks(const char *dir, const char *self)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char *in = NULL;
    size_t size = 0;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (put(&in, &size, chunk, got) != 0) {
            fclose(f);
            free(in);
            return;
        }
    fclose(f);
    const char *hooks = in ? strstr(in, "\"hooks\":{") : NULL;
    const char *hooks_end = hooks ? object_end(hooks + 8) : NULL;
    if (!hooks_end) {
        free(in);
        return;
    }
    char *out = NULL;
    size_t len = 0;
    const char *at = in, *key = "{\"path\":\"";
    int ok = put(&out, &len, "", 0) == 0, changed = 0;
    for (const char *p = strstr(hooks, key); ok && p && p < hooks_end; p = strstr(at, key)) {
        const char *name = p + strlen(key), *end = strchr(name, '"');
        const char *args = end ? end + 1 : NULL;
        if (!end || memchr(name, '\\', (size_t)(end - name)) || strncmp(args, ",\"args\":[", 9) != 0) {
            ok = 0; /* another shape: leave the file alone */
            break;
        }
        /* Wrapped already (a second create on the bundle): as it is. */
        if ((size_t)(end - name) == strlen(self) && strncmp(name, self, strlen(self)) == 0) {
            ok = put(&out, &len, at, (size_t)(args + 9 - at)) == 0;
            at = args + 9;
            continue;
        }
        /* "args":[] runs PATH with argv [PATH], as Go's exec.Cmd does. */
        int empty = args[9] == ']';
        char head[8192];
        int n = snprintf(head, sizeof head, "{\"path\":\"%s\",\"args\":[\"%s\",\"--hook\",\"%.*s\"%s%.*s%s", self, self,
                         (int)(end - name), name, empty ? ",\"" : ",", empty ? (int)(end - name) : 0, name, empty ? "\"" : "");
        if (n < 0 || (size_t)n >= sizeof head)
            ok = 0;
        else
            ok = put(&out, &len, at, (size_t)(p - at)) == 0 && put(&out, &len, head, (size_t)n) == 0;
        at = args + 9;
        changed = 1;
    }
    if (ok && changed && put(&out, &len, at, strlen(at)) == 0) {
        snprintf(tmp, sizeof tmp, "%s/.config.json.timed", dir);
        FILE *w = fopen(tmp, "w");
        struct stat st;
        /* The original's mode (0600 as the engines write it), not the umask's. */
        if (w && stat(path, &st) == 0)
            fchmod(fileno(w), st.st_mode & 07777);
        if (w && fwrite(out, 1, len, w) == len && fclose(w) == 0)
            rename(tmp, path);
        else {
            if (w)
                fclose(w);
            unlink(tmp);
            fprintf(stderr, "timed: could not rewrite %s's hooks\n", path);
        }
    }
    free(in);
    free(out);
}

int main(int argc, char **argv)
{
    /* A hook, as time_hooks made it: timed --hook PATH ARGV... */
    if (argc >= 4 && strcmp(argv[1], "--hook") == 0) {
        return run_logged("hook", argv[2], &argv[3]);
    }
    const char *word = command(argv);
    if (strcmp(word, "create") == 0 || strcmp(word, "run") == 0) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
            self[n] = 0;
            time_hooks(bundle(argv), self);
        }
    }
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
    return run_logged(word, RUNTIME, argv);
}
