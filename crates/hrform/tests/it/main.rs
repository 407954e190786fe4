//! Integration tests: the real `hrform` binary against manifests written to a
//! temporary directory, and against the sandbox over real HTTP on loopback.
//! One test binary (it links once); one module per feature.

// Helpers are shared by modules that may not all use each one.
#![allow(unreachable_pub, dead_code)]

mod allowances;
mod apply;
mod book;
mod bounded;
mod common;
mod dates;
mod diagnostics;
mod export;
mod export_profiles;
mod export_world;
mod fmt;
mod hostile;
mod init;
mod ledger;
mod plan;
mod readme;
mod release;
mod requests;
mod rosters;
mod sandbox;
mod scheduled;
mod schema;
mod security;
mod strategies;
mod validate;
mod vendor_errors;
mod workflows;
