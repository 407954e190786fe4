//! The conversion on hand-made live states.

use std::collections::{BTreeSet, HashSet};

use super::*;
use crate::model::{Holding, PolicyTypeRef, Role};

fn person(id: &str, email: &str, status: LiveStatus) -> LivePerson {
    LivePerson {
        id: id.into(),
        email: email.into(),
        name: None,
        status,
        role: Role::User,
        key_owner: false,
    }
}

fn policy(id: &str, name: &str, ty: Option<(&str, &str)>, accrues: bool) -> LivePolicy {
    LivePolicy {
        id: id.into(),
        name: name.into(),
        policy_type: ty.map(|(id, name)| PolicyTypeRef {
            id: id.into(),
            name: name.into(),
        }),
        unit: Unit::Days,
        archived: false,
        everyone: false,
        accrues: accrues.then(|| "accrualType: hourly".into()),
    }
}

fn holding(person: &str, policy: &str, balance: i64) -> Holding {
    Holding {
        person: person.into(),
        policy: policy.into(),
        balance: Some(Amount::from_i64(balance)),
        used: None,
        unreadable: None,
    }
}

fn request(id: &str, person: &str, note: Option<&str>) -> LiveRequest {
    LiveRequest {
        id: id.into(),
        person: person.into(),
        policy_type_id: "t1".into(),
        policy_type: "Vacation".into(),
        all_day: true,
        start_date: jiff::civil::date(2026, 3, 2),
        end_date: jiff::civil::date(2026, 3, 3),
        start_time: None,
        end_time: None,
        timezone: "UTC".into(),
        status: crate::model::RequestStatus::Approved,
        employee_note: None,
        manager_note: note.map(Into::into),
        adjust_for_dst: None,
        time_clock_id: None,
        duration: Some(Amount::from_i64(2)),
    }
}

fn run(live: &LiveState, declared: &[&str]) -> Export {
    let declared_people: HashSet<String> = declared.iter().map(|s| (*s).to_owned()).collect();
    let keys = HashSet::new();
    let matches = HashSet::new();
    let carry = BTreeSet::new();
    let year = LeaveYear::containing(jiff::civil::date(2026, 6, 15), (1, 1));
    export(
        live,
        &Context {
            vendor: Vendor::Connecteam,
            leave_year: year,
            window: (year.start, year.end),
            declared_people: &declared_people,
            declared_keys: &keys,
            declared_requests: &matches,
            carry_over: &carry,
        },
    )
}

fn world() -> LiveState {
    LiveState {
        people: vec![
            person("1", "Ann@Example.com", LiveStatus::Active),
            person("2", "bo@example.com", LiveStatus::Inactive),
            person("3", "cy@example.com", LiveStatus::Active),
        ],
        policies: vec![
            policy("p1", "Standard", Some(("t1", "Vacation")), false),
            policy("p2", "Standard", Some(("t2", "Time Off")), false),
            policy("p3", "Accrued", Some(("t3", "Overtime")), true),
        ],
        holdings: vec![
            holding("1", "p1", 20),
            holding("1", "p3", 7),
            holding("2", "p2", 3),
        ],
        requests: vec![
            request("10", "1", Some("ok [hrform:BHR-1]")),
            request("11", "1", Some("call me: \"now\"")),
            // cy is on no Vacation policy.
            request("12", "3", None),
        ],
        ..LiveState::default()
    }
}

/// Allowances add usage back (two approved requests of 2 days on 20 left:
/// 24); a name two
/// types share gets its `policy_type`; an accruing policy is assigned only.
#[test]
fn allowances_policy_types_and_accruals() {
    let e = run(&world(), &[]);
    let ann = &e.users[0];
    assert_eq!(ann.email, "Ann@Example.com");
    assert_eq!(ann.status, Some(Status::Active));
    assert_eq!(
        ann.time_off,
        vec![
            Entry {
                policy: "Accrued".into(),
                policy_type: None,
                allowance: None,
                note: Some("the system accrues it: no allowance"),
            },
            Entry {
                policy: "Standard".into(),
                policy_type: Some("Vacation".into()),
                allowance: Some((Amount::from_i64(24), Unit::Days)),
                note: None,
            },
        ]
    );
    assert_eq!(e.users[1].status, Some(Status::Inactive));
    assert_eq!(
        e.users[1].time_off[0].allowance,
        Some((Amount::from_i64(3), Unit::Days))
    );
}

/// A marked request keeps its key and loses its marker from the note; an
/// unmarked one gets `connecteam:ID` and keeps its note whole; a request
/// of a person on no policy of its type is left out and counted.
#[test]
fn request_keys_and_notes() {
    let e = run(&world(), &[]);
    let keys: Vec<(&str, Option<&str>)> = e
        .requests
        .iter()
        .map(|r| (r.key.as_str(), r.manager_note.as_deref()))
        .collect();
    assert_eq!(
        keys,
        [
            ("BHR-1", Some("ok")),
            ("connecteam:11", Some("call me: \"now\""))
        ]
    );
    assert_eq!(
        e.skipped
            .reasons
            .get("requests of a person on no policy of the request's type"),
        Some(&1)
    );
}

/// People the tree declares are counted, not exported, and their requests
/// with them; two accounts of one email are both left out.
#[test]
fn declared_and_ambiguous_people_are_left_out() {
    let mut live = world();
    live.people
        .push(person("4", "BO@example.com", LiveStatus::Active));
    let e = run(&live, &["ann@example.com"]);
    assert_eq!(e.skipped.declared, 1);
    let emails: Vec<&str> = e.users.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, ["cy@example.com"]);
    assert!(e.requests.is_empty());
    assert_eq!(
        e.skipped
            .reasons
            .get("people sharing one email with another account"),
        Some(&2)
    );
}

/// Leaving a person out takes their requests with them (counted apart);
/// indices past the end are ignored rather than panicking.
#[test]
fn leaving_people_out_takes_their_requests() {
    use render::Item;
    let full = run(&world(), &[]);
    let ann = full
        .users
        .iter()
        .position(|u| u.email.eq_ignore_ascii_case("ann@example.com"))
        .expect("ann is exported");
    let ann_requests = full
        .requests
        .iter()
        .filter(|r| r.user.eq_ignore_ascii_case("ann@example.com"))
        .count();
    assert!(ann_requests > 0, "{full:#?}");
    let cases: [(&[Item], usize, usize); 3] = [
        (&[], full.users.len(), 0),
        (&[Item::User(ann)], full.users.len() - 1, ann_requests),
        (&[Item::User(99), Item::Request(99)], full.users.len(), 0),
    ];
    for (items, users, orphaned) in cases {
        let mut e = full.clone();
        let dropped = e.leave_out(&items.iter().copied().collect());
        assert_eq!((e.users.len(), dropped), (users, orphaned), "{items:?}");
    }
}
