//! The root filesystem: keep the container's mounts away from the host's,
//! and make `--rootfs` the root with `pivot_root` (never `chroot`).

use crate::error::Error;
use crate::sys::{self, Errno, ZStr};
use super::mounts::Root;
use linux_raw_sys::general::{MNT_DETACH, MS_BIND, MS_MOVE, MS_REC, MS_SLAVE, O_CLOEXEC, O_DIRECTORY, O_PATH};

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
