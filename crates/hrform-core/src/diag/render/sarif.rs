//! SARIF 2.1.0, for code-scanning upload.

use super::{Span, report_path};
use crate::diag::{Code, Diagnostic, Label, Severity, Sources};

/// A SARIF 2.1.0 log of `diags`, for code-scanning upload: one rule per
/// diagnostic code (every code, so rule indexes are stable), one result per
/// diagnostic.
pub fn sarif(diags: &[Diagnostic], sources: &Sources) -> serde_json::Value {
    use serde_json::json;
    let rules: Vec<serde_json::Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "name": c.as_str(),
                "shortDescription": { "text": c.description() },
            })
        })
        .collect();
    let location = |label: &Label| {
        let span = Span::of(label.loc, sources);
        json!({
            "physicalLocation": {
                "artifactLocation": {
                    "uri": report_path(sources.path(label.loc.file)),
                    "uriBaseId": "%SRCROOT%",
                },
                "region": {
                    "startLine": span.line,
                    "startColumn": span.col,
                    "endLine": span.end_line,
                    // SARIF's end column is exclusive.
                    "endColumn": span.end_col + 1,
                },
            },
            "message": { "text": label.text },
        })
    };
    let results: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let mut result = json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": Code::ALL.iter().position(|c| *c == d.code),
                "level": match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                "message": { "text": text },
            });
            if let Some(p) = &d.primary {
                result["locations"] = json!([location(p)]);
            }
            if !d.secondary.is_empty() {
                result["relatedLocations"] = d
                    .secondary
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        let mut v = location(l);
                        v["id"] = json!(i);
                        v
                    })
                    .collect();
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "hrform",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}
