// The text `nsinit spec` writes, in parts: included by build.rs, which
// packs it as it packs the help text (template.lz), and by
// src/oci/template.rs. Only constants here, and no `//!`: the file is
// included, not a module.

/// Up to the `/dev/pts` mount's data, which `--rootless` ends before
/// `gid=5` (the tty group may not be mapped).
pub const HEAD: &str = r#"{
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
pub const DEV: &str = r#"]
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
pub const SYS: &str = r#"		{
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
pub const ROOT_LINUX: &str = r#"			{"type": "network"},
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
pub const ROOTLESS_LINUX: &str = r#"			{"type": "ipc"},
			{"type": "uts"},
			{"type": "mount"},
			{"type": "user"}
		],
		"uidMappings": [{"containerID": 0, "hostID": "#;

pub const MIDDLE_ROOTLESS: &str = r#", "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": "#;

pub const END_ROOTLESS: &str = ", \"size\": 1}],\n";

/// The hidden paths, and the end.
pub const TAIL: &str = r#"		"maskedPaths": [
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

/// The parts, in the order build.rs packs them.
pub const PARTS: [&str; 9] = [HEAD, ", \"gid=5\"", DEV, SYS, ROOT_LINUX, ROOTLESS_LINUX, MIDDLE_ROOTLESS, END_ROOTLESS, TAIL];
/// Stand for the caller's uid and gid in `ROOTLESS`.
pub const UID: usize = PARTS.len();
pub const GID: usize = PARTS.len() + 1;
/// The text for root, as indices in `PARTS`.
pub const ROOT: [usize; 6] = [0, 1, 2, 3, 4, 8];
/// The text for `--rootless`.
pub const ROOTLESS: [usize; 9] = [0, 2, 3, 5, UID, 6, GID, 7, 8];
