//! seccomp profiles in nsinit's text form, in real containers: conditions
//! on arguments (64-bit, ANDed, tried in order), every action, the ABIs
//! and the flags. The probe's `call` makes each call with the arguments
//! given and prints `ok` or the errno; the assembler's own decisions are
//! checked exhaustively by the unit tests (src/seccomp/bpf.rs).

mod harness;

use harness::*;

/// 128 + SIGSYS: how nsinit reports a payload the filter killed.
const KILLED_BY_SIGSYS: i32 = 128 + 31;

/// Runs the probe's `call` under the profile `text`; the calls are
/// separated by `,` in `calls`.
fn under(r: &Rootfs, text: &str, calls: &str) -> Out {
    let profile = r.outside("profile");
    write_file(&profile, text);
    let mut args = vec!["--seccomp", profile.to_str().unwrap(), IN_PROBE, "call"];
    args.extend(calls.split_whitespace());
    r.run(&args)
}

/// The lines the calls printed, checked against `want` (`CALL: RESULT`).
fn assert_calls(out: Out, want: &[(&str, &str)]) {
    let calls: Vec<String> = want.iter().map(|(call, result)| format!("{call} {result}")).collect();
    assert_eq!(ok_lines(out), calls);
}

fn joined(want: &[(&str, &str)]) -> String {
    want.iter().map(|(call, _)| *call).collect::<Vec<_>>().join(" , ")
}

#[test]
fn conditions_on_arguments_decide_each_call() {
    let r = Rootfs::new("seccomp-conditions");
    let profile = "default allow\n\
        deny getpid EACCES if arg0 == 40\n\
        deny getpid ENOSYS if arg0 & 0xffffffff00000000 != 0\n\
        deny getppid ENOTTY if arg1 > 0xffffffff and arg2 <= 5\n\
        deny getppid EBUSY if arg1 >= 10\n\
        deny getuid EPERM if arg0 == -1\n\
        deny getgid EIO if arg3 & 0xff == 0x12\n\
        deny getgid EXDEV if arg5 < 3\n\
        deny getgid ENOENT\n";
    let want = [
        ("getpid 40", "EACCES"),
        ("getpid 41", "ok"),
        ("getpid 0x100000028", "ENOSYS"),
        ("getpid -1", "ENOSYS"),
        ("getpid 0xffffffff", "ok"),
        ("getppid 0 0x100000000 0", "ENOTTY"),
        ("getppid 0 0x100000000 6", "EBUSY"),
        ("getppid 0 9", "ok"),
        ("getppid 0 10", "EBUSY"),
        ("getppid 0 0xffffffff 0", "EBUSY"),
        ("getuid -1", "EPERM"),
        ("getuid 0xffffffff", "ok"),
        ("getuid 0xfffffffffffffffe", "ok"),
        ("getgid 0 0 0 0x1212 0 9", "EIO"),
        ("getgid 0 0 0 0x1235 0 5", "ENOENT"),
        ("getgid", "EXDEV"),
        ("getgid 0 0 0 0x100000012 0 3", "EIO"),
        ("getgid 0 0 0 0 0 3", "ENOENT"),
    ];
    assert_calls(under(&r, profile, &joined(&want)), &want);
}

#[test]
fn i386_calls_are_compared_by_their_low_halves() {
    let r = Rootfs::new("seccomp-i386-args");
    // i386's getpid is 20.
    let profile = "deny getpid EACCES if arg0 == 0x100000028\nabi all\n";
    let want = [("i386:20 40", "EACCES"), ("i386:20 41", "ok"), ("getpid 40", "ok"), ("getpid 0x100000028", "EACCES")];
    assert_calls(under(&r, profile, &joined(&want)), &want);
    // Without the i386 ABI, its calls are killed.
    let out = under(&r, "deny getpid EACCES if arg0 == 40\nabi x86_64 x32\n", "getpid 40 , i386:20 41");
    assert_eq!((out.code(), out.stdout.as_str(), out.stderr.as_str()), (KILLED_BY_SIGSYS, "getpid 40 EACCES\n", ""), "{out:?}");
}

#[test]
fn every_action_does_what_it_says() {
    let r = Rootfs::new("seccomp-actions");
    for action in ["kill", "kill-thread", "trap"] {
        let out = under(&r, &format!("{action} getpid if arg0 == 7\n"), "getpid 6 , getpid 7 , getpid 8");
        assert_eq!((out.code(), out.stdout.as_str(), out.stderr.as_str()), (KILLED_BY_SIGSYS, "getpid 6 ok\n", ""), "{action}: {out:?}");
    }
    // Logged calls run; traced ones and notified ones fail with ENOSYS
    // with no tracer or supervisor to answer them.
    for (action, result) in [("log", "ok"), ("trace", "ENOSYS"), ("trace 5", "ENOSYS"), ("notify", "ENOSYS"), ("deny EROFS", "EROFS")] {
        let (verb, data) = action.split_once(' ').unwrap_or((action, ""));
        let out = under(&r, &format!("{verb} getpid {data} if arg0 == 7\n"), "getpid 6 , getpid 7");
        assert_calls(out, &[("getpid 6", "ok"), ("getpid 7", result)]);
    }
    // The default action, with what the probe needs allowed.
    let out = under(&r, "default deny EROFS\nallow execve\nallow exit_group\nallow write\n", "getpid , getppid");
    assert_calls(out, &[("getpid", "EROFS"), ("getppid", "EROFS")]);
    let out = under(&r, "default log\n", "getpid");
    assert_calls(out, &[("getpid", "ok")]);
}

#[test]
fn flags_go_with_the_filter() {
    let r = Rootfs::new("seccomp-flags");
    // wait_killable_recv without a listener is refused by the kernel
    // (EINVAL): the filter goes in without the flags, as crun does.
    for flags in ["log", "spec_allow", "log spec_allow", "wait_killable_recv"] {
        let out = under(&r, &format!("flags {flags}\ndeny getpid EACCES if arg0 == 1\n"), "getpid 1 , getpid 2");
        assert_calls(out, &[("getpid 1", "EACCES"), ("getpid 2", "ok")]);
    }
}

#[test]
fn bad_conditions_name_the_file_line_and_word() {
    let r = Rootfs::new("seccomp-bad");
    let profile = r.outside("profile");
    let p = profile.to_str().unwrap();
    for (text, want) in [
        ("allow getpid\ndeny getpid if arg6 == 1\n", "2: expected arg0 to arg5, not 'arg6'"),
        ("deny getpid if arg0 =! 1\n", "1: expected ==, !=, <, <=, > or >=, not '=!'"),
        ("deny getpid if arg0 == 0x1g\n", "1: expected a number, not '0x1g'"),
        ("deny getpid if arg0 & 0xf == 0x10\n", "1: the value has bits outside the mask '0x10'"),
        ("flags tsync\n", "1: expected log, spec_allow or wait_killable_recv, not 'tsync'"),
        ("kill-process getpid\n", "1: expected default, abi, flags or an action, not 'kill-process'"),
    ] {
        write_file(&profile, text);
        let line = fails(r.run(&["--seccomp", p, IN_PROBE, "exit", "0"]), 125);
        assert_eq!(line, format!("nsinit: {p}:{want}"), "{text:?}");
    }
    // A profile that kills what the payload needs to start.
    write_file(&profile, "trap execve if arg1 != 0\n");
    let out = r.run(&["--seccomp", p, IN_PROBE, "exit", "0"]);
    assert_eq!(out.code(), KILLED_BY_SIGSYS, "{out:?}");
}
