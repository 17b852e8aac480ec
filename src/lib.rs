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
    not(all(
        feature = "init",
        feature = "cgroups",
        feature = "userns",
        feature = "security",
        feature = "bench",
        feature = "tty",
        feature = "compat",
        feature = "paths",
        feature = "chroot",
        feature = "users",
        feature = "oci"
    )),
    allow(dead_code, unused_imports)
)]

pub mod bench;
pub mod config;
pub mod container;
pub mod error;
pub mod init;
pub mod jobs;
#[cfg(feature = "oci")]
pub mod oci;
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

/// `nsinit --help`: src/help.txt. The same file is the source of the man page, nsinit(1)
/// (`tools/mkman.py`, `make install`), so the two never drift apart.
/// Packed by build.rs (4.3 KB instead of 8.5), unpacked by `help`.
#[cfg(feature = "help")]
const HELP_PACKED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/help.lz"));
#[cfg(feature = "help")]
const HELP_LEN: usize = include!(concat!(env!("OUT_DIR"), "/help.len"));

/// Writes the `--help` text: src/help.txt, unpacked (`text::unpack`).
// Apart: its text's room would sit in the frame of every start.
#[cfg(feature = "help")]
#[cold]
#[inline(never)]
fn help() {
    let mut text = [0u8; HELP_LEN];
    let n = text::unpack(HELP_PACKED, &mut text);
    sys::write_all(1, text.get(..n).unwrap_or_default());
}
/// The core build leaves the 6 KiB of text out (issue 13's 48 KiB budget)
/// and points at the man page, made from the same text.
#[cfg(not(feature = "help"))]
fn help() {
    sys::write_all(1, HELP.as_bytes());
}
#[cfg(not(feature = "help"))]
const HELP: &str = "usage: nsinit [OPTION]... [--] COMMAND [ARG]...\n\
                    This build has no help text: see nsinit(1).\n";

/// nsinit's `main`: runs and exits with the right code; never returns.
pub fn run(args: rt::Args) -> ! {
    if args.secure {
        // Installed setuid, setgid or with file capabilities, nsinit would
        // do for any caller what only root may: mount anything anywhere,
        // write any user namespace map.
        let e = Error::new(b"refusing to run with privileges the caller lacks (setuid, setgid or file capabilities): install nsinit without them");
        e.print(2);
        sys::exit_group(e.code);
    }
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
    let started = if asks_for_timings(args.argv) { Some(timings::now_ns()) } else { None };
    static CONTAINER: rt::StaticCell<Container<'static>> = rt::StaticCell::new(Container::new());
    let container = CONTAINER.take().ok_or_else(|| Error::new(b"container description taken"))?;
    let action = match config::parse(args.argv, &mut load_config, path_room()?, container)? {
        #[cfg(feature = "oci")]
        Action::Bundle { request, mode, payload } => {
            bundle(request, payload, container)?;
            Action::Run(mode)
        }
        #[cfg(feature = "oci")]
        Action::Spec { bundle, rootless } => return spec(bundle, rootless),
        #[cfg(feature = "oci")]
        Action::Lifecycle { global, command } => return Ok(oci::lifecycle::run(global, command, container, args.envp)),
        action => action,
    };
    // Without root, namespaces need a user namespace to own them: made for
    // the caller, mapped to 0, unless --share user says otherwise.
    if cfg!(feature = "userns") && container.namespaces != 0 && !container.user_ns_refused && sys::geteuid() != 0 {
        container.namespaces |= linux_raw_sys::general::CLONE_NEWUSER;
    }
    if cfg!(feature = "compat") && container.die_with_parent {
        container::die_with_caller()?;
    }
    match action {
        Action::Help => {
            help();
            Ok(0)
        }
        Action::Version => {
            sys::write_all(1, concat!("nsinit ", env!("CARGO_PKG_VERSION"), "\n").as_bytes());
            Ok(0)
        }
        Action::Run(Mode::Once { timings: true }) => {
            if let Some(now) = started {
                timings::start(now);
            }
            timings::step("parse");
            container::run(container, args.envp)
        }
        // Nothing to set up: this process is the init, as tini would be.
        Action::Run(Mode::Once { timings: false }) if cfg!(feature = "init") && container.init.enabled && container.is_trivial() => {
            let env = container::environment(args.envp, &container.process.env, container::EnvStorage::take_static()?)?;
            Ok(init::run(container.process.args.argv(), env, container.init, container.stop_timeout, container::ChildMemory::take()?))
        }
        Action::Run(Mode::Once { timings: false }) => container::run(container, args.envp),
        Action::Run(Mode::Bench { .. }) if container.process.terminal => Err(Error::new(b"bench: --tty does not go with bench")),
        Action::Run(Mode::Bench { runs, jobs }) if cfg!(feature = "bench") => bench::run(container, args.envp, runs, jobs),
        Action::Run(Mode::Bench { .. }) => Err(Error::new(b"bench: not in this build (cargo feature bench)")),
        // Handled above.
        #[cfg(feature = "oci")]
        Action::Bundle { .. } | Action::Spec { .. } | Action::Lifecycle { .. } => Ok(0),
        #[cfg(not(feature = "oci"))]
        Action::Unused(_, never) => match never {},
    }
}

/// `nsinit run` and `--bundle`: the container is the bundle's (`run` is
/// the next issue's `create`, then `start` and a wait: `container::run`).
#[cfg(feature = "oci")]
#[inline(never)]
fn bundle(
    request: config::BundleRequest<'static>,
    payload: Option<&'static [Option<ZStr<'static>>]>,
    container: &mut Container<'static>,
) -> Result<(), Error> {
    if let Some(id) = request.id {
        oci::check_id(b"run", id.bytes())?;
    }
    oci::load(&request, container)?;
    if let Some(words) = payload {
        container.process.args = config::Payload::Argv(words);
    }
    container.pid_file = request.pid_file;
    Ok(())
}


/// `nsinit spec`, apart: its buffers would sit in the frame of every start.
#[cfg(feature = "oci")]
#[cold]
#[inline(never)]
fn spec(bundle: Option<ZStr<'static>>, rootless: bool) -> Result<i32, Error> {
    oci::write_spec(bundle, rootless)
}

/// Whether `--timings` is among nsinit's own options (before any `--`).
fn asks_for_timings(argv: &[Option<ZStr<'_>>]) -> bool {
    argv.iter().flatten().map(|w| w.bytes()).take_while(|w| *w != b"--").any(|w| w == b"--timings")
}

/// The room the parser writes rewritten paths into: in `.bss`, so that its
/// pages cost memory only when a path needs rewriting.
pub(crate) fn path_room() -> Result<&'static mut [u8], Error> {
    static ROOM: rt::StaticCell<[u8; config::PATH_ROOM]> = rt::StaticCell::new([0; config::PATH_ROOM]);
    ROOM.take().map(|r| &mut r[..]).ok_or_else(|| Error::new(b"path room taken"))
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
    let fd = sys::open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0).map_err(|e| Error::sys_z("open", path, e))?;
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
    let size = match sys::fstat(fd) {
        Ok(st) if st.st_mode & S_IFMT == S_IFREG => st.st_size as u64,
        Ok(_) => return Err(not_regular(path, what)),
        Err(e) => return Err(Error::sys("fstat", path, e)),
    };
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
        // All the bytes fstat counted: the end, without the read that
        // would return 0 (a config.json on every nsinit run; the core
        // build, which reads only --config files, keeps its size). A file
        // that grew meanwhile read more and goes on.
        if cfg!(feature = "oci") && len as u64 == size {
            break;
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
