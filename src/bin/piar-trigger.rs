//! `piar-trigger`: the lean binary that piar's units run on the run path
//! (`piar trigger`, watchers, retries, clock-sync deferrals, callback
//! attempts); see `piar::run_path`. Installed as `/usr/lib/piar/piar-trigger`
//! beside `piar-mcp`. A binary of its own so that a timer elapse maps and
//! touches only the code of one run (issue 18: `piar trigger` in the full
//! CLI peaked at 6.8 MiB VmHWM, most of it the CLI's own pages).

fn main() -> std::process::ExitCode {
    piar::run_path(std::env::args_os())
}
