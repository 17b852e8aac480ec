//! `nsinit features`: what this nsinit supports, as runtime-spec's
//! `features.md` ("Features Structure") lists it for a runtime, so that an
//! engine can ask before it writes a `config.json`. The mount options and
//! capabilities are read from the tables the front ends use; the other
//! lists are checked against their parsers by the tests below.

use crate::config::{CAPABILITY_NAMES, each_mount_option};
use crate::container::state::OCI_VERSION;
use crate::sys::{self, Errno, Fd};

/// The hooks nsinit runs, in the spec's order.
const HOOKS: &str = "prestart createRuntime createContainer startContainer poststart poststop";
/// The namespaces it makes or joins (the spec's names).
const NAMESPACES: &str = "cgroup ipc mount network pid user uts time";
/// The seccomp actions, comparison operators, architectures whose calls
/// the filter decides, and filter flags that `linux.seccomp` takes.
const SECCOMP_ACTIONS: &str =
    "SCMP_ACT_ALLOW SCMP_ACT_ERRNO SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD SCMP_ACT_LOG SCMP_ACT_NOTIFY SCMP_ACT_TRACE SCMP_ACT_TRAP";
const SECCOMP_OPERATORS: &str = "SCMP_CMP_EQ SCMP_CMP_GE SCMP_CMP_GT SCMP_CMP_LE SCMP_CMP_LT SCMP_CMP_MASKED_EQ SCMP_CMP_NE";
const SECCOMP_ARCHS: &str = "SCMP_ARCH_X32 SCMP_ARCH_X86 SCMP_ARCH_X86_64";
const SECCOMP_FLAGS: &str = "SECCOMP_FILTER_FLAG_TSYNC SECCOMP_FILTER_FLAG_LOG SECCOMP_FILTER_FLAG_SPEC_ALLOW SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";

/// Writes the features object to `fd`, indented as runc's.
pub fn write(fd: Fd) -> Result<(), Errno> {
    let mut out = Text { buf: [0; 8192], len: 0 };
    out.put(b"{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"");
    out.put(OCI_VERSION);
    out.put(b"\",\n  \"hooks\": ");
    out.words(HOOKS.split(' ').map(str::as_bytes), b"", 4);
    out.put(b",\n  \"mountOptions\": ");
    let mut options: heapless::Vec<&'static [u8], 64> = heapless::Vec::new();
    each_mount_option(|o| {
        let _ = options.push(o);
    });
    let _ = options.extend_from_slice(&[b"idmap", b"ridmap"]);
    out.words(options.iter().copied(), b"", 4);
    out.put(b",\n  \"linux\": {\n    \"namespaces\": ");
    out.words(NAMESPACES.split(' ').map(str::as_bytes), b"", 6);
    out.put(b",\n    \"capabilities\": ");
    out.words(CAPABILITY_NAMES.split(' ').map(str::as_bytes), b"CAP_", 6);
    out.put(b",\n    \"cgroup\": {\n      \"v1\": true,\n      \"v2\": true,\n      \"systemd\": false,\n      \"systemdUser\": false,\n      \"rdma\": true\n    },\n");
    out.put(b"    \"seccomp\": {\n      \"enabled\": true,\n      \"actions\": ");
    out.words(SECCOMP_ACTIONS.split(' ').map(str::as_bytes), b"", 8);
    out.put(b",\n      \"operators\": ");
    out.words(SECCOMP_OPERATORS.split(' ').map(str::as_bytes), b"", 8);
    out.put(b",\n      \"archs\": ");
    out.words(SECCOMP_ARCHS.split(' ').map(str::as_bytes), b"", 8);
    out.put(b",\n      \"knownFlags\": ");
    out.words(SECCOMP_FLAGS.split(' ').map(str::as_bytes), b"", 8);
    out.put(b",\n      \"supportedFlags\": ");
    out.words(SECCOMP_FLAGS.split(' ').map(str::as_bytes), b"", 8);
    out.put(b"\n    },\n    \"apparmor\": {\n      \"enabled\": true\n    },\n    \"selinux\": {\n      \"enabled\": true\n    },\n");
    out.put(b"    \"intelRdt\": {\n      \"enabled\": false\n    },\n    \"mountExtensions\": {\n      \"idmap\": {\n        \"enabled\": true\n      }\n    }\n  }\n}\n");
    if out.len == out.buf.len() {
        return Err(Errno::ENOBUFS);
    }
    let mut rest = &out.buf[..out.len];
    while !rest.is_empty() {
        let n = sys::write(fd, rest)?;
        rest = &rest[n.min(rest.len())..];
    }
    Ok(())
}

/// The text being put together; full is an error (`write`).
struct Text {
    buf: [u8; 8192],
    len: usize,
}

impl Text {
    fn put(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }

    /// A JSON array of strings, each `prefix` and a word in upper case
    /// when there is a prefix, one a line at `indent`.
    fn words<'w>(&mut self, words: impl Iterator<Item = &'w [u8]>, prefix: &[u8], indent: usize) {
        self.put(b"[");
        for (i, word) in words.enumerate() {
            self.put(if i == 0 { b"\n" } else { b",\n" });
            for _ in 0..indent {
                self.put(b" ");
            }
            self.put(b"\"");
            self.put(prefix);
            for &c in word {
                self.put(&[if prefix.is_empty() { c } else { c.to_ascii_uppercase() }]);
            }
            self.put(b"\"");
        }
        self.put(b"\n");
        for _ in 0..indent - 2 {
            self.put(b" ");
        }
        self.put(b"]");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::{action_by_name, arg_cmp};

    #[test]
    fn every_listed_seccomp_word_is_taken_by_the_parser() {
        for action in SECCOMP_ACTIONS.split(' ') {
            assert!(action_by_name(action.as_bytes(), None).is_ok(), "{action}");
        }
        for op in SECCOMP_OPERATORS.split(' ') {
            assert!(arg_cmp(0, op.as_bytes(), 1, 1).is_ok(), "{op}");
        }
        let mut profile = crate::seccomp::Profile::default();
        for arch in SECCOMP_ARCHS.split(' ') {
            assert!(profile.add_architecture(arch.as_bytes()).is_ok(), "{arch}");
        }
        for flag in SECCOMP_FLAGS.split(' ') {
            assert!(profile.add_flag(flag.as_bytes()).is_ok(), "{flag}");
        }
    }
}
