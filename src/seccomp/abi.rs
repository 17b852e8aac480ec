//! The numbers of the calls in the two other ABIs an x86_64 kernel runs:
//! i386 (`int 0x80`, or a 32-bit program) and x32 (x86_64 numbers with bit
//! 30 set). A profile names calls by their x86_64 numbers; the filter finds
//! the same call under its number in the other ABIs, by name, as Docker's
//! profile (through libseccomp) does.

use super::names::{HashSlots, hash};
use crate::rt::Global;

/// Numbers with this bit are the x32 ABI's.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

const NONE: u16 = u16::MAX;

/// The i386 number of each x86_64 call, by its x86_64 number; `NONE` for
/// the calls i386 does not have (Linux's `syscall_32.tbl` and
/// `syscall_64.tbl`).
pub const I386_NUMBERS: [u16; 470] = [
    3, 4, 5, 6, 106, 108, 107, 168, 19, 90, 125, 91, 45, 174, 175, 173, // 0
    54, 180, 181, 145, 146, 33, 42, 82, 158, 163, 144, 218, 219, 395, 397, 396, // 16
    41, 63, 29, 162, 105, 27, 104, 20, 187, 359, 362, NONE, 369, 371, 370, 372, // 32
    373, 361, 363, 367, 368, 360, 366, 365, 120, 2, 190, 11, 1, 114, 37, 122, // 48
    393, NONE, 394, 398, 399, 400, 401, 402, 55, 143, 118, 148, 92, 93, 141, 183, // 64
    12, 133, 38, 39, 40, 8, 9, 10, 83, 85, 15, 94, 182, 95, 16, 60, // 80
    78, 76, 77, 116, 43, 26, 24, 103, 47, 23, 46, 49, 50, 57, 64, 65, // 96
    66, 70, 71, 80, 81, 164, 165, 170, 171, 132, 138, 139, 147, 184, 185, 176, // 112
    177, 178, 179, 186, 30, 14, 86, 136, 62, 99, 100, 135, 96, 97, 154, 155, // 128
    156, 157, 159, 160, 161, 150, 151, 152, 153, 111, 123, 217, 149, 172, 384, 124, // 144
    75, 61, 36, 51, 79, 21, 52, 87, 115, 88, 74, 121, 110, 101, 127, 128, // 160
    129, 130, 167, 131, 169, 188, 189, 137, NONE, NONE, 224, 225, 226, 227, 228, 229, // 176
    230, 231, 232, 233, 234, 235, 236, 237, 238, 13, 240, 241, 242, 243, 245, 246, // 192
    247, 248, 249, 244, 253, 254, NONE, NONE, 257, 220, 258, 0, NONE, 250, 259, 260, // 208
    261, 262, 263, 264, 265, 266, 267, 252, 256, 255, 270, 271, 273, 274, 276, 275, // 224
    277, 278, 279, 280, 281, 282, 283, 284, 286, 287, 288, 289, 290, 291, 292, 293, // 240
    294, 295, 296, 297, 298, 299, NONE, 301, 302, 303, 304, 305, 306, 307, 308, 309, // 256
    310, 311, 312, 313, 315, 314, 316, 317, 320, 319, 321, 322, 323, 324, 325, 326, // 272
    364, 327, 328, 329, 330, 331, 332, 333, 334, 335, 336, 337, 338, 339, 340, 341, // 288
    342, 343, 344, 345, 346, 318, 347, 348, 349, 350, 351, 352, 353, 354, 355, 356, // 304
    NONE, 357, 358, 374, 375, 376, 377, 378, 379, 380, 381, 382, 383, 385, 386, NONE, // 320
    NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, // 336
    NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, // 352
    NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, // 368
    NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, // 384
    NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, // 400
    NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, 424, 425, 426, 427, 428, 429, 430, 431, // 416
    432, 433, 434, 435, 436, 437, 438, 439, 440, 441, 442, 443, 444, 445, 446, 447, // 432
    448, 449, 450, 451, 452, 453, 454, 455, 456, 457, 458, 459, 460, 461, 462, 463, // 448
    464, 465, 466, 467, 468, 469, // 464
];

/// The calls x32 has numbers of its own for, from 512 on in this order
/// (their x86_64 numbers take compat arguments); their x86_64 numbers with
/// the x32 bit are not calls at all (`syscall_64.tbl`, the `x32` rows).
const X32_OWN: [u16; 36] = [
    13, 15, 16, 19, 20, 45, 46, 47, 59, 101, 127, 128, 129, 131, 222, 244, // rt_sigaction ... mq_notify
    246, 247, 273, 274, 278, 279, 295, 296, 297, 299, 307, 310, 311, 54, 55, 206, // kexec_load ... io_setup
    209, 322, 327, 328, // io_submit execveat preadv2 pwritev2
];
/// x32's first number of its own, less the x32 bit.
const X32_OWN_FIRST: u32 = 512;

/// The i386 number of the x86_64 call `nr`, if i386 has it.
pub fn i386_number(nr: u32) -> Option<u32> {
    let n = *I386_NUMBERS.get(nr as usize)?;
    (n != NONE).then_some(u32::from(n))
}

/// The x32 number of the x86_64 call `nr`.
pub fn x32_number(nr: u32) -> u32 {
    let own = X32_OWN.iter().position(|&x| u32::from(x) == nr);
    X32_SYSCALL_BIT | own.map_or(nr, |i| X32_OWN_FIRST + i as u32)
}

/// The calls only i386 has (x86_64 has no call of the name), each followed
/// by a space, in the order of `I386_ONLY_NUMBERS` (Linux's
/// `syscall_32.tbl`). A profile names them for 32-bit programs: Docker's
/// allows `mmap2`, `fcntl64`, `socketcall` and the `_time64` calls.
const I386_ONLY_NAMES: &str = concat!(
    "waitpid break oldstat umount stime oldfstat stty gtty nice ftime prof signal lock mpx ulimit ",
    "oldolduname sigaction sgetmask ssetmask sigsuspend sigpending oldlstat readdir profil socketcall ",
    "olduname idle vm86old ipc sigreturn sigprocmask bdflush _llseek _newselect vm86 ugetrlimit mmap2 ",
    "truncate64 ftruncate64 stat64 lstat64 fstat64 lchown32 getuid32 getgid32 geteuid32 getegid32 ",
    "setreuid32 setregid32 getgroups32 setgroups32 fchown32 setresuid32 getresuid32 setresgid32 ",
    "getresgid32 chown32 setuid32 setgid32 setfsuid32 setfsgid32 fcntl64 sendfile64 statfs64 ",
    "fstatfs64 fadvise64_64 fstatat64 clock_gettime64 clock_settime64 clock_adjtime64 ",
    "clock_getres_time64 clock_nanosleep_time64 timer_gettime64 timer_settime64 timerfd_gettime64 ",
    "timerfd_settime64 utimensat_time64 pselect6_time64 ppoll_time64 io_pgetevents_time64 ",
    "recvmmsg_time64 mq_timedsend_time64 mq_timedreceive_time64 semtimedop_time64 ",
    "rt_sigtimedwait_time64 futex_time64 sched_rr_get_interval_time64 ",
);

const I386_ONLY_NUMBERS: [u16; 87] = [
    7, 17, 18, 22, 25, 28, 31, 32, 34, 35, 44, 48, 53, 56, 58, 59, 67, 68, 69, 72, 73, 84, 89, 98, 102,
    109, 112, 113, 117, 119, 126, 134, 140, 142, 166, 191, 192, 193, 194, 195, 196, 197, 198, 199, 200,
    201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215, 216, 221, 239, 268, 269,
    272, 300, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 416, 417, 418, 419, 420, 421,
    422, 423,
];

/// The i386 number of `name`, a call x86_64 does not have (`b"mmap2"`),
/// for a rule in `Abi::I386` numbering. For the OCI front end, which looks
/// up here each name of a profile x86_64 lacks (podman's has some 80):
/// through a hash table made by the first lookup, where a walk of the
/// names took 60 us a profile.
#[allow(dead_code)]
pub fn i386_only_number(name: &[u8]) -> Option<u32> {
    /// Where each name starts in `I386_ONLY_NAMES`, then one past the
    /// last space; the names' places by hash. All 0 until the first lookup.
    static INDEX: Global<([u16; I386_ONLY_NUMBERS.len() + 1], HashSlots<256>)> = Global::new(([0; I386_ONLY_NUMBERS.len() + 1], HashSlots::new()));
    let names = I386_ONLY_NAMES.as_bytes();
    let name_at = |starts: &[u16], k: usize| names.get(usize::from(starts[k])..usize::from(starts[k + 1]) - 1).unwrap_or_default();
    let found = INDEX.with(|(starts, slots)| {
        if starts[I386_ONLY_NUMBERS.len()] == 0 {
            let ends = names.iter().enumerate().filter(|&(_, &c)| c == b' ');
            for (k, (i, _)) in ends.enumerate().take(I386_ONLY_NUMBERS.len()) {
                starts[k + 1] = i as u16 + 1;
            }
            for k in 0..I386_ONLY_NUMBERS.len() {
                slots.insert(hash(name_at(starts, k).iter().copied()), k);
            }
        }
        slots.find(hash(name.iter().copied()), |k| name_at(starts, k) == name)
    });
    // Busy only if two threads look up at once (the unit tests): walk the names.
    let at = match found {
        Some(at) => at?,
        None => names.split(|&c| c == b' ').position(|n| n == name && !n.is_empty())?,
    };
    I386_ONLY_NUMBERS.get(at).map(|&nr| u32::from(nr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use syscalls::Sysno;
    use syscalls::x86::Sysno as I386;

    #[test]
    fn i386_numbers_are_those_of_the_same_names() {
        let mut both = 0;
        for nr in 0..I386_NUMBERS.len() as u32 {
            let Some(call) = Sysno::new(nr as usize) else {
                assert_eq!(i386_number(nr), None, "x86_64 {nr} is no call");
                continue;
            };
            let want = call.name().parse::<I386>().ok().map(|c| c as u32);
            assert_eq!(i386_number(nr), want, "{}", call.name());
            both += usize::from(want.is_some());
        }
        assert!(both > 360, "{both} calls in both");
        assert_eq!(i386_number(Sysno::unshare as u32), Some(310));
        assert_eq!(i386_number(Sysno::ioctl as u32), Some(54));
        assert_eq!(i386_number(Sysno::newfstatat as u32), None, "i386 has fstatat64");
        assert_eq!(i386_number(10_000), None);
    }

    #[test]
    fn x32_numbers() {
        assert_eq!(x32_number(Sysno::unshare as u32), X32_SYSCALL_BIT | 272);
        assert_eq!(x32_number(Sysno::ioctl as u32), X32_SYSCALL_BIT | 514);
        assert_eq!(x32_number(Sysno::kexec_load as u32), X32_SYSCALL_BIT | 528);
        assert_eq!(x32_number(Sysno::pwritev2 as u32), X32_SYSCALL_BIT | 547);
        assert_eq!(x32_number(Sysno::setsockopt as u32), X32_SYSCALL_BIT | 541);
        assert_eq!(x32_number(Sysno::io_setup as u32), X32_SYSCALL_BIT | 543);
    }

    #[test]
    fn calls_only_i386_has_by_name() {
        let names: Vec<&str> = I386_ONLY_NAMES.split_terminator(' ').collect();
        assert_eq!(names.len(), I386_ONLY_NUMBERS.len());
        for (name, nr) in names.iter().zip(I386_ONLY_NUMBERS) {
            // The crate spells `break`, a keyword, `r#break`.
            let i386 = name.parse::<I386>().or_else(|_| format!("r#{name}").parse::<I386>());
            assert_eq!(i386.ok().map(|c| c as u16), Some(nr), "{name}");
            assert_eq!(name.parse::<Sysno>().ok(), None, "x86_64 has {name}");
            assert_eq!(i386_only_number(name.as_bytes()), Some(u32::from(nr)));
        }
        // Every i386 call is one of these or has an x86_64 number.
        for call in (0..500).filter_map(I386::new) {
            let name = call.name().trim_start_matches("r#");
            let known = names.contains(&name) || name.parse::<Sysno>().is_ok();
            assert!(known, "{}", call.name());
        }
        for bad in [&b""[..], b"read", b"mmap", b"mmap22", b" mmap2", b"fcntl64 "] {
            assert_eq!(i386_only_number(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
