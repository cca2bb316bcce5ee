//! The durable outbox: one JSON file per delivery at `<state>/outbox/<id>.json`.
//!
//! A delivery is written here before its first attempt and rewritten after
//! every attempt, so a crash or reboot at any point loses nothing: a
//! `pending` entry with no retry timer is re-armed by [`super::rearm_all`].
//! Entries are kept after they end (`delivered`, `gone`, `dead`) so
//! `piar callbacks` can show them.

use std::fs;
use std::io::ErrorKind;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::manifest::store::write_atomic;
use crate::paths::Paths;

/// Outbox entry format version.
pub const VERSION: u32 = 1;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Not delivered yet; another attempt is due at `next_attempt_at`.
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// The receiver answered 410 Gone: no more attempts.
    Gone,
    /// Every attempt failed: dead letter (`piar callbacks retry` redelivers).
    Dead,
}

impl State {
    /// `pending`, `delivered`, `gone`, `dead`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Delivered => "delivered",
            State::Gone => "gone",
            State::Dead => "dead",
        }
    }
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// When it started (RFC 3339, UTC).
    pub at: String,
    /// HTTP status, if a response arrived.
    pub status: Option<u16>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
}

/// One callback delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// The `webhook-id`: `piar-<job>-<run-id>-<event>`, identical on every attempt.
    pub id: String,
    /// Job name.
    pub job: String,
    /// Run id.
    pub run_id: String,
    /// Event type (`job.completed`, ...).
    pub event: String,
    /// Target URL.
    pub url: String,
    /// Name of the signing secret (never its value).
    pub secret: Option<String>,
    /// `pi-agent-runner` for the compat headers.
    pub compat: Option<String>,
    /// The exact body sent on every attempt.
    pub body: String,
    /// Attempts allowed in total.
    pub max_attempts: u32,
    /// Total timeout of one attempt, in milliseconds.
    pub timeout_ms: u64,
    /// Where it stands.
    pub state: State,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// When the next attempt is due (RFC 3339, UTC), while pending.
    pub next_attempt_at: Option<String>,
    /// Attempts so far, oldest first.
    pub attempts: Vec<Attempt>,
}

/// `<state>/outbox`.
pub fn dir(paths: &Paths) -> PathBuf {
    paths.state_dir.join("outbox")
}

/// Check a delivery id given on the command line: `[a-z0-9_.-]{1,200}`.
pub fn validate_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 200
        && !id.starts_with('.')
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "delivery id {id:?}: expected the id shown by `piar callbacks`"
        )))
    }
}

fn path(paths: &Paths, id: &str) -> PathBuf {
    dir(paths).join(format!("{id}.json"))
}

/// Write an entry atomically (0600: the body may carry job output).
pub fn save(paths: &Paths, d: &Delivery) -> Result<()> {
    let dir = dir(paths);
    crate::paths::ensure_dir(&dir)?;
    let mut text = serde_json::to_vec_pretty(d)
        .map_err(|e| Error::failed(format!("cannot encode outbox entry: {e}")))?;
    text.push(b'\n');
    write_atomic(&path(paths, &d.id), &text, 0o600)
}

/// Load one entry. Errors: not found (exit 3), corrupt (exit 1).
pub fn load(paths: &Paths, id: &str) -> Result<Delivery> {
    validate_id(id)?;
    let p = path(paths, id);
    let text = match fs::read(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(Error::not_found(format!("no callback delivery {id:?}"))
                .with_hint("`piar callbacks` lists the deliveries"));
        }
        Err(e) => return Err(Error::io("cannot read", &p, e)),
    };
    serde_json::from_slice(&text)
        .map_err(|e| Error::failed(format!("outbox entry {} is corrupt: {e}", p.display())))
}

/// Every entry, oldest first (by creation time, then id); unreadable ones are skipped.
pub fn load_all(paths: &Paths) -> Result<Vec<Delivery>> {
    let d = dir(paths);
    let entries = match fs::read_dir(&d) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("cannot read directory", &d, e)),
    };
    let mut all: Vec<Delivery> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
        .filter_map(|id| load(paths, &id).ok())
        .collect();
    all.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    Ok(all)
}

/// Take the per-delivery lock (`<state>/outbox/<id>.lock`, flock(2)), so
/// two processes never attempt the same delivery at once.
pub fn lock(paths: &Paths, id: &str) -> Result<fs::File> {
    let d = dir(paths);
    crate::paths::ensure_dir(&d)?;
    let p = d.join(format!("{id}.lock"));
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .map_err(|e| Error::io("cannot open", &p, e))?;
    f.lock().map_err(|e| Error::io("cannot lock", &p, e))?;
    Ok(f)
}
