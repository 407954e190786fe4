//! Ambiguous live identities: hrform matches people by email, so two live
//! accounts with one email (differing in case, say) make a declared person
//! ambiguous; so does one id listed twice with different data. Either is an
//! error naming both ids, never a silent choice of one. A live address
//! that looks like a declared one without being its mailbox
//! ([`crate::mailbox`]) is a spoof: an error naming both, escaped.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Loc};
use crate::escape;
use crate::manifest::checked::Email;
use crate::model::{LivePerson, LiveState};

/// The errors for `live`'s people of `provider`: each declared email
/// (`declared`: the email and where it is declared) that matches several
/// live accounts, and each id listed twice with different data.
pub fn ambiguous_people(
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
                        escape::text(&listed[0].email),
                        listed[0].status,
                        escape::text(&other.email),
                        other.status
                    ),
                )
                .help("the HR system answered inconsistently; run again, and report it to the vendor if it persists"),
            );
        }
    }
    out.extend(confusable_people(provider, live, declared));
    let mut by_email: BTreeMap<String, Vec<&LivePerson>> = BTreeMap::new();
    for p in by_id.values().filter_map(|l| l.first()) {
        by_email
            .entry(crate::mailbox::key(&p.email))
            .or_default()
            .push(p);
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
            .map(|p| format!("{} ({}, {})", p.id, escape::text(&p.email), p.status))
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

/// A `confusable-identity` error for each live address of `live` that
/// looks like a declared one ([`crate::mailbox::lookalike`]) but is another
/// mailbox ([`crate::mailbox::key`]), at the declared person.
fn confusable_people(
    provider: &str,
    live: &LiveState,
    declared: &[(&Email, Loc)],
) -> Vec<Diagnostic> {
    let mut alike: std::collections::HashMap<String, (&Email, Loc)> =
        std::collections::HashMap::new();
    for (email, loc) in declared {
        alike
            .entry(crate::mailbox::lookalike(email.key()))
            .or_insert((*email, *loc));
    }
    let mut out = Vec::new();
    let mut reported = std::collections::HashSet::new();
    for p in &live.people {
        let Some((email, loc)) = alike.get(&crate::mailbox::lookalike(&p.email)) else {
            continue;
        };
        if crate::mailbox::key(&p.email) == email.key() || !reported.insert(p.id.as_str()) {
            continue;
        }
        out.push(
            Diagnostic::error(
                Code::ConfusableIdentity,
                format!(
                    "live account {} in provider `{provider}` has the email `{}`, which looks like the declared `{}` but is another mailbox",
                    escape::text(&p.id),
                    crate::mailbox::revealed(&p.email),
                    crate::mailbox::revealed(email.as_written()),
                ),
            )
            .at(*loc, "looks like a live account's email")
            .help("a possible spoof: hrform matches people by exact mailbox only; remove or rename the look-alike account in the HR system"),
        );
    }
    out
}
