//! Policy types and policies, balances, and policy assignments.

use std::collections::HashSet;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::body::{Fields, object_body};
use super::query::{Query, to_usize};
use super::replies::{detail, envelope, item, item_ctx, paging, unprocessable};
use super::{Answer, account};
use crate::exchange::{Call, Reply};
use crate::seed::{MoveBalance, ReassignSamePolicy, TimeUnit};
use crate::state::{ConnecteamWorld, TBalance, World};

pub(super) fn unit_wire(u: TimeUnit) -> &'static str {
    match u {
        TimeUnit::Days => "days",
        TimeUnit::Hours => "hours",
    }
}

pub(super) fn policy_types(world: &mut World) -> Reply {
    let types: Vec<Value> = world
        .connecteam
        .as_ref()
        .map(|c| {
            c.policy_types
                .iter()
                .map(|t| {
                    let policies: Vec<Value> = t
                        .policies
                        .iter()
                        .map(|p| {
                            json!({
                                "id": p.id,
                                "name": p.name,
                                "unit": unit_wire(p.unit),
                                "accrualType": match p.accrual {
                                    crate::seed::AccrualType::Fixed => "fixed",
                                    crate::seed::AccrualType::Hourly => "hourly",
                                    crate::seed::AccrualType::Unlimited => "unlimited",
                                },
                            })
                        })
                        .collect();
                    json!({"id": t.id, "name": t.name, "policies": policies})
                })
                .collect()
        })
        .unwrap_or_default();
    envelope(world, json!({"policyTypes": types}), None)
}

pub(super) fn type_index(c: &ConnecteamWorld, id: &str) -> Result<usize, Reply> {
    c.policy_types
        .iter()
        .position(|t| t.id == id)
        .ok_or_else(|| detail(StatusCode::NOT_FOUND, "Policy type not found"))
}

pub(super) fn balance_json(c: &ConnecteamWorld, ti: usize, user_id: u64, b: TBalance) -> Value {
    let policy = c
        .policy_types
        .get(ti)
        .and_then(|t| t.policies.get(b.policy));
    json!({
        "userId": user_id,
        "policyId": policy.map(|p| p.id.clone()),
        "units": policy.map(|p| unit_wire(p.unit)),
        "balance": b.balance,
    })
}

pub(super) fn list_balances(world: &mut World, pt: &str, call: &Call<'_>) -> Answer {
    let mut q = Query::new(call);
    let ids: HashSet<u64> = q.int_list("userIds").into_iter().collect();
    let limit = to_usize(q.int("limit", 10, Some(1), Some(100)));
    let offset = to_usize(q.int("offset", 0, Some(0), None));
    q.finish()?;
    let c = account(world)?;
    let ti = type_index(c, pt)?;
    let page: Vec<Value> = c
        .balances
        .range((ti, 0)..(ti + 1, 0))
        .filter(|((_, uid), _)| ids.is_empty() || ids.contains(uid))
        .filter(|((_, uid), _)| {
            c.quirks.archived_users_in_balances
                || c.user_index.get(uid).is_some_and(|&i| !c.users[i].archived)
        })
        .skip(offset)
        .take(limit)
        .map(|(&(ti, uid), &b)| balance_json(c, ti, uid, b))
        .collect();
    let paging = paging(c.quirks.paging_offset, offset, page.len());
    Ok(envelope(world, json!({"balances": page}), Some(paging)))
}

pub(super) fn path_user_id(user: &str) -> Result<u64, Reply> {
    let loc = [json!("path"), json!("userId")];
    match user.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n.unsigned_abs()),
        Ok(_) => Err(unprocessable(vec![item_ctx(
            &loc,
            "ensure this value is greater than or equal to 1",
            "value_error.number.not_ge",
            json!({"limit_value": 1}),
        )])),
        Err(_) => Err(unprocessable(vec![item(
            &loc,
            "value is not a valid integer",
            "type_error.integer",
        )])),
    }
}

pub(super) fn put_balance(world: &mut World, pt: &str, user: &str, call: &Call<'_>) -> Answer {
    let user_id = path_user_id(user)?;
    let body = object_body(call)?;
    let mut f = Fields::new(&body, vec![json!("body")]);
    let balance = f.float("balance", true);
    if !f.errors.is_empty() {
        return Err(unprocessable(f.errors));
    }
    let balance = balance.unwrap_or_default();
    let c = account(world)?;
    let ti = type_index(c, pt)?;
    if !c.user_index.contains_key(&user_id) {
        return Err(detail(StatusCode::NOT_FOUND, "User not found"));
    }
    let Some(row) = c.balances.get_mut(&(ti, user_id)) else {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            "User is not assigned to a policy of this policy type",
        ));
    };
    row.balance = balance;
    let row = *row;
    let data = json!({"balance": balance_json(c, ti, user_id, row)});
    Ok(envelope(world, data, None).wrote())
}

pub(super) fn put_assignment(world: &mut World, policy: &str, call: &Call<'_>) -> Answer {
    let body = object_body(call)?;
    let mut f = Fields::new(&body, vec![json!("body")]);
    let user_id = f.int("userId", true, None);
    let balance = f.float("balance", false);
    let unit = f.enum_str("unit", false, &["hours", "days"]);
    if !f.errors.is_empty() {
        return Err(unprocessable(f.errors));
    }
    let user_id = user_id.unwrap_or_default().unsigned_abs();
    let c = account(world)?;
    let Some((ti, pi)) = c.policy_types.iter().enumerate().find_map(|(ti, t)| {
        t.policies
            .iter()
            .position(|p| p.id == policy)
            .map(|pi| (ti, pi))
    }) else {
        return Err(detail(StatusCode::NOT_FOUND, "Policy not found"));
    };
    if !c.user_index.contains_key(&user_id) {
        return Err(detail(StatusCode::NOT_FOUND, "User not found"));
    }
    let p = &c.policy_types[ti].policies[pi];
    if unit.is_some_and(|u| u != unit_wire(p.unit)) {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            format!("Unit must match the policy's unit ({})", unit_wire(p.unit)),
        ));
    }
    let default = p.default_balance;
    let quirks = c.quirks.clone();
    match c.balances.get_mut(&(ti, user_id)) {
        None => {
            c.balances.insert(
                (ti, user_id),
                TBalance {
                    policy: pi,
                    balance: balance.unwrap_or(default),
                },
            );
        }
        Some(row) if row.policy == pi => {
            if let (ReassignSamePolicy::Set, Some(b)) = (quirks.reassign_same_policy, balance) {
                row.balance = b;
            }
        }
        Some(row) => {
            row.policy = pi;
            row.balance = match (quirks.move_balance, balance) {
                (_, Some(b)) => b,
                (MoveBalance::Reset, None) => default,
                (MoveBalance::Carry, None) => row.balance,
            };
        }
    }
    Ok(envelope(world, json!({}), None).wrote())
}
