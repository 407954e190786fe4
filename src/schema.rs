//! JSON Schemas (draft-07, the dialect yaml-language-server understands)
//! generated from the Rust types, so that they cannot drift from the code.

use schemars::generate::SchemaSettings;

use crate::cli::SchemaKind;
use crate::manifest::raw::Manifest;

/// The manifests' schema.
pub fn manifest() -> schemars::Schema {
    SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Manifest>()
}

/// Render the schema of `kind` as pretty JSON with a trailing newline, as
/// committed under `schemas/`.
pub fn render(kind: SchemaKind) -> anyhow::Result<String> {
    let schema = match kind {
        SchemaKind::Manifest => manifest(),
        SchemaKind::Plan => crate::plan::schema(),
        SchemaKind::Sandbox => crate::sandbox::seed_schema(),
        SchemaKind::Diagnostics => crate::diag::report_schema(),
    };
    Ok(serde_json::to_string_pretty(&schema)?)
}
