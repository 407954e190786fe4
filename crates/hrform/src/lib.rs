//! hrform: GitOps for HR time-off administration.
//!
//! The shell around `hrform_core`: the library behind the `hrform` binary.
//! `main` parses the command line and dispatches to `commands`, which read
//! the [`context`] (clock, environment) once; manifests are found and read
//! by [`discover`] and checked by the core's `manifest`; diagnostics are
//! rendered by the core's `diag`; live state is read, and calls made, over
//! `http` by `providers`; the API emulator is the `hrform-sandbox` crate.
//!
//! The library exposes what the binary, the integration tests and the
//! benchmarks need — `main`, `context`, `discover`, `diag`, `manifest`,
//! `sandbox` and, for the documentation tests, `parse_args` — and nothing
//! more, so `unreachable_pub` holds every other module to `pub(crate)`.

mod apply;
mod cli;
mod commands;
pub mod context;
pub mod discover;
mod exit;
mod http;
mod lock;
mod output;
mod plan;
mod private_file;
mod providers;
mod schema;

// The pure core's modules, at the paths the shell has always used.
pub use hrform_core::{diag, manifest};
use hrform_core::{escape, export, fmt, model};
/// The API emulator (the `sandbox` feature).
#[cfg(feature = "sandbox")]
pub use hrform_sandbox as sandbox;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::Cli;
use crate::context::Context;
use crate::exit::ExitStatus;

/// Run hrform with the process's arguments and return its exit code.
///
/// This is the edge of the program: the one place errors are printed.
pub fn main() -> ExitCode {
    let mut cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version go to stdout and succeed; every other parse
            // failure is a usage error, which the design numbers 64.
            let status = if err.use_stderr() {
                ExitStatus::Usage
            } else {
                ExitStatus::Success
            };
            let _ = err.print();
            return status.into();
        }
    };
    // What hrform takes from the clock and the environment, read once here.
    let mut context = Context::read(cli.global.color);
    context.verbose = cli.global.verbose > 0;
    cli.settle(&context);
    init_output(&cli, &context);
    http::set_backoff_scale(context.backoff_scale);
    match commands::run(&cli, &context) {
        Ok(status) => status.into(),
        // The reader of stdout went away (`hrform plan | head`): stop
        // quietly, as ripgrep does; there is nobody left to tell.
        Err(err) if is_broken_pipe(&err) => ExitStatus::Success.into(),
        Err(err) => {
            let mut stderr = output::stderr();
            // The chain may quote what an API answered: no control
            // character of it reaches the terminal raw.
            let message = format!("{err:#}");
            let _ = writeln!(stderr, "error: {}", escape::text_keep_newlines(&message));
            // An invalid option value is a usage error, like clap's own.
            if err.chain().any(|c| c.is::<commands::UsageError>()) {
                ExitStatus::Usage.into()
            } else {
                ExitStatus::Error.into()
            }
        }
    }
}

/// Whether `args` (without the program's name) parse as an hrform command
/// line, without running anything: the documentation tests parse every
/// command the README and the book show. `--help` and `--version` parse.
#[doc(hidden)]
pub fn parse_args(args: &[String]) -> Result<(), String> {
    match Cli::try_parse_from(std::iter::once("hrform").chain(args.iter().map(String::as_str))) {
        Ok(_) => Ok(()),
        Err(err) if !err.use_stderr() => Ok(()),
        Err(err) => Err(err.to_string()),
    }
}

/// Whether `err` comes from writing to a closed pipe.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Colour (decided once, in the context) and logging, for the whole
/// process.
fn init_output(cli: &Cli, context: &Context) {
    output::set_colors(context.color);
    plan::set_verbose(cli.global.verbose > 0 && !cli.global.quiet);
    output::set_quiet(cli.global.quiet);
    let level = if cli.global.quiet {
        "error"
    } else {
        match cli.global.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("HRFORM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("hrform={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(output::stderr)
        .with_ansi(context.color.stderr)
        .try_init();
}
