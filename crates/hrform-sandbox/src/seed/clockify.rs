//! The Clockify part of a seed: the workspace, its members, policies and
//! balances, and the quirks the documentation leaves open.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

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

pub(super) fn default_workspace_name() -> String {
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

pub(super) fn yes() -> bool {
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
