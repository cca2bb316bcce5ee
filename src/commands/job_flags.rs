//! Where `submit`/`edit` flags meet the manifest: each function writes the
//! flags that were given into a [`Manifest`], leaving the other fields alone
//! (so `piar edit` can reuse them). The domain modules never see clap types
//! (ripgrep's flags boundary); values are validated later by
//! [`crate::model::manifest::validate::validate`].

use std::collections::BTreeMap;
use std::path::Path;

use crate::cli::{PolicyArgs, TemplateArgs};
use crate::error::{Error, Result};
use crate::model::manifest::Manifest;
use crate::model::template::STDIN_TEMPLATE_MAX;

/// Write the flags that were given into `m`, leaving the other fields alone
/// (so `piar edit` can reuse it). `--env-file` entries are merged into
/// `env` (replacing equal keys). Values are validated later by
/// [`crate::model::manifest::validate::validate`]; errors here are unreadable files
/// or malformed `--credential`/`--env-file` syntax (exit 2).
pub(super) fn apply_policy(args: &PolicyArgs, m: &mut Manifest) -> Result<()> {
    if let Some(v) = &args.overlap {
        m.overlap = Some(v.clone());
    }
    if let Some(v) = args.retries {
        m.retries = Some(v);
    }
    if let Some(v) = &args.retry_delay {
        m.retry_delay = Some(v.clone());
    }
    if let Some(v) = &args.memory_max {
        m.memory_max = Some(v.clone());
    }
    if let Some(v) = &args.cpu_quota {
        m.cpu_quota = Some(v.clone());
    }
    if let Some(v) = args.nice {
        m.nice = Some(v);
    }
    if let Some(v) = &args.run_as {
        m.run_as = Some(v.clone());
    }
    if let Some(v) = &args.sandbox {
        m.sandbox = Some(v.clone());
    }
    for file in &args.env_file {
        m.env.extend(read_env_file(file)?);
    }
    for c in &args.credential {
        let (name, secret) = match c.split_once('=') {
            Some((n, s)) => (n, s),
            None => (c.as_str(), c.as_str()),
        };
        if name.is_empty() || secret.is_empty() {
            return Err(Error::invalid(format!(
                "--credential: expected NAME or NAME=SECRET, got {c:?}"
            )));
        }
        m.credentials.insert(name.to_string(), secret.to_string());
    }
    Ok(())
}

/// Read an environment file: one `KEY=VALUE` per line; empty lines and lines
/// starting with `#` or `;` are ignored; whitespace around the key and the
/// value is trimmed; a value wholly inside matching `"` or `'` quotes loses
/// them (no escapes, no `$` expansion, no line continuations: a subset of
/// systemd.exec(5) `EnvironmentFile=`). Errors name the file and line (exit 2).
pub(super) fn read_env_file(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::invalid(format!("--env-file: cannot read {}: {e}", path.display())))?;
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(Error::invalid(format!(
                "--env-file: {} line {}: expected KEY=VALUE",
                path.display(),
                i + 1
            )));
        };
        let v = v.trim();
        let v = [('"', '"'), ('\'', '\'')]
            .iter()
            .find_map(|(a, b)| {
                (v.len() >= 2 && v.starts_with(*a) && v.ends_with(*b)).then(|| &v[1..v.len() - 1])
            })
            .unwrap_or(v);
        out.insert(k.trim().to_string(), v.to_string());
    }
    Ok(out)
}

/// Apply `submit`'s template flags to `m`. Only fields whose flags were given
/// are touched (so `piar edit` can reuse this). Errors (exit 2): unreadable
/// or non-UTF-8 `--stdin-file`, a `--var` without `=`.
pub(super) fn apply_template(args: &TemplateArgs, m: &mut Manifest) -> Result<()> {
    if let Some(text) = &args.stdin {
        m.stdin = Some(text.clone());
    }
    if let Some(path) = &args.stdin_file {
        let len = std::fs::metadata(path)
            .map_err(|e| Error::io("--stdin-file: cannot read", path, e))?
            .len();
        if len > STDIN_TEMPLATE_MAX as u64 {
            return Err(Error::invalid(format!(
                "--stdin-file: {} is {len} bytes, at most {STDIN_TEMPLATE_MAX} are allowed",
                path.display()
            )));
        }
        let bytes =
            std::fs::read(path).map_err(|e| Error::io("--stdin-file: cannot read", path, e))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::invalid(format!(
                "--stdin-file: {} is not UTF-8 text (templates are text)",
                path.display()
            ))
        })?;
        m.stdin = Some(text);
    }
    if !args.vars.is_empty() {
        let mut vars = BTreeMap::new();
        for kv in &args.vars {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| Error::invalid(format!("--var: expected KEY=VALUE, got {kv:?}")))?;
            vars.insert(k.to_string(), v.to_string());
        }
        m.vars = vars;
    }
    if args.template_args {
        m.template_args = true;
    }
    if let Some(out) = &args.output {
        m.output = Some(out.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_subset() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("env");
        std::fs::write(&f, "# c\n; c\n\nA=1\n B = two words \nC=\"q\"\nD='s'\nE=\n").unwrap();
        let env = read_env_file(&f).unwrap();
        assert_eq!(env["A"], "1");
        assert_eq!(env["B"], "two words");
        assert_eq!(env["C"], "q");
        assert_eq!(env["D"], "s");
        assert_eq!(env["E"], "");
        std::fs::write(&f, "A=1\nnope\n").unwrap();
        assert!(read_env_file(&f).unwrap_err().message.contains("line 2"));
    }

    #[test]
    fn apply_touches_only_given_fields() {
        let mut m = Manifest {
            vars: BTreeMap::from([("topic".to_string(), "weather".to_string())]),
            ..Manifest::default()
        };
        m.stdin = Some("keep".into());
        apply_template(&TemplateArgs::default(), &mut m).unwrap();
        assert_eq!(m.stdin.as_deref(), Some("keep"));
        assert_eq!(m.vars.len(), 1);
        let args = TemplateArgs {
            output: Some("o.txt".into()),
            vars: vec!["a=b=c".into()],
            ..TemplateArgs::default()
        };
        apply_template(&args, &mut m).unwrap();
        assert_eq!(m.output.as_deref(), Some("o.txt"));
        assert_eq!(m.vars.get("a").map(String::as_str), Some("b=c"));
        assert_eq!(m.stdin.as_deref(), Some("keep"));
        let bad = TemplateArgs {
            vars: vec!["novalue".into()],
            ..TemplateArgs::default()
        };
        assert!(apply_template(&bad, &mut m).is_err());
    }
}
