//! Connecteam time-off requests: the list and its 365-day window, create,
//! update and the quirks.

use super::*;

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
