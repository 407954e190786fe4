//! Attacks by an HR system or the network on hrform's HTTP client:
//! redirects, refused and TLS-failing connections, ids that would leave
//! their path segment, absurd rate-limit headers, errors quoting the key,
//! and lists without end (deadline, item bound, page size).

use super::*;

/// A server that answers every call with a 301/302/303/307/308 to a second
/// origin gets nothing sent there: no redirect is followed, the key and the
/// body stay home, and the user is told the call, the status and the
/// origin the redirect named (never the key, nor the Location's path).
#[test]
fn redirects_are_never_followed() {
    let thief = Loopback::start(|_| response("200 OK", &[], "[]"));
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "303 See Other",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let location = format!("{}/steal?from=hrform", thief.origin());
        let redirector =
            Loopback::start(move |_| response(status, &[("location", location.as_str())], ""));
        let t = Test::new()
            .file(
                "hrform.yaml",
                &clockify_at(&format!("{}/api", redirector.origin())),
            )
            .env("CLOCKIFY_API_KEY", KEY)
            .args(&["plan"]);
        let out = t.run();
        out.code(1);
        let code = &status[..3];
        assert!(
            out.stderr.contains(&format!(
                "GET /v1/user failed: HTTP {code}: a redirect to {}, which hrform never follows",
                thief.origin()
            )),
            "{status}: {}",
            out.stderr
        );
        never_shown(&out, KEY);
        never_shown(&out, "steal");
        assert!(
            !redirector.received().is_empty(),
            "{status}: the first origin was asked"
        );
        assert_eq!(
            thief.connections(),
            0,
            "{status}: the redirect was followed"
        );
    }
}

/// A connection refused (nothing listens) is tried twice, not for minutes.
#[test]
fn refused_connections_are_not_retried_for_minutes() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = Test::new()
        .file(
            "hrform.yaml",
            &clockify_at(&format!("http://127.0.0.1:{port}/api")),
        )
        .env("CLOCKIFY_API_KEY", KEY)
        .args(&["plan", "-vv"]);
    let out = t.run();
    out.code(1);
    assert!(out.stderr.contains("could not connect"), "{}", out.stderr);
    // Counted, not timed: the parallel reads (user, users, policies) are
    // each retried once, then given up.
    let retries = out.stderr.matches("retrying").count();
    assert!(
        (1..=3).contains(&retries),
        "{retries} retries:\n{}",
        out.stderr
    );
    never_shown(&out, KEY);
}

/// A TLS handshake that fails (here: https to a server that speaks plain
/// HTTP) is a permanent failure: one attempt per call, no backoff.
#[test]
fn tls_failures_are_not_retried() {
    let server = Loopback::start(|_| response("400 Bad Request", &[], ""));
    let t = Test::new()
        .file(
            "hrform.yaml",
            &clockify_at(&format!("https://127.0.0.1:{}/api", server.port)),
        )
        .env("CLOCKIFY_API_KEY", KEY)
        .args(&["plan"]);
    let out = t.run();
    out.code(1);
    // The plan reads users and policies in parallel: whichever fails first
    // is the one reported, so the test names no particular call.
    assert!(
        out.stderr.contains("error: GET /v1/") && out.stderr.contains(" failed: could not connect"),
        "{}",
        out.stderr
    );
    // One connection each.
    assert!(
        server.connections() <= 2,
        "{} connections",
        server.connections()
    );
    never_shown(&out, KEY);
}

/// A request id from the API holding `../` (here: one that would climb to
/// the users endpoint) is percent-encoded into one path segment: apply's
/// PUT goes to that request, never to another endpoint.
#[test]
fn ids_from_the_api_never_leave_their_path_segment() {
    const ID: &str = "../../../users/v1/users";
    let seed = format!(
        "{}\n  requests:\n    - {{ id: '{ID}', user: kim@example.com, policy_type: Vacation, start_date: 2026-04-01, end_date: 2026-04-03, timezone: Europe/Dublin, manager_note: '[hrform:R-2]' }}\n",
        include_str!("../../fixtures/plan/seed.yaml").trim_end()
    );
    let t = Test::new().sandbox(&seed);
    let providers = format!(
        "providers:\n  field:\n    type: connecteam\n    base_url: {}\n",
        t.sandbox_url()
    );
    let t = t.file("providers.yaml", &providers).file(
        "hr.yaml",
        "\
users:
  - { email: kim@example.com, provider: field, time_off: [{ policy: Vacation - Full-time }] }
time_off_requests:
  - { key: R-2, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-04-01, end_date: 2026-04-04, timezone: Europe/Dublin }
",
    );
    let out = t.run_with(&["apply", "--yes", "-q"]);
    out.code(0);
    let writes: Vec<(String, String)> = t
        .sandbox_log()
        .iter()
        .filter(|e| e["method"] != "GET")
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_owned(),
                e["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        writes,
        vec![(
            "PUT".to_owned(),
            "/time-off/v1/requests/..%2F..%2F..%2Fusers%2Fv1%2Fusers".to_owned()
        )]
    );
    let state = t.sandbox_state();
    let request = state["connecteam"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == ID)
        .expect("the request is still there")
        .clone();
    assert_eq!(request["end_date"], "2026-04-04", "{request}");
}

/// A `Retry-After` and `x-ratelimit-minute-reset` of 2^64 and 2^63 on a
/// throttled read do not panic plan: the wait is clamped and the read
/// retried.
#[test]
fn huge_rate_limit_headers_during_plan_do_not_panic() {
    let hits = std::sync::atomic::AtomicUsize::new(0);
    let server = clockify(
        move |_| {
            if hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0 {
                Answer::Json(
                    429,
                    vec![
                        ("retry-after", "18446744073709551616".into()),
                        ("x-ratelimit-minute-remaining", "0".into()),
                        ("x-ratelimit-minute-reset", "9223372036854775808".into()),
                    ],
                    r#"{"message":"slow down"}"#.into(),
                )
            } else {
                last_page(serde_json::json!([ck_user(
                    "u1",
                    "ada@example.com",
                    "ACTIVE"
                )]))
            }
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(&server, "  - { email: ada@example.com, status: active }\n")
        .env("HRFORM_BACKOFF_SCALE", "0.001");
    let out = t.run_with(&["plan"]);
    out.code(0);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

/// The answer to a write that took effect carries rate-limit headers past
/// any clock: apply does not panic, and the journal records the write.
#[test]
fn huge_rate_limit_headers_after_a_write_keep_it_in_the_journal() {
    let server = Hostile::start(|r| {
        let ws = format!("/api/v1/workspaces/{WS}");
        let huge = vec![
            ("retry-after", "18446744073709551616".to_owned()),
            ("x-ratelimit-minute-remaining", "0".to_owned()),
            (
                "x-ratelimit-minute-reset",
                "18446744073709551615".to_owned(),
            ),
        ];
        match (r.method.as_str(), r.path.as_str()) {
            ("GET", "/api/v1/user") => ok(serde_json::json!({"id": "owner"})),
            ("GET", p) if p == format!("{ws}/users") => last_page(serde_json::json!([ck_user(
                "u1",
                "ada@example.com",
                "INACTIVE"
            )])),
            ("GET", p) if p == format!("{ws}/time-off/policies") => {
                last_page(serde_json::json!([ck_policy("p1", "Vacation")]))
            }
            ("PUT", p) if p == format!("{ws}/users/u1") => Answer::Json(
                200,
                huge,
                ck_user("u1", "ada@example.com", "ACTIVE").to_string(),
            ),
            _ => Answer::Json(404, Vec::new(), r#"{"message":"no such path"}"#.into()),
        }
    });
    let t = clockify_test(&server, "  - { email: ada@example.com, status: active }\n")
        .env("HRFORM_BACKOFF_SCALE", "0.001");
    let out = t.run_with(&["apply", "--yes"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out.code(0);
    let journal = std::fs::read_to_string(t.path().join(".hrform/journal.jsonl")).unwrap();
    let applied: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &serde_json::Value| l["method"] == "PUT")
        .collect();
    assert_eq!(applied.len(), 1, "{journal}");
    assert_eq!(applied[0]["outcome"], "applied", "{journal}");
}

/// A server error message quoting the API key is shown with the key
/// masked, on the terminal and in every format.
#[test]
fn api_error_quoting_the_key_is_printed_masked() {
    let server = clockify(
        |_| {
            Answer::Json(
                403,
                Vec::new(),
                format!(r#"{{"message":"key {KEY} may not read users"}}"#),
            )
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(&server, "  - { email: ada@example.com, status: active }\n")
        .env("CLOCKIFY_API_KEY", KEY);
    for format in ["text", "json", "github"] {
        let out = t.run_with(&["plan", "--format", format]);
        assert_ne!(out.code, 0);
        never_shown(&out, KEY);
        assert!(
            out.stderr.contains("key ******** may not read users")
                || out.stdout.contains("key ******** may not read users"),
            "{format}: {}{}",
            out.stdout,
            out.stderr
        );
    }
}

/// One list that never ends, a page at a time, stops at the list's
/// deadline (shortened by the backoff scale), not after 1,000 pages.
#[test]
fn endless_slow_list_stops_at_the_list_deadline() {
    let server = connecteam(|r| {
        let offset: i64 = r.param("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
        std::thread::sleep(Duration::from_millis(40));
        let users: Vec<_> = (0..500)
            .map(|i| {
                ct_user(
                    offset + i + 1,
                    &format!("u{}@example.com", offset + i),
                    false,
                )
            })
            .collect();
        ok(serde_json::json!({"data": {"users": users}}))
    });
    let t = connecteam_test(&server, "  - { email: u1@example.com, status: active }\n")
        .env("HRFORM_BACKOFF_SCALE", "0.001");
    let out = t.run_with(&["plan"]);
    out.code(1)
        .stderr_has(&["the list did not end within its deadline of 1.2s"]);
    assert!(server.hits() < 200, "{} requests", server.hits());
}

/// A users list past 200,000 people stops at the bound with a clear
/// error, reading no page after it.
#[test]
fn people_past_the_bound_stop_the_read() {
    let server = clockify(
        |r| {
            let page: usize = r.param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let size: usize = r
                .param("page-size")
                .and_then(|p| p.parse().ok())
                .unwrap_or(50);
            let mut body = String::with_capacity(size * 160);
            body.push('[');
            for i in 0..size {
                if i > 0 {
                    body.push(',');
                }
                let n = (page - 1) * size + i;
                body.push_str(&format!(
                    r#"{{"id":"u{n}","email":"p{n}@example.com","name":"P","memberships":[{{"targetId":"{WS}","membershipType":"WORKSPACE","membershipStatus":"ACTIVE"}}]}}"#
                ));
            }
            body.push(']');
            Answer::Json(200, vec![("last-page", "false".into())], body)
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(&server, "  - { email: p1@example.com, status: active }\n");
    let out = t.run_with(&["plan"]);
    out.code(1)
        .stderr_has(&["more than 200000 items (hrform's bound per list"]);
    assert!(server.hits() < 50, "{} requests", server.hits());
}

/// Clockify refusing the users page size with 400 "Page size cannot be
/// larger than N" is asked again, once, at N: plan succeeds.
#[test]
fn clockify_page_size_refusal_is_retried_at_the_size_it_names() {
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&sizes);
    let server = clockify(
        move |r| {
            let size = r.param("page-size").unwrap_or_default();
            seen.lock().unwrap().push(size.clone());
            if size != "50" {
                return Answer::Json(
                    400,
                    Vec::new(),
                    r#"{"message":"Page size cannot be larger than 50","code":501}"#.into(),
                );
            }
            last_page(serde_json::json!([ck_user(
                "u1",
                "ada@example.com",
                "ACTIVE"
            )]))
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(&server, "  - { email: ada@example.com, status: active }\n");
    t.run_with(&["plan"]).code(0);
    let sizes = sizes.lock().unwrap().clone();
    assert_eq!(sizes.len(), 2, "{sizes:?}");
    assert_eq!(sizes[1], "50");

    // Named again at the smaller size: not retried a second time.
    let server = clockify(
        |_| {
            Answer::Json(
                400,
                Vec::new(),
                r#"{"message":"Page size cannot be larger than 1"}"#.into(),
            )
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(&server, "  - { email: ada@example.com, status: active }\n");
    t.run_with(&["plan"])
        .code(1)
        .stderr_has(&["Page size cannot be larger than 1"]);
}

/// The sandbox answers `PUT /time-off/v1/requests/{id}` of a request with
/// no time clock without `timeClockId`, as its GET does.
#[test]
fn sandbox_request_update_without_time_clock_omits_time_clock_id() {
    let seed = format!(
        "{}\n  requests:\n    - {{ user: kim@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-06, all_day: true, timezone: Europe/Dublin, status: approved }}\n",
        include_str!("../../fixtures/plan/seed.yaml").trim_end()
    );
    let t = Test::new().sandbox(&seed);
    let base = t.sandbox_url();
    let key = crate::common::CONNECTEAM_KEY;
    let (listed, updated) = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = reqwest::Client::new();
        let listed: serde_json::Value = client
            .get(format!(
                "{base}/time-off/v1/requests?startDate=2026-01-01&endDate=2026-12-31"
            ))
            .header("X-API-KEY", key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = listed["data"]["requests"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let updated: serde_json::Value = client
            .put(format!("{base}/time-off/v1/requests/{id}"))
            .header("X-API-KEY", key)
            .json(&serde_json::json!({"managerNote": "checked"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (listed, updated)
    });
    let request = &listed["data"]["requests"][0];
    assert!(request.get("timeClockId").is_none(), "{listed}");
    assert_eq!(updated["data"]["managerNote"], "checked", "{updated}");
    assert!(updated["data"].get("timeClockId").is_none(), "{updated}");
}
