//! The assembler: a profile to the classic BPF program that
//! `seccomp(SECCOMP_SET_MODE_FILTER)` loads, for x86_64 and, when the
//! profile covers them, its i386 and x32 ABIs.
//!
//! The program runs on every call the payload makes, so it finds a call's
//! rule by binary search on its number, not by one compare per rule; i386
//! has its own search, over its own numbers; x32 shares x86_64's, less
//! its bit:
//!
//! ```text
//!     ld   arch                 x86_64: its search; i386: its own;
//!     jeq  AUDIT_ARCH_X86_64    anything else: kill
//!     jeq  AUDIT_ARCH_I386
//!     ld   nr                   without the other ABIs: x32 (bit 30
//!     jge  0x40000000           set) is killed, but -1; with them, x32
//!     jeq  -1  (or: and ~bit)   loses the bit and is searched as x86_64
//!     jge  START                the search: one jge per level, on where a
//!     ...                       run of numbers with one action starts,
//!     ret  ACTION               down to the run's ret;
//!     ld   args[N]              or, for a call with rules on its arguments,
//!     jset MASK / jeq VALUE     the rules' tests in order, each condition
//!     ...                       on the argument's high half (for x86_64
//! ```                           and x32), then on its low half
//!
//! A condition `(arg & mask) OP value` compares 64-bit numbers with 32-bit
//! instructions as libseccomp does: on the high halves, then, where they
//! are equal, on the low ones. A high half that neither the mask nor the
//! value has is not tested, so that a test of an `int` costs one `ld` and
//! one jump (and no `ld`, when the test before left that argument in `A`).
//!
//! Classic BPF jumps forward only, and a conditional jump at most 255
//! instructions. The program is built from its end: every jump's targets
//! are already placed when it is written, so it knows how far they are. A
//! target out of reach gets, just before the jump, a copy of its `ret` or
//! a `ja`, which reaches anywhere. A `ret` serves every jump it is in
//! reach of.

use super::abi::{X32_SYSCALL_BIT, i386_number, x32_number};
use super::{Abi, Action, ArgCmp, Condition, MAX_INSNS, MAX_RULES, Op, Profile, sock_filter};
use crate::error::Error;
use core::mem::offset_of;
use heapless::{Vec, VecView};
use linux_raw_sys::ptrace::{
    AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, BPF_ABS, BPF_ALU, BPF_AND, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD,
    BPF_RET, BPF_W, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG,
    SECCOMP_RET_TRACE, SECCOMP_RET_TRAP, SECCOMP_RET_USER_NOTIF, seccomp_data,
};

const LD: u16 = (BPF_LD | BPF_W | BPF_ABS) as u16;
const JEQ: u16 = (BPF_JMP | BPF_JEQ | BPF_K) as u16;
const JGE: u16 = (BPF_JMP | BPF_JGE | BPF_K) as u16;
const JGT: u16 = (BPF_JMP | BPF_JGT | BPF_K) as u16;
const JSET: u16 = (BPF_JMP | BPF_JSET | BPF_K) as u16;
const JA: u16 = (BPF_JMP | BPF_JA) as u16;
const RET: u16 = (BPF_RET | BPF_K) as u16;
const AND: u16 = (BPF_ALU | BPF_AND | BPF_K) as u16;

const ARCH: u32 = offset_of!(seccomp_data, arch) as u32;
const NR: u32 = offset_of!(seccomp_data, nr) as u32;
/// The low half of the first argument: x86_64 is little-endian.
const ARG0: u32 = offset_of!(seccomp_data, args) as u32;
/// From one argument to the next.
const ARG_SIZE: u32 = 8;
/// The number a tracer sets to skip a call. From Linux 4.8 on, seccomp
/// checks a call after a tracer has seen it, so -1 must not be killed as
/// an x32 number (libseccomp makes the same exception).
const SKIPPED: u32 = u32::MAX;
/// The farthest a conditional jump reaches.
const REACH: usize = u8::MAX as usize;

/// The rules' places are kept as `u16`.
const _: () = assert!(MAX_RULES <= u16::MAX as usize);

/// Most numbers one search covers: each rule's x86_64 number and x32's
/// own.
const MAX_ENTRIES: usize = 2 * MAX_RULES;

/// A number in one ABI's search, and the place of the rule for it.
type Entry = (u32, u16);

impl Action {
    /// The filter's return value for it.
    const fn ret(self) -> u32 {
        match self {
            Action::Allow => SECCOMP_RET_ALLOW,
            Action::Errno(errno) => SECCOMP_RET_ERRNO | errno as u32,
            Action::Kill => SECCOMP_RET_KILL_PROCESS,
            Action::KillThread => SECCOMP_RET_KILL_THREAD,
            Action::Trap => SECCOMP_RET_TRAP,
            Action::Trace(data) => SECCOMP_RET_TRACE | data as u32,
            Action::Log => SECCOMP_RET_LOG,
            Action::Notify => SECCOMP_RET_USER_NOTIF,
        }
    }
}

impl Profile {
    /// What the filter returns for a call of an ABI it does not decide.
    const fn foreign(&self) -> Target {
        Target::Ret(if self.foreign_kills_thread { SECCOMP_RET_KILL_THREAD } else { SECCOMP_RET_KILL_PROCESS })
    }
}

/// A filter as `assemble` writes it, and the room it sorts a profile's
/// numbers in: kept together in one static by its user, so that neither
/// (the numbers take 8 KiB) is on the stack.
pub struct Program {
    insns: Vec<sock_filter, MAX_INSNS>,
    order: Vec<Entry, MAX_ENTRIES>,
    flags: u32,
}

impl Program {
    /// Empty; all zeros, so that a `static` of it costs no file space.
    pub const fn new() -> Program {
        Program { insns: Vec::new(), order: Vec::new(), flags: 0 }
    }

    /// The instructions, for `seccomp(SECCOMP_SET_MODE_FILTER)`.
    pub fn insns(&self) -> &[sock_filter] {
        &self.insns
    }

    /// The profile's `SECCOMP_FILTER_FLAG_*`, to load the filter with.
    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// The program, ready to load.
    pub fn filter(&'static self) -> Filter {
        Filter { insns: &self.insns, flags: self.flags }
    }
}

/// A filter ready for `seccomp(SECCOMP_SET_MODE_FILTER)`: its instructions
/// (at most `MAX_INSNS`) and the `SECCOMP_FILTER_FLAG_*` to load it with.
/// Either assembled at the start (`Program::filter`) or the default
/// profile's, assembled when nsinit was built (`super::prebuilt_default`).
#[derive(Clone, Copy)]
pub struct Filter {
    pub insns: &'static [sock_filter],
    pub flags: u32,
}

impl Default for Program {
    fn default() -> Self {
        Program::new()
    }
}

/// Assembles `p` into `out`, replacing what `out` held.
pub fn assemble(p: &Profile, out: &mut Program) -> Result<(), Error> {
    out.flags = p.flags;
    assemble_into(p, out.insns.as_mut_view(), &mut out.order)
}

/// The same into any room: the tests' is small.
fn assemble_into(p: &Profile, out: &mut VecView<sock_filter>, order: &mut Vec<Entry, MAX_ENTRIES>) -> Result<(), Error> {
    out.clear();
    let mut program = Backwards { insns: out, p, wide: true, full: false, rets: Vec::new() };
    let foreign = p.foreign();
    // Built from the end: i386's search last, x86_64's before it.
    let not_x86_64 = match p.decides_i386() {
        true => {
            let i386 = program.abi_search(p, AUDIT_ARCH_I386, order);
            let x86_64 = program.abi_search(p, AUDIT_ARCH_X86_64, order);
            (program.jump(JEQ, AUDIT_ARCH_I386, i386, foreign), x86_64)
        }
        false => (foreign, program.abi_search(p, AUDIT_ARCH_X86_64, order)),
    };
    let (no, x86_64) = not_x86_64;
    program.jump(JEQ, AUDIT_ARCH_X86_64, x86_64, no);
    program.push(LD, 0, 0, ARCH);
    if program.full {
        out.clear();
        return Err(Error::new(b"seccomp: the filter is longer than ")
            .push_u64(out.capacity() as u64)
            .push(b" instructions"));
    }
    // Every jump had its targets placed first, so the first instruction
    // placed, now the last, is a `ret`, as the kernel requires.
    out.reverse();
    Ok(())
}

/// The numbers the search for `arch` covers: each rule's number in that
/// ABI (x86_64's search also holds x32's own numbers, less the x32 bit,
/// when the profile covers x32), sorted, the rules of one number in the
/// profile's order.
fn entries(p: &Profile, arch: u32, into: &mut Vec<Entry, MAX_ENTRIES>) {
    into.clear();
    let x32 = p.decides_x32() && arch == AUDIT_ARCH_X86_64;
    for (i, rule) in p.rules.iter().enumerate() {
        let (own, other) = match (rule.abi, arch) {
            (Abi::X86_64, AUDIT_ARCH_X86_64) => (Some(rule.nr), x32.then(|| x32_own(rule.nr)).flatten()),
            (Abi::X86_64, _) => (i386_number(rule.nr), None),
            (Abi::I386, AUDIT_ARCH_I386) => (Some(rule.nr), None),
            (Abi::I386, _) => (None, None),
        };
        // Fits: two entries a rule at most.
        for nr in [own, other].into_iter().flatten() {
            let _ = into.push((nr, i as u16));
        }
    }
    // By number, then by place in the profile. Shell sort: a few lines,
    // where an insertion sort took 20 us on the default profile's 86
    // numbers and core's sort 3 KiB of code.
    for gap in [23, 10, 4, 1] {
        for i in gap..into.len() {
            let mut j = i;
            while let Some([a, .., b]) = into.get_mut(j - gap..=j) {
                if *a <= *b {
                    break;
                }
                core::mem::swap(a, b);
                j = match j.checked_sub(gap) {
                    Some(k) if k >= gap => k,
                    _ => break,
                };
            }
        }
    }
}

/// The number, less the x32 bit, under which x32 has the x86_64 call `nr`
/// when it is not `nr` itself: one of x32's calls of its own, from 512 on.
fn x32_own(nr: u32) -> Option<u32> {
    let own = x32_number(nr) & !X32_SYSCALL_BIT;
    (own != nr).then_some(own)
}

/// Numbers the filter treats alike, from `start` up to the next run: the
/// rules `args` (places in the profile) are tried on the first argument,
/// and if none holds, the filter returns `ret`. Most runs have no `args`.
#[derive(Clone, Copy)]
struct Run<'a> {
    start: u32,
    ret: u32,
    args: &'a [Entry],
}

/// The runs that cover all numbers, from the highest down, made as they
/// are needed rather than kept.
#[derive(Clone, Copy)]
struct Runs<'a> {
    p: &'a Profile,
    /// The numbers and their rules' places, sorted by number.
    order: &'a [Entry],
    /// `order[..unread]` are the rules not read yet.
    unread: usize,
    /// The numbers still to come are those below `end`.
    end: u64,
}

impl<'a> Runs<'a> {
    /// The highest piece still to come: a number that has rules, or the
    /// gap below the last such number down to the next one.
    fn piece(&mut self) -> Option<Run<'a>> {
        let top = self.end.checked_sub(1)?;
        let (p, order) = (self.p, self.order);
        let nr_at = |i: usize| order.get(i).map(|&(nr, _)| nr);
        let default = p.default.ret();
        match self.unread.checked_sub(1).and_then(nr_at) {
            Some(nr) if u64::from(nr) == top => {
                let mut first = self.unread;
                while first > 0 && nr_at(first - 1) == Some(nr) {
                    first -= 1;
                }
                let args = order.get(first..self.unread).unwrap_or_default();
                (self.unread, self.end) = (first, u64::from(nr));
                let (mut ret, mut on_args) = (default, false);
                for rule in args.iter().filter_map(|&(_, r)| p.rules.get(usize::from(r))) {
                    match rule.when {
                        Condition::Always => ret = rule.action.ret(),
                        _ => on_args = true,
                    }
                }
                Some(Run { start: nr, ret, args: if on_args { args } else { &[] } })
            }
            below => {
                // Below `top`, so the start fits.
                let start = below.map_or(0, |nr| nr + 1);
                self.end = u64::from(start);
                Some(Run { start, ret: default, args: &[] })
            }
        }
    }
}

impl<'a> Iterator for Runs<'a> {
    type Item = Run<'a>;

    /// The next run down: a piece, and the pieces below it that return
    /// the same.
    fn next(&mut self) -> Option<Run<'a>> {
        let mut run = self.piece()?;
        while run.args.is_empty() {
            let mut ahead = *self;
            match ahead.piece() {
                Some(below) if below.args.is_empty() && below.ret == run.ret => {
                    run.start = below.start;
                    *self = ahead;
                }
                _ => break,
            }
        }
        Some(run)
    }
}

/// Where a jump goes: to an instruction, by its place from the end of the
/// program, or to any `ret` of this value.
#[derive(Clone, Copy)]
enum Target {
    At(usize),
    Ret(u32),
}

/// The program being built from its end: `insns[0]` is its last
/// instruction. When it does not fit, `full` notes it, and what is built
/// is thrown away.
struct Backwards<'a> {
    insns: &'a mut VecView<sock_filter>,
    p: &'a Profile,
    /// Whether the ABI searched has 64-bit arguments (x86_64 and x32), or
    /// 32-bit ones (i386).
    wide: bool,
    full: bool,
    /// The latest `ret` placed for each value, while there is room: the
    /// nearest to the next instruction, found without a scan.
    rets: Vec<(u32, usize), LATEST_RETS>,
}

/// Values whose latest `ret` is remembered; a profile has a few (allow,
/// kill, an errno or two), and the others are found by a scan.
const LATEST_RETS: usize = 8;

impl Backwards<'_> {
    fn push(&mut self, code: u16, jt: u8, jf: u8, k: u32) -> Target {
        self.full |= self.insns.push(sock_filter { code, jt, jf, k }).is_err();
        let at = self.insns.len().saturating_sub(1);
        if code == RET {
            match self.rets.iter_mut().find(|(value, _)| *value == k) {
                Some(latest) => latest.1 = at,
                None => {
                    let _ = self.rets.push((k, at));
                }
            }
        }
        Target::At(at)
    }

    /// Where the nearest `ret` of `k` within a conditional jump's reach is.
    fn ret_in_reach(&self, k: u32) -> Option<usize> {
        let next = self.insns.len();
        let in_reach = |at: &usize| next - at <= REACH + 1;
        match self.rets.iter().find(|(value, _)| *value == k) {
            Some((_, at)) => Some(*at).filter(in_reach),
            None => (next.saturating_sub(REACH + 1)..next)
                .rev()
                .find(|&at| self.insns.get(at).is_some_and(|i| i.code == RET && i.k == k)),
        }
    }

    /// The offset of `to` from the next instruction, if a conditional
    /// jump reaches it.
    fn offset(&self, to: Target) -> Option<u8> {
        if self.full {
            // What is built will be thrown away: end the jumps' rounds.
            return Some(0);
        }
        let next = self.insns.len();
        let at = match to {
            Target::At(at) => at,
            Target::Ret(k) => self.ret_in_reach(k)?,
        };
        u8::try_from(next.checked_sub(at + 1)?).ok()
    }

    /// Places a way to `to` just before the next instruction.
    fn bring_near(&mut self, to: Target) -> Target {
        match to {
            Target::Ret(k) => self.push(RET, 0, 0, k),
            Target::At(at) => {
                let offset = self.insns.len().saturating_sub(at + 1);
                self.push(JA, 0, 0, offset as u32)
            }
        }
    }

    /// A conditional jump: to `yes` if `A` compared with `k` holds, else
    /// to `no`.
    fn jump(&mut self, code: u16, k: u32, mut yes: Target, mut no: Target) -> Target {
        // At most three rounds: bringing one target near may push the
        // other, which was just in reach, out of it.
        loop {
            match (self.offset(yes), self.offset(no)) {
                (Some(jt), Some(jf)) => return self.push(code, jt, jf, k),
                (None, _) => yes = self.bring_near(yes),
                (_, None) => no = self.bring_near(no),
            }
        }
    }

    /// The calls of `arch`: load the number, then search it (for x86_64
    /// without the other ABIs, kill x32 numbers but -1 first).
    fn abi_search(&mut self, p: &Profile, arch: u32, order: &mut Vec<Entry, MAX_ENTRIES>) -> Target {
        entries(p, arch, order);
        self.wide = arch == AUDIT_ARCH_X86_64;
        let mut runs = Runs { p, order, unread: order.len(), end: 1 << 32 };
        let count = runs.count();
        let (search, _) = self.search(&mut runs, count);
        if arch == AUDIT_ARCH_X86_64 && !p.decides_x32() {
            let skipped = self.jump(JEQ, SKIPPED, search, p.foreign());
            self.jump(JGE, X32_SYSCALL_BIT, skipped, search);
        } else if arch == AUDIT_ARCH_X86_64 {
            // x32 shares x86_64's search, less its bit: its calls have the
            // x86_64 numbers but for its own from 512 on, which x86_64 does
            // not have. What the two ABIs lack (x86_64's numbers from 512,
            // x32's of the calls it took its own numbers for) gets the
            // other's decision, and the kernel answers it with ENOSYS.
            let strip = self.push(AND, 0, 0, !X32_SYSCALL_BIT);
            self.jump(JGE, X32_SYSCALL_BIT, strip, search);
        }
        self.push(LD, 0, 0, NR)
    }

    /// The search for the number in `A` among the next `count` runs;
    /// returns where it starts and the lowest number it covers. Its depth
    /// is the log of the number of runs.
    fn search(&mut self, runs: &mut Runs<'_>, count: usize) -> (Target, u32) {
        if count > 1 {
            // The program runs the low half right after the jump and the
            // high half after that; built from the end, the high half
            // comes first.
            let (high, middle) = self.search(runs, count - count / 2);
            let (low, start) = self.search(runs, count / 2);
            return (self.jump(JGE, middle, high, low), start);
        }
        match runs.next() {
            Some(run) => (self.leaf(run), run.start),
            // Never: there are `count` runs.
            None => (Target::Ret(SECCOMP_RET_KILL_PROCESS), 0),
        }
    }

    /// A run's rules on the arguments, if it has any, in order, down to
    /// its `ret`: each rule's conditions, the first that fails going on to
    /// the next rule.
    fn leaf(&mut self, run: Run<'_>) -> Target {
        let (p, wide) = (self.p, self.wide);
        let rule_at = |i: usize| {
            let rule = run.args.get(i).and_then(|&(_, r)| p.rules.get(usize::from(r)));
            rule.filter(|r| r.when != Condition::Always)
        };
        let mut next = Target::Ret(run.ret);
        for i in (0..run.args.len()).rev() {
            let Some(rule) = rule_at(i) else { continue };
            // What `A` holds when this rule starts: what the test of the
            // rule before leaves in it, if it has one test.
            let before = (0..i).rev().find_map(rule_at).filter(|b| b.when.count() == 1);
            let entry = before.and_then(|b| b.when.test(&p.args, 0)).and_then(|c| leaves(c, wide));
            let mut yes = Target::Ret(rule.action.ret());
            for j in (0..rule.when.count()).rev() {
                let holds = match j {
                    0 => entry,
                    _ => rule.when.test(&p.args, j - 1).and_then(|c| leaves(c, wide)),
                };
                if let Some(c) = rule.when.test(&p.args, j) {
                    yes = self.test(c, yes, next, holds);
                }
            }
            next = yes;
        }
        next
    }

    /// One condition: on to `yes` if it holds, else to `no`. `holds` is the
    /// argument half `A` holds when the test starts, if known.
    fn test(&mut self, c: ArgCmp, yes: Target, no: Target, holds: Option<u32>) -> Target {
        // Each operator is one of three jumps, or its opposite.
        let (code, t, f) = match c.op {
            Op::Eq => (JEQ, yes, no),
            Op::Ne => (JEQ, no, yes),
            Op::Gt => (JGT, yes, no),
            Op::Le => (JGT, no, yes),
            Op::Ge => (JGE, yes, no),
            Op::Lt => (JGE, no, yes),
        };
        let (low, high) = halves(c);
        let [mask_lo, mask_hi, value_lo, value_hi] = split(c);
        // The low half, where the high halves are equal.
        let low_test = match mask_lo {
            u32::MAX => self.jump(code, value_lo, t, f),
            _ if code == JEQ && value_lo == 0 => self.jump(JSET, mask_lo, f, t),
            _ => {
                self.jump(code, value_lo, t, f);
                self.push(AND, 0, 0, mask_lo)
            }
        };
        let low_test = match holds == Some(low) && leaves(c, self.wide) == Some(low) {
            true => low_test,
            false => self.push(LD, 0, 0, low),
        };
        if !self.wide || (mask_hi == 0 && value_hi == 0) {
            return low_test;
        }
        // The high half: above the value's decides at once, equal to it
        // leaves it to the low half, below it fails.
        match code {
            JEQ => self.jump(JEQ, value_hi, low_test, f),
            _ => {
                let equal = self.jump(JEQ, value_hi, low_test, f);
                self.jump(JGT, value_hi, t, equal)
            }
        };
        if mask_hi != u32::MAX {
            self.push(AND, 0, 0, mask_hi);
        }
        self.push(LD, 0, 0, high)
    }
}

/// Where the low and the high half of `c`'s argument are in `seccomp_data`
/// (six arguments; x86_64 is little-endian).
fn halves(c: ArgCmp) -> (u32, u32) {
    let low = ARG0 + u32::from(c.arg.min(5)) * ARG_SIZE;
    (low, low + 4)
}

/// `c`'s mask and value, each as its low and high halves.
const fn split(c: ArgCmp) -> [u32; 4] {
    [c.mask as u32, (c.mask >> 32) as u32, c.value as u32, (c.value >> 32) as u32]
}

/// The argument half a test leaves in `A` whichever way it goes, if it is
/// one: a test of the low half alone, with no mask applied to `A`.
fn leaves(c: ArgCmp, wide: bool) -> Option<u32> {
    let [mask_lo, mask_hi, value_lo, value_hi] = split(c);
    let low_alone = !wide || (mask_hi == 0 && value_hi == 0);
    let jset = matches!(c.op, Op::Eq | Op::Ne) && value_lo == 0;
    (low_alone && (mask_lo == u32::MAX || jset)).then_some(halves(c).0)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::seccomp::{Added, Rule};
    use crate::seccomp::abi::x32_number;
    use linux_raw_sys::general::{CLONE_FS, CLONE_NEWNET, CLONE_NEWUSER, CLONE_SETTLS, CLONE_THREAD, CLONE_VM};
    use linux_raw_sys::ptrace::{AUDIT_ARCH_AARCH64, AUDIT_ARCH_I386, BPF_MAXINSNS};

    const ALLOW: u32 = SECCOMP_RET_ALLOW;
    const KILL: u32 = SECCOMP_RET_KILL_PROCESS;

    /// Fails the test where the kernel would refuse to load `program`
    /// (bpf_check_classic and seccomp_check_filter).
    fn check_loadable(program: &[sock_filter]) {
        assert!(!program.is_empty() && program.len() <= BPF_MAXINSNS as usize, "length {}", program.len());
        assert_eq!(program.last().map(|i| i.code), Some(RET), "the last instruction must be a ret");
        for (pc, i) in program.iter().enumerate() {
            let after = program.len() - pc - 1;
            match i.code {
                LD => assert!(i.k % 4 == 0 && (i.k as usize) < size_of::<seccomp_data>(), "ld {} at {pc}", i.k),
                JA => assert!((i.k as usize) < after, "ja {} at {pc}", i.k),
                JEQ | JGE | JGT | JSET => {
                    assert!((i.jt as usize) < after && (i.jf as usize) < after, "jump out at {pc}")
                }
                RET | AND => {}
                code => panic!("unexpected instruction {code:#x} at {pc}"),
            }
        }
    }

    /// The word of `data` at offset `k`, as `ld [k]` loads it.
    fn word(data: &seccomp_data, k: u32) -> u32 {
        match k {
            0 => data.nr as u32,
            4 => data.arch,
            8 | 12 => (data.instruction_pointer >> ((k - 8) * 8)) as u32,
            _ => (data.args[(k as usize - 16) / 8] >> ((k % 8) * 8)) as u32,
        }
    }

    /// Runs `program` on a call, as the kernel does.
    pub(crate) fn run(program: &[sock_filter], data: &seccomp_data) -> u32 {
        let (mut a, mut pc) = (0u32, 0usize);
        loop {
            let i = program[pc];
            pc += 1;
            let (jt, jf) = (usize::from(i.jt), usize::from(i.jf));
            match i.code {
                LD => a = word(data, i.k),
                JA => pc += i.k as usize,
                JEQ => pc += if a == i.k { jt } else { jf },
                JGT => pc += if a > i.k { jt } else { jf },
                JGE => pc += if a >= i.k { jt } else { jf },
                JSET => pc += if a & i.k != 0 { jt } else { jf },
                AND => a &= i.k,
                RET => return i.k,
                code => panic!("unexpected instruction {code:#x}"),
            }
        }
    }

    pub(crate) fn call(arch: u32, nr: u32, arg0: u64) -> seccomp_data {
        call2(arch, nr, arg0, 1)
    }

    pub(crate) fn call2(arch: u32, nr: u32, arg0: u64, arg1: u64) -> seccomp_data {
        seccomp_data { nr: nr as i32, arch, instruction_pointer: 0x7fff_1234_5678, args: [arg0, arg1, 2, 3, 4, 5] }
    }

    /// What the profile says a call gets, by the rules of `Rule`'s and
    /// `ArgCmp`'s doc, and `Profile::other_abis`'s.
    fn expected(p: &Profile, data: &seccomp_data) -> u32 {
        let (arch, nr) = (data.arch, data.nr as u32);
        let x32 = arch == AUDIT_ARCH_X86_64 && nr >= X32_SYSCALL_BIT && nr != u32::MAX;
        let covered = arch == AUDIT_ARCH_X86_64 || (arch == AUDIT_ARCH_I386 && p.decides_i386());
        if !covered || (x32 && !p.decides_x32()) {
            return if p.foreign_kills_thread { SECCOMP_RET_KILL_THREAD } else { KILL };
        }
        // A rule's number in the call's ABI.
        let number = |r: &Rule| match (r.abi, arch) {
            (Abi::X86_64, AUDIT_ARCH_I386) => i386_number(r.nr),
            // x32 shares x86_64's search (see abi_search), less its bit.
            (Abi::X86_64, _) if p.decides_x32() && x32_own(r.nr) == Some(nr & !X32_SYSCALL_BIT) => Some(nr),
            (Abi::X86_64, _) if x32 => Some(r.nr | X32_SYSCALL_BIT),
            (Abi::X86_64, _) => Some(r.nr),
            (Abi::I386, AUDIT_ARCH_I386) => Some(r.nr),
            (Abi::I386, _) => None,
        };
        let rules = p.rules.iter().filter(|r| number(r) == Some(nr));
        let low = |arg: u8| data.args[usize::from(arg)] as u32;
        let holds = |r: &&Rule| match r.when {
            Condition::Always => false,
            Condition::HasAnyOf { arg, mask } => low(arg) & mask != 0,
            Condition::Equals { arg, value } => low(arg) == value,
            Condition::All { first, count } => {
                p.args[usize::from(first)..][..usize::from(count)].iter().all(|&c| compares(c, &data.args, arch != AUDIT_ARCH_I386))
            }
        };
        if let Some(rule) = rules.clone().find(holds) {
            return rule.action.ret();
        }
        rules.clone().rfind(|r| r.when == Condition::Always).map_or(p.default, |r| r.action).ret()
    }

    /// Whether `c` holds for a call with `args`: as 64-bit numbers, or
    /// (not `wide`) their low halves.
    fn compares(c: ArgCmp, args: &[u64; 6], wide: bool) -> bool {
        let (mut a, mut v) = (args[usize::from(c.arg)] & c.mask, c.value);
        if !wide {
            (a, v) = (a & 0xffff_ffff, v & 0xffff_ffff);
        }
        match c.op {
            Op::Eq => a == v,
            Op::Ne => a != v,
            Op::Lt => a < v,
            Op::Le => a <= v,
            Op::Gt => a > v,
            Op::Ge => a >= v,
        }
    }

    /// Arguments that put `c` to the test: its value, around it, in each
    /// half, and the bits its mask leaves out.
    fn near(c: ArgCmp) -> [u64; 14] {
        let (v, m) = (c.value, c.mask);
        let low_bit = m & m.wrapping_neg();
        [
            v,
            v.wrapping_add(1),
            v.wrapping_sub(1),
            !v,
            v | !m,
            v ^ 1 << 32,
            v ^ 1,
            v ^ low_bit,
            v & 0xffff_ffff,
            v | 0xdead_0000_0000,
            v.wrapping_add(1 << 32),
            v.wrapping_sub(1 << 32),
            0,
            u64::MAX,
        ]
    }

    /// Calls that put rule `r` to the test: each of its conditions in
    /// turn, with arguments that make the others hold where one does.
    fn rule_calls(p: &Profile, r: &Rule) -> std::vec::Vec<[u64; 6]> {
        let conds: std::vec::Vec<ArgCmp> = (0..r.when.count()).filter_map(|j| r.when.test(&p.args, j)).collect();
        let mut all = [0, 1, 2, 3, 4, 5];
        for c in &conds {
            let same: std::vec::Vec<_> = conds.iter().filter(|d| d.arg == c.arg).collect();
            if let Some(v) = near(*c).into_iter().find(|&v| {
                let mut a = all;
                a[usize::from(c.arg)] = v;
                same.iter().all(|&&d| compares(d, &a, true))
            }) {
                all[usize::from(c.arg)] = v;
            }
        }
        let mut calls = vec![all];
        for c in &conds {
            for v in near(*c) {
                let mut a = all;
                a[usize::from(c.arg)] = v;
                calls.push(a);
            }
        }
        calls
    }

    /// Assembles `p`, checks that the kernel would load the program, and
    /// that it does what `p` says for every number up to past the last
    /// rule's, in each ABI, the x32 and -1 numbers, other architectures,
    /// and arguments that the conditions test and that they do not.
    pub(crate) fn assemble_and_check(p: &Profile) -> std::vec::Vec<sock_filter> {
        let mut program = Box::new(Program::new());
        if let Err(e) = assemble(p, &mut program) {
            panic!("{}", e.text());
        }
        let out = program.insns().to_vec();
        check_loadable(&out);
        let mut values: std::vec::Vec<u64> =
            vec![0, 1, 8, 38, 39, 40, 0x20000, 0x20008, 0x40000, 0xffff_ffff, 1 << 32 | 40, u64::MAX];
        values.extend(
            [CLONE_NEWUSER, CLONE_NEWNET | CLONE_VM, CLONE_VM | CLONE_FS | CLONE_THREAD | CLONE_SETTLS | 17]
                .map(u64::from),
        );
        // On the first argument, or the second.
        let generic: std::vec::Vec<[u64; 6]> =
            values.iter().flat_map(|&v| [[v, 1, 2, 3, 4, 5], [0, v, 2, 3, 4, 5]]).collect();
        // The calls each rule's conditions are tested with, by number in
        // each ABI.
        let mut special: std::collections::BTreeMap<(u32, u32), std::vec::Vec<[u64; 6]>> = Default::default();
        for rule in p.rules.iter().filter(|r| r.when != Condition::Always) {
            let calls = rule_calls(p, rule);
            let numbers = match rule.abi {
                Abi::X86_64 => vec![
                    Some((AUDIT_ARCH_X86_64, rule.nr)),
                    i386_number(rule.nr).map(|n| (AUDIT_ARCH_I386, n)),
                    Some((AUDIT_ARCH_X86_64, x32_number(rule.nr))),
                ],
                Abi::I386 => vec![Some((AUDIT_ARCH_I386, rule.nr))],
            };
            for key in numbers.into_iter().flatten() {
                special.entry(key).or_default().extend(&calls);
            }
        }
        let last = p.rules.iter().map(|r| r.nr.min(X32_SYSCALL_BIT)).max().unwrap_or(0).max(600);
        let odd = [
            X32_SYSCALL_BIT,
            X32_SYSCALL_BIT + 1,
            X32_SYSCALL_BIT + 435,
            0x7fff_ffff,
            0x8000_0000,
            u32::MAX - 1,
            u32::MAX,
        ];
        let x32 = (X32_SYSCALL_BIT..=X32_SYSCALL_BIT + 600).filter(|_| p.decides_x32());
        let check = |arch: u32, nr: u32, args: &[u64; 6]| {
            let data = seccomp_data { nr: nr as i32, arch, instruction_pointer: 0x7fff_1234_5678, args: *args };
            let got = run(&out, &data);
            assert_eq!(got, expected(p, &data), "nr {nr:#x}, arch {arch:#x}, args {args:#x?}");
        };
        for nr in (0..=last + 1).chain(odd).chain(x32) {
            for arch in [AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64] {
                for args in &generic {
                    check(arch, nr, args);
                }
            }
        }
        for (&(arch, nr), calls) in &special {
            for args in calls {
                check(arch, nr, args);
            }
        }
        out.to_vec()
    }

    fn rule(nr: u32, action: Action, when: Condition) -> Rule {
        Rule { nr, action, when, abi: Abi::X86_64 }
    }

    #[test]
    fn an_empty_profile_checks_only_the_abi() {
        let mut p = Profile::new();
        let out = assemble_and_check(&p);
        // ld, jeq, ld, jge, jeq, and the rets for kill and allow.
        assert_eq!(out.len(), 7, "{out:?}");
        p.default = Action::Errno(1);
        assemble_and_check(&p);
        p.default = Action::Kill;
        assemble_and_check(&p);
    }

    #[test]
    fn runs_are_merged_and_searched() {
        let mut p = Profile::new();
        for nr in [3, 4, 5, 9, 10, 0, 600, 601, 12] {
            p.rules.push(rule(nr, Action::Errno(1), Condition::Always)).unwrap();
        }
        // Allowed anyway: merges with its neighbours.
        p.rules.push(rule(7, Action::Allow, Condition::Always)).unwrap();
        p.rules.push(rule(11, Action::Kill, Condition::Always)).unwrap();
        let out = assemble_and_check(&p);
        // Runs: 0, 1-2, 3-5, 6-8, 9-10, 11, 12, 13-599, 600-601, 602-: nine
        // jge, the five instructions of the ABI checks, and three rets.
        assert_eq!(out.len(), 9 + 5 + 3, "{out:?}");
    }

    #[test]
    fn rules_on_arguments_are_tried_in_order_then_the_unconditional_one() {
        let mut p = Profile::new();
        p.rules.push(rule(5, Action::Errno(3), Condition::Always)).unwrap();
        p.rules.push(rule(5, Action::Kill, Condition::HasAnyOf { arg: 0, mask: 0x11 })).unwrap();
        p.rules.push(rule(5, Action::Allow, Condition::Equals { arg: 0, value: 0x10 })).unwrap();
        p.rules.push(rule(6, Action::Errno(4), Condition::Equals { arg: 0, value: 40 })).unwrap();
        p.rules.push(rule(6, Action::Errno(5), Condition::Equals { arg: 0, value: 38 })).unwrap();
        let out = assemble_and_check(&p);
        let decide = |nr, arg0| run(&out, &call(AUDIT_ARCH_X86_64, nr, arg0));
        assert_eq!(decide(5, 0x10), KILL);
        assert_eq!(decide(5, 0x2), SECCOMP_RET_ERRNO | 3);
        assert_eq!(decide(6, 40), SECCOMP_RET_ERRNO | 4);
        assert_eq!(decide(6, 1 << 32 | 38), SECCOMP_RET_ERRNO | 5);
        assert_eq!(decide(6, 41), ALLOW);
    }

    #[test]
    fn long_programs_get_trampolines_and_copies_of_rets() {
        let mut p = Profile::new();
        p.default = Action::Errno(1);
        for i in 0..400u32 {
            let action = match i % 3 {
                0 => Action::Allow,
                1 => Action::Kill,
                _ => Action::Errno((i % 50 + 2) as u16),
            };
            let when = match i % 7 {
                0 => Condition::HasAnyOf { arg: 0, mask: 1 << (i % 32) },
                3 => Condition::Equals { arg: 0, value: i },
                _ => Condition::Always,
            };
            p.rules.push(rule(2 * i + i % 2, action, when)).unwrap();
        }
        let out = assemble_and_check(&p);
        assert!(out.iter().any(|i| i.code == JA), "no trampoline");
        assert!(out.iter().filter(|i| i.code == RET && i.k == KILL).count() > 1, "no copy of a ret");
        println!("400 rules: {} instructions", out.len());
    }

    #[test]
    fn the_largest_profiles_fit() {
        // Every rule its own run and its own errno, all or half of them on
        // the argument, with gaps between the numbers or without.
        for (on_args, step) in [(1, 2), (2, 2), (1, 1), (3, 1)] {
            let mut p = Profile::new();
            for i in 0..MAX_RULES as u32 {
                let when = if i % on_args == 0 { Condition::Equals { arg: 0, value: i } } else { Condition::Always };
                p.rules.push(rule(i * step, Action::Errno(i as u16 + 1), when)).unwrap();
            }
            let out = assemble_and_check(&p);
            println!(
                "{MAX_RULES} rules, 1 in {on_args} on the argument, numbers {step} apart: {} instructions",
                out.len()
            );
            assert!(out.len() <= MAX_INSNS * 3 / 4);
        }
    }

    #[test]
    fn too_long_is_an_error() {
        let mut p = Profile::new();
        for i in 0..40 {
            p.rules.push(rule(i * 2, Action::Errno(1), Condition::Always)).unwrap();
        }
        let mut small: Vec<sock_filter, 64> = Vec::new();
        let e = assemble_into(&p, small.as_mut_view(), &mut Vec::new()).unwrap_err();
        assert_eq!(e.text(), "nsinit: seccomp: the filter is longer than 64 instructions");
    }

    /// A profile with one rule on the call 5 whose conditions are `conds`.
    fn one_rule(action: Action, conds: &[ArgCmp]) -> Profile {
        let mut p = Profile::new();
        p.push_rule(5, Abi::X86_64, action, conds).unwrap();
        p
    }

    const NEG5: u64 = -5i64 as u64;

    #[test]
    fn every_operator_compares_64_bit_values_at_their_boundaries() {
        let values = [0, 1, 5, 0x7fff_ffff, 0xffff_ffff, 1 << 32, (1 << 32) + 5, 0x8000_0000_0000_0000, NEG5, u64::MAX];
        for op in [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge] {
            for value in values {
                for arg in [0, 3, 5] {
                    let mut p = one_rule(Action::Errno(9), &[ArgCmp::new(arg, op, value)]);
                    p.other_abis = true;
                    let out = assemble_and_check(&p);
                    // What assemble_and_check compares with, by hand.
                    let decide = |a: u64| {
                        let mut args = [0, 1, 2, 3, 4, 5];
                        args[usize::from(arg)] = a;
                        run(&out, &seccomp_data { nr: 5, arch: AUDIT_ARCH_X86_64, instruction_pointer: 0, args }) != ALLOW
                    };
                    for a in values.into_iter().chain([value.wrapping_add(1), value.wrapping_sub(1), value ^ 1 << 32]) {
                        let want = match op {
                            Op::Eq => a == value,
                            Op::Ne => a != value,
                            Op::Lt => a < value,
                            Op::Le => a <= value,
                            Op::Gt => a > value,
                            Op::Ge => a >= value,
                        };
                        assert_eq!(decide(a), want, "{a:#x} {op:?} {value:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn i386_compares_the_low_halves_as_libseccomp_does() {
        let mut p = one_rule(Action::Errno(9), &[ArgCmp::new(0, Op::Gt, (1 << 32) + 5)]);
        p.other_abis = true;
        let out = assemble_and_check(&p);
        let errno = SECCOMP_RET_ERRNO | 9;
        // x86_64's 5 is fstat, i386's 108.
        assert_eq!(run(&out, &call(AUDIT_ARCH_I386, 108, 6)), errno, "6 > 5 in the low halves");
        assert_eq!(run(&out, &call(AUDIT_ARCH_I386, 108, 5)), ALLOW);
        assert_eq!(run(&out, &call(AUDIT_ARCH_X86_64, 5, 6)), ALLOW, "6 < 2^32 + 5");
        assert_eq!(run(&out, &call(AUDIT_ARCH_X86_64, 5, (1 << 32) + 6)), errno);
        let p = one_rule(Action::Errno(9), &[ArgCmp::new(1, Op::Eq, NEG5)]);
        let out = assemble_and_check(&Profile { other_abis: true, ..p });
        assert_eq!(run(&out, &call2(AUDIT_ARCH_I386, 108, 0, 0xffff_fffb)), errno, "-5 as a 32-bit int");
        assert_eq!(run(&out, &call2(AUDIT_ARCH_X86_64, 5, 0, 0xffff_fffb)), ALLOW, "not -5 as a 64-bit one");
        assert_eq!(run(&out, &call2(AUDIT_ARCH_X86_64, 5, 0, NEG5)), errno);
    }

    #[test]
    fn masked_eq_compares_the_bits_of_the_mask() {
        // Docker's rule on clone(2): none of the namespace flags.
        let clone = ArgCmp::masked_eq(0, 0x7e02_0000, 0);
        let mut p = one_rule(Action::Allow, &[clone]);
        p.default = Action::Errno(1);
        let out = assemble_and_check(&p);
        let decide = |a: u64| run(&out, &call(AUDIT_ARCH_X86_64, 5, a));
        assert_eq!(decide(u64::from(CLONE_VM | CLONE_FS | 17)), ALLOW);
        assert_eq!(decide(0xffff_ffff_0000_0000 | 17), ALLOW, "high bits are outside the mask");
        assert_eq!(decide(u64::from(CLONE_NEWUSER)), SECCOMP_RET_ERRNO | 1);
        // A mask over both halves, and a value with bits outside it,
        // which libseccomp ignores.
        let c = ArgCmp::masked_eq(2, 0xff00_0000_0000_00ff, 0x1200_0000_0000_0034 | 0xff00);
        assert_eq!(c.value, 0x1200_0000_0000_0034);
        let out = assemble_and_check(&one_rule(Action::Kill, &[c]));
        let decide = |a: u64| run(&out, &seccomp_data { nr: 5, arch: AUDIT_ARCH_X86_64, instruction_pointer: 0, args: [0, 0, a, 0, 0, 0] });
        assert_eq!(decide(0x1234_5678_9abc_de34), KILL);
        assert_eq!(decide(0x1300_0000_0000_0034), ALLOW);
        assert_eq!(decide(0x1200_0000_0000_0035), ALLOW);
        // Masks only on the low or the high half, and a zero mask.
        for c in [
            ArgCmp::masked_eq(0, 0xf0, 0x30),
            ArgCmp::masked_eq(0, 0xf0_0000_0000, 0x30_0000_0000),
            ArgCmp::masked_eq(0, 0, 0),
            ArgCmp { arg: 0, op: Op::Gt, mask: 0xff, value: 0x10 },
            ArgCmp { arg: 0, op: Op::Lt, mask: 0xffff_0000_0000, value: 0x10_0000_0000 },
            ArgCmp { arg: 0, op: Op::Ne, mask: 0xffff_ffff, value: 0 },
        ] {
            assemble_and_check(&Profile { other_abis: true, ..one_rule(Action::Errno(3), &[c]) });
        }
    }

    #[test]
    fn conditions_of_a_rule_all_hold_and_rules_are_tried_in_order() {
        let mut p = Profile::new();
        p.other_abis = true;
        let both = [ArgCmp::new(0, Op::Eq, 1), ArgCmp::new(1, Op::Ge, 1 << 40)];
        let three = [ArgCmp::new(5, Op::Ne, 0), ArgCmp::new(0, Op::Lt, 3), ArgCmp::masked_eq(2, 0xf, 2)];
        p.push_rule(5, Abi::X86_64, Action::Errno(1), &both).unwrap();
        p.push_rule(5, Abi::X86_64, Action::Errno(2), &[ArgCmp::new(0, Op::Eq, 1)]).unwrap();
        p.push_rule(5, Abi::X86_64, Action::Errno(3), &three).unwrap();
        p.push_rule(5, Abi::X86_64, Action::Trap, &[]).unwrap();
        // Six conditions, on each argument.
        let six: std::vec::Vec<ArgCmp> = (0..6).map(|i| ArgCmp::new(i, Op::Le, 100 + u64::from(i))).collect();
        p.push_rule(7, Abi::X86_64, Action::Log, &six).unwrap();
        let out = assemble_and_check(&p);
        let decide = |nr: u32, args: [u64; 6]| run(&out, &seccomp_data { nr: nr as i32, arch: AUDIT_ARCH_X86_64, instruction_pointer: 0, args });
        let errno = |n| SECCOMP_RET_ERRNO | n;
        assert_eq!(decide(5, [1, 1 << 40, 0, 0, 0, 0]), errno(1));
        assert_eq!(decide(5, [1, 1 << 39, 0, 0, 0, 0]), errno(2), "the first fails, the second holds");
        assert_eq!(decide(5, [2, 0, 0x12, 0, 0, 9]), errno(3));
        assert_eq!(decide(5, [2, 0, 0x12, 0, 0, 0]), SECCOMP_RET_TRAP, "none holds: the unconditional rule");
        assert_eq!(decide(7, [100, 101, 102, 103, 104, 105]), SECCOMP_RET_LOG);
        assert_eq!(decide(7, [100, 101, 102, 103, 104, 106]), ALLOW);
        assert_eq!(decide(7, [100, 101, 102, 103, 1 << 32, 105]), ALLOW);
    }

    #[test]
    fn every_action_returns_its_value() {
        for (action, want) in [
            (Action::Allow, 0x7fff_0000),
            (Action::Errno(1), 0x0005_0001),
            (Action::Errno(0), 0x0005_0000),
            (Action::Errno(4095), 0x0005_0fff),
            (Action::Kill, 0x8000_0000),
            (Action::KillThread, 0),
            (Action::Trap, 0x0003_0000),
            (Action::Trace(7), 0x7ff0_0007),
            (Action::Log, 0x7ffc_0000),
            (Action::Notify, 0x7fc0_0000),
        ] {
            let mut p = one_rule(action, &[ArgCmp::new(0, Op::Eq, 1)]);
            p.push_rule(6, Abi::X86_64, action, &[]).unwrap();
            let out = assemble_and_check(&p);
            assert_eq!(run(&out, &call(AUDIT_ARCH_X86_64, 5, 1)), want, "{action:?}");
            assert_eq!(run(&out, &call(AUDIT_ARCH_X86_64, 6, 1)), want, "{action:?}");
            p.default = action;
            let out = assemble_and_check(&p);
            assert_eq!(run(&out, &call(AUDIT_ARCH_X86_64, 9, 1)), want, "default {action:?}");
        }
    }

    #[test]
    fn architectures_decide_which_abis_the_filter_decides() {
        let (i386_getpid, x32_getpid) = (20, X32_SYSCALL_BIT | 39);
        for (i386, x32) in [(false, false), (true, false), (false, true), (true, true)] {
            for thread in [false, true] {
                let mut p = one_rule(Action::Errno(5), &[]);
                p.default = Action::Errno(1);
                p.set_abis(i386, x32);
                p.foreign_kills_thread = thread;
                let out = assemble_and_check(&p);
                let foreign = if thread { SECCOMP_RET_KILL_THREAD } else { KILL };
                let errno = SECCOMP_RET_ERRNO | 1;
                assert_eq!(run(&out, &call(AUDIT_ARCH_X86_64, 39, 0)), errno);
                assert_eq!(run(&out, &call(AUDIT_ARCH_I386, i386_getpid, 0)), if i386 { errno } else { foreign });
                assert_eq!(run(&out, &call(AUDIT_ARCH_X86_64, x32_getpid, 0)), if x32 { errno } else { foreign });
                assert_eq!(run(&out, &call(AUDIT_ARCH_AARCH64, 39, 0)), foreign);
                // A tracer's -1 is not an x32 call.
                assert_eq!(run(&out, &call(AUDIT_ARCH_X86_64, u32::MAX, 0)), errno);
            }
        }
    }

    #[test]
    fn add_follows_crun_and_libseccomp() {
        let eq = |arg, v| ArgCmp::new(arg, Op::Eq, v);
        let mut p = Profile::new();
        let mut added = Added::default();
        p.default = Action::Errno(1);
        // The default action: left out.
        p.add(1, Abi::X86_64, Action::Errno(1), &[eq(0, 1)], &mut added).unwrap();
        assert!(p.rules.is_empty());
        // Two conditions on one argument: either.
        p.add(2, Abi::X86_64, Action::Allow, &[eq(0, 1), eq(1, 7), eq(0, 2)], &mut added).unwrap();
        assert_eq!(p.rules.len(), 3);
        // An unconditional rule outweighs the conditional ones before and
        // after it; the first unconditional one stays.
        p.add(3, Abi::X86_64, Action::Errno(4), &[eq(0, 1)], &mut added).unwrap();
        p.add(3, Abi::X86_64, Action::Allow, &[], &mut added).unwrap();
        p.add(3, Abi::X86_64, Action::Errno(5), &[eq(0, 2)], &mut added).unwrap();
        p.add(3, Abi::X86_64, Action::Errno(6), &[], &mut added).unwrap();
        // A mask of 0 always holds.
        p.add(4, Abi::X86_64, Action::Log, &[ArgCmp::masked_eq(0, 0, 5)], &mut added).unwrap();
        let out = assemble_and_check(&p);
        let decide = |nr, a0, a1| run(&out, &call2(AUDIT_ARCH_X86_64, nr, a0, a1));
        assert_eq!(decide(1, 1, 0), SECCOMP_RET_ERRNO | 1);
        assert_eq!(decide(2, 1, 0), ALLOW);
        assert_eq!(decide(2, 2, 0), ALLOW);
        assert_eq!(decide(2, 3, 7), ALLOW);
        assert_eq!(decide(2, 3, 8), SECCOMP_RET_ERRNO | 1);
        for a0 in [0, 1, 2] {
            assert_eq!(decide(3, a0, 0), ALLOW);
        }
        assert_eq!(decide(4, 9, 9), SECCOMP_RET_LOG);
        assert!(p.rules.iter().any(|r| r.nr == 4 && r.when == Condition::Always));
        // The same rules for 3 under i386's numbers, and for a number past
        // `Added`'s bits (looked for in the rules): kept apart, the same
        // outcome.
        let before = p.rules.len();
        for (nr, abi) in [(3, Abi::I386), (600, Abi::X86_64), (600, Abi::I386)] {
            p.add(nr, abi, Action::Errno(4), &[eq(0, 1)], &mut added).unwrap();
            p.add(nr, abi, Action::Allow, &[], &mut added).unwrap();
            p.add(nr, abi, Action::Errno(5), &[eq(0, 2)], &mut added).unwrap();
            p.add(nr, abi, Action::Errno(6), &[], &mut added).unwrap();
            let of = |r: &&Rule| r.nr == nr && r.abi == abi;
            assert_eq!(p.rules.iter().filter(of).map(|r| (r.action, r.when)).collect::<std::vec::Vec<_>>(), [(Action::Allow, Condition::Always)]);
        }
        assert_eq!(p.rules.len(), before + 3);
        assert_eq!(p.rules.iter().filter(|r| r.nr == 3 && r.abi == Abi::X86_64).count(), 1, "x86_64's 3 untouched");
    }

    /// A profile shaped like Docker's and podman's: an allow-list of every
    /// call but those Docker denies, with its conditions on socket,
    /// personality and clone, for the three ABIs; it fits, with room.
    #[test]
    fn a_docker_shaped_profile_fits() {
        use syscalls::Sysno;
        let mut p = Profile::new();
        let mut added = Added::default();
        p.default = Action::Errno(1);
        p.set_abis(true, true);
        p.foreign_kills_thread = true;
        let denied = ["mount", "umount2", "unshare", "setns", "clone", "clone3", "socket", "personality", "keyctl", "bpf"];
        for s in Sysno::iter().filter(|s| !denied.contains(&s.name())) {
            p.add(s.id() as u32, Abi::X86_64, Action::Allow, &[], &mut added).unwrap();
        }
        let nr = |name: &str| crate::seccomp::syscall_number(name.as_bytes()).unwrap();
        let eq = |v| ArgCmp::new(0, Op::Eq, v);
        p.add(nr("socket"), Abi::X86_64, Action::Allow, &[ArgCmp::new(0, Op::Lt, 38)], &mut added).unwrap();
        p.add(nr("socket"), Abi::X86_64, Action::Allow, &[eq(39)], &mut added).unwrap();
        p.add(nr("socket"), Abi::X86_64, Action::Allow, &[ArgCmp::new(0, Op::Gt, 40)], &mut added).unwrap();
        for v in [0, 8, 0x20000, 0x20008, 0xffff_ffff] {
            p.add(nr("personality"), Abi::X86_64, Action::Allow, &[eq(v)], &mut added).unwrap();
        }
        p.add(nr("clone"), Abi::X86_64, Action::Allow, &[ArgCmp::masked_eq(0, 0x7e02_0000, 0)], &mut added).unwrap();
        p.add(nr("clone3"), Abi::X86_64, Action::Errno(38), &[], &mut added).unwrap();
        let out = assemble_and_check(&p);
        println!("a Docker-shaped profile: {} rules, {} instructions", p.rules.len(), out.len());
        assert!(out.len() <= MAX_INSNS / 2, "{}", out.len());
        let decide = |name, a0: u64| run(&out, &call(AUDIT_ARCH_X86_64, nr(name), a0));
        assert_eq!(decide("socket", 40), SECCOMP_RET_ERRNO | 1);
        assert_eq!(decide("socket", 2), ALLOW);
        assert_eq!(decide("socket", 41), ALLOW);
        assert_eq!(decide("socket", 1 << 32 | 40), ALLOW, "64-bit, as libseccomp");
        assert_eq!(decide("personality", 0xffff_ffff), ALLOW);
        assert_eq!(decide("personality", 4), SECCOMP_RET_ERRNO | 1);
        assert_eq!(decide("clone", u64::from(CLONE_NEWNET)), SECCOMP_RET_ERRNO | 1);
        assert_eq!(decide("clone3", 0), SECCOMP_RET_ERRNO | 38);
        assert_eq!(decide("read", 0), ALLOW);
        assert_eq!(run(&out, &call(AUDIT_ARCH_AARCH64, 0, 0)), SECCOMP_RET_KILL_THREAD);
    }

    /// podman's rules on socket(2) (containers/common's seccomp.json):
    /// NETLINK_AUDIT sockets fail with EINVAL, the rest are allowed, the
    /// default is ENOSYS.
    #[test]
    fn podmans_socket_rules() {
        let mut p = Profile::new();
        let mut added = Added::default();
        p.default = Action::Errno(38);
        p.set_abis(true, true);
        let socket = crate::seccomp::syscall_number(b"socket").unwrap();
        let (af_netlink, netlink_audit) = (16, 9);
        p.add(socket, Abi::X86_64, Action::Errno(22), &[ArgCmp::new(0, Op::Eq, af_netlink), ArgCmp::new(2, Op::Eq, netlink_audit)], &mut added).unwrap();
        p.add(socket, Abi::X86_64, Action::Allow, &[ArgCmp::new(2, Op::Ne, netlink_audit)], &mut added).unwrap();
        p.add(socket, Abi::X86_64, Action::Allow, &[ArgCmp::new(0, Op::Ne, af_netlink)], &mut added).unwrap();
        p.add(socket, Abi::X86_64, Action::Allow, &[ArgCmp::new(2, Op::Ne, netlink_audit)], &mut added).unwrap();
        let out = assemble_and_check(&p);
        let decide = |arch, nr, args: [u64; 3]| {
            run(&out, &seccomp_data { nr, arch, instruction_pointer: 0, args: [args[0], args[1], args[2], 0, 0, 0] })
        };
        let x86_64 = socket as i32;
        assert_eq!(decide(AUDIT_ARCH_X86_64, x86_64, [16, 3, 9]), SECCOMP_RET_ERRNO | 22);
        assert_eq!(decide(AUDIT_ARCH_X86_64, x86_64, [16, 3, 0]), ALLOW);
        assert_eq!(decide(AUDIT_ARCH_X86_64, x86_64, [2, 1, 9]), ALLOW);
        assert_eq!(decide(AUDIT_ARCH_X86_64, x86_64, [16, 3, 1 << 32 | 9]), ALLOW, "64-bit");
        // i386's socket is 359; its arguments are 32-bit.
        assert_eq!(decide(AUDIT_ARCH_I386, 359, [16, 3, 1 << 32 | 9]), SECCOMP_RET_ERRNO | 22);
        assert_eq!(decide(AUDIT_ARCH_X86_64, 41, [0; 3]), ALLOW, "x86_64 41 is socket");
        assert_eq!(decide(AUDIT_ARCH_X86_64, 42, [0; 3]), SECCOMP_RET_ERRNO | 38);
    }
}
