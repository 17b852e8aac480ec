//! The container's cgroup: where it goes, its limits, its placement before
//! the payload runs, the OOM report, and its removal. The three layouts a
//! machine can have are handled: cgroup v2 alone (unified), v1 controllers
//! beside an empty v2 tree (hybrid), and v1 alone (legacy); on hybrid the
//! v1 controllers are the ones that limit.

/// The eBPF device program of cgroup v2 (a file of its own: pure logic).
#[path = "device_filter.rs"]
mod device_filter;

use crate::config::{BlkioLimit, Container, DEFAULT_DEVICE_RULES, DeviceRule, Resources};
use crate::error::Error;
use crate::rt::StaticCell;
use crate::sys::{self, Errno, Fd, ZStr};
use crate::text::ZBuf;
use heapless::Vec;
use linux_raw_sys::general::{
    CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_RDONLY, O_WRONLY, S_IFDIR, S_IFMT, SIGKILL, W_OK,
};

/// Longest cgroup directory path, `/sys/fs/cgroup/<controller>/<OWN>/<PATH>`.
const CGROUP_PATH_MAX: usize = 1024;
/// Most of `/proc/self/cgroup` nsinit reads: a line a hierarchy.
const PROC_CGROUP_MAX: usize = 4096;
type Path = ZBuf<CGROUP_PATH_MAX>;

/// The v1 controllers a container is placed in, those mounted at least;
/// past `V1_ALWAYS`, only when one of its limits is given.
const V1_CONTROLLERS: [&[u8]; 12] =
    [b"pids", b"memory", b"cpu", b"cpuset", b"blkio", b"devices", b"hugetlb", b"net_cls", b"net_prio", b"rdma", b"freezer", b"cpuacct"];
const V1_ALWAYS: usize = 4;
/// The hierarchies under /sys/fs/cgroup that are no controller's but that
/// the container is placed in all the same (`Cgroup::place_in_the_others`),
/// named for `v1_hierarchy_in`: name=systemd's, and the hybrid host's
/// cgroup2 tree. Another named hierarchy (`name=X`) is placed in too, but
/// has no bit: its cgroup mount is read-only.
const NAMED_HIERARCHIES: [&[u8]; 2] = [b"systemd", b"unified"];
/// Most directories a container has on v1: one a controller, and one in
/// each hierarchy of no controller (name=systemd, name=X, the cgroup2 tree).
pub const MAX_DIRS: usize = V1_CONTROLLERS.len() + 4;
/// Most bytes of `Cgroup::record`: per directory two numbers and a path,
/// each ending with a NUL.
#[cfg(feature = "oci")]
pub const RECORD_MAX: usize = MAX_DIRS * (2 * 20 + CGROUP_PATH_MAX + 3);
// `Cgroup::v1_hierarchies` is a u16 of them.
const _: () = assert!(V1_CONTROLLERS.len() + NAMED_HIERARCHIES.len() <= 16);
/// The v2 controllers enabled for it; past `V2_ALWAYS`, only when one of
/// its limits is given.
const V2_CONTROLLERS: [&[u8]; 7] = [b"+pids", b"+memory", b"+cpu", b"+cpuset", b"+io", b"+hugetlb", b"+rdma"];
const V2_ALWAYS: usize = 4;

/// A limit written as a number: its file on v1 (whose controller is the
/// name up to its first `.`) and on v2, and its value in `Resources` for
/// the one or the other (`Cgroup::put_num` writes u64::MAX as -1 on v1,
/// max on v2).
struct Knob {
    v1: &'static [u8],
    v2: &'static [u8],
    value: fn(&Resources<'_>, bool) -> Option<u64>,
}

/// The numeric limits, in the order runc writes them. Those of one
/// version only are `None` on the other (`check_layout` refused them).
static KNOBS: [Knob; 12] = [
    Knob { v1: b"memory.limit_in_bytes", v2: b"memory.max", value: |r, _| r.memory_max },
    Knob { v1: b"memory.memsw.limit_in_bytes", v2: b"memory.swap.max", value: swap },
    Knob { v1: b"memory.soft_limit_in_bytes", v2: b"memory.low", value: |r, _| r.memory_reservation },
    Knob { v1: b"memory.swappiness", v2: b"", value: |r, _| r.memory_swappiness },
    Knob { v1: b"memory.oom_control", v2: b"", value: |r, _| r.oom_kill_disable.then_some(1) },
    Knob { v1: b"cpu.shares", v2: b"cpu.weight", value: cpu_weight },
    Knob { v1: b"cpu.cfs_period_us", v2: b"", value: |r, v2| r.cpu_max.filter(|_| !v2).map(|c| c.1) },
    Knob { v1: b"cpu.cfs_quota_us", v2: b"", value: |r, v2| r.cpu_max.filter(|_| !v2).map(|c| c.0) },
    Knob { v1: b"cpu.cfs_burst_us", v2: b"cpu.max.burst", value: |r, _| r.cpu_burst },
    Knob { v1: b"cpu.idle", v2: b"cpu.idle", value: |r, _| r.cpu_idle },
    Knob { v1: b"cpu.rt_period_us", v2: b"", value: |r, _| r.cpu_rt_period },
    Knob { v1: b"cpu.rt_runtime_us", v2: b"", value: |r, _| r.cpu_rt_runtime },
];

/// Longest `Cgroup::freeze` waits for the kernel, in milliseconds (runc
/// retries for about as long).
#[cfg(feature = "oci")]
const FREEZE_WAIT_MS: u32 = 2000;

/// Where `KNOBS` has cpu.weight, after which v2's cpu.max is written.
const CPU_WEIGHT: usize = 5;

/// Swap: v1 limits memory and swap together, v2 swap alone.
fn swap(r: &Resources<'_>, v2: bool) -> Option<u64> {
    match (r.memory_swap_max, r.memory_swap) {
        // Swap alone (--memory-swap-max).
        (Some(s), _) if v2 || s == u64::MAX => Some(s),
        (Some(s), _) => r.memory_max.map(|m| m.saturating_add(s)),
        // Memory and swap together (OCI memory.swap): runc's conversion;
        // `check_layout` refused what it cannot convert.
        (None, Some(s)) if v2 && s != u64::MAX => match r.memory_max {
            Some(m) if m != u64::MAX => Some(s.saturating_sub(m)),
            _ => Some(s),
        },
        (None, s) => s,
    }
}

/// v2's weight, or v1's shares, from either.
fn cpu_weight(r: &Resources<'_>, v2: bool) -> Option<u64> {
    match (r.cpu_weight, r.cpu_shares) {
        (Some(w), _) if v2 => Some(w),
        (None, Some(s)) if v2 => Some(shares_to_weight(s)),
        // cgroup v2's weight 1..10000 as v1's shares 2..262144, as runc maps them.
        (Some(w), _) => Some(2 + (w - 1) * 262_142 / 9_999),
        (None, s) => s,
    }
}

/// Which of the controllers past `V1_ALWAYS` (blkio, devices, hugetlb,
/// net_cls, net_prio, rdma) a limit in `r` is written to.
fn optional(r: &Resources<'_>) -> [bool; 8] {
    [
        r.blkio_weight.is_some() || r.blkio_leaf_weight.is_some() || !r.blkio_devices.is_empty(),
        !r.devices.is_empty(),
        !r.hugepage_limits.is_empty(),
        r.net_class_id.is_some(),
        !r.net_priorities.is_empty(),
        !r.rdma.is_empty(),
        r.freezer,
        r.freezer,
    ]
}

/// Which cgroup version limits the container.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Layout {
    /// cgroup v2 alone, at /sys/fs/cgroup.
    Unified,
    /// v1 controllers under /sys/fs/cgroup, with (hybrid) or without
    /// (legacy) an empty v2 tree at /sys/fs/cgroup/unified: the two are
    /// handled alike, so that tree is not looked at.
    V1,
}

/// Which layout this machine has.
pub fn layout() -> Layout {
    match sys::statfs_type(ZStr::new(c"/sys/fs/cgroup")) {
        Ok(t) if t == u64::from(CGROUP2_SUPER_MAGIC) => Layout::Unified,
        _ => Layout::V1,
    }
}

/// Where a cgroup path starts (see `Container::cgroup`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `--cgroup /A/B`: below each hierarchy's root.
    Root,
    /// `--cgroup A/B`: below nsinit's own cgroup on v1, below its parent on
    /// v2, where nsinit's own most likely holds processes (runc's reading
    /// of a relative `cgroupsPath`).
    Relative,
    /// The default, `nsinit-<PID>`: below nsinit's own cgroup, so that the
    /// limits of the cgroup nsinit was started in still hold.
    Own,
}

/// One cgroup directory of the container, and which part of it nsinit made.
struct Dir {
    /// On v1 its controller; empty on v2.
    controller: &'static [u8],
    /// On v1 the length of the part of `path` that is the hierarchy,
    /// `/sys/fs/cgroup/<controller>`, which may not be mounted; 0 on v2.
    hierarchy: usize,
    path: Path,
    /// The length of the part of `path` that nsinit's own starts below: the
    /// hierarchy's root, or nsinit's own cgroup (or its parent). Nothing
    /// there or above is ever removed.
    base: usize,
    /// The length of the part of `path` that was there before: nsinit
    /// removes (and kills in) only the directories after it, the ones it
    /// made. A cgroup it found is joined, never emptied nor removed.
    existed: usize,
    /// On v1 its `tasks`, open for writing (`join`).
    tasks: Option<Fd>,
}

impl Dir {
    fn made(&self) -> bool {
        self.existed < self.path.len()
    }
}

/// On v2, where nsinit moved itself to free its own cgroup for the
/// container's controllers (see `free_own_cgroup`).
struct Moved {
    own: Path,
    leaf: Path,
    /// The controllers (bits, in `V2_CONTROLLERS` order) the own cgroup's
    /// `cgroup.subtree_control` had before: the others, which nsinit may
    /// have turned on, are turned off again.
    had: u8,
}

/// What `Cgroup::create` tells of each directory it makes: its path, before
/// the mkdir; `-PATH` takes one back that a concurrent create made first.
pub type Journal<'j> = dyn FnMut(&[u8]) + 'j;

/// Removes the cgroups at `paths` (a `Journal`'s lines, parents before
/// children), deepest first, but those taken back (`-PATH` after them).
/// For what a `create` killed half way made. The container's own cgroups,
/// the lines that end with its cgroup path `own` (as given: `/A/B` or
/// `A/B`), are emptied: their processes killed, the cgroups below them
/// too. Any other line, a level above them, is only removed if empty:
/// another container may have a cgroup below it by now (a pod's parent),
/// whose processes are not this one's to kill (nor when the create was
/// killed before it made its own, and a parent is its journal's deepest
/// line); it is left marked for the last one out, as `Cgroup::remove`
/// leaves one. Without `own` (a config.json that cannot be read), no
/// line is the container's own.
#[cfg(feature = "oci")]
pub fn remove_journaled(paths: &[u8], own: Option<&[u8]>) {
    let own = own.map(|path| path.strip_prefix(b"/").unwrap_or(path));
    let is_own = |line: &[u8]| {
        own.is_some_and(|name| !name.is_empty() && line.len() > name.len() && line.ends_with(name) && line[line.len() - name.len() - 1] == b'/')
    };
    let mut end = paths.len();
    for line in paths.split(|&b| b == b'\n').rev() {
        let start = end.saturating_sub(line.len());
        // What comes after this line in the journal.
        let later = paths.get(end..).unwrap_or_default();
        end = start.saturating_sub(1);
        if line.starts_with(b"-") || !line.starts_with(b"/sys/fs/cgroup/") || line.split(|&b| b == b'/').any(|p| p == b".." || p == b".") {
            continue;
        }
        let taken_back = later.split(|&b| b == b'\n').any(|l| l.strip_prefix(b"-") == Some(line));
        if taken_back {
            continue;
        }
        let Ok(mut dir) = Path::from_parts(&[line]) else { continue };
        if removed(sys::rmdir(dir.zstr())) {
            continue;
        }
        if is_own(line) {
            remove_below(&mut dir);
            remove_emptied(sys::CWD, dir.zstr(), 200, true);
        } else {
            leave_for_the_last_one_out(&mut dir);
        }
    }
}

/// The one cgroup a run of nsinit has: made (`create`) or found again
/// from a record (`recorded`).
static CGROUP: StaticCell<Cgroup> = StaticCell::new(Cgroup {
    layout: Layout::Unified,
    dirs: Vec::new(),
    fd: None,
    tree: None,
    memory_max: None,
    moved: None,
});

pub struct Cgroup {
    pub layout: Layout,
    /// One directory on v2; on v1 one a hierarchy, those of its controllers first.
    dirs: Vec<Dir, MAX_DIRS>,
    /// On v2, the directory open, to create the container straight into it.
    pub fd: Option<Fd>,
    /// On a hybrid host, its directory in the cgroup2 tree, open, to create
    /// the container straight into it too (`clone_into`).
    tree: Option<Fd>,
    memory_max: Option<u64>,
    moved: Option<Moved>,
}

/// The bits of the v1 hierarchy `name`, its directory's name under
/// /sys/fs/cgroup (`cpu,cpuacct`, `systemd` of `name=systemd`, `unified`
/// of the hybrid host's cgroup2 tree): bit i for `V1_CONTROLLERS[i]`, then
/// one for each of `NAMED_HIERARCHIES`; 0 for a name nsinit does not know.
fn hierarchy_bits(name: &[u8]) -> u16 {
    let known = |part: &[u8]| V1_CONTROLLERS.iter().chain(&NAMED_HIERARCHIES).position(|&k| k == part);
    name.split(|&c| c == b',').filter_map(known).fold(0, |mask, i| mask | 1 << i)
}

/// Whether the v1 hierarchy `name` (its directory under /sys/fs/cgroup:
/// `cpu,cpuacct`, `systemd`, `unified`) is one of `mask`
/// (`Cgroup::v1_hierarchies`).
pub fn v1_hierarchy_in(name: &[u8], mask: u16) -> bool {
    hierarchy_bits(name) & mask != 0
}

/// The name of the v1 hierarchy `path` is in: its directory under
/// /sys/fs/cgroup.
fn hierarchy_of(path: &[u8]) -> &[u8] {
    let below = path.strip_prefix(b"/sys/fs/cgroup/").unwrap_or_default();
    below.split(|&c| c == b'/').next().unwrap_or_default()
}

impl Cgroup {
    /// The v1 hierarchies the container has a directory of its own in, as
    /// `hierarchy_bits` numbers them; none on v2.
    pub fn v1_hierarchies(&self) -> u16 {
        if self.layout == Layout::Unified {
            return 0;
        }
        self.dirs.iter().fold(0, |mask, d| mask | hierarchy_bits(hierarchy_of(d.path.bytes())))
    }

    /// Creates the container's cgroup with its limits. Held in static
    /// memory: it is read by the container's process, which shares nsinit's
    /// memory until it execs.
    #[cold]
    #[inline(never)]
    ///
    /// `journal`, when given, is told the path of each directory the moment
    /// it is made (the lifecycle's `create` keeps them, so that a `create`
    /// killed half way leaves nothing `delete --force` cannot find).
    pub fn create(c: &Container<'_>, journal: Option<&mut Journal<'_>>) -> Result<&'static Cgroup, Error> {
        static PROC_CGROUP: StaticCell<[u8; PROC_CGROUP_MAX]> = StaticCell::new([0; PROC_CGROUP_MAX]);
        check_cpus(&c.resources)?;
        let cg = CGROUP.take().ok_or_else(|| Error::new(b"cgroup taken"))?;
        cg.layout = layout();
        check_layout(&c.resources, cg.layout == Layout::Unified)?;
        cg.memory_max = c.resources.memory_max;
        let mut default = ZBuf::<32>::new();
        let (place, name) = match c.cgroup {
            Some(path) => match path.bytes().strip_prefix(b"/") {
                Some(below_root) => (Place::Root, below_root),
                None => (Place::Relative, path.bytes()),
            },
            None => {
                let _ = default.push(b"nsinit-").and_then(|n| n.push_num(sys::getpid() as u64, 10));
                (Place::Own, default.bytes())
            }
        };
        // The config checked a given path; this is the last line of defence
        // against a path naming a hierarchy's root.
        if !crate::config::cgroup_path_ok(name) {
            return Err(Error::new(b"--cgroup: bad cgroup path '").push(name).push(b"'"));
        }
        let own: &[u8] = match place {
            Place::Root => b"",
            _ => {
                let buf = PROC_CGROUP.take().ok_or_else(|| Error::new(b"cgroup buffer taken"))?;
                read_own_cgroups(buf)?
            }
        };
        if let Err(e) = cg.create_dirs(place, name, own, &c.resources, journal) {
            cg.remove();
            return Err(e);
        }
        Ok(cg)
    }

    /// Makes the container's directories (one on v2; on v1 one a mounted
    /// controller it is placed in) and writes its limits.
    fn create_dirs(&mut self, place: Place, name: &[u8], own: &[u8], r: &Resources<'_>, mut journal: Option<&mut Journal<'_>>) -> Result<(), Error> {
        let v2 = self.layout == Layout::Unified;
        let wanted = v2_wanted(r);
        let controllers: &[&'static [u8]] = if v2 { &[b""] } else { &V1_CONTROLLERS };
        for (i, &controller) in controllers.iter().enumerate() {
            if i >= V1_ALWAYS && !optional(r)[i - V1_ALWAYS] {
                continue;
            }
            // On v1, a controller that is not mounted is left out: its
            // directory is looked at only once a mkdir in it failed
            // (`Dir::hierarchy`).
            let mut base = Path::from_parts(&[b"/sys/fs/cgroup", if v2 { b"" } else { b"/" }, controller]).map_err(too_long)?;
            let hierarchy = if v2 { 0 } else { base.len() };
            if place != Place::Root {
                // On v1 each hierarchy has nsinit in a cgroup of its own.
                match own_cgroup(own, controller) {
                    Some(mine) => push_path(&mut base, if v2 && place == Place::Relative { parent_of(mine) } else { mine })?,
                    None if !v2 && !is_dir(&mut base) => continue,
                    None => return Err(not_found(if v2 { b"0::" } else { controller })),
                }
            }
            if place == Place::Own {
                remove_stale(&mut base);
                if v2 && base.len() > b"/sys/fs/cgroup".len() {
                    self.free_own_cgroup(&base)?;
                }
            }
            let dir = Dir { controller, hierarchy, base: base.len(), existed: base.len(), path: base, tasks: None };
            self.dirs.push(dir).map_err(|_| Error::new(b"cgroup: too many directories"))?;
            let Some(dir) = self.dirs.last_mut() else { continue };
            // On v2 each level enables the controllers for the one below
            // it; the base is nsinit's own cgroup or the root: always there.
            let mounted = make_levels(dir, name, journal.as_deref_mut(), &mut |parent| if v2 { enable_controllers(parent, wanted, r) }, &mut |path, parent_len, made| {
                if controller == b"cpuset" && (made || cpuset_unset(path)) {
                    // A new cpuset is empty: no task may join it until it
                    // has CPUs and memory nodes, copied from its parent. So
                    // is a level found empty, as runc fills it: another
                    // create's, made but not yet filled, or one made by hand.
                    inherit_cpuset(path, parent_len)?;
                }
                Ok(())
            })?;
            if !mounted {
                self.dirs.pop();
                continue;
            }
            // A lifecycle container found its cgroup there already: with
            // processes in it, `kill --all` and `delete` would reach them
            // too. Refused, as runc 1.2 refuses it.
            if r.freezer && !dir.made() {
                let mut buf = [0u8; 64];
                if read_in(&dir.path, b"cgroup.procs", &mut buf).is_ok_and(|procs| !procs.trim_ascii().is_empty()) {
                    return Err(Error::new(b"cgroup ").push(dir.path.bytes()).push(b" is not empty (it holds processes): a container's cgroup must be its own"));
                }
            }
            if v2 {
                // Open, to create the container straight into it.
                let fd = sys::open(dir.path.zstr(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
                    .map_err(|e| Error::sys("open", dir.path.bytes(), e))?;
                self.fd = Some(fd);
            } else {
                // Opened now, written by the container's process (`join`):
                // its start does one write a hierarchy. Closed at nsinit's exit.
                let tasks = open_in(&dir.path, b"tasks");
                dir.tasks = Some(tasks.map_err(|e| Error::sys_in("open", dir.path.bytes(), b"tasks", e))?);
            }
        }
        if self.dirs.is_empty() {
            return Err(Error::new(b"no cgroup v1 controller is mounted under /sys/fs/cgroup"));
        }
        if !v2 {
            self.place_in_the_others(place, name, own, journal)?;
        }
        self.apply(r)?;
        if let (Some(fd), false) = (self.fd, r.devices.is_empty()) {
            let mut program = [0u64; device_filter::MAX_INSNS];
            let n = device_filter::assemble(&device_rules(r), &mut program)
                .ok_or_else(|| Error::new(b"device rules: too many for the device program"))?;
            let path = &self.dirs[0].path;
            let prog = sys::bpf_prog_load_cgroup_device(&program[..n]).map_err(|e| Error::sys("bpf BPF_PROG_LOAD", b"device program", e))?;
            let attached = sys::bpf_prog_attach_cgroup_device(fd, prog);
            let _ = sys::close(prog);
            attached.map_err(|e| Error::sys("bpf BPF_PROG_ATTACH", path.bytes(), e))?;
        }
        Ok(())
    }

    /// On v1, places the container in every other hierarchy mounted under
    /// /sys/fs/cgroup too (name=systemd, the hybrid host's cgroup2 tree, a
    /// controller it has no limit in), at the same path, as runc does
    /// (libcontainer/cgroups/fs: every subsystem, `name=systemd` and the
    /// hybrid cgroup2 tree included). Else it stays in its caller's cgroup
    /// there, often the host's root, which its `/proc/self/cgroup` and its
    /// cgroup mount would show. No limit is written there: a start costs a
    /// mkdir a level and one write of its PID (`join`) a hierarchy. One the
    /// kernel refuses nsinit (not writable: a user namespace's nsinit, not
    /// delegated it) is left out, as runc leaves it out rootless; the
    /// container's cgroup mount then shows it read-only.
    fn place_in_the_others(&mut self, place: Place, name: &[u8], own: &[u8], mut journal: Option<&mut Journal<'_>>) -> Result<(), Error> {
        let Ok(fd) = sys::open(ZStr::new(c"/sys/fs/cgroup"), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) else { return Ok(()) };
        let mut placed = Ok(());
        // Links (`cpu` to `cpu,cpuacct`) are not directories: left out.
        let listed = sys::each_subdir(fd, |hierarchy| {
            if placed.is_ok() && !v1_hierarchy_in(hierarchy, self.v1_hierarchies()) {
                placed = self.place_in(hierarchy, place, name, own, journal.as_deref_mut());
            }
        });
        let _ = sys::close(fd);
        placed?;
        listed.map_err(|e| Error::of("getdents /sys/fs/cgroup", e))
    }

    /// `place_in_the_others`' work in the hierarchy at /sys/fs/cgroup/`hierarchy`.
    #[cold]
    fn place_in(&mut self, hierarchy: &[u8], place: Place, name: &[u8], own: &[u8], journal: Option<&mut Journal<'_>>) -> Result<(), Error> {
        let mut base = Path::from_parts(&[b"/sys/fs/cgroup/", hierarchy]).map_err(too_long)?;
        // Its line in /proc/self/cgroup: cgroup2's `0::`, a controller's,
        // or a named one's `name=X`.
        let mut key = ZBuf::<96>::new();
        let cgroup2 = match sys::statfs_type(base.zstr()) {
            Ok(t) if t == u64::from(CGROUP2_SUPER_MAGIC) => true,
            Ok(t) if t == u64::from(CGROUP_SUPER_MAGIC) => false,
            // Not a hierarchy: a directory of the tmpfs.
            _ => return Ok(()),
        };
        let controller = hierarchy.split(|&c| c == b',').find_map(|c| V1_CONTROLLERS.iter().copied().find(|&k| k == c));
        if !cgroup2 {
            let _ = match controller {
                Some(c) => key.push(c),
                None => key.push(b"name=").and_then(|k| k.push(hierarchy)),
            };
        }
        let hierarchy_len = base.len();
        if place != Place::Root {
            // nsinit is in no cgroup there that it can see: left out.
            let Some(mine) = own_cgroup(own, key.bytes()) else { return Ok(()) };
            push_path(&mut base, mine)?;
        }
        if place == Place::Own {
            remove_stale(&mut base);
        }
        let dir = Dir { controller: controller.unwrap_or_default(), hierarchy: hierarchy_len, base: base.len(), existed: base.len(), path: base, tasks: None };
        self.dirs.push(dir).map_err(|_| Error::new(b"cgroup: too many directories (hierarchies under /sys/fs/cgroup)"))?;
        let Some(dir) = self.dirs.last_mut() else { return Ok(()) };
        let made = make_levels(dir, name, journal, &mut |_| {}, &mut |_, _, _| Ok(()));
        let mounted = match made {
            Ok(mounted) => mounted,
            Err(_) if denied(dir) => false,
            Err(e) => return Err(e),
        };
        // v1's `tasks`. The cgroup2 tree has none, and a write of its
        // `cgroup.procs` takes the lock `join` explains (measured: 1.3 ms a
        // start): the container is created straight into it (`clone_into`),
        // the directory open for clone3's CLONE_INTO_CGROUP, which on a
        // hybrid host takes the cgroup2 tree's cgroup alone.
        let opened = match (mounted, cgroup2) {
            (false, _) => Err(Errno::EACCES),
            (true, false) => open_in(&dir.path, b"tasks"),
            (true, true) => sys::open(dir.path.zstr(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0),
        };
        match opened {
            Ok(fd) if cgroup2 => self.tree = Some(fd),
            Ok(fd) => dir.tasks = Some(fd),
            Err(Errno::EACCES | Errno::EPERM) => {
                // Left out, with what was made of it.
                unmake(dir);
                self.dirs.pop();
            }
            Err(e) => return Err(Error::sys("open", dir.path.bytes(), e)),
        }
        Ok(())
    }

    /// cgroup v2 lets no cgroup but the root hold processes and enable
    /// controllers for its children. nsinit's own cgroup holds nsinit: when
    /// nsinit is all it holds, nsinit moves itself into a leaf of its own,
    /// `nsinit-<PID>.self`, as systemd and crun move a delegated cgroup's
    /// processes into a leaf, and moves back when the container is gone.
    /// With other processes there (a login shell's scope), nsinit refuses
    /// rather than put the container beside its cgroup, out of its limits.
    fn free_own_cgroup(&mut self, own: &Path) -> Result<(), Error> {
        let mut buf = [0u8; 512];
        let me = sys::getpid() as u64;
        let procs = read_in(own, b"cgroup.procs", &mut buf)?;
        if procs.split(|&c| c == b'\n').filter_map(crate::config::parse_number).any(|pid| pid != me) {
            return Err(Error::new(b"cgroup v2: nsinit's cgroup ")
                .push(own.bytes())
                .push(b" holds other processes, and a cgroup with processes cannot give its children controllers: \
start nsinit in a cgroup of its own (systemd-run --scope), or give --cgroup /PATH"));
        }
        let controls = read_in(own, b"cgroup.subtree_control", &mut buf)?;
        let mut had = 0;
        for (i, controller) in V2_CONTROLLERS.iter().enumerate() {
            if controls.split(|&c| c == b' ' || c == b'\n').any(|w| w == &controller[1..]) {
                had |= 1 << i;
            }
        }
        let mut leaf = Path::from_parts(&[own.bytes(), b"/nsinit-"]).map_err(too_long)?;
        leaf.push_num(me, 10).and_then(|l| l.push(b".self")).map_err(too_long)?;
        make_dir(&mut leaf).map_err(|e| mkdir_error(&leaf, e))?;
        let own = Path::from_parts(&[own.bytes()]).map_err(too_long)?;
        self.moved = Some(Moved { own, leaf, had });
        if let Some(m) = &mut self.moved {
            write_in(&m.leaf, b"cgroup.procs", b"0")?;
        }
        Ok(())
    }

    /// Writes `value` to the first of `files` there is in the directory
    /// of their controller (v1, the start of a v1 file's name up to its
    /// first `.`; the one directory on v2): kernels name some knobs in two
    /// ways. Whether one was there; when none is and `required`, the error
    /// names the first.
    fn put_first(&mut self, files: &[&[u8]], value: &[u8], required: bool) -> Result<bool, Error> {
        let v2 = self.layout == Layout::Unified;
        let controller = files[0].split(|&c| c == b'.').next().unwrap_or_default();
        let Some(dir) = self.dirs.iter().find(|d| v2 || d.controller == controller) else {
            return Err(Error::new(b"the cgroup v1 controller for ").push(files[0]).push(b" is not mounted"));
        };
        let (mut errno, mut failed) = (Errno::ENOENT, files[0]);
        for file in files {
            match write_in_raw(&dir.path, file, value) {
                Ok(()) => return Ok(true),
                Err(Errno::ENOENT) => continue,
                Err(e) => (errno, failed) = (e, file),
            };
            break;
        }
        if errno == Errno::ENOENT && !required {
            return Ok(false);
        }
        Err(write_error(dir.path.bytes(), failed, value, errno))
    }

    /// Writes `value` to `file`, which must be there.
    fn put(&mut self, file: &[u8], value: &[u8]) -> Result<(), Error> {
        self.put_first(&[file], value, true).map(drop)
    }

    /// `put_first` of the number `n`: u64::MAX as `max` on v2 and in v1's
    /// pids.max, `-1` in v1's other files.
    #[inline(never)]
    fn put_first_num(&mut self, files: &[&[u8]], n: u64, required: bool) -> Result<bool, Error> {
        let unlimited: &[u8] = if self.layout == Layout::Unified || files[0] == b"pids.max" { b"max" } else { b"-1" };
        self.put_first(files, limit(n, unlimited).bytes(), required)
    }

    /// Writes the number `n` to `file`, which must be there.
    fn put_num(&mut self, file: &[u8], n: u64) -> Result<(), Error> {
        self.put_first_num(&[file], n, true).map(drop)
    }

    /// Writes the limits of `r`, in v1's or v2's words: runc's and crun's
    /// files and conversions, and their order.
    fn apply(&mut self, r: &Resources<'_>) -> Result<(), Error> {
        let v2 = self.layout == Layout::Unified;
        if let Some(n) = r.pids_max {
            self.put_num(b"pids.max", n)?;
        }
        for (i, knob) in KNOBS.iter().enumerate() {
            if let Some(n) = (knob.value)(r, v2) {
                let file = if v2 { knob.v2 } else { knob.v1 };
                self.put_num(file, n)?;
            }
            if let (true, CPU_WEIGHT, Some((quota, period))) = (v2, i, r.cpu_max) {
                // After the weight, before the burst, which the kernel
                // checks against it.
                let mut v = limit(quota, b"max");
                let _ = v.push(b" ").and_then(|v| v.push_num(period, 10));
                self.put(b"cpu.max", v.bytes())?;
            }
        }
        if let Some(cpus) = r.cpuset {
            self.put(b"cpuset.cpus", cpus.bytes())?;
        }
        if let Some(mems) = r.cpuset_mems {
            self.put(b"cpuset.mems", mems.bytes())?;
        }
        // Block I/O: v2 takes the weight in io.bfq.weight as v1 does, or
        // scaled to 1..10000 in io.weight without BFQ.
        if let Some(w) = r.blkio_weight {
            if v2 {
                if !self.put_first_num(&[b"io.bfq.weight"], w, false)? {
                    self.put_num(b"io.weight", 1 + (w - 10) * 9999 / 990)?;
                }
            } else {
                self.put_first_num(&[b"blkio.weight", b"blkio.bfq.weight"], w, true)?;
            }
        }
        if let Some(w) = r.blkio_leaf_weight {
            self.put_num(b"blkio.leaf_weight", w)?;
        }
        for d in &r.blkio_devices {
            let (major, minor) = match d.path {
                Some(path) => device_of(path)?,
                None => (d.major, d.minor),
            };
            let mut v = Value::new();
            let _ = v.push_num(u64::from(major), 10).and_then(|v| v.push(b":")).and_then(|v| v.push_num(u64::from(minor), 10));
            let (v1_file, v2_key): (&[u8], &[u8]) = match d.limit {
                BlkioLimit::Weight => (b"blkio.weight_device", b""),
                BlkioLimit::LeafWeight => (b"blkio.leaf_weight_device", b""),
                BlkioLimit::ReadBps => (b"blkio.throttle.read_bps_device", b"rbps="),
                BlkioLimit::WriteBps => (b"blkio.throttle.write_bps_device", b"wbps="),
                BlkioLimit::ReadIops => (b"blkio.throttle.read_iops_device", b"riops="),
                BlkioLimit::WriteIops => (b"blkio.throttle.write_iops_device", b"wiops="),
            };
            let _ = v.push(b" ").and_then(|v| v.push(if v2 { v2_key } else { b"" })).and_then(|v| v.push_num(d.value, 10));
            let files: &[&[u8]] = match (v2, d.limit) {
                (false, BlkioLimit::Weight) => &[v1_file, b"blkio.bfq.weight_device"],
                (false, _) => &[v1_file],
                (true, BlkioLimit::Weight) => &[b"io.bfq.weight"],
                (true, _) => &[b"io.max"],
            };
            self.put_first(files, v.bytes(), true)?;
        }
        // Huge pages: v2 limits reservations too, where the kernel can (5.7).
        for h in &r.hugepage_limits {
            let name = |suffix: &[u8]| Value::from_parts(&[b"hugetlb.", h.page_size, suffix]);
            let file = name(if v2 { b".max" } else { b".limit_in_bytes" }).map_err(too_long)?;
            self.put_num(file.bytes(), h.limit)?;
            if v2 {
                let rsvd = name(b".rsvd.max").map_err(too_long)?;
                self.put_first_num(&[rsvd.bytes()], h.limit, false)?;
            }
        }
        if let Some(id) = r.net_class_id {
            self.put_num(b"net_cls.classid", id)?;
        }
        for p in &r.net_priorities {
            let mut v = Value::from_parts(&[p.interface, b" "]).map_err(too_long)?;
            let _ = v.push_num(u64::from(p.priority), 10);
            self.put(b"net_prio.ifpriomap", v.bytes())?;
        }
        for d in &r.rdma {
            let mut v = Value::from_parts(&[d.device]).map_err(too_long)?;
            if let Some(n) = d.hca_handles {
                let _ = v.push(b" hca_handle=").and_then(|v| v.push_num(u64::from(n), 10));
            }
            if let Some(n) = d.hca_objects {
                let _ = v.push(b" hca_object=").and_then(|v| v.push_num(u64::from(n), 10));
            }
            self.put(b"rdma.max", v.bytes())?;
        }
        for (key, value) in &r.unified {
            self.put(key, value)?;
        }
        // Devices on v1: the kernel's list, emptied, then the rules in order.
        if !v2 && !r.devices.is_empty() {
            let Some(dir) = self.dirs.iter().find(|d| d.controller == b"devices") else {
                return Err(Error::new(b"the cgroup v1 controller for devices.deny is not mounted"));
            };
            // devices.deny and devices.allow, each opened when first written.
            let mut files = [None, None];
            let written = write_device_rules(&dir.path, &device_rules(r), &mut files);
            for fd in files.into_iter().flatten() {
                let _ = sys::close(fd);
            }
            written?;
        }
        Ok(())
    }

    /// Puts the process `pid` (0: the caller) in the v1 cgroups (on v2
    /// `clone3` has already put it in place): the container's process
    /// itself, before anything else; nsinit for it when it is in a new
    /// user namespace, where the host's cgroup files refuse it (EACCES).
    ///
    /// Through `tasks`, which moves one thread, not `cgroup.procs`, which
    /// moves a thread group: the container's process has one thread (it is
    /// no CLONE_THREAD clone), so both move the same, but the kernel moves
    /// a thread writing 0 (itself) to `tasks` without taking the global
    /// cgroup_threadgroup_rwsem for writing (kernel/cgroup/cgroup.c,
    /// `cgroup_procs_write_start`), whose every first taking waits for an
    /// RCU grace period: measured on a v1 host, 6 ms a move through
    /// cgroup.procs against 35 us through tasks, 50 ms apart.
    #[cold]
    pub fn join(&self, pid: i32) -> Result<(), Error> {
        if self.fd.is_some() {
            return Ok(());
        }
        let mut digits = ZBuf::<16>::new();
        let _ = digits.push_num(pid as u64, 10);
        for dir in &self.dirs {
            let written = match (dir.tasks, self.tree) {
                (Some(fd), _) => sys::write(fd, digits.bytes()).map(drop),
                // The cgroup2 tree's, the one directory with no `tasks`:
                // the container was created into it (`clone_into`).
                (None, Some(_)) => Ok(()),
                (None, _) => Err(Errno::EBADF),
            };
            written.map_err(|e| write_error(dir.path.bytes(), b"tasks", digits.bytes(), e))?;
        }
        Ok(())
    }

    /// The cgroup as `recorded` reads it back, for a later nsinit (the
    /// lifecycle's `kill --all` and `delete`): per directory, `BASE\0EXISTED\0PATH\0`.
    #[cfg(feature = "oci")]
    pub fn record(&self, out: &mut dyn FnMut(&[u8])) {
        for d in &self.dirs {
            for n in [d.base, d.existed] {
                let mut digits = ZBuf::<24>::new();
                let _ = digits.push_num(n as u64, 10);
                out(digits.bytes());
                out(b"\0");
            }
            out(d.path.bytes());
            out(b"\0");
        }
    }

    /// The cgroup of a container another nsinit made, from its `record`;
    /// `None` when the record is not one, or empty (no cgroup). Nothing is
    /// opened: `remove`, `freeze` and `signal_all` work on the directories
    /// by path.
    #[cfg(feature = "oci")]
    pub fn recorded(text: &[u8]) -> Option<Cgroup> {
        let mut cg = Cgroup { layout: layout(), dirs: Vec::new(), fd: None, tree: None, memory_max: None, moved: None };
        let mut fields = text.split(|&b| b == 0);
        while let Some(base) = fields.next().filter(|f| !f.is_empty()) {
            let base = crate::config::parse_number(base)? as usize;
            let existed = crate::config::parse_number(fields.next()?)? as usize;
            let path = Path::from_parts(&[fields.next()?]).ok()?;
            if existed > path.len() || base > existed || !path.bytes().starts_with(b"/sys/fs/cgroup/") {
                return None;
            }
            // On v1 the controller is the hierarchy's name: limits are written by it.
            let name = path.bytes()[b"/sys/fs/cgroup/".len()..].split(|&b| b == b'/').next().unwrap_or_default();
            let controller = V1_CONTROLLERS.iter().copied().find(|c| *c == name).unwrap_or(b"");
            let dir = Dir { controller, hierarchy: 0, path, base, existed, tasks: None };
            cg.dirs.push(dir).ok()?;
        }
        Some(cg).filter(|cg| !cg.dirs.is_empty())
    }

    /// `sig` to every process in the container's cgroup and the cgroups
    /// below it (`kill --all`), as its first directory's tree lists them;
    /// how many were signalled.
    #[cfg(feature = "oci")]
    pub fn signal_all(&self, sig: u32) -> usize {
        let Some(mut dir) = self.dirs.first().and_then(|d| Path::from_parts(&[d.path.bytes()]).ok()) else { return 0 };
        signal_tree(&mut dir, sig)
    }

    /// The processes in the container's cgroup: its first directory's
    /// `cgroup.procs`, one PID a line (`ps`).
    #[cfg(feature = "oci")]
    pub fn procs<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], Error> {
        let dir = self.dirs.first().ok_or_else(|| Error::new(b"the container has no cgroup"))?;
        read_in(&dir.path, b"cgroup.procs", buf)
    }

    /// Opens, for each of the container's directories, the file a process
    /// joins it by writing `0`: v1's `tasks` (a single-threaded process,
    /// without the global lock `join` explains), v2's `cgroup.procs`. For
    /// the lifecycle's `exec`, whose new process writes them once in the
    /// container's namespaces, where these paths may not be seen.
    #[cfg(feature = "oci")]
    pub fn open_joins(&self, fds: &mut [Option<Fd>]) -> Result<(), Error> {
        for (d, slot) in self.dirs.iter().zip(fds.iter_mut()) {
            let mut name: &[u8] = if self.layout == Layout::Unified { b"cgroup.procs" } else { b"tasks" };
            let mut fd = open_in(&d.path, name);
            if fd == Err(Errno::ENOENT) && self.layout == Layout::V1 {
                // The hybrid host's cgroup2 tree (`place_in_the_others`) has no `tasks`.
                name = b"cgroup.procs";
                fd = open_in(&d.path, name);
            }
            *slot = Some(fd.map_err(|e| Error::sys_in("open", d.path.bytes(), name, e))?);
        }
        Ok(())
    }

    /// The lifecycle's `update`: writes the limits of `r` (its devices
    /// left out, as runc's `update` leaves them) to the container's cgroup.
    #[cfg(feature = "oci")]
    pub fn update(&mut self, r: &Resources<'_>) -> Result<(), Error> {
        check_cpus(r)?;
        check_layout(r, self.layout == Layout::Unified)?;
        self.apply(r)
    }

    /// A number in one of the container's cgroup files, found as limits
    /// are written (v1: in its controller's directory): the first line's,
    /// or with `key`, the one after `key ` (`cpu.stat`'s `usage_usec N`);
    /// `max` is u64::MAX. `None` when there is no such file or number.
    #[cfg(feature = "oci")]
    pub fn number(&self, file: &[u8], key: Option<&[u8]>) -> Option<u64> {
        let controller = file.split(|&c| c == b'.').next().unwrap_or_default();
        let dir = self.dirs.iter().find(|d| self.layout == Layout::Unified || d.controller == controller)?;
        let mut buf = [0u8; 4096];
        let text = read_in(&dir.path, file, &mut buf).ok()?;
        let value = match key {
            None => text.split(|&c| c == b'\n').next()?,
            Some(key) => text.split(|&c| c == b'\n').find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(b" ")))?,
        };
        match value.trim_ascii() {
            b"max" => Some(u64::MAX),
            v => crate::config::parse_number(v),
        }
    }

    /// Freezes or thaws every process of the container (`pause`,
    /// `resume`): v2's `cgroup.freeze`, v1's `freezer.state`; waits (up to
    /// `FREEZE_WAIT_MS`) until the kernel says it is done.
    #[cfg(feature = "oci")]
    pub fn freeze(&self, frozen: bool) -> Result<(), Error> {
        let (dir, file, value): (_, &[u8], &[u8]) = match (self.layout, frozen) {
            (Layout::Unified, _) => (self.dirs.first(), b"cgroup.freeze", if frozen { b"1" } else { b"0" }),
            (Layout::V1, _) => (self.freezer_dir(), b"freezer.state", if frozen { b"FROZEN" } else { b"THAWED" }),
        };
        let dir = dir.ok_or_else(|| Error::new(b"the container is in no freezer cgroup (made by an nsinit before pause was supported?)"))?;
        write_in(&dir.path, file, value)?;
        for _ in 0..FREEZE_WAIT_MS {
            if self.frozen() == Some(frozen) {
                return Ok(());
            }
            let _ = sys::nanosleep_ms(1);
        }
        Err(Error::new(b"cgroup ").push(dir.path.bytes()).push(b": still not ").push(if frozen { b"frozen" } else { b"thawed" }))
    }

    /// Whether the container is frozen (`state`'s `paused`); `None` when
    /// it has no freezer.
    #[cfg(feature = "oci")]
    pub fn frozen(&self) -> Option<bool> {
        let mut buf = [0u8; 256];
        match self.layout {
            Layout::Unified => {
                let events = read_in(&self.dirs.first()?.path, b"cgroup.events", &mut buf).ok()?;
                Some(events.split(|&c| c == b'\n').any(|line| line == b"frozen 1"))
            }
            Layout::V1 => Some(read_in(&self.freezer_dir()?.path, b"freezer.state", &mut buf).ok()?.trim_ascii() == b"FROZEN"),
        }
    }

    #[cfg(feature = "oci")]
    fn freezer_dir(&self) -> Option<&Dir> {
        self.dirs.iter().find(|d| d.path.bytes().starts_with(b"/sys/fs/cgroup/freezer/"))
    }

    /// How many times the OOM killer killed in the cgroup.
    #[cold]
    pub fn oom_kills(&self) -> u64 {
        let (file, dir) = match self.layout {
            Layout::Unified => (&b"memory.events"[..], self.dirs.first()),
            _ => (&b"memory.oom_control"[..], self.dirs.iter().find(|d| d.controller == b"memory")),
        };
        let Some(dir) = dir else { return 0 };
        let mut buf = [0u8; 512];
        let Ok(text) = read_in(&dir.path, file, &mut buf) else { return 0 };
        text.split(|&c| c == b'\n')
            .find_map(|line| line.strip_prefix(b"oom_kill "))
            .and_then(crate::config::parse_number)
            .unwrap_or(0)
    }

    /// The memory limit, for the OOM report.
    #[cold]
    pub fn memory_max(&self) -> Option<u64> {
        self.memory_max
    }

    /// The directory clone3 creates the container's process in
    /// (CLONE_INTO_CGROUP): its cgroup on v2, its cgroup in the cgroup2
    /// tree of a hybrid host; `None` on legacy v1.
    pub fn clone_into(&self) -> Option<Fd> {
        self.fd.or(self.tree)
    }

    /// Kills what is left in the cgroup and removes the directories nsinit
    /// made; a cgroup it joined keeps its processes and stays.
    #[cold]
    pub fn remove(&self) {
        for fd in [self.fd, self.tree].into_iter().flatten() {
            let _ = sys::close(fd);
        }
        for d in self.dirs.iter().rev().filter(|d| d.made()) {
            let mut dir = match Path::from_parts(&[d.path.bytes()]) {
                Ok(p) => p,
                Err(_) => continue,
            };
            // Empty and without children as a rule (the container has
            // ended): then one rmdir does, where the walk below took six
            // calls more a hierarchy.
            let gone = removed(sys::rmdir(dir.zstr())) || {
                // cgroup.kill (v2, 5.14+) kills everything at once, below too.
                let killed = self.layout == Layout::Unified && write_in(&dir, b"cgroup.kill", b"1").is_ok();
                // The cgroups the payload made below its own (systemd does),
                // deepest first: rmdir fails on a cgroup with children.
                remove_below(&mut dir);
                remove_emptied(sys::CWD, dir.zstr(), 2000, !killed)
            };
            if !gone {
                // Another container's cgroup is below it: that one's
                // nsinit removes it once empty.
                leave_for_the_last_one_out(&mut dir);
            }
            // Then its parents, deepest first, while they are empty: those
            // this nsinit made, and those it found that another nsinit made
            // and could not remove while this container was in them (marked,
            // see `leave_for_the_last_one_out`). A parent in use stays:
            // rmdir fails on a cgroup with children or processes.
            while let Some(slash) = dir.bytes().iter().rposition(|&c| c == b'/') {
                if slash <= d.base {
                    break;
                }
                dir.truncate(slash);
                if slash <= d.existed && !made_by_nsinit(&mut dir) {
                    break;
                }
                if sys::rmdir(dir.zstr()).is_err() {
                    // In use: it and the levels above it that this nsinit
                    // made are the last one out's to remove (else a
                    // parent level of two containers stays, made by the
                    // one removed first).
                    while let Some(up) = dir.bytes().iter().rposition(|&c| c == b'/').filter(|_| dir.len() > d.existed) {
                        leave_for_the_last_one_out(&mut dir);
                        dir.truncate(up);
                    }
                    break;
                }
            }
        }
        if let Some(m) = &self.moved {
            m.move_back();
        }
    }
}

impl Moved {
    /// Turns off the controllers nsinit turned on in its own cgroup, goes
    /// back there and removes its leaf.
    #[cold]
    fn move_back(&self) {
        let own = &self.own;
        for (i, controller) in V2_CONTROLLERS.iter().enumerate() {
            if self.had & (1 << i) == 0 {
                let mut off = [0u8; 16];
                let name = &controller[1..];
                off[0] = b'-';
                off[1..=name.len()].copy_from_slice(name);
                let _ = write_in(own, b"cgroup.subtree_control", &off[..=name.len()]);
            }
        }
        let _ = write_in(own, b"cgroup.procs", b"0");
        if let Ok(mut leaf) = Path::from_parts(&[self.leaf.bytes()]) {
            let _ = sys::rmdir(leaf.zstr());
        }
    }
}

/// A value written to a cgroup file.
type Value = ZBuf<256>;

/// Enables in the v2 cgroup `parent` the controllers `wanted` (bits, in
/// `V2_CONTROLLERS` order) and those of the `unified` keys of `r`, for its
/// children. Not every kernel has every controller: a limit on a missing
/// one fails later, naming its file.
fn enable_controllers(parent: &Path, wanted: u8, r: &Resources<'_>) {
    for (i, controller) in V2_CONTROLLERS.iter().enumerate() {
        if wanted & (1 << i) != 0 {
            let _ = write_in(parent, b"cgroup.subtree_control", controller);
        }
    }
    for (key, _) in &r.unified {
        let controller = key.split(|&c| c == b'.').next().unwrap_or(b"");
        if let Ok(on) = ZBuf::<80>::from_parts(&[b"+", controller]) {
            let _ = write_in(parent, b"cgroup.subtree_control", on.bytes());
        }
    }
}

/// The cgroup v2 controllers (bits, in `V2_CONTROLLERS` order) `r` needs:
/// io (v1's blkio), hugetlb and rdma when it limits them.
fn v2_wanted(r: &Resources<'_>) -> u8 {
    let [io, _, hugetlb, _, _, rdma, _, _] = optional(r);
    ((1 << V2_ALWAYS) - 1) | (u8::from(io) << 4) | (u8::from(hugetlb) << 5) | (u8::from(rdma) << 6)
}

/// The rules of the device cgroup: `r.devices`, then the defaults every
/// container gets (runc's order; the caller starts from "deny all").
fn device_rules(r: &Resources<'_>) -> Vec<DeviceRule, { crate::config::MAX_DEVICE_RULES + DEFAULT_DEVICE_RULES.len() }> {
    let mut rules = Vec::new();
    for rule in r.devices.iter().chain(&DEFAULT_DEVICE_RULES) {
        let _ = rules.push(*rule);
    }
    rules
}

/// "Deny all" (the kernel's list emptied), then `rules` in order, each
/// one `write` (the kernel takes one rule a write) on `files`, devices.deny
/// and devices.allow in `dir`, opened when first written.
fn write_device_rules(dir: &Path, rules: &[DeviceRule], files: &mut [Option<Fd>; 2]) -> Result<(), Error> {
    // Whether the list is empty, everything denied: an `a` rule written
    // to devices.deny empties it whatever its numbers and access
    // (security/device_cgroup.c reads its first letter only), so that such
    // a rule is then a no-op, as runc spec's `linux.resources.devices` is.
    let mut denied_all = false;
    // `None` is nsinit's own "deny all", first.
    for rule in core::iter::once(None).chain(rules.iter().map(Some)) {
        let mut v = Value::new();
        let allow = match rule {
            None => {
                let _ = v.push(b"a");
                false
            }
            Some(r) if !r.allow && r.kind == b'a' && denied_all => continue,
            Some(r) => {
                let _ = v.push(&[r.kind, b' ']);
                for (n, after) in [(r.major, b':'), (r.minor, b' ')] {
                    let _ = match n {
                        Some(n) => v.push_num(u64::from(n), 10),
                        None => v.push(b"*"),
                    }
                    .and_then(|v| v.push(&[after]));
                }
                if r.access & crate::config::DEVICE_READ != 0 {
                    let _ = v.push(b"r");
                }
                if r.access & crate::config::DEVICE_WRITE != 0 {
                    let _ = v.push(b"w");
                }
                if r.access & crate::config::DEVICE_MKNOD != 0 {
                    let _ = v.push(b"m");
                }
                r.allow
            }
        };
        denied_all = !allow && (denied_all || v.bytes().first() == Some(&b'a'));
        let name: &[u8] = if allow { b"devices.allow" } else { b"devices.deny" };
        let slot = &mut files[usize::from(allow)];
        let fd = match *slot {
            Some(fd) => Ok(fd),
            None => open_in(dir, name).inspect(|fd| *slot = Some(*fd)),
        };
        fd.and_then(|fd| sys::write(fd, v.bytes()))
            .map_err(|e| write_error(dir.bytes(), name, v.bytes(), e))?;
    }
    Ok(())
}

/// The device numbers of the host's block device node `path`.
#[cold]
fn device_of(path: &[u8]) -> Result<(u32, u32), Error> {
    let mut node = Path::from_parts(&[path]).map_err(too_long)?;
    let st = sys::stat(node.zstr()).map_err(|e| Error::sys("stat", path, e))?;
    if st.st_mode & S_IFMT != linux_raw_sys::general::S_IFBLK {
        return Err(Error::new(path).push(b": not a block device"));
    }
    let dev = st.st_rdev;
    Ok((((dev >> 8) & 0xfff) as u32 | ((dev >> 32) & !0xfff) as u32, ((dev & 0xff) | ((dev >> 12) & !0xff)) as u32))
}

/// Refuses, before any cgroup is made, the limits the machine's cgroup
/// version has no word for, as crun does, and a swap limit v2 cannot take.
#[cold]
fn check_layout(r: &Resources<'_>, v2: bool) -> Result<(), Error> {
    if !v2 {
        if !r.unified.is_empty() {
            return Err(Error::new(b"cannot use unified (--cgroup-set) on cgroup v1"));
        }
        if r.memory_swap_max.is_some_and(|s| s != u64::MAX) && r.memory_max.is_none() {
            return Err(Error::new(b"--memory-swap-max needs --memory-max on cgroup v1"));
        }
        return Ok(());
    }
    const V1_ONLY: [&[u8]; 6] = [
        b"memory swappiness",
        b"oom-kill-disable",
        b"realtime runtime or period",
        b"blkio leaf weight",
        b"network classID",
        b"network priorities",
    ];
    let set = [
        r.memory_swappiness.is_some(),
        r.oom_kill_disable,
        r.cpu_rt_runtime.is_some() || r.cpu_rt_period.is_some(),
        r.blkio_leaf_weight.is_some() || r.blkio_devices.iter().any(|d| d.limit == BlkioLimit::LeafWeight),
        r.net_class_id.is_some(),
        !r.net_priorities.is_empty(),
    ];
    if let Some(what) = set.iter().position(|&s| s).and_then(|i| V1_ONLY.get(i)) {
        return Err(Error::new(b"cannot set ").push(what).push(b" with cgroup v2 (a cgroup v1 limit)"));
    }
    match (r.memory_swap, r.memory_max) {
        (Some(swap), None) if swap != u64::MAX => {
            Err(Error::new(b"unable to set swap limit without memory limit (cgroup v2 limits swap alone)"))
        }
        (Some(swap), Some(memory)) if swap < memory && memory != u64::MAX => {
            Err(Error::new(b"memory+swap limit should be >= memory limit"))
        }
        _ => Ok(()),
    }
}

/// crun's and runc's cgroup v2 `cpu.weight` for v1 `cpu.shares`: 10 to
/// the power of a quadratic in log2(shares) that maps 2 to 1, 1024 (the
/// default) to 100 and 262144 to 10000, rounded up.
pub fn shares_to_weight(shares: u64) -> u64 {
    if shares <= 2 {
        return 1;
    }
    if shares >= 262_144 {
        return 10_000;
    }
    let l = math::log2(shares);
    let exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
    let w = math::pow10(exponent);
    let whole = w as u64;
    if (whole as f64) < w { whole + 1 } else { whole }
}

/// What `shares_to_weight` needs of libm, in f64 arithmetic: core has no
/// logarithms nor powers.
mod math {
    use core::f64::consts::{LN_10, LN_2};

    /// log2(n) for n >= 1: the exponent, and ln of the mantissa m in
    /// [1, 2) by the series 2 atanh((m-1)/(m+1)).
    pub fn log2(n: u64) -> f64 {
        let k = 63 - n.leading_zeros();
        let m = n as f64 / (1u64 << k) as f64;
        let t = (m - 1.0) / (m + 1.0);
        let (mut sum, mut power, t2) = (0.0, t, t * t);
        for i in 0..40 {
            sum += power / f64::from(2 * i + 1);
            power *= t2;
        }
        f64::from(k) + 2.0 * sum / LN_2
    }

    /// 10^x for x >= 0: 10^whole exactly, times e^(frac ln 10) by its series.
    pub fn pow10(x: f64) -> f64 {
        let whole = x as u32;
        let y = (x - f64::from(whole)) * LN_10;
        let (mut sum, mut term) = (1.0, 1.0);
        for i in 1..40 {
            term *= y / f64::from(i);
            sum += term;
        }
        let mut p = 1.0;
        for _ in 0..whole {
            p *= 10.0;
        }
        p * sum
    }
}

/// Refuses `--cpus` above the CPUs nsinit may run on, as Docker refuses
/// it above its own (Go's `runtime.NumCPU`, which is this count): such a
/// quota could never be used up, and is most likely a mistake.
#[cold]
fn check_cpus(r: &Resources<'_>) -> Result<(), Error> {
    let (Some(cpus), Some((quota, period))) = (r.cpus, r.cpu_max) else { return Ok(()) };
    let allowed = sys::cpus_allowed().map_err(|e| Error::sys("sched_getaffinity", b"", e))?;
    if quota > u64::from(allowed) * period {
        return Err(Error::new(b"--cpus ")
            .push(cpus.bytes())
            .push(b": more CPUs than the ")
            .push_u64(u64::from(allowed))
            .push(b" nsinit may run on"));
    }
    Ok(())
}

/// Reads nsinit's own `/proc/self/cgroup` into `buf`.
#[cold]
fn read_own_cgroups(buf: &mut [u8; PROC_CGROUP_MAX]) -> Result<&[u8], Error> {
    let path = ZStr::new(c"/proc/self/cgroup");
    let fd = sys::open(path, O_RDONLY | O_CLOEXEC, 0).map_err(|e| Error::sys("open", path.bytes(), e))?;
    let n = sys::read(fd, buf);
    let _ = sys::close(fd);
    let n = n.map_err(|e| Error::sys("read", path.bytes(), e))?;
    if n == buf.len() {
        return Err(Error::new(b"/proc/self/cgroup: longer than 4096 bytes"));
    }
    Ok(&buf[..n])
}

/// nsinit's cgroup in the hierarchy of `controller` (v1), or in the v2
/// hierarchy when `controller` is empty, from the text of
/// `/proc/self/cgroup` (`ID:CONTROLLER[,CONTROLLER...]:/PATH` lines; v2's
/// is `0::/PATH`), without its leading `/`: empty for the root. `None`
/// when there is no such line, or its path is not one a cgroup can be made
/// below (a cgroup outside nsinit's cgroup namespace shows as `/..`).
pub fn own_cgroup<'t>(text: &'t [u8], controller: &[u8]) -> Option<&'t [u8]> {
    text.split(|&c| c == b'\n').find_map(|line| {
        let mut fields = line.splitn(3, |&c| c == b':');
        let (id, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        let matches = if controller.is_empty() {
            id == b"0" && controllers.is_empty()
        } else {
            controllers.split(|&c| c == b',').any(|c| c == controller)
        };
        if !matches {
            return None;
        }
        let path = path.strip_prefix(b"/")?;
        (path.is_empty() || crate::config::cgroup_path_ok(path)).then_some(path)
    })
}

/// `path` less its last component; empty for a top-level one.
fn parent_of(path: &[u8]) -> &[u8] {
    path.iter().rposition(|&c| c == b'/').map_or(&path[..0], |i| &path[..i])
}

#[cold]
fn not_found(what: &[u8]) -> Error {
    Error::new(b"/proc/self/cgroup: no usable line for ").push(what).push(b" (nsinit's own cgroup)")
}

/// Appends `/PATH` unless `path` is empty.
fn push_path(dir: &mut Path, path: &[u8]) -> Result<(), Error> {
    if !path.is_empty() {
        dir.push(b"/").and_then(|d| d.push(path)).map_err(too_long)?;
    }
    Ok(())
}

/// Most times the levels of one cgroup path are made again after a parent
/// vanished under them.
const MAKE_TRIES: usize = 8;

/// Makes the cgroups of `name` (`A/B`) below `dir`'s base, a level at a
/// time: `before` runs in each parent before its child is made, `after` on
/// each level with its parent's length and whether it was made now.
/// Another nsinit may remove a parent it found empty (see `remove`)
/// between two levels: the walk then starts again from the base. `false`
/// when the first level could not be made because `dir`'s v1 hierarchy is
/// not mounted (see `Dir::hierarchy`).
fn make_levels(
    dir: &mut Dir,
    name: &[u8],
    mut journal: Option<&mut Journal<'_>>,
    before: &mut dyn FnMut(&mut Path),
    after: &mut dyn FnMut(&mut Path, usize, bool) -> Result<(), Error>,
) -> Result<bool, Error> {
    'again: for _ in 0..MAKE_TRIES {
        dir.path.truncate(dir.base);
        dir.existed = dir.base;
        for part in name.split(|&c| c == b'/') {
            before(&mut dir.path);
            let parent_len = dir.path.len();
            match make_child(dir, part, journal.as_deref_mut())? {
                Some(made) => after(&mut dir.path, parent_len, made)?,
                None if parent_len == dir.base && hierarchy_missing(dir) => return Ok(false),
                None => continue 'again,
            }
        }
        return Ok(true);
    }
    Err(Error::new(b"cgroup ").push(dir.path.bytes()).push(b": its parent was removed while it was made, again and again"))
}

/// Makes the child `part` of `dir` and goes into it; whether it was made
/// now, or `None` when `dir` is gone. One not there yet is told to
/// `journal` before its mkdir: a v1 mkdir takes long enough for a create
/// to be killed in it, and the cgroup made then was in no journal, left
/// behind by `delete --force`. One a concurrent create made first is taken
/// back (the line again, after a `-`), not to be removed as ours. Whether
/// it is there is looked at first (a stat), but below a level made now: a
/// level that was there must never be in the journal without its `-`
/// line, which a create killed in its mkdir would not write (then `delete
/// --force` would empty someone's cgroup).
fn make_child(dir: &mut Dir, part: &[u8], journal: Option<&mut Journal<'_>>) -> Result<Option<bool>, Error> {
    let parent_len = dir.path.len();
    let below_made = dir.made();
    dir.path.push(b"/").and_then(|d| d.push(part)).map_err(too_long)?;
    let mut journal = journal.filter(|_| below_made || sys::stat_mode(dir.path.zstr()) == Err(Errno::ENOENT));
    if let Some(j) = journal.as_mut() {
        j(dir.path.bytes());
    }
    let made = match make_dir(&mut dir.path) {
        Err(Errno::ENOENT) => return Ok(None),
        Err(Errno::ENOTDIR) if parent_len == dir.base && hierarchy_missing(dir) => return Ok(None),
        made => made.map_err(|e| mkdir_error(&dir.path, e))?,
    };
    if !made
        && let Some(j) = journal
        && let Ok(line) = ZBuf::<{ CGROUP_PATH_MAX + 1 }>::from_parts(&[b"-", dir.path.bytes()])
    {
        j(line.bytes());
    }
    if !below_made {
        // Still in what was there: it ends here, or below this one.
        dir.existed = if made { parent_len } else { dir.path.len() };
    }
    Ok(Some(made))
}

/// Whether nsinit may not make cgroups in `dir`'s base (a hierarchy not
/// delegated to a user namespace's nsinit).
#[cold]
fn denied(dir: &Dir) -> bool {
    let base = Path::from_parts(&[dir.path.bytes().get(..dir.base).unwrap_or_default()]);
    base.is_ok_and(|mut b| sys::access(b.zstr(), W_OK).is_err())
}

/// Removes the levels of `dir` nsinit made, deepest first.
#[cold]
fn unmake(dir: &mut Dir) {
    while dir.made() {
        let _ = sys::rmdir(dir.path.zstr());
        let slash = dir.path.bytes().iter().rposition(|&c| c == b'/').unwrap_or(0);
        dir.path.truncate(slash.max(dir.existed));
    }
}

/// Whether `dir` is in a v1 hierarchy that is not mounted: its directory
/// under /sys/fs/cgroup is not there (or not a directory).
#[cold]
fn hierarchy_missing(dir: &Dir) -> bool {
    let hierarchy = dir.path.bytes().get(..dir.hierarchy).filter(|h| !h.is_empty());
    hierarchy.and_then(|h| Path::from_parts(&[h]).ok()).is_some_and(|mut h| !is_dir(&mut h))
}

fn is_dir(path: &mut Path) -> bool {
    sys::stat_mode(path.zstr()).is_ok_and(|m| m & S_IFMT == S_IFDIR)
}

/// Most levels `signal_tree` goes down, a descriptor open each.
#[cfg(feature = "oci")]
const DEPTH: usize = 512;

/// Most rounds of `remove_below`, a cgroup removed each: past this a
/// payload still alive is making them as fast as they go.
const REMOVALS: u32 = 1 << 16;

/// Opens the cgroup `name` below the one open at `dir`.
fn open_child(dir: Fd, name: &[u8]) -> Option<Fd> {
    let mut name = ZBuf::<256>::from_parts(&[name]).ok()?;
    sys::openat(dir, name.zstr(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0).ok()
}

/// The name of a cgroup below the one open at `dir` (read from its start:
/// `dir` is a descriptor not read before), if it has one.
fn first_child(dir: Fd) -> Option<ZBuf<256>> {
    let mut first = None;
    let _ = sys::each_subdir(dir, |name| {
        if first.is_none() {
            first = ZBuf::<256>::from_parts(&[name]).ok();
        }
    });
    first
}

/// Empties (SIGKILL) and removes every cgroup below `dir`, deepest first,
/// however deep the tree and long its paths (a payload with a writable
/// cgroup mount makes them as it likes, and a walk by path stopped at
/// some depth or length, leaving the rest and what ran there): each round
/// goes down from `dir` by descriptor, two open at once, to a cgroup
/// without children, kills what is in it and removes it. It ends when
/// `dir` has no child left, or one cannot be removed (left for the
/// caller's own rmdir of `dir` to fail on).
fn remove_below(dir: &mut Path) {
    let Ok(top) = sys::open(dir.zstr(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) else { return };
    for _ in 0..REMOVALS {
        // A descriptor of its own each round: a directory is read from
        // where the last read of its descriptor ended.
        let Some(mut parent) = open_child(top, b".") else { break };
        let Some(mut name) = first_child(parent) else {
            let _ = sys::close(parent);
            break;
        };
        let removed = loop {
            let Some(child) = open_child(parent, name.bytes()) else { break false };
            if let Some(below) = first_child(child) {
                let _ = sys::close(parent);
                (parent, name) = (child, below);
                continue;
            }
            let _ = sys::close(child);
            break remove_emptied(parent, name.zstr(), 200, true);
        };
        let _ = sys::close(parent);
        if !removed {
            break;
        }
    }
    let _ = sys::close(top);
}

/// Removes the cgroup `name` of the directory open at `at` (`sys::CWD`
/// with a path): `tries` times at most, a millisecond apart, SIGKILL to
/// what is in it between (`kill`; else `cgroup.kill` did). Whether it is
/// gone, as one gone already is (a second `delete`, or its parent removed
/// it): waiting for that would take every try, 30 s a container on v1.
fn remove_emptied(at: Fd, name: ZStr<'_>, tries: u32, kill: bool) -> bool {
    // Opened once an rmdir has failed: the first one does, as a rule.
    let mut cgroup = None;
    let mut gone = false;
    for _ in 0..tries {
        gone = removed(sys::rmdir_at(at, name));
        if gone {
            break;
        }
        if kill && cgroup.is_none() {
            cgroup = sys::openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0).ok();
        }
        if let (true, Some(fd)) = (kill, cgroup) {
            signal_procs_at(fd, SIGKILL);
        }
        let _ = sys::nanosleep_ms(1);
    }
    if let Some(fd) = cgroup {
        let _ = sys::close(fd);
    }
    gone
}

/// Whether an rmdir leaves the cgroup gone: removed now, or gone already
/// (a second `delete`, or its parent removed it).
fn removed(rmdir: Result<(), Errno>) -> bool {
    matches!(rmdir, Ok(()) | Err(Errno::ENOENT))
}

/// `sig` to every process in `dir` and the cgroups below it, each cgroup
/// before those below it; how many. A walk by descriptor, not by path (a
/// payload with a writable cgroup mount makes paths as long as it likes),
/// depth first, one descriptor open a level, each directory read a child
/// at a time (`sys::next_subdir`): however many children a cgroup has
/// (systemd in a container makes one a service), each is gone down. A
/// cgroup deeper than `DEPTH` levels is signalled without those below it:
/// `delete` still empties and removes them.
#[cfg(feature = "oci")]
fn signal_tree(dir: &mut Path, sig: u32) -> usize {
    let Ok(top) = sys::open(dir.zstr(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) else { return 0 };
    let mut n = signal_procs_at(top, sig);
    let mut levels: heapless::Vec<Fd, DEPTH> = heapless::Vec::new();
    let _ = levels.push(top);
    let mut name = [0u8; 256];
    while let Some(&fd) = levels.last() {
        match sys::next_subdir(fd, &mut name) {
            Ok(Some(len)) => {
                let Some(child) = open_child(fd, &name[..len]) else { continue };
                n += signal_procs_at(child, sig);
                if let Err(child) = levels.push(child) {
                    let _ = sys::close(child);
                }
            }
            _ => {
                let _ = sys::close(fd);
                levels.pop();
            }
        }
    }
    n
}

/// `sig` to every process listed in `cgroup.procs` of the cgroup open at
/// `dir`; how many.
fn signal_procs_at(dir: Fd, sig: u32) -> usize {
    match sys::openat(dir, ZStr::new(c"cgroup.procs"), O_RDONLY | O_CLOEXEC, 0) {
        Ok(fd) => signal_listed(fd, sig),
        Err(_) => 0,
    }
}

/// `sig` to every process the open `cgroup.procs` at `fd` lists, which it
/// closes; how many.
fn signal_listed(fd: Fd, sig: u32) -> usize {
    // Read a piece at a time, whatever the count: a line cut at a piece's
    // end is carried to the next.
    let (mut buf, mut kept, mut n) = ([0u8; 4096], 0, 0);
    while let Ok(read @ 1..) = sys::read(fd, &mut buf[kept..]) {
        let end = kept + read;
        let whole = buf[..end].iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1);
        let lines = buf[..whole].split(|&c| c == b'\n').filter_map(crate::config::parse_number);
        n += lines.filter(|&pid| sys::kill(pid as i32, sig).is_ok()).count();
        buf.copy_within(whole..end, 0);
        kept = end - whole;
        if kept == buf.len() {
            break;
        }
    }
    let _ = sys::close(fd);
    n
}

/// Removes the cgroups of nsinit runs that were killed before they could
/// (`nsinit-<PID>` and `nsinit-<PID>.self` in `parent`, whose nsinit is
/// gone), and one named after this nsinit, whose PID a killed one had; a
/// populated one stays (rmdir fails).
fn remove_stale(parent: &mut Path) {
    let me = sys::getpid() as u64;
    let Ok(fd) = sys::open(parent.zstr(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) else { return };
    let _ = sys::each_dir_entry(fd, |name| {
        let Some(pid) = name.strip_prefix(b"nsinit-").map(|n| n.strip_suffix(b".self").unwrap_or(n)).and_then(crate::config::parse_number)
        else {
            return;
        };
        if pid == me || sys::kill(pid as i32, 0) == Err(Errno::ESRCH) {
            let len = parent.len();
            if parent.push(b"/").and_then(|d| d.push(name)).is_ok() {
                let _ = sys::rmdir(parent.zstr());
            }
            parent.truncate(len);
        }
    });
    let _ = sys::close(fd);
}

/// `value`, or `unlimited` when it is `u64::MAX`.
fn limit(value: u64, unlimited: &[u8]) -> ZBuf<64> {
    let mut v = ZBuf::new();
    let _ = if value == u64::MAX { v.push(unlimited) } else { v.push_num(value, 10) };
    v
}

fn too_long(_: crate::text::TooLong) -> Error {
    Error::new(b"cgroup path too long")
}

/// The extended attribute nsinit marks a cgroup it made with when it
/// cannot remove it, as another container's cgroup is below it, so that the
/// nsinit of that container removes it once it is empty, while one an
/// administrator made stays (`trusted.`: only root can set it, so no user
/// can mark a cgroup for removal).
const MADE_BY_NSINIT: &core::ffi::CStr = c"trusted.nsinit";

/// mkdir; whether it was made now.
fn make_dir(dir: &mut Path) -> Result<bool, Errno> {
    match sys::mkdirat(sys::CWD, dir.zstr(), 0o755) {
        Ok(()) => Ok(true),
        Err(Errno::EEXIST) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Marks a cgroup this nsinit made and could not remove (`MADE_BY_NSINIT`),
/// then tries once more: the nsinit below may have removed its own cgroup
/// and looked for the mark in between, before it was set. Marked only then,
/// not when made: a mark on every level cost a setxattr each, five a
/// start on v1. The mark is left out where it cannot be set (without root,
/// or on a kernel whose cgroup filesystem has no extended attributes): the
/// cgroup then stays.
#[cold]
fn leave_for_the_last_one_out(dir: &mut Path) {
    if sys::setxattr(dir.zstr(), ZStr::new(MADE_BY_NSINIT), b"1").is_ok() {
        let _ = sys::rmdir(dir.zstr());
    }
}

/// Whether an nsinit made this cgroup.
fn made_by_nsinit(dir: &mut Path) -> bool {
    sys::getxattr(dir.zstr(), ZStr::new(MADE_BY_NSINIT), &mut [0u8; 8]).is_ok()
}

fn mkdir_error(dir: &Path, e: Errno) -> Error {
    let error = Error::sys("mkdir", dir.bytes(), e);
    if e == Errno::EACCES || e == Errno::EPERM || e == Errno::EROFS {
        return error.push(b" (cgroup limits need root, or --cgroup naming a cgroup delegated to you)");
    }
    error
}

/// Copies cpuset.cpus and cpuset.mems from the parent (the first
/// `parent_len` bytes of `dir`).
/// Whether the cpuset at `dir` has no CPUs or no memory nodes (one that
/// cannot be read is left as it is).
fn cpuset_unset(dir: &Path) -> bool {
    [&b"cpuset.cpus"[..], b"cpuset.mems"].into_iter().any(|file| {
        let mut buf = [0u8; 256];
        read_in(dir, file, &mut buf).is_ok_and(|value| value.trim_ascii().is_empty())
    })
}

fn inherit_cpuset(dir: &mut Path, parent_len: usize) -> Result<(), Error> {
    for file in [&b"cpuset.cpus"[..], b"cpuset.mems"] {
        let parent = Path::from_parts(&[&dir.bytes()[..parent_len]]).map_err(too_long)?;
        let mut buf = [0u8; 256];
        let value = read_in(&parent, file, &mut buf)?;
        let value = value.strip_suffix(b"\n").unwrap_or(value);
        let value: ZBuf<256> = ZBuf::from_parts(&[value]).map_err(too_long)?;
        write_in(dir, file, value.bytes())?;
    }
    Ok(())
}

/// Writes `value` to the file `name` in `dir`.
fn write_in(dir: &Path, name: &[u8], value: &[u8]) -> Result<(), Error> {
    write_in_raw(dir, name, value).map_err(|e| write_error(dir.bytes(), name, value, e))
}

/// `write DIR/NAME: ERRNO (text) (VALUE)`.
#[cold]
#[inline(never)]
fn write_error(dir: &[u8], name: &[u8], value: &[u8], e: Errno) -> Error {
    Error::sys_in("write", dir, name, e).push(b" (").push(value).push(b")")
}

/// The same, failing with the bare errno (`ENAMETOOLONG` for a path too long).
fn write_in_raw(dir: &Path, name: &[u8], value: &[u8]) -> Result<(), Errno> {
    let fd = open_in(dir, name)?;
    let written = sys::write(fd, value);
    let _ = sys::close(fd);
    written.map(drop)
}

/// Opens the file `name` in `dir` for writing.
fn open_in(dir: &Path, name: &[u8]) -> Result<Fd, Errno> {
    let mut path = Path::from_parts(&[dir.bytes(), b"/", name]).map_err(|_| Errno::ENAMETOOLONG)?;
    sys::open(path.zstr(), O_WRONLY | O_CLOEXEC, 0)
}

/// Reads the file `name` in `dir` into `buf`.
#[cold]
fn read_in<'b>(dir: &Path, name: &[u8], buf: &'b mut [u8]) -> Result<&'b [u8], Error> {
    let mut path = Path::from_parts(&[dir.bytes(), b"/", name]).map_err(too_long)?;
    let fd = sys::open(path.zstr(), O_RDONLY | O_CLOEXEC, 0).map_err(|e| Error::sys("open", path.bytes(), e))?;
    let n = sys::read(fd, buf);
    let _ = sys::close(fd);
    let n = n.map_err(|e| Error::sys("read", path.bytes(), e))?;
    Ok(&buf[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &[u8] = b"9:name=systemd:/\n8:pids:/user.slice\n4:memory:/process_api/c0\n2:cpu,cpuacct:/a/b\n0::/\n";

    #[test]
    fn own_cgroup_per_hierarchy() {
        assert_eq!(own_cgroup(HYBRID, b"pids"), Some(&b"user.slice"[..]));
        assert_eq!(own_cgroup(HYBRID, b"memory"), Some(&b"process_api/c0"[..]));
        // Co-mounted controllers share a line.
        assert_eq!(own_cgroup(HYBRID, b"cpu"), Some(&b"a/b"[..]));
        assert_eq!(own_cgroup(HYBRID, b"cpuacct"), Some(&b"a/b"[..]));
        assert_eq!(own_cgroup(HYBRID, b"cpuset"), None);
        // v2's line; the root is empty.
        assert_eq!(own_cgroup(HYBRID, b""), Some(&b""[..]));
        assert_eq!(own_cgroup(b"0::/system.slice/x.service\n", b""), Some(&b"system.slice/x.service"[..]));
        // `name=systemd` is not a controller nsinit asks for by a prefix.
        assert_eq!(own_cgroup(HYBRID, b"systemd"), None);
    }

    #[test]
    fn own_cgroup_refuses_paths_outside_or_odd() {
        // Outside the cgroup namespace's root.
        assert_eq!(own_cgroup(b"0::/../../x\n", b""), None);
        assert_eq!(own_cgroup(b"0::/..\n", b""), None);
        assert_eq!(own_cgroup(b"8:pids:relative\n", b"pids"), None);
        assert_eq!(own_cgroup(b"8:pids:/a//b\n", b"pids"), None);
        assert_eq!(own_cgroup(b"", b""), None);
    }

    /// runc's and crun's formula with the C library's log2 and pow.
    fn reference_weight(shares: u64) -> u64 {
        if shares <= 2 {
            return 1;
        }
        if shares >= 262_144 {
            return 10_000;
        }
        let l = (shares as f64).log2();
        (10f64.powf((l * l + 125.0 * l) / 612.0 - 7.0 / 34.0)).ceil() as u64
    }

    #[test]
    fn cpu_shares_become_the_weight_crun_and_runc_give_for_every_value() {
        for shares in 0..=262_144 + 10 {
            assert_eq!(shares_to_weight(shares), reference_weight(shares), "shares {shares}");
        }
        // The points the formula is fitted to.
        assert_eq!((shares_to_weight(2), shares_to_weight(1024), shares_to_weight(262_144)), (1, 100, 10_000));
        assert_eq!(shares_to_weight(512), 59);
    }

    #[test]
    fn swap_is_converted_between_v1_and_v2_as_runc_does() {
        let mut r = Resources { memory_max: Some(64 << 20), memory_swap: Some(96 << 20), ..Resources::default() };
        assert_eq!((swap(&r, false), swap(&r, true)), (Some(96 << 20), Some(32 << 20)));
        r.memory_swap = Some(u64::MAX);
        assert_eq!((swap(&r, false), swap(&r, true)), (Some(u64::MAX), Some(u64::MAX)));
        r.memory_max = Some(u64::MAX);
        r.memory_swap = Some(1 << 20);
        assert_eq!(swap(&r, true), Some(1 << 20), "unlimited memory: swap as it is");
        let r = Resources { memory_max: Some(64 << 20), memory_swap_max: Some(16 << 20), ..Resources::default() };
        assert_eq!((swap(&r, false), swap(&r, true)), (Some(80 << 20), Some(16 << 20)));
        // What v2 cannot take is refused before anything is made.
        let no_memory = Resources { memory_swap: Some(1 << 20), ..Resources::default() };
        assert!(check_layout(&no_memory, true).is_err());
        assert!(check_layout(&no_memory, false).is_ok());
        let below = Resources { memory_max: Some(2 << 20), memory_swap: Some(1 << 20), ..Resources::default() };
        assert!(check_layout(&below, true).is_err());
    }

    #[test]
    fn cpu_weight_and_shares_convert_both_ways() {
        let r = Resources { cpu_shares: Some(512), ..Resources::default() };
        assert_eq!((cpu_weight(&r, false), cpu_weight(&r, true)), (Some(512), Some(59)));
        let r = Resources { cpu_weight: Some(100), ..Resources::default() };
        assert_eq!((cpu_weight(&r, false), cpu_weight(&r, true)), (Some(2597), Some(100)));
    }

    #[test]
    fn cpu_weight_is_where_apply_looks_for_it() {
        assert_eq!(KNOBS[CPU_WEIGHT].v2, b"cpu.weight");
    }

    #[test]
    fn parents() {
        assert_eq!(parent_of(b"a/b/c"), b"a/b");
        assert_eq!(parent_of(b"a"), b"");
        assert_eq!(parent_of(b""), b"");
    }
}
