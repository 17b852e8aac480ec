//! The OCI runtime-spec's words for `linux.seccomp`, one table each, as
//! crun reads them: actions, comparison operators, architectures, flags.
//! A front end maps a profile with these and `Profile::add`.

use super::{Action, ArgCmp, Op, Profile};
use linux_raw_sys::ptrace::{SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV};

/// The errno of `SCMP_ACT_ERRNO` and the value of `SCMP_ACT_TRACE` when
/// the profile gives none (crun's).
const EPERM: u16 = 1;

/// The action named `name` (`SCMP_ACT_ERRNO`...), with `errno_ret` the
/// rule's `errnoRet` (or the profile's `defaultErrnoRet`), if it has one.
/// `SCMP_ACT_KILL` is libseccomp's: the thread. Errors name what is wrong
/// with the value, for the front end to put its path before.
pub fn action_by_name(name: &[u8], errno_ret: Option<u32>) -> Result<Action, &'static str> {
    let data = match errno_ret {
        None => EPERM,
        Some(n) => u16::try_from(n).map_err(|_| "errnoRet is more than 65535")?,
    };
    let action = crate::by_key!(name,
        "SCMP_ACT_ERRNO" => return Ok(Action::Errno(data)),
        "SCMP_ACT_TRACE" => return Ok(Action::Trace(data)),
        "SCMP_ACT_ALLOW" => Action::Allow,
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => Action::KillThread,
        "SCMP_ACT_KILL_PROCESS" => Action::Kill,
        "SCMP_ACT_TRAP" => Action::Trap,
        "SCMP_ACT_LOG" => Action::Log,
        "SCMP_ACT_NOTIFY" => Action::Notify,
        _ => return Err("unknown seccomp action"),
    );
    match errno_ret {
        Some(_) => Err("errnoRet is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE"),
        None => Ok(action),
    }
}

/// One of a rule's `args[]`: `index`, `op` (`SCMP_CMP_EQ`...), `value` and
/// `valueTwo` (`MASKED_EQ`'s value; its `value` is the mask).
pub fn arg_cmp(index: u32, op: &[u8], value: u64, value_two: u64) -> Result<ArgCmp, &'static str> {
    let arg = u8::try_from(index).ok().filter(|&i| i < 6).ok_or("index is more than 5")?;
    let op = crate::by_key!(op,
        "SCMP_CMP_MASKED_EQ" => return Ok(ArgCmp::masked_eq(arg, value, value_two)),
        "SCMP_CMP_EQ" => Op::Eq,
        "SCMP_CMP_NE" => Op::Ne,
        "SCMP_CMP_LT" => Op::Lt,
        "SCMP_CMP_LE" => Op::Le,
        "SCMP_CMP_GT" => Op::Gt,
        "SCMP_CMP_GE" => Op::Ge,
        _ => return Err("unknown seccomp operator"),
    );
    Ok(ArgCmp::new(arg, op, value))
}

/// libseccomp's architectures other than x86's: a profile may list them
/// (Docker's lists its sub-architectures per machine), and the filter
/// never sees their calls on x86_64.
const OTHER_ARCHITECTURES: &str =
    "ARM AARCH64 SHEB MIPS MIPS64 MIPS64N32 MIPSEL MIPSEL64 MIPSEL64N32 PPC PPC64 PPC64LE S390 S390X PARISC PARISC64 RISCV64 LOONGARCH64 M68K SH";

impl Profile {
    /// Adds one of `architectures` (`SCMP_ARCH_X86`...) to the ABIs the
    /// filter decides. x86_64's it always decides, as libseccomp's native
    /// one; another machine's is accepted and has no effect here. The
    /// calls of an ABI not added kill the thread, as libseccomp's default
    /// bad-arch action: set `foreign_kills_thread` for an OCI profile.
    pub fn add_architecture(&mut self, name: &[u8]) -> Result<(), &'static str> {
        let (i386, x32) = (self.decides_i386(), self.decides_x32());
        // crun takes the name without its prefix too, in any case.
        let arch = name.strip_prefix(b"SCMP_ARCH_").unwrap_or(name);
        let is = |known: &[u8]| arch.eq_ignore_ascii_case(known);
        if is(b"X86") {
            self.set_abis(true, x32);
        } else if is(b"X32") {
            self.set_abis(i386, true);
        } else if !is(b"X86_64") && !OTHER_ARCHITECTURES.split(' ').any(|a| is(a.as_bytes())) {
            return Err("unknown seccomp architecture");
        }
        Ok(())
    }

    /// Adds one of `flags` (`SECCOMP_FILTER_FLAG_LOG`...).
    /// `SECCOMP_FILTER_FLAG_TSYNC` has no effect: nsinit's process has one
    /// thread when it loads the filter.
    pub fn add_flag(&mut self, name: &[u8]) -> Result<(), &'static str> {
        self.flags |= crate::by_key!(name,
            "SECCOMP_FILTER_FLAG_TSYNC" => 0,
            "SECCOMP_FILTER_FLAG_LOG" => SECCOMP_FILTER_FLAG_LOG,
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => SECCOMP_FILTER_FLAG_SPEC_ALLOW,
            "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" => SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
            _ => return Err("unknown seccomp flag"),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_by_name() {
        assert_eq!(action_by_name(b"SCMP_ACT_ERRNO", None), Ok(Action::Errno(1)));
        assert_eq!(action_by_name(b"SCMP_ACT_ERRNO", Some(38)), Ok(Action::Errno(38)));
        assert_eq!(action_by_name(b"SCMP_ACT_ERRNO", Some(0)), Ok(Action::Errno(0)));
        assert_eq!(action_by_name(b"SCMP_ACT_TRACE", None), Ok(Action::Trace(1)));
        assert_eq!(action_by_name(b"SCMP_ACT_KILL", None), Ok(Action::KillThread));
        assert_eq!(action_by_name(b"SCMP_ACT_KILL_THREAD", None), Ok(Action::KillThread));
        assert_eq!(action_by_name(b"SCMP_ACT_KILL_PROCESS", None), Ok(Action::Kill));
        assert_eq!(action_by_name(b"SCMP_ACT_ALLOW", None), Ok(Action::Allow));
        assert_eq!(action_by_name(b"SCMP_ACT_LOG", None), Ok(Action::Log));
        assert_eq!(action_by_name(b"SCMP_ACT_TRAP", None), Ok(Action::Trap));
        assert_eq!(action_by_name(b"SCMP_ACT_NOTIFY", None), Ok(Action::Notify));
        assert_eq!(action_by_name(b"SCMP_ACT_ALLOW", Some(1)), Err("errnoRet is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE"));
        assert_eq!(action_by_name(b"SCMP_ACT_ERRNO", Some(65536)), Err("errnoRet is more than 65535"));
        assert_eq!(action_by_name(b"SCMP_ACT_DENY", None), Err("unknown seccomp action"));
        assert_eq!(action_by_name(b"scmp_act_allow", None), Err("unknown seccomp action"));
    }

    #[test]
    fn operators_by_name() {
        assert_eq!(arg_cmp(0, b"SCMP_CMP_MASKED_EQ", 0x7e02_0000, 0), Ok(ArgCmp::masked_eq(0, 0x7e02_0000, 0)));
        assert_eq!(arg_cmp(5, b"SCMP_CMP_NE", 40, 9), Ok(ArgCmp::new(5, Op::Ne, 40)));
        for (name, op) in [("EQ", Op::Eq), ("LT", Op::Lt), ("LE", Op::Le), ("GT", Op::Gt), ("GE", Op::Ge)] {
            assert_eq!(arg_cmp(1, format!("SCMP_CMP_{name}").as_bytes(), u64::MAX, 0), Ok(ArgCmp::new(1, op, u64::MAX)));
        }
        assert_eq!(arg_cmp(6, b"SCMP_CMP_EQ", 0, 0), Err("index is more than 5"));
        assert_eq!(arg_cmp(1 << 31, b"SCMP_CMP_EQ", 0, 0), Err("index is more than 5"));
        assert_eq!(arg_cmp(0, b"SCMP_CMP_MASKED_NE", 0, 0), Err("unknown seccomp operator"));
    }

    #[test]
    fn architectures_and_flags() {
        let mut p = Profile::new();
        p.add_architecture(b"SCMP_ARCH_X86_64").unwrap();
        assert!(!p.other_abis);
        p.add_architecture(b"SCMP_ARCH_X32").unwrap();
        assert!(p.decides_x32() && !p.decides_i386());
        p.add_architecture(b"SCMP_ARCH_X86").unwrap();
        assert!(p.decides_x32() && p.decides_i386());
        p.add_architecture(b"SCMP_ARCH_AARCH64").unwrap();
        p.add_architecture(b"SCMP_ARCH_S390X").unwrap();
        assert_eq!(p.add_architecture(b"SCMP_ARCH_VAX"), Err("unknown seccomp architecture"));
        assert_eq!(p.add_architecture(b"SCMP_ARCH_"), Err("unknown seccomp architecture"));
        let mut p = Profile::new();
        p.add_architecture(b"x86").unwrap();
        assert!(!p.decides_x32() && p.decides_i386(), "as crun, without the prefix, in lower case");
        p.add_flag(b"SECCOMP_FILTER_FLAG_TSYNC").unwrap();
        assert_eq!(p.flags, 0);
        p.add_flag(b"SECCOMP_FILTER_FLAG_LOG").unwrap();
        p.add_flag(b"SECCOMP_FILTER_FLAG_SPEC_ALLOW").unwrap();
        p.add_flag(b"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV").unwrap();
        assert_eq!(p.flags, 2 | 4 | 32);
        assert_eq!(p.add_flag(b"SECCOMP_FILTER_FLAG_NEW_LISTENER"), Err("unknown seccomp flag"));
    }
}
