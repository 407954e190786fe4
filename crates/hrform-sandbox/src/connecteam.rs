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

use std::collections::HashSet;

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::exchange::{Call, Reply, Shared, lock};
use super::rate::WindowStatus;
use super::seed::{
    ConnecteamRole, MoveBalance, PagingOffset, ReassignSamePolicy, RequestStatus, RequestWindow,
    TimeUnit,
};
use super::state::{
    ConnecteamWorld, TBalance, TRequest, TUser, World, all_day_end, all_day_start, fmt_hms,
    now_epoch, parse_hms, parse_ymd, request_amount, role_name, status_name,
};

// ------------------------------------------------------------------ replies --

fn detail(status: StatusCode, message: impl Into<String>) -> Reply {
    Reply::json(status, json!({"detail": message.into()}))
}

/// One pydantic error item.
fn item(loc: &[Value], msg: &str, kind: &str) -> Value {
    json!({"loc": loc, "msg": msg, "type": kind})
}

fn item_ctx(loc: &[Value], msg: &str, kind: &str, ctx: Value) -> Value {
    json!({"loc": loc, "msg": msg, "type": kind, "ctx": ctx})
}

fn unprocessable(items: Vec<Value>) -> Reply {
    Reply::json(StatusCode::UNPROCESSABLE_ENTITY, json!({"detail": items}))
}

fn missing(loc: &[Value]) -> Value {
    item(loc, "field required", "value_error.missing")
}

/// 429 `{"detail":"Too many requests"}`, with `Retry-After` if the seed says so.
pub(crate) fn throttled(shared: &Shared, windows: Option<(WindowStatus, WindowStatus)>) -> Reply {
    let retry_after = lock(&shared.world)
        .connecteam
        .as_ref()
        .is_some_and(|c| c.quirks.retry_after);
    let reply = detail(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
    if retry_after {
        let secs = windows.map_or(60, |(minute, _)| minute.reset_in.as_secs().max(1));
        reply.header("retry-after", secs.to_string())
    } else {
        reply
    }
}

/// The reported quirk: a throttle answered with 200 and no `data`.
pub(crate) fn throttled_200(_shared: &Shared) -> Reply {
    detail(StatusCode::OK, "Too many requests")
}

/// The six `x-ratelimit-*` headers (minute and day: limit, remaining, reset
/// as UTC epoch seconds), when rate limits are on.
pub(crate) fn rate_headers(reply: Reply, windows: Option<(WindowStatus, WindowStatus)>) -> Reply {
    let Some((minute, day)) = windows else {
        return reply;
    };
    let now = now_epoch();
    let reset = |w: WindowStatus| {
        let secs = i64::try_from(w.reset_in.as_secs()).unwrap_or(0);
        // Round a part second up: the window is not reset before that second.
        let part = i64::from(w.reset_in.subsec_nanos() > 0);
        (now + secs + part).to_string()
    };
    reply
        .header("x-ratelimit-minute-limit", minute.limit.to_string())
        .header("x-ratelimit-minute-remaining", minute.remaining.to_string())
        .header("x-ratelimit-minute-reset", reset(minute))
        .header("x-ratelimit-day-limit", day.limit.to_string())
        .header("x-ratelimit-day-remaining", day.remaining.to_string())
        .header("x-ratelimit-day-reset", reset(day))
}

/// A 5xx: the application's JSON for 500, a gateway page otherwise.
pub(crate) fn server_error(status: u16) -> Reply {
    match status {
        502 => Reply::text(
            StatusCode::BAD_GATEWAY,
            "text/html",
            "<html><body><h1>502 Bad Gateway</h1></body></html>".to_owned(),
        ),
        503 => Reply::text(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/html",
            "<html><body><h1>503 Service Unavailable</h1></body></html>".to_owned(),
        ),
        _ => detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
    }
}

/// A body over 1 MiB.
pub(crate) fn too_large() -> Reply {
    detail(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large")
}

fn envelope(world: &mut World, data: Value, paging: Option<Value>) -> Reply {
    let request_id = world.next_uuid();
    let mut body = json!({"requestId": request_id, "data": data});
    if let (Some(p), Some(obj)) = (paging, body.as_object_mut()) {
        obj.insert("paging".to_owned(), p);
    }
    Reply::json(StatusCode::OK, body)
}

fn paging(mode: PagingOffset, offset: usize, returned: usize) -> Value {
    let value = match mode {
        PagingOffset::Request => offset,
        PagingOffset::Next => offset + returned,
        PagingOffset::Last => (offset + returned).saturating_sub(1).max(offset),
    };
    json!({ "offset": value })
}

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

// ------------------------------------------------------- query validation --

/// Query parameters checked the FastAPI way: every problem is collected.
struct Query<'c, 'a> {
    call: &'c Call<'a>,
    errors: Vec<Value>,
}

impl<'c, 'a> Query<'c, 'a> {
    fn new(call: &'c Call<'a>) -> Self {
        Self {
            call,
            errors: Vec::new(),
        }
    }

    fn loc(name: &str) -> Vec<Value> {
        vec![json!("query"), json!(name)]
    }

    fn int(&mut self, name: &str, default: i64, min: Option<i64>, max: Option<i64>) -> i64 {
        match self.call.one(name) {
            None => default,
            Some(v) => self
                .parse_int(v, &Self::loc(name), min, max)
                .unwrap_or(default),
        }
    }

    fn opt_int(&mut self, name: &str, min: Option<i64>) -> Option<i64> {
        let v = self.call.one(name)?;
        self.parse_int(v, &Self::loc(name), min, None)
    }

    fn parse_int(
        &mut self,
        v: &str,
        loc: &[Value],
        min: Option<i64>,
        max: Option<i64>,
    ) -> Option<i64> {
        let Ok(n) = v.trim().parse::<i64>() else {
            self.errors.push(item(
                loc,
                "value is not a valid integer",
                "type_error.integer",
            ));
            return None;
        };
        if let Some(min) = min.filter(|m| n < *m) {
            self.errors.push(item_ctx(
                loc,
                &format!("ensure this value is greater than or equal to {min}"),
                "value_error.number.not_ge",
                json!({"limit_value": min}),
            ));
            return None;
        }
        if let Some(max) = max.filter(|m| n > *m) {
            self.errors.push(item_ctx(
                loc,
                &format!("ensure this value is less than or equal to {max}"),
                "value_error.number.not_le",
                json!({"limit_value": max}),
            ));
            return None;
        }
        Some(n)
    }

    /// A repeated-key integer array (`?userIds=1&userIds=2`).
    fn int_list(&mut self, name: &str) -> Vec<u64> {
        let values = self.call.all(name);
        let mut out = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            let loc = [json!("query"), json!(name), json!(i)];
            if let Some(n) = self.parse_int(v, &loc, Some(1), None) {
                out.push(u64::try_from(n).unwrap_or(0));
            }
        }
        out
    }

    fn enum_value(&mut self, v: &str, loc: &[Value], allowed: &[&str]) -> Option<String> {
        if allowed.contains(&v) {
            return Some(v.to_owned());
        }
        let permitted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
        self.errors.push(item_ctx(
            loc,
            &format!(
                "value is not a valid enumeration member; permitted: {}",
                permitted.join(", ")
            ),
            "type_error.enum",
            json!({"enum_values": allowed}),
        ));
        None
    }

    fn one_enum(&mut self, name: &str, allowed: &[&str]) -> Option<String> {
        let v = self.call.one(name)?;
        self.enum_value(v, &Self::loc(name), allowed)
    }

    fn enum_list(&mut self, name: &str, allowed: &[&str]) -> Vec<String> {
        let values = self.call.all(name);
        let mut out = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let loc = [json!("query"), json!(name), json!(i)];
            if let Some(s) = self.enum_value(v, &loc, allowed) {
                out.push(s);
            }
        }
        out
    }

    fn bool(&mut self, name: &str, default: bool) -> bool {
        match self.call.one(name) {
            None => default,
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" | "t" | "y" => true,
                "false" | "0" | "no" | "off" | "f" | "n" => false,
                _ => {
                    self.errors.push(item(
                        &Self::loc(name),
                        "value could not be parsed to a boolean",
                        "type_error.bool",
                    ));
                    default
                }
            },
        }
    }

    fn date(&mut self, name: &str) -> Option<jiff::civil::Date> {
        let Some(v) = self.call.one(name) else {
            self.errors.push(missing(&Self::loc(name)));
            return None;
        };
        let d = parse_ymd(v);
        if d.is_none() {
            self.errors.push(item(
                &Self::loc(name),
                "Invalid date format. Use YYYY-MM-DD",
                "value_error",
            ));
        }
        d
    }

    fn finish(self) -> Result<(), Reply> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(unprocessable(self.errors))
        }
    }
}

fn to_usize(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

// ------------------------------------------------------------------- users --

fn user_json(u: &TUser, smart_groups: bool) -> Value {
    let mut v = json!({
        "userId": u.id,
        "firstName": u.first_name,
        "lastName": u.last_name,
        "phoneNumber": u.phone,
        "email": u.email,
        "userType": role_name(u.role),
        "isArchived": u.archived,
        "createdAt": u.created_at,
        "modifiedAt": u.modified_at,
        "archivedAt": u.archived_at,
        "lastLogin": 0,
        "kioskCode": format!("{:04}", u.id % 10_000),
        "customFields": [],
        "invitedToBeManager": false,
        "profilePictureUrl": null,
    });
    if smart_groups && let Some(obj) = v.as_object_mut() {
        obj.insert("smartGroupsIds".to_owned(), json!([]));
    }
    v
}

fn list_users(world: &mut World, call: &Call<'_>) -> Answer {
    let mut q = Query::new(call);
    let limit = to_usize(q.int("limit", 10, Some(1), Some(500)));
    let offset = to_usize(q.int("offset", 0, Some(0), None));
    let sort = q.one_enum("sort", &["created_at"]);
    let order = q.one_enum("order", &["asc", "desc"]);
    let ids: HashSet<u64> = q.int_list("userIds").into_iter().collect();
    let status = q
        .one_enum("userStatus", &["active", "archived", "all"])
        .unwrap_or_else(|| "active".to_owned());
    let names: Vec<String> = call
        .all("fullNames")
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    let phones: Vec<&str> = call.all("phoneNumbers");
    let emails: Vec<String> = call
        .all("emailAddresses")
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    let created = q.opt_int("createdAt", Some(1));
    let modified = q.opt_int("modifiedAt", Some(1));
    let last_login = q.opt_int("lastLogin", Some(1));
    let archived_after = q.opt_int("archivedAt", Some(1));
    q.finish()?;
    let c = account(world)?;
    let mut matched: Vec<&TUser> = c
        .users
        .iter()
        .filter(|u| match status.as_str() {
            "active" => !u.archived,
            "archived" => u.archived,
            _ => true,
        })
        .filter(|u| ids.is_empty() || ids.contains(&u.id))
        .filter(|u| {
            names.is_empty()
                || names.contains(&format!("{} {}", u.first_name, u.last_name).to_lowercase())
        })
        .filter(|u| phones.is_empty() || phones.contains(&u.phone.as_str()))
        .filter(|u| emails.is_empty() || emails.contains(&u.email.to_lowercase()))
        .filter(|u| created.is_none_or(|t| u.created_at > t))
        .filter(|u| modified.is_none_or(|t| u.modified_at > t))
        .filter(|_| last_login.is_none())
        .filter(|u| archived_after.is_none_or(|t| u.archived_at.is_some_and(|a| a > t)))
        .collect();
    if sort.is_some() {
        matched.sort_by_key(|u| (u.created_at, u.id));
        if order.as_deref() == Some("desc") {
            matched.reverse();
        }
    }
    let page: Vec<Value> = matched
        .iter()
        .skip(offset)
        .take(limit)
        .map(|u| user_json(u, true))
        .collect();
    let paging = paging(c.quirks.paging_offset, offset, page.len());
    Ok(envelope(world, json!({"users": page}), Some(paging)))
}

/// The JSON body, or FastAPI's 422 for one that does not decode.
fn json_body(call: &Call<'_>) -> Result<Value, Reply> {
    serde_json::from_slice::<Value>(call.body).map_err(|err| {
        let pos = byte_offset(call.body, err.line(), err.column());
        unprocessable(vec![item_ctx(
            &[json!("body"), json!(pos)],
            &format!(
                "Expecting value: line {} column {} (char {pos})",
                err.line(),
                err.column()
            ),
            "value_error.jsondecode",
            json!({"msg": "Expecting value", "pos": pos, "lineno": err.line(), "colno": err.column()}),
        )])
    })
}

fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in body.split(|b| *b == b'\n').enumerate() {
        if i + 1 == line {
            return offset + column.saturating_sub(1);
        }
        offset += l.len() + 1;
    }
    offset
}

fn object_body(call: &Call<'_>) -> Result<Map<String, Value>, Reply> {
    match json_body(call)? {
        Value::Object(map) => Ok(map),
        _ => Err(unprocessable(vec![item(
            &[json!("body")],
            "value is not a valid dict",
            "type_error.dict",
        )])),
    }
}

/// Body fields checked the pydantic way: every problem is collected.
struct Fields<'m> {
    map: &'m Map<String, Value>,
    prefix: Vec<Value>,
    errors: Vec<Value>,
}

impl<'m> Fields<'m> {
    fn new(map: &'m Map<String, Value>, prefix: Vec<Value>) -> Self {
        Self {
            map,
            prefix,
            errors: Vec::new(),
        }
    }

    fn loc(&self, key: &str) -> Vec<Value> {
        let mut l = self.prefix.clone();
        l.push(json!(key));
        l
    }

    /// The value of `key`; `None` when absent or null (an error if required).
    fn get(&mut self, key: &str, required: bool) -> Option<&'m Value> {
        match self.map.get(key) {
            None if required => {
                self.errors.push(missing(&self.loc(key)));
                None
            }
            Some(Value::Null) if required => {
                self.errors.push(item(
                    &self.loc(key),
                    "none is not an allowed value",
                    "type_error.none.not_allowed",
                ));
                None
            }
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    fn int(&mut self, key: &str, required: bool, min: Option<i64>) -> Option<i64> {
        let v = self.get(key, required)?;
        let Some(n) = v.as_i64() else {
            self.errors.push(item(
                &self.loc(key),
                "value is not a valid integer",
                "type_error.integer",
            ));
            return None;
        };
        if let Some(min) = min.filter(|m| n < *m) {
            self.errors.push(item_ctx(
                &self.loc(key),
                &format!("ensure this value is greater than or equal to {min}"),
                "value_error.number.not_ge",
                json!({"limit_value": min}),
            ));
            return None;
        }
        Some(n)
    }

    fn float(&mut self, key: &str, required: bool) -> Option<f64> {
        let v = self.get(key, required)?;
        let n = v.as_f64();
        if n.is_none() {
            self.errors.push(item(
                &self.loc(key),
                "value is not a valid float",
                "type_error.float",
            ));
        }
        n
    }

    fn bool(&mut self, key: &str, required: bool) -> Option<bool> {
        let v = self.get(key, required)?;
        let b = v.as_bool();
        if b.is_none() {
            self.errors.push(item(
                &self.loc(key),
                "value could not be parsed to a boolean",
                "type_error.bool",
            ));
        }
        b
    }

    fn str(&mut self, key: &str, required: bool) -> Option<&'m str> {
        let v = self.get(key, required)?;
        let s = v.as_str();
        if s.is_none() {
            self.errors
                .push(item(&self.loc(key), "str type expected", "type_error.str"));
        }
        s
    }

    fn enum_str(&mut self, key: &str, required: bool, allowed: &[&str]) -> Option<&'m str> {
        let s = self.str(key, required)?;
        if allowed.contains(&s) {
            return Some(s);
        }
        let permitted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
        self.errors.push(item_ctx(
            &self.loc(key),
            &format!(
                "value is not a valid enumeration member; permitted: {}",
                permitted.join(", ")
            ),
            "type_error.enum",
            json!({"enum_values": allowed}),
        ));
        None
    }

    fn date(&mut self, key: &str, required: bool) -> Option<jiff::civil::Date> {
        let s = self.str(key, required)?;
        let d = parse_ymd(s);
        if d.is_none() {
            self.errors.push(item(
                &self.loc(key),
                "Invalid date format. Use YYYY-MM-DD",
                "value_error",
            ));
        }
        d
    }

    fn time(&mut self, key: &str) -> Option<jiff::civil::Time> {
        let s = self.str(key, false)?;
        let t = parse_hms(s);
        if t.is_none() {
            self.errors.push(item(
                &self.loc(key),
                "Invalid time format. Use HH:MM:SS",
                "value_error",
            ));
        }
        t
    }

    fn timezone(&mut self, key: &str, required: bool) -> Option<&'m str> {
        let s = self.str(key, required)?;
        if jiff::tz::TimeZone::get(s).is_err() {
            self.errors.push(item(
                &self.loc(key),
                "Invalid timezone. Use a Tz database name such as America/New_York",
                "value_error",
            ));
            return None;
        }
        Some(s)
    }

    fn error(&mut self, key: &str, msg: &str) {
        let loc = self.loc(key);
        self.errors.push(item(&loc, msg, "value_error"));
    }
}

/// One validated item of the users PUT body.
struct UserEdit {
    user_id: Option<u64>,
    phone: Option<String>,
    archive: Option<bool>,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    role: Option<ConnecteamRole>,
}

fn put_users(world: &mut World, call: &Call<'_>) -> Answer {
    let mut q = Query::new(call);
    let by_phone = q.bool("editUsersByPhone", false);
    let smart_groups = q.bool("includeSmartGroupIds", true);
    q.finish()?;
    let Value::Array(items) = json_body(call)? else {
        return Err(unprocessable(vec![item(
            &[json!("body")],
            "value is not a valid list",
            "type_error.list",
        )]));
    };
    if items.len() > 25 {
        return Err(unprocessable(vec![item_ctx(
            &[json!("body")],
            "ensure this value has at most 25 items",
            "value_error.list.max_items",
            json!({"limit_value": 25}),
        )]));
    }
    let mut errors = Vec::new();
    let mut edits = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        let Some(map) = it.as_object() else {
            errors.push(item(
                &[json!("body"), json!(i)],
                "value is not a valid dict",
                "type_error.dict",
            ));
            continue;
        };
        let mut f = Fields::new(map, vec![json!("body"), json!(i)]);
        let user_id = f.int("userId", false, Some(1)).map(|n| n.unsigned_abs());
        let archive = f.bool("isArchived", false);
        let first_name = f.str("firstName", false).map(str::to_owned);
        let last_name = f.str("lastName", false).map(str::to_owned);
        for (key, v) in [("firstName", &first_name), ("lastName", &last_name)] {
            if v.as_ref().is_some_and(|s| s.chars().count() > 100) {
                let loc = f.loc(key);
                f.errors.push(item_ctx(
                    &loc,
                    "ensure this value has at most 100 characters",
                    "value_error.any_str.max_length",
                    json!({"limit_value": 100}),
                ));
            }
        }
        let email = f.str("email", false).map(str::to_owned);
        let phone = f.str("phoneNumber", false).map(str::to_owned);
        let role = f
            .enum_str("userType", false, &["user", "manager", "owner"])
            .map(|r| match r {
                "owner" => ConnecteamRole::Owner,
                "manager" => ConnecteamRole::Manager,
                _ => ConnecteamRole::User,
            });
        errors.append(&mut f.errors);
        edits.push(UserEdit {
            user_id,
            phone,
            archive,
            first_name,
            last_name,
            email,
            role,
        });
    }
    if !errors.is_empty() {
        return Err(unprocessable(errors));
    }
    let c = account(world)?;
    // Resolve every item before changing anything: the call is all or nothing.
    let mut targets = Vec::with_capacity(edits.len());
    let mut not_found = Vec::new();
    for e in &edits {
        let index = if by_phone {
            if e.archive == Some(false) {
                return Err(detail(
                    StatusCode::BAD_REQUEST,
                    "Restoring users is not supported with editUsersByPhone; use the user ID",
                ));
            }
            let Some(phone) = &e.phone else {
                return Err(detail(
                    StatusCode::BAD_REQUEST,
                    "phoneNumber is required when editUsersByPhone is true",
                ));
            };
            c.users.iter().position(|u| &u.phone == phone)
        } else {
            let Some(id) = e.user_id else {
                return Err(detail(
                    StatusCode::BAD_REQUEST,
                    "userId is required when editUsersByPhone is false",
                ));
            };
            let found = c.user_index.get(&id).copied();
            if found.is_none() {
                not_found.push(id);
            }
            found
        };
        targets.push(index);
    }
    if !not_found.is_empty() {
        return Err(detail(
            StatusCode::NOT_FOUND,
            format!("Users not found, user ids: {}", id_list(&not_found)),
        ));
    }
    let targets: Vec<usize> = targets.into_iter().flatten().collect();
    if targets.len() != edits.len() {
        return Err(detail(StatusCode::NOT_FOUND, "User not found"));
    }
    let admins: Vec<u64> = edits
        .iter()
        .zip(&targets)
        .filter(|&(e, &i)| e.archive == Some(true) && c.users[i].role != ConnecteamRole::User)
        .map(|(_, &i)| c.users[i].id)
        .collect();
    if !admins.is_empty() {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            format!(
                "Cannot archive owners or managers, user ids: {}",
                id_list(&admins)
            ),
        ));
    }
    if edits
        .iter()
        .zip(&targets)
        .any(|(e, &i)| e.archive == Some(true) && c.users[i].archived)
    {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            "Can't archive user who is already archived",
        ));
    }
    for (e, &i) in edits.iter().zip(&targets) {
        if let Some(to) = e.role {
            let from = c.users[i].role;
            let crosses = (from == ConnecteamRole::User) != (to == ConnecteamRole::User);
            if crosses {
                return Err(detail(
                    StatusCode::BAD_REQUEST,
                    "Only manager <-> owner transitions are supported via userType; use the \
                     /admins endpoint",
                ));
            }
        }
    }
    let now = now_epoch();
    for (e, &i) in edits.iter().zip(&targets) {
        let u = &mut c.users[i];
        if let Some(archive) = e.archive
            && archive != u.archived
        {
            u.archived = archive;
            u.archived_at = archive.then_some(now);
        }
        if let Some(v) = &e.first_name {
            u.first_name.clone_from(v);
        }
        if let Some(v) = &e.last_name {
            u.last_name.clone_from(v);
        }
        if let Some(v) = &e.email {
            u.email.clone_from(v);
        }
        if let (Some(v), false) = (&e.phone, by_phone) {
            u.phone.clone_from(v);
        }
        if let Some(r) = e.role {
            u.role = r;
        }
        u.modified_at = now;
    }
    let users: Vec<Value> = targets
        .iter()
        .map(|&i| user_json(&c.users[i], smart_groups))
        .collect();
    let count = users.len();
    Ok(envelope(world, json!({"count": count, "users": users}), None).wrote())
}

fn id_list(ids: &[u64]) -> String {
    let parts: Vec<String> = ids.iter().map(u64::to_string).collect();
    format!("[{}]", parts.join(", "))
}

// ---------------------------------------------------------------- time off --

fn unit_wire(u: TimeUnit) -> &'static str {
    match u {
        TimeUnit::Days => "days",
        TimeUnit::Hours => "hours",
    }
}

fn policy_types(world: &mut World) -> Reply {
    let types: Vec<Value> = world
        .connecteam
        .as_ref()
        .map(|c| {
            c.policy_types
                .iter()
                .map(|t| {
                    let policies: Vec<Value> = t
                        .policies
                        .iter()
                        .map(|p| {
                            json!({
                                "id": p.id,
                                "name": p.name,
                                "unit": unit_wire(p.unit),
                                "accrualType": match p.accrual {
                                    super::seed::AccrualType::Fixed => "fixed",
                                    super::seed::AccrualType::Hourly => "hourly",
                                    super::seed::AccrualType::Unlimited => "unlimited",
                                },
                            })
                        })
                        .collect();
                    json!({"id": t.id, "name": t.name, "policies": policies})
                })
                .collect()
        })
        .unwrap_or_default();
    envelope(world, json!({"policyTypes": types}), None)
}

fn type_index(c: &ConnecteamWorld, id: &str) -> Result<usize, Reply> {
    c.policy_types
        .iter()
        .position(|t| t.id == id)
        .ok_or_else(|| detail(StatusCode::NOT_FOUND, "Policy type not found"))
}

fn balance_json(c: &ConnecteamWorld, ti: usize, user_id: u64, b: TBalance) -> Value {
    let policy = c
        .policy_types
        .get(ti)
        .and_then(|t| t.policies.get(b.policy));
    json!({
        "userId": user_id,
        "policyId": policy.map(|p| p.id.clone()),
        "units": policy.map(|p| unit_wire(p.unit)),
        "balance": b.balance,
    })
}

fn list_balances(world: &mut World, pt: &str, call: &Call<'_>) -> Answer {
    let mut q = Query::new(call);
    let ids: HashSet<u64> = q.int_list("userIds").into_iter().collect();
    let limit = to_usize(q.int("limit", 10, Some(1), Some(100)));
    let offset = to_usize(q.int("offset", 0, Some(0), None));
    q.finish()?;
    let c = account(world)?;
    let ti = type_index(c, pt)?;
    let page: Vec<Value> = c
        .balances
        .range((ti, 0)..(ti + 1, 0))
        .filter(|((_, uid), _)| ids.is_empty() || ids.contains(uid))
        .filter(|((_, uid), _)| {
            c.quirks.archived_users_in_balances
                || c.user_index.get(uid).is_some_and(|&i| !c.users[i].archived)
        })
        .skip(offset)
        .take(limit)
        .map(|(&(ti, uid), &b)| balance_json(c, ti, uid, b))
        .collect();
    let paging = paging(c.quirks.paging_offset, offset, page.len());
    Ok(envelope(world, json!({"balances": page}), Some(paging)))
}

fn path_user_id(user: &str) -> Result<u64, Reply> {
    let loc = [json!("path"), json!("userId")];
    match user.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n.unsigned_abs()),
        Ok(_) => Err(unprocessable(vec![item_ctx(
            &loc,
            "ensure this value is greater than or equal to 1",
            "value_error.number.not_ge",
            json!({"limit_value": 1}),
        )])),
        Err(_) => Err(unprocessable(vec![item(
            &loc,
            "value is not a valid integer",
            "type_error.integer",
        )])),
    }
}

fn put_balance(world: &mut World, pt: &str, user: &str, call: &Call<'_>) -> Answer {
    let user_id = path_user_id(user)?;
    let body = object_body(call)?;
    let mut f = Fields::new(&body, vec![json!("body")]);
    let balance = f.float("balance", true);
    if !f.errors.is_empty() {
        return Err(unprocessable(f.errors));
    }
    let balance = balance.unwrap_or_default();
    let c = account(world)?;
    let ti = type_index(c, pt)?;
    if !c.user_index.contains_key(&user_id) {
        return Err(detail(StatusCode::NOT_FOUND, "User not found"));
    }
    let Some(row) = c.balances.get_mut(&(ti, user_id)) else {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            "User is not assigned to a policy of this policy type",
        ));
    };
    row.balance = balance;
    let row = *row;
    let data = json!({"balance": balance_json(c, ti, user_id, row)});
    Ok(envelope(world, data, None).wrote())
}

fn put_assignment(world: &mut World, policy: &str, call: &Call<'_>) -> Answer {
    let body = object_body(call)?;
    let mut f = Fields::new(&body, vec![json!("body")]);
    let user_id = f.int("userId", true, None);
    let balance = f.float("balance", false);
    let unit = f.enum_str("unit", false, &["hours", "days"]);
    if !f.errors.is_empty() {
        return Err(unprocessable(f.errors));
    }
    let user_id = user_id.unwrap_or_default().unsigned_abs();
    let c = account(world)?;
    let Some((ti, pi)) = c.policy_types.iter().enumerate().find_map(|(ti, t)| {
        t.policies
            .iter()
            .position(|p| p.id == policy)
            .map(|pi| (ti, pi))
    }) else {
        return Err(detail(StatusCode::NOT_FOUND, "Policy not found"));
    };
    if !c.user_index.contains_key(&user_id) {
        return Err(detail(StatusCode::NOT_FOUND, "User not found"));
    }
    let p = &c.policy_types[ti].policies[pi];
    if unit.is_some_and(|u| u != unit_wire(p.unit)) {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            format!("Unit must match the policy's unit ({})", unit_wire(p.unit)),
        ));
    }
    let default = p.default_balance;
    let quirks = c.quirks.clone();
    match c.balances.get_mut(&(ti, user_id)) {
        None => {
            c.balances.insert(
                (ti, user_id),
                TBalance {
                    policy: pi,
                    balance: balance.unwrap_or(default),
                },
            );
        }
        Some(row) if row.policy == pi => {
            if let (ReassignSamePolicy::Set, Some(b)) = (quirks.reassign_same_policy, balance) {
                row.balance = b;
            }
        }
        Some(row) => {
            row.policy = pi;
            row.balance = match (quirks.move_balance, balance) {
                (_, Some(b)) => b,
                (MoveBalance::Reset, None) => default,
                (MoveBalance::Carry, None) => row.balance,
            };
        }
    }
    Ok(envelope(world, json!({}), None).wrote())
}

// ---------------------------------------------------------------- requests --

fn request_json(c: &ConnecteamWorld, r: &TRequest) -> Value {
    let t = c.policy_types.get(r.policy_type);
    let mut v = json!({
        "id": r.id,
        "policyTypeId": t.map(|t| t.id.clone()),
        "userId": r.user_id,
        "isAllDay": r.all_day,
        "startDate": r.start_date.to_string(),
        "endDate": r.end_date.to_string(),
        "startTime": fmt_hms(r.start_time),
        "endTime": fmt_hms(r.end_time),
        "timezone": r.timezone,
        "status": status_name(r.status),
        "employeeNote": r.employee_note,
        "managerNote": r.manager_note,
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(id) = r.time_clock_id {
            obj.insert("timeClockId".to_owned(), json!(id));
        }
        if let (RequestStatus::Approved, Some(amount)) = (r.status, r.deducted) {
            let units = c
                .balances
                .get(&(r.policy_type, r.user_id))
                .and_then(|b| t?.policies.get(b.policy))
                .map_or("days", |p| unit_wire(p.unit));
            obj.insert(
                "duration".to_owned(),
                json!({"units": units, "amount": amount}),
            );
        }
        if c.quirks.echo_dst_flag {
            obj.insert("isAdjustForDayLightSaving".to_owned(), json!(r.adjust_dst));
        }
    }
    v
}

/// The update response: documented without policyTypeId, employeeNote and
/// duration; `timeClockId` only when the request has one (as the GET and
/// POST answers).
fn update_json(c: &ConnecteamWorld, r: &TRequest) -> Value {
    let mut v = json!({
        "id": r.id,
        "userId": r.user_id,
        "isAllDay": r.all_day,
        "startDate": r.start_date.to_string(),
        "endDate": r.end_date.to_string(),
        "startTime": fmt_hms(r.start_time),
        "endTime": fmt_hms(r.end_time),
        "timezone": r.timezone,
        "status": status_name(r.status),
        "managerNote": r.manager_note,
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(id) = r.time_clock_id {
            obj.insert("timeClockId".to_owned(), json!(id));
        }
        if c.quirks.echo_dst_flag {
            obj.insert("isAdjustForDayLightSaving".to_owned(), json!(r.adjust_dst));
        }
    }
    v
}

const STATUSES: [&str; 3] = ["approved", "pending", "denied"];

fn parse_status(s: &str) -> RequestStatus {
    match s {
        "pending" => RequestStatus::Pending,
        "denied" => RequestStatus::Denied,
        _ => RequestStatus::Approved,
    }
}

fn list_requests(world: &mut World, call: &Call<'_>) -> Answer {
    let mut q = Query::new(call);
    let start = q.date("startDate");
    let end = q.date("endDate");
    let ids: HashSet<u64> = q.int_list("userIds").into_iter().collect();
    let mut statuses = q.enum_list("statuses", &STATUSES);
    let limit = to_usize(q.int("limit", 10, Some(1), Some(100)));
    let offset = to_usize(q.int("offset", 0, Some(0), None));
    let window = world
        .connecteam
        .as_ref()
        .map(|c| c.quirks.request_window)
        .unwrap_or_default();
    if let (Some(s), Some(e)) = (start, end) {
        let days = i64::from((e - s).get_days());
        if e < s {
            q.errors.push(item(
                &Query::loc("endDate"),
                "endDate must be on or after startDate",
                "value_error",
            ));
        } else {
            let span = match window {
                RequestWindow::Inclusive => days + 1,
                RequestWindow::Difference => days,
            };
            if span > 365 {
                q.errors.push(item(
                    &Query::loc("endDate"),
                    "Range may not exceed 365 days",
                    "value_error",
                ));
            }
        }
    }
    q.finish()?;
    let (Some(start), Some(end)) = (start, end) else {
        return Err(unprocessable(Vec::new()));
    };
    if statuses.is_empty() {
        statuses.push("approved".to_owned());
    }
    let c = account(world)?;
    let mut matched: Vec<&TRequest> = c
        .requests
        .iter()
        .filter(|r| r.start_date <= end && r.end_date >= start)
        .filter(|r| ids.is_empty() || ids.contains(&r.user_id))
        .filter(|r| statuses.iter().any(|s| s == status_name(r.status)))
        .collect();
    matched.sort_by_key(|r| r.start_date);
    let page: Vec<Value> = matched
        .iter()
        .skip(offset)
        .take(limit)
        .map(|r| request_json(c, r))
        .collect();
    let paging = paging(c.quirks.paging_offset, offset, page.len());
    Ok(envelope(world, json!({"requests": page}), Some(paging)))
}

/// The day/time rules shared by create and update, on the merged request.
fn check_request_rules(f: &mut Fields<'_>, r: &TRequest, times_given: (bool, bool)) {
    if r.end_date < r.start_date {
        f.error("endDate", "endDate must be on or after startDate");
    }
    if !r.all_day {
        if !times_given.0 {
            f.error("startTime", "startTime is required when isAllDay is false");
        }
        if !times_given.1 {
            f.error("endTime", "endTime is required when isAllDay is false");
        }
        if r.start_date != r.end_date {
            f.error(
                "endDate",
                "endDate must be the same as startDate when isAllDay is false",
            );
        }
        if times_given.0 && times_given.1 && r.end_time <= r.start_time {
            f.error("endTime", "endTime must be after startTime");
        }
    }
}

/// Deduct (or refund, with `sign` -1) an approved request's amount.
fn apply_deduction(c: &mut ConnecteamWorld, r: &TRequest, sign: f64) {
    if !c.quirks.requests_deduct_balance {
        return;
    }
    if let (RequestStatus::Approved, Some(amount)) = (r.status, r.deducted)
        && let Some(b) = c.balances.get_mut(&(r.policy_type, r.user_id))
    {
        b.balance -= sign * amount;
    }
}

fn create_request(world: &mut World, call: &Call<'_>) -> Answer {
    let body = object_body(call)?;
    let mut f = Fields::new(&body, vec![json!("body")]);
    let user_id = f.int("userId", true, Some(1));
    let policy_type = f.str("policyTypeId", true);
    let all_day = f.bool("isAllDay", true);
    let start_date = f.date("startDate", true);
    let end_date = f.date("endDate", true);
    let start_time = f.time("startTime");
    let end_time = f.time("endTime");
    let timezone = f.timezone("timezone", true);
    let status = f.enum_str("status", true, &STATUSES);
    let time_clock_id = f.int("timeClockId", false, None);
    let employee_note = f.str("employeeNote", false);
    let manager_note = f.str("managerNote", false);
    let adjust = f.bool("isAdjustForDayLightSaving", false);
    if !f.errors.is_empty() {
        return Err(unprocessable(f.errors));
    }
    let (
        Some(user_id),
        Some(policy_type),
        Some(all_day),
        Some(start_date),
        Some(end_date),
        Some(timezone),
        Some(status),
    ) = (
        user_id,
        policy_type,
        all_day,
        start_date,
        end_date,
        timezone,
        status,
    )
    else {
        return Err(unprocessable(f.errors));
    };
    let mut req = TRequest {
        id: String::new(),
        user_id: user_id.unsigned_abs(),
        policy_type: 0,
        all_day,
        start_date,
        end_date,
        start_time: if all_day {
            all_day_start()
        } else {
            start_time.unwrap_or_else(all_day_start)
        },
        end_time: if all_day {
            all_day_end()
        } else {
            end_time.unwrap_or_else(all_day_end)
        },
        timezone: timezone.to_owned(),
        status: parse_status(status),
        employee_note: employee_note.unwrap_or_default().to_owned(),
        manager_note: manager_note.unwrap_or_default().to_owned(),
        time_clock_id,
        adjust_dst: adjust.unwrap_or(false),
        deducted: None,
    };
    check_request_rules(&mut f, &req, (start_time.is_some(), end_time.is_some()));
    if !f.errors.is_empty() {
        return Err(unprocessable(f.errors));
    }
    let id = world.next_hex_id("connecteam-request");
    let c = account(world)?;
    if !c.user_index.contains_key(&req.user_id) {
        return Err(detail(StatusCode::NOT_FOUND, "User not found"));
    }
    req.policy_type = type_index(c, policy_type)?;
    if !c.balances.contains_key(&(req.policy_type, req.user_id)) {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            "User is not assigned to a policy of this policy type",
        ));
    }
    req.id = id.clone();
    if req.status == RequestStatus::Approved {
        req.deducted = Some(request_amount(&req, &c.policy_types, &c.balances));
    }
    apply_deduction(c, &req, 1.0);
    let data = request_json(c, &req);
    c.request_index.insert(id, c.requests.len());
    c.requests.push(req);
    Ok(envelope(world, data, None).wrote())
}

const UPDATABLE: [&str; 10] = [
    "timeClockId",
    "isAllDay",
    "startDate",
    "endDate",
    "startTime",
    "endTime",
    "timezone",
    "status",
    "managerNote",
    "isAdjustForDayLightSaving",
];

fn update_request(world: &mut World, id: &str, call: &Call<'_>) -> Answer {
    let body = object_body(call)?;
    let mut f = Fields::new(&body, vec![json!("body")]);
    // additionalProperties: false — userId, policyTypeId, employeeNote included.
    for key in body.keys() {
        if !UPDATABLE.contains(&key.as_str()) {
            let loc = f.loc(key);
            f.errors.push(item(
                &loc,
                "extra fields not permitted",
                "value_error.extra",
            ));
        }
    }
    let time_clock_id = f.int("timeClockId", false, None);
    let all_day = f.bool("isAllDay", false);
    let start_date = f.date("startDate", false);
    let end_date = f.date("endDate", false);
    let start_time = f.time("startTime");
    let end_time = f.time("endTime");
    let timezone = f.timezone("timezone", false);
    let status = f.enum_str("status", false, &STATUSES);
    let manager_note = f.str("managerNote", false);
    let adjust = f.bool("isAdjustForDayLightSaving", false);
    if !f.errors.is_empty() {
        return Err(unprocessable(f.errors));
    }
    let c = account(world)?;
    let Some(&index) = c.request_index.get(id) else {
        return Err(detail(StatusCode::NOT_FOUND, "Time off request not found"));
    };
    let old = c.requests[index].clone();
    let mut new = old.clone();
    if let Some(v) = time_clock_id {
        new.time_clock_id = Some(v);
    }
    if let Some(v) = all_day {
        new.all_day = v;
    }
    if let Some(v) = start_date {
        new.start_date = v;
    }
    if let Some(v) = end_date {
        new.end_date = v;
    }
    if let Some(v) = timezone {
        new.timezone = v.to_owned();
    }
    if let Some(v) = status {
        new.status = parse_status(v);
    }
    if let Some(v) = manager_note {
        new.manager_note = v.to_owned();
    }
    if let Some(v) = adjust {
        new.adjust_dst = v;
    }
    let times_given = if new.all_day {
        new.start_time = all_day_start();
        new.end_time = all_day_end();
        (true, true)
    } else {
        // A partial-day request keeps its times unless new ones are given; an
        // all-day request turned partial must bring both.
        if let Some(t) = start_time {
            new.start_time = t;
        }
        if let Some(t) = end_time {
            new.end_time = t;
        }
        (
            start_time.is_some() || !old.all_day,
            end_time.is_some() || !old.all_day,
        )
    };
    check_request_rules(&mut f, &new, times_given);
    if !f.errors.is_empty() {
        return Err(unprocessable(f.errors));
    }
    apply_deduction(c, &old, -1.0);
    new.deducted = (new.status == RequestStatus::Approved)
        .then(|| request_amount(&new, &c.policy_types, &c.balances));
    apply_deduction(c, &new, 1.0);
    let data = update_json(c, &new);
    c.requests[index] = new;
    Ok(envelope(world, data, None).wrote())
}
