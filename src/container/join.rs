//! Namespaces joined by path (OCI `linux.namespaces[].path`, `--join`),
//! and the time namespace's offsets (`linux.timeOffsets`).
//!
//! Every file is opened, and checked to be a namespace of the type asked
//! (`NS_GET_NSTYPE`), by nsinit before the container's process exists, so
//! that a bad path fails before anything is made. The container's process
//! then enters them in `JOIN_ORDER`, the user namespace first, as runc and
//! crun do. Two types apply to the children of whoever enters them rather
//! than to itself: nsinit enters a pid namespace itself just before it
//! starts the container's process, which is born in it, and goes back to
//! its own just after; likewise a time namespace, which `setns` will only
//! move a process into while no other shares its memory (the container's
//! process shares nsinit's until its exec). A new time namespace with
//! offsets is made the same way: nsinit unshares it for its children,
//! writes the offsets while no process is in it yet, starts the container's
//! process in it, and goes back.

use crate::config::{Container, JOIN_ORDER, namespace_name};
use crate::error::Error;
use crate::sys::{self, Fd, OwnedFd, ZStr};
use crate::text::ZBuf;
use linux_raw_sys::general::{
    CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS, O_CLOEXEC, O_RDONLY,
};

/// The namespace files, opened and checked: kept open (close-on-exec)
/// while nsinit runs, for every container it starts. Plain descriptors,
/// -1 for none: nothing to drop on the many ways out of `run`.
pub struct Joined {
    /// One a type, in `JOIN_ORDER`.
    files: [Fd; 8],
    /// nsinit's own pid and time namespaces, to go back to.
    own_pid: Fd,
    own_time: Fd,
}

/// `join TYPE namespace PATH`, the object of every error here.
fn what(namespace: u32, path: ZStr<'_>) -> Error {
    Error::new(b"join ").push(namespace_name(namespace)).push(b" namespace ").push_z(path)
}

/// `join TYPE namespace PATH: it is the host's (...)`.
fn what_host(namespace: u32, path: ZStr<'_>) -> Error {
    what(namespace, path).push(b": it is the host's (nsinit's own or PID 1's)")
}

fn open_own(name: &[u8]) -> Result<Fd, Error> {
    let mut path = ZBuf::<32>::from_parts(&[b"/proc/self/ns/", name]).map_err(|_| Error::new(b"namespace name too long"))?;
    sys::open(path.zstr(), O_RDONLY | O_CLOEXEC, 0).map_err(|e| Error::sys("open", path.bytes(), e))
}

impl Joined {
    /// Opens and checks every namespace `c` joins, and what nsinit needs
    /// to go back to its own; `None` when there is nothing to join and no
    /// time offset to write. Checks what goes with joining, for every
    /// front end.
    #[inline(never)]
    pub fn open(c: &Container<'_>) -> Result<Option<Joined>, Error> {
        if c.joins.is_empty() && c.time_offsets.is_none() {
            return Ok(None);
        }
        if let Some(j) = c.joins.iter().find(|j| c.has(j.namespace)) {
            return Err(what(j.namespace, j.path).push(b": the container makes a new one too"));
        }
        if c.joins(CLONE_NEWUSER) {
            if c.has(CLONE_NEWPID) || c.has(CLONE_NEWTIME) {
                // Those apply to the children of whoever makes them: from
                // inside the joined user namespace, one more process.
                return Err(Error::new(b"with a joined user namespace, the pid and time namespaces must be joined or shared too"));
            }
            if !c.uid_maps.is_empty() || !c.gid_maps.is_empty() || c.userns_auto {
                return Err(Error::new(b"a joined user namespace has its own uid and gid maps: give none"));
            }
        }
        if c.time_offsets.is_some() && !c.has(CLONE_NEWTIME) {
            return Err(Error::new(b"time offsets need a new time namespace"));
        }
        let mut joined = Joined { files: [-1; 8], own_pid: -1, own_time: -1 };
        let opened = joined.open_all(c).and_then(|()| joined.check_host(c));
        if opened.is_err() {
            joined.close();
        }
        opened.map(|()| Some(joined))
    }

    fn open_all(&mut self, c: &Container<'_>) -> Result<(), Error> {
        for j in &c.joins {
            let slot = JOIN_ORDER.iter().position(|&t| t == j.namespace).unwrap_or_default();
            let fd = sys::open(j.path, O_RDONLY | O_CLOEXEC, 0).map_err(|e| {
                Error::sys_z("open", j.path, e).push(b" (to join its ").push(namespace_name(j.namespace)).push(b" namespace)")
            })?;
            self.files[slot] = fd;
            match sys::ns_get_nstype(fd) {
                Ok(t) if t == j.namespace => {}
                Ok(t) => return Err(what(j.namespace, j.path).push(b": a ").push(namespace_name(t)).push(b" namespace, not ").push(namespace_name(j.namespace))),
                Err(_) => return Err(what(j.namespace, j.path).push(b": not a namespace file")),
            }
        }
        if c.joins(CLONE_NEWPID) {
            self.own_pid = open_own(b"pid")?;
        }
        if c.joins(CLONE_NEWTIME) || c.time_offsets.is_some() {
            self.own_time = open_own(b"time")?;
        }
        Ok(())
    }

    /// Refuses a joined namespace that is the host's (`is_host`) where the
    /// container would change it: its mounts (a root, mounts, masked or
    /// read-only paths: `pivot_root` there moves every process of the
    /// host), its hostname. Sysctls: `kernel::check_sysctls`.
    fn check_host(&self, c: &Container<'_>) -> Result<(), Error> {
        let mounts = c.root.is_some()
            || c.overlay.is_some()
            || !c.mounts.is_empty()
            || !c.masked_paths.is_empty()
            || !c.readonly_paths.is_empty()
            || c.rootfs_propagation != 0;
        let hostname = c.hostname.is_some() || c.domainname.is_some();
        for (namespace, change, what) in [(CLONE_NEWNS, mounts, &b"change its mounts"[..]), (CLONE_NEWUTS, hostname, b"set its hostname")] {
            if let Some(j) = c.joins.iter().find(|j| j.namespace == namespace).filter(|_| change)
                && self.is_host(namespace)?
            {
                return Err(what_host(namespace, j.path).push(b": the container would ").push(what));
            }
        }
        Ok(())
    }

    fn close(&self) {
        for fd in self.files.iter().chain([&self.own_pid, &self.own_time]) {
            if *fd >= 0 {
                let _ = sys::close(*fd);
            }
        }
    }

    fn file(&self, namespace: u32) -> Option<Fd> {
        JOIN_ORDER.iter().position(|&t| t == namespace).map(|i| self.files[i]).filter(|&fd| fd >= 0)
    }

    /// Whether the namespace joined of type `namespace` is the host's:
    /// nsinit's own, or PID 1's (when nsinit runs in namespaces of its
    /// own, PID 1's are the host's). `false` when none is joined; `true`
    /// when nsinit's own cannot be compared.
    pub fn is_host(&self, namespace: u32) -> Result<bool, Error> {
        let Some(fd) = self.file(namespace) else { return Ok(false) };
        let id = |fd| sys::fstat(fd).ok().map(|st| (st.st_dev, st.st_ino));
        let joined = id(fd);
        let same = |other: Option<(u64, u64)>| joined.is_none() || other.is_none() || joined == other;
        let own = OwnedFd(open_own(namespace_name(namespace))?);
        if same(id(own.0)) {
            return Ok(true);
        }
        // PID 1's, where nsinit may look (not with hidepid, nor rootless).
        let mut path = ZBuf::<32>::from_parts(&[b"/proc/1/ns/", namespace_name(namespace)]).unwrap_or_default();
        Ok(sys::open(path.zstr(), O_RDONLY | O_CLOEXEC, 0).map(OwnedFd).is_ok_and(|first| same(id(first.0))))
    }

    /// In nsinit, before it starts any task: enters the joined time
    /// namespace, or makes the new one with `c`'s offsets (`setns` into a
    /// time namespace wants no other task sharing nsinit's memory). `back`
    /// undoes it.
    pub fn before_tasks(&self, c: &Container<'_>) -> Result<(), Error> {
        let time = match (self.file(CLONE_NEWTIME), c.time_offsets) {
            (Some(fd), _) => sys::setns(fd, CLONE_NEWTIME).map_err(|e| Error::of("setns time", e).push(b" (joining the time namespace)")),
            (None, Some(offsets)) => sys::unshare(CLONE_NEWTIME)
                .map_err(|e| Error::of("unshare time", e))
                .and_then(|()| write_offsets(offsets)),
            (None, None) => Ok(()),
        };
        time.inspect_err(|_| self.back())
    }

    /// In nsinit, just before it starts the container's process, after any
    /// helper task (which stays in nsinit's): enters the joined pid
    /// namespace for its children.
    pub fn before_clone(&self) -> Result<(), Error> {
        match self.file(CLONE_NEWPID) {
            Some(fd) => sys::setns(fd, CLONE_NEWPID)
                .map_err(|e| Error::of("setns pid", e).push(b" (joining the pid namespace)"))
                .inspect_err(|_| self.back()),
            None => Ok(()),
        }
    }

    /// In nsinit, once the container's process has exec'd (or failed):
    /// back in its own pid and time namespaces.
    pub fn back(&self) {
        if self.own_pid >= 0 {
            let _ = sys::setns(self.own_pid, CLONE_NEWPID);
        }
        if self.own_time >= 0 {
            let _ = sys::setns(self.own_time, CLONE_NEWTIME);
        }
    }

    /// In the container's process: enters the joined namespaces, in
    /// `JOIN_ORDER`, but pid and time (see `before_tasks`, `before_clone`). After the user
    /// namespace, it becomes that namespace's root, as when nsinit makes
    /// one.
    pub fn enter(&self) -> Result<(), Error> {
        for (namespace, &fd) in JOIN_ORDER.iter().zip(&self.files) {
            if fd < 0 || *namespace == CLONE_NEWPID || *namespace == CLONE_NEWTIME {
                continue;
            }
            let name = namespace_name(*namespace);
            sys::setns(fd, *namespace).map_err(|e| Error::sys("setns", name, e).push(b" (joining the namespace)"))?;
            if *namespace == CLONE_NEWUSER {
                sys::setresgid(0)
                    .and_then(|()| sys::setresuid(0))
                    .map_err(|e| Error::of("setuid 0", e).push(b" in the joined user namespace (is 0 mapped?)"))?;
            }
        }
        Ok(())
    }
}

/// Writes `/proc/self/timens_offsets`: the offsets of the time namespace
/// nsinit's children are born in, while none is.
fn write_offsets(offsets: crate::config::TimeOffsets) -> Result<(), Error> {
    let mut text = ZBuf::<96>::new();
    for (clock, (secs, nanos)) in [(&b"monotonic "[..], offsets.monotonic), (b"boottime ", offsets.boottime)] {
        let _ = text
            .push(clock)
            .and_then(|t| if secs < 0 { t.push(b"-") } else { Ok(t) })
            .and_then(|t| t.push_num(secs.unsigned_abs(), 10))
            .and_then(|t| t.push(b" "))
            .and_then(|t| t.push_num(u64::from(nanos), 10))
            .and_then(|t| t.push(b"\n"));
    }
    let path = ZStr::new(c"/proc/self/timens_offsets");
    // One write a line: the kernel takes the whole write or none of it.
    sys::write_file(path, text.bytes()).map_err(|e| Error::sys_z("write", path, e).push(b" (time offsets)"))
}
