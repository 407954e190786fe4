//! Ambiguous live identities: hrform matches people by email, so two live
//! accounts with one email (differing in case, say) make a declared person
//! ambiguous; so does one id listed twice with different data. Either is an
//! error naming both ids, never a silent choice of one.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Loc};
use crate::manifest::checked::Email;
use crate::model::{LivePerson, LiveState};

/// The errors for `live`'s people of `provider`: each declared email
/// (`declared`: the email and where it is declared) that matches several
/// live accounts, and each id listed twice with different data.
pub(crate) fn ambiguous_people(
    provider: &str,
    live: &LiveState,
    declared: &[(&Email, Loc)],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut by_id: BTreeMap<&str, Vec<&LivePerson>> = BTreeMap::new();
    for p in &live.people {
        by_id.entry(p.id.as_str()).or_default().push(p);
    }
    for (id, listed) in &by_id {
        if let Some(other) = listed.iter().find(|p| **p != listed[0]) {
            out.push(
                Diagnostic::error(
                    Code::AmbiguousIdentity,
                    format!(
                        "provider `{provider}` lists user id {id} twice with different data ({} {}, {} {})",
                        listed[0].email, listed[0].status, other.email, other.status
                    ),
                )
                .help("the HR system answered inconsistently; run again, and report it to the vendor if it persists"),
            );
        }
    }
    let mut by_email: BTreeMap<String, Vec<&LivePerson>> = BTreeMap::new();
    for p in by_id.values().filter_map(|l| l.first()) {
        by_email.entry(p.email.to_lowercase()).or_default().push(p);
    }
    let mut reported = std::collections::HashSet::new();
    for (email, loc) in declared {
        let Some(accounts) = by_email.get(email.key()) else {
            continue;
        };
        if accounts.len() < 2 || !reported.insert(email.key()) {
            continue;
        }
        let listed: Vec<String> = accounts
            .iter()
            .map(|p| format!("{} ({}, {})", p.id, p.email, p.status))
            .collect();
        out.push(
            Diagnostic::error(
                Code::AmbiguousIdentity,
                format!(
                    "`{email}` matches {} accounts in provider `{provider}`: {}",
                    accounts.len(),
                    listed.join(", ")
                ),
            )
            .at(*loc, "which account?")
            .help("hrform matches people by email, ignoring case: give all but one of these accounts another email in the HR system"),
        );
    }
    out
}
