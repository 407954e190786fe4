//! The versioned JSON diagnostics report (`--format json`) and its
//! JSON Schema (`schemas/diagnostics.schema.json`).

use super::{Span, report_path};
use crate::diag::{Diagnostic, Label, Severity, Sources, summary};

/// The version of the JSON diagnostics report; bumped on any breaking change.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// One location of the JSON report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct ReportLocation {
    /// The manifest, relative to where hrform ran, with `/` separators.
    pub file: String,
    /// 1-based line of the first character.
    pub line: u32,
    /// 1-based column (in characters) of the first character.
    pub column: u32,
    /// 1-based line of the last character.
    pub end_line: u32,
    /// 1-based column (in characters) of the last character.
    pub end_column: u32,
    /// What the label under this place says.
    pub label: String,
}

/// One diagnostic of the JSON report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct ReportDiagnostic {
    /// The stable diagnostic code (see the README's troubleshooting section).
    pub code: String,
    /// `error` fails the command; `warning` does not.
    pub severity: ReportSeverity,
    pub message: String,
    /// Where the problem is; absent for problems without a place.
    pub location: Option<ReportLocation>,
    /// Other places that explain it.
    pub related: Vec<ReportLocation>,
    /// A fix to try.
    pub help: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportSeverity {
    Error,
    Warning,
}

/// The JSON diagnostics report of `validate` and `plan` (`--format json`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[schemars(title = "hrform diagnostics")]
pub struct Report {
    /// The version of this document's shape (currently 1).
    pub format_version: u32,
    pub hrform_version: String,
    /// How many diagnostics are errors.
    pub errors: usize,
    /// How many diagnostics are warnings.
    pub warnings: usize,
    /// Every diagnostic, sorted by place.
    pub diagnostics: Vec<ReportDiagnostic>,
}

fn report_location(label: &Label, sources: &Sources) -> ReportLocation {
    let span = Span::of(label.loc, sources);
    ReportLocation {
        file: report_path(sources.path(label.loc.file)),
        line: span.line,
        column: span.col,
        end_line: span.end_line,
        end_column: span.end_col,
        label: label.text.clone(),
    }
}

impl Report {
    pub fn new(diags: &[Diagnostic], sources: &Sources) -> Report {
        let (errors, warnings) = summary(diags);
        Report {
            format_version: REPORT_FORMAT_VERSION,
            hrform_version: env!("CARGO_PKG_VERSION").to_owned(),
            errors,
            warnings,
            diagnostics: diags
                .iter()
                .map(|d| ReportDiagnostic {
                    code: d.code.as_str().to_owned(),
                    severity: match d.severity {
                        Severity::Error => ReportSeverity::Error,
                        Severity::Warning => ReportSeverity::Warning,
                    },
                    message: d.message.clone(),
                    location: d.primary.as_ref().map(|l| report_location(l, sources)),
                    related: d
                        .secondary
                        .iter()
                        .map(|l| report_location(l, sources))
                        .collect(),
                    help: d.help.clone(),
                })
                .collect(),
        }
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report serialises");
        s.push('\n');
        s
    }
}

/// The JSON Schema of [`Report`] (`schemas/diagnostics.schema.json`).
pub fn report_schema() -> schemars::Schema {
    schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Report>()
}
