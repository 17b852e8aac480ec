//! The general mount: mount(8)'s option words, as OCI's `mounts[].options`
//! takes them, in one table that every front end (the command line's
//! `--mount`, the config file, `config.json`) applies the same way.

use super::{Idmap, Mount, MountKind, MountMaps, PathRoom};
use crate::sys::ZStr;
use linux_raw_sys::general::{
    MOUNT_ATTR__ATIME, MOUNT_ATTR_NOATIME, MOUNT_ATTR_NODEV, MOUNT_ATTR_NODIRATIME, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOSUID,
    MOUNT_ATTR_NOSYMFOLLOW, MOUNT_ATTR_RDONLY, MOUNT_ATTR_RELATIME, MOUNT_ATTR_STRICTATIME, MS_BIND, MS_DIRSYNC, MS_LAZYTIME,
    MS_MANDLOCK, MS_NOATIME, MS_NODEV, MS_NODIRATIME, MS_NOEXEC, MS_NOSUID, MS_NOSYMFOLLOW, MS_PRIVATE, MS_RDONLY, MS_REC,
    MS_RELATIME, MS_REMOUNT, MS_SHARED, MS_SLAVE, MS_STRICTATIME, MS_SYNCHRONOUS, MS_UNBINDABLE,
};

/// Most bytes of one mount's filesystem data, NUL included: mount(2)
/// copies one page of it.
pub const MOUNT_DATA_MAX: usize = 4096;

/// What one mount option word does to a `Mount`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MountOption {
    /// Sets these `MS_*` flags (`ro`, `nosuid`, `bind`, `rbind`, ...).
    Set(u32),
    /// Clears them (`rw`, `suid`, `dev`, ...).
    Clear(u32),
    /// The mount's propagation, `MS_REC` with it for the `r` words.
    Propagation(u32),
    /// Sets this `MOUNT_ATTR_*` on the whole tree (`rro`, `rnosuid`, ...).
    SetRecursive(u32),
    /// Clears it on the whole tree (`rrw`, `rsuid`, ...).
    ClearRecursive(u32),
}

use MountOption::{Clear, ClearRecursive, Propagation, Set, SetRecursive};

/// mount(8)'s words (its FILESYSTEM-INDEPENDENT MOUNT OPTIONS), with the
/// propagation and recursive (`mount_setattr`) words the OCI runtime spec
/// adds to them (runtime-spec `config-linux.md`, "Mounts"; runc's and
/// crun's tables hold the same). Read at compile time only: the binary
/// holds it packed (`NAMES`, `EFFECTS`).
const MOUNT_OPTIONS: [(&str, MountOption); 55] = [
    ("defaults", Set(0)),
    ("ro", Set(MS_RDONLY)),
    ("rw", Clear(MS_RDONLY)),
    ("nosuid", Set(MS_NOSUID)),
    ("suid", Clear(MS_NOSUID)),
    ("nodev", Set(MS_NODEV)),
    ("dev", Clear(MS_NODEV)),
    ("noexec", Set(MS_NOEXEC)),
    ("exec", Clear(MS_NOEXEC)),
    ("sync", Set(MS_SYNCHRONOUS)),
    ("async", Clear(MS_SYNCHRONOUS)),
    ("dirsync", Set(MS_DIRSYNC)),
    ("remount", Set(MS_REMOUNT)),
    ("mand", Set(MS_MANDLOCK)),
    ("nomand", Clear(MS_MANDLOCK)),
    ("noatime", Set(MS_NOATIME)),
    ("atime", Clear(MS_NOATIME)),
    ("nodiratime", Set(MS_NODIRATIME)),
    ("diratime", Clear(MS_NODIRATIME)),
    ("relatime", Set(MS_RELATIME)),
    ("norelatime", Clear(MS_RELATIME)),
    ("strictatime", Set(MS_STRICTATIME)),
    ("nostrictatime", Clear(MS_STRICTATIME)),
    ("lazytime", Set(MS_LAZYTIME)),
    ("nolazytime", Clear(MS_LAZYTIME)),
    ("nosymfollow", Set(MS_NOSYMFOLLOW)),
    ("symfollow", Clear(MS_NOSYMFOLLOW)),
    ("bind", Set(MS_BIND)),
    ("rbind", Set(MS_BIND | MS_REC)),
    ("private", Propagation(MS_PRIVATE)),
    ("rprivate", Propagation(MS_PRIVATE | MS_REC)),
    ("shared", Propagation(MS_SHARED)),
    ("rshared", Propagation(MS_SHARED | MS_REC)),
    ("slave", Propagation(MS_SLAVE)),
    ("rslave", Propagation(MS_SLAVE | MS_REC)),
    ("unbindable", Propagation(MS_UNBINDABLE)),
    ("runbindable", Propagation(MS_UNBINDABLE | MS_REC)),
    ("rro", SetRecursive(MOUNT_ATTR_RDONLY)),
    ("rrw", ClearRecursive(MOUNT_ATTR_RDONLY)),
    ("rnosuid", SetRecursive(MOUNT_ATTR_NOSUID)),
    ("rsuid", ClearRecursive(MOUNT_ATTR_NOSUID)),
    ("rnodev", SetRecursive(MOUNT_ATTR_NODEV)),
    ("rdev", ClearRecursive(MOUNT_ATTR_NODEV)),
    ("rnoexec", SetRecursive(MOUNT_ATTR_NOEXEC)),
    ("rexec", ClearRecursive(MOUNT_ATTR_NOEXEC)),
    ("rnodiratime", SetRecursive(MOUNT_ATTR_NODIRATIME)),
    ("rdiratime", ClearRecursive(MOUNT_ATTR_NODIRATIME)),
    ("rrelatime", SetRecursive(MOUNT_ATTR_RELATIME)),
    ("rnorelatime", ClearRecursive(MOUNT_ATTR_RELATIME)),
    ("rnoatime", SetRecursive(MOUNT_ATTR_NOATIME)),
    ("ratime", ClearRecursive(MOUNT_ATTR_NOATIME)),
    ("rstrictatime", SetRecursive(MOUNT_ATTR_STRICTATIME)),
    ("rnostrictatime", ClearRecursive(MOUNT_ATTR_STRICTATIME)),
    ("rnosymfollow", SetRecursive(MOUNT_ATTR_NOSYMFOLLOW)),
    ("rsymfollow", ClearRecursive(MOUNT_ATTR_NOSYMFOLLOW)),
];

/// What the mount option `word` does, from the one table of mount(8)'s
/// and the OCI runtime spec's words; `None` for every other word, which
/// goes to the filesystem as data (`size=1M`, `mode=755`, `newinstance`).
/// A front end applies a word with `Mount::apply` when this knows it, and
/// adds it to the mount's data otherwise (`MountOptions` does both).
pub fn mount_option(word: &[u8]) -> Option<MountOption> {
    let code = *EFFECTS.get(crate::text::find(word, &NAMES).ok()?)?;
    let value = code & VALUE;
    Some(match code >> 29 {
        0 => Set(value),
        1 => Clear(value),
        2 => Propagation(value),
        3 => SetRecursive(value),
        _ => ClearRecursive(value),
    })
}

/// Calls `f` with each mount option word, in the table's order (the
/// lifecycle's `features`).
#[cfg(feature = "oci")]
pub fn each_mount_option(mut f: impl FnMut(&'static [u8])) {
    let names: &'static [u8] = &NAMES;
    let mut at = 0;
    while let Some(&len) = names.get(at) {
        let len = usize::from(len);
        f(names.get(at + 1..at + 1 + len).unwrap_or_default());
        at += 1 + len;
    }
}

/// An effect packed in `EFFECTS`: its kind in the top three bits, its
/// flags (all below bit 29) in the rest.
const VALUE: u32 = (1 << 29) - 1;

/// `MOUNT_OPTIONS`' names, packed for `text::find`: each after a byte
/// with its length.
const NAMES: [u8; names_len()] = {
    let mut names = [0u8; names_len()];
    let (mut i, mut at) = (0, 0);
    while i < MOUNT_OPTIONS.len() {
        let name = MOUNT_OPTIONS[i].0.as_bytes();
        assert!(name.len() < crate::text::ALTERNATIVE as usize);
        names[at] = name.len() as u8;
        at += 1;
        let mut j = 0;
        while j < name.len() {
            names[at] = name[j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    names
};

/// `MOUNT_OPTIONS`' effects, in the same order, packed (`VALUE`).
const EFFECTS: [u32; MOUNT_OPTIONS.len()] = {
    let mut effects = [0; MOUNT_OPTIONS.len()];
    let mut i = 0;
    while i < MOUNT_OPTIONS.len() {
        let (kind, value) = match MOUNT_OPTIONS[i].1 {
            Set(v) => (0, v),
            Clear(v) => (1, v),
            Propagation(v) => (2, v),
            SetRecursive(v) => (3, v),
            ClearRecursive(v) => (4, v),
        };
        assert!(value & !VALUE == 0, "a flag above bit 28");
        effects[i] = kind << 29 | value;
        i += 1;
    }
    effects
};

const fn names_len() -> usize {
    let (mut i, mut len) = (0, 0);
    while i < MOUNT_OPTIONS.len() {
        len += MOUNT_OPTIONS[i].0.len() + 1;
        i += 1;
    }
    len
}

impl<'a> Mount<'a> {
    /// A mount of the filesystem type `fstype` (OCI's `type`, mount(8)'s
    /// `-t`) on `destination`, no flag set: `sysfs` and `cgroup` are the
    /// presets of that name (their fallbacks and the container's cgroup
    /// view), `bind` (or `none` with a `bind` option) a bind, anything
    /// else mounted as it is named.
    pub fn of_type(fstype: ZStr<'a>, destination: ZStr<'a>) -> Mount<'a> {
        let mut m = Mount::new(MountKind::Other, destination);
        m.set_type(fstype);
        m
    }

    /// Makes it a mount of `fstype`, as `of_type` does, keeping the flags.
    pub fn set_type(&mut self, fstype: ZStr<'a>) {
        let which = super::which(fstype.bytes(), "sysfs cgroup bind");
        self.kind = match which {
            Some(0) => MountKind::Sysfs,
            Some(1) => MountKind::Cgroup,
            _ => MountKind::Other,
        };
        self.fstype = Some(fstype);
        if which == Some(2) {
            self.flags |= MS_BIND;
        }
    }

    /// Applies one option: a later word overrides an earlier one on the
    /// same flag, as mount(8) reads them.
    #[inline(never)]
    pub fn apply(&mut self, option: MountOption) {
        match option {
            Set(flags) => {
                self.flags |= flags;
                self.cleared &= !flags;
            }
            Clear(flags) => {
                self.flags &= !flags;
                self.cleared |= flags;
            }
            Propagation(flags) => self.propagation = flags,
            SetRecursive(attr) => {
                self.attr_set |= attr;
                self.attr_clr &= !attr;
                // The atime modes are one field: set, it replaces the others.
                if attr & MOUNT_ATTR__ATIME == attr {
                    self.attr_set &= !MOUNT_ATTR__ATIME | attr;
                    self.attr_clr |= MOUNT_ATTR__ATIME;
                }
            }
            ClearRecursive(attr) => {
                self.attr_set &= !attr;
                self.attr_clr |= attr;
            }
        }
    }
}

impl Mount<'_> {
    /// Refuses `idmap` or `ridmap` on anything but a bind, as runc does:
    /// only an existing tree can be seen through other maps.
    pub fn check_idmap(&self) -> Result<(), &'static str> {
        match self.idmap {
            Some(_) if self.flags & (MS_BIND | MS_REMOUNT) != MS_BIND => Err("idmap and ridmap are for a bind mount (bind or rbind)"),
            _ => Ok(()),
        }
    }
}

impl super::Container<'_> {
    /// Adds an idmapped mount's own maps, given as podman's and crun's
    /// `--mount ...,idmap=` spell them, `uids=IN-OUT-COUNT[#IN-OUT-COUNT...];gids=...`:
    /// each line as a user namespace's map (and OCI's `containerID`,
    /// `hostID`, `size`), both maps given. Returns their index in
    /// `mount_maps`.
    #[cold]
    #[inline(never)]
    pub fn push_mount_maps(&mut self, value: &[u8]) -> Result<u8, &'static str> {
        const USAGE: &str = "expected idmap=uids=IN-OUT-COUNT[#...];gids=IN-OUT-COUNT[#...]";
        let index = self.mount_maps.len() as u8;
        self.mount_maps.push(MountMaps { uid: heapless::Vec::new(), gid: heapless::Vec::new() })
            .map_err(|_| "too many mounts with maps of their own (at most 16)")?;
        let maps = self.mount_maps.last_mut().ok_or(USAGE)?;
        for part in value.split(|&c| c == b';') {
            let (map, lines) = match part.split_at_checked(5) {
                Some((b"uids=", lines)) => (&mut maps.uid, lines),
                Some((b"gids=", lines)) => (&mut maps.gid, lines),
                _ => return Err(USAGE),
            };
            for line in lines.split(|&c| c == b'#') {
                map.push(super::options::parse_id_line(line, b'-').ok_or(USAGE)?).map_err(|_| "too many map lines (at most 8)")?;
            }
        }
        if maps.uid.is_empty() || maps.gid.is_empty() {
            return Err(USAGE);
        }
        Ok(index)
    }
}

/// A mount's option words as a front end reads them, one at a time: each
/// is applied to the mount (`mount_option`, `Mount::apply`), or added to
/// its filesystem data, which `finish` copies into the parser's room.
pub struct MountOptions {
    data: heapless::Vec<u8, MOUNT_DATA_MAX>,
}

impl Default for MountOptions {
    fn default() -> Self {
        MountOptions::new()
    }
}

impl MountOptions {
    pub const fn new() -> MountOptions {
        MountOptions { data: heapless::Vec::new() }
    }

    /// Applies `word` to `m`, or adds it to the data, after a comma.
    /// Error: the data grew over `MOUNT_DATA_MAX` (NUL included).
    #[inline(never)]
    pub fn word(&mut self, m: &mut Mount<'_>, word: &[u8]) -> Result<(), &'static str> {
        if let Some(option) = mount_option(word) {
            m.apply(option);
            return Ok(());
        }
        if let Some(r) = super::which(word, "idmap ridmap") {
            m.idmap = Some(Idmap { recursive: r == 1, maps: m.idmap.and_then(|i| i.maps) });
            return Ok(());
        }
        let comma: &[u8] = if self.data.is_empty() { b"" } else { b"," };
        if self.data.len() + comma.len() + word.len() >= MOUNT_DATA_MAX {
            return Err("filesystem data too long (at most 4095 bytes)");
        }
        let _ = self.data.extend_from_slice(comma);
        let _ = self.data.extend_from_slice(word);
        Ok(())
    }

    /// Sets the data on `m`, copied into `room` (none when no word was
    /// data). Error: the room is full.
    /// The filesystem data gathered so far, comma-joined.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub fn finish<'a>(&self, m: &mut Mount<'a>, room: &mut PathRoom<'a>) -> Result<(), &'static str> {
        if !self.data.is_empty() {
            m.data = Some(room.join(&[&self.data]).map_err(|_| "paths and mount data too long in all (at most 64 KiB)")?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_of_the_spec_is_known_once() {
        let spec = "bind rbind ro rw nosuid suid nodev dev noexec exec sync async dirsync remount mand nomand atime noatime \
                    diratime nodiratime relatime norelatime strictatime nostrictatime nosymfollow private rprivate shared \
                    rshared slave rslave unbindable runbindable rro rrw rnosuid rsuid rnodev rdev rnoexec rexec rnoatime ratime \
                    rrelatime rnorelatime rstrictatime rnostrictatime rnodiratime rdiratime rnosymfollow rsymfollow";
        for word in spec.split_whitespace() {
            assert!(mount_option(word.as_bytes()).is_some(), "{word}");
        }
        for (i, (name, _)) in MOUNT_OPTIONS.iter().enumerate() {
            assert!(!MOUNT_OPTIONS[i + 1..].iter().any(|(other, _)| other == name), "{name} twice");
        }
        for data in ["size=1M", "mode=755", "newinstance", "ptmxmode=0666", "gid=5", "RO", "ro ", ""] {
            assert_eq!(mount_option(data.as_bytes()), None, "{data}");
        }
    }

    fn with(words: &[&str]) -> Mount<'static> {
        let mut m = Mount::of_type(ZStr::new(c"tmpfs"), ZStr::new(c"/x"));
        for w in words {
            m.apply(mount_option(w.as_bytes()).unwrap());
        }
        m
    }

    #[test]
    fn the_last_word_on_a_flag_wins() {
        let m = with(&["ro", "nosuid", "rw"]);
        assert_eq!((m.flags, m.cleared), (MS_NOSUID, MS_RDONLY));
        let m = with(&["rw", "ro"]);
        assert_eq!((m.flags, m.cleared), (MS_RDONLY, 0));
        assert_eq!(with(&["rbind"]).flags, MS_BIND | MS_REC);
        assert_eq!(with(&["shared", "rslave"]).propagation, MS_SLAVE | MS_REC);
    }

    #[test]
    fn recursive_attributes_set_and_clear_and_atime_is_one_field() {
        let m = with(&["rro", "rnosuid", "rsuid"]);
        assert_eq!((m.attr_set, m.attr_clr), (MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID));
        let m = with(&["rnoatime"]);
        assert_eq!((m.attr_set, m.attr_clr), (MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME));
        let m = with(&["rnoatime", "rstrictatime"]);
        assert_eq!((m.attr_set, m.attr_clr), (MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME));
        let m = with(&["rstrictatime", "rrelatime"]);
        assert_eq!((m.attr_set, m.attr_clr), (MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME));
    }

    #[test]
    fn types_pick_their_preset() {
        let dst = ZStr::new(c"/x");
        assert_eq!(Mount::of_type(ZStr::new(c"sysfs"), dst).kind, MountKind::Sysfs);
        assert_eq!(Mount::of_type(ZStr::new(c"cgroup"), dst).kind, MountKind::Cgroup);
        let m = Mount::of_type(ZStr::new(c"bind"), dst);
        assert_eq!((m.kind, m.flags), (MountKind::Other, MS_BIND));
        let m = Mount::of_type(ZStr::new(c"proc"), dst);
        assert_eq!((m.kind, m.flags, m.fstype.map(|t| t.bytes())), (MountKind::Other, 0, Some(&b"proc"[..])));
    }

    #[test]
    fn other_words_are_the_data_in_order() {
        let room = Box::leak(vec![0u8; 8192].into_boxed_slice());
        let mut room = PathRoom::new(room);
        let mut m = Mount::of_type(ZStr::new(c"tmpfs"), ZStr::new(c"/x"));
        let mut o = MountOptions::new();
        for w in ["size=1M", "ro", "mode=1777", "nr_inodes=5"] {
            o.word(&mut m, w.as_bytes()).unwrap();
        }
        o.finish(&mut m, &mut room).unwrap();
        assert_eq!(m.data.map(|d| d.bytes()), Some(&b"size=1M,mode=1777,nr_inodes=5"[..]));
        assert_eq!(m.flags, MS_RDONLY);
        // No data word: no data.
        let mut n = Mount::of_type(ZStr::new(c"proc"), ZStr::new(c"/proc"));
        let mut o = MountOptions::new();
        o.word(&mut n, b"nosuid").unwrap();
        o.finish(&mut n, &mut room).unwrap();
        assert_eq!(n.data, None);
        // A page at most.
        let mut o = MountOptions::new();
        let long = "x".repeat(4000);
        o.word(&mut n, long.as_bytes()).unwrap();
        assert_eq!(o.word(&mut n, &[b'y'; 95]), Err("filesystem data too long (at most 4095 bytes)"));
        // Nothing fits in a full room.
        let mut small = PathRoom::new(Box::leak(vec![0u8; 8].into_boxed_slice()));
        let mut o = MountOptions::new();
        o.word(&mut n, b"size=123456789").unwrap();
        assert!(o.finish(&mut n, &mut small).is_err());
    }

    #[test]
    fn idmap_words_and_podmans_maps() {
        use crate::config::IdMap;
        let line = |inside, outside, count| IdMap { inside, outside, count };
        let mut c = crate::config::Container::new();
        assert_eq!(c.push_mount_maps(b"uids=0-1000-10#100-5000-2;gids=0-2000-1"), Ok(0));
        assert_eq!(&c.mount_maps[0].uid[..], &[line(0, 1000, 10), line(100, 5000, 2)]);
        assert_eq!(&c.mount_maps[0].gid[..], &[line(0, 2000, 1)]);
        let usage = "expected idmap=uids=IN-OUT-COUNT[#...];gids=IN-OUT-COUNT[#...]";
        for (bad, why) in [
            (&b"uids=0-1000-1"[..], usage),
            (b"gids=0-1-1", usage),
            (b"uids=0-1000;gids=0-1-1", usage),
            (b"uids=0-1000-1-2;gids=0-1-1", usage),
            (b"uids=0-x-1;gids=0-1-1", usage),
            (b"uids=0-4294967296-1;gids=0-1-1", usage),
            (b"uids=0-1-0;gids=0-1-1", usage),
            (b"users=0-1-1", usage),
            (b"uids=0-1-1#1-2-1#2-3-1#3-4-1#4-5-1#5-6-1#6-7-1#7-8-1#8-9-1;gids=0-1-1", "too many map lines (at most 8)"),
        ] {
            assert_eq!(crate::config::Container::new().push_mount_maps(bad).err(), Some(why), "{}", String::from_utf8_lossy(bad));
        }
        let mut m = Mount::of_type(ZStr::new(c"bind"), ZStr::new(c"/x"));
        let mut o = MountOptions::new();
        o.word(&mut m, b"ridmap").unwrap();
        assert_eq!((m.idmap, o.data()), (Some(Idmap { recursive: true, maps: None }), &b""[..]));
        o.word(&mut m, b"idmap").unwrap();
        assert_eq!(m.idmap, Some(Idmap { recursive: false, maps: None }), "the last word wins");
        assert_eq!(m.check_idmap(), Ok(()));
        let mut t = Mount::of_type(ZStr::new(c"tmpfs"), ZStr::new(c"/x"));
        o.word(&mut t, b"idmap").unwrap();
        assert_eq!(t.check_idmap(), Err("idmap and ridmap are for a bind mount (bind or rbind)"));
    }
}
