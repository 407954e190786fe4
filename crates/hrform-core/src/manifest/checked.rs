//! The checked configuration: what the manifests declare once every offline
//! check has passed. Profiles are expanded, defaults filled in, names
//! resolved and values parsed; the rest of the program trusts these types and
//! never sees YAML. Each item keeps its manifest location so that later
//! stages (resolution against the live systems) can point back at it.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::{Date, Time};

use crate::amount::Amount;
use crate::diag::Loc;
pub use crate::manifest::raw::{
    BalanceUpdate, RequestStatus, RoundingMode, Status, Unit, UnmanagedUsers,
};

/// Everything the manifests declare.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Providers by name.
    pub providers: BTreeMap<String, Provider>,
    /// Users, ordered by provider then email.
    pub users: Vec<User>,
    /// Time-off requests, ordered by key.
    pub requests: Vec<Request>,
    /// Per-policy settings, by (provider, policy name).
    pub policies: BTreeMap<(String, String), PolicySettings>,
    pub settings: Settings,
    /// The names of the declared profiles (what `export --profiles` must
    /// not name a new one).
    pub profile_names: std::collections::BTreeSet<String>,
    /// Today in the settings' timezone (or the context's fixed today),
    /// decided once when the manifests were checked.
    pub today: Date,
}

/// A connection to one HR system.
#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    pub name: String,
    pub kind: ProviderKind,
    /// Validated: https, or http to a loopback host.
    pub base_url: url::Url,
    /// The environment variable that holds the API key.
    pub api_key_env: String,
    pub loc: Loc,
}

/// Per-vendor provider settings.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderKind {
    Clockify {
        workspace_id: String,
        requests_per_second: f64,
        balance_update: BalanceUpdate,
    },
    Connecteam {
        requests_per_minute: u32,
    },
}

impl ProviderKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            ProviderKind::Clockify { .. } => "clockify",
            ProviderKind::Connecteam { .. } => "connecteam",
        }
    }

    /// The vendor this provider is.
    pub fn vendor(&self) -> crate::model::Vendor {
        match self {
            ProviderKind::Clockify { .. } => crate::model::Vendor::Clockify,
            ProviderKind::Connecteam { .. } => crate::model::Vendor::Connecteam,
        }
    }
}

/// An email address as written, compared case-insensitively: equality,
/// ordering and hashing use the lower-cased key only, never the spelling.
#[derive(Debug, Clone)]
pub struct Email {
    /// Lower-cased: the identity used for matching.
    key: String,
    /// As the user wrote it.
    written: String,
}

impl Email {
    pub fn new(written: &str) -> Self {
        Self {
            key: crate::mailbox::key(written),
            written: written.to_owned(),
        }
    }
    /// The lower-cased form used for matching.
    pub fn key(&self) -> &str {
        &self.key
    }
    pub fn as_written(&self) -> &str {
        &self.written
    }
}

impl PartialEq for Email {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Email {}

impl std::hash::Hash for Email {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl PartialOrd for Email {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Email {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

/// One person in one provider.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub email: Email,
    pub provider: String,
    /// `None`: status not managed.
    pub status: Option<Status>,
    /// The profile's policies merged with the user's own, ordered by policy
    /// (then by `from`: one policy may have a schedule of entries).
    pub time_off: Vec<TimeOff>,
    /// The first day of work (`start_date`, or a roster's column): before
    /// it, not activated, nothing assigned.
    pub start_date: Option<Date>,
    /// The last day worked: from the day after, deactivated.
    pub end_date: Option<Date>,
    pub loc: Loc,
    /// What rules may test: a roster's mapped columns, a `users:` entry's
    /// `attributes`, trimmed.
    pub attributes: BTreeMap<String, String>,
    /// Where the person is declared: a roster row, a `users:` entry, or both.
    pub because: Vec<Because>,
}

/// Where something declared came from, as plans show it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Because {
    /// A roster row: the file as shown from the working directory, and the
    /// row as a spreadsheet numbers it.
    Row { file: String, row: u32 },
    /// A rule, by name.
    Rule(String),
    /// A profile, by name.
    Profile(String),
    /// A `users:` entry: its file and line.
    Entry { file: String, line: u32 },
}

impl fmt::Display for Because {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Because::Row { file, row } => write!(f, "roster {file}:{row}"),
            Because::Rule(name) => write!(f, "rule {name}"),
            Because::Profile(name) => write!(f, "profile {name}"),
            Because::Entry { file, line } => write!(f, "users: {file}:{line}"),
        }
    }
}

/// One policy a person is on.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeOff {
    pub policy: String,
    pub policy_type: Option<String>,
    /// `None`: assigned, balance not managed.
    pub amount: Option<Declared>,
    /// With a remaining `balance`: a planned increase may give back leave
    /// approved in the leave year (`allow_refund: true`).
    pub allow_refund: bool,
    /// The declared unit (required with an amount).
    pub unit: Option<Unit>,
    /// The profile the entry came from, if it did.
    pub profile: Option<String>,
    /// `from:`: the first day the entry applies (a schedule of entries).
    pub from: Option<Date>,
    /// `prorate: true`: the share of the leave year employed.
    pub prorate: bool,
    /// The entry's own `rounding` (else the settings').
    pub rounding: Option<Rounding>,
    /// `allowance_by_tenure`, by ascending years (the first is 0); the
    /// entry's `amount` is then the first tier's, until evaluated on a date.
    pub tenure: Vec<Tier>,
    /// Set when the entry was evaluated on a date (`plan::dated`): how its
    /// allowance was computed.
    pub basis: Option<crate::model::AllowanceBasis>,
    pub loc: Loc,
    /// The rules, profile or `users:` entry that give it.
    pub because: Vec<Because>,
}

/// One tier of `allowance_by_tenure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    pub years: u32,
    pub allowance: Amount,
}

/// How a prorated allowance is rounded: to a multiple of `step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounding {
    pub step: Amount,
    pub mode: RoundingMode,
}

impl Default for Rounding {
    fn default() -> Self {
        Rounding {
            step: Amount::parse("0.5").unwrap_or(Amount::ZERO),
            mode: RoundingMode::Nearest,
        }
    }
}

/// What an entry declares about the balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    /// Granted for the leave year, before usage (`allowance`).
    Allowance(Amount),
    /// The remaining balance now, a one-off import (`balance`).
    Remaining(Amount),
}

impl TimeOff {
    /// The declared remaining balance, if the entry declares one.
    pub fn remaining(&self) -> Option<Amount> {
        match self.amount {
            Some(Declared::Remaining(a)) => Some(a),
            _ => None,
        }
    }
    /// The declared allowance, if the entry declares one.
    pub fn allowance(&self) -> Option<Amount> {
        match self.amount {
            Some(Declared::Allowance(a)) => Some(a),
            _ => None,
        }
    }
}

/// When in the day a request applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaySpan {
    AllDay,
    Partial { start: Time, end: Time },
}

/// A time-off request to keep in a Connecteam account.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub key: String,
    pub provider: String,
    pub user: Email,
    pub policy_type: String,
    pub start_date: Date,
    pub end_date: Date,
    pub span: DaySpan,
    /// An IANA time zone name known to the bundled database.
    pub timezone: String,
    pub status: RequestStatus,
    pub employee_note: Option<String>,
    /// The manager's note, without hrform's marker.
    pub manager_note: Option<String>,
    pub adjust_for_dst: bool,
    pub time_clock_id: Option<i64>,
    pub loc: Loc,
}

/// Per-policy settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySettings {
    pub has_expiration: Option<bool>,
    /// Connecteam: unused allowance of the previous leave year carries over.
    pub carry_over: bool,
    pub loc: Loc,
}

/// Global settings, defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub unmanaged_users: UnmanagedUsersSetting,
    pub safety: Safety,
    pub prune_requests: bool,
    pub recreate_requests: bool,
    /// The day the leave year starts (month, day); default January 1.
    pub leave_year_start: (i8, i8),
    /// What "today" means: a time zone (default UTC).
    pub timezone: jiff::tz::TimeZone,
    /// How prorated allowances are rounded (default: nearest 0.5).
    pub rounding: Rounding,
    /// How far ahead the plan's "Scheduled" section looks, in days.
    pub schedule_horizon_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            unmanaged_users: UnmanagedUsersSetting::default(),
            safety: Safety::default(),
            prune_requests: false,
            recreate_requests: false,
            leave_year_start: (1, 1),
            timezone: jiff::tz::TimeZone::UTC,
            rounding: Rounding::default(),
            schedule_horizon_days: 31,
        }
    }
}

/// A leave year: `[start, end]`, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaveYear {
    pub start: Date,
    pub end: Date,
}

impl LeaveYear {
    /// The leave year `today` falls in, for a year starting on `(month, day)`.
    pub fn containing(today: Date, (month, day): (i8, i8)) -> LeaveYear {
        let start_in =
            |year: i16| Date::new(year, month, day).unwrap_or(Date::constant(year, 1, 1));
        let mut start = start_in(today.year());
        if start > today {
            start = start_in(today.year() - 1);
        }
        let next = start_in(start.year() + 1);
        LeaveYear {
            start,
            end: next.yesterday().unwrap_or(next),
        }
    }
    /// The leave year before this one.
    pub fn previous(self, start_day: (i8, i8)) -> LeaveYear {
        LeaveYear::containing(self.start.yesterday().unwrap_or(self.start), start_day)
    }
    pub fn contains(self, d: Date) -> bool {
        self.start <= d && d <= self.end
    }
    /// How the plan names it: `2027`, or `2026/27` when it does not start on
    /// January 1.
    pub fn label(self) -> String {
        if (self.start.month(), self.start.day()) == (1, 1) {
            self.start.year().to_string()
        } else {
            format!("{}/{:02}", self.start.year(), (self.start.year() + 1) % 100)
        }
    }
}

/// `settings.unmanaged_users` with its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnmanagedUsersSetting {
    #[default]
    Ignore,
    Report,
    Deactivate,
}

impl From<UnmanagedUsers> for UnmanagedUsersSetting {
    fn from(u: UnmanagedUsers) -> Self {
        match u {
            UnmanagedUsers::Ignore => Self::Ignore,
            UnmanagedUsers::Report => Self::Report,
            UnmanagedUsers::Deactivate => Self::Deactivate,
        }
    }
}

/// Safety limits; `None` means no limit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Safety {
    pub max_deactivations: Option<u32>,
    pub max_deactivation_percent: Option<f64>,
    pub max_balance_change: Option<Amount>,
    pub protected_users: Vec<Email>,
}

#[cfg(test)]
mod email_tests {
    use super::Email;

    /// Item 5: two spellings of one address are one address: equal, one
    /// hash, one place in an order.
    #[test]
    fn email_equality_ignores_the_spelling() {
        let a = Email::new("Kim@Example.com");
        let b = Email::new("kim@example.com");
        assert_eq!(a, b);
        assert_eq!(a.cmp(&b), std::cmp::Ordering::Equal);
        let set: std::collections::HashSet<Email> = [a.clone(), b].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert_eq!(a.to_string(), "Kim@Example.com", "shown as written");
    }
}
