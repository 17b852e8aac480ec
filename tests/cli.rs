//! The command line as bubblewrap and Docker users type it (issue 12,
//! items 15 to 17), checked by starting real containers: bubblewrap's
//! `--unshare-X` words and `--die-with-parent`, `--option=value`, nsinit
//! with no arguments as a container's PID 1, `--cpus` over the CPUs there
//! are, and the name of the `--init` PID 1. (The parsing itself is
//! unit-tested in src/config; `--new-session` is in tests/privilege.rs, with
//! the terminal it is about.)

mod harness;
use harness::*;

use std::fs;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const USAGE: &str = "nsinit: no command given (usage: nsinit [OPTION]... [--] COMMAND [ARG]...; see --help)";

// ===========================================================================
// Item 15: bubblewrap's words, and --option=value
// ===========================================================================

#[test]
fn bubblewrap_unshare_words_create_exactly_their_namespace() {
    let r = Rootfs::new("cli-unshare-words");
    let probe = r.probe_host_path();
    for word in NAMESPACES {
        assert_eq!(namespaces_of(&r, &[&format!("--unshare-{word}")], &probe), set(&[word]), "--unshare-{word}");
    }
    // bubblewrap's usual pair.
    let mut want = all_namespaces();
    want.remove("net");
    assert_eq!(namespaces_of(&r, &["--unshare-all", "--share-net"], &probe), want, "--unshare-all --share-net");
    let mut want = set(&DEFAULT_NAMESPACES);
    want.remove("net");
    assert_eq!(namespaces_of(&r, &[&format!("--rootfs={}", r.root_str()), "--share-net"], IN_PROBE), want, "--rootfs=R --share-net");
}

#[test]
fn an_option_value_after_an_equals_sign_is_the_same_option() {
    let r = Rootfs::new("cli-equals");
    let root = format!("--rootfs={}", r.root_str());
    assert_eq!(ok(r.nsinit(&[&root, "--hostname=box", IN_PROBE, "hostname"])), "box\n");
    assert_eq!(ok(r.nsinit(&[&root, "--chdir=/etc", "--setenv=A", "b=c", IN_PROBE, "cwd"])), "/etc\n");
    assert_eq!(fails(r.nsinit(&[&root, "--bare=yes", IN_PROBE, "exit", "0"]), 125), "nsinit: --bare: takes no argument");
}

/// `sh -c 'nsinit ... & echo $!; wait'`, killed with SIGKILL once the
/// payload runs: whether nsinit outlived its caller (it is then killed
/// here), and that the container never outlives nsinit.
fn outlives_its_caller(r: &Rootfs, options: &[&str]) -> bool {
    let _lock = serial();
    let mut sh = Command::new("sh");
    sh.args(["-c", "\"$@\" & echo $!; wait", "sh", NSINIT, "--rootfs", r.root_str()]).args(options).args([IN_PROBE, "sleep", "100"]);
    let mut sh = sh.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawn sh");
    let mut line = String::new();
    BufReader::new(sh.stdout.take().expect("stdout")).read_line(&mut line).expect("read nsinit's pid");
    let nsinit: u32 = line.trim().parse().unwrap_or_else(|_| panic!("not a pid: {line:?}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while payload_pids(r).is_empty() {
        assert!(Instant::now() < deadline, "the payload never ran");
        thread::sleep(Duration::from_millis(5));
    }
    sh.kill().expect("SIGKILL sh");
    sh.wait().expect("reap sh");
    // Dead, or a zombie its new parent has yet to reap.
    let alive = || fs::read_to_string(format!("/proc/{nsinit}/stat")).is_ok_and(|s| s.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')));
    let settle = Instant::now() + Duration::from_millis(500);
    while alive() && Instant::now() < settle {
        thread::sleep(Duration::from_millis(5));
    }
    let outlived = alive();
    if outlived {
        let _ = Command::new("kill").args(["-KILL", &nsinit.to_string()]).status();
    }
    while !processes_from(r).is_empty() {
        assert!(Instant::now() < deadline + Duration::from_secs(5), "the container outlived nsinit");
        thread::sleep(Duration::from_millis(5));
    }
    outlived
}

#[test]
fn die_with_parent_ends_nsinit_and_the_container_with_the_caller() {
    let r = Rootfs::new("cli-die-with-parent");
    assert!(outlives_its_caller(&r, &[]), "without --die-with-parent nsinit outlives its caller (what the option is for)");
    for options in [&["--die-with-parent"][..], &["--die-with-parent", "--init"], &["--bare", "--unshare-pid", "--die-with-parent"]] {
        assert!(!outlives_its_caller(&r, options), "{options:?}: nsinit outlived its caller");
    }
}

// ===========================================================================
// Item 16: nsinit with no arguments as a container's PID 1
// ===========================================================================

/// Each way a container can have nsinit, without arguments, as its payload:
/// the usage error at once, never the system init (which fails its mounts
/// and then waits forever as PID 1 must).
#[test]
fn no_arguments_as_a_containers_pid_1_is_a_usage_error_at_once() {
    let r = Rootfs::new("cli-no-args");
    {
        // Copied under the lock every spawn takes (see Rootfs::with_dirs).
        let _lock = serial();
        fs::copy(NSINIT, r.host("/bin/nsinit-copy")).expect("copy nsinit into the rootfs");
    }
    for options in [
        // The default container: its filter denies reboot (EPERM).
        &[][..],
        // No filter and every capability: reboot says EINVAL, as in any
        // pid namespace but the first.
        &["--seccomp", "off", "--cap-add", "ALL"],
        // No /proc in the container at all.
        &["--bare", "--unshare-pid", "--seccomp", "off"],
        // Not PID 1: the host's pid namespace, or under --init.
        &["--share", "pid"],
        &["--init"],
    ] {
        let started = Instant::now();
        let mut args = options.to_vec();
        args.push("/bin/nsinit-copy");
        let line = fails(r.run(&args), 125);
        assert_eq!(line, USAGE, "{options:?}");
        assert!(started.elapsed() < Duration::from_secs(10), "{options:?}: took {:?}", started.elapsed());
    }
    // On the host, as ever.
    assert_eq!(fails(nsinit(&[]), 125), USAGE);
}

// ===========================================================================
// Item 17: --cpus over the CPUs there are; the --init PID 1's name
// ===========================================================================

#[test]
fn cpus_above_the_cpus_nsinit_may_run_on_are_refused_as_docker_refuses_them() {
    let r = Rootfs::new("cli-cpus");
    let n = thread::available_parallelism().expect("the CPU count").get();
    for over in [format!("{}", n + 1), format!("{n}.00001"), "1000000".to_string()] {
        let line = fails(r.run(&["--cpus", &over, IN_PROBE, "exit", "0"]), 125);
        assert_eq!(line, format!("nsinit: --cpus {over}: more CPUs than the {n} nsinit may run on"));
    }
    assert_eq!(r.run(&["--cpus", &n.to_string(), IN_PROBE, "exit", "7"]).code(), 7, "--cpus {n}");
    // What nsinit may run on, not what the machine has: taskset's one CPU.
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", "0", NSINIT, "--rootfs", r.root_str(), "--cpus", "1.5", IN_PROBE, "exit", "0"]);
    let out = run(cmd, Some(&r));
    assert_eq!(fails(out, 125), "nsinit: --cpus 1.5: more CPUs than the 1 nsinit may run on", "taskset (util-linux) is needed");
    // --cpu-max is not checked, as Docker's --cpu-quota is not.
    let quota = format!("{}/100000", (n + 1) * 100_000);
    assert_eq!(r.run(&["--cpu-max", &quota, IN_PROBE, "exit", "7"]).code(), 7);
    // The last word wins: --cpu-max after --cpus drops the check.
    assert_eq!(r.run(&["--cpus", &(n + 1).to_string(), "--cpu-max", "50000", IN_PROBE, "exit", "7"]).code(), 7);
}

#[test]
fn the_init_pid_1_is_named_nsinit_not_after_its_memfd() {
    let r = Rootfs::new("cli-init-name");
    for options in [&["--init"][..], &["--init-pgroup"], &["--init", "--unshare-user"]] {
        let mut args = options.to_vec();
        args.extend([IN_PROBE, "cat", "/proc/1/comm"]);
        assert_eq!(ok(r.run(&args)), "nsinit\n", "{options:?}");
    }
    let stat = ok(r.run(&["--init", IN_PROBE, "cat", "/proc/1/stat"]));
    assert!(stat.starts_with("1 (nsinit) "), "{stat}");
}
