//! Command-line interface: one clap derive struct per verb.
//!
//! The `///` comments in this file are clap's help texts, printed verbatim by
//! `--help` and the man pages: they keep `<name>` and `[a-z0-9]` as users
//! read them, so rustdoc's HTML and link checks do not apply here.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success
  1  failure (`run --wait`: the job failed without an exit code; `doctor`: a check FAILed)
  2  invalid invocation or input (bad flag, schedule, name, manifest field)
  3  the named job or run does not exist
  4  conflict: a job with that name already exists, an idempotency key was
     used for another request, or the job's approval state forbids the action
     (pending approval, rejected, needs no approval)
  5  the systemd manager or its D-Bus bus cannot be reached
  6  permission denied (system scope needs root; try --user), or you may not
     approve that job (approvers in the scope's config.toml)
  75 `wait`/`run --wait` --timeout passed before the run ended (error `timeout`)
  `run --wait`, `wait` and `trigger` exit with the job's own status instead
  (the final attempt's, after retries): its exit code, 128+N when killed by
  signal N (143: canceled by `piar stop`), 124 when it hit its timeout, 0 when
  skipped (overlap=forbid). `stop` with nothing running exits 0.

With --json, stdout carries exactly one JSON document (or JSON lines for
`logs`), and an error is one JSON object on stderr:
  {\"error\": {\"code\": \"not_found\", \"message\": \"...\", \"hint\": ..., \"exit_code\": 3}}";

/// piar: schedule commands as real systemd timers, run them as transient units.
///
/// Jobs are TOML manifests plus a generated piar-<name>.service/.timer pair.
/// When the timer fires, `piar trigger` runs the job as a transient unit
/// (piar-<name>.run-<id>.service), records the result and exits: no piar
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
    /// List jobs with their schedule, next and last run, sorted by name.
    #[command(visible_alias = "ls", after_help = LIST_EXAMPLES)]
    List(ListArgs),
    /// Show one job: manifest, generated units, next runs, last runs.
    Show(NameArgs),
    /// Change a job in place: schedule, command, env, timeout, callback, ...
    ///
    /// Only the options given change; the name and run history stay. The
    /// units are rewritten and reloaded (rolled back if systemd refuses); a
    /// run in progress is not disturbed. Jobs pending approval stay pending.
    #[command(after_help = EDIT_EXAMPLES)]
    Edit(EditArgs),
    /// Approve a job submitted with --require-approval: enable its timer.
    ///
    /// Only a job that requires approval can be approved (exit 4 otherwise). Who may
    /// decide: root; the `approvers` listed in the scope's config file
    /// (/etc/piar/config.toml, ~/.config/piar/config.toml); without that list anyone
    /// but the account that submitted the job (exit 6). A one-shot whose time has
    /// passed is refused (exit 4) unless --run-now.
    #[command(after_help = APPROVE_EXAMPLES)]
    Approve(ApproveArgs),
    /// Reject a job pending approval: remove its units, keep it listed as rejected.
    Reject(RejectArgs),
    /// Stop a running run of a job (or one run by id); it is recorded as `canceled`.
    ///
    /// Idempotent: with nothing running it exits 0 (`--json`: `{"stopped": []}`).
    /// Exits 3 only if there is no such job and the run id is not valid.
    Stop(StopArgs),
    /// List a job's past runs: start, status, duration, artifact (`--json`: Run objects).
    History(HistoryArgs),
    /// Preview a schedule: the timer lines piar would write, a description, the next runs.
    ///
    /// Takes a cron line (also @daily ... @reboot), a systemd calendar spec (checked
    /// by systemd-analyze), an --at time ('tomorrow 9am', '2026-12-01 09:00') or an
    /// interval (15m, 1h30m), and detects which; --cron, --on-calendar, --at or
    /// --every say it explicitly. Next runs are computed by systemd-analyze, shown
    /// in the job's zone and in UTC. Creates nothing; needs no systemd manager.
    #[command(after_help = CALENDAR_EXAMPLES)]
    Calendar(CalendarArgs),
    /// Start a run now: the trigger the job's timer runs, in a unit of its own.
    ///
    /// Prints the run (its id) as soon as it is recorded: status `running`, or
    /// `skipped` when an overlap=forbid run is still active (exit 0 either way).
    /// --date/--scheduled-for render the job's templates (stdin, args, output path)
    /// as if for that slot (a backfill; the record's scheduled_for is that slot);
    /// --dry-run prints the rendered run and starts nothing.
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Show a job's log lines from the journal.
    Logs(LogsArgs),
    /// Stop and disable a job's timer; the manifest remembers it is paused.
    ///
    /// With --until TIME the job resumes by itself then (a transient timer runs
    /// `piar resume`; no daemon).
    #[command(after_help = PAUSE_EXAMPLES)]
    Pause(PauseArgs),
    /// Re-enable and start a paused job's timer.
    ///
    /// The job runs at its next scheduled time; runs missed while paused are not caught
    /// up (also for interval jobs). `--now` also runs it once at once; `--at TIME` keeps
    /// it paused and resumes it then.
    #[command(after_help = PAUSE_EXAMPLES)]
    Resume(ResumeArgs),
    /// Remove a job: stop it, disable and delete its units and manifest.
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
    /// Run one job now and record it (what piar-<name>.service executes).
    ///
    /// Starts the job as the transient unit piar-<name>.run-<id>.service,
    /// waits for it, writes the run record under the state directory and
    /// exits with the job's status. If a run of the job is still active, the
    /// job's overlap policy decides: `forbid` (default) records the new run
    /// as `skipped` and exits 0; `allow` and `replace` (which first stops the
    /// active run) start the run plus a watcher unit that records it, and
    /// exit 0 at once. You rarely call this yourself: use `piar run`.
    #[command(hide = true)]
    Trigger(TriggerArgs),
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
    /// Wait until a run finishes (through retries); exit with its status.
    ///
    /// A run id, or a job name: its run in progress, else its next run (a one-shot
    /// job past its time: its last run). --timeout passing exits 75.
    Wait(WaitArgs),
    /// Print one run (the Run shape, with its output tail), whatever its status.
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
    /// Repair what a crash or power cut left, with no person needed (run at boot).
    ///
    /// Finishes runs whose `piar trigger` died with their TRUE outcome, read from
    /// the journal by the run unit's name and invocation id (`succeeded`, `failed`
    /// with the exit code, ...), or `lost` with the reason when the journal has no
    /// end; re-arms retries, clock-sync deferrals and callbacks whose transient
    /// timers vanished; re-enables and starts timers whose enablement link or
    /// activation is missing (stops paused ones); removes temporary files of
    /// interrupted writes. Does not touch drop-ins or unit files (that is `piar
    /// sync`, which also does all of this). Idempotent. piar-recover.service runs
    /// `piar --system recover` at boot.
    Recover,
    /// Check systemd, permissions, lingering, clock sync, drift and disk space.
    ///
    /// Each check prints OK, WARN or FAIL with a fix. Exits 0 when no check
    /// is FAIL, 1 otherwise.
    Doctor,
    /// Write man pages or shell completions generated from this binary (for packagers).
    #[command(hide = true)]
    Generate(GenerateArgs),
    /// Create jobs from a crontab or from pi-agent-runner's manifests.
    Import(ImportArgs),
    /// Serve the Model Context Protocol on stdin/stdout for AI agents.
    ///
    /// An MCP server over stdio (JSON-RPC on stdin/stdout, logs on stderr or
    /// the journal) that lives while the client is connected and exits when
    /// stdin closes. Each tool runs this piar in the same scope with --json:
    /// schedule_job, preview_schedule, list_jobs, show_job, job_history,
    /// run_result, run_logs, run_now, wait_for_run, stop_run, pause_job,
    /// resume_job, edit_job, remove_job; resources piar://job/NAME and
    /// piar://run/RUN_ID. Remote use: `ssh pi@host piar --user mcp`.
    #[cfg(feature = "mcp")]
    #[command(after_help = MCP_EXAMPLES)]
    Mcp(McpArgs),
    /// Serve the HTTP API (started by piar-api.socket; see docs/api.md).
    ///
    /// Takes the listening socket systemd passes (socket activation) or
    /// --listen, answers JSON requests authenticated by bearer tokens (`piar
    /// token`), and exits after --idle seconds without a request: between
    /// bursts no piar process runs. Plain HTTP on loopback only; put a TLS
    /// reverse proxy in front for other hosts.
    #[cfg(feature = "api")]
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Manage the HTTP API's bearer tokens.
    #[command(after_help = TOKEN_EXAMPLES)]
    Token(TokenArgs),
    /// Install or remove the HTTP API's socket and service units.
    #[cfg(feature = "api")]
    Api(ApiArgs),
}

#[cfg(feature = "api")]
const SERVE_EXAMPLES: &str = "\
Examples:
  systemctl enable --now piar-api.socket         # system scope (the .deb ships the units)
  piar --user api enable                         # user scope: install and start the socket
  curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8787/v1/jobs
  piar --user serve --listen 127.0.0.1:8787 --idle 0   # by hand, without systemd";

const TOKEN_EXAMPLES: &str = "\
Examples:
  piar token create chat-bot --scope submit --jobs bot-   # prints the token once
  piar token create alice --scope approve
  piar token list
  piar token rm chat-bot";

/// `piar serve`.
#[cfg(feature = "api")]
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Exit after this many seconds without a request (0: never).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub idle: u64,
    /// Listen on this loopback address (e.g. 127.0.0.1:8787) instead of the
    /// socket systemd passes.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
}

/// `piar token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: TokenAction,
}

/// `piar token` actions.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token and print it once (it is stored only hashed).
    Create {
        /// Token name, [a-z0-9][a-z0-9_-]{0,62}: what logs and approvals show.
        name: String,
        /// What it may do: read, submit (read + change jobs), approve (read +
        /// approve/reject) or admin (everything).
        #[arg(long, value_name = "SCOPE")]
        scope: String,
        /// Limit it to jobs whose name starts with PREFIX.
        #[arg(long = "jobs", value_name = "PREFIX")]
        jobs: Option<String>,
    },
    /// List the tokens (names, scopes, prefixes; never the tokens).
    #[command(visible_alias = "ls")]
    List,
    /// Remove a token: requests with it are refused from then on.
    Rm {
        /// The token's name.
        name: String,
    },
}

/// `piar api`.
#[cfg(feature = "api")]
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ApiAction,
}

/// `piar api` actions.
#[cfg(feature = "api")]
#[derive(Debug, Subcommand)]
pub enum ApiAction {
    /// Install piar-api.socket and piar-api.service for this scope and start
    /// the socket (user scope: into ~/.config/systemd/user; system scope: the
    /// package ships them, this enables them).
    Enable {
        /// The address systemd listens on (ListenStream=), loopback only.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
        listen: String,
    },
    /// Stop and disable the socket; user scope: remove the installed units.
    Disable,
}

#[cfg(feature = "mcp")]
const MCP_EXAMPLES: &str = "\
Examples:
  claude mcp add piar -- piar --user mcp
  claude mcp add pi -- ssh pi@raspberrypi piar --user mcp
  piar --user mcp --allow-approval      # a person's client: adds approve_job, reject_job

See docs/agents.md for Claude Desktop / Cursor JSON and an authorized_keys restriction.";

/// `piar mcp`.
#[cfg(feature = "mcp")]
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Also offer the approve_job and reject_job tools. Without it an agent
    /// cannot approve the jobs it submitted with require_approval.
    #[arg(long)]
    pub allow_approval: bool,
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
  piar submit --dry-run --every 1h -- true      # print manifest and units only
  piar submit --name brief --cron '0 6 * * *' --var topic=ops \\
      --stdin 'Write the {{ vars.topic }} brief for {{ date }}' \\
      --output 'brief/{{ date }}.md' -- claude -p   # templated prompt, saved output";

const EDIT_EXAMPLES: &str = "\
Examples:
  piar edit backup --every 12h
  piar edit backup --timeout 30m --env RETAIN=7 --unset-env DEBUG
  piar edit backup -- /usr/local/bin/backup --full
  piar edit backup --cron '0 3 * * *' --dry-run   # print the diff only";

/// `piar submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Job name, [a-z0-9][a-z0-9_-]{0,62}; derived from the command if omitted.
    #[arg(long, short = 'n')]
    pub name: Option<String>,

    #[allow(missing_docs)] // clap: a flattened group or a flag documented by its arg(help)
    #[command(flatten)]
    pub opts: JobOptions,

    /// Read the job from a manifest file (see piar.toml(5)); command-line
    /// options then may only add --name, --replace, --dry-run and the
    /// template flags.
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with_all = ["command", "at", "every", "cron", "on_calendar", "manual", "callback_url", "require_synced_clock"])]
    pub file: Option<PathBuf>,

    /// Replace an existing job of the same name (its run history is kept).
    #[arg(long)]
    pub replace: bool,

    /// Print the manifest and unit files that would be written; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Store the job as pending approval: nothing fires (and `piar run`
    /// refuses) until `piar approve NAME`.
    #[arg(long)]
    pub require_approval: bool,

    /// Submit at most once per key: if a job with this key exists, print it
    /// (`"deduplicated": true`) and change nothing, whatever the other flags say.
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,

    /// The command and its arguments, after `--`. No shell: write
    /// `sh -c '...'` for one.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// The job options shared by `submit` and `edit` (each applies only the
/// options given; see `JobOptions::apply` in commands/submit.rs).
#[derive(Debug, Args)]
pub struct JobOptions {
    #[allow(missing_docs)] // clap: a flattened group or a flag documented by its arg(help)
    #[command(flatten)]
    pub schedule: ScheduleArgs,

    /// IANA time zone for --cron and --at (default: the system zone, written
    /// into the manifest).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// Stop the run after this long (30s, 10m, 2h; default 6h; 0 = no limit).
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

    /// Keep this many run records (default 100); older ones are deleted
    /// after each run.
    #[arg(long, value_name = "N")]
    pub keep_runs: Option<u32>,

    /// Run only while the clock is NTP-synchronised; otherwise defer the run
    /// and retry every 30s (for up to 2h). For Pis without a real-time clock.
    #[arg(long)]
    pub require_synced_clock: bool,

    #[allow(missing_docs)] // clap: a flattened group or a flag documented by its arg(help)
    #[command(flatten)]
    pub callback: SubmitCallbackArgs,

    #[allow(missing_docs)] // clap: a flattened group or a flag documented by its arg(help)
    #[command(flatten)]
    pub template: TemplateArgs,

    #[allow(missing_docs)] // clap: a flattened group or a flag documented by its arg(help)
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// `piar edit`.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// The job's name.
    pub name: String,

    #[allow(missing_docs)] // clap: a flattened group or a flag documented by its arg(help)
    #[command(flatten)]
    pub opts: JobOptions,

    /// Remove an environment variable (repeatable).
    #[arg(long, value_name = "KEY")]
    pub unset_env: Vec<String>,

    /// Remove a metadata key (repeatable).
    #[arg(long, value_name = "KEY")]
    pub unset_meta: Vec<String>,

    /// Remove the job's callback.
    #[arg(long, conflicts_with = "callback_url")]
    pub no_callback: bool,

    /// Print a unified diff of the manifest and unit files; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// A new command and its arguments, after `--` (omit to keep the command).
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// `piar approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The job's name.
    pub name: String,

    /// Also run the job once now: the way to approve a one-shot whose time has passed.
    #[arg(long)]
    pub run_now: bool,
}

const APPROVE_EXAMPLES: &str = "\
Examples:
  piar approve backup                  # a person approves an agent's job
  piar approve remind --run-now        # its --at time passed while it waited: run it now
  # /etc/piar/config.toml (system) or ~/.config/piar/config.toml (user):
  approvers = [\"alice\", \"group:ops\"]";

const PAUSE_EXAMPLES: &str = "\
Examples:
  piar pause backup                         # until `piar resume backup`
  piar pause backup --until 'tomorrow 8am'  # resumes by itself then
  piar resume backup --at 'in 2h'           # a paused job: resume it later
  piar resume backup --now --json           # resume and run once now";

/// `piar pause`.
#[derive(Debug, Args)]
pub struct PauseArgs {
    /// The job's name.
    pub name: String,

    /// Resume by itself at this time ('tomorrow 8am', 'in 2h', RFC 3339; as --at
    /// reads it, in the system's zone).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

/// `piar resume`.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The job's name.
    pub name: String,

    /// Also run the job once now (by default it runs at its next scheduled time).
    #[arg(long, conflicts_with = "at")]
    pub now: bool,

    /// Do not resume now: keep the job paused and resume it at this time (as --at
    /// reads it).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// `piar reject`.
#[derive(Debug, Args)]
pub struct RejectArgs {
    /// The job's name.
    pub name: String,

    /// Why (kept in the manifest, shown by `piar show`).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// `piar stop`.
#[derive(Debug, Args)]
pub struct StopArgs {
    /// A job name (stops all its running runs) or a run id.
    pub target: String,
}

/// `piar history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The job's name (its records outlive `piar rm` without --purge).
    pub name: String,

    /// Show the newest N runs (default 20).
    #[arg(long, short = 'n', value_name = "N", default_value_t = 20)]
    pub lines: usize,
}

/// The schedule flags of `submit` (exactly one, unless --file is used).
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct ScheduleArgs {
    /// Once, at a time (read in --tz): RFC 3339 (2026-12-01T09:00:00+01:00),
    /// 'YYYY-MM-DD HH:MM[:SS]', a clock time 'HH:MM' or 9am (tomorrow if it has passed
    /// today, as at(1); piar says so), a span '20m', '2h', '1d' or 'in 5m', '+90s', 'now',
    /// 'tomorrow 9am', 'tomorrow at 9am', 'next monday 08:30'. Single letters and
    /// letters glued to numbers ('10a') are refused: never read as military time zones.
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

const LIST_EXAMPLES: &str = "\
Examples:
  piar list --state paused --state pending-approval
  piar list --selector owner=agent --selector task=4711 --json
  piar list --failed --json            # jobs whose last run failed
  piar list --names                    # names only, no systemd query";

/// `piar list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print only the job names, one per line, sorted (reads the manifests
    /// only, no systemd query: for scripts and shell completion).
    #[arg(long, conflicts_with_all = ["state", "selector", "failed"])]
    pub names: bool,

    /// Only jobs in this state (repeat for several: any of them): waiting, running,
    /// paused, manual, pending-approval, rejected, completed, failed, done, inactive,
    /// invalid.
    #[arg(long, value_name = "STATE")]
    pub state: Vec<String>,

    /// Only jobs whose metadata KEY equals VALUE (set with --meta); repeat for
    /// several (all must match).
    #[arg(long, short = 'l', value_name = "KEY=VALUE")]
    pub selector: Vec<String>,

    /// Only jobs whose last run failed (status failed, timed_out or lost).
    #[arg(long)]
    pub failed: bool,
}

const CALENDAR_EXAMPLES: &str = "\
Examples:
  piar calendar '0 9 * * 1-5' --tz Europe/Berlin
  piar calendar '30 2 * * *' --tz America/New_York -n 3   # shows the DST lines
  piar calendar 'Mon..Fri *-*-* 09:00 Europe/Berlin'
  piar calendar 'tomorrow 9am' --tz Europe/London
  piar calendar 1h30m
  piar calendar --on-calendar daily --json";

/// `piar calendar`.
#[derive(Debug, Args)]
pub struct CalendarArgs {
    /// A cron line, OnCalendar spec, --at time or interval; the kind is detected.
    #[arg(value_name = "EXPR", required_unless_present_any = ["cron", "on_calendar", "at", "every"], conflicts_with_all = ["cron", "on_calendar", "at", "every"])]
    pub expr: Option<String>,

    /// Instead of EXPR: a 5-field cron line (crontab(5)) or @alias.
    #[arg(long, value_name = "EXPR", conflicts_with_all = ["on_calendar", "at", "every"])]
    pub cron: Option<String>,

    /// Instead of EXPR: a systemd calendar spec (systemd.time(7)).
    #[arg(long = "on-calendar", value_name = "SPEC", conflicts_with_all = ["at", "every"])]
    pub on_calendar: Option<String>,

    /// Instead of EXPR: a one-shot time, read as `submit --at` reads it: RFC 3339,
    /// 'YYYY-MM-DD HH:MM', 'HH:MM' (tomorrow if passed), '20m', 'in 5m', 'now',
    /// 'tomorrow at 9am', 'next monday 08:30'.
    #[arg(long, value_name = "TIME", conflicts_with = "every")]
    pub at: Option<String>,

    /// Instead of EXPR: an interval, read as `submit --every` reads it.
    #[arg(long, value_name = "INTERVAL")]
    pub every: Option<String>,

    /// IANA time zone for cron lines and --at times (default: the system zone).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// How many next runs to show (1-1000).
    #[arg(short = 'n', long = "count", value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub count: u16,

    /// Compute from this instant (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
}

/// The run-policy flags of `submit` (see "RUN POLICY" in piar.toml(5));
/// written into the manifest by `commands::job_flags::apply_policy`.
#[derive(Debug, Default, Args)]
pub struct PolicyArgs {
    /// When the previous run is still active: forbid (default: skip this
    /// run), allow (run both) or replace (stop the old run).
    #[arg(long, value_name = "POLICY")]
    pub overlap: Option<String>,

    /// Retry a failed or timed-out run up to N times (0-10), with
    /// exponential backoff.
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,

    /// Delay before the first retry (default 30s), doubled for each further
    /// one, at most 1h.
    #[arg(long, value_name = "DURATION")]
    pub retry_delay: Option<String>,

    /// Memory limit of the run (MemoryMax=): bytes or 512K, 256M, 2G.
    #[arg(long, value_name = "SIZE")]
    pub memory_max: Option<String>,

    /// CPU limit in percent of one CPU (CPUQuota=): 50%, 200%.
    #[arg(long, value_name = "PCT")]
    pub cpu_quota: Option<String>,

    /// Nice level of the run, -20 (first) to 19 (last).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub nice: Option<i32>,

    /// Run as this user (User=; system scope only).
    #[arg(long, value_name = "USER")]
    pub run_as: Option<String>,

    /// `strict`: read-only system, private /tmp and devices, no privilege
    /// gain; the workdir stays writable. `none`: no sandbox.
    #[arg(long, value_name = "MODE")]
    pub sandbox: Option<String>,

    /// Read KEY=VALUE lines into the job's environment (repeatable; --env wins).
    ///
    /// A manifest with environment values is stored mode 0600 (only root, or
    /// the user in user scope, can read it) and `piar show` hides the values.
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,

    /// Expose piar secret SECRET (default: NAME) to the run as the file
    /// $CREDENTIALS_DIRECTORY/NAME (repeatable).
    #[arg(long, value_name = "NAME[=SECRET]")]
    pub credential: Vec<String>,
}

/// `piar trigger` (internal).
#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// The job's name.
    pub name: String,

    /// Internal: this run retries the failed run RUN (its first attempt).
    #[arg(long, value_name = "RUN", requires = "attempt", hide = true)]
    pub retry_of: Option<String>,

    /// Internal: the attempt number of this retry (2 = first retry).
    #[arg(long, value_name = "K", requires = "retry_of", hide = true)]
    pub attempt: Option<u32>,

    /// Internal: wait for the already started run RUN and record it (what a
    /// detached run's watcher unit executes).
    #[arg(long, value_name = "RUN", conflicts_with = "retry_of", hide = true)]
    pub watch: Option<String>,

    /// Internal: record this run under the id RUN (chosen and printed by
    /// `piar run` before the trigger started).
    #[arg(long, value_name = "RUN", conflicts_with = "watch", hide = true)]
    pub run_id: Option<String>,
}

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
    /// code, 128+N for signal N, 124 for a timeout). When an overlap=forbid
    /// run is still active, the run is recorded as skipped: that record is
    /// printed and the exit status is 0.
    #[arg(long, short = 'w')]
    pub wait: bool,

    /// Run nothing: print what the run would get (its argv, standard input and
    /// artifact path, templates rendered for the slot of --date/--scheduled-for or now).
    #[arg(long, conflicts_with = "wait")]
    pub dry_run: bool,

    /// Render the templates as if for the job's slot on this day (YYYY-MM-DD in
    /// the job's zone: its first scheduled time that day, else midnight): a backfill.
    #[arg(long, value_name = "YYYY-MM-DD", conflicts_with = "scheduled_for")]
    pub date: Option<String>,

    /// Render the templates as if the timer was due at TIME (RFC 3339, or
    /// 'YYYY-MM-DD HH:MM[:SS]' in the job's zone): a backfill of that slot.
    #[arg(long, value_name = "TIME")]
    pub scheduled_for: Option<String>,
}

const RUN_EXAMPLES: &str = "\
Examples:
  piar run brief                          # start now, return at once
  piar run brief --wait --json            # start and wait; exit with the job's status
  piar run brief --dry-run --date 2026-11-30 --json   # what the 30 Nov slot gets
  piar run brief --date 2026-11-30 --wait # backfill the 30 Nov brief";

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

/// The templated input and artifact flags of `submit` (see TEMPLATES in
/// piar.toml(5)). Templates use minijinja syntax, strict: an undefined
/// variable is an error at submit time. Variables: job, run_id, date
/// (YYYY-MM-DD in the job's zone), now, scheduled_for, metadata.KEY, vars.KEY.
#[derive(Debug, Default, Args)]
pub struct TemplateArgs {
    /// The run's standard input, a template rendered per run:
    /// 'Write the brief for {{ date }}'.
    #[arg(long, value_name = "TEXT", conflicts_with = "stdin_file")]
    pub stdin: Option<String>,

    /// Like --stdin, with the template read from FILE (UTF-8, at most 64 KiB).
    #[arg(long, value_name = "FILE")]
    pub stdin_file: Option<PathBuf>,

    /// A template variable, {{ vars.KEY }} (repeatable).
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,

    /// Render the command's arguments (not the program) as templates too.
    #[arg(long)]
    pub template_args: bool,

    /// Save each run's stdout to this path template, atomically (at most
    /// 16 MiB); relative paths go under the state dir's artifacts/. A failed
    /// run writes PATH.failed instead.
    #[arg(long, value_name = "PATH_TEMPLATE")]
    pub output: Option<String>,

    /// Count a run that wrote nothing to stdout as failed (needs --output): the
    /// record says `failed` with the reason, PATH.failed is written, retries apply.
    /// `--fail-on-empty-output=false` turns it off again (edit).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub fail_on_empty_output: Option<bool>,
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
    /// A run id, or a job name: its run in progress if there is one, else
    /// its next run (a one-shot job past its time: its last run). Retries
    /// are followed to the final attempt.
    pub target: String,

    /// With a job name: wait for the job's next run even when one is in
    /// progress.
    #[arg(long)]
    pub next: bool,

    /// Give up after this long (30s, 10m; default: wait forever): exit 75
    /// with the error `timeout`; the run goes on.
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
}

/// `piar result`.
#[derive(Debug, Args)]
pub struct ResultArgs {
    /// The run id (from `piar show`, `piar callbacks`, or a callback's `data.id`).
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

/// `piar import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Where the jobs come from.
    #[command(subcommand)]
    pub source: ImportSource,
}

/// What `piar import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportSource {
    /// One job per crontab line: FILE, or `-` for stdin.
    ///
    /// Each entry line becomes a job running `$SHELL -c 'COMMAND'` (SHELL
    /// from the crontab, default /bin/sh, as cron does) on the line's cron
    /// schedule, in the zone set by the last CRON_TZ= or TZ= line above it
    /// (else --tz, else the system zone). Other NAME=VALUE lines become the
    /// job's environment (PATH, HOME, ...); MAILTO is not supported (a
    /// warning: piar sends no mail, use a callback). Text after an unescaped
    /// `%` is the command's stdin, each further `%` a newline (crontab(5));
    /// write `\%` for a literal percent sign.
    ///
    /// System crontabs (/etc/crontab, /etc/cron.d/*, or --system-crontab)
    /// have a user column: with --system a line for another user becomes a
    /// job with run_as = USER (the user must exist); with --user, where piar
    /// runs jobs only as you, it is reported as bad. The user is kept in
    /// metadata.cron_user.
    ///
    /// Job names: PREFIX + the program's name + `-` + the line number
    /// (`backup-sh-12`). Importing the same file again changes nothing:
    /// identical jobs are skipped; a job of that name with other content is
    /// reported as a conflict unless --replace.
    #[command(after_help = IMPORT_CRONTAB_HELP)]
    Crontab(ImportCrontabArgs),
    /// One job per pi-agent-runner systemd manifest (DIR/*.json).
    ///
    /// Reads files with schema pi-agent-runner.systemd-manifest.v1 (others
    /// are skipped with a warning): payload.schedule.cron (read in
    /// payload.schedule.tz, the zone that project's installer dropped; no tz
    /// -> --tz or the system zone), .everySeconds or .runAt become the
    /// schedule; `enabled: false` jobs are imported paused. Each job runs
    /// `curl -fsS -X POST API_URL/internal/systemd/trigger/ID` as the
    /// original units did, so the runner still runs the work and sends its
    /// callback. The job name is PREFIX + the id (lowercased); the payload is
    /// kept as JSON in metadata.pi_agent_runner_payload. Stop that project's
    /// installer first: it rewrites piar-<id> units every 15 seconds.
    #[command(name = "pi-agent-runner", after_help = IMPORT_PI_HELP)]
    PiAgentRunner(ImportPiAgentRunnerArgs),
}

const IMPORT_CRONTAB_HELP: &str = "\
Examples:
  crontab -l | piar --user import crontab --dry-run -
  piar --user import crontab --prefix cron- ~/old-crontab
  sudo piar import crontab /etc/cron.d/backup            # user column: root lines only
  piar import crontab --strict --json my.crontab         # all lines or nothing

Exit status: 0 every line imported (or already there), 2 some line was bad
(each is reported with its line number; the others are imported, unless
--strict: then nothing is written), 5/6 as for submit.";

const IMPORT_PI_HELP: &str = "\
Examples:
  sudo piar import pi-agent-runner --dry-run /app/data/systemd-manifests
  sudo piar import pi-agent-runner --api-url http://127.0.0.1:8787 /app/data/systemd-manifests

Exit status: 0 every file imported (or already there), 2 some file was bad
(reported by file name; the others are imported unless --strict).";

/// Options shared by the `import` sources.
#[derive(Debug, Args)]
pub struct ImportCommonArgs {
    /// Print the jobs that would be created; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Write nothing at all if any entry is bad.
    #[arg(long)]
    pub strict: bool,

    /// Replace existing jobs of the same name whose content differs.
    #[arg(long)]
    pub replace: bool,

    /// Prefix for the derived job names (e.g. `cron-`).
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub prefix: String,

    /// Default IANA time zone (default: the system zone).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

/// `piar import crontab`.
#[derive(Debug, Args)]
pub struct ImportCrontabArgs {
    /// The crontab file; `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// The file has a user column (the /etc/crontab and /etc/cron.d format);
    /// implied for those paths.
    #[arg(long)]
    pub system_crontab: bool,

    #[allow(missing_docs)] // clap: a flattened group or a flag documented by its arg(help)
    #[command(flatten)]
    pub common: ImportCommonArgs,
}

/// `piar import pi-agent-runner`.
#[derive(Debug, Args)]
pub struct ImportPiAgentRunnerArgs {
    /// The directory holding the *.json manifests (RUNNER_DATA_DIR/systemd-manifests).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// The runner API that the jobs POST to.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8787")]
    pub api_url: String,

    #[allow(missing_docs)] // clap: a flattened group or a flag documented by its arg(help)
    #[command(flatten)]
    pub common: ImportCommonArgs,
}
