//! The seed fixture: the YAML file that describes the world the sandbox
//! starts from (`hrform sandbox --seed FILE`, `--sandbox SEED`).
//!
//! This module owns the fixture's types, its JSON Schema, loading with
//! file:line:column errors, and the checks that cannot be expressed in the
//! types (references between users, policies and requests; id formats). The
//! format is documented field by field here (the `///` comments become the
//! schema's descriptions) and in `docs/sandbox.md`.
//!
//! The field names are hrform's own (snake_case), never the vendors' JSON
//! names: the wire shapes live in the `clockify` and `connecteam` modules only.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

mod check;
mod clockify;
mod connecteam;

use check::{check_clockify, check_connecteam};
pub use clockify::{
    BalanceFields, BalancePatch, ClockifyAccountStatus, ClockifyAssignmentSeed,
    ClockifyMembershipStatus, ClockifyPolicySeed, ClockifyQuirks, ClockifySeed, ClockifyUserSeed,
    PatchUnassigned, TimeUnit, UsersDefaultStatus,
};
pub use connecteam::{
    AccrualType, ConnecteamQuirks, ConnecteamRole, ConnecteamSeed, ConnecteamUserSeed, MoveBalance,
    PagingOffset, PolicyAssignmentSeed, PolicySeed, PolicyTypeSeed, ReassignSamePolicy,
    RequestSeed, RequestStatus, RequestWindow,
};

/// A seed fixture: the emulated Clockify workspace and Connecteam account.
///
/// Either vendor may be left out; its endpoints then refuse every API key.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "hrform sandbox seed")]
pub struct Seed {
    /// Format version of the seed file; must be 1. Its presence is also what
    /// tells the manifest loader that this YAML file is a seed, not a manifest.
    #[schemars(with = "u32", range(min = 1, max = 1))]
    pub seed_version: Spanned<u32>,
    /// The emulated Clockify workspace (served under `/api/v1/...`).
    #[serde(default)]
    pub clockify: Option<ClockifySeed>,
    /// The emulated Connecteam account (served under `/users/v1/...` and
    /// `/time-off/v1/...`).
    #[serde(default)]
    pub connecteam: Option<ConnecteamSeed>,
}

// ----------------------------------------------------------------- loading --

/// Why a seed could not be loaded. Every variant names where the problem is.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file could not be read.
    #[error("{}: cannot read the seed: {source}", path.display())]
    Read {
        /// The seed file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The YAML does not parse into the seed format.
    #[error("{origin}:{line}:{column}: {message}")]
    Parse {
        /// The file, or `<seed>` for a string.
        origin: String,
        /// 1-based line (0 when unknown).
        line: u64,
        /// 1-based column (0 when unknown).
        column: u64,
        /// What is wrong.
        message: String,
    },
    /// The seed parses but is inconsistent (unknown user, duplicate id, ...).
    #[error("{origin}:{line}:{column}: {message}")]
    Invalid {
        /// The file, or `<seed>` for a string.
        origin: String,
        /// 1-based line (0 when unknown).
        line: u64,
        /// 1-based column (0 when unknown).
        column: u64,
        /// What is wrong.
        message: String,
    },
}

impl Seed {
    /// Load and check a seed file.
    pub fn load(path: &Path) -> Result<Seed, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parse and check a seed held in a string (errors name `<seed>`).
    pub fn from_yaml_str(yaml: &str) -> Result<Seed, SeedError> {
        Self::parse(yaml, "<seed>")
    }

    /// A seed with no vendor at all: every API call is refused.
    pub fn empty() -> Seed {
        Seed {
            seed_version: Spanned::new(1, Location::UNKNOWN, Location::UNKNOWN),
            clockify: None,
            connecteam: None,
        }
    }

    fn parse(yaml: &str, origin: &str) -> Result<Seed, SeedError> {
        // A seed is a fixture written by whoever runs the sandbox, not
        // untrusted input: a world of 100,000 people (the benchmarks') is
        // far more YAML than the parser's default budget allows, so no
        // budget applies.
        let mut options = serde_saphyr::Options::default();
        options.budget = None;
        let seed: Seed = serde_saphyr::from_str_with_options(yaml, options).map_err(|err| {
            let (line, column) = err
                .location()
                .map_or((0, 0), |loc| (loc.line(), loc.column()));
            SeedError::Parse {
                origin: origin.to_owned(),
                line,
                column,
                message: first_line(&err.to_string()),
            }
        })?;
        seed.check().map_err(|(loc, message)| SeedError::Invalid {
            origin: origin.to_owned(),
            line: loc.line(),
            column: loc.column(),
            message,
        })?;
        Ok(seed)
    }

    /// The checks the types cannot express. Returns the first problem.
    fn check(&self) -> Result<(), (Location, String)> {
        if self.seed_version.value != 1 {
            return Err((
                self.seed_version.referenced,
                format!(
                    "unsupported seed_version {}; this hrform reads seed_version 1",
                    self.seed_version.value
                ),
            ));
        }
        if let Some(c) = &self.clockify {
            check_clockify(c)?;
        }
        if let Some(c) = &self.connecteam {
            check_connecteam(c)?;
        }
        Ok(())
    }
}

/// serde-saphyr renders a snippet under the message; keep the message line.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or(text).trim();
    // Drop a leading "error: " or location prefix the renderer may add.
    line.strip_prefix("error: ").unwrap_or(line).to_owned()
}

/// The seed format's JSON Schema (draft-07), for editors and
/// `schemas/sandbox.schema.json`.
pub fn seed_schema() -> schemars::Schema {
    schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Seed>()
}

/// A strict `YYYY-MM-DD`.
pub(crate) fn parse_ymd(s: &str) -> Option<jiff::civil::Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i16> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    jiff::civil::Date::new(y, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()
}

/// A strict `HH:MM:SS`.
pub(crate) fn parse_hms(s: &str) -> Option<jiff::civil::Time> {
    let b = s.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i8> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    jiff::civil::Time::new(num(0..2)?, num(3..5)?, num(6..8)?, 0).ok()
}
