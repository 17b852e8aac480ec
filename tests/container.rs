//! End-to-end tests of the container itself: namespaces, mounts, the
//! payload's process, the command line and config file, PID 1 duties and
//! cgroups, each starting real containers through the shared harness.

mod harness;

use harness::*;
use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

// ===========================================================================
// --help and --version
// ===========================================================================

#[test]
fn help_lists_every_option_on_stdout_and_exits_0() {
    let help = ok(nsinit(&["--help"]));
    assert!(help.starts_with("usage: nsinit [OPTION]... [--] COMMAND [ARG]...\n"), "{help}");
    for opt in [
        "--rootfs", "--bare", "--unshare", "--share", "--hostname", "--domainname", "--proc", "--sysfs", "--tmpfs",
        "--size", "--mode", "--bind", "--ro-bind", "--dev", "--mqueue", "--setenv", "--unsetenv", "--clearenv",
        "--chdir", "--config", "--init", "--init-pgroup", "--stop-timeout", "--on-exit", "--cgroup", "--pids-max",
        "--memory-max", "--memory-swap-max", "--cpu-max", "--cpus", "--cpu-weight", "--cpuset", "--rlimit",
        "--oom-score-adj", "--uid-map", "--gid-map", "--user", "--groups", "--overlay", "--overlay-upper",
        "--read-only", "--cap-add", "--cap-drop", "--allow-new-privs", "--seccomp", "--mask", "--ro-path", "--pass-fd",
        "--tty", "--timings", "--help", "--version",
    ] {
        // Listed in the synopsis column of a line (`  --bind SRC DST   ...`,
        // `  --help, --version`), not merely named in another's description.
        let listed = help.lines().filter(|l| l.starts_with("  --")).any(|l| {
            let synopsis = l.trim_start().split("  ").next().unwrap_or("");
            synopsis.split([' ', ',']).any(|w| w == opt)
        });
        assert!(listed, "--help does not list {opt}:\n{help}");
    }
    assert_eq!(ok(nsinit(&["-h"])), help, "-h is --help");
    // --help wins over everything else on the command line, even what would fail.
    assert_eq!(ok(nsinit(&["--rootfs", "/nonexistent", "--help", "probe"])), help);
}

#[test]
fn version_prints_name_and_version_on_stdout_and_exits_0() {
    let version = ok(nsinit(&["--version"]));
    assert_eq!(version, format!("nsinit {}\n", env!("CARGO_PKG_VERSION")));
}

// ===========================================================================
// --rootfs and the default container
// ===========================================================================

#[test]
fn rootfs_pivots_into_the_directory_and_hides_the_host() {
    let r = Rootfs::new("pivot");
    write_file(&r.host("/etc/marker"), "from the rootfs\n");

    let mounts = parse_mountinfo(&ok(r.run(&[IN_PROBE, "mountinfo"])));
    // `/` is the bind of the rootfs: its root within the host's filesystem
    // ends with the scratch directory's unique name.
    let root = point(&mounts, "/");
    let unique = r.base.file_name().unwrap().to_str().unwrap();
    assert!(root.root.ends_with(&format!("/{unique}/rootfs")), "/ must be the rootfs, bound: {root:?}");
    // Only the container's own mounts: nothing of the host's tree stays visible.
    assert_eq!(mount_points(&mounts), default_mount_points(), "{mounts:#?}");
    assert!(mounts.iter().all(|m| !m.point.contains(unique)), "the rootfs's host path shows: {mounts:#?}");

    let listing: BTreeSet<String> = ok_lines(r.run(&[IN_PROBE, "ls", "/"])).into_iter().collect();
    assert_eq!(listing, ["bin", "dev", "etc", "proc", "sys", "tmp"].map(String::from).into(), "ls / in the container");
    assert_eq!(ok(r.run(&[IN_PROBE, "cat", "/etc/marker"])), "from the rootfs\n");

    // The host's copy of the rootfs path does not exist inside.
    let out = r.run(&[IN_PROBE, "ls", r.root_str()]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert_eq!(out.stdout, format!("probe: {}: ENOENT (No such file or directory)\n", r.root_str()));
}

#[test]
fn rootfs_may_be_given_as_a_relative_path() {
    let r = Rootfs::new("relative");
    let mut cmd = command(&["--rootfs", "rootfs", IN_PROBE, "cwd"]);
    cmd.current_dir(&r.base);
    assert_eq!(ok(run(cmd, Some(&r))), "/\n");
}

#[test]
fn relative_host_paths_are_looked_up_from_the_working_directory_whatever_the_mounts() {
    // nsinit makes each mount from its place as the working directory and
    // comes back: a bind's source given after other mounts is still found
    // from where nsinit was started.
    let r = Rootfs::new("relative-binds");
    fs::create_dir_all(r.base.join("data/sub")).unwrap();
    write_file(&r.base.join("data/sub/file"), "from the host\n");
    fs::create_dir_all(r.host("/mnt")).unwrap();
    let args = ["--rootfs", "rootfs", "--tmpfs", "/tmp", "--ro-bind", "data/sub", "/mnt", "--mask", "/proc/keys", IN_PROBE, "cat", "/mnt/file"];
    let mut cmd = command(&args);
    cmd.current_dir(&r.base);
    assert_eq!(ok(run(cmd, Some(&r))), "from the host\n");
    // In a user namespace whose root may not search the working directory
    // (mode 0700, owned by the host's root), the mounts are made all the same.
    let closed = r.outside("closed-cwd");
    fs::create_dir_all(&closed).unwrap();
    fs::set_permissions(&closed, fs::Permissions::from_mode(0o700)).unwrap();
    let root = r.root_str().to_string();
    let args = ["--unshare", "user", "--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536", "--rootfs", &root, IN_PROBE, "cat", "/proc/keys"];
    let mut cmd = command(&args);
    cmd.current_dir(&closed);
    assert_eq!(ok(run(cmd, Some(&r))), "", "/proc/keys is masked");
}

#[test]
fn default_container_has_the_runc_spec_namespaces() {
    let r = Rootfs::new("default-ns");
    assert_eq!(namespaces_of(&r, &["--rootfs", r.root_str()], IN_PROBE), set(&DEFAULT_NAMESPACES));
}

#[test]
fn default_container_has_the_runc_spec_mounts() {
    let r = Rootfs::new("default-mounts");
    let mounts = parse_mountinfo(&ok(r.run(&[IN_PROBE, "mountinfo"])));
    assert_eq!(mount_points(&mounts), default_mount_points(), "{mounts:#?}");
    assert_eq!(point(&mounts, "/proc").fstype, "proc");
    assert_eq!(point(&mounts, "/dev").fstype, "tmpfs");
    assert_eq!(point(&mounts, "/dev/pts").fstype, "devpts");
    assert_eq!(point(&mounts, "/dev/shm").fstype, "tmpfs");
    assert_eq!(point(&mounts, "/dev/mqueue").fstype, "mqueue");
    let sys = point(&mounts, "/sys");
    assert_eq!(sys.fstype, "sysfs");
    assert!(sys.opts.split(',').any(|o| o == "ro"), "/sys must be read-only: {sys:?}");
    let out = r.run(&[IN_PROBE, "write", "/sys/x", "y"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /sys/x: EROFS (Read-only file system)\n"));
}

#[test]
fn default_container_is_pid_1_named_nsinit() {
    let r = Rootfs::new("default-id");
    assert_eq!(ok(r.run(&[IN_PROBE, "pid"])), "1\n");
    assert_eq!(ok(r.run(&[IN_PROBE, "hostname"])), "nsinit\n");
}

#[test]
fn hello_demo_runs_in_the_default_container() {
    let r = Rootfs::new("hello");
    let out = ok(r.run(&["/bin/hello"]));
    assert!(out.starts_with("Hello from container!\n"), "{out}");
    assert!(out.contains("  hostname: nsinit\n"), "{out}");
    assert!(out.contains("  pid:      1\n"), "{out}");
    assert!(out.contains("    /proc (proc)\n"), "{out}");
}

#[test]
fn missing_mount_points_are_created_inside_the_rootfs() {
    let r = Rootfs::without_mount_points("no-mount-points");
    for dir in ["proc", "dev", "sys"] {
        assert!(!r.host(dir).exists());
    }
    let mounts = parse_mountinfo(&ok(r.run(&["--tmpfs", "/deep/er/dir", IN_PROBE, "mountinfo"])));
    let mut want = default_mount_points();
    want.push("/deep/er/dir".into());
    want.sort();
    assert_eq!(mount_points(&mounts), want, "{mounts:#?}");
    for dir in ["proc", "dev", "sys", "deep/er/dir"] {
        assert!(r.host(dir).is_dir(), "{dir} was not created in the rootfs");
    }
    // /dev's contents lived on its tmpfs: nothing of them reached the rootfs on disk.
    let dev: Vec<_> = fs::read_dir(r.host("dev")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(dev.is_empty(), "the rootfs's /dev on disk is not empty: {dev:?}");
}

#[test]
fn mount_points_are_never_created_outside_the_rootfs_through_symlinks() {
    // A rootfs is untrusted input: a symlink in it must not steer nsinit
    // into creating directories or files on the host.
    let r = Rootfs::new("symlink-escape");
    let outside = r.outside("outside");
    fs::create_dir_all(&outside).unwrap();
    symlink(&outside, r.host("/absolute")).unwrap();
    symlink("../outside", r.host("/relative")).unwrap();
    write_file(&r.outside("source-file"), "x\n");
    let source = r.outside("source-file");
    let out = r.run(&[
        "--tmpfs", "/absolute/made-by-tmpfs",
        "--tmpfs", "/relative/made-by-tmpfs-2",
        "--bind", source.to_str().unwrap(), "/absolute/made-by-bind",
        IN_PROBE, "exit", "0",
    ]);
    let created: Vec<_> = fs::read_dir(&outside).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(created.is_empty(), "nsinit created {created:?} in {} on the host, outside the rootfs ({out:?})", outside.display());
}

// ===========================================================================
// Namespaces: --unshare, --share
// ===========================================================================

/// `--unshare WORD` alone, without a rootfs: exactly that namespace is new.
fn assert_unshares_only(word: &'static str) {
    let r = Rootfs::new(&format!("unshare-{word}"));
    let probe = r.probe_host_path();
    assert_eq!(namespaces_of(&r, &["--unshare", word], &probe), set(&[word]), "--unshare {word}");
}

/// `--share WORD`: everything else asked for is new, that one is the host's;
/// both from `--unshare all` and from the default container.
fn assert_shares(word: &'static str) {
    let r = Rootfs::new(&format!("share-{word}"));
    let probe = r.probe_host_path();
    let mut want = all_namespaces();
    want.remove(word);
    assert_eq!(namespaces_of(&r, &["--unshare", "all", "--share", word], &probe), want, "--unshare all --share {word}");
    if word == "mnt" {
        let line = fails(r.run(&["--share", "mnt", IN_PROBE, "exit", "0"]), 125);
        assert_eq!(line, "nsinit: --rootfs and mounts need the mount namespace; drop '--share mnt'");
    } else {
        let mut want = set(&DEFAULT_NAMESPACES);
        want.remove(word);
        assert_eq!(namespaces_of(&r, &["--rootfs", r.root_str(), "--share", word], IN_PROBE), want, "--rootfs --share {word}");
    }
}

#[test]
fn unshare_uts_creates_only_a_uts_namespace() {
    assert_unshares_only("uts");
}

#[test]
fn unshare_pid_creates_only_a_pid_namespace_where_the_payload_is_pid_1() {
    assert_unshares_only("pid");
    let r = Rootfs::new("unshare-pid-1");
    assert_eq!(ok(r.nsinit(&["--unshare", "pid", &r.probe_host_path(), "pid"])), "1\n");
}

#[test]
fn unshare_mnt_creates_only_a_mount_namespace_with_mounts_of_its_own() {
    assert_unshares_only("mnt");
    // A copied mount namespace has the same mount points under new mount ids.
    let r = Rootfs::new("unshare-mnt-ids");
    let inside = parse_mountinfo(&ok(r.nsinit(&["--unshare", "mnt", &r.probe_host_path(), "mountinfo"])));
    let host = parse_mountinfo(&fs::read_to_string("/proc/self/mountinfo").unwrap());
    assert_eq!(mount_points(&inside), mount_points(&host));
    let host_ids: BTreeSet<u64> = host.iter().map(|m| m.id).collect();
    assert!(inside.iter().all(|m| !host_ids.contains(&m.id)), "the payload sees the host's mounts, not copies");
}

#[test]
fn unshare_ipc_creates_only_an_ipc_namespace() {
    // No probe command observes an ipc namespace; the host-side
    // /proc/PID/ns/ipc comparison is the check.
    assert_unshares_only("ipc");
}

#[test]
fn unshare_net_creates_only_a_net_namespace_with_just_loopback() {
    assert_unshares_only("net");
    let r = Rootfs::new("unshare-net-lo");
    let net_dev = ok(r.nsinit(&["--unshare", "net", &r.probe_host_path(), "cat", "/proc/net/dev"]));
    assert_eq!(interfaces(&net_dev), ["lo".to_string()].into());
}

#[test]
fn unshare_cgroup_creates_only_a_cgroup_namespace_rooted_at_its_cgroup() {
    assert_unshares_only("cgroup");
    let r = Rootfs::new("unshare-cgroup-root");
    let cgroups = ok(r.nsinit(&["--unshare", "cgroup", &r.probe_host_path(), "cat", "/proc/self/cgroup"]));
    assert!(!cgroups.is_empty());
    for line in cgroups.lines() {
        assert!(line.ends_with(":/"), "a new cgroup namespace is rooted at the payload's cgroup: {line:?}");
    }
}

#[test]
fn unshare_time_creates_only_a_time_namespace() {
    // Without offsets a time namespace shows nothing to the probe; the
    // host-side /proc/PID/ns/time comparison is the check.
    assert_unshares_only("time");
}

#[test]
fn unshare_all_creates_all_seven_namespaces() {
    let r = Rootfs::new("unshare-all");
    assert_eq!(namespaces_of(&r, &["--unshare", "all"], &r.probe_host_path()), all_namespaces());
    assert_eq!(namespaces_of(&r, &["--rootfs", r.root_str(), "--unshare", "all"], IN_PROBE), all_namespaces());
    assert_eq!(namespaces_of(&r, &["--unshare", "uts,pid,mnt,ipc,net,cgroup,time"], &r.probe_host_path()), all_namespaces());
}

#[test]
fn share_uts_keeps_the_hosts_hostname() {
    assert_shares("uts");
    let r = Rootfs::new("share-uts-name");
    let host = read_trimmed("/proc/sys/kernel/hostname");
    assert_eq!(ok(r.run(&["--share", "uts", IN_PROBE, "hostname"])), format!("{host}\n"));
}

#[test]
fn share_pid_keeps_the_hosts_pid_namespace() {
    assert_shares("pid");
    let r = Rootfs::new("share-pid-1");
    assert_ne!(ok(r.run(&["--share", "pid", IN_PROBE, "pid"])), "1\n");
}

#[test]
fn share_mnt_keeps_the_hosts_mounts_and_conflicts_with_rootfs() {
    assert_shares("mnt");
}

#[test]
fn share_ipc_keeps_the_hosts_ipc_namespace() {
    assert_shares("ipc");
}

#[test]
fn share_net_keeps_the_hosts_interfaces() {
    assert_shares("net");
    let r = Rootfs::new("share-net-ifs");
    let host = interfaces(&fs::read_to_string("/proc/net/dev").unwrap());
    assert_eq!(interfaces(&ok(r.run(&["--share", "net", IN_PROBE, "cat", "/proc/net/dev"]))), host);
}

#[test]
fn share_cgroup_keeps_the_hosts_cgroup_namespace() {
    assert_shares("cgroup");
}

#[test]
fn share_time_keeps_the_hosts_time_namespace() {
    assert_shares("time");
}

#[test]
fn share_all_creates_no_namespace() {
    let r = Rootfs::new("share-all");
    assert_eq!(namespaces_of(&r, &["--share", "all"], &r.probe_host_path()), set(&[]));
    assert_eq!(namespaces_of(&r, &["--unshare", "all", "--share", "all"], &r.probe_host_path()), set(&[]));
    let line = fails(r.run(&["--share", "all", IN_PROBE, "exit", "0"]), 125);
    assert_eq!(line, "nsinit: --rootfs and mounts need the mount namespace; drop '--share mnt'");
}

#[test]
fn without_rootfs_nothing_is_unshared_unless_asked() {
    let r = Rootfs::new("no-rootfs");
    assert_eq!(namespaces_of(&r, &[], &r.probe_host_path()), set(&[]));
}

// ===========================================================================
// --hostname, --domainname, --bare
// ===========================================================================

#[test]
fn hostname_and_domainname_are_set_in_a_uts_namespace_of_their_own() {
    let r = Rootfs::new("uts-names");
    assert_eq!(ok(r.run(&["--hostname", "box-one", IN_PROBE, "hostname"])), "box-one\n");
    assert_eq!(ok(r.run(&["--domainname", "example.test", IN_PROBE, "domainname"])), "example.test\n");
    // Without --rootfs they bring the uts namespace with them (the host check
    // after each run proves the host's names were not touched).
    let probe = r.probe_host_path();
    assert_eq!(ok(r.nsinit(&["--hostname", "h2", &probe, "hostname"])), "h2\n");
    assert_eq!(ok(r.nsinit(&["--domainname", "d2", &probe, "domainname"])), "d2\n");
    assert_eq!(namespaces_of(&r, &["--hostname", "h3", "--domainname", "d3"], &probe), set(&["uts"]));
    let max = "h".repeat(64);
    assert_eq!(ok(r.run(&["--hostname", &max, IN_PROBE, "hostname"])), format!("{max}\n"));
}

#[test]
fn hostname_with_shared_uts_is_refused() {
    let line = fails(nsinit(&["--share", "uts", "--hostname", "x", "/bin/true"]), 125);
    assert_eq!(line, "nsinit: --hostname and --domainname need the uts namespace; drop '--share uts'");
}

#[test]
fn bare_turns_every_default_off() {
    let r = Rootfs::new("bare");
    assert_eq!(namespaces_of(&r, &["--bare", "--rootfs", r.root_str(), "--proc", "/proc"], IN_PROBE), set(&["mnt"]));
    let mounts = parse_mountinfo(&ok(r.run(&["--bare", "--proc", "/proc", IN_PROBE, "mountinfo"])));
    assert_eq!(mount_points(&mounts), sorted(["/", "/proc"]));
    assert_eq!(ok(r.run(&["--bare", IN_PROBE, "ls", "/dev"])), "", "nothing mounted on /dev");
    assert_eq!(ok(r.run(&["--bare", IN_PROBE, "ls", "/proc"])), "", "nothing mounted on /proc");
    let host = read_trimmed("/proc/sys/kernel/hostname");
    assert_eq!(ok(r.run(&["--bare", IN_PROBE, "hostname"])), format!("{host}\n"));
    // Asked-for namespaces still come on top of a bare container.
    assert_eq!(ok(r.run(&["--bare", "--unshare", "pid", "--proc", "/proc", IN_PROBE, "pid"])), "1\n");
}

// ===========================================================================
// Mounts
// ===========================================================================

#[test]
fn proc_mounts_procfs_where_asked_creating_the_mount_point() {
    let r = Rootfs::new("proc");
    let mounts = parse_mountinfo(&ok(r.run(&["--bare", "--proc", "/proc", IN_PROBE, "mountinfo"])));
    assert_eq!(point(&mounts, "/proc").fstype, "proc");
    let out = ok(r.run(&["--bare", "--proc", "/elsewhere/proc", IN_PROBE, "cat", "/elsewhere/proc/self/mountinfo"]));
    assert_eq!(point(&parse_mountinfo(&out), "/elsewhere/proc").fstype, "proc");
    assert!(r.host("/elsewhere/proc").is_dir());
}

#[test]
fn sysfs_is_mounted_read_only() {
    let r = Rootfs::new("sysfs");
    let mounts = parse_mountinfo(&ok(r.run(&["--bare", "--proc", "/proc", "--sysfs", "/sys", IN_PROBE, "mountinfo"])));
    let sys = point(&mounts, "/sys");
    assert_eq!(sys.fstype, "sysfs");
    assert!(sys.opts.split(',').any(|o| o == "ro"), "{sys:?}");
    let out = r.run(&["--bare", "--sysfs", "/sys", IN_PROBE, "write", "/sys/x", "y"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /sys/x: EROFS (Read-only file system)\n"), "{out:?}");
}

#[test]
fn tmpfs_takes_size_and_mode_for_the_next_one_only() {
    let r = Rootfs::new("tmpfs");
    let out = ok(r.run(&[
        "--bare", "--proc", "/proc",
        "--size", "1M", "--mode", "0750", "--tmpfs", "/tmp",
        "--tmpfs", "/run",
        "--size", "64k", "--tmpfs", "/k",
        "--size", "1G", "--tmpfs", "/g",
        "--mode", "0700", "--tmpfs", "/m",
        IN_PROBE, "mountinfo",
    ]));
    let mounts = parse_mountinfo(&out);
    let opts = |at: &str| -> BTreeSet<String> {
        let m = point(&mounts, at);
        assert_eq!(m.fstype, "tmpfs", "{m:?}");
        m.super_opts.split(',').map(String::from).collect()
    };
    let tmp = opts("/tmp");
    // (The kernel shows mode= only when it is not tmpfs's default 1777.)
    assert!(tmp.contains("size=1024k") && tmp.contains("mode=750"), "/tmp: {tmp:?}");
    let run = opts("/run");
    assert!(!run.contains("size=1024k") && !run.contains("mode=750"), "size and mode leaked into /run: {run:?}");
    assert!(opts("/k").contains("size=64k"));
    assert!(opts("/g").contains("size=1048576k"));
    assert!(opts("/m").contains("mode=700"));
    // The tmpfs is the container's: writing to it leaves the rootfs on disk alone.
    assert_eq!(ok(r.run(&["--bare", "--tmpfs", "/tmp", IN_PROBE, "write", "/tmp/scratch", "x"])), "");
    assert!(!r.host("/tmp/scratch").exists());
}

#[test]
fn bind_is_writable_through_to_the_host() {
    let r = Rootfs::new("bind");
    let dir = r.outside("shared");
    write_file(&dir.join("f"), "before");
    let src = dir.to_str().unwrap();
    assert_eq!(ok(r.run(&["--bind", src, "/data", IN_PROBE, "cat", "/data/f"])), "before");
    assert_eq!(ok(r.run(&["--bind", src, "/data", IN_PROBE, "write", "/data/f", "after"])), "");
    assert_eq!(fs::read_to_string(dir.join("f")).unwrap(), "after", "the write did not reach the host");
    // A file onto a missing mount point: nsinit makes an empty file to bind onto.
    let file = r.outside("single-file");
    write_file(&file, "one file\n");
    assert_eq!(ok(r.run(&["--bind", file.to_str().unwrap(), "/etc/deep/file", IN_PROBE, "cat", "/etc/deep/file"])), "one file\n");
    assert!(r.host("/etc/deep/file").is_file());
}

#[test]
fn ro_bind_cannot_be_written_through() {
    let r = Rootfs::new("ro-bind");
    let dir = r.outside("shared");
    write_file(&dir.join("f"), "before");
    let src = dir.to_str().unwrap();
    assert_eq!(ok(r.run(&["--ro-bind", src, "/data", IN_PROBE, "cat", "/data/f"])), "before");
    let out = r.run(&["--ro-bind", src, "/data", IN_PROBE, "write", "/data/f", "after"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /data/f: EROFS (Read-only file system)\n"), "{out:?}");
    let out = r.run(&["--ro-bind", src, "/data", IN_PROBE, "write", "/data/new", "x"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /data/new: EROFS (Read-only file system)\n"), "{out:?}");
    assert_eq!(fs::read_to_string(dir.join("f")).unwrap(), "before", "the host file changed");
    assert!(!dir.join("new").exists());
}

#[test]
fn mounts_are_made_in_the_order_given() {
    let r = Rootfs::new("order");
    let dir = r.outside("shared");
    write_file(&dir.join("f"), "bound\n");
    // The bind's mount point is created on the tmpfs made just before it.
    let out = ok(r.run(&["--tmpfs", "/data", "--bind", dir.to_str().unwrap(), "/data/sub", IN_PROBE, "cat", "/data/sub/f"]));
    assert_eq!(out, "bound\n");
    assert!(!r.host("/data/sub").exists(), "the mount point belongs on the tmpfs, not on the rootfs");
}

#[test]
fn dev_is_a_minimal_dev_with_host_devices_links_pts_and_shm() {
    let r = Rootfs::new("dev");
    let listing: BTreeSet<String> =
        ok_lines(r.run(&["--bare", "--dev", "/dev", IN_PROBE, "ls", "/dev"])).into_iter().collect();
    let want =
        ["null", "zero", "full", "random", "urandom", "tty", "fd", "stdin", "stdout", "stderr", "ptmx", "pts", "shm", "mqueue"];
    assert_eq!(listing, want.map(String::from).into());

    let c = start(&r, &["--bare", "--rootfs", r.root_str(), "--proc", "/proc", "--dev", "/dev"], IN_PROBE);
    for dev in ["null", "zero", "full", "random", "urandom", "tty"] {
        let inside = fs::metadata(c.path(&format!("/dev/{dev}"))).unwrap();
        let host = fs::metadata(format!("/dev/{dev}")).unwrap();
        assert!(inside.file_type().is_char_device(), "/dev/{dev} is not a character device");
        assert_eq!(inside.rdev(), host.rdev(), "/dev/{dev} is not the host's device");
    }
    for (link, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
        ("ptmx", "pts/ptmx"),
    ] {
        assert_eq!(fs::read_link(c.path(&format!("/dev/{link}"))).ok(), Some(PathBuf::from(target)), "/dev/{link}");
    }
    let mounts = c.mountinfo();
    assert_eq!(point(&mounts, "/dev").fstype, "tmpfs");
    assert_eq!(point(&mounts, "/dev/pts").fstype, "devpts");
    assert_eq!(point(&mounts, "/dev/shm").fstype, "tmpfs");
    c.finish();

    assert_eq!(ok(r.run(&["--bare", "--dev", "/dev", IN_PROBE, "write", "/dev/null", "x"])), "");
    assert_eq!(ok(r.run(&["--bare", "--dev", "/dev", IN_PROBE, "cat", "/dev/null"])), "");
    assert_eq!(ok(r.run(&["--bare", "--dev", "/dev", IN_PROBE, "write", "/dev/shm/x", "y"])), "");
}

#[test]
fn mqueue_mounts_a_message_queue_filesystem() {
    let r = Rootfs::new("mqueue");
    let mounts = parse_mountinfo(&ok(r.run(&["--bare", "--proc", "/proc", "--mqueue", "/mq", IN_PROBE, "mountinfo"])));
    assert_eq!(point(&mounts, "/mq").fstype, "mqueue");
}

#[test]
fn sixty_four_mounts_defaults_included_is_the_limit() {
    let r = Rootfs::new("many-mounts");
    // The default container has five mounts (/proc, /dev, /dev/mqueue, /sys, /sys/fs/cgroup).
    let names: Vec<String> = (1..=60).map(|i| format!("/m{i}")).collect();
    let mut args: Vec<&str> = names[..59].iter().flat_map(|n| ["--tmpfs", n.as_str()]).collect();
    args.extend_from_slice(&[IN_PROBE, "mountinfo"]);
    let mounts = parse_mountinfo(&ok(r.run(&args)));
    assert_eq!(mounts.iter().filter(|m| m.point.starts_with("/m")).count(), 59);

    let mut args: Vec<&str> = names.iter().flat_map(|n| ["--tmpfs", n.as_str()]).collect();
    args.extend_from_slice(&[IN_PROBE, "exit", "0"]);
    assert_eq!(fails(r.run(&args), 125), "nsinit: too many mounts (at most 64, defaults included)");
}

// ===========================================================================
// The network namespace
// ===========================================================================

#[test]
fn new_net_namespace_has_only_loopback_and_it_is_up() {
    let r = Rootfs::new("loopback");
    assert_eq!(interfaces(&ok(r.run(&[IN_PROBE, "cat", "/proc/net/dev"]))), ["lo".to_string()].into());
    assert_eq!(ok(r.run(&[IN_PROBE, "ls", "/sys/class/net"])), "lo\n");
    // 0x9: IFF_UP | IFF_LOOPBACK.
    assert_eq!(ok(r.run(&[IN_PROBE, "cat", "/sys/class/net/lo/flags"])), "0x9\n");
    assert_eq!(ok(r.run(&["--bare", "--unshare", "net", "--sysfs", "/sys", IN_PROBE, "cat", "/sys/class/net/lo/flags"])), "0x9\n");
}

/// nsinit makes the network namespace in a task of its own while the
/// container's process mounts, and that process enters it before sysfs is
/// mounted: the container sees its own namespace in sysfs and /proc, its
/// PID 1 is its only process, and the task is gone however the setup ends
/// (`run` checks that no nsinit task is left, under the global lock).
#[test]
fn the_net_namespace_made_beside_the_setup_is_the_containers_and_leaves_nothing() {
    let r = Rootfs::new("net-task");
    let host_net = fs::read_link("/proc/self/ns/net").unwrap();
    let inside = ok(r.run(&[IN_PROBE, "readlink", "/proc/self/ns/net"]));
    assert_ne!(inside.trim(), host_net.to_string_lossy(), "a new network namespace");
    assert_eq!(ok(r.run(&[IN_PROBE, "ls", "/proc"])).lines().filter(|l| l.parse::<u32>().is_ok()).count(), 1);
    // sysfs mounted first, last, or not at all; the failure before and
    // after the namespace is entered.
    let root = r.root_str();
    let sys_first = ["--bare", "--rootfs", root, "--unshare", "net,mnt,pid", "--sysfs", "/sys", "--proc", "/proc"];
    let sys_last = ["--bare", "--rootfs", root, "--unshare", "net,mnt,pid", "--proc", "/proc", "--sysfs", "/sys"];
    let no_sys = ["--bare", "--rootfs", root, "--unshare", "net,mnt,pid", "--proc", "/proc"];
    let with = |options: &[&str], rest: &[&str]| {
        let args: Vec<&str> = options.iter().chain(rest).copied().collect();
        run(command(&args), Some(&r))
    };
    for options in [&sys_first[..], &sys_last[..], &no_sys[..]] {
        assert_eq!(interfaces(&ok(with(options, &[IN_PROBE, "cat", "/proc/net/dev"]))), ["lo".to_string()].into());
        if options.contains(&"--sysfs") {
            assert_eq!(ok(with(options, &[IN_PROBE, "ls", "/sys/class/net"])), "lo\n", "{options:?}");
        }
    }
    let missing = ["--bind", "/nonexistent-nsinit", "/x"];
    let before = [&sys_first[..5], &missing[..], &sys_first[5..]].concat();
    let after = [&sys_first[..], &missing[..]].concat();
    for options in [before, after] {
        let line = fails(with(&options, &[IN_PROBE, "true"]), 125);
        assert!(line.contains("/nonexistent-nsinit"), "{line}");
    }
}

// ===========================================================================
// The payload's process: environment, directory, PATH, descriptors
// ===========================================================================

#[test]
fn setenv_and_unsetenv_change_the_inherited_environment() {
    let r = Rootfs::new("env");
    let mut cmd = command(&[
        "--rootfs", r.root_str(),
        "--unsetenv", "NSINIT_TEST_DROP",
        "--setenv", "NSINIT_TEST_KEEP", "changed",
        "--setenv", "NSINIT_TEST_NEW", "a b=c",
        IN_PROBE, "env",
    ]);
    cmd.env("NSINIT_TEST_KEEP", "kept").env("NSINIT_TEST_DROP", "dropped").env("NSINIT_TEST_OTHER", "inherited");
    let env = ok_lines(run(cmd, Some(&r)));
    let ours: Vec<&str> = env.iter().map(String::as_str).filter(|v| v.starts_with("NSINIT_TEST_")).collect();
    assert_eq!(
        sorted(ours),
        sorted(["NSINIT_TEST_KEEP=changed", "NSINIT_TEST_NEW=a b=c", "NSINIT_TEST_OTHER=inherited"])
    );
}

#[test]
fn clearenv_starts_the_environment_empty() {
    let r = Rootfs::new("clearenv");
    assert_eq!(ok(r.run(&["--clearenv", IN_PROBE, "env"])), "");
    assert_eq!(ok(r.run(&["--clearenv", "--setenv", "ONLY", "1", IN_PROBE, "env"])), "ONLY=1\n");
    // Operations apply in order: what came before --clearenv is gone.
    assert_eq!(ok(r.run(&["--setenv", "A", "1", "--clearenv", "--setenv", "B", "2", IN_PROBE, "env"])), "B=2\n");
}

#[test]
fn chdir_sets_the_working_directory() {
    let r = Rootfs::new("chdir");
    assert_eq!(ok(r.run(&["--chdir", "/tmp", IN_PROBE, "cwd"])), "/tmp\n");
    assert_eq!(ok(r.run(&[IN_PROBE, "cwd"])), "/\n", "with --rootfs the default is /");
    // Without --rootfs the directory nsinit was started in is kept.
    let mut cmd = command(&[&r.probe_host_path(), "cwd"]);
    cmd.current_dir(&r.base);
    assert_eq!(ok(run(cmd, Some(&r))), format!("{}\n", fs::canonicalize(&r.base).unwrap().display()));
    let line = fails(r.run(&["--chdir", "/nonexistent", IN_PROBE, "cwd"]), 125);
    assert_sys_error(&line, "chdir", "/nonexistent", "ENOENT");
}

#[test]
fn command_without_slash_is_looked_up_in_path() {
    let r = Rootfs::new("path");
    assert_eq!(ok(r.run(&["--setenv", "PATH", "/bin", "probe", "args", "x"])), "x\n");
    // No PATH at all: the runc default, which has /bin.
    assert_eq!(ok(r.run(&["--unsetenv", "PATH", "probe", "args", "y"])), "y\n");
    assert_eq!(ok(r.run(&["--clearenv", "probe", "env"])), "");
    // Like execvp: a candidate that cannot run is skipped for a later one that can.
    write_file(&r.host("/etc/probe"), "not a program\n");
    assert_eq!(ok(r.run(&["--setenv", "PATH", "/etc:/bin", "probe", "args", "z"])), "z\n");
    assert_eq!(ok(r.run(&["--setenv", "PATH", "/tmp:/bin", "hello"])).lines().next(), Some("Hello from container!"));
}

#[test]
fn payload_inherits_only_stdio_and_passed_descriptors() {
    let r = Rootfs::new("fds");
    // Descriptors 7 and 9 open without close-on-exec in nsinit's caller:
    // neither reaches the payload unless passed, nor does any of nsinit's own.
    let shell = |extra: &str| {
        let script = format!("exec 7</etc/hostname 9</etc/hostname; exec {NSINIT} --rootfs {} {extra} {IN_PROBE} fds", r.root_str());
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &script]);
        let got: BTreeSet<String> = ok_lines(run(cmd, Some(&r))).into_iter().collect();
        got
    };
    assert_eq!(shell(""), ["0", "1", "2"].map(String::from).into());
    assert_eq!(shell("--pass-fd 9"), ["0", "1", "2", "9"].map(String::from).into());
    assert_eq!(shell("--pass-fd 7 --pass-fd 9"), ["0", "1", "2", "7", "9"].map(String::from).into());
    assert_eq!(shell("--bare --unshare mnt,pid --proc /proc --pass-fd 7"), ["0", "1", "2", "7"].map(String::from).into());
    assert_eq!(shell("--init --pass-fd 7"), ["0", "1", "2", "7"].map(String::from).into());
    let line = fails(r.run(&["--pass-fd", "37", IN_PROBE, "exit", "0"]), 125);
    assert_eq!(line, "nsinit: --pass-fd: EBADF (Bad file number) (descriptor 37 is not open)");
    let line = fails(r.run(&["--pass-fd", "x", IN_PROBE, "exit", "0"]), 125);
    assert_eq!(line, "nsinit: --pass-fd: expected a descriptor number; got 'x'");
}

#[test]
fn payload_gets_its_arguments_verbatim() {
    let r = Rootfs::new("args");
    let out = ok(r.run(&["--", IN_PROBE, "args", "--help", "a b", "", "--rootfs"]));
    assert_eq!(out, "--help\na b\n\n--rootfs\n");
}

// ===========================================================================
// Exit codes
// ===========================================================================

#[test]
fn payload_exit_code_passes_through() {
    let r = Rootfs::new("exit");
    for code in [0, 3, 125, 255] {
        let out = r.run(&[IN_PROBE, "exit", &code.to_string()]);
        assert_eq!((out.code(), out.stderr.as_str()), (code, ""), "probe exit {code}: {out:?}");
    }
}

#[test]
fn payload_killed_by_signal_n_gives_128_plus_n() {
    let r = Rootfs::new("signal");
    // Faults kill even a PID 1.
    for (signal, code) in [("4", 132), ("5", 133), ("11", 139)] {
        let out = r.run(&[IN_PROBE, "kill", signal]);
        assert_eq!((out.code(), out.stderr.as_str()), (code, ""), "probe kill {signal} as PID 1: {out:?}");
    }
    // A plain kill(2) needs a payload that is not PID 1.
    for (signal, code) in [("15", 143), ("9", 137), ("11", 139)] {
        let out = r.run(&["--share", "pid", IN_PROBE, "kill", signal]);
        assert_eq!((out.code(), out.stderr.as_str()), (code, ""), "probe kill {signal} with --share pid: {out:?}");
    }
}

#[test]
fn command_not_found_exits_127() {
    let r = Rootfs::new("not-found");
    let line = fails(r.run(&["/bin/nonexistent"]), 127);
    assert_sys_error(&line, "execve", "/bin/nonexistent", "ENOENT");
    let line = fails(r.run(&["--setenv", "PATH", "/bin:/etc", "nonexistent"]), 127);
    assert_sys_error(&line, "execve", "nonexistent", "ENOENT");
    let line = fails(r.run(&["/bin/probe/below-a-file"]), 127);
    assert_sys_error(&line, "execve", "/bin/probe/below-a-file", "ENOTDIR");
}

#[test]
fn command_found_but_not_executable_exits_126() {
    let r = Rootfs::new("not-executable");
    write_file(&r.host("/etc/data"), "plain data\n");
    write_file(&r.host("/bin/garbage"), "not a program\n");
    fs::set_permissions(r.host("/bin/garbage"), fs::Permissions::from_mode(0o755)).unwrap();

    let line = fails(r.run(&["/etc/data"]), 126);
    assert_sys_error(&line, "execve", "/etc/data", "EACCES");
    let line = fails(r.run(&["/etc"]), 126);
    assert_sys_error(&line, "execve", "/etc", "EACCES");
    let line = fails(r.run(&["--setenv", "PATH", "/etc", "data"]), 126);
    assert_sys_error(&line, "execve", "data", "EACCES");
    let line = fails(r.run(&["/bin/garbage"]), 126);
    assert_sys_error(&line, "execve", "/bin/garbage", "ENOEXEC");
}

// ===========================================================================
// Errors: one line, `nsinit: ` first, exit 125
// ===========================================================================

#[test]
fn unknown_option_is_an_error() {
    assert_eq!(fails(nsinit(&["--frobnicate", "x"]), 125), "nsinit: unknown option '--frobnicate' (see --help)");
    assert_eq!(fails(nsinit(&["-x", "y"]), 125), "nsinit: unknown option '-x' (see --help)");
}

#[test]
fn missing_option_argument_is_an_error() {
    assert_eq!(fails(nsinit(&["--rootfs"]), 125), "nsinit: --rootfs: expected DIR");
    assert_eq!(fails(nsinit(&["--bind", "/a"]), 125), "nsinit: --bind: expected SRC DST");
    assert_eq!(fails(nsinit(&["--setenv", "A"]), 125), "nsinit: --setenv: expected VAR VALUE");
    assert_eq!(fails(nsinit(&["--config"]), 125), "nsinit: --config: expected FILE");
}

#[test]
fn missing_command_is_an_error() {
    let want = "nsinit: no command given (usage: nsinit [OPTION]... [--] COMMAND [ARG]...; see --help)";
    assert_eq!(fails(nsinit(&[]), 125), want);
    assert_eq!(fails(nsinit(&["--rootfs", "/nonexistent", "--"]), 125), want);
}

#[test]
fn bad_namespace_list_is_an_error() {
    let list = "expected a comma list of uts,pid,mnt,ipc,net,cgroup,time,user or all";
    assert_eq!(fails(nsinit(&["--unshare", "usr", "x"]), 125), format!("nsinit: --unshare: {list}; got 'usr'"));
    assert_eq!(fails(nsinit(&["--share", "uts,", "x"]), 125), format!("nsinit: --share: {list}; got 'uts,'"));
    assert_eq!(fails(nsinit(&["--unshare", "", "x"]), 125), format!("nsinit: --unshare: {list}; got ''"));
}

#[test]
fn bad_size_or_mode_is_an_error() {
    let size = "nsinit: --size: expected a size in bytes, with an optional K, M or G suffix; got";
    assert_eq!(fails(nsinit(&["--size", "1Q", "--tmpfs", "/t", "x"]), 125), format!("{size} '1Q'"));
    assert_eq!(fails(nsinit(&["--size", "-1", "--tmpfs", "/t", "x"]), 125), format!("{size} '-1'"));
    assert_eq!(fails(nsinit(&["--size", "99999999999G", "--tmpfs", "/t", "x"]), 125), format!("{size} '99999999999G'"));
    let mode = "nsinit: --mode: expected an octal mode such as 0755; got";
    assert_eq!(fails(nsinit(&["--mode", "9", "--tmpfs", "/t", "x"]), 125), format!("{mode} '9'"));
    assert_eq!(fails(nsinit(&["--mode", "17777", "--tmpfs", "/t", "x"]), 125), format!("{mode} '17777'"));
    assert_eq!(
        fails(nsinit(&["--size", "1M", "x"]), 125),
        "nsinit: --size and --mode apply to the next --tmpfs, and none follows"
    );
}

#[test]
fn bad_names_are_errors() {
    let long = "h".repeat(65);
    assert_eq!(
        fails(nsinit(&["--hostname", &long, "x"]), 125),
        format!("nsinit: --hostname: expected a name of 1 to 64 bytes; got '{long}'")
    );
    assert_eq!(fails(nsinit(&["--domainname", "", "x"]), 125), "nsinit: --domainname: expected a name of 1 to 64 bytes; got ''");
    assert_eq!(
        fails(nsinit(&["--setenv", "A=B", "c", "x"]), 125),
        "nsinit: --setenv: expected a variable name without '='; got 'A=B'"
    );
}

#[test]
fn relative_mount_destination_is_an_error() {
    let mut wrong = Vec::new();
    for (opt, extra) in [
        ("--proc", None),
        ("--sysfs", None),
        ("--tmpfs", None),
        ("--dev", None),
        ("--mqueue", None),
        ("--bind", Some("/src")),
        ("--ro-bind", Some("/src")),
    ] {
        let mut args = vec![opt];
        args.extend(extra);
        args.extend_from_slice(&["rel/dst", "x"]);
        // The error names the option as given: `--ro-bind`, not `--bind`.
        let want = format!("nsinit: {opt}: the destination must be an absolute path in the container; got 'rel/dst'");
        let got = fails(nsinit(&args), 125);
        if got != want {
            wrong.push(format!("{opt}: got {got:?}, want {want:?}"));
        }
    }
    // The same in a config file, where the option has no leading --.
    let r = Rootfs::new("relative-dst-config");
    for opt in ["tmpfs", "ro-bind /src"] {
        let conf = r.outside("dst.conf");
        fs::write(&conf, format!("{opt} rel\n")).unwrap();
        let conf = conf.to_str().unwrap();
        let name = opt.split(' ').next().unwrap();
        let want = format!("nsinit: {conf}:1: {name}: the destination must be an absolute path in the container; got 'rel'");
        let got = fails(nsinit(&["--config", conf, "x"]), 125);
        if got != want {
            wrong.push(format!("config {name}: got {got:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "wrong messages:\n{}", wrong.join("\n"));
}

#[test]
fn too_many_mounts_is_an_error() {
    let names: Vec<String> = (1..=65).map(|i| format!("/t{i}")).collect();
    let mut args: Vec<&str> = names.iter().flat_map(|n| ["--tmpfs", n.as_str()]).collect();
    args.push("x");
    assert_eq!(fails(nsinit(&args), 125), "nsinit: too many mounts (at most 64, defaults included)");
}

#[test]
fn path_too_long_is_an_error() {
    let long = format!("/{}", "a".repeat(4095));
    let line = fails(nsinit(&["--tmpfs", &long, "x"]), 125);
    assert!(line.starts_with("nsinit: mount destination too long under the root (at most 4095 bytes): /aaa"), "{line}");
    // The rootfs's length counts too.
    let r = Rootfs::new("long-dest");
    let fill = format!("/{}", "b".repeat(4095 - r.root_str().len()));
    let line = fails(r.run(&["--tmpfs", &fill, IN_PROBE, "exit", "0"]), 125);
    assert!(line.starts_with("nsinit: mount destination too long under the root"), "{line}");
    // A rootfs path the kernel refuses.
    let line = fails(nsinit(&["--rootfs", &long, "x"]), 125);
    assert!(line.starts_with("nsinit: bind /aaa"), "{line}");
}

#[test]
fn nonexistent_rootfs_is_an_error_naming_step_path_and_errno() {
    let r = Rootfs::new("no-rootfs-dir");
    let missing = r.outside("nonexistent");
    let missing = missing.to_str().unwrap();
    let line = fails(r.nsinit(&["--rootfs", missing, IN_PROBE, "exit", "0"]), 125);
    assert_eq!(line, format!("nsinit: bind {missing}: ENOENT (No such file or directory)"));
    assert_sys_error(&line, "bind", missing, "ENOENT");
}

#[test]
fn nonexistent_bind_source_is_an_error_naming_it() {
    let r = Rootfs::new("no-bind-source");
    let missing = r.outside("nonexistent");
    let missing = missing.to_str().unwrap();
    for opt in ["--bind", "--ro-bind"] {
        let line = fails(r.run(&[opt, missing, "/x", IN_PROBE, "exit", "0"]), 125);
        assert_sys_error(&line, "bind", missing, "ENOENT");
    }
    assert!(!r.host("/x").exists(), "no mount point is made for a source that does not exist");
}

#[test]
fn conflicting_options_are_errors() {
    let r = Rootfs::new("conflicts");
    assert_eq!(
        fails(nsinit(&["--share", "mnt", "--tmpfs", "/t", "x"]), 125),
        "nsinit: --rootfs and mounts need the mount namespace; drop '--share mnt'"
    );
    let f = r.outside("c.conf");
    write_file(&f, "hostname a\n");
    let f = f.to_str().unwrap();
    assert_eq!(fails(nsinit(&["--config", f, "--config", f, "x"]), 125), "nsinit: --config: given twice");
}

// ===========================================================================
// --config FILE
// ===========================================================================

#[test]
fn config_file_gives_options_comments_quoted_words_and_payload() {
    let r = Rootfs::new("config");
    let conf = r.outside("box.conf");
    write_file(
        &conf,
        &format!(
            "# a test box\n\
             rootfs {root}   # a trailing comment\n\
             \n\
             \thostname \"box one\"\n\
             setenv GREETING \"hello \\\"world\\\" # not a comment\"\n\
             chdir /tmp\n\
             --\n\
             {IN_PROBE} args \"two words\"\n\
             \x20 plain # a comment after the payload\n",
            root = r.root_str()
        ),
    );
    let conf = conf.to_str().unwrap();
    assert_eq!(ok(r.nsinit(&["--config", conf])), "two words\nplain\n");
    // A payload on the command line replaces the file's; the options stay.
    assert_eq!(ok(r.nsinit(&["--config", conf, IN_PROBE, "hostname"])), "box one\n");
    assert_eq!(ok(r.nsinit(&["--config", conf, IN_PROBE, "cwd"])), "/tmp\n");
    let env = ok_lines(r.nsinit(&["--config", conf, IN_PROBE, "env"]));
    assert!(env.contains(&"GREETING=hello \"world\" # not a comment".to_string()), "{env:?}");
    // The defaults of --rootfs apply to a rootfs from a file too.
    assert_eq!(ok(r.nsinit(&["--config", conf, IN_PROBE, "pid"])), "1\n");
}

#[test]
fn command_line_overrides_the_config_file() {
    let r = Rootfs::new("config-override");
    let conf = r.outside("box.conf");
    write_file(&conf, &format!("rootfs {}\nhostname from-file\n--\n{IN_PROBE} hostname\n", r.root_str()));
    let conf = conf.to_str().unwrap();
    assert_eq!(ok(r.nsinit(&["--config", conf])), "from-file\n");
    assert_eq!(ok(r.nsinit(&["--config", conf, "--hostname", "from-cli"])), "from-cli\n");
    // The file is read first wherever --config stands.
    assert_eq!(ok(r.nsinit(&["--hostname", "from-cli", "--config", conf])), "from-cli\n");
    // An empty payload after `--` keeps the file's.
    assert_eq!(ok(r.nsinit(&["--config", conf, "--"])), "from-file\n");
}

#[test]
fn config_file_errors_name_file_and_line() {
    let r = Rootfs::new("config-errors");
    let cases = [
        ("rootfs /r\n\nfrob 1\n", "3: unknown option 'frob'"),
        ("# c\nbind /a\n", "2: bind: expected SRC DST"),
        ("bare yes\n", "1: bare: takes no argument"),
        ("unshare usr\n", "1: unshare: expected a comma list of uts,pid,mnt,ipc,net,cgroup,time,user or all; got 'usr'"),
        ("hostname \"open\n", "1: unterminated quote"),
        ("hostname a\nrootfs\n", "2: rootfs: expected DIR"),
        ("tmpfs rel\n", "1: tmpfs: the destination must be an absolute path in the container; got 'rel'"),
        ("config other\n", "1: unknown option 'config'"),
        ("-- x\n", "1: expected the payload on the lines after '--'"),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let conf = r.outside(&format!("bad{i}.conf"));
        fs::write(&conf, text).unwrap();
        let conf = conf.to_str().unwrap();
        assert_eq!(fails(nsinit(&["--config", conf, "x"]), 125), format!("nsinit: {conf}:{want}"), "for {text:?}");
    }
}

#[test]
fn missing_config_file_is_an_error_naming_it() {
    let r = Rootfs::new("config-missing");
    let missing = r.outside("nonexistent.conf");
    let missing = missing.to_str().unwrap();
    let line = fails(nsinit(&["--config", missing, "x"]), 125);
    assert_sys_error(&line, "open", missing, "ENOENT");
}

#[test]
fn config_file_of_64_kib_is_accepted_and_one_byte_more_is_not() {
    let r = Rootfs::new("config-size");
    let body = format!("rootfs {}\n--\n{IN_PROBE} hostname\n", r.root_str());
    // Comment lines fill the file to an exact size; the options come last.
    let padded = |total: usize| {
        let mut text = String::new();
        while text.len() + body.len() + 200 <= total {
            text.push_str(&format!("#{}\n", "x".repeat(98)));
        }
        let rest = total - body.len() - text.len();
        text.push_str(&format!("#{}\n", "y".repeat(rest - 2)));
        text.push_str(&body);
        assert_eq!(text.len(), total);
        text
    };
    let over = r.outside("64k+1.conf");
    fs::write(&over, padded(64 * 1024 + 1)).unwrap();
    let over = over.to_str().unwrap();
    assert_eq!(fails(r.nsinit(&["--config", over]), 125), format!("nsinit: {over}: config file too large (at most 64 KiB)"));
    let under = r.outside("64k-1.conf");
    fs::write(&under, padded(64 * 1024 - 1)).unwrap();
    assert_eq!(ok(r.nsinit(&["--config", under.to_str().unwrap()])), "nsinit\n");
    let exact = r.outside("64k.conf");
    fs::write(&exact, padded(64 * 1024)).unwrap();
    let out = r.nsinit(&["--config", exact.to_str().unwrap()]);
    assert_eq!(ok(out), "nsinit\n", "a config file of exactly 64 KiB must be accepted: the limit says 'at most 64 KiB'");
}

// ===========================================================================
// --timings and nsinit bench
// ===========================================================================

#[test]
fn timings_reports_each_start_step_on_stderr_and_keeps_the_exit_code() {
    let r = Rootfs::new("timings");
    let out = r.run(&["--timings", IN_PROBE, "exit", "3"]);
    assert_eq!((out.code(), out.stdout.as_str()), (3, ""), "{out:?}");
    let steps: Vec<&str> = out
        .stderr
        .lines()
        .map(|l| {
            let step = l.strip_prefix("nsinit: timing: ").and_then(|l| l.strip_suffix(" us"));
            step.unwrap_or_else(|| panic!("not a timing line: {l:?}"))
        })
        .collect();
    for want in ["clone3", "pivot_root", "execve", "total"] {
        assert!(steps.iter().any(|s| s.starts_with(want)), "no {want} step in {steps:?}");
    }
    // A config file cannot turn it on: it is about one invocation.
    let conf = r.outside("t.conf");
    write_file(&conf, "timings\n");
    let conf = conf.to_str().unwrap();
    assert_eq!(fails(nsinit(&["--config", conf, "x"]), 125), format!("nsinit: {conf}:1: unknown option 'timings'"));
}

#[test]
fn bench_starts_the_container_n_times_and_reports() {
    let r = Rootfs::new("bench");
    let report = ok(r.nsinit(&["bench", "-n", "5", "-j", "2", "--rootfs", r.root_str(), IN_PROBE, "exit", "0"]));
    assert!(report.starts_with("nsinit bench: 5 starts of /bin/probe, 2 at a time"), "{report}");
    assert!(report.contains(" median ") && report.contains(" starts/s "), "{report}");
    // Every start looks the payload up in PATH afresh: the containers share
    // nsinit's memory until they exec, and none may leave it changed.
    let report = ok(r.nsinit(&["bench", "-n", "30", "--rootfs", r.root_str(), "--setenv", "PATH", "/bin", "probe", "exit", "0"]));
    assert!(report.starts_with("nsinit bench: 30 starts of probe, 1 at a time"), "{report}");
    let failed = r.nsinit(&["bench", "-n", "30", "--rootfs", r.root_str(), IN_PROBE, "exit", "3"]);
    assert_eq!(failed.status.code(), Some(3), "a failing start stops the bench with the payload's status");
    assert_eq!(
        fails(nsinit(&["bench", "-n", "0", "x"]), 125),
        "nsinit: bench -n: expected a number of starts from 1 to 100000; got '0'"
    );
    assert_eq!(fails(nsinit(&["bench", "--timings", "x"]), 125), "nsinit: bench: --timings does not go with bench");
}

// ===========================================================================
// Parent death
// ===========================================================================

/// Starts `nsinit OPTIONS /bin/probe sleep 100`, kills nsinit with SIGKILL
/// once the probe runs, and expects the container gone within seconds and
/// the host's mounts untouched.
fn assert_container_dies_with_nsinit(tag: &str, options: &[&str]) {
    let r = Rootfs::new(tag);
    let mut args = vec!["--rootfs", r.root_str()];
    args.extend_from_slice(options);
    args.extend_from_slice(&[IN_PROBE, "sleep", "100"]);
    let host = HostState::take();
    let mut child = command(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn nsinit");
    let deadline = Instant::now() + Duration::from_secs(10);
    let payload = loop {
        if let Some(&pid) = payload_pids(&r).first() {
            break pid;
        }
        if Instant::now() > deadline || child.try_wait().expect("try_wait").is_some() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the probe never ran");
        }
        thread::sleep(Duration::from_millis(5));
    };
    child.kill().expect("SIGKILL nsinit");
    child.wait().expect("reap nsinit");

    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = processes_from(&r);
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "5 s after nsinit was killed, still running: {left:?} (payload was {payload})");
        thread::sleep(Duration::from_millis(20));
    }
    host.check(Some(&r), &format!("nsinit {args:?} killed"));
}

#[test]
fn container_dies_with_nsinit() {
    assert_container_dies_with_nsinit("parent-death", &[]);
}

#[test]
fn container_dies_with_nsinit_when_the_payload_is_not_pid_1() {
    // Without a pid namespace nothing but the parent-death signal ends it.
    assert_container_dies_with_nsinit("parent-death-shared-pid", &["--share", "pid"]);
}

// ===========================================================================
// PID 1: --init
// ===========================================================================

#[test]
fn init_reaps_orphans_and_a_payload_as_pid_1_does_not() {
    let r = Rootfs::new("init-orphans");
    assert_eq!(ok(r.run(&["--init", IN_PROBE, "orphans", "5"])), "zombies: 0\n");
    // The contrast that shows the probe can see zombies at all.
    assert_eq!(ok(r.run(&[IN_PROBE, "orphans", "5"])), "zombies: 5\n");
}

#[test]
fn init_without_a_pid_namespace_is_a_subreaper() {
    let r = Rootfs::new("init-subreaper");
    assert_eq!(ok(r.run(&["--init", "--share", "pid", IN_PROBE, "orphans", "3"])), "zombies: 0\n");
    // Without any container at all: nsinit as an image's entrypoint, like tini.
    assert_eq!(ok(r.nsinit(&["--init", &r.probe_host_path(), "orphans", "3"])), "zombies: 0\n");
}

/// Starts `nsinit OPTIONS /bin/probe signals`, waits for the probe's
/// `ready`, sends `signal` to nsinit on the host, and returns what the
/// probe printed and nsinit's exit code.
fn signal_through_nsinit(r: &Rootfs, options: &[&str], signal: &str) -> (String, i32) {
    use std::io::{BufRead, BufReader};
    let mut args = vec!["--rootfs", r.root_str()];
    args.extend_from_slice(options);
    args.extend_from_slice(&[IN_PROBE, "signals"]);
    let host = HostState::take();
    let mut child = command(&args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("read the probe's first line");
    assert_eq!(first, "ready\n", "{args:?}");
    let sent = Command::new("kill").args(["-s", signal, &child.id().to_string()]).status().expect("run kill(1)");
    assert!(sent.success(), "kill -s {signal} failed");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("read the probe's output");
    let status = wait_with_timeout(&mut child, &format!("{args:?}"));
    host.check(Some(r), &format!("{args:?} with {signal}"));
    (rest, status.code().expect("nsinit exits, not killed"))
}

#[test]
fn signals_to_nsinit_reach_the_payload_and_its_status_comes_back() {
    let r = Rootfs::new("init-signals");
    for (signal, n) in [("TERM", 15), ("INT", 2), ("HUP", 1), ("USR1", 10)] {
        for options in [&["--init"][..], &["--init", "--init-pgroup"], &["--share", "pid"]] {
            let (out, code) = signal_through_nsinit(&r, options, signal);
            assert_eq!(out, format!("got {n}\n"), "SIG{signal} with {options:?}");
            assert_eq!(code, 128 + n, "SIG{signal} with {options:?}: the payload died of it");
        }
    }
}

#[test]
fn init_stops_what_the_payload_leaves_behind() {
    let r = Rootfs::new("init-leftovers");
    let began = Instant::now();
    // One child ends at SIGTERM; one blocks it and needs the SIGKILL that
    // follows --stop-timeout. The run helper checks nothing is left.
    let out = ok(r.run(&["--init", "--stop-timeout", "2", IN_PROBE, "leftovers"]));
    let took = began.elapsed();
    assert_eq!(out.lines().filter(|l| l.starts_with("left ")).count(), 2, "{out}");
    assert!(took >= Duration::from_millis(1900), "SIGKILL came before the stop timeout: {took:?}");
    assert!(took < Duration::from_secs(10), "the leftovers were not stopped: {took:?}");
    let began = Instant::now();
    ok(r.run(&["--init", IN_PROBE, "leftovers"]));
    assert!(began.elapsed() < Duration::from_secs(5), "the default stop timeout is 1 s");
}

#[test]
fn init_gives_exec_failures_and_exit_codes_through() {
    let r = Rootfs::new("init-codes");
    assert_eq!(r.run(&["--init", IN_PROBE, "exit", "7"]).code(), 7);
    assert_eq!(fails(r.run(&["--init", "/bin/nonexistent"]), 127), "nsinit: execve /bin/nonexistent: ENOENT (No such file or directory)");
    assert_eq!(fails(r.run(&["--init", "/etc"]), 126), "nsinit: execve /etc: EACCES (Permission denied)");
    assert_eq!(r.run(&["--init", IN_PROBE, "kill", "11"]).code(), 139);
    // Without --init it is the grace after a stop signal (tests/terminal.rs).
    assert_eq!(nsinit(&["--stop-timeout", "3", "true"]).code(), 0);
    assert_eq!(
        fails(nsinit(&["--init", "--stop-timeout", "x", "true"]), 125),
        "nsinit: --stop-timeout: expected whole seconds from 0 to 3600; got 'x'"
    );
}

#[test]
fn the_container_cannot_reach_nsinits_binary_through_proc_1_exe() {
    let r = Rootfs::new("init-exe");
    let before = fs::read(NSINIT).expect("read nsinit");
    // PID 1 is not dumpable: the payload cannot even read the link. The
    // host sees it run from the sealed copy.
    let out = r.run(&["--init", IN_PROBE, "readlink", "/proc/1/exe"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /proc/1/exe: EACCES (Permission denied)\n"), "{out:?}");
    let running = start(&r, &["--rootfs", r.root_str(), "--init"], IN_PROBE);
    let stat = fs::read_to_string(format!("/proc/{}/stat", running.pid)).expect("read the payload's stat");
    let init = stat.rsplit_once(") ").and_then(|(_, rest)| rest.split(' ').nth(1)).expect("the payload's parent");
    let link = fs::read_link(format!("/proc/{init}/exe")).expect("read PID 1's exe link");
    assert!(link.to_string_lossy().starts_with("/memfd:nsinit"), "PID 1 runs from {link:?}, not a sealed copy");
    running.finish();
    let out = r.run(&["--init", IN_PROBE, "write", "/proc/1/exe", "pwned"]);
    assert_eq!(out.code(), 1, "writing /proc/1/exe must fail: {out:?}");
    assert!(out.stdout.starts_with("probe: /proc/1/exe: E"), "{out:?}");
    assert_eq!(fs::read(NSINIT).expect("read nsinit"), before, "nsinit's binary changed");
}

#[test]
fn nsinit_init_runs_nested_inside_a_container() {
    let r = Rootfs::new("init-nested");
    let inner = r.host("/bin/nsinit");
    fs::copy(NSINIT, &inner).expect("copy nsinit into the rootfs");
    // Making namespaces takes CAP_SYS_ADMIN, which a default container
    // lacks (as in Docker); given it, the seccomp filter lets them through.
    let admin = ["--cap-add", "SYS_ADMIN"];
    let out = ok(r.run(&[&admin[..], &["/bin/nsinit", "--init", "--unshare", "pid,mnt", "--proc", "/proc", IN_PROBE, "orphans", "3"]].concat()));
    assert_eq!(out, "zombies: 0\n");
    let out = ok(r.run(&[&admin[..], &["/bin/nsinit", "--init", "--unshare", "pid,mnt,uts", "--hostname", "inner", "--proc", "/proc", IN_PROBE, "hostname"]].concat()));
    assert_eq!(out, "inner\n");
}

// ===========================================================================
// Resource limits: cgroups (v1 on this machine; v2 in tests/boot.rs) and rlimits
// ===========================================================================

/// The v1 hierarchies nsinit places containers in.
const V1_CONTROLLERS: [&str; 4] = ["pids", "memory", "cpu", "cpuset"];

/// The default cgroups (`nsinit-<PID>`, and `nsinit-<PID>.self`) below this
/// process's own cgroup in every v1 hierarchy: nsinit, started by the
/// tests, puts its containers there. Under `extra` too, when given.
fn nsinit_cgroups(extra: Option<&str>) -> Vec<String> {
    let own = fs::read_to_string("/proc/self/cgroup").expect("read /proc/self/cgroup");
    let mut found = Vec::new();
    for controller in V1_CONTROLLERS {
        let mine = own
            .lines()
            .find_map(|l| {
                let mut f = l.splitn(3, ':');
                let (_, list, path) = (f.next()?, f.next()?, f.next()?);
                list.split(',').any(|c| c == controller).then(|| path.trim_end_matches('/').to_string())
            })
            .unwrap_or_else(|| panic!("no {controller} line in /proc/self/cgroup: {own}"));
        let mut dirs = vec![(format!("/sys/fs/cgroup/{controller}{mine}"), true)];
        dirs.extend(extra.map(|e| (format!("/sys/fs/cgroup/{controller}/{e}"), false)));
        for (dir, only_default) in dirs {
            if let Ok(entries) = fs::read_dir(&dir) {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let default = name.strip_prefix("nsinit-").is_some_and(|n| n.trim_end_matches(".self").parse::<u32>().is_ok());
                    if e.file_type().map(|t| t.is_dir()).unwrap_or(false) && (default || !only_default) {
                        found.push(e.path().display().to_string());
                    }
                }
            }
        }
    }
    found
}

#[test]
fn pids_max_holds_a_fork_bomb() {
    let r = Rootfs::new("cg-pids");
    let out = ok(r.run(&["--pids-max", "20", IN_PROBE, "forkbomb"]));
    let forked: u64 = out.split_whitespace().nth(1).and_then(|n| n.trim_end_matches(',').parse().ok()).expect(&out);
    // The probe itself is one of the 20.
    assert_eq!(forked, 19, "{out}");
    assert!(out.contains("EAGAIN"), "{out}");
    assert_eq!(nsinit_cgroups(None), Vec::<String>::new(), "a cgroup was left behind");
}

#[test]
fn the_oom_killer_is_reported_with_exit_137() {
    let r = Rootfs::new("cg-oom");
    let out = r.run(&["--memory-max", "16M", IN_PROBE, "hog", "256"]);
    assert_eq!(out.code(), 137, "{out:?}");
    assert_eq!(out.stderr, format!("nsinit: container killed by the OOM killer ({}=16777216)\n", memory_limit_file()));
    assert!(!out.stdout.contains("hog done"), "{out:?}");
    // Under the limit, no report.
    let out = r.run(&["--memory-max", "64M", IN_PROBE, "hog", "16"]);
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "{out:?}");
    assert_eq!(nsinit_cgroups(None), Vec::<String>::new());
}

#[test]
fn cpus_throttles_a_cpu_bound_payload() {
    let r = Rootfs::new("cg-cpu");
    let path = "nsinit-test-cpu";
    let stat = format!("/sys/fs/cgroup/cpu/{path}/cpu.stat");
    let host = HostState::take();
    let mut child = command(&["--rootfs", r.root_str(), "--cgroup", path, "--cpus", "0.2", IN_PROBE, "spin", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    thread::sleep(Duration::from_millis(1200));
    let text = fs::read_to_string(&stat).unwrap_or_else(|e| panic!("read {stat}: {e}"));
    let quota = fs::read_to_string(format!("/sys/fs/cgroup/cpu/{path}/cpu.cfs_quota_us")).expect("quota");
    let status = wait_with_timeout(&mut child, "spin");
    host.check(Some(&r), "--cpus 0.2");
    assert!(status.success());
    assert_eq!(quota.trim(), "20000");
    let throttled: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("nr_throttled "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no nr_throttled in {text}"));
    assert!(throttled > 0, "not throttled: {text}");
    assert!(!Path::new(&format!("/sys/fs/cgroup/cpu/{path}")).exists(), "the cgroup was left behind");
}

#[test]
fn the_cgroup_namespace_shows_the_container_its_own_cgroup_as_root() {
    let r = Rootfs::new("cg-ns");
    let out = ok(r.run(&["--unshare", "cgroup", "--pids-max", "50", IN_PROBE, "cat", "/proc/self/cgroup"]));
    assert!(out.lines().any(|l| l == "8:pids:/" || l.ends_with(":pids:/")), "{out}");
    // Without the namespace, the container sees where nsinit put it.
    let out = ok(r.run(&["--cgroup", "nsinit-test-ns/box", "--pids-max", "50", IN_PROBE, "cat", "/proc/self/cgroup"]));
    assert!(out.lines().any(|l| l.ends_with(":pids:/nsinit-test-ns/box")), "{out}");
    let _ = fs::remove_dir_all("/sys/fs/cgroup/pids/nsinit-test-ns");
    for c in V1_CONTROLLERS {
        let _ = fs::remove_dir(format!("/sys/fs/cgroup/{c}/nsinit-test-ns"));
    }
}

#[test]
fn rlimits_and_oom_score_adj_are_seen_inside() {
    let r = Rootfs::new("rlimits");
    let limits = ok(r.run(&["--rlimit", "nofile=64:128", "--rlimit", "core=0:unlimited", IN_PROBE, "cat", "/proc/self/limits"]));
    let row = |name: &str| -> Vec<String> {
        let line = limits.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no {name} in {limits}"));
        line[name.len()..].split_whitespace().take(2).map(String::from).collect()
    };
    assert_eq!(row("Max open files"), ["64", "128"]);
    assert_eq!(row("Max core file size"), ["0", "unlimited"]);
    // Raising needs no privilege (lowering needs CAP_SYS_RESOURCE, which
    // these machines' root lacks).
    assert_eq!(ok(r.run(&["--oom-score-adj", "500", IN_PROBE, "cat", "/proc/self/oom_score_adj"])), "500\n");
    assert_eq!(
        fails(nsinit(&["--rlimit", "nofile=10:5", "true"]), 125),
        "nsinit: --rlimit: expected NAME=SOFT[:HARD], NAME one of cpu, fsize, data, stack, core, rss, nproc, nofile, \
         memlock, as, locks, sigpending, msgqueue, nice, rtprio, rttime, values numbers or 'unlimited'; got 'nofile=10:5'"
    );
    assert_eq!(
        fails(nsinit(&["--cpus", "0", "true"]), 125),
        "nsinit: --cpus: expected a number of CPUs such as 0.5 or 2; got '0'"
    );
}

#[test]
fn cgroups_are_removed_after_failed_starts_and_killed_runs() {
    let r = Rootfs::new("cg-cleanup");
    assert_eq!(r.run(&["--pids-max", "10", "/bin/nonexistent"]).code(), 127);
    assert_eq!(r.run(&["--pids-max", "10", "--bind", "/nonexistent", "/x", IN_PROBE, "exit", "0"]).code(), 125);
    assert_eq!(r.run(&["--pids-max", "10", IN_PROBE, "kill", "11"]).code(), 139);
    let profile = r.outside("bad-profile");
    write_file(&profile, "allow fooo\n");
    assert_eq!(r.run(&["--pids-max", "10", "--seccomp", profile.to_str().unwrap(), IN_PROBE, "exit", "0"]).code(), 125);
    assert_eq!(nsinit_cgroups(None), Vec::<String>::new());

    // nsinit killed outright cannot clean up; the next nsinit removes what
    // it left, once its processes are gone.
    let host = HostState::take();
    kill_nsinit_once_the_payload_runs(command(&["--rootfs", r.root_str(), "--pids-max", "10", IN_PROBE, "sleep", "100"]), &r);
    host.check(Some(&r), "nsinit killed");
    assert_eq!(nsinit_cgroups(None).len(), V1_CONTROLLERS.len(), "the killed run's cgroups should be there until the next run");
    ok(r.run(&["--pids-max", "10", IN_PROBE, "exit", "0"]));
    assert_eq!(nsinit_cgroups(None), Vec::<String>::new(), "the next run removes a killed run's cgroups");
}

#[test]
fn a_thousand_runs_leave_no_cgroup_behind() {
    let r = Rootfs::new("cg-thousand");
    let host = HostState::take();
    for i in 0..1000 {
        let status = command(&["--rootfs", r.root_str(), "--pids-max", "10", "--memory-max", "64M", "--cpus", "1", IN_PROBE, "exit", "0"])
            .stdin(Stdio::null())
            .status()
            .expect("run nsinit");
        assert!(status.success(), "run {i}: {status:?}");
    }
    host.check(Some(&r), "1000 runs with cgroups");
    assert_eq!(nsinit_cgroups(None), Vec::<String>::new());
    // nsinit bench puts its containers in one cgroup, removed at the end.
    let out = ok(r.nsinit(&["bench", "-n", "50", "--rootfs", r.root_str(), "--pids-max", "10", IN_PROBE, "exit", "0"]));
    assert!(out.starts_with("nsinit bench: 50 starts"), "{out}");
    assert_eq!(nsinit_cgroups(None), Vec::<String>::new());
}

#[test]
fn init_pgroup_gives_the_payloads_group_the_terminal() {
    let r = Rootfs::new("init-pgroup");
    // script(1) runs nsinit on a pseudo-terminal of its own.
    let on_a_tty = |options: &str| -> String {
        let line = format!("{NSINIT} {options} --rootfs {} {IN_PROBE} pgrp", r.root_str());
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"]);
        let out = run(cmd, Some(&r));
        assert_eq!(out.code(), 0, "{out:?}");
        out.stdout.replace('\r', "")
    };
    // The payload is PID 2 under the init; its group is its own, and the
    // terminal's, with --init alone too, as tini does (issue 12).
    assert_eq!(on_a_tty("--init-pgroup"), "pid=2 pgrp=2 fg=2\n");
    assert_eq!(on_a_tty("--init"), "pid=2 pgrp=2 fg=2\n");
}

// ===========================================================================
// User namespaces, rootless, and the copy-on-write root
// ===========================================================================

/// The unprivileged user the rootless tests run nsinit as: `nobody`, which
/// every Debian system has.
const NOBODY: u32 = 65534;

/// `nsinit ARGS...` run as `nobody`, with no supplementary groups.
fn as_nobody(r: &Rootfs, args: &[&str]) -> Out {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid", "65534", "--regid", "65534", "--clear-groups", "--", NSINIT]).args(args);
    run(cmd, Some(r))
}

/// A directory beside the rootfs, owned by `uid`.
fn owned_dir(r: &Rootfs, name: &str, uid: u32) -> PathBuf {
    let dir = r.outside(name);
    fs::create_dir_all(&dir).expect("create the directory");
    std::os::unix::fs::chown(&dir, Some(uid), Some(uid)).expect("chown");
    dir
}

#[test]
fn rootless_default_container_is_root_inside_and_nobody_outside() {
    let r = Rootfs::new("rootless");
    let root = r.root_str();
    assert_eq!(ok(as_nobody(&r, &["--rootfs", root, IN_PROBE, "id"])), "uid=0 gid=0 groups=\n");
    let maps = ok(as_nobody(&r, &["--rootfs", root, IN_PROBE, "cat", "/proc/self/uid_map"]));
    assert_eq!(maps.split_whitespace().collect::<Vec<_>>(), ["0", "65534", "1"]);
    let maps = ok(as_nobody(&r, &["--rootfs", root, IN_PROBE, "cat", "/proc/self/gid_map"]));
    assert_eq!(maps.split_whitespace().collect::<Vec<_>>(), ["0", "65534", "1"]);
    // The default container entire: hostname, PID 1, /proc, /dev, /sys (with its own net namespace).
    assert_eq!(ok(as_nobody(&r, &["--rootfs", root, IN_PROBE, "hostname"])), "nsinit\n");
    assert_eq!(ok(as_nobody(&r, &["--rootfs", root, IN_PROBE, "pid"])), "1\n");
    let mounts = ok(as_nobody(&r, &["--rootfs", root, IN_PROBE, "mountinfo"]));
    for point in ["/proc", "/dev", "/dev/pts", "/dev/null", "/sys"] {
        assert!(mounts.lines().any(|l| l.split(' ').nth(4) == Some(point)), "no {point} rootless:\n{mounts}");
    }
    assert_eq!(ok(as_nobody(&r, &["--rootfs", root, "--init", IN_PROBE, "orphans", "2"])), "zombies: 0\n");
}

#[test]
fn rootless_writes_through_a_bind_belong_to_the_caller() {
    let r = Rootfs::new("rootless-bind");
    let dir = owned_dir(&r, "data", NOBODY);
    // Made beforehand: inside, nobody may write the root-owned image.
    fs::create_dir(r.host("/data")).unwrap();
    let out = as_nobody(&r, &["--rootfs", r.root_str(), "--bind", dir.to_str().unwrap(), "/data", IN_PROBE, "write", "/data/f", "x"]);
    assert_eq!(out.code(), 0, "{out:?}");
    assert_eq!(fs::metadata(dir.join("f")).expect("the file").uid(), NOBODY);
}

#[test]
fn root_maps_ids_as_asked_and_user_switches_inside() {
    let r = Rootfs::new("userns-maps");
    let maps = ["--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536"];
    let mut args: Vec<&str> = maps.to_vec();
    args.extend([IN_PROBE, "cat", "/proc/self/uid_map"]);
    assert_eq!(ok(r.run(&args)).split_whitespace().collect::<Vec<_>>(), ["0", "100000", "65536"]);
    let mut args: Vec<&str> = maps.to_vec();
    args.extend(["--user", "1000:1000", "--groups", "5,6", IN_PROBE, "id"]);
    assert_eq!(ok(r.run(&args)), "uid=1000 gid=1000 groups=5,6\n");
    // Inside 1000 is 101000 outside. The mount point is made beforehand:
    // the image's owner, host root, is not in the maps.
    let dir = owned_dir(&r, "shared", 101000);
    fs::create_dir(r.host("/shared")).unwrap();
    let mut args: Vec<&str> = maps.to_vec();
    args.extend(["--user", "1000", "--bind", dir.to_str().unwrap(), "/shared", IN_PROBE, "write", "/shared/f", "x"]);
    ok(r.run(&args));
    assert_eq!(fs::metadata(dir.join("f")).expect("the file").uid(), 101000);
}

#[test]
fn user_namespace_errors_say_what_to_do() {
    let r = Rootfs::new("userns-errors");
    // Without root, a map beyond the caller's own id goes to newuidmap,
    // which refuses host root (tests/rootless.rs has the rest).
    assert_eq!(
        fails(as_nobody(&r, &["--rootfs", r.root_str(), "--uid-map", "0:0:1", IN_PROBE, "id"]), 125),
        "nsinit: uid map 0:0:1: /usr/bin/newuidmap failed (exit status 1): newuidmap: uid range [0-1) -> [0-1) not allowed"
    );
    // (A word like x is a name now, looked up in the container: tests/users.rs.)
    assert_eq!(
        fails(r.run(&["--user", "x:", IN_PROBE, "id"]), 125),
        "nsinit: --user: expected USER[:GROUP], each a name or a number below 4294967295; got 'x:'"
    );
    assert_eq!(
        fails(r.run(&["--uid-map", "0:1:0", IN_PROBE, "id"]), 125),
        "nsinit: --uid-map: expected INSIDE:OUTSIDE:COUNT, three numbers, COUNT at least 1; got '0:1:0'"
    );
    // An id the maps do not cover. (A uid alone, with no entry in the
    // container's /etc/passwd, gets gid 0, which is mapped.)
    let out = r.run(&["--uid-map", "0:100000:10", "--gid-map", "0:100000:10", "--user", "50:50", IN_PROBE, "id"]);
    assert_eq!(out.code(), 125, "{out:?}");
    assert_eq!(out.stderr, "nsinit: setgid: EINVAL (Invalid argument) (is the gid mapped in the user namespace?)\n");
    let out = r.run(&["--uid-map", "0:100000:10", "--gid-map", "0:100000:10", "--user", "50", IN_PROBE, "id"]);
    assert_eq!(out.code(), 125, "{out:?}");
    assert_eq!(out.stderr, "nsinit: setuid: EINVAL (Invalid argument) (is the uid mapped in the user namespace?)\n");
}

#[test]
fn overlay_writes_go_to_the_upper_layer_and_the_image_stays_pristine() {
    let r = Rootfs::new("overlay");
    write_file(&r.host("/etc/f"), "image\n");
    let lower = r.root_str();
    // A throwaway upper: each run starts from the image.
    assert_eq!(ok(r.nsinit(&["--overlay", lower, IN_PROBE, "write", "/etc/f", "changed"])), "");
    assert_eq!(ok(r.nsinit(&["--overlay", lower, IN_PROBE, "cat", "/etc/f"])), "image\n");
    assert_eq!(fs::read_to_string(r.host("/etc/f")).unwrap(), "image\n", "the lower layer changed");
    // A named upper keeps the writes, beside the image.
    let upper = r.outside("upper");
    let upper_s = upper.to_str().unwrap();
    ok(r.nsinit(&["--overlay", lower, "--overlay-upper", upper_s, IN_PROBE, "write", "/etc/g", "kept"]));
    assert_eq!(fs::read_to_string(upper.join("etc/g")).unwrap(), "kept");
    assert_eq!(ok(r.nsinit(&["--overlay", lower, "--overlay-upper", upper_s, IN_PROBE, "cat", "/etc/g"])), "kept");
    assert!(!r.host("/etc/g").exists(), "the write reached the lower layer");
    // Two layers: the first on top.
    let top = r.outside("top");
    write_file(&top.join("etc/f"), "top\n");
    let layers = format!("{}:{lower}", top.display());
    assert_eq!(ok(r.nsinit(&["--overlay", &layers, IN_PROBE, "cat", "/etc/f"])), "top\n");
}

#[test]
fn rootless_overlay_and_read_only_root() {
    let r = Rootfs::new("overlay-rootless");
    let image = r.outside("image");
    fs::create_dir_all(image.join("bin")).unwrap();
    fs::copy(PROBE, image.join("bin/probe")).unwrap();
    write_file(&image.join("etc/f"), "image\n");
    Command::new("chown").args(["-R", "65534:65534", image.to_str().unwrap()]).status().expect("chown");
    let image_s = image.to_str().unwrap();
    assert_eq!(ok(as_nobody(&r, &["--overlay", image_s, IN_PROBE, "write", "/etc/f", "changed"])), "");
    assert_eq!(ok(as_nobody(&r, &["--overlay", image_s, IN_PROBE, "cat", "/etc/f"])), "image\n");
    assert_eq!(fs::read_to_string(image.join("etc/f")).unwrap(), "image\n");

    let out = r.run(&["--read-only", IN_PROBE, "write", "/etc/x", "y"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /etc/x: EROFS (Read-only file system)\n"), "{out:?}");
    let out = as_nobody(&r, &["--overlay", image_s, "--read-only", IN_PROBE, "write", "/etc/f", "y"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /etc/f: EROFS (Read-only file system)\n"), "{out:?}");
    // The mounts on a read-only root stay writable.
    assert_eq!(r.run(&["--read-only", "--tmpfs", "/tmp", IN_PROBE, "write", "/tmp/x", "y"]).code(), 0);
    assert_eq!(
        fails(nsinit(&["--overlay", "/a", "--rootfs", "/b", "x"]), 125),
        "nsinit: --overlay and --rootfs both name the root; give one"
    );
    assert_eq!(fails(nsinit(&["--read-only", "x"]), 125), "nsinit: --read-only applies to --rootfs or --overlay, and neither is given");
    assert_eq!(
        fails(nsinit(&["--overlay-upper", "/u", "x"]), 125),
        "nsinit: --overlay-upper applies to --overlay, which is not given"
    );
}

// ===========================================================================
// Least privilege: capabilities, no_new_privs, seccomp, masked and
// read-only paths, and mounts on a hostile rootfs
// ===========================================================================

/// The capabilities runc and Docker keep, by number (capabilities(7)):
/// CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
/// NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
const RUNC_CAPS: [u32; 14] = [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31];
const CAP_SYS_ADMIN: u32 = 21;

fn caps(bits: &[u32]) -> u64 {
    bits.iter().fold(0, |set, bit| set | 1 << bit)
}

/// `/proc/self/status` as fields: the payload's when `out` is the probe's
/// `cat /proc/self/status`.
fn status_fields(text: &str) -> std::collections::BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

/// The payload's capability sets and the rest of what it may do:
/// `[CapBnd, CapPrm, CapEff, CapInh, CapAmb]` as numbers, NoNewPrivs, Seccomp.
fn privileges(out: Out) -> ([u64; 5], String, String) {
    let f = status_fields(&ok(out));
    let set = |name: &str| u64::from_str_radix(&f[name], 16).unwrap_or_else(|_| panic!("{name}: {:?}", f[name]));
    (
        [set("CapBnd"), set("CapPrm"), set("CapEff"), set("CapInh"), set("CapAmb")],
        f["NoNewPrivs"].clone(),
        f["Seccomp"].clone(),
    )
}

const STATUS: [&str; 3] = [IN_PROBE, "cat", "/proc/self/status"];

#[test]
fn default_container_keeps_only_runcs_capabilities_with_no_new_privs_and_seccomp() {
    let r = Rootfs::new("caps-default");
    let runc = caps(&RUNC_CAPS);
    assert_eq!(runc, 0xa80425fb, "runc's default set, as `runc spec` gives it");
    let (sets, nnp, seccomp) = privileges(r.run(&STATUS));
    assert_eq!(sets, [runc, runc, runc, 0, 0], "CapBnd CapPrm CapEff CapInh CapAmb");
    assert_eq!((nnp.as_str(), seccomp.as_str()), ("1", "2"), "NoNewPrivs, Seccomp");
}

#[test]
fn cap_add_and_cap_drop_change_every_set() {
    let r = Rootfs::new("caps-add-drop");
    let runc = caps(&RUNC_CAPS);
    for (options, want) in [
        (&["--cap-drop", "ALL", "--cap-add", "net_admin"][..], 1 << 12),
        (&["--cap-drop", "CAP_CHOWN", "--cap-drop", "kill"], runc & !caps(&[0, 5])),
        (&["--cap-add", "SYS_ADMIN", "--cap-add", "cap_sys_ptrace"], runc | caps(&[CAP_SYS_ADMIN, 19])),
        (&["--cap-drop", "all"], 0),
        // The last word on a capability wins.
        (&["--cap-add", "NET_ADMIN", "--cap-drop", "NET_ADMIN"], runc),
        (&["--cap-drop", "ALL", "--cap-add", "CAP_NET_ADMIN", "--cap-add", "chown"], caps(&[12, 0])),
    ] {
        let (sets, _, _) = privileges(r.run(&[options, &STATUS[..]].concat()));
        assert_eq!(sets, [want, want, want, 0, 0], "{options:?}: CapBnd CapPrm CapEff CapInh CapAmb");
    }
    let line = fails(r.run(&["--cap-add", "CAP_FLY", IN_PROBE, "exit", "0"]), 125);
    assert_eq!(
        line,
        "nsinit: --cap-add: expected a capability as capabilities(7) names it, such as NET_ADMIN or CAP_NET_ADMIN, or ALL; got 'CAP_FLY'"
    );
}

#[test]
fn bare_container_keeps_nsincts_privileges_unless_told() {
    let r = Rootfs::new("caps-bare");
    let host = status_fields(&fs::read_to_string("/proc/self/status").unwrap());
    let host_bnd = u64::from_str_radix(&host["CapBnd"], 16).unwrap();
    let host_eff = u64::from_str_radix(&host["CapEff"], 16).unwrap();
    let bare = ["--bare", "--unshare", "mnt,pid", "--proc", "/proc"];
    let (sets, nnp, seccomp) = privileges(r.run(&[&bare[..], &STATUS[..]].concat()));
    assert_eq!((sets[0], sets[2]), (host_bnd, host_eff), "--bare leaves the bounding and effective sets alone");
    assert_eq!((nnp.as_str(), seccomp.as_str()), ("0", "0"));
    let (sets, _, _) = privileges(r.run(&[&bare[..], &["--cap-drop", "NET_RAW"], &STATUS[..]].concat()));
    assert_eq!((sets[0], sets[2]), (host_bnd & !(1 << 13), host_eff & !(1 << 13)), "--bare --cap-drop NET_RAW");
    let mountinfo = ok(r.run(&[&bare[..], &[IN_PROBE, "mountinfo"]].concat()));
    assert!(!mountinfo.contains(" /proc/sys "), "--bare makes no path read-only: {mountinfo}");
}

#[test]
fn allow_new_privs_turns_no_new_privs_off_and_keeps_the_filter() {
    let r = Rootfs::new("nnp-off");
    let (sets, nnp, seccomp) = privileges(r.run(&[&["--allow-new-privs"][..], &STATUS[..]].concat()));
    assert_eq!((nnp.as_str(), seccomp.as_str()), ("0", "2"), "NoNewPrivs, Seccomp");
    assert_eq!(sets[2], caps(&RUNC_CAPS), "the filter went in before the capabilities went");
}

/// What each of the probe's `syscalls` calls returned.
fn syscall_results(out: Out) -> std::collections::BTreeMap<String, String> {
    ok(out).lines().filter_map(|l| l.split_once(' ')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// What the kernel itself answers the probe's `syscalls` in a default
/// container with no filter: never EPERM, so an EPERM is the filter's.
const UNFILTERED: [(&str, &str); 13] = [
    ("mount", "EFAULT"),
    ("unshare", "ok"),
    ("setns", "EBADF"),
    ("clone-newuser", "EINVAL"),
    ("clone3", "EINVAL"),
    ("keyctl", "ENOKEY"),
    ("add_key", "EFAULT"),
    ("request_key", "EFAULT"),
    ("perf_event_open", "EFAULT"),
    ("userfaultfd", "EINVAL"),
    ("clock_settime", "EFAULT"),
    ("getpid", "ok"),
    ("uname", "EFAULT"),
];

fn results(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// What the probe's `syscalls` get under the default filter, without
/// CAP_SYS_ADMIN: EPERM for each denied call; for clone3, whose flags are
/// out of the filter's sight, ENOSYS, which sends libc to clone(2).
fn default_filter_results() -> std::collections::BTreeMap<String, String> {
    let mut want = results(&UNFILTERED);
    for denied in ["mount", "unshare", "setns", "clone-newuser", "keyctl", "add_key", "request_key", "perf_event_open", "userfaultfd", "clock_settime"] {
        want.insert(denied.into(), "EPERM".into());
    }
    want.insert("clone3".into(), "ENOSYS".into());
    want
}

#[test]
fn default_filter_denies_what_dockers_denies_and_allows_the_rest() {
    let r = Rootfs::new("seccomp-default");
    let probe = [IN_PROBE, "syscalls"];
    assert_eq!(syscall_results(r.run(&[&["--seccomp", "off"][..], &probe[..]].concat())), results(&UNFILTERED), "--seccomp off");
    assert_eq!(syscall_results(r.run(&probe)), default_filter_results(), "the default filter");
    // With CAP_SYS_ADMIN, as in Docker, mounts and namespaces are allowed.
    let mut admin = results(&UNFILTERED);
    for denied in ["keyctl", "add_key", "request_key", "userfaultfd", "clock_settime"] {
        admin.insert(denied.into(), "EPERM".into());
    }
    let got = syscall_results(r.run(&[&["--cap-add", "SYS_ADMIN"][..], &probe[..]].concat()));
    assert_eq!(got, admin, "the default filter with --cap-add SYS_ADMIN");
}

#[test]
fn a_profile_file_kills_a_call_through_another_abi_unless_it_says_abi_all() {
    // The default filter decides them as Docker's does: tests/privilege.rs.
    let r = Rootfs::new("seccomp-abi");
    const SIGSYS: i32 = 31;
    let profile = r.outside("profile");
    write_file(&profile, "deny mount\n");
    let p = profile.to_str().unwrap();
    for abi in ["x32", "i386"] {
        let out = r.run(&["--seccomp", p, IN_PROBE, abi]);
        assert_eq!((out.code(), out.stdout.as_str(), out.stderr.as_str()), (128 + SIGSYS, "", ""), "{abi}: {out:?}");
        let out = ok(r.run(&["--seccomp", "off", IN_PROBE, abi]));
        assert!(out.starts_with("returned "), "{abi} without a filter: {out:?}");
    }
    write_file(&profile, "deny mount\nabi all\n");
    assert_eq!(ok(r.run(&["--seccomp", p, IN_PROBE, "i386"])), ok(r.run(&["--seccomp", "off", IN_PROBE, "i386"])));
}

#[test]
fn seccomp_profile_file_sets_the_filter() {
    let r = Rootfs::new("seccomp-file");
    let profile = r.outside("profile");
    write_file(
        &profile,
        "# only what the probe needs, and getpid\ndefault deny\nallow execve\nallow exit_group\nallow write\n\
         allow\tgetpid\ndeny uname ENOSYS\n",
    );
    let p = profile.to_str().unwrap();
    let mut want: std::collections::BTreeMap<String, String> = UNFILTERED.iter().map(|(k, _)| (k.to_string(), "EPERM".to_string())).collect();
    want.insert("getpid".into(), "ok".into());
    want.insert("uname".into(), "ENOSYS".into());
    assert_eq!(syscall_results(r.run(&["--seccomp", p, IN_PROBE, "syscalls"])), want, "default deny");

    write_file(&profile, "default allow\ndeny getpid 13\nkill uname\nallow getpid\ndeny getpid EACCES\n");
    let out = r.run(&["--seccomp", p, IN_PROBE, "syscalls"]);
    assert_eq!(out.code(), 128 + 31, "uname kills: {out:?}");
    assert!(out.stdout.contains("getpid EACCES\n"), "the later rule for getpid wins: {out:?}");
    assert!(out.stdout.contains("mount EFAULT\n"), "the rest is allowed: {out:?}");
    // The filter goes in with no_new_privs, or before the capabilities go without it.
    let (_, nnp, seccomp) = privileges(r.run(&[&["--seccomp", p, "--allow-new-privs", "--cap-drop", "ALL"][..], &STATUS[..]].concat()));
    assert_eq!((nnp.as_str(), seccomp.as_str()), ("0", "2"));
    let (_, _, seccomp) = privileges(r.run(&[&["--bare", "--unshare", "mnt,pid", "--proc", "/proc", "--seccomp", p][..], &STATUS[..]].concat()));
    assert_eq!(seccomp, "2", "--bare with a profile");
}

#[test]
fn seccomp_profile_errors_name_the_file_and_line() {
    let r = Rootfs::new("seccomp-errors");
    let profile = r.outside("bad");
    let p = profile.to_str().unwrap();
    for (text, what) in [
        ("allow getpid\n\ndeny fooo\n", "3: unknown system call 'fooo'"),
        ("deny getpid EWHAT\n", "1: "),
        ("deny getpid 0\n", "1: "),
        ("default maybe\n", "1: "),
        ("permit getpid\n", "1: "),
        ("allow\n", "1: "),
        ("allow getpid getppid\n", "1: "),
    ] {
        write_file(&profile, text);
        let line = fails(r.run(&["--seccomp", p, IN_PROBE, "exit", "0"]), 125);
        assert!(line.starts_with(&format!("nsinit: {p}:{what}")), "{text:?} gave {line:?}");
    }
    let line = fails(r.run(&["--seccomp", "/nonexistent/profile", IN_PROBE, "exit", "0"]), 125);
    assert_sys_error(&line, "open", "/nonexistent/profile", "ENOENT");
}

#[test]
fn masked_paths_read_as_empty_and_read_only_paths_refuse_writes() {
    let r = Rootfs::new("masked");
    for path in MASKED_PATHS.iter().filter(|p| Path::new(p).exists()) {
        let out = if Path::new(path).is_dir() { r.run(&[IN_PROBE, "ls", path]) } else { r.run(&[IN_PROBE, "cat", path]) };
        assert_eq!(ok(out), "", "{path} is not masked");
    }
    let writable = [("/proc/sysrq-trigger", "h"), ("/proc/sys/kernel/hostname", "x"), ("/proc/sys/vm/drop_caches", "1")];
    for (path, text) in writable.into_iter().filter(|(p, _)| Path::new(p).exists()) {
        let out = r.run(&[IN_PROBE, "write", path, text]);
        assert_eq!((out.code(), out.stdout), (1, format!("probe: {path}: EROFS (Read-only file system)\n")), "{path}");
    }
    // Without the defaults /proc/sys is writable where the namespace owns it.
    assert_eq!(ok(r.run(&["--bare", "--unshare", "mnt,uts,pid", "--proc", "/proc", IN_PROBE, "write", "/proc/sys/kernel/hostname", "x"])), "");

    write_file(&r.host("/etc/secret"), "secret\n");
    write_file(&r.host("/etc/dir/file"), "in a directory\n");
    let more = ["--mask", "/etc/secret", "--mask", "/etc/dir", "--mask", "/not/there", "--ro-path", "/tmp", "--ro-path", "/nope"];
    assert_eq!(ok(r.run(&[&more[..], &[IN_PROBE, "cat", "/etc/secret"]].concat())), "");
    assert_eq!(ok(r.run(&[&more[..], &[IN_PROBE, "ls", "/etc/dir"]].concat())), "");
    let out = r.run(&[&more[..], &[IN_PROBE, "write", "/tmp/x", "y"]].concat());
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /tmp/x: EROFS (Read-only file system)\n"));
    let out = r.run(&[&more[..], &[IN_PROBE, "write", "/etc/dir/file", "y"]].concat());
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /etc/dir/file: EROFS (Read-only file system)\n"));
    assert_eq!(fs::read_to_string(r.host("/etc/secret")).unwrap(), "secret\n");

    assert_eq!(
        fails(r.run(&["--mask", "etc", IN_PROBE, "exit", "0"]), 125),
        "nsinit: --mask: must be an absolute path in the container; got 'etc'"
    );
    assert_eq!(
        fails(nsinit(&["--ro-path", "/a/../b", "x"]), 125),
        "nsinit: --ro-path: must not contain '..'; got '/a/../b'"
    );
    assert_eq!(
        fails(nsinit(&["--share", "mnt", "--mask", "/proc/keys", "x"]), 125),
        "nsinit: --mask and --ro-path need the mount namespace; drop '--share mnt'"
    );
}

#[test]
fn masked_and_read_only_paths_in_proc_go_on_top_of_the_mounts_after_them() {
    // While the network namespace is made, nsinit applies the /proc rules
    // before the sysfs mount, unless a mount still to come is on, above or
    // below the path: then, as always, the rule goes on top of that mount.
    let r = Rootfs::new("masked-later");
    let dir = MASKED_PATHS.iter().find(|p| Path::new(p).is_dir()).expect("no masked directory of /proc on this host");
    let file = MASKED_PATHS.iter().find(|p| Path::new(p).is_file() && fs::read(p).is_ok_and(|t| !t.is_empty())).expect("no readable masked file in /proc");
    // A tmpfs on a masked directory is covered by the mask.
    let out = r.run(&["--tmpfs", dir, IN_PROBE, "write", &format!("{dir}/x"), "y"]);
    assert_eq!((out.code(), out.stdout), (1, format!("probe: {dir}/x: EROFS (Read-only file system)\n")), "--tmpfs {dir}");
    // A bind on a read-only path is made read-only; the host's directory keeps nothing.
    let host = r.outside("bus");
    fs::create_dir_all(&host).unwrap();
    let out = r.run(&["--bind", host.to_str().unwrap(), "/proc/bus", IN_PROBE, "write", "/proc/bus/x", "y"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /proc/bus/x: EROFS (Read-only file system)\n"));
    assert!(!host.join("x").exists());
    // A second procfs on /proc: every rule is applied to it.
    assert_eq!(ok(r.run(&["--proc", "/proc", IN_PROBE, "cat", file])), "", "{file} under a second /proc");
    let out = r.run(&["--proc", "/proc", IN_PROBE, "write", "/proc/sys/kernel/hostname", "x"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /proc/sys/kernel/hostname: EROFS (Read-only file system)\n"));
    // The same without a network namespace, where nothing is applied early.
    let out = r.run(&["--share", "net", "--tmpfs", dir, IN_PROBE, "write", &format!("{dir}/x"), "y"]);
    assert_eq!((out.code(), out.stdout), (1, format!("probe: {dir}/x: EROFS (Read-only file system)\n")), "--share net --tmpfs {dir}");
    // And the defaults still hold with the early rules.
    assert_eq!(ok(r.run(&[IN_PROBE, "cat", file])), "", "{file}");
}

#[test]
fn masked_and_read_only_paths_below_proc_and_sys_land_where_the_container_looks() {
    // Below a procfs or sysfs of its own, nsinit reaches a masked or
    // read-only path from that filesystem's root by name; wherever the
    // image or a later mount could have a say it looks the path up from the
    // root as before. Either way the rule lands on what the payload sees.
    let r = Rootfs::new("masked-below");
    // A procfs link (mounts -> self/mounts): the payload's own table is hidden.
    assert_eq!(ok(r.run(&["--mask", "/proc/mounts", IN_PROBE, "cat", "/proc/mounts"])), "");
    assert!(!ok(r.run(&["--mask", "/proc/mounts", IN_PROBE, "mountinfo"])).is_empty(), "mountinfo is not masked");
    // A PID's directory (looked up from the root): the payload is PID 1.
    assert_eq!(ok(r.run(&["--mask", "/proc/1/environ", IN_PROBE, "cat", "/proc/1/environ"])), "");
    // A later mount below the masked sysfs directory: the mask covers it.
    assert_eq!(ok(r.run(&["--mask", "/sys/kernel", "--tmpfs", "/sys/kernel/mm", IN_PROBE, "ls", "/sys/kernel"])), "");
    let out = r.run(&["--ro-path", "/sys/kernel/mm", "--tmpfs", "/sys/kernel/mm", IN_PROBE, "write", "/sys/kernel/mm/x", "y"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /sys/kernel/mm/x: EROFS (Read-only file system)\n"));
    // A deeper read-only path, and one that is not there.
    let out = r.run(&["--ro-path", "/proc/sys/kernel", "--ro-path", "/proc/nothing/here", IN_PROBE, "write", "/proc/sys/kernel/hostname", "x"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /proc/sys/kernel/hostname: EROFS (Read-only file system)\n"));

    // An image whose /proc is a link to another of its directories: procfs
    // is mounted there, and the rules follow it.
    let linked = Rootfs::with_dirs("masked-linked", &["bin", "tmp", "etc", "sys", "dev", "kernel"]);
    fs::remove_dir(linked.host("/proc")).ok();
    symlink("/kernel", linked.host("/proc")).unwrap();
    let file = MASKED_PATHS.iter().find(|p| Path::new(p).is_file() && fs::read(p).is_ok_and(|t| !t.is_empty())).expect("no readable masked file in /proc");
    assert_eq!(ok(linked.run(&[IN_PROBE, "cat", file])), "", "{file} through /proc -> /kernel");
    let out = linked.run(&[IN_PROBE, "write", "/kernel/sys/kernel/hostname", "x"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /kernel/sys/kernel/hostname: EROFS (Read-only file system)\n"));
}

#[test]
fn hostile_rootfs_symlinks_keep_every_mount_inside_it() {
    // The runc CVE-2019-16884 and CVE-2021-30465 classes: a rootfs whose
    // mount points are symlinks to host paths. Each run below checks that
    // the host's mount table is as it was (HostState); here, that the host
    // paths the links name are untouched too.
    let r = Rootfs::with_dirs("hostile", &["bin", "tmp", "etc", "sys"]);
    let victim = r.outside("victim");
    fs::create_dir_all(&victim).unwrap();
    write_file(&victim.join("file"), "host data\n");
    let victim_s = victim.to_str().unwrap().to_string();
    // /proc is an absolute link to a host directory; /dev one to the host's /dev.
    symlink(&victim, r.host("/proc")).unwrap();
    symlink("/dev", r.host("/dev")).unwrap();
    // The link resolves inside the rootfs, where its target does not exist:
    // it is made there, as runc does since 1.2 (issue 12), and nothing is
    // made or mounted at the host path. /dev -> /dev resolves to itself
    // inside: a loop, refused.
    let eloop = format!(
        "nsinit: open /dev: ELOOP (Too many symbolic links encountered) in {} (a symlink loop, or a link into /proc, in the image)",
        r.root_str()
    );
    assert_eq!(fails(r.run(&[IN_PROBE, "mountinfo"]), 125), eloop);
    assert!(r.host(&victim_s).is_dir(), "the link's target, made inside the rootfs");
    fs::remove_file(r.host("/proc")).unwrap();
    fs::create_dir(r.host("/proc")).unwrap();
    assert_eq!(fails(r.run(&[IN_PROBE, "mountinfo"]), 125), eloop);
    assert_eq!(fs::read_dir(&victim).unwrap().count(), 1, "only the victim's own file is there");
    // A bind and a mask through links that climb out: both land inside.
    symlink("../../../../../../../..", r.host("/etc/up")).unwrap();
    symlink(&victim, r.host("/etc/abs")).unwrap();
    let host_passwd = fs::read("/etc/passwd").unwrap();
    let source = r.outside("source");
    write_file(&source, "from the bind\n");
    write_file(&r.host("/etc/passwd"), "the rootfs's own\n");
    let out = r.run(&[
        "--bare", "--unshare", "mnt",
        "--bind", source.to_str().unwrap(), &format!("/etc/up{victim_s}/file"),
        "--mask", "/etc/up/etc/passwd",
        "--ro-path", "/etc/abs",
        IN_PROBE, "cat", "/etc/up/etc/passwd",
    ]);
    assert_eq!(ok(out), "", "the mask covers the rootfs's /etc/passwd");
    assert_eq!(fs::read_to_string(r.host(&format!("{victim_s}/file"))).unwrap(), "", "the bind's mount point, made inside");
    assert_eq!(fs::read_to_string(victim.join("file")).unwrap(), "host data\n");
    assert_eq!(fs::read("/etc/passwd").unwrap(), host_passwd);
    fs::write(victim.join("file"), "still writable\n").expect("the host's directory stays writable");
}

#[test]
fn rootless_default_container_is_locked_down_too() {
    let r = Rootfs::new("rootless-privileges");
    let runc = caps(&RUNC_CAPS);
    let root = ["--rootfs", r.root_str()];
    let (sets, nnp, seccomp) = privileges(as_nobody(&r, &[&root[..], &STATUS[..]].concat()));
    assert_eq!(sets, [runc, runc, runc, 0, 0], "CapBnd CapPrm CapEff CapInh CapAmb, in its user namespace");
    assert_eq!((nnp.as_str(), seccomp.as_str()), ("1", "2"));
    assert_eq!(syscall_results(as_nobody(&r, &[&root[..], &[IN_PROBE, "syscalls"]].concat())), default_filter_results());
    // --allow-new-privs: the filter goes in while the namespace's CAP_SYS_ADMIN is there.
    let (_, nnp, seccomp) = privileges(as_nobody(&r, &[&root[..], &["--allow-new-privs"], &STATUS[..]].concat()));
    assert_eq!((nnp.as_str(), seccomp.as_str()), ("0", "2"));
}

#[test]
fn masked_paths_below_proc_spelled_any_way_are_hidden() {
    // The by-name way below a procfs takes the path as written (`//`, a
    // trailing `/`), and `.` sends it the way from the root: both land on
    // the file the payload reads.
    let r = Rootfs::new("masked-spelled");
    assert!(!ok(r.run(&[IN_PROBE, "cat", "/proc/uptime"])).is_empty(), "/proc/uptime unmasked has a line");
    for mask in ["//proc//uptime/", "/proc/./uptime", "/./proc/uptime//"] {
        assert_eq!(ok(r.run(&["--mask", mask, IN_PROBE, "cat", "/proc/uptime"])), "", "--mask {mask}");
    }
}
