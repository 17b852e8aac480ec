//! A terminal for the tests: runs a command on a new pseudo-terminal the
//! way a terminal emulator does (the command leads a session of its own
//! whose controlling terminal is the pty), types keys into it and reads
//! what it prints. Built on the `expectrl` crate (pty, spawn, expect).
//!
//! Every read is kept, so that a failed expectation shows the whole screen
//! so far, not only the tail it was looking at.

use expectrl::session::OsSession;
use expectrl::{Eof, Expect, Regex, Session};
use std::process::Command;
use std::time::{Duration, Instant};

/// How long an expectation waits for its text before failing the test.
pub const EXPECT_TIMEOUT: Duration = Duration::from_secs(20);

/// One command on a pseudo-terminal of its own.
pub struct Terminal {
    session: OsSession,
    /// Everything the terminal has shown so far, as read.
    pub screen: String,
    what: String,
}

impl Terminal {
    /// Starts `cmd` on a new pty (80x24, echo off as a test driver wants
    /// it; a shell's line editor turns its own echo on).
    pub fn spawn(cmd: Command) -> Terminal {
        let what = format!("{cmd:?}");
        let mut session = Session::spawn(cmd).unwrap_or_else(|e| panic!("start {what} on a pty: {e}"));
        session.set_expect_timeout(Some(EXPECT_TIMEOUT));
        Terminal { session, screen: String::new(), what }
    }

    /// An interactive bash with job control, no rc files and the prompt
    /// `PS1`, as a person's login shell; waits for its first prompt.
    pub fn shell(env: &[(&str, &str)]) -> Terminal {
        let mut cmd = Command::new("bash");
        cmd.args(["--norc", "--noprofile", "-i"]).env_clear();
        cmd.env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").env("TERM", "dumb");
        cmd.env("PS1", PROMPT).env("HOME", "/root");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut t = Terminal::spawn(cmd);
        t.expect(PROMPT);
        t
    }

    /// The PID of the command (the session leader), as the host sees it.
    pub fn pid(&self) -> i32 {
        self.session.get_process().pid().as_raw()
    }

    /// Types `text` (no newline).
    pub fn type_text(&mut self, text: &str) {
        self.session.send(text).unwrap_or_else(|e| panic!("{}: type {text:?}: {e}", self.what));
    }

    /// Types `line` and Enter.
    pub fn type_line(&mut self, line: &str) {
        self.type_text(&format!("{line}\r"));
    }

    /// Presses Ctrl and `key` (`'c'` for Ctrl-C, `'z'` for Ctrl-Z, `'\\'` for Ctrl-\).
    pub fn ctrl(&mut self, key: char) {
        let code = (key.to_ascii_uppercase() as u8) ^ 0x40;
        self.session.send([code]).unwrap_or_else(|e| panic!("{}: type Ctrl-{key}: {e}", self.what));
    }

    /// Waits until `text` shows; returns what came between the last
    /// expectation and it. Fails the test, showing the screen, after
    /// `EXPECT_TIMEOUT`.
    #[track_caller]
    pub fn expect(&mut self, text: &str) -> String {
        let found = self.session.expect(text);
        let (before, matched) = self.took(found, &format!("{text:?}"));
        before + &matched
    }

    /// The same for a regular expression; returns what came before it and
    /// the match.
    #[track_caller]
    pub fn expect_regex(&mut self, re: &str) -> (String, String) {
        let found = self.session.expect(Regex(re));
        self.took(found, &format!("/{re}/"))
    }

    /// Waits for the terminal to close (every process holding it gone);
    /// returns what it showed last.
    #[track_caller]
    pub fn expect_eof(&mut self) -> String {
        let found = self.session.expect(Eof);
        self.took(found, "the end of the terminal's output").0
    }

    /// Reads what arrives within `time` without waiting for anything in
    /// particular: to check that nothing more comes.
    pub fn read_for(&mut self, time: Duration) -> String {
        let end = Instant::now() + time;
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while Instant::now() < end {
            match self.session.try_read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(10)),
                Err(_) => break,
            }
        }
        let text = String::from_utf8_lossy(&got).into_owned();
        self.screen.push_str(&text);
        text
    }

    /// Sets the terminal's size, as a person resizing the window: the
    /// kernel sends SIGWINCH to its foreground process group.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.session.get_process_mut().set_window_size(cols, rows).unwrap_or_else(|e| panic!("{}: resize: {e}", self.what));
    }

    /// Waits for the command to end; its exit code, or 128+N for signal N.
    pub fn wait(&mut self) -> i32 {
        use expectrl::process::unix::WaitStatus;
        let deadline = Instant::now() + EXPECT_TIMEOUT;
        loop {
            match self.session.get_process().status() {
                Ok(WaitStatus::Exited(_, code)) => return code,
                Ok(WaitStatus::Signaled(_, sig, _)) => return 128 + sig as i32,
                Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                other => panic!("{}: did not end: {other:?}; screen:\n{}", self.what, self.screen),
            }
        }
    }

    #[track_caller]
    fn took(&mut self, found: Result<expectrl::Captures, expectrl::Error>, what: &str) -> (String, String) {
        match found {
            Ok(c) => {
                let before = String::from_utf8_lossy(c.before()).into_owned();
                let matched = String::from_utf8_lossy(c.get(0).unwrap_or_default()).into_owned();
                self.screen.push_str(&before);
                self.screen.push_str(&matched);
                (before, matched)
            }
            Err(e) => {
                let rest = self.read_for(Duration::from_millis(100));
                panic!("{}: expected {what}: {e}; the screen so far:\n{}\n(last read: {rest:?})", self.what, self.screen)
            }
        }
    }
}

/// The prompt `Terminal::shell` sets: a line of its own that no command
/// prints by accident.
pub const PROMPT: &str = "tty-test$ ";
