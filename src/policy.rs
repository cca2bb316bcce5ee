//! Run policy: overlap, retries, timeout default, resource limits, sandbox,
//! clean environment and credentials (piar.toml(5), "RUN POLICY").
//!
//! The manifest keeps these as plain fields (`overlap`, `retries`,
//! `retry_delay`, `memory_max`, `cpu_quota`, `nice`, `run_as`, `sandbox`,
//! `credentials`); [`parse`] validates them into a [`Policy`], and
//! [`properties`] maps a policy onto the transient run unit's systemd
//! properties (systemd.resource-control(5), systemd.exec(5); every property
//! used here is settable on transient units since systemd 252 or earlier).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use zbus::zvariant::Value;

use crate::cli::PolicyArgs;
use crate::error::{Error, Result};
use crate::manifest::{Job, Manifest};
use crate::paths::{Paths, Scope};
use crate::record::{RunRecord, RunStatus};
use crate::systemd::Systemd;

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
    let retry_delay = match m.retry_delay.as_deref() {
        None => DEFAULT_RETRY_DELAY,
        Some(t) => {
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
            d
        }
    };
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
        let ok = !u.is_empty()
            && u.len() <= 32
            && u.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphanumeric() || c == '_' || (i > 0 && matches!(c, '-' | '.'))
            });
        if !ok {
            return Err(Error::invalid(format!(
                "run_as: {u:?} is not a valid user name"
            )));
        }
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
        crate::callback::secret::validate_name(secret)
            .map_err(|e| e.context(format!("credentials.{name}")))?;
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

/// [`parse`] for validation only.
pub fn validate(m: &Manifest) -> Result<()> {
    parse(m).map(|_| ())
}

/// Checks that need the scope: `run_as` and `sandbox` only in system scope
/// (a user manager cannot switch users, and its sandboxing needs user
/// namespaces Pi kernels often lack); the `run_as` user exists; every
/// credential's secret exists. Errors exit 2.
pub fn check_scope(m: &Manifest, scope: Scope, paths: &Paths) -> Result<()> {
    let p = parse(m)?;
    if scope == Scope::User {
        if p.run_as.is_some() {
            return Err(Error::invalid(
                "run_as: only the system manager can run a job as another user",
            )
            .with_hint("use --system (as root), or drop --run-as"));
        }
        if p.sandbox {
            return Err(Error::invalid(
                "sandbox: `strict` needs the system manager (user managers cannot set up its mounts)",
            )
            .with_hint("use --system (as root), or drop --sandbox"));
        }
    }
    if let Some(u) = &p.run_as
        && user_home(u).is_none()
    {
        return Err(Error::invalid(format!("run_as: no user named {u:?}")));
    }
    for (name, secret) in &p.credentials {
        if !crate::callback::secret::dir(paths).join(secret).is_file() {
            return Err(
                Error::invalid(format!("credentials.{name}: no secret named {secret:?}"))
                    .with_hint(format!(
                        "store it with `piar secret set {secret}` (value on stdin)"
                    )),
            );
        }
    }
    Ok(())
}

/// Write the flags that were given into `m`, leaving the other fields alone
/// (so `piar edit` can reuse it). `--env-file` entries are merged into
/// `env` (replacing equal keys). Values are validated later by
/// [`crate::manifest::validate::validate`]; errors here are unreadable files
/// or malformed `--credential`/`--env-file` syntax (exit 2).
pub fn apply(args: &PolicyArgs, m: &mut Manifest) -> Result<()> {
    if let Some(v) = &args.overlap {
        m.overlap = Some(v.clone());
    }
    if let Some(v) = args.retries {
        m.retries = Some(v);
    }
    if let Some(v) = &args.retry_delay {
        m.retry_delay = Some(v.clone());
    }
    if let Some(v) = &args.memory_max {
        m.memory_max = Some(v.clone());
    }
    if let Some(v) = &args.cpu_quota {
        m.cpu_quota = Some(v.clone());
    }
    if let Some(v) = args.nice {
        m.nice = Some(v);
    }
    if let Some(v) = &args.run_as {
        m.run_as = Some(v.clone());
    }
    if let Some(v) = &args.sandbox {
        m.sandbox = Some(v.clone());
    }
    for file in &args.env_file {
        m.env.extend(read_env_file(file)?);
    }
    for c in &args.credential {
        let (name, secret) = match c.split_once('=') {
            Some((n, s)) => (n, s),
            None => (c.as_str(), c.as_str()),
        };
        if name.is_empty() || secret.is_empty() {
            return Err(Error::invalid(format!(
                "--credential: expected NAME or NAME=SECRET, got {c:?}"
            )));
        }
        m.credentials.insert(name.to_string(), secret.to_string());
    }
    Ok(())
}

/// Read an environment file: one `KEY=VALUE` per line; empty lines and lines
/// starting with `#` or `;` are ignored; whitespace around the key and the
/// value is trimmed; a value wholly inside matching `"` or `'` quotes loses
/// them (no escapes, no `$` expansion, no line continuations: a subset of
/// systemd.exec(5) `EnvironmentFile=`). Errors name the file and line (exit 2).
pub fn read_env_file(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::invalid(format!("--env-file: cannot read {}: {e}", path.display())))?;
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(Error::invalid(format!(
                "--env-file: {} line {}: expected KEY=VALUE",
                path.display(),
                i + 1
            )));
        };
        let v = v.trim();
        let v = [('"', '"'), ('\'', '\'')]
            .iter()
            .find_map(|(a, b)| {
                (v.len() >= 2 && v.starts_with(*a) && v.ends_with(*b)).then(|| &v[1..v.len() - 1])
            })
            .unwrap_or(v);
        out.insert(k.trim().to_string(), v.to_string());
    }
    Ok(out)
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

/// Home directory of `user` (getpwnam_r), `None` if there is no such user.
pub fn user_home(user: &str) -> Option<String> {
    let c = std::ffi::CString::new(user).ok()?;
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut res: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: all pointers are valid for the call; buf outlives the read of pw_dir.
    let rc =
        unsafe { libc::getpwnam_r(c.as_ptr(), &mut pw, buf.as_mut_ptr(), buf.len(), &mut res) };
    if rc != 0 || res.is_null() || pw.pw_dir.is_null() {
        return None;
    }
    // SAFETY: pw_dir points into buf, NUL-terminated by getpwnam_r.
    let dir = unsafe { std::ffi::CStr::from_ptr(pw.pw_dir) };
    Some(dir.to_string_lossy().into_owned())
}

/// Home directory of the current user (getpwuid_r), falling back to `$HOME`, then `/`.
fn own_home() -> String {
    let uid = unsafe { libc::getuid() };
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut res: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: as in user_home.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut res) };
    if rc == 0 && !res.is_null() && !pw.pw_dir.is_null() {
        // SAFETY: as in user_home.
        return unsafe { std::ffi::CStr::from_ptr(pw.pw_dir) }
            .to_string_lossy()
            .into_owned();
    }
    std::env::var("HOME").unwrap_or_else(|_| "/".to_string())
}

/// The run's `HOME`: the `run_as` user's home, else the manager's user's.
pub fn run_home(p: &Policy) -> String {
    p.run_as
        .as_deref()
        .and_then(user_home)
        .unwrap_or_else(own_home)
}

/// Variables systemd itself would add and piar removes with
/// `UnsetEnvironment=`: the login variables `User=` and user managers set,
/// and a user manager's `MANAGERPID`.
const UNSET_ALWAYS: &[&str] = &["USER", "LOGNAME", "SHELL", "MANAGERPID"];

/// Variables systemd sets for every service that describe the run itself;
/// never unset, even when the manager's own environment has them too (a
/// user manager's has `SYSTEMD_EXEC_PID`): systemd's per-run value wins
/// over the manager's (systemd.exec(5), "Environment Variables in Spawned
/// Processes").
const KEEP: &[&str] = &[
    "INVOCATION_ID",
    "JOURNAL_STREAM",
    "SYSTEMD_EXEC_PID",
    "CREDENTIALS_DIRECTORY",
    "MEMORY_PRESSURE_WATCH",
    "MEMORY_PRESSURE_WRITE",
];

/// systemd properties of a run unit for policy `p` (added to the ones
/// `run::transient_properties` builds). `env_keys` are the variables the run
/// sets itself; every other variable of the manager's environment (`systemctl
/// show-environment`: whatever `import-environment`/`set-environment` put
/// there) is removed with `UnsetEnvironment=`.
pub fn properties(
    p: &Policy,
    job: &Job,
    sd: &Systemd,
    paths: &Paths,
    env_keys: &[String],
) -> Result<Vec<(&'static str, Value<'static>)>> {
    let mut props: Vec<(&'static str, Value<'static>)> = Vec::new();
    let manager_env = sd.manager().environment().unwrap_or_default();
    let mut unset: Vec<String> = manager_env
        .iter()
        .filter_map(|kv| kv.split_once('=').map(|(k, _)| k.to_string()))
        .chain(UNSET_ALWAYS.iter().map(|s| s.to_string()))
        .filter(|k| !env_keys.contains(k) && !KEEP.contains(&k.as_str()))
        .collect();
    unset.sort();
    unset.dedup();
    props.push(("UnsetEnvironment", Value::from(unset)));
    if let Some(b) = p.memory_max {
        props.push(("MemoryMax", Value::from(b)));
    }
    if let Some(pct) = p.cpu_quota {
        // CPUQuotaPerSecUSec: CPU time per second of wall clock, µs.
        props.push(("CPUQuotaPerSecUSec", Value::from(pct * 10_000)));
    }
    if let Some(n) = p.nice {
        props.push(("Nice", Value::from(n)));
    }
    if let Some(u) = &p.run_as {
        props.push(("User", Value::from(u.clone())));
    }
    if p.sandbox {
        for key in SANDBOX_BOOLS {
            props.push((key, Value::from(true)));
        }
        props.push(("ProtectSystem", Value::from("strict")));
        props.push(("ProtectHome", Value::from("read-only")));
        props.push((
            "SystemCallArchitectures",
            Value::from(vec!["native".to_string()]),
        ));
        if let Some(w) = &job.workdir {
            props.push((
                "ReadWritePaths",
                Value::from(vec![w.to_string_lossy().into_owned()]),
            ));
        }
    }
    if !p.credentials.is_empty() {
        // LoadCredential= (not SetCredential=): systemd reads the secret's
        // file itself when the run starts, so the value never travels over
        // D-Bus and is not a unit property anyone may read back.
        let dir = crate::callback::secret::dir(paths);
        let creds: Vec<(String, String)> = p
            .credentials
            .iter()
            .map(|(n, s)| (n.clone(), dir.join(s).to_string_lossy().into_owned()))
            .collect();
        props.push(("LoadCredential", Value::from(creds)));
    }
    Ok(props)
}

/// The boolean sandbox settings of `sandbox = "strict"`, all set to `yes`
/// (systemd.exec(5)); with them `ProtectSystem=strict`,
/// `ProtectHome=read-only`, `SystemCallArchitectures=native` and
/// `ReadWritePaths=<workdir>`.
pub const SANDBOX_BOOLS: &[&str] = &[
    "NoNewPrivileges",
    "PrivateTmp",
    "PrivateDevices",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectKernelLogs",
    "ProtectControlGroups",
    "RestrictSUIDSGID",
    "RestrictRealtime",
    "LockPersonality",
];

/// Delay before attempt `next` (2-based: the first retry is attempt 2):
/// `base * 2^(next-2)`, at most [`RETRY_DELAY_CAP`].
pub fn backoff(base: Duration, next: u32) -> Duration {
    let factor = 1u32 << next.saturating_sub(2).min(20);
    base.saturating_mul(factor).min(RETRY_DELAY_CAP)
}

/// After a finished attempt: if it failed or timed out and retries are left,
/// arm a transient `piar-<job>-retry-<first>-<next>.timer` (`OnActiveSec=`
/// the backoff) whose service runs `piar trigger <job> --retry-of <first>
/// --attempt <next>`. Returns whether a retry was armed (then the callback
/// waits for the final attempt). Errors are logged, never returned.
pub fn schedule_retry(sd: &Systemd, job: &Job, rec: &RunRecord) -> bool {
    let Ok(p) = parse(&job.manifest) else {
        return false;
    };
    let attempt = rec.attempt.unwrap_or(1);
    if !matches!(rec.status, RunStatus::Failed | RunStatus::TimedOut) || attempt > p.retries {
        return false;
    }
    let next = attempt + 1;
    let first = rec.retry_of.clone().unwrap_or_else(|| rec.run_id.clone());
    let delay = backoff(p.retry_delay, next);
    match arm_retry(sd, job.name(), &first, next, delay) {
        Ok(()) => {
            log::info!(
                "{}: attempt {attempt} {}; attempt {next} in {}s",
                job.name(),
                rec.status.as_str(),
                delay.as_secs()
            );
            true
        }
        Err(e) => {
            log::error!("{}: cannot schedule retry {next}: {e}", job.name());
            false
        }
    }
}

/// Stop the pending retry timers of `job` (for `piar rm`); errors are logged.
pub fn stop_retries(sd: &Systemd, job: &str) {
    let pattern = format!("piar-{job}-retry-*.timer");
    match sd.list_units(&[], &[&pattern]) {
        Ok(units) => {
            for u in units {
                if let Err(e) = sd.stop(&u.0) {
                    log::warn!("{job}: cannot stop {}: {e}", u.0);
                }
            }
        }
        Err(e) => log::warn!("{job}: cannot list retry timers: {e}"),
    }
}

/// Unit name stem of a retry.
pub fn retry_stem(job: &str, first: &str, attempt: u32) -> String {
    format!("piar-{job}-retry-{first}-{attempt}")
}

fn arm_retry(sd: &Systemd, job: &str, first: &str, next: u32, delay: Duration) -> Result<()> {
    let stem = retry_stem(job, first, next);
    let exe = crate::run::piar_exe()?;
    let argv = vec![
        exe.clone(),
        sd.scope.flag().to_string(),
        "trigger".into(),
        job.to_string(),
        "--retry-of".into(),
        first.to_string(),
        "--attempt".into(),
        next.to_string(),
    ];
    let service: Vec<(&str, Value)> = vec![
        (
            "Description",
            Value::from(format!("piar job {job}: attempt {next} of run {first}")),
        ),
        ("Type", Value::from("oneshot")),
        ("ExecStart", Value::from(vec![(exe, argv, false)])),
        ("Environment", Value::from(crate::run::piar_env())),
        ("CollectMode", Value::from("inactive-or-failed")),
    ];
    let usec = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX).max(1);
    let timer: Vec<(&str, Value)> = vec![
        (
            "Description",
            Value::from(format!("piar job {job}: retry {next} of run {first}")),
        ),
        (
            "TimersMonotonic",
            Value::from(vec![("OnActiveSec".to_string(), usec)]),
        ),
        ("AccuracyUSec", Value::from(1u64)),
        ("RemainAfterElapse", Value::from(false)),
    ];
    let service_name = format!("{stem}.service");
    let aux: Vec<(&str, &[(&str, Value)])> = vec![(service_name.as_str(), service.as_slice())];
    sd.manager()
        .start_transient_unit(&format!("{stem}.timer"), "fail", &timer, &aux)
        .map_err(crate::systemd::classify_bus_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M").unwrap(), 512 << 20);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("2g").unwrap(), 2 << 30);
        assert!(parse_size("12").is_err());
        assert!(parse_size("5X").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("-1G").is_err());
    }

    #[test]
    fn percents() {
        assert_eq!(parse_percent("50%").unwrap(), 50);
        assert_eq!(parse_percent("200").unwrap(), 200);
        assert!(parse_percent("0%").is_err());
        assert!(parse_percent("abc").is_err());
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Duration::from_secs(2);
        assert_eq!(backoff(b, 2), Duration::from_secs(2));
        assert_eq!(backoff(b, 3), Duration::from_secs(4));
        assert_eq!(backoff(b, 4), Duration::from_secs(8));
        assert_eq!(backoff(b, 11), Duration::from_secs(1024));
        assert_eq!(backoff(Duration::from_secs(600), 5), RETRY_DELAY_CAP);
    }

    #[test]
    fn bad_fields_are_named() {
        let mut m = Manifest {
            overlap: Some("sometimes".into()),
            ..Manifest::default()
        };
        assert!(parse(&m).unwrap_err().message.starts_with("overlap:"));
        m.overlap = None;
        m.nice = Some(40);
        assert!(parse(&m).unwrap_err().message.starts_with("nice:"));
        m.nice = None;
        m.memory_max = Some("lots".into());
        assert!(parse(&m).unwrap_err().message.starts_with("memory_max:"));
        m.memory_max = None;
        m.retries = Some(11);
        assert!(parse(&m).unwrap_err().message.starts_with("retries:"));
        m.retries = None;
        m.credentials.insert("../x".into(), "s".into());
        assert!(parse(&m).unwrap_err().message.starts_with("credentials."));
    }

    #[test]
    fn env_file_subset() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("env");
        std::fs::write(&f, "# c\n; c\n\nA=1\n B = two words \nC=\"q\"\nD='s'\nE=\n").unwrap();
        let env = read_env_file(&f).unwrap();
        assert_eq!(env["A"], "1");
        assert_eq!(env["B"], "two words");
        assert_eq!(env["C"], "q");
        assert_eq!(env["D"], "s");
        assert_eq!(env["E"], "");
        std::fs::write(&f, "A=1\nnope\n").unwrap();
        assert!(read_env_file(&f).unwrap_err().message.contains("line 2"));
    }
}
