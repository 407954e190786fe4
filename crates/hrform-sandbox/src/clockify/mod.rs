//! The emulated Clockify API, written from `api/clockify.md` and Clockify's
//! OpenAPI document: the only module that knows Clockify's paths, query
//! parameters, JSON field names and error codes.
//!
//! Served under `/api`, so a client's base URL is `{sandbox}/api` and its
//! paths start with `/v1/...`:
//!
//! | method | path | |
//! |---|---|---|
//! | GET | `/v1/user` | the key owner |
//! | GET | `/v1/workspaces` | the key's workspaces: a bare array, not paged |
//! | GET | `/v1/workspaces/{ws}/users` | bare array, `Last-Page` |
//! | PUT | `/v1/workspaces/{ws}/users/{id}` | `{status}` → the workspace |
//! | GET | `/v1/workspaces/{ws}/time-off/policies` | bare array, `Last-Page` |
//! | GET, PUT | `/v1/workspaces/{ws}/time-off/policies/{id}` | PUT is a full replace |
//! | GET, PATCH | `/v1/workspaces/{ws}/time-off/balance/policy/{id}` | `{count, balances}`; PATCH 204 |
//! | GET | `/v1/workspaces/{ws}/time-off/balance/user/{id}` | `{count, balances}` |
//!
//! Errors are `{"message", "code"}` with the codes of `api/clockify.md` §4:
//! 400/501 for an unknown id or a rule, 400/3002 for unreadable JSON, 400/3000
//! for a bad query parameter, 404/3000 for an unknown route, 405/3000 for a
//! wrong verb, 401 with 1000/4003/4017 for auth, 403 for another workspace or
//! self-deactivation. A 429 has an empty body and no `Retry-After`.

use axum::http::{Method, StatusCode};

use super::exchange::{Call, Reply};
use super::state::World;

mod balances;
mod params;
mod policies;
mod replies;
mod users;

use balances::{balances_of_policy, balances_of_user, patch_balance};
use policies::{get_policy, list_policies, put_policy};
use replies::error;
pub(crate) use replies::{server_error, throttled, too_large};
use users::{get_me, list_users, put_user_status};

// ------------------------------------------------------------------ routing --

enum Route<'a> {
    Me,
    Workspaces,
    Users,
    User(&'a str),
    Policies,
    Policy(&'a str),
    BalancePolicy(&'a str),
    BalanceUser(&'a str),
}

impl Route<'_> {
    fn allows(&self, m: &Method) -> bool {
        match self {
            Route::Me
            | Route::Workspaces
            | Route::Users
            | Route::Policies
            | Route::BalanceUser(_) => m == Method::GET,
            Route::User(_) => m == Method::PUT,
            Route::Policy(_) => m == Method::GET || m == Method::PUT,
            Route::BalancePolicy(_) => m == Method::GET || m == Method::PATCH,
        }
    }
}

/// (workspace id, route) for the segments after `/api`.
fn route<'a>(s: &[&'a str]) -> Option<(Option<&'a str>, Route<'a>)> {
    match s {
        ["v1", "user"] => Some((None, Route::Me)),
        ["v1", "workspaces"] => Some((None, Route::Workspaces)),
        ["v1", "workspaces", ws, rest @ ..] => {
            let r = match rest {
                ["users"] => Route::Users,
                ["users", id] => Route::User(id),
                ["time-off", "policies"] => Route::Policies,
                ["time-off", "policies", id] => Route::Policy(id),
                ["time-off", "balance", "policy", id] => Route::BalancePolicy(id),
                ["time-off", "balance", "user", id] => Route::BalanceUser(id),
                _ => return None,
            };
            Some((Some(*ws), r))
        }
        _ => None,
    }
}

/// Answer one Clockify request.
pub(crate) fn handle(world: &mut World, call: &Call<'_>) -> Reply {
    // Auth comes first, as Clockify's security filter runs before routing.
    let api_key = call.header("x-api-key");
    let addon = call.header("x-addon-token");
    let bearer = call.headers.get("authorization");
    let tokens = usize::from(api_key.is_some())
        + usize::from(addon.is_some())
        + usize::from(bearer.is_some());
    if tokens != 1 || bearer.is_some() {
        return error(
            StatusCode::UNAUTHORIZED,
            "Multiple or none auth tokens present",
            1000,
        );
    }
    if addon.is_some() {
        return error(StatusCode::UNAUTHORIZED, "Token is not valid", 4017);
    }
    let Some(c) = world
        .clockify
        .as_mut()
        .filter(|c| Some(c.api_key.as_str()) == api_key)
    else {
        return error(StatusCode::UNAUTHORIZED, "Api key does not exist", 4003);
    };

    let Some((ws, route)) = route(&call.segments) else {
        let resource = call.path.trim_start_matches("/api/");
        return error(
            StatusCode::NOT_FOUND,
            format!("No static resource {resource}."),
            3000,
        );
    };
    if !route.allows(call.method) {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("Request method '{}' is not supported", call.method),
            3000,
        );
    }
    if let Some(ws) = ws
        && ws != c.workspace_id
    {
        return error(StatusCode::FORBIDDEN, "Access Denied", 501);
    }
    let result = match route {
        Route::Me => get_me(c, call),
        // The one workspace of the world is the key's only one.
        Route::Workspaces => Ok(Reply::json(
            StatusCode::OK,
            serde_json::Value::Array(vec![users::workspace_json(c)]),
        )),
        Route::Users => list_users(c, call),
        Route::User(id) => put_user_status(c, id, call),
        Route::Policies => list_policies(c, call),
        Route::Policy(id) if call.method == Method::GET => get_policy(c, id),
        Route::Policy(id) => put_policy(c, id, call),
        Route::BalancePolicy(id) if call.method == Method::GET => balances_of_policy(c, id, call),
        Route::BalancePolicy(id) => patch_balance(c, id, call),
        Route::BalanceUser(id) => balances_of_user(c, id, call),
    };
    result.unwrap_or_else(|reply| reply)
}

type Answer = Result<Reply, Reply>;
