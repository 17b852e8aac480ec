//! The payload's privileges (issue 11): the capability sets a root and a
//! non-root payload get, that the container dies with nsinit whatever
//! identity it runs as, the terminal a container must not type into, the
//! filter's 32-bit ABIs, and that the payload cannot trace `--init`.

mod harness;
use harness::*;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The capabilities runc and Docker keep, by number (capabilities(7)).
const RUNC_CAPS: u64 = 0xa80425fb;
const CAP_NET_BIND_SERVICE: u32 = 10;
const CAP_SYS_ADMIN: u32 = 21;

/// `[CapBnd, CapPrm, CapEff, CapInh, CapAmb]` of the probe that printed
/// its `/proc/self/status`.
fn cap_sets(status: &str) -> [u64; 5] {
    let f: BTreeMap<&str, &str> = status.lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k, v.trim())).collect();
    ["CapBnd", "CapPrm", "CapEff", "CapInh", "CapAmb"]
        .map(|name| u64::from_str_radix(f.get(name).unwrap_or_else(|| panic!("no {name} in {status}")), 16).expect("a hex set"))
}

fn sets_with(r: &Rootfs, options: &[&str]) -> [u64; 5] {
    cap_sets(&ok(r.run(&[options, &[IN_PROBE, "cat", "/proc/self/status"]].concat())))
}

/// What the probe says of one thing, as `NAME RESULT` lines.
fn probe_says(r: &Rootfs, options: &[&str], probe: &[&str]) -> String {
    ok(r.run(&[options, &[IN_PROBE], probe].concat()))
}

/// A root-only /etc/shadow in the rootfs.
fn with_shadow(r: &Rootfs) {
    let shadow = r.host("/etc/shadow");
    write_file(&shadow, "root:*:19000:0:99999:7:::\n");
    fs::set_permissions(&shadow, fs::Permissions::from_mode(0o600)).expect("chmod /etc/shadow");
}

// ===========================================================================
// Items 7 and 8: capabilities of a non-root user; the inheritable set
// ===========================================================================

#[test]
fn a_non_root_user_gets_no_capabilities_but_keeps_the_bounding_set() {
    let r = Rootfs::new("caps-non-root");
    with_shadow(&r);
    for options in [&["--user", "1000"][..], &["--user", "1000:1000"], &["--user", "1000:1000", "--groups", "1000,5"], &["--user", "65534:0"]] {
        assert_eq!(sets_with(&r, options), [RUNC_CAPS, 0, 0, 0, 0], "{options:?}: CapBnd CapPrm CapEff CapInh CapAmb");
        assert_eq!(probe_says(&r, options, &["setuid0"]), "setuid EPERM\n", "{options:?}");
        assert_eq!(probe_says(&r, options, &["bind", "80"]), "bind EACCES\n", "{options:?}");
        let out = r.run(&[options, &[IN_PROBE, "cat", "/etc/shadow"]].concat());
        assert_eq!((out.code(), out.stdout.as_str()), (1, "probe: /etc/shadow: EACCES (Permission denied)\n"), "{options:?}");
    }
    // Root in the container, named or not, keeps the container's set.
    for options in [&[][..], &["--user", "0"], &["--user", "0:1000"]] {
        assert_eq!(sets_with(&r, options), [RUNC_CAPS, RUNC_CAPS, RUNC_CAPS, 0, 0], "{options:?}");
        assert_eq!(probe_says(&r, options, &["cat", "/etc/shadow"]), "root:*:19000:0:99999:7:::\n", "{options:?}");
        assert_eq!(probe_says(&r, options, &["bind", "80"]), "bind ok\n", "{options:?}");
    }
}

#[test]
fn cap_add_gives_a_non_root_user_what_it_names_in_every_set() {
    let r = Rootfs::new("caps-non-root-add");
    let bind = 1 << CAP_NET_BIND_SERVICE;
    let options = ["--user", "1000", "--cap-add", "NET_BIND_SERVICE"];
    assert_eq!(sets_with(&r, &options), [RUNC_CAPS, bind, bind, bind, bind], "{options:?}");
    assert_eq!(probe_says(&r, &options, &["bind", "80"]), "bind ok\n");
    assert_eq!(probe_says(&r, &options, &["setuid0"]), "setuid EPERM\n", "only what is named");
    // Named then dropped: the last word wins, and nothing is left.
    let options = ["--user", "1000:1000", "--cap-add", "net_bind_service", "--cap-drop", "CAP_NET_BIND_SERVICE"];
    assert_eq!(sets_with(&r, &options), [RUNC_CAPS & !bind, 0, 0, 0, 0], "{options:?}");
    assert_eq!(probe_says(&r, &options, &["bind", "80"]), "bind EACCES\n");
    // A capability outside the default set goes into the bounding set too.
    let admin = 1 << CAP_SYS_ADMIN;
    let options = ["--user", "1000", "--cap-drop", "ALL", "--cap-add", "SYS_ADMIN", "--cap-add", "NET_BIND_SERVICE"];
    assert_eq!(sets_with(&r, &options), [admin | bind, admin | bind, admin | bind, admin | bind, admin | bind], "{options:?}");
    // --cap-drop alone gives a non-root user nothing either.
    assert_eq!(sets_with(&r, &["--user", "1000", "--cap-drop", "CHOWN"]), [RUNC_CAPS & !1, 0, 0, 0, 0]);
}

#[test]
fn the_inheritable_set_is_empty() {
    let r = Rootfs::new("caps-inheritable");
    assert_eq!(sets_with(&r, &[]), [RUNC_CAPS, RUNC_CAPS, RUNC_CAPS, 0, 0], "the default container");
    let admin = RUNC_CAPS | 1 << CAP_SYS_ADMIN;
    assert_eq!(sets_with(&r, &["--cap-add", "SYS_ADMIN"]), [admin, admin, admin, 0, 0], "root with --cap-add");
    assert_eq!(sets_with(&r, &["--cap-drop", "ALL"]), [0; 5]);
    // --bare --cap-add ALL: every set but the inheritable one holds them all.
    let bare = ["--bare", "--unshare", "mnt,pid", "--proc", "/proc", "--cap-add", "ALL"];
    let [bnd, prm, eff, inh, amb] = sets_with(&r, &bare);
    assert_eq!((bnd, inh, amb), (prm, 0, 0), "--bare --cap-add ALL: CapBnd CapInh CapAmb");
    assert_eq!(prm, eff);
    assert!(prm & 1 << CAP_SYS_ADMIN != 0, "--cap-add ALL keeps CAP_SYS_ADMIN: {prm:#x}");
}

#[test]
fn a_non_root_user_in_a_user_namespace_gets_no_capabilities_either() {
    let r = Rootfs::new("caps-non-root-userns");
    let maps = ["--unshare", "user", "--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536"];
    assert_eq!(sets_with(&r, &[&maps[..], &["--user", "1000"]].concat()), [RUNC_CAPS, 0, 0, 0, 0]);
    let bind = 1 << CAP_NET_BIND_SERVICE;
    let options = [&maps[..], &["--user", "1000", "--cap-add", "NET_BIND_SERVICE"]].concat();
    assert_eq!(sets_with(&r, &options), [RUNC_CAPS, bind, bind, bind, bind]);
    assert_eq!(probe_says(&r, &options, &["bind", "80"]), "bind ok\n");
}
