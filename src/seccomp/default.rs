//! The default profile: Docker's default seccomp profile (moby's
//! `profiles/seccomp/default.json`), turned around into the calls it denies.
//!
//! Docker allows a list of calls and denies the rest; nsinit allows
//! everything but the calls below. For the x86_64 calls Docker's list
//! knows, the two agree, capabilities and arguments included. Calls newer
//! than the list are allowed (uprobe, file_getattr, file_setattr), but
//! open_tree_attr, a mount call like open_tree. As in Docker, the i386 and
//! x32 ABIs get the same decisions, each call by its own number there;
//! their calls x86_64 lacks are in `I386_ONLY`.
//!
//! Beyond Docker's: the terminal ioctls that type into or paste onto the
//! caller's terminal (bubblewrap's CVE-2017-5226), and AF_VSOCK and AF_ALG
//! sockets.

use super::prebuilt::PREBUILT;
use super::{Abi, Action, Condition, Filter, MAX_RULES, Profile, Rule};
use crate::config::DEFAULT_CAPABILITIES;
use linux_raw_sys::general::{
    CAP_BPF, CAP_DAC_READ_SEARCH, CAP_PERFMON, CAP_SYS_ADMIN, CAP_SYS_BOOT, CAP_SYS_CHROOT, CAP_SYS_MODULE,
    CAP_SYS_NICE, CAP_SYS_PACCT, CAP_SYS_PTRACE, CAP_SYS_RAWIO, CAP_SYS_TIME, CAP_SYS_TTY_CONFIG, CAP_SYSLOG,
    CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS,
};
use linux_raw_sys::net::{AF_ALG, AF_VSOCK};
use syscalls::Sysno as S;

// The errnos the table uses (asm-generic/errno-base.h, errno.h).
const EPERM: u8 = 1;
const ENOSYS: u8 = 38;

/// A call the default profile fails with `errno`, unless the container has
/// one of the capabilities `unless` (`NO_CAP` fills the unused places).
#[derive(Clone, Copy)]
struct Denial {
    nr: u16,
    errno: u8,
    unless: [u8; 2],
}

const NO_CAP: u8 = u8::MAX;

const fn deny(nr: S) -> Denial {
    Denial { nr: nr as u16, errno: EPERM, unless: [NO_CAP; 2] }
}

impl Denial {
    /// Not denied to a container with `cap`; given twice, with either.
    const fn unless(mut self, cap: u32) -> Denial {
        if self.unless[0] == NO_CAP {
            self.unless[0] = cap as u8;
        } else {
            self.unless[1] = cap as u8;
        }
        self
    }

    /// Failing with `errno` rather than EPERM.
    const fn with(mut self, errno: u8) -> Denial {
        self.errno = errno;
        self
    }
}

const DENIED: &[Denial] = &[
    // Code loaded into the kernel; the first three calls are gone from it.
    deny(S::create_module),
    deny(S::get_kernel_syms),
    deny(S::query_module),
    deny(S::init_module).unless(CAP_SYS_MODULE),
    deny(S::finit_module).unless(CAP_SYS_MODULE),
    deny(S::delete_module).unless(CAP_SYS_MODULE),
    // Replacing the running kernel, stopping the machine.
    deny(S::kexec_load),
    deny(S::kexec_file_load),
    deny(S::reboot).unless(CAP_SYS_BOOT),
    // Swap is the host's.
    deny(S::swapon),
    deny(S::swapoff),
    // The clock is not namespaced. adjtimex and clock_adjtime are allowed:
    // they read it, and the kernel asks for CAP_SYS_TIME to change it.
    deny(S::settimeofday).unless(CAP_SYS_TIME),
    deny(S::clock_settime).unless(CAP_SYS_TIME),
    // Neither is the kernel keyring.
    deny(S::add_key),
    deny(S::request_key),
    deny(S::keyctl),
    // BPF programs, performance counters, the kernel log and filesystem
    // events: all see the whole host.
    deny(S::bpf).unless(CAP_SYS_ADMIN).unless(CAP_BPF),
    deny(S::perf_event_open).unless(CAP_SYS_ADMIN).unless(CAP_PERFMON),
    deny(S::lookup_dcookie).unless(CAP_SYS_ADMIN),
    deny(S::syslog).unless(CAP_SYS_ADMIN).unless(CAP_SYSLOG),
    deny(S::fanotify_init).unless(CAP_SYS_ADMIN),
    // Host-wide settings and devices: process accounting, disk quotas, I/O
    // ports, the terminal.
    deny(S::acct).unless(CAP_SYS_PACCT),
    deny(S::quotactl).unless(CAP_SYS_ADMIN),
    deny(S::quotactl_fd).unless(CAP_SYS_ADMIN),
    deny(S::iopl).unless(CAP_SYS_RAWIO),
    deny(S::ioperm).unless(CAP_SYS_RAWIO),
    deny(S::vhangup).unless(CAP_SYS_TTY_CONFIG),
    // Memory placement on NUMA nodes; moving pages Docker denies to all.
    deny(S::mbind).unless(CAP_SYS_NICE),
    deny(S::set_mempolicy).unless(CAP_SYS_NICE),
    deny(S::get_mempolicy).unless(CAP_SYS_NICE),
    deny(S::set_mempolicy_home_node).unless(CAP_SYS_NICE),
    deny(S::migrate_pages),
    deny(S::move_pages),
    // Other processes' descriptors and memory. ptrace and
    // process_vm_readv/writev are allowed, as Docker does on kernels from
    // 4.8 on, where seccomp checks a call after a tracer could change it.
    deny(S::kcmp).unless(CAP_SYS_PTRACE),
    deny(S::pidfd_getfd).unless(CAP_SYS_PTRACE),
    deny(S::process_madvise).unless(CAP_SYS_PTRACE),
    // A file handle opens a file past the container's root.
    // name_to_handle_at, which only makes handles, is allowed.
    deny(S::open_by_handle_at).unless(CAP_DAC_READ_SEARCH),
    // Page faults handled in user space make kernel races easy to win.
    deny(S::userfaultfd),
    // io_uring makes calls this filter never sees.
    deny(S::io_uring_setup),
    deny(S::io_uring_enter),
    deny(S::io_uring_register),
    // Mounts and namespaces. pivot_root is denied even with CAP_SYS_ADMIN,
    // as in Docker; clone(2) is in ARGUMENT_RULES.
    deny(S::mount).unless(CAP_SYS_ADMIN),
    deny(S::umount2).unless(CAP_SYS_ADMIN),
    deny(S::pivot_root),
    deny(S::fsopen).unless(CAP_SYS_ADMIN),
    deny(S::fsconfig).unless(CAP_SYS_ADMIN),
    deny(S::fsmount).unless(CAP_SYS_ADMIN),
    deny(S::fspick).unless(CAP_SYS_ADMIN),
    deny(S::move_mount).unless(CAP_SYS_ADMIN),
    deny(S::open_tree).unless(CAP_SYS_ADMIN),
    deny(S::open_tree_attr).unless(CAP_SYS_ADMIN),
    deny(S::mount_setattr).unless(CAP_SYS_ADMIN),
    deny(S::unshare).unless(CAP_SYS_ADMIN),
    deny(S::setns).unless(CAP_SYS_ADMIN),
    // clone3 passes its flags in memory, which seccomp cannot read. ENOSYS
    // makes libc fall back to clone(2), whose flags it can.
    deny(S::clone3).unless(CAP_SYS_ADMIN).with(ENOSYS),
    deny(S::sethostname).unless(CAP_SYS_ADMIN),
    deny(S::setdomainname).unless(CAP_SYS_ADMIN),
    deny(S::chroot).unless(CAP_SYS_CHROOT),
    // Security modules' attributes.
    deny(S::lsm_get_self_attr).unless(CAP_SYS_ADMIN),
    deny(S::lsm_set_self_attr).unless(CAP_SYS_ADMIN),
    deny(S::lsm_list_modules).unless(CAP_SYS_ADMIN),
    // personality(2) but for the personas of ARGUMENT_RULES: the others
    // turn off address space randomisation or make data executable.
    deny(S::personality),
    // Obsolete.
    deny(S::uselib),
    deny(S::ustat),
    deny(S::sysfs),
    deny(S::_sysctl),
    deny(S::nfsservctl),
    // Never implemented.
    deny(S::getpmsg),
    deny(S::putpmsg),
    deny(S::afs_syscall),
    deny(S::tuxcall),
    deny(S::security),
    deny(S::vserver),
];

/// A rule of the default profile, left out for a container with `unless`.
struct Gated {
    rule: Rule,
    unless: u8,
}

const fn on_arg(nr: S, action: Action, when: Condition) -> Gated {
    Gated { rule: Rule { nr: nr as u32, action, when, abi: Abi::X86_64 }, unless: NO_CAP }
}

const fn arg0_is(value: u32) -> Condition {
    Condition::Equals { arg: 0, value }
}

const DENY: Action = Action::Errno(EPERM as u16);

/// The flags by which clone(2) makes namespaces. CLONE_NEWTIME is not one:
/// clone(2) reads its bit as part of the exit signal, and only clone3 and
/// unshare, denied above, make time namespaces.
const NAMESPACE_FLAGS: u32 =
    CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;

// personality(2)'s arguments (linux/personality.h).
const PER_LINUX: u32 = 0;
const PER_LINUX32: u32 = 0x0008;
const UNAME26: u32 = 0x0020000;
/// Asks for the current persona, changing nothing.
const PERSONALITY_QUERY: u32 = 0xffff_ffff;

// The terminal ioctls (asm-generic/ioctls.h).
const TIOCSTI: u32 = 0x5412;
const TIOCLINUX: u32 = 0x541C;

/// The default profile's rules on arguments, in the order they are tried.
const ARGUMENT_RULES: &[Gated] = &[
    // Making namespaces needs CAP_SYS_ADMIN, as with unshare.
    Gated { unless: CAP_SYS_ADMIN as u8, ..on_arg(S::clone, DENY, Condition::HasAnyOf { arg: 0, mask: NAMESPACE_FLAGS }) },
    // AF_VSOCK sockets reach the hypervisor's host past any network
    // namespace; AF_ALG ones reach the kernel's crypto code, a frequent
    // target of exploits.
    on_arg(S::socket, DENY, arg0_is(AF_VSOCK)),
    on_arg(S::socket, DENY, arg0_is(AF_ALG)),
    // Characters pushed into the terminal's input, or the selection pasted
    // there, are read by the caller's shell once the container is gone.
    on_arg(S::ioctl, DENY, Condition::Equals { arg: 1, value: TIOCSTI }),
    on_arg(S::ioctl, DENY, Condition::Equals { arg: 1, value: TIOCLINUX }),
    // The personas Docker allows: Linux and 32-bit Linux, each also with
    // a 2.6 version in uname, and the query of the current one.
    on_arg(S::personality, Action::Allow, arg0_is(PER_LINUX)),
    on_arg(S::personality, Action::Allow, arg0_is(PER_LINUX32)),
    on_arg(S::personality, Action::Allow, arg0_is(UNAME26)),
    on_arg(S::personality, Action::Allow, arg0_is(UNAME26 | PER_LINUX32)),
    on_arg(S::personality, Action::Allow, arg0_is(PERSONALITY_QUERY)),
];

/// The calls only i386 has that Docker denies, by their i386 numbers
/// (arch/x86/entry/syscalls/syscall_32.tbl), with the capability that
/// allows each, as in `DENIED`.
const I386_ONLY: &[(u32, u8)] = &[
    (22, CAP_SYS_ADMIN as u8), // umount
    (25, CAP_SYS_TIME as u8),  // stime
    (113, NO_CAP),             // vm86old
    (166, NO_CAP),             // vm86
    (404, CAP_SYS_TIME as u8), // clock_settime64
];

const _: () = assert!(DENIED.len() + ARGUMENT_RULES.len() + I386_ONLY.len() <= MAX_RULES);

/// The capabilities the default profile's decisions depend on (bit N for
/// capability N): those that lift a denial or a rule on arguments.
const DECIDING: u64 = {
    let (mut caps, mut i) = (0u64, 0);
    while i < DENIED.len() {
        caps |= cap_bit(DENIED[i].unless[0]) | cap_bit(DENIED[i].unless[1]);
        i += 1;
    }
    i = 0;
    while i < ARGUMENT_RULES.len() {
        caps |= cap_bit(ARGUMENT_RULES[i].unless);
        i += 1;
    }
    i = 0;
    while i < I386_ONLY.len() {
        caps |= cap_bit(I386_ONLY[i].1);
        i += 1;
    }
    caps
};

const fn cap_bit(cap: u8) -> u64 {
    if cap < 64 { 1 << cap } else { 0 }
}

/// The default profile's filter for a container with capabilities `caps`
/// (bit N for capability N), when it is the one nsinit's own default set
/// gets (the capabilities it depends on, `DECIDING`, are those of
/// `DEFAULT_CAPABILITIES`): assembled when nsinit was built, so a default
/// start neither assembles it (some 60 us) nor touches the assembler's
/// memory. `None` for any other set: assemble `Profile::set_default`'s.
pub fn prebuilt_default(caps: u64) -> Option<Filter> {
    (caps & DECIDING == DEFAULT_CAPABILITIES & DECIDING).then_some(Filter { insns: &PREBUILT, flags: 0 })
}

impl Profile {
    /// Fills the profile with the default: Docker's, as a deny list. `caps`
    /// holds the container's capabilities (bit N for capability N); a call
    /// Docker allows only with a capability is denied without it.
    pub fn set_default(&mut self, caps: u64) {
        let has = |cap: u8| cap < 64 && caps & 1 << cap != 0;
        self.default = Action::Allow;
        self.set_abis(true, true);
        self.rules.clear();
        // Pushing cannot fail: the tables fit (asserted above).
        for gated in ARGUMENT_RULES.iter().filter(|g| !has(g.unless)) {
            let _ = self.rules.push(gated.rule);
        }
        for denial in DENIED.iter().filter(|d| !d.unless.iter().any(|&cap| has(cap))) {
            let action = Action::Errno(u16::from(denial.errno));
            let _ = self.rules.push(Rule { nr: u32::from(denial.nr), action, when: Condition::Always, abi: Abi::X86_64 });
        }
        for &(nr, _) in I386_ONLY.iter().filter(|(_, cap)| !has(*cap)) {
            let _ = self.rules.push(Rule { nr, action: DENY, when: Condition::Always, abi: Abi::I386 });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::bpf::tests::{assemble_and_check, call, call2, run};
    use crate::seccomp::syscall_number;
    use crate::sys::Errno;
    use linux_raw_sys::general::{CLONE_NEWTIME, CLONE_VM, SIGCHLD};
    use linux_raw_sys::ptrace::{AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO};
    use std::collections::BTreeSet;

    /// The filter in prebuilt.rs is what the assembler makes of the default
    /// profile for the default capabilities today. When the profile or the
    /// assembler changes, rewrite it: `NSINIT_BLESS=1 cargo test --release
    /// --lib prebuilt_is_current`, and commit the file.
    #[test]
    fn prebuilt_is_current() {
        let mut profile = Box::new(Profile::new());
        profile.set_default(DEFAULT_CAPABILITIES);
        let insns = assemble_and_check(&profile);
        assert_eq!(profile.flags, 0, "prebuilt_default loads without flags");
        if std::env::var_os("NSINIT_BLESS").is_some() {
            let mut text = String::from(PREBUILT_HEADER);
            text += &format!("pub(super) static PREBUILT: [sock_filter; {}] = [\n", insns.len());
            for i in &insns {
                text += &format!("    op({:#06x}, {}, {}, {:#x}),\n", i.code, i.jt, i.jf, i.k);
            }
            text += "];\n";
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/src/seccomp/prebuilt.rs"), text).unwrap();
        }
        let same = insns.len() == PREBUILT.len()
            && insns.iter().zip(&PREBUILT).all(|(a, b)| (a.code, a.jt, a.jf, a.k) == (b.code, b.jt, b.jf, b.k));
        assert!(same, "src/seccomp/prebuilt.rs is stale: NSINIT_BLESS=1 cargo test --release --lib prebuilt_is_current");
    }

    const PREBUILT_HEADER: &str = "\
//! The default profile's filter for nsinit's default capabilities, as the
//! assembler makes it (`default::prebuilt_default`). Generated: do not edit;
//! `NSINIT_BLESS=1 cargo test --release --lib prebuilt_is_current` rewrites
//! it, and that test fails while it differs from the assembler's output.

use super::sock_filter;

const fn op(code: u16, jt: u8, jf: u8, k: u32) -> sock_filter {
    sock_filter { code, jt, jf, k }
}

";

    #[test]
    fn prebuilt_only_for_the_default_deciding_capabilities() {
        assert!(prebuilt_default(DEFAULT_CAPABILITIES).is_some());
        // A capability no rule depends on changes nothing.
        let unrelated = 1 << linux_raw_sys::general::CAP_NET_ADMIN;
        assert_eq!(DECIDING & unrelated, 0);
        assert!(prebuilt_default(DEFAULT_CAPABILITIES | unrelated).is_some());
        for cap in [CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SYS_TIME, CAP_BPF] {
            assert!(prebuilt_default(DEFAULT_CAPABILITIES | 1 << cap).is_none(), "with {cap}");
        }
        assert!(prebuilt_default(DEFAULT_CAPABILITIES & !(1 << CAP_SYS_CHROOT)).is_none(), "without CAP_SYS_CHROOT");
    }

    /// The x86_64 calls Docker's default profile denies to a container
    /// without capabilities, whatever their arguments (moby's
    /// profiles/seccomp v0.2.3), less those newer than it (uprobe,
    /// file_getattr, file_setattr).
    const DOCKER_DENIES: &str = "syslog uselib personality ustat sysfs vhangup pivot_root _sysctl chroot acct \
        settimeofday mount umount2 swapon swapoff reboot sethostname setdomainname iopl ioperm create_module \
        init_module delete_module get_kernel_syms query_module quotactl nfsservctl getpmsg putpmsg afs_syscall \
        tuxcall security lookup_dcookie clock_settime vserver mbind set_mempolicy get_mempolicy kexec_load \
        add_key request_key keyctl migrate_pages unshare move_pages perf_event_open fanotify_init \
        open_by_handle_at setns kcmp finit_module kexec_file_load bpf userfaultfd io_uring_setup \
        io_uring_enter io_uring_register open_tree move_mount fsopen fsconfig fsmount fspick clone3 pidfd_getfd \
        process_madvise mount_setattr quotactl_fd set_mempolicy_home_node lsm_get_self_attr lsm_set_self_attr \
        lsm_list_modules open_tree_attr";

    const ALLOW: u32 = SECCOMP_RET_ALLOW;
    const EPERM_RET: u32 = SECCOMP_RET_ERRNO | EPERM as u32;
    const ENOSYS_RET: u32 = SECCOMP_RET_ERRNO | ENOSYS as u32;

    fn default_profile(caps: u64) -> Profile {
        let mut p = Profile::new();
        p.set_default(caps);
        p
    }

    /// The calls denied whatever their arguments.
    fn denied(p: &Profile) -> BTreeSet<&'static str> {
        let name = |nr| S::new(nr as usize).map_or("?", |s| s.name());
        p.rules
            .iter()
            .filter(|r| r.when == Condition::Always && r.action != Action::Allow && r.abi == Abi::X86_64)
            .map(|r| name(r.nr))
            .collect()
    }

    fn decide(program: &[crate::seccomp::sock_filter], name: &str, arg0: u64) -> u32 {
        run(program, &call(AUDIT_ARCH_X86_64, syscall_number(name.as_bytes()).unwrap(), arg0))
    }

    #[test]
    fn the_errnos_are_right() {
        assert_eq!(i32::from(EPERM), Errno::EPERM.into_raw());
        assert_eq!(i32::from(ENOSYS), Errno::ENOSYS.into_raw());
    }

    #[test]
    fn it_denies_what_docker_denies() {
        assert_eq!(denied(&default_profile(0)), DOCKER_DENIES.split_whitespace().collect());
    }

    #[test]
    fn without_capabilities() {
        let out = assemble_and_check(&default_profile(0));
        println!("the default filter without capabilities: {} instructions", out.len());
        // One level of search more than for x86_64 alone, and i386's search.
        assert!(out.len() < 300, "{} instructions", out.len());
        let clone_flags = u64::from(CLONE_VM | SIGCHLD);
        for (name, arg0, want) in [
            ("read", 0, ALLOW),
            ("mount", 0, EPERM_RET),
            ("clone3", 0, ENOSYS_RET),
            ("clone", clone_flags, ALLOW),
            ("clone", clone_flags | u64::from(CLONE_NEWUSER), EPERM_RET),
            ("clone", u64::from(CLONE_NEWNS), EPERM_RET),
            ("clone", u64::from(CLONE_NEWTIME), ALLOW),
            ("socket", u64::from(AF_VSOCK), EPERM_RET),
            ("socket", u64::from(AF_ALG), EPERM_RET),
            ("socket", 2, ALLOW),
            ("personality", 0, ALLOW),
            ("personality", 0xffff_ffff, ALLOW),
            ("personality", 0x0040000, EPERM_RET),
            ("ptrace", 0, ALLOW),
            ("process_vm_readv", 0, ALLOW),
            ("kcmp", 0, EPERM_RET),
            ("adjtimex", 0, ALLOW),
            ("clock_adjtime", 0, ALLOW),
            ("clock_settime", 0, EPERM_RET),
            ("name_to_handle_at", 0, ALLOW),
            ("open_by_handle_at", 0, EPERM_RET),
            ("io_uring_setup", 0, EPERM_RET),
        ] {
            assert_eq!(decide(&out, name, arg0), want, "{name}({arg0:#x})");
        }
    }

    #[test]
    fn terminal_ioctls_are_denied_whatever_the_high_bits() {
        let out = assemble_and_check(&default_profile(u64::MAX));
        let ioctl = syscall_number(b"ioctl").unwrap();
        let x32_ioctl = 0x4000_0000 | 514;
        for (arch, nr) in [(AUDIT_ARCH_X86_64, ioctl), (AUDIT_ARCH_I386, 54), (AUDIT_ARCH_X86_64, x32_ioctl)] {
            for (request, want) in [
                (u64::from(TIOCSTI), EPERM_RET),
                (u64::from(TIOCLINUX), EPERM_RET),
                (0xdead_0000_0000 | u64::from(TIOCSTI), EPERM_RET),
                (0xffff_ffff_0000_0000 | u64::from(TIOCLINUX), EPERM_RET),
                (0x5401, ALLOW), // TCGETS
                (0x540F, ALLOW), // TIOCGPGRP
                (u64::from(TIOCSTI) + 1, ALLOW),
            ] {
                assert_eq!(run(&out, &call2(arch, nr, 0, request)), want, "arch {arch:#x} nr {nr:#x} request {request:#x}");
            }
            // The request is the second argument, not the first.
            assert_eq!(run(&out, &call2(arch, nr, u64::from(TIOCSTI), 0x5401)), ALLOW);
        }
    }

    #[test]
    fn i386_and_x32_calls_get_the_x86_64_decisions_by_their_own_numbers() {
        for caps in [0, 1 << CAP_SYS_ADMIN, 1 << CAP_SYS_TIME, u64::MAX] {
            let p = default_profile(caps);
            assert!(p.other_abis);
            let out = assemble_and_check(&p);
            for name in ["unshare", "mount", "keyctl", "clock_settime", "getpid", "read", "kexec_load", "ptrace"] {
                let nr = syscall_number(name.as_bytes()).unwrap();
                let native = run(&out, &call(AUDIT_ARCH_X86_64, nr, 0));
                let i386 = crate::seccomp::abi::i386_number(nr).unwrap();
                assert_eq!(run(&out, &call(AUDIT_ARCH_I386, i386, 0)), native, "i386 {name}, caps {caps:#x}");
                let x32 = crate::seccomp::abi::x32_number(nr);
                assert_eq!(run(&out, &call(AUDIT_ARCH_X86_64, x32, 0)), native, "x32 {name}, caps {caps:#x}");
            }
            // i386's own calls: umount and stime as mount and settimeofday, vm86 never.
            let mount = run(&out, &call(AUDIT_ARCH_X86_64, syscall_number(b"mount").unwrap(), 0));
            let settime = run(&out, &call(AUDIT_ARCH_X86_64, syscall_number(b"settimeofday").unwrap(), 0));
            for (nr, want) in [(22, mount), (25, settime), (404, settime), (113, EPERM_RET), (166, EPERM_RET), (102, ALLOW)] {
                assert_eq!(run(&out, &call(AUDIT_ARCH_I386, nr, 0)), want, "i386 {nr}, caps {caps:#x}");
            }
        }
        // The same numbers in the wrong ABI are other calls: i386's 310 is
        // unshare, x86_64's 310 process_vm_readv.
        let out = assemble_and_check(&default_profile(0));
        assert_eq!(run(&out, &call(AUDIT_ARCH_I386, 310, 0)), EPERM_RET);
        assert_eq!(run(&out, &call(AUDIT_ARCH_X86_64, 310, 0)), ALLOW);
        // x32's ioctl is its own 514; its x86_64 number with the x32 bit is
        // no call (the kernel answers ENOSYS) and gets x86_64's decision.
        let tiocsti = u64::from(TIOCSTI);
        assert_eq!(run(&out, &call2(AUDIT_ARCH_X86_64, 0x4000_0000 | 514, 0, tiocsti)), EPERM_RET);
        assert_eq!(run(&out, &call2(AUDIT_ARCH_X86_64, 0x4000_0000 | 16, 0, tiocsti)), EPERM_RET);
        assert_eq!(run(&out, &call2(AUDIT_ARCH_X86_64, 0x4000_0000 | 514, 0, 0x5401)), ALLOW);
    }

    /// x32's calls of its own, numbered from 512 in this order: the x32
    /// rows of Linux's arch/x86/entry/syscalls/syscall_64.tbl, by name.
    const X32_CALLS: [&str; 36] = [
        "rt_sigaction", "rt_sigreturn", "ioctl", "readv", "writev", "recvfrom", "sendmsg", "recvmsg", "execve", "ptrace",
        "rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo", "sigaltstack", "timer_create", "mq_notify", "kexec_load",
        "waitid", "set_robust_list", "get_robust_list", "vmsplice", "move_pages", "preadv", "pwritev", "rt_tgsigqueueinfo",
        "recvmmsg", "sendmmsg", "process_vm_readv", "process_vm_writev", "setsockopt", "getsockopt", "io_setup",
        "io_submit", "execveat", "preadv2", "pwritev2",
    ];

    /// Whatever the kernel: a number with the x32 bit gets the decision of
    /// the x86_64 call the kernel runs for it, arguments included, so that
    /// no x32 number is a way around a rule. From 512 x32 has calls of its
    /// own; below, kernels before 5.4 ran x86_64's call of the number (one
    /// table for both ABIs; later ones answer ENOSYS for x86_64's calls x32
    /// renumbered), and ran x32's own calls for x86_64's numbers 512 to
    /// 547 too. Above 547 there is no call: any decision will do.
    #[test]
    fn every_x32_number_gets_the_decision_of_the_call_the_kernel_runs() {
        let args: [(u64, u64); 10] = [
            (0, 0),
            (u64::from(AF_VSOCK), 0),
            (u64::from(AF_ALG), 0),
            (u64::from(CLONE_NEWUSER | CLONE_VM), 0),
            (u64::from(CLONE_VM | SIGCHLD), 0),
            (0x0040000, 0),
            (0xffff_ffff, 0),
            (0, u64::from(TIOCSTI)),
            (0, u64::from(TIOCLINUX)),
            (0, 0x5401),
        ];
        for caps in [0, 1 << CAP_SYS_ADMIN, u64::MAX] {
            let mut program = Box::new(crate::seccomp::Program::new());
            crate::seccomp::assemble(&default_profile(caps), &mut program).unwrap();
            let out = program.insns();
            for n in 0..1024u32 {
                let runs = match n {
                    512..=547 => Some(syscall_number(X32_CALLS[n as usize - 512].as_bytes()).unwrap()),
                    _ if n < 512 && S::new(n as usize).is_some() => Some(n),
                    _ => None,
                };
                let Some(call) = runs else { continue };
                for (arg0, arg1) in args {
                    let native = run(out, &call2(AUDIT_ARCH_X86_64, call, arg0, arg1));
                    let x32 = run(out, &call2(AUDIT_ARCH_X86_64, 0x4000_0000 | n, arg0, arg1));
                    assert_eq!(x32, native, "x32 {n} ({}) ({arg0:#x}, {arg1:#x}), caps {caps:#x}", S::new(call as usize).unwrap().name());
                    let same = run(out, &call2(AUDIT_ARCH_X86_64, n, arg0, arg1));
                    assert_eq!(same, native, "x86_64 {n} ({arg0:#x}, {arg1:#x}), caps {caps:#x}");
                }
            }
        }
    }

    #[test]
    fn with_every_capability() {
        let p = default_profile(u64::MAX);
        let out = assemble_and_check(&p);
        println!("the default filter with every capability: {} instructions", out.len());
        for (name, arg0, want) in [
            ("mount", 0, ALLOW),
            ("clone3", 0, ALLOW),
            ("clone", u64::from(CLONE_NEWUSER), ALLOW),
            ("kcmp", 0, ALLOW),
            ("pivot_root", 0, EPERM_RET),
            ("kexec_load", 0, EPERM_RET),
            ("keyctl", 0, EPERM_RET),
            ("socket", u64::from(AF_VSOCK), EPERM_RET),
            ("personality", 0x0040000, EPERM_RET),
        ] {
            assert_eq!(decide(&out, name, arg0), want, "{name}({arg0:#x})");
        }
    }

    #[test]
    fn each_capability_allows_its_calls() {
        let none = denied(&default_profile(0));
        for (cap, names) in [
            (CAP_SYS_MODULE, "init_module finit_module delete_module"),
            (CAP_SYS_BOOT, "reboot"),
            (CAP_SYS_TIME, "settimeofday clock_settime"),
            (CAP_BPF, "bpf"),
            (CAP_PERFMON, "perf_event_open"),
            (CAP_SYSLOG, "syslog"),
            (CAP_SYS_PACCT, "acct"),
            (CAP_SYS_RAWIO, "iopl ioperm"),
            (CAP_SYS_TTY_CONFIG, "vhangup"),
            (CAP_SYS_NICE, "mbind set_mempolicy get_mempolicy set_mempolicy_home_node"),
            (CAP_SYS_PTRACE, "kcmp pidfd_getfd process_madvise"),
            (CAP_DAC_READ_SEARCH, "open_by_handle_at"),
            (CAP_SYS_CHROOT, "chroot"),
            (
                CAP_SYS_ADMIN,
                "bpf perf_event_open lookup_dcookie syslog fanotify_init quotactl quotactl_fd mount umount2 \
                 fsopen fsconfig fsmount fspick move_mount open_tree open_tree_attr mount_setattr unshare setns \
                 clone3 sethostname setdomainname lsm_get_self_attr lsm_set_self_attr lsm_list_modules",
            ),
        ] {
            let with = denied(&default_profile(1 << cap));
            let allowed: BTreeSet<_> = none.difference(&with).copied().collect();
            assert_eq!(allowed, names.split_whitespace().collect(), "capability {cap}");
        }
        // The argument rule on clone goes with CAP_SYS_ADMIN only.
        assert!(default_profile(1 << CAP_SYS_ADMIN).rules.iter().all(|r| r.nr != S::clone as u32));
        assert!(default_profile(!(1 << CAP_SYS_ADMIN)).rules.iter().any(|r| r.nr == S::clone as u32));
    }
}
