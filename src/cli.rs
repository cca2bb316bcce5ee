//! Command-line interface: one clap derive struct per verb.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success
  1  failure (`run --wait`: the job failed without an exit code; `doctor`: a check FAILed)
  2  invalid invocation or input (bad flag, schedule, name, manifest field)
  3  the named job or run does not exist
  4  conflict: a job with that name already exists
  5  the systemd manager or its D-Bus bus cannot be reached
  6  permission denied (system scope needs root; try --user)
  `run --wait` and `trigger` exit with the job's own status instead:
  its exit code, 128+N when killed by signal N, 124 when it hit its timeout.

With --json, stdout carries exactly one JSON document (or JSON lines for
`logs`), and an error is one JSON object on stderr:
  {\"error\": {\"code\": \"not_found\", \"message\": \"...\", \"hint\": ..., \"exit_code\": 3}}";

/// piar: schedule commands as real systemd timers, run them as transient units.
///
/// Jobs are TOML manifests plus a generated piar-<name>.service/.timer pair.
/// When the timer fires, `piar trigger` runs the job as a transient unit
/// (piar-<name>-run-<id>.service), records the result and exits: no piar
/// process runs between runs. Job output goes to the journal: `piar logs NAME`
/// or `journalctl -t piar-NAME`.
#[derive(Debug, Parser)]
#[command(
    name = "piar",
    version,
    propagate_version = true,
    after_help = EXIT_STATUS_HELP,
    max_term_width = 100
)]
pub struct Cli {
    /// Use the system manager (default when run as root): units in
    /// /etc/systemd/system, state in /var/lib/piar.
    #[arg(long, global = true, conflicts_with = "user")]
    pub system: bool,

    /// Use your user manager (default for non-root): units in
    /// ~/.config/systemd/user, state in ~/.local/state/piar.
    #[arg(long, global = true)]
    pub user: bool,

    /// Print machine-readable JSON on stdout (errors as JSON on stderr).
    #[arg(long, global = true)]
    pub json: bool,

    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
// Parsed once per process: the size difference between variants is irrelevant.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a job: write its manifest and units, enable and start its timer.
    #[command(after_help = SUBMIT_EXAMPLES)]
    Submit(SubmitArgs),
    /// List jobs with their schedule, next and last run.
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one job: manifest, generated units, next runs, last runs.
    Show(NameArgs),
    /// Start a run now (through the job's service, like the timer does).
    Run(RunArgs),
    /// Show a job's log lines from the journal.
    Logs(LogsArgs),
    /// Stop and disable a job's timer; the manifest remembers it is paused.
    Pause(NameArgs),
    /// Re-enable and start a paused job's timer.
    Resume(NameArgs),
    /// Remove a job: stop it, disable and delete its units and manifest.
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
    /// Run one job now and record it (what piar-<name>.service executes).
    ///
    /// Starts the job as the transient unit piar-<name>-run-<id>.service,
    /// waits for it, writes the run record under the state directory and
    /// exits with the job's status. If a run of the job is still active, the
    /// new run is recorded as `skipped` and trigger exits 0. You rarely call
    /// this yourself: use `piar run`.
    #[command(hide = true)]
    Trigger(NameArgs),
    /// Manage named callback secrets (stored 0600 under the state directory).
    Secret(SecretArgs),
    /// List callback deliveries and their attempts; `retry` redelivers dead letters.
    Callbacks(CallbacksArgs),
    /// Internal: deliver or re-arm callbacks (what retry timers run).
    #[command(hide = true)]
    Callback(CallbackArgs),
    /// Check a Standard Webhooks signature (for receivers): body on stdin.
    ///
    /// Exits 0 if the signature is valid and the timestamp within 5 minutes
    /// of now, 1 otherwise (the reason on stderr).
    Verify(VerifyArgs),
    /// Wait until a job's next run (or the given run) finishes; exit with its status.
    Wait(WaitArgs),
    /// Print one run in the shape of a callback's `data`.
    Result(ResultArgs),
    /// Apply drop-in manifests and repair units: create, update or remove jobs.
    ///
    /// Reads /etc/piar/jobs.d/*.toml (system) or ~/.config/piar/jobs.d/*.toml
    /// (user): each NAME.toml becomes job NAME, replacing a submitted job of
    /// that name; a job created from a drop-in is removed when its file goes.
    /// Also removes orphaned piar-* units (no manifest) and rewrites missing
    /// or changed ones, and repairs what a crashed piar left: timers enabled
    /// or disabled as their manifests say, runs whose trigger died marked
    /// lost, callbacks queued and re-armed. Idempotent. Exits 2 if a manifest
    /// is invalid (the others are still applied). piar-sync.path runs it on
    /// every change.
    Sync,
    /// Check systemd, permissions, lingering, clock sync, drift and disk space.
    ///
    /// Each check prints OK, WARN or FAIL with a fix. Exits 0 when no check
    /// is FAIL, 1 otherwise.
    Doctor,
    /// Write man pages or shell completions generated from this binary (for packagers).
    #[command(hide = true)]
    Generate(GenerateArgs),
}

const SUBMIT_EXAMPLES: &str = "\
Examples:
  piar submit --name disk-report --cron '*/5 * * * *' -- df -h /
  piar submit --cron '0 9 * * 1-5' --tz Europe/Berlin -- /usr/local/bin/brief
  piar submit --every 6h --timeout 10m -- /usr/local/bin/backup
  piar submit --at 'in 5m' -- sh -c 'echo reminder'
  piar submit --at '2026-12-01 09:00' --tz Europe/London -- systemctl reboot
  piar submit --on-calendar 'Sat *-*-* 03:00' -- apt-get -y upgrade
  piar submit --manual --name deploy -- /srv/deploy.sh
  piar submit --dry-run --every 1h -- true      # print manifest and units only";

/// `piar submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Job name, [a-z0-9][a-z0-9_-]{0,62}; derived from the command if omitted.
    #[arg(long, short = 'n')]
    pub name: Option<String>,

    #[command(flatten)]
    pub schedule: ScheduleArgs,

    /// IANA time zone for --cron and --at (default: the system zone, written
    /// into the manifest).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// Stop the run after this long (30s, 10m, 2h; 0 = no limit).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,

    /// Environment variable for the run (repeatable).
    #[arg(long = "env", short = 'e', value_name = "KEY=VALUE")]
    pub env: Vec<String>,

    /// Working directory of the run (absolute path).
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,

    /// Free text describing the job.
    #[arg(long, short = 'd', value_name = "TEXT")]
    pub description: Option<String>,

    /// Metadata kept with the job for you or your agent (repeatable KEY=VALUE).
    #[arg(long = "meta", value_name = "KEY=VALUE")]
    pub metadata: Vec<String>,

    /// Read the job from a manifest file (see piar.toml(5)); command-line
    /// options then may only add --name, --replace, --dry-run.
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with_all = ["command", "at", "every", "cron", "on_calendar", "manual", "callback_url"])]
    pub file: Option<PathBuf>,

    /// Replace an existing job of the same name (its run history is kept).
    #[arg(long)]
    pub replace: bool,

    /// Print the manifest and unit files that would be written; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub callback: SubmitCallbackArgs,

    /// The command and its arguments, after `--`. No shell: write
    /// `sh -c '...'` for one.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// The schedule flags of `submit` (exactly one, unless --file is used).
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct ScheduleArgs {
    /// Once, at a time: RFC 3339, 'YYYY-MM-DD HH:MM[:SS]' (in --tz), or
    /// relative: 'in 5m', '+90s'.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,

    /// Soon after submit, then every interval: 90s, 15m, 6h, 1d, 1h30m.
    #[arg(long, value_name = "INTERVAL")]
    pub every: Option<String>,

    /// 5-field cron expression (crontab(5)), read in --tz: '0 9 * * 1-5', '@daily'.
    #[arg(long, value_name = "EXPR")]
    pub cron: Option<String>,

    /// Raw systemd calendar spec (systemd.time(7)), repeatable: 'Mon *-*-* 09:00'.
    #[arg(long = "on-calendar", value_name = "SPEC")]
    pub on_calendar: Vec<String>,

    /// No timer: the job runs only through `piar run`.
    #[arg(long)]
    pub manual: bool,
}

/// `piar list`.
#[derive(Debug, Args)]
pub struct ListArgs {}

/// Commands that take one job name.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// The job's name.
    pub name: String,
}

/// `piar run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The job's name.
    pub name: String,

    /// Wait for the run to finish and exit with the job's status (its exit
    /// code, 128+N for signal N, 124 for a timeout).
    #[arg(long, short = 'w')]
    pub wait: bool,
}

/// `piar logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The job's name.
    pub name: String,

    /// Keep printing new lines as they are written.
    #[arg(long, short = 'f')]
    pub follow: bool,

    /// Show the last N lines.
    #[arg(long, short = 'n', value_name = "N")]
    pub lines: Option<u32>,

    /// Only the lines of this run (a run id from `piar show`).
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
}

/// `piar rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// The job's name.
    pub name: String,

    /// Also delete the job's run records.
    #[arg(long)]
    pub purge: bool,
}

/// The callback flags of `submit` (see the `[callback]` table in piar.toml(5)).
#[derive(Debug, Args)]
pub struct SubmitCallbackArgs {
    /// POST a signed JSON payload to this http(s) URL when a run finishes.
    #[arg(id = "callback_url", long = "callback", value_name = "URL")]
    pub url: Option<String>,

    /// Sign with this named secret (`piar secret set NAME`).
    #[arg(
        id = "callback_secret",
        long = "callback-secret",
        value_name = "NAME",
        requires = "callback_url"
    )]
    pub secret: Option<String>,

    /// Which runs send a callback: success, failure or always (default).
    #[arg(
        id = "callback_on",
        long = "callback-on",
        value_name = "WHEN",
        requires = "callback_url"
    )]
    pub on: Option<String>,

    /// Also send pi-agent-runner's X-Runner-* headers: `pi-agent-runner`.
    #[arg(
        id = "callback_compat",
        long = "callback-compat",
        value_name = "MODE",
        requires = "callback_url"
    )]
    pub compat: Option<String>,

    /// Delivery attempts before a callback is dead-lettered (1-20, default 8).
    #[arg(
        id = "callback_attempts",
        long = "callback-attempts",
        value_name = "N",
        requires = "callback_url"
    )]
    pub attempts: Option<u32>,

    /// Total timeout of one delivery attempt (default 30s).
    #[arg(
        id = "callback_timeout",
        long = "callback-timeout",
        value_name = "DURATION",
        requires = "callback_url"
    )]
    pub timeout: Option<String>,
}

/// `piar secret`.
#[derive(Debug, Args)]
pub struct SecretArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: SecretAction,
}

/// `piar secret` subcommands.
#[derive(Debug, Subcommand)]
pub enum SecretAction {
    /// Store a secret: the value is read from stdin (one line), or generated.
    Set {
        /// The secret's name, [a-z0-9][a-z0-9_-]{0,62}.
        name: String,
        /// Generate a new `whsec_` secret and print it once (give it to the receiver).
        #[arg(long)]
        generate: bool,
    },
    /// List the secrets' names (never their values).
    #[command(visible_alias = "ls")]
    List,
    /// Delete a secret.
    #[command(visible_alias = "remove")]
    Rm {
        /// The secret's name.
        name: String,
    },
}

/// `piar callbacks`.
#[derive(Debug, Args)]
pub struct CallbacksArgs {
    /// Only dead-lettered and gone deliveries.
    #[arg(long)]
    pub failed: bool,

    /// `retry ID|--all`.
    #[command(subcommand)]
    pub action: Option<CallbacksAction>,
}

/// `piar callbacks` subcommands.
#[derive(Debug, Subcommand)]
pub enum CallbacksAction {
    /// Redeliver a dead-lettered (or gone) delivery now, with a fresh attempt budget.
    Retry {
        /// The delivery id (from `piar callbacks`).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Every dead-lettered delivery.
        #[arg(long)]
        all: bool,
    },
}

/// `piar callback` (internal).
#[derive(Debug, Args)]
pub struct CallbackArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: CallbackAction,
}

/// `piar callback` subcommands.
#[derive(Debug, Subcommand)]
pub enum CallbackAction {
    /// Make the next attempt of one delivery.
    Deliver {
        /// The delivery id.
        id: String,
    },
    /// Re-arm pending deliveries that have no retry timer.
    Rearm,
}

/// `piar verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// File holding the secret (`whsec_<base64>`).
    #[arg(long, value_name = "FILE")]
    pub secret_file: PathBuf,

    /// The `webhook-id` header.
    #[arg(long, value_name = "ID")]
    pub id: String,

    /// The `webhook-timestamp` header (Unix seconds).
    #[arg(long, value_name = "TS")]
    pub timestamp: String,

    /// The `webhook-signature` header (`v1,<base64>`, possibly several).
    #[arg(long, value_name = "SIG")]
    pub signature: String,
}

/// `piar wait`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// A job name (wait for its next run to start and finish) or a run id.
    pub target: String,

    /// Give up after this long (30s, 10m; default: wait forever); exit 1.
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
}

/// `piar result`.
#[derive(Debug, Args)]
pub struct ResultArgs {
    /// The run id (from `piar show`, `piar callbacks`, or a callback's `data.run_id`).
    pub run: String,
}

#[cfg(test)]
mod callback_cli_tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
/// `piar generate` (hidden): documentation generated from the code.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What to generate.
    #[command(subcommand)]
    pub what: GenerateWhat,
}

/// The outputs of `piar generate`.
#[derive(Debug, Subcommand)]
pub enum GenerateWhat {
    /// Write piar.1 and one piar-<verb>.1 per subcommand into DIR.
    Man {
        /// Output directory (created if missing).
        dir: PathBuf,
    },
    /// Print the completion script for SHELL, or write it into DIR under the
    /// name that shell's vendor directory expects (piar, _piar, piar.fish).
    Completions {
        /// bash, zsh or fish (also elvish, powershell).
        shell: clap_complete::Shell,
        /// Output directory (created if missing); stdout if omitted.
        dir: Option<PathBuf>,
    },
}
