//! piar's integration tests: one test binary (casey/just style) run as root inside the
//! project's throw-away systemd box. Run them with `scripts/test` (all tests) or
//! `scripts/test --test integration` (just these); see docs/testing.md.
//!
//! Outside the box every test fails with a pointer to `scripts/test`: they need a real
//! systemd and must never touch the host's.

// The helper modules' items are `pub` by convention; in a test crate nothing is reachable
// from outside, so the crate-wide `unreachable_pub` lint (Cargo.toml) does not apply here;
// casts in assertions compare small counters.
#![allow(unreachable_pub, clippy::cast_possible_truncation)]

mod support;

mod agent_cmds;
mod agent_flow;
#[cfg(feature = "api")]
mod api;
mod box_health;
mod callbacks;
mod core;
mod crash;
mod cron_diff;
mod doctor;
mod generated_docs;
mod hardening;
mod hostile;
mod import;
mod lifecycle;
mod list_many;
#[cfg(feature = "mcp")]
mod mcp;
mod policy;
mod reliability;
mod schedule;
mod schemas;
mod sync;
mod template;
mod unit_names;
mod user_scope;
