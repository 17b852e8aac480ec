//! The mapping, on the host: JSON text in, description or message out.

use super::*;
use crate::config::{EnvOp, HookPoint, MountKind};
use linux_raw_sys::general::{CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID};

/// A minimal valid config with `extra` members added at the top level.
fn config(extra: &str) -> String {
    format!(
        r#"{{"ociVersion": "1.2.0", "root": {{"path": "rootfs"}},
        "process": {{"args": ["/bin/sh", "-c", "x"], "cwd": "/"}},
        "linux": {{"namespaces": [{{"type": "mount"}}]}} {extra}}}"#
    )
}

fn mapped(text: &str) -> Result<Container<'static>, String> {
    let text: &'static mut [u8] = Box::leak(text.as_bytes().to_vec().into_boxed_slice());
    let mut arena = Arena::new(Box::leak(vec![0u8; ARENA].into_boxed_slice()));
    let mut c = Container::new();
    match fill(text, b"/b", &mut arena, &mut c, true) {
        Ok(()) => Ok(c),
        Err(e) => Err(e.into_error(b"config.json").text()),
    }
}

fn fails(text: &str) -> String {
    mapped(text).expect_err("mapped")
}

#[test]
fn the_minimal_config_maps_exactly() {
    let c = mapped(&config("")).unwrap();
    assert_eq!(c.root.map(|r| r.bytes()), Some(&b"/b/rootfs"[..]), "relative to the bundle");
    assert_eq!(c.namespaces, CLONE_NEWNS);
    let argv: Vec<_> = c.process.args.argv().iter().map(|w| w.map(|w| w.bytes().to_vec())).collect();
    assert_eq!(argv, [Some(b"/bin/sh".to_vec()), Some(b"-c".to_vec()), Some(b"x".to_vec()), None]);
    assert_eq!(c.process.capabilities, Some(Default::default()), "none, as runc and crun read it");
    assert!(c.mounts.is_empty() && c.masked_paths.is_empty() && c.hostname.is_none());
    assert!(c.user_ns_refused, "no user namespace of nsinit's accord");
}

#[test]
fn the_template_is_a_config_nsinit_maps() {
    let c = mapped(&template::root_text()).unwrap();
    assert_eq!(c.namespaces, CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
    let kinds: Vec<_> = c.mounts.iter().map(|m| (m.kind, m.destination.bytes().to_vec())).collect();
    assert_eq!(
        kinds,
        [
            (MountKind::Other, b"/proc".to_vec()),
            (MountKind::Dev, b"/dev".to_vec()),
            (MountKind::Other, b"/dev/mqueue".to_vec()),
            (MountKind::Sysfs, b"/sys".to_vec()),
            (MountKind::Cgroup, b"/sys/fs/cgroup".to_vec()),
        ]
    );
    assert_eq!(c.mounts[0].fstype.map(|t| t.bytes()), Some(&b"proc"[..]));
    assert!(c.mounts[3].read_only() && c.mounts[4].read_only() && !c.mounts[0].read_only());
    assert!(!c.default_devices, "nsinit's /dev makes them");
    assert!(c.read_only && c.process.terminal && c.process.no_new_privileges);
    assert_eq!(c.process.user.map(|u| u.bytes()), Some(&b"0:0"[..]));
    assert_eq!(c.process.groups.as_deref(), Some(&[][..]));
    let caps = c.process.capabilities.unwrap();
    assert_eq!(caps.bounding, (1 << 29) | (1 << 5) | (1 << 10));
    assert_eq!((caps.inheritable, caps.ambient), (0, 0), "ambient needs inheritable");
    assert_eq!(c.rlimits.len(), 1);
    assert_eq!((c.rlimits[0].resource, c.rlimits[0].soft, c.rlimits[0].hard), (7, 1024, 1024));
    assert_eq!(c.masked_paths.len(), 10);
    assert_eq!(c.readonly_paths.len(), 5);
    assert_eq!(c.process.env[0], EnvOp::Clear);
    assert!(matches!(c.process.env[2], EnvOp::Set(n, v) if n.bytes() == b"TERM" && v.bytes() == b"xterm"));
}

#[test]
fn the_rootless_template_maps_too() {
    let c = mapped(&template::rootless_text(1000, 1000)).unwrap();
    assert!(c.has(linux_raw_sys::general::CLONE_NEWUSER) && !c.has(CLONE_NEWNET));
    assert_eq!((c.uid_maps[0].inside, c.uid_maps[0].outside, c.uid_maps[0].count), (0, 1000, 1));
    let sys = c.mounts.iter().find(|m| m.destination.bytes() == b"/sys").unwrap();
    assert_eq!((sys.kind, sys.read_only()), (MountKind::Sysfs, true));
}

#[test]
fn limits_map_as_runc_reads_them() {
    let c = mapped(&config(
        r#", "linux": {"namespaces": [{"type": "mount"}], "resources": {"memory": {"limit": 1048576, "swap": 3145728},
        "pids": {"limit": -1}, "cpu": {"quota": 50000, "cpus": "0-1"}}, "cgroupsPath": "/a/b"}"#,
    ))
    .unwrap();
    let r = c.resources;
    assert_eq!((r.memory_max, r.memory_swap_max, r.pids_max), (Some(1 << 20), Some(2 << 20), Some(u64::MAX)));
    assert_eq!(r.cpu_max, Some((50000, 100000)));
    assert_eq!(r.cpuset.map(|s| s.bytes()), Some(&b"0-1"[..]));
    assert_eq!(c.cgroup.map(|s| s.bytes()), Some(&b"/a/b"[..]));
}

#[test]
fn bad_input_names_the_field() {
    let cases: &[(&str, &str)] = &[
        (r#"{"root": {"path": "r"}}"#, "nsinit: config.json: ociVersion: missing (required)"),
        (r#"{"ociVersion": "1.2.0"}"#, "nsinit: config.json: root.path: missing (required)"),
        (
            r#"{"ociVersion": "1.2.0", "root": {"path": "r"}, "linux": {"namespaces": [{"type": "mount"}]}}"#,
            "nsinit: config.json: process: missing (required to run the container)",
        ),
        (r#"{"ociVersion": "2.0.0"}"#, "nsinit: config.json: ociVersion: unsupported version (nsinit reads 1.0.0 to 1.2.x) '2.0.0'"),
        (r#"{"ociVersion": 1}"#, "nsinit: config.json: ociVersion: expected a string"),
    ];
    for (text, want) in cases {
        assert_eq!(fails(text), *want, "{text}");
    }
    let cases: &[(&str, &str)] = &[
        (r#", "process": {"args": ["x"], "cwd": "w"}"#, "nsinit: config.json: process.cwd: expected an absolute path 'w'"),
        (
            r#", "linux": {"resources": {"memory": {"limit": "1G"}}}"#,
            "nsinit: config.json: linux.resources.memory.limit: expected an integer",
        ),
        (
            r#", "linux": {"namespaces": [{"type": "mount"}, {"type": "pid"}, {"type": "pid"}]}"#,
            "nsinit: config.json: linux.namespaces[2].type: namespace given twice 'pid'",
        ),
        (
            r#", "linux": {"namespaces": [{"type": "mount"}, {"type": "net"}]}"#,
            "nsinit: config.json: linux.namespaces[1].type: unknown namespace type 'net'",
        ),
        (
            r#", "mounts": [{"destination": "/a", "type": "bind", "source": "/x", "options": ["rbind", "bindd"]}]"#,
            "nsinit: config.json: mounts[0].options[1]: unknown mount option 'bindd'",
        ),
        (
            r#", "process": {"args": ["x"], "cwd": "/", "capabilities": {"bounding": ["CAP_KILL", "CAP_FOO"]}}"#,
            "nsinit: config.json: process.capabilities.bounding[1]: unknown capability 'CAP_FOO'",
        ),
        (r#", "linux": {"sysctl": {"net.ipv4.ip_forward": "1"}}"#, "nsinit: config.json: linux.sysctl: not supported"),
        (r#", "linux": {"intelRdt": {"closID": "x"}}"#, "nsinit: config.json: linux.intelRdt: not supported"),
        (
            r#", "linux": {"namespaces": [{"type": "mount"}, {"type": "network", "path": "/run/netns/x"}]}"#,
            "nsinit: config.json: linux.namespaces[1].path: not supported",
        ),
        (r#", "hostname": "h""#, "nsinit: config.json: hostname: needs a uts namespace (linux.namespaces)"),
        (r#", "process": {"args": ["x"], "cwd": "/", "env": ["A"]}"#, "nsinit: config.json: process.env[0]: expected NAME=VALUE 'A'"),
    ];
    for (extra, want) in cases {
        assert_eq!(fails(&config(extra)), *want, "{extra}");
    }
    // Unknown fields are ignored; empty unsupported ones are no setting.
    assert!(mapped(&config(r#", "frob": [1, {"a": null}], "linux": {"namespaces": [{"type": "mount"}], "sysctl": {}, "devices": []}"#)).is_ok());
}

#[test]
fn capacities_are_errors() {
    let args = (0..257).map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(",");
    assert_eq!(
        fails(&config(&format!(r#", "process": {{"args": [{args}], "cwd": "/"}}"#))),
        "nsinit: config.json: process.args[256]: too many words (at most 256)"
    );
    let mounts = (0..65).map(|_| r#"{"destination": "/t", "type": "tmpfs"}"#).collect::<Vec<_>>().join(",");
    assert_eq!(fails(&config(&format!(r#", "mounts": [{mounts}]"#))), "nsinit: config.json: mounts[64]: too many mounts (at most 64)");
    let long = "r".repeat(ARENA);
    assert_eq!(
        fails(&config(&format!(r#", "root": {{"path": "{long}"}}"#))),
        "nsinit: config.json: root.path: strings made from the file too long in all (at most 32 KiB)"
    );
}

#[test]
fn ids_as_runc_takes_them() {
    for ok in ["a", "A9", "0", "a_b.c+d-e", &"x".repeat(1024)] {
        assert!(check_id(ok.as_bytes()).is_ok(), "{ok}");
    }
    for bad in ["", "-a", ".a", "a/b", "a b", &"x".repeat(1025)] {
        assert!(check_id(bad.as_bytes()).is_err(), "{bad}");
    }
}

#[test]
fn hooks_and_annotations_are_kept() {
    let c = mapped(&config(
        r#", "annotations": {"org.example": "v", "b": ""},
        "hooks": {"prestart": [{"path": "/bin/a"}], "poststop": [{"path": "/bin/b", "args": ["b", "1"], "env": ["X=1"], "timeout": 5}],
        "frob": [1]}"#,
    ))
    .unwrap();
    let notes: Vec<_> = c.identity.annotations.iter().map(|(k, v)| (k.bytes().to_vec(), v.bytes().to_vec())).collect();
    assert_eq!(notes, [(b"org.example".to_vec(), b"v".to_vec()), (b"b".to_vec(), b"".to_vec())]);
    assert_eq!(c.hooks.list.len(), 2);
    let words = |start| c.hooks.words_from(start).iter().map(|w| w.map(|w| w.bytes().to_vec())).collect::<Vec<_>>();
    let (a, b) = (c.hooks.list[0], c.hooks.list[1]);
    assert_eq!((a.point, a.timeout, b.point, b.timeout), (HookPoint::Prestart, None, HookPoint::Poststop, Some(5)));
    assert_eq!(words(a.args), [Some(b"/bin/a".to_vec()), None], "argv is the path alone");
    assert_eq!(words(a.env), [None]);
    assert_eq!(words(b.args), [Some(b"b".to_vec()), Some(b"1".to_vec()), None]);
    assert_eq!(words(b.env), [Some(b"X=1".to_vec()), None]);
    assert_eq!(
        fails(&config(r#", "hooks": {"poststart": [{"path": "rel"}]}"#)),
        "nsinit: config.json: hooks.poststart[0].path: expected an absolute path 'rel'"
    );
    assert_eq!(
        fails(&config(r#", "hooks": {"poststart": [{"path": "/x", "timeout": 0}]}"#)),
        "nsinit: config.json: hooks.poststart[0].timeout: expected seconds, at least 1"
    );
}
