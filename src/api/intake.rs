//! Webhook intake (`POST /v1/intake/<name>`, docs/api.md): an arbitrary JSON
//! body becomes a job through the intake template
//! `<state>/api/intake/<name>.toml` ([`Paths::intake_template`]).
//!
//! Template (TOML, unknown keys rejected):
//!
//! ```toml
//! name = "gh-{number}"                 # job name; {var} placeholders, strict
//! command = ["claude", "-p"]           # argv, literal
//! stdin_template = "Fix: {{ vars.title }}"   # rendered per run by the CLI (minijinja)
//! description = "GitHub issue {number}"      # {var} placeholders, strict
//! manual = true                        # or at / every / cron (+ tz); default manual
//! timeout = "30m"
//! require_approval = true              # the default: a person approves first
//! verify = "github"                    # or "standard-webhooks"; omit: a bearer token
//! secret = "github-hook"               # piar secret (piar secret set) that signs
//! [vars]
//! number = "issue.number"              # var = dotted path into the body
//! title = "issue.title"
//! ```
//!
//! Values taken from the body are data, never template code: they reach the
//! job only as `--var KEY=VALUE` (so `{{ vars.KEY }}` in the stdin template
//! inserts them verbatim at run time) and through `{var}` placeholders in the
//! name and description, which are plain text. Rendering is strict: a missing
//! field, a null, an object or array, a value over [`MAX_VALUE`] bytes, an
//! unknown placeholder are 400 errors naming the field.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

use super::body::JobBody;
use crate::error::{Error, Result};
use crate::state::layout::Paths;

/// Longest value taken from a body, in bytes.
pub const MAX_VALUE: usize = 4096;
/// Most variables a template may bind.
pub const MAX_VARS: usize = 64;
/// Longest intake template file, in bytes.
pub const MAX_TEMPLATE_FILE: u64 = 64 << 10;

/// How a sender proves the body is theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verify {
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`,
    /// `webhook-signature` (`v1,<base64 HMAC-SHA256>` over `id.ts.body`),
    /// timestamps within 5 minutes (standardwebhooks.com spec).
    StandardWebhooks,
    /// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`
    /// keyed with the secret's text (GitHub docs, "Validating webhook deliveries").
    Github,
}

/// One intake template.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Job name with `{var}` placeholders.
    pub name: String,
    /// The command (literal argv).
    pub command: Vec<String>,
    /// Variables: name -> dotted path into the body (`issue.number`, `items.0.id`).
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// The run's stdin template (rendered per run, `{{ vars.KEY }}`).
    pub stdin_template: Option<String>,
    /// Description with `{var}` placeholders.
    pub description: Option<String>,
    /// Schedule: once at this time.
    pub at: Option<String>,
    /// Schedule: every interval.
    pub every: Option<String>,
    /// Schedule: cron.
    pub cron: Option<String>,
    /// Zone of `at`/`cron`.
    pub tz: Option<String>,
    /// Manual job (the default when no schedule is given).
    #[serde(default)]
    pub manual: bool,
    /// Run timeout.
    pub timeout: Option<String>,
    /// Output path template.
    pub output: Option<String>,
    /// Submit as pending approval (default true).
    #[serde(default = "yes")]
    pub require_approval: bool,
    /// Signature scheme; without it the request needs a submit-scope token.
    pub verify: Option<Verify>,
    /// Name of the piar secret that signs (required with `verify`).
    pub secret: Option<String>,
}

fn yes() -> bool {
    true
}

/// Load template `name`. Errors: bad name (2), none (3), unreadable or not
/// a valid template (1, naming the file and field).
pub fn load(paths: &Paths, name: &str) -> Result<Template> {
    crate::state::secrets::validate_name(name).map_err(|_| {
        Error::invalid(format!(
            "intake name {name:?}: expected [a-z0-9][a-z0-9_-]{{0,62}}"
        ))
    })?;
    let path = paths.intake_template(name);
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::not_found(format!("no intake template {name:?}")));
        }
        Err(e) => return Err(Error::io("cannot read", &path, e)),
    };
    if meta.len() > MAX_TEMPLATE_FILE {
        return Err(Error::failed(format!(
            "{}: larger than {MAX_TEMPLATE_FILE} bytes",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io("cannot read", &path, e))?;
    let t: Template = toml::from_str(&text)
        .map_err(|e| Error::failed(format!("{}: {}", path.display(), e.message())))?;
    if t.vars.len() > MAX_VARS {
        return Err(Error::failed(format!(
            "{}: at most {MAX_VARS} vars",
            path.display()
        )));
    }
    if t.verify.is_some() != t.secret.is_some() {
        return Err(Error::failed(format!(
            "{}: `verify` and `secret` go together",
            path.display()
        )));
    }
    Ok(t)
}

/// The value at dotted `path` in `body`, as text. Errors (exit 2) name the var
/// and path.
fn extract(body: &Value, var: &str, path: &str) -> Result<String> {
    let mut v = body;
    for seg in path.split('.') {
        let next = match v {
            Value::Object(m) => m.get(seg),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        v = next
            .ok_or_else(|| Error::invalid(format!("body field {path:?} (var {var}): missing")))?;
    }
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => {
            return Err(Error::invalid(format!(
                "body field {path:?} (var {var}): expected a string, number or boolean"
            )));
        }
    };
    if text.len() > MAX_VALUE || text.contains('\0') {
        return Err(Error::invalid(format!(
            "body field {path:?} (var {var}): at most {MAX_VALUE} bytes, no NUL"
        )));
    }
    Ok(text)
}

/// Replace `{var}` placeholders in `text` (field `field`) with `vars`;
/// strict: an unknown or unclosed placeholder is an error (exit 2).
pub fn render(field: &str, text: &str, vars: &BTreeMap<String, String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let j = after
            .find('}')
            .ok_or_else(|| Error::invalid(format!("intake {field}: unclosed '{{' in {text:?}")))?;
        let key = &after[..j];
        let v = vars.get(key).ok_or_else(|| {
            Error::invalid(format!("intake {field}: unknown placeholder {{{key}}}"))
        })?;
        out.push_str(v);
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

impl Template {
    /// The job body for `body`, submitted by intake `intake`.
    pub fn job(&self, intake: &str, body: &Value) -> Result<JobBody> {
        let mut vars = BTreeMap::new();
        for (var, path) in &self.vars {
            vars.insert(var.clone(), extract(body, var, path)?);
        }
        let name = render("name", &self.name, &vars)?;
        let description = self
            .description
            .as_deref()
            .map(|d| render("description", d, &vars))
            .transpose()?;
        let scheduled = self.at.is_some() || self.every.is_some() || self.cron.is_some();
        let mut metadata = BTreeMap::new();
        metadata.insert("intake".to_string(), intake.to_string());
        Ok(JobBody {
            name: Some(name),
            command: self.command.clone(),
            at: self.at.clone(),
            every: self.every.clone(),
            cron: self.cron.clone(),
            tz: self.tz.clone(),
            manual: self.manual || !scheduled,
            timeout: self.timeout.clone(),
            output: self.output.clone(),
            description,
            stdin_template: self.stdin_template.clone(),
            vars,
            metadata,
            require_approval: self.require_approval,
            ..Default::default()
        })
    }
}

/// Check a signed delivery. `header(name)` reads a request header
/// (case-insensitive). `Err` is the reason (for the journal and the 401).
pub fn verify_signature(
    how: Verify,
    secret: &str,
    header: impl Fn(&str) -> Option<String>,
    body: &[u8],
    now: i64,
) -> std::result::Result<(), String> {
    match how {
        Verify::StandardWebhooks => {
            let get = |h: &str| header(h).ok_or_else(|| format!("missing header {h}"));
            let id = get("webhook-id")?;
            let ts = get("webhook-timestamp")?;
            let sig = get("webhook-signature")?;
            crate::ops::callback::sign::verify(
                &crate::ops::callback::sign::standard_key(secret),
                &id,
                &ts,
                &sig,
                body,
                now,
            )
        }
        Verify::Github => {
            let h = header("X-Hub-Signature-256").ok_or("missing header X-Hub-Signature-256")?;
            let hex = h
                .trim()
                .strip_prefix("sha256=")
                .ok_or("X-Hub-Signature-256: expected sha256=<hex>")?;
            let bytes: Option<Vec<u8>> = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    hex.get(i..i + 2)
                        .and_then(|b| u8::from_str_radix(b, 16).ok())
                })
                .collect();
            let bytes = bytes
                .filter(|b| b.len() == 32)
                .ok_or("X-Hub-Signature-256: not 64 hex digits")?;
            let mut m = Hmac::<Sha256>::new_from_slice(secret.trim().as_bytes())
                .map_err(|_| "bad key".to_string())?;
            m.update(body);
            // verify_slice compares in constant time.
            m.verify_slice(&bytes)
                .map_err(|_| "signature does not match (wrong secret or body)".to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(text: &str) -> Template {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn renders_strictly_and_keeps_values_as_data() {
        let t = template(
            r#"name = "gh-{number}"
command = ["cat"]
stdin_template = "Title: {{ vars.title }}"
description = "issue {number}"
[vars]
number = "issue.number"
title = "issue.title"
"#,
        );
        let body = json!({"issue": {"number": 42, "title": "{{ 7*7 }} oops"}});
        let j = t.job("gh", &body).unwrap();
        assert_eq!(j.name.as_deref(), Some("gh-42"));
        assert_eq!(j.description.as_deref(), Some("issue 42"));
        assert!(j.manual && j.require_approval);
        assert_eq!(
            j.vars["title"], "{{ 7*7 }} oops",
            "passed as a var, not rendered"
        );
        let e = t.job("gh", &json!({"issue": {"number": 1}})).unwrap_err();
        assert!(e.message.contains("issue.title"), "{}", e.message);
        let e = t
            .job("gh", &json!({"issue": {"number": {"x": 1}, "title": "t"}}))
            .unwrap_err();
        assert!(e.message.contains("issue.number"), "{}", e.message);
        let long = "x".repeat(MAX_VALUE + 1);
        assert!(
            t.job("gh", &json!({"issue": {"number": 1, "title": long}}))
                .is_err()
        );
        assert!(render("name", "a-{nope}", &BTreeMap::new()).is_err());
        assert!(render("name", "a-{open", &BTreeMap::new()).is_err());
        assert!(toml::from_str::<Template>("name='x'\ncommand=[]\nbogus=1").is_err());
    }

    #[test]
    fn github_signatures() {
        let body = br#"{"a":1}"#;
        let mut m = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
        m.update(body);
        let hex: String = m
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let good = format!("sha256={hex}");
        let h = |v: String| move |k: &str| (k == "X-Hub-Signature-256").then(|| v.clone());
        assert!(verify_signature(Verify::Github, "s3cret", h(good.clone()), body, 0).is_ok());
        assert!(verify_signature(Verify::Github, "other", h(good.clone()), body, 0).is_err());
        assert!(verify_signature(Verify::Github, "s3cret", h(good), b"{}", 0).is_err());
        assert!(
            verify_signature(Verify::Github, "s3cret", h("sha256=zz".into()), body, 0).is_err()
        );
        assert!(verify_signature(Verify::Github, "s3cret", |_: &str| None, body, 0).is_err());
    }
}
