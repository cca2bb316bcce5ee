//! Run policy: overlap, retries, timeout default, resource limits, sandbox,
//! clean environment and credentials (piar.toml(5), "RUN POLICY").
//!
//! The manifest keeps these as plain fields (`overlap`, `retries`,
//! `retry_delay`, `memory_max`, `cpu_quota`, `nice`, `run_as`, `sandbox`,
//! `credentials`); [`parse`] validates them into a [`Policy`] (pure: no
//! file system, no D-Bus). `crate::ops::policy` checks what needs the scope
//! and the machine (`check_scope`) and maps a policy onto the transient run
//! unit's systemd properties (`properties`).

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::model::manifest::Manifest;

/// Run time limit when the manifest has no `timeout`: 6 hours. Long enough
/// for a Raspberry Pi's backup or `apt-get upgrade` over a slow SD card, short
/// enough that a hung job does not block its next day's runs (with the
/// default overlap policy a still-running run makes later ones skip).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(6 * 3600);

/// Delay before the first retry when `retry_delay` is absent.
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(30);

/// Most retries a job may ask for.
pub const MAX_RETRIES: u32 = 10;

/// Longest delay between two attempts: the doubling stops here.
pub const RETRY_DELAY_CAP: Duration = Duration::from_secs(3600);

/// `LANG` of a run that does not declare its own.
pub const DEFAULT_LANG: &str = "C.UTF-8";

/// What a run does when a run of the same job is still active.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Overlap {
    /// Do not start; record the new run as `skipped` (default).
    #[default]
    Forbid,
    /// Start anyway: runs are independent transient units.
    Allow,
    /// Stop the running ones (recorded `canceled`), then start.
    Replace,
}

/// A validated run policy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    /// Overlap policy.
    pub overlap: Overlap,
    /// Retries after a failed or timed-out attempt (0 = none).
    pub retries: u32,
    /// Delay before the first retry.
    pub retry_delay: Duration,
    /// `MemoryMax=` in bytes.
    pub memory_max: Option<u64>,
    /// CPU quota in percent of one CPU.
    pub cpu_quota: Option<u64>,
    /// `Nice=`.
    pub nice: Option<i32>,
    /// `User=`.
    pub run_as: Option<String>,
    /// `sandbox = "strict"`.
    pub sandbox: bool,
    /// Credential file name -> secret name.
    pub credentials: BTreeMap<String, String>,
}

/// Validate the policy fields of `m`; errors name the field (exit 2).
pub fn parse(m: &Manifest) -> Result<Policy> {
    let overlap = match m.overlap.as_deref() {
        None | Some("forbid") => Overlap::Forbid,
        Some("allow") => Overlap::Allow,
        Some("replace") => Overlap::Replace,
        Some(o) => {
            return Err(Error::invalid(format!(
                "overlap: expected forbid, allow or replace, got {o:?}"
            )));
        }
    };
    let retries = m.retries.unwrap_or(0);
    if retries > MAX_RETRIES {
        return Err(Error::invalid(format!(
            "retries: at most {MAX_RETRIES}, got {retries}"
        )));
    }
    let retry_delay = m
        .retry_delay
        .as_deref()
        .map_or(Ok(DEFAULT_RETRY_DELAY), parse_retry_delay)?;
    let memory_max = m
        .memory_max
        .as_deref()
        .map(|s| parse_size(s).map_err(|e| e.context("memory_max")))
        .transpose()?;
    let cpu_quota = m
        .cpu_quota
        .as_deref()
        .map(|s| parse_percent(s).map_err(|e| e.context("cpu_quota")))
        .transpose()?;
    if let Some(n) = m.nice
        && !(-20..=19).contains(&n)
    {
        return Err(Error::invalid(format!("nice: expected -20 to 19, got {n}")));
    }
    if let Some(u) = &m.run_as {
        check_user_name(u)?;
    }
    let sandbox = match m.sandbox.as_deref() {
        None | Some("none") => false,
        Some("strict") => true,
        Some(s) => {
            return Err(Error::invalid(format!(
                "sandbox: expected strict or none, got {s:?}"
            )));
        }
    };
    for (name, secret) in &m.credentials {
        check_credential(name, secret)?;
    }
    Ok(Policy {
        overlap,
        retries,
        retry_delay,
        memory_max,
        cpu_quota,
        nice: m.nice,
        run_as: m.run_as.clone(),
        sandbox,
        credentials: m.credentials.clone(),
    })
}

/// `retry_delay`: a duration from 1 s to [`RETRY_DELAY_CAP`] (`30s`, `5m`).
fn parse_retry_delay(t: &str) -> Result<Duration> {
    let d = humantime::parse_duration(t.trim()).map_err(|e| {
        Error::invalid(format!(
            "retry_delay: expected a duration like 30s or 5m, got {t:?}: {e}"
        ))
    })?;
    if d < Duration::from_secs(1) || d > RETRY_DELAY_CAP {
        return Err(Error::invalid(format!(
            "retry_delay: expected 1s to 1h, got {t:?}"
        )));
    }
    Ok(d)
}

/// `run_as`: a user name of at most 32 characters, `[A-Za-z0-9_]` then also
/// `-` and `.` (useradd(8)'s portable set). Whether the user exists is
/// `crate::ops::policy::check_scope`'s question.
fn check_user_name(u: &str) -> Result<()> {
    let ok = !u.is_empty()
        && u.len() <= 32
        && u.chars().enumerate().all(|(i, c)| {
            c.is_ascii_alphanumeric() || c == '_' || (i > 0 && matches!(c, '-' | '.'))
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "run_as: {u:?} is not a valid user name"
        )))
    }
}

/// One `credentials` entry: the credential's file name (`[A-Za-z0-9_.-]`,
/// at most 64, not `.`/`..`: systemd.exec(5) `LoadCredential=`) and a valid
/// secret name.
fn check_credential(name: &str, secret: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && name != "."
        && name != "..";
    if !ok {
        return Err(Error::invalid(format!(
            "credentials.{}: expected a file name of [A-Za-z0-9_.-], at most 64 characters",
            name.escape_debug()
        )));
    }
    crate::model::limits::validate_secret_name(secret)
        .map_err(|e| e.context(format!("credentials.{name}")))
}

/// [`parse`] for validation only.
pub fn validate(m: &Manifest) -> Result<()> {
    parse(m).map(|_| ())
}

/// Bytes from `512`, `64K`, `512M`, `2G`, `1T` (base 1024, as systemd reads
/// `MemoryMax=`); at least 4096 (one page).
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => 0,
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let bytes = num
        .parse::<u64>()
        .ok()
        .filter(|_| mult > 0)
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| {
            Error::invalid(format!(
                "expected bytes with an optional K, M, G or T suffix (512M), got {text:?}"
            ))
        })?;
    if bytes < 4096 {
        return Err(Error::invalid(format!(
            "{text:?} is below one page (4096 bytes)"
        )));
    }
    Ok(bytes)
}

/// Percent from `50%` or `50`: 1 to 100000 (a quota above 100% uses more than one CPU).
pub fn parse_percent(text: &str) -> Result<u64> {
    let t = text.trim();
    let t = t.strip_suffix('%').unwrap_or(t);
    match t.trim().parse::<u64>() {
        Ok(n) if (1..=100_000).contains(&n) => Ok(n),
        _ => Err(Error::invalid(format!(
            "expected a percentage of one CPU like 50% (1 to 100000), got {text:?}"
        ))),
    }
}
