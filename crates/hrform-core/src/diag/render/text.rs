//! The human rendering: a rustc-style report with the source line
//! underlined (annotate-snippets), secrets masked.

use std::borrow::Cow;

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::diag::sources::{Sources, char_range, redact};
use crate::diag::{Diagnostic, Label, Severity};

impl Diagnostic {
    /// Render as a rustc-style report: code, message, `--> file:line:col`,
    /// the source line with the value underlined, and any help.
    pub fn render(&self, sources: &Sources, color: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        // Messages quote manifest values (a double-quoted YAML string can
        // hold any control character): shown escaped, never raw.
        let message = crate::escape::text(&self.message);
        let mut group =
            Group::with_title(level.primary_title(message.as_ref()).id(self.code.as_str()));
        let mut labels: Vec<(&Label, AnnotationKind)> = Vec::new();
        if let Some(p) = &self.primary {
            labels.push((p, AnnotationKind::Primary));
        }
        labels.extend(self.secondary.iter().map(|l| (l, AnnotationKind::Context)));
        // One snippet per label, each holding just its line: cheap on large
        // files and correct across files.
        let lines: Vec<(String, Cow<'_, str>, usize, std::ops::Range<usize>)> = labels
            .iter()
            .map(|(label, _)| {
                let text = sources.text(label.loc.file);
                let line = text.lines().nth(label.loc.line as usize - 1).unwrap_or("");
                let range = char_range(line, label.loc.col, label.loc.len);
                let masks = sources.secret_ranges(label.loc.file, label.loc.line, line);
                let (line, range) = redact(line, range, &masks);
                (
                    sources.path(label.loc.file).display().to_string(),
                    line,
                    label.loc.line as usize,
                    range,
                )
            })
            .collect();
        for ((label, kind), (path, line, line_no, range)) in labels.iter().zip(&lines) {
            group = group.element(
                Snippet::source(line.as_ref())
                    .line_start(*line_no)
                    .path(path.as_str())
                    .annotation((*kind).span(range.clone()).label(label.text.as_str())),
            );
        }
        let help = self.help.as_deref().map(crate::escape::text);
        if let Some(help) = &help {
            group = group.element(Level::HELP.message(help.as_ref()));
        }
        let report: Vec<Group<'_>> = vec![group];
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        }
        .decor_style(DecorStyle::Ascii);
        renderer.render(&report).to_string()
    }
}

/// Render a batch of diagnostics followed by a one-line summary, in a stable
/// order (file, line, column, code).
pub fn render_all(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&d.render(sources, color));
        out.push_str("\n\n");
    }
    out
}
