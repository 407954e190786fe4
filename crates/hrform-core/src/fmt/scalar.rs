//! How one scalar is written in canonical form.
//!
//! A string is written plain when it is plainly a string to any YAML reader
//! (YAML 1.2 as hrform reads it, and YAML 1.1 as older editors and
//! linters do), and double-quoted otherwise. Numbers, booleans and nulls
//! keep the text they were written with. The whole file is read back after
//! formatting and compared with what it meant before (see `super::verify`),
//! so a mistake here is a refusal, never a changed value.

use crate::escape::needs_yaml_escape;

/// The canonical text of the string `s`: plain or double-quoted.
pub fn string(s: &str) -> String {
    if plain_is_safe(s) {
        s.to_owned()
    } else {
        quoted(s)
    }
}

/// A string with a newline as a literal block scalar: `|` (one
/// final newline) or `|-` (none), then its lines, unindented (the writer
/// indents them). `None` when a literal block cannot hold it plainly: a
/// first line starting with a space, trailing spaces, tabs or control
/// characters, or several final newlines.
pub fn literal_block(s: &str) -> Option<String> {
    let (body, header) = match s.strip_suffix('\n') {
        Some(body) => (body, "|"),
        None => (s, "|-"),
    };
    let usable = s.contains('\n')
        && !body.is_empty()
        && !body.ends_with('\n')
        && !body.starts_with([' ', '\n'])
        && !body.chars().any(|c| c != '\n' && needs_yaml_escape(c))
        && body.lines().all(|l| !l.ends_with(' '))
        // Nothing a CI log reads as a workflow command (see `output`).
        && !body.contains("##[")
        && body.lines().all(|l| !l.trim_start().starts_with("::"));
    usable.then(|| format!("{header}\n{body}"))
}

/// `s` double-quoted, with YAML escapes for every character
/// `escape::needs_yaml_escape` picks (controls, separators, BOM,
/// bidirectional overrides and isolates, non-characters): never raw in a
/// plain or literal scalar either.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    let mut prev = None;
    while let Some(c) = chars.next() {
        match c {
            // `##[` is a workflow command to a CI log (see `output`).
            '#' if prev == Some('#') && chars.peek() == Some(&'[') => out.push_str("\\x23"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_yaml_escape(c) => {
                out.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => out.push(c),
        }
        prev = Some(c);
    }
    out.push('"');
    out
}

/// Whether `s` can be written without quotes and read back, by any YAML
/// reader, as the same string, in block and in flow context alike.
/// Deliberately narrow: anything unusual is quoted.
pub(super) fn plain_is_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_alphanumeric() || matches!(first, '_' | '/' | '(' | '$')) {
        return false;
    }
    if s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let ok = c.is_alphanumeric()
            || matches!(
                c,
                ' ' | '_'
                    | '-'
                    | '.'
                    | '/'
                    | '@'
                    | '+'
                    | '('
                    | ')'
                    | '\''
                    | '!'
                    | '?'
                    | '&'
                    | '%'
                    | '='
                    | '~'
                    | '^'
                    | '$'
                    | ';'
            )
            || (c == ':' && chars.get(i + 1).is_some_and(|n| *n != ' '));
        if !ok || c.is_control() {
            return false;
        }
    }
    !looks_like_another_type(s)
}

/// Whether a YAML 1.1 or 1.2 reader could take the plain `s` for a
/// boolean, a null or a number (`yes`, `off`, `~`, `1.10`, `0x1F`,
/// `1_000`, `12:30` in base 60, `.inf`). Dates stay plain: hrform reads
/// them as strings and the examples write them so.
fn looks_like_another_type(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "y" | "n" | "yes" | "no" | "true" | "false" | "on" | "off" | "null" | "~"
    ) {
        return true;
    }
    let unsigned = lower.trim_start_matches(['+', '-']);
    let digits: String = unsigned.chars().filter(|c| *c != '_').collect();
    if digits.parse::<f64>().is_ok() {
        return true;
    }
    if let Some(rest) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0o"))
        .or_else(|| digits.strip_prefix("0b"))
        && rest.chars().all(|c| c.is_ascii_hexdigit())
    {
        return true;
    }
    // Base 60 (`12:30`, `1:20:30.5`) in YAML 1.1.
    unsigned.contains(':')
        && unsigned.starts_with(|c: char| c.is_ascii_digit())
        && unsigned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_that_read_as_something_else_are_quoted() {
        for s in [
            "yes", "No", "on", "OFF", "~", "null", "true", "1.10", "42", "-3", "0x1F", "1_000",
            "12:30", "inf", "NaN", ".inf", "", " lead", "trail ", "a: b", "a #b", "#c", "[x]",
            "{x}", "a,b", "*ref", "&a", "!tag", "-x", "- x", "?x", "'q'", "\"q\"", "|", ">", "@x",
            "`x`", "a\nb", "%x", "end:",
        ] {
            assert!(!plain_is_safe(s), "{s:?} written plain");
        }
    }

    #[test]
    fn ordinary_strings_stay_plain() {
        for s in [
            "ada@example.com",
            "Vacation",
            "2026-07-06",
            "01-01",
            "America/New_York",
            "https://api.clockify.me/api",
            "65f1c2a9b3d84e0017a6c4d2",
            "Sister's wedding",
            "BHR-2026-0042",
            "Lucía Fernández",
            "CLOCKIFY_API_KEY",
        ] {
            assert!(plain_is_safe(s), "{s:?} quoted");
        }
    }

    #[test]
    fn quoting_escapes_what_cannot_be_raw() {
        assert_eq!(quoted("a\"b\\c\nd\u{1b}"), r#""a\"b\\c\nd\u001B""#);
        assert_eq!(quoted("x ##[error]"), r#""x #\x23[error]""#);
        // Bidirectional overrides and isolates too: a diff of the file
        // reads as the file means (no "Trojan Source" reordering).
        assert_eq!(string("a\u{202e}b\u{2066}"), r#""a\u202Eb\u2066""#);
        assert_eq!(literal_block("x\n\u{202e}y"), None);
        assert_eq!(string("12:30"), "\"12:30\"");
        assert_eq!(string("days"), "days");
    }
}
