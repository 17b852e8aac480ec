//! `--timings`: how long each start step took, printed on stderr in
//! microseconds from CLOCK_MONOTONIC. Off, a step costs one branch and no
//! system call.

use crate::rt;
use crate::sys;
use crate::sys::ZStr;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use heapless::Vec;

/// Whether `--timings` is off, and the clock's readings (ns): at the start
/// and at the end of the last step. Global rather than passed along: the
/// container's process shares nsinit's memory until its exec, and each
/// step is then one call with one string. `OFF` starts true so that it is
/// in `.data`, whose page exec has already written (it zeroes the rest of
/// it for `.bss`): read on every start, in `.bss` it could be one more page.
static OFF: AtomicBool = AtomicBool::new(true);
static START_NS: AtomicU64 = AtomicU64::new(0);
static LAST_NS: AtomicU64 = AtomicU64::new(0);

/// The lines not yet printed, kept off the stack (see `rt::Global`).
static OUT: rt::Global<Vec<u8, 4096>> = rt::Global::new(Vec::new());

pub fn now_ns() -> u64 {
    let ts = sys::clock_monotonic();
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Starts the clock, as read at `now` (`now_ns`): `--timings`.
pub fn start(now: u64) {
    START_NS.store(now, Ordering::Relaxed);
    LAST_NS.store(now, Ordering::Relaxed);
    OFF.store(false, Ordering::Relaxed);
}

/// Ends a step: records the time since the previous one.
#[inline(never)]
pub fn step(what: &str) {
    if !OFF.load(Ordering::Relaxed) {
        record_step(what, b"");
    }
}

/// Ends a step on `object` (a mount's destination, the hostname).
#[inline(never)]
pub fn step_on(what: &str, object: ZStr<'_>) {
    if !OFF.load(Ordering::Relaxed) {
        record_step(what, object.bytes());
    }
}

#[cold]
fn record_step(what: &str, object: &[u8]) {
    let now = now_ns();
    record(what, object, now - LAST_NS.swap(now, Ordering::Relaxed));
}

#[cold]
fn record(what: &str, object: &[u8], ns: u64) {
    let mut line = crate::text::Line::new();
    line.push(b"nsinit: timing: ").push(what.as_bytes());
    if !object.is_empty() {
        line.push(b" ").push_object(object);
    }
    line.push(b" ").push_fixed(ns / 100, 1).push(b" us\n");
    OUT.with(|out| {
        // A full buffer is written out rather than dropped.
        if out.len() + line.as_bytes().len() > out.capacity() {
            sys::write_all(2, out);
            out.clear();
        }
        let _ = out.extend_from_slice(line.as_bytes());
    });
}

/// Writes the lines recorded so far.
pub fn flush() {
    if !OFF.load(Ordering::Relaxed) {
        OUT.with(|out| {
            sys::write_all(2, out);
            out.clear();
        });
    }
}

/// Records the time since the clock started, and writes every line.
pub fn total() {
    if !OFF.load(Ordering::Relaxed) {
        record("total", b"", now_ns() - START_NS.load(Ordering::Relaxed));
        flush();
    }
}
