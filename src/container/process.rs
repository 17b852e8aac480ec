//! The payload: its environment, finding it in `PATH`, `execve`, and what
//! its wait status means as an exit code.

use crate::config::EnvOp;
use crate::error::{EXIT_CANNOT_EXEC, EXIT_NOT_FOUND, Error};
use crate::sys::{self, Errno, ZStr};
use crate::text::ZBuf;
use heapless::Vec;

/// Most variables in the payload's environment.
pub const MAX_ENV: usize = 1024;
/// Room for the `NAME=value` strings that `--setenv` makes.
pub const ENV_ARENA: usize = 16 * 1024;
/// `PATH` when the environment has none, as in runc and Docker.
const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub type EnvArena = Vec<u8, ENV_ARENA>;
pub type Env<'a> = Vec<Option<ZStr<'a>>, { MAX_ENV + 1 }>;

enum Var<'a> {
    Inherited(ZStr<'a>),
    Set(ZStr<'a>, ZStr<'a>),
}

impl Var<'_> {
    fn is(&self, name: &[u8]) -> bool {
        match self {
            Var::Inherited(s) => s.bytes().strip_prefix(name).is_some_and(|rest| rest.first() == Some(&b'=')),
            Var::Set(n, _) => n.bytes() == name,
        }
    }
}

/// The payload's environment: nsinit's own, changed by `ops` in order. The
/// strings `--setenv` makes go into `arena`; the rest are used in place.
pub fn environment<'a>(host: &[Option<ZStr<'a>>], ops: &[EnvOp<'a>], arena: &'a mut EnvArena) -> Result<Env<'a>, Error> {
    let too_many = || Error::new(b"environment too large (at most 1024 variables)");
    let cleared = ops.iter().rposition(|op| *op == EnvOp::Clear);
    let mut vars: Vec<Var<'a>, MAX_ENV> = Vec::new();
    if cleared.is_none() {
        for s in host.iter().flatten() {
            vars.push(Var::Inherited(*s)).map_err(|_| too_many())?;
        }
    }
    for op in &ops[cleared.map_or(0, |i| i + 1)..] {
        match *op {
            EnvOp::Set(name, value) => {
                vars.retain(|v| !v.is(name.bytes()));
                vars.push(Var::Set(name, value)).map_err(|_| too_many())?;
            }
            EnvOp::Unset(name) => vars.retain(|v| !v.is(name.bytes())),
            EnvOp::Clear => {}
        }
    }
    // Write every NAME=value first, then hand out the strings: the arena is
    // only borrowed shared once it is complete.
    for v in &vars {
        if let Var::Set(name, value) = v {
            let parts: [&[u8]; 4] = [name.bytes(), b"=", value.bytes(), b"\0"];
            for part in parts {
                arena
                    .extend_from_slice(part)
                    .map_err(|_| Error::new(b"--setenv values too large (at most 16 KiB in all)"))?;
            }
        }
    }
    let mut made: &'a [u8] = arena;
    let mut env = Env::new();
    for v in vars {
        let s = match v {
            Var::Inherited(s) => s,
            Var::Set(..) => {
                let s = ZStr::from_bytes_until_nul(made).ok_or_else(|| Error::new(b"environment: internal error"))?;
                made = &made[s.bytes().len() + 1..];
                s
            }
        };
        env.push(Some(s)).map_err(|_| too_many())?;
    }
    let _ = env.push(None);
    Ok(env)
}

/// Execs the payload, searching `PATH` in `env` for a command without a
/// `/`. Returns only on failure: 127 when nothing was found, 126 when
/// something was found but could not be executed.
pub fn exec(argv: &[Option<ZStr<'_>>], env: &[Option<ZStr<'_>>]) -> Error {
    let Some(command) = argv.first().copied().flatten() else {
        return Error::new(b"no command given");
    };
    let failed = |e: Errno| {
        let code = if e == Errno::ENOENT || e == Errno::ENOTDIR { EXIT_NOT_FOUND } else { EXIT_CANNOT_EXEC };
        Error::sys("execve", command.bytes(), e).with_code(code)
    };
    if command.bytes().contains(&b'/') {
        return failed(sys::execve(command, argv, env));
    }
    let path = env
        .iter()
        .flatten()
        .find_map(|s| s.bytes().strip_prefix(b"PATH="))
        .unwrap_or(DEFAULT_PATH);
    let mut denied = None;
    for dir in path.split(|&c| c == b':') {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let Ok(mut candidate) = ZBuf::<{ crate::config::PATH_MAX }>::from_parts(&[dir, b"/", command.bytes()]) else {
            continue;
        };
        match sys::execve(candidate.zstr(), argv, env) {
            Errno::ENOENT | Errno::ENOTDIR | Errno::ENAMETOOLONG | Errno::ELOOP => {}
            // Found but not runnable: go on looking, as execvp does, and
            // report this if nothing runnable turns up.
            Errno::EACCES => denied = Some(Errno::EACCES),
            e => return failed(e),
        }
    }
    failed(denied.unwrap_or(Errno::ENOENT))
}

/// The exit code for a wait status: the payload's own code, or 128+N when
/// signal N killed it, as shells report it.
pub fn exit_code(status: i32) -> i32 {
    let signal = status & 0x7f;
    if signal == 0 { (status >> 8) & 0xff } else { 128 + signal }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn z(s: &'static std::ffi::CStr) -> ZStr<'static> {
        ZStr::new(s)
    }

    fn strings(env: &Env<'_>) -> std::vec::Vec<String> {
        assert_eq!(env.last(), Some(&None), "NULL-terminated");
        env.iter().flatten().map(|s| String::from_utf8_lossy(s.bytes()).into_owned()).collect()
    }

    #[test]
    fn wait_status_to_exit_code() {
        assert_eq!(exit_code(0), 0);
        assert_eq!(exit_code(3 << 8), 3);
        assert_eq!(exit_code(255 << 8), 255);
        assert_eq!(exit_code(9), 137); // SIGKILL
        assert_eq!(exit_code(15 | 0x80), 143); // SIGTERM with a core dump
    }

    #[test]
    fn environment_inherits_and_applies_ops_in_order() {
        let host = [Some(z(c"PATH=/bin")), Some(z(c"HOME=/root")), Some(z(c"HOMER=x")), None];
        let mut arena = EnvArena::new();
        let ops = [EnvOp::Set(z(c"A"), z(c"1")), EnvOp::Unset(z(c"HOME")), EnvOp::Set(z(c"PATH"), z(c"/usr/bin"))];
        let env = environment(&host, &ops, &mut arena).unwrap();
        assert_eq!(strings(&env), ["HOMER=x", "A=1", "PATH=/usr/bin"]);
    }

    #[test]
    fn clearenv_drops_what_came_before_it() {
        let host = [Some(z(c"PATH=/bin")), None];
        let mut arena = EnvArena::new();
        let ops = [EnvOp::Set(z(c"A"), z(c"1")), EnvOp::Clear, EnvOp::Set(z(c"B"), z(c"2 3")), EnvOp::Set(z(c"B"), z(c""))];
        let env = environment(&host, &ops, &mut arena).unwrap();
        assert_eq!(strings(&env), ["B="]);
        let mut arena = EnvArena::new();
        assert_eq!(strings(&environment(&host, &[], &mut arena).unwrap()), ["PATH=/bin"]);
    }

    #[test]
    fn environment_over_capacity_is_an_error() {
        let big = std::ffi::CString::new("v".repeat(9000)).unwrap();
        let big: &'static std::ffi::CStr = Box::leak(big.into_boxed_c_str());
        let ops = [EnvOp::Set(z(c"A"), ZStr::new(big)), EnvOp::Set(z(c"B"), ZStr::new(big))];
        let mut arena = EnvArena::new();
        let e = environment(&[None], &ops, &mut arena).err().unwrap();
        assert_eq!(e.line.as_bytes(), b"nsinit: --setenv values too large (at most 16 KiB in all)");

        let many: std::vec::Vec<Option<ZStr<'static>>> = (0..1025)
            .map(|i| Some(ZStr::new(Box::leak(std::ffi::CString::new(format!("V{i}=1")).unwrap().into_boxed_c_str()))))
            .chain([None])
            .collect();
        let mut arena = EnvArena::new();
        assert!(environment(&many, &[], &mut arena).is_err());
    }
}
