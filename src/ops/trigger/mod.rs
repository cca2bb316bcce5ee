//! The trigger pipeline of one run (`piar trigger`): start the transient run
//! unit and record it (`run`), defer a run until the clock is synchronised
//! (`defer`), and save a run's output artifact (`artifact`).
//! `crate::policy::retry` joins them next (docs/architecture.md).

pub mod artifact;
pub mod defer;
pub mod run;
