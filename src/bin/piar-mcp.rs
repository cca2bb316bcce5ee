//! `piar-mcp`: the MCP server behind `piar mcp` (see `piar::mcp`). A binary of
//! its own so that the tokio runtime and the MCP SDK never enlarge `piar`,
//! the binary every timer starts (`piar trigger`).

fn main() -> std::process::ExitCode {
    piar::mcp::main(std::env::args_os())
}
