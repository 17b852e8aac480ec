//! runc's lifecycle (issue 14): `create`, `start`, `state`, `kill` and
//! `delete`, as engines (podman's conmon, containerd's shim) drive a
//! runtime. `create` sets the container up through the same
//! `container::create` as `run`, and leaves its process waiting for
//! `start`; the other commands find it again by its state.
//!
//! The state of a container is a directory `ROOT/ID` (runc's `--root`,
//! default `/run/nsinit`), locked with `flock` by every command for the
//! time it runs (exclusively but for `state`), holding:
//! - `config.json`, the bundle's, copied at `create`: later commands read
//!   their hooks and annotations there, whatever becomes of the bundle;
//! - `nohooks`, empty, when the config has no `poststart` or `poststop`
//!   hook: `start` and `delete` then do not read `config.json`;
//! - `cgroups`, each cgroup directory as `create` makes it, a line each
//!   (`-PATH` takes one back): what `delete --force` removes when `create`
//!   was killed before `state` named them;
//! - `exec.fifo` while the container is created and not started: its
//!   process waits to read a byte from it (`container::StartLink`);
//! - `state`, written whole and renamed into place once the process is
//!   set up: its PID and start time (so that a reused PID is not taken for
//!   it), when it was created, by whom, the bundle, the root and the
//!   cgroup's directories (`Cgroup::record`), as NUL-ended fields.
//!
//! A directory without `state` is a `create` that failed or was killed
//! before the end: `delete --force` removes it.

use super::{BundleRequest, CONFIG_MAX};
use crate::config::runc::{ExecRequest, Global, Lifecycle, exec_options, update_options};
use crate::config::{Container, EnvOp, HookPoint, PATH_MAX, Payload};
use crate::container::cgroup::Cgroup;
use crate::container::state::{self, RuncFields, Status};
use crate::container::{self, hooks};
use crate::error::Error;
use crate::sys::{self, Errno, Fd, ZStr};
use crate::text::ZBuf;
use linux_raw_sys::general::{
    AT_FDCWD, LOCK_EX, LOCK_SH, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_TRUNC, O_WRONLY, POLLIN, S_IFIFO,
    S_IFMT, S_IFREG, SIGKILL, timespec,
};

/// What every lifecycle command exits with when it fails, as runc's.
pub const EXIT_LIFECYCLE: i32 = 1;
/// What `exec` exits with when it fails itself, as runc's: its process's
/// status is passed on, and 1 could be one.
pub const EXIT_EXEC: i32 = 255;

type Path = ZBuf<PATH_MAX>;
/// Bytes that may hold NULs (a `ZBuf` ends at its first).
type Bytes<const N: usize> = heapless::Vec<u8, N>;

/// The state file's first field: its format.
const STATE_FORMAT: &[u8] = b"nsinit-state-1";
/// The state's empty file that says the container has no `poststart` or
/// `poststop` hook: then `start` and `delete` do not read its config.json
/// (12 page faults and 0.06 to 0.1 ms of a `start`, measured with `perf
/// stat`). Made by `create`; a state without it (an older nsinit's) has its
/// config read as before.
const NO_HOOKS: &[u8] = b"nohooks";

/// Largest state file: the fields, two paths and the cgroup's directories
/// (one a v1 hierarchy: `cgroup::RECORD_MAX`).
const STATE_MAX: usize = 4 * PATH_MAX + crate::container::cgroup::RECORD_MAX;

/// Runs a lifecycle command; returns nsinit's exit code. A failure is
/// printed on the standard error and, with `--log`, appended to the log
/// (`--log-format json`: `{"level":"error","msg":...,"time":...}`).
///
/// Each command is a function of its own, never inlined: the stack probes
/// touch every page of a frame on entry, and one frame holding every
/// command's buffers cost each call some 35 page faults (about 0.15 ms).
#[cold]
#[inline(never)]
pub fn run(global: Global<'static>, command: Lifecycle<'static>, c: &mut Container<'static>, envp: &'static [Option<ZStr<'static>>]) -> i32 {
    // runc makes the log at once, whatever the command then does.
    let log = global.log.and_then(|log| sys::open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640).ok());
    if let (true, Some(fd)) = (global.debug, log) {
        let mut line = [0u8; 512];
        let words = command_words(&command);
        let n = log_line(&mut line, global.log_json, b"debug", &words);
        sys::write_all(fd, &line[..n]);
    }
    let done = match command {
        // Its own failures as runc's: 255, apart from the process's statuses.
        Lifecycle::Exec(request) => exec(&global, request, c).map_err(|e| e.with_code(EXIT_EXEC)),
        command => lifecycle(&global, command, c, envp).map(|()| 0).map_err(|e| e.with_code(EXIT_LIFECYCLE)),
    };
    match done {
        Ok(code) => code,
        Err(e) => {
            e.print(2);
            if let Some(fd) = log {
                let mut line = [0u8; 2048];
                let n = e.message(|m| log_line(&mut line, global.log_json, b"error", &[m])).unwrap_or(0);
                sys::write_all(fd, &line[..n]);
            }
            e.code
        }
    }
}

/// The commands that print or change a state and exit 0 once done.
fn lifecycle(global: &Global<'static>, command: Lifecycle<'static>, c: &mut Container<'static>, envp: &'static [Option<ZStr<'static>>]) -> Result<(), Error> {
    let global = *global;
    match command {
        Lifecycle::Invalid | Lifecycle::Exec(_) => Err(Error { code: EXIT_LIFECYCLE }),
        Lifecycle::Create { request, console_socket, preserve_fds, start: false } => create(&global, request, (console_socket, preserve_fds), c, envp),
        // `run --detach`: once it is created, `start`, or nothing is left.
        Lifecycle::Create { request, console_socket, preserve_fds, start: true } => {
            create(&global, request, (console_socket, preserve_fds), c, envp)?;
            let id = request.id.ok_or_else(|| Error::new(b"run: no container ID given"))?;
            start(&global, id, (c, true), envp).inspect_err(|_| {
                let _ = delete(&global, id, true, (c, true), envp);
            })
        }
        Lifecycle::Start(id) => start(&global, id, (c, false), envp),
        Lifecycle::State(id) => show_state(&global, id, c, envp),
        Lifecycle::Kill { id, signal, all } => kill(&global, id, signal, all, envp),
        Lifecycle::Delete { id, force } => delete(&global, id, force, (c, false), envp),
        Lifecycle::List { quiet, json } => list(&global, quiet, json, envp),
        Lifecycle::Ps { id, json } => ps(&global, id, json, envp),
        Lifecycle::Pause(id) => pause(&global, id, true, envp),
        Lifecycle::Resume(id) => pause(&global, id, false, envp),
        Lifecycle::Features => super::features::write(1).map_err(|e| Error::of("write features", e)),
        Lifecycle::Update { id, options } => update(&global, id, options, c, envp),
        Lifecycle::Events { id, stats, interval_ms } => events(&global, id, stats, interval_ms, envp),
    }
}

/// The command's name and its ID, for `--debug`'s line.
fn command_words<'a>(command: &Lifecycle<'a>) -> [&'a [u8]; 2] {
    match *command {
        Lifecycle::Create { request, start: true, .. } => [b"run ", request.id.map_or(&b""[..], |id| id.bytes())],
        Lifecycle::Create { request, .. } => [b"create ", request.id.map_or(&b""[..], |id| id.bytes())],
        Lifecycle::Start(id) => [b"start ", id.bytes()],
        Lifecycle::State(id) => [b"state ", id.bytes()],
        Lifecycle::Kill { id, .. } => [b"kill ", id.bytes()],
        Lifecycle::Delete { id, .. } => [b"delete ", id.bytes()],
        Lifecycle::Ps { id, .. } => [b"ps ", id.bytes()],
        Lifecycle::Pause(id) => [b"pause ", id.bytes()],
        Lifecycle::Resume(id) => [b"resume ", id.bytes()],
        Lifecycle::List { .. } => [b"list", b""],
        Lifecycle::Features => [b"features", b""],
        Lifecycle::Exec(r) => [b"exec ", r.id.bytes()],
        Lifecycle::Update { id, .. } => [b"update ", id.bytes()],
        Lifecycle::Events { id, .. } => [b"events ", id.bytes()],
        Lifecycle::Invalid => [b"", b""],
    }
}

/// One line of the `--log`: `nsinit: MESSAGE` (`text`), or a JSON object
/// as runc's logrus writes it: `{"level":L,"msg":M,"time":RFC3339}`. Its length.
fn log_line(line: &mut [u8], json: bool, level: &[u8], msg: &[&[u8]]) -> usize {
    let mut out = Out { buf: line, len: 0 };
    if json {
        out.raw(b"{\"level\":\"");
        out.raw(level);
        out.raw(b"\",\"msg\":\"");
        let start = out.len;
        for part in msg {
            out.escaped(part);
        }
        let end = out.len.min(out.buf.len());
        errno_text_as_go(&mut out.buf[start..end]);
        out.raw(b"\",\"time\":\"");
        let mut time = [0u8; 40];
        let n = rfc3339(sys::clock_realtime(), &mut time);
        out.raw(&time[..n]);
        out.raw(b"\"}");
    } else {
        out.raw(b"nsinit: ");
        for part in msg {
            out.raw(part);
        }
    }
    // The newline whatever was cut.
    let end = out.len.min(out.buf.len() - 1);
    out.buf[end] = b'\n';
    end + 1
}

/// Lowercases the text of each errno in `msg` (`ENOENT (No such file or
/// directory)` -> `ENOENT (no such file or directory)`): engines written in
/// Go read the runtime's JSON log for its last error and match Go's errno
/// texts, which are lowercase; Docker's client, for one, exits 127 for
/// "no such file or directory" and 126 for "permission denied" only when
/// spelt so, and 125 otherwise.
fn errno_text_as_go(msg: &mut [u8]) {
    let mut i = 0;
    while i < msg.len() {
        // An errno's name: `E`, then capitals and digits, after a space or at the start.
        let named = msg[i] == b'E' && (i == 0 || msg[i - 1] == b' ');
        let mut j = i + 1;
        while named && j < msg.len() && (msg[j].is_ascii_uppercase() || msg[j].is_ascii_digit()) {
            j += 1;
        }
        if named && j > i + 1 && msg[j..].starts_with(b" (") {
            j += 2;
            while j < msg.len() && msg[j] != b')' {
                msg[j].make_ascii_lowercase();
                j += 1;
            }
        }
        i = j;
    }
}

/// A line being put together; what does not fit is left out (a message
/// is at most `text::LINE_MAX` bytes, escaped up to 6 times that).
struct Out<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl Out<'_> {
    fn raw(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
    }

    /// `bytes` in a JSON string (`state::json_escape`).
    fn escaped(&mut self, bytes: &[u8]) {
        state::json_escape(bytes, &mut |piece| self.raw(piece));
    }
}

/// `ts` as RFC 3339 in UTC with nanoseconds (`2026-12-01T03:04:05.123456789Z`,
/// Go's `time.RFC3339Nano` without its trailing zeros cut); its length.
pub fn rfc3339(ts: timespec, out: &mut [u8; 40]) -> usize {
    let secs = ts.tv_sec.max(0) as u64;
    let (days, day) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date, by 400-year eras that start
    // on 0000-03-01 (the proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    let mut s = ZBuf::<40>::new();
    let mut put = |n: u64, width: usize, after: &[u8]| {
        let mut digits = [b'0'; 20];
        let mut v = n;
        for slot in digits[..width].iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        let _ = s.push(&digits[..width]).and_then(|s| s.push(after));
    };
    put(y, 4, b"-");
    put(m, 2, b"-");
    put(d, 2, b"T");
    put(day / 3600, 2, b":");
    put(day % 3600 / 60, 2, b":");
    put(day % 60, 2, b".");
    put(ts.tv_nsec.clamp(0, 999_999_999) as u64, 9, b"Z");
    out[..s.len()].copy_from_slice(s.bytes());
    s.len()
}

/// Where the states are: `--root`, else `/run/nsinit` for root, else
/// `$XDG_RUNTIME_DIR/nsinit`, as runc's default is `/run/runc`. Root of a
/// user namespace other than the host's (rootless podman runs its runtime
/// so) takes `$XDG_RUNTIME_DIR` too unless `$USER` is `root`, as runc's
/// `shouldHonorXDGRuntimeDir`: it cannot write the host's /run.
fn state_root(global: &Global<'_>, envp: &[Option<ZStr<'_>>]) -> Result<Path, Error> {
    let too_long = |_| Error::new(b"--root: path too long");
    if let Some(root) = global.root {
        return Path::from_parts(&[root.bytes()]).map_err(too_long);
    }
    let var = |name: &[u8]| envp.iter().flatten().find_map(|v| v.bytes().strip_prefix(name));
    let runtime = var(b"XDG_RUNTIME_DIR=").filter(|d| !d.is_empty());
    if sys::geteuid() == 0 && (runtime.is_none() || var(b"USER=") == Some(b"root") || !super::in_user_namespace()) {
        return Path::from_parts(&[b"/run/nsinit"]).map_err(too_long);
    }
    let dir = runtime.ok_or_else(|| Error::new(b"no --root given, and without root the default needs $XDG_RUNTIME_DIR"))?;
    Path::from_parts(&[dir, b"/nsinit"]).map_err(too_long)
}

/// `ROOT/ID` and, in it, `name`.
fn in_state(dir: &Path, name: &[u8]) -> Result<Path, Error> {
    Path::from_parts(&[dir.bytes(), b"/", name]).map_err(|_| Error::new(b"--root: path too long"))
}

/// A container's state directory, open and locked while the command runs.
struct StateDir {
    path: Path,
    fd: Fd,
}

impl StateDir {
    /// Opens `ROOT/ID` and takes its lock (`LOCK_EX` or `LOCK_SH`).
    fn open(global: &Global<'_>, id: ZStr<'_>, lock: u32, envp: &[Option<ZStr<'_>>]) -> Result<StateDir, Error> {
        let mut path = Path::from_parts(&[state_root(global, envp)?.bytes(), b"/", id.bytes()]).map_err(|_| Error::new(b"--root: path too long"))?;
        let fd = match sys::open(path.zstr(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW, 0) {
            Ok(fd) => fd,
            Err(e) if e == Errno::ENOENT => return Err(does_not_exist(id)),
            Err(e) => return Err(Error::sys("open", path.bytes(), e)),
        };
        if let Err(e) = sys::flock(fd, lock) {
            let _ = sys::close(fd);
            return Err(Error::sys("flock", path.bytes(), e));
        }
        Ok(StateDir { path, fd })
    }

    fn file(&self, name: &[u8]) -> Result<Path, Error> {
        in_state(&self.path, name)
    }

    /// Whether the file `name` is there.
    fn has(&self, name: &[u8]) -> bool {
        self.file(name).is_ok_and(|mut file| sys::stat_mode(file.zstr()).is_ok())
    }

    /// Removes every file of the state and the directory.
    fn remove(mut self) {
        for name in [&b"state.new"[..], b"state", b"exec.fifo", b"config.json", b"cgroups", NO_HOOKS] {
            if let Ok(mut file) = self.file(name) {
                let _ = sys::unlink(file.zstr());
            }
        }
        let _ = sys::rmdir(self.path.zstr());
        let _ = sys::close(self.fd);
    }
}

/// `container ID does not exist`: the words podman looks for in runc's
/// error to know a container is gone.
fn does_not_exist(id: ZStr<'_>) -> Error {
    Error::new(b"container ").push(id.bytes()).push(b" does not exist")
}

/// Makes `dir` and its missing parents, mode 0700 (the states hold the
/// containers' configs).
fn make_dirs(dir: &Path) -> Result<(), Error> {
    let bytes = dir.bytes();
    for end in (1..=bytes.len()).filter(|&i| i == bytes.len() || bytes[i] == b'/') {
        let Ok(mut part) = Path::from_parts(&[&bytes[..end]]) else { continue };
        match sys::mkdirat(AT_FDCWD, part.zstr(), 0o700) {
            Ok(()) => {}
            Err(e) if e == Errno::EEXIST => {}
            Err(e) => return Err(Error::sys("mkdir", part.bytes(), e).push(b" (--root)")),
        }
    }
    Ok(())
}

/// What `state` records of a created container.
struct Record<'t> {
    pid: i32,
    /// Its start time, in clock ticks after boot (`/proc/PID/stat`'s 22nd field).
    started: u64,
    /// When it was created, in seconds and nanoseconds since 1970.
    created: (u64, u64),
    owner: u32,
    bundle: &'t [u8],
    rootfs: &'t [u8],
    /// `Cgroup::record`'s text; empty without a cgroup.
    cgroup: &'t [u8],
}

impl<'t> Record<'t> {
    fn read(dir: &StateDir, buf: &'t mut [u8; STATE_MAX]) -> Result<Option<Record<'t>>, Error> {
        let mut file = dir.file(b"state")?;
        let text = match read_whole(file.zstr(), buf) {
            Ok(text) => text,
            // A create that did not finish.
            Err(Errno::ENOENT) => return Ok(None),
            Err(e) => return Err(Error::sys("read", file.bytes(), e)),
        };
        let bad = || Error::new(b"container state ").push(file.bytes()).push(b": not one this nsinit wrote; delete --force removes it");
        // Every field ends with a NUL, the last one too: a file cut short
        // is not read as a shorter one.
        let Some(text) = text.strip_suffix(b"\0") else { return Err(bad()) };
        let mut fields = text.splitn(9, |&b| b == 0);
        let mut next = || fields.next().ok_or_else(bad);
        if next()? != STATE_FORMAT {
            return Err(bad());
        }
        let mut number = || next().and_then(|f| crate::config::parse_number(f).ok_or_else(bad));
        let pid = number()? as i32;
        let started = number()?;
        let created = (number()?, number()?);
        let owner = number()? as u32;
        Ok(Some(Record { pid, started, created, owner, bundle: next()?, rootfs: next()?, cgroup: next().unwrap_or_default() }))
    }

    /// Writes it to `state.new` and renames it to `state`. Not synced, as
    /// runc's state.json is not: the record describes processes a crash of
    /// the machine ends, the state root is a tmpfs as a rule (where a sync
    /// does nothing), and on a disk a sync cost 1 to 15 ms of every
    /// `create`. A record a crash cut short reads as "not one this nsinit
    /// wrote", which `delete --force` removes.
    fn write(&self, dir: &Path, text: &mut Bytes<STATE_MAX>) -> Result<(), Error> {
        text.clear();
        let mut numbers = [ZBuf::<24>::new(), ZBuf::new(), ZBuf::new(), ZBuf::new(), ZBuf::new()];
        for (digits, n) in numbers.iter_mut().zip([self.pid as u64, self.started, self.created.0, self.created.1, u64::from(self.owner)]) {
            let _ = digits.push_num(n, 10);
        }
        let [a, b, c, d, e] = &numbers;
        // The rootfs as runc records it: absolute, a relative one in the bundle.
        let (under, slash) = if self.rootfs.starts_with(b"/") { (&b""[..], &b""[..]) } else { (self.bundle, &b"/"[..]) };
        let fields = [STATE_FORMAT, a.bytes(), b.bytes(), c.bytes(), d.bytes(), e.bytes(), self.bundle, under, slash, self.rootfs];
        for (i, field) in fields.into_iter().enumerate() {
            let fits = text.extend_from_slice(field).is_ok() && (matches!(i, 7 | 8) || text.push(0).is_ok());
            if !fits {
                return Err(Error::new(b"container state: too large"));
            }
        }
        text.extend_from_slice(self.cgroup).map_err(|_| Error::new(b"container state: too large"))?;
        let mut new = in_state(dir, b"state.new")?;
        let fd = sys::open(new.zstr(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600).map_err(|e| Error::sys("open", new.bytes(), e))?;
        let written = sys::write(fd, text);
        let _ = sys::close(fd);
        match written {
            Ok(n) if n == text.len() => {}
            Ok(_) => return Err(Error::sys("write", new.bytes(), Errno::EIO)),
            Err(e) => return Err(Error::sys("write", new.bytes(), e)),
        }
        let mut state = in_state(dir, b"state")?;
        sys::rename(new.zstr(), state.zstr()).map_err(|e| Error::sys("rename", state.bytes(), e))
    }

    /// The container's process, when it is still the one recorded and has
    /// not ended: a pidfd on it.
    fn process(&self) -> Option<Fd> {
        let pidfd = sys::pidfd_open(self.pid).ok()?;
        // Looked at once the pidfd holds it: the PID cannot be reused now.
        match process_start(self.pid) {
            Some(started) if started == self.started => Some(pidfd),
            _ => {
                let _ = sys::close(pidfd);
                None
            }
        }
    }
}

/// Runs `f` on the buffer a state record is read into: in .bss, as on the
/// stack its 31 KiB cost each `start`, `state` and `delete` some 8 page
/// faults (the stack probes touch every page of a frame). One command
/// reads one record at a time; `f` inside another `f` is refused.
fn with_state_text<R>(f: impl FnOnce(&mut [u8; STATE_MAX]) -> Result<R, Error>) -> Result<R, Error> {
    static TEXT: crate::rt::Global<[u8; STATE_MAX]> = crate::rt::Global::new([0; STATE_MAX]);
    TEXT.with(f).unwrap_or_else(|| Err(Error::new(b"container state: read twice at once")))
}

/// The whole of a file nsinit wrote, NULs and all; `EFBIG` when it does
/// not fit in `buf`.
fn read_whole<'b>(path: ZStr<'_>, buf: &'b mut [u8]) -> Result<&'b [u8], Errno> {
    let fd = sys::open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0)?;
    let mut len = 0;
    let read = loop {
        match sys::read(fd, &mut buf[len..]) {
            Ok(0) => break Ok(()),
            Ok(n) => len += n,
            Err(Errno::EINTR) => {}
            Err(e) => break Err(e),
        }
        if len == buf.len() {
            break Err(Errno::EFBIG);
        }
    };
    let _ = sys::close(fd);
    read.map(|()| &buf[..len])
}

/// The start time of the process `pid` (`/proc/PID/stat`, field 22, clock
/// ticks after boot); `None` when there is none or it has ended (a zombie).
fn process_start(pid: i32) -> Option<u64> {
    let mut path = ZBuf::<32>::new();
    path.push(b"/proc/").ok()?.push_num(pid as u64, 10).ok()?.push(b"/stat").ok()?;
    let mut buf = [0u8; 1024];
    let fd = sys::open(path.zstr(), O_RDONLY | O_CLOEXEC, 0).ok()?;
    let n = sys::read(fd, &mut buf);
    let _ = sys::close(fd);
    let text = buf.get(..n.ok()?)?;
    // The command name may hold spaces and parentheses: the fields start
    // after the last `)`.
    let after = &text[text.iter().rposition(|&b| b == b')')? + 2..];
    let mut fields = after.split(|&b| b == b' ');
    let state = fields.next()?;
    if matches!(state, b"Z" | b"X" | b"x") {
        return None;
    }
    fields.nth(18).and_then(crate::config::parse_number)
}

/// `create [--bundle DIR] [--pid-file FILE] ID`.
#[inline(never)]
fn create(
    global: &Global<'static>,
    request: BundleRequest<'static>,
    console_socket: (Option<ZStr<'static>>, u32),
    c: &mut Container<'static>,
    envp: &'static [Option<ZStr<'static>>],
) -> Result<(), Error> {
    let id = request.id.ok_or_else(|| Error::new(b"create: no container ID given"))?;
    let root = state_root(global, envp)?;
    make_dirs(&root)?;
    let mut path = Path::from_parts(&[root.bytes(), b"/", id.bytes()]).map_err(|_| Error::new(b"--root: path too long"))?;
    match sys::mkdirat(AT_FDCWD, path.zstr(), 0o700) {
        Ok(()) => {}
        Err(e) if e == Errno::EEXIST => return Err(Error::new(b"container ").push(id.bytes()).push(b" already exists")),
        Err(e) => return Err(Error::sys("mkdir", path.bytes(), e)),
    }
    let dir = match StateDir::open(global, id, LOCK_EX, envp) {
        Ok(dir) => dir,
        Err(e) => {
            let _ = sys::rmdir(path.zstr());
            return Err(e);
        }
    };
    match create_in(&dir, request, console_socket, c, envp) {
        Ok(commit) => {
            // The state is on disk: the process may wait for `start`.
            let _ = sys::write(commit, b"1");
            let _ = sys::close(commit);
            let _ = sys::close(dir.fd);
            Ok(())
        }
        Err(e) => {
            dir.remove();
            Err(e)
        }
    }
}

/// `create` in its locked state directory; returns the commit pipe.
fn create_in(
    dir: &StateDir,
    request: BundleRequest<'static>,
    (console_socket, preserve_fds): (Option<ZStr<'static>>, u32),
    c: &mut Container<'static>,
    envp: &'static [Option<ZStr<'static>>],
) -> Result<Fd, Error> {
    let mut copy = dir.file(b"config.json")?;
    copy_config(request.bundle, &mut copy)?;
    super::load_from(&request, Some(copy.zstr()), true, c)?;
    if !hooks::any_after_creating(c) {
        let mut marker = dir.file(NO_HOOKS)?;
        let made = sys::open(marker.zstr(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600);
        let _ = sys::close(made.map_err(|e| Error::sys("open", marker.bytes(), e))?);
    }
    // Without a cgroupsPath, the container's cgroup is named after it,
    // beside nsinit's own (runc: `/ID`, below its own on v1): a name no
    // later nsinit takes for a stale one of its own.
    if c.cgroup.is_none() && c.wants_cgroup() {
        c.cgroup = request.id;
    }
    c.resources.freezer = true;
    pass_fds(c, preserve_fds, envp)?;
    let mut fifo = dir.file(b"exec.fifo")?;
    sys::mknodat(AT_FDCWD, fifo.zstr(), S_IFIFO | 0o600, 0).map_err(|e| Error::sys("mknod", fifo.bytes(), e))?;
    // Each cgroup directory is on record the moment it is made, one a
    // line, and the whole cgroup once made: a `create` killed half way
    // leaves what `delete --force` finds them by.
    let mut journal_path = dir.file(b"cgroups")?;
    let journal_fd = sys::open(journal_path.zstr(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        .map_err(|e| Error::sys("open", journal_path.bytes(), e))?;
    let bundle = c.identity.bundle.map_or(&b""[..], |b| b.bytes());
    let rootfs = c.root.map_or(&b""[..], |r| r.bytes());
    let mut early = |cg: Option<&Cgroup>| record_state(&dir.path, (0, 0), bundle, rootfs, cg);
    let console = console_for(b"create", c.process.terminal, true, console_socket).inspect_err(|_| {
        let _ = sys::close(journal_fd);
    })?;
    let reader = sys::open(fifo.zstr(), O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0).map_err(|e| Error::sys("open", fifo.bytes(), e));
    let mut journal = |path: &[u8]| {
        let mut line = [0u8; crate::config::PATH_MAX + 1];
        let n = path.len().min(crate::config::PATH_MAX);
        line[..n].copy_from_slice(&path[..n]);
        line[n] = b'\n';
        let _ = sys::write(journal_fd, &line[..=n]);
    };
    let created = reader.and_then(|reader| {
        let created = container::create(c, envp, reader, console, &mut early, &mut journal);
        let _ = sys::close(reader);
        created
    });
    if let Some(fd) = console {
        let _ = sys::close(fd);
    }
    let _ = sys::close(journal_fd);
    let created = created?;
    let undo = |e: Error| {
        let _ = sys::close(created.commit);
        let _ = sys::kill(created.pid, SIGKILL);
        let _ = container::wait_end(created.pid, 0);
        if let Some(cg) = created.cgroup {
            cg.remove();
        }
        e
    };
    let started = process_start(created.pid).ok_or_else(|| Error::new(b"create: the container's process ended during its setup")).map_err(undo)?;
    let bundle = c.identity.bundle.map_or(&b""[..], |b| b.bytes());
    let rootfs = c.root.map_or(&b""[..], |r| r.bytes());
    record_state(&dir.path, (created.pid, started), bundle, rootfs, created.cgroup).map_err(undo)?;
    if let Some(file) = request.pid_file {
        super::write_pid_file(file, created.pid).map_err(undo)?;
    }
    Ok(created.commit)
}

/// Writes the state of a container made at `dir`: its process (PID and
/// start time; 0 while it has none) and its cgroup.
///
/// Its texts are built in .bss: on the stack, their 46 KiB cost each
/// `create` a dozen page faults (the stack probes touch every page).
fn record_state(dir: &Path, (pid, started): (i32, u64), bundle: &[u8], rootfs: &[u8], cg: Option<&Cgroup>) -> Result<(), Error> {
    static TEXTS: crate::rt::Global<(Bytes<{ crate::container::cgroup::RECORD_MAX }>, Bytes<STATE_MAX>)> =
        crate::rt::Global::new((Bytes::new(), Bytes::new()));
    TEXTS
        .with(|(cgroup, text)| {
            cgroup.clear();
            let mut too_long = false;
            if let Some(cg) = cg {
                cg.record(&mut |part| too_long |= cgroup.extend_from_slice(part).is_err());
            }
            if too_long {
                return Err(Error::new(b"create: the cgroup's paths are too long to record"));
            }
            let now = sys::clock_realtime();
            let created = (now.tv_sec as u64, now.tv_nsec as u64);
            Record { pid, started, created, owner: sys::geteuid(), bundle, rootfs, cgroup }.write(dir, text)
        })
        .unwrap_or_else(|| Err(Error::new(b"container state: written twice at once")))
}

/// `--preserve-fds N`, as runc's: the descriptors after stdio that
/// `$LISTEN_FDS` counts (systemd's socket activation), then N more, stay
/// open in the container's process.
fn pass_fds(c: &mut Container<'_>, preserve: u32, envp: &[Option<ZStr<'_>>]) -> Result<(), Error> {
    let listen = envp.iter().flatten().find_map(|v| v.bytes().strip_prefix(b"LISTEN_FDS=")).and_then(crate::config::parse_number).unwrap_or(0);
    let count = listen.saturating_add(u64::from(preserve));
    for fd in 3..3u64.saturating_add(count) {
        c.process.pass_fds.push(fd as u32).map_err(|_| Error::new(b"--preserve-fds: more than 16 descriptors with $LISTEN_FDS's"))?;
    }
    Ok(())
}

/// The console socket (`--console-socket`), connected, where the process
/// sends its pty's master: needed with a terminal when nsinit does not
/// stay to relay it (`detached`), and only with one, as runc's rules go.
fn console_for(command: &[u8], terminal: bool, detached: bool, socket: Option<ZStr<'_>>) -> Result<Option<Fd>, Error> {
    use linux_raw_sys::net::{AF_UNIX, SOCK_STREAM};
    match (terminal, socket) {
        (true, None) if detached => Err(Error::new(command).push(b": process.terminal (--tty) needs --console-socket, where the pty's master goes")),
        // `exec` in the foreground relays a pty of its own (`container::exec_in`).
        (true, None) => Ok(None),
        (false, Some(_)) => Err(Error::new(command).push(b": --console-socket without a terminal (process.terminal, --tty)")),
        (false, None) => Ok(None),
        (true, Some(path)) => {
            let fd = sys::socket(AF_UNIX, SOCK_STREAM | O_CLOEXEC, 0).map_err(|e| Error::of("socket", e))?;
            match sys::connect_unix(fd, path.bytes()) {
                Ok(()) => Ok(Some(fd)),
                Err(e) => {
                    let _ = sys::close(fd);
                    Err(Error::sys_z("connect", path, e).push(b" (--console-socket)"))
                }
            }
        }
    }
}

/// Copies the bundle's `config.json` into the state (`copy`), a regular
/// file of at most `CONFIG_MAX` bytes.
fn copy_config(bundle: ZStr<'_>, copy: &mut Path) -> Result<(), Error> {
    let mut from = Path::from_parts(&[bundle.bytes(), b"/config.json"]).map_err(|_| Error::new(b"--bundle: path too long"))?;
    if sys::stat_mode(from.zstr()).is_ok_and(|mode| mode & S_IFMT != S_IFREG) {
        return Err(crate::not_regular(from.bytes(), b"config.json"));
    }
    let src = sys::open(from.zstr(), O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0).map_err(|e| Error::sys("open", from.bytes(), e))?;
    let dst = match sys::open(copy.zstr(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = sys::close(src);
            return Err(Error::sys("open", copy.bytes(), e));
        }
    };
    let mut total = 0;
    let copied = loop {
        match sys::sendfile(dst, src, CONFIG_MAX + 1 - total) {
            Ok(0) => break Ok(()),
            Ok(n) => total += n,
            Err(e) if e == Errno::EINTR => {}
            Err(e) => break Err(Error::sys("copy", from.bytes(), e)),
        }
        if total > CONFIG_MAX {
            break Err(Error::new(from.bytes()).push(b": larger than 1 MiB"));
        }
    };
    let _ = (sys::close(src), sys::close(dst));
    copied
}

/// Reads the state's copy of `config.json` into `c`, for its hooks and
/// annotations (`seccomp` false: its profile is skipped) or, for `exec`,
/// its process too (`seccomp` true); the bundle is the recorded one.
fn load_config(dir: &StateDir, id: ZStr<'static>, bundle: &[u8], seccomp: bool, c: &mut Container<'static>) -> Result<(), Error> {
    static BUNDLE: crate::rt::StaticCell<Path> = crate::rt::StaticCell::new(Path::new());
    let kept = BUNDLE.take().ok_or_else(|| Error::new(b"bundle taken"))?;
    *kept = Path::from_parts(&[bundle]).map_err(|_| Error::new(b"bundle: path too long"))?;
    let request = BundleRequest { bundle: kept.zstr(), id: Some(id), pid_file: None };
    let mut copy = dir.file(b"config.json")?;
    super::load_from(&request, Some(copy.zstr()), seccomp, c)
}

/// The status of a recorded container, and a pidfd on its process while
/// it has not ended. `cg`: its cgroup, which says whether it is paused.
fn status(dir: &StateDir, record: &Record<'_>, cg: Option<&Cgroup>) -> (Status, Option<Fd>) {
    let Some(pidfd) = record.process() else { return (Status::Stopped, None) };
    let waiting = dir.file(b"exec.fifo").is_ok_and(|mut fifo| sys::stat_mode(fifo.zstr()).is_ok());
    let status = match (waiting, cg.and_then(Cgroup::frozen)) {
        (true, _) => Status::Created,
        (false, Some(true)) => Status::Paused,
        (false, _) => Status::Running,
    };
    (status, Some(pidfd))
}

/// `status` when the pidfd is not wanted.
fn status_only(dir: &StateDir, record: &Record<'_>, cg: Option<&Cgroup>) -> Status {
    let (status, pidfd) = status(dir, record, cg);
    if let Some(fd) = pidfd {
        let _ = sys::close(fd);
    }
    status
}

/// `start ID`: lets the created container's process run its payload, then
/// runs the `poststart` hooks, and returns. `loaded`: `c` already holds
/// the container (`run --detach`, just after `create`).
#[inline(never)]
fn start(global: &Global<'static>, id: ZStr<'static>, (c, loaded): (&mut Container<'static>, bool), envp: &'static [Option<ZStr<'static>>]) -> Result<(), Error> {
    let dir = StateDir::open(global, id, LOCK_EX, envp)?;
    with_state_text(|buf| {
        let record = Record::read(&dir, buf)?.ok_or_else(|| does_not_exist(id))?;
        let status = status_only(&dir, &record, None);
        if status != Status::Created {
            return Err(Error::new(b"cannot start a container that is ").push(status.name()).push(b": ").push(id.bytes()));
        }
        let mut fifo = dir.file(b"exec.fifo")?;
        // Without blocking: ENXIO when no process waits at the other end.
        let writer = sys::open(fifo.zstr(), O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0).map_err(|e| match e {
            Errno::ENXIO => Error::new(b"cannot start ").push(id.bytes()).push(b": its process no longer waits for start"),
            e => Error::sys("open", fifo.bytes(), e),
        })?;
        let sent = sys::write(writer, b"1");
        let _ = sys::close(writer);
        sent.map_err(|e| Error::sys("write", fifo.bytes(), e))?;
        let _ = sys::unlink(fifo.zstr());
        if !loaded && !dir.has(NO_HOOKS) {
            load_config(&dir, id, record.bundle, false, c)?;
        }
        // A failing poststart hook is a warning; the others still run (the
        // spec's rule, and `run`'s).
        hooks::run_warning(c, HookPoint::Poststart, Status::Running, Some(record.pid), None);
        Ok(())
    })
}

/// `state ID`: the spec's state with runc's fields, on the standard output.
#[inline(never)]
fn show_state(global: &Global<'static>, id: ZStr<'static>, c: &mut Container<'static>, envp: &'static [Option<ZStr<'static>>]) -> Result<(), Error> {
    let dir = StateDir::open(global, id, LOCK_SH, envp)?;
    with_state_text(|buf| {
        let record = Record::read(&dir, buf)?.ok_or_else(|| does_not_exist(id))?;
        let status = status_only(&dir, &record, Cgroup::recorded(record.cgroup).as_ref());
        load_config(&dir, id, record.bundle, false, c)?;
        let mut created = [0u8; 40];
        let n = rfc3339(timespec { tv_sec: record.created.0 as i64, tv_nsec: record.created.1 as i64 }, &mut created);
        let mut owner = ZBuf::<16>::new();
        let _ = match record.owner {
            0 => owner.push(b"root"),
            uid => owner.push_num(u64::from(uid), 10),
        };
        let runc = RuncFields { rootfs: record.rootfs, created: &created[..n], owner: owner.bytes() };
        let pid = (status != Status::Stopped).then_some(record.pid);
        state::write_runc(1, &c.identity, status, pid, &runc).map_err(|e| Error::of("write state", e))
    })
}

/// `kill [--all] ID SIGNAL`: the signal to the container's process, or
/// with `--all` to every process in its cgroup.
#[inline(never)]
fn kill(global: &Global<'static>, id: ZStr<'static>, signal: u32, all: bool, envp: &'static [Option<ZStr<'static>>]) -> Result<(), Error> {
    let dir = StateDir::open(global, id, LOCK_EX, envp)?;
    let mut buf = [0u8; STATE_MAX];
    let record = Record::read(&dir, &mut buf)?.ok_or_else(|| does_not_exist(id))?;
    let (_, pidfd) = status(&dir, &record, None);
    match pidfd {
        Some(pidfd) => {
            let sent = sys::pidfd_send_signal(pidfd, signal);
            let _ = sys::close(pidfd);
            sent.map_err(|e| Error::sys("kill", id.bytes(), e))?;
        }
        // With --all, what the stopped process left in its cgroup is still
        // signalled, as runc does: containerd's shim asks that once the
        // process of a container sharing a PID namespace has exited.
        None if all => {}
        // runc's words, "container not running": containerd's shim reads
        // them as "already finished" (and CRI's StopContainer as done);
        // other words fail the stop of a container that exited on its own.
        None => return Err(Error::new(b"container not running: ").push(id.bytes()).push(b" (stopped)")),
    }
    if all {
        match Cgroup::recorded(record.cgroup) {
            Some(cg) => {
                cg.signal_all(signal);
            }
            None => return Err(Error::new(b"kill --all: the container's cgroup is not recorded")),
        }
    }
    Ok(())
}

/// Removes the cgroup directories `create` journaled in the state (see
/// `create_in`), with the processes in the container's own ones. `c` holds the state's config.json when it could be read (`loaded`):
/// its cgroupsPath (else the ID, as `create` names the cgroup) says which
/// lines are the container's own cgroups, where processes are killed;
/// without it, none is.
fn remove_journaled(dir: &StateDir, id: ZStr<'_>, (c, loaded): (&Container<'_>, bool)) {
    let mut buf = [0u8; 16 * 1024];
    if let Some(text) = dir.file(b"cgroups").ok().and_then(|mut file| read_whole(file.zstr(), &mut buf).ok()) {
        let own = loaded.then(|| c.cgroup.map_or(id.bytes(), |path| path.bytes()));
        crate::container::cgroup::remove_journaled(text, own);
    }
}

/// `delete --force` of a state without a record nsinit can read: what its
/// journal names goes (by the state's config.json, if it can be read),
/// then the state.
fn remove_unfinished(dir: StateDir, id: ZStr<'static>, c: &mut Container<'static>) {
    let loaded = load_config(&dir, id, b"", false, c).is_ok();
    remove_journaled(&dir, id, (c, loaded));
    dir.remove();
}

/// `pause ID` (`frozen`) and `resume ID`: the container's cgroup frozen or
/// thawed, as runc's; an error unless it is running (paused).
#[inline(never)]
fn pause(global: &Global<'static>, id: ZStr<'static>, frozen: bool, envp: &'static [Option<ZStr<'static>>]) -> Result<(), Error> {
    let dir = StateDir::open(global, id, LOCK_EX, envp)?;
    let mut buf = [0u8; STATE_MAX];
    let record = Record::read(&dir, &mut buf)?.ok_or_else(|| does_not_exist(id))?;
    let cg = Cgroup::recorded(record.cgroup);
    let status = status_only(&dir, &record, cg.as_ref());
    let (from, verb): (_, &[u8]) = if frozen { (Status::Running, b"pause") } else { (Status::Paused, b"resume") };
    if status != from {
        return Err(Error::new(b"cannot ").push(verb).push(b" container ").push(id.bytes()).push(b": it is ").push(status.name()));
    }
    cg.ok_or_else(|| Error::new(verb).push(b": container ").push(id.bytes()).push(b" has no cgroup"))?.freeze(frozen)
}

/// `ps ID`: the PIDs in the container's cgroup, as runc's `--format
/// json` gives them (`[1,2]`), or a `PID` column.
#[inline(never)]
fn ps(global: &Global<'static>, id: ZStr<'static>, json: bool, envp: &'static [Option<ZStr<'static>>]) -> Result<(), Error> {
    let dir = StateDir::open(global, id, LOCK_SH, envp)?;
    let mut buf = [0u8; STATE_MAX];
    let record = Record::read(&dir, &mut buf)?.ok_or_else(|| does_not_exist(id))?;
    let cg = Cgroup::recorded(record.cgroup);
    let mut procs = [0u8; 64 * 1024];
    let text = cg.ok_or_else(|| Error::new(b"ps: container ").push(id.bytes()).push(b" has no cgroup"))?.procs(&mut procs)?;
    let mut out = Writer::new(1);
    out.put(if json { b"[" } else { b"PID\n" });
    for (i, pid) in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()).enumerate() {
        if json && i > 0 {
            out.put(b",");
        }
        out.put(pid);
        if !json {
            out.put(b"\n");
        }
    }
    out.put(if json { b"]\n" } else { b"" });
    out.flush()
}

/// `list`: every container under the root, as runc's table (`ID PID
/// STATUS BUNDLE CREATED OWNER`), its IDs alone (`-q`), or a JSON array of
/// their states (`--format json`).
#[inline(never)]
fn list(global: &Global<'static>, quiet: bool, json: bool, envp: &'static [Option<ZStr<'static>>]) -> Result<(), Error> {
    let mut root = state_root(global, envp)?;
    let fd = match sys::open(root.zstr(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) {
        Ok(fd) => Some(fd),
        // No container was ever made there.
        Err(Errno::ENOENT) => None,
        Err(e) => return Err(Error::sys("open", root.bytes(), e)),
    };
    let mut out = Writer::new(1);
    out.put(match (quiet, json) {
        (true, _) => b"",
        (false, true) => b"[",
        (false, false) => b"ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n",
    });
    let mut first = true;
    let listed = fd.map(|fd| {
        let walked = sys::each_dir_entry(fd, |name| {
            let Some(id) = ZBuf::<{ super::ID_MAX + 1 }>::from_parts(&[name]).ok().filter(|_| super::check_id(b"list", name).is_ok()) else { return };
            let mut id = id;
            let Ok(dir) = StateDir::open(global, id.zstr(), LOCK_SH, envp) else { return };
            let mut buf = [0u8; STATE_MAX];
            let Ok(Some(record)) = Record::read(&dir, &mut buf) else { return };
            let cg = Cgroup::recorded(record.cgroup);
            let status = status_only(&dir, &record, cg.as_ref());
            let _ = sys::close(dir.fd);
            let mut created = [0u8; 40];
            let n = rfc3339(timespec { tv_sec: record.created.0 as i64, tv_nsec: record.created.1 as i64 }, &mut created);
            let mut pid = ZBuf::<16>::new();
            let _ = pid.push_num(if status == Status::Stopped { 0 } else { record.pid as u64 }, 10);
            let mut owner = ZBuf::<16>::new();
            let _ = if record.owner == 0 { owner.push(b"root") } else { owner.push_num(u64::from(record.owner), 10) };
            if quiet {
                out.put(name);
                out.put(b"\n");
            } else if json {
                out.put(if first { b"{\"ociVersion\":\"" } else { b",{\"ociVersion\":\"" });
                out.put(state::OCI_VERSION);
                for (key, value, quoted) in [
                    (&b"\",\"id\":"[..], name, true),
                    (b",\"pid\":", pid.bytes(), false),
                    (b",\"status\":", status.name(), true),
                    (b",\"bundle\":", record.bundle, true),
                    (b",\"rootfs\":", record.rootfs, true),
                    (b",\"created\":", &created[..n], true),
                    (b",\"owner\":", owner.bytes(), true),
                ] {
                    out.put(key);
                    if quoted { out.string(value) } else { out.put(value) }
                }
                out.put(b"}");
            } else {
                for (value, end) in [(name, b"\t"), (pid.bytes(), b"\t"), (status.name(), b"\t"), (record.bundle, b"\t"), (&created[..n], b"\t"), (owner.bytes(), b"\n")] {
                    out.put(value);
                    out.put(end);
                }
            }
            first = false;
        });
        let _ = sys::close(fd);
        walked
    });
    if let Some(Err(e)) = listed {
        return Err(Error::sys("read", root.bytes(), e));
    }
    out.put(if json && !quiet { b"]\n" } else { b"" });
    out.flush()
}

/// Output gathered a buffer at a time, for the commands that print lists.
struct Writer {
    fd: Fd,
    buf: [u8; 4096],
    len: usize,
    failed: Option<Errno>,
}

impl Writer {
    fn new(fd: Fd) -> Writer {
        Writer { fd, buf: [0; 4096], len: 0, failed: None }
    }

    fn put(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.len == self.buf.len() {
                self.drain();
            }
            let n = bytes.len().min(self.buf.len() - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
            self.len += n;
            bytes = &bytes[n..];
        }
    }

    /// `bytes` as a JSON string (`state::json_escape`).
    fn string(&mut self, bytes: &[u8]) {
        self.put(b"\"");
        state::json_escape(bytes, &mut |piece| self.put(piece));
        self.put(b"\"");
    }

    fn drain(&mut self) {
        let mut done = 0;
        while done < self.len {
            match sys::write(self.fd, &self.buf[done..self.len]) {
                Ok(n) => done += n,
                Err(Errno::EINTR) => {}
                Err(e) => {
                    self.failed = self.failed.or(Some(e));
                    break;
                }
            }
        }
        self.len = 0;
    }

    fn flush(mut self) -> Result<(), Error> {
        self.drain();
        self.failed.map_or(Ok(()), |e| Err(Error::of("write", e)))
    }
}

/// `exec [OPTION]... ID [ARG]...`: a new process in the created or running
/// container: the container's own process with the options' changes
/// (`--cwd`, `--env`, `--user`, `--additional-gids`, `--cap`,
/// `--no-new-privs`, `--apparmor`, `--process-label`, `--tty`), or the
/// `--process` file's, as runc's. Returns the code to exit with: the
/// process's status, or 0 once it runs with `--detach`.
#[inline(never)]
fn exec(global: &Global<'static>, r: ExecRequest<'static>, c: &mut Container<'static>) -> Result<i32, Error> {
    let envp: &[Option<ZStr<'static>>] = &[];
    let dir = StateDir::open(global, r.id, LOCK_SH, envp)?;
    let mut buf = [0u8; STATE_MAX];
    let record = Record::read(&dir, &mut buf)?.ok_or_else(|| does_not_exist(r.id))?;
    let cg = Cgroup::recorded(record.cgroup);
    let pidfd = match status(&dir, &record, cg.as_ref()) {
        (Status::Created | Status::Running, Some(fd)) => fd,
        (status, fd) => {
            if let Some(fd) = fd {
                let _ = sys::close(fd);
            }
            return Err(Error::new(b"cannot exec in a ").push(status.name()).push(b" container: ").push(r.id.bytes()));
        }
    };
    let ready = load_config(&dir, r.id, record.bundle, true, c).and_then(|()| exec_process(r, c));
    // Not held while the process runs: `delete --force` may end it.
    let _ = sys::close(dir.fd);
    let (detach, pid_file, console_socket) = match ready {
        Ok(ready) => ready,
        Err(e) => {
            let _ = sys::close(pidfd);
            return Err(e);
        }
    };
    let console = console_for(b"exec", c.process.terminal, detach, console_socket).inspect_err(|_| {
        let _ = sys::close(pidfd);
    })?;
    container::exec_in(c, record.pid, pidfd, cg.as_ref(), detach, pid_file, console)
}

type ExecChoices = (bool, Option<ZStr<'static>>, Option<ZStr<'static>>);

/// Makes `c.process` the one `exec` starts (see `exec`); returns
/// `--detach`, `--pid-file` and `--console-socket`.
fn exec_process(r: ExecRequest<'static>, c: &mut Container<'static>) -> Result<ExecChoices, Error> {
    static NAMES: crate::rt::StaticCell<[u8; 8192]> = crate::rt::StaticCell::new([0; 8192]);
    let mut names = super::Arena::new(NAMES.take().ok_or_else(|| Error::new(b"exec: taken"))?);
    let mut file = None;
    exec_options(r.options, &mut |name, value| {
        if name == "process" {
            file = value;
        }
        Ok(())
    })?;
    match file {
        Some(file) => super::load_process(file, c)?,
        None => {
            c.process.args = Payload::Argv(r.args);
            c.process.terminal = false;
        }
    }
    let (mut detach, mut pid_file, mut console_socket) = (false, None, None);
    exec_options(r.options, &mut |name, value| {
        let Some(v) = value else {
            match name {
                "detach" => detach = true,
                "tty" => c.process.terminal = true,
                "no-new-privs" => c.process.no_new_privileges = true,
                _ => {}
            }
            return Ok(());
        };
        let bytes = v.bytes();
        match name {
            "pid-file" => pid_file = Some(v),
            "console-socket" => console_socket = Some(v),
            "preserve-fds" => pass_fds(c, crate::config::runc::preserved_fds(bytes)?, &[])?,
            "cwd" if bytes.first() == Some(&b'/') => c.process.cwd = Some(v),
            "cwd" => return Err(Error::new(b"exec: --cwd: expected an absolute path; got '").push(bytes).push(b"'")),
            "env" => {
                let eq = bytes.iter().position(|&b| b == b'=').filter(|&at| at > 0);
                let eq = eq.ok_or_else(|| Error::new(b"exec: --env: expected NAME=VALUE; got '").push(bytes).push(b"'"))?;
                let name = names.put(&[&bytes[..eq]]).map_err(|_| Error::new(b"exec: --env: too many"))?;
                c.process.env.push(EnvOp::Set(name, v.skip(eq + 1))).map_err(|_| Error::new(b"exec: --env: too many variables"))?;
            }
            "user" => c.process.user = Some(v),
            "additional-gids" => {
                let gid = crate::config::parse_id(bytes).ok_or_else(|| Error::new(b"exec: --additional-gids: expected a group number; got '").push(bytes).push(b"'"))?;
                let groups = c.process.groups.get_or_insert_with(heapless::Vec::new);
                groups.push(gid).map_err(|_| Error::new(b"exec: --additional-gids: too many groups"))?;
            }
            "cap" => {
                let bit = crate::config::capability(bytes).ok_or_else(|| Error::new(b"exec: --cap: unknown capability '").push(bytes).push(b"'"))?;
                // runc adds it to every set but the inheritable one.
                let caps = c.process.capabilities.get_or_insert_with(Default::default);
                caps.bounding |= bit;
                caps.effective |= bit;
                caps.permitted |= bit;
                caps.ambient |= bit;
            }
            "apparmor" => c.process.apparmor_profile = Some(v),
            "process-label" => c.process.selinux_label = Some(v),
            _ => {}
        }
        Ok(())
    })?;
    Ok((detach, pid_file, console_socket))
}

/// `update [OPTION]... ID`: new limits written to the container's cgroup,
/// from `--resources FILE` (runtime-spec's `linux.resources`) or one
/// option a limit, as runc's.
#[inline(never)]
fn update(
    global: &Global<'static>,
    id: ZStr<'static>,
    options: &'static [Option<ZStr<'static>>],
    c: &mut Container<'static>,
    envp: &'static [Option<ZStr<'static>>],
) -> Result<(), Error> {
    let dir = StateDir::open(global, id, LOCK_EX, envp)?;
    let mut buf = [0u8; STATE_MAX];
    let record = Record::read(&dir, &mut buf)?.ok_or_else(|| does_not_exist(id))?;
    let mut cg = Cgroup::recorded(record.cgroup).ok_or_else(|| Error::new(b"update: container ").push(id.bytes()).push(b" has no cgroup"))?;
    if let (Status::Stopped, pidfd) = status(&dir, &record, Some(&cg)) {
        if let Some(fd) = pidfd {
            let _ = sys::close(fd);
        }
        return Err(Error::new(b"cannot update container ").push(id.bytes()).push(b": it is stopped"));
    }
    let mut file = None;
    update_options(options, &mut |name, value| {
        if name == "resources" {
            file = value;
        }
        Ok(())
    })?;
    if let Some(file) = file {
        super::load_resources(file, c)?;
    }
    let r = &mut c.resources;
    update_options(options, &mut |name, value| {
        let Some(v) = value else { return Ok(()) };
        let bytes = v.bytes();
        let bad = || Error::new(b"update: --").push(name.as_bytes()).push(b": unexpected '").push(bytes).push(b"'");
        // -1: no limit, as runc takes it.
        let number = |size: bool| match bytes {
            b"-1" => Ok(u64::MAX),
            _ if size => crate::config::parse_size(bytes).ok_or_else(bad),
            _ => crate::config::parse_number(bytes).ok_or_else(bad),
        };
        match name {
            "memory" => r.memory_max = Some(number(true)?),
            "memory-swap" => r.memory_swap = Some(number(true)?),
            "memory-reservation" => r.memory_reservation = Some(number(true)?),
            // runc's word is `--cpu-share`.
            "cpu-share" | "cpu-shares" => r.cpu_shares = Some(number(false)?),
            "cpu-quota" | "cpu-period" => {
                let (quota, period) = r.cpu_max.unwrap_or((u64::MAX, 100_000));
                r.cpu_max = Some(if name == "cpu-quota" { (number(false)?, period) } else { (quota, number(false)?) });
            }
            "cpu-rt-period" => r.cpu_rt_period = Some(number(false)?),
            "cpu-rt-runtime" => r.cpu_rt_runtime = Some(number(false)?),
            "cpuset-cpus" => r.cpuset = Some(v),
            "cpuset-mems" => r.cpuset_mems = Some(v),
            "pids-limit" => r.pids_max = Some(number(false)?),
            "blkio-weight" => r.blkio_weight = Some(number(false)?),
            _ => {}
        }
        Ok(())
    })?;
    r.devices.clear();
    cg.update(r)
}

/// `events [--stats] [--interval D] ID`: the container's cgroup statistics
/// as runc's events give them, one `{"type":"stats","id":ID,"data":{...}}`
/// line (`cpu.usage` in nanoseconds, `memory.usage` in bytes, `pids`),
/// once with `--stats`, else every interval until the container stops.
#[inline(never)]
fn events(global: &Global<'static>, id: ZStr<'static>, once: bool, interval_ms: u32, envp: &'static [Option<ZStr<'static>>]) -> Result<(), Error> {
    loop {
        let dir = StateDir::open(global, id, LOCK_SH, envp)?;
        let mut buf = [0u8; STATE_MAX];
        let record = Record::read(&dir, &mut buf)?.ok_or_else(|| does_not_exist(id))?;
        let cg = Cgroup::recorded(record.cgroup);
        let status = status_only(&dir, &record, cg.as_ref());
        let _ = sys::close(dir.fd);
        if status == Status::Stopped {
            return match once {
                true => Err(Error::new(b"container ").push(id.bytes()).push(b" is not running")),
                false => Ok(()),
            };
        }
        let cg = cg.ok_or_else(|| Error::new(b"events: container ").push(id.bytes()).push(b" has no cgroup"))?;
        let n = |file: &[u8], key: Option<&[u8]>| cg.number(file, key).unwrap_or(0);
        let v2 = cg.layout == crate::container::cgroup::Layout::Unified;
        // v1's cpuacct.stat counts clock ticks (USER_HZ, 100 a second).
        let (total, kernel, user) = match v2 {
            true => (n(b"cpu.stat", Some(b"usage_usec")) * 1000, n(b"cpu.stat", Some(b"system_usec")) * 1000, n(b"cpu.stat", Some(b"user_usec")) * 1000),
            false => (n(b"cpuacct.usage", None), n(b"cpuacct.stat", Some(b"system")) * 10_000_000, n(b"cpuacct.stat", Some(b"user")) * 10_000_000),
        };
        let memory = match v2 {
            true => [n(b"memory.current", None), n(b"memory.peak", None), n(b"memory.max", None), n(b"memory.events", Some(b"max"))],
            false => [n(b"memory.usage_in_bytes", None), n(b"memory.max_usage_in_bytes", None), n(b"memory.limit_in_bytes", None), n(b"memory.failcnt", None)],
        };
        // No limit is 0 in runc's pids statistics.
        let pids_limit = n(b"pids.max", None);
        let pids = [n(b"pids.current", None), if pids_limit == u64::MAX { 0 } else { pids_limit }];
        let mut out = Writer::new(1);
        out.put(b"{\"type\":\"stats\",\"id\":");
        out.string(id.bytes());
        let fields: [(&[u8], u64); 9] = [
            (b",\"data\":{\"cpu\":{\"usage\":{\"total\":", total),
            (b",\"kernel\":", kernel),
            (b",\"user\":", user),
            (b"}},\"memory\":{\"usage\":{\"usage\":", memory[0]),
            (b",\"max\":", memory[1]),
            (b",\"limit\":", memory[2]),
            (b",\"failcnt\":", memory[3]),
            (b"}},\"pids\":{\"current\":", pids[0]),
            (b",\"limit\":", pids[1]),
        ];
        for (key, value) in fields {
            out.put(key);
            let mut digits = ZBuf::<24>::new();
            let _ = digits.push_num(value, 10);
            out.put(digits.bytes());
        }
        out.put(b"}}}\n");
        out.flush()?;
        if once {
            return Ok(());
        }
        let _ = sys::nanosleep_ms(interval_ms.into());
    }
}

/// Longest `delete` waits for a killed process to end, in milliseconds.
const DELETE_WAIT_MS: i32 = 10_000;

/// `delete [--force] ID`: a stopped or created container (with `--force`
/// any) is killed if need be, its cgroup removed, its `poststop` hooks
/// run, and its state removed. `loaded`: `c` already holds the container.
#[inline(never)]
fn delete(global: &Global<'static>, id: ZStr<'static>, force: bool, (c, loaded): (&mut Container<'static>, bool), envp: &'static [Option<ZStr<'static>>]) -> Result<(), Error> {
    let dir = match StateDir::open(global, id, LOCK_EX, envp) {
        Ok(dir) => dir,
        // runc: nothing to delete is no failure with --force.
        Err(_) if force && !state_root(global, envp).is_ok_and(|root| in_state(&root, id.bytes()).is_ok_and(|mut p| sys::stat_mode(p.zstr()).is_ok())) => {
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    with_state_text(|buf| {
        let record = match Record::read(&dir, buf) {
            Ok(Some(record)) => record,
            // A create that did not finish: its process ended with it, or ends
            // as its cgroup is removed.
            Ok(None) if force => {
                remove_unfinished(dir, id, c);
                return Ok(());
            }
            Ok(None) => return Err(does_not_exist(id).push(b" (a create that did not finish: delete --force removes it)")),
            // A state nsinit cannot read: what its journal names goes, with
            // every process in it.
            Err(e) if force => {
                e.print(2);
                remove_unfinished(dir, id, c);
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let cg = Cgroup::recorded(record.cgroup);
        let (status, pidfd) = status(&dir, &record, cg.as_ref());
        if let Some(pidfd) = pidfd {
            if status != Status::Created && !force {
                let _ = sys::close(pidfd);
                return Err(Error::new(b"cannot delete container ").push(id.bytes()).push(b" that is not stopped: ").push(status.name()));
            }
            let _ = sys::pidfd_send_signal(pidfd, SIGKILL);
            // A frozen process dies once thawed, with SIGKILL pending.
            if status == Status::Paused {
                let _ = cg.as_ref().map(|cg| cg.freeze(false));
            }
            // A pidfd is readable once its process has ended.
            let ended = sys::poll_one(pidfd, POLLIN as i16, DELETE_WAIT_MS);
            let _ = sys::close(pidfd);
            if !ended.is_ok_and(|r| r != 0) {
                return Err(Error::new(b"delete: container ").push(id.bytes()).push(b"'s process did not end after SIGKILL"));
            }
        }
        if let Some(cg) = &cg {
            cg.remove();
        }
        // A record with a process is written once the cgroup is made: it
        // names every directory the journal does. Without one (a create
        // killed after its first record), the journal may name more.
        let journal = record.pid == 0 || cg.is_none();
        let config = if loaded || (dir.has(NO_HOOKS) && !journal) { Ok(()) } else { load_config(&dir, id, record.bundle, false, c) };
        if journal {
            remove_journaled(&dir, id, (c, loaded || config.is_ok()));
        }
        if config.is_ok() {
            hooks::run_warning(c, HookPoint::Poststop, Status::Stopped, None, None);
        }
        dir.remove();
        config
    })
}

#[cfg(test)]
mod tests {
    use super::{errno_text_as_go, rfc3339};
    use linux_raw_sys::general::timespec;

    #[test]
    fn errno_texts_in_the_json_log_are_go_s() {
        let mut msg = *b"execve /x: ENOENT (No such file or directory) (not in the container's root)";
        errno_text_as_go(&mut msg);
        assert_eq!(&msg[..], b"execve /x: ENOENT (no such file or directory) (not in the container's root)");
        let mut msg = *b"open /Etc/A (X): EROFS (Read-only file system)";
        errno_text_as_go(&mut msg);
        assert_eq!(&msg[..], b"open /Etc/A (X): EROFS (read-only file system)");
        let mut msg = *b"E (No) EACCES";
        errno_text_as_go(&mut msg);
        assert_eq!(&msg[..], b"E (No) EACCES");
    }

    #[test]
    fn rfc3339_in_utc_with_nanoseconds() {
        for (secs, nanos, text) in [
            (0, 0, "1970-01-01T00:00:00.000000000Z"),
            (951_782_400, 5, "2000-02-29T00:00:00.000000005Z"),
            (1_796_094_245, 123_456_789, "2026-12-01T03:04:05.123456789Z"),
            (4_107_542_399, 999_999_999, "2100-02-28T23:59:59.999999999Z"),
        ] {
            let mut out = [0u8; 40];
            let n = rfc3339(timespec { tv_sec: secs, tv_nsec: nanos }, &mut out);
            assert_eq!(std::str::from_utf8(&out[..n]).unwrap(), text, "{secs}");
        }
    }
}
