//! Time-off requests: the manifests' `time_off_requests` of one provider
//! against its live requests, giving creates, updates (only the fields that
//! differ), adoptions of unmarked matches and denials, with the checks that
//! need the live state (policy type, assignment, duplicate markers) and the
//! warnings (overlaps, double deduction). Pure: no I/O.
//!
//! Matching: by the `[hrform:KEY]` marker at the end of the manager note;
//! failing that, a key `connecteam:ID` (what `hrform export` gives a live
//! request without a marker, `model::id_key`) names the unmarked live
//! request of that id, which is compared like a marked one and never gets a
//! marker (so an export plans to no change); failing that, a request
//! without a marker with the same person, policy type, dates, all-day flag
//! and times is adopted (the update adds the marker).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::manifest::checked::{self, DaySpan, Settings};
use crate::model::{
    Change, ChangeKind, LivePerson, LiveRequest, LiveState, RequestFields, RequestStatus,
    id_key_target, marker_key, with_marker,
};

/// What the requests of one provider come to.
#[derive(Debug, Default)]
pub struct RequestDiff {
    pub changes: Vec<Change>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Request ids in creation order: numerically when both are numbers
/// (Connecteam's are), else as text.
fn earliest(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Diff the declared `requests` of `provider` (with its declared `users`,
/// for the assignment and double-deduction checks) against `live`.
pub fn diff_requests(
    provider: &str,
    requests: &[&checked::Request],
    users: &[&checked::User],
    live: &LiveState,
    settings: &Settings,
) -> RequestDiff {
    let mut out = RequestDiff::default();
    let by_email: HashMap<String, &LivePerson> = live
        .people
        .iter()
        .map(|p| (crate::mailbox::key(&p.email), p))
        .collect();
    // Policy types: id -> name, from the policies.
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    for p in &live.policies {
        if let Some(t) = &p.policy_type {
            types.insert(t.id.clone(), t.name.clone());
        }
    }
    let mut marked: HashMap<&str, Vec<&LiveRequest>> = HashMap::new();
    for r in &live.requests {
        if let Some(key) = r.manager_note.as_deref().and_then(marker_key) {
            marked.entry(key).or_default().push(r);
        }
    }
    let declared_keys: HashSet<&str> = requests.iter().map(|r| r.key.as_str()).collect();
    let window: Option<(jiff::civil::Date, jiff::civil::Date)> = requests
        .iter()
        .map(|r| r.start_date)
        .min()
        .zip(requests.iter().map(|r| r.end_date).max());
    let mut taken: HashSet<&str> = HashSet::new();
    // Live requests a declared key names by id: never adopted by another.
    let claimed: HashSet<&str> = requests
        .iter()
        .filter_map(|r| id_key_target(&r.key))
        .collect();
    // Indexes built once (a plan may hold thousands of requests).
    let on_type = OnType::of(users, live);
    let mut by_id: HashMap<&str, &LiveRequest> = HashMap::new();
    // Unmarked live requests by person, type and first day, in read order.
    let mut unmarked_at: HashMap<(&str, &str, jiff::civil::Date), Vec<&LiveRequest>> =
        HashMap::new();
    for r in &live.requests {
        by_id.entry(r.id.as_str()).or_insert(r);
        if unmarked(r) {
            unmarked_at
                .entry((r.person.as_str(), r.policy_type_id.as_str(), r.start_date))
                .or_default()
                .push(r);
        }
    }
    let push = |out: &mut RequestDiff, person: &LivePerson, kind: ChangeKind| {
        out.changes.push(Change::new(provider, person, kind));
    };

    for request in requests {
        let Some(person) = by_email.get(request.user.key()).copied() else {
            out.diagnostics.push(
                Diagnostic::error(
                    Code::UserNotFound,
                    format!(
                        "request {}: user `{}` does not exist in provider `{provider}`",
                        request.key, request.user
                    ),
                )
                .at(request.loc, "not found")
                .help_opt(did_you_mean(
                    request.user.key(),
                    live.people.iter().map(|p| p.email.as_str()),
                )),
            );
            continue;
        };
        let Some((type_id, type_name)) = types.iter().find(|(_, n)| **n == request.policy_type)
        else {
            out.diagnostics.push(
                Diagnostic::error(
                    Code::UnknownPolicyType,
                    format!(
                        "request {}: policy type `{}` does not exist in provider `{provider}`",
                        request.key, request.policy_type
                    ),
                )
                .at(request.loc, "no such policy type")
                .help_opt(
                    did_you_mean(&request.policy_type, types.values().map(String::as_str)).or_else(
                        || {
                            Some(format!(
                                "the policy types are: {}",
                                types.values().cloned().collect::<Vec<_>>().join(", ")
                            ))
                        },
                    ),
                ),
            );
            continue;
        };
        if !on_type.holds(person, type_id) {
            out.diagnostics.push(
                Diagnostic::error(
                    Code::RequestNotAssigned,
                    format!(
                        "request {}: {} is on no `{type_name}` policy in provider `{provider}`",
                        request.key, request.user
                    ),
                )
                .at(request.loc, "not on a policy of this type")
                .help(format!(
                    "declare a `{type_name}` policy in the user's `time_off`, or assign one in Connecteam"
                )),
            );
            continue;
        }
        let mut holders = marked
            .get(request.key.as_str())
            .cloned()
            .unwrap_or_default();
        // A denied copy left by a recreate (or a denial) yields to a live one.
        if holders.iter().any(|r| r.status != RequestStatus::Denied) {
            holders.retain(|r| r.status != RequestStatus::Denied);
        }
        if holders.len() > 1 {
            // hrform's own marker on several live requests (two applies at
            // once, say): a planned repair, not an error that blocks every
            // plan. Keep one (the person's own, earliest id first), deny
            // the later copies.
            holders.sort_by(|a, b| {
                (a.person != person.id)
                    .cmp(&(b.person != person.id))
                    .then_with(|| earliest(&a.id, &b.id))
            });
            let kept = holders[..1].to_vec();
            let ids: Vec<&str> = holders.iter().map(|r| r.id.as_str()).collect();
            out.diagnostics.push(
                Diagnostic::warning(
                    Code::DuplicateRequestMarker,
                    format!(
                        "request {}: {} live requests carry its marker ({}): keeping {}, denying the others",
                        request.key,
                        holders.len(),
                        ids.join(", "),
                        kept[0].id
                    ),
                )
                .at(request.loc, "marked more than once in Connecteam"),
            );
            for copy in holders[1..]
                .iter()
                .filter(|r| r.status != RequestStatus::Denied)
            {
                if let Some(owner) = live.people.iter().find(|p| p.id == copy.person) {
                    push(
                        &mut out,
                        owner,
                        ChangeKind::DenyRequest {
                            key: request.key.clone(),
                            request: (*copy).clone(),
                            reason: format!("a duplicate of request {}", kept[0].id),
                        },
                    );
                }
            }
            holders = kept;
        }
        let desired = desired(request, person, type_id, type_name);
        // A key `hrform export` made from a live request's id names that
        // request, which carries no marker and gets none.
        let by_id = if holders.is_empty() {
            id_key_target(&request.key)
                .and_then(|id| by_id.get(id).copied())
                .filter(|r| !taken.contains(r.id.as_str()) && unmarked(r))
        } else {
            None
        };
        match holders.first().copied().or(by_id) {
            Some(live_request) => {
                taken.insert(live_request.id.as_str());
                let mut desired = desired;
                // Without a declared manager note, the live one (marker and
                // all) stays as it is; a request named by its id keeps the
                // declared note as it is, with no marker.
                if request.manager_note.is_none() {
                    desired.manager_note.clone_from(&live_request.manager_note);
                } else if by_id.is_some() {
                    desired.manager_note.clone_from(&request.manager_note);
                }
                let immutable = immutable_differences(live_request, &desired, request);
                if !immutable.is_empty() {
                    if settings.recreate_requests {
                        push(
                            &mut out,
                            person,
                            ChangeKind::DenyRequest {
                                key: request.key.clone(),
                                request: (*live_request).clone(),
                                reason: format!(
                                    "recreated: {} cannot change",
                                    immutable.join(", ")
                                ),
                            },
                        );
                        let mut fresh = desired.clone();
                        fresh.manager_note =
                            Some(with_marker(request.manager_note.as_deref(), &request.key));
                        push(
                            &mut out,
                            person,
                            ChangeKind::CreateRequest {
                                key: request.key.clone(),
                                request: fresh,
                            },
                        );
                    } else {
                        out.diagnostics.push(
                            Diagnostic::warning(
                                Code::RequestNeedsRecreate,
                                format!(
                                    "request {}: {} cannot be changed through the API; it must be denied and recreated",
                                    request.key,
                                    immutable.join(", ")
                                ),
                            )
                            .at(request.loc, "left as it is")
                            .help("set `settings.recreate_requests: true` to deny it and create it anew"),
                        );
                    }
                    continue;
                }
                let fields = RequestFields::between(live_request, &desired);
                if !fields.is_empty() {
                    push(
                        &mut out,
                        person,
                        ChangeKind::UpdateRequest {
                            key: request.key.clone(),
                            request: (*live_request).clone(),
                            fields,
                            adopt: false,
                        },
                    );
                }
            }
            None => {
                let at = (
                    person.id.as_str(),
                    desired.policy_type_id.as_str(),
                    desired.start_date,
                );
                let unmarked = unmarked_at
                    .get(&at)
                    .into_iter()
                    .flatten()
                    .copied()
                    .find(|r| {
                        !taken.contains(r.id.as_str())
                            && !claimed.contains(r.id.as_str())
                            && r.end_date == desired.end_date
                            && r.all_day == desired.all_day
                            && (r.all_day
                                || (r.start_time == desired.start_time
                                    && r.end_time == desired.end_time))
                    });
                match unmarked {
                    Some(found) => {
                        taken.insert(found.id.as_str());
                        let mut want = desired;
                        want.manager_note = Some(with_marker(
                            request
                                .manager_note
                                .as_deref()
                                .or(found.manager_note.as_deref()),
                            &request.key,
                        ));
                        let mut fields = RequestFields::between(found, &want);
                        // The marker is the adoption: always written.
                        fields.manager_note =
                            Some((found.manager_note.clone(), want.manager_note.clone()));
                        push(
                            &mut out,
                            person,
                            ChangeKind::UpdateRequest {
                                key: request.key.clone(),
                                request: found.clone(),
                                fields,
                                adopt: true,
                            },
                        );
                    }
                    None => push(
                        &mut out,
                        person,
                        ChangeKind::CreateRequest {
                            key: request.key.clone(),
                            request: desired,
                        },
                    ),
                }
            }
        }
    }

    // Requests hrform made that left the manifests.
    if settings.prune_requests {
        let by_id: HashMap<&str, &LivePerson> =
            live.people.iter().map(|p| (p.id.as_str(), p)).collect();
        let mut gone: Vec<(&str, &LiveRequest)> = marked
            .iter()
            .filter(|(key, _)| !declared_keys.contains(**key))
            .flat_map(|(key, rs)| rs.iter().map(move |r| (*key, *r)))
            .filter(|(_, r)| r.status != RequestStatus::Denied)
            // Only inside the window the declared requests span: the read
            // may reach further (a leave year, for usage).
            .filter(|(_, r)| {
                window.is_some_and(|(first, last)| r.start_date <= last && r.end_date >= first)
            })
            .collect();
        gone.sort_by(|a, b| a.0.cmp(b.0).then(a.1.id.cmp(&b.1.id)));
        for (key, r) in gone {
            if let Some(person) = by_id.get(r.person.as_str()) {
                push(
                    &mut out,
                    person,
                    ChangeKind::DenyRequest {
                        key: key.to_owned(),
                        request: r.clone(),
                        reason: "left the manifests".into(),
                    },
                );
            }
        }
    }

    overlaps(&mut out, requests);
    double_deduction(&mut out, requests, users, live, &types);
    out
}

/// Whether a live request carries no `[hrform:KEY]` marker.
fn unmarked(r: &LiveRequest) -> bool {
    r.manager_note.as_deref().and_then(marker_key).is_none()
}

/// The request as declared, in the model's terms.
fn desired(
    r: &checked::Request,
    person: &LivePerson,
    type_id: &str,
    type_name: &str,
) -> LiveRequest {
    let (all_day, start_time, end_time) = match r.span {
        DaySpan::AllDay => (true, None, None),
        DaySpan::Partial { start, end } => (false, Some(start), Some(end)),
    };
    LiveRequest {
        id: String::new(),
        person: person.id.clone(),
        policy_type_id: type_id.to_owned(),
        policy_type: type_name.to_owned(),
        all_day,
        start_date: r.start_date,
        end_date: r.end_date,
        start_time,
        end_time,
        timezone: r.timezone.clone(),
        status: r.status,
        employee_note: r.employee_note.clone(),
        manager_note: Some(with_marker(r.manager_note.as_deref(), &r.key)),
        adjust_for_dst: Some(r.adjust_for_dst),
        time_clock_id: r.time_clock_id,
        duration: None,
    }
}

/// Fields the API cannot change (user, policy type, employee note).
fn immutable_differences(
    live: &LiveRequest,
    want: &LiveRequest,
    declared: &checked::Request,
) -> Vec<&'static str> {
    let mut out = Vec::new();
    if live.person != want.person {
        out.push("the user");
    }
    if live.policy_type_id != want.policy_type_id {
        out.push("the policy type");
    }
    if declared.employee_note.is_some() && live.employee_note != want.employee_note {
        out.push("the employee note");
    }
    out
}

/// Who is on a policy of which type: holding one live, or declared onto
/// one in the manifests (by the policy's name).
struct OnType<'a> {
    /// Live person id -> policy type ids held.
    held: HashMap<&'a str, HashSet<&'a str>>,
    /// Email key -> policy type ids declared.
    declared: HashMap<&'a str, HashSet<&'a str>>,
}

impl<'a> OnType<'a> {
    fn of(users: &[&'a checked::User], live: &'a LiveState) -> Self {
        let type_of: HashMap<&str, &str> = live
            .policies
            .iter()
            .filter_map(|p| Some((p.id.as_str(), p.policy_type.as_ref()?.id.as_str())))
            .collect();
        let mut types_named: HashMap<&str, Vec<&str>> = HashMap::new();
        for p in &live.policies {
            if let Some(t) = &p.policy_type {
                types_named
                    .entry(p.name.as_str())
                    .or_default()
                    .push(t.id.as_str());
            }
        }
        let mut held: HashMap<&str, HashSet<&str>> = HashMap::new();
        for h in &live.holdings {
            if let Some(t) = type_of.get(h.policy.as_str()) {
                held.entry(h.person.as_str()).or_default().insert(t);
            }
        }
        let mut declared: HashMap<&str, HashSet<&str>> = HashMap::new();
        for u in users {
            for t in &u.time_off {
                for type_id in types_named.get(t.policy.as_str()).into_iter().flatten() {
                    declared.entry(u.email.key()).or_default().insert(type_id);
                }
            }
        }
        Self { held, declared }
    }

    /// Whether `person` is (or is declared to be) on a policy of `type_id`.
    fn holds(&self, person: &LivePerson, type_id: &str) -> bool {
        self.held
            .get(person.id.as_str())
            .is_some_and(|t| t.contains(type_id))
            || self
                .declared
                .get(crate::mailbox::key(&person.email).as_str())
                .is_some_and(|t| t.contains(type_id))
    }
}

/// Declared requests of one person that overlap (denied ones aside).
fn overlaps(out: &mut RequestDiff, requests: &[&checked::Request]) {
    let mut by_user: BTreeMap<&str, Vec<&checked::Request>> = BTreeMap::new();
    for r in requests
        .iter()
        .filter(|r| r.status != RequestStatus::Denied)
    {
        by_user.entry(r.user.key()).or_default().push(r);
    }
    for (_, mut rs) in by_user {
        rs.sort_by_key(|r| (r.start_date, r.key.clone()));
        for (i, a) in rs.iter().enumerate() {
            for b in &rs[i + 1..] {
                if b.start_date > a.end_date {
                    break;
                }
                let times_overlap = match (a.span, b.span) {
                    (
                        DaySpan::Partial { start: s1, end: e1 },
                        DaySpan::Partial { start: s2, end: e2 },
                    ) => s1 < e2 && s2 < e1,
                    _ => true,
                };
                if times_overlap {
                    out.diagnostics.push(
                        Diagnostic::warning(
                            Code::OverlappingRequests,
                            format!("requests {} and {} of {} overlap", a.key, b.key, a.user),
                        )
                        .at(b.loc, "overlaps")
                        .also(a.loc, "this one"),
                    );
                }
            }
        }
    }
}

/// An absolute balance declared on a policy of a type the person also has
/// approved requests in: Connecteam deducts approved requests from it.
fn double_deduction(
    out: &mut RequestDiff,
    requests: &[&checked::Request],
    users: &[&checked::User],
    live: &LiveState,
    types: &BTreeMap<String, String>,
) {
    for user in users {
        for entry in &user.time_off {
            // An allowance and approved requests agree by construction: the
            // system deducts the requests, hrform counts them as usage.
            let Some(balance) = entry.remaining() else {
                continue;
            };
            let Some(type_name) = live
                .policies
                .iter()
                .find(|p| p.name == entry.policy)
                .and_then(|p| p.policy_type.as_ref())
                .and_then(|t| types.get(&t.id))
            else {
                continue;
            };
            let approved: Vec<&&checked::Request> = requests
                .iter()
                .filter(|r| {
                    r.user == user.email
                        && &r.policy_type == type_name
                        && r.status == RequestStatus::Approved
                })
                .collect();
            if approved.is_empty() {
                continue;
            }
            let days: i64 = approved
                .iter()
                .filter(|r| r.span == DaySpan::AllDay)
                .map(|r| (r.end_date - r.start_date).get_days() as i64 + 1)
                .sum();
            let partial = approved
                .iter()
                .filter(|r| r.span != DaySpan::AllDay)
                .count();
            out.diagnostics.push(
                Diagnostic::warning(
                    Code::DoubleDeduction,
                    format!(
                        "{} declares an absolute {} balance of {balance} and {} approved `{type_name}` request(s) ({days} whole days{}): Connecteam deducts approved requests from the balance",
                        user.email,
                        entry.policy,
                        approved.len(),
                        if partial > 0 { format!(", {partial} partial days") } else { String::new() }
                    ),
                )
                .at(entry.loc, "an absolute balance")
                .help("declare the balance net of these requests, or leave the balance out and let the requests deduct"),
            );
        }
    }
}
