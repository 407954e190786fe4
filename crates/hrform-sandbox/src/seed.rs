//! The seed fixture: the YAML file that describes the world the sandbox
//! starts from (`hrform sandbox --seed FILE`, `--sandbox SEED`).
//!
//! This module owns the fixture's types, its JSON Schema, loading with
//! file:line:column errors, and the checks that cannot be expressed in the
//! types (references between users, policies and requests; id formats). The
//! format is documented field by field here (the `///` comments become the
//! schema's descriptions) and in `docs/sandbox.md`.
//!
//! The field names are hrform's own (snake_case), never the vendors' JSON
//! names: the wire shapes live in `clockify.rs` and `connecteam.rs` only.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

/// A seed fixture: the emulated Clockify workspace and Connecteam account.
///
/// Either vendor may be left out; its endpoints then refuse every API key.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "hrform sandbox seed")]
pub struct Seed {
    /// Format version of the seed file; must be 1. Its presence is also what
    /// tells the manifest loader that this YAML file is a seed, not a manifest.
    #[schemars(with = "u32", range(min = 1, max = 1))]
    pub seed_version: Spanned<u32>,
    /// The emulated Clockify workspace (served under `/api/v1/...`).
    #[serde(default)]
    pub clockify: Option<ClockifySeed>,
    /// The emulated Connecteam account (served under `/users/v1/...` and
    /// `/time-off/v1/...`).
    #[serde(default)]
    pub connecteam: Option<ConnecteamSeed>,
}

// ---------------------------------------------------------------- Clockify --

/// One Clockify workspace, its members, time-off policies and balances.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockifySeed {
    /// The only API key accepted (header `X-Api-Key`). Use an obvious sandbox
    /// value such as `sandbox-clockify-key`.
    pub api_key: String,
    /// The workspace id: 24 lowercase hex digits, as Clockify generates them.
    /// Paths with another workspace id get 403.
    #[schemars(with = "String", regex(pattern = r"^[0-9a-f]{24}$"))]
    pub workspace_id: Spanned<String>,
    /// The workspace's name, returned in the workspace object.
    #[serde(default = "default_workspace_name")]
    pub workspace_name: String,
    /// Email of the member who owns the API key: `GET /v1/user` returns them
    /// and they cannot deactivate themselves (403). Must be one of `users`.
    #[schemars(with = "String")]
    pub key_owner: Spanned<String>,
    /// Behaviours the API documentation leaves open; each can be set both ways.
    #[serde(default)]
    pub quirks: ClockifyQuirks,
    /// Workspace members, in the order they were added.
    #[serde(default)]
    pub users: Vec<ClockifyUserSeed>,
    /// Time-off policies, with who is on them and their balances.
    #[serde(default)]
    pub policies: Vec<ClockifyPolicySeed>,
}

fn default_workspace_name() -> String {
    "Sandbox Workspace".to_owned()
}

/// A member of the Clockify workspace.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockifyUserSeed {
    /// Email address; unique (case-insensitively) within the workspace.
    pub email: String,
    /// Display name; omitted means `null`, as for members who have not
    /// finished onboarding.
    #[serde(default)]
    pub name: Option<String>,
    /// Workspace membership status (what hrform reconciles).
    #[serde(default)]
    pub status: ClockifyMembershipStatus,
    /// Account status (`status` of the user object), not the workspace
    /// status. Without an `account-statuses` filter the users list only
    /// returns `active`, `pending_email_verification` and `not_registered`.
    #[serde(default)]
    pub account_status: ClockifyAccountStatus,
    /// Fixed user id (24 hex digits); generated from the email when omitted.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[0-9a-f]{24}$"))]
    pub id: Option<String>,
}

/// Workspace membership status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockifyMembershipStatus {
    /// An active member.
    #[default]
    Active,
    /// A deactivated member.
    Inactive,
    /// Invited, not accepted yet; cannot be activated through the API.
    Pending,
    /// Declined the invitation.
    Declined,
}

/// Clockify account status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockifyAccountStatus {
    /// A registered, verified account.
    #[default]
    Active,
    /// Registered, email not verified yet.
    PendingEmailVerification,
    /// Invited by email, never registered.
    NotRegistered,
    /// A limited (non-seat) member.
    Limited,
    /// A deleted account.
    Deleted,
    /// A deleted limited member.
    LimitedDeleted,
}

/// Unit of a time-off policy or policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Balances and requests are counted in days.
    Days,
    /// Balances and requests are counted in hours.
    Hours,
}

/// A Clockify time-off policy.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockifyPolicySeed {
    /// Policy name (2 to 100 characters), unique within the workspace.
    pub name: String,
    /// The policy's unit.
    pub unit: TimeUnit,
    /// Fixed policy id (24 hex digits); generated from the name when omitted.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[0-9a-f]{24}$"))]
    pub id: Option<String>,
    /// Whether the policy is archived.
    #[serde(default)]
    pub archived: bool,
    /// Whether the policy applies to everyone, including future members.
    #[serde(default)]
    pub everyone_including_new: bool,
    /// The policy's expiry mode. Clockify never returns it, but a policy PUT
    /// must send it; the sandbox keeps what was last sent (visible in
    /// `/__sandbox/state`) so tests can check a client did not flip it.
    #[serde(default)]
    pub has_expiration: bool,
    /// Whether half days may be requested.
    #[serde(default = "yes")]
    pub allow_half_day: bool,
    /// Whether balances may go below zero.
    #[serde(default)]
    pub allow_negative_balance: bool,
    /// Whether requests need approval.
    #[serde(default = "yes")]
    pub requires_approval: bool,
    /// Whether approved time off creates time entries; `false` makes
    /// `automaticTimeEntryCreation` null, as on some live policies.
    #[serde(default)]
    pub automatic_time_entry_creation: bool,
    /// Members on this policy (read back as the flat `userIds`), each with a
    /// balance row.
    #[serde(default)]
    pub assignments: Vec<ClockifyAssignmentSeed>,
}

fn yes() -> bool {
    true
}

/// One member on a Clockify policy, and their balance row.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockifyAssignmentSeed {
    /// The member's email (one of `clockify.users`).
    #[schemars(with = "String")]
    pub user: Spanned<String>,
    /// The accrued amount, in the policy's unit (where it shows depends on
    /// `quirks.balance_fields`).
    #[serde(default)]
    pub balance: f64,
    /// The amount already used, in the policy's unit.
    #[serde(default)]
    pub used: f64,
}

/// Clockify behaviours that the documentation leaves open or contradicts
/// (`api/clockify.md`). Defaults are the stricter reading: code that works
/// against the default works against either.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockifyQuirks {
    /// What the balance PATCH's `value` does: `add` (default; the evidence
    /// leans to a delta, and a delta punishes a blind retry) or `set`.
    #[serde(default)]
    pub balance_patch: BalancePatch,
    /// How `balance`, `total` and `used` relate in a balance row.
    #[serde(default)]
    pub balance_fields: BalanceFields,
    /// Which members the users list returns when `status` is omitted:
    /// `active` (default; a client that forgets `status=ALL` misses the
    /// inactive ones, as it may on the vendor) or `all`.
    #[serde(default)]
    pub users_default_status: UsersDefaultStatus,
    /// Whether user objects carry `memberships` without
    /// `memberships=WORKSPACE`/`ALL`. Default false (the documented default
    /// is NONE).
    #[serde(default)]
    pub memberships_by_default: bool,
    /// What a balance PATCH does for a member who has no balance row on the
    /// policy: `reject` (default; 400 code 501) or `create` the row.
    #[serde(default)]
    pub patch_unassigned: PatchUnassigned,
}

/// Balance PATCH semantics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BalancePatch {
    /// `value` is added to the accrued amount (a delta).
    #[default]
    Add,
    /// `value` replaces the accrued amount.
    Set,
    /// `value` replaces the available amount (accrued = value + used).
    SetAvailable,
}

/// Relation of the balance row's fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BalanceFields {
    /// `balance` is the accrued amount and `total = balance - used`, as in the
    /// official example (balance 20, total 18, used 2). Default: it is the
    /// vendor's own documentation.
    #[default]
    AccruedInBalance,
    /// `total` is the accrued amount and `balance = total - used`, as the help
    /// centre's "Available = Accrued - Used" reads.
    AccruedInTotal,
}

/// Users-list default for a missing `status` parameter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsersDefaultStatus {
    /// Only active members.
    #[default]
    Active,
    /// Every member.
    All,
}

/// Balance PATCH for a member without a balance row on the policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PatchUnassigned {
    /// 400 with code 501; nothing is written.
    #[default]
    Reject,
    /// A balance row is created and the PATCH applied to it.
    Create,
}

// -------------------------------------------------------------- Connecteam --

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

fn default_company_name() -> String {
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

fn eight() -> f64 {
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

fn utc() -> String {
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

// ----------------------------------------------------------------- loading --

/// Why a seed could not be loaded. Every variant names where the problem is.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file could not be read.
    #[error("{}: cannot read the seed: {source}", path.display())]
    Read {
        /// The seed file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The YAML does not parse into the seed format.
    #[error("{origin}:{line}:{column}: {message}")]
    Parse {
        /// The file, or `<seed>` for a string.
        origin: String,
        /// 1-based line (0 when unknown).
        line: u64,
        /// 1-based column (0 when unknown).
        column: u64,
        /// What is wrong.
        message: String,
    },
    /// The seed parses but is inconsistent (unknown user, duplicate id, ...).
    #[error("{origin}:{line}:{column}: {message}")]
    Invalid {
        /// The file, or `<seed>` for a string.
        origin: String,
        /// 1-based line (0 when unknown).
        line: u64,
        /// 1-based column (0 when unknown).
        column: u64,
        /// What is wrong.
        message: String,
    },
}

impl Seed {
    /// Load and check a seed file.
    pub fn load(path: &Path) -> Result<Seed, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parse and check a seed held in a string (errors name `<seed>`).
    pub fn from_yaml_str(yaml: &str) -> Result<Seed, SeedError> {
        Self::parse(yaml, "<seed>")
    }

    /// A seed with no vendor at all: every API call is refused.
    pub fn empty() -> Seed {
        Seed {
            seed_version: Spanned::new(1, Location::UNKNOWN, Location::UNKNOWN),
            clockify: None,
            connecteam: None,
        }
    }

    fn parse(yaml: &str, origin: &str) -> Result<Seed, SeedError> {
        // A seed is a fixture written by whoever runs the sandbox, not
        // untrusted input: a world of 100,000 people (the benchmarks') is
        // far more YAML than the parser's default budget allows, so no
        // budget applies.
        let mut options = serde_saphyr::Options::default();
        options.budget = None;
        let seed: Seed = serde_saphyr::from_str_with_options(yaml, options).map_err(|err| {
            let (line, column) = err
                .location()
                .map_or((0, 0), |loc| (loc.line(), loc.column()));
            SeedError::Parse {
                origin: origin.to_owned(),
                line,
                column,
                message: first_line(&err.to_string()),
            }
        })?;
        seed.check().map_err(|(loc, message)| SeedError::Invalid {
            origin: origin.to_owned(),
            line: loc.line(),
            column: loc.column(),
            message,
        })?;
        Ok(seed)
    }

    /// The checks the types cannot express. Returns the first problem.
    fn check(&self) -> Result<(), (Location, String)> {
        if self.seed_version.value != 1 {
            return Err((
                self.seed_version.referenced,
                format!(
                    "unsupported seed_version {}; this hrform reads seed_version 1",
                    self.seed_version.value
                ),
            ));
        }
        if let Some(c) = &self.clockify {
            check_clockify(c)?;
        }
        if let Some(c) = &self.connecteam {
            check_connecteam(c)?;
        }
        Ok(())
    }
}

/// serde-saphyr renders a snippet under the message; keep the message line.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or(text).trim();
    // Drop a leading "error: " or location prefix the renderer may add.
    line.strip_prefix("error: ").unwrap_or(line).to_owned()
}

type Check = Result<(), (Location, String)>;

fn unknown() -> Location {
    Location::UNKNOWN
}

pub(crate) fn is_hex24(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn check_clockify(c: &ClockifySeed) -> Check {
    if !is_hex24(&c.workspace_id.value) {
        return Err((
            c.workspace_id.referenced,
            format!(
                "clockify.workspace_id {:?} is not 24 lowercase hex digits",
                c.workspace_id.value
            ),
        ));
    }
    let mut emails = HashSet::new();
    let mut ids = HashSet::new();
    for u in &c.users {
        if !emails.insert(u.email.to_lowercase()) {
            return Err((
                unknown(),
                format!("clockify.users: {} appears twice", u.email),
            ));
        }
        if let Some(id) = &u.id {
            if !is_hex24(id) {
                return Err((
                    unknown(),
                    format!("clockify user {}: id {id:?} is not 24 hex digits", u.email),
                ));
            }
            if !ids.insert(id.clone()) {
                return Err((unknown(), format!("clockify user id {id} appears twice")));
            }
        }
    }
    let known = |s: &Spanned<String>, what: &str| -> Check {
        if emails.contains(&s.value.to_lowercase()) {
            Ok(())
        } else {
            Err((
                s.referenced,
                format!("{what}: no clockify user has the email {:?}", s.value),
            ))
        }
    };
    known(&c.key_owner, "clockify.key_owner")?;
    let mut names = HashSet::new();
    for p in &c.policies {
        let len = p.name.chars().count();
        if !(2..=100).contains(&len) {
            return Err((
                unknown(),
                format!(
                    "clockify policy {:?}: a name has 2 to 100 characters",
                    p.name
                ),
            ));
        }
        if !names.insert(p.name.clone()) {
            return Err((
                unknown(),
                format!("clockify policy {:?} appears twice", p.name),
            ));
        }
        if let Some(id) = &p.id
            && (!is_hex24(id) || !ids.insert(id.clone()))
        {
            return Err((
                unknown(),
                format!(
                    "clockify policy {:?}: id {id:?} is not 24 hex digits or not unique",
                    p.name
                ),
            ));
        }
        let mut on = HashSet::new();
        for a in &p.assignments {
            known(&a.user, &format!("policy {:?}", p.name))?;
            if !on.insert(a.user.value.to_lowercase()) {
                return Err((
                    a.user.referenced,
                    format!("{} is on policy {:?} twice", a.user.value, p.name),
                ));
            }
        }
    }
    Ok(())
}

fn check_connecteam(c: &ConnecteamSeed) -> Check {
    let mut roles = HashMap::new();
    let mut ids = HashSet::new();
    for u in &c.users {
        if roles.insert(u.email.to_lowercase(), u.role).is_some() {
            return Err((
                unknown(),
                format!("connecteam.users: {} appears twice", u.email),
            ));
        }
        if let Some(id) = u.id
            && (id == 0 || !ids.insert(id))
        {
            return Err((
                unknown(),
                format!("connecteam user {}: id {id} is 0 or not unique", u.email),
            ));
        }
    }
    let known = |s: &Spanned<String>, what: &str| -> Check {
        if roles.contains_key(&s.value.to_lowercase()) {
            Ok(())
        } else {
            Err((
                s.referenced,
                format!("{what}: no connecteam user has the email {:?}", s.value),
            ))
        }
    };
    known(&c.key_owner, "connecteam.key_owner")?;
    if roles.get(&c.key_owner.value.to_lowercase()) != Some(&ConnecteamRole::Owner) {
        return Err((
            c.key_owner.referenced,
            "connecteam.key_owner must have role owner (only owners can create API keys)"
                .to_owned(),
        ));
    }
    let mut type_names = HashSet::new();
    let mut all_ids = HashSet::new();
    for t in &c.policy_types {
        if !type_names.insert(t.name.clone()) {
            return Err((unknown(), format!("policy type {:?} appears twice", t.name)));
        }
        if let Some(id) = &t.id
            && (id.is_empty() || !all_ids.insert(id.clone()))
        {
            return Err((
                unknown(),
                format!("policy type {:?}: id {id:?} is empty or not unique", t.name),
            ));
        }
        let mut policy_names = HashSet::new();
        let mut on_type = HashSet::new();
        for p in &t.policies {
            if !policy_names.insert(p.name.clone()) {
                return Err((
                    unknown(),
                    format!("policy {:?} appears twice in type {:?}", p.name, t.name),
                ));
            }
            if let Some(id) = &p.id
                && (id.is_empty() || !all_ids.insert(id.clone()))
            {
                return Err((
                    unknown(),
                    format!("policy {:?}: id {id:?} is empty or not unique", p.name),
                ));
            }
            if p.hours_per_day <= 0.0 {
                return Err((
                    unknown(),
                    format!("policy {:?}: hours_per_day must be positive", p.name),
                ));
            }
            for a in &p.assignments {
                known(&a.user, &format!("policy {:?}", p.name))?;
                if !on_type.insert(a.user.value.to_lowercase()) {
                    return Err((
                        a.user.referenced,
                        format!(
                            "{} is on two policies of type {:?}; a user is on at most one",
                            a.user.value, t.name
                        ),
                    ));
                }
            }
        }
    }
    let mut request_ids = HashSet::new();
    for r in &c.requests {
        known(&r.user, "request")?;
        if !type_names.contains(&r.policy_type.value) {
            return Err((
                r.policy_type.referenced,
                format!("request: no policy type is named {:?}", r.policy_type.value),
            ));
        }
        let start = parse_date(&r.start_date)?;
        let end = parse_date(&r.end_date)?;
        if end < start {
            return Err((
                r.end_date.referenced,
                "request: end_date is before start_date".to_owned(),
            ));
        }
        if jiff::tz::TimeZone::get(&r.timezone).is_err() {
            return Err((
                r.user.referenced,
                format!("request: unknown time zone {:?}", r.timezone),
            ));
        }
        if !r.all_day {
            if start != end {
                return Err((
                    r.end_date.referenced,
                    "request: a partial-day request (all_day: false) has end_date = start_date"
                        .to_owned(),
                ));
            }
            match (&r.start_time, &r.end_time) {
                (Some(s), Some(e)) if parse_hms(s).is_some() && parse_hms(e).is_some() && s < e => {
                }
                _ => {
                    return Err((
                        r.user.referenced,
                        "request: all_day: false needs start_time < end_time, both HH:MM:SS"
                            .to_owned(),
                    ));
                }
            }
        }
        if let Some(id) = &r.id
            && (id.is_empty() || !request_ids.insert(id.clone()))
        {
            return Err((
                r.user.referenced,
                format!("request id {id:?} is empty or not unique"),
            ));
        }
    }
    Ok(())
}

fn parse_date(s: &Spanned<String>) -> Result<jiff::civil::Date, (Location, String)> {
    parse_ymd(&s.value).ok_or_else(|| {
        (
            s.referenced,
            format!("{:?} is not a date (YYYY-MM-DD)", s.value),
        )
    })
}

/// The seed format's JSON Schema (draft-07), for editors and
/// `schemas/sandbox.schema.json`.
pub fn seed_schema() -> schemars::Schema {
    schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Seed>()
}

/// A strict `YYYY-MM-DD`.
pub(crate) fn parse_ymd(s: &str) -> Option<jiff::civil::Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i16> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    jiff::civil::Date::new(y, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()
}

/// A strict `HH:MM:SS`.
pub(crate) fn parse_hms(s: &str) -> Option<jiff::civil::Time> {
    let b = s.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i8> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    jiff::civil::Time::new(num(0..2)?, num(3..5)?, num(6..8)?, 0).ok()
}
