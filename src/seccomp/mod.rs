//! seccomp profiles: which system calls a container may make, and the
//! classic BPF program that tells the kernel. Pure logic: no system calls.
//!
//! A profile is a default action and rules for single calls. nsinit's
//! default profile (`default.rs`) is Docker's, written as the calls it
//! denies; `--seccomp FILE` reads one in the text form of `parse.rs`;
//! `spec.rs` holds the OCI runtime-spec's words, for a front end filling
//! one from `linux.seccomp` with `Profile::add`; `bpf.rs` assembles any;
//! `names.rs` knows the calls by name, `abi.rs` their numbers in the i386
//! and x32 ABIs.

mod abi;
mod bpf;
mod default;
mod prebuilt;
mod names;
mod parse;
// For the OCI front end (`linux.seccomp`), and its tests until it lands.
#[allow(dead_code)]
mod spec;

pub use bpf::{Filter, Program, assemble};
pub use default::prebuilt_default;
pub use linux_raw_sys::ptrace::sock_filter;
pub use abi::i386_only_number;
pub use names::syscall_number;
#[allow(unused_imports)]
pub use spec::{action_by_name, arg_cmp};

use linux_raw_sys::ptrace::BPF_MAXINSNS;

/// Most rules in one profile: more than there are system calls.
pub const MAX_RULES: usize = 512;
/// Most argument conditions (`ArgCmp`) in one profile: Docker's and
/// podman's profiles have a dozen.
pub const MAX_ARG_CMPS: usize = 256;
/// Longest filter: the most the kernel loads. A profile of `MAX_RULES`
/// rules needs two thirds of it at worst.
pub const MAX_INSNS: usize = BPF_MAXINSNS as usize;

/// What the filter does with a call: the kernel's `SECCOMP_RET_*`
/// actions (OCI's `SCMP_ACT_*`, see `action_by_name`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    /// The call runs. First, so that an all-zero profile allows everything.
    Allow,
    /// The call fails with this errno without running. The kernel takes
    /// 4095 for larger ones, and 0 makes the call return 0.
    Errno(u16),
    /// The whole process is killed, as by SIGSYS (`SECCOMP_RET_KILL_PROCESS`).
    Kill,
    /// The calling thread is killed (`SECCOMP_RET_KILL_THREAD`, libseccomp's
    /// `SCMP_ACT_KILL`); for the last thread, as `Kill`.
    KillThread,
    /// SIGSYS is sent to the thread, the call does not run.
    Trap,
    /// A tracer is told, with this value; without one the call fails with
    /// ENOSYS.
    Trace(u16),
    /// The call runs and is logged.
    Log,
    /// A supervisor holding the filter's listener decides
    /// (`SECCOMP_RET_USER_NOTIF`); without a listener the call fails with
    /// ENOSYS.
    Notify,
}

/// When a rule applies, by the call's arguments.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Condition {
    /// Whatever the arguments.
    Always,
    /// `(args[arg] & mask) != 0`, on the low 32 bits only (the default
    /// profile's: every argument it tests is an `int`, or flags or a
    /// request the kernel takes as an `unsigned int`, so that the high
    /// bits cannot slip a value past the test).
    HasAnyOf { arg: u8, mask: u32 },
    /// `args[arg] == value`, on the low 32 bits only, as `HasAnyOf`.
    Equals { arg: u8, value: u32 },
    /// Every one of the profile's `args[first..first + count]` holds.
    All { first: u16, count: u8 },
}

/// How `ArgCmp` compares: the OCI `SCMP_CMP_*` operators, less
/// `MASKED_EQ`, which is `Eq` with a mask.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// One condition on an argument: `(args[arg] & mask) OP value`, as
/// unsigned 64-bit numbers, as libseccomp compares them (high half, then
/// low half). For an i386 call, whose arguments are 32 bits, only the low
/// halves of the argument, `mask` and `value` are compared, as libseccomp
/// does. An x32 call goes through x86_64's tests, so its arguments are
/// compared whole, where libseccomp compares their low halves: the two
/// differ only for an x32 call with high bits in an argument.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ArgCmp {
    /// 0 to 5.
    pub arg: u8,
    pub op: Op,
    pub mask: u64,
    pub value: u64,
}

impl ArgCmp {
    /// `args[arg] OP value`, the whole argument.
    pub const fn new(arg: u8, op: Op, value: u64) -> ArgCmp {
        ArgCmp { arg, op, mask: u64::MAX, value }
    }

    /// OCI's `SCMP_CMP_MASKED_EQ`: `(args[arg] & mask) == value & mask`
    /// (libseccomp ignores the bits of `value` outside the mask).
    pub const fn masked_eq(arg: u8, mask: u64, value: u64) -> ArgCmp {
        ArgCmp { arg, op: Op::Eq, mask, value: value & mask }
    }
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

/// What a container may call: `new`, `set_default`, `parse` or `add` fill
/// it, `assemble` makes the filter of it.
#[derive(Debug)]
pub struct Profile {
    pub default: Action,
    pub rules: heapless::Vec<Rule, MAX_RULES>,
    /// The conditions of the rules' `Condition::All`.
    pub args: heapless::Vec<ArgCmp, MAX_ARG_CMPS>,
    /// Whether the rules and the default decide the calls of the i386 and
    /// x32 ABIs too, each by its own numbers, as Docker's profile does;
    /// when not, the filter kills a process making one.
    pub other_abis: bool,
    /// With `other_abis`, leaves the i386 ABI out: its calls are killed.
    pub no_i386: bool,
    /// With `other_abis`, leaves the x32 ABI out: its calls are killed.
    pub no_x32: bool,
    /// Calls of an ABI the profile does not decide kill the thread, as
    /// libseccomp's default bad-arch action (OCI profiles), rather than
    /// the process (nsinit's own).
    pub foreign_kills_thread: bool,
    /// The `SECCOMP_FILTER_FLAG_*` to load the filter with: `LOG`,
    /// `SPEC_ALLOW`, `WAIT_KILLABLE_RECV`, and `NEW_LISTENER` for a
    /// supervisor of `Action::Notify` (set by the OCI front end with
    /// `listenerPath`: see `container::notify`).
    pub flags: u32,
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
        Profile {
            default: Action::Allow,
            rules: heapless::Vec::new(),
            args: heapless::Vec::new(),
            other_abis: false,
            no_i386: false,
            no_x32: false,
            foreign_kills_thread: false,
            flags: 0,
        }
    }

    /// What the profile does with the call `nr` when no rule with a
    /// condition holds: its unconditional rule, or the default.
    pub fn action_for(&self, nr: u32) -> Action {
        let rule = self.rules.iter().rev().find(|r| r.nr == nr && r.when == Condition::Always);
        rule.map_or(self.default, |r| r.action)
    }

    /// Empties the profile: it allows everything again, as `new` makes it.
    pub fn clear(&mut self) {
        self.default = Action::Allow;
        self.rules.clear();
        self.args.clear();
        self.set_abis(false, false);
        self.foreign_kills_thread = false;
        self.flags = 0;
    }

    /// Whether the filter decides the calls of the i386 ABI.
    pub fn decides_i386(&self) -> bool {
        self.other_abis && !self.no_i386
    }

    /// Whether the filter decides the calls of the x32 ABI.
    pub fn decides_x32(&self) -> bool {
        self.other_abis && !self.no_x32
    }

    /// Which ABIs the filter decides besides x86_64, which it always
    /// decides; the calls of the others are killed.
    pub fn set_abis(&mut self, i386: bool, x32: bool) {
        self.other_abis = i386 || x32;
        self.no_i386 = !i386;
        self.no_x32 = !x32;
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

    /// Appends a rule for `nr` (in `abi`'s numbering) that applies when
    /// every one of `conds` holds, or always when there is none.
    pub fn push_rule(&mut self, nr: u32, abi: Abi, action: Action, conds: &[ArgCmp]) -> Result<(), Full> {
        let when = match conds.len() {
            0 => Condition::Always,
            count => {
                let first = u16::try_from(self.args.len()).map_err(|_| Full)?;
                let count = u8::try_from(count).map_err(|_| Full)?;
                if self.args.len() + conds.len() > self.args.capacity() || self.rules.is_full() {
                    return Err(Full);
                }
                self.args.extend_from_slice(conds).map_err(|_| Full)?;
                Condition::All { first, count }
            }
        };
        self.rules.push(Rule { nr, action, when, abi }).map_err(|_| Full)
    }

    /// Adds a rule as an OCI runtime does (crun, through libseccomp), so
    /// that the filter decides every call as theirs: a rule with the
    /// default action is left out; conditions on the same argument twice
    /// make one rule each, any of which may hold (as crun and runc do);
    /// the first rule without a condition for a call is the call's only
    /// rule (libseccomp drops the others, before and after it); a
    /// condition that always holds (`MASKED_EQ` with mask 0) is left out.
    /// `added` has seen every rule of the profile: a new one for a new
    /// profile. `Err` when the profile is full.
    pub fn add(&mut self, nr: u32, abi: Abi, action: Action, conds: &[ArgCmp], added: &mut Added) -> Result<(), Full> {
        if action == self.default {
            return Ok(());
        }
        let repeated = conds.iter().enumerate().any(|(i, c)| conds[..i].iter().any(|d| d.arg == c.arg));
        if repeated {
            for c in conds {
                self.add(nr, abi, action, core::slice::from_ref(c), added)?;
            }
            return Ok(());
        }
        let mut kept: heapless::Vec<ArgCmp, MAX_CONDITIONS> = heapless::Vec::new();
        for c in conds.iter().filter(|c| !(c.mask == 0 && c.op == Op::Eq && c.value == 0)) {
            kept.push(*c).map_err(|_| Full)?;
        }
        let this = |r: &Rule| r.nr == nr && r.abi == abi;
        let bit = Added::bit(nr, abi);
        let always = match bit {
            Some((word, b)) => added.always[word] & b != 0,
            None => self.rules.iter().any(|r| this(r) && r.when == Condition::Always),
        };
        if always {
            return Ok(());
        }
        if kept.is_empty() && bit.is_none_or(|(word, b)| added.conditional[word] & b != 0) {
            // Its conditions stay in `args`, unused.
            self.rules.retain(|r| !this(r));
        }
        self.push_rule(nr, abi, action, &kept)?;
        if let Some((word, b)) = bit {
            let set = if kept.is_empty() { &mut added.always } else { &mut added.conditional };
            set[word] |= b;
        }
        Ok(())
    }
}

/// Which calls `Profile::add` has given a rule, a bit per call number
/// below 512 in each `Abi`: one without a condition (`always`), one with
/// (`conditional`). Without it each `add` scanned the rules, and a
/// profile of podman's size (about 700 rules with i386's) took 0.3 ms of a
/// 6 ms `create` to build (`perf record`). Numbers from 512 up are looked
/// for in the rules.
#[derive(Default)]
pub struct Added {
    always: [u64; 16],
    conditional: [u64; 16],
}

impl Added {
    /// The word and bit of call `nr` of `abi`, below 512.
    fn bit(nr: u32, abi: Abi) -> Option<(usize, u64)> {
        let i = usize::try_from(nr).ok().filter(|&n| n < 512)? + abi as usize * 512;
        Some((i / 64, 1 << (i % 64)))
    }
}

/// Most conditions in one rule: one for each argument.
pub const MAX_CONDITIONS: usize = 6;

/// A profile has no room left for a rule: `MAX_RULES` rules, or
/// `MAX_ARG_CMPS` conditions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Full;

impl Condition {
    /// How many conditions on arguments it has.
    pub fn count(self) -> usize {
        match self {
            Condition::Always => 0,
            Condition::HasAnyOf { .. } | Condition::Equals { .. } => 1,
            Condition::All { count, .. } => usize::from(count),
        }
    }

    /// Its `i`th condition, with `args` the profile's.
    pub fn test(self, args: &[ArgCmp], i: usize) -> Option<ArgCmp> {
        let low = u64::from(u32::MAX);
        match self {
            Condition::Always => None,
            Condition::HasAnyOf { arg, mask } => (i == 0).then_some(ArgCmp { arg, op: Op::Ne, mask: u64::from(mask), value: 0 }),
            Condition::Equals { arg, value } => (i == 0).then_some(ArgCmp { arg, op: Op::Eq, mask: low, value: u64::from(value) }),
            Condition::All { first, count } => match i < usize::from(count) {
                true => args.get(usize::from(first) + i).copied(),
                false => None,
            },
        }
    }
}
