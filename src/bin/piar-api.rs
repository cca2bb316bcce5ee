//! `piar-api`: the HTTP API server behind `piar serve` (see `piar::api`). A
//! binary of its own so that the HTTP server never enlarges `piar`, the
//! binary every timer starts (`piar trigger`).

fn main() -> std::process::ExitCode {
    piar::api::main(std::env::args_os())
}
