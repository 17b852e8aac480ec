//! Starting one container: the host side (clone, wait, exit code) and, in
//! `setup`, the container side, one step a line in the order the kernel
//! sees them.

mod mounts;
mod net;
mod process;
mod rootfs;

pub use process::{environment, exit_code};

use crate::config::Container;
use crate::error::{EXIT_FAILED, Error};
use crate::sys::{self, Errno, Forked, ZStr};
use linux_raw_sys::prctl::PR_SET_PDEATHSIG;
use linux_raw_sys::general::{
    CLONE_NEWNET, CLONE_NEWNS, O_CLOEXEC, POLLHUP, SIGCHLD, SIGKILL, clone_args,
};

/// Starts the container and waits for it; returns the code nsinit exits with.
pub fn run(c: &Container<'_>, host_env: &[Option<ZStr<'_>>]) -> Result<i32, Error> {
    let mut arena = process::EnvArena::new();
    let env = environment(host_env, &c.process.env, &mut arena)?;
    // The child holds the read end; when nsinit dies, the last write end
    // closes, which is how the child tells nsinit died before it could ask
    // for the parent-death signal.
    let [parent_alive, parent_alive_w] =
        sys::pipe2(O_CLOEXEC).map_err(|e| Error::sys("pipe2", b"", e))?;
    let args = clone_args {
        flags: u64::from(c.namespaces),
        exit_signal: u64::from(SIGCHLD),
        ..clone_args_zeroed()
    };
    match sys::clone3(&args).map_err(|e| Error::sys("clone3", b"", e))? {
        Forked::Child => {
            let _ = sys::close(parent_alive_w);
            let err = match setup(c, parent_alive) {
                Ok(()) => process::exec(c.process.args.argv(), env.as_slice()),
                Err(e) => e,
            };
            err.print(2);
            sys::exit_group(err.code)
        }
        Forked::Parent(pid) => {
            let _ = sys::close(parent_alive);
            wait_for(pid)
        }
    }
}

/// The container side, in order. Each step names itself in its errors.
fn setup(c: &Container<'_>, parent_alive: sys::Fd) -> Result<(), Error> {
    die_with_parent(parent_alive)?;
    if c.has(CLONE_NEWNS) {
        rootfs::stop_propagation()?;
    }
    if let Some(root) = c.root {
        rootfs::bind_root(root)?;
    }
    for m in &c.mounts {
        mounts::mount(m, c.root)?;
    }
    if let Some(root) = c.root {
        rootfs::pivot_into(root)?;
    }
    if let Some(name) = c.hostname {
        sys::sethostname(name.bytes()).map_err(|e| Error::sys("sethostname", name.bytes(), e))?;
    }
    if let Some(name) = c.domainname {
        sys::setdomainname(name.bytes()).map_err(|e| Error::sys("setdomainname", name.bytes(), e))?;
    }
    if c.has(CLONE_NEWNET) {
        net::loopback_up()?;
    }
    match (c.process.cwd, c.root) {
        (Some(dir), _) => sys::chdir(dir).map_err(|e| Error::sys("chdir", dir.bytes(), e)),
        (None, Some(_)) => sys::chdir(ZStr::new(c"/")).map_err(|e| Error::sys("chdir", b"/", e)),
        (None, None) => Ok(()),
    }
}

/// Asks for SIGKILL when nsinit dies, then checks nsinit did not die before.
fn die_with_parent(parent_alive: sys::Fd) -> Result<(), Error> {
    sys::prctl(PR_SET_PDEATHSIG, SIGKILL as usize).map_err(|e| Error::sys("prctl", b"PR_SET_PDEATHSIG", e))?;
    match sys::poll_one(parent_alive, 0, 0) {
        Ok(revents) if revents & POLLHUP as i16 != 0 => sys::exit_group(EXIT_FAILED),
        Ok(_) => Ok(()),
        Err(e) => Err(Error::sys("poll", b"parent", e)),
    }
}

fn wait_for(pid: i32) -> Result<i32, Error> {
    loop {
        match sys::wait4(pid, 0) {
            Ok((got, status)) if got == pid => return Ok(exit_code(status)),
            Ok(_) => {}
            Err(e) if e == Errno::EINTR => {}
            Err(e) => return Err(Error::sys("wait4", b"", e)),
        }
    }
}

const fn clone_args_zeroed() -> clone_args {
    clone_args {
        flags: 0,
        pidfd: 0,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: 0,
        stack: 0,
        stack_size: 0,
        tls: 0,
        set_tid: 0,
        set_tid_size: 0,
        cgroup: 0,
    }
}
