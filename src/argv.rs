//! Naming the argument that is not valid UTF-8.
//!
//! clap rejects such an argument with "invalid UTF-8 was detected in one or
//! more arguments", which does not say which one. piar keeps names, commands
//! and values as UTF-8 text (manifests are TOML), so the error must name the
//! flag (or the command word) to fix.

use std::ffi::OsString;

/// The error message for the first non-UTF-8 argument of `args` (argv
/// including argv\[0\]): `--env: argument "caf\u{FFFD}" is not valid UTF-8 ...`.
/// `None` if every argument is valid UTF-8.
pub fn invalid_utf8_message(args: &[OsString]) -> Option<String> {
    let i = args.iter().position(|a| a.to_str().is_none())?;
    let lossy = args[i].to_string_lossy();
    let dashdash = args[1..i].iter().position(|a| a == "--");
    let what = if let Some(d) = dashdash {
        // args[1 + d] is `--`; the command's words follow it.
        format!("command: word {} after `--`", i - (1 + d))
    } else if let Some((flag, _)) = lossy.split_once('=').filter(|(f, _)| f.starts_with("--")) {
        flag.to_string()
    } else if let Some(prev) = args[..i]
        .last()
        .and_then(|p| p.to_str())
        .filter(|p| p.starts_with('-') && p.len() > 1 && !p.contains('='))
    {
        prev.to_string()
    } else {
        format!("argument {i}")
    };
    Some(format!(
        "{what}: {lossy:?} is not valid UTF-8 (shown with U+FFFD for the bad bytes); piar keeps \
         names, commands and values as UTF-8 text"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    fn argv(words: &[&[u8]]) -> Vec<OsString> {
        words
            .iter()
            .map(|w| OsString::from_vec(w.to_vec()))
            .collect()
    }

    #[test]
    fn names_the_flag_or_the_command_word() {
        let m = |w: &[&[u8]]| invalid_utf8_message(&argv(w)).unwrap();
        assert!(m(&[b"piar", b"submit", b"--name", b"a\xff"]).starts_with("--name: "));
        assert!(m(&[b"piar", b"submit", b"--env=A=\xff"]).starts_with("--env: "));
        assert!(m(&[b"piar", b"submit", b"-e", b"A=\xff"]).starts_with("-e: "));
        assert!(
            m(&[b"piar", b"submit", b"--manual", b"--", b"echo", b"\xff"])
                .starts_with("command: word 2 after `--`: ")
        );
        assert!(m(&[b"piar", b"\xff"]).starts_with("argument 1: "));
        assert_eq!(invalid_utf8_message(&argv(&[b"piar", b"list"])), None);
    }
}

/// Whether the command line asks for JSON: `--json` among the options
/// (before a `--` that ends them; `argv[0]` excluded). Decides how a usage
/// error that clap found is printed.
pub fn wants_json(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| a.as_os_str() != "--")
        .any(|a| a.as_os_str() == "--json")
}

/// A usage error (exit 2) as the JSON error object of `--json`
/// (`docs/schemas/error.json`): `code` `invalid`, `message` clap's first
/// line without its `error: ` prefix, `hint` its usage line and tip.
pub fn usage_error_json(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid command line");
    let first = first.strip_prefix("error: ").unwrap_or(first).to_string();
    let hint: Vec<&str> = lines
        .filter(|l| l.starts_with("Usage:") || l.starts_with("tip:") || l.starts_with("For more"))
        .collect();
    let hint = (!hint.is_empty()).then(|| hint.join(" "));
    serde_json::json!({
        "error": {
            "code": "invalid",
            "message": first,
            "hint": hint,
            "exit_code": 2,
        }
    })
    .to_string()
}

#[cfg(test)]
mod json_usage_tests {
    use super::*;

    #[test]
    fn usage_errors_under_json_are_the_error_object() {
        let args: Vec<OsString> = ["piar", "--json", "stop"].iter().map(Into::into).collect();
        assert!(wants_json(&args));
        let after: Vec<OsString> = ["piar", "submit", "--", "x", "--json"]
            .iter()
            .map(Into::into)
            .collect();
        assert!(!wants_json(&after));
        let v: serde_json::Value = serde_json::from_str(&usage_error_json(
            "error: unexpected argument '--bogus' found\n\nUsage: piar stop <TARGET>\n\nFor more information, try '--help'.\n",
        ))
        .unwrap();
        assert_eq!(v["error"]["code"], "invalid");
        assert_eq!(v["error"]["exit_code"], 2);
        assert_eq!(v["error"]["message"], "unexpected argument '--bogus' found");
        assert!(
            v["error"]["hint"]
                .as_str()
                .unwrap()
                .contains("Usage: piar stop")
        );
    }
}
