//! Issue 13, the agent-facing verbs: approval that means something (who may
//! approve, decisions piar records itself, past one-shots), pause until /
//! resume at, list filters, idempotency keys, previews with next runs.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::{Piar, PrivateState, TestUser, poll_until, unique};

const WAIT: Duration = Duration::from_secs(30);

/// The error object piar printed on stderr under `--json`.
fn error_of(stderr: &str) -> Value {
    serde_json::from_str::<Value>(stderr.trim())
        .unwrap_or_else(|e| panic!("stderr is not a JSON error: {e}\n{stderr}"))["error"]
        .clone()
}

fn show(piar: Piar, name: &str) -> Value {
    piar.args(["show", name, "--json"])
        .run()
        .success()
        .json_value()
}

/// A config file readable by the test user, holding `text`.
fn config_file(text: &str) -> std::path::PathBuf {
    let path =
        std::path::PathBuf::from(format!("/var/lib/piar-test-config-{}.toml", unique("cfg")));
    std::fs::write(&path, text).unwrap();
    path
}

fn as_user(user: &TestUser) -> Piar {
    Piar::new().user(Some(user)).arg("--user")
}

#[test]
fn approve_refuses_a_job_that_needs_no_approval() {
    let name = unique("approve-none");
    Piar::new()
        .args(["submit", "--name", &name, "--manual", "--", "true"])
        .run()
        .success();
    let out = Piar::new().args(["--json", "approve", &name]).run().code(4);
    let e = error_of(&out.stderr);
    assert_eq!(e["code"], "conflict", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("does not require approval"),
        "{e}"
    );
    // Nothing was invented: the manifest has no [approval] table, no decision exists.
    let shown = show(Piar::new(), &name);
    assert!(shown["manifest"].get("approval").is_none(), "{shown}");
    assert!(!std::path::Path::new(&format!("/var/lib/piar/approvals/{name}.json")).exists());
    Piar::new().args(["rm", &name, "--purge"]).run().success();
}

#[test]
fn the_submitter_may_not_approve_unless_listed_and_root_always_may() {
    let user = TestUser::get();
    let group = String::from_utf8(
        Command::new("id")
            .args(["-gn", &user.name])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    let a = unique("self-approve");
    let b = unique("self-reject");
    for name in [&a, &b] {
        as_user(user)
            .args(["submit", "--name", name, "--manual", "--require-approval"])
            .args(["--", "true"])
            .run()
            .success();
    }
    let shown = show(as_user(user), &a);
    assert_eq!(shown["state"], "pending-approval", "{shown}");
    assert_eq!(shown["enabled"], false, "pending approval: {shown}");
    assert_eq!(shown["manifest"]["approval"]["submitted_uid"], user.uid);

    // Default rule: the account that submitted it may not approve or reject it.
    let missing = config_file("");
    std::fs::remove_file(&missing).unwrap();
    let out = as_user(user)
        .env("PIAR_CONFIG", &missing)
        .args(["--json", "approve", &a])
        .run()
        .code(6);
    let e = error_of(&out.stderr);
    assert_eq!(e["code"], "permission", "{e}");
    assert!(e["message"].as_str().unwrap().contains("submitted"), "{e}");
    as_user(user)
        .env("PIAR_CONFIG", &missing)
        .args(["reject", &b])
        .run()
        .code(6);

    // A list that does not name the caller: refused too.
    let others = config_file("approvers = [\"root\", \"group:nogroup-piar-none\"]\n");
    as_user(user)
        .env("PIAR_CONFIG", &others)
        .args(["approve", &a])
        .run()
        .code(6);
    // A bad config is invalid input, naming the key.
    let bad = config_file("approvers = \"everyone\"\n");
    let out = as_user(user)
        .env("PIAR_CONFIG", &bad)
        .args(["--json", "approve", &a])
        .run()
        .code(2);
    assert!(out.stderr.contains("approvers"), "{}", out.stderr);
    assert_eq!(show(as_user(user), &a)["state"], "pending-approval");

    // Listed through the user's group: may approve (the list is the whole rule).
    let by_group = config_file(&format!("approvers = [\"group:{group}\"]\n"));
    let v = as_user(user)
        .env("PIAR_CONFIG", &by_group)
        .args(["--json", "approve", &a])
        .run()
        .success()
        .json_value();
    assert_eq!(v["approval"]["state"], "approved", "{v}");
    assert_eq!(v["changed"], true);
    assert_eq!(v["run_started"], false);
    let shown = show(as_user(user), &a);
    assert_ne!(shown["state"], "pending-approval", "{shown}");
    assert_eq!(shown["enabled"], true, "{shown}");
    // Listed by name: may reject.
    let by_name = config_file(&format!("approvers = [\"{}\"]\n", user.name));
    as_user(user)
        .env("PIAR_CONFIG", &by_name)
        .args(["reject", &b, "--reason", "no"])
        .run()
        .success();
    assert_eq!(show(as_user(user), &b)["state"], "rejected");

    // root may always decide, also on a job root submitted itself.
    let c = unique("root-approve");
    Piar::new()
        .args(["submit", "--name", &c, "--manual", "--require-approval"])
        .args(["--", "true"])
        .run()
        .success();
    Piar::new()
        .env("PIAR_CONFIG", &others)
        .args(["approve", &c])
        .run()
        .success();
    for name in [&a, &b] {
        as_user(user).args(["rm", name, "--purge"]).run().success();
    }
    Piar::new().args(["rm", &c, "--purge"]).run().success();
    for f in [others, bad, by_group, by_name] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn a_hand_written_approval_table_approves_nothing() {
    let state = PrivateState::new("handwritten");
    let name = unique("dropin-approved");
    std::fs::write(
        state.dropins().join(format!("{name}.toml")),
        format!(
            "version = 1\nname = \"{name}\"\ncommand = [\"true\"]\n\n[schedule]\nmanual = true\n\n\
             [approval]\nstate = \"approved\"\ndecided_by = \"an-agent\"\n"
        ),
    )
    .unwrap();
    state.piar().args(["sync"]).run().success();
    let shown = show(state.piar(), &name);
    assert_eq!(shown["state"], "pending-approval", "{shown}");
    assert_eq!(shown["enabled"], false, "{shown}");
    assert_eq!(shown["manifest"]["approval"]["state"], "pending", "{shown}");
    state.piar().args(["run", &name]).run().code(4);

    // A person approves the drop-in's job (the decision is not in the drop-in)...
    state.piar().args(["approve", &name]).run().success();
    let decision = state.dir.join(format!("approvals/{name}.json"));
    assert!(
        decision.is_file(),
        "no decision file {}",
        decision.display()
    );
    // ...and a later sync keeps the decision.
    state.piar().args(["sync"]).run().success();
    let shown = show(state.piar(), &name);
    assert_eq!(
        shown["manifest"]["approval"]["state"], "approved",
        "{shown}"
    );
    assert_eq!(shown["enabled"], true, "{shown}");

    // An edited stored manifest approves nothing either.
    let other = unique("edited-approved");
    state
        .piar()
        .args(["submit", "--name", &other, "--manual", "--require-approval"])
        .args(["--", "true"])
        .run()
        .success();
    let path = state.manifest(&other);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("state = \"pending\""), "{text}");
    std::fs::write(
        &path,
        text.replace("state = \"pending\"", "state = \"approved\""),
    )
    .unwrap();
    assert_eq!(show(state.piar(), &other)["state"], "pending-approval");
    state.piar().args(["run", &other]).run().code(4);
    // submit --file with an approved table: only asks for approval.
    let file = state.dir.join("from-file.toml");
    std::fs::write(
        &file,
        "version = 1\ncommand = [\"true\"]\n[schedule]\nmanual = true\n[approval]\nstate = \"approved\"\n",
    )
    .unwrap();
    let third = unique("file-approved");
    let v = state
        .piar()
        .args(["--json", "submit", "--name", &third, "--file"])
        .arg(&file)
        .run()
        .success()
        .json_value();
    assert_eq!(v["approval"], "pending", "{v}");

    // Replacing an approved job that required approval requires it again.
    state.piar().args(["approve", &other]).run().success();
    state
        .piar()
        .args([
            "submit",
            "--name",
            &other,
            "--manual",
            "--replace",
            "--",
            "false",
        ])
        .run()
        .success();
    assert_eq!(show(state.piar(), &other)["state"], "pending-approval");

    std::fs::remove_file(state.dropins().join(format!("{name}.toml"))).unwrap();
    state.piar().args(["sync"]).run().success();
    for n in [&other, &third] {
        state.piar().args(["rm", n, "--purge"]).run().success();
    }
    assert!(!state.dir.join(format!("approvals/{other}.json")).exists());
}

#[test]
fn approving_a_past_one_shot_says_so_and_run_now_runs_it() {
    let name = unique("past-oneshot");
    let at = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3);
    let at_text = at.round(jiff::Unit::Second).unwrap().to_string();
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--at",
            &at_text,
            "--require-approval",
        ])
        .args(["--", "true"])
        .run()
        .success();
    poll_until("the one-shot's time to pass", WAIT, || {
        (jiff::Timestamp::now() > at + jiff::SignedDuration::from_secs(1)).then_some(())
    });
    let out = Piar::new().args(["--json", "approve", &name]).run().code(4);
    let e = error_of(&out.stderr);
    assert!(e["message"].as_str().unwrap().contains("has passed"), "{e}");
    assert!(e["hint"].as_str().unwrap().contains("--run-now"), "{e}");
    assert_eq!(show(Piar::new(), &name)["state"], "pending-approval");
    let v = Piar::new()
        .args(["--json", "approve", &name, "--run-now"])
        .run()
        .success()
        .json_value();
    assert_eq!(v["approval"]["state"], "approved", "{v}");
    assert_eq!(v["run_started"], true, "{v}");
    poll_until("the approved one-shot to run", WAIT, || {
        let h = Piar::new()
            .args(["history", &name, "--json"])
            .run()
            .success()
            .json_value();
        h["runs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["status"] == "succeeded")
            .then_some(())
    });
    Piar::new().args(["rm", &name, "--purge"]).run().success();
}

/// `systemctl is-enabled|is-active UNIT` (system manager).
fn systemctl(verb: &str, unit: &str) -> String {
    let out = Command::new("systemctl")
        .args([verb, unit])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn pause_until_resumes_by_itself_and_resume_at_schedules_it() {
    let mut cases = crate::schemas::Cases::default();
    let name = unique("pause-until");
    let timer = format!("piar-{name}.timer");
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--cron",
            "0 3 * * *",
            "--",
            "true",
        ])
        .run()
        .success();
    let until = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(4);
    let until_text = until.round(jiff::Unit::Second).unwrap().to_string();
    let v = cases.piar("pause.json", &["pause", &name, "--until", &until_text], 0);
    // Running it twice is safe (the armed timer is kept).
    let v2 = cases.piar("pause.json", &["pause", &name, "--until", &until_text], 0);
    assert_eq!(v, v2);
    assert_eq!(v["enabled"], false, "{v}");
    assert_eq!(v["state"], "paused", "{v}");
    assert_eq!(v["next_run"], Value::Null, "{v}");
    assert_eq!(
        v["resume_at"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap(),
        until.round(jiff::Unit::Second).unwrap(),
        "{v}"
    );
    assert_eq!(systemctl("is-enabled", &timer), "disabled");
    // No piar process lives meanwhile: the transient timer resumes it.
    poll_until("the job to resume by itself", WAIT, || {
        (systemctl("is-active", &timer) == "active").then_some(())
    });
    let shown = show(Piar::new(), &name);
    assert_eq!(shown["enabled"], true, "{shown}");
    assert!(shown["manifest"].get("paused_until").is_none(), "{shown}");
    assert_eq!(systemctl("is-enabled", &timer), "enabled");

    // resume --at of a job that is not paused: a conflict.
    cases.piar_error(&["resume", &name, "--at", "in 1h"], 4);
    // An unparsable time names the flag.
    let e = cases.piar_error(&["pause", &name, "--until", "whenever"], 2);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("--until"),
        "{e}"
    );
    assert_eq!(
        systemctl("is-active", &timer),
        "active",
        "a bad --until paused it"
    );

    // pause, then resume --at: stays paused until then; resume cancels the timer.
    let v = cases.piar("pause.json", &["pause", &name], 0);
    assert_eq!(v["resume_at"], Value::Null, "{v}");
    let v = cases.piar("pause.json", &["resume", &name, "--at", "in 1h"], 0);
    assert_eq!(v["enabled"], false, "{v}");
    assert!(v["resume_at"].is_string(), "{v}");
    let pending = Command::new("systemctl")
        .args(["list-units", "--all", "--plain", "--no-legend"])
        .arg(format!("piar-{name}.resume-*.timer"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&pending.stdout).contains(".resume-"),
        "no resume timer armed"
    );
    let v = cases.piar("pause.json", &["resume", &name], 0);
    assert_eq!(v["enabled"], true, "{v}");
    assert_eq!(v["state"], "waiting", "{v}");
    assert!(v["next_run"].is_string(), "{v}");
    assert_eq!(v["resume_at"], Value::Null, "{v}");
    assert_eq!(v["run_started"], false, "{v}");
    poll_until("the resume timer to be stopped", WAIT, || {
        let out = Command::new("systemctl")
            .args(["list-units", "--all", "--plain", "--no-legend"])
            .arg(format!("piar-{name}.resume-*.timer"))
            .output()
            .unwrap();
        (!String::from_utf8_lossy(&out.stdout).contains(".resume-")).then_some(())
    });
    cases.check();
    Piar::new().args(["rm", &name, "--purge"]).run().success();
}

#[test]
fn resuming_an_interval_job_does_not_run_it_unless_now() {
    let name = unique("resume-every");
    Piar::new()
        .args(["submit", "--name", &name, "--every", "1h", "--", "true"])
        .run()
        .success();
    let runs = |name: &str| {
        Piar::new()
            .args(["history", name, "--json"])
            .run()
            .success()
            .json_value()["runs"]
            .as_array()
            .unwrap()
            .len()
    };
    // submit starts the first run of an interval job.
    poll_until("the first run", WAIT, || (runs(&name) == 1).then_some(()));
    Piar::new().args(["pause", &name]).run().success();
    Piar::new().args(["resume", &name]).run().success();
    // Give a wrongly started run time to be recorded, then check none was.
    let t0 = std::time::Instant::now();
    poll_until("3 s without a new run", WAIT, || {
        assert_eq!(runs(&name), 1, "resume ran the job");
        (t0.elapsed() > Duration::from_secs(3)).then_some(())
    });
    let v = Piar::new()
        .args(["--json", "resume", &name, "--now"])
        .run()
        .success()
        .json_value();
    assert_eq!(v["run_started"], true, "{v}");
    poll_until("the --now run", WAIT, || (runs(&name) == 2).then_some(()));
    Piar::new().args(["rm", &name, "--purge"]).run().success();
}

#[test]
fn list_filters_by_state_selector_and_failure_and_sorts_like_names() {
    let mut cases = crate::schemas::Cases::default();
    let state = PrivateState::new("list-filters");
    let piar = || state.piar();
    // Names chosen so directory order and name order are likely to differ.
    let tag = unique("t");
    let (a, b, c, d) = (
        format!("zz-{tag}"),
        format!("aa-{tag}"),
        format!("mm-{tag}"),
        format!("bb-{tag}"),
    );
    piar()
        .args(["submit", "--name", &a, "--manual", "--meta", "owner=agent"])
        .args([
            "--meta",
            "task=1",
            "--idempotency-key",
            &format!("key-{tag}"),
        ])
        .args(["--", "true"])
        .run()
        .success();
    piar()
        .args(["submit", "--name", &b, "--manual", "--meta", "owner=agent"])
        .args(["--meta", "task=2", "--", "true"])
        .run()
        .success();
    piar()
        .args(["submit", "--name", &c, "--manual", "--require-approval"])
        .args(["--meta", "owner=person", "--", "true"])
        .run()
        .success();
    piar()
        .args(["submit", "--name", &d, "--cron", "0 3 * * *", "--", "true"])
        .run()
        .success();
    piar().args(["pause", &d]).run().success();
    // A failed last run for `b`: a record written as the trigger writes it.
    let runs = state.dir.join(format!("runs/{b}"));
    std::fs::create_dir_all(&runs).unwrap();
    std::fs::write(
        runs.join("20260101-000000-abcd.json"),
        serde_json::json!({
            "version": 1, "job": b, "run_id": "20260101-000000-abcd",
            "unit": format!("piar-{b}.run-20260101-000000-abcd.service"),
            "status": "failed", "command": ["true"], "exit_code": 1,
            "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z"
        })
        .to_string(),
    )
    .unwrap();

    let mut list = |args: &[&str]| -> Vec<Value> {
        let mut all = vec!["--json", "list"];
        all.extend_from_slice(args);
        let out = piar().args(&all).run().success().json_value();
        cases.add(&format!("piar {}", all.join(" ")), "list.json", out.clone());
        out.as_array().unwrap().clone()
    };
    let names_of = |rows: &[Value]| -> Vec<String> {
        rows.iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    let all = list(&[]);
    let sorted: Vec<String> = piar()
        .args(["--json", "list", "--names"])
        .run()
        .success()
        .json();
    assert_eq!(
        names_of(&all),
        sorted,
        "list and list --names disagree on order"
    );
    let row_a = all.iter().find(|r| r["name"] == a.as_str()).unwrap();
    assert_eq!(row_a["scope"], "system");
    assert_eq!(row_a["enabled"], true);
    assert_eq!(row_a["metadata"]["owner"], "agent");
    assert_eq!(row_a["idempotency_key"], format!("key-{tag}"));
    let row_c = all.iter().find(|r| r["name"] == c.as_str()).unwrap();
    assert_eq!(row_c["enabled"], false, "pending approval: {row_c}");
    assert_eq!(row_c["idempotency_key"], Value::Null);

    assert_eq!(names_of(&list(&["--state", "paused"])), vec![d.clone()]);
    assert_eq!(
        names_of(&list(&["--state", "paused", "--state", "pending-approval"])),
        {
            let mut v = vec![c.clone(), d.clone()];
            v.sort();
            v
        }
    );
    let mut agents = vec![a.clone(), b.clone()];
    agents.sort();
    assert_eq!(names_of(&list(&["--selector", "owner=agent"])), agents);
    assert_eq!(
        names_of(&list(&["--selector", "owner=agent", "-l", "task=2"])),
        vec![b.clone()]
    );
    assert!(list(&["--selector", "owner=nobody"]).is_empty());
    assert_eq!(names_of(&list(&["--failed"])), vec![b.clone()]);
    // Bad filters name the flag (exit 2).
    let out = piar()
        .args(["--json", "list", "--state", "sleeping"])
        .run()
        .code(2);
    assert!(
        error_of(&out.stderr)["message"]
            .as_str()
            .unwrap()
            .starts_with("--state")
    );
    let out = piar()
        .args(["--json", "list", "--selector", "owner"])
        .run()
        .code(2);
    assert!(
        error_of(&out.stderr)["message"]
            .as_str()
            .unwrap()
            .starts_with("--selector")
    );
    cases.check();
    for n in [&a, &b, &c, &d] {
        piar().args(["rm", n, "--purge"]).run().success();
    }
}

#[test]
fn an_idempotency_key_reused_for_another_request_is_refused_naming_the_job() {
    let mut cases = crate::schemas::Cases::default();
    let key = unique("key");
    let name = unique("idem-at");
    let req = [
        "submit",
        "--name",
        &name,
        "--at",
        "in 2h",
        "--idempotency-key",
        &key,
        "--",
        "true",
    ];
    let first = cases.piar("submit.json", &req, 0);
    assert_eq!(first["deduplicated"], false);
    // A retry a moment later: `in 2h` is another instant, but the same request.
    poll_until("the clock to move on by a second", WAIT, || {
        (jiff::Timestamp::now().as_second()
            > first["next_run"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_second()
                - 7200)
            .then_some(())
    });
    let again = cases.piar("submit.json", &req, 0);
    assert_eq!(again["deduplicated"], true, "{again}");
    assert_eq!(again["name"], name.as_str());
    // Another request with the key: exit 4, the error names the job.
    let e = cases.piar_error(
        &[
            "submit",
            "--name",
            &name,
            "--at",
            "in 3h",
            "--idempotency-key",
            &key,
            "--",
            "true",
        ],
        4,
    );
    assert_eq!(e["error"]["code"], "conflict");
    assert!(
        e["error"]["message"].as_str().unwrap().contains(&name),
        "{e}"
    );
    // show exposes the key (JSON: in the manifest; text: a `key:` line).
    let shown = cases.piar("show.json", &["show", &name], 0);
    assert_eq!(shown["manifest"]["idempotency_key"], key.as_str());
    let text = Piar::new().args(["show", &name]).run().success().stdout;
    assert!(text.contains(&format!("key:         {key}")), "{text}");
    cases.check();
    Piar::new().args(["rm", &name, "--purge"]).run().success();
}

#[test]
fn dry_runs_preview_the_next_runs_as_systemd_computes_them() {
    let mut cases = crate::schemas::Cases::default();
    let name = unique("preview");
    let v = cases.piar(
        "submit-dry-run.json",
        &[
            "submit",
            "--dry-run",
            "--name",
            &name,
            "--cron",
            "0 9 * * 1-5",
            "--tz",
            "UTC",
            "--",
            "true",
        ],
        0,
    );
    let runs = v["next_runs"].as_array().unwrap();
    assert_eq!(runs.len(), 5, "{v}");
    let want = crate::support::parse_systemd_utc(&crate::support::systemd_analyze_next(
        &["Mon..Fri *-*-* 09:00:00 UTC".to_string()],
        None,
    ));
    assert_eq!(
        runs[0]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap(),
        want,
        "{v}"
    );
    assert_eq!(v["next_run"], runs[0]);
    // An interval job runs at once when submitted, then every interval.
    let v = cases.piar(
        "submit-dry-run.json",
        &["submit", "--dry-run", "--every", "1h", "--", "true"],
        0,
    );
    let runs: Vec<jiff::Timestamp> = v["next_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(runs.len(), 5, "{v}");
    assert!(
        (jiff::Timestamp::now() - runs[0]).get_seconds().abs() < 30,
        "{v}"
    );
    assert_eq!((runs[2] - runs[1]).get_seconds(), 3600, "{v}");
    // Manual and pending-approval jobs: nothing runs by itself.
    for extra in [
        &["--manual"][..],
        &["--every", "1h", "--require-approval"][..],
    ] {
        let mut args = vec!["submit", "--dry-run"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--", "true"]);
        let v = cases.piar("submit-dry-run.json", &args, 0);
        assert_eq!(v["next_runs"], serde_json::json!([]), "{v}");
        assert_eq!(v["next_run"], Value::Null, "{v}");
    }
    // edit --dry-run: the runs of the job as edited.
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--cron",
            "0 3 * * *",
            "--tz",
            "UTC",
            "--",
            "true",
        ])
        .run()
        .success();
    let v = cases.piar(
        "edit.json",
        &[
            "edit",
            &name,
            "--dry-run",
            "--cron",
            "30 4 * * *",
            "--tz",
            "UTC",
        ],
        0,
    );
    let want = crate::support::parse_systemd_utc(&crate::support::systemd_analyze_next(
        &["*-*-* 04:30:00 UTC".to_string()],
        None,
    ));
    assert_eq!(
        v["next_runs"][0]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap(),
        want,
        "{v}"
    );
    assert_eq!(v["next_runs"].as_array().unwrap().len(), 5, "{v}");
    let v = cases.piar("edit.json", &["edit", &name, "--timeout", "5m"], 0);
    assert_eq!(v["next_runs"].as_array().unwrap().len(), 5, "{v}");
    assert_eq!(v["next_run"], v["next_runs"][0], "{v}");
    cases.check();
    Piar::new().args(["rm", &name, "--purge"]).run().success();
}

#[test]
fn run_dry_run_renders_a_slot_and_date_backfills_it() {
    let mut cases = crate::schemas::Cases::default();
    let name = unique("backfill");
    let out_dir = format!("/var/lib/piar-test-{name}");
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--cron",
            "0 6 * * *",
            "--tz",
            "UTC",
        ])
        .args(["--stdin", "brief for {{ date }} at {{ scheduled_for }}"])
        .args(["--output", &format!("{out_dir}/{{{{ date }}}}.md")])
        .args(["--template-args", "--", "sh", "-c", "cat; echo {{ date }}"])
        .run()
        .success();
    let v = cases.piar(
        "run-dry-run.json",
        &["run", &name, "--dry-run", "--date", "2026-11-30"],
        0,
    );
    assert_eq!(v["scheduled_for"], "2026-11-30T06:00:00.000Z", "{v}");
    assert_eq!(
        v["stdin"], "brief for 2026-11-30 at 2026-11-30T06:00:00+00:00",
        "{v}"
    );
    assert_eq!(v["output"], format!("{out_dir}/2026-11-30.md"), "{v}");
    assert_eq!(
        v["command"],
        serde_json::json!(["sh", "-c", "cat; echo 2026-11-30"]),
        "{v}"
    );
    let v = cases.piar(
        "run-dry-run.json",
        &[
            "run",
            &name,
            "--dry-run",
            "--scheduled-for",
            "2026-11-29 07:15",
        ],
        0,
    );
    assert_eq!(v["scheduled_for"], "2026-11-29T07:15:00.000Z", "{v}");
    // Nothing ran, nothing was written.
    let h = cases.piar("history.json", &["history", &name], 0);
    assert_eq!(h["runs"], serde_json::json!([]), "{h}");
    assert!(!std::path::Path::new(&out_dir).exists());
    // Bad slots name the flag.
    let e = cases.piar_error(&["run", &name, "--dry-run", "--date", "30.11.2026"], 2);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("--date"),
        "{e}"
    );
    let e = cases.piar_error(&["run", &name, "--scheduled-for", "soon"], 2);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("--scheduled-for"),
        "{e}"
    );

    // A real backfill: the run renders and records the slot.
    let rec = Piar::new()
        .args(["--json", "run", &name, "--date", "2026-11-30", "--wait"])
        .run()
        .success()
        .json_value();
    assert_eq!(rec["status"], "succeeded", "{rec}");
    assert!(
        rec["scheduled_for"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
            == "2026-11-30T06:00:00Z".parse::<jiff::Timestamp>().unwrap(),
        "{rec}"
    );
    let artifact = std::fs::read_to_string(format!("{out_dir}/2026-11-30.md")).unwrap();
    assert_eq!(
        artifact,
        "brief for 2026-11-30 at 2026-11-30T06:00:00+00:002026-11-30\n"
    );
    cases.check();
    Piar::new().args(["rm", &name, "--purge"]).run().success();
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn fail_on_empty_output_records_a_silent_run_as_failed() {
    let name = unique("empty-out");
    let dir = format!("/var/lib/piar-test-{name}");
    let out = format!("{dir}/out.txt");
    // Without --output there is nothing to measure: invalid input naming the field.
    let bad = Piar::new()
        .args([
            "--json",
            "submit",
            "--manual",
            "--fail-on-empty-output",
            "--",
            "true",
        ])
        .run()
        .code(2);
    assert!(
        error_of(&bad.stderr)["message"]
            .as_str()
            .unwrap()
            .starts_with("fail_on_empty_output")
    );
    Piar::new()
        .args(["submit", "--name", &name, "--manual", "--output", &out])
        .args(["--fail-on-empty-output", "--", "true"])
        .run()
        .success();
    let rec = Piar::new()
        .args(["--json", "run", &name, "--wait"])
        .run()
        .code(1)
        .json_value();
    assert_eq!(rec["status"], "failed", "{rec}");
    assert!(
        rec["error"].as_str().unwrap().contains("empty output"),
        "{rec}"
    );
    assert_eq!(rec["output"]["artifact"], format!("{out}.failed"), "{rec}");
    assert!(!std::path::Path::new(&out).exists());
    // Turned off again: the same silent run succeeds.
    Piar::new()
        .args(["edit", &name, "--fail-on-empty-output=false"])
        .run()
        .success();
    let rec = Piar::new()
        .args(["--json", "run", &name, "--wait"])
        .run()
        .success()
        .json_value();
    assert_eq!(rec["status"], "succeeded", "{rec}");
    // A run that writes something is not affected.
    Piar::new()
        .args(["edit", &name, "--fail-on-empty-output", "--", "echo", "hi"])
        .run()
        .success();
    let rec = Piar::new()
        .args(["--json", "run", &name, "--wait"])
        .run()
        .success()
        .json_value();
    assert_eq!(rec["status"], "succeeded", "{rec}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "hi\n");
    Piar::new().args(["rm", &name, "--purge"]).run().success();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_verb_man_page_has_examples_its_json_schema_and_exit_codes() {
    let man = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let mut seen = 0;
    for entry in std::fs::read_dir(&man).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(file.starts_with("piar-") && file.ends_with(".1")) {
            continue;
        }
        seen += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        for section in [".SH EXAMPLES", ".SH \"JSON OUTPUT\"", ".SH \"EXIT STATUS\""] {
            assert!(text.contains(section), "{file} has no {section}");
        }
    }
    assert!(seen >= 20, "only {seen} verb pages");
    let approve = std::fs::read_to_string(man.join("piar-approve.1")).unwrap();
    assert!(
        approve.contains("approve.json"),
        "piar-approve.1 does not name its schema"
    );
    let list = std::fs::read_to_string(man.join("piar-list.1")).unwrap();
    assert!(list.contains("list.json") && list.contains("\\-\\-selector"));
}

#[test]
fn sync_rearms_a_resume_timer_lost_in_a_reboot() {
    let state = PrivateState::new("rearm");
    let (later, soon) = (unique("rearm-later"), unique("rearm-soon"));
    for name in [&later, &soon] {
        state
            .piar()
            .args([
                "submit",
                "--name",
                name,
                "--cron",
                "0 3 * * *",
                "--",
                "true",
            ])
            .run()
            .success();
    }
    let resume_timers = |name: &str| -> String {
        let out = Command::new("systemctl")
            .args([
                "list-units",
                "--all",
                "--plain",
                "--no-legend",
                "--state=active",
            ])
            .arg(format!("piar-{name}.resume-*.timer"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    state
        .piar()
        .args(["pause", &later, "--until", "in 1h"])
        .run()
        .success();
    let soon_at = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3);
    state
        .piar()
        .args(["pause", &soon, "--until"])
        .arg(soon_at.round(jiff::Unit::Second).unwrap().to_string())
        .run()
        .success();
    // A reboot loses transient timers: stop them by hand.
    for name in [&later, &soon] {
        let timers = resume_timers(name);
        let unit = timers
            .split_whitespace()
            .next()
            .expect("a resume timer")
            .to_string();
        assert!(
            Command::new("systemctl")
                .args(["stop", &unit])
                .status()
                .unwrap()
                .success()
        );
        assert!(resume_timers(name).is_empty());
    }
    poll_until("the short pause to pass", WAIT, || {
        (jiff::Timestamp::now() > soon_at + jiff::SignedDuration::from_secs(1)).then_some(())
    });
    let v = state
        .piar()
        .args(["--json", "sync"])
        .run()
        .success()
        .json_value();
    let acts = v["actions"].as_array().unwrap();
    assert!(
        acts.iter()
            .any(|a| a["job"] == later.as_str()
                && a["detail"].as_str().unwrap().contains("re-armed")),
        "{v}"
    );
    assert!(
        acts.iter().any(
            |a| a["job"] == soon.as_str() && a["detail"].as_str().unwrap().contains("resuming")
        ),
        "{v}"
    );
    assert!(resume_timers(&later).contains(".resume-"));
    poll_until("the passed pause to end", WAIT, || {
        (systemctl("is-active", &format!("piar-{soon}.timer")) == "active").then_some(())
    });
    assert_eq!(show(state.piar(), &soon)["enabled"], true);
    assert_eq!(show(state.piar(), &later)["enabled"], false);
    for name in [&later, &soon] {
        state.piar().args(["rm", name, "--purge"]).run().success();
    }
    assert!(resume_timers(&later).is_empty(), "rm left the resume timer");
}
