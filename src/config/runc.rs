//! runc's command line for the lifecycle commands engines drive (issue
//! 14): `nsinit [GLOBAL]... create|start|state|kill|delete [OPTION]... ID`,
//! as podman's conmon and containerd's shim call runc. Pure: what the
//! words ask for; `oci::lifecycle` does it.
//!
//! Options are read as runc's (urfave/cli) are: each before the ID, as
//! `--name value` or `--name=value`, the one-letter forms runc has.

use super::BundleRequest;
use super::which;
use crate::error::Error;
use crate::sys::ZStr;

/// runc's global options, before the command.
#[derive(Clone, Copy, Debug, Default)]
pub struct Global<'a> {
    /// `--root DIR`: where the containers' states are (default
    /// `/run/nsinit`, or `$XDG_RUNTIME_DIR/nsinit` without root and, unless
    /// `$USER` is root, as root of a user namespace: runc's rule).
    pub root: Option<ZStr<'a>>,
    /// `--log FILE`: errors are also appended there.
    pub log: Option<ZStr<'a>>,
    /// `--log-format json`: one JSON object a line (`level`, `msg`, `time`).
    pub log_json: bool,
    /// `--debug`: each command is logged as it starts, at level `debug`.
    pub debug: bool,
}

/// A lifecycle command and what it names.
#[derive(Clone, Copy, Debug)]
pub enum Lifecycle<'a> {
    /// `create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] ID`.
    /// `--preserve-fds N`: descriptors 3 to 2 + N are passed on. `start`:
    /// `run --detach`, which is `create` then `start` (runc's).
    Create { request: BundleRequest<'a>, console_socket: Option<ZStr<'a>>, preserve_fds: u32, start: bool },
    /// `start ID`.
    Start(ZStr<'a>),
    /// `state ID`.
    State(ZStr<'a>),
    /// `kill [--all] ID [SIGNAL]`: the signal's number.
    Kill { id: ZStr<'a>, signal: u32, all: bool },
    /// `delete [--force] ID`.
    Delete { id: ZStr<'a>, force: bool },
    /// `list [-q] [--format table|json]`.
    List { quiet: bool, json: bool },
    /// `ps [--format table|json] ID`: the container's processes.
    Ps { id: ZStr<'a>, json: bool },
    /// `pause ID`, `resume ID`.
    Pause(ZStr<'a>),
    Resume(ZStr<'a>),
    /// `exec [OPTION]... ID [ARG]...`.
    Exec(ExecRequest<'a>),
    /// `events [--stats] [--interval D] ID`: the interval in milliseconds.
    Events { id: ZStr<'a>, stats: bool, interval_ms: u32 },
    /// `update [OPTION]... ID`: the options, walked by `update_options`.
    Update { id: ZStr<'a>, options: &'a [Option<ZStr<'a>>] },
    /// `features`: what this nsinit supports, as runtime-spec's features.md lists it.
    Features,
    /// A command line that did not parse: the error is the current one
    /// (`error::Error` keeps it), reported as every lifecycle failure is.
    Invalid,
}

/// `exec`'s words: its options, walked again by `exec_options` once the
/// container's process is loaded (they change it), the ID, and the
/// command line after the ID (ending with `None`; empty: `--process`).
#[derive(Clone, Copy, Debug)]
pub struct ExecRequest<'a> {
    pub id: ZStr<'a>,
    pub options: &'a [Option<ZStr<'a>>],
    pub args: &'a [Option<ZStr<'a>>],
}

/// `exec`'s options, as runc's; those that take a value end in `=`.
const EXEC_OPTIONS: &str = "--process= -p= --detach -d --pid-file= --tty -t --cwd= --env= -e= --user= -u= --additional-gids= -g= \
--cap= -c= --no-new-privs --console-socket= --preserve-fds= --apparmor= --process-label= --ignore-paused --cgroup=";

/// What `exec_options` calls with each option: its long name and value.
pub type ExecOption<'f, 'a> = dyn FnMut(&str, Option<ZStr<'a>>) -> Result<(), Error> + 'f;

/// Calls `f` with each of `exec`'s options, by its long name without
/// dashes (`env`, `cap`...), and its value.
pub fn exec_options<'a>(options: &'a [Option<ZStr<'a>>], f: &mut ExecOption<'_, 'a>) -> Result<(), Error> {
    walk_options(b"exec", EXEC_OPTIONS, options, f)
}

/// `update`'s options, as runc's (`--resources FILE`, or `-` for the
/// standard input, or one option a limit); those that take a value end in `=`.
const UPDATE_OPTIONS: &str = "--resources= -r= --memory= -m= --memory-swap= --memory-reservation= --kernel-memory= --kernel-memory-tcp= \
--cpu-share= --cpu-shares= --cpu-quota= --cpu-period= --cpu-rt-period= --cpu-rt-runtime= --cpuset-cpus= --cpuset-mems= --pids-limit= --blkio-weight= \
--l3-cache-schema= --mem-bw-schema=";

/// Calls `f` with each of `update`'s options, by its long name without
/// dashes, and its value.
pub fn update_options<'a>(options: &'a [Option<ZStr<'a>>], f: &mut ExecOption<'_, 'a>) -> Result<(), Error> {
    walk_options(b"update", UPDATE_OPTIONS, options, f)
}

/// Walks the options of `command` from its `table` (see `EXEC_OPTIONS`),
/// calling `f` with each one's long name and value.
fn walk_options<'a>(command: &[u8], table: &'static str, options: &'a [Option<ZStr<'a>>], f: &mut ExecOption<'_, 'a>) -> Result<(), Error> {
    let mut i = 0;
    while options.get(i).copied().flatten().is_some() {
        let (option, value) = read_option(command, table, options, &mut i)?;
        let long = match option.trim_end_matches('=') {
            "-p" => "process",
            "-d" => "detach",
            "-t" => "tty",
            "-e" => "env",
            "-u" => "user",
            "-g" => "additional-gids",
            "-c" => "cap",
            "-r" => "resources",
            "-m" => "memory",
            long => long.trim_start_matches('-'),
        };
        f(long, value)?;
        i += 1;
    }
    Ok(())
}

/// The option at `words[*i]`, found in `table` (see `EXEC_OPTIONS`), and
/// its value: after `=` in the word, or the next word (`*i` then moves
/// onto it).
fn read_option<'a>(command: &[u8], table: &'static str, words: &'a [Option<ZStr<'a>>], i: &mut usize) -> Result<(&'static str, Option<ZStr<'a>>), Error> {
    let word = words.get(*i).copied().flatten().ok_or_else(|| usage(command, b"expected an option", b""))?;
    let w = word.bytes();
    let (name, inline) = split_value(w);
    let option = table.split(' ').find(|o| o.trim_end_matches('=').as_bytes() == name);
    let option = option.ok_or_else(|| usage(command, b"unknown option '", w))?;
    let value = match (option.ends_with('='), inline) {
        (false, None) => None,
        (false, Some(_)) => return Err(usage(command, b"unexpected value in '", w)),
        (true, Some(_)) => Some(value_of(Some(word), w, inline)?),
        (true, None) => {
            *i += 1;
            Some(words.get(*i).copied().flatten().ok_or_else(|| usage(command, b"expected a value after ", name))?)
        }
    };
    Ok((option, value))
}

/// Where the options of `table` that start at `argv[from]` end: at the
/// first word that is neither one of them nor an option's value.
fn options_end(table: &str, argv: &[Option<ZStr<'_>>], from: usize) -> usize {
    let mut i = from;
    while let Some(Some(word)) = argv.get(i) {
        let w = word.bytes();
        if w.first() != Some(&b'-') || w == b"-" {
            break;
        }
        let (name, inline) = split_value(w);
        let takes_value = table.split(' ').any(|o| o.ends_with('=') && o.trim_end_matches('=').as_bytes() == name);
        i += if takes_value && inline.is_none() { 2 } else { 1 };
    }
    i.min(argv.len())
}

/// A duration as Go writes one (`500ms`, `5s`, `1m`, `1m30s`), from 1 ms
/// to a day, in milliseconds (`events --interval`).
fn duration_ms(word: &[u8]) -> Option<u32> {
    let (mut total, mut rest) = (0u64, word);
    while !rest.is_empty() {
        let digits = rest.iter().position(|c| !c.is_ascii_digit()).unwrap_or(rest.len());
        let n = crate::config::parse_number(&rest[..digits])?;
        let unit_end = rest[digits..].iter().position(u8::is_ascii_digit).map_or(rest.len(), |i| digits + i);
        let scale = match &rest[digits..unit_end] {
            b"ms" => 1,
            b"s" => 1000,
            b"m" => 60_000,
            b"h" => 3_600_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(scale)?)?;
        rest = &rest[unit_end..];
    }
    (1..=86_400_000).contains(&total).then_some(total as u32)
}

/// `--preserve-fds N`: N descriptors after stdio, at most `MAX_PASS_FDS`.
pub fn preserved_fds(word: &[u8]) -> Result<u32, Error> {
    crate::config::parse_number(word)
        .filter(|&n| n <= crate::config::MAX_PASS_FDS as u64)
        .map(|n| n as u32)
        .ok_or_else(|| Error::new(b"--preserve-fds: expected a number of descriptors from 0 to 16; got '").push(word).push(b"'"))
}

/// Parses `exec [OPTION]... ID [ARG]...` at `argv[at]`.
fn exec_request<'a>(argv: &'a [Option<ZStr<'a>>], at: usize) -> Result<ExecRequest<'a>, Error> {
    let i = options_end(EXEC_OPTIONS, argv, at + 1);
    let options = argv.get(at + 1..i).unwrap_or_default();
    let mut process_file = false;
    exec_options(options, &mut |name, _| {
        match name {
            "cgroup" => return Err(usage(b"exec", b"--cgroup: not supported: the process joins the container's cgroup", b"")),
            "process" => process_file = true,
            _ => {}
        }
        Ok(())
    })?;
    let id = argv.get(i).copied().flatten().ok_or_else(|| usage(b"exec", b"no container ID given", b""))?;
    crate::oci::check_id(b"exec", id.bytes())?;
    let args = argv.get(i + 1..).unwrap_or_default();
    match (process_file, args.first().copied().flatten()) {
        (false, None) => Err(usage(b"exec", b"no command given (a command after the ID, or --process FILE)", b"")),
        (true, Some(word)) => Err(usage(b"exec", b"--process describes the command; unexpected '", word.bytes())),
        _ => Ok(ExecRequest { id, options, args }),
    }
}

/// The commands of runc's line nsinit knows, in `which` order: `run` and
/// `spec` first (`cli::runc_run`, `cli::runc_spec`), then the lifecycle.
pub const COMMANDS: &str = "run spec create start state kill delete list ps pause resume features checkpoint restore exec update events";

/// Reads runc's global options from `argv[1]` on; returns them and where
/// the command is, or `None` when `argv[1]` is neither a global option nor
/// a command of runc's line (then it is nsinit's own line).
pub fn global<'a>(argv: &'a [Option<ZStr<'a>>]) -> Result<Option<(Global<'a>, usize)>, Error> {
    let mut g = Global::default();
    let mut i = 1;
    while let Some(Some(word)) = argv.get(i) {
        let w = word.bytes();
        let (name, inline) = split_value(w);
        let known = which(name, "--root --log --log-format --debug --systemd-cgroup --rootless --criu");
        let Some(known) = known else { break };
        let takes_value = !matches!(known, 3 | 4);
        let value = match (takes_value, inline) {
            (false, None) => None,
            (false, Some(_)) => return Err(Error::new(b"unexpected value in '").push(w).push(b"'")),
            (true, Some(v)) => Some(v),
            (true, None) => {
                i += 1;
                Some(argv.get(i).copied().flatten().ok_or_else(|| Error::new(name).push(b": expected a value"))?.bytes())
            }
        };
        match (known, value) {
            (0, _) => g.root = Some(value_of(argv[i], w, inline)?),
            (1, _) => g.log = Some(value_of(argv[i], w, inline)?),
            (2, Some(b"json")) => g.log_json = true,
            (2, Some(b"text")) => g.log_json = false,
            (2, Some(v)) => return Err(Error::new(b"--log-format: expected text or json; got '").push(v).push(b"'")),
            (4, _) => return Err(Error::new(b"--systemd-cgroup: not supported: nsinit manages cgroups through cgroupfs; leave the option out")),
            (5, Some(b"auto" | b"true" | b"false")) => {}
            (5, Some(v)) => return Err(Error::new(b"--rootless: expected auto, true or false; got '").push(v).push(b"'")),
            (3, _) => g.debug = true,
            // --criu PATH: nothing to do.
            _ => {}
        }
        i += 1;
    }
    let command = argv.get(i).copied().flatten().and_then(|w| which(w.bytes(), COMMANDS));
    match (command, i) {
        (Some(_), _) => Ok(Some((g, i))),
        (None, 1) => Ok(None),
        (None, _) => match argv.get(i).copied().flatten() {
            Some(w) => Err(Error::new(b"unknown command '").push(w.bytes()).push(b"' (commands: ").push(COMMANDS.as_bytes()).push(b")")),
            None => Err(Error::new(b"no command given after the global options (commands: ").push(COMMANDS.as_bytes()).push(b")")),
        },
    }
}

/// `--name=value` as (`--name`, `value`); a word without `=` as itself.
fn split_value(word: &[u8]) -> (&[u8], Option<&[u8]>) {
    match word.iter().position(|&b| b == b'=') {
        Some(at) if word.starts_with(b"--") => (&word[..at], Some(&word[at + 1..])),
        _ => (word, None),
    }
}

/// The value of an option as a C string: the next word, or the part of
/// `--name=value` after `=`, which ends where the word ends.
fn value_of<'a>(next: Option<ZStr<'a>>, word: &[u8], inline: Option<&[u8]>) -> Result<ZStr<'a>, Error> {
    match (inline, next) {
        (Some(v), Some(w)) => Ok(w.skip(w.bytes().len() - v.len())),
        (None, Some(w)) => Ok(w),
        _ => Err(Error::new(word).push(b": expected a value")),
    }
}

/// `create`'s options; those that take a value end in `=`.
const CREATE_OPTIONS: &str = "--bundle= -b= --pid-file= --console-socket= --no-pivot --no-new-keyring --preserve-fds=";

/// Whether `run`'s options, from `argv[from]` on, hold `--detach`: such a
/// run is `create` then `start` (`lifecycle`); a foreground run is nsinit's
/// own start (`cli::runc_run`).
pub fn detaches(argv: &[Option<ZStr<'_>>], from: usize) -> bool {
    let end = options_end(CREATE_OPTIONS, argv, from);
    argv.get(from..end).unwrap_or_default().iter().flatten().any(|w| matches!(w.bytes(), b"--detach" | b"-d"))
}

/// Parses the lifecycle command at `argv[at]` (one of `COMMANDS` past
/// `spec`; `run` only with `--detach`, see `detaches`).
#[cold]
#[inline(never)]
pub fn lifecycle<'a>(argv: &'a [Option<ZStr<'a>>], at: usize) -> Result<Lifecycle<'a>, Error> {
    let command = argv[at].map(|w| w.bytes()).unwrap_or_default();
    let verb = which(command, COMMANDS).unwrap_or(0);
    if verb == 14 {
        return exec_request(argv, at).map(Lifecycle::Exec);
    }
    if verb == 15 {
        // The options up to the ID, the one word after them.
        let i = options_end(UPDATE_OPTIONS, argv, at + 1);
        let options = argv.get(at + 1..i).unwrap_or_default();
        update_options(options, &mut |name, _| match name {
            "kernel-memory" | "kernel-memory-tcp" | "l3-cache-schema" | "mem-bw-schema" => {
                Err(usage(b"update", b"--", name.as_bytes()).push(b": not supported by nsinit (the kernel dropped kernel memory limits; no Intel RDT)"))
            }
            _ => Ok(()),
        })?;
        let id = argv.get(i).copied().flatten().ok_or_else(|| usage(b"update", b"no container ID given", b""))?;
        crate::oci::check_id(b"update", id.bytes())?;
        if let Some(word) = argv.get(i + 1).copied().flatten() {
            return Err(usage(b"update", b"one ID only; got '", word.bytes()));
        }
        return Ok(Lifecycle::Update { id, options });
    }
    // Each command's options; those that take a value end in `=`.
    let options: &str = match verb {
        2 => CREATE_OPTIONS,
        0 => "--bundle= -b= --pid-file= --console-socket= --no-pivot --no-new-keyring --preserve-fds= --detach -d --keep --no-subreaper",
        5 => "--all -a",
        6 => "--force -f",
        7 => "--quiet -q --format= -f=",
        8 => "--format= -f=",
        16 => "--stats --interval=",
        _ => "",
    };
    let mut request = BundleRequest { bundle: ZStr::new(c"."), id: None, pid_file: None };
    let (mut all, mut force, mut quiet, mut json) = (false, false, false, false);
    let mut console_socket = None;
    let mut preserve_fds = 0;
    let (mut stats, mut interval_ms) = (false, 5000);
    let mut i = at + 1;
    let mut words: heapless::Vec<ZStr<'a>, 2> = heapless::Vec::new();
    while let Some(Some(word)) = argv.get(i) {
        let w = word.bytes();
        if !words.is_empty() || w.first() != Some(&b'-') || w == b"-" {
            words.push(*word).map_err(|_| usage(command, b"too many words; got '", w))?;
            i += 1;
            continue;
        }
        let (option, value) = read_option(command, options, argv, &mut i)?;
        match (option.trim_start_matches('-').as_bytes(), value) {
            (b"bundle=" | b"b=", Some(v)) => request.bundle = v,
            (b"pid-file=", Some(v)) => request.pid_file = Some(v),
            (b"console-socket=", v) => console_socket = v,
            (b"preserve-fds=", Some(v)) => preserve_fds = preserved_fds(v.bytes())?,
            (b"all" | b"a", _) => all = true,
            (b"force" | b"f", _) => force = true,
            (b"quiet" | b"q", _) => quiet = true,
            (b"stats", _) => stats = true,
            (b"interval=", Some(v)) => interval_ms = duration_ms(v.bytes()).ok_or_else(|| usage(command, b"--interval: expected a duration (500ms, 5s, 1m); got '", v.bytes()))?,
            (b"format=" | b"f=", Some(v)) => {
                json = match v.bytes() {
                    b"json" => true,
                    b"table" => false,
                    other => return Err(usage(command, b"--format: expected table or json; got '", other)),
                }
            }
            // --no-pivot, --no-new-keyring: nsinit always pivots and never
            // makes a session keyring. --detach: `run`'s, known to be
            // there (`detaches`). --keep, --no-subreaper: a detached run
            // neither waits nor deletes.
            _ => {}
        }
        i += 1;
    }
    // `list` and `features` name no container.
    if matches!(verb, 7 | 11) {
        if let Some(word) = words.first() {
            return Err(usage(command, b"takes no ID; got '", word.bytes()));
        }
        return Ok(if verb == 7 { Lifecycle::List { quiet, json } } else { Lifecycle::Features });
    }
    let id = *words.first().ok_or_else(|| usage(command, b"no container ID given", b""))?;
    crate::oci::check_id(command, id.bytes())?;
    if verb != 5 && words.len() > 1 {
        return Err(usage(command, b"one ID only; got '", words[1].bytes()));
    }
    Ok(match verb {
        0 | 2 => Lifecycle::Create { request: BundleRequest { id: Some(id), ..request }, console_socket, preserve_fds, start: verb == 0 },
        3 => Lifecycle::Start(id),
        4 => Lifecycle::State(id),
        5 => {
            let signal = match words.get(1) {
                // 0: only whether the container runs, as kill(2) takes it.
                Some(word) if word.bytes() == b"0" => 0,
                Some(word) => signal(word.bytes()).ok_or_else(|| usage(command, b"unknown signal '", word.bytes()))?,
                None => 15,
            };
            Lifecycle::Kill { id, signal, all }
        }
        6 => Lifecycle::Delete { id, force },
        8 => Lifecycle::Ps { id, json },
        9 => Lifecycle::Pause(id),
        10 => Lifecycle::Resume(id),
        16 => Lifecycle::Events { id, stats, interval_ms },
        _ => return Err(usage(command, b"not supported by nsinit", b"")),
    })
}

fn usage(command: &[u8], what: &[u8], word: &[u8]) -> Error {
    let e = Error::new(command).push(b": ").push(what).push(word);
    if what.ends_with(b"'") { e.push(b"'") } else { e }
}

/// The signal names of x86-64 Linux, from 1 on, as kill(1) lists them.
const SIGNALS: &str = "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS";

/// A signal as runc's `kill` takes it: a number from 1 to 64, or a name in
/// any case with or without `SIG` (`KILL`, `SIGKILL`, `usr1`, `RTMIN+3`).
pub fn signal(word: &[u8]) -> Option<u32> {
    if let Some(n) = crate::config::parse_number(word) {
        return (1..=64).contains(&n).then_some(n as u32);
    }
    let mut upper = [0u8; 16];
    let word = upper.get_mut(..word.len()).map(|u| {
        for (u, c) in u.iter_mut().zip(word) {
            *u = c.to_ascii_uppercase();
        }
        &*u
    })?;
    let name = word.strip_prefix(b"SIG").unwrap_or(word);
    if let Some(rt) = name.strip_prefix(b"RTMIN") {
        let n = match rt { [] => 0, [b'+', n @ ..] => crate::config::parse_number(n)?, _ => return None };
        return (n <= 30).then_some(34 + n as u32);
    }
    match name {
        b"IOT" => Some(6),
        b"CLD" => Some(17),
        b"POLL" => Some(29),
        _ => which(name, SIGNALS).map(|i| i as u32 + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_go_writes_them() {
        for (word, ms) in [("500ms", 500), ("5s", 5000), ("1m", 60_000), ("1m30s", 90_000), ("1h", 3_600_000), ("1ms", 1)] {
            assert_eq!(duration_ms(word.as_bytes()), Some(ms), "{word}");
        }
        for word in ["", "5", "5x", "s", "0s", "25h", "1.5s", "-1s", "99999999999999999999s"] {
            assert_eq!(duration_ms(word.as_bytes()), None, "{word}");
        }
    }

    #[test]
    fn signals_by_number_and_name() {
        for (word, n) in [("9", 9), ("KILL", 9), ("SIGKILL", 9), ("kill", 9), ("sigterm", 15), ("usr1", 10), ("USR2", 12), ("SIGRTMIN", 34), ("RTMIN+3", 37), ("64", 64), ("SYS", 31), ("HUP", 1)] {
            assert_eq!(signal(word.as_bytes()), Some(n), "{word}");
        }
        for word in ["0", "65", "", "SIG", "KIL", "RTMIN+31", "SIGSIGKILL", "verylongsignalname"] {
            assert_eq!(signal(word.as_bytes()), None, "{word}");
        }
    }
}
