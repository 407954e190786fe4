//! Connecteam's answers: the success envelope with its paging, FastAPI's 422
//! items, domain errors, and the throttle, 5xx and too-large replies.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::exchange::{Reply, Shared, lock};
use crate::rate::WindowStatus;
use crate::seed::PagingOffset;
use crate::state::{World, now_epoch};

pub(super) fn detail(status: StatusCode, message: impl Into<String>) -> Reply {
    Reply::json(status, json!({"detail": message.into()}))
}

/// One pydantic error item.
pub(super) fn item(loc: &[Value], msg: &str, kind: &str) -> Value {
    json!({"loc": loc, "msg": msg, "type": kind})
}

pub(super) fn item_ctx(loc: &[Value], msg: &str, kind: &str, ctx: Value) -> Value {
    json!({"loc": loc, "msg": msg, "type": kind, "ctx": ctx})
}

pub(super) fn unprocessable(items: Vec<Value>) -> Reply {
    Reply::json(StatusCode::UNPROCESSABLE_ENTITY, json!({"detail": items}))
}

pub(super) fn missing(loc: &[Value]) -> Value {
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

pub(super) fn envelope(world: &mut World, data: Value, paging: Option<Value>) -> Reply {
    let request_id = world.next_uuid();
    let mut body = json!({"requestId": request_id, "data": data});
    if let (Some(p), Some(obj)) = (paging, body.as_object_mut()) {
        obj.insert("paging".to_owned(), p);
    }
    Reply::json(StatusCode::OK, body)
}

pub(super) fn paging(mode: PagingOffset, offset: usize, returned: usize) -> Value {
    let value = match mode {
        PagingOffset::Request => offset,
        PagingOffset::Next => offset + returned,
        PagingOffset::Last => (offset + returned).saturating_sub(1).max(offset),
    };
    json!({ "offset": value })
}
