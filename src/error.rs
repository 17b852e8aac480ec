//! Errors: what failed, on what, why; and the exit codes they map to.

use crate::sys::{Errno, Fd, ZStr};
use crate::text::Line;

/// nsinit itself failed: bad input or a failed setup step.
pub const EXIT_FAILED: i32 = 125;
/// The payload was found but could not be executed.
pub const EXIT_CANNOT_EXEC: i32 = 126;
/// The payload was not found.
pub const EXIT_NOT_FOUND: i32 = 127;

/// A failure: its exit code, and its message, which is kept in one place
/// outside the stack. nsinit meets at most one error on its way out, and a
/// message on the stack would make every `Result` on the start path as large
/// as a message, touching stack pages on every start for nothing.
#[must_use]
pub struct Error {
    pub code: i32,
}

impl Error {
    /// `nsinit: ` followed by `what`; exit code 125. Replaces the message
    /// of any earlier error.
    pub fn new(what: &[u8]) -> Error {
        with_message(|line| {
            line.clear();
            line.push(b"nsinit: ").push_escaped(what);
        });
        Error { code: EXIT_FAILED }
    }

    /// `nsinit: <step> <object>: <ERRNO> (<text>)`.
    pub fn sys(step: &str, object: &[u8], errno: Errno) -> Error {
        let e = Error::new(step.as_bytes());
        with_message(|line| {
            if !object.is_empty() {
                line.push(b" ").push_object(object);
            }
            line.push(b": ");
            push_errno(line, errno);
        });
        e
    }

    /// `nsinit: <what>: <ERRNO> (<text>)`: `sys` for a step whose object is
    /// a constant, written with it (`"prctl PR_SET_KEEPCAPS"`): one string
    /// to pass rather than two.
    #[inline(never)]
    pub fn of(what: &str, errno: Errno) -> Error {
        Error::sys(what, b"", errno)
    }

    /// `sys` with a NUL-terminated object, mostly a path. Apart, with
    /// `on` and `push_z`, so that each of the many failures of the setup
    /// costs a call rather than a walk of the string and a call.
    #[inline(never)]
    pub fn sys_z(step: &str, object: ZStr<'_>, errno: Errno) -> Error {
        Error::sys(step, object.bytes(), errno)
    }

    /// The same, with `name` in directory `dir` as the object: `dir/name`.
    pub fn sys_in(step: &str, dir: &[u8], name: &[u8], errno: Errno) -> Error {
        let e = Error::new(step.as_bytes());
        with_message(|line| {
            line.push(b" ").push_object(dir).push(b"/").push_escaped(name).push(b": ");
            push_errno(line, errno);
        });
        e
    }

    /// An error whose message is already written: by the container's
    /// process, which shares this memory until it execs.
    pub fn written(code: i32) -> Error {
        Error { code }
    }

    /// Adds `bytes` to the message, control bytes escaped (`Line::push_escaped`):
    /// a message is always one line, whatever the input it quotes.
    pub fn push(self, bytes: &[u8]) -> Error {
        with_message(|line| {
            line.push_escaped(bytes);
        });
        self
    }

    /// `push` of a NUL-terminated string.
    #[inline(never)]
    pub fn push_z(self, z: ZStr<'_>) -> Error {
        self.push(z.bytes())
    }

    /// Adds ` on TARGET`: where a mount or a bind was to go.
    #[inline(never)]
    pub fn on(self, target: ZStr<'_>) -> Error {
        self.push(b" on ").push(target.bytes())
    }

    pub fn push_u64(self, n: u64) -> Error {
        with_message(|line| {
            line.push_u64(n);
        });
        self
    }

    /// Adds `ERRNO (text)`, as `sys` ends.
    pub fn push_errno(self, errno: Errno) -> Error {
        with_message(|line| push_errno(line, errno));
        self
    }

    pub fn with_code(mut self, code: i32) -> Error {
        self.code = code;
        self
    }

    pub fn print(&self, fd: Fd) {
        with_message(|line| line.print(fd));
    }

    /// Runs `f` on the message without its `nsinit: ` (for a JSON log).
    pub fn message<R>(&self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        with_message(|line| f(line.as_bytes().strip_prefix(b"nsinit: ").unwrap_or(line.as_bytes())))
    }

    /// The message, for tests.
    #[cfg(test)]
    pub fn text(&self) -> String {
        with_message(|line| String::from_utf8_lossy(line.as_bytes()).into_owned()).unwrap_or_default()
    }
}

/// Runs `f`, which may make and print messages of its own (warnings), and
/// gives the current message back as it was: for work done while an error
/// is on its way out, as `poststop` hooks are.
pub fn keeping_message<R>(f: impl FnOnce() -> R) -> R {
    let saved = with_message(|line| line.clone());
    let r = f();
    if let Some(saved) = saved {
        with_message(|line| *line = saved);
    }
    r
}

/// Runs `f` on the current message.
#[cfg(not(test))]
fn with_message<R>(f: impl FnOnce(&mut Line) -> R) -> Option<R> {
    static MESSAGE: crate::rt::Global<Line> = crate::rt::Global::new(Line::new());
    MESSAGE.with(f)
}

/// Runs `f` on the current message: one a thread, as tests run in threads.
#[cfg(test)]
fn with_message<R>(f: impl FnOnce(&mut Line) -> R) -> Option<R> {
    std::thread_local! {
        static MESSAGE: core::cell::RefCell<Line> = const { core::cell::RefCell::new(Line::new()) };
    }
    MESSAGE.with(|m| Some(f(&mut m.borrow_mut())))
}

/// `ENOENT (No such file or directory)`, or the number for an unknown errno.
pub fn push_errno(line: &mut Line, errno: Errno) {
    match errno_line(errno.into_raw()).and_then(|l| l.split_once(' ')) {
        Some((name, text)) => {
            line.push(name.as_bytes()).push(b" (").push(text.as_bytes()).push(b")");
        }
        None => {
            line.push(b"errno ").push_u64(errno.into_raw() as u64);
        }
    }
}

/// The errnos 1 to 40, one a line in order, as `NAME text`: the ones a
/// container's setup meets. (A table of all ~130, as the syscalls crate has
/// it, costs 8 KiB of the binary.)
const ERRNOS: &str = "\
EPERM Operation not permitted\n\
ENOENT No such file or directory\n\
ESRCH No such process\n\
EINTR Interrupted system call\n\
EIO I/O error\n\
ENXIO No such device or address\n\
E2BIG Argument list too long\n\
ENOEXEC Exec format error\n\
EBADF Bad file number\n\
ECHILD No child processes\n\
EAGAIN Try again\n\
ENOMEM Out of memory\n\
EACCES Permission denied\n\
EFAULT Bad address\n\
ENOTBLK Block device required\n\
EBUSY Device or resource busy\n\
EEXIST File exists\n\
EXDEV Cross-device link\n\
ENODEV No such device\n\
ENOTDIR Not a directory\n\
EISDIR Is a directory\n\
EINVAL Invalid argument\n\
ENFILE File table overflow\n\
EMFILE Too many open files\n\
ENOTTY Not a typewriter\n\
ETXTBSY Text file busy\n\
EFBIG File too large\n\
ENOSPC No space left on device\n\
ESPIPE Illegal seek\n\
EROFS Read-only file system\n\
EMLINK Too many links\n\
EPIPE Broken pipe\n\
EDOM Math argument out of domain of func\n\
ERANGE Math result not representable\n\
EDEADLK Resource deadlock would occur\n\
ENAMETOOLONG File name too long\n\
ENOLCK No record locks available\n\
ENOSYS Invalid system call number\n\
ENOTEMPTY Directory not empty\n\
ELOOP Too many symbolic links encountered";

/// A few more, past 40.
const MORE_ERRNOS: [(i32, &str); 10] = [
    (75, "EOVERFLOW Value too large for defined data type"),
    (95, "EOPNOTSUPP Operation not supported on transport endpoint"),
    (98, "EADDRINUSE Address already in use"),
    (107, "ENOTCONN Transport endpoint is not connected"),
    (110, "ETIMEDOUT Connection timed out"),
    (111, "ECONNREFUSED Connection refused"),
    (116, "ESTALE Stale file handle"),
    (122, "EDQUOT Quota exceeded"),
    (123, "ENOMEDIUM No medium found"),
    (126, "ENOKEY Required key not available"),
];

/// `NAME text` for `errno`, when known.
fn errno_line(errno: i32) -> Option<&'static str> {
    match errno {
        1..=40 => ERRNOS.split('\n').nth(errno as usize - 1),
        _ => MORE_ERRNOS.iter().find(|(n, _)| *n == errno).map(|(_, line)| *line),
    }
}

/// The errno named `name` (`b"EPERM"`), when it is in the tables above.
pub fn errno_number(name: &[u8]) -> Option<i32> {
    let last = MORE_ERRNOS.last().map_or(40, |(n, _)| *n);
    let is_named = |line: &str| line.split_once(' ').is_some_and(|(named, _)| named.as_bytes() == name);
    (1..=last).find(|&n| errno_line(n).is_some_and(is_named))
}

impl core::fmt::Debug for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Error (exit {})", self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sys_error_names_step_object_and_errno() {
        let e = Error::sys("pivot_root", b"/srv/box", Errno::EINVAL);
        assert_eq!(e.text(), "nsinit: pivot_root /srv/box: EINVAL (Invalid argument)");
        assert_eq!(e.code, EXIT_FAILED);
    }

    #[test]
    fn errno_names_and_texts() {
        for (errno, want) in [
            (Errno::EPERM, "EPERM (Operation not permitted)"),
            (Errno::EAGAIN, "EAGAIN (Try again)"),
            (Errno::ELOOP, "ELOOP (Too many symbolic links encountered)"),
            (Errno::ENOTEMPTY, "ENOTEMPTY (Directory not empty)"),
            (Errno::EOPNOTSUPP, "EOPNOTSUPP (Operation not supported on transport endpoint)"),
        ] {
            let mut l = Line::new();
            push_errno(&mut l, errno);
            assert_eq!(l.as_bytes(), want.as_bytes());
        }
        // Every line of the table is the errno it stands at.
        for n in 1..=40 {
            let name = errno_line(n).and_then(|l| l.split_once(' ')).map(|(name, _)| name);
            assert_eq!(name, Errno::new(n).name(), "errno {n}");
        }
    }

    #[test]
    fn errnos_by_name() {
        for (name, errno) in
            [("EPERM", Errno::EPERM), ("ENOSYS", Errno::ENOSYS), ("ELOOP", Errno::ELOOP), ("ENOKEY", Errno::ENOKEY)]
        {
            assert_eq!(errno_number(name.as_bytes()), Some(errno.into_raw()), "{name}");
        }
        for bad in ["", "EFOO", "eperm", "EPERM ", "Operation", "75"] {
            assert_eq!(errno_number(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn short_forms_write_what_the_long_ones_do() {
        let (src, dst) = (ZStr::new(c"/src\n"), ZStr::new(c"/dst"));
        let long = Error::sys("bind", src.bytes(), Errno::ENOENT).push(b" on ").push(dst.bytes()).push(dst.bytes()).text();
        assert_eq!(Error::sys_z("bind", src, Errno::ENOENT).on(dst).push_z(dst).text(), long);
        assert_eq!(Error::of("prctl PR_SET_KEEPCAPS", Errno::EPERM).text(), Error::sys("prctl", b"PR_SET_KEEPCAPS", Errno::EPERM).text());
        assert_eq!(long, "nsinit: bind /src\\n: ENOENT (No such file or directory) on /dst/dst");
    }

    #[test]
    fn unknown_errno_shows_its_number() {
        let e = Error::sys("mount", b"/x", Errno::new(4000));
        assert_eq!(e.text(), "nsinit: mount /x: errno 4000");
    }
}
