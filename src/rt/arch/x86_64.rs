//! The process entry point on x86_64, and nothing else.
//!
//! The kernel starts a static ELF at `_start` with the stack pointer on the
//! initial process stack (see `rt/mod.rs` for its layout), `rbp` undefined and
//! the stack 16-byte aligned. We clear the frame pointer to end backtraces,
//! pass the original stack pointer as the first argument (System V ABI: `rdi`)
//! and call into Rust with the stack realigned, as a `call` expects.

/// Defines `_start` for a binary, handing the initial stack to `rt::start`
/// together with the binary's `main(Args) -> !`.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(naked)]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn _start() -> ! {
            ::core::arch::naked_asm!(
                "xor ebp, ebp",
                "mov rdi, rsp",
                "and rsp, -16",
                "call {start}",
                "ud2",
                start = sym __nsinit_start,
            )
        }

        unsafe extern "C" fn __nsinit_start(sp: *const usize) -> ! {
            // SAFETY: `sp` is the initial stack pointer the kernel gave `_start`.
            let args = unsafe { $crate::rt::Args::from_initial_stack(sp) };
            $main(args)
        }
    };
}
