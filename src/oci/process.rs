//! `process`: what runs, as whom, with what.

use super::{Fail, Map, SEEN_CWD, SEEN_PROCESS, absolute, at_most, optional};
use super::json::Json;
use crate::config::{IoPriority, Scheduler, io_class, parse_cpu_list, sched_flag, sched_policy};
use crate::config::{Capabilities, EnvOp, Hook, HookPoint, MAX_FILE_ARGS, Payload, MAX_RLIMITS, Rlimit, capability, rlimit_resource};

/// `process`: `args`, `env`, `cwd`, `user`, `capabilities`, `rlimits`,
/// `noNewPrivileges`, `oomScoreAdj`, `terminal`, `consoleSize`.
#[inline(never)]
pub fn process(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    m.seen |= SEEN_PROCESS;
    // No `capabilities`: none at all, as runc and crun read it.
    m.c.process.capabilities = Some(Capabilities::default());
    j.object(|j, key| crate::by_key!(key,
        "args" => {
            // `clear` left the words empty, in place.
            let Payload::Words(words) = &mut m.c.process.args else { return j.skip() };
            words.clear();
            j.array(|j, _| {
                let word = j.string()?;
                if words.len() == MAX_FILE_ARGS {
                    return Err(fail!("too many words (at most 256)"));
                }
                let _ = words.push(Some(word));
                Ok(())
            })?;
            // The end of argv, as execve wants it.
            if !words.is_empty() {
                let _ = words.push(None);
            }
            Ok(())
        },
        "env" => {
            // The environment is the file's alone, as runc gives it.
            m.c.process.env.clear();
            let _ = m.c.process.env.push(EnvOp::Clear);
            j.array(|j, _| env(j, m))
        },
        "cwd" => {
            m.c.process.cwd = Some(absolute(j)?);
            m.seen |= SEEN_CWD;
            Ok(())
        },
        "terminal" => {
            let on = j.bool()?;
            if on && !cfg!(feature = "tty") {
                return Err(fail!("not in this build (cargo feature tty)"));
            }
            m.c.process.terminal = on;
            Ok(())
        },
        // The pty takes the caller's terminal's size and follows it, as
        // `runc run` in the foreground does.
        "consoleSize" => {
            let (mut rows, mut columns) = (0, 0);
            j.object(|j, key| crate::by_key!(key,
                "height" => {
                    rows = at_most(j, 65535, message!("expected at most 65535"))? as u16;
                    Ok(())
                },
                "width" => {
                    columns = at_most(j, 65535, message!("expected at most 65535"))? as u16;
                    Ok(())
                },
                _ => j.skip(),
            ))?;
            m.c.process.console_size = Some((rows, columns));
            Ok(())
        },
        "user" => user(j, m),
        "capabilities" => capabilities(j, m),
        "rlimits" => j.array(|j, _| rlimit(j, m)),
        "noNewPrivileges" => {
            m.c.process.no_new_privileges = j.bool()?;
            Ok(())
        },
        "oomScoreAdj" => {
            let n = j.i32()?;
            if !(-1000..=1000).contains(&n) {
                return Err(fail!("expected an integer from -1000 to 1000"));
            }
            m.c.oom_score_adj = Some(n);
            Ok(())
        },
        "apparmorProfile" | "selinuxLabel" => {
            let label = optional(j)?;
            *if key == b"selinuxLabel" { &mut m.c.process.selinux_label } else { &mut m.c.process.apparmor_profile } = label;
            Ok(())
        },
        "scheduler" => scheduler(j, m),
        "ioPriority" => {
            let (mut class, mut priority) = (None, 4);
            j.object(|j, key| {
                crate::by_key!(key,
                    "class" => {
                        let c = j.text()?;
                        class = Some(io_class(c).ok_or_else(|| fail!("expected IOPRIO_CLASS_RT, _BE or _IDLE", c))?);
                    },
                    "priority" => priority = at_most(j, 7, message!("expected 0 to 7"))?,
                    _ => j.skip()?,
                );
                Ok(())
            })?;
            let class = class.ok_or_else(|| fail!("class: missing (required)"))?;
            m.c.process.io_priority = Some(IoPriority { class, priority });
            Ok(())
        },
        "execCPUAffinity" => j.object(|j, key| {
            let set = crate::by_key!(key,
                "initial" => &mut m.c.process.cpu_affinity.initial,
                "final" => &mut m.c.process.cpu_affinity.at_exec,
                _ => return j.skip(),
            );
            let list = j.text()?;
            *set = Some(parse_cpu_list(list).ok_or_else(|| fail!("expected CPUs below 1024 such as 0-3,7", list))?);
            Ok(())
        }),
        _ => j.skip(),
    ))
}

/// `scheduler`: `policy` (required), `nice`, `priority`, `flags`,
/// `runtime`, `deadline`, `period`, as sched_setattr(2) takes them.
fn scheduler(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    let mut s = Scheduler::default();
    let mut policy = None;
    j.object(|j, key| {
        crate::by_key!(key,
            "policy" => {
                let p = j.text()?;
                policy = Some(sched_policy(p).ok_or_else(|| fail!("unknown scheduling policy", p))?);
            },
            "nice" => s.nice = Some(j.i32()?).filter(|n| (-20..=19).contains(n)).ok_or_else(|| fail!("expected -20 to 19"))?,
            "priority" => s.priority = at_most(j, 99, message!("expected 0 to 99"))?,
            "flags" => j.array(|j, _| {
                let f = j.text()?;
                s.flags |= sched_flag(f).ok_or_else(|| fail!("unknown scheduling flag", f))?;
                Ok(())
            })?,
            "runtime" => s.runtime = j.u64()?,
            "deadline" => s.deadline = j.u64()?,
            "period" => s.period = j.u64()?,
            _ => j.skip()?,
        );
        Ok(())
    })?;
    s.policy = policy.ok_or_else(|| fail!("policy: missing (required)"))?;
    m.c.process.scheduler = Some(s);
    Ok(())
}

/// One `NAME=VALUE` of `process.env`; the name is copied out, the value
/// used in place.
fn env(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    let var = j.string()?;
    let bytes = var.bytes();
    let eq = bytes.iter().position(|&c| c == b'=').filter(|&at| at > 0);
    let Some(eq) = eq else { return Err(fail!("expected NAME=VALUE", bytes)) };
    let name = m.arena.put(&[&bytes[..eq]])?;
    m.c.process.env.push(EnvOp::Set(name, var.skip(eq + 1))).map_err(|_| fail!("too many variables (at most 127)"))
}

/// `user`: `uid`, `gid`, `additionalGids`; as `UID:GID`, numbers, with
/// exactly the groups given (none when there are none), as runc sets them.
fn user(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    let (mut uid, mut gid) = (0, 0);
    let mut groups = heapless::Vec::new();
    j.object(|j, key| crate::by_key!(key,
        "uid" => {
            uid = id(j)?;
            Ok(())
        },
        "gid" => {
            gid = id(j)?;
            Ok(())
        },
        "additionalGids" => j.array(|j, _| {
            let g = id(j)?;
            groups.push(g).map_err(|_| fail!("too many groups (at most 64)"))
        }),
        "umask" => {
            m.c.process.umask = Some(at_most(j, 0o777, message!("expected permission bits, at most 0777 (511)"))?);
            Ok(())
        },
        _ => j.skip(),
    ))?;
    let (mut u, mut g) = ([0; 64], [0; 64]);
    let (uid, gid) = (crate::text::digits(u64::from(uid), 10, &mut u), crate::text::digits(u64::from(gid), 10, &mut g));
    m.c.process.user = Some(m.arena.put(&[uid, b":", gid])?);
    m.c.process.groups = Some(groups);
    Ok(())
}

/// A uid or gid: below 4294967295, the kernel's "no id".
fn id(j: &mut Json<'static>) -> Result<u32, Fail> {
    match j.u32()? {
        u32::MAX => Err(fail!("expected an id below 4294967295")),
        n => Ok(n),
    }
}

/// `capabilities`: the five sets, each a list of `CAP_*` names; a set not
/// given is empty.
fn capabilities(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    let mut caps = Capabilities::default();
    if j.null()? {
        return Ok(());
    }
    j.object(|j, key| {
        let set = crate::by_key!(key,
            "bounding" => &mut caps.bounding,
            "effective" => &mut caps.effective,
            "inheritable" => &mut caps.inheritable,
            "permitted" => &mut caps.permitted,
            "ambient" => &mut caps.ambient,
            _ => return j.skip(),
        );
        j.array(|j, _| {
            let name = j.text()?;
            // The spec's names are `CAP_` and capabilities(7)'s word.
            let bit = name.strip_prefix(b"CAP_").and_then(capability).filter(|b| b.count_ones() == 1);
            *set |= bit.ok_or_else(|| fail!("unknown capability", name))?;
            Ok(())
        })
    })?;
    // The kernel raises an ambient capability only when it is permitted
    // and inheritable; runc and crun ask for each and go on without those
    // it refuses (runc spec's own config lists ambient ones without any
    // inheritable): the same set, asked for exactly.
    caps.ambient &= caps.permitted & caps.inheritable;
    m.c.process.capabilities = Some(caps);
    Ok(())
}

/// One of `rlimits`: `type` (`RLIMIT_*`), `soft`, `hard`.
fn rlimit(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    let (mut resource, mut soft, mut hard) = (None, None, None);
    j.object(|j, key| crate::by_key!(key,
        "type" => {
            let name = j.text()?;
            let r = name.strip_prefix(b"RLIMIT_").and_then(rlimit_resource);
            let r = r.ok_or_else(|| fail!("unknown rlimit", name))?;
            if m.c.rlimits.iter().any(|old| old.resource == r) {
                return Err(fail!("given twice", name));
            }
            resource = Some(r);
            Ok(())
        },
        "soft" => {
            soft = Some(j.u64()?);
            Ok(())
        },
        "hard" => {
            hard = Some(j.u64()?);
            Ok(())
        },
        _ => j.skip(),
    ))?;
    let (Some(resource), Some(soft), Some(hard)) = (resource, soft, hard) else {
        return Err(fail!("expected type, soft and hard"));
    };
    if soft > hard {
        return Err(fail!("soft limit above the hard one"));
    }
    const _: () = assert!(MAX_RLIMITS == 16);
    m.c.rlimits.push(Rlimit { resource, soft, hard }).map_err(|_| fail!("too many rlimits (at most 16)"))
}

/// `hooks`: for each point, its list of `{path, args, env, timeout}`.
pub fn hooks(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    const POINTS: [HookPoint; 6] = [
        HookPoint::Prestart,
        HookPoint::CreateRuntime,
        HookPoint::CreateContainer,
        HookPoint::StartContainer,
        HookPoint::Poststart,
        HookPoint::Poststop,
    ];
    j.object(|j, key| match POINTS.iter().find(|p| p.name().as_bytes() == key) {
        Some(&point) => j.array(|j, _| hook(j, m, point)),
        None => j.skip(),
    })
}

#[inline(never)]
fn hook(j: &mut Json<'static>, m: &mut Map<'_>, point: HookPoint) -> Result<(), Fail> {
    let hooks = &mut m.c.hooks;
    let (mut path, mut args, mut env, mut timeout) = (None, None, None, None);
    j.object(|j, key| crate::by_key!(key,
        "path" => {
            path = Some(absolute(j)?);
            Ok(())
        },
        "args" | "env" => {
            let start = u16::try_from(hooks.words.len()).map_err(|_| too_many_words())?;
            j.array(|j, _| {
                let word = j.string()?;
                hooks.words.push(Some(word)).map_err(|_| too_many_words())
            })?;
            hooks.words.push(None).map_err(|_| too_many_words())?;
            *(if key == b"args" { &mut args } else { &mut env }) = Some(start);
            Ok(())
        },
        "timeout" => {
            let seconds = j.u32()?;
            if seconds == 0 {
                return Err(fail!("expected seconds, at least 1"));
            }
            timeout = Some(seconds);
            Ok(())
        },
        _ => j.skip(),
    ))?;
    let path = path.ok_or_else(|| fail!("path: missing (required)"))?;
    // Without `args`, argv is the path alone; without `env`, empty.
    let args = match args {
        Some(start) => start,
        None => hooks.push_words([path]).ok_or_else(too_many_words)?,
    };
    let env = match env {
        Some(start) => start,
        None => hooks.push_words([]).ok_or_else(too_many_words)?,
    };
    hooks.list.push(Hook { point, path, args, env, timeout }).map_err(|_| fail!("too many hooks (at most 32)"))
}

fn too_many_words() -> Fail {
    fail!("too many hook arguments and variables in all (at most 1024)")
}
