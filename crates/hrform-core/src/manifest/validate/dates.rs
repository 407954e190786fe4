//! Date checks of time-off entries and people: an entry's `from`,
//! `prorate`, `rounding` and tenure tiers; a person's start and end
//! dates, and the start date tenure counts from.

use super::*;

impl Validator<'_> {
    /// Checks of an entry's `from`, `prorate`, `rounding` and tenure tiers.
    pub(super) fn dated_entry(&mut self, e: &raw::TimeOffEntry) {
        if let Some(from) = &e.from {
            self.calendar_date(from);
        }
        if let Some(r) = &e.rounding {
            self.rounding(r);
        }
        if let (Some(p), Some(_)) = (&e.prorate, &e.balance) {
            self.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    "`prorate` applies to an `allowance` (or `allowance_by_tenure`), not to a remaining `balance`",
                )
                .at(p.loc, "a remaining balance is not prorated"),
            );
        }
        let Some(tiers) = &e.allowance_by_tenure else {
            return;
        };
        if let Some(other) = e.allowance.as_ref().or(e.balance.as_ref()) {
            self.push(
                Diagnostic::error(
                    Code::InvalidTenure,
                    format!(
                        "`{}` declares `allowance_by_tenure` and a single amount",
                        e.policy.value
                    ),
                )
                .at(other.loc, "remove one of them")
                .help("`allowance_by_tenure` replaces `allowance`"),
            );
        }
        match tiers.first() {
            None => self.push(
                Diagnostic::error(Code::InvalidTenure, "`allowance_by_tenure` has no tier")
                    .at(e.policy.loc, "no tier")
                    .help("e.g. `allowance_by_tenure: [{years: 0, allowance: 20}, {years: 5, allowance: 25}]`"),
            ),
            Some(first) if first.value.years.value != 0 => self.push(
                Diagnostic::error(
                    Code::InvalidTenure,
                    format!(
                        "the first tenure tier starts at {} years: nobody newer would have an allowance",
                        first.value.years.value
                    ),
                )
                .at(first.value.years.loc, "the first tier must be `years: 0`"),
            ),
            Some(_) => {}
        }
        for pair in tiers.windows(2) {
            let (a, b) = (&pair[0].value.years, &pair[1].value.years);
            if b.value <= a.value {
                self.push(
                    Diagnostic::error(
                        Code::InvalidTenure,
                        format!(
                            "tenure tiers must be in ascending order of years: {} after {}",
                            b.value, a.value
                        ),
                    )
                    .at(b.loc, "not after the tier before")
                    .also(a.loc, "the tier before"),
                );
            }
        }
    }

    /// A `rounding`: a step from 0.000001 to 100, at most 6 places.
    pub(super) fn rounding(&mut self, r: &Sp<raw::Rounding>) -> Option<checked::Rounding> {
        let mut out = checked::Rounding::default();
        if let Some(step) = &r.value.step {
            let exact = Amount::exact_from_f64(step.value);
            match exact {
                Some(a)
                    if step.value > 0.0
                        && step.value <= 100.0
                        && exact == Amount::from_f64(step.value) =>
                {
                    out.step = a;
                }
                _ => {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            format!("rounding step `{}` is not a number above 0 and up to 100 with at most 6 decimal places", number(step.value)),
                        )
                        .at(step.loc, "not a usable step")
                        .help("e.g. `step: 0.5` (half days), `step: 1` or `step: 0.25`"),
                    );
                    return None;
                }
            }
        }
        if let Some(mode) = &r.value.mode {
            out.mode = mode.value;
        }
        Some(out)
    }

    /// A person's dates: the end not before the start; a start date for
    /// someone declared inactive (who left) makes no sense without an end.
    pub(super) fn user_dates(&mut self, u: &raw::User, start: Option<Date>, end: Option<Date>) {
        if let (Some(s), Some(e), Some(sl), Some(el)) = (start, end, &u.start_date, &u.end_date)
            && e < s
        {
            self.push(
                Diagnostic::error(
                    Code::EndBeforeStart,
                    format!("the person's last day ({e}) is before their first ({s})"),
                )
                .at(el.loc, "before start_date")
                .also(sl.loc, "starts here"),
            );
        }
        if let (Some(status), Some(sl), None) = (&u.status, &u.start_date, &u.end_date)
            && status.value == raw::Status::Inactive
        {
            self.push(
                Diagnostic::error(
                    Code::StartDateForInactive,
                    format!(
                        "`{}` is declared inactive but has a start date ({})",
                        u.email.value, sl.value
                    ),
                )
                .at(sl.loc, "a start date for someone who left")
                .also(status.loc, "declared inactive here")
                .help("for a leaver, write their last day as `end_date` (they are deactivated the day after); for a joiner, remove `status: inactive`"),
            );
        }
    }

    /// Tenure tiers count years from the start date: it must be declared.
    pub(super) fn tenure_needs_start(
        &mut self,
        e: &Sp<raw::TimeOffEntry>,
        start: Option<Date>,
        user: Loc,
    ) {
        if start.is_some() || self.incomplete.users {
            return;
        }
        if let Some(first) = e.value.allowance_by_tenure.as_ref().and_then(|t| t.first()) {
            let _ = first;
            self.push(
                Diagnostic::error(
                    Code::TenureWithoutStartDate,
                    format!(
                        "`{}` is granted by tenure, but the person has no `start_date` to count years from",
                        e.value.policy.value
                    ),
                )
                .at(e.value.policy.loc, "allowance by tenure")
                .also(user, "this person has no start_date")
                .help("add `start_date: YYYY-MM-DD` (the first day of work) to the person"),
            );
        }
    }
}
