//! Time-off requests: list, create and update, and the balance deductions
//! an approved request makes.

use std::collections::HashSet;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::body::{Fields, object_body};
use super::policies::{type_index, unit_wire};
use super::query::{Query, to_usize};
use super::replies::{detail, envelope, item, paging, unprocessable};
use super::{Answer, account};
use crate::exchange::Call;
use crate::seed::{RequestStatus, RequestWindow};
use crate::state::{
    ConnecteamWorld, TRequest, World, all_day_end, all_day_start, fmt_hms, request_amount,
    status_name,
};

pub(super) fn request_json(c: &ConnecteamWorld, r: &TRequest) -> Value {
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
pub(super) fn update_json(c: &ConnecteamWorld, r: &TRequest) -> Value {
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

pub(super) const STATUSES: [&str; 3] = ["approved", "pending", "denied"];

pub(super) fn parse_status(s: &str) -> RequestStatus {
    match s {
        "pending" => RequestStatus::Pending,
        "denied" => RequestStatus::Denied,
        _ => RequestStatus::Approved,
    }
}

pub(super) fn list_requests(world: &mut World, call: &Call<'_>) -> Answer {
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
pub(super) fn check_request_rules(f: &mut Fields<'_>, r: &TRequest, times_given: (bool, bool)) {
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
pub(super) fn apply_deduction(c: &mut ConnecteamWorld, r: &TRequest, sign: f64) {
    if !c.quirks.requests_deduct_balance {
        return;
    }
    if let (RequestStatus::Approved, Some(amount)) = (r.status, r.deducted)
        && let Some(b) = c.balances.get_mut(&(r.policy_type, r.user_id))
    {
        b.balance -= sign * amount;
    }
}

pub(super) fn create_request(world: &mut World, call: &Call<'_>) -> Answer {
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

pub(super) const UPDATABLE: [&str; 10] = [
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

pub(super) fn update_request(world: &mut World, id: &str, call: &Call<'_>) -> Answer {
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
