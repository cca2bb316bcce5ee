//! `piar submit`: manifest + units, applied with rollback.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Ctx;
use crate::cli::SubmitArgs;
use crate::error::{Error, ExitStatus, Result};
use crate::model::manifest::approval::{Approval, ApprovalState};
use crate::model::manifest::{self, Manifest, validate};
use crate::ops::apply;

/// What `submit` prints with `--json`.
#[derive(Debug, Serialize)]
struct SubmitView {
    name: String,
    scope: &'static str,
    schedule: String,
    next_run: Option<String>,
    manifest: String,
    units: Vec<String>,
    replaced: bool,
    /// `true` when `--idempotency-key` matched an existing job, which is
    /// what this view then describes (nothing was changed).
    deduplicated: bool,
    /// `pending`, `approved` or `rejected`; absent when no approval is required.
    #[serde(skip_serializing_if = "Option::is_none")]
    approval: Option<ApprovalState>,
}

/// What `submit --dry-run` prints with `--json`.
#[derive(Debug, Serialize)]
struct DryRunView {
    dry_run: bool,
    name: String,
    manifest: String,
    units: BTreeMap<String, String>,
}

/// Run `piar submit`.
pub(super) fn submit(ctx: &Ctx, args: SubmitArgs) -> Result<ExitStatus> {
    let now = jiff::Timestamp::now();
    let store = ctx.store();
    // `--name ''` is a mistake, not a request for a derived name.
    if let Some(name) = &args.name {
        validate::validate_name(name).map_err(|e| e.context("--name"))?;
    }
    let mut manifest = match &args.file {
        Some(path) => from_file(path, args.name.as_deref())?,
        None => from_args(&args, now)?,
    };
    if args.file.is_some() {
        // (from_args applied these with the other job options; with --file
        // they override the file)
        super::job_flags::apply_policy(&args.opts.policy, &mut manifest)?;
        super::job_flags::apply_template(&args.opts.template, &mut manifest)?;
        // --env wins over --env-file.
        for kv in &args.opts.env {
            let (k, v) = super::options::split_kv("--env", kv)?;
            manifest.env.insert(k, v);
        }
    }
    if args.require_approval {
        manifest.approval = Some(Approval::pending());
    }
    if let Some(key) = &args.idempotency_key {
        manifest.idempotency_key = Some(key.clone());
    }
    let stamp = crate::printer::now_rfc3339();
    manifest.created = manifest.created.or_else(|| Some(stamp.clone()));
    manifest.updated = Some(stamp);

    let dry_name = |m: &mut Manifest| {
        if m.name.is_empty() {
            m.name = validate::derive_name(&m.command, &|n| store.exists(n));
        }
    };

    if args.dry_run {
        dry_name(&mut manifest);
        let job = check(manifest, Some(now))?;
        check_callback_secret(&job.manifest, &ctx.paths)?;
        let rendered = apply::render(&job, &ctx.paths)?;
        let text = toml_text(&job.manifest)?;
        let mut units = BTreeMap::new();
        units.insert(rendered.service_name.clone(), rendered.service.clone());
        if let Some(t) = &rendered.timer {
            units.insert(rendered.timer_name.clone(), t.clone());
        }
        if ctx.out.json {
            ctx.out.json(&DryRunView {
                dry_run: true,
                name: job.name().to_string(),
                manifest: text,
                units,
            })?;
        } else {
            ctx.out.line(format!(
                "# {} (dry run: nothing written)",
                ctx.paths.manifest(job.name()).display()
            ))?;
            ctx.out.raw(&text)?;
            for (name, body) in units {
                ctx.out
                    .line(format!("\n# {}", ctx.paths.unit_file(&name).display()))?;
                ctx.out.raw(&body)?;
            }
        }
        return Ok(ExitStatus::Success);
    }

    // Reach the manager before writing anything, after taking the lock: a command waiting
    // for the lock holds no bus connection (dbus allows 256 per user; issue 12 point 6).
    let _lock = store.lock()?;
    let sd = ctx.systemd()?;
    // Under the lock, so concurrent submits with one key create one job.
    if let Some(key) = &manifest.idempotency_key
        && let Some(existing) = find_by_key(&store, key)?
    {
        drop(_lock);
        return print_submitted(ctx, &sd, &existing, false, true);
    }
    dry_name(&mut manifest);
    let job = check(manifest, Some(now))?;
    crate::ops::policy::check_scope(&job.manifest, ctx.scope, &ctx.paths)?;
    check_callback_secret(&job.manifest, &ctx.paths)?;
    let name = job.name().to_string();
    let previous = store.read_raw(&name)?;
    let mut job = job;
    if let Some(old_text) = &previous {
        if !args.replace {
            return Err(Error::conflict(format!("job {name:?} already exists"))
                .with_hint(format!(
                    "use --replace to change it, `piar rm {name}` to remove it, or pick another --name"
                )));
        }
        // Keep the original creation time; replacing a job that awaits
        // approval does not approve it.
        if let Ok(old) = toml::from_str::<Manifest>(old_text) {
            if old.approval_state() == ApprovalState::Pending {
                job.manifest.approval = old.approval.clone();
            }
            job.manifest.created = old.created;
        }
    }
    install_job(ctx, &sd, &job, previous.as_deref())?;
    if previous.is_none() {
        apply::start_first_run(&sd, &job)?;
    }
    drop(_lock);
    print_submitted(ctx, &sd, &job, previous.is_some(), false)
}

/// The job whose manifest has `idempotency_key = key`, if any. Manifests
/// that fail to load are skipped (they are listed as invalid elsewhere).
fn find_by_key(store: &crate::state::jobs::Store, key: &str) -> Result<Option<manifest::Job>> {
    Ok(store
        .load_all()?
        .into_iter()
        .filter_map(|j| j.ok())
        .find(|j| j.manifest.idempotency_key.as_deref() == Some(key)))
}

/// Print what submit did (or, `deduplicated`, the job it found).
fn print_submitted(
    ctx: &Ctx,
    sd: &crate::systemd::Systemd,
    job: &manifest::Job,
    replaced: bool,
    deduplicated: bool,
) -> Result<ExitStatus> {
    let name = job.name().to_string();
    let live = crate::ops::status::Live::query_job(&ctx.paths, sd, &name)?;
    let summary = crate::ops::status::summarize(sd, &live, &ctx.paths, job)?;
    let units: Vec<String> = [
        crate::units::names::service(&name),
        crate::units::names::timer(&name),
    ]
    .into_iter()
    .filter(|u| ctx.paths.unit_file(u).exists())
    .collect();
    if ctx.out.json {
        ctx.out.json(&SubmitView {
            name: name.clone(),
            scope: ctx.scope.as_str(),
            schedule: summary.schedule,
            next_run: summary.next_run,
            manifest: ctx.paths.manifest(&name).display().to_string(),
            units,
            replaced,
            deduplicated,
            approval: job.manifest.approval.as_ref().map(|a| a.state),
        })?;
        return Ok(ExitStatus::Success);
    }
    if deduplicated {
        ctx.out.line(format!(
            "{name} already exists with this idempotency key: nothing changed ({})",
            summary.state
        ))?;
        return Ok(ExitStatus::Success);
    }
    let verb = if replaced { "replaced" } else { "submitted" };
    let next = match (&summary.next_run, job.schedule.kind()) {
        _ if job.manifest.approval_state() == ApprovalState::Pending => {
            format!("pending approval: `piar approve {name}` enables it")
        }
        (_, "manual") => "runs only with `piar run`".to_string(),
        (Some(t), _) => format!(
            "next run {}",
            t.parse::<jiff::Timestamp>()
                .map(crate::printer::human_time)
                .unwrap_or_else(|_| t.clone())
        ),
        (None, _) => "no next run".to_string(),
    };
    ctx.out
        .line(format!("{verb} {name}: {} ({next})", summary.schedule))?;
    Ok(ExitStatus::Success)
}

/// Save `job`'s manifest and apply its units; on failure put the previous
/// manifest text back (`previous`: what the store held, `None` = nothing) and
/// let [`apply::apply`] roll the units back. The caller holds the store lock.
pub(super) fn install_job(
    ctx: &Ctx,
    sd: &crate::systemd::Systemd,
    job: &manifest::Job,
    previous: Option<&str>,
) -> Result<apply::Rendered> {
    let store = ctx.store();
    let name = job.name();
    let rendered = apply::render(job, &ctx.paths)?;
    store.save(&job.manifest)?;
    crate::failpoint::hit("submit.after-manifest-write");
    if let Err(e) = apply::apply(sd, &ctx.paths, job, &rendered) {
        let restored = match previous {
            Some(text) => store.save_raw(name, text),
            None => store.remove(name),
        };
        if let Err(r) = restored {
            log::error!("{name}: could not restore the manifest: {r}");
        }
        return Err(e);
    }
    crate::failpoint::hit("submit.after-apply");
    Ok(rendered)
}

/// Validate a manifest the way submit needs: fields, schedule in the future,
/// raw calendar specs accepted by systemd, program found.
/// `now` = `None` skips the "one-shot time is in the future" check (edit
/// without a new schedule).
pub(super) fn check(manifest: Manifest, now: Option<jiff::Timestamp>) -> Result<manifest::Job> {
    validate::validate_name(&manifest.name)?;
    let job = validate::validate(manifest, now)?;
    // Raw calendar specs: systemd accepts them and they elapse again.
    job.schedule
        .check_elapses(now.unwrap_or_else(jiff::Timestamp::now))?;
    crate::ops::trigger::run::resolve_program(
        &job.manifest.command,
        &crate::ops::trigger::run::job_path_var(&job),
        job.workdir.as_deref(),
    )?;
    Ok(job)
}

/// The `[callback]` secret must exist when the job is submitted: a missing one would only
/// show up as failed deliveries after the first run. Errors exit 2, naming the field.
pub(super) fn check_callback_secret(
    m: &Manifest,
    paths: &crate::state::layout::Paths,
) -> Result<()> {
    let Some(name) = m.callback.as_ref().and_then(|c| c.secret.as_deref()) else {
        return Ok(());
    };
    if crate::state::secrets::dir(paths).join(name).is_file() {
        return Ok(());
    }
    Err(
        Error::invalid(format!("callback.secret: no secret named {name:?}")).with_hint(format!(
            "create it first: `piar secret set {name}` (value on stdin) or `piar secret set --generate {name}`"
        )),
    )
}

/// TOML text of a manifest.
pub(super) fn toml_text(m: &Manifest) -> Result<String> {
    toml::to_string(m).map_err(|e| Error::failed(format!("cannot encode manifest: {e}")))
}

/// Read a manifest from `--file` (its `name` may be omitted when --name is given).
fn from_file(path: &std::path::Path, name: Option<&str>) -> Result<Manifest> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    let mut table: toml::Table =
        toml::from_str(&text).map_err(|e| Error::invalid(format!("{}: {e}", path.display())))?;
    if let Some(n) = name {
        table.insert("name".into(), toml::Value::String(n.to_string()));
    }
    table
        .entry("version")
        .or_insert(toml::Value::Integer(manifest::VERSION as i64));
    table
        .entry("name")
        .or_insert(toml::Value::String(String::new()));
    toml::Value::Table(table)
        .try_into::<Manifest>()
        .map_err(|e| Error::invalid(format!("{}: {e}", path.display())))
}

/// Build a manifest from submit's flags.
fn from_args(args: &SubmitArgs, now: jiff::Timestamp) -> Result<Manifest> {
    if args.command.is_empty() {
        return Err(
            Error::invalid("command: expected the command to run after `--`")
                .with_hint("e.g. piar submit --every 1h -- df -h /"),
        );
    }
    if !args.opts.schedule.given() {
        return Err(Error::invalid(
            "schedule: expected one of --at, --every, --cron, --on-calendar, --manual",
        )
        .with_hint("e.g. --cron '*/5 * * * *' or --every 6h; see `piar submit --help`"));
    }
    let mut m = Manifest {
        name: args.name.clone().unwrap_or_default(),
        command: args.command.clone(),
        ..Manifest::default()
    };
    args.opts.apply(&mut m, now)?;
    Ok(m)
}
