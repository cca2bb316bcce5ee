//! Run policy against the box's real systemd (system scope): overlap
//! (forbid/allow/replace) with slow jobs, retries with backoff, the default
//! timeout, resource properties, run-as, the strict sandbox, the clean
//! environment and credentials.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use crate::support::{Piar, TestUser, journal, poll_until, unique};

const WAIT: Duration = Duration::from_secs(30);

/// The run-record fields these tests read.
#[derive(Debug, Clone, Deserialize)]
struct Run {
    run_id: String,
    unit: String,
    status: String,
    started_at: String,
    finished_at: Option<String>,
    attempt: Option<u32>,
    retry_of: Option<String>,
    reason: Option<String>,
}

/// All run records of `name`, oldest first, read from the state directory.
fn runs(name: &str) -> Vec<Run> {
    let dir = PathBuf::from(format!("/var/lib/piar/runs/{name}"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|p| serde_json::from_slice(&std::fs::read(p).ok()?).ok())
        .collect()
}

/// Active run units of job `name` (`systemctl list-units`).
fn active_runs(name: &str) -> Vec<String> {
    let out = Command::new("systemctl")
        .args([
            "list-units",
            "--plain",
            "--no-legend",
            "--state=active,activating",
        ])
        .arg(format!("piar-{name}.run-*.service"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// `systemctl show -p P1 -p P2 ... UNIT` (all properties when `props` is empty).
fn show(unit: &str, props: &[&str]) -> String {
    let mut cmd = Command::new("systemctl");
    cmd.arg("show");
    for p in props {
        cmd.args(["-p", p]);
    }
    let out = cmd.arg(unit).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A shell loop that waits until `file` exists (the test's "go" signal).
fn wait_for(file: &Path) -> String {
    format!("while [ ! -e {} ]; do sleep 0.1; done", file.display())
}

fn rm(name: &str) {
    Piar::new().args(["rm", name, "--purge"]).run().success();
}

fn submit(name: &str, flags: &[&str], command: &[&str]) {
    Piar::new()
        .args(["submit", "--name", name])
        .args(flags)
        .arg("--")
        .args(command)
        .run()
        .success();
}

fn ts(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

/// A scratch directory under /var/lib (visible to every unit, not private /tmp).
fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(format!("/var/lib/piar-policy-test/{name}"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn overlap_allow_runs_in_parallel_on_the_timer() {
    let name = unique("ovl-allow");
    let dir = scratch(&name);
    let go = dir.join("go");
    submit(
        &name,
        &["--every", "1s", "--overlap", "allow"],
        &["sh", "-c", &wait_for(&go)],
    );
    // Timer elapses while earlier runs are still going start new runs: the
    // trigger service returns at once and each run is its own unit.
    poll_until("two runs active at once", WAIT, || {
        (active_runs(&name).len() >= 2).then_some(())
    });
    Piar::new().args(["pause", &name]).run().success();
    std::fs::write(&go, "").unwrap();
    poll_until("every run recorded as succeeded", WAIT, || {
        let r = runs(&name);
        (r.len() >= 2 && r.iter().all(|r| r.status == "succeeded")).then_some(())
    });
    rm(&name);
}

#[test]
fn overlap_replace_cancels_the_running_run() {
    let name = unique("ovl-repl");
    submit(
        &name,
        &["--manual", "--overlap", "replace"],
        &["sleep", "60"],
    );
    Piar::new().args(["run", &name]).run().success();
    let first = poll_until("the first run to be active", WAIT, || {
        active_runs(&name).into_iter().next()
    });
    Piar::new().args(["run", &name]).run().success();
    let rec = poll_until("the first run to be recorded canceled", WAIT, || {
        runs(&name)
            .into_iter()
            .find(|r| r.unit == first && r.status == "canceled")
    });
    let second = poll_until("the second run to be active", WAIT, || {
        active_runs(&name).into_iter().find(|u| *u != first)
    });
    let reason = rec.reason.unwrap();
    assert!(reason.contains("replaced by run"), "{reason}");
    assert!(second.contains(reason.split_whitespace().nth(3).unwrap()));
    rm(&name);
}

#[test]
fn retries_are_linked_runs_with_growing_delays() {
    let name = unique("retry");
    // The receiver is unreachable: deliveries stay in the outbox, where we
    // count them.
    submit(
        &name,
        &[
            "--manual",
            "--retries",
            "2",
            "--retry-delay",
            "1s",
            "--callback",
            "http://127.0.0.1:9/hook",
            "--callback-attempts",
            "1",
        ],
        &["sh", "-c", "exit 3"],
    );
    Piar::new().args(["run", &name]).run().success();
    let r = poll_until("three failed attempts", Duration::from_secs(60), || {
        let r = runs(&name);
        (r.len() == 3 && r.iter().all(|r| r.status == "failed")).then_some(r)
    });
    assert_eq!(r[0].attempt, None);
    assert_eq!(r[0].retry_of, None);
    for (i, rec) in r.iter().enumerate().skip(1) {
        assert_eq!(rec.attempt, Some(i as u32 + 1), "{rec:?}");
        assert_eq!(rec.retry_of.as_deref(), Some(r[0].run_id.as_str()));
    }
    let gap = |a: &Run, b: &Run| {
        ts(&b.started_at)
            .duration_since(ts(a.finished_at.as_deref().unwrap()))
            .as_secs_f64()
    };
    let (g1, g2) = (gap(&r[0], &r[1]), gap(&r[1], &r[2]));
    assert!((0.9..4.0).contains(&g1), "first delay {g1}s, expected ~1s");
    assert!((1.9..5.0).contains(&g2), "second delay {g2}s, expected ~2s");
    assert!(g2 > g1, "delays must grow: {g1}s then {g2}s");
    // The last attempt arms no further retry: its units go away, and no
    // fourth record appears.
    poll_until("no retry units left", WAIT, || {
        let left = Command::new("systemctl")
            .args(["list-units", "--all", "--plain", "--no-legend"])
            .arg(format!("piar-{name}.retry-*"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&left.stdout)
            .trim()
            .is_empty()
            .then_some(())
    });
    assert_eq!(runs(&name).len(), 3);
    // One callback, for the final attempt, saying which attempt it was.
    let deliveries = Piar::new()
        .args(["callbacks", "--json"])
        .run()
        .success()
        .json_value();
    let ours: Vec<&serde_json::Value> = deliveries
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["job"] == name.as_str())
        .collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert_eq!(ours[0]["run_id"], r[2].run_id.as_str());
    let body: serde_json::Value = serde_json::from_str(ours[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["type"], "job.failed");
    assert_eq!(body["data"]["attempt"], 3);
    assert_eq!(body["data"]["retry_of"], r[0].run_id.as_str());
    rm(&name);
}

#[test]
fn a_retry_that_succeeds_ends_the_chain() {
    let name = unique("retry-ok");
    let dir = scratch(&name);
    let script = format!(
        "if [ -e {0}/failed ]; then exit 0; fi; touch {0}/failed; exit 1",
        dir.display()
    );
    submit(
        &name,
        &["--manual", "--retries", "3", "--retry-delay", "1s"],
        &["sh", "-c", &script],
    );
    Piar::new().args(["run", &name]).run().success();
    let r = poll_until("the retry to succeed", WAIT, || {
        let r = runs(&name);
        (r.last()?.status == "succeeded").then_some(r)
    });
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(r[1].attempt, Some(2));
    rm(&name);
}

#[test]
fn resource_properties_and_default_timeout_reach_the_run_unit() {
    let name = unique("limits");
    let dir = scratch(&name);
    let go = dir.join("go");
    submit(
        &name,
        &[
            "--manual",
            "--memory-max",
            "64M",
            "--cpu-quota",
            "50%",
            "--nice",
            "5",
        ],
        &["sh", "-c", &wait_for(&go)],
    );
    Piar::new().args(["run", &name]).run().success();
    let unit = poll_until("the run to be active", WAIT, || {
        active_runs(&name).into_iter().next()
    });
    let props = show(
        &unit,
        &["MemoryMax", "CPUQuotaPerSecUSec", "Nice", "RuntimeMaxUSec"],
    );
    std::fs::write(&go, "").unwrap();
    for want in [
        "MemoryMax=67108864",
        "CPUQuotaPerSecUSec=500ms",
        "Nice=5",
        "RuntimeMaxUSec=6h",
    ] {
        assert!(props.lines().any(|l| l == want), "{want} not in:\n{props}");
    }
    let manifest = std::fs::read_to_string(format!("/var/lib/piar/jobs/{name}.toml")).unwrap();
    assert!(
        !manifest.contains("timeout"),
        "the default is not written: {manifest}"
    );
    rm(&name);

    // timeout = 0: no limit.
    let name = unique("notimeout");
    let go = scratch(&name).join("go");
    submit(
        &name,
        &["--manual", "--timeout", "0"],
        &["sh", "-c", &wait_for(&go)],
    );
    Piar::new().args(["run", &name]).run().success();
    let unit = poll_until("the run to be active", WAIT, || {
        active_runs(&name).into_iter().next()
    });
    let props = show(&unit, &["RuntimeMaxUSec"]);
    std::fs::write(&go, "").unwrap();
    assert_eq!(props.trim(), "RuntimeMaxUSec=infinity");
    rm(&name);
}

#[test]
fn bad_policy_values_name_the_field_and_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--memory-max", "lots"], "memory_max"),
        (&["--cpu-quota", "0%"], "cpu_quota"),
        (&["--nice", "-30"], "nice"),
        (&["--overlap", "sometimes"], "overlap"),
        (&["--retries", "50"], "retries"),
        (&["--retry-delay", "0s"], "retry_delay"),
        (&["--sandbox", "loose"], "sandbox"),
        (&["--run-as", "nobody-here-xyz"], "run_as"),
        (
            &["--credential", "tok=no-such-secret-xyz"],
            "credentials.tok",
        ),
    ];
    for (flags, field) in cases {
        let name = unique("badpol");
        let out = Piar::new()
            .args(["submit", "--name", &name, "--manual"])
            .args(*flags)
            .args(["--", "true"])
            .run()
            .code(2);
        let err = &out.stderr;
        assert!(err.contains(field), "{flags:?}: {err}");
        assert!(!Path::new(&format!("/var/lib/piar/jobs/{name}.toml")).exists());
    }
    // run-as and sandbox are system-scope only.
    let user = TestUser::get();
    for flags in [["--run-as", "root"], ["--sandbox", "strict"]] {
        let out = Piar::new()
            .user(Some(user))
            .args(["submit", "--name", &unique("userpol"), "--manual"])
            .args(flags)
            .args(["--", "true"])
            .run()
            .code(2);
        assert!(out.stderr.contains("system"), "{}", out.stderr);
    }
}

#[test]
fn run_as_runs_the_job_as_that_user() {
    let user = TestUser::get();
    let name = unique("runas");
    submit(
        &name,
        &["--manual", "--run-as", &user.name],
        &["sh", "-c", "echo \"whoami=$(id -un) home=$HOME\""],
    );
    Piar::new().args(["run", "--wait", &name]).run().success();
    let want = format!("whoami={} home={}", user.name, user.home.display());
    poll_until("the run's output in the journal", WAIT, || {
        journal(&["-t", &format!("piar-{name}")])
            .contains(&want)
            .then_some(())
    });
    rm(&name);
}

#[test]
fn strict_sandbox_keeps_the_system_read_only_and_the_workdir_writable() {
    let name = unique("sandbox");
    let dir = scratch(&name);
    let forbidden = format!("/usr/piar-{name}");
    let script = format!(
        "touch {forbidden} 2>/dev/null; echo usr=$?; touch ./inside; echo workdir=$?; \
         cat /proc/self/status | grep NoNewPrivs"
    );
    submit(
        &name,
        &[
            "--manual",
            "--sandbox",
            "strict",
            "--workdir",
            dir.to_str().unwrap(),
        ],
        &["sh", "-c", &script],
    );
    Piar::new().args(["run", "--wait", &name]).run().success();
    let log = poll_until("the run's output", WAIT, || {
        let j = journal(&["-t", &format!("piar-{name}")]);
        j.contains("NoNewPrivs").then_some(j)
    });
    assert!(log.contains("usr=1"), "{log}");
    assert!(log.contains("workdir=0"), "{log}");
    assert!(log.contains("NoNewPrivs:\t1"), "{log}");
    assert!(!Path::new(&forbidden).exists());
    assert!(dir.join("inside").exists());
    rm(&name);
}

/// The variable names in `env` output (`KEY=VALUE` lines).
fn env_keys(out: &str) -> BTreeSet<&str> {
    out.lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .collect()
}

/// What a run's environment holds: the documented minimal set, the
/// variable `DECLARED` every test job declares, systemd's per-run
/// variables, and `extra`.
fn run_env_with<'a>(extra: &[&'a str]) -> BTreeSet<&'a str> {
    [
        "PATH",
        "HOME",
        "LANG",
        "DECLARED",
        "PIAR_JOB",
        "PIAR_RUN",
        "PIAR_SCHEDULED_FOR",
        "INVOCATION_ID",
        "JOURNAL_STREAM",
        "SYSTEMD_EXEC_PID",
    ]
    .into_iter()
    .chain(extra.iter().copied())
    .collect()
}

#[test]
fn the_environment_holds_only_declared_variables() {
    let name = unique("env");
    let dir = scratch(&name);
    let env_file = dir.join("env");
    std::fs::write(
        &env_file,
        "# comment\nFROM_FILE=\"file value\"\nBOTH=file\n",
    )
    .unwrap();
    // Something in the manager's environment must not reach the run.
    let leak = format!("PIAR_LEAK_{}", std::process::id());
    Command::new("systemctl")
        .args(["set-environment", &format!("{leak}=1")])
        .status()
        .unwrap();
    submit(
        &name,
        &[
            "--manual",
            "--env",
            "DECLARED=yes",
            "--env",
            "BOTH=flag",
            "--env-file",
            env_file.to_str().unwrap(),
        ],
        &["env"],
    );
    Piar::new().args(["run", "--wait", &name]).run().success();
    Command::new("systemctl")
        .args(["unset-environment", &leak])
        .status()
        .unwrap();
    let rec = runs(&name).pop().unwrap();
    let out = poll_until("the run's env in the journal", WAIT, || {
        let j = journal(&[&format!("_SYSTEMD_UNIT={}", rec.unit)]);
        j.contains("PIAR_RUN=").then_some(j)
    });
    assert_eq!(
        env_keys(&out),
        run_env_with(&["BOTH", "FROM_FILE"]),
        "{out}"
    );
    assert!(out.lines().any(|l| l == "BOTH=flag"), "--env wins: {out}");
    assert!(out.lines().any(|l| l == "FROM_FILE=file value"), "{out}");
    assert!(out.lines().any(|l| l == "LANG=C.UTF-8"), "{out}");
    assert!(out.lines().any(|l| l == "HOME=/root"), "{out}");
    rm(&name);
}

#[test]
fn the_user_scope_environment_is_just_as_clean() {
    // A user manager's environment is much larger (XDG_RUNTIME_DIR,
    // DBUS_SESSION_BUS_ADDRESS, whatever a login imported): none of it leaks.
    let user = TestUser::get();
    let name = unique("uenv");
    let piar = || Piar::new().user(Some(user));
    // The run's stdout is saved as an artifact in the user's home: journald
    // tags a short-lived process's lines with its user unit only when it
    // read the cgroup in time, so the journal is not a reliable witness here.
    let saved = user.home.join(format!("env-{name}.txt"));
    let output = format!("--output={}", saved.display());
    piar()
        .args([
            "submit",
            "--name",
            &name,
            "--manual",
            "--env",
            "DECLARED=1",
            &output,
            "--",
            "env",
        ])
        .run()
        .success();
    let rec: serde_json::Value = piar()
        .args(["run", "--wait", "--json", &name])
        .run()
        .success()
        .json_value();
    assert_eq!(
        rec["output"]["artifact"],
        saved.display().to_string(),
        "{rec}"
    );
    let out = std::fs::read_to_string(&saved).unwrap();
    assert_eq!(env_keys(&out), run_env_with(&[]), "{out}");
    let home = format!("HOME={}", user.home.display());
    assert!(out.lines().any(|l| l == home), "{out}");
    piar().args(["rm", &name, "--purge"]).run().success();
}

#[test]
fn run_wait_follows_a_detached_run_to_its_end() {
    let name = unique("detached-wait");
    submit(
        &name,
        &["--manual", "--overlap", "allow"],
        &["sh", "-c", "sleep 1; exit 7"],
    );
    let rec: serde_json::Value = Piar::new()
        .args(["run", "--wait", "--json", &name])
        .run()
        .code(7)
        .json_value();
    assert_eq!(rec["status"], "failed");
    assert_eq!(rec["exit_code"], 7);
    rm(&name);
}

#[test]
fn credentials_are_readable_by_the_run_and_leak_nowhere() {
    let name = unique("cred");
    let dir = scratch(&name);
    let (got, go) = (dir.join("got"), dir.join("go"));
    let secret_name = unique("credsecret");
    let value = format!("s3cr3t-{}", std::process::id());
    Piar::new()
        .args(["secret", "set", &secret_name])
        .stdin(value.clone())
        .run()
        .success();
    let script = format!(
        "cat \"$CREDENTIALS_DIRECTORY/token\" > {}; {}",
        got.display(),
        wait_for(&go)
    );
    submit(
        &name,
        &["--manual", "--credential", &format!("token={secret_name}")],
        &["sh", "-c", &script],
    );
    Piar::new().args(["run", &name]).run().success();
    let unit = poll_until("the run to be active", WAIT, || {
        active_runs(&name).into_iter().next()
    });
    poll_until("the job to read its credential", WAIT, || {
        (std::fs::read_to_string(&got).ok()? == value).then_some(())
    });
    let all = show(&unit, &[]);
    std::fs::write(&go, "").unwrap();
    assert!(
        !all.contains(&value),
        "the value is a unit property:\n{all}"
    );
    assert!(all.contains("Environment="), "{all}");
    let manifest = std::fs::read_to_string(format!("/var/lib/piar/jobs/{name}.toml")).unwrap();
    assert!(!manifest.contains(&value));
    for u in [format!("piar-{name}.service"), format!("piar-{name}.timer")] {
        let text =
            std::fs::read_to_string(Path::new("/etc/systemd/system").join(u)).unwrap_or_default();
        assert!(!text.contains(&value));
    }
    poll_until("the run to finish", WAIT, || {
        (runs(&name).pop()?.status == "succeeded").then_some(())
    });
    assert!(!journal(&["-u", &unit]).contains(&value));
    assert!(!journal(&["-t", &format!("piar-{name}")]).contains(&value));
    rm(&name);
    Piar::new()
        .args(["secret", "rm", &secret_name])
        .run()
        .success();
}

#[test]
fn rm_stops_a_pending_retry() {
    let name = unique("retry-rm");
    submit(
        &name,
        &["--manual", "--retries", "1", "--retry-delay", "1h"],
        &["false"],
    );
    // `run --wait` would follow the retry (an hour away): start and let it fail.
    Piar::new().args(["run", &name]).run().success();
    let timers = || {
        let out = Command::new("systemctl")
            .args(["list-units", "--all", "--plain", "--no-legend"])
            .arg(format!("piar-{name}.retry-*.timer"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let armed = poll_until("the retry timer", WAIT, || {
        let t = timers();
        (!t.is_empty()).then_some(t)
    });
    assert!(armed.contains("-2.timer"), "{armed}");
    rm(&name);
    poll_until("the retry timer to be gone", WAIT, || {
        timers().is_empty().then_some(())
    });
}

/// Active manual trigger units of job `name` (`piar run` starts one each).
fn manual_units(name: &str) -> Vec<String> {
    let out = Command::new("systemctl")
        .args(["list-units", "--all", "--plain", "--no-legend"])
        .arg(format!("piar-{name}.manual-*.service"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// Issue 13: two `piar run` back to back, while the first one's trigger is
/// still busy, must give two triggers. Each `piar run` starts a unit of its
/// own, so no start job can merge into the previous one (before, the second
/// start of `piar-<job>.service` merged: nothing ran, nothing was recorded,
/// and `replace` never replaced).
#[test]
fn back_to_back_runs_replace_the_first() {
    let name = unique("ovl-b2b");
    submit(
        &name,
        &["--manual", "--overlap", "replace"],
        &["sleep", "60"],
    );
    Piar::new().args(["run", &name]).run().success();
    Piar::new().args(["run", &name]).run().success();
    let (first, second) = poll_until("one canceled run and one active run", WAIT, || {
        let r = runs(&name);
        let canceled = r.iter().find(|r| r.status == "canceled")?.clone();
        let active = active_runs(&name);
        let second = r
            .iter()
            .find(|r| r.status == "running" && active.contains(&r.unit))?
            .clone();
        Some((canceled, second))
    });
    let reason = first.reason.unwrap();
    assert!(
        reason.contains(&format!("replaced by run {}", second.run_id)),
        "{reason}"
    );
    assert_eq!(runs(&name).len(), 2, "{:?}", runs(&name));
    rm(&name);
    poll_until("no manual trigger units left", WAIT, || {
        manual_units(&name).is_empty().then_some(())
    });
}

/// Issue 13: `piar run` of a forbid job whose run is in progress starts a
/// trigger that records the new run as `skipped`; `run --wait` reports that
/// skipped run (exit 0) instead of failing with "wrote no run record".
#[test]
fn run_wait_while_a_forbid_run_is_active_reports_the_skipped_run() {
    let name = unique("ovl-fbw");
    let dir = scratch(&name);
    let go = dir.join("go");
    submit(
        &name,
        &["--manual", "--overlap", "forbid"],
        &["sh", "-c", &wait_for(&go)],
    );
    // Straight after the first start: its trigger is still setting up or
    // waiting for its run; either way this start must get its own answer.
    // Which of the two triggers takes the job's lock first is up to the
    // scheduler: one runs, the other is skipped.
    Piar::new().args(["run", &name]).run().success();
    let waiting = {
        let name = name.clone();
        std::thread::spawn(move || {
            Piar::new()
                .args(["run", "--wait", "--json", &name])
                .timeout(Duration::from_secs(60))
                .run()
        })
    };
    let skipped = poll_until("one run skipped", WAIT, || {
        runs(&name).into_iter().find(|r| r.status == "skipped")
    });
    std::fs::write(&go, "").unwrap();
    let out = waiting.join().unwrap().success();
    let rec: serde_json::Value = out.json_value();
    let r = poll_until("the other run to succeed", WAIT, || {
        let r = runs(&name);
        r.iter().any(|r| r.status == "succeeded").then_some(r)
    });
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(
        r.iter().any(|r| r.run_id == rec["id"]),
        "run --wait printed {rec}, not one of {r:?}"
    );
    if rec["status"] == "skipped" {
        assert_eq!(rec["id"], skipped.run_id.as_str());
        assert!(
            rec["error"]
                .as_str()
                .is_some_and(|e| e.contains("overlap policy: forbid")),
            "{rec}"
        );
    } else {
        assert_eq!(rec["status"], "succeeded", "{rec}");
    }
    std::fs::remove_file(&go).unwrap();
    // A plain `piar run` while a run is active is recorded as skipped too.
    Piar::new().args(["run", &name]).run().success();
    poll_until("the third run to be active", WAIT, || {
        active_runs(&name).into_iter().next()
    });
    Piar::new().args(["run", &name]).run().success();
    poll_until("a second skipped run", WAIT, || {
        let r = runs(&name);
        (r.iter().filter(|r| r.status == "skipped").count() == 2).then_some(())
    });
    std::fs::write(&go, "").unwrap();
    let r = poll_until("the third run to succeed", WAIT, || {
        let r = runs(&name);
        (r.iter().filter(|r| r.status == "succeeded").count() == 2).then_some(r)
    });
    assert_eq!(r.len(), 4, "{r:?}");
    rm(&name);
}
