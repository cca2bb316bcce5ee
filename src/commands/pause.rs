//! `piar pause [--until TIME]` and `piar resume [--now | --at TIME]`.
//!
//! A timed pause needs no daemon: a transient timer runs `piar resume <job>`
//! at that time ([`crate::ops::resume_timer`]), and the manifest records the
//! time as `paused_until`. Every pause and resume first stops the job's
//! pending resume timers, so at most one is armed. Transient timers do not
//! survive a reboot: `piar sync` re-arms them (and resumes a job whose time
//! passed meanwhile).

use serde::Serialize;

use super::Ctx;
use crate::error::{Error, ExitStatus, Result};
use crate::model::manifest::Job;
use crate::ops::{apply, resume_timer};
use crate::systemd::Systemd;

/// What `pause` and `resume` print with `--json` (docs/schemas/pause.json).
#[derive(Debug, Serialize)]
struct PauseView {
    name: String,
    /// Whether the timer is now enabled (false after pause, true after resume;
    /// false for a job pending approval).
    enabled: bool,
    /// The job's state as `piar list` shows it (`paused`, `waiting`, ...).
    state: &'static str,
    /// When the timer fires next (RFC 3339, UTC), if it does.
    next_run: Option<String>,
    /// When the paused job resumes by itself (`--until`/`--at`), if it does.
    resume_at: Option<String>,
    /// `resume --now`: a run was started.
    run_started: bool,
}

/// What the caller asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// `pause`, with `--until` when the time is given.
    Pause,
    /// `resume`; `now`: also start one run.
    Resume {
        /// `--now`.
        now: bool,
    },
}

/// Pause or resume a job: the manifest's `enabled` (and `paused_until`) is
/// updated first and restored if the manager refuses. Resuming does not run
/// the job (missed slots are not caught up) unless `--now`, which starts one
/// run as `piar run` would, also when the job was not paused. `at` is
/// `pause --until` / `resume --at`: the job stays (or becomes) paused and a
/// transient timer resumes it then. Errors: `at` unparsable or not in the
/// future (exit 2); `resume --at` of a job that is not paused, resuming a job
/// that is pending approval or rejected (exit 4).
pub(super) fn pause(ctx: &Ctx, name: &str, action: Action, at: Option<&str>) -> Result<ExitStatus> {
    crate::model::manifest::validate::validate_name(name)?;
    let now_ts = jiff::Timestamp::now();
    let flag = match action {
        Action::Pause => "--until",
        Action::Resume { .. } => "--at",
    };
    let at = at
        .map(|t| {
            crate::schedule::at::resolve_at(t, &crate::schedule::at::system_tz_name(), now_ts)
                .map_err(|e| e.context(flag))
        })
        .transpose()?;
    let store = ctx.store();
    // Lock first, then connect: a command waiting for the lock holds no bus connection
    // (dbus allows 256 per user; issue 12 point 6).
    let _lock = store.lock()?;
    let sd = ctx.systemd()?;
    let job = store.load(name)?;
    let resume_now = matches!(action, Action::Resume { .. }) && at.is_none();
    if matches!(action, Action::Resume { .. }) {
        crate::model::manifest::approval::check_may_run(&job.manifest)?;
        if at.is_some() && job.manifest.enabled {
            return Err(Error::conflict(format!(
                "cannot resume job {name:?} later: it is not paused"
            ))
            .with_hint(format!(
                "`piar pause {name} --until TIME` pauses it until then"
            )));
        }
    }
    let mut m = job.manifest.clone();
    m.enabled = resume_now;
    m.paused_until = at.map(crate::printer::rfc3339);
    if m != job.manifest {
        m.updated = Some(crate::printer::now_rfc3339());
        store.save(&m)?;
        crate::failpoint::hit(if resume_now {
            "resume.after-manifest-write"
        } else {
            "pause.after-manifest-write"
        });
    }
    let wanted = at.map(|t| resume_timer::timer_name(name, t)).transpose()?;
    let applied = (|| {
        // Running the same `pause --until` twice keeps the armed timer (a stopped
        // transient unit may linger a moment, and its name would be taken).
        let kept = resume_timer::cancel(&sd, &ctx.paths, name, wanted.as_deref());
        if job.manifest.enabled != resume_now {
            if resume_now {
                apply::resume(&sd, &ctx.paths, name)?;
            } else {
                apply::pause(&sd, &ctx.paths, name)?;
            }
        } else {
            // Already paused/resumed in the manifest: a re-run after a crash half-way must
            // still leave the timer as the manifest says (issue 12 point 3).
            for what in crate::ops::recover::converge(&sd, &ctx.paths, &job)? {
                log::warn!("{name}: repaired: {what}");
            }
        }
        if let Some(t) = at
            && !kept
        {
            resume_timer::arm(&sd, name, t)?;
        }
        Ok::<(), Error>(())
    })();
    if let Err(e) = applied {
        if m != job.manifest {
            store.save(&job.manifest)?;
        }
        return Err(e);
    }
    let mut run_started = false;
    if let Action::Resume { now: true } = action {
        apply::start_run_now(&sd, name)?;
        run_started = true;
    }
    drop(_lock);
    let job = store.load(name)?;
    print(ctx, &sd, &job, resume_now, run_started)
}

fn print(
    ctx: &Ctx,
    sd: &Systemd,
    job: &Job,
    resumed: bool,
    run_started: bool,
) -> Result<ExitStatus> {
    let name = job.name();
    let live = crate::ops::status::Live::query_job(&ctx.paths, sd, name)?;
    let summary = crate::ops::status::summarize(sd, &live, &ctx.paths, job)?;
    if ctx.out.json {
        ctx.out.json(&PauseView {
            name: name.to_string(),
            enabled: job.manifest.timer_wanted(),
            state: summary.state,
            next_run: summary.next_run,
            resume_at: job.manifest.paused_until.clone(),
            run_started,
        })?;
        return Ok(ExitStatus::Success);
    }
    let mut text = if resumed {
        format!("resumed {name}")
    } else {
        format!("paused {name}")
    };
    if let Some(t) = &job.manifest.paused_until {
        let when = t
            .parse::<jiff::Timestamp>()
            .map(crate::printer::human_time)
            .unwrap_or_else(|_| t.clone());
        text.push_str(&format!(" until {when}"));
    } else if let Some(t) = &summary.next_run {
        let when = t
            .parse::<jiff::Timestamp>()
            .map(crate::printer::human_time)
            .unwrap_or_else(|_| t.clone());
        text.push_str(&format!(" (next run {when})"));
    }
    if run_started {
        text.push_str(" (run started)");
    }
    ctx.out.line(text)?;
    Ok(ExitStatus::Success)
}
