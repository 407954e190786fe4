//! Clock-change arithmetic for partial-day requests: skipped times and
//! days during which the clocks change, against the bundled time-zone
//! database.

use super::*;

impl Validator<'_> {
    /// A partial day on a date the clocks change in the request's time zone.
    /// A time that does not exist there (skipped when the clocks go forward)
    /// is an error. A change inside the request, or a time that happens twice,
    /// is a warning unless `adjust_for_dst` is declared: Connecteam's
    /// `isAdjustForDayLightSaving` decides how such a request counts, and the
    /// hours on the clock are not the hours elapsed.
    pub(super) fn clock_changes(
        &mut self,
        r: &raw::TimeOffRequest,
        date: Date,
        start: Time,
        end: Time,
        tz: &jiff::tz::TimeZone,
    ) {
        let tz_name = &r.timezone.value;
        let (Some(start_sp), Some(end_sp)) = (&r.start_time, &r.end_time) else {
            return;
        };
        match clock_finding(tz, date, start, end) {
            None => {}
            Some(ClockFinding::Skipped {
                start_skipped,
                end_skipped,
                change,
            }) => {
                let sps = [(start_skipped, start_sp), (end_skipped, end_sp)];
                for (_, sp) in sps.into_iter().filter(|(skipped, _)| *skipped) {
                    self.push(
                        Diagnostic::error(
                            Code::NonexistentLocalTime,
                            format!(
                                "`{}` does not exist on {date} in {tz_name}: the clocks go forward from {} to {}",
                                sp.value,
                                hm(change.from),
                                hm(change.to)
                            ),
                        )
                        .at(sp.loc, "no such time on this date")
                        .help(format!(
                            "write the time the clocks show, e.g. {} for the moment after the change",
                            hm(change.to)
                        )),
                    );
                }
            }
            Some(ClockFinding::Changes { .. }) if r.adjust_for_dst.is_some() => {}
            Some(ClockFinding::Changes {
                change,
                shortest,
                longest,
                twice,
            }) => {
                let detail = if twice.is_empty() {
                    format!(
                        "{}–{} is {} elapsed, not {}",
                        hm(start),
                        hm(end),
                        duration(longest),
                        duration(end.duration_since(start))
                    )
                } else {
                    let twice: Vec<String> = twice.into_iter().map(hm).collect();
                    format!(
                        "{} happens twice, so the request lasts {} or {}",
                        twice.join(" and "),
                        duration(shortest),
                        duration(longest)
                    )
                };
                self.push(
                    Diagnostic::warning(
                        Code::ClockChange,
                        format!(
                            "the clocks in {tz_name} go {} from {} to {} during this request on {date}: {detail}",
                            if change.forward { "forward" } else { "back" },
                            hm(change.from),
                            hm(change.to),
                        ),
                    )
                    .at(start_sp.loc, "the clocks change during this request")
                    .also(end_sp.loc, "ends here")
                    .help("declare `adjust_for_dst: true` or `false`: Connecteam's `isAdjustForDayLightSaving` decides how it counts the hours across the change"),
                );
            }
        }
    }
}

/// A change of a time zone's offset, as the clocks show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ClockChange {
    forward: bool,
    from: Time,
    to: Time,
}

/// What the clocks do during a partial day.
#[derive(Debug, PartialEq)]
pub(super) enum ClockFinding {
    /// The start or end time (or both) does not exist on the date: the
    /// clocks skip it going forward. Ending the moment they jump is not this.
    Skipped {
        start_skipped: bool,
        end_skipped: bool,
        change: ClockChange,
    },
    /// The clocks change after the start and before the end. The request
    /// lasts `longest`, or `shortest` when a time in `twice` happens twice.
    Changes {
        change: ClockChange,
        shortest: jiff::SignedDuration,
        longest: jiff::SignedDuration,
        twice: Vec<Time>,
    },
}

/// How the clocks of `tz` change between `start` and `end` on `date`, if
/// they do.
pub(super) fn clock_finding(
    tz: &jiff::tz::TimeZone,
    date: Date,
    start: Time,
    end: Time,
) -> Option<ClockFinding> {
    use jiff::tz::AmbiguousOffset;
    let change_at = |t: jiff::Timestamp| {
        let before = tz.to_offset(t - jiff::SignedDuration::from_nanos(1));
        let after = tz.to_offset(t);
        ClockChange {
            forward: after > before,
            from: before.to_datetime(t).time(),
            to: after.to_datetime(t).time(),
        }
    };
    let mut skipped = [false, false];
    let mut end_at_jump = None;
    let mut gap_change = None;
    let mut twice = Vec::new();
    for (i, time) in [start, end].into_iter().enumerate() {
        let local = date.to_datetime(time);
        match tz.to_ambiguous_timestamp(local).offset() {
            AmbiguousOffset::Unambiguous { .. } => {}
            AmbiguousOffset::Fold { .. } => twice.push(time),
            AmbiguousOffset::Gap { before, after } => {
                // Read with the later offset, a skipped time falls before
                // the jump: the next transition is the jump.
                let change = after
                    .to_timestamp(local)
                    .ok()
                    .and_then(|t| tz.following(t).next())
                    .map(|t| change_at(t.timestamp()))?;
                if i == 1 && change.from == time {
                    // Read with the earlier offset, the jump's first moment is the jump.
                    end_at_jump = before.to_timestamp(local).ok();
                    continue;
                }
                skipped[i] = true;
                gap_change = Some(change);
            }
        }
    }
    if let Some(change) = gap_change {
        return Some(ClockFinding::Skipped {
            start_skipped: skipped[0],
            end_skipped: skipped[1],
            change,
        });
    }
    let starts = tz.to_ambiguous_timestamp(date.to_datetime(start));
    let ends = tz.to_ambiguous_timestamp(date.to_datetime(end));
    let (first, late_start) = (starts.earlier().ok()?, starts.later().ok()?);
    // A change at the end's very instant counts when the end is written on
    // the far side of it (03:00 after a jump from 02:00), not when it is
    // written as the moment of the jump (02:00).
    let (last, early_end, change_at_end) = match end_at_jump {
        Some(jump) => (jump, jump, false),
        None => (ends.later().ok()?, ends.earlier().ok()?, true),
    };
    let change = tz
        .following(first)
        .take_while(|t| t.timestamp() < last || (change_at_end && t.timestamp() == last))
        .map(|t| change_at(t.timestamp()))
        .find(|c| c.from != c.to)?;
    Some(ClockFinding::Changes {
        change,
        shortest: early_end.duration_since(late_start),
        longest: last.duration_since(first),
        twice,
    })
}

/// `HH:MM`, or `HH:MM:SS` when there are seconds.
pub(super) fn hm(t: Time) -> String {
    if t.second() == 0 {
        format!("{:02}:{:02}", t.hour(), t.minute())
    } else {
        format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
    }
}

/// `1 h 30 min`, `2 h`, `45 min`.
pub(super) fn duration(d: jiff::SignedDuration) -> String {
    let minutes = d.as_secs() / 60;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

pub(super) fn month_name(m: i16) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    NAMES[(m.clamp(1, 12) - 1) as usize]
}
