//! What a container asks of the kernel beyond new namespaces and mounts
//! (issue 13): namespaces joined by path (`--join`), sysctls, the umask,
//! devices, the personality, scheduling, I/O priority, CPU affinity, time
//! offsets and LSM labels, each seen from inside by the probe, with the
//! attacker's variants and bad input.

mod harness;
use harness::*;

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, symlink};

const PROBE_AT: &str = IN_PROBE;

/// The probe's `/proc/self/stat` fields (1-based, as proc(5) numbers
/// them), read inside the container started with `args`.
fn stat_fields(r: &Rootfs, args: &[&str]) -> Vec<String> {
    let mut all = args.to_vec();
    all.extend([PROBE_AT, "cat", "/proc/self/stat"]);
    let out = ok(r.run(&all));
    // The command name (field 2) is in parentheses and has no blank here.
    let mut fields = vec![String::new()];
    fields.extend(out.split_whitespace().map(str::to_string));
    fields
}

/// A line of the probe's `/proc/self/status`, its value.
fn status(r: &Rootfs, args: &[&str], key: &str) -> String {
    let mut all = args.to_vec();
    all.extend([PROBE_AT, "cat", "/proc/self/status"]);
    let out = ok(r.run(&all));
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")).map(|v| v.trim().to_string()))
        .unwrap_or_else(|| panic!("no {key} in {out}"))
}

fn probe(r: &Rootfs, args: &[&str], command: &[&str]) -> String {
    let mut all = args.to_vec();
    all.push(PROBE_AT);
    all.extend_from_slice(command);
    ok(r.run(&all)).trim_end().to_string()
}

fn error(r: &Rootfs, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend([PROBE_AT, "pid"]);
    fails(r.run(&all), 125)
}

/// `nsinit ARGS...` while a held container (`start`) has the test lock
/// and will check the host when it finishes.
fn beside(args: &[&str]) -> Out {
    let what = format!("nsinit {args:?}");
    let mut child = command(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn nsinit");
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_with_timeout(&mut child, &what);
    let out = Out { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() };
    assert_no_internal_failure(&out, &what);
    out
}

fn ns_of(pid: u32, ns: &str) -> String {
    fs::read_link(format!("/proc/{pid}/ns/{ns}")).expect("read a namespace link").to_string_lossy().into_owned()
}

// ---------------------------------------------------------------------------
// 1. Namespaces joined by path
// ---------------------------------------------------------------------------

#[test]
fn join_enters_another_containers_namespaces_and_makes_the_rest() {
    let (a, b) = (Rootfs::new("join-a"), Rootfs::new("join-b"));
    let held = start(&a, &["--rootfs", a.root_str(), "--hostname", "held"], PROBE_AT);
    let pid = held.pid;
    let joins: Vec<String> = ["uts", "ipc", "net", "pid"].iter().map(|ns| format!("{ns}:/proc/{pid}/ns/{ns}")).collect();
    let mut args = vec!["--rootfs", b.root_str()];
    for j in &joins {
        args.extend(["--join", j]);
    }
    args.extend([PROBE_AT, "readlink", "/proc/self/ns/net"]);
    let net = ok(beside(&args));
    assert_eq!(net.trim(), ns_of(pid, "net"), "the held container's network namespace");
    let mut args: Vec<&str> = args[..args.len() - 3].to_vec();
    args.extend([PROBE_AT, "hostname"]);
    assert_eq!(ok(beside(&args)).trim(), "held", "its uts namespace, and no default hostname written over it");
    let mut args: Vec<&str> = args[..args.len() - 2].to_vec();
    args.extend([PROBE_AT, "pid"]);
    let in_pid = ok(beside(&args));
    assert_ne!(in_pid.trim(), "1", "a process of the held container's pid namespace, not the first of a new one");
    // The mount namespace is a new one all the same.
    let mut args: Vec<&str> = args[..args.len() - 2].to_vec();
    args.extend([PROBE_AT, "readlink", "/proc/self/ns/mnt"]);
    assert_ne!(ok(beside(&args)).trim(), ns_of(pid, "mnt"));
    held.finish();
}

#[test]
fn a_joined_network_namespace_is_what_sysfs_shows() {
    let (a, b) = (Rootfs::new("join-sysfs-a"), Rootfs::new("join-sysfs-b"));
    let held = start(&a, &["--rootfs", a.root_str()], PROBE_AT);
    let names = |text: &str| -> Vec<String> {
        let mut v: Vec<String> = text.lines().skip(2).filter_map(|l| l.split(':').next()).map(|n| n.trim().to_string()).collect();
        v.sort();
        v
    };
    let theirs = names(&fs::read_to_string(format!("/proc/{}/net/dev", held.pid)).unwrap());
    let host = names(&fs::read_to_string("/proc/self/net/dev").unwrap());
    assert_ne!(theirs, host, "the host has interfaces of its own besides lo");
    let net = format!("net:/proc/{}/ns/net", held.pid);
    let seen = ok(beside(&["--rootfs", b.root_str(), "--join", &net, PROBE_AT, "ls", "/sys/class/net"]));
    let mut seen: Vec<String> = seen.lines().map(str::to_string).collect();
    seen.sort();
    assert_eq!(seen, theirs, "/sys of the joined network namespace, never the host's");
    held.finish();
}

#[test]
fn join_a_user_namespace_then_make_the_rest_in_it() {
    let (a, b) = (Rootfs::new("join-user-a"), Rootfs::new("join-user-b"));
    // Host root is root inside too: the held probe reopens its stdin, a
    // pipe of the host root's.
    let maps = ["--uid-map", "0:0:65536", "--gid-map", "0:0:65536"];
    let mut options = vec!["--rootfs", a.root_str()];
    options.extend(maps);
    let held = start(&a, &options, PROBE_AT);
    let pid = held.pid;
    let (user, pidns) = (format!("user:/proc/{pid}/ns/user"), format!("pid:/proc/{pid}/ns/pid"));
    let args = ["--rootfs", b.root_str(), "--join", &user, "--join", &pidns];
    let mut all = args.to_vec();
    all.extend([PROBE_AT, "id"]);
    let id = ok(beside(&all));
    assert!(id.starts_with("uid=0 gid=0"), "root of the joined namespace: {id}");
    let mut all = args.to_vec();
    all.extend([PROBE_AT, "readlink", "/proc/self/ns/user"]);
    assert_eq!(ok(beside(&all)).trim(), ns_of(pid, "user"));
    // The new namespaces belong to it: the mounts were made from inside it.
    let mut all = args.to_vec();
    all.extend([PROBE_AT, "cat", "/proc/self/uid_map"]);
    assert_eq!(ok(beside(&all)).split_whitespace().collect::<Vec<_>>(), ["0", "0", "65536"]);
    held.finish();
}

#[test]
fn join_refuses_what_is_not_a_namespace_of_the_type_named() {
    let r = Rootfs::new("join-bad");
    let root = r.root_str();
    let cases: &[(&[&str], &str)] = &[
        (&["--join", "net:/etc/passwd"], "nsinit: join net namespace /etc/passwd: not a namespace file"),
        (&["--join", "net:/proc/self/ns/uts"], "nsinit: join net namespace /proc/self/ns/uts: a uts namespace, not net"),
        (&["--join", "net:/nonexistent"], "nsinit: open /nonexistent: ENOENT (No such file or directory) (to join its net namespace)"),
        (&["--join", "net:/proc/self/ns/net", "--join", "net:/proc/self/ns/net"], "nsinit: --join: the net namespace is joined twice"),
        (&["--join", "nett:/x"], "nsinit: --join: expected TYPE:PATH; got 'nett:/x'"),
        (&["--join", "net:"], "nsinit: --join: expected TYPE:PATH; got 'net:'"),
        // Entering one's own user namespace is no namespace change (EINVAL).
        (&["--share", "pid", "--join", "user:/proc/self/ns/user"], "nsinit: setns user: EINVAL (Invalid argument) (joining the namespace)"),
        (
            &["--join", "user:/proc/self/ns/user"],
            "nsinit: with a joined user namespace, the pid and time namespaces must be joined or shared too",
        ),
        (
            &["--share", "pid", "--join", "user:/proc/self/ns/user", "--uid-map", "0:1000:1"],
            "nsinit: a joined user namespace has its own uid and gid maps: give none",
        ),
        (&["--join", "time:/proc/self/ns/time", "--time-offset", "monotonic=1"], "nsinit: --time-offset needs a new time namespace; drop '--share time' or '--join time'"),
    ];
    for (args, want) in cases {
        let mut all = vec!["--rootfs", root];
        all.extend_from_slice(args);
        assert_eq!(error(&r, &all), *want, "for {args:?}");
    }
}

// ---------------------------------------------------------------------------
// 2. Sysctls
// ---------------------------------------------------------------------------

#[test]
fn sysctls_of_the_containers_own_namespaces_are_written_there() {
    let r = Rootfs::new("sysctl");
    let root = r.root_str();
    let host_shmmax = read_trimmed("/proc/sys/kernel/shmmax");
    let host_forward = read_trimmed("/proc/sys/net/ipv4/ip_forward");
    let args = ["--rootfs", root, "--sysctl", "kernel.shmmax=123456", "--sysctl", "net/ipv4/ip_forward=1", "--sysctl", "fs.mqueue.msg_max=17"];
    assert_eq!(probe(&r, &args, &["cat", "/proc/sys/kernel/shmmax"]), "123456");
    assert_eq!(probe(&r, &args, &["cat", "/proc/sys/net/ipv4/ip_forward"]), "1");
    assert_eq!(probe(&r, &args, &["cat", "/proc/sys/fs/mqueue/msg_max"]), "17");
    assert_eq!(probe(&r, &["--rootfs", root, "--sysctl", "kernel.domainname=inside"], &["domainname"]), "inside");
    assert_eq!(read_trimmed("/proc/sys/kernel/shmmax"), host_shmmax, "the host's is untouched");
    assert_eq!(read_trimmed("/proc/sys/net/ipv4/ip_forward"), host_forward);
    // The last word on a key wins.
    assert_eq!(probe(&r, &["--rootfs", root, "--sysctl", "kernel.shmmni=100", "--sysctl", "kernel.shmmni=200"], &["cat", "/proc/sys/kernel/shmmni"]), "200");
}

#[test]
fn sysctls_that_would_change_the_host_are_refused() {
    let r = Rootfs::new("sysctl-bad");
    let root = r.root_str();
    let not_ns = |key: &str| {
        format!("nsinit: sysctl {key}: not in a namespace of the container's own (only kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*, kernel.hostname, kernel.domainname)")
    };
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["--sysctl", "kernel.core_pattern=|/tmp/x"], not_ns("kernel.core_pattern")),
        (vec!["--sysctl", "vm.overcommit_memory=1"], not_ns("vm.overcommit_memory")),
        (vec!["--sysctl", "net/../kernel/core_pattern=x"], not_ns("net/../kernel/core_pattern")),
        (vec!["--sysctl", "net..ipv4=x"], not_ns("net..ipv4")),
        (vec!["--share", "net", "--sysctl", "net.ipv4.ip_forward=1"], "nsinit: sysctl net.ipv4.ip_forward: needs a net namespace of the container's own".into()),
        (
            vec!["--join", "net:/proc/self/ns/net", "--sysctl", "net.ipv4.ip_forward=1"],
            "nsinit: sysctl net.ipv4.ip_forward: needs a net namespace of the container's own".into(),
        ),
        (vec!["--share", "ipc", "--sysctl", "kernel.shmmax=1"], "nsinit: sysctl kernel.shmmax: needs a ipc namespace of the container's own".into()),
        (vec!["--share", "uts", "--sysctl", "kernel.domainname=x"], "nsinit: sysctl kernel.domainname: needs a uts namespace of the container's own".into()),
        (vec!["--sysctl", "kernel.shmmax"], "nsinit: --sysctl: expected KEY=VALUE; got 'kernel.shmmax'".into()),
        (vec!["--sysctl", "=1"], "nsinit: --sysctl: expected KEY=VALUE; got '=1'".into()),
    ];
    let host = read_trimmed("/proc/sys/kernel/core_pattern");
    for (args, want) in &cases {
        let mut all = vec!["--rootfs", root];
        all.extend_from_slice(args);
        assert_eq!(&error(&r, &all), want, "for {args:?}");
    }
    assert_eq!(read_trimmed("/proc/sys/kernel/core_pattern"), host);
    // A value the kernel refuses: its error, naming the key.
    let line = error(&r, &["--rootfs", root, "--sysctl", "kernel.shmmax=lots"]);
    assert_eq!(line, "nsinit: write /proc/sys/kernel/shmmax: EINVAL (Invalid argument) (sysctl kernel.shmmax)");
    let line = error(&r, &["--rootfs", root, "--sysctl", "net.ipv4.no_such_knob=1"]);
    assert_eq!(line, "nsinit: open /proc/sys/net/ipv4/no_such_knob: ENOENT (No such file or directory) (sysctl net.ipv4.no_such_knob)");
}

// ---------------------------------------------------------------------------
// 3. The umask
// ---------------------------------------------------------------------------

#[test]
fn umask_is_the_payloads() {
    let r = Rootfs::new("umask");
    let root = r.root_str();
    assert_eq!(status(&r, &["--rootfs", root, "--umask", "0027"], "Umask"), "0027");
    assert_eq!(status(&r, &["--rootfs", root, "--umask", "0"], "Umask"), "0000");
    // Without --umask, nsinit's own (the test's: 0022 as the harness runs).
    let own = status(&r, &["--rootfs", root], "Umask");
    assert_eq!(own, fs::read_to_string("/proc/self/status").unwrap().lines().find_map(|l| l.strip_prefix("Umask:")).unwrap().trim());
    for bad in ["0999", "1777", "", "022x"] {
        assert_eq!(error(&r, &["--rootfs", root, "--umask", bad]), format!("nsinit: --umask: expected OCTAL; got '{bad}'"));
    }
}

// ---------------------------------------------------------------------------
// 4. Devices
// ---------------------------------------------------------------------------

fn fuse() -> (u64, u64) {
    let m = fs::metadata("/dev/fuse").expect("these tests copy /dev/fuse (modprobe fuse)");
    assert!(m.file_type().is_char_device());
    (m.rdev() >> 8 & 0xfff, m.rdev() & 0xff)
}

/// Every place nsinit's own command line mounts is `nodev` (the root,
/// `--tmpfs`, `--dev`): a node made there could not be opened, so the
/// host's is bound, even as root. (mknod is for a filesystem mounted
/// without `nodev`, such as an OCI bundle's `/dev` tmpfs.)
#[test]
fn a_device_is_bound_where_the_mount_is_nodev() {
    let (major, minor) = fuse();
    let r = Rootfs::new("dev-nodev");
    // --bare: no /dev mount; the node goes into the image's /dev, as runc
    // makes it there, with the host node's mode and owner.
    let line = probe(&r, &["--bare", "--rootfs", r.root_str(), "--proc", "/proc", "--device", "/dev/fuse:/dev/sub/f"], &["node", "/dev/sub/f"]);
    assert_eq!(line, format!("type=c mode=666 rdev={major}:{minor} uid=0 gid=0"));
    let left = fs::symlink_metadata(r.host("/dev/sub/f")).unwrap();
    assert!(left.file_type().is_file() && left.len() == 0, "only the empty file the node was bound on stays in the image");
}

#[test]
fn a_device_is_bound_in_a_user_namespace_and_on_a_nodev_dev() {
    let (major, minor) = fuse();
    let want = format!("type=c mode=666 rdev={major}:{minor}");
    // The default /dev (a tmpfs mounted nodev): bound.
    let r = Rootfs::new("dev-bind");
    let line = probe(&r, &["--rootfs", r.root_str(), "--device", "/dev/fuse"], &["node", "/dev/fuse"]);
    assert!(line.starts_with(&want), "{line}");
    // In a user namespace mknod is refused: bound, onto an empty file in
    // the container's own /dev.
    let r = Rootfs::new("dev-userns");
    let args = ["--rootfs", r.root_str(), "--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536", "--device", "/dev/fuse:/dev/f"];
    let line = probe(&r, &args, &["node", "/dev/f"]);
    assert!(line.starts_with(&want), "{line}");
    // The image itself is the host's root's: the container may not write it.
    let args = ["--bare", "--unshare", "pid", "--rootfs", r.root_str(), "--proc", "/proc", "--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536", "--device", "/dev/fuse:/dev/f"];
    assert_eq!(error(&r, &args), "nsinit: mknod /dev/f: EACCES (Permission denied) (for a device bound from the host)");
}

#[test]
fn a_device_path_never_leads_out_of_the_root() {
    let r = Rootfs::with_dirs("dev-escape", &["bin", "proc", "tmp", "etc"]);
    let outside = r.outside("escaped");
    // /dev in the image points out of it, as an absolute and a relative link.
    symlink(format!("/../../../../..{}", outside.display()), r.host("/dev")).unwrap();
    let line = probe(&r, &["--bare", "--rootfs", r.root_str(), "--proc", "/proc", "--device", "/dev/fuse"], &["node", "/dev/fuse"]);
    assert!(line.starts_with("type=c"), "{line}");
    assert!(!outside.exists(), "nothing made outside the root");
    assert!(r.host(&format!("{}/fuse", outside.display())).exists(), "made where the link leads inside the root");
    // The node's own name a symlink to a host file: a bind (the default
    // /dev is nodev) never follows it.
    let r = Rootfs::new("dev-escape-name");
    fs::write(r.host("/etc/target"), "x").unwrap();
    let line = error(&r, &["--rootfs", r.root_str(), "--tmpfs", "/run", "--device", "/dev/fuse:/run/../etc/target"]);
    assert!(line.starts_with("nsinit: --device: the device path must not contain '..'"), "{line}");
}

#[test]
fn device_bad_input() {
    let r = Rootfs::new("dev-bad");
    let root = r.root_str();
    let cases: &[(&[&str], &str)] = &[
        (&["--device", "/etc/passwd"], "nsinit: device /etc/passwd: not a device node on the host"),
        (&["--device", "/dev/nonexistent"], "nsinit: stat /dev/nonexistent: ENOENT (No such file or directory) (device)"),
        (&["--device", "/dev/fuse:dev/f"], "nsinit: --device: the device path must be an absolute path in the container; got 'dev/f'"),
        (&["--device", ""], "nsinit: --device: expected HOST[:CONTAINER][:PERMS]; got ''"),
        (&["--device", "/dev/fuse:/dev/f:rwx"], "nsinit: --device: expected HOST[:CONTAINER][:PERMS]; got '/dev/fuse:/dev/f:rwx'"),
    ];
    for (args, want) in cases {
        let mut all = vec!["--rootfs", root];
        all.extend_from_slice(args);
        assert_eq!(error(&r, &all), *want, "for {args:?}");
    }
    let out = nsinit(&["--device", "/dev/fuse", &r.probe_host_path(), "pid"]);
    assert_eq!(fails(out, 125), "nsinit: devices are made only inside a root of the container's own (--rootfs)");
}

// ---------------------------------------------------------------------------
// 5. Personality, scheduling, I/O priority, affinity, time, LSM labels
// ---------------------------------------------------------------------------

#[test]
fn personality_is_the_payloads() {
    let r = Rootfs::new("personality");
    let root = r.root_str();
    assert_eq!(probe(&r, &["--rootfs", root, "--personality", "LINUX32"], &["cat", "/proc/self/personality"]), "00000008");
    assert_eq!(probe(&r, &["--rootfs", root, "--personality", "linux"], &["cat", "/proc/self/personality"]), "00000000");
    assert_eq!(error(&r, &["--rootfs", root, "--personality", "LINUX64"]), "nsinit: --personality: expected LINUX|LINUX32; got 'LINUX64'");
}

#[test]
fn scheduler_and_nice_are_the_payloads() {
    let r = Rootfs::new("sched");
    let root = r.root_str();
    // proc(5): 19 nice, 40 rt_priority, 41 policy.
    let f = stat_fields(&r, &["--rootfs", root, "--scheduler", "fifo:10"]);
    assert_eq!((f[40].as_str(), f[41].as_str()), ("10", "1"));
    let f = stat_fields(&r, &["--rootfs", root, "--scheduler", "SCHED_BATCH", "--nice", "7"]);
    assert_eq!((f[19].as_str(), f[41].as_str()), ("7", "3"));
    let f = stat_fields(&r, &["--rootfs", root, "--nice", "-5"]);
    assert_eq!((f[19].as_str(), f[41].as_str()), ("-5", "0"));
    for (args, want) in [
        (["--scheduler", "fifo"], "nsinit: --scheduler: expected POLICY[:PRIORITY]; got 'fifo'"),
        (["--scheduler", "rr:100"], "nsinit: --scheduler: expected POLICY[:PRIORITY]; got 'rr:100'"),
        (["--nice", "20"], "nsinit: --nice: expected N; got '20'"),
    ] {
        let mut all = vec!["--rootfs", root];
        all.extend(args);
        assert_eq!(error(&r, &all), want);
    }
}

#[test]
fn io_priority_and_cpu_affinity_are_the_payloads() {
    let r = Rootfs::new("ioprio");
    let root = r.root_str();
    assert_eq!(probe(&r, &["--rootfs", root, "--io-priority", "idle"], &["ioprio"]), "class=3 level=4");
    assert_eq!(probe(&r, &["--rootfs", root, "--io-priority", "best-effort:2"], &["ioprio"]), "class=2 level=2");
    assert_eq!(probe(&r, &["--rootfs", root, "--io-priority", "IOPRIO_CLASS_RT:0"], &["ioprio"]), "class=1 level=0");
    assert_eq!(status(&r, &["--rootfs", root, "--cpu-affinity", "0"], "Cpus_allowed_list"), "0");
    assert_eq!(
        error(&r, &["--rootfs", root, "--io-priority", "be:8"]),
        "nsinit: --io-priority: expected CLASS[:LEVEL]; got 'be:8'"
    );
    assert_eq!(error(&r, &["--rootfs", root, "--cpu-affinity", "1024"]), "nsinit: --cpu-affinity: expected CPUS; got '1024'");
    // CPUs the machine lacks: the kernel's refusal, named.
    assert_eq!(
        error(&r, &["--rootfs", root, "--cpu-affinity", "1000"]),
        "nsinit: sched_setaffinity final: EINVAL (Invalid argument) (CPU affinity)"
    );
}

#[test]
fn time_offsets_are_written_before_the_namespace_has_a_process() {
    let r = Rootfs::new("timens");
    let root = r.root_str();
    let args = ["--rootfs", root, "--time-offset", "monotonic=86400.25", "--time-offset", "boottime=-1.5"];
    let offsets = probe(&r, &args, &["cat", "/proc/self/timens_offsets"]);
    let words: Vec<&str> = offsets.split_whitespace().collect();
    assert_eq!(words, ["monotonic", "86400", "250000000", "boottime", "-2", "500000000"], "-1.5 s is -2 s and 0.5 s");
    let uptime: f64 = probe(&r, &["--rootfs", root, "--time-offset", "boottime=1000000"], &["cat", "/proc/uptime"])
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(uptime >= 1_000_000.0, "the container's boot time is a million seconds back: {uptime}");
    // nsinit goes back to its own time namespace: the next container's
    // clocks are the host's.
    let plain: f64 = probe(&r, &["--rootfs", root, "--unshare", "time"], &["cat", "/proc/uptime"]).split_whitespace().next().unwrap().parse().unwrap();
    assert!(plain < 1_000_000.0);
    assert_eq!(
        error(&r, &["--rootfs", root, "--share", "time", "--time-offset", "monotonic=1"]),
        "nsinit: --time-offset needs a new time namespace; drop '--share time' or '--join time'"
    );
    assert_eq!(
        error(&r, &["--rootfs", root, "--time-offset", "realtime=1"]),
        "nsinit: --time-offset: expected CLOCK=SECONDS[.FRACTION]; got 'realtime=1'"
    );
}

#[test]
fn lsm_labels_are_ignored_without_the_lsm_and_refused_when_it_refuses() {
    let r = Rootfs::new("lsm");
    let root = r.root_str();
    let apparmor = fs::read_to_string("/sys/module/apparmor/parameters/enabled").is_ok_and(|s| s.starts_with('Y'));
    let args = ["--rootfs", root, "--apparmor", "nsinit-test-no-such-profile"];
    if apparmor {
        let line = error(&r, &args);
        assert!(line.starts_with("nsinit: write /proc/self/attr/apparmor/exec: ENOENT"), "{line}");
    } else {
        assert_eq!(probe(&r, &args, &["pid"]), "1", "AppArmor is not enabled here: the profile is ignored, as runc ignores it");
    }
    let selinux = fs::metadata("/sys/fs/selinux/enforce").is_ok();
    let args = ["--rootfs", root, "--selinux-label", "system_u:system_r:nsinit_test_no_such_t:s0"];
    if selinux {
        let line = error(&r, &args);
        assert!(line.starts_with("nsinit: write /proc/self/attr/exec: EINVAL"), "{line}");
    } else {
        assert_eq!(probe(&r, &args, &["pid"]), "1", "SELinux is not enabled here: the label is ignored");
    }
    assert_eq!(error(&r, &["--rootfs", root, "--apparmor", ""]), "nsinit: --apparmor: expected PROFILE; got ''");
}

#[test]
fn a_plain_container_asks_nothing_new_of_the_kernel() {
    // No process attribute set: the payload has nsinit's own.
    let r = Rootfs::new("plain");
    let f = stat_fields(&r, &["--rootfs", r.root_str()]);
    let mine = fs::read_to_string("/proc/self/stat").unwrap();
    let mine: Vec<&str> = mine.rsplit(')').next().unwrap().split_whitespace().collect();
    // Field 19 (nice) and 41 (policy): the test's own; fields after the name shift by 2.
    assert_eq!((f[19].as_str(), f[41].as_str()), (mine[19 - 3], mine[41 - 3]));
    assert_eq!(probe(&r, &["--rootfs", r.root_str()], &["cat", "/proc/self/personality"]), "00000000");
}

#[test]
fn help_lists_the_new_words() {
    let help = ok(nsinit(&["--help"]));
    for opt in [
        "--join", "--sysctl", "--umask", "--device", "--personality", "--scheduler", "--nice", "--io-priority", "--cpu-affinity",
        "--time-offset", "--apparmor", "--selinux-label",
    ] {
        let listed = help.lines().filter(|l| l.starts_with("  --")).any(|l| {
            let synopsis = l.trim_start().split("  ").next().unwrap_or("");
            synopsis.split([' ', ',']).any(|w| w == opt)
        });
        assert!(listed, "--help does not list {opt}:\n{help}");
    }
}
