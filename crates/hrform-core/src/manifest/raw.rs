//! The manifest language as written: the raw types one YAML document decodes
//! into, every value a user can get wrong still carrying its location.
//!
//! These types are also the source of the manifests' JSON Schema: each
//! field's doc comment becomes its description in editors. They are read by
//! `decode` and turned into checked types by `validate`; nothing else in the
//! program sees them.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::diag::Loc;

/// A value read from a manifest, with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Sp<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> Sp<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        Self { value, loc }
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
}

/// A mapping from names a user chooses to values, in the order written.
#[derive(Debug, Clone, PartialEq)]
pub struct NameMap<T> {
    pub entries: Vec<(Sp<String>, T)>,
    /// Names whose value could not be read (already reported): they are
    /// still declared, so references to them are not errors too.
    pub failed: Vec<Sp<String>>,
}

impl<T> Default for NameMap<T> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            failed: Vec::new(),
        }
    }
}

impl<T: JsonSchema> JsonSchema for NameMap<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let value = generator.subschema_for::<T>();
        json_schema!({ "type": "object", "additionalProperties": value })
    }
    fn inline_schema() -> bool {
        true
    }
}

/// One hrform manifest document. Every `*.yaml` / `*.yml` file under the
/// configuration directory holds one or more of these; they merge.
#[derive(Debug, Clone, Default, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields, title = "hrform manifest")]
pub struct Manifest {
    /// Connections to HR systems, by a name of your choosing (used as `provider:` elsewhere).
    pub providers: Option<NameMap<Sp<Provider>>>,
    /// Reusable bundles of time-off policies, e.g. employment types, by name.
    pub profiles: Option<NameMap<Sp<Profile>>>,
    /// The people hrform manages: their status, policies and balances.
    pub users: Option<Vec<Sp<User>>>,
    /// Tables of people exported from an HRIS (CSV or .xlsx): each row declares one person.
    pub rosters: Option<Vec<Sp<Roster>>>,
    /// Policies assigned by attribute: every rule whose `when` matches a person applies.
    pub rules: Option<Vec<Sp<Rule>>>,
    /// Time-off requests to keep in the HR system, e.g. approved leave exported from an HRIS.
    pub time_off_requests: Option<Vec<Sp<TimeOffRequest>>>,
    /// Per-provider, per-policy settings, e.g. `{clockify: {Vacation: {has_expiration: false}}}`.
    pub policies: Option<NameMap<NameMap<Sp<PolicySettings>>>>,
    /// How hrform treats unmanaged users and which safety limits apply.
    pub settings: Option<Sp<Settings>>,
}

/// A connection to one HR system. `type` says which.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(tag = "type", rename_all = "lowercase")]
pub enum Provider {
    /// A Clockify workspace.
    Clockify(ClockifyProvider),
    /// A Connecteam account.
    Connecteam(ConnecteamProvider),
}

/// A Clockify workspace.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ClockifyProvider {
    /// The workspace id: 24 hexadecimal characters, from the workspace's settings URL.
    pub workspace_id: Sp<String>,
    /// API base URL (default `https://api.clockify.me/api`; regional hosts such as `https://euc1.clockify.me/api` allowed). The host must be Clockify's, a loopback address, or named in `HRFORM_ALLOWED_HOSTS`.
    #[schemars(extend("format" = "uri"))]
    pub base_url: Option<Sp<String>>,
    /// UPPER_CASE name of the environment variable holding the API key, beginning `HRFORM_`, `CLOCKIFY_` or `CONNECTEAM_` (default `CLOCKIFY_API_KEY`). Never put the key itself in a manifest.
    pub api_key_env: Option<Sp<String>>,
    /// Client-side throttle, in requests per second (default 10; at most 50, Clockify's limit).
    pub requests_per_second: Option<Sp<f64>>,
    /// What Clockify's balance PATCH does with its value: `add` it, replace the accrued amount (`set_accrued`; `set` is another name for it) or replace the available amount (`set_available`). `auto` (default) finds out on the first write that can tell them apart, by reading the balance back.
    pub balance_update: Option<Sp<BalanceUpdate>>,
}

/// A Connecteam account.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ConnecteamProvider {
    /// API base URL (default `https://api.connecteam.com`). The host must be Connecteam's, a loopback address, or named in `HRFORM_ALLOWED_HOSTS`.
    #[schemars(extend("format" = "uri"))]
    pub base_url: Option<Sp<String>>,
    /// UPPER_CASE name of the environment variable holding the API key, beginning `HRFORM_`, `CLOCKIFY_` or `CONNECTEAM_` (default `CONNECTEAM_API_KEY`). Never put the key itself in a manifest.
    pub api_key_env: Option<Sp<String>>,
    /// Client-side throttle, in requests per minute (default 100; 5 to 200 depending on the Connecteam plan).
    pub requests_per_minute: Option<Sp<u32>>,
}

/// How Clockify's balance PATCH behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum BalanceUpdate {
    /// Find out on the first write of a run, by reading the balance back.
    Auto,
    /// The PATCH value is added to the balance.
    Add,
    /// The PATCH value replaces the accrued amount (`set` is accepted as another name).
    #[schemars(rename = "set_accrued")]
    SetAccrued,
    /// The PATCH value replaces the available (remaining) amount.
    SetAvailable,
}

/// A reusable bundle of time-off policies.
#[derive(Debug, Clone, Default, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Profile {
    /// The policies of everyone on this profile, with their allowances.
    pub time_off: Option<Vec<Sp<TimeOffEntry>>>,
}

/// One time-off policy a person is on.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TimeOffEntry {
    /// The policy's name as the HR system shows it, e.g. `Vacation`.
    pub policy: Sp<String>,
    /// Connecteam only: the policy type the policy belongs to, needed when two types have a policy of this name.
    pub policy_type: Option<Sp<String>>,
    /// What is granted for the leave year, before usage, in `unit`: what HR decides. The HR system deducts approved leave from it; hrform plans a change only when the allowance itself differs, never for leave taken. Use this for every policy whose balance HR sets by hand. Not for policies the system accrues itself (Connecteam `hourly`, Clockify automatic accrual).
    pub allowance: Option<Sp<f64>>,
    /// The remaining balance now, in `unit`: for a one-off import only. Leave taken afterwards lowers the live balance, and a plan that would give it back is blocked by the `usage_refund` safety rule unless `allow_refund: true`. An entry has `allowance` or `balance`, not both; neither: assigned, balance not managed.
    pub balance: Option<Sp<f64>>,
    /// With `balance`: allow a planned increase that gives back leave approved in the leave year (the `usage_refund` safety rule).
    pub allow_refund: Option<Sp<bool>>,
    /// The unit of `allowance` or `balance`; must equal the policy's own unit.
    pub unit: Option<Sp<Unit>>,
    /// Whether `unit` was written (even if invalid), so that a bad unit is
    /// not also reported as a missing one.
    #[schemars(skip)]
    pub unit_written: bool,
    /// `YYYY-MM-DD`: the first day this entry applies. Several entries for one policy with different `from` dates form a schedule: the latest one not after today applies.
    #[schemars(extend("format" = "date"))]
    pub from: Option<Sp<String>>,
    /// With `allowance` or `allowance_by_tenure`: grant the share of the leave year the person is employed (from `start_date` to `end_date`), rounded by `rounding`.
    pub prorate: Option<Sp<bool>>,
    /// How a prorated allowance is rounded; default `settings.rounding`.
    pub rounding: Option<Sp<Rounding>>,
    /// Instead of `allowance`: tiers by completed years of service on the first day of the leave year, counted from the person's `start_date`, e.g. `[{years: 0, allowance: 20}, {years: 5, allowance: 25}]`. The first tier is `years: 0`.
    pub allowance_by_tenure: Option<Vec<Sp<TenureTier>>>,
}

/// One tier of `allowance_by_tenure`.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TenureTier {
    /// Completed years of service from which this tier applies.
    pub years: Sp<u32>,
    /// The allowance of this tier, in the entry's `unit`.
    pub allowance: Sp<f64>,
}

/// How a prorated allowance is rounded.
#[derive(Debug, Clone, Default, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Rounding {
    /// Round to a multiple of this, in the policy's unit (default 0.5).
    pub step: Option<Sp<f64>>,
    /// `nearest` (half up, default), `up` or `down`.
    pub mode: Option<Sp<RoundingMode>>,
}

/// Which way a prorated allowance is rounded to its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum RoundingMode {
    /// To the nearest step, halves up (default).
    Nearest,
    /// Up to the next step.
    Up,
    /// Down to the step below.
    Down,
}

// The unit of a balance, a person's status and a request's status are the model's own
// vocabulary (plan documents carry them too); the manifest uses them as they
// are.
pub use crate::model::{RequestStatus, Status, Unit};

/// One person in one HR system.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct User {
    /// The person's email address, matched exactly and case-insensitively.
    #[schemars(extend("format" = "email"))]
    pub email: Sp<String>,
    /// The provider this person is in; may be omitted when only one provider is declared.
    pub provider: Option<Sp<String>>,
    /// `active` or `inactive`. Omitted: hrform does not manage the person's status.
    pub status: Option<Sp<Status>>,
    /// A profile whose policies this person is on.
    pub profile: Option<Sp<String>>,
    /// Policies beyond or instead of the profile's: an entry replaces the profile's entry for the same policy.
    pub time_off: Option<Vec<Sp<TimeOffEntry>>>,
    /// `YYYY-MM-DD`: the first day of work. Before it the person is not activated and nothing is assigned; from it they are active.
    #[schemars(extend("format" = "date"))]
    pub start_date: Option<Sp<String>>,
    /// `YYYY-MM-DD`: the last day worked. From the day after, the person is deactivated.
    #[schemars(extend("format" = "date"))]
    pub end_date: Option<Sp<String>>,
    /// Attributes rules may test, e.g. `{department: Sales}`; for a person also in a roster they replace the roster's, by name.
    pub attributes: Option<NameMap<Sp<String>>>,
}

/// A table of people exported from an HRIS: one person per row.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Roster {
    /// The file, relative to this manifest and inside the configuration directory: CSV (RFC 4180, UTF-8) or `.xlsx`.
    pub file: Sp<String>,
    /// The provider every row's person is in; or `provider_column`; may be omitted when only one provider is declared.
    pub provider: Option<Sp<String>>,
    /// The header of the column naming each row's provider.
    pub provider_column: Option<Sp<String>>,
    /// hrform's fields and the headers that hold them: `email` (required), `name`, `status`, `start_date`, `end_date`.
    pub columns: Sp<RosterColumns>,
    /// Attributes rules may test, each with the header that holds it, e.g. `{department: Department}`.
    pub attributes: Option<NameMap<Sp<String>>>,
    /// Per field (`status`, `provider` or an attribute): cell text to hrform value, e.g. `{status: {Active: active, Terminated: inactive}}`. With a map, a cell not in it is an error.
    pub values: Option<NameMap<NameMap<Sp<String>>>>,
    /// The `strftime` format of date cells, e.g. `%m/%d/%Y` (default ISO 8601, `%Y-%m-%d`).
    pub date_format: Option<Sp<String>>,
    /// CSV only: `,`, `;` or a tab (default: detected from the header line).
    pub delimiter: Option<Sp<String>>,
    /// .xlsx only: the sheet to read (default the first).
    pub sheet: Option<Sp<String>>,
    /// The path of the manifest that declares the roster, relative to the
    /// configuration directory (set when loading, not written).
    #[schemars(skip)]
    pub manifest: std::path::PathBuf,
    /// The table read, with the diagnostics' file id (set when loading).
    #[schemars(skip)]
    pub table: Option<(crate::diag::FileId, std::sync::Arc<crate::table::Table>)>,
}

/// hrform's fields in a roster, each the header of its column.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RosterColumns {
    /// The column of work email addresses (required).
    pub email: Sp<String>,
    /// The column of names, shown in plans.
    pub name: Option<Sp<String>>,
    /// The column of statuses: `active`/`inactive`, or cells mapped by `values.status`.
    pub status: Option<Sp<String>>,
    /// The column of start (hire) dates, in `date_format`.
    pub start_date: Option<Sp<String>>,
    /// The column of end (termination) dates, in `date_format`; empty cells mean none.
    pub end_date: Option<Sp<String>>,
}

/// Policies for everyone whose attributes match.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Rule {
    /// A unique name, shown in plans as the reason for what the rule gives.
    pub name: Sp<String>,
    /// Attribute name to value (or list of values, any of which matches); every key must match. Compared exactly after trimming.
    pub when: NameMap<Sp<AnyOf>>,
    /// A profile whose policies the rule gives.
    pub profile: Option<Sp<String>>,
    /// Policies the rule gives, beyond or instead of the profile's (by policy).
    pub time_off: Option<Vec<Sp<TimeOffEntry>>>,
    /// Email addresses the rule never applies to.
    pub except: Option<Vec<Sp<String>>>,
}

/// One value, or a list of values any of which matches.
#[derive(Debug, Clone, PartialEq)]
pub struct AnyOf(pub Vec<Sp<String>>);

impl JsonSchema for AnyOf {
    fn schema_name() -> Cow<'static, str> {
        "AnyOf".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" } }
            ]
        })
    }
    fn inline_schema() -> bool {
        true
    }
}

/// A time-off request to keep in a Connecteam account.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TimeOffRequest {
    /// A stable id from the source system, unique across all manifests, of ASCII letters, digits and `-_.:/`; hrform marks the request with it.
    pub key: Sp<String>,
    /// The provider the request belongs to; may be omitted when only one provider is declared.
    pub provider: Option<Sp<String>>,
    /// The email address of the person taking the time off.
    #[schemars(extend("format" = "email"))]
    pub user: Sp<String>,
    /// The policy type, e.g. `Vacation`.
    pub policy_type: Sp<String>,
    /// First day, `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    pub start_date: Sp<String>,
    /// Last day, `YYYY-MM-DD`; equal to `start_date` for a partial day.
    #[schemars(extend("format" = "date"))]
    pub end_date: Sp<String>,
    /// Whether the request covers whole days (default true). `false` needs `start_time` and `end_time` on one date.
    pub all_day: Option<Sp<bool>>,
    /// Start time of a partial day, `HH:MM` or `HH:MM:SS`.
    pub start_time: Option<Sp<String>>,
    /// End time of a partial day, `HH:MM` or `HH:MM:SS`; after `start_time`.
    pub end_time: Option<Sp<String>>,
    /// IANA time zone the dates and times are in, e.g. `America/New_York`.
    pub timezone: Sp<String>,
    /// `approved` (default), `pending` or `denied`.
    pub status: Option<Sp<RequestStatus>>,
    /// The employee's note on the request (the API cannot change it later).
    pub employee_note: Option<Sp<String>>,
    /// The manager's note; hrform appends its `[hrform:KEY]` marker to it.
    pub manager_note: Option<Sp<String>>,
    /// Connecteam's `isAdjustForDayLightSaving` for partial days near a DST change (default false). Declaring it, `true` or `false`, on a partial day the clocks change during silences the `clock-change` warning.
    pub adjust_for_dst: Option<Sp<bool>>,
    /// The Connecteam time clock the request is linked to, if any.
    pub time_clock_id: Option<Sp<i64>>,
}

/// What to do about people who are in an HR system but in no manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum UnmanagedUsers {
    /// Leave them alone and say nothing (default).
    Ignore,
    /// List them in the plan.
    Report,
    /// Plan their deactivation.
    Deactivate,
}

/// Settings of one policy in one provider.
#[derive(Debug, Clone, Default, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PolicySettings {
    /// Clockify only: whether the policy's balances expire. Clockify never returns it, and changing a policy's users rewrites it, so hrform changes assignments only when it is declared.
    pub has_expiration: Option<Sp<bool>>,
    /// Connecteam: whether unused allowance of the previous leave year carries over (default false). With it, the remaining balance hrform aims at is the allowance plus what was left of last year's (the allowance less last leave year's approved usage, never below 0); without it, last year's leftover lapses at `leave_year_start`.
    pub carry_over: Option<Sp<bool>>,
}

/// Global settings.
#[derive(Debug, Clone, Default, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Settings {
    /// What to do about people in an HR system but in no manifest: `ignore` (default), `report` or `deactivate`.
    pub unmanaged_users: Option<Sp<UnmanagedUsers>>,
    /// Limits that block a plan unless `apply --force`.
    pub safety: Option<Sp<Safety>>,
    /// Deny requests that have left the manifests (default false).
    pub prune_requests: Option<Sp<bool>>,
    /// Deny and recreate requests whose user, policy type or employee note changed (default false).
    pub recreate_requests: Option<Sp<bool>>,
    /// `MM-DD`: the day the leave year starts, when usage counted against allowances starts again (default `01-01`). A request counts in the leave year its first day falls in.
    pub leave_year_start: Option<Sp<String>>,
    /// IANA time zone that says what "today" is, for the leave year (default `UTC`).
    pub timezone: Option<Sp<String>>,
    /// How prorated allowances are rounded (default: to the nearest 0.5, halves up).
    pub rounding: Option<Sp<Rounding>>,
    /// How many days ahead the plan's "Scheduled" section looks (default 31).
    pub schedule_horizon_days: Option<Sp<u32>>,
}

/// Safety limits.
#[derive(Debug, Clone, Default, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Safety {
    /// At most this many deactivations in one apply.
    pub max_deactivations: Option<Sp<u32>>,
    /// At most this percentage (0 to 100) of a provider's active users deactivated in one apply.
    pub max_deactivation_percent: Option<Sp<f64>>,
    /// At most this change per person per policy, in the policy's unit.
    pub max_balance_change: Option<Sp<f64>>,
    /// Email addresses never deactivated, `--force` or not.
    pub protected_users: Option<Vec<Sp<String>>>,
}
