//! The shared harness of the end-to-end tests: the real `nsinit` binary
//! starting the real probe (`tests/probe`) in containers built in scratch
//! directories. Each test file (one per concern) has `mod harness;`.
//!
//! No test file links the library: `nsinit` is `no_std` with its own
//! panic handler, which would clash with the test harness. Everything is
//! observed from outside, through the two binaries Cargo builds for us.
//!
//! The tests need root (namespaces, mounts, `pivot_root`) and fail, loudly,
//! without it: a skipped container test looks exactly like a passing one.
//!
//! Every container runs under one global lock, held across processes too
//! (a file lock), so that two test binaries run at once never see each
//! other's mounts; and every run checks that
//! the host is as it was before it (mount table, hostname, no process left
//! over from the test's rootfs). Containers that leak into the host are the
//! bugs that matter most for a runtime, and they are only visible if no
//! other container is running at the same time.

// Each test file uses its own part of the harness.
#![allow(dead_code)]

pub mod pty;

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub const NSINIT: &str = env!("CARGO_BIN_EXE_nsinit");
pub const PROBE: &str = env!("CARGO_BIN_EXE_nsinit-probe");

/// The probe's path inside a test rootfs.
pub const IN_PROBE: &str = "/bin/probe";
/// The seven namespaces nsinit knows. The words of `--unshare` are also the
/// names of the `/proc/PID/ns` links.
pub const NAMESPACES: [&str; 7] = ["uts", "pid", "mnt", "ipc", "net", "cgroup", "time"];
/// What `--rootfs DIR` alone unshares (the `runc spec` default).
pub const DEFAULT_NAMESPACES: [&str; 5] = ["ipc", "mnt", "net", "pid", "uts"];
/// The mount points of the default container.
pub const DEFAULT_MOUNT_POINTS: [&str; 14] = [
    "/", "/proc", "/dev", "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/pts",
    "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
];
/// The paths the default container masks and makes read-only (`runc spec`'s).
pub const MASKED_PATHS: [&str; 10] = [
    "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
];
pub const READONLY_PATHS: [&str; 5] = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/// The mount points of the default container on this kernel: its mounts,
/// each masked or read-only path that the kernel has (the container's
/// /proc and /sys show what the host's do), and on a cgroup v1 host the
/// hierarchies under /sys/fs/cgroup, the host's own bound read-only.
pub fn default_mount_points() -> Vec<String> {
    let present = MASKED_PATHS.iter().chain(&READONLY_PATHS).filter(|p| Path::new(p).exists());
    let hierarchies = host_mount_points().into_iter().filter(|p| p.starts_with("/sys/fs/cgroup/"));
    sorted(DEFAULT_MOUNT_POINTS.iter().chain(present).map(|p| p.to_string()).chain(hierarchies))
}

/// Longer than any healthy run; a hang fails the test instead of blocking the suite.
pub const TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Root, and one container at a time
// ---------------------------------------------------------------------------

/// Panics unless the effective uid is 0: a container test that cannot run
/// must fail, never pass by skipping.
pub fn require_root() {
    let status = fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .expect("a Uid line in /proc/self/status");
    assert!(
        euid == "0",
        "these tests need root: they create namespaces and mounts and pivot_root (effective uid is {euid}); \
         run them as root, e.g. `sudo -E cargo test --test container`"
    );
}

pub static SERIAL: Mutex<()> = Mutex::new(());

/// Where the lock between test processes lives.
const LOCK_FILE: &str = "/tmp/nsinit-tests.lock";

/// Held while a container runs: this process's mutex, then the file lock
/// that other test processes (other test files, other checkouts) take.
pub struct Serial {
    _file: fs::File,
    _guard: MutexGuard<'static, ()>,
}

/// The lock every container runs under. A test that failed while holding it
/// must not fail all the others, so poisoning is ignored.
pub fn serial() -> Serial {
    let guard = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(LOCK_FILE)
        .unwrap_or_else(|e| panic!("open {LOCK_FILE}: {e}"));
    file.lock().unwrap_or_else(|e| panic!("lock {LOCK_FILE}: {e}"));
    Serial { _file: file, _guard: guard }
}

// ---------------------------------------------------------------------------
// The host, before and after
// ---------------------------------------------------------------------------

/// One line of a mountinfo file, the fields the tests look at.
#[derive(Debug)]
pub struct MountEntry {
    pub id: u64,
    /// The path inside the mounted filesystem that is the mount's root.
    pub root: String,
    pub point: String,
    /// Per-mount options (`ro`, `nosuid`...).
    pub opts: String,
    pub fstype: String,
    /// Filesystem options (`size=`, `mode=`...).
    pub super_opts: String,
}

pub fn parse_mountinfo(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let dash = fields.iter().position(|f| *f == "-").unwrap_or_else(|| panic!("no ' - ' in mountinfo line {line:?}"));
            MountEntry {
                id: fields[0].parse().unwrap_or_else(|_| panic!("bad mount id in {line:?}")),
                root: fields[3].to_string(),
                point: fields[4].to_string(),
                opts: fields[5].to_string(),
                fstype: fields.get(dash + 1).unwrap_or(&"").to_string(),
                super_opts: fields.get(dash + 3).unwrap_or(&"").to_string(),
            }
        })
        .collect()
}

/// The host's mount points, sorted, duplicates kept: a mount stacked on an
/// existing mount point is a leak too. Ids and options may change; the set
/// of mount points may not.
pub fn host_mount_points() -> Vec<String> {
    let text = fs::read_to_string("/proc/self/mountinfo").expect("read /proc/self/mountinfo");
    let mut points: Vec<String> = parse_mountinfo(&text).into_iter().map(|m| m.point).collect();
    points.sort();
    points
}

pub fn read_trimmed(path: &str) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}")).trim_end().to_string()
}

/// What a container must leave as it found it, taken under the lock.
pub struct HostState {
    _lock: Serial,
    pub mounts: Vec<String>,
    pub hostname: String,
    pub domainname: String,
}

impl HostState {
    pub fn take() -> HostState {
        require_root();
        let lock = serial();
        HostState {
            _lock: lock,
            mounts: host_mount_points(),
            hostname: read_trimmed("/proc/sys/kernel/hostname"),
            domainname: read_trimmed("/proc/sys/kernel/domainname"),
        }
    }

    /// Panics, naming the difference, when the host changed; `rootfs` also
    /// checks that no process from it is still running.
    pub fn check(self, rootfs: Option<&Rootfs>, what: &str) {
        let now = host_mount_points();
        if now != self.mounts {
            let added: Vec<_> = now.iter().filter(|p| !self.mounts.contains(p)).collect();
            let removed: Vec<_> = self.mounts.iter().filter(|p| !now.contains(p)).collect();
            panic!(
                "{what}: the host's mount table changed: added {added:?}, removed {removed:?} \
                 ({} mount points before, {} after)",
                self.mounts.len(),
                now.len()
            );
        }
        assert_eq!(read_trimmed("/proc/sys/kernel/hostname"), self.hostname, "{what}: the host's hostname changed");
        assert_eq!(read_trimmed("/proc/sys/kernel/domainname"), self.domainname, "{what}: the host's domainname changed");
        if let Some(r) = rootfs {
            let left = processes_from(r);
            assert!(left.is_empty(), "{what}: processes from {} still running: {left:?}", r.root_str());
        }
    }
}

/// The processes running from `r`, as `PID cmdline`.
///
/// Paths cannot tell: after `pivot_root` the kernel shows a container's
/// `/proc/PID/exe` as `/bin/probe`, relative to the container's own root.
/// Inodes can: a process runs from `r` if its executable is one of the
/// binaries copied into `r`, or if its root directory is `r`. A task of
/// nsinit's own (the one that makes a network namespace) that outlived
/// its nsinit counts too: it runs nsinit's binary with neither this test
/// nor an nsinit as its parent.
pub fn processes_from(r: &Rootfs) -> Vec<String> {
    let me = std::process::id().to_string();
    let nsinit = fs::metadata(NSINIT).map(|m| (m.dev(), m.ino())).ok();
    let runs_nsinit = |pid: &str| {
        let exe = fs::metadata(format!("/proc/{pid}/exe")).ok().map(|m| (m.dev(), m.ino()));
        exe.is_some() && exe == nsinit
    };
    let parent = |pid: &str| {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The field after the command's closing parenthesis and the state.
        stat.rsplit_once(") ").and_then(|(_, rest)| rest.split(' ').nth(1).map(str::to_string)).unwrap_or_default()
    };
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else { return found };
    for entry in entries.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|c| c.is_ascii_digit()) || pid == me {
            continue;
        }
        let id = |link: &str| fs::metadata(format!("/proc/{pid}/{link}")).ok().map(|m| (m.dev(), m.ino()));
        let stray_task = || runs_nsinit(&pid) && { let ppid = parent(&pid); ppid != me && !runs_nsinit(&ppid) };
        let from_rootfs =
            id("exe").is_some_and(|exe| r.binaries.contains(&exe)) || id("root") == Some(r.id) || stray_task();
        if from_rootfs {
            let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            found.push(format!("{pid} {}", String::from_utf8_lossy(&cmdline).replace('\0', " ").trim_end()));
        }
    }
    found
}

/// The PIDs running the probe (or the demo) copied into `r`: the payload
/// once nsinit has exec'd it, not nsinit's own child before that.
pub fn payload_pids(r: &Rootfs) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::metadata(format!("/proc/{pid}/exe")).is_ok_and(|m| r.binaries.contains(&(m.dev(), m.ino())))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Scratch rootfs
// ---------------------------------------------------------------------------

pub static SCRATCH_COUNT: AtomicUsize = AtomicUsize::new(0);

/// A scratch directory holding a rootfs (`base/rootfs`) and room beside it
/// for host-side files the container must not reach unless bound in.
pub struct Rootfs {
    pub base: PathBuf,
    pub root: PathBuf,
    /// (dev, ino) of the rootfs directory.
    pub id: (u64, u64),
    /// (dev, ino) of every binary copied in.
    pub binaries: Vec<(u64, u64)>,
}

impl Rootfs {
    /// The usual layout: `bin proc dev sys tmp etc`, the probe as
    /// `bin/probe` and as `bin/hello` (the demo is the probe under that name).
    pub fn new(tag: &str) -> Rootfs {
        Rootfs::with_dirs(tag, &["bin", "proc", "dev", "sys", "tmp", "etc"])
    }

    /// Without `proc`, `dev` or `sys`: nsinit must make its mount points.
    pub fn without_mount_points(tag: &str) -> Rootfs {
        Rootfs::with_dirs(tag, &["bin", "tmp", "etc"])
    }

    pub fn with_dirs(tag: &str, dirs: &[&str]) -> Rootfs {
        require_root();
        // Copying an executable while another thread forks can leave a
        // writable descriptor in a child and make exec fail with ETXTBSY:
        // copy under the same lock as every spawn.
        let _lock = serial();
        let n = SCRATCH_COUNT.fetch_add(1, Ordering::Relaxed);
        let base = std::env::temp_dir().join(format!("nsinit-test-{}-{n}-{tag}", std::process::id()));
        if base.exists() {
            fs::remove_dir_all(&base).expect("remove a stale scratch directory");
        }
        let root = base.join("rootfs");
        for d in dirs {
            fs::create_dir_all(root.join(d)).expect("create rootfs directory");
        }
        let mut binaries = Vec::new();
        for name in ["probe", "hello"] {
            let dst = root.join("bin").join(name);
            fs::copy(PROBE, &dst).expect("copy the probe into the rootfs");
            fs::set_permissions(&dst, fs::Permissions::from_mode(0o755)).expect("chmod the probe");
            let m = fs::metadata(&dst).expect("stat the probe copy");
            binaries.push((m.dev(), m.ino()));
        }
        let m = fs::metadata(&root).expect("stat the rootfs");
        Rootfs { base, root, id: (m.dev(), m.ino()), binaries }
    }

    /// The usual layout plus Debian's static busybox as `/bin/busybox`,
    /// with `/bin/sh`, `ps`, `tty`, `stty`... linked to it: a real shell
    /// with job control (`sh -i`) inside. Fails, saying what to install,
    /// without it.
    pub fn with_busybox(tag: &str) -> Rootfs {
        let busybox = Path::new("/bin/busybox");
        assert!(
            fs::read(busybox).is_ok_and(|elf| is_static_elf(&elf)),
            "these tests run a real shell in the container: apt-get install busybox-static (a static /bin/busybox)"
        );
        let r = Rootfs::new(tag);
        let _lock = serial();
        let dst = r.host("/bin/busybox");
        fs::copy(busybox, &dst).expect("copy busybox into the rootfs");
        fs::set_permissions(&dst, fs::Permissions::from_mode(0o755)).expect("chmod busybox");
        for applet in ["sh", "ps", "tty", "stty", "cat", "echo", "sleep", "kill", "ls", "id", "true", "false"] {
            std::os::unix::fs::symlink("busybox", r.host(&format!("/bin/{applet}"))).expect("link a busybox applet");
        }
        let mut r = r;
        let m = fs::metadata(&dst).expect("stat busybox");
        r.binaries.push((m.dev(), m.ino()));
        r
    }

    pub fn root_str(&self) -> &str {
        self.root.to_str().expect("a UTF-8 temp path")
    }

    /// A host path inside the rootfs.
    pub fn host(&self, inside: &str) -> PathBuf {
        self.root.join(inside.trim_start_matches('/'))
    }

    /// A host path beside the rootfs, out of the container's reach.
    pub fn outside(&self, name: &str) -> PathBuf {
        self.base.join(name)
    }

    /// The probe's host path, to run it without `--rootfs`.
    pub fn probe_host_path(&self) -> String {
        self.host(IN_PROBE).to_str().expect("UTF-8").to_string()
    }

    /// `nsinit ARGS...`, checking the host afterwards, processes from this rootfs included.
    pub fn nsinit(&self, args: &[&str]) -> Out {
        run(command(args), Some(self))
    }

    /// `nsinit --rootfs ROOT ARGS...`.
    pub fn run(&self, args: &[&str]) -> Out {
        let mut all = vec!["--rootfs", self.root_str()];
        all.extend_from_slice(args);
        self.nsinit(&all)
    }
}

/// Whether `elf` is an x86-64 ELF file without a program interpreter
/// (no `PT_INTERP` program header): one that runs in an empty rootfs.
pub fn is_static_elf(elf: &[u8]) -> bool {
    let u16_at = |at: usize| elf.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let u64_at = |at: usize| elf.get(at..at + 8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize);
    let (Some(phoff), Some(size), Some(count)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38)) else { return false };
    elf.starts_with(b"\x7fELF\x02") && (0..count).all(|i| elf.get(phoff + i * size..phoff + i * size + 4) != Some(&3u32.to_le_bytes()[..]))
}

impl Drop for Rootfs {
    /// Removes the scratch directory, unless something is still mounted
    /// under it: `remove_dir_all` would then walk into a bind of a host
    /// directory (or a leaked /dev, /sys) and delete real files.
    fn drop(&mut self) {
        let base = self.base.to_string_lossy().into_owned();
        let mounted: Vec<String> = host_mount_points().into_iter().filter(|p| p.starts_with(&base)).collect();
        if mounted.is_empty() {
            let _ = fs::remove_dir_all(&self.base);
        } else {
            eprintln!("leaving {base} in place: still mounted under it: {mounted:?}");
        }
    }
}

// ---------------------------------------------------------------------------
// Running nsinit
// ---------------------------------------------------------------------------

/// What one nsinit run gave back.
#[derive(Debug)]
pub struct Out {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// nsinit's exit code; nsinit itself must never die of a signal.
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or_else(|| panic!("nsinit was killed by a signal: {self:?}"))
    }
}

pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(NSINIT);
    c.args(args);
    c
}

/// Reads a pipe to its end on a thread of its own, so that a chatty child
/// never blocks on a full pipe while we wait for it.
pub fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Waits for `child`, killing it and failing after `TIMEOUT`.
pub fn wait_with_timeout(child: &mut Child, what: &str) -> ExitStatus {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {TIMEOUT:?}; killed");
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `cmd` (an nsinit command line) to its end, alone, then checks the
/// host. Whatever it printed, a panic or an internal error is a bug.
pub fn run(mut cmd: Command, rootfs: Option<&Rootfs>) -> Out {
    let what = format!("{cmd:?}");
    let host = HostState::take();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_with_timeout(&mut child, &what);
    let out = Out { status, stdout: stdout.join().expect("stdout reader"), stderr: stderr.join().expect("stderr reader") };
    assert_no_internal_failure(&out, &what);
    host.check(rootfs, &what);
    out
}

/// `nsinit ARGS...` with no rootfs of its own to watch.
pub fn nsinit(args: &[&str]) -> Out {
    run(command(args), None)
}

pub fn assert_no_internal_failure(out: &Out, what: &str) {
    for word in ["panicked", "internal error"] {
        assert!(!out.stderr.contains(word), "{what}: stderr mentions {word:?}: {out:?}");
        assert!(!out.stdout.contains(word), "{what}: stdout mentions {word:?}: {out:?}");
    }
}

/// A container left running so the host can look at it from outside:
/// its namespaces (`/proc/PID/ns`), its files (`/proc/PID/root`), its
/// mounts (`/proc/PID/mountinfo`). The payload is `probe cat
/// /proc/self/fd/0`, which lives exactly as long as we hold its stdin: no
/// signal is needed to end it.
pub struct Running<'r> {
    pub rootfs: &'r Rootfs,
    pub host: Option<HostState>,
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub stdout: Option<JoinHandle<String>>,
    pub stderr: Option<JoinHandle<String>>,
    /// The payload's PID, as the host sees it.
    pub pid: u32,
    pub what: String,
}

/// Starts `nsinit OPTIONS PROBE cat /proc/self/fd/0` and waits until the
/// probe runs. `probe` is the probe's path as the container sees it.
pub fn start<'r>(rootfs: &'r Rootfs, options: &[&str], probe: &str) -> Running<'r> {
    let mut args = options.to_vec();
    args.extend_from_slice(&[probe, "cat", "/proc/self/fd/0"]);
    let mut cmd = command(&args);
    let what = format!("{cmd:?}");
    let host = HostState::take();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    let stdin = child.stdin.take();
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    let pid = loop {
        if let Some(&pid) = payload_pids(rootfs).first() {
            break pid;
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("{what}: exited ({status}) before the payload ran; stderr: {}", stderr.join().unwrap_or_default());
        }
        assert!(Instant::now() < deadline, "{what}: the payload did not start within 10 s");
        thread::sleep(Duration::from_millis(5));
    };
    Running { rootfs, host: Some(host), child, stdin, stdout: Some(stdout), stderr: Some(stderr), pid, what }
}

impl Running<'_> {
    /// A path in the container, reached from the host.
    pub fn path(&self, inside: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root{inside}", self.pid))
    }

    pub fn mountinfo(&self) -> Vec<MountEntry> {
        parse_mountinfo(&fs::read_to_string(format!("/proc/{}/mountinfo", self.pid)).expect("read the payload's mountinfo"))
    }

    /// The namespaces, in `--unshare` words, in which the payload is not
    /// where the test process is.
    pub fn new_namespaces(&self) -> BTreeSet<&'static str> {
        NAMESPACES
            .into_iter()
            .filter(|ns| {
                let mine = fs::read_link(format!("/proc/self/ns/{ns}")).expect("read my namespace link");
                let its = fs::read_link(format!("/proc/{}/ns/{ns}", self.pid)).expect("read the payload's namespace link");
                mine != its
            })
            .collect()
    }

    /// Closes the payload's stdin, so it ends; checks it ended well and
    /// that the host is as it was.
    pub fn finish(mut self) -> Out {
        drop(self.stdin.take());
        let status = wait_with_timeout(&mut self.child, &self.what);
        let out = Out {
            status,
            stdout: self.stdout.take().map(|h| h.join().expect("stdout reader")).unwrap_or_default(),
            stderr: self.stderr.take().map(|h| h.join().expect("stderr reader")).unwrap_or_default(),
        };
        assert_no_internal_failure(&out, &self.what);
        assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "{}: the held payload did not end cleanly", self.what);
        let host = self.host.take().expect("host state");
        host.check(Some(self.rootfs), &self.what);
        out
    }
}

impl Drop for Running<'_> {
    /// After a failed assertion, do not leave the container behind.
    fn drop(&mut self) {
        if self.host.is_some() {
            drop(self.stdin.take());
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs a held container just to read which namespaces it got.
pub fn namespaces_of(rootfs: &Rootfs, options: &[&str], probe: &str) -> BTreeSet<&'static str> {
    let running = start(rootfs, options, probe);
    let ns = running.new_namespaces();
    running.finish();
    ns
}

pub fn set(words: &[&'static str]) -> BTreeSet<&'static str> {
    words.iter().copied().collect()
}

pub fn all_namespaces() -> BTreeSet<&'static str> {
    set(&NAMESPACES)
}

// ---------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------

/// Success: exit 0, nothing on stderr. Returns stdout.
#[track_caller]
pub fn ok(out: Out) -> String {
    assert_eq!(out.code(), 0, "expected success: {out:?}");
    assert_eq!(out.stderr, "", "expected nothing on stderr: {out:?}");
    out.stdout
}

/// Success, stdout as lines.
#[track_caller]
pub fn ok_lines(out: Out) -> Vec<String> {
    ok(out).lines().map(str::to_string).collect()
}

/// A failure of nsinit (not of the payload): exactly one line on stderr,
/// starting with `nsinit: `, nothing on stdout, exit `code`. Returns the line.
#[track_caller]
pub fn fails(out: Out, code: i32) -> String {
    assert_eq!(out.code(), code, "expected exit {code}: {out:?}");
    assert_eq!(out.stdout, "", "expected nothing on stdout: {out:?}");
    assert!(out.stderr.ends_with('\n') && out.stderr.matches('\n').count() == 1, "expected exactly one line on stderr: {out:?}");
    let line = out.stderr.trim_end_matches('\n').to_string();
    assert!(line.starts_with("nsinit: "), "expected the line to start with 'nsinit: ': {line:?}");
    line
}

/// Checks a system-call error has the shape `nsinit: <step> <object>: <ERRNO> (<text>)`.
#[track_caller]
pub fn assert_sys_error(line: &str, step: &str, object: &str, errno: &str) {
    let rest = line.strip_prefix("nsinit: ").unwrap_or_else(|| panic!("no 'nsinit: ' prefix: {line:?}"));
    let (head, tail) = rest.rsplit_once(": ").unwrap_or_else(|| panic!("no ': ' before the errno: {line:?}"));
    assert_eq!(head, format!("{step} {object}"), "step and object in {line:?}");
    let (name, text) = tail.split_once(" (").unwrap_or_else(|| panic!("no ' (' after the errno name: {line:?}"));
    assert_eq!(name, errno, "errno name in {line:?}");
    assert!(text.ends_with(')') && text.len() > 1, "errno text in parentheses in {line:?}");
}

/// The interface names listed in a `/proc/net/dev`.
pub fn interfaces(net_dev: &str) -> BTreeSet<String> {
    net_dev.lines().skip(2).filter_map(|l| l.split_once(':')).map(|(name, _)| name.trim().to_string()).collect()
}

pub fn point<'m>(mounts: &'m [MountEntry], at: &str) -> &'m MountEntry {
    let matching: Vec<_> = mounts.iter().filter(|m| m.point == at).collect();
    assert_eq!(matching.len(), 1, "expected exactly one mount on {at}: {mounts:#?}");
    matching[0]
}

pub fn sorted(points: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    let mut v: Vec<String> = points.into_iter().map(Into::into).collect();
    v.sort();
    v
}

pub fn mount_points(mounts: &[MountEntry]) -> Vec<String> {
    sorted(mounts.iter().map(|m| m.point.clone()))
}

pub fn write_file(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).expect("create parent directory");
    }
    fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Starts `cmd` (an nsinit command line whose payload runs long), waits
/// until its payload runs from `r`, kills nsinit with SIGKILL, and waits
/// until no process from `r` is left: the container must die with nsinit.
pub fn kill_nsinit_once_the_payload_runs(mut cmd: Command, r: &Rootfs) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn nsinit");
    let deadline = Instant::now() + Duration::from_secs(10);
    while payload_pids(r).is_empty() {
        assert!(Instant::now() < deadline, "the probe never ran");
        thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL nsinit");
    child.wait().expect("reap");
    while !processes_from(r).is_empty() {
        assert!(Instant::now() < deadline + Duration::from_secs(5), "the container outlived nsinit");
        thread::sleep(Duration::from_millis(5));
    }
}


/// The file that holds a cgroup's memory limit on this machine, as nsinit's
/// OOM report names it: `memory.max` on cgroup v2 alone, else v1's
/// `memory.limit_in_bytes` (hybrid and legacy layouts limit through v1).
pub fn memory_limit_file() -> &'static str {
    if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() { "memory.max" } else { "memory.limit_in_bytes" }
}
