"""containerd 1.6's CRI plugin (what a kubelet speaks) running pods of the
busybox image on nsinit and, side by side, on runc: each is a runtime
handler of the private containerd's config (`runtimes.nsinit`,
`runtimes.runc`: the runc v2 shim with BinaryName), chosen by
RunPodSandbox's runtime_handler as a RuntimeClass chooses it.

Debian has no crictl: the tests speak the CRI's gRPC (runtime.v1) with
the stubs in cri/ (see cri/README). The pod network is CNI's bridge and
host-local IPAM (Debian's containernetworking-plugins) from a conf dir of
the module's own, on a bridge and subnet of its own; the pod sandbox
image (`sandbox_image`) is the busybox image running `sleep`.

The teardown stops containerd and fails if a mount, shim, cgroup, network
namespace or the bridge is left.
"""

import contextlib
import itertools
import json
import os
import sys
import time
from pathlib import Path

import pytest

from conftest import run, wait_for
from containerd_engine import IMAGE, Containerd, image_layout

sys.path.insert(0, str(Path(__file__).parent / "cri"))
import grpc  # noqa: E402
import api_pb2 as cri  # noqa: E402
import api_pb2_grpc as cri_grpc  # noqa: E402

# CRI's own containerd namespace: its images and containers live there.
NAMESPACE = "k8s.io"
BRIDGE = f"nscri{os.getpid() % 100000}"
SUBNET = "10.231.77.0/24"
CGROUP_PARENT = f"/nsinit-cri-{os.getpid()}"
NETNS_DIR = Path("/var/run/netns")
# libcni's cache (containerd 1.6 does not move it).
CNI_CACHE = Path("/var/lib/cni/results")
_serial = itertools.count()


def netns_names():
    return set(os.listdir(NETNS_DIR)) if NETNS_DIR.is_dir() else set()


def cni_conf(d):
    """A conflist: a bridge of its own as the pods' gateway, addresses
    from SUBNET kept by host-local in d/ipam (not /var/lib/cni), no NAT."""
    return {
        "cniVersion": "0.4.0",
        "name": "nsinit-cri",
        "plugins": [{
            "type": "bridge", "bridge": BRIDGE, "isGateway": True, "ipMasq": False,
            "ipam": {"type": "host-local", "ranges": [[{"subnet": SUBNET}]], "dataDir": str(d / "ipam")},
        }],
    }


@contextlib.contextmanager
def cri_engine(d, rootfs_tar, runtimes=None):
    """containerd with its CRI plugin in directory `d`, a runtime handler
    per runtime (`runtimes`: {name: binary}, default nsinit and runc), a
    CNI bridge of its own, and the busybox image; `.rt` and `.images` are
    CRI's runtime and image services. At the end every pod is removed and
    containerd stopped; what is left on the host makes a failure."""
    for plugin in ["bridge", "host-local", "loopback"]:
        if not Path("/usr/lib/cni", plugin).is_file():
            pytest.fail(f"/usr/lib/cni/{plugin} not found: apt-get install containernetworking-plugins")
    netns_before = netns_names()
    netns_dir_before, cache_before = NETNS_DIR.exists(), CNI_CACHE.parent.exists()
    (d / "cni").mkdir()
    (d / "cni" / "10-nsinit-cri.conflist").write_text(json.dumps(cni_conf(d)))
    e = Containerd(d, NAMESPACE, cri=True, runtimes=runtimes)
    e.cgroup_parents.add(CGROUP_PARENT)
    e.channel = grpc.insecure_channel(f"unix://{e.sock}")
    e.rt = cri_grpc.RuntimeServiceStub(e.channel)
    e.images = cri_grpc.ImageServiceStub(e.channel)
    try:
        e.import_image(image_layout(rootfs_tar, d / "image.tar"))

        def ready():
            conditions = {c.type: c.status for c in e.rt.Status(cri.StatusRequest()).status.conditions}
            return conditions.get("RuntimeReady") and conditions.get("NetworkReady")
        wait_for("CRI's runtime and network to be ready", ready)
        wait_for("CRI to see the image", lambda: e.images.ImageStatus(cri.ImageStatusRequest(image=cri.ImageSpec(image=IMAGE))).image.id)
        yield e
    finally:
        left = []
        try:
            pods = e.rt.ListPodSandbox(cri.ListPodSandboxRequest(), timeout=30).items
            left += [f"pod {p.metadata.name} ({p.id})" for p in pods]
            for p in pods:
                e.rt.StopPodSandbox(cri.StopPodSandboxRequest(pod_sandbox_id=p.id), timeout=60)
                e.rt.RemovePodSandbox(cri.RemovePodSandboxRequest(pod_sandbox_id=p.id), timeout=60)
        except grpc.RpcError as err:
            left.append(f"pods not removed: {err.details()}")
        e.channel.close()
        left += e.stop()
        stale = netns_names() - netns_before
        left += [f"network namespace {NETNS_DIR / n}" for n in stale]
        for n in stale:
            run(["ip", "netns", "del", n], check=False)
        # libcni's cache of each pod's result (named after the network and
        # the sandbox): CNI DEL removes it.
        mine = [f for f in os.listdir(CNI_CACHE) if any(i in f for _, i in e.ids)] if CNI_CACHE.is_dir() else []
        left += [f"CNI cache {CNI_CACHE / f}" for f in mine]
        for f in mine:
            (CNI_CACHE / f).unlink()
        # Directories CRI made for them, when the host had none.
        for dirpath, had in [(CNI_CACHE, cache_before), (CNI_CACHE.parent, cache_before), (NETNS_DIR, netns_dir_before)]:
            if not had:
                try:
                    dirpath.rmdir()
                except OSError:
                    pass
        # The bridge is CNI's to make and never its to remove (a pod's DEL
        # leaves it for the next pod): the module removes it.
        if Path("/sys/class/net", BRIDGE).exists():
            run(["ip", "link", "del", BRIDGE])
        if Path("/sys/class/net", BRIDGE).exists():
            left.append(f"bridge {BRIDGE}")
        assert not left, "containerd's CRI left on the host:\n" + "\n".join(left)


@pytest.fixture(scope="module")
def engine(tmp_path_factory, rootfs_tar):
    with cri_engine(tmp_path_factory.mktemp("cri"), rootfs_tar) as e:
        yield e


class Pod:
    """A pod sandbox on one runtime handler, and its containers; removed,
    with everything in it, at the end of the scenario."""

    def __init__(self, e, handler, d, privileged=False, **sandbox):
        self.e, self.rt, self.handler = e, e.rt, handler
        self.removed = False
        n = next(_serial)
        self.logs = d / f"logs-{handler}-{n}"
        self.logs.mkdir()
        linux = cri.LinuxPodSandboxConfig(
            cgroup_parent=f"{CGROUP_PARENT}/pod-{handler}-{n}",
            security_context=cri.LinuxSandboxSecurityContext(namespace_options=cri.NamespaceOption(**sandbox), privileged=privileged),
        )
        self.config = cri.PodSandboxConfig(
            metadata=cri.PodSandboxMetadata(name=f"pod-{handler}-{n}", uid=f"uid-{handler}-{n}", namespace="default"),
            hostname=f"pod-{n}", log_directory=str(self.logs), linux=linux,
        )
        try:
            self.id = self.rt.RunPodSandbox(cri.RunPodSandboxRequest(config=self.config, runtime_handler=handler), timeout=60).pod_sandbox_id
        except grpc.RpcError as err:
            pytest.fail(f"RunPodSandbox on {handler}: {err.details()}\ncontainerd log:\n{e.log_text()}")
        e.ids.add((NAMESPACE, self.id))

    def status(self):
        return self.rt.PodSandboxStatus(cri.PodSandboxStatusRequest(pod_sandbox_id=self.id)).status

    def container(self, name, command, start=True, **security):
        """Creates (and starts) container `name` running `command`: its id."""
        config = cri.ContainerConfig(
            metadata=cri.ContainerMetadata(name=name), image=cri.ImageSpec(image=IMAGE), command=command,
            log_path=f"{name}.log", linux=cri.LinuxContainerConfig(security_context=cri.LinuxContainerSecurityContext(**security)),
        )
        try:
            cid = self.rt.CreateContainer(cri.CreateContainerRequest(pod_sandbox_id=self.id, config=config, sandbox_config=self.config), timeout=60).container_id
            self.e.ids.add((NAMESPACE, cid))
            if start:
                self.rt.StartContainer(cri.StartContainerRequest(container_id=cid), timeout=60)
        except grpc.RpcError as err:
            pytest.fail(f"container {name} on {self.handler}: {err.details()}\ncontainerd log:\n{self.e.log_text()}")
        return cid

    def state(self, cid):
        return self.rt.ContainerStatus(cri.ContainerStatusRequest(container_id=cid)).status

    def exec(self, cid, *cmd, timeout=20):
        r = self.rt.ExecSync(cri.ExecSyncRequest(container_id=cid, cmd=list(cmd), timeout=timeout), timeout=timeout + 10)
        return r.exit_code, r.stdout.decode(), r.stderr.decode()

    def out(self, cid, *cmd):
        code, out, err = self.exec(cid, *cmd)
        assert code == 0, f"{cmd}: exit {code}: {err}"
        return out

    def remove(self):
        if self.removed:
            return
        self.removed = True
        self.rt.StopPodSandbox(cri.StopPodSandboxRequest(pod_sandbox_id=self.id), timeout=60)
        self.rt.RemovePodSandbox(cri.RemovePodSandboxRequest(pod_sandbox_id=self.id), timeout=60)


@pytest.fixture
def pod_of(engine, runtime, tmp_path):
    """Makes pods on the runtime's handler; removes them at the end."""
    made = []

    def make(privileged=False, **sandbox):
        p = Pod(engine, runtime[0], tmp_path, privileged, **sandbox)
        made.append(p)
        return p
    yield make
    for p in made:
        p.remove()


def test_pod_runs_on_the_handler_asked(engine, runtime, pod_of):
    """runtime_handler picks the runtime: its runc root holds the sandbox's
    state, and its own `state` says running; the pod is READY with an
    address from the CNI bridge's subnet."""
    pod = pod_of()
    s = pod.status()
    assert s.state == cri.SANDBOX_READY and s.runtime_handler == runtime[0]
    assert s.network.ip.startswith("10.231.77."), s.network
    state = run([runtime[1], "--root", engine.d / "runc-root" / runtime[0] / NAMESPACE, "state", pod.id])
    assert '"running"' in state.stdout.replace(" ", "")


def test_two_containers_share_the_pods_namespaces(pod_of):
    pod = pod_of()
    a = pod.container("a", ["sleep", "1000"], namespace_options=cri.NamespaceOption(pid=cri.CONTAINER))
    b = pod.container("b", ["sleep", "1000"], namespace_options=cri.NamespaceOption(pid=cri.POD))
    ns = "net ipc uts"
    links = lambda cid: pod.out(cid, "sh", "-c", " ".join(f"readlink /proc/self/ns/{n};" for n in ns.split()))
    assert links(a) == links(b), "net, ipc and uts are the pod's"
    assert pod.out(a, "readlink", "/proc/self/ns/mnt") != pod.out(b, "readlink", "/proc/self/ns/mnt"), "a root each"
    assert pod.out(a, "hostname") == pod.out(b, "hostname") == f"{pod.config.hostname}\n"
    # IPC: the pod's /dev/shm is one.
    pod.out(a, "sh", "-c", "echo shared > /dev/shm/x")
    assert pod.out(b, "cat", "/dev/shm/x") == "shared\n"
    # b shares the pod's PID namespace: the sandbox's sleep is its PID 1,
    # and a's sleep is there too; a has a PID namespace of its own.
    assert pod.out(b, "cat", "/proc/1/cmdline").split("\0")[:2] == ["sleep", "2147483647"]
    assert pod.out(a, "cat", "/proc/1/cmdline").split("\0")[:2] == ["sleep", "1000"]
    assert "1000" in pod.out(b, "ps")
    # The network is the pod's: eth0 has its address.
    assert f"inet {pod.status().network.ip}/" in pod.out(a, "ip", "addr", "show", "eth0")


def test_children_left_in_a_shared_pid_namespace_are_killed(pod_of):
    """A container in the pod's PID namespace exits leaving a child: the
    shim has the runtime kill what is left in its cgroup (`kill --all`
    of a stopped container, which nsinit refused)."""
    pod = pod_of()
    watcher = pod.container("watcher", ["sleep", "1000"], namespace_options=cri.NamespaceOption(pid=cri.POD))
    parent = pod.container("parent", ["sh", "-c", "sleep 1001 & exit 0"], namespace_options=cri.NamespaceOption(pid=cri.POD))
    wait_for("the parent to exit", lambda: pod.state(parent).state == cri.CONTAINER_EXITED)
    wait_for("its child to be killed", lambda: "1001" not in pod.out(watcher, "ps", "-o", "args"))


def test_container_status_after_exit(pod_of):
    pod = pod_of()
    cid = pod.container("x", ["sh", "-c", "echo to-the-log; exit 3"])
    wait_for("the container to exit", lambda: pod.state(cid).state == cri.CONTAINER_EXITED)
    s = pod.state(cid)
    assert s.exit_code == 3 and s.started_at > 0 and s.finished_at > 0, s
    log = (pod.logs / "x.log").read_text()
    assert log.rstrip().endswith(" stdout F to-the-log"), log


def test_exec_sync(pod_of):
    pod = pod_of()
    cid = pod.container("a", ["sleep", "1000"])
    assert pod.exec(cid, "sh", "-c", "echo out; echo err >&2; exit 5") == (5, "out\n", "err\n")
    assert pod.exec(cid, "sh", "-c", "echo $PATH; pwd") == (0, "/bin\n/\n", "")
    # A missing command: ExecSync fails, the message naming it.
    with pytest.raises(grpc.RpcError) as err:
        pod.exec(cid, "nonexistent")
    assert "nonexistent" in err.value.details()


def test_run_as_user_and_read_only(pod_of):
    pod = pod_of()
    cid = pod.container("u", ["sleep", "1000"], run_as_user=cri.Int64Value(value=65534), readonly_rootfs=True)
    assert pod.out(cid, "id", "-u") == "65534\n"
    code, _, err = pod.exec(cid, "touch", "/x")
    assert code == 1 and "Read-only file system" in err, err


def test_stop_and_remove(engine, runtime, pod_of):
    """StopContainer sends SIGTERM (a trap's exit code is the status) and
    kills what ignores it once the timeout is over (sleep as PID 1 of its
    own PID namespace: 128+9); RemovePodSandbox leaves nothing of the pod."""
    pod = pod_of()
    cid = pod.container("a", ["sleep", "1000"], namespace_options=cri.NamespaceOption(pid=cri.CONTAINER))
    trap = pod.container("trap", ["sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.1; done"])
    pod.container("created", ["true"], start=False)
    engine.rt.StopContainer(cri.StopContainerRequest(container_id=trap, timeout=10), timeout=60)
    assert (pod.state(trap).state, pod.state(trap).exit_code) == (cri.CONTAINER_EXITED, 42)
    started = time.monotonic()
    engine.rt.StopContainer(cri.StopContainerRequest(container_id=cid, timeout=1), timeout=60)
    s = pod.state(cid)
    assert s.state == cri.CONTAINER_EXITED and s.exit_code == 137 and time.monotonic() - started < 20, s
    engine.rt.RemoveContainer(cri.RemoveContainerRequest(container_id=cid))
    assert cid not in [c.id for c in engine.rt.ListContainers(cri.ListContainersRequest()).containers]
    pod.remove()
    assert pod.id not in [p.id for p in engine.rt.ListPodSandbox(cri.ListPodSandboxRequest()).items]
    root = engine.d / "runc-root" / runtime[0] / NAMESPACE
    assert not (root / pod.id).exists() and not (root / cid).exists(), list(root.iterdir()) if root.exists() else None


def test_privileged(pod_of):
    """A privileged container of a privileged pod: every capability the
    host's bounding set has, the host's devices (CRI lists all of /dev;
    /dev/ptmx stays the container's own), mounts allowed."""
    pod = pod_of(privileged=True)
    cid = pod.container("p", ["sleep", "1000"], privileged=True)
    host = [l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("CapBnd")][0].split()[1]
    assert pod.out(cid, "grep", "^CapEff", "/proc/self/status").split()[1] == host
    assert pod.out(cid, "sh", "-c", "mount -t tmpfs t /tmp && echo mounted") == "mounted\n"
    assert pod.out(cid, "readlink", "/dev/ptmx") == "pts/ptmx\n"
    disks = [d for d in sorted(os.listdir("/sys/block")) if Path("/dev", d).exists()]
    assert disks and disks[0] in pod.out(cid, "ls", "/dev").split(), disks
