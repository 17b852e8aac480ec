/*
 * baseline: the kernel work of starting a container and nothing more, the
 * lower bound the runtimes are compared with.
 *
 *   baseline MODE ROOTFS PAYLOAD [ARG]...
 *
 * MODE is
 *   min          uts, pid, ipc and mnt namespaces, /proc only (case a)
 *   default      what nsinit's default container does without a net
 *                namespace: /proc, /dev (devices bound from the host,
 *                symlinks, devpts, shm), /dev/mqueue, read-only /sys
 *                and /sys/fs/cgroup, masked and read-only /proc and /sys paths, the hostname,
 *                runc's capabilities, no_new_privs and nsinit's own
 *                default seccomp filter (case b)
 *   default-net  the same in a new net namespace with lo brought up (case c)
 *
 * With --cgroup /PATH before MODE, the container is also placed in a cgroup
 * of that name, as `runc spec`'s bundle with that cgroupsPath asks nsinit,
 * crun and runc to: on cgroup v1 one directory in each of the pids, memory,
 * cpu, cpuset (its CPUs and memory nodes copied from the parent, without
 * which no task may join) and devices hierarchies, the last denying every
 * device but runc's default list; on cgroup v2 the one directory. The
 * parent makes them and opens each `tasks` (v2: `cgroup.procs`), the child
 * joins by writing to them before it execs, and the parent removes them
 * once the payload ended: the kernel's part of an OCI runtime's cgroup
 * work, for bench.py's baseline-oci runner.
 *
 * The mounts and their flags mirror `strace -f nsinit --rootfs R /noop`; what
 * nsinit does on top is left out on purpose: a pipe and PR_SET_PDEATHSIG so
 * the container dies with it, looking each mount point up with
 * openat2(RESOLVE_IN_ROOT) and mounting on the descriptor, retrying after
 * creating a missing mount point. Mount points here are plain paths under
 * ROOTFS. No libc: raw system calls from a naked _start, so that process
 * start-up costs no more than nsinit's own.
 *
 * Exit status: the payload's, 128+N if signal N killed it, 125 if a step
 * failed (the step and errno go to stderr).
 *
 * Build (bench.py does, after writing nsinit_filter.h into DIR):
 *   gcc -nostdlib -static -O2 -fno-stack-protector -I DIR -o baseline baseline.c
 */
#include <asm/unistd.h>
#include <linux/filter.h> /* struct sock_filter, BPF_* */
#include <linux/sched.h> /* struct clone_args, CLONE_NEW* */

#define MS_RDONLY 1UL
#define MS_NOSUID 2UL
#define MS_NODEV 4UL
#define MS_NOEXEC 8UL
#define MS_BIND 4096UL
#define MS_REC 16384UL
#define MS_SLAVE (1UL << 19)
#define MNT_DETACH 2
#define AT_FDCWD (-100)
#define S_IFREG 0100000
#define AF_INET 2
#define SOCK_DGRAM 2
#define SOCK_CLOEXEC 02000000
#define SIOCSIFFLAGS 0x8914
#define IFF_UP 1
#define SIGCHLD 17
#define ENOENT 2
#define ENOTDIR 20
#define EINVAL 22
#define AT_RECURSIVE 0x8000
#define MOUNT_ATTR_RDONLY 1
#define CGROUP2_SUPER_MAGIC 0x63677270
#define PR_CAPBSET_DROP 24
#define PR_SET_NO_NEW_PRIVS 38
#define CLOSE_RANGE_CLOEXEC 4
#define SECCOMP_SET_MODE_FILTER 1

#define PATH_LEN 4096

/* ---- system calls ---------------------------------------------------- */

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

#define SYS(n, a, b, c, d, e) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* gcc may turn loops and struct copies into calls to these. */
void *memset(void *dst, int c, unsigned long n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

void *memcpy(void *dst, const void *src, unsigned long n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

unsigned long strlen(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

static int same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static __attribute__((noreturn)) void exit_group(int code)
{
    sys6(__NR_exit_group, code, 0, 0, 0, 0, 0);
    __builtin_unreachable();
}

/* Writes "baseline: STEP WHAT: errno N" and exits 125. */
static __attribute__((noreturn)) void fail(const char *step, const char *what, long err)
{
    char buf[PATH_LEN + 128];
    unsigned long n = 0;
    const char *parts[] = {"baseline: ", step, " ", what, ": errno "};
    for (unsigned i = 0; i < sizeof parts / sizeof *parts; i++)
        for (const char *p = parts[i]; *p && n < sizeof buf - 16; p++)
            buf[n++] = *p;
    char digits[20];
    int d = 0;
    for (unsigned long e = (unsigned long)-err; d == 0 || e; e /= 10)
        digits[d++] = (char)('0' + e % 10);
    while (d)
        buf[n++] = digits[--d];
    buf[n++] = '\n';
    SYS(__NR_write, 2, buf, n, 0, 0);
    exit_group(125);
}

static void check(long ret, const char *step, const char *what)
{
    if (ret < 0)
        fail(step, what, ret);
}

/* ---- the container side ------------------------------------------------ */

static char path[PATH_LEN];

/* path = ROOTFS + suffix; the rootfs part is kept between calls. */
static const char *under(unsigned long root_len, const char *suffix)
{
    unsigned long n = strlen(suffix);
    if (root_len + n + 1 > PATH_LEN)
        fail("path", suffix, -36 /* ENAMETOOLONG */);
    memcpy(path + root_len, suffix, n + 1);
    return path;
}

static void mount_fs(const char *type, const char *target, unsigned long flags, const char *data)
{
    check(SYS(__NR_mount, type, target, type, flags, data), "mount", target);
}

static void bind(const char *source, const char *target, unsigned long flags)
{
    check(SYS(__NR_mount, source, target, 0, MS_BIND | flags, 0), "bind", target);
}

/* nsinit's /dev: a tmpfs, host devices bound onto empty files, the usual
 * symlinks, a new devpts instance, a tmpfs for shm, then /dev/mqueue. */
static void make_dev(unsigned long r)
{
    static const char *const devices[] = {"null", "zero", "full", "random", "urandom", "tty"};
    static const char *const links[][2] = {
        {"/dev/fd", "/proc/self/fd"},         {"/dev/stdin", "/proc/self/fd/0"},
        {"/dev/stdout", "/proc/self/fd/1"},   {"/dev/stderr", "/proc/self/fd/2"},
        {"/dev/ptmx", "pts/ptmx"},
    };
    mount_fs("tmpfs", under(r, "/dev"), MS_NOSUID, "mode=755,size=65536k");
    for (unsigned i = 0; i < sizeof devices / sizeof *devices; i++) {
        char host[32] = "/dev/";
        memcpy(host + 5, devices[i], strlen(devices[i]) + 1);
        under(r, host); /* the same name inside the rootfs */
        check(SYS(__NR_mknodat, AT_FDCWD, path, S_IFREG | 0666, 0, 0), "mknod", path);
        bind(host, path, 0);
    }
    for (unsigned i = 0; i < sizeof links / sizeof *links; i++)
        check(SYS(__NR_symlinkat, links[i][1], AT_FDCWD, under(r, links[i][0]), 0, 0), "symlink", path);
    check(SYS(__NR_mkdirat, AT_FDCWD, under(r, "/dev/pts"), 0755, 0, 0), "mkdir", path);
    mount_fs("devpts", path, MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
    check(SYS(__NR_mkdirat, AT_FDCWD, under(r, "/dev/shm"), 01777, 0, 0), "mkdir", path);
    mount_fs("tmpfs", path, MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
    check(SYS(__NR_mkdirat, AT_FDCWD, under(r, "/dev/mqueue"), 0755, 0, 0), "mkdir", path);
    mount_fs("mqueue", path, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
}

/* runc spec's read-only /sys/fs/cgroup, as nsinit makes it without a
 * cgroup namespace: a new cgroup2 mount on a cgroup v2 host, else the
 * host's v1 tree bound recursively and made read-only. */
static void mount_cgroup(unsigned long r)
{
    unsigned long long st[15];
    check(SYS(__NR_statfs, "/sys/fs/cgroup", st, 0, 0, 0), "statfs", "/sys/fs/cgroup");
    if (st[0] == CGROUP2_SUPER_MAGIC) {
        mount_fs("cgroup2", under(r, "/sys/fs/cgroup"), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
        return;
    }
    bind("/sys/fs/cgroup", under(r, "/sys/fs/cgroup"), MS_REC);
    struct { unsigned long long set, clr, propagation, userns; } attr = {MOUNT_ATTR_RDONLY, 0, 0, 0};
    check(SYS(__NR_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr), "mount_setattr", path);
}

/* runc's masked paths: an empty read-only tmpfs on a directory, /dev/null
 * on a file, as stat says (a tmpfs mount on a file fails with ENOTDIR, but
 * only after the kernel made the tmpfs), nothing where the kernel has no
 * such path; then its read-only paths, bound onto themselves and made
 * read-only. */
static void hide_paths(unsigned long r)
{
    static const char *const masked[] = {
        "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    };
    static const char *const readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
    for (unsigned i = 0; i < sizeof masked / sizeof *masked; i++) {
        /* struct stat on x86_64: st_mode is the u32 at byte 24 of 144. */
        unsigned long st[18];
        long err = SYS(__NR_newfstatat, AT_FDCWD, under(r, masked[i]), st, 0, 0);
        if (err == -ENOENT)
            continue;
        check(err, "stat", path);
        if ((((unsigned *)st)[6] & 0170000) == 0040000)
            err = SYS(__NR_mount, "tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0");
        else
            err = SYS(__NR_mount, "/dev/null", path, 0, MS_BIND, 0);
        check(err, "mask", path);
    }
    for (unsigned i = 0; i < sizeof readonly / sizeof *readonly; i++) {
        long err = SYS(__NR_mount, under(r, readonly[i]), path, 0, MS_BIND | MS_REC, 0);
        if (err == -ENOENT)
            continue;
        check(err, "bind", path);
        struct { unsigned long long set, clr, propagation, userns; } attr = {MOUNT_ATTR_RDONLY, 0, 0, 0};
        check(SYS(__NR_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr), "mount_setattr", path);
    }
}

/* runc's capabilities (0xa80425fb) in every set, all others out of the
 * bounding set, one prctl each, up to the kernel's last. */
static void limit_capabilities(void)
{
    const unsigned long long keep = 0xa80425fbULL;
    for (int cap = 0; cap < 64; cap++) {
        if (keep & (1ULL << cap))
            continue;
        long err = SYS(__NR_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
        if (err == -EINVAL)
            break;
        check(err, "prctl", "PR_CAPBSET_DROP");
    }
    struct { unsigned version; int pid; } header = {0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0};
    struct { unsigned effective, permitted, inheritable; } data[2] = {{0}};
    check(SYS(__NR_capget, &header, data, 0, 0, 0), "capget", "");
    data[0].effective = data[0].permitted = data[0].inheritable = (unsigned)keep;
    data[1].effective = data[1].permitted = data[1].inheritable = 0;
    check(SYS(__NR_capset, &header, data, 0, 0, 0), "capset", "");
}

/* nsinit's default seccomp filter itself: bench.py reads it back from a
 * default container's payload (PTRACE_SECCOMP_GET_FILTER) and writes it to
 * nsinit_filter.h, so the baseline makes the same decisions, for every ABI
 * and on the same arguments, at the same cost. */
#include "nsinit_filter.h"

static void install_filter(void)
{
    struct sock_fprog fprog = {(unsigned short)(sizeof nsinit_filter / sizeof *nsinit_filter),
                               (struct sock_filter *)nsinit_filter};
    check(SYS(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl", "PR_SET_NO_NEW_PRIVS");
    check(SYS(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog, 0, 0), "seccomp", "");
}

/* A new net namespace has lo, down: SIOCSIFFLAGS on any socket raises it. */
static void loopback_up(void)
{
    struct {
        char name[16];
        short flags;
        char pad[22];
    } ifr = {"lo", IFF_UP, {0}};
    long fd = SYS(__NR_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0, 0);
    check(fd, "socket", "AF_INET");
    check(SYS(__NR_ioctl, fd, SIOCSIFFLAGS, &ifr, 0, 0), "SIOCSIFFLAGS", "lo");
    SYS(__NR_close, fd, 0, 0, 0, 0);
}

/* ---- the cgroup (--cgroup) ----------------------------------------------- */

/* v1 hierarchies nsinit, crun and runc place a container in when its
 * resources name none (a hierarchy not mounted is skipped). */
static const char *const controllers[] = {"pids", "memory", "cpu", "cpuset", "devices"};
#define CONTROLLERS (sizeof controllers / sizeof *controllers)
/* runc's default device list, after denying all ("a"), as written to
 * devices.allow for runc spec's container. */
static const char *const allowed[] = {
    "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:8 rwm", "c 1:7 rwm", "c 5:0 rwm",
    "c 1:5 rwm", "c 1:9 rwm", "c 136:* rwm", "c 5:2 rwm", "c 10:200 rwm",
};

static char cgroup_dirs[CONTROLLERS][PATH_LEN];
static long cgroup_procs[CONTROLLERS];
static unsigned cgroups;

/* dst = a + b + c, or fail. */
static void join3(char *dst, const char *a, const char *b, const char *c)
{
    unsigned long n = 0;
    for (const char *part[] = {a, b, c}, **p = part; p < part + 3; p++) {
        unsigned long k = strlen(*p);
        if (n + k + 1 > PATH_LEN)
            fail("path", *p, -36);
        memcpy(dst + n, *p, k + 1);
        n += k;
    }
}

static long open_write(const char *dir, const char *name)
{
    char file[PATH_LEN];
    join3(file, dir, "/", name);
    long fd = SYS(__NR_openat, AT_FDCWD, file, 01 | 02000000 /* O_WRONLY | O_CLOEXEC */, 0, 0);
    check(fd, "open", file);
    return fd;
}

static void write_str(long fd, const char *value, const char *what)
{
    check(SYS(__NR_write, fd, value, strlen(value), 0, 0), "write", what);
}

/* cpuset.cpus and cpuset.mems of the new cgroup `dir`, from its parent. */
static void inherit_cpuset(const char *dir)
{
    char parent[PATH_LEN], file[PATH_LEN], value[256];
    join3(parent, dir, "", "");
    for (unsigned long n = strlen(parent); n && parent[n] != '/'; n--)
        parent[n] = 0;
    for (const char *const *name = (const char *const[]){"cpuset.cpus", "cpuset.mems", 0}; *name; name++) {
        join3(file, parent, "", *name);
        long fd = SYS(__NR_openat, AT_FDCWD, file, 02000000, 0, 0);
        check(fd, "open", file);
        long n = SYS(__NR_read, fd, value, sizeof value - 1, 0, 0);
        check(n, "read", file);
        SYS(__NR_close, fd, 0, 0, 0, 0);
        while (n > 0 && value[n - 1] == '\n')
            n--;
        value[n] = 0;
        long out = open_write(dir, *name);
        write_str(out, value, *name);
        SYS(__NR_close, out, 0, 0, 0, 0);
    }
}

static void make_cgroups(const char *name)
{
    unsigned long long st[15];
    check(SYS(__NR_statfs, "/sys/fs/cgroup", st, 0, 0, 0), "statfs", "/sys/fs/cgroup");
    if (st[0] == CGROUP2_SUPER_MAGIC) {
        join3(cgroup_dirs[0], "/sys/fs/cgroup", name, "");
        check(SYS(__NR_mkdirat, AT_FDCWD, cgroup_dirs[0], 0755, 0, 0), "mkdir", cgroup_dirs[0]);
        cgroup_procs[0] = open_write(cgroup_dirs[0], "cgroup.procs");
        cgroups = 1;
        return;
    }
    for (unsigned i = 0; i < CONTROLLERS; i++) {
        char *dir = cgroup_dirs[cgroups];
        join3(dir, "/sys/fs/cgroup/", controllers[i], name);
        long err = SYS(__NR_mkdirat, AT_FDCWD, dir, 0755, 0, 0);
        if (err == -ENOENT)
            continue; /* the hierarchy is not mounted */
        check(err, "mkdir", dir);
        cgroup_procs[cgroups++] = -1;
        if (same(controllers[i], "cpuset"))
            inherit_cpuset(dir);
        if (same(controllers[i], "devices")) {
            long deny = open_write(dir, "devices.deny");
            write_str(deny, "a", "devices.deny");
            SYS(__NR_close, deny, 0, 0, 0, 0);
            long allow = open_write(dir, "devices.allow");
            for (unsigned k = 0; k < sizeof allowed / sizeof *allowed; k++)
                write_str(allow, allowed[k], "devices.allow");
            SYS(__NR_close, allow, 0, 0, 0, 0);
        }
        cgroup_procs[cgroups - 1] = open_write(dir, "tasks");
    }
}

static void join_cgroups(void)
{
    for (unsigned i = 0; i < cgroups; i++)
        write_str(cgroup_procs[i], "0", cgroup_dirs[i]);
}

static void remove_cgroups(void)
{
    for (unsigned i = cgroups; i-- > 0;)
        check(SYS(__NR_unlinkat, AT_FDCWD, cgroup_dirs[i], 0x200 /* AT_REMOVEDIR */, 0, 0), "rmdir", cgroup_dirs[i]);
}

/* ---- the container ------------------------------------------------------ */

static __attribute__((noreturn)) void container(int full, int net, const char *root, char **argv, char **envp)
{
    join_cgroups();
    unsigned long r = strlen(root);
    if (r + 1 > PATH_LEN)
        fail("path", root, -36);
    memcpy(path, root, r + 1);

    check(SYS(__NR_mount, 0, "/", 0, MS_REC | MS_SLAVE, 0), "mount", "/ (rslave)");
    bind(root, root, MS_REC);
    mount_fs("proc", under(r, "/proc"), MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
    if (full) {
        make_dev(r);
        mount_fs("sysfs", under(r, "/sys"), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
        mount_cgroup(r);
        hide_paths(r);
    }
    check(SYS(__NR_chdir, root, 0, 0, 0, 0), "chdir", root);
    check(SYS(__NR_pivot_root, ".", ".", 0, 0, 0), "pivot_root", root);
    check(SYS(__NR_umount2, ".", MNT_DETACH, 0, 0, 0), "umount", "old root");
    if (full)
        check(SYS(__NR_sethostname, "nsinit", 6, 0, 0, 0), "sethostname", "nsinit");
    if (net)
        loopback_up();
    check(SYS(__NR_chdir, "/", 0, 0, 0, 0), "chdir", "/");
    if (full) {
        limit_capabilities();
        check(SYS(__NR_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC, 0, 0), "close_range", "");
        install_filter();
    }
    long err = SYS(__NR_execve, argv[0], argv, envp, 0, 0);
    fail("execve", argv[0], err);
}

/* ---- the host side ------------------------------------------------------ */

__attribute__((used)) static void start_c(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    const char *cgroup = 0;
    if (argc >= 3 && same(argv[1], "--cgroup")) {
        cgroup = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc < 4 || (cgroup && cgroup[0] != '/')) {
        static const char usage[] = "usage: baseline [--cgroup /PATH] min|default|default-net ROOTFS PAYLOAD [ARG]...\n";
        SYS(__NR_write, 2, usage, sizeof usage - 1, 0, 0);
        exit_group(125);
    }
    const char *mode = argv[1];
    int full = !same(mode, "min");
    int net = same(mode, "default-net");
    if (full && !net && !same(mode, "default"))
        fail("mode", mode, -22 /* EINVAL */);

    if (cgroup)
        make_cgroups(cgroup);
    struct clone_args args = {0};
    args.flags = CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNS | (net ? CLONE_NEWNET : 0);
    args.exit_signal = SIGCHLD;
    /* No stack given: the child goes on from here on a copy of ours, as after fork. */
    long pid = SYS(__NR_clone3, &args, sizeof args, 0, 0, 0);
    check(pid, "clone3", mode);
    if (pid == 0)
        container(full, net, argv[2], argv + 3, envp);

    int status = 0;
    long got;
    do
        got = SYS(__NR_wait4, pid, &status, 0, 0, 0);
    while (got == -4 /* EINTR */);
    check(got, "wait4", "payload");
    remove_cgroups();
    exit_group((status & 0x7f) ? 128 + (status & 0x7f) : (status >> 8) & 0xff);
}

#include "start.h"
