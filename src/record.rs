//! Run records: one JSON file per run at `<state>/runs/<job>/<run-id>.json`.
//!
//! Run ids are `YYYYMMDD-HHMMSS-xxxx` (UTC time the run was created, then 4
//! random hex digits), so sorting file names sorts runs by time.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::state::fs::write_atomic;
use crate::state::layout::Paths;

/// Run record format version.
pub const VERSION: u32 = 1;

/// How a run ended (or that it has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Started, not finished (or the trigger died before recording the end).
    Running,
    /// Exited 0.
    Succeeded,
    /// Exited non-zero, was killed, or could not start.
    Failed,
    /// Hit its timeout (`RuntimeMaxSec=`) and was stopped.
    TimedOut,
    /// Not started because a run of the same job was still active.
    Skipped,
    /// Stopped before it finished: by `piar stop`, or replaced by a newer
    /// run (`overlap = "replace"`); `reason` says which.
    Canceled,
    /// Not started (yet) because the job requires a synchronised clock and the
    /// clock was not; retried by a transient timer (see [`crate::ops::trigger::defer`]).
    Deferred,
    /// Its `piar trigger` died before recording the outcome and the run unit
    /// is gone: the outcome is unknown ([`crate::ops::recover::settle`]).
    Lost,
}

impl RunStatus {
    /// `running`, `succeeded`, `failed`, `timed_out`, `skipped`, `canceled`, `deferred`, `lost`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::TimedOut => "timed_out",
            RunStatus::Skipped => "skipped",
            RunStatus::Canceled => "canceled",
            RunStatus::Deferred => "deferred",
            RunStatus::Lost => "lost",
        }
    }
}

/// One run of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// Job name.
    pub job: String,
    /// Run id (`YYYYMMDD-HHMMSS-xxxx`).
    pub run_id: String,
    /// The transient unit (`piar-<job>.run-<id>.service`).
    pub unit: String,
    /// Outcome so far.
    pub status: RunStatus,
    /// The argv that was run (`argv[0]` resolved to an absolute path).
    pub command: Vec<String>,
    /// systemd invocation ID of the run unit (32 hex digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
    /// Invocation ID of the unit that ran the trigger, if any: the timer's
    /// `piar-<job>.service` or the `piar-<job>.manual-<id>.service` of
    /// `piar run` (which lets `piar run --wait` find the run it started).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_invocation_id: Option<String>,
    /// systemd's `Result` of the run unit (`success`, `exit-code`, `signal`, `timeout`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Exit code, when the process exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Signal name (`SIGTERM`), when the process was killed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// When it finished (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Wall-clock duration in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Why the run could not be started or recorded, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    // -- Templated input and artifacts (see crate::model::template, crate::ops::trigger::artifact).
    /// When the job's timer was due (RFC 3339, UTC); `None` for runs not
    /// started by the timer (`piar run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<String>,
    /// The file this run wrote for the job's `output`: the artifact, or
    /// `<artifact>.failed` when the run did not succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    // --- run policy (issue 5, crate::model::policy): retries and cancellation ---
    /// Attempt number, 1-based; absent = 1 (the first attempt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// Run id of the first attempt when this run is a retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_of: Option<String>,
    /// Why a `canceled` run was stopped (e.g. `replaced by run <id>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl RunRecord {
    /// The exit status piar reports for this run: 0 for succeeded/skipped/deferred,
    /// the exit code, 128+N for signal N (a canceled run: 143, SIGTERM), 124
    /// for a timeout, 1 otherwise (including `lost`).
    pub fn exit_status(&self) -> u8 {
        match self.status {
            RunStatus::Succeeded | RunStatus::Skipped | RunStatus::Deferred => 0,
            RunStatus::TimedOut => 124,
            RunStatus::Running | RunStatus::Lost => 1,
            RunStatus::Failed | RunStatus::Canceled => {
                if let Some(sig) = &self.signal {
                    128u8.saturating_add(
                        u8::try_from(signal_number(sig).unwrap_or(0)).unwrap_or(u8::MAX),
                    )
                } else {
                    match self.exit_code {
                        Some(c) => u8::try_from(c).ok().filter(|&c| c != 0).unwrap_or(1),
                        _ => 1,
                    }
                }
            }
        }
    }
}

/// A fresh run id for now: `YYYYMMDD-HHMMSS-xxxx`.
pub fn new_run_id() -> String {
    let now = jiff::Timestamp::now();
    let mut rnd = [0u8; 2];
    // Without randomness (no getrandom), fall back to the sub-second clock.
    if getrandom::fill(&mut rnd).is_err() {
        let ns = now.subsec_nanosecond() as u32;
        let [.., hi, lo] = ns.to_be_bytes();
        rnd = [hi, lo];
    }
    format!(
        "{}-{:02x}{:02x}",
        now.strftime("%Y%m%d-%H%M%S"),
        rnd[0],
        rnd[1]
    )
}

/// Validate a run id given on the command line (`--run`): `[0-9a-z-]{1,64}`.
pub fn validate_run_id(id: &str) -> Result<()> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'-')
    {
        return Err(Error::invalid(format!(
            "run id {id:?}: expected the form YYYYMMDD-HHMMSS-xxxx shown by `piar show`"
        )));
    }
    Ok(())
}

/// Path of one run record.
pub fn record_path(paths: &Paths, job: &str, run_id: &str) -> PathBuf {
    paths.runs_dir(job).join(format!("{run_id}.json"))
}

/// Write a run record atomically (mode 0644).
pub fn save(paths: &Paths, rec: &RunRecord) -> Result<()> {
    let dir = paths.runs_dir(&rec.job);
    crate::state::fs::ensure_dir(&dir)?;
    let mut text = serde_json::to_vec_pretty(rec)
        .map_err(|e| Error::failed(format!("cannot encode run record: {e}")))?;
    text.push(b'\n');
    write_atomic(&record_path(paths, &rec.job, &rec.run_id), &text, 0o644)
}

/// Load one run record. Errors: not found (exit 3), unparsable (exit 1).
pub fn load(path: &Path) -> Result<RunRecord> {
    let text = std::fs::read(path).map_err(|e| Error::io("cannot read run record", path, e))?;
    serde_json::from_slice(&text)
        .map_err(|e| Error::failed(format!("run record {} is corrupt: {e}", path.display())))
}

/// The ids of a job's runs, oldest first.
pub fn run_ids(paths: &Paths, job: &str) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(paths.runs_dir(job))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_suffix(".json").map(str::to_string)
        })
        .collect();
    ids.sort();
    ids
}

/// The last `n` runs of a job, newest first; unreadable records are skipped.
pub fn recent(paths: &Paths, job: &str, n: usize) -> Vec<RunRecord> {
    run_ids(paths, job)
        .iter()
        .rev()
        .filter_map(|id| load(&record_path(paths, job, id)).ok())
        .take(n)
        .collect()
}

/// Signal number for a name like `SIGTERM` (Linux numbering).
pub fn signal_number(name: &str) -> Option<i32> {
    SIGNALS
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(num, _)| *num)
}

/// Signal name for a number (`SIGTERM` for 15); `SIG<n>` if unknown.
pub fn signal_name(num: i32) -> String {
    SIGNALS
        .iter()
        .find(|(n, _)| *n == num)
        .map(|(_, name)| name.to_string())
        .unwrap_or_else(|| format!("SIG{num}"))
}

/// Linux signal numbers (signal(7), x86/ARM numbering).
const SIGNALS: &[(i32, &str)] = &[
    (1, "SIGHUP"),
    (2, "SIGINT"),
    (3, "SIGQUIT"),
    (4, "SIGILL"),
    (5, "SIGTRAP"),
    (6, "SIGABRT"),
    (7, "SIGBUS"),
    (8, "SIGFPE"),
    (9, "SIGKILL"),
    (10, "SIGUSR1"),
    (11, "SIGSEGV"),
    (12, "SIGUSR2"),
    (13, "SIGPIPE"),
    (14, "SIGALRM"),
    (15, "SIGTERM"),
    (17, "SIGCHLD"),
    (18, "SIGCONT"),
    (19, "SIGSTOP"),
    (20, "SIGTSTP"),
    (24, "SIGXCPU"),
    (25, "SIGXFSZ"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(status: RunStatus, exit_code: Option<i32>, signal: Option<&str>) -> RunRecord {
        RunRecord {
            version: VERSION,
            job: "j".into(),
            run_id: "20260101-000000-abcd".into(),
            unit: "piar-j.run-20260101-000000-abcd.service".into(),
            status,
            command: vec!["/bin/true".into()],
            invocation_id: None,
            trigger_invocation_id: None,
            result: None,
            exit_code,
            signal: signal.map(str::to_string),
            started_at: "2026-01-01T00:00:00Z".into(),
            finished_at: None,
            duration_ms: None,
            error: None,
            scheduled_for: None,
            artifact: None,
            attempt: None,
            retry_of: None,
            reason: None,
        }
    }

    #[test]
    fn exit_status_mapping() {
        assert_eq!(rec(RunStatus::Succeeded, Some(0), None).exit_status(), 0);
        assert_eq!(rec(RunStatus::Skipped, None, None).exit_status(), 0);
        assert_eq!(rec(RunStatus::Failed, Some(3), None).exit_status(), 3);
        assert_eq!(
            rec(RunStatus::Failed, None, Some("SIGKILL")).exit_status(),
            137
        );
        assert_eq!(
            rec(RunStatus::TimedOut, None, Some("SIGTERM")).exit_status(),
            124
        );
        assert_eq!(rec(RunStatus::Failed, None, None).exit_status(), 1);
    }

    #[test]
    fn run_ids_are_valid_and_sortable() {
        let a = new_run_id();
        validate_run_id(&a).unwrap();
        assert_eq!(a.len(), "20260101-000000-abcd".len());
        assert!(validate_run_id("../etc").is_err());
        assert!(validate_run_id("").is_err());
    }
}
