//! The payload: its environment, finding it in `PATH`, `execve`, and what
//! its wait status means as an exit code.

use crate::config::{EnvOp, PATH_MAX};
use crate::error::{EXIT_CANNOT_EXEC, EXIT_NOT_FOUND, Error};
use crate::sys::{self, Errno, ZStr};
use crate::text::ZBuf;
use crate::rt;
use heapless::Vec;
use linux_raw_sys::general::SIGTRAP;

/// Most variables in the payload's environment, when it is changed.
pub const MAX_ENV: usize = 1024;
/// Room for the `NAME=value` strings that `--setenv` makes.
pub const ENV_ARENA: usize = 16 * 1024;
/// `PATH` when the environment has none, as in runc and Docker.
const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Where a changed environment is built.
pub struct EnvStorage<'a> {
    arena: Vec<u8, ENV_ARENA>,
    env: Vec<Option<ZStr<'a>>, { MAX_ENV + 1 }>,
}

impl EnvStorage<'_> {
    pub const fn new() -> Self {
        EnvStorage { arena: Vec::new(), env: Vec::new() }
    }
}

impl EnvStorage<'static> {
    /// The process's one static `EnvStorage`.
    pub fn take_static() -> Result<&'static mut EnvStorage<'static>, Error> {
        static STORAGE: rt::StaticCell<EnvStorage<'static>> = rt::StaticCell::new(EnvStorage::new());
        STORAGE.take().ok_or_else(|| Error::new(b"environment: storage taken"))
    }
}

impl Default for EnvStorage<'_> {
    fn default() -> Self {
        EnvStorage::new()
    }
}

/// `NAME=value` names `name`.
fn names(var: &[u8], name: &[u8]) -> bool {
    var.strip_prefix(name).is_some_and(|rest| rest.first() == Some(&b'='))
}

/// The payload's environment: nsinit's own, changed by `ops` in order. With
/// no changes it is nsinit's own array, as it is. Otherwise the inherited
/// variables that no change names come first, then each variable set, in
/// the order of its last `--setenv`; the strings `--setenv` makes go into
/// `storage`.
pub fn environment<'a>(
    host: &'a [Option<ZStr<'a>>],
    ops: &[EnvOp<'a>],
    storage: &'a mut EnvStorage<'a>,
) -> Result<&'a [Option<ZStr<'a>>], Error> {
    if ops.is_empty() {
        return Ok(host);
    }
    let too_many = || Error::new(b"environment too large (at most 1024 variables)");
    let cleared = ops.iter().rposition(|op| *op == EnvOp::Clear);
    let ops = &ops[cleared.map_or(0, |i| i + 1)..];
    let name_of = |op: &EnvOp<'a>| match *op {
        EnvOp::Set(name, _) | EnvOp::Unset(name) => Some(name.bytes()),
        EnvOp::Clear => None,
    };
    // Write every NAME=value that no later change overrides, then hand out
    // the strings: the arena is only borrowed shared once it is complete.
    let EnvStorage { arena, env } = storage;
    arena.clear();
    for (i, op) in ops.iter().enumerate() {
        if let EnvOp::Set(name, value) = *op {
            if ops[i + 1..].iter().any(|later| name_of(later) == Some(name.bytes())) {
                continue;
            }
            for part in [name.bytes(), b"=", value.bytes(), b"\0"] {
                arena
                    .extend_from_slice(part)
                    .map_err(|_| Error::new(b"--setenv values too large (at most 16 KiB in all)"))?;
            }
        }
    }
    let arena: &'a [u8] = arena;
    env.clear();
    if cleared.is_none() {
        for var in host.iter().flatten() {
            if !ops.iter().any(|op| name_of(op).is_some_and(|n| names(var.bytes(), n))) {
                env.push(Some(*var)).map_err(|_| too_many())?;
            }
        }
    }
    let mut made = arena;
    while let Some(var) = ZStr::from_bytes_until_nul(made) {
        made = &made[var.bytes().len() + 1..];
        env.push(Some(var)).map_err(|_| too_many())?;
    }
    if env.is_full() {
        return Err(too_many());
    }
    let _ = env.push(None);
    Ok(env)
}

/// Execs the payload, searching `PATH` in `env` for a command without a
/// `/` (each candidate path built in `candidate`). Returns only on failure: 127 when nothing was found, 126 when
/// something was found but could not be executed.
/// Whether `exec` would find the program `argv[0]`: as a path, or in
/// `PATH`, a file that is not a directory. For the lifecycle's `create`,
/// which fails, as runc's, when the image lacks the payload, rather than
/// leave a container that fails at `start`.
#[cfg(feature = "oci")]
pub fn check_found(argv: &[Option<ZStr<'_>>], env: &[Option<ZStr<'_>>], candidate: &mut ZBuf<PATH_MAX>) -> Result<(), Error> {
    let command = argv.first().copied().flatten().ok_or_else(|| Error::new(b"no command given"))?;
    let is_file = |path: ZStr<'_>| sys::stat_mode(path).is_ok_and(|m| m & linux_raw_sys::general::S_IFMT != linux_raw_sys::general::S_IFDIR);
    let found = if command.bytes().contains(&b'/') {
        is_file(command)
    } else {
        let path = env.iter().flatten().find_map(|s| s.bytes().strip_prefix(b"PATH=")).unwrap_or(DEFAULT_PATH);
        path.split(|&c| c == b':').any(|dir| {
            let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
            candidate.truncate(0);
            candidate.push(dir).and_then(|c| c.push(b"/")).and_then(|c| c.push(command.bytes())).is_ok() && is_file(candidate.zstr())
        })
    };
    match found {
        true => Ok(()),
        false => Err(Error::sys_z("execve", command, Errno::ENOENT).with_code(EXIT_NOT_FOUND).push(b" (not in the container's root)")),
    }
}

pub fn exec(argv: &[Option<ZStr<'_>>], env: &[Option<ZStr<'_>>], candidate: &mut ZBuf<PATH_MAX>) -> Error {
    let Some(command) = argv.first().copied().flatten() else {
        return Error::new(b"no command given");
    };
    let failed = |e: Errno| {
        let code = if e == Errno::ENOENT || e == Errno::ENOTDIR { EXIT_NOT_FOUND } else { EXIT_CANNOT_EXEC };
        Error::sys_z("execve", command, e).with_code(code)
    };
    if command.bytes().contains(&b'/') {
        return failed(sys::execve(command, argv, env));
    }
    let path = env
        .iter()
        .flatten()
        .find_map(|s| s.bytes().strip_prefix(b"PATH="))
        .unwrap_or(DEFAULT_PATH);
    let mut denied = None;
    for dir in path.split(|&c| c == b':') {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        candidate.truncate(0);
        if candidate.push(dir).and_then(|c| c.push(b"/")).and_then(|c| c.push(command.bytes())).is_err() {
            continue;
        }
        match sys::execve(candidate.zstr(), argv, env) {
            Errno::ENOENT | Errno::ENOTDIR | Errno::ENAMETOOLONG | Errno::ELOOP => {}
            // Found but not runnable: go on looking, as execvp does, and
            // report this if nothing runnable turns up.
            Errno::EACCES => denied = Some(Errno::EACCES),
            e => return failed(e),
        }
    }
    failed(denied.unwrap_or(Errno::ENOENT))
}

/// The payload's process limits, `--rlimit` and `--oom-score-adj`, set on
/// process `pid` (0: this one). With a user namespace nsinit sets them on
/// its child from outside it, as runc does: raising a hard limit, or
/// lowering the OOM score, needs `CAP_SYS_RESOURCE` in the host's user
/// namespace, which the child no longer has. Errors name the limit.
pub fn limit(pid: i32, c: &crate::config::Container<'_>) -> Result<(), Error> {
    for r in &c.rlimits {
        sys::prlimit(pid, r.resource, r.soft, r.hard)
            .map_err(|e| Error::sys("prlimit", crate::config::rlimit_name(r.resource), e).push(b" (--rlimit)"))?;
    }
    if let Some(adj) = c.oom_score_adj {
        let mut value = ZBuf::<16>::new();
        let _ = if adj < 0 { value.push(b"-") } else { Ok(&mut value) }.and_then(|v| v.push_num(u64::from(adj.unsigned_abs()), 10));
        let mut path = ZBuf::<40>::new();
        let _ = path
            .push(b"/proc/")
            .and_then(|p| if pid == 0 { p.push(b"self") } else { p.push_num(pid as u64, 10) })
            .and_then(|p| p.push(b"/oom_score_adj"));
        sys::write_file(path.zstr(), value.bytes()).map_err(|e| Error::sys("write", path.bytes(), e))?;
    }
    Ok(())
}

/// Calls `run` with `env`, and `home` (`HOME=...`) in it when `env` has no
/// `HOME`, as runc and Docker set it for `--user`. The array with it is
/// built on this frame, only when needed.
#[inline(never)]
#[cold]
pub fn with_home(env: &[Option<ZStr<'_>>], home: ZStr<'_>, run: &mut dyn FnMut(&[Option<ZStr<'_>>]) -> Error) -> Error {
    if env.iter().flatten().any(|var| names(var.bytes(), b"HOME")) {
        return run(env);
    }
    let mut with: Vec<Option<ZStr<'_>>, { MAX_ENV + 1 }> = Vec::new();
    let vars = &env[..env.iter().position(Option::is_none).unwrap_or(env.len())];
    if with.extend_from_slice(vars).and_then(|()| with.extend_from_slice(&[Some(home), None])).is_err() {
        return Error::new(b"environment too large for HOME (at most 1024 variables)");
    }
    run(&with)
}

/// `wait4(pid, options)`, but for an end only: `(pid, status)` of a child
/// that exited or was killed (`(0, _)` under `WNOHANG` when none has).
///
/// A wait also reports a traced child that stopped, and nsinit is the
/// tracer of any child that asked for it (`PTRACE_TRACEME`, then `execve`,
/// stops it with SIGTRAP). nsinit is no debugger: such a child is let go
/// untraced (`PTRACE_DETACH`), with the signal that stopped it unless it
/// was the trap, and the wait goes on. A stop is never taken for an exit.
pub fn wait_end(pid: i32, options: u32) -> Result<(i32, i32), Errno> {
    loop {
        let (got, status) = sys::wait4(pid, options)?;
        match stop_signal(status) {
            Some(signal) if got > 0 => {
                let _ = sys::ptrace_detach(got, if signal == SIGTRAP { 0 } else { signal });
            }
            _ => return Ok((got, status)),
        }
    }
}

/// The signal that stopped a child, when `status` reports a stop
/// (`WIFSTOPPED`: low byte 0x7f) rather than an end.
pub fn stop_signal(status: i32) -> Option<u32> {
    (status & 0xff == 0x7f).then_some(((status >> 8) & 0xff) as u32)
}

/// The exit code for a wait status: the payload's own code, or 128+N when
/// signal N killed it, as shells report it.
pub fn exit_code(status: i32) -> i32 {
    let signal = status & 0x7f;
    if signal == 0 { (status >> 8) & 0xff } else { 128 + signal }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn z(s: &'static std::ffi::CStr) -> ZStr<'static> {
        ZStr::new(s)
    }

    fn strings(env: &[Option<ZStr<'_>>]) -> std::vec::Vec<String> {
        assert_eq!(env.last(), Some(&None), "NULL-terminated");
        env.iter().flatten().map(|s| String::from_utf8_lossy(s.bytes()).into_owned()).collect()
    }

    #[test]
    fn wait_status_to_exit_code() {
        assert_eq!(exit_code(0), 0);
        assert_eq!(exit_code(3 << 8), 3);
        assert_eq!(exit_code(255 << 8), 255);
        assert_eq!(exit_code(9), 137); // SIGKILL
        assert_eq!(exit_code(15 | 0x80), 143); // SIGTERM with a core dump
    }

    #[test]
    fn stops_are_not_ends() {
        assert_eq!(stop_signal(0x057f), Some(5), "SIGTRAP stop, as after PTRACE_TRACEME + execve");
        assert_eq!(stop_signal(0x137f), Some(19), "SIGSTOP stop");
        assert_eq!(stop_signal(0x857f), Some(5 | 0x80), "syscall stop with TRACESYSGOOD");
        assert_eq!(stop_signal(0x3_057f), Some(5), "event stop: the signal is still SIGTRAP");
        for end in [0, 3 << 8, 255 << 8, 9, 15 | 0x80] {
            assert_eq!(stop_signal(end), None, "{end:#x} is an end");
        }
    }

    #[test]
    fn environment_inherits_and_applies_ops_in_order() {
        let host = [Some(z(c"PATH=/bin")), Some(z(c"HOME=/root")), Some(z(c"HOMER=x")), None];
        let arena = Box::leak(Box::new(EnvStorage::new()));
        let ops = [EnvOp::Set(z(c"A"), z(c"1")), EnvOp::Unset(z(c"HOME")), EnvOp::Set(z(c"PATH"), z(c"/usr/bin"))];
        let env = environment(&host, &ops, arena).unwrap();
        assert_eq!(strings(env), ["HOMER=x", "A=1", "PATH=/usr/bin"]);
    }

    #[test]
    fn clearenv_drops_what_came_before_it() {
        let host = [Some(z(c"PATH=/bin")), None];
        let arena = Box::leak(Box::new(EnvStorage::new()));
        let ops = [EnvOp::Set(z(c"A"), z(c"1")), EnvOp::Clear, EnvOp::Set(z(c"B"), z(c"2 3")), EnvOp::Set(z(c"B"), z(c""))];
        let env = environment(&host, &ops, arena).unwrap();
        assert_eq!(strings(env), ["B="]);
        let arena = Box::leak(Box::new(EnvStorage::new()));
        assert_eq!(strings(environment(&host, &[], arena).unwrap()), ["PATH=/bin"]);
    }

    #[test]
    fn home_is_added_only_where_there_is_none() {
        let home = z(c"HOME=/home/alice");
        let seen = |env: &[Option<ZStr<'_>>]| {
            let mut got = vec![];
            let e = with_home(env, home, &mut |env| {
                got = strings(env);
                Error::new(b"exec")
            });
            (e.text(), got)
        };
        let without = [Some(z(c"PATH=/bin")), Some(z(c"HOMEX=1")), None];
        assert_eq!(seen(&without), ("nsinit: exec".to_string(), vec!["PATH=/bin".into(), "HOMEX=1".into(), "HOME=/home/alice".into()]));
        let with = [Some(z(c"HOME=/root")), None];
        assert_eq!(seen(&with).1, ["HOME=/root"], "an empty HOME= is set too: kept");
        assert_eq!(seen(&[Some(z(c"HOME=")), None]).1, ["HOME="]);
        assert_eq!(seen(&[None]).1, ["HOME=/home/alice"]);
        let many: std::vec::Vec<Option<ZStr<'static>>> = (0..1024)
            .map(|i| Some(ZStr::new(Box::leak(std::ffi::CString::new(format!("V{i}=1")).unwrap().into_boxed_c_str()))))
            .chain([None])
            .collect();
        assert_eq!(seen(&many[1..]).1.len(), 1024, "1023 and HOME fit");
        assert_eq!(seen(&many).0, "nsinit: environment too large for HOME (at most 1024 variables)");
    }

    #[test]
    fn environment_over_capacity_is_an_error() {
        let big = std::ffi::CString::new("v".repeat(9000)).unwrap();
        let big: &'static std::ffi::CStr = Box::leak(big.into_boxed_c_str());
        let ops = [EnvOp::Set(z(c"A"), ZStr::new(big)), EnvOp::Set(z(c"B"), ZStr::new(big))];
        let arena = Box::leak(Box::new(EnvStorage::new()));
        let e = environment(&[None], &ops, arena).err().unwrap();
        assert_eq!(e.text(), "nsinit: --setenv values too large (at most 16 KiB in all)");

        let many: std::vec::Vec<Option<ZStr<'static>>> = (0..1025)
            .map(|i| Some(ZStr::new(Box::leak(std::ffi::CString::new(format!("V{i}=1")).unwrap().into_boxed_c_str()))))
            .chain([None])
            .collect();
        let arena = Box::leak(Box::new(EnvStorage::new()));
        let many: &'static [Option<ZStr<'static>>] = Box::leak(many.into_boxed_slice());
        assert_eq!(environment(many, &[], arena).unwrap().len(), 1026, "unchanged: used as it is, any size");
        let arena = Box::leak(Box::new(EnvStorage::new()));
        let e = environment(many, &[EnvOp::Unset(z(c"X"))], arena).err().unwrap();
        assert_eq!(e.text(), "nsinit: environment too large (at most 1024 variables)");
    }
}

/// The errno of a program's failed `execve`, left by its process, which
/// shares nsinit's memory until then; 0 when it exec'd.
static PROGRAM_EXEC_FAILED: core::sync::atomic::AtomicI32 = core::sync::atomic::AtomicI32::new(0);

/// The stack a program's process runs on until its `execve`: a few calls deep.
const PROGRAM_STACK: usize = 8192;

/// Starts `program` with `argv` and exactly `envp`, the descriptors
/// `stdio` as its 0, 1 and 2 and no other open, and `mask` as its signal
/// mask (nsinit's own blocks the signals it forwards), the way
/// `posix_spawn` does (`sys::clone3_vfork`); returns its PID once it has
/// exec'd. Each of `stdio[i]` must be `i` itself, above 2, or a later one
/// of the three (`[fd, 2, 2]`): they are put in place in order. `Err`
/// names the call that failed: `clone3`, or `execve` with the program's
/// errno (or that of putting its descriptors in place).
pub fn spawn_program(
    program: ZStr<'_>,
    argv: &[Option<ZStr<'_>>],
    envp: &[Option<ZStr<'_>>],
    stdio: [sys::Fd; 3],
    mask: Option<sys::SigSet>,
) -> Result<i32, (&'static str, Errno)> {
    use core::sync::atomic::Ordering;
    use linux_raw_sys::general::{F_SETFD, SIG_SETMASK};
    PROGRAM_EXEC_FAILED.store(0, Ordering::Relaxed);
    let mut stack = [0u8; PROGRAM_STACK];
    let pid = sys::clone3_vfork(0, None, &mut stack, &mut || {
        if let Some(mask) = mask {
            let _ = sys::sigprocmask(SIG_SETMASK, mask);
        }
        let mut ready = Ok(());
        for (i, fd) in (0..).zip(stdio) {
            // Already in place: only its close-on-exec flag goes.
            let step = if fd == i { sys::fcntl(fd, F_SETFD, 0).map(drop) } else { sys::dup3(fd, i) };
            ready = ready.and(step);
        }
        let errno = match ready.and(sys::close_range(3, u32::MAX, 0)) {
            Ok(()) => sys::execve(program, argv, envp),
            Err(e) => e,
        };
        PROGRAM_EXEC_FAILED.store(errno.into_raw(), Ordering::Release);
        sys::exit_group(EXIT_NOT_FOUND)
    }, None)
    .map_err(|e| ("clone3", e))?;
    match PROGRAM_EXEC_FAILED.swap(0, Ordering::Acquire) {
        0 => Ok(pid),
        errno => {
            let _ = wait_end(pid, 0);
            Err(("execve", Errno::new(errno)))
        }
    }
}

/// `fd`, moved to 3 or above if it is one of the standard three (which a
/// caller may have left closed), so that `spawn_program`'s `dup3`s onto 0, 1
/// and 2 never overwrite it. Close-on-exec.
pub fn above_stdio(fd: sys::OwnedFd) -> Result<sys::OwnedFd, Errno> {
    if fd.0 > 2 {
        return Ok(fd);
    }
    sys::fcntl(fd.0, linux_raw_sys::general::F_DUPFD_CLOEXEC, 3).map(|high| sys::OwnedFd(high as sys::Fd))
}

/// How a program `spawn_program` started ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ended {
    /// Its raw wait status.
    Status(i32),
    /// Still running after the time it had: it was killed and reaped.
    TimedOut,
}

/// Waits for the program `pid`, at most `timeout` seconds when given, then
/// kills it. `Err` names the call that failed.
pub fn wait_program(pid: i32, timeout: Option<u32>) -> Result<Ended, (&'static str, Errno)> {
    use linux_raw_sys::general::{POLLIN, SIGKILL};
    if let Some(seconds) = timeout {
        let pidfd = sys::pidfd_open(pid).map(sys::OwnedFd).map_err(|e| ("pidfd_open", e))?;
        let deadline = i32::try_from(u64::from(seconds) * 1000).unwrap_or(i32::MAX);
        let ready = loop {
            match sys::poll_one(pidfd.0, POLLIN as i16, deadline) {
                Err(Errno::EINTR) => {}
                r => break r.map_err(|e| ("poll", e))?,
            }
        };
        if ready == 0 {
            let _ = sys::kill(pid, SIGKILL);
            let _ = wait_end(pid, 0);
            return Ok(Ended::TimedOut);
        }
    }
    loop {
        match sys::wait4(pid, 0) {
            Err(Errno::EINTR) => {}
            r => return r.map(|(_, status)| Ended::Status(status)).map_err(|e| ("wait4", e)),
        }
    }
}
