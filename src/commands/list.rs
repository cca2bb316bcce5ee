//! `piar list`.

use super::Ctx;
use crate::error::{ExitStatus, Result};
use crate::ops::status::{JobSummary, Live, summarize_all};
use crate::printer::human_time;

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
    let jobs = store.load_all()?;
    let sd = ctx.systemd()?;
    let live = Live::query(&ctx.paths, &sd)?;
    let valid: Vec<_> = jobs
        .iter()
        .filter_map(|e| e.as_ref().ok())
        .cloned()
        .collect();
    let mut summaries = summarize_all(&sd, &live, &ctx.paths, &valid)?.into_iter();
    let mut rows: Vec<JobSummary> = Vec::with_capacity(jobs.len());
    for entry in jobs {
        match entry {
            Ok(_) => rows.extend(summaries.next()),
            Err((name, e)) => {
                log::warn!("{name}: {e}");
                rows.push(JobSummary {
                    name,
                    schedule: "-".into(),
                    kind: "invalid",
                    schedule_description: "-".into(),
                    next_run: None,
                    last_run: None,
                    result: None,
                    state: "invalid",
                    description: e.message.clone(),
                });
            }
        }
    }
    if ctx.out.json {
        ctx.out.json(&rows)?;
        return Ok(ExitStatus::Success);
    }
    if rows.is_empty() {
        ctx.out.line(format!(
            "no jobs in {} scope (create one with `piar submit`)",
            ctx.scope.as_str()
        ))?;
        return Ok(ExitStatus::Success);
    }
    let time = |t: &Option<String>| {
        t.as_deref()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .map(human_time)
            .unwrap_or_else(|| "-".into())
    };
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                // Readable rather than raw: `piar show` and --json have the text as written.
                r.schedule_description.clone(),
                time(&r.next_run),
                time(&r.last_run),
                r.result.clone().unwrap_or_else(|| "-".into()),
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
