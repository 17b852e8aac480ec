//! A terminal of the container's own (`--tty`, OCI `process.terminal`,
//! `docker run -t`): a pseudo-terminal made in the container's devpts,
//! which becomes the payload's controlling terminal and stdio, and the
//! relay that nsinit runs between it and its own stdin and stdout.
//!
//! The container's process opens `/dev/pts/ptmx` after the root is in
//! place, keeps the pty and sends the master to nsinit over a Unix socket
//! (`SCM_RIGHTS`, as runc's console socket does). nsinit puts its own
//! terminal, if it has one, in raw mode (keys go to the container's line
//! discipline: Ctrl-C there is the payload's SIGINT), copies bytes both
//! ways, passes window-size changes on (SIGWINCH, then TIOCSWINSZ on the
//! master) and gives the terminal its settings back at the end and around
//! its own stops. Without a terminal, plain stdin and stdout are relayed,
//! and the end of stdin is the terminal's end-of-file character.
//!
//! Cargo feature `tty`.

use crate::error::Error;
use crate::sys::{self, Errno, Fd, Termios, ZStr};
use linux_raw_sys::general::{
    BRKINT, CS8, CSIZE, ECHO, ECHONL, F_GETFL, F_SETFL, ICANON, ICRNL, IEXTEN, IGNBRK, IGNCR, INLCR, ISIG, ISTRIP, IXON,
    O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_RDWR, OPOST, PARENB, PARMRK, POLLERR, POLLHUP, POLLIN, VEOF, VMIN, VTIME, pollfd,
};

/// The socket pair the master goes over: `[nsinit's end, the container's]`.
#[inline(never)]
pub fn console_socket() -> Result<[Fd; 2], Error> {
    sys::socketpair().map_err(|e| Error::of("socketpair --tty", e))
}

/// In the container's process, after the root is in place: makes a pty in
/// the container's devpts, sends its master over `socket`, and makes the
/// pty this process's controlling terminal (in a session of its own) and
/// its stdin, stdout and stderr. Its size is that of nsinit's terminal, if
/// any; it belongs to `owner` (`--user`), as runc makes it.
pub fn open_in_container(socket: Fd, owner: Option<(u32, u32)>, size: Option<(u16, u16)>) -> Result<(), Error> {
    let ptmx = ZStr::new(c"/dev/pts/ptmx");
    let master = sys::open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC, 0)
        .map_err(|e| Error::sys_z("open", ptmx, e).push(b" (--tty needs the container's devpts on /dev/pts)"))?;
    let pty = sys::unlock_pty(master)
        .and_then(|()| sys::open_pty_peer(master, O_RDWR | O_NOCTTY))
        .map_err(|e| Error::of("ioctl TIOCGPTPEER", e))?;
    let size = match size {
        Some((rows, columns)) => Ok(sys::WinSize { ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0 }),
        None => sys::get_window_size(0),
    };
    if let Ok(size) = size {
        let _ = sys::set_window_size(pty, &size);
    }
    if let Some((uid, gid)) = owner {
        sys::fchown(pty, uid, gid).map_err(|e| Error::of("fchown the pty", e))?;
    }
    sys::send_fd(socket, master, b"F").map_err(|e| Error::of("sendmsg the pty's master", e))?;
    let _ = (sys::close(master), sys::close(socket));
    sys::setsid().map_err(|e| Error::of("setsid", e))?;
    sys::ioctl_int(pty, linux_raw_sys::ioctl::TIOCSCTTY, 0).map_err(|e| Error::of("ioctl TIOCSCTTY", e))?;
    for fd in 0..3 {
        sys::dup3(pty, fd).map_err(|e| Error::of("dup3 the pty", e))?;
    }
    let _ = sys::close(pty);
    Ok(())
}

/// nsinit's side: the pty's master and the caller's terminal.
pub struct Relay {
    master: Fd,
    /// The caller's terminal settings, while nsinit has it in raw mode.
    saved: Option<Termios>,
    /// Standard input is not at its end.
    input: bool,
    /// The pty still has a process holding it.
    output: bool,
}

impl Relay {
    /// Takes the master from `socket` (nsinit's end of `console_socket`),
    /// once the container's process has sent it, and starts relaying.
    pub fn receive(socket: Fd) -> Result<Relay, Error> {
        let master = sys::recv_fd(socket).map_err(|e| Error::of("recvmsg the pty's master", e));
        let _ = sys::close(socket);
        let mut relay = Relay { master: master?, saved: None, input: true, output: true };
        relay.take_terminal();
        Ok(relay)
    }

    /// Raw mode on nsinit's terminal, while nsinit's group has it; in the
    /// background nsinit stops with SIGTTOU first, as the kernel stops any
    /// program that changes the settings of its terminal from there.
    fn take_terminal(&mut self) {
        let Ok(mut t) = sys::tcgetattr(0) else { return };
        if !crate::jobs::in_foreground() {
            crate::jobs::stop_self(linux_raw_sys::general::SIGTTOU);
            if !crate::jobs::in_foreground() {
                return;
            }
        }
        self.saved = Some(t);
        // cfmakeraw(3).
        t.c_iflag &= !(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
        t.c_oflag &= !OPOST;
        t.c_lflag &= !(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        t.c_cflag &= !(CSIZE | PARENB);
        t.c_cflag |= CS8;
        t.c_cc[VMIN as usize] = 1;
        t.c_cc[VTIME as usize] = 0;
        let _ = sys::tcsetattr(0, &t);
        self.resize();
    }

    /// Gives the caller's terminal its settings back.
    pub fn give_terminal_back(&mut self) {
        if let Some(t) = self.saved.take() {
            let _ = sys::tcsetattr(0, &t);
        }
    }

    /// SIGWINCH: the pty takes the size of nsinit's terminal; the kernel
    /// tells the container's foreground group.
    pub fn resize(&self) {
        if let Ok(size) = sys::get_window_size(0) {
            let _ = sys::set_window_size(self.master, &size);
        }
    }

    /// nsinit stops with `sig` (sent to it: keys do not reach it in raw
    /// mode): the terminal its settings first, raw mode again after.
    pub fn stop_with(&mut self, sig: u32) {
        self.give_terminal_back();
        crate::jobs::stop_self(sig);
        self.take_terminal();
    }

    /// Copies bytes both ways until the signalfd `signals` is readable, or
    /// until `deadline` (`timings::now_ns`), if any.
    #[inline(never)]
    pub fn pump(&mut self, signals: Fd, deadline: Option<u64>) -> Result<(), Errno> {
        let mut buf = [0u8; 4096];
        loop {
            let wait = match deadline {
                None => -1,
                Some(end) => {
                    let now = crate::timings::now_ns();
                    if now >= end {
                        return Ok(());
                    }
                    ((end - now) / 1_000_000 + 1).min(i32::MAX as u64) as i32
                }
            };
            let watch = |fd: Fd, on: bool| pollfd { fd: if on { fd } else { -1 }, events: POLLIN as i16, revents: 0 };
            let mut fds = [watch(signals, true), watch(0, self.input), watch(self.master, self.output)];
            match sys::poll(&mut fds, wait) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
            }
            if fds[0].revents != 0 {
                return Ok(());
            }
            let ready = (POLLIN | POLLHUP | POLLERR) as i16;
            if fds[1].revents & ready != 0 {
                match sys::read(0, &mut buf) {
                    Ok(0) | Err(_) => self.end_of_input(),
                    Ok(n) => sys::write_all(self.master, &buf[..n]),
                }
            }
            if fds[2].revents & ready != 0 {
                self.copy_output(&mut buf);
            }
        }
    }

    /// Standard input ended (or cannot be read): without a terminal of its
    /// own, the pty gets its end-of-file character, which ends a read there.
    fn end_of_input(&mut self) {
        self.input = false;
        if self.saved.is_none() {
            let eof = sys::tcgetattr(self.master).map_or(4, |t| t.c_cc[VEOF as usize]);
            sys::write_all(self.master, &[eof]);
        }
    }

    /// What the container wrote to the pty, to nsinit's stdout; `false`
    /// once nothing holds the pty any more (the master reads EIO).
    fn copy_output(&mut self, buf: &mut [u8]) -> bool {
        match sys::read(self.master, buf) {
            Ok(n) if n > 0 => {
                sys::write_all(1, &buf[..n]);
                true
            }
            Err(Errno::EAGAIN | Errno::EINTR) => true,
            _ => {
                self.output = false;
                false
            }
        }
    }

    /// At the end: what is left in the pty to stdout, and the caller's
    /// terminal its settings back.
    #[inline(never)]
    pub fn finish(&mut self) {
        if let Ok(flags) = sys::fcntl(self.master, F_GETFL, 0) {
            let _ = sys::fcntl(self.master, F_SETFL, flags | O_NONBLOCK as usize);
        }
        let mut buf = [0u8; 4096];
        while self.output && self.copy_output(&mut buf) {
            if sys::poll_one(self.master, POLLIN as i16, 0).unwrap_or(0) == 0 {
                break;
            }
        }
        self.give_terminal_back();
        let _ = sys::close(self.master);
    }
}
