//! Diagnostics: what hrform tells a user about their manifests.
//!
//! Owns the stable diagnostic codes ([`Code`]), source locations ([`Loc`]),
//! the set of loaded source files ([`Sources`]) and rendering a diagnostic as
//! a rustc-style report with the source line underlined (annotate-snippets).
//! Checks elsewhere only build [`Diagnostic`] values; nothing else prints them.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// The stable code of every diagnostic hrform emits. The kebab-case name is
/// part of hrform's interface: scripts and docs may refer to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// A manifest could not be read from disk.
    Io,
    /// No manifest files were found.
    NoManifests,
    /// The YAML itself is malformed.
    YamlSyntax,
    /// A key that hrform does not know.
    UnknownKey,
    /// A value of the wrong type (a list where a string was expected, ...).
    WrongType,
    /// A value outside the allowed set (an enum).
    InvalidValue,
    /// A required key is absent.
    MissingField,
    /// Two things that must be unique share a name or key.
    Duplicate,
    /// A user or request names a provider that is not declared.
    UnknownProvider,
    /// A user names a profile that is not declared.
    UnknownProfile,
    /// Several providers are declared and an entry does not say which.
    ProviderRequired,
    /// Users or requests are declared but no provider is.
    NoProvider,
    /// An email address that is not one.
    InvalidEmail,
    /// A balance that is negative, infinite or not a number.
    InvalidBalance,
    /// A balance without a unit.
    BalanceWithoutUnit,
    /// A date that is not a real calendar date.
    InvalidDate,
    /// A request date more than ten years from today (a typo).
    ImplausibleDate,
    /// A time of day that is not HH:MM or HH:MM:SS.
    InvalidTime,
    /// A request that ends before it starts.
    EndBeforeStart,
    /// A partial-day request (`all_day: false`) without times.
    MissingTimes,
    /// A partial-day request that spans more than one date.
    PartialDaySpansDates,
    /// Times on an all-day request.
    TimesOnAllDay,
    /// A partial-day time that does not exist on its date in its time zone
    /// (skipped when the clocks go forward).
    NonexistentLocalTime,
    /// The clocks change during a partial-day request and `adjust_for_dst`
    /// does not say how to count it (warning).
    ClockChange,
    /// A partial-day request whose end time is not after its start time.
    EndTimeNotAfterStart,
    /// A time zone that is not in the IANA database.
    UnknownTimezone,
    /// An API key or other secret written into a manifest.
    SecretInManifest,
    /// A `base_url` that is not a valid URL.
    InvalidUrl,
    /// A `base_url` that sends the API key in clear text to another host.
    InsecureBaseUrl,
    /// A `base_url` whose host is not the vendor's, a loopback address, or
    /// in `HRFORM_ALLOWED_HOSTS`.
    HostNotAllowed,
    /// An `api_key_env` that does not begin `HRFORM_`, `CLOCKIFY_` or
    /// `CONNECTEAM_`.
    KeyVariableNotAllowed,
    /// A symlink under the configuration directory that leads out of it
    /// (or loops).
    SymlinkOutsideTree,
    /// A request `key` with characters outside letters, digits and `-_.:/`.
    InvalidRequestKey,
    /// A number outside the range the setting allows.
    OutOfRange,
    /// A key that only applies to another provider type.
    WrongProviderType,
    /// A protected user declared inactive.
    ProtectedUserInactive,
    /// A profile no user refers to.
    UnusedProfile,
    /// A declared user does not exist in the provider.
    UserNotFound,
    /// A policy (or policy type) that does not exist in the provider.
    UnknownPolicy,
    /// A declared unit that differs from the policy's own.
    UnitMismatch,
    /// A Connecteam policy name found under several policy types.
    AmbiguousPolicy,
    /// A Clockify assignment change for a policy without declared `has_expiration`.
    HasExpirationRequired,
    /// A Clockify user who is invited (pending) or declined: cannot be activated.
    UserPending,
    /// The owner of the API key declared inactive.
    KeyOwnerInactive,
    /// A Connecteam owner or manager declared inactive: the API cannot archive them.
    CannotArchiveManager,
    /// A request names a policy type the account does not have.
    UnknownPolicyType,
    /// A request's person is on no policy of the request's type.
    RequestNotAssigned,
    /// Several live requests carry the same `[hrform:KEY]` marker: the
    /// later copies are denied (warning).
    DuplicateRequestMarker,
    /// Two live accounts share one email (differing in case, say), or one
    /// id is listed twice with different data: which one is meant?
    AmbiguousIdentity,
    /// A live address looks like a declared one (Unicode case or
    /// compatibility folding, invisible characters, confusable letters)
    /// without being the same mailbox.
    ConfusableIdentity,
    /// A `protected_users` entry names nobody in any provider (warning).
    ProtectedUserNotFound,
    /// Declared requests of one person overlap (warning).
    OverlappingRequests,
    /// An absolute balance and approved requests in one policy type (warning).
    DoubleDeduction,
    /// A time-off entry declares both `allowance` and `balance`.
    AllowanceAndBalance,
    /// An `allowance` on a policy whose balance the system accrues itself.
    AccruingPolicy,
    /// A Clockify balance row whose `balance`, `total` and `used` do not
    /// say which is accrued and which available.
    UnreadableBalance,
    /// A request field the API cannot change differs; it must be denied and
    /// recreated (`recreate_requests`) (warning).
    RequestNeedsRecreate,
    /// A construct `hrform fmt` cannot rewrite without losing something (a
    /// comment inside a flow collection, an anchor, a tag, ...): the file
    /// is left as it is.
    FmtUnsupported,
}

impl Code {
    /// Every code, in declaration order (for docs and the uniqueness test).
    pub const ALL: &'static [Code] = &[
        Code::Io,
        Code::NoManifests,
        Code::YamlSyntax,
        Code::UnknownKey,
        Code::WrongType,
        Code::InvalidValue,
        Code::MissingField,
        Code::Duplicate,
        Code::UnknownProvider,
        Code::UnknownProfile,
        Code::ProviderRequired,
        Code::NoProvider,
        Code::InvalidEmail,
        Code::InvalidBalance,
        Code::BalanceWithoutUnit,
        Code::InvalidDate,
        Code::ImplausibleDate,
        Code::InvalidTime,
        Code::EndBeforeStart,
        Code::MissingTimes,
        Code::PartialDaySpansDates,
        Code::TimesOnAllDay,
        Code::NonexistentLocalTime,
        Code::ClockChange,
        Code::EndTimeNotAfterStart,
        Code::UnknownTimezone,
        Code::SecretInManifest,
        Code::InvalidUrl,
        Code::InsecureBaseUrl,
        Code::HostNotAllowed,
        Code::KeyVariableNotAllowed,
        Code::SymlinkOutsideTree,
        Code::InvalidRequestKey,
        Code::OutOfRange,
        Code::WrongProviderType,
        Code::ProtectedUserInactive,
        Code::UnusedProfile,
        Code::UserNotFound,
        Code::UnknownPolicy,
        Code::UnitMismatch,
        Code::AmbiguousPolicy,
        Code::HasExpirationRequired,
        Code::UserPending,
        Code::KeyOwnerInactive,
        Code::CannotArchiveManager,
        Code::UnknownPolicyType,
        Code::RequestNotAssigned,
        Code::DuplicateRequestMarker,
        Code::AmbiguousIdentity,
        Code::ConfusableIdentity,
        Code::ProtectedUserNotFound,
        Code::OverlappingRequests,
        Code::DoubleDeduction,
        Code::AllowanceAndBalance,
        Code::AccruingPolicy,
        Code::UnreadableBalance,
        Code::RequestNeedsRecreate,
        Code::FmtUnsupported,
    ];

    /// The stable kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Io => "io",
            Code::NoManifests => "no-manifests",
            Code::YamlSyntax => "yaml-syntax",
            Code::UnknownKey => "unknown-key",
            Code::WrongType => "wrong-type",
            Code::InvalidValue => "invalid-value",
            Code::MissingField => "missing-field",
            Code::Duplicate => "duplicate",
            Code::UnknownProvider => "unknown-provider",
            Code::UnknownProfile => "unknown-profile",
            Code::ProviderRequired => "provider-required",
            Code::NoProvider => "no-provider",
            Code::InvalidEmail => "invalid-email",
            Code::InvalidBalance => "invalid-balance",
            Code::BalanceWithoutUnit => "balance-without-unit",
            Code::InvalidDate => "invalid-date",
            Code::ImplausibleDate => "implausible-date",
            Code::InvalidTime => "invalid-time",
            Code::EndBeforeStart => "end-before-start",
            Code::MissingTimes => "missing-times",
            Code::PartialDaySpansDates => "partial-day-spans-dates",
            Code::TimesOnAllDay => "times-on-all-day",
            Code::NonexistentLocalTime => "nonexistent-local-time",
            Code::ClockChange => "clock-change",
            Code::EndTimeNotAfterStart => "end-time-not-after-start",
            Code::UnknownTimezone => "unknown-timezone",
            Code::SecretInManifest => "secret-in-manifest",
            Code::InvalidUrl => "invalid-url",
            Code::InsecureBaseUrl => "insecure-base-url",
            Code::HostNotAllowed => "host-not-allowed",
            Code::KeyVariableNotAllowed => "key-variable-not-allowed",
            Code::SymlinkOutsideTree => "symlink-outside-tree",
            Code::InvalidRequestKey => "invalid-request-key",
            Code::OutOfRange => "out-of-range",
            Code::WrongProviderType => "wrong-provider-type",
            Code::ProtectedUserInactive => "protected-user-inactive",
            Code::UnusedProfile => "unused-profile",
            Code::UserNotFound => "user-not-found",
            Code::UnknownPolicy => "unknown-policy",
            Code::UnitMismatch => "unit-mismatch",
            Code::AmbiguousPolicy => "ambiguous-policy",
            Code::HasExpirationRequired => "has-expiration-required",
            Code::UserPending => "user-pending",
            Code::KeyOwnerInactive => "key-owner-inactive",
            Code::CannotArchiveManager => "cannot-archive-manager",
            Code::UnknownPolicyType => "unknown-policy-type",
            Code::RequestNotAssigned => "request-not-assigned",
            Code::DuplicateRequestMarker => "duplicate-request-marker",
            Code::AmbiguousIdentity => "ambiguous-identity",
            Code::ConfusableIdentity => "confusable-identity",
            Code::ProtectedUserNotFound => "protected-user-not-found",
            Code::OverlappingRequests => "overlapping-requests",
            Code::DoubleDeduction => "double-deduction",
            Code::AllowanceAndBalance => "allowance-and-balance",
            Code::AccruingPolicy => "accruing-policy",
            Code::UnreadableBalance => "unreadable-balance",
            Code::RequestNeedsRecreate => "request-needs-recreate",
            Code::FmtUnsupported => "fmt-unsupported",
        }
    }
    /// What the code means, in one sentence (SARIF rule descriptions, the README).
    pub fn description(self) -> &'static str {
        match self {
            Code::HostNotAllowed => {
                "A `base_url` whose host is not the vendor's, a loopback address, or in `HRFORM_ALLOWED_HOSTS`."
            }
            Code::KeyVariableNotAllowed => {
                "An `api_key_env` that does not begin `HRFORM_`, `CLOCKIFY_` or `CONNECTEAM_`."
            }
            Code::SymlinkOutsideTree => {
                "A symlink under the configuration directory that leads out of it (or loops)."
            }
            Code::InvalidRequestKey => {
                "A request `key` with characters outside letters, digits and `-_.:/`."
            }
            Code::Io => "A manifest could not be read from disk.",
            Code::NoManifests => "No manifest files were found.",
            Code::YamlSyntax => "The YAML itself is malformed.",
            Code::UnknownKey => "A key that hrform does not know.",
            Code::WrongType => {
                "A value of the wrong type (a list where a string was expected, ...)."
            }
            Code::InvalidValue => "A value outside the allowed set (an enum).",
            Code::MissingField => "A required key is absent.",
            Code::Duplicate => "Two things that must be unique share a name or key.",
            Code::UnknownProvider => "A user or request names a provider that is not declared.",
            Code::UnknownProfile => "A user names a profile that is not declared.",
            Code::ProviderRequired => {
                "Several providers are declared and an entry does not say which."
            }
            Code::NoProvider => "Users or requests are declared but no provider is.",
            Code::InvalidEmail => "An email address that is not one.",
            Code::InvalidBalance => "A balance that is negative, infinite or not a number.",
            Code::BalanceWithoutUnit => "A balance without a unit.",
            Code::InvalidDate => "A date that is not a real calendar date.",
            Code::ImplausibleDate => "A request date more than ten years from today (a typo).",
            Code::InvalidTime => "A time of day that is not HH:MM or HH:MM:SS.",
            Code::EndBeforeStart => "A request that ends before it starts.",
            Code::MissingTimes => "A partial-day request (`all_day: false`) without times.",
            Code::PartialDaySpansDates => "A partial-day request that spans more than one date.",
            Code::TimesOnAllDay => "Times on an all-day request.",
            Code::NonexistentLocalTime => {
                "A partial-day time that does not exist on its date in its time zone (skipped when the clocks go forward)."
            }
            Code::ClockChange => {
                "The clocks change during a partial-day request and `adjust_for_dst` does not say how to count it (warning)."
            }
            Code::EndTimeNotAfterStart => {
                "A partial-day request whose end time is not after its start time."
            }
            Code::UnknownTimezone => "A time zone that is not in the IANA database.",
            Code::SecretInManifest => "An API key or other secret written into a manifest.",
            Code::InvalidUrl => "A `base_url` that is not a valid URL.",
            Code::InsecureBaseUrl => {
                "A `base_url` that sends the API key in clear text to another host."
            }
            Code::OutOfRange => "A number outside the range the setting allows.",
            Code::WrongProviderType => "A key that only applies to another provider type.",
            Code::ProtectedUserInactive => "A protected user declared inactive.",
            Code::UnusedProfile => "A profile no user refers to.",
            Code::UserNotFound => "A declared user does not exist in the provider.",
            Code::UnknownPolicy => "A policy (or policy type) that does not exist in the provider.",
            Code::UnitMismatch => "A declared unit that differs from the policy's own.",
            Code::AmbiguousPolicy => "A Connecteam policy name found under several policy types.",
            Code::HasExpirationRequired => {
                "A Clockify assignment change for a policy without declared `has_expiration`."
            }
            Code::UserPending => {
                "A Clockify user who is invited (pending) or declined: cannot be activated."
            }
            Code::KeyOwnerInactive => "The owner of the API key declared inactive.",
            Code::CannotArchiveManager => {
                "A Connecteam owner or manager declared inactive: the API cannot archive them."
            }
            Code::UnknownPolicyType => "A request names a policy type the account does not have.",
            Code::RequestNotAssigned => "A request's person is on no policy of the request's type.",
            Code::DuplicateRequestMarker => {
                "Several live requests carry the same `[hrform:KEY]` marker: the later copies are denied (warning)."
            }
            Code::AmbiguousIdentity => {
                "Two live accounts share one email (differing in case, say), or one id is listed twice with different data: which one is meant?"
            }
            Code::ConfusableIdentity => {
                "A live account's email looks like a declared one (a Kelvin sign for a `K`, a Cyrillic `а`, a zero-width character) but is another mailbox: a possible spoof."
            }
            Code::ProtectedUserNotFound => {
                "A `protected_users` entry names nobody in any provider (warning)."
            }
            Code::OverlappingRequests => "Declared requests of one person overlap (warning).",
            Code::DoubleDeduction => {
                "An absolute balance and approved requests in one policy type (warning)."
            }
            Code::AllowanceAndBalance => {
                "A time-off entry declares both `allowance` and `balance`."
            }
            Code::AccruingPolicy => {
                "An `allowance` on a policy whose balance the system accrues itself."
            }
            Code::UnreadableBalance => {
                "A Clockify balance row whose `balance`, `total` and `used` do not say which is accrued and which available."
            }
            Code::RequestNeedsRecreate => {
                "A request field the API cannot change differs; it must be denied and recreated (`recreate_requests`) (warning)."
            }
            Code::FmtUnsupported => {
                "A construct `hrform fmt` cannot rewrite without losing something (a comment inside a flow collection, an anchor, a tag, ...): the file is left as it is."
            }
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

/// The files diagnostics point into, with their text.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: Vec<(PathBuf, String)>,
    /// Values that may be secrets: masked in every line shown.
    secrets: Vec<Loc>,
}

impl Sources {
    /// Register a file and its text.
    pub fn add(&mut self, path: PathBuf, text: String) -> FileId {
        self.files.push((path, text));
        FileId(u32::try_from(self.files.len() - 1).expect("fewer than 4 billion files"))
    }

    /// The path of a registered file, as shown to users.
    pub fn path(&self, id: FileId) -> &Path {
        &self.files[id.0 as usize].0
    }

    /// Mask the text at `loc` (a value that may be a secret) wherever one of
    /// its lines is shown, whichever diagnostic shows it.
    pub fn add_secret(&mut self, loc: Loc) {
        self.secrets.push(loc);
    }

    /// The byte ranges of `line_no` (1-based) of `file` to mask, sorted and
    /// merged. A secret longer than the rest of its line goes on over the
    /// next lines (a block scalar).
    fn secret_ranges(&self, file: FileId, line_no: u32, line: &str) -> Vec<std::ops::Range<usize>> {
        let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
        for s in self
            .secrets
            .iter()
            .filter(|s| s.file == file && s.line <= line_no)
        {
            if s.line == line_no {
                ranges.push(char_range(line, s.col, s.len.max(1)));
                continue;
            }
            // Count what the secret covers of the lines before this one.
            let text = self.text(file);
            let mut left = s.len as usize;
            let mut covers = false;
            for (i, l) in text.lines().enumerate().skip(s.line as usize - 1) {
                let n = i as u32 + 1;
                let avail = if n == s.line {
                    l.chars().count().saturating_sub(s.col as usize - 1) + 1
                } else {
                    l.chars().count() + 1
                };
                if n == line_no {
                    covers = left > 0;
                    break;
                }
                left = left.saturating_sub(avail);
                if left == 0 {
                    break;
                }
            }
            if covers {
                // The span runs to the next token: the indentation before
                // it is not part of the secret.
                let lead = line.len() - line.trim_start().len();
                let end = char_range(line, 1, u32::try_from(left).unwrap_or(u32::MAX)).end;
                if end > lead {
                    ranges.push(lead..end);
                }
            }
        }
        ranges.retain(|r| !r.is_empty());
        ranges.sort_by_key(|r| r.start);
        let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
        for r in ranges {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        merged
    }

    /// The text of a registered file.
    pub fn text(&self, id: FileId) -> &str {
        &self.files[id.0 as usize].1
    }

    /// Every registered file in registration order.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &Path, &str)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, (p, t))| (FileId(i as u32), p.as_path(), t.as_str()))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
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

/// The byte range of `len` characters from 1-based character column `col` of
/// `line`, clamped to the line. An empty range widens to one character so
/// the caret shows.
fn char_range(line: &str, col: u32, len: u32) -> std::ops::Range<usize> {
    let byte_at = |chars: usize| {
        line.char_indices()
            .nth(chars)
            .map_or(line.len(), |(i, _)| i)
    };
    let start = byte_at((col as usize).saturating_sub(1));
    let end = byte_at((col as usize).saturating_sub(1) + (len.max(1) as usize));
    start..end.max(start)
}

/// A source line with the byte ranges in `masks` (sorted, disjoint)
/// replaced by one `*` per character, so no secret shows and every column
/// (the `-->` line's included) stays where it is in the file; the label's
/// byte range is moved to match.
fn redact<'a>(
    line: &'a str,
    range: std::ops::Range<usize>,
    masks: &[std::ops::Range<usize>],
) -> (Cow<'a, str>, std::ops::Range<usize>) {
    if masks.is_empty() {
        return (Cow::Borrowed(line), range);
    }
    let mut out = String::with_capacity(line.len());
    let mut at = 0;
    for m in masks {
        out.push_str(&line[at..m.start]);
        out.extend(std::iter::repeat_n('*', line[m.clone()].chars().count()));
        at = m.end;
    }
    out.push_str(&line[at..]);
    // Same characters before any offset, so map offsets by character count.
    let chars_before = |offset: usize| line[..offset.min(line.len())].chars().count();
    let byte_of = |chars: usize| out.char_indices().nth(chars).map_or(out.len(), |(i, _)| i);
    let start = byte_of(chars_before(range.start));
    let end = byte_of(chars_before(range.end)).max(start);
    (Cow::Owned(out), start..end)
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

// ---------------------------------------------------------------------------
// Machine-readable renderings: GitHub workflow commands, SARIF 2.1.0 and the
// versioned JSON report (`schemas/diagnostics.schema.json`).

/// The version of the JSON diagnostics report; bumped on any breaking change.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// Where a diagnostic's span starts and ends, 1-based, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub line: u32,
    pub col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

impl Span {
    /// The span `loc` covers in its file: `len` characters from its start,
    /// which may cross line ends (a multi-line value).
    pub fn of(loc: Loc, sources: &Sources) -> Span {
        let text = sources.text(loc.file);
        let mut line = loc.line;
        let mut col = loc.col;
        let mut rest = text
            .split_inclusive('\n')
            .skip(loc.line.saturating_sub(1) as usize)
            .flat_map(str::chars)
            .skip(loc.col.saturating_sub(1) as usize);
        // The last character covered is `len - 1` characters on.
        for _ in 1..loc.len.max(1) {
            match rest.next() {
                Some('\n') => {
                    line += 1;
                    col = 1;
                }
                Some(_) => col += 1,
                None => break,
            }
        }
        Span {
            line: loc.line,
            col: loc.col,
            end_line: line,
            end_col: col,
        }
    }

    pub fn is_multiline(&self) -> bool {
        self.end_line != self.line
    }
}

/// A path as reviewers and code scanning know it: relative, with `/`.
fn report_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_all_listed() {
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "two codes share a name");
        assert_eq!(
            n,
            Code::FmtUnsupported as usize + 1,
            "Code::ALL misses a code"
        );
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

    #[test]
    fn secrets_are_masked_in_every_line_they_cover_and_nowhere_else() {
        let mut sources = Sources::default();
        let file = sources.add(
            "p.yaml".into(),
            "a:\n  k: |\n    S1\n    S2\n  b: 1\n".into(),
        );
        // The span of a block scalar runs to the next token (`b`).
        sources.add_secret(Loc {
            file,
            line: 3,
            col: 5,
            len: 12,
        });
        let at = |line: u32| Loc {
            file,
            line,
            col: 3,
            len: 1,
        };
        let d = Diagnostic::error(Code::UnknownKey, "x")
            .at(at(5), "here")
            .also(at(3), "one")
            .also(at(4), "two");
        let out = d.render(&sources, false);
        assert!(!out.contains("S1") && !out.contains("S2"), "{out}");
        assert!(out.contains("    **") && out.contains("  b: 1"), "{out}");
    }

    #[test]
    fn char_range_counts_characters_not_bytes() {
        let line = "  - email: zoë@example.com";
        assert_eq!(&line[char_range(line, 12, 15)], "zoë@example.com");
        assert_eq!(char_range("ab", 5, 1), 2..2);
    }
}
