//! The mounts of `--proc`, `--sysfs`, `--tmpfs`, `--bind`, `--ro-bind`,
//! `--dev`, `--mqueue`, and `--mount` or `config.json`'s of any
//! filesystem type with its flags, data, propagation and recursive
//! attributes, made under the new root before `pivot_root`.
//! Where the kernel refuses a new sysfs or cgroup filesystem to a user
//! namespace, the host's is bound read-only instead, as runc does.
//!
//! Inside a rootfs, every mount point is looked up from the rootfs with
//! `openat2(RESOLVE_IN_ROOT)` and the mount is made on the descriptor (from
//! it as the working directory, or through `/proc/self/fd` for a file and
//! for a filesystem whose source or data may name relative host paths): a
//! symlink in the rootfs resolves as it would inside the container, and can
//! never lead a mount, or a created mount point, onto the host (the runc
//! CVE-2019-16884 and CVE-2021-30465 classes). A missing mount
//! point is created only inside a rootfs: without one it would be created on
//! the host and outlive the container.
//!
//! A mount on the root (`/`, `//`, `/.`, or a symlink in the image that
//! leads there) is stacked on top of it, where no lookup that starts at the
//! root would see it: after a mount that may have landed there (its
//! destination is the root by name, a lookup since followed a symlink or
//! `..`, or a propagation was set, which lets the kernel copy a mount onto
//! the root) the root is found again from the top, so each later step sees
//! the mounts made before it. Without a rootfs,
//! a mount on `/` makes the container's root, as bubblewrap's do: later
//! mounts go on top of it, mount points are created in it, and nsinit pivots
//! into it (`--bind SRC /` is `--rootfs SRC --bare`, `--ro-bind SRC /` also
//! `--read-only`).

use super::devices::{DEFAULT_DEVICES, DEV_LINKS};
use crate::config::{Container, IdMap, MAX_MOUNTS, Mount, MountKind, PATH_MAX};
use core::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use linux_raw_sys::general::{
    AT_EMPTY_PATH, AT_RECURSIVE, CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, FSMOUNT_CLOEXEC, FSOPEN_CLOEXEC, MOUNT_ATTR__ATIME, MOUNT_ATTR_IDMAP,
    MOUNT_ATTR_NOATIME, MOUNT_ATTR_NODEV, MOUNT_ATTR_NODIRATIME, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NOSYMFOLLOW,
    MOUNT_ATTR_RDONLY, MOUNT_ATTR_RELATIME, MOUNT_ATTR_STRICTATIME, MS_BIND, MS_NOATIME, MS_NODEV, MS_NODIRATIME, MS_NOEXEC,
    MS_NOSUID, MS_NOSYMFOLLOW, MS_RDONLY, MS_REC, MS_RELATIME, MS_REMOUNT, MS_SHARED, MS_SLAVE, MS_STRICTATIME, O_CLOEXEC, O_DIRECTORY, O_PATH, O_RDONLY, OPEN_TREE_CLOEXEC, OPEN_TREE_CLONE,
    PROC_SUPER_MAGIC, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, S_IFDIR, S_IFMT, S_IFREG, SYSFS_MAGIC, mount_attr,
};
use crate::error::Error;
use crate::sys::{self, Errno, Fd, OwnedFd, ZStr};
use crate::text::ZBuf;
use heapless::Vec;
use core::cell::Cell;
use core::ffi::CStr;

/// The container's root before `pivot_root`: the mount on top at the
/// rootfs's place. `path` names it in errors.
pub struct Root<'a> {
    pub path: ZStr<'a>,
    pub fd: OwnedFd,
    /// Whether a lookup from `fd` may have ended on the root itself through
    /// a symlink or `..` since the root was last found again: then the
    /// next mount may have been stacked on the root (see `after_mount`).
    pub maybe_root: Cell<bool>,
    /// Whether a mount was given a propagation (`shared`, `slave`, ...):
    /// from then on a mount anywhere may be copied onto the root by the
    /// kernel (a bind of the root, shared with it, is its peer), so the root
    /// is found again after every mount.
    pub propagating: Cell<bool>,
    /// Whether a lookup from `fd` followed a symlink or `..` since
    /// `mount_point` last cleared it: then the mount point is not the
    /// place named, and `mount_point` checks where it is.
    pub linked: Cell<bool>,
}

/// How often a lookup of `..` is retried when the kernel cannot tell it
/// stayed in the root because a mount or rename ran at the same time.
const DOTDOT_RETRIES: usize = 16;

impl<'a> Root<'a> {
    /// The root at `fd`, named `path` in errors.
    pub fn new(path: ZStr<'a>, fd: OwnedFd) -> Root<'a> {
        Root { path, fd, maybe_root: Cell::new(false), propagating: Cell::new(false), linked: Cell::new(false) }
    }

    /// Finds the root again from the top of its place, so that a mount just
    /// made on it is seen. `..` from the root stays at the root
    /// (`RESOLVE_IN_ROOT`) and then, as every step of a lookup does, crosses
    /// onto whatever is mounted there: the kernel's `follow_dotdot`.
    pub fn follow_mounts(&mut self) -> Result<(), Error> {
        let top = top_of(self.fd.0).map_err(|e| Error::sys_z("open", self.path, e).push(b" (the root, after a mount on it)"))?;
        self.fd = top;
        self.maybe_root.set(false);
        Ok(())
    }
}

/// The mount on top of the root directory `root`, from `..` in it.
fn top_of(root: Fd) -> Result<OwnedFd, Errno> {
    open_in_root(root, ZStr::new(c".."), O_PATH | O_DIRECTORY)
}

/// Opens `path` (with `flags`, close-on-exec) as the container would see it from
/// its root `root`: confined to it (`RESOLVE_IN_ROOT`), no `/proc` magic
/// link followed. A lookup through `..` that a mount or rename elsewhere
/// made the kernel unsure of (EAGAIN) is tried again.
pub fn open_in_root(root: Fd, path: ZStr<'_>, flags: u32) -> Result<OwnedFd, Errno> {
    let mut tries = 0;
    loop {
        match sys::openat2(root, path, O_CLOEXEC | flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) {
            Err(Errno::EAGAIN) if tries < DOTDOT_RETRIES => tries += 1,
            r => return r.map(OwnedFd),
        }
    }
}

/// Whether `path` names the root itself: only `/` and `.` in it.
pub fn is_root(path: &[u8]) -> bool {
    path.split(|&c| c == b'/').all(|part| part.is_empty() || part == b".")
}

/// After a mount on `dst`: inside a root, find the root again from the top
/// when the mount may have landed on it (`dst` is `/`, a lookup since
/// followed a symlink or `..`: `in_root`, or a propagation was set, which
/// may copy any mount onto the root: `Root::propagating`); without one, a
/// mount on `/` becomes the container's root. A lookup that followed neither from the
/// root, through at least one name, ends below it: a mount there is seen by
/// every later lookup from the root, which crosses onto it on the way.
fn after_mount<'a>(dst: ZStr<'_>, root: &mut Option<Root<'a>>) -> Result<(), Error> {
    match root {
        Some(root) if is_root(dst.bytes()) || root.maybe_root.get() || root.propagating.get() => root.follow_mounts(),
        Some(_) => Ok(()),
        None if is_root(dst.bytes()) => {
            let host = sys::open(ZStr::new(c"/"), O_PATH | O_DIRECTORY | O_CLOEXEC, 0)
                .map(OwnedFd)
                .map_err(|e| Error::of("open /", e))?;
            let top = top_of(host.0).map_err(|e| Error::of("open /", e).push(b" (the mount on it)"))?;
            *root = Some(Root::new(ZStr::new(c"/"), top));
            Ok(())
        }
        None => Ok(()),
    }
}

/// The namespaces of the container's own that change what a mount shows,
/// new or joined: the network namespace (sysfs) and the cgroup namespace
/// (the cgroup view: outside one, the host's tree is the container's view).
#[derive(Clone, Copy)]
pub struct Own {
    pub net: bool,
    pub cgroup: bool,
    /// The v1 hierarchies the container has a cgroup of its own in
    /// (`Cgroup::v1_hierarchies`): outside a cgroup namespace, the OCI
    /// cgroup mount shows the others read-only.
    pub cgroups: u16,
}

/// What to create for a missing mount point.
#[derive(Clone, Copy, PartialEq)]
pub enum Point {
    Dir,
    File,
}

/// Makes the mount `m`; see the module's text for the root. `own`: the
/// container's own namespaces that change what a mount shows. Its propagation, and
/// the recursive attributes of any but a bind (whose are set before it is
/// attached), are set once it is made, on the mount found again at `dst`.
#[inline(never)]
pub fn mount<'a>(m: &Mount<'_>, root: &mut Option<Root<'a>>, own: Own) -> Result<(), Error> {
    make_mount(m, root.as_ref(), own)?;
    after_mount(m.destination, root)?;
    if cfg!(feature = "mounts") && (m.propagation != 0 || (m.attr_set | m.attr_clr != 0 && !is_bind(m))) {
        finish_mount(m, root.as_ref())?;
    }
    // Only a shared or slave mount takes part in propagation: a private
    // or unbindable one (runc's and podman's `rprivate` binds) copies
    // nothing onto the root, and finding the root again after every later
    // mount took two calls a mount, 40 of a create under podman.
    if let (Some(root), true) = (root.as_ref(), m.propagation & (MS_SHARED | MS_SLAVE) != 0) {
        root.propagating.set(true);
    }
    Ok(())
}

/// Refuses, before anything is made, a `remount` without `bind` (which
/// changes the filesystem itself, its superblock) unless the filesystem
/// is a tmpfs the container made just before at the same destination
/// (remounts of it between): any other may be shared with the host (the
/// root, a bind, a host mount under the root, and sysfs, cgroup2, mqueue
/// or proc, whose superblocks go by namespace), which a remount `ro`
/// would make read-only for the host too. A `bind` remount changes the
/// mount point alone.
pub fn check_remounts(mounts: &[Mount<'_>]) -> Result<(), Error> {
    let superblock = |m: &Mount<'_>| m.flags & (MS_REMOUNT | MS_BIND) == MS_REMOUNT;
    for (i, m) in mounts.iter().enumerate().filter(|(_, m)| superblock(m)) {
        let made = mounts[..i].iter().rev().find(|e| !(superblock(e) && e.destination == m.destination));
        let own_tmpfs = made.is_some_and(|e| {
            e.destination == m.destination
                && (e.kind == MountKind::Tmpfs
                    || (e.kind == MountKind::Other && e.flags & (MS_BIND | MS_REMOUNT) == 0 && e.fstype.is_some_and(|t| t.bytes() == b"tmpfs")))
        });
        if !own_tmpfs {
            return Err(Error::new(b"mount ").push_z(m.destination).push(
                b": remount without bind changes the filesystem, not a tmpfs this container made before: add bind to change the mount point alone",
            ));
        }
    }
    Ok(())
}

/// Whether `m` binds its source: `--bind`, or `bind`/`rbind` but not a
/// remount (which changes the mount already there).
fn is_bind(m: &Mount<'_>) -> bool {
    m.kind == MountKind::Bind || (m.kind == MountKind::Other && m.flags & (MS_BIND | MS_REMOUNT) == MS_BIND)
}

#[inline(never)]
fn make_mount(m: &Mount<'_>, root: Option<&Root<'_>>, own: Own) -> Result<(), Error> {
    let dst = m.destination;
    let fstype = match m.kind {
        MountKind::Sysfs => return sysfs(dst, root, m.flags, own.net),
        MountKind::Dev => return dev(dst, root),
        MountKind::Cgroup => return cgroup_fs(dst, root, m.flags, own, m.own_cgroups),
        _ if is_bind(m) => return bind(m, root),
        MountKind::Proc => ZStr::new(c"proc"),
        MountKind::Mqueue => ZStr::new(c"mqueue"),
        MountKind::Tmpfs => ZStr::new(c"tmpfs"),
        _ => m.fstype.unwrap_or(ZStr::new(c"none")),
    };
    #[cfg(feature = "mounts")]
    if m.copy_up {
        return tmpfs_copied_up(m, dst, root);
    }
    // Filesystems whose source is a label and whose data names no path.
    let pathless = m.kind != MountKind::Other || crate::config::which(fstype.bytes(), "proc tmpfs devpts mqueue sysfs cgroup cgroup2").is_some();
    filesystem(fstype, pathless, m.source, dst, root, m.flags, m.data)
}

/// Mounts a filesystem of `fstype` (from `source`, by default the type's
/// name) on `dst`, with `flags` and the filesystem's `data`; `pathless`:
/// a filesystem that reads no host path (proc, tmpfs, devpts, mqueue, ...).
fn filesystem(
    fstype: ZStr<'_>,
    pathless: bool,
    source: Option<ZStr<'_>>,
    dst: ZStr<'_>,
    root: Option<&Root<'_>>,
    flags: u32,
    data: Option<ZStr<'_>>,
) -> Result<(), Error> {
    let target = mount_point(dst, root, Some(Point::Dir), || fstype.bytes() == b"proc")?;
    let source = Some(source.unwrap_or(fstype));
    // A type given as a word (`--mount`, config.json) may name host paths,
    // relative to nsinit's working directory (a device or image as the
    // source, overlay's layers in the data): not made from the mount point
    // as the working directory, where those would be looked up. procfs,
    // tmpfs, devpts and the like (`pathless`) take none.
    let mounted = match pathless {
        true => mount_at(source, target.0, None, Some(fstype), flags, data),
        false => mount_by_fd_path(source, target.0, None, Some(fstype), flags, data),
    };
    mounted.map_err(|e| {
        let err = mount_error(Error::sys_z("mount", fstype, e).on(dst), e);
        // The kernel's word for an option the filesystem does not take.
        match data {
            Some(data) if cfg!(feature = "mounts") && e == Errno::EINVAL => err.push(b" (data '").push_z(data).push(b"')"),
            _ => err,
        }
    })
}

/// Deepest directory `tmpcopyup` copies, counted from the destination.
#[cfg(feature = "mounts")]
const COPY_UP_DEPTH: usize = 16;

/// The tmpfs `m` on `dst` with what the image had there copied into it
/// (runc's `tmpcopyup`): the directory under the new mount, still open,
/// is read after the mount hides it. Files, directories, symlinks and
/// nodes keep their owners and modes, as runc's copy does.
#[cfg(feature = "mounts")]
#[cold]
fn tmpfs_copied_up(m: &Mount<'_>, dst: ZStr<'_>, root: Option<&Root<'_>>) -> Result<(), Error> {
    let point = mount_point(dst, root, Some(Point::Dir), || false)?;
    let under = sys::openat(point.0, ZStr::new(c"."), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        .map(OwnedFd)
        .map_err(|e| Error::sys_z("open", dst, e).push(b" (tmpcopyup)"))?;
    // Writable while it is filled: `ro` comes after the copy, as runc
    // remounts it.
    filesystem(ZStr::new(c"tmpfs"), true, m.source, dst, root, m.flags & !MS_RDONLY, m.data)?;
    let top = mount_point(dst, root, None, || false)?;
    copy_tree(under.0, top.0, dst, 0)?;
    if m.flags & MS_RDONLY != 0 {
        let attr = mount_attr { attr_set: u64::from(MOUNT_ATTR_RDONLY), attr_clr: 0, propagation: 0, userns_fd: 0 };
        sys::mount_setattr(top.0, ZStr::new(c""), AT_EMPTY_PATH, &attr).map_err(|e| Error::sys_z("mount_setattr", dst, e).push(b" (read-only, tmpcopyup)"))?;
    }
    Ok(())
}

/// Copies the entries of the directory open at `from` (read) into `to`
/// (`dst` names it in errors), `depth` levels below the destination.
#[cfg(feature = "mounts")]
fn copy_tree(from: Fd, to: Fd, dst: ZStr<'_>, depth: usize) -> Result<(), Error> {
    if depth == COPY_UP_DEPTH {
        return Err(Error::new(b"tmpcopyup: ").push_z(dst).push(b": directories nested deeper than 16"));
    }
    let mut result = Ok(());
    sys::each_dir_entry(from, |name| {
        if result.is_ok() {
            result = copy_entry(from, to, name, dst, depth);
        }
    })
    .map_err(|e| Error::sys_z("getdents", dst, e).push(b" (tmpcopyup)"))?;
    result
}

/// Copies the entry `name` of `from` into `to`, with its owner and mode.
#[cfg(feature = "mounts")]
#[inline(never)]
fn copy_entry(from: Fd, to: Fd, name: &[u8], dst: ZStr<'_>, depth: usize) -> Result<(), Error> {
    use linux_raw_sys::general::{AT_SYMLINK_NOFOLLOW, O_CREAT, O_EXCL, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_WRONLY, S_IFLNK};
    let mut buf = ZBuf::<256>::new();
    buf.push(name).map_err(|_| Error::new(b"tmpcopyup: a name too long in ").push_z(dst))?;
    let name = buf.zstr();
    let fail = |step: &str, e: Errno| Error::sys_in(step, dst.bytes(), name.bytes(), e).push(b" (tmpcopyup)");
    let st = sys::fstatat(from, name, AT_SYMLINK_NOFOLLOW).map_err(|e| fail("stat", e))?;
    let kind = st.st_mode & S_IFMT;
    match kind {
        S_IFDIR => {
            sys::mkdirat(to, name, 0o700).map_err(|e| fail("mkdir", e))?;
            let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
            let inner_from = sys::openat(from, name, flags, 0).map(OwnedFd).map_err(|e| fail("open", e))?;
            let inner_to = sys::openat(to, name, flags, 0).map(OwnedFd).map_err(|e| fail("open", e))?;
            copy_tree(inner_from.0, inner_to.0, dst, depth + 1)?;
        }
        S_IFREG => {
            // O_NONBLOCK: a FIFO swapped in since the stat never waits;
            // O_NOCTTY: a terminal never becomes the setup's.
            let flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
            let source = sys::openat(from, name, flags, 0).map(OwnedFd).map_err(|e| fail("open", e))?;
            // What was opened must be the file whose type was read: a device
            // node or FIFO the image swapped in since would be read into the
            // copy (and nothing but the devices cgroup stops the open).
            let opened = sys::fstat(source.0).map_err(|e| fail("stat", e))?;
            if opened.st_mode & S_IFMT != S_IFREG || (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino) {
                return Err(Error::new(b"tmpcopyup: ")
                    .push(dst.bytes())
                    .push(b"/")
                    .push(name.bytes())
                    .push(b": replaced while it was copied (no longer the regular file it was)"));
            }
            let copy = sys::openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                .map(OwnedFd)
                .map_err(|e| fail("create", e))?;
            while sys::sendfile(copy.0, source.0, 1 << 30).map_err(|e| fail("sendfile", e))? != 0 {}
        }
        S_IFLNK => copy_link(from, to, name).map_err(|e| fail("symlink", e))?,
        _ => sys::mknodat(to, name, kind | 0o600, st.st_rdev).map_err(|e| fail("mknod", e))?,
    }
    sys::fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW).map_err(|e| fail("chown", e))?;
    // After the chown, which clears set-user-ID and set-group-ID bits.
    if kind != S_IFLNK {
        sys::fchmodat(to, name, st.st_mode & 0o7777).map_err(|e| fail("chmod", e))?;
    }
    Ok(())
}

/// Copies the symlink `name` of `from` into `to`. Apart from `copy_entry`,
/// so that its buffer is not in the frame of every directory level of the
/// copy (16 of them would overflow the child's 64 KiB stack).
#[cfg(feature = "mounts")]
#[inline(never)]
fn copy_link(from: Fd, to: Fd, name: ZStr<'_>) -> Result<(), Errno> {
    let mut target = [0u8; PATH_MAX];
    let n = sys::readlinkat(from, name, &mut target[..PATH_MAX - 1])?;
    // A target that fills the buffer may have been cut.
    if n >= PATH_MAX - 2 {
        return Err(Errno::ENAMETOOLONG);
    }
    let target = ZStr::from_bytes_until_nul(&target[..=n]).ok_or(Errno::EINVAL)?;
    sys::symlinkat(target, to, name)
}

/// Sets `m`'s recursive attributes and propagation on the mount just made
/// at its destination.
#[cold]
fn finish_mount(m: &Mount<'_>, root: Option<&Root<'_>>) -> Result<(), Error> {
    let dst = m.destination;
    let made = mount_point(dst, root, None, || makes_procfs(m))?;
    if !is_bind(m) && m.attr_set | m.attr_clr != 0 {
        change_attributes(&made, AT_RECURSIVE, m.attr_set, m.attr_clr)
            .map_err(|e| Error::sys_z("mount_setattr", dst, e).push(b" (recursive options)"))?;
    }
    if m.propagation != 0 {
        mount_at(None, made.0, None, None, m.propagation, None)
            .map_err(|e| Error::sys_z("mount", dst, e).push(b" (propagation)"))?;
    }
    Ok(())
}

/// sysfs on `dst`. The kernel mounts one only for the owner of the network
/// namespace: a user namespace sharing the host's (rootless `--share net`)
/// gets EPERM, and then, as rootless podman and runc do, the host's `/sys`
/// and the mounts under it are bound instead (`bind_host`). Never for a
/// container with a network namespace of its own (`own_net`): the host's
/// `/sys` would show it the host's network. Its sysfs is refused (EPERM)
/// in a user namespace where a mount hides part of the `/sys` nsinit sees
/// (the kernel's `mount_too_revealing`), and that is an error.
fn sysfs(dst: ZStr<'_>, root: Option<&Root<'_>>, flags: u32, own_net: bool) -> Result<(), Error> {
    let target = mount_point(dst, root, Some(Point::Dir), || false)?;
    let fs = ZStr::new(c"sysfs");
    match mount_at(Some(fs), target.0, None, Some(fs), flags, None) {
        Err(Errno::EPERM) if !own_net => bind_host(ZStr::new(c"/sys"), &target, dst, flags & MS_RDONLY != 0),
        r => r.map_err(|e| {
            let err = mount_error(Error::of("mount sysfs", e).on(dst), e);
            match e {
                Errno::EPERM => err.push(b" (a mount hides part of /sys; the host's would show the host's network)"),
                _ => err,
            }
        }),
    }
}

/// Adds the likely cause to a mount that failed with ENOENT on an opened
/// mount point: /proc/self/fd cannot name it without the host's /proc, nor
/// when the container's memory limit leaves procfs no room; or with ENOMEM,
/// the mount itself finding no room under that limit.
#[cold]
fn mount_error(e: Error, errno: Errno) -> Error {
    const NO_ROOM: &[u8] = b" (out of memory: the cgroup's memory limit is too small for the setup)";
    if errno == Errno::ENOMEM {
        return e.push(NO_ROOM);
    }
    if errno != Errno::ENOENT {
        return e;
    }
    match sys::stat_mode(ZStr::new(c"/proc/self/fd")) {
        Err(Errno::ENOMEM) => e.push(NO_ROOM),
        Err(_) => e.push(b" (nsinit needs /proc mounted where it runs: mount -t proc proc /proc)"),
        Ok(_) => e,
    }
}

/// Whether the path `inner` is `outer` or lies below it, name by name
/// (empty names and `.` skipped).
pub fn below(inner: &[u8], outer: &[u8]) -> bool {
    nesting(inner, outer).0
}

/// How the paths `a` and `b` lie, name by name (empty names and `.`
/// skipped): whether `a` is `b` or below it, and whether `b` is `a` or
/// below it. One pass by hand: it runs for every masked and read-only path
/// against every mount.
pub fn nesting(a: &[u8], b: &[u8]) -> (bool, bool) {
    // The next name from byte `i`: its start and end.
    fn next_name(path: &[u8], mut i: usize) -> Option<(usize, usize)> {
        loop {
            while i < path.len() && path[i] == b'/' {
                i += 1;
            }
            if i == path.len() {
                return None;
            }
            let start = i;
            while i < path.len() && path[i] != b'/' {
                i += 1;
            }
            if i - start != 1 || path[start] != b'.' {
                return Some((start, i));
            }
        }
    }
    let (mut i, mut j) = (0, 0);
    loop {
        match (next_name(a, i), next_name(b, j)) {
            (None, None) => return (true, true),
            (Some(_), None) => return (true, false),
            (None, Some(_)) => return (false, true),
            (Some((s, e)), Some((t, f))) if a[s..e] == b[t..f] => (i, j) = (e, f),
            _ => return (false, false),
        }
    }
}

/// The procfs and sysfs mounts of this setup, opened at their roots when a
/// masked or read-only path below one is first applied: such a path is
/// then reached from there by name (`mount_at`), a lookup in the kernel's
/// own files, rather than looked up from the container's root
/// again with `openat2` into a descriptor of its own (two system calls a
/// path, of the start's most). Only where the image has no say: the mount
/// is a procfs or sysfs by `fstatfs`, the path is plain names below its
/// destination, and no mount after it lies on or below the path. A path
/// naming `self`, `thread-self` or a PID, whose procfs links lead out of
/// the kernel's files, and every path when a mount sets a propagation
/// (which may copy mounts elsewhere), are looked up from the root as any
/// other path.
pub struct KernelMounts<'m> {
    mounts: &'m [Mount<'m>],
    /// The mounts opened so far: their index in `mounts`, and their root,
    /// `None` when it turned out not to be a procfs or sysfs.
    open: Vec<(usize, Option<OwnedFd>), 4>,
}

impl<'m> KernelMounts<'m> {
    pub fn new(mounts: &'m [Mount<'m>]) -> Self {
        KernelMounts { mounts, open: Vec::new() }
    }

    /// The root of the procfs or sysfs that `path` lies in, and the rest of
    /// the path below it; `None`: look `path` up from the root.
    fn below<'p>(&mut self, path: ZStr<'p>, root: Option<&Root<'_>>) -> Result<Option<(Fd, ZStr<'p>)>, Error> {
        let Some(root) = root else { return Ok(None) };
        let plain = |name: &[u8]| {
            !name.is_empty()
                && name != b"."
                && name != b".."
                && name != b"self"
                && name != b"thread-self"
                && !name.iter().all(u8::is_ascii_digit)
        };
        // `/` and plain names, each string measured once (a `ZStr` is
        // measured at each `bytes`).
        let bytes = path.bytes();
        let Some(names) = bytes.strip_prefix(b"/").filter(|p| p.split(|&c| c == b'/').all(plain)) else {
            return Ok(None);
        };
        if self.mounts.iter().any(|m| m.propagation != 0) {
            return Ok(None);
        }
        // The last mount on the path or above it: the one it is seen in;
        // none after it may lie on or below the path.
        let mut seen_in = None;
        for (i, m) in self.mounts.iter().enumerate().rev() {
            let dst = m.destination.bytes();
            match nesting(bytes, dst) {
                (true, _) => {
                    seen_in = Some((i, dst));
                    break;
                }
                (false, true) => return Ok(None),
                _ => {}
            }
        }
        let Some((i, dst)) = seen_in else { return Ok(None) };
        let m = &self.mounts[i];
        // The rest starts after as many names as the destination has.
        let depth = dst.split(|&c| c == b'/').filter(|n| !n.is_empty() && *n != b".").count();
        let skipped: usize = names.split(|&c| c == b'/').take(depth).map(|n| n.len() + 1).sum();
        if skipped >= names.len() {
            return Ok(None);
        }
        let rest = path.skip(1 + skipped);
        let kernel_fs = matches!(m.kind, MountKind::Proc | MountKind::Sysfs)
            || m.fstype.is_some_and(|t| matches!(t.bytes(), b"proc" | b"sysfs"));
        if !kernel_fs {
            return Ok(None);
        }
        if let Some((_, fd)) = self.open.iter().find(|(at, _)| *at == i) {
            return Ok(fd.as_ref().map(|fd| (fd.0, rest)));
        }
        let fd = in_root(root, relative(m.destination)).map_err(|e| Error::sys_z("open", m.destination, e))?;
        let magic = sys::fstatfs(fd.0).map(|(magic, _)| magic).unwrap_or(0);
        let fd = (magic == u64::from(PROC_SUPER_MAGIC) || magic == u64::from(SYSFS_MAGIC)).then_some(fd);
        let found = fd.as_ref().map(|fd| (fd.0, rest));
        if self.open.push((i, fd)).is_err() {
            // More than the kernel filesystems of a container: from the root.
            return Ok(None);
        }
        Ok(found)
    }
}

/// Hides `path` (a masked path): covers a directory with an empty
/// read-only tmpfs and a file with `/dev/null`, as runc does. A path that
/// does not exist is left alone: there is nothing to hide.
pub fn mask<'a>(path: ZStr<'_>, root: &mut Option<Root<'a>>, kernel: &mut KernelMounts<'_>) -> Result<(), Error> {
    // Looked up from the root: the place, open until the mount is made.
    let point;
    let (at, name, mode) = match kernel.below(path, root.as_ref())? {
        Some((fs, rest)) => match sys::fstatat_mode(fs, rest) {
            Err(Errno::ENOENT) => return Ok(()),
            found => (fs, Some(rest), found.map_err(|e| Error::sys_z("open", path, e))?),
        },
        None => {
            let Some(found) = existing(path, root.as_ref())? else { return Ok(()) };
            let mode = sys::fstat(found.0).map_err(|e| Error::sys_z("stat", path, e))?.st_mode;
            point = found;
            (point.0, None, mode)
        }
    };
    // A filesystem cannot be mounted on a file (ENOTDIR, after the kernel
    // made it): a file gets /dev/null.
    let masked = if mode & S_IFMT == S_IFDIR {
        let tmpfs = ZStr::new(c"tmpfs");
        let flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        mount_at(Some(tmpfs), at, name, Some(tmpfs), flags, Some(ZStr::new(c"size=0")))
            .map_err(|e| Error::of("mount tmpfs", e).on(path).push(b" (--mask)"))
    } else {
        let null = ZStr::new(c"/dev/null");
        mount_at(Some(null), at, name, None, MS_BIND, None).map_err(|e| Error::sys_z("bind", null, e).on(path).push(b" (--mask)"))
    };
    masked?;
    after_mount(path, root)
}

/// Makes `path` read-only (a read-only path) by binding it onto itself
/// read-only; one that does not exist is left alone.
pub fn make_path_read_only<'a>(path: ZStr<'_>, root: &mut Option<Root<'a>>, kernel: &mut KernelMounts<'_>) -> Result<(), Error> {
    let flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE;
    let bind_error = |e| Error::sys_z("bind", path, e).push(b" (read-only path)");
    if let Some((fs, rest)) = kernel.below(path, root.as_ref())? {
        // By name from the filesystem's root: bound onto itself, then made
        // read-only (the bind is writable a moment, where only this
        // process can see it); a clone (`open_tree`) would cost an
        // anonymous mount namespace.
        let entered = enter(fs);
        let made = match entered {
            true => match sys::mount(Some(rest), rest, None, MS_BIND | MS_REC, None) {
                Err(Errno::ENOENT) => Ok(false),
                bound => bound.map_err(bind_error).and_then(|()| {
                    let attr = mount_attr { attr_set: u64::from(MOUNT_ATTR_RDONLY), attr_clr: 0, propagation: 0, userns_fd: 0 };
                    sys::mount_setattr(fs, rest, AT_RECURSIVE, &attr)
                        .map_err(|e| Error::sys_z("mount_setattr", path, e).push(b" (read-only)"))
                        .map(|()| true)
                }),
            },
            false => match sys::open_tree(fs, rest, flags) {
                Err(Errno::ENOENT) => Ok(false),
                tree => tree.map(OwnedFd).map_err(bind_error).and_then(|tree| {
                    set_read_only(&tree, path)?;
                    sys::move_mount_at(tree.0, fs, rest).map_err(|e| Error::sys("bind", path.bytes(), e).on(path)).map(|()| true)
                }),
            },
        };
        leave(entered).map_err(|e| Error::of("fchdir", e).push(b" (back to the working directory)"))?;
        return match made? {
            true => after_mount(path, root),
            false => Ok(()),
        };
    }
    let Some(point) = existing(path, root.as_ref())? else { return Ok(()) };
    let tree = sys::open_tree(point.0, ZStr::new(c""), flags | AT_EMPTY_PATH).map(OwnedFd).map_err(bind_error)?;
    bind_onto(tree, &point, path.bytes(), path, true)?;
    after_mount(path, root)
}

/// Opens `path` as `open_point` does, or `None` where nothing is there.
fn existing(path: ZStr<'_>, root: Option<&Root<'_>>) -> Result<Option<OwnedFd>, Error> {
    let found = match root {
        Some(root) => in_root(root, relative(path)),
        None => sys::open(path, O_PATH | O_CLOEXEC, 0).map(OwnedFd),
    };
    match found {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(Error::sys_z("open", path, e)),
    }
}

/// Binds the host's `m.source` on `m.destination`: the whole tree with
/// `MS_REC` (`rbind`), else the one mount. The copy gets its flags, and its
/// recursive attributes, while detached, before the container can see it;
/// an idmapped one is nsinit's (`Idmapped`).
#[inline(never)]
fn bind(m: &Mount<'_>, root: Option<&Root<'_>>) -> Result<(), Error> {
    let dst = m.destination;
    let Some(source) = m.source else { return Err(Error::new(b"bind without a source: ").push_z(dst)) };
    let point = match mount_point(dst, root, None, || makes_procfs(m)) {
        Ok(fd) => fd,
        Err(missing) => {
            // Only now is the source's type needed, for what to create.
            let mode = sys::stat_mode(source).map_err(|e| Error::sys_z("bind", source, e))?;
            let point = if mode & S_IFMT == S_IFDIR { Point::Dir } else { Point::File };
            if root.is_none() {
                return Err(missing);
            }
            mount_point(dst, root, Some(point), || makes_procfs(m))?
        }
    };
    let tree = if m.idmapped() { next_idmapped() } else { bound_copy(m, source)? };
    sys::move_mount(tree.0, point.0).map_err(|e| Error::sys_z("bind", source, e).on(dst))
}

/// A detached copy of `m`'s `source` (the whole tree with `MS_REC`), with
/// `m`'s flags and recursive attributes set, for `bind` to attach.
fn bound_copy(m: &Mount<'_>, source: ZStr<'_>) -> Result<OwnedFd, Error> {
    let dst = m.destination;
    let recursive = if m.flags & MS_REC != 0 { AT_RECURSIVE } else { 0 };
    let tree = sys::open_tree(sys::CWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | recursive)
        .map(OwnedFd)
        .map_err(|e| Error::sys_z("bind", source, e).on(dst))?;
    // nodev, as bubblewrap's --bind: a device node made in a bound directory
    // cannot be opened. A device bound on its own is what was asked for.
    if m.kind == MountKind::Bind && sys::fstat(tree.0).is_ok_and(|st| st.st_mode & S_IFMT == S_IFDIR) {
        set_attributes(&tree, MOUNT_ATTR_NODEV)
            .map_err(|e| Error::sys_z("mount_setattr", dst, e).push(b" (nodev)"))?;
    }
    let (set, clear) = if cfg!(feature = "mounts") { bind_attributes(m.flags, m.cleared) } else { (0, 0) };
    if set | clear != 0 {
        change_attributes(&tree, 0, set, clear).map_err(|e| Error::sys_z("mount_setattr", dst, e).push(b" (options)"))?;
    }
    if m.attr_set | m.attr_clr != 0 {
        change_attributes(&tree, AT_RECURSIVE, m.attr_set, m.attr_clr)
            .map_err(|e| Error::sys_z("mount_setattr", dst, e).push(b" (recursive options)"))?;
    }
    Ok(tree)
}

/// The idmapped mounts' detached trees, in the mounts' order, each as its
/// descriptor plus one (0: none): made by nsinit before the container's
/// process starts (`Idmapped::prepare`), attached by that process, which
/// shares this memory and has its own copy of the descriptors.
static IDMAPPED: [AtomicI32; MAX_MOUNTS] = [const { AtomicI32::new(0) }; MAX_MOUNTS];
/// How many of them the container's process has taken.
static TAKEN: AtomicUsize = AtomicUsize::new(0);

/// In the container's process: the tree nsinit made for the next
/// idmapped mount (-1, whose attaching fails with EBADF, if none).
fn next_idmapped() -> OwnedFd {
    let slot = IDMAPPED.get(TAKEN.fetch_add(1, Ordering::AcqRel));
    OwnedFd(slot.map_or(0, |s| s.load(Ordering::Acquire)) - 1)
}

/// nsinit's copies of the idmapped trees of one container, closed when
/// dropped: once its process has attached them, or failed.
pub struct Idmapped;

#[cfg(feature = "mounts")]
impl Idmapped {
    /// Makes each idmapped mount's tree, by nsinit before the container's
    /// process starts: in a user namespace of the container's the kernel
    /// lets nobody but the host's root idmap the host's filesystems. The
    /// source is copied as `bind` copies it, then seen through a user
    /// namespace holding the mount's own maps, or `container`'s (the
    /// container's user namespace's), on its top mount or, for `ridmap`,
    /// on all (runc's and crun's way). Errors: no maps to use, the kernel's
    /// (EINVAL: a filesystem that cannot be idmapped).
    #[cold]
    #[inline(never)]
    pub fn prepare(c: &Container<'_>, container: Option<(&[IdMap], &[IdMap])>) -> Result<Idmapped, Error> {
        let made = Idmapped;
        TAKEN.store(0, Ordering::Release);
        for (m, slot) in c.mounts.iter().filter(|m| m.idmapped()).zip(&IDMAPPED) {
            let (Some(idmap), Some(source)) = (m.idmap, m.source) else { continue };
            let dst = m.destination;
            let (uid, gid) = match idmap.maps.and_then(|i| c.mount_maps.get(usize::from(i))) {
                Some(own) => (&own.uid[..], &own.gid[..]),
                None => container.ok_or_else(|| {
                    Error::new(b"mount ").push_z(dst).push(b": idmap without maps of its own needs the container's user namespace")
                })?,
            };
            let tree = bound_copy(m, source)?;
            let userns = super::user::namespace_with(uid, gid)?;
            let attr = mount_attr { attr_set: u64::from(MOUNT_ATTR_IDMAP), attr_clr: 0, propagation: 0, userns_fd: userns.0 as u64 };
            let recursive = if idmap.recursive { AT_RECURSIVE } else { 0 };
            sys::mount_setattr(tree.0, ZStr::new(c""), AT_EMPTY_PATH | recursive, &attr).map_err(|e| {
                let err = Error::sys_z("mount_setattr", dst, e);
                err.push(if e == Errno::EINVAL { b" (idmap: a filesystem of the tree cannot be idmapped)" } else { b" (idmap)" })
            })?;
            slot.store(tree.0 + 1, Ordering::Release);
            core::mem::forget(tree);
        }
        Ok(made)
    }
}

impl Drop for Idmapped {
    fn drop(&mut self) {
        for slot in &IDMAPPED {
            match slot.swap(0, Ordering::AcqRel) {
                0 => {}
                fd => drop(OwnedFd(fd - 1)),
            }
        }
    }
}

/// A bound mount's own `MS_*` flags (`flags` set, `cleared` taken off) as
/// `MOUNT_ATTR_*` to set and to clear: what `mount -o remount,bind,FLAGS`
/// changes, and no more. A flag not named stays as the source has it, so
/// those the kernel locks in a user namespace (`nodev`, `nosuid`,
/// `noexec` of the host's mount) are kept, as runc keeps them; clearing
/// one is EPERM, as it is for runc. Without an atime word, the source's
/// atime mode stays, as a bind remount keeps it.
#[inline(never)]
fn bind_attributes(flags: u32, cleared: u32) -> (u32, u32) {
    const SAME: [(u32, u32); 6] = [
        (MS_RDONLY, MOUNT_ATTR_RDONLY),
        (MS_NOSUID, MOUNT_ATTR_NOSUID),
        (MS_NODEV, MOUNT_ATTR_NODEV),
        (MS_NOEXEC, MOUNT_ATTR_NOEXEC),
        (MS_NODIRATIME, MOUNT_ATTR_NODIRATIME),
        (MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW),
    ];
    const ATIME: [(u32, u32); 3] =
        [(MS_RELATIME, MOUNT_ATTR_RELATIME), (MS_NOATIME, MOUNT_ATTR_NOATIME), (MS_STRICTATIME, MOUNT_ATTR_STRICTATIME)];
    let (mut set, mut clear) = (0, 0);
    for (ms, attr) in SAME {
        if flags & ms != 0 {
            set |= attr;
        }
        if cleared & ms != 0 {
            clear |= attr;
        }
    }
    for (ms, attr) in ATIME {
        if flags & ms != 0 {
            set = (set & !MOUNT_ATTR__ATIME) | attr;
            clear |= MOUNT_ATTR__ATIME;
        }
    }
    (set, clear)
}

/// Sets `set` and clears `clear` (`MOUNT_ATTR_*`) on the mount `fd`, and
/// with `AT_RECURSIVE` in `at_flags`, on every mount under it.
fn change_attributes(fd: &OwnedFd, at_flags: u32, set: u32, clear: u32) -> Result<(), Errno> {
    let attr = mount_attr { attr_set: u64::from(set), attr_clr: u64::from(clear), propagation: 0, userns_fd: 0 };
    sys::mount_setattr(fd.0, ZStr::new(c""), AT_EMPTY_PATH | at_flags, &attr)
}

/// Sets `attrs` (`MOUNT_ATTR_*`) on every mount of the tree `tree`.
pub fn set_attributes(tree: &OwnedFd, attrs: u32) -> Result<(), Errno> {
    let attr = mount_attr { attr_set: u64::from(attrs), attr_clr: 0, propagation: 0, userns_fd: 0 };
    sys::mount_setattr(tree.0, ZStr::new(c""), AT_EMPTY_PATH | AT_RECURSIVE, &attr)
}

/// Attaches `tree`, a detached copy of `source`'s mounts (`open_tree`), on
/// the opened mount point `point` (`dst`); `readonly` makes the whole copy
/// read-only first, so it is never writable where the container can see it.
fn bind_onto(tree: OwnedFd, point: &OwnedFd, source: &[u8], dst: ZStr<'_>, readonly: bool) -> Result<(), Error> {
    if readonly {
        set_read_only(&tree, dst)?;
    }
    sys::move_mount(tree.0, point.0).map_err(|e| Error::sys("bind", source, e).on(dst))
}

/// Makes the detached copy `tree`, to go on `dst`, read-only, recursively.
fn set_read_only(tree: &OwnedFd, dst: ZStr<'_>) -> Result<(), Error> {
    let attr = mount_attr { attr_set: u64::from(MOUNT_ATTR_RDONLY), attr_clr: 0, propagation: 0, userns_fd: 0 };
    sys::mount_setattr(tree.0, ZStr::new(c""), AT_EMPTY_PATH | AT_RECURSIVE, &attr)
        .map_err(|e| Error::sys_z("mount_setattr", dst, e).push(b" (read-only)"))
}

/// A minimal `/dev`: a tmpfs with the host's harmless devices bound in, the
/// usual symlinks, a private devpts, a tmpfs for shared memory and an empty
/// `mqueue` directory.
fn dev(dst: ZStr<'_>, root: Option<&Root<'_>>) -> Result<(), Error> {
    let point = mount_point(dst, root, Some(Point::Dir), || false)?;
    // The new tmpfs, by its own descriptor: filled while detached, where
    // nothing can see it, then attached.
    // strictatime, as runc spec's /dev. nodev: the host's devices are bound in as mounts of their own; a node
    // made in the tmpfs itself cannot be opened.
    let dev = new_tmpfs(ZStr::new(c"755"), ZStr::new(c"65536k"), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_STRICTATIME)
        .map_err(|e| Error::of("mount tmpfs", e).on(dst))?;
    for (name, ..) in DEFAULT_DEVICES {
        sys::mknodat(dev.0, ZStr::new(name), S_IFREG | 0o666, 0)
            .map_err(|e| Error::sys_in("mknod", dst.bytes(), name.to_bytes(), e))?;
    }
    for (name, points_to) in DEV_LINKS {
        sys::symlinkat(ZStr::new(points_to), dev.0, ZStr::new(name))
            .map_err(|e| Error::sys_in("symlink", dst.bytes(), name.to_bytes(), e))?;
    }
    for dir in [c"pts", c"mqueue"] {
        sys::mkdirat(dev.0, ZStr::new(dir), 0o755).map_err(|e| Error::sys_in("mkdir", dst.bytes(), dir.to_bytes(), e))?;
    }
    sys::mkdirat(dev.0, ZStr::new(c"shm"), 0o1777).map_err(|e| Error::sys_in("mkdir", dst.bytes(), b"shm", e))?;
    sys::move_mount(dev.0, point.0).map_err(|e| Error::of("mount tmpfs", e).on(dst))?;
    // The host's devices, devpts and shm, by name from the new /dev as the
    // working directory (`enter`), or by its /proc/self/fd path.
    let entered = enter(dev.0);
    let at = |name: &CStr| match entered {
        true => ZBuf::<64>::from_parts(&[name.to_bytes()]).unwrap_or_default(),
        false => fd_path(dev.0, Some(name)),
    };
    let made = (|| {
        for (name, host, ..) in DEFAULT_DEVICES {
            sys::mount(Some(ZStr::new(host)), at(name).zstr(), None, MS_BIND, None)
                .map_err(|e| mount_error(Error::sys("bind", host.to_bytes(), e).on(dst), e))?;
        }
        let pts = ZStr::new(c"devpts");
        let devpts = |data: &'static CStr| sys::mount(Some(pts), at(c"pts").zstr(), Some(pts), MS_NOSUID | MS_NOEXEC, Some(ZStr::new(data)));
        // gid 5 (tty) may not be mapped in a user namespace; then without it.
        devpts(c"newinstance,ptmxmode=0666,mode=0620,gid=5")
            .or_else(|e| if e == Errno::EINVAL { devpts(c"newinstance,ptmxmode=0666,mode=0620") } else { Err(e) })
            .map_err(|e| Error::of("mount devpts", e).on(dst).push(b"/pts"))?;
        // `mqueue` is where the default container's (and Docker's) message
        // queues go: made above, rather than found missing and created later.
        let tmpfs = ZStr::new(c"tmpfs");
        sys::mount(Some(tmpfs), at(c"shm").zstr(), Some(tmpfs), MS_NOSUID | MS_NODEV | MS_NOEXEC, Some(ZStr::new(c"mode=1777,size=65536k")))
            .map_err(|e| Error::of("mount tmpfs", e).on(dst).push(b"/shm"))
    })();
    leave(entered).map_err(|e| Error::of("fchdir", e).push(b" (back to the working directory)"))?;
    made
}

/// A detached tmpfs (`fsopen`, `fsmount`) with `mode` and `size`: the
/// descriptor is the mount itself, so what is made in it never lands
/// anywhere else, whatever is mounted where it is attached later.
pub fn new_tmpfs(mode: ZStr<'_>, size: ZStr<'_>, attrs: u32) -> Result<OwnedFd, Errno> {
    let fs = sys::fsopen(ZStr::new(c"tmpfs"), FSOPEN_CLOEXEC).map(OwnedFd)?;
    sys::fsconfig_string(fs.0, ZStr::new(c"mode"), mode)?;
    if !size.bytes().is_empty() {
        sys::fsconfig_string(fs.0, ZStr::new(c"size"), size)?;
    }
    sys::fsconfig_create(fs.0)?;
    sys::fsmount(fs.0, FSMOUNT_CLOEXEC, attrs).map(OwnedFd)
}

/// The cgroup filesystem on `dst` (`runc spec`'s `/sys/fs/cgroup`), so that
/// runtimes that size themselves from their cgroup's limits (the JVM, Go,
/// .NET) find them. A new mount's root is the root of the container's
/// cgroup namespace, which its `/proc/self/cgroup` paths start from, with a
/// namespace of its own or not: on cgroup v2 alone, one new cgroup2 mount;
/// on v1 (hybrid or legacy), with a cgroup namespace, a tmpfs holding each
/// of the host's hierarchies mounted anew and its links (`cpu` to
/// `cpu,cpuacct`), as runc does. Without one (`own_cgroup`, new or
/// joined), the host's own `/sys/fs/cgroup` is that same view, whatever
/// cgroups nsinit is in: it is bound, one call for a dozen, and
/// `/proc/self/cgroup` is not read (a walk of every hierarchy); so it is
/// where the kernel refuses a new mount (a user namespace without a cgroup
/// namespace of its own). The OCI front end's mount (`own_cgroups`) is
/// runc's instead, outside a cgroup namespace on v1: the container's own
/// cgroup at the root of each hierarchy (`cgroup_v1_fs`).
fn cgroup_fs(dst: ZStr<'_>, root: Option<&Root<'_>>, flags: u32, own: Own, own_cgroups: bool) -> Result<(), Error> {
    let own_cgroup = own.cgroup;
    let host = ZStr::new(c"/sys/fs/cgroup");
    let readonly = flags & MS_RDONLY != 0;
    if sys::statfs_type(host) == Ok(u64::from(CGROUP2_SUPER_MAGIC)) {
        let point = mount_point(dst, root, Some(Point::Dir), || false)?;
        let fs = ZStr::new(c"cgroup2");
        match mount_at(Some(fs), point.0, None, Some(fs), flags, None) {
            Err(Errno::EPERM) => bind_host(host, &point, dst, readonly),
            r => r.map_err(|e| mount_error(Error::of("mount cgroup2", e).on(dst), e)),
        }
    } else if own_cgroup && at_cgroup_roots() {
        if cgroup_v1_fs(dst, root, flags, None)? {
            return Ok(());
        }
        // No new v1 mount outside a cgroup namespace of a user namespace's
        // own: the host's tree, over the tmpfs.
        let point = mount_point(dst, root, None, || false)?;
        bind_host(host, &point, dst, readonly)
    } else if cfg!(feature = "oci") && own_cgroups && !own_cgroup {
        let mut buf = [0u8; 4096];
        cgroup_v1_fs(dst, root, flags, Some((read_own_cgroups(&mut buf)?, own.cgroups))).map(drop)
    } else {
        let point = mount_point(dst, root, Some(Point::Dir), || false)?;
        bind_host(host, &point, dst, readonly)
    }
}

/// Whether every line of `/proc/self/cgroup` is at its root (`ID:...:/`).
/// In a cgroup namespace nsinit made it is, and a new mount of each
/// hierarchy is needed for the container's paths to lead to its cgroups;
/// outside one, the host's tree leads there (and where every path is `/`
/// the two views are the same). Where it cannot tell, the host's tree.
#[inline(never)]
fn at_cgroup_roots() -> bool {
    let Ok(fd) = sys::open(ZStr::new(c"/proc/self/cgroup"), O_RDONLY | O_CLOEXEC, 0).map(OwnedFd) else { return false };
    let mut buf = [0u8; 4096];
    match sys::read(fd.0, &mut buf) {
        Ok(n) if n < buf.len() => buf[..n].split(|&c| c == b'\n').filter(|l| !l.is_empty()).all(|l| l.ends_with(b":/")),
        _ => false,
    }
}

/// cgroup v1: a tmpfs on `dst` with each of the host's hierarchies (the
/// mounts under its `/sys/fs/cgroup`, named after their controllers, or
/// `name=`) and the host's links copied. In a cgroup namespace (`own`
/// `None`) each is mounted anew; outside one, as runc shows them, the
/// container's own cgroup in each is bound there, its path read from
/// `own`, the text of `/proc/self/cgroup`. `false` when the kernel refused
/// a new mount (EPERM), with only the tmpfs made.
#[cold]
fn cgroup_v1_fs(dst: ZStr<'_>, root: Option<&Root<'_>>, flags: u32, own: Option<(&[u8], u16)>) -> Result<bool, Error> {
    filesystem(ZStr::new(c"tmpfs"), true, None, dst, root, flags & !MS_RDONLY, Some(ZStr::new(c"mode=755")))?;
    let dir = mount_point(dst, root, None, || false)?;
    let host = sys::open(ZStr::new(c"/sys/fs/cgroup"), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        .map(OwnedFd)
        .map_err(|e| Error::of("open /sys/fs/cgroup", e))?;
    let (mut failed, mut refused) = (None, false);
    // A link (`cpu` to `cpu,cpuacct`) by its type: a readlink of each
    // hierarchy was ten calls of a start.
    let listed = sys::each_dir_entry_linked(host.0, |name, maybe_link| {
        if failed.is_none() && !refused {
            failed = cgroup_v1_hierarchy(dir.0, dst, (name, maybe_link), (flags, own), &mut refused).err();
        }
    });
    listed.map_err(|e| Error::of("getdents /sys/fs/cgroup", e))?;
    if let Some(e) = failed {
        return Err(e);
    }
    if refused {
        return Ok(false);
    }
    if flags & MS_RDONLY != 0 {
        let attr = mount_attr { attr_set: u64::from(MOUNT_ATTR_RDONLY), attr_clr: 0, propagation: 0, userns_fd: 0 };
        sys::mount_setattr(dir.0, ZStr::new(c""), AT_EMPTY_PATH, &attr)
            .map_err(|e| Error::sys_z("mount_setattr", dst, e).push(b" (read-only)"))?;
    }
    Ok(true)
}

/// The text of `/proc/self/cgroup`, in `buf`.
#[cold]
fn read_own_cgroups(buf: &mut [u8; 4096]) -> Result<&[u8], Error> {
    let fd = sys::open(ZStr::new(c"/proc/self/cgroup"), O_RDONLY | O_CLOEXEC, 0).map(OwnedFd).map_err(|e| Error::of("open /proc/self/cgroup", e))?;
    match sys::read(fd.0, buf) {
        Ok(n) if n < buf.len() => Ok(&buf[..n]),
        Ok(_) => Err(Error::new(b"/proc/self/cgroup: longer than 4 KiB")),
        Err(e) => Err(Error::of("read /proc/self/cgroup", e)),
    }
}

/// The path of hierarchy `name` (`memory`, `cpu,cpuacct`, `systemd` for
/// `name=systemd`; `""` for cgroup2) in `/proc/self/cgroup`'s text `own`.
fn own_cgroup_path<'t>(own: &'t [u8], name: &[u8]) -> Option<&'t [u8]> {
    own.split(|&c| c == b'\n').find_map(|line| {
        let mut fields = line.splitn(3, |&c| c == b':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        let named = controllers.strip_prefix(b"name=").unwrap_or(controllers);
        (named == name).then_some(path)
    })
}

/// One entry of the host's `/sys/fs/cgroup` in the tmpfs `dir` (`dst`):
/// a link copied, a hierarchy mounted anew or (`own`) its cgroup of the
/// container's bound.
#[cold]
fn cgroup_v1_hierarchy(
    dir: Fd,
    dst: ZStr<'_>,
    (name, maybe_link): (&[u8], bool),
    (flags, own): (u32, Option<(&[u8], u16)>),
    refused: &mut bool,
) -> Result<(), Error> {
    let too_long = |_| Error::new(b"cgroup hierarchy name too long: ").push(name);
    let mut host = ZBuf::<128>::from_parts(&[b"/sys/fs/cgroup/", name]).map_err(too_long)?;
    let mut zname = ZBuf::<96>::from_parts(&[name]).map_err(too_long)?;
    let mut link = [0u8; 96];
    if maybe_link && let Ok(n) = sys::readlink(host.zstr(), &mut link) {
        let mut target = ZBuf::<96>::from_parts(&[link.get(..n).unwrap_or_default()]).map_err(too_long)?;
        return sys::symlinkat(target.zstr(), dir, zname.zstr()).map_err(|e| Error::sys_in("symlink", dst.bytes(), name, e));
    }
    let (fstype, data) = match sys::statfs_type(host.zstr()) {
        Ok(t) if t == u64::from(CGROUP2_SUPER_MAGIC) => (c"cgroup2", None),
        Ok(t) if t == u64::from(CGROUP_SUPER_MAGIC) => (c"cgroup", Some(name)),
        _ => return Ok(()),
    };
    sys::mkdirat(dir, zname.zstr(), 0o755).map_err(|e| Error::sys_in("mkdir", dst.bytes(), name, e))?;
    if let (true, Some((own, placed))) = (cfg!(feature = "oci"), own) {
        // A hierarchy the process is in no cgroup of (none listed): its root.
        let path = own_cgroup_path(own, data.unwrap_or_default()).unwrap_or(b"/");
        // A hierarchy nsinit could not place the container in (one not
        // delegated to a user namespace's nsinit; see
        // `Cgroup::place_in_the_others`): its cgroup there is nsinit's
        // caller's, often the root, the host's whole tree, where a
        // read-write mount would let the container freeze or kill
        // (`cgroup.kill`) the host's processes. Read-only whatever the
        // mount's options, as runc never shows another's tree writable.
        let foreign = !super::cgroup::v1_hierarchy_in(name, placed);
        let mut source = ZBuf::<{ PATH_MAX }>::from_parts(&[host.bytes(), path]).map_err(|_| Error::new(b"cgroup path too long: ").push(name))?;
        let tree = sys::open_tree(sys::CWD, source.zstr(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)
            .map(OwnedFd)
            .map_err(|e| Error::sys_z("bind", source.zstr(), e).on(dst))?;
        let attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | if flags & MS_RDONLY != 0 || foreign { MOUNT_ATTR_RDONLY } else { 0 };
        set_attributes(&tree, attrs).map_err(|e| Error::sys_z("mount_setattr", source.zstr(), e))?;
        return sys::move_mount_at(tree.0, dir, zname.zstr()).map_err(|e| Error::sys_z("bind", source.zstr(), e).on(dst));
    }
    let mut target = fd_path(dir, None);
    target.push(b"/").and_then(|t| t.push(name)).map_err(too_long)?;
    let fs = ZStr::new(fstype);
    let mut mounted = |data: &[&[u8]]| -> Result<(), Errno> {
        let mut d = ZBuf::<128>::from_parts(data).map_err(|_| Errno::ENAMETOOLONG)?;
        let data = if data.is_empty() { None } else { Some(d.zstr()) };
        sys::mount(Some(fs), target.zstr(), Some(fs), flags, data)
    };
    let result = match data {
        None => mounted(&[]),
        // A named hierarchy (`systemd`) has no controller of that name.
        Some(name) => mounted(&[name]).or_else(|e| if e == Errno::EINVAL || e == Errno::ENOENT { mounted(&[b"none,name=", name]) } else { Err(e) }),
    };
    match result {
        Err(Errno::EPERM) => {
            *refused = true;
            Ok(())
        }
        r => r.map_err(|e| Error::sys("mount", fstype.to_bytes(), e).on(dst).push(b"/").push(name)),
    }
}

/// Binds the host's tree at `host` (`/sys`, `/sys/fs/cgroup`: where the
/// kernel refuses a new mount), every mount in it, on the opened `point`
/// (`dst`): nosuid, nodev and noexec as a new one would be, and read-only
/// when `readonly`, all set on the detached copy, before it is attached.
fn bind_host(host: ZStr<'_>, point: &OwnedFd, dst: ZStr<'_>, readonly: bool) -> Result<(), Error> {
    let tree = sys::open_tree(sys::CWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)
        .map(OwnedFd)
        .map_err(|e| Error::sys_z("bind", host, e).on(dst))?;
    let attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | if readonly { MOUNT_ATTR_RDONLY } else { 0 };
    set_attributes(&tree, attrs).map_err(|e| Error::sys_z("mount_setattr", dst, e))?;
    sys::move_mount(tree.0, point.0).map_err(|e| Error::sys_z("bind", host, e).on(dst))
}

/// The working directory the container's process started in, open
/// (`O_PATH`) while it mounts, for `mount_at` to come back to; -1 when none.
static BACK: AtomicI32 = AtomicI32::new(-1);

/// Before the container's mounts: opens the working directory for
/// `mount_at` to come back to (relative host paths, such as a bind's
/// source, are looked up from it). Without it (a directory gone or closed
/// to us), mounts go by `/proc/self/fd` paths.
pub fn remember_working_directory() {
    // Looking "." up needs the search permission `leave`'s fchdir needs:
    // a directory this process could not come back to (in a user
    // namespace) is refused here, and mounts go by /proc/self/fd paths.
    let back = sys::open(ZStr::new(c"."), O_PATH | O_DIRECTORY | O_CLOEXEC, 0).unwrap_or(-1);
    BACK.store(back, Ordering::Relaxed);
}

/// After the container's mounts: closes what `remember_working_directory`
/// opened.
pub fn forget_working_directory() {
    let back = BACK.swap(-1, Ordering::Relaxed);
    if back >= 0 {
        let _ = sys::close(back);
    }
}

/// mount(2) on `name` in the directory `at`, or on `at` itself: from `at`
/// as the working directory (`fchdir`, and back), where a
/// `/proc/self/fd/N` path (`fd_path`) costs a walk of procfs at every
/// mount, the first in a process its PID's directory and all (20 us
/// here, then 2 to 3 us each against 1 for two `fchdir`). The place is
/// the same: neither way follows a mount already on `at` itself, and
/// `name` is looked up as any name is. Where `at` is no directory (a file
/// as a mount point) or cannot be entered, the `/proc/self/fd` path.
fn mount_at(source: Option<ZStr<'_>>, at: Fd, name: Option<ZStr<'_>>, fstype: Option<ZStr<'_>>, flags: u32, data: Option<ZStr<'_>>) -> Result<(), Errno> {
    let entered = enter(at);
    let mounted = match entered {
        true => sys::mount(source, name.unwrap_or(ZStr::new(c".")), fstype, flags, data),
        false => mount_by_fd_path(source, at, name, fstype, flags, data),
    };
    leave(entered)?;
    mounted
}

/// `mount_at` where `at` cannot be entered: by its `/proc/self/fd` path.
/// Apart, so that its path buffer is no part of `mount_at`'s frame.
#[cold]
#[inline(never)]
fn mount_by_fd_path(source: Option<ZStr<'_>>, at: Fd, name: Option<ZStr<'_>>, fstype: Option<ZStr<'_>>, flags: u32, data: Option<ZStr<'_>>) -> Result<(), Errno> {
    let mut path = ZBuf::<{ PATH_MAX + 32 }>::from_parts(&[fd_path(at, None).bytes()]).map_err(|_| Errno::ENAMETOOLONG)?;
    if let Some(name) = name {
        path.push(b"/").and_then(|p| p.push(name.bytes())).map_err(|_| Errno::ENAMETOOLONG)?;
    }
    sys::mount(source, path.zstr(), fstype, flags, data)
}

/// Makes the directory `at` the working directory (`mount_at`), when
/// `remember_working_directory` kept the way back and `at` can be entered.
fn enter(at: Fd) -> bool {
    BACK.load(Ordering::Relaxed) >= 0 && sys::fchdir(at).is_ok()
}

/// Back to the working directory after `enter`, where relative host paths
/// are looked up from.
fn leave(entered: bool) -> Result<(), Errno> {
    if entered { sys::fchdir(BACK.load(Ordering::Relaxed)) } else { Ok(()) }
}

/// `/proc/self/fd/N`, or `/proc/self/fd/N/name`: a path for mount(2) that
/// is exactly the opened mount point.
pub fn fd_path(fd: Fd, name: Option<&CStr>) -> ZBuf<64> {
    let mut path = ZBuf::new();
    // Short enough for the buffer: the number has at most 10 digits and the
    // names are this module's own.
    let _ = path.push(b"/proc/self/fd/").and_then(|p| p.push_num(fd as u64, 10));
    if let Some(name) = name {
        let _ = path.push(b"/").and_then(|p| p.push(name.to_bytes()));
    }
    path
}

/// Opens the mount point `dst` (`O_PATH`). Inside a rootfs it is looked up
/// confined to it, and a missing one is created as `create` says; without
/// a rootfs it is the host's own path, never created.
pub fn open_point(dst: ZStr<'_>, root: Option<&Root<'_>>, create: Option<Point>) -> Result<OwnedFd, Error> {
    let Some(root) = root else {
        return sys::open(dst, O_PATH | O_CLOEXEC, 0).map(OwnedFd).map_err(|e| {
            let e = Error::sys_z("open", dst, e);
            if create.is_some() { e.push(b" (mount points are created only inside --rootfs)") } else { e }
        });
    };
    match (in_root(root, relative(dst)), create) {
        (Err(Errno::ENOENT), Some(point)) => create_point(dst, root, point),
        (r, _) => r.map_err(|e| lookup_error(dst, root, e)),
    }
}

/// The files below the container's `/proc` that a mount an image's symlink
/// leads there may still cover: those lxcfs binds, as runc's
/// `checkProcMount` (libcontainer/rootfs_linux.go) lists them.
const PROC_FILES: [&[u8]; 10] = [
    b"/proc/cpuinfo",
    b"/proc/diskstats",
    b"/proc/meminfo",
    b"/proc/stat",
    b"/proc/swaps",
    b"/proc/uptime",
    b"/proc/loadavg",
    b"/proc/slabinfo",
    b"/proc/sys/kernel/ns_last_pid",
    b"/proc/sys/crypto/fips_enabled",
];

/// Opens the mount point `dst` of a mount as `open_point` does; inside a
/// root, refuses one that the image's symlinks or `..` lead into the
/// container's `/proc`, or into any procfs, where a mount would hide or
/// spoof the kernel's files (`/proc/self/attr`, where LSM labels are
/// written; `/proc/sys`): runc's `checkProcMount`, its CVE-2019-19921 fix.
/// Only a procfs (`procfs`: a `proc` mount or a bind of one) may go on
/// `/proc` itself, and anything on one of `PROC_FILES`. A place named
/// without a symlink or `..` is the config's own choice, as a mask or a
/// read-only path is, and is not checked: no image has a say in it.
/// The descriptor returned is the one checked, so nothing swapped in the
/// image since leads the mount elsewhere. Device nodes are made and bound
/// in a directory opened by it too (`devices::make_all`).
pub fn mount_point(dst: ZStr<'_>, root: Option<&Root<'_>>, create: Option<Point>, procfs: impl FnOnce() -> bool) -> Result<OwnedFd, Error> {
    if let Some(root) = root {
        root.linked.set(false);
    }
    let point = open_point(dst, root, create)?;
    match root {
        Some(root) if root.linked.get() => check_not_in_proc(&point, dst, root, procfs).map(|()| point),
        _ => Ok(point),
    }
}

/// `mount_point`'s check of `point`, found from `root` through a symlink or
/// `..`: where it is in the container, from the `/proc/self/fd` paths of
/// both (the kernel's own name for what each descriptor is, as nsinit
/// sees it before `pivot_root`), and its filesystem (`fstatfs`).
/// Apart and not inlined: rare, and its two path buffers are large.
#[cold]
#[inline(never)]
fn check_not_in_proc(point: &OwnedFd, dst: ZStr<'_>, root: &Root<'_>, procfs: impl FnOnce() -> bool) -> Result<(), Error> {
    let (mut at, mut top) = ([0u8; PATH_MAX], [0u8; PATH_MAX]);
    let unknown = |e: Errno| Error::sys_z("readlink", dst, e).push(b" (where the mount point resolves in ").push_z(root.path).push(b")");
    let at = fd_target(point.0, &mut at).map_err(unknown)?;
    let top = fd_target(root.fd.0, &mut top).map_err(unknown)?;
    // The place in the container: below the root's own path.
    let inner = match top {
        b"/" => Some(at),
        _ => at.strip_prefix(top).filter(|rest| rest.first().is_none_or(|&c| c == b'/')),
    };
    let Some(inner) = inner else {
        return Err(Error::new(b"mount on ").push_z(dst).push(b": resolves to ").push(at).push(b", not below the root ").push(top));
    };
    // The filesystem too: a procfs the config mounts elsewhere is as much
    // the kernel's, and the descriptor's filesystem is no name to race.
    let magic = sys::fstatfs(point.0).map(|(magic, _)| magic).map_err(|e| Error::sys_z("statfs", dst, e))?;
    let in_proc = below(inner, b"/proc");
    if !in_proc && magic != u64::from(PROC_SUPER_MAGIC) {
        return Ok(());
    }
    let is = |path: &[u8]| nesting(inner, path) == (true, true);
    if (is(b"/proc") && procfs()) || PROC_FILES.iter().any(|f| is(f)) {
        return Ok(());
    }
    let inner = if inner.is_empty() { &b"/"[..] } else { inner };
    Err(Error::new(b"mount on ")
        .push_z(dst)
        .push(if in_proc { b": resolves inside /proc, to " } else { b": resolves inside a procfs, to " })
        .push(inner)
        .push(b" (on /proc only proc may go, below it only a mount on a file lxcfs binds, as runc allows)"))
}

/// The `/proc/self/fd` link of `fd` read into `buf`: the path of what it
/// is open at. ENAMETOOLONG where the path may have been cut.
fn fd_target(fd: Fd, buf: &mut [u8; PATH_MAX]) -> Result<&[u8], Errno> {
    let n = sys::readlink(fd_path(fd, None).zstr(), buf)?;
    if n >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(&buf[..n])
}

/// Whether the mount `m` makes a procfs, the only mount `mount_point`
/// lets onto `/proc` itself: a `proc` mount, or a bind whose source is one.
fn makes_procfs(m: &Mount<'_>) -> bool {
    match m.source {
        Some(source) if is_bind(m) => sys::statfs_type(source) == Ok(u64::from(PROC_SUPER_MAGIC)),
        _ => m.kind == MountKind::Proc || m.fstype.is_some_and(|t| t.bytes() == b"proc"),
    }
}

/// `open DST: ERRNO in ROOT`, saying what an ELOOP means here.
fn lookup_error(dst: ZStr<'_>, root: &Root<'_>, e: Errno) -> Error {
    let err = Error::sys_z("open", dst, e).push(b" in ").push_z(root.path);
    if e == Errno::ELOOP { err.push(b" (a symlink loop, or a link into /proc, in the image)") } else { err }
}

/// One component of the walk in `create_point`.
enum Step {
    /// There, opened.
    Found(OwnedFd),
    /// A dangling symlink, its target of this length read.
    Link(usize),
    /// Made, or changed meanwhile: look again.
    Again,
}

/// Most symlinks followed while making a mount point, as the kernel's
/// MAXSYMLINKS: more is ELOOP.
const MAX_LINKS: usize = 40;
/// Most times the walk starts over because what it looked at changed
/// under it (another process creating or removing the same names).
const MAX_RACES: usize = 16;

/// Creates the missing mount point `dst` inside `root` and opens it, as
/// runc does since 1.2 (runc#5090): the path is walked one component at
/// a time, each prefix looked up from the root as the container sees it
/// (`open_in_root`: `RESOLVE_IN_ROOT`, no `/proc` magic link). A missing
/// component is made in its parent, a directory on the way and `create`
/// last. A dangling symlink is followed by hand: its target takes its place
/// in the path (an absolute one from the root, a relative one from the
/// link's directory; `..` never climbs above the root), and what it names
/// is made, with its missing parents, so that `/etc/localtime ->
/// /usr/share/zoneinfo/X` gets a file at `/usr/share/zoneinfo/X` and the
/// mount on it. Every lookup starts at the root and every change is one
/// name in a directory opened that way (`mkdirat`, `mknodat` and
/// `readlinkat` never follow the last link), so nothing in the image, or
/// swapped into it meanwhile, leads a creation or the mount outside the
/// root. More than 40 links, or a loop: ELOOP.
// Apart and not inlined: rare, and its two path buffers are large.
#[cold]
#[inline(never)]
fn create_point(dst: ZStr<'_>, root: &Root<'_>, create: Point) -> Result<OwnedFd, Error> {
    let fail = |e| lookup_error(dst, root, e);
    // `path[..len]` is the path left to walk, from the root; a link's
    // target is spliced into `next`, which then takes its place.
    let (mut path, mut next) = ([0u8; PATH_MAX], [0u8; PATH_MAX]);
    let rel = relative(dst).bytes();
    let mut len = rel.len();
    path.get_mut(..len).filter(|_| len < PATH_MAX).ok_or(Errno::ENAMETOOLONG).map_err(fail)?.copy_from_slice(rel);
    let (mut links, mut races) = (0, 0);
    'walk: loop {
        let mut parent: Option<OwnedFd> = None;
        let mut start = 0;
        while start < len {
            let end = path[start..len].iter().position(|&c| c == b'/').map_or(len, |i| start + i);
            let name = &path[start..end];
            if name.is_empty() {
                start += 1;
                continue;
            }
            let dots = name == b"." || name == b"..";
            let last = path[end..len].iter().all(|&c| c == b'/');
            let dir = parent.as_ref().map_or(root.fd.0, |p| p.0);
            // The prefix up to `end`, ended in place while it is used.
            let after = core::mem::replace(&mut path[end], 0);
            let prefix = ZStr::from_bytes_until_nul(&path).ok_or(Errno::EINVAL).map_err(fail)?;
            let step = match in_root(root, prefix) {
                Ok(fd) => Step::Found(fd),
                Err(Errno::ENOENT) if !dots => {
                    let name = prefix.skip(start);
                    match sys::readlinkat(dir, name, &mut next[start..]) {
                        // An empty target names nothing (the kernel makes none).
                        Ok(0) => return Err(fail(Errno::ENOENT)),
                        Ok(n) => Step::Link(n),
                        // Missing: made, then looked up again from the root.
                        Err(Errno::ENOENT) => {
                            if !make(dir, name, prefix.bytes(), if last { create } else { Point::Dir }, dst)? {
                                races += 1;
                            }
                            Step::Again
                        }
                        // It appeared or changed since the lookup.
                        Err(_) => {
                            races += 1;
                            Step::Again
                        }
                    }
                }
                Err(e) => return Err(fail(e)),
            };
            path[end] = after;
            match step {
                Step::Found(fd) => {
                    parent = Some(fd);
                    start = end + 1;
                    continue;
                }
                Step::Again => {}
                // A dangling link: its target in its place, from the root
                // when absolute, from the link's directory when relative.
                Step::Link(_) if !cfg!(feature = "paths") => return Err(fail(Errno::ENOENT)),
                Step::Link(n) => {
                    links += 1;
                    root.linked.set(true);
                    let head = if next[start] == b'/' { 0 } else { start };
                    let total = head + n + (len - end);
                    if links > MAX_LINKS {
                        return Err(fail(Errno::ELOOP));
                    }
                    // A target that filled the buffer may have been cut.
                    if start + n >= PATH_MAX || total >= PATH_MAX {
                        return Err(fail(Errno::ENAMETOOLONG));
                    }
                    if head == 0 {
                        next.copy_within(start..start + n, 0);
                    } else {
                        next[..head].copy_from_slice(&path[..head]);
                    }
                    next[head + n..total].copy_from_slice(&path[end..len]);
                    core::mem::swap(&mut path, &mut next);
                    len = total;
                }
            }
            if races > MAX_RACES {
                return Err(fail(Errno::EAGAIN).push(b" (the image changed while the mount point was made)"));
            }
            continue 'walk;
        }
        path[len] = 0;
        let whole = ZStr::from_bytes_until_nul(&path).ok_or(Errno::EINVAL).map_err(fail)?;
        return in_root(root, whole).map_err(fail);
    }
}

/// An absolute path in the container as one relative to its root.
fn relative(path: ZStr<'_>) -> ZStr<'_> {
    path.skip(path.bytes().iter().take_while(|&&c| c == b'/').count())
}

/// Opens `relative` from the root (`open_in_root`), first following no
/// symlink at all (`RESOLVE_NO_SYMLINKS`): only a lookup that needs one, or
/// that holds `..`, can end on the root itself through a name, or anywhere
/// but the place named, and then the root says so: `maybe_root` for
/// `after_mount`, `linked` for `mount_point`.
fn in_root(root: &Root<'_>, relative: ZStr<'_>) -> Result<OwnedFd, Errno> {
    let path = if relative.bytes().is_empty() { ZStr::new(c".") } else { relative };
    if path.bytes().split(|&c| c == b'/').any(|part| part == b"..") {
        root.maybe_root.set(true);
        root.linked.set(true);
    }
    match sys::openat2(root.fd.0, path, O_CLOEXEC | O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS) {
        Err(Errno::ELOOP | Errno::EAGAIN) => {
            root.maybe_root.set(true);
            root.linked.set(true);
            open_in_root(root.fd.0, path, O_PATH)
        }
        r => r.map(OwnedFd),
    }
}

/// Creates `name` in the directory `parent`: a directory or an empty
/// file; `path` (in the root) names it in errors. `false`: one was there
/// already (made meanwhile), no error: the walk looks again.
fn make(parent: Fd, name: ZStr<'_>, path: &[u8], point: Point, dst: ZStr<'_>) -> Result<bool, Error> {
    let made = match point {
        Point::Dir => sys::mkdirat(parent, name, 0o755),
        Point::File => sys::mknodat(parent, name, S_IFREG | 0o644, 0),
    };
    match made {
        Ok(()) => Ok(true),
        Err(Errno::EEXIST) => Ok(false),
        Err(e) => {
            let e2 = Error::sys_in(if point == Point::Dir { "mkdir" } else { "mknod" }, b"", path, e)
                .push(b" (for ")
                .push_z(dst)
                .push(b")");
            Err(if e == Errno::EACCES || e == Errno::EPERM {
                e2.push(b"; the container may not write the image: make the mount point there beforehand")
            } else {
                e2
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{is_root, nesting, own_cgroup_path};

    #[test]
    fn own_cgroup_paths_by_hierarchy() {
        let own = b"12:pids:/docker/c1\n3:cpu,cpuacct:/docker/c1\n1:name=systemd:/s\n0::/u\n";
        assert_eq!(own_cgroup_path(own, b"pids"), Some(&b"/docker/c1"[..]));
        assert_eq!(own_cgroup_path(own, b"cpu,cpuacct"), Some(&b"/docker/c1"[..]));
        assert_eq!(own_cgroup_path(own, b"cpu"), None);
        assert_eq!(own_cgroup_path(own, b"systemd"), Some(&b"/s"[..]));
        assert_eq!(own_cgroup_path(own, b""), Some(&b"/u"[..]));
    }

    #[test]
    fn nesting_goes_name_by_name_both_ways() {
        let cases = [
            ("/proc/acpi", "/proc", (true, false)),
            ("/proc", "/proc/acpi", (false, true)),
            ("//proc/./acpi/", "/proc/acpi", (true, true)),
            ("/", "/.", (true, true)),
            ("/procx", "/proc", (false, false)),
            ("/sys/proc", "/proc", (false, false)),
            ("/proc/a", "/proc/b", (false, false)),
            ("/", "/sys", (false, true)),
            ("/.a", "/", (true, false)),
        ];
        for (a, b, want) in cases {
            assert_eq!(nesting(a.as_bytes(), b.as_bytes()), want, "{a} and {b}");
        }
    }

    #[test]
    fn only_slashes_and_dots_name_the_root() {
        for root in ["/", "//", "/.", "/./", "/.//.", "."] {
            assert!(is_root(root.as_bytes()), "{root}");
        }
        for other in ["/a", "/..", "/.a", "/a/..", "/./b"] {
            assert!(!is_root(other.as_bytes()), "{other}");
        }
    }
}
