//! Clockify endpoints (`api/clockify.md`): paging and `Last-Page`, filters,
//! envelopes, every documented error, auth, and the configurable quirks.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Body, WORLD, WS, find, start, world_with};

fn users_path(query: &str) -> String {
    format!("/v1/workspaces/{WS}/users?{query}")
}

fn emails(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a bare array")
        .iter()
        .map(|u| u["email"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The users list pages with `page`/`page-size`, says `Last-Page` on each
/// page, and past the last page answers an empty array with `Last-Page: true`.
#[tokio::test]
async fn users_paging_at_and_past_the_last_page() {
    let env = start(WORLD).await;
    let mut seen = Vec::new();
    let mut flags = Vec::new();
    for page in 1..=4 {
        let got = env
            .ck_get(&users_path(&format!("status=ALL&page={page}&page-size=2")))
            .await;
        assert_eq!(got.status, StatusCode::OK);
        flags.push(got.header("last-page").map(str::to_owned));
        seen.extend(emails(&got.json));
    }
    // 6 members pass the default account-status filter (fay is LIMITED).
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert!(!seen.contains(&"fay@example.com".to_owned()));
    let flags: Vec<_> = flags.iter().map(|f| f.as_deref()).collect();
    assert_eq!(
        flags,
        [Some("false"), Some("false"), Some("true"), Some("true")]
    );
    // page=0 silently means page 1.
    let zero = env
        .ck_get(&users_path("status=ALL&page=0&page-size=2"))
        .await;
    assert_eq!(emails(&zero.json), seen[..2]);
}

/// Without `status` the list holds only ACTIVE members by default; the
/// `users_default_status: all` quirk returns every member.
#[tokio::test]
async fn users_default_status_both_ways() {
    let env = start(WORLD).await;
    let got = env.ck_get(&users_path("page-size=50")).await;
    assert_eq!(
        emails(&got.json),
        [
            "ada@example.com",
            "cy@example.com",
            "dee@example.com",
            "owner@example.com"
        ]
    );
    let env = start(&world_with(
        "  key_owner: owner@example.com\n  users:",
        "  key_owner: owner@example.com\n  quirks: { users_default_status: all }\n  users:",
    ))
    .await;
    let got = env.ck_get(&users_path("page-size=50")).await;
    assert_eq!(emails(&got.json).len(), 6);
}

/// `memberships` is empty unless `memberships=WORKSPACE` (or the
/// `memberships_by_default` quirk); workspace status lives there, not in the
/// account `status`.
#[tokio::test]
async fn users_memberships_carry_the_workspace_status() {
    let env = start(WORLD).await;
    let plain = env.ck_get(&users_path("status=INACTIVE")).await;
    let bob = find(&plain.json, "email", "bob@example.com");
    assert_eq!(bob["memberships"], json!([]));
    assert_eq!(bob["status"], "ACTIVE", "account status, not membership");
    let with = env
        .ck_get(&users_path("status=INACTIVE&memberships=WORKSPACE"))
        .await;
    let bob = find(&with.json, "email", "bob@example.com");
    assert_eq!(bob["memberships"][0]["membershipType"], "WORKSPACE");
    assert_eq!(bob["memberships"][0]["targetId"], WS);
    assert_eq!(bob["memberships"][0]["membershipStatus"], "INACTIVE");
    assert!(bob.as_object().is_some_and(|o| o.contains_key("settings")));

    let env = start(&world_with(
        "  key_owner: owner@example.com\n  users:",
        "  key_owner: owner@example.com\n  quirks: { memberships_by_default: true }\n  users:",
    ))
    .await;
    let plain = env.ck_get(&users_path("status=INACTIVE")).await;
    let bob = find(&plain.json, "email", "bob@example.com");
    assert_eq!(bob["memberships"][0]["membershipStatus"], "INACTIVE");
}

/// The `email` filter is a case-insensitive substring match, not exact.
#[tokio::test]
async fn users_email_filter_is_a_substring() {
    let env = start(WORLD).await;
    let got = env.ck_get(&users_path("status=ALL&email=OB@EXAMPLE")).await;
    assert_eq!(emails(&got.json), ["bob@example.com"]);
    let got = env.ck_get(&users_path("status=ALL&email=a@")).await;
    assert_eq!(emails(&got.json), ["ada@example.com"]);
}

/// Bad paging and enum parameters get 400 with the documented codes.
#[tokio::test]
async fn users_bad_parameters() {
    let env = start(WORLD).await;
    let big = env.ck_get(&users_path("page-size=5001")).await;
    assert_eq!(big.status, StatusCode::BAD_REQUEST);
    assert_eq!(big.json["code"], 501);
    assert_eq!(
        big.json["message"],
        "Page size cannot be larger than 5,000."
    );
    let ok = env.ck_get(&users_path("page-size=5000")).await;
    assert_eq!(ok.status, StatusCode::OK);
    let nan = env.ck_get(&users_path("page-size=abc")).await;
    assert_eq!(nan.status, StatusCode::BAD_REQUEST);
    assert_eq!(nan.json["code"], 3000);
    let status = env.ck_get(&users_path("status=active")).await;
    assert_eq!(status.status, StatusCode::BAD_REQUEST);
    assert_eq!(status.json["code"], 3000);
}

/// `GET /v1/user` returns the key owner.
#[tokio::test]
async fn key_owner() {
    let env = start(WORLD).await;
    let got = env.ck_get("/v1/user").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json["email"], "owner@example.com");
    assert_eq!(got.json["id"], env.ck_user("owner@example.com").await);
}

/// Exactly one auth header: none, two or a Bearer give 401/1000; an unknown
/// key 401/4003; an add-on token 401/4017.
#[tokio::test]
async fn auth_failures() {
    let env = start(WORLD).await;
    let path = format!("/api/v1/workspaces/{WS}/users");
    let cases: [(&[(&str, &str)], u32); 5] = [
        (&[], 1000),
        (
            &[
                ("X-Api-Key", "sandbox-clockify-key"),
                ("X-Addon-Token", "t"),
            ],
            1000,
        ),
        (&[("Authorization", "Bearer sandbox-clockify-key")], 1000),
        (&[("X-Api-Key", "wrong")], 4003),
        (&[("X-Addon-Token", "t")], 4017),
    ];
    for (headers, code) in cases {
        let got = env.call(Method::GET, &path, headers, None).await;
        assert_eq!(got.status, StatusCode::UNAUTHORIZED, "{headers:?}");
        assert_eq!(got.json["code"], code, "{headers:?}");
        assert!(got.json["message"].is_string());
    }
    // The Connecteam key is not a Clockify key.
    let got = env
        .call(
            Method::GET,
            &path,
            &[("X-Api-Key", "sandbox-connecteam-key")],
            None,
        )
        .await;
    assert_eq!(got.json["code"], 4003);
}

/// Another workspace id is 403, an unknown route 404/3000, a wrong verb 405/3000.
#[tokio::test]
async fn routing_errors() {
    let env = start(WORLD).await;
    let other = env
        .ck_get("/v1/workspaces/000000000000000000000000/users")
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let unknown = env.ck_get(&format!("/v1/workspaces/{WS}/balance/x")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json["code"], 3000);
    let verb = env
        .ck(Method::DELETE, &format!("/v1/workspaces/{WS}/users"), None)
        .await;
    assert_eq!(verb.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(verb.json["code"], 3000);
}

/// The status PUT changes the membership and returns the whole workspace
/// object; its errors: self-deactivation 403, unknown id 400/501, bad enum
/// 400/3002, missing status 400/501, unreadable JSON 400/3002, a pending
/// member 400.
#[tokio::test]
async fn user_status_put() {
    let env = start(WORLD).await;
    let ada = env.ck_user("ada@example.com").await;
    let path = format!("/v1/workspaces/{WS}/users/{ada}");
    let got = env
        .ck(Method::PUT, &path, Some(json!({"status": "INACTIVE"})))
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json["id"], WS);
    assert!(got.json["featureSubscriptionType"].is_string());
    let m = find(&got.json["memberships"], "userId", &ada);
    assert_eq!(m["membershipStatus"], "INACTIVE");
    let inactive = env.ck_get(&users_path("status=INACTIVE")).await;
    assert!(emails(&inactive.json).contains(&"ada@example.com".to_owned()));

    let owner = env.ck_user("owner@example.com").await;
    let me = env
        .ck(
            Method::PUT,
            &format!("/v1/workspaces/{WS}/users/{owner}"),
            Some(json!({"status": "INACTIVE"})),
        )
        .await;
    assert_eq!(me.status, StatusCode::FORBIDDEN);

    let unknown = env
        .ck(
            Method::PUT,
            &format!("/v1/workspaces/{WS}/users/ffffffffffffffffffffffff"),
            Some(json!({"status": "ACTIVE"})),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.json["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(501))
    );

    let lower = env
        .ck(Method::PUT, &path, Some(json!({"status": "active"})))
        .await;
    assert_eq!(lower.json["code"], 3002);
    let wrong_key = env
        .ck(
            Method::PUT,
            &path,
            Some(json!({"membershipStatus": "ACTIVE"})),
        )
        .await;
    assert_eq!(wrong_key.json["code"], 501);
    assert_eq!(wrong_key.json["message"], "must not be null");
    let garbage = env
        .call(
            Method::PUT,
            &format!("/api{path}"),
            &[("X-Api-Key", "sandbox-clockify-key")],
            Some(Body::Raw("{not json".to_owned())),
        )
        .await;
    assert_eq!(
        (garbage.status, garbage.json["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(3002))
    );

    let eve = env.ck_user("eve@example.com").await;
    let pending = env
        .ck(
            Method::PUT,
            &format!("/v1/workspaces/{WS}/users/{eve}"),
            Some(json!({"status": "ACTIVE"})),
        )
        .await;
    assert_eq!(pending.status, StatusCode::BAD_REQUEST);
}

/// Policies: a bare array with `Last-Page`, at most 200 a page, the `status`
/// filter, and no `hasExpiration` on read; an unknown id is 400/501.
#[tokio::test]
async fn policies_list_and_get() {
    let env = start(WORLD).await;
    let base = format!("/v1/workspaces/{WS}/time-off/policies");
    let p1 = env.ck_get(&format!("{base}?page=1&page-size=2")).await;
    assert_eq!(p1.header("last-page"), Some("false"));
    assert_eq!(p1.json.as_array().map(Vec::len), Some(2));
    let p2 = env.ck_get(&format!("{base}?page=2&page-size=2")).await;
    assert_eq!(p2.header("last-page"), Some("true"));
    assert_eq!(p2.json.as_array().map(Vec::len), Some(1));
    let active = env.ck_get(&format!("{base}?status=ACTIVE")).await;
    assert_eq!(active.json.as_array().map(Vec::len), Some(2));
    let too_big = env.ck_get(&format!("{base}?page-size=201")).await;
    assert_eq!(too_big.status, StatusCode::BAD_REQUEST);
    let too_far = env.ck_get(&format!("{base}?page=1001")).await;
    assert_eq!(too_far.status, StatusCode::BAD_REQUEST);

    let vacation = find(&p1.json, "name", "Vacation");
    assert_eq!(vacation["timeUnit"], "DAYS");
    assert!(vacation.get("hasExpiration").is_none());
    assert_eq!(vacation["userIds"].as_array().map(Vec::len), Some(3));
    let id = vacation["id"].as_str().unwrap_or_default();
    let one = env.ck_get(&format!("{base}/{id}")).await;
    assert_eq!(one.json, *vacation);
    let unknown = env
        .ck_get(&format!("{base}/ffffffffffffffffffffffff"))
        .await;
    assert_eq!(
        (unknown.status, unknown.json["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(501))
    );
}

fn policy_body(users: &[String]) -> Value {
    json!({
        "name": "Vacation", "allowHalfDay": true, "allowNegativeBalance": false,
        "archived": false, "everyoneIncludingNew": false, "hasExpiration": false,
        "approve": {"requiresApproval": true, "teamManagers": false, "specificMembers": false, "userIds": []},
        "users": {"contains": "CONTAINS", "ids": users, "status": "ACTIVE"},
        "userGroups": {"contains": "CONTAINS", "ids": [], "status": "ACTIVE"},
    })
}

/// Policy PUT is a full replace: `users` written as `{contains, ids,
/// status}` reads back as flat `userIds`, omitted optional fields become
/// null, a missing required field is 400 "must not be null", and the
/// `hasExpiration` sent is kept (a flip is counted in the state).
#[tokio::test]
async fn policy_put_full_replace() {
    let env = start(WORLD).await;
    let sick = env.ck_policy("Sick").await;
    let ada = env.ck_user("ada@example.com").await;
    let dee = env.ck_user("dee@example.com").await;
    let path = format!("/v1/workspaces/{WS}/time-off/policies/{sick}");
    let before = env.ck_get(&path).await;
    assert!(before.json["automaticTimeEntryCreation"].is_object());

    let mut body = policy_body(&[ada.clone(), dee.clone()]);
    body["name"] = json!("Sick");
    let got = env.ck(Method::PUT, &path, Some(body.clone())).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.json["userIds"], json!([ada, dee]));
    assert!(got.json.get("users").is_none());
    assert!(got.json.get("hasExpiration").is_none());
    assert_eq!(
        got.json["automaticTimeEntryCreation"],
        Value::Null,
        "replaced"
    );
    let state = env.state().await;
    let p = find(&state["clockify"]["policies"], "name", "Sick");
    assert_eq!(p["has_expiration"], false);
    assert_eq!(p["expiration_flips"], 1);
    // dee now has a balance row on the policy.
    let rows = env
        .ck_get(&format!(
            "/v1/workspaces/{WS}/time-off/balance/policy/{sick}"
        ))
        .await;
    assert_eq!(rows.json["count"], 2);

    for missing in ["hasExpiration", "users", "approve", "name"] {
        let mut b = body.clone();
        b.as_object_mut().map(|o| o.remove(missing));
        let got = env.ck(Method::PUT, &path, Some(b)).await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{missing}");
        assert_eq!(got.json["message"], "must not be null", "{missing}");
    }
    // The read shape is not the write shape.
    let mut flat = body.clone();
    flat.as_object_mut().map(|o| o.remove("users"));
    flat["userIds"] = json!([ada]);
    let got = env.ck(Method::PUT, &path, Some(flat)).await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);

    let mut stranger = body.clone();
    stranger["users"]["ids"] = json!(["ffffffffffffffffffffffff"]);
    let got = env.ck(Method::PUT, &path, Some(stranger)).await;
    assert_eq!(
        (got.status, got.json["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(501))
    );
    let mut wrong_type = body;
    wrong_type["archived"] = json!("no");
    let got = env.ck(Method::PUT, &path, Some(wrong_type)).await;
    assert_eq!(got.json["code"], 3002);
}

/// Balances by policy and by user are `{count, balances}` envelopes with
/// `Last-Page`; `count` is the total across pages.
#[tokio::test]
async fn balances_envelopes_and_paging() {
    let env = start(WORLD).await;
    let vacation = env.ck_policy("Vacation").await;
    let base = format!("/v1/workspaces/{WS}/time-off/balance/policy/{vacation}");
    let p1 = env.ck_get(&format!("{base}?page=1&page-size=2")).await;
    assert_eq!(p1.json["count"], 3);
    assert_eq!(p1.json["balances"].as_array().map(Vec::len), Some(2));
    assert_eq!(p1.header("last-page"), Some("false"));
    let p2 = env.ck_get(&format!("{base}?page=2&page-size=2")).await;
    assert_eq!(p2.json["balances"].as_array().map(Vec::len), Some(1));
    assert_eq!(p2.header("last-page"), Some("true"));
    let p3 = env.ck_get(&format!("{base}?page=3&page-size=2")).await;
    assert_eq!(p3.json["balances"], json!([]));
    assert_eq!(p3.json["count"], 3);
    assert_eq!(p3.header("last-page"), Some("true"));
    let too_big = env.ck_get(&format!("{base}?page-size=201")).await;
    assert_eq!(too_big.status, StatusCode::BAD_REQUEST);

    // Official example relation by default: total = balance - used.
    let cy = find(&p2.json["balances"], "userName", "Cy Young");
    assert_eq!(
        (
            cy["balance"].as_f64(),
            cy["total"].as_f64(),
            cy["used"].as_f64()
        ),
        (Some(20.0), Some(18.0), Some(2.0))
    );
    assert_eq!(cy["policyTimeUnit"], "DAYS");
    assert!(cy.get("negativeBalanceUsed").is_some());

    let ada = env.ck_user("ada@example.com").await;
    let by_user = env
        .ck_get(&format!("/v1/workspaces/{WS}/time-off/balance/user/{ada}"))
        .await;
    assert_eq!(by_user.json["count"], 2);
    assert_eq!(by_user.header("last-page"), Some("true"));
    let unknown = env
        .ck_get(&format!(
            "/v1/workspaces/{WS}/time-off/balance/policy/ffffffffffffffffffffffff"
        ))
        .await;
    assert_eq!(
        (unknown.status, unknown.json["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(501))
    );
}

/// With `balance_fields: accrued_in_total`, `balance = total - used`.
#[tokio::test]
async fn balance_fields_quirk() {
    let env = start(&world_with(
        "  key_owner: owner@example.com\n  users:",
        "  key_owner: owner@example.com\n  quirks: { balance_fields: accrued_in_total }\n  users:",
    ))
    .await;
    let cy = env.ck_user("cy@example.com").await;
    let got = env
        .ck_get(&format!("/v1/workspaces/{WS}/time-off/balance/user/{cy}"))
        .await;
    let row = &got.json["balances"][0];
    assert_eq!(
        (row["balance"].as_f64(), row["total"].as_f64()),
        (Some(18.0), Some(20.0))
    );
}

async fn patch_twice(yaml: &str, value: f64) -> (StatusCode, String, f64) {
    let env = start(yaml).await;
    let vacation = env.ck_policy("Vacation").await;
    let ada = env.ck_user("ada@example.com").await;
    let path = format!("/v1/workspaces/{WS}/time-off/balance/policy/{vacation}");
    let body = json!({"userIds": [ada.clone()], "value": value, "note": "sync"});
    let first = env.ck(Method::PATCH, &path, Some(body.clone())).await;
    let second = env.ck(Method::PATCH, &path, Some(body)).await;
    assert_eq!(first.status, second.status);
    let row = env
        .ck_get(&format!("/v1/workspaces/{WS}/time-off/balance/user/{ada}"))
        .await;
    let balance = find(&row.json["balances"], "policyName", "Vacation")["balance"]
        .as_f64()
        .unwrap_or(f64::NAN);
    (first.status, first.text, balance)
}

/// Balance PATCH answers 204 with no body and, by default, adds: two equal
/// PATCHes credit twice.
#[tokio::test]
async fn balance_patch_adds_by_default() {
    let (status, text, balance) = patch_twice(WORLD, 2.0).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(text, "");
    assert_eq!(balance, 16.0);
}

/// With `balance_patch: set`, the PATCH sets: two equal PATCHes leave the value.
#[tokio::test]
async fn balance_patch_sets_with_the_quirk() {
    let yaml = world_with(
        "  key_owner: owner@example.com\n  users:",
        "  key_owner: owner@example.com\n  quirks: { balance_patch: set }\n  users:",
    );
    let (status, _, balance) = patch_twice(&yaml, 7.0).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(balance, 7.0);
}

/// PATCH validation: required fields, an empty list, the ±10000 range,
/// unknown users, and members without a row (rejected by default, created
/// with `patch_unassigned: create`). Nothing is written when one id fails.
#[tokio::test]
async fn balance_patch_errors() {
    let env = start(WORLD).await;
    let vacation = env.ck_policy("Vacation").await;
    let ada = env.ck_user("ada@example.com").await;
    let dee = env.ck_user("dee@example.com").await;
    let path = format!("/v1/workspaces/{WS}/time-off/balance/policy/{vacation}");
    let cases = [
        (json!({"value": 1}), 501),
        (json!({"userIds": [ada]}), 501),
        (json!({"userIds": [], "value": 1}), 501),
        (json!({"userIds": [ada], "value": 10001}), 501),
        (json!({"userIds": [ada], "value": -10001}), 501),
        (json!({"userIds": [ada], "value": "1"}), 3002),
        (
            json!({"userIds": [ada, "ffffffffffffffffffffffff"], "value": 1}),
            501,
        ),
        (json!({"userIds": [ada, dee], "value": 1}), 501),
    ];
    for (body, code) in cases {
        let got = env.ck(Method::PATCH, &path, Some(body.clone())).await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(got.json["code"], code, "{body}");
    }
    let state = env.state().await;
    let row = find(&state["clockify"]["balances"], "email", "ada@example.com");
    assert_eq!(row["accrued"], 12.0, "nothing written");

    let env = start(&world_with(
        "  key_owner: owner@example.com\n  users:",
        "  key_owner: owner@example.com\n  quirks: { patch_unassigned: create }\n  users:",
    ))
    .await;
    let got = env
        .ck(
            Method::PATCH,
            &path,
            Some(json!({"userIds": [dee], "value": 5})),
        )
        .await;
    assert_eq!(got.status, StatusCode::NO_CONTENT);
    let rows = env.ck_get(&format!("{path}?page-size=10")).await;
    assert_eq!(rows.json["count"], 4);
}

/// Ids are generated the vendor's way (24 lowercase hex digits) and are the
/// same for the same seed.
#[tokio::test]
async fn ids_are_stable_hex() {
    let a = start(WORLD).await.state().await;
    let b = start(WORLD).await.state().await;
    assert_eq!(a, b);
    for u in a["clockify"]["users"].as_array().into_iter().flatten() {
        let id = u["id"].as_str().unwrap_or_default();
        assert!(
            id.len() == 24
                && id
                    .bytes()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
            "{id}"
        );
    }
    assert!(a["connecteam"]["users"][0]["id"].is_u64());
}
