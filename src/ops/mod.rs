//! The pipeline's decisions and steps (cargo's `ops/`): applying a job's
//! units (`apply`), reconciling (`sync`, `drift`, `recover`), reporting
//! (`status`, `doctor`), the trigger pipeline of one run (`trigger`, with
//! the pure overlap decision in `overlap`) and webhook callback delivery
//! (`callback`).

pub mod apply;
pub mod callback;
pub mod doctor;
pub mod drift;
pub mod overlap;
pub mod policy;
pub mod recover;
pub mod status;
pub mod sync;
pub mod trigger;
