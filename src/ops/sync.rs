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
    /// disabled as its manifest says), `invalid` (a drop-in or stored manifest that does
    /// not validate; left alone), and the repairs of [`crate::ops::recover::Repair`]
    /// (`run-settled`, `run-lost`, `retry-rearmed`, `defer-rearmed`, `callback-queued`,
    /// `callback-rearmed`, `tmp-removed`).
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

    // 1) drop-ins -> store + units: every changed drop-in is saved first, then all their
    // units are applied as one batch (apply::apply_many: one scan of the unit directory,
    // one EnableUnitFiles, at most one reload), then the failed ones are put back.
    let dropins = fs::toml_files(&dir)?;
    struct Changed {
        stem: String,
        path: PathBuf,
        old_text: Option<String>,
        existed: bool,
        job: crate::model::manifest::Job,
        rendered: apply::Rendered,
    }
    let mut changed: Vec<Changed> = Vec::new();
    let mut manifests = crate::state::batch::Batch::new();
    for (stem, path) in &dropins {
        let manifest = match read_dropin(path, stem) {
            Ok(mut m) => {
                // A drop-in's [approval] table only asks for approval: the decision is
                // recorded by `piar approve` (crate::state::approvals), never read from it.
                if m.approval.is_some() {
                    m.approval = Some(crate::model::manifest::approval::Approval::requested_now());
                }
                m
            }
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
        crate::state::approvals::overlay(paths, &mut manifest)?;
        let job = validate::validate(manifest, None)?;
        let rendered = apply::render(&job, paths)?;
        let text = toml::to_string(&job.manifest).map_err(|e| {
            Error::failed(format!(
                "cannot write manifest of job {stem:?} as TOML: {e}"
            ))
        })?;
        ensure_dir(&store.dir)?;
        manifests.stage(
            &paths.manifest(stem),
            text.as_bytes(),
            crate::state::jobs::MANIFEST_MODE,
        )?;
        changed.push(Changed {
            stem: stem.clone(),
            path: path.clone(),
            old_text,
            existed: old.is_some(),
            job,
            rendered,
        });
    }
    // the manifests first (one flush for all), then their units
    manifests.commit()?;
    if !changed.is_empty() {
        crate::failpoint::hit("sync.after-dropin-save");
    }
    let batch: Vec<(&crate::model::manifest::Job, &apply::Rendered)> =
        changed.iter().map(|c| (&c.job, &c.rendered)).collect();
    let results = apply::apply_many(sd, paths, &batch);
    for (c, result) in changed.iter().zip(results) {
        if let Err(e) = result {
            // apply rolled the units back; put the manifest back as it was
            match &c.old_text {
                Some(text) => store.save_raw(&c.stem, text)?,
                None => store.remove(&c.stem)?,
            }
            act(
                &c.stem,
                "invalid",
                format!("{}: {}", c.path.display(), e.message),
            );
            continue;
        }
        mark(&ledger, &c.stem)?;
        let what = if c.existed { "updated" } else { "created" };
        act(&c.stem, what, format!("from {}", c.path.display()));
    }

    // 2) jobs created from drop-ins whose file is gone -> removed, as one batch
    let mut gone: Vec<String> = Vec::new();
    let mut markers: Vec<PathBuf> = Vec::new();
    for (name, marker) in fs::dir_entries(&ledger)? {
        if dropins.iter().any(|(stem, _)| *stem == name) {
            continue;
        }
        if validate::validate_name(&name).is_ok() {
            gone.push(name);
        }
        markers.push(marker);
    }
    let names: Vec<&str> = gone.iter().map(String::as_str).collect();
    let removed = apply::uninstall_many(sd, paths, &names)?;
    let manifests: Vec<PathBuf> = gone.iter().map(|n| paths.manifest(n)).collect();
    apply::remove_files(&manifests)?;
    for (name, removed) in gone.iter().zip(removed) {
        act(
            name,
            "removed",
            format!("its drop-in is gone; removed {}", removed.join(", ")),
        );
    }
    apply::remove_files(&markers)?;

    // 3) repair drift both ways
    let report = drift::scan(paths)?;
    let mut orphans: Vec<(&str, &Path)> = Vec::new();
    for unit in &report.orphaned {
        if let Some(name) = job_of_unit(&unit.unit)
            && !orphans.iter().any(|(n, _)| *n == name)
        {
            orphans.push((name, &unit.owner));
        }
    }
    let names: Vec<&str> = orphans.iter().map(|(n, _)| *n).collect();
    let removed = apply::uninstall_many(sd, paths, &names)?;
    if !orphans.is_empty() {
        crate::failpoint::hit("sync.after-orphan-removed");
    }
    for ((name, owner), removed) in orphans.iter().zip(removed) {
        if !removed.is_empty() {
            act(
                name,
                "orphan-removed",
                format!("no {}; removed {}", owner.display(), removed.join(", ")),
            );
        }
    }
    let mut repaired: Vec<&str> = report.drifted.iter().map(|d| d.job.as_str()).collect();
    repaired.dedup();
    let mut fixes = Vec::new();
    for name in &repaired {
        let job = store.load(name)?;
        let rendered = apply::render(&job, paths)?;
        fixes.push((job, rendered));
    }
    let batch: Vec<(&crate::model::manifest::Job, &apply::Rendered)> =
        fixes.iter().map(|(j, r)| (j, r)).collect();
    for result in apply::apply_many(sd, paths, &batch) {
        result?;
    }
    for name in repaired {
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

    // 4) crash recovery (crate::ops::recover): leftover temporary files, timers as the
    // manifests say, runs whose trigger died, retries, deferrals and callbacks never
    // (re-)armed
    for r in crate::ops::recover::recover_all(sd, paths)? {
        act(&r.job, r.action, r.detail);
    }
    Ok(Outcome {
        dropin_dir: dir,
        actions,
    })
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
}
