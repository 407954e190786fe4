//! Escaping untrusted data for output: one layer per output format.
//!
//! Everything an HR system returns (names, emails, notes, ids, error
//! messages) and everything a pull request writes (manifest values) is data,
//! not markup. [`text`] makes it inert on a terminal: every control
//! character is shown as a Rust-style escape (`\u{1b}`), so no escape
//! sequence from data reaches the terminal, coloured output or not
//! (hrform's own styling is added around escaped data, never inside it).
//! [`markdown`] makes it inert in a GitHub-flavoured Markdown comment, and
//! [`fence`] picks a code fence no run of backticks inside can close.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal raw: C0 and C1 controls, DEL, the
/// Unicode bidirectional overrides and isolates (which reorder what a
/// reviewer sees), and every default-ignorable code point (zero-width
/// characters, the soft hyphen, marks: what a reviewer does not see at all).
fn is_control(c: char) -> bool {
    is_yaml_control(c) || crate::mailbox::is_default_ignorable(c)
}

/// [`is_control`] as it was before invisible characters joined it: what
/// YAML that hrform writes escapes (an invisible character in a value is
/// kept as written there, so `fmt` does not rewrite it).
fn is_yaml_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` must not stand raw in YAML that hrform writes (`fmt`,
/// `export`): what [`is_yaml_control`] keeps from a terminal, and what a YAML
/// 1.1 reader takes for a line break (U+2028, U+2029) or YAML forbids
/// raw (the byte order mark inside a document, non-characters).
pub fn needs_yaml_escape(c: char) -> bool {
    is_yaml_control(c)
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// `s` with every control character (newlines and tabs included) written as
/// `\u{..}`, for one line of terminal text. Borrowed when there is nothing
/// to escape.
pub fn text(s: &str) -> Cow<'_, str> {
    escaped(s, is_control)
}

/// `s` for a YAML comment hrform writes: [`text`]'s escapes, for every
/// [`needs_yaml_escape`] character, so it cannot leave its line.
pub fn yaml_comment(s: &str) -> Cow<'_, str> {
    escaped(s, needs_yaml_escape)
}

/// `s` with each character `unsafe_char` picks written as `\u{..}`.
fn escaped(s: &str, unsafe_char: fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`text`], keeping newlines: for hrform's own multi-line messages (an
/// error chain) that may quote data already escaped by [`text`].
pub fn text_keep_newlines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_control(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.split('\n').map(text).collect::<Vec<_>>().join("\n"))
}

/// `s` made inert for GitHub-flavoured Markdown, in a table cell, a list
/// item or a `<summary>`: control characters (newlines included) are
/// escaped as in [`text`], HTML's `&`, `<`, `>` become entities, Markdown's
/// punctuation (`|`, `` ` ``, `[`, `]`, `*`, `_`, `~`, `#`, `!`, `\`)
/// gets a backslash, and an `@` that starts a word is followed by a
/// zero-width joiner so that `@team` mentions nobody. Links cannot
/// form: `[` and `]` are escaped, and the `:` of `scheme://` and the `.` of
/// `www.` are written as entities so autolinks stay text.
pub fn markdown(s: &str) -> String {
    let s = text(s);
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            _ if defuse(c, chars.peek(), &mut out) => {}
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// What Markdown and raw HTML share: `&`, `<`, `>` as entities; a mention
/// broken (an `@` gets a zero-width joiner unless it follows an ASCII
/// letter or digit, as an email's does); autolinks broken (the `:` of
/// `scheme://`, the `.` of `www.`). Whether `c` was written.
fn defuse(c: char, next: Option<&char>, out: &mut String) -> bool {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        // GitHub starts a mention at an `@` after anything but an ASCII
        // letter or digit (a non-ASCII letter included): defuse all those.
        '@' if !out
            .chars()
            .next_back()
            .is_some_and(|p| p.is_ascii_alphanumeric()) =>
        {
            out.push_str("@\u{200d}");
        }
        ':' if next == Some(&'/') => out.push_str("&#58;"),
        '.' if out.len() >= 3 && out.as_bytes()[out.len() - 3..].eq_ignore_ascii_case(b"www") => {
            out.push_str("&#46;");
        }
        _ => return false,
    }
    true
}

/// A backtick fence longer than any run of backticks in `body` (at least
/// three), so the body cannot close the code block it sits in.
pub fn fence(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_every_control_character() {
        assert_eq!(text("ada@example.com"), "ada@example.com");
        assert_eq!(
            text("a\u{1b}[2Jb\nc\u{7}\u{9b}"),
            "a\\u{1b}[2Jb\\u{a}c\\u{7}\\u{9b}"
        );
        assert_eq!(text("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(text_keep_newlines("a\nb\u{1b}"), "a\nb\\u{1b}");
    }

    #[test]
    fn markdown_leaves_no_markup() {
        let m =
            markdown("x\n## Hi | [link](https://e.vil) @team `c` <b>& www.e.vil ada@example.com");
        for bad in ["\n", "<b>", "@team", "https://", "www."] {
            assert!(!m.contains(bad), "{bad:?} survived in {m}");
        }
        assert!(
            !m.replace("\\]", "").contains("]("),
            "a link survived in {m}"
        );
        assert!(!m.contains(" `c`"));
        assert!(m.contains("\\|"));
        assert!(m.contains("ada@example.com"));
    }

    /// Every `@` GitHub could read as a mention is defused, whatever comes
    /// before it; only one after an ASCII letter or digit stays.
    #[test]
    fn markdown_defuses_every_mention_start() {
        for before in [
            "", " ", "é", "ß", "ж", "中", "_", ".", "(", "-", "\u{e9}", "1\u{301}",
        ] {
            let m = markdown(&format!("{before}@team"));
            assert!(m.contains("@\u{200d}team"), "{before:?}: {m}");
        }
        for before in ["a", "Z", "7"] {
            assert_eq!(
                markdown(&format!("{before}@team")),
                format!("{before}@team")
            );
        }
    }

    #[test]
    fn fence_outgrows_backtick_runs() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("a ```` b ` c"), "`````");
    }
}
