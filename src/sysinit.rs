//! nsinit as the kernel's PID 1: the `/init` of an initramfs or of a VM
//! image. Started with no arguments, it mounts what a system needs, puts its
//! standard streams on the console, starts the container its config file
//! describes, reports the payload's status, and powers off (or reboots, or
//! halts, as `on-exit` says). The kernel's PID 1 must never exit: whatever
//! fails is reported, and the machine still goes down cleanly.

use crate::config::{self, Action, Container, OnExit};
use crate::container;
use crate::error::{EXIT_FAILED, Error};
use crate::rt::{self, StaticCell};
use crate::sys::{self, Errno, ZStr};
use crate::text::Line;
use linux_raw_sys::general::{
    LINUX_REBOOT_CMD_CAD_ON, LINUX_REBOOT_CMD_HALT, LINUX_REBOOT_CMD_POWER_OFF, LINUX_REBOOT_CMD_RESTART, MS_NODEV, MS_NOEXEC, MS_NOSUID,
    O_CLOEXEC, O_RDONLY, O_RDWR,
};
use linux_raw_sys::ioctl::TIOCSCTTY;

/// The config file when the kernel command line names none.
const DEFAULT_CONFIG: &core::ffi::CStr = c"/etc/nsinit.conf";
/// The kernel command-line word that names another: `nsinit.config=PATH`.
const CONFIG_PARAM: &[u8] = b"nsinit.config=";

/// Whether nsinit was started as a system's init: PID 1 of the initial pid
/// namespace, with no arguments. Elsewhere no arguments is a usage error.
///
/// PID 1 alone does not tell: a container's PID 1 (an image whose
/// entrypoint is nsinit) is PID 1 too, `getppid()` is 0 for both, and
/// `/proc`, where the pid namespace could be looked at, is not mounted
/// when the kernel starts /init. reboot(2) tells, with no file: in a pid
/// namespace other than the initial one it takes only the restart,
/// power-off and halt commands and fails with EINVAL on the others
/// (pid_namespaces(7)); without CAP_SYS_BOOT, or under a filter such as
/// Docker's, it fails with EPERM. So LINUX_REBOOT_CMD_CAD_ON succeeds only
/// for the initial namespace's PID 1 with that capability, the kernel's
/// init, and there it sets Ctrl-Alt-Del to what the kernel boots with
/// anyway (an immediate reboot): nothing changes.
pub fn is_system_init(args: &rt::Args) -> bool {
    // The cheap tests first: an ordinary start has arguments, and pays no
    // system call for this.
    args.words().len() <= 1 && sys::getpid() == 1 && sys::reboot(LINUX_REBOOT_CMD_CAD_ON).is_ok()
}

#[inline(never)]
#[cold]
pub fn run(args: rt::Args) -> ! {
    mount_system();
    use_console();
    let (ended, on_exit) = start_container(args);
    let mut l = Line::new();
    match ended {
        Ok(code) => l.push(b"nsinit: payload exited with status ").push_u64(code as u64),
        Err(code) => l.push(b"nsinit: payload failed to start (status ").push_u64(code as u64).push(b")"),
    };
    l.print(2);
    sys::sync();
    let cmd = match on_exit {
        OnExit::PowerOff => LINUX_REBOOT_CMD_POWER_OFF,
        OnExit::Reboot => LINUX_REBOOT_CMD_RESTART,
        OnExit::Halt => LINUX_REBOOT_CMD_HALT,
    };
    if let Err(e) = sys::reboot(cmd) {
        Error::of("reboot", e).push(b"; nsinit stays, as PID 1 must not exit").print(2);
    }
    loop {
        let _ = sys::nanosleep(3600);
    }
}

/// /proc, /sys, the cgroup v2 tree, /dev (devtmpfs) and /run, each where
/// nothing is mounted yet.
#[cold]
fn mount_system() {
    let nodev = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    let mounts: [(&core::ffi::CStr, &core::ffi::CStr, u32); 5] = [
        (c"/proc", c"proc", nodev),
        (c"/sys", c"sysfs", nodev),
        (c"/sys/fs/cgroup", c"cgroup2", nodev),
        (c"/dev", c"devtmpfs", MS_NOSUID),
        (c"/run", c"tmpfs", MS_NOSUID | MS_NODEV),
    ];
    for (path, fstype, flags) in mounts {
        let (path, fstype) = (ZStr::new(path), ZStr::new(fstype));
        match sys::mkdirat(sys::CWD, path, 0o755) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => Error::sys_z("mkdir", path, e).print(2),
        }
        // A mount point has a device other than its parent's.
        let parent = path.bytes().iter().rposition(|&c| c == b'/').map_or(&b"/"[..], |i| &path.bytes()[..i.max(1)]);
        let parent_dev = crate::text::ZBuf::<64>::from_parts(&[parent]).ok().and_then(|mut p| sys::stat(p.zstr()).ok()).map(|st| st.st_dev);
        if sys::stat(path).map(|st| st.st_dev).ok() != parent_dev {
            continue;
        }
        if let Err(e) = sys::mount(Some(fstype), path, Some(fstype), flags, None) {
            Error::sys_z("mount", fstype, e).on(path).print(2);
        }
    }
}

/// Standard input, output and error on /dev/console, which becomes the
/// controlling terminal.
#[cold]
fn use_console() {
    let console = ZStr::new(c"/dev/console");
    let fd = match sys::open(console, O_RDWR | O_CLOEXEC, 0) {
        Ok(fd) => fd,
        Err(e) => return Error::sys_z("open", console, e).print(2),
    };
    let _ = sys::setsid();
    let _ = sys::ioctl_int(fd, TIOCSCTTY, 1);
    for std in 0..3 {
        if fd != std {
            let _ = sys::dup3(fd, std);
        }
    }
    if fd > 2 {
        let _ = sys::close(fd);
    }
}

/// Starts the configured container and waits for it: the payload's exit
/// code, or nsinit's when the payload never ran (the error is printed
/// here); and what to do next.
#[cold]
fn start_container(args: rt::Args) -> (Result<i32, i32>, OnExit) {
    static ARGV: StaticCell<[Option<ZStr<'static>>; 4]> = StaticCell::new([None; 4]);
    static CONTAINER: StaticCell<Container<'static>> = StaticCell::new(Container::new());
    let (Some(argv), Some(c)) = (ARGV.take(), CONTAINER.take()) else {
        return (Err(EXIT_FAILED), OnExit::PowerOff);
    };
    *argv = [Some(ZStr::new(c"nsinit")), Some(ZStr::new(c"--config")), Some(config_path()), None];
    let room = match crate::path_room() {
        Ok(room) => room,
        Err(e) => {
            e.print(2);
            return (Err(e.code), OnExit::PowerOff);
        }
    };
    let started = match config::parse(argv, &mut crate::load_config, room, c) {
        Ok(Action::Run(_)) => container::run(c, args.envp),
        Ok(_) => Err(Error::new(b"the config file asks for no container")),
        Err(e) => Err(e),
    };
    match started {
        Ok(code) => (Ok(code), c.on_exit),
        Err(e) => {
            e.print(2);
            (Err(e.code), c.on_exit)
        }
    }
}

/// `nsinit.config=PATH` from the kernel command line, or the default.
#[cold]
fn config_path() -> ZStr<'static> {
    static CMDLINE: StaticCell<[u8; 4096]> = StaticCell::new([0; 4096]);
    let Some(buf) = CMDLINE.take() else { return ZStr::new(DEFAULT_CONFIG) };
    let path = ZStr::new(c"/proc/cmdline");
    let Ok(fd) = sys::open(path, O_RDONLY | O_CLOEXEC, 0) else { return ZStr::new(DEFAULT_CONFIG) };
    // One byte stays zero: the last word always has a NUL after it.
    let n = sys::read(fd, &mut buf[..4095]).unwrap_or(0);
    let _ = sys::close(fd);
    for byte in &mut buf[..n] {
        if byte.is_ascii_whitespace() {
            *byte = 0;
        }
    }
    let buf: &'static [u8] = buf;
    buf[..n]
        .split(|&c| c == 0)
        .find_map(|word| word.strip_prefix(CONFIG_PARAM))
        .and_then(|value| {
            let start = value.as_ptr() as usize - buf.as_ptr() as usize;
            ZStr::from_bytes_until_nul(&buf[start..])
        })
        .filter(|p| !p.bytes().is_empty())
        .unwrap_or(ZStr::new(DEFAULT_CONFIG))
}
