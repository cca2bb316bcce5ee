//! The unit-name grammar against the box's real systemd: a job whose name contains another
//! kind's infix (`-run-`, `-watch-`, `-retry-`, `-defer-`) never has its units taken for
//! another job's (the collision of piar <= 0.1's `piar-<job>-run-<id>.service` names), and the
//! run, retry and defer units of an install made by an older piar (the legacy names) are still
//! recognised after an upgrade.

use std::process::Command;
use std::time::Duration;

use crate::support::{Piar, poll_until, unique, unit_active_state};

const WAIT: Duration = Duration::from_secs(30);

/// `piar list --json`'s `state` of job `name`.
fn state(name: &str) -> Option<String> {
    let rows = Piar::new()
        .args(["list", "--json"])
        .run()
        .success()
        .json_value();
    rows.as_array()?
        .iter()
        .find(|r| r["name"] == name)
        .map(|r| r["state"].as_str().unwrap_or_default().to_string())
}

/// The newest run record of `name` (`piar history --json`).
fn last_run(name: &str) -> serde_json::Value {
    let h = Piar::new()
        .args(["history", name, "--json"])
        .run()
        .success()
        .json_value();
    h["runs"][0].clone()
}

/// The units whose names match `glob`, any state (`systemctl list-units --all`).
fn units(glob: &str) -> Vec<String> {
    let out = Command::new("systemctl")
        .args(["list-units", "--all", "--plain", "--no-legend", glob])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// Start `unit` as a transient unit with `systemd-run` (what an older piar left running).
fn systemd_run(unit: &str, args: &[&str]) {
    let out = Command::new("systemd-run")
        .arg(format!("--unit={unit}"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "systemd-run --unit={unit}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn submit(name: &str, args: &[&str]) {
    Piar::new()
        .args(["submit", "--name", name])
        .args(args)
        .run()
        .success();
}

/// The reproduction of issue 11: job `backup`'s run-unit glob matched job
/// `backup-run-nightly`'s service, so `backup` was recorded `skipped` while the other job ran,
/// and `stop`/`rm`/overlap=replace acted on the other job's units.
#[test]
fn a_job_named_like_another_jobs_run_unit_is_never_touched() {
    for infix in ["run", "watch", "retry", "defer"] {
        let base = unique("names");
        let other = format!("{base}-{infix}-nightly");
        submit(&base, &["--manual", "--", "true"]);
        submit(&other, &["--manual", "--", "sleep", "300"]);
        Piar::new().args(["run", &other]).run().success();
        poll_until("the other job to run", WAIT, || {
            (state(&other).as_deref() == Some("running")).then_some(())
        });
        assert_ne!(state(&base).as_deref(), Some("running"), "{infix}");
        // overlap=forbid (the default): base's run is not skipped for other's run.
        Piar::new().args(["run", "--wait", &base]).run().success();
        assert_eq!(last_run(&base)["status"], "succeeded", "{infix}");
        // overlap=replace: base's run does not stop other's run.
        Piar::new()
            .args(["edit", &base, "--overlap", "replace"])
            .run()
            .success();
        Piar::new().args(["run", "--wait", &base]).run().success();
        assert_eq!(last_run(&base)["status"], "succeeded", "{infix}");
        assert_eq!(state(&other).as_deref(), Some("running"), "{infix}");
        // stop and rm of base leave other's run alone.
        Piar::new().args(["stop", &base]).run().success();
        Piar::new().args(["rm", &base, "--purge"]).run().success();
        assert_eq!(state(&other).as_deref(), Some("running"), "{infix}");
        let other_run = last_run(&other);
        assert_eq!(other_run["status"], "running", "{infix}");
        let id = other_run["id"].as_str().unwrap();
        let unit = format!("piar-{other}.run-{id}.service");
        assert_eq!(unit_active_state(&unit), "active", "{infix}");
        Piar::new().args(["stop", &other]).run().success();
        assert_eq!(last_run(&other)["status"], "canceled", "{infix}");
        Piar::new().args(["rm", &other, "--purge"]).run().success();
    }
}

/// Runs, retry and defer timers started by an older piar under the legacy names
/// (`piar-<job>-run-<id>.service`, `piar-<job>-retry-<first>-<k>.timer`,
/// `piar-<job>-defer-<n>.timer`) are still the job's after an upgrade: the job shows as
/// running, overlap=forbid skips, and `rm` stops them all.
#[test]
fn units_left_by_an_older_piar_are_still_recognised() {
    let name = unique("legacy");
    submit(&name, &["--manual", "--", "true"]);
    let run = format!("piar-{name}.run-20260101-000000-abcd.service");
    let retry = format!("piar-{name}.retry-20260101-000000-abcd-2");
    let defer = format!("piar-{name}.defer-1");
    systemd_run(&run, &["sleep", "300"]);
    systemd_run(&retry, &["--on-active=1h", "true"]);
    systemd_run(&defer, &["--on-active=1h", "true"]);
    poll_until("the legacy run to be active", WAIT, || {
        (unit_active_state(&run) == "active").then_some(())
    });
    assert_eq!(state(&name).as_deref(), Some("running"));
    Piar::new().args(["run", "--wait", &name]).run().success();
    assert_eq!(last_run(&name)["status"], "skipped");
    Piar::new().args(["rm", &name, "--purge"]).run().success();
    for unit in [run, format!("{retry}.timer"), format!("{defer}.timer")] {
        poll_until(&format!("{unit} to stop"), WAIT, || {
            (unit_active_state(&unit) != "active").then_some(())
        });
    }
    assert!(
        units(&format!("piar-{name}*"))
            .iter()
            .all(|u| unit_active_state(u) != "active")
    );
}
