//! Manifests: loading, parsing with spans, and validation into checked types.
