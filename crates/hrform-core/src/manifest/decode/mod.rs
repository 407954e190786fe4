//! Reading the raw manifest types out of a located YAML tree.
//!
//! Owns the shape checks: unknown keys (with "did you mean"), key-like fields
//! that would hold a secret, wrong types, values outside an enum, missing
//! required keys. Every problem becomes a diagnostic and decoding goes on, so
//! one run reports every mistake of a file.

use serde_saphyr::Spanned;

use super::node::Node;
use super::raw::*;
use crate::diag::{Code, Diagnostic, FileId, Loc, did_you_mean};

mod sections;

/// The decoding context: which file, and where diagnostics go.
pub(crate) struct Cx<'a> {
    pub file: FileId,
    pub diags: &'a mut Vec<Diagnostic>,
    /// Values that may be secrets, to mask wherever their line is shown.
    pub secrets: &'a mut Vec<Loc>,
    pub incomplete: &'a mut Incomplete,
}

/// What could not be read at all, so that checks which depend on it stay
/// quiet instead of reporting consequences of an error already shown.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Incomplete {
    /// A provider or profile name may be missing (a file or section was lost).
    pub names: bool,
    /// A user may be missing (so a profile may look unused).
    pub users: bool,
}

impl Cx<'_> {
    pub(crate) fn loc(&self, location: &serde_saphyr::Location) -> Loc {
        Loc {
            file: self.file,
            line: u32::try_from(location.line()).unwrap_or(u32::MAX),
            col: u32::try_from(location.column()).unwrap_or(u32::MAX),
            len: u32::try_from(location.span().len()).unwrap_or(0),
        }
    }

    fn node_loc(&self, node: &Spanned<Node>) -> Loc {
        self.loc(&node.referenced)
    }

    fn push(&mut self, diag: Diagnostic) {
        self.diags.push(diag);
    }

    fn wrong_type(&mut self, node: &Spanned<Node>, expected: &str) {
        let found = node.value.kind();
        let mut d = Diagnostic::error(
            Code::WrongType,
            format!("expected {expected}, found {found}"),
        )
        .at(self.node_loc(node), format!("this is {found}"));
        if expected == "a string"
            && matches!(node.value, Node::Int(_) | Node::Float(_) | Node::Bool(_))
        {
            d = d.help("put the value in quotes to make it a string");
        }
        self.push(d);
    }
}

/// A raw manifest type that can be read from a located YAML value.
pub(crate) trait Decode: Sized {
    /// What the value should be, in words ("a string", "a list of users").
    const EXPECTED: &'static str;
    /// Read the value, reporting every problem; `None` when it is unusable.
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self>;
}

impl<T: Decode> Decode for Sp<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        let loc = cx.node_loc(node);
        T::decode(node, cx).map(|v| Sp::new(v, loc))
    }
}

impl Decode for String {
    const EXPECTED: &'static str = "a string";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        match &node.value {
            Node::Str(s) => Some(s.clone()),
            _ => {
                cx.wrong_type(node, Self::EXPECTED);
                None
            }
        }
    }
}

impl Decode for bool {
    const EXPECTED: &'static str = "true or false";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        match node.value {
            Node::Bool(b) => Some(b),
            _ => {
                cx.wrong_type(node, Self::EXPECTED);
                None
            }
        }
    }
}

impl Decode for f64 {
    const EXPECTED: &'static str = "a number";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        match node.value {
            #[allow(clippy::cast_precision_loss)]
            Node::Int(i) => Some(i as f64),
            Node::Float(f) => Some(f),
            _ => {
                cx.wrong_type(node, Self::EXPECTED);
                None
            }
        }
    }
}

impl Decode for i64 {
    const EXPECTED: &'static str = "a whole number";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        match node.value {
            Node::Int(i) => Some(i),
            _ => {
                cx.wrong_type(node, Self::EXPECTED);
                None
            }
        }
    }
}

impl Decode for u32 {
    const EXPECTED: &'static str = "a whole number";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        match node.value {
            Node::Int(i) => match u32::try_from(i) {
                Ok(v) => Some(v),
                Err(_) => {
                    let loc = cx.node_loc(node);
                    cx.push(
                        Diagnostic::error(
                            Code::OutOfRange,
                            format!(
                                "{i} is out of range: expected a whole number from 0 to {}",
                                u32::MAX
                            ),
                        )
                        .at(loc, "out of range"),
                    );
                    None
                }
            },
            _ => {
                cx.wrong_type(node, Self::EXPECTED);
                None
            }
        }
    }
}

impl<T: Decode> Decode for Vec<T> {
    const EXPECTED: &'static str = "a list";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        match &node.value {
            // `users:` with every entry commented out is an empty list.
            Node::Null => Some(Vec::new()),
            Node::Seq(items) => Some(items.iter().filter_map(|i| T::decode(i, cx)).collect()),
            _ => {
                cx.wrong_type(node, Self::EXPECTED);
                None
            }
        }
    }
}

impl<T: Decode> Decode for NameMap<T> {
    const EXPECTED: &'static str = "a mapping of names";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        match &node.value {
            Node::Null => Some(NameMap::default()),
            Node::Map(entries) => {
                let mut map = NameMap::default();
                for (k, v) in entries {
                    let key = Sp::new(k.value.clone(), cx.loc(&k.referenced));
                    match T::decode(v, cx) {
                        Some(v) => map.entries.push((key, v)),
                        None => map.failed.push(key),
                    }
                }
                Some(map)
            }
            _ => {
                cx.wrong_type(node, Self::EXPECTED);
                None
            }
        }
    }
}

/// Implement [`Decode`] for a fieldless enum written as one of a few words.
macro_rules! decode_words {
    ($ty:ty, $what:literal, [$($word:literal => $variant:expr),+ $(,)?]) => {
        impl Decode for $ty {
            const EXPECTED: &'static str = $what;
            fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
                const WORDS: &[&str] = &[$($word),+];
                let Node::Str(s) = &node.value else {
                    cx.wrong_type(node, $what);
                    return None;
                };
                match s.as_str() {
                    $($word => Some($variant),)+
                    _ => {
                        let loc = cx.node_loc(node);
                        cx.push(
                            Diagnostic::error(
                                Code::InvalidValue,
                                format!("`{s}` is not valid here: expected {}", $what),
                            )
                            .at(loc, "not a valid value")
                            .help_opt(did_you_mean(s, WORDS.iter().copied())),
                        );
                        None
                    }
                }
            }
        }
    };
}

decode_words!(BalanceUpdate, "one of auto, add, set_accrued, set_available", [
    "auto" => BalanceUpdate::Auto, "add" => BalanceUpdate::Add,
    "set_accrued" => BalanceUpdate::SetAccrued, "set" => BalanceUpdate::SetAccrued,
    "set_available" => BalanceUpdate::SetAvailable,
]);
decode_words!(Unit, "days or hours", ["days" => Unit::Days, "hours" => Unit::Hours]);
decode_words!(Status, "active or inactive", [
    "active" => Status::Active, "inactive" => Status::Inactive,
]);
decode_words!(RequestStatus, "one of approved, pending, denied", [
    "approved" => RequestStatus::Approved,
    "pending" => RequestStatus::Pending,
    "denied" => RequestStatus::Denied,
]);
decode_words!(RoundingMode, "one of nearest, up, down", [
    "nearest" => RoundingMode::Nearest, "up" => RoundingMode::Up, "down" => RoundingMode::Down,
]);
decode_words!(UnmanagedUsers, "one of ignore, report, deactivate", [
    "ignore" => UnmanagedUsers::Ignore,
    "report" => UnmanagedUsers::Report,
    "deactivate" => UnmanagedUsers::Deactivate,
]);

/// Reads the keys of one mapping, remembering which were expected so that
/// the rest can be reported as unknown, with the closest known key.
pub(crate) struct MapReader<'n> {
    what: &'static str,
    loc: Loc,
    entries: &'n [(Spanned<String>, Spanned<Node>)],
    used: Vec<bool>,
    known: Vec<&'static str>,
}

impl<'n> MapReader<'n> {
    /// Start reading `node` as a mapping describing `what` ("a user").
    pub(crate) fn new(
        node: &'n Spanned<Node>,
        what: &'static str,
        cx: &mut Cx<'_>,
    ) -> Option<Self> {
        match &node.value {
            Node::Map(entries) => Some(Self {
                what,
                loc: cx.node_loc(node),
                entries,
                used: vec![false; entries.len()],
                known: Vec::new(),
            }),
            _ => {
                cx.wrong_type(node, &format!("{what} (a mapping)"));
                None
            }
        }
    }

    /// The value under `key`, without reading it.
    fn peek(&self, key: &str) -> Option<&'n Spanned<Node>> {
        let entries: &'n [(Spanned<String>, Spanned<Node>)] = self.entries;
        entries.iter().find(|(k, _)| k.value == key).map(|(_, v)| v)
    }

    fn take(&mut self, key: &'static str) -> Option<&'n Spanned<Node>> {
        self.known.push(key);
        let i = self.entries.iter().position(|(k, _)| k.value == key)?;
        self.used[i] = true;
        Some(&self.entries[i].1)
    }

    /// Whether the mapping has `key`.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.value == key)
    }

    /// How many items the list under `key` holds (`None` if absent or not a list).
    pub(crate) fn items(&self, key: &str) -> Option<usize> {
        self.entries
            .iter()
            .find(|(k, _)| k.value == key)
            .and_then(|(_, v)| match &v.value {
                Node::Seq(items) => Some(items.len()),
                Node::Null => Some(0),
                _ => None,
            })
    }

    /// An optional key. Absent: `None`; present but invalid: `None` too,
    /// with the problem reported.
    pub(crate) fn opt<T: Decode>(&mut self, key: &'static str, cx: &mut Cx<'_>) -> Option<T> {
        self.take(key).and_then(|node| T::decode(node, cx))
    }

    /// A required key; its absence is reported against the mapping.
    pub(crate) fn req<T: Decode>(&mut self, key: &'static str, cx: &mut Cx<'_>) -> Option<T> {
        match self.take(key) {
            Some(node) => T::decode(node, cx),
            None => {
                cx.push(
                    Diagnostic::error(
                        Code::MissingField,
                        format!("{} is missing the required key `{key}`", self.what),
                    )
                    .at(self.loc, format!("`{key}` is required here")),
                );
                None
            }
        }
    }

    /// Report every key that was not read.
    pub(crate) fn finish(self, cx: &mut Cx<'_>) {
        for ((key, value), used) in self.entries.iter().zip(&self.used) {
            if *used {
                continue;
            }
            let loc = cx.loc(&key.referenced);
            let name = key.value.as_str();
            if looks_like_secret(name) {
                let mut d = Diagnostic::error(
                    Code::SecretInManifest,
                    format!("`{name}` looks like an API key or other secret; secrets never go in manifests"),
                )
                .at(loc, "remove this key and its value");
                for loc in secret_locs(value, cx) {
                    d = d.secret(loc);
                }
                cx.push(d.help(
                    "put the key in an environment variable and name that variable with \
                         `api_key_env` on the provider (e.g. `api_key_env: CLOCKIFY_API_KEY`)",
                ));
                continue;
            }
            let help = did_you_mean(name, self.known.iter().copied())
                .unwrap_or_else(|| format!("expected one of: {}", self.known.join(", ")));
            cx.push(
                Diagnostic::error(
                    Code::UnknownKey,
                    format!("unknown key `{name}` in {}", self.what),
                )
                .at(loc, "unknown key")
                .help(help),
            );
        }
    }
}

/// Where every scalar under `node` is (itself, if it is one; the keys of
/// nested mappings too): what to mask when a secret-like key holds it.
fn secret_locs(node: &Spanned<Node>, cx: &Cx<'_>) -> Vec<Loc> {
    match &node.value {
        Node::Seq(items) => items.iter().flat_map(|i| secret_locs(i, cx)).collect(),
        Node::Map(entries) => entries
            .iter()
            .flat_map(|(k, v)| {
                let mut locs = vec![cx.loc(&k.referenced)];
                locs.extend(secret_locs(v, cx));
                locs
            })
            .collect(),
        _ => vec![cx.node_loc(node)],
    }
}

/// Whether a key name suggests it holds a credential. Only keys hrform does
/// not know are asked (so a request's `key`, a known field, is not one).
/// Compared lowercased with everything but letters and digits removed: a
/// key containing `apikey`, `token`, `secret`, `password`, `passwd`,
/// `credential`, `authorization`, `bearer`, `cookie`, `privatekey` or
/// `signature`; `auth`, `pwd`, `pass` or `key` alone or `auth` first (not
/// `author`); or ending in `key` (`api_key`, `accesskey`).
pub(crate) fn looks_like_secret(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    [
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "credential",
        "authorization",
        "bearer",
        "cookie",
        "privatekey",
        "signature",
    ]
    .iter()
    .any(|s| k.contains(s))
        || ["auth", "pwd", "pass", "key"].contains(&k.as_str())
        || (k.starts_with("auth") && !k.starts_with("author"))
        || k.ends_with("key")
}
