//! `piar submit`: manifest + units, applied with rollback.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Ctx;
use crate::cli::SubmitArgs;
use crate::error::{Error, ExitStatus, Result};
use crate::install;
use crate::manifest::{self, Manifest, validate};
use crate::schedule::{self, Schedule, ScheduleSpec, at};

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
pub fn submit(ctx: &Ctx, args: SubmitArgs) -> Result<ExitStatus> {
    let now = jiff::Timestamp::now();
    let store = ctx.store();
    let mut manifest = match &args.file {
        Some(path) => from_file(path, args.name.as_deref())?,
        None => from_args(&args, now)?,
    };
    let stamp = crate::output::now_rfc3339();
    manifest.created = manifest.created.or_else(|| Some(stamp.clone()));
    manifest.updated = Some(stamp);

    let dry_name = |m: &mut Manifest| {
        if m.name.is_empty() {
            m.name = validate::derive_name(&m.command, &|n| store.exists(n));
        }
    };

    if args.dry_run {
        dry_name(&mut manifest);
        let job = check(manifest, now)?;
        let rendered = install::render(&job, &ctx.paths)?;
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

    // Reach the manager before writing anything.
    let sd = ctx.systemd()?;
    let _lock = store.lock()?;
    dry_name(&mut manifest);
    let job = check(manifest, now)?;
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
        // Keep the original creation time.
        if let Ok(old) = toml::from_str::<Manifest>(old_text) {
            job.manifest.created = old.created;
        }
    }
    let rendered = install::render(&job, &ctx.paths)?;
    store.save(&job.manifest)?;
    if let Err(e) = install::apply(&sd, &ctx.paths, &job, &rendered) {
        let restored = match &previous {
            Some(text) => store.save_raw(&name, text),
            None => store.remove(&name),
        };
        if let Err(r) = restored {
            log::error!("{name}: could not restore the manifest: {r}");
        }
        return Err(e);
    }
    drop(_lock);

    let live = crate::status::Live::query_job(&sd, &name)?;
    let summary = crate::status::summarize(&sd, &live, &ctx.paths, &job)?;
    let mut units = vec![rendered.service_name.clone()];
    if rendered.timer.is_some() {
        units.push(rendered.timer_name.clone());
    }
    if ctx.out.json {
        ctx.out.json(&SubmitView {
            name: name.clone(),
            scope: ctx.scope.as_str(),
            schedule: summary.schedule,
            next_run: summary.next_run,
            manifest: ctx.paths.manifest(&name).display().to_string(),
            units,
            replaced: previous.is_some(),
        })?;
    } else {
        let verb = if previous.is_some() {
            "replaced"
        } else {
            "submitted"
        };
        let next = match (&summary.next_run, job.schedule.kind()) {
            (_, "manual") => "runs only with `piar run`".to_string(),
            (Some(t), _) => format!(
                "next run {}",
                t.parse::<jiff::Timestamp>()
                    .map(crate::output::human_time)
                    .unwrap_or_else(|_| t.clone())
            ),
            (None, _) => "no next run".to_string(),
        };
        ctx.out
            .line(format!("{verb} {name}: {} ({next})", summary.schedule))?;
    }
    Ok(ExitStatus::Success)
}

/// Validate a manifest the way submit needs: fields, schedule in the future,
/// raw calendar specs accepted by systemd, program found.
fn check(manifest: Manifest, now: jiff::Timestamp) -> Result<manifest::Job> {
    validate::validate_name(&manifest.name)?;
    let job = validate::validate(manifest, Some(now))?;
    if let Schedule::OnCalendar { specs } = &job.schedule {
        schedule::preview::next_elapses(specs, 1, None)
            .map_err(|e| e.context("schedule.on_calendar"))?;
    }
    crate::run::resolve_program(
        &job.manifest.command,
        &crate::run::job_path_var(&job),
        job.workdir.as_deref(),
    )?;
    Ok(job)
}

/// TOML text of a manifest.
fn toml_text(m: &Manifest) -> Result<String> {
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
    let s = &args.schedule;
    let mut spec = ScheduleSpec::default();
    if let Some(text) = &s.at {
        let tz = args.tz.clone().unwrap_or_else(at::system_tz_name);
        at::validate_tz(&tz).map_err(|e| e.context("--tz"))?;
        let ts = at::resolve_at(text, &tz, now).map_err(|e| e.context("--at"))?;
        let zone =
            jiff::tz::TimeZone::get(&tz).map_err(|e| Error::invalid(format!("--tz: {e}")))?;
        spec.at = Some(
            ts.to_zoned(zone)
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
        );
        spec.tz = Some(tz);
    } else if let Some(text) = &s.every {
        spec.every = Some(text.clone());
    } else if let Some(expr) = &s.cron {
        spec.cron = Some(expr.clone());
        spec.tz = Some(args.tz.clone().unwrap_or_else(at::system_tz_name));
    } else if !s.on_calendar.is_empty() {
        spec.on_calendar = Some(s.on_calendar.clone());
    } else if s.manual {
        spec.manual = Some(true);
    } else {
        return Err(Error::invalid(
            "schedule: expected one of --at, --every, --cron, --on-calendar, --manual",
        )
        .with_hint("e.g. --cron '*/5 * * * *' or --every 6h; see `piar submit --help`"));
    }
    if args.tz.is_some() && spec.tz.is_none() {
        return Err(Error::invalid(
            "--tz: a time zone goes with --cron or --at (write the zone inside an --on-calendar spec)",
        ));
    }
    let mut env = BTreeMap::new();
    for kv in &args.env {
        let (k, v) = split_kv("--env", kv)?;
        env.insert(k, v);
    }
    let mut metadata = toml::Table::new();
    for kv in &args.metadata {
        let (k, v) = split_kv("--meta", kv)?;
        metadata.insert(k, toml::Value::String(v));
    }
    let workdir = match &args.workdir {
        Some(p) => Some(
            p.to_str()
                .ok_or_else(|| Error::invalid("--workdir: expected a UTF-8 path"))?
                .to_string(),
        ),
        None => None,
    };
    Ok(Manifest {
        version: manifest::VERSION,
        name: args.name.clone().unwrap_or_default(),
        description: args.description.clone().unwrap_or_default(),
        command: args.command.clone(),
        schedule: spec,
        timeout: args.timeout.clone(),
        workdir,
        enabled: true,
        created: None,
        updated: None,
        env,
        metadata,
        callback: super::callbacks::spec_from_args(&args.callback)?,
    })
}

/// Split `KEY=VALUE`; errors name the flag.
fn split_kv(flag: &str, kv: &str) -> Result<(String, String)> {
    kv.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| Error::invalid(format!("{flag}: expected KEY=VALUE, got {kv:?}")))
}
