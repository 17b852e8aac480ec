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

/// Longest cgroup directory path, `/sys/fs/cgroup/<controller>/<PATH>`.
const CGROUP_PATH_MAX: usize = 512;
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

pub struct Cgroup {
    pub layout: Layout,
    /// One directory on v2; one per controller on v1, `(controller, dir)`.
    dirs: Vec<(&'static [u8], Path), 4>,
    /// On v2, the directory open, to create the container straight into it.
    pub fd: Option<Fd>,
    memory_max: Option<u64>,
}

impl Cgroup {
    /// Creates the container's cgroup with its limits. Held in static
    /// memory: it is read by the container's process, which shares nsinit's
    /// memory until it execs.
    #[cold]
    pub fn create(c: &Container<'_>) -> Result<&'static Cgroup, Error> {
        static CGROUP: StaticCell<Cgroup> =
            StaticCell::new(Cgroup { layout: Layout::Unified, dirs: Vec::new(), fd: None, memory_max: None });
        let cg = CGROUP.take().ok_or_else(|| Error::new(b"cgroup taken"))?;
        cg.layout = layout();
        cg.memory_max = c.resources.memory_max;
        let mut name = ZBuf::<256>::new();
        match c.cgroup {
            Some(path) => name.push(path.bytes().strip_prefix(b"/").unwrap_or(path.bytes())),
            None => name.push(b"nsinit/").and_then(|n| n.push_num(sys::getpid() as u64, 10)),
        }
        .map_err(|_| Error::new(b"--cgroup: path too long (at most 255 bytes)"))?;
        if c.cgroup.is_none() {
            remove_stale(cg.layout);
        }
        let made = match cg.layout {
            Layout::Unified => cg.create_v2(name.bytes(), &c.resources),
            Layout::Hybrid | Layout::Legacy => cg.create_v1(name.bytes(), &c.resources),
        };
        if let Err(e) = made {
            cg.remove();
            return Err(e);
        }
        Ok(cg)
    }

    fn create_v2(&mut self, name: &[u8], r: &Resources<'_>) -> Result<(), Error> {
        let mut dir = Path::from_parts(&[b"/sys/fs/cgroup"]).map_err(too_long)?;
        // Each level enables the controllers for the one below it.
        for part in name.split(|&c| c == b'/').filter(|p| !p.is_empty()) {
            for controller in V2_CONTROLLERS {
                // Not every kernel has every controller: a limit on a
                // missing one fails below, naming its file.
                let _ = write_in(&mut dir, b"cgroup.subtree_control", controller);
            }
            dir.push(b"/").and_then(|d| d.push(part)).map_err(too_long)?;
            make_dir(&mut dir)?;
        }
        if let Some(n) = r.pids_max {
            write_in(&mut dir, b"pids.max", limit(n, b"max").bytes())?;
        }
        if let Some(n) = r.memory_max {
            write_in(&mut dir, b"memory.max", limit(n, b"max").bytes())?;
        }
        if let Some(n) = r.memory_swap_max {
            write_in(&mut dir, b"memory.swap.max", limit(n, b"max").bytes())?;
        }
        if let Some((quota, period)) = r.cpu_max {
            let mut v = limit(quota, b"max");
            let _ = v.push(b" ").and_then(|v| v.push_num(period, 10));
            write_in(&mut dir, b"cpu.max", v.bytes())?;
        }
        if let Some(w) = r.cpu_weight {
            write_in(&mut dir, b"cpu.weight", limit(w, b"max").bytes())?;
        }
        if let Some(cpus) = r.cpuset {
            write_in(&mut dir, b"cpuset.cpus", cpus.bytes())?;
        }
        let fd = sys::open(dir.zstr(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
            .map_err(|e| Error::sys("open", dir.bytes(), e))?;
        self.fd = Some(fd);
        let _ = self.dirs.push((b"", dir));
        Ok(())
    }

    fn create_v1(&mut self, name: &[u8], r: &Resources<'_>) -> Result<(), Error> {
        for controller in V1_CONTROLLERS {
            let mut dir = Path::from_parts(&[b"/sys/fs/cgroup/", controller]).map_err(too_long)?;
            if !sys::stat_mode(dir.zstr()).is_ok_and(|m| m & S_IFMT == S_IFDIR) {
                continue;
            }
            for part in name.split(|&c| c == b'/').filter(|p| !p.is_empty()) {
                let parent_len = dir.len();
                dir.push(b"/").and_then(|d| d.push(part)).map_err(too_long)?;
                if make_dir(&mut dir)? && controller == b"cpuset" {
                    // A new cpuset is empty: no task may join it until it
                    // has CPUs and memory nodes, copied from its parent.
                    inherit_cpuset(&mut dir, parent_len)?;
                }
            }
            let _ = self.dirs.push((controller, dir));
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
            let Some((_, dir)) = self.dirs.iter_mut().find(|(c, _)| *c == controller) else {
                return Err(Error::new(b"the cgroup v1 controller for ").push(file).push(b" is not mounted"));
            };
            write_in(dir, file, value.bytes())?;
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
        for (_, dir) in &self.dirs {
            let mut dir = Path::from_parts(&[dir.bytes()]).map_err(too_long)?;
            write_in(&mut dir, b"cgroup.procs", b"0")?;
        }
        Ok(())
    }

    /// How many times the OOM killer killed in the cgroup.
    #[cold]
    pub fn oom_kills(&self) -> u64 {
        let (file, dir) = match self.layout {
            Layout::Unified => (&b"memory.events"[..], self.dirs.first().map(|(_, d)| d)),
            _ => (&b"memory.oom_control"[..], self.dirs.iter().find(|(c, _)| *c == b"memory").map(|(_, d)| d)),
        };
        let Some(dir) = dir else { return 0 };
        let mut buf = [0u8; 512];
        let Ok(text) = read_in(dir, file, &mut buf) else { return 0 };
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

    /// Kills what is left in the cgroup and removes its directories.
    #[cold]
    pub fn remove(&self) {
        if let Some(fd) = self.fd {
            let _ = sys::close(fd);
        }
        for (_, dir) in self.dirs.iter().rev() {
            let mut dir = match Path::from_parts(&[dir.bytes()]) {
                Ok(d) => d,
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
        }
    }
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
/// (`nsinit/<PID>` whose process is gone); a populated one stays.
fn remove_stale(layout: Layout) {
    let parents: &[&[u8]] = match layout {
        Layout::Unified => &[b"/sys/fs/cgroup/nsinit"],
        _ => &[b"/sys/fs/cgroup/pids/nsinit", b"/sys/fs/cgroup/memory/nsinit", b"/sys/fs/cgroup/cpu/nsinit", b"/sys/fs/cgroup/cpuset/nsinit"],
    };
    for parent in parents {
        let Ok(mut dir) = Path::from_parts(&[parent]) else { continue };
        let Ok(fd) = sys::open(dir.zstr(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) else { continue };
        let _ = sys::each_dir_entry(fd, |name| {
            let Some(pid) = crate::config::parse_number(name) else { return };
            if sys::kill(pid as i32, 0) == Err(Errno::ESRCH) {
                let len = dir.len();
                if dir.push(b"/").and_then(|d| d.push(name)).is_ok() {
                    let _ = sys::rmdir(dir.zstr());
                }
                dir.truncate(len);
            }
        });
        let _ = sys::close(fd);
    }
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

/// mkdir; whether it was made now.
fn make_dir(dir: &mut Path) -> Result<bool, Error> {
    match sys::mkdirat(sys::CWD, dir.zstr(), 0o755) {
        Ok(()) => Ok(true),
        Err(Errno::EEXIST) => Ok(false),
        Err(e) if e == Errno::EACCES || e == Errno::EPERM || e == Errno::EROFS => {
            Err(Error::sys("mkdir", dir.bytes(), e).push(b" (cgroup limits need root, or --cgroup naming a cgroup delegated to you)"))
        }
        Err(e) => Err(Error::sys("mkdir", dir.bytes(), e)),
    }
}

/// Copies cpuset.cpus and cpuset.mems from the parent (the first
/// `parent_len` bytes of `dir`).
fn inherit_cpuset(dir: &mut Path, parent_len: usize) -> Result<(), Error> {
    for file in [&b"cpuset.cpus"[..], b"cpuset.mems"] {
        let mut parent = Path::from_parts(&[&dir.bytes()[..parent_len]]).map_err(too_long)?;
        let mut buf = [0u8; 256];
        let value = read_in(&mut parent, file, &mut buf)?;
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
