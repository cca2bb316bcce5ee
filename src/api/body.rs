//! The JSON bodies of `POST /v1/jobs` (submit) and `PATCH /v1/jobs/{name}`
//! (edit) and their translation into piar CLI arguments (`--flag=value`, one
//! argv element each, so a value starting with '-' is never read as a flag).
//!
//! The field names are those of the MCP tools `schedule_job` / `edit_job`
//! (docs/agents.md); validation of the values is the CLI's own. Checked here
//! first (answered 400 naming the field): unknown fields, every string at
//! most [`MAX_STR`] bytes (`stdin_template` [`MAX_TEMPLATE`]), no NUL byte, at
//! most [`MAX_ITEMS`] entries in a list or map, a command of at most
//! [`MAX_ARGV`] arguments. Options that read files of the server's host
//! (`env_file`, `credential`, `stdin_file`) or change the user a run runs as
//! (`run_as`, `sandbox`) are not offered over HTTP: use the CLI.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Longest accepted string, in bytes.
pub const MAX_STR: usize = 4096;
/// Longest accepted stdin template, in bytes (the CLI's `--stdin-file` limit).
pub const MAX_TEMPLATE: usize = 64 << 10;
/// Most entries in one list or map.
pub const MAX_ITEMS: usize = 64;
/// Most arguments of a command.
pub const MAX_ARGV: usize = 256;
/// The metadata key the API sets to the submitting token's name.
pub const SUBMITTED_BY: &str = "submitted_by";

/// A bounds violation: (field, what was expected).
pub type Bad = (String, String);

/// A job body: every field optional; which ones a verb accepts is checked by
/// [`JobBody::submit_args`] / [`JobBody::edit_args`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobBody {
    /// Job name (submit only).
    pub name: Option<String>,
    /// The command as an argv list.
    #[serde(default)]
    pub command: Vec<String>,
    /// Run once at this time.
    pub at: Option<String>,
    /// Run every interval.
    pub every: Option<String>,
    /// 5-field cron expression.
    pub cron: Option<String>,
    /// Raw systemd calendar specs.
    #[serde(default)]
    pub on_calendar: Vec<String>,
    /// No timer.
    #[serde(default)]
    pub manual: bool,
    /// IANA zone.
    pub tz: Option<String>,
    /// Run timeout.
    pub timeout: Option<String>,
    /// Environment of the run.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Working directory.
    pub workdir: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Callback URL.
    pub callback_url: Option<String>,
    /// Callback secret name.
    pub callback_secret: Option<String>,
    /// success|failure|always.
    pub callback_on: Option<String>,
    /// stdin template.
    pub stdin_template: Option<String>,
    /// Template variables.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// Render the arguments as templates.
    #[serde(default)]
    pub template_args: bool,
    /// Output path template.
    pub output: Option<String>,
    /// forbid|allow|replace.
    pub overlap: Option<String>,
    /// Retries.
    pub retries: Option<u32>,
    /// First retry delay.
    pub retry_delay: Option<String>,
    /// Memory limit.
    pub memory_max: Option<String>,
    /// CPU quota.
    pub cpu_quota: Option<String>,
    /// Nice level.
    pub nice: Option<i32>,
    /// Run records kept.
    pub keep_runs: Option<u32>,
    /// Submit as pending approval (submit only).
    #[serde(default)]
    pub require_approval: bool,
    /// Replace a job of the same name (submit only).
    #[serde(default)]
    pub replace: bool,
    /// Environment names to remove (edit only).
    #[serde(default)]
    pub unset_env: Vec<String>,
    /// Metadata keys to remove (edit only).
    #[serde(default)]
    pub unset_metadata: Vec<String>,
    /// Remove the callback (edit only).
    #[serde(default)]
    pub no_callback: bool,
    /// `--callback-compat` (set by the pi-agent-runner endpoints, never read
    /// from a body).
    #[serde(skip)]
    pub callback_compat: Option<String>,
}

fn check_str(field: &str, s: &str, max: usize) -> Result<(), Bad> {
    if s.len() > max {
        return Err((
            field.into(),
            format!("at most {max} bytes (got {})", s.len()),
        ));
    }
    if s.contains('\0') {
        return Err((field.into(), "no NUL byte".into()));
    }
    Ok(())
}

fn check_list(field: &str, v: &[String], max_items: usize) -> Result<(), Bad> {
    if v.len() > max_items {
        return Err((field.into(), format!("at most {max_items} entries")));
    }
    v.iter().try_for_each(|s| check_str(field, s, MAX_STR))
}

fn check_map(field: &str, m: &BTreeMap<String, String>) -> Result<(), Bad> {
    if m.len() > MAX_ITEMS {
        return Err((field.into(), format!("at most {MAX_ITEMS} entries")));
    }
    for (k, v) in m {
        check_str(field, k, MAX_STR)?;
        check_str(field, v, MAX_STR)?;
        if k.contains('=') || k.is_empty() {
            return Err((
                field.into(),
                format!("non-empty keys without '=' (got {k:?})"),
            ));
        }
    }
    Ok(())
}

fn opt(args: &mut Vec<String>, flag: &str, v: Option<&str>) {
    if let Some(v) = v {
        args.push(format!("--{flag}={v}"));
    }
}

fn map(args: &mut Vec<String>, flag: &str, m: &BTreeMap<String, String>) {
    for (k, v) in m {
        args.push(format!("--{flag}={k}={v}"));
    }
}

impl JobBody {
    fn check(&self) -> Result<(), Bad> {
        for (f, v) in [
            ("name", &self.name),
            ("at", &self.at),
            ("every", &self.every),
            ("cron", &self.cron),
            ("tz", &self.tz),
            ("timeout", &self.timeout),
            ("workdir", &self.workdir),
            ("description", &self.description),
            ("callback_url", &self.callback_url),
            ("callback_secret", &self.callback_secret),
            ("callback_on", &self.callback_on),
            ("output", &self.output),
            ("overlap", &self.overlap),
            ("retry_delay", &self.retry_delay),
            ("memory_max", &self.memory_max),
            ("cpu_quota", &self.cpu_quota),
        ] {
            if let Some(s) = v {
                check_str(f, s, MAX_STR)?;
            }
        }
        if let Some(t) = &self.stdin_template {
            check_str("stdin_template", t, MAX_TEMPLATE)?;
        }
        check_list("command", &self.command, MAX_ARGV)?;
        check_list("on_calendar", &self.on_calendar, MAX_ITEMS)?;
        check_list("unset_env", &self.unset_env, MAX_ITEMS)?;
        check_list("unset_metadata", &self.unset_metadata, MAX_ITEMS)?;
        check_map("env", &self.env)?;
        check_map("metadata", &self.metadata)?;
        check_map("vars", &self.vars)?;
        if self.metadata.contains_key(SUBMITTED_BY) {
            return Err((
                "metadata".into(),
                format!("no {SUBMITTED_BY:?} key: the server sets it to the token's name"),
            ));
        }
        Ok(())
    }

    fn push_options(&self, a: &mut Vec<String>) {
        opt(a, "at", self.at.as_deref());
        opt(a, "every", self.every.as_deref());
        opt(a, "cron", self.cron.as_deref());
        for s in &self.on_calendar {
            a.push(format!("--on-calendar={s}"));
        }
        if self.manual {
            a.push("--manual".into());
        }
        opt(a, "tz", self.tz.as_deref());
        opt(a, "timeout", self.timeout.as_deref());
        map(a, "env", &self.env);
        map(a, "meta", &self.metadata);
        opt(a, "workdir", self.workdir.as_deref());
        opt(a, "description", self.description.as_deref());
        opt(a, "callback", self.callback_url.as_deref());
        opt(a, "callback-secret", self.callback_secret.as_deref());
        opt(a, "callback-on", self.callback_on.as_deref());
        opt(a, "callback-compat", self.callback_compat.as_deref());
        opt(a, "stdin", self.stdin_template.as_deref());
        map(a, "var", &self.vars);
        if self.template_args {
            a.push("--template-args".into());
        }
        opt(a, "output", self.output.as_deref());
        opt(a, "overlap", self.overlap.as_deref());
        opt(a, "retries", self.retries.map(|n| n.to_string()).as_deref());
        opt(a, "retry-delay", self.retry_delay.as_deref());
        opt(a, "memory-max", self.memory_max.as_deref());
        opt(a, "cpu-quota", self.cpu_quota.as_deref());
        opt(a, "nice", self.nice.map(|n| n.to_string()).as_deref());
        opt(
            a,
            "keep-runs",
            self.keep_runs.map(|n| n.to_string()).as_deref(),
        );
    }

    /// The `submit` argv: bounds, then `--meta=submitted_by=<token>` and the
    /// `Idempotency-Key` header as `--idempotency-key`.
    pub fn submit_args(
        &self,
        token: &str,
        idempotency_key: Option<&str>,
    ) -> Result<Vec<String>, Bad> {
        self.check()?;
        if self.command.is_empty() {
            return Err((
                "command".into(),
                "a non-empty argv list, e.g. [\"df\", \"-h\"]".into(),
            ));
        }
        for (f, set) in [
            ("unset_env", !self.unset_env.is_empty()),
            ("unset_metadata", !self.unset_metadata.is_empty()),
            ("no_callback", self.no_callback),
        ] {
            if set {
                return Err((f.into(), "only in PATCH /v1/jobs/{name} (edit)".into()));
            }
        }
        if let Some(k) = idempotency_key {
            check_str("Idempotency-Key", k, 255)?;
        }
        let mut a = vec!["submit".to_string()];
        opt(&mut a, "name", self.name.as_deref());
        self.push_options(&mut a);
        a.push(format!("--meta={SUBMITTED_BY}={token}"));
        opt(&mut a, "idempotency-key", idempotency_key);
        if self.require_approval {
            a.push("--require-approval".into());
        }
        if self.replace {
            a.push("--replace".into());
        }
        a.push("--".into());
        a.extend(self.command.iter().cloned());
        Ok(a)
    }

    /// The `edit NAME` argv (name checked by the caller).
    pub fn edit_args(&self, name: &str) -> Result<Vec<String>, Bad> {
        self.check()?;
        for (f, set) in [
            ("name", self.name.is_some()),
            ("require_approval", self.require_approval),
            ("replace", self.replace),
        ] {
            if set {
                return Err((f.into(), "only in POST /v1/jobs (submit)".into()));
            }
        }
        let mut a = vec!["edit".to_string()];
        self.push_options(&mut a);
        for k in &self.unset_env {
            a.push(format!("--unset-env={k}"));
        }
        for k in &self.unset_metadata {
            a.push(format!("--unset-meta={k}"));
        }
        if self.no_callback {
            a.push("--no-callback".into());
        }
        a.push(name.to_string());
        if !self.command.is_empty() {
            a.push("--".into());
            a.extend(self.command.iter().cloned());
        }
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submit_argv_is_flag_value_pairs_then_the_command() {
        let b: JobBody = serde_json::from_str(
            r#"{"name":"x","command":["echo","--not-a-flag"],"every":"-5m","env":{"A":"1"}}"#,
        )
        .unwrap();
        let a = b.submit_args("bot", Some("k1")).unwrap();
        assert_eq!(
            a,
            [
                "submit",
                "--name=x",
                "--every=-5m",
                "--env=A=1",
                "--meta=submitted_by=bot",
                "--idempotency-key=k1",
                "--",
                "echo",
                "--not-a-flag"
            ]
        );
    }

    #[test]
    fn bad_bodies_name_the_field() {
        let e = serde_json::from_str::<JobBody>(r#"{"comand":["x"]}"#).unwrap_err();
        assert!(e.to_string().contains("comand"), "{e}");
        let b: JobBody = serde_json::from_str(r#"{"command":[]}"#).unwrap();
        assert_eq!(b.submit_args("t", None).unwrap_err().0, "command");
        let b: JobBody =
            serde_json::from_str(r#"{"command":["x"],"metadata":{"submitted_by":"me"}}"#).unwrap();
        assert_eq!(b.submit_args("t", None).unwrap_err().0, "metadata");
        let b: JobBody = serde_json::from_str(r#"{"name":"y"}"#).unwrap();
        assert_eq!(b.edit_args("x").unwrap_err().0, "name");
        let b = JobBody {
            tz: Some("a\0b".into()),
            ..Default::default()
        };
        assert_eq!(b.edit_args("x").unwrap_err().0, "tz");
    }
}
