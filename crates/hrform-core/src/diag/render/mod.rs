//! The renderings of diagnostics, one module per format, and what the
//! machine-readable ones share: spans and report paths.

pub(super) mod github;
pub(super) mod json;
pub(super) mod sarif;
pub(super) mod text;

use std::path::Path;

use super::{Loc, Sources};

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
pub(super) fn report_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}
