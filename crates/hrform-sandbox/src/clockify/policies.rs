//! Time-off policies: list, get and the full-replace PUT.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::Answer;
use super::params::{
    contains_ci, enum_param, enum_value, json_kind, list_reply, object_body, page_of, paging,
};
use super::replies::{bad_request, must_not_be_null, not_in_workspace, parse_error};
use crate::exchange::{Call, Reply};
use crate::seed::ClockifyMembershipStatus;
use crate::state::{CBalance, CPolicy, ClockifyWorld, hex24, time_unit_wire};

pub(super) fn policy_json(c: &ClockifyWorld, p: &CPolicy) -> Value {
    json!({
        "id": p.id,
        "workspaceId": c.workspace_id,
        "name": p.name,
        "timeUnit": time_unit_wire(p.unit),
        "archived": p.archived,
        "allowNegativeBalance": p.allow_negative_balance,
        "negativeBalance": p.negative_balance,
        "allowHalfDay": p.allow_half_day,
        "userIds": p.user_ids,
        "userGroupIds": p.user_group_ids,
        "everyoneIncludingNew": p.everyone_including_new,
        "approve": p.approve,
        "automaticAccrual": p.automatic_accrual,
        "projectId": null,
        "automaticTimeEntryCreation": p.automatic_time_entry_creation,
        "color": p.color,
        "icon": p.icon,
    })
}

pub(super) fn list_policies(c: &ClockifyWorld, call: &Call<'_>) -> Answer {
    let (page, size) = paging(call, Some(1000), 200)?;
    let status = enum_param(
        call,
        "status",
        "PolicyStatus",
        &["ACTIVE", "ARCHIVED", "ALL"],
    )?
    .unwrap_or("ALL");
    let name = call.one("name").filter(|n| !n.is_empty());
    let descending = call.one("sort-order") == Some("DESCENDING");
    let mut matched: Vec<&CPolicy> = c
        .policies
        .iter()
        .filter(|p| match status {
            "ACTIVE" => !p.archived,
            "ARCHIVED" => p.archived,
            _ => true,
        })
        .filter(|p| name.is_none_or(|n| contains_ci(&p.name, n)))
        .collect();
    if descending {
        matched.reverse();
    }
    let (items, last) = page_of(&matched, page, size);
    Ok(list_reply(
        items.iter().map(|p| policy_json(c, p)).collect(),
        last,
    ))
}

pub(super) fn policy_index(c: &ClockifyWorld, id: &str) -> Result<usize, Reply> {
    c.policy_index
        .get(id)
        .copied()
        .ok_or_else(|| not_in_workspace("Policy"))
}

pub(super) fn get_policy(c: &ClockifyWorld, id: &str) -> Answer {
    let pi = policy_index(c, id)?;
    Ok(Reply::json(StatusCode::OK, policy_json(c, &c.policies[pi])))
}

/// Type check of one field, as Jackson does before bean validation.
pub(super) fn check_type(body: &Map<String, Value>, key: &str, kind: &str) -> Result<(), Reply> {
    let Some(v) = body.get(key) else {
        return Ok(());
    };
    let ok = matches!(
        (kind, v),
        (_, Value::Null)
            | ("boolean", Value::Bool(_))
            | ("String", Value::String(_))
            | ("object", Value::Object(_))
    );
    if ok {
        Ok(())
    } else {
        Err(parse_error(format!(
            "Cannot deserialize value of type `{kind}` from {} value (field \"{key}\")",
            json_kind(v)
        )))
    }
}

/// A `{contains, ids, status}` filter: (contains, ids, status).
pub(super) fn id_filter(v: &Value, what: &str) -> Result<(bool, Vec<String>, String), Reply> {
    let obj = v.as_object().ok_or_else(|| {
        parse_error(format!(
            "Cannot deserialize value of type `{what}` from {} value",
            json_kind(v)
        ))
    })?;
    let contains = match obj.get("contains") {
        None | Some(Value::Null) => "CONTAINS",
        Some(c) => enum_value(c, "ContainsFilter", &["CONTAINS", "DOES_NOT_CONTAIN"])?,
    };
    let status = match obj.get("status") {
        None | Some(Value::Null) => "ALL",
        Some(s) => enum_value(s, "MembershipStatusFilter", &["ALL", "ACTIVE", "INACTIVE"])?,
    };
    let ids = match obj.get("ids") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                let s = item.as_str().ok_or_else(|| {
                    parse_error(format!(
                        "Cannot deserialize value of type `String` from {} value",
                        json_kind(item)
                    ))
                })?;
                if !ids.iter().any(|x: &String| x == s) {
                    ids.push(s.to_owned());
                }
            }
            ids
        }
        Some(other) => {
            return Err(parse_error(format!(
                "Cannot deserialize value of type `java.util.Set<String>` from {} value",
                json_kind(other)
            )));
        }
    };
    Ok((contains == "CONTAINS", ids, status.to_owned()))
}

pub(super) fn put_policy(c: &mut ClockifyWorld, id: &str, call: &Call<'_>) -> Answer {
    let body = object_body(call, "UpdatePolicyRequestV1")?;
    // 1. Jackson: types.
    for key in [
        "allowHalfDay",
        "allowNegativeBalance",
        "archived",
        "everyoneIncludingNew",
        "hasExpiration",
    ] {
        check_type(&body, key, "boolean")?;
    }
    for key in ["name", "color", "icon"] {
        check_type(&body, key, "String")?;
    }
    for key in [
        "approve",
        "users",
        "userGroups",
        "automaticAccrual",
        "automaticTimeEntryCreation",
        "negativeBalance",
    ] {
        check_type(&body, key, "object")?;
    }
    let users = body
        .get("users")
        .filter(|v| !v.is_null())
        .map(|v| id_filter(v, "UserIdsSchema"))
        .transpose()?;
    let groups = body
        .get("userGroups")
        .filter(|v| !v.is_null())
        .map(|v| id_filter(v, "UserGroupIdsSchema"))
        .transpose()?;
    // 2. Bean validation: every required field present and non-null.
    for key in [
        "name",
        "allowHalfDay",
        "allowNegativeBalance",
        "archived",
        "everyoneIncludingNew",
        "hasExpiration",
        "approve",
        "users",
        "userGroups",
    ] {
        if body.get(key).is_none_or(Value::is_null) {
            return Err(must_not_be_null());
        }
    }
    let (Some((contains, ids, status)), Some((_, group_ids, _))) = (users, groups) else {
        return Err(must_not_be_null());
    };
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    let len = name.chars().count();
    if !(2..=100).contains(&len) {
        return Err(bad_request("Name must be between 2 and 100 characters"));
    }
    if let Some(color) = body.get("color").and_then(Value::as_str) {
        let hex = color.strip_prefix('#').unwrap_or("");
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad_request("Color must be in #RRGGBB format"));
        }
    }
    // 3. The handler: entities.
    let pi = policy_index(c, id)?;
    let flag = |k: &str| body.get(k).and_then(Value::as_bool).unwrap_or(false);
    let user_ids: Vec<String> = if contains {
        for uid in &ids {
            if !c.user_index.contains_key(uid) {
                return Err(not_in_workspace("User"));
            }
        }
        ids
    } else {
        c.users
            .iter()
            .filter(|u| !ids.contains(&u.id))
            .filter(|u| match status.as_str() {
                "ACTIVE" => u.membership == ClockifyMembershipStatus::Active,
                "INACTIVE" => u.membership == ClockifyMembershipStatus::Inactive,
                _ => true,
            })
            .map(|u| u.id.clone())
            .collect()
    };
    let has_expiration = flag("hasExpiration");
    let field = |k: &str| body.get(k).cloned().unwrap_or(Value::Null);
    let policy = &mut c.policies[pi];
    if policy.has_expiration != has_expiration {
        policy.expiration_flips += 1;
    }
    policy.name = name.to_owned();
    policy.allow_half_day = flag("allowHalfDay");
    policy.allow_negative_balance = flag("allowNegativeBalance");
    policy.archived = flag("archived");
    policy.everyone_including_new = flag("everyoneIncludingNew");
    policy.has_expiration = has_expiration;
    policy.approve = field("approve");
    policy.automatic_accrual = field("automaticAccrual");
    policy.automatic_time_entry_creation = field("automaticTimeEntryCreation");
    policy.negative_balance = field("negativeBalance");
    policy.color = field("color");
    policy.icon = field("icon");
    policy.user_group_ids = group_ids;
    let policy_id = policy.id.clone();
    for uid in &user_ids {
        if let Some(&ui) = c.user_index.get(uid) {
            c.balances.entry((pi, ui)).or_insert_with(|| CBalance {
                id: hex24(&format!("clockify-balance:{policy_id}:{uid}")),
                accrued: 0.0,
                used: 0.0,
                note: None,
            });
        }
    }
    c.policies[pi].user_ids = user_ids;
    Ok(Reply::json(StatusCode::OK, policy_json(c, &c.policies[pi])).wrote())
}
