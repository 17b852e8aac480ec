#!/usr/bin/env python3
"""Container starts under the engines people use (podman, Docker,
containerd's ctr, a CRI pod) with nsinit, crun and runc as their runtime,
side by side in one run: the engine's wall time, and the runtime's own
share of it. Run by `make bench-engines`, as root, with the engine tests'
venv (pytest and grpcio: the engines are set up and torn down by the same
code as tests/engines). Writes its section of bench/RESULTS.md (between the
`bench-engines` markers; `make bench` keeps it), bench/engines.png and
bench/results/engines.json.

The runtime's own share comes from bench/timed.c: each engine runs a
wrapper in place of the runtime binary, which runs the runtime and logs
each call's command word, start and duration (CLOCK_MONOTONIC). The calls
that fall within one engine command's window are that start's runtime
time. The wrapper's own fork and exec are in it, the same for every
runtime. The engine's hooks (Docker's libnetwork-setkey) run through the
wrapper too, and their time is taken out: it is the engine's binary's.

The runtimes take turns in every round (the order rotates), so the
machine's drift falls on all of them alike; the first rounds of each
engine are warm-up and not counted.
"""

import argparse
import contextlib
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT / "tests" / "engines"), str(BENCH)]

import pytest  # noqa: E402  (pytest.fail is how the engine setup reports)

import bench as core  # noqa: E402  (the plots' terminal and colours)
import conftest  # noqa: E402
from conftest import need, rootfs_tarball  # noqa: E402

RUNTIMES = ["nsinit", "crun", "runc"]
# The engines, in the order they run and are reported.
ENGINES = ["podman", "docker", "docker-host", "ctr", "cri"]
WHAT = {
    "podman": "`podman run --rm --network none IMAGE true`",
    "docker": "`docker run --rm --network none IMAGE true`: Docker gives a container with a network "
              "namespace a prestart hook (libnetwork-setkey, dockerd's own binary), which the runtime runs and "
              "waits for in `create`: the wrapper times it apart, and it is taken out of the runtime's own time "
              "(the `hook` row below)",
    "docker-host": "`docker run --rm --network host IMAGE true`: no network namespace, so no hook",
    "ctr": "`ctr run --rm IMAGE ID true`",
    "cri": "a CRI pod: RunPodSandbox, CreateContainer, StartContainer (`sleep`)",
}
# What timed.c logs a hook it ran as (see its time_hooks).
HOOK = "hook"
TARGET_SHARE = 5.0  # crun's own time ÷ nsinit's, per engine (issue 15)
START_MARK = "<!-- bench-engines: start -->"
END_MARK = "<!-- bench-engines: end -->"


def log(msg):
    print(f"bench-engines: {msg}", file=sys.stderr, flush=True)


def wrappers(work, paths):
    """bench/timed.c built once per runtime, in work/bin/NAME/NAME (named
    as the runtime: podman picks crun's features by its name), logging to
    work/logs/NAME.log: {name: (wrapper, log)}. crun's runs without the
    cgroup2 tree of a hybrid host, which crun 1.8 refuses."""
    cc = need("gcc", "gcc")
    hybrid = os.path.ismount("/sys/fs/cgroup/unified")
    out = {}
    for name, path in paths.items():
        (work / "bin" / name).mkdir(parents=True)
        (work / "logs").mkdir(exist_ok=True)
        wrapper, log_path = work / "bin" / name / name, work / "logs" / f"{name}.log"
        flags = ["-DHIDE_UNIFIED"] if name == "crun" and hybrid else []
        subprocess.run([cc, "-O2", f'-DRUNTIME="{path}"', f'-DLOG="{log_path}"', *flags, "-o", str(wrapper),
                        str(BENCH / "timed.c")], check=True)
        out[name] = (str(wrapper), log_path)
    return out


def calls(log_path):
    """The runtime calls a wrapper logged: [(command, start ns, duration ns)]."""
    if not log_path.exists():
        return []
    out = []
    for line in log_path.read_text().splitlines():
        command, start, took = line.split()
        out.append((command, int(start), int(took)))
    return out


def own_time(log_path, t0, t1):
    """The runtime's time within the window [t0, t1] (ns), and its calls
    there: [(command, ns within the window)]. The engine's hooks, which the
    runtime runs and waits for within its calls, are the engine's binaries'
    time, not the runtime's: timed.c logs each as `hook`, and it is taken
    out of the total (and listed as `hook`)."""
    total, seen = 0, []
    for command, start, took in calls(log_path):
        overlap = min(start + took, t1) - max(start, t0)
        if overlap > 0:
            total += -overlap if command == HOOK else overlap
            seen.append((command, overlap))
    return total, seen


# ---------------------------------------------------------------------------
# One start per engine. Each takes (an ExitStack that ends the engine, a
# directory of its own, the image tarball, the wrappers) and returns
# (start, after): start(runtime name) starts a container and returns once
# the engine reports it started (run --rm: once it has ended and is
# removed); after(), or None, removes what is left, untimed.


def podman_start(stack, d, tar, wrapped):
    from test_podman import podman_engine
    need("podman", "podman")
    p = stack.enter_context(podman_engine(d, tar))

    def start(rt):
        p(wrapped[rt][0], "run", "--rm", "--network", "none", "bb", "true")
    return start, None


def docker_start(stack, d, tar, wrapped, network="none"):
    from test_docker import IMAGE, docker_engine
    need("dockerd", "docker.io")
    # "runc" is dockerd's own runtime's name, which daemon.json may not take.
    daemon = stack.enter_context(docker_engine(d, {f"timed-{rt}": w for rt, (w, _) in wrapped.items()}, None))
    daemon.cli("import", "--change", "ENV PATH=/bin:/usr/bin", str(tar), IMAGE)
    if network == "host":
        # dockerd binds the host's network namespace there for its host
        # network's sandbox and leaves it when it stops: unmounted before
        # (an ExitStack ends the last entered first).
        default = d / "exec" / "netns" / "default"
        stack.callback(lambda: os.path.ismount(default) and subprocess.run(["umount", str(default)], check=True))

    def start(rt):
        daemon.cli("run", "--rm", "--runtime", f"timed-{rt}", "--network", network, IMAGE, "true")
    return start, None


def ctr_start(stack, d, tar, wrapped):
    from test_containerd import Ctr, ctr_engine
    e = stack.enter_context(ctr_engine(d, tar))
    clients = {rt: Ctr(e, (rt, w)) for rt, (w, _) in wrapped.items()}

    def start(rt):
        clients[rt].run("true", check=True)
    return start, None


def cri_start(stack, d, tar, wrapped):
    from test_cri import Pod, cri_engine
    e = stack.enter_context(cri_engine(d, tar, {rt: w for rt, (w, _) in wrapped.items()}))
    logs = d / "pod-logs"
    logs.mkdir()
    pods = []

    def start(rt):
        pod = Pod(e, rt, logs)
        pods.append(pod)
        pod.container("c", ["sleep", "1000"])

    def after():
        while pods:
            pods.pop().remove()
    return start, after


STARTERS = {
    "podman": podman_start,
    "docker": docker_start,
    "docker-host": lambda *a: docker_start(*a, network="host"),
    "ctr": ctr_start,
    "cri": cri_start,
}


def measure(engine, start, after, wrapped, rounds, warmup):
    """`rounds` starts per runtime, the runtimes taking turns (the order
    rotates each round), after `warmup` rounds not counted: {runtime:
    [{"wall": ns, "own": ns, "calls": [(command, ns)...]}]}."""
    out = {rt: [] for rt in wrapped}
    order = list(wrapped)
    for n in range(warmup + rounds):
        for rt in order[n % len(order):] + order[:n % len(order)]:
            t0 = time.monotonic_ns()
            start(rt)
            t1 = time.monotonic_ns()
            if after:
                after()
            time.sleep(0.05)  # a --rm's last calls end before the next start
            if n >= warmup:
                own, seen = own_time(wrapped[rt][1], t0, t1)
                out[rt].append({"wall": t1 - t0, "own": own, "calls": seen})
        log(f"{engine}: round {n + 1} of {warmup + rounds}{' (warm-up)' if n < warmup else ''}")
    return out


def summarize(samples):
    """Medians (ms) of one engine's samples per runtime, and the calls a
    start makes: {command: (calls, median ms a start spends in them)}."""
    out = {}
    for rt, runs in samples.items():
        walls = sorted(r["wall"] / 1e6 for r in runs)
        owns = sorted(r["own"] / 1e6 for r in runs)
        commands = sorted({c for r in runs for c, _ in r["calls"]})
        counted = {}
        for command in commands:
            n = statistics.median(sum(1 for c, _ in r["calls"] if c == command) for r in runs)
            spent = statistics.median(sum(ns for c, ns in r["calls"] if c == command) / 1e6 for r in runs)
            counted[command] = (n, spent)
        out[rt] = {
            "wall": statistics.median(walls),
            "wall_q": (walls[len(walls) // 4], walls[(3 * len(walls)) // 4]),
            "own": statistics.median(owns),
            "own_q": (owns[len(owns) // 4], owns[(3 * len(owns)) // 4]),
            "calls": counted,
        }
    return out


# ---------------------------------------------------------------------------
# Report


def plot(work, results, out_dir):
    """bench/engines.png (or .svg): the medians per engine, clustered by runtime."""
    term, ext = core.gnuplot_terminal()
    term = re.sub(r"size \d+,\d+", "size 1000,450", term)
    data = work / "engines.dat"
    with open(data, "w") as f:
        for engine in results:
            s = results[engine]
            f.write(engine + " " + " ".join(f"{s[rt]['wall']:.2f}" for rt in RUNTIMES) + " "
                    + " ".join(f"{s[rt]['own']:.2f}" for rt in RUNTIMES) + "\n")
    target = out_dir / f"engines.{ext}"

    def bars(first):
        return ", ".join(f'"{data}" using {first + i}{":xtic(1)" if i == 0 else ""} title "{rt}" '
                         f'lc rgb "{core.COLORS[rt]}"' for i, rt in enumerate(RUNTIMES))
    script = "\n".join([
        f"set terminal {term}",
        f'set output "{target}"',
        'set multiplot layout 1,2 title "Starting a container through an engine (medians, make bench-engines)"',
        "set style data histograms",
        "set style histogram clustered gap 1",
        "set style fill solid 0.9 border -1",
        "set boxwidth 0.9",
        "set grid ytics",
        "set yrange [0:*]",
        "set key top left",
        'set ylabel "ms"',
        'set title "the engine\'s start, wall time"',
        f"plot {bars(2)}",
        'set title "the runtime\'s own time in it"',
        f"plot {bars(2 + len(RUNTIMES))}",
        "unset multiplot",
    ])
    core.run(["gnuplot"], input=script)
    return target.name


def section(results, meta, picture):
    """The markdown of the engines section, markers included."""
    def ms(x):
        return f"{x:.1f}"
    out = [START_MARK, "## Under the engines (make bench-engines)", "",
           f"Generated by `make bench-engines` (bench/engines.py) on {meta['date']} in {meta['minutes']:.1f} min: "
           f"{meta['rounds']} starts per engine and runtime, the runtimes taking turns, after {meta['warmup']} "
           "warm-up rounds; the next run rewrites this section (`make bench` keeps it). Raw samples: "
           "`bench/results/engines.json`.", "",
           "What each engine start is:", ""]
    out += [f"- {engine}: {WHAT[engine]}" for engine in results]
    def table(title, key, cell, digits):
        """A table of `key` per engine and runtime, with crun's and runc's ratios to nsinit."""
        rows = ["", f"### {title}", "", "| engine | " + " | ".join(RUNTIMES) + " | crun ÷ nsinit | runc ÷ nsinit |",
                "|---|" + "---:|" * (len(RUNTIMES) + 2)]
        for engine, s in results.items():
            ratios = " | ".join(f"{s[peer][key] / s['nsinit'][key]:.{digits}f}×" for peer in ("crun", "runc"))
            rows.append(f"| {engine} | " + " | ".join(cell(s[rt]) for rt in RUNTIMES) + f" | {ratios} |")
        return rows
    out += table("The engine's start: wall time, median ms (p25–p75)", "wall",
                 lambda r: f"{ms(r['wall'])} ({ms(r['wall_q'][0])}–{ms(r['wall_q'][1])})", 2)
    out += table("The runtime's own time in that start: median ms, and its share of the wall time", "own",
                 lambda r: f"{ms(r['own'])} ({100 * r['own'] / r['wall']:.0f} %)", 1)
    out += ["", "### Targets (issue 15)", ""]
    for engine, s in results.items():
        faster = s["nsinit"]["wall"] < s["crun"]["wall"]
        share = s["crun"]["own"] / s["nsinit"]["own"]
        out.append(f"- {engine}: start faster with nsinit than with crun: {'met' if faster else 'MISSED'} "
                   f"({ms(s['nsinit']['wall'])} vs {ms(s['crun']['wall'])} ms); the runtime's own time "
                   f"≥ {TARGET_SHARE:.0f}× smaller than crun's: {'met' if share >= TARGET_SHARE else 'MISSED'} ({share:.1f}×)")
    out += ["", "### Where the runtime's time goes: its calls in one start, and their median ms", "",
            "| engine | command | calls | " + " | ".join(RUNTIMES) + " |", "|---|---|---:|" + "---:|" * len(RUNTIMES)]
    for engine, s in results.items():
        for command, (n, _) in s["nsinit"]["calls"].items():
            label = "hook (the engine's, taken out)" if command == HOOK else command
            out.append(f"| {engine} | {label} | {n:g} | " + " | ".join(
                ms(s[rt]["calls"].get(command, (0, 0))[1]) for rt in RUNTIMES) + " |")
    out += ["", f"![engine starts]({picture})", "",
            "Notes:", "",
            "- The engines are set up by tests/engines' own code, each with private state; podman and Docker "
            "start containers without a network of the engine's (`--network none`, or `host`: the network is "
            "the engine's work, the same for every runtime), the CRI pods on a CNI bridge of their own.",
            "- The runtime's own time is the wall time of its calls that fall in the start's window, from "
            "bench/timed.c (a wrapper the engine runs in place of the runtime): the wrapper's fork and exec "
            "are in it, for every runtime alike. The engine's hooks are timed apart: the wrapper rewrites "
            "each hook of the bundle's config.json, before its clock starts, to run through itself, and the "
            "hooks' time is taken out of the runtime's (`create` above still holds it). " + meta["crun_note"],
            f"- Host: {meta['host']}; the host was left as found (engines' own checks, and the mount table): "
            + ("yes." if not meta["left"] else "NO: " + "; ".join(meta["left"])),
            END_MARK]
    return "\n".join(out) + "\n"


def write_section(path, text):
    """Puts `text` in place of the marked section of `path`, or at its end."""
    old = path.read_text() if path.exists() else ""
    marked = re.compile(re.escape(START_MARK) + ".*?" + re.escape(END_MARK) + "\n?", re.S)
    if marked.search(old):
        new = marked.sub(lambda _: text, old, count=1)
    else:
        new = old.rstrip("\n") + "\n\n" + text if old else text
    path.write_text(new)


@contextlib.contextmanager
def on_tmpfs(d):
    """Directory `d` with a tmpfs mounted on it while the bench runs: the
    engines keep their runtime's state in /run as they ship, a tmpfs, and
    a disk under the work tree would time its syncs (a state file synced
    on ext4 took 1 to 15 ms)."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700,size=8g", "nsbe", str(d)], check=True)
    try:
        yield d
    finally:
        subprocess.run(["umount", str(d)], check=True)


def mount_points():
    return sorted(line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nsinit", default=str(conftest.NSINIT), help="the nsinit binary")
    ap.add_argument("--rounds", type=int, default=30, help="starts counted per engine and runtime")
    ap.add_argument("--warmup", type=int, default=2, help="rounds first, not counted")
    ap.add_argument("--engines", default=",".join(ENGINES), help="which, comma-separated: " + ",".join(ENGINES))
    ap.add_argument("--out", default=str(BENCH), help="where RESULTS.md, engines.png and results/ are")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench-engines: must run as root: the engines start real containers", file=sys.stderr)
        return 1
    engines = args.engines.split(",")
    unknown = [e for e in engines if e not in STARTERS]
    if unknown or args.rounds < 1 or args.warmup < 0:
        print(f"bench-engines: engines are {','.join(ENGINES)} (not {unknown}); --rounds >= 1, --warmup >= 0", file=sys.stderr)
        return 2
    began = time.monotonic()
    out_dir = Path(args.out)
    (out_dir / "results").mkdir(parents=True, exist_ok=True)  # gnuplot writes to stdout when it can't open its output
    mounts_before = mount_points()
    results, raw = {}, {}
    try:
        need("gnuplot", "gnuplot-nox")
        paths = {"nsinit": str(Path(args.nsinit).resolve()), "crun": need("crun", "crun"), "runc": need("runc", "runc")}
        if not Path(paths["nsinit"]).is_file():
            pytest.fail(f"{paths['nsinit']} not found: run make build")
        with tempfile.TemporaryDirectory(prefix="nsbe-") as tmp, on_tmpfs(Path(tmp)) as work:
            wrapped = wrappers(work, paths)
            (work / "image").mkdir()
            tar = rootfs_tarball(work / "image")
            for engine in engines:
                log(f"{engine}: starting it")
                with contextlib.ExitStack() as stack:
                    (work / engine).mkdir()
                    start, after = STARTERS[engine](stack, work / engine, tar, wrapped)
                    raw[engine] = measure(engine, start, after, wrapped, args.rounds, args.warmup)
                results[engine] = summarize(raw[engine])
            picture = plot(work, results, out_dir)
    except pytest.fail.Exception as failure:
        print(f"bench-engines: {failure}", file=sys.stderr)
        return 1
    left = [f"mount {m}" for m in sorted(set(mount_points()) - set(mounts_before))]
    meta = {
        "date": f"{datetime.datetime.now():%Y-%m-%d %H:%M}",
        "minutes": (time.monotonic() - began) / 60,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "left": left,
        "host": f"{os.uname().release}, {os.cpu_count()} CPUs, "
                + ("hybrid cgroups (v1 controllers, cgroup2 at /sys/fs/cgroup/unified)"
                   if os.path.ismount("/sys/fs/cgroup/unified") else "cgroup v2"),
        "crun_note": ("crun's wrapper first moves it to a mount namespace of its own without "
                      "/sys/fs/cgroup/unified (crun 1.8 refuses this hybrid host otherwise), before its clock starts."
                      if os.path.ismount("/sys/fs/cgroup/unified") else ""),
    }
    (out_dir / "results" / "engines.json").write_text(json.dumps({"meta": meta, "samples": raw}, indent=1))
    write_section(out_dir / "RESULTS.md", section(results, meta, picture))
    for engine, s in results.items():
        log(f"{engine}: " + ", ".join(f"{rt} {s[rt]['wall']:.1f} ms (own {s[rt]['own']:.1f})" for rt in RUNTIMES))
    log(f"wrote {out_dir / 'RESULTS.md'} in {meta['minutes']:.1f} min")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
