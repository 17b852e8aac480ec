//! `--user` names: the container's `/etc/passwd` and `/etc/group`, read as
//! runc reads them: the first entry that matches wins. Pure: the files come
//! in through a reader, so that the lookup is unit-tested on the host.

use crate::config::{Id, MAX_GROUPS, PATH_MAX, User, parse_id};
use crate::error::Error;
use crate::text::ZBuf;
use core::ffi::CStr;
use heapless::Vec;

/// Largest `/etc/passwd`, and largest `/etc/group`, taken: 1 MiB each,
/// some ten thousand users; a larger one is an error, never cut short.
pub const USER_FILE_MAX: usize = 1 << 20;
/// Room for `HOME=` and a home directory.
pub const HOME_MAX: usize = 5 + PATH_MAX;

/// The container's user database, as runc reads it.
pub const PASSWD: &CStr = c"/etc/passwd";
/// The container's group database.
pub const GROUP: &CStr = c"/etc/group";

/// Reads the container's file `path` into the buffer given, ending it with
/// a newline, and gives its length: 0 when there is no such file.
pub type Reader<'r> = dyn FnMut(&'static CStr, &mut [u8]) -> Result<usize, Error> + 'r;

/// `nsinit: --user SPEC: `, the start of the errors about `--user SPEC`.
fn error(spec: &[u8]) -> Error {
    Error::new(b"--user ").push(spec).push(b": ")
}

/// Resolves `--user` (`user`, as given in `spec`) as runc and Docker do,
/// into `(uid, gid)`. The user: a name is looked up in `/etc/passwd`, and
/// must be there; a number is the uid, and when `/etc/passwd` has an entry
/// for it, that entry gives the rest. The gid: GROUP when given (a name
/// looked up in `/etc/group`, a number as it is), else the entry's, else
/// 0, as in runc and Docker. `groups` gets the supplementary groups: with
/// no GROUP given, those `/etc/group` lists the entry's name in; then
/// `extra` (`--groups`). `home` gets `HOME=` and the entry's home
/// directory (`/` without an entry, or when it is empty). The files are
/// read with `read` into `buf`: `/etc/passwd` into its first half,
/// `/etc/group` into the second. A line that matches but has no valid
/// number where an id should be, or a home longer than a path can be, is
/// an error naming the file and the line.
#[inline(never)]
#[cold]
pub fn resolve(
    user: &User<'_>,
    extra: &[u32],
    read: &mut Reader<'_>,
    buf: &mut [u8; 2 * (USER_FILE_MAX + 1)],
    home: &mut ZBuf<HOME_MAX>,
    groups: &mut Vec<u32, MAX_GROUPS>,
) -> Result<(u32, u32), Error> {
    let spec = user.spec;
    let (passwd, group) = buf.split_at_mut(USER_FILE_MAX + 1);
    // Without the feature, no file is read: every uid is one without an entry.
    let n = if cfg!(feature = "users") { read(PASSWD, passwd)? } else { 0 };
    home.truncate(0);
    let _ = home.push(b"HOME=");
    let (mut number, mut name, mut ids) = (0, &b""[..], None);
    for l in passwd[..n].split(|&c| c == b'\n').filter(|_| n > 0) {
        number += 1;
        let uid = field(l, 2).and_then(parse_id);
        let found = match user.user {
            Id::Number(n) => uid == Some(n),
            Id::Name(want) => field(l, 0) == Some(want),
        };
        if found {
            let dir = field(l, 5).filter(|d| !d.is_empty()).unwrap_or(b"/");
            ids = uid.zip(field(l, 3).and_then(parse_id)).filter(|_| home.push(dir).is_ok());
            if ids.is_none() {
                return Err(bad_entry(spec, PASSWD, number));
            }
            name = field(l, 0).unwrap_or_default();
            break;
        }
    }
    let (uid, mut gid) = match (ids, user.user) {
        (Some(ids), _) => ids,
        (None, Id::Number(uid)) => {
            let _ = home.push(b"/");
            (uid, 0)
        }
        (None, Id::Name(want)) => return Err(error(spec).push(b"no user '").push(want).push(b"' in /etc/passwd")),
    };
    groups.clear();
    let look = match user.group {
        Some(Id::Number(n)) => {
            gid = n;
            false
        }
        Some(Id::Name(_)) => true,
        // The entry's groups, when it has a name to be listed by.
        None => !name.is_empty(),
    };
    let n = if look && cfg!(feature = "users") { read(GROUP, group)? } else { 0 };
    let mut named = false;
    number = 0;
    for l in group[..n].split(|&c| c == b'\n').filter(|_| n > 0) {
        number += 1;
        let listed = match user.group {
            Some(Id::Name(want)) => field(l, 0) == Some(want),
            _ => field(l, 3).is_some_and(|members| members.split(|&c| c == b',').any(|m| m == name)),
        };
        if listed {
            let g = field(l, 2).and_then(parse_id).ok_or_else(|| bad_entry(spec, GROUP, number))?;
            if user.group.is_some() {
                (gid, named) = (g, true);
                break;
            }
            groups.push(g).map_err(|_| error(spec).push(b"more than 64 groups in /etc/group"))?;
        }
    }
    if let (Some(Id::Name(want)), false) = (user.group, named) {
        return Err(error(spec).push(b"no group '").push(want).push(b"' in /etc/group"));
    }
    groups.extend_from_slice(extra).map_err(|_| error(spec).push(b"more than 64 groups with --groups"))?;
    Ok((uid, gid))
}

/// Field `i` of a `:`-separated line.
fn field(line: &[u8], i: usize) -> Option<&[u8]> {
    line.split(|&c| c == b':').nth(i)
}

/// `nsinit: --user SPEC: FILE:LINE: not a valid entry`.
fn bad_entry(spec: &[u8], path: &CStr, number: u64) -> Error {
    error(spec).push(path.to_bytes()).push(b":").push_u64(number).push(b": not a valid entry")
}

#[cfg(test)]
mod tests {
    use super::*;

    type Resolved = Result<(u32, u32, std::vec::Vec<u32>, String), String>;

    /// Resolves `spec` (`USER[:GROUP]`, and ` --groups G,...` for `extra`)
    /// against the files given (`None`: no such file), read
    /// as `read_open_file` gives them; also which files were read.
    fn look(spec: &str, passwd: Option<&str>, group: Option<&str>) -> (Resolved, std::vec::Vec<String>) {
        let mut opened = vec![];
        let mut read = |path: &'static CStr, buf: &mut [u8]| -> Result<usize, Error> {
            opened.push(path.to_str().unwrap().to_string());
            let text = if path == PASSWD { passwd } else { group };
            let mut text = text.unwrap_or_default().to_string();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            assert!(text.len() < buf.len(), "the test's file fits");
            buf[..text.len()].copy_from_slice(text.as_bytes());
            Ok(text.len())
        };
        let mut buf = vec![0u8; 2 * (USER_FILE_MAX + 1)];
        let buf: &mut [u8; 2 * (USER_FILE_MAX + 1)] = buf.as_mut_slice().try_into().unwrap();
        let mut home = ZBuf::new();
        let mut groups = Vec::new();
        let (spec, extra) = spec.split_once(" --groups ").unwrap_or((spec, ""));
        let extra: std::vec::Vec<u32> = extra.split(',').filter(|g| !g.is_empty()).map(|g| g.parse().unwrap()).collect();
        let user = crate::config::parse_user(spec.as_bytes()).expect("a valid --user");
        let r = resolve(&user, &extra, &mut read, buf, &mut home, &mut groups)
            .map(|(uid, gid)| (uid, gid, groups.to_vec(), String::from_utf8(home.bytes().to_vec()).unwrap()))
            .map_err(|e| e.text());
        (r, opened)
    }

    const PASSWD_TEXT: &str = "root:x:0:0:root:/root:/bin/sh\n\
        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
        alice:x:1000:1000:Alice:/home/alice:/bin/sh\n\
        alice:x:1001:1001:second entry, never used by name:/nowhere:/bin/sh\n\
        nohome:x:1002:1002:::\n\
        bad:x:12x:1::/:\n";
    const GROUP_TEXT: &str = "root:x:0:\n\
        wheel:x:10:root,alice\n\
        staff:x:50:bob,alice\n\
        alice:x:1000:\n\
        audio:x:29:alicex,xalice\n\
        video:x:44:bob";

    fn resolved(spec: &str) -> Resolved {
        look(spec, Some(PASSWD_TEXT), Some(GROUP_TEXT)).0
    }

    fn ok(uid: u32, gid: u32, groups: &[u32], home: &str) -> Resolved {
        Ok((uid, gid, groups.to_vec(), format!("HOME={home}")))
    }

    #[test]
    fn a_name_gives_its_entry_and_the_groups_it_is_listed_in() {
        assert_eq!(resolved("alice"), ok(1000, 1000, &[10, 50], "/home/alice"), "the first entry wins");
        assert_eq!(resolved("root"), ok(0, 0, &[10], "/root"));
        assert_eq!(resolved("daemon"), ok(1, 1, &[], "/usr/sbin"));
        assert_eq!(resolved("nohome"), ok(1002, 1002, &[], "/"), "an empty home is /");
    }

    #[test]
    fn a_number_with_an_entry_is_that_entry() {
        assert_eq!(resolved("1000"), ok(1000, 1000, &[10, 50], "/home/alice"));
        // Found by its uid, the entry's name is alice's: so are its groups, as in runc.
        assert_eq!(resolved("1001"), ok(1001, 1001, &[10, 50], "/nowhere"));
        assert_eq!(resolved("0"), ok(0, 0, &[10], "/root"));
    }

    #[test]
    fn a_number_without_an_entry_gets_gid_0_and_home_slash_as_in_runc() {
        assert_eq!(resolved("4242"), ok(4242, 0, &[], "/"));
        assert_eq!(resolved("4242:4242"), ok(4242, 4242, &[], "/"));
        let (r, opened) = look("4242", None, None);
        assert_eq!(r, ok(4242, 0, &[], "/"), "no files at all");
        assert_eq!(opened, ["/etc/passwd"], "no entry, no name: /etc/group is not needed");
    }

    #[test]
    fn a_group_given_replaces_the_gid_and_the_listed_groups() {
        assert_eq!(resolved("alice:staff"), ok(1000, 50, &[], "/home/alice"));
        assert_eq!(resolved("alice:7"), ok(1000, 7, &[], "/home/alice"));
        assert_eq!(resolved("4242:video"), ok(4242, 44, &[], "/"));
        assert_eq!(resolved("0:alice"), ok(0, 1000, &[], "/root"));
        let (_, opened) = look("alice:7", Some(PASSWD_TEXT), Some(GROUP_TEXT));
        assert_eq!(opened, ["/etc/passwd"], "a numeric group needs no lookup");
    }

    #[test]
    fn unknown_names_are_errors_naming_the_file_and_the_name() {
        assert_eq!(resolved("bob"), Err("nsinit: --user bob: no user 'bob' in /etc/passwd".into()));
        assert_eq!(resolved("alice:nogroup"), Err("nsinit: --user alice:nogroup: no group 'nogroup' in /etc/group".into()));
        assert_eq!(look("alice", None, None).0, Err("nsinit: --user alice: no user 'alice' in /etc/passwd".into()));
        assert_eq!(
            look("alice:staff", Some(PASSWD_TEXT), None).0,
            Err("nsinit: --user alice:staff: no group 'staff' in /etc/group".into())
        );
        assert_eq!(look("alice", Some(PASSWD_TEXT), None).0, ok(1000, 1000, &[], "/home/alice"), "no /etc/group: no more groups");
    }

    #[test]
    fn broken_entries_are_errors_when_they_match_and_ignored_otherwise() {
        assert_eq!(resolved("bad"), Err("nsinit: --user bad: /etc/passwd:6: not a valid entry".into()));
        let passwd = "x:x:1:1::/:\ny:x:4294967295:1::/:\nz:x:-1:1::/:\nshort\nw:x:9:+9::/:\n";
        for (spec, line) in [("y", 2), ("z", 3), ("short", 4), ("w", 5)] {
            assert_eq!(look(spec, Some(passwd), None).0, Err(format!("nsinit: --user {spec}: /etc/passwd:{line}: not a valid entry")));
        }
        assert_eq!(look("1", Some(passwd), None).0, ok(1, 1, &[], "/"));
        let group = "g:x::x\nh:x:2:x\n";
        assert_eq!(look("x", Some(passwd), Some(group)).0, Err("nsinit: --user x: /etc/group:1: not a valid entry".into()));
        assert_eq!(look("1:g", Some(passwd), Some(group)).0, Err("nsinit: --user 1:g: /etc/group:1: not a valid entry".into()));
        assert_eq!(look("1:h", Some(passwd), Some(group)).0, ok(1, 2, &[], "/"));
    }

    #[test]
    fn odd_files_give_the_right_answer() {
        // No newline at the end (the reader adds one), blank lines, comments.
        assert_eq!(look("u", Some("u:x:5:6::/h:"), Some("g:x:7:u")).0, ok(5, 6, &[7], "/h"));
        assert_eq!(look("u", Some("\n\n#u:x:9:9::/:\nu:x:5:6::/h:"), Some("\n")).0, ok(5, 6, &[], "/h"));
        assert_eq!(look("7", Some(""), Some("")).0, ok(7, 0, &[], "/"));
        // A long line before the entry, and one in it.
        let long = format!("{}:x:1:1::/:\nu:x:5:6:{}:/h:\n", "a".repeat(100_000), "g".repeat(100_000));
        assert_eq!(look("u", Some(&long), None).0, ok(5, 6, &[], "/h"));
        // A large file, the entry at its end.
        let large = format!("{}u:x:5:6::/h:\n", "someone:x:1:1::/:/bin/sh\n".repeat(40_000));
        assert!(large.len() < USER_FILE_MAX && large.len() > 900_000);
        assert_eq!(look("u", Some(&large), None).0, ok(5, 6, &[], "/h"));
        // Homes: the longest path taken, and one longer.
        let home = format!("/{}", "h".repeat(PATH_MAX));
        assert_eq!(look("1", Some(&format!("u:x:1:1::{home}:\n")), None).0, Err("nsinit: --user 1: /etc/passwd:1: not a valid entry".into()));
        assert_eq!(look("1", Some(&format!("u:x:1:1::{}:\n", &home[..4095])), None).0, ok(1, 1, &[], &home[..4095]));
        // A member list with spaces or an empty member is not the user.
        assert_eq!(look("u", Some("u:x:5:6::/:\n"), Some("g:x:7: u\nh:x:8:,\ni:x:9:x,,u\n")).0, ok(5, 6, &[9], "/"));
        // An entry with an empty name is in no member list.
        assert_eq!(look("5", Some(":x:5:6::/:\n"), Some("g:x:7:\nh:x:8:,\n")).0, ok(5, 6, &[], "/"));
    }

    #[test]
    fn supplementary_groups_stop_at_their_capacity() {
        let groups: String = (0..65).map(|i| format!("g{i}:x:{}:u\n", 100 + i)).collect();
        let passwd = Some("u:x:5:6::/:\n");
        assert_eq!(look("u", passwd, Some(&groups)).0, Err("nsinit: --user u: more than 64 groups in /etc/group".into()));
        let fits: String = groups.lines().take(64).map(|l| format!("{l}\n")).collect();
        assert_eq!(look("u", passwd, Some(&fits)).0, ok(5, 6, &(100..164).collect::<std::vec::Vec<_>>(), "/"));
    }

    #[test]
    fn groups_given_come_after_those_of_the_files() {
        assert_eq!(resolved("alice --groups 5,6"), ok(1000, 1000, &[10, 50, 5, 6], "/home/alice"));
        assert_eq!(resolved("alice:staff --groups 5"), ok(1000, 50, &[5], "/home/alice"));
        assert_eq!(resolved("4242 --groups 5"), ok(4242, 0, &[5], "/"));
        let groups: String = (0..60).map(|i| format!("g{i}:x:{}:u\n", 100 + i)).collect();
        let passwd = Some("u:x:5:6::/:\n");
        assert_eq!(look("u --groups 1,2,3,4", passwd, Some(&groups)).0.map(|r| r.2.len()), Ok(64));
        assert_eq!(
            look("u --groups 1,2,3,4,5", passwd, Some(&groups)).0,
            Err("nsinit: --user u: more than 64 groups with --groups".into())
        );
    }
}
