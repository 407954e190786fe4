//! The parse bounds: what a manifest may be before the YAML parser sees it.
//!
//! Manifests come from pull requests, forks included, and `validate` runs
//! on each, so reading one must cost time linear in its size whatever it
//! holds. The YAML parser's own budget (nodes, aliases, depth) bounds what
//! it builds, but its scanner spends time quadratic in the depth of
//! unclosed nested flow collections (`{a: {a: {a: …`) before any budget
//! is charged. This module refuses, in one linear pass over the text and
//! before parsing, a file larger than [`MAX_BYTES`] and a file whose flow
//! collections (`[`, `{`) or block structure nest deeper than
//! [`MAX_DEPTH`], with the line and column where the limit was crossed.
//! The pass over-approximates nesting (a bracket it cannot rule out counts),
//! never under-approximates it, so what it lets through is within bounds.

/// The largest manifest file hrform reads, in bytes (4 MiB: a manifest of
/// 10,000 people is under 2 MiB).
pub(crate) const MAX_BYTES: usize = 4 * 1024 * 1024;

/// The deepest nesting hrform reads: flow collections open at once, and
/// block levels (indentation steps). Real manifests nest at most 5.
pub(crate) const MAX_DEPTH: usize = 32;

/// Why a text is refused, and where (1-based line and column, in
/// characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub message: String,
    pub line: usize,
    pub col: usize,
}

/// Check `text` against the bounds in one pass.
pub(crate) fn check(text: &str) -> Result<(), Refusal> {
    if text.len() > MAX_BYTES {
        return Err(Refusal {
            message: format!(
                "the file is {} bytes, more than the {MAX_BYTES} bytes hrform reads in one manifest",
                text.len()
            ),
            line: 1,
            col: 1,
        });
    }
    let mut flow = 0usize;
    // Indentation of each open block level, innermost last.
    let mut indents: Vec<usize> = Vec::new();
    // Inside a quoted scalar (it may go on over lines): its quote.
    let mut quote: Option<char> = None;
    // Inside a block scalar (`|`, `>`): the indentation of its parent.
    let mut block_scalar: Option<usize> = None;
    for (n, line) in text.split('\n').enumerate() {
        let too_deep = |col: usize, what: &str| Refusal {
            message: format!("{what} nested more than {MAX_DEPTH} deep, hrform's limit"),
            line: n + 1,
            col,
        };
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        let blank = body.trim_end_matches('\r').is_empty();
        if let Some(parent) = block_scalar {
            if blank || indent > parent {
                continue;
            }
            block_scalar = None;
        }
        // Block structure: only lines outside flow collections and quoted
        // scalars that hold something other than a comment open or close
        // block levels.
        if flow == 0 && quote.is_none() && !blank && !body.starts_with('#') {
            while indents.last().is_some_and(|&i| i > indent) {
                indents.pop();
            }
            if indents.last() != Some(&indent) {
                indents.push(indent);
            }
            // `- - - a` and `? ? a` open a level per indicator on one line.
            let mut extra = 0usize;
            let mut rest = body;
            while let Some(r) = ["- ", "? ", ": "].iter().find_map(|p| rest.strip_prefix(p)) {
                extra += 1;
                rest = r.trim_start_matches(' ');
            }
            if indents.len() + extra > MAX_DEPTH {
                return Err(too_deep(indent + 1, "block structure"));
            }
        }
        // Flow collections, outside quotes and comments. In block context
        // a bracket opens a collection only where a value starts; inside
        // a flow collection every bracket counts.
        let mut value_start = quote.is_none();
        let mut prev: Option<char> = None;
        let mut chars = line.chars().enumerate().peekable();
        while let Some((col, c)) = chars.next() {
            if let Some(q) = quote {
                if q == '"' && c == '\\' {
                    chars.next();
                } else if c == q {
                    if q == '\'' && chars.peek().is_some_and(|&(_, d)| d == '\'') {
                        chars.next();
                    } else {
                        quote = None;
                    }
                }
                prev = Some(c);
                continue;
            }
            let was_value_start = value_start;
            match c {
                '#' if prev.is_none_or(|p| p == ' ' || p == '\t') => break,
                ' ' | '\t' => {
                    // A space after an indicator starts a value.
                    if matches!(prev, Some('-' | '?' | ':')) {
                        value_start = true;
                    }
                }
                '"' | '\'' if was_value_start => quote = Some(c),
                '|' | '>' if was_value_start && flow == 0 => {
                    block_scalar = Some(indent);
                    break;
                }
                '[' | '{' if was_value_start || flow > 0 => {
                    flow += 1;
                    if flow > MAX_DEPTH {
                        return Err(too_deep(col + 1, "flow collections (`[`, `{`)"));
                    }
                    value_start = true;
                }
                ']' | '}' if flow > 0 => {
                    flow -= 1;
                    value_start = false;
                }
                ',' if flow > 0 => value_start = true,
                // An anchor or a tag before a value leaves it to come.
                '&' | '!' if was_value_start => {
                    while chars.peek().is_some_and(|&(_, d)| d != ' ' && d != '\t') {
                        chars.next();
                    }
                }
                '-' | '?' | ':' => value_start = false,
                _ => value_start = false,
            }
            prev = Some(c);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_refuse_deep_and_large_and_accept_real_shapes() {
        let deep_flow = "a: ".to_owned() + &"{a: ".repeat(40);
        let deep_seq = "[".repeat(40);
        let deep_block: String = (0..40).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let dashes = "- ".repeat(40) + "a\n";
        let keys = "? ".repeat(40) + "a\n";
        let cases: &[(&str, Option<(usize, usize)>)] = &[
            ("users:\n  - email: a@b.c\n    note: \"it's [x\"\n", None),
            ("a: [1, {b: [2, 3]}, \"]]]\", '[[[' ]\n# [[[[[\n", None),
            ("a: b # {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\n", None),
            ("note: don't [stop]\n", None),
            (&deep_flow, Some((1, 3 + 4 * 32 + 1))),
            (&deep_seq, Some((1, 33))),
            (&deep_block, Some((33, 33))),
            (&dashes, Some((1, 1))),
            (&keys, Some((1, 1))),
        ];
        for (text, want) in cases {
            let got = check(text).err().map(|r| (r.line, r.col));
            assert_eq!(got, *want, "{text:?}");
        }
        let big = "a".repeat(MAX_BYTES + 1);
        assert_eq!(check(&big).unwrap_err().line, 1);
    }
}
