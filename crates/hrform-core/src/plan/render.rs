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
/// remaining, and why it changes.
pub fn balance_words(kind: &ChangeKind) -> Option<(String, String)> {
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
                if matches!(reason, BalanceReason::Allowance) {
                    "; not usage"
                } else {
                    ""
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

fn describe(change: &Change) -> Line {
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
            let (from, to) = balance_words(&change.kind).unwrap_or_default();
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
            to: format!("+ {}", request_words(request)),
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
            to: format!("- {} → denied ({reason})", request_words(request)),
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

/// The closing line, e.g. `Plan: 3 people change, 5 changes, 4 API calls (PUT 3, PATCH 1)`.
pub fn summary_line(plan: &Plan) -> String {
    if plan.is_empty() {
        return "No changes.".to_owned();
    }
    let s = &plan.summary;
    let methods: Vec<String> = s
        .calls_by_method
        .iter()
        .map(|(m, n)| format!("{m} {n}"))
        .collect();
    format!(
        "Plan: {} {}, {}, {} ({})",
        s.people,
        if s.people == 1 {
            "person changes"
        } else {
            "people change"
        },
        crate::diag::count(s.changes, "change"),
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

/// The text rendering, for terminals and logs.
pub fn text(plan: &Plan, color: bool) -> String {
    let mut out = String::new();
    let groups = by_person(plan);
    let mut provider = "";
    for (p, email, changes) in &groups {
        if *p != provider {
            provider = p;
            let kind = plan
                .providers
                .iter()
                .find(|s| s.name == *p)
                .map_or("", |s| s.kind.as_str());
            if !out.is_empty() {
                out.push('\n');
            }
            let _ = writeln!(
                out,
                "{}",
                paint(BOLD, &format!("{} ({kind})", esc(p)), color)
            );
        }
        let _ = writeln!(out, "  {}", paint(BOLD, &esc(email), color));
        // Every piece of data is shown with its control characters escaped.
        let lines: Vec<Line> = changes
            .iter()
            .map(|c| {
                let l = describe(c);
                Line {
                    what: esc(&l.what).into_owned(),
                    from: esc(&l.from).into_owned(),
                    to: esc(&l.to).into_owned(),
                    diffs: l.diffs.iter().map(|d| esc(d).into_owned()).collect(),
                    ..l
                }
            })
            .collect();
        let width = lines
            .iter()
            .map(|l| l.what.chars().count())
            .max()
            .unwrap_or(0);
        for l in lines {
            if l.from.is_empty() {
                let _ = writeln!(
                    out,
                    "    {:width$}  {}",
                    l.what,
                    paint(l.style, &l.to, color)
                );
            } else {
                let _ = writeln!(
                    out,
                    "    {:width$}  {} → {}",
                    l.what,
                    l.from,
                    paint(l.style, &l.to, color),
                );
            }
            for d in &l.diffs {
                let style = match d.chars().next() {
                    Some('-') => REMOVE,
                    Some('+') => ADD,
                    _ => DIM,
                };
                let _ = writeln!(out, "      {}", paint(style, d, color));
            }
        }
    }
    if !plan.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint(
                BOLD,
                "Unmanaged people (in a system, in no manifest)",
                color
            )
        );
        for u in &plan.unmanaged {
            let action = if u.deactivate {
                paint(REMOVE, "deactivate", color)
            } else {
                "reported".to_owned()
            };
            let _ = writeln!(
                out,
                "  {}  {}  {}  {action}",
                esc(&u.provider),
                esc(&u.email),
                u.status
            );
        }
    }
    scheduled_and_drift(&mut out, plan, color);
    if !plan.calls.is_empty() {
        let _ = writeln!(out, "\n{}", paint(BOLD, "API calls, in order", color));
        let width = plan
            .calls
            .iter()
            .map(|c| c.provider.len())
            .max()
            .unwrap_or(0);
        for (i, call) in plan.calls.iter().enumerate() {
            let preview = esc(&body_preview(call, 160)).into_owned();
            let _ = writeln!(
                out,
                "  {:>3}. {:<width$}  {:<6} {}{}",
                i + 1,
                esc(&call.provider),
                call.method.to_string(),
                esc(&call.path),
                if preview.is_empty() {
                    String::new()
                } else {
                    format!("  {}", paint(DIM, &preview, color))
                },
            );
        }
    }
    if !plan.safety.is_empty() {
        let _ = writeln!(out, "\n{}", paint(BOLD, "Safety", color));
        for check in &plan.safety {
            let _ = writeln!(out, "  {}", safety_line(check, color));
        }
    }
    if !plan.targets.is_empty() {
        let _ = writeln!(
            out,
            "\nLimited to --target {}",
            esc(&plan.targets.join(", "))
        );
    }
    if !out.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{}", paint(BOLD, &summary_line(plan), color));
    out
}

/// The "Scheduled" section (dated changes ahead, no call) and, with
/// `--due-only`, the drift left alone.
fn scheduled_and_drift(out: &mut String, plan: &Plan, color: bool) {
    if !plan.scheduled.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint(BOLD, "Scheduled (no call until the day)", color)
        );
        for s in &plan.scheduled {
            let _ = writeln!(
                out,
                "  {}  {}  {}  {}",
                s.date,
                esc(&s.provider),
                esc(&s.email),
                esc(&s.what)
            );
        }
    }
    if !plan.drift.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint(BOLD, "Drift (not due to a date; not applied)", color)
        );
        for c in &plan.drift {
            let l = describe(c);
            let change = if l.from.is_empty() {
                format!("{}  {}", l.what, l.to)
            } else {
                format!("{}  {} → {}", l.what, l.from, l.to)
            };
            let _ = writeln!(
                out,
                "  {}  {}  {}",
                esc(&c.provider),
                esc(&c.person.email),
                esc(&change)
            );
        }
    }
}

fn safety_line(check: &SafetyCheck, color: bool) -> String {
    let mark = if check.blocked {
        paint(REMOVE, "BLOCKED", color)
    } else {
        paint(ADD, "ok", color)
    };
    format!("{mark}  {}: {}", check.rule, esc(&check.message))
}

/// The versioned JSON document (also what `--out` saves).
/// Where each change comes from (`-v`), one line per change that says:
/// `  #ID EMAIL: WHAT (because ...)`, after the plan.
pub fn because_text(plan: &Plan) -> String {
    let mut out = String::new();
    for c in plan.changes.iter().filter(|c| !c.because.is_empty()) {
        if out.is_empty() {
            out.push_str("\nWhere the changes come from:\n");
        }
        let (what, _, _) = change_words(c);
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

pub fn json(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(plan).expect("a plan serialises");
    s.push('\n');
    s
}

/// One change in words, `(what, now, planned)`, as the text rendering
/// shows it (for the pull-request comment, `plan::comment`).
pub fn change_words(change: &Change) -> (String, String, String) {
    let l = describe(change);
    (l.what, l.from, l.to)
}
