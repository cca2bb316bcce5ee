//! `piar rm`.

use super::Ctx;
use crate::error::{Error, ExitStatus, Result};
use crate::ops::apply;

/// Run `piar rm NAME [--purge]`: stop, disable, delete units and manifest;
/// run records are kept unless `purge`. Also cleans up leftover units of a
/// job whose manifest is already gone (a crashed or failed earlier `rm`).
pub(super) fn rm(ctx: &Ctx, name: &str, purge: bool) -> Result<ExitStatus> {
    crate::model::manifest::validate::validate_name(name)?;
    let store = ctx.store();
    // Lock first, then connect: a command waiting for the lock holds no bus connection
    // (dbus allows 256 per user; issue 12 point 6).
    let _lock = store.lock()?;
    let sd = ctx.systemd()?;
    let has_manifest = store.exists(name);
    let has_units = ctx
        .paths
        .unit_file(&crate::units::names::service(name))
        .exists()
        || ctx
            .paths
            .unit_file(&crate::units::names::timer(name))
            .exists();
    if !has_manifest && !has_units {
        return Err(Error::not_found(format!("no job named {name:?}"))
            .with_hint("`piar list` shows the jobs of this scope"));
    }
    crate::ops::trigger::retry::stop_retries(&ctx.paths, &sd, name, purge);
    // The manifest goes first: it is the commit point. A crash after it
    // leaves only orphaned units, which this command (run again) or
    // `piar sync` removes; the other order could leave a manifest whose
    // units are gone, and sync would bring the removed job back.
    store.remove(name)?;
    crate::failpoint::hit("rm.after-manifest-remove");
    let removed = apply::uninstall(&sd, &ctx.paths, name)?;
    let runs = ctx.paths.runs_dir(name);
    if purge && runs.exists() {
        std::fs::remove_dir_all(&runs).map_err(|e| Error::io("cannot remove", &runs, e))?;
    }
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({
            "name": name,
            "removed_units": removed,
            "runs_purged": purge,
        }))?;
    } else {
        ctx.out.line(format!(
            "removed {name}{}",
            if purge { " and its run records" } else { "" }
        ))?;
    }
    Ok(ExitStatus::Success)
}
