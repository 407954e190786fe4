//! `hrform export`'s pure half: one provider's live state (as `model` has
//! it) turned into the manifest documents that declare it, such that they
//! validate and `plan` finds nothing to change. No I/O, no wire types: the
//! reads are the shell's (its `providers`, with a scope that reads
//! everyone) and the shell's `commands::export` writes the files.
//!
//! What it owns: which people, policies and requests are exported and why
//! one is left out (`Skipped`), the allowance each holding implies (usage
//! added back, as `plan::balance` counts it), the stable key of a request
//! without an hrform marker (`model::id_key`), and the canonical order.
//! `render` owns the YAML text.
//!
//! May import: `model`, `manifest::checked`, `plan::balance` (the one
//! usage count), `amount`, and (`render`) `fmt::scalar` (the one quoting
//! rule of the tree). Every read of a `LiveRequest`'s fields is in
//! [`manifest_request`]. `profiles` groups people of identical time off
//! (`export --profiles`).

pub mod profiles;
pub mod render;
pub mod roster;

mod requests;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use jiff::civil::{Date, Time};

use crate::amount::Amount;
use crate::manifest::checked::{LeaveYear, RequestStatus, Status, Unit};
use crate::model::{
    LivePerson, LivePolicy, LiveRequest, LiveState, LiveStatus, Vendor, id_key, marker_key,
    request_marker, with_marker,
};
use crate::plan::balance;

use requests::requests;

/// What the conversion needs beyond the live state.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub vendor: Vendor,
    /// The leave year usage is counted in (allowances).
    pub leave_year: LeaveYear,
    /// Requests overlapping these dates (inclusive) are exported.
    pub window: (Date, Date),
    /// Lower-cased emails the tree already declares in this provider.
    pub declared_people: &'a HashSet<String>,
    /// Request keys the tree already declares.
    pub declared_keys: &'a HashSet<String>,
    /// What the tree's requests of this provider match an unmarked live
    /// request by (plan adopts it for them): none is exported again.
    pub declared_requests: &'a HashSet<Match>,
    /// Policies of this provider declared `carry_over` in the tree.
    pub carry_over: &'a BTreeSet<String>,
}

/// The manifests' content for one provider.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Export {
    /// In email order (lower-cased).
    pub users: Vec<User>,
    /// In (user, start date, key) order.
    pub requests: Vec<Request>,
    pub skipped: Skipped,
    /// Shared `time_off` (`export --profiles`), in name order; empty
    /// unless [`profiles::group`] made them.
    pub profiles: Vec<profiles::Profile>,
}

/// One person to declare.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub email: String,
    /// For a comment beside the email.
    pub name: Option<String>,
    /// `None`: invited, not joined (left unmanaged).
    pub status: Option<Status>,
    /// Why `status` is left out, when it is.
    pub status_note: Option<&'static str>,
    /// In policy (then policy type) order.
    pub time_off: Vec<Entry>,
    /// The profile declaring exactly `time_off` (`export --profiles`):
    /// written as `profile:` in its place.
    pub profile: Option<String>,
}

/// One policy a person is on.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub policy: String,
    /// Connecteam, when another type has a policy of this name.
    pub policy_type: Option<String>,
    /// The allowance, with the policy's unit; `None`: assigned only.
    pub allowance: Option<(Amount, Unit)>,
    /// Why no allowance is exported, when there is none.
    pub note: Option<&'static str>,
}

/// One time-off request to declare.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub key: String,
    /// The person's email.
    pub user: String,
    pub policy_type: String,
    pub start_date: Date,
    pub end_date: Date,
    /// `None`: all day.
    pub times: Option<(Time, Time)>,
    pub timezone: String,
    pub status: RequestStatus,
    pub employee_note: Option<String>,
    pub manager_note: Option<String>,
    pub adjust_for_dst: Option<bool>,
    pub time_clock_id: Option<i64>,
}

/// What plan matches an unmarked live request to a declared one by: the
/// person (lower-cased email), the policy type's name, the dates and the
/// times of a partial day.
pub type Match = (String, String, Date, Date, Option<(Time, Time)>);

/// What was left out, and why (for stderr).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Skipped {
    /// People the tree already declares in this provider.
    pub declared: usize,
    /// Everything else: reason -> how many.
    pub reasons: BTreeMap<&'static str, usize>,
}

impl Skipped {
    fn add(&mut self, why: &'static str) {
        *self.reasons.entry(why).or_default() += 1;
    }
}

/// A live request read into a manifest request, with what the export still
/// needs to place it: whose it is and of which policy type (by id).
#[derive(Debug, Clone, PartialEq)]
struct Candidate {
    id: String,
    person: String,
    policy_type_id: String,
    /// The request, with `user` and `policy_type` still to fill in; or why
    /// it cannot be declared as it is.
    request: Result<Request, &'static str>,
}

/// The one reader of a `LiveRequest`'s fields: the manifest request that
/// declares it exactly as it is, or why there is none. The key is the
/// request's own `[hrform:KEY]` marker, or `connecteam:ID` without one.
/// Times must be whole seconds and the time zone in the time zone
/// database's spelling (what validation gives back), so that plan
/// compares equal.
fn manifest_request(r: &LiveRequest) -> Candidate {
    Candidate {
        id: r.id.clone(),
        person: r.person.clone(),
        policy_type_id: r.policy_type_id.clone(),
        request: declared(r),
    }
}

/// [`manifest_request`]'s request: the same reader, in two parts.
fn declared(r: &LiveRequest) -> Result<Request, &'static str> {
    // The model's times may hold fractions of a second; a manifest's not.
    let time = |t: Option<Time>| {
        t.filter(|t| t.subsec_nanosecond() == 0)
            .ok_or("a partial-day request without times in HH:MM:SS form")
    };
    let (start_date, end_date) = (r.start_date, r.end_date);
    let times = if r.all_day {
        None
    } else {
        Some((time(r.start_time)?, time(r.end_time)?))
    };
    // The database validation reads zones from, so both spell them alike.
    let zone_ok = crate::manifest::tz_db()
        .get(&r.timezone)
        .ok()
        .is_some_and(|z| z.iana_name() == Some(r.timezone.as_str()));
    if !zone_ok {
        return Err("a request in a time zone the time zone database does not spell so");
    }
    let status = r.status;
    let (key, manager_note) = match r.manager_note.as_deref() {
        Some(note) => match marker_key(note) {
            Some(key) => {
                // The note as declared is the live one without the marker;
                // when that does not give the live note back exactly (plan
                // appends the marker to the trimmed note), it is left out,
                // and plan keeps the live one as it is.
                let marker = request_marker(key);
                let bare = note.trim_end().strip_suffix(&marker).unwrap_or(note).trim();
                let bare = (!bare.is_empty()).then(|| bare.to_owned());
                let rebuilt = with_marker(bare.as_deref(), key);
                (key.to_owned(), bare.filter(|_| rebuilt == note))
            }
            None => (id_key(&r.id), Some(note.to_owned())),
        },
        None => (id_key(&r.id), None),
    };
    if !key.chars().all(crate::manifest::is_request_key_char) {
        return Err("a request whose marker or id is not a valid request key");
    }
    Ok(Request {
        key,
        user: String::new(),
        policy_type: String::new(),
        start_date,
        end_date,
        times,
        timezone: r.timezone.clone(),
        status,
        employee_note: r.employee_note.clone(),
        manager_note,
        adjust_for_dst: r.adjust_for_dst,
        time_clock_id: r.time_clock_id,
    })
}

/// What the tree already declares in one provider, which export leaves
/// out, and the policies it carries over.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    pub people: HashSet<String>,
    pub keys: HashSet<String>,
    pub requests: HashSet<Match>,
    pub carry_over: BTreeSet<String>,
}

impl Declared {
    /// What `config` declares in the provider named `provider`.
    pub fn of(config: &crate::manifest::checked::Config, provider: &str) -> Self {
        use crate::manifest::checked::DaySpan;
        let people = config
            .users
            .iter()
            .filter(|u| u.provider == provider)
            .map(|u| u.email.key().to_owned())
            .collect();
        // Keys are unique across the tree, whichever provider holds them.
        let keys = config.requests.iter().map(|r| r.key.clone()).collect();
        let requests = config
            .requests
            .iter()
            .filter(|r| r.provider == provider)
            .map(|r| {
                let times = match r.span {
                    DaySpan::AllDay => None,
                    DaySpan::Partial { start, end } => Some((start, end)),
                };
                (
                    r.user.key().to_owned(),
                    r.policy_type.clone(),
                    r.start_date,
                    r.end_date,
                    times,
                )
            })
            .collect();
        let carry_over = crate::plan::carry_over(config)
            .remove(provider)
            .unwrap_or_default();
        Self {
            people,
            keys,
            requests,
            carry_over,
        }
    }

    /// The conversion's context for `vendor`, counting usage in
    /// `leave_year` and exporting requests overlapping `window`.
    pub fn context(
        &self,
        vendor: Vendor,
        leave_year: LeaveYear,
        window: (Date, Date),
    ) -> Context<'_> {
        Context {
            vendor,
            leave_year,
            window,
            declared_people: &self.people,
            declared_keys: &self.keys,
            declared_requests: &self.requests,
            carry_over: &self.carry_over,
        }
    }
}

impl Export {
    /// Leave `items` out, and the requests of every person left out:
    /// returns how many requests went only because their person did. A
    /// profile left out takes its people with it; one left with fewer than
    /// [`profiles::MIN_PEOPLE`] people is written inline again.
    pub fn leave_out(&mut self, items: &BTreeSet<render::Item>) -> usize {
        let gone: HashSet<String> = items
            .iter()
            .filter_map(|item| match *item {
                render::Item::Profile(i) => self.profiles.get(i).map(|p| p.name.clone()),
                _ => None,
            })
            .collect();
        for item in items.iter().rev() {
            match *item {
                render::Item::User(i) if i < self.users.len() => {
                    self.users.remove(i);
                }
                render::Item::Request(i) if i < self.requests.len() => {
                    self.requests.remove(i);
                }
                _ => {}
            }
        }
        if !self.profiles.is_empty() {
            self.users
                .retain(|u| u.profile.as_ref().is_none_or(|p| !gone.contains(p)));
            profiles::prune(self);
        }
        let kept: HashSet<String> = self
            .users
            .iter()
            .map(|u| crate::mailbox::key(&u.email))
            .collect();
        let before = self.requests.len();
        self.requests
            .retain(|r| kept.contains(&crate::mailbox::key(&r.user)));
        before - self.requests.len()
    }
}

/// The live state of one provider as manifest content.
pub fn export(live: &LiveState, cx: &Context<'_>) -> Export {
    let mut out = Export::default();
    let mut by_email: HashMap<String, usize> = HashMap::new();
    for p in &live.people {
        *by_email.entry(crate::mailbox::key(&p.email)).or_default() += 1;
    }
    let policies: HashMap<&str, &LivePolicy> =
        live.policies.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut held: HashMap<&str, Vec<&crate::model::Holding>> = HashMap::new();
    for h in &live.holdings {
        held.entry(h.person.as_str()).or_default().push(h);
    }
    let leave = balance::Leave::new(cx.leave_year, None, cx.carry_over);

    let mut people: Vec<&LivePerson> = Vec::new();
    for p in &live.people {
        let email = crate::mailbox::key(&p.email);
        if cx.declared_people.contains(&email) {
            out.skipped.declared += 1;
            continue;
        }
        if by_email[&email] > 1 {
            out.skipped
                .add("people sharing one email with another account");
            continue;
        }
        people.push(p);
    }
    people.sort_by_cached_key(|p| crate::mailbox::key(&p.email));
    let names = PolicyNames::of(live);
    let exported: HashMap<&str, &LivePerson> = people.iter().map(|p| (p.id.as_str(), *p)).collect();

    for person in &people {
        let (status, status_note) = match person.status {
            LiveStatus::Active => (Some(Status::Active), None),
            LiveStatus::Inactive => (Some(Status::Inactive), None),
            LiveStatus::Pending => (None, Some("invited, not joined: status not managed")),
            LiveStatus::Declined => (None, Some("declined the invitation: status not managed")),
        };
        let mut time_off = Vec::new();
        for h in held.get(person.id.as_str()).into_iter().flatten() {
            let Some(policy) = policies.get(h.policy.as_str()).copied() else {
                continue;
            };
            if policy.archived {
                continue;
            }
            let Some(policy_type) = names.policy_type_needed(policy) else {
                out.skipped
                    .add("holdings of a policy whose name another policy shares");
                continue;
            };
            let (allowance, note) = allowance(cx, live, person, policy, h, &leave);
            time_off.push(Entry {
                policy: policy.name.clone(),
                policy_type,
                allowance: allowance.map(|a| (a, policy.unit)),
                note,
            });
        }
        time_off.sort_by(|a, b| (&a.policy, &a.policy_type).cmp(&(&b.policy, &b.policy_type)));
        out.users.push(User {
            email: person.email.clone(),
            name: person.name.clone(),
            status,
            status_note,
            time_off,
            profile: None,
        });
    }

    out.requests = requests(live, cx, &exported, &mut out.skipped);
    out
}

/// How many usable (not archived) policies bear each name, and each name
/// within each policy type (by the type's name): counted once.
struct PolicyNames<'a> {
    by_name: HashMap<&'a str, usize>,
    by_name_in_type: HashMap<(&'a str, &'a str), usize>,
}

impl<'a> PolicyNames<'a> {
    fn of(live: &'a LiveState) -> Self {
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        let mut by_name_in_type: HashMap<(&str, &str), usize> = HashMap::new();
        for p in live.policies.iter().filter(|p| !p.archived) {
            *by_name.entry(p.name.as_str()).or_default() += 1;
            if let Some(t) = &p.policy_type {
                *by_name_in_type
                    .entry((p.name.as_str(), t.name.as_str()))
                    .or_default() += 1;
            }
        }
        Self {
            by_name,
            by_name_in_type,
        }
    }

    /// `Some(None)`: the policy's name is unique among the usable policies;
    /// `Some(Some(type))`: unique within its type, so `policy_type` names
    /// it; `None`: no manifest entry can name it (two of one name in one
    /// type, or on Clockify).
    fn policy_type_needed(&self, policy: &LivePolicy) -> Option<Option<String>> {
        if self.by_name.get(policy.name.as_str()) == Some(&1) {
            return Some(None);
        }
        let ty = policy.policy_type.as_ref()?;
        let in_type = self
            .by_name_in_type
            .get(&(policy.name.as_str(), ty.name.as_str()));
        (in_type == Some(&1)).then(|| Some(ty.name.clone()))
    }
}

/// The allowance a holding implies (remaining + usage), as plan computes
/// it, or why none is exported.
fn allowance(
    cx: &Context<'_>,
    live: &LiveState,
    person: &LivePerson,
    policy: &LivePolicy,
    h: &crate::model::Holding,
    leave: &balance::Leave<'_>,
) -> (Option<Amount>, Option<&'static str>) {
    if policy.accrues.is_some() {
        return (None, Some("the system accrues it: no allowance"));
    }
    if cx.carry_over.contains(&policy.name) {
        return (None, Some("carry_over: allowance not exported"));
    }
    if h.unreadable.is_some() {
        return (None, Some("the balance row cannot be read: no allowance"));
    }
    let Some(remaining) = h.balance else {
        return (None, None);
    };
    let used = match cx.vendor {
        Vendor::Clockify => h.used.unwrap_or(Amount::ZERO),
        Vendor::Connecteam => balance::connecteam_usage(live, &person.id, policy, leave).used,
    };
    let Some(allowance) = remaining.checked_add(used) else {
        return (None, Some("an allowance out of range: not exported"));
    };
    // What a manifest can hold: 0 to 10000, read back to the same amount.
    let readable = allowance
        .to_string()
        .parse::<f64>()
        .ok()
        .and_then(Amount::exact_from_f64)
        == Some(allowance);
    if allowance.is_sign_negative() && !allowance.is_zero()
        || allowance > Amount::from_i64(Amount::MAX_DECLARED.into())
        || !readable
    {
        return (None, Some("an allowance out of range: not exported"));
    }
    (Some(allowance), None)
}

#[cfg(test)]
mod tests;
