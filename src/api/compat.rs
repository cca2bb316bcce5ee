//! pi-agent-runner compatibility (docs/api.md): its job requests mapped to
//! piar submits, so an existing client only changes its base URL.
//!
//! `POST /jobs` takes `{jobType, input, schedule: {runAt | everySeconds | cron,
//! tz}, callbackUrl, metadata, idempotencyKey}`. `jobType` must be in the
//! allowlist: `<state>/api/job-types.toml` ([`Paths::api_job_types`]), one
//! table per type:
//!
//! ```toml
//! [reminder]                       # built in (this one) unless the file overrides it
//! command = ["cat"]
//! stdin_template = "{{ vars.message }}"
//!
//! [backup]
//! command = ["/usr/local/bin/backup"]
//! timeout = "1h"
//! ```
//!
//! `input`'s scalar fields become template variables (`{{ vars.KEY }}`), as
//! data; the command never comes from the request. Jobs are named
//! `par-<12 hex>` (the `id` the client sees); the callback is sent with
//! pi-agent-runner's headers (`--callback-compat pi-agent-runner`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JobBody;
use crate::error::{Error, Result};
use crate::state::layout::Paths;

/// The name prefix of jobs made through `POST /jobs`.
pub const PREFIX: &str = "par-";
/// Longest input value, in bytes.
pub const MAX_VALUE: usize = 4096;
/// Most input fields.
pub const MAX_INPUT: usize = 64;

/// One allowlisted job type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobType {
    /// The command (argv).
    pub command: Vec<String>,
    /// The run's stdin template.
    pub stdin_template: Option<String>,
    /// Run timeout.
    pub timeout: Option<String>,
}

/// The allowlist: the file's types, plus the built-in `reminder` unless the
/// file defines it. Errors: unreadable or invalid file (exit 1, naming it).
pub fn job_types(paths: &Paths) -> Result<BTreeMap<String, JobType>> {
    let path = paths.api_job_types();
    let mut types: BTreeMap<String, JobType> = match std::fs::read_to_string(&path) {
        Ok(t) => toml::from_str(&t)
            .map_err(|e| Error::failed(format!("{}: {}", path.display(), e.message())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(e) => return Err(Error::io("cannot read", &path, e)),
    };
    types.entry("reminder".into()).or_insert(JobType {
        command: vec!["cat".into()],
        stdin_template: Some("{{ vars.message }}".into()),
        timeout: Some("1m".into()),
    });
    Ok(types)
}

/// A `POST /jobs` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewJob {
    /// The job type (allowlisted).
    pub job_type: String,
    /// Input fields (scalars).
    #[serde(default)]
    pub input: serde_json::Map<String, Value>,
    /// When.
    pub schedule: Option<Schedule>,
    /// Callback URL.
    pub callback_url: Option<String>,
    /// Metadata (scalars).
    #[serde(default)]
    pub metadata: serde_json::Map<String, Value>,
    /// Idempotency key.
    pub idempotency_key: Option<String>,
}

/// A pi-agent-runner schedule.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Schedule {
    /// RFC 3339 instant.
    pub run_at: Option<String>,
    /// Interval in seconds.
    pub every_seconds: Option<u64>,
    /// 5-field cron.
    pub cron: Option<String>,
    /// IANA zone.
    pub tz: Option<String>,
}

fn scalars(field: &str, m: &serde_json::Map<String, Value>) -> Result<BTreeMap<String, String>> {
    if m.len() > MAX_INPUT {
        return Err(Error::invalid(format!(
            "{field}: at most {MAX_INPUT} fields"
        )));
    }
    let mut out = BTreeMap::new();
    for (k, v) in m {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            _ => {
                return Err(Error::invalid(format!(
                    "{field}.{k}: expected a string, number or boolean"
                )));
            }
        };
        let key_ok = !k.is_empty()
            && k.len() <= 64
            && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !key_ok {
            return Err(Error::invalid(format!(
                "{field}: key {k:?}: expected [A-Za-z0-9_], 1 to 64 bytes"
            )));
        }
        if text.len() > MAX_VALUE || text.contains('\0') {
            return Err(Error::invalid(format!(
                "{field}.{k}: at most {MAX_VALUE} bytes, no NUL"
            )));
        }
        out.insert(k.clone(), text);
    }
    Ok(out)
}

/// A fresh job id: `par-` + 12 random hex digits.
pub fn new_id() -> Result<String> {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).map_err(|e| Error::failed(format!("no randomness: {e}")))?;
    Ok(format!(
        "{PREFIX}{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    ))
}

/// The job id of a request with idempotency key `key` from token `token`:
/// `par-` + the first 12 hex digits of SHA-256(token, NUL, key), so the same
/// key from the same client names the same job, and keys of other clients
/// do not collide.
pub fn id_for_key(token: &str, key: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(token.as_bytes());
    h.update([0u8]);
    h.update(key.as_bytes());
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("{PREFIX}{}", &hex[..12])
}

impl NewJob {
    /// The piar job body and whether to start it at once (no schedule).
    /// Errors (exit 2) name the field; an unknown jobType names the allowlist.
    pub fn job(&self, id: &str, types: &BTreeMap<String, JobType>) -> Result<(JobBody, bool)> {
        let t = types.get(&self.job_type).ok_or_else(|| {
            Error::invalid(format!(
                "jobType {:?}: not allowed here (allowed: {})",
                self.job_type,
                types.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        let vars = scalars("input", &self.input)?;
        let mut metadata = scalars("metadata", &self.metadata)?;
        metadata.insert("pi_agent_runner_job_type".into(), self.job_type.clone());
        let mut job = JobBody {
            name: Some(id.to_string()),
            command: t.command.clone(),
            stdin_template: t.stdin_template.clone(),
            timeout: t.timeout.clone(),
            vars,
            metadata,
            description: Some(format!("pi-agent-runner {} job", self.job_type)),
            ..Default::default()
        };
        if let Some(url) = &self.callback_url {
            job.callback_url = Some(url.clone());
            job.callback_compat = Some("pi-agent-runner".into());
        }
        let mut now = false;
        match &self.schedule {
            None => {
                job.manual = true;
                now = true;
            }
            Some(s) => {
                let given = [
                    s.run_at.is_some(),
                    s.every_seconds.is_some(),
                    s.cron.is_some(),
                ]
                .iter()
                .filter(|x| **x)
                .count();
                if given != 1 {
                    return Err(Error::invalid(
                        "schedule: expected exactly one of runAt, everySeconds, cron",
                    ));
                }
                job.at = s.run_at.clone();
                job.every = s.every_seconds.map(|n| format!("{n}s"));
                job.cron = s.cron.clone();
                job.tz = s.tz.clone();
            }
        }
        Ok((job, now))
    }
}

/// A piar `show`/`list` entry in pi-agent-runner's job shape: `{id, jobType,
/// status, schedule, nextRunAt, lastRunAt, lastStatus}`.
pub fn job_view(v: &Value) -> Value {
    let state = v["state"].as_str().unwrap_or("");
    let status = match state {
        "paused" => "paused",
        "pending-approval" => "pending_approval",
        "rejected" => "rejected",
        _ if v["kind"] == "manual" => "manual",
        _ => "scheduled",
    };
    json!({
        "id": v["name"],
        "jobType": v["metadata"]["pi_agent_runner_job_type"].as_str()
            .or_else(|| v["manifest"]["metadata"]["pi_agent_runner_job_type"].as_str()),
        "status": status,
        "schedule": v["schedule"],
        "nextRunAt": v["next_run"],
        "lastRun": v["last_run"],
        "result": v["result"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> BTreeMap<String, JobType> {
        let tmp = tempfile::tempdir().unwrap();
        let p = Paths {
            scope: crate::state::layout::Scope::User,
            unit_dir: tmp.path().join("u"),
            state_dir: tmp.path().join("s"),
        };
        job_types(&p).unwrap()
    }

    #[test]
    fn maps_a_reminder_and_refuses_the_rest() {
        let j: NewJob = serde_json::from_value(json!({
            "jobType": "reminder", "input": {"message": "stand up"},
            "schedule": {"everySeconds": 3600}, "callbackUrl": "http://127.0.0.1:9/cb",
            "metadata": {"chat": 42}, "idempotencyKey": "k"}))
        .unwrap();
        let (b, now) = j.job("par-1", &types()).unwrap();
        assert!(!now);
        assert_eq!(b.every.as_deref(), Some("3600s"));
        assert_eq!(b.command, ["cat"]);
        assert_eq!(b.vars["message"], "stand up");
        assert_eq!(b.callback_compat.as_deref(), Some("pi-agent-runner"));
        let bad: NewJob = serde_json::from_value(json!({"jobType": "shell"})).unwrap();
        assert!(
            bad.job("x", &types())
                .unwrap_err()
                .message
                .contains("shell")
        );
        let two: NewJob = serde_json::from_value(
            json!({"jobType": "reminder", "schedule": {"cron": "* * * * *", "everySeconds": 5}}),
        )
        .unwrap();
        assert!(two.job("x", &types()).is_err());
        assert!(
            serde_json::from_value::<NewJob>(json!({"jobType": "r", "command": ["sh"]})).is_err()
        );
        let nested: NewJob =
            serde_json::from_value(json!({"jobType": "reminder", "input": {"a": {"b": 1}}}))
                .unwrap();
        assert!(nested.job("x", &types()).is_err());
        let (_, now) = serde_json::from_value::<NewJob>(json!({"jobType": "reminder"}))
            .unwrap()
            .job("x", &types())
            .unwrap();
        assert!(now, "no schedule: run now");
        assert!(new_id().unwrap().starts_with(PREFIX));
    }
}
