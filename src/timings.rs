//! `--timings`: how long each start step took, printed on stderr in
//! microseconds from CLOCK_MONOTONIC. Off, a step costs one branch and no
//! system call.

use crate::rt;
use crate::sys;
use heapless::Vec;

pub struct Timings {
    on: bool,
    start_ns: u64,
    last_ns: u64,
}

/// The lines not yet printed, kept off the stack (see `rt::Global`).
static OUT: rt::Global<Vec<u8, 4096>> = rt::Global::new(Vec::new());

pub fn now_ns() -> u64 {
    let ts = sys::clock_monotonic();
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl Timings {
    pub const fn off() -> Timings {
        Timings { on: false, start_ns: 0, last_ns: 0 }
    }

    /// Starts the clock now.
    pub fn started() -> Timings {
        let now = now_ns();
        Timings { on: true, start_ns: now, last_ns: now }
    }

    /// Ends a step: records the time since the previous one.
    #[inline]
    pub fn step(&mut self, what: &str, object: &[u8]) {
        if self.on {
            let now = now_ns();
            self.record(what, object, now - self.last_ns);
            self.last_ns = now;
        }
    }

    #[cold]
    fn record(&mut self, what: &str, object: &[u8], ns: u64) {
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

    pub fn flush(&mut self) {
        if self.on {
            OUT.with(|out| {
                sys::write_all(2, out);
                out.clear();
            });
        }
    }

    /// The time since the clock started.
    pub fn total(&mut self) {
        if self.on {
            self.record("total", b"", now_ns() - self.start_ns);
            self.flush();
        }
    }
}
