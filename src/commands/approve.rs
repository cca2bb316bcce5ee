//! `piar approve` and `piar reject`: the approval gate of jobs submitted
//! with `--require-approval` (see [`crate::model::manifest::approval`]; who may
//! decide and where the decision is kept: [`crate::state::approvals`]).

use serde::Serialize;

use super::Ctx;
use crate::error::{Error, ExitStatus, Result};
use crate::model::manifest::approval::{Approval, ApprovalState};
use crate::ops::apply;
use crate::schedule::Schedule;
use crate::state::approvals as gate;

/// What `approve` and `reject` print with `--json`.
#[derive(Debug, Serialize)]
struct DecisionView<'a> {
    name: &'a str,
    /// The state now: `approved` or `rejected`.
    approval: &'a Approval,
    /// `false` when the job was already in that state (nothing changed).
    changed: bool,
    /// `approve --run-now`: a run was started (the service `piar-NAME.service`).
    run_started: bool,
}

/// Run `piar approve NAME [--run-now]`: check the caller may decide, record
/// the decision in the state directory, then write the units again and
/// enable and start the timer (unless the job is paused). Approving an
/// approved job changes nothing. Errors: the job needs no approval, was
/// rejected, or is a one-shot whose time has passed without `run_now`
/// (exit 4); the caller may not decide (exit 6).
pub(super) fn approve(ctx: &Ctx, name: &str, run_now: bool) -> Result<ExitStatus> {
    decide(ctx, name, ApprovalState::Approved, None, run_now)
}

/// Run `piar reject NAME [--reason T]`: record who, when and why, and remove
/// the units; the manifest stays so `list`/`show` show the job as rejected
/// until `piar rm`. Only a pending job can be rejected (exit 4 otherwise);
/// the same people may reject as may approve (exit 6).
pub(super) fn reject(ctx: &Ctx, name: &str, reason: Option<String>) -> Result<ExitStatus> {
    decide(ctx, name, ApprovalState::Rejected, reason, false)
}

fn decide(
    ctx: &Ctx,
    name: &str,
    to: ApprovalState,
    reason: Option<String>,
    run_now: bool,
) -> Result<ExitStatus> {
    crate::model::manifest::validate::validate_name(name)?;
    let verb = if to == ApprovalState::Approved {
        "approve"
    } else {
        "reject"
    };
    let store = ctx.store();
    // Lock first, then connect: a command waiting for the lock holds no bus connection
    // (dbus allows 256 per user; issue 12 point 6).
    let _lock = store.lock()?;
    let job = store.load(name)?;
    let Some(table) = job.manifest.approval.clone() else {
        return Err(Error::conflict(format!(
            "cannot {verb} job {name:?}: it does not require approval"
        ))
        .with_hint(format!(
            "only jobs submitted with --require-approval wait for a decision; \
             `piar show {name}` shows its state"
        )));
    };
    let cfg = gate::load_config(&ctx.paths)?;
    gate::check_may_decide(
        &cfg,
        &gate::Caller::current(),
        table.submitted_uid,
        name,
        &gate::group_id,
    )?;
    let sd = ctx.systemd()?;
    let from = table.state;
    let changed = from != to;
    if changed && from != ApprovalState::Pending {
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
    if changed
        && to == ApprovalState::Approved
        && !run_now
        && let Schedule::At { at, .. } = &job.schedule
        && *at <= jiff::Timestamp::now()
    {
        return Err(Error::conflict(format!(
            "cannot approve job {name:?}: its one-shot time {} has passed, so its timer would \
             never fire",
            at.round(jiff::Unit::Second).unwrap_or(*at)
        ))
        .with_hint(format!(
            "`piar approve {name} --run-now` approves it and runs it now; or \
             `piar edit {name} --at TIME` first, then approve it"
        )));
    }
    let mut run_started = false;
    let mut decided = table.clone();
    if changed {
        let decision = Approval::decided(to, reason);
        let mut m = job.manifest.clone();
        m.approval = Some(Approval {
            submitted_uid: table.submitted_uid,
            ..decision.clone()
        });
        let new_job = crate::model::manifest::validate::validate(m, None)?;
        gate::write_decision(&ctx.paths, name, &decision)?;
        crate::failpoint::hit("approve.after-decision-write");
        let applied = match to {
            ApprovalState::Approved => apply::render(&new_job, &ctx.paths)
                .and_then(|r| apply::apply(&sd, &ctx.paths, &new_job, &r)),
            _ => apply::uninstall(&sd, &ctx.paths, name).map(|_| ()),
        };
        if let Err(e) = applied {
            gate::remove_decision(&ctx.paths, name)?;
            return Err(e);
        }
        if to == ApprovalState::Approved && !run_now {
            // An interval job's first run, as after `piar submit` (after the change is
            // applied: a failed start does not undo the approval).
            apply::start_first_run(&sd, &new_job)?;
        }
        decided = new_job.manifest.approval.clone().unwrap_or(decided);
    }
    if run_now && to == ApprovalState::Approved {
        apply::start_run_now(&sd, name)?;
        run_started = true;
    }
    drop(_lock);
    if ctx.out.json {
        ctx.out.json(&DecisionView {
            name,
            approval: &decided,
            changed,
            run_started,
        })?;
    } else {
        let mut text = if changed {
            format!("{} {name}", state_word(to))
        } else {
            format!("{name} is already {}", state_word(to))
        };
        if run_started {
            text.push_str(" (run started)");
        }
        ctx.out.line(text)?;
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
