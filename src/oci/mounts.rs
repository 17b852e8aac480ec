//! `mounts`, onto the mount kinds the description has today (proc, sysfs,
//! mqueue, cgroup, tmpfs, bind, and nsinit's `/dev`). A mount is taken
//! when its kind makes at least what its options ask (a kind may add
//! `nosuid`, `nodev`, `noexec`); an option the kind cannot honour is an
//! error naming it, never dropped.

use super::json::Json;
use super::{Fail, Map, absolute, unsupported};
use crate::config::{Mount, MountKind};
use crate::sys::ZStr;

/// Flags as the options name them: the bits below.
const RO: u8 = 1;
const NOSUID: u8 = 2;
const NODEV: u8 = 4;
const NOEXEC: u8 = 8;
const STRICTATIME: u8 = 16;

/// Option words and the flag each sets or clears (`true`: clears).
const FLAG_WORDS: [(&[u8], u8, bool); 9] = [
    (b"ro", RO, false),
    (b"rw", RO, true),
    (b"nosuid", NOSUID, false),
    (b"suid", NOSUID, true),
    (b"nodev", NODEV, false),
    (b"dev", NODEV, true),
    (b"noexec", NOEXEC, false),
    (b"exec", NOEXEC, true),
    (b"strictatime", STRICTATIME, false),
];

/// Options that ask for the kernel's default: nothing to do.
const DEFAULT_WORDS: [&[u8]; 5] = [b"relatime", b"async", b"atime", b"diratime", b"nomand"];

/// The other option words of the spec (runc's and crun's lists): known,
/// but not expressible in the description yet. One string, not a table of
/// slices: a table would be 16 bytes a word more.
const OTHER_WORDS: &str = "bind sync dirsync remount mand noatime nodiratime norelatime nostrictatime nosymfollow \
symfollow private rprivate shared rshared slave rslave unbindable runbindable rro rrw rnosuid rsuid rnodev rdev \
rnoexec rexec rnodiratime rdiratime rrelatime rnorelatime ratime rnoatime rstrictatime rnostrictatime \
rnosymfollow rsymfollow idmap ridmap tmpcopyup";

fn other_word(w: &[u8]) -> bool {
    OTHER_WORDS.split(' ').any(|o| o.as_bytes() == w)
}

/// How one kind makes its mount: the flags it always sets, those it sets
/// when asked, and the filesystem data it takes (exact words, or `size=`
/// and `mode=` read into the mount).
struct Kind {
    forced: u8,
    optional: u8,
    data: &'static [&'static [u8]],
}

const FIXED: Kind = Kind { forced: NOSUID | NODEV | NOEXEC, optional: 0, data: &[] };
const READ_ONLY_OPTIONAL: Kind = Kind { forced: NOSUID | NODEV | NOEXEC, optional: RO, data: &[] };
const TMPFS: Kind = Kind { forced: NOSUID | NODEV, optional: RO, data: &[] };
const BIND: Kind = Kind { forced: 0, optional: RO | NODEV, data: &[] };
/// nsinit's `/dev` is runc's: a tmpfs, `mode=755,size=65536k`, with
/// `/dev/pts` and `/dev/shm` (below) made inside it.
const DEV: Kind = Kind { forced: NOSUID | NODEV | STRICTATIME, optional: 0, data: &[b"mode=755", b"size=65536k"] };
const DEV_PTS: Kind =
    Kind { forced: NOSUID | NOEXEC, optional: 0, data: &[b"newinstance", b"ptmxmode=0666", b"mode=0620", b"gid=5"] };
const DEV_SHM: Kind = Kind { forced: NOSUID | NODEV | NOEXEC, optional: 0, data: &[b"mode=1777", b"size=65536k"] };

/// `mounts`, in order.
pub fn mounts(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    j.array(|j, _| mount(j, m))
}

fn mount(j: &mut Json<'static>, m: &mut Map<'_>) -> Result<(), Fail> {
    let (mut destination, mut fstype, mut source): (Option<ZStr<'static>>, Option<ZStr<'static>>, Option<ZStr<'static>>) =
        (None, None, None);
    let mut words: heapless::Vec<ZStr<'static>, 32> = heapless::Vec::new();
    j.object(|j, key| match key {
        b"destination" => {
            destination = Some(absolute(j)?);
            Ok(())
        }
        b"type" => {
            fstype = Some(j.string()?);
            Ok(())
        }
        b"source" => {
            source = Some(j.string()?);
            Ok(())
        }
        b"options" => j.array(|j, _| {
            let word = j.string()?;
            // A word that is no option of the spec's and no filesystem's
            // `key=value` (nor devpts' `newinstance`) is a typo.
            let w = word.bytes();
            let known = FLAG_WORDS.iter().any(|(name, _, _)| *name == w)
                || DEFAULT_WORDS.contains(&w)
                || other_word(w)
                || matches!(w, b"rbind" | b"newinstance")
                || w.contains(&b'=');
            if !known {
                return Err(Fail::new("unknown mount option").with_detail(w));
            }
            words.push(word).map_err(|_| Fail::new("too many options (at most 32)"))
        }),
        b"uidMappings" | b"gidMappings" => unsupported(j),
        _ => j.skip(),
    })?;
    let destination = destination.ok_or_else(|| Fail::new("destination: missing (required)"))?;
    let fstype = fstype.map_or(&b""[..], |t| t.bytes());
    let dst = destination.bytes();
    let binds = words.iter().any(|w| matches!(w.bytes(), b"bind" | b"rbind"));
    let (kind, rules) = match fstype {
        _ if binds || fstype == b"bind" => (Some(MountKind::Bind), &BIND),
        b"proc" => (Some(MountKind::Proc), &FIXED),
        b"sysfs" => (Some(MountKind::Sysfs), &READ_ONLY_OPTIONAL),
        b"mqueue" => (Some(MountKind::Mqueue), &FIXED),
        b"cgroup" | b"cgroup2" => (Some(MountKind::Cgroup), &READ_ONLY_OPTIONAL),
        b"tmpfs" if dst == b"/dev" => (Some(MountKind::Dev), &DEV),
        // Made with the `/dev` above.
        b"tmpfs" if dst == b"/dev/shm" && m.dev => (None, &DEV_SHM),
        b"devpts" if dst == b"/dev/pts" && m.dev => (None, &DEV_PTS),
        b"tmpfs" => (Some(MountKind::Tmpfs), &TMPFS),
        _ => return Err(Fail::new("mount type not supported (yet) at this destination").with_detail(fstype)),
    };
    let mut mount = kind.map(|k| Mount::new(k, destination));
    let (mut set, mut cleared) = (0u8, 0u8);
    for word in &words {
        let w = word.bytes();
        let bad = |what| Err::<(), Fail>(Fail::new(what).with_detail(w));
        if let Some(&(_, flag, clears)) = FLAG_WORDS.iter().find(|(name, _, _)| *name == w) {
            let (on, off) = if clears { (&mut cleared, &mut set) } else { (&mut set, &mut cleared) };
            *on |= flag;
            *off &= !flag;
        } else if DEFAULT_WORDS.contains(&w) || (w == b"rbind" && kind == Some(MountKind::Bind)) || rules.data.contains(&w) {
            // Done by default, or by the kind itself.
        } else if let (Some(mount), Some(size)) = (mount.as_mut().filter(|m| m.kind == MountKind::Tmpfs), w.strip_prefix(b"size=")) {
            mount.size = Some(crate::config::parse_size(size).ok_or_else(|| Fail::new("expected size=BYTES (K, M, G)").with_detail(w))?);
        } else if let (Some(mount), Some(mode)) = (mount.as_mut().filter(|m| m.kind == MountKind::Tmpfs), w.strip_prefix(b"mode=")) {
            let octal = crate::config::parse_octal(mode).filter(|m| *m <= 0o7777);
            mount.mode = Some(octal.ok_or_else(|| Fail::new("expected mode=OCTAL").with_detail(w))?);
        } else if other_word(w) {
            bad("mount option not supported (yet) for this mount")?;
        } else {
            bad("filesystem data not supported (yet) for this mount")?;
        }
    }
    if let Some(flag) = first_bit(cleared & rules.forced) {
        return Err(Fail::new("option not supported (yet): nsinit's mount of this type sets").with_detail(flag_word(flag)));
    }
    if let Some(flag) = first_bit(set & !(rules.forced | rules.optional)) {
        return Err(Fail::new("option not supported (yet) for this mount type").with_detail(flag_word(flag)));
    }
    let Some(mut mount) = mount else { return Ok(()) };
    if mount.kind == MountKind::Dev {
        m.dev = true;
    }
    mount.readonly = set & RO != 0;
    if mount.kind == MountKind::Bind {
        let src = source.filter(|s| !s.bytes().is_empty()).ok_or_else(|| Fail::new("source: missing (required for a bind mount)"))?;
        // Relative to the bundle, as runc takes it.
        mount.source = Some(if src.bytes().first() == Some(&b'/') { src } else { m.arena.join(m.dir, src.bytes())? });
    }
    m.c.mounts.push(mount).map_err(|_| Fail::new("too many mounts (at most 64)"))
}

fn first_bit(bits: u8) -> Option<u8> {
    (bits != 0).then(|| 1 << bits.trailing_zeros())
}

fn flag_word(flag: u8) -> &'static [u8] {
    FLAG_WORDS.iter().find(|(_, f, clears)| *f == flag && !clears).map_or(b"?", |(w, _, _)| w)
}
