//! Connecteam's side of the transport: the [`Wire`] the HTTP client needs
//! (key header, error body, the throttling 200). Its JSON shapes and paths
//! are the core's `vendors::connecteam::wire`.

use std::time::Duration;

use serde_json::Value;

use crate::http::Wire;

pub(super) const WIRE: Wire = Wire {
    vendor: "Connecteam",
    auth_header: "X-API-KEY",
    error_message,
    error_code,
    throttled_ok,
    min_throttle_wait: Duration::from_millis(500),
};

/// `{"detail": "text"}` or FastAPI's `{"detail": [{"loc": [...], "msg": ...}]}`.
pub(super) fn error_message(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    match v.get("detail")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(
            items
                .iter()
                .map(|i| {
                    let loc: Vec<String> = i
                        .get("loc")
                        .and_then(Value::as_array)
                        .map(|l| {
                            l.iter()
                                .map(|p| match p {
                                    Value::String(s) => s.clone(),
                                    other => other.to_string(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let msg = i.get("msg").and_then(Value::as_str).unwrap_or("invalid");
                    format!("{}: {msg}", loc.join("."))
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => Some(other.to_string()),
    }
    .or_else(|| v.get("error").and_then(Value::as_str).map(str::to_owned))
}

/// The code of an error body: the `CODE` of `{"error": "CODE: text"}`,
/// `validation` for FastAPI's list of problems, or a name for the
/// `detail` texts Connecteam is known to send.
pub(super) fn error_code(body: &[u8]) -> Option<String> {
    const KNOWN: &[(&str, &str)] = &[
        ("Cannot archive owners or managers", "owners-or-managers"),
        ("Admin cannot archive", "self"),
        (
            "Can't archive user who is already archived",
            "already-archived",
        ),
        ("Too many requests", "too-many-requests"),
    ];
    let v: Value = serde_json::from_slice(body).ok()?;
    match v.get("detail") {
        Some(Value::String(s)) => KNOWN
            .iter()
            .find(|(text, _)| s.starts_with(text))
            .map(|(_, code)| (*code).to_owned()),
        Some(Value::Array(_)) => Some("validation".to_owned()),
        _ => v
            .get("error")
            .and_then(Value::as_str)
            .and_then(|e| e.split_once(':'))
            .map(|(code, _)| code.trim().to_owned())
            .filter(|c| !c.is_empty() && c.len() <= 64),
    }
}

/// A 200 whose body is `{"detail": "Too many requests"}` and no `data`.
pub(super) fn throttled_ok(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .is_ok_and(|v| v.get("data").is_none() && v.get("detail").is_some_and(Value::is_string))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// No body a server sends makes the error or throttle parser panic.
        #[test]
        fn any_body_parses_without_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = super::error_message(&body);
            let _ = super::throttled_ok(&body);
            let _ = super::error_code(&body);
        }
    }
}
