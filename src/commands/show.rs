//! `piar show`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Ctx;
use crate::error::{ExitStatus, Result};
use crate::ops::status::{JobSummary, Live, summarize};
use crate::printer::human_time;
use crate::record::{self, RunRecord};
use crate::schedule::{Schedule, preview};

/// How many upcoming and past runs `show` lists.
const SHOW_RUNS: usize = 5;

/// What `show` prints with `--json`.
#[derive(Debug, Serialize)]
struct ShowView {
    #[serde(flatten)]
    summary: JobSummary,
    scope: &'static str,
    enabled: bool,
    command: Vec<String>,
    manifest_path: String,
    manifest: crate::model::manifest::Manifest,
    on_calendar: Vec<String>,
    next_runs: Vec<String>,
    last_runs: Vec<RunRecord>,
    units: BTreeMap<String, String>,
}

/// Run `piar show NAME`.
pub(super) fn show(ctx: &Ctx, name: &str) -> Result<ExitStatus> {
    let job = super::load_job(ctx, name)?;
    let sd = ctx.systemd()?;
    let live = Live::query_job(&ctx.paths, &sd, job.name())?;
    let summary = summarize(&sd, &live, &ctx.paths, &job)?;
    let spec = job.schedule.timer_spec();
    let on_calendar = spec
        .as_ref()
        .map(|s| s.on_calendar.clone())
        .unwrap_or_default();
    let next_runs: Vec<jiff::Timestamp> = match &job.schedule {
        _ if !job.manifest.enabled => vec![],
        Schedule::Every { interval, .. } => summary
            .next_run
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|first| {
                let step = jiff::SignedDuration::try_from(*interval).unwrap_or_default();
                (0..i32::try_from(SHOW_RUNS).unwrap_or(i32::MAX))
                    .filter_map(|i| first.checked_add(step * i).ok())
                    .collect()
            })
            .unwrap_or_default(),
        _ if !on_calendar.is_empty() => preview::next_elapses(&on_calendar, SHOW_RUNS, None)
            .unwrap_or_else(|e| {
                log::warn!("{name}: cannot compute next runs: {e}");
                vec![]
            }),
        _ => vec![],
    };
    let mut units = BTreeMap::new();
    for u in [
        crate::units::names::service(name),
        crate::units::names::timer(name),
    ] {
        if let Ok(text) = std::fs::read_to_string(ctx.paths.unit_file(&u)) {
            units.insert(u, text);
        }
    }
    let last_runs: Vec<_> = record::recent(&ctx.paths, name, SHOW_RUNS)
        .into_iter()
        .map(|r| settled(ctx, &sd, r))
        .collect();
    if ctx.out.json {
        ctx.out.json(&ShowView {
            summary,
            scope: ctx.scope.as_str(),
            enabled: job.manifest.enabled,
            command: job.manifest.command.clone(),
            manifest_path: ctx.paths.manifest(name).display().to_string(),
            manifest: job.manifest.clone(),
            on_calendar,
            next_runs: next_runs.iter().map(|t| t.to_string()).collect(),
            last_runs,
            units,
        })?;
        return Ok(ExitStatus::Success);
    }
    let out = &ctx.out;
    out.line(format!(
        "{}  ({}, {} scope)",
        name,
        summary.state,
        ctx.scope.as_str()
    ))?;
    if !job.manifest.description.is_empty() {
        out.line(format!("  description: {}", job.manifest.description))?;
    }
    out.line(format!(
        "  command:     {}",
        shell_words(&job.manifest.command)
    ))?;
    out.line(format!("  schedule:    {}", summary.schedule))?;
    out.line(format!("  when:        {}", summary.schedule_description))?;
    if let Some(a) = &job.manifest.approval {
        let by = match (&a.decided_by, &a.decided_at) {
            (Some(b), Some(t)) => format!(" by {b} at {t}"),
            _ => String::new(),
        };
        let why = a
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        out.line(format!("  approval:    {}{by}{why}", a.state.as_str()))?;
    }
    if job.manifest.require_synced_clock {
        out.line("  clock:       runs only on an NTP-synchronised clock (else deferred)")?;
    }
    for line in &on_calendar {
        out.line(format!("  OnCalendar:  {line}"))?;
    }
    if let Some(t) = job.timeout {
        out.line(format!("  timeout:     {}", humantime::format_duration(t)))?;
    }
    out.line(format!(
        "  manifest:    {}",
        ctx.paths.manifest(name).display()
    ))?;
    out.line("next runs:")?;
    if next_runs.is_empty() {
        out.line("  -")?;
    }
    for t in &next_runs {
        out.line(format!("  {}", human_time(*t)))?;
    }
    out.line("last runs:")?;
    if last_runs.is_empty() {
        out.line("  -")?;
    }
    for r in &last_runs {
        let detail = match (&r.exit_code, &r.signal) {
            (_, Some(sig)) => format!("signal {sig}"),
            (Some(c), None) => format!("exit {c}"),
            _ => String::new(),
        };
        let started = r
            .started_at
            .parse::<jiff::Timestamp>()
            .map(human_time)
            .unwrap_or_else(|_| r.started_at.clone());
        out.line(format!(
            "  {}  {}  {:<9} {} {}",
            r.run_id,
            started,
            r.status.as_str(),
            detail,
            r.duration_ms.map(|d| format!("{d} ms")).unwrap_or_default()
        ))?;
    }
    if let Some(text) = ctx.store().read_raw(name)? {
        out.line(format!("\n# {}", ctx.paths.manifest(name).display()))?;
        out.raw(&text)?;
    }
    for (u, text) in &units {
        out.line(format!("\n# {}", ctx.paths.unit_file(u).display()))?;
        out.raw(text)?;
    }
    Ok(ExitStatus::Success)
}

/// argv joined for display, quoting words that need it.
fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|w| {
            if !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
            {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A `running` record whose trigger died, as `lost` (crate::ops::recover::settle);
/// any other record as it is. Problems are logged, not fatal: show still shows.
fn settled(ctx: &Ctx, sd: &crate::systemd::Systemd, rec: record::RunRecord) -> record::RunRecord {
    match crate::ops::recover::settle(&ctx.paths, &rec, Some(sd), ctx.scope) {
        Ok(Some(new)) => new,
        Ok(None) => rec,
        Err(e) => {
            log::warn!("{}: run {}: {e}", rec.job, rec.run_id);
            rec
        }
    }
}
