//! The command line: `nsinit [OPTION]... [--] COMMAND [ARG]...`.
//!
//! A `--config FILE` is applied first, wherever it stands, so that every
//! other option on the command line overrides or adds to the file's.

use super::Container;
use super::file;
use super::options::{At, Builder, HELP, Key, Opt, VERSION, find, lookup};
use super::paths::PathRoom;
use super::{Payload, which};
use crate::error::Error;
use crate::sys::ZStr;
use heapless::Vec;

pub enum Action<'a> {
    /// Start the container that `parse` described.
    Run(Mode),
    Help,
    Version,
    /// `nsinit run ...`, or `--bundle DIR` on this command line: the
    /// container is the bundle's, which `oci::load` reads into the
    /// description; a `payload` on the command line replaces its
    /// `process.args`.
    #[cfg(feature = "oci")]
    Bundle { request: BundleRequest<'a>, mode: Mode, payload: Option<&'a [Option<ZStr<'a>>]> },
    /// `nsinit spec [--rootless] [--bundle DIR]`: write a `config.json`.
    #[cfg(feature = "oci")]
    Spec { bundle: Option<ZStr<'a>>, rootless: bool },
    /// runc's lifecycle (`create`, `start`, `state`, `kill`, `delete`),
    /// with runc's global options.
    #[cfg(feature = "oci")]
    Lifecycle { global: super::runc::Global<'a>, command: super::runc::Lifecycle<'a> },
    /// Without the feature `oci` nothing here borrows the argv; never made.
    #[cfg(not(feature = "oci"))]
    #[doc(hidden)]
    Unused(core::marker::PhantomData<&'a ()>, core::convert::Infallible),
}

/// What `nsinit run` and `--bundle` name on the command line.
#[derive(Clone, Copy, Debug)]
pub struct BundleRequest<'a> {
    /// The bundle directory (`.` by default).
    pub bundle: ZStr<'a>,
    /// `nsinit run`'s container ID; `None` for `--bundle` on the
    /// bubblewrap-style line.
    pub id: Option<ZStr<'a>>,
    /// `--pid-file FILE`: where the container's PID goes once it runs.
    pub pid_file: Option<ZStr<'a>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Start the container once and wait for it; `timings` is `--timings`.
    Once { timings: bool },
    /// `nsinit bench`: start it `runs` times, `jobs` at a time.
    Bench { runs: u32, jobs: u32 },
}

/// Most starts one `nsinit bench` measures.
pub const BENCH_MAX_RUNS: u32 = 100_000;
/// Most containers `nsinit bench` starts at once.
pub const BENCH_MAX_JOBS: u32 = 64;

/// Parses nsinit's argv (`argv[0]` first, the terminating `None` last) into
/// `container`. `load` reads a config file into a buffer that ends with a
/// newline; `room` (`PATH_ROOM` bytes will do) takes the paths that are
/// cleaned or made relative to the config file.
pub fn parse<'a>(
    argv: &'a [Option<ZStr<'a>>],
    load: &mut dyn FnMut(ZStr<'a>) -> Result<&'a mut [u8], Error>,
    room: &'a mut [u8],
    container: &mut Container<'a>,
) -> Result<Action<'a>, Error> {
    #[cfg(feature = "oci")]
    // runc exits 1 on every failure of its line (`oci::lifecycle`).
    if let Some((global, at)) = super::runc::global(argv).map_err(|e| e.with_code(1))? {
        let verb = argv.get(at).copied().flatten().and_then(|w| which(w.bytes(), super::runc::COMMANDS));
        return match verb {
            Some(0) if !super::runc::detaches(argv, at + 1) => runc_run(argv, at),
            Some(1) => runc_spec(argv, at),
            _ => Ok(Action::Lifecycle { global, command: super::runc::lifecycle(argv, at).unwrap_or(super::runc::Lifecycle::Invalid) }),
        };
    }
    let bench = bench_flags(argv)?;
    let first = bench.map_or(1, |(_, _, first)| first);
    let mut config = None;
    let mut asked = None;
    let mut timings = false;
    #[cfg(feature = "oci")]
    let (mut bundle, mut other) = (None, None);
    let payload_at = walk(argv, first, &mut |opt, args| {
        match (opt.key, args) {
            (Key::Help, _) => asked = asked.or(Some(true)),
            (Key::Version, _) => asked = asked.or(Some(false)),
            (Key::Timings, _) => timings = true,
            (Key::Config, [path]) if config.is_none() => config = Some(*path),
            (Key::Config, _) => return Err(Error::new(b"--config: given twice")),
            #[cfg(feature = "oci")]
            (Key::Bundle, [dir]) if bundle.is_none() => bundle = Some(*dir),
            #[cfg(feature = "oci")]
            (Key::Bundle, _) => return Err(Error::new(b"--bundle: given twice")),
            #[cfg(feature = "oci")]
            _ => other = other.or(Some(opt)),
            #[cfg(not(feature = "oci"))]
            _ => {}
        }
        Ok(())
    })?;
    match asked {
        Some(true) => return Ok(Action::Help),
        Some(false) => return Ok(Action::Version),
        None => {}
    }
    #[cfg(feature = "oci")]
    if let Some(dir) = bundle {
        // The bundle's config.json is the whole description.
        if let Some(name) = config.map(|_| "config").or(other.map(Opt::name)) {
            return Err(Error::new(b"--bundle: the bundle's config.json describes the container; --").push(name.as_bytes()).push(b" does not go with it"));
        }
        let mode = match bench {
            Some((runs, jobs, _)) if !timings => Mode::Bench { runs, jobs },
            Some(_) => return Err(Error::new(b"bench: --timings does not go with bench")),
            None => Mode::Once { timings },
        };
        let payload = argv.get(payload_at).copied().flatten().map(|_| &argv[payload_at..]);
        return Ok(Action::Bundle { request: BundleRequest { bundle: dir, id: None, pid_file: None }, mode, payload });
    }

    let mut room = PathRoom::new(room);
    let config = match config {
        Some(path) => Some(room.path(b"", path, false).map_err(|_| Error::new(b"--config: path too long"))?),
        None => None,
    };
    let mut builder = Builder::new(container, room);
    if let Some(path) = config {
        file::apply(&mut builder, path, load(path)?)?;
    }
    walk(argv, first, &mut |opt, args| if opt.cli_only() { Ok(()) } else { builder.apply(opt, args, At::Cli) })?;
    // A payload on the command line replaces the file's.
    if argv.get(payload_at).copied().flatten().is_some() {
        builder.c.process.args = Payload::Argv(&argv[payload_at..]);
    }
    let mode = match bench {
        Some((_, jobs, _)) if cfg!(feature = "userns") && jobs > 1 && builder.c.overlay_upper.is_some() => {
            return Err(Error::new(b"bench: one --overlay-upper serves one container at a time; use -j 1"));
        }
        Some((runs, jobs, _)) if !timings => Mode::Bench { runs, jobs },
        Some(_) => return Err(Error::new(b"bench: --timings does not go with bench")),
        None => Mode::Once { timings },
    };
    builder.finish()?;
    Ok(Action::Run(mode))
}

/// `nsinit bench [-n N] [-j J] ...`: `None` when the first word is not
/// `bench`; else the runs, the jobs, and where the options start.
fn bench_flags(argv: &[Option<ZStr<'_>>]) -> Result<Option<(u32, u32, usize)>, Error> {
    if argv.get(1).copied().flatten().is_none_or(|w| w.bytes() != b"bench") {
        return Ok(None);
    }
    let (mut runs, mut jobs, mut i) = (200, 1, 2);
    loop {
        let flag = argv.get(i).copied().flatten().map(|w| w.bytes());
        let (target, max, what): (&mut u32, u32, &[u8]) = match flag {
            Some(b"-n") => (&mut runs, BENCH_MAX_RUNS, b"-n: expected a number of starts from 1 to 100000"),
            Some(b"-j") => (&mut jobs, BENCH_MAX_JOBS, b"-j: expected a number of parallel starts from 1 to 64"),
            _ => return Ok(Some((runs, jobs, i))),
        };
        let value = argv.get(i + 1).copied().flatten().map(|w| w.bytes()).unwrap_or(b"");
        *target = super::parse_number(value)
            .filter(|n| (1..=u64::from(max)).contains(n))
            .map(|n| n as u32)
            .ok_or_else(|| Error::new(b"bench ").push(what).push(b"; got '").push(value).push(b"'"))?;
        i += 2;
    }
}

/// `nsinit run [--bundle DIR] [--pid-file FILE] ID`, as `runc run` takes it.
#[cfg(feature = "oci")]
fn runc_run<'a>(argv: &'a [Option<ZStr<'a>>], at: usize) -> Result<Action<'a>, Error> {
    let mut request = BundleRequest { bundle: ZStr::new(c"."), id: None, pid_file: None };
    let mut i = at + 1;
    while let Some(Some(word)) = argv.get(i) {
        let value = argv.get(i + 1).copied().flatten();
        let w = word.bytes();
        let target = match which(w, "--help -h --bundle -b --pid-file") {
            Some(0 | 1) => return Ok(Action::Help),
            Some(2 | 3) => &mut request.bundle,
            Some(_) => request.pid_file.insert(*word),
            None if w.first() == Some(&b'-') => return Err(Error::new(b"run: unknown option '").push(w).push(b"' (see --help)")),
            None if request.id.is_none() => {
                request.id = Some(*word);
                i += 1;
                continue;
            }
            None => return Err(Error::new(b"run: one ID only; got '").push(w).push(b"' after it")),
        };
        *target = value.ok_or_else(|| Error::new(b"run: ").push(word.bytes()).push(b": expected a path"))?;
        i += 2;
    }
    if request.id.is_none() {
        return Err(Error::new(b"run: no container ID given (usage: nsinit run [--bundle DIR] [--pid-file FILE] ID)"));
    }
    Ok(Action::Bundle { request, mode: Mode::Once { timings: false }, payload: None })
}

/// `nsinit spec [--rootless] [--bundle DIR]`.
#[cfg(feature = "oci")]
fn runc_spec<'a>(argv: &'a [Option<ZStr<'a>>], at: usize) -> Result<Action<'a>, Error> {
    let (mut bundle, mut rootless) = (None, false);
    let mut i = at + 1;
    while let Some(Some(word)) = argv.get(i) {
        match which(word.bytes(), "--help -h --rootless --bundle -b") {
            Some(0 | 1) => return Ok(Action::Help),
            Some(2) => rootless = true,
            Some(_) => {
                i += 1;
                bundle = Some(argv.get(i).copied().flatten().ok_or_else(|| Error::new(b"spec: --bundle: expected a path"))?);
            }
            None => {
                let w = word.bytes();
                return Err(Error::new(b"spec: unexpected '").push(w).push(b"' (usage: nsinit spec [--rootless] [--bundle DIR])"));
            }
        }
        i += 1;
    }
    Ok(Action::Spec { bundle, rootless })
}


/// Calls `f` for each option with its words, in order, from `argv[first]`;
/// returns the index in `argv` where the payload starts. With the feature
/// `compat`, options may be spelled as other tools spell them
/// (`other_spelling`).
#[allow(clippy::type_complexity)] // one callback, spelled out once
fn walk<'a>(
    argv: &'a [Option<ZStr<'a>>],
    first: usize,
    f: &mut dyn FnMut(&'static Opt, &[ZStr<'a>]) -> Result<(), Error>,
) -> Result<usize, Error> {
    let mut i = first;
    while let Some(Some(whole)) = argv.get(i) {
        let word = whole.bytes();
        if word == b"--" {
            return Ok(i + 1);
        }
        if word.first() != Some(&b'-') {
            return Ok(i);
        }
        let unknown = || Error::new(b"unknown option '").push(word).push(b"' (see --help)");
        let mut args: Vec<ZStr<'a>, 2> = Vec::new();
        let opt = match which(word, "--help -h --version") {
            Some(0 | 1) => HELP,
            Some(_) => VERSION,
            None if cfg!(feature = "compat") => other_spelling(*whole, &mut args)?.ok_or_else(unknown)?,
            None => word.strip_prefix(&b"--"[..]).and_then(find).ok_or_else(unknown)?,
        };
        while args.len() < opt.arity() {
            i += 1;
            match argv.get(i).copied().flatten() {
                Some(arg) if args.push(arg).is_ok() => {}
                _ => return Err(At::Cli.wrong_arity(opt)),
            }
        }
        f(opt, &args)?;
        i += 1;
    }
    Ok(i)
}

/// An option word as other tools spell it (`whole` is `--NAME[=VALUE]`):
/// the option, with the words it already holds put in `args`: bubblewrap's
/// `--unshare-net` holds `net` (`options::lookup`), getopt_long's
/// `--rootfs=DIR` holds DIR. `None` for no option.
fn other_spelling<'a>(whole: ZStr<'a>, args: &mut Vec<ZStr<'a>, 2>) -> Result<Option<&'static Opt>, Error> {
    let Some(after_dashes) = whole.bytes().strip_prefix(&b"--"[..]) else { return Ok(None) };
    let eq = after_dashes.iter().position(|&c| c == b'=');
    let name = &after_dashes[..eq.unwrap_or(after_dashes.len())];
    let Some((opt, given)) = lookup(name) else { return Ok(None) };
    let given = given.map(|at| whole.skip(2 + at));
    let inline = eq.map(|at| whole.skip(2 + at + 1));
    for arg in given.into_iter().chain(inline) {
        if args.len() == opt.arity() || args.push(arg).is_err() {
            return Err(Error::new(b"--").push(name).push(b": takes no argument"));
        }
    }
    Ok(Some(opt))
}

#[cfg(test)]
mod tests {
    use super::super::{EnvOp, MountKind};
    use super::*;
    use super::super::test_argv as argv;
    use linux_raw_sys::general::*;

    fn no_file(_: ZStr<'static>) -> Result<&'static mut [u8], Error> {
        panic!("no config file expected")
    }

    fn parsed(words: &[&str]) -> Result<(Action<'static>, Container<'static>), String> {
        let mut c = Container::new();
        match parse(argv(words), &mut no_file, super::super::test_room(), &mut c) {
            Ok(action) => Ok((action, c)),
            Err(e) => Err(e.text()),
        }
    }

    fn run(words: &[&str]) -> Result<Container<'static>, String> {
        match parsed(words)? {
            (Action::Run(_), c) => Ok(c),
            _ => Err("help or version".into()),
        }
    }

    fn args_of(c: &Container<'_>) -> std::vec::Vec<String> {
        c.process.args.argv().iter().flatten().map(|z| String::from_utf8_lossy(z.bytes()).into_owned()).collect()
    }

    fn dests(c: &Container<'_>) -> std::vec::Vec<(MountKind, String)> {
        c.mounts.iter().map(|m| (m.kind, String::from_utf8_lossy(m.destination.bytes()).into_owned())).collect()
    }

    #[test]
    fn rootfs_alone_gives_the_runc_spec_container() {
        let c = run(&["--rootfs", "/srv/box", "sh"]).unwrap();
        assert_eq!(c.namespaces, CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
        assert_eq!(
            dests(&c),
            [
                (MountKind::Proc, "/proc".into()),
                (MountKind::Dev, "/dev".into()),
                (MountKind::Mqueue, "/dev/mqueue".into()),
                (MountKind::Sysfs, "/sys".into()),
                (MountKind::Cgroup, "/sys/fs/cgroup".into())
            ]
        );
        assert!(c.mounts[3].read_only());
        assert!(c.mounts[4].read_only());
        assert_eq!(c.hostname.map(|h| h.bytes()), Some(&b"nsinit"[..]));
        assert_eq!(args_of(&c), ["sh"]);
        assert_eq!(c.process.args.argv().last(), Some(&None));
    }

    #[test]
    fn bare_turns_defaults_off() {
        let c = run(&["--bare", "--rootfs", "/srv/box", "--", "sh", "-c", "x"]).unwrap();
        assert_eq!(c.namespaces, CLONE_NEWNS);
        assert!(c.mounts.is_empty());
        assert!(c.hostname.is_none());
        assert_eq!(args_of(&c), ["sh", "-c", "x"]);
    }

    #[test]
    fn share_and_unshare_adjust_the_defaults_last_word_wins() {
        let c = run(&["--rootfs", "/r", "--share", "net,ipc", "--unshare", "cgroup", "--unshare", "ipc", "x"]).unwrap();
        assert_eq!(c.namespaces, CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWCGROUP);
        let c = run(&["--unshare", "all", "--share", "time,cgroup", "x"]).unwrap();
        assert_eq!(c.namespaces, CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
    }

    #[test]
    fn without_rootfs_nothing_is_unshared_unless_asked() {
        let c = run(&["true"]).unwrap();
        assert_eq!(c.namespaces, 0);
        assert!(c.mounts.is_empty());
        assert!(c.root.is_none());
    }

    #[test]
    fn hostname_and_mounts_bring_their_namespace() {
        let c = run(&["--hostname", "h", "--tmpfs", "/tmp", "x"]).unwrap();
        assert_eq!(c.namespaces, CLONE_NEWUTS | CLONE_NEWNS);
        let e = run(&["--share", "uts", "--hostname", "h", "x"]).unwrap_err();
        assert!(e.contains("need the uts namespace"), "{e}");
        let e = run(&["--rootfs", "/r", "--share", "mnt", "x"]).unwrap_err();
        assert!(e.contains("need the mount namespace"), "{e}");
    }

    #[test]
    fn mounts_keep_their_order_and_user_mounts_replace_defaults() {
        let c = run(&[
            "--rootfs", "/r", "--size", "1M", "--mode", "1777", "--tmpfs", "/tmp", "--bind", "/a", "/b",
            "--ro-bind", "/c", "/d", "--proc", "/proc", "--tmpfs", "/run", "x",
        ])
        .unwrap();
        let d = dests(&c);
        assert_eq!(d[0], (MountKind::Dev, "/dev".into()));
        assert_eq!(d[1], (MountKind::Mqueue, "/dev/mqueue".into()));
        assert_eq!(d[2], (MountKind::Sysfs, "/sys".into()));
        assert_eq!(d[3], (MountKind::Cgroup, "/sys/fs/cgroup".into()));
        assert_eq!(d[4], (MountKind::Tmpfs, "/tmp".into()));
        assert_eq!(c.mounts[4].data.map(|d| d.bytes()), Some(&b"size=1M,mode=1777"[..]));
        assert_eq!(d[5], (MountKind::Bind, "/b".into()));
        assert!(!c.mounts[5].read_only());
        assert_eq!(c.mounts[5].source.map(|s| s.bytes()), Some(&b"/a"[..]));
        assert!(c.mounts[6].read_only());
        assert_eq!(d[7], (MountKind::Proc, "/proc".into()));
        assert_eq!(c.mounts[8].data, None, "size and mode apply to one tmpfs only");
    }

    #[cfg(feature = "mounts")]
    #[test]
    fn mount_takes_docker_words_and_the_option_table() {
        let text = |z: Option<ZStr<'_>>| z.map(|z| String::from_utf8_lossy(z.bytes()).into_owned());
        let c = run(&["--mount", "type=tmpfs,destination=/t/,size=1M,ro,nosuid,mode=1777,rshared,rro", "x"]).unwrap();
        let m = c.mounts[0];
        assert_eq!((m.kind, text(m.fstype).as_deref(), text(Some(m.destination)).as_deref()), (MountKind::Other, Some("tmpfs"), Some("/t")));
        assert_eq!((m.flags, m.propagation, m.attr_set), (MS_RDONLY | MS_NOSUID | MS_NODEV, MS_SHARED | MS_REC, MOUNT_ATTR_RDONLY));
        assert_eq!(text(m.data).as_deref(), Some("size=1M,mode=1777"));
        assert_eq!(c.namespaces, CLONE_NEWNS, "a mount brings its namespace");
        // As docker's and podman's: the whole tree unless `bind` says otherwise.
        let m = run(&["--mount", "type=bind,src=/a/,dst=/b,readonly", "x"]).unwrap().mounts[0];
        assert_eq!((m.flags, text(m.source).as_deref(), m.data), (MS_BIND | MS_REC | MS_RDONLY | MS_NODEV, Some("/a"), None));
        let m = run(&["--mount=type=bind,source=/a,target=/b,bind,rro", "x"]).unwrap().mounts[0];
        assert_eq!((m.flags, m.attr_set), (MS_BIND | MS_NODEV, MOUNT_ATTR_RDONLY));
        let m = run(&["--mount", "dst=/b,rbind,type=none,src=/a", "x"]).unwrap().mounts[0];
        assert_eq!((m.flags, text(m.fstype).as_deref()), (MS_BIND | MS_REC | MS_NODEV, Some("none")));
        // nodev unless `dev` says otherwise (no device cgroup by default).
        let m = run(&["--mount", "type=tmpfs,dst=/t,dev", "x"]).unwrap().mounts[0];
        assert_eq!((m.flags, m.cleared), (0, MS_NODEV));
        let m = run(&["--mount", "type=proc,dst=/proc,source=proc,remount,rw,suid", "x"]).unwrap().mounts[0];
        assert_eq!((m.flags, m.cleared, text(m.source).as_deref()), (MS_REMOUNT, MS_RDONLY | MS_NOSUID, Some("proc")));
        assert_eq!(run(&["--mount", "type=sysfs,dst=/s", "x"]).unwrap().mounts[0].kind, MountKind::Sysfs);
        assert_eq!(run(&["--mount", "type=cgroup,dst=/c", "x"]).unwrap().mounts[0].kind, MountKind::Cgroup);
        let c = run(&["--rootfs-propagation", "rprivate", "x"]).unwrap();
        assert_eq!((c.rootfs_propagation, c.namespaces), (MS_PRIVATE | MS_REC, CLONE_NEWNS));
        assert!(!c.is_trivial());
        let long = format!("type=tmpfs,dst=/t,{}", "x".repeat(4096));
        let cases: &[(&[&str], &str)] = &[
            (&["--mount", "type=tmpfs", "x"], "nsinit: --mount: expected type=TYPE,destination=DST[,source=SRC][,OPTION...]; got 'type=tmpfs'"),
            (&["--mount", "dst=/x,size=1", "x"], "nsinit: --mount: expected type=TYPE,destination=DST[,source=SRC][,OPTION...]; got 'dst=/x,size=1'"),
            (&["--mount", "type=,dst=/x", "x"], "nsinit: --mount: an empty value; got 'type=,dst=/x'"),
            (&["--mount", "type=tmpfs,,dst=/x", "x"], "nsinit: --mount: an empty option; got 'type=tmpfs,,dst=/x'"),
            (&["--mount", "type=tmpfs,dst=/x,", "x"], "nsinit: --mount: an empty option; got 'type=tmpfs,dst=/x,'"),
            (&["--mount", "type=bind,dst=/x", "x"], "nsinit: --mount: a bind needs source=SRC; got 'type=bind,dst=/x'"),
            (&["--mount", "type=tmpfs,dst=rel", "x"], "nsinit: --mount: the destination must be an absolute path in the container; got 'rel'"),
            (&["--mount", "type=tmpfs,dst=/a/../b", "x"], "nsinit: --mount: the destination must not contain '..'; got '/a/../b'"),
            (&["--mount", &long, "x"], "nsinit: --mount: filesystem data too long (at most 4095 bytes)"),
            (&["--mount"], "nsinit: --mount: expected type=TYPE,destination=DST[,source=SRC][,OPTION...]"),
            (&["--rootfs-propagation", "rslaves", "x"], "nsinit: --rootfs-propagation: expected private, rprivate, shared, rshared, slave, rslave, unbindable or runbindable; got 'rslaves'"),
            (&["--rootfs-propagation", "ro", "x"], "nsinit: --rootfs-propagation: expected private, rprivate, shared, rshared, slave, rslave, unbindable or runbindable; got 'ro'"),
            (&["--rootfs", "/r", "--share", "mnt", "--rootfs-propagation", "private", "x"], "nsinit: --rootfs and mounts need the mount namespace; drop '--share mnt'"),
        ];
        for (words, want) in cases {
            assert_eq!(run(words).unwrap_err(), *want, "for {words:?}");
        }
    }

    #[test]
    fn environment_operations_keep_their_order() {
        let c = run(&["--setenv", "A", "1", "--clearenv", "--unsetenv", "B", "--setenv", "C", "x y", "x"]).unwrap();
        let ops: std::vec::Vec<_> = c.process.env.iter().copied().collect();
        assert_eq!(
            ops,
            [
                EnvOp::Set(ZStr::new(c"A"), ZStr::new(c"1")),
                EnvOp::Clear,
                EnvOp::Unset(ZStr::new(c"B")),
                EnvOp::Set(ZStr::new(c"C"), ZStr::new(c"x y"))
            ]
        );
    }

    fn mode(words: &[&str]) -> Result<Mode, String> {
        match parsed(words)? {
            (Action::Run(mode), _) => Ok(mode),
            _ => Err("help or version".into()),
        }
    }

    #[test]
    fn bench_takes_runs_and_jobs_then_the_usual_options() {
        assert_eq!(mode(&["bench", "-n", "5", "-j", "2", "--rootfs", "/r", "x"]), Ok(Mode::Bench { runs: 5, jobs: 2 }));
        assert_eq!(mode(&["bench", "-j", "3", "x"]), Ok(Mode::Bench { runs: 200, jobs: 3 }));
        assert_eq!(mode(&["bench", "--", "x"]), Ok(Mode::Bench { runs: 200, jobs: 1 }));
        assert_eq!(mode(&["x", "bench"]), Ok(Mode::Once { timings: false }));
        assert_eq!(mode(&["--", "bench"]), Ok(Mode::Once { timings: false }), "a payload named bench");
        let c = run(&["bench", "-n", "5", "--hostname", "h", "x", "y"]).unwrap();
        assert_eq!(args_of(&c), ["x", "y"]);
        for (words, want) in [
            (&["bench", "-n", "0", "x"][..], "nsinit: bench -n: expected a number of starts from 1 to 100000; got '0'"),
            (&["bench", "-n", "100001", "x"], "nsinit: bench -n: expected a number of starts from 1 to 100000; got '100001'"),
            (&["bench", "-j", "65", "x"], "nsinit: bench -j: expected a number of parallel starts from 1 to 64; got '65'"),
            (&["bench", "-j"], "nsinit: bench -j: expected a number of parallel starts from 1 to 64; got ''"),
            (&["bench", "--timings", "x"], "nsinit: bench: --timings does not go with bench"),
        ] {
            assert_eq!(mode(words), Err(want.to_string()), "for {words:?}");
        }
    }

    #[test]
    fn the_default_container_is_least_privilege_and_bare_leaves_privileges_alone() {
        use super::super::{ALL_CAPABILITIES, DEFAULT_CAPABILITIES, Seccomp};
        let c = run(&["--rootfs", "/r", "x"]).unwrap();
        let caps = c.process.capabilities.unwrap();
        let d = DEFAULT_CAPABILITIES;
        assert_eq!([caps.bounding, caps.effective, caps.inheritable, caps.permitted, caps.ambient], [d, d, 0, d, 0]);
        assert_eq!(d.count_ones(), 14);
        assert!(c.process.no_new_privileges);
        assert_eq!(c.seccomp, Seccomp::Default);
        assert_eq!((c.masked_paths.len(), c.readonly_paths.len()), (10, 5));

        let c = run(&["--bare", "--rootfs", "/r", "x"]).unwrap();
        assert_eq!(c.process.capabilities, None, "--bare: left as they are");
        assert!(!c.process.no_new_privileges);
        assert_eq!(c.seccomp, Seccomp::Off);
        assert!(c.masked_paths.is_empty() && c.readonly_paths.is_empty());
        // Without a root nothing is confined either, unless asked.
        assert_eq!(run(&["--unshare", "pid", "x"]).unwrap().process.capabilities, None);

        let set = |words: &[&str]| run(words).unwrap().process.capabilities.map(|c| c.effective);
        let chown = 1 << CAP_CHOWN;
        assert_eq!(set(&["--bare", "--cap-drop", "CHOWN", "x"]), Some(ALL_CAPABILITIES & !chown), "from all");
        assert_eq!(set(&["--rootfs", "/r", "--cap-drop", "ALL", "--cap-add", "cap_chown", "x"]), Some(chown));
        assert_eq!(set(&["--rootfs", "/r", "--cap-add", "Chown", "--cap-drop", "all", "x"]), Some(0), "the last word wins");
        assert_eq!(set(&["--rootfs", "/r", "--cap-add", "SYS_ADMIN", "x"]), Some(d | 1 << CAP_SYS_ADMIN));

        // [bounding, effective, inheritable, permitted, ambient]: root's
        // inheritable set is empty; a non-root user has only what is added.
        let sets = |words: &[&str]| {
            run(words).unwrap().process.capabilities.map(|c| [c.bounding, c.effective, c.inheritable, c.permitted, c.ambient])
        };
        let bind = 1 << CAP_NET_BIND_SERVICE;
        assert_eq!(sets(&["--rootfs", "/r", "--user", "1000", "x"]), Some([d, 0, 0, 0, 0]));
        assert_eq!(sets(&["--rootfs", "/r", "--user", "0:1000", "x"]), Some([d, d, 0, d, 0]));
        assert_eq!(sets(&["--rootfs", "/r", "--user", "1000", "--cap-add", "NET_BIND_SERVICE", "x"]), Some([d, bind, bind, bind, bind]));
        assert_eq!(
            sets(&["--rootfs", "/r", "--user", "1000", "--cap-add", "NET_BIND_SERVICE", "--cap-drop", "net_bind_service", "x"]),
            Some([d & !bind, 0, 0, 0, 0]),
            "the last word wins"
        );
        assert_eq!(sets(&["--rootfs", "/r", "--user", "1000", "--cap-add", "ALL", "x"]).map(|s| s[4]), Some(ALL_CAPABILITIES));
        assert_eq!(sets(&["--bare", "--user", "1000", "--cap-drop", "CHOWN", "x"]), Some([ALL_CAPABILITIES & !1, 0, 0, 0, 0]));
        assert_eq!(sets(&["--bare", "--user", "1000", "x"]), None, "--bare: the kernel's rule, nothing kept");
        // A name is taken for a user other than root until it is looked up.
        assert_eq!(sets(&["--rootfs", "/r", "--user", "root", "x"]), Some([d, 0, 0, 0, 0]));
        assert_eq!(sets(&["--rootfs", "/r", "--user", "0:wheel", "x"]), Some([d, d, 0, d, 0]));

        assert!(!run(&["--rootfs", "/r", "--allow-new-privs", "x"]).unwrap().process.no_new_privileges);
        let seccomp = |word: &str| run(&["--rootfs", "/r", "--seccomp", word, "x"]).unwrap().seccomp;
        assert_eq!(seccomp("off"), Seccomp::Off);
        assert_eq!(seccomp("default"), Seccomp::Default);
        assert!(matches!(seccomp("./p"), Seccomp::Profile(p) if p.bytes() == b"p"));
        assert!(matches!(seccomp("./default"), Seccomp::Profile(p) if p.bytes() == b"default"), "a file named default");
        assert_eq!(run(&["--bare", "--seccomp", "default", "x"]).unwrap().seccomp, Seccomp::Default);

        let c = run(&["--rootfs", "/r", "--mask", "/a", "--ro-path", "/b", "--pass-fd", "5", "x"]).unwrap();
        assert_eq!(c.masked_paths.last().map(|p| p.bytes()), Some(&b"/a"[..]), "after the defaults");
        assert_eq!(c.masked_paths.first().map(|p| p.bytes()), Some(&b"/proc/acpi"[..]));
        assert_eq!(c.readonly_paths.len(), 6);
        assert_eq!(&c.process.pass_fds[..], &[5]);
        let c = run(&["--mask", "/proc/kcore", "x"]).unwrap();
        assert!(c.has(CLONE_NEWNS), "a mask brings the mount namespace it needs");
    }

    #[test]
    fn capabilities_are_named_as_capabilities_7_does() {
        use super::super::options::capability;
        assert_eq!(capability(b"CAP_NET_ADMIN"), Some(1 << CAP_NET_ADMIN));
        assert_eq!(capability(b"net_admin"), Some(1 << CAP_NET_ADMIN));
        assert_eq!(capability(b"Cap_Chown"), Some(1 << CAP_CHOWN));
        assert_eq!(capability(b"checkpoint_restore"), Some(1 << CAP_CHECKPOINT_RESTORE));
        assert_eq!(capability(b"ALL"), Some(super::super::ALL_CAPABILITIES));
        for bad in [&b""[..], b"CAP_", b"NET", b"net_admin ", b"CAP_CAP_CHOWN", &[b'a'; 40]] {
            assert_eq!(capability(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        // Every name stands at its capability's number.
        let names: std::vec::Vec<&str> = super::super::CAPABILITY_NAMES.split(' ').collect();
        assert_eq!(names.len() as u32, CAP_LAST_CAP + 1);
        assert_eq!((names[CAP_SYS_ADMIN as usize], names[CAP_AUDIT_WRITE as usize], names[CAP_BPF as usize]), ("sys_admin", "audit_write", "bpf"));
    }

    #[test]
    fn userns_auto_asks_for_a_user_namespace_whose_maps_come_later() {
        let c = run(&["--rootfs", "/r", "--userns", "auto", "x"]).unwrap();
        assert!(c.userns_auto && c.has(CLONE_NEWUSER));
        assert!(c.uid_maps.is_empty() && c.gid_maps.is_empty());
        assert!(!run(&["--rootfs", "/r", "x"]).unwrap().userns_auto);
        let cases: &[(&[&str], &str)] = &[
            (&["--userns", "Auto", "x"], "nsinit: --userns: expected auto; got 'Auto'"),
            (&["--userns", "auto", "--gid-map", "0:1:1", "x"], "nsinit: --userns auto and --uid-map/--gid-map both give the maps; give one"),
            (&["--userns", "auto", "--share", "user", "x"], "nsinit: --userns auto needs the user namespace; drop '--share user'"),
        ];
        for (words, want) in cases {
            assert_eq!(run(words).unwrap_err(), *want, "for {words:?}");
        }
        // --share user before it is overridden, as for --unshare user.
        assert!(run(&["--share", "user", "--userns", "auto", "x"]).unwrap().has(CLONE_NEWUSER));
    }

    #[test]
    fn paths_are_cleaned_and_a_default_mount_point_however_spelled_is_replaced() {
        let c = run(&["--rootfs", "/srv//box/", "--proc", "/proc/", "--tmpfs", "//dev/./", "--bind", "a/./b/", "/x//y/", "x"]).unwrap();
        assert_eq!(c.root.map(|r| r.bytes()), Some(&b"/srv/box"[..]));
        assert_eq!(
            dests(&c),
            [
                (MountKind::Mqueue, "/dev/mqueue".into()),
                (MountKind::Sysfs, "/sys".into()),
                (MountKind::Cgroup, "/sys/fs/cgroup".into()),
                (MountKind::Proc, "/proc".into()),
                (MountKind::Tmpfs, "/dev".into()),
                (MountKind::Bind, "/x/y".into()),
            ]
        );
        assert_eq!(c.mounts[5].source.map(|s| s.bytes()), Some(&b"a/b"[..]));
        let c = run(&["--overlay", "l1/:/l2//", "--overlay-upper", "./up/.", "--chdir", "/w/", "--mask", "/m/", "--ro-path", "//r", "x"]).unwrap();
        assert_eq!((c.overlay.map(|p| p.bytes()), c.overlay_upper.map(|p| p.bytes())), (Some(&b"l1:/l2"[..]), Some(&b"up"[..])));
        assert_eq!(c.process.cwd.map(|p| p.bytes()), Some(&b"/w"[..]));
        assert_eq!((c.masked_paths.last().map(|p| p.bytes()), c.readonly_paths.last().map(|p| p.bytes())), (Some(&b"/m"[..]), Some(&b"/r"[..])));
        for upper in [".", "..", "a/..", "./"] {
            let e = run(&["--overlay", "l", "--overlay-upper", upper, "x"]).unwrap_err();
            let want = format!("nsinit: --overlay-upper: name the directory itself, not '.' or '..' (its work directory DIR.work goes beside it); got '{upper}'");
            assert_eq!(e, want);
        }
        // `/` has a work directory `/.work`: refused later, as holding the lower layer.
        assert_eq!(run(&["--overlay", "l", "--overlay-upper", "/.", "x"]).unwrap().overlay_upper.map(|p| p.bytes()), Some(&b"/"[..]));
        assert_eq!(
            run(&["bench", "-j", "2", "--overlay", "l", "--overlay-upper", "u", "x"]).unwrap_err(),
            "nsinit: bench: one --overlay-upper serves one container at a time; use -j 1"
        );
        assert!(run(&["bench", "-j", "2", "--overlay", "l", "x"]).is_ok(), "a throwaway upper layer each");
    }

    #[test]
    fn terminal_and_stop_options() {
        let c = run(&["--rootfs", "/r", "--tty", "x"]).unwrap();
        assert!(c.process.terminal);
        assert!(!run(&["--rootfs", "/r", "x"]).unwrap().process.terminal);
        // --stop-timeout applies without --init too (issue 12).
        let c = run(&["--stop-timeout", "5", "x"]).unwrap();
        assert_eq!((c.stop_timeout, c.init.enabled), (Some(5), false));
        assert_eq!(run(&["x"]).unwrap().stop_timeout, None, "the defaults are the runtime's");
        let c = run(&["--init-foreground", "x"]).unwrap();
        assert_eq!((c.init.enabled, c.init.foreground, c.init.pgroup), (true, true, false));
        assert_eq!(run(&["--tty", "1", "x"]).map(|c| args_of(&c)), Ok(vec!["1".to_string(), "x".to_string()]), "takes no argument");
        assert_eq!(
            run(&["--stop-timeout", "3601", "x"]).unwrap_err(),
            "nsinit: --stop-timeout: expected whole seconds from 0 to 3600; got '3601'"
        );
    }

    #[test]
    fn timings_is_a_command_line_switch() {
        assert_eq!(mode(&["--timings", "x"]), Ok(Mode::Once { timings: true }));
        assert_eq!(mode(&["x", "--timings"]), Ok(Mode::Once { timings: false }), "the payload's word");
        assert_eq!(mode(&["--timings", "1", "x"]).map(|_| ()), Ok(()), "takes no argument: '1' is the payload");
    }

    #[test]
    fn init_alone_is_trivial_and_anything_set_on_the_process_is_not() {
        assert!(run(&["--init", "x"]).unwrap().is_trivial());
        assert!(run(&["--init", "--setenv", "A", "1", "--pass-fd", "1", "x"]).unwrap().is_trivial(), "the environment and descriptors are the init's to pass");
        for words in [
            &["--user", "1"][..],
            &["--groups", "1"],
            &["--chdir", "/"],
            &["--rlimit", "nofile=10"],
            &["--oom-score-adj", "1"],
            &["--cgroup", "a"],
            &["--pids-max", "10"],
            &["--hostname", "h"],
        ] {
            let words = [&["--init"][..], words, &["x"]].concat();
            assert!(!run(&words).unwrap().is_trivial(), "{words:?}");
        }
    }

    #[test]
    fn user_is_kept_as_given_and_checked() {
        let user = |words: &[&str]| run(words).map(|c| c.process.user.map(|u| String::from_utf8_lossy(u.bytes()).into_owned()));
        assert_eq!(user(&["--user", "alice:staff", "x"]), Ok(Some("alice:staff".into())));
        assert_eq!(user(&["--user", "1", "--user", "2:3", "x"]), Ok(Some("2:3".into())), "the last one wins");
        assert_eq!(user(&["x"]), Ok(None));
        for bad in ["", "a:", "a:b:c", "4294967295"] {
            assert_eq!(
                user(&["--user", bad, "x"]),
                Err(format!("nsinit: --user: expected USER[:GROUP], each a name or a number below 4294967295; got '{bad}'"))
            );
        }
        let groups = (1..=65).map(|g| g.to_string()).collect::<std::vec::Vec<_>>().join(",");
        assert_eq!(run(&["--groups", &groups, "x"]).err(), Some("nsinit: --groups: too many groups (at most 64)".into()));
        assert_eq!(run(&["--groups", &groups[..groups.rfind(',').unwrap()], "x"]).unwrap().process.groups.map(|g| g.len()), Some(64));
    }

    #[test]
    fn help_and_version_win_over_everything() {
        assert!(matches!(parsed(&["--rootfs", "/r", "--help"]), Ok((Action::Help, _))));
        assert!(matches!(parsed(&["-h"]), Ok((Action::Help, _))));
        assert!(matches!(parsed(&["--version", "x"]), Ok((Action::Version, _))));
        // After the payload starts, --help is the payload's.
        assert_eq!(args_of(&run(&["ls", "--help"]).unwrap()), ["ls", "--help"]);
        assert_eq!(args_of(&run(&["--", "--help"]).unwrap()), ["--help"]);
    }

    #[test]
    fn bad_input_says_what_was_expected() {
        let cases: &[(&[&str], &str)] = &[
            (&["--frob", "x"], "nsinit: unknown option '--frob' (see --help)"),
            (&["-x", "y"], "nsinit: unknown option '-x' (see --help)"),
            (&["--bind", "/a"], "nsinit: --bind: expected SRC DST"),
            (&["--rootfs"], "nsinit: --rootfs: expected DIR"),
            (&["--unshare", "uts,usr", "x"], "nsinit: --unshare: expected a comma list of uts,pid,mnt,ipc,net,cgroup,time,user or all; got 'uts,usr'"),
            (&["--size", "12q", "--tmpfs", "/t", "x"], "nsinit: --size: expected a size in bytes, with an optional K, M or G suffix; got '12q'"),
            (&["--mode", "888", "x"], "nsinit: --mode: expected an octal mode such as 0755; got '888'"),
            (&["--mode", "17777", "x"], "nsinit: --mode: expected an octal mode such as 0755; got '17777'"),
            (&["--size", "1M", "x"], "nsinit: --size and --mode apply to the next --tmpfs, and none follows"),
            (&["--tmpfs", "tmp", "x"], "nsinit: --tmpfs: the destination must be an absolute path in the container; got 'tmp'"),
            (&["--bind", "", "/x", "x"], "nsinit: --bind: the source path is empty"),
            (&["--hostname", "", "x"], "nsinit: --hostname: expected a name of 1 to 64 bytes; got ''"),
            (&["--setenv", "A=B", "c", "x"], "nsinit: --setenv: expected a variable name without '='; got 'A=B'"),
            (&["--rootfs", "/r"], "nsinit: no command given (usage: nsinit [OPTION]... [--] COMMAND [ARG]...; see --help)"),
            (&["--rootfs", "/r", "--"], "nsinit: no command given (usage: nsinit [OPTION]... [--] COMMAND [ARG]...; see --help)"),
        ];
        for (words, want) in cases {
            assert_eq!(run(words).unwrap_err(), *want, "for {words:?}");
        }
        let long = "h".repeat(65);
        assert!(run(&["--hostname", &long, "x"]).unwrap_err().contains("1 to 64 bytes"));
    }

    #[test]
    fn bubblewrap_namespace_words_are_unshare_and_share_with_the_word_given() {
        let ns = |words: &[&str]| run(words).map(|c| c.namespaces);
        for (word, bit) in [
            ("user", CLONE_NEWUSER),
            ("ipc", CLONE_NEWIPC),
            ("pid", CLONE_NEWPID),
            ("net", CLONE_NEWNET),
            ("uts", CLONE_NEWUTS),
            ("cgroup", CLONE_NEWCGROUP),
            ("mnt", CLONE_NEWNS),
            ("time", CLONE_NEWTIME),
        ] {
            assert_eq!(ns(&[&format!("--unshare-{word}"), "x"]), Ok(bit), "--unshare-{word}");
            assert_eq!(ns(&[&format!("--unshare-{word}"), "x"]), ns(&["--unshare", word, "x"]));
            let default = ns(&["--rootfs", "/r", "x"]).unwrap();
            assert_eq!(ns(&["--rootfs", "/r", &format!("--share-{word}"), "x"]), ns(&["--rootfs", "/r", "--share", word, "x"]));
            if bit != CLONE_NEWNS {
                assert_eq!(ns(&["--rootfs", "/r", &format!("--share-{word}"), "x"]), Ok(default & !bit), "--share-{word}");
            }
        }
        // bubblewrap's --unshare-all is nsinit's `all`: every namespace but user.
        let all = CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME;
        assert_eq!(ns(&["--unshare-all", "x"]), Ok(all));
        assert_eq!(ns(&["--unshare-all", "--share-net", "x"]), Ok(all & !CLONE_NEWNET), "bubblewrap's usual pair");
        assert_eq!(ns(&["--share-net", "--unshare-net", "x"]), Ok(CLONE_NEWNET), "the last word wins");
        assert!(!run(&["--unshare-user", "x"]).unwrap().user_ns_refused);
        assert!(run(&["--share-user", "x"]).unwrap().user_ns_refused);
        for bad in ["--unshare-", "--unshare-foo", "--unshare-net,pid", "--share-", "--unshare-Net", "--unsharenet"] {
            assert_eq!(run(&[bad, "x"]).unwrap_err(), format!("nsinit: unknown option '{bad}' (see --help)"));
        }
        assert_eq!(run(&["--unshare-net=yes", "x"]).unwrap_err(), "nsinit: --unshare-net: takes no argument");
    }

    #[test]
    fn an_option_value_may_follow_an_equals_sign() {
        let c = run(&["--rootfs=/srv/box", "--hostname=h", "--bind=/a", "/b", "--setenv=A", "1", "--chdir=/w=x", "--size=1M", "--tmpfs=/t", "x"])
            .unwrap();
        assert_eq!(c.root.map(|r| r.bytes()), Some(&b"/srv/box"[..]));
        assert_eq!(c.hostname.map(|r| r.bytes()), Some(&b"h"[..]));
        let bind = c.mounts.iter().find(|m| m.kind == MountKind::Bind).unwrap();
        assert_eq!((bind.source.map(|s| s.bytes()), bind.destination.bytes()), (Some(&b"/a"[..]), &b"/b"[..]));
        assert_eq!(c.process.env[0], EnvOp::Set(ZStr::new(c"A"), ZStr::new(c"1")));
        assert_eq!(c.process.cwd.map(|d| d.bytes()), Some(&b"/w=x"[..]), "only the first '=' splits");
        assert_eq!(c.mounts.iter().find(|m| m.kind == MountKind::Tmpfs).and_then(|m| m.data).map(|d| d.bytes()), Some(&b"size=1M"[..]));
        assert_eq!(args_of(&c), ["x"]);
        assert_eq!(args_of(&run(&["--hostname=h", "--", "--rootfs=/r"]).unwrap()), ["--rootfs=/r"], "the payload's words");
        let cases: &[(&[&str], &str)] = &[
            (&["--bare=1", "x"], "nsinit: --bare: takes no argument"),
            (&["--read-only=", "x"], "nsinit: --read-only: takes no argument"),
            (&["--frob=1", "x"], "nsinit: unknown option '--frob=1' (see --help)"),
            (&["--=x", "x"], "nsinit: unknown option '--=x' (see --help)"),
            (&["--bind=/a"], "nsinit: --bind: expected SRC DST"),
            (&["--hostname=", "x"], "nsinit: --hostname: expected a name of 1 to 64 bytes; got ''"),
            (&["--unshare=usr", "x"], "nsinit: --unshare: expected a comma list of uts,pid,mnt,ipc,net,cgroup,time,user or all; got 'usr'"),
            (&["--rootfs=/r"], "nsinit: no command given (usage: nsinit [OPTION]... [--] COMMAND [ARG]...; see --help)"),
        ];
        for (words, want) in cases {
            assert_eq!(run(words).unwrap_err(), *want, "for {words:?}");
        }
        assert!(matches!(parsed(&["--config=/etc/x.conf", "--help"]), Ok((Action::Help, _))));
        assert_eq!(mode(&["--timings=1", "x"]), Err("nsinit: --timings: takes no argument".to_string()));
    }

    #[test]
    fn new_session_die_with_parent_and_as_pid_1() {
        let c = run(&["--new-session", "--die-with-parent", "x"]).unwrap();
        assert!(c.process.new_session && c.die_with_parent);
        let c = run(&["x"]).unwrap();
        assert!(!c.process.new_session && !c.die_with_parent);
        // A new session needs a process of its own: no longer tini's case.
        assert!(run(&["--init", "x"]).unwrap().is_trivial());
        assert!(!run(&["--init", "--new-session", "x"]).unwrap().is_trivial());
        assert!(run(&["--init", "--die-with-parent", "x"]).unwrap().is_trivial());
        // --as-pid-1 is what a pid namespace without --init gives anyway.
        assert_eq!(run(&["--rootfs", "/r", "--as-pid-1", "x"]).unwrap().namespaces, run(&["--rootfs", "/r", "x"]).unwrap().namespaces);
        assert!(run(&["--unshare-pid", "--as-pid-1", "x"]).is_ok());
        let no_ns = "nsinit: --as-pid-1 needs a pid namespace: add --unshare-pid (--rootfs has one by default)";
        assert_eq!(run(&["--as-pid-1", "x"]).unwrap_err(), no_ns);
        assert_eq!(run(&["--rootfs", "/r", "--share-pid", "--as-pid-1", "x"]).unwrap_err(), no_ns);
        let init = "nsinit: --as-pid-1 and --init contradict: with --init nsinit is PID 1, COMMAND its child";
        assert_eq!(run(&["--rootfs", "/r", "--as-pid-1", "--init", "x"]).unwrap_err(), init);
        assert_eq!(run(&["--init", "--as-pid-1", "x"]).unwrap_err(), init);
    }

    #[test]
    fn capacities_are_errors_not_truncations() {
        let mut words = std::vec::Vec::new();
        for _ in 0..65 {
            words.extend(["--tmpfs", "/t"]);
        }
        words.push("x");
        assert_eq!(run(&words).unwrap_err(), "nsinit: too many mounts (at most 64, defaults included)");
        // 61 user mounts fit alone but not with the 4 defaults.
        let mut words = vec!["--rootfs", "/r"];
        for _ in 0..61 {
            words.extend(["--tmpfs", "/t"]);
        }
        words.push("x");
        assert_eq!(run(&words).unwrap_err(), "nsinit: too many mounts (at most 64, defaults included)");
        let mut words = std::vec::Vec::new();
        for _ in 0..129 {
            words.push("--clearenv");
        }
        words.push("x");
        assert!(run(&words).unwrap_err().contains("too many --setenv"));
        let deep = format!("/{}", "d".repeat(4100));
        assert!(run(&["--rootfs", "/r", "--tmpfs", &deep, "x"]).unwrap_err().contains("too long"));
    }
}
