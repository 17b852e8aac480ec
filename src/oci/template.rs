//! `nsinit spec [--rootless] [--bundle DIR]`: a starting `config.json`,
//! the container `runc spec` describes (`sh` on a terminal, the root
//! `rootfs`, read-only), written in the spec's own words.

use crate::error::Error;
use crate::sys::{self, ZStr};
use crate::text::ZBuf;
use linux_raw_sys::general::{O_CLOEXEC, O_CREAT, O_EXCL, O_WRONLY};

/// Up to the `/dev/pts` mount's data, which `--rootless` ends before
/// `gid=5` (the tty group may not be mapped).
const HEAD: &str = r#"{
	"ociVersion": "1.2.0",
	"process": {
		"terminal": true,
		"user": {
			"uid": 0,
			"gid": 0
		},
		"args": [
			"sh"
		],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
		},
		"rlimits": [
			{
				"type": "RLIMIT_NOFILE",
				"hard": 1024,
				"soft": 1024
			}
		],
		"noNewPrivileges": true
	},
	"root": {
		"path": "rootfs",
		"readonly": true
	},
	"hostname": "nsinit",
	"mounts": [
		{
			"destination": "/proc",
			"type": "proc",
			"source": "proc"
		},
		{
			"destination": "/dev",
			"type": "tmpfs",
			"source": "tmpfs",
			"options": ["nosuid", "strictatime", "mode=755", "size=65536k"]
		},
		{
			"destination": "/dev/pts",
			"type": "devpts",
			"source": "devpts",
			"options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620""#;

/// The rest of `/dev/pts`, `/dev/shm` and `/dev/mqueue`.
const DEV: &str = r#"]
		},
		{
			"destination": "/dev/shm",
			"type": "tmpfs",
			"source": "shm",
			"options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]
		},
		{
			"destination": "/dev/mqueue",
			"type": "mqueue",
			"source": "mqueue",
			"options": ["nosuid", "noexec", "nodev"]
		},
"#;

/// `/sys` and the cgroups, then `linux` up to its first namespace: the same with and without root.
const SYS: &str = r#"		{
			"destination": "/sys",
			"type": "sysfs",
			"source": "sysfs",
			"options": ["nosuid", "noexec", "nodev", "ro"]
		},
		{
			"destination": "/sys/fs/cgroup",
			"type": "cgroup",
			"source": "cgroup",
			"options": ["nosuid", "noexec", "nodev", "relatime", "ro"]
		}
	],
	"linux": {
		"namespaces": [
			{"type": "pid"},
"#;

/// The rest of `linux` as root has it: its own network, runc's device rule.
const ROOT_LINUX: &str = r#"			{"type": "network"},
			{"type": "ipc"},
			{"type": "uts"},
			{"type": "mount"}
		],
		"resources": {
			"devices": [
				{
					"allow": false,
					"access": "rwm"
				}
			]
		},
"#;

/// Without root: a user namespace with the caller as root, the host's
/// network. (`runc spec --rootless` binds the host's `/sys` with `rbind`,
/// `nosuid`, `noexec`: nsinit's sysfs mount does that itself where the
/// kernel refuses a new sysfs.)
const ROOTLESS_LINUX: &str = r#"			{"type": "ipc"},
			{"type": "uts"},
			{"type": "mount"},
			{"type": "user"}
		],
		"uidMappings": [{"containerID": 0, "hostID": "#;

const MIDDLE_ROOTLESS: &str = r#", "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": "#;

const END_ROOTLESS: &str = ", \"size\": 1}],\n";

/// The hidden paths, and the end.
const TAIL: &str = r#"		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/sys/firmware",
			"/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		]
	}
}
"#;

/// Writes `DIR/config.json` (`config.json` without `bundle`), refusing to
/// replace one. `rootless`: for a caller without root, mapped to 0 in a
/// user namespace, as `runc spec --rootless`.
#[inline(never)]
pub fn write_spec(bundle: Option<ZStr<'_>>, rootless: bool) -> Result<i32, Error> {
    let path = match bundle {
        Some(dir) => ZBuf::<{ crate::config::PATH_MAX }>::from_parts(&[dir.bytes(), b"/config.json"]),
        None => ZBuf::from_parts(&[b"config.json"]),
    };
    let mut path = path.map_err(|_| Error::new(b"spec: --bundle: path too long"))?;
    let path = path.zstr();
    let fd = sys::open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644).map_err(|e| match e {
        sys::Errno::EEXIST => Error::new(b"spec: ").push(path.bytes()).push(b" exists already; nsinit spec does not replace it"),
        e => Error::sys("open", path.bytes(), e).push(b" (spec)"),
    })?;
    let (mut uid, mut gid) = (ZBuf::<12>::new(), ZBuf::<12>::new());
    let _ = uid.push_num(u64::from(sys::getuid()), 10);
    let _ = gid.push_num(u64::from(sys::getgid()), 10);
    let parts: [&[u8]; 10] = match rootless {
        false => [HEAD.as_bytes(), b", \"gid=5\"", DEV.as_bytes(), SYS.as_bytes(), ROOT_LINUX.as_bytes(), TAIL.as_bytes(), b"", b"", b"", b""],
        true => [
            HEAD.as_bytes(),
            DEV.as_bytes(),
            SYS.as_bytes(),
            ROOTLESS_LINUX.as_bytes(),
            uid.bytes(),
            MIDDLE_ROOTLESS.as_bytes(),
            gid.bytes(),
            END_ROOTLESS.as_bytes(),
            TAIL.as_bytes(),
            b"",
        ],
    };
    let mut failed = None;
    for part in parts {
        let mut rest = part;
        while !rest.is_empty() && failed.is_none() {
            match sys::write(fd, rest) {
                Ok(0) => failed = Some(sys::Errno::EIO),
                Ok(n) => rest = &rest[n.min(rest.len())..],
                Err(sys::Errno::EINTR) => {}
                Err(e) => failed = Some(e),
            }
        }
    }
    let _ = sys::close(fd);
    match failed {
        Some(e) => Err(Error::sys("write", path.bytes(), e).push(b" (spec)")),
        None => Ok(0),
    }
}

#[cfg(test)]
pub fn root_text() -> String {
    [HEAD, ", \"gid=5\"", DEV, SYS, ROOT_LINUX, TAIL].concat()
}

#[cfg(test)]
pub fn rootless_text(uid: u32, gid: u32) -> String {
    [HEAD, DEV, SYS, ROOTLESS_LINUX, &uid.to_string(), MIDDLE_ROOTLESS, &gid.to_string(), END_ROOTLESS, TAIL].concat()
}
