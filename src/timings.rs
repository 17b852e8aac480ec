//! `--timings`: how long each start step took, printed on stderr in
//! microseconds from CLOCK_MONOTONIC. Off, a step costs one branch and no
//! system call.

use crate::sys::{self, Fd};
use heapless::Vec;

pub struct Timings {
    on: bool,
    start_ns: u64,
    last_ns: u64,
    out: Vec<u8, 4096>,
}

pub fn now_ns() -> u64 {
    let ts = sys::clock_monotonic();
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl Timings {
    pub const fn off() -> Timings {
        Timings { on: false, start_ns: 0, last_ns: 0, out: Vec::new() }
    }

    /// Starts the clock now.
    pub fn started() -> Timings {
        let now = now_ns();
        Timings { on: true, start_ns: now, last_ns: now, out: Vec::new() }
    }

    pub fn is_on(&self) -> bool {
        self.on
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
            line.push(b" ").push(object);
        }
        line.push(b" ").push_fixed(ns / 100, 1).push(b" us\n");
        // A full buffer is written out rather than dropped.
        if self.out.len() + line.as_bytes().len() > self.out.capacity() {
            self.flush();
        }
        let _ = self.out.extend_from_slice(line.as_bytes());
    }

    pub fn flush(&mut self) {
        if !self.out.is_empty() {
            sys::write_all(2, &self.out);
            self.out.clear();
        }
    }

    /// In the container, just before `execve`: prints the steps so far and
    /// tells the host side, through `report`, when `execve` began.
    pub fn before_exec(&mut self, report: Option<Fd>) {
        if let (true, Some(fd)) = (self.on, report) {
            self.flush();
            let _ = sys::write(fd, &now_ns().to_ne_bytes());
        }
    }

    /// On the host side: waits for the container's `execve` to finish (the
    /// close-on-exec `report` pipe reaches end of file) and prints its time
    /// and the total.
    pub fn after_exec(&mut self, report: Fd) {
        let mut began = [0u8; 8];
        let got = sys::read(report, &mut began);
        let mut rest = [0u8; 8];
        while let Ok(n) = sys::read(report, &mut rest) {
            if n == 0 {
                break;
            }
        }
        let now = now_ns();
        if got == Ok(8) {
            self.record("execve", b"", now.saturating_sub(u64::from_ne_bytes(began)));
        }
        self.record("total", b"", now - self.start_ns);
        self.flush();
    }
}
