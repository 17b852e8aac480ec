//! Least privilege for the payload, the last steps before `execve`: the
//! capability sets, `no_new_privs`, the seccomp filter, and which
//! descriptors it inherits.

use crate::config::{ALL_CAPABILITIES, Capabilities, Container, Id, MAX_PASS_FDS, Seccomp, parse_user};
use crate::error::{EXIT_CANNOT_EXEC, EXIT_FAILED, Error};
use crate::rt;
use crate::seccomp::{self, Action, Profile};
use linux_raw_sys::ptrace::SECCOMP_FILTER_FLAG_NEW_LISTENER;

/// The errno that makes libc fall back from clone3 to clone.
const ENOSYS: u16 = 38;
use crate::sys::{self, Errno, ZStr};
use linux_raw_sys::prctl::{PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, PR_CAPBSET_DROP, PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS};

/// Capacity of the buffer a `--seccomp` profile is read into.
const PROFILE_FILE_MAX: usize = 64 * 1024;

/// The container's seccomp filter, assembled once by nsinit before any
/// container starts (its process shares nsinit's memory, so it finds it
/// ready): the default profile, a `--seccomp FILE`, or the profile a front
/// end filled (`Seccomp::Rules`); `None` without one.
pub fn filter(c: &Container<'_>) -> Result<Option<seccomp::Filter>, Error> {
    /// The profile, then the program: each is used from its start, a few
    /// hundred bytes of kilobytes, so aligned to a page they touch a few
    /// pages of nsinit's memory rather than all.
    #[repr(C, align(4096))]
    struct Work(rt::StaticCell<(Profile, seccomp::Program)>);
    static WORK: Work = Work(rt::StaticCell::new((Profile::new(), seccomp::Program::new())));
    let caps = match c.seccomp {
        Seccomp::Off => return Ok(None),
        // As for the user's capabilities; a --user name, whose uid is not
        // known yet, gets the container's set, as Docker gives every user.
        Seccomp::Default => {
            let caps = c.process.capabilities.map_or(ALL_CAPABILITIES, |caps| {
                let named = c.process.user.and_then(|u| parse_user(u.bytes())).is_some_and(|u| matches!(u.user, Id::Name(_)));
                if named { caps.bounding } else { caps.effective }
            });
            if let Some(prebuilt) = seccomp::prebuilt_default(caps) {
                return Ok(Some(prebuilt));
            }
            caps
        }
        Seccomp::Profile(_) | Seccomp::Rules(_) => 0,
    };
    let (profile, program) = WORK.0.take().ok_or_else(|| Error::new(b"seccomp filter taken"))?;
    let profile = match c.seccomp {
        Seccomp::Profile(path) => {
            load_profile(path, profile, c)?;
            profile
        }
        Seccomp::Rules(rules) => {
            check_profile(b"seccomp", rules, c.init.enabled, c.process.no_new_privileges)?;
            rules
        }
        _ => {
            profile.set_default(caps);
            profile
        }
    };
    seccomp::assemble(profile, program)?;
    Ok(Some(program.filter()))
}

/// `--seccomp FILE`, checked against what nsinit itself calls once the
/// filter is in (`check_profile`). Not inlined, to keep its frame off the
/// default's path.
#[inline(never)]
#[cold]
fn load_profile(path: ZStr<'_>, profile: &mut Profile, c: &Container<'_>) -> Result<(), Error> {
    static TEXT: rt::StaticCell<[u8; PROFILE_FILE_MAX + 1]> = rt::StaticCell::new([0; PROFILE_FILE_MAX + 1]);
    let buf = TEXT.take().ok_or_else(|| Error::new(b"seccomp profile buffer taken"))?;
    let text = crate::read_file(path, buf, b"seccomp profile")?;
    profile.parse(text, path.bytes())?;
    check_profile(path.bytes(), profile, c.init.enabled, c.process.no_new_privileges)
}

/// The calls `--init`'s PID 1 cannot do without: it runs under the filter.
const INIT_NEEDS: [&[u8]; 7] = [b"wait4", b"rt_sigprocmask", b"signalfd4", b"read", b"kill", b"prctl", b"clone"];
/// The calls the container's process makes after an early filter (with
/// `--allow-new-privs` it goes in before the identity changes): a denial
/// is reported, but a kill would end it with no word of why.
/// (`openat2`, `fchdir`, `chdir`, `getcwd` and `close` enter a working
/// directory only the `--user` may enter.)
const AFTER_EARLY_FILTER: [&[u8]; 15] = [
    b"prctl", b"capget", b"capset", b"setgroups", b"setresgid", b"setresuid", b"setsid", b"ioctl", b"close_range", b"poll",
    b"openat2", b"fchdir", b"chdir", b"getcwd", b"close",
];

/// Refuses a profile that would stop the container before its payload
/// runs, rather than let it fail later with less to say: the payload's
/// `execve` (and with `init`, nsinit's own `execveat` as PID 1) must be
/// allowed (or notified: the seccomp agent may let it run), exit 126;
/// with `init`, what the PID 1 needs (`INIT_NEEDS`, and `clone3` allowed
/// or failing with ENOSYS, for the fall-back to clone);
/// without `nnp`, no call of `AFTER_EARLY_FILTER` may kill; exit 125.
pub fn check_profile(path: &[u8], profile: &Profile, init: bool, nnp: bool) -> Result<(), Error> {
    let action = |name: &[u8]| seccomp::syscall_number(name).map(|nr| profile.action_for(nr));
    let refused = |name: &[u8], why: &[u8], code| {
        let e = Error::new(path).push(b": the seccomp profile does not allow ").push(name);
        Err(e.push(why).with_code(code))
    };
    let execs: &[&[u8]] = if init { &[b"execveat", b"execve"] } else { &[b"execve"] };
    // A call logged runs; one notified, the agent may let run.
    let allowed = |name| matches!(action(name), Some(Action::Allow | Action::Log | Action::Notify));
    for &name in execs {
        if !allowed(name) {
            return refused(name, b", so the payload can never start", EXIT_CANNOT_EXEC);
        }
    }
    if init {
        for name in INIT_NEEDS {
            if !allowed(name) {
                return refused(name, b", which --init needs", EXIT_FAILED);
            }
        }
        if !matches!(action(b"clone3"), Some(Action::Allow | Action::Log | Action::Errno(ENOSYS))) {
            return refused(b"clone3", b" (nor makes it fail with ENOSYS), which --init needs", EXIT_FAILED);
        }
    }
    if !nnp {
        for name in AFTER_EARLY_FILTER {
            if matches!(action(name), Some(Action::Kill | Action::KillThread | Action::Trap)) {
                return refused(name, b" (it kills), which nsinit calls after the filter with --allow-new-privs", EXIT_FAILED);
            }
        }
    }
    Ok(())
}

/// Takes every capability but `keep` out of the bounding set, for good:
/// nothing the payload runs can gain them back.
pub fn limit_bounding_set(keep: u64) -> Result<(), Error> {
    for cap in (0..64).filter(|cap| keep & 1 << cap == 0) {
        match sys::prctl(PR_CAPBSET_DROP, cap) {
            Ok(_) => {}
            // Past the running kernel's last capability.
            Err(Errno::EINVAL) => break,
            Err(e) => return Err(Error::of("prctl PR_CAPBSET_DROP", e)),
        }
    }
    Ok(())
}

/// Keeps the permitted capabilities through the switch to a non-root
/// `--user`, which would otherwise clear them.
pub fn keep_capabilities_across_setuid() -> Result<(), Error> {
    sys::prctl(PR_SET_KEEPCAPS, 1).map(drop).map_err(|e| Error::of("prctl PR_SET_KEEPCAPS", e))
}

/// Sets the effective, permitted, inheritable and ambient sets. A
/// capability nsinit does not have itself cannot be given: the sets are
/// cut down to nsinit's permitted set.
pub fn set_capabilities(caps: &Capabilities) -> Result<(), Error> {
    let [_, have, _] = sys::capget().map_err(|e| Error::of("capget", e))?;
    sys::capset([caps.effective & have, caps.permitted & have, caps.inheritable & have])
        .map_err(|e| Error::of("capset", e))?;
    for cap in (0..64).filter(|cap| caps.ambient & have & 1 << cap != 0) {
        sys::prctl3(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE as usize, cap)
            .map_err(|e| Error::of("prctl PR_CAP_AMBIENT_RAISE", e))?;
    }
    Ok(())
}

/// `no_new_privs`: no setuid bit or file capability raises what the
/// payload may do; it also lets an unprivileged process install a filter.
pub fn forbid_new_privileges() -> Result<(), Error> {
    sys::prctl(PR_SET_NO_NEW_PRIVS, 1).map(drop).map_err(|e| Error::of("prctl PR_SET_NO_NEW_PRIVS", e))
}

/// Loads `program` with its flags; where the kernel knows some flag not
/// (EINVAL), without them, as crun does, unless one is
/// `SECCOMP_FILTER_FLAG_NEW_LISTENER`: then the listener's descriptor is
/// sent on `listener` at once (`container::notify`), the one call made
/// before anyone can answer a notified call.
pub fn install_filter(filter: seccomp::Filter, listener: Option<sys::Fd>) -> Result<(), Error> {
    let (insns, flags) = (filter.insns, filter.flags);
    let loaded = match sys::seccomp_set_filter(insns, flags) {
        Err(Errno::EINVAL) if flags != 0 && flags & SECCOMP_FILTER_FLAG_NEW_LISTENER == 0 => sys::seccomp_set_filter(insns, 0),
        done => done,
    };
    if let (Ok(fd), Some(socket), true) = (loaded, listener, flags & SECCOMP_FILTER_FLAG_NEW_LISTENER != 0) {
        return sys::send_fd(socket, fd as sys::Fd, b"L").map_err(|e| Error::of("sendmsg the seccomp listener", e));
    }
    loaded.map(drop).map_err(|e| {
        let e2 = Error::of("seccomp", e);
        if e == Errno::EACCES { e2.push(b" (with --allow-new-privs the filter needs CAP_SYS_ADMIN)") } else { e2 }
    })
}

/// Starts a new session, without a controlling terminal, when standard
/// input is not a terminal, or always when `forced` (`--new-session`, as
/// bubblewrap's): the payload then cannot open the caller's terminal as
/// /dev/tty and push input into it. Otherwise, with a terminal on standard
/// input, the payload stays in the caller's session, for job control; the
/// filter denies it TIOCSTI and TIOCLINUX.
pub fn leave_terminal_session(forced: bool) -> Result<(), Error> {
    if !forced && sys::isatty(0) {
        return Ok(());
    }
    sys::setsid().map(drop).map_err(|e| Error::of("setsid", e))
}

/// Most descriptors nsinit keeps open in the container's process until
/// the exec besides the passed ones.
const MAX_OWN_FDS: usize = 8;

/// Closes every descriptor but 0, 1, 2, `pass` and the `keep` ones that
/// nsinit still needs before the exec, each close-on-exec: the cgroup's,
/// the signalfd and any inherited without `--pass-fd` are gone, so the
/// payload inherits 0, 1, 2 and `pass` only.
pub fn close_own_fds(pass: &[u32], keep: &[Option<sys::Fd>]) -> Result<(), Error> {
    let mut all: heapless::Vec<u32, { MAX_PASS_FDS + MAX_OWN_FDS }> = heapless::Vec::new();
    let kept = keep.iter().flatten().filter_map(|&fd| u32::try_from(fd).ok());
    for fd in pass.iter().copied().chain(kept) {
        all.push(fd).map_err(|_| Error::new(b"too many descriptors to keep"))?;
    }
    close_all_but(&all)
}

/// `close_range` over every descriptor from 3 up but `pass`.
fn close_all_but(pass: &[u32]) -> Result<(), Error> {
    let mut first = 3;
    loop {
        // The lowest passed descriptor at or above `first` ends this range.
        let next = pass.iter().copied().filter(|&fd| fd >= first).min();
        let last = next.map_or(u32::MAX, |fd| fd.wrapping_sub(1));
        if next != Some(first) {
            sys::close_range(first, last, 0).map_err(|e| Error::of("close_range", e))?;
        }
        match next {
            Some(fd) if fd < u32::MAX => first = fd + 1,
            _ => return Ok(()),
        }
    }
}

/// Checks, before nsinit opens anything, that each `--pass-fd` is open:
/// were it not, a descriptor of nsinit's own could take its number.
pub fn check_passed_fds(pass: &[u32]) -> Result<(), Error> {
    for &fd in pass {
        sys::fcntl(fd as i32, linux_raw_sys::general::F_GETFD, 0)
            .map_err(|e| Error::sys("--pass-fd", b"", e).push(b" (descriptor ").push_u64(u64::from(fd)).push(b" is not open)"))?;
    }
    Ok(())
}

