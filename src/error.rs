//! Errors: what failed, on what, why; and the exit codes they map to.

use crate::sys::{Errno, Fd};
use crate::text::Line;

/// nsinit itself failed: bad input or a failed setup step.
pub const EXIT_FAILED: i32 = 125;
/// The payload was found but could not be executed.
pub const EXIT_CANNOT_EXEC: i32 = 126;
/// The payload was not found.
pub const EXIT_NOT_FOUND: i32 = 127;

/// A message ready to print, and the exit code that goes with it.
pub struct Error {
    pub code: i32,
    pub line: Line,
}

impl Error {
    /// `nsinit: ` followed by `what`; exit code 125.
    pub fn new(what: &[u8]) -> Error {
        let mut line = Line::new();
        line.push(b"nsinit: ").push(what);
        Error { code: EXIT_FAILED, line }
    }

    /// `nsinit: <step> <object>: <ERRNO> (<text>)`.
    pub fn sys(step: &str, object: &[u8], errno: Errno) -> Error {
        let mut e = Error::new(step.as_bytes());
        if !object.is_empty() {
            e.line.push(b" ").push(object);
        }
        e.line.push(b": ");
        push_errno(&mut e.line, errno);
        e
    }

    /// The same, with `name` in directory `dir` as the object: `dir/name`.
    pub fn sys_in(step: &str, dir: &[u8], name: &[u8], errno: Errno) -> Error {
        let mut e = Error::new(step.as_bytes());
        e.line.push(b" ").push(dir).push(b"/").push(name).push(b": ");
        push_errno(&mut e.line, errno);
        e
    }

    pub fn push(mut self, bytes: &[u8]) -> Error {
        self.line.push(bytes);
        self
    }

    pub fn with_code(mut self, code: i32) -> Error {
        self.code = code;
        self
    }

    pub fn print(&self, fd: Fd) {
        self.line.print(fd);
    }
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
        assert_eq!(e.line.as_bytes(), b"nsinit: pivot_root /srv/box: EINVAL (Invalid argument)");
        assert_eq!(e.code, EXIT_FAILED);
    }

    #[test]
    fn unknown_errno_shows_its_number() {
        let e = Error::sys("mount", b"/x", Errno::new(4000));
        assert_eq!(e.line.as_bytes(), b"nsinit: mount /x: errno 4000");
    }
}

impl core::fmt::Debug for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match core::str::from_utf8(self.line.as_bytes()) {
            Ok(s) => write!(f, "{s} (exit {})", self.code),
            Err(_) => write!(f, "{:?} (exit {})", self.line.as_bytes(), self.code),
        }
    }
}
