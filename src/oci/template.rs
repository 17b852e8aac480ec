//! `nsinit spec [--rootless] [--bundle DIR]`: a starting `config.json`,
//! the container `runc spec` describes (`sh` on a terminal, the root
//! `rootfs`, read-only), written in the spec's own words.

use crate::error::Error;
use crate::sys::{self, ZStr};
use crate::text::{self, ZBuf};
use linux_raw_sys::general::{O_CLOEXEC, O_CREAT, O_EXCL, O_WRONLY};

/// The text, packed by build.rs from src/oci/template_text.rs.
const PACKED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/template.lz"));
/// Where each of its parts (`PARTS`) ends.
const ENDS: [usize; PARTS.len()] = include!(concat!(env!("OUT_DIR"), "/template.ends"));
const LEN: usize = ENDS[PARTS.len() - 1];

include!("template_text.rs");

/// Writes `DIR/config.json` (`config.json` without `bundle`), refusing to
/// replace one. `rootless`: for a caller without root, mapped to 0 in a
/// user namespace, as `runc spec --rootless`.
#[inline(never)]
pub fn write_spec(bundle: Option<ZStr<'_>>, rootless: bool) -> Result<i32, Error> {
    let path = match bundle {
        Some(dir) => ZBuf::<{ crate::config::PATH_MAX }>::from_parts(&[dir.bytes(), b"/config.json"]),
        None => ZBuf::from_parts(&[b"config.json"]),
    };
    let mut path = path.map_err(|_| Error::new(b"spec: --bundle: path too long"))?;
    let path = path.zstr();
    let fd = sys::open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644).map_err(|e| match e {
        sys::Errno::EEXIST => Error::new(b"spec: ").push(path.bytes()).push(b" exists already; nsinit spec does not replace it"),
        e => Error::sys("open", path.bytes(), e).push(b" (spec)"),
    })?;
    let (mut uid, mut gid) = (ZBuf::<12>::new(), ZBuf::<12>::new());
    let _ = uid.push_num(u64::from(sys::getuid()), 10);
    let _ = gid.push_num(u64::from(sys::getgid()), 10);
    let mut text = [0; LEN];
    text::unpack(PACKED, &mut text);
    let order: &[usize] = if rootless { &ROOTLESS } else { &ROOT };
    let mut failed = None;
    for &i in order {
        let mut rest = match i {
            UID => uid.bytes(),
            GID => gid.bytes(),
            _ => part(&text, i),
        };
        while !rest.is_empty() && failed.is_none() {
            match sys::write(fd, rest) {
                Ok(0) => failed = Some(sys::Errno::EIO),
                Ok(n) => rest = &rest[n.min(rest.len())..],
                Err(sys::Errno::EINTR) => {}
                Err(e) => failed = Some(e),
            }
        }
    }
    let _ = sys::close(fd);
    match failed {
        Some(e) => Err(Error::sys("write", path.bytes(), e).push(b" (spec)")),
        None => Ok(0),
    }
}

/// Part `i` of the unpacked `text`.
fn part(text: &[u8; LEN], i: usize) -> &[u8] {
    let start = if i == 0 { 0 } else { ENDS.get(i - 1).copied().unwrap_or(LEN) };
    text.get(start..ENDS.get(i).copied().unwrap_or(0)).unwrap_or_default()
}

#[cfg(test)]
#[test]
fn unpacks_to_the_parts() {
    let mut text = [0; LEN];
    assert_eq!(text::unpack(PACKED, &mut text), LEN);
    for (i, want) in PARTS.iter().enumerate() {
        assert_eq!(part(&text, i), want.as_bytes(), "part {i}");
    }
    assert!(PACKED.len() < LEN / 2, "{} of {LEN}", PACKED.len());
}

#[cfg(test)]
pub fn root_text() -> String {
    ROOT.iter().map(|&i| PARTS[i]).collect()
}

#[cfg(test)]
pub fn rootless_text(uid: u32, gid: u32) -> String {
    [HEAD, DEV, SYS, ROOTLESS_LINUX, &uid.to_string(), MIDDLE_ROOTLESS, &gid.to_string(), END_ROOTLESS, TAIL].concat()
}
