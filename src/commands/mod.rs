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

/// Where a diagnostics document goes: `validate` has stdout free, `plan`
/// keeps stdout for the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocStream {
    Stdout,
    Stderr,
}

/// Print `diags` in `format` (already resolved from `auto`), followed by
/// `summary` (the one-line verdict) where the format has room for it.
///
/// - text: the report on stderr, then the summary;
/// - github: one workflow command per diagnostic on stderr (annotations on
///   the pull request), then the full text report and the summary, with
///   workflow commands stopped around them (they quote manifests, which
///   come from the pull request);
/// - json / sarif: the document on `doc`; the summary on stderr only when
///   the document is on stdout.
pub(crate) fn emit_diagnostics(
    format: crate::cli::DiagnosticFormat,
    diags: &[crate::diag::Diagnostic],
    sources: &crate::diag::Sources,
    summary: Option<&str>,
    doc: DocStream,
) -> Result<()> {
    use crate::cli::DiagnosticFormat as F;
    use crate::diag;
    let mut stderr = anstream::stderr();
    let summary_line = summary.map(|s| format!("{s}\n")).unwrap_or_default();
    let document = match format.resolve() {
        F::Auto | F::Text => {
            write!(
                stderr,
                "{}{summary_line}",
                diag::render_all(diags, sources, stderr_color())
            )?;
            return Ok(());
        }
        F::Github => {
            let report = format!("{}{summary_line}", diag::render_all(diags, sources, false));
            write!(stderr, "{}", diag::github_annotations(diags, sources))?;
            if !report.is_empty() {
                let token = diag::stop_commands_token();
                write!(stderr, "{}", diag::github_verbatim(&report, &token))?;
            }
            return Ok(());
        }
        F::Json => diag::Report::new(diags, sources).to_json(),
        F::Sarif => {
            let mut s = serde_json::to_string_pretty(&diag::sarif(diags, sources))?;
            s.push('\n');
            s
        }
    };
    match doc {
        DocStream::Stdout => {
            let mut stdout = std::io::stdout().lock();
            write!(stdout, "{document}")?;
            stdout.flush()?;
            write!(stderr, "{summary_line}")?;
        }
        DocStream::Stderr => write!(stderr, "{document}")?,
    }
    Ok(())
}
