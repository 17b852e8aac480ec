//! `linux`: namespaces, id maps, the cgroup and its limits, hidden paths.

use super::json::Json;
use super::{Fail, Map, SEEN_NAMESPACES, absolute, unsupported};
use crate::config::{CGROUP_NAME_MAX, IdMap, MAX_ID_MAPS, cgroup_path_ok};
use linux_raw_sys::general::{
    CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS,
};

/// The spec's namespace types.
const NAMESPACE_TYPES: [(&[u8], u32); 8] = [
    (b"pid", CLONE_NEWPID),
    (b"network", CLONE_NEWNET),
    (b"mount", CLONE_NEWNS),
    (b"ipc", CLONE_NEWIPC),
    (b"uts", CLONE_NEWUTS),
    (b"user", CLONE_NEWUSER),
    (b"cgroup", CLONE_NEWCGROUP),
    (b"time", CLONE_NEWTIME),
];

/// The period of a CPU quota given without one (the kernel's default).
const CPU_PERIOD_US: u64 = 100_000;

/// `linux`.
pub fn linux(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    j.object(|j, key| match key {
        b"namespaces" => {
            // A member given twice: the last one counts, as in runc's Go.
            m.c.namespaces = 0;
            m.seen |= SEEN_NAMESPACES;
            j.array(|j, _| namespace(j, m))
        }
        b"uidMappings" => j.array(|j, _| id_map(j, &mut m.c.uid_maps)),
        b"gidMappings" => j.array(|j, _| id_map(j, &mut m.c.gid_maps)),
        b"cgroupsPath" => {
            let path = j.string()?;
            if path.bytes().is_empty() {
                return Ok(());
            }
            if !cgroup_path_ok(path.bytes()) || path.bytes().len() > CGROUP_NAME_MAX {
                return Err(Fail::new("expected a cgroup path of at most 255 bytes whose components are not empty, '.' or '..'")
                    .with_detail(path.bytes()));
            }
            if !cfg!(feature = "cgroups") {
                return Err(Fail::new("not in this build (cargo feature cgroups)"));
            }
            m.c.cgroup = Some(path);
            Ok(())
        }
        b"resources" => resources(j, m),
        b"maskedPaths" | b"readonlyPaths" => {
            let masked = key == b"maskedPaths";
            if !cfg!(feature = "security") {
                return unsupported(j);
            }
            j.array(|j, _| {
                let path = absolute(j)?;
                let paths = if masked { &mut m.c.masked_paths } else { &mut m.c.readonly_paths };
                paths.push(path).map_err(|_| Fail::new("too many paths (at most 32)"))
            })
        }
        // Not in the description yet: an error when given, so that none is
        // ever dropped.
        b"devices" | b"sysctl" | b"seccomp" | b"rootfsPropagation" | b"mountLabel" | b"personality" | b"timeOffsets"
        | b"intelRdt" | b"memoryPolicy" | b"netDevices" => unsupported(j),
        _ => j.skip(),
    })
}

/// One of `namespaces`: `type`, and `path` (to join: not supported yet).
fn namespace(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    let mut bit = None;
    j.object(|j, key| match key {
        b"type" => {
            let name = j.string()?;
            let b = NAMESPACE_TYPES.iter().find(|(n, _)| *n == name.bytes()).map(|(_, b)| *b);
            let b = b.ok_or_else(|| Fail::new("unknown namespace type").with_detail(name.bytes()))?;
            if m.c.namespaces & b != 0 {
                return Err(Fail::new("namespace given twice").with_detail(name.bytes()));
            }
            if b == CLONE_NEWUSER && !cfg!(feature = "userns") {
                return Err(Fail::new("user namespaces are not in this build (cargo feature userns)"));
            }
            bit = Some(b);
            Ok(())
        }
        b"path" => unsupported(j),
        _ => j.skip(),
    })?;
    m.c.namespaces |= bit.ok_or_else(|| Fail::new("type: missing (required)"))?;
    Ok(())
}

/// One of `uidMappings` or `gidMappings`: `containerID`, `hostID`, `size`.
fn id_map(j: &mut Json<'static>, maps: &mut heapless::Vec<IdMap, MAX_ID_MAPS>) -> Result<(), Fail> {
    let (mut inside, mut outside, mut count) = (None, None, None);
    j.object(|j, key| {
        let field = match key {
            b"containerID" => &mut inside,
            b"hostID" => &mut outside,
            b"size" => &mut count,
            _ => return j.skip(),
        };
        *field = Some(j.u32()?);
        Ok(())
    })?;
    let (Some(inside), Some(outside), Some(count)) = (inside, outside, count) else {
        return Err(Fail::new("expected containerID, hostID and size"));
    };
    if count == 0 {
        return Err(Fail::new("size: expected at least 1"));
    }
    maps.push(IdMap { inside, outside, count }).map_err(|_| Fail::new("too many map lines (at most 8)"))
}

/// `resources`: the memory, pids and CPU limits the description holds.
fn resources(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    if !cfg!(feature = "cgroups") {
        return unsupported(j);
    }
    let r = &mut m.c.resources;
    j.object(|j, key| match key {
        b"memory" => {
            let (mut limit, mut swap) = (None, None);
            j.object(|j, key| match key {
                b"limit" => {
                    limit = bytes_limit(j)?;
                    Ok(())
                }
                b"swap" => {
                    swap = bytes_limit(j)?;
                    Ok(())
                }
                b"reservation" | b"kernel" | b"kernelTCP" | b"swappiness" | b"disableOOMKiller" | b"useHierarchy"
                | b"checkBeforeUpdate" => unsupported(j),
                _ => j.skip(),
            })?;
            r.memory_max = limit;
            // The spec's swap is memory and swap together (cgroup v1's
            // memsw); nsinit's is the swap alone (v2's memory.swap.max).
            r.memory_swap_max = match (swap, limit) {
                (None, _) => None,
                (Some(u64::MAX), _) => Some(u64::MAX),
                (Some(_), None | Some(u64::MAX)) => return Err(Fail::new("swap: needs a memory limit (memory.limit)")),
                (Some(s), Some(l)) if s < l => return Err(Fail::new("swap: below memory.limit (it counts memory and swap together)")),
                (Some(s), Some(l)) => Some(s - l),
            };
            Ok(())
        }
        b"pids" => j.object(|j, key| match key {
            b"limit" => {
                // -1 (or any value of 0 or less) is no limit, as runc reads it.
                let n = j.i64()?;
                r.pids_max = Some(if n <= 0 { u64::MAX } else { n as u64 });
                Ok(())
            }
            _ => j.skip(),
        }),
        b"cpu" => {
            let (mut quota, mut period) = (None, None);
            j.object(|j, key| match key {
                b"quota" => {
                    let q = j.i64()?;
                    quota = Some(if q < 0 { u64::MAX } else { q as u64 });
                    Ok(())
                }
                b"period" => {
                    period = Some(j.u64()?);
                    Ok(())
                }
                b"cpus" => {
                    let cpus = j.string()?;
                    let b = cpus.bytes();
                    if b.is_empty() {
                        return Ok(());
                    }
                    if !b.iter().all(|c| c.is_ascii_digit() || b",-".contains(c)) {
                        return Err(Fail::new("expected CPUs such as 0-1,3").with_detail(b));
                    }
                    r.cpuset = Some(cpus);
                    Ok(())
                }
                b"shares" | b"burst" | b"realtimeRuntime" | b"realtimePeriod" | b"mems" | b"idle" => unsupported(j),
                _ => j.skip(),
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
        b"devices" | b"blockIO" | b"hugepageLimits" | b"network" | b"rdma" | b"unified" => unsupported(j),
        _ => j.skip(),
    })
}

/// A limit in bytes: -1 is none (`u64::MAX`), 0 unset, as runc reads them.
fn bytes_limit(j: &mut Json<'static>) -> Result<Option<u64>, Fail> {
    match j.i64()? {
        -1 => Ok(Some(u64::MAX)),
        0 => Ok(None),
        n if n > 0 => Ok(Some(n as u64)),
        _ => Err(Fail::new("expected a number of bytes, or -1 for no limit")),
    }
}
