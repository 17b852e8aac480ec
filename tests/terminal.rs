//! Terminals and job control (issue 12, items 1-5): nsinit run from an
//! interactive shell on a real pseudo-terminal, driven by a test harness
//! that types keys and reads the screen (`harness::pty`), as a person would.
//!
//! The caller's shell is bash with job control; the container's shell is
//! Debian's static busybox. Each test asserts the exact result: how many
//! signals the payload counted, what the shell printed, what `read` read.

mod harness;

use harness::pty::{PROMPT, Terminal};
use harness::*;
use std::time::Duration;

/// The container's shell prompt (busybox `sh -i`), set with `--setenv PS1`.
const BOX_PROMPT: &str = "box$ ";

/// `nsinit --rootfs ROOT OPTIONS... PAYLOAD...` as a shell command line.
fn line(r: &Rootfs, options: &[&str], payload: &str) -> String {
    let mut words = vec![NSINIT.to_string(), "--rootfs".into(), r.root_str().into()];
    words.extend(options.iter().map(|o| o.to_string()));
    format!("{} {payload}", words.join(" "))
}

/// The line `sigcount` printed, once the payload has ended.
fn counted(t: &mut Terminal) -> String {
    let (_, line) = t.expect_regex("counted[^\r\n]*");
    line
}

/// The option sets every job-control test runs with: a payload that is
/// PID 1 of its namespace, nsinit as that PID 1 (`--init`), signals to
/// the payload's group, and no pid namespace at all.
const SETUPS: [&[&str]; 5] = [&[], &["--init"], &["--init", "--init-pgroup"], &["--share", "pid"], &["--init", "--share", "pid"]];

// ===========================================================================
// Item 1: one Ctrl-C is one SIGINT (dumb-init#30)
// ===========================================================================

#[test]
fn one_key_is_one_signal() {
    let r = Rootfs::new("tty-one-sigint");
    for options in SETUPS {
        for (key, name) in [('c', "INT"), ('\\', "QUIT")] {
            let host = HostState::take();
            let mut t = Terminal::shell(&[]);
            t.type_line(&line(&r, options, &format!("{IN_PROBE} sigcount 300")));
            t.expect("ready");
            t.ctrl(key);
            assert_eq!(counted(&mut t), format!("counted {name}=1"), "Ctrl-{key} with {options:?}");
            t.expect(PROMPT);
            t.type_line("echo status=$?");
            t.expect("status=0");
            host.check(Some(&r), &format!("Ctrl-{key} with {options:?}"));
        }
    }
}

#[test]
fn one_window_change_is_one_sigwinch() {
    let r = Rootfs::new("tty-one-sigwinch");
    for options in SETUPS {
        let host = HostState::take();
        let mut t = Terminal::shell(&[]);
        t.type_line(&line(&r, options, &format!("{IN_PROBE} sigcount 300")));
        t.expect("ready");
        t.resize(100, 40);
        assert_eq!(counted(&mut t), "counted WINCH=1", "a resize with {options:?}");
        t.expect(PROMPT);
        host.check(Some(&r), &format!("a resize with {options:?}"));
    }
}

#[test]
fn a_signal_sent_to_nsinit_alone_is_still_passed_on_once() {
    let r = Rootfs::new("tty-kill-int");
    for options in SETUPS {
        let host = HostState::take();
        let mut t = Terminal::shell(&[]);
        // $! is nsinit: started in the background, then waited for.
        t.type_line(&format!("{} & sleep 0.5; kill -INT $!; wait $!; echo status=$?", line(&r, options, &format!("{IN_PROBE} sigcount 300"))));
        assert_eq!(counted(&mut t), "counted INT=1", "kill -INT nsinit with {options:?}");
        t.expect("status=0");
        host.check(Some(&r), &format!("kill -INT with {options:?}"));
    }
}

// ===========================================================================
// Item 2: the caller keeps its terminal (bubblewrap#744)
// ===========================================================================

/// Runs `sh SCRIPT` from the caller's shell, where SCRIPT is `NSINIT...
/// /bin/sh -i; read x; echo "read: $x."` (the repro of bubblewrap#744),
/// does `inside` in the container's shell, then types a line for the
/// caller's `read`; returns what `echo` printed.
fn read_after(r: &Rootfs, options: &[&str], inside: &str) -> String {
    let script = r.outside("read-after.sh");
    let nsinit = line(r, options, &format!("--setenv PS1 '{BOX_PROMPT}' /bin/sh -i"));
    write_file(&script, &format!("{nsinit}\nread x\necho \"read: $x.\"\n"));
    let host = HostState::take();
    let mut t = Terminal::shell(&[]);
    eprintln!("read_after: {options:?}, then {inside:?}");
    t.type_line(&format!("sh {}", script.display()));
    t.expect(BOX_PROMPT);
    t.type_line(inside);
    // Once the container is gone, the caller's read waits for a line.
    std::thread::sleep(Duration::from_millis(500));
    t.type_line("hello");
    let (_, got) = t.expect_regex("read: [^\r\n]*");
    t.expect(PROMPT);
    host.check(Some(r), &format!("{options:?} then {inside:?}"));
    got
}

#[test]
fn the_callers_read_works_after_an_interactive_shell_in_the_container() {
    let r = Rootfs::with_busybox("tty-read-after");
    for options in SETUPS {
        assert_eq!(read_after(&r, options, "exit"), "read: hello.", "{options:?}, the shell exits");
    }
    // The payload dies of a signal: kill -9 of itself works where it is
    // not the init of its namespace.
    for options in [&["--init"][..], &["--init", "--init-pgroup"], &["--share", "pid"]] {
        assert_eq!(read_after(&r, options, "kill -9 $$"), "read: hello.", "{options:?}, the shell is killed");
    }
}

// ===========================================================================
// Item 3: Ctrl-Z and background jobs (dumb-init#25)
// ===========================================================================

/// The state letter (`/proc/PID/stat`'s third field) of every process
/// running from `r`: `T` for stopped.
fn states(r: &Rootfs) -> Vec<char> {
    let mut all: Vec<char> = processes_from(r)
        .iter()
        .filter_map(|p| p.split(' ').next())
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .filter_map(|stat| stat.rsplit_once(") ").and_then(|(_, rest)| rest.chars().next()))
        .collect();
    all.sort();
    all
}

/// Waits until every process from `r` is stopped (at least `n` of them).
fn all_stopped(r: &Rootfs, n: usize, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let s = states(r);
        if s.len() >= n && s.iter().all(|&c| c == 'T') {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{what}: the container is not stopped: states {s:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_z_stops_the_whole_job_and_fg_continues_it() {
    let r = Rootfs::new("tty-ctrl-z");
    for options in SETUPS {
        let what = format!("Ctrl-Z with {options:?}");
        let host = HostState::take();
        let mut t = Terminal::shell(&[]);
        t.type_line(&line(&r, options, &format!("{IN_PROBE} readline")));
        while payload_pids(&r).is_empty() {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(200));
        t.ctrl('z');
        let (_, stopped) = t.expect_regex(r"\[1\]\+ +Stopped[^\r\n]*");
        assert!(stopped.ends_with(&format!("{IN_PROBE} readline")), "{what}: {stopped}");
        t.expect(PROMPT);
        all_stopped(&r, 1, &what);
        t.type_line("fg");
        t.expect("readline");
        t.type_line("hello");
        t.expect("read hello");
        t.expect(PROMPT);
        t.type_line("echo status=$?");
        t.expect("status=0");
        host.check(Some(&r), &what);
    }
}

#[test]
fn a_container_in_the_background_that_reads_the_terminal_stops_until_fg() {
    let r = Rootfs::new("tty-background-read");
    for options in SETUPS {
        let what = format!("a background read with {options:?}");
        let host = HostState::take();
        let mut t = Terminal::shell(&[]);
        t.type_line(&format!("{} &", line(&r, options, &format!("{IN_PROBE} readline"))));
        t.expect(PROMPT);
        all_stopped(&r, 1, &what);
        // Stopped, not spinning, and so is the job: nsinit too (bash says
        // `Stopped`, whatever the signal, outside its POSIX mode).
        t.type_line("jobs");
        let (_, job) = t.expect_regex(r"\[1\]\+ +Stopped +[^\r\n]*");
        assert!(job.ends_with(&format!("{IN_PROBE} readline")), "{what}: {job}");
        t.type_line("fg");
        t.expect("readline");
        t.type_line("hello");
        t.expect("read hello");
        t.expect(PROMPT);
        t.type_line("echo status=$?");
        t.expect("status=0");
        host.check(Some(&r), &what);
    }
}

#[test]
fn a_shell_in_the_container_keeps_its_own_job_control() {
    // Ctrl-Z at the container's shell stops its own job, not the container.
    let r = Rootfs::with_busybox("tty-inner-jobs");
    for options in [&[][..], &["--init"]] {
        let host = HostState::take();
        let mut t = Terminal::shell(&[]);
        t.type_line(&line(&r, options, &format!("--setenv PS1 '{BOX_PROMPT}' /bin/sh -i")));
        t.expect(BOX_PROMPT);
        t.type_line("sleep 30");
        std::thread::sleep(Duration::from_millis(300));
        t.ctrl('z');
        t.expect_regex(r"\[1\]\+ +Stopped +sleep 30");
        t.expect(BOX_PROMPT);
        t.type_line("kill -9 %1");
        t.expect(BOX_PROMPT);
        // The shell learns of the kill when it reaps the job, which may come
        // after its next command: ask again while it still says Stopped.
        // (The marker is computed so that the typed line's echo is not it.)
        let mut seen = String::new();
        for _ in 0..50 {
            t.type_line("jobs; echo end-$((6*7))");
            seen = t.expect("end-42");
            t.expect(BOX_PROMPT);
            if !seen.contains("Stopped") {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(seen.contains("Killed"), "{options:?}: jobs after kill -9 %1: {seen:?}");
        t.type_line("exit 3");
        t.expect(PROMPT);
        t.type_line("echo status=$?");
        t.expect("status=3");
        host.check(Some(&r), &format!("a shell's own job with {options:?}"));
    }
}

// ===========================================================================
// Item 4: a PID 1 that ignores the stop signals is killed after --stop-timeout
// ===========================================================================

/// Starts `nsinit --rootfs ROOT ARGS...`, waits for its payload, sends
/// nsinit `signal` (`TERM`, `INT`, `HUP`); returns the exit code, stderr
/// and how long nsinit took to end after the signal.
fn stop_with(r: &Rootfs, args: &[&str], signal: &str) -> (i32, String, Duration) {
    use std::process::Stdio;
    let mut all = vec!["--rootfs", r.root_str()];
    all.extend_from_slice(args);
    let what = format!("{all:?} and SIG{signal}");
    let host = HostState::take();
    let mut child = command(&all).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("spawn nsinit");
    let stderr = drain(child.stderr.take());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    // The payload runs, and has had time to block what it blocks.
    while payload_pids(r).is_empty() {
        assert!(std::time::Instant::now() < deadline, "{what}: the payload never ran");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(200));
    let sent = std::time::Instant::now();
    let ok = std::process::Command::new("kill").args(["-s", signal, &child.id().to_string()]).status().expect("kill(1)");
    assert!(ok.success(), "{what}: kill failed");
    let status = wait_with_timeout(&mut child, &what);
    let took = sent.elapsed();
    host.check(Some(r), &what);
    (status.code().expect("nsinit exits, not killed"), stderr.join().expect("stderr"), took)
}

#[test]
fn a_payload_that_ignores_stop_signals_is_killed_after_the_stop_timeout() {
    let r = Rootfs::new("tty-stop-timeout");
    // PID 1 without handlers (the kernel drops the signals), and a payload
    // under --init, or without a pid namespace, that blocks them.
    let cases: [&[&str]; 4] = [
        &[IN_PROBE, "sleep", "100"],
        &["--init", IN_PROBE, "deaf", "100"],
        &["--init", "--init-pgroup", IN_PROBE, "deaf", "100"],
        &["--share", "pid", IN_PROBE, "deaf", "100"],
    ];
    for payload in cases {
        for (signal, name) in [("TERM", "SIGTERM"), ("INT", "SIGINT"), ("HUP", "SIGHUP")] {
            let mut args = vec!["--stop-timeout", "1"];
            args.extend_from_slice(payload);
            let (code, stderr, took) = stop_with(&r, &args, signal);
            let what = format!("{payload:?} and SIG{signal}");
            assert_eq!(code, 137, "{what}: killed");
            assert_eq!(stderr, format!("nsinit: {name} did not stop the container in 1 s (--stop-timeout): SIGKILL\n"), "{what}");
            assert!(took >= Duration::from_millis(950), "{what}: killed before the timeout: {took:?}");
            assert!(took < Duration::from_secs(5), "{what}: killed late: {took:?}");
        }
    }
    // A payload that ends on the signal is not touched by the clock.
    let (code, stderr, took) = stop_with(&r, &["--stop-timeout", "1", "--init", IN_PROBE, "signals"], "TERM");
    assert_eq!((code, stderr.as_str()), (143, ""), "a payload that handles SIGTERM");
    assert!(took < Duration::from_millis(900), "{took:?}");
}

#[test]
fn the_default_stop_timeout_is_ten_seconds() {
    let r = Rootfs::new("tty-stop-default");
    for args in [&[IN_PROBE, "sleep", "100"][..], &["--init", IN_PROBE, "deaf", "100"]] {
        let (code, stderr, took) = stop_with(&r, args, "TERM");
        assert_eq!(code, 137, "{args:?}");
        assert_eq!(stderr, "nsinit: SIGTERM did not stop the container in 10 s (--stop-timeout): SIGKILL\n", "{args:?}");
        assert!(took >= Duration::from_millis(9900) && took < Duration::from_secs(14), "{args:?}: {took:?}");
    }
}

#[test]
fn ctrl_c_at_a_shell_in_the_container_does_not_start_the_clock() {
    // The terminal's SIGINT is the shell's to handle: no SIGKILL follows.
    let r = Rootfs::with_busybox("tty-ctrl-c-shell");
    for options in [&[][..], &["--init"]] {
        let host = HostState::take();
        let mut t = Terminal::shell(&[]);
        t.type_line(&line(&r, options, &format!("--stop-timeout 1 --setenv PS1 '{BOX_PROMPT}' /bin/sh -i")));
        t.expect(BOX_PROMPT);
        t.ctrl('c');
        std::thread::sleep(Duration::from_millis(2000));
        t.type_line("echo still here");
        t.expect("still here");
        t.type_line("exit 4");
        t.expect(PROMPT);
        t.type_line("echo status=$?");
        t.expect("status=4");
        host.check(Some(&r), &format!("Ctrl-C at a shell with {options:?}"));
    }
}

// ===========================================================================
// Item 5: --tty, a terminal of the container's own
// ===========================================================================

/// The PID of the one child of `pid` (nsinit, run by the test's shell).
fn only_child(pid: i32) -> i32 {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        if let Some(child) = text.split_whitespace().next() {
            return child.parse().expect("a pid");
        }
        assert!(std::time::Instant::now() < deadline, "{pid} started no child");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Saves the caller's terminal settings in the shell variable `saved`.
fn save_settings(t: &mut Terminal) {
    t.type_line("saved=$(stty -g); echo saved");
    t.expect("saved\r\n");
    t.expect(PROMPT);
}

/// Checks the caller's terminal has the settings `save_settings` saved.
#[track_caller]
fn settings_are_back(t: &mut Terminal, what: &str) {
    t.type_line("[ \"$(stty -g)\" = \"$saved\" ] && echo settings back || { echo settings changed; stty -a; }");
    let (_, got) = t.expect_regex("settings (back|changed)");
    assert_eq!(got, "settings back", "{what}: {}", t.screen);
    t.expect(PROMPT);
}

#[test]
fn tty_gives_the_payload_a_pty_of_the_containers_own() {
    let r = Rootfs::with_busybox("tty-pty");
    for (options, ps) in [(&[][..], r"\s+1 136,0\s+sh"), (&["--init"], r"\s+2 136,0\s+sh"), (&["--user", "1000:1000"], r"\s+1 136,0\s+sh")] {
        let what = format!("--tty with {options:?}");
        let host = HostState::take();
        let mut t = Terminal::shell(&[]);
        save_settings(&mut t);
        let mut all = vec!["--tty"];
        all.extend_from_slice(options);
        t.type_line(&line(&r, &all, "/bin/sh -c 'tty; ps -o pid,tty,comm; ls -ln /dev/pts/0; stty size; exit 7'"));
        t.expect("/dev/pts/0\r\n");
        t.expect_regex(ps);
        let owner = if options.contains(&"--user") { "1000 +1000" } else { "0 +5" };
        t.expect_regex(&format!(r"crw--w---- +1 +{owner} +136, +0 [^\r\n]*/dev/pts/0"));
        t.expect("24 80\r\n");
        t.expect(PROMPT);
        t.type_line("echo status=$?");
        t.expect("status=7");
        settings_are_back(&mut t, &what);
        host.check(Some(&r), &what);
    }
}

#[test]
fn tty_relays_keys_raw_so_ctrl_c_is_the_containers() {
    let r = Rootfs::with_busybox("tty-keys");
    for options in [&[][..], &["--init"]] {
        let what = format!("--tty with {options:?}");
        let host = HostState::take();
        let mut t = Terminal::shell(&[]);
        save_settings(&mut t);
        // One Ctrl-C, one SIGINT, through the container's own line discipline.
        let mut all = vec!["--tty"];
        all.extend_from_slice(options);
        t.type_line(&line(&r, &all, &format!("{IN_PROBE} sigcount 300")));
        t.expect("ready");
        t.ctrl('c');
        assert_eq!(counted(&mut t), "counted INT=1", "{what}");
        t.expect(PROMPT);
        // A shell inside: Ctrl-C ends its sleep, not the container.
        all.extend_from_slice(&["--setenv", "PS1", BOX_PROMPT_QUOTED]);
        t.type_line(&line(&r, &all, "/bin/sh -i"));
        t.expect(BOX_PROMPT);
        t.type_line("sleep 30");
        std::thread::sleep(Duration::from_millis(300));
        t.ctrl('c');
        t.expect(BOX_PROMPT);
        t.type_line("echo alive");
        t.expect("alive");
        t.type_line("exit 6");
        t.expect(PROMPT);
        t.type_line("echo status=$?");
        t.expect("status=6");
        settings_are_back(&mut t, &what);
        host.check(Some(&r), &what);
    }
}

/// `BOX_PROMPT` quoted for a shell command line.
const BOX_PROMPT_QUOTED: &str = "'box$ '";

#[test]
fn tty_passes_window_size_changes_on() {
    let r = Rootfs::with_busybox("tty-winch");
    let host = HostState::take();
    let mut t = Terminal::shell(&[]);
    t.type_line(&line(&r, &["--tty"], &format!("{IN_PROBE} sigcount 300")));
    t.expect("ready");
    t.resize(100, 40);
    assert_eq!(counted(&mut t), "counted WINCH=1");
    t.expect(PROMPT);
    t.type_line(&line(&r, &["--tty", "--setenv", "PS1", BOX_PROMPT_QUOTED], "/bin/sh -i"));
    t.expect(BOX_PROMPT);
    t.type_line("stty size");
    t.expect("40 100\r\n");
    t.resize(120, 50);
    std::thread::sleep(Duration::from_millis(300));
    t.type_line("stty size");
    t.expect("50 120\r\n");
    t.type_line("exit");
    t.expect(PROMPT);
    host.check(Some(&r), "--tty and a resize");
}

#[test]
fn tty_gives_the_terminal_its_settings_back_after_a_signal() {
    let r = Rootfs::with_busybox("tty-signal");
    for options in [&[][..], &["--init"]] {
        let what = format!("--tty with {options:?}, then SIGTERM");
        let host = HostState::take();
        let mut t = Terminal::shell(&[]);
        save_settings(&mut t);
        let mut all = vec!["--tty", "--stop-timeout", "1", "--setenv", "PS1", BOX_PROMPT_QUOTED];
        all.extend_from_slice(options);
        t.type_line(&line(&r, &all, "/bin/sh -i"));
        t.expect(BOX_PROMPT);
        // An interactive shell ignores SIGTERM: the clock kills it.
        let nsinit = only_child(t.pid());
        let sent = std::process::Command::new("kill").args(["-TERM", &nsinit.to_string()]).status().expect("kill(1)");
        assert!(sent.success(), "{what}");
        t.expect("SIGTERM did not stop the container in 1 s (--stop-timeout): SIGKILL");
        t.expect(PROMPT);
        t.type_line("echo status=$?");
        t.expect("status=137");
        settings_are_back(&mut t, &what);
        host.check(Some(&r), &what);
    }
}

#[test]
fn tty_without_a_terminal_relays_plain_stdin_and_stdout() {
    let r = Rootfs::with_busybox("tty-pipes");
    let script = format!("printf 'hi\\n' | {}", line(&r, &["--tty"], "/bin/sh -c 'read x; tty; echo \"got $x\"; read y || echo end'"));
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", &script]);
    let out = run(cmd, Some(&r));
    // The pty echoes what it is given (before the read that gets it
    // returns), and ends its lines with \r\n; the end of stdin ends a read.
    assert_eq!((out.code(), out.stdout.as_str(), out.stderr.as_str()), (0, "hi\r\n/dev/pts/0\r\ngot hi\r\nend\r\n", ""));
    // bench starts many containers with no relay: refused.
    let out = nsinit(&["bench", "-n", "1", "--tty", "--rootfs", r.root_str(), IN_PROBE, "exit", "0"]);
    assert_eq!(fails(out, 125), "nsinit: bench: --tty does not go with bench");
}
