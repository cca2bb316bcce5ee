//! The JSON body of a callback (documented in `docs/schemas/callback.json`).

use serde::{Deserialize, Serialize};

use crate::manifest::Job;
use crate::paths::Scope;
use crate::record::{RunRecord, RunStatus};

/// Most bytes of the run's output tail sent in `data.output_tail`.
pub const OUTPUT_TAIL_BYTES: usize = 4096;

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
    /// `succeeded`, `failed`, `timed_out`, `skipped` (or `running`).
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
    /// When the timer was due (RFC 3339), if known.
    pub scheduled_at: Option<String>,
    /// The job's `[metadata]` table.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The last lines of the run's output (at most 4096 bytes), if readable.
    pub output_tail: Option<String>,
    /// Path of an artifact the run produced, if any.
    pub artifact: Option<String>,
    /// Why the run could not be started, if it could not.
    pub error: Option<String>,
}

/// The event type of a finished run.
pub fn event_type(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Succeeded => "job.completed",
        RunStatus::TimedOut => "job.timed_out",
        RunStatus::Skipped => "job.skipped",
        RunStatus::Failed | RunStatus::Running | RunStatus::Lost => "job.failed",
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
        scheduled_at: None,
        metadata,
        output_tail,
        artifact: None,
        error: rec.error.clone(),
    }
}

/// The last [`OUTPUT_TAIL_BYTES`] of a run's journal output (`journalctl -o
/// cat`), cut at a line start; `None` when journalctl finds nothing.
pub fn output_tail(scope: Scope, rec: &RunRecord) -> Option<String> {
    let mut cmd = std::process::Command::new("journalctl");
    cmd.args(["--no-pager", "--quiet", "-o", "cat", "-n", "50"]);
    match scope {
        Scope::System => {
            cmd.arg(format!("PIAR_RUN={}", rec.run_id));
        }
        Scope::User => {
            // SAFETY: getuid has no preconditions and cannot fail.
            let uid = unsafe { libc::getuid() };
            cmd.arg(format!("_UID={uid}"))
                .arg(format!("_SYSTEMD_USER_UNIT={}", rec.unit));
        }
    }
    let out = cmd.stdin(std::process::Stdio::null()).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.is_empty() {
        return None;
    }
    Some(tail(&text, OUTPUT_TAIL_BYTES))
}

/// The end of `text`, at most `max` bytes, starting at a line start when possible.
fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let cut = &text[start..];
    match cut.find('\n') {
        Some(i) if i + 1 < cut.len() => cut[i + 1..].to_string(),
        _ => cut.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_is_bounded_and_starts_at_a_line() {
        let text = "aaaa\nbbbb\ncccc\n";
        assert_eq!(tail(text, 100), text);
        assert_eq!(tail(text, 8), "cccc\n");
        let long = "é".repeat(3000);
        assert!(tail(&long, 4096).len() <= 4096);
    }
}
