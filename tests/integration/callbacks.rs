//! Callbacks against a real receiver on 127.0.0.1 that verifies signatures with the official
//! `standardwebhooks` library from PyPI (tests/callback_receiver.py), not piar's own code.
//!
//! The receiver needs a Python with `standardwebhooks`: `$PIAR_TEST_PYTHON`, else
//! `<target>/venv/bin/python3` (`.ci/run` creates it). Without it these tests FAIL.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{Piar, TestUser, journal, piar_bin, poll_until, unique};

const RECEIVER: &str = include_str!("../callback_receiver.py");

/// The Python that has `standardwebhooks`; panics with instructions if there is none.
fn python() -> PathBuf {
    let candidate = std::env::var_os("PIAR_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // <target>/debug/piar -> <target>/venv/bin/python3
            let bin = piar_bin();
            let target = bin.parent().and_then(|p| p.parent()).unwrap();
            target.join("venv/bin/python3")
        });
    let ok = Command::new(&candidate)
        .args(["-c", "import standardwebhooks"])
        .stdin(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "callback tests need Python with the `standardwebhooks` package at {} (or set \
         PIAR_TEST_PYTHON): python3 -m venv <target>/venv && <target>/venv/bin/pip install \
         standardwebhooks (.ci/run does this)",
        candidate.display()
    );
    candidate
}

/// A running receiver; killed (by its PID) on drop.
struct Receiver {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Receiver {
    fn start(secret: &str, responses: &str) -> Receiver {
        Receiver::start_on(secret, responses, 0)
    }

    /// Start on `port` (0: any free port).
    fn start_on(secret: &str, responses: &str, port: u16) -> Receiver {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("receiver.py");
        std::fs::write(&script, RECEIVER).unwrap();
        std::fs::write(dir.path().join("secret"), secret).unwrap();
        let port_file = dir.path().join("port");
        let child = Command::new(python())
            .arg(&script)
            .arg(dir.path().join("secret"))
            .arg(dir.path().join("log"))
            .arg(&port_file)
            .arg(responses)
            .arg(port.to_string())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let port = poll_until("the receiver's port", Duration::from_secs(10), || {
            std::fs::read_to_string(&port_file)
                .ok()?
                .trim()
                .parse()
                .ok()
        });
        Receiver { child, dir, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("log"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh generated secret named after the test; returns (name, value).
fn new_secret(prefix: &str) -> (String, String) {
    let name = unique(prefix);
    let out = Piar::new()
        .args(["secret", "set", "--generate", &name])
        .run()
        .success();
    let value = out.stdout.trim().to_string();
    assert!(value.starts_with("whsec_"), "{value}");
    (name, value)
}

fn submit_with_callback(name: &str, url: &str, secret: &str, extra: &[&str]) {
    Piar::new()
        .args(["submit", "--name", name, "--manual", "--callback", url])
        .args(["--callback-secret", secret])
        .args(extra)
        .args(["--", "sh", "-c", "echo callback-output-line"])
        .run()
        .success();
}

fn deliveries(job: &str) -> Vec<Value> {
    let v: Value = Piar::new()
        .args(["callbacks", "--json"])
        .run()
        .success()
        .json();
    v.as_array()
        .unwrap()
        .iter()
        .filter(|d| d["job"] == job)
        .cloned()
        .collect()
}

#[test]
fn run_delivers_a_verified_payload_and_the_secret_stays_hidden() {
    let (secret, value) = new_secret("cbsecret");
    let rx = Receiver::start(&value, "200");
    let name = unique("cb-ok");
    submit_with_callback(&name, &rx.url(), &secret, &["--meta", "owner=ops"]);
    Piar::new().args(["run", "--wait", &name]).run().success();

    let reqs = poll_until("the callback", Duration::from_secs(30), || {
        let r = rx.requests();
        (!r.is_empty()).then_some(r)
    });
    let req = &reqs[0];
    assert_eq!(req["valid"], true, "standardwebhooks rejected it: {req}");
    assert_eq!(
        req["headers"]["user-agent"],
        format!("piar/{}", env!("CARGO_PKG_VERSION"))
    );
    let body: Value = serde_json::from_str(req["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["type"], "job.completed");
    assert_eq!(body["data"]["job"], name.as_str());
    assert_eq!(body["data"]["status"], "succeeded");
    assert_eq!(body["data"]["exit_code"], 0);
    assert_eq!(body["data"]["metadata"]["owner"], "ops");
    let d = deliveries(&name);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["state"], "delivered");
    assert_eq!(d[0]["id"], req["id"]);

    // The value is in the secrets file only: not in units, manifest, or the journal.
    let unit = std::fs::read_to_string(format!("/etc/systemd/system/piar-{name}.service")).unwrap();
    assert!(!unit.contains(&value));
    let manifest = std::fs::read_to_string(format!("/var/lib/piar/jobs/{name}.toml")).unwrap();
    assert!(manifest.contains(&secret) && !manifest.contains(&value));
    assert!(!journal(&["--since", "-5min"]).contains(&value));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(format!("/var/lib/piar/secrets/{secret}"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn server_error_is_retried_by_a_timer_with_the_same_id() {
    let (secret, value) = new_secret("cbsecret");
    let rx = Receiver::start(&value, "500,200");
    let name = unique("cb-retry");
    submit_with_callback(&name, &rx.url(), &secret, &["--callback-on", "success"]);
    Piar::new().args(["run", "--wait", &name]).run().success();

    // First attempt inline (500), the second from the retry timer about 5 s later.
    let reqs = poll_until("the retried callback", Duration::from_secs(40), || {
        let r = rx.requests();
        (r.len() >= 2).then_some(r)
    });
    assert_eq!(reqs[0]["answered"], 500);
    assert_eq!(reqs[1]["answered"], 200);
    assert_eq!(reqs[0]["id"], reqs[1]["id"], "webhook-id must be stable");
    assert!(reqs.iter().all(|r| r["valid"] == true), "{reqs:?}");
    let d = poll_until("delivered state", Duration::from_secs(10), || {
        let d = deliveries(&name);
        (d.first()?["state"] == "delivered").then_some(d)
    });
    assert_eq!(d[0]["attempts"].as_array().unwrap().len(), 2);
    // The secret never reaches a process's argv: the retry ran `callback deliver <id>`.
    let cmdlines: String = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    assert!(!cmdlines.contains(&value));
}

#[test]
fn gone_stops_and_retry_redelivers_a_dead_letter() {
    let (secret, value) = new_secret("cbsecret");
    let rx = Receiver::start(&value, "410,200");
    let name = unique("cb-gone");
    submit_with_callback(&name, &rx.url(), &secret, &[]);
    Piar::new().args(["run", "--wait", &name]).run().success();
    let d = poll_until("gone state", Duration::from_secs(30), || {
        let d = deliveries(&name);
        (d.first()?["state"] == "gone").then_some(d)
    });
    assert_eq!(d[0]["attempts"].as_array().unwrap().len(), 1);
    let failed: Value = Piar::new()
        .args(["callbacks", "--failed", "--json"])
        .run()
        .success()
        .json();
    assert!(
        failed
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == d[0]["id"])
    );
    // No retry timer was armed; a manual retry delivers it (answer 200).
    let id = d[0]["id"].as_str().unwrap().to_string();
    Piar::new()
        .args(["callbacks", "retry", &id])
        .run()
        .success();
    let d = deliveries(&name);
    assert_eq!(d[0]["state"], "delivered");
    assert_eq!(rx.requests().len(), 2);
}

#[test]
fn verify_accepts_the_known_vector_shape_and_rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("s");
    std::fs::write(&secret_file, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    // The known vector is from 2021: outside the 5-minute tolerance, so rejected.
    let out = Piar::new()
        .args(["verify", "--secret-file"])
        .arg(&secret_file)
        .args([
            "--id",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "--timestamp",
            "1614265330",
        ])
        .args([
            "--signature",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        ])
        .stdin(r#"{"test": 2432232314}"#)
        .run()
        .code(1);
    assert!(out.stderr.contains("tolerance"), "{}", out.stderr);

    // A signature made now by the reference library verifies; a changed body does not.
    let signed = Command::new(python())
        .args([
            "-c",
            "import datetime,sys; from standardwebhooks.webhooks import Webhook; \
             t=datetime.datetime.now(tz=datetime.timezone.utc); \
             print(int(t.timestamp()), Webhook(sys.argv[1]).sign('msg_1', t, '{\"a\": 1}'))",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(signed.stdout).unwrap();
    let (ts, sig) = text.trim().split_once(' ').unwrap();
    let verify = |body: &str| {
        Piar::new()
            .args(["verify", "--secret-file"])
            .arg(&secret_file)
            .args(["--id", "msg_1", "--timestamp", ts, "--signature", sig])
            .stdin(body)
            .run()
    };
    verify(r#"{"a": 1}"#).success();
    verify(r#"{"a": 2}"#).code(1);
}

/// A port nothing listens on right now (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn receiver_outage_loses_nothing_even_without_the_retry_timer() {
    let (secret, value) = new_secret("cbsecret");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let name = unique("cb-outage");
    submit_with_callback(&name, &url, &secret, &[]);
    Piar::new().args(["run", "--wait", &name]).run().success();
    let d = deliveries(&name);
    assert_eq!(d[0]["state"], "pending", "{d:?}");
    let id = d[0]["id"].as_str().unwrap().to_string();
    assert!(
        d[0]["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("refused")
    );
    // Lose the retry timer, as a reboot would: the outbox entry must still be delivered.
    let stop = Command::new("systemctl")
        .args(["stop", &format!("{}-*.timer", cb_stem(&name, &id))])
        .status()
        .unwrap();
    assert!(stop.success());
    let rx = Receiver::start_on(&value, "200", port);
    let armed: Value = Piar::new()
        .args(["callback", "rearm", "--json"])
        .run()
        .success()
        .json();
    // Runs of other jobs (tests in parallel) also re-arm lost deliveries, so
    // ours may have been re-armed already; either way it must now have a
    // retry timer again, and be delivered.
    assert!(armed.is_array(), "{armed}");
    let timers = Command::new("systemctl")
        .args([
            "list-units",
            "--all",
            "--plain",
            "--no-legend",
            &format!("{}-*", cb_stem(&name, &id)),
        ])
        .output()
        .unwrap();
    let delivered = deliveries(&name)
        .first()
        .is_some_and(|d| d["state"] == "delivered");
    assert!(
        delivered || !String::from_utf8_lossy(&timers.stdout).trim().is_empty(),
        "no retry timer re-armed for {id}: {armed}"
    );
    let reqs = poll_until("the re-armed delivery", Duration::from_secs(30), || {
        let r = rx.requests();
        (!r.is_empty()).then_some(r)
    });
    assert_eq!(reqs[0]["id"], id.as_str());
    assert_eq!(reqs[0]["valid"], true);
    poll_until("delivered state", Duration::from_secs(10), || {
        (deliveries(&name).first()?["state"] == "delivered").then_some(())
    });
}

#[test]
fn wait_and_result_poll_for_runs() {
    let name = unique("cb-wait");
    Piar::new()
        .args(["submit", "--name", &name, "--manual", "--meta", "k=v"])
        .args(["--", "sh", "-c", "sleep 1; exit 3"])
        .run()
        .success();
    // Nothing runs: the timeout ends the wait with exit 75.
    Piar::new()
        .args(["wait", &name, "--timeout", "1s"])
        .run()
        .code(75);
    let waiter = {
        let name = name.clone();
        std::thread::spawn(move || {
            Piar::new()
                .args(["wait", &name, "--timeout", "40s", "--json"])
                .run()
        })
    };
    // Give `wait` time to note the existing runs (none) before the run starts.
    poll_until("the waiter to start", Duration::from_secs(10), || {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
            .any(|c| String::from_utf8_lossy(&c).contains(&format!("wait\0{name}")))
            .then_some(())
    });
    Piar::new().args(["run", &name]).run().success();
    let out = waiter.join().unwrap().code(3);
    let rec = out.json_value();
    assert_eq!(rec["status"], "failed");
    let run_id = rec["id"].as_str().unwrap().to_string();

    let data = Piar::new()
        .args(["result", &run_id, "--json"])
        .run()
        .success()
        .json_value();
    assert_eq!(data["job"], name.as_str());
    assert_eq!(data["exit_code"], 3);
    assert_eq!(data["metadata"]["k"], "v");
    // Same shape as a callback's data: exactly the documented keys.
    let mut keys: Vec<&str> = data
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
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
            "unit"
        ]
    );
    // A finished run: wait returns at once with its status.
    Piar::new().args(["wait", &run_id]).run().code(3);
    Piar::new()
        .args(["result", "20000101-000000-0000"])
        .run()
        .code(3);
}

#[test]
fn slow_receiver_hits_the_attempt_timeout() {
    let (secret, value) = new_secret("cbsecret");
    let rx = Receiver::start(&value, "slow");
    let name = unique("cb-slow");
    submit_with_callback(
        &name,
        &rx.url(),
        &secret,
        &["--callback-timeout", "1s", "--callback-attempts", "1"],
    );
    Piar::new().args(["run", "--wait", &name]).run().success();
    let d = poll_until("the dead letter", Duration::from_secs(30), || {
        let d = deliveries(&name);
        (d.first()?["state"] == "dead").then_some(d)
    });
    let attempt = &d[0]["attempts"][0];
    assert!(
        attempt["error"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("timeout")
            || attempt["error"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("timed out"),
        "{attempt}"
    );
    assert!(attempt["duration_ms"].as_u64().unwrap() < 4000, "{attempt}");
}

#[test]
fn pi_agent_runner_compat_sends_its_headers_and_body_fields() {
    let (secret, value) = new_secret("cbsecret");
    let rx = Receiver::start(&value, "200");
    let name = unique("cb-compat");
    Piar::new()
        .args([
            "submit",
            "--name",
            &name,
            "--manual",
            "--callback",
            &rx.url(),
        ])
        .args(["--callback-secret", &secret])
        .args(["--callback-compat", "pi-agent-runner"])
        .args(["--", "sh", "-c", "exit 4"])
        .run()
        .success();
    Piar::new().args(["run", "--wait", &name]).run().code(4);
    let reqs = poll_until("the compat callback", Duration::from_secs(30), || {
        let r = rx.requests();
        (!r.is_empty()).then_some(r)
    });
    let req = &reqs[0];
    // Both signatures verify: Standard Webhooks (official library) and the
    // X-Runner-Signature hex HMAC (checked by the receiver with Python's hmac).
    assert_eq!(req["valid"], true, "{req}");
    assert_eq!(req["compat_valid"], true, "{req}");
    assert_eq!(req["headers"]["x-runner-event"], "job.failed");
    let ts = req["headers"]["x-runner-timestamp"].as_str().unwrap();
    assert!(ts.parse::<i64>().is_ok(), "unix seconds: {ts}");
    let body: Value = serde_json::from_str(req["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["event"], "job.failed");
    assert_eq!(body["jobType"], name.as_str());
    assert_eq!(body["status"], "failed");
    assert_eq!(body["jobId"], body["data"]["id"]);
    assert_eq!(body["startedAt"], body["data"]["started_at"]);
    assert_eq!(body["finishedAt"], body["data"]["finished_at"]);
    assert_eq!(body["error"], "exited with status 4");
    assert_eq!(body["attemptsMade"], 1);
    assert!(body["summary"].as_str().unwrap().starts_with(&name));
    // piar's own shape is still there for Standard Webhooks receivers.
    assert_eq!(body["type"], "job.failed");
    assert_eq!(body["data"]["exit_code"], 4);
}

#[test]
fn killing_the_helper_mid_delivery_loses_nothing() {
    let (secret, value) = new_secret("cbsecret");
    // The first request hangs for 8 s: long enough to kill the trigger while
    // it waits for the answer. Later requests are answered 200.
    let rx = Receiver::start(&value, "hang,200");
    let name = unique("cb-kill");
    submit_with_callback(&name, &rx.url(), &secret, &["--callback-timeout", "20s"]);
    Piar::new().args(["run", &name]).run().success();
    let arrivals = rx.dir.path().join("log.arrivals");
    poll_until(
        "the first attempt in flight",
        Duration::from_secs(30),
        || {
            std::fs::read_to_string(&arrivals)
                .ok()
                .filter(|t| !t.trim().is_empty())
        },
    );
    // The trigger (in `piar run`'s piar-NAME.manual-ID.service) is inside
    // the HTTP request: kill it.
    let trigger = format!("piar-{name}.manual-*.service");
    let killed = Command::new("systemctl")
        .args(["kill", "--signal=SIGKILL", &trigger])
        .status()
        .unwrap();
    assert!(killed.success());
    poll_until("the trigger to be gone", Duration::from_secs(10), || {
        let out = Command::new("systemctl")
            .args([
                "list-units",
                "--plain",
                "--no-legend",
                "--state=active,activating,deactivating",
                &trigger,
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .is_empty()
            .then_some(())
    });
    // The outbox entry was written before the attempt: it is still pending.
    let d = deliveries(&name);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["state"], "pending", "{d:?}");
    let id = d[0]["id"].as_str().unwrap().to_string();
    // The next `piar sync` re-arms it (no retry timer was armed before the kill)...
    let out: Value = Piar::new().args(["sync", "--json"]).run().json_value();
    let rearmed = out["actions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["action"] == "callback-rearmed" && a["detail"] == id.as_str());
    // (a trigger of another test's job may have re-armed it first: then a
    // retry timer for it exists, or it is delivered already).
    if !rearmed {
        let timers = Command::new("systemctl")
            .args(["list-units", "--all", "--plain", "--no-legend"])
            .arg(format!("{}-*", cb_stem(&name, &id)))
            .output()
            .unwrap();
        let state = deliveries(&name)[0]["state"].clone();
        assert!(
            state == "delivered" || !String::from_utf8_lossy(&timers.stdout).trim().is_empty(),
            "delivery {id} neither re-armed nor delivered: {out}"
        );
    }
    // ... and it is delivered with the same webhook-id.
    let reqs = poll_until("the redelivery", Duration::from_secs(40), || {
        let r = rx.requests();
        r.iter()
            .any(|x| x["answered"] == 200 && x["id"] == id.as_str() && r.len() >= 2)
            .then_some(r)
    });
    assert!(
        reqs.iter()
            .all(|r| r["id"] == id.as_str() && r["valid"] == true),
        "{reqs:?}"
    );
    poll_until("delivered state", Duration::from_secs(40), || {
        (deliveries(&name).first()?["state"] == "delivered").then_some(())
    });
}

#[test]
fn user_scope_callback_is_delivered_and_verified() {
    let user = TestUser::get();
    let as_user = || Piar::new().user(Some(user));
    let secret = unique("cbusersecret");
    let value = as_user()
        .args(["secret", "set", "--generate", &secret])
        .run()
        .success()
        .stdout
        .trim()
        .to_string();
    assert!(value.starts_with("whsec_"), "{value}");
    // The secret lives in the user's state dir, 0600, owned by the user.
    let file = user
        .home
        .join(format!(".local/state/piar/secrets/{secret}"));
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
        0o600
    );
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), user.uid);

    let rx = Receiver::start(&value, "500,200");
    let name = unique("cb-user");
    as_user()
        .args([
            "submit",
            "--name",
            &name,
            "--manual",
            "--callback",
            &rx.url(),
        ])
        .args(["--callback-secret", &secret])
        .args(["--", "sh", "-c", "echo user-callback"])
        .run()
        .success();
    as_user().args(["run", "--wait", &name]).run().success();
    // 500 first, then the user manager's retry timer delivers it.
    let reqs = poll_until("the retried user callback", Duration::from_secs(40), || {
        let r = rx.requests();
        (r.len() >= 2).then_some(r)
    });
    assert_eq!(reqs[0]["answered"], 500);
    assert_eq!(reqs[1]["answered"], 200);
    assert_eq!(reqs[0]["id"], reqs[1]["id"]);
    assert!(reqs.iter().all(|r| r["valid"] == true), "{reqs:?}");
    let body: Value = serde_json::from_str(reqs[1]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["data"]["job"], name.as_str());
    assert_eq!(body["data"]["status"], "succeeded");
    poll_until(
        "delivered state in user scope",
        Duration::from_secs(10),
        || {
            let v: Value = as_user()
                .args(["callbacks", "--json"])
                .run()
                .success()
                .json();
            v.as_array()?
                .iter()
                .any(|d| d["job"] == name.as_str() && d["state"] == "delivered")
                .then_some(())
        },
    );
    // Nothing of it in system scope.
    assert!(deliveries(&name).is_empty());
    as_user().args(["rm", &name, "--purge"]).run().success();
}

/// The unit-name stem of delivery `id`'s attempts: `piar-<job>.cb-<run-id>-<event>`.
fn cb_stem(name: &str, id: &str) -> String {
    let key = id.strip_prefix(&format!("piar-{name}-")).unwrap();
    format!("piar-{name}.cb-{key}")
}
