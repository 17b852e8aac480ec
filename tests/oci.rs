//! OCI bundles (issue 13): `nsinit run` against crun on the same bundle,
//! compared through what the probe sees (`probe report`), and every class
//! of bad `config.json` with its exact message.
//!
//! crun and runc are Debian's (`apt-get install crun runc`): runc for
//! `runc spec`, crun as the reference runtime. On a hybrid cgroup host
//! crun refuses to run while the cgroup2 tree at /sys/fs/cgroup/unified
//! has controllers ("cgroups in hybrid mode not supported"); it runs here
//! in a mount namespace of its own where that tree is unmounted, so that
//! it sees cgroup v1 alone, as nsinit uses it on such a host.

mod harness;
use harness::*;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::Command;
use syscalls::{Sysno, syscall};

/// A tool the differential tests need, or a failure saying what to install.
fn require(tool: &str, package: &str) {
    let found = ["/usr/bin", "/usr/sbin", "/bin", "/sbin"].iter().any(|d| Path::new(d).join(tool).exists());
    assert!(found, "these tests compare nsinit with crun on runc spec's bundles: apt-get install {package}");
}

/// `runc spec` (`--rootless`): the config every engine starts from.
fn runc_spec(rootless: bool) -> String {
    require("runc", "runc");
    let dir = tempdir("runc-spec");
    let mut cmd = Command::new("runc");
    cmd.arg("spec").arg("--bundle").arg(&dir);
    if rootless {
        cmd.arg("--rootless");
    }
    let out = cmd.output().expect("run runc spec");
    assert!(out.status.success(), "runc spec: {out:?}");
    let text = fs::read_to_string(dir.join("config.json")).expect("read runc spec's config.json");
    let _ = fs::remove_dir_all(&dir);
    text
}

fn tempdir(tag: &str) -> std::path::PathBuf {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("nsinit-oci-{}-{n}-{tag}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("make a scratch directory");
    dir
}

/// `config` with `edit` applied, a Python statement on the parsed JSON
/// `d` (python3 is what the CI has for JSON).
fn edit(config: &str, edit: &str) -> String {
    let script = format!("import json,sys\nd=json.loads(sys.stdin.read())\n{edit}\nprint(json.dumps(d, indent=1))");
    let mut child = Command::new("python3")
        .args(["-c", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (apt-get install python3)");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(config.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 edit {edit:?} failed");
    String::from_utf8(out.stdout).unwrap()
}

/// A bundle: the usual test rootfs as `rootfs`, and `config` as its
/// `config.json`.
fn bundle(tag: &str, config: &str) -> Rootfs {
    let r = Rootfs::new(tag);
    fs::write(r.base.join("config.json"), config).expect("write config.json");
    r
}

fn base(r: &Rootfs) -> &str {
    r.base.to_str().expect("UTF-8")
}

/// `nsinit run --bundle B ID`.
fn nsinit_run(r: &Rootfs, id: &str) -> Out {
    run(command(&["run", "--bundle", base(r), id]), Some(r))
}

/// `crun run --bundle B ID`, with crun's state in a directory of its own,
/// in a mount namespace where the hybrid host's cgroup2 tree is gone.
fn crun_run(r: &Rootfs, id: &str) -> Out {
    require("crun", "crun");
    let state = r.outside("crun-state");
    let script = format!(
        "if grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then umount /sys/fs/cgroup/unified || exit 99; fi; \
         exec crun --root '{}' run --bundle '{}' '{id}'",
        state.display(),
        base(r)
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["-m", "--propagation", "private", "sh", "-c", &script]);
    run(cmd, Some(r))
}

/// What the probe's report says, cut into sections and normalised to what
/// a runtime decides: the status lines about the process's privileges,
/// every limit, the OOM score, each mount as `POINT TYPE OPTIONS` (options
/// of the mount and of its filesystem, sorted; ids and sources left out),
/// names, the working directory and the environment.
fn report(out: &str) -> BTreeMap<String, Vec<String>> {
    const STATUS: [&str; 12] = [
        "Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Umask", "Seccomp_filters",
    ];
    let mut sections: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = String::new();
    for line in out.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            current = name.to_string();
            sections.entry(current.clone()).or_default();
            continue;
        }
        let keep = match current.as_str() {
            "status" => line.split_once(':').is_some_and(|(k, _)| STATUS.contains(&k)).then(|| line.split_whitespace().collect::<Vec<_>>().join(" ")),
            "mountinfo" => Some(mount_line(line)),
            _ => Some(line.to_string()),
        };
        if let Some(l) = keep {
            sections.get_mut(&current).expect("a section").push(l);
        }
    }
    if let Some(env) = sections.get_mut("env") {
        env.sort();
    }
    sections
}

/// `POINT TYPE OPTIONS` from a mountinfo line.
fn mount_line(line: &str) -> String {
    let (before, after) = line.split_once(" - ").expect("mountinfo: ' - '");
    let f: Vec<&str> = before.split(' ').collect();
    let a: Vec<&str> = after.split(' ').collect();
    let mut opts: Vec<&str> = f[5].split(',').chain(a.get(2).unwrap_or(&"").split(',')).collect();
    opts.sort();
    opts.dedup();
    // The inode numbers of a tmpfs or the device's differ from run to run.
    let opts: Vec<&str> = opts.into_iter().filter(|o| !o.starts_with("inode")).collect();
    format!("{} {} {}", f[4], a[0], opts.join(","))
}

/// Runs the bundle under both runtimes and returns their reports.
fn both(r: &Rootfs, id: &str) -> (BTreeMap<String, Vec<String>>, BTreeMap<String, Vec<String>>) {
    let theirs = crun_run(r, id);
    assert_eq!(theirs.code(), 0, "crun: {theirs:?}");
    let ours = nsinit_run(r, id);
    assert_eq!(ours.code(), 0, "nsinit: {ours:?}");
    (report(&theirs.stdout), report(&ours.stdout))
}

/// The sections the two runtimes must agree on exactly.
fn assert_same(theirs: &BTreeMap<String, Vec<String>>, ours: &BTreeMap<String, Vec<String>>, sections: &[&str], what: &str) {
    for s in sections {
        assert_eq!(ours.get(*s), theirs.get(*s), "{what}: section {s} (left nsinit, right crun)");
    }
}

const PROCESS: [&str; 8] = ["status", "limits", "oom_score_adj", "hostname", "domainname", "cwd", "args", "env"];

/// The default devices the spec wants in every container: crun makes
/// them with mknod (binds them in a user namespace, after the other
/// mounts); nsinit binds the host's, in its `/dev`, always
/// (FIXME(process/mounts): its `/dev` preset is nodev, so nodes are bound
/// where crun makes them with mknod; see
/// the_newly_wired_sections_as_crun_sets_them). Left out of the mount
/// comparison.
const DEFAULT_DEVICES: [&str; 6] = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"];

/// Mount points and their flags, checked against crun's: the same points
/// in the same order (the hierarchies under a v1 `/sys/fs/cgroup` in any
/// order; crun cannot see the hybrid host's `unified` here, see the top),
/// and each at least as locked down as crun's (`ro`, `nosuid`, `nodev`,
/// `noexec`). nsinit's mount kinds add flags the spec's options do not
/// ask for (`/proc` nosuid,nodev,noexec; `/dev` nodev; the root bind
/// nodev): FIXME(mounts branch): exactly the options given, once
/// config::Mount is general.
fn assert_mounts_match(theirs: &[String], ours: &[String], what: &str) {
    let split = |l: &String| {
        let mut w = l.splitn(3, ' ');
        (w.next().unwrap().to_string(), w.next().unwrap().to_string(), w.next().unwrap_or("").to_string())
    };
    let cgroup_v1 = |p: &str| p.starts_with("/sys/fs/cgroup/");
    let ours: Vec<_> = ours.iter().map(split).filter(|(p, _, _)| !DEFAULT_DEVICES.contains(&p.as_str()) && p != "/sys/fs/cgroup/unified").collect();
    let theirs: Vec<_> = theirs.iter().map(split).filter(|(p, _, _)| !DEFAULT_DEVICES.contains(&p.as_str())).collect();
    let order = |m: &Vec<(String, String, String)>| m.iter().filter(|(p, _, _)| !cgroup_v1(p)).map(|(p, _, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(order(&ours), order(&theirs), "{what}: the same mount points in the same order (left nsinit, right crun)");
    let hierarchies = |m: &Vec<(String, String, String)>| {
        let mut h: Vec<_> = m.iter().filter(|(p, _, _)| cgroup_v1(p)).map(|(p, t, _)| format!("{p} {t}")).collect();
        h.sort();
        h
    };
    assert_eq!(hierarchies(&ours), hierarchies(&theirs), "{what}: the same cgroup hierarchies");
    for (point, fstype, opts) in &theirs {
        let (_, our_type, our_opts) = ours.iter().find(|(p, _, _)| p == point).unwrap();
        // crun's /sys/fs/cgroup tmpfs and nsinit's differ in size and mode only.
        assert_eq!(our_type, fstype, "{what}: {point}: filesystem type");
        // A masked file is covered with /dev/null: crun binds it read-only,
        // nsinit read-write (what is written there goes nowhere).
        let masked_file = fstype == "devtmpfs" && !point.starts_with("/dev");
        for flag in ["ro", "nosuid", "nodev", "noexec"] {
            let has = |o: &str| o.split(',').any(|w| w == flag);
            if has(opts) && !(masked_file && flag == "ro") {
                assert!(has(our_opts), "{what}: {point}: crun has {flag}, nsinit not: crun {opts}, nsinit {our_opts}");
            }
        }
    }
}

/// runc spec's bundle running the probe's `report`, with `change` applied.
fn spec_bundle(tag: &str, rootless: bool, change: &str) -> Rootfs {
    let config = edit(&runc_spec(rootless), "d['process']['args'] = ['/bin/probe', 'report']; d['process']['terminal'] = False");
    bundle(tag, &edit(&config, change))
}

/// One bundle under both runtimes: the process and the mounts the same.
fn differential(tag: &str, rootless: bool, change: &str) -> BTreeMap<String, Vec<String>> {
    let r = spec_bundle(tag, rootless, change);
    let (theirs, ours) = both(&r, &format!("oci-{tag}"));
    let what = format!("{tag} ({change})");
    assert_same(&theirs, &ours, &PROCESS, &what);
    assert_mounts_match(&theirs["mountinfo"], &ours["mountinfo"], &what);
    ours
}

#[test]
fn runc_spec_bundle_as_crun_runs_it() {
    let ours = differential("spec", false, "pass");
    assert_eq!(ours["hostname"], ["runc"]);
    assert!(ours["status"].contains(&"NoNewPrivs: 1".to_string()), "{:?}", ours["status"]);
}

#[test]
fn each_process_field_as_crun_sets_it() {
    for (tag, change) in [
        ("args", "d['process']['args'] = ['/bin/probe', 'report', 'x', '', 'a b']"),
        ("env", "d['process']['env'] = ['A=1', 'B=two=2', 'PATH=/bin']"),
        ("cwd", "d['process']['cwd'] = '/tmp'"),
        ("user", "d['process']['user'] = {'uid': 1000, 'gid': 1001, 'additionalGids': [5, 6]}"),
        ("caps", "d['process']['capabilities'] = {'bounding': ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'], 'effective': ['CAP_KILL'], 'permitted': ['CAP_KILL', 'CAP_CHOWN'], 'inheritable': ['CAP_KILL'], 'ambient': ['CAP_KILL']}"),
        ("nocaps", "del d['process']['capabilities']"),
        ("rlimits", "d['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': 100, 'hard': 200}, {'type': 'RLIMIT_CORE', 'soft': 0, 'hard': 0}, {'type': 'RLIMIT_NPROC', 'soft': 50, 'hard': 60}]"),
        ("nnp", "d['process']['noNewPrivileges'] = False"),
        ("oom", "d['process']['oomScoreAdj'] = 500"),
        ("names", "d['hostname'] = 'box'; d['domainname'] = 'example.org'"),
    ] {
        differential(tag, false, change);
    }
}

#[test]
fn each_linux_field_as_crun_sets_it() {
    for (tag, change) in [
        ("ns-cgroup", "d['linux']['namespaces'].append({'type': 'cgroup'})"),
        ("ns-shared-net", "d['linux']['namespaces'] = [n for n in d['linux']['namespaces'] if n['type'] != 'network']"),
        ("masked", "d['linux']['maskedPaths'] = ['/proc/kcore', '/sys/firmware']; d['linux']['readonlyPaths'] = ['/proc/sys']"),
        ("nomask", "del d['linux']['maskedPaths']; del d['linux']['readonlyPaths']"),
        ("rw-root", "d['root']['readonly'] = False"),
        ("tmpfs", "d['mounts'].append({'destination': '/tmp', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['nosuid', 'nodev', 'size=1m', 'mode=1777']})"),
        ("bind", "d['mounts'].append({'destination': '/mnt', 'type': 'bind', 'source': '/etc', 'options': ['rbind', 'ro']})"),
        ("userns", "d['linux']['namespaces'].append({'type': 'user'}); d['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]; d['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]"),
    ] {
        differential(tag, false, change);
    }
}

#[test]
fn the_rootless_spec_as_crun_runs_it() {
    // FIXME(mounts branch): runc spec --rootless binds the host's /sys
    // with `rbind,nosuid,noexec,nodev,ro`; a bind cannot take nosuid and
    // noexec until config::Mount is general (an error today, see
    // bad_configs_name_the_field), so this bundle asks for sysfs, which
    // nsinit binds from the host itself where a new one is refused.
    differential(
        "rootless",
        true,
        "d['mounts'] = [m if m['destination'] != '/sys' else {'destination': '/sys', 'type': 'sysfs', 'source': 'sysfs', 'options': ['nosuid', 'noexec', 'nodev', 'ro']} for m in d['mounts']]",
    );
}

/// A bundle with `text` as its config.json, run from inside it (so that
/// the file is named `config.json`, as runc names it).
fn run_text(tag: &str, text: &str) -> Out {
    let r = Rootfs::new(tag);
    fs::write(r.base.join("config.json"), text).expect("write config.json");
    let mut cmd = command(&["run", "x"]);
    cmd.current_dir(&r.base);
    run(cmd, Some(&r))
}

/// runc spec's config, made to run the probe, with `change`.
fn spec_text(change: &str) -> String {
    let config = edit(&runc_spec(false), "d['process']['terminal'] = False; d['process']['args'] = ['/bin/probe', 'hostname']");
    edit(&config, change)
}

#[test]
fn bad_configs_name_the_file_the_field_and_what_is_wrong() {
    let cases: &[(&str, &str)] = &[
        ("d['linux']['resources'] = {'memory': {'limit': '1G'}}", "linux.resources.memory.limit: expected an integer"),
        ("del d['ociVersion']", "ociVersion: missing (required)"),
        ("d['ociVersion'] = '2.0.0'", "ociVersion: unsupported version (nsinit reads 1.0.0 to 1.2.x) '2.0.0'"),
        ("del d['root']['path']", "root.path: missing (required)"),
        ("del d['process']", "process: missing (required to run the container)"),
        ("d['process']['cwd'] = 'tmp'", "process.cwd: expected an absolute path 'tmp'"),
        ("d['mounts'][0]['destination'] = 'proc'", "mounts[0].destination: expected an absolute path 'proc'"),
        ("d['linux']['namespaces'].append({'type': 'pid'})", "linux.namespaces[5].type: namespace given twice 'pid'"),
        ("d['linux']['namespaces'].append({'type': 'net'})", "linux.namespaces[5].type: unknown namespace type 'net'"),
        ("d['mounts'][1]['options'][1] = 'strictatim'", "mounts[1].options[1]: unknown mount option 'strictatim'"),
        ("d['process']['capabilities']['bounding'][0] = 'CAP_FOO'", "process.capabilities.bounding[0]: unknown capability 'CAP_FOO'"),
        ("d['process']['rlimits'][0]['type'] = 'RLIMIT_FOO'", "process.rlimits[0].type: unknown rlimit 'RLIMIT_FOO'"),
        ("d['mounts'] = [{'destination': '/t', 'type': 'tmpfs'}] * 65", "mounts[64]: too many mounts (at most 64)"),
        ("d['process']['args'] = ['x'] * 257", "process.args[256]: too many words (at most 256)"),
        ("d['hostname'] = 'h' * 65", &format!("hostname: expected a name of at most 64 bytes '{}'", "h".repeat(65))),
        // Fields the spec lets a runtime lack, and those nsinit's
        // description does not hold yet: an error naming the field.
        ("d['linux']['intelRdt'] = {'closID': 'x'}", "linux.intelRdt: not supported"),
        ("d['linux']['memoryPolicy'] = {'mode': 'MPOL_BIND'}", "linux.memoryPolicy: not supported"),
        ("d['linux']['netDevices'] = {'eth0': {}}", "linux.netDevices: not supported"),
        ("d['linux']['sysctl'] = {'kernel.core_pattern': '1'}", "linux.sysctl.kernel.core_pattern: not a namespaced sysctl (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*, kernel.hostname, kernel.domainname) 'kernel.core_pattern'"),
        (
            "d['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'}]}",
            "linux.seccomp: not supported (it needs listenerPath) 'SCMP_ACT_NOTIFY'",
        ),
        ("d['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_NOTIFY'}", "linux.seccomp: not supported (it needs listenerPath) 'SCMP_ACT_NOTIFY'"),
        (
            "d['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_NOTIFY', 'listenerPath': '/run/x'}",
            "linux.seccomp: SCMP_ACT_NOTIFY cannot be the default action (nsinit hands the listener on with sendmsg)",
        ),
        ("d['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_DENY'}", "linux.seccomp: unknown seccomp action 'SCMP_ACT_DENY'"),
        ("d['linux']['namespaces'][1]['path'] = 'run/netns/x'", "linux.namespaces[1].path: expected an absolute path 'run/netns/x'"),
        ("d['linux']['resources'] = {'devices': [{'allow': False, 'access': 'rwx'}]}", "linux.resources.devices[0].access: expected r, w and m, each at most once 'rwx'"),
        ("d['process']['user']['umask'] = 512", "process.user.umask: expected permission bits, at most 0777 (511)"),
        ("d['linux']['personality'] = {'domain': 'LINUX64'}", "linux.personality.domain: expected LINUX or LINUX32 'LINUX64'"),
        ("d['linux']['timeOffsets'] = {'monotonic': {'secs': 1}}", "linux.timeOffsets: needs a new time namespace (linux.namespaces)"),
        ("d['linux']['rootfsPropagation'] = 'rslav'", "linux.rootfsPropagation: expected private, rprivate, shared, rshared, slave, rslave, unbindable or runbindable 'rslav'"),
        ("d['process']['scheduler'] = {'policy': 'SCHED_NOPE'}", "process.scheduler.policy: unknown scheduling policy 'SCHED_NOPE'"),
        ("d['process']['ioPriority'] = {'class': 'IOPRIO_CLASS_BE', 'priority': 9}", "process.ioPriority.priority: expected 0 to 7"),
        ("d['process']['execCPUAffinity'] = {'final': 'x'}", "process.execCPUAffinity.final: expected CPUs below 1024 such as 0-3,7 'x'"),
        // A bind with nosuid is honoured since the general mount, and
        // idmap since the idmapped mount; tmpcopyup is for a tmpfs.
        (
            "d['mounts'].append({'destination': '/sys2', 'type': 'none', 'source': '/sys', 'options': ['rbind', 'tmpcopyup']})",
            "mounts[7]: tmpcopyup: for a tmpfs only, not 'none'",
        ),
        // idmap: the mount's maps or the container's user namespace's,
        // both maps, a bind only.
        (
            "d['mounts'].append({'destination': '/sys2', 'type': 'none', 'source': '/sys', 'options': ['rbind', 'idmap']})",
            "mounts: idmap without the mount's uidMappings and gidMappings needs the container's (linux.uidMappings)",
        ),
        (
            "d['mounts'].append({'destination': '/d', 'type': 'bind', 'source': '/tmp', 'options': ['rbind'], 'gidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}]})",
            "mounts[7]: uidMappings and gidMappings: expected both, or neither",
        ),
        (
            "d['mounts'].append({'destination': '/d', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['ridmap'], 'uidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}], 'gidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}]})",
            "mounts[7]: idmap and ridmap are for a bind mount (bind or rbind)",
        ),
        (
            "d['mounts'].append({'destination': '/d', 'type': 'bind', 'source': '/tmp', 'options': ['rbind', 'idmap'], 'uidMappings': [{'containerID': i, 'hostID': 1000 + i, 'size': 1} for i in range(9)], 'gidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}]})",
            "mounts[7].uidMappings[8]: too many map lines (at most 8)",
        ),
    ];
    for (i, (change, want)) in cases.iter().enumerate() {
        let out = run_text(&format!("bad{i}"), &spec_text(change));
        assert_eq!(out.code(), 125, "{change}: {out:?}");
        let line = fails(out, 125);
        assert_eq!(line, format!("nsinit: config.json: {want}"), "{change}");
    }
    // Unknown fields are ignored; a field nsinit lacks but left empty is no setting.
    let out = run_text("unknown", &spec_text("d['frob'] = {'x': [1, None]}; d['linux']['mountLabel'] = ''; d['process']['frob'] = 1"));
    assert_eq!(ok(out), "runc\n");
}

#[test]
fn malformed_json_gives_line_and_column() {
    let line = fails(run_text("syntax", "{\"ociVersion\": \"1.2.0\",\n  \"root\" {}}"), 125);
    assert!(line.starts_with("nsinit: config.json:2:10: "), "{line}");
    let line = fails(run_text("empty", ""), 125);
    assert!(line.starts_with("nsinit: config.json:1:"), "{line}");
}

#[test]
fn the_file_itself_is_checked_before_it_is_parsed() {
    let r = Rootfs::new("nofile");
    let b = base(&r).to_string();
    let line = fails(run(command(&["run", "--bundle", &b, "x"]), Some(&r)), 125);
    assert_eq!(line, format!("nsinit: open {b}/config.json: ENOENT (No such file or directory)"));
    fs::create_dir(r.base.join("config.json")).unwrap();
    let line = fails(run(command(&["run", "--bundle", &b, "x"]), Some(&r)), 125);
    assert_eq!(line, format!("nsinit: {b}/config.json: not a regular file (config.json)"));
    let big = format!("{{\"a\": \"{}\"}}", "x".repeat(1024 * 1024));
    let line = fails(run_text("big", &big), 125);
    assert_eq!(line, "nsinit: config.json: config.json too large (at most 1024 KiB)");
}

#[test]
fn run_takes_runc_words_and_checks_the_id() {
    let r = spec_bundle("words", false, "d['process']['args'] = ['/bin/probe', 'hostname']");
    let b = base(&r).to_string();
    assert_eq!(ok(run(command(&["run", "-b", &b, "a.b_c+d-1"]), Some(&r))), "runc\n");
    for (words, want) in [
        (vec!["run", "--bundle", &b], "nsinit: run: no container ID given (usage: nsinit run [--bundle DIR] [--pid-file FILE] ID)"),
        (vec!["run", "--bundle", &b, "-x"], "nsinit: run: unknown option '-x' (see --help)"),
        (vec!["run", "--bundle", &b, "a", "b"], "nsinit: run: one ID only; got 'b' after it"),
        (
            vec!["run", "--bundle", &b, ".a"],
            "nsinit: run: expected an ID of 1 to 1024 bytes from [A-Za-z0-9_.+-], starting with a letter or digit; got '.a'",
        ),
    ] {
        assert_eq!(fails(run(command(&words), Some(&r)), 125), want, "{words:?}");
    }
    let long = "a".repeat(1025);
    assert!(fails(run(command(&["run", "--bundle", &b, &long]), Some(&r)), 125).contains("expected an ID of 1 to 1024 bytes"));
    // The container's exit status is nsinit's, as runc run's.
    let r = spec_bundle("status", false, "d['process']['args'] = ['/bin/probe', 'exit', '7']");
    assert_eq!(run(command(&["run", "--bundle", base(&r), "s"]), Some(&r)).code(), 7);
}

#[test]
fn pid_file_holds_the_containers_pid() {
    let r = spec_bundle("pidfile", false, "d['process']['args'] = ['/bin/probe', 'pid']; d['linux']['namespaces'] = [n for n in d['linux']['namespaces'] if n['type'] != 'pid']");
    let file = r.outside("pid");
    let out = ok(run(command(&["run", "--bundle", base(&r), "--pid-file", file.to_str().unwrap(), "p"]), Some(&r)));
    assert_eq!(fs::read_to_string(&file).unwrap(), out.trim_end(), "the PID the container has, on the host (no pid namespace)");
}

#[test]
fn bundle_on_the_command_line_and_bench() {
    let r = spec_bundle("cli", false, "d['process']['args'] = ['/bin/probe', 'hostname']");
    let b = base(&r).to_string();
    assert_eq!(ok(run(command(&["--bundle", &b]), Some(&r))), "runc\n");
    assert_eq!(ok(run(command(&["--bundle", &b, "/bin/probe", "cwd"]), Some(&r))), "/\n", "a COMMAND replaces process.args");
    let out = run(command(&["--timings", "--bundle", &b]), Some(&r));
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stderr.contains("nsinit: timing: parse"), "{out:?}");
    let out = run(command(&["bench", "-n", "3", "--bundle", &b]), Some(&r));
    assert_eq!(out.code(), 0, "{out:?}");
    assert_eq!(
        fails(run(command(&["--bundle", &b, "--hostname", "x"]), Some(&r)), 125),
        "nsinit: --bundle: the bundle's config.json describes the container; --hostname does not go with it"
    );
}

#[test]
fn spec_writes_a_config_nsinit_runs_and_never_replaces_one() {
    for rootless in [false, true] {
        let r = Rootfs::new(if rootless { "spec-rootless" } else { "spec-root" });
        let b = base(&r).to_string();
        let mut words = vec!["spec", "--bundle", &b];
        if rootless {
            words.push("--rootless");
        }
        assert_eq!(ok(nsinit(&words)), "");
        let text = fs::read_to_string(r.base.join("config.json")).unwrap();
        assert_eq!(fails(nsinit(&words), 125), format!("nsinit: spec: {b}/config.json exists already; nsinit spec does not replace it"));
        assert_eq!(fs::read_to_string(r.base.join("config.json")).unwrap(), text, "unchanged");
        let text = edit(&text, "d['process']['terminal'] = False; d['process']['args'] = ['/bin/probe', 'hostname']");
        fs::write(r.base.join("config.json"), text).unwrap();
        assert_eq!(ok(run(command(&["run", "--bundle", &b, "s"]), Some(&r))), "nsinit\n");
    }
}

/// runc spec's bundle running the probe with `args`, with `change`, under
/// both runtimes: the same output (its lines starting with `keep`, when
/// given).
fn same_output(tag: &str, change: &str, args: &[&str]) -> String {
    same_lines(tag, change, args, &[])
}

fn same_lines(tag: &str, change: &str, args: &[&str], keep: &[&str]) -> String {
    let args = args.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ");
    // A bundle each, so that neither sees what the other made.
    let make = |who: &str| spec_bundle(&format!("{tag}-{who}"), false, &format!("{change}; d['process']['args'] = ['/bin/probe', {args}]"));
    let theirs = crun_run(&make("crun"), &format!("oci-{tag}"));
    let ours = nsinit_run(&make("nsinit"), &format!("oci-{tag}"));
    let kept = |out: &str| out.lines().filter(|l| keep.is_empty() || keep.iter().any(|k| l.starts_with(k))).map(|l| format!("{l}\n")).collect::<String>();
    let (theirs_kept, ours_kept) = (kept(&theirs.stdout), kept(&ours.stdout));
    assert_eq!((ours.code(), &ours_kept), (theirs.code(), &theirs_kept), "{tag} ({change}): left nsinit {ours:?}, right crun {theirs:?}");
    ours_kept
}

#[test]
fn the_newly_wired_sections_as_crun_sets_them() {
    // The process's own: umask (status), scheduler, I/O priority, CPU affinity.
    for (tag, change) in [
        ("umask", "d['process']['user']['umask'] = 0o27"),
        ("rootfs-prop", "d['linux']['rootfsPropagation'] = 'rprivate'"),
    ] {
        differential(tag, false, change);
    }
    let out = same_lines("umask-status", "d['process']['user']['umask'] = 0o27", &["cat", "/proc/self/status"], &["Umask"]);
    assert!(out.contains("Umask:\t0027"), "{out}");
    // Debian's crun (1.8.1) predates runtime-spec 1.2's ioPriority,
    // execCPUAffinity and scheduler: the spec's behaviour, nsinit alone.
    let alone = |tag: &str, change: &str, args: &str| {
        let r = spec_bundle(tag, false, &format!("{change}; d['process']['args'] = ['/bin/probe', {args}]"));
        ok(nsinit_run(&r, &format!("oci-{tag}")))
    };
    assert_eq!(alone("ioprio", "d['process']['ioPriority'] = {'class': 'IOPRIO_CLASS_IDLE', 'priority': 0}", "'ioprio'"), "class=3 level=0\n");
    let status = alone("affinity", "d['process']['execCPUAffinity'] = {'final': '0'}", "'cat', '/proc/self/status'");
    assert!(status.contains("Cpus_allowed_list:\t0\n"), "{status}");
    let stat = alone("nice", "d['process']['scheduler'] = {'policy': 'SCHED_BATCH', 'nice': 7}", "'cat', '/proc/self/stat'");
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap().split(' ').collect();
    // After the name: state is field 3; nice 19, policy 41.
    assert_eq!((fields[17], fields[39]), ("7", "3"), "nice 7, SCHED_BATCH: {stat}");
    // The kernel's: sysctls, personality, devices.
    let out = same_output("sysctl", "d['linux']['sysctl'] = {'kernel.shmmax': '123456', 'fs.mqueue.msg_max': '33'}", &["cat", "/proc/sys/kernel/shmmax", "/proc/sys/fs/mqueue/msg_max"]);
    assert_eq!(out, "123456\n33\n");
    let out = same_output("personality", "d['linux']['personality'] = {'domain': 'LINUX32'}", &["cat", "/proc/self/personality"]);
    assert_eq!(out, "00000008\n");
    // FIXME(process/mounts): nsinit's /dev preset, which runc spec's /dev
    // tmpfs maps to, is mounted nodev (and so is the root's bind), so
    // `linux.devices` are bound from the host rather than made with mknod
    // as crun makes them: the host's node, its mode and owner (not
    // fileMode, uid, gid), and a device the host lacks is an error. Only
    // the type and numbers are compared here.
    let r = spec_bundle(
        "devices",
        false,
        "d['linux']['devices'] = [{'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229, 'fileMode': 0o640, 'uid': 0, 'gid': 5}]; \
         d['linux']['resources']['devices'].append({'allow': True, 'type': 'c', 'major': 10, 'minor': 229, 'access': 'rw'}); \
         d['process']['args'] = ['/bin/probe', 'node', '/dev/fuse']",
    );
    let node = |out: Out| ok(out).split(' ').filter(|w| w.starts_with("type=") || w.starts_with("rdev=")).collect::<Vec<_>>().join(" ");
    let (theirs, ours) = (node(crun_run(&r, "oci-devices")), node(nsinit_run(&r, "oci-devices")));
    assert_eq!((ours.as_str(), theirs.as_str()), ("type=c rdev=10:229", "type=c rdev=10:229"));
    // The device cgroup: runc spec's deny-all, and a rule allowing one more.
    // Nodes made on a tmpfs that allows devices (the root's bind is nodev
    // under nsinit, see above), with CAP_MKNOD.
    let mknod = "d['mounts'].append({'destination': '/devtest', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['mode=755']}); \
                 [d['process']['capabilities'][s].append('CAP_MKNOD') for s in ('bounding', 'effective', 'permitted')]";
    let out = same_output("devcg", mknod, &["devices", "/devtest/d"]);
    assert!(out.contains("c 1:1 mknod ok open EPERM") && out.contains("c 1:3 mknod ok open ok"), "{out}");
    let out = same_output(
        "devcg-allow",
        &format!("{mknod}; d['linux']['resources']['devices'].append({{'allow': True, 'type': 'c', 'major': 1, 'minor': 1, 'access': 'r'}})"),
        &["devices", "/devtest/d"],
    );
    assert!(out.contains("c 1:1 mknod ok open ") && !out.contains("c 1:1 mknod ok open EPERM"), "the device cgroup lets it be opened: {out}");
    // Limits: what the container's own cgroup says.
    let out = same_output("pids", "d['linux']['resources']['pids'] = {'limit': 42}; d['linux']['namespaces'].append({'type': 'cgroup'})", &["cat", "/sys/fs/cgroup/pids/pids.max"]);
    assert_eq!(out, "42\n");
    let out = same_output(
        "memory",
        "d['linux']['resources']['memory'] = {'limit': 67108864, 'reservation': 33554432}; d['linux']['namespaces'].append({'type': 'cgroup'})",
        &["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.soft_limit_in_bytes"],
    );
    assert_eq!(out, "67108864\n33554432\n");
    // Without a cgroup namespace too (Docker's and podman's containers on
    // cgroup v1): each hierarchy shows the container's own cgroup at its root.
    let out = same_output("pids-host-ns", "d['linux']['resources']['pids'] = {'limit': 42}", &["cat", "/sys/fs/cgroup/pids/pids.max"]);
    assert_eq!(out, "42\n");
    // A listed device where the container's /dev has a link (Docker's
    // --privileged lists the host's /dev/ptmx): the link stays.
    let r = spec_bundle("ptmx", false, "d['linux']['devices'] = [{'path': '/dev/ptmx', 'type': 'c', 'major': 5, 'minor': 2}]; d['process']['args'] = ['/bin/probe', 'readlink', '/dev/ptmx']");
    assert_eq!(ok(nsinit_run(&r, "oci-ptmx")), "pts/ptmx\n");
}

#[test]
fn a_read_write_cgroup_mount_binds_the_containers_own_cgroup_in_every_hierarchy() {
    // Without a cgroup namespace on v1, the cgroup mount binds the
    // container's cgroup at each hierarchy's root. nsinit places it in
    // every hierarchy (name=systemd, freezer, the hybrid host's cgroup2
    // tree...), as runc does: none of them is its caller's cgroup, the
    // host's root here, where a read-write bind would let the container
    // freeze any host cgroup or write cgroup.kill. A hierarchy it could
    // not be placed in (rootless) is bound read-only instead.
    let rw = "[m['options'].remove('ro') for m in d['mounts'] if m['type'] == 'cgroup']";
    let change = format!("{rw}; d['process']['args'] = ['/bin/probe', 'cat', '/proc/self/mountinfo']");
    let r = spec_bundle("cgroup-rw-own", false, &change);
    let out = ok(nsinit_run(&r, "oci-cgroup-rw-own"));
    let binds: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .filter(|f| f.len() > 4 && f[4].starts_with("/sys/fs/cgroup/") && f.iter().skip_while(|&&x| x != "-").nth(1).is_some_and(|t| t.starts_with("cgroup")))
        .collect();
    let hierarchies = fs::read_dir("/sys/fs/cgroup").expect("read /sys/fs/cgroup").flatten().filter(|e| !e.file_type().expect("its type").is_symlink()).count();
    assert_eq!(binds.len(), hierarchies, "a bind a hierarchy: {out}");
    for f in &binds {
        assert_ne!(f[3], "/", "{}: the host's root bound: {out}", f[4]);
        assert!(f[5].split(',').any(|o| o == "rw"), "{}: not writable, yet the container's own: {out}", f[4]);
    }
    // The container's own cgroups stay writable, as before.
    let change = format!("{rw}; d['linux']['resources']['pids'] = {{'limit': 42}}; d['process']['args'] = ['/bin/probe', 'write', '/sys/fs/cgroup/pids/pids.max', '41']");
    let r = spec_bundle("cgroup-rw-pids", false, &change);
    ok(nsinit_run(&r, "oci-cgroup-rw-pids"));
}

/// runc's `tmpcopyup`, which podman asks for its `--tmpfs` and
/// `--read-only` mounts: the image's `/bin` (the probe in it) copied into
/// the tmpfs mounted over it, the probe run from the copy, as crun does.
#[test]
fn a_tmpfs_with_tmpcopyup_has_the_images_files_as_crun_copies_them() {
    let change = "d['mounts'].append({'destination': '/bin', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['nosuid', 'tmpcopyup']})";
    let out = same_output("tmpcopyup", change, &["ls", "/bin"]);
    assert!(out.contains("probe"), "{out}");
}

#[test]
fn a_privileged_device_list_leaves_ptmx_the_link_to_the_containers_devpts() {
    // containerd's, CRI's and docker's --privileged list every device node
    // of the host's /dev, /dev/ptmx (5:2) among them: it was bound over
    // the link and failed (ELOOP). runc skips it; so does nsinit, and the
    // container's ptys stay its own.
    let r = spec_bundle(
        "ptmx",
        false,
        "d['linux']['devices'] = [{'path': '/dev/ptmx', 'type': 'c', 'major': 5, 'minor': 2}, \
                                  {'path': '/dev/null', 'type': 'c', 'major': 1, 'minor': 3}]; \
         d['linux']['resources']['devices'] = [{'allow': True, 'access': 'rwm'}]; \
         d['process']['args'] = ['/bin/probe', 'node', '/dev/ptmx']",
    );
    let out = ok(nsinit_run(&r, "oci-ptmx"));
    assert!(out.contains("type=l"), "/dev/ptmx is still the link: {out}");
}

#[test]
fn a_namespace_joined_by_path_as_crun_joins_it() {
    // The test's own uts namespace, the host's, by path: the host's name,
    // not runc spec's.
    let host = fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let out = same_output(
        "join-uts",
        &format!("d['linux']['namespaces'] = [n if n['type'] != 'uts' else {{'type': 'uts', 'path': '/proc/{}/ns/uts'}} for n in d['linux']['namespaces']]; del d['hostname']", std::process::id()),
        &["hostname"],
    );
    assert_eq!(out, host);
}

/// A default profile an engine ships, tests/data/FILE, as that engine
/// hands it to its runtime: `conversion`, Python that reads the profile
/// as `p` and sets the bundle's `linux.seccomp` (and whatever else the
/// engine sets that the profile depends on) in `d`.
fn engine_profile(file: &str, conversion: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(file);
    assert!(path.exists(), "{} (vendored with the tests)", path.display());
    format!("p = json.load(open({:?}))\n{conversion}", path.to_str().unwrap())
}

/// runc spec's bundle with `profile` (an `engine_profile`), the probe
/// making `calls` (`probe call`'s words), under crun and under nsinit: the
/// same result for each call. Then each of `want`, a call and the result
/// the profile gives it, so that the comparison compares something.
fn calls_decided_as_crun(tag: &str, profile: &str, calls: &str, want: &[(&str, &str)]) {
    let args = calls.split_whitespace().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ");
    let r = spec_bundle(tag, false, &format!("{profile}\nd['process']['args'] = ['/bin/probe', 'call', {args}]"));
    let theirs = crun_run(&r, &format!("oci-{tag}"));
    let ours = nsinit_run(&r, &format!("oci-{tag}"));
    assert_eq!((ours.code(), &ours.stdout), (theirs.code(), &theirs.stdout), "left nsinit {ours:?}, right crun {theirs:?}");
    for (call, result) in want {
        let line = ours.stdout.lines().find(|l| l.strip_prefix(call).is_some_and(|rest| rest.starts_with(' ')));
        assert_eq!(line, Some(format!("{call} {result}").as_str()), "{}", ours.stdout);
    }
}

/// Docker's conversion (moby's profiles/seccomp `setupSeccomp`) for
/// x86_64: the rules for the container's capabilities (runc spec's) and
/// this machine, `archMap`'s architectures. `minKernel` is left out: this
/// kernel is newer than any the profile names.
const DOCKER: &str = "caps = set(d['process']['capabilities']['bounding'])
# moby's setupSeccomp: a rule applies when the container has all of its
# included capabilities and arches, and none of its excluded ones.
def included(cond):
    return all(c in caps for c in cond.get('caps') or []) and (not cond.get('arches') or 'amd64' in cond['arches'])
def excluded(cond):
    return any(c in caps for c in cond.get('caps') or []) or 'amd64' in (cond.get('arches') or [])
rules = []
for r in p['syscalls']:
    if not included(r.get('includes') or {}) or excluded(r.get('excludes') or {}): continue
    rules.append({k: v for k, v in r.items() if k in ('names', 'action', 'errnoRet', 'args')})
d['linux']['seccomp'] = {'defaultAction': p['defaultAction'], 'defaultErrnoRet': p['defaultErrnoRet'], 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], 'syscalls': rules}";

#[test]
fn dockers_default_profile_decides_every_call_as_crun() {
    // Calls with and without their argument conditions: clone with and
    // without namespace flags (CLONE_THREAD alone is EINVAL from the
    // kernel once allowed), personality values Docker lets through and
    // others, socket families below, at and above AF_VSOCK, calls denied
    // outright, allowed outright, ENOSYS'd (clone3), and an i386 one.
    let calls = "clone 0x10000 , clone 0x10010000 , clone 0x20010000 , personality 0xffffffff , personality 0 , personality 8 , \
                 personality 0x20008 , personality 4 , personality 0x1000000 , socket 1 1 0 , socket 40 1 0 , socket 39 1 0 , socket 41 1 0 , \
                 socket 38 1 0 , socket 17 3 0 , mount 0 0 0 0 0 , reboot 0 , unshare 0x10000000 , clone3 0 0 , getpid , keyctl 0 , \
                 i386:20 , i386:37 0 0 , x";
    let want = [
        ("clone 0x10010000", "EPERM"),
        ("clone 0x10000", "EINVAL"),
        ("personality 4", "EPERM"),
        ("socket 40 1 0", "EPERM"),
        ("clone3 0 0", "ENOSYS"),
        ("mount 0 0 0 0 0", "EPERM"),
    ];
    calls_decided_as_crun("docker-seccomp", &engine_profile("docker-seccomp-default.json", DOCKER), calls, &want);
}

/// podman's conversion (containers/common pkg/seccomp `setupSeccomp`)
/// for x86_64, with what podman sets that the profile depends on:
/// podman's default capabilities (containers/common pkg/config
/// `DefaultCapabilities`, without CAP_AUDIT_WRITE) in every set the rules
/// are chosen by, and `noNewPrivileges` off, podman's default. A rule is
/// left out when any of its excluded capabilities is held or one of its
/// included ones is not; an errno by name (`errno`, `defaultErrno`) wins
/// over its number; `archMap`'s entry for amd64 gives the architectures.
const PODMAN: &str = "import errno
caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT']
d['process']['capabilities'] = {'bounding': caps, 'effective': caps, 'permitted': caps}
d['process']['noNewPrivileges'] = False
def errno_ret(name, number): return getattr(errno, name) if name else number
rules = []
for r in p['syscalls']:
    inc, exc = r.get('includes') or {}, r.get('excludes') or {}
    if 'amd64' in (exc.get('arches') or []) or any(c in caps for c in exc.get('caps') or []): continue
    if (inc.get('arches') and 'amd64' not in inc['arches']) or not all(c in caps for c in inc.get('caps') or []): continue
    rule = {'names': r.get('names') or [r['name']], 'action': r['action'], 'args': r.get('args') or []}
    if errno_ret(r.get('errno'), r.get('errnoRet')) is not None: rule['errnoRet'] = errno_ret(r.get('errno'), r.get('errnoRet'))
    rules.append(rule)
arch = [a for a in p['archMap'] if a['architecture'] == 'SCMP_ARCH_X86_64'][0]
d['linux']['seccomp'] = {'defaultAction': p['defaultAction'], 'defaultErrnoRet': errno_ret(p.get('defaultErrno'), p.get('defaultErrnoRet')), \
    'architectures': [arch['architecture']] + arch['subArchitectures'], 'syscalls': rules}";

#[test]
fn podmans_default_profile_decides_every_call_as_crun() {
    // Where podman decides otherwise than Docker: a call it names nowhere
    // is ENOSYS, not EPERM (statmount, which Docker allows;
    // lsm_list_modules, which neither names; personality 4); clone, clone3
    // and the mount API are allowed outright (the kernel's EINVAL, EFAULT);
    // vmsplice and futex_waitv are EPERM. setns is both allowed and, for a
    // container without CAP_SYS_ADMIN, EPERM: the first rule wins. Without
    // CAP_AUDIT_WRITE socket is allowed on conditions that do not hold
    // together (NE on the family or on the protocol), and
    // AF_NETLINK/NETLINK_AUDIT is EINVAL; with CAP_SYS_CHROOT chroot is
    // allowed. Conditions compare all 64 bits of an x86_64 argument, as
    // libseccomp's do, though the kernel reads only the low 32 of these:
    // NETLINK_AUDIT with a high bit set passes, personality 8 with one is
    // ENOSYS. i386: nice is EPERM by name, signal allowed (the kernel's
    // EINVAL), lsm_list_modules (the same number) ENOSYS; socket's
    // conditions hold for the direct call, socketcall is allowed
    // outright (the kernel's EFAULT for its NULL arguments); personality
    // as on x86_64.
    let calls = "clone 0x10000 , clone 0x10010000 , clone3 0 0 , personality 0xffffffff , personality 8 , personality 4 , \
                 personality 0x100000008 , socket 16 3 9 , socket 16 3 0 , socket 16 3 0x100000009 , socket 1 1 9 , socket 40 1 0 , \
                 setns 0xffffffff 0 , chroot 0 , vmsplice 0xffffffff 0 0 0 , futex_waitv 0 0 0 0 0 , statmount 0 0 0 0 , \
                 lsm_list_modules 0 0 0 , open_tree 0xffffffff 0 0 , kexec_load 0 0 0 0 , mount 0 0 0 0 0 , unshare 0x10000000 , getpid , \
                 i386:34 0 , i386:48 0 0 , i386:359 16 3 9 , i386:359 16 3 0 , i386:102 1 0 , i386:136 4 , i386:136 8 , i386:461 0 0 0 , \
                 i386:20 , x";
    let want = [
        ("clone 0x10010000", "EINVAL"),
        ("clone3 0 0", "EINVAL"),
        ("personality 8", "ok"),
        ("personality 4", "ENOSYS"),
        ("socket 16 3 9", "EINVAL"),
        ("socket 16 3 0", "ok"),
        ("socket 16 3 0x100000009", "ok"),
        ("personality 0x100000008", "ENOSYS"),
        ("setns 0xffffffff 0", "EBADF"),
        ("chroot 0", "EFAULT"),
        ("vmsplice 0xffffffff 0 0 0", "EPERM"),
        ("futex_waitv 0 0 0 0 0", "EPERM"),
        ("statmount 0 0 0 0", "ENOSYS"),
        ("lsm_list_modules 0 0 0", "ENOSYS"),
        ("kexec_load 0 0 0 0", "EPERM"),
        ("i386:34 0", "EPERM"),
        ("i386:48 0 0", "EINVAL"),
        ("i386:359 16 3 9", "EINVAL"),
        ("i386:102 1 0", "EFAULT"),
        ("i386:136 4", "ENOSYS"),
        ("i386:461 0 0 0", "ENOSYS"),
        ("x", "?"),
    ];
    calls_decided_as_crun("podman-seccomp", &engine_profile("podman-seccomp-default.json", PODMAN), calls, &want);
}

/// `SECCOMP_IOCTL_NOTIF_RECV` and `_SEND` (`_IOWR('!', 0 and 1, ...)`).
const SECCOMP_IOCTL_NOTIF_RECV: usize = 0xc050_2100;
const SECCOMP_IOCTL_NOTIF_SEND: usize = 0xc018_2101;

/// A seccomp agent, as runtime-spec's `listenerPath` describes one: binds
/// `path`, takes the container process state and the listener from one
/// message of the one connection, then answers a notified call for each of
/// `answers` (`(value, errno)`, in turn). Returns the state and each
/// notified call as `(number, PID)`.
fn seccomp_agent(path: &Path, answers: Vec<(i64, i32)>) -> std::thread::JoinHandle<(serde_json::Value, Vec<(i32, u32)>)> {
    let listener = UnixListener::bind(path).expect("bind the agent's socket");
    std::thread::spawn(move || {
        let (conn, _) = listener.accept().expect("accept nsinit's connection");
        let (state, fd) = receive_state(&conn);
        let calls = answers.iter().map(|&(value, errno)| answer(fd, value, errno)).collect();
        // SAFETY: no memory is passed.
        let _ = unsafe { syscall!(Sysno::close, fd) };
        (state, calls)
    })
}

/// One `recvmsg`: the state as JSON, and the descriptor that came with it.
fn receive_state(conn: &UnixStream) -> (serde_json::Value, i32) {
    #[repr(C, align(8))]
    struct Control([u8; 64]);
    let mut data = vec![0u8; 1 << 16];
    let mut control = Control([0; 64]);
    let mut iov = linux_raw_sys::general::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data.len() as _ };
    let mut msg = linux_raw_sys::net::msghdr {
        msg_name: std::ptr::null_mut(),
        msg_namelen: 0,
        msg_iov: (&mut iov as *mut linux_raw_sys::general::iovec).cast(),
        msg_iovlen: 1,
        msg_control: control.0.as_mut_ptr().cast(),
        msg_controllen: control.0.len() as _,
        msg_flags: 0,
    };
    // SAFETY: `msg` points at `iov`, `data` and `control`, which outlive the call.
    let n = unsafe { syscall!(Sysno::recvmsg, conn.as_raw_fd(), &mut msg as *mut linux_raw_sys::net::msghdr, 0) }.expect("recvmsg the state");
    let int = |at: usize| i32::from_ne_bytes(control.0[at..at + 4].try_into().unwrap());
    // struct cmsghdr: len (8 bytes), level, type, then the descriptor; SOL_SOCKET and SCM_RIGHTS are 1.
    assert!(msg.msg_controllen >= 20 && int(8) == 1 && int(12) == 1, "no descriptor came with the state");
    let text = String::from_utf8(data[..n].to_vec()).expect("UTF-8");
    (serde_json::from_str(&text).unwrap_or_else(|e| panic!("the state is one JSON document: {e}: {text}")), int(16))
}

/// Waits (20 s at most) for a notified call on the listener `fd` and
/// answers it: `errno` 0 returns `value`, a negative one lets the call run
/// (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`), another fails it with `errno`.
fn answer(fd: i32, value: i64, errno: i32) -> (i32, u32) {
    let mut p = linux_raw_sys::general::pollfd { fd, events: 1, revents: 0 };
    // SAFETY: one pollfd, ours.
    let ready = unsafe { syscall!(Sysno::poll, &mut p as *mut linux_raw_sys::general::pollfd, 1, 20_000) }.expect("poll the listener");
    assert!(ready == 1 && p.revents & 1 != 0, "no notified call in 20 s (revents {:#x})", p.revents);
    // SAFETY: all zeros is a valid seccomp_notif (plain integers).
    let mut call: linux_raw_sys::ptrace::seccomp_notif = unsafe { std::mem::zeroed() };
    // SAFETY: the kernel fills `call`, of the size the request names.
    unsafe { syscall!(Sysno::ioctl, fd, SECCOMP_IOCTL_NOTIF_RECV, &mut call as *mut linux_raw_sys::ptrace::seccomp_notif) }.expect("SECCOMP_IOCTL_NOTIF_RECV");
    let reply = match errno {
        ..0 => linux_raw_sys::ptrace::seccomp_notif_resp { id: call.id, val: 0, error: 0, flags: 1 },
        _ => linux_raw_sys::ptrace::seccomp_notif_resp { id: call.id, val: value, error: -errno, flags: 0 },
    };
    // SAFETY: the kernel reads `reply`, of the size the request names.
    unsafe { syscall!(Sysno::ioctl, fd, SECCOMP_IOCTL_NOTIF_SEND, &reply as *const linux_raw_sys::ptrace::seccomp_notif_resp) }.expect("SECCOMP_IOCTL_NOTIF_SEND");
    (call.data.nr, call.pid)
}

/// runc spec's bundle with the calls `names` notified to the agent at `socket`.
fn notify_calls(socket: &str, names: &str, args: &str) -> String {
    format!(
        "d['linux']['seccomp'] = {{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '{socket}', 'listenerMetadata': 'agent-meta', \
         'syscalls': [{{'names': {names}, 'action': 'SCMP_ACT_NOTIFY'}}]}}; d['process']['args'] = {args}"
    )
}

/// getppid, execve.
const GETPPID: i32 = 110;
const EXECVE: i32 = 59;

#[test]
fn a_seccomp_listener_gets_the_state_and_answers_the_notified_calls() {
    let dir = tempdir("agent");
    let socket = dir.join("agent.sock");
    let sock = socket.to_str().unwrap();
    // getppid answered with a value, then with an errno; the probe says
    // what it got. Then execve notified too, let run by the agent: the
    // listener reached it before the exec, which nsinit waits for. With
    // noNewPrivileges false the filter goes in before the user and
    // capabilities are set; in a user namespace nsinit attends the setup.
    let cases = [
        ("", "['getppid']", "['/bin/probe', 'ppid']", vec![(4242, 0)], "4242\n", vec![GETPPID]),
        ("", "['getppid']", "['/bin/probe', 'call', 'getppid']", vec![(0, 30)], "getppid EROFS\n", vec![GETPPID]),
        ("d['process']['noNewPrivileges'] = False", "['execve', 'getppid']", "['/bin/probe', 'ppid']", vec![(0, -1), (7, 0)], "7\n", vec![EXECVE, GETPPID]),
        ("rootless", "['execve', 'getppid']", "['/bin/probe', 'ppid']", vec![(0, -1), (8, 0)], "8\n", vec![EXECVE, GETPPID]),
    ];
    for (i, (change, names, args, answers, want, numbers)) in cases.into_iter().enumerate() {
        let rootless = change == "rootless";
        let change = format!("{}{}", if rootless { "" } else { change }, if rootless || change.is_empty() { "" } else { "; " });
        let r = spec_bundle(&format!("notify{i}"), rootless, &format!("{change}{}", notify_calls(sock, names, args)));
        let agent = seccomp_agent(&socket, answers);
        let out = nsinit_run(&r, "agent-1");
        let (state, calls) = agent.join().expect("the agent");
        assert_eq!(ok(out), want, "{names} {args}");
        let pid = state["pid"].as_u64().expect("a pid") as u32;
        let want_calls: Vec<(i32, u32)> = numbers.iter().map(|&nr| (nr, pid)).collect();
        assert_eq!(calls, want_calls, "the notified calls, made by the container's process: {state}");
        assert_eq!(state["ociVersion"], "1.2.1");
        assert_eq!(state["fds"], serde_json::json!(["seccompFd"]));
        assert_eq!(state["metadata"], "agent-meta");
        let s = &state["state"];
        assert_eq!((&s["id"], &s["status"], s["pid"].as_u64()), (&serde_json::json!("agent-1"), &serde_json::json!("creating"), Some(u64::from(pid))));
        assert_eq!(s["bundle"], base(&r));
        fs::remove_file(&socket).unwrap();
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_seccomp_listener_that_cannot_be_connected_stops_the_start() {
    let dir = tempdir("no-agent");
    let socket = dir.join("agent.sock");
    let sock = socket.to_str().unwrap();
    let r = spec_bundle("no-agent", false, &notify_calls(sock, "['getppid']", "['/bin/probe', 'ppid']"));
    assert_eq!(
        fails(nsinit_run(&r, "a"), 125),
        format!("nsinit: seccomp listener {sock}: connect: ENOENT (No such file or directory)")
    );
    // A socket file nobody listens on any more.
    drop(UnixListener::bind(&socket).unwrap());
    assert_eq!(
        fails(nsinit_run(&r, "a"), 125),
        format!("nsinit: seccomp listener {sock}: connect: ECONNREFUSED (Connection refused)")
    );
    // An agent gone once connected (a prestart hook gives it the time):
    // the container is killed before its payload runs.
    fs::remove_file(&socket).unwrap();
    let listener = UnixListener::bind(&socket).unwrap();
    let agent = std::thread::spawn(move || drop(listener.accept().expect("accept nsinit's connection")));
    let hook = "; d['hooks'] = {'prestart': [{'path': '/bin/sleep', 'args': ['sleep', '1']}]}";
    let r = spec_bundle("agent-gone", false, &(notify_calls(sock, "['getppid']", "['/bin/probe', 'ppid']") + hook));
    let out = nsinit_run(&r, "a");
    agent.join().unwrap();
    assert_eq!(fails(out, 125), format!("nsinit: seccomp listener {sock}: sendmsg: EPIPE (Broken pipe)"));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn mount_label_is_accepted_and_changes_nothing_without_selinux() {
    let selinux = fs::read_to_string("/proc/self/mountinfo").unwrap().lines().any(|l| l.contains(" - selinuxfs "));
    assert!(!selinux, "this test checks the label is ignored on a host without SELinux; this host has it");
    let tmp = "d['mounts'].append({'destination': '/tmp', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['size=1m']})";
    let label = "d['linux']['mountLabel'] = 'system_u:object_r:container_file_t:s0:c1,c2'";
    let with = report(&ok(nsinit_run(&spec_bundle("label", false, &format!("{tmp}; {label}")), "l")));
    let without = report(&ok(nsinit_run(&spec_bundle("nolabel", false, tmp), "l")));
    assert!(with["mountinfo"].iter().any(|l| l.starts_with("/tmp tmpfs")), "{:?}", with["mountinfo"]);
    assert_eq!(with["mountinfo"], without["mountinfo"]);
}

/// A host directory for idmapped binds, on the scratch directory's
/// filesystem (ext4 here; any that takes idmapped mounts): `f` owned by
/// 0:0, `g` by 1000:1000, and an empty directory `sub`.
fn idmap_source() -> std::path::PathBuf {
    use std::os::unix::fs::chown;
    let dir = tempdir("idmap-src");
    fs::create_dir(dir.join("sub")).unwrap();
    fs::write(dir.join("f"), "f").unwrap();
    fs::write(dir.join("g"), "g").unwrap();
    chown(dir.join("g"), Some(1000), Some(1000)).unwrap();
    dir
}

/// A bind of `src` on `/data` with `options` and `extra` (JSON members),
/// as a Python statement for `edit`.
fn idmapped(src: &Path, options: &str, extra: &str) -> String {
    format!("d['mounts'].append({{'destination': '/data', 'type': 'bind', 'source': '{}', 'options': [{options}] {extra}}})", src.display())
}

const OWN_MAPS: &str = ", 'uidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}], 'gidMappings': [{'containerID': 0, 'hostID': 2000, 'size': 1}]";

#[test]
fn idmapped_binds_as_crun_makes_them() {
    let src = idmap_source();
    // The mount's own maps, its ids as a user namespace's: a file stored
    // as containerID is seen as hostID; one stored as an id the maps lack
    // is the overflow id. With the options idmap, or none (the maps alone
    // make it idmap, as crun and runc read them).
    for (tag, options) in [("idmap-own", "'rbind', 'idmap'"), ("idmap-maps-alone", "'rbind'")] {
        let change = idmapped(&src, options, OWN_MAPS);
        assert_eq!(same_output(tag, &change, &["stat", "/data/f"]), "uid=1000 gid=2000\n", "{change}");
        assert_eq!(same_output(&format!("{tag}-g"), &change, &["stat", "/data/g"]), "uid=65534 gid=65534\n", "{change}");
    }
    // Without maps of its own, the container's user namespace's: its root
    // (the host's 1000) sees the image's root-owned files as its own, and
    // what it makes there is stored as root's, mapped back.
    let userns = "d['linux']['namespaces'].append({'type': 'user'}); \
                  d['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 1000, 'size': 1}]; \
                  d['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 1000, 'size': 1}]; \
                  d['mounts'] = [m for m in d['mounts'] if m['destination'] not in ('/dev/pts', '/sys', '/sys/fs/cgroup')]";
    // On the image's /tmp: the container's root may not make /data there.
    let on_tmp = |options: &str| format!("{userns}; {}", idmapped(&src, options, "").replace("'/data'", "'/tmp'"));
    let change = on_tmp("'rbind', 'idmap'");
    assert_eq!(same_output("idmap-userns", &change, &["stat", "/tmp/f"]), "uid=0 gid=0\n");
    use std::os::unix::fs::MetadataExt;
    for who in ["crun", "nsinit"] {
        let tag = format!("idmap-write-{who}");
        let r = spec_bundle(&tag, false, &format!("{change}; d['process']['args'] = ['/bin/probe', 'write', '/tmp/{who}', 'x']"));
        let out = if who == "crun" { crun_run(&r, &format!("oci-{tag}")) } else { nsinit_run(&r, &format!("oci-{tag}")) };
        assert_eq!(out.code(), 0, "{who}: {out:?}");
        let m = fs::metadata(src.join(who)).unwrap();
        assert_eq!((m.uid(), m.gid()), (0, 0), "{who}: made by the container's root, stored as the host's 0");
    }
    // The bind without idmap: the host's 1000, the container's root.
    assert_eq!(same_output("idmap-none", &on_tmp("'rbind'"), &["stat", "/tmp/g"]), "uid=0 gid=0\n");
    let _ = fs::remove_dir_all(&src);
}

/// `nsinit run` on a bundle whose idmapped source holds a submount: a
/// tmpfs with `h` on `sub`, mounted in a mount namespace of its own.
fn with_submount(r: &Rootfs, src: &Path, id: &str) -> Out {
    let script = format!(
        "mount -t tmpfs -o mode=755 tmpfs '{0}/sub' && echo h > '{0}/sub/h' && exec '{1}' run --bundle '{2}' '{id}'",
        src.display(),
        harness::NSINIT,
        base(r)
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["-m", "--propagation", "private", "sh", "-c", &script]);
    run(cmd, Some(r))
}

#[test]
fn ridmap_maps_the_submounts_idmap_only_the_top() {
    // Debian's crun (1.8.1) copies an idmapped rbind without its
    // submounts (/data/sub/h is ENOENT under it), and has no ridmap: the
    // spec's behaviour, nsinit alone. A file of the host's root in the
    // submount is seen through the maps with ridmap, as it is without
    // them with idmap; the top mount is mapped either way.
    let src = idmap_source();
    for (option, sub, mapped) in [("idmap", "uid=0 gid=0", &["/data"][..]), ("ridmap", "uid=1000 gid=2000", &["/data", "/data/sub"][..])] {
        let probe = |tag: &str, args: &str| {
            let tag = format!("{option}-{tag}");
            let change = format!("{}; d['process']['args'] = ['/bin/probe', {args}]", idmapped(&src, &format!("'rbind', '{option}'"), OWN_MAPS));
            ok(with_submount(&spec_bundle(&tag, false, &change), &src, &format!("oci-{tag}")))
        };
        let mounts = probe("mounts", "'mountinfo'");
        let idmapped: Vec<&str> = mounts.lines().filter(|l| l.contains(",idmapped")).filter_map(|l| l.split(' ').nth(4)).collect();
        assert_eq!(idmapped, mapped, "{option}: {mounts}");
        assert_eq!(probe("top", "'stat', '/data/f'"), "uid=1000 gid=2000\n", "{option}: the top mount");
        assert_eq!(probe("sub", "'stat', '/data/sub/h'"), format!("{sub}\n"), "{option}: the submount");
    }
    // A filesystem the kernel cannot idmap (procfs): its EINVAL, named
    // with the mount, before the container starts.
    let change = format!("d['mounts'].append({{'destination': '/data', 'type': 'bind', 'source': '/proc', 'options': ['rbind', 'idmap'] {OWN_MAPS}}})");
    let r = spec_bundle("idmap-proc", false, &change);
    let line = fails(nsinit_run(&r, "oci-idmap-proc"), 125);
    assert_eq!(line, "nsinit: mount_setattr /data: EINVAL (Invalid argument) (idmap: a filesystem of the tree cannot be idmapped)");
    let _ = fs::remove_dir_all(&src);
}

#[test]
fn a_read_only_tmpfs_with_tmpcopyup_is_filled_then_read_only() {
    // The copy into a tmpfs mounted read-only failed with EROFS at its
    // first entry; runc copies, then remounts it read-only.
    let change = "d['mounts'].append({'destination': '/copied', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['tmpcopyup', 'ro']})";
    let with = |tag: &str, args: &str| {
        let r = spec_bundle(tag, false, &format!("{change}; d['process']['args'] = ['/bin/probe', {args}]"));
        fs::create_dir_all(r.host("/copied/d")).unwrap();
        fs::write(r.host("/copied/d/f"), "image\n").unwrap();
        r
    };
    let r = with("copyup-ro", "'cat', '/copied/d/f'");
    assert_eq!(ok(nsinit_run(&r, "oci-copyup-ro")), "image\n");
    let r = with("copyup-ro-write", "'write', '/copied/new', 'x'");
    let out = nsinit_run(&r, "oci-copyup-ro-write");
    assert!(out.code() != 0 && format!("{}{}", out.stdout, out.stderr).contains("EROFS"), "written: {out:?}");
}

#[test]
fn tmpcopyup_copies_a_tree_as_deep_as_it_allows_with_its_links() {
    // Fifteen levels below the destination, a link at each: the copy
    // recurses once a level, on the container's small stack; the sixteenth
    // level is refused, naming the limit, never cut silently.
    let depth = |r: &Rootfs, levels: usize| {
        let mut dir = r.host("/deep");
        for level in 0..levels {
            dir = dir.join(format!("d{level}"));
            fs::create_dir_all(&dir).unwrap();
            std::os::unix::fs::symlink(format!("/target/of/link{level}"), dir.join("link")).unwrap();
        }
        dir
    };
    let change = "d['mounts'].append({'destination': '/deep', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['tmpcopyup']}); \
                  d['process']['args'] = ['/bin/probe', 'ls', '/deep/d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14']";
    let r = spec_bundle("copyup-deep", false, change);
    depth(&r, 15);
    let out = ok(nsinit_run(&r, "oci-copyup-deep"));
    assert!(out.contains("link"), "the deepest level's link: {out}");
    let r = spec_bundle("copyup-too-deep", false, change);
    depth(&r, 16);
    let err = fails(nsinit_run(&r, "oci-copyup-too-deep"), 125);
    assert!(err.contains("deeper than 16"), "{err}");
}

/// A bundle of runc spec's config running the probe with `args` (Python
/// list items), `mount` (a Python dict) added, in a cgroup of its own
/// (`cgroupsPath`, returned), with `links` (path in the image, target)
/// made in its image.
fn proc_bundle(tag: &str, links: &[(&str, &str)], mount: &str, args: &str) -> (Rootfs, String) {
    let cgroup = format!("/nsinit-oci-{}-{tag}", std::process::id());
    let change = format!("d['mounts'].append({mount}); d['linux']['cgroupsPath'] = '{cgroup}'; d['process']['args'] = ['/bin/probe', {args}]");
    let r = spec_bundle(tag, false, &change);
    for (link, target) in links {
        std::os::unix::fs::symlink(target, r.host(link)).expect("make the image's symlink");
    }
    (r, cgroup)
}

/// The directories of the cgroup `path` on any hierarchy.
fn cgroup_dirs(path: &str) -> Vec<std::path::PathBuf> {
    let rel = path.trim_start_matches('/');
    let mut dirs = vec![Path::new("/sys/fs/cgroup").join(rel)];
    for h in fs::read_dir("/sys/fs/cgroup").expect("read /sys/fs/cgroup").flatten() {
        dirs.push(h.path().join(rel));
    }
    dirs.into_iter().filter(|d| d.is_dir()).collect()
}

/// `runc run` (Debian's runc, the reference for these rules) of `r`'s
/// bundle, its state in a directory of the bundle's own, removed after.
fn runc_run(r: &Rootfs, id: &str) -> Out {
    require("runc", "runc");
    let state = r.outside("runc-state");
    let state = state.to_str().expect("UTF-8");
    let mut cmd = Command::new("runc");
    cmd.args(["--root", state, "run", "--bundle", base(r), id]);
    let out = run(cmd, Some(r));
    let _ = Command::new("runc").args(["--root", state, "delete", "--force", id]).output();
    let _ = fs::remove_dir_all(state);
    out
}

#[test]
fn a_mount_an_images_symlink_leads_into_proc_is_refused() {
    // runc's CVE-2019-19921 fix (checkProcMount): an image's symlink that
    // leads a config's mount into the container's /proc would let it hide
    // or spoof the kernel's files there (/proc/self/attr, where LSM labels
    // are written; /proc/sys). nsinit refuses it before the payload runs,
    // naming the destination and where it resolves, and leaves no state
    // and no cgroup behind.
    let tmpfs = |dst: &str| format!("{{'destination': '{dst}', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['nosuid']}}");
    let bind = |dst: &str, src: &str| format!("{{'destination': '{dst}', 'type': 'bind', 'source': '{src}', 'options': ['rbind']}}");
    let source = tempdir("proc-bind-source");
    let src = source.to_str().unwrap();
    let random: &[(&str, &str)] = &[("/x", "/proc/sys/kernel/random")];
    let attr: &[(&str, &str)] = &[("/x", "../proc/self/attr")];
    let chain: &[(&str, &str)] = &[("/d1", "/d2"), ("/d2", "proc/sys")];
    let itself: &[(&str, &str)] = &[("/x", "/proc")];
    // (tag, links, mount, destination, where it resolves, whether this
    // runc refuses it too: Debian's runc 1.1 checks binds alone, runc 1.2
    // and later every mount).
    let cases = [
        ("proc-tmpfs", random, tmpfs("/x"), "/x", "/proc/sys/kernel/random", false),
        ("proc-bind", random, bind("/x", src), "/x", "/proc/sys/kernel/random", true),
        ("proc-relative", attr, tmpfs("/x"), "/x", "/proc/1/attr", false),
        ("proc-relative-bind", attr, bind("/x", src), "/x", "/proc/1/attr", true),
        ("proc-chain", chain, tmpfs("/d1/kernel/random"), "/d1/kernel/random", "/proc/sys/kernel/random", false),
        ("proc-chain-bind", chain, bind("/d1/kernel/random", src), "/d1/kernel/random", "/proc/sys/kernel/random", true),
        ("proc-itself", itself, tmpfs("/x"), "/x", "/proc", false),
    ];
    for (tag, links, mount, dst, resolved, runc_refuses) in cases {
        let (r, cgroup) = proc_bundle(tag, links, &mount, "'hostname'");
        let state = r.outside("state");
        let id = format!("oci-{tag}");
        let out = run(command(&["--root", state.to_str().unwrap(), "run", "--bundle", base(&r), &id]), Some(&r));
        let line = fails(out, 125);
        let want = format!("nsinit: mount on {dst}: resolves inside /proc, to {resolved} (");
        assert!(line.starts_with(&want), "{tag}: {line:?}, expected it to start with {want:?}");
        let left: Vec<_> = fs::read_dir(&state).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
        assert!(left.is_empty(), "{tag}: left under --root: {left:?}");
        assert_eq!(cgroup_dirs(&cgroup), Vec::<std::path::PathBuf>::new(), "{tag}: cgroups left behind");
        if runc_refuses {
            let theirs = runc_run(&r, &id);
            assert!(theirs.code() != 0 && theirs.stderr.contains("inside /proc"), "{tag}: runc ran it: {theirs:?}");
        }
        assert!(fs::read_dir(&source).unwrap().next().is_none(), "{tag}: written through the bind");
    }
    // nsinit's own command line gets the same rule: the setup never knows
    // which front end described the container.
    let r = Rootfs::new("proc-cli");
    std::os::unix::fs::symlink("/proc/sys/kernel/random", r.host("/x")).unwrap();
    for args in [&["--tmpfs", "/x"][..], &["--bind", src, "/x"]] {
        let line = fails(r.run(&[args, &[IN_PROBE, "hostname"]].concat()), 125);
        assert!(line.starts_with("nsinit: mount on /x: resolves inside /proc, to /proc/sys/kernel/random ("), "{args:?}: {line:?}");
    }
    let _ = fs::remove_dir_all(&source);
}

#[test]
fn devices_an_images_symlink_leads_into_proc_are_refused() {
    // Without a /dev mount, the device nodes are made in the image's own
    // /dev: one that is a symlink into /proc would have the host's
    // /dev/kmsg bound on the container's /proc/kmsg (a privileged
    // container's list holds it). Refused as a mount there is, with no
    // state and no cgroup left; with a /dev of its own the same bundle runs.
    let dev_bundle = |tag: &str| {
        let cgroup = format!("/nsinit-oci-{}-{tag}", std::process::id());
        let change = format!(
            "d['mounts'] = [m for m in d['mounts'] if not m['destination'].startswith('/dev')]; \
             d['linux']['devices'] = [{{'path': '/dev/kmsg', 'type': 'c', 'major': 1, 'minor': 11, 'fileMode': 0o600}}]; \
             d['linux']['cgroupsPath'] = '{cgroup}'; d['process']['args'] = ['/bin/probe', 'hostname']"
        );
        let r = spec_bundle(tag, false, &change);
        let _ = fs::remove_dir_all(r.host("/dev"));
        let _ = fs::remove_file(r.host("/dev"));
        (r, cgroup)
    };
    for (tag, target) in [("dev-proc", "proc"), ("dev-proc-sys", "/proc/sys/kernel")] {
        let (r, cgroup) = dev_bundle(tag);
        std::os::unix::fs::symlink(target, r.host("/dev")).expect("make the image's symlink");
        let state = r.outside("state");
        let id = format!("oci-{tag}");
        let out = run(command(&["--root", state.to_str().unwrap(), "run", "--bundle", base(&r), &id]), Some(&r));
        let line = fails(out, 125);
        assert!(line.starts_with("nsinit: mount on /dev: resolves inside /proc, to /proc"), "{tag}: {line:?}");
        let left: Vec<_> = fs::read_dir(&state).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
        assert!(left.is_empty(), "{tag}: left under --root: {left:?}");
        assert_eq!(cgroup_dirs(&cgroup), Vec::<std::path::PathBuf>::new(), "{tag}: cgroups left behind");
    }
    let (r, _) = dev_bundle("dev-own");
    fs::create_dir_all(r.host("/dev")).expect("the image's /dev");
    assert_eq!(ok(nsinit_run(&r, "oci-dev-own")), "runc\n");
    // A node, or on a nodev filesystem the empty file the host's was bound on.
    let kmsg = fs::symlink_metadata(r.host("/dev/kmsg")).expect("/dev/kmsg made in the image's /dev");
    assert!(kmsg.file_type().is_file() || std::os::unix::fs::FileTypeExt::is_char_device(&kmsg.file_type()), "{kmsg:?}");
    let _ = fs::remove_file(r.host("/dev/kmsg"));
}

#[test]
fn a_bind_on_a_file_lxcfs_binds_below_proc_and_the_proc_mount_still_work() {
    // What runc lets below /proc: a bind on one of the files lxcfs binds
    // (/proc/uptime), by name or through the image's symlink; the proc
    // mount itself and the masked paths as before.
    let source = tempdir("uptime");
    let file = source.join("uptime");
    fs::write(&file, "1.00 2.00\n").unwrap();
    let bind = |dst: &str| format!("{{'destination': '{dst}', 'type': 'bind', 'source': '{}', 'options': ['bind', 'ro']}}", file.display());
    let (r, _) = proc_bundle("uptime", &[], &bind("/proc/uptime"), "'cat', '/proc/uptime'");
    assert_eq!(ok(nsinit_run(&r, "oci-uptime")), "1.00 2.00\n");
    assert_eq!(ok(runc_run(&r, "oci-uptime")), "1.00 2.00\n", "runc");
    let (r, _) = proc_bundle("uptime-link", &[("/up", "/proc/uptime")], &bind("/up"), "'cat', '/proc/uptime'");
    assert_eq!(ok(nsinit_run(&r, "oci-uptime-link")), "1.00 2.00\n");
    assert_eq!(ok(runc_run(&r, "oci-uptime-link")), "1.00 2.00\n", "runc");
    // runc spec's masked /proc/keys is still empty; its /proc a procfs.
    let (r, _) = proc_bundle("uptime-masked", &[], &bind("/proc/uptime"), "'cat', '/proc/keys'");
    assert_eq!(ok(nsinit_run(&r, "oci-uptime-masked")), "");
    let (r, _) = proc_bundle("uptime-proc", &[], &bind("/proc/uptime"), "'cat', '/proc/self/comm'");
    assert_eq!(ok(nsinit_run(&r, "oci-uptime-proc")), "probe\n");
    let _ = fs::remove_dir_all(&source);
}
