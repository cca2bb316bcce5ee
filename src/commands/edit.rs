//! `piar edit NAME <options>`: change a job in place.
//!
//! Load the manifest, apply the option groups given (the [`JobOptions`]
//! shared with submit, then edit's own `--unset-*`, `--no-callback` and a new
//! command), validate, re-render the units, and either print the diff
//! (`--dry-run`) or save the manifest and apply the units with rollback. The
//! name, `created`, approval state, idempotency key and run records stay.
//!
//! [`JobOptions`]: crate::cli::JobOptions

use std::collections::BTreeMap;

use serde::Serialize;

use super::Ctx;
use super::submit::{check, toml_text};
use crate::cli::EditArgs;
use crate::error::{Error, ExitStatus, Result};
use crate::model::manifest::Manifest;
use crate::ops::apply;

/// What `edit --json` prints.
#[derive(Debug, Serialize)]
struct EditView {
    name: String,
    dry_run: bool,
    /// Whether the manifest changed (`false`: the options matched it already).
    changed: bool,
    /// Unit files whose text changed (or would change).
    units_changed: Vec<String>,
    /// Unified diff of the manifest and unit files (`--dry-run`; else empty).
    diff: String,
    next_run: Option<String>,
}

/// Run `piar edit`. Errors: no option given (exit 2), a rejected job or a
/// job owned by a drop-in file (exit 4), invalid values (exit 2, nothing
/// written), the manager refusing the units (rolled back).
pub(super) fn edit(ctx: &Ctx, args: EditArgs) -> Result<ExitStatus> {
    let name = args.name.as_str();
    crate::model::manifest::validate::validate_name(name)?;
    if !args.opts.given()
        && args.unset_env.is_empty()
        && args.unset_meta.is_empty()
        && !args.no_callback
        && args.command.is_empty()
    {
        return Err(
            Error::invalid("nothing to change: give at least one option").with_hint(format!(
                "see `piar edit --help`; `piar show {name}` shows the job"
            )),
        );
    }
    refuse_dropin(ctx, name, "an edit")?;
    let store = ctx.store();
    // Lock first, then connect: a command waiting for the lock holds no bus connection
    // (dbus allows 256 per user; issue 12 point 6).
    let lock = if args.dry_run {
        None
    } else {
        Some(store.lock()?)
    };
    let sd = if args.dry_run {
        None
    } else {
        Some(ctx.systemd()?)
    };

    let job = store.load(name)?;
    if job.manifest.is_rejected() {
        return Err(
            Error::conflict(format!("job {name:?} was rejected; it cannot be edited"))
                .with_hint(format!("`piar rm {name}` removes it; submit it again")),
        );
    }
    let now = jiff::Timestamp::now();
    let mut m = job.manifest.clone();
    apply(&args, &mut m, now)?;
    let changed = m != job.manifest;
    m.updated = Some(crate::printer::now_rfc3339());
    // A one-shot time is only checked against now when it was given again.
    let schedule_given = args.opts.schedule.given() || args.opts.tz.is_some();
    let new_job = check(m, schedule_given.then_some(now))?;
    crate::ops::policy::check_scope(&new_job.manifest, ctx.scope, &ctx.paths)?;
    let rendered = apply::render(&new_job, &ctx.paths)?;

    let old_text = store.read_raw(name)?.unwrap_or_default();
    let new_text = if changed {
        toml_text(&new_job.manifest)?
    } else {
        old_text.clone()
    };
    let mut files: Vec<(String, String, String)> = vec![(
        ctx.paths.manifest(name).display().to_string(),
        old_text.clone(),
        new_text,
    )];
    let mut wanted = BTreeMap::new();
    wanted.insert(
        rendered.service_name.clone(),
        Some(rendered.service.clone()),
    );
    wanted.insert(rendered.timer_name.clone(), rendered.timer.clone());
    let mut units_changed = Vec::new();
    for (unit, want) in &wanted {
        let path = ctx.paths.unit_file(unit);
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        let want = want.clone().unwrap_or_default();
        if have != want {
            units_changed.push(unit.clone());
        }
        files.push((path.display().to_string(), have, want));
    }

    if args.dry_run {
        let diff: String = files
            .iter()
            .map(|(path, old, new)| unified_diff(path, old, new))
            .collect();
        if ctx.out.json {
            ctx.out.json(&EditView {
                name: name.to_string(),
                dry_run: true,
                changed,
                units_changed,
                diff,
                next_run: None,
            })?;
        } else if diff.is_empty() {
            ctx.out.line(format!("{name}: no change (dry run)"))?;
        } else {
            ctx.out.raw(&diff)?;
        }
        return Ok(ExitStatus::Success);
    }

    let sd = sd.ok_or_else(|| Error::failed("internal: no manager connection"))?;
    if changed || !units_changed.is_empty() {
        if changed {
            store.save(&new_job.manifest)?;
            crate::failpoint::hit("edit.after-manifest-write");
        }
        if let Err(e) = apply::apply(&sd, &ctx.paths, &new_job, &rendered) {
            if let Err(r) = store.save_raw(name, &old_text) {
                log::error!("{name}: could not restore the manifest: {r}");
            }
            return Err(e);
        }
        crate::failpoint::hit("edit.after-apply");
    }
    drop(lock);
    let live = crate::ops::status::Live::query_job(&ctx.paths, &sd, name)?;
    let summary = crate::ops::status::summarize(&sd, &live, &ctx.paths, &new_job)?;
    if ctx.out.json {
        ctx.out.json(&EditView {
            name: name.to_string(),
            dry_run: false,
            changed,
            units_changed,
            diff: String::new(),
            next_run: summary.next_run,
        })?;
    } else if !changed {
        ctx.out.line(format!("{name}: no change"))?;
    } else {
        let next = summary
            .next_run
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|t| format!("next run {}", crate::printer::human_time(t)))
            .unwrap_or_else(|| summary.state.to_string());
        ctx.out
            .line(format!("edited {name}: {} ({next})", summary.schedule))?;
    }
    Ok(ExitStatus::Success)
}

/// Refuse to change a job that a drop-in file defines (exit 4): `piar sync`
/// would put the file's version back. `what` names the change.
pub(super) fn refuse_dropin(ctx: &Ctx, name: &str, what: &str) -> Result<()> {
    let dropin = crate::ops::sync::dropin_dir(&ctx.paths)?.join(format!("{name}.toml"));
    if dropin.exists() {
        return Err(Error::conflict(format!(
            "job {name:?} comes from the drop-in {}; `piar sync` would undo {what}",
            dropin.display()
        ))
        .with_hint("change the drop-in file instead"));
    }
    Ok(())
}

/// Apply edit's options to `m`: the shared job options, then the removals,
/// then a new command. (Option groups of other features plug in here with
/// their own `apply(&args, &mut Manifest)`.)
fn apply(args: &EditArgs, m: &mut Manifest, now: jiff::Timestamp) -> Result<()> {
    args.opts.apply(m, now)?;
    for k in &args.unset_env {
        if m.env.remove(k).is_none() {
            return Err(Error::invalid(format!(
                "--unset-env: the job has no variable {k:?}"
            )));
        }
    }
    for k in &args.unset_meta {
        if m.metadata.remove(k).is_none() {
            return Err(Error::invalid(format!(
                "--unset-meta: the job has no metadata key {k:?}"
            )));
        }
    }
    if args.no_callback {
        m.callback = None;
    }
    if !args.command.is_empty() {
        m.command = args.command.clone();
    }
    Ok(())
}

/// A unified diff (3 lines of context) of one file; empty when equal. An
/// empty side means the file does not exist (or will not).
fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let (a, b) = match (old.is_empty(), new.is_empty()) {
        (true, _) => ("/dev/null".to_string(), format!("b{path}")),
        (_, true) => (format!("a{path}"), "/dev/null".to_string()),
        _ => (format!("a{path}"), format!("b{path}")),
    };
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::unified_diff;

    #[test]
    fn diff_shows_changed_lines_with_headers() {
        let d = unified_diff("/x.toml", "a = 1\nb = 2\n", "a = 1\nb = 3\n");
        assert!(d.starts_with("--- a/x.toml\n+++ b/x.toml\n"), "{d}");
        assert!(d.contains("-b = 2\n+b = 3\n"), "{d}");
        assert_eq!(unified_diff("/x", "same\n", "same\n"), "");
        assert!(unified_diff("/x", "", "new\n").starts_with("--- /dev/null\n+++ b/x\n"));
    }
}
