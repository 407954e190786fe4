//! `hrform sandbox`: serve the emulator (`crate::sandbox`) until
//! interrupted. The command line and the exit code are known here only.

use std::io::Write as _;

use anyhow::{Context as _, Result};

use crate::cli::SandboxArgs;
use crate::exit::ExitStatus;
use crate::sandbox::{Options, Sandbox, Seed};

/// `hrform sandbox`: serve the emulator until interrupted.
pub(crate) fn run(args: &SandboxArgs) -> Result<ExitStatus> {
    let seed = match &args.seed {
        Some(path) => Seed::load(path)?,
        None => Seed::empty(),
    };
    let options = Options {
        faults: args
            .faults
            .as_deref()
            .map(str::parse)
            .transpose()?
            .unwrap_or_default(),
        rate: args
            .rate
            .as_deref()
            .map(str::parse)
            .transpose()?
            .unwrap_or_default(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(async move {
        let sandbox = Sandbox::start_on(seed, options, args.listen).await?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", sandbox.base_url())?;
            out.flush()?;
        }
        tracing::info!(
            target: "hrform::sandbox",
            "serving Clockify at {0}/api and Connecteam at {0}; Ctrl-C stops",
            sandbox.base_url()
        );
        crate::sandbox::shutdown_signal().await;
        sandbox.stop().await;
        Ok(ExitStatus::Success)
    })
}
