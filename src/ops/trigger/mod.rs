//! The trigger pipeline of one run (`piar trigger`): start the transient run
//! unit and record it (`run`), defer a run until the clock is synchronised
//! (`defer`), save a run's output artifact (`artifact`), and retry a failed
//! run with backoff (`retry`).

pub mod artifact;
pub mod defer;
pub mod retry;
pub mod run;
pub mod slot;
