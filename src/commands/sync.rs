//! `piar sync`.

use super::Ctx;
use crate::error::{ExitStatus, Result};

/// Run `piar sync`: reconcile drop-ins, manifests and units
/// ([`crate::ops::sync::sync`]) and print what was done. Exit 0, or 2 when a
/// drop-in or stored manifest is invalid (the others are still applied).
pub(super) fn sync(ctx: &Ctx) -> Result<ExitStatus> {
    let sd = ctx.systemd()?;
    let outcome = crate::ops::sync::sync(&sd, &ctx.paths)?;
    if ctx.out.json {
        ctx.out.json(&outcome)?;
    } else if outcome.actions.is_empty() {
        ctx.out.line(format!(
            "in sync: nothing to do (drop-ins: {})",
            outcome.dropin_dir.display()
        ))?;
    } else {
        let rows: Vec<Vec<String>> = outcome
            .actions
            .iter()
            .map(|a| vec![a.action.to_string(), a.job.clone(), a.detail.clone()])
            .collect();
        ctx.out.table(&["ACTION", "JOB", "DETAIL"], &rows)?;
    }
    Ok(if outcome.has_invalid() {
        ExitStatus::Usage
    } else {
        ExitStatus::Success
    })
}
