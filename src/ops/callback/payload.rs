//! The JSON body of a callback (documented in `docs/schemas/callback.json`).

use serde::{Deserialize, Serialize};

use crate::model::manifest::Job;
use crate::record::{RunRecord, RunStatus};

pub use crate::systemd::journal::OUTPUT_TAIL_BYTES;

/// One callback: `{type, timestamp, data}` (Standard Webhooks' recommended shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// `job.completed`, `job.failed`, `job.timed_out` or `job.skipped`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When the event happened: the run's end (RFC 3339, UTC).
    pub timestamp: String,
    /// The run.
    pub data: RunData,
    /// pi-agent-runner compat only: `job.completed` or `job.failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// pi-agent-runner compat only: that project's top-level body fields.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub compat: Option<CompatFields>,
}

/// The body fields pi-agent-runner's receivers read (its
/// `docs/webhook-contract.md` and worker: `jobId`, `jobType`, `status`,
/// `startedAt`, `finishedAt`, `summary`, `artifactPath`; on failure also
/// `error` and `attemptsMade`). Sent at the top level beside piar's own
/// `type`/`timestamp`/`data`, so both kinds of receiver read the same body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompatFields {
    /// The run id (pi-agent-runner sent its queue job id).
    pub job_id: String,
    /// The job name (pi-agent-runner sent its task type).
    pub job_type: String,
    /// `completed` or `failed`.
    pub status: String,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time.
    pub finished_at: Option<String>,
    /// One line: `<job> completed` or `<job> failed: <reason>`.
    pub summary: String,
    /// Path of the run's artifact, if any.
    pub artifact_path: Option<String>,
    /// Why the run failed (failures only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Attempts made (failures only): the run's `attempt`, 1 without retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_made: Option<u32>,
}

impl CompatFields {
    /// The compat fields of a run's `data`.
    pub fn from_data(d: &RunData) -> CompatFields {
        let ok = d.status == "succeeded";
        let reason = if ok {
            None
        } else {
            Some(
                d.error
                    .clone()
                    .unwrap_or_else(|| match (d.exit_code, &d.signal) {
                        (_, Some(sig)) => format!("killed by {sig}"),
                        (Some(code), None) => format!("exited with status {code}"),
                        (None, None) => d.status.replace('_', " "),
                    }),
            )
        };
        CompatFields {
            job_id: d.run_id.clone(),
            job_type: d.job.clone(),
            status: if ok { "completed" } else { "failed" }.to_string(),
            started_at: d.started_at.clone(),
            finished_at: d.finished_at.clone(),
            summary: match &reason {
                None => format!("{} completed", d.job),
                Some(r) => format!("{} {}: {r}", d.job, d.status.replace('_', " ")),
            },
            artifact_path: d.artifact.clone(),
            attempts_made: reason.as_ref().map(|_| d.attempt.unwrap_or(1)),
            error: reason,
        }
    }
}

/// What a callback (and `piar result --json`) says about one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunData {
    /// Job name.
    pub job: String,
    /// Run id (`YYYYMMDD-HHMMSS-xxxx`).
    pub run_id: String,
    /// systemd invocation id of the run unit (32 hex digits), if it started.
    pub invocation_id: Option<String>,
    /// `succeeded`, `failed`, `timed_out`, `skipped`, `canceled` (or `running`).
    pub status: String,
    /// Exit code, when the process exited.
    pub exit_code: Option<i32>,
    /// Signal name, when it was killed.
    pub signal: Option<String>,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time.
    pub finished_at: Option<String>,
    /// Duration in milliseconds.
    pub duration_ms: Option<u64>,
    /// When the job's timer was due (RFC 3339, UTC); null for runs not
    /// started by the timer.
    pub scheduled_for: Option<String>,
    /// The job's `[metadata]` table.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The last lines of the run's output (at most 4096 bytes), if readable.
    pub output_tail: Option<String>,
    /// The file the run wrote for the job's `output` (the artifact, or
    /// `<artifact>.failed`), if any.
    pub artifact: Option<String>,
    /// Why the run could not be started, if it could not.
    pub error: Option<String>,
    /// Attempt number when the job retries (`retries`): 1 for the first
    /// attempt, 2 for the first retry, ...; absent without retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// Run id of the first attempt, when this run is a retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_of: Option<String>,
    /// Why a `canceled` run was stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The event type of a finished run.
pub fn event_type(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Succeeded => "job.completed",
        RunStatus::TimedOut => "job.timed_out",
        RunStatus::Skipped => "job.skipped",
        RunStatus::Canceled => "job.canceled",
        RunStatus::Failed | RunStatus::Running | RunStatus::Deferred | RunStatus::Lost => {
            "job.failed"
        }
    }
}

/// Build the `data` of a run.
pub fn run_data(job: Option<&Job>, rec: &RunRecord, output_tail: Option<String>) -> RunData {
    let metadata = job
        .and_then(|j| serde_json::to_value(&j.manifest.metadata).ok())
        .and_then(|v| match v {
            serde_json::Value::Object(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default();
    RunData {
        job: rec.job.clone(),
        run_id: rec.run_id.clone(),
        invocation_id: rec.invocation_id.clone(),
        status: rec.status.as_str().to_string(),
        exit_code: rec.exit_code,
        signal: rec.signal.clone(),
        started_at: rec.started_at.clone(),
        finished_at: rec.finished_at.clone(),
        duration_ms: rec.duration_ms,
        scheduled_for: rec.scheduled_for.clone(),
        metadata,
        output_tail,
        artifact: rec.artifact.clone(),
        error: rec.error.clone(),
        attempt: match (rec.attempt, job) {
            (Some(k), _) => Some(k),
            (None, Some(j)) if j.manifest.retries.unwrap_or(0) > 0 => Some(1),
            _ => None,
        },
        retry_of: rec.retry_of.clone(),
        reason: rec.reason.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(status: &str, exit_code: Option<i32>) -> RunData {
        RunData {
            job: "brief".into(),
            run_id: "20261121-090000-abcd".into(),
            invocation_id: None,
            status: status.into(),
            exit_code,
            signal: None,
            started_at: "2026-11-21T09:00:00Z".into(),
            finished_at: Some("2026-11-21T09:00:02Z".into()),
            duration_ms: Some(2000),
            scheduled_for: None,
            metadata: Default::default(),
            output_tail: None,
            artifact: Some("/srv/brief.md".into()),
            error: None,
            attempt: None,
            retry_of: None,
            reason: None,
        }
    }

    #[test]
    fn compat_fields_follow_pi_agent_runner_names() {
        let body = Payload {
            kind: "job.completed".into(),
            timestamp: "2026-11-21T09:00:02Z".into(),
            data: data("succeeded", Some(0)),
            event: Some("job.completed".into()),
            compat: Some(CompatFields::from_data(&data("succeeded", Some(0)))),
        };
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(v["jobId"], "20261121-090000-abcd");
        assert_eq!(v["jobType"], "brief");
        assert_eq!(v["status"], "completed");
        assert_eq!(v["startedAt"], "2026-11-21T09:00:00Z");
        assert_eq!(v["finishedAt"], "2026-11-21T09:00:02Z");
        assert_eq!(v["summary"], "brief completed");
        assert_eq!(v["artifactPath"], "/srv/brief.md");
        assert!(v.get("error").is_none() && v.get("attemptsMade").is_none());
        assert_eq!(v["data"]["job"], "brief");
        let back: Payload = serde_json::from_value(v).unwrap();
        assert_eq!(back, body);

        let failed = CompatFields::from_data(&data("failed", Some(3)));
        assert_eq!(failed.status, "failed");
        assert_eq!(failed.error.as_deref(), Some("exited with status 3"));
        assert_eq!(failed.summary, "brief failed: exited with status 3");
        assert_eq!(failed.attempts_made, Some(1));
        let timed_out = CompatFields::from_data(&data("timed_out", None));
        assert_eq!(timed_out.error.as_deref(), Some("timed out"));
    }
}
