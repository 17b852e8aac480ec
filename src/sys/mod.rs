//! One thin typed wrapper per system call: the only place, with `rt`, that
//! holds `unsafe`. Wrappers return `Result<_, Errno>` and hold no policy.
#![allow(unsafe_code)]

mod zstr;

pub use syscalls::Errno;
pub use zstr::ZStr;

use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicI32, AtomicU32};
use linux_raw_sys::general::{
    AT_FDCWD, CLONE_INTO_CGROUP, CLONE_PARENT_SETTID, CLONE_VFORK, CLONE_VM, SEEK_SET, SIGCHLD, clone_args, mount_attr, open_how, pollfd,
    rlimit64, stat, timespec,
};
use linux_raw_sys::general::{_LINUX_CAPABILITY_VERSION_3, __user_cap_data_struct, __user_cap_header_struct};
use linux_raw_sys::ptrace::{SECCOMP_SET_MODE_FILTER, sock_filter, sock_fprog};
use syscalls::{Sysno, syscall};

/// A raw file descriptor.
pub type Fd = i32;

/// The `dirfd` that means the current directory.
pub const CWD: Fd = AT_FDCWD;

fn ptr_or_null(s: Option<ZStr<'_>>) -> usize {
    s.map_or(0, |s| s.as_ptr() as usize)
}

pub fn write(fd: Fd, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is valid for reads of its length.
    unsafe { syscall!(Sysno::write, fd, buf.as_ptr(), buf.len()) }
}

/// Writes all of `buf`, retrying short writes; errors are dropped, because
/// the callers are the ones reporting errors and have nowhere else to go.
pub fn write_all(fd: Fd, mut buf: &[u8]) {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(0) => return,
            Ok(n) => buf = &buf[n.min(buf.len())..],
            Err(e) if e == Errno::EINTR => {}
            Err(_) => return,
        }
    }
}

pub fn read(fd: Fd, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is valid for writes of its length.
    unsafe { syscall!(Sysno::read, fd, buf.as_mut_ptr(), buf.len()) }
}

pub fn open(path: ZStr<'_>, flags: u32, mode: u32) -> Result<Fd, Errno> {
    // SAFETY: `path` is NUL-terminated.
    unsafe { syscall!(Sysno::openat, AT_FDCWD, path.as_ptr(), flags, mode) }.map(|fd| fd as Fd)
}

/// Writes `value` to the file at `path` in one `write`: the way to set a
/// kernel knob (cgroup files, /proc/PID/uid_map, oom_score_adj).
pub fn write_file(path: ZStr<'_>, value: &[u8]) -> Result<(), Errno> {
    let fd = open(path, linux_raw_sys::general::O_WRONLY | linux_raw_sys::general::O_CLOEXEC, 0)?;
    let written = write(fd, value);
    let _ = close(fd);
    written.map(drop)
}

// Not inlined: called from some forty places, where a call is shorter.
#[inline(never)]
pub fn close(fd: Fd) -> Result<(), Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::close, fd) }.map(drop)
}

pub fn mount(
    source: Option<ZStr<'_>>,
    target: ZStr<'_>,
    fstype: Option<ZStr<'_>>,
    flags: u32,
    data: Option<ZStr<'_>>,
) -> Result<(), Errno> {
    // SAFETY: every pointer is NULL or a NUL-terminated string.
    unsafe {
        syscall!(Sysno::mount, ptr_or_null(source), target.as_ptr(), ptr_or_null(fstype), flags, ptr_or_null(data))
    }
    .map(drop)
}

/// Changes mount attributes, with `AT_RECURSIVE` for a whole subtree.
pub fn mount_setattr(dir: Fd, path: ZStr<'_>, at_flags: u32, attr: &mount_attr) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated; `attr` is a valid mount_attr of the size passed.
    unsafe {
        syscall!(Sysno::mount_setattr, dir, path.as_ptr(), at_flags, attr as *const mount_attr, size_of::<mount_attr>())
    }
    .map(drop)
}

/// `open_tree`: with `OPEN_TREE_CLONE`, a detached copy of the mount (tree,
/// with `AT_RECURSIVE`) at `path`; the descriptor is that mount itself.
pub fn open_tree(dir: Fd, path: ZStr<'_>, flags: u32) -> Result<Fd, Errno> {
    // SAFETY: `path` is NUL-terminated.
    unsafe { syscall!(Sysno::open_tree, dir, path.as_ptr(), flags) }.map(|fd| fd as Fd)
}

/// `move_mount`: attaches the mount `from` (a detached one from `open_tree`
/// or `fsmount`) on top of the opened place `to`, both given by descriptor
/// (`MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH`).
pub fn move_mount(from: Fd, to: Fd) -> Result<(), Errno> {
    let flags = linux_raw_sys::general::MOVE_MOUNT_F_EMPTY_PATH | linux_raw_sys::general::MOVE_MOUNT_T_EMPTY_PATH;
    let empty = c"";
    // SAFETY: both paths are the same NUL-terminated empty string.
    unsafe { syscall!(Sysno::move_mount, from, empty.as_ptr(), to, empty.as_ptr(), flags) }.map(drop)
}

/// `move_mount` of the mount `from` (detached, by descriptor) onto `path`,
/// looked up from the directory `dir`.
pub fn move_mount_at(from: Fd, dir: Fd, path: ZStr<'_>) -> Result<(), Errno> {
    let flags = linux_raw_sys::general::MOVE_MOUNT_F_EMPTY_PATH;
    let empty = c"";
    // SAFETY: both paths are NUL-terminated.
    unsafe { syscall!(Sysno::move_mount, from, empty.as_ptr(), dir, path.as_ptr(), flags) }.map(drop)
}

/// `fsopen`: a filesystem context for `fstype`, configured with `fsconfig_*`.
pub fn fsopen(fstype: ZStr<'_>, flags: u32) -> Result<Fd, Errno> {
    // SAFETY: `fstype` is NUL-terminated.
    unsafe { syscall!(Sysno::fsopen, fstype.as_ptr(), flags) }.map(|fd| fd as Fd)
}

/// `fsconfig(FSCONFIG_SET_STRING)`: one `key=value` mount option.
pub fn fsconfig_string(fs: Fd, key: ZStr<'_>, value: ZStr<'_>) -> Result<(), Errno> {
    let cmd = linux_raw_sys::general::fsconfig_command::FSCONFIG_SET_STRING as u32;
    // SAFETY: `key` and `value` are NUL-terminated.
    unsafe { syscall!(Sysno::fsconfig, fs, cmd, key.as_ptr(), value.as_ptr(), 0) }.map(drop)
}

/// `fsconfig(FSCONFIG_CMD_CREATE)`: makes the filesystem (the superblock).
pub fn fsconfig_create(fs: Fd) -> Result<(), Errno> {
    let cmd = linux_raw_sys::general::fsconfig_command::FSCONFIG_CMD_CREATE as u32;
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::fsconfig, fs, cmd, 0, 0, 0) }.map(drop)
}

/// `fsmount`: a detached mount of the created filesystem; `attrs` holds
/// `MOUNT_ATTR_*` flags.
pub fn fsmount(fs: Fd, flags: u32, attrs: u32) -> Result<Fd, Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::fsmount, fs, flags, attrs) }.map(|fd| fd as Fd)
}

/// `openat2`: `resolve` holds the `RESOLVE_*` flags that confine the lookup.
pub fn openat2(dir: Fd, path: ZStr<'_>, flags: u32, resolve: u32) -> Result<Fd, Errno> {
    let how = open_how { flags: u64::from(flags), mode: 0, resolve: u64::from(resolve) };
    // SAFETY: `path` is NUL-terminated; `how` is a valid open_how of the size passed.
    unsafe { syscall!(Sysno::openat2, dir, path.as_ptr(), &how as *const open_how, size_of::<open_how>()) }
        .map(|fd| fd as Fd)
}

pub fn fchdir(fd: Fd) -> Result<(), Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::fchdir, fd) }.map(drop)
}

pub fn umount2(target: ZStr<'_>, flags: u32) -> Result<(), Errno> {
    // SAFETY: `target` is NUL-terminated.
    unsafe { syscall!(Sysno::umount2, target.as_ptr(), flags) }.map(drop)
}

pub fn pivot_root(new_root: ZStr<'_>, put_old: ZStr<'_>) -> Result<(), Errno> {
    // SAFETY: both paths are NUL-terminated.
    unsafe { syscall!(Sysno::pivot_root, new_root.as_ptr(), put_old.as_ptr()) }.map(drop)
}

pub fn chdir(path: ZStr<'_>) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    unsafe { syscall!(Sysno::chdir, path.as_ptr()) }.map(drop)
}

pub fn mkdirat(dir: Fd, path: ZStr<'_>, mode: u32) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    unsafe { syscall!(Sysno::mkdirat, dir, path.as_ptr(), mode) }.map(drop)
}

/// `faccessat(AT_FDCWD, path, mode, 0)`: whether the caller may, by its
/// real IDs, `mode` (`W_OK`, ...) the file at `path`.
pub fn access(path: ZStr<'_>, mode: u32) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    unsafe { syscall!(Sysno::faccessat, AT_FDCWD, path.as_ptr(), mode) }.map(drop)
}

/// `mknodat`; with `S_IFREG` it creates an empty regular file without opening it.
pub fn mknodat(dir: Fd, path: ZStr<'_>, mode: u32, dev: u64) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    unsafe { syscall!(Sysno::mknodat, dir, path.as_ptr(), mode, dev) }.map(drop)
}

pub fn symlinkat(target: ZStr<'_>, dir: Fd, link: ZStr<'_>) -> Result<(), Errno> {
    // SAFETY: both paths are NUL-terminated.
    unsafe { syscall!(Sysno::symlinkat, target.as_ptr(), dir, link.as_ptr()) }.map(drop)
}

/// `stat`, following symlinks.
pub fn stat(path: ZStr<'_>) -> Result<stat, Errno> {
    let mut st = MaybeUninit::<stat>::uninit();
    // SAFETY: `path` is NUL-terminated and `st` has room for a struct stat.
    unsafe { syscall!(Sysno::newfstatat, AT_FDCWD, path.as_ptr(), st.as_mut_ptr(), 0) }?;
    // SAFETY: the kernel filled `st` on success.
    Ok(unsafe { st.assume_init() })
}

/// `fstat` (`newfstatat` with `AT_EMPTY_PATH`): works on `O_PATH` descriptors too.
pub fn fstat(fd: Fd) -> Result<stat, Errno> {
    let mut st = MaybeUninit::<stat>::uninit();
    let empty = c"";
    let flags = linux_raw_sys::general::AT_EMPTY_PATH;
    // SAFETY: the path is NUL-terminated and `st` has room for a struct stat.
    unsafe { syscall!(Sysno::newfstatat, fd, empty.as_ptr(), st.as_mut_ptr(), flags) }?;
    // SAFETY: the kernel filled `st` on success.
    Ok(unsafe { st.assume_init() })
}

/// `openat`: `path` looked up from the directory `dir`, `mode` for a file
/// `O_CREAT` makes.
pub fn openat(dir: Fd, path: ZStr<'_>, flags: u32, mode: u32) -> Result<Fd, Errno> {
    // SAFETY: `path` is NUL-terminated.
    unsafe { syscall!(Sysno::openat, dir, path.as_ptr(), flags, mode) }.map(|fd| fd as Fd)
}

/// `fstatat` (`newfstatat`): `path` looked up from the directory `dir`,
/// with `AT_*` `flags` (`AT_SYMLINK_NOFOLLOW` for a symlink's own).
pub fn fstatat(dir: Fd, path: ZStr<'_>, flags: u32) -> Result<stat, Errno> {
    let mut st = MaybeUninit::<stat>::uninit();
    // SAFETY: `path` is NUL-terminated and `st` has room for a struct stat.
    unsafe { syscall!(Sysno::newfstatat, dir, path.as_ptr(), st.as_mut_ptr(), flags) }?;
    // SAFETY: the kernel filled `st` on success.
    Ok(unsafe { st.assume_init() })
}

/// `fchmodat`: the permission bits of `path`, looked up from `dir`
/// (following a symlink: the kernel changes no symlink's own).
pub fn fchmodat(dir: Fd, path: ZStr<'_>, mode: u32) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    unsafe { syscall!(Sysno::fchmodat, dir, path.as_ptr(), mode) }.map(drop)
}

/// The file type and permission bits of `path`, looked up from the
/// directory `dir`, following symlinks.
pub fn fstatat_mode(dir: Fd, path: ZStr<'_>) -> Result<u32, Errno> {
    let mut st = MaybeUninit::<stat>::uninit();
    // SAFETY: `path` is NUL-terminated and `st` has room for a struct stat.
    unsafe { syscall!(Sysno::newfstatat, dir, path.as_ptr(), st.as_mut_ptr(), 0) }?;
    // SAFETY: the kernel filled `st` on success.
    Ok(unsafe { st.assume_init() }.st_mode)
}

/// The file type and permission bits of `path` itself, a symlink's own
/// where it is one (`lstat`).
pub fn lstat_mode(path: ZStr<'_>) -> Result<u32, Errno> {
    let mut st = MaybeUninit::<stat>::uninit();
    let flags = linux_raw_sys::general::AT_SYMLINK_NOFOLLOW;
    // SAFETY: `path` is NUL-terminated and `st` has room for a struct stat.
    unsafe { syscall!(Sysno::newfstatat, AT_FDCWD, path.as_ptr(), st.as_mut_ptr(), flags) }?;
    // SAFETY: the kernel filled `st` on success.
    Ok(unsafe { st.assume_init() }.st_mode)
}

/// The file type and permission bits of `path`, following symlinks.
pub fn stat_mode(path: ZStr<'_>) -> Result<u32, Errno> {
    stat(path).map(|st| st.st_mode)
}

pub fn sethostname(name: &[u8]) -> Result<(), Errno> {
    // SAFETY: `name` is valid for reads of its length.
    unsafe { syscall!(Sysno::sethostname, name.as_ptr(), name.len()) }.map(drop)
}

pub fn setdomainname(name: &[u8]) -> Result<(), Errno> {
    // SAFETY: `name` is valid for reads of its length.
    unsafe { syscall!(Sysno::setdomainname, name.as_ptr(), name.len()) }.map(drop)
}

pub fn prctl(option: u32, arg: usize) -> Result<usize, Errno> {
    prctl3(option, arg, 0)
}

/// `prctl(PR_SET_NAME)`: the thread's name (`comm`, what `ps` shows);
/// the kernel keeps at most 15 bytes of it.
pub fn set_name(name: ZStr<'_>) -> Result<(), Errno> {
    use linux_raw_sys::prctl::PR_SET_NAME;
    // SAFETY: `name` is NUL-terminated; the kernel reads at most 16 bytes,
    // stopping at the NUL.
    unsafe { syscall!(Sysno::prctl, PR_SET_NAME, name.as_ptr(), 0, 0, 0) }.map(drop)
}

/// `prctl` with a third argument (`PR_CAP_AMBIENT`'s capability).
pub fn prctl3(option: u32, arg: usize, arg3: usize) -> Result<usize, Errno> {
    // SAFETY: the options nsinit uses take integer arguments only.
    unsafe { syscall!(Sysno::prctl, option, arg, arg3, 0, 0) }
}

/// This process's capability sets, `[effective, permitted, inheritable]`.
pub fn capget() -> Result<[u64; 3], Errno> {
    let mut header = __user_cap_header_struct { version: _LINUX_CAPABILITY_VERSION_3, pid: 0 };
    let mut data = [__user_cap_data_struct { effective: 0, permitted: 0, inheritable: 0 }; 2];
    // SAFETY: version 3 reads two data structs, which `data` holds.
    unsafe { syscall!(Sysno::capget, &mut header as *mut _, data.as_mut_ptr()) }?;
    let join = |low: u32, high: u32| u64::from(low) | u64::from(high) << 32;
    Ok([
        join(data[0].effective, data[1].effective),
        join(data[0].permitted, data[1].permitted),
        join(data[0].inheritable, data[1].inheritable),
    ])
}

/// Sets this process's `[effective, permitted, inheritable]` capabilities.
pub fn capset(sets: [u64; 3]) -> Result<(), Errno> {
    let mut header = __user_cap_header_struct { version: _LINUX_CAPABILITY_VERSION_3, pid: 0 };
    let half = |set: u64, high: bool| (if high { set >> 32 } else { set }) as u32;
    let data = [false, true].map(|high| __user_cap_data_struct {
        effective: half(sets[0], high),
        permitted: half(sets[1], high),
        inheritable: half(sets[2], high),
    });
    // SAFETY: version 3 takes two data structs, which `data` holds.
    unsafe { syscall!(Sysno::capset, &mut header as *mut _, data.as_ptr()) }.map(drop)
}

/// Installs a seccomp filter on this thread (`SECCOMP_SET_MODE_FILTER`)
/// with `flags` (`SECCOMP_FILTER_FLAG_*`); with `NEW_LISTENER`, returns
/// the listener's descriptor.
pub fn seccomp_set_filter(program: &[sock_filter], flags: u32) -> Result<usize, Errno> {
    let prog = sock_fprog { len: program.len() as u16, filter: program.as_ptr() as *mut sock_filter };
    // SAFETY: `prog` points at `program`, whose length it gives; the
    // kernel copies it.
    unsafe { syscall!(Sysno::seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog as *const sock_fprog) }
}

/// `bpf(2)` commands and constants (include/uapi/linux/bpf.h; not in
/// linux-raw-sys).
const BPF_PROG_LOAD: u32 = 5;
const BPF_PROG_ATTACH: u32 = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
const BPF_CGROUP_DEVICE: u32 = 6;
const BPF_F_ALLOW_MULTI: u32 = 2;

/// The head of `union bpf_attr` for `BPF_PROG_LOAD`; the kernel takes the
/// fields past it as zero.
#[repr(C)]
struct BpfProgLoad {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
}

/// The head of `union bpf_attr` for `BPF_PROG_ATTACH`.
#[repr(C)]
struct BpfProgAttach {
    target_fd: u32,
    attach_bpf_fd: u32,
    attach_type: u32,
    attach_flags: u32,
}

/// Loads a `BPF_PROG_TYPE_CGROUP_DEVICE` program, `struct bpf_insn`s as
/// little-endian u64s; its descriptor (close-on-exec, as every bpf one).
pub fn bpf_prog_load_cgroup_device(insns: &[u64]) -> Result<Fd, Errno> {
    let attr = BpfProgLoad {
        prog_type: BPF_PROG_TYPE_CGROUP_DEVICE,
        insn_cnt: insns.len() as u32,
        insns: insns.as_ptr() as u64,
        license: c"GPL".as_ptr() as u64,
        log_level: 0,
        log_size: 0,
        log_buf: 0,
        kern_version: 0,
        prog_flags: 0,
    };
    // SAFETY: `attr` points at `insns`, whose length it gives, and at a
    // NUL-terminated license; the kernel copies both.
    unsafe { syscall!(Sysno::bpf, BPF_PROG_LOAD, &attr as *const BpfProgLoad, size_of::<BpfProgLoad>()) }.map(|fd| fd as Fd)
}

/// Attaches the device program `prog` to the cgroup open as `cgroup`,
/// beside those above it (`BPF_F_ALLOW_MULTI`, as runc: every one must allow).
pub fn bpf_prog_attach_cgroup_device(cgroup: Fd, prog: Fd) -> Result<(), Errno> {
    let attr = BpfProgAttach { target_fd: cgroup as u32, attach_bpf_fd: prog as u32, attach_type: BPF_CGROUP_DEVICE, attach_flags: BPF_F_ALLOW_MULTI };
    // SAFETY: `attr` is a plain struct the kernel reads.
    unsafe { syscall!(Sysno::bpf, BPF_PROG_ATTACH, &attr as *const BpfProgAttach, size_of::<BpfProgAttach>()) }.map(drop)
}

/// `close_range`'s flag to mark the range close-on-exec rather than close
/// it (include/uapi/linux/close_range.h; not in linux-raw-sys).
pub const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;

/// `close_range(first, last, flags)`.
pub fn close_range(first: u32, last: u32, flags: u32) -> Result<(), Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::close_range, first, last, flags) }.map(drop)
}

/// Returns `[read end, write end]`.
pub fn pipe2(flags: u32) -> Result<[Fd; 2], Errno> {
    let mut fds = [0 as Fd; 2];
    // SAFETY: `fds` has room for the two descriptors.
    unsafe { syscall!(Sysno::pipe2, fds.as_mut_ptr(), flags) }?;
    Ok(fds)
}

/// Polls one descriptor; returns its `revents`.
pub fn poll_one(fd: Fd, events: i16, timeout_ms: i32) -> Result<i16, Errno> {
    let mut p = pollfd { fd, events, revents: 0 };
    // SAFETY: one valid pollfd.
    unsafe { syscall!(Sysno::poll, &mut p as *mut pollfd, 1, timeout_ms) }?;
    Ok(p.revents)
}

/// Starts a child in new namespaces (`flags`) the way `posix_spawn` starts
/// one: it shares this process's memory (`CLONE_VM`), runs `child` on
/// `stack`, and this process is suspended until the child has called
/// `execve` or exited (`CLONE_VFORK`); `child` must end in one of them. No page table is copied and no page is
/// copied on write, which a fork-style clone pays for in every start.
/// Returns the child's PID.
/// With `cgroup`, the child starts in that cgroup (v2, `CLONE_INTO_CGROUP`).
/// With `pid`, the kernel stores the child's PID there before the child
/// runs (`CLONE_PARENT_SETTID`), for a task that works beside it; not
/// when a filter on nsinit refuses clone3 (see `clone3_onto`).
pub fn clone3_vfork(flags: u64, cgroup: Option<Fd>, stack: &mut [u8], child: &mut dyn FnMut(), pid: Option<&'static AtomicI32>) -> Result<i32, Errno> {
    clone3_vm(flags | u64::from(CLONE_VFORK), cgroup, stack, child, pid)
}

/// The same without `CLONE_VFORK`, for a parent that has work to do for
/// the child while it runs (writing a user namespace's maps). The caller
/// must then keep `child` and all it borrows alive, and leave them alone,
/// until the child has exec'd or exited (`core::hint::black_box` on them
/// after that wait keeps the compiler from reusing their memory before).
pub fn clone3_vm(flags: u64, cgroup: Option<Fd>, stack: &mut [u8], child: &mut dyn FnMut(), pid: Option<&'static AtomicI32>) -> Result<i32, Errno> {
    clone3_onto(flags, cgroup, stack, child, None, pid)
}

/// A task that shares this process's memory (`CLONE_VM`) but nothing else
/// new, running `child` on `stack` beside this process, for work done in
/// parallel with a container's setup. It ends without a signal to its
/// parent: reap it with `wait4(pid, __WCLONE)`. Returns its PID and a
/// pidfd of it (close-on-exec). However the task ends, a signal's kill
/// included, the kernel then stores 0 in `cleared` and wakes its futex
/// waiters (`CLONE_CHILD_CLEARTID`), so that whoever waits on it for the
/// task never waits for a task that is gone. The caller keeps `child`,
/// all it borrows and `stack` alive and apart until the task has exited,
/// as for `clone3_vm`.
pub fn clone3_task(stack: &mut [u8], cleared: &'static AtomicU32, child: &mut dyn FnMut()) -> Result<(i32, OwnedFd), Errno> {
    let mut pidfd: i32 = -1;
    let flags = linux_raw_sys::general::CLONE_PIDFD | linux_raw_sys::general::CLONE_CHILD_CLEARTID;
    let pid = clone3_onto(u64::from(flags), None, stack, child, Some((&mut pidfd, cleared)), None)?;
    Ok((pid, OwnedFd(pidfd)))
}

/// `clone3` with `CLONE_VM` onto `stack`; with `task`, the kernel writes a
/// pidfd of the child to its first part, clears its second when the child
/// ends, and the child ends without SIGCHLD.
fn clone3_onto(
    flags: u64,
    cgroup: Option<Fd>,
    stack: &mut [u8],
    child: &mut dyn FnMut(),
    task: Option<(&mut i32, &'static AtomicU32)>,
    pid: Option<&'static AtomicI32>,
) -> Result<i32, Errno> {
    // The stack grows down from its 16-byte aligned top, under a slot that
    // holds the (fat) pointer to `child`: in the child's own memory, so that
    // the parent may go on, and reuse its own stack, while the child reads it.
    let base = stack.as_mut_ptr() as u64;
    let top = ((base + stack.len() as u64) & !15) - 16;
    let slot = top as *mut &mut dyn FnMut();
    // SAFETY: `slot` is 16 bytes inside `stack`, 8-aligned, and `stack` is
    // ours for the call; nothing else refers to that memory.
    unsafe { slot.write(child) };
    let args = clone_args {
        flags: flags | u64::from(CLONE_VM) | cgroup.map_or(0, |_| CLONE_INTO_CGROUP) | pid.map_or(0, |_| u64::from(CLONE_PARENT_SETTID)),
        pidfd: task.as_ref().map_or(0, |(fd, _)| &**fd as *const i32 as u64),
        child_tid: task.as_ref().map_or(0, |(_, word)| word.as_ptr() as u64),
        parent_tid: pid.map_or(0, |p| p.as_ptr() as u64),
        exit_signal: if task.is_some() { 0 } else { u64::from(SIGCHLD) },
        stack: base,
        stack_size: top - base,
        tls: 0,
        set_tid: 0,
        set_tid_size: 0,
        cgroup: cgroup.map_or(0, |fd| fd as u64),
    };
    // SAFETY: `args` describes `stack`, whose top holds `slot` (above); the
    // kernel writes the pidfd into an `i32` of ours during the call, and
    // at the task's end stores 0 into a static atomic.
    let mut ret = unsafe { clone_onto(Sysno::clone3, &args as *const clone_args as usize, size_of::<clone_args>(), slot) };
    if ret as isize == -(Errno::ENOSYS.into_raw() as isize) && cgroup.is_none() && task.is_none() {
        // A seccomp filter may refuse clone3, whose flags it cannot read
        // (Docker's profile and nsinit's own do), so that clone(2) is used.
        let flags = (args.flags & !u64::from(CLONE_PARENT_SETTID)) | u64::from(SIGCHLD);
        // SAFETY: as above; clone(2) starts the child with its stack pointer
        // at `top`, as clone3 does.
        ret = unsafe { clone_onto(Sysno::clone, flags as usize, top as usize, slot) };
    }
    Errno::from_ret(ret).map(|pid| pid as i32)
}

/// The clone system call `nr` with its first two arguments (the others 0):
/// the child calls `run_child(slot)` on the stack it was given.
///
/// # Safety
/// The arguments must give the child a stack of its own, whose top is at or
/// above `slot`, and `slot` must hold a valid `&mut dyn FnMut()`.
unsafe fn clone_onto(nr: Sysno, a1: usize, a2: usize, slot: *mut &mut dyn FnMut()) -> usize {
    let ret: usize;
    // SAFETY: the child starts on its own stack with the parent's registers;
    // it calls `run_child` with `slot` (r12, r13 survive the syscall) and
    // never comes back into this frame. With CLONE_VFORK the parent is
    // suspended until the child has left this memory (execve) or exited, so
    // the child has sole use of it, as in a call; without it the caller
    // keeps that promise (see `clone3_vm`). The asm declares that it may
    // change any memory, which the child's work does.
    unsafe {
        core::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "xor ebp, ebp",
            "mov rdi, r13",
            "call r12",
            "ud2",
            "2:",
            inlateout("rax") nr as usize => ret,
            in("rdi") a1,
            in("rsi") a2,
            in("rdx") 0usize,
            in("r10") 0usize,
            in("r8") 0usize,
            in("r12") run_child as *const () as usize,
            in("r13") slot,
            lateout("rcx") _,
            lateout("r11") _,
        );
    }
    ret
}

/// The child's first Rust frame, on its own stack. `child` is to exec or
/// exit; should it return, the child exits as nsinit does on failure.
extern "C" fn run_child(child: *mut &mut dyn FnMut()) -> ! {
    // SAFETY: `child` points into the suspended parent's frame, which stays
    // alive and untouched until this child execs or exits.
    unsafe { (*child)() };
    exit_group(125)
}

/// `ptrace(PTRACE_DETACH, pid, 0, signal)`: lets a tracee that stopped
/// for us go on untraced, delivering `signal` (0 for none).
pub fn ptrace_detach(pid: i32, signal: u32) -> Result<(), Errno> {
    // SAFETY: PTRACE_DETACH reads no memory of ours.
    unsafe { syscall!(Sysno::ptrace, linux_raw_sys::ptrace::PTRACE_DETACH, pid, 0, signal) }.map(drop)
}

/// Waits for `pid`; returns the raw wait status.
pub fn wait4(pid: i32, options: u32) -> Result<(i32, i32), Errno> {
    let mut status: i32 = 0;
    // SAFETY: `status` is a valid int; no rusage is asked for.
    let got = unsafe { syscall!(Sysno::wait4, pid, &mut status as *mut i32, options, 0) }?;
    Ok((got as i32, status))
}

/// Replaces the process image; returns only on failure. Both arrays must end
/// with `None`, as the kernel expects.
pub fn execve(path: ZStr<'_>, argv: &[Option<ZStr<'_>>], envp: &[Option<ZStr<'_>>]) -> Errno {
    if argv.last().is_some_and(Option::is_some) || envp.last().is_some_and(Option::is_some) {
        return Errno::EINVAL;
    }
    // SAFETY: `path` is NUL-terminated; both arrays are NULL-terminated arrays
    // of NUL-terminated strings (checked just above; ZStr's invariant).
    match unsafe { syscall!(Sysno::execve, path.as_ptr(), argv.as_ptr(), envp.as_ptr()) } {
        Ok(_) => Errno::EINVAL,
        Err(e) => e,
    }
}

/// Ends the process with `code`. Should a seccomp filter deny
/// `exit_group` and `exit` (a profile may), the process dies of SIGILL from
/// an undefined instruction instead: a fault signal the kernel delivers
/// even when blocked or ignored, so this never spins or returns.
pub fn exit_group(code: i32) -> ! {
    // SAFETY: exit_group and exit take no memory; ud2 only raises SIGILL.
    unsafe {
        let _ = syscall!(Sysno::exit_group, code);
        let _ = syscall!(Sysno::exit, code);
        loop {
            core::arch::asm!("ud2", options(nomem, nostack));
        }
    }
}

pub fn getpid() -> i32 {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::getpid) }.map_or(0, |p| p as i32)
}

pub fn kill(pid: i32, sig: u32) -> Result<(), Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::kill, pid, sig) }.map(drop)
}

pub fn socket(domain: u32, kind: u32, protocol: u32) -> Result<Fd, Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::socket, domain, kind, protocol) }.map(|fd| fd as Fd)
}

/// The part of `struct ifreq` that SIOC[GS]IFFLAGS use: a name and the flags.
#[repr(C)]
pub struct IfFlags {
    pub name: [u8; 16],
    pub flags: i16,
    _rest: [u8; 22],
}

impl IfFlags {
    pub fn new(name: &[u8], flags: i16) -> IfFlags {
        let mut ifr = IfFlags { name: [0; 16], flags, _rest: [0; 22] };
        let n = name.len().min(15);
        ifr.name[..n].copy_from_slice(&name[..n]);
        ifr
    }
}

/// `ioctl` for the interface-flag requests.
pub fn ioctl_ifflags(fd: Fd, request: u32, ifr: &mut IfFlags) -> Result<(), Errno> {
    // SAFETY: `ifr` has the size and layout of a struct ifreq.
    unsafe { syscall!(Sysno::ioctl, fd, request, ifr as *mut IfFlags) }.map(drop)
}

pub fn clock_monotonic() -> timespec {
    let mut ts = timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec; CLOCK_MONOTONIC cannot fail.
    let _ = unsafe { syscall!(Sysno::clock_gettime, linux_raw_sys::general::CLOCK_MONOTONIC, &mut ts as *mut timespec) };
    ts
}

/// `uname`: the six 65-byte fields of `struct new_utsname` (sysname,
/// nodename, release, version, machine, domainname).
pub fn uname() -> Result<[[u8; 65]; 6], Errno> {
    let mut uts = [[0u8; 65]; 6];
    // SAFETY: `uts` has the size and layout of struct new_utsname.
    unsafe { syscall!(Sysno::uname, uts.as_mut_ptr()) }?;
    Ok(uts)
}

/// How many CPUs the calling thread may run on (`sched_getaffinity(2)`
/// on a mask of up to 8192 CPUs).
pub fn cpus_allowed() -> Result<u32, Errno> {
    let mut mask = [0u64; 128];
    // SAFETY: `mask` is valid for writes of its size in bytes; the kernel
    // writes at most that many and returns how many it wrote.
    let n = unsafe { syscall!(Sysno::sched_getaffinity, 0, core::mem::size_of_val(&mask), mask.as_mut_ptr()) }?;
    Ok(mask.iter().take(n.div_ceil(8)).map(|w| w.count_ones()).sum())
}

pub fn getppid() -> i32 {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::getppid) }.map_or(0, |p| p as i32)
}

/// Fills `buf` with the current directory, NUL included; returns its length.
pub fn getcwd(buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is valid for writes of its length.
    unsafe { syscall!(Sysno::getcwd, buf.as_mut_ptr(), buf.len()) }
}

/// Reads directory entries (`struct linux_dirent64`) into `buf`.
pub fn getdents64(fd: Fd, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is valid for writes of its length.
    unsafe { syscall!(Sysno::getdents64, fd, buf.as_mut_ptr(), buf.len()) }
}

/// Calls `f` with the name of each entry of the directory open at `fd`,
/// but `.` and `..`.
#[inline(always)]
pub fn each_dir_entry(fd: Fd, mut f: impl FnMut(&[u8])) -> Result<(), Errno> {
    each_entry(fd, &mut |name, _| f(name))
}

/// `each_dir_entry`, with whether each entry may be a symlink: its type
/// is `DT_LNK`, or the filesystem does not say (`DT_UNKNOWN`).
pub fn each_dir_entry_linked(fd: Fd, mut f: impl FnMut(&[u8], bool)) -> Result<(), Errno> {
    const DT_UNKNOWN: u8 = 0;
    const DT_LNK: u8 = 10;
    each_entry(fd, &mut |name, kind| f(name, kind == DT_LNK || kind == DT_UNKNOWN))
}

/// `each_dir_entry` for the entries that are directories (`DT_DIR`; one
/// whose type the filesystem does not say, `DT_UNKNOWN`, too).
pub fn each_subdir(fd: Fd, mut f: impl FnMut(&[u8])) -> Result<(), Errno> {
    const DT_UNKNOWN: u8 = 0;
    const DT_DIR: u8 = 4;
    each_entry(fd, &mut |name, kind| {
        if kind == DT_DIR || kind == DT_UNKNOWN {
            f(name)
        }
    })
}

/// `each_dir_entry`'s work, once for every caller rather than once for
/// each closure.
#[inline(never)]
fn each_entry(fd: Fd, f: &mut dyn FnMut(&[u8], u8)) -> Result<(), Errno> {
    let mut buf = [0u8; 2048];
    loop {
        let n = getdents64(fd, &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        each_in_batch(&buf[..n], &mut |name, kind, _| {
            f(name, kind);
            true
        });
    }
}

/// The entries of one `getdents64` batch but `.` and `..`: `f(name, type,
/// offset of the next entry)`, until it returns false.
fn each_in_batch(batch: &[u8], f: &mut dyn FnMut(&[u8], u8, i64) -> bool) {
    let mut off = 0;
    // struct linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name.
    while off + 19 < batch.len() {
        let reclen = u16::from_ne_bytes([batch[off + 16], batch[off + 17]]) as usize;
        let mut next = [0u8; 8];
        next.copy_from_slice(&batch[off + 8..off + 16]);
        let name = &batch[off + 19..(off + reclen).min(batch.len())];
        let name = &name[..name.iter().position(|&c| c == 0).unwrap_or(name.len())];
        if name != b"." && name != b".." && !f(name, batch[off + 18], i64::from_ne_bytes(next)) {
            return;
        }
        off += reclen.max(1);
    }
}

/// The next subdirectory (`each_subdir`'s kind) of the directory open at
/// `fd`, read from where the last call left its offset, which is moved
/// just past it: a walk can hold one descriptor a level and go down
/// before the rest is read. Its name is put in `name`; its length, or
/// `None` at the directory's end.
pub fn next_subdir(fd: Fd, name: &mut [u8; 256]) -> Result<Option<usize>, Errno> {
    const DT_UNKNOWN: u8 = 0;
    const DT_DIR: u8 = 4;
    let mut buf = [0u8; 2048];
    loop {
        let n = getdents64(fd, &mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        let mut found = None;
        each_in_batch(&buf[..n], &mut |entry, kind, next| {
            if (kind != DT_DIR && kind != DT_UNKNOWN) || entry.len() > name.len() {
                return true;
            }
            name[..entry.len()].copy_from_slice(entry);
            found = Some((entry.len(), next));
            false
        });
        if let Some((len, next)) = found {
            lseek(fd, next, SEEK_SET)?;
            return Ok(Some(len));
        }
    }
}

pub fn nanosleep(seconds: u64) -> Result<(), Errno> {
    nanosleep_ms(seconds * 1000)
}

pub fn nanosleep_ms(ms: u64) -> Result<(), Errno> {
    let ts = timespec { tv_sec: (ms / 1000) as _, tv_nsec: ((ms % 1000) * 1_000_000) as _ };
    // SAFETY: `ts` is a valid timespec; no remainder is asked for.
    unsafe { syscall!(Sysno::nanosleep, &ts as *const timespec, 0) }.map(drop)
}

/// A descriptor that is closed when dropped.
pub struct OwnedFd(pub Fd);

impl Drop for OwnedFd {
    fn drop(&mut self) {
        let _ = close(self.0);
    }
}

/// A set of signals as the kernel takes it: bit N-1 for signal N.
pub type SigSet = u64;

/// `rt_sigprocmask`; returns the previous mask.
pub fn sigprocmask(how: u32, set: SigSet) -> Result<SigSet, Errno> {
    let mut old: SigSet = 0;
    // SAFETY: both sets are valid 8-byte kernel sigsets.
    unsafe { syscall!(Sysno::rt_sigprocmask, how, &set as *const SigSet, &mut old as *mut SigSet, size_of::<SigSet>()) }?;
    Ok(old)
}

/// A signalfd for `mask` (close-on-exec).
pub fn signalfd(mask: SigSet) -> Result<Fd, Errno> {
    // SAFETY: `mask` is a valid 8-byte kernel sigset.
    unsafe { syscall!(Sysno::signalfd4, -1i32, &mask as *const SigSet, size_of::<SigSet>(), linux_raw_sys::general::O_CLOEXEC) }
        .map(|fd| fd as Fd)
}

/// Reads one signal from a signalfd: its number.
pub fn read_signal(fd: Fd) -> Result<u32, Errno> {
    read_siginfo(fd).map(|info| info.signo)
}

/// What a signalfd tells of one signal: the parts of `struct
/// signalfd_siginfo` that nsinit reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SigInfo {
    pub signo: u32,
    /// `ssi_code`: `SI_USER` (0) from kill(2), `SI_KERNEL` (0x80) when the
    /// kernel sent it (a terminal's keys), `CLD_*` for SIGCHLD.
    pub code: i32,
    /// The sender (0 when it is not in this process's pid namespace).
    pub pid: i32,
}

/// Reads one signal from a signalfd.
pub fn read_siginfo(fd: Fd) -> Result<SigInfo, Errno> {
    // struct signalfd_siginfo is 128 bytes: ssi_signo, ssi_errno, ssi_code,
    // ssi_pid, ... (u32, i32, i32, u32).
    let mut info = [0u8; 128];
    read(fd, &mut info)?;
    let word = |i: usize| u32::from_ne_bytes([info[4 * i], info[4 * i + 1], info[4 * i + 2], info[4 * i + 3]]);
    Ok(SigInfo { signo: word(0), code: word(2) as i32, pid: word(3) as i32 })
}

/// How a child changed, as `waitid` tells it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ChildState {
    pub pid: i32,
    /// `CLD_EXITED`, `CLD_KILLED`, `CLD_DUMPED`, `CLD_STOPPED`, `CLD_TRAPPED`, `CLD_CONTINUED`.
    pub code: i32,
    /// The exit code, or the signal.
    pub status: i32,
}

/// `waitid(idtype, id, options)`; `None` under `WNOHANG` when no child has changed.
pub fn waitid(idtype: u32, id: i32, options: u32) -> Result<Option<ChildState>, Errno> {
    // siginfo_t is 128 bytes; for SIGCHLD: si_signo, si_errno, si_code,
    // padding, si_pid, si_uid, si_status (ints).
    let mut info = [0i32; 32];
    // SAFETY: `info` has room for a siginfo_t; no rusage is asked for.
    unsafe { syscall!(Sysno::waitid, idtype, id, info.as_mut_ptr(), options, 0) }?;
    Ok((info[4] != 0).then_some(ChildState { pid: info[4], code: info[2], status: info[6] }))
}

/// The process group of `pid` (as this process's pid namespace names it).
pub fn getpgid_of(pid: i32) -> Result<i32, Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::getpgid, pid) }.map(|p| p as i32)
}

/// The session of this process.
pub fn getsid() -> i32 {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::getsid, 0) }.map_or(0, |p| p as i32)
}

/// The foreground process group of the terminal `fd` (`TIOCGPGRP`): it
/// must be this process's controlling terminal (`ENOTTY` otherwise).
pub fn tcgetpgrp(fd: Fd) -> Result<i32, Errno> {
    let mut pgrp: i32 = 0;
    // SAFETY: TIOCGPGRP writes one int.
    unsafe { syscall!(Sysno::ioctl, fd, linux_raw_sys::ioctl::TIOCGPGRP, &mut pgrp as *mut i32) }?;
    Ok(pgrp)
}

/// Makes `pgrp` the foreground process group of the terminal `fd` (`TIOCSPGRP`).
pub fn tcsetpgrp(fd: Fd, pgrp: i32) -> Result<(), Errno> {
    // SAFETY: TIOCSPGRP reads one int, which lives for the call.
    unsafe { syscall!(Sysno::ioctl, fd, linux_raw_sys::ioctl::TIOCSPGRP, &pgrp as *const i32) }.map(drop)
}

pub fn setpgid(pid: i32, pgid: i32) -> Result<(), Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::setpgid, pid, pgid) }.map(drop)
}

/// This process's process group.
pub fn getpgid() -> i32 {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::getpgid, 0) }.map_or(0, |p| p as i32)
}

pub fn setsid() -> Result<i32, Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::setsid) }.map(|s| s as i32)
}

/// `ioctl` for requests that take a pointer to an int (TIOCSPGRP) or none
/// that matters (TIOCSCTTY takes an int by value; pass `arg`).
pub fn ioctl_int(fd: Fd, request: u32, arg: usize) -> Result<(), Errno> {
    // SAFETY: the requests used with this take an int or a pointer to one
    // that the caller keeps alive for the call.
    unsafe { syscall!(Sysno::ioctl, fd, request, arg) }.map(drop)
}

/// Whether `fd` is a terminal.
pub fn isatty(fd: Fd) -> bool {
    let mut termios = [0u8; 64];
    // SAFETY: TCGETS writes a struct termios (60 bytes) into the buffer.
    unsafe { syscall!(Sysno::ioctl, fd, linux_raw_sys::ioctl::TCGETS, termios.as_mut_ptr()) }.is_ok()
}

pub fn dup3(old: Fd, new: Fd) -> Result<(), Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::dup3, old, new, 0) }.map(drop)
}

pub fn memfd_create(name: ZStr<'_>, flags: u32) -> Result<Fd, Errno> {
    // SAFETY: `name` is NUL-terminated.
    unsafe { syscall!(Sysno::memfd_create, name.as_ptr(), flags) }.map(|fd| fd as Fd)
}

/// `lseek(fd, offset, whence)`: the new offset.
pub fn lseek(fd: Fd, offset: i64, whence: u32) -> Result<u64, Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::lseek, fd, offset, whence) }.map(|o| o as u64)
}

/// Copies up to `count` bytes from `from` to `to` in the kernel.
pub fn sendfile(to: Fd, from: Fd, count: usize) -> Result<usize, Errno> {
    // SAFETY: no offset pointer is passed.
    unsafe { syscall!(Sysno::sendfile, to, from, 0, count) }
}

pub fn fcntl(fd: Fd, cmd: u32, arg: usize) -> Result<usize, Errno> {
    // SAFETY: the commands used take an integer argument.
    unsafe { syscall!(Sysno::fcntl, fd, cmd, arg) }
}

/// `execveat(fd, "", ..., AT_EMPTY_PATH)`: runs the program open at `fd`.
/// Returns only on failure.
pub fn fexecve(fd: Fd, argv: &[Option<ZStr<'_>>], envp: &[Option<ZStr<'_>>]) -> Errno {
    if argv.last().is_some_and(Option::is_some) || envp.last().is_some_and(Option::is_some) {
        return Errno::EINVAL;
    }
    let empty = ZStr::new(c"");
    // SAFETY: as for execve; the path is the empty string.
    match unsafe {
        syscall!(Sysno::execveat, fd, empty.as_ptr(), argv.as_ptr(), envp.as_ptr(), linux_raw_sys::general::AT_EMPTY_PATH)
    } {
        Ok(_) => Errno::EINVAL,
        Err(e) => e,
    }
}

pub fn chroot(path: ZStr<'_>) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    unsafe { syscall!(Sysno::chroot, path.as_ptr()) }.map(drop)
}

pub fn sync() {
    // SAFETY: no arguments.
    let _ = unsafe { syscall!(Sysno::sync) };
}

/// `reboot(2)` with one of the LINUX_REBOOT_CMD_* commands.
pub fn reboot(cmd: u32) -> Result<(), Errno> {
    use linux_raw_sys::general::{LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2};
    // SAFETY: no memory is passed for these commands.
    unsafe { syscall!(Sysno::reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, cmd, 0) }.map(drop)
}

/// The filesystem type (`f_type`) of the filesystem holding `path`.
pub fn statfs_type(path: ZStr<'_>) -> Result<u64, Errno> {
    // struct statfs on x86_64: f_type is the first 8 bytes of 120.
    let mut buf = [0u64; 15];
    // SAFETY: `buf` has room for a struct statfs.
    unsafe { syscall!(Sysno::statfs, path.as_ptr(), buf.as_mut_ptr()) }?;
    Ok(buf[0])
}

/// A plain fork: the child returns 0.
pub fn fork() -> Result<i32, Errno> {
    // clone(2), not clone3: seccomp filters (Docker's, nsinit's) make
    // clone3 fail with ENOSYS, and clone(2) does all fork needs.
    // SAFETY: without CLONE_VM the child gets a copy-on-write copy of the
    // address space and returns here like from fork(2); the programs that
    // use this are single-threaded, so every copied object is consistent.
    unsafe { syscall!(Sysno::clone, SIGCHLD, 0, 0, 0, 0) }.map(|p| p as i32)
}

/// `readlink` into `buf`; returns the length.
pub fn readlink(path: ZStr<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    readlinkat(AT_FDCWD, path, buf)
}

/// `readlinkat` into `buf`: the target of the symlink `path` in `dir`;
/// returns the length (EINVAL: not a symlink).
pub fn readlinkat(dir: Fd, path: ZStr<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `path` is NUL-terminated; `buf` is valid for writes of its length.
    unsafe { syscall!(Sysno::readlinkat, dir, path.as_ptr(), buf.as_mut_ptr(), buf.len()) }
}

/// `prlimit64`: sets `resource` of process `pid` (0: this one) to (soft, hard).
pub fn prlimit(pid: i32, resource: u32, soft: u64, hard: u64) -> Result<(), Errno> {
    let new = rlimit64 { rlim_cur: soft, rlim_max: hard };
    // SAFETY: `new` is a valid rlimit64; no old value is asked for.
    unsafe { syscall!(Sysno::prlimit64, pid, resource, &new as *const rlimit64, 0) }.map(drop)
}

/// `setns(fd, nstype)`: enters the namespace of `fd` (a namespace file or,
/// from Linux 5.8, a pidfd, whose `nstype` namespaces are entered).
pub fn setns(fd: Fd, nstype: u32) -> Result<(), Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::setns, fd, nstype) }.map(drop)
}

/// Sleeps while `word` holds `expected` (`FUTEX_WAIT`), shared with the
/// tasks that share this memory; returns early on a wake-up, a signal, or
/// when `word` no longer holds `expected` (EAGAIN).
pub fn futex_wait(word: &core::sync::atomic::AtomicU32, expected: u32) -> Result<(), Errno> {
    // SAFETY: `word` is a valid, aligned u32 for the call; no timeout.
    unsafe { syscall!(Sysno::futex, word.as_ptr(), linux_raw_sys::general::FUTEX_WAIT, expected, 0) }.map(drop)
}

/// Wakes every task sleeping on `word` (`FUTEX_WAKE`).
pub fn futex_wake(word: &core::sync::atomic::AtomicU32) {
    // SAFETY: `word` is a valid, aligned u32; the kernel only compares addresses.
    let _ = unsafe { syscall!(Sysno::futex, word.as_ptr(), linux_raw_sys::general::FUTEX_WAKE, i32::MAX, 0) };
}

pub fn unshare(flags: u32) -> Result<(), Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::unshare, flags) }.map(drop)
}

/// `setxattr(2)`: sets the extended attribute `name` of `path` to `value`.
pub fn setxattr(path: ZStr<'_>, name: ZStr<'_>, value: &[u8]) -> Result<(), Errno> {
    // SAFETY: both strings are NUL-terminated; `value` is valid for reads
    // of its length.
    unsafe { syscall!(Sysno::setxattr, path.as_ptr(), name.as_ptr(), value.as_ptr(), value.len(), 0) }.map(drop)
}

/// `getxattr(2)` into `buf`: the value's length.
pub fn getxattr(path: ZStr<'_>, name: ZStr<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: both strings are NUL-terminated; `buf` is valid for writes
    // of its length.
    unsafe { syscall!(Sysno::getxattr, path.as_ptr(), name.as_ptr(), buf.as_mut_ptr(), buf.len()) }
}

/// `flock`: `LOCK_EX`, `LOCK_SH` or `LOCK_UN`, with `LOCK_NB` not to wait.
pub fn flock(fd: Fd, operation: u32) -> Result<(), Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::flock, fd, operation) }.map(drop)
}

/// `pidfd_open`: a descriptor for the process `pid`, close-on-exec.
pub fn pidfd_open(pid: i32) -> Result<Fd, Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::pidfd_open, pid, 0) }.map(|fd| fd as Fd)
}

/// `pidfd_send_signal(pidfd, sig, NULL, 0)`: `sig` to the process `pidfd`
/// holds, which cannot be another that reused its PID.
pub fn pidfd_send_signal(pidfd: Fd, sig: u32) -> Result<(), Errno> {
    // SAFETY: no siginfo is passed.
    unsafe { syscall!(Sysno::pidfd_send_signal, pidfd, sig, 0, 0) }.map(drop)
}

/// `unlinkat(AT_FDCWD, path, 0)`: removes a file (not a directory).
pub fn unlink(path: ZStr<'_>) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    unsafe { syscall!(Sysno::unlinkat, AT_FDCWD, path.as_ptr(), 0) }.map(drop)
}

/// `renameat(AT_FDCWD, from, AT_FDCWD, to)`: replaces `to` at once.
pub fn rename(from: ZStr<'_>, to: ZStr<'_>) -> Result<(), Errno> {
    // SAFETY: both paths are NUL-terminated.
    unsafe { syscall!(Sysno::renameat, AT_FDCWD, from.as_ptr(), AT_FDCWD, to.as_ptr()) }.map(drop)
}

/// The wall clock (`CLOCK_REALTIME`): seconds and nanoseconds since 1970.
pub fn clock_realtime() -> timespec {
    let mut ts = timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec; CLOCK_REALTIME cannot fail.
    let _ = unsafe { syscall!(Sysno::clock_gettime, linux_raw_sys::general::CLOCK_REALTIME, &mut ts as *mut timespec) };
    ts
}

/// `unlinkat(dir, name, AT_REMOVEDIR)`: removes the empty directory (or
/// cgroup) `name` of the directory open at `dir`.
pub fn rmdir_at(dir: Fd, name: ZStr<'_>) -> Result<(), Errno> {
    // SAFETY: `name` is NUL-terminated.
    unsafe { syscall!(Sysno::unlinkat, dir, name.as_ptr(), linux_raw_sys::general::AT_REMOVEDIR) }.map(drop)
}

pub fn rmdir(path: ZStr<'_>) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    unsafe { syscall!(Sysno::unlinkat, AT_FDCWD, path.as_ptr(), linux_raw_sys::general::AT_REMOVEDIR) }.map(drop)
}

/// Anonymous private memory of `len` bytes, read-write, never unmapped.
pub fn mmap_anonymous(len: usize) -> Result<&'static mut [u8], Errno> {
    use linux_raw_sys::general::{MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};
    // SAFETY: a new anonymous mapping touches no existing memory.
    let p = unsafe { syscall!(Sysno::mmap, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1i32, 0) }?;
    // SAFETY: the kernel mapped `len` zeroed, writable bytes at `p`, which
    // nothing else refers to and which stay mapped for good.
    Ok(unsafe { core::slice::from_raw_parts_mut(p as *mut u8, len) })
}

/// Writes 1 to every `page`th byte of `memory`, so that each page is
/// really allocated (a volatile write: one the compiler cannot drop).
pub fn touch_pages(memory: &mut [u8], page: usize) {
    for byte in memory.iter_mut().step_by(page) {
        // SAFETY: `byte` is a valid, exclusive reference.
        unsafe { core::ptr::write_volatile(byte, 1) };
    }
}

pub fn geteuid() -> u32 {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::geteuid) }.map_or(0, |u| u as u32)
}

pub fn getegid() -> u32 {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::getegid) }.map_or(0, |g| g as u32)
}

pub fn setgroups(groups: &[u32]) -> Result<(), Errno> {
    // SAFETY: `groups` is valid for reads of its length.
    unsafe { syscall!(Sysno::setgroups, groups.len(), groups.as_ptr()) }.map(drop)
}

pub fn setresgid(gid: u32) -> Result<(), Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::setresgid, gid, gid, gid) }.map(drop)
}

pub fn setresuid(uid: u32) -> Result<(), Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::setresuid, uid, uid, uid) }.map(drop)
}

pub fn getuid() -> u32 {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::getuid) }.map_or(0, |u| u as u32)
}

pub fn getgid() -> u32 {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::getgid) }.map_or(0, |g| g as u32)
}

/// The supplementary groups, into `buf`; returns how many.
pub fn getgroups(buf: &mut [u32]) -> Result<usize, Errno> {
    // SAFETY: `buf` is valid for writes of its length.
    unsafe { syscall!(Sysno::getgroups, buf.len(), buf.as_mut_ptr()) }
}

/// `socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC)`: two connected ends.
pub fn socketpair() -> Result<[Fd; 2], Errno> {
    use linux_raw_sys::general::O_CLOEXEC as SOCK_CLOEXEC;
    use linux_raw_sys::net::{AF_UNIX, SOCK_STREAM};
    let mut fds = [0 as Fd; 2];
    // SAFETY: `fds` has room for the two descriptors.
    unsafe { syscall!(Sysno::socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.as_mut_ptr()) }?;
    Ok(fds)
}

/// Room for a control message that carries one descriptor:
/// `CMSG_SPACE(sizeof(int))` on x86-64, 8-byte aligned.
#[repr(C, align(8))]
struct FdMessage([u8; 24]);

/// Sends the descriptor `fd` over the Unix socket `socket` (`SCM_RIGHTS`)
/// with `data` (at least a byte: a stream socket needs one), in one
/// `sendmsg`; `data` sent in part is `EMSGSIZE`.
pub fn send_fd(socket: Fd, fd: Fd, data: &[u8]) -> Result<(), Errno> {
    use linux_raw_sys::net::{SCM_RIGHTS, SOL_SOCKET, msghdr};
    let mut iov = linux_raw_sys::general::iovec { iov_base: data.as_ptr() as *mut _, iov_len: data.len() as _ };
    let mut control = FdMessage([0; 24]);
    // struct cmsghdr: cmsg_len (usize, CMSG_LEN(4) = 20), cmsg_level, cmsg_type (ints), then the int.
    control.0[..8].copy_from_slice(&20usize.to_ne_bytes());
    control.0[8..12].copy_from_slice(&(SOL_SOCKET as i32).to_ne_bytes());
    control.0[12..16].copy_from_slice(&(SCM_RIGHTS as i32).to_ne_bytes());
    control.0[16..20].copy_from_slice(&fd.to_ne_bytes());
    let msg = fd_message(&mut iov, &mut control);
    // SAFETY: `msg` points at `iov`, `data` and `control`, which live for
    // the call; the kernel only reads `data`.
    let sent = unsafe { syscall!(Sysno::sendmsg, socket, &msg as *const msghdr, linux_raw_sys::net::MSG_NOSIGNAL) }?;
    if sent == data.len() { Ok(()) } else { Err(Errno::EMSGSIZE) }
}

/// `connect` of the Unix socket `fd` to the socket file at `path`
/// (`ENAMETOOLONG` past the 107 bytes `sockaddr_un` holds).
pub fn connect_unix(fd: Fd, path: &[u8]) -> Result<(), Errno> {
    use linux_raw_sys::net::{AF_UNIX, sockaddr_un};
    let mut addr = sockaddr_un { sun_family: AF_UNIX as _, sun_path: [0; 108] };
    if path.len() >= addr.sun_path.len() || path.contains(&0) {
        return Err(Errno::ENAMETOOLONG);
    }
    for (to, &from) in addr.sun_path.iter_mut().zip(path) {
        *to = from as _;
    }
    // SAFETY: `addr` is a whole `sockaddr_un`, read by the kernel for the call.
    unsafe { syscall!(Sysno::connect, fd, &addr as *const sockaddr_un, size_of::<sockaddr_un>()) }.map(drop)
}

/// A one-byte message with room for one descriptor: `iov` and `control`
/// must outlive the message's use.
fn fd_message(iov: &mut linux_raw_sys::general::iovec, control: &mut FdMessage) -> linux_raw_sys::net::msghdr {
    linux_raw_sys::net::msghdr {
        msg_name: core::ptr::null_mut(),
        msg_namelen: 0,
        msg_iov: (iov as *mut linux_raw_sys::general::iovec).cast(),
        msg_iovlen: 1,
        msg_control: control.0.as_mut_ptr().cast(),
        msg_controllen: control.0.len(),
        msg_flags: 0,
    }
}

/// Receives one descriptor sent with `send_fd` (close-on-exec); `EIO`
/// when the message carried none (the sender ended first).
pub fn recv_fd(socket: Fd) -> Result<Fd, Errno> {
    use linux_raw_sys::net::{MSG_CMSG_CLOEXEC, SCM_RIGHTS, SOL_SOCKET, msghdr};
    let mut byte = [0u8];
    let mut iov = linux_raw_sys::general::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    let mut control = FdMessage([0; 24]);
    let mut msg = fd_message(&mut iov, &mut control);
    // SAFETY: `msg` points at buffers of the lengths it gives, which live for the call.
    let n = unsafe { syscall!(Sysno::recvmsg, socket, &mut msg as *mut msghdr, MSG_CMSG_CLOEXEC) }?;
    let int = |at: usize| i32::from_ne_bytes([control.0[at], control.0[at + 1], control.0[at + 2], control.0[at + 3]]);
    let carried = n == 1 && msg.msg_controllen >= 20 && int(8) == SOL_SOCKET as i32 && int(12) == SCM_RIGHTS as i32;
    if carried { Ok(int(16)) } else { Err(Errno::EIO) }
}

/// A terminal's settings (`struct termios`, as TCGETS gives it).
pub type Termios = linux_raw_sys::general::termios;
/// A terminal's size (`struct winsize`).
pub type WinSize = linux_raw_sys::general::winsize;

/// `TCGETS`: the settings of the terminal `fd` (`ENOTTY` when it is none).
pub fn tcgetattr(fd: Fd) -> Result<Termios, Errno> {
    let mut t = MaybeUninit::<Termios>::uninit();
    // SAFETY: TCGETS writes one struct termios.
    unsafe { syscall!(Sysno::ioctl, fd, linux_raw_sys::ioctl::TCGETS, t.as_mut_ptr()) }?;
    // SAFETY: the kernel filled it on success.
    Ok(unsafe { t.assume_init() })
}

/// `TCSETS`: sets them now.
pub fn tcsetattr(fd: Fd, t: &Termios) -> Result<(), Errno> {
    // SAFETY: TCSETS reads one struct termios, which lives for the call.
    unsafe { syscall!(Sysno::ioctl, fd, linux_raw_sys::ioctl::TCSETS, t as *const Termios) }.map(drop)
}

/// `TIOCGWINSZ`: the size of the terminal `fd`.
pub fn get_window_size(fd: Fd) -> Result<WinSize, Errno> {
    let mut w = WinSize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes one struct winsize.
    unsafe { syscall!(Sysno::ioctl, fd, linux_raw_sys::ioctl::TIOCGWINSZ, &mut w as *mut WinSize) }?;
    Ok(w)
}

/// `TIOCSWINSZ`: sets it; the kernel sends SIGWINCH to the terminal's
/// foreground process group when it changed.
pub fn set_window_size(fd: Fd, w: &WinSize) -> Result<(), Errno> {
    // SAFETY: TIOCSWINSZ reads one struct winsize, which lives for the call.
    unsafe { syscall!(Sysno::ioctl, fd, linux_raw_sys::ioctl::TIOCSWINSZ, w as *const WinSize) }.map(drop)
}

/// `TIOCGPTPEER`: opens the other end (the pty) of the pseudo-terminal
/// master `master` with `flags`, without a path (Linux 4.13).
pub fn open_pty_peer(master: Fd, flags: u32) -> Result<Fd, Errno> {
    // SAFETY: TIOCGPTPEER takes its flags by value.
    unsafe { syscall!(Sysno::ioctl, master, linux_raw_sys::ioctl::TIOCGPTPEER, flags) }.map(|fd| fd as Fd)
}

/// `TIOCSPTLCK` to 0: unlocks the pty of the master `master` (`unlockpt`).
pub fn unlock_pty(master: Fd) -> Result<(), Errno> {
    let unlock: i32 = 0;
    // SAFETY: TIOCSPTLCK reads one int, which lives for the call.
    unsafe { syscall!(Sysno::ioctl, master, linux_raw_sys::ioctl::TIOCSPTLCK, &unlock as *const i32) }.map(drop)
}

pub fn fchown(fd: Fd, uid: u32, gid: u32) -> Result<(), Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::fchown, fd, uid, gid) }.map(drop)
}

/// `poll` on several descriptors; returns how many are ready (0 on timeout).
pub fn poll(fds: &mut [pollfd], timeout_ms: i32) -> Result<usize, Errno> {
    // SAFETY: `fds` is a valid array of its length.
    unsafe { syscall!(Sysno::poll, fds.as_mut_ptr(), fds.len(), timeout_ms) }
}

/// `ioctl(fd, NS_GET_NSTYPE)`: the type (`CLONE_NEW*`) of the namespace
/// file `fd`; ENOTTY (or EINVAL) when it is not one.
pub fn ns_get_nstype(fd: Fd) -> Result<u32, Errno> {
    // SAFETY: NS_GET_NSTYPE takes no argument.
    unsafe { syscall!(Sysno::ioctl, fd, linux_raw_sys::ioctl::NS_GET_NSTYPE, 0) }.map(|t| t as u32)
}

/// `fchownat(dir, path, uid, gid, flags)`.
pub fn fchownat(dir: Fd, path: ZStr<'_>, uid: u32, gid: u32, flags: u32) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    unsafe { syscall!(Sysno::fchownat, dir, path.as_ptr(), uid, gid, flags) }.map(drop)
}

/// `umask(mask)`: returns the mask before.
pub fn umask(mask: u32) -> u32 {
    // SAFETY: no memory is passed; umask cannot fail.
    unsafe { syscall!(Sysno::umask, mask) }.map_or(0, |old| old as u32)
}

/// `personality(persona)`: returns the persona before.
pub fn personality(persona: u32) -> Result<u32, Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::personality, persona) }.map(|old| old as u32)
}

/// `struct sched_attr` of `sched_setattr(2)`, its first version (48 bytes).
#[repr(C)]
pub struct SchedAttr {
    pub size: u32,
    pub policy: u32,
    pub flags: u64,
    pub nice: i32,
    pub priority: u32,
    pub runtime: u64,
    pub deadline: u64,
    pub period: u64,
}

/// `sched_setattr(pid, attr, 0)` (pid 0: this thread).
pub fn sched_setattr(pid: i32, attr: &SchedAttr) -> Result<(), Errno> {
    // SAFETY: `attr` is a valid sched_attr whose `size` the caller sets to its size.
    unsafe { syscall!(Sysno::sched_setattr, pid, attr as *const SchedAttr, 0) }.map(drop)
}

/// `ioprio_set(IOPRIO_WHO_PROCESS, pid, ioprio)` (pid 0: this thread).
pub fn ioprio_set(pid: i32, ioprio: u32) -> Result<(), Errno> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::ioprio_set, 1, pid, ioprio) }.map(drop)
}

/// `sched_setaffinity(pid, mask)` (pid 0: this thread).
pub fn sched_setaffinity(pid: i32, mask: &[u64]) -> Result<(), Errno> {
    // SAFETY: `mask` is valid for reads of its size in bytes.
    unsafe { syscall!(Sysno::sched_setaffinity, pid, core::mem::size_of_val(mask), mask.as_ptr()) }.map(drop)
}

/// `fstatfs(fd)`: (`f_type`, `f_flags`) of the filesystem holding `fd`.
pub fn fstatfs(fd: Fd) -> Result<(u64, u64), Errno> {
    // struct statfs on x86_64: 15 longs; f_type first, f_flags eleventh.
    let mut buf = [0u64; 15];
    // SAFETY: `buf` has room for a struct statfs.
    unsafe { syscall!(Sysno::fstatfs, fd, buf.as_mut_ptr()) }?;
    Ok((buf[0], buf[10]))
}
