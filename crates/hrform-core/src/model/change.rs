//! Changes: what the planner derives from live and declared state, one
//! per person and thing, with the live value it was computed against.

use std::fmt;

use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

use super::{
    Amount, LivePerson, LivePolicy, LiveRequest, LiveStatus, PersonId, PolicyId, RequestStatus,
    Status, Unit, time_words,
};

/// What changes in a live request: each field the API can change that
/// differs, as (live, declared). Plan documents carry it as an object of
/// field name to `[live, declared]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RequestFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjust_for_dst: Option<(bool, bool)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_day: Option<(bool, bool)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<(String, String)>")]
    pub end_date: Option<(Date, Date)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<(Option<String>, Option<String>)>")]
    pub end_time: Option<(Option<Time>, Option<Time>)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_note: Option<(Option<String>, Option<String>)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<(String, String)>")]
    pub start_date: Option<(Date, Date)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<(Option<String>, Option<String>)>")]
    pub start_time: Option<(Option<Time>, Option<Time>)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<(RequestStatus, RequestStatus)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_clock_id: Option<(Option<i64>, Option<i64>)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<(String, String)>,
}

/// One differing field for people to read: its name, and its live and
/// declared values as words (`None`: no value).
pub type FieldWords = (&'static str, Option<String>, Option<String>);

impl RequestFields {
    /// The differences between `live` and `want`: every changeable field,
    /// the times only for a partial day, the DST flag only when the API
    /// returned it, the time clock only when declared.
    pub fn between(live: &LiveRequest, want: &LiveRequest) -> Self {
        fn differ<T: PartialEq + Clone>(a: &T, b: &T) -> Option<(T, T)> {
            (a != b).then(|| (a.clone(), b.clone()))
        }
        let partial = !want.all_day;
        RequestFields {
            // `isAdjustForDayLightSaving` is compared only when the API
            // returns it: its documented responses do not list it.
            adjust_for_dst: live
                .adjust_for_dst
                .zip(want.adjust_for_dst)
                .and_then(|(a, b)| differ(&a, &b)),
            all_day: differ(&live.all_day, &want.all_day),
            end_date: differ(&live.end_date, &want.end_date),
            end_time: partial
                .then(|| differ(&live.end_time, &want.end_time))
                .flatten(),
            manager_note: differ(&live.manager_note, &want.manager_note),
            start_date: differ(&live.start_date, &want.start_date),
            start_time: partial
                .then(|| differ(&live.start_time, &want.start_time))
                .flatten(),
            status: differ(&live.status, &want.status),
            time_clock_id: want
                .time_clock_id
                .is_some()
                .then(|| differ(&live.time_clock_id, &want.time_clock_id))
                .flatten(),
            timezone: differ(&live.timezone, &want.timezone),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Each differing field, by name in alphabetical order.
    pub fn words(&self) -> Vec<FieldWords> {
        fn pair<T>(
            name: &'static str,
            v: &Option<(T, T)>,
            word: impl Fn(&T) -> Option<String>,
        ) -> Option<FieldWords> {
            v.as_ref().map(|(a, b)| (name, word(a), word(b)))
        }
        let show = |v: &dyn fmt::Display| Some(v.to_string());
        [
            pair("adjust_for_dst", &self.adjust_for_dst, |v| show(v)),
            pair("all_day", &self.all_day, |v| show(v)),
            pair("end_date", &self.end_date, |v| show(v)),
            pair("end_time", &self.end_time, |v| v.map(time_words)),
            pair("manager_note", &self.manager_note, Clone::clone),
            pair("start_date", &self.start_date, |v| show(v)),
            pair("start_time", &self.start_time, |v| v.map(time_words)),
            pair("status", &self.status, |v| show(v)),
            pair("time_clock_id", &self.time_clock_id, |v| {
                v.map(|i| i.to_string())
            }),
            pair("timezone", &self.timezone, |v| show(v)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// A person a change is about.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct PersonRef {
    pub id: PersonId,
    pub email: String,
    /// The display name the HR system holds, for people to read (absent
    /// when it has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl PersonRef {
    /// The same person (id and email): a display name is for reading only.
    pub fn same(&self, other: &PersonRef) -> bool {
        self.id == other.id && self.email == other.email
    }
}

/// A policy a change is about.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct PolicyRef {
    pub id: PolicyId,
    pub name: String,
    /// Connecteam: the policy type's id and name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_type_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_type: Option<String>,
}

impl PolicyRef {
    /// The reference to a live policy.
    pub fn of(p: &LivePolicy) -> Self {
        PolicyRef {
            id: p.id.clone(),
            name: p.name.clone(),
            policy_type_id: p.policy_type.as_ref().map(|t| t.id.clone()),
            policy_type: p.policy_type.as_ref().map(|t| t.name.clone()),
        }
    }
}

/// One change to one person in one provider, with the live value it was
/// computed against (its precondition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    /// Index of the change within its plan.
    pub id: usize,
    pub provider: String,
    pub person: PersonRef,
    #[serde(flatten)]
    pub kind: ChangeKind,
    /// Where the change comes from: roster rows (`roster FILE:ROW`), rules
    /// (`rule NAME`), profiles (`profile NAME`) and `users:` entries
    /// (`users: FILE:LINE`). Empty for requests and unmanaged people.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub because: Vec<String>,
}

impl Change {
    /// A change of `person` in `provider`, numbered later by the plan.
    pub fn new(provider: &str, person: &LivePerson, kind: ChangeKind) -> Self {
        Change {
            id: 0,
            provider: provider.to_owned(),
            person: PersonRef {
                id: person.id.clone(),
                email: person.email.clone(),
                name: person.name.clone(),
            },
            kind,
            because: Vec::new(),
        }
    }
}

/// How an allowance and its usage account for a balance change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AllowanceChange {
    /// The allowance the live balance implies (remaining + used, less what
    /// carried over); `None` when there is no balance yet.
    pub from: Option<Amount>,
    /// The declared allowance.
    pub to: Amount,
    /// Unused allowance of the previous leave year carried over into the
    /// remaining balance (`carry_over` policies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried: Option<Amount>,
    /// How `to` was computed from the manifest (proration, tenure, a
    /// `from` schedule); absent when it is the declared number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<AllowanceBasis>,
}

/// How an allowance was computed from what the manifest declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AllowanceBasis {
    /// The allowance before proration (the tier's, with tenure).
    pub full: Amount,
    /// The `from` date of the schedule entry that applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub from: Option<jiff::civil::Date>,
    /// Completed years of service of the tenure tier chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenure_years: Option<u32>,
    /// The proration, when the entry says `prorate: true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prorated: Option<Proration>,
}

/// The arithmetic of a prorated allowance: full × days ÷ of, rounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Proration {
    /// The first day employed in the leave year.
    #[schemars(with = "String")]
    pub start: jiff::civil::Date,
    /// The last day employed in the leave year.
    #[schemars(with = "String")]
    pub end: jiff::civil::Date,
    /// Days employed in the leave year, both ends counted.
    pub days: u32,
    /// Days in the leave year.
    pub of: u32,
    /// Whether the leave year starts before `start` (a joiner) and ends
    /// after `end` (a leaver): what the plan names.
    pub joined: bool,
    pub left: bool,
}

/// Why a balance changes, in words a reviewer needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BalanceReason {
    /// No balance yet: the first one.
    Initial,
    /// The allowance differs from what the live balance implies: it was
    /// changed in the manifests, or the balance was adjusted in the HR
    /// system outside hrform. Not usage: usage is added back.
    Allowance,
    /// A new leave year started: usage counted starts again from zero and
    /// the allowance is granted again (with `carried` for `carry_over`).
    NewLeaveYear {
        /// The leave year's label, e.g. `2027` or `2026/27`.
        year: String,
        /// What the previous leave year used, no longer counted.
        previous_used: Amount,
    },
    /// A declared remaining balance (`balance`), a one-off import.
    Remaining,
    /// A declared remaining balance whose increase gives back leave
    /// approved in the leave year: blocked by the `usage_refund` safety rule
    /// unless the entry says `allow_refund: true` or apply has `--force`.
    Refund {
        /// How much of the increase is leave already used.
        restores: Amount,
        /// Approved requests behind the usage (Connecteam); `None` where
        /// the system only reports a total (Clockify).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        requests: Option<usize>,
        /// The entry says `allow_refund: true`.
        allowed: bool,
    },
}

/// What a change does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ChangeKind {
    /// Activate or deactivate. `reason`: the declared date that decides
    /// it, when one does (dates win over `status`).
    Status {
        from: LiveStatus,
        to: Status,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Put the person on a policy. `replaces`: the policy of the same type
    /// they leave (Connecteam moves people between policies of one type).
    Assign {
        policy: PolicyRef,
        #[serde(skip_serializing_if = "Option::is_none")]
        replaces: Option<PolicyRef>,
        /// The remaining balance to give with the assignment, when declared
        /// (Connecteam: the allowance less usage counted).
        #[serde(skip_serializing_if = "Option::is_none")]
        balance: Option<Amount>,
        /// The allowance behind `balance`, when one is declared.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        allowance: Option<Amount>,
        unit: Unit,
        /// How `allowance` was computed (proration, tenure, a schedule).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        basis: Option<AllowanceBasis>,
    },
    /// Set the remaining balance. `from`: the live remaining balance
    /// (`None` when the person has no balance row yet, e.g. assigned in the
    /// same plan); `to`: the remaining balance after.
    Balance {
        policy: PolicyRef,
        from: Option<Amount>,
        to: Amount,
        /// Usage counted in the leave year at plan time (Connecteam: approved
        /// requests' `duration`; Clockify: the row's `used`). Apply's
        /// precondition covers it: if more leave is taken before apply, the
        /// change is stale.
        used: Amount,
        /// Present when the entry declares an `allowance`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        allowance: Option<AllowanceChange>,
        reason: BalanceReason,
        unit: Unit,
    },
    /// Create a time-off request (its manager note ends with the marker).
    CreateRequest { key: String, request: LiveRequest },
    /// Change the fields of a live request that differ (`fields`: each
    /// with its live and declared value, typed). `adopt`: the request
    /// had no marker; this update adds it.
    UpdateRequest {
        key: String,
        request: LiveRequest,
        fields: RequestFields,
        adopt: bool,
    },
    /// Deny a live request: it left the manifests (`prune_requests`), or a
    /// field the API cannot change differs (`recreate_requests`; a create
    /// follows).
    DenyRequest {
        key: String,
        request: LiveRequest,
        reason: String,
    },
}

/// The design's phases within a provider, in the order apply makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Activate,
    Assign,
    Balance,
    /// Denials first: a recreated request's old copy goes before the new.
    Deny,
    Requests,
    Deactivate,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 6] = [
        Phase::Activate,
        Phase::Assign,
        Phase::Balance,
        Phase::Deny,
        Phase::Requests,
        Phase::Deactivate,
    ];
}

impl ChangeKind {
    /// Whether this change deactivates a person (the design's most
    /// harmful change: safety counts it, the comment lists it first).
    pub fn is_deactivation(&self) -> bool {
        matches!(
            self,
            ChangeKind::Status {
                to: Status::Inactive,
                ..
            }
        )
    }

    /// The phase this change is made in: the one place the order is written.
    pub fn phase(&self) -> Phase {
        match self {
            ChangeKind::Status {
                to: Status::Active, ..
            } => Phase::Activate,
            ChangeKind::Status { .. } => Phase::Deactivate,
            ChangeKind::Assign { .. } => Phase::Assign,
            ChangeKind::Balance { .. } => Phase::Balance,
            ChangeKind::DenyRequest { .. } => Phase::Deny,
            ChangeKind::CreateRequest { .. } | ChangeKind::UpdateRequest { .. } => Phase::Requests,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> LiveRequest {
        LiveRequest {
            id: "9".into(),
            person: "7".into(),
            policy_type_id: "t1".into(),
            policy_type: "Vacation".into(),
            all_day: false,
            start_date: jiff::civil::date(2026, 6, 20),
            end_date: jiff::civil::date(2026, 6, 20),
            start_time: Some(jiff::civil::time(9, 30, 0, 0)),
            end_time: Some(jiff::civil::time(13, 0, 0, 0)),
            timezone: "Europe/Dublin".into(),
            status: RequestStatus::Pending,
            employee_note: None,
            manager_note: None,
            adjust_for_dst: None,
            time_clock_id: None,
            duration: None,
        }
    }

    /// Plan documents carry a request's differing fields as field name to
    /// `[live, declared]`, dates and times in the API's spelling, and
    /// read them back as they were (apply reads saved plans).
    #[test]
    fn request_fields_serialise_as_name_to_live_and_declared() {
        let live = request();
        let mut want = request();
        want.start_time = Some(jiff::civil::time(9, 0, 0, 0));
        want.status = RequestStatus::Approved;
        want.manager_note = Some("[hrform:K-1]".into());
        want.end_date = jiff::civil::date(2026, 6, 21);
        let fields = RequestFields::between(&live, &want);
        let json = serde_json::to_value(&fields).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "end_date": ["2026-06-20", "2026-06-21"],
                "manager_note": [null, "[hrform:K-1]"],
                "start_time": ["09:30:00", "09:00:00"],
                "status": ["pending", "approved"],
            })
        );
        let back: RequestFields = serde_json::from_value(json).unwrap();
        assert_eq!(back, fields);
        let names: Vec<&str> = fields.words().iter().map(|w| w.0).collect();
        assert_eq!(names, ["end_date", "manager_note", "start_time", "status"]);
    }

    /// Times are compared only for partial days; the DST flag only when
    /// the API returned it; the time clock only when declared.
    #[test]
    fn request_fields_compare_only_what_applies() {
        let mut live = request();
        let mut want = request();
        live.all_day = true;
        want.all_day = true;
        want.start_time = None;
        want.adjust_for_dst = Some(true);
        want.time_clock_id = None;
        live.time_clock_id = Some(5);
        assert!(RequestFields::between(&live, &want).is_empty());
        live.adjust_for_dst = Some(false);
        want.time_clock_id = Some(6);
        let f = RequestFields::between(&live, &want);
        assert_eq!(f.adjust_for_dst, Some((false, true)));
        assert_eq!(f.time_clock_id, Some((Some(5), Some(6))));
        assert_eq!(f.words().len(), 2);
    }
}
