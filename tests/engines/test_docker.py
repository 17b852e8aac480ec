"""Docker 20.10 (docker.io) runs the busybox image on nsinit, each scenario
side by side with runc (issue 15).

A private dockerd per module: its data, exec root, socket, pid file and
daemon.json under a temporary directory, its own containerd (started here,
so that a system containerd at /run/containerd is never used), cgroupfs
under a cgroup parent of its own, and a bridge of its own made here
(docker's iptables and ip_forward left off: containers on one bridge reach
each other without them, and the host's firewall is not touched). nsinit is
registered with `--add-runtime nsinit=PATH`; runc is dockerd's default
runtime, `--runtime runc`. The teardown stops dockerd and containerd and
checks that nothing of theirs is left: processes, mounts, the bridge,
iptables chains DOCKER*, cgroups.
"""

import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import host_ulimits, need, run, runtime_path

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


def wait_for(what, condition, timeout=30.0, interval=0.05):
    """Polls `condition()` until it returns something true, which it returns;
    a failure naming `what` after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


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
        config = {}
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
    subprocess.run(["ip", "link", "add", name, "type", "bridge"], check=True)
    subprocess.run(["ip", "addr", "add", f"{subnet}.1/24", "dev", name], check=True)
    subprocess.run(["ip", "link", "set", name, "up"], check=True)


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory):
    """The module's dockerd, with nsinit beside runc and the busybox image."""
    need("ip", "iproute2")
    d = tmp_path_factory.mktemp("docker")
    chains_before = iptables_docker_chains()
    docker_bridge(BRIDGE, SUBNET)
    daemon = Daemon(d, None, BRIDGE)
    try:
        daemon.start()
        yield daemon
    finally:
        left = daemon.stop()
        if subprocess.run(["ip", "link", "show", BRIDGE], capture_output=True).returncode == 0:
            subprocess.run(["ip", "link", "del", BRIDGE])
        else:
            left.append(f"bridge {BRIDGE} gone before teardown")
        for top in cgroups_of(CGROUP_PARENT):
            left += [f"cgroup left: {sub}" for sub in top.rglob("*") if sub.is_dir()]
            remove_cgroup(top)
        left += [f"iptables chain made: {c}" for c in iptables_docker_chains() if c not in chains_before]
        left += [f"cgroup left: {c}" for c in cgroups_of(CGROUP_PARENT)]
        if left:
            pytest.fail("dockerd left on the host:\n" + "\n".join(left))


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
