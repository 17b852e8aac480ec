"""What every engine test shares: nsinit and the reference runtime, the
image the tests build from busybox (no registry), and the host's limits.

The engines (podman, containerd, Docker) run with state, sockets and
configuration of their own under a temporary directory, started and
stopped by their test module; nothing of the host's configuration is
changed for good. Each scenario runs with nsinit and, side by side, with
runc, the reference: a failure that runc shares is the harness's.
"""

import fcntl
import os
import pty
import resource
import select
import shutil
import signal
import struct
import subprocess
import tarfile
import termios
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NSINIT = Path(os.environ.get("NSINIT", ROOT / "target" / "release" / "nsinit"))

# The runtimes every scenario runs with: nsinit, and runc as the reference.
RUNTIMES = ["nsinit", "runc"]


def need(command, package):
    """The path of `command`, or a failure saying which package gives it."""
    path = shutil.which(command)
    if path is None:
        pytest.fail(f"{command} not found: apt-get install {package}")
    return path


def runtime_path(name):
    """The binary of runtime `name` (`nsinit`: the one this tree built)."""
    if name == "nsinit":
        if not NSINIT.is_file():
            pytest.fail(f"{NSINIT} not found: build it first (make build)")
        return str(NSINIT)
    return need(name, name)


@pytest.fixture(params=RUNTIMES)
def runtime(request):
    """(name, path) of the runtime under test; each scenario runs once with each."""
    return request.param, runtime_path(request.param)


def run(argv, check=True, timeout=120, **kw):
    """Runs `argv` to its end with its output captured as text; with
    `check`, a non-zero exit is a failure showing both streams."""
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        pytest.fail(f"{' '.join(map(str, argv))}: exit {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


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


def on_terminal(argv, env=None, cwd=None, rows=30, cols=100, timeout=30, keys=()):
    """Runs `argv` (searched in PATH) in a session of its own whose
    controlling terminal is a new pty of `rows` x `cols`, as a user at a
    terminal runs it (`ctr -t` and `docker -t` want their stdin to be a
    terminal). `keys`: (prompt, typed) pairs of bytes, in order: `typed` is
    written to the terminal once `prompt` has appeared in the output since
    the last keys (a user answering). Its exit status and everything it
    wrote there, as text with the terminal's CRLF line ends; killed, and
    whatever it wrote so far, after `timeout` seconds."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            if cwd is not None:
                os.chdir(cwd)
            os.execvpe(argv[0], argv, os.environ if env is None else env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    out = b""
    keys, seen = list(keys), 0
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the last holder of the pty has closed it
                break
            if not chunk:
                break
            out += chunk
            if keys and keys[0][0] in out[seen:]:
                seen = len(out)
                os.write(fd, keys.pop(0)[1])
    else:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


# A payload to press Ctrl-C at, on a terminal: it says "ready" (not in its
# own text, which a terminal may echo), then reports SIGINT and exits 9.
INTERRUPTIBLE = "trap 'echo got INT; exit 9' INT; echo re''ady; while :; do sleep 0.1; done"
# Ctrl-C, once the payload is ready: what `keys` of on_terminal types.
CTRL_C = [(b"ready", b"\x03")]


def host_ulimits():
    """The limits an engine may give a container here: the tool harness
    runs without CAP_SYS_RESOURCE, so no runtime can raise a hard limit
    above the caller's (podman asks for nofile=1048576, which fails in
    crun, runc and nsinit alike). `(nofile, nproc)` hard limits."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[1], resource.getrlimit(resource.RLIMIT_NPROC)[1]


def make_rootfs(dest):
    """A busybox root filesystem at `dest`: every applet in /bin, root and
    nobody in /etc/passwd and /etc/group, and the usual mount points."""
    busybox = Path("/bin/busybox")
    if not busybox.is_file():
        pytest.fail("/bin/busybox not found: apt-get install busybox-static")
    for d in ["bin", "etc", "tmp", "proc", "sys", "dev", "root", "var", "run", "home"]:
        (dest / d).mkdir(parents=True, exist_ok=True)
    os.chmod(dest / "tmp", 0o1777)
    shutil.copy2(busybox, dest / "bin" / "busybox")
    applets = subprocess.run([str(busybox), "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        if applet != "busybox" and not (dest / "bin" / applet).exists():
            os.symlink("busybox", dest / "bin" / applet)
    (dest / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    (dest / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
    return dest


def rootfs_tarball(base):
    """The busybox rootfs (made in `base`/rootfs) as the tarball
    `base`/rootfs.tar, for `podman import`, `docker import` and
    `ctr images import` (through an image layout made from it)."""
    rootfs = make_rootfs(base / "rootfs")
    tar = base / "rootfs.tar"
    with tarfile.open(tar, "w") as t:
        for entry in sorted(rootfs.iterdir()):
            t.add(entry, arcname=entry.name)
    return tar


@pytest.fixture(scope="session")
def rootfs_tar(tmp_path_factory):
    """The busybox rootfs as a tarball (rootfs_tarball), once a session."""
    return rootfs_tarball(tmp_path_factory.mktemp("image"))
