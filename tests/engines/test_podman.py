"""podman 4.3 and conmon running the busybox image on nsinit (issue 15),
each scenario side by side with runc (the `runtime` fixture).

podman runs with state of its own under a temporary directory (--root,
--runroot, --tmpdir, and a containers.conf named by CONTAINERS_CONF), the
cgroupfs manager (no systemd here) and the file events backend. Each
scenario names its runtime with `--runtime PATH`; one shows that nsinit
also works as a runtime named in containers.conf's [engine.runtimes].
The module's teardown removes the containers, the image store, the CNI
bridge and the firewall chains podman made, and checks they are gone.
"""

import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CTRL_C, INTERRUPTIBLE, NSINIT, host_ulimits, need, on_terminal, run, wait_for

# podman's own RLIMIT_NPROC when it starts a container: podman lowers
# its soft and hard nproc limit to this (seen in /proc/PID/limits of the
# runtime it runs), so a container may not ask for more.
PODMAN_NPROC = 32768

# The default network of this module's private CNI configuration: a
# name, bridge and subnet of its own, so nothing of the host's is used.
NETWORK = "nsinit-test"
SUBNET = "10.89.77.0/24"
BRIDGE = "cni-podman0"

def firewall_chains():
    """The CNI chains and rules in the host's iptables (`iptables-save`
    lines that name one), as a set of (table, line)."""
    save = shutil.which("iptables-save")
    if save is None:
        return set()
    found, table = set(), None
    for line in subprocess.run([save], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("*"):
            table = line[1:]
        elif "CNI" in line:
            found.add((table, line))
    return found


# The rules the CNI firewall plugin makes once for every network on the
# host, with its chains: shared with any other CNI user (containerd's CRI).
FIREWALL_BASE = {
    '-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD',
    '-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN',
}


def remove_firewall_chains(made):
    """Deletes the (table, line) pairs of `made` that podman left: the
    rules (`-A CHAIN ...`) first, then their chains (`:CHAIN ...`); only
    when they are the firewall plugin's bare chains, which no other CNI
    user (a container of another engine) is using at the moment."""
    if any(line.startswith("-A CNI-") and line not in FIREWALL_BASE for _, line in firewall_chains()):
        return
    for table, line in made:
        if line.startswith("-A "):
            run(["iptables", "-t", table, "-D", *shlex.split(line)[1:]], check=False)
    for table, line in made:
        if line.startswith(":"):
            run(["iptables", "-t", table, "-X", line[1:].split()[0]], check=False)


def links(*selector):
    """The names of the host's network interfaces (`selector`: `ip link
    show`'s, e.g. `master BRIDGE`)."""
    out = run(["ip", "-o", "link", "show", *selector]).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


def ours(line):
    """Whether an iptables line names this module's network or subnet."""
    return NETWORK in line or SUBNET.rsplit(".", 1)[0] + "." in line


class Podman:
    """podman with this module's private state and configuration."""

    def __init__(self, base, env):
        self.base = base
        self.env = env
        self.argv = [
            need("podman", "podman"),
            "--root", str(base / "root"),
            "--runroot", str(base / "run"),
            "--tmpdir", str(base / "tmp"),
            "--storage-driver", "vfs",
        ]

    def __call__(self, runtime, *args, check=True, timeout=60, cwd=None, **kw):
        """Runs `podman --runtime RUNTIME ARGS` to its end (output captured),
        in `cwd` (default: the state directory: conmon leaves a file there
        on an OOM kill)."""
        argv = self.argv + ["--runtime", runtime, *map(str, args)]
        return run(argv, check=check, timeout=timeout, env=self.env, cwd=cwd or self.base, **kw)

    def inspect(self, runtime, name, fmt):
        """`podman inspect --format FMT NAME`, stripped."""
        return self(runtime, "inspect", "--format", fmt, name).stdout.strip()

    def exists(self, runtime, name):
        """Whether container `name` exists."""
        return self(runtime, "container", "exists", name, check=False).returncode == 0


@contextlib.contextmanager
def podman_engine(base, rootfs_tar):
    """podman with a private store and containers.conf in directory `base`,
    the busybox image imported as `bb`; torn down (containers, bridge,
    firewall chains) at the end, which fails if anything is left."""
    need("conmon", "conmon")
    need("ip", "iproute2")
    catatonit = need("catatonit", "catatonit")
    (base / "cni").mkdir()
    nofile, nproc = host_ulimits()
    nproc = min(nproc, PODMAN_NPROC)
    conf = base / "containers.conf"
    conf.write_text(f"""\
[containers]
# podman asks nofile=1048576 and nproc=1048576 by default; the tool harness
# runs without CAP_SYS_RESOURCE, so no runtime may raise a hard limit above
# the caller's: the host's own limits, which any runtime can give.
default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]
init_path = "{catatonit}"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{base}/events.log"

[engine.runtimes]
nsinit = ["{NSINIT}"]

[network]
network_backend = "cni"
network_config_dir = "{base}/cni"
cni_plugin_dirs = ["/usr/lib/cni"]
default_network = "{NETWORK}"
default_subnet = "{SUBNET}"
""")
    env = dict(os.environ, CONTAINERS_CONF=str(conf))
    p = Podman(base, env)
    bridge_before = BRIDGE in links()
    chains_before = firewall_chains()
    cni_state = Path("/var/lib/cni")
    cni_state_existed = cni_state.exists()
    try:
        p("runc", "import", "--change", "ENV=PATH=/bin:/usr/bin", rootfs_tar, "bb")
        yield p
    finally:
        p("runc", "rm", "--all", "--force", "--time", "0", check=False)
        p("runc", "rmi", "--all", "--force", check=False)
        # podman leaves the default network's bridge, the CNI firewall
        # plugin's chains (CNI-FORWARD, CNI-ADMIN) and CNI's state of the
        # network behind: remove them (not what another CNI user has there).
        if BRIDGE in links() and not bridge_before:
            run(["ip", "link", "delete", BRIDGE])
        remove_firewall_chains(firewall_chains() - chains_before)
        shutil.rmtree(cni_state / "networks" / NETWORK, ignore_errors=True)
        for result in (cni_state / "results").glob(f"{NETWORK}-*"):
            result.unlink()
        if not cni_state_existed:
            for d in [cni_state / "networks", cni_state / "results", cni_state]:
                try:
                    d.rmdir()
                except OSError:
                    pass  # not empty: another CNI user's state
        left = []
        if BRIDGE in links() and not bridge_before:
            left.append(f"the bridge {BRIDGE}")
        made = firewall_chains() - chains_before
        in_use = any(line.startswith("-A CNI-") and line not in FIREWALL_BASE for _, line in firewall_chains())
        # The plugin's bare chains stay only while another CNI user has rules in them.
        if any(ours(line) for _, line in made) or (made and not in_use):
            left.append(f"iptables {sorted(made)}")
        if (cni_state / "networks" / NETWORK).exists() or list((cni_state / "results").glob(f"{NETWORK}-*")):
            left.append(f"CNI state of {NETWORK} in {cni_state}")
        mounts = [line for line in Path("/proc/self/mountinfo").read_text().splitlines() if str(base) in line]
        if mounts:
            left.append(f"mounts {mounts}")
        if left:
            pytest.fail("podman left on the host: " + "; ".join(left))


@pytest.fixture(scope="module")
def podman(tmp_path_factory, rootfs_tar):
    """The module's podman (podman_engine)."""
    with podman_engine(tmp_path_factory.mktemp("podman"), rootfs_tar) as p:
        yield p


def name_of(request, runtime):
    """A container name unique to this test and runtime."""
    return re.sub(r"[^a-zA-Z0-9_.-]", "-", f"{request.node.originalname}-{runtime[0]}")


class Detached:
    """A container started with `podman run -d`, removed (forced) at the end."""

    def __init__(self, podman, runtime, name, *args):
        self.podman, self.runtime, self.name = podman, runtime[1], name
        podman(self.runtime, "rm", "--force", "--time", "0", name, check=False)
        podman(self.runtime, "run", "-d", "--name", name, *args)

    def __call__(self, *args, **kw):
        return self.podman(self.runtime, *args, **kw)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.podman(self.runtime, "rm", "--force", "--time", "0", self.name, check=False)

    def logs(self):
        p = self("logs", self.name)
        return p.stdout + p.stderr

    def status(self):
        return self.podman.inspect(self.runtime, self.name, "{{.State.Status}}")


# 1. run --rm: exit statuses, missing and non-executable payloads, removal.


@pytest.mark.parametrize(
    "argv, status",
    [
        (["bb", "true"], 0),
        (["bb", "sh", "-c", "exit 3"], 3),
        # PID 1 of a PID namespace ignores signals it has no handler for:
        # in the host's, the shell dies of SIGTERM and podman says 128+15.
        (["--pid", "host", "bb", "sh", "-c", "kill -TERM $$"], 128 + 15),
        (["bb", "/no/such/payload"], 127),
        (["bb", "/etc/passwd"], 126),
    ],
    ids=["zero", "three", "sigterm", "not-found", "not-executable"],
)
def test_run_rm_exit_status(podman, runtime, request, argv, status):
    name = name_of(request, runtime)
    p = podman(runtime[1], "run", "--rm", "--network", "none", "--name", name, *argv, check=False)
    assert p.returncode == status, f"{runtime[0]}: {argv}: exit {p.returncode}, want {status}\n{p.stderr}"
    assert not podman.exists(runtime[1], name), f"{runtime[0]}: {name} still exists after run --rm"


def test_named_runtime(podman):
    """nsinit named in containers.conf's [engine.runtimes]: `--runtime nsinit`."""
    p = podman("nsinit", "run", "--rm", "--network", "none", "bb", "sh", "-c", "echo named; exit 4", check=False)
    assert (p.returncode, p.stdout) == (4, "named\n"), p.stderr
    # The runtime podman used is the one named, at the path given there.
    name = "named-runtime"
    with Detached(podman, ("nsinit", "nsinit"), name, "--network", "none", "bb", "sleep", "1000") as c:
        assert podman.inspect("nsinit", name, "{{.OCIRuntime}}") == "nsinit"
        assert c("exec", name, "true").returncode == 0


# 2. stdin, a terminal, logs.


def test_stdin(podman, runtime):
    p = podman(runtime[1], "run", "--rm", "-i", "--network", "none", "bb", "sh", "-c", "cat; echo end", input="data from stdin\n")
    assert p.stdout == "data from stdin\nend\n"


# The payload's line that prints its tty and, once it has one, the pty's
# size: podman 4.3 writes no consoleSize in config.json, and conmon sizes
# the pty when podman has attached, which can be after the payload starts
# (a runtime that starts it sooner sees 0 by 0 first, runc too at times).
SIZED = 'tty; for i in $(seq 100); do s=$(stty size 2>/dev/null) && [ "$s" != "0 0" ] && break; sleep 0.05; done; echo "$s"; '


def test_terminal(podman, runtime):
    status, out = on_terminal(
        podman.argv + ["--runtime", runtime[1], "run", "--rm", "-it", "--network", "none", "bb", "sh", "-c", SIZED + "exit 5"],
        podman.env, podman.base,
    )
    assert status == 5, out
    assert re.search(r"^/dev/pts/\d+\r?$", out, re.M), out
    assert re.search(r"^30 100\r?$", out, re.M), out


def test_terminal_ctrl_c(podman, runtime):
    """Ctrl-C at podman's terminal: the payload, in its terminal's
    foreground process group, gets SIGINT."""
    status, out = on_terminal(
        podman.argv + ["--runtime", runtime[1], "run", "--rm", "-it", "--network", "none", "bb", "sh", "-c", INTERRUPTIBLE],
        podman.env, podman.base, timeout=20, keys=CTRL_C,
    )
    assert status == 9 and "got INT" in out, out


def test_logs(podman, runtime, request):
    name = name_of(request, runtime)
    with Detached(podman, runtime, name, "--network", "none", "bb", "sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 2") as c:
        assert c("wait", name).stdout.strip() == "2"
        p = c("logs", name)
        assert p.stdout == "to-stdout\n" and p.stderr == "to-stderr\n", (p.stdout, p.stderr)


# 3. exec into a running container.


def test_exec(podman, runtime, request):
    name = name_of(request, runtime)
    with Detached(podman, runtime, name, "--network", "none", "bb", "sleep", "1000") as c:
        p = c("exec", name, "sh", "-c", "echo in; cat /proc/1/cmdline; exit 6", check=False)
        assert p.returncode == 6, p.stderr
        assert p.stdout == "in\nsleep\x001000\x00"
        p = c("exec", "-i", name, "cat", input="through exec\n")
        assert p.stdout == "through exec\n"
        p = c("exec", "--user", "65534", "--workdir", "/tmp", "--env", "E=v", name, "sh", "-c", "id -u; pwd; echo $E")
        assert p.stdout == "65534\n/tmp\nv\n"


def test_exec_terminal(podman, runtime, request):
    name = name_of(request, runtime)
    with Detached(podman, runtime, name, "--network", "none", "bb", "sleep", "1000"):
        status, out = on_terminal(
            podman.argv + ["--runtime", runtime[1], "exec", "-it", name, "sh", "-c", SIZED + "exit 7"],
            podman.env, podman.base, rows=24, cols=81,
        )
        assert status == 7, out
        assert re.search(r"^/dev/pts/\d+\r?$", out, re.M), out
        assert re.search(r"^24 81\r?$", out, re.M), out


def test_exec_detached(podman, runtime, request):
    name = name_of(request, runtime)
    with Detached(podman, runtime, name, "--network", "none", "bb", "sleep", "1000") as c:
        c("exec", "-d", name, "sh", "-c", "sleep 0.2; echo done > /tmp/mark")
        wait_for("exec -d's mark", lambda: c("exec", name, "cat", "/tmp/mark", check=False).stdout == "done\n")


# 4. stop, kill, restart.

# A payload that says when it is ready and exits 0 on SIGTERM.
TERM_EXITS = "trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.1; done"
# A payload that ignores SIGTERM (and says so on SIGUSR1).
TERM_IGNORED = "trap '' TERM; trap 'echo got USR1' USR1; echo ready; while :; do sleep 0.1; done"


def test_stop(podman, runtime, request):
    name = name_of(request, runtime)
    with Detached(podman, runtime, name, "--network", "none", "bb", "sh", "-c", TERM_EXITS) as c:
        wait_for("the payload's trap", lambda: "ready" in c.logs())
        c("stop", "--time", "20", name)
        assert podman.inspect(runtime[1], name, "{{.State.ExitCode}}") == "0"
        assert "got TERM" in c.logs()


def test_stop_term_ignored(podman, runtime, request):
    name = name_of(request, runtime)
    with Detached(podman, runtime, name, "--network", "none", "bb", "sh", "-c", TERM_IGNORED) as c:
        wait_for("the payload's trap", lambda: "ready" in c.logs())
        start = time.monotonic()
        c("stop", "--time", "2", name)
        took = time.monotonic() - start
        assert 2 <= took < 15, f"stop took {took:.1f} s"
        assert podman.inspect(runtime[1], name, "{{.State.ExitCode}}") == "137"


def test_kill_signal(podman, runtime, request):
    name = name_of(request, runtime)
    with Detached(podman, runtime, name, "--network", "none", "bb", "sh", "-c", TERM_IGNORED) as c:
        wait_for("the payload's trap", lambda: "ready" in c.logs())
        c("kill", "--signal", "USR1", name)
        wait_for("USR1 in the payload", lambda: "got USR1" in c.logs())
        assert c.status() == "running"
        c("kill", name)
        assert c("wait", name).stdout.strip() == "137"


def test_restart(podman, runtime, request):
    name = name_of(request, runtime)
    with Detached(podman, runtime, name, "--network", "none", "bb", "sh", "-c", "echo start >> /starts; sleep 1000") as c:
        pid = podman.inspect(runtime[1], name, "{{.State.Pid}}")
        c("restart", "--time", "0", name)
        assert c.status() == "running"
        assert podman.inspect(runtime[1], name, "{{.State.Pid}}") != pid
        assert c("exec", name, "cat", "/starts").stdout == "start\nstart\n"


# 5. pause and unpause, update.


def test_pause(podman, runtime, request):
    name = name_of(request, runtime)
    counter = "i=0; while :; do i=$((i+1)); echo $i; sleep 0.02; done"
    with Detached(podman, runtime, name, "--network", "none", "bb", "sh", "-c", counter) as c:
        lines = lambda: len(c.logs().split())
        wait_for("the counter", lambda: lines() > 3)
        c("pause", name)
        assert c.status() == "paused"
        paused = lines()
        time.sleep(0.5)  # the counter would have written ~25 lines meanwhile
        assert lines() == paused, "the counter advanced while paused"
        c("unpause", name)
        assert c.status() == "running"
        wait_for("the counter after unpause", lambda: lines() > paused + 3)


def cgroup_file(pid, controller, file):
    """The path of cgroup v1 `controller`'s `file` for process `pid`."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return Path(f"/sys/fs/cgroup/{controllers}{path}") / file
    pytest.fail(f"process {pid} is in no {controller} cgroup")


def test_update(podman, runtime, request):
    """podman 4.3 has `update` (cgroup resources of a running container)."""
    assert "update" in podman(runtime[1], "--help").stdout
    name = name_of(request, runtime)
    with Detached(podman, runtime, name, "--network", "none", "--cpus", "0.5", "bb", "sleep", "1000") as c:
        pid = podman.inspect(runtime[1], name, "{{.State.Pid}}")
        quota = cgroup_file(pid, "cpu", "cpu.cfs_quota_us")
        assert quota.read_text().strip() == "50000"
        c("update", "--cpus", "0.25", name)
        assert quota.read_text().strip() == "25000"


# 6. limits.


def test_memory_oom(podman, runtime, request, tmp_path):
    """An OOM kill in the container's memory cgroup, as podman sees it.

    conmon 2.1.6 watches the memory cgroup of the container's process
    (memory.oom_control through cgroup.event_control) and on an OOM kill
    writes a file `oom` in its working directory, which is podman's. podman
    4.3 looks for it in the bundle (conmon once ran there), so its
    .State.OOMKilled stays false here with every runtime, runc's too: the
    test checks conmon's file instead, which needs the runtime to have put
    the payload in the memory cgroup podman asked for."""
    name = name_of(request, runtime)
    p = podman(runtime[1], "run", "--name", name, "--network", "none", "--memory", "32m", "--memory-swap", "32m",
               "bb", "dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1", check=False, cwd=tmp_path)
    try:
        assert p.returncode == 137, p.stderr
        assert (tmp_path / "oom").exists(), "conmon saw no OOM kill in the container's memory cgroup"
        assert podman.inspect(runtime[1], name, "{{.HostConfig.Memory}}") == str(32 << 20)
    finally:
        podman(runtime[1], "rm", "--force", name, check=False)


def test_pids_limit(podman, runtime):
    p = podman(runtime[1], "run", "--rm", "--network", "none", "--pids-limit", "5", "bb",
               "sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; echo forked all", check=False)
    # busybox sh gives up (status 2) at the fork the pids cgroup refuses.
    assert (p.returncode, p.stdout) == (2, ""), (p.returncode, p.stdout, p.stderr)
    assert "can't fork" in p.stderr, p.stderr


def test_cpus(podman, runtime, request):
    name = name_of(request, runtime)
    with Detached(podman, runtime, name, "--network", "none", "--cpus", "1.5", "bb", "sleep", "1000"):
        pid = podman.inspect(runtime[1], name, "{{.State.Pid}}")
        assert cgroup_file(pid, "cpu", "cpu.cfs_quota_us").read_text().strip() == "150000"
        assert cgroup_file(pid, "cpu", "cpu.cfs_period_us").read_text().strip() == "100000"


# 7. networks.


def test_network_none(podman, runtime):
    p = podman(runtime[1], "run", "--rm", "--network", "none", "bb", "sh", "-c", "ls /sys/class/net")
    assert p.stdout.split() == ["lo"]


def test_default_network(podman, runtime, request):
    """A server in one container reached from another by its address on
    podman's default network (CNI here: a bridge, host-local addresses,
    the firewall plugin); the containers' veths go with them."""
    need("iptables", "iptables")
    server = name_of(request, runtime) + "-server"
    serve = "mkdir /www && echo hello from $(hostname) > /www/index.html && exec httpd -f -p 8080 -h /www"
    with Detached(podman, runtime, server, "--hostname", "srv", "bb", "sh", "-c", serve) as c:
        ip = podman.inspect(runtime[1], server, "{{.NetworkSettings.IPAddress}}")
        prefix = SUBNET.rsplit(".", 1)[0] + "."
        assert ip.startswith(prefix), f"address {ip!r} not in {SUBNET}"
        assert BRIDGE in links()
        fetch = f"for i in $(seq 100); do wget -q -O- http://{ip}:8080/ && exit 0; sleep 0.1; done; exit 1"
        p = c("run", "--rm", "bb", "sh", "-c", fetch)
        assert p.stdout == "hello from srv\n"
    veths = links("master", BRIDGE)
    assert not veths, f"interfaces left on {BRIDGE} after the containers: {veths}"
    left = [line for _, line in firewall_chains() if ours(line)]
    assert not left, f"iptables rules of the containers left: {left}"


# 8. security and process options.


def test_read_only(podman, runtime):
    """--read-only: the root read-only, /tmp a tmpfs (runc's tmpcopyup);
    --tmpfs /etc: a tmpfs with the image's /etc copied up into it."""
    p = podman(runtime[1], "run", "--rm", "--network", "none", "--read-only", "--tmpfs", "/etc", "bb",
               "sh", "-c", "touch /tmp/ok && echo tmp writable; touch /x || echo root read-only; "
               "head -1 /etc/passwd; touch /etc/new && echo etc writable; awk '$2 == \"/etc\" {print $3}' /proc/mounts")
    assert p.stdout == "tmp writable\nroot read-only\nroot:x:0:0:root:/root:/bin/sh\netc writable\ntmpfs\n", p.stderr
    assert "Read-only file system" in p.stderr


def test_user_workdir_env(podman, runtime):
    p = podman(runtime[1], "run", "--rm", "--network", "none", "--user", "65534:65534", "--workdir", "/tmp",
               "--env", "GREETING=hello world", "bb", "sh", "-c", 'id -u; id -g; pwd; echo "$GREETING"')
    assert p.stdout == "65534\n65534\n/tmp\nhello world\n"


def cap_eff(podman, runtime, *options):
    """CapEff of the payload run with `options`, as an int."""
    p = podman(runtime[1], "run", "--rm", "--network", "none", *options, "bb", "grep", "CapEff", "/proc/self/status")
    return int(p.stdout.split()[1], 16)


def test_capabilities(podman, runtime):
    CHOWN, KILL, NET_RAW, SYS_ADMIN = 0, 5, 13, 21
    assert cap_eff(podman, runtime, "--cap-drop", "ALL", "--cap-add", "NET_RAW") == 1 << NET_RAW
    default = cap_eff(podman, runtime)
    assert default & (1 << CHOWN) and default & (1 << KILL) and not default & (1 << SYS_ADMIN)
    assert cap_eff(podman, runtime, "--cap-drop", "CHOWN") == default & ~(1 << CHOWN)
    assert cap_eff(podman, runtime, "--cap-add", "SYS_ADMIN") == default | (1 << SYS_ADMIN)


def test_seccomp_profile(podman, runtime, tmp_path):
    profile = tmp_path / "no-mkdir.json"
    profile.write_text(json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
    }))
    p = podman(runtime[1], "run", "--rm", "--network", "none", "--security-opt", f"seccomp={profile}", "bb",
               "sh", "-c", "touch /tmp/file && echo touched; mkdir /tmp/dir || echo refused", check=False)
    assert p.stdout == "touched\nrefused\n", p.stderr
    assert "Operation not permitted" in p.stderr


def test_privileged(podman, runtime):
    bounding = int(re.search(r"^CapBnd:\s*(\w+)$", Path("/proc/self/status").read_text(), re.M).group(1), 16)
    assert cap_eff(podman, runtime, "--privileged") == bounding
    devices = [d for d in ["/dev/loop-control", "/dev/kmsg", "/dev/fuse"] if Path(d).exists()]
    assert devices, "the host has none of the devices this test looks for"
    p = podman(runtime[1], "run", "--rm", "--network", "none", "--privileged", "bb",
               "sh", "-c", "ls " + " ".join(devices) + "; grep -w sysfs /proc/mounts")
    assert sorted(p.stdout.split()[:len(devices)]) == sorted(devices), p.stderr
    assert " rw," in p.stdout.splitlines()[-1], "sysfs is read-only under --privileged"


def test_init(podman, runtime):
    p = podman(runtime[1], "run", "--rm", "--network", "none", "--init", "bb",
               "sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline; echo; echo $$; exit 9", check=False)
    assert p.returncode == 9, p.stderr
    init, pid = p.stdout.splitlines()
    assert init.startswith("/run/podman-init -- sh"), init
    assert pid != "1"


# 9. user namespaces: --userns=auto, and podman without root.

# The subordinate ids the tests give podman: /etc/subuid and /etc/subgid
# are bound over by private copies in a mount namespace of the test's own
# (unshare -m), so the host's files are never changed.
SUBIDS = "containers:200000:100000\nnobody:300000:65536\n"


def with_subids(podman, argv):
    """`argv` in a new mount namespace where /etc/subuid and /etc/subgid
    hold SUBIDS (the host's stay as they are)."""
    need("unshare", "util-linux")
    subids = podman.base / "subids"
    subids.write_text(SUBIDS)
    os.chmod(subids, 0o644)
    script = f'mount --bind {subids} /etc/subuid && mount --bind {subids} /etc/subgid || exit 99; exec "$@"'
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *map(str, argv)]


def test_userns_auto(podman, runtime):
    """--userns=auto: podman picks ids from `containers`' subordinate ones."""
    argv = podman.argv + ["--runtime", runtime[1], "run", "--rm", "--network", "none", "--userns=auto:size=65536", "bb",
                          "sh", "-c", "cat /proc/self/uid_map; id -u; stat -c %u /etc/passwd"]
    p = run(with_subids(podman, argv), env=podman.env, cwd=podman.base)
    lines = p.stdout.split("\n")
    assert lines[0].split() == ["0", "200000", "65536"], p.stdout
    assert lines[1:3] == ["0", "0"], "root in the container, the image's files its own"


def test_rootless(podman, runtime, rootfs_tar, tmp_path_factory):
    """podman run by an unprivileged user (nobody, with subordinate ids):
    podman makes the user namespace with newuidmap, the runtime runs as
    its root without cgroups (v1: none delegated) or a /run of its own."""
    need("newuidmap", "uidmap")
    need("setpriv", "util-linux")
    home = tmp_path_factory.mktemp("rootless")
    os.chmod(home.parent, 0o755)
    os.chmod(home, 0o755)
    shutil.copy(rootfs_tar, home / "rootfs.tar")
    (home / "xdg").mkdir(mode=0o700)
    conf = (podman.base / "containers.conf").read_text().split("[network]")[0].replace(str(podman.base), str(home))
    (home / "containers.conf").write_text(conf)
    run(["chown", "-R", "65534:65534", str(home)])
    as_nobody = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "env",
                 f"HOME={home}", f"XDG_RUNTIME_DIR={home}/xdg", f"CONTAINERS_CONF={home}/containers.conf",
                 need("podman", "podman"), "--root", f"{home}/root", "--runroot", f"{home}/run", "--tmpdir", f"{home}/tmp",
                 "--storage-driver", "vfs", "--runtime", runtime[1]]
    try:
        run(with_subids(podman, as_nobody + ["import", "--change", "ENV=PATH=/bin:/usr/bin", f"{home}/rootfs.tar", "bb"]), cwd=home)
        p = run(with_subids(podman, as_nobody + ["run", "--rm", "--network", "none", "bb",
                                                  "sh", "-c", "cat /proc/self/uid_map; id -u; exit 3"]), check=False, cwd=home)
        assert p.returncode == 3, p.stderr
        maps = [line.split() for line in p.stdout.splitlines()[:2]]
        assert maps == [["0", "65534", "1"], ["1", "300000", "65536"]], p.stdout
        assert p.stdout.splitlines()[2] == "0"
    finally:
        # vfs layers hold files of the subordinate ids: removed as nobody,
        # in its user namespace.
        run(with_subids(podman, as_nobody + ["system", "reset", "--force"]), check=False, cwd=home)
        shutil.rmtree(home, ignore_errors=True)
