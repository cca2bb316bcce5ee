//! The HTTP API (docs/api.md): `piar serve` and the `piar-api` binary.
//!
//! `piar serve` replaces itself ([`exec_server`], execve(2)) with `piar-api`,
//! which links the HTTP server crate (tiny_http: synchronous, no tokio, no
//! socket2); `piar` itself, which every timer starts, stays small. Under
//! systemd socket activation (`piar-api.socket`) the listening socket is
//! inherited as fd 3 (sd_listen_fds(3): `LISTEN_PID`, `LISTEN_FDS`), and the
//! server exits after an idle period, so between bursts of requests no piar
//! process runs. Every endpoint runs the piar CLI itself (`piar --user|--system
//! --json VERB ...`, argv, never a shell) as a child, like `piar mcp`: the
//! API's shapes, validation, errors and exit codes are the CLI's
//! (docs/schemas/), mapped to HTTP statuses by [`http_status`].
//!
//! `tokens` (the bearer token store) is built without the feature too:
//! `piar token` manages it.

pub mod body;
pub mod compat;
pub mod intake;
pub mod tokens;

#[cfg(feature = "api")]
mod server;

#[cfg(feature = "api")]
pub use server::main;

/// The HTTP status of a CLI exit code (docs/agents.md, "Exit codes"):
/// 0 -> 200, 2 invalid -> 400, 3 not found -> 404, 4 conflict -> 409,
/// 5 manager unreachable -> 503, 6 permission -> 403, anything else
/// (1 failed, a job's own status) -> 500.
pub fn http_status(exit_code: i32) -> u16 {
    match exit_code {
        0 => 200,
        2 => 400,
        3 => 404,
        4 => 409,
        5 => 503,
        6 => 403,
        _ => 500,
    }
}

/// The environment variable through which `piar serve` tells `piar-api`
/// which `piar` binary to run for the endpoints (its own path).
pub const CLI_ENV: &str = "PIAR_API_CLI";

/// Where `piar-api` is installed by the Debian package (`piar` looks next to
/// itself first, as in a cargo target dir).
#[cfg(feature = "api")]
const INSTALLED_SERVER: &str = "/usr/lib/piar/piar-api";

/// `piar serve`: execve(2) `piar-api --user|--system --idle SECS [--listen
/// ADDR] [-v..]` (next to this binary, else `/usr/lib/piar/piar-api`) with
/// [`CLI_ENV`] set to this binary. The process keeps its pid, so systemd's
/// `LISTEN_PID` still names it, and fd 3 (the socket) is inherited. Returns
/// only on error: exit 1 when `piar-api` is missing or cannot be executed.
#[cfg(feature = "api")]
pub fn exec_server(
    scope: crate::state::layout::Scope,
    idle_secs: u64,
    listen: Option<&str>,
    verbose: u8,
) -> crate::error::Result<crate::error::ExitStatus> {
    use crate::error::Error;
    use crate::state::layout::Scope;
    use std::os::unix::process::CommandExt;
    let me = crate::units::self_exe::current_path()?;
    let sibling = me.with_file_name("piar-api");
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
    cmd.arg(format!("--idle={idle_secs}"));
    if let Some(l) = listen {
        cmd.arg(format!("--listen={l}"));
    }
    for _ in 0..verbose {
        cmd.arg("-v");
    }
    cmd.env(CLI_ENV, &me);
    let err = cmd.exec();
    Err(
        Error::failed(format!("cannot run {}: {err}", server.display()))
            .with_hint("piar was built without the `api` feature, or piar-api is not installed"),
    )
}
