//! Rendering a plan: text for terminals (grouped by person, coloured when
//! the terminal allows) and the versioned JSON document; the pieces the
//! pull-request comment (`comment`) reuses. The renderers see only the plan
//! model.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::{Plan, SafetyCheck};
use crate::escape::text as esc;
use crate::model::{
    Amount, BalanceReason, Call, Change, ChangeKind, FieldWords, PolicyRef, time_words,
};

mod text;

pub use text::{not_appliable_words, text};

const ADD: Style = AnsiColor::Green.on_default();
const CHANGE: Style = AnsiColor::Yellow.on_default();
const REMOVE: Style = AnsiColor::Red.on_default();
const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

/// One change in words: what, from, to, and how it reads (add/change/remove).
struct Line {
    what: String,
    from: String,
    to: String,
    style: Style,
    /// A line diff (`similar`) of each multi-line value that changes.
    diffs: Vec<String>,
}

fn number(v: Amount) -> String {
    v.to_string()
}

/// `days` or `day`, by the amount.
fn unit_words(v: Amount, unit: crate::model::Unit) -> String {
    let one = v.abs() == Amount::from_i64(1);
    match (unit, one) {
        (crate::model::Unit::Days, true) => "day".into(),
        (crate::model::Unit::Hours, true) => "hour".into(),
        (u, false) => u.to_string(),
    }
}

/// The words after a balance change's policy: allowance, used and
/// remaining, and why it changes. `system`: the HR system's name
/// (`Clockify`), for saying where a value is.
pub fn balance_words(kind: &ChangeKind, system: &str) -> Option<(String, String)> {
    let ChangeKind::Balance {
        from,
        to,
        used,
        allowance,
        reason,
        unit,
        ..
    } = kind
    else {
        return None;
    };
    let remaining = format!(
        "remaining {} → {}",
        from.map_or_else(|| "none".to_owned(), number),
        number(*to)
    );
    let carried = allowance
        .as_ref()
        .and_then(|a| a.carried)
        .map(|c| format!(", {} carried over", number(c)))
        .unwrap_or_default();
    Some(match (allowance, reason) {
        (
            Some(a),
            BalanceReason::NewLeaveYear {
                year,
                previous_used,
            },
        ) => (
            format!("new leave year {year}"),
            format!(
                "allowance {} {unit}{carried} (used {} this year, {} last year no longer counted; {remaining})",
                number(a.to),
                number(*used),
                number(*previous_used)
            ),
        ),
        (Some(a), _) => (
            format!(
                "allowance {}",
                a.from.map_or_else(|| "none".to_owned(), number)
            ),
            format!(
                "{} {unit}{carried} (used {}, {remaining}){}",
                number(a.to),
                number(*used),
                match (reason, a.from) {
                    // Usage is added back: what differs is the allowance
                    // itself, and hrform cannot tell which side moved.
                    (BalanceReason::Allowance, Some(now)) => format!(
                        "; the allowance in {system} is {}, the manifests say {}: changed in the manifests, or in {system} by hand",
                        number(now),
                        number(a.to)
                    ),
                    _ => String::new(),
                }
            ),
        ),
        (
            None,
            BalanceReason::Refund {
                restores, requests, ..
            },
        ) => (
            from.map_or_else(|| "no balance".to_owned(), number),
            format!(
                "{} {unit} (restores {} {} used{})",
                number(*to),
                number(*restores),
                unit_words(*restores, *unit),
                match requests {
                    Some(1) => " by 1 approved request".to_owned(),
                    Some(n) => format!(" by {n} approved requests"),
                    None => String::new(),
                }
            ),
        ),
        (None, _) => (
            from.map_or_else(|| "no balance".to_owned(), number),
            format!("{} {unit}", number(*to)),
        ),
    })
}

fn policy_name(p: &PolicyRef) -> String {
    match &p.policy_type {
        Some(t) if t != &p.name => format!("{} ({t})", p.name),
        _ => p.name.clone(),
    }
}

fn describe(change: &Change, system: &str) -> Line {
    match &change.kind {
        ChangeKind::Status { from, to, reason } => Line {
            what: "status".into(),
            from: from.to_string(),
            to: match reason {
                Some(why) => format!("{to} ({why})"),
                None => to.to_string(),
            },
            style: if change.kind.is_deactivation() {
                REMOVE
            } else {
                ADD
            },
            diffs: Vec::new(),
        },
        ChangeKind::Assign {
            policy,
            replaces,
            balance,
            allowance,
            unit,
            basis,
        } => Line {
            what: policy_name(policy),
            from: replaces
                .as_ref()
                .map_or_else(|| "not assigned".to_owned(), |r| format!("on {}", r.name)),
            to: match (balance, allowance) {
                (Some(b), Some(a)) if a == b => {
                    format!("assigned, allowance {} {unit}", number(*a))
                }
                (Some(b), Some(a)) => {
                    format!(
                        "assigned, allowance {} {unit} (remaining {})",
                        number(*a),
                        number(*b)
                    )
                }
                (Some(b), None) => format!("assigned, {} {unit}", number(*b)),
                (None, _) => "assigned".to_owned(),
            },
            style: ADD,
            diffs: basis_lines(basis.as_ref(), *allowance, *unit),
        },
        ChangeKind::Balance {
            policy,
            allowance,
            unit,
            ..
        } => {
            let (from, to) = balance_words(&change.kind, system).unwrap_or_default();
            Line {
                what: policy_name(policy),
                from,
                to,
                style: CHANGE,
                diffs: allowance.as_ref().map_or_else(Vec::new, |a| {
                    basis_lines(a.basis.as_ref(), Some(a.to), *unit)
                }),
            }
        }
        ChangeKind::CreateRequest { key, request } => Line {
            what: key.clone(),
            from: String::new(),
            to: request_words(request),
            style: ADD,
            diffs: Vec::new(),
        },
        ChangeKind::UpdateRequest {
            key, fields, adopt, ..
        } => {
            let fields = fields.words();
            let side = |pick: fn(&FieldWords) -> &Option<String>| {
                fields
                    .iter()
                    .map(|f| format!("{} {}", f.0, value_words(pick(f))))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Line {
                what: if *adopt {
                    format!("{key} (adopt an unmarked request)")
                } else {
                    key.clone()
                },
                from: side(|f| &f.1),
                to: side(|f| &f.2),
                style: CHANGE,
                diffs: fields
                    .iter()
                    .filter_map(|(name, from, to)| line_diff(name, from, to))
                    .flatten()
                    .collect(),
            }
        }
        ChangeKind::DenyRequest {
            key,
            request,
            reason,
        } => Line {
            what: key.clone(),
            from: String::new(),
            to: format!("{} → denied ({reason})", request_words(request)),
            style: REMOVE,
            diffs: Vec::new(),
        },
    }
}

/// The arithmetic of a computed allowance, a line under the change.
fn basis_lines(
    basis: Option<&crate::model::AllowanceBasis>,
    to: Option<Amount>,
    unit: crate::model::Unit,
) -> Vec<String> {
    basis
        .zip(to)
        .and_then(|(b, to)| super::dated::basis_line(b, to, unit))
        .into_iter()
        .collect()
}

/// `2024-03-15 → 2024-03-20 Vacation (approved)`, with times for a partial day.
fn request_words(r: &crate::model::LiveRequest) -> String {
    let when = if r.all_day {
        if r.start_date == r.end_date {
            r.start_date.to_string()
        } else {
            format!("{} → {}", r.start_date, r.end_date)
        }
    } else {
        let time = |t: Option<jiff::civil::Time>| t.map_or_else(|| "?".to_owned(), time_words);
        format!(
            "{} {}–{}",
            r.start_date,
            time(r.start_time),
            time(r.end_time)
        )
    };
    format!("{when} {} ({})", r.policy_type, r.status)
}

/// A multi-line text field's change as a line diff (a one-line change is
/// shown in the line itself).
fn line_diff(name: &str, from: &Option<String>, to: &Option<String>) -> Option<Vec<String>> {
    let (old, new) = (
        from.as_deref().unwrap_or_default(),
        to.as_deref().unwrap_or_default(),
    );
    if !old.contains('\n') && !new.contains('\n') {
        return None;
    }
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = vec![format!("{name}:")];
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => '-',
            similar::ChangeTag::Insert => '+',
            similar::ChangeTag::Equal => ' ',
        };
        out.push(format!("{sign} {}", change.value().trim_end_matches('\n')));
    }
    Some(out)
}

fn value_words(v: &Option<String>) -> String {
    match v {
        Some(s) if s.contains('\n') => format!("({} lines, below)", s.lines().count()),
        Some(s) => s.clone(),
        None => "none".to_owned(),
    }
}

/// The plan's changes ordered by provider, then person, then plan order
/// (text and the PR comment group people the same way).
pub fn by_provider_and_person(plan: &Plan) -> Vec<&Change> {
    let mut sorted: Vec<&Change> = plan.changes.iter().collect();
    sorted.sort_by(|a, b| {
        (
            a.provider.as_str(),
            crate::mailbox::key(&a.person.email),
            a.id,
        )
            .cmp(&(
                b.provider.as_str(),
                crate::mailbox::key(&b.person.email),
                b.id,
            ))
    });
    sorted
}

/// Changes grouped by provider, then person, in plan order.
fn by_person(plan: &Plan) -> Vec<(&str, &str, Vec<&Change>)> {
    let mut groups: Vec<(&str, &str, Vec<&Change>)> = Vec::new();
    let sorted = by_provider_and_person(plan);
    for change in sorted {
        match groups.last_mut() {
            Some((p, e, list))
                if *p == change.provider && e.eq_ignore_ascii_case(&change.person.email) =>
            {
                list.push(change);
            }
            _ => groups.push((&change.provider, &change.person.email, vec![change])),
        }
    }
    groups
}

/// How a change reads, in the Terraform convention: the mark shown
/// before it, so its kind survives where colour does not (CI logs,
/// `NO_COLOR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    /// `+`: assign a policy, activate a person, create a request.
    Add,
    /// `~`: change a balance, move between policies, update a request.
    Change,
    /// `-`: deactivate a person, deny a request.
    Remove,
}

impl Mark {
    pub fn of(kind: &ChangeKind) -> Mark {
        match kind {
            ChangeKind::Status { .. } if kind.is_deactivation() => Mark::Remove,
            ChangeKind::Status { .. } | ChangeKind::CreateRequest { .. } => Mark::Add,
            ChangeKind::Assign { replaces, .. } => {
                if replaces.is_some() {
                    Mark::Change
                } else {
                    Mark::Add
                }
            }
            ChangeKind::Balance { .. } | ChangeKind::UpdateRequest { .. } => Mark::Change,
            ChangeKind::DenyRequest { .. } => Mark::Remove,
        }
    }

    pub fn sign(self) -> char {
        match self {
            Mark::Add => '+',
            Mark::Change => '~',
            Mark::Remove => '-',
        }
    }

    fn style(self) -> Style {
        match self {
            Mark::Add => ADD,
            Mark::Change => CHANGE,
            Mark::Remove => REMOVE,
        }
    }
}

/// The one-line legend of the marks (text and the PR comment).
pub const LEGEND: &str =
    "+ add or activate   ~ change   - deactivate or deny   (Terraform's marks)";

/// A person as people know them: `Aisha Bello <aisha@acme.example>`, or the
/// email alone when the HR system has no name. Not escaped: each renderer
/// escapes for its medium.
pub fn person_label(email: &str, name: Option<&str>) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => format!("{name} <{email}>"),
        None => email.to_owned(),
    }
}

/// The HR system's product name for a provider (`Clockify`), from the
/// plan's providers; the provider's own name when it is not among them.
pub fn system_name<'a>(plan: &'a Plan, provider: &'a str) -> &'a str {
    match plan
        .providers
        .iter()
        .find(|p| p.name == provider)
        .map(|p| p.kind.as_str())
    {
        Some("clockify") => "Clockify",
        Some("connecteam") => "Connecteam",
        _ => provider,
    }
}

/// How many people `changes` are about (a person per provider).
pub fn people(changes: &[&Change]) -> usize {
    let mut people: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c.provider.as_str(), c.person.id.as_str()))
        .collect();
    people.sort_unstable();
    people.dedup();
    people.len()
}

/// `6 to add, 7 to change, 4 to remove`: the changes by kind (the plan's
/// summary, and apply's).
pub fn kinds(changes: &[&Change]) -> String {
    let n = |mark: Mark| changes.iter().filter(|c| Mark::of(&c.kind) == mark).count();
    format!(
        "{} to add, {} to change, {} to remove",
        n(Mark::Add),
        n(Mark::Change),
        n(Mark::Remove)
    )
}

/// The closing line, e.g. `Plan: 3 people change, 5 changes: 2 to add, 3
/// to change, 0 to remove.` (the API calls are [`calls_line`]'s).
pub fn summary_line(plan: &Plan) -> String {
    if plan.is_empty() {
        return if plan.appliable() {
            "No changes.".to_owned()
        } else {
            "No changes could be derived (not appliable).".to_owned()
        };
    }
    let changes: Vec<&Change> = plan.changes.iter().collect();
    let people = people(&changes);
    format!(
        "Plan{}: {people} {}, {}: {}.",
        if plan.appliable() {
            ""
        } else {
            " (not appliable)"
        },
        if people == 1 {
            "person changes"
        } else {
            "people change"
        },
        crate::diag::count(changes.len(), "change"),
        kinds(&changes)
    )
}

/// The API calls apart from the changes: `15 API calls (PATCH 3, PUT 12)`;
/// empty when there are none.
pub fn calls_line(plan: &Plan) -> String {
    let s = &plan.summary;
    if s.calls == 0 {
        return String::new();
    }
    let methods: Vec<String> = s
        .calls_by_method
        .iter()
        .map(|(m, n)| format!("{m} {n}"))
        .collect();
    format!(
        "{} ({})",
        crate::diag::count(s.calls, "API call"),
        methods.join(", ")
    )
}

/// A call's body as one line, cut at `max` characters (text and the PR
/// comment show the same preview).
pub fn body_preview(call: &Call, max: usize) -> String {
    let Some(body) = &call.body else {
        return String::new();
    };
    let text = body.to_string();
    if text.chars().count() <= max {
        text
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}… ({} characters)", text.chars().count())
    }
}

fn paint(style: Style, text: &str, color: bool) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_owned()
    }
}

/// What the text rendering shows beyond the changes.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// Colour (the marks carry the same meaning without it).
    pub color: bool,
    /// List the API calls (`--show-calls`, or `-v`).
    pub show_calls: bool,
    /// `-v`: more detail on each change.
    pub verbose: bool,
}

/// Where each change comes from (`-v`), one line per change that says:
/// `  #ID EMAIL: WHAT (because ...)`, after the plan.
pub fn because_text(plan: &Plan) -> String {
    let mut out = String::new();
    for c in plan.changes.iter().filter(|c| !c.because.is_empty()) {
        if out.is_empty() {
            out.push_str("\nWhere the changes come from:\n");
        }
        let (what, _, _) = change_words(plan, c);
        let _ = writeln!(
            out,
            "  #{} {} {}: {} (because {})",
            c.id,
            esc(&c.provider),
            esc(&c.person.email),
            esc(&what),
            esc(&c.because.join("; "))
        );
    }
    out
}

/// The versioned JSON document (also what `--out` saves).
pub fn json(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(plan).expect("a plan serialises");
    s.push('\n');
    s
}

/// One change in words, `(what, now, planned)`, as the text rendering
/// shows it (for the pull-request comment, `plan::comment`).
pub fn change_words(plan: &Plan, change: &Change) -> (String, String, String) {
    let l = describe(change, system_name(plan, &change.provider));
    (l.what, l.from, l.to)
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
