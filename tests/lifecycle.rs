//! runc's lifecycle command line: `create`, `start`, `state`, `kill` and
//! `delete`, with the global options `--root`, `--log`, `--log-format` and
//! `--debug`, as container engines (podman through conmon, containerd
//! through its shim) drive a runtime: create under a subreaper, start,
//! watch the state, signal, delete.
//!
//! The tests are the runtime's, not nsinit's alone: `LIFECYCLE_RUNTIME=PATH`
//! runs them against another runc-compatible runtime (Debian's runc is the
//! reference they were checked against:
//! `LIFECYCLE_RUNTIME=$(command -v runc) cargo test --release --test lifecycle`).
//! Each test keeps its containers' state in a directory of its own
//! (`--root`), never in /run, and names a cgroup (`cgroupsPath`) for each
//! container, so that what is left behind can be seen.
//!
//! Bundles are `runc spec`'s config.json with the probe as the payload,
//! each container a bundle of its own over one shared rootfs. A container's
//! stdout and stderr are files beside its bundle: `create` hands its own to
//! the container, which would hold a pipe open for as long as it lives.
//! A test holds the global test lock (`HostState`) from its first
//! container to its last, and checks the host afterwards.

mod harness;
use harness::*;

use serde_json::{Value, json};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// The runtime under test
// ---------------------------------------------------------------------------

/// The runtime the tests drive: nsinit, or the one `LIFECYCLE_RUNTIME` names.
fn runtime() -> String {
    std::env::var("LIFECYCLE_RUNTIME").unwrap_or_else(|_| NSINIT.to_string())
}

/// The command line that starts the runtime, before its own options. crun
/// refuses a hybrid cgroup host whose cgroup2 tree has controllers
/// ("cgroups in hybrid mode not supported"): it runs in a mount namespace
/// of its own without /sys/fs/cgroup/unified (as in tests/oci.rs). unshare
/// and sh exec, so the runtime is still the process the test started.
fn runtime_argv() -> Vec<String> {
    let rt = runtime();
    let hybrid = Path::new("/sys/fs/cgroup/unified/cgroup.controllers").exists();
    if hybrid && Path::new(&rt).file_name().is_some_and(|n| n == "crun") {
        let script = "if grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then umount /sys/fs/cgroup/unified || exit 99; fi; exec \"$0\" \"$@\"";
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script, &rt].map(String::from).to_vec()
    } else {
        vec![rt]
    }
}

/// The runtime's command line with `args`.
fn runtime_command(args: &[&str]) -> Command {
    let argv = runtime_argv();
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]).args(args);
    cmd
}

/// runc spec's config.json, parsed once. runc makes the bundles whichever
/// runtime runs them.
fn spec() -> Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("nsinit-lifecycle-spec-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("make a directory for runc spec");
        let out = Command::new("runc")
            .arg("spec")
            .arg("--bundle")
            .arg(&dir)
            .output()
            .unwrap_or_else(|e| panic!("run runc spec: {e}: these tests make their bundles with it: apt-get install runc"));
        assert!(out.status.success(), "runc spec: {out:?}");
        let text = fs::read_to_string(dir.join("config.json")).expect("read runc spec's config.json");
        let _ = fs::remove_dir_all(&dir);
        serde_json::from_str(&text).expect("runc spec's config.json is JSON")
    })
    .clone()
}

/// The payload that runs until it is signalled (the probe sleeping).
const SLEEPER: [&str; 3] = ["/bin/probe", "sleep", "100"];

/// One test's containers: a rootfs, a bundle for each container beside it,
/// the state directory (`--root`), and the host as it was, held under the
/// test lock until `finish`. Dropped without `finish` (a failed
/// assertion), it removes by force every container it created.
struct Lifecycle {
    r: Rootfs,
    /// `--root`: where the runtime keeps its containers' state.
    root: PathBuf,
    /// The IDs created, for the cleanup after a failure.
    ids: Mutex<Vec<String>>,
    /// The cgroup paths of the bundles, all gone by `finish`.
    cgroups: Mutex<Vec<String>>,
    host: Option<HostState>,
}

impl Lifecycle {
    fn new(tag: &str) -> Lifecycle {
        Lifecycle::on(Rootfs::new(tag))
    }

    /// Takes the lock: nothing that takes it again (`Rootfs::new`, `run`,
    /// `nsinit()`) may be called until `finish`.
    fn on(r: Rootfs) -> Lifecycle {
        let root = r.outside("state");
        let host = HostState::take();
        Lifecycle { r, root, ids: Mutex::new(Vec::new()), cgroups: Mutex::new(Vec::new()), host: Some(host) }
    }

    fn root(&self) -> &str {
        self.root.to_str().expect("UTF-8")
    }

    /// The cgroup (`cgroupsPath`) of bundle `name`.
    fn cgroup(&self, name: &str) -> String {
        format!("/nsinit-lifecycle-{}-{}", std::process::id(), name)
    }

    /// Writes bundle `name` (a directory beside the rootfs): runc spec's
    /// config running `args`, without a terminal, its root the shared
    /// rootfs by absolute path, in cgroup `self.cgroup(name)` with a pids
    /// limit (so that every runtime makes it), with two annotations; then
    /// `change`. Returns the bundle's path.
    fn bundle(&self, name: &str, args: &[&str], change: impl FnOnce(&mut Value)) -> PathBuf {
        let dir = self.r.outside("bundles").join(name);
        fs::create_dir_all(&dir).expect("make the bundle directory");
        let mut d = spec();
        d["root"]["path"] = json!(self.r.root_str());
        d["process"]["terminal"] = json!(false);
        d["process"]["args"] = json!(args);
        d["linux"]["cgroupsPath"] = json!(self.cgroup(name));
        d["linux"]["resources"]["pids"] = json!({"limit": 64});
        d["annotations"] = json!({"org.nsinit.test": name, "com.example.empty": ""});
        change(&mut d);
        fs::write(dir.join("config.json"), serde_json::to_string_pretty(&d).unwrap()).expect("write config.json");
        self.cgroups.lock().unwrap_or_else(PoisonError::into_inner).push(self.cgroup(name));
        dir
    }

    /// The runtime with `--root` and `args`, run to its end with no stdin.
    fn rt(&self, args: &[&str]) -> Out {
        let mut all = vec!["--root", self.root()];
        all.extend_from_slice(args);
        self.exec(&all, None)
    }

    /// The runtime with `args` as they are (global options included). With
    /// `output`, its stdout and stderr go to that file and the next, which
    /// a container it makes may keep (`create`); else to pipes.
    fn exec(&self, args: &[&str], output: Option<(&Path, &Path)>) -> Out {
        self.exec_command(runtime_command(args), output)
    }

    fn exec_command(&self, mut cmd: Command, output: Option<(&Path, &Path)>) -> Out {
        cmd.stdin(Stdio::null());
        let what = format!("{cmd:?}");
        let out = match output {
            Some((stdout, stderr)) => {
                let file = |p: &Path| fs::File::create(p).unwrap_or_else(|e| panic!("create {}: {e}", p.display()));
                let mut child = cmd.stdout(file(stdout)).stderr(file(stderr)).spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
                let status = wait_with_timeout(&mut child, &what);
                Out { status, stdout: read(stdout), stderr: read(stderr) }
            }
            None => {
                let mut child =
                    cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
                let stdout = drain(child.stdout.take());
                let stderr = drain(child.stderr.take());
                let status = wait_with_timeout(&mut child, &what);
                Out { status, stdout: stdout.join().expect("stdout reader"), stderr: stderr.join().expect("stderr reader") }
            }
        };
        assert_no_internal_failure(&out, &what);
        out
    }

    /// Where container `id`'s stdout goes (its stderr: `.err`); a bad ID's
    /// slashes and dots are not the file name's.
    fn output(&self, id: &str) -> PathBuf {
        self.r.outside(&format!("{}.out", id.replace(['/', '.'], "_")))
    }

    /// `create --bundle B --pid-file F ID` with `options` before the ID.
    fn create_with(&self, id: &str, bundle: &Path, options: &[&str]) -> Out {
        self.ids.lock().unwrap_or_else(PoisonError::into_inner).push(id.to_string());
        let mut args = vec!["--root", self.root(), "create", "--bundle", bundle.to_str().expect("UTF-8")];
        args.extend_from_slice(options);
        args.push(id);
        let out = self.output(id);
        self.exec(&args, Some((&out, &out.with_extension("err"))))
    }

    /// Creates container `id` from `bundle`; checks it succeeded quietly and
    /// returns the PID from its pid file.
    fn create(&self, id: &str, bundle: &Path) -> u32 {
        let pid_file = self.r.outside(&format!("{id}.pid"));
        let out = self.create_with(id, bundle, &["--pid-file", pid_file.to_str().expect("UTF-8")]);
        assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "create {id}: {out:?}");
        let text = fs::read_to_string(&pid_file).unwrap_or_else(|e| panic!("create {id} returned, but its pid file: {e}"));
        let pid: u32 = text.trim_end_matches('\n').parse().unwrap_or_else(|_| panic!("create {id}: the pid file holds {text:?}, not a decimal PID"));
        assert!(Path::new(&format!("/proc/{pid}")).exists(), "create {id} returned, but its process {pid} is gone");
        pid
    }

    /// Creates and starts container `id` from a bundle of the same name running `args`.
    fn create_and_start(&self, id: &str, args: &[&str]) -> u32 {
        let pid = self.create(id, &self.bundle(id, args, |_| {}));
        ok(self.rt(&["start", id]));
        pid
    }

    /// `state ID`, which must succeed, parsed.
    fn state(&self, id: &str) -> Value {
        let out = self.rt(&["state", id]);
        assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "state {id}: {out:?}");
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("state {id}: not JSON: {e}: {}", out.stdout))
    }

    fn status(&self, id: &str) -> String {
        self.state(id)["status"].as_str().unwrap_or_else(|| panic!("state {id}: no status")).to_string()
    }

    /// Waits (10 s at most) until container `id`'s status is `want`.
    fn wait_status(&self, id: &str, want: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let state = self.state(id);
            if state["status"] == want {
                return state;
            }
            assert!(Instant::now() < deadline, "{id}: still {} after 10 s, never {want}: {state}", state["status"]);
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (10 s at most) until the container's stdout holds `line`.
    fn wait_output(&self, id: &str, line: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !read(&self.output(id)).lines().any(|l| l == line) {
            assert!(Instant::now() < deadline, "{id}: the payload never printed {line:?}; it printed {:?}", read(&self.output(id)));
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// What is under `--root` (nothing if it was never made).
    fn state_entries(&self) -> Vec<String> {
        let Ok(dir) = fs::read_dir(&self.root) else { return Vec::new() };
        sorted(dir.flatten().map(|e| e.file_name().to_string_lossy().into_owned()))
    }

    /// Checks that the state of every container, its cgroups and its
    /// processes are gone, then the host.
    fn finish(mut self, what: &str) {
        assert_eq!(self.state_entries(), Vec::<String>::new(), "{what}: left under --root {}", self.root());
        let cgroups = self.cgroups.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let left: Vec<PathBuf> = cgroups.iter().flat_map(|c| cgroup_dirs(c)).collect();
        assert!(left.is_empty(), "{what}: cgroups left behind: {left:?}");
        wait_gone(&self.r, what);
        self.host.take().expect("the host state").check(Some(&self.r), what);
    }
}

impl Drop for Lifecycle {
    /// After a failed assertion: every container this test made, deleted by force.
    fn drop(&mut self) {
        if self.host.is_some() {
            let ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner).clone();
            for id in ids {
                let _ = runtime_command(&["--root", self.root(), "delete", "--force", &id])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

/// The directories of cgroup `path` under each hierarchy (cgroup v1 and a
/// hybrid host's unified tree) and under a v2-only /sys/fs/cgroup.
fn cgroup_dirs(path: &str) -> Vec<PathBuf> {
    let rel = path.trim_start_matches('/');
    let mut dirs = vec![PathBuf::from("/sys/fs/cgroup").join(rel)];
    for h in fs::read_dir("/sys/fs/cgroup").expect("read /sys/fs/cgroup").flatten() {
        dirs.push(h.path().join(rel));
    }
    dirs.into_iter().filter(|d| d.is_dir()).collect()
}

/// Waits (10 s at most) until no process runs from the rootfs: a killed
/// container's processes are gone once their parent reaps them.
fn wait_gone(r: &Rootfs, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = processes_from(r);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: processes still running from the rootfs: {left:?}");
        thread::sleep(Duration::from_millis(10));
    }
}

/// Whether `pid` is gone or a zombie: a process that no longer runs.
fn ended(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
    }
}

/// Waits (10 s at most) until `pid` no longer runs.
fn wait_ended(pid: u32, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ended(pid) {
        assert!(Instant::now() < deadline, "{what}: process {pid} still runs after 10 s");
        thread::sleep(Duration::from_millis(10));
    }
}

/// `/proc/PID/cmdline` as words.
fn cmdline(pid: u32) -> Vec<String> {
    let bytes = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    bytes.split(|&b| b == 0).filter(|w| !w.is_empty()).map(|w| String::from_utf8_lossy(w).into_owned()).collect()
}

/// A failure of a lifecycle command: exit 1, something said on stderr.
/// Returns stderr.
#[track_caller]
fn refused(out: Out) -> String {
    assert_eq!(out.code(), 1, "expected exit 1: {out:?}");
    assert!(!out.stderr.trim().is_empty(), "expected a message on stderr: {out:?}");
    out.stderr
}

/// Whether `t` is an RFC 3339 date and time (`2024-01-02T03:04:05[.frac](Z|+hh:mm)`).
fn is_rfc3339(t: &str) -> bool {
    let b = t.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let fixed = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !fixed {
        return false;
    }
    let mut rest = &t[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    let z = rest.as_bytes();
    rest == "Z" || rest == "z" || (z.len() == 6 && matches!(z[0], b'+' | b'-') && z[3] == b':' && [1, 2, 4, 5].iter().all(|&i| z[i].is_ascii_digit()))
}

// ---------------------------------------------------------------------------
// create, start, state, delete
// ---------------------------------------------------------------------------

/// The state a runtime must report for container `id` of bundle `bundle`
/// with process `pid`, `status`: the spec's fields, and those runc adds
/// when they are there.
#[track_caller]
fn check_state(t: &Lifecycle, state: &Value, id: &str, bundle: &Path, status: &str, pid: Option<u32>) {
    assert!(state["ociVersion"].as_str().is_some_and(|v| v.starts_with("1.")), "ociVersion: {state}");
    assert_eq!(state["id"], id, "id: {state}");
    assert_eq!(state["status"], status, "status: {state}");
    match pid {
        Some(pid) => assert_eq!(state["pid"], pid, "pid: {state}"),
        // The spec asks for a PID while the process exists; runc says 0 after.
        None => assert!(state.get("pid").is_none_or(|p| p == 0), "a stopped container's pid: {state}"),
    }
    assert_eq!(state["bundle"], bundle.to_str().unwrap(), "bundle, an absolute path: {state}");
    assert_eq!(state["annotations"], json!({"org.nsinit.test": id, "com.example.empty": ""}), "annotations: {state}");
    if let Some(rootfs) = state.get("rootfs") {
        assert_eq!(rootfs, t.r.root_str(), "rootfs: {state}");
    }
    if let Some(created) = state.get("created") {
        assert!(created.as_str().is_some_and(is_rfc3339), "created, an RFC 3339 time: {state}");
    }
    if let Some(owner) = state.get("owner") {
        assert!(owner.is_string(), "owner: {state}");
    }
}

#[test]
fn create_start_kill_delete_each_step_in_the_state() {
    let t = Lifecycle::new("lc-steps");
    let id = "steps";
    let bundle = t.bundle(id, &SLEEPER, |_| {});
    let pid = t.create(id, &bundle);

    // Created: the process exists, in the cgroup, and waits; the payload
    // has not run.
    check_state(&t, &t.state(id), id, &bundle, "created", Some(pid));
    assert!(!ended(pid), "the created container's process {pid} does not run");
    assert_ne!(cmdline(pid), SLEEPER, "the payload runs before start");
    assert_eq!(payload_pids(&t.r), Vec::<u32>::new(), "the probe runs before start");
    // Set up, not on its way: in the rootfs, in namespaces of its own.
    let root = fs::metadata(format!("/proc/{pid}/root")).map(|m| (m.dev(), m.ino())).ok();
    assert_eq!(root, Some(t.r.id), "the created process's root is not the bundle's rootfs");
    for ns in ["mnt", "pid"] {
        let mine = fs::read_link(format!("/proc/self/ns/{ns}")).unwrap();
        assert_ne!(fs::read_link(format!("/proc/{pid}/ns/{ns}")).ok(), Some(mine), "the created process shares my {ns} namespace");
    }
    let cgroup = t.cgroup(id);
    assert!(!cgroup_dirs(&cgroup).is_empty(), "create made no cgroup {cgroup}");
    let proc_cgroup = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    assert!(proc_cgroup.lines().any(|l| l.ends_with(&format!(":{cgroup}"))), "the created process is not in {cgroup}: {proc_cgroup}");

    // Running: start returns while the payload sleeps; the payload is the
    // process of the pid file.
    let started = Instant::now();
    ok(t.rt(&["start", id]));
    assert!(started.elapsed() < Duration::from_secs(10), "start waited for the payload ({:?})", started.elapsed());
    check_state(&t, &t.state(id), id, &bundle, "running", Some(pid));
    let deadline = Instant::now() + Duration::from_secs(10);
    while cmdline(pid) != SLEEPER {
        assert!(Instant::now() < deadline, "the payload never ran as {pid}: {:?}", cmdline(pid));
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(payload_pids(&t.r), [pid], "the probe runs as the container's process");

    // Stopped once killed.
    ok(t.rt(&["kill", id, "KILL"]));
    let state = t.wait_status(id, "stopped");
    check_state(&t, &state, id, &bundle, "stopped", None);
    wait_ended(pid, "kill KILL");

    // Deleted: state and cgroups gone; state then names the problem as
    // podman expects it.
    ok(t.rt(&["delete", id]));
    assert_eq!(t.state_entries(), Vec::<String>::new(), "delete left state under --root");
    assert_eq!(cgroup_dirs(&cgroup), Vec::<PathBuf>::new(), "delete left the cgroup");
    let err = refused(t.rt(&["state", id]));
    assert!(err.contains("does not exist"), "state of a deleted container: {err:?}");
    t.finish("create, start, kill, delete");
}

#[test]
fn a_payload_that_exits_leaves_its_container_stopped_until_deleted() {
    let t = Lifecycle::new("lc-exit");
    let pid = t.create_and_start("exits", &["/bin/probe", "exit", "3"]);
    let state = t.wait_status("exits", "stopped");
    check_state(&t, &state, "exits", &t.r.outside("bundles").join("exits"), "stopped", None);
    wait_ended(pid, "exit 3");
    // Still there to read until deleted.
    assert_eq!(t.status("exits"), "stopped");
    assert!(!t.state_entries().is_empty(), "a stopped container's state is gone before delete");
    // A kill now is refused in runc's words: containerd's shim reads
    // "container not running" as done; other words failed CRI's
    // StopContainer of a container that had exited on its own.
    let err = refused(t.rt(&["kill", "exits", "KILL"]));
    assert!(err.contains("container not running"), "kill of a stopped container: {err:?}");
    // With --all it signals what is left in the cgroup (nothing here), as
    // runc: containerd's shim asks it once a shared-PID-namespace
    // container's process has exited, and logged the refusal as an error.
    ok(t.rt(&["kill", "--all", "exits", "KILL"]));
    // Its cgroups removed from outside (by whoever removes the pod's, or
    // an earlier delete): delete does not wait for them (it took 2000
    // rounds a controller, over 20 s on this host's cgroup v1).
    for d in cgroup_dirs(&t.cgroup("exits")) {
        fs::remove_dir(&d).unwrap_or_else(|e| panic!("rmdir {}: {e}", d.display()));
    }
    let started = std::time::Instant::now();
    ok(t.rt(&["delete", "exits"]));
    assert!(started.elapsed().as_secs() < 2, "delete took {:?}", started.elapsed());
    // Killed from outside the runtime (the OOM killer, an admin): stopped
    // too; and delete --force of a stopped container is a delete.
    let pid = t.create_and_start("killed-outside", &SLEEPER);
    let status = Command::new("kill").args(["-KILL", &pid.to_string()]).status().expect("run kill(1)");
    assert!(status.success(), "kill -KILL {pid}: {status}");
    t.wait_status("killed-outside", "stopped");
    wait_ended(pid, "kill -KILL from outside");
    ok(t.rt(&["delete", "--force", "killed-outside"]));
    t.finish("a payload that exits");
}

#[test]
fn the_bundle_defaults_to_the_working_directory_and_is_named_absolute() {
    let t = Lifecycle::new("lc-cwd");
    let bundle = t.bundle("cwd", &SLEEPER, |_| {});
    t.ids.lock().unwrap().push("cwd".to_string());
    let mut cmd = runtime_command(&["--root", t.root(), "create", "cwd"]);
    cmd.current_dir(&bundle);
    let out = t.output("cwd");
    ok(t.exec_command(cmd, Some((&out, &out.with_extension("err")))));
    let state = t.state("cwd");
    assert_eq!(state["bundle"], bundle.to_str().unwrap(), "{state}");
    assert_eq!(state["status"], "created", "{state}");
    ok(t.rt(&["delete", "--force", "cwd"]));
    // A relative --bundle is taken from the working directory, and the
    // state names it by its absolute path.
    let bundle = t.bundle("relative", &SLEEPER, |_| {});
    t.ids.lock().unwrap().push("relative".to_string());
    let mut cmd = runtime_command(&["--root", t.root(), "create", "--bundle", "bundles/relative", "relative"]);
    cmd.current_dir(&t.r.base);
    let out = t.output("relative");
    ok(t.exec_command(cmd, Some((&out, &out.with_extension("err")))));
    let state = t.state("relative");
    assert_eq!(state["bundle"], bundle.to_str().unwrap(), "{state}");
    ok(t.rt(&["delete", "--force", "relative"]));
    t.finish("create without --bundle, and with a relative one");
}

#[test]
fn create_refuses_an_id_in_use_and_leaves_its_container_alone() {
    let t = Lifecycle::new("lc-dup");
    let pid = t.create("dup", &t.bundle("dup", &SLEEPER, |_| {}));
    let other = t.bundle("dup-other", &SLEEPER, |_| {});
    let err = refused(t.create_with("dup", &other, &[]));
    assert!(err.contains("exist"), "create of an ID in use: {err:?}");
    assert_eq!(t.state("dup")["pid"], pid, "the first container changed");
    assert_eq!(t.status("dup"), "created");
    assert!(!ended(pid), "the first container's process died");
    assert_eq!(cgroup_dirs(&t.cgroup("dup-other")), Vec::<PathBuf>::new(), "the refused create made its cgroup");
    ok(t.rt(&["delete", "--force", "dup"]));
    t.finish("create of an ID in use");
}

#[test]
fn bad_ids_are_refused_and_nothing_is_created() {
    let t = Lifecycle::new("lc-bad-id");
    let bundle = t.bundle("bad", &SLEEPER, |_| {});
    for id in ["../x", "a/b", "", ".", "..", "x/../y", "/abs"] {
        let out = t.create_with(id, &bundle, &[]);
        // Not for the cleanup after a failure: `delete --force ..` is not to be tried.
        t.ids.lock().unwrap().clear();
        let err = refused(out);
        assert_eq!(t.state_entries(), Vec::<String>::new(), "create {id:?} ({err:?}) made state under --root");
        for stray in [t.r.base.join("x"), PathBuf::from("/abs")] {
            assert!(!stray.exists(), "create {id:?} made {}", stray.display());
        }
        assert_eq!(cgroup_dirs(&t.cgroup("bad")), Vec::<PathBuf>::new(), "create {id:?} made the cgroup");
        assert_eq!(processes_from(&t.r), Vec::<String>::new(), "create {id:?} left a process");
        // The other commands refuse them too.
        for cmd in ["state", "start", "kill", "delete"] {
            refused(t.rt(&[cmd, id]));
        }
    }
    t.finish("bad IDs");
}

#[test]
fn start_refuses_a_running_a_stopped_and_a_missing_container() {
    let t = Lifecycle::new("lc-start");
    let pid = t.create_and_start("twice", &SLEEPER);
    let err = refused(t.rt(&["start", "twice"]));
    assert!(!err.is_empty());
    assert_eq!(t.status("twice"), "running", "a second start changed the container");
    ok(t.rt(&["kill", "twice", "9"]));
    t.wait_status("twice", "stopped");
    wait_ended(pid, "kill 9");
    refused(t.rt(&["start", "twice"]));
    assert_eq!(t.status("twice"), "stopped");
    ok(t.rt(&["delete", "twice"]));
    let err = refused(t.rt(&["start", "twice"]));
    assert!(err.contains("does not exist"), "start of a missing container: {err:?}");
    t.finish("start twice");
}

// ---------------------------------------------------------------------------
// kill
// ---------------------------------------------------------------------------

#[test]
fn kill_sends_the_signal_named_by_number_or_name() {
    let t = Lifecycle::new("lc-kill");
    // (signal as typed, the number the probe must get); no signal: TERM.
    // `probe signals` takes TERM, INT, HUP, USR1 and USR2 through a
    // signalfd and prints `got N`.
    let caught = [
        ("", 15),
        ("15", 15),
        ("TERM", 15),
        ("SIGTERM", 15),
        ("10", 10),
        ("usr1", 10),
        ("SIGUSR1", 10),
        ("sigusr2", 12),
        ("HUP", 1),
        ("2", 2),
    ];
    let ids: Vec<String> = (0..caught.len()).map(|i| format!("sig{i}")).collect();
    for id in &ids {
        t.create_and_start(id, &["/bin/probe", "signals"]);
    }
    for ((signal, _), id) in caught.iter().zip(&ids) {
        t.wait_output(id, "ready");
        let args: Vec<&str> = ["kill", id.as_str(), signal].into_iter().filter(|a| !a.is_empty()).collect();
        ok(t.rt(&args));
    }
    for ((signal, number), id) in caught.iter().zip(&ids) {
        t.wait_output(id, &format!("got {number}"));
        let output = read(&t.output(id));
        assert_eq!(output.lines().filter(|l| l.starts_with("got ")).count(), 1, "kill {signal:?}: {output:?}");
    }
    // KILL cannot be caught: the container stops.
    let killed = ["9", "KILL", "SIGKILL", "kill"];
    for (i, signal) in killed.iter().enumerate() {
        let id = format!("kill{i}");
        let pid = t.create_and_start(&id, &["/bin/probe", "signals"]);
        t.wait_output(&id, "ready");
        ok(t.rt(&["kill", &id, signal]));
        t.wait_status(&id, "stopped");
        wait_ended(pid, &format!("kill {signal}"));
        assert!(!read(&t.output(&id)).contains("got"), "kill {signal}: {}", read(&t.output(&id)));
        ok(t.rt(&["delete", &id]));
    }
    for id in &ids {
        t.wait_status(id, "stopped");
        ok(t.rt(&["delete", id]));
    }
    t.finish("kill with each way of naming a signal");
}

/// runc's process before start (its Go `runc init`, PID 1 of the
/// container's namespace) dies of TERM as of KILL. (crun 1.8.1's does not
/// of TERM: it stays created.)
#[test]
fn kill_of_a_created_container_stops_it_before_its_payload_runs() {
    let t = Lifecycle::new("lc-kill-created");
    for (id, signal) in [("created-term", None), ("created-kill", Some("KILL"))] {
        let pid = t.create(id, &t.bundle(id, &["/bin/probe", "pid"], |_| {}));
        let mut args = vec!["kill", id];
        args.extend(signal);
        ok(t.rt(&args));
        t.wait_status(id, "stopped");
        wait_ended(pid, &format!("kill {signal:?} of a created container"));
        refused(t.rt(&["start", id]));
        assert_eq!(read(&t.output(id)), "", "{id}: the payload ran");
        ok(t.rt(&["delete", id]));
    }
    t.finish("kill of a created container");
}

#[test]
fn kill_refuses_unknown_signals_stopped_and_missing_containers() {
    let t = Lifecycle::new("lc-kill-bad");
    let pid = t.create_and_start("bad-signal", &SLEEPER);
    for signal in ["NOPE", "SIGFOO", "99", "9x"] {
        let err = refused(t.rt(&["kill", "bad-signal", signal]));
        assert!(!err.is_empty());
        assert_eq!(t.status("bad-signal"), "running", "kill {signal} changed the container");
    }
    ok(t.rt(&["kill", "bad-signal", "KILL"]));
    t.wait_status("bad-signal", "stopped");
    wait_ended(pid, "kill KILL");
    refused(t.rt(&["kill", "bad-signal", "KILL"]));
    refused(t.rt(&["kill", "bad-signal"]));
    ok(t.rt(&["delete", "bad-signal"]));
    let err = refused(t.rt(&["kill", "bad-signal", "KILL"]));
    assert!(err.contains("does not exist"), "kill of a missing container: {err:?}");
    t.finish("kill refused");
}

/// busybox sh running three sleeps at once, as the container's process.
const FAMILY: [&str; 3] = ["/bin/sh", "-c", "sleep 100 & sleep 100 & sleep 100 & wait"];

#[test]
fn kill_all_signals_every_process_of_the_container() {
    let t = Lifecycle::on(Rootfs::with_busybox("lc-kill-all"));
    // With the container's own PID namespace, and sharing the host's:
    // there, killing the container's process does not end the others.
    for (id, own_pid_namespace) in [("all-own-pid", true), ("all-host-pid", false)] {
        let bundle = t.bundle(id, &FAMILY, |d| {
            if !own_pid_namespace {
                let ns = d["linux"]["namespaces"].as_array_mut().unwrap();
                ns.retain(|n| n["type"] != "pid");
            }
        });
        t.create(id, &bundle);
        ok(t.rt(&["start", id]));
        let deadline = Instant::now() + Duration::from_secs(10);
        while processes_from(&t.r).len() < 4 {
            assert!(Instant::now() < deadline, "{id}: the shell and its three sleeps never ran: {:?}", processes_from(&t.r));
            thread::sleep(Duration::from_millis(10));
        }
        ok(t.rt(&["kill", "--all", id, "9"]));
        wait_gone(&t.r, &format!("{id}: kill --all 9"));
        t.wait_status(id, "stopped");
        ok(t.rt(&["delete", id]));
        assert_eq!(cgroup_dirs(&t.cgroup(id)), Vec::<PathBuf>::new(), "{id}: delete left the cgroup");
    }
    t.finish("kill --all");
}

// ---------------------------------------------------------------------------
// delete
// ---------------------------------------------------------------------------

#[test]
fn delete_refuses_a_running_container_unless_forced() {
    let t = Lifecycle::new("lc-delete-running");
    let pid = t.create_and_start("running", &SLEEPER);
    let err = refused(t.rt(&["delete", "running"]));
    assert!(!err.is_empty());
    assert_eq!(t.status("running"), "running", "a refused delete changed the container");
    assert!(!ended(pid), "a refused delete killed the payload");
    assert!(!cgroup_dirs(&t.cgroup("running")).is_empty(), "a refused delete removed the cgroup");
    ok(t.rt(&["delete", "--force", "running"]));
    assert!(ended(pid), "delete --force returned, the payload {pid} still runs");
    assert_eq!(cgroup_dirs(&t.cgroup("running")), Vec::<PathBuf>::new(), "delete --force left the cgroup");
    assert_eq!(t.state_entries(), Vec::<String>::new(), "delete --force left state");
    assert!(refused(t.rt(&["state", "running"])).contains("does not exist"));
    t.finish("delete of a running container");
}

#[test]
fn delete_force_of_a_created_container_removes_it() {
    let t = Lifecycle::new("lc-delete-created");
    let pid = t.create("created", &t.bundle("created", &["/bin/probe", "pid"], |_| {}));
    ok(t.rt(&["delete", "--force", "created"]));
    assert!(ended(pid), "delete --force returned, the created process {pid} still runs");
    assert_eq!(cgroup_dirs(&t.cgroup("created")), Vec::<PathBuf>::new(), "delete --force left the cgroup");
    assert_eq!(t.state_entries(), Vec::<String>::new(), "delete --force left state");
    assert_eq!(read(&t.output("created")), "", "the payload ran");
    assert!(refused(t.rt(&["state", "created"])).contains("does not exist"));
    // runc deletes a created container without --force too, killing its
    // process: only a running one needs --force.
    let pid = t.create("created2", &t.bundle("created2", &["/bin/probe", "pid"], |_| {}));
    ok(t.rt(&["delete", "created2"]));
    wait_ended(pid, "delete of a created container");
    assert_eq!(read(&t.output("created2")), "", "the payload ran");
    // Deleting what is gone fails.
    assert!(refused(t.rt(&["delete", "created"])).contains("does not exist"));
    t.finish("delete of created containers");
}

// ---------------------------------------------------------------------------
// The engine's subreaper
// ---------------------------------------------------------------------------

/// What conmon and containerd-shim do, in Python: become a child
/// subreaper, run the runtime's `create`, and from then on wait for the
/// container's process as their own child. Arguments: the runtime's
/// command line (JSON), --root, the bundle, the ID, the mode, a directory
/// for files. Prints one JSON object of what it saw.
const ENGINE: &str = r#"
import ctypes, json, os, subprocess, sys, time
argv, root, bundle, cid, mode, scratch = json.loads(sys.argv[1]), *sys.argv[2:]
PR_SET_CHILD_SUBREAPER = 36
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER): errno %d" % ctypes.get_errno())
seen = {}
def rt(*args, out=None):
    if out is None:
        p = subprocess.run(argv + ["--root", root, *args], stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        return p.returncode, p.stdout.decode(), p.stderr.decode()
    with open(out, "w") as f:
        p = subprocess.run(argv + ["--root", root, *args], stdin=subprocess.DEVNULL, stdout=f, stderr=f, timeout=60)
    return p.returncode, "", open(out).read()
def stat(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            rest = f.read().rsplit(") ", 1)[1].split()
        return rest[0], int(rest[1])
    except (OSError, IndexError):
        return None, None
def status():
    code, out, err = rt("state", cid)
    return json.loads(out)["status"] if code == 0 else "exit %d: %s" % (code, err.strip())
def reap(pid):
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            got, st = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return "not my child"
        if got == pid:
            return "exited %d" % os.WEXITSTATUS(st) if os.WIFEXITED(st) else "signal %d" % os.WTERMSIG(st)
        time.sleep(0.01)
    return "still running"
pid_file = os.path.join(scratch, cid + ".pid")
code, _, err = rt("create", "--bundle", bundle, "--pid-file", pid_file, cid, out=os.path.join(scratch, cid + ".out"))
seen["create"] = code
if code != 0:
    seen["create error"] = err
    print(json.dumps(seen)); sys.exit(0)
pid = int(open(pid_file).read())
seen["parent is the subreaper"] = stat(pid)[1] == os.getpid()
if mode in ("exit", "kill", "force running"):
    seen["start"] = rt("start", cid)[0]
if mode == "exit":
    deadline = time.time() + 10
    while stat(pid)[0] != "Z" and time.time() < deadline:
        time.sleep(0.01)
    seen["zombie"] = status()
if mode == "kill":
    seen["kill"] = rt("kill", cid, "KILL")[0]
if mode.startswith("force"):
    seen["delete --force"] = rt("delete", "--force", cid)[0]
seen["reaped"] = reap(pid)
if mode in ("exit", "kill"):
    seen["reaped state"] = status()
    seen["delete"] = rt("delete", cid)[0]
seen["deleted state"] = "does not exist" in status()
print(json.dumps(seen))
"#;

/// Runs the engine above on bundle `name` (running `args`) in `mode`.
fn engine(t: &Lifecycle, name: &str, args: &[&str], mode: &str) -> Value {
    let bundle = t.bundle(name, args, |_| {});
    t.ids.lock().unwrap().push(name.to_string());
    let argv = serde_json::to_string(&runtime_argv()).unwrap();
    let mut cmd = Command::new("python3");
    cmd.args(["-c", ENGINE, &argv, t.root(), bundle.to_str().unwrap(), name, mode, t.r.base.to_str().unwrap()]);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 (apt-get install python3): {e}"));
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_with_timeout(&mut child, &format!("the engine in mode {mode}"));
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert!(status.success(), "the engine ({mode}): {status}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("the engine ({mode}) printed {stdout:?}: {e}; stderr {stderr}"))
}

#[test]
fn an_engine_that_is_a_subreaper_reaps_the_container_process() {
    let t = Lifecycle::new("lc-subreaper");
    // The payload exits 7: a zombie of the engine's is a stopped container;
    // the engine gets its status.
    assert_eq!(
        engine(&t, "reap-exit", &["/bin/probe", "exit", "7"], "exit"),
        json!({"create": 0, "parent is the subreaper": true, "start": 0, "zombie": "stopped", "reaped": "exited 7",
               "reaped state": "stopped", "delete": 0, "deleted state": true})
    );
    assert_eq!(
        engine(&t, "reap-kill", &SLEEPER, "kill"),
        json!({"create": 0, "parent is the subreaper": true, "start": 0, "kill": 0, "reaped": "signal 9",
               "reaped state": "stopped", "delete": 0, "deleted state": true})
    );
    assert_eq!(
        engine(&t, "reap-force-created", &SLEEPER, "force created"),
        json!({"create": 0, "parent is the subreaper": true, "delete --force": 0, "reaped": "signal 9", "deleted state": true})
    );
    assert_eq!(
        engine(&t, "reap-force-running", &SLEEPER, "force running"),
        json!({"create": 0, "parent is the subreaper": true, "start": 0, "delete --force": 0, "reaped": "signal 9", "deleted state": true})
    );
    t.finish("an engine's subreaper");
}

// ---------------------------------------------------------------------------
// Global options
// ---------------------------------------------------------------------------

/// The lines of a `--log-format json` log, each an object with a string
/// `level`, `msg` and `time`.
#[track_caller]
fn json_log(path: &Path) -> Vec<Value> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("the log {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {l:?}"));
            for key in ["level", "msg", "time"] {
                assert!(v[key].is_string(), "a log line without a string {key:?}: {l:?}");
            }
            v
        })
        .collect()
}

#[test]
fn log_and_log_format_json_record_the_error() {
    let t = Lifecycle::new("lc-log");
    let log = t.r.outside("log.json");
    let log_str = log.to_str().unwrap();
    let out = t.exec(&["--root", t.root(), "--log", log_str, "--log-format", "json", "state", "missing"], None);
    assert_eq!(out.code(), 1, "{out:?}");
    let lines = json_log(&log);
    assert!(
        lines.iter().any(|l| l["level"] == "error" && l["msg"].as_str().unwrap().contains("does not exist")),
        "no error line naming the missing container: {lines:?}"
    );
    // A bundle without config.json: the error names the file.
    let empty = t.r.outside("empty-bundle");
    fs::create_dir_all(&empty).unwrap();
    let _ = fs::remove_file(&log);
    let out = t.exec(&["--root", t.root(), "--log", log_str, "--log-format", "json", "create", "--bundle", empty.to_str().unwrap(), "nocfg"], None);
    assert_eq!(out.code(), 1, "{out:?}");
    let lines = json_log(&log);
    assert!(
        lines.iter().any(|l| l["level"] == "error" && l["msg"].as_str().unwrap().contains("config.json")),
        "no error line naming config.json: {lines:?}"
    );
    assert_eq!(t.state_entries(), Vec::<String>::new(), "a failed create left state");
    // Text: the message is in the log too.
    let text_log = t.r.outside("log.txt");
    let out = t.exec(&["--root", t.root(), "--log", text_log.to_str().unwrap(), "--log-format", "text", "state", "missing"], None);
    assert_eq!(out.code(), 1, "{out:?}");
    let text = read(&text_log);
    assert!(text.contains("does not exist"), "the text log: {text:?}");
    t.finish("--log");
}

#[test]
fn global_options_hold_for_a_whole_lifecycle() {
    let t = Lifecycle::new("lc-global");
    let log = t.r.outside("debug.json");
    let log_str = log.to_str().unwrap();
    let global = ["--debug", "--log", log_str, "--log-format", "json", "--root", t.root()];
    let run = |args: &[&str]| t.exec(&[&global[..], args].concat(), None);
    let bundle = t.bundle("global", &["/bin/probe", "exit", "0"], |_| {});
    let out = t.output("global");
    t.ids.lock().unwrap().push("global".to_string());
    let create = [&global[..], &["create", "--bundle", bundle.to_str().unwrap(), "global"]].concat();
    let created = t.exec(&create, Some((&out, &out.with_extension("err"))));
    assert_eq!(created.code(), 0, "create with --debug --log: {created:?}");
    let state = run(&["state", "global"]);
    assert_eq!(state.code(), 0, "{state:?}");
    let state: Value = serde_json::from_str(&state.stdout).expect("state with --debug: JSON on stdout");
    assert_eq!(state["status"], "created");
    assert_eq!(run(&["start", "global"]).code(), 0);
    t.wait_status("global", "stopped");
    assert_eq!(run(&["delete", "global"]).code(), 0);
    // Whatever --debug logged, each line is a JSON object.
    json_log(&log);
    t.finish("--debug --log --log-format json");
}

// ---------------------------------------------------------------------------
// Many at once
// ---------------------------------------------------------------------------

/// state while the container is deleted: each reads the whole state or
/// finds none, never a half-written or half-removed one. (Eight creates
/// of one ID at once are not tested here: runc 1.1.5 lets two of them
/// exit 0 and leaves a container behind.)
#[test]
fn state_while_the_container_is_deleted_is_whole_or_missing() {
    const READERS: usize = 8;
    let t = Lifecycle::new("lc-race");
    t.create_and_start("race", &SLEEPER);
    let states: Vec<Out> = thread::scope(|s| {
        let readers: Vec<_> = (0..READERS).map(|_| s.spawn(|| t.rt(&["state", "race"]))).collect();
        ok(t.rt(&["delete", "--force", "race"]));
        readers.into_iter().map(|r| r.join().expect("a state thread")).collect()
    });
    for out in states {
        if out.code() == 0 {
            let state: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("state during delete: {e}: {out:?}"));
            assert_eq!(state["id"], "race", "{state}");
        } else {
            assert!(refused(out).contains("does not exist"), "state during delete");
        }
    }
    t.finish("state during delete");
}

#[test]
fn a_thousand_lifecycles_sixteen_at_once_leave_nothing_behind() {
    // The issue's count: 16 at a time, 1000 in all (1008: 63 each).
    const WORKERS: usize = 16;
    const EACH: usize = 63;
    let t = Lifecycle::new("lc-many");
    let bundles: Vec<PathBuf> = (0..WORKERS * EACH).map(|i| t.bundle(&format!("many{i}"), &["/bin/probe", "pid"], |_| {})).collect();
    thread::scope(|s| {
        for w in 0..WORKERS {
            let (t, bundles) = (&t, &bundles);
            s.spawn(move || {
                for n in 0..EACH {
                    let i = w * EACH + n;
                    let id = format!("many{i}");
                    t.create(&id, &bundles[i]);
                    ok(t.rt(&["start", &id]));
                    t.wait_status(&id, "stopped");
                    // The probe printed its PID in the container's namespace: 1.
                    assert_eq!(read(&t.output(&id)), "1\n", "{id}: the payload's output");
                    ok(t.rt(&["delete", &id]));
                }
            });
        }
    });
    t.finish("1008 lifecycles, 16 at once");
}

// ---------------------------------------------------------------------------
// list, ps, pause, resume, features
// ---------------------------------------------------------------------------

#[test]
fn list_shows_every_container_with_its_status() {
    let t = Lifecycle::new("lc-list");
    assert_eq!(ok(t.rt(&["list", "-q"])), "", "list -q with no container");
    t.create("list-created", &t.bundle("list-created", &SLEEPER, |_| {}));
    let pid = t.create_and_start("list-running", &SLEEPER);
    assert_eq!(ok(t.rt(&["list", "-q"])).lines().collect::<std::collections::BTreeSet<_>>(), ["list-created", "list-running"].into());
    let table = ok(t.rt(&["list"]));
    let rows: Vec<Vec<&str>> = table.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows[0][..3], ["ID", "PID", "STATUS"], "list's header: {table}");
    assert!(rows.iter().any(|r| r[0] == "list-running" && r[1] == pid.to_string() && r[2] == "running"), "list: {table}");
    assert!(rows.iter().any(|r| r[0] == "list-created" && r[2] == "created"), "list: {table}");
    let json: Value = serde_json::from_str(&ok(t.rt(&["list", "--format", "json"]))).expect("list --format json is JSON");
    let running = json.as_array().expect("an array").iter().find(|s| s["id"] == "list-running").expect("list-running listed");
    assert_eq!((running["status"].as_str(), running["pid"].as_u64()), (Some("running"), Some(u64::from(pid))), "{json}");
    for id in ["list-created", "list-running"] {
        ok(t.rt(&["delete", "--force", id]));
    }
    assert_eq!(ok(t.rt(&["list", "-q"])), "", "list -q once all are deleted");
    t.finish("list");
}

#[test]
fn ps_lists_the_processes_of_the_container() {
    let t = Lifecycle::on(Rootfs::with_busybox("lc-ps"));
    let id = "ps-family";
    t.create(id, &t.bundle(id, &FAMILY, |_| {}));
    ok(t.rt(&["start", id]));
    let deadline = Instant::now() + Duration::from_secs(10);
    while processes_from(&t.r).len() < 4 {
        assert!(Instant::now() < deadline, "the shell and its three sleeps never ran");
        thread::sleep(Duration::from_millis(10));
    }
    let listed: Value = serde_json::from_str(&ok(t.rt(&["ps", "--format", "json", id]))).expect("ps --format json is JSON");
    let mut listed: Vec<u64> = listed.as_array().expect("an array").iter().map(|p| p.as_u64().expect("a PID")).collect();
    let mut running: Vec<u64> = processes_from(&t.r).iter().map(|p| p.split(' ').next().unwrap().parse().unwrap()).collect();
    listed.sort();
    running.sort();
    assert_eq!(listed, running, "ps --format json against the processes from the rootfs");
    ok(t.rt(&["delete", "--force", id]));
    t.finish("ps");
}

/// The freezer's view of the container's cgroup: frozen or not.
fn frozen(t: &Lifecycle, id: &str) -> bool {
    let rel = t.cgroup(id);
    let v1 = PathBuf::from("/sys/fs/cgroup/freezer").join(rel.trim_start_matches('/')).join("freezer.state");
    match fs::read_to_string(&v1) {
        Ok(state) => state.trim() == "FROZEN",
        Err(_) => read(&PathBuf::from("/sys/fs/cgroup").join(rel.trim_start_matches('/')).join("cgroup.events")).lines().any(|l| l == "frozen 1"),
    }
}

#[test]
fn pause_freezes_the_container_and_resume_thaws_it() {
    let t = Lifecycle::new("lc-pause");
    let id = "paused";
    t.create_and_start(id, &SLEEPER);
    ok(t.rt(&["pause", id]));
    assert_eq!(t.status(id), "paused");
    assert!(frozen(&t, id), "pause: the cgroup is not frozen");
    // Refused (runc: "container not running"; nsinit: "it is paused").
    refused(t.rt(&["pause", id]));
    ok(t.rt(&["resume", id]));
    assert_eq!(t.status(id), "running");
    assert!(!frozen(&t, id), "resume: the cgroup is still frozen");
    refused(t.rt(&["resume", id]));
    // A paused container is deleted whole by force: its process dies once thawed.
    ok(t.rt(&["pause", id]));
    ok(t.rt(&["delete", "--force", id]));
    t.finish("pause and resume");
}

#[test]
fn features_lists_what_nsinit_supports() {
    if std::env::var_os("LIFECYCLE_RUNTIME").is_some() {
        // Another runtime's features are its own.
        return;
    }
    let out = ok(nsinit(&["features"]));
    let f: Value = serde_json::from_str(&out).expect("features is JSON");
    let words = |v: &Value| -> Vec<String> { v.as_array().expect("a list").iter().map(|w| w.as_str().expect("a string").to_string()).collect() };
    assert!(f["ociVersionMax"].as_str().is_some_and(|v| v.starts_with("1.2.")), "{out}");
    assert_eq!(words(&f["hooks"]), ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]);
    for option in ["rbind", "ro", "nosymfollow", "rro", "rslave", "idmap", "ridmap"] {
        assert!(words(&f["mountOptions"]).iter().any(|w| w == option), "mountOptions lacks {option}");
    }
    assert_eq!(words(&f["linux"]["namespaces"]).len(), 8, "{out}");
    for cap in ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE"] {
        assert!(words(&f["linux"]["capabilities"]).iter().any(|w| w == cap), "capabilities lack {cap}");
    }
    assert!(words(&f["linux"]["seccomp"]["actions"]).iter().any(|w| w == "SCMP_ACT_NOTIFY"), "{out}");
    assert_eq!(f["linux"]["cgroup"]["systemd"], false, "{out}");
}

// ---------------------------------------------------------------------------
// exec
// ---------------------------------------------------------------------------

/// The namespaces of process `pid`, as `ns:[inode]` links by kind.
fn namespaces_of_pid(pid: u32) -> Vec<String> {
    ["mnt", "pid", "net", "ipc", "uts"].iter().map(|ns| fs::read_link(format!("/proc/{pid}/ns/{ns}")).map(|l| l.display().to_string()).unwrap_or_default()).collect()
}

#[test]
fn exec_runs_a_process_in_the_container_and_passes_its_status() {
    let t = Lifecycle::new("lc-exec");
    let id = "exec-status";
    let init = t.create_and_start(id, &SLEEPER);
    let out = t.rt(&["exec", id, "/bin/probe", "exit", "7"]);
    assert_eq!(out.code(), 7, "exec's status is the process's: {out:?}");
    // In the container's pid namespace: not the host's PID.
    let pid: u32 = ok(t.rt(&["exec", id, "/bin/probe", "pid"])).trim().parse().expect("a PID");
    assert!(pid > 1 && pid < 100, "exec'd process's PID in the container: {pid}");
    // Detached: the PID file names it, in the container's namespaces and cgroup.
    let pid_file = t.r.outside("exec.pid");
    // Its output to files: the detached process keeps them open.
    let out = t.r.outside("exec-detached.out");
    let detached = t.exec(
        &["--root", t.root(), "exec", "--detach", "--pid-file", pid_file.to_str().unwrap(), id, "/bin/probe", "sleep", "100"],
        Some((&out, &out.with_extension("err"))),
    );
    assert_eq!(detached.code(), 0, "exec --detach: {detached:?}");
    let pid: u32 = fs::read_to_string(&pid_file).expect("exec --pid-file").trim().parse().expect("a PID");
    assert_eq!(namespaces_of_pid(pid), namespaces_of_pid(init), "exec'd process's namespaces against the container's");
    let cgroups = read(Path::new(&format!("/proc/{pid}/cgroup")));
    assert!(cgroups.lines().any(|l| l.ends_with(&t.cgroup(id))), "exec'd process's cgroups: {cgroups}");
    let status = read(Path::new(&format!("/proc/{pid}/status")));
    let own = read(Path::new(&format!("/proc/{init}/status")));
    let line = |s: &str, key: &str| s.lines().find(|l| l.starts_with(key)).unwrap_or_default().to_string();
    for key in ["CapBnd", "CapEff", "NoNewPrivs", "Seccomp:"] {
        assert_eq!(line(&status, key), line(&own, key), "exec'd process's {key} against the container's process");
    }
    // It goes with the container.
    ok(t.rt(&["delete", "--force", id]));
    wait_ended(pid, "exec'd process after delete --force");
    t.finish("exec");
}

#[test]
fn exec_options_change_the_process() {
    let t = Lifecycle::new("lc-exec-options");
    let id = "exec-options";
    t.create_and_start(id, &SLEEPER);
    let env = ok(t.rt(&["exec", "--env", "GREETING=hello world", "--env", "EMPTY=", id, "/bin/probe", "env"]));
    assert!(env.lines().any(|l| l == "GREETING=hello world") && env.lines().any(|l| l == "EMPTY="), "exec --env: {env}");
    assert!(env.lines().any(|l| l.starts_with("PATH=")), "exec keeps the container's environment: {env}");
    assert_eq!(ok(t.rt(&["exec", "--cwd", "/tmp", id, "/bin/probe", "cwd"])).trim(), "/tmp");
    let ids = ok(t.rt(&["exec", "--user", "1000:1001", id, "/bin/probe", "id"]));
    assert!(ids.contains("1000") && ids.contains("1001"), "exec --user 1000:1001: {ids}");
    let nnp = ok(t.rt(&["exec", id, "/bin/probe", "cat", "/proc/self/status"]));
    assert!(nnp.lines().any(|l| l.starts_with("NoNewPrivs:") && l.ends_with('1')), "runc spec's noNewPrivileges holds for exec: {nnp}");
    ok(t.rt(&["delete", "--force", id]));
    t.finish("exec options");
}

#[test]
fn exec_with_a_process_file_runs_that_process() {
    let t = Lifecycle::new("lc-exec-process");
    let id = "exec-process";
    t.create_and_start(id, &SLEEPER);
    let file = t.r.outside("process.json");
    let process = json!({"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["/bin/probe", "env"], "env": ["ONLY=this"], "cwd": "/"});
    fs::write(&file, process.to_string()).expect("write process.json");
    let env = ok(t.rt(&["exec", "--process", file.to_str().unwrap(), id]));
    // And HOME, which runc and nsinit add from the user's passwd entry when it is missing.
    let env: Vec<&str> = env.lines().filter(|l| !l.starts_with("HOME=")).collect();
    assert_eq!(env, ["ONLY=this"], "exec --process: the file's environment alone");
    ok(t.rt(&["delete", "--force", id]));
    t.finish("exec --process");
}

#[test]
fn exec_refuses_a_stopped_and_a_missing_container() {
    let t = Lifecycle::new("lc-exec-refused");
    let id = "exec-stopped";
    t.create_and_start(id, &["/bin/probe", "exit", "0"]);
    t.wait_status(id, "stopped");
    // 255, runc's exit code for its own failures in exec, whose process's
    // status is passed on (1 would be a payload's).
    for out in [t.rt(&["exec", id, "/bin/probe", "pid"]), t.rt(&["exec", "no-such-container", "/bin/probe", "pid"])] {
        assert_eq!(out.code(), 255, "exec refused: {out:?}");
        assert!(!out.stderr.is_empty(), "exec refused without a message: {out:?}");
    }
    ok(t.rt(&["delete", id]));
    t.finish("exec refused");
}

// ---------------------------------------------------------------------------
// Terminals: --console-socket
// ---------------------------------------------------------------------------

/// An engine's console socket, as conmon and containerd's shim hold one:
/// listens on `SOCK`, runs the runtime command in `argv` (JSON), takes the
/// pty's master sent over the socket, then runs `then` (JSON argv, may be
/// empty) and prints what the master gives for 3 s, or until `until` shows.
const CONSOLE: &str = r#"
import array, json, os, select, socket, subprocess, sys, time
sock_path, argv, then, until = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sock_path)
server.listen(1)
p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
server.settimeout(20)
conn, _ = server.accept()
fds = array.array("i")
msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_LEN(fds.itemsize))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[:fds.itemsize])
err = p.communicate(timeout=20)[1].decode()
if p.returncode != 0 or not fds:
    print(json.dumps({"code": p.returncode, "stderr": err, "fds": len(fds)})); sys.exit(0)
master = fds[0]
if then:
    subprocess.run(then, stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
got, deadline = b"", time.time() + 3
while time.time() < deadline and until.encode() not in got:
    if select.select([master], [], [], 0.1)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
print(json.dumps({"code": 0, "stderr": err, "fds": len(fds), "output": got.decode(errors="replace")}))
"#;

fn console(sock: &Path, argv: &[&str], then: &[&str], until: &str) -> Value {
    let mut full = runtime_argv();
    full.extend(argv.iter().map(|s| s.to_string()));
    let then: Vec<String> = if then.is_empty() { Vec::new() } else { runtime_argv().into_iter().chain(then.iter().map(|s| s.to_string())).collect() };
    let mut child = Command::new("python3")
        .args(["-c", CONSOLE, sock.to_str().unwrap(), &serde_json::to_string(&full).unwrap(), &serde_json::to_string(&then).unwrap(), until])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 (apt-get install python3): {e}"));
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_with_timeout(&mut child, "the console socket's engine");
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert!(status.success(), "the console engine: {status}: {stderr}");
    let _ = fs::remove_file(sock);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("the console engine printed {stdout:?}: {e}; stderr {stderr}"))
}

#[test]
fn a_console_socket_gets_a_working_pty_of_the_console_size() {
    let t = Lifecycle::on(Rootfs::with_busybox("lc-console"));
    let id = "console";
    let script = ["/bin/sh", "-c", "stty size; tty; echo ready; sleep 100"];
    let bundle = t.bundle(id, &script, |d| {
        d["process"]["terminal"] = json!(true);
        d["process"]["consoleSize"] = json!({"height": 33, "width": 101});
    });
    t.ids.lock().unwrap().push(id.to_string());
    let sock = t.r.outside("console.sock");
    let root = t.root().to_string();
    let seen = console(&sock, &["--root", &root, "create", "--bundle", bundle.to_str().unwrap(), "--console-socket", sock.to_str().unwrap(), id], &["--root", &root, "start", id], "ready");
    assert_eq!((seen["code"].as_i64(), seen["fds"].as_i64()), (Some(0), Some(1)), "create --console-socket: {seen}");
    let output = seen["output"].as_str().unwrap_or_default();
    assert!(output.contains("33 101"), "the pty's size is consoleSize: {output:?}");
    assert!(output.contains("/dev/pts/"), "the payload's stdio is a pty of the container's devpts: {output:?}");
    // exec --tty --detach with its own socket.
    let sock = t.r.outside("exec.sock");
    let seen = console(&sock, &["--root", &root, "exec", "--tty", "--detach", "--console-socket", sock.to_str().unwrap(), id, "/bin/sh", "-c", "tty; echo exec-ready; sleep 100"], &[], "exec-ready");
    assert_eq!((seen["code"].as_i64(), seen["fds"].as_i64()), (Some(0), Some(1)), "exec --tty --console-socket: {seen}");
    assert!(seen["output"].as_str().unwrap_or_default().contains("/dev/pts/"), "exec's pty: {seen}");
    // A terminal needs the socket; the socket needs a terminal.
    let plain = t.bundle("console-missing", &script, |d| d["process"]["terminal"] = json!(true));
    refused(t.create_with("console-missing", &plain, &[]));
    ok(t.rt(&["delete", "--force", id]));
    t.finish("console socket");
}

// ---------------------------------------------------------------------------
// update
// ---------------------------------------------------------------------------

/// A limit of container `id`'s cgroup: the v1 file of its controller (the
/// name before the first `.`), else the v2 one.
fn cgroup_limit(t: &Lifecycle, id: &str, v1: &str, v2: &str) -> String {
    let rel = t.cgroup(id);
    let rel = rel.trim_start_matches('/');
    let controller = v1.split('.').next().unwrap();
    let v1_file = PathBuf::from("/sys/fs/cgroup").join(controller).join(rel).join(v1);
    fs::read_to_string(&v1_file)
        .or_else(|_| fs::read_to_string(PathBuf::from("/sys/fs/cgroup").join(rel).join(v2)))
        .unwrap_or_else(|e| panic!("{id}: neither {} nor v2's {v2}: {e}", v1_file.display()))
        .trim()
        .to_string()
}

#[test]
fn update_writes_new_limits_to_the_cgroup() {
    let t = Lifecycle::new("lc-update");
    let id = "updated";
    t.create_and_start(id, &SLEEPER);
    ok(t.rt(&["update", "--memory", "64M", "--pids-limit", "10", "--cpu-share", "512", id]));
    assert_eq!(cgroup_limit(&t, id, "memory.limit_in_bytes", "memory.max"), "67108864");
    assert_eq!(cgroup_limit(&t, id, "pids.max", "pids.max"), "10");
    // From a file of runtime-spec's LinuxResources.
    let file = t.r.outside("resources.json");
    fs::write(&file, json!({"memory": {"limit": 33554432}, "pids": {"limit": 20}}).to_string()).expect("write resources.json");
    ok(t.rt(&["update", "--resources", file.to_str().unwrap(), id]));
    assert_eq!(cgroup_limit(&t, id, "memory.limit_in_bytes", "memory.max"), "33554432");
    assert_eq!(cgroup_limit(&t, id, "pids.max", "pids.max"), "20");
    // A bad value changes nothing.
    refused(t.rt(&["update", "--pids-limit", "many", id]));
    assert_eq!(cgroup_limit(&t, id, "pids.max", "pids.max"), "20");
    refused(t.rt(&["update", "--pids-limit", "5", "no-such-container"]));
    ok(t.rt(&["delete", "--force", id]));
    t.finish("update");
}

#[test]
fn events_stats_gives_the_cgroup_statistics() {
    let t = Lifecycle::new("lc-events");
    let id = "events";
    t.create_and_start(id, &SLEEPER);
    let line = ok(t.rt(&["events", "--stats", id]));
    let e: Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("events --stats: not one JSON line: {e}: {line}"));
    assert_eq!((e["type"].as_str(), e["id"].as_str()), (Some("stats"), Some(id)), "{line}");
    assert!(e["data"]["memory"]["usage"]["usage"].as_u64().is_some_and(|n| n > 0), "memory in use: {line}");
    assert!(e["data"]["cpu"]["usage"]["total"].as_u64().is_some(), "cpu time: {line}");
    assert_eq!(e["data"]["pids"]["current"].as_u64(), Some(1), "one process: {line}");
    assert_eq!(e["data"]["pids"]["limit"].as_u64(), Some(64), "the bundle's pids limit: {line}");
    ok(t.rt(&["delete", "--force", id]));
    t.finish("events");
}

// ---------------------------------------------------------------------------
// run --detach
// ---------------------------------------------------------------------------

#[test]
fn run_detach_is_create_then_start_and_names_the_rootfs_absolute() {
    let t = Lifecycle::new("lc-run-detach");
    let id = "detached";
    // The bundle is the rootfs's parent, the rootfs named relative to it
    // as `runc spec` writes it: the state names it absolute, as runc's.
    let bundle = t.r.outside("");
    let bundle = bundle.to_str().expect("UTF-8").trim_end_matches('/').to_string();
    let relative = Path::new(t.r.root_str()).file_name().and_then(|n| n.to_str()).expect("the rootfs's name").to_string();
    t.bundle(id, &SLEEPER, |_| {});
    let mut d: Value = serde_json::from_str(&read(&t.r.outside("bundles").join(id).join("config.json"))).expect("the bundle's config.json");
    d["root"]["path"] = json!(relative);
    fs::write(Path::new(&bundle).join("config.json"), d.to_string()).expect("write the bundle's config.json");
    t.ids.lock().unwrap_or_else(PoisonError::into_inner).push(id.to_string());
    let pid_file = t.r.outside("detached.pid");
    let out = t.output(id);
    let run = t.exec(
        &["--root", t.root(), "run", "--detach", "--bundle", &bundle, "--pid-file", pid_file.to_str().unwrap(), id],
        Some((&out, &out.with_extension("err"))),
    );
    assert_eq!((run.code(), run.stderr.as_str()), (0, ""), "run --detach: {run:?}");
    let pid: u32 = read(&pid_file).trim().parse().unwrap_or_else(|_| panic!("run --detach: the pid file holds {:?}", read(&pid_file)));
    // Running, not waited for: the payload is the process of the pid file.
    let deadline = Instant::now() + Duration::from_secs(10);
    while cmdline(pid) != SLEEPER {
        assert!(Instant::now() < deadline, "run --detach: the payload never ran as {pid}: {:?}", cmdline(pid));
        thread::sleep(Duration::from_millis(10));
    }
    let state = t.state(id);
    assert_eq!(state["status"], "running", "run --detach: {state}");
    assert_eq!(state["pid"], pid, "run --detach: {state}");
    assert_eq!(state["rootfs"], t.r.root_str(), "the rootfs, absolute: {state}");
    // A second run of the same ID is refused and leaves the first alone.
    let again = t.rt(&["run", "-d", "--bundle", &bundle, id]);
    assert!(refused(again).contains("already exists"), "a second run --detach of {id}");
    assert_eq!(t.status(id), "running");
    ok(t.rt(&["kill", id, "KILL"]));
    t.wait_status(id, "stopped");
    ok(t.rt(&["delete", id]));
    let _ = fs::remove_file(Path::new(&bundle).join("config.json"));
    t.finish("run --detach");
}

#[test]
fn run_detach_with_a_terminal_needs_a_console_socket_and_leaves_nothing() {
    let t = Lifecycle::new("lc-run-detach-tty");
    let bundle = t.bundle("tty", &SLEEPER, |d| d["process"]["terminal"] = json!(true));
    t.ids.lock().unwrap_or_else(PoisonError::into_inner).push("tty".to_string());
    let err = refused(t.rt(&["run", "--detach", "--bundle", bundle.to_str().unwrap(), "tty"]));
    assert!(err.contains("console") && err.contains("socket"), "run --detach of a terminal without --console-socket: {err:?}");
    let err = refused(t.rt(&["run", "--detach", "--bundle", bundle.to_str().unwrap()]));
    assert!(err.contains("ID") || err.contains("requires exactly 1 argument"), "run --detach without an ID: {err:?}");
    t.finish("run --detach with a terminal");
}

#[test]
fn exec_tty_in_the_foreground_relays_a_pty_of_the_caller_s_size() {
    let t = Lifecycle::on(Rootfs::with_busybox("lc-exec-tty"));
    let id = "exec-tty";
    t.create_and_start(id, &SLEEPER);
    // script(1) gives the runtime a terminal of its own, 20 rows by 90
    // columns; the process gets a pty of that size, in the container's
    // devpts, and its status is exec's.
    let argv = runtime_argv().join(" ");
    let inner = format!("stty rows 20 cols 90; {argv} --root {} exec --tty {id} /bin/busybox sh -c 'tty; stty size; echo relayed; exit 5'", t.root());
    let out = t.exec_command(
        {
            let mut cmd = Command::new("script");
            cmd.args(["-qec", &inner, "/dev/null"]);
            cmd
        },
        None,
    );
    assert_eq!(out.code(), 5, "exec --tty's status is the process's: {out:?}");
    // script(1)'s pty sometimes gives a NUL before a line (with runc too).
    let lines: Vec<&str> = out.stdout.lines().map(|l| l.trim_end_matches('\r').trim_start_matches('\0')).collect();
    assert!(lines.iter().any(|l| l.contains("/dev/pts/")), "exec --tty: the process's stdin is no pty: {out:?}");
    assert!(lines.contains(&"20 90"), "exec --tty: the pty is not the caller's size: {out:?}");
    assert!(lines.contains(&"relayed"), "exec --tty: the output was not relayed: {out:?}");
    // Input goes through the pty too.
    let inner = format!("{argv} --root {} exec -t {id} /bin/busybox sh -c 'read line; echo got:$line'", t.root());
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &inner, "/dev/null"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run script(1): apt-get install bsdutils");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(b"hello\n").expect("write to script");
    let status = wait_with_timeout(&mut child, "exec -t with input");
    let mut stdout = String::new();
    use std::io::Read;
    child.stdout.take().expect("stdout").read_to_string(&mut stdout).expect("read script's output");
    assert!(status.success() && stdout.contains("got:hello"), "exec -t: the input was not relayed: {status:?} {stdout:?}");
    ok(t.rt(&["delete", "--force", id]));
    t.finish("exec --tty in the foreground");
}

/// What the probe of `every_hierarchy_*` prints: `/proc/self/cgroup`, then
/// the PIDs of the container (its /proc), then each line of the
/// `cgroup.procs` of the cgroup mount's name=systemd and cgroup2 trees,
/// then every directory below them.
const HIERARCHY_PROBE: &str = "cat /proc/self/cgroup; echo ---; cd /proc; echo [0-9]*; echo ---; \
cat /sys/fs/cgroup/systemd/cgroup.procs /sys/fs/cgroup/unified/cgroup.procs; echo ---; \
for d in /sys/fs/cgroup/systemd/* /sys/fs/cgroup/unified/*; do [ -d \"$d\" ] && echo \"$d\"; done; true";

/// Checks what `HIERARCHY_PROBE` printed in a container of cgroup `path`
/// (as `who` ran it): its cgroup in every hierarchy of the host's, and no
/// host PID nor cgroup in its cgroup mount. Returns its `/proc/self/cgroup`, sorted.
fn check_hierarchy_probe(who: &str, out: &str, path: &str) -> Vec<String> {
    let parts: Vec<&str> = out.split("---\n").collect();
    assert_eq!(parts.len(), 4, "{who}: the probe's output: {out:?}");
    let own = sorted(parts[0].lines().map(str::to_string));
    let host = fs::read_to_string("/proc/self/cgroup").expect("read /proc/self/cgroup");
    // Every hierarchy the host has, name=systemd and the `0::` of a hybrid host's tree included.
    let hierarchies = sorted(host.lines().map(|l| l.rsplit_once(':').expect("ID:NAME:PATH").0.to_string()));
    let want = sorted(hierarchies.iter().map(|h| format!("{h}:{path}")));
    assert_eq!(own, want, "{who}: /proc/self/cgroup in the container");
    let pids: Vec<&str> = parts[1].split_whitespace().collect();
    let listed: Vec<&str> = parts[2].lines().collect();
    if Path::new("/sys/fs/cgroup/systemd").is_dir() && Path::new("/sys/fs/cgroup/unified").is_dir() {
        assert!(!listed.is_empty(), "{who}: the cgroup mount's name=systemd and cgroup2 trees list no process");
    }
    // The shell and the `cat`s after it: the first PIDs of a new PID
    // namespace; a host's process there would be one of the host's cgroup.
    for pid in &listed {
        let pid: u32 = pid.parse().unwrap_or_else(|_| panic!("{who}: cgroup.procs lists {pid:?}"));
        assert!(pid < 16, "{who}: the cgroup mount's cgroup.procs lists {pid}, no process of the container's ({pids:?})");
    }
    assert_eq!(parts[3], "", "{who}: cgroups of the host's seen below the container's own");
    own
}

#[test]
fn every_hierarchy_holds_the_container_at_its_cgroups_path_as_runc_does() {
    if !Path::new("/sys/fs/cgroup/unified").is_dir() && !Path::new("/sys/fs/cgroup/systemd").is_dir() {
        eprintln!("skipped: not a v1 or hybrid host with name=systemd or a cgroup2 tree beside its v1 controllers");
        return;
    }
    let t = Lifecycle::on(Rootfs::with_busybox("lc-every-hierarchy"));
    let parent = format!("nsinit-lifecycle-{}-parent", std::process::id());
    let path = format!("/{parent}/every");
    // A parent that was there before, in every hierarchy: it stays.
    let parents: Vec<PathBuf> = fs::read_dir("/sys/fs/cgroup").expect("read /sys/fs/cgroup").flatten()
        .filter(|h| !h.file_type().expect("its type").is_symlink())
        .map(|h| h.path().join(&parent)).collect();
    for p in &parents {
        fs::create_dir(p).unwrap_or_else(|e| panic!("mkdir {}: {e}", p.display()));
        // A cpuset no task may join until it has CPUs and memory nodes.
        for file in ["cpuset.cpus", "cpuset.mems"] {
            if let Ok(value) = fs::read_to_string(p.parent().expect("its hierarchy").join(file)) {
                fs::write(p.join(file), value.trim()).unwrap_or_else(|e| panic!("write {}/{file}: {e}", p.display()));
            }
        }
    }
    let bundle = t.bundle("every", &["sh", "-c", HIERARCHY_PROBE], |d| d["linux"]["cgroupsPath"] = json!(path));
    t.cgroups.lock().unwrap_or_else(PoisonError::into_inner).push(path.clone());
    let id = "every-hierarchy";
    t.create(id, &bundle);
    ok(t.rt(&["start", id]));
    t.wait_status(id, "stopped");
    let ours = check_hierarchy_probe("nsinit", &read(&t.output(id)), &path);
    ok(t.rt(&["delete", id]));
    assert_eq!(cgroup_dirs(&path), Vec::<PathBuf>::new(), "the container's cgroups after delete");
    for p in &parents {
        assert!(p.is_dir(), "{}: a parent that was there before the container was removed", p.display());
    }
    // runc, the reference, for the same bundle.
    if let Some(runc) = ["/usr/sbin/runc", "/usr/bin/runc"].into_iter().find(|r| Path::new(r).exists()) {
        let root = t.r.outside("runc-state");
        let out = Command::new(runc)
            .args(["--root", root.to_str().expect("UTF-8"), "run", "--bundle", bundle.to_str().expect("UTF-8"), "every-runc"])
            .stdin(Stdio::null())
            .output()
            .expect("run runc");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "runc run: {out:?}");
        assert_eq!(check_hierarchy_probe("runc", &stdout, &path), ours, "/proc/self/cgroup: runc's against nsinit's");
        assert_eq!(cgroup_dirs(&path), Vec::<PathBuf>::new(), "runc's cgroups after its run");
    }
    for p in &parents {
        fs::remove_dir(p).unwrap_or_else(|e| panic!("rmdir {}: {e}", p.display()));
    }
    t.finish("every hierarchy");
}

/// A payload with a writable cgroup mount and no PID namespace of its own
/// (so its processes outlive its init) hides a process in a chain of 40
/// cgroups below its own, and another below five names of 250 bytes, in
/// every hierarchy: `kill --all` reaches both, and `delete --force`
/// removes every cgroup. (A walk by path had stopped at 32 levels and at
/// 1024 bytes, and left both processes running and their cgroups there.)
/// A bundle whose payload, `sh -c script`, makes cgroups below its own and
/// puts processes there: runc spec's cgroup mount made writable, no PID
/// namespace (its processes are the host's to look at), 512 processes.
fn cgroup_tree_bundle(t: &Lifecycle, name: &str, script: &str) -> PathBuf {
    t.bundle(name, &["sh", "-c", script], |d| {
        let cgroup = d["mounts"].as_array_mut().expect("mounts").iter_mut().find(|m| m["type"] == "cgroup").expect("runc spec's cgroup mount");
        cgroup["options"] = json!(["nosuid", "noexec", "nodev", "relatime"]);
        d["linux"]["namespaces"].as_array_mut().expect("namespaces").retain(|n| n["type"] != "pid");
        // Room for a hundred processes and their shells.
        d["linux"]["resources"]["pids"] = json!({"limit": 512});
    })
}

/// Creates and starts `id` from a `cgroup_tree_bundle`, waits for its
/// payload to print `hidden`, and returns the PIDs it printed on its
/// `pids ` line.
fn start_tree(t: &Lifecycle, id: &str, bundle: &Path) -> Vec<u32> {
    t.create(id, bundle);
    ok(t.rt(&["start", id]));
    t.wait_output(id, "hidden");
    let out = read(&t.output(id));
    out.lines().find_map(|l| l.strip_prefix("pids ")).expect("the payload's pids line").split(' ').map(|p| p.parse().expect("a pid")).collect()
}

/// `kill --all ID KILL`, a wait until none of `pids` runs (failing with
/// `left`'s words), then `delete --force ID`, which must leave none of
/// the `name` bundle's cgroups; ends the test.
fn kill_all_and_delete(t: Lifecycle, id: &str, name: &str, pids: &[u32], left: impl Fn(&[&u32]) -> String) {
    ok(t.rt(&["kill", "--all", id, "KILL"]));
    wait_all_ended(pids, left);
    ok(t.rt(&["delete", "--force", id]));
    assert_eq!(cgroup_dirs(&t.cgroup(name)), Vec::<PathBuf>::new(), "the container's cgroups after delete --force");
    t.finish(&format!("a cgroup tree ({name})"));
}

/// Waits until none of `pids` runs (a zombie has ended); after 10 s fails
/// with `left`'s words on those still running.
fn wait_all_ended(pids: &[u32], left: impl Fn(&[&u32]) -> String) {
    let running = |p: &&u32| Path::new(&format!("/proc/{p}")).exists() && !read(Path::new(&format!("/proc/{p}/stat"))).contains(") Z ");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let still: Vec<&u32> = pids.iter().filter(running).collect();
        if still.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "{}", left(&still));
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn kill_all_and_delete_reach_a_cgroup_tree_however_deep_and_long() {
    let t = Lifecycle::on(Rootfs::with_busybox("lc-deep-tree"));
    let long = "x".repeat(250);
    let script = format!(
        "sleep 1001 & deep=$!; sleep 1002 & long=$!; \
         for h in /sys/fs/cgroup/*; do \
           for pair in \"$deep d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d d\" \"$long {long} {long} {long} {long} {long}\"; do \
             set -- $pair; pid=$1; shift; cd $h || exit 3; \
             for name; do mkdir $name && cd $name || exit 4; \
               if [ -f ../cpuset.cpus ]; then cat ../cpuset.cpus > cpuset.cpus; cat ../cpuset.mems > cpuset.mems; fi; done; \
             echo $pid > cgroup.procs || exit 5; \
           done; \
         done; echo pids $deep $long; echo hidden; sleep 1000"
    );
    let id = "deep-tree";
    let pids = start_tree(&t, id, &cgroup_tree_bundle(&t, "deep", &script));
    let depth = |pid: u32| fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    assert!(depth(pids[0]).contains(&"/d".repeat(40)), "the process in the deep chain: {}", depth(pids[0]));
    assert!(depth(pids[1]).contains(&format!("/{long}").repeat(5)), "the process below the long names");
    kill_all_and_delete(t, id, "deep", &pids, |left| format!("kill --all left {left:?} running: {:?}", left.iter().map(|&&p| depth(p)).collect::<Vec<_>>()));
}

/// `kill --all` goes down every child of a cgroup however many it has
/// (systemd in a container makes one a service): the walk held the
/// children of a cgroup open, 64 at most, and signalled those past it
/// without going below them, so a process two levels down under the
/// 65th sibling lived on.
#[test]
fn kill_all_reaches_below_every_child_of_a_wide_cgroup() {
    let t = Lifecycle::on(Rootfs::with_busybox("lc-wide-tree"));
    let script = "pids=''; for i in $(seq 100); do sleep 1000 & pids=\"$pids $!\"; done; \
                  for h in /sys/fs/cgroup/*; do i=0; for pid in $pids; do i=$((i+1)); \
                    mkdir $h/w$i $h/w$i/c || exit 4; \
                    if [ -f $h/cpuset.cpus ]; then for d in w$i w$i/c; do cat $h/cpuset.cpus > $h/$d/cpuset.cpus; cat $h/cpuset.mems > $h/$d/cpuset.mems; done; fi; \
                    echo $pid > $h/w$i/c/cgroup.procs || exit 5; \
                  done; done; echo pids$pids; echo hidden; sleep 1000";
    let id = "wide-tree";
    let pids = start_tree(&t, id, &cgroup_tree_bundle(&t, "wide", script));
    assert_eq!(pids.len(), 100, "{pids:?}");
    kill_all_and_delete(t, id, "wide", &pids, |left| format!("kill --all left {} of 100 running: {left:?}", left.len()));
}

/// A level of `cgroupsPath` found in the cpuset hierarchy without CPUs or
/// memory nodes (made by hand, or by another create that has not filled
/// it yet) is filled from its parent, as runc fills it: no task could join
/// a cpuset below it otherwise (ENOSPC). It stays, as a level nsinit did
/// not make.
#[test]
fn an_empty_cpuset_level_found_on_the_way_is_filled_from_its_parent() {
    let t = Lifecycle::on(Rootfs::with_busybox("lc-empty-cpuset"));
    let parent = format!("nsinit-lifecycle-{}-emptyset", std::process::id());
    let cpuset = Path::new("/sys/fs/cgroup/cpuset");
    assert!(cpuset.is_dir(), "this test needs the cpuset v1 hierarchy at {}", cpuset.display());
    let made = cpuset.join(&parent);
    fs::create_dir(&made).expect("mkdir the empty cpuset");
    assert_eq!(read(&made.join("cpuset.cpus")).trim(), "", "a new cpuset starts empty");
    let path = format!("/{parent}/c");
    let bundle = t.bundle("emptyset", &["sh", "-c", "grep cpuset /proc/self/cgroup"], |d| d["linux"]["cgroupsPath"] = json!(path));
    t.cgroups.lock().unwrap_or_else(PoisonError::into_inner).push(path.clone());
    let id = "empty-cpuset";
    t.create(id, &bundle);
    ok(t.rt(&["start", id]));
    t.wait_status(id, "stopped");
    assert!(read(&t.output(id)).contains(&format!(":cpuset:{path}")), "the payload's cpuset: {}", read(&t.output(id)));
    assert_eq!(read(&made.join("cpuset.cpus")).trim(), read(&cpuset.join("cpuset.cpus")).trim(), "the level found empty, filled");
    ok(t.rt(&["delete", id]));
    assert!(made.is_dir(), "the level nsinit did not make stays");
    fs::remove_dir(&made).expect("rmdir the cpuset made here");
    t.finish("an empty cpuset level");
}
