//! Next elapse times, as systemd itself computes them, by asking
//! `systemd-analyze calendar --iterations=N` (systemd-analyze(1)).

use crate::error::Result;

/// The next `n` elapse times of the union of `specs` after `base` (default:
/// now), sorted, deduplicated. Errors: a spec systemd rejects (exit 2, naming
/// the spec), `systemd-analyze` missing (exit 1).
pub fn next_elapses(
    specs: &[String],
    n: usize,
    base: Option<jiff::Timestamp>,
) -> Result<Vec<jiff::Timestamp>> {
    todo!("{specs:?}{n}{base:?}")
}
