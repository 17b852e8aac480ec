//! The probe: the payload the integration tests start in containers, and the
//! `make run` demo. A static, libc-free program built on nsinit's own
//! runtime, so a test rootfs needs nothing but this one file.
//!
//! `nsinit-probe COMMAND [ARG]...`, one fact a command, printed plainly:
//! hostname, domainname, pid, ppid, mountinfo, env, args, cwd, fds,
//! exit N, kill N, sleep SECONDS, cat FILE, ls DIR, write FILE TEXT,
//! readlink PATH, for the PID 1 tests: orphans N, signals, leftovers, and
//! for the limits: forkbomb, hog MIB, spin SECONDS; pgrp (own process group
//! and the terminal's foreground one); id (uid, gid, groups); user (the
//! same, then `HOME=...` or `HOME unset`, and the working directory); chroot
//! (`chroot .`: `chroot ok|ERRNO`); for the
//! seccomp tests: syscalls (tries the calls a filter may deny, printing
//! what each returned), x32 and i386 (a system call of another ABI), and
//! `x32 syscalls`, `i386 syscalls` (denied and allowed calls through those
//! ABIs); for the privilege tests: setuid0, bind PORT, tiocsti TEXT,
//! tiocsti-high TEXT (the same with high bits in the request), tioclinux,
//! ctty (opens /dev/tty), session (whether it leads its session), ptrace
//! PID|parent (attach and detach). Each prints `NAME ok` or `NAME ERRNO`.
//! call NAME [ARG]... [, NAME [ARG]...]... makes each call with those
//! arguments (the others 0), or through i386 for `i386:NUMBER` (three
//! arguments at most), and prints its words then `ok` or the errno.
//! mknod PATH makes a character device there, the same as /dev/null (1:3),
//! and opens it for writing: `mknod ok|ERRNO`, then `open ok|ERRNO`.
//! traceme PROGRAM [ARG]... asks its parent to trace it, then execs
//! PROGRAM, which stops it at once with SIGTRAP, as under a debugger.
//! For the terminal tests: sigcount MS (prints `ready`, then counts the
//! signals it gets until MS milliseconds after the first, and prints
//! `counted INT=1 ...`), deaf SECONDS (blocks SIGTERM, SIGINT and SIGHUP,
//! prints `ready` and sleeps), readline (reads a line from stdin, prints
//! `read LINE` or `read ERRNO`).
//! For the rootless tests: chown PATH UID GID (`chown ok|ERRNO`), stat PATH
//! (`uid=U gid=G` of its owner), become UID GID (setgroups to GID alone,
//! setgid, setuid, as apt drops to `_apt`, then what `id` prints).
//! For the process tests: node PATH (type, mode, device numbers and owner
//! of a node, its last symlink not followed), ioprio (class and level).
//! For the OCI tests: report [ARG]... (all a runtime sets up for its
//! payload, in sections `== NAME`: status, limits, oom_score_adj and
//! mountinfo as /proc/self has them, hostname, domainname, cwd, the ARGs,
//! env).
//! Started as `hello` (argv[0]'s last component), it is the demo; started
//! as `newuidmap` or `newgidmap`, it is a stand-in for the helper that
//! tells on its stderr what nsinit gave it, and fails.
#![no_std]
#![no_main]

use nsinit::rt::Args;
use nsinit::sys::{self, Errno, ZStr};
use nsinit::text::Line;

nsinit::entry!(main);

const O_RDONLY: u32 = 0;
const O_WRONLY_CREAT_TRUNC: u32 = 0o1 | 0o100 | 0o1000;
const O_DIRECTORY: u32 = 0o200000;
const O_CLOEXEC: u32 = 0o2000000;

fn main(args: Args) -> ! {
    let words = args.words();
    let word = |i: usize| words.get(i).copied().flatten();
    let arg0 = word(0).map_or(&b""[..], |w| w.bytes());
    let name = arg0.rsplit(|&c| c == b'/').next().unwrap_or(arg0);
    let code = if name == b"hello" {
        hello()
    } else if name == b"newuidmap" || name == b"newgidmap" {
        helper_spy(name, words, args.envp)
    } else {
        let cmd = word(1).map_or(&b""[..], |w| w.bytes());
        match (cmd, word(2), word(3)) {
            (b"hostname", None, _) => print_uts(1),
            (b"domainname", None, _) => print_uts(5),
            (b"pid", None, _) => print_num(sys::getpid() as u64),
            (b"ppid", None, _) => print_num(sys::getppid() as u64),
            (b"mountinfo", None, _) => cat(ZStr::new(c"/proc/self/mountinfo")),
            (b"env", None, _) => print_all(args.envp),
            (b"args", _, _) => print_all(&args.argv[2.min(args.argv.len())..]),
            (b"cwd", None, _) => cwd(),
            (b"fds", None, _) => fds(),
            (b"exit", Some(n), None) => number(n).map_or(2, |n| n as i32),
            (b"kill", Some(n), None) => number(n).map_or(2, |n| kill(n as u32)),
            (b"sleep", Some(n), None) => number(n).map_or(2, |n| sys::nanosleep(n).map_or(1, |_| 0)),
            (b"cat", Some(path), None) => cat(path),
            (b"cat", Some(_), Some(_)) => args.argv[2..].iter().flatten().map(|p| cat(*p)).max().unwrap_or(0),
            (b"devices", Some(dir), None) => devices(dir),
            (b"ls", Some(path), None) => ls(path),
            (b"write", Some(path), Some(text)) => write(path, text),
            (b"mknod", Some(path), None) => mknod_and_open(path),
            (b"mknod", Some(path), Some(kind)) => match (kind.bytes(), word(4).and_then(number), word(5).and_then(number)) {
                (b"b" | b"c", Some(major), Some(minor)) => mknod_and_read(path, kind.bytes()[0], major, minor),
                _ => 2,
            },
            (b"readlink", Some(path), None) => readlink(path),
            (b"orphans", Some(n), None) => number(n).map_or(2, orphans),
            (b"signals", None, _) => signals(),
            (b"leftovers", None, _) => leftovers(),
            (b"forkbomb", None, _) => forkbomb(),
            (b"hog", Some(mb), None) => number(mb).map_or(2, hog),
            (b"spin", Some(s), None) => number(s).map_or(2, spin),
            (b"pgrp", None, _) => pgrp(),
            (b"sigcount", Some(ms), None) => number(ms).map_or(2, sigcount),
            (b"deaf", Some(s), None) => number(s).map_or(2, deaf),
            (b"readline", None, _) => readline(),
            (b"id", None, _) => ids(),
            (b"report", _, _) => report_all(&args.argv[2.min(args.argv.len())..], args.envp),
            (b"chown", Some(path), Some(uid)) => match (number(uid), word(4).and_then(number), word(5)) {
                (Some(u), Some(g), None) => chown(path, u as u32, g as u32),
                _ => 2,
            },
            (b"stat", Some(path), None) => owner(path),
            (b"node", Some(path), None) => node(path),
            (b"ioprio", None, _) => ioprio(),
            (b"become", Some(uid), Some(gid)) => match (number(uid), number(gid), word(4)) {
                (Some(u), Some(g), None) => drop_to(u as u32, g as u32),
                _ => 2,
            },
            (b"user", None, _) => user(args.envp),
            (b"chroot", None, _) => chroot(),
            (b"syscalls", None, _) => try_syscalls(),
            (b"call", Some(_), _) => calls(&args.argv[2..]),
            (b"traceme", Some(_), _) => traceme_exec(&args.argv[2..], args.envp),
            (b"x32", None, _) => other_abi(false),
            (b"i386", None, _) => other_abi(true),
            (b"x32", Some(w), None) if w.bytes() == b"syscalls" => abi_syscalls(false),
            (b"i386", Some(w), None) if w.bytes() == b"syscalls" => abi_syscalls(true),
            (b"setuid0", None, _) => setuid0(),
            (b"bind", Some(port), None) => number(port).map_or(2, |p| bind(p as u16)),
            (b"tiocsti", Some(text), None) => tiocsti(text, 0),
            (b"tiocsti-high", Some(text), None) => tiocsti(text, 0xdead_0000_0000),
            (b"tioclinux", None, _) => tioclinux(),
            (b"ctty", None, _) => ctty(),
            (b"session", None, _) => session(),
            (b"ptrace", Some(w), None) if w.bytes() == b"parent" => ptrace_attach(sys::getppid()),
            (b"ptrace", Some(pid), None) => number(pid).map_or(2, |p| ptrace_attach(p as i32)),
            _ => {
                say(&[b"probe: usage: nsinit-probe hostname|domainname|pid|ppid|mountinfo|env|args|cwd|fds|exit N|kill N|sleep S|cat FILE...|ls DIR|write FILE TEXT|readlink PATH|orphans N|signals|leftovers|forkbomb|hog MIB|spin S|pgrp|sigcount MS|deaf S|readline|id|syscalls|x32|i386|x32 syscalls|i386 syscalls|setuid0|bind PORT|tiocsti TEXT|tiocsti-high TEXT|tioclinux|ctty|session|ptrace PID|ptrace parent|mknod PATH [b|c MAJOR MINOR]|devices DIR|call NAME [ARG]... [, NAME [ARG]...]...|traceme PROGRAM [ARG]...|chown PATH UID GID|stat PATH|become UID GID|user|chroot|report [ARG]..."]);
                2
            }
        }
    };
    sys::exit_group(code)
}

fn say(parts: &[&[u8]]) {
    let mut l = Line::new();
    for p in parts {
        l.push(p);
    }
    l.print(1);
}

fn fail(what: &[u8], e: Errno) -> i32 {
    let mut l = Line::new();
    l.push(b"probe: ").push(what).push(b": ");
    nsinit::error::push_errno(&mut l, e);
    l.print(1);
    1
}

fn number(w: ZStr<'_>) -> Option<u64> {
    nsinit::config::parse_number(w.bytes())
}

fn print_num(n: u64) -> i32 {
    let mut l = Line::new();
    l.push_u64(n).print(1);
    0
}

fn print_uts(field: usize) -> i32 {
    match sys::uname() {
        Ok(uts) => {
            let f = &uts[field];
            let len = f.iter().position(|&c| c == 0).unwrap_or(f.len());
            say(&[&f[..len]]);
            0
        }
        Err(e) => fail(b"uname", e),
    }
}

fn print_all(list: &[Option<ZStr<'_>>]) -> i32 {
    for s in list.iter().flatten() {
        say(&[s.bytes()]);
    }
    0
}

fn cwd() -> i32 {
    let mut buf = [0u8; 4096];
    match sys::getcwd(&mut buf) {
        Ok(n) => {
            say(&[&buf[..n.saturating_sub(1)]]);
            0
        }
        Err(e) => fail(b"getcwd", e),
    }
}

fn report_all(argv: &[Option<ZStr<'_>>], envp: &[Option<ZStr<'_>>]) -> i32 {
    for (name, path) in [
        (&b"status"[..], c"/proc/self/status"),
        (b"limits", c"/proc/self/limits"),
        (b"oom_score_adj", c"/proc/self/oom_score_adj"),
        (b"mountinfo", c"/proc/self/mountinfo"),
    ] {
        say(&[b"== ", name]);
        cat(ZStr::new(path));
    }
    say(&[b"== hostname"]);
    print_uts(1);
    say(&[b"== domainname"]);
    print_uts(5);
    say(&[b"== cwd"]);
    cwd();
    say(&[b"== args"]);
    print_all(argv);
    say(&[b"== env"]);
    print_all(envp)
}

fn cat(path: ZStr<'_>) -> i32 {
    let fd = match sys::open(path, O_RDONLY | O_CLOEXEC, 0) {
        Ok(fd) => fd,
        Err(e) => return fail(path.bytes(), e),
    };
    let mut buf = [0u8; 4096];
    loop {
        match sys::read(fd, &mut buf) {
            Ok(0) => return 0,
            Ok(n) => sys::write_all(1, &buf[..n]),
            Err(e) => return fail(path.bytes(), e),
        }
    }
}

fn ls(path: ZStr<'_>) -> i32 {
    match sys::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) {
        Ok(fd) => sys::each_dir_entry(fd, |name| say(&[name])).map_or_else(|e| fail(path.bytes(), e), |_| 0),
        Err(e) => fail(path.bytes(), e),
    }
}

/// The open descriptors, but the one used to list them.
fn fds() -> i32 {
    let dir = ZStr::new(c"/proc/self/fd");
    match sys::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) {
        Ok(fd) => {
            let own = Line::new();
            let mut own = own;
            own.push_u64(fd as u64);
            sys::each_dir_entry(fd, |name| {
                if name != own.as_bytes() {
                    say(&[name]);
                }
            })
            .map_or_else(|e| fail(b"/proc/self/fd", e), |_| 0)
        }
        Err(e) => fail(b"/proc/self/fd", e),
    }
}

fn write(path: ZStr<'_>, text: ZStr<'_>) -> i32 {
    match sys::open(path, O_WRONLY_CREAT_TRUNC | O_CLOEXEC, 0o644) {
        Ok(fd) => match sys::write(fd, text.bytes()) {
            Ok(_) => 0,
            Err(e) => fail(path.bytes(), e),
        },
        Err(e) => fail(path.bytes(), e),
    }
}

/// Dies of signal `n`. A fault signal is raised by a real fault, which
/// kills even the PID 1 of a namespace; any other is sent with kill(2),
/// which such a PID 1 ignores, so say so and exit 99.
fn kill(n: u32) -> i32 {
    match n {
        4 => faults::illegal_instruction(),
        5 => faults::breakpoint(),
        11 => faults::segfault(),
        _ => {}
    }
    let _ = sys::kill(sys::getpid(), n);
    let _ = sys::nanosleep(1);
    say(&[b"probe: still alive after kill (a PID 1 ignores signals it has no handler for)"]);
    99
}

/// Real faults, for the signals the kernel forces on any process.
mod faults {
    pub fn illegal_instruction() -> ! {
        // SAFETY: ud2 raises SIGILL and never returns.
        unsafe { core::arch::asm!("ud2", options(noreturn)) }
    }
    pub fn breakpoint() -> ! {
        // SAFETY: int3 raises SIGTRAP; nothing after it runs with the default action.
        unsafe { core::arch::asm!("int3", "ud2", options(noreturn)) }
    }
    pub fn segfault() -> ! {
        // SAFETY: reading address 0 raises SIGSEGV; no Rust reference is involved.
        unsafe { core::arch::asm!("xor eax, eax", "mov rax, qword ptr [rax]", "ud2", options(noreturn)) }
    }
}

/// The demo: the "Hello from container!" of a container tutorial.
fn hello() -> i32 {
    say(&[b"Hello from container!"]);
    let mut l = Line::new();
    l.push(b"  hostname: ");
    if let Ok(uts) = sys::uname() {
        let f = &uts[1];
        l.push(&f[..f.iter().position(|&c| c == 0).unwrap_or(f.len())]);
    }
    l.print(1);
    let mut l = Line::new();
    l.push(b"  pid:      ").push_u64(sys::getpid() as u64);
    l.print(1);
    say(&[b"  mounts:"]);
    // Field 5 of each mountinfo line is the mount point.
    let fd = match sys::open(ZStr::new(c"/proc/self/mountinfo"), O_RDONLY | O_CLOEXEC, 0) {
        Ok(fd) => fd,
        Err(e) => return fail(b"/proc/self/mountinfo", e),
    };
    let mut buf = [0u8; 16384];
    let mut len = 0;
    while let Ok(n) = sys::read(fd, &mut buf[len..]) {
        if n == 0 || len + n == buf.len() {
            len += n;
            break;
        }
        len += n;
    }
    for line in buf[..len].split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
        let mut fields = line.split(|&c| c == b' ');
        let point = fields.nth(4).unwrap_or(b"?");
        let fstype = line.split(|&c| c == b' ').skip_while(|f| *f != b"-").nth(1).unwrap_or(b"?");
        say(&[b"    ", point, b" (", fstype, b")"]);
    }
    0
}

fn readlink(path: ZStr<'_>) -> i32 {
    let mut buf = [0u8; 4096];
    match sys::readlink(path, &mut buf) {
        Ok(n) => {
            say(&[&buf[..n]]);
            0
        }
        Err(e) => fail(path.bytes(), e),
    }
}

/// Leaves `n` orphans that exit 100 ms later, waits for them to be gone,
/// then prints how many zombies the pid namespace holds: `zombies: K`.
fn orphans(n: u64) -> i32 {
    match sys::fork() {
        Ok(0) => {
            for _ in 0..n {
                if let Ok(0) = sys::fork() {
                    let _ = sys::nanosleep_ms(100);
                    sys::exit_group(0);
                }
            }
            // Exit at once: the grandchildren are now orphans.
            sys::exit_group(0)
        }
        Ok(child) => {
            let _ = sys::wait4(child, 0);
        }
        Err(e) => return fail(b"fork", e),
    }
    let _ = sys::nanosleep_ms(600);
    let mut zombies = 0u64;
    let proc_fd = match sys::open(ZStr::new(c"/proc"), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) {
        Ok(fd) => fd,
        Err(e) => return fail(b"/proc", e),
    };
    // Only the zombies that were ours to reap, or our init's: with a shared
    // pid namespace, /proc also shows the host's processes.
    let parents = [sys::getpid() as u64, sys::getppid() as u64];
    let _ = sys::each_dir_entry(proc_fd, |name| {
        if name.iter().all(u8::is_ascii_digit) && zombie_parent(name).is_some_and(|p| parents.contains(&p)) {
            zombies += 1;
        }
    });
    let mut l = Line::new();
    l.push(b"zombies: ").push_u64(zombies).print(1);
    0
}

/// The parent of PID when /proc/PID/stat says it is a zombie.
fn zombie_parent(pid: &[u8]) -> Option<u64> {
    let mut path = nsinit::text::ZBuf::<64>::new();
    path.push(b"/proc/").and_then(|p| p.push(pid)).and_then(|p| p.push(b"/stat")).ok()?;
    let fd = sys::open(path.zstr(), O_RDONLY | O_CLOEXEC, 0).ok()?;
    let mut buf = [0u8; 512];
    let n = sys::read(fd, &mut buf).unwrap_or(0);
    let _ = sys::close(fd);
    // "PID (comm) S PPID ...": the fields after the last ')'.
    let stat = &buf[..n];
    let rest = &stat[stat.iter().rposition(|&c| c == b')')? + 2..];
    let mut fields = rest.split(|&c| c == b' ');
    if fields.next()? != b"Z" {
        return None;
    }
    nsinit::config::parse_number(fields.next()?)
}

/// Waits for SIGTERM, SIGINT, SIGHUP, SIGUSR1 or SIGUSR2, prints `got N`,
/// then dies of that signal, so that its waiter sees it killed by N.
fn signals() -> i32 {
    let wanted: sys::SigSet = [15u32, 2, 1, 10, 12].iter().fold(0, |set, s| set | 1 << (s - 1));
    let Ok(_) = sys::sigprocmask(0, wanted) else { return 1 };
    let fd = match sys::signalfd(wanted) {
        Ok(fd) => fd,
        Err(e) => return fail(b"signalfd", e),
    };
    say(&[b"ready"]);
    let sig = match sys::read_signal(fd) {
        Ok(sig) => sig,
        Err(e) => return fail(b"read signalfd", e),
    };
    let mut l = Line::new();
    l.push(b"got ").push_u64(u64::from(sig)).print(1);
    let _ = sys::sigprocmask(2, 0);
    let _ = sys::kill(sys::getpid(), sig);
    let _ = sys::nanosleep(1);
    99
}

/// Leaves two children behind and exits: one that SIGTERM ends, one that
/// blocks it and only SIGKILL ends. Prints their PIDs.
fn leftovers() -> i32 {
    for blocks_term in [false, true] {
        // Blocked before the fork, so the child has it blocked from its first
        // instruction, before anyone can send it SIGTERM.
        let mask = if blocks_term { 1 << (15 - 1) } else { 0 };
        let Ok(old) = sys::sigprocmask(0, mask) else { return 1 };
        match sys::fork() {
            Ok(0) => {
                let _ = sys::nanosleep(100);
                sys::exit_group(0)
            }
            Ok(pid) => {
                let _ = sys::sigprocmask(2, old);
                let mut l = Line::new();
                l.push(b"left ").push_u64(pid as u64).print(1);
            }
            Err(e) => return fail(b"fork", e),
        }
    }
    0
}

/// Forks sleeping children until the kernel refuses one; prints
/// `forked N` and the error. The children die with the container.
fn forkbomb() -> i32 {
    let mut forked = 0u64;
    let err = loop {
        match sys::fork() {
            Ok(0) => {
                let _ = sys::nanosleep(30);
                sys::exit_group(0)
            }
            Ok(_) => forked += 1,
            Err(e) => break e,
        }
        if forked == 100_000 {
            break Errno::EINVAL;
        }
    };
    let mut l = Line::new();
    l.push(b"forked ").push_u64(forked).push(b", then ");
    nsinit::error::push_errno(&mut l, err);
    l.print(1);
    0
}

/// Allocates and touches `mib` MiB, printing progress every 16 MiB.
fn hog(mib: u64) -> i32 {
    const CHUNK: usize = 1 << 20;
    for i in 0..mib {
        let p = match sys::mmap_anonymous(CHUNK) {
            Ok(p) => p,
            Err(e) => return fail(b"mmap", e),
        };
        sys::touch_pages(p, 4096);
        if (i + 1) % 16 == 0 {
            let mut l = Line::new();
            l.push(b"touched ").push_u64(i + 1).push(b" MiB").print(1);
        }
    }
    say(&[b"hog done"]);
    0
}

/// Burns CPU for `seconds`.
fn spin(seconds: u64) -> i32 {
    let end = nsinit::timings::now_ns() + seconds * 1_000_000_000;
    let mut n: u64 = 0;
    while nsinit::timings::now_ns() < end {
        for _ in 0..10_000 {
            n = core::hint::black_box(n.wrapping_add(1));
        }
    }
    0
}

/// `pid=P pgrp=G fg=F`: whether this process's group has the terminal.
fn pgrp() -> i32 {
    let mut fg: i32 = -1;
    // TIOCGPGRP: the terminal's foreground process group, into `fg`.
    let _ = sys::ioctl_int(0, 21519, &mut fg as *mut i32 as usize);
    let mut l = Line::new();
    l.push(b"pid=").push_u64(sys::getpid() as u64).push(b" pgrp=");
    l.push_u64(sys::getpgid() as u64).push(b" fg=");
    if fg < 0 { l.push(b"none") } else { l.push_u64(fg as u64) };
    l.print(1);
    0
}

/// The signals `sigcount` counts, by name.
const COUNTED: [(u32, &[u8]); 7] = [(1, b"HUP"), (2, b"INT"), (3, b"QUIT"), (10, b"USR1"), (15, b"TERM"), (18, b"CONT"), (28, b"WINCH")];

/// Counts the signals in `COUNTED` that arrive until `ms` milliseconds
/// after the first; prints `counted NAME=N ...` for those that came. It
/// reads them as they come, spinning rather than sleeping: a second copy
/// sent while the first is still pending would be merged with it by the
/// kernel and go unseen, and a sleeping reader leaves the first pending
/// longer than any forwarder takes.
fn sigcount(ms: u64) -> i32 {
    let set: sys::SigSet = COUNTED.iter().fold(0, |set, (s, _)| set | 1 << (s - 1));
    let Ok(_) = sys::sigprocmask(0, set) else { return 1 };
    let fd = match sys::signalfd(set) {
        Ok(fd) => fd,
        Err(e) => return fail(b"signalfd", e),
    };
    const F_SETFL: u32 = 4;
    const O_NONBLOCK: usize = 0o4000;
    if let Err(e) = sys::fcntl(fd, F_SETFL, O_NONBLOCK) {
        return fail(b"fcntl", e);
    }
    say(&[b"ready"]);
    let mut counts = [0u64; 32];
    let mut deadline = None;
    while deadline.is_none_or(|end| nsinit::timings::now_ns() < end) {
        match sys::read_signal(fd) {
            Ok(sig) => {
                counts[sig as usize & 31] += 1;
                deadline = deadline.or(Some(nsinit::timings::now_ns() + ms * 1_000_000));
            }
            Err(Errno::EAGAIN | Errno::EINTR) => core::hint::spin_loop(),
            Err(e) => return fail(b"read signalfd", e),
        }
    }
    let mut l = Line::new();
    l.push(b"counted");
    for (sig, name) in COUNTED {
        if counts[sig as usize] > 0 {
            l.push(b" ").push(name).push(b"=").push_u64(counts[sig as usize]);
        }
    }
    l.print(1);
    0
}

/// Blocks SIGTERM, SIGINT and SIGHUP (they stay pending, never acted on),
/// prints `ready` and sleeps: a payload that ignores the stop signals.
fn deaf(seconds: u64) -> i32 {
    let Ok(_) = sys::sigprocmask(0, 1 << (15 - 1) | 1 << (2 - 1) | 1) else { return 1 };
    say(&[b"ready"]);
    let _ = sys::nanosleep(seconds);
    0
}

/// Reads one line from stdin; prints `read LINE`, or `read ERRNO`.
fn readline() -> i32 {
    let mut buf = [0u8; 256];
    let mut len = 0;
    while len < buf.len() {
        match sys::read(0, &mut buf[len..len + 1]) {
            Ok(0) => break,
            Ok(_) if buf[len] == b'\n' => break,
            Ok(_) => len += 1,
            Err(Errno::EINTR) => {}
            Err(e) => {
                let mut l = Line::new();
                l.push(b"read ");
                nsinit::error::push_errno(&mut l, e);
                l.print(1);
                return 1;
            }
        }
    }
    say(&[b"read ", &buf[..len]]);
    0
}

/// `uid=U gid=G groups=A,B`: who this process is, as its namespace sees it.
fn chown(path: ZStr<'_>, uid: u32, gid: u32) -> i32 {
    const AT_FDCWD: isize = -100;
    // SAFETY: `path` is NUL-terminated.
    report(b"chown", unsafe { syscalls::syscall!(syscalls::Sysno::fchownat, AT_FDCWD, path.as_ptr(), uid, gid, 0) })
}

fn owner(path: ZStr<'_>) -> i32 {
    match sys::stat(path) {
        Ok(st) => {
            say(&[b"uid=", Line::new().push_u64(u64::from(st.st_uid)).as_bytes(), b" gid=", Line::new().push_u64(u64::from(st.st_gid)).as_bytes()]);
            0
        }
        Err(e) => fail(path.bytes(), e),
    }
}

/// `node PATH`: what a device node is, without following a last symlink:
/// `type=c|b|p|f|d|l mode=OCTAL rdev=MAJOR:MINOR uid=U gid=G`.
fn node(path: ZStr<'_>) -> i32 {
    let mut st = core::mem::MaybeUninit::<linux_raw_sys::general::stat>::zeroed();
    // SAFETY: `path` is NUL-terminated and `st` has room for a struct stat.
    let r = unsafe { syscalls::syscall!(syscalls::Sysno::newfstatat, -100isize, path.as_ptr(), st.as_mut_ptr(), 0x100) };
    if let Err(e) = r {
        return fail(path.bytes(), e);
    }
    // SAFETY: the kernel filled it.
    let st = unsafe { st.assume_init() };
    let kind: &[u8] = match st.st_mode & 0o170000 {
        0o020000 => b"c",
        0o060000 => b"b",
        0o010000 => b"p",
        0o040000 => b"d",
        0o120000 => b"l",
        _ => b"f",
    };
    let (major, minor) = ((st.st_rdev >> 8) & 0xfff | (st.st_rdev >> 32) & !0xfff, st.st_rdev & 0xff | (st.st_rdev >> 12) & !0xff);
    let mut l = Line::new();
    l.push(b"type=").push(kind).push(b" mode=");
    let mut oct = [0u8; 8];
    let mut n = 0;
    let mut m = st.st_mode & 0o7777;
    loop {
        oct[7 - n] = b'0' + (m % 8) as u8;
        m /= 8;
        n += 1;
        if m == 0 {
            break;
        }
    }
    l.push(&oct[8 - n..]).push(b" rdev=").push_u64(major).push(b":").push_u64(minor);
    l.push(b" uid=").push_u64(u64::from(st.st_uid)).push(b" gid=").push_u64(u64::from(st.st_gid)).print(1);
    0
}

/// `ioprio`: `class=C level=L` of this process (`ioprio_get`).
fn ioprio() -> i32 {
    // SAFETY: no memory is passed; IOPRIO_WHO_PROCESS, this process.
    match unsafe { syscalls::syscall!(syscalls::Sysno::ioprio_get, 1, 0) } {
        Ok(v) => {
            Line::new().push(b"class=").push_u64((v >> 13) as u64).push(b" level=").push_u64((v & 0xff) as u64).print(1);
            0
        }
        Err(e) => fail(b"ioprio_get", e),
    }
}

/// Drops to `uid` and `gid` as apt drops to `_apt`: groups first.
fn drop_to(uid: u32, gid: u32) -> i32 {
    if let Err(e) = sys::setgroups(&[gid]) {
        return fail(b"setgroups", e);
    }
    if let Err(e) = sys::setresgid(gid) {
        return fail(b"setgid", e);
    }
    if let Err(e) = sys::setresuid(uid) {
        return fail(b"setuid", e);
    }
    ids()
}

/// In place of newuidmap or newgidmap: one line on stderr with what it
/// got, `NAME: args PID ...; env N; fds 0 1 2; stdin /dev/null; stdout
/// /dev/null; SigBlk HEX`, and exit status 1.
fn helper_spy(name: &[u8], words: &[Option<ZStr<'_>>], envp: &[Option<ZStr<'_>>]) -> i32 {
    let mut l = Line::new();
    l.push(name).push(b": args");
    for w in words.iter().skip(1).flatten() {
        l.push(b" ").push(w.bytes());
    }
    l.push(b"; env ").push_u64(envp.iter().flatten().count() as u64).push(b"; fds");
    if let Ok(dir) = sys::open(ZStr::new(c"/proc/self/fd"), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) {
        let mut own = Line::new();
        own.push_u64(dir as u64);
        let _ = sys::each_dir_entry(dir, |fd| {
            if fd != own.as_bytes() {
                l.push(b" ").push(fd);
            }
        });
    }
    for (label, link) in [(&b"; stdin "[..], c"/proc/self/fd/0"), (b"; stdout ", c"/proc/self/fd/1")] {
        let mut buf = [0u8; 64];
        let n = sys::readlink(ZStr::new(link), &mut buf).unwrap_or(0);
        l.push(label).push(&buf[..n]);
    }
    let mut status = [0u8; 4096];
    let n = sys::open(ZStr::new(c"/proc/self/status"), O_RDONLY | O_CLOEXEC, 0).and_then(|fd| sys::read(fd, &mut status)).unwrap_or(0);
    let blocked = status[..n].split(|&c| c == b'\n').find_map(|line| line.strip_prefix(b"SigBlk:")).unwrap_or(b"?");
    l.push(b"; SigBlk ").push(blocked.trim_ascii());
    l.print(2);
    1
}

fn ids() -> i32 {
    let mut l = Line::new();
    push_ids(&mut l);
    l.print(1);
    0
}

/// `uid=U gid=G groups=A,B`.
fn push_ids(l: &mut Line) {
    let mut groups = [0u32; 64];
    let n = sys::getgroups(&mut groups).unwrap_or(0);
    l.push(b"uid=").push_u64(u64::from(sys::getuid())).push(b" gid=").push_u64(u64::from(sys::getgid()));
    l.push(b" groups=");
    for (i, g) in groups[..n].iter().enumerate() {
        if i > 0 {
            l.push(b",");
        }
        l.push_u64(u64::from(*g));
    }
}

/// `uid=U gid=G groups=A,B HOME=/h cwd=/w`: who the payload is, where.
fn user(env: &[Option<ZStr<'_>>]) -> i32 {
    let mut l = Line::new();
    push_ids(&mut l);
    match env.iter().flatten().find(|v| v.bytes().starts_with(b"HOME=")) {
        Some(home) => l.push(b" ").push(home.bytes()),
        None => l.push(b" HOME unset"),
    };
    let mut cwd = [0u8; 4096];
    let n = sys::getcwd(&mut cwd).unwrap_or(0);
    l.push(b" cwd=").push(&cwd[..n.saturating_sub(1)]);
    l.print(1);
    0
}

fn chroot() -> i32 {
    match sys::chroot(ZStr::new(c".")) {
        Ok(()) => say(&[b"chroot ok"]),
        Err(e) => say(&[b"chroot ", e.name().unwrap_or("?").as_bytes()]),
    }
    0
}

/// Calls that nsinit's default filter denies, each with arguments the
/// kernel itself refuses with something other than EPERM, so that an
/// EPERM can only be the filter's; then calls it allows. One line each:
/// `NAME ok` or `NAME ERRNO`.
fn try_syscalls() -> i32 {
    use syscalls::Sysno;
    const CLONE_NEWUSER_FS: usize = 0x1000_0000 | 0x200; // refused together: EINVAL
    const UFFD_USER_MODE_ONLY_BAD: usize = 1 | 0x1000_0000; // an unknown flag: EINVAL
    const KEYCTL_GET_KEYRING_ID: usize = 0;
    let calls: [(&[u8], Sysno, [usize; 5]); 13] = [
        (b"mount", Sysno::mount, [0; 5]),
        (b"unshare", Sysno::unshare, [0; 5]),
        (b"setns", Sysno::setns, [usize::MAX, 0, 0, 0, 0]),
        (b"clone-newuser", Sysno::clone, [CLONE_NEWUSER_FS, 0, 0, 0, 0]),
        (b"clone3", Sysno::clone3, [0; 5]),
        (b"keyctl", Sysno::keyctl, [KEYCTL_GET_KEYRING_ID, 0x7fff_ffff, 0, 0, 0]),
        (b"add_key", Sysno::add_key, [0; 5]),
        (b"request_key", Sysno::request_key, [0; 5]),
        (b"perf_event_open", Sysno::perf_event_open, [0, 0, usize::MAX, usize::MAX, 0]),
        (b"userfaultfd", Sysno::userfaultfd, [UFFD_USER_MODE_ONLY_BAD, 0, 0, 0, 0]),
        (b"clock_settime", Sysno::clock_settime, [0; 5]),
        (b"getpid", Sysno::getpid, [0; 5]),
        (b"uname", Sysno::uname, [0; 5]),
    ];
    for (name, nr, a) in calls {
        // SAFETY: every pointer argument is NULL, which the kernel checks;
        // no call here can succeed in changing anything (see above).
        let r = unsafe { syscalls::syscall!(nr, a[0], a[1], a[2], a[3], a[4]) };
        match r {
            Ok(_) => say(&[name, b" ok"]),
            Err(e) => {
                let mut l = Line::new();
                l.push(name).push(b" ").push(e.name().unwrap_or("?").as_bytes());
                l.print(1);
            }
        }
    }
    0
}

/// `call NAME [ARG]... [, ...]`: each raw call, with arguments in decimal,
/// hexadecimal (`0x`) or negative (`-1` is all ones); `i386:NUMBER` goes
/// through `int 0x80` with at most three. One line each: the call's words,
/// then `ok` or the errno (`?` for a word that is no call or number).
fn calls(words: &[Option<ZStr<'_>>]) -> i32 {
    let words: &[Option<ZStr<'_>>] = words.split(|w| w.is_none()).next().unwrap_or_default();
    for call in words.split(|w| w.is_some_and(|w| w.bytes() == b",")) {
        let mut l = Line::new();
        let mut a = [0usize; 6];
        let mut ok = !call.is_empty() && call.len() <= 7;
        for (i, w) in call.iter().flatten().enumerate() {
            l.push(w.bytes()).push(b" ");
            if i > 0 {
                match (a.get_mut(i - 1), signed_number(w.bytes())) {
                    (Some(slot), Some(n)) => *slot = n as usize,
                    _ => ok = false,
                }
            }
        }
        let name = call.first().copied().flatten().map(|w| w.bytes()).unwrap_or_default();
        let r = match (ok, name.strip_prefix(b"i386:")) {
            (false, _) => None,
            (true, Some(nr)) if call.len() <= 4 => signed_number(nr).map(|nr| {
                let ret: isize;
                // SAFETY: the tests make calls that take no memory, or
                // NULL, which the kernel checks.
                unsafe {
                    core::arch::asm!("xchg rbx, {a0}", "int 0x80", "xchg rbx, {a0}", a0 = inout(reg) a[0] => _, inlateout("rax") nr as isize => ret, in("rcx") a[1], in("rdx") a[2], lateout("r11") _);
                }
                if (-4095..0).contains(&ret) { Err(Errno::new(-ret as i32)) } else { Ok(ret as usize) }
            }),
            (true, Some(_)) => None,
            (true, None) => nsinit::seccomp::syscall_number(name).and_then(|nr| syscalls::Sysno::new(nr as usize)).map(|nr| {
                // SAFETY: as above.
                unsafe { syscalls::syscall!(nr, a[0], a[1], a[2], a[3], a[4], a[5]) }
            }),
        };
        match r {
            Some(Ok(_)) => l.push(b"ok"),
            Some(Err(e)) => l.push(e.name().unwrap_or("?").as_bytes()),
            None => l.push(b"?"),
        };
        l.print(1);
    }
    0
}

/// A 64-bit number in decimal, hexadecimal after `0x`, or negative.
fn signed_number(w: &[u8]) -> Option<u64> {
    let (negative, w) = match w.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, w),
    };
    let n = match w.strip_prefix(b"0x") {
        Some(hex) if !hex.is_empty() => hex.iter().try_fold(0u64, |n, &c| {
            let digit = (c as char).to_digit(16)?;
            n.checked_mul(16)?.checked_add(u64::from(digit))
        })?,
        _ => nsinit::config::parse_number(w)?,
    };
    Some(if negative { n.wrapping_neg() } else { n })
}

/// getpid through the x32 ABI (the x32 bit on the x86_64 number) or the
/// i386 one (`int 0x80`, number 20): a filter that checks the ABI kills
/// the process; without one it prints what the call returned.
fn other_abi(i386: bool) -> i32 {
    let ret: isize;
    // SAFETY: getpid takes no argument and touches no memory.
    unsafe {
        if i386 {
            core::arch::asm!("int 0x80", inlateout("rax") 20isize => ret, lateout("rcx") _, lateout("r11") _);
        } else {
            core::arch::asm!("syscall", inlateout("rax") (0x4000_0000 + 39) as isize => ret, lateout("rcx") _, lateout("r11") _);
        }
    }
    let mut l = Line::new();
    if ret < 0 {
        l.push(b"returned -").push_u64(ret.unsigned_abs() as u64);
    } else {
        l.push(b"returned ").push_u64(ret as u64);
    }
    l.print(1);
    0
}

/// `ptrace(PTRACE_TRACEME)`, then `execve(argv)`: the exec stops the
/// process with SIGTRAP, reported to the parent as a stop, not an end.
fn traceme_exec(argv: &[Option<ZStr<'_>>], envp: &[Option<ZStr<'_>>]) -> i32 {
    const PTRACE_TRACEME: usize = 0;
    // SAFETY: PTRACE_TRACEME takes no memory.
    if let Err(e) = unsafe { syscalls::syscall!(syscalls::Sysno::ptrace, PTRACE_TRACEME, 0, 0, 0) } {
        return fail(b"ptrace", e);
    }
    let Some(path) = argv.first().copied().flatten() else { return 2 };
    fail(path.bytes(), sys::execve(path, argv, envp))
}

/// `NAME ok` or `NAME ERRNO` for a call's result.
fn report<T>(name: &[u8], r: Result<T, Errno>) -> i32 {
    let mut l = Line::new();
    l.push(name);
    match r {
        Ok(_) => l.push(b" ok"),
        Err(e) => l.push(b" ").push(e.name().unwrap_or("?").as_bytes()),
    };
    l.print(1);
    0
}

/// Calls through the i386 ABI (`int 0x80`, i386 numbers) or the x32 one
/// (x86_64 numbers, or x32's own, with bit 30), with arguments the kernel
/// refuses with something other than EPERM, as `syscalls` does.
fn abi_syscalls(i386: bool) -> i32 {
    const X32: usize = 0x4000_0000;
    const TIOCSTI: usize = 0x5412;
    // (name, i386 number, x32 number, arguments)
    let calls: [(&[u8], usize, usize, [usize; 3]); 6] = [
        (b"unshare", 310, X32 | 272, [1, 0, 0]),
        (b"keyctl", 288, X32 | 250, [0, 0x7fff_ffff, 0]),
        (b"mount", 21, X32 | 165, [0; 3]),
        (b"ioctl-tiocsti", 54, X32 | 514, [usize::MAX >> 33, TIOCSTI, 0]),
        (b"clone3", 435, X32 | 435, [0; 3]),
        (b"getpid", 20, X32 | 39, [0; 3]),
    ];
    for (name, nr_i386, nr_x32, a) in calls {
        let ret: isize;
        // SAFETY: every pointer argument is NULL and every descriptor
        // invalid: no call here can change anything (see `try_syscalls`).
        unsafe {
            if i386 {
                // rbx is LLVM's: swap the first argument in and out of it.
                core::arch::asm!("xchg rbx, {a0}", "int 0x80", "xchg rbx, {a0}", a0 = inout(reg) a[0] => _, inlateout("rax") nr_i386 as isize => ret, in("rcx") a[1], in("rdx") a[2], lateout("r11") _);
            } else {
                core::arch::asm!("syscall", inlateout("rax") nr_x32 as isize => ret, in("rdi") a[0], in("rsi") a[1], in("rdx") a[2], lateout("rcx") _, lateout("r11") _);
            }
        }
        let r = if (-4095..0).contains(&ret) { Err(Errno::new(-ret as i32)) } else { Ok(()) };
        report(name, r);
    }
    0
}

/// setuid(0): EPERM without CAP_SETUID.
fn setuid0() -> i32 {
    // SAFETY: no memory is passed.
    report(b"setuid", unsafe { syscalls::syscall!(syscalls::Sysno::setuid, 0) })
}

/// Binds a TCP socket to PORT on every address: EACCES below 1024
/// without CAP_NET_BIND_SERVICE.
fn bind(port: u16) -> i32 {
    let fd = match sys::socket(2, 1 | 0o2000000, 0) {
        Ok(fd) => fd,
        Err(e) => return fail(b"socket", e),
    };
    // struct sockaddr_in: family, port (big-endian), address 0.0.0.0.
    let mut addr = [0u8; 16];
    addr[0] = 2;
    addr[2..4].copy_from_slice(&port.to_be_bytes());
    // SAFETY: `addr` is a sockaddr_in of the length given, alive for the call.
    report(b"bind", unsafe { syscalls::syscall!(syscalls::Sysno::bind, fd, addr.as_ptr(), addr.len()) })
}

/// Pushes TEXT into the terminal on fd 0 with TIOCSTI, a byte a call,
/// `high` or'd into the request; stops at the first failure.
fn tiocsti(text: ZStr<'_>, high: usize) -> i32 {
    const TIOCSTI: usize = 0x5412;
    let mut r = Ok(0);
    for b in text.bytes() {
        // SAFETY: TIOCSTI reads one byte at the pointer, alive for the call.
        r = unsafe { syscalls::syscall!(syscalls::Sysno::ioctl, 0, TIOCSTI | high, b as *const u8) };
        if r.is_err() {
            break;
        }
    }
    report(b"TIOCSTI", r)
}

/// TIOCLINUX's TIOCL_GETSHIFTSTATE on fd 0: ENOTTY on anything but a
/// virtual console.
fn tioclinux() -> i32 {
    const TIOCLINUX: usize = 0x541C;
    let mut arg = [6u8; 4];
    // SAFETY: TIOCLINUX reads and writes a byte or two at the pointer.
    report(b"TIOCLINUX", unsafe { syscalls::syscall!(syscalls::Sysno::ioctl, 0, TIOCLINUX, arg.as_mut_ptr()) })
}

/// Opens the controlling terminal: ENXIO without one.
fn ctty() -> i32 {
    report(b"ctty", sys::open(ZStr::new(c"/dev/tty"), 0o2 | O_CLOEXEC, 0))
}

/// `leader` when this process leads its own session, else `member`.
fn session() -> i32 {
    // SAFETY: no memory is passed.
    let sid = unsafe { syscalls::syscall!(syscalls::Sysno::getsid, 0) };
    say(&[if sid == Ok(sys::getpid() as usize) { b"leader" } else { b"member" }]);
    0
}

/// PTRACE_ATTACH to PID, then, if it worked, waits for it to stop and
/// detaches, leaving it running.
fn ptrace_attach(pid: i32) -> i32 {
    use syscalls::Sysno::ptrace;
    const PTRACE_ATTACH: usize = 16;
    const PTRACE_DETACH: usize = 17;
    const WALL: u32 = 0x4000_0000;
    // SAFETY: no memory is passed.
    let r = unsafe { syscalls::syscall!(ptrace, PTRACE_ATTACH, pid, 0, 0) };
    if r.is_ok() {
        let _ = sys::wait4(pid, WALL);
        // SAFETY: as above.
        let _ = unsafe { syscalls::syscall!(ptrace, PTRACE_DETACH, pid, 0, 0) };
    }
    report(b"ptrace", r)
}

/// `mknod PATH`: a character device 1:3 (what /dev/null is), then an open
/// of it for writing, each reported.
/// For each of a host block device (loop0, 7:0), null, zero and /dev/mem: makes a
/// node in the new directory DIR (not in /dev, a nodev tmpfs) and opens it
/// for reading, one line each (`b 7:0 mknod ok open EPERM`): what a
/// device cgroup lets a container use.
fn devices(dir: ZStr<'_>) -> i32 {
    if let Err(e) = sys::mkdirat(sys::CWD, dir, 0o700) {
        return fail(dir.bytes(), e);
    }
    for (kind, major, minor, name) in [(b'b', 7u64, 0u64, &b"loop0"[..]), (b'c', 1, 3, b"null"), (b'c', 1, 5, b"zero"), (b'c', 1, 1, b"mem")] {
        let mut path = nsinit::text::ZBuf::<256>::new();
        if path.push(dir.bytes()).and_then(|p| p.push(b"/")).and_then(|p| p.push(name)).is_err() {
            return 2;
        }
        let mode = if kind == b'b' { 0o060000 } else { 0o020000 };
        let made = sys::mknodat(sys::CWD, path.zstr(), mode | 0o600, (major << 8) | minor);
        let opened = sys::open(path.zstr(), O_RDONLY | O_CLOEXEC, 0).map(sys::close);
        let mut l = Line::new();
        l.push(&[kind, b' ']).push_u64(major).push(b":").push_u64(minor);
        for (what, r) in [(&b" mknod "[..], made.err()), (b" open ", opened.err())] {
            l.push(what).push(r.map_or("ok", |e| e.name().unwrap_or("?")).as_bytes());
        }
        l.print(1);
    }
    0
}

/// Makes a block or character device node and opens it for reading: what
/// the device cgroup decides.
fn mknod_and_read(path: ZStr<'_>, kind: u8, major: u64, minor: u64) -> i32 {
    let mode = if kind == b'b' { 0o060000 } else { 0o020000 };
    report(b"mknod", sys::mknodat(sys::CWD, path, mode | 0o600, (major << 8) | minor));
    report(b"open", sys::open(path, O_RDONLY | O_CLOEXEC, 0).map(sys::close))
}

fn mknod_and_open(path: ZStr<'_>) -> i32 {
    const S_IFCHR: u32 = 0o020000;
    report(b"mknod", sys::mknodat(sys::CWD, path, S_IFCHR | 0o666, (1 << 8) | 3));
    report(b"open", sys::open(path, 0o1 | O_CLOEXEC, 0).map(sys::close))
}
