//! Rootless containers (issue 12, items 9 and 10): the full subordinate
//! range through `newuidmap` and `newgidmap`, what a caller may and may not
//! map, what the helpers get from nsinit, and `/sys` beside the host's
//! network namespace.
//!
//! The caller is a user the tests make up, never added to the host's
//! `/etc`: each command runs in a mount namespace of its own (`unshare
//! --mount`, private propagation) in which `/etc/passwd`, `/etc/subuid`
//! and `/etc/subgid` are binds of files written beside the test's rootfs,
//! and then drops to that user with `setpriv`. `newuidmap`, setuid root,
//! reads those files as it reads the real ones (it looks the caller's name
//! up in `/etc/passwd`, its ranges in `/etc/subuid`); the host's files are
//! never written, so there is nothing to restore whatever becomes of a
//! test, and the host's mount table is checked after every run as usual.
//!
//! Needs, besides root: `newuidmap` and `newgidmap` setuid root in
//! `/usr/bin` (Debian's `uidmap`), `/etc/subuid` and `/etc/subgid` to bind
//! over (Debian's `login` makes them), `unshare`, `mount` and `setpriv`
//! (util-linux), and a static `/bin/busybox` (`busybox-static`) for `ls -ln`.

mod harness;
use harness::*;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::process::Command;

/// The caller's subordinate ids, the first range `useradd` would give.
const SUB_START: u32 = 165536;
const SUB_COUNT: u32 = 65536;

/// Inside id 1000 is this host id under `--userns auto`: 1 is SUB_START.
const HOST_ID_OF_1000: u32 = SUB_START + 999;

/// Where the helpers are, as nsinit looks for them.
const NEWUIDMAP: &str = "/usr/bin/newuidmap";
const NEWGIDMAP: &str = "/usr/bin/newgidmap";

/// Fails, saying what to install, unless the helpers are there, setuid root.
fn require_helpers() {
    for helper in [NEWUIDMAP, NEWGIDMAP] {
        let meta = fs::metadata(helper).unwrap_or_else(|e| {
            panic!("tests/rootless.rs needs {helper} ({e}): apt-get install uidmap")
        });
        assert!(
            meta.uid() == 0 && meta.mode() & 0o4000 != 0,
            "tests/rootless.rs needs {helper} setuid root (mode {:o}, owner {}): apt-get install --reinstall uidmap",
            meta.mode(),
            meta.uid()
        );
    }
    for file in ["/etc/subuid", "/etc/subgid"] {
        assert!(
            fs::metadata(file).is_ok_and(|m| m.is_file()),
            "tests/rootless.rs binds its own {file} over the host's, which is missing: create it empty \
             (touch {file}; Debian's login package does)"
        );
    }
}

/// An unprivileged user known only to the commands the tests run: its
/// `/etc/passwd` line and its `/etc/subuid` and `/etc/subgid` files.
struct Caller {
    name: &'static str,
    uid: u32,
    gid: u32,
    passwd: PathBuf,
    subuid: PathBuf,
    subgid: PathBuf,
    /// A copy of setpriv, to run when /usr/bin is hidden.
    setpriv: PathBuf,
}

impl Caller {
    /// `name`, with the first uid and gid from `from` up that the host does
    /// not use, and with `SUB_START:SUB_COUNT` in both files when `ranges`.
    fn new(r: &Rootfs, name: &'static str, from: u32, ranges: bool) -> Caller {
        require_helpers();
        let host_passwd = fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
        let host_group = fs::read_to_string("/etc/group").expect("read /etc/group");
        let used = |text: &str, id: u32| text.lines().any(|l| l.split(':').nth(2) == Some(&id.to_string()));
        let id = (from..).find(|&id| !used(&host_passwd, id) && !used(&host_group, id)).expect("a free id");
        let mut passwd: String = host_passwd.lines().filter(|l| l.split(':').next() != Some(name)).map(|l| format!("{l}\n")).collect();
        passwd.push_str(&format!("{name}:x:{id}:{id}::/nonexistent:/usr/sbin/nologin\n"));
        let ranges = if ranges { format!("{name}:{SUB_START}:{SUB_COUNT}\n") } else { String::new() };
        let c = Caller {
            name,
            uid: id,
            gid: id,
            passwd: r.outside(&format!("{name}.passwd")),
            subuid: r.outside(&format!("{name}.subuid")),
            subgid: r.outside(&format!("{name}.subgid")),
            setpriv: r.outside("setpriv"),
        };
        write_file(&c.passwd, &passwd);
        write_file(&c.subuid, &ranges);
        write_file(&c.subgid, &ranges);
        if !c.setpriv.exists() {
            fs::copy("/usr/bin/setpriv", &c.setpriv).expect("copy setpriv");
        }
        c
    }

    /// Makes the rootfs the caller's, as an image it unpacked itself is.
    fn owns(&self, r: &Rootfs) {
        let status = Command::new("chown").args(["-R", &format!("{}:{}", self.uid, self.gid), r.root_str()]).status();
        assert!(status.expect("run chown").success(), "chown the rootfs");
    }

    /// `nsinit ARGS...` run as this caller, with the helpers as `helpers` says.
    fn nsinit(&self, r: &Rootfs, helpers: Helpers, args: &[&str]) -> Out {
        self.command(r, helpers, args, |_| {})
    }

    fn command(&self, r: &Rootfs, helpers: Helpers, args: &[&str], adjust: impl FnOnce(&mut Command)) -> Out {
        // In the new mount namespace, as root: the binds, then the user.
        const SCRIPT: &str = r#"set -e
mount --bind "$1" /etc/passwd
mount --bind "$2" /etc/subuid
mount --bind "$3" /etc/subgid
case "$4" in
hidden) mount -t tmpfs -o mode=755 tmpfs /usr/bin ;;
spy:*) mount --bind "$5" "${4#spy:}"; exec 5</etc/hostname 0<&- ;;
esac
setpriv=$6 uid=$7 gid=$8
shift 8
PATH=${CALLER_PATH:-$PATH} exec "$setpriv" --reuid "$uid" --regid "$gid" --clear-groups -- "$@"
"#;
        let mode = match helpers {
            Helpers::Real => "real".to_string(),
            Helpers::Hidden => "hidden".to_string(),
            Helpers::Spy(helper) => format!("spy:{helper}"),
        };
        let paths = [&self.passwd, &self.subuid, &self.subgid].map(|p| p.to_str().expect("UTF-8").to_string());
        let mut cmd = Command::new("unshare");
        cmd.args(["--mount", "--propagation", "private", "--", "sh", "-c", SCRIPT, "sh"]);
        cmd.args(&paths).args([mode.as_str(), r.host(IN_PROBE).to_str().expect("UTF-8"), self.setpriv.to_str().expect("UTF-8")]);
        cmd.args([self.uid.to_string(), self.gid.to_string()]).arg(NSINIT).args(args);
        adjust(&mut cmd);
        run(cmd, Some(r))
    }
}

/// The helpers as a command sees them.
#[derive(Clone, Copy)]
enum Helpers {
    /// As installed.
    Real,
    /// Gone: a tmpfs over /usr/bin.
    Hidden,
    /// The probe bound over this one, which tells what it got, and fails;
    /// nsinit starts with descriptor 5 open and its stdin closed.
    Spy(&'static str),
}

/// Whether an ELF64 file names a program interpreter (a PT_INTERP header):
/// a dynamically linked program.
fn has_interpreter(elf: &[u8]) -> bool {
    let word = |at: usize, len: usize| elf.get(at..at + len).map_or(0, |b| b.iter().rev().fold(0usize, |n, &x| n << 8 | usize::from(x)));
    let (phoff, phentsize, phnum) = (word(0x20, 8), word(0x36, 2), word(0x38, 2));
    (0..phnum).any(|i| word(phoff + i * phentsize, 4) == 3)
}

/// A map file's lines, blanks squeezed: `["0 2345 1", ...]`.
fn map_lines(text: &str) -> Vec<String> {
    text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect()
}

// ===========================================================================
// Item 9: the full subordinate range
// ===========================================================================

#[test]
fn userns_auto_maps_the_caller_as_root_and_its_subordinate_ids_after_it() {
    let r = Rootfs::new("userns-auto");
    let me = Caller::new(&r, "nsinit-rootless", 2345, true);
    let root = r.root_str();
    let cat = |file: &str| ok(me.nsinit(&r, Helpers::Real, &["--rootfs", root, "--userns", "auto", IN_PROBE, "cat", file]));
    let (u, g) = (me.uid, me.gid);
    assert_eq!(map_lines(&cat("/proc/self/uid_map")), [format!("0 {u} 1"), format!("1 {SUB_START} {SUB_COUNT}")]);
    assert_eq!(map_lines(&cat("/proc/self/gid_map")), [format!("0 {g} 1"), format!("1 {SUB_START} {SUB_COUNT}")]);
    // newgidmap leaves setgroups allowed for ids /etc/subgid gives.
    assert_eq!(cat("/proc/self/setgroups"), "allow\n");
    let id = |opts: &[&str]| ok(me.nsinit(&r, Helpers::Real, &[&["--rootfs", root, "--userns", "auto"], opts, &[IN_PROBE, "id"]].concat()));
    assert_eq!(id(&[]), "uid=0 gid=0 groups=\n");
    assert_eq!(id(&["--user", "1000:1000"]), "uid=1000 gid=1000 groups=\n");
    assert_eq!(id(&["--user", "1000:1000", "--groups", "1000,5"]), "uid=1000 gid=1000 groups=5,1000\n");
    assert_eq!(id(&["--user", "65536:65536"]), "uid=65536 gid=65536 groups=\n", "the last id of the range");
    // A uid with no passwd entry gets gid 0, as in Docker and runc.
    assert_eq!(id(&["--user", "65536"]), "uid=65536 gid=0 groups=\n");
    // From a config file too.
    let conf = r.outside("auto.conf");
    write_file(&conf, &format!("rootfs {root}\nuserns auto\nuser 42:42\n--\n{IN_PROBE} id\n"));
    assert_eq!(ok(me.nsinit(&r, Helpers::Real, &["--config", conf.to_str().unwrap()])), "uid=42 gid=42 groups=\n");
}

/// What apt-get does as root in the image: chown files to other users,
/// and drop to `_apt` with setgroups, setgid, setuid. With today's
/// one-id map both fail; with `--userns auto` both work, and the files
/// show the ids inside (`ls -ln`) and the subordinate ids outside.
#[test]
fn rootless_root_chowns_and_drops_to_other_ids_with_userns_auto() {
    let r = Rootfs::new("userns-auto-apt");
    let busybox = fs::read("/bin/busybox").expect("tests/rootless.rs runs `ls -ln` with /bin/busybox: apt-get install busybox-static");
    assert!(
        !has_interpreter(&busybox),
        "/bin/busybox is dynamically linked and cannot run in the test rootfs: apt-get install busybox-static"
    );
    fs::write(r.host("/bin/busybox"), &busybox).unwrap();
    fs::set_permissions(r.host("/bin/busybox"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir(r.host("/var")).unwrap();
    fs::create_dir(r.host("/var/cache")).unwrap();
    let me = Caller::new(&r, "nsinit-rootless", 2345, true);
    me.owns(&r);
    let root = r.root_str();
    let auto = |probe: &[&str]| me.nsinit(&r, Helpers::Real, &[&["--rootfs", root, "--userns", "auto", IN_PROBE], probe].concat());

    // Today's map, without --userns auto: one id, nothing to chown to or drop to.
    let single = |probe: &[&str]| me.nsinit(&r, Helpers::Real, &[&["--rootfs", root, IN_PROBE], probe].concat());
    assert_eq!(ok(single(&["chown", "/var/cache", "1000", "1000"])), "chown EINVAL\n");
    let out = single(&["become", "1000", "1000"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: setgroups: EPERM (Operation not permitted)\n"), "{out:?}");

    assert_eq!(ok(auto(&["chown", "/var/cache", "1000", "1000"])), "chown ok\n");
    assert_eq!(ok(auto(&["stat", "/var/cache"])), "uid=1000 gid=1000\n");
    assert_eq!(ok(auto(&["chown", "/var", "0", "65536"])), "chown ok\n");
    let host = fs::metadata(r.host("/var/cache")).unwrap();
    assert_eq!((host.uid(), host.gid()), (HOST_ID_OF_1000, HOST_ID_OF_1000), "on the host: the subordinate ids");
    let host = fs::metadata(r.host("/var")).unwrap();
    assert_eq!((host.uid(), host.gid()), (me.uid, SUB_START + SUB_COUNT - 1));
    assert_eq!(ok(auto(&["become", "1000", "1000"])), "uid=1000 gid=1000 groups=1000\n");
    // As apt's _apt: write where that user owns, nowhere else.
    let out = me.nsinit(&r, Helpers::Real, &["--rootfs", root, "--userns", "auto", "--user", "1000:1000", IN_PROBE, "write", "/var/cache/f", "x"]);
    assert_eq!(out.code(), 0, "{out:?}");
    assert_eq!(fs::metadata(r.host("/var/cache/f")).unwrap().uid(), HOST_ID_OF_1000);
    let out = me.nsinit(&r, Helpers::Real, &["--rootfs", root, "--userns", "auto", "--user", "1000:1000", IN_PROBE, "write", "/bin/f", "x"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /bin/f: EACCES (Permission denied)\n"), "{out:?}");

    // ls -ln inside: the ids inside.
    let ls = ok(me.nsinit(&r, Helpers::Real, &["--rootfs", root, "--userns", "auto", "/bin/busybox", "ls", "-ln", "/var"]));
    let cache = ls.lines().find(|l| l.ends_with(" cache")).unwrap_or_else(|| panic!("no cache in {ls}"));
    let fields: Vec<&str> = cache.split_whitespace().collect();
    assert_eq!((fields[2], fields[3]), ("1000", "1000"), "{ls}");
    let ls = ok(me.nsinit(&r, Helpers::Real, &["--rootfs", root, "--userns", "auto", "/bin/busybox", "ls", "-ln", "/"]));
    for (name, ids) in [("bin", ("0", "0")), ("var", ("0", "65536"))] {
        let line = ls.lines().find(|l| l.ends_with(&format!(" {name}"))).unwrap_or_else(|| panic!("no {name} in {ls}"));
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!((fields[2], fields[3]), ids, "{name} in {ls}");
    }
}

#[test]
fn explicit_maps_beyond_the_callers_own_ids_go_through_the_helpers() {
    let r = Rootfs::new("userns-explicit");
    let me = Caller::new(&r, "nsinit-rootless", 2345, true);
    let root = r.root_str();
    let run = |maps: &[&str], probe: &[&str]| ok(me.nsinit(&r, Helpers::Real, &[&["--rootfs", root], maps, &[IN_PROBE], probe].concat()));
    // The issue's repro: the whole range, the caller not mapped at all.
    let maps = ["--uid-map", "0:165536:65536", "--gid-map", "0:165536:65536"];
    assert_eq!(map_lines(&run(&maps, &["cat", "/proc/self/uid_map"])), ["0 165536 65536"]);
    assert_eq!(map_lines(&run(&maps, &["cat", "/proc/self/gid_map"])), ["0 165536 65536"]);
    assert_eq!(run(&maps, &["id"]), "uid=0 gid=0 groups=\n");
    // The caller's image is nobody's inside: its uid is not in the maps.
    assert_eq!(run(&maps, &["stat", "/bin/probe"]), "uid=65534 gid=65534\n");
    // Podman's layout by hand; the gid map left out is the caller's own
    // gid, which nsinit writes itself, denying setgroups as the kernel asks.
    let own = format!("0:{}:1", me.uid);
    let maps = ["--uid-map", own.as_str(), "--uid-map", "1:165536:65536"];
    assert_eq!(map_lines(&run(&maps, &["cat", "/proc/self/uid_map"])), [format!("0 {} 1", me.uid), "1 165536 65536".into()]);
    assert_eq!(map_lines(&run(&maps, &["cat", "/proc/self/gid_map"])), [format!("0 {} 1", me.gid)]);
    assert_eq!(run(&maps, &["cat", "/proc/self/setgroups"]), "deny\n");
    // Part of the range, anywhere inside.
    let maps = ["--uid-map", "0:170000:1", "--uid-map", "1000:170001:10", "--gid-map", "0:165536:1", "--user", "1005:0"];
    assert_eq!(run(&maps, &["id"]), "uid=1005 gid=0 groups=\n");
    // Only the caller's own ids, given explicitly: no helper needed, today's map.
    let gid_map = format!("0:{}:1", me.gid);
    let maps = ["--uid-map", own.as_str(), "--gid-map", gid_map.as_str()];
    assert_eq!(map_lines(&run(&maps, &["cat", "/proc/self/uid_map"])), [format!("0 {} 1", me.uid)]);
    assert_eq!(run(&maps, &["cat", "/proc/self/setgroups"]), "deny\n");
}

/// The caller maps only what /etc/subuid and /etc/subgid give it: nsinit
/// never writes a map for it, and newuidmap and newgidmap refuse the rest.
#[test]
fn the_caller_cannot_map_ids_its_subordinate_ranges_do_not_give_it() {
    let r = Rootfs::new("userns-refused");
    let me = Caller::new(&r, "nsinit-rootless", 2345, true);
    let root = r.root_str();
    let refused = |who: &Caller, maps: &[&str]| fails(who.nsinit(&r, Helpers::Real, &[&["--rootfs", root], maps, &[IN_PROBE, "id"]].concat()), 125);
    let cases: &[(&[&str], &str)] = &[
        // Host root, the attack that matters.
        (&["--uid-map", "0:0:1"], "nsinit: uid map 0:0:1: /usr/bin/newuidmap failed (exit status 1): newuidmap: uid range [0-1) -> [0-1) not allowed"),
        (&["--gid-map", "0:0:1"], "nsinit: gid map 0:0:1: /usr/bin/newgidmap failed (exit status 1): newgidmap: gid range [0-1) -> [0-1) not allowed"),
        // Someone else's range, and one id past the caller's own.
        (
            &["--uid-map", "0:100000:65536"],
            "nsinit: uid map 0:100000:65536: /usr/bin/newuidmap failed (exit status 1): newuidmap: uid range [0-65536) -> [100000-165536) not allowed",
        ),
        (
            &["--uid-map", "0:165536:65537"],
            "nsinit: uid map 0:165536:65537: /usr/bin/newuidmap failed (exit status 1): newuidmap: uid range [0-65537) -> [165536-231073) not allowed",
        ),
        // The caller's own uid, but two of them.
        (
            &["--uid-map", &format!("0:{}:2", me.uid)],
            &format!("nsinit: uid map 0:{u}:2: /usr/bin/newuidmap failed (exit status 1): newuidmap: uid range [0-2) -> [{u}-{}) not allowed", me.uid + 2, u = me.uid),
        ),
        // A good line does not carry a bad one.
        (
            &["--gid-map", "0:165536:65536", "--gid-map", "65536:0:1"],
            "nsinit: gid map 0:165536:65536 65536:0:1: /usr/bin/newgidmap failed (exit status 1): newgidmap: gid range [65536-65537) -> [0-1) not allowed",
        ),
    ];
    for (maps, want) in cases {
        assert_eq!(refused(&me, maps), *want, "{maps:?}");
    }
    // A user with no ranges at all gets none of them.
    let other = Caller::new(&r, "nsinit-nosub", 3456, false);
    assert_eq!(
        refused(&other, &["--uid-map", "0:165536:65536"]),
        "nsinit: uid map 0:165536:65536: /usr/bin/newuidmap failed (exit status 1): newuidmap: uid range [0-65536) -> [165536-231072) not allowed"
    );
}

/// nsinit installed setuid root would write any map for anyone (and mount
/// anything anywhere): it refuses to run so. Setgid too.
#[test]
fn a_setuid_or_setgid_nsinit_refuses_to_run() {
    let r = Rootfs::new("userns-setuid");
    let me = Caller::new(&r, "nsinit-rootless", 2345, true);
    // Beside the build, not in /tmp, which may be mounted nosuid.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("rootless-setuid-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    for (mode, what) in [(0o4755, "setuid"), (0o2755, "setgid")] {
        let copy = dir.join(format!("nsinit-{what}"));
        fs::copy(NSINIT, &copy).unwrap();
        fs::set_permissions(&copy, fs::Permissions::from_mode(mode)).unwrap();
        let copy_s = copy.to_str().unwrap();
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid", &me.uid.to_string(), "--regid", &me.gid.to_string(), "--clear-groups", "--", copy_s]);
        cmd.args(["--rootfs", r.root_str(), "--uid-map", "0:0:1", IN_PROBE, "cat", "/proc/self/uid_map"]);
        assert_eq!(
            fails(run(cmd, Some(&r)), 125),
            "nsinit: refusing to run with privileges the caller lacks (setuid, setgid or file capabilities): install nsinit without them",
            "{what}"
        );
    }
    fs::remove_dir_all(&dir).unwrap();
}

/// File capabilities raise a process's privileges as setuid root does:
/// with CAP_SYS_ADMIN nsinit would mount anything, with CAP_SETUID write
/// any uid map. Effective or only permitted, or inheritable ones the
/// caller's inheritable set lets in: the kernel sets AT_SECURE, and nsinit
/// refuses. A capability the caller cannot pass on gives nothing, and
/// nsinit runs as the caller it is.
#[test]
fn an_nsinit_with_file_capabilities_refuses_to_run() {
    let r = Rootfs::new("userns-filecaps");
    let me = Caller::new(&r, "nsinit-rootless", 2345, true);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("rootless-filecaps-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let ids = [format!("--reuid={}", me.uid), format!("--regid={}", me.gid)];
    let refusal = "nsinit: refusing to run with privileges the caller lacks (setuid, setgid or file capabilities): install nsinit without them";
    for (i, (caps, inheritable)) in
        [("cap_sys_admin+ep", ""), ("cap_setuid,cap_sys_admin+p", ""), ("cap_setuid+i", "+setuid"), ("cap_setuid+i", "")].into_iter().enumerate()
    {
        let copy = dir.join(format!("nsinit-{i}"));
        fs::copy(NSINIT, &copy).unwrap();
        let status = Command::new("setcap").arg(caps).arg(&copy).status();
        assert!(
            status.as_ref().is_ok_and(|s| s.success()),
            "setcap {caps}: {status:?} (tests/rootless.rs needs setcap: apt-get install libcap2-bin)"
        );
        let mut cmd = Command::new("setpriv");
        cmd.args(&ids).arg("--clear-groups");
        if !inheritable.is_empty() {
            cmd.arg(format!("--inh-caps={inheritable}"));
        }
        cmd.arg("--").arg(&copy).args(["--rootfs", r.root_str(), "--uid-map", "0:0:1", IN_PROBE, "cat", "/proc/self/uid_map"]);
        let line = fails(run(cmd, Some(&r)), 125);
        if i < 3 {
            assert_eq!(line, refusal, "{caps} {inheritable}");
        } else {
            // Nothing gained: as the caller it is, nsinit leaves the map
            // to newuidmap, which refuses it (this caller has no name
            // outside Caller::command's mount namespace, nor ranges).
            let helper = "nsinit: uid map 0:0:1: /usr/bin/newuidmap failed (exit status 1): ";
            assert!(line.starts_with(helper), "{caps}: {line}");
        }
    }
    fs::remove_dir_all(&dir).unwrap();
}

/// The helpers are found only where root put them, and get nothing of
/// nsinit's: no environment, no descriptor but /dev/null for input and
/// output and a pipe for their errors, no blocked signal.
#[test]
fn the_helpers_get_no_environment_no_descriptors_and_no_blocked_signals() {
    let r = Rootfs::new("userns-spy");
    let me = Caller::new(&r, "nsinit-rootless", 2345, true);
    let root = r.root_str();
    let fake = r.outside("path");
    for name in ["newuidmap", "newgidmap"] {
        write_file(&fake.join(name), "#!/bin/sh\necho \"$0 from PATH\" >&2\nexit 1\n");
        fs::set_permissions(fake.join(name), fs::Permissions::from_mode(0o755)).unwrap();
    }
    // The real helpers, with that PATH: they write the maps.
    let out = me.command(&r, Helpers::Real, &["--rootfs", root, "--userns", "auto", IN_PROBE, "id"], |cmd| {
        cmd.env("CALLER_PATH", format!("{}:/usr/bin:/bin", fake.display()));
    });
    assert_eq!(ok(out), "uid=0 gid=0 groups=\n");
    for (helper, map, id) in [(NEWUIDMAP, "uid", me.uid), (NEWGIDMAP, "gid", me.gid)] {
        // A PATH leading to other helpers, a secret, a descriptor left
        // open and stdin closed: none of it reaches the helper.
        let out = me.command(&r, Helpers::Spy(helper), &["--rootfs", root, "--userns", "auto", IN_PROBE, "id"], |cmd| {
            cmd.env("CALLER_PATH", format!("{}:/usr/bin:/bin", fake.display())).env("CALLERS_SECRET", "1");
        });
        let got = fails(out, 125);
        let name = &helper["/usr/bin/".len()..];
        let head = format!("nsinit: {map} map 0:{id}:1 1:{SUB_START}:{SUB_COUNT}: {helper} failed (exit status 1): {name}: args ");
        let rest = got.strip_prefix(&head).unwrap_or_else(|| panic!("expected {head:?}...: {got:?}"));
        let (pid, rest) = rest.split_once(' ').unwrap();
        assert!(pid.parse::<u32>().is_ok(), "the container's PID first: {got:?}");
        let want = format!("0 {id} 1 1 {SUB_START} {SUB_COUNT}; env 0; fds 0 1 2; stdin /dev/null; stdout /dev/null; SigBlk 0000000000000000");
        assert_eq!(rest, want, "{got:?}");
    }
}

#[test]
fn without_the_helpers_the_callers_own_ids_work_and_more_is_refused_by_name() {
    let r = Rootfs::new("userns-no-helpers");
    let me = Caller::new(&r, "nsinit-rootless", 2345, true);
    let root = r.root_str();
    let hidden = |args: &[&str]| me.nsinit(&r, Helpers::Hidden, &[&["--rootfs", root], args].concat());
    // Today's single-id map, by default and asked for.
    assert_eq!(map_lines(&ok(hidden(&[IN_PROBE, "cat", "/proc/self/uid_map"]))), [format!("0 {} 1", me.uid)]);
    let own = format!("0:{}:1", me.uid);
    assert_eq!(ok(hidden(&["--uid-map", &own, IN_PROBE, "id"])), "uid=0 gid=0 groups=\n");
    let name = me.name;
    for (args, want) in [
        (vec!["--uid-map", "0:165536:65536"], format!("nsinit: --uid-map 0:165536:65536 needs newuidmap (apt-get install uidmap) and an /etc/subuid entry for {name}")),
        (vec!["--gid-map", "0:165536:65536"], format!("nsinit: --gid-map 0:165536:65536 needs newgidmap (apt-get install uidmap) and an /etc/subgid entry for {name}")),
        (vec!["--uid-map", &own, "--uid-map", "1:165536:65536"], format!("nsinit: --uid-map 1:165536:65536 needs newuidmap (apt-get install uidmap) and an /etc/subuid entry for {name}")),
        (vec!["--userns", "auto"], format!("nsinit: --userns auto needs newuidmap (apt-get install uidmap) and an /etc/subuid entry for {name}")),
    ] {
        assert_eq!(fails(hidden(&[&args[..], &[IN_PROBE, "id"]].concat()), 125), want, "{args:?}");
    }
}

#[test]
fn userns_auto_says_what_is_missing() {
    let r = Rootfs::new("userns-auto-missing");
    let root = r.root_str();
    let auto = ["--rootfs", root, "--userns", "auto", IN_PROBE, "id"];
    // No ranges.
    let other = Caller::new(&r, "nsinit-nosub", 3456, false);
    assert_eq!(
        fails(other.nsinit(&r, Helpers::Real, &auto), 125),
        "nsinit: --userns auto: no /etc/subuid entry for nsinit-nosub (as root: usermod --add-subuids FIRST-LAST nsinit-nosub)"
    );
    // Ranges of uids only.
    write_file(&other.subuid, &format!("nsinit-nosub:{SUB_START}:{SUB_COUNT}\n"));
    assert_eq!(
        fails(other.nsinit(&r, Helpers::Real, &auto), 125),
        "nsinit: --userns auto: no /etc/subgid entry for nsinit-nosub (as root: usermod --add-subgids FIRST-LAST nsinit-nosub)"
    );
    // Entries by uid, as newuidmap also reads them, and more than one range.
    write_file(&other.subuid, &format!("someone:100000:65536\n{}:{SUB_START}:10\n\nnsinit-nosub:300000:5\n", other.uid));
    write_file(&other.subgid, &format!("nsinit-nosub:{SUB_START}:20\n"));
    let maps = |file: &str| {
        let args = ["--rootfs", root, "--userns", "auto", IN_PROBE, "cat", file];
        map_lines(&ok(other.nsinit(&r, Helpers::Real, &args)))
    };
    assert_eq!(maps("/proc/self/uid_map"), [format!("0 {} 1", other.uid), format!("1 {SUB_START} 10"), "11 300000 5".into()]);
    assert_eq!(maps("/proc/self/gid_map"), [format!("0 {} 1", other.gid), format!("1 {SUB_START} 20")]);
    // More than a map holds: refused, never cut short.
    let eight: String = (0..8).map(|i| format!("nsinit-nosub:{}:10\n", 200000 + i * 10)).collect();
    write_file(&other.subuid, &eight);
    assert_eq!(
        fails(other.nsinit(&r, Helpers::Real, &auto), 125),
        "nsinit: --userns auto: /etc/subuid gives nsinit-nosub more than a map holds (7 ranges, 2^32 ids)"
    );
    write_file(&other.subuid, "nsinit-nosub:100000:4000000000\nnsinit-nosub:1:1000000000\n");
    assert_eq!(
        fails(other.nsinit(&r, Helpers::Real, &auto), 125),
        "nsinit: --userns auto: /etc/subuid gives nsinit-nosub more than a map holds (7 ranges, 2^32 ids)"
    );
    // No name in /etc/passwd: newuidmap could not find the ranges.
    let nameless = Caller::new(&r, "nsinit-rootless", 2345, true);
    let host_passwd = fs::read_to_string("/etc/passwd").unwrap();
    write_file(&nameless.passwd, &host_passwd);
    assert_eq!(
        fails(nameless.nsinit(&r, Helpers::Real, &auto), 125),
        format!("nsinit: --userns auto: uid {} has no name in /etc/passwd, which newuidmap needs", nameless.uid)
    );
    // As root there is nothing to ask for: the maps are root's to write.
    assert_eq!(
        fails(r.run(&["--userns", "auto", IN_PROBE, "id"]), 125),
        "nsinit: --userns auto maps a caller's own and subordinate ids, for a caller without root; as root, give --uid-map and --gid-map"
    );
    // The words.
    for (args, want) in [
        (&["--userns", "keep-id"][..], "nsinit: --userns: expected auto; got 'keep-id'"),
        (&["--userns", "auto", "--uid-map", "0:1:1"], "nsinit: --userns auto and --uid-map/--gid-map both give the maps; give one"),
        (&["--userns", "auto", "--share", "user"], "nsinit: --userns auto needs the user namespace; drop '--share user'"),
    ] {
        assert_eq!(fails(nsinit(&[args, &["x"]].concat()), 125), want, "{args:?}");
    }
}

// ===========================================================================
// Item 10: /sys beside the host's network namespace
// ===========================================================================

/// `nsinit ARGS...` as `nobody`, which needs no ranges.
fn as_nobody(r: &Rootfs, args: &[&str]) -> Out {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid", "65534", "--regid", "65534", "--clear-groups", "--", NSINIT]).args(args);
    run(cmd, Some(r))
}

/// The mounts on `at` and under it, as the probe's mountinfo shows them.
fn mounts_under<'m>(mounts: &'m [MountEntry], at: &str) -> Vec<&'m MountEntry> {
    mounts.iter().filter(|m| m.point == at || m.point.starts_with(&format!("{at}/"))).collect()
}

/// The host's network interfaces, as its /sys lists them.
fn host_interfaces() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir("/sys/class/net").unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

fn listed(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text.lines().map(str::to_string).collect();
    names.sort();
    names
}

#[test]
fn rootless_share_net_binds_the_hosts_sys_read_only() {
    let r = Rootfs::new("rootless-sysfs");
    let root = r.root_str();
    for options in [&["--rootfs", root, "--share", "net"][..], &["--bare", "--rootfs", root, "--unshare", "pid", "--proc", "/proc", "--sysfs", "/sys"]] {
        let mounts = parse_mountinfo(&ok(as_nobody(&r, &[options, &[IN_PROBE, "mountinfo"]].concat())));
        let sys = mounts_under(&mounts, "/sys");
        let top = sys.iter().find(|m| m.point == "/sys").unwrap_or_else(|| panic!("{options:?}: no /sys in {mounts:#?}"));
        assert_eq!((top.fstype.as_str(), top.root.as_str()), ("sysfs", "/"), "{options:?}");
        for m in &sys {
            let opts: Vec<&str> = m.opts.split(',').collect();
            assert!(opts.contains(&"ro"), "{options:?}: {} is writable: {m:?}", m.point);
        }
        for flag in ["nosuid", "nodev", "noexec"] {
            assert!(top.opts.split(',').any(|o| o == flag), "{options:?}: /sys without {flag}: {top:?}");
        }
        // The host's network namespace, and its interfaces in /sys.
        assert_eq!(listed(&ok(as_nobody(&r, &[options, &[IN_PROBE, "ls", "/sys/class/net"]].concat()))), host_interfaces(), "{options:?}");
        let out = as_nobody(&r, &[options, &[IN_PROBE, "write", "/sys/kernel/uevent_seqnum", "1"]].concat());
        assert_eq!(
            (out.code(), out.stdout.as_str()),
            (1, "probe: /sys/kernel/uevent_seqnum: EROFS (Read-only file system)\n"),
            "{options:?}: {out:?}"
        );
    }
    // With a network namespace of its own, a new sysfs, as before: its
    // /sys/class/net has the loopback interface alone.
    assert_eq!(ok(as_nobody(&r, &["--rootfs", root, IN_PROBE, "ls", "/sys/class/net"])), "lo\n");
}

#[test]
fn root_with_a_user_namespace_and_the_hosts_network_gets_the_hosts_sys_too() {
    let r = Rootfs::new("userns-sysfs");
    let args = ["--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536", "--share", "net", IN_PROBE];
    let mounts = parse_mountinfo(&ok(r.run(&[&args[..], &["mountinfo"]].concat())));
    let sys = point(&mounts, "/sys");
    assert_eq!(sys.fstype, "sysfs");
    assert!(sys.opts.split(',').any(|o| o == "ro"), "{sys:?}");
    assert_eq!(listed(&ok(r.run(&[&args[..], &["ls", "/sys/class/net"]].concat()))), host_interfaces());
}

/// A directory of the host's `/sys` with entries, that no mount covers.
fn a_sys_directory_to_hide() -> String {
    let mounted = host_mount_points();
    ["/sys/kernel/mm", "/sys/devices/system", "/sys/class", "/sys/bus"]
        .into_iter()
        .find(|d| !mounted.iter().any(|m| m == d) && fs::read_dir(d).is_ok_and(|mut e| e.next().is_some()))
        .expect("a directory with entries in /sys")
        .to_string()
}

/// The kernel refuses a new sysfs in a user namespace where a mount hides
/// part of the `/sys` the mounter sees (mount_too_revealing): a tmpfs over
/// a directory of `/sys`, as a runtime's masked paths make (runc masks
/// /sys/firmware) when nsinit runs inside one. A container with a network
/// namespace of its own used to get the host's `/sys` bound instead, and
/// with it the host's interfaces; it now fails and says why. On the
/// host's network the host's `/sys` is the right one, and is bound still.
#[test]
fn a_container_with_its_own_network_never_gets_the_hosts_sys() {
    let r = Rootfs::new("sysfs-hidden");
    let root = r.root_str();
    let hidden = a_sys_directory_to_hide();
    // In a mount namespace of its own, so that the host's /sys stays whole.
    let with_sys_hidden = |prefix: &[&str], args: &[&str]| {
        let mut cmd = Command::new("unshare");
        cmd.args(["--mount", "--propagation", "private", "--", "sh", "-c", "mount -t tmpfs -o size=0 tmpfs \"$1\" && shift && exec \"$@\"", "sh", &hidden]);
        cmd.args(prefix).arg(NSINIT).args(args);
        run(cmd, Some(&r))
    };
    let nobody = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--"];
    let refused = "nsinit: mount sysfs: EPERM (Operation not permitted) on /sys (a mount hides part of /sys; the host's would show the host's network)";
    for (prefix, options) in [
        (&nobody[..], &["--rootfs", root][..]),
        (&nobody[..], &["--bare", "--rootfs", root, "--unshare", "net,mnt", "--sysfs", "/sys"][..]),
        (&[][..], &["--rootfs", root, "--unshare", "user"][..]),
        (&[][..], &["--rootfs", root, "--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536"][..]),
    ] {
        let out = with_sys_hidden(prefix, &[options, &[IN_PROBE, "ls", "/sys/class/net"]].concat());
        assert_eq!(fails(out, 125), refused, "{prefix:?} {options:?}");
    }
    // Sharing the host's network: the host's /sys, read-only.
    for (prefix, options) in [(&nobody[..], &["--rootfs", root, "--share", "net"][..]), (&[][..], &["--rootfs", root, "--unshare", "user", "--share", "net"][..])] {
        let out = with_sys_hidden(prefix, &[options, &[IN_PROBE, "ls", "/sys/class/net"]].concat());
        assert_eq!(listed(&ok(out)), host_interfaces(), "{prefix:?} {options:?}");
    }
    // Without a user namespace, the kernel does not ask: a new sysfs.
    assert_eq!(ok(with_sys_hidden(&[], &["--rootfs", root, IN_PROBE, "ls", "/sys/class/net"])), "lo\n");
}
