//! The container's state as runtime-spec describes it (`runtime.md#state`):
//! the JSON document each hook reads on its standard input, and what
//! `nsinit state` will print.

use crate::config::Identity;
use crate::sys::{self, Errno, Fd};

/// The runtime-spec version nsinit's state documents follow.
pub const OCI_VERSION: &[u8] = b"1.2.1";

/// Where the container is in its life: the spec's `status` values.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status {
    Creating,
    Created,
    Running,
    Stopped,
    /// Frozen in its cgroup (runc's `pause`).
    Paused,
}

impl Status {
    pub const fn name(self) -> &'static [u8] {
        match self {
            Status::Creating => b"creating",
            Status::Created => b"created",
            Status::Running => b"running",
            Status::Stopped => b"stopped",
            Status::Paused => b"paused",
        }
    }
}

/// Writes the state to `fd`, one JSON object with no newline:
/// `{"ociVersion":"1.2.1","id":ID,"status":S,"pid":N,"bundle":DIR,"annotations":{...}}`.
/// `pid`: the container's process as nsinit sees it, left out when there
/// is none (`stopped`). An ID or bundle nsinit was not given is `""`.
pub fn write(fd: Fd, who: &Identity<'_>, status: Status, pid: Option<i32>) -> Result<(), Errno> {
    let mut buf = [0; OUT_BUF];
    let mut out = Out { fd: Some(fd), buf: &mut buf, len: 0 };
    state(&mut out, who, status, pid)?;
    out.flush()
}

/// What runc's `state` adds to the spec's state: the root filesystem's
/// absolute path, when the container was created (RFC 3339, UTC, with
/// nanoseconds) and the user that created it (its name on the host, or
/// its number).
pub struct RuncFields<'a> {
    pub rootfs: &'a [u8],
    pub created: &'a [u8],
    pub owner: &'a [u8],
}

/// `nsinit state ID`: the state as `write` gives it with runc's fields
/// after the spec's, pretty-printed on one line as runc's ends: a newline.
pub fn write_runc(fd: Fd, who: &Identity<'_>, status: Status, pid: Option<i32>, runc: &RuncFields<'_>) -> Result<(), Errno> {
    let mut buf = [0; OUT_BUF];
    let mut out = Out { fd: Some(fd), buf: &mut buf, len: 0 };
    state_fields(&mut out, who, status, pid)?;
    for (name, value) in [(&b",\"rootfs\":"[..], runc.rootfs), (b",\"created\":", runc.created), (b",\"owner\":", runc.owner)] {
        out.raw(name)?;
        out.string(value)?;
    }
    out.raw(b"}\n")?;
    out.flush()
}

/// The container process state a seccomp listener gets (runtime-spec
/// config-linux.md, "The Container Process State"), as runc sends it:
/// `{"ociVersion":V,"fds":["seccompFd"],"pid":N,"metadata":M,"state":{...}}`,
/// the state `creating`, `metadata` left out when there is none. Into
/// `buf`, for one `sendmsg`; returns its length, `ENOBUFS` when it does
/// not fit.
pub fn process_state(buf: &mut [u8], who: &Identity<'_>, pid: i32, metadata: Option<&[u8]>) -> Result<usize, Errno> {
    let mut out = Out { fd: None, buf, len: 0 };
    out.raw(b"{\"ociVersion\":\"")?;
    out.raw(OCI_VERSION)?;
    out.raw(b"\",\"fds\":[\"seccompFd\"],\"pid\":")?;
    out.number(pid)?;
    if let Some(metadata) = metadata {
        out.raw(b",\"metadata\":")?;
        out.string(metadata)?;
    }
    out.raw(b",\"state\":")?;
    state(&mut out, who, Status::Creating, Some(pid))?;
    out.raw(b"}")?;
    Ok(out.len)
}

fn state(out: &mut Out<'_>, who: &Identity<'_>, status: Status, pid: Option<i32>) -> Result<(), Errno> {
    state_fields(out, who, status, pid)?;
    out.raw(b"}")
}

/// The state object without its closing brace.
fn state_fields(out: &mut Out<'_>, who: &Identity<'_>, status: Status, pid: Option<i32>) -> Result<(), Errno> {
    out.raw(b"{\"ociVersion\":\"")?;
    out.raw(OCI_VERSION)?;
    out.raw(b"\",\"id\":")?;
    out.string(who.id.map_or(&b""[..], |s| s.bytes()))?;
    out.raw(b",\"status\":\"")?;
    out.raw(status.name())?;
    out.raw(b"\"")?;
    if let Some(pid) = pid {
        out.raw(b",\"pid\":")?;
        out.number(pid)?;
    }
    out.raw(b",\"bundle\":")?;
    out.string(who.bundle.map_or(&b""[..], |s| s.bytes()))?;
    out.raw(b",\"annotations\":{")?;
    for (i, (key, value)) in who.annotations.iter().enumerate() {
        if i > 0 {
            out.raw(b",")?;
        }
        out.string(key.bytes())?;
        out.raw(b":")?;
        out.string(value.bytes())?;
    }
    out.raw(b"}")
}

/// `s` as the inside of a JSON string, a piece at a time to `out`: quotes,
/// backslashes and control bytes escaped, and what is not UTF-8 (a path
/// may hold any byte) as U+FFFD, as Go's encoder writes it for runc.
pub fn json_escape(s: &[u8], out: &mut dyn FnMut(&[u8])) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for chunk in s.utf8_chunks() {
        let valid = chunk.valid().as_bytes();
        let mut from = 0;
        for (i, &b) in valid.iter().enumerate() {
            let escaped: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                0..0x20 => &[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]],
                _ => continue,
            };
            out(&valid[from..i]);
            out(escaped);
            from = i + 1;
        }
        out(&valid[from..]);
        if !chunk.invalid().is_empty() {
            out("\u{fffd}".as_bytes());
        }
    }
}

/// Bytes gathered before a `write`: a state without annotations fits.
const OUT_BUF: usize = 512;

/// A buffered writer to a descriptor (the state has no size limit), or
/// into a buffer alone (`fd` `None`: full is `ENOBUFS`).
struct Out<'b> {
    fd: Option<Fd>,
    buf: &'b mut [u8],
    len: usize,
}

impl Out<'_> {
    fn number(&mut self, n: i32) -> Result<(), Errno> {
        let mut digits = [0u8; 64];
        self.raw(crate::text::digits(n as u64, 10, &mut digits))
    }

    fn raw(&mut self, bytes: &[u8]) -> Result<(), Errno> {
        for &b in bytes {
            if self.len == self.buf.len() {
                self.flush()?;
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\u00XX`;
    /// other bytes as they are (UTF-8 when config.json gave them).
    fn string(&mut self, s: &[u8]) -> Result<(), Errno> {
        self.raw(b"\"")?;
        let mut failed = Ok(());
        json_escape(s, &mut |piece| failed = failed.and_then(|()| self.raw(piece)));
        failed?;
        self.raw(b"\"")
    }

    fn flush(&mut self) -> Result<(), Errno> {
        let fd = self.fd.ok_or(Errno::ENOBUFS)?;
        let mut done = 0;
        while done < self.len {
            match sys::write(fd, &self.buf[done..self.len]) {
                Ok(n) => done += n,
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
        self.len = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Identity;
    use std::ffi::CString;

    fn z(s: &str) -> crate::sys::ZStr<'static> {
        crate::sys::ZStr::new(Box::leak(CString::new(s).unwrap().into_boxed_c_str()))
    }

    /// The state as a hook would read it.
    fn written(who: &Identity<'_>, status: Status, pid: Option<i32>) -> String {
        let fd = sys::memfd_create(z("state-test"), 0).unwrap();
        write(fd, who, status, pid).unwrap();
        sys::lseek(fd, 0, 0).unwrap();
        let mut buf = vec![0u8; 1 << 20];
        let mut got = Vec::new();
        loop {
            let n = sys::read(fd, &mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        sys::close(fd).unwrap();
        String::from_utf8(got).unwrap()
    }

    #[test]
    fn a_state_has_every_field_the_spec_names_with_strings_escaped() {
        let mut who = Identity { id: Some(z("web-1")), bundle: Some(z("/srv/b\"x\\y")), ..Identity::default() };
        who.annotations.push((z("a"), z("line\nnext\t\u{1}"))).unwrap();
        who.annotations.push((z("é"), z(""))).unwrap();
        assert_eq!(
            written(&who, Status::Creating, Some(42)),
            r#"{"ociVersion":"1.2.1","id":"web-1","status":"creating","pid":42,"bundle":"/srv/b\"x\\y","annotations":{"a":"line\u000anext\u0009\u0001","é":""}}"#
        );
    }

    #[test]
    fn a_seccomp_listener_gets_the_container_process_state_in_one_buffer() {
        let mut who = Identity { id: Some(z("n1")), bundle: Some(z("/b")), ..Identity::default() };
        who.annotations.push((z("k"), z("v"))).unwrap();
        let mut buf = [0u8; 512];
        let n = process_state(&mut buf, &who, 42, Some(b"m\"x")).unwrap();
        assert_eq!(
            std::str::from_utf8(&buf[..n]).unwrap(),
            r#"{"ociVersion":"1.2.1","fds":["seccompFd"],"pid":42,"metadata":"m\"x","state":{"ociVersion":"1.2.1","id":"n1","status":"creating","pid":42,"bundle":"/b","annotations":{"k":"v"}}}"#
        );
        let n = process_state(&mut buf, &Identity::default(), 7, None).unwrap();
        assert!(std::str::from_utf8(&buf[..n]).unwrap().starts_with(r#"{"ociVersion":"1.2.1","fds":["seccompFd"],"pid":7,"state":{"#));
        assert_eq!(process_state(&mut buf[..100], &who, 42, None), Err(Errno::ENOBUFS));
    }

    #[test]
    fn bytes_that_are_not_utf8_become_the_replacement_character() {
        let mut out = Vec::new();
        super::json_escape(b"/b\xffx\"\\\n\xc3\xa9\xe2\x82", &mut |p| out.extend_from_slice(p));
        assert_eq!(String::from_utf8(out).unwrap(), "/b\u{fffd}x\\\"\\\\\\u000a\u{e9}\u{fffd}");
    }

    #[test]
    fn a_stopped_container_has_no_pid_and_an_empty_identity_is_empty_strings() {
        assert_eq!(
            written(&Identity::default(), Status::Stopped, None),
            r#"{"ociVersion":"1.2.1","id":"","status":"stopped","bundle":"","annotations":{}}"#
        );
    }

    #[test]
    fn a_state_larger_than_the_buffer_is_written_whole() {
        let mut who = Identity { id: Some(z("big")), ..Identity::default() };
        let long = "v".repeat(3000);
        for i in 0..20 {
            who.annotations.push((z(&format!("k{i}")), z(&long))).unwrap();
        }
        let text = written(&who, Status::Running, Some(7));
        assert!(text.ends_with("}}") && text.contains(r#""status":"running","pid":7"#));
        assert_eq!(text.matches(&long).count(), 20);
    }
}
