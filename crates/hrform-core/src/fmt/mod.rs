//! `hrform fmt`'s formatter: the canonical form of a manifest, with every
//! comment kept.
//!
//! Owns the canonical form (README "hrform fmt") and the guarantee that
//! formatting changes nothing a file says: [`format`] reads the file with
//! yaml-edit's lossless syntax tree (`tree`), writes it out canonically
//! (`emit`, `scalar`), reads the result back with hrform's own parser and
//! refuses, with a located [`Refusal`], unless it means exactly what the
//! source meant and holds every comment the source held. Anything it
//! cannot rewrite without loss is refused the same way, before writing.
//!
//! May import: `manifest` (its parser and located tree, so fmt reads YAML
//! as every other command does), `diag` (codes and locations) and
//! `escape` (which characters never stand raw). It knows
//! nothing of files and directories: `commands::fmt` finds, reads and
//! writes them.

mod emit;
pub mod scalar;
mod tree;

use serde_saphyr::Spanned;

use crate::diag::{self, Code, Diagnostic, Loc};
use crate::manifest::node::Node;

/// Why a file is left as it is: what fmt cannot rewrite without loss,
/// and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (line {line}, column {col})")]
pub struct Refusal {
    pub line: usize,
    pub col: usize,
    pub len: usize,
    pub message: String,
}

impl Refusal {
    fn at(line: usize, col: usize, len: usize, message: String) -> Self {
        Self {
            line,
            col,
            len,
            message,
        }
    }

    /// The refusal as a diagnostic in `file`.
    pub fn diagnostic(&self, file: diag::FileId) -> Diagnostic {
        let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Diagnostic::error(Code::FmtUnsupported, self.message.clone())
            .at(
                Loc {
                    file,
                    line: n(self.line),
                    col: n(self.col),
                    len: n(self.len),
                },
                "here",
            )
            .help("fmt left this file as it is; rewrite this part by hand, or leave the file unformatted")
    }
}

/// The canonical form of `text`, whose documents hrform parsed as `docs`.
pub fn format(text: &str, docs: &[Spanned<Node>]) -> Result<String, Refusal> {
    let trees = tree::build(text, docs)?;
    let out: String = trees.iter().map(emit::emit).collect();
    verify(&trees, docs, &out)?;
    Ok(out)
}

/// Refuse unless `out` means what `docs` meant and keeps every comment.
fn verify(trees: &[tree::Tree], docs: &[Spanned<Node>], out: &str) -> Result<(), Refusal> {
    let internal = |what: &str| {
        Refusal::at(
            1,
            1,
            0,
            format!(
                "fmt's canonical form of this file {what}, so it was not written (a bug in hrform fmt)"
            ),
        )
    };
    let mut scratch = Vec::new();
    let again = crate::manifest::parse(out, diag::FileId(0), &mut scratch)
        .ok_or_else(|| internal("does not parse"))?;
    let before: Vec<Plain> = docs.iter().map(|d| Plain::of(d, true)).collect();
    let after: Vec<Plain> = again.iter().map(|d| Plain::of(d, true)).collect();
    if before != after {
        return Err(internal("would mean something else"));
    }
    let reread = tree::build(out, &again).map_err(|_| internal("cannot be read back"))?;
    let mut was: Vec<&String> = trees.iter().flat_map(|t| &t.comments).collect();
    let mut now: Vec<&String> = reread.iter().flat_map(|t| &t.comments).collect();
    was.sort();
    now.sort();
    if was != now {
        return Err(internal("would lose or change a comment"));
    }
    Ok(())
}

/// A parsed value without locations, mappings in key order and the
/// top-level `users` in sorted order: what must not change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Plain {
    Null,
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(String),
    Seq(Vec<Plain>),
    Map(Vec<(String, Plain)>),
}

impl Plain {
    fn of(node: &Spanned<Node>, root: bool) -> Plain {
        match &node.value {
            Node::Null => Plain::Null,
            Node::Bool(b) => Plain::Bool(*b),
            Node::Int(i) => Plain::Int(*i),
            Node::Float(f) => Plain::Float(f.to_bits()),
            Node::Str(s) => Plain::Str(s.clone()),
            Node::Seq(items) => Plain::Seq(items.iter().map(|i| Plain::of(i, false)).collect()),
            Node::Map(entries) => {
                let mut entries: Vec<(String, Plain)> = entries
                    .iter()
                    .map(|(k, v)| {
                        let mut v = Plain::of(v, false);
                        if root
                            && k.value == "users"
                            && let Plain::Seq(items) = &mut v
                        {
                            items.sort();
                        }
                        (k.value.clone(), v)
                    })
                    .collect();
                entries.sort();
                Plain::Map(entries)
            }
        }
    }
}

#[cfg(test)]
mod tests;
