"""containerd 1.6 through ctr: its runc v2 shim runs the busybox image on
nsinit and, side by side, on runc (`ctr run --runc-binary PATH`).

The daemon is private (containerd_engine.Containerd): its own root,
state, sockets and config in a temporary directory, a namespace of its
own, and each runtime its own runc root; the module's teardown stops it
and fails if a mount, shim, shim socket or cgroup is left.

ctr 1.6's `run` has no --user: the user scenarios use `ctr tasks exec
--user` (and CRI's run_as_user in test_cri.py).
"""

import contextlib
import itertools
import os
import subprocess
from pathlib import Path

import pytest

from conftest import CTRL_C, INTERRUPTIBLE, on_terminal, run, wait_for
from containerd_engine import IMAGE, CGROUP_ROOT, Containerd, image_layout

NAMESPACE = f"nsinit-ctr-{os.getpid()}"
_serial = itertools.count()


@contextlib.contextmanager
def ctr_engine(d, rootfs_tar):
    """A containerd of its own in directory `d` for ctr (no CRI), the
    busybox image imported as IMAGE in NAMESPACE; at the end it is
    stopped, and what it left on the host makes a failure."""
    e = Containerd(d, NAMESPACE)
    # ctr gives each container the cgroupsPath /NAMESPACE/ID.
    e.cgroup_parents.add("/" + NAMESPACE)
    try:
        e.import_image(image_layout(rootfs_tar, d / "image.tar"))
        yield e
    finally:
        left = e.stop()
        assert not left, "containerd left on the host:\n" + "\n".join(left)


@pytest.fixture(scope="module")
def engine(tmp_path_factory, rootfs_tar):
    with ctr_engine(tmp_path_factory.mktemp("containerd"), rootfs_tar) as e:
        yield e


class Ctr:
    """ctr for one scenario with one runtime: `run` and `start` pass the
    runtime's binary and a runc root of its own to the runc v2 shim;
    every container made is removed at the end."""

    def __init__(self, engine, runtime):
        self.e = engine
        self.name, self.path = runtime
        self.root = engine.d / "runc-root" / self.name
        self.made = []

    def new_id(self):
        cid = f"{self.name}-{next(_serial)}"
        self.e.ids.add((self.e.namespace, cid))
        self.made.append(cid)
        return cid

    def runtime_flags(self):
        return ["--fifo-dir", self.e.d / "fifo", "--runc-binary", self.path, "--runc-root", self.root]

    def run(self, *cmd, opts=(), check=False, **kw):
        """`ctr run --rm [opts] IMAGE ID CMD...` to its end."""
        cid = self.new_id()
        return self.e.ctr("run", "--rm", *self.runtime_flags(), *opts, IMAGE, cid, *cmd, check=check, **kw)

    def popen(self, *cmd, opts=(), **kw):
        """`ctr run --rm [opts] IMAGE ID CMD...` started, not waited for: (id, Popen)."""
        cid = self.new_id()
        argv = ["ctr", "-a", self.e.sock, "-n", self.e.namespace, "run", "--rm", *map(str, self.runtime_flags()), *opts, IMAGE, cid, *cmd]
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        return cid, subprocess.Popen(argv, text=True, **kw)

    def start(self, *cmd, opts=()):
        """`ctr run -d [opts] IMAGE ID CMD...`: the id of the running task."""
        cid = self.new_id()
        self.e.ctr("run", "-d", *self.runtime_flags(), *opts, IMAGE, cid, *cmd)
        wait_for(f"{cid} to run", lambda: self.status(cid) == "RUNNING")
        return cid

    def task(self, cid):
        """(pid, status) of task `cid` from `ctr tasks ls`, or None."""
        for line in self.e.ctr("tasks", "ls").stdout.splitlines()[1:]:
            f = line.split()
            if f and f[0] == cid:
                return int(f[1]), f[2]
        return None

    def status(self, cid):
        t = self.task(cid)
        return t and t[1]

    def pids(self, cid):
        """The PIDs `ctr tasks ps` lists for task `cid`."""
        return [int(line.split()[0]) for line in self.e.ctr("tasks", "ps", cid).stdout.splitlines()[1:] if line.split()]

    def exec(self, cid, *cmd, opts=(), check=False, **kw):
        return self.e.ctr("tasks", "exec", "--fifo-dir", self.e.d / "fifo", "--exec-id", f"x{next(_serial)}", *opts, cid, *cmd, check=check, **kw)

    def cleanup(self):
        for cid in self.made:
            if self.task(cid):
                self.e.ctr("tasks", "kill", "-s", "SIGKILL", cid, check=False)
                wait_for(f"{cid} to stop", lambda: self.status(cid) in (None, "STOPPED"))
                self.e.ctr("tasks", "rm", cid, check=False)
            if cid in self.e.ctr("containers", "ls", "-q").stdout.split():
                self.e.ctr("containers", "rm", cid)


@pytest.fixture
def ctr(engine, runtime):
    c = Ctr(engine, runtime)
    yield c
    c.cleanup()


def test_runs_on_the_runtime_asked(ctr):
    """The shim runs the runtime given: its root holds the task's state and
    the runtime's own `state` says running."""
    cid = ctr.start("sleep", "1000")
    root = ctr.root / ctr.e.namespace
    state = run([ctr.path, "--root", root, "state", cid])
    assert '"running"' in state.stdout.replace(" ", ""), state.stdout


@pytest.mark.parametrize("cmd, code", [(["true"], 0), (["sh", "-c", "exit 7"], 7), (["false"], 1), (["nonexistent"], None)])
def test_exit_code(ctr, cmd, code):
    p = ctr.run(*cmd)
    if code is None:
        # A missing command is the runtime's failure at create: ctr fails
        # and its message names the command (each runtime in its words).
        assert p.returncode == 1 and "OCI runtime create failed" in p.stderr and "nonexistent" in p.stderr, p
        assert ctr.made[-1] not in ctr.e.ctr("containers", "ls", "-q").stdout.split()
    else:
        assert p.returncode == code, p


def test_output_and_image_env(ctr):
    p = ctr.run("sh", "-c", "echo out; echo err >&2; echo $PATH", check=True)
    assert p.stdout == "out\n/bin\n" and "err" in p.stderr


@pytest.mark.parametrize("signal, code", [("SIGKILL", 137), ("SIGTERM", 42)])
def test_kill_signal(ctr, signal, code):
    """`ctr tasks kill -s` reaches the task: SIGKILL is 128+9, a SIGTERM
    the task traps is its own exit code."""
    cid, p = ctr.popen("sh", "-c", "trap 'exit 42' TERM; echo ready; while :; do sleep 0.1; done")
    assert p.stdout.readline() == "ready\n"
    ctr.e.ctr("tasks", "kill", "-s", signal, cid)
    assert p.wait(timeout=20) == code, p.stderr.read()


def test_stdin(ctr):
    """The task reads ctr's stdin to its end. ctr 1.6 closes the task's
    stdin at EOF only once the task exists (an EOF read before is lost and
    the task waits forever), so the input goes in once the task runs."""
    for cmd, data, out in [(["sh", "-c", "wc -c; cat"], "hello\n", "6\n"), (["cat"], "one\ntwo\n", "one\ntwo\n")]:
        cid, p = ctr.popen(*cmd, stdin=subprocess.PIPE)
        wait_for(f"{cid} to run", lambda: ctr.status(cid) == "RUNNING")
        stdout, stderr = p.communicate(data, timeout=20)
        assert (p.returncode, stdout.replace(" ", "")) == (0, out), stderr


def test_terminal(ctr):
    cid = ctr.new_id()
    code, out = on_terminal(["ctr", "-a", ctr.e.sock, "-n", ctr.e.namespace, "run", "--rm", "-t", *map(str, ctr.runtime_flags()),
                          IMAGE, cid, "sh", "-c", "[ -t 0 ] && [ -t 1 ] && echo both-tty; tty; exit 5"])
    assert code == 5, out
    assert "both-tty" in out and "/dev/pts/0" in out, out


def test_terminal_ctrl_c(ctr):
    """Ctrl-C at ctr's terminal: the payload, in its terminal's foreground
    process group, gets SIGINT."""
    cid = ctr.new_id()
    code, out = on_terminal(["ctr", "-a", ctr.e.sock, "-n", ctr.e.namespace, "run", "--rm", "-t", *map(str, ctr.runtime_flags()),
                             IMAGE, cid, "sh", "-c", INTERRUPTIBLE], timeout=20, keys=CTRL_C)
    assert code == 9 and "got INT" in out, out


def test_exec(ctr):
    cid = ctr.start("sleep", "1000")
    p = ctr.exec(cid, "sh", "-c", "echo hi; echo $PATH; exit 3")
    assert (p.returncode, p.stdout) == (3, "hi\n/bin\n"), p
    # As in test_stdin, the input goes in once the exec runs.
    before = ctr.pids(cid)
    p = subprocess.Popen(["ctr", "-a", ctr.e.sock, "-n", ctr.e.namespace, "tasks", "exec", "--exec-id", "cat", cid, "cat"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for("the exec to run", lambda: len(ctr.pids(cid)) > len(before))
    stdout, stderr = p.communicate("piped\n", timeout=20)
    assert (p.returncode, stdout) == (0, "piped\n"), stderr
    p = ctr.exec(cid, "pwd", opts=["--cwd", "/tmp"])
    assert p.stdout == "/tmp\n", p
    code, out = on_terminal(["ctr", "-a", ctr.e.sock, "-n", ctr.e.namespace, "tasks", "exec", "-t", "--fifo-dir", str(ctr.e.d / "fifo"), "--exec-id", "tty", cid, "sh", "-c", "tty; exit 4"])
    assert code == 4 and "/dev/pts/" in out, out
    ctr.e.ctr("tasks", "exec", "-d", "--fifo-dir", ctr.e.d / "fifo", "--exec-id", "bg", cid, "sh", "-c", "echo there > /tmp/marker; sleep 1000")
    wait_for("the detached exec's file", lambda: ctr.exec(cid, "cat", "/tmp/marker").stdout == "there\n")
    pids = ctr.pids(cid)
    assert ctr.task(cid)[0] in pids and len(pids) == 2, pids  # sleep, and sh that became its sleep


def test_exec_user(ctr):
    cid = ctr.start("sleep", "1000")
    p = ctr.exec(cid, "id", opts=["--user", "65534"])
    assert p.stdout.startswith("uid=65534(nobody) gid=65534(nogroup)"), p
    p = ctr.exec(cid, "id", "-u", opts=["--user", "nobody"])
    assert p.stdout == "65534\n", p


def test_pause_resume(ctr):
    cid = ctr.start("sleep", "1000")
    ctr.e.ctr("tasks", "pause", cid)
    assert ctr.status(cid) == "PAUSED"
    freezer = CGROUP_ROOT / "freezer" / ctr.e.namespace / cid / "freezer.state"
    assert freezer.read_text().strip() == "FROZEN"
    ctr.e.ctr("tasks", "resume", cid)
    assert ctr.status(cid) == "RUNNING"
    assert freezer.read_text().strip() == "THAWED"
    assert ctr.exec(cid, "true").returncode == 0


def test_metrics(ctr):
    cid = ctr.start("sh", "-c", "head -c 4000000 /dev/zero > /tmp/f; sleep 1000", opts=["--memory-limit", str(64 << 20)])
    wait_for("the file", lambda: ctr.exec(cid, "stat", "-c", "%s", "/tmp/f").stdout == "4000000\n")
    out = ctr.e.ctr("tasks", "metrics", cid).stdout
    fields = dict(line.split(None, 1) for line in out.splitlines() if len(line.split(None, 1)) == 2)
    assert int(fields["memory.usage_in_bytes"].strip()) > 1_000_000, out
    assert int(fields["memory.limit_in_bytes"].strip()) == 64 << 20, out
    assert int(fields["pids.current"].strip()) >= 1, out


def test_memory_limit_oom(ctr):
    """A task over --memory-limit is OOM-killed: 137 (test_metrics sees
    the limit in its cgroup). `tail` keeps /dev/zero's one endless line."""
    p = ctr.run("tail", "/dev/zero", opts=["--memory-limit", str(32 << 20)])
    assert p.returncode == 137, p


def test_read_only(ctr):
    p = ctr.run("sh", "-c", "touch /x", opts=["--read-only"])
    assert p.returncode == 1 and "Read-only file system" in p.stderr, p
    p = ctr.run("sh", "-c", "touch /tmp/x /dev/shm/x && echo ok", opts=["--read-only"])
    assert p.stdout == "ok\n" or "Read-only" in p.stderr, p


def test_env_cwd(ctr):
    p = ctr.run("sh", "-c", 'echo "$FOO|$BAR|$PATH"; pwd', opts=["--env", "FOO=bar", "--env", "BAR=a b", "--cwd", "/tmp"], check=True)
    assert p.stdout == "bar|a b|/bin\n/tmp\n", p


def caps(text):
    return {line.split(":")[0]: int(line.split()[1], 16) for line in text.splitlines() if line.startswith("Cap")}


def test_capabilities(ctr):
    plain = caps(ctr.run("grep", "^Cap", "/proc/self/status", check=True).stdout)
    assert plain["CapEff"] == 0xa80425fb, hex(plain["CapEff"])  # containerd's default set
    added = caps(ctr.run("grep", "^Cap", "/proc/self/status", opts=["--cap-add", "CAP_SYS_ADMIN"], check=True).stdout)
    assert added["CapEff"] == 0xa80425fb | (1 << 21), hex(added["CapEff"])
    host = caps(Path("/proc/self/status").read_text())
    priv = caps(ctr.run("grep", "^Cap", "/proc/self/status", opts=["--privileged"], check=True).stdout)
    assert priv["CapEff"] == host["CapBnd"], (hex(priv["CapEff"]), hex(host["CapBnd"]))
    p = ctr.run("sh", "-c", "mount -t tmpfs t /tmp && echo mounted", opts=["--privileged"])
    assert p.stdout == "mounted\n", p
    p = ctr.run("sh", "-c", "mount -t tmpfs t /tmp")
    assert p.returncode != 0, p


def test_seccomp(ctr):
    p = ctr.run("grep", "^Seccomp:", "/proc/self/status", opts=["--seccomp"], check=True)
    assert p.stdout.split() == ["Seccomp:", "2"], p
    p = ctr.run("grep", "^Seccomp:", "/proc/self/status", check=True)
    assert p.stdout.split() == ["Seccomp:", "0"], p
    # containerd's default profile lets only CAP_SYS_ADMIN holders unshare.
    p = ctr.run("unshare", "-U", "true", opts=["--seccomp"])
    assert p.returncode != 0 and "Operation not permitted" in p.stderr, p
