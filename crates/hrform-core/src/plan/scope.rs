//! What to read from each provider before a plan: its declared people
//! and referenced policies ([`read_scope`]), and the people whose
//! previous leave year the diff needs ([`previous_year_people`]).

use super::*;

/// The people of Connecteam provider `name` whose previous leave year's
/// usage the diff needs (allowances whose live balance may still be last
/// leave year's, and `carry_over` policies), given `state` as read on
/// `today`. Empty: nothing more to read.
pub fn previous_year_people(
    config: &Config,
    name: &str,
    state: &LiveState,
    today: jiff::civil::Date,
) -> Vec<String> {
    let Some(provider) = config.providers.get(name) else {
        return Vec::new();
    };
    if !matches!(provider.kind, ProviderKind::Connecteam { .. }) {
        return Vec::new();
    }
    let leave_year = checked::LeaveYear::containing(today, config.settings.leave_year_start);
    let carry = carry_over(config);
    let on = dated::config_on(config, today);
    let users: Vec<_> = on.users.iter().filter(|u| u.provider == name).collect();
    let leave = balance::Leave::new(leave_year, None, &carry[name]);
    balance::needs_previous_year(&users, state, &leave)
}

/// What to read from one provider: its declared people and referenced
/// policies, and everyone when unmanaged people matter or a percentage
/// safety rule needs the number of active people.
pub fn read_scope(config: &Config, provider: &str, year: checked::LeaveYear) -> ReadScope {
    let users: Vec<_> = config
        .users
        .iter()
        .filter(|u| u.provider == provider)
        .collect();
    let mut policies: Vec<(String, Option<String>)> = users
        .iter()
        .flat_map(|u| {
            u.time_off
                .iter()
                .map(|t| (t.policy.clone(), t.policy_type.clone()))
        })
        .collect();
    policies.sort();
    policies.dedup();
    let requests: Vec<_> = config
        .requests
        .iter()
        .filter(|r| r.provider == provider)
        .collect();
    let mut expected: Vec<String> = users.iter().map(|u| u.email.key().to_owned()).collect();
    expected.sort();
    expected.dedup();
    let mut emails = expected.clone();
    emails.extend(requests.iter().map(|r| r.user.key().to_owned()));
    // Read so that an entry naming nobody can be warned about.
    emails.extend(
        config
            .settings
            .safety
            .protected_users
            .iter()
            .map(|e| e.key().to_owned()),
    );
    emails.sort();
    emails.dedup();
    let mut window = requests
        .iter()
        .map(|r| r.start_date)
        .min()
        .zip(requests.iter().map(|r| r.end_date).max());
    // Connecteam counts no usage itself: an allowance or a remaining balance
    // needs this leave year's approved requests (one leave-year window,
    // joined with the requests' own).
    let connecteam = config
        .providers
        .get(provider)
        .is_some_and(|p| matches!(p.kind, ProviderKind::Connecteam { .. }));
    if connecteam
        && users
            .iter()
            .any(|u| u.time_off.iter().any(|t| t.amount.is_some()))
    {
        window = Some(match window {
            Some((first, last)) => (first.min(year.start), last.max(year.end)),
            None => (year.start, year.end),
        });
    }
    // Policy types named by requests: their assignments say whether the
    // person may take the request (`request-not-assigned`).
    let mut request_types: Vec<String> = requests.iter().map(|r| r.policy_type.clone()).collect();
    request_types.sort();
    request_types.dedup();
    ReadScope {
        emails,
        requests: window,
        request_types,
        expected,
        policies,
        all_policies: false,
        all_people: config.settings.unmanaged_users != UnmanagedUsersSetting::Ignore
            || config.settings.safety.max_deactivation_percent.is_some(),
    }
}
