//! The process exit codes of the design's table, in one place.

use std::process::ExitCode;

/// How a command ended, as the process exit code the design specifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success; with `--detailed-exitcode`, no changes.
    Success,
    /// 1: an error (bad manifests, API failure, ...).
    Error,
    /// 2: `plan --detailed-exitcode` found changes.
    Changes,
    /// 3: blocked by a safety rule.
    Blocked,
    /// 4: a saved plan is stale.
    Stale,
    /// 5: a partial apply: some changes failed.
    Partial,
    /// 6: `apply --plan-sha256`: the plan file is not the plan reviewed.
    DigestMismatch,
    /// 64: a usage error on the command line.
    Usage,
}

impl ExitStatus {
    /// The numeric process exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Error => 1,
            Self::Changes => 2,
            Self::Blocked => 3,
            Self::Stale => 4,
            Self::Partial => 5,
            Self::DigestMismatch => 6,
            Self::Usage => 64,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}
