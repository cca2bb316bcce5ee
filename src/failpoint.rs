//! Failpoints: crash piar on purpose at a named step, to test recovery.
//!
//! `failpoint::hit("submit.after-manifest-write")` ends the process at once
//! with exit status [`EXIT_CODE`] when the environment variable
//! `PIAR_FAILPOINT` names that point. The exit is `_exit(2)`: no destructors,
//! no buffered output flushed, no lock released other than by the kernel —
//! as close to a crash (or a power cut after the last `fsync`) as a test can
//! get without killing itself with a signal that would leave core files.
//!
//! Always compiled in: the environment is read once per process (cached in a
//! `OnceLock`), so an unset variable costs one lookup. The points are listed
//! in [`POINTS`]; `tests/integration/crash.rs` aborts at each of them and
//! checks that the next `piar` command (or `piar sync`) repairs the state.

use std::sync::OnceLock;

/// The environment variable naming the failpoint to crash at.
pub const ENV: &str = "PIAR_FAILPOINT";

/// Exit status of a process stopped at a failpoint (distinctive on purpose).
pub const EXIT_CODE: i32 = 86;

/// Every failpoint, in the order the steps happen within each command.
pub const POINTS: &[&str] = &[
    // submit (and sync / edit, which apply units the same way)
    "submit.after-manifest-write",
    "apply.after-unit-files",
    "apply.after-reload",
    "apply.after-enable",
    "apply.after-timer-start",
    "submit.after-apply",
    // edit (applies units like submit: the apply.* points above)
    "edit.after-manifest-write",
    "edit.after-apply",
    // rm
    "rm.after-manifest-remove",
    "uninstall.after-timer-stop",
    "uninstall.after-disable",
    "uninstall.after-unit-files-removed",
    // pause / resume
    "pause.after-manifest-write",
    "pause.after-timer-stop",
    "resume.after-manifest-write",
    "resume.after-enable",
    // sync
    "sync.after-dropin-save",
    "sync.after-orphan-removed",
    // trigger
    "trigger.after-running-record",
    "trigger.after-unit-start",
    "trigger.after-finished-record",
    "trigger.before-outbox-write",
    "trigger.after-outbox-write",
    // callback delivery
    "deliver.after-response",
    "deliver.after-save",
];

/// Crash here if `PIAR_FAILPOINT` names `point`.
pub fn hit(point: &str) {
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    let armed = ARMED.get_or_init(|| std::env::var(ENV).ok().filter(|p| !p.is_empty()));
    if armed.as_deref() == Some(point) {
        debug_assert!(POINTS.contains(&point), "unlisted failpoint {point}");
        let msg = format!("piar: failpoint {point}: crashing on purpose ({ENV})\n");
        // SAFETY: write(2) of a valid buffer to stderr, then _exit(2); neither
        // touches Rust state, which is the point: nothing is cleaned up.
        unsafe {
            libc::write(2, msg.as_ptr().cast(), msg.len());
            libc::_exit(EXIT_CODE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for p in POINTS {
            assert!(seen.insert(p), "duplicate failpoint {p}");
            assert!(
                p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'-'),
                "{p}"
            );
        }
    }

    #[test]
    fn an_unarmed_point_returns() {
        // PIAR_FAILPOINT is not set under `cargo test`.
        hit("submit.after-manifest-write");
    }
}
