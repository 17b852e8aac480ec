//! OCI hooks (runtime-spec `config.md#posix-platform-hooks`): each point
//! runs where the spec says, in order, with the state on its standard
//! input and exactly its own environment; a failing hook before the
//! payload stops the start and leaves nothing behind; `poststart` and
//! `poststop` failures are warnings; a timeout kills the hook.

mod harness;

use harness::*;
use serde_json::{Value, json};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const POINTS: [&str; 6] = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];

/// A bundle around `r`'s rootfs: `config.json` from `runc spec`'s shape
/// (nsinit's own `spec`), with `process.args` and `hooks` set.
fn bundle(r: &Rootfs, args: &[&str], hooks: Value, annotations: Value) -> PathBuf {
    let dir = r.base.clone();
    let _ = fs::remove_file(dir.join("config.json"));
    let spec = nsinit(&["spec", "--bundle", dir.to_str().unwrap()]);
    assert_eq!(spec.code(), 0, "nsinit spec: {spec:?}");
    let mut config: Value = serde_json::from_str(&fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    config["process"]["args"] = json!(args);
    config["process"]["terminal"] = json!(false);
    // Hooks and payloads here leave notes in the image's /tmp.
    config["root"]["readonly"] = json!(false);
    config["hooks"] = hooks;
    config["annotations"] = annotations;
    fs::write(dir.join("config.json"), serde_json::to_string_pretty(&config).unwrap()).unwrap();
    dir
}

/// A host shell script at `path` that records, in `out`, what it got:
/// its standard input (the state), environment, arguments, and its mount
/// and pid namespaces and those of the state's `pid`.
fn recorder(path: &Path, out: &Path) {
    let script = format!(
        r#"#!/bin/sh
state=$(cat)
pid=$(printf '%s' "$state" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
{{
  printf 'STATE %s\n' "$state"
  printf 'ARGS %s\n' "$*"
  printf 'ENV %s\n' "$(env | grep -v '^PWD=\|^SHLVL=\|^_=' | sort | tr '\n' ' ')"
  printf 'MNT %s\n' "$(readlink /proc/self/ns/mnt)"
  printf 'PIDNS %s\n' "$(readlink /proc/self/ns/pid)"
  if [ -n "$pid" ]; then printf 'OF_PID %s\n' "$(readlink /proc/$pid/ns/mnt)"; fi
}} >> {out}
"#,
        out = out.display()
    );
    fs::write(path, script).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn hook(path: &Path, args: &[&str]) -> Value {
    json!({"path": path, "args": args, "env": ["PATH=/usr/bin:/bin", "HOOK_VAR=yes"]})
}

/// The records one point's hook left, as `KEY value` lines.
fn record(out: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(out).unwrap_or_else(|e| panic!("{}: no record ({e}): the hook did not run", out.display()));
    text.lines().map(|l| l.split_once(' ').map(|(k, v)| (k.to_string(), v.to_string())).unwrap_or_default()).collect()
}

fn field<'a>(rec: &'a [(String, String)], key: &str) -> &'a str {
    rec.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no {key} in {rec:?}"))
}

#[test]
fn every_point_runs_in_order_where_the_spec_says_with_the_state_and_only_its_environment() {
    let r = Rootfs::with_busybox("hooks-all");
    let host_mnt = fs::read_link("/proc/self/ns/mnt").unwrap().to_str().unwrap().to_string();
    let order = r.outside("order");
    let mut hooks = serde_json::Map::new();
    for point in POINTS {
        let script = r.outside(&format!("{point}.sh"));
        recorder(&script, &r.outside(&format!("{point}.out")));
        let mut list = vec![hook(&script, &["recorder", point, "two words"])];
        // A second hook at each point runs after the first.
        let second = r.outside(&format!("{point}-2.sh"));
        // poststart's lets the payload end: until then the state's pid is alive.
        let go = if point == "poststart" { format!("touch {}\n", r.host("/tmp/go").display()) } else { String::new() };
        fs::write(&second, format!("#!/bin/sh\necho {point} >> {}\n{go}", order.display())).unwrap();
        fs::set_permissions(&second, fs::Permissions::from_mode(0o755)).unwrap();
        list.push(json!({"path": second}));
        hooks.insert(point.to_string(), json!(list));
    }
    // startContainer runs inside the container: its program is the image's.
    fs::write(r.host("/start.sh"), "#!/bin/sh\n{ cat; echo; echo MNT $(readlink /proc/self/ns/mnt); echo ENV $(env | grep -v '^PWD=' | sort | tr '\\n' ' '); } > /tmp/start.out\n").unwrap();
    fs::set_permissions(r.host("/start.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(r.host("/start-2.sh"), "#!/bin/sh\necho startContainer >> /tmp/order\n").unwrap();
    fs::set_permissions(r.host("/start-2.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    hooks.insert("startContainer".into(), json!([hook(Path::new("/start.sh"), &["start"]), {"path": "/start-2.sh"}]));
    let dir = bundle(
        &r,
        &["/bin/sh", "-c", "readlink /proc/self/ns/mnt; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo payload >> /tmp/order"],
        Value::Object(hooks),
        json!({"org.nsinit.test": "a \"quoted\" value", "b": ""}),
    );
    let mut cmd = command(&["run", "--bundle", dir.to_str().unwrap(), "hooks-all"]);
    cmd.env("NSINIT_HOOK_LEAK", "1");
    let out = ok(run(cmd, Some(&r)));
    let payload_mnt = out.trim().to_string();
    assert_ne!(payload_mnt, host_mnt);

    // Order: each point's second hook appended its name.
    let host_order = fs::read_to_string(&order).unwrap();
    assert_eq!(host_order, "prestart\ncreateRuntime\ncreateContainer\npoststart\npoststop\n");
    assert_eq!(fs::read_to_string(r.host("/tmp/order")).unwrap(), "startContainer\npayload\n");

    let bundle_path = dir.to_str().unwrap();
    for (point, status, ns) in [
        ("prestart", "creating", &host_mnt),
        ("createRuntime", "creating", &host_mnt),
        ("createContainer", "creating", &payload_mnt),
        ("poststart", "running", &host_mnt),
        ("poststop", "stopped", &host_mnt),
    ] {
        let rec = record(&r.outside(&format!("{point}.out")));
        let state: Value = serde_json::from_str(field(&rec, "STATE")).unwrap_or_else(|e| panic!("{point}: state is not JSON: {e}: {rec:?}"));
        assert_eq!(state["ociVersion"].as_str().map(|v| v.starts_with("1.")), Some(true), "{point}: {state}");
        assert_eq!(state["id"], "hooks-all", "{point}");
        assert_eq!(state["status"], status, "{point}");
        assert_eq!(state["bundle"], bundle_path, "{point}");
        assert_eq!(state["annotations"], json!({"org.nsinit.test": "a \"quoted\" value", "b": ""}), "{point}");
        assert_eq!(field(&rec, "ARGS"), format!("{point} two words"), "{point}: argv[0] is the hook's own, then its args");
        assert_eq!(field(&rec, "ENV").trim(), "HOOK_VAR=yes PATH=/usr/bin:/bin", "{point}: exactly the hook's env");
        assert_eq!(field(&rec, "MNT"), ns, "{point}: runs in the wrong mount namespace");
        if point == "poststop" {
            assert!(state.get("pid").is_none(), "a stopped container has no pid: {state}");
        } else {
            let pid = state["pid"].as_i64().unwrap_or_else(|| panic!("{point}: no pid in {state}"));
            assert!(pid > 1, "{point}: the pid is nsinit's view of the container's process: {state}");
            if point != "createContainer" {
                assert_eq!(field(&rec, "OF_PID"), payload_mnt, "{point}: the state's pid is not the container's process");
            }
        }
    }
    let start = fs::read_to_string(r.host("/tmp/start.out")).unwrap();
    let state: Value = serde_json::from_str(start.lines().next().unwrap()).unwrap();
    assert_eq!((state["status"].as_str(), state["id"].as_str()), (Some("created"), Some("hooks-all")), "{start}");
    assert!(start.contains(&format!("MNT {payload_mnt}")), "startContainer runs in the container: {start}");
    assert!(start.contains("ENV HOOK_VAR=yes PATH=/usr/bin:/bin"), "{start}");
}

/// A hook that fails before the payload runs stops the start with its
/// exit status named; the payload never runs; `poststop` still runs
/// (the spec's "continue the lifecycle at step 12"); the host is clean.
#[test]
fn a_failing_hook_before_the_payload_stops_the_start_and_poststop_still_runs() {
    for point in ["prestart", "createRuntime", "createContainer", "startContainer"] {
        let r = Rootfs::with_busybox(&format!("hooks-fail-{point}"));
        let poststop = r.outside("poststop.sh");
        recorder(&poststop, &r.outside("poststop.out"));
        // /bin/false: the host's, or for startContainer the image's (busybox).
        let hooks = json!({point: [{"path": "/bin/false", "args": ["false"]}], "poststop": [hook(&poststop, &["p"])]});
        let dir = bundle(&r, &["/bin/sh", "-c", "echo ran > /tmp/ran"], hooks, json!({}));
        let err = fails(r.nsinit(&["run", "--bundle", dir.to_str().unwrap(), "fail"]), 125);
        assert_eq!(err.trim(), format!("nsinit: {point} hook /bin/false: exit status 1"), "{point}");
        assert!(!r.host("/tmp/ran").exists(), "{point}: the payload ran after a failed hook");
        let rec = record(&r.outside("poststop.out"));
        assert!(field(&rec, "STATE").contains(r#""status":"stopped""#), "{point}: {rec:?}");
    }
}

#[test]
fn a_hook_past_its_timeout_is_killed_and_the_start_fails() {
    let r = Rootfs::with_busybox("hooks-timeout");
    // argv[0] marks the hook's process apart from any other sleep.
    let hooks = json!({"createRuntime": [{"path": "/bin/sleep", "args": ["nsinit-test-timed-out-hook", "60"], "timeout": 1}]});
    let dir = bundle(&r, &["/bin/true"], hooks, json!({}));
    let started = Instant::now();
    let err = fails(r.nsinit(&["run", "--bundle", dir.to_str().unwrap(), "slow"]), 125);
    assert_eq!(err.trim(), "nsinit: createRuntime hook /bin/sleep: timed out after 1 s");
    assert!(started.elapsed() < Duration::from_secs(30), "the timeout did not end the wait: {:?}", started.elapsed());
    assert!(processes_named("nsinit-test-timed-out-hook").is_empty(), "the timed-out hook is still running");
}

/// A hook that does not exist: the error names the call and the errno.
#[test]
fn a_hook_that_cannot_be_run_says_why() {
    let r = Rootfs::with_busybox("hooks-missing");
    let hooks = json!({"prestart": [{"path": "/nonexistent/hook"}]});
    let dir = bundle(&r, &["/bin/true"], hooks, json!({}));
    let err = fails(r.nsinit(&["run", "--bundle", dir.to_str().unwrap(), "missing"]), 125);
    assert_eq!(err.trim(), "nsinit: prestart hook /nonexistent/hook: execve: ENOENT (No such file or directory)");
}

/// `poststart` and `poststop` failures are warnings: the container's own
/// exit status is nsinit's.
#[test]
fn poststart_and_poststop_failures_are_warnings() {
    let r = Rootfs::with_busybox("hooks-warn");
    let hooks = json!({"poststart": [{"path": "/bin/false"}], "poststop": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 7"]}]});
    let dir = bundle(&r, &["/bin/sh", "-c", "exit 3"], hooks, json!({}));
    let out = r.nsinit(&["run", "--bundle", dir.to_str().unwrap(), "warn"]);
    assert_eq!(out.code(), 3, "{out:?}");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        lines,
        ["nsinit: poststart hook /bin/false: exit status 1 (going on)", "nsinit: poststop hook /bin/sh: exit status 7 (going on)"]
    );
}

/// A hook that never reads its input, with a state far larger than a
/// pipe holds: nsinit does not block on it.
#[test]
fn a_hook_that_never_reads_a_large_state_does_not_block_the_start() {
    let r = Rootfs::with_busybox("hooks-big");
    let big: serde_json::Map<String, Value> = (0..100).map(|i| (format!("k{i}"), json!("v".repeat(3000)))).collect();
    let hooks = json!({"createRuntime": [{"path": "/bin/true"}], "poststop": [{"path": "/bin/true"}]});
    let dir = bundle(&r, &["/bin/sh", "-c", "echo fine"], hooks, Value::Object(big));
    assert_eq!(ok(r.nsinit(&["run", "--bundle", dir.to_str().unwrap(), "big"])).trim(), "fine");
}

/// Processes whose command line contains `needle`.
fn processes_named(needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmd) = fs::read(entry.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) {
                out.push(cmd);
            }
        }
    }
    out
}
