//! The root filesystem: keep the container's mounts away from the host's,
//! and make `--rootfs` the root with `pivot_root` (never `chroot`).

use crate::error::Error;
use crate::sys::{self, Errno, ZStr};
use super::mounts::{self, Root};
use core::ffi::CStr;
use crate::config::{MAX_LOWERS, PATH_MAX};
use crate::sys::OwnedFd;
use crate::text::ZBuf;
use linux_raw_sys::general::{
    AT_EMPTY_PATH, AT_RECURSIVE, MNT_DETACH, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOSUID, MOUNT_ATTR_RDONLY, MS_BIND, MS_MOVE, MS_NODEV, MS_REC,
    MS_SLAVE, O_CLOEXEC, O_DIRECTORY, O_PATH, O_RDONLY, CLONE_NEWNS, LOCK_EX, LOCK_NB, OPEN_TREE_CLOEXEC, OPEN_TREE_CLONE, RESOLVE_NO_MAGICLINKS,
    S_IFLNK, S_IFMT, mount_attr,
};

/// Makes every mount a slave of the host's, as runc's default `rslave`:
/// host mounts still show inside, but nothing done inside reaches the host.
/// Returns whether `/` is not a mount point: nsinit runs in a chroot,
/// where the kernel refuses (EINVAL) to change the propagation of `/` or
/// to pivot away from it. Then the change is made from the root of the
/// mount namespace (`from_namespace_root`), whole, and the chroot entered
/// again, exactly where it was.
pub fn stop_propagation() -> Result<bool, Error> {
    let slave = || sys::mount(None, ZStr::new(c"/"), None, MS_REC | MS_SLAVE, None);
    match slave() {
        Ok(()) => Ok(false),
        Err(Errno::EINVAL) if cfg!(feature = "chroot") => in_chroot_from_namespace_root(slave).map(|()| true),
        Err(e) => Err(Error::of("mount / (MS_SLAVE)", e)),
    }
}

/// Gives the container's `/`, and with `MS_REC` every mount under it, the
/// propagation `flags` (`--rootfs-propagation`), once it is the root, as
/// runc applies `rootfsPropagation`. The mounts were made slaves of the
/// host's first (`stop_propagation`): `shared` makes them share with one
/// another and still only receive from the host, never send to it.
#[cold]
pub fn propagate_root(flags: u32) -> Result<(), Error> {
    sys::mount(None, ZStr::new(c"/"), None, flags, None).map_err(|e| Error::of("mount /", e).push(b" (--rootfs-propagation)"))
}

/// Runs `step` at the root of the mount namespace, then enters the chroot
/// and the working directory it left, by descriptor.
#[cold]
fn in_chroot_from_namespace_root(step: impl FnOnce() -> Result<(), Errno>) -> Result<(), Error> {
    let open = |path: &'static CStr| {
        sys::open(ZStr::new(path), O_PATH | O_DIRECTORY | O_CLOEXEC, 0).map(OwnedFd).map_err(|e| Error::sys("open", path.to_bytes(), e))
    };
    let (chroot, cwd) = (open(c"/")?, open(c".")?);
    from_namespace_root()?;
    step().map_err(|e| Error::of("mount / (MS_SLAVE, from the mount namespace's root: / is not a mount point)", e))?;
    let dot = ZStr::new(c".");
    sys::fchdir(chroot.0).and_then(|()| sys::chroot(dot)).and_then(|()| sys::fchdir(cwd.0))
        .map_err(|e| Error::of("chroot /", e).push(b" (back into the chroot nsinit runs in)"))
}

/// Moves this process's root and working directory to the root of its
/// mount namespace: joining one's own mount namespace (`setns`, which
/// CAP_SYS_CHROOT allows) resets both. For nsinit started in a chroot,
/// whose `/` is no mount point: only this process sees it, in the new
/// mount namespace that is its own, and what runs there looks up no path.
#[cold]
fn from_namespace_root() -> Result<(), Error> {
    let me = sys::pidfd_open(sys::getpid()).map(OwnedFd).map_err(|e| Error::of("pidfd_open self", e))?;
    sys::setns(me.0, CLONE_NEWNS).map_err(|e| Error::of("setns own mount namespace", e).push(b" (to leave the chroot nsinit runs in)"))
}

/// `pivot_root` needs the new root to be a mount point: a copy of the
/// rootfs's mounts (`open_tree`), attached on top of the rootfs. The copy's
/// descriptor is the new mount itself, so `.`, `/` or any path whose lookup
/// would not cross onto it still gives the new root.
///
/// The copy is `nodev`, all its mounts: a device node made in the image
/// (root in the container keeps `CAP_MKNOD`, as in Docker) cannot be
/// opened, so the host's disks stay out of reach without a device cgroup.
///
/// Where the path ends in a name (not `/`, `.` or `..`) that is no symlink,
/// its lookup does cross onto a mount on top: there the rootfs is bound
/// onto itself and opened again, which costs less than a copy (`open_tree`
/// makes an anonymous mount namespace for it); the bind is without `nodev`
/// a moment, where only this process can see it. A symlink's lookup ends
/// as its target's does: one to `/`, to `.` or into `/proc/self` stops on
/// the directory itself, under the bind; so does a trailing `/` after one.
pub fn bind_root(path: ZStr<'_>) -> Result<Root<'_>, Error> {
    let bytes = path.bytes();
    let last = bytes.rsplit(|&c| c == b'/').find(|name| !name.is_empty());
    if bytes.last() != Some(&b'/')
        && last.is_some_and(|name| name != b"." && name != b"..")
        && sys::lstat_mode(path).is_ok_and(|mode| mode & S_IFMT != S_IFLNK)
    {
        sys::mount(Some(path), path, None, MS_BIND | MS_REC, None).map_err(|e| Error::sys_z("bind", path, e))?;
        let top = sys::open(path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0).map(OwnedFd).map_err(|e| Error::sys_z("open", path, e))?;
        mounts::set_attributes(&top, MOUNT_ATTR_NODEV).map_err(|e| Error::sys_z("mount_setattr", path, e).push(b" (nodev)"))?;
        return Ok(Root::new(path, top));
    }
    let tree = sys::open_tree(sys::CWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)
        .map(OwnedFd)
        .map_err(|e| Error::sys_z("bind", path, e))?;
    mounts::set_attributes(&tree, MOUNT_ATTR_NODEV).map_err(|e| Error::sys_z("mount_setattr", path, e).push(b" (nodev)"))?;
    let place = sys::open(path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0).map(OwnedFd).map_err(|e| Error::sys_z("open", path, e))?;
    sys::move_mount(tree.0, place.0).map_err(|e| Error::sys_z("bind", path, e))?;
    Ok(Root::new(path, tree))
}

/// Pivots with the new and the old root on the same directory, then detaches
/// the old one, which is stacked on top: no directory for the old root is
/// needed inside the rootfs, so a read-only rootfs works. `in_chroot`
/// (nsinit's `/` is not a mount point, which `pivot_root` wants): the pivot
/// is made from the mount namespace's root, and the whole tree detached.
pub fn pivot_into(root: &Root<'_>, in_chroot: bool) -> Result<(), Error> {
    let dot = ZStr::new(c".");
    let in_chroot = cfg!(feature = "chroot") && in_chroot;
    if in_chroot {
        from_namespace_root()?;
    }
    sys::fchdir(root.fd.0).map_err(|e| Error::sys_z("chdir", root.path, e))?;
    match sys::pivot_root(dot, dot) {
        // The initramfs cannot be pivoted away from; there, do what
        // switch_root does.
        Err(Errno::EINVAL) if !in_chroot => return switch_root(root),
        r => r.map_err(|e| Error::sys_z("pivot_root", root.path, e))?,
    }
    sys::umount2(dot, MNT_DETACH).map_err(|e| Error::of("umount old root", e))
}

/// Moves the new root onto `/` and chroots into it: for an initramfs,
/// whose root no `pivot_root` can move.
fn switch_root(root: &Root<'_>) -> Result<(), Error> {
    let dot = ZStr::new(c".");
    sys::mount(Some(dot), ZStr::new(c"/"), None, MS_MOVE, None)
        .map_err(|e| Error::sys_z("mount", root.path, e).push(b" (MS_MOVE onto /, as pivot_root failed)"))?;
    sys::chroot(dot).map_err(|e| Error::sys_z("chroot", root.path, e))
}

/// The directories of an `--overlay` root as nsinit found them before the
/// container started: its layers, and the upper layer and work directory
/// of `--overlay-upper`, made, the upper one locked. The container, in its
/// own mount namespace, opens them again by path (overlayfs takes only
/// layers of that namespace) and checks it found these.
pub struct OverlayDirs {
    layers: heapless::Vec<OwnedFd, MAX_LOWERS>,
    /// The upper layer, held with `flock` for as long as nsinit runs, and
    /// its work directory.
    upper: Option<[OwnedFd; 2]>,
}

type Path = ZBuf<PATH_MAX>;

/// The parts of `--overlay LOWER[:LOWER...]`.
fn each_lower(lowers: ZStr<'_>) -> impl Iterator<Item = &[u8]> {
    lowers.bytes().split(|&c| c == b':')
}

/// Opens the directory `path`; the outer error is a path too long.
fn try_open_dir(path: &[u8], flags: u32) -> Result<Result<OwnedFd, Errno>, Error> {
    // Built in place: a returned buffer would be copied, 4 KiB each time.
    let mut z = Path::new();
    z.push(path).map_err(too_long)?;
    Ok(sys::open(z.zstr(), flags | O_DIRECTORY | O_CLOEXEC, 0).map(OwnedFd))
}

/// Opens the directory `path`, a `what` in errors.
fn open_dir(path: &[u8], flags: u32, what: &[u8]) -> Result<OwnedFd, Error> {
    try_open_dir(path, flags)?.map_err(|e| Error::sys("open", path, e).push(b" (").push(what).push(b")"))
}

impl OverlayDirs {
    /// Opens the layers and, for `upper` (a cleaned path, not ending in
    /// `.` or `..`), makes the upper layer and its work directory
    /// `UPPER.work` beside it where missing, and locks the upper one: two
    /// containers writing one upper layer at once would corrupt it, and
    /// overlayfs itself only warns (or, with `index=on`, says EBUSY). An
    /// upper directory inside a lower layer, or holding one, is refused
    /// before anything is made: the container would write into it. Run by
    /// nsinit before the container starts; the lock goes with nsinit.
    // Not inlined: its path buffers would sit in the frame of every start.
    #[inline(never)]
    #[cold]
    pub fn prepare(lowers: ZStr<'_>, upper: Option<ZStr<'_>>) -> Result<&'static OverlayDirs, Error> {
        // Kept, never dropped: the lock goes when nsinit exits.
        static DIRS: crate::rt::StaticCell<Option<OverlayDirs>> = crate::rt::StaticCell::new(None);
        let dirs = DIRS.take().ok_or_else(|| Error::new(b"--overlay: prepared twice"))?;
        Ok(dirs.insert(OverlayDirs::open(lowers, upper)?))
    }

    fn open(lowers: ZStr<'_>, upper: Option<ZStr<'_>>) -> Result<OverlayDirs, Error> {
        let mut layers = heapless::Vec::new();
        for lower in each_lower(lowers) {
            let fd = open_dir(lower, O_PATH, b"overlay layer")?;
            layers.push(fd).map_err(|_| Error::new(b"--overlay: too many layers"))?;
        }
        let Some(dir) = upper else { return Ok(OverlayDirs { layers, upper: None }) };
        let lower_path = |i: usize| each_lower(lowers).nth(i).unwrap_or_default();
        let up = dir.bytes();
        let parent: &[u8] = match up.iter().rposition(|&c| c == b'/') {
            Some(0) => b"/",
            Some(i) => &up[..i],
            None => b".",
        };
        let parent = open_dir(parent, O_PATH, b"the overlay's upper layer's parent")?;
        if let Some(i) = inside(parent.0, &layers).map_err(|e| Error::sys("open", up, e))? {
            return Err(Error::new(b"--overlay-upper ").push(up).push(b": inside the lower layer ")
                .push(lower_path(i)).push(b"; the container would write into it"));
        }
        let mut work = Path::new();
        work.push(up).and_then(|w| w.push(b".work")).map_err(too_long)?;
        // Those already there must not hold a lower layer, checked before
        // anything is made; one made now holds nothing.
        for path in [up, work.bytes()] {
            let found = match try_open_dir(path, O_PATH)? {
                Ok(fd) => fd,
                Err(Errno::ENOENT) => continue,
                Err(e) => return Err(Error::sys("open", path, e).push(b" (overlay layer)")),
            };
            for (i, layer) in layers.iter().enumerate() {
                let holds = inside(layer.0, core::slice::from_ref(&found)).map_err(|e| Error::sys("open", lower_path(i), e))?;
                if holds.is_some() {
                    return Err(Error::new(b"--overlay-upper ").push(up).push(b": holds the lower layer ")
                        .push(lower_path(i)).push(b"; the container would write into it"));
                }
            }
        }
        let mut upper = Path::new();
        upper.push(up).map_err(too_long)?;
        for (path, what) in [(&mut upper, &b"upper layer"[..]), (&mut work, b"work directory")] {
            match sys::mkdirat(sys::CWD, path.zstr(), 0o755) {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(e) => return Err(Error::sys("mkdir", path.bytes(), e).push(b" (the overlay's ").push(what).push(b")")),
            }
        }
        // flock wants a descriptor opened for reading, not O_PATH.
        let locked = open_dir(up, O_RDONLY, b"the overlay's upper layer")?;
        match sys::flock(locked.0, LOCK_EX | LOCK_NB) {
            Ok(()) => {}
            Err(Errno::EWOULDBLOCK) => {
                return Err(Error::new(b"--overlay-upper ").push(up)
                    .push(b": in use by another container (one upper layer serves one container at a time)"));
            }
            Err(e) => return Err(Error::sys("flock", up, e).push(b" (the overlay's upper layer)")),
        }
        let work = open_dir(work.bytes(), O_PATH, b"the overlay's work directory")?;
        Ok(OverlayDirs { layers, upper: Some([locked, work]) })
    }
}

/// Opens the directory at `path` as `expected` was opened before the
/// container started; refuses another one found there since.
fn open_again(path: &[u8], expected: &OwnedFd, what: &[u8]) -> Result<OwnedFd, Error> {
    let fd = open_dir(path, O_PATH, what)?;
    let id = |fd: &OwnedFd| sys::fstat(fd.0).map(|st| (st.st_dev, st.st_ino));
    if id(&fd).map_err(|e| Error::sys("fstat", path, e))? != id(expected).map_err(|e| Error::sys("fstat", path, e))? {
        return Err(Error::new(path).push(b": replaced while the container started (").push(what).push(b")"));
    }
    Ok(fd)
}

/// Builds the root from `--overlay` layers, found as `dirs` says, named to
/// overlayfs through /proc/self/fd once opened. The overlay's mount point
/// and, without `upper`, its throwaway upper and work directories are in
/// a tmpfs made detached (`fsmount`) and only then attached on the first
/// layer's place (in this mount namespace only): nothing is made through a
/// path, so nothing lands in a layer, whatever its path (`/`, `.`, a
/// symlink). Errors name the layers and the upper directory as given.
// Not inlined: its path buffers would make every container's setup frame
// (and the stack pages it touches) 14 KiB larger.
#[inline(never)]
#[cold]
pub fn overlay_root<'a>(lowers: ZStr<'a>, upper: Option<ZStr<'_>>, dirs: &OverlayDirs) -> Result<Root<'a>, Error> {
    let mut data = ZBuf::<1024>::new();
    data.push(b"lowerdir=").map_err(too_long)?;
    let mut layers: heapless::Vec<OwnedFd, MAX_LOWERS> = heapless::Vec::new();
    for (i, (lower, before)) in each_lower(lowers).zip(&dirs.layers).enumerate() {
        let fd = open_again(lower, before, b"overlay layer")?;
        if i > 0 {
            data.push(b":").map_err(too_long)?;
        }
        data.push(b"/proc/self/fd/").and_then(|d| d.push_num(fd.0 as u64, 10)).map_err(too_long)?;
        layers.push(fd).map_err(|_| Error::new(b"--overlay: too many layers"))?;
    }
    let lower_path = |i: usize| each_lower(lowers).nth(i).unwrap_or_default();
    let upper_dirs = match (upper, &dirs.upper) {
        (Some(dir), Some([up, work])) => {
            let mut work_path = Path::new();
            work_path.push(dir.bytes()).and_then(|w| w.push(b".work")).map_err(too_long)?;
            Some([open_again(dir.bytes(), up, b"the overlay's upper layer")?, open_again(work_path.zstr().bytes(), work, b"the overlay's work directory")?])
        }
        _ => None,
    };
    let first = layers.first().ok_or_else(|| Error::new(b"--overlay: no layer"))?;
    let throwaway = b" (the overlay's throwaway upper layer)";
    let staging = mounts::new_tmpfs(ZStr::new(c"755"), ZStr::new(c""), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
        .and_then(|t| sys::move_mount(t.0, first.0).map(|()| t))
        .map_err(|e| Error::of("mount tmpfs", e).push(b" on ").push(lower_path(0)).push(throwaway))?;
    let make = |name: &CStr| {
        sys::mkdirat(staging.0, ZStr::new(name), 0o755).map_err(|e| Error::sys("mkdir", name.to_bytes(), e).push(throwaway))
    };
    let mut dir_arg = |key: &[u8], fd: Option<&OwnedFd>, name: &CStr| {
        data.push(key)?.push(b"/proc/self/fd/")?;
        match fd {
            Some(fd) => data.push_num(fd.0 as u64, 10).map(drop),
            None => data.push_num(staging.0 as u64, 10)?.push(b"/")?.push(name.to_bytes()).map(drop),
        }
    };
    let [up, work] = match &upper_dirs {
        Some([up, work]) => [Some(up), Some(work)],
        None => {
            make(c"upper")?;
            make(c"work")?;
            [None, None]
        }
    };
    dir_arg(b",upperdir=", up, c"upper").map_err(too_long)?;
    dir_arg(b",workdir=", work, c"work").map_err(too_long)?;
    make(c"root")?;
    let target = fd_path(staging.0, c"root");
    let mut target = target.map_err(too_long)?;
    let overlay = ZStr::new(c"overlay");
    // nodev, as the root of `--rootfs` (`bind_root`).
    let mut mounted = sys::mount(Some(overlay), target.zstr(), Some(overlay), MS_NODEV, Some(data.zstr()));
    if mounted == Err(Errno::EINVAL) {
        // In a user namespace overlayfs wants its attributes in user.* xattrs.
        data.push(b",userxattr").map_err(too_long)?;
        mounted = sys::mount(Some(overlay), target.zstr(), Some(overlay), MS_NODEV, Some(data.zstr()));
    }
    mounted.map_err(|e| {
        let err = Error::of("mount overlay", e).push(b" on ").push(lower_path(0));
        match (upper, e) {
            // overlayfs's own check, for an upper or work directory that a
            // mount nsinit did not make holds (with index=on).
            (Some(dir), Errno::EBUSY) => err.push(b" (--overlay-upper ").push(dir.bytes()).push(b" or its work directory is in use by another overlay mount)"),
            (Some(dir), _) => err.push(b" (upper layer ").push(dir.bytes()).push(b")"),
            (None, _) => err,
        }
    })?;
    // Looked up from the staging tmpfs, `root` crosses onto the overlay.
    let fd = sys::openat2(staging.0, ZStr::new(c"root"), O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_NO_MAGICLINKS)
        .map(OwnedFd)
        .map_err(|e| Error::of("open overlay", e).push(b" on ").push(lower_path(0)))?;
    Ok(Root::new(lowers, fd))
}

/// `/proc/self/fd/N/name`.
fn fd_path(fd: sys::Fd, name: &CStr) -> Result<ZBuf<64>, crate::text::TooLong> {
    let mut path = ZBuf::new();
    path.push(b"/proc/self/fd/")?.push_num(fd as u64, 10)?.push(b"/")?.push(name.to_bytes())?;
    Ok(path)
}

/// Which of `dirs` holds `dir` (or is it), walking up from `dir` with `..`
/// to the root; `None` when none does.
fn inside(dir: sys::Fd, dirs: &[OwnedFd]) -> Result<Option<usize>, Errno> {
    let mut ids: heapless::Vec<(u64, u64), MAX_LOWERS> = heapless::Vec::new();
    for d in dirs {
        let st = sys::fstat(d.0)?;
        let _ = ids.push((st.st_dev, st.st_ino));
    }
    let dotdot = ZStr::new(c"..");
    let mut at = sys::openat2(dir, ZStr::new(c"."), O_PATH | O_DIRECTORY | O_CLOEXEC, 0).map(OwnedFd)?;
    // A path has fewer levels than half its length.
    for _ in 0..PATH_MAX {
        let st = sys::fstat(at.0)?;
        let id = (st.st_dev, st.st_ino);
        if let Some(i) = ids.iter().position(|&d| d == id) {
            return Ok(Some(i));
        }
        let up = sys::openat2(at.0, dotdot, O_PATH | O_DIRECTORY | O_CLOEXEC, 0).map(OwnedFd)?;
        let up_st = sys::fstat(up.0)?;
        if (up_st.st_dev, up_st.st_ino) == id {
            return Ok(None);
        }
        at = up;
    }
    Ok(None)
}

fn too_long(_: crate::text::TooLong) -> Error {
    Error::new(b"--overlay: path too long")
}

/// `--read-only`: the root mount, not the ones on it, becomes read-only.
pub fn make_read_only(root: &Root<'_>) -> Result<(), Error> {
    let attr = mount_attr { attr_set: u64::from(MOUNT_ATTR_RDONLY), attr_clr: 0, propagation: 0, userns_fd: 0 };
    sys::mount_setattr(root.fd.0, ZStr::new(c""), AT_EMPTY_PATH, &attr)
        .map_err(|e| Error::sys_z("mount_setattr", root.path, e).push(b" (--read-only)"))
}

/// Enters the working directory `dir` (`--chdir`) once in the root: looked
/// up from the root as mount points are (`openat2` with `RESOLVE_IN_ROOT |
/// RESOLVE_NO_MAGICLINKS`), so that no symlink in the image, `..` or
/// `/proc` link (`/proc/self/fd/N`, `/proc/self/cwd`) leads out of it (the
/// runc CVE-2024-21626 class); then checked to be inside the root as the
/// kernel sees it: `getcwd` says `(unreachable)` for a directory outside.
/// With `may_wait`, a refusal (EACCES) is `Ok(false)`: a directory only
/// the payload's user may enter is entered once nsinit has become that
/// user, as runc and crun do. Errors: `chdir DIR: ERRNO` (ENOENT, ENOTDIR,
/// EACCES, ELOOP for a magic link).
#[inline(never)]
pub fn enter_workdir(dir: ZStr<'_>, root: &Root<'_>, may_wait: bool) -> Result<bool, Error> {
    let path = dir.skip(dir.bytes().iter().take_while(|&&c| c == b'/').count());
    let path = if path.bytes().is_empty() { ZStr::new(c".") } else { path };
    match mounts::open_in_root(root.fd.0, path, O_PATH | O_DIRECTORY).and_then(|fd| sys::fchdir(fd.0)) {
        Err(Errno::EACCES) if may_wait => return Ok(false),
        entered => entered.map_err(|e| Error::sys_z("chdir", dir, e))?,
    }
    let mut cwd = [0u8; PATH_MAX];
    let n = sys::getcwd(&mut cwd).map_err(|e| Error::sys_z("chdir", dir, e))?;
    if cwd.first() != Some(&b'/') || n == 0 {
        return Err(Error::new(b"chdir ").push_z(dir).push(b": outside the container's root"));
    }
    Ok(true)
}
