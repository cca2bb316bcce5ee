//! The HTTP API (`piar serve` / piar-api, docs/api.md), driven with curl in the
//! box: socket activation by the shipped units (the first request starts the
//! service, it exits when idle leaving no piar process, the next request starts
//! it again); bearer tokens (401/403, denials in the journal by name, never the
//! token); every v1 endpoint with the CLI's shapes and errors; the OpenAPI
//! document served at /v1/openapi.json matches the routes the server answers.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Piar, journal, piar_bin, poll_until, require_box, unique};

/// One curl request; (HTTP status, JSON body or Null).
fn curl(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
    extra: &[&str],
) -> (u16, Value) {
    let mut c = Command::new("curl");
    c.args([
        "-sS",
        "--max-time",
        "120",
        "-X",
        method,
        "-o",
        "-",
        "-w",
        "\n%{http_code}",
    ]);
    if let Some(t) = token {
        c.arg("-H").arg(format!("Authorization: Bearer {t}"));
    }
    if let Some(b) = body {
        c.args(["-H", "Content-Type: application/json", "--data-binary"]);
        c.arg(b.to_string());
    }
    for h in extra {
        c.args(["-H", h]);
    }
    c.arg(url);
    let out = c.stdin(Stdio::null()).output().expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", text.as_str()));
    let code: u16 = code.trim().parse().unwrap_or_else(|_| {
        panic!(
            "curl {method} {url}: no status ({}): {text}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn token(name: &str, scope: &str, prefix: Option<&str>) -> String {
    let mut p = Piar::new().args(["--system", "token", "create", name, "--scope", scope]);
    if let Some(pre) = prefix {
        p = p.args(["--jobs", pre]);
    }
    let out = p.arg("--json").run().success();
    out.json_value()["token"].as_str().unwrap().to_string()
}

fn systemctl(args: &[&str]) -> String {
    let out = Command::new("systemctl")
        .args(args)
        .output()
        .expect("systemctl");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Processes running the piar or piar-api binaries under test whose command
/// line contains `marker` (other tests run their own servers and CLIs at the
/// same time: the socket test's service alone has `--idle 3` / `--idle=3`).
fn piar_processes(marker: &[&str]) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    let bins = [piar_bin(), piar_bin().with_file_name("piar-api")];
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(exe) = std::fs::read_link(e.path().join("exe"))
            && bins.contains(&exe)
        {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if marker.iter().any(|m| cmd.contains(m)) {
                found.push((pid, cmd));
            }
        }
    }
    found
}

/// Install the shipped units through `piar api enable --listen` (system scope:
/// the box has no packaged copies, so piar writes them with ExecStart= naming
/// the binary under test), plus a drop-in for a short idle period.
fn enable_api(port: u16, idle: u32) -> Vec<PathBuf> {
    let out = Piar::new()
        .args(["--system", "--json", "api", "enable", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .run()
        .success();
    let v = out.json_value();
    assert_eq!(v["enabled"], json!(true), "{v}");
    let service = Path::new("/etc/systemd/system/piar-api.service");
    let text = std::fs::read_to_string(service).unwrap();
    assert!(
        text.contains(&format!(
            "ExecStart={} --system serve --idle 60",
            piar_bin().display()
        )),
        "{text}"
    );
    let socket = std::fs::read_to_string("/etc/systemd/system/piar-api.socket").unwrap();
    assert!(
        socket.contains(&format!("ListenStream=127.0.0.1:{port}")),
        "{socket}"
    );
    let dir = Path::new("/etc/systemd/system/piar-api.service.d");
    std::fs::create_dir_all(dir).unwrap();
    let dropin = dir.join("test-idle.conf");
    std::fs::write(
        &dropin,
        format!(
            "[Service]\nExecStart=\nExecStart={} --system serve --idle {idle}\n",
            piar_bin().display()
        ),
    )
    .unwrap();
    systemctl(&["daemon-reload"]);
    assert_eq!(systemctl(&["is-active", "piar-api.socket"]), "active");
    vec![dropin]
}

/// The command-line marks of the socket test's service (`piar serve --idle 3`,
/// exec'd as `piar-api --idle=3`).
const IDLE_MARKERS: &[&str] = &["--idle 3", "--idle=3"];

#[test]
fn socket_activation_starts_on_the_first_request_and_exits_when_idle() {
    require_box();
    let port = 18787;
    let extra = enable_api(port, 3);
    let reader = token(&unique("sockread"), "read", None);
    let url = format!("http://127.0.0.1:{port}/v1/jobs");
    // Nothing runs before the first request.
    assert_eq!(systemctl(&["is-active", "piar-api.service"]), "inactive");
    let (code, body) = curl("GET", &url, Some(&reader), None, &[]);
    assert_eq!(code, 200, "{body}");
    assert!(body.is_array(), "{body}");
    let first = systemctl(&["show", "-P", "InvocationID", "piar-api.service"]);
    // The check below can see it: right after the request the server still runs.
    let running = piar_processes(IDLE_MARKERS);
    assert!(
        running.iter().any(|(_, cmd)| cmd.contains("--idle=3")),
        "piar-api of the socket-activated service: {running:?}"
    );
    assert!(!first.is_empty());
    // After the idle period the service is gone, and with it every piar process.
    poll_until(
        "piar-api.service to exit when idle",
        Duration::from_secs(30),
        || (systemctl(&["is-active", "piar-api.service"]) == "inactive").then_some(()),
    );
    poll_until("no piar process", Duration::from_secs(10), || {
        piar_processes(IDLE_MARKERS).is_empty().then_some(())
    });
    // ... and the service's cgroup holds no process at all.
    let cg = Path::new("/sys/fs/cgroup/system.slice/piar-api.service/cgroup.procs");
    assert!(
        std::fs::read_to_string(cg)
            .unwrap_or_default()
            .trim()
            .is_empty(),
        "piar-api.service's cgroup is not empty"
    );
    assert_eq!(
        systemctl(&["show", "-P", "Result", "piar-api.service"]),
        "success"
    );
    // The socket stays and starts it again.
    let (code, _) = curl("GET", &url, Some(&reader), None, &[]);
    assert_eq!(code, 200);
    let second = systemctl(&["show", "-P", "InvocationID", "piar-api.service"]);
    assert_ne!(
        first, second,
        "a new invocation answered the second request"
    );
    // Disable: socket stopped, units removed.
    let out = Piar::new()
        .args(["--system", "--json", "api", "disable"])
        .run()
        .success();
    assert!(out.json_value()["removed"].as_array().unwrap().len() >= 2);
    for f in extra {
        let _ = std::fs::remove_file(f);
    }
    systemctl(&["daemon-reload"]);
    assert_ne!(systemctl(&["is-active", "piar-api.socket"]), "active");
    assert!(!Path::new("/etc/systemd/system/piar-api.socket").exists());
    poll_until(
        "no piar process after disable",
        Duration::from_secs(10),
        || piar_processes(&[]).is_empty().then_some(()),
    );
}

/// `piar serve --listen` in a transient service of the test's own (so its log
/// lines go to the journal as under piar-api.service), stopped at the end.
struct Served {
    unit: String,
    base: String,
}

impl Served {
    fn start(port: u16) -> Served {
        let unit = format!("piar-api-test-{}-{port}.service", std::process::id());
        let status = Command::new("systemd-run")
            .args(["--quiet", "--collect", "--unit", &unit, "--"])
            .arg(piar_bin())
            .args(["--system", "serve", "--idle", "0", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .status()
            .expect("systemd-run piar serve");
        assert!(status.success());
        let base = format!("http://127.0.0.1:{port}");
        poll_until("piar serve to listen", Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port))
                .ok()
                .map(|_| ())
        });
        Served { unit, base }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        systemctl(&["stop", &self.unit]);
    }
}

#[test]
fn refuses_a_non_loopback_listener() {
    require_box();
    let out = Piar::new()
        .args([
            "--system",
            "serve",
            "--idle",
            "1",
            "--listen",
            "0.0.0.0:18799",
        ])
        .run()
        .code(1);
    assert!(
        out.stderr.contains("refusing to serve plain HTTP"),
        "{}",
        out.stderr
    );
    let out = Piar::new()
        .args(["--system", "api", "enable", "--listen", "0.0.0.0:8787"])
        .run()
        .code(2);
    assert!(out.stderr.contains("--listen"), "{}", out.stderr);
}

#[test]
fn every_v1_endpoint_through_curl_with_tokens_and_the_cli_errors() {
    require_box();
    let srv = Served::start(18788);
    let b = srv.base.as_str();
    let tag = unique("apitok");
    let reader = token(&format!("{tag}-r"), "read", None);
    let submitter = token(&format!("{tag}-s"), "submit", None);
    let approver = token(&format!("{tag}-a"), "approve", None);
    let admin = token(&format!("{tag}-x"), "admin", None);
    let limited = token(&format!("{tag}-l"), "submit", Some("botjob-"));

    // 401 / 403, logged by name, never the token.
    assert_eq!(curl("GET", &format!("{b}/v1/jobs"), None, None, &[]).0, 401);
    let (code, e) = curl("GET", &format!("{b}/v1/jobs"), Some("piar_nope"), None, &[]);
    assert_eq!(code, 401);
    assert_eq!(e["error"]["code"], "permission");
    let name = unique("apijob");
    let submit = json!({"name": name, "command": ["sh", "-c", "echo api-run-output"], "manual": true,
                        "description": "via the API", "timeout": "1m"});
    let (code, e) = curl(
        "POST",
        &format!("{b}/v1/jobs"),
        Some(&reader),
        Some(&submit),
        &[],
    );
    assert_eq!(code, 403, "{e}");
    poll_until("the denial in the journal", Duration::from_secs(10), || {
        let j = journal(&["-t", "piar", "--since", "-5min"]);
        j.contains(&format!("token \"{tag}-r\" has scope read"))
            .then_some(j)
    });
    let j = journal(&["--since", "-5min"]);
    assert!(!j.contains(&reader), "a token was logged");

    // openapi.json: served verbatim, no token needed.
    let (code, doc) = curl("GET", &format!("{b}/v1/openapi.json"), None, None, &[]);
    assert_eq!(code, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(doc, file);

    // submit (Idempotency-Key), dedup, list, show, edit.
    let key = format!("Idempotency-Key: {name}-key");
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/jobs"),
        Some(&submitter),
        Some(&submit),
        &[&key],
    );
    assert_eq!(code, 201, "{v}");
    assert_eq!(v["name"], json!(name));
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/jobs"),
        Some(&submitter),
        Some(&submit),
        &[&key],
    );
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["deduplicated"], json!(true));
    let (code, v) = curl(
        "GET",
        &format!("{b}/v1/jobs?prefix={name}"),
        Some(&reader),
        None,
        &[],
    );
    assert_eq!(code, 200);
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    let (code, v) = curl(
        "GET",
        &format!("{b}/v1/jobs/{name}"),
        Some(&reader),
        None,
        &[],
    );
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["description"], "via the API");
    let (code, v) = curl(
        "PATCH",
        &format!("{b}/v1/jobs/{name}"),
        Some(&submitter),
        Some(&json!({"description": "edited"})),
        &[],
    );
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["changed"], json!(true));

    // The CLI's validation and errors, with exit-code statuses.
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/jobs"),
        Some(&submitter),
        Some(&json!({"command": ["true"], "cron": "99 9 * * *"})),
        &[],
    );
    assert_eq!(
        (code, v["error"]["code"].as_str()),
        (400, Some("invalid")),
        "{v}"
    );
    assert!(
        v["error"]["message"].as_str().unwrap().contains("cron"),
        "{v}"
    );
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/jobs"),
        Some(&submitter),
        Some(&json!({"command": ["true"], "manual": true, "bogus": 1})),
        &[],
    );
    assert_eq!(code, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("bogus"),
        "{v}"
    );
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/jobs"),
        Some(&submitter),
        Some(&submit),
        &[],
    );
    assert_eq!(
        (code, v["error"]["exit_code"].as_i64()),
        (409, Some(4)),
        "{v}"
    );
    let (code, _) = curl(
        "GET",
        &format!("{b}/v1/jobs/no-such-job-api"),
        Some(&reader),
        None,
        &[],
    );
    assert_eq!(code, 404);
    let (code, _) = curl(
        "GET",
        &format!("{b}/v1/jobs/Bad!Name"),
        Some(&reader),
        None,
        &[],
    );
    assert_eq!(code, 400);
    let (code, _) = curl("PUT", &format!("{b}/v1/jobs"), Some(&reader), None, &[]);
    assert_eq!(code, 405);

    // run now, wait (long poll), result, history.
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/jobs/{name}/run"),
        Some(&submitter),
        None,
        &[],
    );
    assert_eq!(code, 202, "{v}");
    let run = v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no run id: {v}"))
        .to_string();
    let (code, v) = curl(
        "GET",
        &format!("{b}/v1/runs/{run}/wait?timeout=60"),
        Some(&reader),
        None,
        &[],
    );
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["status"], "succeeded", "{v}");
    let (code, v) = curl(
        "GET",
        &format!("{b}/v1/runs/{run}"),
        Some(&reader),
        None,
        &[],
    );
    assert_eq!(
        (code, v["status"].as_str()),
        (200, Some("succeeded")),
        "{v}"
    );
    let (code, v) = curl(
        "GET",
        &format!("{b}/v1/jobs/{name}/runs?limit=5"),
        Some(&reader),
        None,
        &[],
    );
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["runs"][0]["id"], json!(run), "{v}");
    let (code, _) = curl(
        "GET",
        &format!("{b}/v1/runs/{run}/wait?timeout=9999"),
        Some(&reader),
        None,
        &[],
    );
    assert_eq!(code, 400);

    // pause / resume.
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/jobs/{name}/pause"),
        Some(&submitter),
        None,
        &[],
    );
    assert_eq!(code, 200, "{v}");
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/jobs/{name}/resume"),
        Some(&submitter),
        None,
        &[],
    );
    assert_eq!(code, 200, "{v}");

    // approval: pending job; its submitter cannot approve it, another token can.
    let pending = unique("apipend");
    let body =
        json!({"name": pending, "command": ["true"], "manual": true, "require_approval": true});
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/jobs"),
        Some(&admin),
        Some(&body),
        &[],
    );
    assert_eq!(code, 201, "{v}");
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/jobs/{pending}/run"),
        Some(&admin),
        None,
        &[],
    );
    assert_eq!(code, 409, "pending approval refuses a run: {v}");
    let (code, _) = curl(
        "POST",
        &format!("{b}/v1/jobs/{pending}/approve"),
        Some(&submitter),
        None,
        &[],
    );
    assert_eq!(code, 403, "submit scope cannot approve");
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/jobs/{pending}/approve"),
        Some(&admin),
        None,
        &[],
    );
    assert_eq!(code, 403, "the submitter's token cannot approve: {v}");
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/jobs/{pending}/approve"),
        Some(&approver),
        None,
        &[],
    );
    assert_eq!(code, 200, "{v}");
    let other = unique("apirej");
    let body =
        json!({"name": other, "command": ["true"], "manual": true, "require_approval": true});
    assert_eq!(
        curl(
            "POST",
            &format!("{b}/v1/jobs"),
            Some(&submitter),
            Some(&body),
            &[]
        )
        .0,
        201
    );
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/jobs/{other}/reject"),
        Some(&approver),
        Some(&json!({"reason": "not today"})),
        &[],
    );
    assert_eq!(code, 200, "{v}");

    // A prefix-limited token sees and touches only its jobs.
    let (code, _) = curl(
        "GET",
        &format!("{b}/v1/jobs/{name}"),
        Some(&limited),
        None,
        &[],
    );
    assert_eq!(code, 403);
    let (code, v) = curl("GET", &format!("{b}/v1/jobs"), Some(&limited), None, &[]);
    assert_eq!(code, 200);
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|j| j["name"].as_str().unwrap().starts_with("botjob-")),
        "{v}"
    );
    let (code, _) = curl(
        "POST",
        &format!("{b}/v1/jobs"),
        Some(&limited),
        Some(&submit),
        &[],
    );
    assert_eq!(code, 403);

    // calendar preview.
    let (code, v) = curl(
        "GET",
        &format!("{b}/v1/calendar?cron=0+9+*+*+1-5&tz=UTC&count=3"),
        Some(&reader),
        None,
        &[],
    );
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["next_runs"].as_array().unwrap().len(), 3);
    let (code, _) = curl(
        "GET",
        &format!("{b}/v1/calendar?cron=61+*+*+*+*"),
        Some(&reader),
        None,
        &[],
    );
    assert_eq!(code, 400);

    // delete.
    for job in [&name, &pending, &other] {
        let (code, v) = curl(
            "DELETE",
            &format!("{b}/v1/jobs/{job}?purge=true"),
            Some(&admin),
            None,
            &[],
        );
        assert_eq!(code, 200, "{v}");
    }
    assert_eq!(
        curl(
            "GET",
            &format!("{b}/v1/jobs/{name}"),
            Some(&reader),
            None,
            &[]
        )
        .0,
        404
    );

    // Every path and method of the document is routed (no 404 "no endpoint", no 405).
    for (path, ops) in file["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            if !["get", "post", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let url = format!(
                "{b}{}",
                path.replace("{name}", "no-such-job-api")
                    .replace("{run_id}", "no-such-run")
                    .replace("{id}", "no-such-job-api")
            );
            let (code, v) = curl(&method.to_uppercase(), &url, Some(&reader), None, &[]);
            assert!(
                code != 405
                    && !(code == 404
                        && v["error"]["message"]
                            .as_str()
                            .unwrap_or("")
                            .starts_with("no endpoint")),
                "{method} {path}: {code} {v}"
            );
        }
    }
    for t in ["r", "s", "a", "x", "l"] {
        Piar::new()
            .args(["--system", "token", "rm", &format!("{tag}-{t}")])
            .run()
            .success();
    }
    assert_eq!(
        curl("GET", &format!("{b}/v1/jobs"), Some(&reader), None, &[]).0,
        401,
        "a removed token is refused"
    );
    drop(srv);
}

/// The schemathesis CLI: `<target>/schemathesis-venv` (scripts/test makes it),
/// or next to `PIAR_TEST_PYTHON` (the trixie root's venv).
fn schemathesis() -> PathBuf {
    let candidate = match std::env::var_os("PIAR_TEST_PYTHON") {
        Some(py) => PathBuf::from(py).with_file_name("schemathesis"),
        None => {
            let bin = piar_bin();
            let target = bin.parent().and_then(|p| p.parent()).unwrap();
            target.join("schemathesis-venv/bin/schemathesis")
        }
    };
    assert!(
        candidate.is_file(),
        "the API fuzz test needs schemathesis at {} (scripts/test installs it: \
         python3 -m venv <target>/schemathesis-venv && <target>/schemathesis-venv/bin/pip install schemathesis)",
        candidate.display()
    );
    candidate
}

/// schemathesis generates requests for every operation of docs/openapi.json
/// (examples and fuzzing phases; its coverage phase crashes on this document
/// in schemathesis 4.32 with a KeyError inside the tool) against the live server: no 5xx,
/// every status and body as documented. The tokens are a reader and a
/// submitter limited to jobs named `fz-...`, so the fuzzer's bodies are
/// validated but create no jobs of random commands.
#[test]
fn schemathesis_finds_no_server_error_and_no_undocumented_response() {
    require_box();
    let st = schemathesis();
    let srv = Served::start(18789);
    let tag = unique("fuzztok");
    let reader = token(&format!("{tag}-r"), "read", None);
    let submitter = token(&format!("{tag}-s"), "submit", Some("fz-"));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/schemathesis-report");
    let mut failures = Vec::new();
    for tok in [&reader, &submitter] {
        let out = Command::new(&st)
            .arg("run")
            .arg(format!("{}/v1/openapi.json", srv.base))
            .args(["--header", &format!("Authorization: Bearer {tok}")])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                "--phases",
                "examples,fuzzing",
                "--max-examples",
                "25",
                "--workers",
                "2",
                "--request-timeout",
                "150",
                "--seed",
                "17",
                "--report-dir",
            ])
            .arg(&dir)
            .env("SCHEMATHESIS_HOOKS", "")
            .stdin(Stdio::null())
            .output()
            .expect("run schemathesis");
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        println!("{text}");
        // 🚫 marks an operation schemathesis could not test (an error, not a pass).
        if !out.status.success() || text.contains('\u{1f6ab}') {
            failures.push(text);
        } else {
            // It really exercised the document: every operation was selected.
            assert!(text.contains("21 selected / 21 total"), "{text}");
        }
    }
    for t in ["r", "s"] {
        Piar::new()
            .args(["--system", "token", "rm", &format!("{tag}-{t}")])
            .run()
            .success();
    }
    drop(srv);
    assert!(
        failures.is_empty(),
        "schemathesis failed:\n{}",
        failures.join("\n-----\n")
    );
}

/// `POST /v1/intake/NAME`: a GitHub-signed and a Standard-Webhooks-signed
/// delivery become pending jobs through their templates; a redelivery is
/// deduplicated; a bad signature is 401, a missing field 400; body values are
/// data (a `{{ ... }}` in them is not rendered); approved, the job runs.
#[test]
fn webhook_intake_turns_signed_deliveries_into_pending_jobs() {
    use hmac::{Hmac, Mac};
    require_box();
    let srv = Served::start(18790);
    let b = srv.base.as_str();
    let tag = unique("intake");
    let approver = token(&format!("{tag}-a"), "approve", None);
    let reader = token(&format!("{tag}-r"), "read", None);
    let secret = format!("{tag}-gh");
    Piar::new()
        .args(["--system", "secret", "set", &secret])
        .stdin("gh-s3cret\n")
        .run()
        .success();
    let dir = Path::new("/var/lib/piar/api/intake");
    std::fs::create_dir_all(dir).unwrap();
    let gh = format!("{tag}-github");
    std::fs::write(
        dir.join(format!("{gh}.toml")),
        format!(
            r#"name = "{tag}-{{number}}"
command = ["cat"]
stdin_template = "Title: {{{{ vars.title }}}}"
description = "GitHub issue {{number}}"
timeout = "1m"
verify = "github"
secret = "{secret}"
[vars]
number = "issue.number"
title = "issue.title"
"#
        ),
    )
    .unwrap();
    let body = json!({"action": "opened", "issue": {"number": 7, "title": "{{ 7*7 }} fix it"}});
    let raw = body.to_string();
    let sign = |key: &[u8], data: &[u8]| {
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize()
            .into_bytes()
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
    };
    let sig = format!(
        "X-Hub-Signature-256: sha256={}",
        sign(b"gh-s3cret", raw.as_bytes())
    );
    let delivery = format!("X-GitHub-Delivery: {tag}-d1");
    let url = format!("{b}/v1/intake/{gh}");
    let (code, v) = curl("POST", &url, None, Some(&body), &[&sig, &delivery]);
    assert_eq!(code, 201, "{v}");
    let job = format!("{tag}-7");
    assert_eq!(v["name"], json!(job), "{v}");
    let (code, v) = curl("POST", &url, None, Some(&body), &[&sig, &delivery]);
    assert_eq!((code, &v["deduplicated"]), (200, &json!(true)), "{v}");
    let bad = format!(
        "X-Hub-Signature-256: sha256={}",
        sign(b"wrong", raw.as_bytes())
    );
    let (code, v) = curl("POST", &url, None, Some(&body), &[&bad]);
    assert_eq!(code, 401, "{v}");
    let (code, _) = curl("POST", &url, None, Some(&body), &[]);
    assert_eq!(code, 401, "unsigned");
    let partial = json!({"issue": {"number": 8}});
    let psig = format!(
        "X-Hub-Signature-256: sha256={}",
        sign(b"gh-s3cret", partial.to_string().as_bytes())
    );
    let (code, v) = curl("POST", &url, None, Some(&partial), &[&psig]);
    assert_eq!(code, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("issue.title"),
        "{v}"
    );
    assert_eq!(
        curl(
            "POST",
            &format!("{b}/v1/intake/no-such-intake"),
            None,
            Some(&body),
            &[]
        )
        .0,
        404
    );

    // Pending approval; approved, it runs with the title as data.
    let (code, v) = curl(
        "GET",
        &format!("{b}/v1/jobs/{job}"),
        Some(&reader),
        None,
        &[],
    );
    assert_eq!(code, 200);
    assert_eq!(v["state"], "pending-approval", "{v}");
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/jobs/{job}/approve"),
        Some(&approver),
        None,
        &[],
    );
    assert_eq!(code, 200, "{v}");
    let run = Piar::new()
        .args(["--system", "--json", "run", "--wait", &job])
        .run()
        .success()
        .json_value();
    let run_id = run["id"].as_str().unwrap().to_string();
    let (code, v) = curl(
        "GET",
        &format!("{b}/v1/runs/{run_id}"),
        Some(&reader),
        None,
        &[],
    );
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["status"], "succeeded", "{v}");
    assert!(
        v["output"]["tail"][0]["text"]
            .as_str()
            .unwrap_or("")
            .contains("Title: {{ 7*7 }} fix it"),
        "{v}"
    );

    // Standard Webhooks.
    let sw = format!("{tag}-sw");
    let sw_secret = format!("{tag}-sws");
    let whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    Piar::new()
        .args(["--system", "secret", "set", &sw_secret])
        .stdin(whsec)
        .run()
        .success();
    std::fs::write(
        dir.join(format!("{sw}.toml")),
        format!(
            "name = \"{tag}-sw-{{id}}\"\ncommand = [\"true\"]\nverify = \"standard-webhooks\"\nsecret = \"{sw_secret}\"\n[vars]\nid = \"data.id\"\n"
        ),
    )
    .unwrap();
    let body = json!({"type": "task.created", "data": {"id": "t1"}});
    let raw = body.to_string();
    let ts = jiff::Timestamp::now().as_second();
    let key = piar::ops::callback::sign::standard_key(whsec);
    let sig = piar::ops::callback::sign::standard_signature(&key, "msg_1", ts, raw.as_bytes());
    let hdrs = [
        "webhook-id: msg_1".to_string(),
        format!("webhook-timestamp: {ts}"),
        format!("webhook-signature: {sig}"),
    ];
    let hdrs: Vec<&str> = hdrs.iter().map(String::as_str).collect();
    let (code, v) = curl(
        "POST",
        &format!("{b}/v1/intake/{sw}"),
        None,
        Some(&body),
        &hdrs,
    );
    assert_eq!(code, 201, "{v}");
    assert_eq!(v["name"], json!(format!("{tag}-sw-t1")));
    let old = [
        "webhook-id: msg_1".to_string(),
        format!("webhook-timestamp: {}", ts - 3600),
        format!("webhook-signature: {sig}"),
    ];
    let old: Vec<&str> = old.iter().map(String::as_str).collect();
    assert_eq!(
        curl(
            "POST",
            &format!("{b}/v1/intake/{sw}"),
            None,
            Some(&body),
            &old
        )
        .0,
        401
    );

    for j in [job, format!("{tag}-sw-t1")] {
        Piar::new()
            .args(["--system", "rm", "--purge", &j])
            .run()
            .success();
    }
    for f in [gh, sw] {
        let _ = std::fs::remove_file(dir.join(format!("{f}.toml")));
    }
    for t in ["a", "r"] {
        Piar::new()
            .args(["--system", "token", "rm", &format!("{tag}-{t}")])
            .run()
            .success();
    }
    drop(srv);
}

/// Accept one HTTP request on `listener` within `timeout`, answer 200, and
/// return (head, body).
fn receive_one(listener: &std::net::TcpListener, timeout: Duration) -> (String, String) {
    use std::io::{Read, Write};
    listener.set_nonblocking(true).unwrap();
    let mut stream = poll_until("the callback request", timeout, || {
        listener.accept().ok().map(|(s, _)| s)
    });
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head, body) = loop {
        let n = stream.read(&mut chunk).unwrap_or(0);
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if body.len() >= len || n == 0 {
                break (head.to_string(), body.to_string());
            }
        } else if n == 0 {
            break (text, String::new());
        }
    };
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    (head, body)
}

/// pi-agent-runner's client API: a reminder submitted with POST /jobs runs at
/// once and its callback arrives (with pi-agent-runner's X-Runner-* headers);
/// a scheduled one is listed in GET /schedules; PATCH pauses and resumes;
/// DELETE removes; a job type outside the allowlist is 400.
#[test]
fn pi_agent_runner_clients_submit_reminders_and_get_their_callback() {
    require_box();
    let srv = Served::start(18791);
    let b = srv.base.as_str();
    let tag = unique("partok");
    let bot = token(&format!("{tag}-s"), "submit", None);
    let receiver = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let cb = format!("http://{}/cb", receiver.local_addr().unwrap());
    let body = json!({"jobType": "reminder", "input": {"message": format!("stand up {tag}")},
                      "callbackUrl": cb, "metadata": {"chat": 42}, "idempotencyKey": tag});
    let (code, v) = curl("POST", &format!("{b}/jobs"), Some(&bot), Some(&body), &[]);
    assert_eq!(code, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("par-"), "{v}");
    assert_eq!(v["jobType"], "reminder", "{v}");
    assert!(v["runId"].is_string(), "{v}");
    let (code, v) = curl("POST", &format!("{b}/jobs"), Some(&bot), Some(&body), &[]);
    assert_eq!((code, &v["id"]), (200, &json!(id)), "idempotencyKey: {v}");
    let (head, cbody) = receive_one(&receiver, Duration::from_secs(60));
    assert!(head.starts_with("POST /cb"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("x-runner-event: job.completed"),
        "{head}"
    );
    assert!(cbody.contains(&id), "{cbody}");
    assert!(
        cbody.contains(&format!("stand up {tag}")),
        "the reminder's message is in the callback: {cbody}"
    );

    let sched = json!({"jobType": "reminder", "input": {"message": "hourly"},
                       "schedule": {"everySeconds": 3600}});
    let (code, v) = curl("POST", &format!("{b}/jobs"), Some(&bot), Some(&sched), &[]);
    assert_eq!(code, 201, "{v}");
    let sid = v["id"].as_str().unwrap().to_string();
    assert!(v["runId"].is_null(), "{v}");
    let (code, v) = curl("GET", &format!("{b}/schedules"), Some(&bot), None, &[]);
    assert_eq!(code, 200);
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|j| j["id"].as_str())
        .collect();
    assert!(
        ids.contains(&sid.as_str()) && !ids.contains(&id.as_str()),
        "{v}"
    );
    let (code, v) = curl("GET", &format!("{b}/jobs"), Some(&bot), None, &[]);
    assert_eq!(code, 200);
    assert!(
        v.as_array().unwrap().iter().any(|j| j["id"] == json!(id)),
        "{v}"
    );
    let (code, v) = curl(
        "PATCH",
        &format!("{b}/jobs/{sid}"),
        Some(&bot),
        Some(&json!({"action": "pause"})),
        &[],
    );
    assert_eq!((code, v["status"].as_str()), (200, Some("paused")), "{v}");
    let (code, v) = curl(
        "PATCH",
        &format!("{b}/jobs/{sid}"),
        Some(&bot),
        Some(&json!({"action": "resume"})),
        &[],
    );
    assert_eq!(
        (code, v["status"].as_str()),
        (200, Some("scheduled")),
        "{v}"
    );
    let (code, _) = curl(
        "PATCH",
        &format!("{b}/jobs/{sid}"),
        Some(&bot),
        Some(&json!({"action": "explode"})),
        &[],
    );
    assert_eq!(code, 400);
    let (code, v) = curl("GET", &format!("{b}/jobs/{sid}"), Some(&bot), None, &[]);
    assert_eq!(
        (code, v["jobType"].as_str()),
        (200, Some("reminder")),
        "{v}"
    );
    let (code, v) = curl(
        "POST",
        &format!("{b}/jobs"),
        Some(&bot),
        Some(&json!({"jobType": "shell", "input": {"cmd": "rm -rf /"}})),
        &[],
    );
    assert_eq!(code, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("allowed"),
        "{v}"
    );
    for j in [&id, &sid] {
        let (code, v) = curl("DELETE", &format!("{b}/jobs/{j}"), Some(&bot), None, &[]);
        assert_eq!(code, 200, "{v}");
        assert_eq!(
            curl("GET", &format!("{b}/jobs/{j}"), Some(&bot), None, &[]).0,
            404
        );
    }
    Piar::new()
        .args(["--system", "token", "rm", &format!("{tag}-s")])
        .run()
        .success();
    drop(srv);
}
