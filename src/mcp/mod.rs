//! `piar mcp`: a Model Context Protocol server over stdio (MCP spec, "stdio"
//! transport: JSON-RPC messages, one per line, on stdin/stdout).
//!
//! `piar mcp` replaces itself ([`exec_server`], execve(2)) with the
//! `piar-mcp` binary, which runs [`main`]: tokio and the MCP SDK are linked
//! only into `piar-mcp`, never into `piar`, whose every run (`piar trigger`)
//! must stay small. Built on the official Rust SDK (crate `rmcp`) on a
//! current-thread tokio runtime. The server lives as long as the
//! client's connection: it exits when stdin closes (locally, or as `ssh host
//! piar --user mcp`), killing and reaping any CLI child it still runs. Jobs
//! live in systemd, not in this process.
//!
//! Each MCP tool runs the piar CLI itself (`<this binary> --user|--system
//! --json VERB ...`, see `mcp::child`), so tools validate input exactly like the
//! CLI, with the same errors and codes, and their structured content is the
//! CLI's `--json` document (docs/schemas/). A failure is an MCP tool error
//! (`isError: true`) whose structured content is the CLI's JSON error object
//! `{"error": {"code", "message", "hint", "exit_code"}}`. `approve_job` and
//! `reject_job` exist only with `--allow-approval`: an agent must not approve
//! its own jobs. No tool reads or prints secret values (there is no secret
//! tool; callbacks name a secret). Log lines go to stderr or the journal,
//! never to stdout.

mod child;
mod params;

use std::time::Duration;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ErrorCode, Implementation,
    ListResourceTemplatesResult, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, ExitStatus, Result};
use crate::state::layout::Scope;
use child::{CliOutput, CliRunner, ok_result, tool_error};
use params::{Bad, wait_secs};

/// How long a CLI child that does not wait for a run may take.
const CLI_TIMEOUT: Duration = Duration::from_secs(120);
/// Extra time a waiting child gets beyond its own `--timeout`.
const WAIT_MARGIN: Duration = Duration::from_secs(15);

/// The tools that exist only with `piar mcp --allow-approval`.
const APPROVAL_TOOLS: [&str; 2] = ["approve_job", "reject_job"];

/// The environment variable through which `piar mcp` tells `piar-mcp` which
/// `piar` binary to run for the tools (its own path).
pub const CLI_ENV: &str = "PIAR_MCP_CLI";

/// Where `piar-mcp` is installed by the Debian package (`piar` looks next to
/// itself first, as in a cargo target dir).
const INSTALLED_SERVER: &str = "/usr/lib/piar/piar-mcp";

/// `piar mcp`: execve(2) `piar-mcp --user|--system [--allow-approval]`
/// (next to this binary, else `INSTALLED_SERVER`, /usr/lib/piar/piar-mcp) with [`CLI_ENV`] set to
/// this binary; stdin/stdout are the client's. Returns only on error: exit 1
/// when `piar-mcp` is missing or cannot be executed.
pub fn exec_server(scope: Scope, allow_approval: bool, verbose: u8) -> Result<ExitStatus> {
    use std::os::unix::process::CommandExt;
    let me = own_exe().map_err(|e| Error::failed(format!("cannot find the piar binary: {e}")))?;
    let sibling = me.with_file_name("piar-mcp");
    let server = if sibling.is_file() {
        sibling
    } else {
        std::path::PathBuf::from(INSTALLED_SERVER)
    };
    let mut cmd = std::process::Command::new(&server);
    cmd.arg(match scope {
        Scope::System => "--system",
        Scope::User => "--user",
    });
    if allow_approval {
        cmd.arg("--allow-approval");
    }
    for _ in 0..verbose {
        cmd.arg("-v");
    }
    cmd.env(CLI_ENV, &me);
    let err = cmd.exec();
    Err(
        Error::failed(format!("cannot run {}: {err}", server.display()))
            .with_hint("piar was built without the `mcp` feature, or piar-mcp is not installed"),
    )
}

/// This process's binary; when that file was replaced (a package upgrade),
/// Linux appends " (deleted)" and the new file at the same path is meant.
pub fn own_exe() -> std::io::Result<std::path::PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(
        match exe.to_str().and_then(|s| s.strip_suffix(" (deleted)")) {
            Some(s) => std::path::PathBuf::from(s),
            None => exe,
        },
    )
}

/// The command line of `piar-mcp`.
#[derive(Debug, clap::Parser)]
#[command(
    name = "piar-mcp",
    version,
    about = "The MCP server behind `piar mcp`."
)]
struct ServerCli {
    /// The system manager's jobs.
    #[arg(long, conflicts_with = "user")]
    system: bool,
    /// Your user manager's jobs.
    #[arg(long)]
    user: bool,
    /// Offer approve_job and reject_job.
    #[arg(long)]
    allow_approval: bool,
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

/// `piar-mcp`'s main: parse, log to stderr or the journal, [`serve`]; on error
/// the CLI's text error on stderr and its exit code.
pub fn main<I: IntoIterator<Item = std::ffi::OsString>>(args: I) -> std::process::ExitCode {
    use clap::Parser;
    let cli = match ServerCli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return std::process::ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    crate::logging::init(cli.verbose, None, None);
    let scope = if cli.system {
        Scope::System
    } else if cli.user {
        Scope::User
    } else {
        Scope::default_for_euid()
    };
    match serve(scope, cli.allow_approval) {
        Ok(s) => std::process::ExitCode::from(s.code()),
        Err(e) => {
            eprintln!("piar-mcp: error: {}", e.message);
            std::process::ExitCode::from(e.kind.exit_status().code())
        }
    }
}

/// Serve MCP on stdin/stdout until the client closes stdin. `scope` is passed
/// to every CLI child as `--user`/`--system`. Errors: the runtime cannot be
/// built, or the MCP handshake fails (exit 1).
pub fn serve(scope: Scope, allow_approval: bool) -> Result<ExitStatus> {
    let runner = CliRunner::new(scope)
        .map_err(|e| Error::failed(format!("cannot find the piar binary: {e}")))?;
    let server = PiarMcp::new(runner, allow_approval);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::failed(format!("cannot start the MCP runtime: {e}")))?;
    log::info!("mcp: serving on stdio ({scope:?} scope, approval tools: {allow_approval})");
    let outcome = rt.block_on(async {
        let running = server
            .serve((tokio::io::stdin(), tokio::io::stdout()))
            .await
            .map_err(|e| Error::failed(format!("MCP handshake failed: {e}")))?;
        let reason = running.waiting().await;
        log::info!("mcp: connection closed: {reason:?}");
        Ok::<(), Error>(())
    });
    // Handlers still running are dropped here: their children are killed
    // (kill_on_drop) and nothing of piar mcp outlives the connection.
    rt.shutdown_timeout(Duration::from_secs(2));
    outcome.map(|()| ExitStatus::Success)
}

/// The MCP server: its tool router and the CLI runner.
#[derive(Clone)]
pub struct PiarMcp {
    tool_router: ToolRouter<PiarMcp>,
    cli: CliRunner,
    allow_approval: bool,
}

/// A bounds violation as the CLI's `invalid` error (exit 2).
fn bad((field, expected): Bad) -> CallToolResult {
    tool_error("invalid", format!("{field}: expected {expected}"), None, 2)
}

/// Short one-line summary of a CLI answer, per tool.
fn summary(tool: &str, v: &Value) -> String {
    let s = |k: &str| v[k].as_str().unwrap_or("?").to_string();
    match tool {
        "schedule_job" if v["deduplicated"] == true => {
            format!("job {} already exists for this idempotency key", s("name"))
        }
        "schedule_job" => format!(
            "scheduled job {} ({}); next run {}",
            s("name"),
            s("schedule"),
            v["next_run"].as_str().unwrap_or("none")
        ),
        "preview_schedule" => format!(
            "{}; next run {}",
            s("description"),
            v["next_runs"][0]["utc"].as_str().unwrap_or("never")
        ),
        "show_job" => format!("job {}: {}", s("name"), s("state")),
        "run_result" | "wait_for_run" => format!(
            "run {} of {}: {}",
            s("id"),
            v["job"].as_str().or(v["name"].as_str()).unwrap_or("?"),
            s("status")
        ),
        _ => {
            let mut t = v.to_string();
            if t.len() > 300 {
                let mut cut = 300;
                while !t.is_char_boundary(cut) {
                    cut -= 1;
                }
                t.truncate(cut);
                t.push_str("...");
            }
            t
        }
    }
}

impl PiarMcp {
    /// A server running `cli`; approve/reject tools only if `allow_approval`.
    pub fn new(cli: CliRunner, allow_approval: bool) -> PiarMcp {
        let mut tool_router = Self::tool_router();
        if !allow_approval {
            for t in APPROVAL_TOOLS {
                tool_router.remove_route(t);
            }
        }
        PiarMcp {
            tool_router,
            cli,
            allow_approval,
        }
    }

    /// Run the CLI with `args`; Ok(output) whatever its exit code.
    async fn cli(
        &self,
        args: Vec<String>,
        timeout: Duration,
        ct: &CancellationToken,
    ) -> std::result::Result<CliOutput, CallToolResult> {
        self.cli.run(args, None, timeout, ct).await
    }

    /// Run the CLI and answer with its JSON document (arrays wrapped as
    /// `{wrap: [...]}`, MCP structured content is an object) or its error.
    async fn simple(
        &self,
        tool: &str,
        args: Vec<String>,
        wrap: &str,
        ct: &CancellationToken,
    ) -> CallToolResult {
        match self.cli(args, CLI_TIMEOUT, ct).await {
            Err(r) => r,
            Ok(out) if out.code != 0 => out.into_error(),
            Ok(out) => match out.json() {
                Some(v @ Value::Object(_)) => ok_result(summary(tool, &v), v),
                Some(v) => {
                    let n = v.as_array().map_or(0, Vec::len);
                    ok_result(format!("{n} {wrap}"), json!({ wrap: v }))
                }
                None => tool_error(
                    "failed",
                    "piar answered without a JSON document".into(),
                    None,
                    1,
                ),
            },
        }
    }

    /// `piar wait --timeout=Ns -- TARGET`: the run record (whatever the run's
    /// status) or the CLI's error (a timeout is `failed`, exit 1).
    async fn wait_run(&self, target: &str, secs: u64, ct: &CancellationToken) -> CallToolResult {
        let args = vec![
            "wait".into(),
            format!("--timeout={secs}s"),
            "--".into(),
            target.into(),
        ];
        let timeout = Duration::from_secs(secs) + WAIT_MARGIN;
        match self.cli(args, timeout, ct).await {
            Err(r) => r,
            // `wait` exits with the run's status and prints the record.
            Ok(out) => match out.json() {
                Some(v @ Value::Object(_)) if v.get("id").is_some() => {
                    ok_result(summary("wait_for_run", &v), v)
                }
                _ => out.into_error(),
            },
        }
    }
}

#[tool_router]
impl PiarMcp {
    /// `piar submit`.
    #[tool(
        name = "schedule_job",
        description = "Create a job that systemd runs on a schedule (it survives this connection and reboots). \
Give the command as an argv list and exactly one of: at (once), every (interval), cron (+ tz), on_calendar, manual. \
Durations are like '30s', '15m', '2h'. For an agent CLI, put the prompt in stdin_template. \
Returns the CLI's `piar submit --json` object (name, schedule, next_run, units, ...)."
    )]
    async fn schedule_job(
        &self,
        Parameters(p): Parameters<params::Schedule>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        Ok(match p.args() {
            Err(b) => bad(b),
            Ok(args) => self.simple("schedule_job", args, "jobs", &ctx.ct).await,
        })
    }

    /// `piar calendar`.
    #[tool(
        name = "preview_schedule",
        description = "Preview a schedule without creating anything: the systemd timer lines piar would write, \
a description in words and the next run times (RFC 3339, in the zone and in UTC).",
        annotations(read_only_hint = true)
    )]
    async fn preview_schedule(
        &self,
        Parameters(p): Parameters<params::Preview>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        Ok(match p.args() {
            Err(b) => bad(b),
            Ok(args) => self.simple("preview_schedule", args, "runs", &ctx.ct).await,
        })
    }

    /// `piar list`, filtered here.
    #[tool(
        name = "list_jobs",
        description = "List jobs with schedule, state, next run and last result (times RFC 3339 UTC), \
optionally filtered by state, schedule kind, name or last result. Returns {\"jobs\": [...]}.",
        annotations(read_only_hint = true)
    )]
    async fn list_jobs(
        &self,
        Parameters(p): Parameters<params::List>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        if let Err(b) = p.check() {
            return Ok(bad(b));
        }
        let mut r = self
            .simple("list_jobs", vec!["list".into()], "jobs", &ctx.ct)
            .await;
        if r.is_error != Some(true)
            && let Some(v) = r.structured_content.as_mut()
            && let Some(jobs) = v["jobs"].as_array_mut()
        {
            jobs.retain(|j| p.keep(j));
            let names: Vec<&str> = jobs.iter().filter_map(|j| j["name"].as_str()).collect();
            let text = format!("{} jobs: {}", names.len(), names.join(", "));
            r.content = vec![rmcp::model::ContentBlock::text(text)];
        }
        Ok(r)
    }

    /// `piar show`.
    #[tool(
        name = "show_job",
        description = "Show one job: its manifest, state, generated units, next runs and last runs.",
        annotations(read_only_hint = true)
    )]
    async fn show_job(
        &self,
        Parameters(p): Parameters<params::JobName>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        if let Err(b) = p.check() {
            return Ok(bad(b));
        }
        let args = vec!["show".into(), "--".into(), p.name];
        Ok(self.simple("show_job", args, "jobs", &ctx.ct).await)
    }

    /// `piar history`.
    #[tool(
        name = "job_history",
        description = "A job's past runs, newest first, each a Run: id, status, attempt, started_at, finished_at, \
duration_ms (milliseconds), exit_code, systemd_result, output.artifact.",
        annotations(read_only_hint = true)
    )]
    async fn job_history(
        &self,
        Parameters(p): Parameters<params::History>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        if let Err(b) = params::check_fields(&[("name", Some(&p.name))]) {
            return Ok(bad(b));
        }
        let args = vec![
            "history".into(),
            format!("--lines={}", p.limit.unwrap_or(20).clamp(1, 1000)),
            "--".into(),
            p.name,
        ];
        Ok(self.simple("job_history", args, "runs", &ctx.ct).await)
    }

    /// `piar result`.
    #[tool(
        name = "run_result",
        description = "One run's result in the shape of a callback's data: status, exit_code, \
duration_ms, artifact and the tail of its output.",
        annotations(read_only_hint = true)
    )]
    async fn run_result(
        &self,
        Parameters(p): Parameters<params::RunId>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        if let Err(b) = params::check_fields(&[("run_id", Some(&p.run_id))]) {
            return Ok(bad(b));
        }
        let args = vec!["result".into(), "--".into(), p.run_id];
        Ok(self.simple("run_result", args, "runs", &ctx.ct).await)
    }

    /// `piar logs`.
    #[tool(
        name = "run_logs",
        description = "A job's log lines from the journal (optionally of one run). Returns {\"lines\": [...]}.",
        annotations(read_only_hint = true)
    )]
    async fn run_logs(
        &self,
        Parameters(p): Parameters<params::Logs>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        if let Err(b) =
            params::check_fields(&[("name", Some(&p.name)), ("run_id", p.run_id.as_deref())])
        {
            return Ok(bad(b));
        }
        let mut args = vec![
            "logs".into(),
            format!("--lines={}", p.lines.unwrap_or(100).clamp(1, 1000)),
        ];
        if let Some(r) = &p.run_id {
            args.push(format!("--run={r}"));
        }
        args.push("--".into());
        args.push(p.name.clone());
        Ok(match self.cli(args, CLI_TIMEOUT, &ctx.ct).await {
            Err(r) => r,
            Ok(out) if out.code != 0 => out.into_error(),
            Ok(out) => {
                let lines = out.json_lines();
                ok_result(
                    format!("{} log lines of {}", lines.len(), p.name),
                    json!({"name": p.name, "lines": lines}),
                )
            }
        })
    }

    /// `piar run` (+ `piar wait RUN`).
    #[tool(
        name = "run_now",
        description = "Start a run of a job now (like its timer). Returns the Run (id, status running, or skipped \
when an overlap=forbid run is still active). With wait=true, waits up to timeout_seconds (default 60), \
through retries, and returns the final Run; if it is still running then, the Run with status running."
    )]
    async fn run_now(
        &self,
        Parameters(p): Parameters<params::RunNow>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        if let Err(b) = params::check_fields(&[("name", Some(&p.name))]) {
            return Ok(bad(b));
        }
        let secs = match wait_secs("timeout_seconds", p.timeout_seconds) {
            Ok(s) => s,
            Err(b) => return Ok(bad(b)),
        };
        let ct = &ctx.ct;
        // `piar run --json` answers with the Run (its id, status running, or
        // skipped under overlap forbid) as soon as the trigger recorded it.
        let started = match self
            .cli(
                vec!["run".into(), "--".into(), p.name.clone()],
                CLI_TIMEOUT,
                ct,
            )
            .await
        {
            Err(r) => return Ok(r),
            Ok(out) if out.code != 0 => return Ok(out.into_error()),
            Ok(out) => out.json().unwrap_or(Value::Null),
        };
        let Some(run_id) = started["id"].as_str().map(String::from) else {
            return Ok(tool_error(
                "failed",
                "piar run answered without a run id".into(),
                None,
                1,
            ));
        };
        if !p.wait || started["status"] != "running" {
            return Ok(ok_result(
                format!(
                    "run {run_id} of {}: {}",
                    p.name,
                    started["status"].as_str().unwrap_or("?")
                ),
                started,
            ));
        }
        let r = self.wait_run(&run_id, secs, ct).await;
        if r.is_error == Some(true)
            && r.structured_content
                .as_ref()
                .is_some_and(|v| v["error"]["code"] == "timeout")
        {
            // Still running: the Run as it is now (status running).
            let now = match self
                .cli(
                    vec!["result".into(), "--".into(), run_id.clone()],
                    CLI_TIMEOUT,
                    ct,
                )
                .await
            {
                Ok(out) if out.code == 0 => out.json().unwrap_or(started),
                _ => started,
            };
            return Ok(ok_result(
                format!("run {run_id} of {} still running after {secs}s", p.name),
                now,
            ));
        }
        Ok(r)
    }

    /// `piar wait`.
    #[tool(
        name = "wait_for_run",
        description = "Wait until a run finishes (target = run id) or until a job's next run finishes \
(target = job name: its run in progress, else its next run), following retries to the final attempt, \
at most timeout_seconds (1-3600, default 60). Returns the Run; a timeout is a tool error with code 'timeout' (exit_code 75).",
        annotations(read_only_hint = true)
    )]
    async fn wait_for_run(
        &self,
        Parameters(p): Parameters<params::Wait>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        if let Err(b) = params::check_fields(&[("target", Some(&p.target))]) {
            return Ok(bad(b));
        }
        Ok(match wait_secs("timeout_seconds", p.timeout_seconds) {
            Err(b) => bad(b),
            Ok(secs) => self.wait_run(&p.target, secs, &ctx.ct).await,
        })
    }

    /// `piar stop`.
    #[tool(
        name = "stop_run",
        description = "Stop a running run (target = run id) or all running runs of a job (target = job name); \
they are recorded as canceled. Error not_found if nothing is running.",
        annotations(destructive_hint = true)
    )]
    async fn stop_run(
        &self,
        Parameters(p): Parameters<params::Stop>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        if let Err(b) = params::check_fields(&[("target", Some(&p.target))]) {
            return Ok(bad(b));
        }
        let args = vec!["stop".into(), "--".into(), p.target];
        Ok(self.simple("stop_run", args, "stopped", &ctx.ct).await)
    }

    /// `piar pause`.
    #[tool(
        name = "pause_job",
        description = "Pause a job: stop and disable its timer (a running run goes on); with \
until, it resumes by itself then. Returns the job's state, next run and resume_at (RFC 3339 UTC).",
        annotations(idempotent_hint = true)
    )]
    async fn pause_job(
        &self,
        Parameters(p): Parameters<params::Pause>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        if let Err(b) = p.check() {
            return Ok(bad(b));
        }
        let mut args: Vec<String> = vec!["pause".into()];
        if let Some(t) = p.until {
            args.push(format!("--until={t}"));
        }
        args.extend(["--".into(), p.name]);
        Ok(self.simple("pause_job", args, "jobs", &ctx.ct).await)
    }

    /// `piar resume`.
    #[tool(
        name = "resume_job",
        description = "Resume a paused job: re-enable and start its timer (no run at once \
unless now=true); with at, resume it later. Returns the job's state, next run and resume_at.",
        annotations(idempotent_hint = true)
    )]
    async fn resume_job(
        &self,
        Parameters(p): Parameters<params::Resume>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        if let Err(b) = p.check() {
            return Ok(bad(b));
        }
        let mut args: Vec<String> = vec!["resume".into()];
        if let Some(t) = p.at {
            args.push(format!("--at={t}"));
        }
        if p.now {
            args.push("--now".into());
        }
        args.extend(["--".into(), p.name]);
        Ok(self.simple("resume_job", args, "jobs", &ctx.ct).await)
    }

    /// `piar edit`.
    #[tool(
        name = "edit_job",
        description = "Change a job in place: schedule (one of at / every / cron / on_calendar / manual), \
command, env, timeout, callback, ... Only the options given change; name and run history stay. \
dry_run=true returns a diff and changes nothing."
    )]
    async fn edit_job(
        &self,
        Parameters(p): Parameters<params::Edit>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        Ok(match p.args() {
            Err(b) => bad(b),
            Ok(args) => self.simple("edit_job", args, "jobs", &ctx.ct).await,
        })
    }

    /// `piar rm`.
    #[tool(
        name = "remove_job",
        description = "Remove a job: stop it, delete its units and manifest. Run records stay unless purge=true.",
        annotations(destructive_hint = true, idempotent_hint = false)
    )]
    async fn remove_job(
        &self,
        Parameters(p): Parameters<params::Remove>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        if let Err(b) = params::check_fields(&[("name", Some(&p.name))]) {
            return Ok(bad(b));
        }
        let mut args = vec!["rm".to_string()];
        if p.purge {
            args.push("--purge".into());
        }
        args.push("--".into());
        args.push(p.name);
        Ok(self.simple("remove_job", args, "jobs", &ctx.ct).await)
    }

    /// `piar approve` (only with `--allow-approval`).
    #[tool(
        name = "approve_job",
        description = "Approve a job pending approval: enable its timer. Only for a person's decision."
    )]
    async fn approve_job(
        &self,
        Parameters(p): Parameters<params::JobName>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        if let Err(b) = p.check() {
            return Ok(bad(b));
        }
        let args = vec!["approve".into(), "--".into(), p.name];
        Ok(self.simple("approve_job", args, "jobs", &ctx.ct).await)
    }

    /// `piar reject` (only with `--allow-approval`).
    #[tool(
        name = "reject_job",
        description = "Reject a job pending approval: remove its units, keep it listed as rejected."
    )]
    async fn reject_job(
        &self,
        Parameters(p): Parameters<params::Reject>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        if let Err(b) =
            params::check_fields(&[("name", Some(&p.name)), ("reason", p.reason.as_deref())])
        {
            return Ok(bad(b));
        }
        let mut args = vec!["reject".to_string()];
        if let Some(r) = &p.reason {
            args.push(format!("--reason={r}"));
        }
        args.push("--".into());
        args.push(p.name);
        Ok(self.simple("reject_job", args, "jobs", &ctx.ct).await)
    }
}

/// The URI of a job resource.
fn job_uri(name: &str) -> String {
    format!("piar://job/{name}")
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for PiarMcp {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        );
        info.server_info = Implementation::new("piar", env!("CARGO_PKG_VERSION"));
        info.instructions = Some(
            "piar schedules commands as real systemd timers on this machine; jobs outlive this \
             connection and reboots. Use schedule_job (preview_schedule first if unsure), then \
             run_now / wait_for_run / run_result. Times are RFC 3339 UTC, durations_ms in \
             milliseconds. Errors carry {error: {code, message, hint, exit_code}}."
                .to_string(),
        );
        info
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        if !self.tool_router.has_route(&name) {
            let hint = if APPROVAL_TOOLS.contains(&name.as_str()) && !self.allow_approval {
                ": approving is for a person; it is available only when the server is started \
                 as `piar mcp --allow-approval`"
            } else {
                ""
            };
            return Err(ErrorData::invalid_params(
                format!("unknown tool {name:?}{hint}"),
                None,
            ));
        }
        let tcc = ToolCallContext::new(self, request, context);
        match self.tool_router.call(tcc).await {
            // Arguments that do not fit the tool's input schema: a tool error
            // the model can correct, in the CLI's error shape (exit 2).
            Err(e) if e.code == ErrorCode::INVALID_PARAMS => {
                Ok(tool_error("invalid", format!("{name}: {}", e.message), None, 2).into())
            }
            // rmcp answers such arguments itself with a text-only tool error:
            // give it the same shape.
            Ok(CallToolResponse::Complete(r))
                if r.is_error == Some(true) && r.structured_content.is_none() =>
            {
                let text: Vec<String> = r
                    .content
                    .iter()
                    .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                    .collect();
                Ok(tool_error("invalid", format!("{name}: {}", text.join(" ")), None, 2).into())
            }
            other => other,
        }
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> std::result::Result<ListResourcesResult, ErrorData> {
        let out = self
            .cli(vec!["list".into()], CLI_TIMEOUT, &context.ct)
            .await
            .map_err(|_| ErrorData::internal_error("piar list failed", None))?;
        let jobs = out.json().unwrap_or(Value::Null);
        let resources = jobs
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|j| {
                let name = j["name"].as_str()?;
                Some(
                    Resource::new(job_uri(name), name)
                        .with_description(format!(
                            "piar job {name}: {}",
                            j["schedule"].as_str().unwrap_or("")
                        ))
                        .with_mime_type("application/json"),
                )
            })
            .collect();
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new("piar://job/{name}", "job")
                .with_description("A job as `piar show NAME --json` prints it")
                .with_mime_type("application/json"),
            ResourceTemplate::new("piar://run/{run_id}", "run")
                .with_description("A run as `piar result RUN_ID --json` prints it")
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> std::result::Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri.clone();
        let args: Vec<String> = if let Some(name) = uri.strip_prefix("piar://job/") {
            vec!["show".into(), "--".into(), name.into()]
        } else if let Some(id) = uri.strip_prefix("piar://run/") {
            vec!["result".into(), "--".into(), id.into()]
        } else {
            return Err(ErrorData::resource_not_found(
                format!("unknown resource {uri:?} (piar://job/NAME or piar://run/RUN_ID)"),
                None,
            ));
        };
        if uri.len() > params::MAX_STR {
            return Err(ErrorData::invalid_params("resource URI too long", None));
        }
        let out = self
            .cli(args, CLI_TIMEOUT, &context.ct)
            .await
            .map_err(|_| ErrorData::internal_error("piar failed", None))?;
        if out.code != 0 {
            let err = out.into_error();
            let data = err.structured_content.clone();
            let msg = data
                .as_ref()
                .and_then(|v| v["error"]["message"].as_str())
                .unwrap_or("failed")
                .to_string();
            return Err(ErrorData::resource_not_found(msg, data));
        }
        let text = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, uri).with_mime_type("application/json"),
        ])
        .into())
    }
}
