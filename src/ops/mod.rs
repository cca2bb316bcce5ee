//! The pipeline's decisions and steps (cargo's `ops/`): today the pure
//! overlap decision of `piar trigger`; the rest of the trigger pipeline
//! (`crate::run`, `crate::defer`, `crate::policy::retry`) moves here next
//! (docs/architecture.md).

pub mod overlap;
