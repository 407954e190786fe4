//! Clockify's side of the transport: the [`Wire`] the HTTP client needs
//! (key header, error body, throttle). Its JSON shapes and paths are the
//! core's `vendors::clockify::wire`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::http::Wire;

pub(super) const WIRE: Wire = Wire {
    vendor: "Clockify",
    auth_header: "X-Api-Key",
    error_message,
    error_code,
    throttled_ok: |_| false,
    min_throttle_wait: Duration::from_secs(1),
};

/// The message of `{"message": "...", "code": 501}` (the code is
/// [`error_code`]'s, shown beside it).
pub(super) fn error_message(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct ErrorBody {
        message: String,
    }
    let e: ErrorBody = serde_json::from_slice(body).ok()?;
    Some(e.message)
}

/// The `code` of `{"message": "...", "code": 501}`, a number.
pub(super) fn error_code(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v.get("code")?.as_i64().map(|c| c.to_string())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// No error body a server sends makes the parser panic.
        #[test]
        fn any_body_parses_without_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = super::error_message(&body);
            let _ = super::error_code(&body);
        }
    }
}
