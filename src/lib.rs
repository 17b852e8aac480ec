//! nsinit: a container runtime in one small static binary with no libc.
//!
//! Layers, bottom up: `rt` (entry, memory functions, panic), `sys` (one
//! wrapper per system call; with `rt` the only `unsafe` code), `config`
//! (command line and config file to a `Container`, pure), `container`
//! (the setup steps), and `run` here, which ties them together.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
// A build without some features leaves what only they use unused.
#![cfg_attr(
    not(all(feature = "init", feature = "cgroups", feature = "userns", feature = "security", feature = "bench", feature = "users")),
    allow(dead_code, unused_imports)
)]

pub mod bench;
pub mod config;
pub mod container;
pub mod error;
pub mod init;
pub mod rt;
pub mod seccomp;
pub mod sys;
pub mod sysinit;
pub mod text;
pub mod timings;

use config::{Action, Container, Mode};
use error::Error;
use linux_raw_sys::general::{O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_RDONLY, S_IFMT, S_IFREG};
use sys::ZStr;
use timings::Timings;

const HELP: &str = concat!(
    "usage: nsinit [OPTION]... [--] COMMAND [ARG]...\n",
    "Start COMMAND in new Linux namespaces, in its own root filesystem.\n",
    "\n",
    "  --rootfs DIR         pivot_root into DIR; alone it gives the `runc spec` container:\n",
    "                       pid, net, ipc, uts and mnt namespaces, /proc, /dev (with pts,\n",
    "                       shm, mqueue), read-only /sys, the hostname nsinit, runc's\n",
    "                       capabilities, no_new_privs, a seccomp filter, masked and\n",
    "                       read-only /proc and /sys paths\n",
    "  --bare               turn every default off\n",
    "  --unshare LIST       create these namespaces: uts,pid,mnt,ipc,net,cgroup,time,all\n",
    "                       (all but user), and user; without root, a user namespace\n",
    "                       mapping you to 0 comes with any other\n",
    "  --share LIST         do not create these namespaces\n",
    "  --hostname NAME      set the hostname (uts namespace)\n",
    "  --domainname NAME    set the NIS domain name (uts namespace)\n",
    "  --proc DST           mount procfs on DST\n",
    "  --sysfs DST          mount sysfs, read-only, on DST\n",
    "  --tmpfs DST          mount a tmpfs on DST\n",
    "  --size BYTES         size of the next --tmpfs (K, M, G suffixes)\n",
    "  --mode OCTAL         permissions of the next --tmpfs\n",
    "  --bind SRC DST       bind-mount the host's SRC on DST\n",
    "  --ro-bind SRC DST    the same, read-only\n",
    "  --dev DST            a minimal /dev on DST: null zero full random urandom tty,\n",
    "                       a new devpts on DST/pts, a tmpfs on DST/shm, DST/mqueue\n",
    "  --mqueue DST         mount a POSIX message queue filesystem on DST\n",
    "  --setenv VAR VALUE   set VAR in the payload's environment\n",
    "  --unsetenv VAR       remove VAR from it\n",
    "  --clearenv           start it empty\n",
    "  --chdir DIR          working directory in the container\n",
    "  --uid-map IN:OUT:N   a line of the user namespace's uid map (as root; repeatable)\n",
    "  --gid-map IN:OUT:N   the same for gids\n",
    "  --user USER[:GROUP]  run COMMAND as this user inside, as docker run --user: names\n",
    "                       from the container's /etc/passwd and /etc/group\n",
    "  --groups GID,...     with these supplementary groups too\n",
    "  --overlay LOWER[:LOWER...]  the root is these read-only layers, first on top\n",
    "  --overlay-upper DIR|tmpfs   their writable layer (tmpfs: thrown away, default)\n",
    "  --read-only          the root is read-only\n",
    "  --config FILE        read options from FILE first: one a line, without the\n",
    "                       leading --, # comments, the payload after a line `--`\n",
    "  --init               stay as the container's PID 1 and run COMMAND as its child:\n",
    "                       forward signals, reap zombies, stop what is left at the end;\n",
    "                       with nothing to set up, nsinit itself is the init (like tini)\n",
    "  --init-pgroup        --init, signalling COMMAND's process group, which gets the tty\n",
    "  --stop-timeout SECS  with --init: SIGTERM to what is left, SIGKILL SECS later (1)\n",
    "  --on-exit ACTION     as the system's init: poweroff (default), reboot or halt\n",
    "  --cgroup PATH        the container's cgroup: /PATH under each hierarchy's root,\n",
    "                       PATH under nsinit's own (v2: its parent's); default with\n",
    "                       limits: nsinit-<pid of nsinit> under nsinit's own\n",
    "  --pids-max N         at most N processes (or max)\n",
    "  --memory-max BYTES   memory limit, K, M, G suffixes (or max); 137 when it kills\n",
    "  --memory-swap-max BYTES  swap limit (or max)\n",
    "  --cpu-max QUOTA[/PERIOD] CPU time per period, microseconds (QUOTA may be max)\n",
    "  --cpus N             the same as a number of CPUs, such as 0.5\n",
    "  --cpu-weight N       relative CPU share, 1 to 10000\n",
    "  --cpuset CPUS        the CPUs it may run on, such as 0-1,3\n",
    "  --rlimit NAME=SOFT[:HARD]  a resource limit: nofile, nproc, core, stack, as...\n",
    "  --oom-score-adj N    the payload's OOM score adjustment, -1000 to 1000\n",
    "  --cap-add CAP        keep this capability too (NET_ADMIN or CAP_NET_ADMIN; ALL)\n",
    "  --cap-drop CAP       drop it (ALL: every one); the last word on a capability wins\n",
    "  --allow-new-privs    let setuid binaries and file capabilities raise privileges\n",
    "  --seccomp FILE|off|default  the filter: a profile of lines `default allow|deny|kill`,\n",
    "                       `allow NAME`, `deny NAME [ERRNO]`, `kill NAME`; off for none\n",
    "  --mask PATH          hide PATH in the container (an empty read-only file or dir)\n",
    "  --ro-path PATH       make PATH read-only in the container\n",
    "  --pass-fd N          let the payload inherit descriptor N (else only 0, 1, 2)\n",
    "  --timings            print how long each start step took, in microseconds\n",
    "  --help, --version\n",
    "\n",
    "nsinit bench [-n N] [-j J] [OPTION]... [--] COMMAND [ARG]...\n",
    "  start the container N times (200), J at a time (1), after a few uncounted\n",
    "  warm-up starts, and print the distribution of the start-to-exit time\n",
    "\n",
    "Mounts are made in the order given, destinations inside the container.\n",
    "Signals nsinit gets (but SIGCHLD) go on to the container's PID 1.\n",
    "Started by the kernel as PID 1 with no arguments, nsinit starts the container\n",
    "in /etc/nsinit.conf (or nsinit.config=PATH on the kernel command line).\n",
    "Exit status: the payload's, or 128+N when signal N killed it; 125 when\n",
    "nsinit fails, 126 when COMMAND cannot be executed, 127 when it is not found.\n",
);

/// nsinit's `main`: runs and exits with the right code; never returns.
pub fn run(args: rt::Args) -> ! {
    if cfg!(feature = "init") && sysinit::is_system_init(&args) {
        sysinit::run(args);
    }
    let code = match start(args) {
        Ok(code) => code,
        Err(e) => {
            e.print(2);
            e.code
        }
    };
    sys::exit_group(code)
}

fn start(args: rt::Args) -> Result<i32, Error> {
    // The clock is read before parsing only when --timings may be asked for;
    // the parser has the last word on whether it was.
    let mut timings = if asks_for_timings(args.argv) { Timings::started() } else { Timings::off() };
    static CONTAINER: rt::StaticCell<Container<'static>> = rt::StaticCell::new(Container::new());
    let container = CONTAINER.take().ok_or_else(|| Error::new(b"container description taken"))?;
    let action = config::parse(args.argv, &mut load_config, container)?;
    // Without root, namespaces need a user namespace to own them: made for
    // the caller, mapped to 0, unless --share user says otherwise.
    if cfg!(feature = "userns") && container.namespaces != 0 && !container.user_ns_refused && sys::geteuid() != 0 {
        container.namespaces |= linux_raw_sys::general::CLONE_NEWUSER;
    }
    match action {
        Action::Help => {
            sys::write_all(1, HELP.as_bytes());
            Ok(0)
        }
        Action::Version => {
            sys::write_all(1, concat!("nsinit ", env!("CARGO_PKG_VERSION"), "\n").as_bytes());
            Ok(0)
        }
        Action::Run(Mode::Once { timings: true }) => {
            timings.step("parse", b"");
            container::run(container, args.envp, &mut timings)
        }
        // Nothing to set up: this process is the init, as tini would be.
        Action::Run(Mode::Once { timings: false }) if cfg!(feature = "init") && container.init.enabled && container.is_trivial() => {
            let env = container::environment(args.envp, &container.process.env, container::EnvStorage::take_static()?)?;
            Ok(init::run(container.process.args.argv(), env, container.init, container::ChildMemory::take()?))
        }
        Action::Run(Mode::Once { timings: false }) => container::run(container, args.envp, &mut Timings::off()),
        Action::Run(Mode::Bench { runs, jobs }) if cfg!(feature = "bench") => bench::run(container, args.envp, runs, jobs),
        Action::Run(Mode::Bench { .. }) => Err(Error::new(b"bench: not in this build (cargo feature bench)")),
    }
}

/// Whether `--timings` is among nsinit's own options (before any `--`).
fn asks_for_timings(argv: &[Option<ZStr<'_>>]) -> bool {
    argv.iter().flatten().map(|w| w.bytes()).take_while(|w| *w != b"--").any(|w| w == b"--timings")
}

/// Capacity of the buffer a `--config` file is read into.
const CONFIG_FILE_MAX: usize = 64 * 1024;

/// Reads a config file whole into a static buffer, ending it with a newline.
pub(crate) fn load_config(path: ZStr<'static>) -> Result<&'static mut [u8], Error> {
    // One byte more than a file may have: room for a final newline, and a
    // full buffer means the file was too large.
    static BUFFER: rt::StaticCell<[u8; CONFIG_FILE_MAX + 1]> = rt::StaticCell::new([0; CONFIG_FILE_MAX + 1]);
    let buf = BUFFER.take().ok_or_else(|| Error::new(b"--config: given twice"))?;
    read_file(path, buf, b"config file")
}

/// Reads the file at `path` (a `what`) whole into `buf`, which must be one
/// byte larger than the largest file taken, ending it with a newline.
/// Only a regular file is read: a FIFO or a device could block forever or
/// never end. A NUL byte is an error naming its line, since the text is
/// used as NUL-terminated words that it would silently cut.
pub(crate) fn read_file<'b>(path: ZStr<'_>, buf: &'b mut [u8], what: &[u8]) -> Result<&'b mut [u8], Error> {
    // Looked at before it is opened: opening a device can do things (a
    // terminal, a watchdog, a tape). Looked at again once open, in case it
    // was swapped in between; O_NONBLOCK so that a FIFO swapped in does not
    // wait for a writer, O_NOCTTY so that a terminal never becomes ours.
    if sys::stat_mode(path).is_ok_and(|mode| mode & S_IFMT != S_IFREG) {
        return Err(not_regular(path.bytes(), what));
    }
    let fd = sys::open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0).map_err(|e| Error::sys("open", path.bytes(), e))?;
    let read = read_open_file(fd, path.bytes(), buf, what);
    let _ = sys::close(fd);
    read
}

/// `nsinit: PATH: not a regular file (WHAT)`.
pub(crate) fn not_regular(path: &[u8], what: &[u8]) -> Error {
    Error::new(path).push(b": not a regular file (").push(what).push(b")")
}

/// `read_file` for a file already open as `fd` (opened non-blocking):
/// read only if it is a regular file; `path` names it in errors.
pub(crate) fn read_open_file<'b>(fd: sys::Fd, path: &[u8], buf: &'b mut [u8], what: &[u8]) -> Result<&'b mut [u8], Error> {
    match sys::fstat(fd).map(|st| st.st_mode & S_IFMT) {
        Ok(S_IFREG) => {}
        Ok(_) => return Err(not_regular(path, what)),
        Err(e) => return Err(Error::sys("fstat", path, e)),
    }
    let mut len = 0;
    loop {
        match sys::read(fd, &mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(sys::Errno::EINTR) => {}
            Err(e) => return Err(Error::sys("read", path, e)),
        }
        if len == buf.len() {
            let max = (buf.len() - 1) as u64 / 1024;
            return Err(Error::new(path).push(b": ").push(what).push(b" too large (at most ").push_u64(max).push(b" KiB)"));
        }
    }
    if let Some(at) = buf[..len].iter().position(|&c| c == 0) {
        let line = buf[..at].iter().filter(|&&c| c == b'\n').count() as u64 + 1;
        return Err(Error::new(path).push(b":").push_u64(line).push(b": a NUL byte in the ").push(what));
    }
    if len > 0 && buf[len - 1] != b'\n' {
        buf[len] = b'\n';
        len += 1;
    }
    Ok(&mut buf[..len])
}
