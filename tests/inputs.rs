//! Inputs that used to hang nsinit or mislead its caller (issue 11, items
//! 11 to 16): seccomp profiles that stop the container's own exit or exec,
//! files that are not regular files, NUL bytes and control characters in
//! input, an error the container's process cannot print itself, and a
//! payload that asks to be traced.

mod harness;

use harness::*;
use std::os::unix::fs::symlink;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Writes a seccomp profile beside the rootfs; returns its path.
fn profile(r: &Rootfs, name: &str, text: &str) -> String {
    let path = r.outside(name);
    write_file(&path, text);
    path.to_str().expect("UTF-8").to_string()
}

// ===========================================================================
// Item 11: a profile that stops the container's own exec or exit
// ===========================================================================

#[test]
fn a_profile_that_refuses_execve_is_refused_before_anything_starts() {
    let r = Rootfs::new("profile-no-exec");
    for (name, text) in [
        ("deny-all-three", "deny execve\ndeny exit_group\ndeny exit\n"),
        ("deny-with-errno", "deny execve ENOENT\n"),
        ("kill", "kill execve\n"),
        ("default-deny", "default deny\n"),
        ("default-kill", "default kill\nallow exit_group\n"),
        ("later-line-wins", "allow execve\ndeny execve\n"),
    ] {
        let p = profile(&r, name, text);
        let line = fails(r.run(&["--seccomp", &p, IN_PROBE, "exit", "0"]), 126);
        assert_eq!(line, format!("nsinit: {p}: the seccomp profile does not allow execve, so the payload can never start"));
    }
    // With --init, nsinit's own exec as PID 1 (execveat) must pass too.
    let p = profile(&r, "no-execveat", "deny execveat\n");
    let line = fails(r.run(&["--init", "--seccomp", &p, IN_PROBE, "exit", "0"]), 126);
    assert_eq!(line, format!("nsinit: {p}: the seccomp profile does not allow execveat, so the payload can never start"));
    assert_eq!(r.run(&["--seccomp", &p, IN_PROBE, "exit", "7"]).code(), 7, "without --init execveat is not needed");
    // Allowed by a later line, or by the default: it starts.
    let p = profile(&r, "allowed-again", "deny execve\nallow execve\n");
    assert_eq!(r.run(&["--seccomp", &p, IN_PROBE, "exit", "3"]).code(), 3);
}

/// The container's process fails after the filter is in (its exec finds
/// nothing), with a profile that denies or kills its way out and its
/// `write`: nsinit still reports the failure, once, with the right code,
/// and promptly (before, it spun at 100 % CPU and nsinit hung unkillably).
#[test]
fn a_profile_that_denies_exit_and_write_still_gives_the_error_and_code() {
    let r = Rootfs::new("profile-no-exit");
    for (name, text) in [
        ("deny", "deny exit_group\ndeny exit\ndeny write\n"),
        ("errno", "deny exit_group EAGAIN\ndeny exit ENOSYS\ndeny write EIO\ndeny writev\n"),
        ("kill-exit", "kill exit_group\ndeny exit\n"),
        ("kill-both", "kill exit_group\nkill exit\nkill write\n"),
        ("allow-list", "default deny\nallow execve\n"),
    ] {
        let p = profile(&r, name, text);
        let started = Instant::now();
        let line = fails(r.run(&["--seccomp", &p, "/bin/nonexistent"]), 127);
        assert_sys_error(&line, "execve", "/bin/nonexistent", "ENOENT");
        assert!(started.elapsed() < Duration::from_secs(10), "{name}: took {:?}", started.elapsed());
        // Found but not executable: 126.
        let line = fails(r.run(&["--seccomp", &p, "/etc"]), 126);
        assert_sys_error(&line, "execve", "/etc", "EACCES");
    }
    // The same with --init: the error of nsinit's own setup comes through.
    let p = profile(&r, "init", "deny exit_group\ndeny exit\ndeny write\n");
    let line = fails(r.run(&["--init", "--seccomp", &p, "--chdir", "/nonexistent", IN_PROBE, "exit", "0"]), 125);
    assert_sys_error(&line, "chdir", "/nonexistent", "ENOENT");
}

// ===========================================================================
// Item 12: files that are not regular files
// ===========================================================================

#[test]
fn a_fifo_directory_or_device_as_config_or_profile_is_refused_at_once() {
    let r = Rootfs::new("not-regular");
    let fifo = r.outside("fifo");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("run mkfifo (coreutils)");
    assert!(status.success(), "mkfifo {}", fifo.display());
    let fifo = fifo.to_str().unwrap().to_string();
    let dir = r.outside("").to_str().unwrap().trim_end_matches('/').to_string();
    let link = r.outside("link-to-fifo");
    symlink(&fifo, &link).unwrap();
    let link = link.to_str().unwrap().to_string();
    for path in [&fifo, &link, &dir, &"/dev/null".to_string(), &"/dev/zero".to_string()] {
        let started = Instant::now();
        let line = fails(nsinit(&["--config", path, "x"]), 125);
        assert_eq!(line, format!("nsinit: {path}: not a regular file (config file)"));
        let line = fails(r.run(&["--seccomp", path, IN_PROBE, "exit", "0"]), 125);
        assert_eq!(line, format!("nsinit: {path}: not a regular file (seccomp profile)"));
        assert!(started.elapsed() < Duration::from_secs(10), "{path}: took {:?}", started.elapsed());
    }
}

// ===========================================================================
// Item 13: a NUL byte in a file
// ===========================================================================

#[test]
fn a_nul_byte_in_a_config_file_or_profile_names_its_line() {
    let r = Rootfs::new("nul");
    for (text, line_no) in [
        ("hostname a\0b\n", 1),
        ("# fine\nhostname ok\nsetenv A \"x\0y\"\n", 3),
        ("# a comment with a \0 in it\n", 1),
        ("hostname a\n\0", 2),
    ] {
        let conf = r.outside("nul.conf");
        std::fs::write(&conf, text).unwrap();
        let conf = conf.to_str().unwrap();
        let line = fails(nsinit(&["--config", conf, "--rootfs", r.root_str(), IN_PROBE, "hostname"]), 125);
        assert_eq!(line, format!("nsinit: {conf}:{line_no}: a NUL byte in the config file"), "for {text:?}");
    }
    let p = r.outside("nul.profile");
    std::fs::write(&p, "deny getpid\ndeny ex\0ecve\n").unwrap();
    let p = p.to_str().unwrap();
    let line = fails(r.run(&["--seccomp", p, IN_PROBE, "exit", "0"]), 125);
    assert_eq!(line, format!("nsinit: {p}:2: a NUL byte in the seccomp profile"));
}

// ===========================================================================
// Item 14: control characters in input are shown escaped, on one line
// ===========================================================================

#[test]
fn errors_show_control_characters_escaped_on_one_line() {
    let r = Rootfs::new("escapes");
    let line = fails(nsinit(&["--rlimit", "a\nb", "x"]), 125);
    assert!(line.ends_with("got 'a\\nb'"), "{line:?}");
    let line = fails(nsinit(&["--rootfs", "/no\x1b[31mpe\tx\r", "x"]), 125);
    assert_sys_error(&line, "bind", "/no\\x1b[31mpe\\tx\\r", "ENOENT");
    let line = fails(nsinit(&["--hostname", "a\x07", "--unshare", "uts", "--", "\x7f"]), 127);
    assert_sys_error(&line, "execve", "\\x7f", "ENOENT");
    // A backslash is doubled, so an escape is never ambiguous.
    let line = fails(nsinit(&["--cap-add", "a\\nb", "x"]), 125);
    assert!(line.contains("'a\\\\nb'"), "{line:?}");
    // UTF-8 is shown as it is.
    let line = fails(nsinit(&["--rootfs", "/nonexistent/é", "x"]), 125);
    assert_sys_error(&line, "bind", "/nonexistent/é", "ENOENT");
    // From a config file, with FILE:LINE.
    let conf = r.outside("ctl.conf");
    write_file(&conf, "hostname ok\nfrob\x1b]0;pwned\x07\n");
    let conf = conf.to_str().unwrap();
    assert_eq!(fails(nsinit(&["--config", conf, "x"]), 125), format!("nsinit: {conf}:2: unknown option 'frob\\x1b]0;pwned\\x07'"));
    // From the rootfs: a mount point the image made a symlink loop.
    symlink("loop\n", r.host("/loop\n")).unwrap();
    let line = fails(r.run(&["--tmpfs", "/loop\n/x", IN_PROBE, "exit", "0"]), 125);
    assert!(!line.contains('\n') && line.contains("/loop\\n/x"), "{line:?}");
}

// ===========================================================================
// Item 15: the message reaches the caller even when the container cannot print
// ===========================================================================

#[test]
fn a_tiny_memory_limit_still_gives_one_line_on_a_pipe() {
    let r = Rootfs::new("tiny-memory");
    for limit in ["4K", "8K", "12K"] {
        let out = r.run(&["--memory-max", limit, IN_PROBE, "exit", "0"]);
        let code = out.code();
        if code == 137 {
            // Killed while setting up: nsinit says so itself.
            let line = fails(out, 137);
            let report = format!("nsinit: container killed by the OOM killer ({}=", memory_limit_file());
            assert!(line.starts_with(&report), "{line:?}");
        } else {
            let line = fails(out, 125);
            assert!(line.len() > "nsinit: ".len() + 10, "{limit}: {line:?}");
        }
    }
    // Where the kernel runs out under 4K depends on what it allocates
    // first: the procfs mount itself (ENOMEM), or the /proc/self/fd lookup
    // that names the mount point (ENOENT). Either way, the cause is said.
    let line = fails(r.run(&["--memory-max", "4K", IN_PROBE, "exit", "0"]), 125);
    let said = |errno: &str| format!("nsinit: mount proc: {errno} on /proc (out of memory: the cgroup's memory limit is too small for the setup)");
    assert!(
        line == said("ENOMEM (Out of memory)") || line == said("ENOENT (No such file or directory)"),
        "{line:?}"
    );
}

// ===========================================================================
// Item 16: a stop is never taken for an exit
// ===========================================================================

#[test]
fn a_payload_that_asks_to_be_traced_runs_on_and_its_status_comes_back() {
    let r = Rootfs::new("traceme");
    for options in [&[][..], &["--init"], &["--share", "pid"], &["--init", "--share", "pid"]] {
        let run = |tail: &[&str]| {
            let mut args = options.to_vec();
            args.extend_from_slice(&[IN_PROBE, "traceme", IN_PROBE]);
            args.extend_from_slice(tail);
            r.run(&args)
        };
        assert_eq!(ok(run(&["args", "after the trap"])), "after the trap\n", "{options:?}");
        assert_eq!(run(&["exit", "3"]).code(), 3, "{options:?}");
        assert_eq!(run(&["exit", "0"]).code(), 0, "{options:?}");
        assert_eq!(run(&["kill", "11"]).code(), 128 + 11, "a fault: {options:?}");
    }
    // Under `nsinit bench`, too, such a start counts as a start.
    let out = r.nsinit(&["bench", "-n", "3", "--rootfs", r.root_str(), IN_PROBE, "traceme", IN_PROBE, "exit", "0"]);
    assert_eq!(out.code(), 0, "{out:?}");
}

/// A traced payload that stops itself with SIGSTOP is let go with that
/// signal: it stays stopped, untraced, nsinit waits on, and SIGCONT
/// resumes it.
#[test]
fn a_traced_payload_stopped_by_a_signal_stays_stopped_until_continued() {
    let r = Rootfs::new("traceme-stop");
    let host = HostState::take();
    // Not PID 1, which signals from inside its namespace cannot stop.
    let mut child = command(&["--rootfs", r.root_str(), "--share", "pid", IN_PROBE, "traceme", IN_PROBE, "kill", "19"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nsinit");
    let deadline = Instant::now() + Duration::from_secs(10);
    let pid = loop {
        let stopped = payload_pids(&r).into_iter().find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.rsplit(')').next().is_some_and(|t| t.trim_start().starts_with('T')))
        });
        if let Some(pid) = stopped {
            break pid;
        }
        assert!(child.try_wait().unwrap().is_none(), "nsinit ended before the payload stopped itself");
        assert!(Instant::now() < deadline, "the payload did not stop itself within 10 s");
        std::thread::sleep(Duration::from_millis(10));
    };
    let state = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(state.contains("TracerPid:\t0"), "let go untraced: {state}");
    assert!(child.try_wait().unwrap().is_none(), "a stop is not an end");
    Command::new("kill").args(["-CONT", &pid.to_string()]).status().expect("kill -CONT");
    let status = wait_with_timeout(&mut child, "nsinit with a stopped payload");
    assert_eq!(status.code(), Some(99), "SIGSTOP then SIGCONT: the probe's kill returns and it says so, exit 99");
    host.check(Some(&r), "traced payload stopped and continued");
}

/// A profile that would break what nsinit itself does after the filter is
/// in: `--init`'s PID 1 runs under it, and with `--allow-new-privs` the
/// identity changes come after it. Refused with the call and the reason,
/// rather than a hang (a denied wait4) or a bare exit 159 (a kill).
#[test]
fn a_profile_that_breaks_nsinits_own_steps_is_refused_with_the_reason() {
    let r = Rootfs::new("profile-own-steps");
    for (text, call) in [
        ("deny wait4\n", "wait4"),
        ("kill rt_sigprocmask\n", "rt_sigprocmask"),
        ("kill read\n", "read"),
        ("deny signalfd4 ENOSYS\n", "signalfd4"),
        ("deny clone\n", "clone"),
        ("deny kill\n", "kill"),
        ("default deny\nallow execve\nallow execveat\n", "wait4"),
    ] {
        let p = profile(&r, "init", text);
        let line = fails(r.run(&["--init", "--seccomp", &p, IN_PROBE, "exit", "3"]), 125);
        assert_eq!(line, format!("nsinit: {p}: the seccomp profile does not allow {call}, which --init needs"), "{text:?}");
        // Without --init nsinit needs none of them after the filter.
        if !text.starts_with("default") {
            assert_eq!(r.run(&["--seccomp", &p, IN_PROBE, "exit", "3"]).code(), 3, "{text:?} without --init");
        }
    }
    let p = profile(&r, "clone3", "deny clone3\n");
    let line = fails(r.run(&["--init", "--seccomp", &p, IN_PROBE, "exit", "3"]), 125);
    assert_eq!(line, format!("nsinit: {p}: the seccomp profile does not allow clone3 (nor makes it fail with ENOSYS), which --init needs"));
    let p = profile(&r, "clone3-enosys", "deny clone3 ENOSYS\n");
    assert_eq!(r.run(&["--init", "--seccomp", &p, IN_PROBE, "exit", "3"]).code(), 3, "ENOSYS: the init falls back to clone");

    for call in ["capset", "setresuid", "prctl", "close_range", "setgroups"] {
        let p = profile(&r, "early", &format!("kill {call}\n"));
        let line = fails(r.run(&["--allow-new-privs", "--user", "1000:1000", "--seccomp", &p, IN_PROBE, "exit", "3"]), 125);
        assert_eq!(
            line,
            format!("nsinit: {p}: the seccomp profile does not allow {call} (it kills), which nsinit calls after the filter with --allow-new-privs")
        );
        // With no_new_privs the filter goes in last: nothing of nsinit's is left to kill.
        assert_eq!(r.run(&["--user", "1000:1000", "--seccomp", &p, IN_PROBE, "exit", "3"]).code(), 3, "kill {call} with no_new_privs");
    }
}

/// With `--allow-new-privs` the filter is in before `--user` drops nsinit's
/// supplementary groups: a profile denying setgroups must fail the start,
/// not leave the payload with the caller's groups (EPERM was taken for a
/// user namespace's "deny").
#[test]
fn a_profile_denying_setgroups_fails_rather_than_keeping_the_callers_groups() {
    let r = Rootfs::new("profile-setgroups");
    let p = profile(&r, "setgroups", "deny setgroups\n");
    let mut cmd = Command::new("setpriv");
    cmd.args(["--groups", "0,6,42", NSINIT, "--rootfs", r.root_str(), "--allow-new-privs", "--user", "1000:1000", "--seccomp", &p, IN_PROBE, "id"]);
    let line = fails(run(cmd, Some(&r)), 125);
    assert_eq!(line, "nsinit: setgroups: EPERM (Operation not permitted)");
    // Rootless, where the user namespace denies setgroups, there are no groups to drop: it starts.
    let out = Command::new("setpriv")
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups", NSINIT, "--rootfs", r.root_str(), "--user", "0:0", IN_PROBE, "exit", "0"])
        .output()
        .expect("run setpriv (util-linux)");
    assert_eq!(out.status.code(), Some(0), "rootless --user 0:0: {out:?}");
}
