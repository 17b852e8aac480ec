//! `linux.resources`: every limit onto `config::Resources`, in the
//! description's words; `container::cgroup` converts between cgroup v1 and
//! v2 as runc and crun do. The numbers are read as runc's Go types: a
//! negative `int64` limit is "max", a zero one unset.

use super::json::{Json, Message};
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
#[inline(never)]
pub fn resources(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    if !cfg!(feature = "cgroups") {
        return unsupported(j);
    }
    let r = &mut m.c.resources;
    j.object(|j, section| crate::by_key!(section,
        "memory" | "pids" | "cpu" | "blockIO" | "network" => {
            // `cpu.quota` and `cpu.period`, which make one limit.
            let mut cpu = [None, None];
            j.object(|j, key| {
                // `section.key`, for one lookup; a key too long for the
                // room is none of the names.
                let mut room = [0; 40];
                let name = room.get_mut(..section.len() + 1 + key.len()).map_or(&b""[..], |name| {
                    name[..section.len()].copy_from_slice(section);
                    name[section.len()] = b'.';
                    name[section.len() + 1..].copy_from_slice(key);
                    name
                });
                let number = crate::by_key!(name,
                    "memory.limit" => Some(Number::MemoryLimit),
                    "memory.swap" => Some(Number::MemorySwap),
                    "memory.reservation" => Some(Number::MemoryReservation),
                    "memory.swappiness" => Some(Number::MemorySwappiness),
                    "memory.disableOOMKiller" => {
                        r.oom_kill_disable = j.bool()?;
                        None
                    },
                    "memory.useHierarchy" | "memory.checkBeforeUpdate" => {
                        unsupported(j)?;
                        None
                    },
                    "pids.limit" => Some(Number::PidsLimit),
                    "cpu.shares" => Some(Number::CpuShares),
                    "cpu.burst" => Some(Number::CpuBurst),
                    "cpu.idle" => Some(Number::CpuIdle),
                    "cpu.realtimeRuntime" => Some(Number::CpuRealtimeRuntime),
                    "cpu.realtimePeriod" => Some(Number::CpuRealtimePeriod),
                    "cpu.quota" => Some(Number::CpuQuota),
                    "cpu.period" => Some(Number::CpuPeriod),
                    "cpu.cpus" => {
                        r.cpuset = list(j)?;
                        None
                    },
                    "cpu.mems" => {
                        r.cpuset_mems = list(j)?;
                        None
                    },
                    "blockIO.weight" => Some(Number::BlockIoWeight),
                    "blockIO.leafWeight" => Some(Number::BlockIoLeafWeight),
                    "blockIO.weightDevice"
                    | "blockIO.throttleReadBpsDevice"
                    | "blockIO.throttleWriteBpsDevice"
                    | "blockIO.throttleReadIOPSDevice"
                    | "blockIO.throttleWriteIOPSDevice" => {
                        let limit = crate::by_key!(key,
                            "throttleReadBpsDevice" => Some(BlkioLimit::ReadBps),
                            "throttleWriteBpsDevice" => Some(BlkioLimit::WriteBps),
                            "throttleReadIOPSDevice" => Some(BlkioLimit::ReadIops),
                            "throttleWriteIOPSDevice" => Some(BlkioLimit::WriteIops),
                            _ => None,
                        );
                        j.array(|j, _| block_device(j, r, limit))?;
                        None
                    },
                    "network.classID" => Some(Number::NetworkClassId),
                    "network.priorities" => {
                        j.array(|j, _| net_priority(j, r))?;
                        None
                    },
                    // memory's `kernel` and `kernelTCP` are gone from the
                    // kernel; runc ignores them too.
                    _ => {
                        j.skip()?;
                        None
                    },
                );
                if let Some(number) = number {
                    let (field, how) = number.field(r, &mut cpu);
                    *field = self::number(j, how)?;
                }
                Ok(())
            })?;
            let [quota, period] = cpu;
            if quota.is_some() || period.is_some() {
                let (quota, period) = (quota.unwrap_or(u64::MAX), period.unwrap_or(CPU_PERIOD_US));
                if !(1000..=1_000_000).contains(&period) || quota < 1000 {
                    return Err(fail!("expected a quota of at least 1000 and a period from 1000 to 1000000 (microseconds)"));
                }
                r.cpu_max = Some((quota, period));
            }
            Ok(())
        },
        "hugepageLimits" => j.array(|j, _| {
            let (mut page_size, mut bytes) = (None, None);
            j.object(|j, key| crate::by_key!(key,
                "pageSize" => {
                    page_size = Some(word(j, hugepage_size_ok, message!("expected a huge page size such as 2MB or 1GB"))?);
                    Ok(())
                },
                "limit" => set(&mut bytes, Some(j.u64()?)),
                _ => j.skip(),
            ))?;
            let (Some(page_size), Some(limit)) = (page_size, bytes) else { return Err(fail!("expected pageSize and limit")) };
            r.hugepage_limits.push(HugepageLimit { page_size, limit }).map_err(|_| fail!("too many hugepage limits (at most 8)"))
        }),
        "rdma" => j.object(|j, device| {
            if !cgroup_word_ok(device) {
                return Err(fail!("expected an rdma device name", device));
            }
            let mut rdma = Rdma { device, hca_handles: None, hca_objects: None };
            j.object(|j, key| crate::by_key!(key,
                "hcaHandles" => set(&mut rdma.hca_handles, Some(j.u32()?)),
                "hcaObjects" => set(&mut rdma.hca_objects, Some(j.u32()?)),
                _ => j.skip(),
            ))?;
            r.rdma.push(rdma).map_err(|_| fail!("too many rdma devices (at most 8)"))
        }),
        "unified" => j.object(|j, key| {
            if !cgroup_word_ok(key) || !key.contains(&b'.') {
                return Err(fail!("expected a cgroup v2 file name such as memory.high", key));
            }
            let value = j.text()?;
            r.unified.push((key, value)).map_err(|_| fail!("too many keys (at most 32)"))
        }),
        "devices" => j.array(|j, _| device_rule(j, r)),
        _ => j.skip(),
    ))
}

/// One of `network.priorities`: `name` and `priority`.
fn net_priority(j: &mut Json<'static>, r: &mut Resources<'static>) -> Result<(), Fail> {
    let (mut interface, mut priority) = (None, None);
    j.object(|j, key| crate::by_key!(key,
        "name" => {
            interface = Some(word(j, cgroup_word_ok, message!("expected an interface name"))?);
            Ok(())
        },
        "priority" => set(&mut priority, Some(j.u32()?)),
        _ => j.skip(),
    ))?;
    let (Some(interface), Some(priority)) = (interface, priority) else { return Err(fail!("expected name and priority")) };
    r.net_priorities.push(NetPriority { interface, priority }).map_err(|_| fail!("too many network priorities (at most 16)"))
}

/// One of `blockIO`'s device lists: `major`, `minor`, and `rate`, or for
/// `weightDevice` (`limit` `None`) `weight` and `leafWeight`, each a limit
/// of its own.
#[inline(never)]
fn block_device(j: &mut Json<'static>, r: &mut Resources<'static>, limit: Option<BlkioLimit>) -> Result<(), Fail> {
    let (mut major, mut minor) = (None, None);
    let mut values: [Option<u64>; 2] = [None, None];
    j.object(|j, key| crate::by_key!(key,
        "major" => set(&mut major, Some(device_number(j, MAX_MAJOR)?)),
        "minor" => set(&mut minor, Some(device_number(j, MAX_MINOR)?)),
        "rate" => match limit {
            Some(_) => set(&mut values[0], Some(j.u64()?)),
            None => j.skip(),
        },
        "weight" | "leafWeight" => match limit {
            None => set(&mut values[usize::from(key == b"leafWeight")], number(j, Num::Weight)?),
            Some(_) => j.skip(),
        },
        _ => j.skip(),
    ))?;
    let (Some(major), Some(minor)) = (major, minor) else { return Err(fail!("expected major and minor")) };
    let kinds = match limit {
        Some(l) => [Some(l), None],
        None => [Some(BlkioLimit::Weight), Some(BlkioLimit::LeafWeight)],
    };
    for (kind, value) in kinds.into_iter().zip(values) {
        if let (Some(limit), Some(value)) = (kind, value) {
            let d = BlkioDevice { limit, major, minor, path: None, value };
            r.blkio_devices.push(d).map_err(|_| fail!("too many block device limits (at most 16)"))?;
        }
    }
    Ok(())
}

/// One of `devices`: `allow` (required), `type` (`a` by default), `major`
/// and `minor` (any when absent or -1), `access` (`rwm` by default).
fn device_rule(j: &mut Json<'static>, r: &mut Resources<'static>) -> Result<(), Fail> {
    let mut rule = DeviceRule { allow: false, kind: b'a', major: None, minor: None, access: DENY_ALL.access };
    let mut allow = None;
    j.object(|j, key| crate::by_key!(key,
        "allow" => set(&mut allow, Some(j.bool()?)),
        "type" => {
            let t = j.text()?;
            rule.kind = match t {
                b"" => b'a',
                [k @ (b'a' | b'b' | b'c')] => *k,
                _ => return Err(fail!("expected a, b or c", t)),
            };
            Ok(())
        },
        "major" => set(&mut rule.major, any_or(j, MAX_MAJOR)?),
        "minor" => set(&mut rule.minor, any_or(j, MAX_MINOR)?),
        "access" => {
            let a = j.text()?;
            if !a.is_empty() {
                rule.access = device_access(a).ok_or_else(|| fail!("expected r, w and m, each at most once", a))?;
            }
            Ok(())
        },
        _ => j.skip(),
    ))?;
    rule.allow = allow.ok_or_else(|| fail!("allow: missing (required)"))?;
    r.devices.push(rule).map_err(|_| fail!("too many device rules (at most 64)"))
}

/// The numbers of `memory`, `pids`, `cpu`, `blockIO` and `network`, each
/// read `number(how)` into its field (`field`): one call for them all.
#[derive(Clone, Copy)]
enum Number {
    MemoryLimit,
    MemorySwap,
    MemoryReservation,
    MemorySwappiness,
    PidsLimit,
    CpuShares,
    CpuBurst,
    CpuIdle,
    CpuRealtimeRuntime,
    CpuRealtimePeriod,
    CpuQuota,
    CpuPeriod,
    BlockIoWeight,
    BlockIoLeafWeight,
    NetworkClassId,
}

impl Number {
    /// Where the number goes (`cpu`: the quota and the period, made one
    /// limit at the end), and how it is read.
    fn field<'f>(self, r: &'f mut Resources<'static>, cpu: &'f mut [Option<u64>; 2]) -> (&'f mut Option<u64>, Num) {
        match self {
            Number::MemoryLimit => (&mut r.memory_max, Num::Limit),
            Number::MemorySwap => (&mut r.memory_swap, Num::Limit),
            Number::MemoryReservation => (&mut r.memory_reservation, Num::Limit),
            Number::MemorySwappiness => (&mut r.memory_swappiness, Num::Percent),
            Number::PidsLimit => (&mut r.pids_max, Num::Max),
            Number::CpuShares => (&mut r.cpu_shares, Num::NonZero),
            Number::CpuBurst => (&mut r.cpu_burst, Num::Plain),
            Number::CpuIdle => (&mut r.cpu_idle, Num::Bit),
            Number::CpuRealtimeRuntime => (&mut r.cpu_rt_runtime, Num::Runtime),
            Number::CpuRealtimePeriod => (&mut r.cpu_rt_period, Num::NonZero),
            Number::CpuQuota => (&mut cpu[0], Num::Max),
            Number::CpuPeriod => (&mut cpu[1], Num::NonZero),
            Number::BlockIoWeight => (&mut r.blkio_weight, Num::Weight),
            Number::BlockIoLeafWeight => (&mut r.blkio_leaf_weight, Num::Weight),
            Number::NetworkClassId => (&mut r.net_class_id, Num::U32),
        }
    }
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

/// A number read `how`.
#[inline(never)]
fn number(j: &mut Json<'static>, how: Num) -> Result<Option<u64>, Fail> {
    let (lo, hi, what) = match how {
        Num::Percent => (0, 100, message!("expected an integer from 0 to 100")),
        Num::Bit => (0, 1, message!("expected 0 or 1")),
        Num::Weight => (0, 1000, message!("expected a weight from 10 to 1000")),
        Num::U32 => (0, u32::MAX.into(), message!("expected an integer from 0 to 4294967295")),
        Num::Plain | Num::NonZero => (0, u64::MAX, Message(0)),
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
        1..10 if matches!(how, Num::Weight) => Err(Fail::code(what)),
        n if (lo..=hi).contains(&n) => Ok(Some(n)),
        _ => Err(Fail::code(what)),
    }
}

/// A device number up to `max`.
fn device_number(j: &mut Json<'static>, max: u32) -> Result<u32, Fail> {
    super::at_most(j, max, message!("expected a device number (major at most 4095, minor at most 1048575)"))
}

/// A device number, or -1 (or `null`) for any.
fn any_or(j: &mut Json<'static>, max: u32) -> Result<Option<u32>, Fail> {
    if j.null()? {
        return Ok(None);
    }
    match j.i64()? {
        -1 => Ok(None),
        n if (0..=i64::from(max)).contains(&n) => Ok(Some(n as u32)),
        _ => Err(fail!("expected a device number (major at most 4095, minor at most 1048575), or -1 for any")),
    }
}

/// A word `ok` accepts, else `what`.
fn word(j: &mut Json<'static>, ok: fn(&[u8]) -> bool, what: Message) -> Result<&'static [u8], Fail> {
    let w = j.text()?;
    if ok(w) { Ok(w) } else { Err(Fail::code_about(what, w)) }
}

/// A CPU or memory node list (`0-1,3`); empty is unset.
fn list(j: &mut Json<'static>) -> Result<Option<ZStr<'static>>, Fail> {
    let l = j.string()?;
    let b = l.bytes();
    if b.is_empty() {
        return Ok(None);
    }
    if !b.iter().all(|c| c.is_ascii_digit() || b",-".contains(c)) {
        return Err(fail!("expected a list such as 0-1,3", b));
    }
    Ok(Some(l))
}
