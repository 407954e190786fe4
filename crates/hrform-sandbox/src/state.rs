//! The emulated world: what both vendors hold, in memory, built from a seed.
//!
//! This module owns the state model (vendor-neutral Rust types, no wire
//! names), id generation (24-hex strings the way Clockify and Connecteam make
//! them, integer Connecteam user ids; stable for a given seed), the small
//! date/time parsers both vendors' handlers share, and the JSON snapshot that
//! `/__sandbox/state` serves.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::{Date, Time};
use serde_json::{Value, json};

use super::seed::{
    AccrualType, BalanceFields, ClockifyAccountStatus, ClockifyMembershipStatus, ClockifyQuirks,
    ConnecteamQuirks, ConnecteamRole, RequestStatus, Seed, TimeUnit,
};

/// Everything the sandbox serves.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) clockify: Option<ClockifyWorld>,
    pub(crate) connecteam: Option<ConnecteamWorld>,
    /// Counter behind runtime ids (new requests, `requestId`s).
    pub(crate) counter: u64,
}

/// The Clockify workspace.
#[derive(Debug)]
pub(crate) struct ClockifyWorld {
    pub(crate) api_key: String,
    pub(crate) workspace_id: String,
    pub(crate) workspace_name: String,
    pub(crate) owner: usize,
    pub(crate) quirks: ClockifyQuirks,
    pub(crate) users: Vec<CUser>,
    pub(crate) user_index: HashMap<String, usize>,
    pub(crate) policies: Vec<CPolicy>,
    pub(crate) policy_index: HashMap<String, usize>,
    /// (policy index, user index) → balance row.
    pub(crate) balances: BTreeMap<(usize, usize), CBalance>,
}

#[derive(Debug)]
pub(crate) struct CUser {
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) name: Option<String>,
    pub(crate) membership: ClockifyMembershipStatus,
    pub(crate) account: ClockifyAccountStatus,
}

#[derive(Debug)]
pub(crate) struct CPolicy {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) unit: TimeUnit,
    pub(crate) archived: bool,
    pub(crate) everyone_including_new: bool,
    pub(crate) has_expiration: bool,
    pub(crate) allow_half_day: bool,
    pub(crate) allow_negative_balance: bool,
    /// Stored as written (the approve object).
    pub(crate) approve: Value,
    pub(crate) negative_balance: Value,
    pub(crate) automatic_accrual: Value,
    pub(crate) automatic_time_entry_creation: Value,
    pub(crate) color: Value,
    pub(crate) icon: Value,
    pub(crate) user_ids: Vec<String>,
    pub(crate) user_group_ids: Vec<String>,
    /// How many policy PUTs changed `has_expiration` (a client must not).
    pub(crate) expiration_flips: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct CBalance {
    pub(crate) id: String,
    pub(crate) accrued: f64,
    pub(crate) used: f64,
    pub(crate) note: Option<String>,
}

impl CBalance {
    /// (`balance`, `total`) as the quirk relates them.
    pub(crate) fn fields(&self, how: BalanceFields) -> (f64, f64) {
        match how {
            BalanceFields::AccruedInBalance => (self.accrued, self.accrued - self.used),
            BalanceFields::AccruedInTotal => (self.accrued - self.used, self.accrued),
        }
    }
}

/// The Connecteam account.
#[derive(Debug)]
pub(crate) struct ConnecteamWorld {
    pub(crate) api_key: String,
    pub(crate) company_name: String,
    pub(crate) company_id: String,
    pub(crate) quirks: ConnecteamQuirks,
    /// Sorted by id (creation order).
    pub(crate) users: Vec<TUser>,
    pub(crate) user_index: HashMap<u64, usize>,
    pub(crate) policy_types: Vec<TPolicyType>,
    /// (policy type index, user id) → the user's policy and balance.
    pub(crate) balances: BTreeMap<(usize, u64), TBalance>,
    pub(crate) requests: Vec<TRequest>,
    pub(crate) request_index: HashMap<String, usize>,
}

#[derive(Debug)]
pub(crate) struct TUser {
    pub(crate) id: u64,
    pub(crate) email: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) phone: String,
    pub(crate) role: ConnecteamRole,
    pub(crate) archived: bool,
    pub(crate) created_at: i64,
    pub(crate) modified_at: i64,
    pub(crate) archived_at: Option<i64>,
}

#[derive(Debug)]
pub(crate) struct TPolicyType {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) policies: Vec<TPolicy>,
}

#[derive(Debug)]
pub(crate) struct TPolicy {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) unit: TimeUnit,
    pub(crate) accrual: AccrualType,
    pub(crate) default_balance: f64,
    pub(crate) hours_per_day: f64,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct TBalance {
    pub(crate) policy: usize,
    pub(crate) balance: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct TRequest {
    pub(crate) id: String,
    pub(crate) user_id: u64,
    pub(crate) policy_type: usize,
    pub(crate) all_day: bool,
    pub(crate) start_date: Date,
    pub(crate) end_date: Date,
    pub(crate) start_time: Time,
    pub(crate) end_time: Time,
    pub(crate) timezone: String,
    pub(crate) status: RequestStatus,
    pub(crate) employee_note: String,
    pub(crate) manager_note: String,
    pub(crate) time_clock_id: Option<i64>,
    pub(crate) adjust_dst: bool,
    /// Amount deducted from the balance while approved (None otherwise).
    pub(crate) deducted: Option<f64>,
}

/// Seeded epoch for Connecteam timestamps: 2024-01-01T00:00:00Z.
const EPOCH_BASE: i64 = 1_704_067_200;
/// First generated Connecteam user id.
const FIRST_USER_ID: u64 = 9_170_001;

impl World {
    /// Build the world a seed describes. The seed was checked on load, so
    /// references resolve; anything that does not is skipped, never a panic.
    pub(crate) fn from_seed(seed: &Seed) -> World {
        World {
            clockify: seed.clockify.as_ref().map(build_clockify),
            connecteam: seed.connecteam.as_ref().map(build_connecteam),
            counter: 0,
        }
    }

    /// A fresh 24-hex id for something created at run time.
    pub(crate) fn next_hex_id(&mut self, kind: &str) -> String {
        self.counter += 1;
        hex24(&format!("{kind}#{}", self.counter))
    }

    /// A fresh UUID-shaped string (Connecteam's `requestId`).
    pub(crate) fn next_uuid(&mut self) -> String {
        self.counter += 1;
        let a = fnv(&format!("uuid-a#{}", self.counter));
        let b = fnv(&format!("uuid-b#{}", self.counter));
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

fn build_clockify(c: &super::seed::ClockifySeed) -> ClockifyWorld {
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

fn build_connecteam(c: &super::seed::ConnecteamSeed) -> ConnecteamWorld {
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

/// What an approved request takes from the balance, in its policy's unit.
pub(crate) fn request_amount(
    r: &TRequest,
    types: &[TPolicyType],
    balances: &BTreeMap<(usize, u64), TBalance>,
) -> f64 {
    let policy = balances
        .get(&(r.policy_type, r.user_id))
        .and_then(|b| types.get(r.policy_type)?.policies.get(b.policy));
    let (unit, hpd) = policy.map_or((TimeUnit::Days, 8.0), |p| (p.unit, p.hours_per_day));
    if r.all_day {
        let days = (r.end_date - r.start_date).get_days() + 1;
        let days = f64::from(days.max(0));
        match unit {
            TimeUnit::Days => days,
            TimeUnit::Hours => days * hpd,
        }
    } else {
        let secs_of = |t: Time| {
            i32::from(t.hour()) * 3600 + i32::from(t.minute()) * 60 + i32::from(t.second())
        };
        let secs = (secs_of(r.end_time) - secs_of(r.start_time)).max(0);
        let hours = f64::from(secs) / 3600.0;
        match unit {
            TimeUnit::Days => hours / hpd,
            TimeUnit::Hours => hours,
        }
    }
}

pub(crate) fn all_day_start() -> Time {
    Time::constant(0, 0, 0, 0)
}

pub(crate) fn all_day_end() -> Time {
    Time::constant(23, 59, 59, 0)
}

pub(crate) use super::seed::{parse_hms, parse_ymd};

pub(crate) fn fmt_hms(t: Time) -> String {
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}

pub(crate) fn time_unit_wire(u: TimeUnit) -> &'static str {
    match u {
        TimeUnit::Days => "DAYS",
        TimeUnit::Hours => "HOURS",
    }
}

/// 64-bit FNV-1a: stable across Rust releases, unlike `DefaultHasher`.
fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A Mongo-ObjectId-shaped id (4 bytes of "time", 8 of hash), stable for a key.
pub(crate) fn hex24(key: &str) -> String {
    let a = fnv(key);
    let b = fnv(&format!("{key}\u{1}"));
    // A plausible 2023-2024 timestamp prefix, like real ObjectIds.
    let time = 0x6400_0000u64 + (a >> 40) % 0x0400_0000;
    format!("{time:08x}{:016x}", b ^ (a << 24))
}

/// Seconds since the Unix epoch, now.
pub(crate) fn now_epoch() -> i64 {
    jiff::Timestamp::now().as_second()
}

// ---------------------------------------------------------------- snapshot --

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

fn membership_name(s: ClockifyMembershipStatus) -> &'static str {
    match s {
        ClockifyMembershipStatus::Active => "active",
        ClockifyMembershipStatus::Inactive => "inactive",
        ClockifyMembershipStatus::Pending => "pending",
        ClockifyMembershipStatus::Declined => "declined",
    }
}

fn unit_name(u: TimeUnit) -> &'static str {
    match u {
        TimeUnit::Days => "days",
        TimeUnit::Hours => "hours",
    }
}

fn clockify_snapshot(c: &ClockifyWorld) -> Value {
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

fn connecteam_snapshot(c: &ConnecteamWorld) -> Value {
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
