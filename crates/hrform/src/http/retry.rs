//! The retry policy, pure: from what one attempt of a call came to (an
//! answer's status and wait hint, or how the connection failed), the attempt
//! number, whether the call may be repeated, the backoff's next delay and the
//! time left before the call's deadline, the decision: retry after a wait,
//! give up, or stop because a write may have been applied. Also the parsing
//! of the servers' wait hints (`Retry-After`, Connecteam's minute reset),
//! clamped so no header can make a wait unbounded.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// The longest hrform waits for a server-announced reset before retrying.
pub(super) const MAX_SERVER_WAIT: Duration = Duration::from_secs(65);

/// Attempts when the connection is refused: nothing listens there, and
/// minutes of backoff will not change that.
const REFUSED_ATTEMPTS: usize = 2;

/// How an attempt failed before any answer was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Transport {
    /// A certificate or handshake failure: retrying cannot fix it.
    Tls,
    /// Nothing listens at the address.
    Refused,
    /// Another failure to connect: the request never reached the server.
    Connect,
    /// A timeout, or a connection dropped (while sending, or while reading
    /// the answer): the request may have been applied.
    Lost,
}

/// What one attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// An answer read whole: its status, whether it is a throttle (a 429,
    /// or a 200 the vendor uses as one), and the server's wait hint
    /// ([`server_hint`]).
    Answer {
        status: u16,
        throttled: bool,
        hint: Option<Duration>,
    },
    /// No answer.
    Transport(Transport),
}

/// What the retry policy knows of the provider.
#[derive(Debug, Clone, Copy)]
pub(super) struct Policy {
    /// The factor applied to every wait (the backoff scale, in (0, 1]).
    pub scale: f64,
    /// The least wait after a throttle, unscaled.
    pub min_throttle_wait: Duration,
}

impl Policy {
    /// `d` shortened by the backoff scale.
    pub(super) fn scaled(&self, d: Duration) -> Duration {
        if self.scale < 1.0 {
            d.mul_f64(self.scale)
        } else {
            d
        }
    }
}

/// Where the call stands when an attempt's outcome is known.
#[derive(Debug, Clone, Copy)]
pub(super) struct Attempt {
    /// The attempt's number, the first is 1.
    pub number: usize,
    /// Whether sending the request again is harmless (every read, and the
    /// writes the caller says are).
    pub idempotent: bool,
    /// The backoff's next delay; `None` when the attempts are spent.
    pub backoff: Option<Duration>,
    /// The time left before the call's deadline.
    pub left: Duration,
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    /// The answer is the call's result.
    Accept,
    /// Send again after this wait.
    Retry(Duration),
    /// Retrying cannot help, or the attempts are spent: the attempt's error
    /// is the call's (`unclear`: it may have been applied).
    GiveUp { unclear: bool },
    /// The next wait would end past the call's deadline.
    OutOfTime { unclear: bool },
    /// A write that may have been applied and may not be repeated blindly:
    /// the caller reads the live value first.
    UnclearWrite,
}

/// The decision after an attempt (see [`Decision`]). Throttles are always
/// retried (the request was not processed), after at least the provider's
/// least wait and the server's hint; server errors and lost connections
/// are retried only when the call is idempotent; a TLS failure, a second
/// refused connection and any other status end the call.
pub(super) fn classify(policy: &Policy, attempt: &Attempt, outcome: &Outcome) -> Decision {
    // (whether it may have been applied, the server's wait)
    let (unclear, server_wait) = match *outcome {
        Outcome::Transport(Transport::Tls) => return Decision::GiveUp { unclear: false },
        Outcome::Transport(Transport::Refused) if attempt.number >= REFUSED_ATTEMPTS => {
            return Decision::GiveUp { unclear: false };
        }
        // Refused connections never reached the server.
        Outcome::Transport(Transport::Refused | Transport::Connect) => (false, None),
        Outcome::Transport(Transport::Lost) => (true, None),
        Outcome::Answer {
            status,
            throttled,
            hint,
        } => {
            if (200..300).contains(&status) && !throttled {
                return Decision::Accept;
            }
            if !(throttled || (500..600).contains(&status)) {
                return Decision::GiveUp { unclear: false };
            }
            let hint = hint.map(|w| policy.scaled(w));
            let wait = if throttled {
                let least = policy.scaled(policy.min_throttle_wait);
                Some(hint.map_or(least, |w| w.max(least)))
            } else {
                hint
            };
            (!throttled, wait)
        }
    };
    if unclear && !attempt.idempotent {
        return Decision::UnclearWrite;
    }
    let Some(delay) = attempt.backoff else {
        return Decision::GiveUp { unclear };
    };
    let delay = server_wait.map_or(delay, |w| w.min(policy.scaled(MAX_SERVER_WAIT)).max(delay));
    if delay >= attempt.left {
        return Decision::OutOfTime { unclear };
    }
    Decision::Retry(delay)
}

/// A whole number of seconds in a header value: digits only (no sign, no
/// fraction, no exponent), anything past `u64::MAX` saturating; `None`
/// for anything else. Never panics, whatever the bytes.
pub(super) fn header_seconds(headers: &HeaderMap, name: &str) -> Option<u64> {
    let v = headers.get(name)?.to_str().ok()?.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(v.parse::<u64>().unwrap_or(u64::MAX))
}

/// The wait until the Unix time `reset` (seconds), in [0, [`MAX_SERVER_WAIT`]]:
/// integer arithmetic that saturates, so no reset can overflow a clock.
pub(super) fn until_unix(reset: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    Duration::from_secs(reset.saturating_sub(now).min(MAX_SERVER_WAIT.as_secs()))
}

/// `Retry-After` (seconds or an HTTP date) or Connecteam's minute reset,
/// clamped to [`MAX_SERVER_WAIT`]: a number too large, negative, fractional
/// or not a number is no hint (or the longest wait, when too large).
pub(super) fn server_hint(headers: &HeaderMap) -> Option<Duration> {
    if let Some(secs) = header_seconds(headers, "retry-after") {
        return Some(Duration::from_secs(secs.min(MAX_SERVER_WAIT.as_secs())));
    }
    if let Some(at) = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v.trim()).ok())
    {
        return Some(
            at.duration_since(SystemTime::now())
                .unwrap_or_default()
                .min(MAX_SERVER_WAIT),
        );
    }
    header_seconds(headers, "x-ratelimit-minute-reset").map(until_unix)
}

#[cfg(test)]
mod tests;
