//! Building the world from a checked seed: each vendor's model, with its
//! stable generated ids and timestamps.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::{
    CBalance, CPolicy, CUser, ClockifyWorld, ConnecteamWorld, EPOCH_BASE, FIRST_USER_ID, TBalance,
    TPolicy, TPolicyType, TRequest, TUser, all_day_end, all_day_start, hex24, request_amount,
    time_unit_wire,
};
use crate::seed::{RequestStatus, parse_hms, parse_ymd};

pub(super) fn build_clockify(c: &crate::seed::ClockifySeed) -> ClockifyWorld {
    let mut users = Vec::with_capacity(c.users.len());
    let mut user_index = HashMap::with_capacity(c.users.len());
    let mut by_email = HashMap::with_capacity(c.users.len());
    for u in &c.users {
        let id =
            u.id.clone()
                .unwrap_or_else(|| hex24(&format!("clockify-user:{}", u.email.to_lowercase())));
        by_email.insert(u.email.to_lowercase(), users.len());
        user_index.insert(id.clone(), users.len());
        users.push(CUser {
            id,
            email: u.email.clone(),
            name: u.name.clone(),
            membership: u.status,
            account: u.account_status,
        });
    }
    let owner = by_email
        .get(&c.key_owner.value.to_lowercase())
        .copied()
        .unwrap_or(0);
    let mut policies = Vec::new();
    let mut policy_index = HashMap::new();
    let mut balances = BTreeMap::new();
    for p in &c.policies {
        let pid =
            p.id.clone()
                .unwrap_or_else(|| hex24(&format!("clockify-policy:{}", p.name)));
        let pi = policies.len();
        let mut user_ids = Vec::new();
        for a in &p.assignments {
            let Some(&ui) = by_email.get(&a.user.value.to_lowercase()) else {
                continue;
            };
            user_ids.push(users[ui].id.clone());
            balances.insert(
                (pi, ui),
                CBalance {
                    id: hex24(&format!("clockify-balance:{pid}:{}", users[ui].id)),
                    accrued: a.balance,
                    used: a.used,
                    note: None,
                },
            );
        }
        policy_index.insert(pid.clone(), pi);
        let unit = time_unit_wire(p.unit);
        policies.push(CPolicy {
            id: pid,
            name: p.name.clone(),
            unit: p.unit,
            archived: p.archived,
            everyone_including_new: p.everyone_including_new,
            has_expiration: p.has_expiration,
            allow_half_day: p.allow_half_day,
            allow_negative_balance: p.allow_negative_balance,
            approve: json!({
                "requiresApproval": p.requires_approval,
                "teamManagers": false,
                "specificMembers": false,
                "userIds": [],
            }),
            negative_balance: if p.allow_negative_balance {
                json!({"amount": 5, "period": "YEAR", "shouldReset": true, "timeUnit": unit})
            } else {
                Value::Null
            },
            automatic_accrual: Value::Null,
            automatic_time_entry_creation: if p.automatic_time_entry_creation {
                json!({"enabled": true, "defaultEntities": {"projectId": null, "taskId": null}})
            } else {
                Value::Null
            },
            color: json!("#8BC34A"),
            icon: json!("UMBRELLA"),
            user_ids,
            user_group_ids: Vec::new(),
            expiration_flips: 0,
        });
    }
    ClockifyWorld {
        api_key: c.api_key.clone(),
        workspace_id: c.workspace_id.value.clone(),
        workspace_name: c.workspace_name.clone(),
        owner,
        quirks: c.quirks.clone(),
        users,
        user_index,
        policies,
        policy_index,
        balances,
    }
}

pub(super) fn build_connecteam(c: &crate::seed::ConnecteamSeed) -> ConnecteamWorld {
    let taken: std::collections::HashSet<u64> = c.users.iter().filter_map(|u| u.id).collect();
    let mut next_id = FIRST_USER_ID;
    let mut users = Vec::with_capacity(c.users.len());
    for (i, u) in c.users.iter().enumerate() {
        let id = u.id.unwrap_or_else(|| {
            while taken.contains(&next_id) {
                next_id += 1;
            }
            next_id += 1;
            next_id - 1
        });
        let created = EPOCH_BASE + i64::try_from(i).unwrap_or(0) * 60;
        users.push(TUser {
            id,
            email: u.email.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            phone: u
                .phone_number
                .clone()
                .unwrap_or_else(|| format!("+1555{:07}", id % 10_000_000)),
            role: u.role,
            archived: u.archived,
            created_at: created,
            modified_at: created,
            archived_at: u.archived.then_some(created + 86_400),
        });
    }
    users.sort_by_key(|u| u.id);
    let user_index: HashMap<u64, usize> =
        users.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
    let by_email: HashMap<String, u64> = users
        .iter()
        .map(|u| (u.email.to_lowercase(), u.id))
        .collect();
    let mut policy_types = Vec::new();
    let mut balances = BTreeMap::new();
    for (ti, t) in c.policy_types.iter().enumerate() {
        let tid =
            t.id.clone()
                .unwrap_or_else(|| hex24(&format!("connecteam-policy-type:{}", t.name)));
        let mut policies = Vec::new();
        for (pi, p) in t.policies.iter().enumerate() {
            let pid =
                p.id.clone()
                    .unwrap_or_else(|| hex24(&format!("connecteam-policy:{}:{}", t.name, p.name)));
            for a in &p.assignments {
                if let Some(&uid) = by_email.get(&a.user.value.to_lowercase()) {
                    balances.insert(
                        (ti, uid),
                        TBalance {
                            policy: pi,
                            balance: a.balance,
                        },
                    );
                }
            }
            policies.push(TPolicy {
                id: pid,
                name: p.name.clone(),
                unit: p.unit,
                accrual: p.accrual_type,
                default_balance: p.default_balance,
                hours_per_day: p.hours_per_day,
            });
        }
        policy_types.push(TPolicyType {
            id: tid,
            name: t.name.clone(),
            policies,
        });
    }
    let type_by_name: HashMap<&str, usize> = c
        .policy_types
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), i))
        .collect();
    let mut requests = Vec::new();
    let mut request_index = HashMap::new();
    for (i, r) in c.requests.iter().enumerate() {
        let (Some(&uid), Some(&ti), Some(start), Some(end)) = (
            by_email.get(&r.user.value.to_lowercase()),
            type_by_name.get(r.policy_type.value.as_str()),
            parse_ymd(&r.start_date.value),
            parse_ymd(&r.end_date.value),
        ) else {
            continue;
        };
        let (st, et) = if r.all_day {
            (all_day_start(), all_day_end())
        } else {
            (
                r.start_time
                    .as_deref()
                    .and_then(parse_hms)
                    .unwrap_or_else(all_day_start),
                r.end_time
                    .as_deref()
                    .and_then(parse_hms)
                    .unwrap_or_else(all_day_end),
            )
        };
        let id =
            r.id.clone()
                .unwrap_or_else(|| hex24(&format!("connecteam-request:{i}")));
        let mut req = TRequest {
            id: id.clone(),
            user_id: uid,
            policy_type: ti,
            all_day: r.all_day,
            start_date: start,
            end_date: end,
            start_time: st,
            end_time: et,
            timezone: r.timezone.clone(),
            status: r.status,
            employee_note: r.employee_note.clone(),
            manager_note: r.manager_note.clone(),
            time_clock_id: r.time_clock_id,
            adjust_dst: r.adjust_for_dst,
            deducted: None,
        };
        // Seeded balances are already net of seeded requests: record the
        // amount (so a later denial refunds it) without deducting it now.
        if req.status == RequestStatus::Approved {
            req.deducted = Some(request_amount(&req, &policy_types, &balances));
        }
        request_index.insert(id, requests.len());
        requests.push(req);
    }
    ConnecteamWorld {
        api_key: c.api_key.clone(),
        company_name: c.company_name.clone(),
        company_id: hex24(&format!("connecteam-company:{}", c.company_name)),
        quirks: c.quirks.clone(),
        users,
        user_index,
        policy_types,
        balances,
        requests,
        request_index,
    }
}
