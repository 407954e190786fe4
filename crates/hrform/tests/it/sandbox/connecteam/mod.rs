//! Connecteam endpoints (`api/connecteam.md`, `seeds/`): envelopes,
//! limit/offset paging and its maxima, repeated-key arrays, FastAPI 422s and
//! `{"detail"}` errors, archive rules, balances, assignments and requests.
//! Here: users, auth and archiving, and the shared helpers; `time_off`
//! holds policy types, balances and assignments, `requests` the requests.

mod requests;
mod time_off;

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
