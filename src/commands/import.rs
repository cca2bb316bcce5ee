//! `piar import crontab|pi-agent-runner`: other schedulers' jobs -> piar jobs.
//!
//! Each source yields candidate manifests plus per-entry errors
//! ([`crate::import`]); every candidate is checked like `submit` checks a job
//! ([`super::submit::check`]), compared with a job of the same name (identical
//! -> `unchanged`, different -> conflict unless `--replace`), then installed
//! with submit's save + apply + rollback under one store lock. A bad entry
//! does not stop the others (exit 2 at the end) unless `--strict`, which
//! writes nothing when any entry is bad.

use std::collections::BTreeSet;
use std::io::Read;

use serde::Serialize;

use super::Ctx;
use crate::cli::{ImportArgs, ImportCommonArgs, ImportSource};
use crate::error::{Error, ExitStatus, Result};
use crate::import::{self, EntryError, Warning, crontab, pi_agent_runner};
use crate::model::manifest::{Manifest, validate};
use crate::schedule::at;

/// A manifest to import and where it came from.
struct Candidate {
    /// Crontab line (1-based) or 0.
    line: usize,
    /// Source file for directory imports.
    file: Option<String>,
    /// The manifest, name set.
    manifest: Manifest,
}

/// One job in the report.
#[derive(Debug, Serialize)]
struct JobView {
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    name: String,
    /// `create`, `replace`, `unchanged` (dry run); `created`, `replaced`, `unchanged`.
    action: &'static str,
    schedule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tz: Option<String>,
    enabled: bool,
    command: Vec<String>,
}

/// One bad entry in the report.
#[derive(Debug, Serialize)]
struct ErrorView {
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    code: &'static str,
    message: String,
    hint: Option<String>,
}

/// A warning in the report.
#[derive(Debug, Serialize)]
struct WarningView {
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    message: String,
    hint: Option<String>,
}

/// What `import` prints with `--json`.
#[derive(Debug, Serialize)]
struct ImportView {
    dry_run: bool,
    /// `false` with --dry-run, or with --strict when an entry was bad.
    written: bool,
    jobs: Vec<JobView>,
    errors: Vec<ErrorView>,
    warnings: Vec<WarningView>,
}

/// Run `piar import`.
pub(super) fn import(ctx: &Ctx, args: ImportArgs) -> Result<ExitStatus> {
    let (candidates, errors, warnings, common) = match args.source {
        ImportSource::Crontab(a) => {
            let (c, e, w) = from_crontab(&a.file, a.system_crontab, &a.common, ctx.scope)?;
            (c, e, w, a.common)
        }
        ImportSource::PiAgentRunner(a) => {
            let opts = pi_agent_runner::Options {
                default_tz: default_tz(&a.common)?,
                api_url: a.api_url.clone(),
                prefix: a.common.prefix.clone(),
            };
            let (c, e, w) = pi_agent_runner::read_dir(&a.dir, &opts)?;
            let c = c
                .into_iter()
                .map(|c| Candidate {
                    line: 0,
                    file: Some(c.file),
                    manifest: c.manifest,
                })
                .collect();
            (c, e, w, a.common)
        }
    };
    run(ctx, candidates, errors, warnings, &common)
}

/// `--tz` validated, or the system zone.
fn default_tz(common: &ImportCommonArgs) -> Result<String> {
    match &common.tz {
        Some(tz) => {
            at::validate_tz(tz).map_err(|e| e.context("--tz"))?;
            Ok(tz.clone())
        }
        None => Ok(at::system_tz_name()),
    }
}

/// Check `--prefix` the way a name is checked (it starts every name).
fn check_prefix(prefix: &str) -> Result<()> {
    if prefix.is_empty() {
        return Ok(());
    }
    validate::validate_name(&format!("{prefix}x")).map_err(|e| e.context("--prefix"))
}

/// Read a crontab and turn its entries into candidates.
fn from_crontab(
    path: &std::path::Path,
    system_flag: bool,
    common: &ImportCommonArgs,
    ctx_scope: crate::state::layout::Scope,
) -> Result<(Vec<Candidate>, Vec<EntryError>, Vec<Warning>)> {
    check_prefix(&common.prefix)?;
    let stdin = path == std::path::Path::new("-");
    let text = if stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::failed(format!("cannot read stdin: {e}")))?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?
    };
    let source = if stdin {
        "-".to_string()
    } else {
        std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string()
    };
    let opts = crontab::Options {
        system: system_flag || (!stdin && crontab::is_system_path(path)),
        default_tz: default_tz(common)?,
        run_user: import::effective_user(),
        run_as: ctx_scope == crate::state::layout::Scope::System,
    };
    let parsed = crontab::parse(&text, &opts);
    let candidates = parsed
        .entries
        .iter()
        .map(|e| Candidate {
            line: e.line,
            file: None,
            manifest: crontab_manifest(e, &common.prefix, &source),
        })
        .collect();
    Ok((candidates, parsed.errors, parsed.warnings))
}

/// The manifest for one crontab entry. Name: prefix + program + `-LINE`.
fn crontab_manifest(e: &crontab::Entry, prefix: &str, source: &str) -> Manifest {
    let suffix = format!("-{}", e.line);
    let mut base = validate::derive_name(&[e.program()], &|_| false);
    let room = validate::NAME_MAX.saturating_sub(prefix.len() + suffix.len());
    base.truncate(room.max(1));
    let name = format!("{prefix}{}{suffix}", base.trim_end_matches(['-', '_']));
    let mut metadata = toml::Table::new();
    metadata.insert(
        "imported_from".into(),
        toml::Value::String(format!("crontab:{source}:{}", e.line)),
    );
    let mut run_as = None;
    if let Some(u) = &e.user {
        metadata.insert("cron_user".into(), toml::Value::String(u.clone()));
        if *u != import::effective_user() {
            run_as = Some(u.clone());
        }
    }
    let description: String = e.text.chars().take(validate::DESCRIPTION_MAX).collect();
    Manifest {
        version: crate::model::manifest::VERSION,
        name,
        description,
        command: e.argv(),
        schedule: crate::schedule::ScheduleSpec {
            cron: Some(e.cron.clone()),
            tz: Some(e.tz.clone()),
            ..Default::default()
        },
        timeout: None,
        workdir: None,
        enabled: true,
        created: None,
        updated: None,
        env: e.env.clone(),
        metadata,
        callback: None,
        run_as,
        ..Default::default()
    }
}

/// Whether two manifests describe the same job (timestamps ignored).
fn same_job(a: &Manifest, b: &Manifest) -> bool {
    let strip = |m: &Manifest| Manifest {
        created: None,
        updated: None,
        ..m.clone()
    };
    strip(a) == strip(b)
}

/// What to do with one checked candidate.
enum Plan {
    /// Install; `previous` is the stored text it replaces.
    Install {
        job: crate::model::manifest::Job,
        previous: Option<String>,
    },
    /// Identical job already there.
    Unchanged(crate::model::manifest::Job),
}

/// Check, plan, (maybe) install, report.
fn run(
    ctx: &Ctx,
    candidates: Vec<Candidate>,
    mut errors: Vec<EntryError>,
    warnings: Vec<Warning>,
    common: &ImportCommonArgs,
) -> Result<ExitStatus> {
    let now = jiff::Timestamp::now();
    let store = ctx.store();
    // Take the lock and reach the manager before planning, so the plan sees what is
    // stored while we write. Lock first: a command waiting for the lock holds no bus
    // connection (dbus allows 256 per user; issue 12 point 6).
    let _lock = if common.dry_run {
        None
    } else {
        Some(store.lock()?)
    };
    let sd = if common.dry_run {
        None
    } else {
        Some(ctx.systemd()?)
    };
    let mut plans = Vec::new();
    let mut seen = BTreeSet::new();
    for c in candidates {
        let fail = |error: Error| EntryError {
            line: c.line,
            file: c.file.clone(),
            error: if c.line > 0 {
                error.context(format!("line {}", c.line))
            } else {
                match &c.file {
                    Some(f) => error.context(f),
                    None => error,
                }
            },
        };
        let name = c.manifest.name.clone();
        if !seen.insert(name.clone()) {
            errors.push(fail(Error::conflict(format!(
                "job {name:?} comes twice in this import"
            ))));
            continue;
        }
        let mut manifest = c.manifest.clone();
        let previous = match store.read_raw(&name) {
            Ok(p) => p,
            Err(e) => {
                errors.push(fail(e));
                continue;
            }
        };
        let old = previous
            .as_deref()
            .and_then(|t| toml::from_str::<Manifest>(t).ok());
        let stamp = crate::printer::now_rfc3339();
        manifest.created = old
            .as_ref()
            .and_then(|o| o.created.clone())
            .or(manifest.created)
            .or(Some(stamp.clone()));
        manifest.updated = Some(stamp);
        let job = match super::submit::check(manifest, Some(now)).and_then(|j| {
            crate::ops::policy::check_scope(&j.manifest, ctx.scope, &ctx.paths).map(|()| j)
        }) {
            Ok(j) => j,
            Err(e) => {
                errors.push(fail(e));
                continue;
            }
        };
        match (&previous, &old) {
            (Some(_), Some(o)) if same_job(o, &job.manifest) => {
                plans.push((c, Plan::Unchanged(job)));
            }
            (Some(_), _) if !common.replace => {
                errors.push(fail(
                    Error::conflict(format!("job {name:?} already exists with other content"))
                        .with_hint(
                            "use --replace to overwrite it, or --prefix to import under other names",
                        ),
                ));
            }
            _ => plans.push((c, Plan::Install { job, previous })),
        }
    }

    let write = !common.dry_run && (!common.strict || errors.is_empty());
    let mut jobs = Vec::new();
    for (c, plan) in plans {
        let (job, action) = match plan {
            Plan::Unchanged(job) => (job, "unchanged"),
            Plan::Install { job, previous } => {
                let replacing = previous.is_some();
                if write && let Some(sd) = &sd {
                    if let Err(e) = super::submit::install_job(ctx, sd, &job, previous.as_deref()) {
                        errors.push(EntryError {
                            line: c.line,
                            file: c.file.clone(),
                            error: e.context(job.name()),
                        });
                        continue;
                    }
                    (job, if replacing { "replaced" } else { "created" })
                } else {
                    (job, if replacing { "replace" } else { "create" })
                }
            }
        };
        let s = &job.manifest.schedule;
        let schedule = s
            .cron
            .clone()
            .or_else(|| s.every.as_ref().map(|e| format!("every {e}")))
            .or_else(|| s.at.as_ref().map(|a| format!("at {a}")))
            .unwrap_or_else(|| job.schedule.kind().to_string());
        jobs.push(JobView {
            line: (c.line > 0).then_some(c.line),
            file: c.file,
            name: job.name().to_string(),
            action,
            schedule,
            tz: s.tz.clone(),
            enabled: job.manifest.enabled,
            command: job.manifest.command.clone(),
        });
    }
    drop(_lock);
    errors.sort_by_key(|e| e.line);
    report(ctx, common, write, jobs, &errors, &warnings)?;
    Ok(if errors.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Usage
    })
}

/// Print the report: JSON, or a table on stdout and problems on stderr.
fn report(
    ctx: &Ctx,
    common: &ImportCommonArgs,
    written: bool,
    jobs: Vec<JobView>,
    errors: &[EntryError],
    warnings: &[Warning],
) -> Result<()> {
    if ctx.out.json {
        return ctx.out.json(&ImportView {
            dry_run: common.dry_run,
            written,
            jobs,
            errors: errors
                .iter()
                .map(|e| ErrorView {
                    line: (e.line > 0).then_some(e.line),
                    file: e.file.clone(),
                    code: e.error.kind.as_str(),
                    message: e.error.message.clone(),
                    hint: e.error.hint.clone(),
                })
                .collect(),
            warnings: warnings
                .iter()
                .map(|w| WarningView {
                    line: (w.line > 0).then_some(w.line),
                    message: w.message.clone(),
                    hint: w.hint.clone(),
                })
                .collect(),
        });
    }
    for w in warnings {
        eprintln!("warning: {}", w.message);
        if let Some(h) = &w.hint {
            eprintln!("  hint: {h}");
        }
    }
    for e in errors {
        eprintln!("error: {}", e.error.message);
        if let Some(h) = &e.error.hint {
            eprintln!("  hint: {h}");
        }
    }
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            vec![
                j.line
                    .map(|l| l.to_string())
                    .or_else(|| j.file.clone())
                    .unwrap_or_default(),
                j.name.clone(),
                if j.enabled {
                    j.action.to_string()
                } else {
                    format!("{} (paused)", j.action)
                },
                match &j.tz {
                    Some(tz) => format!("{} ({tz})", j.schedule),
                    None => j.schedule.clone(),
                },
                j.command
                    .iter()
                    .map(|a| shell_quote(a))
                    .collect::<Vec<_>>()
                    .join(" "),
            ]
        })
        .collect();
    if !rows.is_empty() {
        ctx.out
            .table(&["FROM", "NAME", "ACTION", "SCHEDULE", "COMMAND"], &rows)?;
    }
    let verdict = if common.dry_run {
        "dry run: nothing written".to_string()
    } else if !written {
        format!(
            "--strict: nothing written because {} entr{} bad",
            errors.len(),
            if errors.len() == 1 { "y is" } else { "ies are" }
        )
    } else {
        format!(
            "{} job(s) imported",
            jobs.iter().filter(|j| j.action != "unchanged").count()
        )
    };
    ctx.out.line(format!(
        "{verdict}; {} bad entr{}",
        errors.len(),
        if errors.len() == 1 { "y" } else { "ies" }
    ))
}

/// `arg` as a POSIX shell word, for display: bare when it is only safe
/// characters, else single-quoted (`'` as `'\''`).
fn shell_quote(arg: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}
