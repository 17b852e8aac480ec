//! The network namespace: a new one has only `lo`, and down.
//!
//! Making one is the dearest step of a default start (about as long as
//! all the mounts together), so it is made beside the setup rather than
//! before it: a task sharing nsinit's memory unshares it and brings `lo`
//! up while the container's process mounts its filesystems, and that
//! process enters it (`setns` through the task's pidfd) just before the
//! first step that must see it, a sysfs mount, whose network entries are
//! those of the namespace of whoever mounts it; without one, after the
//! mounts. Without a user namespace only: with one, the network namespace
//! must belong to it, so the container's process makes both.

use crate::error::{EXIT_FAILED, Error};
use crate::sys::{self, Errno, Fd, IfFlags, OwnedFd};
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use linux_raw_sys::general::{CLONE_NEWNET, O_CLOEXEC, SIGKILL, __WCLONE};
use linux_raw_sys::ioctl::SIOCSIFFLAGS;
use linux_raw_sys::prctl::PR_SET_PDEATHSIG;
use linux_raw_sys::net::{AF_INET, SOCK_DGRAM, net_device_flags::IFF_UP};

pub fn loopback_up() -> Result<(), Error> {
    bring_lo_up().map_err(|(what, object, e)| Error::sys(what, object, e))
}

/// `loopback_up`, with what failed as (step, object, errno).
fn bring_lo_up() -> Result<(), (&'static str, &'static [u8], Errno)> {
    let fd = sys::socket(AF_INET, SOCK_DGRAM | O_CLOEXEC, 0).map_err(|e| ("socket", &b"AF_INET"[..], e))?;
    // The kernel keeps the flags it does not let us change (LOOPBACK among them).
    let mut ifr = IfFlags::new(b"lo", IFF_UP as i16);
    let r = sys::ioctl_ifflags(fd, SIOCSIFFLAGS, &mut ifr).map_err(|e| ("SIOCSIFFLAGS", &b"lo"[..], e));
    let _ = sys::close(fd);
    r
}

/// Stack of the task that makes the namespace: a few frames of system calls.
pub const NET_TASK_STACK: usize = 8 * 1024;

// What the task and the container's process tell each other, in the memory
// all three share. One task at a time: nsinit starts containers one after
// the other, and reaps each task before the next start.
/// MAKING, then READY or FAILED (with `FAILED_AT` and `ERRNO`); GONE once
/// the task has ended, however it ended: the kernel clears this word then
/// and wakes its waiters (see `sys::clone3_task`), so that the container's
/// process never waits for a task that was killed.
static STATE: AtomicU32 = AtomicU32::new(GONE);
/// WAITING, then JOINED (by the container's process) or GIVEN_UP (by nsinit).
static JOIN: AtomicU32 = AtomicU32::new(WAITING);
static ERRNO: AtomicI32 = AtomicI32::new(0);
/// Which step failed: 0 unshare, 1 socket, 2 SIOCSIFFLAGS.
static FAILED_AT: AtomicU32 = AtomicU32::new(0);
/// The parent link's write end, for the task to close.
static LINK: AtomicI32 = AtomicI32::new(-1);
/// nsinit's PID: the task's parent, while nsinit lives.
static PARENT: AtomicI32 = AtomicI32::new(0);

const GONE: u32 = 0;
const MAKING: u32 = 1;
const READY: u32 = 2;
const FAILED: u32 = 3;
const WAITING: u32 = 0;
const JOINED: u32 = 1;
const GIVEN_UP: u32 = 2;

/// The task making the container's network namespace.
pub struct NetTask {
    pid: i32,
    pidfd: OwnedFd,
}

impl NetTask {
    /// Starts the task on `stack`; `parent_link` is the parent link's
    /// write end, which the task closes (it dies with nsinit, as the
    /// container's process does). `None` when the kernel refuses the
    /// task: the container's process then makes the namespace itself.
    pub fn start(stack: &mut [u8], parent_link: Fd) -> Option<NetTask> {
        STATE.store(MAKING, Ordering::Relaxed);
        JOIN.store(WAITING, Ordering::Relaxed);
        LINK.store(parent_link, Ordering::Relaxed);
        PARENT.store(sys::getpid(), Ordering::Relaxed);
        // A closure without captures: the task calls it after this frame
        // may have ended, and it reads nothing from it.
        let (pid, pidfd) = sys::clone3_task(stack, &STATE, &mut || make_namespace()).ok()?;
        Some(NetTask { pid, pidfd })
    }

    /// In the container's process: waits for the namespace and enters it.
    /// Errors: `unshare net`, `socket AF_INET`, `SIOCSIFFLAGS lo` (the
    /// task's), `setns net` (this process's), and the task's end before
    /// it made the namespace (killed, or nsinit gone).
    pub fn join(&self) -> Result<(), Error> {
        if JOIN.load(Ordering::Relaxed) == JOINED {
            return Ok(());
        }
        let mut state = STATE.load(Ordering::Acquire);
        while state == MAKING {
            let _ = sys::futex_wait(&STATE, MAKING);
            state = STATE.load(Ordering::Acquire);
        }
        let entered = match state {
            READY => sys::setns(self.pidfd.0, CLONE_NEWNET).map_err(|e| Error::of("setns net", e)),
            GONE => Err(Error::new(b"network namespace task ended")),
            _ => {
                let e = Errno::new(ERRNO.load(Ordering::Relaxed));
                Err(match FAILED_AT.load(Ordering::Relaxed) {
                    0 => Error::of("unshare net", e),
                    1 => Error::of("socket AF_INET", e),
                    _ => Error::sys("SIOCSIFFLAGS", b"lo", e),
                })
            }
        };
        // The task may go, whatever happened.
        JOIN.store(JOINED, Ordering::Release);
        sys::futex_wake(&JOIN);
        let _ = sys::close(self.pidfd.0);
        entered
    }

    /// In nsinit, once the container's process has exec'd or ended: lets
    /// the task go should that process not have joined, and reaps it.
    pub fn finish(self) {
        if JOIN.compare_exchange(WAITING, GIVEN_UP, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            sys::futex_wake(&JOIN);
        }
        while let Err(Errno::EINTR) = sys::wait4(self.pid, __WCLONE) {}
    }
}

/// The task: unshares the network namespace, brings `lo` up, says how it
/// went, and stays until the container's process has entered it (setns
/// through a pidfd needs the task alive) or nsinit gives up.
fn make_namespace() -> ! {
    // The container's process learns of nsinit's end from the link's
    // write end closing: this copy must not keep it open.
    let _ = sys::close(LINK.load(Ordering::Relaxed));
    // Die with nsinit, and end now should it have died before the signal
    // was asked for. Not by the parent link, as the container's process
    // asks: that process may still hold the link's write end (it closes
    // it first thing), which would hide nsinit's end, and this task, left
    // waiting for a process gone, would hold the namespace for good.
    let asked = sys::prctl(PR_SET_PDEATHSIG, SIGKILL as usize);
    if asked.is_err() || sys::getppid() != PARENT.load(Ordering::Relaxed) {
        sys::exit_group(EXIT_FAILED);
    }
    let made = sys::unshare(CLONE_NEWNET)
        .map_err(|e| (0, e))
        .and_then(|()| bring_lo_up().map_err(|(what, _, e)| (if what == "socket" { 1 } else { 2 }, e)));
    let state = match made {
        Ok(()) => READY,
        Err((at, e)) => {
            FAILED_AT.store(at, Ordering::Relaxed);
            ERRNO.store(e.into_raw(), Ordering::Relaxed);
            FAILED
        }
    };
    STATE.store(state, Ordering::Release);
    sys::futex_wake(&STATE);
    while JOIN.load(Ordering::Acquire) == WAITING {
        let _ = sys::futex_wait(&JOIN, WAITING);
    }
    sys::exit_group(0)
}
