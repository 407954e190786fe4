//! Rate limits, each fault kind, and the `/__sandbox/` inspection endpoints.

use std::time::{Duration, Instant};

use hrform::sandbox::{Faults, Options, RateLimits};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{CLOCKIFY_KEY, WORLD, WS, find, start, start_with, world_with};

fn options(faults: &str, rate: &str) -> Options {
    Options {
        faults: faults.parse().expect("fault spec"),
        rate: rate.parse().expect("rate spec"),
    }
}

fn users() -> String {
    format!("/v1/workspaces/{WS}/users")
}

/// Over Clockify's limit: 429 with an empty body, no `Retry-After` and no
/// rate-limit headers; requests pass again once the window has moved on.
#[tokio::test]
async fn clockify_rate_limit() {
    let env = start_with(WORLD, options("", "clockify=3/s")).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let got = env.ck_get(&users()).await;
        if got.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(got.text, "");
            assert!(got.header("retry-after").is_none());
            assert!(
                got.headers
                    .keys()
                    .all(|k| !k.as_str().starts_with("x-ratelimit"))
            );
        }
        statuses.push(got.status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    // Connecteam has its own (here: no) limit.
    assert_eq!(env.ct_get("/users/v1/users").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(env.ck_get(&users()).await.status, StatusCode::OK);
    let log = env.log().await;
    assert_eq!(
        log.iter().filter(|e| e["fault"] == "rate_limited").count(),
        2
    );
}

/// Connecteam sends the six `x-ratelimit-*` headers on every response and a
/// 429 `{"detail":"Too many requests"}` over the limit (with `Retry-After`
/// only under the `retry_after` quirk).
#[tokio::test]
async fn connecteam_rate_limit() {
    let env = start_with(WORLD, options("", "connecteam=2/m")).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let got = env.ct_get("/users/v1/users").await;
        for h in [
            "x-ratelimit-minute-limit",
            "x-ratelimit-minute-remaining",
            "x-ratelimit-minute-reset",
            "x-ratelimit-day-limit",
            "x-ratelimit-day-remaining",
            "x-ratelimit-day-reset",
        ] {
            assert!(got.header(h).is_some(), "{h} on {}", got.status);
        }
        assert_eq!(got.header("x-ratelimit-minute-limit"), Some("2"));
        assert_eq!(got.header("x-ratelimit-day-limit"), Some("200"));
        let reset: u64 = got
            .header("x-ratelimit-minute-reset")
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        assert!((now..=now + 61).contains(&reset), "epoch seconds: {reset}");
        remaining.push((
            got.status.as_u16(),
            got.header("x-ratelimit-minute-remaining")
                .map(str::to_owned),
        ));
        if got.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(got.json, json!({"detail": "Too many requests"}));
            assert!(got.header("retry-after").is_none());
        }
    }
    assert_eq!(
        remaining,
        [
            (200, Some("1".to_owned())),
            (200, Some("0".to_owned())),
            (429, Some("0".to_owned()))
        ]
    );

    let yaml = world_with(
        "  company_name: Test Co\n",
        "  company_name: Test Co\n  quirks: { retry_after: true }\n",
    );
    let env = start_with(&yaml, options("", "connecteam=1/m+5/d")).await;
    env.ct_get("/users/v1/users").await;
    let got = env.ct_get("/users/v1/users").await;
    assert_eq!(got.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(got.header("x-ratelimit-day-limit"), Some("5"));
    let retry: u64 = got
        .header("retry-after")
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    assert!((1..=60).contains(&retry), "{retry}");
}

/// `error_rate=1`: every vendor call is a 5xx (500 with the vendor's JSON,
/// 502/503 from the gateway); nothing is written.
#[tokio::test]
async fn error_fault() {
    let env = start_with(WORLD, options("error_rate=1,seed=3", "")).await;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..12 {
        let got = env.ck_get(&users()).await;
        assert!(got.status.is_server_error());
        if got.status == StatusCode::INTERNAL_SERVER_ERROR {
            assert!(got.json["code"].is_number());
        }
        seen.insert(got.status.as_u16());
        let got = env.ct_get("/users/v1/users").await;
        assert!(got.status.is_server_error());
        if got.status == StatusCode::INTERNAL_SERVER_ERROR {
            assert!(got.json["detail"].is_string());
        }
    }
    assert!(seen.len() > 1, "several 5xx kinds: {seen:?}");
    let ada = env.ct_user("ada@example.com").await;
    env.ct(
        Method::PUT,
        "/users/v1/users",
        Some(json!([{"userId": ada, "isArchived": true}])),
    )
    .await;
    let state = env.state().await;
    assert_eq!(
        find(&state["connecteam"]["users"], "email", "ada@example.com")["archived"],
        false
    );
}

/// `throttle_rate=1`: Clockify answers 429 with an empty body and no
/// `Retry-After`; Connecteam 429 with `{"detail":"Too many requests"}`.
#[tokio::test]
async fn throttle_fault() {
    let env = start_with(WORLD, options("throttle_rate=1", "")).await;
    let got = env.ck_get(&users()).await;
    assert_eq!(got.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(got.text, "");
    assert!(got.header("retry-after").is_none());
    let got = env.ct_get("/users/v1/users").await;
    assert_eq!(got.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(got.json, json!({"detail": "Too many requests"}));
}

/// `throttle200_rate=1`: Connecteam answers 200 with
/// `{"detail":"Too many requests"}` and no `data`, without acting; Clockify
/// has no such quirk and answers normally.
#[tokio::test]
async fn throttle200_fault() {
    let env = start_with(WORLD, options("throttle200_rate=1", "")).await;
    let got = env.ct_get("/users/v1/users").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json, json!({"detail": "Too many requests"}));
    let got = env.ck_get(&users()).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.json.is_array());
}

/// `reset_rate=1`: every call loses its connection; some were applied before
/// the drop (logged `reset_after` with `wrote: true`), some not
/// (`reset_before`), and the state holds exactly the applied ones: a client
/// must re-read before retrying a PATCH.
#[tokio::test]
async fn reset_fault_sometimes_after_the_write() {
    let env = start_with(WORLD, options("reset_rate=1,seed=11", "")).await;
    let state = env.state().await;
    let vacation = find(&state["clockify"]["policies"], "name", "Vacation")["id"].clone();
    let ada = find(&state["clockify"]["users"], "email", "ada@example.com")["id"].clone();
    let url = env.url(&format!(
        "/api/v1/workspaces/{WS}/time-off/balance/policy/{}",
        vacation.as_str().unwrap_or_default()
    ));
    for _ in 0..20 {
        // A fresh client each time: no pooled connection to reuse.
        let result = reqwest::Client::new()
            .patch(&url)
            .header("X-Api-Key", CLOCKIFY_KEY)
            .json(&json!({"userIds": [ada], "value": 1}))
            .send()
            .await;
        assert!(result.is_err(), "the connection is dropped");
    }
    let log = env.log().await;
    let after = log.iter().filter(|e| e["fault"] == "reset_after").count();
    let before = log.iter().filter(|e| e["fault"] == "reset_before").count();
    assert_eq!(after + before, 20);
    assert!(after > 0 && before > 0, "after {after}, before {before}");
    for e in &log {
        assert_eq!(e["status"], serde_json::Value::Null);
        assert_eq!(e["wrote"], e["fault"] == "reset_after");
        assert_eq!(e["body"]["value"], 1);
    }
    let state = env.state().await;
    let row = find(&state["clockify"]["balances"], "email", "ada@example.com");
    let applied = u32::try_from(after).unwrap_or(0);
    assert_eq!(row["accrued"], 12.0 + f64::from(applied));
}

/// The same fault seed gives the same faults for the same requests.
#[tokio::test]
async fn faults_are_reproducible() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let env = start_with(
            WORLD,
            options("error_rate=0.3,throttle_rate=0.3,seed=7", ""),
        )
        .await;
        let mut statuses = Vec::new();
        for _ in 0..30 {
            statuses.push(env.ck_get(&users()).await.status.as_u16());
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&200) && runs[0].contains(&429));
}

/// `methods=POST` confines the faults to POSTs: with every request drawing
/// a dropped connection, GETs and PUTs are answered and each POST is dropped.
#[tokio::test]
async fn faults_confined_to_methods() {
    let env = start_with(WORLD, options("reset_rate=1,methods=POST,seed=3", "")).await;
    assert_eq!(env.ck_get(&users()).await.status, StatusCode::OK);
    assert_eq!(env.ct_get("/users/v1/users").await.status, StatusCode::OK);
    let ada = env.ct_user("ada@example.com").await;
    let put = env
        .ct(
            Method::PUT,
            "/users/v1/users",
            Some(json!([{"userId": ada, "isArchived": true}])),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK);
    let post = reqwest::Client::new()
        .post(env.url("/time-off/v1/requests"))
        .header("X-API-KEY", super::CONNECTEAM_KEY)
        .json(&json!({}))
        .send()
        .await;
    assert!(post.is_err(), "the POST's connection is dropped");
    let log = env.log().await;
    let faults: Vec<(&str, &str)> = log
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap_or(""),
                e["fault"].as_str().unwrap_or("none"),
            )
        })
        .collect();
    assert!(
        faults
            .iter()
            .all(|(m, f)| (*m == "POST") == f.starts_with("reset")),
        "{faults:?}"
    );
    let err = "methods=GET+DELETE".parse::<Faults>().unwrap_err();
    assert!(err.reason.contains("DELETE"), "{err}");
}

/// `latency_ms` delays every vendor response.
#[tokio::test]
async fn latency_fault() {
    let env = start_with(WORLD, options("latency_ms=60", "")).await;
    let t = Instant::now();
    assert_eq!(env.ck_get(&users()).await.status, StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(60));
}

/// Bad `--faults` and `--rate` specs are refused, naming the bad part.
#[test]
fn spec_errors_name_the_part() {
    let err = "error_rate=0.1,reset_rate=2".parse::<Faults>().unwrap_err();
    assert_eq!(err.part, "reset_rate=2");
    let err = "error_rate=0.1,jitter=3".parse::<Faults>().unwrap_err();
    assert!(err.to_string().contains("jitter=3"), "{err}");
    let err = "error_rate=0.6,throttle_rate=0.6"
        .parse::<Faults>()
        .unwrap_err();
    assert!(err.reason.contains("more than 1"), "{err}");
    let err = "clockify=50/s,connecteam=100/w"
        .parse::<RateLimits>()
        .unwrap_err();
    assert_eq!(err.part, "connecteam=100/w");
    let err = "slack=1/s".parse::<RateLimits>().unwrap_err();
    assert!(err.to_string().contains("slack"), "{err}");
    let ok: RateLimits = "clockify=50/s,connecteam=100/m".parse().expect("parses");
    assert_eq!(ok.clockify.map(|r| r.limit), Some(50));
    assert_eq!(ok.connecteam_day.map(|r| r.limit), Some(10_000));
    let ok: Faults = "error_rate=0.1,throttle_rate=0.05,throttle200_rate=0.02,reset_rate=0.01,latency_ms=20,seed=7"
        .parse()
        .expect("parses");
    assert_eq!((ok.latency_ms, ok.seed), (20, 7));
}

/// The log records method, path, query, status, whether it wrote and the
/// body; `since` filters it; reset restores the seeded world and empties the
/// log.
#[tokio::test]
async fn inspection_log_state_and_reset() {
    let env = start(WORLD).await;
    env.ck_get(&format!("{}?status=ALL", users())).await;
    let ada = env.ct_user("ada@example.com").await;
    env.ct(
        Method::PUT,
        "/users/v1/users",
        Some(json!([{"userId": ada, "isArchived": true}])),
    )
    .await;
    let log = env.log().await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["method"], "GET");
    assert_eq!(log[0]["query"], "status=ALL");
    assert_eq!(log[0]["vendor"], "clockify");
    assert_eq!(
        (log[0]["status"].as_u64(), log[0]["wrote"].as_bool()),
        (Some(200), Some(false))
    );
    assert_eq!(log[1]["path"], "/users/v1/users");
    assert_eq!(log[1]["wrote"], true);
    assert_eq!(log[1]["body"][0]["isArchived"], true);
    let since = env
        .call(Method::GET, "/__sandbox/log?since=1", &[], None)
        .await;
    assert_eq!(since.json["entries"].as_array().map(Vec::len), Some(1));
    let state = env.state().await;
    assert_eq!(
        find(&state["connecteam"]["users"], "email", "ada@example.com")["archived"],
        true
    );

    let reset = env.call(Method::POST, "/__sandbox/reset", &[], None).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    assert!(env.log().await.is_empty());
    let state = env.state().await;
    assert_eq!(
        find(&state["connecteam"]["users"], "email", "ada@example.com")["archived"],
        false
    );
    let unknown = env.call(Method::GET, "/__sandbox/nothing", &[], None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

/// Bodies over 1 MiB get each vendor's 413, never a panic.
#[tokio::test]
async fn oversized_bodies() {
    let env = start(WORLD).await;
    let big = "x".repeat(1024 * 1024 + 10);
    let got = env
        .call(
            Method::PUT,
            &format!("/api/v1/workspaces/{WS}/users/x"),
            &[("X-Api-Key", CLOCKIFY_KEY)],
            Some(super::Body::Raw(big.clone())),
        )
        .await;
    assert_eq!(got.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(got.json["code"].is_number());
    let got = env
        .call(
            Method::PUT,
            "/users/v1/users",
            &[("X-API-KEY", super::CONNECTEAM_KEY)],
            Some(super::Body::Raw(big)),
        )
        .await;
    assert_eq!(got.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(got.json["detail"].is_string());
}
