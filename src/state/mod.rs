//! Everything under piar's state directory (and the primitives it is
//! written with).

pub mod fs;
pub mod jobs;
pub mod layout;
pub mod secrets;
