//! The mounts of `--proc`, `--sysfs`, `--tmpfs`, `--bind`, `--ro-bind`,
//! `--dev` and `--mqueue`, made under the new root before `pivot_root`.
//!
//! A missing mount point is created only inside a `--rootfs`: without one it
//! would be created on the host and outlive the container.

use crate::config::{Mount, MountKind, PATH_MAX};
use crate::error::Error;
use crate::sys::{self, Errno, ZStr};
use crate::text::ZBuf;
use linux_raw_sys::general::{
    AT_RECURSIVE, MOUNT_ATTR_RDONLY, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, S_IFDIR, S_IFMT,
    S_IFREG, mount_attr,
};

type Path = ZBuf<PATH_MAX>;

/// Files bind-mounted from the host's `/dev` into `--dev`.
const DEVICES: [&[u8]; 6] = [b"null", b"zero", b"full", b"random", b"urandom", b"tty"];
/// Symlinks in `--dev`: (name, target).
const DEV_LINKS: [(&[u8], &core::ffi::CStr); 5] = [
    (b"fd", c"/proc/self/fd"),
    (b"stdin", c"/proc/self/fd/0"),
    (b"stdout", c"/proc/self/fd/1"),
    (b"stderr", c"/proc/self/fd/2"),
    (b"ptmx", c"pts/ptmx"),
];

pub fn mount(m: &Mount<'_>, root: Option<ZStr<'_>>) -> Result<(), Error> {
    let root_len = root.map(|r| r.bytes().len());
    let mut target = Path::from_parts(&[root.map_or(&b""[..], |r| r.bytes()), m.destination.bytes()])
        .map_err(|_| Error::new(b"mount destination too long: ").push(m.destination.bytes()))?;
    let nodev = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    match m.kind {
        MountKind::Proc => filesystem(c"proc", &mut target, root_len, nodev, None),
        MountKind::Sysfs => filesystem(c"sysfs", &mut target, root_len, nodev | readonly(m), None),
        MountKind::Mqueue => filesystem(c"mqueue", &mut target, root_len, nodev, None),
        MountKind::Tmpfs => {
            let mut data = ZBuf::<64>::new();
            if let Some(size) = m.size {
                let _ = data.push(b"size=").and_then(|d| d.push_num(size, 10));
            }
            if let Some(mode) = m.mode {
                let sep: &[u8] = if data.is_empty() { b"mode=" } else { b",mode=" };
                let _ = data.push(sep).and_then(|d| d.push_num(u64::from(mode), 8));
            }
            let data = if data.is_empty() { None } else { Some(data.zstr()) };
            filesystem(c"tmpfs", &mut target, root_len, MS_NOSUID | MS_NODEV | readonly(m), data)
        }
        MountKind::Bind => match m.source {
            Some(source) => bind(source, &mut target, root_len, m.readonly),
            None => Err(Error::new(b"bind without a source: ").push(m.destination.bytes())),
        },
        MountKind::Dev => dev(&mut target, root_len),
    }
}

fn readonly(m: &Mount<'_>) -> u32 {
    if m.readonly { MS_RDONLY } else { 0 }
}

/// Mounts a filesystem of `fstype`, creating a missing mount point when it
/// is inside the rootfs (`root_len` bytes of `target` are the rootfs).
fn filesystem(
    fstype: &'static core::ffi::CStr,
    target: &mut Path,
    root_len: Option<usize>,
    flags: u32,
    data: Option<ZStr<'_>>,
) -> Result<(), Error> {
    let fs = ZStr::new(fstype);
    let attempt = |target: &mut Path| sys::mount(Some(fs), target.zstr(), Some(fs), flags, data);
    match attempt(target) {
        Err(Errno::ENOENT) if root_len.is_some() => {
            create_dirs(target, root_len.unwrap_or(0), true)?;
            attempt(target)
        }
        r => r,
    }
    .map_err(|e| Error::sys("mount", fstype.to_bytes(), e).push(b" on ").push(target.bytes()))
}

/// Bind-mounts the host's `source`, recursively; `readonly` makes the whole
/// tree read-only at once with `mount_setattr`.
fn bind(source: ZStr<'_>, target: &mut Path, root_len: Option<usize>, readonly: bool) -> Result<(), Error> {
    let attempt = |target: &mut Path| sys::mount(Some(source), target.zstr(), None, MS_BIND | MS_REC, None);
    let bound = match attempt(target) {
        Err(Errno::ENOENT) => {
            // Tell a missing source from a missing mount point.
            let mode = sys::stat_mode(source).map_err(|e| Error::sys("bind", source.bytes(), e))?;
            match root_len {
                Some(from) => {
                    create_dirs(target, from, mode & S_IFMT == S_IFDIR)?;
                    attempt(target)
                }
                None => Err(Errno::ENOENT),
            }
        }
        r => r,
    };
    bound.map_err(|e| Error::sys("bind", source.bytes(), e).push(b" on ").push(target.bytes()))?;
    if readonly {
        let attr = mount_attr { attr_set: u64::from(MOUNT_ATTR_RDONLY), attr_clr: 0, propagation: 0, userns_fd: 0 };
        sys::mount_setattr(target.zstr(), AT_RECURSIVE, &attr)
            .map_err(|e| Error::sys("mount_setattr", target.bytes(), e).push(b" (read-only)"))?;
    }
    Ok(())
}

/// A minimal `/dev`: a tmpfs with the host's harmless devices bound in, the
/// usual symlinks, a private devpts and a tmpfs for shared memory.
fn dev(target: &mut Path, root_len: Option<usize>) -> Result<(), Error> {
    filesystem(c"tmpfs", target, root_len, MS_NOSUID, Some(ZStr::new(c"mode=755,size=65536k")))?;
    let dir_len = target.len();
    let too_long = |_| Error::new(b"path too long under ").push(b"/dev");
    for name in DEVICES {
        target.truncate(dir_len);
        target.push(b"/").and_then(|t| t.push(name)).map_err(too_long)?;
        sys::mknod(target.zstr(), S_IFREG | 0o666, 0).map_err(|e| Error::sys("mknod", target.bytes(), e))?;
        let mut host = ZBuf::<32>::from_parts(&[b"/dev/", name]).map_err(too_long)?;
        bind(host.zstr(), target, None, false)?;
    }
    for (name, points_to) in DEV_LINKS {
        target.truncate(dir_len);
        target.push(b"/").and_then(|t| t.push(name)).map_err(too_long)?;
        sys::symlink(ZStr::new(points_to), target.zstr()).map_err(|e| Error::sys("symlink", target.bytes(), e))?;
    }
    target.truncate(dir_len);
    target.push(b"/pts").map_err(too_long)?;
    let pts = ZStr::new(c"devpts");
    sys::mkdir(target.zstr(), 0o755).map_err(|e| Error::sys("mkdir", target.bytes(), e))?;
    sys::mount(Some(pts), target.zstr(), Some(pts), MS_NOSUID | MS_NOEXEC, Some(ZStr::new(c"newinstance,ptmxmode=0666,mode=0620,gid=5")))
        .map_err(|e| Error::sys("mount", b"devpts", e).push(b" on ").push(target.bytes()))?;
    target.truncate(dir_len);
    target.push(b"/shm").map_err(too_long)?;
    sys::mkdir(target.zstr(), 0o1777).map_err(|e| Error::sys("mkdir", target.bytes(), e))?;
    filesystem(c"tmpfs", target, None, MS_NOSUID | MS_NODEV | MS_NOEXEC, Some(ZStr::new(c"mode=1777,size=65536k")))
}

/// Creates the missing directories of `target` below its first `from` bytes,
/// and `target` itself: a directory, or an empty file for a file bind.
fn create_dirs(target: &mut Path, from: usize, dir: bool) -> Result<(), Error> {
    let mkdir = |p: ZStr<'_>| match sys::mkdir(p, 0o755) {
        Ok(()) | Err(Errno::EEXIST) => Ok(()),
        Err(e) => Err(Error::sys("mkdir", p.bytes(), e)),
    };
    target.for_each_parent(from, mkdir)?;
    if dir {
        mkdir(target.zstr())
    } else {
        match sys::mknod(target.zstr(), S_IFREG | 0o644, 0) {
            Ok(()) | Err(Errno::EEXIST) => Ok(()),
            Err(e) => Err(Error::sys("mknod", target.bytes(), e)),
        }
    }
}
