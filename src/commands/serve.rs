//! `piar serve`: execve(2) the HTTP API server `piar-api` (crate::api).

use super::Ctx;
use crate::cli::ServeArgs;
use crate::error::{ExitStatus, Result};

/// `piar serve [--idle S] [--listen ADDR]`: replaces this process with
/// `piar-api` (same pid, so systemd's `LISTEN_PID` still matches). Returns
/// only on error (exit 1: `piar-api` missing).
pub(super) fn serve(ctx: &Ctx, args: &ServeArgs, verbose: u8) -> Result<ExitStatus> {
    crate::api::exec_server(ctx.scope, args.idle, args.listen.as_deref(), verbose)
}
