//! The files diagnostics point into, and masking: values that may be
//! secrets are replaced by `*` wherever a line holding them is shown.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::{FileId, Loc};

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
    pub(super) fn secret_ranges(
        &self,
        file: FileId,
        line_no: u32,
        line: &str,
    ) -> Vec<std::ops::Range<usize>> {
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

/// The byte range of `len` characters from 1-based character column `col` of
/// `line`, clamped to the line. An empty range widens to one character so
/// the caret shows.
pub(super) fn char_range(line: &str, col: u32, len: u32) -> std::ops::Range<usize> {
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
pub(super) fn redact<'a>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Code, Diagnostic};

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
