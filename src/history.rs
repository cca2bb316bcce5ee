//! Run history beyond single records: retention (`keep_runs`) and the
//! cancel marker `piar stop` leaves for the waiting trigger.
//!
//! Retention: after each run `piar trigger` keeps the newest `keep_runs`
//! records of the job (default [`DEFAULT_KEEP_RUNS`]) and deletes older ones.
//! A record that is still `running`, or the run just recorded, is never
//! deleted, so the kept count can exceed `keep_runs` while runs overlap.
//!
//! Cancel marker: `piar stop` writes `<runs>/<job>/<run-id>.cancel` (holding
//! the reason) before it asks systemd to stop the run unit; the trigger (or
//! watcher) that waits for the unit finds the marker when the unit ends and
//! records the run as `canceled` with that `reason` instead of `failed`
//! (SIGTERM), then removes the marker.

use crate::error::{Error, Result};
use crate::record::{self, RunRecord, RunStatus};
use crate::state::layout::Paths;

/// Run records kept per job when the manifest sets no `keep_runs`.
pub const DEFAULT_KEEP_RUNS: u32 = 100;

/// Leave the cancel marker for one run (before stopping its unit).
pub fn mark_canceled(paths: &Paths, job: &str, run_id: &str) -> Result<()> {
    let dir = paths.runs_dir(job);
    crate::state::fs::ensure_dir(&dir)?;
    let path = crate::ops::trigger::run::cancel_marker(paths, job, run_id);
    std::fs::write(&path, b"stopped with `piar stop`")
        .map_err(|e| Error::io("cannot write", &path, e))
}

/// Every readable run record of `job`, oldest first by `started_at` (then
/// run id). Run ids sort by second only: two runs in one second may sort
/// either way by id, so ordering goes by the recorded start time.
pub fn chronological(paths: &Paths, job: &str) -> Vec<RunRecord> {
    let mut recs: Vec<(Option<jiff::Timestamp>, RunRecord)> = record::run_ids(paths, job)
        .iter()
        .filter_map(|id| record::load(&record::record_path(paths, job, id)).ok())
        .map(|r| (r.started_at.parse::<jiff::Timestamp>().ok(), r))
        .collect();
    recs.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.run_id.cmp(&b.1.run_id)));
    recs.into_iter().map(|(_, r)| r).collect()
}

/// Delete the oldest run records of `job` beyond `keep` (oldest by
/// [`chronological`]), never `current` nor a record still `running`
/// (unreadable records are neither counted nor deleted: one may be mid-write
/// by a piar of another version). A deleted record's artifact file (its
/// `artifact`: the `--output` file or the `.failed` note) is deleted too,
/// unless a kept record names the same path (a fixed `--output` path is
/// rewritten by every run). Returns the run ids deleted.
pub fn prune(paths: &Paths, job: &str, keep: u32, current: &str) -> Result<Vec<String>> {
    let recs = chronological(paths, job);
    let excess = recs.len().saturating_sub(keep as usize);
    let doomed = |rec: &RunRecord| rec.run_id != current && rec.status != RunStatus::Running;
    let kept_artifacts: std::collections::BTreeSet<&str> = recs
        .iter()
        .enumerate()
        .filter(|(i, rec)| *i >= excess || !doomed(rec))
        .filter_map(|(_, rec)| rec.artifact.as_deref())
        .collect();
    let mut deleted = Vec::new();
    for rec in recs.iter().take(excess) {
        if !doomed(rec) {
            continue;
        }
        if let Some(artifact) = rec.artifact.as_deref()
            && !kept_artifacts.contains(artifact)
        {
            if let Err(e) = std::fs::remove_file(artifact)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                log::warn!("cannot remove the artifact {artifact}: {e}");
            }
            // A failed run's kept stdout goes with its note.
            if artifact.ends_with(crate::model::output::FAILED_SUFFIX) {
                let _ = std::fs::remove_file(crate::ops::trigger::artifact::failed_stdout_path(
                    std::path::Path::new(artifact),
                ));
            }
        }
        let path = record::record_path(paths, job, &rec.run_id);
        match std::fs::remove_file(&path) {
            Ok(()) => deleted.push(rec.run_id.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("cannot remove", &path, e)),
        }
        let _ = std::fs::remove_file(crate::ops::trigger::run::cancel_marker(
            paths,
            job,
            &rec.run_id,
        ));
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::layout::Scope;

    fn test_paths(dir: &std::path::Path) -> Paths {
        Paths {
            scope: Scope::User,
            unit_dir: dir.join("units"),
            state_dir: dir.join("state"),
        }
    }

    fn rec(id: &str, status: RunStatus) -> RunRecord {
        RunRecord {
            version: record::VERSION,
            job: "j".into(),
            run_id: id.into(),
            unit: format!("piar-j.run-{id}.service"),
            status,
            command: vec!["/bin/true".into()],
            invocation_id: None,
            trigger_invocation_id: None,
            result: None,
            exit_code: None,
            signal: None,
            started_at: "2026-01-01T00:00:00Z".into(),
            finished_at: None,
            duration_ms: None,
            error: None,
            scheduled_for: None,
            artifact: None,
            attempt: None,
            retry_of: None,
            reason: None,
            trigger: None,
        }
    }

    #[test]
    fn prune_keeps_newest_running_and_current() {
        let dir = tempfile::tempdir().unwrap();
        let paths = test_paths(dir.path());
        let ids = [
            "20260101-000001-aaaa",
            "20260101-000002-aaaa",
            "20260101-000003-aaaa",
            "20260101-000004-aaaa",
            "20260101-000005-aaaa",
        ];
        for (i, id) in ids.iter().enumerate() {
            let status = if i == 1 {
                RunStatus::Running
            } else {
                RunStatus::Succeeded
            };
            record::save(&paths, &rec(id, status)).unwrap();
        }
        // keep 1: the newest stays; [1] is running, [2] is "current".
        let deleted = prune(&paths, "j", 1, ids[2]).unwrap();
        assert_eq!(deleted, vec![ids[0].to_string(), ids[3].to_string()]);
        assert_eq!(record::run_ids(&paths, "j"), vec![ids[1], ids[2], ids[4]]);
        assert!(prune(&paths, "j", 10, ids[4]).unwrap().is_empty());
    }

    #[test]
    fn prune_deletes_artifacts_no_kept_record_names() {
        let dir = tempfile::tempdir().unwrap();
        let paths = test_paths(dir.path());
        let art = |n: &str| dir.path().join(n).display().to_string();
        let cases = [
            ("20260101-000001-aaaa", art("day1.md")),
            ("20260101-000002-aaaa", art("latest.md")),
            ("20260101-000003-aaaa", art("latest.md")),
        ];
        for (id, path) in &cases {
            std::fs::write(path, id).unwrap();
            let mut r = rec(id, RunStatus::Succeeded);
            r.artifact = Some(path.clone());
            record::save(&paths, &r).unwrap();
        }
        let deleted = prune(&paths, "j", 1, cases[2].0).unwrap();
        assert_eq!(deleted, [cases[0].0, cases[1].0]);
        // day1.md belonged to a deleted run only; latest.md is still named
        // by the kept run, so it stays.
        assert!(!std::path::Path::new(&art("day1.md")).exists());
        assert!(std::path::Path::new(&art("latest.md")).exists());
    }

    #[test]
    fn prune_orders_by_start_time_not_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let paths = test_paths(dir.path());
        // Same second: the ids sort the other way round than the starts.
        for (id, at) in [
            ("20260101-000000-ffff", "2026-01-01T00:00:00.1Z"),
            ("20260101-000000-0000", "2026-01-01T00:00:00.9Z"),
        ] {
            let mut r = rec(id, RunStatus::Succeeded);
            r.started_at = at.into();
            record::save(&paths, &r).unwrap();
        }
        assert_eq!(
            prune(&paths, "j", 1, "none").unwrap(),
            vec!["20260101-000000-ffff"]
        );
        assert_eq!(chronological(&paths, "j")[0].run_id, "20260101-000000-0000");
    }
}
