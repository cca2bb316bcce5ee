//! pi-agent-runner's systemd manifests -> piar manifests.
//!
//! pi-agent-runner (a Node job runner) writes one JSON file per scheduled job
//! into `$RUNNER_DATA_DIR/systemd-manifests/<id>.json`, and its installer turns
//! each into `piar-<id>.service`/`.timer` whose service POSTs to the runner's
//! API (`/internal/systemd/trigger/<id>`), which queues the real job. The
//! fields piar reads (everything else is kept as JSON in metadata):
//!
//! ```json
//! { "schema": "pi-agent-runner.systemd-manifest.v1",
//!   "id": "sysd-6f1c...", "enabled": true, "createdAt": "...",
//!   "unitName": "piar-sysd-6f1c...", "template": "job-reminder",
//!   "payload": { "jobType": "reminder", "input": {...}, "callbackUrl": null,
//!                "metadata": {...},
//!                "schedule": { "runAt": "2026-12-01T09:00:00Z" |
//!                              "everySeconds": 3600 | "cron": "0 9 * * 1-5",
//!                              "tz": "Europe/Berlin" } } }
//! ```
//!
//! Mapping: `runAt` -> `at` (an instant; shown in `tz`), `everySeconds` ->
//! `every = "<n>s"`, `cron` -> `cron` read in `tz`: the zone that project's
//! installer dropped (it wrote the cron time without a zone, so the timer ran
//! in the system zone) is kept. No `tz` -> the importer's default zone.
//! `enabled: false` -> imported paused. The job's command does what the
//! original service did: `curl -fsS -X POST <api-url>/internal/systemd/trigger/<id>`,
//! so the runner still executes the job and sends its own callback. The job
//! name is the id (so the units keep their `piar-<id>` names).

use std::path::Path;

use serde_json::Value;

use super::{EntryError, Warning};
use crate::error::{Error, Result};
use crate::model::manifest::{self, Manifest};
use crate::schedule::{ScheduleSpec, at};

/// The schema string of the files this reads.
pub const SCHEMA: &str = "pi-agent-runner.systemd-manifest.v1";

/// The runner API's default address (its `PORT` default, 8787).
pub const DEFAULT_API_URL: &str = "http://127.0.0.1:8787";

/// How to import.
#[derive(Debug, Clone)]
pub struct Options {
    /// Zone for schedules without `tz` (IANA name).
    pub default_tz: String,
    /// Base URL of the runner's API, without a trailing `/`.
    pub api_url: String,
    /// Prefix for job names.
    pub prefix: String,
}

/// One file, ready to be validated and installed.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The file it came from.
    pub file: String,
    /// The manifest (name set, not yet validated).
    pub manifest: Manifest,
}

/// Read every `*.json` file of `dir` (sorted by name). Files with another
/// `schema` are skipped with a warning; unreadable or malformed ones are
/// [`EntryError`]s naming the file and field. Errors: `dir` unreadable.
pub fn read_dir(
    dir: &Path,
    opts: &Options,
) -> Result<(Vec<Candidate>, Vec<EntryError>, Vec<Warning>)> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io("cannot read directory", dir, e))?;
    let mut files: Vec<_> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    files.sort();
    let (mut ok, mut errors, mut warnings) = (Vec::new(), Vec::new(), Vec::new());
    for path in files {
        let file = path.display().to_string();
        let fail = |error: Error| EntryError {
            line: 0,
            file: Some(file.clone()),
            error: error.context(&file),
        };
        let value = match std::fs::read_to_string(&path)
            .map_err(|e| Error::io("cannot read", &path, e))
            .and_then(|t| {
                serde_json::from_str::<Value>(&t)
                    .map_err(|e| Error::invalid(format!("not JSON: {e}")))
            }) {
            Ok(v) => v,
            Err(e) => {
                errors.push(fail(e));
                continue;
            }
        };
        if value.get("schema").and_then(Value::as_str) != Some(SCHEMA) {
            warnings.push(Warning {
                line: 0,
                message: format!("{file}: skipped: schema is not {SCHEMA:?}"),
                hint: None,
            });
            continue;
        }
        match to_manifest(&value, opts) {
            Ok(manifest) => ok.push(Candidate {
                file: file.clone(),
                manifest,
            }),
            Err(e) => errors.push(fail(e)),
        }
    }
    Ok((ok, errors, warnings))
}

/// One pi-agent-runner manifest -> a piar manifest (module docs for the mapping).
/// Errors name the JSON field (`id`, `payload.schedule.cron`, ...).
pub fn to_manifest(v: &Value, opts: &Options) -> Result<Manifest> {
    let id = v
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::invalid("id: expected a non-empty string"))?;
    let enabled = match v.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(Error::invalid(format!(
                "enabled: expected true or false, got {other}"
            )));
        }
    };
    let payload = v.get("payload").cloned().unwrap_or(Value::Null);
    let schedule = payload
        .get("schedule")
        .filter(|s| s.is_object())
        .ok_or_else(|| Error::invalid("payload.schedule: expected an object"))?;
    let spec = schedule_spec(schedule, &opts.default_tz)?;
    let name = format!("{}{}", opts.prefix, id.to_ascii_lowercase());
    crate::model::manifest::validate::validate_name(&name).map_err(|e| e.context("id"))?;
    let job_type = payload
        .get("jobType")
        .and_then(Value::as_str)
        .unwrap_or("job");
    let mut metadata = toml::Table::new();
    let mut put = |k: &str, val: String| {
        metadata.insert(k.into(), toml::Value::String(val));
    };
    put("pi_agent_runner_id", id.to_string());
    put("pi_agent_runner_job_type", job_type.to_string());
    put("pi_agent_runner_payload", payload.to_string());
    if let Some(t) = v.get("template").and_then(Value::as_str) {
        put("pi_agent_runner_template", t.to_string());
    }
    let url = format!(
        "{}/internal/systemd/trigger/{id}",
        opts.api_url.trim_end_matches('/')
    );
    Ok(Manifest {
        version: manifest::VERSION,
        name,
        description: format!("pi-agent-runner {job_type} job {id}"),
        command: ["curl", "-fsS", "-X", "POST", url.as_str()]
            .map(String::from)
            .to_vec(),
        schedule: spec,
        timeout: None,
        workdir: None,
        enabled,
        created: v
            .get("createdAt")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .map(|t| t.to_string()),
        updated: None,
        env: Default::default(),
        metadata,
        callback: None,
        ..Default::default()
    })
}

/// `payload.schedule` -> `[schedule]`: exactly one of `runAt`,
/// `everySeconds`, `cron`; `tz` kept (validated) for `cron` and `runAt`.
fn schedule_spec(s: &Value, default_tz: &str) -> Result<ScheduleSpec> {
    let field = |k: &str| s.get(k).filter(|v| !v.is_null());
    let set = ["runAt", "everySeconds", "cron"]
        .iter()
        .filter(|k| field(k).is_some())
        .count();
    if set != 1 {
        return Err(Error::invalid(format!(
            "payload.schedule: expected exactly one of runAt, everySeconds, cron; found {set}"
        )));
    }
    let tz = match field("tz") {
        None => default_tz.to_string(),
        Some(Value::String(t)) => {
            at::validate_tz(t).map_err(|e| e.context("payload.schedule.tz"))?;
            t.clone()
        }
        Some(other) => {
            return Err(Error::invalid(format!(
                "payload.schedule.tz: expected a zone name, got {other}"
            )));
        }
    };
    let mut spec = ScheduleSpec::default();
    if let Some(v) = field("runAt") {
        let text = v
            .as_str()
            .ok_or_else(|| Error::invalid("payload.schedule.runAt: expected an ISO 8601 string"))?;
        let ts: jiff::Timestamp = text.parse().map_err(|e| {
            Error::invalid(format!(
                "payload.schedule.runAt: {text:?} is not an ISO 8601 time with offset: {e}"
            ))
        })?;
        let zone = jiff::tz::TimeZone::get(&tz)
            .map_err(|e| Error::invalid(format!("payload.schedule.tz: {e}")))?;
        let whole = jiff::Timestamp::from_second(ts.as_second())
            .map_err(|e| Error::invalid(format!("payload.schedule.runAt: {e}")))?;
        spec.at = Some(
            whole
                .to_zoned(zone)
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
        );
        spec.tz = Some(tz);
    } else if let Some(v) = field("everySeconds") {
        let n = v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "payload.schedule.everySeconds: expected a whole number of seconds >= 1, got {v}"
                ))
            })?;
        spec.every = Some(format!("{n}s"));
    } else if let Some(v) = field("cron") {
        let text = v
            .as_str()
            .ok_or_else(|| Error::invalid("payload.schedule.cron: expected a string"))?;
        crate::schedule::cron::CronExpr::parse(text)
            .map_err(|e| e.context("payload.schedule.cron"))?;
        spec.cron = Some(text.trim().to_string());
        spec.tz = Some(tz);
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Options {
        Options {
            default_tz: "UTC".into(),
            api_url: DEFAULT_API_URL.into(),
            prefix: String::new(),
        }
    }

    fn manifest(schedule: Value, enabled: bool) -> Value {
        serde_json::json!({
            "schema": SCHEMA, "id": "sysd-AB12", "enabled": enabled,
            "template": "job-reminder",
            "payload": {"jobType": "reminder", "input": {"message": "hi"},
                        "callbackUrl": null, "metadata": {}, "schedule": schedule}
        })
    }

    #[test]
    fn cron_keeps_its_zone() {
        let m = to_manifest(
            &manifest(
                serde_json::json!({"cron": "0 9 * * 1-5", "tz": "Asia/Kolkata"}),
                true,
            ),
            &opts(),
        )
        .unwrap();
        assert_eq!(m.name, "sysd-ab12");
        assert_eq!(m.schedule.cron.as_deref(), Some("0 9 * * 1-5"));
        assert_eq!(m.schedule.tz.as_deref(), Some("Asia/Kolkata"));
        assert!(m.enabled);
        assert_eq!(
            m.command.last().unwrap(),
            "http://127.0.0.1:8787/internal/systemd/trigger/sysd-AB12"
        );
        assert_eq!(
            m.metadata["pi_agent_runner_job_type"].as_str(),
            Some("reminder")
        );
    }

    #[test]
    fn every_and_run_at_and_paused() {
        let m = to_manifest(
            &manifest(serde_json::json!({"everySeconds": 90}), false),
            &opts(),
        )
        .unwrap();
        assert_eq!(m.schedule.every.as_deref(), Some("90s"));
        assert!(!m.enabled);
        let m = to_manifest(
            &manifest(
                serde_json::json!({"runAt": "2030-01-02T03:04:05.678Z", "tz": "Europe/Berlin"}),
                true,
            ),
            &opts(),
        )
        .unwrap();
        assert_eq!(m.schedule.at.as_deref(), Some("2030-01-02T04:04:05+01:00"));
        assert_eq!(m.schedule.tz.as_deref(), Some("Europe/Berlin"));
    }

    #[test]
    fn bad_fields_are_named() {
        let err = |s: Value| {
            to_manifest(&manifest(s, true), &opts())
                .unwrap_err()
                .message
        };
        assert!(err(serde_json::json!({"cron": "0 25 * * *"})).contains("payload.schedule.cron"));
        assert!(
            err(serde_json::json!({"cron": "0 9 * * *", "everySeconds": 5}))
                .contains("exactly one")
        );
        assert!(err(serde_json::json!({"everySeconds": 0})).contains("everySeconds"));
        assert!(
            err(serde_json::json!({"cron": "0 9 * * *", "tz": "Nowhere/X"}))
                .contains("payload.schedule.tz")
        );
        let no_id =
            serde_json::json!({"schema": SCHEMA, "payload": {"schedule": {"everySeconds": 5}}});
        assert!(
            to_manifest(&no_id, &opts())
                .unwrap_err()
                .message
                .contains("id")
        );
    }
}
