//! `export --format csv`: the people of one provider as a roster table,
//! and the manifest that reads it. People with the same time off share a
//! `leave` group (`L1`, `L2`, ... in order of first appearance); one rule
//! per group gives its policies, so the roster and the rules declare what
//! the provider holds and a plan with them shows no change.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Entry, Export};
use crate::model::Status;

/// The roster's CSV text and the manifest (`rosters:` and `rules:`) that
/// reads it from `file` (relative to the manifest) for `provider`.
pub fn roster(export: &Export, provider: &str, file: &str) -> (String, String) {
    let mut groups: Vec<&[Entry]> = Vec::new();
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut rows: Vec<[String; 4]> = Vec::with_capacity(export.users.len());
    for u in &export.users {
        let group = if u.time_off.is_empty() {
            String::new()
        } else {
            let i = match groups.iter().position(|g| *g == u.time_off.as_slice()) {
                Some(i) => i,
                None => {
                    groups.push(&u.time_off);
                    groups.len() - 1
                }
            };
            format!("L{}", i + 1)
        };
        let status = match u.status {
            Some(Status::Active) => "active",
            Some(Status::Inactive) => "inactive",
            // Invited, not joined: left unmanaged (an empty cell).
            None => "",
        };
        rows.push([
            u.email.clone(),
            u.name.clone().unwrap_or_default(),
            status.to_owned(),
            group,
        ]);
    }
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(["email", "name", "status", "leave"]);
    for row in &rows {
        let _ = writer.write_record(row);
    }
    let csv = String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default();

    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut yaml = format!(
        "# The roster of `{provider}` exported by hrform: one row per person; each\n\
         # `leave` group's policies are given by the rule of the same group.\n\
         rosters:\n  - file: {}\n    provider: {}\n    columns: {{ email: email, name: name, status: status }}\n    attributes: {{ leave: leave }}\n",
        q(file),
        q(provider)
    );
    if !groups.is_empty() {
        yaml.push_str("rules:\n");
    }
    let mut by_name: BTreeMap<usize, &[Entry]> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        by_name.insert(i + 1, g);
    }
    for (i, entries) in by_name {
        let _ = writeln!(
            yaml,
            "  - name: leave-{i}\n    when: {{ leave: L{i} }}\n    time_off:"
        );
        for e in entries {
            let _ = write!(yaml, "      - {{ policy: {}", q(&e.policy));
            if let Some(t) = &e.policy_type {
                let _ = write!(yaml, ", policy_type: {}", q(t));
            }
            if let Some((amount, unit)) = e.allowance {
                let _ = write!(yaml, ", allowance: {amount}, unit: {unit}");
            }
            yaml.push_str(" }\n");
        }
    }
    (csv, yaml)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::Amount;
    use crate::export::User;
    use crate::model::Unit;

    #[test]
    fn people_with_the_same_time_off_share_a_group() {
        let vacation = |days: f64| Entry {
            policy: "Vacation: \"annual\"".into(),
            policy_type: None,
            allowance: Some((Amount::from_f64(days).unwrap(), Unit::Days)),
            note: None,
        };
        let user = |email: &str, name: Option<&str>, time_off: Vec<Entry>| User {
            email: email.into(),
            name: name.map(Into::into),
            status: Some(Status::Active),
            status_note: None,
            time_off,
            profile: None,
        };
        let export = Export {
            users: vec![
                user("a@x.io", Some("Doe, Jane"), vec![vacation(20.0)]),
                user("b@x.io", None, vec![]),
                user("c@x.io", None, vec![vacation(20.0)]),
                user("d@x.io", None, vec![vacation(25.5)]),
            ],
            ..Export::default()
        };
        let (csv, yaml) = roster(&export, "office", "office.csv");
        assert_eq!(
            csv,
            "email,name,status,leave\r\na@x.io,\"Doe, Jane\",active,L1\r\nb@x.io,,active,\r\nc@x.io,,active,L1\r\nd@x.io,,active,L2\r\n"
        );
        assert!(yaml.contains("  - name: leave-1\n    when: { leave: L1 }\n    time_off:\n      - { policy: \"Vacation: \\\"annual\\\"\", allowance: 20, unit: days }\n"), "{yaml}");
        assert!(yaml.contains("allowance: 25.5, unit: days"), "{yaml}");
        assert!(yaml.contains("    provider: \"office\"\n"), "{yaml}");
    }
}
