//! The user namespace's maps, written by nsinit for its child, and the
//! identity the payload runs as (`--user`, `--groups`).

use crate::config::{Container, IdMap};
use crate::error::Error;
use crate::sys::{self, Errno};
use crate::text::{Line, ZBuf};
use core::sync::atomic::{AtomicBool, Ordering};
use linux_raw_sys::general::CLONE_NEWUSER;

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

/// `--user` and `--groups`, the last step before exec: groups, then gid,
/// then uid, while the privilege to change them is still there.
pub fn switch(c: &Container<'_>) -> Result<(), Error> {
    if let Some(groups) = &c.process.groups {
        sys::setgroups(groups).map_err(|e| {
            Error::sys("setgroups", b"", e).push(b" (a user namespace made without root denies setgroups)")
        })?;
    }
    let Some((uid, gid)) = c.process.user else { return Ok(()) };
    if c.process.groups.is_none() {
        // Drop the groups nsinit had. Only in a user namespace made without
        // root (its setgroups is "deny") is EPERM expected, and there are
        // none to drop; anywhere else (a profile denying it) it is an error,
        // or the payload would keep nsinit's groups.
        match sys::setgroups(&[]) {
            Ok(()) => {}
            Err(Errno::EPERM) if c.has(CLONE_NEWUSER) && SETGROUPS_DENIED.load(Ordering::Acquire) => {}
            Err(e) => return Err(Error::sys("setgroups", b"", e)),
        }
    }
    sys::setresgid(gid).map_err(|e| Error::sys("setgid", b"", e).push(b" (is the gid mapped in the user namespace?)"))?;
    sys::setresuid(uid).map_err(|e| Error::sys("setuid", b"", e).push(b" (is the uid mapped in the user namespace?)"))
}

