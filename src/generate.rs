//! Documentation generated from the command-line definition: man pages
//! (clap_mangen) and shell completions (clap_complete).
//!
//! `piar generate man DIR` writes `piar.1` plus one `piar-<verb>.1` per
//! visible subcommand; `piar generate completions SHELL [DIR]` writes the
//! completion script for bash, zsh or fish. The results are committed under
//! `man/` and `completions/` (a test fails when they are stale) and installed
//! by the Debian package. `man/piar.toml.5` is hand-written and not touched.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::{Error, Result};

/// The shells `generate completions` supports, with the file name each one's
/// vendor directory expects (bash-completion: the command name; zsh: `_name`;
/// fish: `name.fish`).
pub const SHELLS: [(Shell, &str); 3] = [
    (Shell::Bash, "piar"),
    (Shell::Zsh, "_piar"),
    (Shell::Fish, "piar.fish"),
];

/// The EXIT STATUS section of piar(1), in roff.
const EXIT_STATUS_ROFF: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success.
.TP
\fB1\fR
Failure (for \fBpiar doctor\fR: at least one check is FAIL).
.TP
\fB2\fR
Invalid invocation or input: a bad flag, schedule, name or manifest field.
.TP
\fB3\fR
The named job or run does not exist.
.TP
\fB4\fR
Conflict: a job with that name already exists, an idempotency key was used for
another request, or the job's approval state forbids the action.
.TP
\fB5\fR
The systemd manager or its D\-Bus bus cannot be reached.
.TP
\fB6\fR
Permission denied (system scope needs root; try \fB\-\-user\fR), or not allowed
to approve the job.
.TP
\fB75\fR
\fBpiar wait \-\-timeout\fR gave up before the run ended (error code \fBtimeout\fR;
the run goes on). Not 1, which is a job's own exit 1.
.PP
\fBpiar run \-\-wait\fR, \fBpiar wait\fR and \fBpiar trigger\fR exit with the job's own
status instead (after following retries to the final attempt): its exit code, 128+\fIN\fR
when killed by signal \fIN\fR (143 for a run canceled with \fBpiar stop\fR), 124 when it
hit its timeout, 0 for a run skipped under overlap=forbid.
\fBpiar stop\fR with nothing running exits 0 (\fB{"stopped": []}\fR).
.PP
With \fB\-\-json\fR, stdout carries exactly one JSON document (JSON lines for
\fBpiar logs\fR) and an error, also a usage error, is one JSON object on stderr:
\fB{"error": {"code": "not_found", "message": "...", "hint": ..., "exit_code": 3}}\fR.
"#;

/// The FILES section of piar(1), in roff.
const FILES_ROFF: &str = r#".SH FILES
.TP
\fI/etc/systemd/system/piar\-NAME.{service,timer}\fR
Units of a system\-scope job (generated; do not edit).
.TP
\fI/var/lib/piar/jobs/NAME.toml\fR
Manifest of a system\-scope job, the source of truth; see \fBpiar.toml\fR(5).
.TP
\fI/var/lib/piar/runs/NAME/RUN\-ID.json\fR
One record per run of a system\-scope job.
.TP
\fI/etc/piar/jobs.d/*.toml\fR
Drop\-in manifests of system\-scope jobs, applied by \fBpiar sync\fR.
.TP
\fI/etc/piar/config.toml\fR
Config of the system scope: \fBapprovers = ["alice", "group:ops"]\fR, who may
approve (user scope: \fI~/.config/piar/config.toml\fR; \fB$PIAR_CONFIG\fR overrides).
.TP
\fI/var/lib/piar/approvals/NAME.json\fR
The approval decision of a job, written only by \fBpiar approve\fR/\fBreject\fR.
.TP
\fI~/.config/systemd/user/piar\-NAME.{service,timer}\fR
Units of a user\-scope job.
.TP
\fI~/.local/state/piar/\fR
State of user\-scope jobs: \fIjobs/\fR, \fIruns/\fR (\fB$XDG_STATE_HOME/piar\fR).
.TP
\fI~/.config/piar/jobs.d/*.toml\fR
Drop\-in manifests of user\-scope jobs (\fB$XDG_CONFIG_HOME/piar/jobs.d\fR).
"#;

/// SEE ALSO, on every page.
const SEE_ALSO_ROFF: &str = r#".SH "SEE ALSO"
\fBpiar\fR(1), \fBpiar.toml\fR(5), \fBsystemd.timer\fR(5), \fBsystemd.time\fR(7),
\fBcrontab\fR(5), \fBjournalctl\fR(1), \fBsystemctl\fR(1)
"#;

/// What a verb's man page says beyond `--help`: the JSON Schemas of its
/// `--json` output (files in `docs/schemas/`), its exit codes, and examples
/// for the verbs whose `after_help` has none.
pub struct VerbDoc {
    /// The verb (`piar-<verb>.1`).
    pub verb: &'static str,
    /// (schema file in docs/schemas/, when it applies).
    pub schemas: &'static [(&'static str, &'static str)],
    /// (exit code, meaning) for this verb; every error under `--json` is also
    /// described by `error.json`.
    pub exit: &'static [(u8, &'static str)],
    /// Example lines (`# comment` allowed), used when the verb's `after_help`
    /// has no examples.
    pub examples: &'static [&'static str],
}

const E2: (u8, &str) = (
    2,
    "invalid input: a flag, name, time or manifest field (the message names it)",
);
const E3: (u8, &str) = (3, "no such job");
const E5: (u8, &str) = (5, "the systemd manager cannot be reached");
const E6: (u8, &str) = (6, "permission denied (system scope needs root)");

/// The per-verb documentation of every visible verb (a unit test checks that
/// each verb has an entry and each schema exists).
pub const VERB_DOCS: &[VerbDoc] = &[
    VerbDoc {
        verb: "submit",
        schemas: &[
            (
                "submit.json",
                "the job created (or found by --idempotency-key)",
            ),
            ("submit-dry-run.json", "with --dry-run"),
        ],
        exit: &[
            (
                0,
                "the job is stored and its units are active (or, --idempotency-key, the same request found its job)",
            ),
            E2,
            (
                4,
                "a job with that name exists (use --replace), or the --idempotency-key was used for another request (the message names its job)",
            ),
            E5,
            E6,
        ],
        examples: &[],
    },
    VerbDoc {
        verb: "list",
        schemas: &[
            ("list.json", "the jobs, sorted by name"),
            ("names.json", "with --names"),
        ],
        exit: &[
            (0, "success, also when nothing matches the filters"),
            (2, "an unknown --state or a --selector without ="),
            E5,
            E6,
        ],
        examples: &[],
    },
    VerbDoc {
        verb: "show",
        schemas: &[("show.json", "the job, its units, next and last runs")],
        exit: &[(0, "success"), E3, E5],
        examples: &[
            "piar show backup",
            "piar show backup --json | jq .next_runs",
        ],
    },
    VerbDoc {
        verb: "edit",
        schemas: &[(
            "edit.json",
            "what changed (or would), the diff and the next runs",
        )],
        exit: &[
            (0, "edited (or nothing to change)"),
            E2,
            E3,
            (4, "the job was rejected, or a drop-in file defines it"),
            E5,
            E6,
        ],
        examples: &[],
    },
    VerbDoc {
        verb: "approve",
        schemas: &[("approve.json", "the decision")],
        exit: &[
            (0, "approved (or already approved)"),
            (2, "the config file is invalid (names the key)"),
            E3,
            (
                4,
                "the job does not require approval, was rejected, or is a one-shot whose time passed (use --run-now)",
            ),
            E5,
            (
                6,
                "you may not decide: not root, not in approvers, or (without approvers) you submitted the job",
            ),
        ],
        examples: &[],
    },
    VerbDoc {
        verb: "reject",
        schemas: &[("approve.json", "the decision")],
        exit: &[
            (0, "rejected (or already rejected)"),
            (2, "the config file is invalid"),
            E3,
            (4, "the job does not require approval or is not pending"),
            E5,
            (6, "you may not decide (as for approve)"),
        ],
        examples: &["piar reject cleanup --reason 'deletes too much'"],
    },
    VerbDoc {
        verb: "stop",
        schemas: &[("stop.json", "the runs stopped")],
        exit: &[
            (0, "stopped, or nothing was running (`stopped: []`)"),
            (3, "no such job or run"),
            E5,
            E6,
        ],
        examples: &["piar stop backup", "piar stop 20261202-091500-ab12 --json"],
    },
    VerbDoc {
        verb: "history",
        schemas: &[("history.json", "the runs, newest first")],
        exit: &[(0, "success"), E2, E3],
        examples: &[
            "piar history backup -n 5",
            "piar history backup --json -n 1",
        ],
    },
    VerbDoc {
        verb: "calendar",
        schemas: &[("calendar.json", "timer lines, description and next runs")],
        exit: &[
            (0, "success"),
            (1, "systemd-analyze is missing or failed"),
            (2, "the expression is not a valid schedule"),
        ],
        examples: &[],
    },
    VerbDoc {
        verb: "run",
        schemas: &[
            (
                "run.json",
                "the run (at once: status running, or skipped under overlap=forbid; with --wait: the finished run)",
            ),
            ("run-dry-run.json", "with --dry-run: what the run would get"),
        ],
        exit: &[
            (
                0,
                "started or skipped (--dry-run: rendered; --wait: the run succeeded)",
            ),
            (
                1,
                "the trigger could not start or wrote no run record; a template that fails for the slot",
            ),
            E2,
            E3,
            (4, "the job is pending approval or was rejected"),
            E5,
            E6,
            (
                75,
                "--wait --timeout passed before the run ended (the run goes on)",
            ),
        ],
        examples: &[
            "piar run backup --json | jq -r .id",
            "piar run backup --wait --timeout 10m",
        ],
    },
    VerbDoc {
        verb: "logs",
        schemas: &[],
        exit: &[(0, "success"), E3, E5],
        examples: &[
            "piar logs backup -n 50",
            "piar logs backup --run 20261202-091500-ab12 --json",
            "piar logs backup -f",
        ],
    },
    VerbDoc {
        verb: "pause",
        schemas: &[("pause.json", "the job's state, next run and resume time")],
        exit: &[
            (0, "paused"),
            (2, "--until is not a time in the future"),
            E3,
            E5,
            E6,
        ],
        examples: &[],
    },
    VerbDoc {
        verb: "resume",
        schemas: &[("pause.json", "the job's state, next run and resume time")],
        exit: &[
            (0, "resumed (or, --at, resuming later)"),
            (2, "--at is not a time in the future"),
            E3,
            (
                4,
                "pending approval or rejected; --at of a job that is not paused",
            ),
            E5,
            E6,
        ],
        examples: &[],
    },
    VerbDoc {
        verb: "rm",
        schemas: &[("rm.json", "the units removed")],
        exit: &[(0, "removed"), E3, E5, E6],
        examples: &[
            "piar rm backup",
            "piar rm backup --purge --json   # also its run records",
        ],
    },
    VerbDoc {
        verb: "wait",
        schemas: &[("run.json", "the finished run (the final attempt)")],
        exit: &[
            (0, "the run succeeded (or was skipped)"),
            (1, "the run failed without an exit code"),
            E3,
            (
                75,
                "--timeout passed before the run ended (the run goes on)",
            ),
        ],
        examples: &[
            "piar wait backup --timeout 1h",
            "piar wait 20261202-091500-ab12 --json",
        ],
    },
    VerbDoc {
        verb: "result",
        schemas: &[("result.json", "the one Run shape, with its output tail")],
        exit: &[(0, "success"), (3, "no such run")],
        examples: &["piar result 20261202-091500-ab12 --json"],
    },
    VerbDoc {
        verb: "callbacks",
        schemas: &[("callbacks.json", "pending and failed deliveries")],
        exit: &[(0, "success")],
        examples: &["piar callbacks --json"],
    },
    VerbDoc {
        verb: "secret",
        schemas: &[
            ("secret-set.json", "secret set"),
            ("secret-rm.json", "secret rm"),
            ("names.json", "secret list"),
        ],
        exit: &[(0, "success"), E2, (3, "no such secret"), E6],
        examples: &[
            "printf %s \"$TOKEN\" | piar secret set api-token",
            "piar secret set --generate hook   # prints whsec_... once",
        ],
    },
    VerbDoc {
        verb: "verify",
        schemas: &[],
        exit: &[
            (0, "the signature is valid"),
            (
                1,
                "the signature is invalid, too old, or the body unreadable",
            ),
            E2,
        ],
        examples: &[
            "piar verify --secret-file hook.key --id \"$ID\" --timestamp \"$TS\" --signature \"$SIG\" < body.json",
        ],
    },
    VerbDoc {
        verb: "sync",
        schemas: &[(
            "sync.json",
            "what was created, updated, removed or repaired",
        )],
        exit: &[
            (0, "in sync"),
            (
                2,
                "a drop-in or manifest is invalid (the others are applied)",
            ),
            E5,
            E6,
        ],
        examples: &["piar sync --json"],
    },
    VerbDoc {
        verb: "doctor",
        schemas: &[("doctor.json", "the checks")],
        exit: &[(0, "every check is OK or WARN"), (1, "a check is FAIL")],
        examples: &["piar doctor", "piar --user doctor --json"],
    },
    VerbDoc {
        verb: "import",
        schemas: &[(
            "import.json",
            "the jobs imported (or, --dry-run, that would be)",
        )],
        exit: &[
            (0, "imported"),
            E2,
            (4, "a job of that name exists"),
            E5,
            E6,
        ],
        examples: &[
            "piar import crontab --dry-run --json - < /etc/crontab",
            "piar import pi-agent-runner --help   # the other source",
        ],
    },
    VerbDoc {
        verb: "mcp",
        schemas: &[],
        exit: &[(0, "the client closed stdin"), E2],
        examples: &[],
    },
    VerbDoc {
        verb: "recover",
        schemas: &[("recover.json", "what was repaired")],
        exit: &[(0, "success (also when nothing needed repair)"), E5, E6],
        examples: &[
            "sudo piar recover            # what piar-recover.service runs at boot",
            "piar recover --user --json",
        ],
    },
    VerbDoc {
        verb: "serve",
        schemas: &[],
        exit: &[
            (
                0,
                "idle for --idle seconds: exited (systemd starts it again)",
            ),
            E2,
            (1, "no listening socket from systemd, or the server failed"),
        ],
        examples: &["systemctl start piar-api.socket   # then: curl http://127.0.0.1:8787/v1/jobs"],
    },
    VerbDoc {
        verb: "token",
        schemas: &[],
        exit: &[(0, "success"), E2, (3, "no such token"), E6],
        examples: &[
            "sudo piar token create agent --scope submit --jobs agent-",
            "sudo piar token list",
            "sudo piar token rm agent",
        ],
    },
    VerbDoc {
        verb: "api",
        schemas: &[],
        exit: &[(0, "success"), E2, E5, E6],
        examples: &[
            "sudo piar api enable                    # 127.0.0.1:8787",
            "piar api enable --user --listen 127.0.0.1:9090",
            "sudo piar api disable",
        ],
    },
];

/// The JSON OUTPUT and EXIT STATUS sections of `verb`'s page, in roff.
fn verb_sections(doc: &VerbDoc) -> String {
    let mut s = String::from(".SH \"JSON OUTPUT\"\n");
    if doc.schemas.is_empty() {
        s.push_str(&roff_escape(match doc.verb {
            "logs" => "With --json: JSON lines, one object per journal line.",
            "mcp" => "stdout carries JSON-RPC (the MCP protocol); each tool's structured result is the --json output of its verb.",
            "serve" => "The HTTP API answers in JSON (docs/api.md, docs/openapi.json); the verb itself prints nothing.",
            _ => "No JSON document on success; errors as below.",
        }));
        s.push('\n');
    } else {
        s.push_str(&roff_escape(
            "With --json, stdout carries exactly one JSON document, described by a JSON Schema (draft 2020-12) in docs/schemas/ of piar's source:",
        ));
        s.push('\n');
        for (file, when) in doc.schemas {
            s.push_str(&format!(
                ".TP\n\\fI{}\\fR\n{}\n",
                roff_escape(file),
                roff_escape(when)
            ));
        }
    }
    s.push_str(".PP\n");
    s.push_str(&roff_escape(
        "On failure stdout is empty and stderr holds one object, error.json: {\"error\": {\"code\", \"message\", \"hint\", \"exit_code\"}}.",
    ));
    s.push_str("\n.SH \"EXIT STATUS\"\n");
    for (code, meaning) in doc.exit {
        s.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff_escape(meaning)));
    }
    if doc.verb == "run" || doc.verb == "wait" {
        s.push_str(".PP\n");
        s.push_str(&roff_escape(
            "run --wait and wait exit with the job's own status: its exit code, 128+N when killed by signal N, 124 when it hit its timeout.",
        ));
        s.push('\n');
    }
    s
}

/// The clap command, built (so global flags propagate and subcommands get
/// their `piar-<verb>` display names), without the `help` subcommand.
fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Escape free text for roff: backslashes, hyphens, and a leading `.`/`'`.
fn roff_escape(text: &str) -> String {
    let text = text.replace('\\', "\\e").replace('-', "\\-");
    if text.starts_with('.') || text.starts_with('\'') {
        format!("\\&{text}")
    } else {
        text
    }
}

/// Render one man page. The top-level page gets EXIT STATUS and FILES; a
/// subcommand's `after_help` (its examples) becomes an EXAMPLES section.
fn render_page(cmd: &clap::Command, top: bool) -> Result<Vec<u8>> {
    let man =
        clap_mangen::Man::new(cmd.clone()).source(format!("piar {}", env!("CARGO_PKG_VERSION")));
    let mut buf = Vec::new();
    let io = |e: std::io::Error| Error::failed(format!("cannot render a man page: {e}"));
    man.render_title(&mut buf).map_err(io)?;
    man.render_name_section(&mut buf).map_err(io)?;
    man.render_synopsis_section(&mut buf).map_err(io)?;
    man.render_description_section(&mut buf).map_err(io)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf).map_err(io)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut buf).map_err(io)?;
    }
    if top {
        buf.extend_from_slice(EXIT_STATUS_ROFF.as_bytes());
        buf.extend_from_slice(FILES_ROFF.as_bytes());
    } else {
        let verb = cmd
            .get_name()
            .strip_prefix("piar-")
            .unwrap_or(cmd.get_name());
        let doc = VERB_DOCS.iter().find(|d| d.verb == verb);
        let after = cmd.get_after_help().map(|a| a.to_string());
        let lines: Vec<String> = match (&after, doc) {
            (Some(text), _) => {
                let body = text.strip_prefix("Examples:\n").unwrap_or(text);
                body.lines().map(|l| l.trim_start().to_string()).collect()
            }
            (None, Some(d)) => d.examples.iter().map(|l| (*l).to_string()).collect(),
            (None, None) => Vec::new(),
        };
        if !lines.is_empty() {
            buf.extend_from_slice(b".SH EXAMPLES\n.nf\n");
            for line in lines {
                buf.extend_from_slice(roff_escape(&line).as_bytes());
                buf.push(b'\n');
            }
            buf.extend_from_slice(b".fi\n");
        }
        if let Some(d) = doc {
            buf.extend_from_slice(verb_sections(d).as_bytes());
        }
    }
    buf.extend_from_slice(SEE_ALSO_ROFF.as_bytes());
    Ok(buf)
}

/// Every generated man page: (file name, contents). `piar.1` first, then
/// `piar-<verb>.1` for each visible subcommand, in definition order.
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>> {
    let cmd = command();
    let mut pages = vec![("piar.1".to_string(), render_page(&cmd, true)?)];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("piar-{}.1", sub.get_name());
        pages.push((name, render_page(sub, false)?));
    }
    Ok(pages)
}

/// The completion script for `shell`, with the file name its vendor directory
/// expects.
pub fn completion(shell: Shell) -> (String, Vec<u8>) {
    let file = SHELLS
        .iter()
        .find(|(s, _)| *s == shell)
        .map_or_else(|| format!("piar.{shell}"), |(_, f)| (*f).to_string());
    let mut cmd = command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "piar", &mut buf);
    let verbs = job_name_verbs(&cmd);
    match shell {
        Shell::Bash => buf.extend_from_slice(bash_job_names(&verbs).as_bytes()),
        Shell::Fish => buf.extend_from_slice(fish_job_names(&verbs).as_bytes()),
        _ => {}
    }
    (file, buf)
}

/// The verbs whose first positional argument is a job name (an argument
/// with id `name`), in clap's order.
pub fn job_name_verbs(cmd: &clap::Command) -> Vec<String> {
    cmd.get_subcommands()
        .filter(|sub| {
            !sub.is_hide_set()
                && sub
                    .get_positionals()
                    .next()
                    .is_some_and(|a| a.get_id() == "name")
        })
        .map(|sub| sub.get_name().to_string())
        .collect()
}

/// Bash: complete job names (from `piar list --names`, in the scope given
/// by a `--user`/`--system` already typed) as the first word after a verb
/// that takes one; everything else goes to clap's generated `_piar`.
fn bash_job_names(verbs: &[String]) -> String {
    format!(
        r#"
# Job names for the verbs that take one (added by piar, not clap_complete).
_piar_job_names() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" verb="" scope="" i w
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${{COMP_WORDS[i]}}"
        case "$w" in
            --user|--system) scope="$w" ;;
            -*) ;;
            *)
                if [[ -z "$verb" ]]; then
                    verb="$w"
                else
                    # A word after the verb: the name is already there.
                    _piar "$@"
                    return
                fi
                ;;
        esac
    done
    case "$verb" in
        {verbs})
            if [[ "$cur" != -* ]]; then
                COMPREPLY=( $(compgen -W "$(piar $scope list --names 2>/dev/null)" -- "$cur") )
                return 0
            fi
            ;;
    esac
    _piar "$@"
}}
complete -F _piar_job_names -o bashdefault -o default piar
"#,
        verbs = verbs.join("|")
    )
}

/// Fish: job names after the verbs that take one.
fn fish_job_names(verbs: &[String]) -> String {
    format!(
        "\n# Job names for the verbs that take one (added by piar, not clap_complete).\n\
         complete -c piar -n \"__fish_seen_subcommand_from {}\" -f -a \"(piar list --names 2>/dev/null)\" -d job\n",
        verbs.join(" ")
    )
}

/// Write `contents` to `dir/file`, creating `dir` if needed; returns the path.
pub fn write_file(dir: &Path, file: &str, contents: &[u8]) -> Result<PathBuf> {
    crate::state::fs::ensure_dir(dir)?;
    let path = dir.join(file);
    let mut f = std::fs::File::create(&path).map_err(|e| Error::io("cannot create", &path, e))?;
    f.write_all(contents)
        .map_err(|e| Error::io("cannot write", &path, e))?;
    Ok(path)
}

#[cfg(test)]
mod verb_doc_tests {
    use super::*;

    #[test]
    fn every_visible_verb_has_docs_and_every_schema_exists() {
        let cmd = command();
        let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas");
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let verb = sub
                .get_name()
                .strip_prefix("piar-")
                .unwrap_or(sub.get_name());
            let doc = VERB_DOCS
                .iter()
                .find(|d| d.verb == verb)
                .unwrap_or_else(|| panic!("no VERB_DOCS entry for {verb}"));
            assert!(!doc.exit.is_empty(), "{verb}: no exit codes");
            assert!(
                sub.get_after_help().is_some() || !doc.examples.is_empty(),
                "{verb}: no examples"
            );
            for (file, _) in doc.schemas {
                assert!(schemas.join(file).is_file(), "{verb}: no schema {file}");
            }
        }
    }

    #[test]
    fn a_verb_page_has_examples_json_and_exit_status() {
        let pages = man_pages().unwrap();
        let (_, page) = pages.iter().find(|(n, _)| n == "piar-approve.1").unwrap();
        let text = String::from_utf8_lossy(page);
        for want in [
            ".SH EXAMPLES",
            ".SH \"JSON OUTPUT\"",
            "approve.json",
            ".SH \"EXIT STATUS\"",
            "\\fB6\\fR",
        ] {
            assert!(text.contains(want), "piar-approve.1 lacks {want}:\n{text}");
        }
    }
}
