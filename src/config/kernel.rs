//! What a container asks of the kernel beyond creating namespaces and
//! making mounts (runtime-spec `linux.namespaces[].path`, `linux.sysctl`,
//! `linux.devices`, `linux.personality`, `linux.timeOffsets`, and
//! `process.user.umask`, `scheduler`, `ioPriority`, `execCPUAffinity`,
//! `apparmorProfile`, `selinuxLabel`), and how the command line's words
//! for them read. Pure logic: no system calls.

use super::which;
use crate::sys::ZStr;
use linux_raw_sys::general::{
    CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS,
    SCHED_BATCH, SCHED_DEADLINE, SCHED_FIFO, SCHED_IDLE, SCHED_NORMAL, SCHED_RR, S_IFBLK, S_IFCHR, S_IFIFO,
};

/// Most namespaces joined by path: one of each type.
pub const MAX_JOINS: usize = 8;

/// A namespace the container enters rather than creates (OCI
/// `linux.namespaces[]` with a `path`, `--join TYPE:PATH`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Join<'a> {
    /// Its type: one `CLONE_NEW*` bit.
    pub namespace: u32,
    /// A namespace file: `/proc/PID/ns/TYPE`, or a bind mount of one.
    pub path: ZStr<'a>,
}

/// The order namespaces are joined in, as runc and crun join them: the
/// user namespace first, so that the others are entered with the
/// privileges it gives; the mount namespace late, since it changes what
/// paths name (every file is opened before any is joined anyway).
pub const JOIN_ORDER: [u32; 8] =
    [CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWTIME];

/// The namespaces' words, as `--unshare` and `/proc/PID/ns` spell them, in `JOIN_ORDER`.
const NAMESPACE_NAMES: [&[u8]; 8] = [b"user", b"ipc", b"uts", b"net", b"pid", b"mnt", b"cgroup", b"time"];

/// A namespace's word, as `--unshare` and `/proc/PID/ns` spell it.
pub fn namespace_name(bit: u32) -> &'static [u8] {
    JOIN_ORDER.iter().position(|&b| b == bit).map_or(b"?", |i| NAMESPACE_NAMES[i])
}

/// `TYPE:PATH`, TYPE a word of `--unshare` (or OCI's `network`, `mount`).
#[inline(never)]
pub fn parse_join(spec: ZStr<'_>) -> Option<Join<'_>> {
    let bytes = spec.bytes();
    let colon = bytes.iter().position(|&c| c == b':')?;
    let namespace = namespace_type(&bytes[..colon])?;
    let path = spec.skip(colon + 1);
    (!path.bytes().is_empty()).then_some(Join { namespace, path })
}

/// A namespace type by its `--unshare` word or its OCI name.
#[inline(never)]
pub fn namespace_type(word: &[u8]) -> Option<u32> {
    let word = match which(word, "network mount") {
        Some(0) => b"net",
        Some(_) => b"mnt",
        None => word,
    };
    NAMESPACE_NAMES.iter().position(|&n| n == word).map(|i| JOIN_ORDER[i])
}

/// Most sysctls.
pub const MAX_SYSCTLS: usize = 32;

/// A kernel parameter set in the container's namespaces (OCI
/// `linux.sysctl`, `--sysctl KEY=VALUE`): `KEY` in sysctl(8)'s dotted
/// form, or with `/` between its parts (then a dot is part of a name, as
/// in `net/ipv4/conf/eth0.100/forwarding`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Sysctl<'a> {
    pub key: ZStr<'a>,
    pub value: ZStr<'a>,
}

/// The IPC namespace's parameters, as runc lists them.
const IPC_SYSCTLS: &str =
    "kernel.msgmax kernel.msgmnb kernel.msgmni kernel.sem kernel.shmall kernel.shmmax kernel.shmmni kernel.shm_rmid_forced";

/// The namespace (`CLONE_NEW*`) whose parameter `key` is, as runc decides
/// it: IPC's (`kernel.msg*`, `kernel.sem`, `kernel.shm*`, `fs.mqueue.*`),
/// the network's (`net.*`), UTS's (`kernel.hostname`, `kernel.domainname`).
/// `None`: the key is the whole machine's, or not a plain path under
/// `/proc/sys` (an empty part, `.` or `..`).
#[inline(never)]
pub fn sysctl_namespace(key: &[u8]) -> Option<u32> {
    let slashes = key.contains(&b'/');
    let sep = if slashes { b'/' } else { b'.' };
    if key.split(|&c| c == sep).any(|part| part.is_empty() || part == b"." || part == b"..") || key.contains(&0) {
        return None;
    }
    // The same key with dots, for the comparisons.
    let mut dotted = [0u8; 64];
    let head = &key[..key.len().min(dotted.len())];
    for (d, &c) in dotted.iter_mut().zip(head) {
        *d = if c == b'/' { b'.' } else { c };
    }
    let dotted = &dotted[..head.len()];
    if dotted.starts_with(b"net.") {
        Some(CLONE_NEWNET)
    } else if dotted.starts_with(b"fs.mqueue.") || which(dotted, IPC_SYSCTLS).is_some() {
        Some(CLONE_NEWIPC)
    } else if which(dotted, "kernel.hostname kernel.domainname").is_some() {
        Some(CLONE_NEWUTS)
    } else {
        None
    }
}

/// The path of `key` below `/proc/sys`, written into `out`: dots become
/// slashes unless the key has slashes already. `None` when it does not fit.
#[inline(never)]
pub fn sysctl_path<'b>(key: &[u8], out: &'b mut [u8]) -> Option<&'b [u8]> {
    let slashes = key.contains(&b'/');
    let out = out.get_mut(..key.len())?;
    for (o, &c) in out.iter_mut().zip(key) {
        *o = if c == b'.' && !slashes { b'/' } else { c };
    }
    Some(out)
}

/// Most devices besides the defaults. A privileged container is given
/// every device node of the host (containerd, CRI and docker list /dev
/// whole: 104 nodes on a small VM, 64 of them ttys), so this is room for
/// a host's, not a handful given one by one.
pub const MAX_DEVICES: usize = 512;

/// What a device node is (OCI `linux.devices[].type`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DeviceKind {
    /// `c` and `u` (unbuffered: the same node).
    Char,
    /// `b`.
    Block,
    /// `p`, a named pipe: no numbers.
    Fifo,
}

impl DeviceKind {
    /// Its `S_IF*` bits, for mknod.
    pub fn mode(self) -> u32 {
        match self {
            DeviceKind::Char => S_IFCHR,
            DeviceKind::Block => S_IFBLK,
            DeviceKind::Fifo => S_IFIFO,
        }
    }

    /// By its OCI letter.
    pub fn from_letter(letter: &[u8]) -> Option<DeviceKind> {
        match letter {
            b"c" | b"u" => Some(DeviceKind::Char),
            b"b" => Some(DeviceKind::Block),
            b"p" => Some(DeviceKind::Fifo),
            _ => None,
        }
    }
}

/// Largest major and minor numbers the kernel's `dev_t` holds.
pub const MAX_MAJOR: u32 = (1 << 12) - 1;
pub const MAX_MINOR: u32 = (1 << 20) - 1;

/// A device node in the container (OCI `linux.devices[]`, `--device`),
/// made after the mounts: with mknod as root; bound from the host in a
/// user namespace (where mknod is not allowed) or onto a filesystem
/// mounted `nodev`, as runc and crun do.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Device<'a> {
    /// Where, in the container: absolute.
    pub path: ZStr<'a>,
    pub kind: DeviceKind,
    /// Its numbers, at most `MAX_MAJOR` and `MAX_MINOR`.
    pub major: u32,
    pub minor: u32,
    /// Permission bits (OCI `fileMode`); 0666 when `None`, as runc.
    pub file_mode: Option<u32>,
    /// Its owner; 0 when `None`.
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// A host node to copy (`--device HOST`): its type and numbers are read
    /// when the container starts, and it is what is bound where a node
    /// cannot be made. `None`: `kind`, `major` and `minor` as given, and
    /// the host's node at `path` is what is bound (as runc does).
    pub source: Option<ZStr<'a>>,
    /// `--device`'s PERMS, for a device cgroup rule: bits 1 read, 2 write,
    /// 4 mknod (0: `rwm`). Nothing but a device cgroup reads it.
    pub access: u8,
}

/// `--device`'s parts: the host's path, the container's, the access bits.
pub type DeviceSpec<'s> = (&'s [u8], Option<&'s [u8]>, u8);

/// `HOST[:CONTAINER][:PERMS]`, as `docker run --device` takes it, PERMS
/// a word of `r`, `w` and `m`: (HOST, CONTAINER, the access bits of
/// `Device::access`). `None` on bad input.
#[inline(never)]
pub fn parse_device(spec: &[u8]) -> Option<DeviceSpec<'_>> {
    let mut parts = spec.split(|&c| c == b':');
    let host = parts.next().filter(|h| !h.is_empty())?;
    let (mut container, mut access) = (None, 0u8);
    for (i, part) in parts.enumerate() {
        let is_perms = !part.is_empty() && part.iter().all(|c| b"rwm".contains(c));
        match (i, is_perms) {
            (0, false) if !part.is_empty() => container = Some(part),
            (0 | 1, true) if access == 0 => {
                for &c in part {
                    access |= match c {
                        b'r' => 1,
                        b'w' => 2,
                        _ => 4,
                    };
                }
            }
            _ => return None,
        }
    }
    Some((host, container, access))
}

/// `linux.personality.domain`: `LINUX` or `LINUX32` (any case), as its
/// `personality(2)` value.
#[inline(never)]
pub fn parse_personality(word: &[u8]) -> Option<u32> {
    if word.eq_ignore_ascii_case(b"LINUX") {
        Some(PER_LINUX)
    } else if word.eq_ignore_ascii_case(b"LINUX32") {
        Some(PER_LINUX32)
    } else {
        None
    }
}

/// `personality(2)`'s execution domains.
pub const PER_LINUX: u32 = 0;
pub const PER_LINUX32: u32 = 8;

/// The payload's scheduling (OCI `process.scheduler`), set with
/// `sched_setattr` just before the exec.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Scheduler {
    /// `SCHED_*`.
    pub policy: u32,
    pub nice: i32,
    /// The static priority of `SCHED_FIFO` and `SCHED_RR`, 1 to 99.
    pub priority: u32,
    /// `SCHED_FLAG_*`.
    pub flags: u64,
    /// `SCHED_DEADLINE`'s parameters, in nanoseconds.
    pub runtime: u64,
    pub deadline: u64,
    pub period: u64,
}

/// Scheduling policies by their OCI names (`SCHED_OTHER`...) or, in lower
/// case without `SCHED_`, chrt(1)'s.
#[inline(never)]
pub fn sched_policy(name: &[u8]) -> Option<u32> {
    let name = name.strip_prefix(&b"SCHED_"[..]).unwrap_or(name);
    const POLICIES: [(&[u8], u32); 6] = [
        (b"OTHER", SCHED_NORMAL),
        (b"FIFO", SCHED_FIFO),
        (b"RR", SCHED_RR),
        (b"BATCH", SCHED_BATCH),
        (b"IDLE", SCHED_IDLE),
        (b"DEADLINE", SCHED_DEADLINE),
    ];
    POLICIES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|p| p.1)
}

/// `process.scheduler.flags[]` by name.
#[inline(never)]
pub fn sched_flag(name: &[u8]) -> Option<u64> {
    const FLAGS: [&[u8]; 7] = [
        b"SCHED_FLAG_RESET_ON_FORK",
        b"SCHED_FLAG_RECLAIM",
        b"SCHED_FLAG_DL_OVERRUN",
        b"SCHED_FLAG_KEEP_POLICY",
        b"SCHED_FLAG_KEEP_PARAMS",
        b"SCHED_FLAG_UTIL_CLAMP_MIN",
        b"SCHED_FLAG_UTIL_CLAMP_MAX",
    ];
    FLAGS.iter().position(|f| *f == name).map(|bit| 1 << bit)
}

/// `POLICY[:PRIORITY]` (`--scheduler`).
#[inline(never)]
pub fn parse_scheduler(spec: &[u8]) -> Option<Scheduler> {
    let (name, priority) = match spec.iter().position(|&c| c == b':') {
        Some(i) => (&spec[..i], Some(super::options::parse_radix(&spec[i + 1..], 10)?)),
        None => (spec, None),
    };
    let policy = sched_policy(name)?;
    let realtime = policy == SCHED_FIFO || policy == SCHED_RR;
    let priority = match priority {
        Some(p) if realtime && (1..=99).contains(&p) => p as u32,
        None if !realtime => 0,
        _ => return None,
    };
    (policy != SCHED_DEADLINE).then_some(Scheduler { policy, priority, ..Scheduler::default() })
}

/// The payload's I/O priority (OCI `process.ioPriority`), set with
/// `ioprio_set` just before the exec.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct IoPriority {
    /// `IOPRIO_CLASS_RT` (1), `BE` (2) or `IDLE` (3).
    pub class: u32,
    /// 0 (highest) to 7.
    pub priority: u32,
}

/// An I/O scheduling class by its OCI name (`IOPRIO_CLASS_RT`, `_BE`,
/// `_IDLE`) or ionice(1)'s (`realtime`, `best-effort`, `idle`): 1, 2, 3.
#[inline(never)]
pub fn io_class(name: &[u8]) -> Option<u32> {
    const CLASSES: [(&[u8], &[u8]); 3] = [(b"RT", b"realtime"), (b"BE", b"best-effort"), (b"IDLE", b"idle")];
    let oci = name.strip_prefix(&b"IOPRIO_CLASS_"[..]);
    CLASSES.iter().position(|(o, word)| oci.map_or(name == *word, |n| n == *o)).map(|i| i as u32 + 1)
}

/// `CLASS[:PRIORITY]` (`--io-priority`); PRIORITY 0 to 7, 4 by default as
/// the kernel's own.
#[inline(never)]
pub fn parse_io_priority(spec: &[u8]) -> Option<IoPriority> {
    let (name, priority) = match spec.iter().position(|&c| c == b':') {
        Some(i) => (&spec[..i], super::options::parse_radix(&spec[i + 1..], 10)?),
        None => (spec, 4),
    };
    let class = io_class(name)?;
    (priority <= 7).then_some(IoPriority { class, priority: priority as u32 })
}

/// Most CPUs a CPU list names (the kernel's usual `NR_CPUS` limit for
/// `sched_setaffinity`'s mask here).
pub const MAX_CPUS: usize = 1024;

/// A set of CPUs, one bit each.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CpuSet(pub [u64; MAX_CPUS / 64]);

/// `0-3,7` as cpuset(7) and taskset(1) spell it. `None` on bad input, an
/// empty list or a CPU from `MAX_CPUS` on.
#[inline(never)]
pub fn parse_cpu_list(list: &[u8]) -> Option<CpuSet> {
    let mut set = CpuSet([0; MAX_CPUS / 64]);
    for range in list.split(|&c| c == b',') {
        let (first, last) = match range.iter().position(|&c| c == b'-') {
            Some(i) => (super::options::parse_radix(&range[..i], 10)?, super::options::parse_radix(&range[i + 1..], 10)?),
            None => {
                let n = super::options::parse_radix(range, 10)?;
                (n, n)
            }
        };
        if first > last || last >= MAX_CPUS as u64 {
            return None;
        }
        for cpu in first..=last {
            set.0[cpu as usize / 64] |= 1 << (cpu % 64);
        }
    }
    Some(set)
}

/// `process.execCPUAffinity`: the CPUs nsinit's container process runs on
/// from its start (`initial`), and those the payload gets just before its
/// exec (`final` in OCI; `--cpu-affinity`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CpuAffinity {
    pub initial: Option<CpuSet>,
    pub at_exec: Option<CpuSet>,
}

/// `linux.timeOffsets`: how far the container's clocks are from the
/// host's, written before the time namespace's first process enters it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct TimeOffsets {
    /// `CLOCK_MONOTONIC`'s offset: (seconds, nanoseconds below 1e9).
    pub monotonic: (i64, u32),
    /// `CLOCK_BOOTTIME`'s.
    pub boottime: (i64, u32),
}

/// `CLOCK=SECONDS[.FRACTION]`, CLOCK `monotonic` or `boottime`
/// (`--time-offset`), SECONDS with an optional `-`, up to nine digits of
/// fraction: the clock (`true` for monotonic) and the offset as the kernel
/// takes it, whole seconds and nanoseconds from 0 up (`-1.5` is -2 s and
/// 500000000 ns).
#[inline(never)]
pub fn parse_time_offset(spec: &[u8]) -> Option<(bool, (i64, u32))> {
    let eq = spec.iter().position(|&c| c == b'=')?;
    let monotonic = which(&spec[..eq], "monotonic boottime")? == 0;
    let value = &spec[eq + 1..];
    let (negative, value) = match value.strip_prefix(b"-") {
        Some(v) => (true, v),
        None => (false, value),
    };
    let (secs, fraction) = match value.iter().position(|&c| c == b'.') {
        Some(i) => (&value[..i], &value[i + 1..]),
        None => (value, &b"0"[..]),
    };
    let secs = i64::try_from(super::options::parse_radix(secs, 10)?).ok()?;
    if fraction.len() > 9 {
        return None;
    }
    let nanos = super::options::parse_radix(fraction, 10)? * 10u64.pow(9 - fraction.len() as u32);
    let offset = match (negative, nanos) {
        (false, _) => (secs, nanos as u32),
        (true, 0) => (-secs, 0),
        (true, _) => (-secs - 1, (1_000_000_000 - nanos) as u32),
    };
    Some((monotonic, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_name_a_type_and_a_path() {
        let j = parse_join(ZStr::new(c"net:/proc/1/ns/net")).unwrap();
        assert_eq!((j.namespace, j.path.bytes()), (CLONE_NEWNET, &b"/proc/1/ns/net"[..]));
        assert_eq!(parse_join(ZStr::new(c"network:/x")).map(|j| j.namespace), Some(CLONE_NEWNET));
        assert_eq!(parse_join(ZStr::new(c"user:/a:b")).map(|j| j.path.bytes()), Some(&b"/a:b"[..]));
        for bad in [c"net", c"net:", c":/x", c"all:/x", c"nett:/x"] {
            assert!(parse_join(ZStr::new(bad)).is_none(), "{bad:?}");
        }
        assert_eq!(JOIN_ORDER[0], CLONE_NEWUSER, "user first");
    }

    #[test]
    fn sysctls_are_checked_as_runc_does() {
        for (key, ns) in [
            ("kernel.msgmax", Some(CLONE_NEWIPC)),
            ("kernel.shm_rmid_forced", Some(CLONE_NEWIPC)),
            ("kernel.sem", Some(CLONE_NEWIPC)),
            ("fs.mqueue.msg_max", Some(CLONE_NEWIPC)),
            ("net.ipv4.ip_forward", Some(CLONE_NEWNET)),
            ("net/ipv4/conf/eth0.100/forwarding", Some(CLONE_NEWNET)),
            ("kernel.hostname", Some(CLONE_NEWUTS)),
            ("kernel.domainname", Some(CLONE_NEWUTS)),
            ("kernel.core_pattern", None),
            ("kernel.semx", None),
            ("fs.mqueue", None),
            ("vm.overcommit_memory", None),
            ("net..x", None),
            ("net/ipv4/../x", None),
            ("net/../../kernel/core_pattern", None),
            ("net/./x", None),
            ("", None),
        ] {
            assert_eq!(sysctl_namespace(key.as_bytes()), ns, "{key}");
        }
        let mut buf = [0u8; 64];
        assert_eq!(sysctl_path(b"net.ipv4.ip_forward", &mut buf), Some(&b"net/ipv4/ip_forward"[..]));
        assert_eq!(sysctl_path(b"net/ipv4/conf/eth0.1/x", &mut buf), Some(&b"net/ipv4/conf/eth0.1/x"[..]));
        assert_eq!(sysctl_path(&[b'a'; 65], &mut buf), None);
    }

    #[test]
    fn devices_as_docker_takes_them() {
        let d = |s: &'static str| parse_device(s.as_bytes());
        assert_eq!(d("/dev/fuse"), Some((&b"/dev/fuse"[..], None, 0)));
        assert_eq!(d("/dev/fuse:/dev/f"), Some((&b"/dev/fuse"[..], Some(&b"/dev/f"[..]), 0)));
        assert_eq!(d("/dev/fuse:/dev/f:rw"), Some((&b"/dev/fuse"[..], Some(&b"/dev/f"[..]), 3)));
        assert_eq!(d("/dev/fuse:rwm"), Some((&b"/dev/fuse"[..], None, 7)));
        for bad in ["", ":/x", "/a:", "/a:/b:rx", "/a:/b:r:w", "/a:r:w", "/a:/b:/c"] {
            assert_eq!(d(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn scheduling_words() {
        assert_eq!(parse_scheduler(b"fifo:10").map(|s| (s.policy, s.priority)), Some((SCHED_FIFO, 10)));
        assert_eq!(parse_scheduler(b"SCHED_BATCH").map(|s| s.policy), Some(SCHED_BATCH));
        assert_eq!(parse_scheduler(b"other").map(|s| s.policy), Some(SCHED_NORMAL));
        for bad in [&b"fifo"[..], b"rr:0", b"rr:100", b"batch:3", b"deadline", b"nope", b"fifo:x"] {
            assert_eq!(parse_scheduler(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(sched_flag(b"SCHED_FLAG_RESET_ON_FORK"), Some(1));
        assert_eq!(sched_flag(b"SCHED_FLAG_UTIL_CLAMP_MAX"), Some(64));
        assert_eq!(parse_io_priority(b"idle"), Some(IoPriority { class: 3, priority: 4 }));
        assert_eq!(parse_io_priority(b"IOPRIO_CLASS_RT:0"), Some(IoPriority { class: 1, priority: 0 }));
        assert_eq!(parse_io_priority(b"be:8"), None);
    }

    #[test]
    fn cpu_lists_and_offsets() {
        let set = parse_cpu_list(b"0-2,5,1023").unwrap();
        assert_eq!(set.0[0], 0b100111);
        assert_eq!(set.0[15], 1 << 63);
        for bad in [&b""[..], b"1024", b"3-1", b"1,", b"a", b"-1"] {
            assert_eq!(parse_cpu_list(bad), None);
        }
        assert_eq!(parse_time_offset(b"monotonic=86400"), Some((true, (86400, 0))));
        assert_eq!(parse_time_offset(b"boottime=-5.250"), Some((false, (-6, 750_000_000))));
        assert_eq!(parse_time_offset(b"boottime=-5"), Some((false, (-5, 0))));
        assert_eq!(parse_time_offset(b"monotonic=1.000000001"), Some((true, (1, 1))));
        for bad in [&b"realtime=1"[..], b"monotonic=", b"monotonic=1.1234567890", b"monotonic=x", b"monotonic=1.", b"monotonic=.5"] {
            assert_eq!(parse_time_offset(bad), None);
        }
        assert_eq!(parse_personality(b"linux32"), Some(PER_LINUX32));
        assert_eq!(parse_personality(b"LINUX"), Some(PER_LINUX));
        assert_eq!(parse_personality(b"LINUX64"), None);
    }
}
