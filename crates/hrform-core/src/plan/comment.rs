//! The plan as one pull-request comment (`plan --output markdown`), which CI
//! edits in place on every push:
//!
//! 1. a hidden marker `<!-- hrform {JSON} -->` (how CI finds its comment,
//!    and which plan and manifests it shows) and a status line that the
//!    merge workflow rewrites (applied / stale / failed);
//! 2. a headline, then the changes that harm if wrong (deactivations,
//!    balance decreases, request denials, safety rules that block);
//! 3. one compact table of every change by person;
//! 4. the API calls and the rest, folded.
//!
//! It stays under [`COMMENT_LIMIT`] characters, cut on a line boundary with
//! a note; the marker's digest is always of the whole plan.

use std::fmt::Write as _;

use super::Plan;
use super::digest::PlanDigest;
use super::render;
use crate::model::{Change, ChangeKind};

/// The comment's size cap: GitHub refuses bodies over 65,536 characters;
/// what is left is room for the status line the merge workflow writes.
pub const COMMENT_LIMIT: usize = 60_000;

/// The version of the marker's JSON.
pub const MARKER_VERSION: u32 = 1;

/// What starts the hidden marker; CI looks for comments starting with it.
pub const MARKER_PREFIX: &str = "<!-- hrform ";

/// What starts the status line; the merge workflow replaces that line.
pub const STATUS_PREFIX: &str = "**Status:**";

/// Markdown-escape untrusted text (names, emails, messages from the live
/// systems) for a table cell or a list item: the one Markdown escaping of
/// hrform (`escape::markdown`), newlines kept out of table rows.
fn md(text: &str) -> String {
    crate::escape::markdown(&text.replace(['\n', '\r'], " "))
}

/// The hidden first line. Its JSON never holds `<` or `>` (escaped as
/// `\u003c`/`\u003e`), so no value can end the HTML comment.
pub fn marker(plan: &Plan) -> String {
    let providers: Vec<&str> = plan.providers.iter().map(|p| p.name.as_str()).collect();
    let value = serde_json::json!({
        "format_version": MARKER_VERSION,
        "providers": providers,
        "targets": plan.targets,
        "plan_sha256": PlanDigest::of(render::json(plan).as_bytes()).to_string(),
        "manifests_hash": plan.manifests_hash,
        "hrform_version": plan.hrform_version,
    });
    let json = serde_json::to_string(&value)
        .expect("a marker serialises")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e");
    format!("{MARKER_PREFIX}{json} -->")
}

/// Whether a change would hurt someone if it were wrong, and why.
fn harm(change: &Change) -> Option<&'static str> {
    match &change.kind {
        kind if kind.is_deactivation() => Some("deactivation"),
        ChangeKind::Balance {
            from: Some(f), to, ..
        } if to < f => Some("balance decrease"),
        ChangeKind::DenyRequest { .. } => Some("request denial"),
        _ => None,
    }
}

fn cell(what: &str, from: &str, to: &str) -> (String, String) {
    let now = if from.is_empty() {
        "—".to_owned()
    } else {
        md(from)
    };
    (md(what), format!("{now} | {}", md(to)))
}

/// Dated changes ahead (no call until their day): what merging schedules.
fn scheduled(out: &mut String, plan: &Plan) {
    if plan.scheduled.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "#### Scheduled (applied on their day by the daily job)\n\n| day | person | provider | change |\n|---|---|---|---|"
    );
    for s in &plan.scheduled {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            s.date,
            md(&s.email),
            md(&s.provider),
            md(&s.what)
        );
    }
    out.push('\n');
}

/// The whole comment, before the size cap.
fn full(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", marker(plan));
    if plan.appliable() {
        let _ = writeln!(
            out,
            "{STATUS_PREFIX} planned, not applied yet; hrform applies this plan when the pull request merges.\n"
        );
    } else {
        // A plan with errors is never applied: the status must not say it will be.
        let _ = writeln!(
            out,
            "{STATUS_PREFIX} not appliable: fix the errors (below, and in the job log) and push again; nothing is applied on merge.\n"
        );
    }
    let _ = writeln!(out, "### hrform plan: {}\n", render::summary_line(plan));
    if !plan.changes.is_empty() {
        let calls = render::calls_line(plan);
        let _ = writeln!(
            out,
            "Marks: `+` add or activate, `~` change, `-` deactivate or deny{}.\n",
            if calls.is_empty() {
                String::new()
            } else {
                format!("; {calls}, listed below")
            }
        );
    }
    if !plan.targets.is_empty() {
        let _ = writeln!(
            out,
            "Limited to --target {}.\n",
            plan.targets
                .iter()
                .map(|t| md(t))
                .collect::<Vec<_>>()
                .join(", --target ")
        );
    }

    if !plan.appliable() {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> {}\n",
            md(&render::not_appliable_words(plan))
        );
    }
    // What harms if wrong, first.
    let changes = render::by_provider_and_person(plan);
    let harmful: Vec<(&Change, &str)> = changes
        .iter()
        .filter_map(|c| harm(c).map(|h| (*c, h)))
        .collect();
    let blocked: Vec<_> = plan.safety.iter().filter(|c| c.blocked).collect();
    let unmanaged_off: Vec<_> = plan.unmanaged.iter().filter(|u| u.deactivate).collect();
    if !blocked.is_empty() {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> A safety rule blocks this plan; apply refuses it (exit 3) without `--force`:"
        );
        for c in &blocked {
            let _ = writeln!(out, "> - **{}**: {}", md(&c.rule), md(&c.message));
        }
        out.push('\n');
    }
    if !harmful.is_empty() || !unmanaged_off.is_empty() {
        let _ = writeln!(out, "#### Check these first\n");
        for (c, why) in &harmful {
            let (what, from, to) = render::change_words(plan, c);
            let now = if from.is_empty() {
                String::new()
            } else {
                format!("{} → ", md(&from))
            };
            let _ = writeln!(
                out,
                "- **{why}**: {} ({}) {}: {now}{}",
                md(&render::person_label(
                    &c.person.email,
                    c.person.name.as_deref()
                )),
                md(&c.provider),
                md(&what),
                md(&to)
            );
        }
        for u in &unmanaged_off {
            let _ = writeln!(
                out,
                "- **deactivation**: {} ({}), in no manifest (`unmanaged_users: deactivate`)",
                md(&render::person_label(&u.email, u.name.as_deref())),
                md(&u.provider)
            );
        }
        out.push('\n');
    }

    if !changes.is_empty() {
        let _ = writeln!(out, "#### Every change\n");
        let _ = writeln!(
            out,
            "| person | provider | | what | now | planned |\n|---|---|---|---|---|---|"
        );
        let mut last: Option<(&str, String)> = None;
        for c in &changes {
            let (what, from, to) = render::change_words(plan, c);
            let key = (c.provider.as_str(), crate::mailbox::key(&c.person.email));
            // The person and provider once per group: compact, and still a table.
            let (person, provider) = if last.as_ref() == Some(&key) {
                (String::new(), String::new())
            } else {
                (
                    md(&render::person_label(
                        &c.person.email,
                        c.person.name.as_deref(),
                    )),
                    md(&c.provider),
                )
            };
            last = Some(key);
            let (what, rest) = cell(&what, &from, &to);
            let flag = if harm(c).is_some() { " ⚠️" } else { "" };
            let because = if c.because.is_empty() {
                String::new()
            } else {
                format!("<br><sub>because {}</sub>", md(&c.because.join("; ")))
            };
            let sign = render::Mark::of(&c.kind).sign();
            let _ = writeln!(
                out,
                "| {person} | {provider} | `{sign}` | {what}{flag}{because} | {rest} |"
            );
        }
        out.push('\n');
    }

    scheduled(&mut out, plan);
    if plan.unmanaged.iter().any(|u| !u.deactivate) {
        let reported: Vec<_> = plan.unmanaged.iter().filter(|u| !u.deactivate).collect();
        let _ = writeln!(
            out,
            "<details><summary>Unmanaged people, reported ({})</summary>\n\n| provider | person | status |\n|---|---|---|",
            reported.len()
        );
        for u in reported {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                md(&u.provider),
                md(&render::person_label(&u.email, u.name.as_deref())),
                u.status
            );
        }
        out.push_str("\n</details>\n\n");
    }
    if !plan.calls.is_empty() {
        let mut lines = Vec::with_capacity(plan.calls.len());
        for call in &plan.calls {
            let body = render::body_preview(call, 200);
            let line = format!(
                "{} {} {}{}",
                call.provider,
                call.method,
                call.path,
                if body.is_empty() {
                    String::new()
                } else {
                    format!(" {body}")
                }
            )
            .replace('\n', " ");
            lines.push(crate::escape::text(&line).into_owned());
        }
        // Inside a code block nothing is Markdown; only a fence could end
        // it, and the fence is longer than any run of backticks inside.
        let body = lines.join("\n");
        let fence = crate::escape::fence(&body);
        let _ = writeln!(
            out,
            "<details><summary>API calls, in order ({})</summary>\n\n{fence}\n{body}\n{fence}\n\n</details>\n",
            plan.calls.len()
        );
    }
    if !plan.safety.is_empty() {
        out.push_str("<details><summary>Safety rules</summary>\n\n");
        for c in &plan.safety {
            let _ = writeln!(
                out,
                "- {} {}: {}",
                if c.blocked { "**blocked**" } else { "ok" },
                md(&c.rule),
                md(&c.message)
            );
        }
        out.push_str("\n</details>\n\n");
    }
    let _ = writeln!(
        out,
        "<sub>hrform {} · manifests {}</sub>",
        md(&plan.hrform_version),
        md(&plan.manifests_hash)
    );
    out
}

/// The comment: [`full`] cut to [`COMMENT_LIMIT`] characters on a line
/// boundary, closing any open code fence and `<details>`, with a note.
pub fn markdown(plan: &Plan) -> String {
    cap(full(plan), COMMENT_LIMIT)
}

/// `text` cut to at most `limit` characters on a line boundary, keeping it
/// well-formed, and ending with a note that says what was left out.
pub fn cap(text: String, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text;
    }
    let total_lines = text.lines().count();
    // Room for the closers and the note.
    let budget = limit.saturating_sub(400);
    let mut out = String::new();
    let mut used = 0;
    let mut kept = 0;
    let mut in_fence: Option<String> = None;
    let mut open_details = 0usize;
    for line in text.lines() {
        let n = line.chars().count() + 1;
        if used + n > budget {
            break;
        }
        out.push_str(line);
        out.push('\n');
        used += n;
        kept += 1;
        if line.starts_with("```") {
            let f = line.trim_end();
            match &in_fence {
                None => in_fence = Some(f.to_owned()),
                Some(open) if open == f => in_fence = None,
                Some(_) => {}
            }
        }
        open_details += line.matches("<details>").count();
        open_details = open_details.saturating_sub(line.matches("</details>").count());
    }
    if let Some(fence) = in_fence {
        out.push_str(&fence);
        out.push('\n');
    }
    for _ in 0..open_details {
        out.push_str("\n</details>\n");
    }
    let _ = writeln!(
        out,
        "\n_The plan is cut here: {} more lines would pass {limit} characters. \
         The marker's digest is of the whole plan; run `hrform plan` or read the \
         `plan.json` artifact for everything._",
        total_lines - kept
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md_escapes_markdown_and_html() {
        assert_eq!(md("a|b<c>&_d_\n`e`"), "a\\|b&lt;c&gt;&amp;\\_d\\_ \\`e\\`");
    }

    #[test]
    fn cap_cuts_on_lines_and_closes_what_is_open() {
        let mut text = String::from("head\n<details><summary>x</summary>\n\n```\n");
        for i in 0..1000 {
            text.push_str(&format!("line {i} of a long list\n"));
        }
        text.push_str("```\n</details>\n");
        let capped = cap(text, 2_000);
        assert!(capped.chars().count() <= 2_000, "{}", capped.len());
        let body = capped.split("\n_The plan is cut here").next().unwrap();
        assert!(
            body.lines()
                .all(|l| l.starts_with("line ") || !l.contains("line "))
        );
        assert_eq!(capped.matches("```").count() % 2, 0);
        assert_eq!(
            capped.matches("<details>").count(),
            capped.matches("</details>").count()
        );
        assert!(capped.contains("more lines would pass 2000 characters"));
    }
}
