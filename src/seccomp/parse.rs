//! The text form of a profile, for `--seccomp FILE`: one statement a line,
//! words split on blanks, `#` to the end of the line a comment.
//!
//! ```text
//! # A batch job that needs no network.
//! default allow              # the default; or deny [ERRNO], or kill
//! deny socket EACCES         # ERRNO: a name or 1 to 4095; EPERM if left out
//! deny connect
//! kill ptrace
//! ```
//!
//! `allow NAME` completes the three. A later line for a call replaces an
//! earlier one. The names are x86_64's, and calls of the i386 and x32
//! ABIs are killed, unless the profile says `abi all`: then each is
//! decided as the x86_64 call of the same name, as in the default profile
//! (`abi x86_64` goes back).

use super::{Action, Profile, syscall_number};
use crate::error::{Error, errno_number};
use heapless::Vec;

/// The largest errno: the kernel takes no larger one (MAX_ERRNO).
const MAX_ERRNO: u32 = 4095;
const EPERM: u16 = 1;

/// Words a statement may have, and one more to tell it has too many.
const MAX_WORDS: usize = 4;

impl Profile {
    /// Reads a profile from `text`, replacing what the profile held. `path`
    /// names the file in errors: `nsinit: PATH:LINE: what is wrong`.
    pub fn parse(&mut self, text: &[u8], path: &[u8]) -> Result<(), Error> {
        self.default = Action::Allow;
        self.rules.clear();
        self.other_abis = false;
        for (index, line) in text.split(|&c| c == b'\n').enumerate() {
            let code = line.split(|&c| c == b'#').next().unwrap_or_default();
            let mut words: Vec<&[u8], MAX_WORDS> = Vec::new();
            for word in code.split(|&c| matches!(c, b' ' | b'\t' | b'\r')).filter(|w| !w.is_empty()) {
                if words.push(word).is_err() {
                    break;
                }
            }
            if let Err(Wrong(what, word)) = self.statement(&words) {
                let at = Error::new(path).push(b":").push_u64(index as u64 + 1).push(b": ");
                return Err(at.push(what).push(b" '").push(word).push(b"'"));
            }
        }
        Ok(())
    }

    /// Applies one line's statement, if it has one.
    fn statement<'t>(&mut self, words: &[&'t [u8]]) -> Result<(), Wrong<'t>> {
        let mut words = words.iter().copied();
        let Some(first) = words.next() else { return Ok(()) };
        if first == b"abi" {
            let word = words.next().ok_or(Wrong(b"expected all or x86_64 after", first))?;
            self.other_abis = match word {
                b"all" => true,
                b"x86_64" => false,
                _ => return Err(Wrong(b"expected all or x86_64, not", word)),
            };
            return match words.next() {
                Some(extra) => Err(Wrong(b"unexpected word", extra)),
                None => Ok(()),
            };
        }
        // `default VERB...`, or `VERB NAME...`.
        let (verb, name) = match verb_number(first) {
            Some(DEFAULT) => {
                let word = words.next().ok_or(Wrong(b"expected allow, deny or kill after", first))?;
                let verb = verb_number(word).filter(|&v| v != DEFAULT);
                (verb.ok_or(Wrong(b"expected allow, deny or kill, not", word))?, None)
            }
            Some(verb) => (verb, Some(words.next().ok_or(Wrong(b"expected a system call after", first))?)),
            None => return Err(Wrong(b"expected default, allow, deny, kill or abi, not", first)),
        };
        let action = match verb {
            ALLOW => Action::Allow,
            KILL => Action::Kill,
            _ => match words.next() {
                None => Action::Errno(EPERM),
                Some(word) => Action::Errno(errno(word).ok_or(Wrong(b"unknown errno", word))?),
            },
        };
        if let Some(extra) = words.next() {
            return Err(Wrong(b"unexpected word", extra));
        }
        match name {
            None => self.default = action,
            Some(name) => {
                let nr = syscall_number(name).ok_or(Wrong(b"unknown system call", name))?;
                self.set(nr, action).map_err(|_| Wrong(b"no room left in the profile for", name))?;
            }
        }
        Ok(())
    }
}

/// The words that start a statement, as `verb_number` numbers them.
const VERBS: [&[u8]; 4] = [b"allow", b"deny", b"kill", b"default"];
const ALLOW: usize = 0;
const KILL: usize = 2;
const DEFAULT: usize = 3;

fn verb_number(word: &[u8]) -> Option<usize> {
    VERBS.iter().position(|&v| v == word)
}

/// What is wrong with a line: `what 'word'`.
struct Wrong<'t>(&'static [u8], &'t [u8]);

/// An errno by name (`EPERM`) or number (`1` to 4095).
fn errno(word: &[u8]) -> Option<u16> {
    if let Some(n) = errno_number(word) {
        return u16::try_from(n).ok();
    }
    let mut n: u32 = 0;
    for &c in word {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.saturating_mul(10).saturating_add(u32::from(c - b'0'));
    }
    u16::try_from(n).ok().filter(|&n| (1..=MAX_ERRNO).contains(&u32::from(n)))
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
            ("frobnicate read", "1: expected default, allow, deny, kill or abi, not 'frobnicate'"),
            ("Allow read", "1: expected default, allow, deny, kill or abi, not 'Allow'"),
            ("default", "1: expected allow, deny or kill after 'default'"),
            ("default maybe", "1: expected allow, deny or kill, not 'maybe'"),
            ("default default", "1: expected allow, deny or kill, not 'default'"),
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
            ("abi", "1: expected all or x86_64 after 'abi'"),
            ("abi i386", "1: expected all or x86_64, not 'i386'"),
            ("abi all x32", "1: unexpected word 'x32'"),
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
}
