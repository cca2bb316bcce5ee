//! Templated input and artifacts against the box's real systemd, system
//! scope: strict template errors at submit, stdin rendered per run,
//! --template-args, --output artifacts and failure notes, scheduled_for of a
//! timer-started run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::{Piar, poll_until, unique};

const WAIT: Duration = Duration::from_secs(30);

fn rm(name: &str) {
    Piar::new().args(["rm", name, "--purge"]).run().success();
}

fn manifest(name: &str) -> PathBuf {
    PathBuf::from(format!("/var/lib/piar/jobs/{name}.toml"))
}

fn service(name: &str) -> PathBuf {
    PathBuf::from(format!("/etc/systemd/system/piar-{name}.service"))
}

fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `piar run --wait --json NAME` (expecting exit `code`): the run record.
fn run_wait(name: &str, code: i32) -> serde_json::Value {
    Piar::new()
        .args(["run", "--wait", "--json", name])
        .run()
        .code(code)
        .json_value()
}

/// No capture file (`.NAME.piar-RUN.part`) is left in `dir`.
fn assert_no_capture_left(dir: &Path) {
    let left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(left.is_empty(), "capture files left in {dir:?}: {left:?}");
}

#[test]
fn strict_template_errors_at_submit_write_nothing() {
    let name = unique("tmpl-bad");
    let submit = |extra: &[&str], cmd: &[&str]| {
        let out = Piar::new()
            .args(["submit", "--name", &name, "--manual"])
            .args(extra)
            .arg("--")
            .args(cmd)
            .run()
            .code(2);
        assert!(!manifest(&name).exists(), "manifest written: {extra:?}");
        assert!(!service(&name).exists(), "unit written: {extra:?}");
        out.stderr
    };
    // An undefined variable, named with its field and line.
    let err = submit(
        &["--stdin", "Brief for {{ date }}\n{{ vars.topic }}\n"],
        &["cat"],
    );
    assert!(err.contains("stdin: line 2:"), "{err}");
    assert!(err.contains("vars.topic"), "{err}");
    assert!(err.contains("--var"), "hint: {err}");
    // Also inside a branch that would not run today.
    let err = submit(
        &["--stdin", "{% if false %}{{ metadata.owner }}{% endif %}"],
        &["cat"],
    );
    assert!(err.contains("metadata.owner"), "{err}");
    // A syntax error in a --stdin-file.
    let dir = tempfile::tempdir_in("/var/lib").unwrap();
    let file = dir.path().join("prompt.txt");
    std::fs::write(&file, "one\ntwo {{ date \nthree\n").unwrap();
    let err = submit(&["--stdin-file", file.to_str().unwrap()], &["cat"]);
    assert!(err.contains("stdin: line"), "{err}");
    assert!(err.contains("syntax error"), "{err}");
    // --template-args: the arguments are checked too.
    let err = submit(&["--template-args"], &["echo", "{{ nope }}"]);
    assert!(err.contains("command[1]:"), "{err}");
    assert!(err.contains("nope"), "{err}");
    // An output path that a variable makes escape its directory.
    let err = submit(
        &["--var", "d=../../etc", "--output", "{{ vars.d }}/passwd"],
        &["true"],
    );
    assert!(err.contains("output:") && err.contains(".."), "{err}");
    // Unknown variables with --json: one error object, exit 2.
    let out = Piar::new()
        .args(["submit", "--json", "--name", &name, "--manual"])
        .args(["--stdin", "{{ when }}", "--", "cat"])
        .run()
        .code(2);
    let e: serde_json::Value = serde_json::from_str(out.stderr.trim()).unwrap();
    assert_eq!(e["error"]["code"], "invalid");
    assert!(!manifest(&name).exists());
}

#[test]
fn stdin_is_rendered_per_run_and_stdout_saved_as_artifact() {
    let name = unique("tmpl-stdin");
    Piar::new()
        .args(["submit", "--name", &name, "--manual"])
        .args(["--meta", "owner=ops", "--var", "topic=weather"])
        .args([
            "--stdin",
            "Write the {{ vars.topic }} brief for {{ date }} ({{ job }}, run {{ run_id }}, \
             owner {{ metadata.owner }})\n",
        ])
        .args(["--output", "{{ job }}/{{ run_id }}.md"])
        .args(["--", "cat"])
        .run()
        .success();
    // The manifest keeps the template text, not a rendering.
    let text = read(manifest(&name));
    assert!(text.contains("{{ vars.topic }}"), "{text}");
    assert!(text.contains("topic = \"weather\""), "{text}");

    let dir = PathBuf::from(format!("/var/lib/piar/artifacts/{name}"));
    let mut seen = Vec::new();
    for _ in 0..2 {
        let rec = run_wait(&name, 0);
        let run_id = rec["id"].as_str().unwrap().to_string();
        let artifact = dir.join(format!("{run_id}.md"));
        assert_eq!(
            rec["output"]["artifact"],
            artifact.to_str().unwrap(),
            "{rec}"
        );
        // A manual run was not scheduled.
        assert!(rec["scheduled_for"].is_null(), "{rec}");
        // `date` is in the job's zone: the system zone for a --manual job.
        let started: jiff::Timestamp = rec["started_at"].as_str().unwrap().parse().unwrap();
        let date = started
            .to_zoned(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%d")
            .to_string();
        assert_eq!(
            read(&artifact),
            format!("Write the weather brief for {date} ({name}, run {run_id}, owner ops)\n")
        );
        seen.push(run_id);
    }
    assert_ne!(seen[0], seen[1], "each run renders its own run_id");
    assert_no_capture_left(&dir);
    rm(&name);
}

#[test]
fn template_args_and_absolute_output() {
    let name = unique("tmpl-args");
    let out_dir = PathBuf::from(format!("/srv/piar-test/{name}"));
    Piar::new()
        .args(["submit", "--name", &name, "--manual", "--template-args"])
        .args(["--var", "who=world"])
        .arg("--output")
        .arg(format!("{}/{{{{ vars.who }}}}.txt", out_dir.display()))
        .args([
            "--",
            "printf",
            "%s|%s|%s",
            "{{ job }}",
            "hello {{ vars.who }}",
        ])
        .arg("$HOME {{ '%' }}s")
        .run()
        .success();
    let rec = run_wait(&name, 0);
    let artifact = out_dir.join("world.txt");
    assert_eq!(rec["output"]["artifact"], artifact.to_str().unwrap());
    assert_eq!(read(&artifact), format!("{name}|hello world|$HOME %s"));
    // The record shows the argv that ran: rendered, argv[0] resolved.
    let argv: Vec<String> = serde_json::from_value(rec["command"].clone()).unwrap();
    assert_eq!(argv[1..], ["%s|%s|%s", &name, "hello world", "$HOME %s"]);
    assert!(argv[0].ends_with("/printf"), "{argv:?}");
    // A second run replaces the artifact atomically.
    run_wait(&name, 0);
    assert_eq!(read(&artifact), format!("{name}|hello world|$HOME %s"));
    assert_no_capture_left(&out_dir);
    rm(&name);
    std::fs::remove_dir_all(&out_dir).unwrap();
}

#[test]
fn failed_run_writes_a_failure_note_instead() {
    let name = unique("tmpl-fail");
    Piar::new()
        .args(["submit", "--name", &name, "--manual"])
        .args(["--output", "{{ job }}.txt", "--stdin", "in\n", "--"])
        .args([
            "sh",
            "-c",
            &format!(
                "cat; test -e /run/piar-fail-{name} || exit 0; echo out-line; \
                 echo err-line-1 >&2; echo err-line-2 >&2; exit 3"
            ),
        ])
        .run()
        .success();
    let artifact = PathBuf::from(format!("/var/lib/piar/artifacts/{name}.txt"));
    let failed = PathBuf::from(format!("/var/lib/piar/artifacts/{name}.txt.failed"));
    let marker = PathBuf::from(format!("/run/piar-fail-{name}"));

    // First a good run: the artifact is stdin echoed by cat.
    let _ = std::fs::remove_file(&marker);
    run_wait(&name, 0);
    assert_eq!(read(&artifact), "in\n");

    // Then a failing run: the artifact stays, the note appears.
    std::fs::write(&marker, "").unwrap();
    let rec = run_wait(&name, 3);
    assert_eq!(rec["status"], "failed");
    assert_eq!(rec["output"]["artifact"], failed.to_str().unwrap());
    assert_eq!(read(&artifact), "in\n", "the last good artifact is kept");
    let note = read(&failed);
    for want in [
        "status: failed",
        "result: exit-code",
        "exit_code: 3",
        "err-line-1",
        "err-line-2",
    ] {
        assert!(
            note.contains(want),
            "{want:?} missing from the note:\n{note}"
        );
    }
    assert!(!note.contains("out-line"), "stdout is not stderr:\n{note}");
    // stderr still reaches the journal; stdout went to the file.
    let logs = Piar::new().args(["logs", &name]).run().success().stdout;
    assert!(logs.contains("err-line-1"), "{logs}");
    assert!(!logs.contains("out-line"), "{logs}");

    // The next good run removes the stale note.
    std::fs::remove_file(&marker).unwrap();
    let rec = run_wait(&name, 0);
    assert_eq!(rec["output"]["artifact"], artifact.to_str().unwrap());
    assert!(!failed.exists());
    assert_no_capture_left(Path::new("/var/lib/piar/artifacts"));
    rm(&name);
}

#[test]
fn timer_started_run_knows_when_it_was_scheduled() {
    let name = unique("tmpl-sched");
    // Records of an earlier, failed test run under the same name must not count.
    let _ = std::fs::remove_dir_all(format!("/var/lib/piar/runs/{name}"));
    Piar::new()
        .args(["submit", "--name", &name, "--at", "in 3s", "--tz", "UTC"])
        .args(["--stdin", "{{ scheduled_for }} {{ date }}\n"])
        .args(["--output", "{{ run_id }}.txt", "--"])
        .args(["sh", "-c", "cat; echo \"env=$PIAR_SCHEDULED_FOR\""])
        .run()
        .success();
    let rec = poll_until("the timer-started run to finish", WAIT, || {
        let v = Piar::new()
            .args(["show", &name, "--json"])
            .run()
            .success()
            .json_value();
        v["last_runs"]
            .as_array()
            .and_then(|runs| runs.iter().find(|r| r["status"] != "running").cloned())
    });
    assert_eq!(rec["status"], "succeeded", "{rec}");
    let scheduled = rec["scheduled_for"]
        .as_str()
        .unwrap_or_else(|| panic!("no scheduled_for in {rec}"))
        .to_string();
    let due: jiff::Timestamp = scheduled.parse().unwrap();
    let started: jiff::Timestamp = rec["started_at"].as_str().unwrap().parse().unwrap();
    let lag = started.as_millisecond() - due.as_millisecond();
    assert!((0..5000).contains(&lag), "due {due}, started {started}");

    // The artifact: the rendered template (whole seconds, job zone UTC), then the env.
    let first_run = rec["id"].as_str().unwrap().to_string();
    let run_id = first_run.as_str();
    let text = read(format!("/var/lib/piar/artifacts/{run_id}.txt"));
    let secs = jiff::Timestamp::from_second(due.as_second()).unwrap();
    let zoned = secs.to_zoned(jiff::tz::TimeZone::UTC);
    assert_eq!(
        text,
        format!(
            "{} {}\nenv={scheduled}\n",
            zoned.strftime("%Y-%m-%dT%H:%M:%S%:z"),
            zoned.strftime("%Y-%m-%d")
        )
    );
    // The callback data carries it too.
    let data = Piar::new()
        .args(["result", run_id, "--json"])
        .run()
        .success()
        .json_value();
    assert_eq!(data["scheduled_for"], scheduled.as_str());
    assert_eq!(
        data["output"]["artifact"],
        format!("/var/lib/piar/artifacts/{run_id}.txt").as_str()
    );

    // A manual run of the same job: not scheduled; the env falls back to its
    // start. (Once the timer's activation of the service has ended: a start
    // while it is active would join that activation.)
    poll_until("the timer's trigger service to finish", WAIT, || {
        let out = std::process::Command::new("systemctl")
            .args(["is-active", &format!("piar-{name}.service")])
            .output()
            .unwrap();
        let state = String::from_utf8_lossy(&out.stdout).trim().to_string();
        matches!(state.as_str(), "inactive" | "failed").then_some(())
    });
    let rec = run_wait(&name, 0);
    assert!(rec["scheduled_for"].is_null(), "{rec}");
    let run_id = rec["id"].as_str().unwrap();
    let text = read(format!("/var/lib/piar/artifacts/{run_id}.txt"));
    let env_line = text.lines().nth(1).unwrap_or_default();
    let env_time: jiff::Timestamp = env_line.trim_start_matches("env=").parse().unwrap();
    let started: jiff::Timestamp = rec["started_at"].as_str().unwrap().parse().unwrap();
    assert!(
        (started.as_millisecond() - env_time.as_millisecond()).abs() < 5000,
        "{env_time} vs {started}"
    );
    let data = Piar::new()
        .args(["result", run_id, "--json"])
        .run()
        .success()
        .json_value();
    assert!(data["scheduled_for"].is_null(), "{data}");
    rm(&name);
    for id in [first_run, run_id.to_string()] {
        std::fs::remove_file(format!("/var/lib/piar/artifacts/{id}.txt")).unwrap();
    }
}

#[test]
fn user_scope_stdin_and_artifact() {
    let user = crate::support::TestUser::get();
    let as_user = || Piar::new().user(Some(user));
    let name = unique("tmpl-user");
    as_user()
        .args(["submit", "--name", &name, "--manual", "--var", "greet=hi"])
        .args(["--stdin", "{{ vars.greet }} from {{ job }}\n"])
        .args(["--output", "{{ job }}.txt", "--", "cat"])
        .run()
        .success();
    let rec = as_user()
        .args(["run", "--wait", "--json", &name])
        .run()
        .code(0)
        .json_value();
    let artifact = user
        .home
        .join(format!(".local/state/piar/artifacts/{name}.txt"));
    assert_eq!(
        rec["output"]["artifact"],
        artifact.to_str().unwrap(),
        "{rec}"
    );
    assert_eq!(read(&artifact), format!("hi from {name}\n"));
    let meta = std::fs::metadata(&artifact).unwrap();
    assert_eq!(
        std::os::unix::fs::MetadataExt::uid(&meta),
        user.uid,
        "the user owns the artifact"
    );
    as_user().args(["rm", &name, "--purge"]).run().success();
}

/// The "done when", end to end: an agent submits a templated nightly
/// job pending approval; nothing can fire; a person approves it; it runs,
/// writes its artifact; history and result are readable in JSON.
#[test]
fn agent_flow_templated_job_pending_approval_then_approved() {
    let name = unique("agent-brief");
    let submit = |key: &str| {
        Piar::new()
            .args(["--json", "submit", "--name", &name, "--cron", "0 3 * * *"])
            .args([
                "--tz",
                "UTC",
                "--require-approval",
                "--idempotency-key",
                key,
            ])
            .args(["--var", "topic=ops"])
            .args([
                "--stdin",
                "Brief on {{ vars.topic }} for {{ date }} by {{ job }}",
            ])
            .args(["--output", "agent/{{ job }}-{{ date }}.md", "--", "cat"])
            .run()
    };
    let key = unique("agent-key");
    let first = submit(&key).success().json_value();
    assert_eq!(first["approval"], "pending", "{first}");
    // The agent retries its submit: same job, nothing changed.
    let again = submit(&key).success().json_value();
    assert_eq!(again["deduplicated"], true, "{again}");

    // Pending: the timer is neither enabled nor running, and runs are refused.
    let timer = format!("piar-{name}.timer");
    let systemctl = |verb: &str| {
        let out = std::process::Command::new("systemctl")
            .args([verb, &timer])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_ne!(systemctl("is-enabled"), "enabled");
    assert_ne!(systemctl("is-active"), "active");
    Piar::new().args(["run", &name]).run().code(4);
    let listed = Piar::new()
        .args(["--json", "list"])
        .run()
        .success()
        .json_value();
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["state"], "pending-approval", "{row}");

    // A person approves: the timer is armed.
    let decided = Piar::new()
        .args(["--json", "approve", &name])
        .run()
        .success()
        .json_value();
    assert_eq!(decided["approval"]["state"], "approved", "{decided}");
    assert_eq!(systemctl("is-enabled"), "enabled");
    assert_eq!(systemctl("is-active"), "active");

    // It runs (now, instead of waiting for 03:00) and writes its artifact.
    let rec = run_wait(&name, 0);
    assert_eq!(rec["status"], "succeeded", "{rec}");
    let artifact = rec["output"]["artifact"]
        .as_str()
        .expect("an artifact")
        .to_string();
    let date = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    assert!(
        artifact.ends_with(&format!("agent/{name}-{date}.md")),
        "{artifact}"
    );
    assert_eq!(
        read(&artifact),
        format!("Brief on ops for {date} by {name}")
    );

    // History and result, in JSON.
    let history = Piar::new()
        .args(["--json", "history", &name])
        .run()
        .success()
        .json_value();
    assert_eq!(history["runs"][0]["id"], rec["id"], "{history}");
    assert_eq!(history["runs"][0]["output"]["artifact"], artifact.as_str());
    let run_id = rec["id"].as_str().unwrap();
    let result = Piar::new()
        .args(["--json", "result", run_id])
        .run()
        .success()
        .json_value();
    assert_eq!(result["status"], "succeeded");
    assert_eq!(result["output"]["artifact"], artifact.as_str());
    rm(&name);
    let _ = std::fs::remove_file(&artifact);
}
