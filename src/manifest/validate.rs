//! Validation: raw [`Manifest`] -> [`Job`], and job-name rules.

use super::{Job, Manifest};
use crate::error::Result;

/// Maximum job name length (the unit name `piar-<name>-run-<id>.service` must
/// stay well below systemd's 255-byte limit).
pub const NAME_MAX: usize = 63;

/// Check a job name against `[a-z0-9][a-z0-9_-]{0,62}`. The error names the
/// rule and the first offending character.
pub fn validate_name(name: &str) -> Result<()> {
    todo!("{name}")
}

/// Derive a readable name from a command (basename of argv[0], lowercased,
/// other characters -> `-`), unique among `taken` by appending `-2`, `-3`, ...
pub fn derive_name(command: &[String], taken: &dyn Fn(&str) -> bool) -> String {
    todo!("{command:?}{}", taken("x"))
}

/// Validate every field; errors name the field (`command`, `env.KEY`,
/// `workdir`, `timeout`, `schedule.*`) and what was expected. `now` is for
/// rejecting past `at` times (pass `None` when loading a stored manifest, where
/// a past one-shot is normal).
pub fn validate(manifest: Manifest, now: Option<jiff::Timestamp>) -> Result<Job> {
    todo!("{manifest:?}{now:?}")
}
