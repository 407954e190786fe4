//! The emulated Connecteam API, written from `api/connecteam.md`, Connecteam's
//! OpenAPI document and the vendor pages in `seeds/`: the only module that
//! knows Connecteam's paths, query parameters, JSON field names and errors.
//!
//! Served at the root of the sandbox (a client's base URL is the sandbox's):
//!
//! | method | path | |
//! |---|---|---|
//! | GET | `/me` | company name and id |
//! | GET, PUT | `/users/v1/users` | list (limit ≤ 500); archive/restore (≤ 25) |
//! | GET | `/time-off/v1/policy-types` | types and their policies |
//! | GET | `/time-off/v1/policy-types/{ptId}/balances` | limit ≤ 100 |
//! | PUT | `/time-off/v1/policy-types/{ptId}/balances/{userId}` | absolute |
//! | PUT | `/time-off/v1/time-off-policies/{policyId}/assignments` | assign or move |
//! | GET, POST | `/time-off/v1/requests` | list (limit ≤ 100, ≤ 365 days); create |
//! | PUT | `/time-off/v1/requests/{id}` | update; no DELETE |
//!
//! Success bodies are `{requestId, data[, paging]}`. Validation errors are
//! FastAPI's 422 `{"detail": [{loc, msg, type}]}` (pydantic v1 wording, as the
//! vendor pages show); domain errors are `{"detail": "..."}`. Array query
//! parameters repeat their key.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::exchange::{Call, Reply};
use super::state::{ConnecteamWorld, World};

mod body;
mod policies;
mod query;
mod replies;
mod requests;
mod users;

use policies::{list_balances, policy_types, put_assignment, put_balance};
use replies::{detail, envelope};
pub(crate) use replies::{rate_headers, server_error, throttled, throttled_200, too_large};
use requests::{create_request, list_requests, update_request};
use users::{list_users, put_users};

// ------------------------------------------------------------------ routing --

enum Route<'a> {
    Me,
    Users,
    PolicyTypes,
    Balances(&'a str),
    Balance(&'a str, &'a str),
    Assignments(&'a str),
    Requests,
    Request(&'a str),
}

impl Route<'_> {
    fn allows(&self, m: &Method) -> bool {
        match self {
            Route::Me | Route::PolicyTypes | Route::Balances(_) => m == Method::GET,
            Route::Users => m == Method::GET || m == Method::PUT,
            Route::Balance(..) | Route::Assignments(_) | Route::Request(_) => m == Method::PUT,
            Route::Requests => m == Method::GET || m == Method::POST,
        }
    }
}

fn route<'a>(s: &[&'a str]) -> Option<Route<'a>> {
    Some(match s {
        ["me"] => Route::Me,
        ["users", "v1", "users"] => Route::Users,
        ["time-off", "v1", "policy-types"] => Route::PolicyTypes,
        ["time-off", "v1", "policy-types", pt, "balances"] => Route::Balances(pt),
        ["time-off", "v1", "policy-types", pt, "balances", user] => Route::Balance(pt, user),
        ["time-off", "v1", "time-off-policies", p, "assignments"] => Route::Assignments(p),
        ["time-off", "v1", "requests"] => Route::Requests,
        ["time-off", "v1", "requests", id] => Route::Request(id),
        _ => return None,
    })
}

/// Answer one Connecteam request.
pub(crate) fn handle(world: &mut World, call: &Call<'_>) -> Reply {
    // FastAPI matches the route before running the security dependency.
    let Some(route) = route(&call.segments) else {
        return detail(StatusCode::NOT_FOUND, "Not Found");
    };
    if !route.allows(call.method) {
        return detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    }
    let Some(key) = call.header("x-api-key").filter(|k| !k.is_empty()) else {
        return detail(StatusCode::UNAUTHORIZED, "Not authenticated");
    };
    if world.connecteam.as_ref().is_none_or(|c| c.api_key != key) {
        return detail(StatusCode::UNAUTHORIZED, "Invalid API key");
    }
    let result = match route {
        Route::Me => Ok(me(world)),
        Route::Users if call.method == Method::GET => list_users(world, call),
        Route::Users => put_users(world, call),
        Route::PolicyTypes => Ok(policy_types(world)),
        Route::Balances(pt) => list_balances(world, pt, call),
        Route::Balance(pt, user) => put_balance(world, pt, user, call),
        Route::Assignments(p) => put_assignment(world, p, call),
        Route::Requests if call.method == Method::GET => list_requests(world, call),
        Route::Requests => create_request(world, call),
        Route::Request(id) => update_request(world, id, call),
    };
    result.unwrap_or_else(|reply| reply)
}

type Answer = Result<Reply, Reply>;

/// The account; `handle` checked the key, so it exists.
fn account(world: &mut World) -> Result<&mut ConnecteamWorld, Reply> {
    world
        .connecteam
        .as_mut()
        .ok_or_else(|| detail(StatusCode::UNAUTHORIZED, "Invalid API key"))
}

fn me(world: &mut World) -> Reply {
    let data = world
        .connecteam
        .as_ref()
        .map(|c| json!({"companyName": c.company_name, "companyId": c.company_id}))
        .unwrap_or(Value::Null);
    envelope(world, data, None)
}
