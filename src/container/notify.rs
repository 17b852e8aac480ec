//! The seccomp listener (runtime-spec config-linux.md, "Seccomp" and "The
//! Container Process State"): a profile with `SCMP_ACT_NOTIFY` rules is
//! loaded with `SECCOMP_FILTER_FLAG_NEW_LISTENER`, and the listener goes to
//! the agent at `listenerPath` with the container process state, in one
//! `sendmsg`, before the payload runs.
//!
//! A notified call waits until whoever holds the listener answers it, so
//! the order must leave no call of the container's process waiting on
//! nsinit, whose main thread waits for that process's exec (CLONE_VFORK):
//! nsinit connects to the agent before the process starts (a socket that
//! cannot be connected stops the start before anything runs) and starts a
//! task beside it, sharing its memory and bound by no filter, waiting on a
//! socket pair. The process loads its filter last, and its very next call
//! sends the listener on the pair (`security::install_filter`); the task
//! passes it on to the agent. Every later call, `execve` included, can be
//! notified and is answered by the agent. Only that `sendmsg` cannot:
//! `oci::seccomp` refuses `SCMP_ACT_NOTIFY` for it and as the default
//! action, as runc refuses it for `write` (its own hand-over) and as the
//! default. crun hands over the same way, from a helper process that shares
//! the container process's descriptors.

use super::state;
use crate::config::{Container, Identity};
use crate::error::{EXIT_FAILED, Error};
use crate::sys::{self, Errno, Fd, ZStr};
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use linux_raw_sys::general::{O_CLOEXEC, SIGKILL, __WCLONE};
use linux_raw_sys::net::{AF_UNIX, SOCK_STREAM};
use linux_raw_sys::prctl::PR_SET_PDEATHSIG;

/// Stack of the task: a few frames of system calls and the state's writer.
const TASK_STACK: usize = 8 * 1024;
/// Largest container process state sent: the state with its annotations.
pub const STATE_MAX: usize = 32 * 1024;

/// The task's memory, in nsinit's (`ChildMemory`): its stack, and the
/// state it sends.
pub struct Memory {
    pub stack: [u8; TASK_STACK],
    pub state: [u8; STATE_MAX],
}

impl Memory {
    pub const fn new() -> Memory {
        Memory { stack: [0; TASK_STACK], state: [0; STATE_MAX] }
    }
}

// What the task works with, set before it starts; one task at a time, as
// one container starts at a time.
/// The socket connected to `listenerPath`.
static AGENT: AtomicI32 = AtomicI32::new(-1);
/// The socket pair: the task's end, and the container process's (-1
/// without a listener).
static OURS: AtomicI32 = AtomicI32::new(-1);
static THEIRS: AtomicI32 = AtomicI32::new(-1);
/// The parent link's write end, for the task to close (see `net.rs`).
static LINK: AtomicI32 = AtomicI32::new(-1);
/// nsinit's PID: the task's parent, while nsinit lives.
static PARENT: AtomicI32 = AtomicI32::new(0);
/// Cleared by the kernel when the task ends.
static RUNNING: AtomicU32 = AtomicU32::new(0);
/// What failed in the task (0: nothing, else an index of `STEPS`), with `ERRNO`.
static FAILED: AtomicU32 = AtomicU32::new(0);
static ERRNO: AtomicI32 = AtomicI32::new(0);
const STEPS: [&str; 4] = ["", "container process state", "sendmsg", "the container's PID"];

/// The task passing the listener on, while the container starts.
pub struct Listener<'a> {
    pid: i32,
    path: ZStr<'a>,
}

/// `nsinit: seccomp listener PATH: STEP: ERRNO`.
fn named(path: ZStr<'_>, step: &str, e: Errno) -> Error {
    Error::new(b"seccomp listener ").push_z(path).push(b": ").push(step.as_bytes()).push(b": ").push_errno(e)
}

impl<'a> Listener<'a> {
    /// With `c`'s listener: connects to its path and starts the task on
    /// `stack`, running `forward` (a closure calling `forward`), which the caller
    /// keeps alive until `finish`. `parent_link`: the parent link's write
    /// end, which the task closes.
    pub fn start(c: &Container<'a>, stack: &mut [u8], parent_link: Fd, forward: &mut dyn FnMut()) -> Result<Option<Listener<'a>>, Error> {
        let Some(l) = c.seccomp_listener else { return Ok(None) };
        let agent = sys::socket(AF_UNIX, SOCK_STREAM | O_CLOEXEC, 0).map_err(|e| named(l.path, "socket", e))?;
        let pair = sys::connect_unix(agent, l.path.bytes()).map_err(|e| named(l.path, "connect", e)).and_then(|()| {
            sys::socketpair().map_err(|e| named(l.path, "socketpair", e))
        });
        let [ours, theirs] = match pair {
            Ok(pair) => pair,
            Err(e) => {
                let _ = sys::close(agent);
                return Err(e);
            }
        };
        for (cell, fd) in [(&AGENT, agent), (&OURS, ours), (&THEIRS, theirs), (&LINK, parent_link), (&PARENT, sys::getpid())] {
            cell.store(fd, Ordering::Relaxed);
        }
        FAILED.store(0, Ordering::Relaxed);
        RUNNING.store(1, Ordering::Relaxed);
        match sys::clone3_task(stack, &RUNNING, forward) {
            Ok((pid, pidfd)) => {
                drop(pidfd);
                Ok(Some(Listener { pid, path: l.path }))
            }
            Err(e) => {
                close_all();
                Err(named(l.path, "clone3", e))
            }
        }
    }

    /// In nsinit, once the container's process has exec'd or ended (`pid`,
    /// `None` when it never started): waits for the task, and when it
    /// could not pass the listener on, kills that process (the task has
    /// tried already) and says why.
    pub fn finish(self, pid: Option<i32>) -> Result<(), Error> {
        // Its end of file tells a task still waiting that nothing comes.
        let _ = sys::close(THEIRS.swap(-1, Ordering::Relaxed));
        while let Err(Errno::EINTR) = sys::wait4(self.pid, __WCLONE) {}
        close_all();
        match (pid, FAILED.load(Ordering::Acquire) as usize) {
            (Some(pid), step @ 1..) => {
                let _ = sys::kill(pid, SIGKILL);
                let _ = super::wait_end(pid, 0);
                Err(named(self.path, STEPS[step.min(STEPS.len() - 1)], Errno::new(ERRNO.load(Ordering::Relaxed))))
            }
            _ => Ok(()),
        }
    }
}

fn close_all() {
    for cell in [&AGENT, &OURS, &THEIRS] {
        let fd = cell.swap(-1, Ordering::Relaxed);
        if fd >= 0 {
            let _ = sys::close(fd);
        }
    }
}

/// The socket the container's process sends its listener on, while a
/// `Listener` waits for it.
pub fn container_end() -> Option<Fd> {
    Some(THEIRS.load(Ordering::Relaxed)).filter(|&fd| fd >= 0)
}

/// The task: waits for the listener, and sends it to the agent with the
/// container process state (`who`, `metadata`, the PID the kernel stored
/// in `pid` at the clone), in `buf`. A failure is left in `FAILED` and
/// kills the container's process at once.
pub fn forward(who: &Identity<'_>, metadata: Option<ZStr<'_>>, buf: &mut [u8], pid: &AtomicI32) -> ! {
    // nsinit's end of file tells the container's process and this task
    // that it died: these copies must not hold it off.
    let _ = sys::close(THEIRS.load(Ordering::Relaxed));
    let _ = sys::close(LINK.load(Ordering::Relaxed));
    let asked = sys::prctl(PR_SET_PDEATHSIG, SIGKILL as usize);
    if asked.is_err() || sys::getppid() != PARENT.load(Ordering::Relaxed) {
        sys::exit_group(EXIT_FAILED);
    }
    // Nothing comes when the container's process ended before its filter.
    let Ok(listener) = sys::recv_fd(OURS.load(Ordering::Relaxed)) else { sys::exit_group(0) };
    let pid = pid.load(Ordering::Acquire);
    let sent = match pid {
        1.. => state::process_state(buf, who, pid, metadata.map(|m| m.bytes())).map_err(|e| (1, e)),
        _ => Err((3, Errno::ESRCH)),
    }
    .and_then(|n| sys::send_fd(AGENT.load(Ordering::Relaxed), listener, &buf[..n]).map_err(|e| (2, e)));
    if let Err((step, e)) = sent {
        ERRNO.store(e.into_raw(), Ordering::Relaxed);
        FAILED.store(step, Ordering::Release);
        if pid > 0 {
            let _ = sys::kill(pid, SIGKILL);
        }
    }
    sys::exit_group(0)
}
