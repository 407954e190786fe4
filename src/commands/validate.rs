//! `hrform validate`: offline checks of the manifests.

use anyhow::Result;

use crate::cli::ValidateArgs;
use crate::exit::ExitStatus;

pub(crate) fn run(_args: &ValidateArgs) -> Result<ExitStatus> {
    anyhow::bail!("`hrform validate` is not implemented yet")
}
