//! Command glue: one function per subcommand, turning library results into
//! output and an exit status. anyhow is used here, at the edge, and nowhere
//! deeper.

mod apply;
mod common;

pub(crate) use common::UsageError;
mod export;
mod fmt;
mod init;
mod plan;
#[cfg(feature = "sandbox")]
mod sandbox;
mod validate;

use std::io::Write as _;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;

/// Dispatch the parsed command line.
pub(crate) fn run(cli: &Cli, context: &crate::context::Context) -> Result<ExitStatus> {
    #[cfg(not(feature = "sandbox"))]
    if needs_sandbox(&cli.command) {
        let mut stderr = crate::output::stderr();
        writeln!(
            stderr,
            "error: this hrform was built without the sandbox (cargo feature `sandbox`)"
        )?;
        return Ok(ExitStatus::Usage);
    }
    match &cli.command {
        Command::Validate(args) => validate::run(args, context),
        Command::Plan(args) => plan::run(args, &cli.global, context),
        Command::Apply(args) => apply::run(args, &cli.global, context),
        Command::Export(args) => export::run(args, context),
        Command::Init(args) => init::run(args, context),
        Command::Fmt(args) => fmt::run(args, &cli.global),
        #[cfg(feature = "sandbox")]
        Command::Sandbox(args) => sandbox::run(args),
        #[cfg(not(feature = "sandbox"))]
        Command::Sandbox(_) => Ok(ExitStatus::Usage),
        Command::Schema(args) => {
            // Not println!: it panics when stdout is a closed pipe.
            let mut stdout = std::io::stdout().lock();
            let kind = match args.kind {
                crate::cli::SchemaKind::Manifest => crate::schema::Kind::Manifest,
                crate::cli::SchemaKind::Plan => crate::schema::Kind::Plan,
                #[cfg(feature = "sandbox")]
                crate::cli::SchemaKind::Sandbox => crate::schema::Kind::Sandbox,
                #[cfg(not(feature = "sandbox"))]
                crate::cli::SchemaKind::Sandbox => return Ok(ExitStatus::Usage),
                crate::cli::SchemaKind::Diagnostics => crate::schema::Kind::Diagnostics,
            };
            writeln!(stdout, "{}", crate::schema::render(kind)?)?;
            stdout.flush()?;
            Ok(ExitStatus::Success)
        }
        Command::Completions(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut stdout = std::io::stdout().lock();
            clap_complete::generate(args.shell, &mut cmd, "hrform", &mut stdout);
            stdout.flush()?;
            Ok(ExitStatus::Success)
        }
        Command::Man(args) => {
            let mut stdout = std::io::stdout().lock();
            write_man_page(args.command.as_deref(), &mut stdout)?;
            stdout.flush()?;
            Ok(ExitStatus::Success)
        }
    }
}

/// Whether `command` needs the sandbox, which this build lacks: `hrform
/// sandbox`, `hrform schema sandbox` and `--sandbox SEED`.
#[cfg(not(feature = "sandbox"))]
fn needs_sandbox(command: &Command) -> bool {
    match command {
        Command::Sandbox(_) => true,
        Command::Schema(args) => matches!(args.kind, crate::cli::SchemaKind::Sandbox),
        Command::Plan(args) => args.sandbox.is_some(),
        Command::Apply(args) => args.sandbox.is_some(),
        Command::Export(args) => args.sandbox.is_some(),
        Command::Init(args) => args.sandbox.is_some(),
        _ => false,
    }
}

/// The man page of hrform, or of one subcommand (`hrform-plan(1)`), by
/// clap_mangen from the same definitions as `--help`.
fn write_man_page(command: Option<&str>, out: &mut dyn std::io::Write) -> Result<()> {
    let cli = <Cli as clap::CommandFactory>::command();
    let page = match command {
        None => cli,
        Some(name) => {
            let sub = cli
                .find_subcommand(name)
                .filter(|s| !s.is_hide_set())
                .ok_or_else(|| anyhow::anyhow!("`hrform {name}` is not a command"))?
                .clone();
            sub.display_name(format!("hrform-{name}"))
                .bin_name(format!("hrform {name}"))
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    clap_mangen::Man::new(page).render(out)?;
    Ok(())
}
