//! The overlap policy's decision for a new run, given the job's runs that
//! are still active: pure, so every case is a unit test.
//!
//! `forbid` and `replace` are the Kubernetes CronJob `concurrencyPolicy`
//! values `Forbid` and `Replace`; `allow` is `Allow`.

use crate::model::policy::Overlap;
use crate::units::names::UnitName;

/// What `piar trigger` does with a new run.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision<'a> {
    /// Start it.
    Start,
    /// Record it `skipped`: `active` is still running (overlap `forbid`).
    Skip {
        /// The first active run unit, named in the record's error.
        active: &'a UnitName,
    },
    /// Stop these active runs (recorded `canceled`), then start it (`replace`).
    ReplaceThenStart(&'a [UnitName]),
}

/// Decide for `overlap` with the job's active run units `active` (from
/// `crate::units::names::Family::runs`).
pub fn decide(overlap: Overlap, active: &[UnitName]) -> Decision<'_> {
    match (overlap, active.first()) {
        (_, None) | (Overlap::Allow, _) => Decision::Start,
        (Overlap::Forbid, Some(first)) => Decision::Skip { active: first },
        (Overlap::Replace, Some(_)) => Decision::ReplaceThenStart(active),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::names;

    fn runs(ids: &[&str]) -> Vec<UnitName> {
        ids.iter()
            .map(|id| names::parse(&names::run("j", id)).unwrap())
            .collect()
    }

    #[test]
    fn nothing_active_always_starts() {
        for overlap in [Overlap::Forbid, Overlap::Allow, Overlap::Replace] {
            assert_eq!(decide(overlap, &[]), Decision::Start, "{overlap:?}");
        }
    }

    #[test]
    fn forbid_skips_naming_the_first_active_run() {
        let active = runs(&["20260101-000000-aaaa", "20260101-000001-bbbb"]);
        assert_eq!(
            decide(Overlap::Forbid, &active),
            Decision::Skip { active: &active[0] }
        );
    }

    #[test]
    fn allow_starts_and_replace_stops_every_active_run() {
        let active = runs(&["20260101-000000-aaaa", "20260101-000001-bbbb"]);
        assert_eq!(decide(Overlap::Allow, &active), Decision::Start);
        assert_eq!(
            decide(Overlap::Replace, &active),
            Decision::ReplaceThenStart(&active[..])
        );
    }
}
