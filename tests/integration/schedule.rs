//! Schedules against the real systemd: `@reboot` timers, `piar calendar`, and
//! `--require-synced-clock` deferral (issue 4).

use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use crate::support::{Piar, parse_systemd_utc, poll_until, systemd_analyze_next, unique};

fn rm(name: &str) {
    Piar::new().args(["rm", name, "--purge"]).run().success();
}

/// `systemctl show UNIT -p PROP --value`.
fn unit_prop(unit: &str, prop: &str) -> String {
    let out = Command::new("systemctl")
        .args(["show", unit, "-p", prop, "--value"])
        .output()
        .expect("systemctl");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Statuses of a job's runs, newest first.
fn statuses(name: &str) -> Vec<(String, Option<String>)> {
    let v = Piar::new()
        .args(["show", name, "--json"])
        .run()
        .success()
        .json_value();
    v["last_runs"]
        .as_array()
        .expect("last_runs")
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap_or_default().to_string(),
                r["error"].as_str().map(str::to_string),
            )
        })
        .collect()
}

#[test]
fn reboot_job_is_a_boot_timer_that_does_not_run_at_submit() {
    let name = unique("reboot");
    Piar::new()
        .args(["submit", "--name", &name, "--cron", "@reboot", "--", "true"])
        .run()
        .success();
    let timer_unit = format!("piar-{name}.timer");
    let path = format!("/etc/systemd/system/{timer_unit}");
    let text = std::fs::read_to_string(&path).expect("timer file");
    assert!(text.contains("\nOnBootSec=1s\n"), "{text}");
    assert!(!text.contains("OnCalendar="), "{text}");
    assert!(!text.contains("Persistent="), "{text}");
    // systemd itself accepts the pair (--man=no: the box may lack the man page).
    let verify = Command::new("systemd-analyze")
        .args(["verify", "--man=no", &path])
        .output()
        .expect("systemd-analyze verify");
    assert!(
        verify.status.success(),
        "systemd-analyze verify: {}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        unit_prop(&timer_unit, "TimersMonotonic").contains("OnBootUSec=1s"),
        "{}",
        unit_prop(&timer_unit, "TimersMonotonic")
    );
    // Enabled for the next boot, but not started: a fresh timer whose OnBootSec= passed
    // would fire at once, and cron never runs @reboot jobs when they are installed.
    assert_eq!(unit_prop(&timer_unit, "UnitFileState"), "enabled");
    assert_eq!(unit_prop(&timer_unit, "ActiveState"), "inactive");
    assert!(statuses(&name).is_empty(), "ran at submit");
    let row = Piar::new()
        .args(["list", "--json"])
        .run()
        .success()
        .json_value();
    let row = row
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"] == name.as_str())
        .cloned()
        .expect("listed");
    assert_eq!(row["state"], "waiting", "{row}");
    assert_eq!(row["schedule_description"], "At boot", "{row}");
    // Resume does not start it either.
    Piar::new().args(["pause", &name]).run().success();
    Piar::new().args(["resume", &name]).run().success();
    assert_eq!(unit_prop(&timer_unit, "ActiveState"), "inactive");
    assert!(statuses(&name).is_empty(), "ran at resume");
    // What timers.target does at boot: start it; the boot trigger elapses and the job runs.
    let start = Command::new("systemctl")
        .args(["start", &timer_unit])
        .status()
        .expect("systemctl start");
    assert!(start.success());
    poll_until("the boot-time run", Duration::from_secs(30), || {
        statuses(&name)
            .first()
            .filter(|(s, _)| s == "succeeded")
            .cloned()
    });
    rm(&name);
}

/// Mirror of `piar calendar --json` (docs/schemas/calendar.json).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CalendarOut {
    input: String,
    kind: String,
    tz: String,
    description: String,
    timer: Vec<String>,
    on_calendar: Vec<String>,
    dst_compensation: Vec<String>,
    resolved_at: Option<String>,
    notes: Vec<String>,
    next_runs: Vec<NextRun>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct NextRun {
    utc: String,
    local: String,
}

#[test]
fn calendar_previews_what_submit_writes_and_systemd_runs() {
    let out: CalendarOut = Piar::new()
        .args([
            "calendar",
            "0 9 * * 1-5",
            "--tz",
            "Europe/Berlin",
            "-n",
            "1",
            "--json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(out.kind, "cron");
    assert_eq!(
        out.description,
        "At 09:00, Monday through Friday (Europe/Berlin)"
    );
    assert_eq!(out.on_calendar, ["Mon..Fri *-*-* 09:00:00 Europe/Berlin"]);
    let expected = systemd_analyze_next(&out.on_calendar, None);
    let next: jiff::Timestamp = out.next_runs[0].utc.parse().expect("utc");
    assert_eq!(next, parse_systemd_utc(&expected));
    // The same expression submitted: the timer has exactly the previewed lines.
    let name = unique("cal");
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--cron",
            "0 9 * * 1-5",
            "--tz",
            "Europe/Berlin",
            "--",
            "true",
        ])
        .run()
        .success();
    let timer =
        std::fs::read_to_string(format!("/etc/systemd/system/piar-{name}.timer")).expect("timer");
    for d in &out.timer {
        assert!(timer.contains(&format!("{d}\n")), "{d} not in {timer}");
    }
    rm(&name);
    // Bad input: exit 2, the error names the field.
    let bad = Piar::new()
        .args(["calendar", "0 25 * * *", "--json"])
        .run()
        .code(2);
    assert!(bad.stderr.contains("cron field 2 (hour)"), "{}", bad.stderr);
    let bad = Piar::new()
        .args(["calendar", "--on-calendar", "Mon 25:00"])
        .run()
        .code(2);
    assert!(bad.stderr.contains("\"Mon 25:00\""), "{}", bad.stderr);
}

/// `-n 5` gives five runs on every systemd: 257 labels the later iterations
/// of `systemd-analyze calendar` `Iteration #k:` (252: `Iter. #k:`), and a
/// parser that knew only one label cut the preview to one run (issue 15).
#[test]
fn calendar_lists_as_many_runs_as_asked_on_every_systemd() {
    let out: CalendarOut = Piar::new()
        .args([
            "calendar",
            "0 9 * * 1-5",
            "--tz",
            "Europe/Berlin",
            "-n",
            "5",
            "--json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(out.next_runs.len(), 5, "{:?}", out.next_runs);
    let berlin = jiff::tz::TimeZone::get("Europe/Berlin").expect("zone");
    let mut prev: Option<jiff::Timestamp> = None;
    for run in &out.next_runs {
        let t: jiff::Timestamp = run.utc.parse().expect("utc");
        let local = t.to_zoned(berlin.clone());
        assert_eq!((local.hour(), local.minute()), (9, 0), "{run:?}");
        assert!(
            !matches!(
                local.weekday(),
                jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
            ),
            "{run:?}"
        );
        assert!(
            prev.is_none_or(|p| p < t),
            "not increasing: {:?}",
            out.next_runs
        );
        prev = Some(t);
    }
}

#[test]
fn require_synced_clock_defers_retries_and_runs_once_synced() {
    let name = unique("clock");
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--manual",
            "--require-synced-clock",
            "--",
            "true",
        ])
        .run()
        .success();
    let show = Piar::new()
        .args(["show", &name, "--json"])
        .run()
        .success()
        .json_value();
    assert_eq!(show["manifest"]["require_synced_clock"], true, "{show}");
    let text = Piar::new().args(["show", &name]).run().success().stdout;
    assert!(
        text.contains("runs only on an NTP-synchronised clock"),
        "{text}"
    );
    let retry = |n: u32| format!("piar-{name}.defer-{n}.timer");

    // Unsynchronised: recorded as deferred, not run; a retry timer 30s out.
    let out = Piar::new()
        .args(["trigger", &name, "--json"])
        .env("PIAR_CLOCK_SYNCED", "0")
        .run()
        .success();
    assert_eq!(out.json_value()["status"], "deferred", "{}", out.stdout);
    let runs = statuses(&name);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].0, "deferred");
    assert!(
        runs[0]
            .1
            .as_deref()
            .unwrap_or_default()
            .contains("not synchronised")
    );
    assert_eq!(unit_prop(&retry(1), "ActiveState"), "active");
    // An absolute calendar time about 30 s out (a monotonic OnActiveSec= would be
    // re-armed by every daemon-reload: systemd#16186).
    let cal = unit_prop(&retry(1), "TimersCalendar");
    assert!(cal.contains("OnCalendar=") && cal.contains("UTC"), "{cal}");
    assert!(unit_prop(&retry(1), "TimersMonotonic").is_empty());
    let next = parse_systemd_utc(&unit_prop(&retry(1), "NextElapseUSecRealtime"));
    let ahead = next.duration_since(jiff::Timestamp::now()).as_secs_f64();
    assert!(
        (15.0..=31.0).contains(&ahead),
        "retry elapses in {ahead}s, expected ~30s"
    );
    // A calendar tick while the retry is pending starts no second chain or record.
    Piar::new()
        .args(["trigger", &name])
        .env("PIAR_CLOCK_SYNCED", "0")
        .run()
        .success();
    assert_eq!(statuses(&name).len(), 1);
    assert_eq!(unit_prop(&retry(2), "ActiveState"), "inactive");

    // The retry timer fires and asks the real clock (no override reaches it): the box's
    // clock as timedated sees it decides whether it defers again or runs.
    let ntp = Command::new("timedatectl")
        .args(["show", "-p", "NTPSynchronized", "--value"])
        .output()
        .expect("timedatectl");
    let synced = String::from_utf8_lossy(&ntp.stdout).trim() == "yes";
    poll_until("the first retry", Duration::from_secs(60), || {
        if synced {
            statuses(&name)
                .iter()
                .any(|(s, _)| s == "succeeded")
                .then_some(())
        } else {
            (unit_prop(&retry(2), "ActiveState") == "active").then_some(())
        }
    });
    if !synced {
        assert_eq!(
            statuses(&name).len(),
            1,
            "a retry that defers writes no record"
        );
    }

    // After the bound: given up, recorded as failed, exit 1.
    let out = Piar::new()
        .args(["trigger", &name])
        .env("PIAR_CLOCK_SYNCED", "0")
        .env("PIAR_DEFER_ATTEMPT", "240")
        .run()
        .code(1);
    // (Run ids order by the second only: look the records up, not at their order.)
    let runs = statuses(&name);
    assert!(
        runs.iter()
            .any(|(s, e)| s == "failed" && e.as_deref().unwrap_or_default().contains("within 2h")),
        "{runs:?} {}",
        out.stderr
    );

    // Synchronised: the run happens and pending retries are stopped.
    Piar::new()
        .args(["trigger", &name])
        .env("PIAR_CLOCK_SYNCED", "1")
        .run()
        .success();
    let runs = statuses(&name);
    assert!(runs.iter().any(|(s, _)| s == "succeeded"), "{runs:?}");
    for n in 1..=3 {
        assert_ne!(
            unit_prop(&retry(n), "ActiveState"),
            "active",
            "{}",
            retry(n)
        );
    }
    // A new deferral, then rm: no retry timer is left behind.
    Piar::new()
        .args(["trigger", &name])
        .env("PIAR_CLOCK_SYNCED", "0")
        .run()
        .success();
    let pending = || {
        let out = Command::new("systemctl")
            .args(["list-units", "--plain", "--no-legend", "--state=active"])
            .arg(format!("piar-{name}.defer-*.timer"))
            .output()
            .expect("systemctl list-units");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert!(!pending().is_empty(), "no retry armed");
    rm(&name);
    assert_eq!(pending(), "", "retry timers left after rm");
}

/// `piar calendar --json` for `args` (with `--tz UTC`).
fn calendar_json(args: &[&str]) -> CalendarOut {
    let mut all = vec!["calendar"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--tz", "UTC", "--json"]);
    Piar::new().args(all).run().success().json()
}

/// Issue 14: what people and agents type, through the real binary and systemd-analyze:
/// cronie's weekday ranges, separators and large steps; `--at` spans, `now`, a passed
/// clock time; never a military zone letter.
#[test]
fn calendar_reads_what_people_type() {
    let weekend = calendar_json(&["0 9 * * sat-sun"]);
    assert_eq!(weekend.on_calendar, ["Sat,Sun *-*-* 09:00:00 UTC"]);
    let all = calendar_json(&["--cron", "0 9 * * mon-0"]);
    assert_eq!(all.on_calendar, ["*-*-* 09:00:00 UTC"]);
    let bad = Piar::new()
        .args(["calendar", "--cron", "0 9 * * fri-mon"])
        .run()
        .code(2);
    assert!(bad.stderr.contains("runs backwards"), "{}", bad.stderr);
    assert!(
        bad.stderr.contains("5-7,1 or fri,sat,sun,mon"),
        "{}",
        bad.stderr
    );
    let bad = Piar::new()
        .args(["calendar", "--cron", "0\u{a0}9 * * *"])
        .run()
        .code(2);
    assert!(
        bad.stderr.contains("U+00A0 NO-BREAK SPACE at column 2"),
        "{}",
        bad.stderr
    );
    let step = calendar_json(&["--cron", "*/61 * * * *"]);
    assert_eq!(step.on_calendar, ["*-*-* *:00:00 UTC"]);
    assert!(
        step.notes.iter().any(|n| n.contains("step 61")),
        "{:?}",
        step.notes
    );
    assert!(calendar_json(&["--cron", "*/15 * * * *"]).notes.is_empty());

    // --at: a bare span is "in ..."; military letters are refused.
    let before = jiff::Timestamp::now();
    let span = calendar_json(&["--at", "20m"]);
    let at: jiff::Timestamp = span.resolved_at.expect("resolved").parse().expect("ts");
    let delta = at.duration_since(before).as_secs();
    assert!((19 * 60..=21 * 60).contains(&delta), "20m resolved to {at}");
    for text in ["10a", "x", "tomorrow 9 z"] {
        let bad = Piar::new().args(["calendar", "--at", text]).run().code(2);
        assert!(bad.stderr.contains("ambiguous"), "{text}: {}", bad.stderr);
    }
    let now = calendar_json(&["--at", "now"]);
    let at: jiff::Timestamp = now.resolved_at.expect("resolved").parse().expect("ts");
    assert!(at > before, "now resolved to {at}");
    let tomorrow = calendar_json(&["--at", "tomorrow at 9am"]);
    assert!(
        tomorrow
            .resolved_at
            .expect("resolved")
            .ends_with("T09:00:00Z")
    );
    // 00:00 has always passed today: tomorrow, and the output says so.
    let midnight = calendar_json(&["--at", "00:00"]);
    assert!(
        midnight
            .notes
            .iter()
            .any(|n| n.contains("has passed today")),
        "{:?}",
        midnight.notes
    );
    let text = Piar::new()
        .args(["calendar", "--at", "00:00", "--tz", "UTC"])
        .run()
        .success();
    assert!(
        text.stdout.contains("note: 00:00 has passed today"),
        "{}",
        text.stdout
    );
}

/// Issue 14: schedules that can never fire, intervals systemd ignores, too many
/// OnCalendar= lines, an empty --name and a missing callback secret are refused at submit
/// (exit 2, the field named), and nothing is written.
#[test]
fn submit_refuses_what_would_never_run() {
    let name = unique("never");
    let many: Vec<String> = (0..65)
        .flat_map(|i| {
            [
                "--on-calendar".to_string(),
                format!("*-*-* 03:{:02}:00", i % 60),
            ]
        })
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let secret = unique("nosecret");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--on-calendar", "1970-01-01"], "never elapses"),
        (vec!["--on-calendar", "*-02-30"], "never elapses"),
        (vec!["--cron", "0 0 31 2 *"], "never fires"),
        (vec!["--every", "999999999999d"], "at most 10y"),
        (many, "at most 64"),
        (
            vec![
                "--every",
                "1h",
                "--callback",
                "http://127.0.0.1:9/hook",
                "--callback-secret",
                &secret,
            ],
            "callback.secret: no secret named",
        ),
    ];
    for (flags, want) in cases {
        let mut args = vec!["submit", "--name", &name];
        args.extend(flags.iter().copied());
        args.extend(["--", "true"]);
        let out = Piar::new().args(args).run().code(2);
        assert!(out.stderr.contains(want), "{flags:?}: {}", out.stderr);
        Piar::new().args(["show", &name]).run().code(3);
    }
    let out = Piar::new()
        .args(["submit", "--name", "", "--every", "1h", "--", "true"])
        .run()
        .code(2);
    assert!(out.stderr.contains("--name"), "{}", out.stderr);
    assert!(out.stderr.contains("it is empty"), "{}", out.stderr);
}
