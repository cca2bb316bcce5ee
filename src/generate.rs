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
Conflict: a job with that name already exists.
.TP
\fB5\fR
The systemd manager or its D\-Bus bus cannot be reached.
.TP
\fB6\fR
Permission denied (system scope needs root; try \fB\-\-user\fR).
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
    } else if let Some(after) = cmd.get_after_help() {
        let text = after.to_string();
        let body = text.strip_prefix("Examples:\n").unwrap_or(&text);
        buf.extend_from_slice(b".SH EXAMPLES\n.nf\n");
        for line in body.lines() {
            buf.extend_from_slice(roff_escape(line.trim_start()).as_bytes());
            buf.push(b'\n');
        }
        buf.extend_from_slice(b".fi\n");
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
