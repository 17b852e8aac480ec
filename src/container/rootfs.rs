//! The root filesystem: keep the container's mounts away from the host's,
//! and make `--rootfs` the root with `pivot_root` (never `chroot`).

use crate::error::Error;
use crate::sys::{self, Errno, ZStr};
use super::mounts::Root;
use crate::config::{MAX_LOWERS, PATH_MAX};
use crate::sys::OwnedFd;
use crate::text::ZBuf;
use linux_raw_sys::general::{
    AT_EMPTY_PATH, MNT_DETACH, MOUNT_ATTR_RDONLY, MS_BIND, MS_MOVE, MS_NODEV, MS_NOSUID, MS_REC, MS_SLAVE, O_CLOEXEC,
    O_DIRECTORY, O_PATH, mount_attr,
};

/// Makes every mount a slave of the host's, as runc's default `rslave`:
/// host mounts still show inside, but nothing done inside reaches the host.
pub fn stop_propagation() -> Result<(), Error> {
    sys::mount(None, ZStr::new(c"/"), None, MS_REC | MS_SLAVE, None)
        .map_err(|e| Error::sys("mount", b"/ (MS_SLAVE)", e))
}

/// `pivot_root` needs the new root to be a mount point: bind it onto itself,
/// then open it, so that every later step finds it by descriptor.
pub fn bind_root(path: ZStr<'_>) -> Result<Root<'_>, Error> {
    sys::mount(Some(path), path, None, MS_BIND | MS_REC, None).map_err(|e| Error::sys("bind", path.bytes(), e))?;
    let fd = sys::open(path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0).map_err(|e| Error::sys("open", path.bytes(), e))?;
    Ok(Root { path, fd })
}

/// Pivots with the new and the old root on the same directory, then detaches
/// the old one, which is stacked on top: no directory for the old root is
/// needed inside the rootfs, so a read-only rootfs works.
pub fn pivot_into(root: &Root<'_>) -> Result<(), Error> {
    let dot = ZStr::new(c".");
    sys::fchdir(root.fd).map_err(|e| Error::sys("chdir", root.path.bytes(), e))?;
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

/// Builds the root from `--overlay` layers: a tmpfs over the first layer's
/// path (in this mount namespace only) holds the overlay's mount point and,
/// unless `upper` names a directory, its throwaway upper and work
/// directories. The layers are opened before the tmpfs hides the first and
/// named to overlayfs through /proc/self/fd. The layers are never written.
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
    let mut staging = Path::new();
    for (i, lower) in lowers.bytes().split(|&c| c == b':').enumerate() {
        let mut path = Path::from_parts(&[lower]).map_err(too_long)?;
        let fd = open_dir(&mut path)?;
        if i == 0 {
            staging = path;
        } else {
            data.push(b":").map_err(too_long)?;
        }
        data.push(b"/proc/self/fd/").and_then(|d| d.push_num(fd.0 as u64, 10)).map_err(too_long)?;
        layers.push(fd).map_err(|_| Error::new(b"--overlay: too many layers"))?;
    }
    // The upper and work directories, opened before anything is hidden.
    let (upper_fd, work_fd) = match upper {
        Some(dir) => {
            // Made when missing: the upper layer is the container's state.
            let mut up = Path::from_parts(&[dir.bytes()]).map_err(too_long)?;
            let mut work = Path::from_parts(&[dir.bytes(), b".work"]).map_err(too_long)?;
            for (path, what) in [(&mut up, &b"upper layer"[..]), (&mut work, b"work directory")] {
                match sys::mkdirat(sys::CWD, path.zstr(), 0o755) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(e) => return Err(Error::sys("mkdir", path.bytes(), e).push(b" (the overlay's ").push(what).push(b")")),
                }
            }
            (Some(open_dir(&mut up)?), Some(open_dir(&mut work)?))
        }
        None => (None, None),
    };
    let tmpfs = ZStr::new(c"tmpfs");
    sys::mount(Some(tmpfs), staging.zstr(), Some(tmpfs), MS_NOSUID | MS_NODEV, Some(ZStr::new(c"mode=755")))
        .map_err(|e| Error::sys("mount", b"tmpfs", e).push(b" on ").push(staging.bytes()).push(b" (overlay staging)"))?;
    let stage_len = staging.len();
    let at = |name: &[u8], staging: &mut Path| -> Result<(), Error> {
        staging.truncate(stage_len);
        staging.push(b"/").and_then(|s| s.push(name)).map_err(too_long)?;
        sys::mkdirat(sys::CWD, staging.zstr(), 0o755).map_err(|e| Error::sys("mkdir", staging.bytes(), e))
    };
    let dir_arg = |data: &mut ZBuf<1024>, key: &[u8], fd: &Option<OwnedFd>, name: &[u8], staging: &Path| {
        data.push(key)?;
        match fd {
            Some(fd) => data.push(b"/proc/self/fd/")?.push_num(fd.0 as u64, 10).map(drop),
            None => data.push(&staging.bytes()[..stage_len])?.push(b"/")?.push(name).map(drop),
        }
    };
    if upper.is_none() {
        at(b"upper", &mut staging)?;
        at(b"work", &mut staging)?;
    }
    dir_arg(&mut data, b",upperdir=", &upper_fd, b"upper", &staging).map_err(too_long)?;
    dir_arg(&mut data, b",workdir=", &work_fd, b"work", &staging).map_err(too_long)?;
    at(b"root", &mut staging)?;
    let overlay = ZStr::new(c"overlay");
    let mut mounted = sys::mount(Some(overlay), staging.zstr(), Some(overlay), 0, Some(data.zstr()));
    if mounted == Err(Errno::EINVAL) {
        // In a user namespace overlayfs wants its attributes in user.* xattrs.
        data.push(b",userxattr").map_err(too_long)?;
        mounted = sys::mount(Some(overlay), staging.zstr(), Some(overlay), 0, Some(data.zstr()));
    }
    mounted.map_err(|e| Error::sys("mount", b"overlay", e).push(b" on ").push(staging.bytes()))?;
    let fd = sys::open(staging.zstr(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0).map_err(|e| Error::sys("open", staging.bytes(), e))?;
    Ok(Root { path: lowers, fd })
}

fn too_long(_: crate::text::TooLong) -> Error {
    Error::new(b"--overlay: path too long")
}

/// `--read-only`: the root mount, not the ones on it, becomes read-only.
pub fn make_read_only(root: &Root<'_>) -> Result<(), Error> {
    let attr = mount_attr { attr_set: u64::from(MOUNT_ATTR_RDONLY), attr_clr: 0, propagation: 0, userns_fd: 0 };
    sys::mount_setattr(root.fd, ZStr::new(c""), AT_EMPTY_PATH, &attr)
        .map_err(|e| Error::sys("mount_setattr", root.path.bytes(), e).push(b" (--read-only)"))
}
