//! The architecture-specific entry point.

#[cfg(target_arch = "x86_64")]
mod x86_64;
