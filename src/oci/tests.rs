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
    match fill(text, b"/b", &mut arena, &mut c, (true, true)) {
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
    assert_eq!((r.memory_max, r.memory_swap, r.pids_max), (Some(1 << 20), Some(3 << 20), Some(u64::MAX)));
    assert_eq!(r.memory_swap_max, None, "the spec's swap is memory and swap together");
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
        (r#", "linux": {"intelRdt": {"closID": "x"}}"#, "nsinit: config.json: linux.intelRdt: not supported"),
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
        assert!(check_id(b"run", ok.as_bytes()).is_ok(), "{ok}");
    }
    for bad in ["", "-a", ".a", "a/b", "a b", &"x".repeat(1025)] {
        assert!(check_id(b"run", bad.as_bytes()).is_err(), "{bad}");
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

/// `config` with `linux` holding a mount namespace and `extra`.
fn linux(extra: &str) -> String {
    config(&format!(r#", "linux": {{"namespaces": [{{"type": "mount"}}, {{"type": "uts"}}, {{"type": "network"}}, {{"type": "ipc"}}, {{"type": "time"}}] {extra}}}"#))
}

#[test]
fn every_resource_maps_as_runc_reads_it() {
    use crate::config::{BlkioDevice, BlkioLimit, DeviceRule};
    let c = mapped(&linux(
        r#", "resources": {
        "memory": {"limit": 100, "reservation": -1, "swap": 200, "swappiness": 60, "disableOOMKiller": true, "kernel": 5, "kernelTCP": 6},
        "cpu": {"shares": 512, "quota": -1, "period": 50000, "burst": 1000, "idle": 1, "realtimeRuntime": -1, "realtimePeriod": 7,
                "cpus": "0-3", "mems": "0"},
        "pids": {"limit": 0},
        "blockIO": {"weight": 500, "leafWeight": 300, "weightDevice": [{"major": 8, "minor": 0, "weight": 100, "leafWeight": 50}],
                    "throttleReadBpsDevice": [{"major": 8, "minor": 1, "rate": 1000}],
                    "throttleWriteIOPSDevice": [{"major": 8, "minor": 2, "rate": 30}]},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
        "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
        "rdma": {"mlx5_1": {"hcaHandles": 3}},
        "unified": {"memory.high": "max", "io.weight": "default 100"},
        "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": -1, "access": "rw"}]}"#,
    ))
    .unwrap();
    let r = &c.resources;
    assert_eq!((r.memory_max, r.memory_reservation, r.memory_swap, r.memory_swappiness), (Some(100), Some(u64::MAX), Some(200), Some(60)));
    assert!(r.oom_kill_disable);
    assert_eq!((r.cpu_shares, r.cpu_max, r.cpu_burst, r.cpu_idle), (Some(512), Some((u64::MAX, 50000)), Some(1000), Some(1)));
    assert_eq!((r.cpu_rt_runtime, r.cpu_rt_period), (Some(u64::MAX), Some(7)));
    assert_eq!((r.cpuset.map(|s| s.bytes()), r.cpuset_mems.map(|s| s.bytes())), (Some(&b"0-3"[..]), Some(&b"0"[..])));
    assert_eq!(r.pids_max, Some(u64::MAX), "0 is no limit, as runc reads it");
    assert_eq!((r.blkio_weight, r.blkio_leaf_weight), (Some(500), Some(300)));
    let d = |limit, minor, value| BlkioDevice { limit, major: 8, minor, path: None, value };
    assert_eq!(
        r.blkio_devices[..],
        [d(BlkioLimit::Weight, 0, 100), d(BlkioLimit::LeafWeight, 0, 50), d(BlkioLimit::ReadBps, 1, 1000), d(BlkioLimit::WriteIops, 2, 30)]
    );
    assert_eq!((r.hugepage_limits[0].page_size, r.hugepage_limits[0].limit), (&b"2MB"[..], 4 << 20));
    assert_eq!((r.net_class_id, r.net_priorities[0].interface, r.net_priorities[0].priority), (Some(1048577), &b"eth0"[..], 5));
    assert_eq!((r.rdma[0].device, r.rdma[0].hca_handles, r.rdma[0].hca_objects), (&b"mlx5_1"[..], Some(3), None));
    assert_eq!(r.unified[..], [(&b"memory.high"[..], &b"max"[..]), (&b"io.weight"[..], &b"default 100"[..])]);
    assert_eq!(
        r.devices[..],
        [
            DeviceRule { allow: false, kind: b'a', major: None, minor: None, access: 7 },
            DeviceRule { allow: true, kind: b'c', major: Some(1), minor: None, access: 6 },
        ]
    );
}

#[test]
fn the_template_has_runc_specs_device_rule() {
    let c = mapped(&template::root_text()).unwrap();
    assert_eq!(c.resources.devices[..], [resources::DENY_ALL]);
    let c = mapped(&template::rootless_text(1000, 1000)).unwrap();
    assert!(c.resources.devices.is_empty(), "runc spec --rootless has no resources");
}

/// `n` devices in `linux.devices`, as a privileged container's config
/// lists the host's /dev (`/dev/ttyN`, char 4:N).
fn with_devices(n: usize) -> String {
    let list: Vec<String> = (0..n).map(|i| format!(r#"{{"path": "/dev/tty{i}", "type": "c", "major": 4, "minor": {i}}}"#)).collect();
    config(&format!(r#", "linux": {{"namespaces": [{{"type": "mount"}}], "devices": [{}]}}"#, list.join(",")))
}

#[test]
fn a_privileged_containers_devices_map() {
    // containerd's `ctr run --privileged` (and CRI's, docker's) gives every
    // node of the host's /dev: 104 on a small VM; 32 was refused.
    let c = mapped(&with_devices(crate::config::MAX_DEVICES)).unwrap();
    assert_eq!(c.devices.len(), crate::config::MAX_DEVICES);
    assert_eq!((c.devices[300].path.bytes(), c.devices[300].minor), (&b"/dev/tty300"[..], 300));
    assert_eq!(
        fails(&with_devices(crate::config::MAX_DEVICES + 1)),
        "nsinit: config.json: linux.devices[512]: too many devices (at most 512)"
    );
}

#[test]
fn kernel_fields_map() {
    use crate::config::DeviceKind;
    use linux_raw_sys::general::{CLONE_NEWUTS, MS_REC, MS_SHARED, SCHED_FIFO};
    let c = mapped(&config(
        r#", "linux": {"namespaces": [{"type": "mount"}, {"type": "uts", "path": "/proc/1/ns/uts"}, {"type": "ipc"}, {"type": "time"}],
        "sysctl": {"kernel.shmmax": "1000", "fs.mqueue.msg_max": "20"},
        "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 5},
                    {"path": "/dev/fifo", "type": "p"}, {"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 8630}],
        "personality": {"domain": "LINUX32"},
        "timeOffsets": {"monotonic": {"secs": -5, "nanosecs": 10}, "boottime": {"secs": 7}},
        "rootfsPropagation": "rshared"},
        "process": {"args": ["x"], "cwd": "/", "user": {"uid": 1, "gid": 2, "umask": 18},
        "scheduler": {"policy": "SCHED_FIFO", "priority": 10, "flags": ["SCHED_FLAG_RESET_ON_FORK"]},
        "ioPriority": {"class": "IOPRIO_CLASS_IDLE", "priority": 7},
        "execCPUAffinity": {"initial": "0", "final": "1-2"},
        "apparmorProfile": "docker-default", "selinuxLabel": "system_u:system_r:container_t:s0"}"#,
    ))
    .unwrap();
    assert_eq!((c.joins.len(), c.joins[0].namespace, c.joins[0].path.bytes()), (1, CLONE_NEWUTS, &b"/proc/1/ns/uts"[..]));
    assert!(!c.has(CLONE_NEWUTS), "joined, not made");
    let sysctls: Vec<_> = c.sysctls.iter().map(|s| (s.key.bytes(), s.value.bytes())).collect();
    assert_eq!(sysctls, [(&b"kernel.shmmax"[..], &b"1000"[..]), (&b"fs.mqueue.msg_max"[..], &b"20"[..])]);
    let fuse = c.devices[0];
    assert_eq!((fuse.path.bytes(), fuse.kind, fuse.major, fuse.minor), (&b"/dev/fuse"[..], DeviceKind::Char, 10, 229));
    assert_eq!((fuse.file_mode, fuse.uid, fuse.gid, fuse.source), (Some(0o666), Some(0), Some(5), None));
    assert_eq!(c.devices[1].kind, DeviceKind::Fifo);
    // podman's fileMode: the host node's st_mode, 0o20666, type bits and all.
    assert_eq!(c.devices[2].file_mode, Some(0o666));
    assert_eq!(c.personality, Some(crate::config::PER_LINUX32));
    let t = c.time_offsets.unwrap();
    assert_eq!((t.monotonic, t.boottime), ((-5, 10), (7, 0)));
    assert_eq!(c.rootfs_propagation, MS_SHARED | MS_REC);
    let p = &c.process;
    assert_eq!(p.umask, Some(0o22));
    let s = p.scheduler.unwrap();
    assert_eq!((s.policy, s.priority, s.flags), (SCHED_FIFO, 10, 1));
    assert_eq!(p.io_priority.map(|i| (i.class, i.priority)), Some((3, 7)));
    assert_eq!(p.cpu_affinity.initial.map(|s| s.0[0]), Some(1));
    assert_eq!(p.cpu_affinity.at_exec.map(|s| s.0[0]), Some(6));
    assert_eq!(p.apparmor_profile.map(|l| l.bytes()), Some(&b"docker-default"[..]));
    assert_eq!(p.selinux_label.map(|l| l.bytes()), Some(&b"system_u:system_r:container_t:s0"[..]));
}

#[test]
fn seccomp_maps_as_crun_adds_it() {
    use crate::config::Seccomp;
    use crate::seccomp::{Action, ArgCmp, Op, syscall_number};
    let c = mapped(&linux(
        r#", "seccomp": {"syscalls": [
            {"names": ["getpid", "no_such_call", "mmap2"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
            {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
             "args": [{"index": 0, "value": 4294967295, "valueTwo": 16, "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
            {"names": ["gettid"], "action": "SCMP_ACT_ERRNO"}],
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "flags": ["SECCOMP_FILTER_FLAG_LOG"]}"#,
    ))
    .unwrap();
    let Seccomp::Rules(p) = c.seccomp else { panic!("no profile: {:?}", c.seccomp) };
    let nr = |n: &str| syscall_number(n.as_bytes()).unwrap();
    assert_eq!(p.default, Action::Errno(38));
    assert!(p.decides_i386() && !p.decides_x32() && p.foreign_kills_thread);
    assert_eq!(p.flags, linux_raw_sys::ptrace::SECCOMP_FILTER_FLAG_LOG);
    assert_eq!(p.action_for(nr("getpid")), Action::Allow);
    assert!(!p.rules.iter().any(|r| r.nr == nr("getppid")), "a rule with the default action is left out");
    assert_eq!(p.action_for(nr("gettid")), Action::Errno(1), "EPERM without errnoRet, as crun");
    assert!(p.rules.iter().any(|r| r.abi == crate::seccomp::Abi::I386), "mmap2, i386's own");
    let cond = |name: &str| {
        let r = p.rules.iter().find(|r| r.nr == nr(name)).unwrap();
        (r.action, r.when.test(&p.args, 0))
    };
    assert_eq!(cond("personality"), (Action::Allow, Some(ArgCmp::new(0, Op::Eq, 8))));
    assert_eq!(cond("socket"), (Action::Errno(97), Some(ArgCmp::masked_eq(0, u32::MAX as u64, 16))));
}

#[test]
fn a_notify_rule_hands_its_listener_to_listener_path() {
    use crate::config::Seccomp;
    use crate::seccomp::{Action, syscall_number};
    use linux_raw_sys::ptrace::SECCOMP_FILTER_FLAG_NEW_LISTENER;
    let c = mapped(&linux(
        r#", "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}],
        "listenerPath": "/run/agent.sock", "listenerMetadata": "m=1"}"#,
    ))
    .unwrap();
    let Seccomp::Rules(p) = c.seccomp else { panic!("no profile: {:?}", c.seccomp) };
    assert_eq!(p.action_for(syscall_number(b"mkdir").unwrap()), Action::Notify);
    assert_eq!(p.flags, SECCOMP_FILTER_FLAG_NEW_LISTENER);
    let l = c.seccomp_listener.expect("a listener");
    assert_eq!((l.path.bytes(), l.metadata.map(|m| m.bytes())), (&b"/run/agent.sock"[..], Some(&b"m=1"[..])));
    // A listener and no call notified: no listener is made, as runc.
    let c = mapped(&linux(r#", "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/s", "listenerMetadata": ""}"#)).unwrap();
    let Seccomp::Rules(p) = c.seccomp else { panic!("no profile") };
    assert_eq!((p.flags, c.seccomp_listener), (0, None));
}

#[test]
fn bad_values_of_the_newly_mapped_sections() {
    let cases: &[(&str, &str)] = &[
        (r#", "sysctl": {"kernel.core_pattern": "x"}"#, "linux.sysctl.kernel.core_pattern: not a namespaced sysctl (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*, kernel.hostname, kernel.domainname) 'kernel.core_pattern'"),
        (r#", "devices": [{"path": "dev/x", "type": "c"}]"#, "linux.devices[0].path: expected an absolute path 'dev/x'"),
        (r#", "devices": [{"path": "/dev/x", "type": "x"}]"#, "linux.devices[0].type: expected c, b, u or p 'x'"),
        (r#", "devices": [{"path": "/dev/x", "type": "c", "major": 1}]"#, "linux.devices[0]: major and minor: missing (required but for p)"),
        (r#", "devices": [{"path": "/dev/x", "type": "c", "major": 4096, "minor": 1}]"#, "linux.devices[0].major: expected at most 4095"),
        (r#", "devices": [{"path": "/dev/x", "type": "c", "major": 1, "minor": 1, "fileMode": 25014}]"#, "linux.devices[0]: fileMode: file type bits (S_IFMT) of another type than `type`'s"),
        (r#", "devices": [{"path": "/dev/x", "type": "c", "major": 1, "minor": 1, "fileMode": 65536}]"#, "linux.devices[0].fileMode: expected permission bits, at most 07777"),
        (r#", "personality": {"domain": "LINUX64"}"#, "linux.personality.domain: expected LINUX or LINUX32 'LINUX64'"),
        (r#", "personality": {"domain": "LINUX", "flags": ["x"]}"#, "linux.personality.flags: not supported"),
        (r#", "timeOffsets": {"realtime": {"secs": 1}}"#, "linux.timeOffsets.realtime: expected monotonic or boottime 'realtime'"),
        (r#", "timeOffsets": {"boottime": {"nanosecs": 1000000000}}"#, "linux.timeOffsets.boottime.nanosecs: expected nanoseconds below 1000000000"),
        (r#", "rootfsPropagation": "slave2""#, "linux.rootfsPropagation: expected private, rprivate, shared, rshared, slave, rslave, unbindable or runbindable 'slave2'"),
        (r#", "seccomp": {"syscalls": []}"#, "linux.seccomp: defaultAction: missing (required)"),
        (r#", "seccomp": {"defaultAction": "SCMP_ACT_DENY"}"#, "linux.seccomp: unknown seccomp action 'SCMP_ACT_DENY'"),
        (r#", "seccomp": {"defaultAction": "SCMP_ACT_NOTIFY"}"#, "linux.seccomp: not supported (it needs listenerPath) 'SCMP_ACT_NOTIFY'"),
        (r#", "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}"#, "linux.seccomp: not supported (it needs listenerPath) 'SCMP_ACT_NOTIFY'"),
        (r#", "seccomp": {"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/s"}"#, "linux.seccomp: SCMP_ACT_NOTIFY cannot be the default action (nsinit hands the listener on with sendmsg)"),
        (r#", "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/s", "syscalls": [{"names": ["sendmsg"], "action": "SCMP_ACT_NOTIFY", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_GT"}]}]}"#, "linux.seccomp: SCMP_ACT_NOTIFY cannot be used for sendmsg (nsinit hands the listener on with it)"),
        (r#", "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]}"#, "linux.seccomp.architectures[0]: unknown seccomp architecture"),
        (r#", "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_X"]}"#, "linux.seccomp.flags[0]: unknown seccomp flag"),
        (r#", "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 6, "op": "SCMP_CMP_EQ"}]}]}"#, "linux.seccomp.syscalls[0].args[0]: index is more than 5 'SCMP_CMP_EQ'"),
        (r#", "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "op": "SCMP_CMP_XX"}]}]}"#, "linux.seccomp.syscalls[0].args[0]: unknown seccomp operator 'SCMP_CMP_XX'"),
        (r#", "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"]}]}"#, "linux.seccomp.syscalls[0]: action: missing (required)"),
        (r#", "resources": {"memory": {"swappiness": 101}}"#, "linux.resources.memory.swappiness: expected an integer from 0 to 100"),
        (r#", "resources": {"cpu": {"idle": 2}}"#, "linux.resources.cpu.idle: expected 0 or 1"),
        (r#", "resources": {"cpu": {"quota": 10}}"#, "linux.resources.cpu: expected a quota of at least 1000 and a period from 1000 to 1000000 (microseconds)"),
        (r#", "resources": {"cpu": {"mems": "a"}}"#, "linux.resources.cpu.mems: expected a list such as 0-1,3 'a'"),
        (r#", "resources": {"blockIO": {"weight": 5}}"#, "linux.resources.blockIO.weight: expected a weight from 10 to 1000"),
        (r#", "resources": {"blockIO": {"throttleReadBpsDevice": [{"major": 8, "rate": 1}]}}"#, "linux.resources.blockIO.throttleReadBpsDevice[0]: expected major and minor"),
        (r#", "resources": {"hugepageLimits": [{"pageSize": "2XB", "limit": 1}]}"#, "linux.resources.hugepageLimits[0].pageSize: expected a huge page size such as 2MB or 1GB '2XB'"),
        (r#", "resources": {"unified": {"../x": "1"}}"#, "linux.resources.unified.../x: expected a cgroup v2 file name such as memory.high '../x'"),
        (r#", "resources": {"devices": [{"access": "rwm"}]}"#, "linux.resources.devices[0]: allow: missing (required)"),
        (r#", "resources": {"devices": [{"allow": true, "type": "x"}]}"#, "linux.resources.devices[0].type: expected a, b or c 'x'"),
        (r#", "resources": {"devices": [{"allow": true, "access": "rr"}]}"#, "linux.resources.devices[0].access: expected r, w and m, each at most once 'rr'"),
        (r#", "resources": {"devices": [{"allow": true, "major": -2}]}"#, "linux.resources.devices[0].major: expected a device number (major at most 4095, minor at most 1048575), or -1 for any"),
    ];
    for (extra, want) in cases {
        assert_eq!(fails(&linux(extra)), format!("nsinit: config.json: {want}"), "{extra}");
    }
    let process = |extra: &str| fails(&config(&format!(r#", "process": {{"args": ["x"], "cwd": "/", {extra}}}"#)));
    for (extra, want) in [
        (r#""user": {"umask": 512}"#, "process.user.umask: expected permission bits, at most 0777 (511)"),
        (r#""scheduler": {"priority": 1}"#, "process.scheduler: policy: missing (required)"),
        (r#""scheduler": {"policy": "SCHED_X"}"#, "process.scheduler.policy: unknown scheduling policy 'SCHED_X'"),
        (r#""scheduler": {"policy": "SCHED_RR", "nice": 20}"#, "process.scheduler.nice: expected -20 to 19"),
        (r#""scheduler": {"policy": "SCHED_RR", "flags": ["X"]}"#, "process.scheduler.flags[0]: unknown scheduling flag 'X'"),
        (r#""ioPriority": {"class": "IOPRIO_CLASS_X"}"#, "process.ioPriority.class: expected IOPRIO_CLASS_RT, _BE or _IDLE 'IOPRIO_CLASS_X'"),
        (r#""ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 8}"#, "process.ioPriority.priority: expected 0 to 7"),
        (r#""execCPUAffinity": {"final": "1-x"}"#, "process.execCPUAffinity.final: expected CPUs below 1024 such as 0-3,7 '1-x'"),
    ] {
        assert_eq!(process(extra), format!("nsinit: config.json: {want}"), "{extra}");
    }
    assert_eq!(
        fails(&config(r#", "linux": {"namespaces": [{"type": "mount"}], "timeOffsets": {"boottime": {"secs": 1}}}"#)),
        "nsinit: config.json: linux.timeOffsets: needs a new time namespace (linux.namespaces)"
    );
    assert_eq!(
        fails(&config(r#", "linux": {"namespaces": [{"type": "mount"}, {"type": "pid"}, {"type": "pid", "path": "/p"}]}"#)),
        "nsinit: config.json: linux.namespaces[2].type: namespace given twice 'pid'"
    );
}

#[test]
fn tmpcopyup_marks_the_tmpfs_and_is_no_filesystem_option() {
    let c = mapped(&config(r#", "mounts": [{"destination": "/t", "type": "tmpfs", "options": ["nosuid", "tmpcopyup", "mode=755"]}, {"destination": "/u", "type": "tmpfs"}]"#)).unwrap();
    let marks: Vec<_> = c.mounts.iter().map(|m| (m.copy_up, m.data.map(|d| d.bytes()))).collect();
    assert_eq!(marks, [(true, Some(&b"mode=755"[..])), (false, None)]);
}

#[test]
fn mount_label_goes_into_the_data_as_runc_formats_it_with_selinux() {
    const LABEL: &str = "system_u:object_r:container_file_t:s0:c1,c2";
    let text = format!(
        r#"{{"ociVersion": "1.2.0", "root": {{"path": "rootfs"}},
        "process": {{"args": ["x"], "cwd": "/"}},
        "mounts": [{{"destination": "/t", "type": "tmpfs", "options": ["nosuid", "size=1m", "mode=755"]}},
            {{"destination": "/u", "type": "tmpfs"}}, {{"destination": "/p", "type": "proc"}},
            {{"destination": "/q", "type": "mqueue"}}, {{"destination": "/s", "type": "sysfs"}},
            {{"destination": "/b", "type": "none", "source": "/x", "options": ["rbind"]}},
            {{"destination": "/r", "type": "ramfs", "options": ["mode=700"]}}],
        "linux": {{"namespaces": [{{"type": "mount"}}], "mountLabel": "{LABEL}"}}}}"#
    );
    let data = |c: &Container<'_>| c.mounts.iter().map(|m| m.data.map(|d| String::from_utf8_lossy(d.bytes()).into_owned())).collect::<Vec<_>>();
    let mut c = mapped(&text).unwrap();
    assert_eq!(c.mount_label.map(|l| l.bytes()), Some(LABEL.as_bytes()));
    // Without SELinux (this host's case), the label changes nothing; the
    // mapping with it enabled is then made here.
    if !crate::container::selinux_enabled() {
        let plain = mapped(&text.replace(LABEL, "")).unwrap();
        assert_eq!((data(&c), plain.mount_label), (data(&plain), None));
        let mut arena = Arena::new(Box::leak(vec![0u8; ARENA].into_boxed_slice()));
        let mut m = Map { c: &mut c, arena: &mut arena, dir: b"/b", seen: 0, dev: false, seccomp: true };
        mounts::label_mounts(&mut m, true).unwrap();
    }
    let quoted = format!("context=\"{LABEL}\"");
    assert_eq!(
        data(&c),
        [Some(format!("size=1m,mode=755,{quoted}")), Some(quoted.clone()), None, None, None, None, Some(format!("mode=700,{quoted}"))]
    );
}

#[test]
fn idmapped_mounts_map_as_runc_and_crun_read_them() {
    use crate::config::{IdMap, Idmap};
    let bind = |options: &str, maps: &str| {
        config(&format!(r#", "mounts": [{{"destination": "/d", "type": "bind", "source": "/s", "options": [{options}] {maps}}}]"#))
    };
    let own = r#", "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}], "gidMappings": [{"containerID": 0, "hostID": 2000, "size": 1}, {"containerID": 5, "hostID": 3000, "size": 2}]"#;
    // The mount's own maps, in the user namespace's terms.
    let c = mapped(&bind(r#""rbind", "idmap""#, own)).unwrap();
    assert_eq!(c.mounts[0].idmap, Some(Idmap { recursive: false, maps: Some(0) }));
    assert_eq!(&c.mount_maps[0].uid[..], &[IdMap { inside: 0, outside: 1000, count: 10 }]);
    assert_eq!(&c.mount_maps[0].gid[..], &[IdMap { inside: 0, outside: 2000, count: 1 }, IdMap { inside: 5, outside: 3000, count: 2 }]);
    let c = mapped(&bind(r#""rbind", "ridmap""#, own)).unwrap();
    assert_eq!(c.mounts[0].idmap, Some(Idmap { recursive: true, maps: Some(0) }));
    // Maps alone make it `idmap`, as runc and crun take them.
    let c = mapped(&bind(r#""bind""#, own)).unwrap();
    assert_eq!(c.mounts[0].idmap, Some(Idmap { recursive: false, maps: Some(0) }));
    // Without maps of its own: the container's user namespace's.
    let userns = r#", "linux": {"namespaces": [{"type": "mount"}, {"type": "user"}], "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}], "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}"#;
    let text = config(&format!(r#", "mounts": [{{"destination": "/d", "type": "bind", "source": "/s", "options": ["ridmap"]}}] {userns}"#));
    let c = mapped(&text).unwrap();
    assert_eq!((c.mounts[0].idmap, c.mount_maps.len()), (Some(Idmap { recursive: true, maps: None }), 0));
    // No word, no maps: a plain bind.
    assert_eq!(mapped(&bind(r#""rbind""#, "")).unwrap().mounts[0].idmap, None);
}

#[test]
fn bad_idmapped_mounts_name_the_mount() {
    let mount = |json: &str| fails(&config(&format!(r#", "mounts": [{{"destination": "/z", "type": "bind", "source": "/s", "options": ["rbind"]}}, {json}]"#)));
    let uid = r#""uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]"#;
    let gid = r#""gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]"#;
    let nine = (0..9).map(|i| format!(r#"{{"containerID": {i}, "hostID": {}, "size": 1}}"#, 1000 + i)).collect::<Vec<_>>().join(",");
    for (json, want) in [
        (
            format!(r#"{{"destination": "/d", "type": "tmpfs", "options": ["idmap"], {uid}, {gid}}}"#),
            "mounts[1]: idmap and ridmap are for a bind mount (bind or rbind)".to_string(),
        ),
        (
            r#"{"destination": "/d", "type": "bind", "source": "/s", "options": ["rbind", "remount", "ridmap"]}"#.to_string(),
            "mounts[1]: idmap and ridmap are for a bind mount (bind or rbind)".to_string(),
        ),
        (
            format!(r#"{{"destination": "/d", "type": "bind", "source": "/s", "options": ["idmap"], {uid}}}"#),
            "mounts[1]: uidMappings and gidMappings: expected both, or neither".to_string(),
        ),
        (
            format!(r#"{{"destination": "/d", "type": "bind", "source": "/s", "options": ["idmap"], "uidMappings": [{nine}], {gid}}}"#),
            "mounts[1].uidMappings[8]: too many map lines (at most 8)".to_string(),
        ),
        (
            format!(r#"{{"destination": "/d", "type": "bind", "source": "/s", "options": ["idmap"], "uidMappings": [{{"containerID": 0, "hostID": 1}}], {gid}}}"#),
            "mounts[1].uidMappings[0]: expected containerID, hostID and size".to_string(),
        ),
        (
            r#"{"destination": "/d", "type": "bind", "source": "/s", "options": ["rbind", "idmap"]}"#.to_string(),
            "mounts: idmap without the mount's uidMappings and gidMappings needs the container's (linux.uidMappings)".to_string(),
        ),
        (
            r#"{"destination": "/d", "type": "bind", "source": "/s", "options": ["rbind", "tmpcopyup"]}"#.to_string(),
            "mounts[1]: tmpcopyup: for a tmpfs only, not 'bind'".to_string(),
        ),
    ] {
        assert_eq!(mount(&json), format!("nsinit: config.json: {want}"), "{json}");
    }
}

#[test]
fn only_the_whole_identity_map_is_the_initial_user_namespace() {
    assert!(super::initial_uid_map(b"         0          0 4294967295\n"));
    for map in [&b"         0     100000      65536\n"[..], b"0 0 1\n", b"0 0 4294967295\n1 1 1\n", b"0 0 4294967294\n"] {
        assert!(!super::initial_uid_map(map), "{}", String::from_utf8_lossy(map));
    }
}
