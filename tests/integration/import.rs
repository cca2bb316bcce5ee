//! `piar import`: a realistic crontab (tests/fixtures/crontab.txt) and a
//! pi-agent-runner manifest directory (tests/fixtures/pi-agent-runner/),
//! system scope, against the box's systemd. Next elapses are checked against a
//! minute-by-minute walk of hand-written predicates (what crontab(5) says each
//! line means), not against piar's own cron compiler.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::civil::{DateTime, Weekday};
use jiff::tz::TimeZone;

use crate::support::{Piar, journal, poll_until, unique};

const WAIT: Duration = Duration::from_secs(30);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// `next_run` of every job whose name starts with `prefix` (from `piar list --json`),
/// with its state.
fn listed(prefix: &str) -> Vec<(String, Option<String>, String)> {
    let rows: Vec<serde_json::Value> = Piar::new().args(["list", "--json"]).run().success().json();
    rows.into_iter()
        .filter(|r| r["name"].as_str().is_some_and(|n| n.starts_with(prefix)))
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["next_run"].as_str().map(String::from),
                r["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn rm_all(prefix: &str) {
    for (name, _, _) in listed(prefix) {
        Piar::new().args(["rm", &name, "--purge"]).run().success();
    }
}

/// The first whole minute after `after` at which `fires` holds for the wall-clock
/// time in `tz` (a brute-force walk, up to 400 days).
fn next_match(
    after: jiff::Timestamp,
    tz: &str,
    fires: &dyn Fn(DateTime) -> bool,
) -> jiff::Timestamp {
    let zone = TimeZone::get(tz).unwrap();
    let mut t =
        jiff::Timestamp::from_second(after.as_second() - after.as_second() % 60 + 60).unwrap();
    for _ in 0..400 * 24 * 60 {
        if fires(t.to_zoned(zone.clone()).datetime()) {
            return t;
        }
        t += jiff::SignedDuration::from_secs(60);
    }
    panic!("no match within 400 days");
}

/// Asserts that job `name`'s timer elapses next when `fires` first holds in `tz`,
/// computed from just before and just after reading it (a timer may elapse in between).
fn assert_next(prefix: &str, name: &str, tz: &str, fires: &dyn Fn(DateTime) -> bool) {
    let before = jiff::Timestamp::now();
    let rows = listed(prefix);
    let after = jiff::Timestamp::now();
    let next = rows
        .iter()
        .find(|(n, _, _)| n == name)
        .unwrap_or_else(|| panic!("job {name} not listed: {rows:?}"))
        .1
        .clone()
        .unwrap_or_else(|| panic!("job {name} has no next run"));
    let next: jiff::Timestamp = next.parse().unwrap();
    let want = [next_match(before, tz, fires), next_match(after, tz, fires)];
    assert!(
        want.contains(&next),
        "{name}: timer elapses {next}, cron says {want:?}"
    );
}

#[test]
fn crontab_lines_become_timers_that_fire_when_cron_would() {
    let prefix = format!("{}-", unique("ct"));
    let file = fixture("crontab.txt");
    // On systemd 254+ every enable is followed by a full reload (systemctl does the same;
    // issue 18 batches them), ~0.3 s each with the box's units: allow for a loaded machine.
    let out = Piar::new()
        .args(["--json", "import", "crontab", "--prefix", &prefix])
        .arg(&file)
        .timeout(Duration::from_secs(180))
        .run()
        .code(2);
    let v = out.json_value();
    let lines: Vec<u64> = v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [7, 8, 9, 10, 13, 14, 17], "{v}");
    assert!(
        v["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["action"] == "created")
    );
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v}");
    assert_eq!(errors[0]["line"], 15);
    assert!(
        errors[0]["message"].as_str().unwrap().contains("line 15"),
        "{v}"
    );
    assert!(
        errors[0]["message"].as_str().unwrap().contains("minute"),
        "{v}"
    );
    assert_eq!(v["warnings"][0]["line"], 5, "MAILTO is reported: {v}");
    assert_eq!(v["written"], true);

    let sys = jiff::tz::TimeZone::system()
        .iana_name()
        .unwrap_or("UTC")
        .to_string();
    let n = |line: &str| format!("{prefix}{line}");
    let wd = |d: DateTime| d.weekday();
    assert_next(&prefix, &n("env-7"), &sys, &|d| d.minute() % 15 == 0);
    assert_next(&prefix, &n("cd-8"), &sys, &|d| {
        d.hour() == 2 && d.minute() == 30 && !matches!(wd(d), Weekday::Saturday | Weekday::Sunday)
    });
    // Both day fields restricted: the 1st, the 15th OR a Monday (crontab(5)).
    assert_next(&prefix, &n("echo-9"), &sys, &|d| {
        d.hour() == 0
            && d.minute() == 0
            && (d.day() == 1 || d.day() == 15 || wd(d) == Weekday::Monday)
    });
    assert_next(&prefix, &n("echo-10"), &sys, &|d| {
        d.hour() == 0 && d.minute() == 0 && wd(d) == Weekday::Sunday
    });
    assert_next(&prefix, &n("echo-13"), "Europe/Berlin", &|d| {
        d.hour() == 9 && d.minute() == 0 && !matches!(wd(d), Weekday::Saturday | Weekday::Sunday)
    });
    assert_next(&prefix, &n("sed-14"), "Europe/Berlin", &|d| {
        d.hour() == 4 && d.minute() == 5 && wd(d) == Weekday::Sunday
    });
    assert_next(&prefix, &n("echo-17"), "Asia/Kolkata", &|d| {
        d.hour() == 6 && d.minute() == 30
    });

    // The `%` rule: the text after the first `%` is the command's stdin.
    let sed = n("sed-14");
    Piar::new().args(["run", &sed, "--wait"]).run().success();
    let tag = format!("piar-{sed}");
    poll_until("the sed job's output in the journal", WAIT, || {
        let log = journal(&["-t", &tag]);
        (log.contains("got:from stdin") && log.contains("got:second % line")).then_some(())
    });

    // Importing the same file again creates nothing new.
    let again = Piar::new()
        .args(["--json", "import", "crontab", "--prefix", &prefix])
        .arg(&file)
        .run()
        .code(2)
        .json_value();
    let actions: Vec<&str> = again["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["unchanged"; 7], "{again}");
    assert_eq!(listed(&prefix).len(), 7);
    rm_all(&prefix);
}

#[test]
fn strict_and_dry_run_write_nothing() {
    let prefix = format!("{}-", unique("cs"));
    let file = fixture("crontab.txt");
    let out = Piar::new()
        .args(["import", "crontab", "--strict", "--prefix", &prefix])
        .arg(&file)
        .run()
        .code(2);
    assert!(out.stderr.contains("line 15"), "{}", out.stderr);
    assert!(out.stdout.contains("nothing written"), "{}", out.stdout);
    assert_eq!(listed(&prefix), []);

    let out = Piar::new()
        .args([
            "--json",
            "import",
            "crontab",
            "--dry-run",
            "--prefix",
            &prefix,
        ])
        .arg(&file)
        .run()
        .code(2);
    let v = out.json_value();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["written"], false);
    assert_eq!(v["jobs"].as_array().unwrap().len(), 7);
    assert_eq!(v["jobs"][0]["action"], "create");
    assert_eq!(v["jobs"][0]["command"][0], "/bin/sh");
    assert_eq!(listed(&prefix), []);

    // A clean crontab from stdin: exit 0, and the dry run still writes nothing.
    Piar::new()
        .args(["import", "crontab", "--dry-run", "--prefix", &prefix, "-"])
        .stdin("@daily true\n")
        .run()
        .success();
    assert_eq!(listed(&prefix), []);
}

#[test]
fn system_crontab_user_column_maps_other_users_to_run_as() {
    let prefix = format!("{}-", unique("cu"));
    let out = Piar::new()
        .args([
            "--json",
            "import",
            "crontab",
            "--system-crontab",
            "--prefix",
            &prefix,
            "-",
        ])
        .stdin(
            "# /etc/cron.d/example\n0 5 * * * root echo hi\n0 6 * * * nobody echo no\n\
             0 7 * * * no-such-user-here echo never\n",
        )
        .run()
        .code(2);
    let v = out.json_value();
    // System scope: another user's line becomes a job with run_as; a user
    // that does not exist is reported by line.
    assert_eq!(v["jobs"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["jobs"][0]["line"], 2);
    assert_eq!(v["jobs"][1]["line"], 3);
    assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["errors"][0]["line"], 4);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no-such-user-here"),
        "{v}"
    );
    let other = std::fs::read_to_string(format!("/var/lib/piar/jobs/{prefix}echo-3.toml")).unwrap();
    assert!(other.contains("run_as = \"nobody\""), "{other}");
    let name = format!("{prefix}echo-2");
    let manifest = std::fs::read_to_string(format!("/var/lib/piar/jobs/{name}.toml")).unwrap();
    assert!(manifest.contains("cron_user = \"root\""), "{manifest}");
    rm_all(&prefix);
}

#[test]
fn pi_agent_runner_directory_keeps_time_zone_and_pause() {
    let prefix = format!("{}-", unique("par"));
    let out = Piar::new()
        .args(["--json", "import", "pi-agent-runner", "--prefix", &prefix])
        .arg(fixture("pi-agent-runner"))
        .run()
        .success();
    let v = out.json_value();
    assert_eq!(v["jobs"].as_array().unwrap().len(), 3, "{v}");
    assert!(
        v["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("notes.json"),
        "{v}"
    );

    let brief = format!("{prefix}sysd-0b7e4c1a-brief");
    let timer = std::fs::read_to_string(format!("/etc/systemd/system/piar-{brief}.timer")).unwrap();
    assert!(timer.contains("Asia/Kolkata"), "{timer}");
    assert_next(&prefix, &brief, "Asia/Kolkata", &|d| {
        d.hour() == 9
            && d.minute() == 30
            && !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
    });

    let rows = listed(&prefix);
    let ping = rows
        .iter()
        .find(|r| r.0 == format!("{prefix}sysd-5d2f9e30-ping"))
        .unwrap();
    assert_eq!(ping.2, "paused", "{rows:?}");
    let reminder = rows
        .iter()
        .find(|r| r.0 == format!("{prefix}sysd-9a1c77d2-reminder"))
        .unwrap();
    let at: jiff::Timestamp = reminder.1.as_deref().unwrap().parse().unwrap();
    assert_eq!(
        at,
        "2099-03-01T04:30:00Z".parse::<jiff::Timestamp>().unwrap()
    );
    rm_all(&prefix);
}
