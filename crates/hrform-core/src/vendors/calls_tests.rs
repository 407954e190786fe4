//! Property tests of the call builders: for generated changes, replaying the
//! calls in a model of each vendor's API realises exactly those changes,
//! every change is served by one call, the order is the design's, and the
//! number of calls is the minimum the grouping rules allow.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use serde_json::Value;

use super::*;
use crate::diag::{FileId, Loc};
use crate::manifest::checked::{BalanceUpdate, PolicySettings, Provider, ProviderKind};
use crate::model::{ChangeKind, LiveStatus, Method, PersonRef, PolicyRef, Status, Unit};

const LOC: Loc = Loc {
    file: FileId(0),
    line: 1,
    col: 1,
    len: 1,
};

fn provider(kind: ProviderKind) -> Provider {
    Provider {
        name: "p".into(),
        kind,
        base_url: url::Url::parse("http://127.0.0.1:9").unwrap(),
        api_key_env: "HRFORM_KEY".into(),
        loc: LOC,
    }
}

/// The manifests' `policies:` settings declaring `has_expiration: false`
/// for these policies of provider `p`.
fn no_expiration(names: &[String]) -> BTreeMap<(String, String), PolicySettings> {
    names
        .iter()
        .map(|n| {
            (
                ("p".to_owned(), n.clone()),
                PolicySettings {
                    has_expiration: Some(false),
                    carry_over: false,
                    loc: LOC,
                },
            )
        })
        .collect()
}

fn policy(i: usize) -> PolicyRef {
    PolicyRef {
        id: format!("pol{i}"),
        name: format!("Policy {i}"),
        policy_type_id: Some(format!("type{i}")),
        policy_type: Some(format!("Type {i}")),
    }
}

/// One generated change: (kind 0..4, person, policy, value).
type Gen = (u8, usize, usize, u8);

/// Changes as the planner makes them: at most one status change per
/// person, one assignment and one balance per person and policy, ordered
/// activate, assign, balance, deactivate.
fn changes(gens: Vec<Gen>, connecteam: bool) -> Vec<Change> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (kind, person, pol, value) in gens {
        let slot = if kind <= 1 {
            (person, usize::MAX, 0)
        } else {
            (person, pol, kind)
        };
        if !seen.insert(slot) {
            continue;
        }
        let value = crate::amount::Amount::from_f64(f64::from(value % 4) * 2.5).unwrap();
        let kind = match kind {
            0 => ChangeKind::Status {
                from: LiveStatus::Inactive,
                to: Status::Active,
                reason: None,
            },
            1 => ChangeKind::Status {
                from: LiveStatus::Active,
                to: Status::Inactive,
                reason: None,
            },
            2 => ChangeKind::Assign {
                policy: policy(pol),
                replaces: None,
                balance: connecteam.then_some(value),
                allowance: None,
                unit: Unit::Days,
                basis: None,
            },
            _ => ChangeKind::Balance {
                policy: policy(pol),
                from: Some(crate::amount::Amount::from_i64(1)),
                to: value,
                used: crate::amount::Amount::ZERO,
                allowance: None,
                reason: crate::model::BalanceReason::Remaining,
                unit: Unit::Days,
            },
        };
        out.push(Change {
            id: 0,
            provider: "p".into(),
            person: PersonRef {
                id: (9_170_000 + person).to_string(),
                email: format!("u{person}@example.com"),
                name: None,
            },
            kind,
            because: Vec::new(),
        });
    }
    let rank = |k: &ChangeKind| k.phase();
    out.sort_by_key(|c| rank(&c.kind));
    for (i, c) in out.iter_mut().enumerate() {
        c.id = i;
    }
    out
}

/// The effect of a change, as the model of the API records it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Effect {
    Status(String, bool),
    Assigned(String, String),
    Balance(String, String, u64),
}

fn expected(changes: &[Change]) -> BTreeSet<Effect> {
    let mut out = BTreeSet::new();
    for c in changes {
        let who = c.person.id.clone();
        match &c.kind {
            ChangeKind::Status { to, .. } => {
                out.insert(Effect::Status(who, *to == Status::Active));
            }
            ChangeKind::Assign {
                policy, balance, ..
            } => {
                out.insert(Effect::Assigned(who.clone(), policy.id.clone()));
                if let Some(b) = balance {
                    out.insert(Effect::Balance(
                        who,
                        policy.id.clone(),
                        b.to_f64().to_bits(),
                    ));
                }
            }
            ChangeKind::Balance { policy, to, .. } => {
                out.insert(Effect::Balance(
                    who,
                    policy.id.clone(),
                    to.to_f64().to_bits(),
                ));
            }
            other => unreachable!("no request changes are generated: {other:?}"),
        }
    }
    out
}

fn calls_serve_each_change_once(changes: &[Change], calls: &[Call]) {
    let mut served: Vec<usize> = calls.iter().flat_map(|c| c.changes.clone()).collect();
    served.sort_unstable();
    assert_eq!(served, (0..changes.len()).collect::<Vec<_>>());
    // The design's order: a call never serves a change ranked before one
    // an earlier call serves.
    let first: Vec<usize> = calls.iter().map(|c| c.changes[0]).collect();
    let mut sorted = first.clone();
    sorted.sort_unstable();
    assert_eq!(first, sorted, "calls out of order");
}

/// Replay Clockify calls (PATCH as a set) in a model of the API.
fn replay_clockify(calls: &[Call]) -> BTreeSet<Effect> {
    let mut out = BTreeSet::new();
    for call in calls {
        let body = call.body.as_ref().unwrap();
        let segments: Vec<&str> = call.path.split('/').collect();
        match (call.method, segments.as_slice()) {
            (Method::Put, ["", "v1", "workspaces", "ws", "users", id]) => {
                out.insert(Effect::Status((*id).to_owned(), body["status"] == "ACTIVE"));
            }
            (Method::Put, ["", "v1", "workspaces", "ws", "time-off", "policies", pol]) => {
                assert_eq!(body["users"]["contains"], "CONTAINS");
                assert!(body["hasExpiration"].is_boolean());
                for id in body["users"]["ids"].as_array().unwrap() {
                    out.insert(Effect::Assigned(
                        id.as_str().unwrap().to_owned(),
                        (*pol).to_owned(),
                    ));
                }
            }
            (
                Method::Patch,
                [
                    "",
                    "v1",
                    "workspaces",
                    "ws",
                    "time-off",
                    "balance",
                    "policy",
                    pol,
                ],
            ) => {
                let value = body["value"].as_f64().unwrap();
                for id in body["userIds"].as_array().unwrap() {
                    out.insert(Effect::Balance(
                        id.as_str().unwrap().to_owned(),
                        (*pol).to_owned(),
                        value.to_bits(),
                    ));
                }
            }
            other => panic!("unexpected Clockify call {other:?}"),
        }
    }
    out
}

/// Replay Connecteam calls in a model of the API.
fn replay_connecteam(calls: &[Call]) -> BTreeSet<Effect> {
    let mut out = BTreeSet::new();
    for call in calls {
        let body = call.body.as_ref().unwrap();
        let (path, _query) = call.path.split_once('?').unwrap_or((&call.path, ""));
        let segments: Vec<&str> = path.split('/').collect();
        match (call.method, segments.as_slice()) {
            (Method::Put, ["", "users", "v1", "users"]) => {
                let items = body.as_array().unwrap();
                assert!(
                    !items.is_empty() && items.len() <= 25,
                    "batch of {}",
                    items.len()
                );
                for item in items {
                    out.insert(Effect::Status(
                        item["userId"].as_i64().unwrap().to_string(),
                        item["isArchived"] == false,
                    ));
                }
            }
            (
                Method::Put,
                [
                    "",
                    "time-off",
                    "v1",
                    "time-off-policies",
                    pol,
                    "assignments",
                ],
            ) => {
                let who = body["userId"].as_i64().unwrap().to_string();
                out.insert(Effect::Assigned(who.clone(), (*pol).to_owned()));
                if let Some(b) = body.get("balance").and_then(Value::as_f64) {
                    out.insert(Effect::Balance(who, (*pol).to_owned(), b.to_bits()));
                }
            }
            (Method::Put, ["", "time-off", "v1", "policy-types", ty, "balances", who]) => {
                let pol = ty.replace("type", "pol");
                out.insert(Effect::Balance(
                    (*who).to_owned(),
                    pol,
                    body["balance"].as_f64().unwrap().to_bits(),
                ));
            }
            other => panic!("unexpected Connecteam call {other:?}"),
        }
    }
    out
}

fn gens() -> impl Strategy<Value = Vec<Gen>> {
    prop::collection::vec((0u8..4, 0usize..80, 0usize..3, any::<u8>()), 0..200)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Clockify: the calls realise the changes exactly, with one status PUT
    /// per person, one policy PUT per policy and one PATCH per policy and value.
    #[test]
    fn clockify_calls_realise_changes_minimally(g in gens()) {
        let changes = changes(g, false);
        let names: Vec<String> = (0..3).map(|i| format!("Policy {i}")).collect();
        let client = clockify::Config::new(
            &provider(ProviderKind::Clockify {
                workspace_id: "ws".into(),
                requests_per_second: 10.0,
                balance_update: BalanceUpdate::SetAccrued,
            }),
            &no_expiration(&names),
        );
        let live = clockify::live_with_policies(&[("pol0", "Policy 0"), ("pol1", "Policy 1"), ("pol2", "Policy 2")]);
        let calls = client.calls(&changes, &live);
        calls_serve_each_change_once(&changes, &calls);
        prop_assert_eq!(replay_clockify(&calls), expected(&changes));

        let statuses = changes.iter().filter(|c| matches!(c.kind, ChangeKind::Status { .. })).count();
        let policies: BTreeSet<&str> = changes.iter().filter_map(|c| match &c.kind {
            ChangeKind::Assign { policy, .. } => Some(policy.id.as_str()),
            _ => None,
        }).collect();
        let groups: BTreeSet<(&str, u64)> = changes.iter().filter_map(|c| match &c.kind {
            ChangeKind::Balance { policy, to, .. } => Some((policy.id.as_str(), to.to_f64().to_bits())),
            _ => None,
        }).collect();
        prop_assert_eq!(calls.len(), statuses + policies.len() + groups.len());
    }

    /// Connecteam: the calls realise the changes exactly, with archive and
    /// restore in batches of 25 and one call per assignment or balance.
    #[test]
    fn connecteam_calls_realise_changes_minimally(g in gens()) {
        let changes = changes(g, true);
        let client = connecteam::Config::new(
            &provider(ProviderKind::Connecteam { requests_per_minute: 100 }),
        );
        let calls = client.calls(&changes, &LiveState::default());
        calls_serve_each_change_once(&changes, &calls);
        prop_assert_eq!(replay_connecteam(&calls), expected(&changes));

        let count = |active: bool| changes.iter().filter(|c| matches!(&c.kind,
            ChangeKind::Status { to, .. } if (*to == Status::Active) == active)).count();
        let others = changes.iter().filter(|c| !matches!(c.kind, ChangeKind::Status { .. })).count();
        prop_assert_eq!(calls.len(), count(true).div_ceil(25) + count(false).div_ceil(25) + others);
    }
}

/// Issue 12 item 12: a balance change on a policy without a type builds no
/// `/policy-types//balances/…` call, and a Clockify assignment to a policy
/// that was not read builds no `name: null` full replace; the change then
/// fails in apply as "no call was made".
#[test]
fn unrepresentable_calls_are_not_built() {
    let mut untyped = policy(0);
    untyped.policy_type_id = None;
    let change = |kind| Change {
        id: 0,
        provider: "p".into(),
        person: PersonRef {
            id: "9170001".into(),
            email: "kim@example.com".into(),
            name: None,
        },
        kind,
        because: Vec::new(),
    };
    let balance = change(ChangeKind::Balance {
        policy: untyped,
        from: None,
        to: crate::amount::Amount::from_i64(5),
        used: crate::amount::Amount::ZERO,
        allowance: None,
        reason: crate::model::BalanceReason::Initial,
        unit: Unit::Days,
    });
    let connecteam = connecteam::Config::new(&provider(ProviderKind::Connecteam {
        requests_per_minute: 100,
    }));
    assert!(
        connecteam
            .calls(&[balance], &LiveState::default())
            .is_empty()
    );

    let assign = change(ChangeKind::Assign {
        policy: policy(1),
        replaces: None,
        balance: None,
        allowance: None,
        unit: Unit::Days,
        basis: None,
    });
    let clockify = clockify::Config::new(
        &provider(ProviderKind::Clockify {
            workspace_id: "ws".into(),
            requests_per_second: 10.0,
            balance_update: BalanceUpdate::Auto,
        }),
        &no_expiration(&["Policy 1".to_owned()]),
    );
    assert!(clockify.calls(&[assign], &LiveState::default()).is_empty());
}
