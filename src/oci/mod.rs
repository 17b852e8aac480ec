//! OCI bundles: a `config.json` (runtime-spec 1.0 to 1.2) as a second front
//! end onto `config::Container`, and the runc-style commands that use it
//! (`nsinit run`, `nsinit spec`).
//!
//! The file is read whole into a static buffer and parsed in place
//! (`json`); each section of the spec has one function that fills the
//! description (`root`, `process`, `mounts`, `linux` ...). A setting the
//! description cannot hold yet is an error naming its field, never dropped;
//! a field nsinit does not know is ignored, as the spec asks. Strings made
//! from the file's (the root joined to the bundle, variable names, the
//! user) go in a fixed arena.
//!
//! The bigger mappings (`mount`, `process`, `linux`, `resources`,
//! `seccomp`, and those called from several places) are
//! `#[inline(never)]`: inlined into one another, their locals share one
//! large frame and the code grows (`make size`, measured).

/// `message!("TEXT")`: the `json::Message` of an error text, packed with
/// the others by build.rs.
macro_rules! message {
    ($text:literal) => {
        $crate::oci::json::Message(const { $crate::oci::json::message_id($text) })
    };
}

/// `fail!("TEXT")`: the error `TEXT` about the value being read;
/// `fail!("TEXT", WORD)`: about `WORD`, shown quoted after it.
macro_rules! fail {
    ($text:literal) => {
        $crate::oci::json::Error::code(message!($text))
    };
    ($text:literal, $word:expr) => {
        $crate::oci::json::Error::code_about(message!($text), $word)
    };
}

pub mod json;
mod features;
pub mod lifecycle;
mod linux;
mod mounts;
mod process;
mod resources;
mod seccomp;
mod template;

use crate::config::{BundleRequest, Container};
use crate::error::Error;
use crate::rt;
use crate::sys::{self, ZStr};
use json::{Json, Kind};
use linux_raw_sys::general::{CLONE_NEWNS, CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS, O_CLOEXEC, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};

pub use template::write_spec;

/// Largest `config.json` taken (podman's with a full seccomp profile is
/// about 40 KiB).
pub const CONFIG_MAX: usize = 1024 * 1024;
/// Bytes for the strings made from the file's: the root joined to the
/// bundle, environment variable names, the user as `UID:GID`, the file's
/// own path. Going over is an error.
pub const ARENA: usize = 32 * 1024;
/// Longest container ID (runc's limit).
pub const ID_MAX: usize = 1024;

/// An error from the mapping, with its JSON path: the parser's type.
type Fail = json::Error<'static>;

/// Checks an ID as runc does: `[A-Za-z0-9][A-Za-z0-9_.+-]*`, 1 to 1024 bytes.
pub fn check_id(command: &[u8], id: &[u8]) -> Result<(), Error> {
    let first_ok = id.first().is_some_and(u8::is_ascii_alphanumeric);
    let rest_ok = id.iter().all(|&c| c.is_ascii_alphanumeric() || b"_.+-".contains(&c));
    if !first_ok || !rest_ok || id.len() > ID_MAX {
        return Err(Error::new(command).push(b": expected an ID of 1 to 1024 bytes from [A-Za-z0-9_.+-], starting with a letter or digit; got '")
            .push(id)
            .push(b"'"));
    }
    Ok(())
}

/// The first half of `run` (the next issue's `create`): reads the
/// bundle's `config.json` and fills `c` from it. Only the file is read;
/// nothing is made on the host.
pub fn load(req: &BundleRequest<'static>, c: &mut Container<'static>) -> Result<(), Error> {
    load_from(req, None, true, c)
}

/// `load`, the text read from `copy` (the lifecycle's copy of the
/// bundle's `config.json` in the container's state) when given; errors
/// still name the bundle's file. `seccomp`: whether `linux.seccomp` is
/// read (`Map::seccomp`).
pub fn load_from(req: &BundleRequest<'static>, copy: Option<ZStr<'_>>, seccomp: bool, c: &mut Container<'static>) -> Result<(), Error> {
    // The arena's room and the file's in one: the file's path first, the
    // text right after it, the arena's other strings right after the text,
    // so that a small file and what is made of it share a page (the first
    // write to a page of .bss is a fault: two rooms made it two).
    const ROOM_LEN: usize = ARENA + CONFIG_MAX + 1;
    static ROOM: rt::StaticCell<[u8; ROOM_LEN]> = rt::StaticCell::new([0; ROOM_LEN]);
    let room = ROOM.take().ok_or_else(|| Error::new(b"config.json: read twice"))?;
    let mut arena = Arena { free: room };
    let too_long = || Error::new(b"--bundle: path too long");
    // `config.json` in errors when the bundle is the working directory, as
    // runc names it; `DIR/config.json` otherwise.
    let file = match req.bundle.bytes() {
        b"." => ZStr::new(c"config.json"),
        dir => arena.join(dir, b"config.json").map_err(|_| too_long())?,
    };
    // What is left of the arena's own ARENA bytes, once the text is read
    // into the CONFIG_MAX + 1 after the path.
    let free = core::mem::take(&mut arena.free);
    let left = ARENA.checked_sub(ROOM_LEN - free.len()).ok_or_else(too_long)?;
    let len = crate::read_file(copy.unwrap_or(file), free.get_mut(..CONFIG_MAX + 1).unwrap_or_default(), b"config.json")?.len();
    let (text, rest) = free.split_at_mut(len);
    arena.free = rest.get_mut(..left).unwrap_or_default();
    fill(text, req.bundle.bytes(), &mut arena, c, (true, seccomp)).map_err(|e| e.into_error(file.bytes()))?;
    // Without device rules, root's container may use only the default
    // devices, as runc makes it; without root, or as root of a user
    // namespace (rootless podman's runtime), no device cgroup is made, as
    // runc skips it in a user namespace.
    if cfg!(feature = "cgroups") && c.resources.devices.is_empty() && sys::geteuid() == 0 && !in_user_namespace() {
        let _ = c.resources.devices.push(resources::DENY_ALL);
    }
    // For the state hooks read: the ID and the bundle's absolute path.
    c.identity.id = req.id;
    c.identity.bundle = Some(match req.bundle.bytes() {
        [b'/', ..] => req.bundle,
        dir => {
            let mut cwd = [0u8; crate::config::PATH_MAX];
            let n = sys::getcwd(&mut cwd).map_err(|e| Error::sys("getcwd", b"", e))?;
            let cwd = cwd[..n].strip_suffix(b"\0").unwrap_or(&cwd[..n]);
            let joined = if dir == b"." { arena.put(&[cwd]) } else { arena.join(cwd, dir) };
            joined.map_err(|e| e.into_error(file.bytes()))?
        }
    });
    Ok(())
}

/// `exec --process FILE`: the file's `process` object (runtime-spec
/// `config.md`, "Process", as runc's `exec` takes it) replaces the
/// container's process in `c`; errors name the file and the JSON path.
pub fn load_process(path: ZStr<'_>, c: &mut Container<'static>) -> Result<(), Error> {
    const ROOM_LEN: usize = ARENA + CONFIG_MAX + 1;
    static ROOM: rt::StaticCell<[u8; ROOM_LEN]> = rt::StaticCell::new([0; ROOM_LEN]);
    let room = ROOM.take().ok_or_else(|| Error::new(b"process file: read twice"))?;
    let (text, free) = room.split_at_mut(CONFIG_MAX + 1);
    let len = crate::read_file(path, text, b"process")?.len();
    let text = &mut text[..len];
    let mut arena = Arena { free };
    let p = &mut c.process;
    p.args = crate::config::Payload::Words(heapless::Vec::new());
    p.env.clear();
    (p.cwd, p.user, p.groups, p.apparmor_profile, p.selinux_label, p.capabilities) = (None, None, None, None, None, None);
    (p.no_new_privileges, p.terminal) = (false, false);
    c.rlimits.clear();
    let mut m = Map { c, arena: &mut arena, dir: b"", seen: 0, dev: false, seccomp: true };
    let mut json = Json::new(text);
    let read = process::process(&mut json, &mut m).and_then(|()| json.end());
    read.map_err(|e| e.into_error(path.bytes()))?;
    if m.c.process.args.command().is_none() {
        return Err(Error::new(path.bytes()).push(b": args: missing or empty (required)"));
    }
    if m.seen & SEEN_CWD == 0 {
        return Err(Error::new(path.bytes()).push(b": cwd: missing (required)"));
    }
    Ok(())
}

/// `update --resources FILE` (`-`: the standard input): the file's
/// `LinuxResources` object (runtime-spec `config-linux.md`, "Control
/// groups") into `c.resources`, as runc's `update` takes it.
pub fn load_resources(path: ZStr<'_>, c: &mut Container<'static>) -> Result<(), Error> {
    const ROOM_LEN: usize = ARENA + CONFIG_MAX + 1;
    static ROOM: rt::StaticCell<[u8; ROOM_LEN]> = rt::StaticCell::new([0; ROOM_LEN]);
    let room = ROOM.take().ok_or_else(|| Error::new(b"resources file: read twice"))?;
    let (text, free) = room.split_at_mut(CONFIG_MAX + 1);
    let len = match path.bytes() {
        b"-" => read_stdin(text)?,
        _ => crate::read_file(path, text, b"resources")?.len(),
    };
    let text = &mut text[..len];
    let mut arena = Arena { free };
    let mut m = Map { c, arena: &mut arena, dir: b"", seen: 0, dev: false, seccomp: true };
    let mut json = Json::new(text);
    let read = resources::resources(&mut json, &mut m).and_then(|()| json.end());
    read.map_err(|e| e.into_error(if path.bytes() == b"-" { b"standard input" } else { path.bytes() }))
}

/// The standard input to its end (a pipe, most often) into `buf`, which
/// it must not fill; its length.
fn read_stdin(buf: &mut [u8]) -> Result<usize, Error> {
    let mut len = 0;
    loop {
        match sys::read(0, &mut buf[len..]) {
            Ok(0) => return Ok(len),
            Ok(n) => len += n,
            Err(sys::Errno::EINTR) => continue,
            Err(e) => return Err(Error::of("read the standard input", e)),
        }
        if len == buf.len() {
            return Err(Error::new(b"standard input: larger than 1 MiB"));
        }
    }
}

/// Fills `c` from the JSON `text` of a bundle at `dir`; `run`: the file
/// must describe a process to start (`process` is optional otherwise);
/// `seccomp`: `linux.seccomp` is read (skipped otherwise, see
/// `Map::seccomp`). Pure but for `linux.mountLabel`, which asks whether
/// SELinux is enabled on the host.
pub fn fill(
    text: &'static mut [u8],
    dir: &'static [u8],
    arena: &mut Arena,
    c: &mut Container<'static>,
    (run, seccomp): (bool, bool),
) -> Result<(), Fail> {
    c.clear();
    let mut m = Map { c, arena, dir, seen: 0, dev: false, seccomp };
    let mut json = Json::new(text);
    json.object(|j, key| {
        crate::by_key!(key,
            "ociVersion" => oci_version(j, &mut m),
            "root" => root(j, &mut m),
            "process" => process::process(j, &mut m),
            "hostname" => m.uts(j, true),
            "domainname" => m.uts(j, false),
            "mounts" => mounts::mounts(j, &mut m),
            "linux" => linux::linux(j, &mut m),
            "annotations" => annotations(j, &mut m),
            "hooks" => process::hooks(j, &mut m),
            _ => j.skip(),
        )
    })?;
    json.end()?;
    m.finish(run)?;
    // The one look at the host a mapping makes, and only for this field.
    let selinux = m.c.mount_label.is_some() && crate::container::selinux_enabled();
    mounts::label_mounts(&mut m, selinux)
}

/// The mapping's state: the description being filled, and what the
/// checks at the end need to know.
pub struct Map<'m> {
    pub c: &'m mut Container<'static>,
    pub arena: &'m mut Arena,
    /// The bundle directory, for `root.path`.
    pub dir: &'static [u8],
    /// `SEEN_*` bits: the sections found.
    pub seen: u32,
    /// `mounts` has runc's `/dev` tmpfs, which nsinit's `/dev` preset
    /// makes whole (with `/dev/pts` and `/dev/shm`).
    pub dev: bool,
    /// Whether `linux.seccomp` is read. `start`, `state` and `delete` read
    /// the container's copy of config.json, which `create` read whole,
    /// for its hooks and annotations alone, and a profile is most of a
    /// parse's time (about 350 names in podman's and Docker's): they skip it.
    pub seccomp: bool,
}

pub const SEEN_VERSION: u32 = 1;
pub const SEEN_ROOT: u32 = 2;
pub const SEEN_PROCESS: u32 = 4;
pub const SEEN_CWD: u32 = 8;
pub const SEEN_NAMESPACES: u32 = 16;

impl Map<'_> {
    /// `hostname` (`host`) or `domainname`: 1 to 64 bytes; empty is unset.
    fn uts(&mut self, j: &mut Json<'static>, host: bool) -> Result<(), Fail> {
        let name = j.string()?;
        let bytes = name.bytes();
        match bytes.len() {
            0 => return Ok(()),
            1..=crate::config::UTS_NAME_MAX => {}
            _ => return Err(fail!("expected a name of at most 64 bytes", bytes)),
        }
        if host { self.c.hostname = Some(name) } else { self.c.domainname = Some(name) }
        Ok(())
    }

    /// What only the whole file can tell.
    fn finish(&mut self, run: bool) -> Result<(), Fail> {
        let missing = |what| Err(Fail::code(what));
        if self.seen & SEEN_VERSION == 0 {
            return missing(message!("ociVersion: missing (required)"));
        }
        if self.seen & SEEN_ROOT == 0 {
            return missing(message!("root.path: missing (required)"));
        }
        if run && self.seen & SEEN_PROCESS == 0 {
            return missing(message!("process: missing (required to run the container)"));
        }
        if self.seen & SEEN_PROCESS != 0 {
            if self.c.process.args.command().is_none() {
                return missing(message!("process.args: missing or empty (required)"));
            }
            if self.seen & SEEN_CWD == 0 {
                return missing(message!("process.cwd: missing (required)"));
            }
        }
        let c = &mut *self.c;
        let has = |bit| c.has(bit) || c.joins(bit);
        if (c.hostname.is_some() || c.domainname.is_some()) && !has(CLONE_NEWUTS) {
            return missing(message!("hostname: needs a uts namespace (linux.namespaces)"));
        }
        if !has(CLONE_NEWNS) {
            return missing(message!("linux.namespaces: a mount namespace is needed for root.path and mounts"));
        }
        if (!c.uid_maps.is_empty() || !c.gid_maps.is_empty()) && !c.has(CLONE_NEWUSER) {
            return missing(message!("linux.uidMappings: needs a user namespace (linux.namespaces)"));
        }
        if c.uid_maps.is_empty() && c.mounts.iter().any(|m| m.idmap.is_some_and(|i| i.maps.is_none())) {
            return missing(message!("mounts: idmap without the mount's uidMappings and gidMappings needs the container's (linux.uidMappings)"));
        }
        if c.time_offsets.is_some() && !c.has(CLONE_NEWTIME) {
            return missing(message!("linux.timeOffsets: needs a new time namespace (linux.namespaces)"));
        }
        // The description is the file's, exactly: no user namespace of
        // nsinit's accord for a caller without root.
        c.user_ns_refused = !c.has(CLONE_NEWUSER);
        Ok(())
    }
}

/// `ociVersion`: 1.0.0 to 1.2.x, with any suffix (`1.0.2-dev`).
fn oci_version(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    let v = j.text()?;
    let mut parts = v.splitn(3, |&c| c == b'.');
    let ok = parts.next() == Some(b"1") && matches!(parts.next(), Some(b"0" | b"1" | b"2")) && parts.next().is_some_and(|p| p.first().is_some_and(u8::is_ascii_digit));
    if !ok {
        return Err(fail!("unsupported version (nsinit reads 1.0.0 to 1.2.x)", v));
    }
    m.seen |= SEEN_VERSION;
    Ok(())
}

/// `root`: `path` (relative to the bundle) and `readonly`.
fn root(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    j.object(|j, key| crate::by_key!(key,
        "path" => {
            let path = j.string()?;
            if path.bytes().is_empty() {
                return Err(fail!("expected a path"));
            }
            m.c.root = Some(match path.bytes().first() {
                Some(b'/') => path,
                _ => m.arena.join(m.dir, path.bytes())?,
            });
            m.seen |= SEEN_ROOT;
            Ok(())
        },
        "readonly" => {
            m.c.read_only = j.bool()?;
            Ok(())
        },
        _ => j.skip(),
    ))
}

/// `annotations`: string to string, kept for the state.
fn annotations(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    j.object(|j, key| {
        let value = j.string()?;
        let key = m.arena.put(&[key])?;
        m.c.identity.annotations.push((key, value)).map_err(|_| fail!("too many annotations (at most 128)"))
    })
}

/// A field nsinit cannot honour: an error unless it is absent in effect
/// (`null`, `false`, `""`, `[]`, `{}`).
pub fn unsupported(j: &mut Json<'static>) -> Result<(), Fail> {
    let empty = match j.peek()? {
        Kind::Null => j.null()?,
        Kind::Bool => !j.bool()?,
        Kind::String => j.text()?.is_empty(),
        // An array or object alone, with nothing in it.
        Kind::Array | Kind::Object => j.skip_counted()? == 1,
        Kind::Number => false,
    };
    if empty { Ok(()) } else { Err(fail!("not supported")) }
}

/// An absolute path in the container, as the spec wants for `cwd`, mount
/// destinations, masked and read-only paths.
pub fn absolute(j: &mut Json<'static>) -> Result<ZStr<'static>, Fail> {
    let path = j.string()?;
    let bytes = path.bytes();
    if bytes.first() != Some(&b'/') {
        return Err(fail!("expected an absolute path", bytes));
    }
    Ok(path)
}

/// A string, `None` when empty (an empty label, type or path is unset).
#[inline(never)]
pub fn optional(j: &mut Json<'static>) -> Result<Option<ZStr<'static>>, Fail> {
    let s = j.string()?;
    Ok(Some(s).filter(|s| !s.bytes().is_empty()))
}

/// An integer from 0 to `max`, else `what` (an integer out of `u32` is the
/// parser's error).
#[inline(never)]
pub fn at_most(j: &mut Json<'static>, max: u32, what: json::Message) -> Result<u32, Fail> {
    match j.u32()? {
        n if n <= max => Ok(n),
        _ => Err(Fail::code(what)),
    }
}

/// Whether this process is in a user namespace other than the host's: its
/// uid_map is not the initial namespace's (`initial_uid_map`). An
/// unreadable map counts as the host's.
#[cold]
pub fn in_user_namespace() -> bool {
    let mut buf = [0u8; 128];
    let Ok(fd) = sys::open(ZStr::new(c"/proc/self/uid_map"), O_RDONLY | O_CLOEXEC, 0).map(sys::OwnedFd) else { return false };
    let n = sys::read(fd.0, &mut buf).unwrap_or(0);
    n != 0 && !initial_uid_map(&buf[..n])
}

/// Whether `map` (a uid_map's text) is the initial user namespace's: the
/// one line `0 0 4294967295`, as runc's `RunningInUserNS` reads it.
pub fn initial_uid_map(map: &[u8]) -> bool {
    let mut words = map.split(|c| c.is_ascii_whitespace()).filter(|w| !w.is_empty());
    words.next() == Some(b"0") && words.next() == Some(b"0") && words.next() == Some(b"4294967295") && words.next().is_none()
}

/// Fixed room for the strings the mapping makes.
pub struct Arena {
    free: &'static mut [u8],
}

impl Arena {
    pub fn new(room: &'static mut [u8]) -> Arena {
        Arena { free: room }
    }

    /// `parts` concatenated, NUL-terminated.
    pub fn put(&mut self, parts: &[&[u8]]) -> Result<ZStr<'static>, Fail> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len >= self.free.len() {
            return Err(fail!("strings made from the file too long in all (at most 32 KiB)"));
        }
        let free = core::mem::take(&mut self.free);
        let (made, rest) = free.split_at_mut(len + 1);
        let mut at = 0;
        for p in parts {
            made[at..at + p.len()].copy_from_slice(p);
            at += p.len();
        }
        made[len] = 0;
        self.free = rest;
        let made: &'static [u8] = made;
        ZStr::from_bytes_until_nul(made).ok_or_else(|| fail!("a NUL byte in a string"))
    }

    /// `dir/name`, or `name` when `dir` is empty or `.`.
    pub fn join(&mut self, dir: &[u8], name: &[u8]) -> Result<ZStr<'static>, Fail> {
        match dir {
            b"" | b"." => self.put(&[name]),
            _ if dir.ends_with(b"/") => self.put(&[dir, name]),
            _ => self.put(&[dir, b"/", name]),
        }
    }
}

/// `--pid-file FILE`: the container's PID, in decimal without a newline,
/// as runc writes it.
pub fn write_pid_file(path: ZStr<'_>, pid: i32) -> Result<(), Error> {
    let mut digits = crate::text::ZBuf::<16>::new();
    let _ = digits.push_num(pid as u64, 10);
    let fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644).map_err(|e| Error::sys("open", path.bytes(), e).push(b" (--pid-file)"))?;
    let written = sys::write(fd, digits.bytes());
    let _ = sys::close(fd);
    match written {
        Ok(n) if n == digits.len() => Ok(()),
        Ok(_) => Err(Error::sys("write", path.bytes(), sys::Errno::EIO).push(b" (--pid-file)")),
        Err(e) => Err(Error::sys("write", path.bytes(), e).push(b" (--pid-file)")),
    }
}

#[cfg(test)]
mod tests;
