//! The no-libc runtime: what a static binary needs before and around `main`.
//!
//! The kernel leaves this on the initial stack (System V ABI, x86_64):
//!
//! ```text
//!   sp ->  argc
//!          argv[0] .. argv[argc-1]   pointers to NUL-terminated strings
//!          NULL
//!          envp[0] .. envp[n-1]      "NAME=value" strings
//!          NULL
//!          auxv pairs ..., AT_NULL
//! ```
//!
//! `argv` and `envp` are used in place: both are already NULL-terminated
//! arrays of C strings, the very shape `execve` wants, so nothing is copied.
#![allow(unsafe_code)]

pub mod arch;
#[cfg(not(test))]
mod mem;

use crate::sys::ZStr;
use core::cell::UnsafeCell;
use linux_raw_sys::auxvec::{AT_NULL, AT_SECURE};
use core::sync::atomic::{AtomicBool, Ordering};

/// The command line and environment the kernel started us with.
#[derive(Clone, Copy)]
pub struct Args {
    /// `argv[0..argc]` followed by the terminating `None`.
    pub argv: &'static [Option<ZStr<'static>>],
    /// The environment, followed by the terminating `None`.
    pub envp: &'static [Option<ZStr<'static>>],
    /// `AT_SECURE` in the auxiliary vector: the kernel gave this process
    /// privileges its caller lacks (setuid, setgid, file capabilities).
    pub secure: bool,
}

impl Args {
    /// # Safety
    /// `sp` must be the stack pointer the kernel handed to `_start`.
    pub unsafe fn from_initial_stack(sp: *const usize) -> Args {
        // SAFETY: the layout above; `Option<ZStr>` has the layout of a
        // nullable `*const u8` (ZStr is a transparent NonNull), so both
        // arrays, NULLs included, are valid slices of it; the kernel always
        // ends the auxiliary vector with AT_NULL.
        unsafe {
            let argc = *sp;
            let argv = sp.add(1) as *const Option<ZStr<'static>>;
            let envp = argv.add(argc + 1);
            let mut envc = 0;
            while (*envp.add(envc)).is_some() {
                envc += 1;
            }
            // The auxiliary vector follows: (type, value) pairs up to AT_NULL.
            let mut auxv = envp.add(envc + 1) as *const [usize; 2];
            let mut secure = false;
            while (*auxv)[0] != AT_NULL as usize {
                secure |= (*auxv)[0] == AT_SECURE as usize && (*auxv)[1] != 0;
                auxv = auxv.add(1);
            }
            Args {
                argv: core::slice::from_raw_parts(argv, argc + 1),
                envp: core::slice::from_raw_parts(envp, envc + 1),
                secure,
            }
        }
    }

    /// The arguments without the terminating `None`.
    pub fn words(&self) -> &'static [Option<ZStr<'static>>] {
        &self.argv[..self.argv.len() - 1]
    }
}

/// A static that is handed out once, as `&'static mut`. Large buffers live
/// in such cells rather than on the stack: in `.bss` a page costs memory
/// only once it is written, while every page of a large stack frame is
/// touched by the stack probes on entry.
// repr(C): the flag first, on the page where the value starts, which a
// take touches anyway; after a large value it would cost a page of its own.
#[repr(C)]
pub struct StaticCell<T> {
    taken: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: `take` hands out the value at most once, so no two references to
// it ever exist, whichever thread asks.
unsafe impl<T> Sync for StaticCell<T> {}

impl<T> StaticCell<T> {
    pub const fn new(value: T) -> StaticCell<T> {
        StaticCell { taken: AtomicBool::new(false), value: UnsafeCell::new(value) }
    }

    /// The value, the first time; `None` after that.
    // A `&mut` from a shared reference is the point: the flag makes it unique.
    #[allow(clippy::mut_from_ref)]
    pub fn take(&'static self) -> Option<&'static mut T> {
        if self.taken.swap(true, Ordering::Relaxed) {
            return None;
        }
        // SAFETY: the flag above guarantees this is the only reference ever made.
        Some(unsafe { &mut *self.value.get() })
    }
}

/// A static for state that must not live on the stack and is used again
/// and again, through short borrows that never nest.
pub struct Global<T> {
    busy: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: `with` hands out the value only while no other borrow of it is
// live, which the `busy` flag checks.
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    pub const fn new(value: T) -> Global<T> {
        Global { busy: AtomicBool::new(false), value: UnsafeCell::new(value) }
    }

    /// Runs `f` on the value; `None`, without running it, when called from
    /// inside another `with` on the same value.
    pub fn with<R>(&'static self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        if self.busy.swap(true, Ordering::Acquire) {
            return None;
        }
        // SAFETY: the flag shows no other borrow of the value is live.
        let r = f(unsafe { &mut *self.value.get() });
        self.busy.store(false, Ordering::Release);
        Some(r)
    }
}

/// A panic is a bug in nsinit: say so in one line and fail like any other
/// nsinit error. The panic message is not printed (and not linked in).
#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    crate::sys::write_all(2, b"nsinit: internal error\n");
    crate::sys::exit_group(125)
}

/// Referenced by unwinding code in non-LTO builds; never called with `panic = "abort"`.
#[cfg(not(test))]
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}
