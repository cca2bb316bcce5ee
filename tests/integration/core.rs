//! The core flow against the box's real systemd, system scope: submit ->
//! units -> timer fires -> transient run -> journal + run record; run --wait,
//! timeouts, pause/resume/rm, errors and rollback.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::support::{Piar, journal, parse_systemd_utc, poll_until, systemd_analyze_next, unique};

/// Mirror of one `piar list --json` row: unknown fields fail the test, so the
/// JSON shape cannot drift unnoticed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ListRow {
    name: String,
    schedule: String,
    kind: String,
    schedule_description: String,
    next_run: Option<String>,
    last_run: Option<serde_json::Value>,
    state: String,
    description: String,
    scope: String,
    enabled: bool,
    metadata: serde_json::Map<String, serde_json::Value>,
    idempotency_key: Option<String>,
}

/// Mirror of a run record (`run --wait --json`, `show --json` last_runs).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Run {
    #[serde(rename = "id")]
    run_id: String,
    job: String,
    status: String,
    attempt: u32,
    retry_of: Option<String>,
    trigger: String,
    scheduled_for: Option<String>,
    started_at: String,
    finished_at: Option<String>,
    duration_ms: Option<u64>,
    exit_code: Option<i32>,
    signal: Option<String>,
    /// systemd's Result of the run unit.
    #[serde(rename = "systemd_result")]
    result: Option<String>,
    unit: String,
    invocation_id: Option<String>,
    command: Vec<String>,
    error: Option<String>,
    reason: Option<String>,
    output: serde_json::Value,
    metadata: serde_json::Value,
}

const WAIT: Duration = Duration::from_secs(30);

fn list_row(name: &str) -> Option<ListRow> {
    let rows: Vec<ListRow> = Piar::new().args(["list", "--json"]).run().success().json();
    rows.into_iter().find(|r| r.name == name)
}

fn runs(name: &str) -> Vec<Run> {
    let v = Piar::new()
        .args(["show", name, "--json"])
        .run()
        .success()
        .json_value();
    serde_json::from_value(v["last_runs"].clone()).expect("last_runs is a list of run records")
}

fn unit_dir() -> &'static Path {
    Path::new("/etc/systemd/system")
}

fn rm(name: &str) {
    Piar::new().args(["rm", name, "--purge"]).run().success();
}

#[test]
fn every_job_fires_and_is_recorded_and_logged() {
    let name = unique("every");
    let marker = format!("marker-{name}");
    Piar::new()
        .args(["submit", "--name", &name, "--every", "2s", "--", "sh", "-c"])
        .arg(format!("echo {marker}"))
        .run()
        .success();
    // The timer fired: a run record exists and it succeeded.
    let run = poll_until("a succeeded run", WAIT, || {
        runs(&name).into_iter().find(|r| r.status == "succeeded")
    });
    assert_eq!(run.exit_code, Some(0));
    assert_eq!(run.result.as_deref(), Some("success"));
    assert_eq!(run.unit, format!("piar-{name}.run-{}.service", run.run_id));
    assert_eq!(run.invocation_id.as_deref().map(str::len), Some(32));
    // Its output is in the journal, under the identifier and the PIAR_* fields.
    let ident = format!("piar-{name}");
    poll_until("the marker in the journal", WAIT, || {
        journal(&["-t", &ident]).contains(&marker).then_some(())
    });
    let by_run = journal(&[&format!("PIAR_RUN={}", run.run_id)]);
    assert!(by_run.contains(&marker), "PIAR_RUN match: {by_run}");
    // `piar logs` finds it too.
    let logs = Piar::new().args(["logs", &name]).run().success();
    assert!(logs.stdout.contains(&marker), "piar logs: {}", logs.stdout);
    // list shows LAST and RESULT.
    let row = list_row(&name).expect("job listed");
    assert!(row.last_run.is_some(), "{row:?}");
    assert_eq!(row.kind, "every");
    assert!(
        row.last_run
            .as_ref()
            .is_some_and(|r| r["status"].is_string())
    );
    assert!(
        matches!(row.state.as_str(), "waiting" | "running"),
        "{row:?}"
    );
    // It keeps firing: a second run appears.
    poll_until("a second run", WAIT, || {
        (runs(&name).len() >= 2).then_some(())
    });
    rm(&name);
}

#[test]
fn at_job_fires_once_at_its_time() {
    let name = unique("at");
    let out = Piar::new()
        .args([
            "submit", "--name", &name, "--at", "+3s", "--json", "--", "true",
        ])
        .run()
        .success()
        .json_value();
    let next: jiff::Timestamp = out["next_run"]
        .as_str()
        .expect("next_run set")
        .parse()
        .unwrap();
    let run = poll_until("the one-shot run to finish", WAIT, || {
        runs(&name).into_iter().find(|r| r.status != "running")
    });
    assert_eq!(run.status, "succeeded");
    // Second precision, never early.
    let started: jiff::Timestamp = run.started_at.parse().unwrap();
    assert!(started >= next, "started {started} before {next}");
    assert!(
        started.duration_since(next) < jiff::SignedDuration::from_secs(3),
        "started {started}, scheduled {next}"
    );
    // A one-shot job ends as `completed` and stays listed until `rm`.
    poll_until("state completed", WAIT, || {
        (list_row(&name)?.state == "completed").then_some(())
    });
    rm(&name);
}

#[test]
fn cron_next_run_matches_systemd_for_the_same_schedule() {
    let name = unique("cron");
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--cron",
            "*/7 3 * * 1-5",
            "--tz",
            "Europe/Berlin",
            "--",
            "true",
        ])
        .run()
        .success();
    let row = list_row(&name).expect("listed");
    // The same schedule written by hand in systemd's own syntax.
    let expected = systemd_analyze_next(
        &["Mon..Fri *-*-* 03:00/7:00 Europe/Berlin".to_string()],
        None,
    );
    let next: jiff::Timestamp = row.next_run.expect("next_run").parse().unwrap();
    assert_eq!(next, parse_systemd_utc(&expected), "{}", row.schedule);
    assert_eq!(row.state, "waiting");
    assert_eq!(
        row.schedule_description,
        "Every 7 minutes, between 03:00 and 03:59, Monday through Friday (Europe/Berlin)"
    );
    let table = Piar::new().args(["list"]).run().success().stdout;
    assert!(table.contains("Every 7 minutes, between 03:00"), "{table}");
    rm(&name);

    // Day-of-month OR day-of-week: "0 12 13 * 5" is the 13th or any Friday.
    let name = unique("cron-or");
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--cron",
            "0 12 13 * 5",
            "--tz",
            "UTC",
            "--",
            "true",
        ])
        .run()
        .success();
    let row = list_row(&name).expect("listed");
    let expected = systemd_analyze_next(
        &[
            "*-*-13 12:00:00 UTC".to_string(),
            "Fri *-*-* 12:00:00 UTC".to_string(),
        ],
        None,
    );
    let next: jiff::Timestamp = row.next_run.expect("next_run").parse().unwrap();
    assert_eq!(next, parse_systemd_utc(&expected));
    assert_eq!(
        row.schedule_description,
        "At 12:00 on day 13 of the month, or on Friday"
    );
    let show = Piar::new().args(["show", &name]).run().success().stdout;
    assert!(
        show.contains("when:        At 12:00 on day 13 of the month, or on Friday"),
        "{show}"
    );
    let timer = std::fs::read_to_string(unit_dir().join(format!("piar-{name}.timer"))).unwrap();
    assert_eq!(timer.matches("OnCalendar=").count(), 2, "{timer}");
    rm(&name);
}

#[test]
fn run_wait_passes_the_exit_code_and_signals_through() {
    let name = unique("exit");
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--manual",
            "--",
            "sh",
            "-c",
            "echo out; exit 7",
        ])
        .run()
        .success();
    let out = Piar::new().args(["run", "--wait", &name]).run().code(7);
    assert!(out.stdout.contains("failed"), "{}", out.stdout);
    let rec: Run = Piar::new()
        .args(["run", "--wait", "--json", &name])
        .run()
        .code(7)
        .json();
    assert_eq!(rec.status, "failed");
    assert_eq!(rec.exit_code, Some(7));
    assert_eq!(rec.result.as_deref(), Some("exit-code"));
    rm(&name);

    let name = unique("sig");
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--manual",
            "--",
            "sh",
            "-c",
            "kill -KILL $$",
        ])
        .run()
        .success();
    let rec: Run = Piar::new()
        .args(["run", "--wait", "--json", &name])
        .run()
        .code(128 + 9)
        .json();
    assert_eq!(rec.signal.as_deref(), Some("SIGKILL"));
    assert_eq!(rec.result.as_deref(), Some("signal"));
    rm(&name);

    let name = unique("ok");
    Piar::new()
        .args(["submit", "--name", &name, "--manual", "--", "true"])
        .run()
        .success();
    let rec: Run = Piar::new()
        .args(["run", "--wait", "--json", &name])
        .run()
        .success()
        .json();
    assert_eq!(rec.status, "succeeded");
    // The transient unit was garbage-collected: nothing failed stays behind.
    let failed = std::process::Command::new("systemctl")
        .args([
            "list-units",
            "--failed",
            "--plain",
            "--no-legend",
            &format!("piar-{name}.run-*"),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&failed.stdout).trim().is_empty());
    rm(&name);
}

#[test]
fn timeout_ends_as_timed_out() {
    let name = unique("timeout");
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--manual",
            "--timeout",
            "1s",
            "--",
            "sleep",
            "60",
        ])
        .run()
        .success();
    let rec: Run = Piar::new()
        .args(["run", "--wait", "--json", &name])
        .run()
        .code(124)
        .json();
    assert_eq!(rec.status, "timed_out");
    assert_eq!(rec.result.as_deref(), Some("timeout"));
    assert!(rec.duration_ms.unwrap() < 30_000, "{rec:?}");
    rm(&name);
}

#[test]
fn pause_resume_rm_leave_exactly_the_expected_units() {
    let name = unique("life");
    let service = unit_dir().join(format!("piar-{name}.service"));
    let timer = unit_dir().join(format!("piar-{name}.timer"));
    let link = unit_dir().join(format!("timers.target.wants/piar-{name}.timer"));
    let manifest = format!("/var/lib/piar/jobs/{name}.toml");
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--cron",
            "0 4 * * *",
            "--",
            "true",
        ])
        .run()
        .success();
    assert!(service.exists() && timer.exists() && link.symlink_metadata().is_ok());
    assert_eq!(list_row(&name).unwrap().state, "waiting");

    Piar::new().args(["pause", &name]).run().success();
    assert!(service.exists() && timer.exists());
    assert!(
        link.symlink_metadata().is_err(),
        "paused timer still enabled"
    );
    let row = list_row(&name).unwrap();
    assert_eq!(row.state, "paused");
    assert_eq!(row.next_run, None);
    assert!(
        std::fs::read_to_string(&manifest)
            .unwrap()
            .contains("enabled = false")
    );
    assert_eq!(timer_active(&name), "inactive");

    Piar::new().args(["resume", &name]).run().success();
    assert!(link.symlink_metadata().is_ok());
    assert_eq!(timer_active(&name), "active");
    assert!(list_row(&name).unwrap().next_run.is_some());

    // Keep a run record, then rm without --purge keeps it.
    Piar::new().args(["run", "--wait", &name]).run().success();
    Piar::new().args(["rm", &name]).run().success();
    assert!(!service.exists() && !timer.exists() && link.symlink_metadata().is_err());
    assert!(!Path::new(&manifest).exists());
    assert!(Path::new(&format!("/var/lib/piar/runs/{name}")).exists());
    assert!(list_row(&name).is_none());
    Piar::new().args(["rm", &name]).run().code(3);
    std::fs::remove_dir_all(format!("/var/lib/piar/runs/{name}")).unwrap();
}

fn timer_active(name: &str) -> String {
    let out = std::process::Command::new("systemctl")
        .args(["is-active", &format!("piar-{name}.timer")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn hostile_arguments_reach_the_job_verbatim() {
    let name = unique("verbatim");
    let words = ["$HOME", "${PATH}", "%n %h %%", "a\"b'c\\d", "two words"];
    let mut args = vec![
        "submit", "--name", &name, "--manual", "--", "printf", "[%s]\\n",
    ];
    args.extend(words);
    Piar::new().args(&args).run().success();
    Piar::new().args(["run", "--wait", &name]).run().success();
    let out = journal(&["-t", &format!("piar-{name}")]);
    for w in words {
        assert!(
            out.contains(&format!("[{w}]")),
            "{w:?} not verbatim in:\n{out}"
        );
    }
    // Description with a newline would add a directive: rejected, nothing written.
    let bad = unique("badesc");
    let res = Piar::new()
        .args([
            "submit",
            "--name",
            &bad,
            "--manual",
            "--description",
            "x\nExecStartPre=/bin/false",
            "--",
            "true",
        ])
        .run()
        .code(2);
    assert!(res.stderr.contains("description"), "{}", res.stderr);
    assert!(!unit_dir().join(format!("piar-{bad}.service")).exists());
    assert!(!Path::new(&format!("/var/lib/piar/jobs/{bad}.toml")).exists());
    rm(&name);
}

#[test]
fn errors_have_documented_codes_and_leave_nothing_behind() {
    // Unknown job: 3, with a JSON error object on stderr under --json.
    let out = Piar::new()
        .args(["show", "no-such-job", "--json"])
        .run()
        .code(3);
    let err: serde_json::Value = serde_json::from_str(out.stderr.trim()).expect("JSON error");
    assert_eq!(err["error"]["code"], "not_found");
    assert_eq!(err["error"]["exit_code"], 3);
    assert!(out.stdout.is_empty());
    // Bad names, bad cron fields: 2, naming the problem.
    Piar::new()
        .args(["submit", "--name", "Bad_Name", "--manual", "--", "true"])
        .run()
        .code(2);
    let out = Piar::new()
        .args([
            "submit",
            "--name",
            &unique("badcron"),
            "--cron",
            "0 24 * * *",
            "--",
            "true",
        ])
        .run()
        .code(2);
    assert!(out.stderr.contains("hour"), "{}", out.stderr);
    // An OnCalendar spec systemd rejects: 2, and no manifest or unit left.
    let name = unique("badcal");
    let out = Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--on-calendar",
            "Funday 25:00",
            "--",
            "true",
        ])
        .run()
        .code(2);
    assert!(out.stderr.contains("Funday"), "{}", out.stderr);
    assert!(!unit_dir().join(format!("piar-{name}.timer")).exists());
    assert!(!unit_dir().join(format!("piar-{name}.service")).exists());
    assert!(!Path::new(&format!("/var/lib/piar/jobs/{name}.toml")).exists());
    // A name that exists: 4; --replace changes it and keeps one job.
    let name = unique("dup");
    Piar::new()
        .args(["submit", "--name", &name, "--manual", "--", "true"])
        .run()
        .success();
    Piar::new()
        .args(["submit", "--name", &name, "--manual", "--", "true"])
        .run()
        .code(4);
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--replace",
            "--cron",
            "@daily",
            "--",
            "true",
        ])
        .run()
        .success();
    assert_eq!(list_row(&name).unwrap().kind, "cron");
    assert!(unit_dir().join(format!("piar-{name}.timer")).exists());
    // Replace back to manual removes the timer.
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--replace",
            "--manual",
            "--",
            "true",
        ])
        .run()
        .success();
    assert!(!unit_dir().join(format!("piar-{name}.timer")).exists());
    rm(&name);
    // A past --at: 2.
    Piar::new()
        .args([
            "submit",
            "--name",
            &unique("past"),
            "--at",
            "2020-01-01 00:00",
            "--",
            "true",
        ])
        .run()
        .code(2);
}

#[test]
fn dry_run_prints_units_and_writes_nothing() {
    let name = unique("dry");
    let out = Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--dry-run",
            "--json",
            "--cron",
            "*/15 * * * *",
            "--tz",
            "UTC",
            "--",
            "true",
        ])
        .run()
        .success()
        .json_value();
    let timer = out["units"][format!("piar-{name}.timer")]
        .as_str()
        .expect("timer text");
    assert!(
        timer.contains("OnCalendar=*-*-* *:00,15,30,45:00 UTC"),
        "{timer}"
    );
    assert!(
        timer.contains("AccuracySec=1s") && timer.contains("Persistent=true"),
        "{timer}"
    );
    assert!(!unit_dir().join(format!("piar-{name}.timer")).exists());
    assert!(!Path::new(&format!("/var/lib/piar/jobs/{name}.toml")).exists());
}

#[test]
fn overlapping_trigger_is_recorded_as_skipped() {
    let name = unique("overlap");
    Piar::new()
        .args(["submit", "--name", &name, "--manual", "--", "sleep", "20"])
        .run()
        .success();
    Piar::new().args(["run", &name]).run().success();
    poll_until("the first run to be active", WAIT, || {
        (list_row(&name)?.state == "running").then_some(())
    });
    let rec: Run = Piar::new()
        .args(["trigger", "--json", &name])
        .run()
        .success()
        .json();
    assert_eq!(rec.status, "skipped");
    Piar::new().args(["rm", &name, "--purge"]).run().success();
}
