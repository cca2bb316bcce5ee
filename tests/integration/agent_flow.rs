//! An agent's run flow against the one Run shape (issue 13): submit with an idempotency key,
//! start a run without blocking and get its id at once, poll it by id, wait with a timeout
//! (its own exit code), stop twice (idempotent), a run skipped under overlap=forbid, retries
//! followed to the final attempt, and history: exact fields and exit codes, every output
//! checked against docs/schemas.

use std::time::Duration;

use serde_json::{Value, json};

use crate::schemas::Cases;
use crate::support::{Piar, poll_until, unique};

const WAIT: Duration = Duration::from_secs(60);

/// The Run's fields, sorted: the same set in every command's output.
const RUN_FIELDS: [&str; 20] = [
    "attempt",
    "command",
    "duration_ms",
    "error",
    "exit_code",
    "finished_at",
    "id",
    "invocation_id",
    "job",
    "metadata",
    "output",
    "reason",
    "retry_of",
    "scheduled_for",
    "signal",
    "started_at",
    "status",
    "systemd_result",
    "trigger",
    "unit",
];

#[track_caller]
fn assert_run_fields(v: &Value) {
    let mut keys: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not a Run: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, RUN_FIELDS, "{v}");
}

/// `2026-12-02T12:00:00.123Z`: RFC 3339 UTC with milliseconds.
#[track_caller]
fn assert_ms_time(v: &Value) {
    let s = v.as_str().unwrap_or_else(|| panic!("not a time: {v}"));
    assert_eq!(s.len(), 24, "{s}");
    assert!(s.ends_with('Z') && s.as_bytes()[19] == b'.', "{s}");
    s.parse::<jiff::Timestamp>().unwrap();
}

#[test]
fn an_agent_runs_polls_waits_stops_and_reads_history() {
    let mut cases = Cases::default();
    let name = unique("agent-flow");
    let key = unique("agent-key");
    let marker = format!("/run/piar-agent-flow-{name}");
    let submit = [
        "submit",
        "--name",
        &name,
        "--manual",
        "--idempotency-key",
        &key,
        "--meta",
        "task=4711",
        "--",
        "sh",
        "-c",
        &format!("echo out-line; echo err-line >&2; while ! test -e {marker}; do sleep 0.2; done"),
    ];
    let created = cases.piar("submit.json", &submit, 0);
    assert_eq!(created["deduplicated"], false, "{created}");
    let again = cases.piar("submit.json", &submit, 0);
    assert_eq!(again["deduplicated"], true, "{again}");

    // Start without blocking: the Run, with its id, at once.
    let started = cases.piar("run.json", &["run", &name], 0);
    assert_run_fields(&started);
    assert_eq!(started["status"], "running", "{started}");
    assert_eq!(started["job"], name.as_str());
    assert_eq!(started["attempt"], 1);
    assert_eq!(started["trigger"], "manual");
    assert_eq!(started["scheduled_for"], Value::Null);
    assert_eq!(started["finished_at"], Value::Null);
    assert_eq!(started["output"]["tail"], Value::Null);
    assert_eq!(started["metadata"], json!({"task": "4711"}));
    assert_ms_time(&started["started_at"]);
    let id = started["id"].as_str().unwrap().to_string();
    assert_eq!(
        started["unit"],
        format!("piar-{name}.run-{id}.service").as_str()
    );

    // Poll by id: the same run, still running.
    let polled = cases.piar("result.json", &["result", &id], 0);
    assert_eq!(polled["id"], id.as_str());
    assert_eq!(polled["status"], "running", "{polled}");
    assert_eq!(polled["started_at"], started["started_at"]);

    // A second start under overlap=forbid is recorded as skipped, and says so.
    let skipped = cases.piar("run.json", &["run", &name], 0);
    assert_eq!(skipped["status"], "skipped", "{skipped}");
    assert_ne!(skipped["id"], id.as_str());
    assert!(
        skipped["error"].as_str().unwrap().contains("forbid"),
        "{skipped}"
    );

    // Wait with a timeout: its own exit code (75) and the JSON error `timeout`.
    let out = Piar::new()
        .args(["wait", &id, "--timeout", "1s", "--json"])
        .run()
        .code(75);
    assert!(out.stdout.trim().is_empty(), "{}", out.stdout);
    let err: Value = serde_json::from_str(out.stderr.trim()).unwrap();
    assert_eq!(err["error"]["code"], "timeout", "{err}");
    assert_eq!(err["error"]["exit_code"], 75, "{err}");
    cases.add("piar wait --timeout (error)", "error.json", err);

    // `wait NAME` attaches to the run in progress; stop it (twice).
    let waiter = {
        let name = name.clone();
        std::thread::spawn(move || {
            Piar::new()
                .args(["wait", &name, "--timeout", "60s", "--json"])
                .run()
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let stopped = cases.piar("stop.json", &["stop", &name], 0);
    let runs = stopped["stopped"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{stopped}");
    assert_run_fields(&runs[0]);
    assert_eq!(runs[0]["id"], id.as_str());
    assert_eq!(runs[0]["status"], "canceled", "{stopped}");
    assert_eq!(
        runs[0]["started_at"], started["started_at"],
        "start is stable"
    );
    assert_eq!(runs[0]["reason"], "stopped with `piar stop`");
    let again = cases.piar("stop.json", &["stop", &name], 0);
    assert_eq!(again, json!({"stopped": []}));
    let waited = waiter.join().unwrap().code(143);
    let waited = waited.json_value();
    assert_eq!(
        waited["id"],
        id.as_str(),
        "wait attached to the running run"
    );
    assert_eq!(waited["status"], "canceled");
    let tail = waited["output"]["tail"].as_array().unwrap();
    assert_eq!(tail[0]["stream"], "stdout+stderr", "{waited}");
    let text = tail[0]["text"].as_str().unwrap();
    assert!(
        text.contains("out-line") && text.contains("err-line"),
        "{text}"
    );
    cases.add("piar wait NAME", "run.json", waited.clone());

    // History: the same runs in the same shape, newest first; no `result` ambiguity.
    let history = cases.piar("history.json", &["history", &name], 0);
    let rows = history["runs"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{history}");
    for r in rows {
        assert_run_fields(r);
        assert_eq!(r["attempt"], 1);
        assert_ms_time(&r["started_at"]);
        assert_ms_time(&r["finished_at"]);
    }
    let canceled = rows.iter().find(|r| r["id"] == id.as_str()).unwrap();
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["signal"], "SIGTERM");
    assert_eq!(canceled["started_at"], started["started_at"]);
    assert!(canceled["systemd_result"].is_string(), "{canceled}");
    let skipped_row = rows.iter().find(|r| r["id"] == skipped["id"]).unwrap();
    assert_eq!(skipped_row["status"], "skipped");
    assert_eq!(skipped_row["systemd_result"], Value::Null);
    let list = cases.piar("list.json", &["list"], 0);
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == name.as_str())
        .unwrap();
    assert_run_fields(&row["last_run"]);
    assert!(row.get("result").is_none(), "{row}");
    let show = cases.piar("show.json", &["show", &name], 0);
    assert_eq!(show["last_runs"].as_array().unwrap().len(), 2, "{show}");
    assert_ms_time(&show["last_run"]["started_at"]);

    // `wait` on a finished run answers at once, with its status as exit code.
    let done = Piar::new().args(["wait", &id, "--json"]).run().code(143);
    assert_eq!(done.json_value()["status"], "canceled");
    Piar::new().args(["rm", &name, "--purge"]).run().success();
    let _ = std::fs::remove_file(&marker);
    cases.check();
}

#[test]
fn run_wait_follows_retries_to_the_final_attempt() {
    let mut cases = Cases::default();
    let name = unique("agent-retry");
    let count = format!("/run/piar-agent-retry-{name}");
    let _ = std::fs::remove_file(&count);
    // Fails twice, then succeeds.
    Piar::new()
        .args(["submit", "--name", &name, "--manual"])
        .args(["--retries", "3", "--retry-delay", "1s", "--"])
        .args([
            "sh",
            "-c",
            &format!("echo x >> {count}; test $(wc -l < {count}) -ge 3 || exit 7"),
        ])
        .run()
        .success();
    let last = cases.piar("run.json", &["run", "--wait", &name], 0);
    assert_eq!(last["status"], "succeeded", "{last}");
    assert_eq!(last["attempt"], 3, "{last}");
    assert_eq!(last["trigger"], "retry");
    let first = last["retry_of"].as_str().unwrap().to_string();
    // The first attempt, polled by id: attempt 1, failed with 7.
    let one = cases.piar("result.json", &["result", &first], 0);
    assert_eq!(one["attempt"], 1);
    assert_eq!(one["status"], "failed");
    assert_eq!(one["exit_code"], 7);
    assert_eq!(one["systemd_result"], "exit-code");
    // `wait FIRST` also ends at the final attempt.
    let w = cases.piar("run.json", &["wait", &first], 0);
    assert_eq!(w["id"], last["id"]);
    poll_until("3 records", WAIT, || {
        let h = Piar::new()
            .args(["history", &name, "--json"])
            .run()
            .success()
            .json_value();
        (h["runs"].as_array().unwrap().len() == 3).then_some(())
    });
    Piar::new().args(["rm", &name, "--purge"]).run().success();
    let _ = std::fs::remove_file(&count);
    cases.check();
}

#[test]
fn the_output_cap_holds_while_the_run_writes() {
    use std::os::unix::fs::MetadataExt;
    let name = unique("agent-cap");
    let dir = std::path::PathBuf::from(format!("/var/lib/piar/artifacts/{name}"));
    // 60 MiB over ~2 s, then a pause: well past the 16 MiB cap while still running.
    Piar::new()
        .args(["submit", "--name", &name, "--manual"])
        .args(["--output", "{{ job }}/out.bin", "--"])
        .args([
            "sh",
            "-c",
            "i=0; while [ $i -lt 60 ]; do head -c 1048576 /dev/zero; sleep 0.03; i=$((i+1)); done; sleep 2",
        ])
        .run()
        .success();
    let started = Piar::new()
        .args(["run", &name, "--json"])
        .run()
        .success()
        .json_value();
    let id = started["id"].as_str().unwrap().to_string();
    // While it runs: the capture file's disk use stays near the cap.
    let mut most = 0u64;
    let finished = poll_until("the run to end", WAIT, || {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().ends_with(".part")
                && let Ok(m) = e.metadata()
            {
                most = most.max(m.blocks() * 512);
            }
        }
        let r = Piar::new()
            .args(["result", &id, "--json"])
            .run()
            .success()
            .json_value();
        (r["status"] != "running").then_some(r)
    });
    eprintln!("most disk use of the capture while running: {most} bytes");
    assert_eq!(finished["status"], "succeeded", "{finished}");
    assert!(most > 0, "the capture file was never seen");
    assert!(
        most < 24 << 20,
        "capture used {most} bytes on disk while running"
    );
    let saved = std::fs::read(dir.join("out.bin")).unwrap();
    let cap = 16usize << 20;
    assert!(
        saved.len() > cap && saved.len() < cap + 200,
        "{}",
        saved.len()
    );
    let marker = String::from_utf8_lossy(&saved[cap..]).into_owned();
    assert!(
        marker.contains("output truncated at 16777216 bytes"),
        "{marker}"
    );
    Piar::new().args(["rm", &name, "--purge"]).run().success();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stdout_and_stderr_are_kept_and_told_apart() {
    let mut cases = Cases::default();
    let name = unique("agent-streams");
    let dir = std::path::PathBuf::from(format!("/var/lib/piar/artifacts/{name}"));
    // A failing run with output: stdout goes to the capture, a 6000-byte line to stderr.
    Piar::new()
        .args(["submit", "--name", &name, "--manual"])
        .args(["--output", "{{ job }}/out.txt", "--"])
        .args([
            "sh",
            "-c",
            "echo out-line; head -c 6000 /dev/zero | tr '\\0' e >&2; echo >&2; exit 3",
        ])
        .run()
        .success();
    let rec = Piar::new()
        .args(["run", "--wait", "--json", &name])
        .run()
        .code(3)
        .json_value();
    cases.add("piar run --wait (failed, output)", "run.json", rec.clone());
    let id = rec["id"].as_str().unwrap().to_string();
    assert_eq!(rec["status"], "failed", "{rec}");
    let note = dir.join("out.txt.failed");
    assert_eq!(rec["output"]["artifact"], note.to_str().unwrap(), "{rec}");
    // The failed run's stdout is kept, not lost.
    let kept = std::fs::read_to_string(dir.join("out.txt.failed.stdout")).unwrap();
    assert_eq!(kept, "out-line\n");
    let tail = rec["output"]["tail"].as_array().unwrap();
    let stream = |s: &str| {
        tail.iter()
            .find(|t| t["stream"] == s)
            .unwrap_or_else(|| panic!("no {s} tail in {rec}"))["text"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(stream("stdout"), "out-line\n");
    assert!(!stream("stderr").contains("out-line"), "{rec}");
    // logs --json: stream and run id on every line; the long line is whole.
    let logs = poll_until("the long stderr line in the journal", WAIT, || {
        let out = Piar::new()
            .args(["logs", &name, "--run", &id, "--json"])
            .run()
            .success()
            .stdout;
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        lines
            .iter()
            .any(|l| l["message"].as_str().is_some_and(|m| m.len() == 6000))
            .then_some(lines)
    });
    for l in &logs {
        assert_eq!(l["run_id"], id.as_str(), "{l}");
        cases.add("piar logs --run --json", "log-line.json", l.clone());
    }
    let long = logs
        .iter()
        .find(|l| l["message"].as_str().is_some_and(|m| m.len() == 6000))
        .unwrap();
    assert_eq!(long["stream"], "stderr", "{long}");
    assert!(
        logs.iter().any(|l| l["stream"] == "piar"),
        "the trigger's own lines carry the run id too: {logs:?}"
    );
    Piar::new().args(["rm", &name, "--purge"]).run().success();
    let _ = std::fs::remove_dir_all(&dir);
    cases.check();
}
