//! The container description, and how the command line and the compact
//! config file become one. Pure logic: no system calls.
//!
//! The description is shaped after the OCI runtime spec (`root`,
//! `hostname`, `domainname`, `linux.namespaces`, `mounts`, `process`) so that
//! a `config.json` front end can fill the same structure.

mod cli;
mod file;
mod options;
mod paths;

pub use cli::{Action, BENCH_MAX_JOBS, Mode, BENCH_MAX_RUNS, parse};
pub use options::{CGROUP_NAME_MAX, MAX_LOWERS, cgroup_path_ok, parse_user, rlimit_name};
#[cfg(feature = "cgroups")]
pub use options::{device_access, cgroup_word_ok, hugepage_size_ok, parse_device_rule};
pub use paths::PATH_ROOM;

/// A decimal number, digits only (for the probe and later numeric options).
pub fn parse_number(s: &[u8]) -> Option<u64> {
    options::parse_radix(s, 10)
}

/// A hexadecimal number, digits only (the signal masks of /proc/PID/status).
pub fn parse_hex(s: &[u8]) -> Option<u64> {
    options::parse_radix(s, 16)
}

/// A uid or gid in decimal, below 4294967295 (the kernel's "no id").
pub fn parse_id(s: &[u8]) -> Option<u32> {
    options::id(s)
}

use crate::sys::ZStr;
use heapless::Vec;
use linux_raw_sys::general::{
    CAP_AUDIT_WRITE, CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_LAST_CAP, CAP_MKNOD,
    CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SETFCAP, CAP_SETGID, CAP_SETPCAP, CAP_SETUID, CAP_SYS_CHROOT, CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS,
};

/// Most mounts one container can have, defaults included.
pub const MAX_MOUNTS: usize = 64;
/// Most `--setenv`, `--unsetenv` and `--clearenv` options.
pub const MAX_ENV_OPS: usize = 128;
/// Most words in a payload given in a config file (the command line's payload has no limit).
pub const MAX_FILE_ARGS: usize = 256;
/// Longest path the kernel takes, NUL included.
pub const PATH_MAX: usize = 4096;
/// Longest host or domain name the kernel takes.
pub const UTS_NAME_MAX: usize = 64;

/// The namespaces nsinit can create, in the words of `--unshare`.
pub const NAMESPACES: [(&str, u32); 7] = [
    ("uts", CLONE_NEWUTS),
    ("pid", CLONE_NEWPID),
    ("mnt", CLONE_NEWNS),
    ("ipc", CLONE_NEWIPC),
    ("net", CLONE_NEWNET),
    ("cgroup", CLONE_NEWCGROUP),
    ("time", CLONE_NEWTIME),
];

/// `--unshare user`: not part of `all`, which keeps to the namespaces a
/// root-run container has by default.
pub const USER_NAMESPACE: (&str, u32) = ("user", CLONE_NEWUSER);

/// Most lines in a uid or gid map.
pub const MAX_ID_MAPS: usize = 8;
/// Most supplementary groups: `--groups` and those the container's
/// `/etc/group` gives a `--user` name, together. The kernel takes 65536;
/// 64 is far more than any image's user has and keeps the list on the stack.
pub const MAX_GROUPS: usize = 64;

/// A user or a group as `--user` names it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Id<'a> {
    /// A number (all digits), used as it is, with or without an entry in
    /// the container's files.
    Number(u32),
    /// A name, looked up in the container's `/etc/passwd` or `/etc/group`.
    Name(&'a [u8]),
}

/// `--user USER[:GROUP]` as `parse_user` reads it, the way `docker run
/// --user` takes it (and runc turns OCI's `process.user` into): who the
/// payload runs as, inside. Looked up once the root is in place
/// (`container::passwd`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct User<'a> {
    /// The words as given, for errors.
    pub spec: &'a [u8],
    pub user: Id<'a>,
    pub group: Option<Id<'a>>,
}

/// One line of a user namespace's uid or gid map: `count` ids from
/// `inside` in the container are `outside` on the host.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct IdMap {
    pub inside: u32,
    pub outside: u32,
    pub count: u32,
}

/// The namespaces of the default container, as `runc spec` makes it.
pub const DEFAULT_NAMESPACES: u32 = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS;
/// The hostname of the default container.
pub const DEFAULT_HOSTNAME: &core::ffi::CStr = c"nsinit";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MountKind {
    Proc,
    Sysfs,
    Tmpfs,
    Bind,
    Dev,
    Mqueue,
    /// The cgroup filesystem, read-only (OCI's `cgroup` mount type).
    Cgroup,
}

/// The mounts of the default container, in the order they are made.
pub const DEFAULT_MOUNTS: [(MountKind, &core::ffi::CStr); 5] = [
    (MountKind::Proc, c"/proc"),
    (MountKind::Dev, c"/dev"),
    (MountKind::Mqueue, c"/dev/mqueue"),
    (MountKind::Sysfs, c"/sys"),
    // As `runc spec`'s: runtimes that size themselves from their cgroup's
    // limits (the JVM, Go, .NET) look for them here.
    (MountKind::Cgroup, c"/sys/fs/cgroup"),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mount<'a> {
    pub kind: MountKind,
    pub destination: ZStr<'a>,
    /// The host path, for binds.
    pub source: Option<ZStr<'a>>,
    pub readonly: bool,
    /// tmpfs size in bytes.
    pub size: Option<u64>,
    /// tmpfs permission bits.
    pub mode: Option<u32>,
}

impl<'a> Mount<'a> {
    pub fn new(kind: MountKind, destination: ZStr<'a>) -> Mount<'a> {
        Mount { kind, destination, source: None, readonly: matches!(kind, MountKind::Sysfs | MountKind::Cgroup), size: None, mode: None }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EnvOp<'a> {
    Set(ZStr<'a>, ZStr<'a>),
    Unset(ZStr<'a>),
    Clear,
}

/// The payload's argv, ending with `None` as `execve` wants it (empty while
/// there is no payload yet).
#[derive(Debug)]
// Boxing the words would need an allocator; the description is one static.
#[allow(clippy::large_enum_variant)]
pub enum Payload<'a> {
    /// Words read from a config file; none yet, in a new description. (First,
    /// so that an empty description is all zero bytes and its static lives
    /// in `.bss`, not in the file.)
    Words(Vec<Option<ZStr<'a>>, { MAX_FILE_ARGS + 1 }>),
    /// The tail of nsinit's own argv, used in place.
    Argv(&'a [Option<ZStr<'a>>]),
}

impl<'a> Payload<'a> {
    pub fn argv(&self) -> &[Option<ZStr<'a>>] {
        match self {
            Payload::Argv(a) => a,
            Payload::Words(w) => w,
        }
    }

    pub fn command(&self) -> Option<ZStr<'a>> {
        self.argv().first().copied().flatten()
    }
}

/// Capability names as `capabilities(7)` spells them, less `CAP_`, in
/// number order: capability N is the Nth word.
pub const CAPABILITY_NAMES: &str = "chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap \
linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock ipc_owner sys_module sys_rawio \
sys_chroot sys_ptrace sys_pacct sys_admin sys_boot sys_nice sys_resource sys_time sys_tty_config mknod lease \
audit_write audit_control setfcap mac_override mac_admin syslog wake_alarm block_suspend audit_read perfmon bpf \
checkpoint_restore";

/// Every capability nsinit knows: `--cap-add ALL`, and a `--bare`
/// container's starting set.
pub const ALL_CAPABILITIES: u64 = (1 << (CAP_LAST_CAP + 1)) - 1;

/// The capabilities of the default container: those runc and Docker keep.
pub const DEFAULT_CAPABILITIES: u64 = {
    let kept = [
        CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW, CAP_SETGID, CAP_SETUID,
        CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
    ];
    let mut set = 0;
    let mut i = 0;
    while i < kept.len() {
        set |= 1 << kept[i];
        i += 1;
    }
    set
};

/// The payload's capability sets (OCI `process.capabilities`), one bit a
/// capability.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Capabilities {
    pub bounding: u64,
    pub effective: u64,
    pub inheritable: u64,
    pub permitted: u64,
    pub ambient: u64,
}

/// The system-call filter (OCI `linux.seccomp`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Seccomp<'a> {
    #[default]
    Off,
    /// nsinit's default: what Docker's default profile denies, denied.
    Default,
    /// `--seccomp FILE`: a profile in nsinit's text form.
    Profile(ZStr<'a>),
}

/// The paths the default container hides (OCI `linux.maskedPaths`, as in
/// `runc spec`): kernel state a container has no business reading.
pub const DEFAULT_MASKED_PATHS: [&core::ffi::CStr; 10] = [
    c"/proc/acpi",
    c"/proc/kcore",
    c"/proc/keys",
    c"/proc/latency_stats",
    c"/proc/timer_list",
    c"/proc/timer_stats",
    c"/proc/sched_debug",
    c"/proc/scsi",
    c"/sys/firmware",
    c"/sys/devices/virtual/powercap",
];
/// The paths it makes read-only (OCI `linux.readonlyPaths`): kernel knobs.
pub const DEFAULT_READONLY_PATHS: [&core::ffi::CStr; 5] =
    [c"/proc/bus", c"/proc/fs", c"/proc/irq", c"/proc/sys", c"/proc/sysrq-trigger"];
/// Most masked paths, and most read-only paths, defaults included.
pub const MAX_PATH_RULES: usize = 32;
/// Most `--pass-fd` options.
pub const MAX_PASS_FDS: usize = 16;

#[derive(Debug)]
pub struct Process<'a> {
    pub args: Payload<'a>,
    /// Changes to the environment nsinit was started with, in order.
    pub env: Vec<EnvOp<'a>, MAX_ENV_OPS>,
    pub cwd: Option<ZStr<'a>>,
    /// `--user USER[:GROUP]`, as given (checked): who the payload runs as,
    /// inside. (Kept as text, read with `parse_user` where needed, so that
    /// `None` is all zero bytes: see `Payload`.)
    pub user: Option<ZStr<'a>>,
    /// `--groups`: its supplementary groups.
    pub groups: Option<Vec<u32, MAX_GROUPS>>,
    /// `None` leaves the capabilities as nsinit has them.
    pub capabilities: Option<Capabilities>,
    /// `PR_SET_NO_NEW_PRIVS`: no setuid bit or file capability can raise
    /// the payload's privileges.
    pub no_new_privileges: bool,
    /// Descriptors beyond 0, 1 and 2 that the payload inherits (`--pass-fd`).
    pub pass_fds: Vec<u32, MAX_PASS_FDS>,
    /// `--new-session`: `setsid` whether or not standard input is a
    /// terminal (bubblewrap's word; otherwise only when it is not one).
    pub new_session: bool,
    /// `--tty` (OCI `process.terminal`): the payload's stdio and controlling
    /// terminal is a pty of the container's own, relayed by nsinit.
    pub terminal: bool,
}

/// `--init`: nsinit stays the container's PID 1 and runs the payload as its
/// child. Not an `Option`: all zeros must mean "off", so that an empty
/// description lives in `.bss` (an `Option` here would take its niche in a
/// bool and make `None` a non-zero byte).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Init {
    pub enabled: bool,
    /// `--init-pgroup`: signals go to the payload's whole process group
    /// (as tini -g), not to the payload alone.
    pub pgroup: bool,
    /// `--init-foreground`: the caller's process group has the terminal's
    /// foreground, so the payload's gets it. nsinit passes it to its own
    /// init in a pid namespace, which cannot tell (the caller's group has
    /// no name there); elsewhere the init asks the terminal.
    pub foreground: bool,
}

/// What the machine does when nsinit, as its init, sees the payload exit.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum OnExit {
    #[default]
    PowerOff,
    Reboot,
    Halt,
}

/// Most `--rlimit` options.
pub const MAX_RLIMITS: usize = 16;

/// Most rules of each list in `Resources` (OCI `linux.resources`: device
/// rules, block I/O devices, hugepage limits, network priorities, rdma
/// devices, `unified` keys).
pub const MAX_DEVICE_RULES: usize = 64;
pub const MAX_BLKIO_DEVICES: usize = 16;
pub const MAX_HUGEPAGE_LIMITS: usize = 8;
pub const MAX_NET_PRIORITIES: usize = 16;
pub const MAX_RDMA: usize = 8;
pub const MAX_UNIFIED: usize = 32;

/// A device's access bits in a `DeviceRule`, the kernel's
/// `BPF_DEVCG_ACC_*` (v1 spells them `m`, `r`, `w`).
pub const DEVICE_MKNOD: u8 = 1;
pub const DEVICE_READ: u8 = 2;
pub const DEVICE_WRITE: u8 = 4;

/// A device cgroup rule (OCI `linux.resources.devices[]`, docker's
/// `--device-cgroup-rule 'c 1:3 rwm'`), as v1's `devices.allow` reads it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DeviceRule {
    pub allow: bool,
    /// `b'a'` (any device), `b'b'` (block) or `b'c'` (character).
    pub kind: u8,
    /// `None` is any (`*`). At most 4095, as the kernel's majors.
    pub major: Option<u32>,
    /// `None` is any. At most 1048575.
    pub minor: Option<u32>,
    /// `DEVICE_*` bits, not empty.
    pub access: u8,
}

/// What a `BlkioDevice` limits (OCI `linux.resources.blockIO`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BlkioLimit {
    /// `weightDevice[].weight`, 10 to 1000.
    Weight,
    /// `weightDevice[].leafWeight` (v1 only).
    LeafWeight,
    /// `throttleReadBpsDevice[]`, bytes per second.
    ReadBps,
    WriteBps,
    /// `throttleReadIOPSDevice[]`, operations per second.
    ReadIops,
    WriteIops,
}

/// A limit on one block device.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BlkioDevice<'a> {
    pub limit: BlkioLimit,
    pub major: u32,
    pub minor: u32,
    /// docker's `PATH:RATE` form: the host's device node, whose numbers
    /// replace `major` and `minor` when the cgroup is made.
    pub path: Option<&'a [u8]>,
    pub value: u64,
}

/// OCI `hugepageLimits[]`: at most `limit` bytes of huge pages of
/// `page_size` (`2MB`, `1GB`: the kernel's `hugetlb.<SIZE>.*` word).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct HugepageLimit<'a> {
    pub page_size: &'a [u8],
    pub limit: u64,
}

/// OCI `network.priorities[]` (cgroup v1 `net_prio.ifpriomap`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NetPriority<'a> {
    pub interface: &'a [u8],
    pub priority: u32,
}

/// OCI `rdma.<device>` (`rdma.max`); `None` leaves a count unlimited.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Rdma<'a> {
    pub device: &'a [u8],
    pub hca_handles: Option<u32>,
    pub hca_objects: Option<u32>,
}

/// Limits on the container's cgroup (OCI `linux.resources`). `None` leaves
/// a limit as the kernel has it; `u64::MAX` is "max", no limit. Where
/// cgroup v1 and v2 differ, the fields say whose words they are in, and
/// `container::cgroup` converts as runc and crun do; a v1-only field on a
/// v2 machine (or `unified` on v1) is an error, as crun makes it.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Resources<'a> {
    pub pids_max: Option<u64>,
    /// OCI `memory.limit`.
    pub memory_max: Option<u64>,
    /// Swap alone, v2's `memory.swap.max` (`--memory-swap-max`); on v1
    /// added to `memory_max`.
    pub memory_swap_max: Option<u64>,
    /// Memory and swap together, v1's `memory.memsw.limit_in_bytes` (OCI
    /// `memory.swap`, docker's `--memory-swap`); on v2 less `memory_max`.
    pub memory_swap: Option<u64>,
    /// OCI `memory.reservation`: v1 `memory.soft_limit_in_bytes`, v2 `memory.low`.
    pub memory_reservation: Option<u64>,
    /// OCI `memory.swappiness`, 0 to 100 (v1 only).
    pub memory_swappiness: Option<u64>,
    /// OCI `memory.disableOOMKiller` (v1 only). OCI's `kernel` and
    /// `kernelTCP` are ignored, as runc ignores them (the kernel dropped them).
    pub oom_kill_disable: bool,
    /// CPU time per period, in microseconds: (quota or max, period). OCI
    /// `cpu.quota` and `cpu.period` (a quota of 0 or less is max; a period
    /// of 0 is 100000).
    pub cpu_max: Option<(u64, u64)>,
    /// `--cpus` as given, when it set `cpu_max`: as Docker does, more than
    /// the CPUs nsinit may run on is refused (`--cpu-max`, as Docker's
    /// `--cpu-quota`, is not checked).
    pub cpus: Option<ZStr<'a>>,
    /// Relative CPU share, 1 to 10000 (cgroup v2 `cpu.weight`).
    pub cpu_weight: Option<u64>,
    /// Relative CPU share, 2 to 262144 (v1 `cpu.shares`, OCI `cpu.shares`);
    /// on v2 the weight crun and runc make of it.
    pub cpu_shares: Option<u64>,
    /// OCI `cpu.burst`, microseconds.
    pub cpu_burst: Option<u64>,
    /// OCI `cpu.idle`, 0 or 1.
    pub cpu_idle: Option<u64>,
    /// OCI `cpu.realtimeRuntime` and `realtimePeriod`, microseconds (v1
    /// only; a negative runtime is `u64::MAX`, no limit).
    pub cpu_rt_runtime: Option<u64>,
    pub cpu_rt_period: Option<u64>,
    /// The CPUs it may run on, as `cpuset.cpus` spells them (`0-1,3`).
    pub cpuset: Option<ZStr<'a>>,
    /// The memory nodes (OCI `cpu.mems`, `cpuset.mems`).
    pub cpuset_mems: Option<ZStr<'a>>,
    /// OCI `blockIO.weight`, 10 to 1000: v1 `blkio.weight`; v2
    /// `io.bfq.weight`, or `io.weight` scaled to 1..10000.
    pub blkio_weight: Option<u64>,
    /// OCI `blockIO.leafWeight` (v1 only).
    pub blkio_leaf_weight: Option<u64>,
    pub blkio_devices: Vec<BlkioDevice<'a>, MAX_BLKIO_DEVICES>,
    pub hugepage_limits: Vec<HugepageLimit<'a>, MAX_HUGEPAGE_LIMITS>,
    /// OCI `network.classID`, a u32 (v1 only).
    pub net_class_id: Option<u64>,
    /// OCI `network.priorities` (v1 only).
    pub net_priorities: Vec<NetPriority<'a>, MAX_NET_PRIORITIES>,
    pub rdma: Vec<Rdma<'a>, MAX_RDMA>,
    /// OCI `unified`: file name and value, written as they are (v2 only).
    pub unified: Vec<(&'a [u8], &'a [u8]), MAX_UNIFIED>,
    /// Empty: the devices are not limited. Otherwise the device cgroup is
    /// deny all, these rules in order, then `DEFAULT_DEVICE_RULES` (as
    /// runc appends its defaults to the spec's rules).
    pub devices: Vec<DeviceRule, MAX_DEVICE_RULES>,
}

impl Resources<'_> {
    /// Whether any limit is set. Field by field: a default to compare with
    /// would be kilobytes of stack on every start.
    pub fn any(&self) -> bool {
        let r = self;
        let numbers = [
            r.pids_max, r.memory_max, r.memory_swap_max, r.memory_swap, r.memory_reservation, r.memory_swappiness,
            r.cpu_weight, r.cpu_shares, r.cpu_burst, r.cpu_idle, r.cpu_rt_runtime, r.cpu_rt_period, r.blkio_weight,
            r.blkio_leaf_weight, r.net_class_id,
        ];
        let lists = [r.blkio_devices.len(), r.hugepage_limits.len(), r.net_priorities.len(), r.rdma.len(), r.unified.len(), r.devices.len()];
        numbers.iter().any(Option::is_some)
            || lists.iter().any(|n| *n != 0)
            || r.oom_kill_disable
            || r.cpu_max.is_some()
            || r.cpus.is_some()
            || r.cpuset.is_some()
            || r.cpuset_mems.is_some()
    }
}

/// Shorthand for the table below.
const fn dev(kind: u8, major: Option<u32>, minor: Option<u32>, access: u8) -> DeviceRule {
    DeviceRule { allow: true, kind, major, minor, access }
}
const RWM: u8 = DEVICE_READ | DEVICE_WRITE | DEVICE_MKNOD;

/// The devices every device-limited container may use, runc's list: mknod
/// of any node (opening it is what the rules decide), null, random, full,
/// tty, zero, urandom, the pty slaves and ptmx, and /dev/net/tun.
pub const DEFAULT_DEVICE_RULES: [DeviceRule; 11] = [
    dev(b'c', None, None, DEVICE_MKNOD),
    dev(b'b', None, None, DEVICE_MKNOD),
    dev(b'c', Some(1), Some(3), RWM),
    dev(b'c', Some(1), Some(8), RWM),
    dev(b'c', Some(1), Some(7), RWM),
    dev(b'c', Some(5), Some(0), RWM),
    dev(b'c', Some(1), Some(5), RWM),
    dev(b'c', Some(1), Some(9), RWM),
    dev(b'c', Some(136), None, RWM),
    dev(b'c', Some(5), Some(2), RWM),
    dev(b'c', Some(10), Some(200), RWM),
];

/// A resource limit of the payload (`setrlimit`), OCI `process.rlimits`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Rlimit {
    pub resource: u32,
    pub soft: u64,
    pub hard: u64,
}

/// Everything nsinit needs to start one container.
#[derive(Debug)]
pub struct Container<'a> {
    /// The root filesystem; `None` keeps the host's.
    pub root: Option<ZStr<'a>>,
    /// `CLONE_NEW*` bits.
    pub namespaces: u32,
    pub hostname: Option<ZStr<'a>>,
    pub domainname: Option<ZStr<'a>>,
    pub mounts: Vec<Mount<'a>, MAX_MOUNTS>,
    pub process: Process<'a>,
    pub init: Init,
    /// `--stop-timeout SECONDS` (docker's word; OCI has none): how long the
    /// container has to stop once nsinit passed it SIGTERM, SIGINT or
    /// SIGHUP, before SIGKILL (`init::DEFAULT_STOP_TIMEOUT` when `None`);
    /// with `--init`, also how long what the payload leaves behind has
    /// between SIGTERM and SIGKILL (`init::DEFAULT_LEFTOVER_TIMEOUT`).
    pub stop_timeout: Option<u32>,
    pub on_exit: OnExit,
    /// Where the container's cgroup goes: `/A/B` below each hierarchy's
    /// root; `A/B` below nsinit's own cgroup (v1) or its parent (v2), as
    /// runc takes a relative `cgroupsPath`. By default, when there are
    /// limits, `nsinit-<PID of nsinit>` below nsinit's own cgroup in each
    /// hierarchy (see `container::cgroup`).
    pub cgroup: Option<ZStr<'a>>,
    pub resources: Resources<'a>,
    pub rlimits: Vec<Rlimit, MAX_RLIMITS>,
    pub oom_score_adj: Option<i32>,
    /// The user namespace's maps; empty, the caller is mapped to 0.
    pub uid_maps: Vec<IdMap, MAX_ID_MAPS>,
    pub gid_maps: Vec<IdMap, MAX_ID_MAPS>,
    /// `--userns auto`: the maps are made when the container starts, as
    /// rootless podman and rootlesskit make them: the caller's own ids are
    /// 0, and its subordinate ids (`/etc/subuid`, `/etc/subgid`) follow
    /// from 1 (see `container::user`).
    pub userns_auto: bool,
    /// `--share user` was given: a non-root caller gets no user namespace
    /// of its own accord.
    pub user_ns_refused: bool,
    /// `--overlay LOWER[:LOWER...]`: the root is these read-only layers
    /// (the first on top) under a writable one.
    pub overlay: Option<ZStr<'a>>,
    /// `--overlay-upper DIR`: the writable layer; `None` is a throwaway tmpfs.
    pub overlay_upper: Option<ZStr<'a>>,
    /// `--read-only`: the root mount is read-only.
    pub read_only: bool,
    pub seccomp: Seccomp<'a>,
    /// Covered with an empty read-only file or directory, where they exist.
    pub masked_paths: Vec<ZStr<'a>, MAX_PATH_RULES>,
    /// Bound read-only onto themselves, where they exist.
    pub readonly_paths: Vec<ZStr<'a>, MAX_PATH_RULES>,
    /// `--die-with-parent`: nsinit gets SIGKILL when the process that
    /// started it dies (and the container with nsinit, as always).
    pub die_with_parent: bool,
}

impl<'a> Container<'a> {
    pub const fn new() -> Container<'a> {
        Container {
            root: None,
            namespaces: 0,
            hostname: None,
            domainname: None,
            mounts: Vec::new(),
            process: Process {
                args: Payload::Words(Vec::new()),
                env: Vec::new(),
                cwd: None,
                user: None,
                groups: None,
                capabilities: None,
                no_new_privileges: false,
                pass_fds: Vec::new(),
                new_session: false,
                terminal: false,
            },
            init: Init { enabled: false, pgroup: false, foreground: false },
            stop_timeout: None,
            on_exit: OnExit::PowerOff,
            cgroup: None,
            resources: Resources {
                pids_max: None,
                memory_max: None,
                memory_swap_max: None,
                memory_swap: None,
                memory_reservation: None,
                memory_swappiness: None,
                oom_kill_disable: false,
                cpu_max: None,
                cpus: None,
                cpu_weight: None,
                cpu_shares: None,
                cpu_burst: None,
                cpu_idle: None,
                cpu_rt_runtime: None,
                cpu_rt_period: None,
                cpuset: None,
                cpuset_mems: None,
                blkio_weight: None,
                blkio_leaf_weight: None,
                blkio_devices: Vec::new(),
                hugepage_limits: Vec::new(),
                net_class_id: None,
                net_priorities: Vec::new(),
                rdma: Vec::new(),
                unified: Vec::new(),
                devices: Vec::new(),
            },
            rlimits: Vec::new(),
            oom_score_adj: None,
            uid_maps: Vec::new(),
            gid_maps: Vec::new(),
            userns_auto: false,
            user_ns_refused: false,
            overlay: None,
            overlay_upper: None,
            read_only: false,
            seccomp: Seccomp::Off,
            masked_paths: Vec::new(),
            readonly_paths: Vec::new(),
            die_with_parent: false,
        }
    }

    /// Whether the container gets a cgroup of its own.
    pub fn wants_cgroup(&self) -> bool {
        self.cgroup.is_some() || self.resources.any()
    }

    pub fn clear(&mut self) {
        self.root = None;
        self.namespaces = 0;
        self.hostname = None;
        self.domainname = None;
        self.mounts.clear();
        // In place: a new `Payload` would be built on the stack, 2 KiB of it.
        match &mut self.process.args {
            Payload::Words(words) => words.clear(),
            args => *args = Payload::Words(Vec::new()),
        }
        self.process.env.clear();
        self.process.cwd = None;
        self.init = Init::default();
        self.stop_timeout = None;
        self.on_exit = OnExit::PowerOff;
        self.cgroup = None;
        // Only the cgroups feature fills them (the core never reads them).
        if cfg!(feature = "cgroups") {
            self.resources = Resources::default();
        }
        self.rlimits.clear();
        self.oom_score_adj = None;
        self.process.user = None;
        self.process.groups = None;
        self.uid_maps.clear();
        self.gid_maps.clear();
        self.userns_auto = false;
        self.user_ns_refused = false;
        self.overlay = None;
        self.overlay_upper = None;
        self.read_only = false;
        self.process.capabilities = None;
        self.process.no_new_privileges = false;
        self.process.pass_fds.clear();
        self.process.new_session = false;
        self.die_with_parent = false;
        self.process.terminal = false;
        self.seccomp = Seccomp::Off;
        self.masked_paths.clear();
        self.readonly_paths.clear();
    }

    /// Whether starting it needs no new process, no namespace, no mount and
    /// nothing set on the payload's process (its user, groups, working
    /// directory, limits, cgroup): then `--init` makes nsinit itself the
    /// init, as tini would be, and applies none of those.
    pub fn is_trivial(&self) -> bool {
        self.root.is_none()
            && self.overlay.is_none()
            && self.namespaces == 0
            && self.mounts.is_empty()
            && self.hostname.is_none()
            && self.domainname.is_none()
            && self.process.capabilities.is_none()
            && !self.process.no_new_privileges
            && self.seccomp == Seccomp::Off
            && !self.process.new_session
            && self.process.user.is_none()
            && self.process.groups.is_none()
            && self.process.cwd.is_none()
            && self.rlimits.is_empty()
            && self.oom_score_adj.is_none()
            && !self.wants_cgroup()
    }

    pub fn has(&self, namespace: u32) -> bool {
        self.namespaces & namespace != 0
    }
}

impl Default for Container<'_> {
    fn default() -> Self {
        Container::new()
    }
}

/// A room for the paths a test's parse rewrites, leaked as its argv is.
#[cfg(test)]
fn test_room() -> &'static mut [u8] {
    Box::leak(vec![0u8; PATH_ROOM].into_boxed_slice())
}

/// An argv for a test, `nsinit` and `words`, leaked: the strings must
/// outlive the parse.
#[cfg(test)]
fn test_argv(words: &[&str]) -> &'static [Option<ZStr<'static>>] {
    let mut v: std::vec::Vec<Option<ZStr<'static>>> = std::iter::once("nsinit")
        .chain(words.iter().copied())
        .map(|w| Some(ZStr::new(Box::leak(std::ffi::CString::new(w).unwrap().into_boxed_c_str()))))
        .collect();
    v.push(None);
    Box::leak(v.into_boxed_slice())
}

#[cfg(test)]
mod resources_tests {
    use super::*;

    #[test]
    fn any_limit_set_is_seen() {
        assert!(!Resources::default().any());
        let sets: [fn(&mut Resources<'static>); 12] = [
            |r| r.memory_swap = Some(1),
            |r| r.memory_swappiness = Some(0),
            |r| r.oom_kill_disable = true,
            |r| r.cpu_idle = Some(0),
            |r| r.cpu_rt_runtime = Some(1),
            |r| r.cpuset_mems = Some(ZStr::new(c"0")),
            |r| r.net_class_id = Some(1),
            |r| {
                let _ = r.devices.push(DEFAULT_DEVICE_RULES[0]);
            },
            |r| {
                let _ = r.unified.push((b"memory.high", b"1"));
            },
            |r| {
                let _ = r.rdma.push(Rdma { device: b"mlx4_0", hca_handles: None, hca_objects: None });
            },
            |r| {
                let _ = r.hugepage_limits.push(HugepageLimit { page_size: b"2MB", limit: 1 });
            },
            |r| r.blkio_leaf_weight = Some(10),
        ];
        for (i, set) in sets.iter().enumerate() {
            let mut r = Resources::default();
            set(&mut r);
            assert!(r.any(), "field {i}");
        }
    }
}
