//! Crash consistency (issue 7): piar is crashed on purpose at every step of submit, rm,
//! pause/resume, sync, trigger and callback delivery (`PIAR_FAILPOINT`, src/failpoint.rs),
//! then `piar sync` must leave a consistent state: no half-written manifest, no orphaned
//! unit or enablement link, timers enabled exactly when their manifest says so, no run
//! record left `running`, and every callback delivered to a receiver on 127.0.0.1.
//!
//! [`CASES`] is the table of steps. Adding a command's steps is one line per failpoint:
//! its setup, its argv (with `{name}`, `{url}`, `{delivery}` filled in) and what the job
//! must be after recovery.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::support::{JobState, PrivateState, poll_until};

/// Exit status of a process stopped at a failpoint (src/failpoint.rs `EXIT_CODE`).
const FAILPOINT_EXIT: i32 = 86;

/// What exists before the crashing command runs.
#[derive(Debug, Clone, Copy)]
enum Setup {
    /// Nothing.
    Nothing,
    /// A scheduled job with a callback (submitted normally).
    Job,
    /// [`Setup::Job`], paused.
    Paused,
    /// A drop-in manifest not synced yet.
    Dropin,
    /// A job whose manifest was deleted by hand (orphaned units).
    Orphan,
    /// [`Setup::Job`] whose trigger crashed after writing its outbox entry: a pending
    /// delivery with no attempt (its id is `{delivery}`).
    Pending,
}

/// What the job must be after recovery.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// It exists, enabled, units matching.
    Enabled,
    /// It exists, paused.
    Paused,
    /// Nothing of it is left.
    Gone,
    /// It exists with exactly one run record, in this final status, whose callback was
    /// delivered (outbox `delivered`, seen by the receiver).
    Ran(&'static str),
}

/// One step: crash at `point` while running `argv` after `setup`; expect `expect` after
/// `piar sync`. `first_status` is the receiver's answer to the first POST (later ones: 200).
struct Case {
    point: &'static str,
    setup: Setup,
    argv: &'static [&'static str],
    expect: Expect,
    first_status: u16,
}

const fn case(
    point: &'static str,
    setup: Setup,
    argv: &'static [&'static str],
    expect: Expect,
) -> Case {
    Case {
        point,
        setup,
        argv,
        expect,
        first_status: 200,
    }
}

/// Calendar schedule that never fires during a test run (03:00 UTC on 1 January): jobs in a
/// private state dir must not fire (their service uses the default state dir).
const SUBMIT: &[&str] = &[
    "submit",
    "--name",
    "{name}",
    "--cron",
    "0 3 1 1 *",
    "--tz",
    "UTC",
    "--callback",
    "{url}",
    "--",
    "true",
];
const REPLACE: &[&str] = &[
    "submit",
    "--replace",
    "--name",
    "{name}",
    "--cron",
    "30 4 1 1 *",
    "--tz",
    "UTC",
    "--callback",
    "{url}",
    "--",
    "true",
];
const EDIT: &[&str] = &["edit", "{name}", "--cron", "45 5 2 2 *"];
const RM: &[&str] = &["rm", "{name}"];
const PAUSE: &[&str] = &["pause", "{name}"];
const RESUME: &[&str] = &["resume", "{name}"];
const SYNC: &[&str] = &["sync"];
const TRIGGER: &[&str] = &["trigger", "{name}"];
const DELIVER: &[&str] = &["callback", "deliver", "{delivery}"];

/// Every failpoint of src/failpoint.rs, with the command that reaches it.
const CASES: &[Case] = &[
    // submit: the manifest is the commit point; sync applies its units
    case(
        "submit.after-manifest-write",
        Setup::Nothing,
        SUBMIT,
        Expect::Enabled,
    ),
    case(
        "apply.after-unit-files",
        Setup::Nothing,
        SUBMIT,
        Expect::Enabled,
    ),
    case(
        "apply.after-reload",
        Setup::Nothing,
        SUBMIT,
        Expect::Enabled,
    ),
    case(
        "apply.after-enable",
        Setup::Nothing,
        SUBMIT,
        Expect::Enabled,
    ),
    case(
        "apply.after-timer-start",
        Setup::Nothing,
        SUBMIT,
        Expect::Enabled,
    ),
    case(
        "submit.after-apply",
        Setup::Nothing,
        SUBMIT,
        Expect::Enabled,
    ),
    // submit --replace of a loaded job (needs a daemon-reload)
    case(
        "submit.after-manifest-write",
        Setup::Job,
        REPLACE,
        Expect::Enabled,
    ),
    case(
        "apply.after-unit-files",
        Setup::Job,
        REPLACE,
        Expect::Enabled,
    ),
    case("apply.after-reload", Setup::Job, REPLACE, Expect::Enabled),
    case("apply.after-enable", Setup::Job, REPLACE, Expect::Enabled),
    // edit: the manifest is the commit point, as for submit --replace
    case(
        "edit.after-manifest-write",
        Setup::Job,
        EDIT,
        Expect::Enabled,
    ),
    case("apply.after-unit-files", Setup::Job, EDIT, Expect::Enabled),
    case("edit.after-apply", Setup::Job, EDIT, Expect::Enabled),
    // rm: the manifest goes first; sync removes the orphaned units
    case("rm.after-manifest-remove", Setup::Job, RM, Expect::Gone),
    case("uninstall.after-timer-stop", Setup::Job, RM, Expect::Gone),
    case("uninstall.after-disable", Setup::Job, RM, Expect::Gone),
    case(
        "uninstall.after-unit-files-removed",
        Setup::Job,
        RM,
        Expect::Gone,
    ),
    // pause / resume: the manifest's `enabled` wins
    case(
        "pause.after-manifest-write",
        Setup::Job,
        PAUSE,
        Expect::Paused,
    ),
    case("pause.after-timer-stop", Setup::Job, PAUSE, Expect::Paused),
    case(
        "resume.after-manifest-write",
        Setup::Paused,
        RESUME,
        Expect::Enabled,
    ),
    case(
        "resume.after-enable",
        Setup::Paused,
        RESUME,
        Expect::Enabled,
    ),
    // sync itself
    case(
        "sync.after-dropin-save",
        Setup::Dropin,
        SYNC,
        Expect::Enabled,
    ),
    case(
        "apply.after-unit-files",
        Setup::Dropin,
        SYNC,
        Expect::Enabled,
    ),
    case(
        "sync.after-orphan-removed",
        Setup::Orphan,
        SYNC,
        Expect::Gone,
    ),
    // trigger: a dead trigger's run gets its true outcome from the journal (`true`:
    // succeeded), or `lost` when its unit never started; a finished run's callback is never
    // lost (issue 12 point 4)
    case(
        "trigger.after-running-record",
        Setup::Job,
        TRIGGER,
        Expect::Ran("lost"),
    ),
    case(
        "trigger.after-unit-start",
        Setup::Job,
        TRIGGER,
        Expect::Ran("succeeded"),
    ),
    case(
        "trigger.after-finished-record",
        Setup::Job,
        TRIGGER,
        Expect::Ran("succeeded"),
    ),
    case(
        "trigger.before-outbox-write",
        Setup::Job,
        TRIGGER,
        Expect::Ran("succeeded"),
    ),
    case(
        "trigger.after-outbox-write",
        Setup::Job,
        TRIGGER,
        Expect::Ran("succeeded"),
    ),
    // callback delivery: at least once (the receiver dedupes on webhook-id)
    case(
        "deliver.after-response",
        Setup::Pending,
        DELIVER,
        Expect::Ran("succeeded"),
    ),
    Case {
        first_status: 500,
        ..case(
            "deliver.after-save",
            Setup::Pending,
            DELIVER,
            Expect::Ran("succeeded"),
        )
    },
];

/// A minimal HTTP receiver on 127.0.0.1: records each POST's `webhook-id` and answers with
/// the queued statuses, then 200. Its thread lives until the test binary exits.
struct Hook {
    url: String,
    ids: Arc<Mutex<Vec<String>>>,
}

impl Hook {
    fn start(statuses: &[u16]) -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let ids = Arc::new(Mutex::new(Vec::new()));
        let queue: Arc<Mutex<VecDeque<u16>>> =
            Arc::new(Mutex::new(statuses.iter().copied().collect()));
        let seen = Arc::clone(&ids);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut reader = BufReader::new(&stream);
                let mut id = None;
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("webhook-id:") {
                        id = Some(line[line.len() - v.len()..].trim().to_string());
                    } else if let Some(v) = lower.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                let status = queue.lock().unwrap().pop_front().unwrap_or(200);
                if let Some(id) = id {
                    seen.lock().unwrap().push(id);
                }
                let _ = (&stream).write_all(
                    format!(
                        "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                    .as_bytes(),
                );
            }
        });
        Hook { url, ids }
    }

    fn saw(&self, id: &str) -> bool {
        self.ids.lock().unwrap().iter().any(|i| i == id)
    }
}

/// The outbox entries of job `name`.
fn outbox(state: &PrivateState, name: &str) -> Vec<Value> {
    std::fs::read_dir(state.dir.join("outbox"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| serde_json::from_str::<Value>(&std::fs::read_to_string(p).unwrap()).unwrap())
        .filter(|d| d["job"] == name)
        .collect()
}

fn fill(argv: &[&str], name: &str, url: &str, delivery: &str) -> Vec<String> {
    argv.iter()
        .map(|a| {
            a.replace("{name}", name)
                .replace("{url}", url)
                .replace("{delivery}", delivery)
        })
        .collect()
}

/// Prepare `setup` for job `name`; returns the pending delivery id for [`Setup::Pending`].
fn set_up(state: &PrivateState, setup: Setup, name: &str, url: &str) -> String {
    let submit = || {
        state
            .piar()
            .args(fill(SUBMIT, name, url, ""))
            .run()
            .success();
    };
    match setup {
        Setup::Nothing => {}
        Setup::Job => submit(),
        Setup::Paused => {
            submit();
            state.piar().args(["pause", name]).run().success();
        }
        Setup::Dropin => {
            let text = format!(
                "version = 1\nname = \"{name}\"\ncommand = [\"true\"]\n\n[schedule]\n\
                 cron = \"0 3 1 1 *\"\ntz = \"UTC\"\n\n[callback]\nurl = \"{url}\"\n"
            );
            std::fs::write(state.dropins().join(format!("{name}.toml")), text).unwrap();
        }
        Setup::Orphan => {
            submit();
            std::fs::remove_file(state.manifest(name)).unwrap();
        }
        Setup::Pending => {
            submit();
            state
                .piar()
                .args(["trigger", name])
                .env("PIAR_FAILPOINT", "trigger.after-outbox-write")
                .run()
                .code(FAILPOINT_EXIT);
            let d = outbox(state, name);
            assert_eq!(d.len(), 1, "{d:?}");
            assert_eq!(d[0]["state"], "pending");
            return d[0]["id"].as_str().unwrap().to_string();
        }
    }
    String::new()
}

/// Run one case in its own private state; panics with the case's point on failure.
fn run_case(i: usize, c: &Case) {
    let state = PrivateState::new("crash");
    let name = format!("crash-{i}-{}", c.point.replace('.', "-"));
    let hook = Hook::start(&[c.first_status]);
    let delivery = set_up(&state, c.setup, &name, &hook.url);

    // The crash.
    let out = state
        .piar()
        .args(fill(c.argv, &name, &hook.url, &delivery))
        .env("PIAR_FAILPOINT", c.point)
        .run()
        .code(FAILPOINT_EXIT);
    assert!(out.stderr.contains(c.point), "{}", out.stderr);

    // Recovery: `piar sync` (again while a run the dead trigger started is still active).
    let settled = poll_until(
        &format!("{}: piar sync to settle the runs", c.point),
        Duration::from_secs(30),
        || {
            state.piar().arg("sync").run().success();
            let runs = state.runs(&name);
            runs.iter()
                .all(|r| r["status"] != "running")
                .then_some(runs)
        },
    );
    let got = state.assert_consistent(&name);
    // No run lock outlives its trigger once sync has run.
    let locks: Vec<_> = std::fs::read_dir(state.dir.join(format!("runs/{name}")))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".lock"))
        .collect();
    assert!(locks.is_empty(), "{}: stale run locks {locks:?}", c.point);
    match c.expect {
        Expect::Enabled => assert_eq!(got, JobState::Enabled, "{}", c.point),
        Expect::Paused => assert_eq!(got, JobState::Paused, "{}", c.point),
        Expect::Gone => assert_eq!(got, JobState::Gone, "{}", c.point),
        Expect::Ran(status) => {
            assert_eq!(got, JobState::Enabled, "{}", c.point);
            assert_eq!(settled.len(), 1, "{}: {settled:?}", c.point);
            assert_eq!(settled[0]["status"], status, "{}: {settled:?}", c.point);
            let run_id = settled[0]["run_id"].as_str().unwrap();
            let delivered = poll_until(
                &format!("{}: the callback of run {run_id} delivered", c.point),
                Duration::from_secs(40),
                || {
                    let d = outbox(&state, &name);
                    let mine: Vec<&Value> = d.iter().filter(|d| d["run_id"] == run_id).collect();
                    (mine.len() == 1 && mine[0]["state"] == "delivered")
                        .then(|| mine[0]["id"].as_str().unwrap().to_string())
                },
            );
            assert!(
                hook.saw(&delivered),
                "{}: receiver never saw {delivered}",
                c.point
            );
        }
    }
    // A second sync finds nothing more to do for this job.
    let again = state
        .piar()
        .args(["sync", "--json"])
        .run()
        .success()
        .json_value();
    let acts: Vec<&Value> = again["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["job"] == name.as_str())
        .collect();
    assert!(
        acts.is_empty(),
        "{}: second sync still acted: {acts:?}",
        c.point
    );
    if got != JobState::Gone {
        state.piar().args(["rm", &name]).run().success();
    }
    assert!(!Path::new(&format!("/etc/systemd/system/piar-{name}.service")).exists());
}

#[test]
fn every_failpoint_is_in_the_table() {
    let table: std::collections::BTreeSet<&str> = CASES.iter().map(|c| c.point).collect();
    let points: std::collections::BTreeSet<&str> =
        piar::failpoint::POINTS.iter().copied().collect();
    assert_eq!(table, points, "src/failpoint.rs POINTS vs the CASES table");
}

#[test]
fn a_crash_at_any_step_is_repaired_by_sync() {
    // Four at a time: each case has its own state dir, job and receiver.
    let failures: Vec<String> = std::thread::scope(|s| {
        let chunks: Vec<Vec<(usize, &Case)>> = (0..4)
            .map(|k| {
                CASES
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % 4 == k)
                    .collect()
            })
            .collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .into_iter()
                        .filter_map(|(i, c)| {
                            std::panic::catch_unwind(|| run_case(i, c)).err().map(|e| {
                                let msg = e
                                    .downcast_ref::<String>()
                                    .cloned()
                                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                                    .unwrap_or_default();
                                format!("case {i} ({}): {msg}", c.point)
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn doctor_reports_a_run_left_by_a_crashed_trigger_until_sync() {
    let state = PrivateState::new("crash-doctor");
    let name = crate::support::unique("crashdoc");
    let hook = Hook::start(&[]);
    set_up(&state, Setup::Job, &name, &hook.url);
    state
        .piar()
        .args(["trigger", &name])
        .env("PIAR_FAILPOINT", "trigger.after-running-record")
        .run()
        .code(FAILPOINT_EXIT);
    let interrupted = |state: &PrivateState| {
        let doc = state.piar().args(["doctor", "--json"]).run().json_value();
        doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "interrupted-runs")
            .cloned()
            .expect("an interrupted-runs check")
    };
    let c = interrupted(&state);
    assert_eq!(c["status"], "warn", "{c}");
    assert!(c["message"].as_str().unwrap().contains(&name), "{c}");
    assert!(c["fix"].as_str().unwrap().contains("piar sync"), "{c}");
    // `piar show` already reads the run as lost (lazily); sync records it for good.
    let show = state
        .piar()
        .args(["show", &name, "--json"])
        .run()
        .success()
        .json_value();
    assert_eq!(show["last_run"]["status"], "lost", "{show}");
    assert_eq!(show["last_runs"][0]["status"], "lost", "{show}");
    state.piar().arg("sync").run().success();
    let c = interrupted(&state);
    assert_eq!(c["status"], "ok", "{c}");
    state.piar().args(["rm", &name]).run().success();
}
