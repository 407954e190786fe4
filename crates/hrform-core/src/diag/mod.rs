//! Diagnostics: what hrform tells a user about their manifests.
//!
//! Owns the diagnostic value ([`Diagnostic`]) with its severity, labels and
//! source locations ([`Loc`]), and the small helpers checks use to build and
//! order them. The stable codes live in `code`, the loaded files and secret
//! masking in `sources`, and each output format in `render`. Checks
//! elsewhere only build [`Diagnostic`] values; nothing else prints them.

mod code;
mod render;
mod sources;

pub use code::Code;
pub use render::Span;
pub use render::github::{github_annotations, github_escape_data, github_escape_property};
pub use render::json::{
    REPORT_FORMAT_VERSION, Report, ReportDiagnostic, ReportLocation, ReportSeverity, report_schema,
};
pub use render::sarif::sarif;
pub use render::text::render_all;
pub use sources::Sources;

/// How serious a diagnostic is. Errors fail the command; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A place in a manifest: file, 1-based line and column (in characters), and
/// the length in characters of the text to underline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

/// A label under a piece of source.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub loc: Loc,
    pub text: String,
}

/// One finding about the manifests.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Where the problem is, when it has a place.
    pub primary: Option<Label>,
    /// Other places that explain it (the first of two duplicates, ...).
    pub secondary: Vec<Label>,
    /// A fix to try, e.g. "did you mean `Vacation`?".
    pub help: Option<String>,
    /// Values this diagnostic found to be (or hold) secrets: masked in
    /// every diagnostic's snippet once the manifests are loaded.
    pub secrets: Vec<Loc>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
            secrets: Vec::new(),
        }
    }

    /// Record a value that holds a secret, to be masked wherever shown.
    #[must_use]
    pub fn secret(mut self, loc: Loc) -> Self {
        self.secrets.push(loc);
        self
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message)
        }
    }

    /// Point at the primary location, with a short label.
    #[must_use]
    pub fn at(mut self, loc: Loc, label: impl Into<String>) -> Self {
        self.primary = Some(Label {
            loc,
            text: label.into(),
        });
        self
    }

    /// Add a secondary location.
    #[must_use]
    pub fn also(mut self, loc: Loc, label: impl Into<String>) -> Self {
        self.secondary.push(Label {
            loc,
            text: label.into(),
        });
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Where the diagnostic points, as `file:line:column`.
    pub fn location(&self, sources: &Sources) -> Option<String> {
        self.primary.as_ref().map(|l| {
            format!(
                "{}:{}:{}",
                sources.path(l.loc.file).display(),
                l.loc.line,
                l.loc.col
            )
        })
    }
}

/// Sort diagnostics by where they point, so output is stable.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        let key = |d: &Diagnostic| d.primary.as_ref().map(|l| l.loc);
        key(a)
            .cmp(&key(b))
            .then(a.code.cmp(&b.code))
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// `N errors, M warnings` in words.
pub fn summary(diags: &[Diagnostic]) -> (usize, usize) {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    (errors, diags.len() - errors)
}

/// Plural helper for summaries: `1 error`, `2 errors`.
pub fn count(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Suggest the declared name closest to `name`, if one is close enough to be
/// a plausible typo (Jaro-Winkler, as just and cargo do).
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_picks_the_closest_plausible_name() {
        let names = ["Vacation", "Sick", "Parental"];
        assert_eq!(
            did_you_mean("Vacaton", names).as_deref(),
            Some("did you mean `Vacation`?")
        );
        assert_eq!(did_you_mean("Bereavement", names), None);
    }
}
