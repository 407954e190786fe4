//! The retry policy's decisions, table by table, and the wait hints of
//! hostile headers.

use std::time::Duration;

use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderValue};

use super::*;
use crate::http::rate::window_wait;

/// Header values a hostile server may send for a wait: huge, negative,
/// fractional, exponents, dates, garbage.
fn wait_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i128>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        Just("18446744073709551616".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("99999999999999999999999999999999999999999".to_owned()),
        Just("1e400".to_owned()),
        Just("Fri, 31 Dec 9999 23:59:59 GMT".to_owned()),
        "[ -~]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// No value of `Retry-After`, `x-ratelimit-minute-reset` or
    /// `-remaining` panics, and every wait they yield is within
    /// `MAX_SERVER_WAIT`.
    #[test]
    fn rate_limit_headers_never_panic_and_stay_bounded(
        retry in proptest::option::of(wait_value()),
        reset in proptest::option::of(wait_value()),
        remaining in proptest::option::of(prop_oneof![Just("0".to_owned()), wait_value()]),
    ) {
        let mut headers = HeaderMap::new();
        for (name, v) in [
            ("retry-after", retry),
            ("x-ratelimit-minute-reset", reset),
            ("x-ratelimit-minute-remaining", remaining),
        ] {
            if let Some(v) = v.and_then(|v| HeaderValue::from_str(&v).ok()) {
                headers.insert(name, v);
            }
        }
        for wait in [server_hint(&headers), window_wait(&headers)].into_iter().flatten() {
            prop_assert!(wait <= MAX_SERVER_WAIT, "{wait:?}");
        }
    }
}

const POLICY: Policy = Policy {
    scale: 1.0,
    min_throttle_wait: Duration::from_secs(2),
};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// An attempt with plenty of time and a backoff of one second.
fn attempt(number: usize, idempotent: bool) -> Attempt {
    Attempt {
        number,
        idempotent,
        backoff: Some(secs(1)),
        left: secs(170),
    }
}

fn answer(status: u16, hint: Option<Duration>) -> Outcome {
    Outcome::Answer {
        status,
        throttled: status == 429,
        hint,
    }
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, v) in pairs {
        h.insert(*name, HeaderValue::from_str(v).unwrap());
    }
    h
}

#[test]
fn decisions() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reset_in_30 = (now + 30).to_string();
    let hint = |pairs: &[(&'static str, &str)]| server_hint(&headers(pairs));
    let get = attempt(1, true);
    let post = attempt(1, false);
    #[rustfmt::skip]
    let table: Vec<(&str, Attempt, Outcome, Decision)> = vec![
        ("200 is the answer", get, answer(200, None), Decision::Accept),
        ("a throttling 200 is retried after the least wait",
            get, Outcome::Answer { status: 200, throttled: true, hint: None }, Decision::Retry(secs(2))),
        ("429 with Retry-After waits as told",
            get, answer(429, hint(&[("retry-after", "7")])), Decision::Retry(secs(7))),
        ("429 with Retry-After below the least wait waits the least",
            get, answer(429, hint(&[("retry-after", "1")])), Decision::Retry(secs(2))),
        ("429 on a write is retried too: it was not processed",
            post, answer(429, hint(&[("retry-after", "7")])), Decision::Retry(secs(7))),
        ("429 with an x-ratelimit reset waits until it",
            get, answer(429, hint(&[("x-ratelimit-minute-reset", &reset_in_30)])),
            Decision::Retry(secs(30))),
        ("429 with a huge Retry-After is clamped",
            get, answer(429, hint(&[("retry-after", "99999999999999999999999")])),
            Decision::Retry(MAX_SERVER_WAIT)),
        ("429 with a reset past any clock is clamped",
            get, answer(429, hint(&[("x-ratelimit-minute-reset", "18446744073709551615")])),
            Decision::Retry(MAX_SERVER_WAIT)),
        ("429 with a garbage Retry-After waits the least",
            get, answer(429, hint(&[("retry-after", "-1e9")])), Decision::Retry(secs(2))),
        ("503 on a GET is retried after the backoff", get, answer(503, None), Decision::Retry(secs(1))),
        ("503 with Retry-After on a GET waits as told",
            get, answer(503, hint(&[("retry-after", "5")])), Decision::Retry(secs(5))),
        ("500 on a POST is unclear", post, answer(500, None), Decision::UnclearWrite),
        ("500 on an idempotent write is retried",
            attempt(1, true), answer(500, None), Decision::Retry(secs(1))),
        ("404 ends the call", get, answer(404, None), Decision::GiveUp { unclear: false }),
        ("400 on a write ends the call, clearly", post, answer(400, None),
            Decision::GiveUp { unclear: false }),
        ("a redirect ends the call", get, answer(302, None), Decision::GiveUp { unclear: false }),
        ("refused once is retried", get, Outcome::Transport(Transport::Refused), Decision::Retry(secs(1))),
        ("refused twice ends the call", attempt(2, true), Outcome::Transport(Transport::Refused),
            Decision::GiveUp { unclear: false }),
        ("refused on a write is clear: nothing was sent",
            post, Outcome::Transport(Transport::Refused), Decision::Retry(secs(1))),
        ("a TLS failure ends the call at once", get, Outcome::Transport(Transport::Tls),
            Decision::GiveUp { unclear: false }),
        ("a TLS failure on a write is clear", post, Outcome::Transport(Transport::Tls),
            Decision::GiveUp { unclear: false }),
        ("a timeout on a GET is retried", get, Outcome::Transport(Transport::Lost), Decision::Retry(secs(1))),
        ("a timeout on a write is unclear", post, Outcome::Transport(Transport::Lost), Decision::UnclearWrite),
        ("attempts spent: the last error, unclear for a 5xx",
            Attempt { backoff: None, ..get }, answer(502, None), Decision::GiveUp { unclear: true }),
        ("attempts spent on a throttle: clear",
            Attempt { backoff: None, ..get }, answer(429, None), Decision::GiveUp { unclear: false }),
        ("a wait past the deadline ends the call",
            Attempt { left: secs(5), ..get }, answer(429, hint(&[("retry-after", "7")])),
            Decision::OutOfTime { unclear: false }),
        ("a wait up to the deadline exactly ends the call too",
            Attempt { left: secs(1), ..get }, answer(503, None), Decision::OutOfTime { unclear: true }),
    ];
    for (name, attempt, outcome, want) in table {
        assert_eq!(classify(&POLICY, &attempt, &outcome), want, "{name}");
    }
}

#[test]
fn the_backoff_scale_shortens_server_waits_and_their_bound() {
    let policy = Policy {
        scale: 0.5,
        ..POLICY
    };
    // The backoff comes scaled already; a zero one lets the hint show.
    let quick = Attempt {
        backoff: Some(Duration::ZERO),
        ..attempt(1, true)
    };
    let at = |status, hint| classify(&policy, &quick, &answer(status, Some(hint)));
    assert_eq!(at(429, secs(10)), Decision::Retry(secs(5)));
    // The least wait (2 s) and the bound (65 s) are scaled alike.
    assert_eq!(at(429, secs(1)), Decision::Retry(secs(1)));
    assert_eq!(
        at(503, MAX_SERVER_WAIT),
        Decision::Retry(Duration::from_millis(32_500))
    );
}

#[test]
fn waits_past_any_clock_are_the_longest_wait() {
    let mut headers = HeaderMap::new();
    headers.insert(
        "retry-after",
        HeaderValue::from_static("18446744073709551616"),
    );
    assert_eq!(server_hint(&headers), Some(MAX_SERVER_WAIT));
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-ratelimit-minute-remaining",
        HeaderValue::from_static("0"),
    );
    headers.insert(
        "x-ratelimit-minute-reset",
        HeaderValue::from_static("9223372036854775808"),
    );
    assert_eq!(window_wait(&headers), Some(MAX_SERVER_WAIT));
    assert_eq!(server_hint(&headers), Some(MAX_SERVER_WAIT));
    for garbage in ["-1", "1.5", "1e9", "soon", ""] {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_str(garbage).unwrap());
        assert_eq!(server_hint(&headers), None, "{garbage:?}");
    }
}
