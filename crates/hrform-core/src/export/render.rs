//! The YAML text of an export (one file, or parts of at most
//! [`MAX_NODES`] nodes each), in the canonical shape of `examples/acme`:
//! a `# yaml-language-server` line, a header comment, block-style users
//! separated by blank lines with their `time_off` entries in flow style,
//! keys in the order of the manifest schema (`manifest::raw`).
//!
//! Every value comes from an HR system and is untrusted: strings are
//! written by `hrform fmt`'s rule (`fmt::scalar`: plain only when no YAML
//! reader could take it for anything else, a note of several lines as a
//! literal block when one can hold it, else double-quoted with YAML escapes
//! for every control, line-breaking, bidirectional and non-printable
//! character), so no value can add a key, a document or a comment, and the
//! export is in `fmt` form. A person's name goes in a comment with such
//! characters shown escaped, so it cannot leave its line.

use std::fmt::Write as _;

use super::{Entry, Export, Request, User};
// One quoting rule for the tree: `hrform fmt`'s (plain only where no YAML
// reader could take the string for anything else; escapes for controls,
// line breaks, bidirectional and non-characters).
use crate::fmt::scalar::{literal_block, string as scalar};
use crate::model::time_words;

/// What the header says about the export.
#[derive(Debug, Clone)]
pub struct Header<'a> {
    /// The `$schema=` value.
    pub schema: &'a str,
    pub provider: &'a str,
    /// `clockify` or `connecteam`.
    pub kind: &'a str,
    pub today: jiff::civil::Date,
    pub leave_year: (jiff::civil::Date, jiff::civil::Date),
    /// The requests' window, for a provider with requests.
    pub window: Option<(jiff::civil::Date, jiff::civil::Date)>,
}

/// Which exported item a run of lines declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Item {
    User(usize),
    Request(usize),
    /// One of `Export::profiles` (`export --profiles`).
    Profile(usize),
}

/// The text, and the lines (1-based, inclusive) of each item.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub text: String,
    pub items: Vec<(u32, u32, Item)>,
}

impl Rendered {
    /// The item whose lines hold `line`, if any.
    pub fn item_at(&self, line: u32) -> Option<Item> {
        self.items
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&line))
            .map(|(_, _, item)| *item)
    }
}

/// The most YAML nodes (scalars, mappings, sequences) one file gets: the
/// manifest loader's parser refuses a file of more than 250,000, so a
/// large export is cut into parts well under that.
pub const MAX_NODES: usize = 150_000;

/// The nodes an item adds: a mapping, a key and a value per field, and a
/// sequence with a mapping and its fields per entry.
fn user_nodes(u: &User) -> usize {
    1 + 2 * (2 + usize::from(u.status.is_some()))
        + if u.profile.is_some() {
            2
        } else {
            time_off_nodes(&u.time_off)
        }
}

/// A `time_off` key and its sequence of entries, if there are any.
fn time_off_nodes(time_off: &[Entry]) -> usize {
    time_off
        .iter()
        .map(|e| {
            3 + 2 * (usize::from(e.policy_type.is_some()) + 2 * usize::from(e.allowance.is_some()))
        })
        .sum::<usize>()
        + if time_off.is_empty() { 0 } else { 2 }
}

fn request_nodes(r: &Request) -> usize {
    1 + 2
        * (10
            + usize::from(r.employee_note.is_some())
            + usize::from(r.manager_note.is_some())
            + usize::from(r.adjust_for_dst.is_some())
            + usize::from(r.time_clock_id.is_some()))
}

/// The manifest text of `export`: one part, or several of at most
/// `max_nodes` nodes each (profiles first, then users, then requests, in
/// order).
pub fn render(export: &Export, header: &Header<'_>, max_nodes: usize) -> Vec<Rendered> {
    let mut parts: Vec<Vec<Item>> = vec![Vec::new()];
    let mut nodes = 0;
    let all = (0..export.profiles.len())
        .map(|i| {
            let nodes = 3 + time_off_nodes(&export.profiles[i].time_off);
            (Item::Profile(i), nodes)
        })
        .chain((0..export.users.len()).map(|i| (Item::User(i), user_nodes(&export.users[i]))))
        .chain(
            (0..export.requests.len())
                .map(|i| (Item::Request(i), request_nodes(&export.requests[i]))),
        );
    for (item, n) in all {
        if nodes + n > max_nodes && !parts.last().is_some_and(Vec::is_empty) {
            parts.push(Vec::new());
            nodes = 0;
        }
        nodes += n;
        parts.last_mut().expect("a part").push(item);
    }
    let count = parts.len();
    parts
        .iter()
        .enumerate()
        .map(|(k, items)| render_part(export, header, items, (k + 1, count)))
        .collect()
}

fn render_part(
    export: &Export,
    header: &Header<'_>,
    part: &[Item],
    (k, count): (usize, usize),
) -> Rendered {
    let mut out = String::new();
    let mut items = Vec::new();
    let mut lines = Lines::default();
    let _ = writeln!(
        out,
        "# yaml-language-server: $schema={}",
        comment(header.schema)
    );
    let _ = writeln!(
        out,
        "# The live state of provider `{}` ({}), written by `hrform export` on {}.",
        comment(header.provider),
        header.kind,
        header.today
    );
    if count > 1 {
        let _ = writeln!(out, "# Part {k} of {count}.");
    }
    let _ = writeln!(
        out,
        "# Allowances are for the leave year {} to {}: the balance with the leave",
        header.leave_year.0, header.leave_year.1
    );
    let _ = writeln!(out, "# used in it added back.");
    if let Some((since, until)) = header.window {
        let _ = writeln!(out, "# Time-off requests overlapping {since} to {until}.");
    }
    let pick =
        |f: fn(&Item) -> Option<usize>| -> Vec<usize> { part.iter().filter_map(f).collect() };
    let profiles = pick(|i| match i {
        Item::Profile(i) => Some(*i),
        _ => None,
    });
    let users = pick(|i| match i {
        Item::User(i) => Some(*i),
        _ => None,
    });
    let requests = pick(|i| match i {
        Item::Request(i) => Some(*i),
        _ => None,
    });
    if users.is_empty() && requests.is_empty() && profiles.is_empty() {
        out.push_str("\nusers: []\n");
    }
    if !profiles.is_empty() {
        // No blank line between profiles: `hrform fmt`'s form.
        out.push_str("\nprofiles:\n");
        for &i in &profiles {
            let first = lines.count(&out) + 1;
            render_profile(&mut out, &export.profiles[i]);
            items.push((first, lines.count(&out), Item::Profile(i)));
        }
    }
    if !users.is_empty() {
        out.push_str("\nusers:\n");
        for (n, &i) in users.iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            let first = lines.count(&out) + 1;
            render_user(&mut out, &export.users[i], header.provider);
            items.push((first, lines.count(&out), Item::User(i)));
        }
    }
    if !requests.is_empty() {
        out.push_str("\ntime_off_requests:\n");
        for (n, &i) in requests.iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            let first = lines.count(&out) + 1;
            render_request(&mut out, &export.requests[i], header.provider);
            items.push((first, lines.count(&out), Item::Request(i)));
        }
    }
    Rendered { text: out, items }
}

/// Lines of a growing text, counted from where the last count stopped.
#[derive(Default)]
struct Lines {
    seen: usize,
    lines: u32,
}

impl Lines {
    fn count(&mut self, text: &str) -> u32 {
        let new = text[self.seen..].matches('\n').count();
        self.lines += u32::try_from(new).unwrap_or(u32::MAX);
        self.seen = text.len();
        self.lines
    }
}

fn render_user(out: &mut String, user: &User, provider: &str) {
    let _ = write!(out, "  - email: {}", scalar(&user.email));
    if let Some(name) = user.name.as_deref().filter(|n| !n.trim().is_empty()) {
        let _ = write!(out, "  # {}", comment(name.trim()));
    }
    let _ = write!(out, "\n    provider: {}", scalar(provider));
    match (user.status, user.status_note) {
        (Some(status), _) => {
            let _ = write!(out, "\n    status: {status}");
        }
        (None, Some(note)) => {
            let _ = write!(out, "\n    # status: {note}");
        }
        (None, None) => {}
    }
    match &user.profile {
        Some(profile) => {
            let _ = write!(out, "\n    profile: {}", scalar(profile));
        }
        None => time_off(out, &user.time_off, 4),
    }
    out.push('\n');
}

/// `time_off:` and its entries at `indent` spaces, if there are any.
fn time_off(out: &mut String, entries: &[Entry], indent: usize) {
    if entries.is_empty() {
        return;
    }
    let pad = " ".repeat(indent);
    let _ = write!(out, "\n{pad}time_off:");
    for entry in entries {
        let _ = write!(out, "\n{pad}  - {}", flow_entry(entry));
        if let Some(note) = entry.note {
            let _ = write!(out, "  # {note}");
        }
    }
}

fn render_profile(out: &mut String, profile: &super::profiles::Profile) {
    let _ = write!(
        out,
        "  {}:  # {} people",
        scalar(&profile.name),
        profile.people
    );
    time_off(out, &profile.time_off, 4);
    out.push('\n');
}

fn flow_entry(e: &Entry) -> String {
    let mut s = format!("{{ policy: {}", scalar(&e.policy));
    if let Some(t) = &e.policy_type {
        let _ = write!(s, ", policy_type: {}", scalar(t));
    }
    if let Some((amount, unit)) = e.allowance {
        let _ = write!(s, ", allowance: {amount}, unit: {unit}");
    }
    s.push_str(" }");
    s
}

fn render_request(out: &mut String, r: &Request, provider: &str) {
    let _ = write!(out, "  - key: {}", scalar(&r.key));
    let _ = write!(out, "\n    provider: {}", scalar(provider));
    let _ = write!(out, "\n    user: {}", scalar(&r.user));
    let _ = write!(out, "\n    policy_type: {}", scalar(&r.policy_type));
    let _ = write!(out, "\n    start_date: {}", r.start_date);
    let _ = write!(out, "\n    end_date: {}", r.end_date);
    match r.times {
        None => out.push_str("\n    all_day: true"),
        Some((start, end)) => {
            let _ = write!(
                out,
                "\n    all_day: false\n    start_time: {}\n    end_time: {}",
                scalar(&time_words(start)),
                scalar(&time_words(end))
            );
        }
    }
    let _ = write!(out, "\n    timezone: {}", scalar(&r.timezone));
    let _ = write!(out, "\n    status: {}", r.status);
    if let Some(n) = &r.employee_note {
        let _ = write!(out, "\n    employee_note: {}", note(n, 4));
    }
    if let Some(n) = &r.manager_note {
        let _ = write!(out, "\n    manager_note: {}", note(n, 4));
    }
    if let Some(a) = r.adjust_for_dst {
        let _ = write!(out, "\n    adjust_for_dst: {a}");
    }
    if let Some(t) = r.time_clock_id {
        let _ = write!(out, "\n    time_clock_id: {t}");
    }
    out.push('\n');
}

/// A note's value after `key: ` at `indent` spaces: a literal block (its
/// lines under the key) when the string has several lines and a block can
/// hold it, else [`scalar`]'s one line: `hrform fmt`'s own choice.
fn note(s: &str, indent: usize) -> String {
    match literal_block(s) {
        Some(block) => {
            let mut lines = block.split('\n');
            let mut out = lines.next().unwrap_or_default().to_owned();
            for l in lines {
                out.push('\n');
                if !l.is_empty() {
                    out.push_str(&" ".repeat(indent + 2));
                    out.push_str(l);
                }
            }
            out
        }
        None => scalar(s),
    }
}

/// `s` for a comment: one line, every control or line-breaking character
/// shown as `\u{..}`.
fn comment(s: &str) -> String {
    crate::escape::yaml_comment(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile strings read back, through the manifest's own YAML parser,
    /// as exactly themselves and as strings.
    #[test]
    fn scalars_read_back_exactly() {
        let hostile = [
            "plain words",
            "O'Brien \"the\" boss",
            "key: value",
            "a # not a comment",
            "- leading dash",
            "[1, 2]",
            "{ policy: X }",
            "yes",
            "NO",
            "null",
            "~",
            "1.10",
            "0x1F",
            "2026-01-01",
            "12:30",
            "line\nbreak\r\nand\ttab",
            "\u{1b}]0;title\u{7}",
            "bidi \u{202e}evil",
            "sep \u{2028} \u{2029} \u{85}",
            "Zoë Ångström 日本語",
            "trailing space ",
            " leading space",
            "back\\slash",
            "---",
            "...",
            "&anchor *alias !tag %dir @at `tick` |pipe >fold",
            "",
        ];
        for s in hostile {
            let doc = format!("v: {}\nw: [{}]\n", scalar(s), scalar(s));
            let read: std::collections::BTreeMap<String, serde_json::Value> =
                serde_saphyr::from_str(&doc).unwrap_or_else(|e| panic!("{doc:?}: {e}"));
            assert_eq!(read["v"], serde_json::json!(s), "{doc:?}");
            assert_eq!(read["w"], serde_json::json!([s]), "{doc:?}");
            // A note as a request's key writes it (a literal block when it can).
            let doc = format!("r:\n  - k: 1\n    v: {}\n", note(s, 4));
            let read: serde_json::Value =
                serde_saphyr::from_str(&doc).unwrap_or_else(|e| panic!("{doc:?}: {e}"));
            assert_eq!(read["r"][0]["v"], serde_json::json!(s), "{doc:?}");
            // Controls, bidirectional overrides and separators never raw.
            assert!(
                !doc.chars()
                    .any(|c| c != '\n' && crate::escape::needs_yaml_escape(c)),
                "{doc:?}"
            );
        }
    }

    /// A large export is cut into parts under the node budget; every part
    /// opens with the schema line and every item is in exactly one part.
    #[test]
    fn large_exports_are_cut_into_parts() {
        let user = |i: usize| User {
            email: format!("p{i}@example.com"),
            name: None,
            status: Some(crate::model::Status::Active),
            status_note: None,
            profile: None,
            time_off: vec![Entry {
                policy: "Vacation".into(),
                policy_type: None,
                allowance: Some((
                    crate::amount::Amount::from_i64(25),
                    crate::model::Unit::Days,
                )),
                note: None,
            }],
        };
        let export = Export {
            users: (0..30).map(user).collect(),
            ..Export::default()
        };
        let header = Header {
            schema: "manifest.schema.json",
            provider: "office",
            kind: "clockify",
            today: jiff::civil::date(2026, 6, 15),
            leave_year: (
                jiff::civil::date(2026, 1, 1),
                jiff::civil::date(2026, 12, 31),
            ),
            window: None,
        };
        let one = render(&export, &header, MAX_NODES);
        assert_eq!(one.len(), 1);
        let parts = render(&export, &header, 5 * user_nodes(&export.users[0]));
        assert_eq!(parts.len(), 6);
        let mut seen = Vec::new();
        for part in &parts {
            assert!(
                part.text
                    .starts_with("# yaml-language-server: $schema=manifest.schema.json\n")
            );
            let doc: serde_json::Value = serde_saphyr::from_str(&part.text).unwrap();
            assert_eq!(doc["users"].as_array().unwrap().len(), 5);
            seen.extend(part.items.iter().map(|(_, _, i)| *i));
        }
        assert_eq!(seen, (0..30).map(Item::User).collect::<Vec<_>>());
    }

    /// A name cannot leave its comment.
    #[test]
    fn comments_stay_on_one_line() {
        let c = comment("Ada\nusers: []\r\u{2028}x");
        assert!(!c.contains('\n') && !c.contains('\r') && !c.contains('\u{2028}'));
        assert_eq!(c, "Ada\\u{a}users: []\\u{d}\\u{2028}x");
    }
}
