//! Clockify's error bodies (`{message, code}`) and the throttle, 5xx and
//! too-large replies.

use axum::http::StatusCode;
use serde_json::json;

use crate::exchange::Reply;

pub(super) fn error(status: StatusCode, message: impl Into<String>, code: u32) -> Reply {
    Reply::json(status, json!({"message": message.into(), "code": code}))
}

pub(super) fn bad_request(message: impl Into<String>) -> Reply {
    error(StatusCode::BAD_REQUEST, message, 501)
}

pub(super) fn parse_error(detail: impl std::fmt::Display) -> Reply {
    error(
        StatusCode::BAD_REQUEST,
        format!("JSON parse error: {detail}"),
        3002,
    )
}

pub(super) fn not_in_workspace(what: &str) -> Reply {
    bad_request(format!("{what} doesn't belong to Workspace"))
}

pub(super) fn must_not_be_null() -> Reply {
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
