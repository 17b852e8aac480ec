//! `nsinit bench`: starts the same container many times, some at once, and
//! reports how long a start takes, from `clone3` to the payload's exit, so
//! that with a no-op payload it is the whole cost of a container.

use crate::config::Container;
use crate::config::BENCH_MAX_RUNS;
use crate::container::{ChildMemory, EnvStorage, Launch, ParentLink, environment, exit_code, security, spawn};
use crate::error::Error;
use crate::rt;
use crate::sys::{self, ZStr};
use crate::text::Line;
use crate::timings::now_ns;
use heapless::Vec;
use linux_raw_sys::general::SIGKILL;

/// Rows of the histogram.
const BUCKETS: u64 = 12;
/// Width of its longest bar.
const BAR: u64 = 40;

#[inline(never)]
#[cold]
pub fn run(c: &Container<'static>, host_env: &'static [Option<ZStr<'static>>], runs: u32, jobs: u32) -> Result<i32, Error> {
    static SAMPLES: rt::StaticCell<[u64; BENCH_MAX_RUNS as usize]> = rt::StaticCell::new([0; BENCH_MAX_RUNS as usize]);
    let samples = SAMPLES.take().ok_or_else(|| Error::new(b"bench: sample buffer taken"))?;
    let samples = samples.get_mut(..runs as usize).ok_or_else(|| Error::new(b"bench: too many runs"))?;
    security::check_passed_fds(&c.process.pass_fds)?;
    let storage = EnvStorage::take_static()?;
    let env = environment(host_env, &c.process.env, storage)?;
    let link = ParentLink::new()?;
    let memory = ChildMemory::take()?;
    // Every container goes in one cgroup, which the limits then hold together.
    let launch = Launch::new(c, None, None, false)?;
    let warmup = (runs / 10).clamp(1, 20);
    let mut wall = 0;
    let measured = measure(c, env, &link, memory, &launch, warmup, jobs, &mut []).and_then(|()| {
        let began = now_ns();
        let r = measure(c, env, &link, memory, &launch, runs, jobs, samples);
        wall = now_ns() - began;
        r
    });
    if let Some(cg) = launch.cgroup {
        cg.remove();
    }
    measured?;
    heapsort(samples);
    report(c, samples, jobs, warmup, wall);
    Ok(0)
}

/// Starts `n` containers, `jobs` at a time, writing each one's time from
/// clone3 to exit into `out` (when it has room).
#[cold]
#[allow(clippy::too_many_arguments)] // what spawn takes, and the run's counts
fn measure(
    c: &Container<'_>,
    env: &[Option<ZStr<'_>>],
    link: &ParentLink,
    memory: &mut ChildMemory,
    launch: &Launch,
    n: u32,
    jobs: u32,
    out: &mut [u64],
) -> Result<(), Error> {
    let mut running: Vec<(i32, u64), { crate::config::BENCH_MAX_JOBS as usize }> = Vec::new();
    let (mut started, mut done) = (0, 0);
    while done < n {
        while started < n && running.len() < jobs as usize {
            let t = now_ns();
            let pid = match spawn(c, env, link, memory, launch, None) {
                Ok(pid) => pid,
                Err(e) => {
                    stop_all(&running);
                    return Err(e);
                }
            };
            if running.push((pid, t)).is_err() {
                stop_all(&running);
                return Err(Error::new(b"bench: too many jobs"));
            }
            started += 1;
        }
        let (pid, status) = match crate::container::wait_end(-1, 0) {
            Ok(r) => r,
            Err(sys::Errno::EINTR) => continue,
            Err(e) => return Err(Error::sys("wait4", b"", e)),
        };
        let ended = now_ns();
        let Some(i) = running.iter().position(|(p, _)| *p == pid) else { continue };
        let (_, t) = running.swap_remove(i);
        if status != 0 {
            stop_all(&running);
            let code = exit_code(status);
            let e = Error::new(b"bench: start ").push_u64(u64::from(done) + 1).push(b" failed: exit status ");
            return Err(e.push_u64(code as u64).with_code(code));
        }
        if let Some(slot) = out.get_mut(done as usize) {
            *slot = ended - t;
        }
        done += 1;
    }
    Ok(())
}

#[cold]
fn stop_all(running: &[(i32, u64)]) {
    for (pid, _) in running {
        let _ = sys::kill(*pid, SIGKILL);
        let _ = crate::container::wait_end(*pid, 0);
    }
}

/// Sorts in place: a heapsort, a few hundred bytes of code where core's
/// sort takes kilobytes, and with no worst case to fear at 100000 samples.
#[cold]
fn heapsort(s: &mut [u64]) {
    fn sift_down(s: &mut [u64], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && s[child + 1] > s[child] {
                child += 1;
            }
            if s[root] >= s[child] {
                return;
            }
            s.swap(root, child);
            root = child;
        }
    }
    let n = s.len();
    for root in (0..n / 2).rev() {
        sift_down(s, root, n);
    }
    for end in (1..n).rev() {
        s.swap(0, end);
        sift_down(s, 0, end);
    }
}

/// The value at or under which `pct` percent of the sorted `s` lie (nearest rank).
#[cold]
fn percentile(s: &[u64], pct: u64) -> u64 {
    let n = s.len() as u64;
    let rank = (pct * n).div_ceil(100).max(1);
    s.get(rank as usize - 1).copied().unwrap_or(0)
}

#[cold]
fn micros(line: &mut Line, ns: u64) {
    line.push_fixed(ns / 100, 1).push(b" us");
}

#[cold]
fn report(c: &Container<'_>, sorted: &[u64], jobs: u32, warmup: u32, wall_ns: u64) {
    let mut l = Line::new();
    l.push(b"nsinit bench: ").push_u64(sorted.len() as u64).push(b" starts of ");
    if let Some(cmd) = c.process.args.command() {
        l.push(cmd.bytes());
    }
    l.push(b", ").push_u64(u64::from(jobs)).push(b" at a time, after ").push_u64(u64::from(warmup));
    l.push(b" warm-up starts");
    l.print(1);

    let stats = [(&b"min"[..], 0), (b"median", 50), (b"p90", 90), (b"p99", 99), (b"max", 100)];
    let mut l = Line::new();
    for (name, pct) in stats {
        l.push(b"  ").push(name).push(b" ");
        micros(&mut l, percentile(sorted, pct));
    }
    l.print(1);

    let mut l = Line::new();
    l.push(b"  ");
    let per_s_tenths = (sorted.len() as u64 * 10_000_000_000).checked_div(wall_ns).unwrap_or(0);
    l.push_fixed(per_s_tenths, 1).push(b" starts/s (").push_u64(sorted.len() as u64).push(b" in ");
    l.push_fixed(wall_ns / 1_000_000, 3).push(b" s)");
    l.print(1);
    Line::new().print(1);
    histogram(sorted);
}

/// Equal-width rows from the minimum to p99; the slowest 1% get a row of their own.
#[cold]
fn histogram(sorted: &[u64]) {
    let (low, high) = (percentile(sorted, 0), percentile(sorted, 99));
    let width = ((high - low) / BUCKETS).max(1);
    let mut counts = [0u64; BUCKETS as usize + 1];
    for &s in sorted {
        let row = if s > high { BUCKETS } else { ((s - low) / width).min(BUCKETS - 1) };
        counts[row as usize] += 1;
    }
    let most = counts.iter().copied().max().unwrap_or(1).max(1);
    for (row, &count) in counts.iter().enumerate() {
        if row as u64 == BUCKETS && count == 0 {
            break;
        }
        let mut l = Line::new();
        l.push(if row as u64 == BUCKETS { b"  > " } else { b"    " });
        let from = if row as u64 == BUCKETS { high } else { low + row as u64 * width };
        let label_start = l.as_bytes().len();
        micros(&mut l, from);
        // Right-align the labels to one column.
        while l.as_bytes().len() < label_start + 12 {
            l.push(b" ");
        }
        l.push(b" ");
        for _ in 0..(count * BAR).div_ceil(most) {
            l.push(b"#");
        }
        l.push(b" ").push_u64(count);
        l.print(1);
    }
}

#[cfg(test)]
mod tests {
    use super::{heapsort, percentile};

    #[test]
    fn heapsort_sorts() {
        let mut v: std::vec::Vec<u64> = (0..1000u64).map(|i| (i * 7919) % 1009).collect();
        let mut want = v.clone();
        want.sort();
        heapsort(&mut v);
        assert_eq!(v, want);
        for mut v in [vec![], vec![1], vec![2, 1], vec![3, 3, 1]] {
            let mut want = v.clone();
            want.sort();
            heapsort(&mut v);
            assert_eq!(v, want);
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let s: std::vec::Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&s, 0), 1);
        assert_eq!(percentile(&s, 50), 50);
        assert_eq!(percentile(&s, 90), 90);
        assert_eq!(percentile(&s, 99), 99);
        assert_eq!(percentile(&s, 100), 100);
        assert_eq!(percentile(&[7], 50), 7);
        assert_eq!(percentile(&[1, 2, 3], 50), 2);
    }
}
