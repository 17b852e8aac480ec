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
    AT_EMPTY_PATH, AT_RECURSIVE, MNT_DETACH, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOSUID, MOUNT_ATTR_RDONLY, MS_MOVE, MS_NODEV, MS_REC,
    MS_SLAVE, O_CLOEXEC, O_DIRECTORY, O_PATH, OPEN_TREE_CLOEXEC, OPEN_TREE_CLONE, RESOLVE_NO_MAGICLINKS,
    mount_attr,
};

/// Makes every mount a slave of the host's, as runc's default `rslave`:
/// host mounts still show inside, but nothing done inside reaches the host.
pub fn stop_propagation() -> Result<(), Error> {
    sys::mount(None, ZStr::new(c"/"), None, MS_REC | MS_SLAVE, None)
        .map_err(|e| Error::sys("mount", b"/ (MS_SLAVE)", e))
}

/// `pivot_root` needs the new root to be a mount point: a copy of the
/// rootfs's mounts (`open_tree`), attached on top of the rootfs. The copy's
/// descriptor is the new mount itself, so `.`, `/` or any path whose lookup
/// would not cross onto it still gives the new root.
///
/// The copy is `nodev`, all its mounts: a device node made in the image
/// (root in the container keeps `CAP_MKNOD`, as in Docker) cannot be
/// opened, so the host's disks stay out of reach without a device cgroup.
pub fn bind_root(path: ZStr<'_>) -> Result<Root<'_>, Error> {
    let tree = sys::open_tree(sys::CWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)
        .map(OwnedFd)
        .map_err(|e| Error::sys("bind", path.bytes(), e))?;
    mounts::set_attributes(&tree, MOUNT_ATTR_NODEV).map_err(|e| Error::sys("mount_setattr", path.bytes(), e).push(b" (nodev)"))?;
    let place = sys::open(path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0).map(OwnedFd).map_err(|e| Error::sys("open", path.bytes(), e))?;
    sys::move_mount(tree.0, place.0).map_err(|e| Error::sys("bind", path.bytes(), e))?;
    Ok(Root { path, fd: tree })
}

/// Pivots with the new and the old root on the same directory, then detaches
/// the old one, which is stacked on top: no directory for the old root is
/// needed inside the rootfs, so a read-only rootfs works.
pub fn pivot_into(root: &Root<'_>) -> Result<(), Error> {
    let dot = ZStr::new(c".");
    sys::fchdir(root.fd.0).map_err(|e| Error::sys("chdir", root.path.bytes(), e))?;
    match sys::pivot_root(dot, dot) {
        // The initramfs cannot be pivoted away from; there, do what
        // switch_root does.
        Err(Errno::EINVAL) => return switch_root(root),
        r => r.map_err(|e| Error::sys("pivot_root", root.path.bytes(), e))?,
    }
    sys::umount2(dot, MNT_DETACH).map_err(|e| Error::sys("umount", b"old root", e))
}

/// Moves the new root onto `/` and chroots into it: for an initramfs,
/// whose root no `pivot_root` can move.
fn switch_root(root: &Root<'_>) -> Result<(), Error> {
    let dot = ZStr::new(c".");
    sys::mount(Some(dot), ZStr::new(c"/"), None, MS_MOVE, None)
        .map_err(|e| Error::sys("mount", root.path.bytes(), e).push(b" (MS_MOVE onto /, as pivot_root failed)"))?;
    sys::chroot(dot).map_err(|e| Error::sys("chroot", root.path.bytes(), e))
}

/// Builds the root from `--overlay` layers, named to overlayfs through
/// /proc/self/fd once opened. The overlay's mount point and, unless `upper`
/// names a directory, its throwaway upper and work directories are in a
/// tmpfs made detached (`fsmount`) and only then attached on the first
/// layer's place (in this mount namespace only): nothing is made through a
/// path, so nothing lands in a layer, whatever its path (`/`, `.`, a
/// symlink). An upper directory inside a lower layer, or holding one, is
/// refused before anything is made: the container would write into it.
// Not inlined: its path buffers would make every container's setup frame
// (and the stack pages it touches) 14 KiB larger.
#[inline(never)]
#[cold]
pub fn overlay_root<'a>(lowers: ZStr<'a>, upper: Option<ZStr<'_>>) -> Result<Root<'a>, Error> {
    type Path = ZBuf<PATH_MAX>;
    let open_dir = |path: &mut Path| {
        sys::open(path.zstr(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0)
            .map(OwnedFd)
            .map_err(|e| Error::sys("open", path.bytes(), e).push(b" (overlay layer)"))
    };
    let mut data = ZBuf::<1024>::from_parts(&[b"lowerdir="]).map_err(too_long)?;
    let mut layers: heapless::Vec<OwnedFd, MAX_LOWERS> = heapless::Vec::new();
    for (i, lower) in lowers.bytes().split(|&c| c == b':').enumerate() {
        let fd = open_dir(&mut Path::from_parts(&[lower]).map_err(too_long)?)?;
        if i > 0 {
            data.push(b":").map_err(too_long)?;
        }
        data.push(b"/proc/self/fd/").and_then(|d| d.push_num(fd.0 as u64, 10)).map_err(too_long)?;
        layers.push(fd).map_err(|_| Error::new(b"--overlay: too many layers"))?;
    }
    let lower_path = |i: usize| lowers.bytes().split(|&c| c == b':').nth(i).unwrap_or_default();
    // The upper and work directories, opened before anything is attached.
    let upper_dirs = match upper {
        Some(dir) => {
            // Both are made in the upper directory's parent, when missing:
            // the upper layer is the container's state.
            let trimmed = dir.bytes().iter().rposition(|&c| c != b'/').map_or(&b"/"[..], |end| &dir.bytes()[..=end]);
            // `U/` is `U`: its work directory `U.work` beside it, not inside.
            let mut up = Path::from_parts(&[trimmed]).map_err(too_long)?;
            let mut work = Path::from_parts(&[trimmed, b".work"]).map_err(too_long)?;
            let parent: &[u8] = match trimmed.iter().rposition(|&c| c == b'/') {
                Some(0) => b"/",
                Some(i) => &trimmed[..i],
                None => b".",
            };
            let mut parent = Path::from_parts(&[parent]).map_err(too_long)?;
            let parent = open_dir(&mut parent)?;
            if let Some(i) = inside(parent.0, &layers).map_err(|e| Error::sys("open", dir.bytes(), e))? {
                return Err(Error::new(b"--overlay-upper ").push(dir.bytes()).push(b": inside the lower layer ")
                    .push(lower_path(i)).push(b"; the container would write into it"));
            }
            // Those already there must not hold a lower layer, checked before
            // anything is made; one made now holds nothing.
            for path in [&mut up, &mut work] {
                let found = match sys::open(path.zstr(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0) {
                    Ok(fd) => OwnedFd(fd),
                    Err(Errno::ENOENT) => continue,
                    Err(e) => return Err(Error::sys("open", path.bytes(), e).push(b" (overlay layer)")),
                };
                for (i, layer) in layers.iter().enumerate() {
                    let holds = inside(layer.0, core::slice::from_ref(&found)).map_err(|e| Error::sys("open", lower_path(i), e))?;
                    if holds.is_some() {
                        return Err(Error::new(b"--overlay-upper ").push(dir.bytes()).push(b": holds the lower layer ")
                            .push(lower_path(i)).push(b"; the container would write into it"));
                    }
                }
            }
            for (path, what) in [(&mut up, &b"upper layer"[..]), (&mut work, b"work directory")] {
                match sys::mkdirat(sys::CWD, path.zstr(), 0o755) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(e) => return Err(Error::sys("mkdir", path.bytes(), e).push(b" (the overlay's ").push(what).push(b")")),
                }
            }
            Some([open_dir(&mut up)?, open_dir(&mut work)?])
        }
        None => None,
    };
    let first = layers.first().ok_or_else(|| Error::new(b"--overlay: no layer"))?;
    let staging = mounts::new_tmpfs(ZStr::new(c"755"), ZStr::new(c""), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
        .and_then(|t| sys::move_mount(t.0, first.0).map(|()| t))
        .map_err(|e| Error::sys("mount", b"tmpfs", e).push(b" on ").push(lower_path(0)).push(b" (overlay staging)"))?;
    let make = |name: &CStr| {
        sys::mkdirat(staging.0, ZStr::new(name), 0o755)
            .map_err(|e| Error::sys_in("mkdir", b"overlay staging", name.to_bytes(), e))
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
    mounted.map_err(|e| Error::sys("mount", b"overlay", e).push(b" on ").push(lower_path(0)))?;
    // Looked up from the staging tmpfs, `root` crosses onto the overlay.
    let fd = sys::openat2(staging.0, ZStr::new(c"root"), O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_NO_MAGICLINKS)
        .map(OwnedFd)
        .map_err(|e| Error::sys("open", b"overlay", e))?;
    Ok(Root { path: lowers, fd })
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
        .map_err(|e| Error::sys("mount_setattr", root.path.bytes(), e).push(b" (--read-only)"))
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
        entered => entered.map_err(|e| Error::sys("chdir", dir.bytes(), e))?,
    }
    let mut cwd = [0u8; PATH_MAX];
    let n = sys::getcwd(&mut cwd).map_err(|e| Error::sys("chdir", dir.bytes(), e))?;
    if cwd.first() != Some(&b'/') || n == 0 {
        return Err(Error::new(b"chdir ").push(dir.bytes()).push(b": outside the container's root"));
    }
    Ok(true)
}
