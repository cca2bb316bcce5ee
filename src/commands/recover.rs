//! `piar recover`.

use serde::Serialize;

use super::Ctx;
use crate::error::{ExitStatus, Result};
use crate::ops::recover::Repair;

/// The `--json` document of `piar recover` (docs/schemas/recover.json).
#[derive(Debug, Serialize)]
struct RecoverView<'a> {
    /// Every repair, in the order made; empty when nothing needed repair.
    repairs: &'a [Repair],
}

/// Run `piar recover` ([`crate::ops::recover::recover_all`] under the store lock) and print
/// what was repaired. Exit 0, or the error's exit status (no manager: 5).
pub(super) fn recover(ctx: &Ctx) -> Result<ExitStatus> {
    let store = ctx.store();
    let _lock = store.lock()?;
    let sd = ctx.systemd()?;
    let repairs = crate::ops::recover::recover_all(&sd, &ctx.paths)?;
    if ctx.out.json {
        ctx.out.json(&RecoverView { repairs: &repairs })?;
    } else if repairs.is_empty() {
        ctx.out.line("nothing to recover")?;
    } else {
        let rows: Vec<Vec<String>> = repairs
            .iter()
            .map(|r| vec![r.action.to_string(), r.job.clone(), r.detail.clone()])
            .collect();
        ctx.out.table(&["ACTION", "JOB", "DETAIL"], &rows)?;
    }
    Ok(ExitStatus::Success)
}
