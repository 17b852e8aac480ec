//! Device nodes in the container (OCI `linux.devices`, `--device`) and
//! the runtime-spec's default devices, made after the mounts and before
//! `pivot_root`, as runc makes them. As root, each is made with mknod,
//! with its mode and owner; in a user namespace (where mknod is refused)
//! or on a filesystem mounted `nodev` (where a node made could not be
//! opened, such as the `--dev` tmpfs), the host's node is bound on an
//! empty file instead, as runc and crun do. Every path is looked up inside
//! the root as the mount points are (`mounts::mount_point`: `openat2` with
//! `RESOLVE_IN_ROOT`), its missing directories made there, and one the
//! image's symlinks lead into /proc refused.

use super::mounts::{Point, Root, fd_path, mount_point};
use crate::config::{Container, Device, PATH_MAX};
use crate::error::Error;
use crate::sys::{self, Errno, OwnedFd, ZStr};
use crate::text::ZBuf;
use core::ffi::CStr;
use linux_raw_sys::general::{
    AT_SYMLINK_NOFOLLOW, MS_BIND, O_CLOEXEC, O_PATH, RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS, S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT,
    S_IFREG,
};

/// The runtime-spec's default devices, as the host has them: (name in
/// `/dev`, the node's path, major, minor). Each is a character device,
/// mode 0666, owned by root.
pub const DEFAULT_DEVICES: [(&CStr, &CStr, u32, u32); 6] = [
    (c"null", c"/dev/null", 1, 3),
    (c"zero", c"/dev/zero", 1, 5),
    (c"full", c"/dev/full", 1, 7),
    (c"random", c"/dev/random", 1, 8),
    (c"urandom", c"/dev/urandom", 1, 9),
    (c"tty", c"/dev/tty", 5, 0),
];

/// The symlinks of a container's `/dev`: (name, target).
pub const DEV_LINKS: [(&CStr, &CStr); 5] = [
    (c"fd", c"/proc/self/fd"),
    (c"stdin", c"/proc/self/fd/0"),
    (c"stdout", c"/proc/self/fd/1"),
    (c"stderr", c"/proc/self/fd/2"),
    (c"ptmx", c"pts/ptmx"),
];

/// `statfs`'s `ST_NODEV`.
const ST_NODEV: u64 = 4;

/// The kernel's `dev_t` of (major, minor), as glibc's `makedev`.
pub fn makedev(major: u32, minor: u32) -> u64 {
    let (major, minor) = (u64::from(major), u64::from(minor));
    ((major & 0xffff_f000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffff_ff00) << 12) | (minor & 0xff)
}

/// Makes the default devices (with `c.default_devices`) and `c.devices`
/// inside `root`. `userns`: the container has a user namespace of its own.
pub fn make_all(c: &Container<'_>, root: Option<&Root<'_>>, userns: bool) -> Result<(), Error> {
    let Some(root) = root else {
        return Err(Error::new(b"devices are made only inside a root of the container's own (--rootfs)"));
    };
    // The modes as given, whatever nsinit's umask.
    let umask = sys::umask(0);
    let made = make_each(c, root, userns);
    sys::umask(umask);
    made
}

fn make_each(c: &Container<'_>, root: &Root<'_>, userns: bool) -> Result<(), Error> {
    if c.default_devices {
        for (_, path, major, minor) in DEFAULT_DEVICES {
            let d = Device {
                path: ZStr::new(path),
                kind: crate::config::DeviceKind::Char,
                major,
                minor,
                file_mode: None,
                uid: None,
                gid: None,
                source: None,
                access: 0,
            };
            make(&d, root, userns)?;
        }
        let dev = mount_point(ZStr::new(c"/dev"), Some(root), Some(Point::Dir), || false)?;
        for (name, target) in DEV_LINKS {
            match sys::symlinkat(ZStr::new(target), dev.0, ZStr::new(name)) {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(e) => return Err(Error::sys_in("symlink", b"/dev", name.to_bytes(), e)),
            }
        }
    }
    // `/dev/ptmx` stays the link to the container's devpts (`DEV_LINKS`):
    // the host's node there would open ptys on the host's devpts. A
    // privileged container's list (containerd, CRI and docker give every
    // node of the host's /dev) has it; runc skips it too.
    for d in c.devices.iter().filter(|d| d.path.bytes() != b"/dev/ptmx") {
        make(d, root, userns)?;
    }
    Ok(())
}

/// Makes the device `d`; see the module's text.
fn make(d: &Device<'_>, root: &Root<'_>, userns: bool) -> Result<(), Error> {
    let path = d.path.bytes();
    let slash = path.iter().rposition(|&c| c == b'/').unwrap_or(0);
    let name = d.path.skip(slash + 1);
    if matches!(name.bytes(), b"" | b"." | b"..") {
        return Err(Error::new(b"device path names no file: ").push(path));
    }
    // Built in place: a returned buffer would be copied, 4 KiB each time.
    let mut parent = ZBuf::<PATH_MAX>::new();
    parent.push(if slash == 0 { b"/" } else { &path[..slash] }).map_err(|_| Error::new(b"device path too long: ").push(path))?;
    // An image's /dev (or /dev/net...) that is a symlink into /proc,
    // without a /dev mount over it, would have a node bound on a file of
    // the container's /proc (`/dev/kmsg` on /proc/kmsg): refused, as a
    // mount there is.
    let dir = mount_point(parent.zstr(), Some(root), Some(Point::Dir), || false)?;
    // What the node is: as given, or as the host's `--device` node is.
    let (kind, rdev, mode, uid, gid, host) = match d.source {
        Some(host) => {
            let st = sys::stat(host).map_err(|e| Error::sys_z("stat", host, e).push(b" (device)"))?;
            let kind = st.st_mode & S_IFMT;
            if kind != S_IFCHR && kind != S_IFBLK && kind != S_IFIFO {
                return Err(Error::new(b"device ").push_z(host).push(b": not a device node on the host"));
            }
            (kind, st.st_rdev, st.st_mode & 0o7777, st.st_uid, st.st_gid, host)
        }
        None => (d.kind.mode(), makedev(d.major, d.minor), 0o666, 0, 0, d.path),
    };
    let mode = d.file_mode.unwrap_or(mode);
    let nodev = sys::fstatfs(dir.0).is_ok_and(|(_, flags)| flags & ST_NODEV != 0);
    if !userns && !nodev {
        match sys::mknodat(dir.0, name, kind | mode, rdev) {
            Ok(()) => {
                return sys::fchownat(dir.0, name, d.uid.unwrap_or(uid), d.gid.unwrap_or(gid), AT_SYMLINK_NOFOLLOW)
                    .map_err(|e| Error::sys("chown", path, e).push(b" (device)"));
            }
            // Left as it is, as runc leaves it.
            Err(Errno::EEXIST) => return Ok(()),
            Err(Errno::EPERM) => {}
            Err(e) => return Err(Error::sys("mknod", path, e)),
        }
    }
    bind(host, &dir, name, path)
}

/// Binds the host's node `host` on an empty file `name` made in `dir`
/// (`path` in the container). The file is opened without following a
/// symlink: one put there would lead the bind elsewhere.
fn bind(host: ZStr<'_>, dir: &OwnedFd, name: ZStr<'_>, path: &[u8]) -> Result<(), Error> {
    match sys::mknodat(dir.0, name, S_IFREG | 0o666, 0) {
        Ok(()) | Err(Errno::EEXIST) => {}
        Err(e) => return Err(Error::sys("mknod", path, e).push(b" (for a device bound from the host)")),
    }
    let node = match sys::openat2(dir.0, name, O_PATH | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) {
        Ok(fd) => OwnedFd(fd),
        // A link there, nsinit's `/dev/ptmx` -> `pts/ptmx` (Docker's
        // --privileged lists the host's /dev/ptmx): left as it is, as an
        // existing node is; runc's ptmx link too ends up over it.
        Err(Errno::ELOOP) => return Ok(()),
        Err(e) => return Err(Error::sys("open", path, e).push(b" (device)")),
    };
    sys::mount(Some(host), fd_path(node.0, None).zstr(), None, MS_BIND, None)
        .map_err(|e| Error::sys_z("bind", host, e).push(b" on ").push(path))
}

#[cfg(test)]
mod tests {
    use super::makedev;

    #[test]
    fn device_numbers_as_glibc_makes_them() {
        assert_eq!(makedev(1, 3), 0x103);
        assert_eq!(makedev(5, 0), 0x500);
        assert_eq!(makedev(259, 0), 0x10300);
        assert_eq!(makedev(4095, 0xfffff), 0xffff_ffff);
    }
}
