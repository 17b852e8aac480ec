//! `linux.seccomp` onto a `seccomp::Profile`, with the spec's words from
//! `seccomp::spec`, decided as crun (through libseccomp) decides them.
//!
//! The file may give `defaultAction` after `syscalls`, and a rule with the
//! default action is left out, so the rules are read as given into a
//! second profile and added in order once the default is known.

use super::json::Json;
use super::{Fail, Map, unsupported};
use crate::config::{Seccomp, SeccompListener};
use crate::seccomp::{Abi, Action, Added, ArgCmp, Condition, Rule, MAX_CONDITIONS, Profile, action_by_name, arg_cmp, i386_only_number, syscall_number};
use linux_raw_sys::ptrace::SECCOMP_FILTER_FLAG_NEW_LISTENER;

/// The profile filled, and the rules as read.
#[cfg(not(test))]
static PROFILES: crate::rt::StaticCell<[Profile; 2]> = crate::rt::StaticCell::new([Profile::new(), Profile::new()]);

fn profiles() -> Result<&'static mut [Profile; 2], Fail> {
    #[cfg(test)]
    return Ok(Box::leak(Box::new([Profile::new(), Profile::new()])));
    #[cfg(not(test))]
    PROFILES.take().ok_or_else(|| fail!("given twice"))
}

/// `seccomp`: `defaultAction`, `defaultErrnoRet`, `architectures`,
/// `flags`, `syscalls`, `listenerPath`, `listenerMetadata`.
///
/// `SCMP_ACT_NOTIFY` needs `listenerPath`, and may be neither the default
/// action nor `sendmsg`'s: the container's process sends the listener to
/// nsinit with `sendmsg` once the filter is in (see
/// `container::notify`), and a call nobody can answer yet would wait for
/// ever (runc refuses `write` and the default for its own hand-over).
#[inline(never)]
pub fn seccomp(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    if !cfg!(feature = "security") {
        return unsupported(j);
    }
    let [p, read] = profiles()?;
    let (mut default, mut errno_ret) = (None, None);
    let (mut path, mut metadata) = (None, None);
    j.object(|j, key| crate::by_key!(key,
        "defaultAction" => {
            default = Some(j.string()?);
            Ok(())
        },
        "defaultErrnoRet" => {
            errno_ret = Some(j.u32()?);
            Ok(())
        },
        "architectures" => j.array(|j, _| p.add_architecture(j.text()?).map_err(Fail::new)),
        "flags" => j.array(|j, _| p.add_flag(j.text()?).map_err(Fail::new)),
        "syscalls" => j.array(|j, _| rule(j, read)),
        "listenerPath" | "listenerMetadata" => {
            let value = super::optional(j)?;
            *if key == b"listenerPath" { &mut path } else { &mut metadata } = value;
            Ok(())
        },
        _ => j.skip(),
    ))?;
    let default = default.ok_or_else(|| fail!("defaultAction: missing (required)"))?;
    p.default = action_by_name(default.bytes(), errno_ret).map_err(|e| Fail::about(e, default.bytes()))?;
    p.foreign_kills_thread = true;
    let mut added = Added::default();
    for r in &read.rules {
        let mut conds: heapless::Vec<ArgCmp, MAX_CONDITIONS> = heapless::Vec::new();
        for i in 0..r.when.count() {
            conds.extend(r.when.test(&read.args, i));
        }
        p.add(r.nr, r.abi, r.action, &conds, &mut added).map_err(|_| full())?;
    }
    let notify = p.default == Action::Notify || p.rules.iter().any(|r| r.action == Action::Notify);
    if notify {
        let Some(path) = path else {
            return Err(fail!("not supported (it needs listenerPath)", b"SCMP_ACT_NOTIFY"));
        };
        if p.default == Action::Notify {
            return Err(fail!("SCMP_ACT_NOTIFY cannot be the default action (nsinit hands the listener on with sendmsg)"));
        }
        let sendmsg = syscall_number(b"sendmsg");
        if p.rules.iter().any(|r| r.action == Action::Notify && Some(r.nr) == sendmsg && r.abi == Abi::X86_64) {
            return Err(fail!("SCMP_ACT_NOTIFY cannot be used for sendmsg (nsinit hands the listener on with it)"));
        }
        p.flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        m.c.seccomp_listener = Some(SeccompListener { path, metadata });
    }
    m.c.seccomp = Seccomp::Rules(p);
    Ok(())
}

/// One of `syscalls`: `names`, `action`, `errnoRet`, `args`. A name
/// nsinit does not know is skipped, as libseccomp skips a call the kernel
/// lacks.
#[inline(never)]
fn rule(j: &mut Json<'static>, read: &mut Profile) -> Result<(), Fail> {
    // The calls go in as they come; their action and conditions, which
    // may come after the names, are set at the end.
    let start = read.rules.len();
    let mut conds: heapless::Vec<ArgCmp, MAX_CONDITIONS> = heapless::Vec::new();
    let (mut act, mut errno_ret) = (None, None);
    j.object(|j, key| crate::by_key!(key,
        "names" => j.array(|j, _| {
            let name = j.text()?;
            // The i386 names are looked at only for a name x86_64 lacks.
            let call = syscall_number(name).map(|nr| (nr, Abi::X86_64)).or_else(|| i386_only_number(name).map(|nr| (nr, Abi::I386)));
            let Some(call) = call else { return Ok(()) };
            read.rules.push(Rule { nr: call.0, abi: call.1, action: Action::Allow, when: Condition::Always }).map_err(|_| full())
        }),
        "action" => {
            act = Some(j.string()?);
            Ok(())
        },
        "errnoRet" => {
            errno_ret = Some(j.u32()?);
            Ok(())
        },
        "args" => j.array(|j, _| {
            let (mut index, mut op, mut value, mut value_two) = (None, None, 0, 0);
            j.object(|j, key| {
                crate::by_key!(key,
                    "index" => index = Some(j.u32()?),
                    "op" => op = Some(j.string()?),
                    "value" => value = j.u64()?,
                    "valueTwo" => value_two = j.u64()?,
                    _ => j.skip()?,
                );
                Ok(())
            })?;
            let (Some(index), Some(op)) = (index, op) else { return Err(fail!("expected index and op")) };
            let c = arg_cmp(index, op.bytes(), value, value_two).map_err(|e| Fail::about(e, op.bytes()))?;
            conds.push(c).map_err(|_| fail!("too many conditions (at most 6)"))
        }),
        _ => j.skip(),
    ))?;
    let name = act.ok_or_else(|| fail!("action: missing (required)"))?;
    let action = action_by_name(name.bytes(), errno_ret).map_err(|e| Fail::about(e, name.bytes()))?;
    if read.rules.len() == start {
        return Ok(());
    }
    let when = match conds.len() {
        0 => Condition::Always,
        count => {
            let first = read.args.len() as u16;
            read.args.extend_from_slice(&conds).map_err(|_| full())?;
            Condition::All { first, count: count as u8 }
        }
    };
    for r in &mut read.rules[start..] {
        (r.action, r.when) = (action, when);
    }
    Ok(())
}

fn full() -> Fail {
    fail!("too many rules or conditions (at most 512 rules, 256 conditions)")
}
