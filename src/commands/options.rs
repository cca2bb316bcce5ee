//! Applying the job options shared by `submit` and `edit` ([`JobOptions`])
//! to a manifest: only the options given change anything, so `submit`
//! applies them to an empty manifest and `edit` to the stored one.

use crate::cli::{JobOptions, ScheduleArgs};
use crate::error::{Error, Result};
use crate::model::manifest::Manifest;
use crate::schedule::{ScheduleSpec, at};

impl ScheduleArgs {
    /// Whether any schedule flag was given.
    pub fn given(&self) -> bool {
        self.at.is_some()
            || self.every.is_some()
            || self.cron.is_some()
            || !self.on_calendar.is_empty()
            || self.manual
    }
}

impl crate::cli::TemplateArgs {
    /// Whether any template flag was given.
    pub fn given(&self) -> bool {
        self.stdin.is_some()
            || self.stdin_file.is_some()
            || !self.vars.is_empty()
            || self.template_args
            || self.output.is_some()
    }
}

impl crate::cli::PolicyArgs {
    /// Whether any run-policy flag was given.
    pub fn given(&self) -> bool {
        self.overlap.is_some()
            || self.retries.is_some()
            || self.retry_delay.is_some()
            || self.memory_max.is_some()
            || self.cpu_quota.is_some()
            || self.nice.is_some()
            || self.run_as.is_some()
            || self.sandbox.is_some()
            || !self.env_file.is_empty()
            || !self.credential.is_empty()
    }
}

impl JobOptions {
    /// Whether any option was given (so `edit` has something to change).
    pub fn given(&self) -> bool {
        let c = &self.callback;
        self.schedule.given()
            || self.tz.is_some()
            || self.timeout.is_some()
            || !self.env.is_empty()
            || self.workdir.is_some()
            || self.description.is_some()
            || !self.metadata.is_empty()
            || self.keep_runs.is_some()
            || c.url.is_some()
            || self.template.given()
            || self.require_synced_clock
            || self.policy.given()
    }

    /// Apply the given options to `m`; errors name the flag (exit 2) and
    /// leave `m` unspecified (callers apply to a copy).
    ///
    /// A schedule flag replaces the whole `[schedule]`; `--tz` alone changes
    /// the zone of a cron schedule (an `--at` time must be given again with
    /// it). `--env` and `--meta` add or overwrite single keys; a callback URL
    /// replaces the whole `[callback]` table. `now` resolves relative `--at`.
    pub fn apply(&self, m: &mut Manifest, now: jiff::Timestamp) -> Result<()> {
        // First, so that --env (below) wins over --env-file.
        super::job_flags::apply_policy(&self.policy, m)?;
        let s = &self.schedule;
        if s.given() {
            m.schedule = self.schedule_spec(m.schedule.tz.as_deref(), now)?;
        } else if let Some(tz) = &self.tz {
            if m.schedule.cron.is_none() {
                return Err(Error::invalid(
                    "--tz: a time zone goes with --cron or --at (give --at again with --tz; \
                     write the zone inside an --on-calendar spec)",
                ));
            }
            at::validate_tz(tz).map_err(|e| e.context("--tz"))?;
            m.schedule.tz = Some(tz.clone());
        }
        if let Some(t) = &self.timeout {
            m.timeout = Some(t.clone());
        }
        for kv in &self.env {
            let (k, v) = split_kv("--env", kv)?;
            m.env.insert(k, v);
        }
        if let Some(p) = &self.workdir {
            let w = p
                .to_str()
                .ok_or_else(|| Error::invalid("--workdir: expected a UTF-8 path"))?;
            m.workdir = Some(w.to_string());
        }
        if let Some(d) = &self.description {
            m.description = d.clone();
        }
        for kv in &self.metadata {
            let (k, v) = split_kv("--meta", kv)?;
            m.metadata.insert(k, toml::Value::String(v));
        }
        if let Some(n) = self.keep_runs {
            m.keep_runs = Some(n);
        }
        if self.callback.url.is_some() {
            m.callback = super::callbacks::spec_from_args(&self.callback)?;
        }
        if self.require_synced_clock {
            m.require_synced_clock = true;
        }
        super::job_flags::apply_template(&self.template, m)?;
        Ok(())
    }

    /// The `[schedule]` for the schedule flags; `old_tz` is the zone kept
    /// when `--tz` is not given (edit), else the system zone.
    fn schedule_spec(&self, old_tz: Option<&str>, now: jiff::Timestamp) -> Result<ScheduleSpec> {
        let s = &self.schedule;
        let tz = || {
            self.tz
                .clone()
                .or_else(|| old_tz.map(str::to_string))
                .unwrap_or_else(at::system_tz_name)
        };
        let mut spec = ScheduleSpec::default();
        if let Some(text) = &s.at {
            let tz = tz();
            at::validate_tz(&tz).map_err(|e| e.context("--tz"))?;
            let resolved = at::resolve(text, &tz, now).map_err(|e| e.context("--at"))?;
            if let Some(note) = &resolved.note {
                // On stderr, so --json output stays one JSON document.
                eprintln!("piar: note: --at {note}");
            }
            let ts = resolved.at;
            let zone =
                jiff::tz::TimeZone::get(&tz).map_err(|e| Error::invalid(format!("--tz: {e}")))?;
            spec.at = Some(
                ts.to_zoned(zone)
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string(),
            );
            spec.tz = Some(tz);
        } else if let Some(text) = &s.every {
            spec.every = Some(text.clone());
        } else if let Some(expr) = &s.cron {
            if let Ok(parsed) = crate::schedule::cron::CronExpr::parse(expr) {
                for w in parsed.warnings() {
                    eprintln!("piar: warning: --cron {w}");
                }
            }
            spec.cron = Some(expr.clone());
            spec.tz = Some(tz());
        } else if !s.on_calendar.is_empty() {
            spec.on_calendar = Some(s.on_calendar.clone());
        } else if s.manual {
            spec.manual = Some(true);
        }
        if self.tz.is_some() && spec.tz.is_none() {
            return Err(Error::invalid(
                "--tz: a time zone goes with --cron or --at (write the zone inside an --on-calendar spec)",
            ));
        }
        Ok(spec)
    }
}

/// Split `KEY=VALUE`; errors name the flag.
pub(super) fn split_kv(flag: &str, kv: &str) -> Result<(String, String)> {
    kv.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| Error::invalid(format!("{flag}: expected KEY=VALUE, got {kv:?}")))
}
