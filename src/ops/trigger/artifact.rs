//! Artifacts: a run's stdout saved to the file named by the job's `output`
//! path template, and the failure note `<path>.failed` when a run fails.
//!
//! How: the run unit gets `StandardOutputFileToTruncate=` (systemd >= 248,
//! the D-Bus form of `StandardOutput=truncate:PATH`) pointing at a hidden
//! capture file `.<name>.piar-<run-id>.part` in the artifact's directory, and
//! `StandardError=journal`, so stderr stays in the journal. When the run
//! ends, `piar trigger` cuts the capture at [`ARTIFACT_MAX`] bytes (appending
//! a marker line), fsyncs it and renames it over the artifact: readers see
//! the old file or the complete new one, never a partial one. A run that did
//! not succeed leaves the previous artifact alone, keeps its capture (capped
//! the same way) as `<path>.failed.stdout`, and writes `<path>.failed`
//! (atomically) with its status, result, exit code or signal, error and the
//! last 4 KiB of its stderr; a successful run removes a stale `<path>.failed`
//! and `<path>.failed.stdout`.
//!
//! Paths: the rendered template must be non-empty, without NUL or control
//! characters, without `..` components and not end in `/`. Relative paths
//! are resolved against `<state>/artifacts/` (`/var/lib/piar/artifacts`,
//! `~/.local/state/piar/artifacts`), not the workdir, so one job's files
//! land in one predictable place whatever its workdir. Missing directories
//! are created (0755).
//!
//! The cap holds while the run writes, too: [`Capper`] checks the capture
//! file every [`CAP_EVERY`] and cuts it back to [`ARTIFACT_MAX`] bytes
//! (`ftruncate`); the command keeps writing at its own offset, which only
//! makes the file sparse, so disk use stays within the cap plus what one
//! interval lets through. The run itself is not disturbed. At the end the
//! saved file is cut at the cap with a marker line naming how much the run
//! wrote (at least).

use std::io::Write;
use std::path::PathBuf;

use zbus::zvariant::Value;

use crate::error::{Error, Result};
use crate::model::output::{RunInput, Target};
use crate::record::{OutputTail, RunRecord, RunStatus};
use crate::state::layout::{Paths, Scope};

/// Largest artifact, in bytes (16 MiB); longer output is cut there and a
/// marker line appended.
pub const ARTIFACT_MAX: u64 = 16 * 1024 * 1024;

/// How often [`Capper`] checks the capture file of a running run.
pub const CAP_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Keeps a running run's capture file within [`ARTIFACT_MAX`] (module doc):
/// a thread that lives until [`Capper::finish`].
pub struct Capper {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl Capper {
    /// Start watching `capture` (it may not exist yet).
    pub fn start(capture: PathBuf) -> Capper {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("piar-output-cap".into())
            .spawn(move || {
                let mut seen = 0u64;
                while !flag.load(Ordering::Relaxed) {
                    seen = seen.max(cap_once(&capture));
                    std::thread::sleep(CAP_EVERY);
                }
                seen.max(cap_once(&capture))
            })
            .ok();
        Capper { stop, thread }
    }

    /// Stop watching; returns the largest size the capture file had (the
    /// bytes the run wrote, at least), 0 if unknown.
    pub fn finish(mut self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().and_then(|t| t.join().ok()).unwrap_or(0)
    }
}

/// One check: if `capture` is over [`ARTIFACT_MAX`] + 1 bytes, cut it to
/// that (one byte over, so the end of the run still sees it was cut).
/// Returns the size seen.
fn cap_once(capture: &std::path::Path) -> u64 {
    let Ok(meta) = std::fs::metadata(capture) else {
        return 0;
    };
    let len = meta.len();
    if len > ARTIFACT_MAX + 1
        && let Ok(f) = std::fs::OpenOptions::new().write(true).open(capture)
        && let Err(e) = f.set_len(ARTIFACT_MAX + 1)
    {
        log::warn!("cannot cut {}: {e}", capture.display());
    }
    len
}

/// The run unit's stdio properties for `input` (org.freedesktop.systemd1(5),
/// systemd.exec(5)): `StandardInput=data` + `StandardInputData=` (bytes) when
/// there is templated input; `StandardOutputFileToTruncate=` +
/// `StandardError=journal` when there is an artifact. Creates the artifact's
/// directory. Errors: the directory cannot be created.
pub fn properties(input: &RunInput) -> Result<Vec<(&'static str, Value<'static>)>> {
    let mut props: Vec<(&'static str, Value<'static>)> = Vec::new();
    // Empty input is what the default (/dev/null) gives anyway.
    if let Some(data) = input.stdin.as_ref().filter(|d| !d.is_empty()) {
        props.push(("StandardInput", Value::from("data")));
        props.push(("StandardInputData", Value::from(data.clone())));
    }
    if let Some(t) = &input.output {
        if let Some(dir) = t.capture.parent() {
            crate::state::fs::ensure_dir(dir)?;
        }
        props.push((
            "StandardOutputFileToTruncate",
            Value::from(t.capture.to_string_lossy().into_owned()),
        ));
        props.push(("StandardError", Value::from("journal")));
    }
    Ok(props)
}

/// After the run: save the artifact (or the failure note) and set
/// `rec.artifact` to the file written. Problems are logged and put in
/// `rec.error` when it is empty; they never lose the run record.
pub fn finish(scope: Scope, input: &RunInput, rec: &mut RunRecord) {
    if let Some(t) = &input.output {
        finish_target(scope, t, rec, 0);
    }
}

/// `<runs>/<job>/<run-id>.output.json`: a detached run's artifact target,
/// for its watcher (a separate process) to save the artifact.
fn target_file(paths: &Paths, job: &str, run_id: &str) -> PathBuf {
    paths.runs_dir(job).join(format!("{run_id}.output.json"))
}

/// Write the sidecar file with `t` for the watcher of a detached run.
pub fn save_target(paths: &Paths, job: &str, run_id: &str, t: &Target) -> Result<()> {
    let dir = paths.runs_dir(job);
    crate::state::fs::ensure_dir(&dir)?;
    let text = serde_json::to_vec(t).map_err(|e| {
        crate::error::Error::failed(format!("cannot encode the output target: {e}"))
    })?;
    crate::state::fs::write_atomic(&target_file(paths, job, run_id), &text, 0o600)
}

/// Read and remove the sidecar file written by [`save_target`], if any.
pub fn take_target(paths: &Paths, job: &str, run_id: &str) -> Option<Target> {
    let path = target_file(paths, job, run_id);
    let text = std::fs::read(&path).ok()?;
    let _ = std::fs::remove_file(&path);
    serde_json::from_slice(&text).ok()
}

/// [`finish`] for one target. `written`: the most bytes the capture file
/// was seen to hold while the run wrote ([`Capper::finish`]; 0 unknown).
pub fn finish_target(scope: Scope, t: &Target, rec: &mut RunRecord, written: u64) {
    // fail_on_empty_output: a run that "succeeded" without writing anything failed.
    if rec.status == RunStatus::Succeeded
        && t.fail_if_empty
        && std::fs::metadata(&t.capture).map_or(0, |m| m.len()) == 0
    {
        rec.status = RunStatus::Failed;
        rec.error = Some(
            "empty output: the run wrote nothing to stdout (fail_on_empty_output)".to_string(),
        );
    }
    let result = if rec.status == RunStatus::Succeeded {
        save(t, &t.dest, written).map(|()| t.dest.clone())
    } else {
        // The failed run's stdout is kept beside the note, never lost.
        if t.capture.exists()
            && let Err(e) = save(t, &failed_stdout_path(&t.failed_path()), written)
        {
            log::warn!(
                "{}: run {}: cannot keep its stdout: {e}",
                rec.job,
                rec.run_id
            );
        }
        let _ = std::fs::remove_file(&t.capture);
        if scope == Scope::System {
            // The run's last stderr lines may still be in journald's stream
            // buffer: ask it to write everything out first (needs root).
            let _ = std::process::Command::new("journalctl")
                .arg("--sync")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
        let tail = crate::systemd::journal::output_tail(scope, &rec.run_id, &rec.unit);
        let note = failure_note(rec, tail.as_deref());
        let path = t.failed_path();
        crate::state::fs::write_atomic(&path, note.as_bytes(), 0o644).map(|()| path)
    };
    match result {
        Ok(path) => rec.artifact = Some(path.to_string_lossy().into_owned()),
        Err(e) => {
            log::error!("{}: run {}: artifact: {e}", rec.job, rec.run_id);
            let _ = std::fs::remove_file(&t.capture);
            if rec.error.is_none() {
                rec.error = Some(format!("artifact: {}", e.message));
            }
        }
    }
}

/// `<path>.failed.stdout`: where a failed run's captured stdout is kept,
/// next to its failure note `failed` (`<path>.failed`).
pub fn failed_stdout_path(failed: &std::path::Path) -> PathBuf {
    let mut p = failed.as_os_str().to_owned();
    p.push(".stdout");
    PathBuf::from(p)
}

/// The output tails of a finished run for `Run.output.tail`:
/// - with an artifact: `stdout` from the artifact (a succeeded run) or from
///   `<path>.failed.stdout` (a failed one), and `stderr` from the journal;
/// - without: one `stdout+stderr` tail from the journal (both streams go
///   to the journal through one connection there and cannot be told apart).
///
/// Each at most [`crate::systemd::journal::OUTPUT_TAIL_BYTES`], cut at a
/// line start; streams with nothing are left out.
pub fn output_tails(scope: Scope, rec: &RunRecord) -> Vec<OutputTail> {
    let journal = crate::systemd::journal::output_tail(scope, &rec.run_id, &rec.unit);
    let mut tails = Vec::new();
    let Some(artifact) = rec.artifact.as_deref() else {
        tails.extend(journal.map(|text| OutputTail {
            stream: "stdout+stderr".into(),
            text,
        }));
        return tails;
    };
    let stdout = match rec.status {
        RunStatus::Succeeded => PathBuf::from(artifact),
        _ => failed_stdout_path(std::path::Path::new(artifact)),
    };
    if let Some(text) = file_tail(&stdout, crate::systemd::journal::OUTPUT_TAIL_BYTES) {
        tails.push(OutputTail {
            stream: "stdout".into(),
            text,
        });
    }
    tails.extend(journal.map(|text| OutputTail {
        stream: "stderr".into(),
        text,
    }));
    tails
}

/// The last `max` bytes of a file (lossy UTF-8, from a line start when
/// one is in reach); `None` if unreadable or empty.
fn file_tail(path: &std::path::Path, max: usize) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let start = len.saturating_sub(max as u64);
    f.seek(SeekFrom::Start(start)).ok()?;
    let mut buf = Vec::new();
    f.take(max as u64).read_to_end(&mut buf).ok()?;
    if buf.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    if start == 0 {
        return Some(text);
    }
    match text.find('\n') {
        Some(i) if i + 1 < text.len() => Some(text[i + 1..].to_string()),
        _ => Some(text),
    }
}

/// Cap, fsync and rename the capture to `dest` (the artifact, or a failed
/// run's `<path>.failed.stdout`); after an artifact, drop a stale note and
/// its stdout.
fn save(t: &Target, dest: &std::path::Path, written: u64) -> Result<()> {
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(&t.capture)
        .map_err(|e| Error::io("cannot open the captured output", &t.capture, e))?;
    let len = file
        .metadata()
        .map_err(|e| Error::io("cannot stat", &t.capture, e))?
        .len();
    if len > ARTIFACT_MAX {
        file.set_len(ARTIFACT_MAX)
            .map_err(|e| Error::io("cannot truncate", &t.capture, e))?;
        let mut f = &file;
        let wrote = len.max(written);
        let at_least = if written > len || len == ARTIFACT_MAX + 1 {
            "at least "
        } else {
            ""
        };
        writeln!(
            f,
            "\n[piar: output truncated at {ARTIFACT_MAX} bytes; the run wrote {at_least}{wrote} bytes]"
        )
        .map_err(|e| Error::io("cannot write", &t.capture, e))?;
    }
    file.sync_all()
        .map_err(|e| Error::io("cannot fsync", &t.capture, e))?;
    drop(file);
    std::fs::rename(&t.capture, dest)
        .map_err(|e| Error::io("cannot move the output into place at", dest, e))?;
    if let Some(dir) = dest.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    if dest == t.dest {
        let _ = std::fs::remove_file(t.failed_path());
        let _ = std::fs::remove_file(failed_stdout_path(&t.failed_path()));
    }
    Ok(())
}

/// The text of `<path>.failed`.
fn failure_note(rec: &RunRecord, stderr_tail: Option<&str>) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
    let mut s = format!(
        "piar: run {} of job {} did not succeed\n\
         status: {}\nresult: {}\nexit_code: {}\nsignal: {}\nerror: {}\n\
         started_at: {}\nfinished_at: {}\n",
        rec.run_id,
        rec.job,
        rec.status.as_str(),
        opt(rec.result.clone()),
        opt(rec.exit_code.map(|c| c.to_string())),
        opt(rec.signal.clone()),
        opt(rec.error.clone()),
        rec.started_at,
        opt(rec.finished_at.clone()),
    );
    s.push_str(&format!(
        "--- stderr (last {} bytes) ---\n",
        crate::ops::callback::payload::OUTPUT_TAIL_BYTES
    ));
    s.push_str(stderr_tail.unwrap_or("(nothing in the journal)\n"));
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::output::check_rendered;

    #[test]
    fn rendered_paths_are_checked() {
        for ok in ["brief.md", "a/b/2026-01-01.md", "/srv/out/x.txt", "./x"] {
            check_rendered(ok).unwrap();
        }
        for bad in [
            "",
            "../x",
            "a/../../etc/passwd",
            "/x/..",
            "dir/",
            "/",
            "a\nb",
        ] {
            assert!(check_rendered(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn save_caps_renames_and_drops_a_stale_note() {
        let dir = tempfile::tempdir().unwrap();
        let t = Target {
            fail_if_empty: false,
            dest: dir.path().join("out.txt"),
            capture: dir.path().join(".out.txt.piar-r.part"),
        };
        std::fs::write(t.failed_path(), "old note").unwrap();
        let big = vec![b'x'; usize::try_from(ARTIFACT_MAX).unwrap() + 10];
        std::fs::write(&t.capture, &big).unwrap();
        save(&t, &t.dest, 0).unwrap();
        let saved = std::fs::read(&t.dest).unwrap();
        assert!(saved.starts_with(&big[..usize::try_from(ARTIFACT_MAX).unwrap()]));
        let tail =
            String::from_utf8_lossy(&saved[usize::try_from(ARTIFACT_MAX).unwrap()..]).into_owned();
        assert!(
            tail.contains("output truncated at 16777216 bytes"),
            "{tail}"
        );
        assert!(
            tail.contains(&format!("wrote {} bytes", big.len())),
            "{tail}"
        );
        assert!(!t.capture.exists());
        assert!(!t.failed_path().exists());

        std::fs::write(&t.capture, "small\n").unwrap();
        save(&t, &t.dest, 0).unwrap();
        assert_eq!(std::fs::read_to_string(&t.dest).unwrap(), "small\n");
    }

    #[test]
    fn the_capper_keeps_a_growing_capture_within_the_cap() {
        use std::io::Seek;
        let dir = tempfile::tempdir().unwrap();
        let capture = dir.path().join(".out.piar-r.part");
        let capper = Capper::start(capture.clone());
        // A writer that keeps its own offset, like the run's stdout.
        let mut f = std::fs::File::create(&capture).unwrap();
        let chunk = vec![b'y'; 1 << 20];
        for _ in 0..40 {
            f.write_all(&chunk).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        f.flush().unwrap();
        let end = f.stream_position().unwrap();
        assert_eq!(end, 40 << 20);
        let seen = capper.finish();
        assert!(seen > ARTIFACT_MAX, "{seen}");
        assert_eq!(std::fs::metadata(&capture).unwrap().len(), ARTIFACT_MAX + 1);
        let t = Target {
            dest: dir.path().join("out"),
            capture,
            fail_if_empty: false,
        };
        save(&t, &t.dest, seen).unwrap();
        let saved = std::fs::read(&t.dest).unwrap();
        let tail =
            String::from_utf8_lossy(&saved[usize::try_from(ARTIFACT_MAX).unwrap()..]).into_owned();
        assert!(tail.contains("the run wrote at least"), "{tail}");
    }

    #[test]
    fn relative_targets_go_under_artifacts() {
        let paths = Paths {
            scope: Scope::System,
            unit_dir: "/etc/systemd/system".into(),
            state_dir: "/var/lib/piar".into(),
        };
        let t = Target::new(&paths.artifacts_dir(), "brief/2026-01-01.md", "r1").unwrap();
        assert_eq!(
            t.dest,
            Path::new("/var/lib/piar/artifacts/brief/2026-01-01.md")
        );
        assert_eq!(
            t.capture,
            Path::new("/var/lib/piar/artifacts/brief/.2026-01-01.md.piar-r1.part")
        );
        assert_eq!(
            t.failed_path(),
            Path::new("/var/lib/piar/artifacts/brief/2026-01-01.md.failed")
        );
        let abs = Target::new(&paths.artifacts_dir(), "/srv//out/./x", "r1").unwrap();
        assert_eq!(abs.dest, Path::new("/srv/out/x"));
    }
}
