//! What the commands share: loading manifests and printing their
//! diagnostics, colour decisions for stdout and stderr, and starting the
//! in-process sandbox for `--sandbox`. Imported by the command modules; it
//! imports none of them.

use std::io::Write as _;

use anyhow::Result;

/// Load the manifests under `dir` (skipping a `--sandbox` seed) and print
/// their diagnostics to stderr in `format`. `None` when they have errors:
/// the message says so and that `nothing` was done.
pub(crate) fn load_manifests(
    dir: &std::path::Path,
    sandbox: Option<&std::path::PathBuf>,
    nothing: &str,
    format: crate::cli::DiagnosticFormat,
    context: &crate::context::Context,
) -> Result<Option<crate::manifest::Loaded>> {
    load_manifests_except(dir, sandbox, &[], nothing, format, context)
}

/// [`load_manifests`], leaving out `except` too (files about to be
/// replaced: `export --force`'s own earlier output).
pub(crate) fn load_manifests_except(
    dir: &std::path::Path,
    sandbox: Option<&std::path::PathBuf>,
    except: &[std::path::PathBuf],
    nothing: &str,
    format: crate::cli::DiagnosticFormat,
    context: &crate::context::Context,
) -> Result<Option<crate::manifest::Loaded>> {
    let skip: Vec<_> = sandbox.into_iter().chain(except).cloned().collect();
    let loaded = crate::discover::load(dir, &skip, context);
    let summary = loaded.config.is_none().then(|| {
        let (errors, _) = crate::diag::summary(&loaded.diagnostics);
        format!(
            "error: the manifests have {}; {nothing}",
            crate::diag::count(errors, "error")
        )
    });
    emit_diagnostics(
        format,
        &loaded.diagnostics,
        &loaded.sources,
        summary.as_deref(),
        DocStream::Stderr,
    )?;
    if loaded.config.is_none() {
        return Ok(None);
    }
    Ok(Some(loaded))
}

/// Whether to colour what goes to stdout (the plan's text), as the
/// context decided.
pub(crate) fn stdout_color() -> bool {
    crate::output::colors().stdout
}

/// Whether to colour what goes to stderr (rendering plain text in the
/// first place keeps diagnostics cheap), as the context decided.
pub(crate) fn stderr_color() -> bool {
    crate::output::colors().stderr
}

/// An invalid value of a command-line option (a `--target` naming nothing
/// declared, an unknown `--provider`, a window that ends before it starts):
/// the edge prints it like any error and exits with the usage status, 64,
/// as clap does for what it rejects itself.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(String);

/// The one way a command reports an invalid option value (see
/// [`UsageError`]).
pub(crate) fn usage_error(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// Start the sandbox in-process from `seed` (for `--sandbox SEED`) and point
/// every provider at it, with the seed's API keys.
#[cfg(feature = "sandbox")]
pub(crate) async fn start_sandbox(
    seed: &std::path::Path,
    config: &crate::manifest::Config,
) -> Result<(
    SandboxHandle,
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
    let endpoints = sandbox_endpoints(
        config,
        &sandbox,
        clockify_key.as_deref(),
        connecteam_key.as_deref(),
    )?;
    Ok((sandbox, endpoints))
}

/// The running sandbox of `--sandbox`.
#[cfg(feature = "sandbox")]
pub(crate) type SandboxHandle = crate::sandbox::Sandbox;

/// No sandbox in this build: `commands::run` refuses `--sandbox` first, so
/// nothing ever holds one.
#[cfg(not(feature = "sandbox"))]
pub(crate) enum SandboxHandle {}

#[cfg(not(feature = "sandbox"))]
impl SandboxHandle {
    pub(crate) async fn stop(self) {
        match self {}
    }
}

/// `--sandbox` in a build without the sandbox (refused before this).
#[cfg(not(feature = "sandbox"))]
pub(crate) async fn start_sandbox(
    _seed: &std::path::Path,
    _config: &crate::manifest::Config,
) -> Result<(
    SandboxHandle,
    std::collections::BTreeMap<String, crate::providers::Endpoint>,
)> {
    anyhow::bail!("this hrform was built without the sandbox (cargo feature `sandbox`)")
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
    let mut stderr = crate::output::stderr();
    let summary_line = summary.map(|s| format!("{s}\n")).unwrap_or_default();
    // A code repeated past `PER_CODE` times is shown that many times and
    // counted: one mistake (a wrong directory, a wrong provider) must not
    // bury the rest. The documents list everything.
    let (shown, left) = diag::bounded(diags, diag::PER_CODE);
    let shown: Vec<diag::Diagnostic> = shown.into_iter().cloned().collect();
    let left: String = left.iter().map(|l| format!("{}\n", l.line())).collect();
    let left = if left.is_empty() {
        left
    } else {
        format!("{left}\n")
    };
    // `auto` was settled at the edge (`Cli::settle`); left, it is text.
    let document = match format {
        F::Auto | F::Text => {
            write!(
                stderr,
                "{}{left}{summary_line}",
                diag::render_all(&shown, sources, stderr_color())
            )?;
            return Ok(());
        }
        F::Github => {
            let report = format!(
                "{}{left}{summary_line}",
                diag::render_all(&shown, sources, false)
            );
            // hrform's own workflow commands: the one path that may start
            // a line with `::` (see `output`).
            stderr.annotation(&diag::github_annotations(&shown, sources))?;
            if !report.is_empty() {
                let token = stop_commands_token();
                stderr.annotation(&format!("::stop-commands::{token}\n"))?;
                write!(stderr, "{report}")?;
                stderr.annotation(&format!("::{token}::\n"))?;
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
    let document = crate::output::json(&document);
    match doc {
        DocStream::Stdout => {
            let mut stdout = crate::output::stdout();
            write!(stdout, "{document}")?;
            stdout.flush()?;
            write!(stderr, "{summary_line}")?;
        }
        DocStream::Stderr => write!(stderr, "{document}")?,
    }
    Ok(())
}
/// Endpoints for `--sandbox`, for use by plan/apply/export.
#[cfg(feature = "sandbox")]
fn sandbox_endpoints(
    config: &crate::manifest::Config,
    sandbox: &crate::sandbox::Sandbox,
    clockify_key: Option<&str>,
    connecteam_key: Option<&str>,
) -> Result<std::collections::BTreeMap<String, crate::providers::Endpoint>> {
    use crate::manifest;
    use crate::providers::Endpoint;
    use anyhow::Context as _;
    let mut endpoints = std::collections::BTreeMap::new();
    for (name, provider) in &config.providers {
        let (base, key) = match provider.kind {
            manifest::checked::ProviderKind::Clockify { .. } => {
                (sandbox.clockify_base_url(), clockify_key)
            }
            manifest::checked::ProviderKind::Connecteam { .. } => {
                (sandbox.connecteam_base_url(), connecteam_key)
            }
        };
        let key = key.with_context(|| {
            format!(
                "provider `{name}` is {}, but the sandbox seed has no {} section",
                provider.kind.type_name(),
                provider.kind.type_name()
            )
        })?;
        endpoints.insert(
            name.clone(),
            Endpoint {
                base_url: url::Url::parse(&base)?,
                key: secrecy::SecretString::from(key.to_owned()),
            },
        );
    }
    Ok(endpoints)
}

/// `; did you mean …?` for a name the command line gave, or nothing.
pub(crate) fn hint<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    crate::diag::did_you_mean(name, candidates).map_or_else(String::new, |h| format!("; {h}"))
}

/// A fresh token for `::stop-commands::`: nothing in untrusted text can
/// guess it, so nothing in it can end the pause and inject a command.
fn stop_commands_token() -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    (0..32)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}
