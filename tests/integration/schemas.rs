//! Every command's `--json` output validates against its JSON Schema in `docs/schemas/`,
//! checked by Python's `jsonschema` (PyPI; `<target>/schema-venv`, installed by scripts/test),
//! not by piar's own types. The schemas forbid unknown properties, so a new field that is not
//! documented fails here.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{Piar, piar_bin};

/// The Python that has `jsonschema`; panics with instructions if there is none.
fn python() -> PathBuf {
    let candidate = std::env::var_os("PIAR_SCHEMA_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let bin = piar_bin();
            let target = bin.parent().and_then(|p| p.parent()).unwrap();
            target.join("schema-venv/bin/python3")
        });
    let ok = Command::new(&candidate)
        .args(["-c", "import jsonschema"])
        .stdin(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "schema tests need Python with `jsonschema` at {} (or set PIAR_SCHEMA_PYTHON); \
         scripts/test installs it",
        candidate.display()
    );
    candidate
}

const VALIDATOR: &str = r#"
import glob, json, os, sys
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
cases = json.load(sys.stdin)
schemas = {}
for path in glob.glob(os.path.join(sys.argv[1], "*.json")):
    with open(path) as f:
        schemas[path] = json.load(f)
    Draft202012Validator.check_schema(schemas[path])
registry = Registry().with_resources(
    (s["$id"], Resource.from_contents(s)) for s in schemas.values()
)
bad = 0
for c in cases:
    schema = schemas[c["schema"]]
    errors = list(Draft202012Validator(schema, registry=registry).iter_errors(c["value"]))
    for e in errors:
        bad += 1
        print(f"{c['what']}: {c['schema']}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
sys.exit(1 if bad else 0)
"#;

/// Collects (what, schema file, value) cases and validates them in one Python run.
#[derive(Default)]
pub struct Cases(Vec<Value>);

impl Cases {
    /// Expect `value` (the output of `what`) to match `docs/schemas/<schema>`.
    pub fn add(&mut self, what: &str, schema: &str, value: Value) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs/schemas")
            .join(schema);
        let path = path.to_string_lossy().into_owned();
        assert!(Path::new(&path).exists(), "no schema {path}");
        self.0.push(serde_json::json!({
            "what": what, "schema": path, "value": value
        }));
    }

    /// Run `piar ARGS --json`, expect exit `code`, and check stdout against `schema`.
    pub fn piar(&mut self, schema: &str, args: &[&str], code: i32) -> Value {
        self.run_case(Piar::new(), schema, args, code)
    }

    /// Run `piar` (`piar --json ARGS`), expect exit `code`, keep stdout as a case.
    fn run_case(&mut self, piar: Piar, schema: &str, args: &[&str], code: i32) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = piar.args(&all).run().code(code);
        let value = out.json_value();
        self.add(&format!("piar {}", all.join(" ")), schema, value.clone());
        value
    }

    /// [`Cases::piar`] with `state`'s private state and drop-in directory, for
    /// commands that act on every job of a scope (`sync`, `recover`): run
    /// globally they would repair, settle and re-arm the jobs of the tests
    /// running beside this one.
    pub fn piar_in(
        &mut self,
        state: &crate::support::PrivateState,
        schema: &str,
        args: &[&str],
        code: i32,
    ) -> Value {
        self.run_case(state.piar(), schema, args, code)
    }

    /// Run `piar ARGS --json`, expect exit `code`, and check stderr against error.json.
    pub fn piar_error(&mut self, args: &[&str], code: i32) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = Piar::new().args(&all).run().code(code);
        assert!(out.stdout.trim().is_empty(), "stdout: {}", out.stdout);
        let value: Value = serde_json::from_str(out.stderr.trim())
            .unwrap_or_else(|e| panic!("stderr is not one JSON object ({e}): {}", out.stderr));
        assert_eq!(value["error"]["exit_code"], code);
        self.add(
            &format!("piar {} (error)", all.join(" ")),
            "error.json",
            value.clone(),
        );
        value
    }

    /// Validate every case; panics listing each violation.
    pub fn check(self) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas");
        let mut child = Command::new(python())
            .args(["-c", VALIDATOR])
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        serde_json::to_writer(child.stdin.take().unwrap(), &self.0).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "outputs do not match their schemas:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn maintenance_commands_match_their_schemas() {
    let mut cases = Cases::default();
    cases.piar("doctor.json", &["doctor"], 0);
    let state = crate::support::PrivateState::new("schema-maint");
    cases.piar_in(&state, "sync.json", &["sync"], 0);
    cases.piar_in(&state, "recover.json", &["recover"], 0);
    cases.piar("names.json", &["list", "--names"], 0);
    cases.piar("names.json", &["secret", "list"], 0);
    cases.piar("callbacks.json", &["callbacks"], 0);
    cases.piar("callbacks.json", &["callbacks", "--failed"], 0);
    let name = crate::support::unique("schema-secret");
    let set = cases.piar(
        "secret-set.json",
        &["secret", "set", "--generate", &name],
        0,
    );
    assert!(set["secret"].as_str().unwrap().starts_with("whsec_"));
    cases.piar("secret-rm.json", &["secret", "rm", &name], 0);
    // Errors, one per kind that needs no special setup.
    cases.piar_error(&["show", "no-such-job-anywhere"], 3);
    cases.piar_error(&["show", "Bad Name"], 2);
    cases.piar_error(&["submit", "--every", "1h"], 2);
    // Usage errors clap finds are the JSON error object too under --json.
    let usage = cases.piar_error(&["stop"], 2);
    assert_eq!(usage["error"]["code"], "invalid", "{usage}");
    cases.piar_error(&["wait", "--no-such-flag", "x"], 2);
    cases.check();
}

#[test]
fn job_commands_match_their_schemas() {
    let mut cases = Cases::default();
    let name = crate::support::unique("schema-job");
    let sub = [
        "submit", "--name", &name, "--manual", "--meta", "k=v", "--", "sh", "-c", "echo hi",
    ];
    cases.piar(
        "submit-dry-run.json",
        &[&sub[..1], &["--dry-run"], &sub[1..]].concat(),
        0,
    );
    let created = cases.piar("submit.json", &sub, 0);
    assert_eq!(created["deduplicated"], false);
    cases.piar_error(&sub, 4);
    cases.piar("list.json", &["list"], 0);
    cases.piar("run.json", &["run", &name], 0);
    let rec = cases.piar("run.json", &["run", "--wait", &name], 0);
    let run_id = rec["id"].as_str().unwrap().to_string();
    cases.piar("run.json", &["wait", &run_id], 0);
    cases.piar("result.json", &["result", &run_id], 0);
    let logs = Piar::new()
        .args(["logs", &name, "--json"])
        .run()
        .success()
        .stdout;
    let mut lines = 0;
    for line in logs.lines() {
        lines += 1;
        let v: Value = serde_json::from_str(line).unwrap();
        cases.add("piar logs --json", "log-line.json", v);
    }
    assert!(lines > 0, "no log lines for {name}");
    cases.piar("history.json", &["history", &name], 0);
    cases.piar("show.json", &["show", &name], 0);
    cases.piar(
        "edit.json",
        &["edit", &name, "--description", "changed", "--dry-run"],
        0,
    );
    cases.piar("edit.json", &["edit", &name, "--every", "1h"], 0);
    cases.piar("pause.json", &["pause", &name], 0);
    cases.piar("pause.json", &["resume", &name], 0);
    let none = cases.piar("stop.json", &["stop", &name], 0);
    assert_eq!(none["stopped"], serde_json::json!([]), "{none}");
    cases.piar("rm.json", &["rm", &name, "--purge"], 0);

    // Approval, idempotency, stop.
    let gated = crate::support::unique("schema-gated");
    let key = crate::support::unique("schema-key");
    let g = [
        "submit",
        "--name",
        &gated,
        "--every",
        "1h",
        "--require-approval",
        "--idempotency-key",
        &key,
        "--",
        "sleep",
        "60",
    ];
    let first = cases.piar("submit.json", &g, 0);
    assert_eq!(first["approval"], "pending");
    let again = cases.piar("submit.json", &g, 0);
    assert_eq!(again["deduplicated"], true);
    cases.piar_error(&["run", &gated], 4);
    cases.piar("approve.json", &["approve", &gated], 0);
    cases.piar("run.json", &["run", &gated], 0);
    crate::support::poll_until(
        "the run to be active",
        std::time::Duration::from_secs(30),
        || {
            let h = Piar::new()
                .args(["history", &gated, "--json"])
                .run()
                .json_value();
            // approve starts an interval job's first run itself, so the manual start above
            // may be recorded `skipped` (overlap forbid): any running run will do.
            h["runs"]
                .as_array()
                .is_some_and(|runs| runs.iter().any(|r| r["status"] == "running"))
                .then_some(())
        },
    );
    let stopped = cases.piar("stop.json", &["stop", &gated], 0);
    assert_eq!(stopped["stopped"][0]["status"], "canceled", "{stopped}");
    cases.piar("rm.json", &["rm", &gated, "--purge"], 0);
    let rejected = crate::support::unique("schema-rejected");
    cases.piar(
        "submit.json",
        &[
            "submit",
            "--name",
            &rejected,
            "--manual",
            "--require-approval",
            "--",
            "true",
        ],
        0,
    );
    cases.piar(
        "approve.json",
        &["reject", &rejected, "--reason", "not now"],
        0,
    );
    cases.piar("list.json", &["list"], 0);
    cases.piar("rm.json", &["rm", &rejected], 0);

    // Schedules and imports (nothing written).
    cases.piar(
        "calendar.json",
        &["calendar", "0 9 * * 1-5", "--tz", "Europe/Berlin"],
        0,
    );
    let dir = tempfile::tempdir().unwrap();
    let crontab = dir.path().join("crontab");
    std::fs::write(&crontab, "MAILTO=root\n*/5 * * * * /bin/true\nbad line\n").unwrap();
    let crontab = crontab.to_string_lossy().into_owned();
    cases.piar(
        "import.json",
        &["import", "crontab", "--dry-run", &crontab],
        2,
    );
    cases.check();
}
