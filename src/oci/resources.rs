//! `linux.resources`: every limit onto `config::Resources`, in the
//! description's words; `container::cgroup` converts between cgroup v1 and
//! v2 as runc and crun do. The numbers are read as runc's Go types: a
//! negative `int64` limit is "max", a zero one unset.

use super::json::Json;
use super::{Fail, Map, unsupported};
use crate::config::{
    BlkioDevice, BlkioLimit, DEVICE_MKNOD, DEVICE_READ, DEVICE_WRITE, DeviceRule, HugepageLimit, MAX_MAJOR, MAX_MINOR, NetPriority, Rdma,
    Resources, cgroup_word_ok, device_access, hugepage_size_ok,
};
use crate::sys::ZStr;

/// The period of a CPU quota given without one (the kernel's default).
const CPU_PERIOD_US: u64 = 100_000;

/// runc's device rule when `devices` says nothing: deny everything (before
/// the defaults every device-limited container gets).
pub const DENY_ALL: DeviceRule = DeviceRule { allow: false, kind: b'a', major: None, minor: None, access: DEVICE_READ | DEVICE_WRITE | DEVICE_MKNOD };

/// `resources`.
pub fn resources(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    if !cfg!(feature = "cgroups") {
        return unsupported(j);
    }
    let r = &mut m.c.resources;
    j.object(|j, section| match section {
        b"memory" | b"pids" | b"cpu" | b"blockIO" | b"network" => {
            let (mut quota, mut period) = (None, None);
            j.object(|j, key| {
                if let Some(&(_, _, how, slot)) = NUMBERS.iter().find(|n| n.0 == section && n.1 == key) {
                    *slot(r) = number(j, how)?;
                    return Ok(());
                }
                match (section, key) {
                    (b"memory", b"disableOOMKiller") => r.oom_kill_disable = j.bool()?,
                    (b"memory", b"useHierarchy" | b"checkBeforeUpdate") => unsupported(j)?,
                    (b"cpu", b"quota") => quota = number(j, Num::Max)?,
                    (b"cpu", b"period") => period = number(j, Num::NonZero)?,
                    (b"cpu", b"cpus") => r.cpuset = list(j)?,
                    (b"cpu", b"mems") => r.cpuset_mems = list(j)?,
                    (b"blockIO", b"weightDevice") => j.array(|j, _| block_device(j, r, None))?,
                    (b"blockIO", b"throttleReadBpsDevice") => j.array(|j, _| block_device(j, r, Some(BlkioLimit::ReadBps)))?,
                    (b"blockIO", b"throttleWriteBpsDevice") => j.array(|j, _| block_device(j, r, Some(BlkioLimit::WriteBps)))?,
                    (b"blockIO", b"throttleReadIOPSDevice") => j.array(|j, _| block_device(j, r, Some(BlkioLimit::ReadIops)))?,
                    (b"blockIO", b"throttleWriteIOPSDevice") => j.array(|j, _| block_device(j, r, Some(BlkioLimit::WriteIops)))?,
                    (b"network", b"priorities") => j.array(|j, _| net_priority(j, r))?,
                    // memory's `kernel` and `kernelTCP` are gone from the
                    // kernel; runc ignores them too.
                    _ => j.skip()?,
                }
                Ok(())
            })?;
            if quota.is_some() || period.is_some() {
                let (quota, period) = (quota.unwrap_or(u64::MAX), period.unwrap_or(CPU_PERIOD_US));
                if !(1000..=1_000_000).contains(&period) || quota < 1000 {
                    return Err(Fail::new("expected a quota of at least 1000 and a period from 1000 to 1000000 (microseconds)"));
                }
                r.cpu_max = Some((quota, period));
            }
            Ok(())
        }
        b"hugepageLimits" => j.array(|j, _| {
            let (mut page_size, mut bytes) = (None, None);
            j.object(|j, key| match key {
                b"pageSize" => {
                    page_size = Some(word(j, hugepage_size_ok, "expected a huge page size such as 2MB or 1GB")?);
                    Ok(())
                }
                b"limit" => set(&mut bytes, Some(j.u64()?)),
                _ => j.skip(),
            })?;
            let (Some(page_size), Some(limit)) = (page_size, bytes) else { return Err(Fail::new("expected pageSize and limit")) };
            r.hugepage_limits.push(HugepageLimit { page_size, limit }).map_err(|_| Fail::new("too many hugepage limits (at most 8)"))
        }),
        b"rdma" => j.object(|j, device| {
            if !cgroup_word_ok(device) {
                return Err(Fail::new("expected an rdma device name").with_detail(device));
            }
            let mut rdma = Rdma { device, hca_handles: None, hca_objects: None };
            j.object(|j, key| match key {
                b"hcaHandles" => set(&mut rdma.hca_handles, Some(j.u32()?)),
                b"hcaObjects" => set(&mut rdma.hca_objects, Some(j.u32()?)),
                _ => j.skip(),
            })?;
            r.rdma.push(rdma).map_err(|_| Fail::new("too many rdma devices (at most 8)"))
        }),
        b"unified" => j.object(|j, key| {
            if !cgroup_word_ok(key) || !key.contains(&b'.') {
                return Err(Fail::new("expected a cgroup v2 file name such as memory.high").with_detail(key));
            }
            let value = j.string()?.bytes();
            r.unified.push((key, value)).map_err(|_| Fail::new("too many keys (at most 32)"))
        }),
        b"devices" => j.array(|j, _| device_rule(j, r)),
        _ => j.skip(),
    })
}

/// One of `network.priorities`: `name` and `priority`.
fn net_priority(j: &mut Json<'static>, r: &mut Resources<'static>) -> Result<(), Fail> {
    let (mut interface, mut priority) = (None, None);
    j.object(|j, key| match key {
        b"name" => {
            interface = Some(word(j, cgroup_word_ok, "expected an interface name")?);
            Ok(())
        }
        b"priority" => set(&mut priority, Some(j.u32()?)),
        _ => j.skip(),
    })?;
    let (Some(interface), Some(priority)) = (interface, priority) else { return Err(Fail::new("expected name and priority")) };
    r.net_priorities.push(NetPriority { interface, priority }).map_err(|_| Fail::new("too many network priorities (at most 16)"))
}

/// One of `blockIO`'s device lists: `major`, `minor`, and `rate`, or for
/// `weightDevice` (`limit` `None`) `weight` and `leafWeight`, each a limit
/// of its own.
fn block_device(j: &mut Json<'static>, r: &mut Resources<'static>, limit: Option<BlkioLimit>) -> Result<(), Fail> {
    let (mut major, mut minor) = (None, None);
    let mut values: [Option<u64>; 2] = [None, None];
    j.object(|j, key| match key {
        b"major" => set(&mut major, Some(device_number(j, MAX_MAJOR)?)),
        b"minor" => set(&mut minor, Some(device_number(j, MAX_MINOR)?)),
        b"rate" if limit.is_some() => set(&mut values[0], Some(j.u64()?)),
        b"weight" if limit.is_none() => set(&mut values[0], number(j, Num::Weight)?),
        b"leafWeight" if limit.is_none() => set(&mut values[1], number(j, Num::Weight)?),
        _ => j.skip(),
    })?;
    let (Some(major), Some(minor)) = (major, minor) else { return Err(Fail::new("expected major and minor")) };
    let kinds = match limit {
        Some(l) => [Some(l), None],
        None => [Some(BlkioLimit::Weight), Some(BlkioLimit::LeafWeight)],
    };
    for (kind, value) in kinds.into_iter().zip(values) {
        if let (Some(limit), Some(value)) = (kind, value) {
            let d = BlkioDevice { limit, major, minor, path: None, value };
            r.blkio_devices.push(d).map_err(|_| Fail::new("too many block device limits (at most 16)"))?;
        }
    }
    Ok(())
}

/// One of `devices`: `allow` (required), `type` (`a` by default), `major`
/// and `minor` (any when absent or -1), `access` (`rwm` by default).
fn device_rule(j: &mut Json<'static>, r: &mut Resources<'static>) -> Result<(), Fail> {
    let mut rule = DeviceRule { allow: false, kind: b'a', major: None, minor: None, access: DENY_ALL.access };
    let mut allow = None;
    j.object(|j, key| match key {
        b"allow" => set(&mut allow, Some(j.bool()?)),
        b"type" => {
            let t = j.string()?;
            rule.kind = match t.bytes() {
                b"" => b'a',
                [k @ (b'a' | b'b' | b'c')] => *k,
                _ => return Err(Fail::new("expected a, b or c").with_detail(t.bytes())),
            };
            Ok(())
        }
        b"major" => set(&mut rule.major, any_or(j, MAX_MAJOR)?),
        b"minor" => set(&mut rule.minor, any_or(j, MAX_MINOR)?),
        b"access" => {
            let a = j.string()?;
            if !a.bytes().is_empty() {
                rule.access = device_access(a.bytes()).ok_or_else(|| Fail::new("expected r, w and m, each at most once").with_detail(a.bytes()))?;
            }
            Ok(())
        }
        _ => j.skip(),
    })?;
    rule.allow = allow.ok_or_else(|| Fail::new("allow: missing (required)"))?;
    r.devices.push(rule).map_err(|_| Fail::new("too many device rules (at most 64)"))
}

fn set<T>(field: &mut Option<T>, value: Option<T>) -> Result<(), Fail> {
    *field = value;
    Ok(())
}

/// How a number of `resources` is read, as runc's Go types read it.
#[derive(Clone, Copy)]
enum Num {
    /// An `int64` limit: negative is max, 0 unset.
    Limit,
    /// As `Limit`, but 0 is max too (`pids.limit`), and so is a negative
    /// CPU quota.
    Max,
    /// Any `uint64`.
    Plain,
    /// A `uint64`, 0 unset.
    NonZero,
    /// An `int64` whose negative is max, 0 kept (`realtimeRuntime`).
    Runtime,
    /// 0 to 100 (`swappiness`).
    Percent,
    /// 0 or 1 (`idle`).
    Bit,
    /// 10 to 1000, 0 unset (block I/O weights).
    Weight,
    /// A `uint32` (`classID`).
    U32,
}

/// Where a plain number of the description is.
type Slot = for<'r> fn(&'r mut Resources<'static>) -> &'r mut Option<u64>;

/// The numbers of `resources`: section, key, how it reads, where it goes.
const NUMBERS: [(&[u8], &[u8], Num, Slot); 13] = [
    (b"memory", b"limit", Num::Limit, |r| &mut r.memory_max),
    (b"memory", b"swap", Num::Limit, |r| &mut r.memory_swap),
    (b"memory", b"reservation", Num::Limit, |r| &mut r.memory_reservation),
    (b"memory", b"swappiness", Num::Percent, |r| &mut r.memory_swappiness),
    (b"pids", b"limit", Num::Max, |r| &mut r.pids_max),
    (b"cpu", b"shares", Num::NonZero, |r| &mut r.cpu_shares),
    (b"cpu", b"burst", Num::Plain, |r| &mut r.cpu_burst),
    (b"cpu", b"idle", Num::Bit, |r| &mut r.cpu_idle),
    (b"cpu", b"realtimeRuntime", Num::Runtime, |r| &mut r.cpu_rt_runtime),
    (b"cpu", b"realtimePeriod", Num::NonZero, |r| &mut r.cpu_rt_period),
    (b"blockIO", b"weight", Num::Weight, |r| &mut r.blkio_weight),
    (b"blockIO", b"leafWeight", Num::Weight, |r| &mut r.blkio_leaf_weight),
    (b"network", b"classID", Num::U32, |r| &mut r.net_class_id),
];

/// A number read `how`.
#[inline(never)]
fn number(j: &mut Json<'static>, how: Num) -> Result<Option<u64>, Fail> {
    let (lo, hi, what) = match how {
        Num::Percent => (0, 100, "expected an integer from 0 to 100"),
        Num::Bit => (0, 1, "expected 0 or 1"),
        Num::Weight => (0, 1000, "expected a weight from 10 to 1000"),
        Num::U32 => (0, u32::MAX.into(), "expected an integer from 0 to 4294967295"),
        Num::Plain | Num::NonZero => (0, u64::MAX, ""),
        Num::Limit | Num::Max | Num::Runtime => {
            return Ok(match (j.i64()?, how) {
                (0, Num::Limit) => None,
                (0, Num::Runtime) => Some(0),
                (n, _) if n <= 0 => Some(u64::MAX),
                (n, _) => Some(n as u64),
            });
        }
    };
    match j.u64()? {
        0 if matches!(how, Num::NonZero | Num::Weight) => Ok(None),
        1..10 if matches!(how, Num::Weight) => Err(Fail::new(what)),
        n if (lo..=hi).contains(&n) => Ok(Some(n)),
        _ => Err(Fail::new(what)),
    }
}

/// A device number up to `max`.
fn device_number(j: &mut Json<'static>, max: u32) -> Result<u32, Fail> {
    Some(j.u32()?).filter(|&n| n <= max).ok_or_else(|| Fail::new("expected a device number (major at most 4095, minor at most 1048575)"))
}

/// A device number, or -1 (or `null`) for any.
fn any_or(j: &mut Json<'static>, max: u32) -> Result<Option<u32>, Fail> {
    if j.null()? {
        return Ok(None);
    }
    match j.i64()? {
        -1 => Ok(None),
        n if (0..=i64::from(max)).contains(&n) => Ok(Some(n as u32)),
        _ => Err(Fail::new("expected a device number (major at most 4095, minor at most 1048575), or -1 for any")),
    }
}

/// A word `ok` accepts, else `what`.
fn word(j: &mut Json<'static>, ok: fn(&[u8]) -> bool, what: &'static str) -> Result<&'static [u8], Fail> {
    let w = j.string()?.bytes();
    if ok(w) { Ok(w) } else { Err(Fail::new(what).with_detail(w)) }
}

/// A CPU or memory node list (`0-1,3`); empty is unset.
fn list(j: &mut Json<'static>) -> Result<Option<ZStr<'static>>, Fail> {
    let l = j.string()?;
    let b = l.bytes();
    if b.is_empty() {
        return Ok(None);
    }
    if !b.iter().all(|c| c.is_ascii_digit() || b",-".contains(c)) {
        return Err(Fail::new("expected a list such as 0-1,3").with_detail(b));
    }
    Ok(Some(l))
}
