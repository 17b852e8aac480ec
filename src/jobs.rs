//! Job control: what nsinit does so that, to the job-control shell that
//! started it, a container is one job like any other. Ctrl-C reaches the
//! payload once, Ctrl-Z stops the whole job (nsinit included) and `fg`
//! continues it, a job in the background that reads the terminal stops,
//! and the terminal's foreground process group is given back at the end.
//!
//! Two roles use it: nsinit on the host, whose child is the container's
//! first process, which stays in nsinit's process group (the caller's
//! job); and nsinit as `--init`, whose child, the payload, gets a process
//! group of its own, as tini gives it. Cargo feature `tty`.
//!
//! Where this comes from: the terminal sends its keys' signals to its
//! foreground process group (drivers/tty/n_tty.c, `isig`), with si_code
//! `SI_KERNEL`; a process that is the init of its pid namespace gets only
//! the signals it has a handler for, so the kernel never stops it for a
//! SIGTSTP, but SIGSTOP from an ancestor namespace stops it
//! (kernel/signal.c, `sig_task_ignored`).

use crate::sys::{self, SigInfo, SigSet};
use linux_raw_sys::general::{SI_KERNEL, SIG_BLOCK, SIG_UNBLOCK, SIGCONT, SIGHUP, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU};

const fn bit(sig: u32) -> SigSet {
    1 << (sig - 1)
}

/// The signals that stop a job: the terminal's Ctrl-Z, and a background
/// job's read or change of the terminal.
pub fn is_job_stop(sig: u32) -> bool {
    matches!(sig, SIGTSTP | SIGTTIN | SIGTTOU)
}

/// Whether the kernel already gave `info`'s signal to `child`: it sent it
/// to this process's whole group (si_code `SI_KERNEL`: the terminal's
/// keys, a window-size change, SIGTTIN and SIGTTOU, a hang-up), and
/// `child` is in that group. Such a signal is not passed on again
/// (dumb-init#30). On a hang-up the kernel sends SIGHUP and SIGCONT to a
/// session's leader alone: those are passed on.
pub fn already_delivered(info: &SigInfo, child: i32) -> bool {
    if info.code != SI_KERNEL as i32 {
        return false;
    }
    if matches!(info.signo, SIGHUP | SIGCONT) && sys::getsid() == sys::getpid() {
        return false;
    }
    sys::getpgid_of(child).is_ok_and(|group| group == sys::getpgid())
}

/// Whether `info` came from the process whose pid is `pid` in its own pid
/// namespace (kill(2), tgkill, sigqueue), rather than from the kernel or
/// anyone else. The kernel leaves si_pid as the sender names itself when
/// the sender is in a descendant pid namespace (kernel/signal.c,
/// `send_signal_locked`): from the init of a container, it is 1.
pub fn sent_by(info: &SigInfo, pid: i32) -> bool {
    info.pid == pid && info.code <= 0
}

/// Stops this process with `sig`, as the kernel's default action for it
/// would: nsinit blocks every signal and reads them from a signalfd, so it
/// raises `sig` again and lets it through for a moment. Returns once
/// continued, or at once where the kernel drops the stop: in a process
/// group with no parent in another group of the session (an orphaned one,
/// which no shell would ever continue), and in the init of a pid namespace.
pub fn stop_self(sig: u32) {
    let _ = sys::kill(sys::getpid(), sig);
    let_through(sig);
}

/// Lets a pending `sig` take its default action: unblocks it for a moment.
/// Nothing happens when none is pending (a SIGCONT discards pending stop
/// signals: one that came first, from whoever, means go on).
pub fn let_through(sig: u32) {
    let _ = sys::sigprocmask(SIG_UNBLOCK, bit(sig));
    let _ = sys::sigprocmask(SIG_BLOCK, bit(sig));
}

/// Whether the terminal on standard input has this process's group in the
/// foreground. False without a terminal, and where the group has no name
/// in this pid namespace (the init of a container whose job is outside).
pub fn in_foreground() -> bool {
    // One ioctl, which fails at once, when standard input is no terminal.
    sys::tcgetpgrp(0).is_ok_and(|fg| fg != 0 && fg == sys::getpgid())
}

/// Makes this process's group the terminal's foreground again, if some
/// other group took it: a shell in the container that gave it to its own
/// jobs and died (bubblewrap#744). SIGTTOU is blocked, so a background
/// process may do this.
pub fn take_terminal_back() {
    let own = sys::getpgid();
    if sys::tcgetpgrp(0).is_ok_and(|fg| fg != own) {
        let _ = sys::tcsetpgrp(0, own);
    }
}

/// Whether `sig` is at its default action in `pid`: neither blocked,
/// ignored nor caught, by `/proc/PID/status` (`SigBlk`, `SigIgn`,
/// `SigCgt`). A payload that catches SIGTSTP (an editor restoring the
/// terminal) stops itself after, and one that ignores it (a shell) is not
/// stopped. Unreadable: taken as the default.
pub fn at_default_action(pid: i32, sig: u32) -> bool {
    let mut path = crate::text::ZBuf::<32>::new();
    let _ = path.push(b"/proc/").and_then(|p| p.push_num(pid as u64, 10)).and_then(|p| p.push(b"/status"));
    let mut buf = [0u8; 4097];
    let Ok(text) = crate::read_file(path.zstr(), &mut buf, b"status") else { return true };
    let mut handled = 0;
    for line in text.split(|&c| c == b'\n') {
        for field in [&b"SigBlk:\t"[..], b"SigIgn:\t", b"SigCgt:\t"] {
            if let Some(hex) = line.strip_prefix(field) {
                handled |= crate::config::parse_hex(hex).unwrap_or(0);
            }
        }
    }
    handled & bit(sig) == 0
}

/// The process group of the payload of nsinit's own init `init`: the
/// group of its first child (`/proc/PID/task/PID/children` lists children
/// oldest first; the payload is the first the init starts).
pub fn payload_group(init: i32) -> Option<i32> {
    let mut path = crate::text::ZBuf::<64>::new();
    let pid = init as u64;
    let _ = path.push(b"/proc/").and_then(|p| p.push_num(pid, 10)).and_then(|p| p.push(b"/task/"));
    let _ = path.push_num(pid, 10).and_then(|p| p.push(b"/children"));
    let mut buf = [0u8; 129];
    let text = crate::read_file(path.zstr(), &mut buf, b"children").ok()?;
    let first = text.split(|c| c.is_ascii_whitespace()).find(|w| !w.is_empty())?;
    let child = crate::config::parse_number(first)? as i32;
    sys::getpgid_of(child).ok()
}

/// The host's side of a container's job: nsinit, in the caller's process
/// group, and its child, the container's first process, in the same one.
pub struct Job {
    child: i32,
    /// The child's pid in its own pid namespace: 1 in a new one.
    child_own_pid: i32,
    /// The child is nsinit's own init in a pid namespace: its group has no
    /// name there, so the job's terminal and SIGCONT reach its payload
    /// from here.
    continues_payload: bool,
    /// The child is nsinit's own `--init`: it passes stop signals on to its
    /// payload and, once the payload stops, sends them to this group.
    child_is_init: bool,
    /// nsinit stopped the child with SIGSTOP.
    child_stopped: bool,
    /// Our group had the terminal's foreground when the child started, or
    /// when the job was last continued: it gets it back at the end.
    foreground: bool,
}

impl Job {
    /// `foreground`: `in_foreground()`, asked before the child started (a
    /// shell in the container takes the terminal at once).
    /// `own_namespace`: the child is the init of a pid namespace of its own.
    pub fn new(child: i32, own_namespace: bool, child_is_init: bool, foreground: bool) -> Job {
        let child_own_pid = if own_namespace { 1 } else { child };
        let continues_payload = child_is_init && own_namespace;
        Job { child, child_own_pid, continues_payload, child_is_init, child_stopped: false, foreground }
    }

    /// A job-control stop signal (`is_job_stop`) came: pass it on, and stop
    /// the whole job when the container stops, or would were it not the
    /// init of its namespace.
    pub fn stop_signal(&mut self, info: &SigInfo) {
        let sig = info.signo;
        if sent_by(info, self.child_own_pid) {
            // The container asks its job to stop (nsinit's init once its
            // payload stopped, or a payload that caught the signal). A
            // payload of nsinit's init that read or set the terminal from
            // a group without it, while the job has it, is given it.
            if self.child_is_init && sig != SIGTSTP && in_foreground() {
                if let Some(group) = payload_group(self.child) {
                    let _ = sys::tcsetpgrp(0, group);
                    let _ = sys::kill(-group, SIGCONT);
                }
                return;
            }
        } else {
            if !already_delivered(info, self.child) {
                let _ = sys::kill(self.child, sig);
            }
            // It acts on the signal itself, and asks if it stops.
            if self.child_is_init || !at_default_action(self.child, sig) {
                return;
            }
        }
        self.stop(sig);
    }

    /// Stops the container (SIGSTOP: the init of a pid namespace ignores
    /// SIGTSTP, but not SIGSTOP from here), then nsinit itself with `sig`,
    /// so that the shell sees the job stop; once continued, continues the
    /// container.
    fn stop(&mut self, sig: u32) {
        let _ = sys::kill(self.child, SIGSTOP);
        self.child_stopped = true;
        stop_self(sig);
        self.foreground = in_foreground();
        self.continue_child();
    }

    /// SIGCONT (the shell's `fg` or `bg`): continues the container if
    /// nsinit stopped it, and the payload of nsinit's init in a pid
    /// namespace, in the terminal's foreground if the job has it.
    pub fn continue_child(&mut self) {
        if self.continues_payload
            && let Some(group) = payload_group(self.child)
        {
            if in_foreground() {
                let _ = sys::tcsetpgrp(0, group);
            }
            let _ = sys::kill(-group, SIGCONT);
        }
        if self.child_stopped {
            let _ = sys::kill(self.child, SIGCONT);
            self.child_stopped = false;
        }
    }

    /// At the end: the terminal's foreground back to our group, if it had it.
    pub fn end(&self) {
        if self.foreground {
            take_terminal_back();
        }
    }
}
