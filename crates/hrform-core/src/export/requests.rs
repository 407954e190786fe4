//! The requests export declares: those of the exported people that
//! overlap the window and can be declared as they are, one per key (the
//! copy plan keeps), and why each other one is left out.

use super::*;

/// The requests of the exported people overlapping the window.
pub(super) fn requests(
    live: &LiveState,
    cx: &Context<'_>,
    people: &HashMap<&str, &LivePerson>,
    skipped: &mut Skipped,
) -> Vec<Request> {
    // Policy type id -> name; a name two types share cannot be declared
    // (plan takes the first type of that name).
    let mut types: BTreeMap<&str, &str> = BTreeMap::new();
    for p in &live.policies {
        if let Some(t) = &p.policy_type {
            types.insert(t.id.as_str(), t.name.as_str());
        }
    }
    let mut names: HashMap<&str, usize> = HashMap::new();
    for name in types.values() {
        *names.entry(name).or_default() += 1;
    }
    // (person, type id) pairs with a holding: a request needs one.
    let type_of: HashMap<&str, &str> = live
        .policies
        .iter()
        .filter_map(|p| Some((p.id.as_str(), p.policy_type.as_ref()?.id.as_str())))
        .collect();
    let on_type: HashSet<(&str, &str)> = live
        .holdings
        .iter()
        .filter_map(|h| Some((h.person.as_str(), *type_of.get(h.policy.as_str())?)))
        .collect();
    let mut by_key: BTreeMap<String, Vec<(Candidate, Request)>> = BTreeMap::new();
    for c in live.requests.iter().map(manifest_request) {
        let Some(person) = people.get(c.person.as_str()).copied() else {
            continue;
        };
        let mut request = match &c.request {
            Ok(r) => r.clone(),
            Err(why) => {
                skipped.add(why);
                continue;
            }
        };
        let (first, last) = cx.window;
        if request.end_date < first || request.start_date > last {
            continue;
        }
        if cx.declared_keys.contains(&request.key) {
            skipped.add("requests whose key the tree already declares");
            continue;
        }
        let Some(type_name) = types.get(c.policy_type_id.as_str()).copied() else {
            skipped.add("requests of a policy type with no policy");
            continue;
        };
        if names[type_name] > 1 {
            skipped.add("requests of a policy type whose name another type shares");
            continue;
        }
        if !on_type.contains(&(c.person.as_str(), c.policy_type_id.as_str())) {
            skipped.add("requests of a person on no policy of the request's type");
            continue;
        }
        request.user.clone_from(&person.email);
        request.policy_type = type_name.to_owned();
        let matched = (
            crate::mailbox::key(&person.email),
            request.policy_type.clone(),
            request.start_date,
            request.end_date,
            request.times,
        );
        if request.key.starts_with(crate::model::ID_KEY_PREFIX)
            && cx.declared_requests.contains(&matched)
        {
            skipped.add("requests a request of the tree adopts");
            continue;
        }
        by_key
            .entry(request.key.clone())
            .or_default()
            .push((c, request));
    }
    let mut out = Vec::new();
    for (_, mut copies) in by_key {
        // Several live requests with one marker: plan keeps one (a live
        // one before a denied one, the earliest id) and denies the others;
        // the export declares the one it keeps.
        if copies.len() > 1 {
            copies.sort_by(|(a, ra), (b, rb)| {
                (ra.status == RequestStatus::Denied)
                    .cmp(&(rb.status == RequestStatus::Denied))
                    .then_with(|| earliest(&a.id, &b.id))
            });
            for _ in 1..copies.len() {
                skipped.add("copies of a request marked twice (the next plan denies them)");
            }
        }
        let (_, request) = copies.swap_remove(0);
        out.push(request);
    }
    out.sort_by_cached_key(|r| (crate::mailbox::key(&r.user), r.start_date, r.key.clone()));
    out
}

/// Request ids in creation order: numerically when both are numbers.
fn earliest(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}
