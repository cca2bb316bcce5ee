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

/// The lean entry of `piar-trigger` (`src/bin/piar-trigger.rs`), the binary
/// that units run on the run path (issue 18): the grammar piar itself writes
/// into `ExecStart=` ([`units::self_exe::SelfExe`]), parsed by hand so that
/// neither clap's command tree nor the man pages, completions, importers or
/// calendar preview are linked in (LTO drops what this never reaches):
///
/// ```text
/// piar-trigger [--system|--user] [--json] [-v...] trigger NAME [--run-id ID] [--retry-of RUN --attempt K | --watch RUN]
/// piar-trigger [--system|--user] [--json] [-v...] callback (deliver ID | rearm)
/// ```
///
/// Anything else exits 2 with a usage line; `--help` prints that line (exit 0).
/// Exit codes are piar's ([`error::ExitStatus`]).
pub fn run_path<I: IntoIterator<Item = OsString>>(args: I) -> ExitCode {
    let args: Vec<String> = match args
        .into_iter()
        .skip(1)
        .map(OsString::into_string)
        .collect()
    {
        Ok(a) => a,
        Err(_) => return usage_error("arguments must be UTF-8"),
    };
    let parsed = match parse_run_path(&args) {
        Ok(p) => p,
        Err(msg) if msg.is_empty() => {
            println!("{RUN_PATH_USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => return usage_error(&msg),
    };
    // The trigger's own journal lines carry the job and, when known, the run
    // id (`PIAR_RUN_ID`), as in `piar`'s own entry.
    let (job, run) = match &parsed.cmd {
        commands::RunPath::Trigger(a) => (
            Some(a.name.as_str()),
            a.watch.as_deref().or(a.run_id.as_deref()),
        ),
        commands::RunPath::Callback(_) => (None, None),
    };
    logging::init(parsed.verbose, job, run);
    let scope = parsed.scope.unwrap_or_else(scope::Scope::default_for_euid);
    finish(
        commands::dispatch_run_path(scope, parsed.json, parsed.cmd),
        parsed.json,
    )
}

const RUN_PATH_USAGE: &str = "usage: piar-trigger [--system|--user] [--json] [-v] trigger NAME \
[--run-id ID] [--retry-of RUN --attempt K | --watch RUN]\n       piar-trigger [--system|--user] [--json] [-v] \
callback (deliver ID | rearm)\n(internal: what piar's units run; see piar(1))";

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("piar-trigger: error: {msg}\n{RUN_PATH_USAGE}");
    ExitCode::from(2)
}

/// What [`parse_run_path`] found.
#[derive(Debug)]
struct RunPathArgs {
    scope: Option<scope::Scope>,
    json: bool,
    verbose: u8,
    cmd: commands::RunPath,
}

/// Parse the run path's argv (without `argv[0]`). `Err("")` = `--help`.
fn parse_run_path(args: &[String]) -> std::result::Result<RunPathArgs, String> {
    let mut scope = None;
    let mut json = false;
    let mut verbose = 0u8;
    let mut rest = args.iter().map(String::as_str).peekable();
    while let Some(a) = rest.peek().copied() {
        match a {
            "--system" => scope = Some(scope::Scope::System),
            "--user" => scope = Some(scope::Scope::User),
            "--json" => json = true,
            "-h" | "--help" => return Err(String::new()),
            v if v.starts_with("-v") && v[1..].chars().all(|c| c == 'v') => {
                verbose = verbose.saturating_add(u8::try_from(v.len() - 1).unwrap_or(u8::MAX))
            }
            "--verbose" => verbose = verbose.saturating_add(1),
            _ => break,
        }
        rest.next();
    }
    let rest: Vec<&str> = rest.collect();
    let cmd = match rest.as_slice() {
        ["trigger", name, opts @ ..] if !name.starts_with('-') => {
            let mut args = cli::TriggerArgs {
                name: name.to_string(),
                retry_of: None,
                attempt: None,
                watch: None,
                run_id: None,
            };
            let mut it = opts.iter();
            while let Some(arg) = it.next() {
                // `--opt VALUE` or `--opt=VALUE`
                let (o, inline) = match arg.split_once('=') {
                    Some((o, v)) if o.starts_with("--") => (o, Some(v.to_string())),
                    _ => (*arg, None),
                };
                let mut value = || {
                    inline
                        .clone()
                        .or_else(|| it.next().map(|v| v.to_string()))
                        .ok_or_else(|| format!("{o} needs a value"))
                };
                match o {
                    "--retry-of" => args.retry_of = Some(value()?),
                    "--attempt" => {
                        let v = value()?;
                        args.attempt = Some(
                            v.parse()
                                .map_err(|_| format!("--attempt: expected a number, got {v:?}"))?,
                        )
                    }
                    "--watch" => args.watch = Some(value()?),
                    "--run-id" => args.run_id = Some(value()?),
                    other => return Err(format!("unexpected argument {other:?}")),
                }
            }
            match (&args.retry_of, &args.attempt, &args.watch) {
                (Some(_), None, _) | (None, Some(_), _) => {
                    return Err("--retry-of and --attempt go together".into());
                }
                (Some(_), Some(_), Some(_)) => {
                    return Err("--watch cannot be used with --retry-of".into());
                }
                _ if args.watch.is_some() && args.run_id.is_some() => {
                    return Err("--watch cannot be used with --run-id".into());
                }
                _ => {}
            }
            commands::RunPath::Trigger(args)
        }
        ["callback", "deliver", id] => {
            commands::RunPath::Callback(cli::CallbackAction::Deliver { id: id.to_string() })
        }
        ["callback", "rearm"] => commands::RunPath::Callback(cli::CallbackAction::Rearm),
        [] => return Err("a verb is required (trigger or callback)".into()),
        other => return Err(format!("unexpected arguments {other:?}")),
    };
    Ok(RunPathArgs {
        scope,
        json,
        verbose,
        cmd,
    })
}

/// Turn a command's result into the exit code, printing the error (piar's
/// format, or JSON with `--json`).
fn finish(result: error::Result<error::ExitStatus>, json: bool) -> ExitCode {
    match result {
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

/// Run piar with `args` (argv including `argv[0]`) and return the exit code.
pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if e.kind() == clap::error::ErrorKind::InvalidUtf8 => {
            let msg = argv::invalid_utf8_message(&args).unwrap_or_else(|| e.to_string());
            if argv::wants_json(&args) {
                eprintln!("{}", argv::usage_error_json(&msg));
            } else {
                eprintln!("piar: error: {msg}");
            }
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help and --version are "errors" to clap that print on stdout.
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            if argv::wants_json(&args) {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "{}",
                    argv::usage_error_json(&e.render().to_string())
                );
            } else {
                let _ = e.print();
            }
            return ExitCode::from(2);
        }
    };
    let mut cli = cli;
    // A trigger knows its run id from the start (chosen here unless `piar
    // run` chose it, or it watches a run), so its own log lines carry it.
    let trigger_ids = match &mut cli.command {
        cli::Command::Trigger(args) => {
            if args.watch.is_none() && args.run_id.is_none() {
                args.run_id = Some(record::new_run_id());
            }
            Some((
                args.name.clone(),
                args.watch.clone().or_else(|| args.run_id.clone()),
            ))
        }
        _ => None,
    };
    logging::init(
        cli.verbose,
        trigger_ids.as_ref().map(|(job, _)| job.as_str()),
        trigger_ids.as_ref().and_then(|(_, run)| run.as_deref()),
    );
    let json = cli.json;
    finish(commands::dispatch(cli), json)
}

#[cfg(test)]
mod run_path_tests {
    use super::*;

    fn parse(s: &str) -> std::result::Result<RunPathArgs, String> {
        let v: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        parse_run_path(&v)
    }

    #[test]
    fn the_grammar_piar_writes_into_units_parses() {
        let p = parse("--system trigger backup").expect("plain");
        assert_eq!(p.scope, Some(scope::Scope::System));
        assert!(
            matches!(&p.cmd, commands::RunPath::Trigger(a) if a.name == "backup" && a.watch.is_none())
        );
        let p =
            parse("--user trigger b --retry-of 20260101-000000-abcd --attempt 2").expect("retry");
        assert!(matches!(&p.cmd, commands::RunPath::Trigger(a)
            if a.retry_of.as_deref() == Some("20260101-000000-abcd") && a.attempt == Some(2)));
        let p = parse("--system trigger b --watch 20260101-000000-abcd").expect("watch");
        assert!(matches!(&p.cmd, commands::RunPath::Trigger(a) if a.watch.is_some()));
        // `piar run`'s manual trigger unit (units::self_exe::manual_trigger_properties)
        for text in [
            "--system trigger b --run-id 20260101-000000-abcd",
            "--system trigger b --run-id=20260101-000000-abcd",
        ] {
            let p = parse(text).expect("run id");
            assert!(
                matches!(&p.cmd, commands::RunPath::Trigger(a)
                if a.run_id.as_deref() == Some("20260101-000000-abcd")),
                "{text}"
            );
        }
        assert!(parse("trigger b --watch r --run-id r").is_err());
        let p = parse("--system -vv callback deliver piar-b-x").expect("deliver");
        assert_eq!(p.verbose, 2);
        assert!(
            matches!(&p.cmd, commands::RunPath::Callback(cli::CallbackAction::Deliver { id }) if id == "piar-b-x")
        );
        assert!(matches!(
            parse("callback rearm").expect("rearm").cmd,
            commands::RunPath::Callback(cli::CallbackAction::Rearm)
        ));
    }

    #[test]
    fn anything_else_is_a_usage_error_naming_the_problem() {
        assert_eq!(parse("--help").unwrap_err(), "");
        assert!(parse("").unwrap_err().contains("verb"));
        assert!(parse("submit x").unwrap_err().contains("unexpected"));
        assert!(
            parse("trigger b --attempt 2")
                .unwrap_err()
                .contains("together")
        );
        assert!(
            parse("trigger b --retry-of r --attempt x")
                .unwrap_err()
                .contains("--attempt")
        );
        assert!(
            parse("trigger b --retry-of")
                .unwrap_err()
                .contains("needs a value")
        );
        assert!(parse("trigger b --bogus").unwrap_err().contains("--bogus"));
    }
}
