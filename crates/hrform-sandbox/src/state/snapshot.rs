//! The JSON snapshot of the whole world that `/__sandbox/state` serves, in
//! hrform's own snake_case names.

use serde_json::{Value, json};

use super::{ClockifyWorld, ConnecteamWorld, World, fmt_hms};
use crate::seed::{ClockifyMembershipStatus, ConnecteamRole, RequestStatus, TimeUnit};

impl World {
    /// The whole state as JSON (`GET /__sandbox/state`), in hrform's own
    /// snake_case names: an inspection format, not a vendor one.
    pub(crate) fn snapshot(&self) -> Value {
        json!({
            "clockify": self.clockify.as_ref().map(clockify_snapshot),
            "connecteam": self.connecteam.as_ref().map(connecteam_snapshot),
        })
    }
}

pub(super) fn membership_name(s: ClockifyMembershipStatus) -> &'static str {
    match s {
        ClockifyMembershipStatus::Active => "active",
        ClockifyMembershipStatus::Inactive => "inactive",
        ClockifyMembershipStatus::Pending => "pending",
        ClockifyMembershipStatus::Declined => "declined",
    }
}

pub(super) fn unit_name(u: TimeUnit) -> &'static str {
    match u {
        TimeUnit::Days => "days",
        TimeUnit::Hours => "hours",
    }
}

pub(super) fn clockify_snapshot(c: &ClockifyWorld) -> Value {
    let users: Vec<Value> = c
        .users
        .iter()
        .map(|u| {
            json!({
                "id": u.id, "email": u.email, "name": u.name,
                "status": membership_name(u.membership),
            })
        })
        .collect();
    let policies: Vec<Value> = c
        .policies
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "name": p.name, "unit": unit_name(p.unit),
                "archived": p.archived,
                "everyone_including_new": p.everyone_including_new,
                "has_expiration": p.has_expiration,
                "expiration_flips": p.expiration_flips,
                "user_ids": p.user_ids,
            })
        })
        .collect();
    let balances: Vec<Value> = c
        .balances
        .iter()
        .filter_map(|(&(pi, ui), b)| {
            let p = c.policies.get(pi)?;
            let u = c.users.get(ui)?;
            let (balance, total) = b.fields(c.quirks.balance_fields);
            Some(json!({
                "policy_id": p.id, "policy": p.name, "user_id": u.id, "email": u.email,
                "accrued": b.accrued, "used": b.used, "balance": balance, "total": total,
                "note": b.note,
            }))
        })
        .collect();
    json!({
        "workspace_id": c.workspace_id,
        "key_owner": c.users.get(c.owner).map(|u| u.id.clone()),
        "users": users,
        "policies": policies,
        "balances": balances,
    })
}

pub(crate) fn role_name(r: ConnecteamRole) -> &'static str {
    match r {
        ConnecteamRole::Owner => "owner",
        ConnecteamRole::Manager => "manager",
        ConnecteamRole::User => "user",
    }
}

pub(crate) fn status_name(s: RequestStatus) -> &'static str {
    match s {
        RequestStatus::Approved => "approved",
        RequestStatus::Pending => "pending",
        RequestStatus::Denied => "denied",
    }
}

pub(super) fn connecteam_snapshot(c: &ConnecteamWorld) -> Value {
    let users: Vec<Value> = c
        .users
        .iter()
        .map(|u| {
            json!({
                "id": u.id, "email": u.email,
                "name": format!("{} {}", u.first_name, u.last_name),
                "role": role_name(u.role), "archived": u.archived,
            })
        })
        .collect();
    let types: Vec<Value> = c
        .policy_types
        .iter()
        .map(|t| {
            json!({
                "id": t.id, "name": t.name,
                "policies": t.policies.iter().map(|p| json!({
                    "id": p.id, "name": p.name, "unit": unit_name(p.unit),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let balances: Vec<Value> = c
        .balances
        .iter()
        .filter_map(|(&(ti, uid), b)| {
            let t = c.policy_types.get(ti)?;
            let p = t.policies.get(b.policy)?;
            let email = c.user_index.get(&uid).map(|&i| c.users[i].email.clone());
            Some(json!({
                "policy_type_id": t.id, "policy_type": t.name, "policy_id": p.id,
                "policy": p.name, "user_id": uid, "email": email, "balance": b.balance,
            }))
        })
        .collect();
    let requests: Vec<Value> = c
        .requests
        .iter()
        .map(|r| {
            json!({
                "id": r.id, "user_id": r.user_id,
                "policy_type_id": c.policy_types.get(r.policy_type).map(|t| t.id.clone()),
                "all_day": r.all_day,
                "start_date": r.start_date.to_string(), "end_date": r.end_date.to_string(),
                "start_time": fmt_hms(r.start_time), "end_time": fmt_hms(r.end_time),
                "timezone": r.timezone, "status": status_name(r.status),
                "employee_note": r.employee_note, "manager_note": r.manager_note,
                "time_clock_id": r.time_clock_id, "adjust_for_dst": r.adjust_dst,
                "deducted": r.deducted,
            })
        })
        .collect();
    json!({
        "users": users,
        "policy_types": types,
        "balances": balances,
        "requests": requests,
    })
}
