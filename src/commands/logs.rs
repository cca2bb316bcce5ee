//! `piar logs`: the job's journal lines, through `journalctl`.
//!
//! Matches used (journalctl(1), "+" separates alternatives):
//! - system scope: `PIAR_JOB=<name>` (set on the run units with
//!   `LogExtraFields=` and on piar's own lines) `+ _SYSTEMD_UNIT=piar-<name>.service`;
//!   one run: `PIAR_RUN=<id>`.
//! - user scope (user managers drop `LogExtraFields=`, systemd#29956):
//!   `_UID=<uid> SYSLOG_IDENTIFIER=piar-<name> + _UID=<uid> _SYSTEMD_USER_UNIT=piar-<name>.service`;
//!   one run: `_UID=<uid> _SYSTEMD_USER_UNIT=piar-<name>.run-<id>.service` (or the legacy `piar-<name>-run-<id>.service`).

use std::io::{BufRead, BufReader, IsTerminal};
use std::process::{Command, Stdio};

use serde::Serialize;

use super::Ctx;
use crate::cli::LogsArgs;
use crate::error::{Error, ExitStatus, Result};
use crate::record;
use crate::state::layout::Scope;
use crate::units::names;

/// One journal line under `--json` (JSON lines on stdout).
#[derive(Debug, Serialize)]
struct LogLine {
    /// When it was logged (RFC 3339, UTC, µs precision).
    time: Option<String>,
    /// The message text (invalid UTF-8 replaced).
    message: String,
    /// The unit that logged it.
    unit: Option<String>,
    /// The run it belongs to, if known.
    run_id: Option<String>,
    /// syslog priority 0 (emerg) .. 7 (debug).
    priority: Option<u8>,
}

/// The journalctl match arguments for a job (and optionally one run).
pub(super) fn journal_matches(scope: Scope, name: &str, run: Option<&str>) -> Vec<String> {
    match scope {
        Scope::System => match run {
            Some(id) => vec![format!("PIAR_RUN={id}")],
            None => vec![
                format!("PIAR_JOB={name}"),
                "+".into(),
                format!("_SYSTEMD_UNIT={}", crate::units::names::service(name)),
            ],
        },
        Scope::User => {
            // SAFETY: getuid has no preconditions and cannot fail.
            let uid = unsafe { libc::getuid() };
            match run {
                // Runs of piar <= 0.1 logged under the legacy unit name.
                Some(id) => vec![
                    format!("_UID={uid}"),
                    format!("_SYSTEMD_USER_UNIT={}", names::run(name, id)),
                    "+".into(),
                    format!("_UID={uid}"),
                    format!("_SYSTEMD_USER_UNIT=piar-{name}-run-{id}.service"),
                ],
                // The trigger's own lines carry PIAR_JOB (crate::logging),
                // also when `piar run` ran it in a manual trigger unit.
                None => vec![
                    format!("_UID={uid}"),
                    format!("SYSLOG_IDENTIFIER=piar-{name}"),
                    "+".into(),
                    format!("_UID={uid}"),
                    format!("PIAR_JOB={name}"),
                    "+".into(),
                    format!("_UID={uid}"),
                    format!("_SYSTEMD_USER_UNIT={}", crate::units::names::service(name)),
                ],
            }
        }
    }
}

/// Run `piar logs`.
pub(super) fn logs(ctx: &Ctx, args: &LogsArgs) -> Result<ExitStatus> {
    crate::model::manifest::validate::validate_name(&args.name)?;
    if let Some(id) = &args.run {
        record::validate_run_id(id)?;
    }
    if !ctx.store().exists(&args.name) && record::run_ids(&ctx.paths, &args.name).is_empty() {
        return Err(Error::not_found(format!("no job named {:?}", args.name))
            .with_hint("`piar list` shows the jobs of this scope"));
    }
    let mut cmd = Command::new("journalctl");
    cmd.arg("--quiet");
    if ctx.out.json || !std::io::stdout().is_terminal() {
        cmd.arg("--no-pager");
    }
    if let Some(n) = args.lines {
        cmd.arg(format!("--lines={n}"));
    }
    if args.follow {
        cmd.arg("--follow");
    }
    if ctx.out.json {
        cmd.arg("--output=json");
    }
    cmd.args(journal_matches(ctx.scope, &args.name, args.run.as_deref()));
    log::debug!("running {cmd:?}");
    let spawn_err = |e: std::io::Error| {
        Error::failed(format!("cannot run journalctl: {e}"))
            .with_hint("piar reads logs with journalctl (package systemd)")
    };
    if !ctx.out.json {
        let status = cmd.status().map_err(spawn_err)?;
        return match status.code() {
            Some(0) => Ok(ExitStatus::Success),
            _ => Err(Error::failed(format!("journalctl failed ({status})"))),
        };
    }
    let mut child = cmd.stdout(Stdio::piped()).spawn().map_err(spawn_err)?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::failed("journalctl has no stdout"))?;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| Error::failed(format!("reading journalctl: {e}")))?;
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if let Err(e) = ctx.out.json_line(&to_line(&entry)) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
    }
    let status = child
        .wait()
        .map_err(|e| Error::failed(format!("journalctl: {e}")))?;
    match status.code() {
        Some(0) => Ok(ExitStatus::Success),
        _ => Err(Error::failed(format!("journalctl failed ({status})"))),
    }
}

/// A journal entry (journalctl `-o json`) -> [`LogLine`].
fn to_line(e: &serde_json::Value) -> LogLine {
    let s = |k: &str| e.get(k).and_then(|v| v.as_str()).map(str::to_string);
    // MESSAGE is a string, or an array of bytes when not valid UTF-8.
    let message = match e.get("MESSAGE") {
        Some(serde_json::Value::String(m)) => m.clone(),
        Some(serde_json::Value::Array(bytes)) => {
            let raw: Vec<u8> = bytes
                .iter()
                .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect();
            String::from_utf8_lossy(&raw).into_owned()
        }
        _ => String::new(),
    };
    let unit = s("_SYSTEMD_UNIT").or_else(|| s("_SYSTEMD_USER_UNIT"));
    let run_id = s("PIAR_RUN").or_else(|| {
        let u = unit.as_deref()?;
        let parsed = names::parse(u).filter(|n| n.run_id().is_some());
        parsed
            .or_else(|| names::parse_legacy(u))?
            .run_id()
            .map(str::to_string)
    });
    let time = s("__REALTIME_TIMESTAMP")
        .and_then(|us| us.parse::<i64>().ok())
        .and_then(|us| jiff::Timestamp::from_microsecond(us).ok())
        .map(|t| t.to_string());
    LogLine {
        time,
        message,
        unit,
        run_id,
        priority: s("PRIORITY").and_then(|p| p.parse().ok()),
    }
}
