//! Starting one container: the host side (clone, wait, exit code) and, in
//! `setup`, the container side, one step a line in the order the kernel
//! sees them.

pub mod cgroup;
#[cfg(feature = "oci")]
pub mod hooks;
mod devices;
mod join;
mod kernel;
mod mounts;
mod net;
#[cfg(feature = "oci")]
mod notify;
pub mod passwd;
pub mod process;
mod rootfs;
pub mod security;
#[cfg(feature = "oci")]
pub mod state;
pub mod terminal;
mod user;

pub use process::{EnvStorage, environment, exec, exit_code, wait_end};
#[cfg(feature = "oci")]
pub use kernel::selinux_enabled;

use crate::config::{Capabilities, Container, HookPoint, MountKind, PATH_MAX};
#[cfg(feature = "oci")]
use state::Status;
use crate::error::{EXIT_FAILED, Error};
use crate::init;
use crate::rt;
use core::sync::atomic::{AtomicI32, Ordering};
use crate::sys::{self, Errno, ZStr};
use crate::text::ZBuf;
use crate::timings;
use cgroup::Cgroup;
use user::UserMemory;
use linux_raw_sys::general::{
    CLONE_NEWTIME, CLONE_NEWCGROUP, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, O_CLOEXEC, POLLHUP, POLLIN, SIG_BLOCK, SIG_SETMASK, SIGABRT, SIGALRM, SIGCHLD, SIGCONT, SIGHUP, SIGINT, SIGKILL, SIGPIPE, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
};
use linux_raw_sys::prctl::PR_SET_PDEATHSIG;

/// Starts the container and waits for it, forwarding every signal nsinit
/// gets to the container's PID 1, as `runc run` does; returns the code
/// nsinit exits with.
pub fn run(c: &Container<'static>, host_env: &'static [Option<ZStr<'static>>]) -> Result<i32, Error> {
    security::check_passed_fds(&c.process.pass_fds)?;
    let env = environment(host_env, &c.process.env, EnvStorage::take_static()?)?;
    let link = ParentLink::new()?;
    let image = if cfg!(feature = "init") && c.init.enabled { Some(init::own_image()?) } else { None };
    let (signals, mask) = init::catch_signals()?;
    let memory = ChildMemory::take()?;
    // The network namespace takes longest to make (see net.rs): its task
    // starts before the rest is prepared. Not before the signals are
    // caught: the task has nsinit's mask, so that a Ctrl-C does not end it.
    let net = match makes_net_beside(c) && c.joins.is_empty() {
        true => net::NetTask::start(&mut memory.net_stack, link.write),
        false => None,
    };
    // Before the container starts: a shell in it takes the terminal at once.
    let foreground = cfg!(feature = "tty") && crate::jobs::in_foreground();
    let launch = match Launch::new(c, Some(mask), image, foreground) {
        Ok(launch) => launch,
        Err(e) => {
            if let Some(net) = net {
                net.finish();
            }
            return Err(e);
        }
    };
    let started = spawn(c, env, &link, memory, &launch, net);
    link.close_read_end();
    #[cfg(feature = "oci")]
    if let Ok(pid) = started {
        hooks::run_warning(c, HookPoint::Poststart, Status::Running, Some(pid), Some(mask));
    }
    if let Some(fd) = image {
        let _ = sys::close(fd);
    }
    // --tty: the container's process sent the pty's master before its exec.
    let relay = match launch.console {
        Some([ours, theirs]) => {
            let _ = sys::close(theirs);
            match &started {
                Ok(_) => Some(terminal::Relay::receive(ours)),
                Err(_) => {
                    let _ = sys::close(ours);
                    None
                }
            }
        }
        None => None,
    };
    // `--pid-file`: once the container runs; a failure to write it stops
    // the container, as runc's does.
    let started = match (cfg!(feature = "oci"), c.pid_file, started) {
        #[cfg(feature = "oci")]
        (true, Some(file), Ok(pid)) => crate::oci::write_pid_file(file, pid).map(|()| pid).inspect_err(|_| {
            let _ = sys::kill(pid, SIGKILL);
            let _ = wait_for(pid);
        }),
        (_, _, started) => started,
    };
    let code = match relay {
        Some(Err(e)) => started.and_then(|pid| {
            let _ = sys::kill(pid, SIGKILL);
            let _ = wait_for(pid);
            Err(e)
        }),
        Some(Ok(relay)) => started.and_then(|pid| forward_until_exit(signals, pid, c, foreground, Some(relay))),
        None => started.and_then(|pid| forward_until_exit(signals, pid, c, foreground, None)),
    };
    if let Some(cg) = launch.cgroup {
        if code.as_ref().is_ok_and(|c| *c == 128 + SIGKILL as i32) && cg.oom_kills() > 0 {
            report_oom(cg);
        }
        cg.remove();
    }
    // Once the container is gone, whether or not its payload ever ran.
    #[cfg(feature = "oci")]
    if container_pid().is_some() {
        crate::error::keeping_message(|| hooks::run_warning(c, HookPoint::Poststop, Status::Stopped, None, Some(mask)));
    }
    code
}

/// `nsinit: container killed by the OOM killer (memory.max=N)`, the limit
/// named by the file that holds it: `memory.limit_in_bytes` on cgroup v1,
/// where no limit is -1.
fn report_oom(cg: &Cgroup) {
    let (file, unlimited): (&[u8], &[u8]) = match cg.layout {
        cgroup::Layout::Unified => (b"memory.max", b"max"),
        _ => (b"memory.limit_in_bytes", b"-1"),
    };
    let e = Error::new(b"container killed by the OOM killer (").push(file).push(b"=");
    let e = match cg.memory_max() {
        Some(n) if n != u64::MAX => e.push_u64(n),
        _ => e.push(unlimited),
    };
    e.push(b")").print(2);
}

/// Passes each signal on to `pid` until it exits; returns its exit code.
/// Reaps any other child too, for when nsinit is the system's PID 1.
///
/// With the `tty` feature, as one job of the caller's shell (see `jobs`):
/// a signal the terminal already gave the container is not passed on
/// again, the job-control stop signals stop the whole job, and the
/// terminal's foreground goes back to nsinit's group at the end. Without
/// `--init`, a container still running `--stop-timeout` seconds after
/// nsinit passed it SIGTERM, SIGINT or SIGHUP is killed, as `docker stop`
/// does (with `--init`, nsinit's init does that inside). `foreground`:
/// whether nsinit's group had the terminal when the container started.
fn forward_until_exit(
    signals: sys::Fd,
    pid: i32,
    c: &Container<'_>,
    foreground: bool,
    mut relay: Option<terminal::Relay>,
) -> Result<i32, Error> {
    let jobs = cfg!(feature = "tty");
    let mut job = jobs.then(|| crate::jobs::Job::new(pid, c.has(CLONE_NEWPID), c.init.enabled, foreground));
    let grace = c.stop_timeout.unwrap_or(init::DEFAULT_STOP_TIMEOUT);
    let mut stop = (cfg!(feature = "init") && !c.init.enabled).then(|| init::StopTimer::new(true, grace));
    let code = loop {
        if let (true, Some(relay)) = (cfg!(feature = "tty"), relay.as_mut())
            && let Err(e) = relay.pump(signals, stop.as_ref().and_then(|s| s.deadline()))
        {
            Error::of("poll the pty", e).push(b" (relaying no more)").print(2);
            break wait_for(pid);
        }
        let next = match stop.as_mut() {
            Some(stop) => stop.next_signal(signals),
            None => sys::read_siginfo(signals).map(Some),
        };
        let info = match next {
            Ok(Some(info)) => info,
            Ok(None) => {
                if let Some(stop) = stop.as_mut() {
                    stop.kill(pid);
                }
                continue;
            }
            Err(Errno::EINTR) => continue,
            Err(e) => {
                // Without the signalfd, at least wait.
                Error::of("read signalfd", e).push(b" (waiting without forwarding signals)").print(2);
                break wait_for(pid);
            }
        };
        match (info.signo, job.as_mut()) {
            (SIGCHLD, _) => {
                let mut status = None;
                init::reap(pid, &mut status);
                if let Some(status) = status {
                    break Ok(exit_code(status));
                }
            }
            // --tty: the container has a terminal of its own; only the relay stops.
            (SIGWINCH, _) if jobs && relay.is_some() => relay.iter().for_each(|r| r.resize()),
            (sig, _) if jobs && relay.is_some() && crate::jobs::is_job_stop(sig) => {
                relay.iter_mut().for_each(|r| r.stop_with(sig))
            }
            (sig, Some(job)) if jobs && crate::jobs::is_job_stop(sig) => job.stop_signal(&info),
            (SIGCONT, Some(job)) if jobs => job.continue_child(),
            (sig, _) => {
                if jobs && crate::jobs::already_delivered(&info, pid) {
                    continue;
                }
                let _ = sys::kill(pid, sig);
                if let Some(stop) = stop.as_mut() {
                    stop.forwarded(sig);
                }
            }
        }
    };
    if let (true, Some(relay)) = (jobs, relay.as_mut()) {
        relay.finish();
    }
    if let (true, Some(job)) = (jobs, job) {
        job.end();
    }
    code
}

/// How the container's process ends its setup.
pub struct Launch {
    /// The signal mask to restore before exec, when nsinit blocked signals.
    pub mask: Option<sys::SigSet>,
    /// With `--init`: nsinit's own sealed image, to exec as PID 1.
    pub init_image: Option<sys::Fd>,
    /// The cgroup to start in.
    pub cgroup: Option<&'static Cgroup>,
    /// The seccomp filter to install last.
    pub filter: Option<crate::seccomp::Filter>,
    /// With a user namespace: its maps, and how each is written.
    pub maps: Option<&'static user::Maps>,
    /// The `--overlay` layers as found, the upper one made and locked
    /// until nsinit exits.
    pub overlay: Option<&'static rootfs::OverlayDirs>,
    /// nsinit's process group has the terminal's foreground: with `--init`,
    /// the init gives it to its payload (`--init-foreground`).
    pub foreground: bool,
    /// `--tty`: the socket pair the pty's master goes over, `[nsinit's
    /// end, the container's]`.
    pub console: Option<[sys::Fd; 2]>,
    /// The namespaces joined by path, opened and checked.
    pub joined: Option<join::Joined>,
    /// `create`: how the process waits for `start` once set up.
    pub start: Option<StartLink>,
}

/// How a created container's process (`create`, runc's lifecycle) waits,
/// set up, for `start` before it runs its payload: it says it is ready by
/// closing its end of `spawn_attended`'s exec pipe, waits for `create`'s
/// byte on `commit` (sent once the state is on disk; end of file: `create`
/// failed or died, and the process ends), then waits on `fifo`, the
/// state's `exec.fifo`, for the byte `start` writes.
#[derive(Clone, Copy)]
pub struct StartLink {
    /// The exec FIFO, open for reading without blocking.
    pub fifo: sys::Fd,
    /// The read end of the commit pipe.
    pub commit: sys::Fd,
    /// `create`'s end of it, closed at once in the container's process.
    pub commit_write: sys::Fd,
}

/// A container `create` made, waiting for `start`.
pub struct Created {
    /// Its process, as nsinit sees it.
    pub pid: i32,
    /// The commit pipe's write end: one byte lets the process go on to wait for `start`.
    pub commit: sys::Fd,
    pub cgroup: Option<&'static Cgroup>,
}

/// `create`: sets the container up to just before its payload's `execve`
/// and returns with its process waiting (see `StartLink`) on `fifo`, as
/// runc's `create` leaves its init on `exec.fifo`. The process is nsinit's
/// child until nsinit exits; then its subreaper's (conmon, a shim). Unlike
/// `run`, no signal is forwarded and nothing is removed on success: the
/// lifecycle's `kill` and `delete` do that.
#[cfg(feature = "oci")]
/// `made` is told of the cgroup as soon as it is made, before the
/// container's process starts: `create` records it, so that what a killed
/// `create` leaves can be found.
pub fn create(
    c: &Container<'static>,
    host_env: &'static [Option<ZStr<'static>>],
    fifo: sys::Fd,
    console: Option<sys::Fd>,
    made: &mut dyn FnMut(Option<&Cgroup>) -> Result<(), Error>,
    journal: &mut cgroup::Journal<'_>,
) -> Result<Created, Error> {
    security::check_passed_fds(&c.process.pass_fds)?;
    let env = environment(host_env, &c.process.env, EnvStorage::take_static()?)?;
    let link = ParentLink::new()?;
    let memory = ChildMemory::take()?;
    let [commit, commit_write] = pipe()?;
    let mut launch = match Launch::new_journaled(c, None, None, false, Some(journal)) {
        Ok(launch) => launch,
        Err(e) => {
            let _ = (sys::close(commit), sys::close(commit_write));
            return Err(e);
        }
    };
    if let Err(e) = made(launch.cgroup) {
        let _ = (sys::close(commit), sys::close(commit_write));
        if let Some(cg) = launch.cgroup {
            cg.remove();
        }
        return Err(e);
    }
    launch.start = Some(StartLink { fifo, commit, commit_write });
    // `--console-socket`: the container's process sends its pty's master
    // there (as to nsinit's end of the pair with `--tty`).
    if let Some(fd) = console.filter(|_| cfg!(feature = "tty")) {
        launch.console = Some([fd, fd]);
    }
    let started = spawn(c, env, &link, memory, &launch, None);
    let _ = sys::close(commit);
    link.close_read_end();
    match started {
        Ok(pid) => Ok(Created { pid, commit: commit_write, cgroup: launch.cgroup }),
        Err(e) => {
            let _ = sys::close(commit_write);
            if let Some(cg) = launch.cgroup {
                cg.remove();
            }
            Err(e)
        }
    }
}

impl Launch {
    /// What every container of this run shares, made before the first
    /// starts: the user namespace's maps, the seccomp filter, the
    /// overlay's directories (the upper layer locked while nsinit runs),
    /// then the cgroup, last, since it is what is left on the host should
    /// a step after it fail.
    pub fn new(c: &Container<'_>, mask: Option<sys::SigSet>, init_image: Option<sys::Fd>, foreground: bool) -> Result<Launch, Error> {
        Launch::new_journaled(c, mask, init_image, foreground, None)
    }

    /// `new`, telling `journal` of each cgroup directory made (see `Cgroup::create`).
    pub fn new_journaled(
        c: &Container<'_>,
        mask: Option<sys::SigSet>,
        init_image: Option<sys::Fd>,
        foreground: bool,
        journal: Option<&mut cgroup::Journal<'_>>,
    ) -> Result<Launch, Error> {
        // Every namespace file opened and checked, and the sysctls, before
        // anything is made.
        let joined = if cfg!(feature = "process") { join::Joined::open(c)? } else { None };
        if cfg!(feature = "process") {
            kernel::check_sysctls(c, joined.as_ref())?;
        }
        if cfg!(feature = "mounts") {
            mounts::check_remounts(&c.mounts)?;
        }
        let maps = if cfg!(feature = "userns") && c.has(CLONE_NEWUSER) { Some(user::Maps::new(c)?) } else { None };
        let filter = if cfg!(feature = "security") { security::filter(c)? } else { None };
        let overlay = match c.overlay {
            Some(lowers) if cfg!(feature = "userns") => Some(rootfs::OverlayDirs::prepare(lowers, c.overlay_upper)?),
            _ => None,
        };
        let cgroup = if cfg!(feature = "cgroups") && c.wants_cgroup() { Some(Cgroup::create(c, journal)?) } else { None };
        let console = if cfg!(feature = "tty") && c.process.terminal { Some(terminal::console_socket()?) } else { None };
        Ok(Launch { mask, init_image, cgroup, filter, maps, overlay, foreground, console, joined, start: None })
    }
}

/// Whether a task makes the container's network namespace beside its setup
/// (see net.rs): without a user namespace only; with one, the network
/// namespace must be the user namespace's, made by the container's process.
fn makes_net_beside(c: &Container<'_>) -> bool {
    c.has(CLONE_NEWNET) && !c.has(CLONE_NEWUSER) && !c.joins(CLONE_NEWUSER)
}

/// The link that tells a container nsinit died before the container could
/// ask for the parent-death signal: each container holds the read end, nsinit
/// the write end, and the read end sees a hang-up once nsinit is gone.
pub struct ParentLink {
    read: sys::Fd,
    write: sys::Fd,
}

impl ParentLink {
    pub fn new() -> Result<ParentLink, Error> {
        let [read, write] = pipe()?;
        Ok(ParentLink { read, write })
    }

    /// Once no more containers will be started.
    pub fn close_read_end(&self) {
        let _ = sys::close(self.read);
    }
}

fn pipe() -> Result<[sys::Fd; 2], Error> {
    sys::pipe2(O_CLOEXEC).map_err(|e| Error::of("pipe2", e))
}

/// The memory the container's process works in until it execs the
/// payload: it shares nsinit's memory, so it needs a stack of its own, and
/// its larger buffers are kept here rather than on that stack. One is
/// enough: nsinit waits for each container to exec before it starts another.
pub struct ChildMemory {
    stack: [u8; CHILD_STACK],
    /// Where the payload's candidate paths in `PATH` are built.
    path: ZBuf<PATH_MAX>,
    /// The stack of the task that makes the network namespace.
    net_stack: [u8; net::NET_TASK_STACK],
    /// Where `--user` is looked up.
    user: UserMemory,
    /// The task passing a seccomp listener on.
    #[cfg(feature = "oci")]
    notify: notify::Memory,
}

/// The child's stack; its deepest path (creating a mount point) uses a
/// fraction of it.
const CHILD_STACK: usize = 64 * 1024;

impl ChildMemory {
    pub fn parts(&mut self) -> (&mut [u8], &mut ZBuf<PATH_MAX>, &mut UserMemory) {
        (&mut self.stack, &mut self.path, &mut self.user)
    }

    pub fn take() -> Result<&'static mut ChildMemory, Error> {
        static MEMORY: rt::StaticCell<ChildMemory> =
            rt::StaticCell::new(ChildMemory {
                stack: [0; CHILD_STACK],
                path: ZBuf::new(),
                net_stack: [0; net::NET_TASK_STACK],
                user: UserMemory::new(),
                #[cfg(feature = "oci")]
                notify: notify::Memory::new(),
            });
        MEMORY.take().ok_or_else(|| Error::new(b"child memory taken"))
    }
}

/// Creates the container's process in all its namespaces at once; the
/// child sets the container up and execs the payload. Returns the child's
/// PID once it has exec'd (or failed and exited).
pub fn spawn(
    c: &Container<'_>,
    env: &[Option<ZStr<'_>>],
    link: &ParentLink,
    memory: &mut ChildMemory,
    launch: &Launch,
    net: Option<net::NetTask>,
) -> Result<i32, Error> {
    timings::step("prepare");
    timings::flush();
    // Closed once the container's process has attached them, or failed.
    #[cfg(feature = "mounts")]
    let _idmapped = match c.mounts.iter().any(|m| m.idmapped()) {
        true => Some(mounts::Idmapped::prepare(c, launch.maps.filter(|_| cfg!(feature = "userns")).map(|m| m.lines()))?),
        false => None,
    };
    // A joined pid or time namespace, or a new time namespace with
    // offsets, is nsinit's for its children until the container's process
    // is started in it (see join.rs).
    let joined = launch.joined.as_ref().filter(|_| cfg!(feature = "process"));
    if let Some(joined) = joined {
        joined.before_tasks(c)?;
    }
    let user_joined = c.joins(CLONE_NEWUSER);
    // Unless `run` started it already, with no namespace to join first.
    let net = match (net, makes_net_beside(c)) {
        (Some(net), _) => Some(net),
        (None, true) => net::NetTask::start(&mut memory.net_stack, link.write),
        (None, false) => None,
    };
    // The seccomp listener's task, before the container's process, with
    // which nsinit waits (see notify.rs).
    #[cfg(feature = "oci")]
    let metadata = c.seccomp_listener.and_then(|l| l.metadata);
    #[cfg(feature = "oci")]
    let state = &mut memory.notify.state;
    #[cfg(feature = "oci")]
    let mut forward = || notify::forward(&c.identity, metadata, state, &CONTAINER_PID);
    #[cfg(feature = "oci")]
    let listener = match notify::Listener::start(c, &mut memory.notify.stack, link.write, &mut forward) {
        Ok(listener) => listener,
        Err(e) => {
            if let Some(net) = net {
                net.finish();
            }
            return Err(e);
        }
    };
    let (stack, path, user) = (&mut memory.stack[..], &mut memory.path, &mut memory.user);
    // A cgroup namespace is made once the process is in its cgroup, so that
    // it is the namespace's root.
    let later = if launch.cgroup.is_some() { CLONE_NEWCGROUP } else { 0 };
    let later = later | if net.is_some() { CLONE_NEWNET } else { 0 };
    // Made by `before_start` with its offsets; with a joined user
    // namespace, every new one is made once inside it, so that it owns them.
    let later = later | if c.time_offsets.is_some() { CLONE_NEWTIME } else { 0 } | if user_joined { c.namespaces } else { 0 };
    let flags = u64::from(c.namespaces & !later);
    let cgroup_fd = launch.cgroup.and_then(Cgroup::clone_into);
    if let Some(Err(e)) = joined.map(|j| j.before_clone()) {
        if let Some(net) = net {
            net.finish();
        }
        #[cfg(feature = "oci")]
        if let Some(listener) = listener {
            let _ = listener.finish(None);
        }
        return Err(e);
    }
    SETUP_FAILED.store(0, Ordering::Relaxed);
    CONTAINER_PID.store(0, Ordering::Relaxed);
    let net_ref = net.as_ref();
    let maps = launch.maps.filter(|_| cfg!(feature = "userns"));
    let pid = if maps.is_some() || hooks_in_setup(c) || launch.start.is_some() {
        spawn_attended(c, maps, launch.cgroup, launch.mask, flags, cgroup_fd, stack, &mut |go| {
            container_process(c, env, link, launch, net_ref, path, user, Some(go))
        })
    } else {
        sys::clone3_vfork(flags, cgroup_fd, stack, &mut || container_process(c, env, link, launch, net_ref, path, user, None), Some(&CONTAINER_PID))
            .map_err(|e| Error::of("clone3", e))
    };
    #[cfg(feature = "oci")]
    let pid = match listener {
        Some(listener) => listener.finish(pid.as_ref().ok().copied()).and(pid),
        None => pid,
    };
    #[cfg(feature = "oci")]
    core::hint::black_box(&mut forward);
    // The container's process has exec'd or ended.
    if let Some(net) = net {
        net.finish();
    }
    if let Some(joined) = joined {
        joined.back();
    }
    let pid = pid?;
    CONTAINER_PID.store(pid, Ordering::Release);
    let failed = SETUP_FAILED.swap(0, Ordering::Acquire);
    if failed != 0 {
        // It has ended (or is ending): its exit or death woke us.
        let _ = wait_end(pid, 0);
        return Err(Error::written(failed));
    }
    // The child stamped the time just before its execve.
    timings::step("execve");
    timings::total();
    Ok(pid)
}

/// The exit code of a container's process that failed before its payload
/// ran; 0 while none has. That process shares nsinit's memory until it
/// execs, so nsinit finds this code here and the message where `Error`
/// keeps it, and prints it itself: the failing process may be unable to
/// (a memory limit of a few pages, a seccomp profile that denies `write`).
static SETUP_FAILED: AtomicI32 = AtomicI32::new(0);

/// In the container's process: leaves the failure for nsinit to report,
/// and ends.
fn fail(err: Error) -> ! {
    SETUP_FAILED.store(err.code, Ordering::Release);
    sys::exit_group(err.code)
}

/// Whether the container gets a user namespace, which nsinit sets up from
/// outside (`spawn_in_user_namespace`).
fn in_user_namespace(c: &Container<'_>) -> bool {
    cfg!(feature = "userns") && c.has(CLONE_NEWUSER)
}

/// The container's process, from clone3 to exec. `go`, when nsinit
/// attends the setup (`spawn_attended`): the pipe to wait on until nsinit
/// has written the user namespace's maps or run hooks, and the one to hold
/// open until the exec (or write to, to ask for the hooks).
#[allow(clippy::too_many_arguments)]
fn container_process(
    c: &Container<'_>,
    env: &[Option<ZStr<'_>>],
    link: &ParentLink,
    launch: &Launch,
    net: Option<&net::NetTask>,
    path: &mut ZBuf<PATH_MAX>,
    user: &mut UserMemory,
    go: Option<(sys::Fd, sys::Fd)>,
) -> ! {
    timings::step("clone3");
    let _ = sys::close(link.write);
    if let Some(start) = launch.start {
        let _ = sys::close(start.commit_write);
    }
    if let Some((go, _)) = go {
        let mut byte = [0u8; 1];
        // Nothing comes when nsinit failed to write the maps, or died.
        if sys::read(go, &mut byte) != Ok(1) {
            sys::exit_group(EXIT_FAILED);
        }
        // Become the namespace's root: with maps that do not map nsinit's
        // own ids, the process is nobody until it does.
        if in_user_namespace(c) {
            if let Err(e) = sys::setresgid(0).and_then(|()| sys::setresuid(0)) {
                fail(Error::of("setuid 0", e).push(b" in the user namespace (is 0 mapped?)"));
            }
            timings::step("user namespace maps");
        }
    }
    let err = match setup(c, link.read, launch, net, go, user) {
        Ok(switched) => {
            timings::flush();
            // Copied: once a created container says it is ready, `create`
            // goes on, and the frame that holds `launch` is reused.
            #[cfg_attr(not(feature = "oci"), allow(unused_variables))]
            let (mask, image, foreground, start) = (launch.mask, launch.init_image, launch.foreground, launch.start);
            #[cfg(feature = "oci")]
            // Only for `create`: a start's exec finds out for itself.
            if let Some(Err(e)) = start.map(|_| process::check_found(c.process.args.argv(), env, path)) {
                fail(e);
            }
            #[cfg(feature = "oci")]
            if let Some(Err(e)) = start.map(|start| wait_for_start(start, go)) {
                created_fails(e);
            }
            #[cfg(feature = "oci")]
            if let Err(e) = hooks::run(c, HookPoint::StartContainer, Status::Created, container_pid(), mask) {
                if start.is_some() {
                    created_fails(e);
                }
                fail(e);
            }
            let mut exec = |env: &[Option<ZStr<'_>>]| match image {
                Some(image) if c.init.enabled => {
                    let init = crate::config::Init { foreground, ..c.init };
                    init::exec_as_init(image, init, c.stop_timeout, c.process.args.argv(), env)
                }
                _ => process::exec(c.process.args.argv(), env, path),
            };
            let err = if cfg!(feature = "users") && switched { process::with_home(env, user.home.zstr(), &mut exec) } else { exec(env) };
            if start.is_some() {
                created_fails(err);
            }
            err
        }
        Err(e) => e,
    };
    timings::flush();
    fail(err)
}

/// The namespaces of the process `pid` that are not this process's own,
/// as `CLONE_NEW*` bits (`exec` joins those).
#[cfg(feature = "oci")]
fn other_namespaces(pid: i32) -> Result<u32, Error> {
    const KINDS: [(&[u8], u32); 8] = [
        (b"user", CLONE_NEWUSER),
        (b"mnt", CLONE_NEWNS),
        (b"pid", CLONE_NEWPID),
        (b"net", CLONE_NEWNET),
        (b"ipc", linux_raw_sys::general::CLONE_NEWIPC),
        (b"uts", linux_raw_sys::general::CLONE_NEWUTS),
        (b"cgroup", CLONE_NEWCGROUP),
        (b"time", CLONE_NEWTIME),
    ];
    let mut flags = 0;
    for (name, flag) in KINDS {
        let mut theirs = ZBuf::<48>::new();
        let _ = theirs.push(b"/proc/").and_then(|p| p.push_num(pid as u64, 10)).and_then(|p| p.push(b"/ns/")).and_then(|p| p.push(name));
        let mut ours = ZBuf::<48>::new();
        let _ = ours.push(b"/proc/self/ns/").and_then(|p| p.push(name));
        let theirs = match sys::stat(theirs.zstr()) {
            Ok(st) => (st.st_dev, st.st_ino),
            // A kernel without this kind of namespace.
            Err(Errno::ENOENT) => continue,
            Err(e) => return Err(Error::sys("stat", theirs.bytes(), e)),
        };
        let ours = sys::stat(ours.zstr()).map(|st| (st.st_dev, st.st_ino)).map_err(|e| Error::sys("stat", ours.bytes(), e))?;
        if theirs != ours {
            flags |= flag;
        }
    }
    Ok(flags)
}

/// The lifecycle's `exec`: starts `c.process` in the container whose
/// process is `pid` (held by `pidfd`) and waits for it, passing on every
/// signal, unless `detach`; returns the code to exit with (its status, or
/// 0 once it runs, detached). As runc's: nsinit joins the container's
/// namespaces (one `setns` on the pidfd, kernel 5.8), and its new process
/// joins the container's cgroup (`cgroup`'s directories) and becomes the
/// process as the container's own did at its end: limits, LSM labels,
/// user, capabilities, no_new_privs, the seccomp filter. Its PID goes to
/// `pid_file`, as the host sees it. With a terminal, the pty's master goes
/// to `console` (`--console-socket`), or, in the foreground without one,
/// nsinit relays it to its own terminal as `run --tty` does.
#[cfg(feature = "oci")]
#[allow(clippy::too_many_arguments)]
pub fn exec_in(
    c: &Container<'static>,
    pid: i32,
    pidfd: sys::Fd,
    cgroup: Option<&Cgroup>,
    detach: bool,
    pid_file: Option<ZStr<'_>>,
    console: Option<sys::Fd>,
) -> Result<i32, Error> {
    security::check_passed_fds(&c.process.pass_fds)?;
    if c.seccomp_listener.is_some() {
        return Err(Error::new(b"exec: a seccomp profile with a listener (SCMP_ACT_NOTIFY) is not supported for exec yet"));
    }
    let env = environment(&[], &c.process.env, EnvStorage::take_static()?)?;
    let filter = if cfg!(feature = "security") { security::filter(c)? } else { None };
    let flags = other_namespaces(pid)?;
    let mut joins = [None; cgroup::MAX_DIRS];
    if let Some(cg) = cgroup {
        cg.open_joins(&mut joins)?;
    }
    let pid_file = match pid_file {
        Some(file) => Some(sys::open(file, linux_raw_sys::general::O_WRONLY | linux_raw_sys::general::O_CREAT | linux_raw_sys::general::O_TRUNC | O_CLOEXEC, 0o644)
            .map_err(|e| Error::sys_z("open", file, e).push(b" (--pid-file)"))?),
        None => None,
    };
    let caught = if detach { None } else { Some(init::catch_signals()?) };
    let mask = caught.map(|(_, mask)| mask);
    // A terminal in the foreground without a console socket: nsinit relays
    // the pty, as `run --tty` does (and runc's `exec -t`).
    let pair = match (cfg!(feature = "tty") && c.process.terminal && !detach, console) {
        (true, None) => Some(terminal::console_socket()?),
        _ => None,
    };
    let console = console.or(pair.map(|[_, theirs]| theirs));
    let foreground = pair.is_some() && crate::jobs::in_foreground();
    // This process's children are born in the container's pid and time
    // namespaces; it is in its others already.
    sys::setns(pidfd, flags).map_err(|e| Error::of("setns", e).push(b" (into the container's namespaces)"))?;
    let memory = ChildMemory::take()?;
    let (stack, path, user) = memory.parts();
    SETUP_FAILED.store(0, Ordering::Relaxed);
    let started = sys::clone3_vfork(0, None, stack, &mut || exec_process(c, env, &joins, mask, filter, console, path, user), None);
    if let Some(fd) = console {
        let _ = sys::close(fd);
    }
    for fd in joins.iter().flatten() {
        let _ = sys::close(*fd);
    }
    let ours = pair.map(|[ours, _]| ours);
    let child = started.map_err(|e| Error::of("clone3", e)).inspect_err(|_| {
        ours.map(sys::close);
    })?;
    let failed = SETUP_FAILED.swap(0, Ordering::Acquire);
    if failed != 0 {
        ours.map(sys::close);
        let _ = wait_end(child, 0);
        return Err(Error::written(failed));
    }
    let relay = match ours.map(terminal::Relay::receive) {
        Some(Err(e)) => {
            let _ = sys::kill(child, SIGKILL);
            let _ = wait_end(child, 0);
            return Err(e);
        }
        relay => relay.and_then(Result::ok),
    };
    if let Some(fd) = pid_file {
        let mut digits = ZBuf::<16>::new();
        let _ = digits.push_num(child as u64, 10);
        let written = sys::write(fd, digits.bytes());
        let _ = sys::close(fd);
        if written != Ok(digits.len()) {
            let _ = sys::kill(child, SIGKILL);
            return Err(Error::new(b"exec: --pid-file: could not write it"));
        }
    }
    match caught {
        None => Ok(0),
        Some((signals, _)) => forward_until_exit(signals, child, c, foreground, relay),
    }
}

/// `exec`'s new process, from clone3 to its execve: what the end of
/// `setup` does for the container's own process, in the same order.
#[cfg(feature = "oci")]
#[allow(clippy::too_many_arguments)]
fn exec_process(
    c: &Container<'_>,
    env: &[Option<ZStr<'_>>],
    joins: &[Option<sys::Fd>],
    mask: Option<sys::SigSet>,
    filter: Option<crate::seccomp::Filter>,
    console: Option<sys::Fd>,
    path: &mut ZBuf<PATH_MAX>,
    user: &mut UserMemory,
) -> ! {
    let mut become_it = || -> Result<bool, Error> {
        for fd in joins.iter().flatten() {
            sys::write(*fd, b"0").map_err(|e| Error::of("join the container's cgroup", e))?;
        }
        process::limit(0, c)?;
        if cfg!(feature = "process") {
            kernel::set_exec_labels(c)?;
        }
        let who = user::resolve(c, None, user)?;
        if let (true, Some(fd)) = (cfg!(feature = "tty"), console) {
            terminal::open_in_container(fd, who, c.process.console_size)?;
        }
        security::close_own_fds(&c.process.pass_fds, &[])?;
        let entered = enter_workdir(c, None, who.is_some())?;
        if cfg!(feature = "process") {
            kernel::set_process_attributes(c)?;
        }
        let caps = c.process.capabilities.filter(|_| cfg!(feature = "security"));
        if let Some(caps) = caps {
            security::limit_bounding_set(caps.bounding)?;
        }
        if let Some(mask) = mask {
            let _ = sys::sigprocmask(SIG_SETMASK, mask);
        }
        let nnp = cfg!(feature = "security") && c.process.no_new_privileges;
        if let (false, Some(filter)) = (nnp, filter) {
            security::install_filter(filter, None)?;
        }
        if caps.is_some() && who.is_some_and(|(uid, _)| uid != 0) {
            security::keep_capabilities_across_setuid()?;
        }
        user::switch(c, who, user)?;
        if !entered {
            enter_workdir(c, None, false)?;
        }
        if let Some(caps) = caps {
            security::set_capabilities(&caps)?;
        }
        if nnp {
            security::forbid_new_privileges()?;
        }
        if let (true, Some(filter)) = (nnp, filter) {
            security::install_filter(filter, None)?;
        }
        Ok(who.is_some())
    };
    let err = match become_it() {
        Ok(switched) => {
            let mut exec = |env: &[Option<ZStr<'_>>]| process::exec(c.process.args.argv(), env, path);
            if cfg!(feature = "users") && switched { process::with_home(env, user.home.zstr(), &mut exec) } else { exec(env) }
        }
        Err(e) => e,
    };
    fail(err)
}

/// A created container's process, once `create` is gone: nobody reads
/// `SETUP_FAILED`, so it says why itself, on the standard error it was
/// given (the engine's log), and ends.
#[cfg(feature = "oci")]
#[cold]
fn created_fails(err: Error) -> ! {
    err.print(2);
    sys::exit_group(err.code)
}

#[cfg(not(feature = "oci"))]
fn created_fails(err: Error) -> ! {
    fail(err)
}

/// A created container's process, set up: says it is ready, waits for
/// `create`'s commit, then for `start` (see `StartLink`).
#[cfg(feature = "oci")]
fn wait_for_start(start: StartLink, attended: Option<(sys::Fd, sys::Fd)>) -> Result<(), Error> {
    if let Some((go, exec)) = attended {
        let _ = (sys::close(go), sys::close(exec));
    }
    let mut byte = [0u8; 1];
    if sys::read(start.commit, &mut byte) != Ok(1) {
        sys::exit_group(EXIT_FAILED);
    }
    let _ = sys::close(start.commit);
    // The process is most often its pid namespace's init, which the
    // kernel shields from every signal it has no handler for: it takes
    // the ending ones on a signalfd, so that `kill ID` (TERM) ends it
    // before `start` as it ends runc's. Left out where the seccomp filter,
    // installed already, denies the calls.
    const fn bit(sig: u32) -> sys::SigSet {
        1 << (sig - 1)
    }
    const ENDING: sys::SigSet = bit(SIGHUP) | bit(SIGINT) | bit(SIGQUIT) | bit(SIGABRT) | bit(SIGUSR1) | bit(SIGUSR2) | bit(SIGPIPE) | bit(SIGALRM) | bit(SIGTERM);
    let old = sys::sigprocmask(SIG_BLOCK, ENDING).ok();
    let signals = old.and_then(|_| sys::signalfd(ENDING).ok());
    let mut fds = [
        linux_raw_sys::general::pollfd { fd: start.fifo, events: POLLIN as i16, revents: 0 },
        linux_raw_sys::general::pollfd { fd: signals.unwrap_or(-1), events: POLLIN as i16, revents: 0 },
    ];
    loop {
        match sys::poll(&mut fds, -1) {
            Ok(_) if fds[1].revents != 0 => {
                let sig = signals.and_then(|fd| sys::read_signal(fd).ok()).unwrap_or(SIGTERM);
                sys::exit_group(128 + sig as i32);
            }
            Ok(_) => break,
            Err(e) if e == Errno::EINTR => {}
            Err(e) => return Err(Error::of("poll exec.fifo", e)),
        }
    }
    if let Some(fd) = signals {
        let _ = sys::close(fd);
    }
    if let Some(old) = old {
        let _ = sys::sigprocmask(SIG_SETMASK, old);
    }
    // A `start` that opened the FIFO and closed it without a byte did not
    // finish: the container does not run.
    if sys::read(start.fifo, &mut byte) != Ok(1) {
        sys::exit_group(EXIT_FAILED);
    }
    let _ = sys::close(start.fifo);
    Ok(())
}

/// While the network namespace is still being made (see net.rs), before
/// the sysfs mount `mounts[next]` that must wait for it: applies the
/// hidden and read-only paths that lie in a proc filesystem mounted
/// already and that no mount still to come touches (its destination is not
/// the path, above it or below it, by name), and returns which (bits as
/// `setup`'s `early`). They end as they would after every mount: procfs's
/// content is the kernel's, so nothing in the image leads such a path
/// elsewhere, and a later mount that an image's symlink leads into /proc
/// is refused (`mounts::mount_point`) but for a procfs, or a bind on a
/// file lxcfs binds, which covers the kernel's files either way. A path
/// with `..` waits, and every path when a mount sets a propagation.
#[inline(never)]
fn early_path_rules<'a>(
    c: &Container<'_>,
    next: usize,
    root: &mut Option<mounts::Root<'a>>,
    kernel: &mut mounts::KernelMounts<'_>,
) -> Result<(u64, u64), Error> {
    // With a propagation set anywhere, a mount may be copied elsewhere by
    // the kernel: every rule waits for every mount.
    if c.mounts.iter().any(|m| m.propagation != 0) {
        return Ok((0, 0));
    }
    let (made, later) = c.mounts.split_at(next);
    let ready = |path: ZStr<'_>| {
        let path = path.bytes();
        !path.split(|&b| b == b'/').any(|part| part == b"..")
            && made.iter().any(|m| m.kind == MountKind::Proc && mounts::below(path, m.destination.bytes()))
            && !later.iter().any(|m| mounts::nesting(path, m.destination.bytes()) != (false, false))
    };
    let mut early = (0u64, 0u64);
    for (i, path) in c.masked_paths.iter().enumerate().filter(|(_, p)| ready(**p)) {
        mounts::mask(*path, root, kernel)?;
        early.0 |= 1 << i;
    }
    for (i, path) in c.readonly_paths.iter().enumerate().filter(|(_, p)| ready(**p)) {
        mounts::make_path_read_only(*path, root, kernel)?;
        early.1 |= 1 << i;
    }
    Ok(early)
}

/// The container's process as nsinit sees it, for the state hooks read in
/// the container (where its own PID is another); stored before it goes on.
static CONTAINER_PID: AtomicI32 = AtomicI32::new(0);

#[cfg(feature = "oci")]
fn container_pid() -> Option<i32> {
    Some(CONTAINER_PID.load(Ordering::Acquire)).filter(|&pid| pid > 0)
}

/// Whether hooks run before the payload does: then nsinit attends the setup.
fn hooks_in_setup(c: &Container<'_>) -> bool {
    cfg!(feature = "oci") && c.hooks.list.iter().any(|h| !matches!(h.point, HookPoint::Poststart | HookPoint::Poststop))
}

/// When nsinit has work to do while the child sets up — writing a user
/// namespace's maps (itself, or through newuidmap and newgidmap, which get
/// `mask`), running `prestart` and `createRuntime` hooks when the child
/// asks — the child is not started with CLONE_VFORK; nsinit then waits
/// here for it to exec, as CLONE_VFORK would have, since the child runs on
/// what this frame holds. The child asks for the hooks by writing a byte
/// where its exec is seen, and goes on at the next byte nsinit gives it.
#[allow(clippy::too_many_arguments)]
fn spawn_attended(
    c: &Container<'_>,
    maps: Option<&user::Maps>,
    cgroup: Option<&Cgroup>,
    mask: Option<sys::SigSet>,
    flags: u64,
    cgroup_fd: Option<sys::Fd>,
    stack: &mut [u8],
    child: &mut dyn FnMut((sys::Fd, sys::Fd)),
) -> Result<i32, Error> {
    let [go_r, go_w] = pipe()?;
    let [exec_r, exec_w] = match pipe() {
        Ok(p) => p,
        Err(e) => {
            let _ = (sys::close(go_r), sys::close(go_w));
            return Err(e);
        }
    };
    let mut run = move || {
        let _ = (sys::close(go_w), sys::close(exec_r));
        // exec_w stays open, close-on-exec: its end of file is the exec.
        child((go_r, exec_w))
    };
    let started = sys::clone3_vm(flags, cgroup_fd, stack, &mut run, Some(&CONTAINER_PID)).map_err(|e| Error::of("clone3", e));
    let _ = (sys::close(go_r), sys::close(exec_w));
    // The child's limits too: from inside its user namespace it could not raise them.
    let written = started.as_ref().ok().map(|&pid| match maps {
        Some(maps) => match cgroup.filter(|_| cfg!(feature = "cgroups")) {
            Some(cg) => cg.join(pid),
            None => Ok(()),
        }
        .and_then(|()| process::limit(pid, c))
        .and_then(|()| user::write_maps(pid, maps, mask)),
        None => Ok(()),
    });
    if let Ok(&pid) = started.as_ref() {
        CONTAINER_PID.store(pid, Ordering::Release);
    }
    if let Some(Ok(())) = written {
        let _ = sys::write(go_w, b"1");
    }
    let hooks_failed = match (started.as_ref(), written.as_ref()) {
        (Ok(&pid), Some(Ok(()))) => attend(c, pid, mask, exec_r, go_w),
        _ => None,
    };
    let _ = (sys::close(go_w), sys::close(exec_r));
    // The child ran `run` until now: its memory must not be reused before.
    core::hint::black_box(&mut run);
    let pid = started?;
    if let Some(e) = hooks_failed.or_else(|| written.and_then(Result::err)) {
        // The child has exited on the closed pipe or been killed; reap it
        // before failing.
        let _ = wait_end(pid, 0);
        return Err(e);
    }
    Ok(pid)
}

/// Reads `exec` until the child execs or ends. Each byte the child writes
/// there asks nsinit to run the `prestart` and `createRuntime` hooks, in
/// its own namespaces, after which it says go on, on `go`. A failing hook
/// kills the child, and its error is returned.
fn attend(c: &Container<'_>, pid: i32, mask: Option<sys::SigSet>, exec: sys::Fd, go: sys::Fd) -> Option<Error> {
    let mut buf = [0u8; 8];
    while let Ok(n) = sys::read(exec, &mut buf) {
        if n == 0 {
            break;
        }
        if let Err(e) = creation_hooks(c, pid, mask) {
            let _ = sys::kill(pid, SIGKILL);
            return Some(e);
        }
        let _ = sys::write(go, b"1");
    }
    None
}

#[cfg(feature = "oci")]
fn creation_hooks(c: &Container<'_>, pid: i32, mask: Option<sys::SigSet>) -> Result<(), Error> {
    hooks::run(c, HookPoint::Prestart, Status::Creating, Some(pid), mask)?;
    hooks::run(c, HookPoint::CreateRuntime, Status::Creating, Some(pid), mask)
}

#[cfg(not(feature = "oci"))]
fn creation_hooks(_: &Container<'_>, _: i32, _: Option<sys::SigSet>) -> Result<(), Error> {
    Ok(())
}

/// The container side, in order. Each step names itself in its errors.
/// `attended`: from `spawn_attended`, the pipe nsinit's go-ahead comes on
/// and the one it sees the exec on (open until then). Returns
/// whether it switched to a `--user`, whose `HOME` is then in `user`.
fn setup(
    c: &Container<'_>,
    parent_alive: sys::Fd,
    launch: &Launch,
    net: Option<&net::NetTask>,
    attended: Option<(sys::Fd, sys::Fd)>,
    user: &mut UserMemory,
) -> Result<bool, Error> {
    die_with_parent(parent_alive)?;
    timings::step("parent-death signal");
    if let (true, Some(cg)) = (cfg!(feature = "cgroups"), launch.cgroup) {
        // In a new user namespace, nsinit has put it there (`spawn_attended`).
        if launch.maps.filter(|_| cfg!(feature = "userns")).is_none() {
            cg.join(0)?;
        }
        if c.has(CLONE_NEWCGROUP) && !c.joins(CLONE_NEWUSER) {
            sys::unshare(CLONE_NEWCGROUP).map_err(|e| Error::of("unshare cgroup", e))?;
        }
        timings::step("cgroup");
    }
    if !in_user_namespace(c) {
        process::limit(0, c)?;
    }
    if cfg!(feature = "process") {
        kernel::initial_affinity(c)?;
    }
    // The namespaces joined by path, the user namespace first, then, in a
    // joined user namespace, the new ones it is to own: runc's nsexec order.
    if let (true, Some(joined)) = (cfg!(feature = "process"), &launch.joined) {
        joined.enter()?;
        if c.joins(CLONE_NEWUSER) && c.namespaces != 0 {
            sys::unshare(c.namespaces).map_err(|e| Error::of("unshare", e).push(b" (in the joined user namespace)"))?;
        }
        timings::step("join namespaces");
    }
    let in_chroot = if c.has(CLONE_NEWNS) {
        let in_chroot = rootfs::stop_propagation()?;
        timings::step("mount propagation");
        in_chroot
    } else {
        false
    };
    let mut root = match (c.overlay, c.root, launch.overlay) {
        (Some(lowers), _, Some(dirs)) if cfg!(feature = "userns") => Some(rootfs::overlay_root(lowers, c.overlay_upper, dirs)?),
        (_, Some(path), _) => Some(rootfs::bind_root(path)?),
        _ => None,
    };
    timings::step("bind rootfs");
    // Mounts are made from their places as the working directory (see
    // mounts::mount_at), until the last path rule.
    mounts::remember_working_directory();
    // Hidden and read-only paths already applied (`early_path_rules`): bit i
    // of the first for masked_paths[i], of the second for readonly_paths[i].
    let mut early = (0u64, 0u64);
    // The bounding set, cut while the network namespace is made (it takes
    // no privilege the setup uses: those are in the effective set).
    let caps = c.process.capabilities.filter(|_| cfg!(feature = "security"));
    let mut bounded = false;
    let own = |ns| c.has(ns) || c.joins(ns);
    let cgroups = launch.cgroup.filter(|_| cfg!(feature = "cgroups")).map_or(0, |cg| cg.v1_hierarchies());
    let own = mounts::Own { net: own(CLONE_NEWNET), cgroup: own(CLONE_NEWCGROUP), cgroups };
    // The procfs and sysfs mounts the masked and read-only paths are reached from.
    let mut kernel = mounts::KernelMounts::new(&c.mounts);
    for (i, m) in c.mounts.iter().enumerate() {
        // sysfs shows the network of whoever mounts it.
        if let (Some(net), MountKind::Sysfs) = (net, m.kind) {
            if cfg!(feature = "security") {
                early = early_path_rules(c, i, &mut root, &mut kernel)?;
                if let (Some(caps), false) = (caps, bounded) {
                    security::limit_bounding_set(caps.bounding)?;
                    bounded = true;
                }
            }
            net.join()?;
            timings::step("join net namespace");
        }
        mounts::mount(m, &mut root, own)?;
        timings::step_on("mount", m.destination);
    }
    if let Some(net) = net {
        net.join()?;
    }
    // After the mounts, before pivot_root, as runc's createDevices; then
    // the sysctls, once every namespace is in place, and the LSM labels
    // (runc writes its AppArmor profile just before its sysctls).
    if cfg!(feature = "process") {
        if c.default_devices || !c.devices.is_empty() {
            devices::make_all(c, root.as_ref(), in_user_namespace(c) || c.joins(CLONE_NEWUSER))?;
            timings::step("devices");
        }
        kernel::set_exec_labels(c)?;
        if !c.sysctls.is_empty() {
            kernel::write_sysctls(c)?;
            timings::step("sysctls");
        }
    }
    if cfg!(feature = "security") {
        for (_, path) in c.masked_paths.iter().enumerate().filter(|(i, _)| early.0 >> i & 1 == 0) {
            mounts::mask(*path, &mut root, &mut kernel)?;
        }
        for (_, path) in c.readonly_paths.iter().enumerate().filter(|(i, _)| early.1 >> i & 1 == 0) {
            mounts::make_path_read_only(*path, &mut root, &mut kernel)?;
        }
        timings::step("masked and read-only paths");
    }
    // Closed now: nsinit's descriptors are all closed at once later, and
    // one closed twice could be another's by then.
    drop(kernel);
    mounts::forget_working_directory();
    if let (true, Some(root)) = (c.read_only, &root) {
        rootfs::make_read_only(root)?;
    }
    #[cfg(feature = "oci")]
    if let Some((go, exec)) = attended.filter(|_| !c.hooks.list.is_empty()) {
        if hooks::any_while_creating(c) {
            // nsinit runs them, in its own namespaces, and then says go on.
            let mut byte = [0u8; 1];
            if sys::write(exec, b"h") != Ok(1) || sys::read(go, &mut byte) != Ok(1) {
                sys::exit_group(EXIT_FAILED);
            }
        }
        hooks::run(c, HookPoint::CreateContainer, Status::Creating, container_pid(), launch.mask)?;
        timings::step("hooks");
    }
    if let Some(root) = &root {
        rootfs::pivot_into(root, in_chroot)?;
        timings::step_on("pivot_root", root.path);
    }
    if cfg!(feature = "mounts") && c.rootfs_propagation != 0 {
        rootfs::propagate_root(c.rootfs_propagation)?;
    }
    if let Some(name) = c.hostname {
        sys::sethostname(name.bytes()).map_err(|e| Error::sys_z("sethostname", name, e))?;
        timings::step_on("sethostname", name);
    }
    if let Some(name) = c.domainname {
        sys::setdomainname(name.bytes()).map_err(|e| Error::sys_z("setdomainname", name, e))?;
        timings::step_on("setdomainname", name);
    }
    if c.has(CLONE_NEWNET) && net.is_none() {
        net::loopback_up()?;
        timings::step("loopback up");
    }
    // The container's own /etc/passwd and /etc/group, once every mount is
    // made, and closed again before nsinit's descriptors are.
    let who = user::resolve(c, root.as_ref().map(|r| r.fd.0), user)?;
    // None of nsinit's own descriptors (the cgroup's, the signalfd, the
    // overlay's layers, ones it inherited) is open when the working
    // directory is entered: none can be the way out of the root. The parent
    // link (a pipe, close-on-exec) stays: the parent-death check after the
    // last credential change reads it.
    if let (true, Some([_, console])) = (cfg!(feature = "tty"), launch.console) {
        terminal::open_in_container(console, who, c.process.console_size)?;
        timings::step("pty");
    }
    let image = launch.init_image.filter(|_| c.init.enabled);
    let start = launch.start.filter(|_| cfg!(feature = "oci"));
    let keep = [
        image,
        attended.map(|(_, exec)| exec),
        root.as_ref().map(|r| r.fd.0),
        Some(parent_alive),
        listener_end(),
        start.map(|s| s.fifo),
        start.map(|s| s.commit),
        start.and(attended.map(|(go, _)| go)),
    ];
    security::close_own_fds(&c.process.pass_fds, &keep)?;
    // A directory that only the --user may enter (in a user namespace, its
    // root is refused where the owner is not mapped) is entered once nsinit
    // is that user, as runc and crun do; the root stays open until then.
    let entered = enter_workdir(c, root.as_ref(), who.is_some())?;
    let root = if entered {
        drop(root);
        None
    } else {
        root
    };
    timings::step("chdir");
    // Personality, scheduling, I/O priority, CPU affinity and umask while
    // the privileges some of them need are there, as runc sets them before
    // its finalizeNamespace.
    if cfg!(feature = "process") {
        kernel::set_process_attributes(c)?;
    }
    // Privileges last, in an order that keeps what each step needs.
    if let (Some(caps), false) = (caps, bounded) {
        security::limit_bounding_set(caps.bounding)?;
    }
    // The signal mask nsinit started with, before any filter: a profile
    // need not allow rt_sigprocmask.
    if let Some(mask) = launch.mask {
        let _ = sys::sigprocmask(SIG_SETMASK, mask);
    }
    let nnp = cfg!(feature = "security") && c.process.no_new_privileges;
    if let (false, Some(filter)) = (nnp, launch.filter) {
        // Without no_new_privs the filter needs CAP_SYS_ADMIN, which the
        // capabilities set below may not keep.
        security::install_filter(filter, listener_end())?;
    }
    let root_user = who.map(|(uid, _)| uid == 0);
    if caps.is_some() && root_user == Some(false) {
        security::keep_capabilities_across_setuid()?;
    }
    user::switch(c, who, user)?;
    if !entered {
        enter_workdir(c, root.as_ref(), false)?;
        drop(root);
    }
    if let Some(mut caps) = caps {
        // A --user name is taken for a user other than root until it is
        // looked up (config::options): one that is uid 0 gets root's sets.
        // Numbers were known when the sets were made (and a config.json's
        // sets are exact).
        let named = c.process.user.and_then(|u| crate::config::parse_user(u.bytes())).is_some_and(|u| matches!(u.user, crate::config::Id::Name(_)));
        if root_user == Some(true) && named {
            caps = Capabilities { effective: caps.bounding, permitted: caps.bounding, inheritable: 0, ambient: 0, ..caps };
        }
        security::set_capabilities(&caps)?;
        timings::step("capabilities");
    }
    if cfg!(feature = "security") || (cfg!(feature = "compat") && c.process.new_session) {
        security::leave_terminal_session(c.process.new_session)?;
    }
    // The kernel forgets the parent-death signal at each change of
    // credentials (setuid, setgid, capset): ask again after the last, and
    // before a filter that may deny prctl. A created container outlives
    // `create`: it asks for none, and sees `create` die on its commit pipe.
    if start.is_some() {
        sys::prctl(PR_SET_PDEATHSIG, 0).map_err(|e| Error::of("prctl PR_SET_PDEATHSIG", e))?;
    } else {
        die_with_parent(parent_alive)?;
    }
    if nnp {
        security::forbid_new_privileges()?;
    }
    if let (true, Some(filter)) = (nnp, launch.filter) {
        security::install_filter(filter, listener_end())?;
        timings::step("seccomp");
    }
    Ok(who.is_some())
}

/// The socket the container's process sends its seccomp listener to
/// nsinit on (`notify`), when it has one.
fn listener_end() -> Option<sys::Fd> {
    #[cfg(feature = "oci")]
    return notify::container_end();
    #[cfg(not(feature = "oci"))]
    None
}

/// Enters the payload's working directory: `--chdir`, else the root's
/// top with a root of its own. With `may_wait`, `Ok(false)` when it was
/// refused (EACCES), for another try as the payload's user.
fn enter_workdir(c: &Container<'_>, root: Option<&mounts::Root<'_>>, may_wait: bool) -> Result<bool, Error> {
    let dir = match (c.process.cwd, root) {
        (Some(dir), Some(root)) => return rootfs::enter_workdir(dir, root, may_wait),
        (Some(dir), None) => dir,
        (None, Some(_)) => ZStr::new(c"/"),
        (None, None) => return Ok(true),
    };
    match sys::chdir(dir) {
        Err(Errno::EACCES) if may_wait => Ok(false),
        entered => entered.map(|()| true).map_err(|e| Error::sys_z("chdir", dir, e)),
    }
}

/// `--die-with-parent`, as bubblewrap's: nsinit itself gets SIGKILL when
/// the process that started it dies, and the container goes with nsinit.
/// A caller that died before the request leaves nsinit reparented: then it
/// stops here.
#[inline(never)]
pub fn die_with_caller() -> Result<(), Error> {
    let caller = sys::getppid();
    sys::prctl(PR_SET_PDEATHSIG, SIGKILL as usize).map_err(|e| Error::of("prctl PR_SET_PDEATHSIG", e))?;
    if sys::getppid() != caller {
        return Err(Error::new(b"--die-with-parent: nsinit's parent is gone"));
    }
    Ok(())
}

/// Asks for SIGKILL when nsinit dies, then checks nsinit did not die before.
fn die_with_parent(parent_alive: sys::Fd) -> Result<(), Error> {
    sys::prctl(PR_SET_PDEATHSIG, SIGKILL as usize).map_err(|e| Error::of("prctl PR_SET_PDEATHSIG", e))?;
    match sys::poll_one(parent_alive, 0, 0) {
        Ok(revents) if revents & POLLHUP as i16 != 0 => sys::exit_group(EXIT_FAILED),
        Ok(_) => Ok(()),
        Err(e) => Err(Error::of("poll parent", e)),
    }
}

fn wait_for(pid: i32) -> Result<i32, Error> {
    loop {
        match wait_end(pid, 0) {
            Ok((got, status)) if got == pid => return Ok(exit_code(status)),
            Ok(_) => {}
            Err(e) if e == Errno::EINTR => {}
            Err(e) => return Err(Error::of("wait4", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mounts::below;

    #[test]
    fn below_compares_names_not_bytes() {
        for (inner, outer) in [("/proc/acpi", "/proc"), ("/proc", "/proc"), ("//proc/./acpi/", "/proc/"), ("/proc", "/"), ("/", "/.")] {
            assert!(below(inner.as_bytes(), outer.as_bytes()), "{inner} below {outer}");
        }
        for (inner, outer) in [("/procx", "/proc"), ("/", "/proc"), ("/proc", "/proc/acpi"), ("/sys/proc", "/proc")] {
            assert!(!below(inner.as_bytes(), outer.as_bytes()), "{inner} not below {outer}");
        }
    }
}
