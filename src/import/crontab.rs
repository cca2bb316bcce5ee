//! crontab(5) files -> one job per entry line.
//!
//! Line kinds, as cronie's `load_entry`/`load_env` read them:
//! - blank lines and lines whose first non-blank character is `#`: skipped;
//! - `NAME = VALUE` (blanks around `=` allowed; a value wrapped in matching
//!   `'` or `"` keeps its inner blanks): applies to the entry lines below it;
//! - entries: 5 time fields or an `@alias`, then (system format only) a user
//!   name, then the command, which is the rest of the line.
//!
//! Environment lines: `CRON_TZ` and `TZ` set the time zone the fields of the
//! following entries are read in (`TZ` also goes into the job's environment,
//! as cron passes it on); an empty value goes back to the default zone.
//! `SHELL` is the shell the command runs in (default `/bin/sh`, as cron's).
//! `MAILTO` is not supported (piar does not send mail): a warning with a hint
//! to use a callback; an empty `MAILTO=` (no mail) is accepted silently.
//! Everything else (`PATH`, `HOME`, ...) becomes the job's environment.
//!
//! The command: cron runs it as `$SHELL -c COMMAND`, and so does the job. A
//! `%` that is not escaped as `\%` ends the command: the rest of the line is
//! the command's standard input, each further `%` a newline (crontab(5),
//! cronie's `do_command.c`). piar jobs have no stdin of their own, so such a
//! line becomes `/bin/sh -c 'printf %s "$1" | "$2" -c "$3"' piar-cron-stdin
//! INPUT SHELL COMMAND`: the text is passed as an argument (no quoting, no
//! here-document) and piped into the shell; the exit status is the command's.
//!
//! The user column (system crontabs: /etc/crontab, /etc/cron.d/*): piar runs
//! a job as the user of its scope (root for system jobs, you for user jobs),
//! so a line whose user is not the importing user is rejected with a per-line
//! error (user scope) or a job with `run_as = USER` (system scope); an
//! accepted line keeps the name in `metadata.cron_user`.

use std::collections::BTreeMap;

use super::{EntryError, Warning};
use crate::error::{Error, Result};
use crate::schedule::{at, cron::CronExpr};

/// The shell cron uses when the crontab sets no `SHELL` (crontab(5)).
pub const DEFAULT_SHELL: &str = "/bin/sh";

/// `argv[0]` of the wrapper that feeds `%` text to the command's stdin.
pub const STDIN_WRAPPER_NAME: &str = "piar-cron-stdin";

/// How to read a crontab.
#[derive(Debug, Clone)]
pub struct Options {
    /// System format: a user name between the time fields and the command.
    pub system: bool,
    /// Zone for entries before any `CRON_TZ`/`TZ` line (IANA name).
    pub default_tz: String,
    /// The user jobs run as in this scope; other users in the user column are
    /// rejected unless `run_as` allows them.
    pub run_user: String,
    /// Lines for other users become jobs with `run_as = USER` (system scope,
    /// where piar can start runs as any user).
    pub run_as: bool,
}

/// One entry line, ready to become a job.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// 1-based line number.
    pub line: usize,
    /// The line as written (trimmed).
    pub text: String,
    /// The 5 time fields joined by single spaces, or the `@alias`.
    pub cron: String,
    /// IANA zone the fields are read in.
    pub tz: String,
    /// The user column (system format only).
    pub user: Option<String>,
    /// The shell command (before the first unescaped `%`, `\%` unescaped).
    pub command: String,
    /// Standard input from the `%` rule, if the line has one.
    pub stdin: Option<String>,
    /// `SHELL` in effect.
    pub shell: String,
    /// Environment in effect (without `CRON_TZ`, `SHELL`, `MAILTO`).
    pub env: BTreeMap<String, String>,
}

impl Entry {
    /// The job's argv: `SHELL -c COMMAND`, or the stdin wrapper (module docs).
    pub fn argv(&self) -> Vec<String> {
        match &self.stdin {
            None => vec![self.shell.clone(), "-c".into(), self.command.clone()],
            Some(input) => vec![
                DEFAULT_SHELL.into(),
                "-c".into(),
                r#"printf %s "$1" | "$2" -c "$3""#.into(),
                STDIN_WRAPPER_NAME.into(),
                input.clone(),
                self.shell.clone(),
                self.command.clone(),
            ],
        }
    }

    /// The program the command starts: the first word of the command,
    /// quotes removed (used to name the job).
    pub fn program(&self) -> String {
        self.command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_matches(['"', '\''])
            .to_string()
    }
}

/// What a crontab held.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Good entry lines, in file order.
    pub entries: Vec<Entry>,
    /// Bad lines (not imported).
    pub errors: Vec<EntryError>,
    /// Notes about lines that were still read (e.g. `MAILTO`).
    pub warnings: Vec<Warning>,
}

/// Where the zone for the next entries comes from.
#[derive(Debug, Clone)]
enum Zone {
    /// A valid IANA name.
    Ok(String),
    /// The `CRON_TZ`/`TZ` line `line` set an invalid zone `name`.
    Bad { line: usize, name: String },
}

/// Parse a whole crontab. Never fails as a whole: every bad line is an
/// [`EntryError`] naming its line (and, from the cron parser, the field and
/// its column), and the other lines are still read.
pub fn parse(text: &str, opts: &Options) -> Parsed {
    let mut reader = Reader {
        opts,
        out: Parsed::default(),
        zone: Zone::Ok(opts.default_tz.clone()),
        shell: DEFAULT_SHELL.to_string(),
        env: BTreeMap::new(),
    };
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim_matches([' ', '\t', '\r']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match env_assignment(trimmed) {
            Some((name, value)) => reader.assignment(i + 1, name, value),
            None => reader.entry(i + 1, trimmed),
        }
    }
    reader.out
}

/// The state of a crontab read line by line: what was parsed so far, and the
/// settings (zone, `SHELL`, environment) that apply to the next entries.
struct Reader<'o> {
    opts: &'o Options,
    out: Parsed,
    zone: Zone,
    shell: String,
    env: BTreeMap<String, String>,
}

impl Reader<'_> {
    /// Record `error` as line `line`'s.
    fn fail(&mut self, line: usize, error: Error) {
        self.out.errors.push(EntryError {
            line,
            file: None,
            error: error.context(format!("line {line}")),
        });
    }

    /// A `NAME=VALUE` line: `CRON_TZ`/`TZ` set the zone of the entries below,
    /// `SHELL` their shell, `MAILTO` is reported as unsupported, the rest
    /// goes to their environment.
    fn assignment(&mut self, line: usize, name: String, value: String) {
        match name.as_str() {
            "CRON_TZ" | "TZ" => {
                if name == "TZ" {
                    self.env.insert(name.clone(), value.clone());
                }
                self.zone = if value.is_empty() {
                    Zone::Ok(self.opts.default_tz.clone())
                } else {
                    match at::validate_tz(&value) {
                        Ok(_) => Zone::Ok(value),
                        Err(e) => {
                            self.fail(line, e.context(&name));
                            Zone::Bad { line, name: value }
                        }
                    }
                };
            }
            "SHELL" => {
                if value.is_empty() {
                    self.fail(line, Error::invalid("SHELL: expected a shell path"));
                } else {
                    self.shell = value.clone();
                    self.env.insert(name, value);
                }
            }
            "MAILTO" => {
                if !value.is_empty() {
                    self.out.warnings.push(Warning {
                        line,
                        message: format!(
                            "line {line}: MAILTO={value} is not supported: piar sends no mail; \
                             job output goes to the journal (`piar logs NAME`)"
                        ),
                        hint: Some(
                            "piar reports runs by webhook instead: add a [callback] table \
                             to the job's manifest and `piar submit --replace -f FILE`, \
                             or submit it with --callback-url URL"
                                .into(),
                        ),
                    });
                }
            }
            _ => {
                self.env.insert(name, value);
            }
        }
    }

    /// An entry line (`trimmed`): parsed with the zone, shell and environment
    /// in force.
    fn entry(&mut self, line: usize, trimmed: &str) {
        match parse_entry(trimmed, line, self.opts) {
            Ok((cron, user, command, stdin)) => {
                let tz = match &self.zone {
                    Zone::Ok(tz) => tz.clone(),
                    Zone::Bad { line: at, name } => {
                        let e = Error::invalid(format!(
                            "time zone {name:?} set on line {at} is not valid"
                        ));
                        self.fail(line, e);
                        return;
                    }
                };
                self.out.entries.push(Entry {
                    line,
                    text: trimmed.to_string(),
                    cron,
                    tz,
                    user,
                    command,
                    stdin,
                    shell: self.shell.clone(),
                    env: self.env.clone(),
                });
            }
            Err(e) => self.fail(line, e),
        }
    }
}

/// `NAME = VALUE` (cronie's `load_env`): a name of letters, digits and `_`
/// not starting with a digit, optional blanks, `=`, the value trimmed and,
/// when wrapped in matching quotes, unwrapped. `None` if the line is no
/// assignment (an entry line never is: its first field is a minute).
fn env_assignment(line: &str) -> Option<(String, String)> {
    let (name, value) = line.split_once('=')?;
    let name = name.trim_end_matches([' ', '\t']);
    let mut chars = name.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_')
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return None;
    }
    let value = value.trim_matches([' ', '\t']);
    let unquoted = ['"', '\''].iter().find_map(|q| {
        value
            .strip_prefix(*q)
            .and_then(|v| v.strip_suffix(*q))
            .filter(|_| value.len() >= 2)
    });
    Some((name.to_string(), unquoted.unwrap_or(value).to_string()))
}

/// Split off the first blank-separated token: `(token, rest)`, the rest with
/// its leading blanks removed.
fn token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches([' ', '\t']);
    if s.is_empty() {
        return None;
    }
    let end = s.find([' ', '\t']).unwrap_or(s.len());
    Some((&s[..end], s[end..].trim_start_matches([' ', '\t'])))
}

/// One entry line -> (cron fields, user, command, stdin).
type EntryParts = (String, Option<String>, String, Option<String>);

/// Parse an entry line: time fields (checked by [`CronExpr::parse`], whose
/// error names the field, column and range), the user column in system
/// format, the command with the `%` rule applied.
fn parse_entry(line: &str, number: usize, opts: &Options) -> Result<EntryParts> {
    let mut rest = line;
    let mut fields = Vec::new();
    let count = if line.starts_with('@') { 1 } else { 5 };
    for _ in 0..count {
        match token(rest) {
            Some((t, r)) => {
                fields.push(t);
                rest = r;
            }
            None => break,
        }
    }
    let cron = fields.join(" ");
    if fields.len() < count {
        return Err(Error::invalid(format!(
            "expected 5 time fields and a command, found {} field(s) {cron:?} and no command",
            fields.len()
        ))
        .with_hint("e.g. `*/5 * * * * /usr/local/bin/job` or `@daily /usr/local/bin/job`"));
    }
    CronExpr::parse(&cron)?;
    let user = if opts.system {
        let Some((user, r)) = token(rest) else {
            return Err(Error::invalid(
                "expected a user name after the time fields (system crontab format)",
            )
            .with_hint("a user crontab has no user column: leave out --system-crontab"));
        };
        rest = r;
        if user != opts.run_user && !opts.run_as {
            return Err(Error::invalid(format!(
                "the job runs as user {user:?}, but piar runs jobs of this scope as {:?}",
                opts.run_user
            ))
            .with_hint(format!(
                "import such lines as that user (e.g. `sudo -u {user} piar --user import crontab ...`); \
                 other lines of the file are imported (line {number} is not)"
            )));
        }
        Some(user.to_string())
    } else {
        None
    };
    if rest.is_empty() {
        return Err(Error::invalid(format!("no command after the schedule {cron:?}"))
            .with_hint(if opts.system {
                "system format: minute hour day month weekday USER COMMAND"
            } else {
                "a line is: minute hour day month weekday COMMAND (a user column needs --system-crontab)"
            }));
    }
    let (command, stdin) = split_percent(rest);
    if command.trim().is_empty() {
        return Err(Error::invalid(
            "the command is empty (the line starts its stdin with `%` at once)",
        ));
    }
    Ok((cron, user, command, stdin))
}

/// The `%` rule (crontab(5), cronie's `do_command.c`): in the command, `\%`
/// becomes `%` and the first unescaped `%` ends it; in the rest (stdin), `\%`
/// becomes `%` and an unescaped `%` becomes a newline. Other backslashes stay.
pub fn split_percent(text: &str) -> (String, Option<String>) {
    let mut command = String::new();
    let mut chars = text.chars().peekable();
    let mut input = None;
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'%') => {
                chars.next();
                command.push('%');
            }
            '%' => {
                input = Some(chars.by_ref().collect::<String>());
                break;
            }
            c => command.push(c),
        }
    }
    let stdin = input.map(|rest| {
        let mut out = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&'%') => {
                    chars.next();
                    out.push('%');
                }
                '%' => out.push('\n'),
                c => out.push(c),
            }
        }
        out
    });
    (command, stdin)
}

/// Whether `path` is a system crontab by location: `/etc/crontab` or a file
/// directly under `/etc/cron.d/` (their format has a user column).
pub fn is_system_path(path: &std::path::Path) -> bool {
    path == std::path::Path::new("/etc/crontab")
        || path.parent() == Some(std::path::Path::new("/etc/cron.d"))
}

#[cfg(test)]
mod tests;
