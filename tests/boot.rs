//! Boot tests: nsinit as the `/init` of an initramfs, PID 1 of a real kernel
//! booted in qemu (software emulation, no KVM), observed through the serial
//! console.
//!
//! The initramfs is the one `make initramfs` builds (tools/mkinitramfs.py:
//! nsinit as /init, boot/nsinit.conf as /etc/nsinit.conf, the probe as
//! /demo/bin/hello), plus a second config, /etc/other.conf, whose payload
//! exits 3, and the probe under its own name as /demo/bin/probe. Each test
//! boots it with boot/qemu.sh, the one place that knows how to start a VM.
//!
//! Like the container tests, these fail, never skip, when something they
//! need is missing: a skipped boot test would look exactly like a passing
//! one. They need qemu-system-x86_64 and a kernel in /boot (Debian:
//! qemu-system-x86, linux-image-amd64) and python3 for the generator.
//!
//! One VM at a time: two TCG guests on a small machine would each take
//! twice as long, and a noisy neighbour is what the timeout must not meet.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

const NSINIT: &str = env!("CARGO_BIN_EXE_nsinit");
const PROBE: &str = env!("CARGO_BIN_EXE_nsinit-probe");
const QEMU_SH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/boot/qemu.sh");
const MKINITRAMFS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/mkinitramfs.py");
/// The demo config, the same file `make initramfs` embeds.
const DEMO_CONF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/boot/nsinit.conf");
/// The hostname boot/nsinit.conf gives the demo container.
const DEMO_HOSTNAME: &str = "nsinit-vm";

/// A second container in the same initramfs, chosen on the kernel command
/// line: same rootfs, its own hostname, a payload that exits 3.
const OTHER_CONF_PATH: &str = "/etc/other.conf";
const OTHER_CONF: &str = "\
# The boot test's second config: a payload that fails.
rootfs /demo
hostname other-vm
--
/bin/probe exit 3
";

/// Configs for cgroup v2, which the booted kernel has alone: nsinit mounts
/// cgroup2 on /sys/fs/cgroup as the system's init, and creates containers
/// straight into their cgroup (CLONE_INTO_CGROUP).
const V2_CONFS: [(&str, &str); 5] = [
    ("/etc/v2-pids.conf", "rootfs /demo\npids-max 20\n--\n/bin/probe forkbomb\n"),
    ("/etc/v2-oom.conf", "rootfs /demo\nmemory-max 16M\n--\n/bin/probe hog 256\n"),
    ("/etc/v2-place.conf", "rootfs /demo\ncgroup box\ncpus 0.5\n--\n/bin/probe cat /proc/self/cgroup\n"),
    // A caller limited to 32 MiB (the outer container, in /outer) runs nsinit
    // (/demo/bin/nsinit) with a pids limit only: the inner container must
    // nest below /outer, so 96 MiB is too much for it. The outer container
    // writes the cgroup tree (a bind of the VM's) and may clone3 into it.
    (
        "/etc/v2-nest.conf",
        "rootfs /demo\ncgroup /outer\nmemory-max 32M\nseccomp off\ncap-add ALL\nbind /sys/fs/cgroup /sys/fs/cgroup\n--\n\
         /bin/nsinit --pids-max 100 /bin/probe hog 96\n",
    ),
    // The same nsinit beside another process of its cgroup: it cannot free
    // its cgroup for controllers, and says so.
    (
        "/etc/v2-crowded.conf",
        "rootfs /demo\ncgroup /outer\nmemory-max 32M\nseccomp off\ncap-add ALL\nbind /sys/fs/cgroup /sys/fs/cgroup\ninit\n--\n\
         /bin/nsinit --pids-max 100 /bin/probe exit 0\n",
    ),
];

/// Configs for the OCI set of limits on cgroup v2 (issue 13): v1's words
/// converted as runc and crun convert them, `unified` keys, the eBPF device
/// program, and v1-only limits refused.
const V2_OCI_CONFS: [(&str, &str); 4] = [
    (
        "/etc/v2-oci.conf",
        "rootfs /demo\ncgroup box\nmemory-max 64M\nmemory-swap 96M\nmemory-reservation 16M\ncpu-shares 512\n\
         cpu-period 50000\ncpu-quota 25000\ncpu-burst 1000\ncpuset-mems 0\npids-max 30\ncgroup-set memory.high=50M\n--\n\
         /bin/probe cat /sys/fs/cgroup/box/memory.max /sys/fs/cgroup/box/memory.swap.max /sys/fs/cgroup/box/memory.low \
         /sys/fs/cgroup/box/cpu.weight /sys/fs/cgroup/box/cpu.max /sys/fs/cgroup/box/cpu.max.burst /sys/fs/cgroup/box/cpuset.mems \
         /sys/fs/cgroup/box/pids.max /sys/fs/cgroup/box/memory.high\n",
    ),
    // Without a root of its own (nsinit's is nodev): nodes made in the
    // VM's root, where only the device program decides.
    ("/etc/v2-devices.conf", "cgroup box\ndevice-cgroup-rule \"c 1:3 rwm\"\n--\n/demo/bin/probe devices /nodes\n"),
    ("/etc/v2-devices-allowed.conf", "cgroup box\ndevice-cgroup-rule \"b 7:0 r\"\n--\n/demo/bin/probe devices /nodes\n"),
    ("/etc/v2-v1-only.conf", "rootfs /demo\nmemory-swappiness 10\n--\n/bin/probe exit 0\n"),
];

/// Configs whose payload never starts: one it cannot find, and a config
/// file with a bad option. nsinit says so rather than report an exit status.
const FAILING_CONFS: [(&str, &str); 2] = [
    ("/etc/missing.conf", "rootfs /demo\n--\n/bin/missing\n"),
    ("/etc/bad.conf", "rootfs /demo\nfrob\n--\n/bin/probe exit 0\n"),
];

/// Configs with a user namespace, whose limits only a root with
/// `CAP_SYS_RESOURCE` can raise or lower (the VM's init has it; a test
/// sandbox's root may not): the kernel starts init with nofile 1024:4096,
/// and a process in a new user namespace cannot raise the hard limit
/// itself, so nsinit sets it from outside (issue 12, item 8).
const USERNS_CONFS: [(&str, &str); 2] = [
    ("/etc/userns-rlimit.conf", "rootfs /demo\nunshare user\nrlimit nofile=8192:8192\n--\n/bin/probe cat /proc/self/limits\n"),
    ("/etc/userns-oom.conf", "rootfs /demo\nunshare user\noom-score-adj -500\n--\n/bin/probe cat /proc/self/oom_score_adj\n"),
];

/// A boot takes about 5 s here under TCG; 120 s leaves room for a loaded
/// CI machine, and still fails a hung guest long before CI's own limit.
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------
// What the tests need
// ---------------------------------------------------------------------------

/// Panics, naming the Debian packages, unless qemu and a kernel are there.
/// boot/qemu.sh does the looking, so the test and `make boot` agree on what
/// "a kernel" is.
fn require_qemu_and_kernel() {
    let out = Command::new(QEMU_SH).arg("--check").output().unwrap_or_else(|e| panic!("cannot run {QEMU_SH}: {e}"));
    assert!(
        out.status.success(),
        "the boot tests need qemu-system-x86_64 and a kernel in /boot/vmlinuz-*: \
         apt-get install qemu-system-x86 linux-image-amd64\n{QEMU_SH} --check said: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

/// Where this test binary keeps its files: Cargo's scratch directory for
/// integration tests, inside target/.
fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("boot");
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

/// The initramfs, built once per test run from the binaries Cargo just built
/// (not through `make initramfs`: a nested `cargo build` would wait on the
/// lock the running `cargo test` holds).
fn initramfs() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(build_initramfs)
}

fn build_initramfs() -> PathBuf {
    let dir = scratch();
    let other = dir.join("other.conf");
    fs::write(&other, OTHER_CONF).unwrap_or_else(|e| panic!("write {}: {e}", other.display()));
    let out = dir.join("initramfs.cpio.gz");
    let file = |dest: &str, src: &Path| format!("{dest}={}", src.display());
    let mut v2 = Vec::new();
    for (dest, text) in V2_CONFS.into_iter().chain(V2_OCI_CONFS).chain(FAILING_CONFS).chain(USERNS_CONFS) {
        let src = dir.join(dest.trim_start_matches("/etc/"));
        fs::write(&src, text).unwrap_or_else(|e| panic!("write {}: {e}", src.display()));
        v2.push("--file".to_string());
        v2.push(file(dest, &src));
    }
    let status = Command::new("python3")
        .arg(MKINITRAMFS)
        .args(&v2)
        .arg("-o")
        .arg(&out)
        .args(["--init", NSINIT])
        .args(["--file", &file("/etc/nsinit.conf", DEMO_CONF.as_ref())])
        .args(["--file", &file(OTHER_CONF_PATH, &other)])
        .args(["--file", &file("/demo/bin/hello", PROBE.as_ref())])
        .args(["--file", &file("/demo/bin/probe", PROBE.as_ref())])
        .args(["--file", &file("/demo/bin/nsinit", NSINIT.as_ref())])
        .args(["--dir", "/demo/proc", "--dir", "/demo/dev", "--dir", "/demo/sys"])
        .status()
        .unwrap_or_else(|e| panic!("cannot run python3 {MKINITRAMFS} (apt-get install python3): {e}"));
    assert!(status.success(), "{MKINITRAMFS} failed: {status}");
    out
}

static ONE_VM: Mutex<()> = Mutex::new(());

/// The lock every boot runs under. A failed boot must not fail the next
/// one too, so poisoning is ignored.
fn one_vm() -> MutexGuard<'static, ()> {
    ONE_VM.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------------------
// Booting
// ---------------------------------------------------------------------------

/// What a finished boot left: the serial console's lines and qemu's exit.
struct Boot {
    what: String,
    /// The console with `\r\n` as `\n`; qemu's own stderr after it.
    console: String,
    status: ExitStatus,
    took: Duration,
}

/// Boots the test initramfs with `args` added to the kernel command line,
/// and waits for the guest to end qemu by powering off. Panics, with the
/// whole console, if it has not after `BOOT_TIMEOUT`.
fn boot(args: &[&str]) -> Boot {
    require_qemu_and_kernel();
    let initramfs = initramfs();
    let _vm = one_vm();
    let mut what = format!("boot/qemu.sh {}", initramfs.display());
    for arg in args {
        what = what + " " + arg;
    }
    let started = Instant::now();
    // qemu.sh execs qemu, so the child is qemu itself and kill() reaches it.
    let mut child = Command::new(QEMU_SH)
        .arg(initramfs)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_for(&mut child, BOOT_TIMEOUT);
    let took = started.elapsed();
    let console = join(stdout).replace("\r\n", "\n") + &join(stderr);
    let Some(status) = status else {
        panic!("{what}: the guest was still running after {BOOT_TIMEOUT:?}; killed qemu. Console:\n{console}");
    };
    eprintln!("{what}: qemu exited ({status}) after {:.1} s", took.as_secs_f64());
    Boot { what, console, status, took }
}

/// Reads a pipe to its end on a thread of its own, so that neither of
/// qemu's outputs can fill up and stall it.
fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    let mut pipe = pipe.expect("a piped output");
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn join(reader: JoinHandle<String>) -> String {
    reader.join().expect("the output reader panicked")
}

/// Waits up to `timeout` for `child`; `None`, with the child killed and
/// reaped, when it was still running.
fn wait_for(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("wait for qemu") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

impl Boot {
    fn lines(&self) -> impl Iterator<Item = &str> {
        self.console.lines().map(str::trim)
    }

    /// Whether a console line is `expected`, blanks aside.
    fn has_line(&self, expected: &str) -> bool {
        self.lines().any(|l| l == expected)
    }

    /// Whether a console line has exactly these words: the probe aligns its
    /// values with runs of blanks (`pid:      1`).
    fn has_words(&self, words: &[&str]) -> bool {
        self.lines().any(|l| l.split_whitespace().eq(words.iter().copied()))
    }

    fn assert_line(&self, expected: &str) {
        assert!(self.has_line(expected), "{}: no line {expected:?} on the console:\n{}", self.what, self.console);
    }

    fn assert_words(&self, words: &[&str]) {
        assert!(
            self.has_words(words),
            "{}: no line {:?} on the console:\n{}",
            self.what,
            words.join(" "),
            self.console
        );
    }

    /// A panic ends qemu too (panic=-1 and -no-reboot), so the exit status
    /// alone cannot tell it from a poweroff; its message on the console can.
    /// PID 1 exiting instead of powering off is the likely cause.
    fn assert_no_kernel_panic(&self) {
        assert!(
            !self.console.contains("Kernel panic"),
            "{}: the kernel panicked (did /init exit?):\n{}",
            self.what,
            self.console
        );
    }

    /// The guest ended qemu itself (poweroff, or a reboot with -no-reboot),
    /// before the timeout, and qemu exited 0 as it does then.
    fn assert_powered_off(&self) {
        self.assert_no_kernel_panic();
        assert!(self.status.success(), "{}: qemu exited with {}:\n{}", self.what, self.status, self.console);
        assert!(self.took < BOOT_TIMEOUT, "{}: took {:?}", self.what, self.took);
    }
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

#[test]
fn boots_the_demo_container_as_pid_1_and_powers_off() {
    let boot = boot(&[]);
    boot.assert_no_kernel_panic();
    boot.assert_line("Hello from container!");
    boot.assert_words(&["hostname:", DEMO_HOSTNAME]);
    boot.assert_words(&["pid:", "1"]);
    boot.assert_line("nsinit: payload exited with status 0");
    boot.assert_powered_off();
}

#[test]
fn a_config_named_on_the_kernel_command_line_and_a_failing_payload() {
    let boot = boot(&[&format!("nsinit.config={OTHER_CONF_PATH}")]);
    boot.assert_no_kernel_panic();
    boot.assert_line("nsinit: payload exited with status 3");
    // The demo's payload never ran: the command line's config replaced
    // /etc/nsinit.conf rather than adding to it.
    assert!(!boot.has_line("Hello from container!"), "{}: the demo ran too:\n{}", boot.what, boot.console);
    boot.assert_powered_off();
}

#[test]
fn cgroup_v2_limits_hold_in_a_v2_only_system() {
    let pids = boot(&["nsinit.config=/etc/v2-pids.conf"]);
    pids.assert_no_kernel_panic();
    // 20 processes: the probe and 19 children.
    pids.assert_line("forked 19, then EAGAIN (Try again)");
    pids.assert_line("nsinit: payload exited with status 0");
    pids.assert_powered_off();

    let oom = boot(&["nsinit.config=/etc/v2-oom.conf"]);
    oom.assert_line("nsinit: container killed by the OOM killer (memory.max=16777216)");
    oom.assert_line("nsinit: payload exited with status 137");
    oom.assert_powered_off();

    // Created straight into /box: the payload's first look at its cgroup.
    let place = boot(&["nsinit.config=/etc/v2-place.conf"]);
    place.assert_line("0::/box");
    place.assert_line("nsinit: payload exited with status 0");
    place.assert_powered_off();
}

#[test]
fn cgroup_v2_the_default_cgroup_nests_below_the_callers_so_its_limit_holds() {
    let nest = boot(&["nsinit.config=/etc/v2-nest.conf"]);
    nest.assert_no_kernel_panic();
    // The inner nsinit's report, then the outer's: the OOM kill was /outer's.
    nest.assert_line("nsinit: container killed by the OOM killer (memory.max=max)");
    nest.assert_line("nsinit: container killed by the OOM killer (memory.max=33554432)");
    nest.assert_line("nsinit: payload exited with status 137");
    assert!(!nest.has_line("hog done"), "{}: the hog escaped /outer's limit:\n{}", nest.what, nest.console);
    nest.assert_powered_off();

    // With its init beside it in /outer, nsinit refuses rather than put the
    // container out of /outer's limits.
    let crowded = boot(&["nsinit.config=/etc/v2-crowded.conf"]);
    crowded.assert_line(
        "nsinit: cgroup v2: nsinit's cgroup /sys/fs/cgroup/outer holds other processes, and a cgroup with processes \
         cannot give its children controllers: start nsinit in a cgroup of its own (systemd-run --scope), or give --cgroup /PATH",
    );
    crowded.assert_line("nsinit: payload exited with status 125");
    crowded.assert_powered_off();
}

#[test]
fn cgroup_v2_oci_limits_are_converted_and_the_device_program_denies_a_disk() {
    let oci = boot(&["nsinit.config=/etc/v2-oci.conf"]);
    oci.assert_no_kernel_panic();
    // memory.swap is memory and swap together: 96M - 64M of swap alone.
    // cpu.shares 512 is crun's and runc's weight 59 (10^((l^2+125l)/612 - 7/34), l = log2 512).
    for line in ["67108864", "33554432", "16777216", "59", "25000 50000", "1000", "0", "30", "52428800"] {
        oci.assert_line(line);
    }
    oci.assert_line("nsinit: payload exited with status 0");
    oci.assert_powered_off();

    // The default rules: mknod anything, open null and zero, not a disk nor /dev/mem.
    let devices = boot(&["nsinit.config=/etc/v2-devices.conf"]);
    devices.assert_no_kernel_panic();
    for line in ["b 7:0 mknod ok open EPERM", "c 1:3 mknod ok open ok", "c 1:5 mknod ok open ok", "c 1:1 mknod ok open EPERM"] {
        devices.assert_line(line);
    }
    devices.assert_line("nsinit: payload exited with status 0");
    devices.assert_powered_off();

    // A rule for the disk lets the open through to its driver (ENXIO
    // where the VM has no loop device, never EPERM).
    let allowed = boot(&["nsinit.config=/etc/v2-devices-allowed.conf"]);
    assert!(
        allowed.has_line("b 7:0 mknod ok open ok") || allowed.has_line("b 7:0 mknod ok open ENXIO"),
        "{}: the rule did not allow the disk:\n{}",
        allowed.what,
        allowed.console
    );
    allowed.assert_line("c 1:1 mknod ok open EPERM");
    allowed.assert_powered_off();

    let refused = boot(&["nsinit.config=/etc/v2-v1-only.conf"]);
    refused.assert_line("nsinit: cannot set memory swappiness with cgroup v2 (a cgroup v1 limit)");
    refused.assert_line("nsinit: payload failed to start (status 125)");
    refused.assert_powered_off();
}

#[test]
fn a_payload_that_never_started_is_reported_as_such() {
    let missing = boot(&["nsinit.config=/etc/missing.conf"]);
    missing.assert_no_kernel_panic();
    missing.assert_line("nsinit: execve /bin/missing: ENOENT (No such file or directory)");
    missing.assert_line("nsinit: payload failed to start (status 127)");
    assert!(!missing.console.contains("payload exited"), "{}: reported as an exit:\n{}", missing.what, missing.console);
    missing.assert_powered_off();

    let bad = boot(&["nsinit.config=/etc/bad.conf"]);
    bad.assert_line("nsinit: /etc/bad.conf:2: unknown option 'frob'");
    bad.assert_line("nsinit: payload failed to start (status 125)");
    assert!(!bad.console.contains("payload exited"), "{}: reported as an exit:\n{}", bad.what, bad.console);
    bad.assert_powered_off();
}

#[test]
fn limits_are_raised_and_the_oom_score_lowered_with_a_user_namespace() {
    let rlimit = boot(&["nsinit.config=/etc/userns-rlimit.conf"]);
    rlimit.assert_no_kernel_panic();
    rlimit.assert_words(&["Max", "open", "files", "8192", "8192", "files"]);
    rlimit.assert_line("nsinit: payload exited with status 0");
    rlimit.assert_powered_off();

    let oom = boot(&["nsinit.config=/etc/userns-oom.conf"]);
    oom.assert_line("-500");
    oom.assert_line("nsinit: payload exited with status 0");
    oom.assert_powered_off();
}
