//! Connecteam's wire: its JSON shapes (the response DTOs), paths, page
//! sizes and windows. The transport's side (key header, error body, the
//! throttling 200) is the shell's `providers::connecteam::transport`.
//!
//! May import: `crate::vendors` (`seg`), `crate::model`.
//! Outside this vendor's two halves nothing sees these types or field names.

use serde::Deserialize;
use serde_json::Value;

use crate::model::{Amount, LiveRequest, RequestStatus};
use crate::vendors::seg;

/// `GET /users/v1/users`: at most 500 a page.
pub const USERS_PAGE: usize = 500;
/// `GET .../balances`: at most 100 a page.
pub const BALANCES_PAGE: usize = 100;
/// `GET /time-off/v1/requests`: at most 100 a page.
pub const REQUESTS_PAGE: usize = 100;
/// The most 365-day slices one read of requests may take.
pub const MAX_REQUEST_SLICES: usize = 25;
/// `GET /time-off/v1/requests`: a window of at most 365 days.
pub const REQUEST_WINDOW_DAYS: i64 = 365;
/// `PUT /users/v1/users`: at most 25 users a call.
pub const USERS_BATCH: usize = 25;

#[derive(Deserialize)]
pub struct Envelope<T> {
    pub data: T,
}

#[derive(Deserialize)]
pub struct UsersData {
    pub users: Vec<UserDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    pub user_id: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub user_type: String,
    #[serde(default)]
    pub is_archived: bool,
}

/// The account the key belongs to (`GET /me`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeData {
    #[serde(default)]
    pub company_name: String,
    #[serde(default, deserialize_with = "id_string")]
    pub company_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTypesData {
    pub policy_types: Vec<PolicyTypeDto>,
}

#[derive(Deserialize)]
pub struct PolicyTypeDto {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub policies: Option<Vec<PolicyDto>>,
}

#[derive(Deserialize)]
pub struct PolicyDto {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    pub name: String,
    pub unit: String,
    /// `fixed`, `hourly` or `unlimited` (added 2026-07-13).
    #[serde(default, rename = "accrualType")]
    pub accrual_type: Option<String>,
}

#[derive(Deserialize)]
pub struct DurationDto {
    pub amount: Amount,
}

#[derive(Deserialize)]
pub struct RequestsData {
    pub requests: Vec<RequestDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestDto {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    pub user_id: i64,
    #[serde(deserialize_with = "id_string")]
    pub policy_type_id: String,
    pub is_all_day: bool,
    pub start_date: String,
    pub end_date: String,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub timezone: String,
    pub status: String,
    pub employee_note: Option<String>,
    pub manager_note: Option<String>,
    pub is_adjust_for_day_light_saving: Option<bool>,
    pub time_clock_id: Option<i64>,
    /// On approved requests: what is deducted, in the policy's unit.
    #[serde(default)]
    pub duration: Option<DurationDto>,
}

/// `[first, last]` cut into windows of at most 365 days, each starting the
/// day after the previous one ends.
pub fn request_slices(
    first: jiff::civil::Date,
    last: jiff::civil::Date,
) -> Vec<(jiff::civil::Date, jiff::civil::Date)> {
    let mut out = Vec::new();
    let mut from = first;
    loop {
        let to = from
            .checked_add(jiff::Span::new().days(REQUEST_WINDOW_DAYS - 1))
            .map_or(last, |d| d.min(last));
        out.push((from, to));
        if to >= last {
            break;
        }
        match to.tomorrow() {
            Ok(next) => from = next,
            Err(_) => break,
        }
    }
    out
}

#[derive(Deserialize)]
pub struct BalancesData {
    pub balances: Vec<BalanceDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceDto {
    pub user_id: i64,
    #[serde(deserialize_with = "id_string")]
    pub policy_id: String,
    pub balance: Option<Amount>,
}

/// A request as the model has it; `Err` says which field the model cannot
/// read (a date, a partial day's time, a status outside the documented
/// three), with the value escaped.
pub fn live_request(r: RequestDto, types: &[PolicyTypeDto]) -> Result<LiveRequest, String> {
    let bad = |field: &str, value: &str, what: &str| {
        format!(
            "request {}: {field} `{}` is not {what}",
            crate::escape::text(&r.id),
            crate::escape::text(value)
        )
    };
    let date = |field: &str, value: &str| {
        value
            .parse::<jiff::civil::Date>()
            .map_err(|_| bad(field, value, "a date (YYYY-MM-DD)"))
    };
    // All-day requests' times are not the model's (the API may send any).
    let time = |field: &str, value: &Option<String>| match value {
        Some(t) if !r.is_all_day => t
            .parse::<jiff::civil::Time>()
            .map(Some)
            .map_err(|_| bad(field, t, "a time (HH:MM:SS)")),
        _ => Ok(None),
    };
    let status = match r.status.as_str() {
        "approved" => RequestStatus::Approved,
        "pending" => RequestStatus::Pending,
        "denied" => RequestStatus::Denied,
        other => return Err(bad("status", other, "approved, pending or denied")),
    };
    let start_date = date("startDate", &r.start_date)?;
    let end_date = date("endDate", &r.end_date)?;
    let start_time = time("startTime", &r.start_time)?;
    let end_time = time("endTime", &r.end_time)?;
    let policy_type = types
        .iter()
        .find(|t| t.id == r.policy_type_id)
        .map_or_else(|| r.policy_type_id.clone(), |t| t.name.clone());
    Ok(LiveRequest {
        id: r.id,
        person: r.user_id.to_string(),
        policy_type_id: r.policy_type_id,
        policy_type,
        all_day: r.is_all_day,
        start_date,
        end_date,
        start_time,
        end_time,
        timezone: r.timezone,
        duration: (status == RequestStatus::Approved)
            .then_some(r.duration.map(|d| d.amount))
            .flatten(),
        status,
        employee_note: r.employee_note.filter(|n| !n.is_empty()),
        manager_note: r.manager_note.filter(|n| !n.is_empty()),
        adjust_for_dst: r.is_adjust_for_day_light_saving,
        time_clock_id: r.time_clock_id,
    })
}

/// The wire's word for a request status.
pub fn status_word(s: RequestStatus) -> &'static str {
    match s {
        RequestStatus::Approved => "approved",
        RequestStatus::Pending => "pending",
        RequestStatus::Denied => "denied",
    }
}

/// A time as the API writes it.
pub fn time_word(t: jiff::civil::Time) -> String {
    t.strftime("%H:%M:%S").to_string()
}

/// Ids are documented as strings; accept a number too, kept as its text.
pub fn id_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, found {other}"
        ))),
    }
}

/// Every user (`GET`), and archive/restore (`PUT`, see [`USERS_WRITE`]).
pub const USERS: &str = "/users/v1/users";
/// Archive/restore: `PUT` of up to [`USERS_BATCH`] users.
pub const USERS_WRITE: &str = "/users/v1/users?includeSmartGroupIds=false";
/// The policy types with their policies (`GET`).
pub const POLICY_TYPES: &str = "/time-off/v1/policy-types";

/// `GET`: the account the key belongs to (company name and id).
pub const ME: &str = "/me";
/// Time-off requests (`GET` pages, `POST` one).
pub const REQUESTS: &str = "/time-off/v1/requests";

/// One request (`PUT`: update or deny).
pub fn request_path(id: &str) -> String {
    format!("{REQUESTS}/{}", seg(id))
}

/// A policy's assignments (`PUT`, one user a call).
pub fn assignments_path(policy: &str) -> String {
    format!("/time-off/v1/time-off-policies/{}/assignments", seg(policy))
}

/// A policy type's balances (`GET` pages).
pub fn type_balances_path(policy_type: &str) -> String {
    format!("{POLICY_TYPES}/{}/balances", seg(policy_type))
}

/// One user's balance on a policy type (`PUT`, absolute).
pub fn balance_path(policy_type: &str, user: &str) -> String {
    format!("{}/{}", type_balances_path(policy_type), seg(user))
}

/// Every decoder of this wire run on `body`, results dropped: for the
/// property test that no answer panics (`vendors::no_panic_tests`).
#[cfg(test)]
pub(crate) fn decode_everything(body: &[u8]) {
    let _ = serde_json::from_slice::<Envelope<UsersData>>(body);
    let types = serde_json::from_slice::<Envelope<PolicyTypesData>>(body)
        .map(|e| e.data.policy_types)
        .unwrap_or_default();
    let _ = serde_json::from_slice::<Envelope<BalancesData>>(body);
    if let Ok(e) = serde_json::from_slice::<Envelope<RequestsData>>(body) {
        for r in e.data.requests {
            let _ = live_request(r, &types);
        }
    }
}
