//! The `[callback]` table of a job manifest and its validation.
//!
//! ```toml
//! [callback]
//! url = "https://example.org/hooks/piar"
//! secret = "hook"            # name of a secret from `piar secret set`
//! on = "always"              # "success" | "failure" | "always" (default)
//! compat = "pi-agent-runner" # optional: also send that project's headers
//! attempts = 8               # optional: delivery attempts, 1..=20 (default 8)
//! timeout = "30s"            # optional: per-attempt total timeout (default 30s)
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Default number of delivery attempts.
pub const DEFAULT_ATTEMPTS: u32 = 8;
/// Most delivery attempts allowed.
pub const MAX_ATTEMPTS: u32 = 20;
/// Default total timeout of one attempt (connect, send, response).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Connect timeout of one attempt.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which finished runs send a callback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum On {
    /// Only succeeded runs (`job.completed`).
    Success,
    /// Failed and timed-out runs (`job.failed`, `job.timed_out`).
    Failure,
    /// Every finished run, skipped ones included.
    #[default]
    Always,
}

impl On {
    /// Parse `success`, `failure` or `always`.
    pub fn parse(text: &str) -> Result<On> {
        match text {
            "success" => Ok(On::Success),
            "failure" => Ok(On::Failure),
            "always" => Ok(On::Always),
            _ => Err(Error::invalid(format!(
                "on: expected success, failure or always, got {text:?}"
            ))),
        }
    }
}

/// The only compat mode: pi-agent-runner's `X-Runner-*` headers and body fields.
pub const COMPAT_PI_AGENT_RUNNER: &str = "pi-agent-runner";

/// `[callback]` as stored in the manifest. Unknown keys are rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackSpec {
    /// Where to POST: an `http://` or `https://` URL.
    pub url: String,
    /// Name of the signing secret (`piar secret set NAME`); absent = unsigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Which runs send a callback (default `always`).
    #[serde(default)]
    pub on: On,
    /// `pi-agent-runner`: also send that project's headers and body fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compat: Option<String>,
    /// Delivery attempts before dead-lettering, 1..=20 (default 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// Total timeout of one attempt, humantime (default 30s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}

impl CallbackSpec {
    /// Attempts, with the default applied.
    pub fn attempts(&self) -> u32 {
        self.attempts.unwrap_or(DEFAULT_ATTEMPTS)
    }

    /// Per-attempt timeout, with the default applied (validated earlier).
    pub fn timeout(&self) -> Duration {
        self.timeout
            .as_deref()
            .and_then(|t| humantime::parse_duration(t).ok())
            .unwrap_or(DEFAULT_TIMEOUT)
    }
}

/// Validate a `[callback]` table; errors (exit 2) name the field.
pub fn validate(spec: &CallbackSpec) -> Result<()> {
    let url = spec.url.as_str();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| {
            Error::invalid(format!(
                "url: expected an http:// or https:// URL, got {url:?}"
            ))
        })?;
    if rest.is_empty()
        || rest.starts_with('/')
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::invalid(format!(
            "url: {url:?} has no host or contains spaces"
        )));
    }
    if let Some(name) = &spec.secret {
        crate::model::limits::validate_secret_name(name).map_err(|e| e.context("secret"))?;
    }
    if let Some(c) = &spec.compat
        && c != COMPAT_PI_AGENT_RUNNER
    {
        return Err(Error::invalid(format!(
            "compat: the only mode is {COMPAT_PI_AGENT_RUNNER:?}, got {c:?}"
        )));
    }
    if let Some(n) = spec.attempts
        && !(1..=MAX_ATTEMPTS).contains(&n)
    {
        return Err(Error::invalid(format!(
            "attempts: expected 1..={MAX_ATTEMPTS}, got {n}"
        )));
    }
    if let Some(t) = &spec.timeout {
        match humantime::parse_duration(t) {
            Ok(d) if d >= Duration::from_secs(1) && d <= Duration::from_secs(600) => {}
            _ => {
                return Err(Error::invalid(format!(
                    "timeout: expected a duration from 1s to 10m (like 30s), got {t:?}"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(url: &str) -> CallbackSpec {
        CallbackSpec {
            url: url.into(),
            secret: Some("hook".into()),
            on: On::Always,
            compat: None,
            attempts: None,
            timeout: None,
        }
    }

    #[test]
    fn validation_names_fields() {
        validate(&spec("http://127.0.0.1:8080/x")).unwrap();
        validate(&spec("https://example.org")).unwrap();
        let e = validate(&spec("ftp://x")).unwrap_err();
        assert!(e.message.starts_with("url:"), "{}", e.message);
        assert!(validate(&spec("http://")).is_err());
        let mut s = spec("http://x");
        s.compat = Some("other".into());
        assert!(validate(&s).unwrap_err().message.starts_with("compat:"));
        let mut s = spec("http://x");
        s.attempts = Some(0);
        assert!(validate(&s).unwrap_err().message.starts_with("attempts:"));
        let mut s = spec("http://x");
        s.secret = Some("A B".into());
        assert!(validate(&s).unwrap_err().message.starts_with("secret:"));
        let mut s = spec("http://x");
        s.timeout = Some("1h".into());
        assert!(validate(&s).unwrap_err().message.starts_with("timeout:"));
    }
}
