//! The emulated world: what both vendors hold, in memory, built from a seed.
//!
//! This module owns the state model (vendor-neutral Rust types, no wire
//! names), id generation (24-hex strings the way Clockify and Connecteam make
//! them, integer Connecteam user ids; stable for a given seed), the small
//! date/time parsers both vendors' handlers share, and the JSON snapshot that
//! `/__sandbox/state` serves.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::{Date, Time};
use serde_json::Value;

use super::seed::{
    AccrualType, BalanceFields, ClockifyAccountStatus, ClockifyMembershipStatus, ClockifyQuirks,
    ConnecteamQuirks, ConnecteamRole, RequestStatus, Seed, TimeUnit,
};

mod build;
mod snapshot;

use build::{build_clockify, build_connecteam};
pub(crate) use snapshot::{role_name, status_name};

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
