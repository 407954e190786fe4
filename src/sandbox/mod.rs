//! The sandbox: a stateful emulator of the Clockify and Connecteam APIs.
//! (Being built in issue 3.)

use crate::cli::SandboxArgs;
use crate::exit::ExitStatus;

/// `hrform sandbox`: serve the emulator until interrupted.
pub fn run(_args: &SandboxArgs) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`hrform sandbox` is not implemented yet (issue 3)")
}
