//! `hrform validate`: offline checks of the manifests. Opens no socket.

use anyhow::Result;

use super::common::{DocStream, emit_diagnostics};
use crate::cli::ValidateArgs;
use crate::context::Context;
use crate::diag;
use crate::discover;
use crate::exit::ExitStatus;

pub(crate) fn run(args: &ValidateArgs, context: &Context) -> Result<ExitStatus> {
    let loaded = discover::load(&args.config.dir, &[], context);
    let (errors, warnings) = diag::summary(&loaded.diagnostics);
    let files = diag::count(loaded.sources.len(), "file");
    let summary = if errors == 0 {
        let users = loaded.config.as_ref().map_or(0, |c| c.users.len());
        let requests = loaded.config.as_ref().map_or(0, |c| c.requests.len());
        format!(
            "valid: {files}, {}, {}, {}",
            diag::count(users, "user"),
            diag::count(requests, "request"),
            diag::count(warnings, "warning"),
        )
    } else {
        format!(
            "invalid: {} and {} in {files}",
            diag::count(errors, "error"),
            diag::count(warnings, "warning"),
        )
    };
    emit_diagnostics(
        args.format,
        &loaded.diagnostics,
        &loaded.sources,
        Some(&summary),
        DocStream::Stdout,
    )?;
    Ok(if errors == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::Error
    })
}
