//! `piar sync`: reconcile drop-in manifests, stored manifests and unit files.
//!
//! Drop-in directory: `/etc/piar/jobs.d` (system scope),
//! `$XDG_CONFIG_HOME/piar/jobs.d` = `~/.config/piar/jobs.d` (user scope). Each
//! `NAME.toml` there is a job manifest (piar.toml(5)) whose `name` equals the
//! file name. Files starting with `.` and files not ending in `.toml` are
//! ignored (editors' temp files).
//!
//! Precedence: a drop-in owns its job name. Sync copies it into the store
//! (`<state>/jobs/NAME.toml`) and applies its units whenever it differs from
//! the stored manifest (ignoring `created`/`updated`), replacing a job of the
//! same name that was submitted with `piar submit`. Changes made with
//! `submit --replace`, `pause` or `resume` to a drop-in job are undone by the
//! next sync: edit the drop-in instead. When a drop-in file is deleted, sync
//! removes the job it created (recorded under `<state>/dropins/NAME`). Jobs
//! submitted with `piar submit` and no drop-in are never removed by sync.
//!
//! Repair, both ways: piar-generated units whose manifest is gone are stopped
//! and removed; jobs whose units are missing or differ from what piar renders
//! are re-applied. Everything happens under the store lock, so sync never
//! races `submit` or `rm`. Running it twice in a row changes nothing the
//! second time.
//!
//! Crash recovery ([`crate::ops::recover`]): timers enabled and started (or
//! stopped and disabled) as their manifests say, `running` runs whose trigger
//! died marked `lost`, callbacks a dead trigger never queued queued, and
//! pending deliveries without a retry timer re-armed.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::manifest::{Manifest, validate};
use crate::ops::apply;
use crate::ops::drift;
use crate::state::fs::{self, ensure_dir};
use crate::state::jobs::Store;
use crate::state::layout::{Paths, Scope};
use crate::systemd::Systemd;

/// The drop-in directory of `paths`' scope (see the module docs);
/// `PIAR_DROPIN_DIR` (an absolute path) overrides it, like `PIAR_STATE_DIR`
/// overrides the state directory (tests with a private state use both).
pub fn dropin_dir(paths: &Paths) -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("PIAR_DROPIN_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Ok(dir);
    }
    match paths.scope {
        Scope::System => Ok(PathBuf::from("/etc/piar/jobs.d")),
        Scope::User => {
            let env_dir = |k: &str| {
                std::env::var_os(k)
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
                    .filter(|p| p.is_absolute())
            };
            env_dir("XDG_CONFIG_HOME")
                .or_else(|| env_dir("HOME").map(|h| h.join(".config")))
                .map(|c| c.join("piar/jobs.d"))
                .ok_or_else(|| Error::invalid("user scope needs HOME or XDG_CONFIG_HOME"))
        }
    }
}

/// `<state>/dropins`: one empty file per job that sync created from a drop-in.
fn ledger_dir(paths: &Paths) -> PathBuf {
    paths.state_dir.join("dropins")
}

/// One thing sync did (or, for `invalid`, refused to do).
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    /// The job concerned.
    pub job: String,
    /// `created`, `updated` (from a drop-in), `removed` (its drop-in is
    /// gone), `orphan-removed` (units without a manifest), `repaired` (units
    /// rewritten to match the manifest, or a timer enabled/started/stopped/
    /// disabled as its manifest says), `run-lost` (a `running` run whose
    /// trigger died, now `lost`), `callback-queued` (a finished run's missing
    /// outbox entry), `callback-rearmed` (a pending delivery without a retry
    /// timer), `invalid` (a drop-in or stored manifest that does not
    /// validate; left alone).
    pub action: &'static str,
    /// Details: the file, the units, or the error.
    pub detail: String,
}

/// What [`sync`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The drop-in directory read.
    pub dropin_dir: PathBuf,
    /// Every action, in the order taken; empty when everything was in sync.
    pub actions: Vec<Action>,
}

impl Outcome {
    /// Whether some drop-in or manifest was invalid (exit 2).
    pub fn has_invalid(&self) -> bool {
        self.actions.iter().any(|a| a.action == "invalid")
    }
}

/// Read and validate one drop-in. The file stem must equal `name`.
fn read_dropin(path: &Path, stem: &str) -> Result<Manifest> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    let manifest: Manifest =
        toml::from_str(&text).map_err(|e| Error::invalid(format!("{}: {e}", path.display())))?;
    if manifest.name != stem {
        return Err(Error::invalid(format!(
            "{}: name = {:?} does not match the file name (expected {stem:?})",
            path.display(),
            manifest.name
        )));
    }
    validate::validate(manifest.clone(), None).map_err(|e| e.context(path.display()))?;
    Ok(manifest)
}

/// Equal apart from the timestamps piar maintains.
fn same_job(a: &Manifest, b: &Manifest) -> bool {
    let strip = |m: &Manifest| Manifest {
        created: None,
        updated: None,
        ..m.clone()
    };
    strip(a) == strip(b)
}

/// Reconcile `paths`' scope; see the module docs. Errors only for failures
/// that stop the whole sync (no manager, unreadable directories, a unit
/// systemd refuses); invalid manifests are reported as actions.
pub fn sync(sd: &Systemd, paths: &Paths) -> Result<Outcome> {
    let store = Store::new(paths);
    let _lock = store.lock()?;
    let dir = dropin_dir(paths)?;
    let ledger = ledger_dir(paths);
    let mut actions = Vec::new();
    let mut act = |job: &str, action: &'static str, detail: String| {
        log::info!("sync: {job}: {action}: {detail}");
        actions.push(Action {
            job: job.to_string(),
            action,
            detail,
        });
    };

    // 1) drop-ins -> store + units
    let dropins = fs::toml_files(&dir)?;
    for (stem, path) in &dropins {
        let manifest = match read_dropin(path, stem) {
            Ok(m) => m,
            Err(e) => {
                act(stem, "invalid", e.message);
                continue;
            }
        };
        let old_text = store.read_raw(stem)?;
        let old = old_text
            .as_deref()
            .and_then(|t| toml::from_str::<Manifest>(t).ok());
        if old.as_ref().is_some_and(|o| same_job(o, &manifest)) {
            mark(&ledger, stem)?;
            continue;
        }
        let now = crate::printer::now_rfc3339();
        let mut manifest = manifest;
        manifest.created = old
            .as_ref()
            .and_then(|o| o.created.clone())
            .or_else(|| Some(now.clone()));
        manifest.updated = Some(now);
        let job = validate::validate(manifest, None)?;
        let rendered = apply::render(&job, paths)?;
        store.save(&job.manifest)?;
        crate::failpoint::hit("sync.after-dropin-save");
        if let Err(e) = apply::apply(sd, paths, &job, &rendered) {
            // apply rolled the units back; put the manifest back as it was
            match &old_text {
                Some(text) => store.save_raw(stem, text)?,
                None => store.remove(stem)?,
            }
            act(
                stem,
                "invalid",
                format!("{}: {}", path.display(), e.message),
            );
            continue;
        }
        mark(&ledger, stem)?;
        let what = if old.is_some() { "updated" } else { "created" };
        act(stem, what, format!("from {}", path.display()));
    }

    // 2) jobs created from drop-ins whose file is gone -> removed
    for (name, marker) in fs::dir_entries(&ledger)? {
        if dropins.iter().any(|(stem, _)| *stem == name) {
            continue;
        }
        if validate::validate_name(&name).is_ok() {
            let removed = apply::uninstall(sd, paths, &name)?;
            store.remove(&name)?;
            act(
                &name,
                "removed",
                format!("its drop-in is gone; removed {}", removed.join(", ")),
            );
        }
        std::fs::remove_file(&marker).map_err(|e| Error::io("cannot remove", &marker, e))?;
    }

    // 3) repair drift both ways
    let report = drift::scan(paths)?;
    for unit in &report.orphaned {
        let Some(name) = job_of_unit(&unit.unit) else {
            continue;
        };
        let removed = apply::uninstall(sd, paths, name)?;
        crate::failpoint::hit("sync.after-orphan-removed");
        if !removed.is_empty() {
            act(
                name,
                "orphan-removed",
                format!(
                    "no {}; removed {}",
                    unit.owner.display(),
                    removed.join(", ")
                ),
            );
        }
    }
    let mut repaired: Vec<&str> = report.drifted.iter().map(|d| d.job.as_str()).collect();
    repaired.dedup();
    for name in repaired {
        let job = store.load(name)?;
        let rendered = apply::render(&job, paths)?;
        apply::apply(sd, paths, &job, &rendered)?;
        let units: Vec<String> = report
            .drifted
            .iter()
            .filter(|d| d.job == name)
            .map(|d| format!("{} was {}", d.unit, d.problem))
            .collect();
        act(name, "repaired", units.join(", "));
    }
    for (name, msg) in &report.invalid {
        if !dropins.iter().any(|(stem, _)| stem == name) {
            act(name, "invalid", msg.clone());
        }
    }

    // 4) crash recovery (crate::ops::recover): timers as the manifests say, runs
    // whose trigger died, callbacks never queued or never re-armed
    for (name, what) in crate::ops::recover::enablement(sd, paths)? {
        act(&name, "repaired", what);
    }
    for rec in crate::ops::recover::lost_runs(paths, sd)? {
        act(
            &rec.job,
            "run-lost",
            format!("run {} marked lost", rec.run_id),
        );
    }
    for id in crate::ops::recover::missing_callbacks(paths, sd.scope)? {
        act(&job_of_delivery(&id), "callback-queued", id);
    }
    for id in crate::ops::callback::rearm_all(paths, sd)? {
        act(&job_of_delivery(&id), "callback-rearmed", id);
    }
    Ok(Outcome {
        dropin_dir: dir,
        actions,
    })
}

/// The job of a delivery id (`piar-<job>-<run-id>-<event>`, the run id
/// being `YYYYMMDD-HHMMSS-xxxx`); the id itself if it has another shape.
fn job_of_delivery(id: &str) -> String {
    let parts: Vec<&str> = id.rsplitn(5, '-').collect();
    match parts.as_slice() {
        [_, _, _, _, rest] => rest.strip_prefix("piar-").unwrap_or(rest).to_string(),
        _ => id.to_string(),
    }
}

/// `piar-NAME.service` / `piar-NAME.timer` -> `NAME`.
fn job_of_unit(unit: &str) -> Option<&str> {
    let stem = unit
        .strip_suffix(".service")
        .or_else(|| unit.strip_suffix(".timer"))?;
    stem.strip_prefix("piar-")
}

/// Record that `name` came from a drop-in.
fn mark(ledger: &Path, name: &str) -> Result<()> {
    ensure_dir(ledger)?;
    let path = ledger.join(name);
    if !path.exists() {
        std::fs::write(&path, b"").map_err(|e| Error::io("cannot write", &path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_map_back_to_jobs() {
        assert_eq!(job_of_unit("piar-backup.timer"), Some("backup"));
        assert_eq!(job_of_unit("piar-a-b.service"), Some("a-b"));
        assert_eq!(job_of_unit("other.service"), None);
        assert_eq!(job_of_unit("piar-x.path"), None);
    }

    #[test]
    fn delivery_ids_map_back_to_jobs() {
        assert_eq!(
            job_of_delivery("piar-a-b-20260101-000000-abcd-completed"),
            "a-b"
        );
        assert_eq!(job_of_delivery("odd"), "odd");
    }
}
