//! Dates in the manifests: what a person with `start_date`/`end_date`, a
//! schedule of `from` entries, a `prorate`d allowance or an
//! `allowance_by_tenure` means on one day, and which dated changes fall
//! due. Pure: the day is an argument, never the clock.
//!
//! The rest of planning sees only the person as of the day ([`user_on`]):
//! a status and a list of entries with plain allowances, each carrying the
//! arithmetic behind it (`basis`) for the plan to show.

use std::collections::BTreeSet;

use jiff::civil::Date;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::amount::Amount;
use crate::manifest::Config;
use crate::manifest::checked::{
    Declared, LeaveYear, Rounding, RoundingMode, Settings, Status, Tier, TimeOff, User,
};
use crate::model::{AllowanceBasis, Proration};

/// Where a person is on a day, by their dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Employment {
    /// Before the start date: not activated, nothing assigned.
    Before,
    /// From the start date to the last day (or no dates at all).
    Employed,
    /// From the day after the end date: deactivated.
    Left,
}

/// The person's employment on `on`.
pub fn employment(start: Option<Date>, end: Option<Date>, on: Date) -> Employment {
    match (start, end) {
        (Some(s), _) if on < s => Employment::Before,
        (_, Some(e)) if on > e => Employment::Left,
        _ => Employment::Employed,
    }
}

/// Days of `year` from `start` to `end` (both counted, each bounded by the
/// year); `None` when the person is employed on no day of it.
pub fn employed_in(
    start: Option<Date>,
    end: Option<Date>,
    year: LeaveYear,
) -> Option<(Date, Date, u32)> {
    let first = start.map_or(year.start, |s| s.max(year.start));
    let last = end.map_or(year.end, |e| e.min(year.end));
    (first <= last).then(|| (first, last, days_between(first, last)))
}

/// Days from `a` to `b`, both counted.
fn days_between(a: Date, b: Date) -> u32 {
    let days = a.until(b).map(|s| s.get_days()).unwrap_or(0);
    u32::try_from(days).unwrap_or(0) + 1
}

/// Days in a leave year.
pub fn days_in(year: LeaveYear) -> u32 {
    days_between(year.start, year.end)
}

/// `value` rounded to a multiple of `rounding.step` (nearest: halves up).
pub fn round(value: Decimal, rounding: Rounding) -> Amount {
    let step = rounding.step.decimal();
    if step <= Decimal::ZERO {
        return Amount::from_decimal(value);
    }
    let strategy = match rounding.mode {
        RoundingMode::Nearest => RoundingStrategy::MidpointAwayFromZero,
        RoundingMode::Up => RoundingStrategy::ToPositiveInfinity,
        RoundingMode::Down => RoundingStrategy::ToNegativeInfinity,
    };
    match value.checked_div(step) {
        Some(q) => Amount::from_decimal(q.round_dp_with_strategy(0, strategy) * step),
        None => Amount::from_decimal(value),
    }
}

/// `full` × `days` ÷ `of`, rounded; never below 0 nor above `full`, and
/// exactly `full` for the whole year.
pub fn prorate(full: Amount, days: u32, of: u32, rounding: Rounding) -> Amount {
    if of == 0 || days >= of {
        return full;
    }
    let share = full.decimal() * Decimal::from(days) / Decimal::from(of);
    round(share, rounding).max(Amount::ZERO).min(full)
}

/// Completed years of service on `on`, counted from `start` (0 before it).
pub fn completed_years(start: Date, on: Date) -> u32 {
    if on <= start {
        return 0;
    }
    let mut years = i32::from(on.year()) - i32::from(start.year());
    if (on.month(), on.day()) < (start.month(), start.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// The tier for `years` of service: the last whose `years` is not above.
pub fn tier(tiers: &[Tier], years: u32) -> Option<Tier> {
    tiers.iter().rev().find(|t| t.years <= years).copied()
}

/// The entries of a schedule that apply on `on`: for each policy, the
/// latest entry whose `from` is not after `on` (an entry without `from`
/// applies from the start). `entries` is ordered by policy, then `from`.
pub fn entries_on(entries: &[TimeOff], on: Date) -> Vec<&TimeOff> {
    let mut out: Vec<&TimeOff> = Vec::new();
    for e in entries.iter().filter(|e| e.from.is_none_or(|f| f <= on)) {
        match out.last_mut() {
            Some(last) if last.policy == e.policy && last.policy_type == e.policy_type => {
                *last = e;
            }
            _ => out.push(e),
        }
    }
    out
}

/// One entry as of `on`: its allowance computed (tenure tier, proration)
/// and the arithmetic kept in `basis`.
pub fn entry_on(user: &User, entry: &TimeOff, on: Date, settings: &Settings) -> TimeOff {
    let mut out = entry.clone();
    let year = LeaveYear::containing(on, settings.leave_year_start);
    let Some(Declared::Allowance(declared)) = entry.amount else {
        return out;
    };
    let mut basis = AllowanceBasis {
        full: declared,
        from: entry.from,
        tenure_years: None,
        prorated: None,
    };
    if !entry.tenure.is_empty()
        && let Some(start) = user.start_date
    {
        let years = completed_years(start, year.start);
        if let Some(t) = tier(&entry.tenure, years) {
            basis.full = t.allowance;
            basis.tenure_years = Some(years);
        }
    }
    let mut allowance = basis.full;
    if entry.prorate {
        let of = days_in(year);
        let rounding = entry.rounding.unwrap_or(settings.rounding);
        let (start, end, days) = employed_in(user.start_date, user.end_date, year)
            .unwrap_or((year.start, year.start, 0));
        if days < of {
            allowance = prorate(basis.full, days, of, rounding);
            basis.prorated = Some(Proration {
                start,
                end,
                days,
                of,
                joined: start > year.start,
                left: end < year.end,
            });
        }
    }
    out.amount = Some(Declared::Allowance(allowance));
    let computed = basis.from.is_some() || basis.tenure_years.is_some() || basis.prorated.is_some();
    out.basis = computed.then_some(basis);
    out
}

/// The person as of `on`: the status their dates give (dates win over a
/// declared `status`), and the entries that apply, computed.
pub fn user_on(user: &User, on: Date, settings: &Settings) -> User {
    let mut out = user.clone();
    match employment(user.start_date, user.end_date, on) {
        Employment::Before => {
            // Not activated yet, whatever `status` says; nothing assigned.
            out.status = None;
            out.time_off = Vec::new();
        }
        Employment::Left => {
            out.status = Some(Status::Inactive);
            out.time_off = Vec::new();
        }
        Employment::Employed => {
            if user.start_date.is_some() || user.end_date.is_some() {
                out.status = Some(Status::Active);
            }
            out.time_off = entries_on(&user.time_off, on)
                .into_iter()
                .map(|e| entry_on(user, e, on, settings))
                .collect();
        }
    }
    out
}

/// Why the person's status is what it is on `on`, when their dates decide
/// it: the plan shows this beside a status change.
pub fn status_reason(user: &User, on: Date) -> Option<String> {
    let declared = |want: Status| match user.status {
        Some(s) if s != want => format!("; dates win over `status: {s}`"),
        _ => String::new(),
    };
    match employment(user.start_date, user.end_date, on) {
        Employment::Before => None,
        Employment::Left => Some(format!(
            "last day {}{}",
            user.end_date?,
            declared(Status::Inactive)
        )),
        Employment::Employed => match (user.start_date, user.end_date) {
            (Some(s), _) => Some(format!("start date {s}{}", declared(Status::Active))),
            (None, Some(e)) => Some(format!("employed until {e}{}", declared(Status::Active))),
            (None, None) => None,
        },
    }
}

/// The days on which a person's declared dates change what they are:
/// the start date, the day after the end date, each `from`, and each
/// leave year's first day when an entry is prorated or by tenure.
pub fn change_days(user: &User, settings: &Settings, around: Date) -> BTreeSet<Date> {
    let mut days: BTreeSet<Date> = BTreeSet::new();
    days.extend(user.start_date);
    days.extend(user.end_date.and_then(|e| e.tomorrow().ok()));
    days.extend(user.time_off.iter().filter_map(|t| t.from));
    if user
        .time_off
        .iter()
        .any(|t| t.prorate || !t.tenure.is_empty())
    {
        let year = LeaveYear::containing(around, settings.leave_year_start);
        days.insert(year.start);
        days.extend(year.end.tomorrow().ok());
    }
    days
}

/// The config as of `on`: every user as [`user_on`] gives them.
pub fn config_on(config: &Config, on: Date) -> Config {
    Config {
        users: config
            .users
            .iter()
            .map(|u| user_on(u, on, &config.settings))
            .collect(),
        ..config.clone()
    }
}

/// The config before the dated changes that fell due lately: each person
/// with a change day in the last `settings.schedule_horizon_days` (up to
/// `today`) as on the day before the latest of them; everyone else as
/// today. A change in today's plan that is not in this one's is due.
pub fn config_before_due(config: &Config, today: Date) -> Config {
    let horizon = i64::from(config.settings.schedule_horizon_days);
    let earliest = today
        .checked_sub(jiff::Span::new().days(horizon))
        .unwrap_or(today);
    Config {
        users: config
            .users
            .iter()
            .map(|u| {
                let latest = change_days(u, &config.settings, today)
                    .into_iter()
                    .rfind(|d| *d > earliest && *d <= today);
                let on = latest.and_then(|d| d.yesterday().ok()).unwrap_or(today);
                user_on(u, on, &config.settings)
            })
            .collect(),
        ..config.clone()
    }
}

/// A dated change ahead: its day and what it does, in words (no call).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Scheduled {
    /// The day it takes effect (`YYYY-MM-DD`).
    #[schemars(with = "String")]
    pub date: Date,
    pub provider: String,
    /// The person as the manifests write them.
    pub email: String,
    /// What changes, e.g. `status → active (start date 2026-07-01)`.
    pub what: String,
}

/// The dated changes of the declared people after `today` and within
/// `settings.schedule_horizon_days`, by day then provider then person:
/// each the difference between the person on the day and the day before.
pub fn scheduled(config: &Config, today: Date) -> Vec<Scheduled> {
    let horizon = i64::from(config.settings.schedule_horizon_days);
    let last = today
        .checked_add(jiff::Span::new().days(horizon))
        .unwrap_or(today);
    let mut out = Vec::new();
    for user in &config.users {
        for day in change_days(user, &config.settings, today) {
            if day <= today || day > last {
                continue;
            }
            let Ok(before) = day.yesterday() else {
                continue;
            };
            let (a, b) = (
                user_on(user, before, &config.settings),
                user_on(user, day, &config.settings),
            );
            for what in differences(&a, &b, user, day) {
                out.push(Scheduled {
                    date: day,
                    provider: user.provider.clone(),
                    email: user.email.as_written().to_owned(),
                    what,
                });
            }
        }
    }
    out.sort_by(|x, y| {
        (x.date, &x.provider, x.email.to_ascii_lowercase()).cmp(&(
            y.date,
            &y.provider,
            y.email.to_ascii_lowercase(),
        ))
    });
    out
}

/// The differences between one person on two consecutive days, in words.
fn differences(a: &User, b: &User, user: &User, day: Date) -> Vec<String> {
    let mut out = Vec::new();
    if a.status != b.status
        && let Some(to) = b.status
    {
        let why = status_reason(user, day).unwrap_or_default();
        out.push(format!("status → {to} ({why})"));
    }
    let key = |t: &TimeOff| (t.policy.clone(), t.policy_type.clone());
    for t in &b.time_off {
        let before = a.time_off.iter().find(|x| key(x) == key(t));
        match before {
            None => out.push(format!("{} assigned{}", t.policy, amount_words(t))),
            Some(x) if x.amount != t.amount => out.push(format!(
                "{}{} →{}",
                t.policy,
                amount_words(x),
                amount_words(t)
            )),
            Some(_) => {}
        }
    }
    out
}

/// ` allowance 12.5 days (prorated: ...)`, or nothing without an amount.
fn amount_words(t: &TimeOff) -> String {
    let unit = t.unit.map(|u| format!(" {u}")).unwrap_or_default();
    match t.amount {
        Some(Declared::Allowance(a)) => {
            let basis = t
                .basis
                .as_ref()
                .and_then(basis_note)
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            format!(" allowance {a}{unit}{basis}")
        }
        Some(Declared::Remaining(r)) => format!(" balance {r}{unit}"),
        None => String::new(),
    }
}

/// The arithmetic behind an allowance, e.g. `prorated: from 2026-07-01,
/// 184 of 365 days`, `5 years of service`, `from 2027-01-01`.
pub fn basis_note(basis: &AllowanceBasis) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(from) = basis.from {
        parts.push(format!("from {from}"));
    }
    if let Some(years) = basis.tenure_years {
        parts.push(format!(
            "{years} {} of service",
            if years == 1 { "year" } else { "years" }
        ));
    }
    if let Some(p) = &basis.prorated {
        let span = match (p.joined, p.left) {
            (true, true) => format!("from {} to {}", p.start, p.end),
            (true, false) => format!("from {}", p.start),
            (false, true) => format!("to {}", p.end),
            (false, false) => "none of the year".to_owned(),
        };
        parts.push(format!("prorated: {span}, {} of {} days", p.days, p.of));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The line the plan shows under an allowance that was computed, e.g.
/// `allowance 25 → 12.5 days (prorated: from 2026-07-01, 184 of 365 days)`.
pub fn basis_line(basis: &AllowanceBasis, to: Amount, unit: crate::model::Unit) -> Option<String> {
    let note = basis_note(basis)?;
    Some(if basis.full == to {
        format!("allowance {to} {unit} ({note})")
    } else {
        format!("allowance {} → {to} {unit} ({note})", basis.full)
    })
}

#[cfg(test)]
#[path = "dated_tests.rs"]
mod tests;
