//! The container description, and how the command line and the compact
//! config file become one. Pure logic: no system calls.
//!
//! The description is shaped after the OCI runtime spec (`root`,
//! `hostname`, `domainname`, `linux.namespaces`, `mounts`, `process`) so that
//! a `config.json` front end can fill the same structure.

mod cli;
mod file;
mod kernel;
#[cfg(feature = "mounts")]
mod mount;
mod options;
mod paths;
#[cfg(feature = "oci")]
pub mod runc;

pub use cli::{Action, BENCH_MAX_JOBS, BundleRequest, Mode, BENCH_MAX_RUNS, parse};
pub use options::{CGROUP_NAME_MAX, MAX_LOWERS, capability, cgroup_path_ok, parse_octal, parse_size, parse_user, rlimit_name, rlimit_resource};
#[cfg(feature = "cgroups")]
pub use options::{device_access, cgroup_word_ok, hugepage_size_ok, parse_device_rule};
pub use kernel::{
    CpuAffinity, CpuSet, Device, DeviceKind, IoPriority, JOIN_ORDER, Join, MAX_CPUS, MAX_DEVICES, MAX_JOINS, MAX_MAJOR, MAX_MINOR,
    MAX_SYSCTLS, PER_LINUX, PER_LINUX32, Scheduler, Sysctl, TimeOffsets, io_class, namespace_name, namespace_type, parse_cpu_list,
    parse_personality, sched_flag, sched_policy, sysctl_namespace, sysctl_path,
};
pub use paths::{PATH_ROOM, PathRoom};
#[cfg(feature = "mounts")]
pub use mount::{MOUNT_DATA_MAX, MountOption, MountOptions, mount_option};
#[cfg(feature = "oci")]
pub use mount::each_mount_option;

/// A decimal number, digits only (for the probe and later numeric options).
pub fn parse_number(s: &[u8]) -> Option<u64> {
    options::parse_radix(s, 10)
}

/// A hexadecimal number, digits only (the signal masks of /proc/PID/status).
pub fn parse_hex(s: &[u8]) -> Option<u64> {
    options::parse_radix(s, 16)
}

/// Which of `words` (space-separated) `word` is. A `match` on byte
/// strings compiles to one compare a byte at opt-level "z"; this is one
/// loop for all of them (issue 13's size budget). For the same reason a
/// prefix is stripped as a slice (`&b"cap_"[..]`): an array literal makes
/// a `strip_prefix` of its own for each length.
#[inline(never)]
pub fn which(word: &[u8], words: &str) -> Option<usize> {
    crate::text::lookup(word, words.as_bytes(), b' ').ok()
}

/// Whether `word` is `literal` (no space in it), as `which` compares.
pub fn is(word: &[u8], literal: &str) -> bool {
    which(word, literal).is_some()
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

/// What a mount is: one of the presets nsinit makes its own way, or any
/// other filesystem type mount(2) takes (`Other`, named by `Mount::fstype`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MountKind {
    Proc,
    /// sysfs; where the kernel refuses a new one to a user namespace, the
    /// host's `/sys` bound instead.
    Sysfs,
    Tmpfs,
    /// bubblewrap's `--bind`: the whole tree (MS_REC), and `nodev` when it
    /// is a directory.
    Bind,
    /// A minimal `/dev` built by nsinit.
    Dev,
    Mqueue,
    /// The container's view of its cgroups (OCI's `cgroup` mount type):
    /// cgroup2 on a v2 host; on v1 a tmpfs holding each hierarchy.
    Cgroup,
    /// Any other filesystem type, or a bind (`MS_BIND` in `flags`).
    Other,
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

/// One mount, as OCI's `mounts[]` and mount(8) describe it: `{type,
/// source, destination, options}`, the options sorted by what they do.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mount<'a> {
    pub kind: MountKind,
    /// mount(2)'s filesystem type, for `MountKind::Other` (the presets
    /// know their own).
    pub fstype: Option<ZStr<'a>>,
    pub destination: ZStr<'a>,
    /// The host path of a bind; mount(2)'s source for a filesystem
    /// (`None`: the type's name).
    pub source: Option<ZStr<'a>>,
    /// `MS_*` flags to set: `ro`, `nosuid`, ..., `remount`, `bind`, `rbind`
    /// (`MS_BIND | MS_REC`). For a bind they are the bound mount's own,
    /// set as `mount -o remount,bind` would (`mount_setattr`): a flag not
    /// named is kept as the source has it.
    pub flags: u32,
    /// `MS_*` flags an option cleared (`rw`, `suid`, `dev`, ...): for a
    /// bind, taken off the bound mount even where the source has them.
    pub cleared: u32,
    /// `MS_SHARED`, `MS_SLAVE`, `MS_PRIVATE` or `MS_UNBINDABLE`, with
    /// `MS_REC` for the `r` words, applied once the mount is made; 0
    /// leaves it as the kernel made it.
    pub propagation: u32,
    /// `MOUNT_ATTR_*` set and cleared on every mount of the tree
    /// (`mount_setattr(AT_RECURSIVE)`): `rro`, `rnosuid`, `rrw`, ...
    pub attr_set: u32,
    pub attr_clr: u32,
    /// The options that go to the filesystem, comma-joined (`size=1M,mode=755`).
    pub data: Option<ZStr<'a>>,
    /// `idmap` or `ridmap`: a bind seen through a user namespace's maps.
    #[cfg(feature = "mounts")]
    pub idmap: Option<Idmap>,
    /// runc's `tmpcopyup` (a tmpfs only): what the image has at the
    /// destination is copied into the new tmpfs.
    #[cfg(feature = "mounts")]
    pub copy_up: bool,
    /// A cgroup mount of the OCI front end: on cgroup v1 without a cgroup
    /// namespace of the container's own, each hierarchy shows the
    /// container's own cgroup at its root, as runc binds it (Docker's and
    /// podman's payloads read `/sys/fs/cgroup/memory/memory.limit_in_bytes`),
    /// not the host's tree.
    pub own_cgroups: bool,
}

/// An idmapped bind (runtime-spec 1.2's `idmap` and `ridmap` options, the
/// kernel's `MOUNT_ATTR_IDMAP`): the bound files' owners are seen through a
/// user namespace's maps, a file of the host's `hostID` owned by
/// `containerID`, and one made through it stored as the host's id.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Idmap {
    /// `ridmap`: every mount of the bound tree, not only its top one.
    pub recursive: bool,
    /// Which of `Container::mount_maps` holds the mount's own maps; `None`:
    /// those of the container's user namespace.
    pub maps: Option<u8>,
}

/// A mount's own uid and gid maps (OCI's `mounts[].uidMappings` and
/// `gidMappings`), as a user namespace's.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MountMaps {
    pub uid: Vec<IdMap, MAX_ID_MAPS>,
    pub gid: Vec<IdMap, MAX_ID_MAPS>,
}

/// Most mounts with maps of their own.
pub const MAX_MOUNT_MAPS: usize = 16;

impl<'a> Mount<'a> {
    /// A preset with its usual flags: `nosuid,nodev,noexec` for the kernel's
    /// filesystems (read-only for sysfs and cgroup), `nosuid,nodev` for a
    /// tmpfs, the whole tree for a bind. Not inlined: each option that
    /// makes a mount would hold a copy of the whole struct's writes.
    #[inline(never)]
    pub fn new(kind: MountKind, destination: ZStr<'a>) -> Mount<'a> {
        use linux_raw_sys::general::{MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC};
        let flags = match kind {
            MountKind::Proc | MountKind::Mqueue => MS_NOSUID | MS_NODEV | MS_NOEXEC,
            MountKind::Sysfs | MountKind::Cgroup => MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
            MountKind::Tmpfs => MS_NOSUID | MS_NODEV,
            MountKind::Bind => MS_BIND | MS_REC,
            MountKind::Dev | MountKind::Other => 0,
        };
        Mount {
            kind,
            fstype: None,
            destination,
            source: None,
            flags,
            cleared: 0,
            propagation: 0,
            attr_set: 0,
            attr_clr: 0,
            data: None,
            #[cfg(feature = "mounts")]
            idmap: None,
            #[cfg(feature = "mounts")]
            copy_up: false,
            own_cgroups: false,
        }
    }

    /// Whether it is an idmapped bind (never without the `mounts` feature).
    pub fn idmapped(&self) -> bool {
        #[cfg(feature = "mounts")]
        return self.idmap.is_some();
        #[cfg(not(feature = "mounts"))]
        false
    }

    /// Whether the bound mount, or the whole tree, is read-only.
    pub fn read_only(&self) -> bool {
        (self.flags & linux_raw_sys::general::MS_RDONLY) | (self.attr_set & linux_raw_sys::general::MOUNT_ATTR_RDONLY) != 0
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
#[derive(Clone, Copy, Debug, Default)]
pub enum Seccomp<'a> {
    #[default]
    Off,
    /// nsinit's default: what Docker's default profile denies, denied.
    Default,
    /// `--seccomp FILE`: a profile in nsinit's text form.
    Profile(ZStr<'a>),
    /// A profile a front end filled (the OCI one, from `linux.seccomp`,
    /// with `seccomp::Profile::add`).
    Rules(&'a crate::seccomp::Profile),
}

/// The same filter: the same word, file or filled profile (by address).
impl PartialEq for Seccomp<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Seccomp::Profile(a), Seccomp::Profile(b)) => a == b,
            (Seccomp::Rules(a), Seccomp::Rules(b)) => core::ptr::eq(*a, *b),
            _ => core::mem::discriminant(self) == core::mem::discriminant(other),
        }
    }
}

impl Eq for Seccomp<'_> {}

/// The UNIX socket the seccomp filter's listener is sent to, with the
/// container process state (runtime-spec config-linux.md, "Seccomp").
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SeccompListener<'a> {
    /// `listenerPath`: a socket file on the host, as nsinit resolves it.
    pub path: ZStr<'a>,
    /// `listenerMetadata`: passed on as the state's `metadata`.
    pub metadata: Option<ZStr<'a>>,
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

/// What runs in the container, and how (OCI `process`).
///
/// `repr(C)`, small words first and the payload's words before the
/// large tables, as `Container`: a start writes few of its pages.
#[derive(Debug)]
#[repr(C)]
pub struct Process<'a> {
    /// `None` leaves the capabilities as nsinit has them.
    pub capabilities: Option<Capabilities>,
    /// `PR_SET_NO_NEW_PRIVS`: no setuid bit or file capability can raise
    /// the payload's privileges.
    pub no_new_privileges: bool,
    /// `--new-session`: `setsid` whether or not standard input is a
    /// terminal (bubblewrap's word; otherwise only when it is not one).
    pub new_session: bool,
    /// `--tty` (OCI `process.terminal`): the payload's stdio and controlling
    /// terminal is a pty of the container's own, relayed by nsinit.
    pub terminal: bool,
    /// OCI `process.consoleSize`: the pty's rows and columns; without it,
    /// those of nsinit's own terminal.
    pub console_size: Option<(u16, u16)>,
    /// `--umask` (OCI `process.user.umask`): set just before the exec;
    /// `None` keeps nsinit's own.
    pub umask: Option<u32>,
    pub cwd: Option<ZStr<'a>>,
    /// `--user USER[:GROUP]`, as given (checked): who the payload runs as,
    /// inside. (Kept as text, read with `parse_user` where needed, so that
    /// `None` is all zero bytes: see `Payload`.)
    pub user: Option<ZStr<'a>>,
    /// `--io-priority` (OCI `process.ioPriority`).
    pub io_priority: Option<IoPriority>,
    /// `--apparmor` (OCI `process.apparmorProfile`): the AppArmor profile
    /// the payload is confined to from its exec.
    pub apparmor_profile: Option<ZStr<'a>>,
    /// `--selinux-label` (OCI `process.selinuxLabel`): the SELinux label
    /// the payload runs with from its exec.
    pub selinux_label: Option<ZStr<'a>>,
    /// `--scheduler`, `--nice` (OCI `process.scheduler`).
    pub scheduler: Option<Scheduler>,
    pub args: Payload<'a>,
    /// Changes to the environment nsinit was started with, in order.
    pub env: Vec<EnvOp<'a>, MAX_ENV_OPS>,
    /// `--groups`: its supplementary groups.
    pub groups: Option<Vec<u32, MAX_GROUPS>>,
    /// Descriptors beyond 0, 1 and 2 that the payload inherits (`--pass-fd`).
    pub pass_fds: Vec<u32, MAX_PASS_FDS>,
    /// `--cpu-affinity` (OCI `process.execCPUAffinity`). (Not an
    /// `Option`: its `None` would not be zero bytes.)
    pub cpu_affinity: CpuAffinity,
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
    /// On cgroup v1, the container is also placed in the freezer
    /// hierarchy, for the lifecycle's `pause` (v2's cgroup.freeze needs
    /// nothing more). Not a limit: `any` leaves it out.
    pub freezer: bool,
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

/// The points of a container's life where hooks run (runtime-spec
/// `config.md#posix-platform-hooks`), in the order they come.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum HookPoint {
    /// Deprecated by the spec, run with `CreateRuntime`, before it.
    Prestart,
    /// In nsinit's namespaces, once the container's namespaces and mounts
    /// exist, before `pivot_root`.
    CreateRuntime,
    /// In the container's namespaces, after `CreateRuntime`, before
    /// `pivot_root` (the path is found on the host's filesystem).
    CreateContainer,
    /// In the container, just before the payload's `execve`.
    StartContainer,
    /// In nsinit's namespaces once the payload runs; a failure is a warning.
    Poststart,
    /// In nsinit's namespaces once the container is gone; a failure is a warning.
    Poststop,
}

impl HookPoint {
    /// The spec's name of the point: the key under `hooks` in config.json.
    pub const fn name(self) -> &'static str {
        match self {
            HookPoint::Prestart => "prestart",
            HookPoint::CreateRuntime => "createRuntime",
            HookPoint::CreateContainer => "createContainer",
            HookPoint::StartContainer => "startContainer",
            HookPoint::Poststart => "poststart",
            HookPoint::Poststop => "poststop",
        }
    }
}

/// Most hooks, all points together.
pub const MAX_HOOKS: usize = 32;
/// Most words (`args` and `env` entries) of all hooks together.
pub const MAX_HOOK_WORDS: usize = 1024;

/// One hook: `path` run with `args` (its argv, `args[0]` included) and
/// exactly `env` as its environment; the container's state (runtime-spec
/// `runtime.md#state`) on its standard input. `timeout`: seconds it may
/// run before it is killed and counts as failed (`None`: no limit).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Hook<'a> {
    pub point: HookPoint,
    pub path: ZStr<'a>,
    /// Where its argv starts in `Hooks::words`; it ends with a `None`.
    pub args: u16,
    /// Where its environment starts in `Hooks::words`; it ends with a `None`.
    pub env: u16,
    pub timeout: Option<u32>,
}

/// The container's hooks (OCI `hooks`), in the order given for each point.
/// Their argv and environment arrays live in `words`, each ended by
/// `None`, as `execve` takes them.
#[derive(Debug, Default)]
pub struct Hooks<'a> {
    pub list: Vec<Hook<'a>, MAX_HOOKS>,
    pub words: Vec<Option<ZStr<'a>>, MAX_HOOK_WORDS>,
}

impl<'a> Hooks<'a> {
    pub const fn new() -> Hooks<'a> {
        Hooks { list: Vec::new(), words: Vec::new() }
    }

    /// The hooks of `point`, in order.
    pub fn at(&self, point: HookPoint) -> impl Iterator<Item = &Hook<'a>> {
        self.list.iter().filter(move |h| h.point == point)
    }

    /// A hook's argv or environment: the words from `start` to its `None`,
    /// that included.
    pub fn words_from(&self, start: u16) -> &[Option<ZStr<'a>>] {
        let rest = self.words.get(usize::from(start)..).unwrap_or_default();
        let end = rest.iter().position(Option::is_none).map_or(rest.len(), |i| i + 1);
        &rest[..end]
    }

    /// Adds `words` and a `None` after them; returns where they start.
    /// `None` when `MAX_HOOK_WORDS` would be passed.
    pub fn push_words(&mut self, words: impl IntoIterator<Item = ZStr<'a>>) -> Option<u16> {
        let start = u16::try_from(self.words.len()).ok()?;
        for w in words.into_iter().map(Some).chain(core::iter::once(None)) {
            self.words.push(w).ok()?;
        }
        Some(start)
    }
}

/// Most annotations kept for the container's state.
pub const MAX_ANNOTATIONS: usize = 128;

/// Who the container is, for its state (runtime-spec `runtime.md#state`:
/// `id`, `bundle`, `annotations`), which hooks read on their standard input.
#[derive(Debug, Default)]
pub struct Identity<'a> {
    /// The container's ID (`nsinit run ID`).
    pub id: Option<ZStr<'a>>,
    /// The bundle's absolute path.
    pub bundle: Option<ZStr<'a>>,
    /// config.json's `annotations`, in its order.
    pub annotations: Vec<(ZStr<'a>, ZStr<'a>), MAX_ANNOTATIONS>,
}

/// Everything nsinit needs to start one container.
///
/// `repr(C)`, in this order: it lives in one static (31 KiB), and a start
/// touches only the pages it writes. The words every start sets come first,
/// then the path lists and the mounts a default container fills (their
/// first entries), then the process (its small words and arguments first);
/// the rarely used tables (resources, identity, hooks, joins, sysctls,
/// devices) last, where `clear` leaves them unwritten while empty.
#[derive(Debug)]
#[repr(C)]
pub struct Container<'a> {
    /// The root filesystem; `None` keeps the host's.
    pub root: Option<ZStr<'a>>,
    /// `CLONE_NEW*` bits.
    pub namespaces: u32,
    /// A front end has filled it since `new` (see `clear`).
    filled: bool,
    pub hostname: Option<ZStr<'a>>,
    pub domainname: Option<ZStr<'a>>,
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
    pub oom_score_adj: Option<i32>,
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
    /// `--rootfs-propagation` (OCI `linux.rootfsPropagation`): the
    /// propagation of the container's `/` once it is the root (`MS_SHARED`,
    /// `MS_SLAVE`, `MS_PRIVATE` or `MS_UNBINDABLE`, with `MS_REC` for the
    /// `r` words). 0: as by default, a slave of the host's mounts
    /// (`rslave`). Whatever it says, nothing the container mounts
    /// propagates to the host: its mounts start as slaves of the host's.
    pub rootfs_propagation: u32,
    pub seccomp: Seccomp<'a>,
    /// OCI `linux.seccomp.listenerPath` and `listenerMetadata`, for a
    /// profile with `Action::Notify`: where the filter's listener goes.
    pub seccomp_listener: Option<SeccompListener<'a>>,
    /// OCI `linux.mountLabel`: the SELinux context of the filesystems the
    /// container mounts (their data gets `context="LABEL"` when SELinux is
    /// enabled on the host: see `oci::label_mounts`).
    pub mount_label: Option<ZStr<'a>>,
    /// `--die-with-parent`: nsinit gets SIGKILL when the process that
    /// started it dies (and the container with nsinit, as always).
    pub die_with_parent: bool,
    /// `nsinit run --pid-file FILE` (runc's): where the container's PID is
    /// written once it runs.
    pub pid_file: Option<ZStr<'a>>,
    /// Make the runtime-spec's default devices in the root's `/dev` after
    /// the mounts (null, zero, full, random, urandom, tty; the links fd,
    /// stdin, stdout, stderr, and ptmx to pts/ptmx), as runc does unless
    /// `/dev` is bound from the host. The `--dev` mount makes its own.
    pub default_devices: bool,
    /// `--personality` (OCI `linux.personality.domain`): `PER_LINUX` or
    /// `PER_LINUX32`.
    pub personality: Option<u32>,
    /// `--time-offset` (OCI `linux.timeOffsets`): needs a new time namespace.
    pub time_offsets: Option<TimeOffsets>,
    /// Covered with an empty read-only file or directory, where they exist.
    pub masked_paths: Vec<ZStr<'a>, MAX_PATH_RULES>,
    /// Bound read-only onto themselves, where they exist.
    pub readonly_paths: Vec<ZStr<'a>, MAX_PATH_RULES>,
    pub mounts: Vec<Mount<'a>, MAX_MOUNTS>,
    pub process: Process<'a>,
    pub rlimits: Vec<Rlimit, MAX_RLIMITS>,
    /// The user namespace's maps; empty, the caller is mapped to 0.
    pub uid_maps: Vec<IdMap, MAX_ID_MAPS>,
    pub gid_maps: Vec<IdMap, MAX_ID_MAPS>,
    pub resources: Resources<'a>,
    /// Its ID, bundle and annotations, for the state hooks read. Next to
    /// `resources.devices`, whose page `nsinit run` writes anyway (its
    /// default device rule): apart, it was a page more for every run.
    pub identity: Identity<'a>,
    /// Programs run at points of the container's life (OCI `hooks`).
    pub hooks: Hooks<'a>,
    /// `--join TYPE:PATH` (OCI `linux.namespaces[]` with a `path`): the
    /// namespaces entered rather than created, one of each type at most;
    /// a type here is not in `namespaces`.
    pub joins: Vec<Join<'a>, MAX_JOINS>,
    /// `--sysctl KEY=VALUE` (OCI `linux.sysctl`), in order.
    pub sysctls: Vec<Sysctl<'a>, MAX_SYSCTLS>,
    /// `--device` (OCI `linux.devices`), made in order after the mounts.
    pub devices: Vec<Device<'a>, MAX_DEVICES>,
    /// The maps of idmapped mounts that give their own (`Idmap::maps`).
    #[cfg(feature = "mounts")]
    pub mount_maps: Vec<MountMaps, MAX_MOUNT_MAPS>,
}

/// Empties `v`, without writing to it when it is empty already: the
/// pages of a fresh description that a start does not fill stay untouched
/// (see `Container`).
fn empty<T, const N: usize>(v: &mut Vec<T, N>) {
    if !v.is_empty() {
        v.clear();
    }
}

impl<'a> Container<'a> {
    pub const fn new() -> Container<'a> {
        Container {
            root: None,
            namespaces: 0,
            filled: false,
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
                console_size: None,
                umask: None,
                scheduler: None,
                io_priority: None,
                cpu_affinity: CpuAffinity { initial: None, at_exec: None },
                apparmor_profile: None,
                selinux_label: None,
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
                freezer: false,
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
            rootfs_propagation: 0,
            seccomp: Seccomp::Off,
            seccomp_listener: None,
            mount_label: None,
            masked_paths: Vec::new(),
            readonly_paths: Vec::new(),
            die_with_parent: false,
            pid_file: None,
            hooks: Hooks::new(),
            identity: Identity { id: None, bundle: None, annotations: Vec::new() },
            joins: Vec::new(),
            sysctls: Vec::new(),
            devices: Vec::new(),
            #[cfg(feature = "mounts")]
            mount_maps: Vec::new(),
            default_devices: false,
            personality: None,
            time_offsets: None,
        }
    }

    /// Whether the container gets a cgroup of its own.
    pub fn wants_cgroup(&self) -> bool {
        self.cgroup.is_some() || self.resources.any()
    }

    /// Back to `new`'s description, for a front end to fill. The first time
    /// it is that already, and is left unread: the tables a start never
    /// fills are then pages it never touches.
    pub fn clear(&mut self) {
        if !self.filled {
            self.filled = true;
            return;
        }
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
        empty(&mut self.process.env);
        self.process.cwd = None;
        self.init = Init::default();
        self.stop_timeout = None;
        self.on_exit = OnExit::PowerOff;
        self.cgroup = None;
        // Only the cgroups feature fills them (the core never reads them).
        if cfg!(feature = "cgroups") && self.resources.any() {
            self.resources = Resources::default();
        }
        empty(&mut self.rlimits);
        self.oom_score_adj = None;
        self.process.user = None;
        if self.process.groups.is_some() {
            self.process.groups = None;
        }
        empty(&mut self.uid_maps);
        empty(&mut self.gid_maps);
        self.userns_auto = false;
        self.user_ns_refused = false;
        self.overlay = None;
        self.overlay_upper = None;
        self.read_only = false;
        self.rootfs_propagation = 0;
        self.process.capabilities = None;
        self.process.no_new_privileges = false;
        empty(&mut self.process.pass_fds);
        self.process.new_session = false;
        self.die_with_parent = false;
        self.process.terminal = false;
        self.seccomp = Seccomp::Off;
        (self.seccomp_listener, self.mount_label) = (None, None);
        self.masked_paths.clear();
        self.readonly_paths.clear();
        self.pid_file = None;
        empty(&mut self.hooks.list);
        empty(&mut self.hooks.words);
        let identity = &self.identity;
        if identity.id.is_some() || identity.bundle.is_some() || !identity.annotations.is_empty() {
            self.identity = Identity::default();
        }
        #[cfg(feature = "mounts")]
        empty(&mut self.mount_maps);
        // Only the `process` feature's words fill these.
        if cfg!(feature = "process") && !self.asks_nothing_of_kernel() {
            self.clear_kernel();
        }
    }

    fn clear_kernel(&mut self) {
        self.joins.clear();
        self.sysctls.clear();
        self.devices.clear();
        self.default_devices = false;
        self.personality = None;
        self.time_offsets = None;
        let p = &mut self.process;
        (p.umask, p.scheduler, p.io_priority) = (None, None, None);
        p.cpu_affinity = CpuAffinity { initial: None, at_exec: None };
        (p.apparmor_profile, p.selinux_label) = (None, None);
    }

    /// Whether nothing of `config::kernel`'s is asked for.
    fn asks_nothing_of_kernel(&self) -> bool {
        let p = &self.process;
        self.joins.is_empty()
            && self.sysctls.is_empty()
            && self.devices.is_empty()
            && !self.default_devices
            && self.personality.is_none()
            && self.time_offsets.is_none()
            && p.umask.is_none()
            && p.scheduler.is_none()
            && p.io_priority.is_none()
            && p.cpu_affinity.initial.is_none()
            && p.cpu_affinity.at_exec.is_none()
            && p.apparmor_profile.is_none()
            && p.selinux_label.is_none()
    }

    /// Whether namespace `bit` is joined by path.
    pub fn joins(&self, bit: u32) -> bool {
        cfg!(feature = "process") && self.joins.iter().any(|j| j.namespace == bit)
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
            && self.rootfs_propagation == 0
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
            && self.hooks.list.is_empty()
            && !self.wants_cgroup()
            && (!cfg!(feature = "process") || self.asks_nothing_of_kernel())
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
    fn clear_empties_what_a_front_end_filled() {
        // Every front end clears before it fills (Builder::new, oci::load).
        let mut c = Container::new();
        c.clear();
        c.hostname = Some(ZStr::new(c"h"));
        c.resources.pids_max = Some(3);
        c.masked_paths.push(ZStr::new(c"/proc/keys")).unwrap();
        c.clear();
        assert!(c.hostname.is_none() && !c.resources.any() && c.masked_paths.is_empty());
    }

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
