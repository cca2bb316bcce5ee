//! The lifecycle fields of a manifest: the approval gate
//! (`submit --require-approval`, `piar approve`, `piar reject`), the
//! idempotency key and the run-record retention, with their validation.
//!
//! A job whose `[approval]` table says `pending` has its unit files written
//! but its timer disabled and stopped, and `piar trigger` (so `piar run` and a
//! hand-started `piar-<name>.service`) refuses it: nothing can fire before
//! `piar approve`. A `rejected` job has no units at all; its manifest stays
//! as a record until `piar rm`.

use serde::{Deserialize, Serialize};

use super::Manifest;
use crate::error::{Error, Result};

/// Longest `idempotency_key`, in bytes.
pub const IDEMPOTENCY_KEY_MAX: usize = 256;

/// Longest rejection `reason`, in characters.
pub const REASON_MAX: usize = 1024;

/// Largest `keep_runs`.
pub const KEEP_RUNS_MAX: u32 = 100_000;

/// Where a job stands on the approval gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    /// Submitted with `--require-approval`; nothing fires yet.
    Pending,
    /// Approved with `piar approve`: runs like any job.
    Approved,
    /// Rejected with `piar reject`: no units; kept as a record until `piar rm`.
    Rejected,
}

impl ApprovalState {
    /// `pending`, `approved`, `rejected` (as in the manifest).
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "pending",
            ApprovalState::Approved => "approved",
            ApprovalState::Rejected => "rejected",
        }
    }
}

/// The `[approval]` table of a manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// `pending`, `approved` or `rejected`.
    pub state: ApprovalState,
    /// Who approved or rejected: `$SUDO_USER`, else `$USER`, else `uid N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// The real uid of the `piar approve`/`reject` process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_uid: Option<u32>,
    /// When (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// `piar reject --reason`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Approval {
    /// A fresh `pending` table.
    pub fn pending() -> Approval {
        Approval {
            state: ApprovalState::Pending,
            decided_by: None,
            decided_uid: None,
            decided_at: None,
            reason: None,
        }
    }

    /// A decision by the calling user, now.
    pub fn decided(state: ApprovalState, reason: Option<String>) -> Approval {
        // SAFETY: getuid(2) cannot fail and touches no memory.
        let uid = unsafe { libc::getuid() };
        let by = ["SUDO_USER", "USER"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty())
            .unwrap_or_else(|| format!("uid {uid}"));
        Approval {
            state,
            decided_by: Some(by),
            decided_uid: Some(uid),
            decided_at: Some(crate::printer::now_rfc3339()),
            reason,
        }
    }
}

impl Manifest {
    /// The approval state; a manifest without `[approval]` counts as approved.
    pub fn approval_state(&self) -> ApprovalState {
        self.approval
            .as_ref()
            .map(|a| a.state)
            .unwrap_or(ApprovalState::Approved)
    }

    /// Whether the job may run (approved, or no approval needed).
    pub fn is_approved(&self) -> bool {
        self.approval_state() == ApprovalState::Approved
    }

    /// Whether the job was rejected (it then has no units).
    pub fn is_rejected(&self) -> bool {
        self.approval_state() == ApprovalState::Rejected
    }

    /// Whether the timer should be enabled and started: not paused and approved.
    pub fn timer_wanted(&self) -> bool {
        self.enabled && self.is_approved()
    }
}

/// Refuse to run a job that is not approved (exit 4, with the way out).
pub fn check_may_run(m: &Manifest) -> Result<()> {
    let name = &m.name;
    match m.approval_state() {
        ApprovalState::Approved => Ok(()),
        ApprovalState::Pending => Err(Error::conflict(format!(
            "job {name:?} is pending approval; it cannot run yet"
        ))
        .with_hint(format!(
            "approve it with `piar approve {name}` (or `piar reject {name}`)"
        ))),
        ApprovalState::Rejected => Err(Error::conflict(format!(
            "job {name:?} was rejected; it cannot run"
        ))
        .with_hint(format!(
            "`piar rm {name}` removes it; submit it again to start over"
        ))),
    }
}

/// Check `approval`, `idempotency_key` and `keep_runs` (exit 2, naming the field).
pub fn validate_lifecycle(m: &Manifest) -> Result<()> {
    if let Some(key) = &m.idempotency_key {
        check_text("idempotency_key", key, IDEMPOTENCY_KEY_MAX)?;
    }
    if let Some(a) = &m.approval {
        if let Some(by) = &a.decided_by {
            check_text("approval.decided_by", by, 256)?;
        }
        if let Some(reason) = &a.reason
            && reason.chars().count() > REASON_MAX
        {
            return Err(Error::invalid(format!(
                "approval.reason: longer than {REASON_MAX} characters"
            )));
        }
        if let Some(t) = &a.decided_at {
            t.parse::<jiff::Timestamp>().map_err(|e| {
                Error::invalid(format!(
                    "approval.decided_at: expected an RFC 3339 time, got {t:?}: {e}"
                ))
            })?;
        }
    }
    if let Some(n) = m.keep_runs
        && !(1..=KEEP_RUNS_MAX).contains(&n)
    {
        return Err(Error::invalid(format!(
            "keep_runs: expected 1 to {KEEP_RUNS_MAX}, got {n}"
        )));
    }
    Ok(())
}

/// Non-empty, at most `max` bytes, no control characters.
fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() || value.len() > max {
        return Err(Error::invalid(format!(
            "{field}: expected 1 to {max} bytes, got {}",
            value.len()
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "{field}: must not contain control characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approval_table_round_trips_and_rejects_unknown_keys() {
        let a: Approval = toml::from_str("state = \"pending\"").unwrap();
        assert_eq!(a, Approval::pending());
        assert!(toml::from_str::<Approval>("state = \"maybe\"").is_err());
        assert!(toml::from_str::<Approval>("state = \"pending\"\nwho = 1").is_err());
        let d = Approval::decided(ApprovalState::Rejected, Some("no".into()));
        let text = toml::to_string(&d).unwrap();
        assert_eq!(toml::from_str::<Approval>(&text).unwrap(), d);
        assert!(text.contains("state = \"rejected\""));
    }

    #[test]
    fn text_fields_are_bounded() {
        assert!(check_text("k", "abc", 8).is_ok());
        assert!(check_text("k", "", 8).is_err());
        assert!(check_text("k", "a\nb", 8).is_err());
        let e = check_text("idempotency_key", &"x".repeat(9), 8).unwrap_err();
        assert!(e.message.starts_with("idempotency_key:"), "{}", e.message);
    }
}
