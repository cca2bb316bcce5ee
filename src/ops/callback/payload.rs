//! The JSON body of a callback (documented in `docs/schemas/callback.json`).

use serde::{Deserialize, Serialize};

use crate::model::manifest::Job;
use crate::record::{OutputTail, Run, RunRecord, RunStatus};

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
        let ok = d.status == RunStatus::Succeeded;
        let status = d.status.as_str();
        let reason = if ok {
            None
        } else {
            Some(
                d.error
                    .clone()
                    .unwrap_or_else(|| match (d.exit_code, &d.signal) {
                        (_, Some(sig)) => format!("killed by {sig}"),
                        (Some(code), None) => format!("exited with status {code}"),
                        (None, None) => status.replace('_', " "),
                    }),
            )
        };
        CompatFields {
            job_id: d.id.clone(),
            job_type: d.job.clone(),
            status: if ok { "completed" } else { "failed" }.to_string(),
            started_at: d.started_at.clone(),
            finished_at: d.finished_at.clone(),
            summary: match &reason {
                None => format!("{} completed", d.job),
                Some(r) => format!("{} {}: {r}", d.job, status.replace('_', " ")),
            },
            artifact_path: d.output.artifact.clone(),
            attempts_made: reason.as_ref().map(|_| d.attempt),
            error: reason,
        }
    }
}

/// What a callback says about one run: the one Run shape
/// ([`crate::record::Run`], `docs/schemas/run.json`), with its output tail.
pub type RunData = Run;

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

/// Build the `data` of a run: its Run with the job's metadata and the
/// output tails (`tail`, see [`crate::ops::trigger::artifact::output_tails`]).
pub fn run_data(job: Option<&Job>, rec: &RunRecord, tail: Vec<OutputTail>) -> RunData {
    Run::from_record(rec, job.map(|j| &j.manifest.metadata)).with_tail(tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(status: RunStatus, exit_code: Option<i32>) -> RunData {
        let rec = RunRecord {
            version: crate::record::VERSION,
            job: "brief".into(),
            run_id: "20261121-090000-abcd".into(),
            unit: "piar-brief.run-20261121-090000-abcd.service".into(),
            status,
            command: vec!["/bin/brief".into()],
            invocation_id: None,
            trigger_invocation_id: None,
            result: None,
            exit_code,
            signal: None,
            started_at: "2026-11-21T09:00:00Z".into(),
            finished_at: Some("2026-11-21T09:00:02Z".into()),
            duration_ms: Some(2000),
            error: None,
            scheduled_for: None,
            artifact: Some("/srv/brief.md".into()),
            attempt: None,
            retry_of: None,
            reason: None,
            trigger: None,
        };
        run_data(None, &rec, vec![])
    }

    #[test]
    fn compat_fields_follow_pi_agent_runner_names() {
        let body = Payload {
            kind: "job.completed".into(),
            timestamp: "2026-11-21T09:00:02Z".into(),
            data: data(RunStatus::Succeeded, Some(0)),
            event: Some("job.completed".into()),
            compat: Some(CompatFields::from_data(&data(
                RunStatus::Succeeded,
                Some(0),
            ))),
        };
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(v["jobId"], "20261121-090000-abcd");
        assert_eq!(v["jobType"], "brief");
        assert_eq!(v["status"], "completed");
        assert_eq!(v["startedAt"], "2026-11-21T09:00:00.000Z");
        assert_eq!(v["finishedAt"], "2026-11-21T09:00:02.000Z");
        assert_eq!(v["summary"], "brief completed");
        assert_eq!(v["artifactPath"], "/srv/brief.md");
        assert!(v.get("error").is_none() && v.get("attemptsMade").is_none());
        assert_eq!(v["data"]["job"], "brief");
        let back: Payload = serde_json::from_value(v).unwrap();
        assert_eq!(back, body);

        let failed = CompatFields::from_data(&data(RunStatus::Failed, Some(3)));
        assert_eq!(failed.status, "failed");
        assert_eq!(failed.error.as_deref(), Some("exited with status 3"));
        assert_eq!(failed.summary, "brief failed: exited with status 3");
        assert_eq!(failed.attempts_made, Some(1));
        let timed_out = CompatFields::from_data(&data(RunStatus::TimedOut, None));
        assert_eq!(timed_out.error.as_deref(), Some("timed out"));
    }
}
