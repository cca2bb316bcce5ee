//! `piar generate` (hidden): man pages and completions for packagers.

use crate::cli::GenerateWhat;
use crate::error::{ExitStatus, Result};
use crate::generate;
use crate::printer::Printer;

/// Write the man pages into a directory, or a completion script to a
/// directory or stdout. Lists written files on stdout (one path a line).
pub(super) fn generate(out: Printer, what: &GenerateWhat) -> Result<ExitStatus> {
    match what {
        GenerateWhat::Man { dir } => {
            for (file, contents) in generate::man_pages()? {
                let path = generate::write_file(dir, &file, &contents)?;
                out.line(path.display().to_string())?;
            }
        }
        GenerateWhat::Completions { shell, dir } => {
            let (file, contents) = generate::completion(*shell);
            match dir {
                Some(dir) => {
                    let path = generate::write_file(dir, &file, &contents)?;
                    out.line(path.display().to_string())?;
                }
                None => out.raw(&String::from_utf8_lossy(&contents))?,
            }
        }
    }
    Ok(ExitStatus::Success)
}
