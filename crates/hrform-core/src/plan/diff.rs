//! The diff engine: declared users of one provider against its live state,
//! giving the changes that make the live state match, each with the live
//! value it was computed against. Pure: no I/O, so it can be tested on
//! generated states.
//!
//! Also resolves names against the live state (people by email, policies by
//! name and type) and reports what cannot be resolved, pointing at the
//! manifest.

use std::collections::{BTreeMap, HashMap};

use super::balance::{self, Leave};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::manifest::checked::{self, Status};
use crate::model::{
    Change, ChangeKind, Holding, LivePerson, LivePolicy, LiveState, LiveStatus, PolicyRef, Role,
};

pub use crate::model::Vendor;

/// What to do about people in the system but in no manifest.
#[derive(Debug, Clone, Copy)]
pub struct UnmanagedRule<'a> {
    /// Plan their deactivation (`unmanaged_users: deactivate`).
    pub deactivate: bool,
    /// Never deactivated.
    pub protected: &'a [checked::Email],
}

/// The outcome of diffing one provider.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ProviderDiff {
    pub changes: Vec<Change>,
    /// People in the system but in no manifest (all of them, whatever
    /// `unmanaged_users` says; the caller decides what to do).
    pub unmanaged: Vec<LivePerson>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Diff the declared `users` of `provider` against `live`.
///
/// `has_expiration`: Clockify policies (by name) whose `has_expiration` is
/// declared; an assignment to any other Clockify policy is refused.
/// `unmanaged`: whether to plan the deactivation of active unmanaged people
/// (never the key owner, a protected user, or a Connecteam owner/manager).
pub fn diff_provider(
    provider: &str,
    vendor: Vendor,
    users: &[&checked::User],
    live: &LiveState,
    has_expiration: &BTreeMap<String, bool>,
    unmanaged: UnmanagedRule<'_>,
    leave: &Leave<'_>,
) -> ProviderDiff {
    let UnmanagedRule {
        deactivate: deactivate_unmanaged,
        protected,
    } = unmanaged;
    let mut out = ProviderDiff::default();
    let by_email: HashMap<String, &LivePerson> = live
        .people
        .iter()
        .map(|p| (crate::mailbox::key(&p.email), p))
        .collect();
    let policies_by_id: HashMap<&str, &LivePolicy> =
        live.policies.iter().map(|p| (p.id.as_str(), p)).collect();
    // person -> policy -> holding
    let mut holdings: HashMap<&str, BTreeMap<&str, &Holding>> = HashMap::new();
    for h in &live.holdings {
        holdings
            .entry(h.person.as_str())
            .or_default()
            .insert(h.policy.as_str(), h);
    }
    let mut managed: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut push = |out: &mut ProviderDiff, person: &LivePerson, kind: ChangeKind| {
        out.changes.push(Change::new(provider, person, kind));
    };

    for user in users {
        // A person with an error in any entry shows none of their changes:
        // half a person's changes would read as the whole of them.
        let (diags_before, changes_before) = (out.diagnostics.len(), out.changes.len());
        let Some(person) = by_email.get(user.email.key()).copied() else {
            let emails = live.people.iter().map(|p| p.email.as_str());
            out.diagnostics.push(
                Diagnostic::error(
                    Code::UserNotFound,
                    format!(
                        "user `{}` does not exist in provider `{provider}`",
                        user.email
                    ),
                )
                .at(user.loc, "not found")
                .help_opt(did_you_mean(user.email.key(), emails)),
            );
            continue;
        };
        managed.insert(person.id.as_str());

        if let Some(want) = user.status
            && person.status.as_declared() != Some(want)
        {
            status_change(&mut out, provider, vendor, user, person, want, &mut push);
        }

        let held = holdings.get(person.id.as_str());
        for entry in &user.time_off {
            let Some(policy) = resolve_policy(&mut out, provider, vendor, entry, live) else {
                continue;
            };
            if let Some(unit) = entry.unit
                && unit != policy.unit
            {
                out.diagnostics.push(
                    Diagnostic::error(
                        Code::UnitMismatch,
                        format!(
                            "policy `{}` counts in {}, but the manifest says {}",
                            policy.name, policy.unit, unit
                        ),
                    )
                    .at(entry.loc, format!("the policy's unit is {}", policy.unit))
                    .help(format!(
                        "write `unit: {}` and the balance in {}",
                        policy.unit, policy.unit
                    )),
                );
                continue;
            }
            if entry.allowance().is_some()
                && let Some(how) = &policy.accrues
            {
                out.diagnostics.push(
                    Diagnostic::error(
                        Code::AccruingPolicy,
                        format!(
                            "policy `{}` accrues its balance itself ({how}), so it takes no `allowance`",
                            policy.name
                        ),
                    )
                    .at(entry.loc, "an allowance on an accruing policy")
                    .help("leave the allowance out (the person stays assigned), or declare a one-off `balance`"),
                );
                continue;
            }
            let assigned =
                policy.everyone || held.is_some_and(|h| h.contains_key(policy.id.as_str()));
            let holding = held.and_then(|h| h.get(policy.id.as_str())).copied();
            let target = PolicyRef::of(policy);
            if !assigned {
                if vendor == Vendor::Clockify && !has_expiration.contains_key(&policy.name) {
                    out.diagnostics.push(
                        Diagnostic::error(
                            Code::HasExpirationRequired,
                            format!(
                                "assigning {} to Clockify policy `{}` needs its `has_expiration` declared",
                                user.email, policy.name
                            ),
                        )
                        .at(entry.loc, "an assignment change")
                        .help(format!(
                            "Clockify rewrites a policy's users with a full replace whose `hasExpiration` it never returns; declare it: \
                             `policies: {{{provider}: {{{}: {{has_expiration: false}}}}}}`",
                            policy.name
                        )),
                    );
                    continue;
                }
                // Connecteam: a person is on at most one policy per type
                // (in policy-id order, so the output is stable).
                let replaces = policy.policy_type.as_ref().and_then(|t| {
                    held.and_then(|h| {
                        // The first by name then id, not the map's order:
                        // the plan must be the same on every run.
                        h.keys()
                            .filter_map(|id| policies_by_id.get(id))
                            .filter(|p| {
                                p.policy_type.as_ref().is_some_and(|pt| pt.id == t.id)
                                    && p.id != policy.id
                            })
                            .min_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)))
                            .map(|p| PolicyRef::of(p))
                    })
                });
                if vendor == Vendor::Connecteam {
                    // The assignment carries the balance.
                    // Put on the policy now: nothing of last year carries.
                    let usage = balance::connecteam_usage(live, &person.id, policy, leave);
                    let balance = entry.amount.map(|d| match d {
                        checked::Declared::Allowance(a) => a - usage.used,
                        checked::Declared::Remaining(r) => r,
                    });
                    push(
                        &mut out,
                        person,
                        ChangeKind::Assign {
                            policy: target.clone(),
                            replaces,
                            balance,
                            allowance: entry.allowance(),
                            unit: policy.unit,
                            basis: entry.basis.clone(),
                        },
                    );
                    continue;
                }
                push(
                    &mut out,
                    person,
                    ChangeKind::Assign {
                        policy: target.clone(),
                        replaces,
                        balance: None,
                        allowance: None,
                        unit: policy.unit,
                        basis: None,
                    },
                );
            }
            match balance::entry_change(vendor, entry, policy, person, holding, live, leave) {
                Ok(Some(kind)) => push(&mut out, person, kind),
                Ok(None) => {}
                Err(d) => out.diagnostics.push(*d),
            }
        }
        if out.diagnostics[diags_before..]
            .iter()
            .any(Diagnostic::is_error)
        {
            out.changes.truncate(changes_before);
        }
    }

    let mut unmanaged: Vec<&LivePerson> = live
        .people
        .iter()
        .filter(|p| !managed.contains(p.id.as_str()))
        .collect();
    unmanaged.sort_by_key(|p| crate::mailbox::key(&p.email));
    for person in unmanaged {
        out.unmanaged.push(person.clone());
        let protected = protected
            .iter()
            .any(|e| e.key() == crate::mailbox::key(&person.email));
        let archivable = vendor == Vendor::Clockify || person.role == Role::User;
        if deactivate_unmanaged
            && person.status == LiveStatus::Active
            && !person.key_owner
            && !protected
            && archivable
        {
            push(
                &mut out,
                person,
                ChangeKind::Status {
                    from: person.status,
                    to: Status::Inactive,
                    reason: None,
                },
            );
        }
    }
    out
}

/// A status change, or the diagnostic that says why it cannot be made.
fn status_change(
    out: &mut ProviderDiff,
    provider: &str,
    vendor: Vendor,
    user: &checked::User,
    person: &LivePerson,
    want: Status,
    push: &mut impl FnMut(&mut ProviderDiff, &LivePerson, ChangeKind),
) {
    if matches!(person.status, LiveStatus::Pending | LiveStatus::Declined) {
        out.diagnostics.push(
            Diagnostic::error(
                Code::UserPending,
                format!(
                    "`{}` has not joined provider `{provider}` (invitation {}), so hrform cannot make them {want}",
                    user.email, person.status
                ),
            )
            .at(user.loc, format!("{} in {provider}", person.status))
            .help("the person must accept the invitation first; until then, leave `status` out"),
        );
        return;
    }
    if want == Status::Inactive && person.key_owner {
        out.diagnostics.push(
            Diagnostic::error(
                Code::KeyOwnerInactive,
                format!(
                    "`{}` owns the API key hrform uses and cannot be deactivated",
                    user.email
                ),
            )
            .at(user.loc, "the API key's owner")
            .help("use another person's API key, or leave this person active"),
        );
        return;
    }
    if want == Status::Inactive && vendor == Vendor::Connecteam && person.role != Role::User {
        let role = if person.role == Role::Owner {
            "owner"
        } else {
            "manager"
        };
        out.diagnostics.push(
            Diagnostic::error(
                Code::CannotArchiveManager,
                format!(
                    "`{}` is a Connecteam {role}; the API cannot archive owners or managers",
                    user.email
                ),
            )
            .at(user.loc, format!("a {role}"))
            .help("demote them to user in Connecteam first, or archive them there"),
        );
        return;
    }
    push(
        out,
        person,
        ChangeKind::Status {
            from: person.status,
            to: want,
            reason: None,
        },
    );
}

/// Find the live policy an entry names, or report why not.
fn resolve_policy<'l>(
    out: &mut ProviderDiff,
    provider: &str,
    vendor: Vendor,
    entry: &checked::TimeOff,
    live: &'l LiveState,
) -> Option<&'l LivePolicy> {
    let usable = || live.policies.iter().filter(|p| !p.archived);
    let named: Vec<&LivePolicy> = usable().filter(|p| p.name == entry.policy).collect();
    let matching: Vec<&LivePolicy> = match &entry.policy_type {
        Some(t) => named
            .iter()
            .copied()
            .filter(|p| p.policy_type.as_ref().is_some_and(|pt| &pt.name == t))
            .collect(),
        None => named.clone(),
    };
    match matching.as_slice() {
        [one] => Some(one),
        [] => {
            let (what, suggestion) = match (&entry.policy_type, named.is_empty()) {
                (Some(t), false) => (
                    format!(
                        "policy `{}` has no policy type `{t}` in provider `{provider}`",
                        entry.policy
                    ),
                    did_you_mean(
                        t,
                        named
                            .iter()
                            .filter_map(|p| p.policy_type.as_ref().map(|t| t.name.as_str())),
                    ),
                ),
                _ => (
                    format!(
                        "policy `{}` does not exist in provider `{provider}`",
                        entry.policy
                    ),
                    did_you_mean(&entry.policy, usable().map(|p| p.name.as_str())),
                ),
            };
            out.diagnostics.push(
                Diagnostic::error(Code::UnknownPolicy, what)
                    .at(entry.loc, "no such policy")
                    .help_opt(suggestion.or_else(|| {
                        let mut names: Vec<&str> = usable().map(|p| p.name.as_str()).collect();
                        names.sort_unstable();
                        names.dedup();
                        Some(format!("the policies are: {}", names.join(", ")))
                    })),
            );
            None
        }
        many => {
            let mut types: Vec<&str> = many
                .iter()
                .filter_map(|p| p.policy_type.as_ref().map(|t| t.name.as_str()))
                .collect();
            types.sort_unstable();
            types.dedup();
            let mut ids: Vec<&str> = many.iter().map(|p| p.id.as_str()).collect();
            ids.sort_unstable();
            // Several policies of one name under distinct types: a
            // `policy_type` picks one. Otherwise (two Clockify policies of
            // one name, or two of one name under one Connecteam type) only
            // renaming one in the HR system can tell them apart.
            let diagnostic = match types.first() {
                Some(first) if vendor == Vendor::Connecteam && types.len() == many.len() => {
                    Diagnostic::error(
                        Code::AmbiguousPolicy,
                        format!(
                            "policy `{}` exists under several policy types in provider `{provider}`: {}",
                            entry.policy,
                            types.join(", ")
                        ),
                    )
                    .at(entry.loc, "which one?")
                    .help(format!(
                        "add `policy_type: {first}` (or another of them) to the entry"
                    ))
                }
                _ => Diagnostic::error(
                    Code::AmbiguousPolicy,
                    format!(
                        "{} policies named `{}` in provider `{provider}` (ids {})",
                        many.len(),
                        entry.policy,
                        ids.join(", ")
                    ),
                )
                .at(entry.loc, "which one?")
                .help("rename or archive all but one of them in the HR system"),
            };
            out.diagnostics.push(diagnostic);
            None
        }
    }
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
