//! The text rendering of a plan for terminals and logs: its sections in
//! order (warning, legend, changes, unmanaged, scheduled, calls, safety,
//! targets), then the summary.

use std::fmt::Write as _;

use super::*;

/// One section of the text plan: nothing when it has nothing to say.
type Section = fn(&Plan, &TextOptions) -> String;

/// The text rendering, for terminals and logs: the sections in order,
/// separated by a blank line, then the summary. A new section is one
/// function and one entry here.
pub fn text(plan: &Plan, options: &TextOptions) -> String {
    const SECTIONS: [Section; 8] = [
        not_appliable_section,
        legend_section,
        changes_section,
        unmanaged_section,
        scheduled_section,
        calls_section,
        safety_section,
        targets_section,
    ];
    let mut out = String::new();
    for section in SECTIONS {
        let part = section(plan, options);
        if part.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&part);
    }
    if !out.is_empty() {
        out.push('\n');
    }
    let color = options.color;
    let _ = writeln!(out, "{}", paint(BOLD, &summary_line(plan), color));
    let calls = calls_line(plan);
    if !calls.is_empty() {
        let hint = if options.show_calls {
            ""
        } else {
            "; --show-calls lists them"
        };
        let _ = writeln!(out, "{calls}{hint}.");
    }
    out
}

/// The warning that opens a plan with errors.
pub fn not_appliable_words(plan: &Plan) -> String {
    format!(
        "Not appliable: {} between the manifests and the live systems (listed after the plan). \
         Shown: every change hrform could derive for everyone else; nothing can be applied or saved until the errors are fixed.",
        crate::diag::count(plan.errors, "error")
    )
}

fn not_appliable_section(plan: &Plan, options: &TextOptions) -> String {
    if plan.appliable() {
        return String::new();
    }
    format!(
        "{}\n",
        paint(REMOVE, &not_appliable_words(plan), options.color)
    )
}

fn legend_section(plan: &Plan, options: &TextOptions) -> String {
    let marked = !plan.changes.is_empty() || plan.unmanaged.iter().any(|u| u.deactivate);
    if !marked {
        return String::new();
    }
    format!("{}\n", paint(DIM, LEGEND, options.color))
}

/// Each provider, each person (name and email), each change with its mark.
fn changes_section(plan: &Plan, options: &TextOptions) -> String {
    let color = options.color;
    let mut out = String::new();
    let groups = by_person(plan);
    let mut provider = "";
    for (p, _, changes) in &groups {
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
        let person = &changes[0].person;
        let label = person_label(&person.email, person.name.as_deref());
        let _ = writeln!(out, "  {}", paint(BOLD, &esc(&label), color));
        let system = system_name(plan, p);
        // Every piece of data is shown with its control characters escaped.
        let lines: Vec<(Mark, Line)> = changes
            .iter()
            .map(|c| {
                let l = describe(c, system);
                let line = Line {
                    what: esc(&l.what).into_owned(),
                    from: esc(&l.from).into_owned(),
                    to: esc(&l.to).into_owned(),
                    diffs: l.diffs.iter().map(|d| esc(d).into_owned()).collect(),
                    ..l
                };
                (Mark::of(&c.kind), line)
            })
            .collect();
        let width = lines
            .iter()
            .map(|(_, l)| l.what.chars().count())
            .max()
            .unwrap_or(0);
        for (mark, l) in lines {
            let sign = paint(mark.style(), &mark.sign().to_string(), color);
            if l.from.is_empty() {
                let _ = writeln!(
                    out,
                    "    {sign} {:width$}  {}",
                    l.what,
                    paint(l.style, &l.to, color)
                );
            } else {
                let _ = writeln!(
                    out,
                    "    {sign} {:width$}  {} → {}",
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
                let _ = writeln!(out, "        {}", paint(style, d, color));
            }
        }
    }
    out
}

fn unmanaged_section(plan: &Plan, options: &TextOptions) -> String {
    let color = options.color;
    let mut out = String::new();
    if plan.unmanaged.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "{}",
        paint(
            BOLD,
            "Unmanaged people (in a system, in no manifest)",
            color
        )
    );
    for u in &plan.unmanaged {
        let (sign, action) = if u.deactivate {
            (
                paint(REMOVE, "-", color),
                paint(REMOVE, "deactivate", color),
            )
        } else {
            (" ".to_owned(), "reported".to_owned())
        };
        let _ = writeln!(
            out,
            "  {sign} {}  {}  {}  {action}",
            esc(&u.provider),
            esc(&person_label(&u.email, u.name.as_deref())),
            u.status
        );
    }
    out
}

/// The "Scheduled" section (dated changes ahead, no call) and, with
/// `--due-only`, the drift left alone.
fn scheduled_section(plan: &Plan, options: &TextOptions) -> String {
    let mut out = String::new();
    scheduled_and_drift(&mut out, plan, options.color);
    out.trim_start_matches('\n').to_owned()
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
            let l = describe(c, system_name(plan, &c.provider));
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

/// The exact calls, only when asked for (`--show-calls`, `-v`).
fn calls_section(plan: &Plan, options: &TextOptions) -> String {
    let color = options.color;
    let mut out = String::new();
    if !options.show_calls || plan.calls.is_empty() {
        return out;
    }
    let _ = writeln!(out, "{}", paint(BOLD, "API calls, in order", color));
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
    out
}

fn safety_section(plan: &Plan, options: &TextOptions) -> String {
    let mut out = String::new();
    if plan.safety.is_empty() {
        return out;
    }
    let _ = writeln!(out, "{}", paint(BOLD, "Safety", options.color));
    for check in &plan.safety {
        let _ = writeln!(out, "  {}", safety_line(check, options.color));
    }
    out
}

fn targets_section(plan: &Plan, _: &TextOptions) -> String {
    if plan.targets.is_empty() {
        return String::new();
    }
    format!("Limited to --target {}\n", esc(&plan.targets.join(", ")))
}

fn safety_line(check: &SafetyCheck, color: bool) -> String {
    let mark = if check.blocked {
        paint(REMOVE, "BLOCKED", color)
    } else {
        paint(ADD, "ok", color)
    };
    format!("{mark}  {}: {}", check.rule, esc(&check.message))
}
