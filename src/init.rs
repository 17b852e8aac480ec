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
    O_RDONLY, POLLIN, SIG_SETMASK, SIGABRT, SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGHUP, SIGILL, SIGINT, SIGKILL, SIGSEGV,
    SIGSTOP, SIGSYS, SIGTERM, SIGTRAP, WNOHANG,
};
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
    let old = sys::sigprocmask(SIG_SETMASK, CAUGHT).map_err(|e| Error::of("sigprocmask", e))?;
    let fd = sys::signalfd(CAUGHT).map_err(|e| Error::of("signalfd", e))?;
    Ok((fd, old))
}

/// How long a container has to stop once nsinit passed it SIGTERM, SIGINT
/// or SIGHUP, before SIGKILL, unless `--stop-timeout` says: `docker stop`'s.
pub const DEFAULT_STOP_TIMEOUT: u32 = 10;
/// With `--init`, how long what the payload leaves behind has between
/// SIGTERM and SIGKILL, unless `--stop-timeout` says: short, as tini's
/// leftovers get none.
pub const DEFAULT_LEFTOVER_TIMEOUT: u32 = 1;

/// The clock `docker stop` runs: started when a stop signal (SIGTERM,
/// SIGINT, SIGHUP) is passed on, it ends in SIGKILL for a container still
/// running `seconds` later, such as an init of its pid namespace that has
/// no handler for them and so never gets them.
pub struct StopTimer {
    on: bool,
    seconds: u32,
    /// When it rings (`now_ns`), and for which signal.
    deadline: Option<(u64, u32)>,
}

impl StopTimer {
    pub fn new(on: bool, seconds: u32) -> StopTimer {
        StopTimer { on, seconds, deadline: None }
    }

    /// When it rings, if it runs (`timings::now_ns`).
    pub fn deadline(&self) -> Option<u64> {
        self.deadline.map(|(end, _)| end)
    }

    /// `sig` was passed on: a stop signal starts the clock, once.
    pub fn forwarded(&mut self, sig: u32) {
        if self.on && self.deadline.is_none() && matches!(sig, SIGTERM | SIGINT | SIGHUP) {
            self.deadline = Some((now_ns() + u64::from(self.seconds) * 1_000_000_000, sig));
        }
    }

    /// The next signal from the signalfd `signals`; `None` when the clock
    /// has rung first. Without a clock running, a plain read.
    pub fn next_signal(&mut self, signals: Fd) -> Result<Option<sys::SigInfo>, Errno> {
        while let Some((end, _)) = self.deadline {
            let now = now_ns();
            if now >= end {
                return Ok(None);
            }
            let ms = ((end - now) / 1_000_000 + 1).min(i32::MAX as u64) as i32;
            if sys::poll_one(signals, POLLIN as i16, ms)? != 0 {
                break;
            }
        }
        sys::read_siginfo(signals).map(Some)
    }

    /// The clock rang: says so, and kills `target` (a pid, or -group).
    pub fn kill(&mut self, target: i32) {
        let (sig, seconds) = (self.deadline.map_or(SIGTERM, |(_, sig)| sig), self.seconds);
        self.deadline = None;
        self.on = false;
        let name: &[u8] = match sig {
            SIGINT => b"SIGINT",
            SIGHUP => b"SIGHUP",
            _ => b"SIGTERM",
        };
        Error::new(name).push(b" did not stop the container in ").push_u64(u64::from(seconds)).push(b" s (--stop-timeout): SIGKILL").print(2);
        let _ = sys::kill(target, SIGKILL);
    }
}

/// Runs `argv` as PID 1 would; returns the code to exit with.
#[inline(never)]
#[cold]
pub fn run(
    argv: &[Option<ZStr<'_>>],
    env: &[Option<ZStr<'_>>],
    init: Init,
    stop_timeout: Option<u32>,
    memory: &mut ChildMemory,
) -> i32 {
    let (signals, old_mask) = match catch_signals() {
        Ok(s) => s,
        Err(e) => {
            e.print(2);
            return EXIT_FAILED;
        }
    };
    // Run from the sealed copy of nsinit (`own_image`), its name would be
    // the memfd's, `memfd:nsinit`, in ps and /proc/1/comm.
    let _ = sys::set_name(ZStr::new(c"nsinit"));
    // Not attachable with ptrace, nor its memory readable, by the payload,
    // which runs as the same user: a payload that stopped us would hang
    // the container. (Its exec makes the payload dumpable again.)
    if let Err(e) = sys::prctl(PR_SET_DUMPABLE, 0) {
        warn(Error::of("prctl PR_SET_DUMPABLE", e));
    }
    // Not the PID 1 of a namespace: orphans would go past us, so ask for them.
    let pid1 = sys::getpid() == 1;
    if !pid1 && let Err(e) = sys::prctl(PR_SET_CHILD_SUBREAPER, 1) {
        warn(Error::of("prctl PR_SET_CHILD_SUBREAPER", e));
    }
    let jobs = cfg!(feature = "tty");
    // The payload's group gets the terminal when ours has it. In a pid
    // namespace whose job is outside, ours has no name here: then nsinit
    // on the host gives it the terminal once it asks (see `jobs`).
    let mut gave_terminal = jobs && (init.foreground || crate::jobs::in_foreground());
    // Our group has no name here: nsinit on the host continues the payload
    // with the job, and gives it the terminal first if the job has it.
    let host_continues = sys::getpgid() == 0;
    let payload = match start_payload(argv, env, init, old_mask, memory, gave_terminal) {
        Ok(pid) => pid,
        Err(e) => {
            e.print(2);
            return EXIT_FAILED;
        }
    };
    let target = if init.pgroup { -payload } else { payload };
    let mut stop = StopTimer::new(true, stop_timeout.unwrap_or(DEFAULT_STOP_TIMEOUT));
    let mut stopped = false;
    let mut status = None;
    while status.is_none() {
        let info = match stop.next_signal(signals) {
            Ok(Some(info)) => info,
            Ok(None) => {
                stop.kill(target);
                continue;
            }
            Err(Errno::EINTR) => continue,
            Err(e) => {
                // Without the signalfd, still wait and reap.
                warn(Error::of("read signalfd", e));
                match wait_end(-1, 0) {
                    Ok((pid, st)) if pid == payload => status = Some(st),
                    Ok(_) | Err(Errno::EINTR) => {}
                    Err(_) => break,
                }
                continue;
            }
        };
        match info.signo {
            SIGCHLD => {
                reap(payload, &mut status);
                if jobs && status.is_none() {
                    watch_stops(payload, &mut stopped);
                }
            }
            // Our own request to our job (`watch_stops`) comes back to us too.
            sig if jobs && crate::jobs::is_job_stop(sig) => {
                if !crate::jobs::sent_by(&info, sys::getpid()) && !crate::jobs::already_delivered(&info, payload) {
                    pass_on(target, sig);
                }
            }
            // The job goes on: so does the payload, in the terminal's
            // foreground if our group has it.
            SIGCONT if jobs => {
                if stopped && !host_continues {
                    if crate::jobs::in_foreground() {
                        gave_terminal = sys::tcsetpgrp(0, payload).is_ok() || gave_terminal;
                    }
                    let _ = sys::kill(-payload, SIGCONT);
                    stopped = false;
                }
            }
            sig => {
                if jobs && crate::jobs::already_delivered(&info, payload) {
                    continue;
                }
                pass_on(target, sig);
                stop.forwarded(sig);
            }
        }
    }
    if gave_terminal {
        crate::jobs::take_terminal_back();
    }
    stop_the_rest(signals, pid1, stop_timeout.unwrap_or(DEFAULT_LEFTOVER_TIMEOUT));
    status.map_or(EXIT_FAILED, exit_code)
}

fn pass_on(target: i32, sig: u32) {
    if let Err(e) = sys::kill(target, sig)
        && e != Errno::ESRCH
    {
        warn(Error::of("kill payload", e));
    }
}

/// Notes whether the payload stopped or went on; when a job-control signal
/// stopped it, stops our job too: SIGTSTP, SIGTTIN or SIGTTOU to our
/// process group (nsinit on the host, which stops; the caller's other
/// processes; ourselves, as the kernel stops a process that has it at its
/// default action, but the init of a pid namespace).
fn watch_stops(payload: i32, stopped: &mut bool) {
    use linux_raw_sys::general::{CLD_CONTINUED, CLD_STOPPED, CLD_TRAPPED, P_PID, WCONTINUED, WSTOPPED};
    match sys::waitid(P_PID, payload, WSTOPPED | WCONTINUED | WNOHANG) {
        Ok(Some(st)) if st.code == CLD_STOPPED as i32 => {
            *stopped = true;
            let sig = st.status as u32;
            if crate::jobs::is_job_stop(sig) {
                // Our group is our job: we get it too, and stop with it
                // (unless continued already, or the init of a pid namespace).
                let _ = sys::kill(0, sig);
                crate::jobs::let_through(sig);
            }
        }
        Ok(Some(st)) if st.code == CLD_CONTINUED as i32 => *stopped = false,
        // A tracee's stop is no job's: let it go, as `wait_end` does.
        Ok(Some(st)) if st.code == CLD_TRAPPED as i32 => {
            let sig = st.status as u32;
            let _ = sys::ptrace_detach(payload, if sig == SIGTRAP { 0 } else { sig });
        }
        _ => {}
    }
}

/// Starts the payload as a child that shares our memory until it execs:
/// in a process group of its own (with the `tty` feature, or
/// `--init-pgroup`), the terminal's foreground one when `foreground`,
/// with the signal mask nsinit started with.
fn start_payload(
    argv: &[Option<ZStr<'_>>],
    env: &[Option<ZStr<'_>>],
    init: Init,
    old_mask: SigSet,
    memory: &mut ChildMemory,
    foreground: bool,
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
        if init.pgroup || cfg!(feature = "tty") {
            let _ = sys::setpgid(0, 0);
            if foreground || (init.pgroup && !cfg!(feature = "tty") && sys::isatty(0)) {
                // Still blocked here: SIGTTOU cannot stop us for asking.
                let _ = sys::tcsetpgrp(0, sys::getpid());
            }
        }
        let _ = sys::sigprocmask(SIG_SETMASK, old_mask);
        let err = exec(argv, env, path);
        err.print(2);
        sys::exit_group(err.code)
    }, None)
    .map_err(|e| Error::of("clone3 payload", e))
}

/// Reaps every child that has exited; notes the payload's status.
pub fn reap(payload: i32, status: &mut Option<i32>) {
    loop {
        match wait_end(-1, WNOHANG) {
            Ok((0, _)) | Err(Errno::ECHILD) => return,
            Ok((pid, st)) if pid == payload => *status = Some(st),
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => {
                warn(Error::of("wait4", e));
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
        if let Ok(revents) = sys::poll_one(signals, POLLIN as i16, ms)
            && revents != 0
        {
            // Only SIGCHLD matters now; the rest are dropped.
            let _ = sys::read_signal(signals);
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
    let from = sys::open(exe, O_RDONLY | O_CLOEXEC, 0).map_err(|e| Error::sys_z("open", exe, e))?;
    let copy = copy_sealed(from);
    let _ = sys::close(from);
    copy
}

fn copy_sealed(from: Fd) -> Result<Fd, Error> {
    let memfd = sys::memfd_create(ZStr::new(c"nsinit"), MFD_CLOEXEC | MFD_ALLOW_SEALING)
        .map_err(|e| Error::of("memfd_create", e))?;
    loop {
        match sys::sendfile(memfd, from, 1 << 20) {
            Ok(0) => break,
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(Error::of("sendfile /proc/self/exe", e)),
        }
    }
    let seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
    sys::fcntl(memfd, F_ADD_SEALS, seals as usize).map_err(|e| Error::of("fcntl F_ADD_SEALS", e))?;
    Ok(memfd)
}

/// Most payload words a container's init can be handed.
const MAX_INIT_ARGS: usize = 1024;

/// In the container, at the end of its setup: execs `image` (see
/// `own_image`) as `nsinit --init [--init-pgroup] [--init-foreground] [--stop-timeout N] --
/// PAYLOAD...`, with the payload's environment. Returns only on failure.
#[cold]
#[inline(never)]
pub fn exec_as_init(
    image: Fd,
    init: Init,
    stop_timeout: Option<u32>,
    payload: &[Option<ZStr<'_>>],
    env: &[Option<ZStr<'_>>],
) -> Error {
    let mut timeout = ZBuf::<24>::new();
    let _ = timeout.push_num(u64::from(stop_timeout.unwrap_or(0)), 10);
    let mut argv: heapless::Vec<Option<ZStr<'_>>, { MAX_INIT_ARGS + 8 }> = heapless::Vec::new();
    let mut words = [Some(ZStr::new(c"nsinit")), Some(ZStr::new(c"--init"))].into_iter().collect::<heapless::Vec<_, 8>>();
    if init.pgroup {
        let _ = words.push(Some(ZStr::new(c"--init-pgroup")));
    }
    if init.foreground {
        let _ = words.push(Some(ZStr::new(c"--init-foreground")));
    }
    if stop_timeout.is_some() {
        let _ = words.push(Some(ZStr::new(c"--stop-timeout")));
        let _ = words.push(Some(timeout.zstr()));
    }
    let _ = words.push(Some(ZStr::new(c"--")));
    if argv.extend_from_slice(&words).is_err() || argv.extend_from_slice(payload).is_err() {
        return Error::new(b"--init: too many payload words (at most 1024)");
    }
    // `payload` ends with its None already.
    Error::sys("execveat", b"nsinit --init", sys::fexecve(image, &argv, env))
}
