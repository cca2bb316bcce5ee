//! The durable outbox: one JSON file per delivery at `<state>/outbox/<id>.json`.
//!
//! A delivery is written here before its first attempt and rewritten after
//! every attempt, so a crash or reboot at any point loses nothing: a
//! `pending` entry with no retry timer is re-armed by [`super::rearm_all`].
//! Entries are kept after they end (`delivered`, `gone`, `dead`) so
//! `piar callbacks` can show them, then pruned by [`prune`]: delivered ones
//! [`KEEP_DELIVERED`] after their last attempt, gone and dead ones
//! [`KEEP_FAILED`] after it. Pending entries are never pruned.

use std::fs;
use std::io::ErrorKind;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::state::fs::write_atomic;
use crate::state::layout::Paths;

/// Outbox entry format version.
pub const VERSION: u32 = 1;

/// How long a delivered entry stays in the outbox: 7 days.
pub const KEEP_DELIVERED: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);

/// How long a dead or gone entry (a dead letter) stays: 30 days, time to
/// notice it (`piar doctor`, `piar callbacks --failed`) and retry it.
pub const KEEP_FAILED: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);

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
    crate::state::fs::ensure_dir(&dir)?;
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

/// Remove ended entries older than their retention ([`KEEP_DELIVERED`],
/// [`KEEP_FAILED`]) as of `now`, measured from the last attempt (or the
/// creation when there was none). Returns the ids removed. An entry whose
/// lock another process holds is left for the next prune.
pub fn prune(paths: &Paths, now: jiff::Timestamp) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    for d in load_all(paths)? {
        let keep = match d.state {
            State::Pending => continue,
            State::Delivered => KEEP_DELIVERED,
            State::Gone | State::Dead => KEEP_FAILED,
        };
        let last = d
            .attempts
            .last()
            .map(|a| a.at.as_str())
            .unwrap_or(d.created_at.as_str());
        let Ok(last) = last.parse::<jiff::Timestamp>() else {
            continue;
        };
        let age = now.as_second().saturating_sub(last.as_second());
        if age < keep.as_secs() as i64 {
            continue;
        }
        let lock_path = dir(paths).join(format!("{}.lock", d.id));
        let Ok(f) = fs::OpenOptions::new().write(true).open(&lock_path) else {
            // No lock file: nobody is attempting it.
            remove_entry(paths, &d.id)?;
            removed.push(d.id);
            continue;
        };
        if f.try_lock().is_err() {
            continue;
        }
        remove_entry(paths, &d.id)?;
        let _ = fs::remove_file(&lock_path);
        removed.push(d.id);
    }
    Ok(removed)
}

fn remove_entry(paths: &Paths, id: &str) -> Result<()> {
    crate::durable::remove_file(&path(paths, id))
}

/// Take the per-delivery lock (`<state>/outbox/<id>.lock`, flock(2)), so
/// two processes never attempt the same delivery at once.
pub fn lock(paths: &Paths, id: &str) -> Result<fs::File> {
    let d = dir(paths);
    crate::state::fs::ensure_dir(&d)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(dir: &std::path::Path) -> Paths {
        Paths {
            scope: crate::state::layout::Scope::User,
            unit_dir: dir.join("units"),
            state_dir: dir.join("state"),
        }
    }

    fn entry(id: &str, state: State, last_attempt: Option<&str>) -> Delivery {
        Delivery {
            version: VERSION,
            id: id.into(),
            job: "j".into(),
            run_id: "20261101-000000-abcd".into(),
            event: "job.completed".into(),
            url: "http://127.0.0.1:9/".into(),
            secret: None,
            compat: None,
            body: "{}".into(),
            max_attempts: 8,
            timeout_ms: 1000,
            state,
            created_at: "2026-11-01T00:00:00Z".into(),
            next_attempt_at: None,
            attempts: last_attempt
                .map(|at| Attempt {
                    at: at.into(),
                    status: Some(200),
                    error: None,
                    duration_ms: 1,
                })
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn prune_removes_only_ended_entries_past_their_retention() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        let now: jiff::Timestamp = "2026-11-21T00:00:00Z".parse().unwrap();
        // 20 days ago: past 7 days (delivered), within 30 days (dead, gone).
        let old = Some("2026-11-01T00:00:00Z");
        let recent = Some("2026-11-20T00:00:00Z");
        for d in [
            entry("delivered-old", State::Delivered, old),
            entry("delivered-new", State::Delivered, recent),
            entry("dead-20d", State::Dead, old),
            entry("gone-20d", State::Gone, old),
            entry("pending-old", State::Pending, None),
        ] {
            save(&p, &d).unwrap();
        }
        let held = lock(&p, "delivered-new").unwrap();
        assert_eq!(prune(&p, now).unwrap(), ["delivered-old"]);
        assert_eq!(load_all(&p).unwrap().len(), 4);
        // 40 days later every ended entry is past its retention, but one
        // whose lock is held (an attempt in progress) is left alone.
        let later: jiff::Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(prune(&p, later).unwrap(), ["dead-20d", "gone-20d"]);
        drop(held);
        assert_eq!(prune(&p, later).unwrap(), ["delivered-new"]);
        let left: Vec<String> = load_all(&p).unwrap().into_iter().map(|d| d.id).collect();
        assert_eq!(left, ["pending-old"]);
        assert!(!super::dir(&p).join("delivered-new.lock").exists());
    }
}
