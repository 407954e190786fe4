//! The Connecteam call builders: pure functions of the planned changes
//! and what was read: archive/restore in batches of 25, one assignment or
//! balance PUT per change, request create/update/deny.
//!
//! May import: `super::wire`, `crate::vendors` (`seg`), `crate::model`.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::Config;
use super::wire::{
    REQUESTS, USERS_BATCH, USERS_WRITE, assignments_path, balance_path, request_path, status_word,
    time_word,
};
use crate::model::{
    Call, Change, ChangeKind, LiveRequest, LiveState, Method, Operation, RequestFields, Status,
};

impl Config {
    /// The calls that realise `changes`, in their order: archive and
    /// restore batched 25 users a call, one assignment or balance PUT per
    /// change.
    pub fn calls(&self, changes: &[Change], _live: &LiveState) -> Vec<Call> {
        let mut calls: Vec<Call> = Vec::new();
        // The open archive/restore batch for each direction.
        let mut open: HashMap<bool, usize> = HashMap::new();
        for change in changes {
            let user_id = wire_user_id(&change.person.id);
            match &change.kind {
                ChangeKind::CreateRequest { request, .. } => calls.push(Call {
                    provider: self.name.clone(),
                    op: Operation::CreateRequest,
                    method: Method::Post,
                    path: REQUESTS.into(),
                    body: Some(request_body(request, &user_id)),
                    changes: vec![change.id],
                }),
                ChangeKind::UpdateRequest {
                    request, fields, ..
                } => calls.push(Call {
                    provider: self.name.clone(),
                    op: Operation::UpdateRequest,
                    method: Method::Put,
                    path: request_path(&request.id),
                    body: Some(update_body(fields)),
                    changes: vec![change.id],
                }),
                ChangeKind::DenyRequest { request, .. } => calls.push(Call {
                    provider: self.name.clone(),
                    op: Operation::DenyRequest,
                    method: Method::Put,
                    path: request_path(&request.id),
                    body: Some(json!({ "status": "denied" })),
                    changes: vec![change.id],
                }),
                ChangeKind::Status { to, .. } => {
                    let archive = *to == Status::Inactive;
                    let item = json!({ "userId": user_id, "isArchived": archive });
                    match open.get(&archive).copied() {
                        Some(i) if calls[i].changes.len() < USERS_BATCH => {
                            calls[i].changes.push(change.id);
                            if let Some(Value::Array(items)) = &mut calls[i].body {
                                items.push(item);
                            }
                        }
                        _ => {
                            open.insert(archive, calls.len());
                            calls.push(Call {
                                provider: self.name.clone(),
                                op: Operation::Status,
                                method: Method::Put,
                                path: USERS_WRITE.into(),
                                body: Some(json!([item])),
                                changes: vec![change.id],
                            });
                        }
                    }
                }
                ChangeKind::Assign {
                    policy,
                    balance,
                    unit,
                    ..
                } => {
                    let body = match balance {
                        Some(b) => {
                            json!({"userId": user_id, "balance": b.to_f64(), "unit": unit.as_str()})
                        }
                        None => json!({ "userId": user_id }),
                    };
                    calls.push(Call {
                        provider: self.name.clone(),
                        op: Operation::Assign,
                        method: Method::Put,
                        path: assignments_path(&policy.id),
                        body: Some(body),
                        changes: vec![change.id],
                    });
                }
                ChangeKind::Balance { policy, to, .. } => {
                    // Every Connecteam policy is read with its type; without
                    // one there is no path to build (the change then fails
                    // as "no call was made", never a `/policy-types//…` call).
                    let Some(type_id) = policy.policy_type_id.as_deref().filter(|t| !t.is_empty())
                    else {
                        tracing::error!("policy {} has no policy type: no balance call", policy.id);
                        continue;
                    };
                    calls.push(Call {
                        provider: self.name.clone(),
                        op: Operation::Balance,
                        method: Method::Put,
                        path: balance_path(type_id, &change.person.id),
                        body: Some(json!({ "balance": to.to_f64() })),
                        changes: vec![change.id],
                    });
                }
            }
        }
        calls
    }
}

/// The user (as the API writes their id) and dates of a create body.
pub fn create_span(body: &Value) -> Option<(String, jiff::civil::Date, jiff::civil::Date)> {
    let date = |k: &str| body.get(k)?.as_str()?.parse::<jiff::civil::Date>().ok();
    let user = body.get("userId")?.to_string();
    Some((user, date("startDate")?, date("endDate")?))
}

/// The body of `POST /time-off/v1/requests`.
pub fn request_body(r: &LiveRequest, user_id: &Value) -> Value {
    let mut body = serde_json::Map::new();
    body.insert("userId".into(), user_id.clone());
    body.insert("policyTypeId".into(), json!(r.policy_type_id));
    body.insert("isAllDay".into(), json!(r.all_day));
    body.insert("startDate".into(), json!(r.start_date.to_string()));
    body.insert("endDate".into(), json!(r.end_date.to_string()));
    if !r.all_day {
        body.insert("startTime".into(), json!(r.start_time.map(time_word)));
        body.insert("endTime".into(), json!(r.end_time.map(time_word)));
    }
    body.insert("timezone".into(), json!(r.timezone));
    body.insert("status".into(), json!(status_word(r.status)));
    if let Some(note) = &r.employee_note {
        body.insert("employeeNote".into(), json!(note));
    }
    if let Some(note) = &r.manager_note {
        body.insert("managerNote".into(), json!(note));
    }
    if r.adjust_for_dst == Some(true) {
        body.insert("isAdjustForDayLightSaving".into(), json!(true));
    }
    if let Some(id) = r.time_clock_id {
        body.insert("timeClockId".into(), json!(id));
    }
    Value::Object(body)
}

/// The body of `PUT /time-off/v1/requests/{id}`: the declared value of
/// each field that differs, by its wire name.
pub fn update_body(f: &RequestFields) -> Value {
    let mut body = serde_json::Map::new();
    let mut put = |name: &str, value: Value| {
        body.insert(name.to_owned(), value);
    };
    if let Some((_, to)) = f.adjust_for_dst {
        put("isAdjustForDayLightSaving", json!(to));
    }
    if let Some((_, to)) = f.all_day {
        put("isAllDay", json!(to));
    }
    if let Some((_, to)) = f.end_date {
        put("endDate", json!(to.to_string()));
    }
    if let Some((_, to)) = f.end_time {
        put("endTime", json!(to.map(time_word)));
    }
    if let Some((_, to)) = &f.manager_note {
        put("managerNote", json!(to));
    }
    if let Some((_, to)) = f.start_date {
        put("startDate", json!(to.to_string()));
    }
    if let Some((_, to)) = f.start_time {
        put("startTime", json!(to.map(time_word)));
    }
    if let Some((_, to)) = f.status {
        put("status", json!(status_word(to)));
    }
    if let Some((_, to)) = f.time_clock_id {
        put("timeClockId", json!(to));
    }
    if let Some((_, to)) = &f.timezone {
        put("timezone", json!(to));
    }
    Value::Object(body)
}

/// Connecteam user ids are integers on the wire.
pub fn wire_user_id(id: &str) -> Value {
    id.parse::<i64>()
        .map_or_else(|_| Value::String(id.to_owned()), Value::from)
}
