//! Property tests of the diff engine on generated live states and manifests.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;
use crate::amount::Amount;
use crate::diag::{FileId, Loc};
use crate::manifest::checked::{Declared, Email, LeaveYear, TimeOff, Unit, User};
use crate::model::{Holding, PolicyTypeRef};

const LOC: Loc = Loc {
    file: FileId(0),
    line: 1,
    col: 1,
    len: 1,
};

/// A generated world: a vendor, its live state, and the declared users.
#[derive(Debug, Clone)]
struct World {
    vendor: Vendor,
    live: LiveState,
    users: Vec<User>,
}

fn policies(vendor: Vendor) -> Vec<LivePolicy> {
    let mk = |id: &str, name: &str, unit, pt: Option<(&str, &str)>| LivePolicy {
        id: id.into(),
        name: name.into(),
        policy_type: pt.map(|(id, name)| PolicyTypeRef {
            id: id.into(),
            name: name.into(),
        }),
        unit,
        archived: false,
        everyone: false,
        accrues: None,
    };
    match vendor {
        Vendor::Clockify => vec![
            mk("p1", "Vacation", Unit::Days, None),
            mk("p2", "Sick", Unit::Hours, None),
            mk("p3", "Parental", Unit::Days, None),
        ],
        // Two types, two policies each: moving within a type replaces.
        Vendor::Connecteam => vec![
            mk("v-ft", "Vacation FT", Unit::Days, Some(("t1", "Vacation"))),
            mk("v-pt", "Vacation PT", Unit::Days, Some(("t1", "Vacation"))),
            mk("s-ft", "Sick FT", Unit::Hours, Some(("t2", "Sick"))),
            mk("s-pt", "Sick PT", Unit::Hours, Some(("t2", "Sick"))),
        ],
    }
}

fn balance() -> impl Strategy<Value = Amount> {
    (0i64..80).prop_map(|n| Amount::parse(&format!("{}.{}", n / 2, (n % 2) * 5)).unwrap())
}

/// A live row: remaining, and what the system says was used (Clockify).
fn row() -> impl Strategy<Value = (Amount, Amount)> {
    (balance(), (0i64..6).prop_map(Amount::from_i64))
}

/// A declared amount: an allowance or a remaining balance.
fn declared() -> impl Strategy<Value = Declared> {
    prop_oneof![
        balance().prop_map(Declared::Allowance),
        balance().prop_map(Declared::Remaining)
    ]
}

fn world() -> impl Strategy<Value = World> {
    (
        prop_oneof![Just(Vendor::Clockify), Just(Vendor::Connecteam)],
        1usize..12,
    )
        .prop_flat_map(|(vendor, n)| {
            let pols = policies(vendor);
            let np = pols.len();
            let person = (
                prop_oneof![Just(LiveStatus::Active), Just(LiveStatus::Inactive)],
                // live holdings: for each policy, maybe held with maybe a balance
                proptest::collection::vec(proptest::option::of(proptest::option::of(row())), np),
                // declared: maybe; status maybe; per policy maybe declared with maybe an amount
                proptest::option::of((
                    proptest::option::of(prop_oneof![Just(Status::Active), Just(Status::Inactive)]),
                    proptest::collection::vec(
                        proptest::option::of(proptest::option::of(declared())),
                        np,
                    ),
                )),
            );
            proptest::collection::vec(person, n)
                .prop_map(move |people| build(vendor, &pols, people))
        })
}

type Gen = (
    LiveStatus,
    Vec<Option<Option<(Amount, Amount)>>>,
    Option<(Option<Status>, Vec<Option<Option<Declared>>>)>,
);

fn build(vendor: Vendor, pols: &[LivePolicy], people: Vec<Gen>) -> World {
    let mut live = LiveState {
        policies: pols.to_vec(),
        ..LiveState::default()
    };
    let mut users = Vec::new();
    for (i, (status, held, declared)) in people.into_iter().enumerate() {
        let id = format!("u{i}");
        let email = format!("person{i}@example.com");
        live.people.push(LivePerson {
            id: id.clone(),
            email: if i % 2 == 0 {
                email.clone()
            } else {
                email.to_uppercase()
            },
            name: None,
            status,
            role: Role::User,
            key_owner: false,
        });
        let mut held_types = BTreeSet::new();
        for (p, h) in pols.iter().zip(held) {
            // Connecteam: at most one policy per type.
            let type_id = p.policy_type.as_ref().map(|t| t.id.clone());
            if let Some(row) = h
                && type_id
                    .as_ref()
                    .is_none_or(|t| held_types.insert(t.clone()))
            {
                live.holdings.push(Holding {
                    person: id.clone(),
                    policy: p.id.clone(),
                    balance: row.map(|r| r.0),
                    // Only Clockify reports usage on the row.
                    used: (vendor == Vendor::Clockify)
                        .then(|| row.map(|r| r.1))
                        .flatten(),
                    unreadable: None,
                });
            }
        }
        if let Some((want, entries)) = declared {
            let mut time_off = Vec::new();
            let mut declared_types = BTreeSet::new();
            for (p, e) in pols.iter().zip(entries) {
                let type_name = p.policy_type.as_ref().map(|t| t.name.clone());
                if let Some(amount) = e
                    && type_name
                        .as_ref()
                        .is_none_or(|t| declared_types.insert(t.clone()))
                {
                    time_off.push(TimeOff {
                        policy: p.name.clone(),
                        policy_type: None,
                        amount,
                        allow_refund: false,
                        unit: Some(p.unit),
                        profile: None,
                        from: None,
                        prorate: false,
                        rounding: None,
                        tenure: Vec::new(),
                        basis: None,
                        loc: LOC,
                        because: vec![],
                    });
                }
            }
            users.push(User {
                email: Email::new(&email),
                provider: "p".into(),
                status: want,
                time_off,
                start_date: None,
                end_date: None,
                loc: LOC,
                attributes: Default::default(),
                because: vec![],
            });
        }
    }
    World {
        vendor,
        live,
        users,
    }
}

fn everything_declared(policies: &[LivePolicy]) -> BTreeMap<String, bool> {
    policies.iter().map(|p| (p.name.clone(), false)).collect()
}

/// The leave year of every test: 2026, nothing carried over.
fn leave() -> Leave<'static> {
    static NONE: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
    Leave::new(
        LeaveYear::containing(jiff::civil::date(2026, 6, 1), (1, 1)),
        None,
        NONE.get_or_init(BTreeSet::new),
    )
}

fn run(w: &World, live: &LiveState) -> ProviderDiff {
    let users: Vec<&User> = w.users.iter().collect();
    diff_provider(
        "p",
        w.vendor,
        &users,
        live,
        &everything_declared(&live.policies),
        UnmanagedRule {
            deactivate: false,
            protected: &[],
        },
        &leave(),
    )
}

/// Apply changes to a live state, as the API would.
fn apply(live: &LiveState, changes: &[Change]) -> LiveState {
    let mut next = live.clone();
    for c in changes {
        let person = c.person.id.clone();
        match &c.kind {
            ChangeKind::Status { to, .. } => {
                let p = next
                    .people
                    .iter_mut()
                    .find(|p| p.id == person)
                    .expect("person exists");
                p.status = if *to == Status::Active {
                    LiveStatus::Active
                } else {
                    LiveStatus::Inactive
                };
            }
            ChangeKind::Assign {
                policy,
                replaces,
                balance,
                ..
            } => {
                if let Some(r) = replaces {
                    next.holdings
                        .retain(|h| !(h.person == person && h.policy == r.id));
                }
                next.holdings.push(Holding {
                    person,
                    policy: policy.id.clone(),
                    balance: Some(balance.unwrap_or(Amount::ZERO)),
                    used: None,
                    unreadable: None,
                });
            }
            ChangeKind::Balance { policy, to, .. } => {
                let h = next
                    .holdings
                    .iter_mut()
                    .find(|h| h.person == person && h.policy == policy.id)
                    .expect("a balance change is on a held policy");
                h.balance = Some(*to);
            }
            other => unreachable!("the diff makes no request change: {other:?}"),
        }
    }
    next
}

/// What a read filtered by the declared people returns of `w`'s live
/// state: those people (and look-alikes), and their holdings.
fn filtered_read(w: &World) -> LiveState {
    let scope = crate::model::ReadScope {
        emails: w.users.iter().map(|u| u.email.key().to_owned()).collect(),
        ..crate::model::ReadScope::default()
    };
    let keep = scope.people_filter();
    let mut live = w.live.clone();
    live.people.retain(|p| keep.keeps(&p.email));
    let ids: BTreeSet<String> = live.people.iter().map(|p| p.id.clone()).collect();
    live.holdings.retain(|h| ids.contains(&h.person));
    live
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Applying the planned changes yields the declared state, and planning
    /// again then yields nothing.
    #[test]
    fn plan_then_apply_converges(w in world()) {
        // Both read strategies: every person, and only the declared ones
        // (what a filtered read returns) plan the same changes.
        let filtered = filtered_read(&w);
        prop_assert_eq!(&run(&w, &filtered).changes, &run(&w, &w.live).changes);
        for live in [w.live.clone(), filtered] {
        let w = World { live, ..w.clone() };
        let first = run(&w, &w.live);
        prop_assert!(first.diagnostics.is_empty(), "{:?}", first.diagnostics);
        let after = apply(&w.live, &first.changes);
        for u in &w.users {
            let p = after.people.iter().find(|p| p.email.eq_ignore_ascii_case(u.email.as_written())).unwrap();
            if let Some(want) = u.status {
                prop_assert_eq!(p.status.as_declared(), Some(want));
            }
            for t in &u.time_off {
                let policy = after.policies.iter().find(|x| x.name == t.policy).unwrap();
                let h = after.holdings.iter().find(|h| h.person == p.id && h.policy == policy.id);
                prop_assert!(h.is_some(), "{} not on {}", u.email, t.policy);
                let h = h.unwrap();
                match t.amount {
                    // The allowance is what the balance implies: remaining + used.
                    Some(Declared::Allowance(a)) => prop_assert_eq!(
                        h.balance.map(|b| b + h.used.unwrap_or(Amount::ZERO)),
                        Some(a)
                    ),
                    Some(Declared::Remaining(r)) => prop_assert_eq!(h.balance, Some(r)),
                    None => {}
                }
            }
        }
        let second = run(&w, &after);
        prop_assert!(second.changes.is_empty(), "re-plan not empty: {:?}", second.changes);
        }
    }

    /// Nothing undeclared is touched: no change to a person in no manifest,
    /// nor to a policy a person does not declare, nor a status not declared.
    #[test]
    fn nothing_undeclared_is_touched(w in world()) {
        let d = run(&w, &w.live);
        for c in &d.changes {
            let person = w.live.people.iter().find(|p| p.id == c.person.id).unwrap();
            let user = w.users.iter().find(|u| u.email.key() == crate::mailbox::key(&person.email));
            prop_assert!(user.is_some(), "change to undeclared {}", person.email);
            let user = user.unwrap();
            match &c.kind {
                ChangeKind::Status { .. } => prop_assert!(user.status.is_some()),
                ChangeKind::Assign { policy, .. } | ChangeKind::Balance { policy, .. } => {
                    prop_assert!(user.time_off.iter().any(|t| t.policy == policy.name));
                }
                other => prop_assert!(false, "the diff made a request change: {other:?}"),
            }
        }
    }

    /// The plan is minimal: at most one status change per person, one
    /// assignment and one balance change per person and policy, and a
    /// Connecteam assignment carries its balance (no separate change).
    #[test]
    fn changes_are_minimal(w in world()) {
        let d = run(&w, &w.live);
        let mut seen = BTreeSet::new();
        for c in &d.changes {
            let key = match &c.kind {
                ChangeKind::Status { .. } => (c.person.id.clone(), "status".to_owned(), 0),
                ChangeKind::Assign { policy, .. } => (c.person.id.clone(), policy.id.clone(), 1),
                ChangeKind::Balance { policy, from, to, .. } => {
                    prop_assert!(from.is_none_or(|f| f != *to), "no-op balance change");
                    (c.person.id.clone(), policy.id.clone(), 2)
                }
                other => unreachable!("the diff makes no request change: {other:?}"),
            };
            prop_assert!(seen.insert(key), "duplicate change {:?}", c);
        }
        if w.vendor == Vendor::Connecteam {
            for c in &d.changes {
                if let ChangeKind::Balance { policy, .. } = &c.kind {
                    prop_assert!(!seen.contains(&(c.person.id.clone(), policy.id.clone(), 1)),
                        "a Connecteam assignment and a separate balance change for {:?}", c.person);
                }
            }
        }
        // Deterministic: the same input gives the same changes.
        prop_assert_eq!(d.changes, run(&w, &w.live).changes);
    }
}

/// Unmanaged people are deactivated only when asked, and never the key
/// owner, a protected person or a Connecteam manager.
#[test]
fn unmanaged_deactivation_spares_the_untouchable() {
    let person = |id: &str, email: &str, role, key_owner| LivePerson {
        id: id.into(),
        email: email.into(),
        name: None,
        status: LiveStatus::Active,
        role,
        key_owner,
    };
    let live = LiveState {
        people: vec![
            person("1", "stray@example.com", Role::User, false),
            person("2", "owner@example.com", Role::User, true),
            person("3", "ceo@example.com", Role::User, false),
            person("4", "boss@example.com", Role::Manager, false),
        ],
        ..LiveState::default()
    };
    let protected = [Email::new("CEO@example.com")];
    let report = diff_provider(
        "p",
        Vendor::Connecteam,
        &[],
        &live,
        &BTreeMap::new(),
        UnmanagedRule {
            deactivate: false,
            protected: &protected,
        },
        &leave(),
    );
    assert!(report.changes.is_empty());
    assert_eq!(report.unmanaged.len(), 4);
    let deactivate = diff_provider(
        "p",
        Vendor::Connecteam,
        &[],
        &live,
        &BTreeMap::new(),
        UnmanagedRule {
            deactivate: true,
            protected: &protected,
        },
        &leave(),
    );
    let targets: Vec<&str> = deactivate
        .changes
        .iter()
        .map(|c| c.person.email.as_str())
        .collect();
    assert_eq!(targets, ["stray@example.com"]);
}

/// Resolution errors point at the manifest: unknown policy with a
/// suggestion, a unit mismatch, a missing user, a pending user.
#[test]
fn resolution_errors() {
    let mut live = LiveState {
        policies: policies(Vendor::Clockify),
        ..LiveState::default()
    };
    live.people.push(LivePerson {
        id: "1".into(),
        email: "ada@example.com".into(),
        name: None,
        status: LiveStatus::Pending,
        role: Role::User,
        key_owner: false,
    });
    let entry = |policy: &str, unit| TimeOff {
        policy: policy.into(),
        policy_type: None,
        amount: Some(Declared::Allowance(Amount::from_i64(1))),
        allow_refund: false,
        unit: Some(unit),
        profile: None,
        from: None,
        prorate: false,
        rounding: None,
        tenure: Vec::new(),
        basis: None,
        loc: LOC,
        because: vec![],
    };
    let users = [
        User {
            email: Email::new("ada@example.com"),
            provider: "p".into(),
            status: Some(Status::Active),
            time_off: vec![entry("Vacaton", Unit::Days), entry("Sick", Unit::Days)],
            start_date: None,
            end_date: None,
            loc: LOC,
            attributes: Default::default(),
            because: vec![],
        },
        User {
            email: Email::new("bob@example.com"),
            provider: "p".into(),
            status: None,
            time_off: vec![],
            start_date: None,
            end_date: None,
            loc: LOC,
            attributes: Default::default(),
            because: vec![],
        },
    ];
    let refs: Vec<&User> = users.iter().collect();
    let d = diff_provider(
        "p",
        Vendor::Clockify,
        &refs,
        &live,
        &everything_declared(&live.policies),
        UnmanagedRule {
            deactivate: false,
            protected: &[],
        },
        &leave(),
    );
    let codes: Vec<&str> = d.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "user-pending",
            "unknown-policy",
            "unit-mismatch",
            "user-not-found"
        ]
    );
    assert_eq!(
        d.diagnostics[1].help.as_deref(),
        Some("did you mean `Vacation`?")
    );
}

/// Item 13: a person found on two policies of one type (a state the API
/// should not allow, but a server may answer) moving to a third: the policy
/// the move replaces is the same on every run, not the hash map's pick.
#[test]
fn the_policy_moved_off_is_chosen_stably() {
    let mut pols = policies(Vendor::Connecteam);
    let mut third = pols[0].clone();
    third.id = "v-xt".into();
    third.name = "Vacation XT".into();
    pols.push(third);
    let mut live = LiveState {
        policies: pols,
        ..LiveState::default()
    };
    live.people.push(LivePerson {
        id: "u0".into(),
        email: "kim@example.com".into(),
        name: None,
        status: LiveStatus::Active,
        role: Role::User,
        key_owner: false,
    });
    for policy in ["v-pt", "v-xt", "v-ft"] {
        if policy != "v-ft" {
            live.holdings.push(Holding {
                person: "u0".into(),
                policy: policy.into(),
                balance: None,
                used: None,
                unreadable: None,
            });
        }
    }
    let user = User {
        email: Email::new("kim@example.com"),
        provider: "p".into(),
        status: None,
        time_off: vec![TimeOff {
            policy: "Vacation FT".into(),
            policy_type: None,
            amount: None,
            allow_refund: false,
            unit: None,
            profile: None,
            from: None,
            prorate: false,
            rounding: None,
            tenure: Vec::new(),
            basis: None,
            loc: LOC,
            because: vec![],
        }],
        start_date: None,
        end_date: None,
        loc: LOC,
        attributes: Default::default(),
        because: vec![],
    };
    let w = World {
        vendor: Vendor::Connecteam,
        live: live.clone(),
        users: vec![user],
    };
    for _ in 0..32 {
        let d = run(&w, &live);
        let replaced: Vec<String> = d
            .changes
            .iter()
            .filter_map(|c| match &c.kind {
                ChangeKind::Assign { replaces, .. } => replaces.as_ref().map(|p| p.name.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(replaced, ["Vacation PT"], "{:?}", d.changes);
    }
}
