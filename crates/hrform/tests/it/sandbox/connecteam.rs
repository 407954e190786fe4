//! Connecteam endpoints (`api/connecteam.md`, `seeds/`): envelopes,
//! limit/offset paging and its maxima, repeated-key arrays, FastAPI 422s and
//! `{"detail"}` errors, archive rules, balances, assignments and requests.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Body, CONNECTEAM_KEY, WORLD, find, start, world_with};

fn ids(v: &Value, list: &str, key: &str) -> Vec<Value> {
    v["data"][list]
        .as_array()
        .map(|items| items.iter().map(|i| i[key].clone()).collect())
        .unwrap_or_default()
}

/// Users page by limit/offset in the `{requestId, data, paging}` envelope;
/// past the end the page is empty; `limit` over 500 is a 422.
#[tokio::test]
async fn users_paging_and_envelope() {
    let env = start(WORLD).await;
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let got = env
            .ct_get(&format!(
                "/users/v1/users?userStatus=all&limit=2&offset={offset}"
            ))
            .await;
        assert_eq!(got.status, StatusCode::OK);
        assert!(
            got.json["requestId"]
                .as_str()
                .is_some_and(|r| r.len() == 36)
        );
        assert!(got.json["paging"]["offset"].is_u64());
        let page = ids(&got.json, "users", "email");
        offset += page.len();
        let short = page.len() < 2;
        all.extend(page);
        if short {
            break;
        }
    }
    assert_eq!(all.len(), 5);
    let past = env
        .ct_get("/users/v1/users?userStatus=all&limit=2&offset=10")
        .await;
    assert_eq!(past.json["data"]["users"], json!([]));
    let max = env.ct_get("/users/v1/users?limit=500").await;
    assert_eq!(max.status, StatusCode::OK);
    let over = env.ct_get("/users/v1/users?limit=501").await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(over.json["detail"][0]["loc"], json!(["query", "limit"]));
    assert_eq!(over.json["detail"][0]["type"], "value_error.number.not_le");
    let bad = env
        .ct_get("/users/v1/users?offset=-1&userStatus=gone")
        .await;
    assert_eq!(
        bad.json["detail"].as_array().map(Vec::len),
        Some(2),
        "all errors at once"
    );
}

/// `userStatus` defaults to active; `emailAddresses` and `userIds` are
/// repeated-key arrays; a comma-joined id list is a 422.
#[tokio::test]
async fn users_filters() {
    let env = start(WORLD).await;
    let active = env.ct_get("/users/v1/users?limit=100").await;
    assert_eq!(ids(&active.json, "users", "email").len(), 4);
    let archived = env.ct_get("/users/v1/users?userStatus=archived").await;
    assert_eq!(
        ids(&archived.json, "users", "email"),
        [json!("bob@example.com")]
    );
    let by_email = env
        .ct_get("/users/v1/users?userStatus=all&emailAddresses=ADA@example.com&emailAddresses=bob@example.com")
        .await;
    assert_eq!(
        ids(&by_email.json, "users", "email"),
        [json!("ada@example.com"), json!("bob@example.com")]
    );
    let ada = env.ct_user("ada@example.com").await;
    let cy = env.ct_user("cy@example.com").await;
    let by_id = env
        .ct_get(&format!("/users/v1/users?userIds={ada}&userIds={cy}"))
        .await;
    assert_eq!(ids(&by_id.json, "users", "userId"), [json!(ada), json!(cy)]);
    let comma = env
        .ct_get(&format!("/users/v1/users?userIds={ada},{cy}"))
        .await;
    assert_eq!(comma.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        comma.json["detail"][0]["loc"],
        json!(["query", "userIds", 0])
    );
}

/// A missing key is 401 "Not authenticated", a wrong one 401; unknown
/// routes are 404 and wrong verbs 405, FastAPI style.
#[tokio::test]
async fn auth_and_routing() {
    let env = start(WORLD).await;
    let none = env.call(Method::GET, "/users/v1/users", &[], None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.json, json!({"detail": "Not authenticated"}));
    let wrong = env
        .call(
            Method::GET,
            "/users/v1/users",
            &[("X-API-KEY", "sandbox-clockify-key")],
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.json["detail"].is_string());
    let bearer = env
        .call(
            Method::GET,
            "/users/v1/users",
            &[("Authorization", "Bearer sandbox-connecteam-key")],
            None,
        )
        .await;
    assert_eq!(bearer.status, StatusCode::UNAUTHORIZED);
    let unknown = env.ct_get("/time-off/v1/nothing").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json, json!({"detail": "Not Found"}));
    let delete = env
        .ct(Method::DELETE, "/time-off/v1/requests/x", None)
        .await;
    assert_eq!(delete.status, StatusCode::METHOD_NOT_ALLOWED);
    let me = env.ct_get("/me").await;
    assert_eq!(me.json["data"]["companyName"], "Test Co");
}

/// Archive and restore through `PUT /users/v1/users`: at most 25 per call
/// (26 is a 422), owners and managers 400, archiving an archived user 400,
/// unknown ids 404, and nothing changes when any item fails.
#[tokio::test]
async fn archive_and_restore() {
    let env = start(WORLD).await;
    let ada = env.ct_user("ada@example.com").await;
    let bob = env.ct_user("bob@example.com").await;
    let mia = env.ct_user("mia@example.com").await;
    let owner = env.ct_user("owner@example.com").await;

    let got = env
        .ct(
            Method::PUT,
            "/users/v1/users?includeSmartGroupIds=false",
            Some(
                json!([{"userId": ada, "isArchived": true}, {"userId": bob, "isArchived": false}]),
            ),
        )
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.json["data"]["count"], 2);
    let first = &got.json["data"]["users"][0];
    assert_eq!(first["isArchived"], true);
    assert!(first["archivedAt"].is_i64());
    assert!(first.get("smartGroupsIds").is_none());
    let active = env.ct_get("/users/v1/users?limit=100").await;
    let emails = ids(&active.json, "users", "email");
    assert!(!emails.contains(&json!("ada@example.com")));
    assert!(emails.contains(&json!("bob@example.com")));

    let again = env
        .ct(
            Method::PUT,
            "/users/v1/users",
            Some(json!([{"userId": ada, "isArchived": true}])),
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again.json["detail"],
        "Can't archive user who is already archived"
    );

    let admins = env
        .ct(
            Method::PUT,
            "/users/v1/users",
            Some(json!([{"userId": bob, "isArchived": true}, {"userId": mia, "isArchived": true}, {"userId": owner, "isArchived": true}])),
        )
        .await;
    assert_eq!(admins.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        admins.json["detail"],
        format!("Cannot archive owners or managers, user ids: [{mia}, {owner}]")
    );
    let state = env.state().await;
    assert_eq!(
        find(&state["connecteam"]["users"], "email", "bob@example.com")["archived"],
        false,
        "all or nothing"
    );

    let items: Vec<Value> = (0..26)
        .map(|_| json!({"userId": bob, "isArchived": true}))
        .collect();
    let many = env
        .ct(Method::PUT, "/users/v1/users", Some(Value::Array(items)))
        .await;
    assert_eq!(many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(many.json["detail"][0]["type"], "value_error.list.max_items");
    let items: Vec<Value> = (0..25)
        .map(|_| json!({"userId": bob, "isArchived": false}))
        .collect();
    let ok = env
        .ct(Method::PUT, "/users/v1/users", Some(Value::Array(items)))
        .await;
    assert_eq!(ok.status, StatusCode::OK);

    let unknown = env
        .ct(
            Method::PUT,
            "/users/v1/users",
            Some(json!([{"userId": 1, "isArchived": true}])),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let not_a_list = env
        .ct(Method::PUT, "/users/v1/users", Some(json!({"userId": bob})))
        .await;
    assert_eq!(not_a_list.status, StatusCode::UNPROCESSABLE_ENTITY);
    let garbage = env
        .call(
            Method::PUT,
            "/users/v1/users",
            &[("X-API-KEY", CONNECTEAM_KEY)],
            Some(Body::Raw("[{".to_owned())),
        )
        .await;
    assert_eq!(garbage.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(garbage.json["detail"][0]["type"], "value_error.jsondecode");
}

/// Policy types list their policies with unit and accrual type.
#[tokio::test]
async fn policy_types() {
    let env = start(WORLD).await;
    let got = env.ct_get("/time-off/v1/policy-types").await;
    let vacation = find(&got.json["data"]["policyTypes"], "name", "Vacation");
    let part = find(&vacation["policies"], "name", "Vacation - Part-time");
    assert_eq!(part["unit"], "hours");
    assert_eq!(part["accrualType"], "fixed");
    assert!(got.json.get("paging").is_none());
}

async fn type_id(env: &super::Env, name: &str) -> String {
    let got = env.ct_get("/time-off/v1/policy-types").await;
    find(&got.json["data"]["policyTypes"], "name", name)["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn policy_id(env: &super::Env, name: &str) -> String {
    let got = env.ct_get("/time-off/v1/policy-types").await;
    got.json["data"]["policyTypes"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| t["policies"].as_array().cloned().unwrap_or_default())
        .find(|p| p["name"] == name)
        .and_then(|p| p["id"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

async fn balance_of(env: &super::Env, pt: &str, user: u64) -> Value {
    let got = env
        .ct_get(&format!(
            "/time-off/v1/policy-types/{pt}/balances?userIds={user}"
        ))
        .await;
    got.json["data"]["balances"][0].clone()
}

/// Balances per policy type page with `limit` ≤ 100; each row names the
/// user's policy (`units`, plural); archived users are listed by default and
/// hidden with `archived_users_in_balances: false`; an unknown type is 404.
#[tokio::test]
async fn balances_list() {
    let env = start(WORLD).await;
    let pt = type_id(&env, "Vacation").await;
    let p1 = env
        .ct_get(&format!("/time-off/v1/policy-types/{pt}/balances?limit=2"))
        .await;
    assert_eq!(
        p1.json["data"]["balances"].as_array().map(Vec::len),
        Some(2)
    );
    let p2 = env
        .ct_get(&format!(
            "/time-off/v1/policy-types/{pt}/balances?limit=2&offset=2"
        ))
        .await;
    let rows = p2.json["data"]["balances"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["units"], "hours");
    assert!(rows[0]["policyId"].is_string());
    let over = env
        .ct_get(&format!(
            "/time-off/v1/policy-types/{pt}/balances?limit=101"
        ))
        .await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = env.ct_get("/time-off/v1/policy-types/nope/balances").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let env = start(&world_with(
        "  company_name: Test Co\n",
        "  company_name: Test Co\n  quirks: { archived_users_in_balances: false }\n",
    ))
    .await;
    let pt = type_id(&env, "Vacation").await;
    let all = env
        .ct_get(&format!(
            "/time-off/v1/policy-types/{pt}/balances?limit=100"
        ))
        .await;
    assert_eq!(
        all.json["data"]["balances"].as_array().map(Vec::len),
        Some(2)
    );
}

/// Balance PUT sets an absolute value (twice is the same as once); a user on
/// no policy of the type is 400; a missing `balance` is 422.
#[tokio::test]
async fn balance_put_is_absolute() {
    let env = start(WORLD).await;
    let pt = type_id(&env, "Vacation").await;
    let ada = env.ct_user("ada@example.com").await;
    let path = format!("/time-off/v1/policy-types/{pt}/balances/{ada}");
    for _ in 0..2 {
        let got = env
            .ct(Method::PUT, &path, Some(json!({"balance": 9.5})))
            .await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.json["data"]["balance"]["balance"], 9.5);
        assert_eq!(got.json["data"]["balance"]["units"], "days");
    }
    assert_eq!(balance_of(&env, &pt, ada).await["balance"], 9.5);
    let owner = env.ct_user("owner@example.com").await;
    let unassigned = env
        .ct(
            Method::PUT,
            &format!("/time-off/v1/policy-types/{pt}/balances/{owner}"),
            Some(json!({"balance": 1})),
        )
        .await;
    assert_eq!(unassigned.status, StatusCode::BAD_REQUEST);
    let missing = env.ct(Method::PUT, &path, Some(json!({}))).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.json["detail"][0]["loc"], json!(["body", "balance"]));
    let bad_user = env
        .ct(
            Method::PUT,
            &format!("/time-off/v1/policy-types/{pt}/balances/abc"),
            Some(json!({"balance": 1})),
        )
        .await;
    assert_eq!(bad_user.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Assignment PUT assigns (with an initial balance or the policy's default),
/// moves a user between policies of one type (balance reset by default,
/// carried with `move_balance: carry`), ignores a balance on a re-PUT to the
/// same policy by default (`reassign_same_policy: set` applies it), rejects a
/// unit that is not the policy's, and 404s an unknown policy.
#[tokio::test]
async fn assignments() {
    let env = start(WORLD).await;
    let pt = type_id(&env, "Vacation").await;
    let full = policy_id(&env, "Vacation - Full-time").await;
    let part = policy_id(&env, "Vacation - Part-time").await;
    let cy = env.ct_user("cy@example.com").await;
    let owner = env.ct_user("owner@example.com").await;

    let moved = env
        .ct(
            Method::PUT,
            &format!("/time-off/v1/time-off-policies/{full}/assignments"),
            Some(json!({"userId": cy})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.json["data"], json!({}));
    let row = balance_of(&env, &pt, cy).await;
    assert_eq!(
        (row["policyId"].as_str(), row["balance"].as_f64()),
        (Some(full.as_str()), Some(0.0))
    );

    let new = env
        .ct(
            Method::PUT,
            &format!("/time-off/v1/time-off-policies/{part}/assignments"),
            Some(json!({"userId": owner})),
        )
        .await;
    assert_eq!(new.status, StatusCode::OK);
    assert_eq!(
        balance_of(&env, &pt, owner).await["balance"],
        40.0,
        "policy default"
    );

    let same = env
        .ct(
            Method::PUT,
            &format!("/time-off/v1/time-off-policies/{part}/assignments"),
            Some(json!({"userId": owner, "balance": 5, "unit": "hours"})),
        )
        .await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(balance_of(&env, &pt, owner).await["balance"], 40.0, "kept");

    let unit = env
        .ct(
            Method::PUT,
            &format!("/time-off/v1/time-off-policies/{part}/assignments"),
            Some(json!({"userId": owner, "balance": 5, "unit": "days"})),
        )
        .await;
    assert_eq!(unit.status, StatusCode::BAD_REQUEST);
    let unknown = env
        .ct(
            Method::PUT,
            "/time-off/v1/time-off-policies/nope/assignments",
            Some(json!({"userId": owner})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let no_user = env
        .ct(
            Method::PUT,
            &format!("/time-off/v1/time-off-policies/{part}/assignments"),
            Some(json!({"balance": 1})),
        )
        .await;
    assert_eq!(no_user.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_user.json["detail"][0]["type"], "value_error.missing");

    let env = start(&world_with(
        "  company_name: Test Co\n",
        "  company_name: Test Co\n  quirks: { move_balance: carry, reassign_same_policy: set }\n",
    ))
    .await;
    let cy = env.ct_user("cy@example.com").await;
    env.ct(
        Method::PUT,
        &format!("/time-off/v1/time-off-policies/{full}/assignments"),
        Some(json!({"userId": cy})),
    )
    .await;
    assert_eq!(balance_of(&env, &pt, cy).await["balance"], 30.0, "carried");
    env.ct(
        Method::PUT,
        &format!("/time-off/v1/time-off-policies/{full}/assignments"),
        Some(json!({"userId": cy, "balance": 4})),
    )
    .await;
    assert_eq!(balance_of(&env, &pt, cy).await["balance"], 4.0, "set");
}

/// The requests list needs `startDate` and `endDate`, returns requests that
/// overlap the window, defaults `statuses` to approved, and pages by limit
/// (≤ 100).
#[tokio::test]
async fn requests_list() {
    let env = start(WORLD).await;
    let missing = env.ct_get("/time-off/v1/requests").await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.json["detail"].as_array().map(Vec::len), Some(2));
    let approved = env
        .ct_get("/time-off/v1/requests?startDate=2024-03-20&endDate=2025-03-01")
        .await;
    assert_eq!(
        ids(&approved.json, "requests", "status"),
        [json!("approved")]
    );
    let all = env
        .ct_get("/time-off/v1/requests?startDate=2024-03-20&endDate=2025-03-01&statuses=approved&statuses=pending&statuses=denied&limit=2")
        .await;
    assert_eq!(
        all.json["data"]["requests"].as_array().map(Vec::len),
        Some(2)
    );
    let rest = env
        .ct_get("/time-off/v1/requests?startDate=2024-03-20&endDate=2025-03-01&statuses=approved&statuses=pending&statuses=denied&limit=2&offset=2")
        .await;
    let last = &rest.json["data"]["requests"][0];
    assert_eq!(last["timeClockId"], 12345);
    assert_eq!(
        (last["startTime"].as_str(), last["endTime"].as_str()),
        (Some("09:00:00"), Some("13:00:00"))
    );
    assert!(last.get("duration").is_none(), "denied: no duration");
    // Overlap: a window inside the pending request's span still finds it.
    let inside = env
        .ct_get("/time-off/v1/requests?startDate=2025-01-01&endDate=2025-01-01&statuses=pending")
        .await;
    assert_eq!(
        ids(&inside.json, "requests", "startDate"),
        [json!("2024-12-30")]
    );
    let first = &approved.json["data"]["requests"][0];
    assert_eq!(first["duration"], json!({"units": "days", "amount": 6.0}));
    assert_eq!(first["managerNote"], "Imported [hrform:BHR-1]");
    assert!(first.get("timeClockId").is_none());
    let over = env
        .ct_get("/time-off/v1/requests?startDate=2024-01-01&endDate=2024-02-01&limit=101")
        .await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = env
        .ct_get("/time-off/v1/requests?startDate=2024-1-1&endDate=2024-02-01&statuses=done")
        .await;
    assert_eq!(bad.json["detail"].as_array().map(Vec::len), Some(2));
}

/// The window is at most 365 days, counted inclusively by default
/// (2025-01-01..2025-12-31 passes, ..2026-01-01 fails); with
/// `request_window: difference` 366 calendar days pass and 367 fail.
#[tokio::test]
async fn requests_365_day_window_both_ways() {
    let env = start(WORLD).await;
    let q = |s: &str, e: &str| format!("/time-off/v1/requests?startDate={s}&endDate={e}");
    assert_eq!(
        env.ct_get(&q("2025-01-01", "2025-12-31")).await.status,
        StatusCode::OK
    );
    let over = env.ct_get(&q("2025-01-01", "2026-01-01")).await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        over.json["detail"][0]["msg"],
        "Range may not exceed 365 days"
    );
    let backwards = env.ct_get(&q("2025-02-01", "2025-01-01")).await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);

    let env = start(&world_with(
        "  company_name: Test Co\n",
        "  company_name: Test Co\n  quirks: { request_window: difference }\n",
    ))
    .await;
    assert_eq!(
        env.ct_get(&q("2025-01-01", "2026-01-01")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        env.ct_get(&q("2025-01-01", "2026-01-02")).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

/// Request POST: the seed docs' rules (partial day needs both times and one
/// date; date and time formats; required fields; a real time zone) are 422s;
/// an approved request returns its duration and is deducted from the
/// balance; `managerNote`, `timeClockId` and the DST flag round-trip.
#[tokio::test]
async fn request_create() {
    let env = start(WORLD).await;
    let pt = type_id(&env, "Vacation").await;
    let sick = type_id(&env, "Sick").await;
    let ada = env.ct_user("ada@example.com").await;
    let owner = env.ct_user("owner@example.com").await;
    let base = json!({
        "userId": ada, "policyTypeId": pt, "isAllDay": true,
        "startDate": "2026-07-01", "endDate": "2026-07-03",
        "timezone": "America/New_York", "status": "approved",
        "managerNote": "sync [hrform:K-1]", "timeClockId": 77,
        "isAdjustForDayLightSaving": true,
    });
    let got = env
        .ct(Method::POST, "/time-off/v1/requests", Some(base.clone()))
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    let data = &got.json["data"];
    assert!(data["id"].as_str().is_some_and(|i| i.len() == 24));
    assert_eq!(data["duration"], json!({"units": "days", "amount": 3.0}));
    assert_eq!(data["managerNote"], "sync [hrform:K-1]");
    assert_eq!(data["timeClockId"], 77);
    assert_eq!(
        (data["startTime"].as_str(), data["endTime"].as_str()),
        (Some("00:00:00"), Some("23:59:59"))
    );
    assert_eq!(data["employeeNote"], "");
    assert_eq!(balance_of(&env, &pt, ada).await["balance"], 12.0, "15 - 3");
    let state = env.state().await;
    let stored = find(
        &state["connecteam"]["requests"],
        "manager_note",
        "sync [hrform:K-1]",
    );
    assert_eq!(stored["adjust_for_dst"], true);

    let partial = json!({
        "userId": ada, "policyTypeId": sick, "isAllDay": false,
        "startDate": "2026-07-06", "endDate": "2026-07-06",
        "startTime": "09:00:00", "endTime": "12:30:00",
        "timezone": "Europe/Berlin", "status": "approved",
    });
    let got = env
        .ct(Method::POST, "/time-off/v1/requests", Some(partial.clone()))
        .await;
    assert_eq!(
        got.json["data"]["duration"],
        json!({"units": "hours", "amount": 3.5})
    );
    assert_eq!(balance_of(&env, &sick, ada).await["balance"], 36.5);

    let with = |patch: Value| {
        let mut b = partial.clone();
        if let (Some(o), Some(p)) = (b.as_object_mut(), patch.as_object()) {
            for (k, v) in p {
                if v.is_null() {
                    o.remove(k);
                } else {
                    o.insert(k.clone(), v.clone());
                }
            }
        }
        b
    };
    let cases = [
        (
            with(json!({"startTime": null})),
            "startTime",
            "startTime is required when isAllDay is false",
        ),
        (
            with(json!({"endDate": "2026-07-07"})),
            "endDate",
            "endDate must be the same as startDate when isAllDay is false",
        ),
        (
            with(json!({"startDate": "07/06/2026"})),
            "startDate",
            "Invalid date format. Use YYYY-MM-DD",
        ),
        (
            with(json!({"endTime": "12:30"})),
            "endTime",
            "Invalid time format. Use HH:MM:SS",
        ),
        (with(json!({"userId": null})), "userId", "field required"),
        (with(json!({"status": "done"})), "status", ""),
        (with(json!({"timezone": "Mars/Olympus"})), "timezone", ""),
        (
            with(json!({"endTime": "08:00:00"})),
            "endTime",
            "endTime must be after startTime",
        ),
    ];
    for (body, field, msg) in cases {
        let got = env
            .ct(Method::POST, "/time-off/v1/requests", Some(body))
            .await;
        assert_eq!(got.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let first = &got.json["detail"][0];
        assert_eq!(first["loc"], json!(["body", field]), "{}", got.text);
        if !msg.is_empty() {
            assert_eq!(first["msg"], msg);
        }
    }
    let unassigned = env
        .ct(
            Method::POST,
            "/time-off/v1/requests",
            Some(with(json!({"userId": owner}))),
        )
        .await;
    assert_eq!(unassigned.status, StatusCode::BAD_REQUEST);
    let unknown_type = env
        .ct(
            Method::POST,
            "/time-off/v1/requests",
            Some(with(json!({"policyTypeId": "nope"}))),
        )
        .await;
    assert_eq!(unknown_type.status, StatusCode::NOT_FOUND);
}

/// Request PUT changes the updatable fields and refunds or re-deducts the
/// balance; `userId`, `policyTypeId`, `employeeNote` and unknown fields are
/// 422 "extra fields not permitted"; an unknown id is 404.
#[tokio::test]
async fn request_update() {
    let env = start(WORLD).await;
    let pt = type_id(&env, "Vacation").await;
    let ada = env.ct_user("ada@example.com").await;
    let listed = env
        .ct_get("/time-off/v1/requests?startDate=2024-03-01&endDate=2024-03-31")
        .await;
    let id = listed.json["data"]["requests"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let path = format!("/time-off/v1/requests/{id}");
    for field in ["userId", "policyTypeId", "employeeNote", "color"] {
        let got = env
            .ct(
                Method::PUT,
                &path,
                Some(json!({field: 1, "status": "denied"})),
            )
            .await;
        assert_eq!(got.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert_eq!(got.json["detail"][0]["type"], "value_error.extra");
    }
    let denied = env
        .ct(
            Method::PUT,
            &path,
            Some(json!({"status": "denied", "managerNote": "no [hrform:BHR-1]"})),
        )
        .await;
    assert_eq!(denied.status, StatusCode::OK, "{}", denied.text);
    assert_eq!(denied.json["data"]["status"], "denied");
    assert_eq!(denied.json["data"]["timeClockId"], Value::Null);
    assert!(denied.json["data"].get("policyTypeId").is_none());
    assert_eq!(
        balance_of(&env, &pt, ada).await["balance"],
        21.0,
        "refunded 6 days"
    );
    let partial = env
        .ct(Method::PUT, &path, Some(json!({"isAllDay": false})))
        .await;
    assert_eq!(partial.status, StatusCode::UNPROCESSABLE_ENTITY);
    let approved = env
        .ct(
            Method::PUT,
            &path,
            Some(json!({"status": "approved", "startDate": "2024-03-18", "endDate": "2024-03-19"})),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK);
    assert_eq!(balance_of(&env, &pt, ada).await["balance"], 19.0);
    let unknown = env
        .ct(
            Method::PUT,
            "/time-off/v1/requests/000000000000000000000000",
            Some(json!({"status": "denied"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json,
        json!({"detail": "Time off request not found"})
    );
}

/// With `requests_deduct_balance: false` approved requests leave the
/// balance alone; with `echo_dst_flag: true` requests echo the DST flag.
#[tokio::test]
async fn request_quirks() {
    let env = start(&world_with(
        "  company_name: Test Co\n",
        "  company_name: Test Co\n  quirks: { requests_deduct_balance: false, echo_dst_flag: true }\n",
    ))
    .await;
    let pt = type_id(&env, "Vacation").await;
    let ada = env.ct_user("ada@example.com").await;
    let got = env
        .ct(
            Method::POST,
            "/time-off/v1/requests",
            Some(json!({
                "userId": ada, "policyTypeId": pt, "isAllDay": true,
                "startDate": "2026-07-01", "endDate": "2026-07-01",
                "timezone": "UTC", "status": "approved",
            })),
        )
        .await;
    assert_eq!(got.json["data"]["isAdjustForDayLightSaving"], false);
    assert_eq!(balance_of(&env, &pt, ada).await["balance"], 15.0);
}
