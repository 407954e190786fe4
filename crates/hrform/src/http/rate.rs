//! The client-side throttle of one provider: requests spaced at its
//! declared rate, and held until its window resets when the server says the
//! window is spent (Connecteam's `x-ratelimit-minute-*` headers).

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::HeaderMap;

use super::retry::{MAX_SERVER_WAIT, header_seconds, until_unix};

/// The client-side throttle: requests per second or per minute.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rate {
    PerSecond(f64),
    PerMinute(u32),
}

impl Rate {
    /// Per second: evenly spaced, no burst, so no window of one second ever
    /// holds more than the rate (Clockify sends no headers to steer by, and
    /// answers an excess with a bare 429). Per minute: the whole minute's
    /// allowance may go at once; Connecteam's `x-ratelimit-minute-remaining`
    /// and `-reset` headers then hold the client until its window resets.
    fn quota(self) -> Quota {
        match self {
            Rate::PerSecond(rps) => {
                let rps = if rps.is_finite() && rps > 0.0 {
                    rps
                } else {
                    1.0
                };
                Duration::try_from_secs_f64(1.0 / rps)
                    .ok()
                    .and_then(Quota::with_period)
                    .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                    .allow_burst(NonZeroU32::MIN)
            }
            Rate::PerMinute(n) => Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)),
        }
    }
}
/// A wait longer than this is announced (on stderr, not under `-q`): a
/// silent minute reads as a hang.
const ANNOUNCED_WAIT: Duration = Duration::from_secs(2);

/// The throttle one provider's requests share.
pub(super) struct Throttle {
    limiter: DefaultDirectRateLimiter,
    rate: Rate,
    /// The HR system's name, for the wait notice.
    vendor: &'static str,
    /// Set when the server says its window is spent: wait until then.
    not_before: Mutex<Option<SystemTime>>,
}

impl Throttle {
    pub(super) fn new(rate: Rate, vendor: &'static str) -> Self {
        Self {
            limiter: RateLimiter::direct(rate.quota()),
            rate,
            vendor,
            not_before: Mutex::new(None),
        }
    }

    /// Wait for the client-side throttle and any server-announced reset
    /// (that wait shortened by `scaled`).
    pub(super) async fn wait_turn(&self, scaled: impl Fn(Duration) -> Duration) {
        let until = *self.not_before.lock().expect("not_before lock");
        if let Some(until) = until
            && let Ok(wait) = until.duration_since(SystemTime::now())
        {
            let wait = scaled(wait.min(MAX_SERVER_WAIT));
            self.announce(wait, "its window of calls is spent");
            tokio::time::sleep(wait).await;
        }
        // A turn free now is taken at once; otherwise say how long, when long.
        if let Err(not_until) = self.limiter.check() {
            use governor::clock::Clock as _;
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            self.announce(wait, "");
            self.limiter.until_ready().await;
        }
    }

    /// `waiting 12 s: Connecteam allows 5 calls a minute`, for a wait past
    /// [`ANNOUNCED_WAIT`].
    fn announce(&self, wait: Duration, why: &str) {
        if wait <= ANNOUNCED_WAIT {
            return;
        }
        let rate = match self.rate {
            Rate::PerMinute(n) => format!("{} allows {n} calls a minute", self.vendor),
            Rate::PerSecond(r) => format!("{} is held to {r} calls a second", self.vendor),
        };
        let why = if why.is_empty() {
            rate
        } else {
            format!("{} says {why} ({rate})", self.vendor)
        };
        crate::output::notice(&format!("waiting {} s: {why}", wait.as_secs_f64().ceil()));
    }

    /// Connecteam says how much of its minute is left: when nothing is,
    /// hold every request until the window resets (at most
    /// [`MAX_SERVER_WAIT`] from now).
    pub(super) fn note_window(&self, headers: &HeaderMap) {
        if let Some(wait) = window_wait(headers) {
            *self.not_before.lock().expect("not_before lock") = Some(SystemTime::now() + wait);
        }
    }
}

/// Connecteam's window: the wait until `x-ratelimit-minute-reset` when
/// `x-ratelimit-minute-remaining` is 0 (clamped like every server wait).
pub(super) fn window_wait(headers: &HeaderMap) -> Option<Duration> {
    if header_seconds(headers, "x-ratelimit-minute-remaining") != Some(0) {
        return None;
    }
    header_seconds(headers, "x-ratelimit-minute-reset").map(until_unix)
}
