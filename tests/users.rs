//! Users and ids (issue 12, items 6 to 8): `--user NAME[:GROUP]` looked up
//! in the container's own `/etc/passwd` and `/etc/group`, never the host's,
//! whatever those files are; `--chdir` into a directory only the `--user`
//! may enter; `--rlimit` and `--oom-score-adj` with a user namespace.

mod harness;
use harness::*;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The container's own files: `daemon` is not the host's (1:1 on Debian),
/// `alice` is in two groups besides her own.
const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
    daemon:x:4321:4322:not the host's daemon:/srv/daemon:/usr/sbin/nologin\n\
    alice:x:1000:1000:Alice:/home/alice:/bin/sh\n\
    nohome:x:1002:1002:::\n\
    toor:x:0:0:root by another name:/toor:/bin/sh\n";
const GROUP: &str = "root:x:0:\n\
    wheel:x:10:root,alice\n\
    staff:x:50:bob,alice\n\
    alice:x:1000:\n\
    daemon:x:4322:\n";

/// The user namespace most tests here use, as root: ids 0-65535 inside are
/// 100000-165535 outside, so that host root owns nothing inside.
const MAPS: [&str; 4] = ["--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536"];

const EACCES: &str = "EACCES (Permission denied)";
const ELOOP: &str = "ELOOP (Too many symbolic links encountered)";
const EPERM: &str = "EPERM (Operation not permitted)";

/// A rootfs with `PASSWD` and `GROUP` as its `/etc/passwd` and `/etc/group`.
fn with_users(tag: &str) -> Rootfs {
    let r = Rootfs::new(tag);
    write_file(&r.host("/etc/passwd"), PASSWD);
    write_file(&r.host("/etc/group"), GROUP);
    r
}

/// What the probe says of who it is (`uid= gid= groups= HOME= cwd=`),
/// started with `args` and no `HOME` from nsinit's own environment.
fn user_line(r: &Rootfs, args: &[&str]) -> String {
    let mut all = vec!["--unsetenv", "HOME"];
    all.extend_from_slice(args);
    all.extend([IN_PROBE, "user"]);
    ok(r.run(&all)).trim_end().to_string()
}

fn user_of(r: &Rootfs, spec: &str) -> String {
    user_line(r, &["--user", spec])
}

/// `nsinit --unsetenv HOME --user SPEC ... probe user` expected to fail.
fn user_error(r: &Rootfs, args: &[&str]) -> String {
    let mut all = vec!["--unsetenv", "HOME"];
    all.extend_from_slice(args);
    all.extend([IN_PROBE, "user"]);
    fails(r.run(&all), 125)
}

// ---------------------------------------------------------------------------
// Item 6: --user NAME[:GROUP]
// ---------------------------------------------------------------------------

#[test]
fn names_and_numbers_are_looked_up_in_the_containers_own_files() {
    let r = with_users("users-names");
    assert_eq!(user_of(&r, "alice"), "uid=1000 gid=1000 groups=10,50 HOME=/home/alice cwd=/");
    // The host has a daemon too (1:1 on Debian): the container's is used.
    assert_eq!(user_of(&r, "daemon"), "uid=4321 gid=4322 groups= HOME=/srv/daemon cwd=/");
    assert_eq!(user_of(&r, "root"), "uid=0 gid=0 groups=10 HOME=/root cwd=/");
    assert_eq!(user_of(&r, "nohome"), "uid=1002 gid=1002 groups= HOME=/ cwd=/", "an empty home is /");
    // A number with an entry is that entry, as in runc: its gid, groups and home.
    assert_eq!(user_of(&r, "1000"), "uid=1000 gid=1000 groups=10,50 HOME=/home/alice cwd=/");
    assert_eq!(user_of(&r, "0"), "uid=0 gid=0 groups=10 HOME=/root cwd=/");
    assert_eq!(user_of(&r, "4321"), "uid=4321 gid=4322 groups= HOME=/srv/daemon cwd=/");
    // In a user namespace of the caller's making, the same.
    assert_eq!(user_line(&r, &[&MAPS[..], &["--user", "alice"]].concat()), "uid=1000 gid=1000 groups=10,50 HOME=/home/alice cwd=/");
    // From a config file too.
    let conf = r.outside("user.conf");
    write_file(&conf, &format!("rootfs {}\nuser alice:staff\nunsetenv HOME\n--\n{IN_PROBE} user\n", r.root_str()));
    assert_eq!(ok(r.nsinit(&["--config", conf.to_str().unwrap()])), "uid=1000 gid=50 groups= HOME=/home/alice cwd=/\n");
}

#[test]
fn a_uid_without_an_entry_gets_gid_0_and_home_slash_as_in_runc_and_docker() {
    let r = with_users("users-no-entry");
    assert_eq!(user_of(&r, "4242"), "uid=4242 gid=0 groups= HOME=/ cwd=/");
    assert_eq!(user_of(&r, "4242:4242"), "uid=4242 gid=4242 groups= HOME=/ cwd=/", "gid = uid only when given");
    assert_eq!(user_of(&r, "4242:staff"), "uid=4242 gid=50 groups= HOME=/ cwd=/");
    // No /etc/passwd at all: every uid is one without an entry.
    let bare = Rootfs::new("users-no-files");
    assert_eq!(user_of(&bare, "1000"), "uid=1000 gid=0 groups= HOME=/ cwd=/");
    assert_eq!(user_of(&bare, "1000:1000"), "uid=1000 gid=1000 groups= HOME=/ cwd=/");
    assert_eq!(user_of(&bare, "1000:7"), "uid=1000 gid=7 groups= HOME=/ cwd=/");
}

#[test]
fn a_group_given_replaces_the_gid_and_the_listed_groups_and_groups_add_to_them() {
    let r = with_users("users-groups");
    assert_eq!(user_of(&r, "alice:staff"), "uid=1000 gid=50 groups= HOME=/home/alice cwd=/");
    assert_eq!(user_of(&r, "alice:7"), "uid=1000 gid=7 groups= HOME=/home/alice cwd=/");
    assert_eq!(user_of(&r, "0:alice"), "uid=0 gid=1000 groups= HOME=/root cwd=/");
    assert_eq!(user_of(&r, "daemon:0"), "uid=4321 gid=0 groups= HOME=/srv/daemon cwd=/");
    // --groups come with those /etc/group gives, as runc's additionalGids
    // (the kernel keeps them sorted).
    assert_eq!(user_line(&r, &["--user", "alice", "--groups", "5,60"]), "uid=1000 gid=1000 groups=5,10,50,60 HOME=/home/alice cwd=/");
    assert_eq!(user_line(&r, &["--user", "alice:staff", "--groups", "5"]), "uid=1000 gid=50 groups=5 HOME=/home/alice cwd=/");
    // --groups alone changes the groups only.
    assert_eq!(user_line(&r, &["--groups", "5,6"]), "uid=0 gid=0 groups=5,6 HOME unset cwd=/");
    // A numeric group needs no /etc/group: a FIFO there is never opened.
    let fifo = with_users("users-group-fifo");
    mkfifo(&fifo.host("/etc/group"));
    assert_eq!(user_of(&fifo, "alice:7"), "uid=1000 gid=7 groups= HOME=/home/alice cwd=/");
    assert_eq!(user_of(&fifo, "4242"), "uid=4242 gid=0 groups= HOME=/ cwd=/");
}

#[test]
fn home_is_set_only_where_the_environment_has_none() {
    let r = with_users("users-home");
    assert_eq!(user_line(&r, &["--setenv", "HOME", "/custom", "--user", "alice"]), "uid=1000 gid=1000 groups=10,50 HOME=/custom cwd=/");
    assert_eq!(user_line(&r, &["--setenv", "HOME", "", "--user", "alice"]), "uid=1000 gid=1000 groups=10,50 HOME= cwd=/");
    // nsinit's own HOME is inherited, as every other variable.
    let mut cmd = command(&["--rootfs", r.root_str(), "--user", "alice", IN_PROBE, "user"]);
    cmd.env("HOME", "/from-the-caller");
    let out = run(cmd, Some(&r));
    assert_eq!(ok(out), "uid=1000 gid=1000 groups=10,50 HOME=/from-the-caller cwd=/\n");
    // With --clearenv, HOME is all there is.
    assert_eq!(ok(r.run(&["--clearenv", "--user", "alice", IN_PROBE, "env"])), "HOME=/home/alice\n");
    assert_eq!(ok(r.run(&["--clearenv", "--user", "4242", IN_PROBE, "env"])), "HOME=/\n");
    // Without --user nothing is added.
    assert_eq!(ok(r.run(&["--clearenv", IN_PROBE, "env"])), "");
    // With --init the payload gets it too.
    assert_eq!(ok(r.run(&["--clearenv", "--init", "--user", "alice", IN_PROBE, "env"])), "HOME=/home/alice\n");
}

#[test]
fn unknown_names_are_one_clear_error_naming_the_file_and_the_name() {
    let r = with_users("users-unknown");
    assert_eq!(user_error(&r, &["--user", "bob"]), "nsinit: --user bob: no user 'bob' in /etc/passwd");
    assert_eq!(user_error(&r, &["--user", "alice:nogroup"]), "nsinit: --user alice:nogroup: no group 'nogroup' in /etc/group");
    assert_eq!(user_error(&r, &["--user", "4242:nogroup"]), "nsinit: --user 4242:nogroup: no group 'nogroup' in /etc/group");
    // The host has a root; a container without /etc/passwd has none.
    let bare = Rootfs::new("users-unknown-bare");
    assert_eq!(user_error(&bare, &["--user", "root"]), "nsinit: --user root: no user 'root' in /etc/passwd");
    assert_eq!(user_error(&bare, &["--user", "0:root"]), "nsinit: --user 0:root: no group 'root' in /etc/group");
    // An entry that matches but has no number for an id.
    let broken = Rootfs::new("users-broken");
    write_file(&broken.host("/etc/passwd"), "ok:x:1:1::/:\nbroken:x:x1:1::/:\nworse:x:-1:1::/:\n");
    write_file(&broken.host("/etc/group"), "ok:x:1:ok\nbad:x::ok\n");
    assert_eq!(user_error(&broken, &["--user", "broken"]), "nsinit: --user broken: /etc/passwd:2: not a valid entry");
    assert_eq!(user_error(&broken, &["--user", "worse"]), "nsinit: --user worse: /etc/passwd:3: not a valid entry");
    assert_eq!(user_error(&broken, &["--user", "ok"]), "nsinit: --user ok: /etc/group:2: not a valid entry");
    assert_eq!(user_error(&broken, &["--user", "1:bad"]), "nsinit: --user 1:bad: /etc/group:2: not a valid entry");
    // Words that are not USER[:GROUP], and the kernel's "no id", before anything starts.
    for bad in ["alice:", ":staff", "a:b:c", "4294967295", "0:4294967295"] {
        assert_eq!(
            fails(r.run(&["--user", bad, IN_PROBE, "user"]), 125),
            format!("nsinit: --user: expected USER[:GROUP], each a name or a number below 4294967295; got '{bad}'")
        );
    }
}

#[test]
fn the_lookup_sees_the_containers_mounts_and_without_a_root_the_hosts_files() {
    let r = with_users("users-mounts");
    let other = r.outside("passwd");
    write_file(&other, "carol:x:2000:2001::/c:/bin/sh\n");
    let other = other.to_str().unwrap();
    assert_eq!(user_line(&r, &["--ro-bind", other, "/etc/passwd", "--user", "carol"]), "uid=2000 gid=2001 groups= HOME=/c cwd=/");
    assert_eq!(user_error(&r, &["--tmpfs", "/etc", "--user", "alice"]), "nsinit: --user alice: no user 'alice' in /etc/passwd");
    let overlay = ok(r.nsinit(&["--overlay", r.root_str(), "--unsetenv", "HOME", "--user", "alice", IN_PROBE, "user"]));
    assert_eq!(overlay, "uid=1000 gid=1000 groups=10,50 HOME=/home/alice cwd=/\n");
    // Without a root of its own, the container's root is the host's.
    let host = fs::read_to_string("/etc/passwd").expect("the host's /etc/passwd");
    let root = host.lines().find(|l| l.starts_with("root:")).expect("a root entry on the host");
    let home = root.split(':').nth(5).unwrap();
    let out = ok(r.nsinit(&["--unsetenv", "HOME", "--user", "root", &r.probe_host_path(), "user"]));
    assert!(out.starts_with("uid=0 gid=0 groups=") && out.contains(&format!(" HOME={home} ")), "{out}");
}

/// `mkfifo PATH`.
fn mkfifo(path: &Path) {
    let _ = fs::remove_file(path);
    let status = Command::new("mkfifo").arg(path).status().expect("run mkfifo (coreutils)");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// `nsinit ARGS...` with a pipe on its standard input that stays open and
/// empty: a read of it would block until the test's timeout.
fn with_open_stdin(r: &Rootfs, args: &[&str]) -> Out {
    let host = HostState::take();
    let mut child = command(args)
        .env_clear()
        .env("A", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nsinit");
    let _stdin = child.stdin.take();
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_with_timeout(&mut child, "nsinit with an open stdin");
    let out = Out { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() };
    host.check(Some(r), "nsinit with an open stdin");
    out
}

#[test]
fn hostile_files_give_a_clear_error_or_the_right_answer_never_the_hosts() {
    let r = with_users("users-hostile");
    let passwd = r.host("/etc/passwd");
    let not_regular = "nsinit: /etc/passwd: not a regular file (user database)";
    let relink = |target: &str| {
        let _ = fs::remove_file(&passwd);
        let _ = fs::remove_dir(&passwd);
        symlink(target, &passwd).unwrap();
    };
    // Each run is killed, and the test failed, should it take longer than
    // the harness's TIMEOUT: a read that blocks shows as that.
    // /proc links: the caller's descriptors, the host's root through PID 1.
    relink("/proc/self/fd/0");
    let args = ["--rootfs", r.root_str(), "--user", "alice", IN_PROBE, "user"];
    assert_eq!(fails(with_open_stdin(&r, &args), 125), format!("nsinit: open /etc/passwd: {ELOOP}"));
    relink("/proc/self/root/etc/passwd");
    assert_eq!(user_error(&r, &["--user", "alice"]), format!("nsinit: open /etc/passwd: {ELOOP}"));
    // The host's PID 1: EACCES where the kernel does not let the container
    // look at it (a ptrace check, which yama may tighten), else ELOOP.
    relink("/proc/1/root/etc/passwd");
    let line = user_error(&r, &["--share", "pid", "--user", "root"]);
    assert!([ELOOP, EACCES].map(|e| format!("nsinit: open /etc/passwd: {e}")).contains(&line), "{line}");
    // A /proc file that is not a link: read like any file (the
    // environment is NUL-separated), in the container's /proc.
    relink("/proc/self/environ");
    let out = with_open_stdin(&r, &args);
    assert_eq!(fails(out, 125), "nsinit: /etc/passwd:1: a NUL byte in the user database");
    // Host paths, absolute or climbing: looked up in the root, where they
    // are not. The host file names alice.
    let host_file = r.outside("host-passwd");
    write_file(&host_file, "alice:x:7777:7777::/host:/bin/sh\n");
    relink(host_file.to_str().unwrap());
    assert_eq!(user_error(&r, &["--user", "alice"]), "nsinit: --user alice: no user 'alice' in /etc/passwd");
    assert_eq!(user_of(&r, "7777"), "uid=7777 gid=0 groups= HOME=/ cwd=/");
    let climb = format!("../../../../../../../../..{}", host_file.display());
    relink(&climb);
    assert_eq!(user_error(&r, &["--user", "alice"]), "nsinit: --user alice: no user 'alice' in /etc/passwd");
    // Devices, FIFOs, directories: not read, and nothing blocks.
    relink("/dev/zero");
    assert_eq!(user_error(&r, &["--user", "alice"]), not_regular);
    mkfifo(&passwd);
    assert_eq!(user_error(&r, &["--user", "alice"]), not_regular);
    assert_eq!(user_error(&r, &["--user", "1000"]), not_regular, "a number is looked up too");
    let _ = fs::remove_file(&passwd);
    fs::create_dir(&passwd).unwrap();
    assert_eq!(user_error(&r, &["--user", "alice"]), not_regular);
    mkfifo(&r.host("/etc/group"));
    fs::remove_dir(&passwd).unwrap();
    write_file(&passwd, PASSWD);
    assert_eq!(user_error(&r, &["--user", "alice"]), "nsinit: /etc/group: not a regular file (user database)");
    // (Removed first: writing to the FIFO would wait for a reader.)
    fs::remove_file(r.host("/etc/group")).unwrap();
    write_file(&r.host("/etc/group"), GROUP);
}

#[test]
fn odd_and_large_files_give_the_right_answer_or_a_clear_error() {
    let r = with_users("users-large");
    let passwd = r.host("/etc/passwd");
    // A NUL byte, before the entry.
    fs::write(&passwd, "a:x:1:1::/:\nb:x:2\0:2::/:\nalice:x:1000:1000::/home/alice:\n").unwrap();
    assert_eq!(user_error(&r, &["--user", "alice"]), "nsinit: /etc/passwd:2: a NUL byte in the user database");
    // No newline at the end, a long line before the entry.
    fs::write(&passwd, format!("{}:x:1:1::/:\nalice:x:1000:1000::/home/alice:/bin/sh", "a".repeat(200_000))).unwrap();
    assert_eq!(user_of(&r, "alice"), "uid=1000 gid=1000 groups=10,50 HOME=/home/alice cwd=/");
    // The largest file taken, its entry last; then one byte more.
    let entry = "alice:x:1000:1000::/home/alice:\n";
    let filler = "someone:x:1:1::/:/bin/sh\n";
    let mut text = filler.repeat((1024 * 1024 - entry.len()) / filler.len());
    text.push_str(&"#".repeat(1024 * 1024 - entry.len() - text.len() - 1));
    text.push('\n');
    text.push_str(entry);
    assert_eq!(text.len(), 1024 * 1024);
    fs::write(&passwd, &text).unwrap();
    assert_eq!(user_of(&r, "alice"), "uid=1000 gid=1000 groups=10,50 HOME=/home/alice cwd=/");
    text.insert(0, '\n');
    fs::write(&passwd, &text).unwrap();
    let too_large = "nsinit: /etc/passwd: user database too large (at most 1024 KiB)";
    assert_eq!(user_error(&r, &["--user", "alice"]), too_large);
    // A sparse file of a terabyte is not read to its end (the harness's
    // TIMEOUT would fail it).
    let file = fs::File::create(&passwd).unwrap();
    file.set_len(1 << 40).unwrap();
    drop(file);
    assert_eq!(user_error(&r, &["--user", "alice"]), too_large);
    fs::write(&passwd, PASSWD).unwrap();
    // More groups than the 64 taken: an error, not a cut list.
    let groups: String = (0..65).map(|i| format!("g{i}:x:{}:alice\n", 100 + i)).collect();
    write_file(&r.host("/etc/group"), &groups);
    assert_eq!(user_error(&r, &["--user", "alice"]), "nsinit: --user alice: more than 64 groups in /etc/group");
    let fits: String = groups.lines().take(64).map(|l| format!("{l}\n")).collect();
    write_file(&r.host("/etc/group"), &fits);
    let all: Vec<String> = (100..164).map(|g| g.to_string()).collect();
    assert_eq!(user_of(&r, "alice"), format!("uid=1000 gid=1000 groups={} HOME=/home/alice cwd=/", all.join(",")));
    assert_eq!(user_error(&r, &["--user", "alice", "--groups", "1"]), "nsinit: --user alice: more than 64 groups with --groups");
}

/// The effective capabilities, from `/proc/self/status`.
fn cap_eff(r: &Rootfs, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend([IN_PROBE, "cat", "/proc/self/status"]);
    let status = ok(r.run(&all));
    status.lines().find_map(|l| l.strip_prefix("CapEff:")).expect("a CapEff line").trim().to_string()
}

#[test]
fn a_name_that_is_uid_0_gets_roots_capabilities_and_others_none() {
    let r = with_users("users-caps");
    let root = cap_eff(&r, &["--user", "0"]);
    assert_eq!(root, "00000000a80425fb", "runc's 14");
    assert_eq!(cap_eff(&r, &["--user", "root"]), root);
    assert_eq!(cap_eff(&r, &["--user", "toor"]), root);
    assert_eq!(cap_eff(&r, &["--user", "daemon"]), "0000000000000000");
    assert_eq!(cap_eff(&r, &["--user", "alice", "--cap-add", "NET_BIND_SERVICE"]), "0000000000000400");
    assert_eq!(cap_eff(&r, &["--user", "root", "--cap-drop", "ALL", "--cap-add", "CHOWN"]), "0000000000000001");
    // Root by name may chroot, as root by number may: the filter is not
    // built for a user other than root.
    for user in ["0", "root", "toor"] {
        assert_eq!(ok(r.run(&["--user", user, IN_PROBE, "chroot"])), "chroot ok\n", "--user {user}");
    }
    assert_eq!(ok(r.run(&["--user", "daemon", IN_PROBE, "chroot"])), "chroot EPERM\n");
}

#[test]
fn rootless_the_groups_of_etc_group_are_left_out_as_in_runc() {
    let r = with_users("users-rootless");
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid", "65534", "--regid", "65534", "--clear-groups", "--", NSINIT]);
    cmd.args(["--rootfs", r.root_str(), "--unsetenv", "HOME", "--user", "root", IN_PROBE, "user"]);
    assert_eq!(ok(run(cmd, Some(&r))), "uid=0 gid=0 groups= HOME=/root cwd=/\n");
    // --groups cannot be left out: an error that says why.
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid", "65534", "--regid", "65534", "--clear-groups", "--", NSINIT]);
    cmd.args(["--rootfs", r.root_str(), "--user", "root", "--groups", "5", IN_PROBE, "user"]);
    assert_eq!(
        fails(run(cmd, Some(&r)), 125),
        format!("nsinit: setgroups: {EPERM} (a user namespace made without root denies setgroups)")
    );
}

// ---------------------------------------------------------------------------
// Item 7: --chdir where only the user may enter (crun#793)
// ---------------------------------------------------------------------------

/// Makes `path` a directory owned by host root (not mapped by `MAPS`), of
/// group `gid` outside, with `mode`.
fn private_dir(path: &Path, gid: u32, mode: u32) -> PathBuf {
    fs::create_dir_all(path).unwrap();
    std::os::unix::fs::chown(path, Some(0), Some(gid)).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    path.to_path_buf()
}

#[test]
fn chdir_into_a_directory_only_the_user_may_enter_is_done_as_the_user() {
    let r = with_users("users-chdir");
    // 1000 inside is 101000 outside; the container's root, 100000 outside,
    // is neither the owner nor in the group, and host root is not mapped:
    // only alice may enter.
    private_dir(&r.host("/work"), 101000, 0o770);
    private_dir(&r.host("/work/sub"), 101000, 0o750);
    // The repro, and the same by name, deeper, with --init.
    fn args<'a>(more: &[&'a str]) -> Vec<&'a str> {
        [&MAPS[..], more].concat()
    }
    assert_eq!(user_line(&r, &args(&["--user", "1000:1000", "--chdir", "/work"])), "uid=1000 gid=1000 groups= HOME=/home/alice cwd=/work");
    assert_eq!(user_line(&r, &args(&["--user", "alice", "--chdir", "/work"])), "uid=1000 gid=1000 groups=10,50 HOME=/home/alice cwd=/work");
    assert_eq!(user_line(&r, &args(&["--user", "alice", "--chdir", "/work/sub"])), "uid=1000 gid=1000 groups=10,50 HOME=/home/alice cwd=/work/sub");
    assert_eq!(user_line(&r, &args(&["--init", "--user", "alice", "--chdir", "/work/sub/"])), "uid=1000 gid=1000 groups=10,50 HOME=/home/alice cwd=/work/sub");
    // Through a supplementary group from /etc/group: staff is 50 inside.
    private_dir(&r.host("/staff"), 100050, 0o770);
    assert_eq!(user_line(&r, &args(&["--user", "alice", "--chdir", "/staff"])), "uid=1000 gid=1000 groups=10,50 HOME=/home/alice cwd=/staff");
    assert_eq!(user_line(&r, &args(&["--user", "1000:1000", "--groups", "50", "--chdir", "/staff"])), "uid=1000 gid=1000 groups=50 HOME=/home/alice cwd=/staff");
    // Where the user may not enter either: the same error as before.
    assert_eq!(user_error(&r, &args(&["--user", "alice:alice", "--chdir", "/staff"])), format!("nsinit: chdir /staff: {EACCES}"));
    private_dir(&r.host("/private"), 0, 0o700);
    assert_eq!(user_error(&r, &args(&["--user", "alice", "--chdir", "/private"])), format!("nsinit: chdir /private: {EACCES}"));
    // Without --user nothing waits: the container's root is refused.
    assert_eq!(user_error(&r, &args(&["--chdir", "/work"])), format!("nsinit: chdir /work: {EACCES}"));
    // A directory the container's root may enter is entered at once, as before.
    assert_eq!(user_line(&r, &args(&["--user", "alice", "--chdir", "/etc"])), "uid=1000 gid=1000 groups=10,50 HOME=/home/alice cwd=/etc");
}

#[test]
fn chdir_as_the_user_keeps_every_protection_of_the_first_try() {
    let r = with_users("users-chdir-links");
    private_dir(&r.host("/work"), 101000, 0o770);
    symlink("/proc/self/cwd", r.host("/work/cwd")).unwrap();
    symlink("/proc/self/fd/3", r.host("/work/fd3")).unwrap();
    symlink("../../../../../../../../../..", r.host("/work/up")).unwrap();
    fs::create_dir(r.host("/work/dir")).unwrap();
    fn args<'a>(dir: &'a str, probe: &'a str) -> Vec<&'a str> {
        [&MAPS[..], &["--user", "alice", "--chdir", dir, IN_PROBE, probe]].concat()
    }
    // Magic links are refused on the second try too.
    assert_eq!(fails(r.run(&args("/work/cwd", "cwd")), 125), format!("nsinit: chdir /work/cwd: {ELOOP}"));
    // A descriptor the caller leaked is closed before the second try as
    // well: fd 3 is the host's /tmp here.
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg("exec \"$0\" \"$@\" 3</tmp").arg(NSINIT).args(["--rootfs", r.root_str()]).args(args("/work/fd3", "cwd"));
    assert_eq!(fails(run(cmd, Some(&r)), 125), "nsinit: chdir /work/fd3: ENOENT (No such file or directory)");
    // `..` stays in the root.
    assert_eq!(ok(r.run(&args("/work/up", "cwd"))), "/\n");
    // The payload inherits 0, 1 and 2 only: the root's descriptor, kept
    // open for the second try, is closed by then.
    assert_eq!(ok(r.run(&args("/work/dir", "fds"))), "0\n1\n2\n");
}

#[test]
fn chdir_as_the_user_without_a_root_of_its_own() {
    let r = Rootfs::new("users-chdir-host");
    let dir = private_dir(&r.outside("work"), 101000, 0o770);
    let dir = dir.to_str().unwrap();
    let probe = r.probe_host_path();
    // 4242 inside is 104242 outside. (The files are the host's here: an id
    // it does not have.)
    std::os::unix::fs::chown(dir, Some(0), Some(104242)).unwrap();
    let args = [&MAPS[..], &["--unsetenv", "HOME", "--user", "4242:4242", "--chdir", dir, &probe, "user"]].concat();
    assert_eq!(ok(r.nsinit(&args)), format!("uid=4242 gid=4242 groups= HOME=/ cwd={dir}\n"));
    let args = [&MAPS[..], &["--chdir", dir, &probe, "user"]].concat();
    assert_eq!(fails(r.nsinit(&args), 125), format!("nsinit: chdir {dir}: {EACCES}"));
}

// ---------------------------------------------------------------------------
// Item 8: rlimits and the OOM score with a user namespace (runc#680)
// ---------------------------------------------------------------------------

/// `(soft, hard)` of the `/proc/self/limits` line that starts with `name`.
fn limit(limits: &str, name: &str) -> (String, String) {
    let line = limits.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no {name} in {limits}"));
    let words: Vec<&str> = line[name.len()..].split_whitespace().collect();
    (words[0].to_string(), words[1].to_string())
}

fn pair(soft: &str, hard: &str) -> (String, String) {
    (soft.to_string(), hard.to_string())
}

// Raising a hard limit with a user namespace (the repro) and
// lowering the OOM score need CAP_SYS_RESOURCE, which this sandbox's root
// lacks: tests/boot.rs runs both in the VM, whose init has it
// (`limits_are_raised_and_the_oom_score_lowered_with_a_user_namespace`).

#[test]
fn a_limit_that_cannot_be_set_is_named_in_the_error() {
    let r = Rootfs::new("users-rlimit-errors");
    let root = r.root_str();
    let nr_open: u64 = read_trimmed("/proc/sys/fs/nr_open").parse().unwrap();
    let over = format!("nofile={0}:{0}", nr_open + 1);
    let want = format!("nsinit: prlimit nofile: {EPERM} (--rlimit)");
    for userns in [&["--unshare", "user"][..], &MAPS[..], &[][..]] {
        let args = [&["--rootfs", root][..], userns, &["--rlimit", "core=0", "--rlimit", &over, IN_PROBE, "exit", "0"]].concat();
        assert_eq!(fails(r.nsinit(&args), 125), want, "{userns:?}");
    }
    // Without root a hard limit cannot be raised, user namespace or not;
    // lowered, it can.
    let nobody = ["--", "setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", NSINIT];
    let rootless = |rlimit: &str| {
        let mut cmd = Command::new("prlimit");
        cmd.args(["--nofile=1024:1024"]).args(nobody).args(["--rootfs", root, "--rlimit", rlimit, IN_PROBE, "cat", "/proc/self/limits"]);
        run(cmd, Some(&r))
    };
    assert_eq!(fails(rootless("nofile=2048"), 125), want);
    assert_eq!(limit(&ok(rootless("nofile=512:1000")), "Max open files"), pair("512", "1000"));
}

// ---------------------------------------------------------------------------
// The same options with --init and nothing else to set up (nsinit itself the
// init, as tini): once silently ignored
// ---------------------------------------------------------------------------

#[test]
fn init_with_nothing_else_to_set_up_still_applies_the_user_directory_and_limits() {
    let r = Rootfs::new("users-init-alone");
    let probe = r.probe_host_path();
    let dir = r.outside("work");
    fs::create_dir(&dir).unwrap();
    let dir = dir.to_str().unwrap();
    // 4242 has no entry in the host's /etc/passwd (the files are the host's here).
    let args = ["--init", "--unsetenv", "HOME", "--user", "4242:4242", "--groups", "5", "--chdir", dir, "--", &probe, "user"];
    assert_eq!(ok(r.nsinit(&args)), format!("uid=4242 gid=4242 groups=5 HOME=/ cwd={dir}\n"));
    let limits = ok(r.nsinit(&["--init", "--rlimit", "nofile=100:200", "--", &probe, "cat", "/proc/self/limits"]));
    assert_eq!(limit(&limits, "Max open files"), pair("100", "200"));
    assert_eq!(ok(r.nsinit(&["--init", "--oom-score-adj", "100", "--", &probe, "cat", "/proc/self/oom_score_adj"])), "100\n");
}
