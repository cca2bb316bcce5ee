//! The pipeline's decisions and steps (cargo's `ops/`): applying a job's
//! units (`apply`), reconciling (`sync`, `drift`, `recover`), reporting
//! (`status`, `doctor`) and the pure overlap decision of `piar trigger`.
//! The rest of the trigger pipeline (`crate::run`, `crate::defer`,
//! `crate::policy::retry`) moves here next (docs/architecture.md).

pub mod apply;
pub mod doctor;
pub mod drift;
pub mod overlap;
pub mod recover;
pub mod status;
pub mod sync;
