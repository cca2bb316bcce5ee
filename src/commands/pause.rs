//! `piar pause` and `piar resume`.

use super::Ctx;
use crate::error::{ExitStatus, Result};
use crate::ops::apply;

/// Pause (`resume == false`) or resume a job: the manifest's `enabled` is
/// updated first and restored if the manager refuses. Resuming does not run the job
/// (missed slots are not caught up) unless `now`, which starts one run as `piar run`
/// would, also when the job was not paused.
pub(super) fn pause(ctx: &Ctx, name: &str, resume: bool, now: bool) -> Result<ExitStatus> {
    crate::model::manifest::validate::validate_name(name)?;
    let store = ctx.store();
    // Lock first, then connect: a command waiting for the lock holds no bus connection
    // (dbus allows 256 per user; issue 12 point 6).
    let _lock = store.lock()?;
    let sd = ctx.systemd()?;
    let job = store.load(name)?;
    if resume {
        crate::model::manifest::approval::check_may_run(&job.manifest)?;
    }
    let verb = if resume { "resumed" } else { "paused" };
    if job.manifest.enabled != resume {
        let mut m = job.manifest.clone();
        m.enabled = resume;
        m.updated = Some(crate::printer::now_rfc3339());
        store.save(&m)?;
        crate::failpoint::hit(if resume {
            "resume.after-manifest-write"
        } else {
            "pause.after-manifest-write"
        });
        let applied = if resume {
            apply::resume(&sd, &ctx.paths, name)
        } else {
            apply::pause(&sd, &ctx.paths, name)
        };
        if let Err(e) = applied {
            store.save(&job.manifest)?;
            return Err(e);
        }
    }
    if resume && now {
        apply::start_run_now(&sd, name)?;
    }
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "name": name, "enabled": resume }))?;
    } else {
        ctx.out.line(format!("{verb} {name}"))?;
    }
    Ok(ExitStatus::Success)
}
