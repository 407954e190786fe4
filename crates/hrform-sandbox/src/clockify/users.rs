//! The key owner, the workspace's users and the user status PUT.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Answer;
use super::params::{
    contains_ci, convert_error, enum_param, enum_value, list_reply, object_body, page_of, paging,
};
use super::replies::{bad_request, error, must_not_be_null, not_in_workspace};
use crate::exchange::{Call, Reply};
use crate::seed::{ClockifyAccountStatus, ClockifyMembershipStatus, UsersDefaultStatus};
use crate::state::{CUser, ClockifyWorld, hex24};

pub(super) fn membership_wire(s: ClockifyMembershipStatus) -> &'static str {
    match s {
        ClockifyMembershipStatus::Active => "ACTIVE",
        ClockifyMembershipStatus::Inactive => "INACTIVE",
        ClockifyMembershipStatus::Pending => "PENDING",
        ClockifyMembershipStatus::Declined => "DECLINED",
    }
}

pub(super) fn account_wire(s: ClockifyAccountStatus) -> &'static str {
    match s {
        ClockifyAccountStatus::Active => "ACTIVE",
        ClockifyAccountStatus::PendingEmailVerification => "PENDING_EMAIL_VERIFICATION",
        ClockifyAccountStatus::NotRegistered => "NOT_REGISTERED",
        ClockifyAccountStatus::Limited => "LIMITED",
        ClockifyAccountStatus::Deleted => "DELETED",
        ClockifyAccountStatus::LimitedDeleted => "LIMITED_DELETED",
    }
}

pub(super) fn membership_json(ws: &str, u: &CUser) -> Value {
    json!({
        "userId": u.id,
        "targetId": ws,
        "membershipType": "WORKSPACE",
        "membershipStatus": membership_wire(u.membership),
        "hourlyRate": null,
        "costRate": null,
    })
}

pub(super) fn user_json(c: &ClockifyWorld, u: &CUser, memberships: bool) -> Value {
    let settings = if u.account == ClockifyAccountStatus::NotRegistered {
        Value::Null
    } else {
        json!({
            "weekStart": "MONDAY",
            "timeZone": "UTC",
            "timeFormat": "HOUR24",
            "dateFormat": "YYYY-MM-DD",
        })
    };
    json!({
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "status": account_wire(u.account),
        "activeWorkspace": c.workspace_id,
        "defaultWorkspace": c.workspace_id,
        "profilePicture": "https://img.clockify.me/no-user-image.png",
        "customFields": [],
        "settings": settings,
        "memberships": if memberships { vec![membership_json(&c.workspace_id, u)] } else { Vec::new() },
    })
}

pub(super) fn get_me(c: &ClockifyWorld, call: &Call<'_>) -> Answer {
    let with = call.one("include-memberships") == Some("true");
    let owner = c
        .users
        .get(c.owner)
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "Api key does not exist", 4003))?;
    Ok(Reply::json(StatusCode::OK, user_json(c, owner, with)))
}

pub(super) const ACCOUNT_STATUSES: [&str; 6] = [
    "ACTIVE",
    "PENDING_EMAIL_VERIFICATION",
    "DELETED",
    "NOT_REGISTERED",
    "LIMITED",
    "LIMITED_DELETED",
];

pub(super) fn list_users(c: &ClockifyWorld, call: &Call<'_>) -> Answer {
    let (page, size) = paging(call, None, 5000)?;
    let status = enum_param(
        call,
        "status",
        "MembershipStatus",
        &["PENDING", "ACTIVE", "DECLINED", "INACTIVE", "ALL"],
    )?
    .unwrap_or(match c.quirks.users_default_status {
        UsersDefaultStatus::Active => "ACTIVE",
        UsersDefaultStatus::All => "ALL",
    });
    let accounts: Vec<&str> = match call.one("account-statuses") {
        None => vec!["ACTIVE", "PENDING_EMAIL_VERIFICATION", "NOT_REGISTERED"],
        Some(list) => {
            let mut out = Vec::new();
            for a in list.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                match ACCOUNT_STATUSES.iter().find(|s| **s == a) {
                    Some(s) => out.push(*s),
                    None => return Err(convert_error(a, "AccountStatus")),
                }
            }
            out
        }
    };
    let memberships = enum_param(
        call,
        "memberships",
        "MembershipsFilter",
        &["ALL", "NONE", "WORKSPACE", "PROJECT", "USERGROUP"],
    )?;
    let with_memberships = match memberships {
        Some("ALL" | "WORKSPACE") => true,
        Some(_) => false,
        None => c.quirks.memberships_by_default,
    };
    let sort = enum_param(
        call,
        "sort-column",
        "UserSortColumn",
        &[
            "ID",
            "EMAIL",
            "NAME",
            "NAME_LOWERCASE",
            "ACCESS",
            "HOURLYRATE",
            "COSTRATE",
        ],
    )?
    .unwrap_or("EMAIL");
    let descending = enum_param(
        call,
        "sort-order",
        "SortOrder",
        &["ASCENDING", "DESCENDING"],
    )? == Some("DESCENDING");
    let email = call.one("email").filter(|e| !e.is_empty());
    let name = call.one("name").filter(|n| !n.is_empty());

    let mut matched: Vec<&CUser> = c
        .users
        .iter()
        .filter(|u| status == "ALL" || membership_wire(u.membership) == status)
        .filter(|u| accounts.contains(&account_wire(u.account)))
        .filter(|u| email.is_none_or(|e| contains_ci(&u.email, e)))
        .filter(|u| name.is_none_or(|n| u.name.as_deref().is_some_and(|un| contains_ci(un, n))))
        .collect();
    match sort {
        "ID" => matched.sort_by(|a, b| a.id.cmp(&b.id)),
        "NAME" => matched.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id))),
        "NAME_LOWERCASE" => {
            matched.sort_by_cached_key(|u| (u.name.as_deref().map(str::to_lowercase), u.id.clone()))
        }
        _ => matched.sort_by(|a, b| a.email.cmp(&b.email).then(a.id.cmp(&b.id))),
    }
    if descending {
        matched.reverse();
    }
    let (items, last) = page_of(&matched, page, size);
    let items = items
        .iter()
        .map(|u| user_json(c, u, with_memberships))
        .collect();
    Ok(list_reply(items, last))
}

pub(super) fn workspace_json(c: &ClockifyWorld) -> Value {
    let memberships: Vec<Value> = c
        .users
        .iter()
        .map(|u| membership_json(&c.workspace_id, u))
        .collect();
    json!({
        "id": c.workspace_id,
        "name": c.workspace_name,
        "hourlyRate": {"amount": 0, "currency": "USD"},
        "costRate": {"amount": 0, "currency": "USD"},
        "memberships": memberships,
        "workspaceSettings": {
            "timeRoundingInReports": false,
            "onlyAdminsSeeBillableRates": true,
            "onlyAdminsCreateProject": true,
            "adminOnlyPages": [],
        },
        "imageUrl": "",
        "featureSubscriptionType": "STANDARD",
        "features": ["TIME_OFF"],
        "currencies": [{"id": hex24(&format!("currency:{}", c.workspace_id)), "code": "USD", "isDefault": true}],
        "subdomain": {"enabled": false, "name": null},
        "cakeOrganizationId": hex24(&format!("organization:{}", c.workspace_id)),
    })
}

pub(super) fn put_user_status(c: &mut ClockifyWorld, id: &str, call: &Call<'_>) -> Answer {
    let body = object_body(call, "UpdateUserStatusRequest")?;
    let status = match body.get("status") {
        None | Some(Value::Null) => return Err(must_not_be_null()),
        Some(v) => enum_value(v, "MembershipStatus", &["ACTIVE", "INACTIVE"])?,
    };
    let &ui = c
        .user_index
        .get(id)
        .ok_or_else(|| not_in_workspace("User"))?;
    if ui == c.owner && status == "INACTIVE" {
        return Err(error(StatusCode::FORBIDDEN, "Access Denied", 501));
    }
    let user = &mut c.users[ui];
    if matches!(
        user.membership,
        ClockifyMembershipStatus::Pending | ClockifyMembershipStatus::Declined
    ) {
        return Err(bad_request("User has not joined the Workspace"));
    }
    user.membership = if status == "ACTIVE" {
        ClockifyMembershipStatus::Active
    } else {
        ClockifyMembershipStatus::Inactive
    };
    Ok(Reply::json(StatusCode::OK, workspace_json(c)).wrote())
}
