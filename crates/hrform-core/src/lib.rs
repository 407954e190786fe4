//! hrform-core: everything hrform does without I/O.
//!
//! Amounts, escaping of untrusted text, mailbox identity, diagnostics and
//! their renderers, the model of live state, changes and calls, manifests
//! (checked from their text), the canonical form (`fmt`) and the manifests'
//! schema. It
//! depends on no async runtime and no HTTP client, and reads no file, no
//! environment variable and no clock: whatever it needs from the world
//! comes in as a parameter, so the compiler (through the crate graph)
//! keeps it pure.

pub mod amount;
pub mod diag;
pub mod escape;
pub mod export;
pub mod fmt;
pub mod init;
pub mod mailbox;
pub mod manifest;
pub mod model;
pub mod plan;
pub mod schema;
pub mod table;
pub mod vendors;
