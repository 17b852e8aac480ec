//! The user namespace's maps, written by nsinit for its child, and the
//! identity the payload runs as (`--user`, looked up in the container's
//! own files, and `--groups`).

use super::mounts;
use super::passwd::{self, HOME_MAX, USER_FILE_MAX};
use crate::config::{Container, IdMap, MAX_GROUPS, parse_user};
use crate::error::Error;
use crate::sys::{self, Errno, OwnedFd, ZStr};
use crate::text::{Line, ZBuf};
use core::ffi::CStr;
use core::sync::atomic::{AtomicBool, Ordering};
use heapless::Vec;
use linux_raw_sys::general::{CLONE_NEWUSER, O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_PATH, O_RDONLY, RESOLVE_NO_MAGICLINKS, S_IFMT, S_IFREG};

/// Whether nsinit wrote "deny" to the container's `setgroups`: set by nsinit
/// before the container's process goes on, read by that process, which
/// shares nsinit's memory until it execs.
static SETGROUPS_DENIED: AtomicBool = AtomicBool::new(false);

/// Writes `/proc/PID/uid_map` and `gid_map`. With no map given the caller
/// is mapped to 0, which any user may do once `setgroups` is denied.
pub fn write_maps(pid: i32, c: &Container<'_>) -> Result<(), Error> {
    let (uid, gid) = (sys::geteuid(), sys::getegid());
    let own_gid = [IdMap { inside: 0, outside: gid, count: 1 }];
    let own_uid = [IdMap { inside: 0, outside: uid, count: 1 }];
    let gid_maps: &[IdMap] = if c.gid_maps.is_empty() { &own_gid } else { &c.gid_maps };
    let uid_maps: &[IdMap] = if c.uid_maps.is_empty() { &own_uid } else { &c.uid_maps };
    if uid != 0 {
        // Without this the kernel refuses an unprivileged gid_map, lest
        // dropping a group grant access that having it denied.
        write_proc(pid, b"setgroups", b"deny")?;
        SETGROUPS_DENIED.store(true, Ordering::Release);
    }
    write_map(pid, b"uid_map", uid_maps)?;
    write_map(pid, b"gid_map", gid_maps)
}

fn write_map(pid: i32, file: &[u8], maps: &[IdMap]) -> Result<(), Error> {
    let mut text = Line::new();
    for m in maps {
        text.push_u64(u64::from(m.inside)).push(b" ").push_u64(u64::from(m.outside)).push(b" ");
        text.push_u64(u64::from(m.count)).push(b"\n");
    }
    write_proc(pid, file, text.as_bytes()).map_err(|e| {
        if sys::geteuid() != 0 {
            e.push(b" (without root, only your own uid and gid can be mapped, and only to one id: drop --uid-map/--gid-map)")
        } else {
            e
        }
    })
}

fn write_proc(pid: i32, file: &[u8], value: &[u8]) -> Result<(), Error> {
    let mut path = ZBuf::<64>::new();
    let _ = path.push(b"/proc/").and_then(|p| p.push_num(pid as u64, 10)).and_then(|p| p.push(b"/")).and_then(|p| p.push(file));
    sys::write_file(path.zstr(), value).map_err(|e| Error::sys("write", path.bytes(), e))
}

/// Where `--user`'s files are read, and its `HOME` and groups are kept: in
/// the container process's memory (`ChildMemory`), not on its stack.
pub struct UserMemory {
    files: [u8; 2 * (USER_FILE_MAX + 1)],
    pub home: ZBuf<HOME_MAX>,
    groups: Vec<u32, MAX_GROUPS>,
}

impl UserMemory {
    /// All zeros: in `.bss`, its pages touched only as far as used.
    pub const fn new() -> UserMemory {
        UserMemory { files: [0; 2 * (USER_FILE_MAX + 1)], home: ZBuf::new(), groups: Vec::new() }
    }
}

/// Resolves `--user` from the container's own `/etc/passwd` and
/// `/etc/group` (`passwd::resolve`), once its root is in place; `None`
/// without `--user`. `root`: the container's root, when it has one of its
/// own. Each file is looked up from it with `RESOLVE_IN_ROOT |
/// RESOLVE_NO_MAGICLINKS` (without a root of its own, from `/`, without
/// magic links), so that no symlink in the image leads to a host file or
/// through a `/proc` link; read only if it is a regular file, opened
/// non-blocking and never as a controlling terminal, so that a FIFO or a
/// device cannot hold the start up, and closed at once. Without the cargo
/// feature `users` the ids are numbers, and taken as ids without an entry.
pub fn resolve(c: &Container<'_>, root: Option<sys::Fd>, memory: &mut UserMemory) -> Result<Option<(u32, u32)>, Error> {
    // Checked when parsed.
    let Some(user) = c.process.user.and_then(|spec| parse_user(spec.bytes())) else { return Ok(None) };
    let extra = c.process.groups.as_deref().unwrap_or_default();
    let what = b"user database";
    let mut read = |path: &'static CStr, buf: &mut [u8]| {
        let open = |flags| match root {
            Some(root) => mounts::open_in_root(root, ZStr::new(path), flags),
            None => sys::openat2(sys::CWD, ZStr::new(path), O_CLOEXEC | flags, RESOLVE_NO_MAGICLINKS).map(OwnedFd),
        };
        // Looked at before it is opened for reading: opening a device can
        // do things (a terminal, a watchdog, a tape).
        let regular = match open(O_PATH) {
            Ok(file) => sys::fstat(file.0).is_ok_and(|st| st.st_mode & S_IFMT == S_IFREG),
            Err(Errno::ENOENT) => return Ok(0),
            Err(e) => return Err(Error::sys("open", path.to_bytes(), e)),
        };
        if !regular {
            return Err(crate::not_regular(path.to_bytes(), what));
        }
        let file = open(O_RDONLY | O_NOCTTY | O_NONBLOCK).map_err(|e| Error::sys("open", path.to_bytes(), e))?;
        crate::read_open_file(file.0, path.to_bytes(), buf, what).map(|text| text.len())
    };
    passwd::resolve(&user, extra, &mut read, &mut memory.files, &mut memory.home, &mut memory.groups).map(Some)
}

/// The payload's identity, the last step before exec: groups, then gid,
/// then uid, while the privilege to change them is still there. `who`:
/// `--user` resolved into `(uid, gid)`, its groups in `memory` (those
/// `/etc/group` gave, then `--groups`; none drops nsinit's own). Without
/// `--user`, `--groups` sets the groups only.
pub fn switch(c: &Container<'_>, who: Option<(u32, u32)>, memory: &UserMemory) -> Result<(), Error> {
    let groups = if who.is_some() { Some(&memory.groups[..]) } else { c.process.groups.as_deref() };
    if let Some(groups) = groups {
        // A user namespace made without root denies setgroups: there are no
        // groups to drop there, and the ones /etc/group gives are left out,
        // as runc leaves them; only --groups is then an error.
        let denied = c.has(CLONE_NEWUSER) && SETGROUPS_DENIED.load(Ordering::Acquire);
        match sys::setgroups(groups) {
            Err(Errno::EPERM) if denied && c.process.groups.is_none() => {}
            Err(e) if denied => return Err(Error::sys("setgroups", b"", e).push(b" (a user namespace made without root denies setgroups)")),
            r => r.map_err(|e| Error::sys("setgroups", b"", e))?,
        }
    }
    let Some((uid, gid)) = who else { return Ok(()) };
    sys::setresgid(gid).map_err(|e| Error::sys("setgid", b"", e).push(b" (is the gid mapped in the user namespace?)"))?;
    sys::setresuid(uid).map_err(|e| Error::sys("setuid", b"", e).push(b" (is the uid mapped in the user namespace?)"))
}
