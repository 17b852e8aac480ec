//! The general mount (issue 13): `--mount type=T,destination=D,...` with
//! any filesystem type, mount(8)'s flags, propagation, recursive
//! attributes (`mount_setattr`) and filesystem data, as `config.json`'s
//! `mounts[]` describe them; `--rootfs-propagation`. Each checked in a
//! real container by the mountinfo the probe prints.

mod harness;
use harness::*;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One line of a mountinfo file, with what `harness::MountEntry` leaves
/// out: the propagation tags (`shared:N`, `master:N`, `unbindable`).
#[derive(Debug)]
struct Mnt {
    point: String,
    opts: Vec<String>,
    tags: Vec<String>,
    fstype: String,
    super_opts: Vec<String>,
}

impl Mnt {
    fn has(&self, opt: &str) -> bool {
        self.opts.iter().any(|o| o == opt)
    }
    fn has_super(&self, opt: &str) -> bool {
        self.super_opts.iter().any(|o| o == opt)
    }
    /// The propagation tags' names: `shared`, `master`, `unbindable`.
    fn propagation(&self) -> Vec<&str> {
        self.tags.iter().map(|t| t.split(':').next().unwrap_or("")).collect()
    }
}

fn parse(text: &str) -> Vec<Mnt> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            let dash = f.iter().position(|w| *w == "-").unwrap_or_else(|| panic!("no ' - ' in {line:?}"));
            let list = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
            Mnt {
                point: f[4].to_string(),
                opts: list(f[5]),
                tags: f[6..dash].iter().map(|t| t.to_string()).collect(),
                fstype: f[dash + 1].to_string(),
                super_opts: list(f.get(dash + 3).unwrap_or(&"")),
            }
        })
        .collect()
}

/// The mounts the probe sees in a container of `r` with `options`.
fn mounts(r: &Rootfs, options: &[&str]) -> Vec<Mnt> {
    let mut args = options.to_vec();
    args.extend([IN_PROBE, "mountinfo"]);
    parse(&ok(r.run(&args)))
}

/// The one mount on `point` (the top one, where mounts are stacked).
fn at<'m>(ms: &'m [Mnt], point: &str) -> &'m Mnt {
    ms.iter().rev().find(|m| m.point == point).unwrap_or_else(|| panic!("no mount on {point}: {ms:#?}"))
}

/// A tmpfs the test mounts on the host (under the test lock, so that no
/// container's before-and-after check sees it come or go), unmounted when
/// dropped.
struct HostMount {
    path: PathBuf,
    /// Made while this thread holds the lock already (a `Running`): taking
    /// it again would wait forever.
    lock_held: bool,
}

impl HostMount {
    fn tmpfs(path: &Path, options: &str) -> HostMount {
        let _lock = serial();
        let mut m = HostMount::tmpfs_locked(path, options);
        m.lock_held = false;
        m
    }

    /// The same, while a `Running` of this thread holds the lock.
    fn tmpfs_locked(path: &Path, options: &str) -> HostMount {
        fs::create_dir_all(path).unwrap();
        sh(&["mount", "-t", "tmpfs", "-o", options, "tmpfs", path.to_str().unwrap()]);
        HostMount { path: path.to_path_buf(), lock_held: true }
    }

    fn make_shared(self) -> HostMount {
        let _lock = serial();
        sh(&["mount", "--make-shared", self.path.to_str().unwrap()]);
        self
    }
}

impl Drop for HostMount {
    fn drop(&mut self) {
        let _lock = if self.lock_held { None } else { Some(serial()) };
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn sh(args: &[&str]) {
    let status = Command::new(args[0]).args(&args[1..]).status().unwrap_or_else(|e| panic!("{args:?}: {e} (needs util-linux's mount)"));
    assert!(status.success(), "{args:?}: {status}");
}

/// A source tree on the host for binds: `DIR/file`, and `DIR/sub` a tmpfs
/// of its own (`sub_options`), shared on the host.
fn source_tree(r: &Rootfs, sub_options: &str) -> (PathBuf, HostMount) {
    let src = r.outside("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("file"), "host\n").unwrap();
    let sub = HostMount::tmpfs(&src.join("sub"), sub_options).make_shared();
    (src, sub)
}

// ---------------------------------------------------------------------------
// Flags, data and types
// ---------------------------------------------------------------------------

#[test]
fn each_flag_word_reaches_its_mount() {
    let r = Rootfs::new("mount-flags");
    // word, where mountinfo shows it (per-mount or superblock), what it shows.
    let cases: &[(&str, bool, &str)] = &[
        ("ro", true, "ro"),
        ("nosuid", true, "nosuid"),
        ("nodev", true, "nodev"),
        ("noexec", true, "noexec"),
        ("noatime", true, "noatime"),
        ("nodiratime", true, "nodiratime"),
        ("relatime", true, "relatime"),
        ("nosymfollow", true, "nosymfollow"),
        ("sync", false, "sync"),
        ("dirsync", false, "dirsync"),
        ("lazytime", false, "lazytime"),
    ];
    let mut args = Vec::new();
    for (word, _, _) in cases {
        args.push("--mount".to_string());
        args.push(format!("type=tmpfs,destination=/m/{word},{word}"));
    }
    args.push("--mount".into());
    args.push("type=tmpfs,destination=/m/plain".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ms = mounts(&r, &args);
    let plain = at(&ms, "/m/plain");
    assert_eq!(plain.fstype, "tmpfs");
    for (word, per_mount, shown) in cases {
        let m = at(&ms, &format!("/m/{word}"));
        let has = if *per_mount { m.has(shown) } else { m.has_super(shown) };
        assert!(has, "{word}: {m:?}");
        let plain_has = if *per_mount { plain.has(shown) } else { plain.has_super(shown) };
        assert!(!plain_has || *word == "relatime" || *word == "nodev", "{word} is not the default: {plain:?}");
    }
    // As mount(8)'s, a new mount takes only the flags given, but nodev
    // (unless `dev`): without a device cgroup, nodes made there must not
    // open (attack13.rs, a_general_mount_is_nodev_unless_it_says_dev).
    assert!(plain.has("rw") && !plain.has("nosuid") && plain.has("nodev") && !plain.has("noexec"), "{plain:?}");
    // strictatime: neither relatime nor noatime.
    let ms = mounts(&r, &["--mount", "type=tmpfs,dst=/s,strictatime"]);
    let s = at(&ms, "/s");
    assert!(!s.has("relatime") && !s.has("noatime"), "{s:?}");
}

#[test]
fn a_later_word_clears_an_earlier_one() {
    let r = Rootfs::new("mount-clear");
    let ms = mounts(
        &r,
        &[
            "--mount", "type=tmpfs,dst=/a,ro,nosuid,nodev,noexec,rw,suid,dev,exec",
            "--mount", "type=tmpfs,dst=/b,noatime,atime,sync,async,nodiratime,diratime,nosymfollow,symfollow",
            "--mount", "type=tmpfs,dst=/c,rw,ro,defaults",
        ],
    );
    let a = at(&ms, "/a");
    assert!(a.has("rw") && !a.has("nosuid") && !a.has("nodev") && !a.has("noexec"), "{a:?}");
    let b = at(&ms, "/b");
    assert!(!b.has("noatime") && !b.has("nodiratime") && !b.has("nosymfollow") && !b.has_super("sync"), "{b:?}");
    assert!(at(&ms, "/c").has("ro"));
}

#[test]
fn data_reaches_the_filesystem_and_unknown_words_are_data() {
    let r = Rootfs::new("mount-data");
    let ms = mounts(&r, &["--mount", "type=tmpfs,destination=/t,size=1M,mode=0711,nr_inodes=100,nosuid"]);
    let t = at(&ms, "/t");
    for opt in ["size=1024k", "mode=711", "nr_inodes=100"] {
        assert!(t.has_super(opt), "{opt}: {t:?}");
    }
    assert!(t.has("nosuid"), "{t:?}");
    // The same reaches the file system: its mode is the directory's.
    let out = ok(r.run(&["--mount", "type=tmpfs,dst=/t,mode=0710,uid=7", IN_PROBE, "stat", "/t"]));
    assert_eq!(out.trim(), "uid=7 gid=0");
    // --tmpfs with --size and --mode, as before.
    let ms = mounts(&r, &["--size", "2M", "--mode", "0700", "--tmpfs", "/u"]);
    let u = at(&ms, "/u");
    assert!(u.has_super("size=2048k") && u.has_super("mode=700") && u.has("nosuid") && u.has("nodev"), "{u:?}");
}

#[test]
fn a_word_the_filesystem_refuses_gives_the_kernels_error_naming_the_mount() {
    let r = Rootfs::new("mount-bad-data");
    let out = r.run(&["--mount", "type=tmpfs,dst=/t,size=1M,bogus=1", IN_PROBE, "pid"]);
    assert_eq!(fails(out, 125), "nsinit: mount tmpfs: EINVAL (Invalid argument) on /t (data 'size=1M,bogus=1')");
    let out = r.run(&["--mount", "type=nosuchfs,dst=/t", IN_PROBE, "pid"]);
    assert_eq!(fails(out, 125), "nsinit: mount nosuchfs: ENODEV (No such device) on /t");
}

#[test]
fn any_filesystem_type_mounts() {
    let r = Rootfs::new("mount-types");
    let ms = mounts(
        &r,
        &[
            "--mount", "type=devpts,destination=/pts,newinstance,ptmxmode=0666,mode=0620,nosuid,noexec",
            "--mount", "type=ramfs,dst=/ram,mode=700",
            "--mount", "type=proc,src=proc,dst=/proc2,nosuid,nodev,noexec",
            "--mount", "type=mqueue,dst=/mq",
        ],
    );
    let pts = at(&ms, "/pts");
    assert_eq!(pts.fstype, "devpts");
    assert!(pts.has_super("ptmxmode=666") && pts.has_super("mode=620") && pts.has("nosuid") && pts.has("noexec"), "{pts:?}");
    let ram = at(&ms, "/ram");
    assert!(ram.fstype == "ramfs" && ram.has_super("mode=700"), "{ram:?}");
    let proc = at(&ms, "/proc2");
    assert!(proc.fstype == "proc" && proc.has("nosuid") && proc.has("noexec"), "{proc:?}");
    assert_eq!(at(&ms, "/mq").fstype, "mqueue");
    // sysfs and cgroup are the presets of that name.
    let ms = mounts(&r, &["--mount", "type=sysfs,dst=/sys2,ro", "--mount", "type=cgroup,dst=/cg,ro,nosuid"]);
    assert!(at(&ms, "/sys2").fstype == "sysfs" && at(&ms, "/sys2").has("ro"));
    assert!(ms.iter().any(|m| m.point == "/cg" || m.point.starts_with("/cg/")), "the cgroup view on /cg: {ms:#?}");
}

#[test]
fn remount_changes_the_mount_already_there() {
    let r = Rootfs::new("mount-remount");
    let ms = mounts(&r, &["--mount", "type=tmpfs,dst=/t,size=1M", "--mount", "type=tmpfs,dst=/t,remount,ro,size=2M"]);
    let t: Vec<_> = ms.iter().filter(|m| m.point == "/t").collect();
    assert_eq!(t.len(), 1, "a remount makes no new mount: {t:?}");
    assert!(t[0].has("ro") && t[0].has_super("size=2048k"), "{t:?}");
    // A bind remount changes the mount's own flags only.
    let ms = mounts(&r, &["--mount", "type=tmpfs,dst=/t", "--mount", "type=none,dst=/t,remount,bind,ro,nosuid"]);
    assert!(at(&ms, "/t").has("ro") && at(&ms, "/t").has("nosuid"));
}

#[test]
fn a_config_file_takes_mount_lines() {
    let r = Rootfs::new("mount-file");
    let conf = r.outside("box.conf");
    write_file(&conf, &format!("rootfs {}\nmount type=tmpfs,dst=/t,size=1M,noexec\nrootfs-propagation unbindable\n", r.root_str()));
    let ms = parse(&ok(r.nsinit(&["--config", conf.to_str().unwrap(), IN_PROBE, "mountinfo"])));
    let t = at(&ms, "/t");
    assert!(t.has("noexec") && t.has_super("size=1024k"), "{t:?}");
    assert_eq!(at(&ms, "/").propagation(), ["unbindable"]);
}

// ---------------------------------------------------------------------------
// Binds
// ---------------------------------------------------------------------------

#[test]
fn bind_is_one_mount_and_rbind_the_tree() {
    let r = Rootfs::new("mount-rbind");
    let (src, _sub) = source_tree(&r, "size=1M");
    let s = src.to_str().unwrap();
    let ms = mounts(
        &r,
        &[
            "--mount", &format!("type=bind,src={s},dst=/one,bind"),
            "--mount", &format!("type=none,src={s},dst=/tree,rbind"),
            // docker's and podman's default: the whole tree.
            "--mount", &format!("type=bind,source={s},target=/docker"),
        ],
    );
    assert!(!ms.iter().any(|m| m.point == "/one/sub"), "bind: no submount {ms:#?}");
    assert_eq!(at(&ms, "/tree/sub").fstype, "tmpfs");
    assert_eq!(at(&ms, "/docker/sub").fstype, "tmpfs");
    // nodev as --bind's, unless `dev` is asked for (attack13.rs).
    assert!(at(&ms, "/tree").has("nodev"), "{:?}", at(&ms, "/tree"));
    let out = ok(r.run(&["--mount", &format!("type=bind,src={s}/file,dst=/f"), IN_PROBE, "cat", "/f"]));
    assert_eq!(out, "host\n");
}

#[test]
fn ro_makes_the_bound_mount_read_only_and_rro_its_submounts_too() {
    let r = Rootfs::new("mount-rro");
    let (src, _sub) = source_tree(&r, "size=1M");
    let s = src.to_str().unwrap();
    let ms = mounts(
        &r,
        &[
            "--mount", &format!("type=bind,src={s},dst=/ro,rbind,ro"),
            "--mount", &format!("type=bind,src={s},dst=/rro,rbind,rro"),
            "--mount", &format!("type=bind,src={s},dst=/rro-rw,rbind,rro,rw"),
            "--mount", &format!("type=bind,src={s},dst=/rnosuid,rbind,rnosuid,rnodev,rnoexec,rnoatime"),
        ],
    );
    // As runc's remount: `ro` is the bound mount's own flag, not its submounts'.
    assert!(at(&ms, "/ro").has("ro") && at(&ms, "/ro/sub").has("rw"), "{ms:#?}");
    assert!(at(&ms, "/rro").has("ro") && at(&ms, "/rro/sub").has("ro"), "{ms:#?}");
    // The recursive attributes come after the mount's own flags, as runc's.
    assert!(at(&ms, "/rro-rw").has("ro") && at(&ms, "/rro-rw/sub").has("ro"), "{ms:#?}");
    for point in ["/rnosuid", "/rnosuid/sub"] {
        let m = at(&ms, point);
        assert!(m.has("nosuid") && m.has("nodev") && m.has("noexec") && m.has("noatime"), "{m:?}");
    }
    // What the container writes there fails: read-only file system.
    let out = r.run(&["--mount", &format!("type=bind,src={s},dst=/rro,rbind,rro"), IN_PROBE, "write", "/rro/sub/x", "y"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /rro/sub/x: EROFS (Read-only file system)\n"));
    // A recursive attribute on a new filesystem.
    let ms = mounts(&r, &["--mount", "type=tmpfs,dst=/t,rnosuid,rro"]);
    assert!(at(&ms, "/t").has("nosuid") && at(&ms, "/t").has("ro"));
}

#[test]
fn idmap_and_ridmap_show_the_bound_files_through_maps() {
    use std::os::unix::fs::MetadataExt;
    let r = Rootfs::new("mount-idmap");
    let (src, _sub) = source_tree(&r, "size=1M");
    fs::write(src.join("sub/h"), "h").unwrap();
    let s = src.to_str().unwrap();
    // podman's and crun's spelling of the mount's own maps: the host's 0
    // is seen as 1000 (gid 2000); with idmap on the top mount alone,
    // with ridmap on the submount too.
    let maps = "uids=0-1000-1;gids=0-2000-1";
    let stat = |mount: String, path: &str| ok(r.run(&["--mount", &mount, IN_PROBE, "stat", path]));
    assert_eq!(stat(format!("type=bind,src={s},dst=/i,idmap={maps}"), "/i/file"), "uid=1000 gid=2000\n");
    assert_eq!(stat(format!("type=bind,src={s},dst=/i,idmap={maps}"), "/i/sub/h"), "uid=0 gid=0\n");
    assert_eq!(stat(format!("type=bind,src={s},dst=/i,ridmap={maps}"), "/i/sub/h"), "uid=1000 gid=2000\n");
    let ms = mounts(&r, &["--mount", &format!("type=bind,src={s},dst=/i,ridmap={maps}"), "--mount", &format!("type=bind,src={s},dst=/t,idmap={maps}")]);
    assert!(at(&ms, "/i").has("idmapped") && at(&ms, "/i/sub").has("idmapped"), "{ms:#?}");
    assert!(at(&ms, "/t").has("idmapped") && !at(&ms, "/t/sub").has("idmapped"), "{ms:#?}");
    // The words alone: the container's user namespace's maps. Its root
    // (the host's 1000) sees the host's root-owned files as its own, and
    // what it makes is stored as the host's 0. On the image's /tmp: that
    // root may not make a mount point in the image.
    let userns = ["--unshare", "user", "--uid-map", "0:1000:1", "--gid-map", "0:1000:1"];
    let in_userns = |mount: &str, args: &[&str]| {
        let mut all = userns.to_vec();
        all.extend(["--mount", mount, IN_PROBE]);
        all.extend(args);
        ok(r.run(&all))
    };
    let idmap = format!("type=bind,src={s},dst=/tmp,idmap");
    assert_eq!(in_userns(&idmap, &["stat", "/tmp/file"]), "uid=0 gid=0\n");
    in_userns(&idmap, &["write", "/tmp/made", "x"]);
    let made = fs::metadata(src.join("made")).unwrap();
    assert_eq!((made.uid(), made.gid()), (0, 0), "made by the container's root, stored as the host's 0");
    // Without idmap, the host's root's directory is nobody's there, and
    // closed to that root.
    let plain = format!("type=bind,src={s},dst=/tmp");
    assert_eq!(in_userns(&plain, &["stat", "/tmp/file"]), "uid=65534 gid=65534\n");
    let mut args = userns.to_vec();
    args.extend(["--mount", &plain, IN_PROBE, "write", "/tmp/plain", "x"]);
    let out = r.run(&args);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /tmp/plain: EACCES (Permission denied)\n"));
    // Bad input: one line, 125.
    for (mount, want) in [
        (format!("type=bind,src={s},dst=/x,idmap"), "nsinit: mount /x: idmap without maps of its own needs the container's user namespace".to_string()),
        ("type=tmpfs,dst=/x,ridmap".to_string(), "nsinit: --mount: idmap and ridmap are for a bind mount (bind or rbind); got 'type=tmpfs,dst=/x,ridmap'".to_string()),
        (
            format!("type=bind,src={s},dst=/x,idmap=uids=0-1-1"),
            format!("nsinit: --mount: expected idmap=uids=IN-OUT-COUNT[#...];gids=IN-OUT-COUNT[#...]; got 'type=bind,src={s},dst=/x,idmap=uids=0-1-1'"),
        ),
        (
            format!("type=bind,src=/proc,dst=/x,idmap={maps}"),
            "nsinit: mount_setattr /x: EINVAL (Invalid argument) (idmap: a filesystem of the tree cannot be idmapped)".to_string(),
        ),
    ] {
        assert_eq!(fails(r.run(&["--mount", &mount, IN_PROBE, "pid"]), 125), want, "{mount}");
    }
}

#[test]
fn a_bind_keeps_the_flags_its_source_has_locked() {
    // In a user namespace the kernel locks the host mount's nosuid, nodev
    // and noexec: `ro` alone must keep them (as runc does), clearing one
    // is refused.
    let r = Rootfs::new("mount-locked");
    let (src, _sub) = source_tree(&r, "size=1M,nosuid,nodev,noexec");
    let sub = format!("{}/sub", src.to_str().unwrap());
    let ms = mounts(&r, &["--unshare", "user", "--mount", &format!("type=bind,src={sub},dst=/b,bind,ro")]);
    let b = at(&ms, "/b");
    assert!(b.has("ro") && b.has("nosuid") && b.has("nodev") && b.has("noexec"), "{b:?}");
    let out = r.run(&["--unshare", "user", "--mount", &format!("type=bind,src={sub},dst=/b,bind,ro,dev"), IN_PROBE, "pid"]);
    assert_eq!(fails(out, 125), "nsinit: mount_setattr /b: EPERM (Operation not permitted) (options)");
}

// ---------------------------------------------------------------------------
// Propagation
// ---------------------------------------------------------------------------

#[test]
fn each_propagation_word_is_applied() {
    let r = Rootfs::new("mount-propagation");
    let (src, _sub) = source_tree(&r, "size=1M");
    let sub = format!("{}/sub", src.to_str().unwrap());
    let s = src.to_str().unwrap();
    // The shared host tmpfs is a slave of the host's in the container.
    let ms = mounts(
        &r,
        &[
            "--mount", &format!("type=bind,src={sub},dst=/default"),
            "--mount", &format!("type=bind,src={sub},dst=/private,private"),
            "--mount", &format!("type=bind,src={sub},dst=/slave,slave"),
            "--mount", &format!("type=bind,src={sub},dst=/shared,shared"),
            "--mount", &format!("type=bind,src={sub},dst=/unbindable,unbindable"),
            "--mount", &format!("type=bind,src={s},dst=/tree-private,rbind,private"),
            "--mount", &format!("type=bind,src={s},dst=/tree-rprivate,rbind,rprivate"),
            "--mount", &format!("type=bind,src={s},dst=/tree-rshared,rbind,rshared"),
            "--mount", &format!("type=bind,src={s},dst=/tree-rslave,rbind,rslave"),
            "--mount", &format!("type=bind,src={s},dst=/tree-runbindable,rbind,runbindable"),
            "--mount", "type=tmpfs,dst=/t,shared",
        ],
    );
    let p = |point: &str| at(&ms, point).propagation();
    assert_eq!(p("/default"), ["master"]);
    assert_eq!(p("/private"), Vec::<&str>::new());
    assert_eq!(p("/slave"), ["master"]);
    assert_eq!(p("/shared"), ["shared", "master"]);
    assert_eq!(p("/unbindable"), ["unbindable"]);
    assert_eq!(p("/tree-private/sub"), ["master"], "private: the top only");
    assert_eq!(p("/tree-rprivate/sub"), Vec::<&str>::new());
    assert_eq!(p("/tree-rshared/sub"), ["shared", "master"]);
    assert_eq!(p("/tree-rslave/sub"), ["master"]);
    assert_eq!(p("/tree-runbindable/sub"), ["unbindable"]);
    assert_eq!(p("/t"), ["shared"]);
}

#[test]
fn a_slave_sees_what_the_host_mounts_later_and_the_host_sees_nothing() {
    let r = Rootfs::new("mount-slave");
    let (src, sub) = source_tree(&r, "size=1M");
    let s = src.to_str().unwrap();
    let running = start(&r, &["--rootfs", r.root_str(), "--mount", &format!("type=bind,src={s},dst=/b,rbind,rshared")], IN_PROBE);
    let later = HostMount::tmpfs_locked(&sub.path.join("later"), "size=1M");
    let seen = fs::read_to_string(format!("/proc/{}/mountinfo", running.pid)).unwrap();
    drop(later);
    running.finish();
    assert!(parse(&seen).iter().any(|m| m.point == "/b/sub/later"), "the host's new mount propagates in: {seen}");
}

#[test]
fn rootfs_propagation_sets_the_roots() {
    let r = Rootfs::new("mount-rootfs-propagation");
    let ms = mounts(&r, &["--rootfs-propagation", "shared"]);
    assert!(at(&ms, "/").propagation().contains(&"shared"), "{:?}", at(&ms, "/"));
    assert!(!at(&ms, "/proc").propagation().contains(&"shared"), "shared: / only");
    let ms = mounts(&r, &["--rootfs-propagation", "rshared"]);
    assert!(at(&ms, "/proc").propagation().contains(&"shared"), "rshared: every mount");
    let ms = mounts(&r, &["--rootfs-propagation", "runbindable"]);
    assert!(ms.iter().all(|m| m.propagation() == ["unbindable"]), "{ms:#?}");
    let ms = mounts(&r, &["--rootfs-propagation", "rshared", "--rootfs-propagation", "rprivate"]);
    assert!(ms.iter().all(|m| m.tags.is_empty()), "the last word wins: {ms:#?}");
    // Without a root of its own, the container's /.
    let out = ok(nsinit(&["--rootfs-propagation", "unbindable", &r.probe_host_path(), "mountinfo"]));
    assert_eq!(at(&parse(&out), "/").propagation(), ["unbindable"]);
}

// ---------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------

#[test]
fn bad_mount_words_are_one_line_and_125() {
    let r = Rootfs::new("mount-bad");
    let cases: &[(&[&str], &str)] = &[
        (&["--mount", "type=tmpfs"], "nsinit: --mount: expected type=TYPE,destination=DST[,source=SRC][,OPTION...]; got 'type=tmpfs'"),
        (&["--mount", "dst=/x"], "nsinit: --mount: expected type=TYPE,destination=DST[,source=SRC][,OPTION...]; got 'dst=/x'"),
        (&["--mount", "type=tmpfs,dst="], "nsinit: --mount: an empty value; got 'type=tmpfs,dst='"),
        (&["--mount", "type=tmpfs,,dst=/x"], "nsinit: --mount: an empty option; got 'type=tmpfs,,dst=/x'"),
        (&["--mount", "type=bind,dst=/x,ro"], "nsinit: --mount: a bind needs source=SRC; got 'type=bind,dst=/x,ro'"),
        (&["--mount", "type=tmpfs,dst=x"], "nsinit: --mount: the destination must be an absolute path in the container; got 'x'"),
        (&["--rootfs-propagation", "rslaved"], "nsinit: --rootfs-propagation: expected private, rprivate, shared, rshared, slave, rslave, unbindable or runbindable; got 'rslaved'"),
        (&["--mount"], "nsinit: --mount: expected type=TYPE,destination=DST[,source=SRC][,OPTION...]"),
    ];
    for (words, want) in cases {
        let mut args = words.to_vec();
        if args.len() > 1 {
            args.extend([IN_PROBE, "pid"]);
        }
        assert_eq!(fails(r.run(&args), 125), *want, "for {words:?}");
    }
    let out = r.run(&["--mount", "type=bind,src=/nonexistent-nsinit,dst=/x", IN_PROBE, "pid"]);
    assert_eq!(fails(out, 125), "nsinit: bind /nonexistent-nsinit: ENOENT (No such file or directory)");
    // A destination through a symlink out of the root stays inside it.
    std::os::unix::fs::symlink(r.outside("escape"), r.host("/link")).unwrap();
    let ms = mounts(&r, &["--mount", "type=tmpfs,dst=/link/t"]);
    assert!(!r.outside("escape").exists(), "a mount point made on the host");
    assert!(ms.iter().any(|m| m.point.ends_with("/t")));
}
