//! How a job looks to systemd: unit names (and, later, rendering and
//! transient-unit properties).

pub mod names;
pub mod render;
pub mod self_exe;
