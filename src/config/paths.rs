//! Paths as the options give them, cleaned before anything uses them:
//! `a//b`, `a/./b`, `a/b/` and `./a/b` all become `a/b`, so that a trailing
//! slash never turns a file into "not a directory", `--proc /proc/` replaces
//! the default `/proc` mount as `--proc /proc` does, and `--overlay-upper
//! DIR/.` keeps its work directory beside `DIR`, not inside it. `..` is kept
//! as written: after a symlink it does not mean what the text says.
//!
//! A host path in a config file is also made relative to the file's own
//! directory (`rootfs box` in `/etc/nsinit/web.conf` is `/etc/nsinit/box`),
//! as docker-compose does with its file; on the command line it stays
//! relative to the working directory, as every shell user expects.
//!
//! A path that needs no change is used in place; only the others are
//! written, into a fixed room (`PATH_ROOM` bytes) given to the parser.
//! Without the `paths` feature every path is used as given.

use crate::sys::ZStr;

/// Bytes for the paths the parser rewrites (cleaned, or joined to the
/// config file's directory); going over is an error.
pub const PATH_ROOM: usize = 64 * 1024;

/// Where rewritten paths go, each split off the free space as it is made.
pub struct PathRoom<'a> {
    free: &'a mut [u8],
}

/// The room is full.
#[derive(Debug)]
pub struct Full;

impl<'a> PathRoom<'a> {
    pub fn new(buf: &'a mut [u8]) -> PathRoom<'a> {
        PathRoom { free: buf }
    }

    /// `path` cleaned, after `dir` when `path` is relative (`dir` empty: as
    /// it is); with `list`, each part of a `:`-separated list so (the
    /// layers of `--overlay`). `path` itself when that changes nothing.
    pub fn path(&mut self, dir: &[u8], path: ZStr<'a>, list: bool) -> Result<ZStr<'a>, Full> {
        if !cfg!(feature = "paths") {
            return Ok(path);
        }
        // NUL never occurs in a ZStr: without `list` there is one part.
        let separator = if list { b':' } else { 0 };
        let parts = path.bytes().split(move |&c| c == separator);
        let dir_of = |part: &[u8]| if part.first() == Some(&b'/') { &b""[..] } else { dir };
        if parts.clone().all(|part| dir_of(part).is_empty() && is_clean(part)) {
            return Ok(path);
        }
        let free = core::mem::take(&mut self.free);
        let mut at = 0;
        for (i, part) in parts.enumerate() {
            if i > 0 {
                *free.get_mut(at).ok_or(Full)? = b':';
                at += 1;
            }
            let dir = dir_of(part);
            let slash = usize::from(!dir.is_empty());
            let len = dir.len() + slash + part.len();
            let out = free.get_mut(at..at + len.max(1)).ok_or(Full)?;
            out[..dir.len()].copy_from_slice(dir);
            out[dir.len()..][..slash].fill(b'/');
            out[dir.len() + slash..][..part.len()].copy_from_slice(part);
            at += clean(out, len);
        }
        *free.get_mut(at).ok_or(Full)? = 0;
        let (made, rest) = free.split_at_mut(at + 1);
        self.free = rest;
        let made: &'a [u8] = made;
        ZStr::from_bytes_until_nul(made).ok_or(Full)
    }
}

impl<'a> PathRoom<'a> {
    /// `bytes` as a string of its own (a part of a longer word), NUL-terminated in the room.
    pub fn copy(&mut self, bytes: &[u8]) -> Result<ZStr<'a>, Full> {
        if bytes.contains(&0) {
            return Err(Full);
        }
        self.join(&[bytes])
    }

    /// Writes `bytes` at `at` in the free space, where a text is being
    /// built (`take` ends it); nothing else may use the room meanwhile.
    pub fn write_at(&mut self, at: usize, bytes: &[u8]) -> Result<(), Full> {
        self.free.get_mut(at..at + bytes.len()).ok_or(Full)?.copy_from_slice(bytes);
        Ok(())
    }

    /// Ends the text of `len` bytes that `write_at` built with a NUL and
    /// splits it off the room.
    pub fn take(&mut self, len: usize) -> Result<ZStr<'a>, Full> {
        *self.free.get_mut(len).ok_or(Full)? = 0;
        let (made, rest) = core::mem::take(&mut self.free).split_at_mut(len + 1);
        self.free = rest;
        let made: &'a [u8] = made;
        ZStr::from_bytes_until_nul(made).ok_or(Full)
    }

    /// `parts` one after the other, as one string in the room.
    pub fn join(&mut self, parts: &[&[u8]]) -> Result<ZStr<'a>, Full> {
        let mut len = 0;
        for part in parts {
            self.write_at(len, part)?;
            len += part.len();
        }
        self.take(len)
    }
}

/// Whether `path` is clean already: not empty, no empty or `.` component
/// but the root's, no trailing slash; or `/`, or `.`.
fn is_clean(path: &[u8]) -> bool {
    path == b"/"
        || path == b"."
        || (path.last().is_some_and(|&c| c != b'/')
            && path.split(|&c| c == b'/').enumerate().all(|(i, part)| (i == 0 && part.is_empty()) || (!part.is_empty() && part != b".")))
}

/// Cleans the path of `len` bytes at the start of `buf` in place:
/// components split on `/`, the empty ones and `.` left out, joined with
/// one `/`, the leading one kept; nothing left is `/` or `.`. Returns its
/// length. `buf` has room for one byte at least.
fn clean(buf: &mut [u8], len: usize) -> usize {
    let absolute = len > 0 && buf[0] == b'/';
    let (mut read, mut write) = (0, usize::from(absolute));
    while read < len {
        let start = read;
        while read < len && buf[read] != b'/' {
            read += 1;
        }
        let part = start..read;
        read += 1;
        if part.is_empty() || buf[part.clone()] == *b"." {
            continue;
        }
        if write > usize::from(absolute) {
            buf[write] = b'/';
            write += 1;
        }
        let len = part.len();
        buf.copy_within(part, write);
        write += len;
    }
    if write == 0 {
        buf[0] = b'.';
        write = 1;
    }
    write
}

/// The directory of the file at `path`, as written (`conf/box.conf`:
/// `conf`; `/box.conf`: `/`; `box.conf`: empty, the working directory).
pub fn dir_of(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&c| c == b'/') {
        Some(0) => b"/",
        Some(i) => &path[..i],
        None => b"",
    }
}

/// Whether the last component of the cleaned `path` is `.` or `..`: a
/// directory that has no name of its own in its parent.
pub fn ends_in_dots(path: &[u8]) -> bool {
    matches!(path.rsplit(|&c| c == b'/').next(), Some(b".." | b"."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cleaned(dir: &str, path: &str) -> String {
        let mut buf = vec![0u8; 256];
        let mut room = PathRoom::new(&mut buf);
        let z = std::ffi::CString::new(path).unwrap();
        let z: &'static std::ffi::CStr = Box::leak(z.into_boxed_c_str());
        let out = room.path(dir.as_bytes(), ZStr::new(z), false).unwrap();
        String::from_utf8(out.bytes().to_vec()).unwrap()
    }

    #[test]
    fn paths_are_cleaned_but_dot_dot_is_kept() {
        for (path, want) in [
            ("/", "/"),
            ("//", "/"),
            ("/.", "/"),
            ("/./", "/"),
            ("/proc/", "/proc"),
            ("//proc//self/", "/proc/self"),
            ("/a/./b/.", "/a/b"),
            ("a/", "a"),
            ("./a", "a"),
            (".", "."),
            ("./", "."),
            ("", "."),
            ("a/..", "a/.."),
            ("../a/../b/", "../a/../b"),
            ("/a/b", "/a/b"),
        ] {
            assert_eq!(cleaned("", path), want, "{path:?}");
        }
    }

    #[test]
    fn relative_paths_join_the_directory_absolute_ones_do_not() {
        assert_eq!(cleaned("/etc/nsinit", "box"), "/etc/nsinit/box");
        assert_eq!(cleaned("/etc/nsinit", "./box/"), "/etc/nsinit/box");
        assert_eq!(cleaned("/etc/nsinit", "../box"), "/etc/nsinit/../box");
        assert_eq!(cleaned("/etc/nsinit", "."), "/etc/nsinit");
        assert_eq!(cleaned("/etc/nsinit", "/srv/box"), "/srv/box");
        assert_eq!(cleaned("/", "box"), "/box");
        assert_eq!(cleaned("conf", "box"), "conf/box");
        assert_eq!(cleaned("", "box"), "box");
    }

    #[test]
    fn unchanged_paths_take_no_room_and_a_full_room_is_an_error() {
        let mut buf = [0u8; 8];
        let mut room = PathRoom::new(&mut buf);
        let clean = ZStr::new(c"/a/long/clean/path");
        assert_eq!(room.path(b"", clean, false).unwrap().as_ptr(), clean.as_ptr(), "used in place");
        assert_eq!(room.path(b"", ZStr::new(c"/ab/"), false).unwrap().bytes(), b"/ab");
        assert_eq!(room.path(b"", ZStr::new(c"x/"), false).unwrap().bytes(), b"x");
        assert!(room.path(b"", ZStr::new(c"/abc/"), false).is_err(), "4 bytes left, 5 needed");
        let mut buf = [0u8; 64];
        let mut room = PathRoom::new(&mut buf);
        assert_eq!(room.path(b"/d", ZStr::new(c"a/:/b//c:.:"), true).unwrap().bytes(), b"/d/a:/b/c:/d:/d");
        assert_eq!(room.path(b"", ZStr::new(c"a:/b"), true).unwrap().bytes(), b"a:/b");
        assert_eq!(room.path(b"", ZStr::new(c"a/:/b/"), true).unwrap().bytes(), b"a:/b");
        assert_eq!(room.path(b"", ZStr::new(c"a:/b"), false).unwrap().bytes(), b"a:/b", "one path with a colon");
    }

    #[test]
    fn directories_of_files() {
        assert_eq!(dir_of(b"conf/box.conf"), b"conf");
        assert_eq!(dir_of(b"/etc/nsinit/web.conf"), b"/etc/nsinit");
        assert_eq!(dir_of(b"/box.conf"), b"/");
        assert_eq!(dir_of(b"box.conf"), b"");
        for (path, dots) in [(".", true), ("..", true), ("a/..", true), ("/a/.", true), ("a", false), ("a..", false), ("/", false)] {
            assert_eq!(ends_in_dots(path.as_bytes()), dots, "{path}");
        }
    }
}
