//! Job manifests: the TOML file that is the source of truth for one job
//! (`<state>/jobs/<name>.toml`), its validation into a [`Job`], and the
//! store (`crate::state::jobs`) that reads and writes them atomically under a lock.
//!
//! Format (version 1), see `piar.toml(5)`:
//!
//! ```toml
//! version = 1
//! name = "disk-report"
//! description = "df every 5 minutes"
//! command = ["df", "-h", "/"]
//! timeout = "10m"              # optional, humantime; absent = 6h, "0" = no limit
//! workdir = "/srv"             # optional, absolute
//! enabled = true
//! created = "2026-11-21T12:00:00Z"
//! updated = "2026-11-21T12:00:00Z"
//!
//! [schedule]
//! cron = "*/5 * * * *"
//! tz = "Europe/Berlin"
//!
//! [env]
//! LANG = "C.UTF-8"
//!
//! [metadata]                   # free table for the user or agent
//! owner = "ops"
//!
//! [callback]                   # optional, see crate::model::callback
//! url = "https://example.org/hook"
//! secret = "hook"
//!
//! [approval]                   # optional: submit --require-approval
//! state = "pending"            # pending | approved | rejected
//! ```
//!
//! Templated input and artifacts (see [`crate::model::template`]): `stdin`,
//! `template_args`, `output` and a `[vars]` table.

pub mod approval;
pub mod validate;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::schedule::{Schedule, ScheduleSpec};

/// The manifest format version this piar writes and reads.
pub const VERSION: u32 = 1;

/// A manifest as stored on disk (raw, serde). Unknown keys are rejected.
/// `Default` is an empty, invalid manifest: a base for struct literals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version; must be [`VERSION`].
    pub version: u32,
    /// Job name, `[a-z0-9][a-z0-9_-]{0,62}`.
    pub name: String,
    /// Free text shown in `list`/`show` and as the units' `Description=`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// argv: program and arguments, no shell (write `["sh", "-c", "..."]` for one).
    pub command: Vec<String>,
    /// When the job runs.
    pub schedule: ScheduleSpec,
    /// Run time limit, humantime (`30s`, `10m`, `2h`); absent =
    /// [`crate::model::policy::DEFAULT_TIMEOUT`], `0` = none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Working directory of the run (absolute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workdir: Option<String>,
    /// `false` while paused.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// When the job was first submitted (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When the manifest last changed (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// Environment variables of the run.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Free table kept for the user or agent; piar never interprets it.
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub metadata: toml::Table,
    /// Run only while the system clock is synchronised (NTP); otherwise the run is
    /// deferred and retried (see [`crate::ops::trigger::defer`]). Default `false`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_synced_clock: bool,
    /// Optional webhook sent when a run finishes (see [`crate::model::callback`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<crate::model::callback::CallbackSpec>,
    // -- Templated input and artifacts (see crate::model::template, crate::ops::trigger::artifact).
    /// The run's standard input: a minijinja template rendered per run
    /// (at most 64 KiB); absent = no input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// Render `command[1..]` as templates too (`command[0]` never is).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub template_args: bool,
    /// Path template of the file each run's stdout is saved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Template variables `vars.KEY` (`--var KEY=VALUE`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
    /// Approval gate (`submit --require-approval`); absent = no approval
    /// needed. Maintained by `piar approve`/`piar reject` (see [`approval`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<approval::Approval>,
    /// The `--idempotency-key` the job was submitted with: a later submit with
    /// the same key returns this job instead of creating another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// How many run records to keep (oldest pruned after each run); absent =
    /// [`crate::history::DEFAULT_KEEP_RUNS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_runs: Option<u32>,
    // --- run policy (issue 5): see crate::model::policy and piar.toml(5) "RUN POLICY" ---
    /// What a run does when the previous one is still active: `forbid`
    /// (default: skip), `allow` (run in parallel) or `replace` (stop it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap: Option<String>,
    /// Retries of a failed or timed-out run (0-10; absent = 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// Delay before the first retry, doubled for each further one
    /// (humantime, default 30s, each delay capped at 1h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_delay: Option<String>,
    /// `MemoryMax=` of the run: bytes with an optional K, M, G or T suffix (base 1024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_max: Option<String>,
    /// CPU quota in percent of one CPU (`50%`; above 100% for several CPUs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_quota: Option<String>,
    /// Nice level of the run, -20..=19.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nice: Option<i32>,
    /// Run as this user (`User=`; system scope only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as: Option<String>,
    /// `strict` for the sandbox described in piar.toml(5); absent or `none` = no sandbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<String>,
    /// Credentials of the run: file name under `$CREDENTIALS_DIRECTORY` ->
    /// name of a piar secret (`piar secret set`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub credentials: BTreeMap<String, String>,
}

fn default_true() -> bool {
    true
}

impl Default for Manifest {
    /// An empty manifest of the current [`VERSION`]: no name, no command, no
    /// schedule, enabled. For building manifests field by field
    /// (`Manifest { name, command, ..Default::default() }`); it does not
    /// validate as is.
    fn default() -> Self {
        toml::from_str::<Manifest>(&format!(
            "version = {VERSION}\nname = \"\"\ncommand = []\n[schedule]\n"
        ))
        .unwrap_or_else(|e| unreachable!("the empty manifest parses: {e}"))
    }
}

/// A validated job, built from a [`Manifest`] by [`validate::validate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The manifest it came from (kept verbatim for saving back).
    pub manifest: Manifest,
    /// The validated schedule.
    pub schedule: Schedule,
    /// Run time limit; `None` = no limit.
    pub timeout: Option<Duration>,
    /// Working directory, absolute.
    pub workdir: Option<PathBuf>,
}

impl Job {
    /// The job's name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }
}
