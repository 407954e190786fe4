//! The vendors' pure halves: for each HR system, its JSON shapes, paths and
//! decoders into `model` (`<vendor>::wire`) and the call builders
//! (`<vendor>::calls`). The shell's `providers::<vendor>` is the other half
//! of each vendor (the reads and writes over HTTP, the transport's error
//! and throttle parsing); only these two halves know a vendor's JSON.
//!
//! [`calls`] is the one dispatch: the exact calls that realise a
//! provider's changes, a pure function of its manifest configuration, the
//! changes and what was read.

pub mod clockify;
pub mod connecteam;

use std::collections::BTreeMap;

use crate::manifest::checked::{self, ProviderKind};
use crate::model::{Call, Change, LiveState};

/// What stays unencoded in a path segment built from an API id: RFC 3986's
/// unreserved characters. Everything else (`/`, `?`, `#`, `%`, ...) is
/// percent-encoded, so an id can never reach another endpoint.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `id` (from an API, so untrusted) as one percent-encoded path segment.
/// No URL can carry a segment that is only `.` or `..` (even encoded as
/// `%2E`, URL parsers read it as a step), so such an id is sent with its
/// dots encoded twice: a segment no endpoint answers to, never another one.
pub fn seg(id: &str) -> String {
    if id == "." || id == ".." {
        return id.replace('.', "%252E");
    }
    percent_encoding::utf8_percent_encode(id, SEGMENT).to_string()
}

/// The exact calls that realise `changes` (all of `provider`), grouped so
/// one call serves many where the API allows, in the design's order:
/// activate, assign, set balances, (requests), deactivate. `policies`: the
/// manifests' per-policy settings; `live`: what was read of `provider`.
pub fn calls(
    provider: &checked::Provider,
    policies: &BTreeMap<(String, String), checked::PolicySettings>,
    changes: &[Change],
    live: &LiveState,
) -> Vec<Call> {
    match &provider.kind {
        ProviderKind::Clockify { .. } => {
            clockify::Config::new(provider, policies).calls(changes, live)
        }
        ProviderKind::Connecteam { .. } => connecteam::Config::new(provider).calls(changes, live),
    }
}

#[cfg(test)]
mod seg_tests {
    #[test]
    fn ids_become_one_segment() {
        assert_eq!(
            super::seg("64a687e29ae1f428e7ebe303"),
            "64a687e29ae1f428e7ebe303"
        );
        assert_eq!(
            super::seg("../../users?x=1#f"),
            "..%2F..%2Fusers%3Fx%3D1%23f"
        );
        assert_eq!(super::seg(".."), "%252E%252E");
        let url = url::Url::parse("http://h/a/b/").unwrap();
        assert_eq!(
            url.join(&super::seg("..")).unwrap().path(),
            "/a/b/%252E%252E"
        );
        assert_eq!(super::seg("a b%"), "a%20b%25");
    }
}

#[cfg(test)]
#[path = "calls_tests.rs"]
mod calls_tests;

/// No body a server sends makes a vendor's decoders panic: arbitrary bytes,
/// and JSON in the vendors' shapes holding extreme numbers and strings.
#[cfg(test)]
mod no_panic_tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn number() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            Just(Value::from(f64::MAX)),
            Just(Value::from(-f64::MAX)),
            Just(Value::from(7.9e28)),
            Just(Value::from(5e-324)),
        ]
    }

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            number(),
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::from),
            prop_oneof![
                Just("2026-02-30"),
                Just("2026-01-01"),
                Just("25:61"),
                Just("10:00:00"),
                Just("APPROVED"),
                Just("DAYS"),
                Just("HOURS"),
                Just("1e400"),
                Just("-0"),
                Just("99999999999999999999999999999999"),
            ]
            .prop_map(Value::from),
        ]
    }

    /// Objects using the vendors' field names, nested.
    fn shaped() -> impl Strategy<Value = Value> {
        let keys = prop_oneof![
            Just("data"),
            Just("users"),
            Just("policyTypes"),
            Just("policies"),
            Just("requests"),
            Just("balances"),
            Just("count"),
            Just("balance"),
            Just("total"),
            Just("used"),
            Just("userId"),
            Just("id"),
            Just("name"),
            Just("email"),
            Just("detail"),
            Just("message"),
            Just("startDate"),
            Just("endDate"),
            Just("startTime"),
            Just("endTime"),
            Just("status"),
            Just("isAllDay"),
            Just("policyTypeId"),
            Just("timezone"),
            Just("duration"),
            Just("amount"),
            Just("unit"),
            Just("timeUnit"),
            Just("userType"),
            Just("isArchived"),
            Just("memberships"),
        ];
        leaf().prop_recursive(5, 64, 8, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(keys.clone(), inner, 0..8).prop_map(|m| Value::Object(
                    m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )),
            ]
        })
    }

    fn decode(body: &[u8]) {
        super::clockify::wire::decode_everything(body);
        super::connecteam::wire::decode_everything(body);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn arbitrary_bytes_never_panic_a_decoder(body in prop::collection::vec(any::<u8>(), 0..256)) {
            decode(&body);
        }

        #[test]
        fn vendor_shaped_json_never_panics_a_decoder(v in shaped()) {
            decode(v.to_string().as_bytes());
            decode(json!({"data": v.clone()}).to_string().as_bytes());
            decode(json!([v]).to_string().as_bytes());
        }
    }
}
