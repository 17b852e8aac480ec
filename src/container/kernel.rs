//! What the container asks of the kernel beyond namespaces and mounts,
//! container side: sysctls (`linux.sysctl`), AppArmor and SELinux exec
//! labels, and the payload's personality, scheduling, I/O priority, CPU
//! affinity and umask.

use crate::config::{Container, CpuSet, namespace_name, sysctl_namespace, sysctl_path};
use crate::error::Error;
use crate::sys::{self, Errno, OwnedFd, ZStr};
use crate::text::ZBuf;
use linux_raw_sys::general::{
    O_CLOEXEC, O_DIRECTORY, O_PATH, O_RDONLY, O_WRONLY, PROC_SUPER_MAGIC,
    RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS,
};

/// Checks, before anything is made, that every sysctl is one of a
/// namespace the container has of its own, as runc does: IPC's with an
/// IPC namespace, `net.*` with a network namespace,
/// `kernel.hostname` and `kernel.domainname` with a UTS namespace, none of
/// them a joined one that is the host's (`Joined::is_host`). Any
/// other key would change the host: refused, named.
#[inline(never)]
pub fn check_sysctls(c: &Container<'_>, joined: Option<&super::join::Joined>) -> Result<(), Error> {
    for s in &c.sysctls {
        let key = s.key.bytes();
        let refuse = |why: &[u8]| Err(Error::new(b"sysctl ").push(key).push(b": ").push(why));
        let Some(namespace) = sysctl_namespace(key) else {
            return refuse(b"not in a namespace of the container's own (only kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*, kernel.hostname, kernel.domainname)");
        };
        let own = c.has(namespace) || c.joins(namespace);
        // A joined namespace that is the host's is not the container's own.
        let host = !c.has(namespace) && joined.map_or(Ok(true), |j| j.is_host(namespace))?;
        if !own || host {
            let e = Error::new(b"sysctl ").push(key).push(b": needs a ").push(namespace_name(namespace));
            return Err(e.push(b" namespace of the container's own"));
        }
    }
    Ok(())
}

/// Writes the sysctls, through nsinit's own `/proc/sys` (a procfs; the
/// container's is read-only by then): a parameter of a namespace is the
/// writer's namespace's. Before `pivot_root`, after the mounts and the
/// network namespace, as runc writes them after its own.
pub fn write_sysctls(c: &Container<'_>) -> Result<(), Error> {
    let dir = ZStr::new(c"/proc/sys");
    let sysctl = sys::open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0).map(OwnedFd).map_err(|e| Error::sys_z("open", dir, e))?;
    if sys::fstatfs(sysctl.0).map(|(t, _)| t) != Ok(u64::from(PROC_SUPER_MAGIC)) {
        return Err(Error::new(b"/proc/sys is not a procfs (sysctls are written through it)"));
    }
    for s in &c.sysctls {
        let mut buf = [0u8; 256];
        let mut full = ZBuf::<272>::from_parts(&[b"/proc/sys/"]).unwrap_or_default();
        let path = sysctl_path(s.key.bytes(), &mut buf[..255]).map(|p| p.len());
        let fd = match path.map(|len| (&buf[..=len], full.push(&buf[..len]))) {
            Some((path, Ok(_))) => ZStr::from_bytes_until_nul(path)
                .ok_or(Errno::EINVAL)
                .and_then(|path| sys::openat2(sysctl.0, path, O_WRONLY | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS))
                .map(OwnedFd)
                .map_err(|e| ("open", e)),
            _ => Err(("open", Errno::ENAMETOOLONG)),
        };
        fd.and_then(|fd| sys::write(fd.0, s.value.bytes()).map_err(|e| ("write", e)))
            .map_err(|(step, e)| Error::sys(step, full.bytes(), e).push(b" (sysctl ").push_z(s.key).push(b")"))?;
    }
    Ok(())
}

/// Whether an LSM is enabled on the host: `/sys/module/apparmor/parameters/enabled`
/// says `Y`; SELinux's filesystem is mounted (as runc and libselinux tell).
fn lsm_enabled(apparmor: bool) -> bool {
    if apparmor {
        let mut buf = [0u8; 4];
        let Ok(fd) = sys::open(ZStr::new(c"/sys/module/apparmor/parameters/enabled"), O_RDONLY | O_CLOEXEC, 0).map(OwnedFd) else {
            return false;
        };
        sys::read(fd.0, &mut buf).is_ok_and(|n| n > 0 && buf[0] == b'Y')
    } else {
        sys::statfs_type(ZStr::new(c"/sys/fs/selinux")) == Ok(0xf97c_ff8c)
    }
}

/// Whether SELinux is enabled on the host (see `lsm_enabled`).
pub fn selinux_enabled() -> bool {
    lsm_enabled(false)
}

/// The AppArmor profile and the SELinux label the payload gets at its
/// exec, written to `/proc/self/attr/.../exec` as runc writes them
/// (`exec PROFILE` for AppArmor). Through nsinit's own `/proc`, before
/// `pivot_root`: no file of the image can stand in for it. An LSM the host
/// has not enabled is left alone; one it has must take the label.
pub fn set_exec_labels(c: &Container<'_>) -> Result<(), Error> {
    if let Some(profile) = c.process.apparmor_profile.filter(|_| lsm_enabled(true)) {
        let text = ZBuf::<512>::from_parts(&[b"exec ", profile.bytes()])
            .map_err(|_| Error::new(b"AppArmor profile name too long: ").push_z(profile))?;
        let new = ZStr::new(c"/proc/self/attr/apparmor/exec");
        let written = match sys::write_file(new, text.bytes()) {
            // Kernels before 5.8 have the one attr/exec.
            Err(Errno::ENOENT) => sys::write_file(ZStr::new(c"/proc/self/attr/exec"), text.bytes()),
            r => r,
        };
        written.map_err(|e| Error::of("write /proc/self/attr/apparmor/exec", e).push(b" (AppArmor profile ").push_z(profile).push(b")"))?;
    }
    if let Some(label) = c.process.selinux_label.filter(|_| lsm_enabled(false)) {
        sys::write_file(ZStr::new(c"/proc/self/attr/exec"), label.bytes())
            .map_err(|e| Error::of("write /proc/self/attr/exec", e).push(b" (SELinux label ").push_z(label).push(b")"))?;
    }
    Ok(())
}

/// `execCPUAffinity.initial`: the CPUs the container's process runs on
/// while it sets the container up.
pub fn initial_affinity(c: &Container<'_>) -> Result<(), Error> {
    match c.process.cpu_affinity.initial {
        Some(set) => pin(&set, b"initial"),
        None => Ok(()),
    }
}

fn pin(set: &CpuSet, which: &[u8]) -> Result<(), Error> {
    sys::sched_setaffinity(0, &set.0).map_err(|e| Error::sys("sched_setaffinity", which, e).push(b" (CPU affinity)"))
}

/// The payload's personality, scheduling, I/O priority, CPU affinity and
/// umask, set just before the privileges are dropped (realtime policies
/// and the realtime I/O class need `CAP_SYS_NICE` / `CAP_SYS_ADMIN`), as
/// runc sets them before its `finalizeNamespace`.
pub fn set_process_attributes(c: &Container<'_>) -> Result<(), Error> {
    let p = &c.process;
    if let Some(persona) = c.personality {
        sys::personality(persona).map_err(|e| Error::of("personality", e))?;
    }
    if let Some(s) = p.scheduler {
        let attr = sys::SchedAttr {
            size: core::mem::size_of::<sys::SchedAttr>() as u32,
            policy: s.policy,
            flags: s.flags,
            nice: s.nice,
            priority: s.priority,
            runtime: s.runtime,
            deadline: s.deadline,
            period: s.period,
        };
        sys::sched_setattr(0, &attr).map_err(|e| Error::of("sched_setattr", e).push(b" (scheduler)"))?;
    }
    if let Some(io) = p.io_priority {
        sys::ioprio_set(0, io.class << 13 | io.priority).map_err(|e| Error::of("ioprio_set", e).push(b" (I/O priority)"))?;
    }
    if let Some(set) = p.cpu_affinity.at_exec {
        pin(&set, b"final")?;
    }
    if let Some(mask) = p.umask {
        sys::umask(mask);
    }
    Ok(())
}
