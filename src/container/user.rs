//! The user namespace's maps, written by nsinit for its child, and the
//! identity the payload runs as (`--user`, looked up in the container's
//! own files, and `--groups`).
//!
//! Without root the kernel lets a process map only its own uid and gid,
//! one id each. A larger map (`--uid-map 0:165536:65536`, `--userns auto`)
//! is written by the setuid helpers `newuidmap` and `newgidmap` (Debian's
//! `uidmap`), as podman and rootlesskit have it written: they let the
//! caller map only the ids `/etc/subuid` and `/etc/subgid` give it. nsinit
//! never writes such a map itself, and runs the helpers only from the
//! trusted places in `Side::paths`, never from the caller's `PATH`, with an
//! empty environment, `/dev/null` for input and output, a pipe for their
//! errors, no other descriptor and nsinit's original signal mask.

use super::mounts;
use super::process::{Ended, above_stdio, spawn_program, wait_program};
use super::passwd::{self, HOME_MAX, USER_FILE_MAX};
use crate::config::{Container, IdMap, MAX_GROUPS, MAX_ID_MAPS, parse_user};
use crate::error::Error;
use crate::rt;
use crate::sys::{self, Errno, OwnedFd, SigSet, ZStr};
use crate::text::{Line, ZBuf};
use core::ffi::CStr;
use core::sync::atomic::{AtomicBool, Ordering};
use heapless::Vec;
use linux_raw_sys::general::{
    CLONE_NEWUSER, O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, RESOLVE_NO_MAGICLINKS, S_IFMT,
    S_IFREG,
};

/// Whether nsinit wrote "deny" to the container's `setgroups`: set by nsinit
/// before the container's process goes on, read by that process, which
/// shares nsinit's memory until it execs.
static SETGROUPS_DENIED: AtomicBool = AtomicBool::new(false);

/// The longest user name (`LOGIN_NAME_MAX`, NUL included).
const NAME_MAX: usize = 256;

/// The uid or the gid side of the maps: what differs between the two.
struct Side {
    /// `uid` or `gid`.
    name: &'static [u8],
    /// The option that gives this map, for errors.
    option: &'static [u8],
    /// The helper that writes it without root, by its name.
    helper: &'static [u8],
    /// Where the helper is looked for, in order: where every distribution's
    /// `uidmap` or `shadow` package puts it, then NixOS's setuid wrappers.
    /// Only root can place a program there; the caller's `PATH` is not
    /// used, so that nothing in nsinit's environment chooses what writes
    /// the maps.
    paths: [&'static CStr; 2],
    /// The file in `/proc/PID` the map goes to.
    proc_file: &'static [u8],
    /// The subordinate ids' file.
    subordinate: &'static CStr,
}

const UIDS: Side = Side {
    name: b"uid",
    option: b"--uid-map",
    helper: b"newuidmap",
    paths: [c"/usr/bin/newuidmap", c"/run/wrappers/bin/newuidmap"],
    proc_file: b"uid_map",
    subordinate: c"/etc/subuid",
};
const GIDS: Side = Side {
    name: b"gid",
    option: b"--gid-map",
    helper: b"newgidmap",
    paths: [c"/usr/bin/newgidmap", c"/run/wrappers/bin/newgidmap"],
    proc_file: b"gid_map",
    subordinate: c"/etc/subgid",
};

/// The maps of the user namespaces of one run, and how each is written:
/// made before the first container starts.
pub struct Maps {
    uid: Vec<IdMap, MAX_ID_MAPS>,
    gid: Vec<IdMap, MAX_ID_MAPS>,
    /// nsinit runs without root: only its own ids may it map itself.
    unprivileged: bool,
    /// The helper that writes a map nsinit may not write, by its path.
    uid_helper: Option<&'static CStr>,
    gid_helper: Option<&'static CStr>,
}

impl Maps {
    /// The maps `c` asks for (by default the caller's own uid and gid as 0;
    /// with `--userns auto` those and then the caller's subordinate ids),
    /// and, without root, the helper for each map the kernel would not let
    /// nsinit write. Errors name what is missing: the helper, the caller's
    /// name in `/etc/passwd`, its entry in `/etc/subuid` or `/etc/subgid`.
    /// Made once a run, in static memory: the description of a start stays
    /// a few words on the stack.
    #[inline(never)]
    pub fn new(c: &Container<'_>) -> Result<&'static Maps, Error> {
        static MAPS: rt::StaticCell<Maps> = rt::StaticCell::new(Maps {
            uid: Vec::new(),
            gid: Vec::new(),
            unprivileged: false,
            uid_helper: None,
            gid_helper: None,
        });
        let maps = MAPS.take().ok_or_else(|| Error::new(b"user namespace maps taken"))?;
        let (uid, gid) = (sys::geteuid(), sys::getegid());
        let own = |id| Vec::from_slice(&[IdMap { inside: 0, outside: id, count: 1 }]).unwrap_or_default();
        maps.uid = if c.uid_maps.is_empty() { own(uid) } else { c.uid_maps.clone() };
        maps.gid = if c.gid_maps.is_empty() { own(gid) } else { c.gid_maps.clone() };
        maps.unprivileged = uid != 0;
        if c.userns_auto {
            maps.uid_helper = Some(auto_helper(&UIDS, uid)?);
            maps.gid_helper = Some(auto_helper(&GIDS, uid)?);
            subordinate_maps(maps, uid)?;
        } else if maps.unprivileged {
            if needs_helper(&maps.uid, uid) {
                maps.uid_helper = Some(helper(&UIDS, &maps.uid, uid, uid)?);
            }
            if needs_helper(&maps.gid, gid) {
                maps.gid_helper = Some(helper(&GIDS, &maps.gid, gid, uid)?);
            }
        }
        Ok(maps)
    }
}

/// Whether a map is more than the kernel lets a process without root
/// write: one line, mapping its own id `own`, and only it.
fn needs_helper(map: &[IdMap], own: u32) -> bool {
    !matches!(map, [IdMap { outside, count: 1, .. }] if *outside == own)
}

/// `--userns auto`'s helper for `side`: it is for callers without root.
#[cold]
fn auto_helper(side: &Side, uid: u32) -> Result<&'static CStr, Error> {
    if uid == 0 {
        return Err(Error::new(b"--userns auto maps a caller's own and subordinate ids, for a caller without root; as root, give --uid-map and --gid-map"));
    }
    find_helper(side).ok_or_else(|| missing_helper(Error::new(b"--userns auto"), side, uid))
}

/// The helper for `map`, a map of `side` that needs one; `uid` is the caller's.
#[cold]
fn helper(side: &Side, map: &[IdMap], own: u32, uid: u32) -> Result<&'static CStr, Error> {
    find_helper(side).ok_or_else(|| {
        // Name the first line beyond what the caller may map itself.
        let beyond = map.iter().position(|m| m.outside != own || m.count != 1).unwrap_or(0);
        let e = Error::new(side.option).push(b" ");
        missing_helper(push_map(e, map.get(beyond..beyond + 1).unwrap_or_default()), side, uid)
    })
}

/// Adds `map` to the message as `IN:OUT:COUNT IN:OUT:COUNT...`.
fn push_map(mut e: Error, map: &[IdMap]) -> Error {
    for (i, m) in map.iter().enumerate() {
        let sep: &[u8] = if i == 0 { b"" } else { b" " };
        e = e.push(sep).push_u64(u64::from(m.inside)).push(b":").push_u64(u64::from(m.outside)).push(b":").push_u64(u64::from(m.count));
    }
    e
}

/// `WHAT needs newuidmap (apt-get install uidmap) and an /etc/subuid entry for USER`.
#[cold]
fn missing_helper(e: Error, side: &Side, uid: u32) -> Error {
    let e = e.push(b" needs ").push(side.helper).push(b" (apt-get install uidmap) and an ");
    let e = e.push(side.subordinate.to_bytes()).push(b" entry for ");
    match account_name(uid) {
        Some(name) => e.push(&name),
        None => e.push(b"uid ").push_u64(u64::from(uid)).push(b", which needs a name in /etc/passwd"),
    }
}

/// The first of `side`'s paths that holds its helper, a regular file.
fn find_helper(side: &Side) -> Option<&'static CStr> {
    side.paths.into_iter().find(|path| sys::stat_mode(ZStr::new(path)).is_ok_and(|mode| mode & S_IFMT == S_IFREG))
}

/// `--userns auto`: the caller's own uid and gid as 0, then each of its
/// ranges in `/etc/subuid` and `/etc/subgid`, in the files' order, from 1:
/// the map rootless podman and rootlesskit make. The ranges are the
/// caller's by its name or its uid, as `newuidmap` reads them.
#[cold]
fn subordinate_maps(maps: &mut Maps, uid: u32) -> Result<(), Error> {
    let name = account_name(uid).ok_or_else(|| {
        Error::new(b"--userns auto: uid ").push_u64(u64::from(uid)).push(b" has no name in /etc/passwd, which newuidmap needs")
    })?;
    for (side, map) in [(&UIDS, &mut maps.uid), (&GIDS, &mut maps.gid)] {
        let mut full = false;
        let read = each_line(ZStr::new(side.subordinate), &mut |line| {
            if let Some((start, count)) = subordinate_range(line, &name, uid) {
                full = push_range(map, start, count).is_err();
            }
            full
        });
        let file = side.subordinate.to_bytes();
        read.map_err(|e| Error::sys("read", file, e).push(b" (--userns auto)"))?;
        if full {
            return Err(Error::new(b"--userns auto: ").push(file).push(b" gives ").push(&name).push(b" more than a map holds (7 ranges, 2^32 ids)"));
        }
        if map.len() < 2 {
            return Err(Error::new(b"--userns auto: no ").push(file).push(b" entry for ").push(&name).push(b" (as root: usermod --add-sub")
                .push(side.name).push(b"s")
                .push(b" FIRST-LAST ").push(&name).push(b")"));
        }
    }
    Ok(())
}

/// `OWNER:START:COUNT`, a line of `/etc/subuid` or `/etc/subgid`: its range
/// when OWNER is `name` or the decimal `uid`.
fn subordinate_range(line: &[u8], name: &[u8], uid: u32) -> Option<(u32, u32)> {
    let mut fields = line.split(|&c| c == b':');
    let owner = fields.next()?;
    if owner != name && crate::config::parse_number(owner) != Some(u64::from(uid)) {
        return None;
    }
    let start = u32::try_from(crate::config::parse_number(fields.next()?)?).ok()?;
    let count = u32::try_from(crate::config::parse_number(fields.next()?)?).ok()?;
    (fields.next().is_none() && count > 0 && start.checked_add(count).is_some()).then_some((start, count))
}

/// Adds the range to `map` after its last inside id. `Err` when the map
/// is full or the inside ids would go past 2^32.
fn push_range(map: &mut Vec<IdMap, MAX_ID_MAPS>, start: u32, count: u32) -> Result<(), ()> {
    let inside = map.last().map_or(Some(0), |m| m.inside.checked_add(m.count)).ok_or(())?;
    inside.checked_add(count).ok_or(())?;
    map.push(IdMap { inside, outside: start, count }).map_err(drop)
}

/// The name of `uid` in `/etc/passwd`, as `newuidmap` looks it up.
fn account_name(uid: u32) -> Option<Vec<u8, NAME_MAX>> {
    let mut name = None;
    let _ = each_line(ZStr::new(c"/etc/passwd"), &mut |line| {
        name = passwd_name(line, uid).and_then(|n| Vec::from_slice(n).ok());
        name.is_some()
    });
    name
}

/// `NAME:PASSWORD:UID:...`, a line of `/etc/passwd`: NAME, when UID is `uid`.
fn passwd_name(line: &[u8], uid: u32) -> Option<&[u8]> {
    let mut fields = line.split(|&c| c == b':');
    let name = fields.next().filter(|n| !n.is_empty())?;
    let _password = fields.next()?;
    (crate::config::parse_number(fields.next()?) == Some(u64::from(uid))).then_some(name)
}

/// Calls `f` on each line of the file at `path`, without its newline, until
/// `f` returns true. A line longer than the buffer is passed over: no
/// line of these files is that long.
fn each_line(path: ZStr<'_>, f: &mut dyn FnMut(&[u8]) -> bool) -> Result<(), Errno> {
    let file = OwnedFd(sys::open(path, O_RDONLY | O_CLOEXEC, 0)?);
    let mut buf = [0u8; 4096];
    let (mut kept, mut overlong) = (0, false);
    loop {
        let n = sys::read(file.0, &mut buf[kept..])?;
        let end = kept + n;
        let mut start = 0;
        while let Some(i) = buf[start..end].iter().position(|&c| c == b'\n') {
            if !overlong && f(&buf[start..start + i]) {
                return Ok(());
            }
            overlong = false;
            start += i + 1;
        }
        if n == 0 {
            if start < end && !overlong {
                f(&buf[start..end]);
            }
            return Ok(());
        }
        buf.copy_within(start..end, 0);
        kept = end - start;
        if kept == buf.len() {
            (kept, overlong) = (0, true);
        }
    }
}

/// Writes `/proc/PID/uid_map` and `gid_map`, each itself or through its
/// helper. `mask`: the signal mask nsinit started with, for the helpers.
pub fn write_maps(pid: i32, maps: &Maps, mask: Option<SigSet>) -> Result<(), Error> {
    if maps.unprivileged && maps.gid_helper.is_none() {
        // Without this the kernel refuses an unprivileged gid_map, lest
        // dropping a group grant access that having it denied. (A helper
        // that writes the gid map decides this itself: newgidmap allows
        // setgroups for ids /etc/subgid gives the caller.)
        write_proc(pid, b"setgroups", b"deny")?;
        SETGROUPS_DENIED.store(true, Ordering::Release);
    }
    for (side, map, helper) in [(&UIDS, &maps.uid, &maps.uid_helper), (&GIDS, &maps.gid, &maps.gid_helper)] {
        match helper {
            Some(path) => run_helper(path, side, pid, map, mask)?,
            None => write_map(pid, side.proc_file, map)?,
        }
    }
    Ok(())
}

impl Maps {
    /// The uid and the gid map.
    pub fn lines(&self) -> (&[IdMap], &[IdMap]) {
        (&self.uid, &self.gid)
    }
}

/// A user namespace whose maps are `uid` and `gid`, for an idmapped mount,
/// made as crun makes one: a task started in a new user namespace waits
/// while nsinit writes its maps and opens it (`/proc/PID/ns/user`), and
/// is then killed and reaped. Errors: the kernel's, naming the step.
#[cold]
#[inline(never)]
pub fn namespace_with(uid: &[IdMap], gid: &[IdMap]) -> Result<OwnedFd, Error> {
    static NEVER: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);
    let mut stack = [0u8; 1024];
    let mut wait = || {
        let _ = sys::prctl(linux_raw_sys::prctl::PR_SET_PDEATHSIG, linux_raw_sys::general::SIGKILL as usize);
        loop {
            let _ = sys::futex_wait(&NEVER, 0);
        }
    };
    let pid = sys::clone3_vm(u64::from(CLONE_NEWUSER), None, &mut stack, &mut wait, None)
        .map_err(|e| Error::of("clone3", e).push(b" (a user namespace for idmap)"))?;
    let mut path = ZBuf::<64>::new();
    let _ = path.push(b"/proc/").and_then(|p| p.push_num(pid as u64, 10)).and_then(|p| p.push(b"/ns/user"));
    let made = write_map(pid, b"uid_map", uid)
        .and_then(|()| write_map(pid, b"gid_map", gid))
        .and_then(|()| sys::open(path.zstr(), O_RDONLY | O_CLOEXEC, 0).map(OwnedFd).map_err(|e| Error::sys("open", path.bytes(), e)));
    let _ = sys::kill(pid, linux_raw_sys::general::SIGKILL);
    while let Err(Errno::EINTR) = sys::wait4(pid, 0) {}
    core::hint::black_box(&mut stack);
    made
}

fn write_map(pid: i32, file: &[u8], maps: &[IdMap]) -> Result<(), Error> {
    let mut text = Line::new();
    for m in maps {
        text.push_u64(u64::from(m.inside)).push(b" ").push_u64(u64::from(m.outside)).push(b" ");
        text.push_u64(u64::from(m.count)).push(b"\n");
    }
    write_proc(pid, file, text.as_bytes())
}

fn write_proc(pid: i32, file: &[u8], value: &[u8]) -> Result<(), Error> {
    let mut path = ZBuf::<64>::new();
    let _ = path.push(b"/proc/").and_then(|p| p.push_num(pid as u64, 10)).and_then(|p| p.push(b"/")).and_then(|p| p.push(file));
    sys::write_file(path.zstr(), value).map_err(|e| Error::sys("write", path.bytes(), e))
}

/// Most bytes of a helper's error output kept for nsinit's message.
const HELPER_ERROR_MAX: usize = 256;

/// Runs the helper at `path` as `HELPER PID INSIDE OUTSIDE COUNT...` to
/// write `map` for the process `pid`, and waits for it. It fails when the
/// helper does, with the first line the helper wrote on its stderr:
/// `nsinit: uid map 0:100000:65536: /usr/bin/newuidmap failed (exit status 1): newuidmap: ...`.
#[cold]
#[inline(never)]
fn run_helper(path: &'static CStr, side: &Side, pid: i32, map: &[IdMap], mask: Option<SigSet>) -> Result<(), Error> {
    let program = ZStr::new(path);
    let path = path.to_bytes();
    // `PID\0INSIDE\0OUTSIDE\0COUNT\0...`: at most 25 numbers of 10 digits.
    let mut words = Line::new();
    words.push_u64(pid as u64).push(b"\0");
    for n in map.iter().flat_map(|m| [m.inside, m.outside, m.count]) {
        words.push_u64(u64::from(n)).push(b"\0");
    }
    let mut argv: [Option<ZStr<'_>>; 3 + 3 * MAX_ID_MAPS] = [None; 3 + 3 * MAX_ID_MAPS];
    argv[0] = Some(program);
    let mut rest = words.as_bytes();
    for arg in &mut argv[1..] {
        *arg = ZStr::from_bytes_until_nul(rest);
        let Some(word) = arg else { break };
        rest = rest.get(word.bytes().len() + 1..).unwrap_or_default();
    }
    let null = sys::open(ZStr::new(c"/dev/null"), O_RDWR | O_CLOEXEC, 0).map(OwnedFd).and_then(above_stdio);
    let null = null.map_err(|e| Error::of("open /dev/null", e))?;
    let [err_r, err_w] = sys::pipe2(O_CLOEXEC).map_err(|e| Error::of("pipe2", e))?;
    let err_r = OwnedFd(err_r);
    let err_w = above_stdio(OwnedFd(err_w)).map_err(|e| Error::of("fcntl F_DUPFD_CLOEXEC", e))?;
    let started = spawn_program(program, &argv, &[None], [null.0, null.0, err_w.0], mask);
    drop((null, err_w));
    let helper_pid = started.map_err(|(step, e)| Error::sys(step, path, e))?;
    // Without a time limit it cannot time out.
    let Ended::Status(status) = wait_program(helper_pid, None).map_err(|(step, e)| Error::sys(step, path, e))? else {
        return Err(Error::new(path).push(b" timed out"));
    };
    if status == 0 {
        return Ok(());
    }
    let mut said = [0u8; HELPER_ERROR_MAX];
    let said = sys::read(err_r.0, &mut said).map_or(&[][..], |n| &said[..n]);
    let first_line = said.split(|&c| c == b'\n').next().unwrap_or_default();
    let mut e = push_map(Error::new(side.name).push(b" map "), map);
    e = e.push(b": ").push(path).push(b" failed (exit status ").push_u64(super::exit_code(status) as u64).push(b")");
    if !first_line.is_empty() {
        e = e.push(b": ").push(first_line);
    }
    Err(e)
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
            Err(e) if denied => return Err(Error::of("setgroups", e).push(b" (a user namespace made without root denies setgroups)")),
            r => r.map_err(|e| Error::of("setgroups", e))?,
        }
    }
    let Some((uid, gid)) = who else { return Ok(()) };
    sys::setresgid(gid).map_err(|e| Error::of("setgid", e).push(b" (is the gid mapped in the user namespace?)"))?;
    sys::setresuid(uid).map_err(|e| Error::of("setuid", e).push(b" (is the uid mapped in the user namespace?)"))
}


#[cfg(test)]
mod tests {
    use super::*;

    fn map(lines: &[(u32, u32, u32)]) -> Vec<IdMap, MAX_ID_MAPS> {
        lines.iter().map(|&(inside, outside, count)| IdMap { inside, outside, count }).collect()
    }

    #[test]
    fn only_ones_own_id_alone_is_written_without_a_helper() {
        assert!(!needs_helper(&map(&[(0, 1000, 1)]), 1000));
        assert!(!needs_helper(&map(&[(5, 1000, 1)]), 1000), "anywhere inside");
        assert!(needs_helper(&map(&[(0, 1000, 2)]), 1000));
        assert!(needs_helper(&map(&[(0, 0, 1)]), 1000));
        assert!(needs_helper(&map(&[(0, 1000, 1), (1, 165536, 65536)]), 1000));
        assert!(needs_helper(&map(&[]), 1000));
    }

    #[test]
    fn subordinate_lines_are_the_callers_by_name_or_uid() {
        assert_eq!(subordinate_range(b"alice:165536:65536", b"alice", 1000), Some((165536, 65536)));
        assert_eq!(subordinate_range(b"1000:100000:10", b"alice", 1000), Some((100000, 10)));
        for other in [&b"bob:165536:65536"[..], b"alicex:1:1", b"1001:1:1", b"alice:1", b"alice:1:0", b"alice:x:1", b"alice:1:1:1", b"", b"alice:4294967295:2"] {
            assert_eq!(subordinate_range(other, b"alice", 1000), None, "{:?}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn passwd_lines_give_the_name_of_a_uid() {
        assert_eq!(passwd_name(b"alice:x:1000:1000::/home/alice:/bin/sh", 1000), Some(&b"alice"[..]));
        assert_eq!(passwd_name(b"alice:x:1000:1000::/home/alice:/bin/sh", 100), None);
        assert_eq!(passwd_name(b":x:1000:1000::/:/bin/sh", 1000), None, "no name");
        assert_eq!(passwd_name(b"alice:x:10x0:1000", 1000), None);
        assert_eq!(passwd_name(b"alice", 1000), None);
    }

    #[test]
    fn ranges_follow_one_another_inside() {
        let mut m = map(&[(0, 1000, 1)]);
        push_range(&mut m, 165536, 65536).unwrap();
        push_range(&mut m, 300000, 5).unwrap();
        assert_eq!(m, map(&[(0, 1000, 1), (1, 165536, 65536), (65537, 300000, 5)]));
        // Past 2^32 inside, or past the map's capacity: refused, never cut.
        assert!(push_range(&mut map(&[(0, 1000, 1)]), 1, u32::MAX).is_err());
        let mut full = map(&[(0, 1000, 1)]);
        for i in 0..MAX_ID_MAPS as u32 - 1 {
            push_range(&mut full, 100000 + i * 10, 10).unwrap();
        }
        assert!(push_range(&mut full, 500000, 10).is_err());
    }
}
