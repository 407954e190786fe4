//! The Connecteam part of a seed: users, policy types and policies,
//! assignments, requests, and the quirks the documentation leaves open.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::clockify::{TimeUnit, yes};

/// One Connecteam account: users, time-off policy types, balances, requests.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnecteamSeed {
    /// The only API key accepted (header `X-API-KEY`). Use an obvious sandbox
    /// value such as `sandbox-connecteam-key`.
    pub api_key: String,
    /// Company name, returned by `GET /me`.
    #[serde(default = "default_company_name")]
    pub company_name: String,
    /// Email of the account owner, who made the API key (only owners can).
    /// Must be one of `users`, with role `owner`.
    #[schemars(with = "String")]
    pub key_owner: Spanned<String>,
    /// Behaviours the API documentation leaves open; each can be set both ways.
    #[serde(default)]
    pub quirks: ConnecteamQuirks,
    /// Users of the account; their integer ids follow this order.
    #[serde(default)]
    pub users: Vec<ConnecteamUserSeed>,
    /// Time-off policy types (Vacation, Sick, ...) and their policies.
    #[serde(default)]
    pub policy_types: Vec<PolicyTypeSeed>,
    /// Existing time-off requests.
    #[serde(default)]
    pub requests: Vec<RequestSeed>,
}

pub(super) fn default_company_name() -> String {
    "Sandbox Company".to_owned()
}

/// A Connecteam user.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnecteamUserSeed {
    /// Email address; unique (case-insensitively). The sandbox requires one on
    /// every user because the seed refers to users by email.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Phone number (`+<country code><number>`); generated when omitted.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// Role (`userType`): owners and managers cannot be archived through
    /// `PUT /users/v1/users`.
    #[serde(default)]
    pub role: ConnecteamRole,
    /// Whether the user is archived.
    #[serde(default)]
    pub archived: bool,
    /// Fixed integer user id; otherwise ids count up from 9170001 in seed order.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub id: Option<u64>,
}

/// Connecteam user type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnecteamRole {
    /// The account owner.
    Owner,
    /// An admin.
    Manager,
    /// A regular user.
    #[default]
    User,
}

/// A Connecteam time-off policy type.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyTypeSeed {
    /// Name (Vacation, Sick, ...), unique within the account.
    pub name: String,
    /// Fixed id; generated (24 hex digits) when omitted.
    #[serde(default)]
    pub id: Option<String>,
    /// The policies of this type. A user is on at most one policy per type.
    #[serde(default)]
    pub policies: Vec<PolicySeed>,
}

/// A Connecteam time-off policy (within a policy type).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicySeed {
    /// Name, unique within its policy type.
    pub name: String,
    /// Fixed id; generated (24 hex digits) when omitted.
    #[serde(default)]
    pub id: Option<String>,
    /// The policy's unit.
    pub unit: TimeUnit,
    /// Accrual type.
    #[serde(default)]
    pub accrual_type: AccrualType,
    /// Balance given to a user assigned without an explicit `balance`.
    #[serde(default)]
    pub default_balance: f64,
    /// Working hours in a day: what an all-day request deducts on an hours
    /// policy, and how a partial day converts to days on a days policy.
    #[serde(default = "eight")]
    pub hours_per_day: f64,
    /// Users on this policy and their current (remaining) balance.
    #[serde(default)]
    pub assignments: Vec<PolicyAssignmentSeed>,
}

pub(super) fn eight() -> f64 {
    8.0
}

/// Connecteam accrual type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccrualType {
    /// A fixed allowance.
    #[default]
    Fixed,
    /// Accrues per hour worked.
    Hourly,
    /// No limit.
    Unlimited,
}

/// A user on a Connecteam policy.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyAssignmentSeed {
    /// The user's email (one of `connecteam.users`).
    #[schemars(with = "String")]
    pub user: Spanned<String>,
    /// Remaining balance in the policy's unit (already net of the seeded
    /// requests: seeding deducts nothing).
    #[serde(default)]
    pub balance: f64,
}

/// An existing Connecteam time-off request.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestSeed {
    /// The user's email (one of `connecteam.users`).
    #[schemars(with = "String")]
    pub user: Spanned<String>,
    /// The policy type's name (one of `connecteam.policy_types`).
    #[schemars(with = "String")]
    pub policy_type: Spanned<String>,
    /// First day, `YYYY-MM-DD`.
    #[schemars(with = "String", regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub start_date: Spanned<String>,
    /// Last day (inclusive), `YYYY-MM-DD`.
    #[schemars(with = "String", regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub end_date: Spanned<String>,
    /// Full days (`true`) or a part of one day with `start_time`/`end_time`.
    #[serde(default = "yes")]
    pub all_day: bool,
    /// Start time `HH:MM:SS`; required when `all_day` is false.
    #[serde(default)]
    pub start_time: Option<String>,
    /// End time `HH:MM:SS`; required when `all_day` is false.
    #[serde(default)]
    pub end_time: Option<String>,
    /// IANA time zone.
    #[serde(default = "utc")]
    pub timezone: String,
    /// Request status.
    #[serde(default)]
    pub status: RequestStatus,
    /// The employee's note (cannot be changed through the API).
    #[serde(default)]
    pub employee_note: String,
    /// The manager's note (hrform keeps its `[hrform:KEY]` marker here).
    #[serde(default)]
    pub manager_note: String,
    /// Linked time clock, if any.
    #[serde(default)]
    pub time_clock_id: Option<i64>,
    /// The `isAdjustForDayLightSaving` flag.
    #[serde(default)]
    pub adjust_for_dst: bool,
    /// Fixed request id; generated (24 hex digits) when omitted.
    #[serde(default)]
    pub id: Option<String>,
}

pub(super) fn utc() -> String {
    "UTC".to_owned()
}

/// Connecteam request status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Approved (deducted from the balance).
    #[default]
    Approved,
    /// Waiting for approval.
    Pending,
    /// Denied.
    Denied,
}

/// Connecteam behaviours that the documentation leaves open (`[U]`/`[I]` in
/// `api/connecteam.md`). Defaults are the stricter reading.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnecteamQuirks {
    /// How the 365-day limit of the requests list is counted: `inclusive`
    /// (default, stricter: the days from startDate to endDate, both counted,
    /// at most 365) or `difference` (endDate - startDate at most 365 days).
    #[serde(default)]
    pub request_window: RequestWindow,
    /// Whether approved requests are deducted from the balance (and refunded
    /// when denied or changed). Default true: `duration` is documented as "the
    /// amount deducted from balance".
    #[serde(default = "yes")]
    pub requests_deduct_balance: bool,
    /// Whether archived users appear in the balances list. Default true.
    #[serde(default = "yes")]
    pub archived_users_in_balances: bool,
    /// What an assignment PUT to the policy a user is already on does with a
    /// `balance` in the body: `keep` (default; the balance is only initial) or
    /// `set`.
    #[serde(default)]
    pub reassign_same_policy: ReassignSamePolicy,
    /// What a user's balance becomes when an assignment PUT moves them to
    /// another policy of the same type: `reset` (default; the body's balance,
    /// else the policy's `default_balance`) or `carry` (the old balance stays
    /// unless the body gives one).
    #[serde(default)]
    pub move_balance: MoveBalance,
    /// What `paging.offset` holds: `last` (default; the offset of the last
    /// item returned, the vendor's wording), `next` (offset + items) or
    /// `request` (the offset asked for). A client should ignore it.
    #[serde(default)]
    pub paging_offset: PagingOffset,
    /// Whether a 429 carries `Retry-After` (seconds to the minute reset).
    /// Default false: none is documented.
    #[serde(default)]
    pub retry_after: bool,
    /// Whether request objects echo `isAdjustForDayLightSaving`. Default false:
    /// the response schemas do not list it (the sandbox still stores it; see
    /// `/__sandbox/state`).
    #[serde(default)]
    pub echo_dst_flag: bool,
}

impl Default for ConnecteamQuirks {
    fn default() -> Self {
        Self {
            request_window: RequestWindow::default(),
            requests_deduct_balance: true,
            archived_users_in_balances: true,
            reassign_same_policy: ReassignSamePolicy::default(),
            move_balance: MoveBalance::default(),
            paging_offset: PagingOffset::default(),
            retry_after: false,
            echo_dst_flag: false,
        }
    }
}

/// Counting of the requests list's 365-day window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestWindow {
    /// endDate - startDate + 1 <= 365.
    #[default]
    Inclusive,
    /// endDate - startDate <= 365.
    Difference,
}

/// Assignment PUT to the same policy with a balance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReassignSamePolicy {
    /// The balance is left alone.
    #[default]
    Keep,
    /// The balance is set to the body's value.
    Set,
}

/// Balance when a user moves between policies of one type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MoveBalance {
    /// The body's balance, else the new policy's default balance.
    #[default]
    Reset,
    /// The old balance, unless the body gives one.
    Carry,
}

/// Meaning of `paging.offset`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PagingOffset {
    /// Offset of the last item returned.
    #[default]
    Last,
    /// Offset of the next page.
    Next,
    /// The offset of the request.
    Request,
}
