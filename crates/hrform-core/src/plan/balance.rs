//! Balance arithmetic: what a declared `allowance` or remaining `balance`
//! means against a live balance and the usage the HR system has counted.
//! Pure: no I/O.
//!
//! An allowance is what HR grants for the leave year, before usage. The
//! system deducts approved leave itself, so hrform compares the allowance
//! with what the live balance implies — remaining + used — and plans a
//! change only when that differs; leave taken never shows as a change.
//! Usage is, for Connecteam, the `duration` of the person's approved
//! requests of the policy's type whose first day falls in the leave year
//! (a request that crosses the leave year's start counts, whole, in the year
//! it starts in); for Clockify, the `used` its balance row reports.
//!
//! A remaining `balance` is a one-off import: it is set as declared, but an
//! increase that gives back leave used in the leave year is marked as a
//! refund, which the `usage_refund` safety rule blocks.
//!
//! May import: `model`, `manifest::checked`, `diag`, `amount`.

use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap};

use crate::amount::Amount;
use crate::diag::{Code, Diagnostic};
use crate::manifest::checked::{self, Declared, LeaveYear};
use crate::model::{
    AllowanceChange, BalanceReason, ChangeKind, Holding, LivePerson, LivePolicy, LiveState,
    PolicyRef, RequestStatus, Vendor,
};

/// What the balance arithmetic needs to know beyond the live state.
#[derive(Debug, Clone)]
pub struct Leave<'a> {
    /// The leave year today falls in.
    pub year: LeaveYear,
    /// The previous leave year, when its approved requests were read
    /// (`LiveState::earlier_requests`).
    pub previous: Option<LeaveYear>,
    /// Connecteam policy names whose unused allowance carries over.
    pub carry_over: &'a BTreeSet<String>,
    /// People (email keys) whose start date falls in this leave year:
    /// nothing of last year's carries over to them.
    pub joined: BTreeSet<String>,
    /// Usage by (person, policy type), summed once from the live requests.
    usage: OnceCell<Usages>,
}

impl<'a> Leave<'a> {
    pub fn new(
        year: LeaveYear,
        previous: Option<LeaveYear>,
        carry_over: &'a BTreeSet<String>,
    ) -> Self {
        Self {
            year,
            previous,
            carry_over,
            joined: BTreeSet::new(),
            usage: OnceCell::new(),
        }
    }
}

/// Approved usage by (person id, policy type id): this leave year's amount
/// and request count, and the previous year's amount.
#[derive(Debug, Clone, Default)]
struct Usages {
    this: HashMap<(String, String), (Amount, usize)>,
    previous: HashMap<(String, String), Amount>,
}

impl Usages {
    fn of(live: &LiveState, leave: &Leave<'_>) -> Self {
        let mut out = Usages::default();
        let mut seen = BTreeSet::new();
        for r in live.requests.iter().chain(&live.earlier_requests) {
            if r.status != RequestStatus::Approved || !seen.insert(r.id.as_str()) {
                continue;
            }
            let start = r.start_date;
            let key = (r.person.clone(), r.policy_type_id.clone());
            let amount = r.duration.unwrap_or(Amount::ZERO);
            if leave.year.contains(start) {
                let e = out.this.entry(key).or_insert((Amount::ZERO, 0));
                e.0 = e.0 + amount;
                e.1 += 1;
            } else if leave.previous.is_some_and(|y| y.contains(start)) {
                let e = out.previous.entry(key).or_insert(Amount::ZERO);
                *e = *e + amount;
            }
        }
        out
    }
}

/// Usage counted for one person on one policy's type.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// This leave year.
    pub used: Amount,
    /// How many approved requests make it.
    pub requests: usize,
    /// The previous leave year, when it was read.
    pub previous: Option<Amount>,
}

/// Approved requests' duration of `person` in `policy`'s type, this leave
/// year and (when read) the previous one.
pub fn connecteam_usage(
    live: &LiveState,
    person: &str,
    policy: &LivePolicy,
    leave: &Leave<'_>,
) -> Usage {
    let Some(type_id) = policy.policy_type.as_ref().map(|t| t.id.clone()) else {
        return Usage::default();
    };
    let usages = leave.usage.get_or_init(|| Usages::of(live, leave));
    let key = (person.to_owned(), type_id);
    let (used, requests) = usages.this.get(&key).copied().unwrap_or((Amount::ZERO, 0));
    let previous = leave
        .previous
        .map(|_| usages.previous.get(&key).copied().unwrap_or(Amount::ZERO));
    Usage {
        used,
        requests,
        previous,
    }
}

/// With `carry_over`: what is left of last leave year's allowance (the
/// declared allowance less last year's usage, never below 0), for a person
/// who holds the policy, did not join in this leave year, and whose last
/// year's usage was read. Someone put on the policy now, or who started
/// this year, had no allowance last year to carry.
pub fn carried(
    entry: &checked::TimeOff,
    policy: &LivePolicy,
    usage: &Usage,
    leave: &Leave<'_>,
    person: &LivePerson,
) -> Option<Amount> {
    let allowance = entry.allowance()?;
    if !leave.carry_over.contains(&policy.name) {
        return None;
    }
    if leave.joined.contains(&crate::mailbox::key(&person.email)) {
        return Some(Amount::ZERO);
    }
    let previous = usage.previous?;
    Some((allowance - previous).max(Amount::ZERO))
}

/// The balance change an entry needs on a policy the person is on (or
/// joins in this plan, with no holding), if any.
pub fn entry_change(
    vendor: Vendor,
    entry: &checked::TimeOff,
    policy: &LivePolicy,
    person: &LivePerson,
    holding: Option<&Holding>,
    live: &LiveState,
    leave: &Leave<'_>,
) -> Result<Option<ChangeKind>, Box<Diagnostic>> {
    let Some(declared) = entry.amount else {
        return Ok(None);
    };
    if let Some(why) = holding.and_then(|h| h.unreadable.as_ref()) {
        return Err(Box::new(Diagnostic::error(
            Code::UnreadableBalance,
            format!(
                "the balance of {} on `{}` cannot be read: {why}",
                person.email, policy.name
            ),
        )
        .at(entry.loc, "this entry's balance")
        .help("hrform cannot tell the accrued amount from the available one on this row; leave the amount out until the row is consistent")));
    }
    let from = holding.and_then(|h| h.balance);
    let (usage, carried) = match vendor {
        Vendor::Connecteam => {
            let u = connecteam_usage(live, &person.id, policy, leave);
            let c = if holding.is_some() {
                carried(entry, policy, &u, leave, person)
            } else {
                None
            };
            (u, c)
        }
        Vendor::Clockify => (
            Usage {
                used: holding.and_then(|h| h.used).unwrap_or(Amount::ZERO),
                requests: 0,
                previous: None,
            },
            None,
        ),
    };
    let used = usage.used;
    let policy_ref = PolicyRef::of(policy);
    let change = |to: Amount, allowance: Option<AllowanceChange>, reason: BalanceReason| {
        ChangeKind::Balance {
            policy: policy_ref.clone(),
            from,
            to,
            used,
            allowance,
            reason,
            unit: policy.unit,
        }
    };
    match declared {
        Declared::Allowance(allowance) => {
            let granted = allowance + carried.unwrap_or(Amount::ZERO);
            let to = granted - used;
            let Some(remaining) = from else {
                return Ok(Some(change(
                    to,
                    Some(AllowanceChange {
                        from: None,
                        to: allowance,
                        carried,
                        basis: entry.basis.clone(),
                    }),
                    BalanceReason::Initial,
                )));
            };
            if remaining == to {
                return Ok(None);
            }
            // What the live balance implies was granted this leave year.
            let implied = remaining + used - carried.unwrap_or(Amount::ZERO);
            // Last leave year's balance, still in place: a new leave year.
            let rolled = usage
                .previous
                .filter(|prev| remaining + used + *prev == allowance);
            let reason = match rolled {
                Some(previous_used) => BalanceReason::NewLeaveYear {
                    year: leave.year.label(),
                    previous_used,
                },
                None => BalanceReason::Allowance,
            };
            let implied = if rolled.is_some() {
                remaining + used
            } else {
                implied
            };
            Ok(Some(change(
                to,
                Some(AllowanceChange {
                    from: Some(implied),
                    to: allowance,
                    carried,
                    basis: entry.basis.clone(),
                }),
                reason,
            )))
        }
        Declared::Remaining(want) => {
            if from == Some(want) {
                return Ok(None);
            }
            let reason = match from {
                Some(now) if want > now && used > Amount::ZERO => BalanceReason::Refund {
                    restores: (want - now).min(used),
                    requests: (vendor == Vendor::Connecteam).then_some(usage.requests),
                    allowed: entry.allow_refund,
                },
                Some(_) => BalanceReason::Remaining,
                None => BalanceReason::Initial,
            };
            Ok(Some(change(want, None, reason)))
        }
    }
}

/// The people (ids) whose allowance on some Connecteam policy needs the
/// previous leave year's usage: a `carry_over` policy, or a balance below
/// allowance − usage (it may be last year's leftover, still in place).
pub fn needs_previous_year(
    users: &[&checked::User],
    live: &LiveState,
    leave: &Leave<'_>,
) -> Vec<String> {
    let mut out = BTreeSet::new();
    let people: HashMap<String, &LivePerson> = live
        .people
        .iter()
        .map(|p| (crate::mailbox::key(&p.email), p))
        .collect();
    let holdings: HashMap<(&str, &str), &Holding> = live
        .holdings
        .iter()
        .map(|h| ((h.person.as_str(), h.policy.as_str()), h))
        .collect();
    for user in users {
        let Some(person) = people.get(user.email.key()).copied() else {
            continue;
        };
        for entry in &user.time_off {
            let Some(allowance) = entry.allowance() else {
                continue;
            };
            let named: Vec<&LivePolicy> =
                live.policies
                    .iter()
                    .filter(|p| {
                        !p.archived
                            && p.name == entry.policy
                            && entry.policy_type.as_ref().is_none_or(|t| {
                                p.policy_type.as_ref().is_some_and(|pt| &pt.name == t)
                            })
                    })
                    .collect();
            let [policy] = named.as_slice() else {
                continue;
            };
            if leave.carry_over.contains(&policy.name) {
                out.insert(person.id.clone());
                continue;
            }
            let remaining = holdings
                .get(&(person.id.as_str(), policy.id.as_str()))
                .and_then(|h| h.balance);
            // Only a balance below allowance − usage can be last year's
            // leftover still in place.
            if let Some(remaining) = remaining {
                let usage = connecteam_usage(live, &person.id, policy, leave);
                if remaining + usage.used < allowance {
                    out.insert(person.id.clone());
                }
            }
        }
    }
    out.into_iter().collect()
}
