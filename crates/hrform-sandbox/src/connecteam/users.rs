//! The users endpoints: list, and the archive/restore PUT.

use std::collections::HashSet;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::body::{Fields, json_body};
use super::query::{Query, to_usize};
use super::replies::{detail, envelope, item, item_ctx, paging, unprocessable};
use super::{Answer, account};
use crate::exchange::Call;
use crate::seed::ConnecteamRole;
use crate::state::{TUser, World, now_epoch, role_name};

pub(super) fn user_json(u: &TUser, smart_groups: bool) -> Value {
    let mut v = json!({
        "userId": u.id,
        "firstName": u.first_name,
        "lastName": u.last_name,
        "phoneNumber": u.phone,
        "email": u.email,
        "userType": role_name(u.role),
        "isArchived": u.archived,
        "createdAt": u.created_at,
        "modifiedAt": u.modified_at,
        "archivedAt": u.archived_at,
        "lastLogin": 0,
        "kioskCode": format!("{:04}", u.id % 10_000),
        "customFields": [],
        "invitedToBeManager": false,
        "profilePictureUrl": null,
    });
    if smart_groups && let Some(obj) = v.as_object_mut() {
        obj.insert("smartGroupsIds".to_owned(), json!([]));
    }
    v
}

pub(super) fn list_users(world: &mut World, call: &Call<'_>) -> Answer {
    let mut q = Query::new(call);
    let limit = to_usize(q.int("limit", 10, Some(1), Some(500)));
    let offset = to_usize(q.int("offset", 0, Some(0), None));
    let sort = q.one_enum("sort", &["created_at"]);
    let order = q.one_enum("order", &["asc", "desc"]);
    let ids: HashSet<u64> = q.int_list("userIds").into_iter().collect();
    let status = q
        .one_enum("userStatus", &["active", "archived", "all"])
        .unwrap_or_else(|| "active".to_owned());
    let names: Vec<String> = call
        .all("fullNames")
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    let phones: Vec<&str> = call.all("phoneNumbers");
    let emails: Vec<String> = call
        .all("emailAddresses")
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    let created = q.opt_int("createdAt", Some(1));
    let modified = q.opt_int("modifiedAt", Some(1));
    let last_login = q.opt_int("lastLogin", Some(1));
    let archived_after = q.opt_int("archivedAt", Some(1));
    q.finish()?;
    let c = account(world)?;
    let mut matched: Vec<&TUser> = c
        .users
        .iter()
        .filter(|u| match status.as_str() {
            "active" => !u.archived,
            "archived" => u.archived,
            _ => true,
        })
        .filter(|u| ids.is_empty() || ids.contains(&u.id))
        .filter(|u| {
            names.is_empty()
                || names.contains(&format!("{} {}", u.first_name, u.last_name).to_lowercase())
        })
        .filter(|u| phones.is_empty() || phones.contains(&u.phone.as_str()))
        .filter(|u| emails.is_empty() || emails.contains(&u.email.to_lowercase()))
        .filter(|u| created.is_none_or(|t| u.created_at > t))
        .filter(|u| modified.is_none_or(|t| u.modified_at > t))
        .filter(|_| last_login.is_none())
        .filter(|u| archived_after.is_none_or(|t| u.archived_at.is_some_and(|a| a > t)))
        .collect();
    if sort.is_some() {
        matched.sort_by_key(|u| (u.created_at, u.id));
        if order.as_deref() == Some("desc") {
            matched.reverse();
        }
    }
    let page: Vec<Value> = matched
        .iter()
        .skip(offset)
        .take(limit)
        .map(|u| user_json(u, true))
        .collect();
    let paging = paging(c.quirks.paging_offset, offset, page.len());
    Ok(envelope(world, json!({"users": page}), Some(paging)))
}

/// One validated item of the users PUT body.
pub(super) struct UserEdit {
    user_id: Option<u64>,
    phone: Option<String>,
    archive: Option<bool>,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    role: Option<ConnecteamRole>,
}

pub(super) fn put_users(world: &mut World, call: &Call<'_>) -> Answer {
    let mut q = Query::new(call);
    let by_phone = q.bool("editUsersByPhone", false);
    let smart_groups = q.bool("includeSmartGroupIds", true);
    q.finish()?;
    let Value::Array(items) = json_body(call)? else {
        return Err(unprocessable(vec![item(
            &[json!("body")],
            "value is not a valid list",
            "type_error.list",
        )]));
    };
    if items.len() > 25 {
        return Err(unprocessable(vec![item_ctx(
            &[json!("body")],
            "ensure this value has at most 25 items",
            "value_error.list.max_items",
            json!({"limit_value": 25}),
        )]));
    }
    let mut errors = Vec::new();
    let mut edits = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        let Some(map) = it.as_object() else {
            errors.push(item(
                &[json!("body"), json!(i)],
                "value is not a valid dict",
                "type_error.dict",
            ));
            continue;
        };
        let mut f = Fields::new(map, vec![json!("body"), json!(i)]);
        let user_id = f.int("userId", false, Some(1)).map(|n| n.unsigned_abs());
        let archive = f.bool("isArchived", false);
        let first_name = f.str("firstName", false).map(str::to_owned);
        let last_name = f.str("lastName", false).map(str::to_owned);
        for (key, v) in [("firstName", &first_name), ("lastName", &last_name)] {
            if v.as_ref().is_some_and(|s| s.chars().count() > 100) {
                let loc = f.loc(key);
                f.errors.push(item_ctx(
                    &loc,
                    "ensure this value has at most 100 characters",
                    "value_error.any_str.max_length",
                    json!({"limit_value": 100}),
                ));
            }
        }
        let email = f.str("email", false).map(str::to_owned);
        let phone = f.str("phoneNumber", false).map(str::to_owned);
        let role = f
            .enum_str("userType", false, &["user", "manager", "owner"])
            .map(|r| match r {
                "owner" => ConnecteamRole::Owner,
                "manager" => ConnecteamRole::Manager,
                _ => ConnecteamRole::User,
            });
        errors.append(&mut f.errors);
        edits.push(UserEdit {
            user_id,
            phone,
            archive,
            first_name,
            last_name,
            email,
            role,
        });
    }
    if !errors.is_empty() {
        return Err(unprocessable(errors));
    }
    let c = account(world)?;
    // Resolve every item before changing anything: the call is all or nothing.
    let mut targets = Vec::with_capacity(edits.len());
    let mut not_found = Vec::new();
    for e in &edits {
        let index = if by_phone {
            if e.archive == Some(false) {
                return Err(detail(
                    StatusCode::BAD_REQUEST,
                    "Restoring users is not supported with editUsersByPhone; use the user ID",
                ));
            }
            let Some(phone) = &e.phone else {
                return Err(detail(
                    StatusCode::BAD_REQUEST,
                    "phoneNumber is required when editUsersByPhone is true",
                ));
            };
            c.users.iter().position(|u| &u.phone == phone)
        } else {
            let Some(id) = e.user_id else {
                return Err(detail(
                    StatusCode::BAD_REQUEST,
                    "userId is required when editUsersByPhone is false",
                ));
            };
            let found = c.user_index.get(&id).copied();
            if found.is_none() {
                not_found.push(id);
            }
            found
        };
        targets.push(index);
    }
    if !not_found.is_empty() {
        return Err(detail(
            StatusCode::NOT_FOUND,
            format!("Users not found, user ids: {}", id_list(&not_found)),
        ));
    }
    let targets: Vec<usize> = targets.into_iter().flatten().collect();
    if targets.len() != edits.len() {
        return Err(detail(StatusCode::NOT_FOUND, "User not found"));
    }
    let admins: Vec<u64> = edits
        .iter()
        .zip(&targets)
        .filter(|&(e, &i)| e.archive == Some(true) && c.users[i].role != ConnecteamRole::User)
        .map(|(_, &i)| c.users[i].id)
        .collect();
    if !admins.is_empty() {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            format!(
                "Cannot archive owners or managers, user ids: {}",
                id_list(&admins)
            ),
        ));
    }
    if edits
        .iter()
        .zip(&targets)
        .any(|(e, &i)| e.archive == Some(true) && c.users[i].archived)
    {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            "Can't archive user who is already archived",
        ));
    }
    for (e, &i) in edits.iter().zip(&targets) {
        if let Some(to) = e.role {
            let from = c.users[i].role;
            let crosses = (from == ConnecteamRole::User) != (to == ConnecteamRole::User);
            if crosses {
                return Err(detail(
                    StatusCode::BAD_REQUEST,
                    "Only manager <-> owner transitions are supported via userType; use the \
                     /admins endpoint",
                ));
            }
        }
    }
    let now = now_epoch();
    for (e, &i) in edits.iter().zip(&targets) {
        let u = &mut c.users[i];
        if let Some(archive) = e.archive
            && archive != u.archived
        {
            u.archived = archive;
            u.archived_at = archive.then_some(now);
        }
        if let Some(v) = &e.first_name {
            u.first_name.clone_from(v);
        }
        if let Some(v) = &e.last_name {
            u.last_name.clone_from(v);
        }
        if let Some(v) = &e.email {
            u.email.clone_from(v);
        }
        if let (Some(v), false) = (&e.phone, by_phone) {
            u.phone.clone_from(v);
        }
        if let Some(r) = e.role {
            u.role = r;
        }
        u.modified_at = now;
    }
    let users: Vec<Value> = targets
        .iter()
        .map(|&i| user_json(&c.users[i], smart_groups))
        .collect();
    let count = users.len();
    Ok(envelope(world, json!({"count": count, "users": users}), None).wrote())
}

pub(super) fn id_list(ids: &[u64]) -> String {
    let parts: Vec<String> = ids.iter().map(u64::to_string).collect();
    format!("[{}]", parts.join(", "))
}
