//! Connecteam policy types, balances (list, absolute PUT) and assignments.

use super::*;

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
