//! The `piar` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    piar::run(std::env::args_os())
}
