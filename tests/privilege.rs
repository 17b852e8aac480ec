//! The payload's privileges (issue 11): the capability sets a root and a
//! non-root payload get, that the container dies with nsinit whatever
//! identity it runs as, the terminal a container must not type into, the
//! filter's 32-bit ABIs, and that the payload cannot trace `--init`.

mod harness;
use harness::*;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

/// The capabilities runc and Docker keep, by number (capabilities(7)).
const RUNC_CAPS: u64 = 0xa80425fb;
const CAP_NET_BIND_SERVICE: u32 = 10;
const CAP_SYS_ADMIN: u32 = 21;

/// `[CapBnd, CapPrm, CapEff, CapInh, CapAmb]` of the probe that printed
/// its `/proc/self/status`.
fn cap_sets(status: &str) -> [u64; 5] {
    let f: BTreeMap<&str, &str> = status.lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k, v.trim())).collect();
    ["CapBnd", "CapPrm", "CapEff", "CapInh", "CapAmb"]
        .map(|name| u64::from_str_radix(f.get(name).unwrap_or_else(|| panic!("no {name} in {status}")), 16).expect("a hex set"))
}

fn sets_with(r: &Rootfs, options: &[&str]) -> [u64; 5] {
    cap_sets(&ok(r.run(&[options, &[IN_PROBE, "cat", "/proc/self/status"]].concat())))
}

/// What the probe says of one thing, as `NAME RESULT` lines.
fn probe_says(r: &Rootfs, options: &[&str], probe: &[&str]) -> String {
    ok(r.run(&[options, &[IN_PROBE], probe].concat()))
}

/// A root-only /etc/shadow in the rootfs.
fn with_shadow(r: &Rootfs) {
    let shadow = r.host("/etc/shadow");
    write_file(&shadow, "root:*:19000:0:99999:7:::\n");
    fs::set_permissions(&shadow, fs::Permissions::from_mode(0o600)).expect("chmod /etc/shadow");
}

// ===========================================================================
// Items 7 and 8: capabilities of a non-root user; the inheritable set
// ===========================================================================

#[test]
fn a_non_root_user_gets_no_capabilities_but_keeps_the_bounding_set() {
    let r = Rootfs::new("caps-non-root");
    with_shadow(&r);
    for options in [&["--user", "1000"][..], &["--user", "1000:1000"], &["--user", "1000:1000", "--groups", "1000,5"], &["--user", "65534:0"]] {
        assert_eq!(sets_with(&r, options), [RUNC_CAPS, 0, 0, 0, 0], "{options:?}: CapBnd CapPrm CapEff CapInh CapAmb");
        assert_eq!(probe_says(&r, options, &["setuid0"]), "setuid EPERM\n", "{options:?}");
        assert_eq!(probe_says(&r, options, &["bind", "80"]), "bind EACCES\n", "{options:?}");
        let out = r.run(&[options, &[IN_PROBE, "cat", "/etc/shadow"]].concat());
        assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /etc/shadow: EACCES (Permission denied)\n"), "{options:?}");
    }
    // Root in the container, named or not, keeps the container's set.
    for options in [&[][..], &["--user", "0"], &["--user", "0:1000"]] {
        assert_eq!(sets_with(&r, options), [RUNC_CAPS, RUNC_CAPS, RUNC_CAPS, 0, 0], "{options:?}");
        assert_eq!(probe_says(&r, options, &["cat", "/etc/shadow"]), "root:*:19000:0:99999:7:::\n", "{options:?}");
        assert_eq!(probe_says(&r, options, &["bind", "80"]), "bind ok\n", "{options:?}");
    }
}

#[test]
fn cap_add_gives_a_non_root_user_what_it_names_in_every_set() {
    let r = Rootfs::new("caps-non-root-add");
    let bind = 1 << CAP_NET_BIND_SERVICE;
    let options = ["--user", "1000", "--cap-add", "NET_BIND_SERVICE"];
    assert_eq!(sets_with(&r, &options), [RUNC_CAPS, bind, bind, bind, bind], "{options:?}");
    assert_eq!(probe_says(&r, &options, &["bind", "80"]), "bind ok\n");
    assert_eq!(probe_says(&r, &options, &["setuid0"]), "setuid EPERM\n", "only what is named");
    // Named then dropped: the last word wins, and nothing is left.
    let options = ["--user", "1000:1000", "--cap-add", "net_bind_service", "--cap-drop", "CAP_NET_BIND_SERVICE"];
    assert_eq!(sets_with(&r, &options), [RUNC_CAPS & !bind, 0, 0, 0, 0], "{options:?}");
    assert_eq!(probe_says(&r, &options, &["bind", "80"]), "bind EACCES\n");
    // A capability outside the default set goes into the bounding set too.
    let admin = 1 << CAP_SYS_ADMIN;
    let options = ["--user", "1000", "--cap-drop", "ALL", "--cap-add", "SYS_ADMIN", "--cap-add", "NET_BIND_SERVICE"];
    assert_eq!(sets_with(&r, &options), [admin | bind, admin | bind, admin | bind, admin | bind, admin | bind], "{options:?}");
    // --cap-drop alone gives a non-root user nothing either.
    assert_eq!(sets_with(&r, &["--user", "1000", "--cap-drop", "CHOWN"]), [RUNC_CAPS & !1, 0, 0, 0, 0]);
}

#[test]
fn the_inheritable_set_is_empty() {
    let r = Rootfs::new("caps-inheritable");
    assert_eq!(sets_with(&r, &[]), [RUNC_CAPS, RUNC_CAPS, RUNC_CAPS, 0, 0], "the default container");
    let admin = RUNC_CAPS | 1 << CAP_SYS_ADMIN;
    assert_eq!(sets_with(&r, &["--cap-add", "SYS_ADMIN"]), [admin, admin, admin, 0, 0], "root with --cap-add");
    assert_eq!(sets_with(&r, &["--cap-drop", "ALL"]), [0; 5]);
    // --bare --cap-add ALL: every set but the inheritable one holds them all.
    let bare = ["--bare", "--unshare", "mnt,pid", "--proc", "/proc", "--cap-add", "ALL"];
    let [bnd, prm, eff, inh, amb] = sets_with(&r, &bare);
    assert_eq!((bnd, inh, amb), (prm, 0, 0), "--bare --cap-add ALL: CapBnd CapInh CapAmb");
    assert_eq!(prm, eff);
    assert!(prm & 1 << CAP_SYS_ADMIN != 0, "--cap-add ALL keeps CAP_SYS_ADMIN: {prm:#x}");
}

#[test]
fn a_non_root_user_in_a_user_namespace_gets_no_capabilities_either() {
    let r = Rootfs::new("caps-non-root-userns");
    let maps = ["--unshare", "user", "--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536"];
    assert_eq!(sets_with(&r, &[&maps[..], &["--user", "1000"]].concat()), [RUNC_CAPS, 0, 0, 0, 0]);
    let bind = 1 << CAP_NET_BIND_SERVICE;
    let options = [&maps[..], &["--user", "1000", "--cap-add", "NET_BIND_SERVICE"]].concat();
    assert_eq!(sets_with(&r, &options), [RUNC_CAPS, bind, bind, bind, bind]);
    assert_eq!(probe_says(&r, &options, &["bind", "80"]), "bind ok\n");
}

// ===========================================================================
// Item 5: the container dies with nsinit, whoever the payload is
// ===========================================================================

/// Starts `nsinit --rootfs R OPTIONS probe sleep 100`, SIGKILLs nsinit
/// `after` its start (or, with `None`, once the probe runs), and checks
/// that within 5 s no process runs from the rootfs and the host is as it
/// was.
fn dies_with_nsinit(r: &Rootfs, options: &[&str], after: Option<Duration>) {
    let mut args = vec!["--rootfs", r.root_str()];
    args.extend_from_slice(options);
    args.extend_from_slice(&[IN_PROBE, "sleep", "100"]);
    let what = format!("{args:?} killed {after:?} after its start");
    let host = HostState::take();
    let mut child = command(&args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn nsinit");
    match after {
        Some(delay) => thread::sleep(delay),
        None => {
            let deadline = Instant::now() + Duration::from_secs(10);
            while payload_pids(r).is_empty() {
                if Instant::now() > deadline || child.try_wait().expect("try_wait").is_some() {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("{what}: the probe never ran");
                }
                thread::sleep(Duration::from_millis(2));
            }
        }
    }
    child.kill().expect("SIGKILL nsinit");
    child.wait().expect("reap nsinit");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = processes_from(r);
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "{what}: 5 s later, still running: {left:?}");
        thread::sleep(Duration::from_millis(20));
    }
    host.check(Some(r), &what);
}

const USERNS: [&str; 6] = ["--unshare", "user", "--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536"];

/// Every identity, with and without --init, with and without a pid
/// namespace.
fn identities() -> Vec<Vec<&'static str>> {
    let ids: [&[&str]; 7] = [
        &["--user", "1000"],
        &["--user", "1000:1000", "--groups", "1000,5"],
        &["--user", "1000", "--cap-add", "NET_BIND_SERVICE"],
        &["--user", "0:1000", "--cap-drop", "ALL"],
        &["--cap-add", "SYS_ADMIN", "--cap-drop", "CHOWN"],
        &USERNS,
        &[],
    ];
    let mut all = Vec::new();
    for id in ids {
        for more in [&[][..], &["--init"], &["--share", "pid"], &["--init", "--share", "pid"]] {
            // A user namespace's root cannot mount the host pid namespace's /proc.
            if id != USERNS || !more.contains(&"pid") {
                all.push([id, more].concat());
            }
        }
    }
    all.push([&USERNS[..], &["--user", "1000", "--init"]].concat());
    all
}

#[test]
fn the_container_dies_with_nsinit_whoever_the_payload_is() {
    let r = Rootfs::new("pdeath-identities");
    for options in identities() {
        dies_with_nsinit(&r, &options, None);
    }
}

#[test]
fn the_container_dies_with_nsinit_killed_at_any_moment_of_its_start() {
    let r = Rootfs::new("pdeath-moments");
    let options: [&[&str]; 4] = [
        &["--user", "1000:1000", "--groups", "5"],
        &["--user", "1000", "--init", "--share", "pid"],
        &["--share", "pid", "--user", "1000", "--cap-add", "KILL"],
        [&USERNS[..], &["--user", "1000:1000", "--init"]].concat().leak(),
    ];
    for options in options {
        for micros in [0, 200, 500, 1000, 1500, 2000, 3000, 5000, 8000, 12000, 20000] {
            dies_with_nsinit(&r, options, Some(Duration::from_micros(micros)));
        }
    }
}

// ===========================================================================
// Item 10: ptrace is allowed, as in Docker, but not on --init's PID 1
// ===========================================================================

#[test]
fn the_payload_cannot_attach_to_the_init_but_can_trace_its_own() {
    let r = Rootfs::new("ptrace-init");
    for options in [&["--init"][..], &["--init", "--user", "1000"], &["--init", "--init-pgroup"], &["--init", "--unshare", "user"]] {
        assert_eq!(probe_says(&r, options, &["ptrace", "1"]), "ptrace EPERM\n", "{options:?}");
    }
    for options in [&["--init", "--share", "pid"][..], &["--init", "--share", "pid", "--user", "1000:1000"]] {
        assert_eq!(probe_says(&r, options, &["ptrace", "parent"]), "ptrace EPERM\n", "{options:?}");
    }
    // The init still works after: the payload's status comes back.
    let out = r.run(&["--init", IN_PROBE, "exit", "7"]);
    assert_eq!((out.code(), out.stderr.as_str()), (7, ""));
    // ptrace itself is allowed, as in Docker: the kernel, not the filter,
    // answers (no process 0).
    assert_eq!(probe_says(&r, &[], &["ptrace", "0"]), "ptrace ESRCH\n", "allowed by the filter: the kernel answers");
    // CAP_SYS_PTRACE, asked for, attaches to anything, as on the host.
    assert_eq!(probe_says(&r, &["--init", "--cap-add", "SYS_PTRACE"], &["ptrace", "1"]), "ptrace ok\n");
}

// ===========================================================================
// Item 6: the container cannot type into the caller's terminal
// ===========================================================================

/// Runs `nsinit ARGS...` in a session of its own whose controlling terminal
/// is a new pty, with that pty (`stdin` "tty") or /dev/null ("null") as
/// standard input; afterwards reads what waits in the terminal's input,
/// which the caller's shell would read next. Prints `code N`, `injected
/// HEX`, then nsinit's stdout; nsinit's stderr goes to its stderr.
const IN_A_TERMINAL: &str = r#"
import fcntl, os, subprocess, sys, termios, tty
master, slave = os.openpty()
tty.setraw(slave)
def take_the_terminal():
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
stdin = slave if sys.argv[1] == "tty" else subprocess.DEVNULL
p = subprocess.run(sys.argv[2:], stdin=stdin, stdout=subprocess.PIPE, start_new_session=True, preexec_fn=take_the_terminal)
os.set_blocking(slave, False)
try:
    injected = os.read(slave, 4096)
except BlockingIOError:
    injected = b""
sys.stdout.write("code %d\ninjected %s\n" % (p.returncode, injected.hex()))
sys.stdout.buffer.write(p.stdout)
"#;

/// `(exit code, what was typed into the terminal, the probe's stdout)`.
fn in_a_terminal(r: &Rootfs, stdin: &str, options: &[&str], probe: &[&str]) -> (i32, String, String) {
    let mut cmd = std::process::Command::new("python3");
    cmd.args(["-c", IN_A_TERMINAL, stdin, NSINIT, "--rootfs", r.root_str()]).args(options).arg(IN_PROBE).args(probe);
    let what = format!("{options:?} {probe:?} with {stdin} on stdin");
    let out = run(cmd, Some(r));
    assert!(out.status.success(), "python3 (its pty module) is needed: apt-get install python3; {what}: {out:?}");
    assert_eq!(out.stderr, "", "{what}");
    let mut lines = out.stdout.splitn(3, '\n');
    let code = lines.next().and_then(|l| l.strip_prefix("code ")).and_then(|n| n.parse().ok()).expect("code");
    let hex = lines.next().and_then(|l| l.strip_prefix("injected ")).expect("injected").to_string();
    let bytes: Vec<u8> = (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex")).collect();
    (code, String::from_utf8_lossy(&bytes).into_owned(), lines.next().unwrap_or_default().to_string())
}

#[test]
fn the_payload_cannot_push_input_into_the_callers_terminal() {
    let r = Rootfs::new("tiocsti");
    let typed = "echo pwned\n";
    // Without the filter it can: what this test would miss otherwise.
    for cmd in ["tiocsti", "tiocsti-high"] {
        let got = in_a_terminal(&r, "tty", &["--seccomp", "off"], &[cmd, typed]);
        assert_eq!(got, (0, typed.to_string(), "TIOCSTI ok\n".to_string()), "{cmd} without a filter");
    }
    for options in [
        &[][..],
        &["--user", "1000"],
        &["--init"],
        &["--init", "--init-pgroup"],
        &["--cap-add", "ALL"],
        &["--share", "pid"],
        &["--unshare", "user"],
        &["--bare", "--unshare", "mnt,pid", "--proc", "/proc", "--seccomp", "default"],
    ] {
        for cmd in ["tiocsti", "tiocsti-high"] {
            let got = in_a_terminal(&r, "tty", options, &[cmd, typed]);
            assert_eq!(got, (0, String::new(), "TIOCSTI EPERM\n".to_string()), "{cmd} with {options:?}");
        }
        let got = in_a_terminal(&r, "tty", options, &["tioclinux"]);
        assert_eq!(got, (0, String::new(), "TIOCLINUX EPERM\n".to_string()), "tioclinux with {options:?}");
    }
    // The kernel's own answer on a pty, without the filter.
    assert_eq!(in_a_terminal(&r, "tty", &["--seccomp", "off"], &["tioclinux"]).2, "TIOCLINUX ENOTTY\n");
}

#[test]
fn without_a_terminal_on_stdin_the_payload_runs_in_a_session_of_its_own() {
    let r = Rootfs::new("setsid");
    for options in [&[][..], &["--seccomp", "off"], &["--user", "1000:1000"], &["--share", "pid"], &["--bare", "--unshare", "mnt", "--dev", "/dev"]] {
        // The caller's terminal is not its controlling terminal any more.
        assert_eq!(in_a_terminal(&r, "null", options, &["ctty"]), (0, String::new(), "ctty ENXIO\n".to_string()), "{options:?}");
        assert_eq!(in_a_terminal(&r, "null", options, &["session"]).2, "leader\n", "{options:?}");
    }
    assert_eq!(in_a_terminal(&r, "null", &["--init"], &["session"]).2, "member\n", "--init's payload is in --init's session");
    assert_eq!(in_a_terminal(&r, "null", &["--init"], &["ctty"]).2, "ctty ENXIO\n");
    // With the terminal on stdin it stays in the caller's session, for job control.
    for options in [&[][..], &["--init", "--init-pgroup"]] {
        assert_eq!(in_a_terminal(&r, "tty", options, &["session"]).2, "member\n", "{options:?}");
        assert_eq!(in_a_terminal(&r, "tty", options, &["ctty"]).2, "ctty ok\n", "{options:?}");
    }
}

/// bubblewrap's `--new-session` (issue 12, item 15): a new session, away
/// from the caller's terminal, even with that terminal on stdin, where
/// nsinit otherwise keeps the payload in the caller's session.
#[test]
fn new_session_leaves_the_callers_terminal_even_with_it_on_stdin() {
    let r = Rootfs::new("new-session");
    for options in [&["--new-session"][..], &["--new-session", "--seccomp", "off"], &["--bare", "--dev", "/dev", "--new-session"], &["--new-session", "--share", "pid"]] {
        assert_eq!(in_a_terminal(&r, "tty", options, &["session"]).2, "leader\n", "{options:?}");
        assert_eq!(in_a_terminal(&r, "tty", options, &["ctty"]), (0, String::new(), "ctty ENXIO\n".to_string()), "{options:?}");
    }
    // Out of the terminal's session, the payload cannot type into it even
    // without the filter (TIOCSTI on a terminal not its own needs
    // CAP_SYS_ADMIN, which the default container does not keep).
    let typed = in_a_terminal(&r, "tty", &["--new-session", "--seccomp", "off"], &["tiocsti", "x"]);
    assert_eq!(typed, (0, String::new(), "TIOCSTI EPERM\n".to_string()));
    // Under --init the new session is the init's: the payload has no terminal either.
    assert_eq!(in_a_terminal(&r, "tty", &["--init", "--new-session"], &["ctty"]).2, "ctty ENXIO\n");
    // Without it, as before: the caller's session.
    assert_eq!(in_a_terminal(&r, "tty", &["--bare", "--dev", "/dev"], &["session"]).2, "member\n");
    assert_eq!(in_a_terminal(&r, "tty", &["--bare", "--dev", "/dev"], &["ctty"]).2, "ctty ok\n");
}

// ===========================================================================
// Item 9: i386 and x32 calls get the x86_64 decisions
// ===========================================================================

/// What the probe's `i386 syscalls` or `x32 syscalls` got, as one string.
fn abi_results(r: &Rootfs, options: &[&str], abi: &str) -> String {
    probe_says(r, options, &[abi, "syscalls"])
}

#[test]
fn i386_and_x32_calls_are_decided_as_the_x86_64_ones() {
    let r = Rootfs::new("seccomp-abis");
    // The kernel's answers without a filter: never EPERM. x32 may be off
    // in the kernel (Debian's is, unless booted with syscall.x32=y).
    let i386_unfiltered = "unshare EINVAL\nkeyctl ENOKEY\nmount EFAULT\nioctl-tiocsti EBADF\nclone3 EINVAL\ngetpid ok\n";
    assert_eq!(abi_results(&r, &["--seccomp", "off"], "i386"), i386_unfiltered);
    let x32_unfiltered = abi_results(&r, &["--seccomp", "off"], "x32");
    assert!(!x32_unfiltered.contains("EPERM"), "{x32_unfiltered}");
    let x32_on = !x32_unfiltered.contains("getpid ENOSYS");
    // The default filter: as the x86_64 calls (see tests/container.rs).
    let denied = "unshare EPERM\nkeyctl EPERM\nmount EPERM\nioctl-tiocsti EPERM\nclone3 ENOSYS\n";
    for options in [&[][..], &["--user", "1000"], &["--unshare", "user"]] {
        assert_eq!(abi_results(&r, options, "i386"), format!("{denied}getpid ok\n"), "{options:?}");
        let getpid = if x32_on { "getpid ok\n" } else { "getpid ENOSYS\n" };
        assert_eq!(abi_results(&r, options, "x32"), format!("{denied}{getpid}"), "{options:?}");
    }
    // CAP_SYS_ADMIN opens mounts and namespaces for every ABI alike.
    let admin = abi_results(&r, &["--cap-add", "SYS_ADMIN"], "i386");
    assert_eq!(admin, "unshare EINVAL\nkeyctl EPERM\nmount EFAULT\nioctl-tiocsti EPERM\nclone3 EINVAL\ngetpid ok\n");
    // The old probe test: getpid through i386 runs.
    assert_eq!(probe_says(&r, &[], &["i386"]), "returned 1\n");
}

#[test]
fn a_profile_file_decides_other_abis_only_when_it_says_abi_all() {
    let r = Rootfs::new("seccomp-abis-file");
    let profile = r.outside("profile");
    let p = profile.to_str().expect("UTF-8");
    write_file(&profile, "deny unshare\nabi all\n");
    assert_eq!(abi_results(&r, &["--seccomp", p], "i386"), "unshare EPERM\nkeyctl ENOKEY\nmount EFAULT\nioctl-tiocsti EBADF\nclone3 EINVAL\ngetpid ok\n");
    write_file(&profile, "deny unshare\nabi all\nabi x86_64\n");
    let out = r.run(&["--seccomp", p, IN_PROBE, "i386", "syscalls"]);
    assert_eq!((out.code(), out.stdout.as_str(), out.stderr.as_str()), (128 + 31, "", ""), "killed by SIGSYS");
    // `abi x32` decides x32's calls, not i386's (issue 13).
    write_file(&profile, "deny unshare\nabi x32\n");
    let out = r.run(&["--seccomp", p, IN_PROBE, "i386", "syscalls"]);
    assert_eq!((out.code(), out.stdout.as_str(), out.stderr.as_str()), (128 + 31, "", ""), "i386 killed by SIGSYS");
    write_file(&profile, "abi x64\n");
    let line = fails(r.run(&["--seccomp", p, IN_PROBE, "i386"]), 125);
    assert_eq!(line, format!("nsinit: {p}:1: expected all, x86_64, i386 or x32, not 'x64'"));
}
