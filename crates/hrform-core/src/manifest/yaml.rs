//! Reading one manifest file's YAML: the bounded parse into located
//! trees, the YAML 1.1 forms refused after it, the secret values found
//! by the look of the lines of a file that did not parse, and the seed
//! marker.

use super::*;

/// Parse one file's documents into located trees; a syntax error becomes a
/// diagnostic and yields no document. `fmt` reads files with it too, so
/// that both read YAML alike.
pub fn parse(
    text: &str,
    file: diag::FileId,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Spanned<Node>>> {
    // Linear-time bounds first: the parser's scanner is not linear in
    // every shape (see `bounds`).
    if let Err(refusal) = bounds::check(text) {
        let d = Diagnostic::error(
            Code::YamlSyntax,
            format!("refused: {}", refusal.message),
        )
        .help(format!(
            "hrform reads manifests of at most {} bytes, nested at most {} deep (flow collections, block levels); split or flatten the file",
            bounds::MAX_BYTES,
            bounds::MAX_DEPTH
        ))
        .at(
            Loc {
                file,
                line: u32::try_from(refusal.line).unwrap_or(u32::MAX),
                col: u32::try_from(refusal.col).unwrap_or(u32::MAX),
                len: 1,
            },
            "here",
        );
        diags.push(d);
        return None;
    }
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    // YAML 1.2 booleans only: `no` and `on` stay strings, so a mistake shows.
    options.strict_booleans = true;
    // Non-finite numbers parse, so that the balance check can name them.
    options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
    match serde_saphyr::from_multiple_with_options::<Spanned<Node>>(text, options) {
        Ok(docs) => Some(docs),
        Err(err) => {
            let message = err.to_string();
            // serde-saphyr appends the location and, for duplicate keys,
            // advice about its own options; hrform shows neither.
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m)
                .trim_end_matches(", set DuplicateKeyPolicy in Options if acceptable")
                .to_owned();
            let mut d = Diagnostic::error(Code::YamlSyntax, format!("invalid YAML: {message}"));
            if message.contains("tab") {
                d = d.help("indent with spaces: YAML does not allow tabs for indentation");
            } else if message.starts_with("duplicate mapping key") {
                d = d.help(
                    "each key may appear once in a mapping; remove or merge the repeated one",
                );
            }
            if let Some(l) = err.location() {
                d = d.at(
                    Loc {
                        file,
                        line: u32::try_from(l.line()).unwrap_or(u32::MAX).max(1),
                        col: u32::try_from(l.column()).unwrap_or(u32::MAX).max(1),
                        len: u32::try_from(l.span().len()).unwrap_or(1),
                    },
                    "here",
                );
            }
            diags.push(d);
            None
        }
    }
}

/// YAML 1.1 forms that the parser reads but YAML 1.2 (which the README
/// promises) does not: binary and underscored numbers (`0b101`, `1_000`)
/// and `!!binary` values. Each is an error at the value.
pub(super) fn yaml_1_1_forms(
    node: &Spanned<Node>,
    key: Option<&str>,
    text: &str,
    file: diag::FileId,
    diags: &mut Vec<Diagnostic>,
) {
    let span = node.referenced.span();
    let start = span.byte_offset().and_then(|o| usize::try_from(o).ok());
    let len = span.byte_len().and_then(|l| usize::try_from(l).ok());
    let source = start
        .zip(len)
        .and_then(|(s, l)| text.get(s..s.saturating_add(l)))
        .unwrap_or("");
    let before = start
        .and_then(|s| text.get(..s))
        .and_then(|b| b.rsplit('\n').next())
        .unwrap_or("");
    let loc = Loc {
        file,
        line: u32::try_from(node.referenced.line())
            .unwrap_or(u32::MAX)
            .max(1),
        col: u32::try_from(node.referenced.column())
            .unwrap_or(u32::MAX)
            .max(1),
        len: u32::try_from(source.chars().count()).unwrap_or(1).max(1),
    };
    match &node.value {
        Node::Int(_) | Node::Float(_) => {
            let digits = source.trim().trim_start_matches(['+', '-']);
            let binary = digits.len() > 2 && digits[..2].eq_ignore_ascii_case("0b");
            if binary || digits.contains('_') {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!(
                            "`{}` is a YAML 1.1 number form; hrform reads YAML 1.2",
                            source.trim()
                        ),
                    )
                    .at(loc, "not a YAML 1.2 number")
                    .help("write the number in decimal digits, without underscores"),
                );
            }
            // A number too small for a float reads as 0: refuse it rather
            // than act on a 0 nobody wrote.
            let mantissa = digits.split(['e', 'E']).next().unwrap_or("");
            if matches!(node.value, Node::Float(f) if f == 0.0)
                && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b))
            {
                let code = if matches!(key, Some("allowance" | "balance")) {
                    Code::InvalidBalance
                } else {
                    Code::InvalidValue
                };
                diags.push(
                    Diagnostic::error(
                        code,
                        format!("`{}` is too small to tell from 0", source.trim()),
                    )
                    .at(loc, "underflows to 0")
                    .help("amounts are kept to 6 decimal places; write 0 or a number of at most 6 places"),
                );
            }
        }
        Node::Seq(items) => {
            for item in items {
                yaml_1_1_forms(item, None, text, file, diags);
            }
        }
        Node::Map(entries) => {
            for (k, value) in entries {
                yaml_1_1_forms(value, Some(&k.value), text, file, diags);
            }
        }
        Node::Null | Node::Bool(_) | Node::Str(_) => {}
    }
    if before.trim_end().ends_with("!!binary") || source.trim_start().starts_with("!!binary") {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                "`!!binary` values are not accepted in manifests",
            )
            .at(loc, "a !!binary value")
            .help("write the value as plain text"),
        );
    }
}

/// The values after secret-like keys (`api_key: X`, `{token: X, ...}`) in
/// a file that did not parse, found by the look of each line: up to the
/// end of the line, or to the next `,` or `}` inside a flow mapping.
pub(super) fn lexical_secrets(text: &str, file: diag::FileId) -> Vec<Loc> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        // Linear in the line: the first `{` is found once, and the value's
        // end is looked for only after a secret-like key, from which the
        // scan goes on.
        let first_brace = chars.iter().position(|&c| c == '{');
        let mut i = 0;
        while i < chars.len() {
            if chars[i] != ':' || chars.get(i + 1).is_some_and(|c| !c.is_whitespace()) {
                i += 1;
                continue;
            }
            // The key: back over word characters (and quotes).
            let mut k = i;
            while k > 0 && (chars[k - 1].is_alphanumeric() || "_-'\"".contains(chars[k - 1])) {
                k -= 1;
            }
            let key: String = chars[k..i].iter().collect();
            if !decode::looks_like_secret(&key) {
                i += 1;
                continue;
            }
            let in_flow = first_brace.is_some_and(|b| b < k);
            let start = i
                + 1
                + chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_whitespace())
                    .count();
            let end = if in_flow {
                (start..chars.len())
                    .find(|&j| chars[j] == ',' || chars[j] == '}')
                    .unwrap_or(chars.len())
            } else {
                chars.len()
            };
            if end <= start {
                i += 1;
                continue;
            }
            out.push(Loc {
                file,
                line: u32::try_from(n + 1).unwrap_or(u32::MAX),
                col: u32::try_from(start + 1).unwrap_or(u32::MAX),
                len: u32::try_from(end - start).unwrap_or(u32::MAX),
            });
            i = end;
        }
    }
    out
}

/// A file whose first document has a top-level `seed_version` key is a
/// sandbox seed, not a manifest.
pub fn is_seed(docs: &[Spanned<Node>]) -> bool {
    docs.first().is_some_and(|d| match &d.value {
        Node::Map(entries) => entries.iter().any(|(k, _)| k.value == SEED_MARKER_KEY),
        _ => false,
    })
}
