//! seccomp profiles: which system calls a container may make, and the
//! classic BPF program that tells the kernel. Pure logic: no system calls.
//!
//! A profile is a default action and rules for single calls. nsinit's
//! default profile (`default.rs`) is Docker's, written as the calls it
//! denies; `--seccomp FILE` reads one in the text form of `parse.rs`;
//! `bpf.rs` assembles either; `names.rs` knows the calls by name, `abi.rs`
//! their numbers in the i386 and x32 ABIs.

mod abi;
mod bpf;
mod default;
mod names;
mod parse;

pub use bpf::{Program, assemble};
pub use linux_raw_sys::ptrace::sock_filter;
pub use names::syscall_number;

use linux_raw_sys::ptrace::BPF_MAXINSNS;

/// Most rules in one profile: more than there are system calls.
pub const MAX_RULES: usize = 512;
/// Longest filter: the most the kernel loads. A profile of `MAX_RULES`
/// rules needs two thirds of it at worst.
pub const MAX_INSNS: usize = BPF_MAXINSNS as usize;

/// What the filter does with a call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    /// The call runs. First, so that an all-zero profile allows everything.
    Allow,
    /// The call fails with this errno without running: 1 to 4095, as the
    /// kernel takes no larger errno.
    Errno(u16),
    /// The whole process is killed, as by SIGSYS.
    Kill,
}

/// When a rule applies, by one of the call's arguments (0 to 5). Only its
/// low 32 bits are looked at: every argument tested here is an `int`, or
/// flags or a request the kernel takes as an `unsigned int`, so that its
/// high bits cannot slip a value past the test.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Condition {
    /// Whatever the arguments.
    Always,
    /// `(args[arg] & mask) != 0`.
    HasAnyOf { arg: u8, mask: u32 },
    /// `args[arg] == value`.
    Equals { arg: u8, value: u32 },
}

/// Which numbering a rule's `nr` is in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Abi {
    /// The x86_64 number of a call; the rule applies to the same call in
    /// the i386 and x32 ABIs too when the profile covers them.
    X86_64,
    /// The i386 number of a call only i386 has (stime, vm86...).
    I386,
}

/// What to do with the call numbered `nr`.
///
/// For a call, the rules with a condition are tried in the profile's order,
/// and the first that holds decides; if none does, the last rule without a
/// condition decides; if there is none, the profile's default.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Rule {
    pub nr: u32,
    pub action: Action,
    pub when: Condition,
    pub abi: Abi,
}

/// What a container may call: `new`, `set_default` or `parse` fill it,
/// `assemble` makes the filter of it.
pub struct Profile {
    pub default: Action,
    pub rules: heapless::Vec<Rule, MAX_RULES>,
    /// Whether the rules and the default decide the calls of the i386 and
    /// x32 ABIs too, each by its own numbers, as Docker's profile does;
    /// when not, the filter kills a process making one.
    pub other_abis: bool,
}

impl Default for Profile {
    fn default() -> Self {
        Profile::new()
    }
}

impl Profile {
    /// Allows everything. All zeros, so that a `static` of it costs no file
    /// space.
    pub const fn new() -> Profile {
        Profile { default: Action::Allow, rules: heapless::Vec::new(), other_abis: false }
    }

    /// What the profile does with the call `nr` when no rule with a
    /// condition holds: its unconditional rule, or the default.
    pub fn action_for(&self, nr: u32) -> Action {
        let rule = self.rules.iter().rev().find(|r| r.nr == nr && r.when == Condition::Always);
        rule.map_or(self.default, |r| r.action)
    }

    /// Sets `nr`'s unconditional rule to `action`: a later rule for a call
    /// replaces an earlier one. `Err` when the profile is full.
    fn set(&mut self, nr: u32, action: Action) -> Result<(), Rule> {
        let rule = Rule { nr, action, when: Condition::Always, abi: Abi::X86_64 };
        match self.rules.iter_mut().find(|r| r.nr == nr && r.when == Condition::Always) {
            Some(old) => {
                *old = rule;
                Ok(())
            }
            None => self.rules.push(rule),
        }
    }
}
