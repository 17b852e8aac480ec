//! The text form of a profile, for `--seccomp FILE`: one statement a line,
//! words split on blanks, `#` to the end of the line a comment.
//!
//! ```text
//! # A batch job that needs no network.
//! default allow               # the default action
//! deny socket EACCES          # ERRNO: a name or 1 to 4095; EPERM if left out
//! deny connect
//! kill ptrace
//! deny clone if arg0 & 0x7e020000 != 0     # only on arguments
//! allow personality if arg0 == 0
//! trap mount if arg2 != 0 and arg3 & 0xff == 1
//! abi all                     # or: abi x86_64 [i386] [x32]
//! flags log spec_allow        # SECCOMP_FILTER_FLAG_*, also wait_killable_recv
//! ```
//!
//! The actions: `allow`, `deny [ERRNO]`, `kill` (the process),
//! `kill-thread`, `trap` (SIGSYS), `log` (allowed and logged), `trace
//! [VALUE]` (a tracer is told) and `notify` (a supervisor decides; without
//! one, ENOSYS), as OCI's `SCMP_ACT_*`.
//!
//! `ACTION NAME` decides the call NAME; a later such line for a call
//! replaces an earlier one. With `if`, the line decides the call only when
//! all of its conditions (at most 6) hold: `argN [& MASK] OP VALUE`, with
//! N from 0 to 5, OP one of `==`, `!=`, `<`, `<=`, `>`, `>=`, and numbers
//! in decimal, hexadecimal (`0x`) or negative (`-1` is 2^64-1). They
//! compare 64-bit values, as OCI's `SCMP_CMP_*` (`& MASK ==` is
//! `MASKED_EQ`): to test only the low 32 bits of an `int` argument, mask
//! them (`arg1 & 0xffffffff == 0x5412`). The lines with conditions for a
//! call are tried in their order, and the first whose conditions hold
//! decides; if none does, the line without conditions, or the default.
//!
//! The names are x86_64's, and calls of the i386 and x32 ABIs are
//! killed, unless `abi` names them (`all` is both): then each is decided
//! as the x86_64 call of the same name, as in the default profile (an i386
//! call's arguments by their low 32 bits, as libseccomp does).

use super::{Abi, Action, ArgCmp, MAX_CONDITIONS, Op, Profile, syscall_number};
use crate::config::{parse_hex, parse_number};
use crate::error::{Error, errno_number};
use heapless::Vec;
use linux_raw_sys::ptrace::{SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV};

/// The largest errno: the kernel takes no larger one (MAX_ERRNO).
const MAX_ERRNO: u64 = 4095;
const EPERM: u16 = 1;

/// Most words a statement has: an action, a name, its data, `if`, and six
/// conditions of five words with `and` between them.
const MAX_WORDS: usize = 4 + MAX_CONDITIONS * 6;

impl Profile {
    /// Reads a profile from `text`, replacing what the profile held. `path`
    /// names the file in errors: `nsinit: PATH:LINE: what is wrong`.
    pub fn parse(&mut self, text: &[u8], path: &[u8]) -> Result<(), Error> {
        self.clear();
        for (index, line) in text.split(|&c| c == b'\n').enumerate() {
            let code = line.split(|&c| c == b'#').next().unwrap_or_default();
            let mut words: Vec<&[u8], MAX_WORDS> = Vec::new();
            let mut result = Ok(());
            for word in code.split(|&c| matches!(c, b' ' | b'\t' | b'\r')).filter(|w| !w.is_empty()) {
                if words.push(word).is_err() {
                    result = Err(Wrong(b"unexpected word", word));
                    break;
                }
            }
            if let Err(Wrong(what, word)) = result.and_then(|()| self.statement(&words)) {
                let at = Error::new(path).push(b":").push_u64(index as u64 + 1).push(b": ");
                return Err(at.push(what).push(b" '").push(word).push(b"'"));
            }
        }
        Ok(())
    }

    /// Applies one line's statement, if it has one.
    fn statement<'t>(&mut self, words: &[&'t [u8]]) -> Result<(), Wrong<'t>> {
        let Some((&first, rest)) = words.split_first() else { return Ok(()) };
        if let Some(kind) = position(b"abi flags", first) {
            let (words, values, expected) = SETTINGS[kind];
            let mut bits = 0;
            for &word in rest {
                bits |= position(words, word).and_then(|i| values.get(i)).ok_or(Wrong(expected, word))?;
            }
            match (kind, rest.first()) {
                (_, None) => return Err(Wrong(b"expected a word after", first)),
                (0, _) => self.set_abis(bits & I386 != 0, bits & X32 != 0),
                _ => self.flags |= bits,
            }
            return Ok(());
        }
        // `default ACTION [DATA]`, or `ACTION NAME [DATA] [if CONDITIONS]`.
        let (verb, name, mut rest) = match (first, rest) {
            (b"default", [verb, rest @ ..]) => (*verb, None, rest),
            (b"default", []) => return Err(Wrong(b"expected an action after", first)),
            (_, [name, rest @ ..]) => (first, Some(*name), rest),
            (_, []) => (first, None, rest),
        };
        let known = position(VERBS, verb);
        let mut action = match (known, name, first) {
            (Some(i), Some(_), _) | (Some(i), None, b"default") => ACTIONS[i],
            (Some(_), None, _) => return Err(Wrong(b"expected a system call after", verb)),
            (None, _, b"default") => return Err(Wrong(b"expected an action, not", verb)),
            (None, _, _) => return Err(Wrong(b"expected default, abi, flags or an action, not", verb)),
        };
        // The errno of `deny`, the value of `trace`.
        if let (Action::Errno(_) | Action::Trace(_), [data, after @ ..]) = (action, rest)
            && *data != b"if"
        {
            rest = after;
            action = match action {
                Action::Errno(_) => Action::Errno(errno(data).ok_or(Wrong(b"unknown errno", data))?),
                _ => Action::Trace(number(data).and_then(|n| u16::try_from(n).ok()).ok_or(Wrong(b"expected 0 to 65535, not", data))?),
            };
        }
        let mut conds: Vec<ArgCmp, MAX_CONDITIONS> = Vec::new();
        if let [word, after @ ..] = rest {
            if *word != b"if" || name.is_none() {
                return Err(Wrong(b"unexpected word", word));
            }
            let mut words = after.iter().copied();
            let mut at = *word;
            loop {
                let c = condition(&mut words, at)?;
                conds.push(c).map_err(|_| Wrong(b"more than 6 conditions at", at))?;
                match words.next() {
                    None => break,
                    Some(b"and") => at = b"and",
                    Some(other) => return Err(Wrong(b"expected and, not", other)),
                }
            }
        }
        let Some(name) = name else {
            self.default = action;
            return Ok(());
        };
        let nr = syscall_number(name).ok_or(Wrong(b"unknown system call", name))?;
        let full = Wrong(b"no room left in the profile for", name);
        match conds.is_empty() {
            true => self.set(nr, action).map_err(|_| full),
            false => self.push_rule(nr, Abi::X86_64, action, &conds).map_err(|_| full),
        }
    }
}

/// The words that start a statement, and their actions (`deny`'s errno
/// and `trace`'s value as given, if given).
const VERBS: &[u8] = b"allow deny kill kill-thread trap log trace notify";
const ACTIONS: [Action; 8] =
    [Action::Allow, Action::Errno(EPERM), Action::Kill, Action::KillThread, Action::Trap, Action::Log, Action::Trace(0), Action::Notify];

// `abi`'s words, as bits.
const I386: u32 = 1;
const X32: u32 = 2;

/// The settings `abi` and `flags`: their words, what each means, and the
/// error for another word.
const SETTINGS: [(&[u8], &[u32], &[u8]); 2] = [
    (b"all x86_64 i386 x32", &[I386 | X32, 0, I386, X32], b"expected all, x86_64, i386 or x32, not"),
    (
        b"log spec_allow wait_killable_recv",
        &[SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV],
        b"expected log, spec_allow or wait_killable_recv, not",
    ),
];

/// Where `word` is among the words of `list`.
fn position(list: &[u8], word: &[u8]) -> Option<usize> {
    list.split(|&c| c == b' ').position(|w| w == word)
}

/// The operators of a condition, and their `Op`s.
const OPS: &[u8] = b"== != < <= > >=";
const OP_OF: [Op; 6] = [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge];

/// `argN [& MASK] OP VALUE`, the words after `after`.
fn condition<'t>(words: &mut impl Iterator<Item = &'t [u8]>, after: &'t [u8]) -> Result<ArgCmp, Wrong<'t>> {
    let mut last = after;
    let mut next = || {
        let word = words.next().ok_or(Wrong(b"unfinished condition after", last))?;
        last = word;
        Ok(word)
    };
    let arg = next()?;
    let index = match arg {
        [b'a', b'r', b'g', n @ b'0'..=b'5'] => n - b'0',
        _ => return Err(Wrong(b"expected arg0 to arg5, not", arg)),
    };
    let mut word = next()?;
    let mut mask = u64::MAX;
    if word == b"&" {
        let m = next()?;
        mask = number(m).ok_or(Wrong(b"expected a number, not", m))?;
        word = next()?;
    }
    let op = position(OPS, word).and_then(|i| OP_OF.get(i)).copied().ok_or(Wrong(b"expected ==, !=, <, <=, > or >=, not", word))?;
    let word = next()?;
    let value = number(word).ok_or(Wrong(b"expected a number, not", word))?;
    if matches!(op, Op::Eq | Op::Ne) && value & !mask != 0 {
        return Err(Wrong(b"the value has bits outside the mask", word));
    }
    Ok(ArgCmp { arg: index, op, mask, value })
}

/// What is wrong with a line: `what 'word'`.
struct Wrong<'t>(&'static [u8], &'t [u8]);

/// A 64-bit number: decimal, hexadecimal after `0x`, or negative decimal
/// (two's complement).
fn number(word: &[u8]) -> Option<u64> {
    let (negative, word) = match word {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, word),
    };
    let n = match word {
        [b'0', b'x', hex @ ..] => parse_hex(hex)?,
        _ => parse_number(word)?,
    };
    match negative {
        true if n <= 1 << 63 => Some(n.wrapping_neg()),
        true => None,
        false => Some(n),
    }
}

/// An errno by name (`EPERM`) or number (`1` to 4095).
fn errno(word: &[u8]) -> Option<u16> {
    if let Some(n) = errno_number(word) {
        return u16::try_from(n).ok();
    }
    match word.first() {
        Some(b'0'..=b'9') => number(word).filter(|n| (1..=MAX_ERRNO).contains(n)).map(|n| n as u16),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::bpf::tests::{assemble_and_check, call, run};
    use crate::seccomp::{Abi, Condition, MAX_RULES, Rule};
    use linux_raw_sys::ptrace::{AUDIT_ARCH_X86_64, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS};
    use syscalls::Sysno;

    fn parse(text: &str) -> Result<Profile, String> {
        let mut p = Profile::new();
        p.parse(text.as_bytes(), b"prof.txt").map_err(|e| e.text())?;
        Ok(p)
    }

    fn deny(nr: Sysno, errno: u16) -> Rule {
        Rule { nr: nr as u32, action: Action::Errno(errno), when: Condition::Always, abi: Abi::X86_64 }
    }

    #[test]
    fn a_profile_that_denies_by_default() {
        let text = "# a small server\n\ndefault deny\t# EPERM\nallow read\n  allow write  \r\nallow exit_group\n\
                    deny open ENOENT\nkill ptrace\nallow clone3\ndeny openat 2";
        let p = parse(text).unwrap();
        assert_eq!(p.default, Action::Errno(1));
        let out = assemble_and_check(&p);
        let decide = |nr: Sysno| run(&out, &call(AUDIT_ARCH_X86_64, nr as u32, 0));
        assert_eq!(decide(Sysno::read), SECCOMP_RET_ALLOW);
        assert_eq!(decide(Sysno::write), SECCOMP_RET_ALLOW);
        assert_eq!(decide(Sysno::clone3), SECCOMP_RET_ALLOW);
        assert_eq!(decide(Sysno::open), SECCOMP_RET_ERRNO | 2);
        assert_eq!(decide(Sysno::openat), SECCOMP_RET_ERRNO | 2);
        assert_eq!(decide(Sysno::ptrace), SECCOMP_RET_KILL_PROCESS);
        assert_eq!(decide(Sysno::mmap), SECCOMP_RET_ERRNO | 1);
    }

    #[test]
    fn abi_all_decides_i386_and_x32_calls_by_name() {
        use linux_raw_sys::ptrace::AUDIT_ARCH_I386;
        let text = "default deny\nallow getpid\nkill unshare\n";
        let p = parse(text).unwrap();
        assert!(!p.other_abis, "x86_64 only unless asked");
        let out = assemble_and_check(&p);
        assert_eq!(run(&out, &call(AUDIT_ARCH_I386, 20, 0)), SECCOMP_RET_KILL_PROCESS, "i386 getpid");
        let p = parse(&format!("{text}abi all")).unwrap();
        assert!(p.other_abis);
        let out = assemble_and_check(&p);
        assert_eq!(run(&out, &call(AUDIT_ARCH_I386, 20, 0)), SECCOMP_RET_ALLOW, "i386 getpid");
        assert_eq!(run(&out, &call(AUDIT_ARCH_I386, 310, 0)), SECCOMP_RET_KILL_PROCESS, "i386 unshare");
        assert_eq!(run(&out, &call(AUDIT_ARCH_I386, 3, 0)), SECCOMP_RET_ERRNO | 1, "i386 read");
        assert_eq!(run(&out, &call(AUDIT_ARCH_X86_64, 0x4000_0000 | 39, 0)), SECCOMP_RET_ALLOW, "x32 getpid");
        assert!(!parse(&format!("{text}abi all\nabi x86_64")).unwrap().other_abis, "the last word wins");
    }

    #[test]
    fn defaults_and_errnos() {
        assert_eq!(parse("").unwrap().default, Action::Allow);
        assert_eq!(parse("\n# nothing\n").unwrap().rules.len(), 0);
        assert_eq!(parse("default kill").unwrap().default, Action::Kill);
        assert_eq!(parse("default deny ENOSYS\n").unwrap().default, Action::Errno(38));
        assert_eq!(parse("default deny\ndefault allow").unwrap().default, Action::Allow);
        for (errno, want) in [
            ("EPERM", 1),
            ("ENOSYS", 38),
            ("EACCES", 13),
            ("ENOKEY", 126),
            ("1", 1),
            ("38", 38),
            ("4095", 4095),
            ("0012", 12),
        ] {
            let p = parse(&format!("deny mount {errno}")).unwrap();
            assert_eq!(p.rules[..], [deny(Sysno::mount, want)], "{errno}");
        }
        assert_eq!(parse("deny mount").unwrap().rules[..], [deny(Sysno::mount, 1)]);
    }

    #[test]
    fn a_later_line_replaces_an_earlier_one() {
        let p = parse("deny mount\nallow read\ndeny mount EBUSY\nkill read\ndeny mount 7").unwrap();
        assert_eq!(p.rules[..], [deny(Sysno::mount, 7), Rule { nr: 0, action: Action::Kill, when: Condition::Always, abi: Abi::X86_64 }]);
        // Parsing again starts afresh.
        let mut p = p;
        p.parse(b"allow write", b"x").unwrap();
        assert_eq!(p.rules.len(), 1);
        assert_eq!(p.default, Action::Allow);
    }

    #[test]
    fn errors_name_the_line_and_the_word() {
        for (text, want) in [
            ("allow read\n\ndeny fooo\n", "3: unknown system call 'fooo'"),
            ("frobnicate read", "1: expected default, abi, flags or an action, not 'frobnicate'"),
            ("Allow read", "1: expected default, abi, flags or an action, not 'Allow'"),
            ("default", "1: expected an action after 'default'"),
            ("default maybe", "1: expected an action, not 'maybe'"),
            ("default default", "1: expected an action, not 'default'"),
            ("default allow now", "1: unexpected word 'now'"),
            ("default deny EFOO", "1: unknown errno 'EFOO'"),
            ("deny", "1: expected a system call after 'deny'"),
            ("# x\nkill   # what?\n", "2: expected a system call after 'kill'"),
            ("allow read write", "1: unexpected word 'write'"),
            ("kill read EPERM", "1: unexpected word 'EPERM'"),
            ("deny read EPERM x", "1: unexpected word 'x'"),
            ("deny read 0", "1: unknown errno '0'"),
            ("deny read 4096", "1: unknown errno '4096'"),
            ("deny read 99999999999999999999", "1: unknown errno '99999999999999999999'"),
            ("deny read -1", "1: unknown errno '-1'"),
            ("deny read eperm", "1: unknown errno 'eperm'"),
            ("deny READ", "1: unknown system call 'READ'"),
            ("abi", "1: expected a word after 'abi'"),
            ("abi i368", "1: expected all, x86_64, i386 or x32, not 'i368'"),
            ("abi all x64", "1: expected all, x86_64, i386 or x32, not 'x64'"),
            ("flags", "1: expected a word after 'flags'"),
            ("flags log tsync", "1: expected log, spec_allow or wait_killable_recv, not 'tsync'"),
            ("trace read 65536", "1: expected 0 to 65535, not '65536'"),
            ("trace read x", "1: expected 0 to 65535, not 'x'"),
            ("default trap if arg0 == 1", "1: unexpected word 'if'"),
            ("deny read if", "1: unfinished condition after 'if'"),
            ("deny read if arg6 == 1", "1: expected arg0 to arg5, not 'arg6'"),
            ("deny read if 0 == 1", "1: expected arg0 to arg5, not '0'"),
            ("deny read if arg0", "1: unfinished condition after 'arg0'"),
            ("deny read if arg0 &", "1: unfinished condition after '&'"),
            ("deny read if arg0 & 0xg", "1: expected a number, not '0xg'"),
            ("deny read if arg0 & 0xf", "1: unfinished condition after '0xf'"),
            ("deny read if arg0 = 1", "1: expected ==, !=, <, <=, > or >=, not '='"),
            ("deny read if arg0 ==", "1: unfinished condition after '=='"),
            ("deny read if arg0 == 18446744073709551616", "1: expected a number, not '18446744073709551616'"),
            ("deny read if arg0 == -9223372036854775809", "1: expected a number, not '-9223372036854775809'"),
            ("deny read if arg0 == 0x", "1: expected a number, not '0x'"),
            ("deny read if arg0 == 1 or arg1 == 2", "1: expected and, not 'or'"),
            ("deny read if arg0 == 1 and", "1: unfinished condition after 'and'"),
            ("deny read if arg0 & 0xff == 0x100", "1: the value has bits outside the mask '0x100'"),
            (
                "deny read if arg0 == 1 and arg1 == 1 and arg2 == 1 and arg3 == 1 and arg4 == 1 and arg5 == 1 and arg0 == 2",
                "1: more than 6 conditions at 'and'",
            ),
            (&format!("deny read if arg0 == 1{}", " and arg0 == 1".repeat(12)), "1: unexpected word '=='"),
            ("deny fooo if arg0 == 1", "1: unknown system call 'fooo'"),
        ] {
            assert_eq!(parse(text).err().as_deref(), Some(&*format!("nsinit: prof.txt:{want}")), "{text:?}");
        }
    }

    #[test]
    fn every_system_call_fits() {
        let text: String =
            (0..1000).filter_map(Sysno::new).map(|s| format!("deny {} {}\n", s.name(), s.id() % 4095 + 1)).collect();
        let p = parse(&text).unwrap();
        assert_eq!(p.rules.len(), Sysno::count());
        assert!(p.rules.len() <= MAX_RULES);
        let out = assemble_and_check(&p);
        println!("every call with its own errno: {} instructions", out.len());
    }

    #[test]
    fn conditions_actions_abis_and_flags() {
        use crate::seccomp::bpf::tests::call2;
        use linux_raw_sys::ptrace::{
            AUDIT_ARCH_I386, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG, SECCOMP_RET_TRACE, SECCOMP_RET_TRAP, SECCOMP_RET_USER_NOTIF,
        };
        let text = "default deny ENOSYS\n\
                    allow socket\n\
                    deny socket EACCES if arg0 == 40   # AF_VSOCK\n\
                    deny clone if arg0 & 0x7e020000 != 0\n\
                    allow clone\n\
                    trap mount if arg2 != 0 and arg3 & 0xff == 1\n\
                    log mount if arg2 >= 0x100000000\n\
                    allow mount\n\
                    kill-thread ptrace if arg0 == -2\n\
                    trace ptrace 7 if arg0 <= 16\n\
                    notify ptrace if arg0 > 16\n\
                    allow ptrace\n\
                    allow personality if arg0 == 0xffffffff\n\
                    abi x86_64 i386\n\
                    flags log\n\
                    flags spec_allow wait_killable_recv\n";
        let p = parse(text).unwrap();
        assert!(p.decides_i386() && !p.decides_x32());
        assert_eq!(p.flags, 2 | 4 | 32);
        let out = assemble_and_check(&p);
        let decide = |nr: Sysno, args: [u64; 6]| {
            let data = linux_raw_sys::ptrace::seccomp_data { nr: nr as i32, arch: AUDIT_ARCH_X86_64, instruction_pointer: 0, args };
            run(&out, &data)
        };
        assert_eq!(decide(Sysno::socket, [40, 0, 0, 0, 0, 0]), SECCOMP_RET_ERRNO | 13);
        assert_eq!(decide(Sysno::socket, [1 << 32 | 40, 0, 0, 0, 0, 0]), SECCOMP_RET_ALLOW, "64-bit");
        assert_eq!(decide(Sysno::clone, [0x1000_0000, 0, 0, 0, 0, 0]), SECCOMP_RET_ERRNO | 1);
        assert_eq!(decide(Sysno::clone, [0x11, 0, 0, 0, 0, 0]), SECCOMP_RET_ALLOW);
        assert_eq!(decide(Sysno::mount, [0, 0, 1, 0x301, 0, 0]), SECCOMP_RET_TRAP);
        assert_eq!(decide(Sysno::mount, [0, 0, 1 << 32, 0x302, 0, 0]), SECCOMP_RET_LOG);
        assert_eq!(decide(Sysno::mount, [0, 0, 0, 0x301, 0, 0]), SECCOMP_RET_ALLOW);
        assert_eq!(decide(Sysno::ptrace, [u64::MAX - 1, 0, 0, 0, 0, 0]), SECCOMP_RET_KILL_THREAD);
        assert_eq!(decide(Sysno::ptrace, [0xffff_fffe, 0, 0, 0, 0, 0]), SECCOMP_RET_USER_NOTIF, "-2 is 64-bit");
        assert_eq!(decide(Sysno::ptrace, [16, 0, 0, 0, 0, 0]), SECCOMP_RET_TRACE | 7);
        assert_eq!(decide(Sysno::ptrace, [17, 0, 0, 0, 0, 0]), SECCOMP_RET_USER_NOTIF);
        assert_eq!(decide(Sysno::ptrace, [u64::MAX, 0, 0, 0, 0, 0]), SECCOMP_RET_USER_NOTIF);
        assert_eq!(decide(Sysno::personality, [0xffff_ffff, 0, 0, 0, 0, 0]), SECCOMP_RET_ALLOW);
        assert_eq!(decide(Sysno::personality, [u64::MAX, 0, 0, 0, 0, 0]), SECCOMP_RET_ERRNO | 38);
        assert_eq!(decide(Sysno::read, [0; 6]), SECCOMP_RET_ERRNO | 38);
        // i386's personality (136) takes the low 32 bits.
        assert_eq!(run(&out, &call2(AUDIT_ARCH_I386, 136, u64::MAX, 0)), SECCOMP_RET_ALLOW);
        assert_eq!(run(&out, &call2(AUDIT_ARCH_X86_64, 0x4000_0000 | 39, 0, 0)), SECCOMP_RET_KILL_PROCESS, "no x32");
    }

    #[test]
    fn numbers() {
        for (word, want) in [
            ("0", Some(0)),
            ("18446744073709551615", Some(u64::MAX)),
            ("0xffffffffffffffff", Some(u64::MAX)),
            ("0x7E020000", Some(0x7e02_0000)),
            ("-1", Some(u64::MAX)),
            ("-9223372036854775808", Some(1 << 63)),
            ("-0", Some(0)),
            ("-", None),
            ("1x", None),
            ("0x10000000000000000", None),
            ("", None),
            ("+1", None),
        ] {
            assert_eq!(number(word.as_bytes()), want, "{word}");
        }
    }
}
