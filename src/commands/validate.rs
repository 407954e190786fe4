//! `hrform validate`: offline checks of the manifests. Opens no socket.

use std::io::Write as _;

use anyhow::Result;

use crate::cli::ValidateArgs;
use crate::diag;
use crate::exit::ExitStatus;
use crate::manifest;

pub(crate) fn run(args: &ValidateArgs) -> Result<ExitStatus> {
    let loaded = manifest::load(&args.config.dir, &[]);
    let mut stderr = anstream::stderr();
    let color = crate::commands::stderr_color();
    write!(
        stderr,
        "{}",
        diag::render_all(&loaded.diagnostics, &loaded.sources, color)
    )?;
    let (errors, warnings) = diag::summary(&loaded.diagnostics);
    let files = diag::count(loaded.sources.len(), "file");
    if errors == 0 {
        let users = loaded.config.as_ref().map_or(0, |c| c.users.len());
        let requests = loaded.config.as_ref().map_or(0, |c| c.requests.len());
        writeln!(
            stderr,
            "valid: {files}, {}, {}, {}",
            diag::count(users, "user"),
            diag::count(requests, "request"),
            diag::count(warnings, "warning"),
        )?;
        Ok(ExitStatus::Success)
    } else {
        writeln!(
            stderr,
            "invalid: {} and {} in {files}",
            diag::count(errors, "error"),
            diag::count(warnings, "warning"),
        )?;
        Ok(ExitStatus::Error)
    }
}
