"""A private containerd for test_containerd.py (ctr) and test_cri.py (its
CRI plugin): its own root, state, sockets and configuration under a
temporary directory, the runc v2 shim running nsinit or runc, and the
busybox image imported from an OCI image layout made here (no registry).

`Containerd.stop` ends the daemon and checks that nothing it made is left
on the host: mounts under its directory, shims, shim sockets, cgroups,
network namespaces and the CNI bridge.
"""

import hashlib
import io
import json
import os
import platform
import signal
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from conftest import need, run, runtime_path, wait_for, RUNTIMES

# The image every scenario runs, and the one CRI's pod sandboxes run (its
# `sandbox_image`: the pause container is `sleep`, which holds the pod's
# namespaces until CRI kills it).
IMAGE = "docker.io/library/nsinit-busybox:latest"
PAUSE_IMAGE = "docker.io/library/nsinit-pause:latest"

# Where the runc v2 shim puts its sockets whatever containerd's state
# directory is (containerd 1.6 `shim.SocketAddress`): the name is the
# sha256 of "ADDRESS/NAMESPACE/ID".
SHIM_SOCKETS = Path("/run/containerd/s")

CGROUP_ROOT = Path("/sys/fs/cgroup")


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def oci_arch():
    """The image architecture of this machine, in OCI words."""
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def image_layout(rootfs_tar, dest):
    """An OCI image layout tarball at `dest` holding two images of one
    layer (the busybox rootfs tarball): IMAGE (Cmd `sh`) and PAUSE_IMAGE
    (Cmd `sleep`), both with Env PATH=/bin. Returns `dest`."""
    layer = Path(rootfs_tar).read_bytes()
    blobs = {}

    def blob(data, media_type):
        digest = sha256(data)
        blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    layer_desc = blob(layer, "application/vnd.oci.image.layer.v1.tar")
    manifests = []
    for name, cmd in [(IMAGE, ["sh"]), (PAUSE_IMAGE, ["sleep", "2147483647"])]:
        config = {
            "architecture": oci_arch(),
            "os": "linux",
            "config": {"Env": ["PATH=/bin"], "Cmd": cmd},
            "rootfs": {"type": "layers", "diff_ids": [layer_desc["digest"]]},
        }
        config_desc = blob(json.dumps(config).encode(), "application/vnd.oci.image.config.v1+json")
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config_desc,
            "layers": [layer_desc],
        }
        desc = blob(json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json")
        desc["annotations"] = {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]}
        desc["platform"] = {"architecture": oci_arch(), "os": "linux"}
        manifests.append(desc)
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}

    def add(t, name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))

    with tarfile.open(dest, "w") as t:
        add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add(t, "index.json", json.dumps(index).encode())
        for digest, data in blobs.items():
            add(t, "blobs/sha256/" + digest.split(":")[1], data)
    return dest


def config_toml(d, cri, runtimes):
    """containerd's config.toml for the private daemon in `d`: a runtime
    per name in `runtimes` ({name: binary}; runc v2 shim, BinaryName = the
    binary, a runc root of its own) and, with `cri`, the CRI plugin with
    CNI from the conf dir d/cni and Debian's plugins in /usr/lib/cni."""
    handlers = ""
    for name, binary in runtimes.items():
        handlers += f"""
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{name}]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{name}.options]
        BinaryName = "{binary}"
        Root = "{d}/runc-root/{name}"
"""
    # Nothing of the host's: /opt/containerd (the opt plugin) and the
    # snapshotters this host cannot use stay off; without `cri` the CRI
    # plugin is off too (the ctr scenarios do not need it).
    disabled = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs",
                "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
                "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]
    if not cri:
        disabled.append("io.containerd.grpc.v1.cri")
    return f"""version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = {json.dumps(disabled)}

[grpc]
  address = "{d}/containerd.sock"

[ttrpc]
  address = "{d}/containerd.sock.ttrpc"

[debug]
  level = "debug"

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  disable_apparmor = true
  # CRI gives the pause container oom_score_adj -998; lowering it needs
  # CAP_SYS_RESOURCE, which the harness here lacks (runc and nsinit fail
  # alike): keep every container's at least containerd's own.
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{d}/cni"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
{handlers}"""


def mounts_under(d):
    """Mount points under directory `d`, from /proc/self/mountinfo."""
    prefix = str(d).rstrip("/") + "/"
    out = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].encode().decode("unicode_escape")
        if point.startswith(prefix) or point == str(d):
            out.append(point)
    return out


def shims_of(address):
    """PIDs of shims serving the containerd at `address`."""
    pids = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            argv = (p / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"containerd-shim-runc-v2") and address.encode() in argv:
            pids.append(int(p.name))
    return pids


class Containerd:
    """A containerd of its own in directory `d`; `ctr(...)` talks to it
    in namespace `namespace`. `cri` turns its CRI plugin on; `runtimes`
    ({name: binary}, default: each of RUNTIMES) are its runtime handlers."""

    def __init__(self, d, namespace, cri=False, runtimes=None):
        need("containerd", "containerd")
        need("ctr", "containerd")
        need("containerd-shim-runc-v2", "containerd")
        self.d = Path(d)
        self.namespace = namespace
        self.sock = str(self.d / "containerd.sock")
        self.ids = set()
        self.cgroup_parents = set()
        self.had_run_containerd = Path("/run/containerd").exists()
        self.shim_sockets_before = set(os.listdir(SHIM_SOCKETS)) if SHIM_SOCKETS.is_dir() else set()
        (self.d / "cni").mkdir(parents=True, exist_ok=True)
        (self.d / "fifo").mkdir(exist_ok=True)
        self.conf = self.d / "config.toml"
        if runtimes is None:
            runtimes = {name: runtime_path(name) for name in RUNTIMES}
        self.conf.write_text(config_toml(self.d, cri, runtimes))
        self.log_path = self.d / "containerd.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["containerd", "--config", str(self.conf), "--address", self.sock],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for("containerd's socket", lambda: self.proc.poll() is not None or run(["ctr", "-a", self.sock, "version"], check=False).returncode == 0)
        if self.proc.poll() is not None:
            pytest.fail(f"containerd exited {self.proc.returncode}:\n{self.log_text()}")

    def log_text(self, tail=60):
        """The last `tail` lines of containerd's log (shims log into it too)."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-tail:])

    def ctr(self, *args, check=True, timeout=60, namespace=None, **kw):
        """Runs `ctr -a SOCK -n NAMESPACE ARGS`; stdin is empty unless `input` is given."""
        if "input" not in kw:
            kw.setdefault("stdin", subprocess.DEVNULL)
        p = run(["ctr", "-a", self.sock, "-n", namespace or self.namespace, *map(str, args)], check=False, timeout=timeout, **kw)
        if check and p.returncode != 0:
            pytest.fail(f"ctr {' '.join(map(str, args))}: exit {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}\ncontainerd log:\n{self.log_text()}")
        return p

    def import_image(self, layout, namespace=None):
        self.ctr("images", "import", layout, namespace=namespace, timeout=120)

    def leftovers(self):
        """What the daemon and its shims left on the host, as lines."""
        left = [f"mount {m}" for m in mounts_under(self.d)]
        left += [f"shim pid {p}" for p in shims_of(self.sock)]
        left += [f"shim socket {s}" for s in self.my_shim_sockets()]
        for parent in self.cgroup_parents:
            for ctl in CGROUP_ROOT.iterdir():
                if (ctl / parent.lstrip("/")).exists():
                    left.append(f"cgroup {ctl / parent.lstrip('/')}")
        return left

    def remove_cgroup_parents(self, kill=False):
        """Removes the (empty) parent cgroups the runtimes made for the
        containers' cgroupsPath (runc and nsinit leave the parents, as they
        must: other containers may share them); a cgroup that is not empty
        is left for `leftovers` to report. With `kill`, what is in them is
        killed first (the clean-up after a failure)."""
        for parent in self.cgroup_parents:
            for ctl in CGROUP_ROOT.iterdir():
                path = ctl / parent.lstrip("/")
                if not path.is_dir():
                    continue
                dirs = sorted((p for p in path.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)) + [path]
                if kill:
                    for d in dirs:
                        for pid in (d / "cgroup.procs").read_text().split() if (d / "cgroup.procs").exists() else []:
                            try:
                                os.kill(int(pid), signal.SIGKILL)
                            except ProcessLookupError:
                                pass
                    time.sleep(0.2)
                for d in dirs:
                    try:
                        d.rmdir()
                    except OSError:
                        pass

    def my_shim_sockets(self):
        mine = {hashlib.sha256(f"{self.sock}/{ns}/{i}".encode()).hexdigest() for ns, i in self.ids}
        return [SHIM_SOCKETS / s for s in os.listdir(SHIM_SOCKETS) if s in mine] if SHIM_SOCKETS.is_dir() else []

    def stop(self):
        """Ends containerd (SIGTERM): what it and its shims left on the host,
        as lines (empty when nothing), all of it cleaned up nonetheless."""
        # Shims outlive containerd by design; the scenarios remove their
        # containers, so a shim still here is a leak. Give exiting ones time.
        end = time.monotonic() + 10
        while shims_of(self.sock) and time.monotonic() < end:
            time.sleep(0.1)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.remove_cgroup_parents()
        left = self.leftovers()
        # What a failure left is cleaned up all the same (and reported).
        for pid in shims_of(self.sock):
            os.kill(pid, signal.SIGKILL)
        self.remove_cgroup_parents(kill=True)
        for m in sorted(mounts_under(self.d), key=len, reverse=True):
            subprocess.run(["umount", "-l", m], check=False)
        for sock in self.my_shim_sockets():
            sock.unlink()
        if not self.had_run_containerd:
            for d in [SHIM_SOCKETS, SHIM_SOCKETS.parent / "fifo", SHIM_SOCKETS.parent]:
                try:
                    d.rmdir()
                except OSError:
                    pass
        return left
