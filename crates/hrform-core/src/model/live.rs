//! Live state: the people, policies, balances and requests a provider has,
//! and the scope of what hrform reads from it.

use std::fmt;

use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

use super::{Amount, Status, Unit};

/// A person's id in one provider (Clockify: 24-hex string; Connecteam: an
/// integer, kept as its decimal string).
pub type PersonId = String;
/// A policy's id in one provider.
pub type PolicyId = String;

/// A person's status as the provider reports it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LiveStatus {
    Active,
    Inactive,
    /// Invited but not joined (Clockify `PENDING`): cannot be activated.
    Pending,
    /// Declined the invitation (Clockify `DECLINED`): cannot be activated.
    Declined,
}

impl LiveStatus {
    /// The declared status this live status satisfies, if any.
    pub fn as_declared(self) -> Option<Status> {
        match self {
            LiveStatus::Active => Some(Status::Active),
            LiveStatus::Inactive => Some(Status::Inactive),
            LiveStatus::Pending | LiveStatus::Declined => None,
        }
    }
}

impl fmt::Display for LiveStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LiveStatus::Active => "active",
            LiveStatus::Inactive => "inactive",
            LiveStatus::Pending => "pending",
            LiveStatus::Declined => "declined",
        })
    }
}

/// A person's role, where the provider has one that limits what can be done
/// (Connecteam cannot archive owners or managers through the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Manager,
    User,
}

/// One person as the provider has them.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePerson {
    pub id: PersonId,
    /// As the provider stores it (compare by [`crate::mailbox::key`]).
    pub email: String,
    pub name: Option<String>,
    pub status: LiveStatus,
    pub role: Role,
    /// The owner of the API key hrform uses (Clockify: `GET /v1/user`).
    pub key_owner: bool,
}

/// A policy type (Connecteam groups policies under types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyTypeRef {
    pub id: String,
    pub name: String,
}

/// One time-off policy.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePolicy {
    pub id: PolicyId,
    pub name: String,
    /// Connecteam: the type the policy belongs to. Clockify: `None`.
    pub policy_type: Option<PolicyTypeRef>,
    pub unit: Unit,
    pub archived: bool,
    /// The policy applies to everyone, including new people (Clockify
    /// `everyoneIncludingNew`): every person counts as assigned.
    pub everyone: bool,
    /// How the system accrues the balance itself, in the vendor's words
    /// (Connecteam `accrualType: hourly`, Clockify `automaticAccrual`), when
    /// it does: such a policy takes no `allowance`.
    pub accrues: Option<String>,
}

/// A person's place on one policy: assigned, and the balance if known.
#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    pub person: PersonId,
    pub policy: PolicyId,
    /// The remaining (available) balance; `None` when the provider reports
    /// the assignment but no balance.
    pub balance: Option<Amount>,
    /// What the provider itself counts as used (Clockify's `used`), beside
    /// the balance; `None` where the provider does not say (Connecteam:
    /// hrform counts approved requests), or could not be read.
    pub used: Option<Amount>,
    /// Why the row could not be read as available and used, if it could
    /// not (a Clockify row whose numbers do not relate).
    pub unreadable: Option<String>,
}

/// A time-off request as the provider has it (Connecteam), typed: the
/// provider module reads the wire's text into dates, times and a status,
/// and writes them back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LiveRequest {
    pub id: String,
    pub person: PersonId,
    pub policy_type_id: String,
    /// The policy type's name (for people to read).
    pub policy_type: String,
    pub all_day: bool,
    /// The first day (`YYYY-MM-DD` in plan documents).
    #[schemars(with = "String")]
    pub start_date: Date,
    /// The last day.
    #[schemars(with = "String")]
    pub end_date: Date,
    /// Partial days only (all-day requests' times are not compared);
    /// `HH:MM:SS` in plan documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub start_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub end_time: Option<Time>,
    pub timezone: String,
    pub status: RequestStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_note: Option<String>,
    /// Connecteam's DST flag; absent when the API did not return it (its
    /// documented responses do not list it), and then it is not compared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjust_for_dst: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_clock_id: Option<i64>,
    /// What an approved request deducts, in the policy's unit (Connecteam
    /// `duration`); absent on other statuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Amount>,
}

/// The state of a time-off request.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    Approved,
    Pending,
    Denied,
}

impl RequestStatus {
    /// Every status, in the order the API lists them.
    pub const ALL: [RequestStatus; 3] = [
        RequestStatus::Approved,
        RequestStatus::Pending,
        RequestStatus::Denied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Approved => "approved",
            RequestStatus::Pending => "pending",
            RequestStatus::Denied => "denied",
        }
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What hrform needs to read from one provider.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadScope {
    /// The identity keys ([`crate::mailbox::key`]) of the people the
    /// manifests declare.
    pub emails: Vec<String>,
    /// Policy names the manifests reference (with the policy type, when given).
    pub policies: Vec<(String, Option<String>)>,
    /// Read every person (for `unmanaged_users: report | deactivate`).
    pub all_people: bool,
    /// Read the assignments and balances of every policy that is not
    /// archived, not only of `policies` (`hrform export`).
    pub all_policies: bool,
    /// Read the time-off requests overlapping these dates (inclusive).
    pub requests: Option<(jiff::civil::Date, jiff::civil::Date)>,
    /// Connecteam: policy types whose assignments must be read for the
    /// people of `emails` only (named by requests, not by `time_off`).
    pub request_types: Vec<String>,
    /// The identity keys of the provider's declared users: a filtered read
    /// of the people that misses one of them reads the list whole (the
    /// vendor's filter may match spellings differently).
    pub expected: Vec<String>,
}

impl ReadScope {
    /// Which people a read keeps, built once per read.
    pub fn people_filter(&self) -> PeopleFilter<'_> {
        PeopleFilter {
            all: self.all_people,
            keys: self.emails.iter().map(String::as_str).collect(),
            alike: self
                .emails
                .iter()
                .map(|e| crate::mailbox::lookalike(e))
                .collect(),
        }
    }
}

/// Which live people a read keeps: everyone with `all_people`; otherwise
/// the declared mailboxes, and every address that looks like one of them
/// (read so that a spoof is an error, not unseen).
pub struct PeopleFilter<'a> {
    all: bool,
    keys: std::collections::HashSet<&'a str>,
    alike: std::collections::HashSet<String>,
}

impl PeopleFilter<'_> {
    pub fn keeps(&self, email: &str) -> bool {
        self.all
            || self.keys.contains(crate::mailbox::key(email).as_str())
            || self.alike.contains(&crate::mailbox::lookalike(email))
    }
}

/// The live state of one provider, as far as the scope asked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveState {
    /// People read: those declared that exist, or everyone with `all_people`.
    pub people: Vec<LivePerson>,
    /// Every policy of the provider (names are needed for "did you mean").
    pub policies: Vec<LivePolicy>,
    /// Assignments and balances for the referenced policies.
    pub holdings: Vec<Holding>,
    /// Time-off requests in the window the scope asked for.
    pub requests: Vec<LiveRequest>,
    /// Approved requests of the previous leave year, read only when an
    /// allowance needs them (a `carry_over` policy, or a balance that may
    /// still be last year's); never diffed as requests.
    pub earlier_requests: Vec<LiveRequest>,
    /// How many read calls the provider made.
    pub read_calls: usize,
    /// Records as read that the provider's own call builder needs back.
    pub as_read: AsRead,
}

/// Records as read, by id, that a provider echoes back in its calls
/// (Clockify's policies, for the full-replace PUT). Opaque: only the
/// vendor's folder that filled it knows what the records hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AsRead(std::collections::BTreeMap<String, serde_json::Value>);

impl AsRead {
    pub fn insert(&mut self, id: String, record: serde_json::Value) {
        self.0.insert(id, record);
    }

    pub fn get(&self, id: &str) -> Option<&serde_json::Value> {
        self.0.get(id)
    }
}

/// Which vendor a provider is: what the planner needs to know about it
/// beyond its live state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    Clockify,
    Connecteam,
}
