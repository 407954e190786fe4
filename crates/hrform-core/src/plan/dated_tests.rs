use jiff::civil::{Date, date};
use proptest::prelude::*;

use super::*;
use crate::diag::{FileId, Loc};
use crate::manifest::checked::{Email, Unit};

const LOC: Loc = Loc {
    file: FileId(0),
    line: 1,
    col: 1,
    len: 1,
};

fn a(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

fn rounding(step: &str, mode: RoundingMode) -> Rounding {
    Rounding {
        step: a(step),
        mode,
    }
}

fn entry(policy: &str, allowance: &str) -> TimeOff {
    TimeOff {
        policy: policy.into(),
        policy_type: None,
        amount: Some(Declared::Allowance(a(allowance))),
        allow_refund: false,
        unit: Some(Unit::Days),
        profile: None,
        from: None,
        prorate: false,
        rounding: None,
        tenure: Vec::new(),
        basis: None,
        loc: LOC,
        because: vec![],
    }
}

fn user(start: Option<Date>, end: Option<Date>, status: Option<Status>) -> User {
    User {
        email: Email::new("kim@example.com"),
        provider: "p".into(),
        status,
        time_off: vec![entry("Vacation", "25")],
        start_date: start,
        end_date: end,
        loc: LOC,
        attributes: Default::default(),
        because: vec![],
    }
}

fn year(y: i16) -> LeaveYear {
    LeaveYear::containing(date(y, 6, 1), (1, 1))
}

/// Rounding to a step, each mode, halves up only for `nearest`.
#[test]
fn rounding_to_a_step() {
    use RoundingMode::*;
    let cases = [
        ("12.25", "0.5", Nearest, "12.5"),
        ("12.2", "0.5", Nearest, "12"),
        ("12.75", "0.5", Nearest, "13"),
        ("12.01", "0.5", Up, "12.5"),
        ("12.49", "0.5", Down, "12"),
        ("12.5", "0.5", Up, "12.5"),
        ("7.333", "1", Nearest, "7"),
        ("7.5", "1", Nearest, "8"),
        ("7.5", "1", Down, "7"),
        ("7.1", "0.25", Nearest, "7"),
        ("7.125", "0.25", Nearest, "7.25"),
    ];
    for (value, step, mode, want) in cases {
        let got = round(a(value).decimal(), rounding(step, mode));
        assert_eq!(got, a(want), "{value} to {step} {mode:?}");
    }
}

/// The example and its neighbours: full × days ÷ days in the
/// year, counted inclusively, then rounded.
#[test]
fn proration_counts_days_inclusively() {
    let nearest = Rounding::default();
    let y = year(2026);
    assert_eq!(days_in(y), 365);
    assert_eq!(days_in(year(2028)), 366);
    let cases = [
        (Some(date(2026, 7, 1)), None, 184, "12.5"),
        (Some(date(2026, 1, 1)), None, 365, "25"),
        (None, Some(date(2026, 6, 30)), 181, "12.5"),
        (Some(date(2026, 12, 31)), None, 1, "0"),
        (Some(date(2026, 4, 1)), Some(date(2026, 9, 30)), 183, "12.5"),
        (Some(date(2020, 4, 1)), None, 365, "25"),
    ];
    for (start, end, days, want) in cases {
        let (_, _, got_days) = employed_in(start, end, y).unwrap();
        assert_eq!(got_days, days, "{start:?}..{end:?}");
        assert_eq!(
            prorate(a("25"), days, 365, nearest),
            a(want),
            "{start:?}..{end:?}"
        );
    }
    assert_eq!(employed_in(Some(date(2027, 1, 1)), None, y), None);
    assert_eq!(employed_in(None, Some(date(2025, 12, 31)), y), None);
}

#[test]
fn completed_years_and_tiers() {
    let tiers = [
        Tier {
            years: 0,
            allowance: a("20"),
        },
        Tier {
            years: 3,
            allowance: a("22"),
        },
        Tier {
            years: 5,
            allowance: a("25"),
        },
    ];
    let cases = [
        (date(2021, 1, 1), date(2026, 1, 1), 5, "25"),
        (date(2021, 1, 2), date(2026, 1, 1), 4, "22"),
        (date(2023, 1, 1), date(2026, 1, 1), 3, "22"),
        (date(2023, 6, 1), date(2026, 1, 1), 2, "20"),
        (date(2026, 3, 1), date(2026, 1, 1), 0, "20"),
        (date(2000, 2, 29), date(2026, 2, 28), 25, "25"),
    ];
    for (start, on, years, want) in cases {
        assert_eq!(completed_years(start, on), years, "{start} on {on}");
        assert_eq!(tier(&tiers, years).unwrap().allowance, a(want));
    }
}

/// Before the start: not activated, nothing assigned; from it, active;
/// from the day after the last, inactive. The dates win over `status`.
#[test]
fn people_by_their_dates() {
    let s = Settings::default();
    let joiner = user(Some(date(2026, 7, 1)), None, Some(Status::Active));
    let before = user_on(&joiner, date(2026, 6, 30), &s);
    assert_eq!(before.status, None);
    assert!(before.time_off.is_empty());
    let on = user_on(&joiner, date(2026, 7, 1), &s);
    assert_eq!(on.status, Some(Status::Active));
    assert_eq!(on.time_off.len(), 1);

    let leaver = user(None, Some(date(2026, 6, 30)), Some(Status::Active));
    assert_eq!(
        user_on(&leaver, date(2026, 6, 30), &s).status,
        Some(Status::Active)
    );
    let after = user_on(&leaver, date(2026, 7, 1), &s);
    assert_eq!(after.status, Some(Status::Inactive));
    assert_eq!(
        status_reason(&leaver, date(2026, 7, 1)).unwrap(),
        "last day 2026-06-30; dates win over `status: active`"
    );
    let undated = user(None, None, Some(Status::Inactive));
    assert_eq!(
        user_on(&undated, date(2026, 7, 1), &s).status,
        Some(Status::Inactive)
    );
    assert_eq!(status_reason(&undated, date(2026, 7, 1)), None);
}

/// The latest entry not after the day applies; none before the first.
#[test]
fn schedules_switch_on_their_day() {
    let mut first = entry("Vacation", "25");
    first.from = Some(date(2026, 1, 1));
    let mut second = entry("Vacation", "27");
    second.from = Some(date(2027, 1, 1));
    let sick = entry("Sick", "10");
    let entries = [sick.clone(), first, second];
    let pick = |on| {
        entries_on(&entries, on)
            .iter()
            .map(|e| (e.policy.clone(), e.allowance().unwrap().to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        pick(date(2025, 12, 31)),
        [("Sick".to_owned(), "10".to_owned())]
    );
    assert_eq!(pick(date(2026, 12, 31))[1].1, "25");
    assert_eq!(pick(date(2027, 1, 1))[1].1, "27");
}

/// A prorated entry as of a day: the amount and the words the plan shows.
#[test]
fn a_prorated_joiner_shows_the_arithmetic() {
    let s = Settings::default();
    let mut kim = user(Some(date(2026, 7, 1)), None, None);
    kim.time_off[0].prorate = true;
    let on = user_on(&kim, date(2026, 7, 1), &s);
    let t = &on.time_off[0];
    assert_eq!(t.allowance(), Some(a("12.5")));
    let line = basis_line(t.basis.as_ref().unwrap(), a("12.5"), Unit::Days).unwrap();
    assert_eq!(
        line,
        "allowance 25 → 12.5 days (prorated: from 2026-07-01, 184 of 365 days)"
    );
    // A whole year: the declared allowance, nothing to show.
    let on = user_on(&kim, date(2027, 1, 1), &s);
    assert_eq!(on.time_off[0].allowance(), Some(a("25")));
    assert_eq!(on.time_off[0].basis, None);
}

proptest! {
    /// Prorated allowances lie between 0 and the full allowance, grow with
    /// the days employed, and are the full allowance for a whole year.
    #[test]
    fn proration_is_bounded_monotonic_and_whole(
        full_cents in 0u32..=1_000_000,
        start_day in 0i64..800,
        len in 0i64..800,
        year_start in (1i8..=12, 1i8..=28),
        mode in prop::sample::select(vec![RoundingMode::Nearest, RoundingMode::Up, RoundingMode::Down]),
        step in prop::sample::select(vec!["0.5", "1", "0.25", "0.1"]),
    ) {
        let full = Amount::from_decimal(Decimal::new(i64::from(full_cents), 2));
        let r = rounding(step, mode);
        let base = date(2025, 1, 1);
        let start = base.checked_add(jiff::Span::new().days(start_day)).unwrap();
        let end = start.checked_add(jiff::Span::new().days(len)).unwrap();
        let y = LeaveYear::containing(date(2026, 1, 1), year_start);
        let of = days_in(y);
        let days = employed_in(Some(start), Some(end), y).map_or(0, |(_, _, d)| d);
        let got = prorate(full, days, of, r);
        prop_assert!(Amount::ZERO <= got && got <= full);
        // One more day employed never lowers it.
        let more = employed_in(Some(start), end.tomorrow().ok(), y).map_or(0, |(_, _, d)| d);
        prop_assert!(more >= days);
        prop_assert!(prorate(full, more, of, r) >= got);
        // The whole year: exactly the full allowance.
        let whole = employed_in(Some(y.start), Some(y.end), y).map(|(_, _, d)| d);
        prop_assert_eq!(whole, Some(of));
        prop_assert_eq!(prorate(full, of, of, r), full);
        prop_assert_eq!(prorate(full, days.max(1) - 1, of, r) <= got, true);
    }
}
