//! The container's cgroup: which paths `--cgroup` takes, that nsinit kills
//! in and removes only the cgroups it made, that the default cgroup nests
//! below the caller's so its limits hold (v1 here; v2 in tests/boot.rs), and
//! the read-only cgroup filesystem of the default container.

mod harness;
use harness::*;

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

/// The v1 hierarchies nsinit places containers in.
const V1_CONTROLLERS: [&str; 4] = ["pids", "memory", "cpu", "cpuset"];

/// The line nsinit gives for a `--cgroup` path that names no cgroup below
/// the one meant.
fn bad_path(path: &str) -> String {
    format!("nsinit: --cgroup: expected a cgroup path whose components are not empty, '.' or '..'; got '{path}'")
}

/// This process's cgroup in `controller`'s v1 hierarchy, `/` for the root.
fn own_cgroup(controller: &str) -> String {
    let text = fs::read_to_string("/proc/self/cgroup").expect("read /proc/self/cgroup");
    text.lines()
        .find_map(|l| {
            let mut f = l.splitn(3, ':');
            let (_, list, path) = (f.next()?, f.next()?, f.next()?);
            list.split(',').any(|c| c == controller).then(|| path.to_string())
        })
        .unwrap_or_else(|| panic!("no {controller} line in /proc/self/cgroup: {text}"))
}

/// `/sys/fs/cgroup/CONTROLLER/PATH`, PATH absolute in the hierarchy.
fn dir(controller: &str, path: &str) -> String {
    format!("/sys/fs/cgroup/{controller}{}", if path == "/" { "" } else { path })
}

/// The `nsinit-*` cgroups below this process's own, in each hierarchy.
fn default_cgroups() -> Vec<String> {
    let mut found = Vec::new();
    for c in V1_CONTROLLERS {
        let parent = dir(c, &own_cgroup(c));
        for e in fs::read_dir(&parent).unwrap_or_else(|e| panic!("read {parent}: {e}")).flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let pid = name.strip_prefix("nsinit-").map(|n| n.trim_end_matches(".self"));
            if pid.is_some_and(|p| p.parse::<u32>().is_ok()) && e.path().is_dir() {
                found.push(e.path().display().to_string());
            }
        }
    }
    found
}

/// A cgroup a test makes itself (as an administrator would), in the
/// hierarchies it names, with a process parked in it; removed at the end.
struct Parked {
    path: String,
    controllers: Vec<&'static str>,
    sleeper: Child,
}

impl Parked {
    fn new(path: &str, controllers: &[&'static str]) -> Parked {
        require_root();
        let sleeper = Command::new("sleep").arg("1000").spawn().expect("spawn sleep");
        for c in controllers {
            let d = dir(c, path);
            let _ = fs::create_dir(&d);
            fs::write(format!("{d}/cgroup.procs"), sleeper.id().to_string()).unwrap_or_else(|e| panic!("park in {d}: {e}"));
        }
        Parked { path: path.to_string(), controllers: controllers.to_vec(), sleeper }
    }

    /// The parked process is alive and still in each of the cgroups, which are there.
    fn assert_intact(&mut self, what: &str) {
        assert!(self.sleeper.try_wait().expect("try_wait").is_none(), "{what}: the parked process was killed");
        for c in &self.controllers {
            let procs = fs::read_to_string(format!("{}/cgroup.procs", dir(c, &self.path)))
                .unwrap_or_else(|e| panic!("{what}: the cgroup {} is gone: {e}", dir(c, &self.path)));
            assert!(procs.lines().any(|p| p == self.sleeper.id().to_string()), "{what}: the parked process left {c}:{}", self.path);
        }
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        let _ = self.sleeper.kill();
        let _ = self.sleeper.wait();
        for c in &self.controllers {
            let d = dir(c, &self.path);
            for _ in 0..100 {
                if fs::remove_dir(&d).is_ok() || !Path::new(&d).exists() {
                    break;
                }
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Removes `path` (test leftovers) in every hierarchy, deepest first.
fn remove_everywhere(paths: &[&str]) {
    for c in V1_CONTROLLERS {
        for p in paths {
            let _ = fs::remove_dir(dir(c, p));
        }
    }
}

// ---------------------------------------------------------------------------
// Item: --cgroup / killed the host
// ---------------------------------------------------------------------------

#[test]
fn cgroup_paths_naming_a_root_or_a_parent_are_refused_before_anything_is_touched() {
    let r = Rootfs::new("cg-bad-paths");
    for path in ["/", ".", "//", "..", "/..", "/.", "./", "a/", "/a/", "a//b", "//a", "./a", "a/.", "a/./b", "a/../b", "/a/.."] {
        let line = fails(r.run(&["--cgroup", path, "--pids-max", "10", IN_PROBE, "exit", "0"]), 125);
        assert_eq!(line, bad_path(path));
        for c in V1_CONTROLLERS {
            for made in [dir(c, "/a"), format!("{}/a", dir(c, &own_cgroup(c)))] {
                assert!(!Path::new(&made).exists(), "--cgroup {path} made {made}");
            }
        }
    }
    assert_eq!(fails(r.run(&["--cgroup", "", IN_PROBE, "exit", "0"]), 125), bad_path(""));
    // In a config file too, with its place.
    let conf = r.outside("box.conf");
    write_file(&conf, &format!("rootfs {}\npids-max 10\ncgroup /\n--\n{IN_PROBE} exit 0\n", r.root_str()));
    let conf = conf.to_str().expect("UTF-8");
    assert_eq!(
        fails(nsinit(&["--config", conf]), 125),
        format!("nsinit: {conf}:3: cgroup: expected a cgroup path whose components are not empty, '.' or '..'; got '/'")
    );
    let long = "a".repeat(256);
    assert_eq!(fails(r.run(&["--cgroup", &long, IN_PROBE, "exit", "0"]), 125), "nsinit: --cgroup: cgroup path too long (at most 255 bytes)");
}

#[test]
fn a_failed_limit_write_in_a_cgroup_nsinit_found_kills_nothing_and_removes_nothing() {
    let r = Rootfs::new("cg-found-fail");
    let path = format!("/nsinit-test-found-{}", std::process::id());
    let mut parked = Parked::new(&path, &["pids", "memory"]);
    // CPU 999 does not exist: the write to cpuset.cpus fails after the
    // cgroup is joined in pids and memory, and made in cpu and cpuset.
    let line = fails(r.run(&["--cgroup", &path, "--pids-max", "50", "--cpuset", "999", IN_PROBE, "exit", "0"]), 125);
    assert_eq!(line, format!("nsinit: write {}/cpuset.cpus: ERANGE (Math result not representable) (999)", dir("cpuset", &path)));
    parked.assert_intact("after a failed limit write");
    for c in ["cpu", "cpuset"] {
        assert!(!Path::new(&dir(c, &path)).exists(), "the cgroup nsinit made in {c} was left behind");
    }
    // A run that succeeds leaves the found cgroup, and what is in it, too.
    ok(r.run(&["--cgroup", &path, "--pids-max", "50", IN_PROBE, "exit", "0"]));
    parked.assert_intact("after a successful run");
    // A container killed in it: only the container's processes go.
    assert_eq!(r.run(&["--cgroup", &path, "--pids-max", "50", IN_PROBE, "kill", "11"]).code(), 139);
    parked.assert_intact("after the payload was killed");
    assert_eq!(fs::read_to_string(format!("{}/pids.max", dir("pids", &path))).expect("pids.max").trim(), "50");
}

#[test]
fn below_a_found_cgroup_nsinit_removes_only_the_levels_it_made() {
    let r = Rootfs::new("cg-found-below");
    let path = format!("/nsinit-test-below-{}", std::process::id());
    let mut parked = Parked::new(&path, &["pids"]);
    let inner = format!("{path}/a/b");
    let line = fails(r.run(&["--cgroup", &inner, "--pids-max", "50", "--cpuset", "999", IN_PROBE, "exit", "0"]), 125);
    assert_eq!(line, format!("nsinit: write {}/cpuset.cpus: ERANGE (Math result not representable) (999)", dir("cpuset", &inner)));
    parked.assert_intact("after a failed run below it");
    let out = ok(r.run(&["--cgroup", &inner, "--pids-max", "50", IN_PROBE, "cat", "/proc/self/cgroup"]));
    assert!(out.lines().any(|l| l.ends_with(&format!(":pids:{inner}"))), "{out}");
    parked.assert_intact("after a run below it");
    assert!(!Path::new(&dir("pids", &format!("{path}/a"))).exists(), "nsinit left the levels it made");
    for c in ["memory", "cpu", "cpuset"] {
        assert!(!Path::new(&dir(c, &path)).exists(), "nsinit left {c}:{path}, which it made");
    }
}

#[test]
fn the_callers_own_cgroup_named_with_cgroup_is_joined_and_its_other_processes_survive() {
    let r = Rootfs::new("cg-callers-own");
    let path = format!("/nsinit-test-caller-own-{}", std::process::id());
    let mut parked = Parked::new(&path, &["pids"]);
    let procs = format!("{}/cgroup.procs", dir("pids", &path));
    // nsinit started in the cgroup it is told to use, beside a process of its caller's.
    let wrap = |extra: &[&str]| {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo $$ > \"$0\" && exec \"$@\"", &procs, NSINIT, "--rootfs", r.root_str(), "--cgroup", &path]);
        cmd.args(extra);
        cmd
    };
    let line = fails(run(wrap(&["--pids-max", "50", "--cpuset", "999", IN_PROBE, "exit", "0"]), Some(&r)), 125);
    assert_eq!(line, format!("nsinit: write {}/cpuset.cpus: ERANGE (Math result not representable) (999)", dir("cpuset", &path)));
    parked.assert_intact("its own cgroup, a failed run");
    ok(run(wrap(&["--pids-max", "50", IN_PROBE, "exit", "0"]), Some(&r)));
    parked.assert_intact("its own cgroup, a run");
    remove_everywhere(&[&path]);
}

// ---------------------------------------------------------------------------
// Item: limits escaped the caller's cgroup
// ---------------------------------------------------------------------------

/// A v1 memory cgroup limited to `limit` bytes, made at the root of the
/// memory hierarchy, for a caller to run nsinit in.
struct Caller {
    path: String,
}

impl Caller {
    fn new(tag: &str, limit: u64) -> Caller {
        require_root();
        let path = format!("/nsinit-test-{tag}-{}", std::process::id());
        let d = dir("memory", &path);
        let _ = fs::create_dir(&d);
        fs::write(format!("{d}/memory.limit_in_bytes"), limit.to_string()).unwrap_or_else(|e| panic!("limit {d}: {e}"));
        Caller { path }
    }

    /// `nsinit ARGS...` started by a shell that first moves itself into the cgroup.
    fn nsinit(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("sh");
        let procs = format!("{}/cgroup.procs", dir("memory", &self.path));
        cmd.args(["-c", "echo $$ > \"$0\" && exec \"$@\"", &procs, NSINIT]).args(args);
        cmd
    }

    /// nsinit left nothing below the caller's cgroup.
    fn assert_empty(&self, what: &str) {
        let d = dir("memory", &self.path);
        let left: Vec<_> = fs::read_dir(&d).expect("read the caller's cgroup").flatten().filter(|e| e.path().is_dir()).map(|e| e.path()).collect();
        assert!(left.is_empty(), "{what}: left below {d}: {left:?}");
    }
}

impl Drop for Caller {
    fn drop(&mut self) {
        let _ = fs::remove_dir(dir("memory", &self.path));
    }
}

#[test]
fn the_default_cgroup_nests_below_the_callers_so_its_memory_limit_holds() {
    let r = Rootfs::new("cg-nest-oom");
    let caller = Caller::new("caller-64m", 64 << 20);
    // The issue's repro: the container's own limit is on pids only.
    let out = run(caller.nsinit(&["--rootfs", r.root_str(), "--pids-max", "100", IN_PROBE, "hog", "256"]), Some(&r));
    assert_eq!(out.code(), 137, "the caller's 64 MiB did not hold: {out:?}");
    assert!(!out.stdout.contains("hog done"), "{out:?}");
    assert_eq!(out.stderr, "nsinit: container killed by the OOM killer (memory.limit_in_bytes=-1)\n");
    caller.assert_empty("after the OOM kill");
    // A larger limit of the container's own cannot lift the caller's.
    let out = run(caller.nsinit(&["--rootfs", r.root_str(), "--memory-max", "512M", IN_PROBE, "hog", "256"]), Some(&r));
    assert_eq!(out.code(), 137, "{out:?}");
    assert_eq!(out.stderr, "nsinit: container killed by the OOM killer (memory.limit_in_bytes=536870912)\n");
    caller.assert_empty("after the second OOM kill");
    // Under the caller's limit, the payload runs to its end.
    let out = run(caller.nsinit(&["--rootfs", r.root_str(), "--pids-max", "100", IN_PROBE, "hog", "16"]), Some(&r));
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "{out:?}");
    assert!(out.stdout.ends_with("hog done\n"), "{out:?}");
    caller.assert_empty("after a run under the limit");
}

#[test]
fn the_default_cgroup_is_nsinit_pid_below_nsinits_own_in_each_hierarchy() {
    let r = Rootfs::new("cg-nest-place");
    let caller = Caller::new("caller-place", 256 << 20);
    let out = ok(run(caller.nsinit(&["--rootfs", r.root_str(), "--pids-max", "100", IN_PROBE, "cat", "/proc/self/cgroup"]), Some(&r)));
    let line = |c: &str| out.lines().find(|l| l.split(':').nth(1).is_some_and(|list| list.split(',').any(|x| x == c))).unwrap_or_else(|| panic!("no {c} in {out}")).to_string();
    let memory = line("memory");
    let nested = memory.rsplit_once(':').map(|(_, p)| p).expect("a path");
    let (parent, leaf) = nested.rsplit_once('/').expect("a parent");
    assert_eq!(parent, caller.path, "{out}");
    assert!(leaf.strip_prefix("nsinit-").is_some_and(|pid| pid.parse::<u32>().is_ok()), "{out}");
    // In the others, below this process's own cgroup (the shell's).
    for c in ["pids", "cpu", "cpuset"] {
        let own = own_cgroup(c);
        let want = format!("{}/{leaf}", if own == "/" { "" } else { own.as_str() });
        assert!(line(c).ends_with(&format!(":{want}")), "{c}: {out}");
    }
    caller.assert_empty("after the run");
    assert_eq!(default_cgroups(), Vec::<String>::new());
}

#[test]
fn a_relative_cgroup_is_below_nsinits_own_and_an_absolute_one_below_the_root() {
    let r = Rootfs::new("cg-relative");
    let caller = Caller::new("caller-rel", 256 << 20);
    let name = format!("nsinit-test-rel-{}/box", std::process::id());
    let out = ok(run(caller.nsinit(&["--rootfs", r.root_str(), "--cgroup", &name, "--pids-max", "100", IN_PROBE, "cat", "/proc/self/cgroup"]), Some(&r)));
    assert!(out.lines().any(|l| l.ends_with(&format!(":memory:{}/{name}", caller.path))), "{out}");
    caller.assert_empty("relative --cgroup");
    let abs = format!("/{name}");
    let out = ok(run(caller.nsinit(&["--rootfs", r.root_str(), "--cgroup", &abs, "--pids-max", "100", IN_PROBE, "cat", "/proc/self/cgroup"]), Some(&r)));
    assert!(out.lines().any(|l| l.ends_with(&format!(":memory:{abs}"))), "{out}");
    for c in V1_CONTROLLERS {
        assert!(!Path::new(&dir(c, &abs)).exists(), "{c}: {abs} left behind");
    }
}

#[test]
fn a_killed_nsinits_cgroup_below_the_callers_is_swept_by_the_next_run() {
    let r = Rootfs::new("cg-nest-stale");
    let caller = Caller::new("caller-stale", 256 << 20);
    let host = HostState::take();
    kill_nsinit_once_the_payload_runs(caller.nsinit(&["--rootfs", r.root_str(), "--pids-max", "10", IN_PROBE, "sleep", "100"]), &r);
    drop(host);
    let d = dir("memory", &caller.path);
    let left: Vec<_> = fs::read_dir(&d).expect("read").flatten().filter(|e| e.path().is_dir()).collect();
    assert_eq!(left.len(), 1, "the killed run's cgroup should be there until the next run");
    ok(run(caller.nsinit(&["--rootfs", r.root_str(), "--pids-max", "10", IN_PROBE, "exit", "0"]), Some(&r)));
    caller.assert_empty("the next run sweeps a killed run's cgroup");
    // The other hierarchies' were swept too.
    assert_eq!(default_cgroups(), Vec::<String>::new());
}

// ---------------------------------------------------------------------------
// The default container's /sys/fs/cgroup
// ---------------------------------------------------------------------------

/// The host's mounts under /sys/fs/cgroup (its v1 hierarchies and the empty v2 one).
fn host_hierarchies() -> Vec<String> {
    host_mount_points().into_iter().filter(|p| p.starts_with("/sys/fs/cgroup/")).collect()
}

#[test]
fn the_default_container_sees_its_cgroup_limits_read_only_in_sys_fs_cgroup() {
    let r = Rootfs::new("cg-fs");
    let path = format!("/nsinit-test-fs-{}", std::process::id());
    let mounts = parse_mountinfo(&ok(r.run(&[IN_PROBE, "mountinfo"])));
    let fs_root = point(&mounts, "/sys/fs/cgroup");
    assert!(fs_root.opts.split(',').any(|o| o == "ro"), "{fs_root:?}");
    let hierarchies = host_hierarchies();
    assert!(hierarchies.iter().any(|h| h == "/sys/fs/cgroup/memory"), "this host has cgroup v1: {hierarchies:?}");
    for h in &hierarchies {
        let m = point(&mounts, h);
        assert!(m.fstype == "cgroup" || m.fstype == "cgroup2", "{m:?}");
        assert!(m.opts.split(',').any(|o| o == "ro"), "{h} is not read-only: {m:?}");
    }
    // Its own limit, where /proc/self/cgroup says its cgroup is.
    let limit = format!("/sys/fs/cgroup/memory{path}/memory.limit_in_bytes");
    assert_eq!(ok(r.run(&["--cgroup", &path, "--memory-max", "32M", IN_PROBE, "cat", &limit])), "33554432\n");
    // Read-only: not even root in the container can move a process or lift a limit.
    let out = r.run(&["--cgroup", &path, "--memory-max", "32M", IN_PROBE, "write", &limit, "-1"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, format!("probe: {limit}: EROFS (Read-only file system)\n").as_str()), "{out:?}");
    for c in V1_CONTROLLERS {
        assert!(!Path::new(&dir(c, &path)).exists(), "{c}: {path} left behind");
    }
}

#[test]
fn with_a_cgroup_namespace_sys_fs_cgroup_is_rooted_at_the_containers_cgroup() {
    let r = Rootfs::new("cg-fs-ns");
    let mounts = parse_mountinfo(&ok(r.run(&["--unshare", "cgroup", "--memory-max", "32M", IN_PROBE, "mountinfo"])));
    let fs_root = point(&mounts, "/sys/fs/cgroup");
    assert_eq!(fs_root.fstype, "tmpfs");
    assert!(fs_root.opts.split(',').any(|o| o == "ro"), "{fs_root:?}");
    for h in host_hierarchies() {
        let m = point(&mounts, &h);
        assert_eq!(m.root, "/", "{m:?}");
        assert!(m.opts.split(',').any(|o| o == "ro"), "{h} is not read-only: {m:?}");
    }
    // The namespace's root is the container's cgroup, with its limit.
    let out = ok(r.run(&["--unshare", "cgroup", "--memory-max", "32M", IN_PROBE, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]));
    assert_eq!(out, "33554432\n");
    let out = ok(r.run(&["--unshare", "cgroup", "--pids-max", "7", IN_PROBE, "cat", "/sys/fs/cgroup/pids/pids.max"]));
    assert_eq!(out, "7\n");
    // Links like the host's (cpu -> cpu,cpuacct where they are co-mounted).
    for e in fs::read_dir("/sys/fs/cgroup").expect("read /sys/fs/cgroup").flatten() {
        if e.file_type().expect("type").is_symlink() {
            let name = e.file_name().to_string_lossy().into_owned();
            let target = fs::read_link(e.path()).expect("readlink");
            let out = ok(r.run(&["--unshare", "cgroup", "--pids-max", "7", IN_PROBE, "readlink", &format!("/sys/fs/cgroup/{name}")]));
            assert_eq!(out.trim_end(), target.to_str().expect("UTF-8"));
        }
    }
}

// ---------------------------------------------------------------------------
// Issue 12, item 17: empty parents left in every v1 hierarchy
// ---------------------------------------------------------------------------

/// Two containers below one parent that neither found: the first made it,
/// could not remove it while the second was in it, and the second found it
/// there. Before, the parent stayed in every hierarchy; now the last one out
/// removes it, as nsinit marked it when it made it (`trusted.nsinit`).
#[test]
fn an_empty_parent_another_nsinit_made_is_removed_by_the_last_one_out() {
    let first = Rootfs::new("cg-parent-first");
    let second = Rootfs::new("cg-parent-second");
    let parent = format!("/nsinit-test-parent-{}", std::process::id());
    let (a, b) = (format!("{parent}/a"), format!("{parent}/b"));
    let held = start(&first, &["--rootfs", first.root_str(), "--cgroup", &a, "--pids-max", "50"], IN_PROBE);
    // The second container, started while the first holds the lock.
    let mut cmd = command(&["--rootfs", second.root_str(), "--cgroup", &b, "--pids-max", "50", IN_PROBE, "cat", "/proc/self/fd/0"]);
    let mut other = cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("spawn the second nsinit");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while payload_pids(&second).is_empty() {
        assert!(other.try_wait().expect("try_wait").is_none(), "the second container ended early");
        assert!(std::time::Instant::now() < deadline, "the second container did not start");
        thread::sleep(Duration::from_millis(5));
    }
    held.finish();
    for c in V1_CONTROLLERS {
        assert!(!Path::new(&dir(c, &a)).exists(), "{c}: {a} left");
        assert!(Path::new(&dir(c, &parent)).exists(), "{c}: {parent} removed while the second container is in it");
    }
    drop(other.stdin.take());
    let status = wait_with_timeout(&mut other, "the second nsinit");
    assert!(status.success(), "the second nsinit: {status}");
    for c in V1_CONTROLLERS {
        let left: Vec<_> = [&b, &parent].into_iter().filter(|p| Path::new(&dir(c, p)).exists()).collect();
        assert!(left.is_empty(), "{c}: left behind: {left:?}");
    }
    remove_everywhere(&[&b, &a, &parent]);
}

/// A parent an administrator made (no mark) stays, empty or not; only the
/// levels nsinit made below it go.
#[test]
fn an_empty_parent_an_administrator_made_stays() {
    let r = Rootfs::new("cg-parent-admin");
    let parent = format!("/nsinit-test-admin-{}", std::process::id());
    let inner = format!("{parent}/x/y");
    fs::create_dir(dir("pids", &parent)).expect("make the administrator's cgroup");
    ok(r.run(&["--cgroup", &inner, "--pids-max", "50", IN_PROBE, "exit", "0"]));
    assert!(Path::new(&dir("pids", &parent)).exists(), "the administrator's cgroup was removed");
    assert!(!Path::new(&dir("pids", &format!("{parent}/x"))).exists(), "nsinit left the levels it made");
    for c in ["memory", "cpu", "cpuset"] {
        assert!(!Path::new(&dir(c, &parent)).exists(), "{c}: {parent}, made by nsinit, left");
    }
    remove_everywhere(&[&inner, &format!("{parent}/x"), &parent]);
}

// ---------------------------------------------------------------------------
// Issue 13: the OCI set of limits (`linux.resources`) on cgroup v1; v2, and
// its eBPF device program, in tests/boot.rs
// ---------------------------------------------------------------------------

/// The first file of `files` in `controller`'s cgroup `path`, trimmed.
fn read_limit(controller: &str, path: &str, file: &str) -> String {
    read_trimmed(&format!("{}/{file}", dir(controller, path)))
}

/// The v1 hierarchies a cgroup path was made in, for the leak checks.
fn left_in_any(path: &str) -> Vec<String> {
    fs::read_dir("/sys/fs/cgroup")
        .expect("read /sys/fs/cgroup")
        .flatten()
        .map(|e| format!("{}{path}", e.path().display()))
        .filter(|d| Path::new(d).exists())
        .collect()
}

#[test]
fn every_v1_limit_is_written_to_its_file_with_runcs_conversions() {
    let r = Rootfs::new("cg-oci-limits");
    let path = format!("/nsinit-test-limits-{}", std::process::id());
    let held = start(
        &r,
        &[
            "--rootfs", r.root_str(), "--cgroup", &path,
            "--pids-max", "50",
            "--memory-max", "64M", "--memory-swap", "96M", "--memory-reservation", "32M",
            "--memory-swappiness", "10", "--oom-kill-disable",
            "--cpu-shares", "512", "--cpu-period", "50000", "--cpu-quota", "25000", "--cpu-burst", "1000",
            "--cpu-rt-period", "1000000", "--cpu-rt-runtime", "10000",
            "--cpuset", "0", "--cpuset-mems", "0", "--blkio-weight", "500",
            // A host block device by its path (docker's form) and by its numbers.
            "--device-read-bps", "/dev/loop0:1M", "--device-write-iops", "7:1:100",
            "--device-read-iops", "7:0:20", "--device-write-bps", "7:0:2K",
        ],
        IN_PROBE,
    );
    let want = [
        ("pids", "pids.max", "50"),
        ("memory", "memory.limit_in_bytes", "67108864"),
        // OCI's (and docker's) swap is memory and swap together, as v1's memsw.
        ("memory", "memory.memsw.limit_in_bytes", "100663296"),
        ("memory", "memory.soft_limit_in_bytes", "33554432"),
        ("memory", "memory.swappiness", "10"),
        ("cpu", "cpu.shares", "512"),
        ("cpu", "cpu.cfs_period_us", "50000"),
        ("cpu", "cpu.cfs_quota_us", "25000"),
        ("cpu", "cpu.cfs_burst_us", "1000"),
        ("cpu", "cpu.rt_period_us", "1000000"),
        ("cpu", "cpu.rt_runtime_us", "10000"),
        ("cpuset", "cpuset.cpus", "0"),
        ("cpuset", "cpuset.mems", "0"),
        // No blkio.weight without CFQ: BFQ's file, as runc finds it.
        ("blkio", "blkio.bfq.weight", "500"),
        ("blkio", "blkio.throttle.read_bps_device", "7:0 1048576"),
        ("blkio", "blkio.throttle.write_iops_device", "7:1 100"),
        ("blkio", "blkio.throttle.read_iops_device", "7:0 20"),
        ("blkio", "blkio.throttle.write_bps_device", "7:0 2048"),
    ];
    for (controller, file, value) in want {
        assert_eq!(read_limit(controller, &path, file), value, "{controller}/{file}");
    }
    let oom = read_limit("memory", &path, "memory.oom_control");
    assert!(oom.lines().any(|l| l == "oom_kill_disable 1"), "{oom}");
    // The payload is in each of them, blkio too.
    let cgroups = fs::read_to_string(format!("/proc/{}/cgroup", held.pid)).expect("the payload's cgroups");
    for c in ["pids", "memory", "cpu", "cpuset", "blkio"] {
        assert!(cgroups.lines().any(|l| l.split(':').nth(1).is_some_and(|cs| cs.split(',').any(|x| x == c)) && l.ends_with(&path)), "{c}: {cgroups}");
    }
    held.finish();
    assert_eq!(left_in_any(&path), Vec::<String>::new());
}

#[test]
fn v1_limits_convert_from_v2_words_and_unlimited_is_minus_one() {
    let r = Rootfs::new("cg-oci-convert");
    let path = format!("/nsinit-test-convert-{}", std::process::id());
    let held = start(
        &r,
        &["--rootfs", r.root_str(), "--cgroup", &path, "--cpu-weight", "100", "--memory-max", "64M", "--memory-swap-max", "32M", "--cpu-quota", "-1"],
        IN_PROBE,
    );
    // v2's weight 100 (the default) as v1's shares, runc's linear mapping.
    assert_eq!(read_limit("cpu", &path, "cpu.shares"), (2 + 99 * 262_142 / 9_999).to_string());
    // v2's swap alone, added to memory for v1.
    assert_eq!(read_limit("memory", &path, "memory.memsw.limit_in_bytes"), (96u64 << 20).to_string());
    assert_eq!(read_limit("cpu", &path, "cpu.cfs_quota_us"), "-1");
    assert_eq!(read_limit("cpu", &path, "cpu.cfs_period_us"), "100000");
    held.finish();
    let held = start(&r, &["--rootfs", r.root_str(), "--cgroup", &path, "--memory-max", "max", "--memory-swap", "-1", "--cpu-idle", "1"], IN_PROBE);
    assert_eq!(read_limit("cpu", &path, "cpu.idle"), "1");
    // The kernel shows v1's "no limit" as the largest page-aligned value.
    let unlimited = read_limit("memory", "/", "memory.limit_in_bytes");
    assert_eq!(read_limit("memory", &path, "memory.limit_in_bytes"), unlimited);
    assert_eq!(read_limit("memory", &path, "memory.memsw.limit_in_bytes"), unlimited);
    held.finish();
    assert_eq!(left_in_any(&path), Vec::<String>::new());
}

/// `nsinit [OPTIONS] probe devices DIR` on the host's own filesystem (no
/// `--rootfs`: nsinit mounts the container's root, binds and tmpfs nodev,
/// so no device node there can be opened whatever the device cgroup says).
fn devices_seen(options: &[&str]) -> Vec<String> {
    let scratch = tempdir("cg-devices");
    let nodes = scratch.join("nodes");
    let mut args = options.to_vec();
    args.extend_from_slice(&[PROBE, "devices", nodes.to_str().expect("UTF-8")]);
    let out = ok_lines(nsinit(&args));
    let _ = fs::remove_dir_all(&scratch);
    out
}

/// A fresh scratch directory on the host's disk.
fn tempdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("nsinit-test-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap_or_else(|e| panic!("create {}: {e}", d.display()));
    d
}

#[test]
fn device_rules_deny_a_host_disk_made_with_mknod_and_allow_the_default_devices() {
    // Without a device cgroup, root makes a node for a host block device
    // (loop0 here) and opens it: what the device cgroup is there to stop.
    assert_eq!(
        devices_seen(&[]),
        ["b 7:0 mknod ok open ok", "c 1:3 mknod ok open ok", "c 1:5 mknod ok open ok", "c 1:1 mknod ok open ENXIO"]
    );
    // Any rule brings runc's defaults after "deny all": mknod of anything,
    // null and zero, never the disk nor /dev/mem.
    let denied = ["b 7:0 mknod ok open EPERM", "c 1:3 mknod ok open ok", "c 1:5 mknod ok open ok", "c 1:1 mknod ok open EPERM"];
    assert_eq!(devices_seen(&["--device-cgroup-rule", "c 1:3 rwm"]), denied);
    // A rule naming the disk lets it be read...
    assert_eq!(devices_seen(&["--device-cgroup-rule", "b 7:0 r"])[0], "b 7:0 mknod ok open ok");
    assert_eq!(devices_seen(&["--device-cgroup-rule", "b 7:* rw"])[0], "b 7:0 mknod ok open ok");
    // ...but one for another device, or another access, does not.
    assert_eq!(devices_seen(&["--device-cgroup-rule", "b 7:1 r"])[0], "b 7:0 mknod ok open EPERM");
    assert_eq!(devices_seen(&["--device-cgroup-rule", "b 7:0 w"])[0], "b 7:0 mknod ok open EPERM");
    assert_eq!(devices_seen(&["--device-cgroup-rule", "c 7:0 rwm"])[0], "b 7:0 mknod ok open EPERM");
    // `a` covers both types.
    assert_eq!(devices_seen(&["--device-cgroup-rule", "a *:* rwm"]), devices_seen(&[]));
}

#[test]
fn device_rules_are_written_to_devices_allow_after_deny_all_in_order() {
    let r = Rootfs::new("cg-oci-devices");
    let path = format!("/nsinit-test-devices-{}", std::process::id());
    let held = start(&r, &["--rootfs", r.root_str(), "--cgroup", &path, "--device-cgroup-rule", "b 7:0 rw", "--device-cgroup-rule", "c *:4 m"], IN_PROBE);
    let list = read_limit("devices", &path, "devices.list");
    let want = "b 7:0 rw\nc *:4 m\nc *:* m\nb *:* m\nc 1:3 rwm\nc 1:8 rwm\nc 1:7 rwm\nc 5:0 rwm\nc 1:5 rwm\nc 1:9 rwm\nc 136:* rwm\nc 5:2 rwm\nc 10:200 rwm";
    let mut got: Vec<&str> = list.lines().collect();
    let mut wanted: Vec<&str> = want.lines().collect();
    // The kernel lists its exceptions newest first; compare as sets.
    got.sort_unstable();
    wanted.sort_unstable();
    assert_eq!(got, wanted);
    held.finish();
    assert_eq!(left_in_any(&path), Vec::<String>::new());
}

#[test]
fn limits_this_hosts_v1_lacks_and_v2_words_are_refused_with_one_line_and_nothing_left() {
    let r = Rootfs::new("cg-oci-refused");
    let path = format!("/nsinit-test-refused-{}", std::process::id());
    let cases: [(&[&str], String); 7] = [
        (&["--cgroup-set", "memory.high=50M"], "nsinit: cannot use unified (--cgroup-set) on cgroup v1".into()),
        (&["--memory-swap-max", "1M"], "nsinit: --memory-swap-max needs --memory-max on cgroup v1".into()),
        // This host's kernel has no hugetlb, net_cls, net_prio nor rdma controller.
        (&["--hugepage-limit", "2MB=4M"], "nsinit: the cgroup v1 controller for hugetlb.2MB.limit_in_bytes is not mounted".into()),
        (&["--net-classid", "7"], "nsinit: the cgroup v1 controller for net_cls.classid is not mounted".into()),
        (&["--net-prio", "lo=3"], "nsinit: the cgroup v1 controller for net_prio.ifpriomap is not mounted".into()),
        // BFQ takes the weights here (blkio.bfq.*); it has no leaf weight,
        // and no device here uses it as its scheduler.
        (&["--blkio-leaf-weight", "500"], format!("nsinit: write {}/blkio.leaf_weight: ENOENT (No such file or directory) (500)", dir("blkio", &path))),
        (
            &["--blkio-weight-device", "7:0:300"],
            format!("nsinit: write {}/blkio.bfq.weight_device: EOPNOTSUPP (Operation not supported on transport endpoint) (7:0 300)", dir("blkio", &path)),
        ),
    ];
    for (options, line) in cases {
        let mut args = vec!["--cgroup", path.as_str(), "--pids-max", "20"];
        args.extend_from_slice(options);
        args.extend_from_slice(&[IN_PROBE, "exit", "0"]);
        assert_eq!(fails(r.run(&args), 125), line, "{options:?}");
        assert_eq!(left_in_any(&path), Vec::<String>::new(), "{options:?}");
    }
    for present in ["hugetlb", "net_cls", "net_prio", "rdma"] {
        assert!(!Path::new(&format!("/sys/fs/cgroup/{present}")).exists(), "this host has {present}: the test above needs another controller");
    }
}

#[test]
fn bad_limit_words_are_one_line_errors() {
    let cases: [(&[&str], &str); 14] = [
        (&["--memory-swappiness", "101"], "nsinit: --memory-swappiness: expected a number from 0 to 100; got '101'"),
        (&["--cpu-shares", "1"], "nsinit: --cpu-shares: expected a number from 2 to 262144; got '1'"),
        (&["--cpu-period", "999"], "nsinit: --cpu-period: expected a number from 1000 to 1000000; got '999'"),
        (&["--cpu-quota", "-2"], "nsinit: --cpu-quota: expected a number from 1000 to 2^64-2; got '-2'"),
        (&["--blkio-weight", "5"], "nsinit: --blkio-weight: expected a number from 10 to 1000; got '5'"),
        (&["--cpuset-mems", "0-a"], "nsinit: --cpuset-mems: expected memory nodes such as 0-1,3; got '0-a'"),
        (&["--memory-reservation", "1X"], "nsinit: --memory-reservation: expected bytes with an optional K, M or G suffix, or 'max'; got '1X'"),
        (&["--device-cgroup-rule", "x 1:3 rwm"], "nsinit: --device-cgroup-rule: expected TYPE MAJOR:MINOR ACCESS, such as 'c 1:3 rwm' (TYPE a, b or c; MAJOR, MINOR numbers or *; ACCESS of r, w, m); got 'x 1:3 rwm'"),
        (&["--device-cgroup-rule", "c 1:3 rwx"], "nsinit: --device-cgroup-rule: expected TYPE MAJOR:MINOR ACCESS, such as 'c 1:3 rwm' (TYPE a, b or c; MAJOR, MINOR numbers or *; ACCESS of r, w, m); got 'c 1:3 rwx'"),
        (&["--device-cgroup-rule", "c 4096:0 r"], "nsinit: --device-cgroup-rule: expected TYPE MAJOR:MINOR ACCESS, such as 'c 1:3 rwm' (TYPE a, b or c; MAJOR, MINOR numbers or *; ACCESS of r, w, m); got 'c 4096:0 r'"),
        (&["--device-read-bps", "8:0"], "nsinit: --device-read-bps: expected /dev/PATH:VALUE or MAJOR:MINOR:VALUE (a weight from 10 to 1000, a rate with an optional K, M or G); got '8:0'"),
        (&["--hugepage-limit", "../2MB=1G"], "nsinit: --hugepage-limit: expected SIZE=BYTES, SIZE a huge page size such as 2MB or 1GB; got '../2MB=1G'"),
        (&["--cgroup-set", "../../x=1"], "nsinit: --cgroup-set: expected KEY=VALUE, KEY a cgroup v2 file name such as memory.high; got '../../x=1'"),
        (&["--rdma-limit", "mlx4_0:hca_handle=x"], "nsinit: --rdma-limit: expected DEVICE[:hca_handle=N][:hca_object=N]; got 'mlx4_0:hca_handle=x'"),
    ];
    for (options, line) in cases {
        let mut args = options.to_vec();
        args.extend_from_slice(&[PROBE, "exit", "0"]);
        assert_eq!(fails(nsinit(&args), 125), line, "{options:?}");
    }
    // Capacities are errors, never truncations.
    let mut args = Vec::new();
    for _ in 0..65 {
        args.extend_from_slice(&["--device-cgroup-rule", "c 1:3 r"]);
    }
    args.extend_from_slice(&[PROBE, "exit", "0"]);
    assert_eq!(fails(nsinit(&args), 125), "nsinit: --device-cgroup-rule: too many device rules (at most 64)");
}
