//! Mount points and paths (issue 12, items 11 to 14): a mount destination
//! that is a dangling symlink in the image is followed inside the root and
//! made there, never outside it; paths are cleaned (`//`, `.`, trailing
//! slashes) and errors name them as given; one upper layer serves one
//! container at a time; nsinit works inside a chroot; relative paths in a
//! config file are relative to the file.

mod harness;
use harness::*;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

/// The mount table the probe sees: mount point -> filesystem type (the
/// last mount on a point wins, as the container sees it).
fn mounts_seen(out: Out) -> BTreeMap<String, String> {
    parse_mountinfo(&ok(out)).into_iter().map(|m| (m.point, m.fstype)).collect()
}

/// Names of the entries of `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    sorted(fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())).map(|e| e.unwrap().file_name().to_string_lossy().into_owned()))
}

/// Every path under `dir` (relative), with its kind and, for a symlink, its target.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    let mut all = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            let name = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let kind = if m.is_symlink() {
                format!("-> {}", fs::read_link(&p).unwrap().display())
            } else if m.is_dir() {
                todo.push(p);
                "dir".to_string()
            } else {
                format!("file {}", m.len())
            };
            all.insert(name, kind);
        }
    }
    all
}

fn loop_error(dst: &str, r: &Rootfs) -> String {
    format!(
        "nsinit: open {dst}: ELOOP (Too many symbolic links encountered) in {} (a symlink loop, or a link into /proc, in the image)",
        r.root_str()
    )
}

// ===========================================================================
// Item 11: a mount destination that is a dangling symlink (runc#5090)
// ===========================================================================

/// The issue's repro: /etc/localtime -> /usr/share/zoneinfo/Asia/Somewhere
/// with the zoneinfo deleted, and `--ro-bind /etc/localtime /etc/localtime`.
#[test]
fn a_bind_onto_a_dangling_localtime_link_mounts_on_its_target() {
    let r = Rootfs::new("dangling-localtime");
    symlink("/usr/share/zoneinfo/Asia/Somewhere", r.host("/etc/localtime")).unwrap();
    let zone = r.outside("zone");
    write_file(&zone, "TZif host zone\n");
    let zone = zone.to_str().unwrap();
    let out = r.run(&["--ro-bind", zone, "/etc/localtime", IN_PROBE, "cat", "/etc/localtime"]);
    assert_eq!(ok(out), "TZif host zone\n");
    // The link is left as it was; its target was made inside the root, an
    // empty file, and the mount went on it.
    assert_eq!(fs::read_link(r.host("/etc/localtime")).unwrap(), Path::new("/usr/share/zoneinfo/Asia/Somewhere"));
    let made = r.host("/usr/share/zoneinfo/Asia/Somewhere");
    assert!(made.is_file() && fs::metadata(&made).unwrap().len() == 0, "{made:?}");
    let seen = mounts_seen(r.run(&["--ro-bind", zone, "/etc/localtime", IN_PROBE, "mountinfo"]));
    assert!(seen.contains_key("/usr/share/zoneinfo/Asia/Somewhere"), "{seen:?}");
    // Read-only, as asked.
    let out = r.run(&["--ro-bind", zone, "/etc/localtime", IN_PROBE, "write", "/etc/localtime", "x"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /etc/localtime: EROFS (Read-only file system)\n"));
    assert_eq!(fs::read_to_string(zone).unwrap(), "TZif host zone\n");
}

/// The same for every kind of link and every mount kind: the target and its
/// missing parents are made inside the root, a file for a file source and a
/// directory for a directory source or a filesystem.
#[test]
fn every_mount_kind_follows_a_dangling_link_inside_the_root() {
    let r = Rootfs::new("dangling-kinds");
    let file = r.outside("file");
    write_file(&file, "a file\n");
    let dir = r.outside("dir");
    write_file(&dir.join("inside"), "in the dir\n");
    let (file, dir) = (file.to_str().unwrap(), dir.to_str().unwrap());
    // (link in the image, its target, options, where the mount lands, its
    // type; a bind's is the host's)
    let cases: &[(&str, &str, &[&str], &str, &str)] = &[
        ("/etc/abs", "/made/abs/file", &["--bind", file, "/etc/abs"], "/made/abs/file", ""),
        ("/etc/rel", "../made/rel", &["--bind", dir, "/etc/rel"], "/made/rel", ""),
        ("/etc/climb", "../../../../../../made/climb", &["--tmpfs", "/etc/climb"], "/made/climb", "tmpfs"),
        ("/etc/p", "/made/proc", &["--proc", "/etc/p"], "/made/proc", "proc"),
        ("/etc/d", "/made/dev", &["--dev", "/etc/d"], "/made/dev", "tmpfs"),
        ("/etc/m", "/made/mq", &["--mqueue", "/etc/m"], "/made/mq", "mqueue"),
        ("/etc/s", "/made/sys", &["--sysfs", "/etc/s"], "/made/sys", "sysfs"),
        ("/etc/dot", "/made/./dot//x/", &["--tmpfs", "/etc/dot"], "/made/dot/x", "tmpfs"),
    ];
    for (link, target, options, lands, fstype) in cases {
        symlink(target, r.host(link)).unwrap();
        let mut args = options.to_vec();
        args.extend_from_slice(&[IN_PROBE, "mountinfo"]);
        let seen = mounts_seen(r.run(&args));
        let got = seen.get(*lands).unwrap_or_else(|| panic!("{options:?}: no mount on {lands}: {seen:?}"));
        assert!(fstype.is_empty() || fstype == got, "{options:?}: {lands} is {got}");
        let made = r.host(lands);
        let want_file = options.contains(&file);
        assert_eq!((made.is_file(), made.is_dir()), (want_file, !want_file), "{options:?}: {made:?}");
        assert!(fs::symlink_metadata(r.host(link)).unwrap().is_symlink(), "{link} stays a link");
    }
    // The mount is seen through the link too.
    assert_eq!(ok(r.run(&["--bind", dir, "/etc/rel", IN_PROBE, "cat", "/etc/rel/inside"])), "in the dir\n");
    // Nothing was made outside the root.
    assert_eq!(names(&r.base), ["dir", "file", "rootfs"]);
}

/// A dangling link anywhere on the way: as a middle component, one link
/// leading to another, a link inside a directory a link leads to.
#[test]
fn dangling_links_in_the_middle_of_the_path_are_followed_too() {
    let r = Rootfs::new("dangling-middle");
    symlink("/data/srv", r.host("/srv")).unwrap();
    symlink("b", r.host("/a")).unwrap();
    symlink("/c/d", r.host("/b")).unwrap();
    fs::create_dir_all(r.host("/opt/real")).unwrap();
    symlink("/opt/real", r.host("/opt/link")).unwrap();
    symlink("../gone/deeper", r.host("/opt/real/inner")).unwrap();
    for (dst, lands) in [("/srv/cache/x", "/data/srv/cache/x"), ("/a/e", "/c/d/e"), ("/opt/link/inner/f", "/opt/gone/deeper/f")] {
        let seen = mounts_seen(r.run(&["--tmpfs", dst, IN_PROBE, "mountinfo"]));
        assert_eq!(seen.get(lands).map(String::as_str), Some("tmpfs"), "--tmpfs {dst}: {seen:?}");
        assert!(r.host(lands).is_dir(), "{lands}");
    }
    // The payload writes through the same links into the mount.
    assert_eq!(ok(r.run(&["--tmpfs", "/srv/cache", IN_PROBE, "write", "/srv/cache/f", "x"])), "");
    assert!(!r.host("/data/srv/cache/f").exists(), "the write went to the tmpfs, not the image");
}

/// Masked and read-only paths make nothing: a dangling one is skipped.
#[test]
fn masked_and_read_only_paths_do_not_create_a_dangling_target() {
    let r = Rootfs::new("dangling-mask");
    symlink("/gone/secret", r.host("/etc/secret")).unwrap();
    let before = tree(&r.root);
    assert_eq!(ok(r.run(&["--mask", "/etc/secret", "--ro-path", "/etc/secret", IN_PROBE, "readlink", "/etc/secret"])), "/gone/secret\n");
    assert_eq!(tree(&r.root), before, "a masked or read-only path made something");
}

/// With an overlay root, the target is made in the upper layer; the lower
/// layer is never written.
#[test]
fn with_an_overlay_the_target_is_made_in_the_upper_layer() {
    let r = Rootfs::new("dangling-overlay");
    symlink("/usr/share/zoneinfo/UTC", r.host("/etc/localtime")).unwrap();
    let before = tree(&r.root);
    let zone = r.outside("zone");
    write_file(&zone, "UTC zone\n");
    let upper = r.outside("upper");
    let (zone, upper_s) = (zone.to_str().unwrap(), upper.to_str().unwrap());
    let out = r.nsinit(&["--overlay", r.root_str(), "--ro-bind", zone, "/etc/localtime", IN_PROBE, "cat", "/etc/localtime"]);
    assert_eq!(ok(out), "UTC zone\n");
    let out = r.nsinit(&["--overlay", r.root_str(), "--overlay-upper", upper_s, "--ro-bind", zone, "/etc/localtime", IN_PROBE, "cat", "/etc/localtime"]);
    assert_eq!(ok(out), "UTC zone\n");
    assert!(upper.join("usr/share/zoneinfo/UTC").is_file(), "made in the upper layer");
    assert_eq!(tree(&r.root), before, "the lower layer changed");
}

/// Without a root nothing is ever created: a dangling link is an error.
#[test]
fn without_a_root_a_dangling_destination_is_an_error() {
    let r = Rootfs::new("dangling-noroot");
    let link = r.outside("link");
    symlink(r.outside("missing"), &link).unwrap();
    let link = link.to_str().unwrap();
    let line = fails(r.nsinit(&["--tmpfs", link, &r.probe_host_path(), "exit", "0"]), 125);
    assert_eq!(line, format!("nsinit: open {link}: ENOENT (No such file or directory) (mount points are created only inside --rootfs)"));
    assert!(!r.outside("missing").exists());
}

// ---------------------------------------------------------------------------
// The same, as an attacker who controls the image would have it
// ---------------------------------------------------------------------------

/// Loops, long chains and `/proc` links give ELOOP; links that climb with
/// `..` or name a host path stay in the root; nothing outside is touched.
#[test]
fn hostile_links_never_lead_a_mount_point_outside_the_root() {
    let r = Rootfs::new("dangling-hostile");
    let victim = r.outside("victim");
    write_file(&victim.join("keep"), "host\n");
    let victim_s = victim.to_str().unwrap();
    symlink("loop2", r.host("/etc/loop1")).unwrap();
    symlink("/etc/loop1", r.host("/etc/loop2")).unwrap();
    symlink("self", r.host("/etc/self")).unwrap();
    // 42 links in a row, dangling at the end: over the kernel's 40.
    fs::create_dir_all(r.host("/chain")).unwrap();
    symlink("/chain/1", r.host("/chain0")).unwrap();
    for i in 1..=41 {
        symlink(format!("/chain/{}", i + 1), r.host(&format!("/chain/{i}"))).unwrap();
    }
    symlink("/proc/self/fd/0", r.host("/etc/stdin")).unwrap();
    symlink("/proc/self/root/etc/x", r.host("/etc/procroot")).unwrap();
    symlink("/proc/1/cwd", r.host("/etc/cwd1")).unwrap();
    for dst in ["/etc/loop1", "/etc/loop1/x", "/etc/self", "/chain0", "/etc/stdin", "/etc/procroot", "/etc/cwd1/y"] {
        for kind in [&["--tmpfs", dst][..], &["--bind", victim_s, dst], &["--ro-bind", &format!("{victim_s}/keep"), dst]] {
            let mut args = kind.to_vec();
            args.extend_from_slice(&[IN_PROBE, "exit", "0"]);
            let line = fails(r.run(&args), 125);
            assert!(line.starts_with("nsinit: open ") && line.contains("ELOOP"), "{args:?}: {line}");
        }
    }
    assert_eq!(fails(r.run(&["--tmpfs", "/etc/loop1", IN_PROBE, "exit", "0"]), 125), loop_error("/etc/loop1", &r));
    assert_eq!(fails(r.run(&["--tmpfs", "/chain0", IN_PROBE, "exit", "0"]), 125), loop_error("/chain0", &r));
    // Links to the host's paths, absolute or climbing, are the image's own paths.
    let climb = format!("../../../../../../../..{victim_s}/new");
    symlink(&climb, r.host("/etc/climb")).unwrap();
    symlink(format!("{victim_s}/abs"), r.host("/etc/abs")).unwrap();
    for dst in ["/etc/climb", "/etc/abs"] {
        assert_eq!(ok(r.run(&["--tmpfs", dst, IN_PROBE, "write", &format!("{dst}/f"), "x"])), "");
    }
    assert!(r.host(&format!("{victim_s}/new")).is_dir() && r.host(&format!("{victim_s}/abs")).is_dir(), "made inside the root");
    assert_eq!(names(&victim), ["keep"], "the host directory the links name was touched");
    assert_eq!(fs::read_to_string(victim.join("keep")).unwrap(), "host\n");
    assert_eq!(names(&r.base), ["rootfs", "victim"]);
}

/// A link whose target another process swaps while containers start: between
/// a dangling path in the image, a host directory, a `/proc` link and a
/// directory inside. Whatever the timing, each start ends well or with one
/// line, and nothing is made or mounted outside the root.
#[test]
fn a_link_swapped_during_setup_never_leads_outside_the_root() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let r = Rootfs::new("dangling-race");
    let victim = r.outside("victim");
    write_file(&victim.join("keep"), "host\n");
    let victim_s = victim.to_str().unwrap().to_string();
    fs::create_dir_all(r.host("/inside")).unwrap();
    let link = r.host("/etc/swap");
    let staged = r.host("/etc/swap.new");
    let targets = [format!("{victim_s}/dir"), "/proc/self/cwd".to_string(), "/inside".to_string(), format!("../../..{victim_s}")];
    symlink(&targets[0], &link).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (stop, link, staged, targets) = (stop.clone(), link.clone(), staged.clone(), targets.clone());
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let _ = fs::remove_file(&staged);
                symlink(&targets[i % targets.len()], &staged).unwrap();
                fs::rename(&staged, &link).unwrap();
                i += 1;
            }
        })
    };
    for n in 0..40 {
        let dst = if n % 2 == 0 { "/etc/swap/sub" } else { "/etc/swap" };
        let out = r.run(&["--tmpfs", dst, IN_PROBE, "exit", "0"]);
        if out.code() != 0 {
            let line = fails(out, 125);
            assert!(line.starts_with("nsinit: open ") || line.starts_with("nsinit: mkdir "), "{line}");
        }
        assert_eq!(names(&victim), ["keep"], "run {n} reached the host directory");
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    assert_eq!(names(&r.base), ["rootfs", "victim"]);
}

// ===========================================================================
// Item 13: nsinit in a chroot, whose `/` is not a mount point
// ===========================================================================

/// Sets up, in a private mount namespace of its own (`unshare -m`, so the
/// host is never touched), a chroot as `arch-chroot` would: a directory on
/// a *shared* tmpfs (as systemd makes every mount), not a mount point
/// itself, holding nsinit, busybox, the probe, `/proc`, `/dev` and `/sys`,
/// and `r`'s rootfs as `/box`. Runs `inner` there with busybox's `sh -c`;
/// then fails if the namespace around the chroot gained or lost a mount
/// point: a mount made in the container that propagated out of it.
fn in_a_chroot(r: &Rootfs, inner: &str) -> Out {
    const SCRIPT: &str = r#"
set -eu
base=$1 nsinit=$2 probe=$3 box=$4 inner=$5
mkdir -p "$base/fs"
mount -t tmpfs chroot-fs "$base/fs"
mount --make-shared "$base/fs"
ch=$base/fs/root
mkdir -p "$ch/bin" "$ch/proc" "$ch/dev" "$ch/sys" "$ch/tmp" "$ch/box"
cp "$nsinit" "$ch/nsinit"
cp /bin/busybox "$ch/bin/busybox"
cp "$probe" "$ch/bin/probe"
cp -a "$box/." "$ch/box/"
mount -t proc proc "$ch/proc"
mount --rbind /dev "$ch/dev"
mount --rbind /sys "$ch/sys"
before=$(awk '{print $5}' /proc/self/mountinfo | sort)
set +e
chroot "$ch" /bin/busybox sh -c "$inner"
code=$?
set -e
after=$(awk '{print $5}' /proc/self/mountinfo | sort)
[ "$before" = "$after" ] || { echo "the mounts around the chroot changed:"; echo "$after"; exit 99; }
exit $code
"#;
    assert!(Path::new("/bin/busybox").is_file(), "the chroot tests need a static /bin/busybox: apt-get install busybox-static");
    let mut cmd = Command::new("unshare");
    cmd.args(["-m", "--propagation", "private", "sh", "-c", SCRIPT, "sh"])
        .args([r.outside("chroot").to_str().unwrap(), NSINIT, PROBE, r.root_str(), inner]);
    run(cmd, Some(r))
}

#[test]
fn nsinit_runs_in_a_chroot_whose_root_is_not_a_mount_point() {
    let r = Rootfs::new("chroot");
    // The issue's repro: the default container (before: `mount / (MS_SLAVE): EINVAL`).
    let seen = sorted(parse_mountinfo(&ok(in_a_chroot(&r, "/nsinit --rootfs /box /bin/probe mountinfo"))).into_iter().map(|m| m.point));
    assert_eq!(seen, default_mount_points());
    // Relative to the working directory in the chroot, which nsinit keeps.
    assert_eq!(ok(in_a_chroot(&r, "cd /box && /nsinit --rootfs . /bin/probe cwd")), "/\n");
    assert_eq!(ok(in_a_chroot(&r, "cd /box/bin && /nsinit --rootfs .. --chdir /tmp /bin/probe cwd")), "/tmp\n");
    // Other roots and options.
    assert_eq!(ok(in_a_chroot(&r, "/nsinit --bare --rootfs /box --tmpfs /made /bin/probe ls /made")), "");
    assert_eq!(ok(in_a_chroot(&r, "/nsinit --overlay /box /bin/probe pid")), "1\n");
    assert_eq!(ok(in_a_chroot(&r, "/nsinit --init --rootfs /box --read-only /bin/probe pid")), "2\n");
    // Without a root: mounts on the chroot's own directories, and a mount on
    // `/` that becomes the root.
    assert_eq!(ok(in_a_chroot(&r, "/nsinit --tmpfs /tmp /bin/probe write /tmp/f x && ls /tmp")), "");
    assert_eq!(ok(in_a_chroot(&r, "/nsinit --unshare mnt,pid --tmpfs / --ro-bind /bin /bin /bin/probe ls /")), "bin\n");
    // The container sees none of the chroot around its root.
    let out = in_a_chroot(&r, "/nsinit --rootfs /box /bin/probe ls /");
    assert_eq!(sorted(ok(out).lines().map(str::to_string)), sorted(names(&r.root)));
}
