//! `hrform init`'s pure half: the starting `providers.yaml` for one
//! provider, from what its key can see (the Clockify workspace, the
//! Connecteam account, the policies), and the choice among several
//! Clockify workspaces. The shell (`commands::init`) makes the calls,
//! checks the tree with the file in it and writes it.
//!
//! Everything a server sent (workspace, company and policy names) goes
//! into comments only, escaped to one line (`escape::yaml_comment`); the
//! values written as YAML are the id (checked by validation) and what the
//! command line gave, quoted by `fmt::scalar`.

use std::fmt::Write as _;

use crate::fmt::scalar::string as scalar;
use crate::model::LivePolicy;

/// What the key showed the provider to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Account {
    Clockify {
        workspace_id: String,
        workspace_name: String,
    },
    Connecteam {
        company_name: String,
        company_id: String,
    },
}

/// The provider to declare.
#[derive(Debug, Clone)]
pub struct Init<'a> {
    /// Its name in the manifests (`provider:`).
    pub name: &'a str,
    pub account: &'a Account,
    /// Written when given (a regional host, the sandbox).
    pub base_url: Option<&'a str>,
    pub api_key_env: &'a str,
    /// The `$schema=` value.
    pub schema: &'a str,
    pub today: jiff::civil::Date,
}

/// What was found with the key: the policies and how many people.
#[derive(Debug, Clone)]
pub struct Survey<'a> {
    pub policies: &'a [LivePolicy],
    pub people: usize,
}

/// The `providers.yaml` text; without `survey`, the file alone (to check
/// the options before any call).
pub fn render(init: &Init<'_>, survey: Option<&Survey<'_>>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# yaml-language-server: $schema={}",
        comment(init.schema)
    );
    let _ = writeln!(
        out,
        "# Written by `hrform init` on {} from what the key in {} can see:",
        init.today,
        comment(init.api_key_env)
    );
    let _ = writeln!(out, "# {}.", account_line(init.account, survey));
    out.push_str("# Never put the key itself in a manifest.\n");
    out.push_str("\nproviders:\n");
    let _ = writeln!(out, "  {}:", scalar(init.name));
    match init.account {
        Account::Clockify { workspace_id, .. } => {
            out.push_str("    type: clockify\n");
            let _ = writeln!(out, "    workspace_id: {}", scalar(workspace_id));
        }
        Account::Connecteam { .. } => out.push_str("    type: connecteam\n"),
    }
    if let Some(base) = init.base_url {
        let _ = writeln!(out, "    base_url: {}", scalar(base));
    }
    let _ = writeln!(out, "    api_key_env: {}", scalar(init.api_key_env));
    if let Some(survey) = survey {
        out.push('\n');
        let lines = policy_lines(survey.policies);
        if lines.is_empty() {
            out.push_str("# No time-off policies found.\n");
        } else {
            out.push_str(
                "# The time-off policies found, for `policy:` (and `policy_type:`) in\n# `time_off` entries:\n",
            );
            for line in lines {
                let _ = writeln!(out, "#   {line}");
            }
        }
    }
    out
}

/// One line saying what the key showed, for the file and for stderr.
pub fn account_line(account: &Account, survey: Option<&Survey<'_>>) -> String {
    let mut line = match account {
        Account::Clockify {
            workspace_id,
            workspace_name,
        } => format!(
            "Clockify workspace `{}` ({})",
            comment(workspace_name),
            comment(workspace_id)
        ),
        Account::Connecteam {
            company_name,
            company_id,
        } => format!(
            "Connecteam account `{}` (company {})",
            comment(company_name),
            comment(company_id)
        ),
    };
    if let Some(s) = survey {
        let _ = write!(
            line,
            ", {}, {}",
            match s.people {
                1 => "1 person".to_owned(),
                n => format!("{n} people"),
            },
            match s.policies.len() {
                1 => "1 policy".to_owned(),
                n => format!("{n} policies"),
            }
        );
    }
    line
}

/// The policies, one line each in name order (Connecteam: by type, then
/// name): `Vacation (days)`, `Vacation / Standard (days, accrues: …)`,
/// `Old (days, archived)`; escaped for a comment.
pub fn policy_lines(policies: &[LivePolicy]) -> Vec<String> {
    let mut sorted: Vec<&LivePolicy> = policies.iter().collect();
    sorted.sort_by(|a, b| {
        let ty = |p: &LivePolicy| p.policy_type.as_ref().map(|t| t.name.clone());
        (ty(a), &a.name).cmp(&(ty(b), &b.name))
    });
    sorted
        .into_iter()
        .map(|p| {
            let mut line = String::new();
            if let Some(t) = &p.policy_type {
                let _ = write!(line, "{} / ", comment(&t.name));
            }
            let _ = write!(line, "{} ({}", comment(&p.name), p.unit);
            if p.everyone {
                line.push_str(", everyone");
            }
            if let Some(how) = &p.accrues {
                let _ = write!(line, ", accrues: {}", comment(how));
            }
            if p.archived {
                line.push_str(", archived");
            }
            line.push(')');
            line
        })
        .collect()
}

/// Why no single workspace could be chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// The key sees no workspace.
    None,
    /// Several, and `--workspace` did not name one.
    Several,
    /// `--workspace` named none of them.
    NotFound,
}

/// The workspace to declare, by index into `found` (id, name): the one
/// `wanted` names (by id, or by name when exactly one has it), else the
/// only one.
pub fn choose_workspace(found: &[(String, String)], wanted: Option<&str>) -> Result<usize, Choice> {
    match wanted {
        Some(w) => {
            if let Some(i) = found.iter().position(|(id, _)| id == w) {
                return Ok(i);
            }
            let named: Vec<usize> = (0..found.len()).filter(|&i| found[i].1 == w).collect();
            match named[..] {
                [i] => Ok(i),
                _ => Err(Choice::NotFound),
            }
        }
        None => match found.len() {
            0 => Err(Choice::None),
            1 => Ok(0),
            _ => Err(Choice::Several),
        },
    }
}

fn comment(s: &str) -> String {
    crate::escape::yaml_comment(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (what, workspaces found, `--workspace`, the choice).
    type Case<'a> = (
        &'a str,
        Vec<(String, String)>,
        Option<&'a str>,
        Result<usize, Choice>,
    );

    #[test]
    fn workspaces_are_chosen_or_refused() {
        let ws = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect()
        };
        let two = ws(&[("a1", "Acme"), ("b2", "Beta")]);
        let twins = ws(&[("a1", "Acme"), ("b2", "Acme")]);
        let cases: Vec<Case<'_>> = vec![
            ("none", ws(&[]), None, Err(Choice::None)),
            ("the only one", ws(&[("a1", "Acme")]), None, Ok(0)),
            (
                "several, none named",
                two.clone(),
                None,
                Err(Choice::Several),
            ),
            ("named by id", two.clone(), Some("b2"), Ok(1)),
            ("named by name", two.clone(), Some("Beta"), Ok(1)),
            ("named, not there", two, Some("c3"), Err(Choice::NotFound)),
            (
                "a name two share",
                twins.clone(),
                Some("Acme"),
                Err(Choice::NotFound),
            ),
            ("an id among twins", twins, Some("b2"), Ok(1)),
        ];
        for (what, found, wanted, want) in cases {
            assert_eq!(choose_workspace(&found, wanted), want, "{what}");
        }
    }

    /// Names from the server stay in their comment line; the file reads
    /// back as one provider.
    #[test]
    fn server_names_cannot_leave_their_comments() {
        let account = Account::Clockify {
            workspace_id: "65f1c2a9b3d84e0017a6c4d2".into(),
            workspace_name: "Acme\nproviders: {}".into(),
        };
        let policies = vec![LivePolicy {
            id: "p".into(),
            name: "Vacation\n  evil: true".into(),
            policy_type: None,
            unit: crate::model::Unit::Days,
            archived: true,
            everyone: false,
            accrues: None,
        }];
        let init = Init {
            name: "office",
            account: &account,
            base_url: Some("http://127.0.0.1:1/api"),
            api_key_env: "CLOCKIFY_API_KEY",
            schema: "manifest.schema.json",
            today: jiff::civil::date(2026, 6, 15),
        };
        let text = render(
            &init,
            Some(&Survey {
                policies: &policies,
                people: 3,
            }),
        );
        let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(
            doc,
            serde_json::json!({"providers": {"office": {
                "type": "clockify",
                "workspace_id": "65f1c2a9b3d84e0017a6c4d2",
                "base_url": "http://127.0.0.1:1/api",
                "api_key_env": "CLOCKIFY_API_KEY",
            }}})
        );
        assert!(
            text.contains("#   Vacation\\u{a}  evil: true (days, archived)\n"),
            "{text}"
        );
        assert!(text.contains("3 people, 1 policy."), "{text}");
    }
}
