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

/// How many diagnostics of one code the text report shows; the rest are
/// counted (JSON and SARIF list them all).
pub const PER_CODE: usize = 20;

/// What [`bounded`] left out of one code: how many, and whether errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    pub code: Code,
    pub severity: Severity,
    pub count: usize,
}

impl LeftOut {
    /// `and 1,940 more user-not-found errors; --format json lists them all`
    pub fn line(&self) -> String {
        let word = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        format!(
            "and {} more {} {word}{}; --format json lists them all",
            thousands(self.count),
            self.code.as_str(),
            if self.count == 1 { "" } else { "s" }
        )
    }
}

/// The first `per_code` diagnostics of each code and severity, in order,
/// and what was left out of each (in the order each code first appears).
pub fn bounded(diags: &[Diagnostic], per_code: usize) -> (Vec<&Diagnostic>, Vec<LeftOut>) {
    let mut seen: Vec<LeftOut> = Vec::new();
    let mut kept = Vec::new();
    for d in diags {
        let slot = match seen
            .iter_mut()
            .find(|l| l.code == d.code && l.severity == d.severity)
        {
            Some(slot) => slot,
            None => {
                seen.push(LeftOut {
                    code: d.code,
                    severity: d.severity,
                    count: 0,
                });
                seen.last_mut().expect("just pushed")
            }
        };
        slot.count += 1;
        if slot.count <= per_code {
            kept.push(d);
        }
    }
    let left = seen
        .into_iter()
        .filter(|l| l.count > per_code)
        .map(|l| LeftOut {
            count: l.count - per_code,
            ..l
        })
        .collect();
    (kept, left)
}

/// `1,940`: a count with thousands separators, for people to read.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
    fn bounded_keeps_the_first_of_each_code_and_counts_the_rest() {
        let mut diags: Vec<Diagnostic> = (0..1960)
            .map(|i| Diagnostic::error(Code::UserNotFound, format!("user {i}")))
            .collect();
        diags.push(Diagnostic::warning(Code::UserNotFound, "a warning"));
        diags.push(Diagnostic::error(Code::UnknownPolicy, "policy"));
        let (kept, left) = bounded(&diags, PER_CODE);
        assert_eq!(kept.len(), 22);
        assert_eq!(kept[19].message, "user 19");
        assert_eq!(left.len(), 1);
        assert_eq!(
            left[0].line(),
            "and 1,940 more user-not-found errors; --format json lists them all"
        );
        let (kept, left) = bounded(&diags[..20], PER_CODE);
        assert_eq!((kept.len(), left.len()), (20, 0));
    }

    #[test]
    fn thousands_separates_groups_of_three() {
        for (n, s) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (1_961_009, "1,961,009"),
        ] {
            assert_eq!(thousands(n), s);
        }
    }

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
