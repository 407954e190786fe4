//! The client-side throttle of one provider: each vendor's window modelled
//! as a [`SlidingWindow`] at the declared rate, so that no window the
//! vendor counts in ever holds more than the rate; and held until the
//! window resets when the server says it is spent (Connecteam's
//! `x-ratelimit-minute-*` headers).

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderMap;

use super::retry::{MAX_SERVER_WAIT, header_seconds, until_unix};
use super::window::{SlidingWindow, Ticket};

/// The client-side throttle: requests per second or per minute.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rate {
    PerSecond(f64),
    PerMinute(u32),
}

impl Rate {
    /// Per second (Clockify): one request per `1/rate`, no burst, because
    /// Clockify answers a burst with bare 429s well below its stated rate
    /// and sends no headers to steer by. Per minute (Connecteam): a sliding
    /// minute of `n`, the first `n` at once, each later one when the oldest
    /// has left the minute; counted from its answer.
    fn window(self, scale: f64) -> (SlidingWindow, bool) {
        let scaled = |d: Duration| d.mul_f64(scale);
        match self {
            Rate::PerSecond(rps) => {
                let rps = if rps.is_finite() && rps > 0.0 {
                    rps
                } else {
                    1.0
                };
                let spacing =
                    Duration::try_from_secs_f64(1.0 / rps).unwrap_or(Duration::from_secs(1));
                (SlidingWindow::new(1, spacing), false)
            }
            Rate::PerMinute(n) => (SlidingWindow::new(n, scaled(Duration::from_secs(60))), true),
        }
    }
}

/// A wait longer than this is announced (on stderr, not under `-q`): a
/// silent minute reads as a hang.
const ANNOUNCED_WAIT: Duration = Duration::from_secs(2);

/// One send's place in the throttle, held until its answer was looked at.
pub(super) struct Turn {
    ticket: Ticket,
    /// The first send of a long window goes alone: its answer says how much
    /// of the account's window others (an earlier run) already spent.
    _first: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// The throttle one provider's requests share.
pub(super) struct Throttle {
    window: Mutex<SlidingWindow>,
    /// Held by the first send of a long window until it is answered.
    first: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// A send was answered: the window's state is known.
    answered: std::sync::atomic::AtomicBool,
    /// Count each send from its answer (long windows).
    settle: bool,
    rate: Rate,
    /// The HR system's name, for the wait notice.
    vendor: &'static str,
    /// Set when the server says its window is spent: wait until then.
    not_before: Mutex<Option<SystemTime>>,
}

impl Throttle {
    /// The throttle at `rate`, a minute window shortened by `scale` (the
    /// backoff scale, 1 but against the loopback sandbox) so tests can
    /// enforce a minute in a fraction of a second.
    pub(super) fn new(rate: Rate, scale: f64, vendor: &'static str) -> Self {
        let (window, settle) = rate.window(scale);
        Self {
            window: Mutex::new(window),
            first: std::sync::Arc::new(tokio::sync::Mutex::new(())),
            answered: std::sync::atomic::AtomicBool::new(false),
            settle,
            rate,
            vendor,
            not_before: Mutex::new(None),
        }
    }

    /// Wait for the client-side window and any server-announced reset
    /// (that wait shortened by `scaled`); the send is counted.
    pub(super) async fn wait_turn(&self, scaled: impl Fn(Duration) -> Duration) -> Turn {
        use std::sync::atomic::Ordering;
        let mut first = None;
        if self.settle && !self.answered.load(Ordering::Acquire) {
            let guard = std::sync::Arc::clone(&self.first).lock_owned().await;
            if !self.answered.load(Ordering::Acquire) {
                first = Some(guard);
            }
        }
        let until = *self.not_before.lock().expect("not_before lock");
        if let Some(until) = until
            && let Ok(wait) = until.duration_since(SystemTime::now())
        {
            let wait = scaled(wait.min(MAX_SERVER_WAIT));
            self.announce(wait, "its window of calls is spent");
            tokio::time::sleep(wait).await;
        }
        loop {
            let taken = self
                .window
                .lock()
                .expect("window lock")
                .try_take(Instant::now());
            match taken {
                Ok(ticket) => {
                    return Turn {
                        ticket,
                        _first: first,
                    };
                }
                Err(at) => {
                    // Say how long, when long.
                    self.announce(at.saturating_duration_since(Instant::now()), "");
                    tokio::time::sleep_until(at.into()).await;
                }
            }
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

    /// The send of `turn` was answered (or failed) now.
    pub(super) fn settle(&self, turn: &Turn) {
        if self.settle {
            self.window
                .lock()
                .expect("window lock")
                .settle(turn.ticket, Instant::now());
            self.answered
                .store(true, std::sync::atomic::Ordering::Release);
        }
    }

    /// Connecteam says how much of its minute is left: the window counts
    /// no more room than that, and when nothing is left every request is
    /// held until the window resets (at most [`MAX_SERVER_WAIT`] from now).
    pub(super) fn note_window(&self, headers: &HeaderMap) {
        if let Some(remaining) = header_seconds(headers, "x-ratelimit-minute-remaining") {
            self.window
                .lock()
                .expect("window lock")
                .observe_remaining(Instant::now(), remaining);
        }
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
