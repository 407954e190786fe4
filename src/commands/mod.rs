//! Command glue: one function per subcommand, turning library results into
//! output and an exit status. anyhow is used here, at the edge, and nowhere
//! deeper.

mod apply;
mod plan;
mod private_file;
mod validate;

use std::io::Write as _;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;

/// Dispatch the parsed command line.
pub fn run(cli: &Cli) -> Result<ExitStatus> {
    match &cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Apply(args) => apply::run(args, &cli.global),
        Command::Export(_) => not_yet("export", 0),
        Command::Fmt(_) => not_yet("fmt", 0),
        Command::Sandbox(args) => crate::sandbox::run(args),
        Command::Schema(args) => {
            // Not println!: it panics when stdout is a closed pipe.
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{}", crate::schema::render(args.kind)?)?;
            stdout.flush()?;
            Ok(ExitStatus::Success)
        }
        Command::Completions(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(args.shell, &mut cmd, "hrform", &mut std::io::stdout());
            Ok(ExitStatus::Success)
        }
    }
}

/// A command of the design that a later issue fills in: say so plainly.
fn not_yet(command: &str, issue: u32) -> Result<ExitStatus> {
    if issue == 0 {
        anyhow::bail!("`hrform {command}` is not implemented yet")
    }
    anyhow::bail!("`hrform {command}` is not implemented yet (issue {issue})")
}

/// Load the manifests under `dir` (skipping a `--sandbox` seed) and print
/// their diagnostics to stderr. `None` when they have errors: the message
/// says so and that `nothing` was done.
pub(crate) fn load_manifests(
    dir: &std::path::Path,
    sandbox: Option<&std::path::PathBuf>,
    nothing: &str,
) -> Result<Option<crate::manifest::Loaded>> {
    use std::io::Write as _;
    let skip: Vec<_> = sandbox.into_iter().cloned().collect();
    let loaded = crate::manifest::load(dir, &skip);
    let mut stderr = anstream::stderr();
    write!(
        stderr,
        "{}",
        crate::diag::render_all(&loaded.diagnostics, &loaded.sources, stderr_color())
    )?;
    if loaded.config.is_none() {
        let (errors, _) = crate::diag::summary(&loaded.diagnostics);
        writeln!(
            stderr,
            "error: the manifests have {}; {nothing}",
            crate::diag::count(errors, "error")
        )?;
        return Ok(None);
    }
    Ok(Some(loaded))
}

/// Whether to colour what goes to stderr (anstream strips it otherwise, but
/// rendering plain text in the first place keeps diagnostics cheap).
pub(crate) fn stderr_color() -> bool {
    use std::io::IsTerminal as _;
    match anstream::ColorChoice::global() {
        anstream::ColorChoice::Always | anstream::ColorChoice::AlwaysAnsi => true,
        anstream::ColorChoice::Never => false,
        anstream::ColorChoice::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Start the sandbox in-process from `seed` (for `--sandbox SEED`) and point
/// every provider at it, with the seed's API keys.
pub(crate) async fn start_sandbox(
    seed: &std::path::Path,
    config: &crate::manifest::Config,
) -> Result<(
    crate::sandbox::Sandbox,
    std::collections::BTreeMap<String, crate::providers::Endpoint>,
)> {
    use anyhow::Context as _;
    let seed = crate::sandbox::Seed::load(seed)?;
    let clockify_key = seed.clockify.as_ref().map(|c| c.api_key.clone());
    let connecteam_key = seed.connecteam.as_ref().map(|c| c.api_key.clone());
    let sandbox = crate::sandbox::Sandbox::start(seed, crate::sandbox::Options::default())
        .await
        .context("cannot start the sandbox")?;
    tracing::info!("sandbox listening on {}", sandbox.base_url());
    let endpoints = plan::sandbox_endpoints(
        config,
        &sandbox.base_url(),
        clockify_key.as_deref(),
        connecteam_key.as_deref(),
    )?;
    Ok((sandbox, endpoints))
}
