//! The x86_64 system calls by name, as `man 2 syscalls` spells them, for
//! profiles that name them.
//!
//! The names are kept five bits a letter, 2.4 KiB: the binary is 1.3 KiB
//! smaller than with them as text, and 14 KiB smaller than with the
//! `FromStr` of `syscalls::Sysno`, a match over every name. The first
//! lookup finds where each name starts and hashes every name into a table
//! (one pass, into .bss); later ones decode the one or two names their
//! hash leads to. Docker's and podman's profiles name some 430 calls:
//! reading every name for each took 4 ms, the names of the same length
//! 70 us, the hash table 10 us.

use crate::rt::Global;

/// Every name, each followed by a space, in number order from 0 and
/// through the runs of `RUNS`. Only its packed form is in the binary.
const NAMES: &str = concat!(
    "read write open close stat fstat lstat poll lseek mmap mprotect munmap brk rt_sigaction ", // 0
    "rt_sigprocmask rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select ",      // 14
    "sched_yield mremap msync mincore madvise shmget shmat shmctl dup dup2 pause nanosleep ",   // 24
    "getitimer alarm setitimer getpid sendfile socket connect accept sendto recvfrom sendmsg ", // 36
    "recvmsg shutdown bind listen getsockname getpeername socketpair setsockopt getsockopt ",   // 47
    "clone fork vfork execve exit wait4 kill uname semget semop semctl shmdt msgget msgsnd ",   // 56
    "msgrcv msgctl fcntl flock fsync fdatasync truncate ftruncate getdents getcwd chdir ",      // 70
    "fchdir rename mkdir rmdir creat link unlink symlink readlink chmod fchmod chown fchown ",  // 81
    "lchown umask gettimeofday getrlimit getrusage sysinfo times ptrace getuid syslog getgid ", // 94
    "setuid setgid geteuid getegid setpgid getppid getpgrp setsid setreuid setregid getgroups ", // 105
    "setgroups setresuid getresuid setresgid getresgid getpgid setfsuid setfsgid getsid ",      // 116
    "capget capset rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend sigaltstack ",   // 125
    "utime mknod uselib personality ustat statfs fstatfs sysfs getpriority setpriority ",       // 132
    "sched_setparam sched_getparam sched_setscheduler sched_getscheduler ",                     // 142
    "sched_get_priority_max sched_get_priority_min sched_rr_get_interval mlock munlock ",       // 146
    "mlockall munlockall vhangup modify_ldt pivot_root _sysctl prctl arch_prctl adjtimex ",     // 151
    "setrlimit chroot sync acct settimeofday mount umount2 swapon swapoff reboot sethostname ", // 160
    "setdomainname iopl ioperm create_module init_module delete_module get_kernel_syms ",       // 171
    "query_module quotactl nfsservctl getpmsg putpmsg afs_syscall tuxcall security gettid ",    // 178
    "readahead setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr llistxattr ", // 187
    "flistxattr removexattr lremovexattr fremovexattr tkill time futex sched_setaffinity ",     // 196
    "sched_getaffinity set_thread_area io_setup io_destroy io_getevents io_submit io_cancel ",  // 204
    "get_thread_area lookup_dcookie epoll_create epoll_ctl_old epoll_wait_old ",                // 211
    "remap_file_pages getdents64 set_tid_address restart_syscall semtimedop fadvise64 ",        // 216
    "timer_create timer_settime timer_gettime timer_getoverrun timer_delete clock_settime ",    // 222
    "clock_gettime clock_getres clock_nanosleep exit_group epoll_wait epoll_ctl tgkill utimes ", // 228
    "vserver mbind set_mempolicy get_mempolicy mq_open mq_unlink mq_timedsend mq_timedreceive ", // 236
    "mq_notify mq_getsetattr kexec_load waitid add_key request_key keyctl ioprio_set ",         // 244
    "ioprio_get inotify_init inotify_add_watch inotify_rm_watch migrate_pages openat mkdirat ", // 252
    "mknodat fchownat futimesat newfstatat unlinkat renameat linkat symlinkat readlinkat ",     // 259
    "fchmodat faccessat pselect6 ppoll unshare set_robust_list get_robust_list splice tee ",    // 268
    "sync_file_range vmsplice move_pages utimensat epoll_pwait signalfd timerfd_create ",       // 277
    "eventfd fallocate timerfd_settime timerfd_gettime accept4 signalfd4 eventfd2 ",            // 284
    "epoll_create1 dup3 pipe2 inotify_init1 preadv pwritev rt_tgsigqueueinfo perf_event_open ", // 291
    "recvmmsg fanotify_init fanotify_mark prlimit64 name_to_handle_at open_by_handle_at ",      // 299
    "clock_adjtime syncfs sendmmsg setns getcpu process_vm_readv process_vm_writev kcmp ",      // 305
    "finit_module sched_setattr sched_getattr renameat2 seccomp getrandom memfd_create ",       // 313
    "kexec_file_load bpf execveat userfaultfd membarrier mlock2 copy_file_range preadv2 ",      // 320
    "pwritev2 pkey_mprotect pkey_alloc pkey_free statx io_pgetevents rseq uretprobe uprobe ",   // 328
    "pidfd_send_signal io_uring_setup io_uring_enter io_uring_register open_tree move_mount ",  // 424
    "fsopen fsconfig fsmount fspick pidfd_open clone3 close_range openat2 pidfd_getfd ",        // 430
    "faccessat2 process_madvise epoll_pwait2 mount_setattr quotactl_fd ",                       // 439
    "landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret ",           // 444
    "process_mrelease futex_waitv set_mempolicy_home_node cachestat fchmodat2 ",                // 448
    "map_shadow_stack futex_wake futex_wait futex_requeue statmount listmount ",                // 453
    "lsm_get_self_attr lsm_set_self_attr lsm_list_modules mseal setxattrat getxattrat ",        // 459
    "listxattrat removexattrat open_tree_attr file_getattr file_setattr ",                      // 465
);

/// The runs of numbers `NAMES` holds in order: first number, count. No
/// call has a number in the gap: from 424 on, a new call has the same
/// number on every architecture.
const RUNS: [(u32, u32); 2] = [(0, 337), (424, 46)];

/// The letters names are made of; a letter's place here is its five-bit
/// code, and the space (code 0) ends a name. A name with any other letter
/// fails the build (see `code`): then this needs a sixth bit.
const ALPHABET: &[u8; 32] = b" _abcdefghijklmnopqrstuvwxy12346";

const PACKED_LEN: usize = (NAMES.len() * 5).div_ceil(8);

/// `NAMES`, five bits a letter, the first letter in the low bits.
static PACKED: [u8; PACKED_LEN] = pack(NAMES.as_bytes());

/// How many names `NAMES` holds.
const COUNT: usize = (RUNS[0].1 + RUNS[1].1) as usize;

/// The longest name's length.
const LONGEST: usize = longest(NAMES.as_bytes());

/// Where the names are, made by the first lookup; all 0 until then. In
/// .bss: built by the compiler, it would put 2.8 KiB in the file.
struct Index {
    /// Where each name starts in `NAMES` (its first letter's index), then
    /// one past the last name's space.
    starts: [u16; COUNT + 1],
    /// Each name's place in `NAMES`' order, by its hash (`HashSlots`).
    slots: HashSlots<1024>,
}

static INDEX: Global<Index> = Global::new(Index { starts: [0; COUNT + 1], slots: HashSlots::new() });

/// The x86_64 number of the system call `name`, such as `b"clone3"`.
pub fn syscall_number(name: &[u8]) -> Option<u32> {
    if name.len() > LONGEST {
        return None;
    }
    // Busy only if two threads look up at once (the unit tests): read them all.
    INDEX.with(|index| {
        if index.starts[COUNT] == 0 {
            index.fill();
        }
        let starts = &index.starts;
        let spells = |k: usize| {
            let at = usize::from(starts[k]);
            usize::from(starts[k + 1]) - at == name.len() + 1 && name.iter().enumerate().all(|(j, c)| ALPHABET.get(code_at(at + j) as usize) == Some(c))
        };
        let k = index.slots.find(hash(name.iter().copied()), spells)?;
        number(k as u32)
    })
    .unwrap_or_else(|| scan(name))
}

impl Index {
    fn fill(&mut self) {
        let mut k = 0;
        for i in 0..NAMES.len() {
            if code_at(i) == 0 {
                k += 1;
                self.starts[k] = i as u16 + 1;
            }
        }
        for k in 0..COUNT {
            let letters = usize::from(self.starts[k])..usize::from(self.starts[k + 1]) - 1;
            let name = letters.map(|i| ALPHABET.get(code_at(i) as usize).copied().unwrap_or(0));
            self.slots.insert(hash(name), k);
        }
    }
}

/// A name's hash for `HashSlots`: FNV-1a, 32 bits.
pub(super) fn hash(name: impl Iterator<Item = u8>) -> u32 {
    name.fold(0x811c_9dc5, |h, c| (h ^ u32::from(c)).wrapping_mul(0x0100_0193))
}

/// An open-addressing hash table of the places of names in a list, `N`
/// slots (a power of two, more than the names): each holds a place plus
/// one, 0 when empty. A name's slot is its hash's low bits, or the next
/// free one after it. All zeros when new, so that a `static` of it costs
/// no file space.
pub(super) struct HashSlots<const N: usize>([u16; N]);

impl<const N: usize> HashSlots<N> {
    pub(super) const fn new() -> HashSlots<N> {
        assert!(N.is_power_of_two());
        HashSlots([0; N])
    }

    /// Enters the name at `place` whose hash is `hash`.
    pub(super) fn insert(&mut self, hash: u32, place: usize) {
        let mut i = hash as usize & (N - 1);
        while self.0[i] != 0 {
            i = (i + 1) & (N - 1);
        }
        self.0[i] = place as u16 + 1;
    }

    /// The place, among those entered under `hash`, that `is` says is the
    /// name looked for.
    pub(super) fn find(&self, hash: u32, is: impl Fn(usize) -> bool) -> Option<usize> {
        let mut i = hash as usize & (N - 1);
        loop {
            let place = usize::from(self.0[i]).checked_sub(1)?;
            if is(place) {
                return Some(place);
            }
            i = (i + 1) & (N - 1);
        }
    }
}

/// `syscall_number` reading every name.
fn scan(name: &[u8]) -> Option<u32> {
    let mut index = 0;
    // How much of `name` the current entry matches so far; `None` once it differs.
    let mut matched = Some(0);
    for i in 0..NAMES.len() {
        match ALPHABET.get(code_at(i) as usize) {
            Some(b' ') => {
                if matched == Some(name.len()) {
                    return number(index);
                }
                index += 1;
                matched = Some(0);
            }
            letter => matched = matched.filter(|&m| name.get(m) == letter).map(|m| m + 1),
        }
    }
    None
}

/// The number of the `index`th name.
fn number(index: u32) -> Option<u32> {
    let mut index = index;
    for (first, count) in RUNS {
        if index < count {
            return Some(first + index);
        }
        index -= count;
    }
    None
}

/// The code of the `i`th letter of `NAMES`.
fn code_at(i: usize) -> u8 {
    let bit = i * 5;
    let byte = |n: usize| u16::from(PACKED.get(n).copied().unwrap_or(0));
    let pair = byte(bit / 8) | byte(bit / 8 + 1) << 8;
    (pair >> (bit % 8)) as u8 & 0x1f
}

/// The longest of the space-ended `names`; run by the compiler only.
const fn longest(names: &[u8]) -> usize {
    let (mut longest, mut length, mut i) = (0, 0, 0);
    while i < names.len() {
        if names[i] == b' ' {
            if length > longest {
                longest = length;
            }
            length = 0;
        } else {
            length += 1;
        }
        i += 1;
    }
    longest
}

/// Packs `names`; run by the compiler only.
const fn pack(names: &[u8]) -> [u8; PACKED_LEN] {
    let mut out = [0; PACKED_LEN];
    let mut i = 0;
    while i < names.len() {
        let bit = i * 5;
        let pair = (code(names[i]) as u16) << (bit % 8);
        out[bit / 8] |= pair as u8;
        if bit % 8 > 3 {
            out[bit / 8 + 1] |= (pair >> 8) as u8;
        }
        i += 1;
    }
    out
}

/// The code of `letter`. Run by the compiler only, so the panic is a build
/// error, never a run-time one.
const fn code(letter: u8) -> u8 {
    let mut code = 0;
    while code < ALPHABET.len() {
        if ALPHABET[code] == letter {
            return code as u8;
        }
        code += 1;
    }
    panic!("a system call name has a letter that is not in ALPHABET")
}

#[cfg(test)]
mod tests {
    use super::*;
    use syscalls::Sysno;

    /// Each name with its number, as the table says.
    fn table() -> Vec<(&'static str, u32)> {
        let names: Vec<&str> = NAMES.split_terminator(' ').collect();
        let numbers: Vec<u32> = RUNS.iter().flat_map(|&(first, count)| first..first + count).collect();
        assert_eq!(names.len(), numbers.len(), "NAMES and RUNS disagree");
        names.into_iter().zip(numbers).collect()
    }

    #[test]
    fn the_table_is_the_syscalls_crate() {
        for (name, nr) in table() {
            assert_eq!(Sysno::new(nr as usize).map(|s| s.name()), Some(name), "number {nr}");
        }
        // And nothing of it is missing.
        assert_eq!(table().len(), Sysno::count());
        // Not `Sysno::iter()`, which leaves out the last.
        for s in (0..1000).filter_map(Sysno::new) {
            assert_eq!(syscall_number(s.name().as_bytes()), Some(s.id() as u32), "{}", s.name());
        }
    }

    #[test]
    fn unpacking_gives_the_names_back() {
        let unpacked: String = (0..NAMES.len()).map(|i| ALPHABET[code_at(i) as usize] as char).collect();
        assert_eq!(unpacked, NAMES);
    }

    #[test]
    fn lookups() {
        assert_eq!(syscall_number(b"read"), Some(0));
        assert_eq!(syscall_number(b"clone3"), Some(435));
        assert_eq!(syscall_number(b"mount"), Some(Sysno::mount as u32));
        assert_eq!(syscall_number(b"file_setattr"), Some(469));
        for bad in [&b""[..], b"rea", b"reads", b"READ", b"read ", b" read", b"fooo", b"clone3 ", b"z"] {
            assert_eq!(syscall_number(bad), None, "{:?}", String::from_utf8_lossy(bad));
            assert_eq!(scan(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn the_index_and_the_scan_agree() {
        for (name, nr) in table() {
            assert_eq!((syscall_number(name.as_bytes()), scan(name.as_bytes())), (Some(nr), Some(nr)), "{name}");
            // A name cut or grown by a letter is another name or none, the same both ways.
            for other in [&name[..name.len() - 1], &format!("{name}x")[..]] {
                assert_eq!(syscall_number(other.as_bytes()), scan(other.as_bytes()), "{other}");
            }
        }
    }

    #[test]
    fn hash_slots_find_past_collisions_and_the_wrap() {
        let mut slots = HashSlots::<8>::new();
        // Three names under one hash, from the last slot on: they wrap.
        for place in [4, 9, 2] {
            slots.insert(7, place);
        }
        slots.insert(0, 5);
        for place in [4, 9, 2, 5] {
            assert_eq!(slots.find(if place == 5 { 0 } else { 7 }, |p| p == place), Some(place));
        }
        assert_eq!(slots.find(7, |p| p == 6), None, "an empty slot ends the search");
        assert_eq!(slots.find(3, |_| true), None);
    }
}
