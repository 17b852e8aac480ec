//! The options, shared by the command line (`--name ARG...`) and the config
//! file (`name ARG...`), and what each does to the container description.

#[cfg(feature = "cgroups")]
use super::{BlkioDevice, BlkioLimit, HugepageLimit, NetPriority, Rdma};
#[cfg(feature = "cgroups")]
use super::{DEVICE_MKNOD, DEVICE_READ, DEVICE_WRITE, DeviceRule};
use super::{
    ALL_CAPABILITIES, CAPABILITY_NAMES, Capabilities, DEFAULT_CAPABILITIES, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS,
    Seccomp, Container, DEFAULT_HOSTNAME, DEFAULT_MOUNTS, DEFAULT_NAMESPACES, EnvOp, IdMap, Mount, MountKind, NAMESPACES,
    Id, OnExit, PATH_MAX, Rlimit, USER_NAMESPACE, UTS_NAME_MAX, User,
};

const MAX_STOP_TIMEOUT: u64 = 3600;
use super::paths::{PathRoom, dir_of, ends_in_dots};
use super::{is, which};
use crate::error::Error;
use crate::sys::ZStr;
use linux_raw_sys::general::{CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS};

/// The option table: one line an option, `Key "name" "USAGE WORDS"`, then
/// what a first word that does not parse gets (before `; got 'WORD'`;
/// without it, `expected USAGE WORDS`), and `cli_only` for the words of the
/// command line alone (not in a config file). It makes `Key`, which
/// `Builder::apply` matches on, and `OPTIONS`, the packed table `find`
/// looks names up in (issue 13's size budget: the names in one string,
/// the usage words and messages in another, each message once and the
/// whole packed, 5 bytes an option beside them).
macro_rules! options {
    ($($(#[$cfg:meta])* $key:ident $name:literal $args:literal $($message:literal)? $($cli:ident)?,)*) => {
        /// Which option an `Opt` is.
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub enum Key {
            $($(#[$cfg])* $key,)*
        }

        /// The options, as `--help` shows them, in the order written.
        const SPECS: &[Spec] = &[$($(#[$cfg])* Spec {
            key: Key::$key,
            name: $name,
            args: $args,
            message: options!(@message $($message)?),
            cli_only: options!(@cli $($cli)?),
        },)*];
    };
    (@message) => { "" };
    (@message $message:literal) => { $message };
    (@cli) => { false };
    (@cli cli_only) => { true };
}

/// An option's name and the words it takes, as the table above gives
/// them. Only the compiler reads it: the binary keeps `OPTIONS`.
struct Spec {
    key: Key,
    name: &'static str,
    args: &'static str,
    /// What a bad first word gets, before `; got 'WORD'`; "" for
    /// `expected ARGS`.
    message: &'static str,
    cli_only: bool,
}

/// An option: the lengths of its name and usage words, and which message
/// is its own. Where they are follows from the options before it: the
/// names are one after the other in `NAMES_BYTES`, the usage words so in
/// the packed `USAGE`, the messages after them.
pub struct Opt {
    name_len: u8,
    args_len: u8,
    /// 1 + which of the messages in `USAGE` a bad first word gets; 0 for
    /// `expected ARGS`.
    message: u8,
    /// The number of words it takes; bit 7: only on the command line, not
    /// in a config file.
    arity_cli: u8,
    /// Also its place in `OPTIONS`.
    pub key: Key,
}

impl Opt {
    /// The name, without `--`.
    pub fn name(&self) -> &'static str {
        let at = OPTIONS[..self.key as usize].iter().map(|o| usize::from(o.name_len)).sum();
        name_at(at, self)
    }

    /// How many words it takes: the usage words' count.
    pub fn arity(&self) -> usize {
        usize::from(self.arity_cli & 0x7f)
    }

    /// Only on the command line, not in a config file.
    pub fn cli_only(&self) -> bool {
        self.arity_cli & 0x80 != 0
    }
}

/// The names of `SPECS`, one after the other: `find` reads them on every
/// start, so they are kept as they are.
const NAMES_BYTES: [u8; names_len()] = {
    let mut text = [0; names_len()];
    let (mut at, mut i) = (0, 0);
    while i < SPECS.len() {
        at = put(&mut text, at, SPECS[i].name.as_bytes());
        i += 1;
    }
    text
};

const fn names_len() -> usize {
    let (mut i, mut len) = (0, 0);
    while i < SPECS.len() {
        len += SPECS[i].name.len();
        i += 1;
    }
    len
}

/// The name of `opt`, at `at` in `NAMES_BYTES`.
fn name_at(at: usize, opt: &Opt) -> &'static str {
    const NAMES: &str = match core::str::from_utf8(&NAMES_BYTES) {
        Ok(text) => text,
        Err(_) => panic!("option names are UTF-8"),
    };
    NAMES.get(at..at + usize::from(opt.name_len)).unwrap_or("")
}

/// Every `SPECS` usage words, one after the other, then the messages,
/// each once: only an error reads them, so the binary keeps them packed
/// (`USAGE`; issue 13's size budget).
const USAGE_BYTES: [u8; usage_len()] = {
    let mut text = [0; usage_len()];
    let (mut at, mut i) = (0, 0);
    while i < SPECS.len() {
        at = put(&mut text, at, SPECS[i].args.as_bytes());
        i += 1;
    }
    i = 0;
    while i < SPECS.len() {
        if first_with_message(i) == i {
            at = put(&mut text, at, SPECS[i].message.as_bytes());
        }
        i += 1;
    }
    text
};

/// `bytes` copied into `text` at `at`; where it ends.
const fn put(text: &mut [u8], mut at: usize, bytes: &[u8]) -> usize {
    let mut j = 0;
    while j < bytes.len() {
        text[at] = bytes[j];
        (j, at) = (j + 1, at + 1);
    }
    at
}

/// The first of `SPECS` with the message of `SPECS[i]`.
const fn first_with_message(i: usize) -> usize {
    let mut first = 0;
    while first < i && !same(SPECS[first].message.as_bytes(), SPECS[i].message.as_bytes()) {
        first += 1;
    }
    first
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() && a[i] == b[i] {
        i += 1;
    }
    i == a.len()
}

const fn usage_len() -> usize {
    let (mut i, mut len) = (0, 0);
    while i < SPECS.len() {
        len += SPECS[i].args.len();
        if first_with_message(i) == i {
            len += SPECS[i].message.len();
        }
        i += 1;
    }
    len
}

/// The messages, each once, in the order of their first option.
const MESSAGES: usize = {
    let (mut i, mut n) = (0, 0);
    while i < SPECS.len() {
        n += (first_with_message(i) == i && !SPECS[i].message.is_empty()) as usize;
        i += 1;
    }
    n
};

/// Where each message starts in `USAGE_BYTES`, in order, and where the
/// last ends.
static MESSAGE_AT: [u16; MESSAGES + 1] = {
    let mut at = [0; MESSAGES + 1];
    let (mut i, mut n) = (0, 0);
    at[0] = usage_len() as u16;
    while i < SPECS.len() {
        at[0] -= (first_with_message(i) == i) as u16 * SPECS[i].message.len() as u16;
        i += 1;
    }
    i = 0;
    while i < SPECS.len() {
        if first_with_message(i) == i && !SPECS[i].message.is_empty() {
            at[n + 1] = at[n] + SPECS[i].message.len() as u16;
            n += 1;
        }
        i += 1;
    }
    at
};

/// 1 + which message `SPECS[i]` has, in `MESSAGE_AT`'s order; 0 for none.
const fn message_number(i: usize) -> u8 {
    if SPECS[i].message.is_empty() {
        return 0;
    }
    let first = first_with_message(i);
    let (mut j, mut n) = (0, 0);
    while j <= first {
        n += (first_with_message(j) == j && !SPECS[j].message.is_empty()) as usize;
        j += 1;
    }
    n as u8
}

/// `USAGE_BYTES` packed as `text::unpack` reads them, and the packed
/// length; as they are in a build without `--help`'s text, where the
/// unpacking would be code of its own.
const PACKING: ([u8; usage_len()], usize) =
    if PACKED { crate::text::pack_lz(&USAGE_BYTES) } else { (USAGE_BYTES, USAGE_BYTES.len()) };
const PACKED: bool = cfg!(feature = "help");
static USAGE: [u8; PACKING.1] = {
    let mut packed = [0; PACKING.1];
    let mut i = 0;
    while i < packed.len() {
        packed[i] = PACKING.0[i];
        i += 1;
    }
    packed
};

/// The words in `args`, space-separated.
const fn word_count(args: &str) -> u8 {
    let (args, mut i, mut n) = (args.as_bytes(), 0, 0);
    while i < args.len() {
        if args[i] != b' ' && (i == 0 || args[i - 1] == b' ') {
            n += 1;
        }
        i += 1;
    }
    n
}

/// Adds `expected ARGS` to `e`, ARGS the usage words of `opt`; with
/// `message`, what a bad first word gets, its message where it has one.
#[cold]
#[inline(never)]
fn push_usage(e: Error, opt: &Opt, message: bool) -> Error {
    let mut text = [0; usage_len()];
    let text: &[u8] = if PACKED {
        crate::text::unpack(&USAGE, &mut text);
        &text
    } else {
        &USAGE
    };
    let m = usize::from(opt.message);
    let (e, range) = match m.checked_sub(1).and_then(|first| MESSAGE_AT.get(first..=m)) {
        Some(&[at, end]) if message => (e, usize::from(at)..usize::from(end)),
        _ => {
            let at = OPTIONS[..opt.key as usize].iter().map(|o| usize::from(o.args_len)).sum();
            (e.push(b"expected "), at..at + usize::from(opt.args_len))
        }
    };
    e.push(text.get(range).unwrap_or_default())
}

/// The options, `SPECS` in the same order (which `Key` follows too);
/// `--help` and `--version` last, where `find` does not look (they are
/// words of the command line alone).
pub static OPTIONS: [Opt; SPECS.len()] = {
    const NONE: Opt = Opt { name_len: 0, args_len: 0, message: 0, arity_cli: 0, key: Key::Rootfs };
    let mut options = [NONE; SPECS.len()];
    let mut i = 0;
    while i < SPECS.len() {
        let s = &SPECS[i];
        assert!(s.key as usize == i && s.name.len() <= u8::MAX as usize && s.args.len() <= u8::MAX as usize);
        let arity_cli = word_count(s.args) | if s.cli_only { 0x80 } else { 0 };
        options[i] = Opt { name_len: s.name.len() as u8, args_len: s.args.len() as u8, message: message_number(i), arity_cli, key: s.key };
        i += 1;
    }
    options
};

/// `--help` and `--version`, which only the command line's walk gives.
pub static HELP: &Opt = &OPTIONS[SPECS.len() - 2];
pub static VERSION: &Opt = &OPTIONS[SPECS.len() - 1];

options! {
    Rootfs "rootfs" "DIR",
    Unshare "unshare" "LIST" "expected a comma list of uts,pid,mnt,ipc,net,cgroup,time,user or all",
    Share "share" "LIST" "expected a comma list of uts,pid,mnt,ipc,net,cgroup,time,user or all",
    Bare "bare" "",
    Hostname "hostname" "NAME" "expected a name of 1 to 64 bytes",
    Domainname "domainname" "NAME" "expected a name of 1 to 64 bytes",
    Proc "proc" "DST",
    Sysfs "sysfs" "DST",
    Tmpfs "tmpfs" "DST",
    Size "size" "BYTES" "expected a size in bytes, with an optional K, M or G suffix",
    Mode "mode" "OCTAL" "expected an octal mode such as 0755",
    Bind "bind" "SRC DST",
    RoBind "ro-bind" "SRC DST",
    Dev "dev" "DST",
    Mqueue "mqueue" "DST",
    #[cfg(feature = "mounts")]
    Mount "mount" "type=TYPE,destination=DST[,source=SRC][,OPTION...]",
    #[cfg(feature = "mounts")]
    RootfsPropagation "rootfs-propagation" "PROPAGATION" "expected private, rprivate, shared, rshared, slave, rslave, unbindable or runbindable",
    Setenv "setenv" "VAR VALUE" "expected a variable name without '='",
    Unsetenv "unsetenv" "VAR" "expected a variable name without '='",
    Clearenv "clearenv" "",
    Chdir "chdir" "DIR",
    #[cfg(feature = "compat")]
    NewSession "new-session" "",
    #[cfg(feature = "compat")]
    DieWithParent "die-with-parent" "",
    #[cfg(feature = "compat")]
    AsPid1 "as-pid-1" "",
    #[cfg(feature = "init")]
    Init "init" "",
    #[cfg(feature = "init")]
    InitPgroup "init-pgroup" "",
    #[cfg(feature = "init")]
    StopTimeout "stop-timeout" "SECONDS" "expected whole seconds from 0 to 3600",
    #[cfg(all(feature = "init", feature = "tty"))]
    InitForeground "init-foreground" "",
    #[cfg(feature = "init")]
    OnExit "on-exit" "ACTION" "expected poweroff, reboot or halt",
    #[cfg(feature = "userns")]
    Overlay "overlay" "LOWER[:LOWER...]" "expected 1 to 8 directories separated by ':'",
    #[cfg(feature = "userns")]
    OverlayUpper "overlay-upper" "DIR|tmpfs" "name the directory itself, not '.' or '..' (its work directory DIR.work goes beside it)",
    ReadOnly "read-only" "",
    #[cfg(feature = "userns")]
    UidMap "uid-map" "INSIDE:OUTSIDE:COUNT" "expected INSIDE:OUTSIDE:COUNT, three numbers, COUNT at least 1",
    #[cfg(feature = "userns")]
    GidMap "gid-map" "INSIDE:OUTSIDE:COUNT" "expected INSIDE:OUTSIDE:COUNT, three numbers, COUNT at least 1",
    #[cfg(feature = "userns")]
    Userns "userns" "auto" "expected auto",
    #[cfg(feature = "users")]
    User "user" "USER[:GROUP]" "expected USER[:GROUP], each a name or a number below 4294967295",
    #[cfg(not(feature = "users"))]
    User "user" "USER[:GROUP]" "expected UID[:GID], numbers (names need the feature users)",
    Groups "groups" "GID,..." "expected a comma list of numeric gids",
    #[cfg(feature = "cgroups")]
    Cgroup "cgroup" "PATH" "expected a cgroup path whose components are not empty, '.' or '..'",
    #[cfg(feature = "cgroups")]
    PidsMax "pids-max" "N" "expected a number of processes or 'max'",
    #[cfg(feature = "cgroups")]
    MemoryMax "memory-max" "BYTES" "expected bytes with an optional K, M or G suffix, or 'max'",
    #[cfg(feature = "cgroups")]
    MemorySwapMax "memory-swap-max" "BYTES" "expected bytes with an optional K, M or G suffix, or 'max'",
    #[cfg(feature = "cgroups")]
    CpuMax "cpu-max" "QUOTA[/PERIOD]" "expected QUOTA[/PERIOD] in microseconds (QUOTA may be 'max')",
    #[cfg(feature = "cgroups")]
    Cpus "cpus" "CPUS" "expected a number of CPUs such as 0.5 or 2",
    #[cfg(feature = "cgroups")]
    CpuWeight "cpu-weight" "N" "expected a weight from 1 to 10000",
    #[cfg(feature = "cgroups")]
    Cpuset "cpuset" "CPUS" "expected CPUs such as 0-1,3",
    #[cfg(feature = "cgroups")]
    CpusetMems "cpuset-mems" "NODES" "expected memory nodes such as 0-1,3",
    #[cfg(feature = "cgroups")]
    MemorySwap "memory-swap" "BYTES" "expected bytes with an optional K, M or G suffix, or 'max'",
    #[cfg(feature = "cgroups")]
    MemoryReservation "memory-reservation" "BYTES" "expected bytes with an optional K, M or G suffix, or 'max'",
    #[cfg(feature = "cgroups")]
    MemorySwappiness "memory-swappiness" "N",
    #[cfg(feature = "cgroups")]
    OomKillDisable "oom-kill-disable" "",
    #[cfg(feature = "cgroups")]
    CpuShares "cpu-shares" "N",
    #[cfg(feature = "cgroups")]
    CpuPeriod "cpu-period" "MICROSECONDS",
    #[cfg(feature = "cgroups")]
    CpuQuota "cpu-quota" "MICROSECONDS",
    #[cfg(feature = "cgroups")]
    CpuBurst "cpu-burst" "MICROSECONDS",
    #[cfg(feature = "cgroups")]
    CpuIdle "cpu-idle" "N",
    #[cfg(feature = "cgroups")]
    CpuRtRuntime "cpu-rt-runtime" "MICROSECONDS",
    #[cfg(feature = "cgroups")]
    CpuRtPeriod "cpu-rt-period" "MICROSECONDS",
    #[cfg(feature = "cgroups")]
    BlkioWeight "blkio-weight" "N",
    #[cfg(feature = "cgroups")]
    BlkioLeafWeight "blkio-leaf-weight" "N",
    #[cfg(feature = "cgroups")]
    BlkioWeightDevice "blkio-weight-device" "DEVICE:WEIGHT" "expected /dev/PATH:VALUE or MAJOR:MINOR:VALUE (a weight from 10 to 1000, a rate with an optional K, M or G)",
    #[cfg(feature = "cgroups")]
    DeviceReadBps "device-read-bps" "DEVICE:RATE" "expected /dev/PATH:VALUE or MAJOR:MINOR:VALUE (a weight from 10 to 1000, a rate with an optional K, M or G)",
    #[cfg(feature = "cgroups")]
    DeviceWriteBps "device-write-bps" "DEVICE:RATE" "expected /dev/PATH:VALUE or MAJOR:MINOR:VALUE (a weight from 10 to 1000, a rate with an optional K, M or G)",
    #[cfg(feature = "cgroups")]
    DeviceReadIops "device-read-iops" "DEVICE:RATE" "expected /dev/PATH:VALUE or MAJOR:MINOR:VALUE (a weight from 10 to 1000, a rate with an optional K, M or G)",
    #[cfg(feature = "cgroups")]
    DeviceWriteIops "device-write-iops" "DEVICE:RATE" "expected /dev/PATH:VALUE or MAJOR:MINOR:VALUE (a weight from 10 to 1000, a rate with an optional K, M or G)",
    #[cfg(feature = "cgroups")]
    HugepageLimit "hugepage-limit" "SIZE=BYTES" "expected SIZE=BYTES, SIZE a huge page size such as 2MB or 1GB",
    #[cfg(feature = "cgroups")]
    NetClassid "net-classid" "ID",
    #[cfg(feature = "cgroups")]
    NetPrio "net-prio" "INTERFACE=PRIORITY" "expected INTERFACE=PRIORITY",
    #[cfg(feature = "cgroups")]
    RdmaLimit "rdma-limit" "DEVICE[:hca_handle=N][:hca_object=N]" "expected DEVICE[:hca_handle=N][:hca_object=N]",
    #[cfg(feature = "cgroups")]
    CgroupSet "cgroup-set" "KEY=VALUE" "expected KEY=VALUE, KEY a cgroup v2 file name such as memory.high",
    #[cfg(feature = "cgroups")]
    DeviceCgroupRule "device-cgroup-rule" "RULE" "expected TYPE MAJOR:MINOR ACCESS, such as 'c 1:3 rwm' (TYPE a, b or c; MAJOR, MINOR numbers or *; ACCESS of r, w, m)",
    Rlimit "rlimit" "NAME=SOFT[:HARD]",
    OomScoreAdj "oom-score-adj" "N" "expected a number from -1000 to 1000",
    #[cfg(feature = "security")]
    CapAdd "cap-add" "CAP" "expected a capability as capabilities(7) names it, such as NET_ADMIN or CAP_NET_ADMIN, or ALL",
    #[cfg(feature = "security")]
    CapDrop "cap-drop" "CAP" "expected a capability as capabilities(7) names it, such as NET_ADMIN or CAP_NET_ADMIN, or ALL",
    #[cfg(feature = "security")]
    AllowNewPrivs "allow-new-privs" "",
    #[cfg(feature = "security")]
    Seccomp "seccomp" "FILE|off|default",
    #[cfg(feature = "security")]
    Mask "mask" "PATH",
    #[cfg(feature = "security")]
    RoPath "ro-path" "PATH",
    PassFd "pass-fd" "N" "expected a descriptor number",
    #[cfg(feature = "tty")]
    Tty "tty" "",
    #[cfg(feature = "process")]
    Join "join" "TYPE:PATH",
    #[cfg(feature = "process")]
    Sysctl "sysctl" "KEY=VALUE",
    #[cfg(feature = "process")]
    Umask "umask" "OCTAL",
    #[cfg(feature = "process")]
    Device "device" "HOST[:CONTAINER][:PERMS]",
    #[cfg(feature = "process")]
    Personality "personality" "LINUX|LINUX32",
    #[cfg(feature = "process")]
    Scheduler "scheduler" "POLICY[:PRIORITY]",
    #[cfg(feature = "process")]
    Nice "nice" "N",
    #[cfg(feature = "process")]
    IoPriority "io-priority" "CLASS[:LEVEL]",
    #[cfg(feature = "process")]
    CpuAffinity "cpu-affinity" "CPUS",
    #[cfg(feature = "process")]
    TimeOffset "time-offset" "CLOCK=SECONDS[.FRACTION]",
    #[cfg(feature = "process")]
    Apparmor "apparmor" "PROFILE",
    #[cfg(feature = "process")]
    SelinuxLabel "selinux-label" "LABEL",
    Config "config" "FILE" cli_only,
    #[cfg(feature = "oci")]
    Bundle "bundle" "DIR" cli_only,
    Timings "timings" "" cli_only,
    // Last, where `find` does not look: `HELP` and `VERSION`.
    Help "help" "" cli_only,
    Version "version" "" cli_only,
}


pub fn find(name: &[u8]) -> Option<&'static Opt> {
    let mut at = 0;
    OPTIONS[..OPTIONS.len() - 2].iter().find(|o| {
        at += usize::from(o.name_len);
        name_at(at - usize::from(o.name_len), o).as_bytes() == name
    })
}

/// An option by the name a command line (without `--`) or a file gives:
/// one of `OPTIONS`, or bubblewrap's `unshare-X` / `share-X` (`unshare-net`,
/// `unshare-all`, `share-net`, for every namespace word `--unshare`
/// takes), which are `unshare` / `share` with the word X already given, at
/// this offset in `name`.
pub fn lookup(name: &[u8]) -> Option<(&'static Opt, Option<usize>)> {
    if let Some(opt) = find(name) {
        return Some((opt, None));
    }
    if !cfg!(feature = "compat") {
        return None;
    }
    let dash = name.iter().position(|&c| c == b'-')?;
    let opt = find(&name[..dash]).filter(|o| matches!(o.key, Key::Unshare | Key::Share))?;
    let word = &name[dash + 1..];
    (!word.contains(&b',') && namespace_word(word).is_some()).then_some((opt, Some(dash + 1)))
}

/// What a path option names.
#[derive(Clone, Copy, PartialEq)]
enum Paths {
    /// A path in the container (or, without a root, the host's): cleaned.
    Container,
    /// A path on the host: cleaned, and relative to a config file's directory.
    Host,
    /// `:`-separated host paths, each as `Host`.
    HostList,
}

/// Where an option came from, for the error messages.
#[derive(Clone, Copy)]
pub enum At<'a> {
    Cli,
    File(ZStr<'a>, u32),
}

impl At<'_> {
    /// `nsinit: --name: ` on the command line, `nsinit: FILE:LINE: name: ` in a file.
    pub fn error(&self, name: &[u8]) -> Error {
        match self {
            At::Cli => Error::new(b"--"),
            At::File(..) => self.plain(),
        }
        .push(name)
        .push(b": ")
    }

    /// The same, without an option name.
    pub fn plain(&self) -> Error {
        match self {
            At::Cli => Error::new(b""),
            At::File(path, line) => Error::new(path.bytes()).push(b":").push_u64(u64::from(*line)).push(b": "),
        }
    }

    pub fn wrong_arity(&self, opt: &Opt) -> Error {
        let e = self.error(opt.name().as_bytes());
        if opt.arity() == 0 { e.push(b"takes no argument") } else { push_usage(e, opt, false) }
    }
}

/// Fills a container description in place, option by option; `finish`
/// then adds the defaults. In place, because the description is kilobytes
/// and every copy of it would be stack memory touched on each start.
pub struct Builder<'c, 'a> {
    pub c: &'c mut Container<'a>,
    /// Namespaces asked for and refused, the last word winning.
    ns_on: u32,
    ns_off: u32,
    bare: bool,
    /// `--size` and `--mode` for the next `--tmpfs`, as given (checked).
    tmpfs_size: Option<ZStr<'a>>,
    tmpfs_mode: Option<ZStr<'a>>,
    upper_given: bool,
    /// `--cap-add` and `--cap-drop` so far, the last word on each
    /// capability winning: the set is (start & !cap_drop) | cap_add.
    cap_add: u64,
    cap_drop: u64,
    new_privs_allowed: bool,
    seccomp: Option<Seccomp<'a>>,
    /// `--as-pid-1`: checked against the whole in `finish`.
    as_pid_1: bool,
    /// Where paths that need cleaning, or joining to a config file's
    /// directory, are written.
    room: PathRoom<'a>,
}

impl<'c, 'a> Builder<'c, 'a> {
    /// Starts from an empty description; `room` takes the rewritten paths.
    pub fn new(c: &'c mut Container<'a>, room: PathRoom<'a>) -> Builder<'c, 'a> {
        c.clear();
        Builder {
            c,
            room,
            ns_on: 0,
            ns_off: 0,
            bare: false,
            tmpfs_size: None,
            tmpfs_mode: None,
            upper_given: false,
            cap_add: 0,
            cap_drop: 0,
            new_privs_allowed: false,
            seccomp: None,
            as_pid_1: false,
        }
    }

    /// Applies one option with its words; `args` has exactly the option's arity
    /// when it comes from the walkers, but the count is checked here anyway.
    pub fn apply(&mut self, opt: &Opt, args: &[ZStr<'a>], at: At<'a>) -> Result<(), Error> {
        if args.len() != opt.arity() {
            return Err(at.wrong_arity(opt));
        }
        // The option's words: the first and the second, or "" where it takes fewer.
        let word = |i| args.get(i).copied().unwrap_or(ZStr::new(c""));
        let w = word(0);
        match self.set(opt, w, word(1), at) {
            Ok(()) => Ok(()),
            Err(Fail::Error(e)) => Err(e),
            Err(Fail::Bad) => Err(bad_word(at, opt, w.bytes())),
        }
    }

    /// `apply`'s work: what option `opt` with the words `w` (and `w2`)
    /// does. `Fail::Bad` for a first word that does not parse: `apply`
    /// then says what the option's table line says it expects.
    fn set(&mut self, opt: &Opt, w: ZStr<'a>, w2: ZStr<'a>, at: At<'a>) -> Result<(), Fail> {
        let key = opt.key;
        let error = || at.error(opt.name().as_bytes());
        let b = w.bytes();
        match key {
            Key::Rootfs => self.c.root = Some(self.path(w, at, Paths::Host)?),
            Key::Unshare | Key::Share => {
                let bits = namespace_list(w).ok_or(Bad)?;
                let unshare = key == Key::Unshare;
                if bits & CLONE_NEWUSER != 0 {
                    self.c.user_ns_refused = !unshare;
                }
                let (more, less) = if unshare { (&mut self.ns_on, &mut self.ns_off) } else { (&mut self.ns_off, &mut self.ns_on) };
                *more |= bits;
                *less &= !bits;
            }
            Key::Bare => self.bare = true,
            Key::Hostname | Key::Domainname => {
                if b.is_empty() || b.len() > UTS_NAME_MAX {
                    return Err(Bad);
                }
                *if key == Key::Hostname { &mut self.c.hostname } else { &mut self.c.domainname } = Some(w);
            }
            Key::Proc => self.mount(Mount::new(MountKind::Proc, w), opt, at)?,
            Key::Sysfs => self.mount(Mount::new(MountKind::Sysfs, w), opt, at)?,
            Key::Dev => self.mount(Mount::new(MountKind::Dev, w), opt, at)?,
            Key::Mqueue => self.mount(Mount::new(MountKind::Mqueue, w), opt, at)?,
            Key::Tmpfs => {
                let mut m = Mount::new(MountKind::Tmpfs, w);
                // tmpfs reads both as they are written here (memparse, octal).
                let (size, mode) = (self.tmpfs_size.take(), self.tmpfs_mode.take());
                if size.is_some() || mode.is_some() {
                    let (size, mode) = (size.map_or(&b""[..], ZStr::bytes), mode.map_or(&b""[..], ZStr::bytes));
                    let key = |value: &[u8], key: &'static [u8]| if value.is_empty() { &b""[..] } else { key };
                    let comma = if size.is_empty() || mode.is_empty() { &b""[..] } else { b"," };
                    let data = self.room.join(&[key(size, b"size="), size, comma, key(mode, b"mode="), mode]);
                    m.data = Some(data.map_err(|_| room_full(at))?);
                }
                self.mount(m, opt, at)?;
            }
            Key::Size => {
                parse_size(b).ok_or(Bad)?;
                self.tmpfs_size = Some(w);
            }
            Key::Mode => {
                parse_octal(b).filter(|m| *m <= 0o7777).ok_or(Bad)?;
                self.tmpfs_mode = Some(w);
            }
            Key::Bind | Key::RoBind => {
                if b.is_empty() {
                    return Err(error().push(b"the source path is empty").into());
                }
                let mut m = Mount::new(MountKind::Bind, w2);
                m.source = Some(self.path(w, at, Paths::Host)?);
                if key == Key::RoBind {
                    m.attr_set = linux_raw_sys::general::MOUNT_ATTR_RDONLY;
                }
                self.mount(m, opt, at)?;
            }
            #[cfg(feature = "mounts")]
            Key::Mount => self.general_mount(w, opt, at)?,
            #[cfg(feature = "mounts")]
            Key::RootfsPropagation => {
                self.c.rootfs_propagation = match super::mount_option(b) {
                    Some(super::MountOption::Propagation(flags)) => flags,
                    _ => return Err(Bad),
                };
            }
            Key::Setenv | Key::Unsetenv => {
                if b.is_empty() || b.contains(&b'=') {
                    return Err(Bad);
                }
                self.env_op(if key == Key::Setenv { EnvOp::Set(w, w2) } else { EnvOp::Unset(w) }, at)?;
            }
            Key::Clearenv => self.env_op(EnvOp::Clear, at)?,
            Key::Chdir => self.c.process.cwd = Some(self.path(w, at, Paths::Container)?),
            #[cfg(feature = "compat")]
            Key::NewSession => self.c.process.new_session = true,
            #[cfg(feature = "compat")]
            Key::DieWithParent => self.c.die_with_parent = true,
            // The payload is PID 1 of its pid namespace unless --init:
            // bubblewrap's word for what nsinit does by default.
            #[cfg(feature = "compat")]
            Key::AsPid1 => self.as_pid_1 = true,
            #[cfg(feature = "init")]
            Key::Init => self.c.init.enabled = true,
            #[cfg(feature = "init")]
            Key::InitPgroup => {
                self.c.init.enabled = true;
                self.c.init.pgroup = true;
            }
            #[cfg(all(feature = "init", feature = "tty"))]
            Key::InitForeground => {
                self.c.init.enabled = true;
                self.c.init.foreground = true;
            }
            #[cfg(feature = "init")]
            Key::StopTimeout => {
                let n = parse_radix(b, 10).filter(|n| *n <= MAX_STOP_TIMEOUT).ok_or(Bad)?;
                self.c.stop_timeout = Some(n as u32);
            }
            #[cfg(feature = "userns")]
            Key::Overlay => {
                if b.is_empty() || b.split(|&c| c == b':').any(|l| l.is_empty()) || b.split(|&c| c == b':').count() > MAX_LOWERS {
                    return Err(Bad);
                }
                self.c.overlay = Some(self.path(w, at, Paths::HostList)?);
            }
            #[cfg(feature = "userns")]
            Key::OverlayUpper => {
                self.c.overlay_upper = match is(b, "tmpfs") {
                    true => None,
                    false => {
                        let upper = self.path(w, at, Paths::Host)?;
                        // Its work directory goes beside it, named after it.
                        if ends_in_dots(upper.bytes()) {
                            return Err(Bad);
                        }
                        Some(upper)
                    }
                };
                self.upper_given = true;
            }
            Key::ReadOnly => self.c.read_only = true,
            #[cfg(feature = "userns")]
            Key::UidMap | Key::GidMap => {
                let map = parse_id_map(b).ok_or(Bad)?;
                let maps = if key == Key::UidMap { &mut self.c.uid_maps } else { &mut self.c.gid_maps };
                maps.push(map).map_err(|_| said(at, opt, b"too many map lines (at most 8)"))?;
                self.ns_on |= CLONE_NEWUSER;
                self.ns_off &= !CLONE_NEWUSER;
            }
            #[cfg(feature = "userns")]
            Key::Userns => {
                if !is(b, "auto") {
                    return Err(Bad);
                }
                self.c.userns_auto = true;
                self.ns_on |= CLONE_NEWUSER;
                self.ns_off &= !CLONE_NEWUSER;
            }
            Key::User => {
                parse_user(b).ok_or(Bad)?;
                self.c.process.user = Some(w);
            }
            Key::Groups => {
                let mut groups = heapless::Vec::new();
                for word in b.split(|&c| c == b',').filter(|w| !w.is_empty()) {
                    groups.push(id(word).ok_or(Bad)?).map_err(|_| said(at, opt, b"too many groups (at most 64)"))?;
                }
                self.c.process.groups = Some(groups);
            }
            #[cfg(feature = "cgroups")]
            Key::Cgroup => {
                if !cgroup_path_ok(b) {
                    return Err(Bad);
                }
                if b.len() > CGROUP_NAME_MAX {
                    return Err(error().push(b"cgroup path too long (at most 255 bytes)").into());
                }
                self.c.cgroup = Some(w);
            }
            #[cfg(feature = "cgroups")]
            Key::PidsMax => self.c.resources.pids_max = Some(limit(b, |s| parse_radix(s, 10)).ok_or(Bad)?),
            #[cfg(feature = "cgroups")]
            Key::MemoryMax | Key::MemorySwapMax | Key::MemorySwap | Key::MemoryReservation => {
                // docker's -1 for "no limit", where docker takes it.
                let minus_one = b == b"-1" && matches!(key, Key::MemorySwap | Key::MemoryReservation);
                let v = if minus_one { Some(u64::MAX) } else { limit(b, parse_size) }.ok_or(Bad)?;
                let r = &mut self.c.resources;
                match key {
                    Key::MemoryMax => r.memory_max = Some(v),
                    Key::MemorySwapMax => r.memory_swap_max = Some(v),
                    Key::MemorySwap => {
                        r.memory_swap = Some(v);
                        r.memory_swap_max = None;
                    }
                    _ => r.memory_reservation = Some(v),
                }
            }
            // The cgroup limits the command line takes as one number: the
            // option, its range, its field.
            #[cfg(feature = "cgroups")]
            Key::MemorySwappiness
            | Key::CpuShares
            | Key::CpuBurst
            | Key::CpuIdle
            | Key::CpuRtRuntime
            | Key::CpuRtPeriod
            | Key::BlkioWeight
            | Key::BlkioLeafWeight
            | Key::NetClassid => {
                let r = &mut self.c.resources;
                let (min, max, field) = match key {
                    Key::MemorySwappiness => (0, 100, &mut r.memory_swappiness),
                    Key::CpuShares => (2, 262_144, &mut r.cpu_shares),
                    Key::CpuBurst => (0, u64::MAX - 1, &mut r.cpu_burst),
                    Key::CpuIdle => (0, 1, &mut r.cpu_idle),
                    Key::CpuRtRuntime => (0, i64::MAX as u64, &mut r.cpu_rt_runtime),
                    Key::CpuRtPeriod => (1, u64::MAX - 1, &mut r.cpu_rt_period),
                    Key::BlkioWeight => (10, 1000, &mut r.blkio_weight),
                    Key::BlkioLeafWeight => (10, 1000, &mut r.blkio_leaf_weight),
                    _ => (0, u32::MAX as u64, &mut r.net_class_id),
                };
                *field = Some(number(w, min, max, error)?);
            }
            #[cfg(feature = "cgroups")]
            Key::CpuMax => {
                self.c.resources.cpu_max = Some(parse_cpu_max(b).ok_or(Bad)?);
                self.c.resources.cpus = None;
            }
            #[cfg(feature = "cgroups")]
            Key::Cpus => {
                let quota = parse_cpus(b).ok_or(Bad)?;
                self.c.resources.cpu_max = Some((quota, CPU_PERIOD_US));
                self.c.resources.cpus = Some(w);
            }
            #[cfg(feature = "cgroups")]
            Key::CpuWeight => self.c.resources.cpu_weight = Some(parse_radix(b, 10).filter(|w| (1..=10_000).contains(w)).ok_or(Bad)?),
            #[cfg(feature = "cgroups")]
            Key::Cpuset | Key::CpusetMems => {
                if !list_ok(b) {
                    return Err(Bad);
                }
                *if key == Key::Cpuset { &mut self.c.resources.cpuset } else { &mut self.c.resources.cpuset_mems } = Some(w);
            }
            #[cfg(feature = "cgroups")]
            Key::OomKillDisable => self.c.resources.oom_kill_disable = true,
            #[cfg(feature = "cgroups")]
            Key::CpuPeriod | Key::CpuQuota => {
                let r = &mut self.c.resources;
                let (quota, period) = r.cpu_max.unwrap_or((u64::MAX, CPU_PERIOD_US));
                r.cpu_max = Some(if key == Key::CpuPeriod {
                    (quota, number(w, 1000, 1_000_000, error)?)
                } else {
                    // docker's -1 for "no limit".
                    (if b == b"-1" { u64::MAX } else { number(w, 1000, u64::MAX - 1, error)? }, period)
                });
                r.cpus = None;
            }
            #[cfg(feature = "cgroups")]
            Key::BlkioWeightDevice | Key::DeviceReadBps | Key::DeviceWriteBps | Key::DeviceReadIops | Key::DeviceWriteIops => {
                let limit = match key {
                    Key::BlkioWeightDevice => BlkioLimit::Weight,
                    Key::DeviceReadBps => BlkioLimit::ReadBps,
                    Key::DeviceWriteBps => BlkioLimit::WriteBps,
                    Key::DeviceReadIops => BlkioLimit::ReadIops,
                    _ => BlkioLimit::WriteIops,
                };
                let d = parse_blkio_device(b, limit).ok_or(Bad)?;
                self.c.resources.blkio_devices.push(d).map_err(|_| said(at, opt, b"too many block device limits (at most 16)"))?;
            }
            #[cfg(feature = "cgroups")]
            Key::HugepageLimit => {
                let (size, bytes) = split_at(b, b'=');
                let l = limit(bytes, parse_size).filter(|_| hugepage_size_ok(size)).ok_or(Bad)?;
                self.c.resources.hugepage_limits.push(HugepageLimit { page_size: size, limit: l })
                    .map_err(|_| said(at, opt, b"too many hugepage limits (at most 8)"))?;
            }
            #[cfg(feature = "cgroups")]
            Key::NetPrio => {
                let (interface, prio) = split_at(b, b'=');
                let priority = parse_radix(prio, 10).filter(|p| *p <= u64::from(u32::MAX) && cgroup_word_ok(interface));
                let priority = priority.ok_or(Bad)? as u32;
                self.c.resources.net_priorities.push(NetPriority { interface, priority })
                    .map_err(|_| said(at, opt, b"too many network priorities (at most 16)"))?;
            }
            #[cfg(feature = "cgroups")]
            Key::RdmaLimit => {
                let rdma = parse_rdma(b).ok_or(Bad)?;
                self.c.resources.rdma.push(rdma).map_err(|_| said(at, opt, b"too many rdma limits (at most 8)"))?;
            }
            #[cfg(feature = "cgroups")]
            Key::CgroupSet => {
                let (key, value) = split_at(b, b'=');
                if !cgroup_word_ok(key) || !key.contains(&b'.') || key.len() == b.len() {
                    return Err(Bad);
                }
                self.c.resources.unified.push((key, value)).map_err(|_| said(at, opt, b"too many --cgroup-set keys (at most 32)"))?;
            }
            #[cfg(feature = "cgroups")]
            Key::DeviceCgroupRule => {
                let rule = parse_device_rule(b).ok_or(Bad)?;
                self.c.resources.devices.push(rule).map_err(|_| said(at, opt, b"too many device rules (at most 64)"))?;
            }
            Key::Rlimit => {
                let r = parse_rlimit(b).ok_or_else(|| {
                    error()
                        .push(b"expected NAME=SOFT[:HARD], NAME one of ")
                        .push(RLIMIT_NAMES_HELP)
                        .push(b", values numbers or 'unlimited'; got '")
                        .push(b)
                        .push(b"'")
                })?;
                self.c.rlimits.retain(|old| old.resource != r.resource);
                self.c.rlimits.push(r).map_err(|_| said(at, opt, b"too many rlimits (at most 16)"))?;
            }
            Key::OomScoreAdj => {
                let (negative, digits) = match b.strip_prefix(b"-") {
                    Some(rest) => (true, rest),
                    None => (false, b),
                };
                let v = parse_radix(digits, 10).filter(|v| *v <= 1000).ok_or(Bad)? as i32;
                self.c.oom_score_adj = Some(if negative { -v } else { v });
            }
            #[cfg(feature = "security")]
            Key::CapAdd | Key::CapDrop => {
                let caps = capability(b).ok_or(Bad)?;
                let (more, less) = if key == Key::CapAdd { (&mut self.cap_add, &mut self.cap_drop) } else { (&mut self.cap_drop, &mut self.cap_add) };
                *more |= caps;
                *less &= !caps;
            }
            #[cfg(feature = "security")]
            Key::AllowNewPrivs => self.new_privs_allowed = true,
            #[cfg(feature = "security")]
            Key::Seccomp => {
                self.seccomp = Some(match which(b, "off default") {
                    Some(0) => Seccomp::Off,
                    Some(_) => Seccomp::Default,
                    None => Seccomp::Profile(self.path(w, at, Paths::Host)?),
                });
            }
            #[cfg(feature = "security")]
            Key::Mask | Key::RoPath => {
                absolute_path(b).map_err(|what| error().push(what).push(b).push(b"'"))?;
                let path = self.path(w, at, Paths::Container)?;
                let paths = if key == Key::Mask { &mut self.c.masked_paths } else { &mut self.c.readonly_paths };
                paths.push(path).map_err(|_| too_many_paths(error()))?;
            }
            #[cfg(feature = "tty")]
            Key::Tty => self.c.process.terminal = true,
            Key::PassFd => {
                let fd = parse_radix(b, 10).filter(|fd| *fd <= i32::MAX as u64).ok_or(Bad)?;
                self.c.process.pass_fds.push(fd as u32).map_err(|_| said(at, opt, b"too many descriptors (at most 16)"))?;
            }
            #[cfg(feature = "process")]
            Key::Join
            | Key::Sysctl
            | Key::Umask
            | Key::Device
            | Key::Personality
            | Key::Scheduler
            | Key::Nice
            | Key::IoPriority
            | Key::CpuAffinity
            | Key::TimeOffset
            | Key::Apparmor
            | Key::SelinuxLabel => self.kernel(opt, w, at)?.ok_or(Bad)?,
            #[cfg(feature = "init")]
            Key::OnExit => {
                self.c.on_exit = match which(b, "poweroff reboot halt") {
                    Some(0) => OnExit::PowerOff,
                    Some(1) => OnExit::Reboot,
                    Some(_) => OnExit::Halt,
                    None => return Err(Bad),
                };
            }
            _ => return Err(at.wrong_arity(opt).into()),
        }
        Ok(())
    }

    /// The words of `config::kernel`: what the container asks of the
    /// kernel beyond new namespaces and mounts. `None`: the word does not
    /// parse (`expected` the option's usage words).
    #[cfg(feature = "process")]
    #[inline(never)]
    fn kernel(&mut self, opt: &Opt, word: ZStr<'a>, at: At<'a>) -> Result<Option<()>, Error> {
        use super::kernel::*;
        let error = || at.error(opt.name().as_bytes());
        let w = word.bytes();
        let c = &mut *self.c;
        let p = &mut c.process;
        let set = match opt.key {
            Key::Join => {
                let Some(join) = parse_join(word) else { return Ok(None) };
                if c.joins.iter().any(|j| j.namespace == join.namespace) {
                    return Err(error().push(b"the ").push(namespace_name(join.namespace)).push(b" namespace is joined twice"));
                }
                let path = self.path(join.path, at, Paths::Host)?;
                self.c.joins.push(Join { path, ..join }).map_err(|_| said(at, opt, b"too many"))?;
                true
            }
            Key::Sysctl => {
                let Some(eq) = w.iter().position(|&b| b == b'=').filter(|&i| i > 0) else { return Ok(None) };
                let key = self.room.copy(&w[..eq]).map_err(|_| room_full(at))?;
                let c = &mut *self.c;
                c.sysctls.retain(|s| s.key != key);
                c.sysctls.push(Sysctl { key, value: word.skip(eq + 1) }).map_err(|_| said(at, opt, b"too many"))?;
                true
            }
            Key::Umask => {
                p.umask = parse_octal(w).filter(|m| *m <= 0o777);
                p.umask.is_some()
            }
            Key::Device => {
                let Some((host, container, access)) = parse_device(w) else { return Ok(None) };
                let inside = container.unwrap_or(host);
                absolute_path(inside).map_err(|what| error().push(b"the device path ").push(what).push(inside).push(b"'"))?;
                let (host, inside) = (self.room.copy(host), self.room.copy(inside));
                let (Ok(host), Ok(inside)) = (host, inside) else { return Err(room_full(at)) };
                let device = Device {
                    path: self.path(inside, at, Paths::Container)?,
                    kind: DeviceKind::Char,
                    major: 0,
                    minor: 0,
                    file_mode: None,
                    uid: None,
                    gid: None,
                    source: Some(self.path(host, at, Paths::Host)?),
                    access,
                };
                self.c.devices.push(device).map_err(|_| said(at, opt, b"too many"))?;
                true
            }
            Key::Personality => {
                c.personality = parse_personality(w);
                c.personality.is_some()
            }
            Key::Scheduler => {
                let nice = p.scheduler.map_or(0, |s| s.nice);
                p.scheduler = parse_scheduler(w).map(|s| Scheduler { nice, ..s });
                p.scheduler.is_some()
            }
            Key::Nice => {
                let (negative, digits) = match w.strip_prefix(b"-") {
                    Some(rest) => (true, rest),
                    None => (false, w),
                };
                let n = parse_radix(digits, 10).filter(|&n| n <= 19 + u64::from(negative));
                if let Some(n) = n {
                    p.scheduler.get_or_insert_with(Scheduler::default).nice = if negative { -(n as i32) } else { n as i32 };
                }
                n.is_some()
            }
            Key::IoPriority => {
                p.io_priority = parse_io_priority(w);
                p.io_priority.is_some()
            }
            Key::CpuAffinity => {
                p.cpu_affinity.at_exec = parse_cpu_list(w);
                p.cpu_affinity.at_exec.is_some()
            }
            Key::TimeOffset => {
                let Some((monotonic, offset)) = parse_time_offset(w) else { return Ok(None) };
                let offsets = c.time_offsets.get_or_insert_with(TimeOffsets::default);
                *if monotonic { &mut offsets.monotonic } else { &mut offsets.boottime } = offset;
                true
            }
            _ if w.is_empty() => false,
            Key::Apparmor => {
                p.apparmor_profile = Some(word);
                true
            }
            _ => {
                p.selinux_label = Some(word);
                true
            }
        };
        Ok(set.then_some(()))
    }

    fn mount(&mut self, mut m: Mount<'a>, opt: &Opt, at: At<'a>) -> Result<(), Error> {
        let error = || at.error(opt.name().as_bytes());
        let dst = m.destination.bytes();
        absolute_path(dst).map_err(|what| error().push(b"the destination ").push(what).push(dst).push(b"'"))?;
        m.destination = self.path(m.destination, at, Paths::Container)?;
        self.c.mounts.push(m).map_err(|_| too_many_mounts(at))
    }

    /// `--mount type=TYPE,destination=DST[,source=SRC][,OPTION...]`, as
    /// docker and podman spell it (`src`, `dst` and `target` too;
    /// `readonly` is `ro`); every other word is a mount option, applied as
    /// `config.json`'s are (`MountOptions`). `type=bind` binds the whole
    /// tree unless `bind` says otherwise, as theirs does. No comma in a
    /// path.
    #[cfg(feature = "mounts")]
    #[inline(never)]
    fn general_mount(&mut self, spec: ZStr<'a>, opt: &Opt, at: At<'a>) -> Result<(), Error> {
        use linux_raw_sys::general::{MS_BIND, MS_NODEV, MS_REC, MS_REMOUNT};
        let error = || at.error(opt.name().as_bytes());
        let bad = |what: &[u8]| error().push(what).push(b"; got '").push(spec.bytes()).push(b"'");
        let full = |_| room_full(at);
        // The words that name the mount, `KEY=VALUE`: its type, its source
        // (two spellings), its destination (three).
        let mut m = Mount::new(MountKind::Other, ZStr::new(c""));
        let (mut source, mut dst, mut recursion_given) = (None, None, false);
        let mut options = super::MountOptions::new();
        for word in spec.bytes().split(|&c| c == b',') {
            let eq = word.iter().position(|&c| c == b'=').unwrap_or(word.len());
            match which(&word[..eq], "type source src destination dst target idmap ridmap") {
                // `idmap=uids=...;gids=...`: the mount's own maps.
                Some(key @ 6..) if eq < word.len() => {
                    let index = self.c.push_mount_maps(&word[eq + 1..]).map_err(|what| bad(what.as_bytes()))?;
                    m.idmap = Some(super::Idmap { recursive: key == 7, maps: Some(index) });
                }
                Some(key @ ..6) => {
                    let value = word.get(eq + 1..).filter(|v| !v.is_empty()).ok_or_else(|| bad(b"an empty value"))?;
                    let value = Some(self.room.join(&[value]).map_err(full)?);
                    match key {
                        0 => m.fstype = value,
                        1 | 2 => source = value,
                        _ => dst = value,
                    }
                }
                None if word.is_empty() => return Err(bad(b"an empty option")),
                // Any other word, `idmap` and `ridmap` without maps too.
                _ => {
                    let word = if is(word, "readonly") { b"ro" } else { word };
                    recursion_given |= which(word, "bind rbind").is_some();
                    options.word(&mut m, word).map_err(|what| error().push(what.as_bytes()))?;
                }
            }
        }
        let (Some(fstype), Some(dst)) = (m.fstype, dst) else {
            return Err(bad(b"expected type=TYPE,destination=DST[,source=SRC][,OPTION...]"));
        };
        m.set_type(fstype);
        m.destination = dst;
        options.finish(&mut m, &mut self.room).map_err(|what| error().push(what.as_bytes()))?;
        m.check_idmap().map_err(|what| bad(what.as_bytes()))?;
        m.source = source;
        if m.flags & (MS_BIND | MS_REMOUNT) == MS_BIND {
            if !recursion_given {
                m.flags |= MS_REC;
            }
            let Some(source) = source else { return Err(bad(b"a bind needs source=SRC")) };
            m.source = Some(self.path(source, at, Paths::Host)?);
        }
        // nodev unless `dev` is given, as Docker's tmpfs and bubblewrap's
        // binds: without a device cgroup, root in the container could
        // otherwise make and open any device node there.
        if m.flags & MS_REMOUNT == 0 && m.cleared & MS_NODEV == 0 {
            m.flags |= MS_NODEV;
        }
        self.mount(m, opt, at)
    }

    /// `path` cleaned; a host path in a config file is made relative to
    /// the file's directory.
    fn path(&mut self, path: ZStr<'a>, at: At<'a>, kind: Paths) -> Result<ZStr<'a>, Error> {
        let dir = match at {
            At::File(file, _) if kind != Paths::Container => dir_of(file.bytes()),
            _ => b"",
        };
        self.room.path(dir, path, kind == Paths::HostList).map_err(|_| room_full(at))
    }

    fn env_op(&mut self, op: EnvOp<'a>, at: At<'a>) -> Result<(), Error> {
        self.c.process.env.push(op).map_err(|_| {
            at.plain().push(b"too many --setenv, --unsetenv and --clearenv options (at most ").push(b"128)")
        })
    }

    /// Fills in the defaults and checks what only the whole can tell.
    pub fn finish(self) -> Result<(), Error> {
        let Builder {
            c,
            ns_on,
            ns_off,
            bare,
            tmpfs_size,
            tmpfs_mode,
            upper_given,
            cap_add,
            cap_drop,
            new_privs_allowed,
            seccomp,
            as_pid_1,
            room: _,
        } = self;
        if c.overlay.is_some() && c.root.is_some() {
            return Err(Error::new(b"--overlay and --rootfs both name the root; give one"));
        }
        if upper_given && c.overlay.is_none() {
            return Err(Error::new(b"--overlay-upper applies to --overlay, which is not given"));
        }
        if c.read_only && c.root.is_none() && c.overlay.is_none() {
            return Err(Error::new(b"--read-only applies to --rootfs or --overlay, and neither is given"));
        }
        if tmpfs_size.is_some() || tmpfs_mode.is_some() {
            return Err(Error::new(b"--size and --mode apply to the next --tmpfs, and none follows"));
        }
        if cfg!(feature = "compat") && as_pid_1 && c.init.enabled {
            return Err(Error::new(b"--as-pid-1 and --init contradict: with --init nsinit is PID 1, COMMAND its child"));
        }
        if c.process.args.command().is_none() {
            return Err(Error::new(b"no command given (usage: nsinit [OPTION]... [--] COMMAND [ARG]...; see --help)"));
        }
        let has_root = c.root.is_some() || c.overlay.is_some();
        let defaults = has_root && !bare;
        c.namespaces = (if defaults { DEFAULT_NAMESPACES } else { 0 } | ns_on) & !ns_off;
        // A namespace joined by path is not made (nor given the default hostname).
        if cfg!(feature = "process") {
            c.namespaces &= !c.joins.iter().fold(0, |bits, j| bits | j.namespace);
        }
        if cfg!(feature = "compat") && as_pid_1 && !c.has(CLONE_NEWPID) {
            return Err(Error::new(b"--as-pid-1 needs a pid namespace: add --unshare-pid (--rootfs has one by default)"));
        }
        let hides = !c.masked_paths.is_empty() || !c.readonly_paths.is_empty();
        if has_root || !c.mounts.is_empty() || hides || c.rootfs_propagation != 0 {
            if ns_off & CLONE_NEWNS != 0 {
                let what: &[u8] = if hides && !has_root && c.mounts.is_empty() { b"--mask and --ro-path" } else { b"--rootfs and mounts" };
                return Err(Error::new(what).push(b" need the mount namespace; drop '--share mnt'"));
            }
            c.namespaces |= CLONE_NEWNS;
        }
        if !cfg!(feature = "userns") && c.has(CLONE_NEWUSER) {
            return Err(Error::new(b"user namespaces are not in this build (cargo feature userns)"));
        }
        if c.userns_auto {
            if !c.uid_maps.is_empty() || !c.gid_maps.is_empty() {
                return Err(Error::new(b"--userns auto and --uid-map/--gid-map both give the maps; give one"));
            }
            if !c.has(CLONE_NEWUSER) {
                return Err(Error::new(b"--userns auto needs the user namespace; drop '--share user'"));
            }
        }
        if c.hostname.is_some() || c.domainname.is_some() {
            if ns_off & CLONE_NEWUTS != 0 {
                return Err(Error::new(b"--hostname and --domainname need the uts namespace; drop '--share uts'"));
            }
            c.namespaces |= CLONE_NEWUTS;
        } else if defaults && c.has(CLONE_NEWUTS) {
            c.hostname = Some(ZStr::new(DEFAULT_HOSTNAME));
        }
        if cfg!(feature = "process") {
            joined_namespaces(c, ns_off)?;
        }
        let root_len = c.root.map_or(0, |r| r.bytes().len());
        if let Some(m) = c.mounts.iter().find(|m| root_len + m.destination.bytes().len() >= PATH_MAX) {
            return Err(Error::new(b"mount destination too long under the root (at most 4095 bytes): ")
                .push(m.destination.bytes()));
        }
        // Least privilege, as runc and Docker give it by default.
        let secure = defaults && cfg!(feature = "security");
        let start = if secure { Some(DEFAULT_CAPABILITIES) } else if cap_add | cap_drop != 0 { Some(ALL_CAPABILITIES) } else { None };
        // A name is taken for a user other than root until it is looked
        // up; one that turns out to be uid 0 gets root's sets then.
        let non_root = c.process.user.and_then(|u| parse_user(u.bytes())).is_some_and(|u| u.user != Id::Number(0));
        c.process.capabilities = start.map(|start| capabilities((start & !cap_drop) | cap_add, cap_add, non_root));
        c.process.no_new_privileges = secure && !new_privs_allowed;
        c.seccomp = seccomp.unwrap_or(if secure { Seccomp::Default } else { Seccomp::Off });
        if secure {
            for (defaults, paths) in [(&DEFAULT_MASKED_PATHS[..], &mut c.masked_paths), (&DEFAULT_READONLY_PATHS, &mut c.readonly_paths)] {
                for (at, path) in defaults.iter().enumerate() {
                    paths.insert(at, ZStr::new(path)).map_err(|_| too_many_paths(Error::new(b"")))?;
                }
            }
        }
        if defaults {
            let mut at = 0;
            for (kind, dst) in DEFAULT_MOUNTS {
                let dst = ZStr::new(dst);
                if !c.mounts.iter().any(|m| m.destination == dst) {
                    c.mounts.insert(at, Mount::new(kind, dst)).map_err(|_| too_many_mounts(At::Cli))?;
                    at += 1;
                }
            }
        }
        Ok(())
    }
}

/// A namespace joined by path is not made too (`--join net:P` with
/// `--rootfs`, whose defaults make a network namespace, takes the one at
/// P), whatever asked for it; `--time-offset` asks for a new time
/// namespace. What goes with joining is checked when the container starts
/// (`container::join`), for every front end.
fn joined_namespaces(c: &mut Container<'_>, ns_off: u32) -> Result<(), Error> {
    use linux_raw_sys::general::CLONE_NEWTIME;
    let joined = c.joins.iter().fold(0, |bits, j| bits | j.namespace);
    if c.time_offsets.is_some() {
        if (joined | ns_off) & CLONE_NEWTIME != 0 {
            return Err(Error::new(b"--time-offset needs a new time namespace; drop '--share time' or '--join time'"));
        }
        c.namespaces |= CLONE_NEWTIME;
    }
    c.namespaces &= !joined;
    Ok(())
}

/// How applying an option failed: its first word does not parse, or
/// something else, already said.
enum Fail {
    Bad,
    Error(Error),
}
use Fail::Bad;

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Error(e)
    }
}

/// `nsinit: --NAME: WHAT` (in a file, `nsinit: FILE:LINE: NAME: WHAT`).
#[cold]
#[inline(never)]
fn said(at: At<'_>, opt: &Opt, what: &[u8]) -> Error {
    at.error(opt.name().as_bytes()).push(what)
}

/// `nsinit: --NAME: MESSAGE; got 'WORD'`, MESSAGE the option's table line's,
/// or `expected ARGS`, ARGS its usage words.
#[cold]
#[inline(never)]
fn bad_word(at: At<'_>, opt: &Opt, word: &[u8]) -> Error {
    push_usage(at.error(opt.name().as_bytes()), opt, true).push(b"; got '").push(word).push(b"'")
}

/// The payload's sets from the container's set `set` (the bounding set)
/// and what `--cap-add` named, as runc and Docker (23 on) give them, after
/// CVE-2022-29162: the inheritable set is empty, so that no file's
/// inheritable capabilities gain anything at execve; a non-root `--user`
/// starts with nothing, as it would on the host, and gets only what
/// `--cap-add` names, in every set (the ambient set needs the inheritable
/// one), so that they last through the execve of a file without
/// capabilities.
pub fn capabilities(set: u64, added: u64, non_root: bool) -> Capabilities {
    if non_root {
        let added = added & set;
        return Capabilities { bounding: set, effective: added, inheritable: added, permitted: added, ambient: added };
    }
    Capabilities { bounding: set, effective: set, inheritable: 0, permitted: set, ambient: 0 }
}

/// Checks a path in the container: absolute, without `..`. The error says
/// what is wrong, up to the quoted path.
fn absolute_path(path: &[u8]) -> Result<(), &'static [u8]> {
    if path.first() != Some(&b'/') {
        return Err(b"must be an absolute path in the container; got '");
    }
    if path.split(|&c| c == b'/').any(|part| part == b"..") {
        return Err(b"must not contain '..'; got '");
    }
    Ok(())
}

/// The capabilities `name` stands for: one as `capabilities(7)` spells it,
/// in either case, with or without `CAP_`, or `ALL`.
pub fn capability(name: &[u8]) -> Option<u64> {
    let mut lower = [0u8; 32];
    let name = lower.get_mut(..name.len()).map(|l| {
        l.copy_from_slice(name);
        l.make_ascii_lowercase();
        &*l
    })?;
    let name = name.strip_prefix(&b"cap_"[..]).unwrap_or(name);
    if is(name, "all") {
        return Some(ALL_CAPABILITIES);
    }
    // Packed at compile time for `find`: a step a name rather than a byte.
    const PACKED: [u8; crate::text::packed_len(CAPABILITY_NAMES)] = crate::text::pack(CAPABILITY_NAMES);
    crate::text::find(name, &PACKED).ok().map(|bit| 1 << bit)
}

fn too_many_paths(e: Error) -> Error {
    e.push(b"too many paths (at most 32, defaults included)")
}

fn room_full(at: At<'_>) -> Error {
    at.plain().push(b"paths too long in all (at most 64 KiB once cleaned and made relative to the config file)")
}

fn too_many_mounts(at: At<'_>) -> Error {
    at.plain().push(b"too many mounts (at most 64, defaults included)")
}

/// A numeric uid or gid: 4294967295 is the kernel's "no id" (`-1`), which
/// `setresuid` takes for "leave it as it is".
pub fn id(s: &[u8]) -> Option<u32> {
    parse_radix(s, 10).and_then(|n| u32::try_from(n).ok()).filter(|&n| n != u32::MAX)
}

/// `USER[:GROUP]`: each a number when it is all digits (as runc reads it),
/// else a name (not in a build without the cargo feature `users`); neither
/// empty, GROUP without a `:`.
pub fn parse_user(spec: &[u8]) -> Option<User<'_>> {
    fn word(w: &[u8]) -> Option<Id<'_>> {
        match w {
            _ if w.is_empty() || w.contains(&b':') => None,
            _ if w.iter().all(u8::is_ascii_digit) => id(w).map(Id::Number),
            _ if cfg!(feature = "users") => Some(Id::Name(w)),
            _ => None,
        }
    }
    let (user, group) = match spec.iter().position(|&c| c == b':') {
        Some(i) => (&spec[..i], Some(word(&spec[i + 1..])?)),
        None => (spec, None),
    };
    Some(User { spec, user: word(user)?, group })
}

/// `INSIDE:OUTSIDE:COUNT`.
pub fn parse_id_map(s: &[u8]) -> Option<IdMap> {
    parse_id_line(s, b':')
}

/// `INSIDE{sep}OUTSIDE{sep}COUNT`, a map line of at least one id.
#[inline(never)]
pub fn parse_id_line(s: &[u8], sep: u8) -> Option<IdMap> {
    let mut parts = s.split(|&c| c == sep);
    let (inside, outside, count) = (id(parts.next()?)?, id(parts.next()?)?, id(parts.next()?)?);
    (parts.next().is_none() && count > 0).then_some(IdMap { inside, outside, count })
}

/// `uts,pid` -> CLONE_NEWUTS|CLONE_NEWPID; `all` -> every one. `None` on an unknown word.
pub fn namespace_list(list: ZStr<'_>) -> Option<u32> {
    let mut bits = 0;
    for word in list.bytes().split(|&c| c == b',') {
        bits |= namespace_word(word)?;
    }
    Some(bits)
}

/// One word of such a list.
fn namespace_word(word: &[u8]) -> Option<u32> {
    match word {
        b"all" => Some(NAMESPACES.iter().fold(0, |acc, (_, bit)| acc | bit)),
        b"user" => Some(USER_NAMESPACE.1),
        _ => NAMESPACES.iter().find(|(name, _)| name.as_bytes() == word).map(|(_, bit)| *bit),
    }
}

/// Most layers of `--overlay`.
pub const MAX_LOWERS: usize = 8;

/// The period of `--cpus`, as runc and Docker use it.
pub const CPU_PERIOD_US: u64 = 100_000;

/// `max` as `u64::MAX`, or a value `parse` reads.
fn limit(s: &[u8], parse: impl Fn(&[u8]) -> Option<u64>) -> Option<u64> {
    if is(s, "max") { Some(u64::MAX) } else { parse(s) }
}

/// `QUOTA[/PERIOD]` in microseconds; QUOTA may be `max`; PERIOD defaults
/// to 100000 and, as the kernel wants, lies between 1 ms and 1 s.
pub fn parse_cpu_max(s: &[u8]) -> Option<(u64, u64)> {
    let (quota, period) = match s.iter().position(|&c| c == b'/') {
        Some(i) => (&s[..i], parse_radix(&s[i + 1..], 10)?),
        None => (s, CPU_PERIOD_US),
    };
    let quota = limit(quota, |q| parse_radix(q, 10))?;
    ((1000..=1_000_000).contains(&period) && quota >= 1000).then_some((quota, period))
}

/// `0.5`, `2`, `1.25`: CPUs as a quota per 100 ms period.
pub fn parse_cpus(s: &[u8]) -> Option<u64> {
    let (whole, frac) = match s.iter().position(|&c| c == b'.') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &b""[..]),
    };
    if frac.len() > 5 || (whole.is_empty() && frac.is_empty()) {
        return None;
    }
    let whole = if whole.is_empty() { 0 } else { parse_radix(whole, 10)? };
    let mut micros = whole.checked_mul(CPU_PERIOD_US)?;
    let mut scale = CPU_PERIOD_US / 10;
    for &d in frac {
        micros += u64::from((d as char).to_digit(10)?) * scale;
        scale /= 10;
    }
    // The kernel's smallest quota is 1 ms.
    (micros >= 1000).then_some(micros)
}

/// The `--rlimit` names, as `prlimit(1)` spells them.
/// The `--rlimit` names, in the order of their resource numbers (0, cpu,
/// to 15, rttime): one string, the table and the help text at once.
const RLIMIT_NAMES_HELP: &[u8] =
    b"cpu, fsize, data, stack, core, rss, nproc, nofile, memlock, as, locks, sigpending, msgqueue, nice, rtprio, rttime";

/// The `--rlimit` name of resource number `resource`.
pub fn rlimit_name(resource: u32) -> &'static [u8] {
    rlimit_names().nth(resource as usize).unwrap_or(b"?")
}

/// The resource number of an rlimit by its `--rlimit` name, in any case.
pub fn rlimit_resource(name: &[u8]) -> Option<u32> {
    rlimit_names().position(|n| n.eq_ignore_ascii_case(name)).map(|r| r as u32)
}

fn rlimit_names() -> impl Iterator<Item = &'static [u8]> {
    RLIMIT_NAMES_HELP.split(|&c| c == b',').map(|n| n.strip_prefix(b" ").unwrap_or(n))
}

/// `NAME=SOFT[:HARD]`, a value a number or `unlimited`; HARD defaults to SOFT.
pub fn parse_rlimit(s: &[u8]) -> Option<Rlimit> {
    let eq = s.iter().position(|&c| c == b'=')?;
    let name = s[..eq].strip_prefix(&b"RLIMIT_"[..]).unwrap_or(&s[..eq]);
    let resource = rlimit_resource(name)?;
    let value = |v: &[u8]| if is(v, "unlimited") { Some(u64::MAX) } else { parse_radix(v, 10) };
    let values = &s[eq + 1..];
    let (soft, hard) = match values.iter().position(|&c| c == b':') {
        Some(i) => (value(&values[..i])?, value(&values[i + 1..])?),
        None => (value(values)?, value(values)?),
    };
    (soft <= hard).then_some(Rlimit { resource, soft, hard })
}

/// Bytes, with an optional K, M or G suffix (powers of 1024). `None` on bad
/// input or overflow.
pub fn parse_size(s: &[u8]) -> Option<u64> {
    let (digits, scale) = match s.last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 1u64 << 10),
        b'm' | b'M' => (&s[..s.len() - 1], 1 << 20),
        b'g' | b'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    parse_radix(digits, 10)?.checked_mul(scale)
}

pub fn parse_octal(s: &[u8]) -> Option<u32> {
    u32::try_from(parse_radix(s, 8)?).ok()
}

/// Digits only: no sign, no spaces, at least one digit.
pub fn parse_radix(s: &[u8], radix: u64) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, &c| {
        let d = (c as char).to_digit(radix as u32)?;
        n.checked_mul(radix)?.checked_add(u64::from(d))
    })
}

/// A decimal number from `min` to `max`.
#[cfg(feature = "cgroups")]
fn number(n: ZStr<'_>, min: u64, max: u64, error: impl Fn() -> Error) -> Result<u64, Error> {
    parse_radix(n.bytes(), 10).filter(|v| (min..=max).contains(v)).ok_or_else(|| {
        let e = error().push(b"expected a number from ").push_u64(min).push(b" to ");
        let e = if max >= u64::MAX - 1 { e.push(b"2^64-2") } else { e.push_u64(max) };
        e.push(b"; got '").push(n.bytes()).push(b"'")
    })
}

/// `s` split at the first `c`, which is in neither part; all of `s` and
/// nothing when there is none.
#[cfg(feature = "cgroups")]
fn split_at(s: &[u8], c: u8) -> (&[u8], &[u8]) {
    match s.iter().position(|&b| b == c) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &s[s.len()..]),
    }
}

/// A CPU or memory node list as cpuset files take it: `0-1,3`.
fn list_ok(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|c| c.is_ascii_digit() || b",-".contains(c))
}

#[cfg(feature = "cgroups")]
/// Whether `word` may be a cgroup file name or part of one (a hugepage
/// size, an interface or rdma device name, a `unified` key): not empty,
/// letters, digits, `_`, `-` and `.` only, so never a path.
pub fn cgroup_word_ok(word: &[u8]) -> bool {
    !word.is_empty() && word.len() <= 64 && word[0] != b'.' && word.iter().all(|c| c.is_ascii_alphanumeric() || b"_-.".contains(c))
}

#[cfg(feature = "cgroups")]
/// A huge page size as the kernel's `hugetlb.<SIZE>.*` files spell it:
/// digits and `KB`, `MB` or `GB` (`2MB`, `1GB`, `64KB`).
pub fn hugepage_size_ok(size: &[u8]) -> bool {
    let digits = size.len().saturating_sub(2);
    matches!(&size[digits..], b"KB" | b"MB" | b"GB") && parse_radix(&size[..digits], 10).is_some()
}

#[cfg(feature = "cgroups")]
/// Largest device numbers, the kernel's (12 bits major, 20 bits minor).
const MAJOR_MAX: u64 = 4095;
#[cfg(feature = "cgroups")]
const MINOR_MAX: u64 = 1_048_575;

#[cfg(feature = "cgroups")]
/// OCI's `access` of a device rule, and docker's: one or more of `r`, `w`,
/// `m`, each at most once, as `DEVICE_*` bits.
pub fn device_access(s: &[u8]) -> Option<u8> {
    let mut bits = 0;
    for c in s {
        let bit = match c {
            b'm' => DEVICE_MKNOD,
            b'r' => DEVICE_READ,
            b'w' => DEVICE_WRITE,
            _ => return None,
        };
        if bits & bit != 0 {
            return None;
        }
        bits |= bit;
    }
    (bits != 0).then_some(bits)
}

#[cfg(feature = "cgroups")]
/// A device number or `*` (any).
fn device_number(s: &[u8], max: u64) -> Option<Option<u32>> {
    if s == b"*" {
        return Some(None);
    }
    parse_radix(s, 10).filter(|n| *n <= max).map(|n| Some(n as u32))
}

#[cfg(feature = "cgroups")]
/// docker's `--device-cgroup-rule`: `TYPE MAJOR:MINOR ACCESS`, TYPE `a`,
/// `b` or `c`, MAJOR and MINOR numbers or `*`, ACCESS of `r`, `w`, `m`;
/// an allowing rule.
pub fn parse_device_rule(s: &[u8]) -> Option<DeviceRule> {
    let mut words = s.split(|&c| c == b' ');
    let (kind, numbers, access) = (words.next()?, words.next()?, words.next()?);
    let (major, minor) = split_at(numbers, b':');
    let kind = match kind {
        b"a" | b"b" | b"c" => kind[0],
        _ => return None,
    };
    if words.next().is_some() || major.len() == numbers.len() {
        return None;
    }
    Some(DeviceRule {
        allow: true,
        kind,
        major: device_number(major, MAJOR_MAX)?,
        minor: device_number(minor, MINOR_MAX)?,
        access: device_access(access)?,
    })
}

/// `/dev/PATH:VALUE` (docker's form) or `MAJOR:MINOR:VALUE`; a weight
/// from 10 to 1000, or a rate with an optional K, M or G suffix.
#[cfg(feature = "cgroups")]
fn parse_blkio_device(s: &[u8], limit: BlkioLimit) -> Option<BlkioDevice<'_>> {
    let colon = s.iter().rposition(|&c| c == b':')?;
    let (device, value) = (&s[..colon], &s[colon + 1..]);
    let value = if limit == BlkioLimit::Weight {
        parse_radix(value, 10).filter(|w| (10..=1000).contains(w))?
    } else {
        parse_size(value)?
    };
    let mut d = BlkioDevice { limit, major: 0, minor: 0, path: None, value };
    if device.first() == Some(&b'/') {
        d.path = Some(device);
    } else {
        let (major, minor) = split_at(device, b':');
        d.major = device_number(major, MAJOR_MAX)??;
        d.minor = device_number(minor, MINOR_MAX)??;
    }
    Some(d)
}

/// `DEVICE[:hca_handle=N][:hca_object=N]`.
#[cfg(feature = "cgroups")]
fn parse_rdma(s: &[u8]) -> Option<Rdma<'_>> {
    let mut parts = s.split(|&c| c == b':');
    let device = parts.next().filter(|d| cgroup_word_ok(d))?;
    let mut r = Rdma { device, hca_handles: None, hca_objects: None };
    for part in parts {
        let (key, value) = split_at(part, b'=');
        let n = Some(u32::try_from(parse_radix(value, 10)?).ok()?);
        match which(key, "hca_handle hca_object")? {
            0 => r.hca_handles = n,
            _ => r.hca_objects = n,
        }
    }
    Some(r)
}

/// Longest `--cgroup` path.
pub const CGROUP_NAME_MAX: usize = 255;

/// Whether `path` names a cgroup below a hierarchy's root (`/A/B`) or below
/// nsinit's own (`A/B`): one or more components, none of them empty, `.`
/// or `..`. `/`, `.`, `//`, `a//b`, `a/` and `a/..` would name the root
/// itself or a cgroup above the one meant: refused before anything is
/// touched (a failed run kills what is in the cgroup it made). No control
/// byte either: a newline would make two lines of the journal the
/// lifecycle's `create` keeps of its cgroups.
pub fn cgroup_path_ok(path: &[u8]) -> bool {
    let relative = path.strip_prefix(b"/").unwrap_or(path);
    let plain = !relative.iter().any(|&c| c < b' ' || c == 0x7f);
    plain && !relative.is_empty() && relative.split(|&c| c == b'/').all(|part| !part.is_empty() && part != b"." && part != b"..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_paths() {
        for ok in ["a", "/a", "a/b", "/a/b/c", "nsinit-1", "/.a", "a..b", "..."] {
            assert!(cgroup_path_ok(ok.as_bytes()), "{ok}");
        }
        for bad in ["", "/", "//", "///", ".", "/.", "..", "/..", "a/", "/a/", "a//b", "//a", "a/.", "./a", "a/../b", "/a/..", "a/./b", "a\nb", "/a/\n/sys/fs/cgroup/pids/x", "a\tb", "a\x7f"] {
            assert!(!cgroup_path_ok(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size(b"4096"), Some(4096));
        assert_eq!(parse_size(b"64k"), Some(65536));
        assert_eq!(parse_size(b"2M"), Some(2 << 20));
        assert_eq!(parse_size(b"1G"), Some(1 << 30));
        assert_eq!(parse_size(b""), None);
        assert_eq!(parse_size(b"K"), None);
        assert_eq!(parse_size(b"12x"), None);
        assert_eq!(parse_size(b"-1"), None);
        assert_eq!(parse_size(b"99999999999999999999"), None);
        assert_eq!(parse_size(b"17179869184G"), None);
    }

    #[test]
    #[cfg(feature = "cgroups")]
    fn device_rules_in_dockers_words() {
        let rule = |allow, kind, major, minor, access| DeviceRule { allow, kind, major, minor, access };
        assert_eq!(parse_device_rule(b"c 1:3 rwm"), Some(rule(true, b'c', Some(1), Some(3), 7)));
        assert_eq!(parse_device_rule(b"b 8:* r"), Some(rule(true, b'b', Some(8), None, DEVICE_READ)));
        assert_eq!(parse_device_rule(b"a *:* mw"), Some(rule(true, b'a', None, None, DEVICE_MKNOD | DEVICE_WRITE)));
        assert_eq!(parse_device_rule(b"c 4095:1048575 m"), Some(rule(true, b'c', Some(4095), Some(1_048_575), DEVICE_MKNOD)));
        for bad in ["c 1:3", "c 1:3 rwm x", "d 1:3 r", "c 1 r", "c 1:3 rr", "c 1:3 ", "c -1:3 r", "c 4096:0 r", "c 0:1048576 r", "c 1:3 RWM", ""] {
            assert_eq!(parse_device_rule(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(device_access(b"mrw"), Some(7));
        assert_eq!(device_access(b""), None);
    }

    #[test]
    #[cfg(feature = "cgroups")]
    fn cgroup_file_words_are_never_paths() {
        for ok in ["memory.high", "io.max", "mlx4_0", "eth-0"] {
            assert!(cgroup_word_ok(ok.as_bytes()), "{ok}");
        }
        for bad in ["", "..", ".x", "a/b", "../memory.max", "a b", "a\nb"] {
            assert!(!cgroup_word_ok(bad.as_bytes()), "{bad}");
        }
        for (size, ok) in [("2MB", true), ("1GB", true), ("64KB", true), ("MB", false), ("2M", false), ("2mb", false), ("../2MB", false)] {
            assert_eq!(hugepage_size_ok(size.as_bytes()), ok, "{size}");
        }
    }

    #[test]
    #[cfg(feature = "cgroups")]
    fn block_device_limits_by_path_or_numbers() {
        let d = parse_blkio_device(b"/dev/sda:1M", BlkioLimit::ReadBps).expect("path form");
        assert_eq!((d.path, d.value), (Some(&b"/dev/sda"[..]), 1 << 20));
        let d = parse_blkio_device(b"8:16:300", BlkioLimit::Weight).expect("numbers");
        assert_eq!((d.major, d.minor, d.value, d.path), (8, 16, 300, None));
        assert!(parse_blkio_device(b"8:16:5", BlkioLimit::Weight).is_none(), "weights are 10 to 1000");
        assert!(parse_blkio_device(b"8:1M", BlkioLimit::ReadBps).is_none());
        assert!(parse_blkio_device(b"sda:1M", BlkioLimit::ReadBps).is_none());
        assert_eq!(parse_rdma(b"mlx4_0:hca_handle=2:hca_object=2000").map(|r| (r.hca_handles, r.hca_objects)), Some((Some(2), Some(2000))));
        assert!(parse_rdma(b"mlx4_0:hca=2").is_none());
    }

    #[test]
    fn cpu_limits() {
        assert_eq!(parse_cpu_max(b"50000"), Some((50000, 100000)));
        assert_eq!(parse_cpu_max(b"20000/50000"), Some((20000, 50000)));
        assert_eq!(parse_cpu_max(b"max"), Some((u64::MAX, 100000)));
        assert_eq!(parse_cpu_max(b"max/200000"), Some((u64::MAX, 200000)));
        assert_eq!(parse_cpu_max(b"500"), None, "under the kernel's 1 ms");
        assert_eq!(parse_cpu_max(b"50000/10"), None);
        assert_eq!(parse_cpu_max(b"x"), None);
        assert_eq!(parse_cpus(b"0.5"), Some(50000));
        assert_eq!(parse_cpus(b"2"), Some(200000));
        assert_eq!(parse_cpus(b"1.25"), Some(125000));
        assert_eq!(parse_cpus(b".2"), Some(20000));
        assert_eq!(parse_cpus(b"0.001"), None, "under 1 ms a period");
        assert_eq!(parse_cpus(b"0"), None);
        assert_eq!(parse_cpus(b"1.x"), None);
        assert_eq!(parse_cpus(b""), None);
    }

    #[test]
    fn id_maps() {
        assert_eq!(parse_id_map(b"0:100000:65536"), Some(IdMap { inside: 0, outside: 100000, count: 65536 }));
        assert_eq!(parse_id_map(b"0:1000:0"), None);
        assert_eq!(parse_id_map(b"0:1000"), None);
        assert_eq!(parse_id_map(b"0:1000:1:2"), None);
        assert_eq!(parse_id_map(b"a:1:1"), None);
    }

    #[test]
    fn rlimits() {
        assert_eq!(parse_rlimit(b"nofile=1024:4096"), Some(Rlimit { resource: 7, soft: 1024, hard: 4096 }));
        assert_eq!(parse_rlimit(b"NOFILE=64"), Some(Rlimit { resource: 7, soft: 64, hard: 64 }));
        assert_eq!(parse_rlimit(b"RLIMIT_CORE=0:unlimited"), Some(Rlimit { resource: 4, soft: 0, hard: u64::MAX }));
        assert_eq!(parse_rlimit(b"nofile=10:5"), None, "soft over hard");
        assert_eq!(parse_rlimit(b"files=10"), None);
        assert_eq!(parse_rlimit(b"nofile"), None);
        assert_eq!(parse_rlimit(b"nofile=x"), None);
    }

    #[test]
    fn users_are_numbers_or_names() {
        fn user(s: &str) -> Option<(Id<'_>, Option<Id<'_>>)> {
            parse_user(s.as_bytes()).map(|u| (u.user, u.group))
        }
        assert_eq!(user("1000"), Some((Id::Number(1000), None)));
        assert_eq!(user("0:0"), Some((Id::Number(0), Some(Id::Number(0)))));
        assert_eq!(user("alice"), Some((Id::Name(b"alice"), None)));
        assert_eq!(user("alice:staff"), Some((Id::Name(b"alice"), Some(Id::Name(b"staff")))));
        assert_eq!(user("1000:staff"), Some((Id::Number(1000), Some(Id::Name(b"staff")))));
        assert_eq!(user("x1:2y"), Some((Id::Name(b"x1"), Some(Id::Name(b"2y")))), "digits and more: a name");
        assert_eq!(user("4294967294"), Some((Id::Number(u32::MAX - 1), None)));
        for bad in ["", ":", "alice:", ":staff", "a:b:c", "1:2:3", "4294967295", "0:4294967295", "99999999999"] {
            assert_eq!(user(bad), None, "{bad:?}");
        }
        assert_eq!(parse_user(b"a:b").map(|u| u.spec), Some(&b"a:b"[..]));
    }

    #[test]
    fn octal_modes() {
        assert_eq!(parse_octal(b"0755"), Some(0o755));
        assert_eq!(parse_octal(b"1777"), Some(0o1777));
        assert_eq!(parse_octal(b"8"), None);
        assert_eq!(parse_octal(b""), None);
    }

    #[test]
    fn namespace_lists() {
        use linux_raw_sys::general::*;
        assert_eq!(namespace_list(ZStr::new(c"uts")), Some(CLONE_NEWUTS));
        assert_eq!(namespace_list(ZStr::new(c"pid,net")), Some(CLONE_NEWPID | CLONE_NEWNET));
        let all = CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME;
        assert_eq!(namespace_list(ZStr::new(c"all")), Some(all));
        assert_eq!(namespace_list(ZStr::new(c"uts,user")), Some(CLONE_NEWUTS | CLONE_NEWUSER), "user is known, but not in all");
        assert_eq!(namespace_list(ZStr::new(c"uts,usr")), None);
        assert_eq!(namespace_list(ZStr::new(c"")), None);
        assert_eq!(namespace_list(ZStr::new(c"uts,")), None);
    }

    #[test]
    fn word_lists_match_whole_words() {
        use super::super::which;
        assert_eq!(which(b"b", "a b c"), Some(1));
        assert_eq!(which(b"c", "a b c"), Some(2));
        for no in [&b""[..], b"a b", b"ab", b"B", b" "] {
            assert_eq!(which(no, "a b c"), None, "{no:?}");
        }
    }

    #[test]
    fn a_message_shared_by_options_is_kept_once() {
        let (share, unshare) = (find(b"share").unwrap(), find(b"unshare").unwrap());
        let text = |e: Error| e.text();
        assert_eq!(text(push_usage(Error::new(b""), share, true)), "nsinit: expected a comma list of uts,pid,mnt,ipc,net,cgroup,time,user or all");
        assert_eq!(share.message, unshare.message);
        let (rootfs, bind) = (find(b"rootfs").unwrap(), find(b"bind").unwrap());
        assert_eq!(text(push_usage(Error::new(b""), rootfs, true)), "nsinit: expected DIR");
        assert_eq!(bind.name(), "bind");
        assert_eq!(text(push_usage(Error::new(b""), bind, false)), "nsinit: expected SRC DST");
        let last = &OPTIONS[OPTIONS.len() - 1];
        assert_eq!((last.name(), HELP.name()), ("version", "help"));
    }

    #[test]
    fn the_usage_words_and_messages_unpack_whole() {
        let mut text = [0; usage_len()];
        let n = if PACKED { crate::text::unpack(&USAGE, &mut text) } else { USAGE.len() };
        assert_eq!(n, USAGE_BYTES.len());
        assert!(!PACKED || text == USAGE_BYTES);
        assert_eq!(usize::from(MESSAGE_AT[MESSAGES]), USAGE_BYTES.len());
        for (i, spec) in SPECS.iter().enumerate() {
            let opt = &OPTIONS[i];
            let want = if spec.message.is_empty() { format!("nsinit: expected {}", spec.args) } else { format!("nsinit: {}", spec.message) };
            assert_eq!(push_usage(Error::new(b""), opt, true).text(), want, "{}", spec.name);
            assert_eq!((opt.name(), opt.key as usize), (spec.name, i));
        }
    }

    #[test]
    fn arity_comes_from_the_usage_words() {
        assert_eq!(find(b"bind").map(Opt::arity), Some(2));
        assert_eq!(find(b"bare").map(Opt::arity), Some(0));
        assert_eq!(find(b"rootfs").map(Opt::arity), Some(1));
        assert!(find(b"nope").is_none());
    }
}
