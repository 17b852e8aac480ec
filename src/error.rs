//! Errors: what failed, on what, why; and the exit codes they map to.

use crate::sys::{Errno, Fd};
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
            line.push(b"nsinit: ").push(what);
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

    /// The same, with `name` in directory `dir` as the object: `dir/name`.
    pub fn sys_in(step: &str, dir: &[u8], name: &[u8], errno: Errno) -> Error {
        let e = Error::new(step.as_bytes());
        with_message(|line| {
            line.push(b" ").push_object(dir).push(b"/").push(name).push(b": ");
            push_errno(line, errno);
        });
        e
    }

    pub fn push(self, bytes: &[u8]) -> Error {
        with_message(|line| {
            line.push(bytes);
        });
        self
    }

    pub fn push_u64(self, n: u64) -> Error {
        with_message(|line| {
            line.push_u64(n);
        });
        self
    }

    pub fn with_code(mut self, code: i32) -> Error {
        self.code = code;
        self
    }

    pub fn print(&self, fd: Fd) {
        with_message(|line| line.print(fd));
    }

    /// The message, for tests.
    #[cfg(test)]
    pub fn text(&self) -> String {
        with_message(|line| String::from_utf8_lossy(line.as_bytes()).into_owned()).unwrap_or_default()
    }
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
    match (errno.name(), errno.description()) {
        (Some(name), Some(text)) => {
            line.push(name.as_bytes()).push(b" (").push(text.as_bytes()).push(b")");
        }
        _ => {
            line.push(b"errno ").push_u64(errno.into_raw() as u64);
        }
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
    fn unknown_errno_shows_its_number() {
        let e = Error::sys("mount", b"/x", Errno::new(4000));
        assert_eq!(e.text(), "nsinit: mount /x: errno 4000");
    }
}

impl core::fmt::Debug for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Error (exit {})", self.code)
    }
}
