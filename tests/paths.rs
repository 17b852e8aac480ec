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

// ===========================================================================
// Item 12: paths are cleaned; one upper layer, one container
// ===========================================================================

/// The issue's repro and its variants: whatever the spelling of the upper
/// directory, its work directory is `UPPER.work` beside it, never inside.
#[test]
fn overlay_upper_spelled_any_way_keeps_its_work_directory_beside_it() {
    let r = Rootfs::new("upper-spelling");
    let lower = r.root_str();
    let base = r.base.to_str().unwrap();
    for (upper, cwd) in [("up/", base), ("up/.", base), ("up/./", base), ("up//", base), ("./up", base), ("rootfs/../up/", base), ("UP//.//", "/")] {
        let upper = if cwd == "/" { format!("{base}/up{}", upper.trim_start_matches("UP")) } else { upper.to_string() };
        let mut cmd = command(&["--overlay", lower, "--overlay-upper", &upper, IN_PROBE, "write", "/tmp/kept", "x"]);
        cmd.current_dir(cwd);
        assert_eq!(ok(run(cmd, Some(&r))), "", "--overlay-upper {upper}");
        assert_eq!(names(&r.outside("up")), ["tmp"], "--overlay-upper {upper}: the upper layer holds the write and nothing else");
        assert_eq!(fs::read_to_string(r.outside("up/tmp/kept")).unwrap(), "x");
        assert!(r.outside("up.work").is_dir(), "--overlay-upper {upper}: no work directory beside it");
        assert_eq!(names(&r.base), ["rootfs", "up", "up.work"], "--overlay-upper {upper}");
        fs::remove_dir_all(r.outside("up")).unwrap();
        fs::remove_dir_all(r.outside("up.work")).unwrap();
    }
    // A directory without a name of its own has no place for `NAME.work`.
    fs::create_dir_all(r.outside("up/sub")).unwrap();
    for upper in [".", "./", "..", "up/sub/..", "up/."] {
        let mut cmd = command(&["--overlay", lower, "--overlay-upper", upper, IN_PROBE, "exit", "0"]);
        cmd.current_dir(r.outside("up"));
        let out = run(cmd, Some(&r));
        if upper == "up/." {
            // From `up`, `up/.` is `up/up`, a name: made there.
            ok(out);
            continue;
        }
        assert_eq!(
            fails(out, 125),
            format!("nsinit: --overlay-upper: name the directory itself, not '.' or '..' (its work directory DIR.work goes beside it); got '{upper}'")
        );
    }
    assert_eq!(names(&r.outside("up")), ["sub", "up", "up.work"]);
    assert_eq!(names(&r.base), ["rootfs", "up"], "nothing made for a refused upper");
}

/// Runs `nsinit ARGS` while `held` (an nsinit command line whose payload
/// reads its stdin) runs: the two at once, under one host check.
fn while_running(r: &Rootfs, held: &[&str], args: &[&str]) -> Out {
    use std::process::Stdio;
    let host = HostState::take();
    let mut all = held.to_vec();
    all.extend_from_slice(&[IN_PROBE, "cat", "/proc/self/fd/0"]);
    let mut first = command(&all).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // The payload runs from the overlay, whose inodes are not the probe's:
    // it is found as nsinit's child that runs the held command line.
    let held_cmdline = format!("{IN_PROBE}\0cat\0/proc/self/fd/0\0");
    let nsinit_pid = first.id().to_string();
    let runs = |pid: u32| {
        let ppid = fs::read_to_string(format!("/proc/{pid}/stat")).ok().and_then(|s| s.rsplit(')').next().and_then(|t| t.split_whitespace().nth(1)).map(str::to_string));
        ppid.as_ref() == Some(&nsinit_pid) && fs::read(format!("/proc/{pid}/cmdline")).ok().as_deref() == Some(held_cmdline.as_bytes())
    };
    let started = || fs::read_dir("/proc").unwrap().flatten().filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok()).any(runs);
    while !started() {
        if let Some(status) = first.try_wait().unwrap() {
            panic!("the first container exited ({status}) before its payload ran");
        }
        assert!(std::time::Instant::now() < deadline, "the first container's payload did not start");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let second = command(args).output().unwrap();
    drop(first.stdin.take());
    let status = wait_with_timeout(&mut first, "the first container");
    assert!(status.success(), "the first container: {status}");
    let out = Out {
        status: second.status,
        stdout: String::from_utf8_lossy(&second.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&second.stderr).into_owned(),
    };
    assert_no_internal_failure(&out, "the second container");
    host.check(Some(r), "two containers");
    out
}

#[test]
fn two_containers_cannot_share_one_upper_layer() {
    let r = Rootfs::new("upper-shared");
    let lower = r.root_str();
    let upper = r.outside("up");
    let upper_s = upper.to_str().unwrap();
    let held = ["--overlay", lower, "--overlay-upper", upper_s];
    let link = r.outside("link");
    symlink(&upper, &link).unwrap();
    let link_s = link.to_str().unwrap();
    // However the second names it: the lock is on the directory.
    for (given, shown) in [(upper_s.to_string(), upper_s.to_string()), (format!("{upper_s}/./"), upper_s.to_string()), (link_s.to_string(), link_s.to_string())] {
        let out = while_running(&r, &held, &["--overlay", lower, "--overlay-upper", &given, IN_PROBE, "write", "/tmp/second", "x"]);
        assert_eq!(fails(out, 125), format!("nsinit: --overlay-upper {shown}: in use by another container (one upper layer serves one container at a time)"));
    }
    assert!(!upper.join("tmp/second").exists(), "the second container wrote into the upper layer");
    // Another lower layer, the same upper: refused too. Another upper: fine.
    let other = r.outside("other-lower");
    fs::create_dir_all(&other).unwrap();
    let out = while_running(&r, &held, &["--overlay", other.to_str().unwrap(), "--overlay-upper", upper_s, &r.probe_host_path(), "exit", "0"]);
    assert_eq!(fails(out, 125), format!("nsinit: --overlay-upper {upper_s}: in use by another container (one upper layer serves one container at a time)"));
    let out = while_running(&r, &held, &["--overlay", lower, "--overlay-upper", r.outside("up2").to_str().unwrap(), IN_PROBE, "exit", "0"]);
    assert_eq!(ok(out), "");
    // One after the other: the lock goes with the first nsinit.
    ok(r.nsinit(&["--overlay", lower, "--overlay-upper", upper_s, IN_PROBE, "write", "/tmp/third", "x"]));
    assert!(upper.join("tmp/third").is_file());
    // nsinit bench starts its containers in one nsinit: not at once.
    let line = fails(r.nsinit(&["bench", "-n", "2", "-j", "2", "--overlay", lower, "--overlay-upper", upper_s, IN_PROBE, "exit", "0"]), 125);
    assert_eq!(line, "nsinit: bench: one --overlay-upper serves one container at a time; use -j 1");
    let out = r.nsinit(&["bench", "-n", "2", "-j", "1", "--overlay", lower, "--overlay-upper", upper_s, IN_PROBE, "exit", "0"]);
    assert_eq!(out.code(), 0, "{out:?}");
}

/// Trailing slashes, `//` and `.` change nothing, for every path option:
/// a file named `FILE/` is the file, `--proc /proc/` replaces the default
/// `/proc`, a masked file with a slash is masked.
#[test]
fn every_path_option_is_cleaned() {
    let r = Rootfs::new("clean-paths");
    write_file(&r.host("/etc/secret"), "secret\n");
    write_file(&r.host("/etc/ro"), "ro\n");
    let file = r.outside("file");
    write_file(&file, "from the host\n");
    let file_s = format!("{}/", file.to_str().unwrap());
    let root = format!("{}/./", r.root_str());
    let probe = [IN_PROBE];
    let cases: Vec<(Vec<&str>, &str, &[&str], &str)> = vec![
        (vec!["--ro-bind", &file_s, "/etc//hosts/"], "cat", &["/etc/hosts"], "from the host\n"),
        (vec!["--bind", &file_s, "/etc/./made/"], "cat", &["/etc/made"], "from the host\n"),
        (vec!["--mask", "/etc/secret/"], "cat", &["/etc/secret"], ""),
        (vec!["--mask", "//etc/./secret"], "cat", &["/etc/secret"], ""),
        (vec!["--ro-path", "/etc//ro/."], "write", &["/etc/ro", "x"], "probe: /etc/ro: EROFS (Read-only file system)\n"),
        (vec!["--chdir", "/tmp/./"], "cwd", &[], "/tmp\n"),
    ];
    for (options, cmd, args, want) in &cases {
        let mut all = vec!["--rootfs", &root];
        all.extend(options.iter().copied());
        all.extend(probe);
        all.push(cmd);
        all.extend(args.iter().copied());
        let out = r.nsinit(&all);
        assert_eq!(out.stdout, *want, "{options:?}: {out:?}");
        assert_eq!(out.stderr, "", "{options:?}");
    }
    // A mount of yours on a default mount point replaces it, however spelled.
    for (option, point) in [("--proc", "/proc/"), ("--tmpfs", "//dev//"), ("--sysfs", "/sys/."), ("--mqueue", "/dev/mqueue/")] {
        let seen = parse_mountinfo(&ok(r.run(&[option, point, IN_PROBE, "mountinfo"])));
        let clean = format!("/{}", point.split('/').filter(|p| !p.is_empty() && *p != ".").collect::<Vec<_>>().join("/"));
        let on: Vec<_> = seen.iter().filter(|m| m.point == clean).collect();
        assert_eq!(on.len(), 1, "{option} {point}: mounts on {clean}: {on:#?}");
    }
    // Errors name the path cleaned.
    let line = fails(r.run(&["--bind", "/nonexistent//dir/", "/x", IN_PROBE, "exit", "0"]), 125);
    assert_eq!(line, "nsinit: bind /nonexistent/dir: ENOENT (No such file or directory)");
    let line = fails(r.nsinit(&["--rootfs", "/nonexistent/./box/", IN_PROBE, "exit", "0"]), 125);
    assert_eq!(line, "nsinit: bind /nonexistent/box: ENOENT (No such file or directory)");
}

// ===========================================================================
// Item 14: relative paths in a config file are relative to the file
// ===========================================================================

#[test]
fn relative_paths_in_a_config_file_are_relative_to_the_file() {
    let r = Rootfs::new("config-relative");
    write_file(&r.outside("data/f"), "data beside the file\n");
    write_file(&r.outside("prof"), "default allow\ndeny uname ENOSYS\n");
    let conf = r.outside("box.conf");
    write_file(&conf, "rootfs rootfs\nro-bind ./data/ /data\nseccomp prof\n--\n/bin/probe cat /data/f\n");
    let conf_s = conf.to_str().unwrap();
    // From anywhere, by any path to the file.
    for (cwd, path) in [("/", conf_s.to_string()), ("/tmp", format!("../{}", conf_s.trim_start_matches('/'))), (r.base.to_str().unwrap(), "box.conf".to_string()), (r.root_str(), "../box.conf".to_string())] {
        let mut cmd = command(&["--config", &path]);
        cmd.current_dir(cwd);
        assert_eq!(ok(run(cmd, Some(&r))), "data beside the file\n", "--config {path} from {cwd}");
    }
    // The overlay's layers and upper directory too; absolute paths as they are.
    let conf2 = r.outside("conf/overlay.conf");
    write_file(&conf2, &format!("overlay ../rootfs:{}\noverlay-upper up\n--\n/bin/probe write /tmp/w x\n", r.outside("data").display()));
    let mut cmd = command(&["--config", "conf/overlay.conf"]);
    cmd.current_dir(&r.base);
    assert_eq!(ok(run(cmd, Some(&r))), "");
    assert!(r.outside("conf/up/tmp/w").is_file(), "the upper layer beside the file");
    assert!(r.outside("conf/up.work").is_dir());
    // On the command line, relative paths stay relative to the working directory.
    let mut cmd = command(&["--config", conf_s, "--ro-bind", "data", "/data", IN_PROBE, "cat", "/data/f"]);
    cmd.current_dir("/");
    let line = fails(run(cmd, Some(&r)), 125);
    assert_eq!(line, "nsinit: bind data: ENOENT (No such file or directory) on /data");
    // A missing one is named as nsinit looked for it.
    let conf3 = r.outside("conf/missing.conf");
    write_file(&conf3, "rootfs nowhere\n--\n/bin/probe exit 0\n");
    let line = fails(r.nsinit(&["--config", conf3.to_str().unwrap()]), 125);
    assert_eq!(line, format!("nsinit: bind {}: ENOENT (No such file or directory)", r.outside("conf/nowhere").display()));
    // Paths in the container are not the host's: left as written.
    let conf4 = r.outside("conf/chdir.conf");
    write_file(&conf4, &format!("rootfs {}\nchdir tmp\n--\n/bin/probe cwd\n", r.root_str()));
    assert_eq!(ok(r.nsinit(&["--config", conf4.to_str().unwrap()])), "/tmp\n");
}

/// A filesystem's source and data name host paths relative to nsinit's
/// working directory, as mount(8) would: overlay's `lowerdir`. The mount is
/// made from its place as the working directory (`mounts::mount_at`), so
/// those must not be looked up from there.
#[test]
fn relative_host_paths_in_a_mounts_data_are_from_the_working_directory() {
    let r = Rootfs::new("mount-data-relative");
    write_file(&r.outside("l1/f"), "from the lower layer\n");
    fs::create_dir_all(r.outside("l2")).unwrap();
    let mut cmd = command(&["--rootfs", "rootfs", "--mount", "type=overlay,dst=/o,src=overlay,lowerdir=l1:./l2", IN_PROBE, "cat", "/o/f"]);
    cmd.current_dir(&r.base);
    assert_eq!(ok(run(cmd, Some(&r))), "from the lower layer\n");
}
