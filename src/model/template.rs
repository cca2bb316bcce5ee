//! Templated input: the run's standard input (`stdin`), optionally its
//! arguments (`template_args`) and its artifact path (`output`) are minijinja
//! templates rendered once per run, in strict mode: an undefined variable is
//! an error. Every template is checked when the manifest is validated (so at
//! submit time, not at 3 a.m.): syntax, then every referenced variable
//! against the known set ([`VARIABLES`], the job's `metadata` keys and
//! `vars`), then a render with sample values.
//!
//! Variables (all strings):
//!
//! | name | value |
//! |------|-------|
//! | `job` | the job name |
//! | `run_id` | the run id (`YYYYMMDD-HHMMSS-xxxx`) |
//! | `date` | `YYYY-MM-DD` of `scheduled_for` in the job's zone |
//! | `now` | when the run was prepared, RFC 3339 with the job zone's offset |
//! | `scheduled_for` | when the timer was due (see `crate::ops::trigger::slot::scheduled_for`), else the run's start; RFC 3339 with offset |
//! | `metadata.K` | the job's `[metadata]` table (TOML values keep their type) |
//! | `vars.K` | the job's `[vars]` table (`--var K=V`) |
//!
//! The job's zone is `schedule.tz` (cron, at), else the system zone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use minijinja::{Environment, UndefinedBehavior, Value};

use crate::error::{Error, Result};
use crate::model::manifest::{Job, Manifest};
use crate::model::output::{RunInput, Target};

/// Largest `stdin` template, in bytes (64 KiB).
pub const STDIN_TEMPLATE_MAX: usize = 64 * 1024;

/// Largest rendered standard input, in bytes (1 MiB; systemd itself accepts
/// up to 64 MiB of `StandardInputData=`). A larger rendering fails the run.
pub const STDIN_RENDERED_MAX: usize = 1024 * 1024;

/// Largest `output` path template, in bytes.
pub const OUTPUT_TEMPLATE_MAX: usize = 1024;

/// Most entries in `vars`.
pub const VARS_MAX: usize = 64;

/// Largest value of one `vars` entry, in bytes (4 KiB).
pub const VAR_VALUE_MAX: usize = 4096;

/// The top-level template variables.
pub const VARIABLES: &[&str] = &[
    "job",
    "run_id",
    "date",
    "now",
    "scheduled_for",
    "metadata",
    "vars",
];

/// Run id used when templates are checked at submit time.
const SAMPLE_RUN_ID: &str = "20260101-000000-abcd";

/// Check the templated fields of a manifest (called by
/// [`crate::model::manifest::validate::validate`]). Errors (exit 2) name the field
/// (`stdin`, `command[N]`, `output`, `vars.K`) and, for template errors, the
/// line.
pub fn validate(m: &Manifest) -> Result<()> {
    if m.vars.len() > VARS_MAX {
        return Err(Error::invalid(format!(
            "vars: {} entries, at most {VARS_MAX} are allowed",
            m.vars.len()
        )));
    }
    for (k, v) in &m.vars {
        if !is_identifier(k) {
            return Err(Error::invalid(format!(
                "vars.{}: invalid name; expected [A-Za-z_][A-Za-z0-9_]*",
                k.escape_debug()
            )));
        }
        if v.len() > VAR_VALUE_MAX || v.contains('\0') {
            return Err(Error::invalid(format!(
                "vars.{k}: at most {VAR_VALUE_MAX} bytes without NUL are allowed"
            )));
        }
    }
    if let Some(text) = &m.stdin
        && text.len() > STDIN_TEMPLATE_MAX
    {
        return Err(Error::invalid(format!(
            "stdin: {} bytes, at most {STDIN_TEMPLATE_MAX} are allowed",
            text.len()
        ))
        .with_hint("keep long prompts in a file the command reads"));
    }
    if let Some(text) = &m.output
        && (text.len() > OUTPUT_TEMPLATE_MAX || text.trim().is_empty())
    {
        return Err(Error::invalid(format!(
            "output: expected a path template of 1 to {OUTPUT_TEMPLATE_MAX} bytes"
        )));
    }
    if m.stdin.is_none() && m.output.is_none() && !m.template_args {
        return Ok(());
    }
    let now = Timestamp::now();
    let values = RunValues {
        job: if m.name.is_empty() { "job" } else { &m.name },
        run_id: SAMPLE_RUN_ID,
        now,
        scheduled_for: now,
    };
    let r = Renderer::new(m, &values)?;
    if let Some(text) = &m.stdin {
        let out = r.render("stdin", text)?;
        if out.len() > STDIN_RENDERED_MAX {
            return Err(Error::invalid(format!(
                "stdin: renders to {} bytes, at most {STDIN_RENDERED_MAX} are allowed",
                out.len()
            )));
        }
    }
    if m.template_args {
        for (i, arg) in m.command.iter().enumerate().skip(1) {
            r.render(&format!("command[{i}]"), arg)?;
        }
    }
    if let Some(text) = &m.output {
        let rendered = r.render("output", text)?;
        crate::model::output::check_rendered(&rendered)?;
    }
    Ok(())
}

/// The per-run values of the template variables.
#[derive(Debug, Clone, Copy)]
pub struct RunValues<'a> {
    /// Job name.
    pub job: &'a str,
    /// Run id.
    pub run_id: &'a str,
    /// When the run is prepared.
    pub now: Timestamp,
    /// When the run was due (or `now` for a manual run).
    pub scheduled_for: Timestamp,
}

/// Render a job's templates for one run; a relative `output` resolves under
/// `artifacts_dir`. `scheduled` is when its timer was
/// due (`None` for a manual run: `started` stands in). Errors: a template
/// that fails at run time (exit 1 for the run; the record says why).
pub fn prepare(
    artifacts_dir: &Path,
    job: &Job,
    run_id: &str,
    scheduled: Option<Timestamp>,
    started: Timestamp,
) -> Result<RunInput> {
    let m = &job.manifest;
    let values = RunValues {
        job: job.name(),
        run_id,
        now: started,
        scheduled_for: scheduled.unwrap_or(started),
    };
    let needs_render = m.stdin.is_some() || m.template_args || m.output.is_some();
    let mut command = m.command.clone();
    let mut input = RunInput {
        stdin: None,
        command: Vec::new(),
        output: None,
        scheduled_for: values.scheduled_for.to_string(),
    };
    if needs_render {
        let r = Renderer::new(m, &values)?;
        if let Some(text) = &m.stdin {
            let out = r.render("stdin", text)?;
            if out.len() > STDIN_RENDERED_MAX {
                return Err(Error::failed(format!(
                    "stdin: renders to {} bytes, at most {STDIN_RENDERED_MAX} are allowed",
                    out.len()
                )));
            }
            input.stdin = Some(out.into_bytes());
        }
        if m.template_args {
            for (i, arg) in command.iter_mut().enumerate().skip(1) {
                *arg = r.render(&format!("command[{i}]"), arg)?;
            }
        }
        if let Some(text) = &m.output {
            let rendered = r.render("output", text)?;
            input.output = Some(Target::new(artifacts_dir, &rendered, run_id)?);
        }
    }
    input.command = command;
    Ok(input)
}

/// A strict minijinja environment plus the context of one run.
struct Renderer<'m> {
    syntax: minijinja::syntax::SyntaxConfig,
    ctx: Value,
    known: Known<'m>,
}

/// What a template may reference.
struct Known<'m> {
    metadata: BTreeSet<&'m str>,
    vars: BTreeSet<&'m str>,
}

impl<'m> Renderer<'m> {
    fn new(m: &'m Manifest, v: &RunValues) -> Result<Renderer<'m>> {
        // Keep a prompt's final newline: programs reading stdin expect it.
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| Error::failed(format!("template syntax config: {e}")))?;
        let zone = job_zone(m);
        let scheduled = v.scheduled_for.to_zoned(zone.clone());
        let mut ctx: BTreeMap<String, Value> = BTreeMap::new();
        ctx.insert("job".into(), Value::from(v.job));
        ctx.insert("run_id".into(), Value::from(v.run_id));
        ctx.insert(
            "date".into(),
            Value::from(scheduled.strftime("%Y-%m-%d").to_string()),
        );
        ctx.insert("now".into(), Value::from(rfc3339(v.now, &zone)));
        ctx.insert(
            "scheduled_for".into(),
            Value::from(rfc3339(v.scheduled_for, &zone)),
        );
        let metadata: BTreeMap<String, Value> = m
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), toml_value(v)))
            .collect();
        ctx.insert("metadata".into(), Value::from(metadata));
        let vars: BTreeMap<String, Value> = m
            .vars
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect();
        ctx.insert("vars".into(), Value::from(vars));
        Ok(Renderer {
            syntax,
            ctx: Value::from(ctx),
            known: Known {
                metadata: m.metadata.keys().map(String::as_str).collect(),
                vars: m.vars.keys().map(String::as_str).collect(),
            },
        })
    }

    /// Compile, check the referenced variables, render. Errors name `field`.
    fn render(&self, field: &str, source: &str) -> Result<String> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_syntax(self.syntax.clone());
        let tmpl = env
            .template_from_named_str(field, source)
            .map_err(|e| template_error(field, &e))?;
        let mut names: Vec<String> = tmpl.undeclared_variables(true).into_iter().collect();
        names.sort();
        for name in names {
            let mut parts = name.splitn(2, '.');
            let root = parts.next().unwrap_or_default();
            let key = parts.next().and_then(|k| k.split('.').next());
            let ok = match (root, key) {
                ("metadata", Some(k)) => self.known.metadata.contains(k),
                ("vars", Some(k)) => self.known.vars.contains(k),
                // Functions such as range() and dict() are globals.
                (r, _) => VARIABLES.contains(&r) || env.globals().any(|(g, _)| g == r),
            };
            if !ok {
                let line = source
                    .lines()
                    .position(|l| l.contains(&name))
                    .map(|i| format!(" line {}:", i + 1))
                    .unwrap_or_default();
                let hint = match root {
                    "vars" => "define it with --var KEY=VALUE (or [vars] in the manifest)".into(),
                    "metadata" => "define it with --meta KEY=VALUE (or [metadata])".into(),
                    _ => format!("known variables: {}", VARIABLES.join(", ")),
                };
                return Err(
                    Error::invalid(format!("{field}:{line} undefined variable `{name}`"))
                        .with_hint(hint),
                );
            }
        }
        tmpl.render(&self.ctx)
            .map_err(|e| template_error(field, &e))
    }
}

/// An error naming the field and line of a template problem (exit 2).
fn template_error(field: &str, e: &minijinja::Error) -> Error {
    let line = e.line().map(|l| format!(" line {l}:")).unwrap_or_default();
    let what = match e.detail() {
        Some(d) => format!("{}: {d}", e.kind()),
        None => e.kind().to_string(),
    };
    Error::invalid(format!("{field}:{line} {what}"))
        .with_hint("templates use minijinja (Jinja2) syntax: {{ date }}, {{ vars.topic }}")
}

/// The job's zone: `schedule.tz`, else the system zone.
pub fn job_zone(m: &Manifest) -> TimeZone {
    m.schedule
        .tz
        .as_deref()
        .and_then(|tz| TimeZone::get(tz).ok())
        .unwrap_or_else(TimeZone::system)
}

/// RFC 3339 with the zone's offset, whole seconds (`2026-11-21T06:00:00+01:00`).
fn rfc3339(ts: Timestamp, zone: &TimeZone) -> String {
    ts.to_zoned(zone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// A TOML value as a template value (datetimes as their TOML text).
fn toml_value(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::from(s.as_str()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::from(*b),
        toml::Value::Datetime(d) => Value::from(d.to_string()),
        toml::Value::Array(a) => a.iter().map(toml_value).collect(),
        toml::Value::Table(t) => {
            let map: BTreeMap<String, Value> =
                t.iter().map(|(k, v)| (k.clone(), toml_value(v))).collect();
            Value::from(map)
        }
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests;
