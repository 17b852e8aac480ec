//! The compact config file: one option a line in the command line's words
//! without the leading `--`, `#` comments, and the payload after a line
//! holding only `--`:
//!
//! ```text
//! # a web server
//! rootfs /srv/web
//! hostname web
//! ro-bind /srv/site /var/www
//! setenv GREETING "hello world"
//! --
//! /bin/httpd -f
//! ```
//!
//! Words are split on blanks; double quotes keep blanks and `#` inside a word,
//! with `\"` and `\\` as escapes. The file is tokenised in place: each word
//! is NUL-terminated inside the buffer, so nothing is copied.

use super::options::{At, Builder, lookup};
use super::{MAX_FILE_ARGS, Payload};
use crate::error::Error;
use crate::sys::ZStr;
use heapless::Vec;

/// Applies the file's options to `builder`. `text` must end with a newline.
// Not inlined: its payload buffer (2 KiB) would sit in the frame of every
// parse, config file or not.
#[inline(never)]
#[cold]
pub fn apply<'a>(builder: &mut Builder<'_, 'a>, path: ZStr<'a>, text: &'a mut [u8]) -> Result<(), Error> {
    let mut words = Words { rest: text, line: 1, at_line_end: false };
    let mut payload: Option<Vec<Option<ZStr<'a>>, { MAX_FILE_ARGS + 1 }>> = None;
    loop {
        let line = words.line;
        let at = At::File(path, line);
        let Some(first) = words.next(path)? else { break };
        let Some(name) = first else { continue };
        if let Some(payload) = payload.as_mut() {
            let mut word = Some(name);
            while let Some(w) = word {
                if payload.len() == MAX_FILE_ARGS || payload.push(Some(w)).is_err() {
                    return Err(too_many_words(at));
                }
                word = words.rest_of_line(path)?;
            }
            continue;
        }
        if name.bytes() == b"--" {
            if words.rest_of_line(path)?.is_some() {
                return Err(at.plain().push(b"expected the payload on the lines after '--'"));
            }
            payload = Some(Vec::new());
            continue;
        }
        let (opt, given) = lookup(name.bytes()).filter(|(o, _)| !o.cli_only()).ok_or_else(|| unknown(at, name))?;
        let mut args: Vec<ZStr<'a>, 2> = Vec::new();
        if let Some(at) = given {
            let _ = args.push(name.skip(at));
        }
        // `unshare-net x`: the option's word is in its name.
        let wrong = || if given.is_some() { at.error(name.bytes()).push(b"takes no argument") } else { at.wrong_arity(opt) };
        while let Some(word) = words.rest_of_line(path)? {
            args.push(word).map_err(|_| wrong())?;
        }
        if args.len() != opt.arity() {
            return Err(wrong());
        }
        builder.apply(opt, &args, at)?;
    }
    if let Some(mut words) = payload.filter(|w| !w.is_empty()) {
        // The limit on words above kept room for the terminator.
        let _ = words.push(None);
        builder.c.process.args = Payload::Words(words);
    }
    Ok(())
}

/// An unknown option; one written as on the command line gets a hint.
fn unknown(at: At<'_>, name: ZStr<'_>) -> Error {
    let e = at.plain().push(b"unknown option '").push(name.bytes()).push(b"'");
    if name.bytes().starts_with(b"--") { e.push(b" (a config file names options without the leading '--')") } else { e }
}

fn too_many_words(at: At<'_>) -> Error {
    at.plain().push(b"too many words in the payload (at most 256)")
}

/// The file's words, one at a time, NUL-terminated in place.
struct Words<'a> {
    rest: &'a mut [u8],
    line: u32,
    /// The last word's terminator overwrote a newline.
    at_line_end: bool,
}

impl<'a> Words<'a> {
    /// The next word of the current line, or `None` at its end (the line
    /// then counts as read).
    fn rest_of_line(&mut self, path: ZStr<'a>) -> Result<Option<ZStr<'a>>, Error> {
        match self.next(path)? {
            Some(Some(word)) => Ok(Some(word)),
            _ => Ok(None),
        }
    }

    /// `None` at the end of the text; `Some(None)` at the end of a line;
    /// `Some(Some(word))` otherwise.
    fn next(&mut self, path: ZStr<'a>) -> Result<Option<Option<ZStr<'a>>>, Error> {
        if self.at_line_end {
            self.at_line_end = false;
            self.line += 1;
            return Ok(Some(None));
        }
        let mut start = 0;
        let mut in_comment = false;
        loop {
            match self.rest.get(start) {
                None => return Ok(None),
                Some(b'\n') => {
                    self.rest = &mut core::mem::take(&mut self.rest)[start + 1..];
                    self.line += 1;
                    return Ok(Some(None));
                }
                Some(_) if in_comment => {}
                Some(b' ' | b'\t' | b'\r') => {}
                Some(b'#') => in_comment = true,
                Some(_) => break,
            }
            start += 1;
        }
        let text = &mut core::mem::take(&mut self.rest)[start..];
        let error = || At::File(path, self.line).plain();
        // Compact the word onto itself: `write` never passes `read`.
        let (mut read, mut write, mut quoted) = (0, 0, false);
        let end = loop {
            let Some(&c) = text.get(read) else {
                return Err(error().push(b"the last line has no newline"));
            };
            match c {
                b'\n' if quoted => return Err(error().push(b"unterminated quote")),
                b' ' | b'\t' | b'\r' | b'\n' if !quoted => break read,
                b'"' => quoted = !quoted,
                b'\\' if quoted && matches!(text.get(read + 1), Some(b'"' | b'\\')) => {
                    read += 1;
                    text[write] = text[read];
                    write += 1;
                }
                _ => {
                    text[write] = c;
                    write += 1;
                }
            }
            read += 1;
        };
        self.at_line_end = text[end] == b'\n';
        text[write] = 0;
        let (word, rest) = text.split_at_mut(end + 1);
        self.rest = rest;
        Ok(Some(ZStr::from_bytes_until_nul(word)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_argv as leak_argv;
    use super::super::{Action, Container, EnvOp, MountKind, parse};
    use super::*;

    fn with_file(text: &str, cli: &[&str]) -> Result<Container<'static>, String> {
        with_file_at("box.conf", text, cli)
    }

    /// The container `--config FILE CLI...` describes, FILE holding `text`.
    fn with_file_at(file: &'static str, text: &str, cli: &[&str]) -> Result<Container<'static>, String> {
        let mut c = Container::new();
        let mut words = vec!["--config", file];
        words.extend_from_slice(cli);
        let buf: &'static mut [u8] = Box::leak(text.as_bytes().to_vec().into_boxed_slice());
        let mut buf = Some(buf);
        let mut load = |path: ZStr<'static>| {
            assert_eq!(path.bytes(), file.as_bytes());
            Ok(buf.take().expect("loaded once"))
        };
        match parse(leak_argv(&words), &mut load, super::super::test_room(), &mut c) {
            Ok(Action::Run(_)) => Ok(c),
            Ok(_) => Err("help".into()),
            Err(e) => Err(e.text()),
        }
    }

    fn argv_of(c: &Container<'_>) -> std::vec::Vec<String> {
        c.process.args.argv().iter().flatten().map(|z| String::from_utf8_lossy(z.bytes()).into_owned()).collect()
    }

    #[test]
    fn a_full_file() {
        let c = with_file(
            "# a box\nrootfs /srv/box\n\nhostname  web   # trailing comment\n\tbind /a /b\n\
             setenv GREETING \"hello \\\"world\\\" # not a comment\"\nsize 4k\ntmpfs /tmp\n--\n/bin/sh -c\n \"echo hi\" # done\n",
            &[],
        )
        .unwrap();
        assert_eq!(c.root.map(|r| r.bytes()), Some(&b"/srv/box"[..]));
        assert_eq!(c.hostname.map(|r| r.bytes()), Some(&b"web"[..]));
        assert_eq!(c.process.env[0], EnvOp::Set(ZStr::new(c"GREETING"), ZStr::new(c"hello \"world\" # not a comment")));
        let user: std::vec::Vec<_> = c.mounts.iter().filter(|m| matches!(m.kind, MountKind::Bind | MountKind::Tmpfs)).collect();
        assert_eq!(user[0].source.map(|s| s.bytes()), Some(&b"/a"[..]));
        assert_eq!(user[1].data.map(|d| d.bytes()), Some(&b"size=4k"[..]));
        assert_eq!(argv_of(&c), ["/bin/sh", "-c", "echo hi"]);
        assert_eq!(c.process.args.argv().last(), Some(&None));
    }

    #[test]
    fn the_command_line_applies_after_the_file() {
        let c = with_file("hostname a\nbare\n--\nfrom-file\n", &["--hostname", "b", "from-cli", "x"]).unwrap();
        assert_eq!(c.hostname.map(|r| r.bytes()), Some(&b"b"[..]));
        assert_eq!(argv_of(&c), ["from-cli", "x"]);
        let c = with_file("hostname a\n--\nfrom-file\n", &["--hostname", "b"]).unwrap();
        assert_eq!(argv_of(&c), ["from-file"]);
        // --config may stand anywhere; the options before it still win.
        let mut load = |_| Ok(&mut *Box::leak(b"hostname a\n".to_vec().into_boxed_slice()));
        let mut c = Container::new();
        let Ok(Action::Run(_)) = parse(leak_argv(&["--hostname", "b", "--config", "f", "x"]), &mut load, super::super::test_room(), &mut c) else {
            panic!()
        };
        assert_eq!(c.hostname.map(|r| r.bytes()), Some(&b"b"[..]));
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases = [
            ("rootfs /r\nfrob 1\n", "nsinit: box.conf:2: unknown option 'frob'"),
            ("\n\nbind /a\n", "nsinit: box.conf:3: bind: expected SRC DST"),
            ("bind /a /b /c\n", "nsinit: box.conf:1: bind: expected SRC DST"),
            ("bare yes\n", "nsinit: box.conf:1: bare: takes no argument"),
            ("config other\n", "nsinit: box.conf:1: unknown option 'config'"),
            ("timings\n", "nsinit: box.conf:1: unknown option 'timings'"),
            ("# c\nunshare foo\n", "nsinit: box.conf:2: unshare: expected a comma list of uts,pid,mnt,ipc,net,cgroup,time,user or all; got 'foo'"),
            ("hostname \"abc\n", "nsinit: box.conf:1: unterminated quote"),
            ("hostname abc", "nsinit: box.conf:1: the last line has no newline"),
            ("-- x\n", "nsinit: box.conf:1: expected the payload on the lines after '--'"),
            ("tmpfs rel\n--\nx\n", "nsinit: box.conf:1: tmpfs: the destination must be an absolute path in the container; got 'rel'"),
        ];
        for (text, want) in cases {
            assert_eq!(with_file(text, &["x"]).unwrap_err(), want, "for {text:?}");
        }
        let mut big = String::from("--\n");
        for _ in 0..257 {
            big.push_str("w ");
        }
        big.push('\n');
        assert_eq!(with_file(&big, &[]).unwrap_err(), "nsinit: box.conf:2: too many words in the payload (at most 256)");
    }

    #[test]
    fn bubblewrap_words_work_and_a_leading_dash_dash_gets_a_hint() {
        use linux_raw_sys::general::CLONE_NEWPID;
        let c = with_file("unshare-pid\nunshare-net\nshare-net\nnew-session\ndie-with-parent\nas-pid-1\n--\nx\n", &[]).unwrap();
        assert_eq!(c.namespaces, CLONE_NEWPID);
        assert!(c.process.new_session && c.die_with_parent);
        let hint = "(a config file names options without the leading '--')";
        let cases = [
            ("--rootfs /r\n", format!("nsinit: box.conf:1: unknown option '--rootfs' {hint}")),
            ("# c\n--bare\n", format!("nsinit: box.conf:2: unknown option '--bare' {hint}")),
            ("--hostname=h\n", format!("nsinit: box.conf:1: unknown option '--hostname=h' {hint}")),
            ("--unshare-net\n", format!("nsinit: box.conf:1: unknown option '--unshare-net' {hint}")),
            ("frob\n", "nsinit: box.conf:1: unknown option 'frob'".to_string()),
            ("unshare-net x\n", "nsinit: box.conf:1: unshare-net: takes no argument".to_string()),
            ("unshare-net x y\n", "nsinit: box.conf:1: unshare-net: takes no argument".to_string()),
            ("unshare-usr\n", "nsinit: box.conf:1: unknown option 'unshare-usr'".to_string()),
        ];
        for (text, want) in cases {
            assert_eq!(with_file(text, &["x"]).unwrap_err(), want, "for {text:?}");
        }
    }

    #[test]
    fn relative_host_paths_are_relative_to_the_file() {
        use super::super::Seccomp;
        let bytes = |z: Option<ZStr<'_>>| z.map(|z| String::from_utf8_lossy(z.bytes()).into_owned());
        let c = with_file_at(
            "/etc/nsinit/web.conf",
            "rootfs box\nbind site /var/www/\nro-bind /abs //x/./\nseccomp ./prof\nchdir www\nmask /a/\n--\nx\n",
            &[],
        )
        .unwrap();
        assert_eq!(bytes(c.root).as_deref(), Some("/etc/nsinit/box"));
        let binds: std::vec::Vec<_> = c.mounts.iter().filter(|m| m.kind == MountKind::Bind).collect();
        assert_eq!((bytes(binds[0].source).as_deref(), bytes(Some(binds[0].destination)).as_deref()), (Some("/etc/nsinit/site"), Some("/var/www")));
        assert_eq!((bytes(binds[1].source).as_deref(), bytes(Some(binds[1].destination)).as_deref()), (Some("/abs"), Some("/x")));
        assert!(matches!(c.seccomp, Seccomp::Profile(p) if p.bytes() == b"/etc/nsinit/prof"));
        assert_eq!(bytes(c.process.cwd).as_deref(), Some("www"), "a path in the container: as written");
        assert_eq!(c.masked_paths.last().map(|p| p.bytes()), Some(&b"/a"[..]));
        // A relative file: its directory, relative to the working directory.
        let c = with_file_at("conf/box.conf", "overlay a/:/b:../c\noverlay-upper up/.\nseccomp default\n--\nx\n", &[]).unwrap();
        assert_eq!(bytes(c.overlay).as_deref(), Some("conf/a:/b:conf/../c"));
        assert_eq!(bytes(c.overlay_upper).as_deref(), Some("conf/up"));
        assert_eq!(c.seccomp, Seccomp::Default, "keywords stay keywords");
        let c = with_file_at("conf/box.conf", "overlay a\noverlay-upper tmpfs\n--\nx\n", &[]).unwrap();
        assert_eq!(c.overlay_upper, None);
        // The command line's own paths stay relative to the working directory.
        let c = with_file_at("conf/box.conf", "rootfs box\n--\nx\n", &["--bind", "src", "/dst"]).unwrap();
        assert_eq!(bytes(c.root).as_deref(), Some("conf/box"));
        assert_eq!(bytes(c.mounts.last().and_then(|m| m.source)).as_deref(), Some("src"));
        // A file beside it, in the working directory, in /.
        assert_eq!(bytes(with_file("rootfs ./box/\n--\nx\n", &[]).unwrap().root).as_deref(), Some("box"));
        assert_eq!(bytes(with_file_at("/box.conf", "rootfs box\n--\nx\n", &[]).unwrap().root).as_deref(), Some("/box"));
    }

    #[test]
    fn the_words_of_lines_stay_on_their_line() {
        // A word ending a line must not eat the line break.
        let c = with_file("hostname a\nchdir /w\n--\nx\n", &[]).unwrap();
        assert_eq!(c.process.cwd.map(|r| r.bytes()), Some(&b"/w"[..]));
        assert_eq!(c.hostname.map(|r| r.bytes()), Some(&b"a"[..]));
        let c = with_file("hostname a\r\n--\r\nx\r\n", &[]).unwrap();
        assert_eq!(argv_of(&c), ["x"]);
    }
}
