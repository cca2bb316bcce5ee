//! `piar doctor`.

use serde::Serialize;

use super::Ctx;
use crate::error::{ExitStatus, Result};
use crate::ops::doctor::{Check, Status, run_checks};
use crate::state::layout::Scope;

/// The `--json` document of `piar doctor`.
#[derive(Debug, Serialize)]
struct DoctorView<'a> {
    /// `system` or `user`.
    scope: Scope,
    /// `true` when no check failed (the exit status is then 0).
    ok: bool,
    /// Every check, in the order they ran.
    checks: &'a [Check],
}

/// Run the checks, print them (text: one `STATUS name: message` line each,
/// plus `fix:` lines) and exit 0 if none is FAIL, 1 otherwise.
pub(super) fn doctor(ctx: &Ctx) -> Result<ExitStatus> {
    let checks = run_checks(&ctx.paths);
    let ok = checks.iter().all(|c| c.status != Status::Fail);
    if ctx.out.json {
        ctx.out.json(&DoctorView {
            scope: ctx.scope,
            ok,
            checks: &checks,
        })?;
    } else {
        let mut text = String::new();
        for c in &checks {
            text.push_str(&format!(
                "{:<4}  {}: {}\n",
                c.status.label(),
                c.name,
                c.message
            ));
            if let Some(fix) = &c.fix {
                text.push_str(&format!("      fix: {fix}\n"));
            }
        }
        ctx.out.raw(&text)?;
    }
    Ok(if ok {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
