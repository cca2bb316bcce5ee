//! piar: a systemd-native job runner.
//!
//! `piar submit` turns a job into a TOML manifest plus a real
//! `piar-<name>.service`/`.timer` pair applied over D-Bus; when the timer
//! fires, `piar trigger` runs the job as a transient unit, records the run and
//! exits. No piar process stays alive between runs.
//!
//! Flow of one invocation: parse (clap) -> logging -> dispatch -> render the
//! error -> exit code ([`error::ExitStatus`]).

pub mod api;
pub mod argv;
pub mod cli;
pub mod commands;
pub mod durable;
pub mod error;
pub mod failpoint;
pub mod generate;
pub mod history;
pub mod import;
pub mod logging;
#[cfg(feature = "mcp")]
pub mod mcp;
pub mod model;
pub mod ops;
pub mod printer;
pub mod record;
pub mod schedule;
pub mod scope;
pub mod state;
pub mod systemd;
pub mod units;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::error::Kind;

/// Run piar with `args` (argv including `argv[0]`) and return the exit code.
pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if e.kind() == clap::error::ErrorKind::InvalidUtf8 => {
            let msg = argv::invalid_utf8_message(&args).unwrap_or_else(|| e.to_string());
            eprintln!("piar: error: {msg}");
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help and --version are "errors" to clap that print on stdout.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let trigger_job = match &cli.command {
        cli::Command::Trigger(args) => Some(args.name.as_str()),
        _ => None,
    };
    logging::init(cli.verbose, trigger_job);
    let json = cli.json;
    match commands::dispatch(cli) {
        Ok(status) => ExitCode::from(status.code()),
        Err(e) if e.kind == Kind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let mut err = std::io::stderr().lock();
            if json {
                let _ = writeln!(err, "{}", e.to_json());
            } else {
                let _ = writeln!(err, "piar: error: {}", e.message);
                if let Some(h) = &e.hint {
                    let _ = writeln!(err, "  hint: {h}");
                }
            }
            ExitCode::from(e.kind.exit_status().code())
        }
    }
}
