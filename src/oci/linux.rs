//! `linux`: namespaces, id maps, the cgroup and its limits, hidden paths.

use super::json::Json;
use super::{Fail, Map, SEEN_NAMESPACES, absolute, at_most, optional, unsupported};
use crate::config::{
    CGROUP_NAME_MAX, Device, DeviceKind, IdMap, Join, MAX_ID_MAPS, MAX_MAJOR, MAX_MINOR, MountOption, Sysctl, TimeOffsets, cgroup_path_ok,
    mount_option, parse_personality, sysctl_namespace,
};
use linux_raw_sys::general::{
    CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS, S_IFMT,
};

/// `linux`.
#[inline(never)]
pub fn linux(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    j.object(|j, key| crate::by_key!(key,
        "namespaces" => {
            // A member given twice: the last one counts, as in runc's Go.
            m.c.namespaces = 0;
            m.seen |= SEEN_NAMESPACES;
            j.array(|j, _| namespace(j, m))
        },
        "uidMappings" | "gidMappings" => {
            let maps = if key == b"uidMappings" { &mut m.c.uid_maps } else { &mut m.c.gid_maps };
            j.array(|j, _| id_map(j, maps))
        },
        "cgroupsPath" => {
            let path = j.string()?;
            if path.bytes().is_empty() {
                return Ok(());
            }
            if !cgroup_path_ok(path.bytes()) || path.bytes().len() > CGROUP_NAME_MAX {
                return Err(fail!("expected a cgroup path of at most 255 bytes whose components are not empty, '.' or '..'", path.bytes()));
            }
            if !cfg!(feature = "cgroups") {
                return Err(fail!("not in this build (cargo feature cgroups)"));
            }
            m.c.cgroup = Some(path);
            Ok(())
        },
        "resources" => super::resources::resources(j, m),
        "seccomp" => if m.seccomp { super::seccomp::seccomp(j, m) } else { j.skip() },
        "sysctl" => j.object(|j, key| {
            // Checked as runc does: only what the container's own
            // namespaces hold (which it has is checked at the start).
            if sysctl_namespace(key).is_none() {
                return Err(fail!("not a namespaced sysctl (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*, kernel.hostname, kernel.domainname)", key));
            }
            let key = m.arena.put(&[key])?;
            let value = j.string()?;
            m.c.sysctls.push(Sysctl { key, value }).map_err(|_| fail!("too many sysctls (at most 32)"))
        }),
        "devices" => j.array(|j, _| device(j, m)),
        "personality" => j.object(|j, key| crate::by_key!(key,
            "domain" => {
                let d = j.text()?;
                m.c.personality = Some(parse_personality(d).ok_or_else(|| fail!("expected LINUX or LINUX32", d))?);
                Ok(())
            },
            "flags" => unsupported(j),
            _ => j.skip(),
        )),
        "timeOffsets" => j.object(|j, key| {
            let offsets = m.c.time_offsets.get_or_insert_with(TimeOffsets::default);
            let clock = crate::by_key!(key,
                "monotonic" => &mut offsets.monotonic,
                "boottime" => &mut offsets.boottime,
                _ => return Err(fail!("expected monotonic or boottime", key)),
            );
            j.object(|j, key| crate::by_key!(key,
                "secs" => {
                    clock.0 = j.i64()?;
                    Ok(())
                },
                "nanosecs" => {
                    clock.1 = at_most(j, 999_999_999, message!("expected nanoseconds below 1000000000"))?;
                    Ok(())
                },
                _ => j.skip(),
            ))
        }),
        "rootfsPropagation" => {
            let w = j.text()?;
            m.c.rootfs_propagation = match mount_option(w) {
                Some(MountOption::Propagation(flags)) => flags,
                _ if w.is_empty() => 0,
                _ => return Err(fail!("expected private, rprivate, shared, rshared, slave, rslave, unbindable or runbindable", w)),
            };
            Ok(())
        },
        "maskedPaths" | "readonlyPaths" => {
            let masked = key == b"maskedPaths";
            if !cfg!(feature = "security") {
                return unsupported(j);
            }
            j.array(|j, _| {
                let path = absolute(j)?;
                let paths = if masked { &mut m.c.masked_paths } else { &mut m.c.readonly_paths };
                paths.push(path).map_err(|_| fail!("too many paths (at most 32)"))
            })
        },
        // Used once the whole file is read (`mounts::label_mounts`).
        "mountLabel" => {
            m.c.mount_label = optional(j)?;
            Ok(())
        },
        // Not in the description yet: an error when given, so that none is
        // ever dropped.
        "intelRdt" | "memoryPolicy" | "netDevices" => unsupported(j),
        _ => j.skip(),
    ))
}

/// One of `namespaces`: `type`, and `path`, a namespace to join rather
/// than make.
fn namespace(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    let (mut bit, mut path) = (None, None);
    j.object(|j, key| crate::by_key!(key,
        "type" => {
            let name = j.text()?;
            // The spec's namespace types.
            let b = crate::by_key!(name,
                "pid" => CLONE_NEWPID,
                "network" => CLONE_NEWNET,
                "mount" => CLONE_NEWNS,
                "ipc" => CLONE_NEWIPC,
                "uts" => CLONE_NEWUTS,
                "user" => CLONE_NEWUSER,
                "cgroup" => CLONE_NEWCGROUP,
                "time" => CLONE_NEWTIME,
                _ => return Err(fail!("unknown namespace type", name)),
            );
            if m.c.namespaces & b != 0 || m.c.joins(b) {
                return Err(fail!("namespace given twice", name));
            }
            if b == CLONE_NEWUSER && !cfg!(feature = "userns") {
                return Err(fail!("user namespaces are not in this build (cargo feature userns)"));
            }
            bit = Some(b);
            Ok(())
        },
        "path" => {
            path = Some(absolute(j)?);
            Ok(())
        },
        _ => j.skip(),
    ))?;
    let namespace = bit.ok_or_else(|| fail!("type: missing (required)"))?;
    match path {
        Some(path) if cfg!(feature = "process") => m.c.joins.push(Join { namespace, path }).map_err(|_| fail!("too many")),
        Some(_) => Err(fail!("path: not in this build (cargo feature process)")),
        None => {
            m.c.namespaces |= namespace;
            Ok(())
        }
    }
}

/// One of `uidMappings` or `gidMappings`: `containerID`, `hostID`, `size`.
#[inline(never)]
pub fn id_map(j: &mut Json<'static>, maps: &mut heapless::Vec<IdMap, MAX_ID_MAPS>) -> Result<(), Fail> {
    let (mut inside, mut outside, mut count) = (None, None, None);
    j.object(|j, key| {
        let field = crate::by_key!(key,
            "containerID" => &mut inside,
            "hostID" => &mut outside,
            "size" => &mut count,
            _ => return j.skip(),
        );
        *field = Some(j.u32()?);
        Ok(())
    })?;
    let (Some(inside), Some(outside), Some(count)) = (inside, outside, count) else {
        return Err(fail!("expected containerID, hostID and size"));
    };
    if count == 0 {
        return Err(fail!("size: expected at least 1"));
    }
    maps.push(IdMap { inside, outside, count }).map_err(|_| fail!("too many map lines (at most 8)"))
}

/// One of `devices`: `path`, `type` (`c`, `b`, `u`, `p`), `major` and
/// `minor` (not for `p`), `fileMode` (permission bits, with the type's
/// `S_IF*` bits or none), `uid`, `gid`.
fn device(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    let (mut path, mut kind, mut major, mut minor) = (None, None, None, None);
    let (mut file_mode, mut uid, mut gid) = (None, None, None);
    j.object(|j, key| {
        crate::by_key!(key,
            "path" => path = Some(absolute(j)?),
            "type" => {
                let t = j.text()?;
                kind = Some(DeviceKind::from_letter(t).ok_or_else(|| fail!("expected c, b, u or p", t))?);
            },
            "major" => major = Some(at_most(j, MAX_MAJOR, message!("expected at most 4095"))?),
            "minor" => minor = Some(at_most(j, MAX_MINOR, message!("expected at most 1048575"))?),
            // podman writes the host node's whole st_mode (0o20666 for a
            // character device): its type bits, when there, are checked
            // against `type` below, as runc ORs the type's bits in.
            "fileMode" => file_mode = Some(at_most(j, S_IFMT | 0o7777, message!("expected permission bits, at most 07777"))?),
            "uid" => uid = Some(j.u32()?),
            "gid" => gid = Some(j.u32()?),
            _ => j.skip()?,
        );
        Ok(())
    })?;
    let path = path.ok_or_else(|| fail!("path: missing (required)"))?;
    let kind = kind.ok_or_else(|| fail!("type: missing (required)"))?;
    let (major, minor) = match (kind, major, minor) {
        (DeviceKind::Fifo, _, _) => (0, 0),
        (_, Some(major), Some(minor)) => (major, minor),
        _ => return Err(fail!("major and minor: missing (required but for p)")),
    };
    let file_type = file_mode.map_or(0, |mode| mode & S_IFMT);
    if file_type != 0 && file_type != kind.mode() {
        return Err(fail!("fileMode: file type bits (S_IFMT) of another type than `type`'s"));
    }
    let file_mode = file_mode.map(|mode| mode & 0o7777);
    let d = Device { path, kind, major, minor, file_mode, uid, gid, source: None, access: 0 };
    m.c.devices.push(d).map_err(|_| fail!("too many devices (at most 512)"))
}
