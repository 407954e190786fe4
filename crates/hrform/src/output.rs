//! The one escaping rule for every line hrform prints: the writers every
//! command uses for stdout and stderr.
//!
//! A CI log is read by the runner as well as by people: a line that starts
//! with `::` (after leading whitespace) is a GitHub workflow command, and
//! `##[` anywhere in a line is the runner's legacy form of one; a terminal
//! reads escape sequences. Data (file names, HR records, API errors, lock
//! fields) is escaped where it is formatted, but that is one call site
//! each; [`Out`] enforces the rule on whatever reaches it, a line at a
//! time:
//!
//! - a control character (C0, DEL, C1, bidi overrides) is written as
//!   `\u{..}`, except the tab, and except hrform's own colours: an SGR
//!   sequence (`ESC [ digits ; m`), which anstream strips below when the
//!   output is not a terminal;
//! - a `:` that would start a workflow command (`::` first on a line,
//!   leading whitespace and colours skipped, with `::` again after it, as
//!   the runner parses `::name args::data`) is written `\u{3a}`;
//! - the second `#` of `##[` is written `\u{23}`.
//!
//! hrform's own workflow commands (`--format github`: annotations and
//! `::stop-commands::`) go through [`Out::annotation`], the one path that
//! may start a line with `::`; their data is escaped by GitHub's rules
//! where they are built (`diag::github_escape_*`), and the other rules
//! still apply.

use std::io::{self, Write};

use crate::context::Colors;

/// A writer applying the module's rule line by line.
#[derive(Debug)]
pub(crate) struct Out<W: Write> {
    inner: W,
    /// The current line, not yet written.
    line: Vec<u8>,
    /// What of the current line was already written (by a flush before
    /// its end: a prompt): its last visible characters, and whether one
    /// was not whitespace.
    written: Written,
}

#[derive(Debug, Default, Clone, Copy)]
struct Written {
    last: [Option<char>; 2],
    started: bool,
}

/// The colour decision of the context, set once at the edge.
static COLORS: std::sync::OnceLock<Colors> = std::sync::OnceLock::new();

static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `-q`: no notices (waits, progress) for the rest of the process.
pub(crate) fn set_quiet(quiet: bool) {
    QUIET.store(quiet, std::sync::atomic::Ordering::Relaxed);
}

/// A line for the person watching (a long wait), on stderr through the
/// escaping writer; nothing under `-q`.
pub(crate) fn notice(line: &str) {
    use std::io::Write as _;
    if !QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        let _ = writeln!(stderr(), "{line}");
    }
}

/// Colour the streams as `colors` says, for the rest of the process (the
/// first call wins).
pub(crate) fn set_colors(colors: Colors) {
    let _ = COLORS.set(colors);
}

/// The colour decision; without one set (unit tests), none.
pub(crate) fn colors() -> Colors {
    COLORS.get().copied().unwrap_or(Colors {
        stdout: false,
        stderr: false,
    })
}

/// anstream's choice for a stream coloured or not.
fn choice(on: bool) -> anstream::ColorChoice {
    if on {
        anstream::ColorChoice::Always
    } else {
        anstream::ColorChoice::Never
    }
}

/// Standard output, through [`Out`] and anstream (which strips colours
/// when they are off).
pub(crate) fn stdout() -> Out<anstream::Stdout> {
    Out::new(anstream::AutoStream::new(
        io::stdout(),
        choice(colors().stdout),
    ))
}

/// Standard error, through [`Out`] and anstream.
pub(crate) fn stderr() -> Out<anstream::Stderr> {
    Out::new(anstream::AutoStream::new(
        io::stderr(),
        choice(colors().stderr),
    ))
}

impl<W: Write> Out<W> {
    pub(crate) fn new(inner: W) -> Self {
        Self {
            inner,
            line: Vec::new(),
            written: Written::default(),
        }
    }

    /// Write hrform's own workflow command lines (`text`: whole lines),
    /// which alone may start with `::`.
    pub(crate) fn annotation(&mut self, text: &str) -> io::Result<()> {
        self.flush_line(false)?;
        for line in text.split_inclusive('\n') {
            let (body, end) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
            let safe = sanitize(body, Written::default(), true).0;
            self.inner.write_all(safe.as_bytes())?;
            self.inner.write_all(end.as_bytes())?;
        }
        Ok(())
    }

    /// Write what is buffered of the current line; `partial` when the
    /// line goes on (a flush before its end), which keeps back what the
    /// rest of the line may make a command of: a trailing run of `#`
    /// (and colours), or all of a line that may yet start a command
    /// (nothing but whitespace, colours and `:` so far, or `::` and no
    /// `::` after it yet).
    fn flush_line(&mut self, partial: bool) -> io::Result<()> {
        if self.line.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.line).into_owned();
        let keep = if partial {
            kept_back(&text, self.written)
        } else {
            0
        };
        let (now, later) = text.split_at(text.len() - keep);
        let (safe, written) = sanitize(now, self.written, false);
        self.written = written;
        self.line = later.as_bytes().to_vec();
        self.inner.write_all(safe.as_bytes())
    }
}

/// How many bytes at the end of `text`, a line going on after `before`,
/// a partial write keeps back (see [`Out::flush_line`]).
fn kept_back(text: &str, before: Written) -> usize {
    let pieces = pieces(text);
    let visible = |p: &Piece<'_>| match p {
        Piece::Char(c) => Some(*c),
        Piece::Sgr(_) => None,
    };
    if !before.started {
        // Undecided until the line shows whether `::` comes again.
        let shown: String = pieces.iter().filter_map(visible).collect();
        let start = shown.trim_start_matches(|c: char| c.is_whitespace() && !is_control(c));
        if start.is_empty()
            || start == ":"
            || (start.starts_with("::") && !start[2..].contains("::"))
        {
            return text.len();
        }
    }
    let mut keep = 0;
    let mut bytes = 0;
    for p in pieces.iter().rev() {
        match p {
            Piece::Sgr(s) => bytes += s.len(),
            Piece::Char('#') => {
                bytes += 1;
                keep = bytes;
            }
            Piece::Char(_) => break,
        }
    }
    keep
}

/// `line` cut into characters and hrform's colours.
fn pieces(line: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::with_capacity(line.len());
    let mut i = 0;
    while let Some(c) = line[i..].chars().next() {
        if let Some(n) = sgr_len(&line[i..]) {
            pieces.push(Piece::Sgr(&line[i..i + n]));
            i += n;
        } else {
            pieces.push(Piece::Char(c));
            i += c.len_utf8();
        }
    }
    pieces
}

impl<W: Write> Write for Out<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..end]);
            self.flush_line(false)?;
            self.inner.write_all(b"\n")?;
            self.written = Written::default();
            rest = &rest[end + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_line(true)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for Out<W> {
    fn drop(&mut self) {
        // The end: nothing more of the line will come.
        let _ = self.flush_line(false);
        let _ = self.inner.flush();
    }
}

/// Whether `c` is shown escaped: what [`crate::escape::text`] escapes,
/// but the tab.
fn is_control(c: char) -> bool {
    c != '\t' && (c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
}

/// One piece of a line: a character, or one of hrform's colours.
#[derive(Clone, Copy)]
enum Piece<'a> {
    Char(char),
    Sgr(&'a str),
}

/// The length in bytes of the SGR sequence at the start of `s`
/// (`ESC [ [0-9;:]* m`), if there is one.
fn sgr_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix("\u{1b}[")?;
    let params = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';' || *b == b':')
        .count();
    (rest.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

/// `line` (no newline in it) made safe by the module's rule, after
/// `before` of the same line was written; `command` lets it start with
/// `::`. Also what of the line is now written.
fn sanitize(line: &str, before: Written, command: bool) -> (String, Written) {
    let pieces = pieces(line);
    // The runner reads `::name …::data` as a command: a line starting with
    // `::` that has `::` again (annotate-snippets' `::: file:1:2` has not).
    let visible: Vec<char> = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Char(c) => Some(*c),
            Piece::Sgr(_) => None,
        })
        .collect();
    let mut seen = 0usize;
    let next_char = |from: usize| {
        pieces[from..].iter().find_map(|p| match p {
            Piece::Char(c) => Some(*c),
            Piece::Sgr(_) => None,
        })
    };
    let mut out = String::with_capacity(line.len() + 8);
    let mut written = before;
    for (k, piece) in pieces.iter().enumerate() {
        let c = match *piece {
            Piece::Sgr(s) => {
                out.push_str(s);
                continue;
            }
            Piece::Char(c) => c,
        };
        let next = next_char(k + 1);
        let starts_command = !command
            && !written.started
            && c == ':'
            && next == Some(':')
            && visible
                .get(seen + 2..)
                .is_some_and(|rest| rest.windows(2).any(|w| w == [':', ':']));
        seen += 1;
        let legacy = c == '#' && written.last[1] == Some('#') && next == Some('[');
        if is_control(c) || starts_command || legacy {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
            written.last = [Some('{'), Some('}')];
            written.started = true;
        } else {
            out.push(c);
            written.last = [written.last[1], Some(c)];
            written.started |= !c.is_whitespace();
        }
    }
    (out, written)
}

/// A JSON document made safe for a log without changing what it says:
/// `##[` inside a string becomes `#\u0023[`, and C1 controls (which
/// serde_json leaves raw) `\u00XX`. JSON has `::` only inside strings,
/// never first on a line, and serde_json escapes C0 controls itself.
pub(crate) fn json(document: &str) -> String {
    let mut out = String::with_capacity(document.len());
    let mut prev = ['\0', '\0'];
    let mut chars = document.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '#' && prev[1] == '#' && chars.peek() == Some(&'[') {
            out.push_str("\\u0023");
        } else if ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{7f}' {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
        prev = [prev[1], c];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(text: &str) -> String {
        let mut out = Out::new(Vec::new());
        out.write_all(text.as_bytes()).unwrap();
        out.flush_line(false).unwrap();
        let bytes = std::mem::take(&mut out.inner);
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn the_rule_on_examples() {
        let cases = [
            ("plain text: ok\n", "plain text: ok\n"),
            ("::error::pwned\n", "\\u{3a}:error::pwned\n"),
            (
                "  \t::set-output name=x::y\n",
                "  \t\\u{3a}:set-output name=x::y\n",
            ),
            (
                "\u{1b}[1m::warning::x\u{1b}[0m\n",
                "\u{1b}[1m\\u{3a}:warning::x\u{1b}[0m\n",
            ),
            ("a ##[error]b\n", "a #\\u{23}[error]b\n"),
            ("#\u{1b}[0m#[x\n", "#\u{1b}[0m\\u{23}[x\n"),
            ("x\u{1b}]0;t\u{7}\n", "x\\u{1b}]0;t\\u{7}\n"),
            ("c1\u{9b}2J\r\n", "c1\\u{9b}2J\\u{d}\n"),
            ("a: b::c\n", "a: b::c\n"),
            ("  ::: file.yaml:1:2\n", "  ::: file.yaml:1:2\n"),
            (":::x::\n", "\\u{3a}::x::\n"),
            ("tab\there\n", "tab\there\n"),
        ];
        for (input, want) in cases {
            assert_eq!(through(input), want, "{input:?}");
        }
        // A prompt flushed mid-line keeps the line's context.
        let mut out = Out::new(Vec::new());
        write!(out, "#").unwrap();
        out.flush().unwrap();
        write!(out, "#[x\n:").unwrap();
        out.flush().unwrap();
        writeln!(out, ":y::z").unwrap();
        let got = String::from_utf8(std::mem::take(&mut out.inner)).unwrap();
        assert_eq!(got, "#\\u{23}[x\n\\u{3a}:y::z\n");
        let mut out = Out::new(Vec::new());
        out.annotation("::error file=a%0Ab::m ##[x]\u{1b}[2J\n")
            .unwrap();
        let got = String::from_utf8(std::mem::take(&mut out.inner)).unwrap();
        assert_eq!(got, "::error file=a%0Ab::m #\\u{23}[x]\\u{1b}[2J\n");
    }

    #[test]
    fn json_stays_the_same_document() {
        let value = serde_json::json!({"name": "a ##[error] \u{9b} ::x::", "n": 1});
        let safe = json(&serde_json::to_string_pretty(&value).unwrap());
        assert!(!safe.contains("##["), "{safe}");
        assert!(!safe.contains('\u{9b}'), "{safe}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&safe).unwrap(),
            value
        );
    }

    proptest::proptest! {
        /// Whatever is written, and however it is split into writes, no
        /// line starts a workflow command, none holds `##[`, and no control
        /// character but the tab and the newline (and, for colours, ESC
        /// opening an SGR sequence) is left.
        #[test]
        fn no_line_can_command_the_runner(
            parts in proptest::collection::vec(
                proptest::string::string_regex("([:# \\t\\[\\]a\\n\\x1b\\x07\\r\\u{9b}m0-9;]|::|##\\[|\\x1b\\[1m){0,12}").unwrap(),
                0..6,
            )
        ) {
            let mut out = Out::new(Vec::new());
            for p in &parts {
                out.write_all(p.as_bytes()).unwrap();
                out.flush().unwrap();
            }
            out.flush_line(false).unwrap();
            let text = String::from_utf8(std::mem::take(&mut out.inner)).unwrap();
            for line in text.split('\n') {
                let visible: String = {
                    let mut s = String::new();
                    let mut i = 0;
                    while let Some(c) = line[i..].chars().next() {
                        if let Some(n) = sgr_len(&line[i..]) {
                            i += n;
                        } else {
                            proptest::prop_assert!(
                                c == '\t' || !is_control(c),
                                "raw control {c:?} in {line:?}"
                            );
                            s.push(c);
                            i += c.len_utf8();
                        }
                    }
                    s
                };
                let start = visible.trim_start();
                proptest::prop_assert!(
                    !(start.starts_with("::") && start[2..].contains("::")),
                    "{line:?}"
                );
                proptest::prop_assert!(!visible.contains("##["), "{line:?}");
            }
        }
    }
}
