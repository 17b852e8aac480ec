"""Docker 20.10 (docker.io) runs the busybox image on nsinit, each scenario
side by side with runc (issue 15).

A private dockerd per module: its data, exec root, socket, pid file and
daemon.json under a temporary directory, its own containerd (started here,
so that a system containerd at /run/containerd is never used), cgroupfs
under a cgroup parent of its own, and a bridge of its own made here
(docker's iptables and ip_forward left off: containers on one bridge reach
each other without them, and the host's firewall is not touched). nsinit is
registered with `--add-runtime nsinit=PATH`; runc is dockerd's built-in
runtime `runc` (containerd's runc v2 shim with the runc in PATH), so
`docker run --runtime NAME` names either. The teardown stops dockerd and containerd and
checks that nothing of theirs is left: processes, mounts, the bridge,
iptables chains DOCKER*, cgroups.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CTRL_C, INTERRUPTIBLE, host_ulimits, need, on_terminal, run, runtime_path, wait_for

# A bridge and subnet no one else here uses (interface names are at most
# 15 bytes); the cgroup parent every container of this dockerd goes under.
BRIDGE = "nsdk%d" % (os.getpid() % 100000)
SUBNET = "10.217.46"
CGROUP_PARENT = "nsinit-docker-%d" % os.getpid()
IMAGE = "nsinit-busybox"
CGROUP = Path("/sys/fs/cgroup")


def docker_client():
    """docker.io's own client: a newer one elsewhere in PATH (a static
    docker 28 in /usr/local/bin here) speaks another API version."""
    path = Path("/usr/bin/docker")
    if not path.is_file():
        pytest.fail("/usr/bin/docker not found: apt-get install docker.io")
    return str(path)


def mounts_under(d):
    """Mount points at or under directory `d`, deepest first."""
    prefix = str(d)
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].replace("\\040", " ")
            if point == prefix or point.startswith(prefix + "/"):
                points.append(point)
    return sorted(points, key=len, reverse=True)


def cgroups_of(parent):
    """Directories named `parent` in every cgroup hierarchy."""
    found = []
    for hierarchy in CGROUP.iterdir():
        if (hierarchy / parent).is_dir():
            found.append(hierarchy / parent)
    return found


def remove_cgroup(top):
    """Removes cgroup directory `top` and those under it, deepest first."""
    for sub in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        sub.rmdir()
    top.rmdir()


def iptables_docker_chains():
    """DOCKER* chains of any iptables table (docker's, had it made any)."""
    chains = []
    if shutil.which("iptables") is None:
        return chains
    for table in ["filter", "nat"]:
        p = subprocess.run(["iptables", "-t", table, "-S"], capture_output=True, text=True)
        chains += [f"{table}: {line}" for line in p.stdout.splitlines() if line.startswith("-N DOCKER")]
    return chains


class Daemon:
    """A private dockerd (with its own containerd) under directory `d`."""

    def __init__(self, d, runtimes_in_json, bridge):
        self.d = d
        self.docker = docker_client()
        self.sock = d / "docker.sock"
        self.bridge = bridge
        self.procs = []
        for sub in ["data", "exec", "containerd", "client"]:
            (d / sub).mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ, DOCKER_CONFIG=str(d / "client"))
        self.env.pop("DOCKER_HOST", None)
        self.containerd_sock = d / "containerd" / "containerd.sock"
        (d / "containerd" / "config.toml").write_text(
            "version = 2\n"
            f'root = "{d}/containerd/root"\n'
            f'state = "{d}/containerd/state"\n'
            # CRI is the containerd helper's concern; dockerd uses only tasks.
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
            "[grpc]\n"
            f'  address = "{self.containerd_sock}"\n'
            "[debug]\n"
            '  level = "debug"\n'
            '[plugins."io.containerd.internal.v1.opt"]\n'
            f'  path = "{d}/containerd/opt"\n'
        )
        nofile, nproc = host_ulimits()
        # dockerd 20.10 makes /etc/docker/key.json otherwise.
        config = {"deprecated-key-path": str(d / "key.json")}
        if runtimes_in_json:
            config["runtimes"] = {name: {"path": path} for name, path in runtimes_in_json.items()}
        (d / "daemon.json").write_text(json.dumps(config))
        self.argv = [
            need("dockerd", "docker.io"),
            "--data-root", str(d / "data"),
            "--exec-root", str(d / "exec"),
            "--pidfile", str(d / "pid"),
            "-H", f"unix://{self.sock}",
            "--config-file", str(d / "daemon.json"),
            "--containerd", str(self.containerd_sock),
            "--exec-opt", "native.cgroupdriver=cgroupfs",
            "--cgroup-parent", "/" + CGROUP_PARENT,
            # The tool harness runs without CAP_SYS_RESOURCE: no runtime may
            # raise a hard limit above the caller's, and dockerd's defaults
            # (nofile 1048576) are above them; the host's own limits work.
            "--default-ulimit", f"nofile={nofile}:{nofile}",
            "--default-ulimit", f"nproc={nproc}:{nproc}",
            # The host's firewall and forwarding stay as they are.
            "--iptables=false", "--ip-forward=false", "--ip-masq=false",
            "--bridge", bridge or "none",
            "--log-level", "debug",
        ]
        if not runtimes_in_json:
            self.argv += ["--add-runtime", f"nsinit={runtime_path('nsinit')}"]

    def start(self):
        containerd = need("containerd", "containerd")
        log = open(self.d / "containerd.log", "w")
        self.procs.append(subprocess.Popen([containerd, "--config", str(self.d / "containerd" / "config.toml")], stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        wait_for("containerd's socket", self.containerd_sock.exists)
        log = open(self.d / "dockerd.log", "w")
        self.procs.append(subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))

        def up():
            if self.procs[-1].poll() is not None:
                pytest.fail(f"dockerd exited {self.procs[-1].returncode}:\n{self.log()}")
            return self.sock.exists() and self.cli("version", check=False).returncode == 0

        wait_for("dockerd", up, timeout=60, interval=0.1)

    def log(self, tail=60):
        """The last lines of dockerd's log."""
        return "\n".join((self.d / "dockerd.log").read_text(errors="replace").splitlines()[-tail:])

    def cli(self, *args, check=True, timeout=60, **kw):
        """`docker ARGS` against this daemon."""
        return run([self.docker, "-H", f"unix://{self.sock}", *args], check=check, timeout=timeout, env=self.env, **kw)

    def argv_of(self, *args):
        return [self.docker, "-H", f"unix://{self.sock}", *args]

    def stop(self):
        """Stops dockerd then containerd (TERM, as an init system does) and
        returns what they left on the host, after removing it."""
        left = []
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    left.append(f"{p.args[0]} still running 30 s after TERM: killed")
                    p.kill()
                    p.wait()
        # Shims outlive containerd if a container was left running.
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if str(self.containerd_sock).encode() in cmdline:
                    left.append(f"process {pid} {cmdline[0].decode()}: killed")
                    os.kill(int(pid), signal.SIGKILL)
        for point in mounts_under(self.d):
            left.append(f"mount {point}: unmounted")
            subprocess.run(["umount", "-l", point])
        return left


def docker_bridge(name, subnet):
    """Makes bridge `name` with address SUBNET.1/24 for dockerd's default
    network (dockerd takes the bridge's address as its subnet)."""
    routed = subprocess.run(["ip", "-4", "route", "show", f"{subnet}.0/24"], capture_output=True, text=True).stdout
    if routed.strip():
        pytest.fail(f"{subnet}.0/24 is in use here ({routed.strip()}): the module's bridge needs a subnet of its own")
    subprocess.run(["ip", "link", "add", name, "type", "bridge"], check=True)
    subprocess.run(["ip", "addr", "add", f"{subnet}.1/24", "dev", name], check=True)
    subprocess.run(["ip", "link", "set", name, "up"], check=True)


@contextlib.contextmanager
def docker_engine(d, runtimes_in_json=None, bridge=BRIDGE):
    """A private dockerd, started, in directory `d` (Daemon: nsinit beside
    runc, or the runtimes of `runtimes_in_json`) with the bridge `bridge`
    (None: no default network); at the end it is stopped, and what it left
    on the host is removed and makes a failure."""
    need("ip", "iproute2")
    chains_before = iptables_docker_chains()
    etc_before = set(os.listdir("/etc/docker")) if os.path.isdir("/etc/docker") else None
    run_containerd_before = os.path.exists("/run/containerd")
    daemon = Daemon(d, runtimes_in_json, bridge)
    made_bridge = False
    try:
        if bridge:
            docker_bridge(bridge, SUBNET)
            made_bridge = True
        daemon.start()
        yield daemon
    finally:
        left = daemon.stop()
        if bridge and subprocess.run(["ip", "link", "show", bridge], capture_output=True).returncode == 0:
            subprocess.run(["ip", "link", "del", bridge])
        elif made_bridge:
            left.append(f"bridge {bridge} gone before teardown")
        for top in cgroups_of(CGROUP_PARENT):
            left += [f"cgroup left: {sub}" for sub in top.rglob("*") if sub.is_dir()]
            remove_cgroup(top)
        left += [f"iptables chain made: {c}" for c in iptables_docker_chains() if c not in chains_before]
        left += [f"cgroup left: {c}" for c in cgroups_of(CGROUP_PARENT)]
        if etc_before is not None:
            left += [f"/etc/docker/{n} made" for n in set(os.listdir("/etc/docker")) - etc_before]
        if not run_containerd_before:
            # The shims' sockets and the clients' FIFOs are in /run/containerd
            # whatever containerd's state is; empty once they are gone (a
            # directory still in use by another containerd stays).
            for sub in ["/run/containerd/s", "/run/containerd/fifo", "/run/containerd"]:
                try:
                    os.rmdir(sub)
                except OSError:
                    pass
        if left:
            pytest.fail("dockerd left on the host:\n" + "\n".join(left))


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory):
    """The module's dockerd (docker_engine), with nsinit beside runc."""
    with docker_engine(tmp_path_factory.mktemp("docker")) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def image(dockerd, rootfs_tar):
    """The busybox rootfs imported as image IMAGE, with a PATH."""
    dockerd.cli("import", "--change", "ENV PATH=/bin:/usr/bin", str(rootfs_tar), IMAGE)
    return IMAGE


def docker_run(dockerd, runtime, *args, check=False, timeout=60, **kw):
    """`docker run --runtime NAME --rm ARGS` (runc: dockerd's own default)."""
    return dockerd.cli("run", "--runtime", runtime[0], "--rm", *args, check=check, timeout=timeout, **kw)


def containers(dockerd):
    """IDs of every container dockerd knows, running or not."""
    return dockerd.cli("ps", "-aq", "--no-trunc").stdout.split()


# 1. run --rm: exit codes, payloads not found or not executable, removal.

@pytest.mark.parametrize("script, code", [("exit 0", 0), ("exit 3", 3), ("exit 255", 255)])
def test_run_exit_code(dockerd, image, runtime, script, code):
    p = docker_run(dockerd, runtime, image, "sh", "-c", script)
    assert p.returncode == code, p.stderr
    assert containers(dockerd) == []


def running(dockerd, name):
    """Whether container `name` is running (docker inspect's State.Running)."""
    p = dockerd.cli("inspect", "-f", "{{.State.Running}}", name, check=False)
    return p.stdout.strip() == "true"


def test_run_killed(dockerd, image, runtime):
    """A payload killed by a signal: 128 + its number, from docker run.
    (PID 1 of a namespace ignores signals it has no handler for, even its
    own kill of itself, so the signal comes from docker kill.)"""
    name = f"killed-{runtime[0]}"
    p = subprocess.Popen(dockerd.argv_of("run", "--runtime", runtime[0], "--rm", "--name", name, image, "sleep", "60"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dockerd.env)
    wait_for(f"{name} running", lambda: running(dockerd, name))
    dockerd.cli("kill", name)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 128 + signal.SIGKILL, err
    wait_for(f"{name} removed", lambda: containers(dockerd) == [])


def test_run_output(dockerd, image, runtime):
    p = docker_run(dockerd, runtime, image, "echo", "hello from", runtime[0])
    assert (p.returncode, p.stdout) == (0, f"hello from {runtime[0]}\n"), p.stderr


def test_run_payload_not_found(dockerd, image, runtime):
    p = docker_run(dockerd, runtime, image, "/no/such/payload")
    assert p.returncode == 127, p.stderr
    assert "no such file or directory" in p.stderr.lower(), p.stderr
    assert containers(dockerd) == []


def test_run_payload_not_executable(dockerd, image, runtime):
    p = docker_run(dockerd, runtime, image, "/etc/passwd")
    assert p.returncode == 126, p.stderr
    assert "permission denied" in p.stderr.lower(), p.stderr
    assert containers(dockerd) == []


# 2. stdin, a terminal, docker logs.

def test_run_stdin(dockerd, image, runtime):
    p = docker_run(dockerd, runtime, "-i", image, "sh", "-c", "wc -c; read -r x || echo eof", input="four\nmore\n")
    assert (p.returncode, p.stdout.split()) == (0, ["10", "eof"]), p.stderr


def test_run_terminal(dockerd, image, runtime):
    """-t: the payload's stdin is a terminal the size of the client's."""
    # The pty is made before the docker client sizes it: stty size is read
    # once the container's terminal has the client's size.
    code, out = on_terminal(dockerd.argv_of("run", "--runtime", runtime[0], "--rm", "-it", image, "sh", "-c", "sleep 0.5; tty; stty size; exit 4"), dockerd.env)
    assert code == 4, out
    lines = out.replace("\r", "").split("\n")
    assert "/dev/pts/0" in lines and "30 100" in lines, out


def test_run_terminal_ctrl_c(dockerd, image, runtime):
    """Ctrl-C at docker's terminal: the payload, in its terminal's
    foreground process group, gets SIGINT."""
    code, out = on_terminal(dockerd.argv_of("run", "--runtime", runtime[0], "--rm", "-it", image, "sh", "-c", INTERRUPTIBLE),
                            dockerd.env, timeout=20, keys=CTRL_C)
    assert code == 9 and "got INT" in out, out


def test_logs(dockerd, image, runtime):
    name = f"logs-{runtime[0]}"
    dockerd.cli("run", "-d", "--runtime", runtime[0], "--name", name, image, "sh", "-c", "echo to out; echo to err >&2; exit 2")
    try:
        assert dockerd.cli("wait", name).stdout.strip() == "2"
        p = dockerd.cli("logs", name)
        assert (p.stdout, p.stderr) == ("to out\n", "to err\n")
    finally:
        dockerd.cli("rm", "-f", name)


# 3. docker exec into a running container.

@pytest.fixture
def sleeper(dockerd, image, runtime):
    """A container running `sleep`, removed at the end."""
    name = f"sleeper-{runtime[0]}"
    dockerd.cli("run", "-d", "--runtime", runtime[0], "--name", name, image, "sleep", "600")
    wait_for(f"{name} running", lambda: running(dockerd, name))
    yield name
    dockerd.cli("rm", "-f", name)


def test_exec_status(dockerd, sleeper):
    p = dockerd.cli("exec", sleeper, "sh", "-c", "echo $$ $(cat /proc/1/comm); exit 7", check=False)
    assert p.returncode == 7, p.stderr
    pid, comm = p.stdout.split()
    assert pid != "1" and comm == "sleep"
    # Docker 20.10's exec: 126 for any failure to start, the runtime's
    # error on standard output.
    p = dockerd.cli("exec", sleeper, "/no/such/payload", check=False)
    assert p.returncode == 126 and "no such file or directory" in p.stdout, p
    p = dockerd.cli("exec", sleeper, "/etc/passwd", check=False)
    assert p.returncode == 126 and "permission denied" in p.stdout, p


def test_exec_terminal(dockerd, sleeper):
    code, out = on_terminal(dockerd.argv_of("exec", "-it", sleeper, "sh", "-c", "sleep 0.5; tty; stty size; exit 3"), dockerd.env, rows=20, cols=70)
    assert code == 3, out
    lines = out.replace("\r", "").split("\n")
    assert any(re.fullmatch(r"/dev/pts/\d+", line) for line in lines) and "20 70" in lines, out


def test_exec_detached(dockerd, sleeper):
    dockerd.cli("exec", "-d", sleeper, "sh", "-c", "echo made > /tmp/mark")
    wait_for("the detached exec's file", lambda: dockerd.cli("exec", sleeper, "cat", "/tmp/mark", check=False).stdout == "made\n")


# 4. stop, kill with a signal, restart.

def test_stop_term(dockerd, image, runtime):
    """docker stop sends TERM; a payload that traps it exits at once."""
    name = f"stop-{runtime[0]}"
    dockerd.cli("run", "-d", "--runtime", runtime[0], "--name", name, image, "sh", "-c", "trap 'exit 0' TERM; echo up; while :; do sleep 0.1; done")
    try:
        wait_for("the trap set", lambda: dockerd.cli("logs", name).stdout == "up\n")
        started = time.monotonic()
        dockerd.cli("stop", "-t", "20", name)
        assert time.monotonic() - started < 10
        assert dockerd.cli("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", name).stdout.split() == ["exited", "0"]
    finally:
        dockerd.cli("rm", "-f", name)


def test_stop_kills_after_timeout(dockerd, image, runtime):
    """A payload that ignores TERM (PID 1 without a handler) is killed after -t."""
    name = f"stopkill-{runtime[0]}"
    dockerd.cli("run", "-d", "--runtime", runtime[0], "--name", name, image, "sleep", "600")
    try:
        wait_for(f"{name} running", lambda: running(dockerd, name))
        started = time.monotonic()
        dockerd.cli("stop", "-t", "1", name)
        assert 1 <= time.monotonic() - started < 15
        assert dockerd.cli("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", name).stdout.split() == ["exited", "137"]
    finally:
        dockerd.cli("rm", "-f", name)


def test_kill_signal_and_restart(dockerd, image, runtime):
    name = f"usr1-{runtime[0]}"
    dockerd.cli("run", "-d", "--runtime", runtime[0], "--name", name, image, "sh", "-c", "trap 'echo got USR1' USR1; trap 'exit 0' TERM; echo up; while :; do sleep 0.1; done")
    try:
        wait_for("the traps set", lambda: dockerd.cli("logs", name).stdout == "up\n")
        dockerd.cli("kill", "-s", "USR1", name)
        wait_for("USR1 trapped", lambda: dockerd.cli("logs", name).stdout == "up\ngot USR1\n")
        assert running(dockerd, name)
        first = dockerd.cli("inspect", "-f", "{{.State.Pid}}", name).stdout.strip()
        dockerd.cli("restart", "-t", "10", name)
        assert running(dockerd, name)
        assert dockerd.cli("inspect", "-f", "{{.State.Pid}}", name).stdout.strip() != first
        wait_for("the second start", lambda: dockerd.cli("logs", name).stdout == "up\ngot USR1\nup\n")
        dockerd.cli("kill", "-s", "USR1", name)
        wait_for("USR1 trapped after the restart", lambda: dockerd.cli("logs", name).stdout.endswith("up\ngot USR1\n"))
    finally:
        dockerd.cli("rm", "-f", name)


# 5. pause and unpause; docker update.

def container_id(dockerd, name):
    return dockerd.cli("inspect", "-f", "{{.Id}}", name).stdout.strip()


def host_cgroup_file(dockerd, name, controller, file):
    """The value of cgroup file `file` of container `name`, as the host sees it."""
    return (CGROUP / controller / CGROUP_PARENT / container_id(dockerd, name) / file).read_text().strip()


def container_cgroup_file(dockerd, name, controller, file):
    """The value of cgroup file `file` of container `name`, as it sees it
    (docker's cgroup v1 containers see their own cgroup at the top)."""
    return dockerd.cli("exec", name, "cat", f"/sys/fs/cgroup/{controller}/{file}").stdout.strip()


def log_lines(dockerd, name):
    return len(dockerd.cli("logs", name).stdout.splitlines())


def test_pause_unpause(dockerd, image, runtime):
    name = f"pause-{runtime[0]}"
    dockerd.cli("run", "-d", "--runtime", runtime[0], "--name", name, image, "sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.02; done")
    try:
        wait_for("the counter", lambda: log_lines(dockerd, name) > 3)
        dockerd.cli("pause", name)
        assert dockerd.cli("inspect", "-f", "{{.State.Status}}", name).stdout.strip() == "paused"
        assert host_cgroup_file(dockerd, name, "freezer", "freezer.state") == "FROZEN"
        frozen = log_lines(dockerd, name)
        # The counter would have counted ~25 in this time.
        time.sleep(0.5)
        assert log_lines(dockerd, name) == frozen
        dockerd.cli("unpause", name)
        assert host_cgroup_file(dockerd, name, "freezer", "freezer.state") == "THAWED"
        wait_for("the counter counting again", lambda: log_lines(dockerd, name) > frozen + 3)
    finally:
        dockerd.cli("rm", "-f", name)


def test_update(dockerd, sleeper):
    dockerd.cli("update", "--memory", "64m", "--memory-swap", "128m", "--cpus", "0.5", "--pids-limit", "50", sleeper)
    for see in [host_cgroup_file, container_cgroup_file]:
        assert see(dockerd, sleeper, "memory", "memory.limit_in_bytes") == str(64 << 20)
        assert see(dockerd, sleeper, "memory", "memory.memsw.limit_in_bytes") == str(128 << 20)
        assert see(dockerd, sleeper, "cpu", "cpu.cfs_quota_us") == "50000"
        assert see(dockerd, sleeper, "cpu", "cpu.cfs_period_us") == "100000"
        assert see(dockerd, sleeper, "pids", "pids.max") == "50"
    assert dockerd.cli("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}", sleeper).stdout.split() == [str(64 << 20), "500000000"]


# 6. Limits at run: memory (OOM), pids, CPUs.

def test_memory_oom(dockerd, image, runtime):
    name = f"oom-{runtime[0]}"
    # dd reads 64 MiB of zeros into a buffer of that size: over the limit.
    p = dockerd.cli("run", "--runtime", runtime[0], "--name", name, "--memory", "32m", "--memory-swap", "32m", image, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1", check=False)
    try:
        assert p.returncode == 137, p
        assert dockerd.cli("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", name).stdout.split() == ["true", "137"]
    finally:
        dockerd.cli("rm", "-f", name)


def test_pids_limit(dockerd, image, runtime):
    # Ten processes at most: sh, then sleeps until fork fails.
    # busybox sh gives up (exit 2) on the fork the limit refuses.
    p = docker_run(dockerd, runtime, "--pids-limit", "10", image, "sh", "-c", "cat /sys/fs/cgroup/pids/pids.max; i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); done; echo all forked")
    assert (p.returncode, p.stdout) == (2, "10\n"), p
    assert "can't fork: Resource temporarily unavailable" in p.stderr, p


def test_cpus(dockerd, image, runtime):
    p = docker_run(dockerd, runtime, "--cpus", "1.5", image, "sh", "-c", "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us")
    assert (p.returncode, p.stdout.split()) == (0, ["150000", "100000"]), p


# 7. Networks: none, and docker's bridge.

def test_network_none(dockerd, image, runtime):
    p = docker_run(dockerd, runtime, "--network", "none", image, "ls", "/sys/class/net")
    assert (p.returncode, p.stdout.split()) == (0, ["lo"]), p


def test_bridge_server_reached_by_ip(dockerd, image, runtime):
    """An HTTP server in one container, fetched from another by its address
    on the module's bridge."""
    name = f"httpd-{runtime[0]}"
    dockerd.cli("run", "-d", "--runtime", runtime[0], "--name", name, image, "sh", "-c", f"mkdir /www && echo served by {runtime[0]} > /www/index.html && exec httpd -f -p 8080 -h /www")
    try:
        ip = dockerd.cli("inspect", "-f", "{{.NetworkSettings.IPAddress}}", name).stdout.strip()
        assert ip.startswith(SUBNET + "."), ip
        # busybox-static's wget dies resolving (glibc's static NSS); nc takes the address as it is.
        fetch = "for i in $(seq 50); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 %s 8080 && exit 0; sleep 0.1; done; exit 1" % ip
        p = docker_run(dockerd, runtime, image, "sh", "-c", fetch)
        assert p.returncode == 0 and p.stdout.startswith("HTTP/1.") and p.stdout.endswith(f"\n\nserved by {runtime[0]}\n"), p
    finally:
        dockerd.cli("rm", "-f", name)


# 8. The container's process: read-only root, user, working directory,
# environment, capabilities, seccomp, privileged, docker-init.

def cap_eff(out):
    return re.search(r"CapEff:\s*([0-9a-f]+)", out).group(1)


@pytest.mark.parametrize("args, script, code, out", [
    (["--read-only"], "touch /x", 1, ""),
    (["--read-only", "--tmpfs", "/tmp"], "touch /tmp/x && echo ok", 0, "ok\n"),
    (["--user", "65534:65534"], "id -u; id -g", 0, "65534\n65534\n"),
    (["--workdir", "/new/dir"], "pwd", 0, "/new/dir\n"),
    (["--env", "A=b c", "--env", "HOME=/h"], "echo $A $HOME $PATH", 0, "b c /h /bin:/usr/bin\n"),
], ids=["read-only", "read-only-tmpfs", "user", "workdir", "env"])
def test_process_options(dockerd, image, runtime, args, script, code, out):
    p = docker_run(dockerd, runtime, *args, image, "sh", "-c", script)
    assert (p.returncode, p.stdout) == (code, out), p
    if "--read-only" in args and code:
        assert "Read-only file system" in p.stderr, p


@pytest.mark.parametrize("args, caps", [
    # Docker's default set: chown dac_override fowner fsetid kill setgid
    # setuid setpcap net_bind_service net_raw sys_chroot mknod audit_write setfcap.
    ([], "00000000a80425fb"),
    (["--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE"], "0000000000000400"),
    (["--cap-add", "SYS_ADMIN", "--cap-drop", "CHOWN"], "00000000a82425fa"),
], ids=["default", "drop-all-add-one", "add-and-drop"])
def test_capabilities(dockerd, image, runtime, args, caps):
    p = docker_run(dockerd, runtime, *args, image, "grep", "CapEff", "/proc/self/status")
    assert p.returncode == 0, p
    assert cap_eff(p.stdout) == caps


def test_privileged(dockerd, image, runtime):
    """--privileged: the capabilities Docker 20.10 knows (0 to 37,
    CAP_AUDIT_READ), and the host's devices. Where the caller lacks one of
    them in its bounding set (the tool harness has no CAP_SYS_RESOURCE),
    runc refuses the container ("unable to apply caps") and nsinit gives
    those it has (its documented rule: the sets are cut to its own)."""
    bounding = int(re.search(r"CapBnd:\s*([0-9a-f]+)", Path("/proc/self/status").read_text()).group(1), 16)
    requested = (1 << 38) - 1
    p = docker_run(dockerd, runtime, "--privileged", image, "sh", "-c", "grep CapEff /proc/self/status; ls /dev")
    if runtime[0] == "runc" and requested & ~bounding:
        # The reference's outcome on such a host, asserted: runc refuses
        # what it cannot give, naming it (the caller's bounding set lacks
        # requested & ~bounding; CAP_SYS_RESOURCE is 0x1000000).
        assert p.returncode != 0 and "unable to apply caps: operation not permitted" in p.stderr, p
        return
    assert p.returncode == 0, p
    assert int(cap_eff(p.stdout), 16) == requested & bounding
    assert "loop-control" in p.stdout.split() and "kmsg" in p.stdout.split(), p


def test_seccomp_profile(dockerd, image, runtime, tmp_path):
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
    }))
    p = docker_run(dockerd, runtime, "--security-opt", f"seccomp={profile}", image, "sh", "-c", "mkdir /tmp/d; touch /tmp/f && echo touched")
    assert (p.returncode, p.stdout) == (0, "touched\n"), p
    assert "Operation not permitted" in p.stderr, p


def test_init(dockerd, image, runtime):
    """--init: docker-init (tini) is PID 1, forwards TERM and reports the payload's death."""
    p = docker_run(dockerd, runtime, "--init", image, "sh", "-c", "cat /proc/1/comm; echo $$; exit 5")
    assert (p.returncode, p.stdout.split()[0]) == (5, "docker-init"), p
    assert p.stdout.split()[1] != "1"
    name = f"init-{runtime[0]}"
    q = subprocess.Popen(dockerd.argv_of("run", "--runtime", runtime[0], "--rm", "--init", "--name", name, image, "sleep", "60"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dockerd.env)
    wait_for(f"{name} running", lambda: running(dockerd, name))
    dockerd.cli("kill", "-s", "TERM", name)
    _, err = q.communicate(timeout=30)
    assert q.returncode == 128 + signal.SIGTERM, err


# 9. nsinit registered in daemon.json's "runtimes".

def test_daemon_json_runtimes(tmp_path, rootfs_tar, runtime):
    """`{"runtimes": {"nsinit": {"path": PATH}}}` in daemon.json, instead of
    --add-runtime (runc beside it as "runc-ref": "runc" is dockerd's own)."""
    names = {"nsinit": "nsinit", "runc": "runc-ref"}
    with docker_engine(tmp_path / "d", {"nsinit": runtime_path("nsinit"), "runc-ref": runtime_path("runc")}, None) as daemon:
        runtimes = daemon.cli("info", "-f", "{{json .Runtimes}}").stdout
        assert runtime_path(runtime[0]) in runtimes, runtimes
        daemon.cli("import", "--change", "ENV PATH=/bin:/usr/bin", str(rootfs_tar), IMAGE)
        p = daemon.cli("run", "--rm", "--runtime", names[runtime[0]], "--network", "none", IMAGE, "sh", "-c", "echo ran; exit 3", check=False)
        assert (p.returncode, p.stdout) == (3, "ran\n"), p
