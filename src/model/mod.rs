//! The job definition's pure rules (no file system, no D-Bus, no clap).

pub mod callback;
pub mod limits;
pub mod manifest;
pub mod output;
pub mod policy;
pub mod template;
