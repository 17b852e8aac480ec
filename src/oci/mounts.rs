//! `mounts`, in order, onto the general mount of the description
//! (`config::Mount`): the type as named, each option word through the one
//! table the command line uses too (`config::mount_option`), filesystem
//! words (`key=value`, and a few known flags such as devpts'
//! `newinstance`) as the filesystem's data. runc's `/dev` (a tmpfs with
//! its options, and `/dev/pts` and `/dev/shm` as it writes them) is
//! nsinit's `/dev` preset, which makes the three and the default devices;
//! any other `/dev`, or none, gets the spec's default devices made in it.
//! `tmpcopyup` (runc's, which podman asks for its `--read-only` tmpfs
//! mounts) copies the image's files at a tmpfs's destination into it.
//! `idmap` and `ridmap` make an idmapped bind, with the mount's own
//! `uidMappings` and `gidMappings` (both, which alone make it `idmap`, as
//! runc and crun read them) or else the container's.

use super::json::Json;
use super::{Fail, Map, absolute, optional};
use crate::config::{Idmap, Mount, MountKind, MountMaps, MountOptions, mount_option};
use crate::sys::ZStr;
use crate::text::listed;
use linux_raw_sys::general::{MS_BIND, MS_REMOUNT};

/// Option words that are no `mount_option` but a filesystem's own flag,
/// passed as data. Any other word without `=` is taken for a typo.
const FS_FLAGS: &str = "newinstance nsdelegate memory_recursiveprot userxattr noswap favordynmods";

/// runc spec's `/dev`, `/dev/pts` and `/dev/shm`, as options: what nsinit's
/// `/dev` preset makes exactly.
const DEV: &str = "nosuid strictatime mode=755 size=65536k";
const DEV_PTS: &str = "nosuid noexec newinstance ptmxmode=0666 mode=0620 gid=5";
const DEV_SHM: &str = "nosuid noexec nodev mode=1777 size=65536k";

/// `mounts`, in order.
pub fn mounts(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    j.array(|j, _| mount(j, m))?;
    // Without nsinit's /dev, the spec's default devices are made in
    // whatever /dev the container has (the image's, or a mount's).
    m.c.default_devices = !m.dev;
    Ok(())
}

#[inline(never)]
fn mount(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    let (mut destination, mut fstype, mut source): (Option<ZStr<'static>>, Option<ZStr<'static>>, Option<ZStr<'static>>) =
        (None, None, None);
    let mut words: heapless::Vec<ZStr<'static>, 32> = heapless::Vec::new();
    let mut maps = MountMaps { uid: heapless::Vec::new(), gid: heapless::Vec::new() };
    let mut copy_up = false;
    j.object(|j, key| crate::by_key!(key,
        "destination" => {
            destination = Some(absolute(j)?);
            Ok(())
        },
        "type" => {
            fstype = optional(j)?;
            Ok(())
        },
        "source" => {
            source = Some(j.string()?);
            Ok(())
        },
        "options" => j.array(|j, _| {
            let word = j.string()?;
            let w = word.bytes();
            if w == b"tmpcopyup" {
                copy_up = true;
                return Ok(());
            }
            if mount_option(w).is_none() && !w.contains(&b'=') && !listed(w, FS_FLAGS) && !listed(w, "idmap ridmap") {
                return Err(fail!("unknown mount option", w));
            }
            words.push(word).map_err(|_| fail!("too many options (at most 32)"))
        }),
        "uidMappings" => j.array(|j, _| super::linux::id_map(j, &mut maps.uid)),
        "gidMappings" => j.array(|j, _| super::linux::id_map(j, &mut maps.gid)),
        _ => j.skip(),
    ))?;
    let destination = destination.ok_or_else(|| fail!("destination: missing (required)"))?;
    let kind = fstype.map_or(&b""[..], |t| t.bytes());
    let dst = destination.bytes();
    // runc's mount of type `t` on `d` with options from `set` only.
    let runcs = |t: &[u8], d: &[u8], set: &str| kind == t && dst == d && words.iter().all(|w| listed(w.bytes(), set));
    if runcs(b"tmpfs", b"/dev", DEV) {
        m.dev = true;
        return m.c.mounts.push(Mount::new(MountKind::Dev, destination)).map_err(|_| fail!("too many mounts (at most 64)"));
    }
    // Made with the /dev above.
    if m.dev && (runcs(b"devpts", b"/dev/pts", DEV_PTS) || runcs(b"tmpfs", b"/dev/shm", DEV_SHM)) {
        return Ok(());
    }
    let mut mount = match fstype {
        Some(t) => Mount::of_type(t, destination),
        None => Mount::new(MountKind::Other, destination),
    };
    mount.source = source.filter(|s| !s.bytes().is_empty());
    if copy_up && kind != b"tmpfs" {
        return Err(fail!("tmpcopyup: for a tmpfs only, not", kind));
    }
    mount.copy_up = copy_up;
    mount.own_cgroups = mount.kind == MountKind::Cgroup;
    let mut options = MountOptions::new();
    for word in &words {
        options.word(&mut mount, word.bytes()).map_err(|what| Fail::about(what, word.bytes()))?;
    }
    if !options.data().is_empty() {
        mount.data = Some(m.arena.put(&[options.data()])?);
    }
    if !maps.uid.is_empty() || !maps.gid.is_empty() {
        if maps.uid.is_empty() || maps.gid.is_empty() {
            return Err(fail!("uidMappings and gidMappings: expected both, or neither"));
        }
        let recursive = mount.idmap.is_some_and(|i| i.recursive);
        mount.idmap = Some(Idmap { recursive, maps: Some(m.c.mount_maps.len() as u8) });
        m.c.mount_maps.push(maps).map_err(|_| fail!("too many mounts with maps of their own (at most 16)"))?;
    }
    mount.check_idmap().map_err(Fail::new)?;
    if mount.flags & linux_raw_sys::general::MS_BIND != 0 {
        let src = mount.source.ok_or_else(|| fail!("source: missing (required for a bind mount)"))?;
        // Relative to the bundle, as runc takes it.
        if src.bytes().first() != Some(&b'/') {
            mount.source = Some(m.arena.join(m.dir, src.bytes())?);
        }
    } else if mount.fstype.is_none() {
        return Err(fail!("type: missing (required unless the options bind)"));
    }
    m.c.mounts.push(mount).map_err(|_| fail!("too many mounts (at most 64)"))
}

/// `linux.mountLabel`, when SELinux is `enabled` on the host: the data of
/// each filesystem the container mounts gets `context="LABEL"` (after a
/// comma when it has some), as runc's `label.FormatMountLabel` and crun
/// write it; not the filesystems whose files the kernel labels itself or
/// runc labels otherwise (proc, sysfs, mqueue, cgroup), nor binds (the
/// kernel ignores a bind's data), nor nsinit's own `/dev`. Without
/// SELinux the label changes nothing, as in runc and crun.
pub fn label_mounts(m: &mut Map<'_>, enabled: bool) -> Result<(), Fail> {
    let Some(label) = m.c.mount_label.filter(|_| enabled) else { return Ok(()) };
    let own_labels = |t: &[u8]| matches!(t, b"proc" | b"sysfs" | b"mqueue" | b"cgroup" | b"cgroup2");
    for mount in m.c.mounts.iter_mut() {
        let labelled = match mount.kind {
            MountKind::Tmpfs => true,
            MountKind::Other => mount.flags & (MS_BIND | MS_REMOUNT) == 0 && !mount.fstype.is_some_and(|t| own_labels(t.bytes())),
            _ => false,
        };
        if labelled {
            let comma: &[u8] = if mount.data.is_some() { b"," } else { b"" };
            let data = mount.data.map_or(&b""[..], |d| d.bytes());
            mount.data = Some(m.arena.put(&[data, comma, b"context=\"", label.bytes(), b"\""])?);
        }
    }
    Ok(())
}
