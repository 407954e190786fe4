//! Command glue: one function per subcommand, turning library results into
//! output and an exit status. anyhow is used here, at the edge, and nowhere
//! deeper.

mod validate;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;

/// Dispatch the parsed command line.
pub fn run(cli: &Cli) -> Result<ExitStatus> {
    match &cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Plan(_) => not_yet("plan", 4),
        Command::Apply(_) => not_yet("apply", 5),
        Command::Export(_) => not_yet("export", 0),
        Command::Fmt(_) => not_yet("fmt", 0),
        Command::Sandbox(args) => crate::sandbox::run(args),
        Command::Schema(args) => {
            println!("{}", crate::schema::render(args.kind)?);
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
