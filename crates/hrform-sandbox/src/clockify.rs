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
use serde_json::{Map, Value, json};

use super::exchange::{Call, Reply};
use super::seed::{
    BalancePatch, ClockifyAccountStatus, ClockifyMembershipStatus, PatchUnassigned,
    UsersDefaultStatus,
};
use super::state::{CBalance, CPolicy, CUser, ClockifyWorld, World, hex24, time_unit_wire};

// ------------------------------------------------------------ error bodies --

fn error(status: StatusCode, message: impl Into<String>, code: u32) -> Reply {
    Reply::json(status, json!({"message": message.into(), "code": code}))
}

fn bad_request(message: impl Into<String>) -> Reply {
    error(StatusCode::BAD_REQUEST, message, 501)
}

fn parse_error(detail: impl std::fmt::Display) -> Reply {
    error(
        StatusCode::BAD_REQUEST,
        format!("JSON parse error: {detail}"),
        3002,
    )
}

fn not_in_workspace(what: &str) -> Reply {
    bad_request(format!("{what} doesn't belong to Workspace"))
}

fn must_not_be_null() -> Reply {
    bad_request("must not be null")
}

/// A 429 as Clockify's CDN sends it: no body, no `Retry-After`.
pub(crate) fn throttled() -> Reply {
    Reply::empty(StatusCode::TOO_MANY_REQUESTS).header("x-cache", "Error from cloudfront")
}

/// A 5xx: the application's JSON for 500, the gateway's empty page otherwise.
pub(crate) fn server_error(status: u16) -> Reply {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        error(status, "Internal server error", 500)
    } else {
        Reply::empty(status).header("x-cache", "Error from cloudfront")
    }
}

/// A body over 1 MiB.
pub(crate) fn too_large() -> Reply {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Maximum upload size exceeded",
        3000,
    )
}

// ------------------------------------------------------------------ routing --

enum Route<'a> {
    Me,
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
            Route::Me | Route::Users | Route::Policies | Route::BalanceUser(_) => m == Method::GET,
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

// ---------------------------------------------------------- query helpers --

fn convert_error(value: &str, java_type: &str) -> Reply {
    error(
        StatusCode::BAD_REQUEST,
        format!(
            "Failed to convert value of type 'java.lang.String' to required type '{java_type}'; \
             For input string: \"{value}\""
        ),
        3000,
    )
}

fn int_param(call: &Call<'_>, name: &str) -> Result<Option<i64>, Reply> {
    match call.one(name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<i32>()
            .map(|n| Some(i64::from(n)))
            .map_err(|_| convert_error(v, "int")),
    }
}

fn enum_param<'c>(
    call: &'c Call<'_>,
    name: &str,
    java_type: &str,
    allowed: &[&str],
) -> Result<Option<&'c str>, Reply> {
    match call.one(name) {
        None => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v)),
        Some(v) => Err(convert_error(v, java_type)),
    }
}

/// `page` and `page-size`, 1-based; `page` ≤ 0 silently means 1.
fn paging(call: &Call<'_>, max_page: Option<i64>, max_size: i64) -> Result<(usize, usize), Reply> {
    let page = int_param(call, "page")?.unwrap_or(1).max(1);
    if let Some(max) = max_page
        && page > max
    {
        return Err(bad_request(format!("must be less than or equal to {max}")));
    }
    let size = int_param(call, "page-size")?.unwrap_or(50);
    if size < 1 {
        return Err(bad_request("must be greater than or equal to 1"));
    }
    if size > max_size {
        return Err(bad_request(if max_size == 5000 {
            "Page size cannot be larger than 5,000.".to_owned()
        } else {
            format!("must be less than or equal to {max_size}")
        }));
    }
    Ok((
        usize::try_from(page).unwrap_or(1),
        usize::try_from(size).unwrap_or(50),
    ))
}

/// One page of `items` and whether it is the last.
fn page_of<T>(items: &[T], page: usize, size: usize) -> (&[T], bool) {
    let start = (page - 1).saturating_mul(size);
    if start >= items.len() {
        return (&[], true);
    }
    let end = start.saturating_add(size).min(items.len());
    (&items[start..end], end >= items.len())
}

fn list_reply(items: Vec<Value>, last: bool) -> Reply {
    Reply::json(StatusCode::OK, Value::Array(items)).header("last-page", last.to_string())
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

// ------------------------------------------------------------------- users --

fn membership_wire(s: ClockifyMembershipStatus) -> &'static str {
    match s {
        ClockifyMembershipStatus::Active => "ACTIVE",
        ClockifyMembershipStatus::Inactive => "INACTIVE",
        ClockifyMembershipStatus::Pending => "PENDING",
        ClockifyMembershipStatus::Declined => "DECLINED",
    }
}

fn account_wire(s: ClockifyAccountStatus) -> &'static str {
    match s {
        ClockifyAccountStatus::Active => "ACTIVE",
        ClockifyAccountStatus::PendingEmailVerification => "PENDING_EMAIL_VERIFICATION",
        ClockifyAccountStatus::NotRegistered => "NOT_REGISTERED",
        ClockifyAccountStatus::Limited => "LIMITED",
        ClockifyAccountStatus::Deleted => "DELETED",
        ClockifyAccountStatus::LimitedDeleted => "LIMITED_DELETED",
    }
}

fn membership_json(ws: &str, u: &CUser) -> Value {
    json!({
        "userId": u.id,
        "targetId": ws,
        "membershipType": "WORKSPACE",
        "membershipStatus": membership_wire(u.membership),
        "hourlyRate": null,
        "costRate": null,
    })
}

fn user_json(c: &ClockifyWorld, u: &CUser, memberships: bool) -> Value {
    let settings = if u.account == ClockifyAccountStatus::NotRegistered {
        Value::Null
    } else {
        json!({
            "weekStart": "MONDAY",
            "timeZone": "UTC",
            "timeFormat": "HOUR24",
            "dateFormat": "YYYY-MM-DD",
        })
    };
    json!({
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "status": account_wire(u.account),
        "activeWorkspace": c.workspace_id,
        "defaultWorkspace": c.workspace_id,
        "profilePicture": "https://img.clockify.me/no-user-image.png",
        "customFields": [],
        "settings": settings,
        "memberships": if memberships { vec![membership_json(&c.workspace_id, u)] } else { Vec::new() },
    })
}

fn get_me(c: &ClockifyWorld, call: &Call<'_>) -> Answer {
    let with = call.one("include-memberships") == Some("true");
    let owner = c
        .users
        .get(c.owner)
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "Api key does not exist", 4003))?;
    Ok(Reply::json(StatusCode::OK, user_json(c, owner, with)))
}

const ACCOUNT_STATUSES: [&str; 6] = [
    "ACTIVE",
    "PENDING_EMAIL_VERIFICATION",
    "DELETED",
    "NOT_REGISTERED",
    "LIMITED",
    "LIMITED_DELETED",
];

fn list_users(c: &ClockifyWorld, call: &Call<'_>) -> Answer {
    let (page, size) = paging(call, None, 5000)?;
    let status = enum_param(
        call,
        "status",
        "MembershipStatus",
        &["PENDING", "ACTIVE", "DECLINED", "INACTIVE", "ALL"],
    )?
    .unwrap_or(match c.quirks.users_default_status {
        UsersDefaultStatus::Active => "ACTIVE",
        UsersDefaultStatus::All => "ALL",
    });
    let accounts: Vec<&str> = match call.one("account-statuses") {
        None => vec!["ACTIVE", "PENDING_EMAIL_VERIFICATION", "NOT_REGISTERED"],
        Some(list) => {
            let mut out = Vec::new();
            for a in list.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                match ACCOUNT_STATUSES.iter().find(|s| **s == a) {
                    Some(s) => out.push(*s),
                    None => return Err(convert_error(a, "AccountStatus")),
                }
            }
            out
        }
    };
    let memberships = enum_param(
        call,
        "memberships",
        "MembershipsFilter",
        &["ALL", "NONE", "WORKSPACE", "PROJECT", "USERGROUP"],
    )?;
    let with_memberships = match memberships {
        Some("ALL" | "WORKSPACE") => true,
        Some(_) => false,
        None => c.quirks.memberships_by_default,
    };
    let sort = enum_param(
        call,
        "sort-column",
        "UserSortColumn",
        &[
            "ID",
            "EMAIL",
            "NAME",
            "NAME_LOWERCASE",
            "ACCESS",
            "HOURLYRATE",
            "COSTRATE",
        ],
    )?
    .unwrap_or("EMAIL");
    let descending = enum_param(
        call,
        "sort-order",
        "SortOrder",
        &["ASCENDING", "DESCENDING"],
    )? == Some("DESCENDING");
    let email = call.one("email").filter(|e| !e.is_empty());
    let name = call.one("name").filter(|n| !n.is_empty());

    let mut matched: Vec<&CUser> = c
        .users
        .iter()
        .filter(|u| status == "ALL" || membership_wire(u.membership) == status)
        .filter(|u| accounts.contains(&account_wire(u.account)))
        .filter(|u| email.is_none_or(|e| contains_ci(&u.email, e)))
        .filter(|u| name.is_none_or(|n| u.name.as_deref().is_some_and(|un| contains_ci(un, n))))
        .collect();
    match sort {
        "ID" => matched.sort_by(|a, b| a.id.cmp(&b.id)),
        "NAME" => matched.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id))),
        "NAME_LOWERCASE" => {
            matched.sort_by_cached_key(|u| (u.name.as_deref().map(str::to_lowercase), u.id.clone()))
        }
        _ => matched.sort_by(|a, b| a.email.cmp(&b.email).then(a.id.cmp(&b.id))),
    }
    if descending {
        matched.reverse();
    }
    let (items, last) = page_of(&matched, page, size);
    let items = items
        .iter()
        .map(|u| user_json(c, u, with_memberships))
        .collect();
    Ok(list_reply(items, last))
}

fn workspace_json(c: &ClockifyWorld) -> Value {
    let memberships: Vec<Value> = c
        .users
        .iter()
        .map(|u| membership_json(&c.workspace_id, u))
        .collect();
    json!({
        "id": c.workspace_id,
        "name": c.workspace_name,
        "hourlyRate": {"amount": 0, "currency": "USD"},
        "costRate": {"amount": 0, "currency": "USD"},
        "memberships": memberships,
        "workspaceSettings": {
            "timeRoundingInReports": false,
            "onlyAdminsSeeBillableRates": true,
            "onlyAdminsCreateProject": true,
            "adminOnlyPages": [],
        },
        "imageUrl": "",
        "featureSubscriptionType": "STANDARD",
        "features": ["TIME_OFF"],
        "currencies": [{"id": hex24(&format!("currency:{}", c.workspace_id)), "code": "USD", "isDefault": true}],
        "subdomain": {"enabled": false, "name": null},
        "cakeOrganizationId": hex24(&format!("organization:{}", c.workspace_id)),
    })
}

/// Parse a JSON object body the way Jackson does before validation runs.
fn object_body(call: &Call<'_>, java_type: &str) -> Result<Map<String, Value>, Reply> {
    if call.body.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "Required request body is missing",
            3002,
        ));
    }
    let value: Value = serde_json::from_slice(call.body).map_err(parse_error)?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(parse_error(format!(
            "Cannot deserialize value of type `{java_type}` from {} value",
            json_kind(&other)
        ))),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(_) => "Number",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "Object",
    }
}

fn enum_value<'v>(v: &'v Value, java_type: &str, allowed: &[&str]) -> Result<&'v str, Reply> {
    match v.as_str() {
        Some(s) if allowed.contains(&s) => Ok(s),
        _ => Err(parse_error(format!(
            "Cannot deserialize value of type `{java_type}` from {} {v}: not one of the values \
             accepted for Enum class: [{}]",
            json_kind(v),
            allowed.join(", ")
        ))),
    }
}

fn put_user_status(c: &mut ClockifyWorld, id: &str, call: &Call<'_>) -> Answer {
    let body = object_body(call, "UpdateUserStatusRequest")?;
    let status = match body.get("status") {
        None | Some(Value::Null) => return Err(must_not_be_null()),
        Some(v) => enum_value(v, "MembershipStatus", &["ACTIVE", "INACTIVE"])?,
    };
    let &ui = c
        .user_index
        .get(id)
        .ok_or_else(|| not_in_workspace("User"))?;
    if ui == c.owner && status == "INACTIVE" {
        return Err(error(StatusCode::FORBIDDEN, "Access Denied", 501));
    }
    let user = &mut c.users[ui];
    if matches!(
        user.membership,
        ClockifyMembershipStatus::Pending | ClockifyMembershipStatus::Declined
    ) {
        return Err(bad_request("User has not joined the Workspace"));
    }
    user.membership = if status == "ACTIVE" {
        ClockifyMembershipStatus::Active
    } else {
        ClockifyMembershipStatus::Inactive
    };
    Ok(Reply::json(StatusCode::OK, workspace_json(c)).wrote())
}

// ---------------------------------------------------------------- policies --

fn policy_json(c: &ClockifyWorld, p: &CPolicy) -> Value {
    json!({
        "id": p.id,
        "workspaceId": c.workspace_id,
        "name": p.name,
        "timeUnit": time_unit_wire(p.unit),
        "archived": p.archived,
        "allowNegativeBalance": p.allow_negative_balance,
        "negativeBalance": p.negative_balance,
        "allowHalfDay": p.allow_half_day,
        "userIds": p.user_ids,
        "userGroupIds": p.user_group_ids,
        "everyoneIncludingNew": p.everyone_including_new,
        "approve": p.approve,
        "automaticAccrual": p.automatic_accrual,
        "projectId": null,
        "automaticTimeEntryCreation": p.automatic_time_entry_creation,
        "color": p.color,
        "icon": p.icon,
    })
}

fn list_policies(c: &ClockifyWorld, call: &Call<'_>) -> Answer {
    let (page, size) = paging(call, Some(1000), 200)?;
    let status = enum_param(
        call,
        "status",
        "PolicyStatus",
        &["ACTIVE", "ARCHIVED", "ALL"],
    )?
    .unwrap_or("ALL");
    let name = call.one("name").filter(|n| !n.is_empty());
    let descending = call.one("sort-order") == Some("DESCENDING");
    let mut matched: Vec<&CPolicy> = c
        .policies
        .iter()
        .filter(|p| match status {
            "ACTIVE" => !p.archived,
            "ARCHIVED" => p.archived,
            _ => true,
        })
        .filter(|p| name.is_none_or(|n| contains_ci(&p.name, n)))
        .collect();
    if descending {
        matched.reverse();
    }
    let (items, last) = page_of(&matched, page, size);
    Ok(list_reply(
        items.iter().map(|p| policy_json(c, p)).collect(),
        last,
    ))
}

fn policy_index(c: &ClockifyWorld, id: &str) -> Result<usize, Reply> {
    c.policy_index
        .get(id)
        .copied()
        .ok_or_else(|| not_in_workspace("Policy"))
}

fn get_policy(c: &ClockifyWorld, id: &str) -> Answer {
    let pi = policy_index(c, id)?;
    Ok(Reply::json(StatusCode::OK, policy_json(c, &c.policies[pi])))
}

/// Type check of one field, as Jackson does before bean validation.
fn check_type(body: &Map<String, Value>, key: &str, kind: &str) -> Result<(), Reply> {
    let Some(v) = body.get(key) else {
        return Ok(());
    };
    let ok = matches!(
        (kind, v),
        (_, Value::Null)
            | ("boolean", Value::Bool(_))
            | ("String", Value::String(_))
            | ("object", Value::Object(_))
    );
    if ok {
        Ok(())
    } else {
        Err(parse_error(format!(
            "Cannot deserialize value of type `{kind}` from {} value (field \"{key}\")",
            json_kind(v)
        )))
    }
}

/// A `{contains, ids, status}` filter: (contains, ids, status).
fn id_filter(v: &Value, what: &str) -> Result<(bool, Vec<String>, String), Reply> {
    let obj = v.as_object().ok_or_else(|| {
        parse_error(format!(
            "Cannot deserialize value of type `{what}` from {} value",
            json_kind(v)
        ))
    })?;
    let contains = match obj.get("contains") {
        None | Some(Value::Null) => "CONTAINS",
        Some(c) => enum_value(c, "ContainsFilter", &["CONTAINS", "DOES_NOT_CONTAIN"])?,
    };
    let status = match obj.get("status") {
        None | Some(Value::Null) => "ALL",
        Some(s) => enum_value(s, "MembershipStatusFilter", &["ALL", "ACTIVE", "INACTIVE"])?,
    };
    let ids = match obj.get("ids") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                let s = item.as_str().ok_or_else(|| {
                    parse_error(format!(
                        "Cannot deserialize value of type `String` from {} value",
                        json_kind(item)
                    ))
                })?;
                if !ids.iter().any(|x: &String| x == s) {
                    ids.push(s.to_owned());
                }
            }
            ids
        }
        Some(other) => {
            return Err(parse_error(format!(
                "Cannot deserialize value of type `java.util.Set<String>` from {} value",
                json_kind(other)
            )));
        }
    };
    Ok((contains == "CONTAINS", ids, status.to_owned()))
}

fn put_policy(c: &mut ClockifyWorld, id: &str, call: &Call<'_>) -> Answer {
    let body = object_body(call, "UpdatePolicyRequestV1")?;
    // 1. Jackson: types.
    for key in [
        "allowHalfDay",
        "allowNegativeBalance",
        "archived",
        "everyoneIncludingNew",
        "hasExpiration",
    ] {
        check_type(&body, key, "boolean")?;
    }
    for key in ["name", "color", "icon"] {
        check_type(&body, key, "String")?;
    }
    for key in [
        "approve",
        "users",
        "userGroups",
        "automaticAccrual",
        "automaticTimeEntryCreation",
        "negativeBalance",
    ] {
        check_type(&body, key, "object")?;
    }
    let users = body
        .get("users")
        .filter(|v| !v.is_null())
        .map(|v| id_filter(v, "UserIdsSchema"))
        .transpose()?;
    let groups = body
        .get("userGroups")
        .filter(|v| !v.is_null())
        .map(|v| id_filter(v, "UserGroupIdsSchema"))
        .transpose()?;
    // 2. Bean validation: every required field present and non-null.
    for key in [
        "name",
        "allowHalfDay",
        "allowNegativeBalance",
        "archived",
        "everyoneIncludingNew",
        "hasExpiration",
        "approve",
        "users",
        "userGroups",
    ] {
        if body.get(key).is_none_or(Value::is_null) {
            return Err(must_not_be_null());
        }
    }
    let (Some((contains, ids, status)), Some((_, group_ids, _))) = (users, groups) else {
        return Err(must_not_be_null());
    };
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    let len = name.chars().count();
    if !(2..=100).contains(&len) {
        return Err(bad_request("Name must be between 2 and 100 characters"));
    }
    if let Some(color) = body.get("color").and_then(Value::as_str) {
        let hex = color.strip_prefix('#').unwrap_or("");
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad_request("Color must be in #RRGGBB format"));
        }
    }
    // 3. The handler: entities.
    let pi = policy_index(c, id)?;
    let flag = |k: &str| body.get(k).and_then(Value::as_bool).unwrap_or(false);
    let user_ids: Vec<String> = if contains {
        for uid in &ids {
            if !c.user_index.contains_key(uid) {
                return Err(not_in_workspace("User"));
            }
        }
        ids
    } else {
        c.users
            .iter()
            .filter(|u| !ids.contains(&u.id))
            .filter(|u| match status.as_str() {
                "ACTIVE" => u.membership == ClockifyMembershipStatus::Active,
                "INACTIVE" => u.membership == ClockifyMembershipStatus::Inactive,
                _ => true,
            })
            .map(|u| u.id.clone())
            .collect()
    };
    let has_expiration = flag("hasExpiration");
    let field = |k: &str| body.get(k).cloned().unwrap_or(Value::Null);
    let policy = &mut c.policies[pi];
    if policy.has_expiration != has_expiration {
        policy.expiration_flips += 1;
    }
    policy.name = name.to_owned();
    policy.allow_half_day = flag("allowHalfDay");
    policy.allow_negative_balance = flag("allowNegativeBalance");
    policy.archived = flag("archived");
    policy.everyone_including_new = flag("everyoneIncludingNew");
    policy.has_expiration = has_expiration;
    policy.approve = field("approve");
    policy.automatic_accrual = field("automaticAccrual");
    policy.automatic_time_entry_creation = field("automaticTimeEntryCreation");
    policy.negative_balance = field("negativeBalance");
    policy.color = field("color");
    policy.icon = field("icon");
    policy.user_group_ids = group_ids;
    let policy_id = policy.id.clone();
    for uid in &user_ids {
        if let Some(&ui) = c.user_index.get(uid) {
            c.balances.entry((pi, ui)).or_insert_with(|| CBalance {
                id: hex24(&format!("clockify-balance:{policy_id}:{uid}")),
                accrued: 0.0,
                used: 0.0,
                note: None,
            });
        }
    }
    c.policies[pi].user_ids = user_ids;
    Ok(Reply::json(StatusCode::OK, policy_json(c, &c.policies[pi])).wrote())
}

// ---------------------------------------------------------------- balances --

fn balance_json(c: &ClockifyWorld, p: &CPolicy, u: &CUser, b: &CBalance) -> Value {
    let (balance, total) = b.fields(c.quirks.balance_fields);
    let negative_amount = p
        .negative_balance
        .get("amount")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    json!({
        "id": b.id,
        "workspaceId": c.workspace_id,
        "userId": u.id,
        "userName": u.name.clone().unwrap_or_else(|| u.email.clone()),
        "policyId": p.id,
        "policyName": p.name,
        "policyTimeUnit": time_unit_wire(p.unit),
        "policyArchived": p.archived,
        "balance": balance,
        "total": total,
        "used": b.used,
        "negativeBalanceAmount": if p.allow_negative_balance { negative_amount } else { 0.0 },
        "negativeBalanceLimit": p.allow_negative_balance,
        "negativeBalanceUsed": 0.0,
    })
}

/// Rows sorted by the `sort` and `sort-order` parameters, then paged.
fn balance_page(
    c: &ClockifyWorld,
    mut rows: Vec<(usize, usize, &CBalance)>,
    call: &Call<'_>,
) -> Answer {
    let (page, size) = paging(call, Some(1000), 200)?;
    let sort = enum_param(
        call,
        "sort",
        "BalanceSort",
        &["USER", "POLICY", "USED", "BALANCE", "TOTAL"],
    )?
    .unwrap_or("USER");
    let descending = enum_param(
        call,
        "sort-order",
        "SortOrder",
        &["ASCENDING", "DESCENDING"],
    )? == Some("DESCENDING");
    let how = c.quirks.balance_fields;
    let user_key = |ui: usize| {
        c.users
            .get(ui)
            .map(|u| {
                (
                    u.name.as_deref().unwrap_or(&u.email).to_lowercase(),
                    u.id.clone(),
                )
            })
            .unwrap_or_default()
    };
    match sort {
        "POLICY" => rows.sort_by_cached_key(|&(pi, ui, _)| {
            (c.policies.get(pi).map(|p| p.name.clone()), user_key(ui))
        }),
        "USED" | "BALANCE" | "TOTAL" => rows.sort_by(|a, b| {
            let key = |r: &(usize, usize, &CBalance)| match sort {
                "USED" => r.2.used,
                "BALANCE" => r.2.fields(how).0,
                _ => r.2.fields(how).1,
            };
            key(a).total_cmp(&key(b)).then(a.1.cmp(&b.1))
        }),
        _ => rows.sort_by_cached_key(|&(pi, ui, _)| (user_key(ui), pi)),
    }
    if descending {
        rows.reverse();
    }
    let count = rows.len();
    let (items, last) = page_of(&rows, page, size);
    let balances: Vec<Value> = items
        .iter()
        .filter_map(|&(pi, ui, b)| Some(balance_json(c, c.policies.get(pi)?, c.users.get(ui)?, b)))
        .collect();
    Ok(Reply::json(
        StatusCode::OK,
        json!({"count": count, "balances": balances}),
    )
    .header("last-page", last.to_string()))
}

fn balances_of_policy(c: &ClockifyWorld, id: &str, call: &Call<'_>) -> Answer {
    let pi = policy_index(c, id)?;
    let rows = c
        .balances
        .range((pi, 0)..(pi + 1, 0))
        .map(|(&(pi, ui), b)| (pi, ui, b))
        .collect();
    balance_page(c, rows, call)
}

fn balances_of_user(c: &ClockifyWorld, id: &str, call: &Call<'_>) -> Answer {
    let &ui = c
        .user_index
        .get(id)
        .ok_or_else(|| not_in_workspace("User"))?;
    let rows = (0..c.policies.len())
        .filter_map(|pi| c.balances.get(&(pi, ui)).map(|b| (pi, ui, b)))
        .collect();
    balance_page(c, rows, call)
}

fn patch_balance(c: &mut ClockifyWorld, id: &str, call: &Call<'_>) -> Answer {
    let body = object_body(call, "UpdateBalanceRequestV1")?;
    // Types first (Jackson), then validation, then entities.
    let user_ids: Option<Vec<String>> = match body.get("userIds") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut ids: Vec<String> = Vec::with_capacity(items.len());
            for item in items {
                let s = item.as_str().ok_or_else(|| {
                    parse_error(format!(
                        "Cannot deserialize value of type `String` from {} value",
                        json_kind(item)
                    ))
                })?;
                // A Java Set: a repeated id counts once.
                if !ids.iter().any(|x| x == s) {
                    ids.push(s.to_owned());
                }
            }
            Some(ids)
        }
        Some(other) => {
            return Err(parse_error(format!(
                "Cannot deserialize value of type `java.util.Set<String>` from {} value",
                json_kind(other)
            )));
        }
    };
    let value = match body.get("value") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(other) => {
            return Err(parse_error(format!(
                "Cannot deserialize value of type `double` from {} value",
                json_kind(other)
            )));
        }
    };
    check_type(&body, "note", "String")?;
    let (Some(user_ids), Some(value)) = (user_ids, value) else {
        return Err(must_not_be_null());
    };
    if user_ids.is_empty() {
        return Err(bad_request("size must be between 1 and 2147483647"));
    }
    if value > 10_000.0 {
        return Err(bad_request("must be less than or equal to 10000"));
    }
    if value < -10_000.0 {
        return Err(bad_request("must be greater than or equal to -10000"));
    }
    let pi = policy_index(c, id)?;
    let mut targets = Vec::with_capacity(user_ids.len());
    for uid in &user_ids {
        let &ui = c
            .user_index
            .get(uid)
            .ok_or_else(|| not_in_workspace("User"))?;
        let has_row = c.balances.contains_key(&(pi, ui));
        let policy = &c.policies[pi];
        let on_policy = policy.everyone_including_new || policy.user_ids.contains(uid);
        if !has_row && !on_policy && c.quirks.patch_unassigned == PatchUnassigned::Reject {
            return Err(bad_request("User is not assigned to the Policy"));
        }
        targets.push((ui, uid));
    }
    let note = body.get("note").and_then(Value::as_str).map(str::to_owned);
    let policy_id = c.policies[pi].id.clone();
    let mode = c.quirks.balance_patch;
    for (ui, uid) in targets {
        let row = c.balances.entry((pi, ui)).or_insert_with(|| CBalance {
            id: hex24(&format!("clockify-balance:{policy_id}:{uid}")),
            accrued: 0.0,
            used: 0.0,
            note: None,
        });
        match mode {
            BalancePatch::Add => row.accrued += value,
            BalancePatch::Set => row.accrued = value,
            BalancePatch::SetAvailable => row.accrued = value + row.used,
        }
        if note.is_some() {
            row.note.clone_from(&note);
        }
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT).wrote())
}
