//! Hooks (runtime-spec `config.md#posix-platform-hooks`): programs run at
//! points of the container's life, each with the container's state on its
//! standard input (`state::write`), its output on nsinit's standard error,
//! and exactly the environment the hook names.
//!
//! Where each point runs is the spec's: `prestart`, `createRuntime`,
//! `poststart` and `poststop` in nsinit's own namespaces (nsinit runs
//! them), `createContainer` and `startContainer` in the container's (its
//! process runs them). A failing hook before the payload runs stops the
//! start; `poststart` and `poststop` failures are warnings, as the spec
//! says.

use super::process::{Ended, above_stdio, exit_code, spawn_program, wait_program};
use super::state::{self, Status};
use crate::config::{Container, Hook, HookPoint};
use crate::error::Error;
use crate::sys::{self, OwnedFd, SigSet, ZStr};
use linux_raw_sys::general::{MFD_CLOEXEC, SEEK_SET};

/// Runs the hooks of `point` in their order; the first that fails stops
/// the others: `nsinit: createRuntime hook /usr/bin/x: exit status 3`,
/// `...: timed out after 5 s`, or the call that failed. `pid`: the
/// container's process as nsinit sees it, for the state. `mask`: the
/// signal mask the hooks start with.
#[inline(never)]
pub fn run(c: &Container<'_>, point: HookPoint, status: Status, pid: Option<i32>, mask: Option<SigSet>) -> Result<(), Error> {
    for hook in c.hooks.at(point) {
        run_one(c, hook, status, pid, mask)?;
    }
    Ok(())
}

/// `run`, for the points whose failures the spec makes warnings
/// (`poststart`, `poststop`): each failure is printed and the rest still run.
pub fn run_warning(c: &Container<'_>, point: HookPoint, status: Status, pid: Option<i32>, mask: Option<SigSet>) {
    for hook in c.hooks.at(point) {
        if let Err(e) = run_one(c, hook, status, pid, mask) {
            e.push(b" (going on)").print(2);
        }
    }
}

/// Whether nsinit itself must run hooks while the container's process
/// sets up (it waits for nsinit at that point).
pub fn any_while_creating(c: &Container<'_>) -> bool {
    c.hooks.list.iter().any(|h| matches!(h.point, HookPoint::Prestart | HookPoint::CreateRuntime))
}

/// Whether `c` has a hook `start` or `delete` runs: `poststart` or
/// `poststop` (see `oci::lifecycle`'s `nohooks`).
pub fn any_after_creating(c: &Container<'_>) -> bool {
    c.hooks.list.iter().any(|h| matches!(h.point, HookPoint::Poststart | HookPoint::Poststop))
}

/// `createRuntime hook PATH`, the start of each message.
fn named(hook: &Hook<'_>) -> Error {
    Error::new(hook.point.name().as_bytes()).push(b" hook ").push_z(hook.path)
}

/// Runs one hook and waits for it; its errors are `named`.
fn run_one(c: &Container<'_>, hook: &Hook<'_>, status: Status, pid: Option<i32>, mask: Option<SigSet>) -> Result<(), Error> {
    let failed = |step: &str, e| named(hook).push(b": ").push(step.as_bytes()).push(b": ").push_errno(e);
    // The state in a memory file, not a pipe: a hook that never reads its
    // input cannot block nsinit, however many annotations there are.
    let input = sys::memfd_create(ZStr::new(c"nsinit-state"), MFD_CLOEXEC).map(OwnedFd).map_err(|e| failed("memfd_create", e))?;
    let input = above_stdio(input).map_err(|e| failed("fcntl", e))?;
    state::write(input.0, &c.identity, status, pid).map_err(|e| failed("write", e))?;
    sys::lseek(input.0, 0, SEEK_SET).map_err(|e| failed("lseek", e))?;
    let argv = c.hooks.words_from(hook.args);
    let envp = c.hooks.words_from(hook.env);
    // Its output goes where nsinit's errors go: the payload's standard
    // output stays the payload's.
    let pid = spawn_program(hook.path, argv, envp, [input.0, 2, 2], mask).map_err(|(step, e)| failed(step, e))?;
    match wait_program(pid, hook.timeout).map_err(|(step, e)| failed(step, e))? {
        Ended::Status(0) => Ok(()),
        Ended::Status(status) => Err(named(hook).push(b": exit status ").push_u64(exit_code(status) as u64)),
        Ended::TimedOut => {
            Err(named(hook).push(b": timed out after ").push_u64(u64::from(hook.timeout.unwrap_or(0))).push(b" s"))
        }
    }
}
