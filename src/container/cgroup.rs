//! The container's cgroup: where it goes, its limits, its placement before
//! the payload runs, the OOM report, and its removal. The three layouts a
//! machine can have are handled: cgroup v2 alone (unified), v1 controllers
//! beside an empty v2 tree (hybrid), and v1 alone (legacy); on hybrid the
//! v1 controllers are the ones that limit.

use crate::config::{Container, Resources};
use crate::error::Error;
use crate::rt::StaticCell;
use crate::sys::{self, Errno, Fd, ZStr};
use crate::text::ZBuf;
use heapless::Vec;
use linux_raw_sys::general::{
    CGROUP2_SUPER_MAGIC, O_CLOEXEC, O_DIRECTORY, O_RDONLY, S_IFDIR, S_IFMT, SIGKILL,
};

/// Longest cgroup directory path, `/sys/fs/cgroup/<controller>/<OWN>/<PATH>`.
const CGROUP_PATH_MAX: usize = 1024;
/// Most of `/proc/self/cgroup` nsinit reads: a line a hierarchy.
const PROC_CGROUP_MAX: usize = 4096;
type Path = ZBuf<CGROUP_PATH_MAX>;

/// The v1 controllers a container is placed in, those mounted at least.
const V1_CONTROLLERS: [&[u8]; 4] = [b"pids", b"memory", b"cpu", b"cpuset"];
/// The v2 controllers enabled for it.
const V2_CONTROLLERS: [&[u8]; 4] = [b"+pids", b"+memory", b"+cpu", b"+cpuset"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Layout {
    Unified,
    Hybrid,
    Legacy,
}

/// Which layout this machine has.
pub fn layout() -> Layout {
    let is_v2 = |p: &core::ffi::CStr| sys::statfs_type(ZStr::new(p)) == Ok(u64::from(CGROUP2_SUPER_MAGIC));
    if is_v2(c"/sys/fs/cgroup") {
        Layout::Unified
    } else if is_v2(c"/sys/fs/cgroup/unified") {
        Layout::Hybrid
    } else {
        Layout::Legacy
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
    path: Path,
    /// The length of the part of `path` that nsinit's own starts below: the
    /// hierarchy's root, or nsinit's own cgroup (or its parent). Nothing
    /// there or above is ever removed.
    base: usize,
    /// The length of the part of `path` that was there before: nsinit
    /// removes (and kills in) only the directories after it, the ones it
    /// made. A cgroup it found is joined, never emptied nor removed.
    existed: usize,
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
    /// `cgroup.subtree_control` had before: the others are turned off again.
    had: u8,
}

pub struct Cgroup {
    pub layout: Layout,
    /// One directory on v2; one per controller on v1.
    dirs: Vec<Dir, 4>,
    /// On v2, the directory open, to create the container straight into it.
    pub fd: Option<Fd>,
    memory_max: Option<u64>,
    moved: Option<Moved>,
}

impl Cgroup {
    /// Creates the container's cgroup with its limits. Held in static
    /// memory: it is read by the container's process, which shares nsinit's
    /// memory until it execs.
    #[cold]
    pub fn create(c: &Container<'_>) -> Result<&'static Cgroup, Error> {
        static CGROUP: StaticCell<Cgroup> = StaticCell::new(Cgroup {
            layout: Layout::Unified,
            dirs: Vec::new(),
            fd: None,
            memory_max: None,
            moved: None,
        });
        static PROC_CGROUP: StaticCell<[u8; PROC_CGROUP_MAX]> = StaticCell::new([0; PROC_CGROUP_MAX]);
        check_cpus(&c.resources)?;
        let cg = CGROUP.take().ok_or_else(|| Error::new(b"cgroup taken"))?;
        cg.layout = layout();
        cg.memory_max = c.resources.memory_max;
        let mut default = ZBuf::<32>::new();
        let _ = default.push(b"nsinit-").and_then(|n| n.push_num(sys::getpid() as u64, 10));
        let (place, name) = match c.cgroup {
            Some(path) => match path.bytes().strip_prefix(b"/") {
                Some(below_root) => (Place::Root, below_root),
                None => (Place::Relative, path.bytes()),
            },
            None => (Place::Own, default.bytes()),
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
        let made = match cg.layout {
            Layout::Unified => cg.create_v2(place, name, own, &c.resources),
            Layout::Hybrid | Layout::Legacy => cg.create_v1(place, name, own, &c.resources),
        };
        if let Err(e) = made {
            cg.remove();
            return Err(e);
        }
        Ok(cg)
    }

    fn create_v2(&mut self, place: Place, name: &[u8], own: &[u8], r: &Resources<'_>) -> Result<(), Error> {
        let mut base = Path::from_parts(&[b"/sys/fs/cgroup"]).map_err(too_long)?;
        if place != Place::Root {
            let mine = own_cgroup(own, b"").ok_or_else(|| not_found(b"0::"))?;
            let mine = if place == Place::Relative { parent_of(mine) } else { mine };
            push_path(&mut base, mine)?;
            if place == Place::Own {
                remove_stale(&mut base);
                if !mine.is_empty() {
                    self.free_own_cgroup(&base)?;
                }
            }
        }
        self.dirs.push(Dir { controller: b"", base: base.len(), existed: base.len(), path: base }).map_err(|_| Error::new(b"cgroup: too many directories"))?;
        let Some(dir) = self.dirs.last_mut() else { return Err(Error::new(b"cgroup: no directory")) };
        // Each level enables the controllers for the one below it.
        let enable = &mut |parent: &mut Path| {
            for controller in V2_CONTROLLERS {
                // Not every kernel has every controller: a limit on a
                // missing one fails below, naming its file.
                let _ = write_in(parent, b"cgroup.subtree_control", controller);
            }
        };
        make_levels(dir, name, enable, &mut |_, _, _| Ok(()))?;
        let dir = &mut dir.path;
        if let Some(n) = r.pids_max {
            write_in(dir, b"pids.max", limit(n, b"max").bytes())?;
        }
        if let Some(n) = r.memory_max {
            write_in(dir, b"memory.max", limit(n, b"max").bytes())?;
        }
        if let Some(n) = r.memory_swap_max {
            write_in(dir, b"memory.swap.max", limit(n, b"max").bytes())?;
        }
        if let Some((quota, period)) = r.cpu_max {
            let mut v = limit(quota, b"max");
            let _ = v.push(b" ").and_then(|v| v.push_num(period, 10));
            write_in(dir, b"cpu.max", v.bytes())?;
        }
        if let Some(w) = r.cpu_weight {
            write_in(dir, b"cpu.weight", limit(w, b"max").bytes())?;
        }
        if let Some(cpus) = r.cpuset {
            write_in(dir, b"cpuset.cpus", cpus.bytes())?;
        }
        let fd = sys::open(dir.zstr(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
            .map_err(|e| Error::sys("open", dir.bytes(), e))?;
        self.fd = Some(fd);
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
            write_in(&mut m.leaf, b"cgroup.procs", b"0")?;
        }
        Ok(())
    }

    fn create_v1(&mut self, place: Place, name: &[u8], own: &[u8], r: &Resources<'_>) -> Result<(), Error> {
        for controller in V1_CONTROLLERS {
            let mut base = Path::from_parts(&[b"/sys/fs/cgroup/", controller]).map_err(too_long)?;
            if !sys::stat_mode(base.zstr()).is_ok_and(|m| m & S_IFMT == S_IFDIR) {
                continue;
            }
            if place != Place::Root {
                // Each hierarchy has nsinit in a cgroup of its own.
                push_path(&mut base, own_cgroup(own, controller).ok_or_else(|| not_found(controller))?)?;
            }
            if place == Place::Own {
                remove_stale(&mut base);
            }
            self.dirs.push(Dir { controller, base: base.len(), existed: base.len(), path: base }).map_err(|_| Error::new(b"cgroup: too many directories"))?;
            let Some(dir) = self.dirs.last_mut() else { continue };
            make_levels(dir, name, &mut |_| {}, &mut |path, parent_len, made| {
                if made && controller == b"cpuset" {
                    // A new cpuset is empty: no task may join it until it
                    // has CPUs and memory nodes, copied from its parent.
                    inherit_cpuset(path, parent_len)?;
                }
                Ok(())
            })?;
        }
        if self.dirs.is_empty() {
            return Err(Error::new(b"no cgroup v1 controller is mounted under /sys/fs/cgroup"));
        }
        let pids = r.pids_max.map(|n| limit(n, b"max"));
        let memory = r.memory_max.map(|n| limit(n, b"-1"));
        let swap = match (r.memory_swap_max, r.memory_max) {
            // v1 limits memory and swap together.
            (Some(s), Some(m)) => Some(limit(m.saturating_add(s), b"-1")),
            (Some(_), None) => return Err(Error::new(b"--memory-swap-max needs --memory-max on cgroup v1")),
            (None, _) => None,
        };
        let (period, quota) = match r.cpu_max {
            Some((q, p)) => (Some(limit(p, b"-1")), Some(limit(q, b"-1"))),
            None => (None, None),
        };
        // cgroup v2's weight 1..10000 as v1's shares 2..262144, as runc maps them.
        let shares = r.cpu_weight.map(|w| limit(2 + (w - 1) * 262_142 / 9_999, b"-1"));
        let cpus = match r.cpuset {
            Some(c) => Some(ZBuf::from_parts(&[c.bytes()]).map_err(too_long)?),
            None => None,
        };
        let files: [(&[u8], &[u8], Option<ZBuf<64>>); 7] = [
            (b"pids", b"pids.max", pids),
            (b"memory", b"memory.limit_in_bytes", memory),
            (b"memory", b"memory.memsw.limit_in_bytes", swap),
            (b"cpu", b"cpu.cfs_period_us", period),
            (b"cpu", b"cpu.cfs_quota_us", quota),
            (b"cpu", b"cpu.shares", shares),
            (b"cpuset", b"cpuset.cpus", cpus),
        ];
        for (controller, file, value) in files {
            let Some(value) = value else { continue };
            let Some(dir) = self.dirs.iter_mut().find(|d| d.controller == controller) else {
                return Err(Error::new(b"the cgroup v1 controller for ").push(file).push(b" is not mounted"));
            };
            write_in(&mut dir.path, file, value.bytes())?;
        }
        Ok(())
    }

    /// In the container's process, before anything else: joins the v1
    /// cgroups (on v2 `clone3` has already put it in place).
    #[cold]
    pub fn join(&self) -> Result<(), Error> {
        if self.fd.is_some() {
            return Ok(());
        }
        for dir in &self.dirs {
            let mut path = Path::from_parts(&[dir.path.bytes()]).map_err(too_long)?;
            write_in(&mut path, b"cgroup.procs", b"0")?;
        }
        Ok(())
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

    /// Kills what is left in the cgroup and removes the directories nsinit
    /// made; a cgroup it joined keeps its processes and stays.
    #[cold]
    pub fn remove(&self) {
        if let Some(fd) = self.fd {
            let _ = sys::close(fd);
        }
        for d in self.dirs.iter().rev().filter(|d| d.made()) {
            let mut dir = match Path::from_parts(&[d.path.bytes()]) {
                Ok(p) => p,
                Err(_) => continue,
            };
            // cgroup.kill (v2, 5.14+) kills everything at once.
            let killed = self.layout == Layout::Unified && write_in(&mut dir, b"cgroup.kill", b"1").is_ok();
            for _ in 0..2000 {
                if sys::rmdir(dir.zstr()).is_ok() {
                    break;
                }
                if !killed {
                    kill_all_in(&dir);
                }
                let _ = sys::nanosleep_ms(1);
            }
            // Then its parents, deepest first, while they are empty: those
            // this nsinit made, and those it found that another nsinit made
            // (marked, see `make_dir`), which that nsinit could not remove
            // while this container was in them. A parent in use stays:
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
        let (Ok(mut own), Ok(mut leaf)) = (Path::from_parts(&[self.own.bytes()]), Path::from_parts(&[self.leaf.bytes()]))
        else {
            return;
        };
        for (i, controller) in V2_CONTROLLERS.iter().enumerate() {
            if self.had & (1 << i) == 0 {
                let mut off = [0u8; 16];
                let name = &controller[1..];
                off[0] = b'-';
                off[1..=name.len()].copy_from_slice(name);
                let _ = write_in(&mut own, b"cgroup.subtree_control", &off[..=name.len()]);
            }
        }
        let _ = write_in(&mut own, b"cgroup.procs", b"0");
        let _ = sys::rmdir(leaf.zstr());
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
/// between two levels: the walk then starts again from the base.
fn make_levels(
    dir: &mut Dir,
    name: &[u8],
    before: &mut dyn FnMut(&mut Path),
    after: &mut dyn FnMut(&mut Path, usize, bool) -> Result<(), Error>,
) -> Result<(), Error> {
    'again: for _ in 0..MAKE_TRIES {
        dir.path.truncate(dir.base);
        dir.existed = dir.base;
        for part in name.split(|&c| c == b'/') {
            before(&mut dir.path);
            let parent_len = dir.path.len();
            match make_child(dir, part)? {
                Some(made) => after(&mut dir.path, parent_len, made)?,
                None => continue 'again,
            }
        }
        return Ok(());
    }
    Err(Error::new(b"cgroup ").push(dir.path.bytes()).push(b": its parent was removed while it was made, again and again"))
}

/// Makes the child `part` of `dir` and goes into it; whether it was made
/// now, or `None` when `dir` is gone.
fn make_child(dir: &mut Dir, part: &[u8]) -> Result<Option<bool>, Error> {
    let parent_len = dir.path.len();
    let below_made = dir.made();
    dir.path.push(b"/").and_then(|d| d.push(part)).map_err(too_long)?;
    let made = match make_dir(&mut dir.path) {
        Err(Errno::ENOENT) => return Ok(None),
        made => made.map_err(|e| mkdir_error(&dir.path, e))?,
    };
    if !below_made {
        // Still in what was there: it ends here, or below this one.
        dir.existed = if made { parent_len } else { dir.path.len() };
    }
    Ok(Some(made))
}

/// SIGKILL to every process listed in the cgroup's `cgroup.procs`.
fn kill_all_in(dir: &Path) {
    let mut buf = [0u8; 4096];
    if let Ok(procs) = read_in(dir, b"cgroup.procs", &mut buf) {
        for pid in procs.split(|&c| c == b'\n').filter_map(crate::config::parse_number) {
            let _ = sys::kill(pid as i32, SIGKILL);
        }
    }
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

/// The extended attribute nsinit marks the cgroups it makes with, so that
/// any nsinit can tell them from those an administrator made (`trusted.`:
/// only root can set it, so no user can mark a cgroup for removal).
const MADE_BY_NSINIT: &core::ffi::CStr = c"trusted.nsinit";

/// mkdir, and the mark; whether it was made now. The mark is left out
/// where it cannot be set (without root, or on a kernel whose cgroup
/// filesystem has no extended attributes): the cgroup is then removed only
/// by the nsinit that made it, as before.
fn make_dir(dir: &mut Path) -> Result<bool, Errno> {
    match sys::mkdirat(sys::CWD, dir.zstr(), 0o755) {
        Ok(()) => {
            let _ = sys::setxattr(dir.zstr(), ZStr::new(MADE_BY_NSINIT), b"1");
            Ok(true)
        }
        Err(Errno::EEXIST) => Ok(false),
        Err(e) => Err(e),
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
fn write_in(dir: &mut Path, name: &[u8], value: &[u8]) -> Result<(), Error> {
    let len = dir.len();
    dir.push(b"/").and_then(|d| d.push(name)).map_err(too_long)?;
    let r = sys::write_file(dir.zstr(), value)
        .map_err(|e| Error::sys("write", dir.bytes(), e).push(b" (").push(value).push(b")"));
    dir.truncate(len);
    r
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

    #[test]
    fn parents() {
        assert_eq!(parent_of(b"a/b/c"), b"a/b");
        assert_eq!(parent_of(b"a"), b"");
        assert_eq!(parent_of(b""), b"");
    }
}
