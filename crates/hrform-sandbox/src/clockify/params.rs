//! Query parameters and JSON bodies read the way Clockify's Spring and
//! Jackson stack reads them, with its conversion errors; paging.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::replies::{bad_request, error, parse_error};
use crate::exchange::{Call, Reply};

pub(super) fn convert_error(value: &str, java_type: &str) -> Reply {
    error(
        StatusCode::BAD_REQUEST,
        format!(
            "Failed to convert value of type 'java.lang.String' to required type '{java_type}'; \
             For input string: \"{value}\""
        ),
        3000,
    )
}

pub(super) fn int_param(call: &Call<'_>, name: &str) -> Result<Option<i64>, Reply> {
    match call.one(name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<i32>()
            .map(|n| Some(i64::from(n)))
            .map_err(|_| convert_error(v, "int")),
    }
}

pub(super) fn enum_param<'c>(
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
pub(super) fn paging(
    call: &Call<'_>,
    max_page: Option<i64>,
    max_size: i64,
) -> Result<(usize, usize), Reply> {
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
pub(super) fn page_of<T>(items: &[T], page: usize, size: usize) -> (&[T], bool) {
    let start = (page - 1).saturating_mul(size);
    if start >= items.len() {
        return (&[], true);
    }
    let end = start.saturating_add(size).min(items.len());
    (&items[start..end], end >= items.len())
}

pub(super) fn list_reply(items: Vec<Value>, last: bool) -> Reply {
    Reply::json(StatusCode::OK, Value::Array(items)).header("last-page", last.to_string())
}

pub(super) fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// Parse a JSON object body the way Jackson does before validation runs.
pub(super) fn object_body(call: &Call<'_>, java_type: &str) -> Result<Map<String, Value>, Reply> {
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

pub(super) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(_) => "Number",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "Object",
    }
}

pub(super) fn enum_value<'v>(
    v: &'v Value,
    java_type: &str,
    allowed: &[&str],
) -> Result<&'v str, Reply> {
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
