//! Time-off balances: by policy, by user, sorted and paged; the PATCH.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Answer;
use super::params::{enum_param, json_kind, object_body, page_of, paging};
use super::policies::{check_type, policy_index};
use super::replies::{bad_request, must_not_be_null, not_in_workspace, parse_error};
use crate::exchange::{Call, Reply};
use crate::seed::{BalancePatch, PatchUnassigned};
use crate::state::{CBalance, CPolicy, CUser, ClockifyWorld, hex24, time_unit_wire};

pub(super) fn balance_json(c: &ClockifyWorld, p: &CPolicy, u: &CUser, b: &CBalance) -> Value {
    let (balance, total) = b.fields(c.quirks.balance_fields);
    let negative_amount = p
        .negative_balance
        .get("amount")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    json!({
        "id": b.id,
        "workspaceId": c.workspace_id,
        "userId": u.id,
        "userName": u.name.clone().unwrap_or_else(|| u.email.clone()),
        "policyId": p.id,
        "policyName": p.name,
        "policyTimeUnit": time_unit_wire(p.unit),
        "policyArchived": p.archived,
        "balance": balance,
        "total": total,
        "used": b.used,
        "negativeBalanceAmount": if p.allow_negative_balance { negative_amount } else { 0.0 },
        "negativeBalanceLimit": p.allow_negative_balance,
        "negativeBalanceUsed": 0.0,
    })
}

/// Rows sorted by the `sort` and `sort-order` parameters, then paged.
pub(super) fn balance_page(
    c: &ClockifyWorld,
    mut rows: Vec<(usize, usize, &CBalance)>,
    call: &Call<'_>,
) -> Answer {
    let (page, size) = paging(call, Some(1000), 200)?;
    let sort = enum_param(
        call,
        "sort",
        "BalanceSort",
        &["USER", "POLICY", "USED", "BALANCE", "TOTAL"],
    )?
    .unwrap_or("USER");
    let descending = enum_param(
        call,
        "sort-order",
        "SortOrder",
        &["ASCENDING", "DESCENDING"],
    )? == Some("DESCENDING");
    let how = c.quirks.balance_fields;
    let user_key = |ui: usize| {
        c.users
            .get(ui)
            .map(|u| {
                (
                    u.name.as_deref().unwrap_or(&u.email).to_lowercase(),
                    u.id.clone(),
                )
            })
            .unwrap_or_default()
    };
    match sort {
        "POLICY" => rows.sort_by_cached_key(|&(pi, ui, _)| {
            (c.policies.get(pi).map(|p| p.name.clone()), user_key(ui))
        }),
        "USED" | "BALANCE" | "TOTAL" => rows.sort_by(|a, b| {
            let key = |r: &(usize, usize, &CBalance)| match sort {
                "USED" => r.2.used,
                "BALANCE" => r.2.fields(how).0,
                _ => r.2.fields(how).1,
            };
            key(a).total_cmp(&key(b)).then(a.1.cmp(&b.1))
        }),
        _ => rows.sort_by_cached_key(|&(pi, ui, _)| (user_key(ui), pi)),
    }
    if descending {
        rows.reverse();
    }
    let count = rows.len();
    let (items, last) = page_of(&rows, page, size);
    let balances: Vec<Value> = items
        .iter()
        .filter_map(|&(pi, ui, b)| Some(balance_json(c, c.policies.get(pi)?, c.users.get(ui)?, b)))
        .collect();
    Ok(Reply::json(
        StatusCode::OK,
        json!({"count": count, "balances": balances}),
    )
    .header("last-page", last.to_string()))
}

pub(super) fn balances_of_policy(c: &ClockifyWorld, id: &str, call: &Call<'_>) -> Answer {
    let pi = policy_index(c, id)?;
    let rows = c
        .balances
        .range((pi, 0)..(pi + 1, 0))
        .map(|(&(pi, ui), b)| (pi, ui, b))
        .collect();
    balance_page(c, rows, call)
}

pub(super) fn balances_of_user(c: &ClockifyWorld, id: &str, call: &Call<'_>) -> Answer {
    let &ui = c
        .user_index
        .get(id)
        .ok_or_else(|| not_in_workspace("User"))?;
    let rows = (0..c.policies.len())
        .filter_map(|pi| c.balances.get(&(pi, ui)).map(|b| (pi, ui, b)))
        .collect();
    balance_page(c, rows, call)
}

pub(super) fn patch_balance(c: &mut ClockifyWorld, id: &str, call: &Call<'_>) -> Answer {
    let body = object_body(call, "UpdateBalanceRequestV1")?;
    // Types first (Jackson), then validation, then entities.
    let user_ids: Option<Vec<String>> = match body.get("userIds") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut ids: Vec<String> = Vec::with_capacity(items.len());
            for item in items {
                let s = item.as_str().ok_or_else(|| {
                    parse_error(format!(
                        "Cannot deserialize value of type `String` from {} value",
                        json_kind(item)
                    ))
                })?;
                // A Java Set: a repeated id counts once.
                if !ids.iter().any(|x| x == s) {
                    ids.push(s.to_owned());
                }
            }
            Some(ids)
        }
        Some(other) => {
            return Err(parse_error(format!(
                "Cannot deserialize value of type `java.util.Set<String>` from {} value",
                json_kind(other)
            )));
        }
    };
    let value = match body.get("value") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(other) => {
            return Err(parse_error(format!(
                "Cannot deserialize value of type `double` from {} value",
                json_kind(other)
            )));
        }
    };
    check_type(&body, "note", "String")?;
    let (Some(user_ids), Some(value)) = (user_ids, value) else {
        return Err(must_not_be_null());
    };
    if user_ids.is_empty() {
        return Err(bad_request("size must be between 1 and 2147483647"));
    }
    if value > 10_000.0 {
        return Err(bad_request("must be less than or equal to 10000"));
    }
    if value < -10_000.0 {
        return Err(bad_request("must be greater than or equal to -10000"));
    }
    let pi = policy_index(c, id)?;
    let mut targets = Vec::with_capacity(user_ids.len());
    for uid in &user_ids {
        let &ui = c
            .user_index
            .get(uid)
            .ok_or_else(|| not_in_workspace("User"))?;
        let has_row = c.balances.contains_key(&(pi, ui));
        let policy = &c.policies[pi];
        let on_policy = policy.everyone_including_new || policy.user_ids.contains(uid);
        if !has_row && !on_policy && c.quirks.patch_unassigned == PatchUnassigned::Reject {
            return Err(bad_request("User is not assigned to the Policy"));
        }
        targets.push((ui, uid));
    }
    let note = body.get("note").and_then(Value::as_str).map(str::to_owned);
    let policy_id = c.policies[pi].id.clone();
    let mode = c.quirks.balance_patch;
    for (ui, uid) in targets {
        let row = c.balances.entry((pi, ui)).or_insert_with(|| CBalance {
            id: hex24(&format!("clockify-balance:{policy_id}:{uid}")),
            accrued: 0.0,
            used: 0.0,
            note: None,
        });
        match mode {
            BalancePatch::Add => row.accrued += value,
            BalancePatch::Set => row.accrued = value,
            BalancePatch::SetAvailable => row.accrued = value + row.used,
        }
        if note.is_some() {
            row.note.clone_from(&note);
        }
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT).wrote())
}
