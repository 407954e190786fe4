//! GitHub workflow commands: one `::error`/`::warning` annotation line
//! per diagnostic, escaped so a value cannot inject a command.

use super::{Span, report_path};
use crate::diag::{Diagnostic, Severity, Sources};

/// Escape the data part of a GitHub workflow command.
pub fn github_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value of a GitHub workflow command (also `:` and `,`).
pub fn github_escape_property(s: &str) -> String {
    github_escape_data(s)
        .replace(':', "%3A")
        .replace(',', "%2C")
}

/// One `::error …::message` (or `::warning`) line per diagnostic, in order.
/// GitHub turns them into annotations on the pull request's diff; it shows
/// at most 10 of each per step, hence the full report next to them.
pub fn github_annotations(diags: &[Diagnostic], sources: &Sources) -> String {
    let mut out = String::new();
    for d in diags {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = Vec::new();
        if let Some(p) = &d.primary {
            let span = Span::of(p.loc, sources);
            props.push(format!(
                "file={}",
                github_escape_property(&report_path(sources.path(p.loc.file)))
            ));
            props.push(format!("line={}", span.line));
            if span.is_multiline() {
                props.push(format!("endLine={}", span.end_line));
            } else {
                props.push(format!("col={}", span.col));
            }
        }
        props.push(format!("title={}", github_escape_property(d.code.as_str())));
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        out.push_str(&format!(
            "::{command} {}::{}\n",
            props.join(","),
            github_escape_data(&message)
        ));
    }
    out
}
