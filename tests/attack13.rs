//! Attacks on what issue 13 added, from an image, a config or a payload
//! that wants to reach the host: each test is one class, with its exact
//! expected result. Anything that, before its fix, changed the namespace
//! it ran in runs in a throwaway namespace of `unshare`'s, which then
//! stands for the host: nsinit's own is that one.

mod harness;

use harness::*;
use std::fs;
use std::process::Command;

/// Runs `command` (nsinit's, or one that runs it) in a new namespace of `unshare`'s (`flags`), after
/// `setup` there, and then `after` there, whose output is returned with
/// nsinit's result. The scripts run in dash, whose `echo`, `test` and
/// `read` are builtins: they work even if the namespace's root moved.
fn in_throwaway(r: &Rootfs, flags: &[&str], setup: &str, after: &str, command: &[&str]) -> (Out, String) {
    let note = r.outside("after");
    let _ = fs::remove_file(&note);
    let script = format!(
        "{setup} >/dev/null 2>&1 || exit 99; \"$@\"; rc=$?; {{ {after}; }} >{} 2>&1; exit $rc",
        note.display()
    );
    let mut cmd = Command::new("unshare");
    cmd.args(flags).args(["/bin/sh", "-c", &script, "sh"]).args(command);
    let out = run(cmd, Some(r));
    let after = fs::read_to_string(&note).unwrap_or_else(|e| panic!("{after}: not run in the namespace ({e}): {out:?}"));
    (out, after)
}

/// Joining the namespace nsinit runs in (its own, the host's) or PID 1's
/// is allowed, as runc allows it, but the container must then change
/// nothing in it: no hostname set, no sysctl written, no mount made, no
/// `pivot_root` (which moves the root of every process of that mount
/// namespace). Before the fix, `--join uts:/proc/self/ns/uts --hostname
/// pwned` renamed the host, `--join ipc:... --sysctl kernel.shmmni=...`
/// set the host's, and `--join mnt:/proc/self/ns/mnt --rootfs R` moved
/// every process of the host into R.
#[test]
fn a_joined_host_namespace_is_never_changed() {
    let r = Rootfs::new("join-host");
    let root = r.root_str();
    let hostname_cases: [(&[&str], &str); 3] = [
        (&["--join", "uts:/proc/self/ns/uts", "--hostname", "pwned"], "hostname"),
        (&["--join", "uts:/proc/self/ns/uts", "--domainname", "pwned"], "hostname"),
        (&["--join", "uts:/proc/self/ns/uts", "--sysctl", "kernel.domainname=pwned"], "sysctl"),
    ];
    for (options, what) in hostname_cases {
        let args = [&[NSINIT, "--rootfs", root][..], options, &["/bin/probe", "exit", "0"]].concat();
        let (out, after) = in_throwaway(&r, &["-u"], "hostname orig && domainname orig", "hostname; domainname", &args);
        let line = fails(out, 125);
        let want = match what {
            "hostname" => "nsinit: join uts namespace /proc/self/ns/uts: it is the host's (nsinit's own or PID 1's): the container would set its hostname",
            _ => "nsinit: sysctl kernel.domainname: needs a uts namespace of the container's own",
        };
        assert_eq!(line, want, "{options:?}");
        assert_eq!(after, "orig\norig\n", "{options:?}: the namespace nsinit runs in was changed");
    }
    // IPC sysctls, by dots and by slashes.
    for key in ["kernel.shmmni", "kernel/shmmni", "fs.mqueue.queues_max"] {
        let setting = format!("{key}=1234");
        let args = [NSINIT, "--rootfs", root, "--join", "ipc:/proc/self/ns/ipc", "--sysctl", &setting, "/bin/probe", "exit", "0"];
        let (out, after) =
            in_throwaway(&r, &["-i"], "true", "cat /proc/sys/kernel/shmmni /proc/sys/fs/mqueue/queues_max", &args);
        assert_eq!(fails(out, 125), format!("nsinit: sysctl {key}: needs a ipc namespace of the container's own"));
        assert!(!after.contains("1234"), "{key}: the namespace nsinit runs in was changed: {after}");
    }
    // The mount namespace: a root, a mount, a masked path each change it.
    let mount_cases: [&[&str]; 4] = [
        &["--rootfs", root],
        &["--tmpfs", "/mnt"],
        &["--mount", "type=tmpfs,destination=/mnt"],
        &["--mask", "/etc"],
    ];
    for options in mount_cases {
        let args = [&[NSINIT][..], options, &["--join", "mnt:/proc/self/ns/mnt", "/bin/true"]].concat();
        let (out, after) = in_throwaway(
            &r,
            &["-m", "--propagation", "private"],
            "true",
            "test -x /bin/sh && echo root-kept; while read -r _ _ _ _ point _; do test \"$point\" = /mnt && echo mounted; done </proc/self/mountinfo",
            &args,
        );
        assert_eq!(
            fails(out, 125),
            "nsinit: join mnt namespace /proc/self/ns/mnt: it is the host's (nsinit's own or PID 1's): the container would change its mounts",
            "{options:?}"
        );
        assert_eq!(after, "root-kept\n", "{options:?}: the mount namespace nsinit runs in was changed");
    }
}

/// PID 1's namespace is the host's too when nsinit runs in namespaces of
/// its own: in a throwaway pid and uts namespace, nsinit runs in a further
/// uts namespace and joins PID 1's.
#[test]
fn pid_1s_namespace_is_the_hosts_too() {
    let r = Rootfs::new("join-pid1");
    let args = ["unshare", "-u", NSINIT, "--rootfs", r.root_str(), "--join", "uts:/proc/1/ns/uts", "--hostname", "pwned", "/bin/probe", "exit", "0"];
    let (out, after) = in_throwaway(&r, &["-p", "-f", "--mount-proc", "-u"], "hostname orig", "hostname", &args);
    assert_eq!(
        fails(out, 125),
        "nsinit: join uts namespace /proc/1/ns/uts: it is the host's (nsinit's own or PID 1's): the container would set its hostname"
    );
    assert_eq!(after, "orig\n");
}

/// Joining a namespace that is not the host's still works: a sibling
/// uts namespace made for it takes the hostname.
#[test]
fn a_joined_namespace_of_another_process_is_still_changed() {
    let r = Rootfs::new("join-other");
    // Killed below; long enough to outlast a wait for the test lock.
    let other = Command::new("unshare").args(["-u", "sleep", "600"]).spawn().expect("unshare");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let path = format!("uts:/proc/{}/ns/uts", other.id());
    let out = r.nsinit(&["--rootfs", r.root_str(), "--join", &path, "--hostname", "joined", "/bin/probe", "hostname"]);
    let mut other = other;
    let _ = other.kill();
    let _ = other.wait();
    assert_eq!(ok(out).trim(), "joined");
}

/// A host tmpfs mounted at `dir` for the length of a test, unmounted
/// (lazily) when dropped.
struct HostTmpfs(std::path::PathBuf);

impl HostTmpfs {
    /// Mounted under the test lock, as it is unmounted: the tests running
    /// beside this one compare the host's mount table before and after
    /// their containers, under the lock, and must not see it change.
    fn mount(dir: std::path::PathBuf) -> HostTmpfs {
        fs::create_dir_all(&dir).unwrap();
        let _lock = harness::serial();
        let status = Command::new("mount").args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"]).arg(&dir).status().unwrap();
        assert!(status.success(), "mount a tmpfs on {}", dir.display());
        HostTmpfs(dir)
    }

    /// Whether the host can still write to it (its filesystem is not read-only).
    fn writable(&self) -> bool {
        fs::write(self.0.join("host-note"), "x").is_ok()
    }
}

impl Drop for HostTmpfs {
    fn drop(&mut self) {
        let _lock = harness::serial();
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// `remount` without `bind` changes the filesystem itself (its
/// superblock), which the container shares with the host wherever the
/// mount is a bind of a host filesystem: the root, a `--bind`, a host
/// mount under the root. Before the fix, `--mount
/// type=none,destination=/,remount,ro` made the host filesystem under the
/// rootfs read-only for the host too (the host's `/` when the image lives
/// on it). Now such a remount is refused, naming the way to change the
/// mount point alone (`bind`); a `bind` remount, and a remount of a tmpfs
/// the container made itself, still work.
#[test]
fn a_remount_never_changes_a_host_filesystem() {
    let r = Rootfs::new("remount-host");
    // The root itself on a host tmpfs.
    let fs_root = HostTmpfs::mount(r.outside("tmpfs-root"));
    fs::create_dir_all(fs_root.0.join("bin")).unwrap();
    fs::copy(r.host("/bin/probe"), fs_root.0.join("bin/probe")).unwrap();
    // A host tmpfs under the usual rootfs, and one bound in.
    let under = HostTmpfs::mount(r.host("/data"));
    let bound = HostTmpfs::mount(r.outside("bound"));
    let bound_src = bound.0.to_str().unwrap().to_string();
    let tmpfs_root = fs_root.0.to_str().unwrap().to_string();
    let cases: [(&str, Vec<&str>, &HostTmpfs); 5] = [
        ("/", vec!["--rootfs", &tmpfs_root, "--mount", "type=none,destination=/,remount,ro"], &fs_root),
        ("/", vec!["--rootfs", &tmpfs_root, "--mount", "type=tmpfs,destination=/,remount,ro,size=1m"], &fs_root),
        ("/data", vec!["--rootfs", r.root_str(), "--mount", "type=none,destination=/data,remount,ro"], &under),
        ("/b", vec!["--rootfs", r.root_str(), "--bind", &bound_src, "/b", "--mount", "type=none,dst=/b,remount,ro"], &bound),
        // A tmpfs made on /b after the bind is the container's, but the
        // remount's destination is looked up when the remount is made: the
        // bind under it is the host's still, if the tmpfs is not there.
        ("/data", vec!["--rootfs", r.root_str(), "--mount", "type=tmpfs,dst=/other", "--mount", "type=tmpfs,dst=/data,remount,ro"], &under),
    ];
    for (dst, options, host) in &cases {
        let args = [&options[..], &["/bin/probe", "exit", "0"]].concat();
        let out = r.nsinit(&args);
        assert!(host.writable(), "{options:?}: the host's filesystem went read-only");
        assert_eq!(
            fails(out, 125),
            format!("nsinit: mount {dst}: remount without bind changes the filesystem, not a tmpfs this container made before: add bind to change the mount point alone"),
            "{options:?}"
        );
    }
    // What still works: a bind remount of a host mount (the mount point
    // only), a filesystem remount of the container's own tmpfs.
    let ms = ok(r.nsinit(&["--rootfs", r.root_str(), "--mount", "type=none,dst=/data,remount,bind,ro", "/bin/probe", "mountinfo"]));
    assert!(ms.lines().any(|l| l.contains(" /data ") && l.contains(" ro,")), "{ms}");
    assert!(under.writable(), "a bind remount left the host's filesystem alone");
    let ms = ok(r.nsinit(&["--rootfs", r.root_str(), "--mount", "type=tmpfs,dst=/t", "--mount", "type=tmpfs,dst=/t,remount,ro,size=2m", "/bin/probe", "mountinfo"]));
    assert!(ms.lines().any(|l| l.contains(" /t ") && l.contains("size=2048k")), "{ms}");
}

/// nsinit has no device cgroup unless asked, so every filesystem it
/// mounts or binds where the container may write is `nodev` (see
/// rootfs.rs, `device_nodes_made_in_the_container_cannot_be_opened`):
/// root in the container keeps CAP_MKNOD, as in Docker. The general
/// `--mount` (issue 13) broke that: `--mount type=tmpfs,destination=/d`
/// let the payload make `b 7:0` (the host's loop0) or `c 4:1` (its
/// console) and open them. Now a `--mount` (and a config file's `mount`)
/// is `nodev` unless its options say `dev`, as Docker's tmpfs mounts and
/// bubblewrap's binds are.
#[test]
fn a_general_mount_is_nodev_unless_it_says_dev() {
    let r = Rootfs::new("mount-nodev");
    let bound = r.outside("bound");
    fs::create_dir_all(&bound).unwrap();
    let bind = format!("type=bind,source={},destination=/b", bound.display());
    let bind_none = format!("type=none,source={},destination=/b,bind", bound.display());
    let conf = r.outside("box.conf");
    fs::write(&conf, "mount type=tmpfs,dst=/d\n").unwrap();
    let conf = conf.to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["--mount", "type=tmpfs,destination=/d"], "/d/node"),
        (&["--mount", "type=tmpfs,destination=/d,size=1m,suid,exec"], "/d/node"),
        (&["--mount", &bind], "/b/node"),
        (&["--mount", &bind_none], "/b/node"),
        (&["--config", conf], "/d/node"),
    ];
    for (options, path) in cases {
        let args = [&["--rootfs", r.root_str()][..], options, &[IN_PROBE, "mknod", path]].concat();
        assert_eq!(ok(r.nsinit(&args)), "mknod ok\nopen EACCES\n", "{options:?}");
        let _ = fs::remove_file(bound.join("node"));
    }
    // `dev` asked for: the caller's choice, as Docker's `--tmpfs /d:dev`.
    let args = ["--rootfs", r.root_str(), "--mount", "type=tmpfs,destination=/d,dev", IN_PROBE, "mknod", "/d/node"];
    assert_eq!(ok(r.nsinit(&args)), "mknod ok\nopen ok\n");
}
