//! `piar list`.

use serde::Serialize;

use super::Ctx;
use crate::error::{Error, ExitStatus, Result};
use crate::ops::status::{JobSummary, Live, summarize_all};
use crate::printer::human_time;

/// Every state `piar list` reports (`--state` accepts these).
const STATES: &[&str] = &[
    "waiting",
    "running",
    "paused",
    "manual",
    "pending-approval",
    "rejected",
    "completed",
    "failed",
    "done",
    "inactive",
    "invalid",
];

/// Last-run statuses that count as failed for `list --failed`.
const FAILED_STATUSES: &[&str] = &["failed", "timed_out", "lost"];

/// One row of `piar list --json` (docs/schemas/list.json): the job summary
/// plus what an agent filters and correlates on.
#[derive(Debug, Serialize)]
struct ListRow {
    #[serde(flatten)]
    summary: JobSummary,
    /// `system` or `user`.
    scope: &'static str,
    /// Whether the timer is wanted: not paused, not pending approval, not rejected.
    enabled: bool,
    /// The manifest's `[metadata]` table (`--meta KEY=VALUE`).
    metadata: toml::Table,
    /// `submit --idempotency-key`, if any.
    idempotency_key: Option<String>,
}

/// The filters of `piar list`, checked before anything is read.
struct Filter {
    states: Vec<String>,
    selectors: Vec<(String, String)>,
    failed: bool,
}

impl Filter {
    /// Errors (exit 2, naming the flag): an unknown state, a selector without `=`.
    fn parse(args: &crate::cli::ListArgs) -> Result<Filter> {
        for s in &args.state {
            if !STATES.contains(&s.as_str()) {
                return Err(Error::invalid(format!(
                    "--state: expected one of {}, got {s:?}",
                    STATES.join(", ")
                )));
            }
        }
        let selectors = args
            .selector
            .iter()
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
                _ => Err(Error::invalid(format!(
                    "--selector: expected KEY=VALUE, got {kv:?}"
                ))),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Filter {
            states: args.state.clone(),
            selectors,
            failed: args.failed,
        })
    }

    /// Whether `row` passes: its state is one of `--state` (if any), every
    /// selector's key holds that value (a string as is, other TOML values as
    /// written: `3`, `true`), and with `--failed` its last run failed.
    fn keep(&self, row: &ListRow) -> bool {
        let state_ok = self.states.is_empty() || self.states.iter().any(|s| s == row.summary.state);
        let meta_ok = self
            .selectors
            .iter()
            .all(|(k, v)| match row.metadata.get(k) {
                Some(toml::Value::String(s)) => s == v,
                Some(other) => other.to_string() == *v,
                None => false,
            });
        let failed_ok = !self.failed
            || row
                .summary
                .last_run
                .as_deref()
                .is_some_and(|r| FAILED_STATUSES.contains(&r.status.as_str()));
        state_ok && meta_ok && failed_ok
    }
}

/// `piar list --names`: the names of the stored manifests, one per line
/// (`--json`: an array of strings). No D-Bus, no validation: fast enough for
/// shell completion, and a job whose manifest is invalid is still named.
fn names(ctx: &Ctx, store: &crate::state::jobs::Store) -> Result<ExitStatus> {
    let mut names = store.names()?;
    names.sort();
    if ctx.out.json {
        ctx.out.json(&names)?;
    } else {
        for n in names {
            ctx.out.line(n)?;
        }
    }
    Ok(ExitStatus::Success)
}

/// Run `piar list`: one row per job, from one `ListUnitsByPatterns` call
/// plus the timers' properties (read by a few threads: [`summarize_all`]). A manifest that fails to load is listed with
/// state `invalid` (and its error logged) instead of failing the listing.
pub(super) fn list(ctx: &Ctx, args: &crate::cli::ListArgs) -> Result<ExitStatus> {
    let store = ctx.store();
    if args.names {
        return names(ctx, &store);
    }
    let filter = Filter::parse(args)?;
    let mut jobs = store.load_all()?;
    // The order of `--names`: byte order of the names.
    jobs.sort_by(|a, b| {
        let name = |e: &std::result::Result<crate::model::manifest::Job, (String, Error)>| match e {
            Ok(j) => j.name().to_string(),
            Err((n, _)) => n.clone(),
        };
        name(a).cmp(&name(b))
    });
    let sd = ctx.systemd()?;
    let live = Live::query(&ctx.paths, &sd)?;
    let valid: Vec<_> = jobs
        .iter()
        .filter_map(|e| e.as_ref().ok())
        .cloned()
        .collect();
    let mut summaries = summarize_all(&sd, &live, &ctx.paths, &valid)?.into_iter();
    let mut rows: Vec<ListRow> = Vec::with_capacity(jobs.len());
    let scope = ctx.scope.as_str();
    for entry in jobs {
        match entry {
            Ok(job) => rows.extend(summaries.next().map(|summary| ListRow {
                summary,
                scope,
                enabled: job.manifest.timer_wanted(),
                metadata: job.manifest.metadata.clone(),
                idempotency_key: job.manifest.idempotency_key.clone(),
            })),
            Err((name, e)) => {
                log::warn!("{name}: {e}");
                let summary = JobSummary {
                    name,
                    schedule: "-".into(),
                    kind: "invalid",
                    schedule_description: "-".into(),
                    next_run: None,
                    last_run: None,
                    state: "invalid",
                    description: e.message.clone(),
                };
                rows.push(ListRow {
                    summary,
                    scope,
                    enabled: false,
                    metadata: toml::Table::new(),
                    idempotency_key: None,
                });
            }
        }
    }
    rows.retain(|r| filter.keep(r));
    if ctx.out.json {
        ctx.out.json(&rows)?;
        return Ok(ExitStatus::Success);
    }
    let filtered = !args.state.is_empty() || !args.selector.is_empty() || args.failed;
    if rows.is_empty() && filtered {
        ctx.out.line("no job matches the filters")?;
        return Ok(ExitStatus::Success);
    }
    if rows.is_empty() {
        ctx.out.line(format!(
            "no jobs in {} scope (create one with `piar submit`)",
            ctx.scope.as_str()
        ))?;
        return Ok(ExitStatus::Success);
    }
    let time = |t: Option<&str>| {
        t.and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .map(human_time)
            .unwrap_or_else(|| "-".into())
    };
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let r = &r.summary;
            vec![
                r.name.clone(),
                // Readable rather than raw: `piar show` and --json have the text as written.
                r.schedule_description.clone(),
                time(r.next_run.as_deref()),
                time(r.last_run.as_ref().map(|l| l.started_at.as_str())),
                r.last_run
                    .as_ref()
                    .map_or("-", |l| l.status.as_str())
                    .to_string(),
                r.state.to_string(),
            ]
        })
        .collect();
    ctx.out.table(
        &["NAME", "SCHEDULE", "NEXT", "LAST", "RESULT", "STATE"],
        &table,
    )?;
    Ok(ExitStatus::Success)
}
