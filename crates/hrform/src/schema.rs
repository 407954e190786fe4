//! JSON Schemas (draft-07, the dialect yaml-language-server understands)
//! generated from the Rust types, so that they cannot drift from the code:
//! the manifests' and the diagnostics report's from the core, the plan's
//! from `plan`, the seed's from the sandbox.
//! Knows no command line: `commands` maps `hrform schema KIND` to [`Kind`].

/// Which schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The manifests' (for yaml-language-server).
    Manifest,
    /// The plan document's (`plan --output json`, `--out`).
    Plan,
    /// The sandbox seed's.
    #[cfg(feature = "sandbox")]
    Sandbox,
    /// The diagnostics report's (`--format json`).
    Diagnostics,
}

/// Render the schema of `kind` as pretty JSON with a trailing newline, as
/// committed under `schemas/`.
pub(crate) fn render(kind: Kind) -> Result<String, serde_json::Error> {
    let schema = match kind {
        Kind::Manifest => hrform_core::schema::manifest(),
        Kind::Plan => crate::plan::schema(),
        #[cfg(feature = "sandbox")]
        Kind::Sandbox => crate::sandbox::seed_schema(),
        Kind::Diagnostics => crate::diag::report_schema(),
    };
    serde_json::to_string_pretty(&schema)
}
