//! `piar approve` and `piar reject`: the approval gate of jobs submitted
//! with `--require-approval` (see [`crate::model::manifest::approval`]).

use serde::Serialize;

use super::Ctx;
use crate::error::{Error, ExitStatus, Result};
use crate::model::manifest::approval::{Approval, ApprovalState};
use crate::ops::apply;

/// What `approve` and `reject` print with `--json`.
#[derive(Debug, Serialize)]
struct DecisionView<'a> {
    name: &'a str,
    /// The state now: `approved` or `rejected`.
    approval: &'a Approval,
    /// `false` when the job was already in that state (nothing changed).
    changed: bool,
}

/// Run `piar approve NAME`: record who and when, then write the units again
/// and enable and start the timer (unless the job is paused). Approving an
/// approved job changes nothing; a rejected one cannot be approved (exit 4).
pub(super) fn approve(ctx: &Ctx, name: &str) -> Result<ExitStatus> {
    decide(ctx, name, ApprovalState::Approved, None)
}

/// Run `piar reject NAME [--reason T]`: record who, when and why, and remove
/// the units; the manifest stays so `list`/`show` show the job as rejected
/// until `piar rm`. Only a pending job can be rejected (exit 4 otherwise).
pub(super) fn reject(ctx: &Ctx, name: &str, reason: Option<String>) -> Result<ExitStatus> {
    decide(ctx, name, ApprovalState::Rejected, reason)
}

fn decide(ctx: &Ctx, name: &str, to: ApprovalState, reason: Option<String>) -> Result<ExitStatus> {
    crate::model::manifest::validate::validate_name(name)?;
    super::edit::refuse_dropin(ctx, name, "the decision (set its [approval] table)")?;
    let store = ctx.store();
    // Lock first, then connect: a command waiting for the lock holds no bus connection
    // (dbus allows 256 per user; issue 12 point 6).
    let _lock = store.lock()?;
    let sd = ctx.systemd()?;
    let job = store.load(name)?;
    let from = job.manifest.approval_state();
    let changed = from != to;
    if changed && from != ApprovalState::Pending {
        let verb = if to == ApprovalState::Approved {
            "approve"
        } else {
            "reject"
        };
        let hint = match from {
            ApprovalState::Rejected => format!("`piar rm {name}` removes it; submit it again"),
            _ => format!("it is not pending approval; `piar pause {name}` or `piar rm {name}`"),
        };
        return Err(Error::conflict(format!(
            "cannot {verb} job {name:?}: it is {}",
            state_word(from)
        ))
        .with_hint(hint));
    }
    if changed {
        let old_text = store.read_raw(name)?;
        let mut m = job.manifest.clone();
        m.approval = Some(Approval::decided(to, reason));
        m.updated = Some(crate::printer::now_rfc3339());
        let new_job = crate::model::manifest::validate::validate(m, None)?;
        store.save(&new_job.manifest)?;
        let applied = match to {
            ApprovalState::Approved => apply::render(&new_job, &ctx.paths)
                .and_then(|r| apply::apply(&sd, &ctx.paths, &new_job, &r)),
            _ => apply::uninstall(&sd, &ctx.paths, name).map(|_| ()),
        };
        if let Err(e) = applied {
            if let Some(text) = old_text {
                store.save_raw(name, &text)?;
            }
            return Err(e);
        }
        if to == ApprovalState::Approved {
            // An interval job's first run, as after `piar submit` (after the change is
            // applied: a failed start does not undo the approval).
            apply::start_first_run(&sd, &new_job)?;
        }
    }
    drop(_lock);
    let job = store.load(name)?;
    let approval = job
        .manifest
        .approval
        .clone()
        .unwrap_or_else(|| Approval::decided(ApprovalState::Approved, None));
    if ctx.out.json {
        ctx.out.json(&DecisionView {
            name,
            approval: &approval,
            changed,
        })?;
    } else if changed {
        ctx.out.line(format!("{} {name}", state_word(to)))?;
    } else {
        ctx.out
            .line(format!("{name} is already {}", state_word(to)))?;
    }
    Ok(ExitStatus::Success)
}

fn state_word(s: ApprovalState) -> &'static str {
    match s {
        ApprovalState::Pending => "pending approval",
        ApprovalState::Approved => "approved",
        ApprovalState::Rejected => "rejected",
    }
}
