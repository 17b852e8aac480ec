#!/usr/bin/env python3
"""Side-by-side start latency of nsinit, crun, runc, bubblewrap, unshare(1)
and a raw-syscall baseline, written to bench/RESULTS.md. Run by `make bench`
through bench/run.sh, as root. Python standard library only.

Every runner starts the same static payload from the same generated rootfs.
All runners of one case are timed in one hyperfine invocation, so ratios
come from one run on one machine state; absolute times are only context.

Nothing is left on the host: the work tree lives in a temporary directory,
runc and crun keep their state in another (--root), mounts made for the
mount-count measurement live in a private mount namespace of a child
process, and every cgroup made here is removed; `host_state` is compared
before and after.
"""

import argparse
import contextlib
import ctypes
import datetime
import json
import os
import pickle
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))

# Names of everything made here start with this, so leftovers of a killed run
# are recognisable (and removed by the next run).
TAG = "nsb"

CASES = {
    "a": "minimal: uts, pid, ipc, mnt namespaces, /proc only",
    "b": "default container (runc spec) without a net namespace",
    "c": "default container (runc spec) with its net namespace",
}
SHORT = {"a": "minimal", "b": "default without net ns", "c": "default (runc spec)"}
BASELINE_MODE = {"a": "min", "b": "default", "c": "default-net"}
# nsinit-oci: `nsinit run` on the same OCI bundle crun and runc get (issue 13).
# nsinit-same (cases b and c): nsinit's command line making that bundle's
# container, for issue 13's "nsinit run <= 1.10x the command line's start of
# the same container" (the plain `nsinit` runner makes nsinit's own default,
# which has a seccomp filter and no cgroup: not the same container).
# baseline-oci: the baseline placed in the cgroup the OCI bundle names, as
# crun, runc and nsinit run place it (bench/baseline.c, --cgroup): the
# kernel's work of the bundle's container, so that `peer / baseline-oci` is
# the best ratio any runtime making that container could reach here.
RUNNERS = ["baseline", "baseline-oci", "nsinit", "nsinit-oci", "nsinit-same", "crun", "runc", "bwrap", "unshare"]
# Only in the side-by-side timings and the per-start resources: the sweeps
# (concurrency, mount count) would start several with one cgroup path.
TIMING_ONLY = {"nsinit-same", "baseline-oci"}
# runc spec's container as nsinit's words: its hostname, read-only root,
# capabilities (AUDIT_WRITE, KILL, NET_BIND_SERVICE), rlimit, user and
# environment, no seccomp filter, and (with cgroupsPath) a cgroup with runc's
# device list: any --device-cgroup-rule brings deny-all and runc's allowed
# devices, of which c 1:3 is one.
SAME_AS_BUNDLE = ["--hostname", "runc", "--read-only", "--device-cgroup-rule", "c 1:3 rwm",
                  "--cap-drop", "ALL", "--cap-add", "AUDIT_WRITE", "--cap-add", "KILL",
                  "--cap-add", "NET_BIND_SERVICE", "--seccomp", "off", "--rlimit", "nofile=1024:1024",
                  "--user", "0:0", "--clearenv", "--setenv", "PATH",
                  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--setenv", "TERM", "xterm"]
# Timed runs per command and pass (see `hyperfine`), after WARMUP runs. The
# same count for every command, so that the two passes weigh the same.
RUNS, WARMUP = 1500, 30
# The mount-count sweep times fewer runs: it is three levels of the same case.
MOUNT_RUNS = 300
MOUNT_LEVELS = [20, 200, 1000]
CONCURRENCY = [1, 2, 4, 8]
# Starts per point of the concurrency sweep, by runner (the slow ones get fewer).
BURST_STARTS = {"runc": 96, "crun": 200}
BURST_STARTS_DEFAULT = 400
MEMCG_LIMITS = ["256K", "384K", "512K", "640K", "768K", "1M", "4M"]
MEMCG_TRIES = 3

TARGETS = {
    "baseline_ratio": 1.15,  # nsinit median <= 1.15 x baseline, cases a and b
    "crun": 5.0,  # nsinit >= 5x faster than crun on b and c
    "runc": 15.0,
    "bwrap": 2.0,
    "size": 48 * 1024,  # the core build (cargo --no-default-features); issue 13
    "size_full": 160 * 1024,  # everything in, the OCI front end included; issue 13
    "vmhwm_kib": 128,
    "vmhwm_oci_kib": 160,  # nsinit run --bundle (issue 13)
    "oci_vs_cli": 1.10,  # nsinit run --bundle <= 1.10 x nsinit's command line, same container
    "syscalls_to_exec": 40,
}


def log(*parts):
    print("bench:", *parts, flush=True)


def run(argv, check=True, **kw):
    """subprocess.run with text output captured; raises with the output on failure."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    p = subprocess.run(argv, text=True, **kw)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


# ---------------------------------------------------------------------------
# The work tree: helpers, rootfs, OCI bundles


class Ctx:
    """Paths of one bench run."""

    def __init__(self, work, nsinit, out, core=None):
        self.work = work
        # The core build, for its size only.
        self.core = core
        self.out = out
        self.bin = os.path.join(work, "bin")
        self.rootfs = os.path.join(work, "rootfs")
        # runc and crun state (--root): a directory of our own next to their
        # default /run/runc and /run/crun (same filesystem, so the same cost),
        # removed at the end, so that not even a killed run leaves state there.
        self.state = tempfile.mkdtemp(prefix="nsinit-bench-state.", dir="/run" if os.path.isdir("/run") else work)
        self.nsinit_src = nsinit
        self.nsinit = os.path.join(self.bin, "nsinit")
        self.notes = []  # lines for the notes section of RESULTS.md

    def helper(self, name):
        return os.path.join(self.bin, name)


def build_helpers(ctx):
    """The payloads, the baseline and the burst driver, built into the work tree.
    nsinit is copied there too: another build may replace target/release/nsinit
    while the bench runs, and every measurement must see the same binary."""
    os.makedirs(ctx.bin)
    shutil.copy2(ctx.nsinit_src, ctx.nsinit)
    bare = ["gcc", "-nostdlib", "-static", "-O2", "-fno-stack-protector", "-Wall", "-s"]
    src = lambda n: os.path.join(BENCH_DIR, n)  # noqa: E731
    run(bare + ["-o", ctx.helper("noop"), src("noop.c")])
    run(bare + ["-DEXIT_CODE=42", "-o", ctx.helper("exit42"), src("noop.c")])
    run(bare + ["-o", ctx.helper("sleep"), src("sleep.c")])
    run(["gcc", "-O2", "-Wall", "-o", ctx.helper("burst"), src("burst.c")])
    run(["gcc", "-O2", "-Wall", "-o", ctx.helper("cycle"), src("cycle.c")])


def build_baseline(ctx):
    """The baseline, with nsinit's own default seccomp filter in it (see
    `nsinit_filter`); needs the rootfs."""
    program = nsinit_filter(ctx)
    header = os.path.join(ctx.work, "nsinit_filter.h")
    with open(header, "w") as f:
        f.write("/* nsinit's default seccomp filter, read back from a default container's payload\n"
                " * with PTRACE_SECCOMP_GET_FILTER by bench.py: {code, jt, jf, k}. */\n"
                "static const struct sock_filter nsinit_filter[] = {\n")
        for code, jt, jf, k in program:
            f.write(f"    {{{code:#x}, {jt}, {jf}, {k:#x}}},\n")
        f.write("};\n")
    ctx.filter_insns = len(program)
    bare = ["gcc", "-nostdlib", "-static", "-O2", "-fno-stack-protector", "-Wall", "-s"]
    run(bare + ["-I", BENCH_DIR, "-I", ctx.work, "-o", ctx.helper("baseline"),
                os.path.join(BENCH_DIR, "baseline.c")])


PTRACE_ATTACH, PTRACE_DETACH, PTRACE_SECCOMP_GET_FILTER = 16, 17, 0x420C
WALL = 0x40000000


def nsinit_filter(ctx):
    """The seccomp program nsinit loads for its default container (runc's
    capabilities), as [(code, jt, jf, k)]: its payload, /sleep, is stopped
    with ptrace and its filter read back (PTRACE_SECCOMP_GET_FILTER, root).
    The baseline loads the very same program, so that the two make the same
    decisions (every ABI, the argument rules) at the same cost."""
    ptrace = libc.ptrace
    ptrace.restype = ctypes.c_long
    ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    proc = subprocess.Popen([ctx.nsinit, "--rootfs", ctx.rootfs, "/sleep", "30"])
    try:
        payload = None
        deadline = time.monotonic() + 10
        while payload is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
                    for pid in f.read().split():
                        with open(f"/proc/{pid}/status") as st:
                            if os.readlink(f"/proc/{pid}/exe").endswith("/sleep") and "Seccomp:\t2" in st.read():
                                payload = int(pid)
            time.sleep(0.01)
        if payload is None:
            sys.exit("bench: nsinit's default container did not start /sleep under a seccomp filter")
        if ptrace(PTRACE_ATTACH, payload, None, None) != 0:
            sys.exit(f"bench: ptrace attach to nsinit's payload: {os.strerror(ctypes.get_errno())}")
        os.waitpid(payload, WALL)
        n = ptrace(PTRACE_SECCOMP_GET_FILTER, payload, None, None)
        buf = (ctypes.c_uint64 * max(n, 1))()
        got = ptrace(PTRACE_SECCOMP_GET_FILTER, payload, None, ctypes.addressof(buf)) if n > 0 else n
        err = ctypes.get_errno()
        ptrace(PTRACE_DETACH, payload, None, None)
        if n <= 0 or got != n:
            sys.exit(f"bench: PTRACE_SECCOMP_GET_FILTER on nsinit's payload: {os.strerror(err)} "
                     "(needs root and a kernel with CONFIG_CHECKPOINT_RESTORE)")
    finally:
        proc.kill()
        proc.wait()
    return [(v & 0xFFFF, v >> 16 & 0xFF, v >> 24 & 0xFF, v >> 32) for v in buf[:n]]


def make_rootfs(ctx):
    """One rootfs for every runner: the payloads and empty mount points."""
    for d in ("proc", "dev", "sys"):
        os.makedirs(os.path.join(ctx.rootfs, d))
    for p in ("noop", "exit42", "sleep"):
        shutil.copy2(ctx.helper(p), os.path.join(ctx.rootfs, p))


def runc_spec(ctx):
    """`runc spec`'s config.json, made once and kept in ctx."""
    if not hasattr(ctx, "spec"):
        where = os.path.join(ctx.work, "spec")
        os.makedirs(where)
        run(["runc", "spec"], cwd=where)
        with open(os.path.join(where, "config.json")) as f:
            ctx.spec = json.load(f)
    return json.loads(json.dumps(ctx.spec))


def bundle(ctx, case, payload, cid):
    """The OCI bundle of container `cid`: `runc spec`, edited for the case,
    the rootfs shared by path. A `cid` with "{}" is the template of the
    bundles `burst_bundles` makes; its path is returned as is."""
    path = os.path.join(ctx.work, "bundles", f"{case}-{payload}-{cid}")
    if "{}" in cid or os.path.exists(path):
        return path
    config = runc_spec(ctx)
    config["root"]["path"] = ctx.rootfs
    config["process"]["args"] = ["/" + payload]
    config["process"]["terminal"] = False
    linux = config["linux"]
    # Without cgroupsPath crun makes its cgroups at the top of each hierarchy
    # and runc nests its memory cgroup under the caller's: name them, the
    # same for both, where nothing else lives.
    linux["cgroupsPath"] = "/" + cid
    if case == "a":
        # The minimal container: four namespaces and /proc, none of the
        # default container's extra mounts, masks or read-only remounts.
        linux["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts", "mount")]
        config["mounts"] = [m for m in config["mounts"] if m["destination"] == "/proc"]
        for key in ("maskedPaths", "readonlyPaths"):
            linux.pop(key, None)
        config["root"]["readonly"] = False
        config.pop("hostname", None)
    elif case == "b":
        linux["namespaces"] = [n for n in linux["namespaces"] if n["type"] != "network"]
    os.makedirs(path)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return path


def burst_bundles(ctx, case, payload, template, count):
    """Bundles for the serials burst puts into `template`: 0 .. count-1."""
    for i in range(count):
        bundle(ctx, case, payload, template.replace("{}", str(i)))


def which(prog):
    return shutil.which(prog) or prog


def commands(ctx, case, payload="noop", cid=None):
    """The argv of every runner for a case, in RUNNERS order. `cid` is the
    runc/crun container id; hyperfine runs one start at a time, so a fixed id
    per case is unique (both delete a container's state when `run` returns)."""
    r, p = ctx.rootfs, "/" + payload
    cid = cid or f"{TAG}-{case}"
    nsinit = {
        "a": ["--bare", "--rootfs", r, "--unshare", "uts,pid,ipc,mnt", "--proc", "/proc"],
        "b": ["--rootfs", r, "--share", "net"],
        "c": ["--rootfs", r],
    }[case]
    net = case == "c"
    bwrap = ["--unshare-uts", "--unshare-pid", "--unshare-ipc"] + ["--unshare-net"] * net + \
            ["--bind", r, "/", "--proc", "/proc"]
    if case != "a":
        # bwrap has no sysfs mount: a read-only bind of the host's /sys is the
        # closest. Its --dev leaves /dev/shm a plain directory: add the tmpfs.
        bwrap += ["--dev", "/dev", "--tmpfs", "/dev/shm", "--mqueue", "/dev/mqueue",
                  "--ro-bind", "/sys", "/sys", "--hostname", "nsinit"]
    unshare = ["--uts", "--pid", "--ipc", "--mount"] + ["--net"] * net + ["--fork", f"--root={r}", "--mount-proc"]
    oci = ["run", "--bundle", bundle(ctx, case, payload, cid), cid]
    same = {}
    if case != "a":
        same["nsinit-same"] = [ctx.nsinit] + nsinit + ["--cgroup", f"/{cid}-cli"] + SAME_AS_BUNDLE + [p]
    return {
        "baseline": [ctx.helper("baseline"), BASELINE_MODE[case], r, p],
        "baseline-oci": [ctx.helper("baseline"), "--cgroup", f"/{cid}-base", BASELINE_MODE[case], r, p],
        "nsinit": [ctx.nsinit] + nsinit + [p],
        "nsinit-oci": [ctx.nsinit, "run", "--bundle", oci[2], cid],
        **same,
        "crun": [which("crun"), "--root", os.path.join(ctx.state, "crun")] + oci,
        "runc": [which("runc"), "--root", os.path.join(ctx.state, "runc")] + oci,
        "bwrap": [which("bwrap")] + bwrap + [p],
        "unshare": [which("unshare")] + unshare + [p],
    }


# ---------------------------------------------------------------------------
# cgroups: crun on a hybrid hierarchy, leftovers


@contextlib.contextmanager
def cgroup2_emptied(ctx):
    """crun refuses a hybrid cgroup layout whose cgroup2 tree has controllers
    ("drop all controllers from cgroupv2"). A controller that no cgroup2 tree
    uses (here: hugetlb) moves to a v1 hierarchy as soon as one is mounted,
    and back when that hierarchy is gone. The mount is made by a holder
    process in its own private mount namespace: no host mount table sees it,
    runc and crun do not create cgroups in it, and closing the holder's stdin
    ends it."""
    ctl = "/sys/fs/cgroup/unified/cgroup.controllers"
    controllers = open(ctl).read().split() if os.path.exists(ctl) else []
    if not controllers:
        yield None
        return
    where = os.path.join(ctx.work, "v1-" + "-".join(controllers))
    os.makedirs(where)
    # The holder waits for its stdin to close: when the bench ends, however it
    # ends, the holder exits and its mount namespace and the mount go with it.
    script = 'mount -t cgroup -o "$1" cgroup "$2" && echo mounted && read -r _'
    holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                               ",".join(controllers), where], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    ok = holder.stdout.readline().strip() == "mounted"
    note = (f"cgroup2 (/sys/fs/cgroup/unified) had controllers {controllers}: crun refuses that on a "
            f"hybrid layout, so they were moved to a temporary v1 hierarchy (`mount -t cgroup -o "
            f"{','.join(controllers)}`, in a private mount namespace) for the bench and given back after.")
    if not ok:
        holder.wait()
        note = f"could not move cgroup2 controllers {controllers} to v1; crun may fail"
    ctx.notes.append(note)
    log(note)
    try:
        yield controllers
    finally:
        holder.stdin.close()
        holder.wait()
        if ok:
            restore_cgroup2(controllers, ctl)
        os.rmdir(where)


def restore_cgroup2(controllers, ctl):
    """The v1 hierarchy goes when its last mount does, unless it still has
    (dying) child cgroups then; if the controllers are not back after a
    moment, mounting and unmounting the hierarchy once more frees it."""
    for attempt in range(20):
        if set(open(ctl).read().split()) >= set(controllers):
            return
        if attempt >= 10:
            tmp = tempfile.mkdtemp(prefix=f"{TAG}-cg-")
            if run(["mount", "-t", "cgroup", "-o", ",".join(controllers), "cgroup", tmp], check=False).returncode == 0:
                run(["umount", tmp], check=False)
            os.rmdir(tmp)
        time.sleep(0.2)
    log(f"WARNING: cgroup2 controllers {controllers} did not come back")


def remove_cgroup_tree(path):
    """rmdir a cgroup and its children, deepest first (cgroupfs has no rm -r)."""
    for root, dirs, _ in os.walk(path, topdown=False):
        for d in dirs:
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(root, d))
    with contextlib.suppress(OSError):
        os.rmdir(path)


def our_cgroups():
    """Cgroups named by this bench (or by runc/crun after our container ids)."""
    found = []
    for root, dirs, _ in os.walk("/sys/fs/cgroup"):
        for d in dirs:
            if d.startswith(TAG + "-") or d.startswith("nsinit-bench"):
                found.append(os.path.join(root, d))
        dirs[:] = [d for d in dirs if not d.startswith(TAG + "-")]
    return found


def host_state():
    """What the bench must leave as it found: mounts, its cgroups, cgroup2
    controllers, runc/crun default state dirs, its temp dirs."""
    with open("/proc/self/mountinfo") as f:
        mounts = sorted(" ".join(line.split()[3:5]) for line in f)
    ctl = "/sys/fs/cgroup/unified/cgroup.controllers"
    return {
        "mounts": mounts,
        "cgroups": our_cgroups(),
        "cgroup2_controllers": open(ctl).read().split() if os.path.exists(ctl) else [],
        "state_dirs": {d: sorted(os.listdir(d)) if os.path.isdir(d) else None for d in ("/run/runc", "/run/crun")},
        "tmp": sorted(os.path.join(d, n) for d in ("/tmp", "/run") if os.path.isdir(d) for n in os.listdir(d)
                      if n.startswith((TAG + "-", "nsinit-bench"))),
    }


def diff_state(before, after):
    out = []
    for key in before:
        if before[key] != after[key]:
            if isinstance(before[key], list):
                added = sorted(set(map(str, after[key])) - set(map(str, before[key])))
                gone = sorted(set(map(str, before[key])) - set(map(str, after[key])))
                out.append(f"{key}: added {added}, gone {gone}")
            else:
                out.append(f"{key}: {before[key]} -> {after[key]}")
    return out


# ---------------------------------------------------------------------------
# Correctness: every runner really runs the payload


def check_runners(ctx):
    """Each runner starts /exit42 once per case: only a runner that executed
    the payload can pass its 42 back. Runners that fail are left out of the
    case (and reported); nsinit or the baseline failing ends the bench."""
    ok, failed = {}, {}
    for case in CASES:
        ok[case] = []
        for name, argv in commands(ctx, case, "exit42").items():
            p = run(argv, check=False, timeout=60)
            if p.returncode == 42:
                ok[case].append(name)
            else:
                failed[(case, name)] = f"exit {p.returncode}: {(p.stderr or p.stdout).strip()[:300]}"
                log(f"case {case}: {name} did not run the payload ({failed[(case, name)]})")
    for (case, name), why in failed.items():
        if name in ("nsinit", "baseline"):
            raise SystemExit(f"bench: {name} cannot start the payload on case {case}: {why}")
    return ok, failed


# ---------------------------------------------------------------------------
# Timing


def hyperfine(ctx, label, cmds, runs=None):
    """One hyperfine invocation over `cmds` ({name: argv}); returns
    {name: stats} with times in seconds. hyperfine times one command after
    the other, so each command is listed twice, in mirrored order (A B C ...
    C B A), and its two passes, of the same number of runs, are pooled: a
    machine that drifts during the invocation then weighs on every runner
    alike. -N: no shell between
    hyperfine and the runner. A non-zero exit of any run fails hyperfine,
    and the bench."""
    out = os.path.join(ctx.out, "results", f"hyperfine-{label}.json")
    argv = ["hyperfine", "-N", "--style", "basic", "--warmup", str(WARMUP), "--runs", str(runs or RUNS),
            "--export-json", out]
    order = [(name, 1) for name in cmds] + [(name, 2) for name in reversed(cmds)]
    for name, npass in order:
        argv += ["-n", f"{name} #{npass}", shlex.join(cmds[name])]
    log(f"hyperfine {label}: {', '.join(f'{n} #{k}' for n, k in order)}")
    p = run(argv, check=False, stdout=None)
    if p.returncode != 0:
        raise SystemExit(f"bench: hyperfine {label} failed (a runner exited non-zero?):\n{p.stderr}")
    with open(out) as f:
        results = json.load(f)["results"]
    times, passes = {}, {}
    for (name, _), r in zip(order, results):
        if any(code != 0 for code in r.get("exit_codes") or []):
            raise SystemExit(f"bench: {name} exited non-zero during {label}")
        times.setdefault(name, []).extend(r["times"])
        passes.setdefault(name, []).append(r["median"])
    stats = {}
    for name, t in times.items():
        q = statistics.quantiles(t, n=4)
        stats[name] = {"median": statistics.median(t), "q1": q[0], "q3": q[2], "runs": len(t),
                       "passes": passes[name]}
    return stats


def time_cases(ctx, ok):
    return {case: hyperfine(ctx, f"case-{case}", {n: a for n, a in commands(ctx, case).items() if n in ok[case]})
            for case in CASES}


# Runs of each lifecycle measurement a pass: runc's cycle takes 0.1 s.
LIFECYCLE_RUNS = 200


def lifecycle_runtime(ctx, name):
    """The runtime `name` (nsinit, crun, runc) with its own state (--root)."""
    prog = ctx.nsinit if name == "nsinit" else which(name)
    return [prog, "--root", os.path.join(ctx.state, f"{name}-lifecycle")]


def lifecycle_timing(ctx):
    """Issue 14: as engines drive a runtime. `cycle`: create, start, wait for
    the payload (a no-op) as its subreaper, delete (bench/cycle.c, one cycle
    a run) on runc spec's container without a network namespace (case b);
    `exec`: `exec ID /noop` into such a container running a sleep. nsinit,
    crun and runc side by side; {kind: {runner: stats}}."""
    runners = ["nsinit"] + [n for n in ("crun", "runc") if shutil.which(n)]
    cycle = {}
    for name in runners:
        cid = f"{TAG}-cycle-{name}"
        b = bundle(ctx, "b", "noop", cid)
        cycle[name] = [ctx.helper("cycle"), os.path.join(ctx.work, f"{cid}.pid"), b, cid] + lifecycle_runtime(ctx, name)
    out = {"cycle": hyperfine(ctx, "lifecycle-cycle", cycle, runs=LIFECYCLE_RUNS)}
    execs, running = {}, []
    try:
        for name in runners:
            cid = f"{TAG}-exec-{name}"
            b = bundle(ctx, "b", "sleep", cid)
            with open(os.path.join(b, "config.json")) as f:
                config = json.load(f)
            config["process"]["args"] = ["/sleep", "3600"]
            with open(os.path.join(b, "config.json"), "w") as f:
                json.dump(config, f, indent=2)
            rt = lifecycle_runtime(ctx, name)
            # The container keeps create's stdio: nothing to wait on there.
            quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
            run(rt + ["create", "--bundle", b, cid], **quiet)
            running.append((rt, cid))
            run(rt + ["start", cid])
            execs[name] = rt + ["exec", cid, "/noop"]
        out["exec"] = hyperfine(ctx, "lifecycle-exec", execs, runs=LIFECYCLE_RUNS)
    finally:
        for rt, cid in running:
            run(rt + ["delete", "--force", cid], check=False)
    return out


# ---------------------------------------------------------------------------
# Memory, syscalls, sizes


def descendants(pid):
    """PIDs below `pid`, from the ppid field of every /proc/N/stat."""
    children = {}
    for n in os.listdir("/proc"):
        if n.isdigit():
            with contextlib.suppress(OSError):
                with open(f"/proc/{n}/stat") as f:
                    stat = f.read()
                ppid = int(stat[stat.rindex(")") + 2:].split()[1])
                children.setdefault(ppid, []).append(int(n))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def memory_kib(pid):
    """VmHWM, and what the memory is now: file-backed (the binary's text and
    libraries), anonymous, and of that the stack. All in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("VmHWM", "RssFile", "RssAnon"):
                out[key] = int(line.split()[1])
    out["stack"], mapping = 0, ""
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                mapping = line
            elif line.startswith("Rss:") and mapping.rstrip().endswith("[stack]"):
                out["stack"] = int(line.split()[1])
    return out


def peak_rss(argv):
    """Memory of the runtime's own process (the one we started) while its
    payload, /sleep, runs: the payload is found among its descendants by
    name, so the reading comes after all of the runtime's set-up."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    mem = None
    deadline = time.monotonic() + 10
    while mem is None and time.monotonic() < deadline and p.poll() is None:
        for d in descendants(p.pid):
            with contextlib.suppress(OSError):
                if open(f"/proc/{d}/comm").read().strip() == "sleep":
                    mem = memory_kib(p.pid)
                    break
        else:
            time.sleep(0.002)
    err = p.communicate(timeout=30)[1]
    if p.returncode != 0 or mem is None:
        raise SystemExit(f"bench: {argv[0]} with /sleep: exit {p.returncode}, memory {mem}: {err.decode()[:300]}")
    return mem


STRACE_TOTAL = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?total\s*$")
STRACE_ROW = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$")


def strace_summary(ctx, argv):
    """`strace -f -c`: total calls and {syscall: calls} of the whole start
    (runtime, helpers and the payload's execve and exit)."""
    out = os.path.join(ctx.work, "strace.txt")
    p = run(["strace", "-f", "-c", "-o", out, "--"] + argv, check=False, timeout=120)
    if p.returncode != 0:
        raise SystemExit(f"bench: strace {argv[0]} exited {p.returncode}: {p.stderr[:300]}")
    total, rows = None, {}
    with open(out) as f:
        for line in f:
            m = STRACE_TOTAL.match(line)
            if m:
                total = int(m.group(1))
                continue
            m = STRACE_ROW.match(line)
            if m:
                rows[m.group(2)] = int(m.group(1))
    return total, rows


def syscalls_to_exec(ctx):
    """nsinit's system calls from its first instruction to the payload's
    execve, both processes, on case a (`strace -f` lists each call once when
    it is entered; nsinit's own execve is the exec that starts it)."""
    out = os.path.join(ctx.work, "strace-a.txt")
    run(["strace", "-f", "-o", out, "--"] + commands(ctx, "a")["nsinit"])
    calls = []
    with open(out) as f:
        lines = f.read().splitlines()
    for line in lines[1:]:
        body = re.sub(r"^\d+\s+", "", line)
        if body.startswith(("<...", "+++", "---")) or not re.match(r"^\w+\(", body):
            continue
        calls.append(body.split("(")[0])
        if body.startswith('execve("/noop"'):
            return len(calls), calls
    raise SystemExit("bench: no payload execve in nsinit's strace")


def page_faults(argv, starts=30):
    """Minor page faults per start: the runtime, its helpers and the payload
    are all reaped below us, so RUSAGE_CHILDREN counts every one of them."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt
    for _ in range(starts):
        run(argv, timeout=60)
    return (resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt - before) / starts


def stripped_size(path, work):
    """Size after `strip`, and how the binary links."""
    tmp = os.path.join(work, "stripped")
    run(["strip", "-o", tmp, path])
    size = os.path.getsize(tmp)
    os.unlink(tmp)
    dyn = run(["readelf", "-d", path], check=False).stdout
    needed = dyn.count("(NEEDED)")
    return size, (f"dynamic, {needed} libs" if needed else "static")


def measure_resources(ctx, ok):
    """Per runner: stripped size; per case: memory, syscalls and page faults per start."""
    res = {"size": {}, "rss": {}, "syscalls": {}, "rows": {}, "faults": {}}
    for name, argv in commands(ctx, "a").items():
        res["size"][name] = stripped_size(argv[0], ctx.work)
    res["size"]["nsinit-same"] = res["size"]["nsinit"]  # the same binary; only cases b and c
    res["size"]["baseline-oci"] = res["size"]["baseline"]
    if ctx.core:
        res["size"]["nsinit core"] = stripped_size(ctx.core, ctx.work)
    for case in CASES:
        sleepers = commands(ctx, case, "sleep")
        noops = commands(ctx, case)
        for name in ok[case]:
            res["rss"][(case, name)] = peak_rss(sleepers[name])
            total, rows = strace_summary(ctx, noops[name])
            res["syscalls"][(case, name)] = total
            res["rows"][(case, name)] = rows
            res["faults"][(case, name)] = page_faults(noops[name])
    res["to_exec"] = syscalls_to_exec(ctx)
    return res


TIMING_LINE = re.compile(r"^nsinit: timing: (.+?) ([\d.]+) us$")


def nsinit_steps(ctx, starts=200):
    """nsinit's own account of a start (--timings: CLOCK_MONOTONIC around
    each step, no tracing), median per step over `starts` starts per case.
    None when this nsinit has no --timings."""
    probe = run([ctx.nsinit, "--timings", "--help"], check=False)
    if probe.returncode != 0:
        return None
    out = {}
    for case in CASES:
        argv = commands(ctx, case)["nsinit"]
        argv = argv[:1] + ["--timings"] + argv[1:]
        steps = {}
        for _ in range(starts):
            p = run(argv, timeout=60)
            for line in p.stderr.splitlines():
                m = TIMING_LINE.match(line)
                if m:
                    steps.setdefault(m.group(1).replace(ctx.rootfs, "R"), []).append(float(m.group(2)))
        out[case] = {step: statistics.median(v) for step, v in steps.items()}
    return out


# ---------------------------------------------------------------------------
# Growth: concurrency and the host's mount count


def concurrency(ctx, ok):
    """Starts per second with K containers started at once (case b), by the
    burst driver: K starts, wait for all, repeat. runc and crun get an id and
    a bundle (for its cgroupsPath) of their own per start."""
    out, warmup = {}, 2
    template = f"{TAG}-conc-{{}}"
    rounds = {(name, k): max(3, BURST_STARTS.get(name, BURST_STARTS_DEFAULT) // k)
              for name in RUNNERS for k in CONCURRENCY}
    burst_bundles(ctx, "b", "noop", template,
                  max((warmup + n) * k for (name, k), n in rounds.items() if name in ("crun", "runc", "nsinit-oci")))
    for name, argv in commands(ctx, "b", cid=template).items():
        if name not in ok["b"] or name in TIMING_ONLY:
            continue
        for k in CONCURRENCY:
            p = run([ctx.helper("burst"), str(k), str(rounds[(name, k)]), str(warmup)] + argv,
                    check=False, timeout=600)
            if p.returncode != 0:
                raise SystemExit(f"bench: burst {name} x{k} failed: {p.stderr[:300]}")
            out[(name, k)] = float(p.stdout.split()[3])
        log(f"concurrency {name}: " + ", ".join(f"{k}: {out[(name, k)]:.0f}/s" for k in CONCURRENCY))
    return out


libc = ctypes.CDLL(None, use_errno=True)


def cmount(source, target, fstype, flags=0, data=None):
    if libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                  ctypes.c_ulong(flags), data.encode() if data else None) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"mount {target}: {os.strerror(e)}")


def mount_count():
    with open("/proc/self/mountinfo") as f:
        return sum(1 for _ in f)


def mount_growth(ctx, ok):
    """Start time of case b with 20, 200 and 1000 mounts in the runner's
    mount namespace. The extra mounts are tmpfs mounts made by a forked child
    in its own private mount namespace (unshare + MS_REC|MS_PRIVATE on /),
    which runs the timing too; the host's mount table never sees them and
    they vanish with the child."""
    result_file = os.path.join(ctx.work, "mounts.json")
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            CLONE_NEWNS, MS_REC, MS_PRIVATE = 0x20000, 0x4000, 0x40000
            if libc.unshare(CLONE_NEWNS) != 0:
                raise OSError(ctypes.get_errno(), "unshare")
            cmount("none", "/", None, MS_REC | MS_PRIVATE)
            base = os.path.join(ctx.work, "mounts")
            os.makedirs(base)
            out, serial = {}, 0
            for level in MOUNT_LEVELS:
                while mount_count() < level:
                    d = os.path.join(base, str(serial))
                    os.mkdir(d)
                    cmount(TAG, d, "tmpfs", 0, "size=4k")
                    serial += 1
                n = mount_count()
                cmds = {k: v for k, v in commands(ctx, "b").items() if k in ok["b"] and k not in TIMING_ONLY}
                out[n] = hyperfine(ctx, f"mounts-{level}", cmds, MOUNT_RUNS)
            with open(result_file, "w") as f:
                json.dump({str(k): v for k, v in out.items()}, f)
            code = 0
        except BaseException as e:  # the child must never return into the parent's code
            print(f"bench: mount growth: {e}", file=sys.stderr, flush=True)
        finally:
            sys.stdout.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise SystemExit("bench: the mount-count measurement failed")
    with open(result_file) as f:
        return {int(k): v for k, v in json.load(f).items()}


# ---------------------------------------------------------------------------
# Memory cgroup demo


def memcg_demo(ctx, ok):
    """A v1 memory cgroup with a small limit; a shell moves itself in and
    execs the runtime, so the runtime, its container and the kernel objects
    they allocate are charged to it. nsinit and crun start the default
    container (c) with /exit42 at each limit, MEMCG_TRIES times: exit 42 is
    a container that ran, 137 an OOM kill. Returns {(limit, runner): result}."""
    root = "/sys/fs/cgroup/memory"
    if not os.path.exists(os.path.join(root, "memory.limit_in_bytes")):
        ctx.notes.append("memory-cgroup demo skipped: no v1 memory controller at /sys/fs/cgroup/memory")
        return None
    out = {}
    for limit in MEMCG_LIMITS:
        for name in ("nsinit", "crun"):
            if name not in ok["c"]:
                continue
            tries = [memcg_try(ctx, root, limit, name, i) for i in range(MEMCG_TRIES)]
            out[(limit, name)] = {
                "ran": sum(t["code"] == 42 for t in tries),
                "codes": sorted({t["code"] for t in tries}),
                "peak": max(t["peak"] for t in tries),
                "oom": sum(t["oom"] for t in tries),
            }
        log(f"memcg {limit}: " + ", ".join(f"{n} ran {r['ran']}/{MEMCG_TRIES} (exit {r['codes']})"
                                           for (lim, n), r in out.items() if lim == limit))
    return out


def memcg_try(ctx, root, limit, name, attempt):
    cg = os.path.join(root, f"{TAG}-memcg-{name}-{limit}-{attempt}")
    # A fresh container id each time: an OOM-killed crun leaves its state behind.
    argv = commands(ctx, "c", "exit42", cid=f"{TAG}-memcg-{limit}-{attempt}")[name]
    os.mkdir(cg)
    try:
        with open(os.path.join(cg, "memory.limit_in_bytes"), "w") as f:
            f.write(limit)
        enter = f'echo $$ > {cg}/cgroup.procs && exec "$@"'
        p = run(["sh", "-c", enter, "sh"] + argv, check=False, timeout=60)
        with open(os.path.join(cg, "memory.max_usage_in_bytes")) as f:
            peak = int(f.read())
        with open(os.path.join(cg, "memory.oom_control")) as f:
            ooms = int(dict(line.split() for line in f).get("oom_kill", 0))
        # The shell execs the runtime, so a signal shows as a negative code.
        code = p.returncode if p.returncode >= 0 else 128 - p.returncode
        return {"code": code, "peak": peak, "oom": ooms}
    finally:
        time.sleep(0.05)  # killed tasks leave the cgroup asynchronously
        remove_cgroup_tree(cg)


# ---------------------------------------------------------------------------
# Plots


def gnuplot_terminal():
    terms = run(["gnuplot", "-e", "set terminal"], check=False)
    text = terms.stdout + terms.stderr
    if "pngcairo" in text:
        return "pngcairo size 800,500 font ',10'", "png"
    return "svg size 800,500", "svg"


# One colour per runner in every plot; nsinit stands out.
COLORS = {"baseline": "#555555", "baseline-oci": "#999999", "nsinit": "#d62728", "nsinit-oci": "#e377c2", "nsinit-same": "#8c564b",
          "crun": "#1f77b4", "runc": "#ff7f0e",
          "bwrap": "#2ca02c", "unshare": "#9467bd"}


def plot(ctx, name, title, xlabel, ylabel, series, xtics=None, logx=False):
    """series: {runner: [(x, y)]} -> bench/NAME.png (or .svg), log-scale y."""
    term, ext = gnuplot_terminal()
    data = os.path.join(ctx.work, f"{name}.dat")
    labels = list(series)
    with open(data, "w") as f:
        for label in labels:
            f.write(f"# {label}\n" + "".join(f"{x} {y}\n" for x, y in series[label]) + "\n\n")
    target = os.path.join(ctx.out, f"{name}.{ext}")
    plots = ", ".join(f'"{data}" index {i} with linespoints lw 2 pt 7 lc rgb "{COLORS.get(label, "black")}" '
                      f'title "{label}"' for i, label in enumerate(labels))
    script = "\n".join([
        f"set terminal {term}",
        f'set output "{target}"',
        f'set title "{title}"',
        f'set xlabel "{xlabel}"',
        f'set ylabel "{ylabel}"',
        "set logscale y",
        "set logscale x" if logx else "",
        f"set xtics ({', '.join(map(str, xtics))})" if xtics else "",
        "set grid",
        "set key outside right",
        f"plot {plots}",
    ])
    run(["gnuplot"], input=script)
    return os.path.basename(target)


# ---------------------------------------------------------------------------
# Report


def machine():
    def first_line(argv):
        p = run(argv, check=False)
        return (p.stdout or p.stderr).strip().splitlines()[0] if (p.stdout or p.stderr).strip() else "?"

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    distro = next((line.split("=", 1)[1].strip().strip('"') for line in open("/etc/os-release")
                   if line.startswith("PRETTY_NAME=")), "?")
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": f"{mem / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "distribution": distro,
        "crun": first_line(["crun", "--version"]),
        "runc": first_line(["runc", "--version"]),
        "bwrap": first_line(["bwrap", "--version"]),
        "unshare": first_line(["unshare", "--version"]),
        "hyperfine": first_line(["hyperfine", "--version"]),
        "strace": first_line(["strace", "-V"]),
        "gcc (baseline, payloads)": first_line(["gcc", "--version"]),
    }


def ms(s):
    return f"{s * 1e3:.3f}"


def targets(timing, res, lifecycle=None):
    """[(target, PASS|MISS, numbers)]."""
    out = []

    def check(what, ok, detail):
        out.append((what, "PASS" if ok else "MISS", detail))

    for kind, peers, title in (("cycle", ("crun", "runc"), "create + start + wait + delete cycle"),
                               ("exec", ("crun",), "exec of a no-op into a running container")):
        t = (lifecycle or {}).get(kind) or {}
        for peer in peers:
            what = f"lifecycle: {title} >= {TARGETS[peer]:g}x faster than {peer}'s"
            if peer not in t or "nsinit" not in t:
                check(what, False, f"{peer if peer not in t else 'nsinit'} did not run")
                continue
            r = t[peer]["median"] / t["nsinit"]["median"]
            check(what, r >= TARGETS[peer], f"{r:.2f}x ({ms(t[peer]['median'])} vs {ms(t['nsinit']['median'])} ms)")

    limit = TARGETS["baseline_ratio"]
    for case in ("a", "b"):
        t = timing[case]
        nsinit, base = t["nsinit"], t["baseline"]
        r = nsinit["median"] / base["median"]
        over = (nsinit["median"] - base["median"]) * 1e6
        # The two passes, each with nsinit next to the baseline in time: when
        # they fall on both sides of the target, the verdict is within noise.
        passes = [n / b for n, b in zip(nsinit["passes"], base["passes"])]
        noise = "; within noise" if min(passes) <= limit < max(passes) else ""
        check(f"case {case}: nsinit <= {limit}x baseline ({BASELINE_MODE[case]})", r <= limit,
              f"{r:.3f}x ({ms(nsinit['median'])} vs {ms(base['median'])} ms, {over:+.0f} us; "
              f"by pass {' / '.join(f'{x:.3f}x' for x in passes)}{noise})")
    for case in ("b", "c"):
        t = timing[case]
        for peer in ("crun", "runc"):
            what = f"case {case}: nsinit run --bundle >= {TARGETS[peer]:g}x faster than {peer} run"
            if peer not in t or "nsinit-oci" not in t:
                check(what, False, f"{peer if peer not in t else 'nsinit run'} did not run")
                continue
            r = t[peer]["median"] / t["nsinit-oci"]["median"]
            floor = ""
            if "baseline-oci" in t:
                # The kernel's work of the same container alone: the ratio
                # a runtime costing nothing of its own would reach.
                best = t[peer]["median"] / t["baseline-oci"]["median"]
                floor = f"; the kernel's work alone (baseline-oci, {ms(t['baseline-oci']['median'])} ms) is {best:.2f}x"
            check(what, r >= TARGETS[peer], f"{r:.2f}x ({ms(t[peer]['median'])} vs {ms(t['nsinit-oci']['median'])} ms{floor})")
        if "nsinit-oci" in t and "nsinit-same" in t:
            # The bundle is runc spec's with a cgroupsPath (as crun and runc
            # get it): against the command line that makes that container.
            r = t["nsinit-oci"]["median"] / t["nsinit-same"]["median"]
            check(f"case {case}: nsinit run --bundle <= {TARGETS['oci_vs_cli']}x nsinit's command line, same container",
                  r <= TARGETS["oci_vs_cli"], f"{r:.3f}x ({ms(t['nsinit-oci']['median'])} vs {ms(t['nsinit-same']['median'])} ms)")
        else:
            check(f"case {case}: nsinit run --bundle <= {TARGETS['oci_vs_cli']}x nsinit's command line, same container",
                  False, "nsinit run or the same container's command line did not run")
        for peer in ("crun", "runc", "bwrap"):
            if peer not in t:
                check(f"case {case}: >= {TARGETS[peer]:g}x faster than {peer}", False, f"{peer} did not run")
                continue
            r = t[peer]["median"] / t["nsinit"]["median"]
            check(f"case {case}: >= {TARGETS[peer]:g}x faster than {peer}", r >= TARGETS[peer],
                  f"{r:.2f}x ({ms(t[peer]['median'])} vs {ms(t['nsinit']['median'])} ms)")
    core = res["size"].get("nsinit core")
    check(f"stripped binary, core alone, <= {TARGETS['size'] // 1024} KiB", bool(core) and core[0] <= TARGETS["size"],
          f"{core[0]} bytes ({core[0] / 1024:.1f} KiB)" if core else "no core build given (NSINIT_CORE)")
    size = res["size"]["nsinit"][0]
    check(f"stripped binary, everything in, <= {TARGETS['size_full'] // 1024} KiB", size <= TARGETS["size_full"],
          f"{size} bytes ({size / 1024:.1f} KiB)")
    hwm = max(v["VmHWM"] for (case, name), v in res["rss"].items() if name == "nsinit")
    check(f"nsinit VmHWM <= {TARGETS['vmhwm_kib']} KiB", hwm <= TARGETS["vmhwm_kib"], f"{hwm} KiB (largest of the cases)")
    oci = [v["VmHWM"] for (case, name), v in res["rss"].items() if name == "nsinit-oci"]
    check(f"nsinit run --bundle VmHWM <= {TARGETS['vmhwm_oci_kib']} KiB", bool(oci) and max(oci) <= TARGETS["vmhwm_oci_kib"],
          f"{max(oci)} KiB (largest of the cases)" if oci else "nsinit run did not run")
    n, _ = res["to_exec"]
    check(f"<= {TARGETS['syscalls_to_exec']} syscalls to the payload's execve (case a)",
          n <= TARGETS["syscalls_to_exec"], f"{n}")
    return out


def extra_syscalls(rows_nsinit, rows_base):
    """Syscalls nsinit makes that the baseline does not: {name: extra calls}."""
    names = set(rows_nsinit) | set(rows_base)
    diff = {n: rows_nsinit.get(n, 0) - rows_base.get(n, 0) for n in names}
    return {n: d for n, d in sorted(diff.items()) if d}


def shown_commands(ctx):
    """The commands of each case with the temporary paths abbreviated."""
    out = {}
    for case in CASES:
        out[case] = {}
        for name, argv in commands(ctx, case).items():
            shown = " ".join(argv).replace(ctx.bin + "/", "").replace(ctx.rootfs, "R")
            shown = re.sub(re.escape(ctx.work) + r"/bundles/\S+", "B", shown)
            out[case][name] = shown.replace(ctx.state, "S")
    return out


def write_results(ctx, r):
    """bench/RESULTS.md from the results dict `r` (see main), one function a section."""
    sections = [report_head, report_summary, report_machine, report_cases, report_latency, report_targets,
                report_resources, report_time_goes, report_growth, report_memcg, report_notes]
    lines = []
    for section in sections:
        lines += section(ctx, r) + [""]
    path = os.path.join(ctx.out, "RESULTS.md")
    kept = kept_sections(path)
    with open(path, "w") as f:
        f.write("\n".join(lines) + kept)


def kept_sections(path):
    """The sections other benches wrote into RESULTS.md at `path` (make
    bench-engines, between its `<!-- NAME: start -->` and `<!-- NAME: end
    -->` markers), to be kept as they are: "" when there are none."""
    try:
        with open(path) as f:
            old = f.read()
    except FileNotFoundError:
        return ""
    return "".join("\n" + m.group(0) for m in re.finditer(r"<!-- (\S+): start -->.*?<!-- \1: end -->\n?", old, re.S))


def report_head(ctx, r):
    return ["# nsinit start-latency benchmark", "",
            f"Generated by `make bench` (bench/run.sh, bench/bench.py) on {datetime.datetime.now():%Y-%m-%d %H:%M} "
            f"in {r['elapsed'] / 60:.1f} min; the next run rewrites this file. Raw hyperfine exports are in "
            "`bench/results/`. Times on a VM are noisy: read the medians and the side-by-side ratios, not "
            "single absolute values."]


def report_summary(ctx, r):
    """The headline: median per runner and case, its ratio to nsinit, and the targets."""
    t = r["timing"]
    out = ["## Summary", "", "Median start time in ms, and (in brackets) × nsinit; details and ratios to the "
           "baseline below.", "",
           "| runner | " + " | ".join(f"({c}) {SHORT[c]}" for c in CASES) + " |",
           "|---|" + "---:|" * len(CASES)]
    for name in RUNNERS:
        cells = [f"{ms(t[c][name]['median'])} ({t[c][name]['median'] / t[c]['nsinit']['median']:.2f}×)"
                 if name in t[c] else "–" for c in CASES]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    misses = [f"{what}: {detail}" for what, verdict, detail in r["verdicts"] if verdict == "MISS"]
    out += ["", f"Targets: {len(r['verdicts']) - len(misses)} of {len(r['verdicts'])} met"
            + (". Missed: " + "; ".join(misses) + "." if misses else ".")]
    return out


def report_machine(ctx, r):
    return ["## Machine", "", "| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in r["info"].items()]


def report_cases(ctx, r):
    out = ["## The cases", "",
           "Every runner starts the same static payload, `/noop` (one `exit_group(0)` system call, "
           "bench/noop.c), from the same generated rootfs (`/noop`, `/exit42`, `/sleep` and empty `proc`, "
           "`dev`, `sys`). runc and crun get OCI bundles of that rootfs made by `runc spec` and edited per "
           "case (root path, args, `terminal: false`, namespaces and mounts) and given "
           "`cgroupsPath: /<container id>`, so that both make their per-container cgroups at the top of each "
           "v1 hierarchy (crun's default; runc's would nest the memory cgroup under the caller's).", "",
           "- **(a) minimal**: uts, pid, ipc and mnt namespaces, a pivot_root into the rootfs, `/proc` only. "
           "For runc/crun the spec keeps only those namespaces and the `/proc` mount, with no masked or "
           "read-only paths and a writable root.",
           "- **(b) default container without a network namespace**: `runc spec`'s container less its "
           "network namespace; nsinit's default with `--share net`.",
           "- **(c) default container**: exactly `runc spec`'s container, which already includes a network "
           "namespace; nsinit's plain default (`--rootfs R /noop`), which also brings `lo` up.", "",
           "So the runc spec default is case (c), not (b): (b) is that default with its network namespace "
           "taken out, and the pair (b)/(c) isolates what a network namespace costs (creating it, "
           "bringing `lo` up, and its teardown, which the kernel partly defers until after the "
           "container has exited).", "",
           "The **baseline** (bench/baseline.c, no libc) does only the kernel work: `clone3` into the "
           "namespaces, `/` rslave, a bind of the rootfs onto itself, the case's mounts, "
           "`pivot_root(\".\", \".\")` and `umount2(\".\", MNT_DETACH)`, the hostname and `lo` where the case "
           "has them, `execve`, `wait4`. Mode `min` is (a); `default` (b) and `default-net` (c) make the "
           "same /dev as nsinit (tmpfs, six host devices bound onto `mknod`ed files, five symlinks, "
           "devpts, a shm tmpfs), /dev/mqueue and a read-only sysfs, with the flags of "
           "`strace -f nsinit --rootfs R /noop`, then the least privilege of nsinit's default container: "
           "runc's masked paths (an empty read-only tmpfs or /dev/null) and read-only paths (bound onto "
           "themselves, `mount_setattr` read-only), the bounding set cut to runc's 14 capabilities "
           "(a prctl each), `capget`/`capset`, `close_range` of stray descriptors, no_new_privs and a "
           "seccomp filter: nsinit's default one itself, read back from a default container "
           f"({getattr(ctx, 'filter_insns', '?')} instructions, with PTRACE_SECCOMP_GET_FILTER), so the same "
           "decisions for every ABI at the same cost. Mount points are plain paths under the rootfs"
           + (", whereas nsinit looks each one up with `openat2(RESOLVE_IN_ROOT)` and mounts on the "
              "descriptor (from it as the working directory) so that a symlink in the rootfs cannot lead a "
              "mount onto the host: that hardening counts as nsinit's overhead"
              if "openat2" in r["res"]["rows"].get(("b", "nsinit"), {}) else "")
           + ". Nor does the baseline set up nsinit's safety net (a pipe and PR_SET_PDEATHSIG so that "
           "the container dies with it).", "",
           "The **baseline-oci** runner is that baseline placed, as the OCI runners place the bundle's "
           "container, in the cgroup named by the bundle's `cgroupsPath` (`--cgroup`): on v1 a directory in "
           "each of the pids, memory, cpu, cpuset (CPUs and memory nodes copied from the parent) and "
           "devices hierarchies (deny all, then runc's default device list), joined by the container "
           "before its `execve` and removed after the payload ended; on v2 the one directory. Its median "
           "is the kernel's work of the bundle's container, so `crun / baseline-oci` and `runc / "
           "baseline-oci` are the best ratios any runtime could reach against them here.", "",
           "What the others do beyond that, to read the ratios fairly:", "",
           "- **runc, crun** (b, c) do the whole OCI default: on top of nsinit's mounts a read-only cgroup "
           "mount on `/sys/fs/cgroup`, masked and read-only `/proc` paths, a read-only remount of the root, "
           "capabilities, rlimits and no_new_privs, but no seccomp filter (`runc spec` has none; nsinit's "
           "default installs one); in every case they also create and remove a cgroup per "
           "container in each v1 hierarchy, and in (a), with no /dev mount, they create the default device "
           "nodes in the rootfs's /dev. runc also re-executes itself (`runc init`).",
           "- **bwrap** has no sysfs mount (a read-only bind of the host's `/sys` stands in), `--dev` plus "
           "`--tmpfs /dev/shm` and `--mqueue`; with `--unshare-pid` it keeps an extra process as the "
           "container's PID 1.",
           "- **unshare(1)** only makes the namespaces and mounts /proc: `--root` is a `chroot`, not a "
           "pivot_root, and it has no /dev, /sys, mqueue or hostname options, so in (b) and (c) it does much "
           "less than the others: it is there for scale, not as a like-for-like peer.", "",
           "Commands (R is the generated rootfs, B the case's bundle, S a state directory in the bench's "
           "temporary tree):", ""]
    for case in CASES:
        out.append(f"- ({case})")
        out += [f"  - {name}: `{shown}`" for name, shown in r["shown"][case].items()]
    return out


def report_latency(ctx, r):
    out = ["## Start latency", "",
           f"hyperfine -N (no shell); all commands of a case in one invocation. hyperfine times one command "
           "after the other, so every command is listed twice in mirrored order (baseline, nsinit, crun, runc, "
           "bwrap, unshare, unshare, bwrap, ..., baseline) and the two passes are pooled, which cancels a "
           f"steady drift of the machine; each pass has {WARMUP} warm-up runs, then {RUNS} timed runs. "
           "Any non-zero exit fails the bench; before timing, every "
           "runner started `/exit42` and had to pass 42 back. Ratios are of pooled medians from the same "
           "invocation (× nsinit > 1: slower than nsinit); the medians of the two passes show how steady the "
           "machine was.", ""]
    for case, title in CASES.items():
        t = r["timing"][case]
        out += [f"### ({case}) {title}", "",
                "| runner | median ms | p25–p75 ms | pass 1 / pass 2 ms | runs | × nsinit | × baseline |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for name in RUNNERS:
            if name in t:
                s = t[name]
                out.append(f"| {name} | {ms(s['median'])} | {ms(s['q1'])}–{ms(s['q3'])} | "
                           f"{' / '.join(ms(x) for x in s['passes'])} | {s['runs']} | "
                           f"{s['median'] / t['nsinit']['median']:.2f} | {s['median'] / t['baseline']['median']:.2f} |")
            elif (case, name) in r["failed"]:
                out.append(f"| {name} | did not run: {r['failed'][(case, name)][:80]} | | | | | |")
        out.append("")
    return out


def report_targets(ctx, r):
    out = ["## Targets", "", "| target | result | numbers |", "|---|---|---|"]
    out += [f"| {what} | **{verdict}** | {detail} |" for what, verdict, detail in r["verdicts"]]
    misses = [v for v in r["verdicts"] if v[1] == "MISS"]
    if misses:
        out += ["", "Misses, by how much, and where the time goes:", ""]
        out += [f"- {what}: {detail}. {explain_miss(what, r)}" for what, _, detail in misses]
    return out


def report_resources(ctx, r):
    res = r["res"]
    out = ["## Size, memory, system calls", "",
           "Stripped size: `strip -o` of the binary that runs (a dynamic binary's libraries not counted). "
           "VmHWM: peak RSS of the runtime's own process (the one started, not runc init, bwrap's PID 1 or "
           "the payload), read from /proc/PID/status while the static payload `/sleep` runs. System calls: "
           "`strace -f -c` total for one start, from the runtime's exec to the payload's exit, helper "
           "processes included.", "",
           "Page faults: minor faults per start (`getrusage(RUSAGE_CHILDREN)` over 30 starts: the runtime, "
           "its helpers and the payload).", "",
           "| runner | stripped bytes | linking | VmHWM KiB (a / b / c) | syscalls (a / b / c) | page faults (a / b / c) |",
           "|---|---:|---|---:|---:|---:|"]
    for name in RUNNERS:
        size, link = res["size"][name]
        rss = " / ".join(str(res["rss"][(c, name)]["VmHWM"]) if (c, name) in res["rss"] else "–" for c in CASES)
        calls = " / ".join(str(res["syscalls"].get((c, name), "–")) for c in CASES)
        faults = " / ".join(f"{res['faults'][(c, name)]:.0f}" if (c, name) in res["faults"] else "–" for c in CASES)
        out.append(f"| {name} | {size} | {link} | {rss} | {calls} | {faults} |")
    if "nsinit core" in res["size"]:
        size, link = res["size"]["nsinit core"]
        out.append(f"| nsinit core (`--no-default-features`: no init, cgroups, user namespaces, "
                   f"security, bench; size only) | {size} | {link} | | | |")
    mem = [(c, res["rss"][(c, "nsinit")]) for c in CASES if (c, "nsinit") in res["rss"]]
    out += ["", "nsinit's memory while the payload runs, VmHWM = file-backed (its text; the kernel maps "
                "the pages around each fault, so all of the code in the mapping counts: nsinit keeps its "
                "#[cold] code in a mapping of its own, linker/nsinit.ld) + anonymous (of which stack): "
                + "; ".join(f"({c}) {m['VmHWM']} = {m['RssFile']} + {m['RssAnon']} ({m['stack']}) KiB"
                            for c, m in mem) + "."]
    n, calls = res["to_exec"]
    out += ["", f"nsinit on (a), from its first instruction to the payload's `execve`, both of its processes: "
                f"**{n} system calls**: {', '.join(calls)}."]
    return out


def report_time_goes(ctx, r):
    t = r["timing"]
    us = lambda x: f"{x * 1e6:+.0f} us"  # noqa: E731
    gap = "; ".join(f"({c}) {us(t[c]['nsinit']['median'] - t[c]['baseline']['median'])}" for c in CASES)
    net = lambda n: t["c"][n]["median"] - t["b"][n]["median"]  # noqa: E731
    f = lambda n, c: r["res"]["faults"][(c, n)]  # noqa: E731
    extra_faults = max(f("nsinit", c) - f("baseline", c) for c in CASES)
    out = ["## Where nsinit's time goes", "",
           f"Untraced, from the medians above: nsinit minus the baseline, i.e. nsinit's own cost on top of "
           f"the kernel's work: {gap}. The network namespace, (c) minus (b): baseline {us(net('baseline'))}, "
           f"nsinit {us(net('nsinit'))}: kernel work that every runner pays. Minor page faults per start, "
           "nsinit / baseline: " + "; ".join(f"({c}) {f('nsinit', c):.0f} / {f('baseline', c):.0f}" for c in CASES)
           + ": each fault is a trap, costly in a VM"
           + ("; nsinit's extra faults are consistent with its larger stack and static buffers (see the "
              "memory breakdown above), touched before `clone3` and then copied on write in both processes."
              if extra_faults > 5 else "."), "",
           ] + report_steps(r) + [
           "System calls nsinit makes beyond the baseline's, per start (count difference, from the "
           "`strace -f -c` runs above):", ""]
    rows = r["res"]["rows"]
    for case in CASES:
        extra = extra_syscalls(rows[(case, "nsinit")], rows[(case, "baseline")])
        out.append(f"- ({case}) " + (", ".join(f"{n} {d:+d}" for n, d in extra.items()) or "none"))
    return out


def report_steps(r):
    """nsinit's --timings, one column per case."""
    steps = r.get("steps")
    if not steps:
        return ["(This nsinit has no `--timings`: no per-step breakdown.)", ""]
    # In the order of the case with the most steps, (c); then any others.
    names = list(dict.fromkeys(n for case in reversed(CASES) for n in steps[case]))
    out = ["`nsinit --timings` (its own CLOCK_MONOTONIC stamps around each step, untraced; median µs of "
           "200 starts per case, separate from the hyperfine runs; `clone3` includes creating the "
           "namespaces, `execve` is timed from the host side and includes the payload's start):", "",
           "| step | " + " | ".join(f"({c})" for c in CASES) + " |", "|---|" + "---:|" * len(CASES)]
    for n in names:
        out.append(f"| {n} | " + " | ".join(f"{steps[c][n]:.1f}" if n in steps[c] else "" for c in CASES) + " |")
    return out + [""]


def report_growth(ctx, r):
    conc, mounts = r["conc"], r["mounts"]
    out = ["## Growth", "", "### Containers started at once (case b)", "",
           f"![starts per second]({r['plots']['concurrency']})", "",
           "K containers started together (posix_spawn from bench/burst.c), all waited for, repeated; starts "
           f"per second over the whole run. runc and crun get a container id and bundle of their own per start. This "
           f"machine has {os.cpu_count()} cores.", "",
           "| runner | " + " | ".join(f"{k} at once" for k in CONCURRENCY) + " |",
           "|---|" + "---:|" * len(CONCURRENCY)]
    for name in RUNNERS:
        if (name, 1) in conc:
            out.append(f"| {name} | " + " | ".join(f"{conc[(name, k)]:.0f}/s" for k in CONCURRENCY) + " |")
    levels = sorted(mounts)
    out += ["", "### The mount count (case b)", "", f"![start time against mount count]({r['plots']['mounts']})", "",
            "Extra tmpfs mounts made in a private mount namespace of the bench (the host's mount table is "
            "untouched); the count is the lines of /proc/self/mountinfo the runner starts from (the host "
            f"itself has {levels[0]}). Median ms, one hyperfine invocation per level, mirrored as above "
            f"({MOUNT_RUNS} runs per pass).", "",
            "| runner | " + " | ".join(f"{n} mounts" for n in levels) + f" | {levels[-1]} vs {levels[0]} |",
            "|---|" + "---:|" * (len(levels) + 1)]
    for name in RUNNERS:
        if all(name in mounts[n] for n in levels):
            m = [mounts[n][name]["median"] for n in levels]
            out.append(f"| {name} | " + " | ".join(ms(x) for x in m) + f" | {m[-1] / m[0]:.2f}x |")
    return out


def report_memcg(ctx, r):
    memcg = r["memcg"]
    out = ["## Memory cgroup", ""]
    if memcg is None:
        return out + ["Skipped: no v1 memory controller."]
    names = [n for n in ("nsinit", "crun") if any(k[1] == n for k in memcg)]
    out += ["A v1 memory cgroup per attempt with `memory.limit_in_bytes` set; a shell writes its PID to "
            "`cgroup.procs` and execs the runtime, which starts the default container (c) with `/exit42`. "
            f"{MEMCG_TRIES} attempts per limit; exit 42 means the container ran, 137 that the OOM killer "
            "ended the runtime. Peak is the largest `memory.max_usage_in_bytes` (user and kernel memory of "
            "everything in the cgroup, namespaces included). The cgroups are removed afterwards. crun moves "
            "its container into a cgroup of its own (its cgroupsPath), so the limit holds crun's own "
            "process and what it allocates before the move; nsinit makes no cgroups, so its whole "
            "container stays in the limited cgroup and is charged too. Pages of the runtimes' files "
            "already in the page cache stay charged to whoever read them first, so a limit weighs mostly "
            "anonymous and kernel memory.", "",
            "| limit | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for limit in MEMCG_LIMITS:
        cells = []
        for n in names:
            m = memcg[(limit, n)]
            cells.append(f"ran {m['ran']}/{MEMCG_TRIES} (exit {', '.join(map(str, m['codes']))}; "
                         f"{m['oom']} OOM kills; peak {m['peak'] // 1024} KiB)")
        out.append(f"| {limit} | " + " | ".join(cells) + " |")
    return out + ["", memcg_summary(memcg)]


def report_notes(ctx, r):
    out = ["## Notes", ""] + [f"- {note}" for note in ctx.notes]
    left = r["left"]
    out.append("- The host was left as found (mount table, cgroups, cgroup2 controllers, runc/crun state "
               "directories, temporary directories): " + ("yes." if not left else "NO: " + "; ".join(left)))
    return out


def explain_miss(what, r):
    """A sentence on where the time of a missed target goes."""
    t = r["timing"]
    if "baseline" in what:
        case = what.split()[1].rstrip(":")
        extra = extra_syscalls(r["res"]["rows"][(case, "nsinit")], r["res"]["rows"][(case, "baseline")])
        text = ("That is nsinit's own work on top of the kernel's: its extra system calls ("
                + (", ".join(f"{n} {d:+d}" for n, d in extra.items()) or "none")
                + f"), {r['res']['faults'][(case, 'nsinit')] - r['res']['faults'][(case, 'baseline')]:.0f} "
                "more page faults per start")
        steps = (r.get("steps") or {}).get(case, {})
        own = {k: v for k, v in steps.items() if k in ("parse", "prepare", "parent-death signal")}
        if own:
            text += (", and steps the baseline does not have, by `--timings`: "
                     + ", ".join(f"{k} {v:.0f} us" for k, v in own.items()))
        return text + "; see 'Where nsinit's time goes'."
    if "nsinit run --bundle >=" in what:
        case, peer = what.split()[1].rstrip(":"), what.split()[-2]
        if "baseline-oci" not in t[case]:
            return ""
        base, oci = t[case]["baseline-oci"]["median"], t[case]["nsinit-oci"]["median"]
        best = t[case][peer]["median"] / base
        text = (f"The bundle's container costs the kernel {ms(base)} ms by itself (baseline-oci: the baseline "
                f"placed in the same v1/v2 cgroups, made, joined and removed by raw system calls); nsinit run "
                f"is at {oci / base:.2f}x that")
        if best < TARGETS[peer]:
            text += (f". A runtime with no cost of its own would be {best:.2f}x faster than {peer}: the target "
                     "is below this host's floor")
        return text + "."
    if "faster than" in what:
        case = what.split()[1].rstrip(":")
        own = t[case]["nsinit"]["median"] / t[case]["baseline"]["median"]
        text = (f"nsinit itself is at {own:.2f}x the baseline here, so the time is the kernel's work, which "
                "every runner pays and which shrinks every ratio")
        if case == "c":
            net = t["c"]["baseline"]["median"] - t["b"]["baseline"]["median"]
            text += (f": the network namespace alone costs {net * 1e6:.0f} us (baseline (c) minus (b)), "
                     f"{net / t['c']['nsinit']['median'] * 100:.0f}% of nsinit's (c) median")
        return text + "."
    if "VmHWM" in what:
        return "See the breakdown under 'Size, memory, system calls'."
    return ""


def memcg_summary(memcg):
    """The limits at which nsinit always ran and crun never did."""
    split = [lim for lim in MEMCG_LIMITS if memcg.get((lim, "nsinit"), {}).get("ran") == MEMCG_TRIES
             and memcg.get((lim, "crun"), {}).get("ran", 1) == 0]
    if split:
        return f"**Result:** at {', '.join(split)} nsinit starts the container every time and crun never does."
    return "**Result:** no limit in this sweep let nsinit run every time while crun never did."


def print_summary(timing, verdicts):
    print()
    for case, title in CASES.items():
        t = timing[case]
        print(f"({case}) {title}")
        print(f"  {'runner':9} {'median ms':>10} {'x nsinit':>9} {'x baseline':>11}")
        for name in RUNNERS:
            if name in t:
                s = t[name]["median"]
                print(f"  {name:9} {ms(s):>10} {s / t['nsinit']['median']:>9.2f} {s / t['baseline']['median']:>11.2f}")
    print()
    for what, verdict, detail in verdicts:
        print(f"{verdict:4}  {what}: {detail}")
    print()


def measure(ctx):
    """Every measurement, in order; returns the results dict the report reads."""
    repo = os.path.dirname(BENCH_DIR)
    commit = run(["git", "-C", repo, "rev-parse", "--short", "HEAD"], check=False)
    version = run([ctx.nsinit, "--version"]).stdout.strip()
    if commit.returncode == 0:
        changed = run(["git", "-C", repo, "status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock"],
                      check=False).stdout.strip()
        version += f" (commit {commit.stdout.strip()}{', with uncommitted changes to src' if changed else ''})"
    r = {"info": {"nsinit": version} | machine()}
    with cgroup2_emptied(ctx):
        ok, r["failed"] = check_runners(ctx)
        r["timing"] = time_cases(ctx, ok)
        r["res"] = measure_resources(ctx, ok)
        r["steps"] = nsinit_steps(ctx)
        r["conc"] = concurrency(ctx, ok)
        r["mounts"] = mount_growth(ctx, ok)
        r["memcg"] = memcg_demo(ctx, ok)
    conc, mounts = r["conc"], r["mounts"]
    r["plots"] = {
        "concurrency": plot(ctx, "concurrency", "Starts per second, K containers started at once (case b)",
                            "containers started at once", "starts per second",
                            {n: [(k, conc[(n, k)]) for k in CONCURRENCY] for n in RUNNERS if (n, 1) in conc},
                            xtics=CONCURRENCY, logx=True),
        "mounts": plot(ctx, "mounts", "Median start time against the mount count (case b)",
                       "mounts in the runner's mount namespace", "median start time (ms)",
                       {n: [(c, mounts[c][n]["median"] * 1e3) for c in sorted(mounts)]
                        for n in RUNNERS if all(n in mounts[c] for c in mounts)}, xtics=sorted(mounts), logx=True),
    }
    with cgroup2_emptied(ctx):
        r["lifecycle"] = lifecycle_timing(ctx)
    r["verdicts"] = targets(r["timing"], r["res"], r["lifecycle"])
    r["shown"] = shown_commands(ctx)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nsinit", required=True, help="the nsinit binary to measure")
    ap.add_argument("--core", help="nsinit built without its optional features, for its size")
    ap.add_argument("--out", default=BENCH_DIR, help="where RESULTS.md, plots and results/ go")
    ap.add_argument("--quick", action="store_true",
                    help="a few runs of everything: checks the bench itself, its numbers mean little")
    args = ap.parse_args()
    if args.quick:
        global RUNS, WARMUP, MOUNT_RUNS, BURST_STARTS, BURST_STARTS_DEFAULT
        RUNS, WARMUP, MOUNT_RUNS = 20, 2, 10
        BURST_STARTS, BURST_STARTS_DEFAULT = {}, 16
    if os.geteuid() != 0:
        raise SystemExit("bench: must run as root (namespaces, mounts, cgroups)")
    started = time.monotonic()
    for stale in our_cgroups():  # from an earlier, killed run
        remove_cgroup_tree(stale)
    before = host_state()
    work = tempfile.mkdtemp(prefix="nsinit-bench.")
    ctx = Ctx(work, os.path.abspath(args.nsinit), os.path.abspath(args.out),
              os.path.abspath(args.core) if args.core else None)
    results = os.path.join(ctx.out, "results")
    shutil.rmtree(results, ignore_errors=True)  # exports of an earlier run
    os.makedirs(results)
    try:
        build_helpers(ctx)
        make_rootfs(ctx)
        build_baseline(ctx)
        r = measure(ctx)
    finally:
        shutil.rmtree(ctx.state, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        for stale in our_cgroups():
            remove_cgroup_tree(stale)
        # Even `crun --version` creates /run/crun: remove such empty state
        # directories when they were not there before.
        for d, entries in before["state_dirs"].items():
            if entries is None and os.path.isdir(d) and not os.listdir(d):
                os.rmdir(d)
    r["left"] = diff_state(before, host_state())
    r["elapsed"] = time.monotonic() - started
    # Kept, so that a report that fails to write can be written again
    # (bench.py --report) without measuring again.
    with open(os.path.join(results, "measured.pickle"), "wb") as f:
        pickle.dump((r, ctx), f)
    write_results(ctx, r)
    print_summary(r["timing"], r["verdicts"])
    log(f"wrote {os.path.join(ctx.out, 'RESULTS.md')} in {r['elapsed'] / 60:.1f} min")
    if r["left"]:
        log("WARNING: the host was not left as found: " + "; ".join(r["left"]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
