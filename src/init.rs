//! PID 1 duties, the way tini and catatonit do them: start the payload as
//! a child, forward signals to it, reap every zombie, and when the payload
//! exits, stop what is left and exit with the payload's status.
//!
//! Used for `--init` (the container's PID 1 is then nsinit, re-executed from
//! a sealed copy of itself, see `own_image`), and directly when nsinit is an
//! image's entrypoint: `nsinit --init -- COMMAND`.
//!
//! Once the payload runs, nothing here aborts: a failing step is reported
//! and the loop carries on.

use crate::config::Init;
use crate::container::{ChildMemory, exec, exit_code, wait_end};
use crate::error::{EXIT_FAILED, Error};
use crate::sys::{self, Errno, Fd, SigSet, ZStr};
use crate::text::ZBuf;
use crate::timings::now_ns;
use linux_raw_sys::general::{
    F_ADD_SEALS, F_SEAL_GROW, F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_WRITE, MFD_ALLOW_SEALING, MFD_CLOEXEC, O_CLOEXEC,
    O_RDONLY, POLLIN, SIG_SETMASK, SIGABRT, SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGKILL, SIGSEGV, SIGSTOP, SIGSYS,
    SIGTERM, SIGTRAP, WNOHANG,
};
use linux_raw_sys::ioctl::TIOCSPGRP;
use linux_raw_sys::prctl::{PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE, PR_SET_PDEATHSIG};

const fn bit(sig: u32) -> SigSet {
    1 << (sig - 1)
}

/// The signals the kernel raises for faults: never blocked, so that a bug
/// kills the process as it should rather than hanging it.
const FAULTS: SigSet = bit(SIGSEGV) | bit(SIGBUS) | bit(SIGILL) | bit(SIGFPE) | bit(SIGABRT) | bit(SIGTRAP) | bit(SIGSYS);
/// Everything else (SIGKILL and SIGSTOP cannot be blocked, and are left out).
pub const CAUGHT: SigSet = !FAULTS & !bit(SIGKILL) & !bit(SIGSTOP);

/// Blocks the caught signals and returns a signalfd for them, and the mask
/// to restore in a child before it execs.
pub fn catch_signals() -> Result<(Fd, SigSet), Error> {
    let old = sys::sigprocmask(SIG_SETMASK, CAUGHT).map_err(|e| Error::sys("sigprocmask", b"", e))?;
    let fd = sys::signalfd(CAUGHT).map_err(|e| Error::sys("signalfd", b"", e))?;
    Ok((fd, old))
}

/// Runs `argv` as PID 1 would; returns the code to exit with.
#[inline(never)]
#[cold]
pub fn run(argv: &[Option<ZStr<'_>>], env: &[Option<ZStr<'_>>], init: Init, memory: &mut ChildMemory) -> i32 {
    let (signals, old_mask) = match catch_signals() {
        Ok(s) => s,
        Err(e) => {
            e.print(2);
            return EXIT_FAILED;
        }
    };
    // Not attachable with ptrace, nor its memory readable, by the payload,
    // which runs as the same user: a payload that stopped us would hang
    // the container. (Its exec makes the payload dumpable again.)
    if let Err(e) = sys::prctl(PR_SET_DUMPABLE, 0) {
        warn(Error::sys("prctl", b"PR_SET_DUMPABLE", e));
    }
    // Not the PID 1 of a namespace: orphans would go past us, so ask for them.
    let pid1 = sys::getpid() == 1;
    if !pid1 {
        if let Err(e) = sys::prctl(PR_SET_CHILD_SUBREAPER, 1) {
            warn(Error::sys("prctl", b"PR_SET_CHILD_SUBREAPER", e));
        }
    }
    let payload = match start_payload(argv, env, init, old_mask, memory) {
        Ok(pid) => pid,
        Err(e) => {
            e.print(2);
            return EXIT_FAILED;
        }
    };
    let target = if init.pgroup { -payload } else { payload };
    let mut status = None;
    while status.is_none() {
        match sys::read_signal(signals) {
            Ok(SIGCHLD) => reap(payload, &mut status),
            Ok(sig) => {
                if let Err(e) = sys::kill(target, sig) {
                    if e != Errno::ESRCH {
                        warn(Error::sys("kill", b"payload", e));
                    }
                }
            }
            Err(Errno::EINTR) => {}
            Err(e) => {
                // Without the signalfd, still wait and reap.
                warn(Error::sys("read", b"signalfd", e));
                match wait_end(-1, 0) {
                    Ok((pid, st)) if pid == payload => status = Some(st),
                    Ok(_) | Err(Errno::EINTR) => {}
                    Err(_) => break,
                }
            }
        }
    }
    stop_the_rest(signals, pid1, init.stop_timeout);
    status.map_or(EXIT_FAILED, exit_code)
}

/// Starts the payload as a child that shares our memory until it execs:
/// in its own process group with `--init-pgroup` (the terminal's foreground
/// one when there is a terminal), with the signal mask nsinit started with.
fn start_payload(
    argv: &[Option<ZStr<'_>>],
    env: &[Option<ZStr<'_>>],
    init: Init,
    old_mask: SigSet,
    memory: &mut ChildMemory,
) -> Result<i32, Error> {
    let (stack, path, _) = memory.parts();
    let init_pid = sys::getpid();
    sys::clone3_vfork(0, None, stack, &mut || {
        // Without a pid namespace nothing else ends the payload with us
        // (and so with nsinit, whose death ends us): ask for SIGKILL, then
        // check we did not die before it was asked.
        if sys::prctl(PR_SET_PDEATHSIG, SIGKILL as usize).is_err() || sys::getppid() != init_pid {
            sys::exit_group(EXIT_FAILED);
        }
        if init.pgroup {
            let _ = sys::setpgid(0, 0);
            if sys::isatty(0) {
                // Still blocked here: SIGTTOU cannot stop us for asking.
                let pgid: i32 = sys::getpid();
                let _ = sys::ioctl_int(0, TIOCSPGRP, &pgid as *const i32 as usize);
            }
        }
        let _ = sys::sigprocmask(SIG_SETMASK, old_mask);
        let err = exec(argv, env, path);
        err.print(2);
        sys::exit_group(err.code)
    })
    .map_err(|e| Error::sys("clone3", b"payload", e))
}

/// Reaps every child that has exited; notes the payload's status.
pub fn reap(payload: i32, status: &mut Option<i32>) {
    loop {
        match wait_end(-1, WNOHANG) {
            Ok((0, _)) | Err(Errno::ECHILD) => return,
            Ok((pid, st)) if pid == payload => *status = Some(st),
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => {
                warn(Error::sys("wait4", b"", e));
                return;
            }
        }
    }
}

/// After the payload: SIGTERM to what is left, SIGKILL after `timeout`
/// seconds, and reap it all.
fn stop_the_rest(signals: Fd, pid1: bool, timeout: u32) {
    if !has_children() {
        return;
    }
    signal_the_rest(pid1, SIGTERM);
    let deadline = now_ns() + u64::from(timeout) * 1_000_000_000;
    while has_children() {
        let now = now_ns();
        if now >= deadline {
            break;
        }
        let ms = ((deadline - now) / 1_000_000).max(1) as i32;
        if let Ok(revents) = sys::poll_one(signals, POLLIN as i16, ms) {
            if revents != 0 {
                // Only SIGCHLD matters now; the rest are dropped.
                let _ = sys::read_signal(signals);
            }
        }
    }
    // Orphans of the killed can appear as their parents die: repeat.
    for _ in 0..16 {
        if !has_children() {
            return;
        }
        signal_the_rest(pid1, SIGKILL);
        while let Ok((pid, _)) = wait_end(-1, 0) {
            if pid <= 0 {
                break;
            }
        }
    }
}

/// Reaps what has exited; whether any child is left.
fn has_children() -> bool {
    loop {
        match wait_end(-1, WNOHANG) {
            Ok((0, _)) => return true,
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return false,
        }
    }
}

/// As the PID 1 of a namespace, every other process in it; otherwise our
/// children (orphans come to us as the subreaper).
fn signal_the_rest(pid1: bool, sig: u32) {
    if pid1 {
        let _ = sys::kill(-1, sig);
        return;
    }
    let mut path = ZBuf::<64>::new();
    let pid = sys::getpid() as u64;
    let _ = path.push(b"/proc/self/task/").and_then(|p| p.push_num(pid, 10)).and_then(|p| p.push(b"/children"));
    let fd = match sys::open(path.zstr(), O_RDONLY | O_CLOEXEC, 0) {
        Ok(fd) => fd,
        Err(e) => return warn(Error::sys("open", path.bytes(), e)),
    };
    let mut buf = [0u8; 1024];
    let n = sys::read(fd, &mut buf).unwrap_or(0);
    let _ = sys::close(fd);
    for word in buf[..n].split(|c| c.is_ascii_whitespace()).filter(|w| !w.is_empty()) {
        if let Some(child) = crate::config::parse_number(word) {
            let _ = sys::kill(child as i32, sig);
        }
    }
}

fn warn(e: Error) {
    e.push(b" (carrying on)").print(2);
}

/// A sealed in-memory copy of nsinit's own binary, to run as a container's
/// PID 1. Were the container's PID 1 the host's file, a process in the
/// container could open /proc/1/exe and write to the host's nsinit (the
/// runc CVE-2019-5736 class); a sealed memfd cannot be written.
pub fn own_image() -> Result<Fd, Error> {
    let exe = ZStr::new(c"/proc/self/exe");
    let from = sys::open(exe, O_RDONLY | O_CLOEXEC, 0).map_err(|e| Error::sys("open", exe.bytes(), e))?;
    let copy = copy_sealed(from);
    let _ = sys::close(from);
    copy
}

fn copy_sealed(from: Fd) -> Result<Fd, Error> {
    let memfd = sys::memfd_create(ZStr::new(c"nsinit"), MFD_CLOEXEC | MFD_ALLOW_SEALING)
        .map_err(|e| Error::sys("memfd_create", b"", e))?;
    loop {
        match sys::sendfile(memfd, from, 1 << 20) {
            Ok(0) => break,
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(Error::sys("sendfile", b"/proc/self/exe", e)),
        }
    }
    let seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
    sys::fcntl(memfd, F_ADD_SEALS, seals as usize).map_err(|e| Error::sys("fcntl", b"F_ADD_SEALS", e))?;
    Ok(memfd)
}

/// Most payload words a container's init can be handed.
const MAX_INIT_ARGS: usize = 1024;

/// In the container, at the end of its setup: execs `image` (see
/// `own_image`) as `nsinit --init [--init-pgroup] --stop-timeout N --
/// PAYLOAD...`, with the payload's environment. Returns only on failure.
#[cold]
#[inline(never)]
pub fn exec_as_init(image: Fd, init: Init, payload: &[Option<ZStr<'_>>], env: &[Option<ZStr<'_>>]) -> Error {
    let mut timeout = ZBuf::<24>::new();
    let _ = timeout.push_num(u64::from(init.stop_timeout), 10);
    let mut argv: heapless::Vec<Option<ZStr<'_>>, { MAX_INIT_ARGS + 8 }> = heapless::Vec::new();
    let mut words = [Some(ZStr::new(c"nsinit")), Some(ZStr::new(c"--init"))].into_iter().collect::<heapless::Vec<_, 8>>();
    if init.pgroup {
        let _ = words.push(Some(ZStr::new(c"--init-pgroup")));
    }
    let _ = words.push(Some(ZStr::new(c"--stop-timeout")));
    let _ = words.push(Some(timeout.zstr()));
    let _ = words.push(Some(ZStr::new(c"--")));
    if argv.extend_from_slice(&words).is_err() || argv.extend_from_slice(payload).is_err() {
        return Error::new(b"--init: too many payload words (at most 1024)");
    }
    // `payload` ends with its None already.
    Error::sys("execveat", b"nsinit --init", sys::fexecve(image, &argv, env))
}
