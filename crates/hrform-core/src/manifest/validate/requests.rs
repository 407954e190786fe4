//! Checks of `time_off_requests`: keys, dates (and how far from today),
//! times, day spans, time zones.

use super::*;

impl Validator<'_> {
    /// A request key goes into the manager note's marker, the plan, its
    /// Markdown and the journal: only letters, digits and `-_.:/`.
    pub(super) fn request_key(&mut self, key: &Sp<String>) {
        if key.value.chars().all(is_request_key_char) {
            return;
        }
        let bad = key
            .value
            .chars()
            .find(|c| !is_request_key_char(*c))
            .unwrap_or_default();
        self.push(
            Diagnostic::error(
                Code::InvalidRequestKey,
                format!(
                    "request key `{}` holds {bad:?}: a key may hold only letters, digits and `-_.:/`",
                    crate::escape::text(&key.value),
                ),
            )
            .at(key.loc, "not a valid request key")
            .help("use the source system's id as it is, e.g. BHR-2024-0042"),
        );
    }

    pub(super) fn requests(
        &mut self,
        raw: Vec<Sp<raw::TimeOffRequest>>,
        providers: &Providers,
    ) -> Vec<checked::Request> {
        let mut out = Vec::with_capacity(raw.len());
        let mut seen: HashMap<String, Loc> = HashMap::new();
        let mut reported_none = false;
        for r in raw {
            let loc = r.loc;
            let r = r.value;
            self.not_empty(&r.key, "key");
            self.request_key(&r.key);
            self.not_empty(&r.policy_type, "policy_type");
            if let Some(first) = seen.get(&r.key.value) {
                let first = *first;
                self.duplicate("request key", &r.key.value, first, r.key.loc);
            } else {
                seen.insert(r.key.value.clone(), r.key.loc);
            }
            let provider = self.resolve_provider(
                r.provider.as_ref(),
                loc,
                "a time-off request",
                providers,
                &mut reported_none,
            );
            if let Some(name) = &provider
                && let Some(kind) = providers.get(name).and_then(|p| p.kind)
                && kind != Kind::Connecteam
            {
                self.push(
                    Diagnostic::error(
                        Code::WrongProviderType,
                        format!(
                            "time-off requests are supported on Connecteam providers only; `{name}` is {}",
                            kind.label()
                        ),
                    )
                    .at(r.provider.as_ref().map_or(loc, |p| p.loc), "not a Connecteam provider"),
                );
            }
            let user = self.email(&r.user);
            let start = self.date(&r.start_date);
            let end = self.date(&r.end_date);
            if let (Some(s), Some(e)) = (start, end)
                && e < s
            {
                self.push(
                    Diagnostic::error(
                        Code::EndBeforeStart,
                        format!("the request ends ({e}) before it starts ({s})"),
                    )
                    .at(r.end_date.loc, "before start_date")
                    .also(r.start_date.loc, "starts here"),
                );
            }
            let span = self.day_span(&r, loc, start, end);
            let timezone = self.timezone(&r.timezone);
            if let (Some(date), Some(DaySpan::Partial { start, end }), Some(tz)) =
                (start, span, &timezone)
            {
                self.clock_changes(&r, date, start, end, tz);
            }
            if let (
                Some(provider),
                Some(user),
                Some(start_date),
                Some(end_date),
                Some(span),
                Some(zone),
            ) = (provider, user, start, end, span, timezone)
            {
                out.push(checked::Request {
                    key: r.key.value,
                    provider,
                    user,
                    policy_type: r.policy_type.value,
                    start_date,
                    end_date,
                    span,
                    // The database's spelling (the lookup ignores case):
                    // what is sent, and compared with what the API returns.
                    timezone: zone.iana_name().map_or(r.timezone.value, str::to_owned),
                    status: r.status.map_or(raw::RequestStatus::Approved, |s| s.value),
                    employee_note: r.employee_note.map(|n| n.value),
                    manager_note: r.manager_note.map(|n| n.value),
                    adjust_for_dst: r.adjust_for_dst.is_some_and(|a| a.value),
                    time_clock_id: r.time_clock_id.map(|t| t.value),
                    loc,
                });
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    /// A real `YYYY-MM-DD` date, however far from today (a person's start
    /// date may be decades ago).
    pub(super) fn calendar_date(&mut self, d: &Sp<String>) -> Option<Date> {
        let strict =
            d.value.len() == 10 && d.value.as_bytes()[4] == b'-' && d.value.as_bytes()[7] == b'-';
        match (strict, d.value.parse::<Date>()) {
            (true, Ok(date)) => Some(date),
            // Not a date: `date` reports why.
            _ => self.date(d),
        }
    }

    pub(super) fn date(&mut self, d: &Sp<String>) -> Option<Date> {
        let strict =
            d.value.len() == 10 && d.value.as_bytes()[4] == b'-' && d.value.as_bytes()[7] == b'-';
        if let (true, Ok(date)) = (strict, d.value.parse::<Date>()) {
            let today = self.context.today(&jiff::tz::TimeZone::UTC);
            if plausible(date, today) {
                return Some(date);
            }
            self.push(
                Diagnostic::error(
                    Code::ImplausibleDate,
                    format!(
                        "`{}` is more than {DATE_BOUND_YEARS} years from today: surely a typo",
                        d.value
                    ),
                )
                .at(d.loc, "too far from today")
                .help(match plausible_year_fix(date, today) {
                    Some(fix) => format!("did you mean `{fix}`?"),
                    None => format!(
                        "requests must lie within {DATE_BOUND_YEARS} years of today, either way"
                    ),
                }),
            );
            return None;
        }
        let digits = |r: std::ops::Range<usize>| d.value.get(r).and_then(|p| p.parse::<i16>().ok());
        let shaped = strict
            && d.value
                .bytes()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        let diag = match (shaped, digits(0..4), digits(5..7), digits(8..10)) {
            (true, Some(_), Some(m), _) if !(1..=12).contains(&m) => Diagnostic::error(
                Code::InvalidDate,
                format!("`{}` is not a real date: there is no month {m}", d.value),
            )
            .at(d.loc, "no such month"),
            (true, Some(y), Some(m), Some(day)) => {
                let days = Date::new(y, m as i8, 1)
                    .map(|first| first.days_in_month())
                    .unwrap_or(31);
                Diagnostic::error(
                    Code::InvalidDate,
                    format!(
                        "`{}` is not a real date: {} {y} has {days} days, not {day}",
                        d.value,
                        month_name(m)
                    ),
                )
                .at(d.loc, "no such day")
            }
            _ => Diagnostic::error(
                Code::InvalidDate,
                format!("`{}` is not a date in YYYY-MM-DD form", d.value),
            )
            .at(d.loc, "expected YYYY-MM-DD")
            .help("dates are written YYYY-MM-DD, e.g. 2024-03-15"),
        };
        self.push(diag);
        None
    }

    pub(super) fn time(&mut self, t: &Sp<String>) -> Option<Time> {
        let ok_shape = matches!(t.value.len(), 5 | 8)
            && t.value.bytes().enumerate().all(|(i, b)| {
                if i % 3 == 2 {
                    b == b':'
                } else {
                    b.is_ascii_digit()
                }
            });
        match t.value.parse::<Time>() {
            Ok(time) if ok_shape => Some(time),
            _ => {
                self.push(
                    Diagnostic::error(
                        Code::InvalidTime,
                        format!("`{}` is not a time of day", t.value),
                    )
                    .at(t.loc, "expected HH:MM or HH:MM:SS")
                    .help("times are written on a 24-hour clock, e.g. 09:00 or 13:30:00"),
                );
                None
            }
        }
    }

    pub(super) fn day_span(
        &mut self,
        r: &raw::TimeOffRequest,
        loc: Loc,
        start: Option<Date>,
        end: Option<Date>,
    ) -> Option<DaySpan> {
        let all_day = r.all_day.as_ref().is_none_or(|a| a.value);
        let start_time = r.start_time.as_ref().map(|t| (t, self.time(t)));
        let end_time = r.end_time.as_ref().map(|t| (t, self.time(t)));
        if all_day {
            let mut times = [&start_time, &end_time]
                .into_iter()
                .flatten()
                .map(|(t, _)| t.loc);
            if let Some(first) = times.next() {
                let mut d =
                    Diagnostic::error(Code::TimesOnAllDay, "an all-day request cannot have times")
                        .at(first, "a time on an all-day request")
                        .help("remove the times, or set `all_day: false` for a partial day");
                for more in times {
                    d = d.also(more, "and here");
                }
                self.push(d);
                return None;
            }
            return Some(DaySpan::AllDay);
        }
        let all_day_loc = r.all_day.as_ref().map_or(loc, |a| a.loc);
        if let (Some(s), Some(e)) = (start, end)
            && s != e
        {
            self.push(
                Diagnostic::error(
                    Code::PartialDaySpansDates,
                    format!("a partial-day request must start and end on one date, not {s} to {e}"),
                )
                .at(r.end_date.loc, "a different date")
                .also(all_day_loc, "partial day")
                .help("split it into whole days (all_day: true) and a partial day"),
            );
        }
        let (Some((st, st_val)), Some((et, et_val))) = (start_time, end_time) else {
            self.push(
                Diagnostic::error(
                    Code::MissingTimes,
                    "a partial-day request needs `start_time` and `end_time`",
                )
                .at(all_day_loc, "partial day without times"),
            );
            return None;
        };
        let (start_t, end_t) = (st_val?, et_val?);
        if end_t <= start_t {
            self.push(
                Diagnostic::error(
                    Code::EndTimeNotAfterStart,
                    format!(
                        "the request ends at {} but starts at {}",
                        et.value, st.value
                    ),
                )
                .at(et.loc, "not after start_time")
                .also(st.loc, "starts here"),
            );
            return None;
        }
        Some(DaySpan::Partial {
            start: start_t,
            end: end_t,
        })
    }

    /// The time zone named, from the bundled database.
    pub(super) fn timezone(&mut self, tz: &Sp<String>) -> Option<jiff::tz::TimeZone> {
        let db = tz_db();
        if let Ok(zone) = db.get(&tz.value) {
            return Some(zone);
        }
        let names: Vec<String> = db.available().map(|n| n.as_str().to_owned()).collect();
        self.push(
            Diagnostic::error(
                Code::UnknownTimezone,
                format!("`{}` is not an IANA time zone", tz.value),
            )
            .at(tz.loc, "unknown time zone")
            .help(
                did_you_mean(&tz.value, names.iter().map(String::as_str)).unwrap_or_else(|| {
                    "use a name such as America/New_York or Europe/Berlin".to_owned()
                }),
            ),
        );
        None
    }
}

/// What a request key may hold: ASCII letters and digits, `-_.:/`.
pub fn is_request_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.:/".contains(c)
}

/// How far from today a request date may lie, either way: further is a typo
/// (`0206-08-10` for `2026-08-10`), and reading the requests of such a
/// window would take thousands of calls.
pub(super) const DATE_BOUND_YEARS: i16 = 10;

/// Whether `date` lies within [`DATE_BOUND_YEARS`] of `today`.
pub(super) fn plausible(date: Date, today: Date) -> bool {
    let span = jiff::Span::new().years(DATE_BOUND_YEARS);
    match (today.checked_sub(span), today.checked_add(span)) {
        (Ok(lo), Ok(hi)) => lo <= date && date <= hi,
        _ => false,
    }
}

/// The plausible date whose year is nearest the written one in edits (at
/// most two digits changed or swapped: `0206` → `2026`), then nearest today.
pub(super) fn plausible_year_fix(date: Date, today: Date) -> Option<Date> {
    let written = format!("{:04}", date.year());
    let bound = DATE_BOUND_YEARS;
    ((today.year() - bound)..=(today.year() + bound))
        .filter_map(|y| Date::new(y, date.month(), date.day()).ok())
        .filter(|d| plausible(*d, today))
        .map(|d| {
            let edits = strsim::damerau_levenshtein(&written, &format!("{:04}", d.year()));
            (edits, (d.year() - today.year()).abs(), d)
        })
        .filter(|(edits, _, _)| *edits <= 2)
        .min_by_key(|(edits, near, _)| (*edits, *near))
        .map(|(_, _, d)| d)
}

/// The bundled time-zone database, opened once.
pub fn tz_db() -> &'static jiff::tz::TimeZoneDatabase {
    static DB: std::sync::OnceLock<jiff::tz::TimeZoneDatabase> = std::sync::OnceLock::new();
    DB.get_or_init(jiff::tz::TimeZoneDatabase::bundled)
}
