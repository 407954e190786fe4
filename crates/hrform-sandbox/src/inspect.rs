//! Inspection endpoints for tests and benchmarks, under `/__sandbox/`:
//!
//! - `GET /__sandbox/log[?since=N][&vendor=clockify|connecteam]`: the request
//!   log, `{"entries": [...]}`, entries after sequence number `N`.
//! - `DELETE /__sandbox/log`: empty the log (204).
//! - `GET /__sandbox/state`: the whole world as JSON.
//! - `POST /__sandbox/reset`: back to the seeded world; the log, the rate
//!   windows and the fault draws start over (204).
//!
//! No API key is needed; these paths are the sandbox's own, not a vendor's.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::exchange::{Reply, Shared, lock};

pub(crate) fn handle(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: &[(String, String)],
) -> Reply {
    let get = |k: &str| {
        query
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    match (method.as_str(), path.trim_end_matches('/')) {
        ("GET", "/__sandbox/log") => {
            let since: u64 = match get("since").map(str::parse).transpose() {
                Ok(s) => s.unwrap_or(0),
                Err(_) => {
                    return Reply::json(
                        StatusCode::BAD_REQUEST,
                        json!({"error": "since must be a whole number"}),
                    );
                }
            };
            let vendor = get("vendor");
            let log = lock(&shared.log);
            let entries: Vec<_> = log
                .iter()
                .filter(|e| e.seq > since)
                .filter(|e| {
                    vendor.is_none_or(|v| {
                        serde_json::to_value(e.vendor)
                            .ok()
                            .as_ref()
                            .and_then(|x| x.as_str())
                            == Some(v)
                    })
                })
                .collect();
            Reply::json(StatusCode::OK, json!({ "entries": entries }))
        }
        ("DELETE", "/__sandbox/log") => {
            lock(&shared.log).clear();
            Reply::empty(StatusCode::NO_CONTENT)
        }
        ("GET", "/__sandbox/state") => Reply::json(StatusCode::OK, lock(&shared.world).snapshot()),
        ("POST", "/__sandbox/reset") => {
            shared.reset();
            Reply::empty(StatusCode::NO_CONTENT)
        }
        _ => Reply::json(
            StatusCode::NOT_FOUND,
            json!({
                "error": format!("no sandbox endpoint {method} {path}"),
                "endpoints": [
                    "GET /__sandbox/log", "DELETE /__sandbox/log",
                    "GET /__sandbox/state", "POST /__sandbox/reset",
                ],
            }),
        ),
    }
}
