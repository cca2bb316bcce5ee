//! `piar-api`: the HTTP/1.1 server behind `piar serve` (docs/api.md).
//!
//! One accept loop (tiny_http, on the socket systemd passed in or on
//! `--listen`), one thread per request (at most [`MAX_IN_FLIGHT`]; more are
//! answered 503), each request one or a few CLI children. The process exits
//! when no request has arrived or been in flight for `--idle` seconds.

use std::io::Read;
use std::net::TcpListener;
use std::os::fd::FromRawFd;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tiny_http::{Header, Method, Request, Response, Server};

use super::body::JobBody;
use super::tokens::{self, Scope as TokenScope, Token};
use crate::state::layout::{Paths, Scope};

/// Requests handled at once; one more is answered 503.
pub(super) const MAX_IN_FLIGHT: usize = 32;
/// Largest request body read, in bytes (1 MiB); a larger one is answered 413.
pub(super) const MAX_BODY: usize = 1 << 20;
/// At most this many bytes of a child's stdout are read (8 MiB).
const MAX_STDOUT: usize = 8 << 20;
/// At most this many bytes of a child's stderr are kept (64 KiB).
const MAX_STDERR: usize = 64 << 10;
/// How long a CLI child that does not wait for a run may take.
const CLI_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest long poll (`GET /v1/runs/{id}/wait?timeout=`), in seconds.
pub(super) const MAX_WAIT_SECS: u64 = 300;

/// The OpenAPI 3.1 document, served verbatim at `GET /v1/openapi.json`.
const OPENAPI: &str = include_str!("../../docs/openapi.json");

/// The command line of `piar-api`.
#[derive(Debug, clap::Parser)]
#[command(
    name = "piar-api",
    version,
    about = "The HTTP API server behind `piar serve`."
)]
struct ServerCli {
    /// The system manager's jobs.
    #[arg(long, conflicts_with = "user")]
    system: bool,
    /// Your user manager's jobs.
    #[arg(long)]
    user: bool,
    /// Exit after this many seconds without a request (0: never).
    #[arg(long, default_value_t = 60)]
    idle: u64,
    /// Listen on this address instead of a socket passed by systemd.
    #[arg(long)]
    listen: Option<String>,
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

/// `piar-api`'s main: parse, log, take the listener, serve until idle.
pub fn main<I: IntoIterator<Item = std::ffi::OsString>>(args: I) -> std::process::ExitCode {
    use clap::Parser;
    let cli = match ServerCli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return std::process::ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    crate::logging::init(cli.verbose.max(1), None, None);
    let scope = if cli.system {
        Scope::System
    } else if cli.user {
        Scope::User
    } else {
        Scope::default_for_euid()
    };
    match serve(scope, &cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(msg) => {
            log::error!("piar-api: {msg}");
            eprintln!("piar-api: {msg}");
            std::process::ExitCode::from(1)
        }
    }
}

/// The listening socket systemd passed (sd_listen_fds(3)): `LISTEN_PID` is
/// this process and `LISTEN_FDS` is 1, the socket is fd 3 (SD_LISTEN_FDS_START).
/// The variables are removed and fd 3 made close-on-exec, so CLI children
/// inherit neither. `Ok(None)`: not socket-activated.
fn inherited_listener() -> Result<Option<TcpListener>, String> {
    let pid_ok = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
        .is_some_and(|p| p == std::process::id());
    if !pid_ok {
        return Ok(None);
    }
    let n: u32 = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    // SAFETY: single-threaded here (before the server starts any thread).
    unsafe {
        std::env::remove_var("LISTEN_PID");
        std::env::remove_var("LISTEN_FDS");
        std::env::remove_var("LISTEN_FDNAMES");
    }
    match n {
        0 => return Ok(None),
        1 => {}
        n => {
            return Err(format!(
                "systemd passed {n} sockets; piar-api.socket must have exactly one ListenStream="
            ));
        }
    }
    const FD: i32 = 3;
    // SAFETY: fstat/fcntl on fd 3, which systemd passed to us.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(FD, &mut st) != 0 || (st.st_mode & libc::S_IFMT) != libc::S_IFSOCK {
            return Err("fd 3 is not a socket (LISTEN_FDS=1)".into());
        }
        let flags = libc::fcntl(FD, libc::F_GETFD);
        libc::fcntl(FD, libc::F_SETFD, flags | libc::FD_CLOEXEC);
        Ok(Some(TcpListener::from_raw_fd(FD)))
    }
}

fn serve(scope: Scope, cli: &ServerCli) -> Result<(), String> {
    let listener = match inherited_listener()? {
        Some(l) => l,
        None => {
            let addr = cli.listen.as_deref().ok_or(
                "no socket from systemd (LISTEN_FDS) and no --listen: start piar-api.socket, \
                 or give --listen 127.0.0.1:PORT",
            )?;
            TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?
        }
    };
    let local = listener
        .local_addr()
        .map_err(|e| format!("the listening socket has no address: {e}"))?;
    if !local.ip().is_loopback() {
        return Err(format!(
            "refusing to serve plain HTTP on {local}: bearer tokens must not cross a network \
             in clear text. Listen on 127.0.0.1 and put a TLS reverse proxy in front (docs/api.md)"
        ));
    }
    let paths = Paths::for_scope(scope).map_err(|e| e.to_string())?;
    let cli_exe = match std::env::var_os(super::CLI_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => crate::units::self_exe::current_path()
            .map_err(|e| e.message)?
            .with_file_name("piar"),
    };
    let server = Server::from_listener(listener, None)
        .map_err(|e| format!("cannot serve on {local}: {e}"))?;
    let app = Arc::new(App {
        scope,
        paths,
        cli: cli_exe,
    });
    let idle = Duration::from_secs(cli.idle);
    let in_flight = Arc::new(AtomicUsize::new(0));
    let last = Arc::new(Mutex::new(Instant::now()));
    log::info!(
        "piar-api: serving {} scope on http://{local}, idle exit after {}s",
        scope.as_str(),
        cli.idle
    );
    loop {
        match server.recv_timeout(Duration::from_millis(250)) {
            Ok(Some(rq)) => {
                *last.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
                if in_flight.fetch_add(1, Ordering::SeqCst) >= MAX_IN_FLIGHT {
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    let _ = rq.respond(json_response(
                        503,
                        &err_body("failed", "too many requests in flight; retry", 1),
                    ));
                    continue;
                }
                let (app, in_flight, last) = (app.clone(), in_flight.clone(), last.clone());
                std::thread::spawn(move || {
                    handle(&app, rq);
                    *last.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                });
            }
            Ok(None) => {}
            Err(e) => log::warn!("piar-api: accept: {e}"),
        }
        let quiet = last.lock().unwrap_or_else(|e| e.into_inner()).elapsed();
        if cli.idle > 0 && in_flight.load(Ordering::SeqCst) == 0 && quiet >= idle {
            log::info!("piar-api: idle for {}s, exiting", cli.idle);
            return Ok(());
        }
    }
}

/// What every request needs.
struct App {
    scope: Scope,
    paths: Paths,
    cli: PathBuf,
}

/// An answer: status and JSON body.
struct Reply {
    status: u16,
    body: Value,
}

impl Reply {
    fn ok(body: Value) -> Reply {
        Reply { status: 200, body }
    }
}

fn err_body(code: &str, message: &str, exit_code: i32) -> Value {
    json!({"error": {"code": code, "message": message, "hint": Value::Null, "exit_code": exit_code}})
}

fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
    let exit = match code {
        "invalid" => 2,
        "not_found" => 3,
        "conflict" => 4,
        "unreachable" => 5,
        "permission" => 6,
        _ => 1,
    };
    Reply {
        status,
        body: err_body(code, &message.into(), exit),
    }
}

fn invalid(field: &str, expected: &str) -> Reply {
    error(400, "invalid", format!("{field}: expected {expected}"))
}

fn json_response(status: u16, body: &Value) -> Response<std::io::Cursor<Vec<u8>>> {
    let mut text = serde_json::to_vec_pretty(body).unwrap_or_default();
    text.push(b'\n');
    Response::from_data(text)
        .with_status_code(status)
        .with_header(header("Content-Type", "application/json"))
        .with_header(header("Cache-Control", "no-store"))
}

fn header(k: &str, v: &str) -> Header {
    Header::from_bytes(k.as_bytes(), v.as_bytes()).expect("static header")
}

/// One parsed request.
struct Req {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    auth: Option<String>,
    idempotency_key: Option<String>,
    /// Every header: (lowercase name, value).
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req {
    fn header(&self, name: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }

    fn q(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn handle(app: &App, mut rq: Request) {
    let method = rq.method().clone();
    let url = rq.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let hdr = |name: &'static str| {
        rq.headers()
            .iter()
            .find(|h| h.field.equiv(name))
            .map(|h| h.value.as_str().to_string())
    };
    let headers: Vec<(String, String)> = rq
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_string(),
            )
        })
        .collect();
    let auth = hdr("Authorization");
    let idempotency_key = hdr("Idempotency-Key");
    let too_big = rq.body_length().is_some_and(|n| n > MAX_BODY);
    let mut body = Vec::new();
    let reply = if too_big {
        error(413, "invalid", format!("the body exceeds {MAX_BODY} bytes"))
    } else if rq
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)
        .is_err()
    {
        error(400, "invalid", "cannot read the request body")
    } else if body.len() > MAX_BODY {
        error(413, "invalid", format!("the body exceeds {MAX_BODY} bytes"))
    } else {
        let query: Option<Vec<(String, String)>> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                Some((percent_decode(k)?, percent_decode(v)?))
            })
            .collect();
        match (percent_decode(path), query) {
            (Some(path), Some(query)) => {
                let req = Req {
                    method: method.clone(),
                    path,
                    query,
                    auth,
                    idempotency_key,
                    headers,
                    body,
                };
                route(app, &req)
            }
            _ => error(400, "invalid", "the URL is not valid percent-encoded UTF-8"),
        }
    };
    log::debug!("piar-api: {method} {path} -> {}", reply.status);
    if path == "/v1/openapi.json" && reply.status == 200 {
        let r = Response::from_data(OPENAPI.as_bytes().to_vec())
            .with_header(header("Content-Type", "application/json"));
        let _ = rq.respond(r);
        return;
    }
    let mut resp = json_response(reply.status, &reply.body);
    if reply.status == 401 {
        resp = resp.with_header(header("WWW-Authenticate", "Bearer realm=\"piar\""));
    }
    let _ = rq.respond(resp);
}

/// Authenticate: the stored token the `Authorization: Bearer` header names,
/// with at least scope `needed`. Denials are 401 (missing/unknown) or 403
/// (scope), logged with the token's name, never the token.
fn authorize(app: &App, req: &Req, needed: TokenScope) -> Result<Token, Reply> {
    let what = format!("{} {}", req.method, req.path);
    let presented = req
        .auth
        .as_deref()
        .and_then(|h| h.strip_prefix("Bearer ").map(str::trim));
    let Some(presented) = presented.filter(|t| !t.is_empty()) else {
        log::warn!("piar-api: denied {what}: no bearer token");
        return Err(error(
            401,
            "permission",
            "missing bearer token (Authorization: Bearer piar_...)",
        ));
    };
    let all = match tokens::load(&app.paths) {
        Ok(t) => t,
        Err(e) => {
            log::error!("piar-api: {e}");
            return Err(error(500, "failed", "cannot read the token store"));
        }
    };
    let Some(tok) = tokens::verify(&all, presented) else {
        log::warn!("piar-api: denied {what}: unknown token");
        return Err(error(401, "permission", "invalid bearer token"));
    };
    if !tok.scope.allows(needed) {
        log::warn!(
            "piar-api: denied {what}: token {:?} has scope {}, needs {}",
            tok.name,
            tok.scope.as_str(),
            needed.as_str()
        );
        return Err(error(
            403,
            "permission",
            format!(
                "token {:?} has scope {}; this needs {}",
                tok.name,
                tok.scope.as_str(),
                needed.as_str()
            ),
        ));
    }
    Ok(tok.clone())
}

/// A token limited by `--jobs PREFIX` may touch only matching jobs: 403 and a
/// journal line otherwise.
fn cover(req: &Req, tok: &Token, job: &str) -> Result<(), Reply> {
    if tok.covers(job) {
        return Ok(());
    }
    log::warn!(
        "piar-api: denied {} {}: token {:?} is limited to jobs starting with {:?}",
        req.method,
        req.path,
        tok.name,
        tok.jobs_prefix.as_deref().unwrap_or("")
    );
    Err(error(
        403,
        "permission",
        format!(
            "token {:?} may only touch jobs whose name starts with {:?}",
            tok.name,
            tok.jobs_prefix.as_deref().unwrap_or("")
        ),
    ))
}

fn valid_job(name: &str) -> Result<(), Reply> {
    crate::model::manifest::validate::validate_name(name)
        .map_err(|e| error(400, "invalid", e.to_string()))
}

fn route(app: &App, req: &Req) -> Reply {
    match try_route(app, req) {
        Ok(r) | Err(r) => r,
    }
}

fn try_route(app: &App, req: &Req) -> Result<Reply, Reply> {
    let segs: Vec<&str> = req.path.trim_end_matches('/').split('/').skip(1).collect();
    use Method::{Delete, Get, Patch, Post};
    let m = &req.method;
    match (m, segs.as_slice()) {
        (Get, ["v1", "openapi.json"]) => Ok(Reply::ok(Value::Null)),
        (Get, ["v1", "jobs"]) => {
            let tok = authorize(app, req, TokenScope::Read)?;
            list(app, req, &tok)
        }
        (Post, ["v1", "jobs"]) => {
            let tok = authorize(app, req, TokenScope::Submit)?;
            submit(app, req, &tok)
        }
        (Get | Patch | Delete, ["v1", "jobs", name]) => {
            let needed = if *m == Get {
                TokenScope::Read
            } else {
                TokenScope::Submit
            };
            let tok = authorize(app, req, needed)?;
            valid_job(name)?;
            cover(req, &tok, name)?;
            match m {
                Get => app.cli_reply(&["show", "--", name]),
                Delete => {
                    let purge = flag(req, "purge")?;
                    let mut a = vec!["rm"];
                    if purge {
                        a.push("--purge");
                    }
                    a.extend(["--", name]);
                    app.cli_reply(&a)
                }
                _ => {
                    let b = parse_body(req)?;
                    let args = b.edit_args(name).map_err(|(f, e)| invalid(&f, &e))?;
                    app.cli_reply(&args)
                }
            }
        }
        (Post, ["v1", "jobs", name, action]) => {
            let needed = match *action {
                "approve" | "reject" => TokenScope::Approve,
                "pause" | "resume" | "run" => TokenScope::Submit,
                _ => return Err(error(404, "not_found", format!("no endpoint {}", req.path))),
            };
            let tok = authorize(app, req, needed)?;
            valid_job(name)?;
            cover(req, &tok, name)?;
            match *action {
                "approve" => {
                    if approver_is_submitter(app, name, &tok) {
                        log::warn!(
                            "piar-api: denied approve {name}: token {:?} submitted it",
                            tok.name
                        );
                        return Err(error(
                            403,
                            "permission",
                            format!(
                                "token {:?} submitted {name}: another token must approve it",
                                tok.name
                            ),
                        ));
                    }
                    app.cli_reply(&["approve", "--", name])
                }
                "reject" => {
                    let reason = if req.body.iter().all(u8::is_ascii_whitespace) {
                        None
                    } else {
                        let v: Value = serde_json::from_slice(&req.body)
                            .map_err(|e| error(400, "invalid", format!("body: {e}")))?;
                        match v.get("reason") {
                            None | Some(Value::Null) => None,
                            Some(Value::String(s)) if s.len() <= 4096 && !s.contains('\0') => {
                                Some(format!("--reason={s}"))
                            }
                            _ => return Err(invalid("reason", "a string of at most 4096 bytes")),
                        }
                    };
                    let mut a = vec!["reject".to_string()];
                    a.extend(reason);
                    a.extend(["--".to_string(), name.to_string()]);
                    app.cli_reply(&a)
                }
                "pause" => app.cli_reply(&["pause", "--", name]),
                "resume" => {
                    let mut a = vec!["resume"];
                    if flag(req, "now")? {
                        a.push("--now");
                    }
                    a.extend(["--", name]);
                    app.cli_reply(&a)
                }
                _ => run_now(app, name),
            }
        }
        (Get, ["v1", "jobs", name, "runs"]) => {
            let tok = authorize(app, req, TokenScope::Read)?;
            valid_job(name)?;
            cover(req, &tok, name)?;
            let limit = number(req, "limit", 1, 1000)?.unwrap_or(20);
            app.cli_reply(&["history", &format!("--lines={limit}"), "--", name])
        }
        (Get, ["v1", "runs", run]) => {
            let tok = authorize(app, req, TokenScope::Read)?;
            run_result(app, req, &tok, run)
        }
        (Get, ["v1", "runs", run, "wait"]) => {
            let tok = authorize(app, req, TokenScope::Read)?;
            let secs = number(req, "timeout", 0, MAX_WAIT_SECS)?.unwrap_or(30);
            // Check existence and the token's prefix first.
            run_result(app, req, &tok, run)?;
            let out = app.cli(
                &["wait", &format!("--timeout={secs}s"), "--", run],
                Duration::from_secs(secs + 15),
            )?;
            // Finished (any status) or timed out: answer the run's current state.
            if out.code != 0 && out.stdout.is_empty() && !out.stderr_says("timed out waiting") {
                return Err(out.error_reply());
            }
            run_result(app, req, &tok, run)
        }
        (Post, ["v1", "intake", name]) => intake(app, req, name),
        // pi-agent-runner compatibility (crate::api::compat).
        (Post, ["jobs"]) => {
            let tok = authorize(app, req, TokenScope::Submit)?;
            compat_submit(app, req, &tok)
        }
        (Get, ["jobs"]) | (Get, ["schedules"]) => {
            let tok = authorize(app, req, TokenScope::Read)?;
            let out = app.cli(&["list"], CLI_TIMEOUT)?;
            let v = out.json_or_error()?;
            let schedules = segs[0] == "schedules";
            let jobs: Vec<Value> = v
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|j| {
                    let name = j["name"].as_str().unwrap_or("");
                    name.starts_with(super::compat::PREFIX)
                        && tok.covers(name)
                        && (!schedules || j["kind"] != "manual")
                })
                .map(|j| compat_view(app, &j))
                .collect();
            Ok(Reply::ok(Value::Array(jobs)))
        }
        (Get | Patch | Delete, ["jobs", id]) => {
            let needed = if *m == Get {
                TokenScope::Read
            } else {
                TokenScope::Submit
            };
            let tok = authorize(app, req, needed)?;
            valid_job(id)?;
            cover(req, &tok, id)?;
            match m {
                Get => {}
                Delete => {
                    app.cli_reply(&["rm", "--", id])?;
                    return Ok(Reply::ok(json!({"id": id, "deleted": true})));
                }
                _ => {
                    let v: Value = serde_json::from_slice(&req.body)
                        .map_err(|e| error(400, "invalid", format!("body: {e}")))?;
                    let verb = match v.get("action").and_then(Value::as_str) {
                        Some("pause") => "pause",
                        Some("resume") => "resume",
                        _ => return Err(invalid("action", "\"pause\" or \"resume\"")),
                    };
                    app.cli_reply(&[verb, "--", id])?;
                }
            }
            let v = app.cli_reply(&["show", "--", id])?.body;
            Ok(Reply::ok(compat_view(app, &v)))
        }
        (Get, ["v1", "calendar"]) => {
            authorize(app, req, TokenScope::Read)?;
            calendar(app, req)
        }
        (_, ["v1", "jobs"])
        | (_, ["v1", "jobs", _])
        | (_, ["v1", "jobs", _, _])
        | (_, ["v1", "runs", _])
        | (_, ["v1", "runs", _, "wait"])
        | (_, ["v1", "calendar"])
        | (_, ["v1", "intake", _])
        | (_, ["jobs"])
        | (_, ["jobs", _])
        | (_, ["schedules"])
        | (_, ["v1", "openapi.json"]) => Err(error(
            405,
            "invalid",
            format!("method {m} is not allowed on {}", req.path),
        )),
        _ => Err(error(404, "not_found", format!("no endpoint {}", req.path))),
    }
}

fn flag(req: &Req, k: &str) -> Result<bool, Reply> {
    match req.q(k) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") | Some("") => Ok(true),
        Some(_) => Err(invalid(k, "true or false")),
    }
}

fn number(req: &Req, k: &str, min: u64, max: u64) -> Result<Option<u64>, Reply> {
    match req.q(k) {
        None => Ok(None),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(invalid(k, &format!("an integer from {min} to {max}"))),
        },
    }
}

fn parse_body(req: &Req) -> Result<JobBody, Reply> {
    serde_json::from_slice(&req.body).map_err(|e| error(400, "invalid", format!("body: {e}")))
}

fn list(app: &App, req: &Req, tok: &Token) -> Result<Reply, Reply> {
    let prefix = req.q("prefix");
    let state = req.q("state");
    for (k, v) in [("prefix", prefix), ("state", state)] {
        if v.is_some_and(|v| v.len() > 64) {
            return Err(invalid(k, "at most 64 bytes"));
        }
    }
    let out = app.cli(&["list"], CLI_TIMEOUT)?;
    let v = out.json_or_error()?;
    let jobs: Vec<Value> = v
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|j| {
            let name = j["name"].as_str().unwrap_or("");
            tok.covers(name)
                && prefix.is_none_or(|p| name.starts_with(p))
                && state.is_none_or(|s| j["state"].as_str() == Some(s))
        })
        .collect();
    Ok(Reply::ok(Value::Array(jobs)))
}

fn submit(app: &App, req: &Req, tok: &Token) -> Result<Reply, Reply> {
    let b = parse_body(req)?;
    if let Some(p) = &tok.jobs_prefix {
        match &b.name {
            Some(n) if n.starts_with(p.as_str()) => {}
            _ => {
                log::warn!(
                    "piar-api: denied POST /v1/jobs: token {:?} must name jobs starting with {p:?}",
                    tok.name
                );
                return Err(error(
                    403,
                    "permission",
                    format!(
                        "token {:?} may only submit jobs whose name starts with {p:?}",
                        tok.name
                    ),
                ));
            }
        }
    }
    let args = b
        .submit_args(&tok.name, req.idempotency_key.as_deref())
        .map_err(|(f, e)| invalid(&f, &e))?;
    let out = app.cli(&args, CLI_TIMEOUT)?;
    let v = out.json_or_error()?;
    let status = if v["deduplicated"] == json!(true) {
        200
    } else {
        201
    };
    Ok(Reply { status, body: v })
}

/// Whether the job's `submitted_by` metadata names this token (an approver
/// must not approve its own submission).
fn approver_is_submitter(app: &App, name: &str, tok: &Token) -> bool {
    crate::state::jobs::Store::new(&app.paths)
        .load(name)
        .ok()
        .and_then(|j| {
            j.manifest
                .metadata
                .get(super::body::SUBMITTED_BY)
                .and_then(|v| v.as_str().map(String::from))
        })
        .is_some_and(|by| by == tok.name)
}

/// `POST /v1/jobs/{name}/run`: `piar run --json`, which answers with the new
/// run at once (the one Run shape, docs/schemas/run.json: status `running`,
/// or `skipped` under overlap=forbid while a run is active).
fn run_now(app: &App, name: &str) -> Result<Reply, Reply> {
    let out = app.cli(&["run", "--", name], CLI_TIMEOUT)?;
    let v = out.json_or_error()?;
    Ok(Reply {
        status: 202,
        body: v,
    })
}

fn run_result(app: &App, req: &Req, tok: &Token, run: &str) -> Result<Reply, Reply> {
    if run.is_empty() || run.len() > 128 || run.starts_with('-') {
        return Err(invalid("run_id", "a run id as in `piar history`"));
    }
    let out = app.cli(&["result", "--", run], CLI_TIMEOUT)?;
    let v = out.json_or_error()?;
    if let Some(job) = v["job"].as_str() {
        cover(req, tok, job)?;
    }
    Ok(Reply::ok(v))
}

/// A job in pi-agent-runner's shape, its jobType from the manifest's metadata.
fn compat_view(app: &App, job: &Value) -> Value {
    let mut v = super::compat::job_view(job);
    if let Some(name) = job["name"].as_str() {
        v["jobType"] = crate::state::jobs::Store::new(&app.paths)
            .load(name)
            .ok()
            .and_then(|j| {
                j.manifest
                    .metadata
                    .get("pi_agent_runner_job_type")
                    .and_then(|t| t.as_str().map(|s| json!(s)))
            })
            .unwrap_or(Value::Null);
    }
    v
}

/// `POST /jobs` (pi-agent-runner): an allowlisted job type, submitted as job
/// `par-<hex>`; without a schedule it starts at once. 201 with the job in
/// pi-agent-runner's shape (+ `runId` when started), 200 when the
/// idempotency key matched.
fn compat_submit(app: &App, req: &Req, tok: &Token) -> Result<Reply, Reply> {
    use super::compat;
    let nj: compat::NewJob = serde_json::from_slice(&req.body)
        .map_err(|e| error(400, "invalid", format!("body: {e}")))?;
    let types = compat::job_types(&app.paths).map_err(|e| {
        log::error!("piar-api: {}", e.message);
        error(500, "failed", "cannot read the job types allowlist")
    })?;
    let key = nj
        .idempotency_key
        .clone()
        .or_else(|| req.idempotency_key.clone())
        .map(|k| format!("par-{k}"));
    // With a key the job id follows from it, so a retried request is the same
    // `piar submit` request (piar refuses a key reused for another request).
    let id = match &key {
        Some(k) => compat::id_for_key(&tok.name, k),
        None => compat::new_id().map_err(|e| error(500, "failed", e.message))?,
    };
    cover(req, tok, &id)?;
    let (job, now) = nj.job(&id, &types).map_err(|e| Reply {
        status: 400,
        body: e.to_json(),
    })?;
    let args = job
        .submit_args(&tok.name, key.as_deref())
        .map_err(|(f, e)| invalid(&f, &e))?;
    let out = app.cli(&args, CLI_TIMEOUT)?;
    let submitted = out.json_or_error()?;
    let dedup = submitted["deduplicated"] == json!(true);
    let name = submitted["name"].as_str().unwrap_or(&id).to_string();
    let mut run_id = Value::Null;
    if now && !dedup {
        let started = run_now(app, &name)?;
        run_id = started.body["id"].clone();
    }
    let shown = app.cli_reply(&["show", "--", &name])?.body;
    let mut v = compat_view(app, &shown);
    v["deduplicated"] = json!(dedup);
    v["runId"] = run_id;
    Ok(Reply {
        status: if dedup { 200 } else { 201 },
        body: v,
    })
}

/// `POST /v1/intake/{name}`: the body through intake template `name`
/// (crate::api::intake). A template with `verify` authenticates the sender by
/// its signature; one without needs a submit-scope token. The delivery id
/// (`webhook-id`, `X-GitHub-Delivery` or `Idempotency-Key`) makes a redelivery
/// change nothing (200, deduplicated).
fn intake(app: &App, req: &Req, name: &str) -> Result<Reply, Reply> {
    use super::intake;
    let t = intake::load(&app.paths, name).map_err(|e| {
        let status = super::http_status(i32::from(e.kind.exit_status().code()));
        if status == 500 {
            log::error!("piar-api: intake {name}: {}", e.message);
        }
        Reply {
            status,
            body: e.to_json(),
        }
    })?;
    let submitter = match (t.verify, t.secret.as_deref()) {
        (Some(how), Some(secret)) => {
            let key = crate::state::secrets::get(&app.paths, secret).map_err(|e| {
                log::error!("piar-api: intake {name}: secret {secret}: {}", e.message);
                error(
                    500,
                    "failed",
                    format!("intake {name}: its secret cannot be read"),
                )
            })?;
            let now = jiff::Timestamp::now().as_second();
            if let Err(why) = intake::verify_signature(how, &key, |h| req.header(h), &req.body, now)
            {
                log::warn!("piar-api: denied POST {}: signature: {why}", req.path);
                return Err(error(401, "permission", format!("signature: {why}")));
            }
            format!("intake-{name}")
        }
        _ => authorize(app, req, TokenScope::Submit)?.name,
    };
    let body: Value = serde_json::from_slice(&req.body)
        .map_err(|e| error(400, "invalid", format!("body: {e}")))?;
    let job = t.job(name, &body).map_err(|e| Reply {
        status: 400,
        body: e.to_json(),
    })?;
    let delivery = req
        .header("webhook-id")
        .or_else(|| req.header("X-GitHub-Delivery"))
        .or_else(|| req.idempotency_key.clone())
        .map(|id| format!("intake-{name}-{id}"));
    let args = job
        .submit_args(&submitter, delivery.as_deref())
        .map_err(|(f, e)| invalid(&f, &e))?;
    let out = app.cli(&args, CLI_TIMEOUT)?;
    let v = out.json_or_error()?;
    let status = if v["deduplicated"] == json!(true) {
        200
    } else {
        201
    };
    Ok(Reply { status, body: v })
}

fn calendar(app: &App, req: &Req) -> Result<Reply, Reply> {
    let mut a = vec!["calendar".to_string()];
    for (k, v) in &req.query {
        if v.len() > 1024 || v.contains('\0') {
            return Err(invalid(k, "at most 1024 bytes"));
        }
        let flag = match k.as_str() {
            "cron" => "cron",
            "on_calendar" => "on-calendar",
            "at" => "at",
            "every" => "every",
            "tz" => "tz",
            "count" => "count",
            "from" => "from",
            _ => {
                return Err(invalid(
                    k,
                    "one of the parameters cron, on_calendar, at, every, tz, count, from",
                ));
            }
        };
        a.push(format!("--{flag}={v}"));
    }
    app.cli_reply(&a)
}

/// What one CLI invocation answered.
struct CliOut {
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl CliOut {
    fn stderr_says(&self, what: &str) -> bool {
        String::from_utf8_lossy(&self.stderr).contains(what)
    }

    /// The CLI's JSON error object with the status of its exit code.
    fn error_reply(&self) -> Reply {
        let status = super::http_status(self.code);
        match serde_json::from_slice::<Value>(&self.stderr) {
            Ok(v) if v.get("error").is_some() => Reply { status, body: v },
            _ => {
                let text = String::from_utf8_lossy(&self.stderr);
                error(
                    status,
                    "failed",
                    format!("piar exited {}: {}", self.code, text.trim()),
                )
            }
        }
    }

    fn json_or_error(&self) -> Result<Value, Reply> {
        if self.code != 0 {
            return Err(self.error_reply());
        }
        serde_json::from_slice(&self.stdout)
            .map_err(|e| error(500, "failed", format!("piar answered no JSON: {e}")))
    }
}

impl App {
    fn cli_reply<S: AsRef<str>>(&self, args: &[S]) -> Result<Reply, Reply> {
        let out = self.cli(args, CLI_TIMEOUT)?;
        out.json_or_error().map(Reply::ok)
    }

    /// Run `piar --<scope> --json ARGS...` (stdin /dev/null) for at most
    /// `timeout`; killed (SIGKILL, reaped) on timeout.
    fn cli<S: AsRef<str>>(&self, args: &[S], timeout: Duration) -> Result<CliOut, Reply> {
        let mut cmd = Command::new(&self.cli);
        cmd.arg(match self.scope {
            Scope::System => "--system",
            Scope::User => "--user",
        })
        .arg("--json")
        .args(args.iter().map(AsRef::as_ref))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| {
            error(
                500,
                "failed",
                format!("cannot start {}: {e}", self.cli.display()),
            )
        })?;
        let mut out = child.stdout.take().expect("piped");
        let mut err = child.stderr.take().expect("piped");
        let t_out = std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = (&mut out).take(MAX_STDOUT as u64).read_to_end(&mut b);
            b
        });
        let t_err = std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = (&mut err).take(MAX_STDERR as u64).read_to_end(&mut b);
            b
        });
        let deadline = Instant::now() + timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
            }
        };
        let stdout = t_out.join().unwrap_or_default();
        let stderr = t_err.join().unwrap_or_default();
        let Some(status) = status else {
            return Err(error(
                504,
                "failed",
                format!("piar did not answer within {}s", timeout.as_secs()),
            ));
        };
        use std::os::unix::process::ExitStatusExt;
        let code = status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        Ok(CliOut {
            code,
            stdout,
            stderr,
        })
    }
}
