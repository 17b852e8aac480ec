//! The root and the working directory: `--chdir` never leads out of the
//! root (the CVE-2024-21626 class), and a mount on `/` or `.` is the root
//! every later step sees (issue 11).

mod harness;
use harness::*;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::Path;
use std::process::Command;

const ELOOP: &str = "ELOOP (Too many symbolic links encountered)";
const ENOENT: &str = "ENOENT (No such file or directory)";

/// `nsinit ARGS...` started by a shell that opens `fd_spec` first (e.g.
/// `3</tmp`), as a caller that leaks a descriptor would.
fn with_fd(r: &Rootfs, fd_spec: &str, args: &[&str]) -> Out {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(format!("exec \"$0\" \"$@\" {fd_spec}")).arg(NSINIT).args(args);
    run(cmd, Some(r))
}

fn chdir_error(dir: &str, errno: &str) -> String {
    format!("nsinit: chdir {dir}: {errno}")
}

// ---------------------------------------------------------------------------
// Item 1: the working directory
// ---------------------------------------------------------------------------

#[test]
fn chdir_through_a_leaked_descriptor_does_not_reach_the_host() {
    let r = Rootfs::new("chdir-fd3");
    symlink("/proc/self/fd/3", r.host("/app")).unwrap();
    // The repro: fd 3 is the host's /tmp, not passed. nsinit closes
    // it before the chdir, so the link leads nowhere.
    let out = with_fd(&r, "3</tmp", &["--rootfs", r.root_str(), "--chdir", "/app", IN_PROBE, "cwd"]);
    assert_eq!(fails(out, 125), chdir_error("/app", ENOENT));
    // Passed on purpose, it is still a /proc magic link: refused.
    let out = with_fd(&r, "3</tmp", &["--rootfs", r.root_str(), "--pass-fd", "3", "--chdir", "/app", IN_PROBE, "cwd"]);
    assert_eq!(fails(out, 125), chdir_error("/app", ELOOP));
    // With --init and with --user the same.
    let out = with_fd(&r, "3</tmp", &["--rootfs", r.root_str(), "--init", "--chdir", "/app", IN_PROBE, "cwd"]);
    assert_eq!(fails(out, 125), chdir_error("/app", ENOENT));
    let out = with_fd(&r, "3</tmp", &["--rootfs", r.root_str(), "--user", "1000", "--pass-fd", "3", "--chdir", "/app", IN_PROBE, "cwd"]);
    assert_eq!(fails(out, 125), chdir_error("/app", ELOOP));
}

#[test]
fn chdir_through_nsinit_own_descriptors_does_not_reach_the_host() {
    // Whatever nsinit holds at chdir time (the root, an --init image, the
    // overlay's layers, a cgroup...), no /proc/self/fd/N leads anywhere.
    let r = Rootfs::new("chdir-own-fds");
    for n in 3..16 {
        let link = r.host("/app");
        let _ = fs::remove_file(&link);
        symlink(format!("/proc/self/fd/{n}"), &link).unwrap();
        for extra in [&[][..], &["--init"], &["--pids-max", "100"], &["--memory-max", "64M"]] {
            let mut args = vec!["--rootfs", r.root_str(), "--chdir", "/app"];
            args.extend_from_slice(extra);
            args.extend_from_slice(&[IN_PROBE, "cwd"]);
            let line = fails(r.nsinit(&args), 125);
            assert!(
                line == chdir_error("/app", ENOENT) || line == chdir_error("/app", ELOOP),
                "fd {n} with {extra:?}: {line}"
            );
        }
    }
}

#[test]
fn chdir_through_proc_links_is_refused() {
    let r = Rootfs::new("chdir-proc-links");
    for target in ["/proc/self/cwd", "/proc/1/cwd", "/proc/self/root", "/proc/1/root/tmp", "/proc/thread-self/cwd"] {
        let link = r.host("/app");
        let _ = fs::remove_file(&link);
        symlink(target, &link).unwrap();
        let line = fails(r.run(&["--chdir", "/app", IN_PROBE, "cwd"]), 125);
        assert_eq!(line, chdir_error("/app", ELOOP), "{target}");
    }
    // Named directly, too.
    let line = fails(r.run(&["--chdir", "/proc/self/cwd", IN_PROBE, "cwd"]), 125);
    assert_eq!(line, chdir_error("/proc/self/cwd", ELOOP));
}

#[test]
fn chdir_symlinks_resolve_inside_the_root() {
    let r = Rootfs::new("chdir-links");
    fs::create_dir_all(r.host("/tmp/c")).unwrap();
    symlink("../../../../../..", r.host("/up")).unwrap();
    symlink("/tmp", r.host("/abs")).unwrap();
    symlink("b", r.host("/a")).unwrap();
    symlink("tmp/c", r.host("/b")).unwrap();
    assert_eq!(ok(r.run(&["--chdir", "/up", IN_PROBE, "cwd"])), "/\n");
    assert_eq!(ok(r.run(&["--chdir", "/tmp/../../..", IN_PROBE, "cwd"])), "/\n");
    assert_eq!(ok(r.run(&["--chdir", "/abs", IN_PROBE, "cwd"])), "/tmp\n");
    assert_eq!(ok(r.run(&["--chdir", "/a", IN_PROBE, "cwd"])), "/tmp/c\n");
    assert_eq!(ok(r.run(&["--chdir", "//tmp/./c/", IN_PROBE, "cwd"])), "/tmp/c\n");
    assert_eq!(ok(r.run(&["--init", "--chdir", "/a", IN_PROBE, "cwd"])), "/tmp/c\n");
    assert_eq!(ok(r.run(&["--user", "1000", "--chdir", "/abs", IN_PROBE, "cwd"])), "/tmp\n");
    // A bind mount is inside the container: it may be the working directory.
    let host_dir = r.outside("shared");
    fs::create_dir_all(&host_dir).unwrap();
    assert_eq!(ok(r.run(&["--bind", host_dir.to_str().unwrap(), "/mnt", "--chdir", "/mnt", IN_PROBE, "cwd"])), "/mnt\n");
}

#[test]
fn chdir_to_a_file_or_a_missing_directory_is_an_error() {
    let r = Rootfs::new("chdir-errors");
    let line = fails(r.run(&["--chdir", "/bin/probe", IN_PROBE, "cwd"]), 125);
    assert_eq!(line, chdir_error("/bin/probe", "ENOTDIR (Not a directory)"));
    let line = fails(r.run(&["--chdir", "/missing", IN_PROBE, "cwd"]), 125);
    assert_eq!(line, chdir_error("/missing", ENOENT));
    symlink("/missing", r.host("/dangling")).unwrap();
    let line = fails(r.run(&["--chdir", "/dangling", IN_PROBE, "cwd"]), 125);
    assert_eq!(line, chdir_error("/dangling", ENOENT));
}

#[test]
fn chdir_without_a_root_is_the_hosts_but_nsinit_descriptors_are_closed() {
    let r = Rootfs::new("chdir-no-root");
    let probe = r.probe_host_path();
    // Host paths, host semantics.
    assert_eq!(ok(r.nsinit(&["--chdir", "/tmp", &probe, "cwd"])), "/tmp\n");
    // A leaked descriptor is not there to enter...
    let out = with_fd(&r, "3</tmp", &["--chdir", "/proc/self/fd/3", &probe, "cwd"]);
    assert_eq!(fails(out, 125), chdir_error("/proc/self/fd/3", ENOENT));
    // ...a passed one is the caller's to give.
    let out = with_fd(&r, "3</tmp", &["--pass-fd", "3", "--chdir", "/proc/self/fd/3", &probe, "cwd"]);
    assert_eq!(ok(out), "/tmp\n");
    // nsinit's own, with a cgroup and a namespace or two, are closed too.
    for n in 4..12 {
        let dir = format!("/proc/self/fd/{n}");
        let out = r.nsinit(&["--unshare", "mnt,pid", "--pids-max", "100", "--chdir", &dir, &probe, "cwd"]);
        assert_eq!(fails(out, 125), chdir_error(&dir, ENOENT));
    }
}

// ---------------------------------------------------------------------------
// Item 2: a mount on `/` or `.`
// ---------------------------------------------------------------------------

fn sorted_lines(s: String) -> Vec<String> {
    sorted(s.lines().map(str::to_string))
}

#[test]
fn a_tmpfs_on_slash_without_rootfs_is_the_containers_root() {
    let r = Rootfs::new("tmpfs-slash");
    let bin = r.host("/bin");
    let bin = bin.to_str().unwrap();
    for slash in ["/", "//", "/.", "/./", "/.//."] {
        let out = r.nsinit(&["--unshare", "mnt,pid", "--tmpfs", slash, "--ro-bind", bin, "/bin", "--proc", "/proc", IN_PROBE, "ls", "/"]);
        assert_eq!(sorted_lines(ok(out)), ["bin", "proc"], "--tmpfs {slash}");
    }
    // Later mounts land in it, and so do masked and read-only paths.
    let out = r.nsinit(&["--unshare", "mnt,pid", "--tmpfs", "/", "--ro-bind", bin, "/bin", "--tmpfs", "/a/b", IN_PROBE, "write", "/a/b/f", "x"]);
    assert_eq!(ok(out), "");
    let out = r.nsinit(&["--tmpfs", "/", "--ro-bind", bin, "/bin", "--tmpfs", "/a/b", "--mask", "/a/b", IN_PROBE, "ls", "/a/b"]);
    assert_eq!(ok(out), "");
    let out = r.nsinit(&["--unshare", "mnt,pid", "--tmpfs", "/", "--ro-bind", bin, "/bin", "--tmpfs", "/a", "--ro-path", "/a", IN_PROBE, "write", "/a/f", "x"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /a/f: EROFS (Read-only file system)\n"));
    // Nothing was made on the host's disk below it.
    assert!(!Path::new("/a").exists(), "/a was created on the host");
}

#[test]
fn bind_on_slash_is_the_root_as_with_rootfs() {
    let r = Rootfs::new("bind-slash");
    let want = sorted_lines(ok(r.run(&["--bare", IN_PROBE, "ls", "/"])));
    let out = r.nsinit(&["--bind", r.root_str(), "/", IN_PROBE, "ls", "/"]);
    assert_eq!(sorted_lines(ok(out)), want);
    let out = r.nsinit(&["--ro-bind", r.root_str(), "/", IN_PROBE, "write", "/tmp/f", "x"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /tmp/f: EROFS (Read-only file system)\n"));
    let out = r.nsinit(&["--bind", r.root_str(), "/", "--tmpfs", "/made/here", IN_PROBE, "ls", "/made"]);
    assert_eq!(ok(out), "here\n");
    assert!(r.host("/made/here").is_dir(), "the mount point is made in the bound root");
}

#[test]
fn a_mount_on_the_rootfs_root_is_what_later_steps_see() {
    let r = Rootfs::new("rootfs-slash");
    // Outside the rootfs: a tmpfs on the root hides the rootfs's own files
    // at its host path too.
    let bin = r.outside("bin");
    fs::create_dir_all(&bin).unwrap();
    fs::copy(PROBE, bin.join("probe")).unwrap();
    let bin = bin.to_str().unwrap();
    let before = tree(&r.root);
    for slash in ["/", "//", "/."] {
        let out = r.run(&["--tmpfs", slash, "--ro-bind", bin, "/bin", IN_PROBE, "ls", "/"]);
        // The defaults (/proc, /dev, /sys) came before it: it covers them.
        assert_eq!(sorted_lines(ok(out)), ["bin"], "--tmpfs {slash}");
    }
    // A symlink in the image that leads to the root is the root too: at the
    // end of the path or on the way, through a chain of links, or made of
    // a missing directory and `..` (nsinit makes `gone`, then `gone/..`).
    symlink("/", r.host("/up")).unwrap();
    symlink("..", r.host("/etc/up")).unwrap();
    symlink("/up", r.host("/chain")).unwrap();
    symlink("gone/..", r.host("/back")).unwrap();
    for link in ["/up", "/etc/up", "/chain", "/up/etc/up/.", "/back"] {
        let out = r.run(&["--bare", "--tmpfs", link, "--ro-bind", bin, "/bin", IN_PROBE, "ls", "/"]);
        assert_eq!(sorted_lines(ok(out)), ["bin"], "--tmpfs {link}");
        // After a mount that did not land on the root, and before one that
        // comes after it: each later step sees the mount on the root.
        let out = r.run(&["--bare", "--tmpfs", "/tmp", "--tmpfs", link, "--ro-bind", bin, "/bin", "--tmpfs", "/made", IN_PROBE, "ls", "/"]);
        assert_eq!(sorted_lines(ok(out)), ["bin", "made"], "--tmpfs /tmp --tmpfs {link}");
    }
    for link in ["/up", "/etc/up", "/chain", "/back", "/gone"] {
        let _ = fs::remove_file(r.host(link));
        let _ = fs::remove_dir(r.host(link));
    }
    // Through propagation: with the root shared, a bind of the rootfs is its
    // peer, and the kernel copies a mount on it onto the root itself (the
    // slave step lets pivot_root take the root); with or without a
    // network namespace (where /proc's rules may go early).
    let root = r.root_str().to_owned();
    let shared = ["--mount", "type=none,dst=/,remount,bind,shared", "--bind", &root, "/sub", "--mount", "type=none,dst=/,remount,bind,slave"];
    for first in ["--bare", "--share=net"] {
        let mut args = vec![first];
        args.extend(shared);
        args.extend(["--tmpfs", "/sub", "--ro-bind", bin, "/bin", "--tmpfs", "/made", IN_PROBE, "ls", "/"]);
        assert_eq!(sorted_lines(ok(r.run(&args))), ["bin", "made"], "shared root, then --tmpfs /sub ({first})");
        fs::remove_dir(r.host("/sub")).unwrap();
        assert!(!r.host("/made").exists(), "a mount point made in the covered root ({first})");
    }
    assert_eq!(tree(&r.root), before, "the image changed");
    // --read-only makes the mount on top read-only.
    let out = r.run(&["--tmpfs", "/", "--ro-bind", bin, "/bin", "--read-only", IN_PROBE, "write", "/f", "x"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /f: EROFS (Read-only file system)\n"));
    let out = r.run(&["--ro-path", "/", IN_PROBE, "write", "/tmp/f", "x"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /tmp/f: EROFS (Read-only file system)\n"));
}

#[test]
fn rootfs_dot_and_slash_start_a_container() {
    let r = Rootfs::new("rootfs-dot");
    let mut cmd = command(&["--rootfs", ".", IN_PROBE, "cwd"]);
    cmd.current_dir(&r.root);
    assert_eq!(ok(run(cmd, Some(&r))), "/\n");
    let mut cmd = command(&["--rootfs", ".", "--tmpfs", "/x", IN_PROBE, "ls", "/x"]);
    cmd.current_dir(&r.root);
    assert_eq!(ok(run(cmd, Some(&r))), "");
    let mut cmd = command(&["--rootfs", "bin/..", IN_PROBE, "ls", "/etc"]);
    cmd.current_dir(&r.root);
    assert_eq!(ok(run(cmd, Some(&r))), "");
    // The host's root as the rootfs: its files, the container's /proc.
    let base = r.base.to_str().unwrap();
    let probe = r.probe_host_path();
    assert_eq!(ok(r.nsinit(&["--rootfs", "/", &probe, "ls", base])), "rootfs\n");
    assert_eq!(ok(r.nsinit(&["--rootfs", "/", &probe, "pid"])), "1\n");
    assert_eq!(ok(r.nsinit(&["--rootfs", "//", "--chdir", base, &probe, "cwd"])), format!("{base}\n"));
}

/// Every file and directory under `dir`: its path, mode, and contents.
fn tree(dir: &Path) -> BTreeMap<String, (u32, Vec<u8>)> {
    let mut all = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            let name = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let body = if m.is_file() { fs::read(&p).unwrap() } else if m.is_symlink() { fs::read_link(&p).unwrap().into_os_string().into_encoded_bytes() } else { Vec::new() };
            if m.is_dir() {
                todo.push(p);
            }
            all.insert(name, (m.mode(), body));
        }
    }
    all
}

/// A lower layer with one file in it.
fn layer(r: &Rootfs, name: &str) -> std::path::PathBuf {
    let dir = r.outside(name);
    write_file(&dir.join("etc/f"), name);
    dir
}

#[test]
fn overlay_never_writes_into_a_lower_layer() {
    let r = Rootfs::new("overlay-lowers");
    let image = r.root.clone();
    let before = tree(&image);
    let img = image.to_str().unwrap();
    let write = [IN_PROBE, "write", "/etc/new", "x"];
    // The image by path, as `.`, through a symlink.
    ok(r.nsinit(&[&["--overlay", img][..], &write].concat()));
    assert_eq!(tree(&image), before, "--overlay PATH changed the lower layer");
    let mut cmd = command(&[&["--overlay", "."][..], &write].concat());
    cmd.current_dir(&image);
    ok(run(cmd, Some(&r)));
    assert_eq!(tree(&image), before, "--overlay . changed the lower layer");
    let link = r.outside("link");
    symlink(&image, &link).unwrap();
    ok(r.nsinit(&[&["--overlay", link.to_str().unwrap()][..], &write].concat()));
    // Nested: a second layer inside the first, and the first inside it.
    let inner = image.join("etc");
    // overlayfs refuses layers inside each other.
    for two in [format!("{img}:{}", inner.display()), format!("{}:{img}", inner.display())] {
        let line = fails(r.nsinit(&[&["--overlay", &two][..], &write].concat()), 125);
        assert_eq!(line, format!("nsinit: mount overlay: ELOOP (Too many symbolic links encountered) on {}", two.split(':').next().unwrap()));
    }
    // With an upper directory beside it.
    let upper = r.outside("upper");
    ok(r.nsinit(&[&["--overlay", img, "--overlay-upper", upper.to_str().unwrap()][..], &write].concat()));
    assert!(upper.join("etc/new").is_file());
    assert_eq!(tree(&image), before, "a lower layer changed");
}

#[test]
fn overlay_with_the_hosts_root_as_lower_layer() {
    let r = Rootfs::new("overlay-slash");
    let probe = r.probe_host_path();
    let marker = r.outside("written-in-the-container");
    let marker = marker.to_str().unwrap();
    let names = || sorted(fs::read_dir("/").unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()));
    let before = names();
    assert_eq!(ok(r.nsinit(&["--overlay", "/", &probe, "write", marker, "x"])), "");
    assert!(!Path::new(marker).exists(), "the container wrote into the host's root");
    assert_eq!(names(), before, "something was made in the host's root");
    let mut cmd = command(&["--overlay", "/", "--chdir", "/", &probe, "ls", r.base.to_str().unwrap()]);
    cmd.current_dir("/");
    assert_eq!(ok(run(cmd, Some(&r))), "rootfs\n");
}

#[test]
fn overlay_upper_inside_or_around_a_lower_layer_is_refused() {
    let r = Rootfs::new("overlay-overlap");
    let lower = layer(&r, "lower");
    let before = tree(&lower);
    let lower_s = lower.to_str().unwrap();
    let upper = lower.join("up");
    let upper_s = upper.to_str().unwrap();
    let line = fails(r.nsinit(&["--overlay", lower_s, "--overlay-upper", upper_s, IN_PROBE, "exit", "0"]), 125);
    assert_eq!(line, format!("nsinit: --overlay-upper {upper_s}: inside the lower layer {lower_s}; the container would write into it"));
    assert_eq!(tree(&lower), before, "the lower layer changed");
    // Deeper, and through a symlink.
    fs::create_dir_all(r.outside("lower/etc/deep")).unwrap();
    let before = tree(&lower);
    let deep = format!("{lower_s}/etc/deep/up");
    let line = fails(r.nsinit(&["--overlay", lower_s, "--overlay-upper", &deep, IN_PROBE, "exit", "0"]), 125);
    assert_eq!(line, format!("nsinit: --overlay-upper {deep}: inside the lower layer {lower_s}; the container would write into it"));
    let link = r.outside("to-lower");
    symlink(&lower, &link).unwrap();
    let via = format!("{}/up", link.display());
    let line = fails(r.nsinit(&["--overlay", lower_s, "--overlay-upper", &via, IN_PROBE, "exit", "0"]), 125);
    assert_eq!(line, format!("nsinit: --overlay-upper {via}: inside the lower layer {lower_s}; the container would write into it"));
    assert_eq!(tree(&lower), before, "the lower layer changed");
    // The lower layer inside the upper directory.
    let outer = r.outside("outer");
    let nested = layer(&r, "outer/lower");
    let nested_s = nested.to_str().unwrap();
    let before = tree(&nested);
    let outer_s = outer.to_str().unwrap();
    let line = fails(r.nsinit(&["--overlay", nested_s, "--overlay-upper", outer_s, IN_PROBE, "exit", "0"]), 125);
    assert_eq!(line, format!("nsinit: --overlay-upper {outer_s}: holds the lower layer {nested_s}; the container would write into it"));
    assert_eq!(tree(&nested), before, "the lower layer changed");
}

// ===========================================================================
// Device nodes: root in the container keeps CAP_MKNOD (as in Docker), and
// nsinit has no device cgroup, so every filesystem the container can write
// and nsinit mounted or bound is nodev
// ===========================================================================

#[test]
fn device_nodes_made_in_the_container_cannot_be_opened() {
    let r = Rootfs::new("nodev");
    let bound = r.outside("bound");
    fs::create_dir_all(&bound).unwrap();
    let bound = bound.to_str().unwrap();
    let upper = r.outside("upper");
    let upper = upper.to_str().unwrap();
    for (options, path) in [
        (&["--rootfs", r.root_str()][..], "/tmp/node"),
        (&["--rootfs", r.root_str()], "/dev/node"),
        (&["--rootfs", r.root_str(), "--bind", bound, "/mnt"], "/mnt/node"),
        (&["--rootfs", r.root_str(), "--ro-bind", bound, "/ro", "--bind", bound, "/rw"], "/rw/node"),
        (&["--rootfs", r.root_str(), "--tmpfs", "/run"], "/run/node"),
        (&["--overlay", r.root_str(), "--overlay-upper", upper], "/tmp/node"),
        (&["--rootfs", r.root_str(), "--unshare", "user"], "/tmp/node"),
    ] {
        let mut args = options.to_vec();
        args.extend_from_slice(&[IN_PROBE, "mknod", path]);
        let seen = ok(r.nsinit(&args));
        let made_here = !options.contains(&"--unshare");
        let want = if made_here { "mknod ok\nopen EACCES\n" } else { "mknod EPERM\nopen ENOENT\n" };
        assert_eq!(seen, want, "{options:?}");
        let _ = fs::remove_file(r.host(path));
        let _ = fs::remove_file(Path::new(bound).join("node"));
        let _ = fs::remove_file(Path::new(upper).join("tmp/node"));
    }
    // The host's devices are still devices; a device bound on its own is
    // what was asked for, and works.
    assert_eq!(ok(r.run(&["--bind", bound, "/mnt", IN_PROBE, "write", "/dev/null", "x"])), "");
    assert_eq!(ok(r.run(&["--bind", "/dev/null", "/null", IN_PROBE, "write", "/null", "x"])), "");
}

/// A refused `--overlay-upper` makes nothing: its checks come before any
/// directory is made (before, `U.work` was left beside it, and `/.work` on
/// the host for `--overlay-upper /`). `U/` is `U`: its work directory is
/// `U.work` beside it, never inside the upper layer.
#[test]
fn a_refused_overlay_upper_makes_nothing_and_a_trailing_slash_changes_nothing() {
    let r = Rootfs::new("overlay-upper-made");
    let lower = r.root_str().to_string();
    let link = r.outside("link-to-lower");
    symlink(&r.root, &link).unwrap();
    let link = link.to_str().unwrap().to_string();
    let base = r.outside("").to_str().unwrap().trim_end_matches('/').to_string();
    for upper in [lower.clone(), format!("{lower}/"), link.clone(), base.clone(), "/".to_string()] {
        let line = fails(r.nsinit(&["--overlay", &lower, "--overlay-upper", &upper, IN_PROBE, "exit", "0"]), 125);
        // Named as given, cleaned (issue 12): `U/` is `U`.
        let shown = if upper == "/" { "/" } else { upper.trim_end_matches('/') };
        assert_eq!(line, format!("nsinit: --overlay-upper {shown}: holds the lower layer {lower}; the container would write into it"));
        let work = format!("{}.work", upper.trim_end_matches('/'));
        assert!(!Path::new(&work).exists(), "{work} was made for a refused --overlay-upper {upper}");
    }
    assert!(!Path::new("/.work").exists(), "/.work on the host");
    let upper = r.outside("upper");
    let slashed = format!("{}/", upper.to_str().unwrap());
    ok(r.nsinit(&["--overlay", &lower, "--overlay-upper", &slashed, IN_PROBE, "write", "/tmp/kept", "x"]));
    assert_eq!(fs::read_to_string(upper.join("tmp/kept")).unwrap(), "x", "the write is in the upper layer");
    assert!(r.outside("upper.work").is_dir(), "the work directory beside the upper one");
    assert!(!upper.join(".work").exists(), "no work directory inside the upper layer");
}

// ===========================================================================
// Every mount option against a hostile image: the destination, or a
// directory on its way, is a symlink to a host directory (absolute, or
// climbing with ..). Whatever the outcome, nothing is made, mounted or
// written at the host directory, and a failure is one line.
// ===========================================================================

#[test]
fn every_mount_option_stays_inside_a_hostile_rootfs() {
    let r = Rootfs::with_dirs("hostile-all", &["bin", "tmp", "etc", "proc", "dev", "sys"]);
    let victim = r.outside("victim");
    fs::create_dir_all(&victim).unwrap();
    write_file(&victim.join("keep"), "host data\n");
    let source = r.outside("source");
    fs::create_dir_all(&source).unwrap();
    let source = source.to_str().unwrap().to_string();
    let upper = r.outside("upper").to_str().unwrap().to_string();
    let victim_s = victim.to_str().unwrap().to_string();
    // Links the image holds on the way to the options' destinations.
    let climb = "../../../../../../../../../..".to_string() + &victim_s;
    symlink(&victim_s, r.host("/abs")).unwrap();
    symlink(&climb, r.host("/rel")).unwrap();
    // Inside the root the links lead to this, the image's own directory
    // of the same path: the mounts are made there.
    let inside = r.host(&victim_s);
    fs::create_dir_all(&inside).unwrap();
    let cases: Vec<Vec<String>> = [
        vec![],
        vec!["--proc", "/abs/p"],
        vec!["--sysfs", "/rel/s"],
        vec!["--tmpfs", "/abs/t"],
        vec!["--dev", "/rel/d"],
        vec!["--mqueue", "/abs/mq"],
        vec!["--bind", &source, "/abs/b"],
        vec!["--ro-bind", &source, "/rel/rb"],
        vec!["--mask", "/abs/keep"],
        vec!["--ro-path", "/rel"],
        vec!["--chdir", "/abs"],
        vec!["--read-only", "--tmpfs", "/rel/x"],
        vec!["--pids-max", "20", "--unshare", "cgroup"],
        vec!["--user", "1000", "--tmpfs", "/abs/u"],
        vec!["--unshare", "user", "--tmpfs", "/rel/un"],
        vec!["--init", "--tmpfs", "/abs/i"],
    ]
    .iter()
    .map(|c| c.iter().map(|w| w.to_string()).collect())
    .collect();
    let mut started = 0;
    for case in &cases {
        for base in [vec!["--rootfs", r.root_str()], vec!["--overlay", r.root_str(), "--overlay-upper", &upper]] {
            let mut args: Vec<&str> = base.clone();
            args.extend(case.iter().map(String::as_str));
            args.extend_from_slice(&[IN_PROBE, "write", "/abs/written", "x"]);
            let out = r.nsinit(&args);
            // The payload ran (its write through /abs lands in the image's own
            // directory, or the upper layer; or is refused: read-only, --user).
            if out.code() == 0 || out.stdout.starts_with("probe: /abs/written: ") {
                started += 1;
            }
            if out.code() == 0 && base[0] == "--rootfs" {
                assert_eq!(fs::read_to_string(inside.join("written")).unwrap_or_default(), "x", "{args:?}");
            }
            let _ = fs::remove_file(inside.join("written"));
            if out.code() != 0 {
                assert!(
                    out.stderr.starts_with("nsinit: ") && out.stderr.matches('\n').count() == 1
                        || out.stdout.starts_with("probe: "),
                    "{args:?}: {out:?}"
                );
            }
            let seen: Vec<String> =
                fs::read_dir(&victim).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
            assert_eq!(seen, ["keep"], "{args:?} reached the host directory the image's links name: {out:?}");
            assert_eq!(fs::read_to_string(victim.join("keep")).unwrap(), "host data\n", "{args:?}");
        }
    }
    assert_eq!(started, 2 * cases.len(), "every case starts its payload, its mounts made inside the image");
    // The default mount points themselves as links out, one at a time.
    for point in ["/proc", "/dev", "/sys", "/tmp"] {
        fs::remove_dir_all(r.host(point)).unwrap();
        for target in [&victim_s, &climb] {
            symlink(target, r.host(point)).unwrap();
            let out = r.run(&["--tmpfs", "/tmp/t", IN_PROBE, "exit", "0"]);
            let seen: Vec<String> =
                fs::read_dir(&victim).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
            assert_eq!(seen, ["keep"], "{point} -> {target}: {out:?}");
            if out.code() != 0 {
                assert!(out.stderr.starts_with("nsinit: ") && out.stderr.matches('\n').count() == 1, "{point}: {out:?}");
            }
            fs::remove_file(r.host(point)).unwrap();
        }
        fs::create_dir(r.host(point)).unwrap();
    }
}

/// A rootfs path whose last name is a symlink (to `/`, to `.`, a magic link
/// of `/proc/self`), or that ends in `/` after one: its lookup stops on the
/// link's target without crossing a mount on top, so a rootfs bound onto
/// itself there could not be found again by the path. Each starts the
/// container in that directory, as `/` and `.` do, with one mount on `/`.
#[test]
fn a_rootfs_path_ending_in_a_link_starts_the_container_there() {
    let r = Rootfs::new("rootfs-link");
    let base = r.base.to_str().unwrap();
    let probe = r.probe_host_path();
    let links: Vec<String> = ["/", "/.", "//"]
        .iter()
        .enumerate()
        .map(|(i, target)| {
            let link = r.outside(&format!("root-link-{i}"));
            symlink(target, &link).unwrap();
            link.to_str().unwrap().to_string()
        })
        .collect();
    // The host's root seen from inside: the scratch directory as on the host.
    let listing = |out: Out| sorted(ok(out).lines().map(str::to_string));
    let want = sorted(["root-link-0", "root-link-1", "root-link-2", "rootfs"]);
    for link in &links {
        for path in [link.clone(), format!("{link}/")] {
            assert_eq!(listing(r.nsinit(&["--rootfs", &path, &probe, "ls", base])), want, "--rootfs {path}");
        }
    }
    assert_eq!(listing(r.nsinit(&["--rootfs", "/proc/self/root", &probe, "ls", base])), want, "--rootfs /proc/self/root");
    // Links to `.` and the working directory's own magic link, from the
    // rootfs as the working directory.
    symlink(".", r.host("/cur")).unwrap();
    for path in ["cur", "cur/", "/proc/self/cwd", "/proc/self/cwd/"] {
        let mut cmd = command(&["--rootfs", path, IN_PROBE, "mountinfo"]);
        cmd.current_dir(&r.root);
        let seen = parse_mountinfo(&ok(run(cmd, Some(&r))));
        assert_eq!(seen.iter().filter(|m| m.point == "/").count(), 1, "--rootfs {path}: one mount on /: {seen:?}");
        assert!(seen.iter().any(|m| m.point == "/proc" && m.fstype == "proc"), "--rootfs {path}: {seen:?}");
    }
}
