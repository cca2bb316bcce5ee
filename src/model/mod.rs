//! The job definition's pure rules (no file system, no D-Bus, no clap).

pub mod limits;
pub mod output;
