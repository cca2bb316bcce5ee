//! Validation: raw [`Manifest`] -> [`Job`], and job-name rules.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use super::{Job, Manifest, VERSION};
use crate::error::{Error, Result};
use crate::schedule::Schedule;

#[cfg(test)]
mod tests;

/// Maximum job name length (the unit name `piar-<name>.run-<id>.service` must
/// stay well below systemd's 255-byte limit).
pub const NAME_MAX: usize = 63;

/// Longest name [`derive_name`] produces before a `-N` suffix, so suffixes up
/// to `-9999999` still fit in [`NAME_MAX`].
pub const DERIVED_NAME_MAX: usize = 56;

/// Maximum total size of `command`, in bytes, counting one terminating NUL per
/// argument as `execve(2)` does (128 KiB).
pub const COMMAND_MAX_BYTES: usize = 128 * 1024;

/// Maximum number of `env` entries.
pub const ENV_MAX: usize = 512;

/// Maximum `description` length, in characters.
pub const DESCRIPTION_MAX: usize = 512;

/// Maximum size of the `metadata` table serialized as TOML, in bytes (64 KiB).
pub const METADATA_MAX_BYTES: usize = 64 * 1024;

/// Names whose units piar itself ships (`units/piar-sync.*`, `units/piar-api.*`): a job of that
/// name would shadow them.
pub const RESERVED_NAMES: &[&str] = &["sync", "api"];

/// The name rule, as quoted in errors.
const NAME_RULE: &str = "[a-z0-9][a-z0-9_-]{0,62}";

/// Check a job name against `[a-z0-9][a-z0-9_-]{0,62}`. The error names the
/// rule and the first offending character (1-based position) or the length.
pub fn validate_name(name: &str) -> Result<()> {
    let hint = "use lowercase letters, digits, '-' and '_', starting with a letter or digit \
                (e.g. disk-report)";
    let fail = |problem: String| {
        Err(Error::invalid(format!(
            "invalid job name {name:?}: {problem}; names must match {NAME_RULE}"
        ))
        .with_hint(hint))
    };
    if name.is_empty() {
        return fail("it is empty".to_string());
    }
    for (i, c) in name.chars().enumerate() {
        let ok = c.is_ascii_lowercase() || c.is_ascii_digit() || (i > 0 && matches!(c, '-' | '_'));
        if !ok {
            let pos = i + 1;
            return if i == 0 && matches!(c, '-' | '_') {
                fail(format!("it starts with {c:?}"))
            } else {
                fail(format!("character {c:?} at position {pos} is not allowed"))
            };
        }
    }
    if RESERVED_NAMES.contains(&name) {
        return fail(format!(
            "it is reserved: piar ships its own piar-{name}.* units"
        ));
    }
    if name.len() > NAME_MAX {
        return fail(format!(
            "it is {} characters long, the maximum is {NAME_MAX}",
            name.len()
        ));
    }
    Ok(())
}

/// Derive a readable name from a command (basename of `argv[0]`, lowercased,
/// runs of other characters -> `-`, at most [`DERIVED_NAME_MAX`] characters,
/// `job` if nothing usable is left), unique among `taken` by appending `-2`,
/// `-3`, ... The result always passes [`validate_name`]; if every suffix up to
/// `-9999999` is taken, the last one is returned and creating it conflicts.
pub fn derive_name(command: &[String], taken: &dyn Fn(&str) -> bool) -> String {
    let program = command.first().map(String::as_str).unwrap_or("");
    let base = program
        .rsplit('/')
        .find(|s| !s.is_empty())
        .unwrap_or("")
        .to_lowercase();
    let mut name = String::with_capacity(base.len());
    for c in base.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let trim = |s: &str| s.trim_matches(['-', '_']).to_string();
    let mut name = trim(&name);
    if name.len() > DERIVED_NAME_MAX {
        // ASCII only at this point, so byte and char boundaries agree.
        name = trim(&name[..DERIVED_NAME_MAX]);
    }
    if name.is_empty() {
        name = "job".to_string();
    }
    if !taken(&name) && !RESERVED_NAMES.contains(&name.as_str()) {
        return name;
    }
    let mut candidate = name.clone();
    for n in 2..=9_999_999u32 {
        candidate = format!("{name}-{n}");
        if !taken(&candidate) {
            break;
        }
    }
    candidate
}

/// Validate every field; errors name the field (`version`, `name`, `command`,
/// `env.KEY`, `workdir`, `timeout`, `description`, `metadata`, `created`,
/// `updated`, `schedule.*`) and what was expected (exit 2). `now` is for
/// rejecting past `at` times (pass `None` when loading a stored manifest, where
/// a past one-shot is normal).
///
/// The schedule is checked last, so an error in a plain field is reported
/// without consulting the time zone database.
pub fn validate(manifest: Manifest, now: Option<jiff::Timestamp>) -> Result<Job> {
    let m = &manifest;
    if m.version != VERSION {
        let err = Error::invalid(format!(
            "version: this piar ({}) reads manifest version {VERSION}, found version {}",
            env!("CARGO_PKG_VERSION"),
            m.version
        ));
        return Err(if m.version > VERSION {
            err.with_hint("the manifest was written by a newer piar: upgrade piar")
        } else {
            err
        });
    }
    validate_name(&m.name).map_err(|e| e.context("name"))?;
    check_command(&m.command)?;
    check_env(m)?;
    let workdir = m.workdir.as_deref().map(check_workdir).transpose()?;
    let timeout = m
        .timeout
        .as_deref()
        .map(parse_timeout)
        .transpose()?
        .unwrap_or(Some(crate::model::policy::DEFAULT_TIMEOUT));
    crate::model::policy::validate(m)?;
    check_description(&m.description)?;
    check_metadata(&m.metadata)?;
    if let Some(cb) = &m.callback {
        crate::model::callback::validate(cb).map_err(|e| e.context("callback"))?;
    }
    crate::model::template::validate(m)?;
    for (field, value) in [("created", &m.created), ("updated", &m.updated)] {
        if let Some(text) = value {
            text.parse::<jiff::Timestamp>().map_err(|e| {
                Error::invalid(format!(
                    "{field}: expected an RFC 3339 time (2026-11-21T12:00:00Z), got {text:?}: {e}"
                ))
            })?;
        }
    }
    super::approval::validate_lifecycle(m)?;
    // Timestamp::MIN: every parsable `at` is after it, so a stored one-shot
    // whose time has passed still loads.
    let mut schedule = Schedule::from_spec(&m.schedule, now.unwrap_or(jiff::Timestamp::MIN))?;
    // An interval's slots are anchored one second before the job's creation
    // (schedule::every): `created` is rounded to the nearest second, so a slot at `created`
    // itself could still be ahead when submit starts the timer and would fire right after
    // the first run that submit starts directly (seen in the box).
    if let Schedule::Every { anchor, .. } = &mut schedule {
        *anchor = m
            .created
            .as_deref()
            .and_then(|c| c.parse::<jiff::Timestamp>().ok())
            .and_then(|c| c.checked_sub(jiff::SignedDuration::from_secs(1)).ok());
    }
    Ok(Job {
        manifest,
        schedule,
        timeout,
        workdir,
    })
}

/// `command`: a non-empty argv without NULs, program non-empty, bounded size.
fn check_command(command: &[String]) -> Result<()> {
    let Some(program) = command.first() else {
        return Err(Error::invalid(
            "command: expected a non-empty argv array, e.g. [\"df\", \"-h\", \"/\"]",
        ));
    };
    if program.is_empty() {
        return Err(Error::invalid(
            "command[0]: the program is empty; expected a program name or path",
        ));
    }
    if let Some(i) = command.iter().position(|a| a.contains('\0')) {
        return Err(Error::invalid(format!(
            "command[{i}]: contains a NUL byte, which cannot be passed to a program"
        )));
    }
    let total: usize = command.iter().map(|a| a.len() + 1).sum();
    if total > COMMAND_MAX_BYTES {
        return Err(Error::invalid(format!(
            "command: {total} bytes in total, at most {COMMAND_MAX_BYTES} are allowed"
        ))
        .with_hint("put long scripts in a file and run that file"));
    }
    Ok(())
}

/// `env`: at most [`ENV_MAX`] entries, POSIX-style names, no `PIAR_*`, no NULs.
fn check_env(m: &Manifest) -> Result<()> {
    if m.env.len() > ENV_MAX {
        return Err(Error::invalid(format!(
            "env: {} variables, at most {ENV_MAX} are allowed",
            m.env.len()
        )));
    }
    for (key, value) in &m.env {
        let mut chars = key.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(Error::invalid(format!(
                "env.{}: invalid variable name; expected [A-Za-z_][A-Za-z0-9_]*",
                key.escape_debug()
            )));
        }
        if key.starts_with("PIAR_") {
            return Err(Error::invalid(format!(
                "env.{key}: names starting with PIAR_ are reserved for piar"
            )));
        }
        if value.contains('\0') {
            return Err(Error::invalid(format!(
                "env.{key}: the value contains a NUL byte"
            )));
        }
    }
    Ok(())
}

/// `workdir`: absolute, no NUL, no `..`, shorter than `PATH_MAX` (4096 bytes
/// with its NUL, limits.h: chdir(2) fails with ENAMETOOLONG beyond it, so
/// every run would fail); returned without `.`, `//` or a trailing `/`.
fn check_workdir(text: &str) -> Result<PathBuf> {
    if text.contains('\0') {
        return Err(Error::invalid("workdir: contains a NUL byte"));
    }
    if text.len() >= libc::PATH_MAX as usize {
        return Err(Error::invalid(format!(
            "workdir: is {} bytes long; a directory path has at most {} bytes (PATH_MAX)",
            text.len(),
            libc::PATH_MAX - 1
        )));
    }
    let path = Path::new(text);
    if !path.is_absolute() {
        return Err(Error::invalid(format!(
            "workdir: expected an absolute path, got {text:?}"
        )));
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(Error::invalid(format!(
            "workdir: {text:?} contains a '..' component; write the normalized absolute path"
        )));
    }
    Ok(path.components().collect())
}

/// `timeout`: humantime; zero = no limit; else whole seconds, at least 1 s.
fn parse_timeout(text: &str) -> Result<Option<Duration>> {
    let d = humantime::parse_duration(text.trim()).map_err(|e| {
        Error::invalid(format!(
            "timeout: expected a duration like 30s, 10m or 2h (0 for no limit), got {text:?}: {e}"
        ))
    })?;
    if d.is_zero() {
        return Ok(None);
    }
    if d.subsec_nanos() != 0 {
        return Err(Error::invalid(format!(
            "timeout: {text:?} is not a whole number of seconds; expected at least 1s"
        )));
    }
    // systemd takes RuntimeMaxUSec in µs as a u64, where u64::MAX means "infinity".
    if d.as_micros() >= u128::from(u64::MAX) {
        return Err(Error::invalid(format!(
            "timeout: {text:?} is too long; use 0 for no limit"
        )));
    }
    Ok(Some(d))
}

/// `description`: at most [`DESCRIPTION_MAX`] characters, one unit-file line.
fn check_description(text: &str) -> Result<()> {
    let len = text.chars().count();
    if len > DESCRIPTION_MAX {
        return Err(Error::invalid(format!(
            "description: {len} characters, at most {DESCRIPTION_MAX} are allowed"
        )));
    }
    crate::model::limits::check_value("description", text)
}

/// `metadata`: at most [`METADATA_MAX_BYTES`] when serialized as TOML.
fn check_metadata(table: &toml::Table) -> Result<()> {
    if table.is_empty() {
        return Ok(());
    }
    let text = toml::to_string(table)
        .map_err(|e| Error::invalid(format!("metadata: cannot be written as TOML: {e}")))?;
    if text.len() > METADATA_MAX_BYTES {
        return Err(Error::invalid(format!(
            "metadata: {} bytes as TOML, at most {METADATA_MAX_BYTES} are allowed",
            text.len()
        )));
    }
    Ok(())
}
