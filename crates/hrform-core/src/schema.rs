//! The manifests' JSON Schema (draft-07, the dialect yaml-language-server
//! understands), generated from the raw manifest types so that it cannot
//! drift from the code.

use schemars::generate::SchemaSettings;

use crate::manifest::raw::Manifest;

/// The manifests' schema.
pub fn manifest() -> schemars::Schema {
    SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Manifest>()
}
