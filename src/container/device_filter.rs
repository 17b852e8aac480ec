//! The device cgroup of cgroup v2: an eBPF program of type
//! `BPF_PROG_TYPE_CGROUP_DEVICE` that nsinit assembles from the device
//! rules, as crun and runc do, and attaches to the container's cgroup.
//! Pure logic: the instructions only; `sys` loads and attaches them.
//!
//! The kernel runs the program on each mknod and open of a device node,
//! with `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32
//! minor; }` in r1 (`access_type`: the device type, `BPF_DEVCG_DEV_*`, in
//! the low 16 bits, the access, `BPF_DEVCG_ACC_*`, in the high 16); it
//! allows the access when the program returns 1. The program loads the
//! four fields, then tests the rules from the last to the first, so that
//! a later rule overrides an earlier one; nothing matched is denied (the
//! rules start from "deny all").

use crate::config::{DEVICE_MKNOD, DEVICE_READ, DEVICE_WRITE, DeviceRule};

/// Most instructions of a program: the loads, up to 8 a rule, the default.
pub const MAX_INSNS: usize = PROLOGUE + RULE_INSNS * (crate::config::MAX_DEVICE_RULES + crate::config::DEFAULT_DEVICE_RULES.len()) + 2;
const PROLOGUE: usize = 6;
const RULE_INSNS: usize = 8;

// Opcodes (include/uapi/linux/bpf.h, bpf_common.h): class | operation | source.
/// `BPF_LDX | BPF_MEM | BPF_W`: dst = *(u32 *)(src + off).
const LDX_W: u8 = 0x61;
/// `BPF_ALU | BPF_AND | BPF_K`: dst (32 bits) &= imm.
const AND_IMM: u8 = 0x54;
/// `BPF_ALU | BPF_RSH | BPF_K`: dst (32 bits) >>= imm.
const RSH_IMM: u8 = 0x74;
/// `BPF_ALU | BPF_MOV | BPF_X`: dst (32 bits) = src.
const MOV_REG: u8 = 0xbc;
/// `BPF_ALU | BPF_MOV | BPF_K`: dst (32 bits) = imm.
const MOV_IMM: u8 = 0xb4;
/// `BPF_JMP | BPF_JNE | BPF_K`: if dst != imm, pc += off.
const JNE_IMM: u8 = 0x55;
/// `BPF_JMP | BPF_JNE | BPF_X`: if dst != src, pc += off.
const JNE_REG: u8 = 0x5d;
/// `BPF_JMP | BPF_EXIT`: return r0.
const EXIT: u8 = 0x95;

/// `BPF_DEVCG_DEV_BLOCK`, `BPF_DEVCG_DEV_CHAR`.
const DEV_BLOCK: i32 = 1;
const DEV_CHAR: i32 = 2;
const ALL_ACCESS: u8 = DEVICE_MKNOD | DEVICE_READ | DEVICE_WRITE;

// The registers: r1 the context, then a scratch register; r2..r5 hold its fields.
const R0: u8 = 0;
const R1: u8 = 1;
const TYPE: u8 = 2;
const ACCESS: u8 = 3;
const MAJOR: u8 = 4;
const MINOR: u8 = 5;

/// One instruction, as `struct bpf_insn` lays it out in a little-endian u64.
pub fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> u64 {
    u64::from(code) | u64::from(dst | (src << 4)) << 8 | u64::from(off as u16) << 16 | u64::from(imm as u32) << 32
}

/// Assembles the program for `rules` (each rule's major at most 4095,
/// minor at most 1048575, as `config` checks them) into `out`; its
/// length, or `None` when `out` is too short.
pub fn assemble(rules: &[DeviceRule], out: &mut [u64]) -> Option<usize> {
    let mut asm = Asm { out, n: 0 };
    asm.emit(insn(LDX_W, TYPE, R1, 0, 0))?;
    asm.emit(insn(AND_IMM, TYPE, 0, 0, 0xffff))?;
    asm.emit(insn(LDX_W, ACCESS, R1, 0, 0))?;
    asm.emit(insn(RSH_IMM, ACCESS, 0, 0, 16))?;
    asm.emit(insn(LDX_W, MAJOR, R1, 4, 0))?;
    asm.emit(insn(LDX_W, MINOR, R1, 8, 0))?;
    for rule in rules.iter().rev() {
        // The tests of one rule, (opcode, register, immediate); each jumps
        // past the rule's end when it fails.
        let mut tests = [(0u8, 0u8, 0i32); 4];
        let mut count = 0;
        let mut test = |t| {
            tests[count] = t;
            count += 1;
        };
        match rule.kind {
            b'b' => test((JNE_IMM, TYPE, DEV_BLOCK)),
            b'c' => test((JNE_IMM, TYPE, DEV_CHAR)),
            _ => {}
        }
        if rule.access & ALL_ACCESS != ALL_ACCESS {
            // The access asked for must be within the rule's: three
            // instructions, with r1 as the scratch register.
            test((AND_IMM, R1, i32::from(rule.access)));
        }
        if let Some(major) = rule.major {
            test((JNE_IMM, MAJOR, major as i32));
        }
        if let Some(minor) = rule.minor {
            test((JNE_IMM, MINOR, minor as i32));
        }
        let length = tests[..count].iter().map(|t| if t.0 == AND_IMM { 3 } else { 1 }).sum::<usize>() + 2;
        let mut at = 0;
        for &(code, dst, imm) in &tests[..count] {
            if code == AND_IMM {
                asm.emit(insn(MOV_REG, R1, ACCESS, 0, 0))?;
                asm.emit(insn(AND_IMM, R1, 0, 0, imm))?;
                at += 3;
                asm.emit(insn(JNE_REG, R1, ACCESS, (length - at) as i16, 0))?;
            } else {
                at += 1;
                asm.emit(insn(code, dst, 0, (length - at) as i16, imm))?;
            }
        }
        asm.emit(insn(MOV_IMM, R0, 0, 0, i32::from(rule.allow)))?;
        asm.emit(insn(EXIT, 0, 0, 0, 0))?;
        if count == 0 {
            // It matches every access: the kernel's verifier refuses
            // instructions no path reaches, so nothing may follow.
            return Some(asm.n);
        }
    }
    asm.emit(insn(MOV_IMM, R0, 0, 0, 0))?;
    asm.emit(insn(EXIT, 0, 0, 0, 0))?;
    Some(asm.n)
}

/// The program so far.
struct Asm<'o> {
    out: &'o mut [u64],
    n: usize,
}

impl Asm<'_> {
    fn emit(&mut self, i: u64) -> Option<()> {
        *self.out.get_mut(self.n)? = i;
        self.n += 1;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_DEVICE_RULES;

    /// Runs `program` as the kernel would on one access: the instructions
    /// `assemble` makes, and nothing else (any other opcode panics).
    fn run(program: &[u64], kind: i32, access: u8, major: u32, minor: u32) -> bool {
        let ctx = [(kind as u32) | u32::from(access) << 16, major, minor];
        let mut r = [0u64; 11];
        let mut pc = 0usize;
        let mut steps = 0;
        loop {
            steps += 1;
            assert!(steps < 10_000, "no exit");
            let i = program[pc];
            let (code, dst, src) = (i as u8, ((i >> 8) & 0xf) as usize, ((i >> 12) & 0xf) as usize);
            let off = (i >> 16) as u16 as i16;
            let imm = (i >> 32) as u32 as i32;
            pc += 1;
            match code {
                LDX_W => {
                    assert_eq!(src, 1, "loads only from the context");
                    assert!(off % 4 == 0 && (0..12).contains(&off));
                    r[dst] = u64::from(ctx[off as usize / 4]);
                }
                AND_IMM => r[dst] = u64::from(r[dst] as u32 & imm as u32),
                RSH_IMM => r[dst] = u64::from((r[dst] as u32) >> imm),
                MOV_REG => r[dst] = u64::from(r[src] as u32),
                MOV_IMM => r[dst] = u64::from(imm as u32),
                JNE_IMM | JNE_REG => {
                    let other = if code == JNE_IMM { imm as i64 as u64 } else { r[src] };
                    if r[dst] != other {
                        assert!(off >= 0, "jumps only forward");
                        pc += off as usize;
                    }
                }
                EXIT => return r[0] == 1,
                _ => panic!("unexpected opcode {code:#x} at {}", pc - 1),
            }
            assert!(pc < program.len(), "ran off the end");
        }
    }

    /// What v2's rules decide by their meaning: the last rule that covers
    /// the access, or deny.
    fn reference(rules: &[DeviceRule], kind: i32, access: u8, major: u32, minor: u32) -> bool {
        rules
            .iter()
            .rev()
            .find(|r| {
                let kind_ok = match r.kind {
                    b'b' => kind == DEV_BLOCK,
                    b'c' => kind == DEV_CHAR,
                    _ => true,
                };
                kind_ok && access & r.access == access && r.major.is_none_or(|m| m == major) && r.minor.is_none_or(|m| m == minor)
            })
            .is_some_and(|r| r.allow)
    }

    fn assembled(rules: &[DeviceRule]) -> Vec<u64> {
        let mut out = vec![0u64; MAX_INSNS];
        let n = assemble(rules, &mut out).expect("fits");
        out.truncate(n);
        out
    }

    /// Every instruction is reached on some path, and every jump lands
    /// inside the program: what the kernel's verifier checks first.
    fn assert_well_formed(program: &[u64]) {
        let mut reached = vec![false; program.len()];
        reached[0] = true;
        for (pc, &i) in program.iter().enumerate() {
            assert!(reached[pc], "instruction {pc} is unreachable: {program:x?}");
            let code = i as u8;
            let off = (i >> 16) as u16 as i16;
            match code {
                EXIT => {}
                JNE_IMM | JNE_REG => {
                    let to = pc + 1 + off as usize;
                    assert!(to < program.len(), "jump out of the program at {pc}");
                    reached[to] = true;
                    reached[pc + 1] = true;
                }
                _ => reached[pc + 1] = true,
            }
        }
        assert_eq!(program.last().map(|i| *i as u8), Some(EXIT));
    }

    const ACCESSES: [u8; 7] = [DEVICE_MKNOD, DEVICE_READ, DEVICE_WRITE, DEVICE_READ | DEVICE_WRITE, 3, 5, 7];

    fn check(rules: &[DeviceRule]) {
        let program = assembled(rules);
        assert_well_formed(&program);
        for kind in [DEV_BLOCK, DEV_CHAR] {
            for access in ACCESSES {
                for (major, minor) in [(1, 3), (1, 5), (1, 4), (5, 2), (136, 7), (254, 0), (8, 0), (10, 200), (4095, 1_048_575)] {
                    assert_eq!(
                        run(&program, kind, access, major, minor),
                        reference(rules, kind, access, major, minor),
                        "kind {kind} access {access} {major}:{minor} with {rules:?}"
                    );
                }
            }
        }
    }

    fn rule(allow: bool, kind: u8, major: Option<u32>, minor: Option<u32>, access: u8) -> DeviceRule {
        DeviceRule { allow, kind, major, minor, access }
    }

    #[test]
    fn the_default_rules_allow_the_default_devices_and_mknod_only() {
        let program = assembled(&DEFAULT_DEVICE_RULES);
        assert_well_formed(&program);
        for (major, minor) in [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 2), (136, 0), (136, 42), (10, 200)] {
            assert!(run(&program, DEV_CHAR, DEVICE_READ | DEVICE_WRITE, major, minor), "{major}:{minor}");
        }
        // A host disk: it may be made, never opened.
        assert!(run(&program, DEV_BLOCK, DEVICE_MKNOD, 8, 0));
        for access in [DEVICE_READ, DEVICE_WRITE, DEVICE_READ | DEVICE_WRITE] {
            assert!(!run(&program, DEV_BLOCK, access, 8, 0));
            assert!(!run(&program, DEV_BLOCK, access, 254, 0));
            // /dev/mem, /dev/kmsg, a tty: not in the list.
            assert!(!run(&program, DEV_CHAR, access, 1, 1));
            assert!(!run(&program, DEV_CHAR, access, 1, 11));
            assert!(!run(&program, DEV_CHAR, access, 4, 1));
        }
        check(&DEFAULT_DEVICE_RULES);
    }

    #[test]
    fn rules_follow_their_meaning_later_ones_first() {
        let r = |allow, kind, major, minor, access| rule(allow, kind, major, minor, access);
        let sets: Vec<Vec<DeviceRule>> = vec![
            vec![],
            vec![r(true, b'b', Some(254), Some(0), DEVICE_READ)],
            vec![r(true, b'b', Some(254), None, DEVICE_READ | DEVICE_WRITE), r(false, b'b', Some(254), Some(0), DEVICE_WRITE)],
            vec![r(true, b'c', None, None, 7), r(false, b'c', Some(1), Some(3), 7)],
            vec![r(false, b'a', Some(1), None, DEVICE_READ), r(true, b'c', Some(1), Some(5), DEVICE_READ)],
            vec![r(true, b'a', Some(136), Some(7), DEVICE_MKNOD | DEVICE_WRITE)],
        ];
        for rules in sets {
            let all: Vec<DeviceRule> = rules.iter().chain(&DEFAULT_DEVICE_RULES).copied().collect();
            check(&all);
            check(&rules);
        }
    }

    #[test]
    fn a_rule_matching_everything_ends_the_program() {
        // `a *:* rwm` (a privileged container): the rules before it are
        // never reached, so they are not emitted.
        let all = rule(true, b'a', None, None, 7);
        let rules = [rule(false, b'c', Some(1), Some(3), 7), all];
        let program = assembled(&rules);
        assert_eq!(program.len(), PROLOGUE + 2);
        assert_well_formed(&program);
        check(&rules);
        let deny_all = [all, rule(false, b'a', None, None, 7)];
        check(&deny_all);
        assert!(!run(&assembled(&deny_all), DEV_CHAR, DEVICE_READ, 1, 3));
    }

    #[test]
    fn the_instruction_stream_of_one_rule() {
        let program = assembled(&[rule(true, b'c', Some(1), Some(3), DEVICE_READ)]);
        assert_eq!(
            program,
            [
                insn(LDX_W, 2, 1, 0, 0),
                insn(AND_IMM, 2, 0, 0, 0xffff),
                insn(LDX_W, 3, 1, 0, 0),
                insn(RSH_IMM, 3, 0, 0, 16),
                insn(LDX_W, 4, 1, 4, 0),
                insn(LDX_W, 5, 1, 8, 0),
                // if type != char goto deny
                insn(JNE_IMM, 2, 0, 7, DEV_CHAR),
                // if access & ~read goto deny
                insn(MOV_REG, 1, 3, 0, 0),
                insn(AND_IMM, 1, 0, 0, i32::from(DEVICE_READ)),
                insn(JNE_REG, 1, 3, 4, 0),
                insn(JNE_IMM, 4, 0, 3, 1),
                insn(JNE_IMM, 5, 0, 2, 3),
                insn(MOV_IMM, 0, 0, 0, 1),
                insn(EXIT, 0, 0, 0, 0),
                insn(MOV_IMM, 0, 0, 0, 0),
                insn(EXIT, 0, 0, 0, 0),
            ]
        );
        // bpf_insn's layout: code, dst and src nibbles, off, imm.
        assert_eq!(insn(JNE_IMM, 4, 0, 3, 1), 0x0000_0001_0003_0455);
    }

    #[test]
    fn too_small_an_output_is_refused() {
        let mut out = [0u64; PROLOGUE + 3];
        assert_eq!(assemble(&[rule(true, b'c', Some(1), Some(3), 7)], &mut out), None);
        let mut out = vec![0u64; MAX_INSNS];
        let most: Vec<DeviceRule> = (0..crate::config::MAX_DEVICE_RULES as u32)
            .map(|i| rule(true, b'b', Some(i), Some(i), DEVICE_READ))
            .chain(DEFAULT_DEVICE_RULES)
            .collect();
        assert!(assemble(&most, &mut out).is_some());
    }
}
