//! Vendor rate limits (`--rate clockify=50/s,connecteam=100/m`), off by
//! default.
//!
//! This module owns the `--rate` spec and the windows that enforce it:
//! sliding by default (any span of the window holds at most the limit), or
//! fixed with `window=fixed` (the count starts again at each window's
//! boundary), since the vendors do not document which they count in. A
//! window may be scaled for tests: `5/3s` is five per three seconds, `5/150ms`
//! five per 150 milliseconds. How an excess is answered is the vendors' business (`clockify.rs`: a
//! bare 429; `connecteam.rs`: 429 plus the `x-ratelimit-*` headers this module
//! computes).

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// A number of requests per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed in any window.
    pub limit: u32,
    /// The window's length.
    pub window: Duration,
}

/// The rate limits to enforce; `None` means unlimited (the default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimits {
    /// Clockify's limit (e.g. 50/s).
    pub clockify: Option<Rate>,
    /// Connecteam's short limit, reported as the `minute` headers (e.g. 100/m).
    pub connecteam: Option<Rate>,
    /// Connecteam's long limit, reported as the `day` headers; when not given
    /// with `+N/d`, 100 times the short limit over a day.
    pub connecteam_day: Option<Rate>,
    /// Count in fixed windows (`window=fixed`) rather than sliding ones.
    pub fixed: bool,
}

/// A `--rate` spec that does not parse; names the bad part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad --rate part {part:?}: {reason}")]
pub struct RateSpecError {
    /// The offending part of the spec.
    pub part: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FromStr for RateLimits {
    type Err = RateSpecError;

    /// Parse `clockify=50/s,connecteam=100/m+10000/d[,window=fixed|sliding]`.
    /// Units: `ms`, `s`, `m`, `h`, `d`, optionally after a whole multiple (`5/3s`).
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut out = RateLimits::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let err = |reason: &str| RateSpecError {
                part: part.to_owned(),
                reason: reason.to_owned(),
            };
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| err("expected VENDOR=N/UNIT"))?;
            match name.trim() {
                "clockify" => {
                    out.clockify = Some(parse_rate(value).map_err(|r| err(&r))?);
                }
                "connecteam" => {
                    let (short, long) = match value.split_once('+') {
                        Some((s, l)) => (s, Some(l)),
                        None => (value, None),
                    };
                    let short = parse_rate(short).map_err(|r| err(&r))?;
                    out.connecteam = Some(short);
                    out.connecteam_day = match long {
                        Some(l) => Some(parse_rate(l).map_err(|r| err(&r))?),
                        None => Some(Rate {
                            limit: short.limit.saturating_mul(100),
                            window: Duration::from_secs(86_400),
                        }),
                    };
                }
                "window" => {
                    out.fixed = match value.trim() {
                        "fixed" => true,
                        "sliding" => false,
                        _ => return Err(err("expected window=fixed or window=sliding")),
                    };
                }
                other => {
                    return Err(err(&format!(
                        "unknown vendor {other:?}; expected clockify or connecteam"
                    )));
                }
            }
        }
        Ok(out)
    }
}

fn parse_rate(s: &str) -> Result<Rate, String> {
    let (n, unit) = s
        .trim()
        .split_once('/')
        .ok_or_else(|| format!("{s:?} is not N/UNIT"))?;
    let limit: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a whole number"))?;
    if limit == 0 {
        return Err("a limit of 0 would refuse everything".to_owned());
    }
    let unit = unit.trim();
    let digits = unit.bytes().take_while(u8::is_ascii_digit).count();
    let times: u32 = match &unit[..digits] {
        "" => 1,
        n => n
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{n:?} is not a whole number above 0"))?,
    };
    let millis: u64 = match &unit[digits..] {
        "ms" => 1,
        "s" | "sec" | "second" => 1000,
        "m" | "min" | "minute" => 60_000,
        "h" | "hour" => 3_600_000,
        "d" | "day" => 86_400_000,
        other => return Err(format!("unknown unit {other:?}; expected ms, s, m, h or d")),
    };
    Ok(Rate {
        limit,
        window: Duration::from_millis(millis * u64::from(times)),
    })
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.window.subsec_millis() == 0 {
            write!(f, "{}/{}s", self.limit, self.window.as_secs())
        } else {
            write!(f, "{}/{}ms", self.limit, self.window.as_millis())
        }
    }
}

/// One window: the instants of the requests it let through.
#[derive(Debug)]
struct Window {
    rate: Option<Rate>,
    hits: VecDeque<Instant>,
    /// Fixed windows: when the current one began (at the first request).
    fixed: Option<Option<Instant>>,
}

/// Where a window stands after a request: what the headers report.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WindowStatus {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// Seconds until the oldest counted request leaves the window.
    pub(crate) reset_in: Duration,
}

impl Window {
    fn new(rate: Option<Rate>, fixed: bool) -> Self {
        Self {
            rate,
            hits: VecDeque::new(),
            fixed: fixed.then_some(None),
        }
    }

    fn expire(&mut self, now: Instant) {
        if let (Some(rate), Some(start)) = (self.rate, &mut self.fixed) {
            let began = *start.get_or_insert(now);
            let length = rate.window.max(Duration::from_millis(1));
            if now.duration_since(began) >= length {
                let windows = now.duration_since(began).as_nanos() / length.as_nanos();
                let skip = u32::try_from(windows).unwrap_or(u32::MAX);
                *start = Some(began + length.saturating_mul(skip));
                self.hits.clear();
            }
            return;
        }
        if let Some(rate) = self.rate {
            while let Some(&t) = self.hits.front() {
                if now.duration_since(t) >= rate.window {
                    self.hits.pop_front();
                } else {
                    break;
                }
            }
        }
    }

    fn has_room(&self) -> bool {
        self.rate
            .is_none_or(|r| self.hits.len() < usize::try_from(r.limit).unwrap_or(usize::MAX))
    }

    fn status(&self, now: Instant) -> Option<WindowStatus> {
        let rate = self.rate?;
        let used = u32::try_from(self.hits.len()).unwrap_or(u32::MAX);
        let oldest = match self.fixed {
            Some(start) => start,
            None => self.hits.front().copied(),
        };
        let reset_in = oldest.map_or(rate.window, |t| rate.window.saturating_sub(now - t));
        Some(WindowStatus {
            limit: rate.limit,
            remaining: rate.limit.saturating_sub(used),
            reset_in,
        })
    }
}

/// The verdict on one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Verdict {
    pub(crate) allowed: bool,
    /// Connecteam's (minute, day) windows; `None` when limits are off.
    pub(crate) connecteam: Option<(WindowStatus, WindowStatus)>,
}

/// The windows of both vendors.
#[derive(Debug)]
pub(crate) struct RateState {
    clockify: Window,
    ct_short: Window,
    ct_long: Window,
}

impl RateState {
    pub(crate) fn new(limits: &RateLimits) -> Self {
        Self {
            clockify: Window::new(limits.clockify, limits.fixed),
            ct_short: Window::new(limits.connecteam, limits.fixed),
            ct_long: Window::new(limits.connecteam_day, limits.fixed),
        }
    }

    /// Count a Clockify request; false when it is over the limit.
    pub(crate) fn clockify(&mut self) -> bool {
        let now = Instant::now();
        self.clockify.expire(now);
        if self.clockify.has_room() {
            if self.clockify.rate.is_some() {
                self.clockify.hits.push_back(now);
            }
            true
        } else {
            false
        }
    }

    /// Count a Connecteam request against both windows.
    pub(crate) fn connecteam(&mut self) -> Verdict {
        let now = Instant::now();
        self.ct_short.expire(now);
        self.ct_long.expire(now);
        let allowed = self.ct_short.has_room() && self.ct_long.has_room();
        if allowed {
            if self.ct_short.rate.is_some() {
                self.ct_short.hits.push_back(now);
            }
            if self.ct_long.rate.is_some() {
                self.ct_long.hits.push_back(now);
            }
        }
        let connecteam = self.ct_short.status(now).zip(self.ct_long.status(now));
        Verdict {
            allowed,
            connecteam,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_to_windows() {
        let ms = Duration::from_millis;
        for (spec, clockify, connecteam, fixed) in [
            ("clockify=50/s", Some((50, ms(1000))), None, false),
            ("connecteam=5/m", None, Some((5, ms(60_000))), false),
            (
                "connecteam=5/3s,window=fixed",
                None,
                Some((5, ms(3000))),
                true,
            ),
            (
                "clockify=2/150ms,window=sliding",
                Some((2, ms(150))),
                None,
                false,
            ),
        ] {
            let got: RateLimits = spec.parse().expect(spec);
            let pair = |r: Option<Rate>| r.map(|r| (r.limit, r.window));
            assert_eq!(pair(got.clockify), clockify, "{spec}");
            assert_eq!(pair(got.connecteam), connecteam, "{spec}");
            assert_eq!(got.fixed, fixed, "{spec}");
        }
        for bad in [
            "connecteam=5/0s",
            "connecteam=5/3x",
            "window=tumbling",
            "clockify=5/-1s",
        ] {
            assert!(bad.parse::<RateLimits>().is_err(), "{bad}");
        }
    }

    #[test]
    fn sliding_and_fixed_windows_differ_at_the_boundary() {
        let rate = Some(Rate {
            limit: 2,
            window: Duration::from_millis(100),
        });
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // Two at 90 ms, two more at 110 ms: a fixed window (from 0) has
        // started again; a sliding one still holds the first two.
        for (fixed, want) in [
            (false, [true, true, false, false]),
            (true, [true, true, true, true]),
        ] {
            let mut w = Window::new(rate, fixed);
            w.expire(at(0));
            let mut got = Vec::new();
            for t in [90, 90, 110, 110] {
                w.expire(at(t));
                let ok = w.has_room();
                if ok {
                    w.hits.push_back(at(t));
                }
                got.push(ok);
            }
            assert_eq!(got, want, "fixed: {fixed}");
        }
    }
}
