//! Checks of `profiles` and `users`: time-off entries (allowance or
//! balance, unit), emails, providers, profile expansion.

use super::*;

impl Validator<'_> {
    pub(super) fn profiles(
        &mut self,
        raw: Vec<(Sp<String>, Option<Sp<raw::Profile>>)>,
    ) -> Profiles {
        let mut out = Profiles::new();
        for (name, profile) in raw {
            let entries = profile.and_then(|p| p.value.time_off).unwrap_or_default();
            self.no_duplicate_policies(&entries);
            for e in &entries {
                self.entry(e, None);
            }
            if let Some((first, _)) = out.get(&name.value) {
                let first = *first;
                self.duplicate("profile", &name.value, first, name.loc);
                continue;
            }
            out.insert(name.value, (name.loc, entries));
        }
        out
    }

    /// Checks of one time-off entry on its own; `kind` is the provider type
    /// when known.
    pub(super) fn entry(&mut self, e: &Sp<raw::TimeOffEntry>, kind: Option<Kind>) {
        let e = &e.value;
        self.not_empty(&e.policy, "policy");
        if let Some(pt) = &e.policy_type {
            self.not_empty(pt, "policy_type");
        }
        let tiers = e.allowance_by_tenure.as_deref().unwrap_or_default();
        let amounts = [
            ("allowance", e.allowance.as_ref()),
            ("balance", e.balance.as_ref()),
        ]
        .into_iter()
        .filter_map(|(what, v)| v.map(|v| (what, v)))
        .chain(
            tiers
                .iter()
                .take(1)
                .map(|t| ("allowance", &t.value.allowance)),
        );
        for (what, b) in amounts {
            self.amount(what, b);
            if !e.unit_written {
                self.push(
                    Diagnostic::error(
                        Code::BalanceWithoutUnit,
                        format!("the {what} of `{}` has no unit", e.policy.value),
                    )
                    .at(b.loc, "days or hours?")
                    .help("add `unit: days` or `unit: hours`, the policy's own unit"),
                );
            }
        }
        if let (Some(a), Some(b)) = (&e.allowance, &e.balance) {
            self.push(
                Diagnostic::error(
                    Code::AllowanceAndBalance,
                    format!(
                        "`{}` declares both an allowance and a remaining balance",
                        e.policy.value
                    ),
                )
                .at(b.loc, "remove one of them")
                .also(a.loc, "the allowance")
                .help(
                    "`allowance` is what is granted for the leave year (leave taken is the HR system's business); \
                     `balance` is the remaining balance now, for a one-off import",
                ),
            );
        }
        for t in tiers.iter().skip(1) {
            self.amount("allowance", &t.value.allowance);
        }
        self.dated_entry(e);
        if let (Some(r), None) = (&e.allow_refund, &e.balance) {
            self.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    "`allow_refund` applies to entries with a remaining `balance` only",
                )
                .at(r.loc, "no `balance` on this entry"),
            );
        }
        if let (Some(Kind::Clockify), Some(pt)) = (kind, &e.policy_type) {
            self.push(
                Diagnostic::error(
                    Code::WrongProviderType,
                    "`policy_type` applies to Connecteam policies only",
                )
                .at(pt.loc, "not a Clockify setting"),
            );
        }
    }

    /// An allowance or balance: finite, not negative, at most 6 places, at
    /// most 10000.
    fn amount(&mut self, what: &str, b: &Sp<f64>) {
        if !b.value.is_finite() {
            self.push(
                Diagnostic::error(
                    Code::InvalidBalance,
                    format!("{what} `{}` is not a finite number", number(b.value)),
                )
                .at(b.loc, "not a finite number"),
            );
        } else if b.value < 0.0 {
            self.push(
                Diagnostic::error(
                    Code::InvalidBalance,
                    format!("{what} {} is negative", number(b.value)),
                )
                .at(b.loc, "negative")
                .help(format!(
                    "{what}s are set, not adjusted: declare the amount the person should hold"
                )),
            );
        } else if Amount::exact_from_f64(b.value) != Amount::from_f64(b.value) {
            self.push(
                Diagnostic::error(
                    Code::InvalidBalance,
                    format!(
                        "{what} {} has more than {} decimal places",
                        number(b.value),
                        Amount::PLACES
                    ),
                )
                .at(b.loc, "too precise")
                .help("amounts are kept to 6 decimal places; write it with fewer"),
            );
        } else if b.value > f64::from(Amount::MAX_DECLARED) {
            self.push(
                Diagnostic::error(
                    Code::InvalidBalance,
                    format!(
                        "{what} {} is over {}",
                        number(b.value),
                        Amount::MAX_DECLARED
                    ),
                )
                .at(b.loc, "too large")
                .help("Clockify and Connecteam take balances up to 10000"),
            );
        }
    }

    pub(super) fn no_duplicate_policies(&mut self, entries: &[Sp<raw::TimeOffEntry>]) {
        let mut seen: HashMap<(&str, Option<&str>, Option<&str>), Loc> = HashMap::new();
        for e in entries {
            let from = e.value.from.as_ref().map(|f| f.value.as_str());
            let key = (
                e.value.policy.value.as_str(),
                e.value.policy_type.as_ref().map(|p| p.value.as_str()),
                from,
            );
            match (seen.get(&key), from) {
                (Some(first), Some(from)) => {
                    let first = *first;
                    self.push(
                        Diagnostic::error(
                            Code::Duplicate,
                            format!("policy `{}` has two entries from {from}", key.0),
                        )
                        .at(e.value.policy.loc, "declared again here")
                        .also(first, "first declared here")
                        .help(
                            "entries of one policy form a schedule: give each its own `from` date",
                        ),
                    );
                }
                (Some(first), None) => {
                    let first = *first;
                    self.duplicate("policy", key.0, first, e.value.policy.loc);
                }
                (None, _) => {
                    seen.insert(key, e.value.policy.loc);
                }
            }
        }
    }

    /// Resolve an entry's `provider:`, reporting unknown and missing ones.
    pub(super) fn resolve_provider(
        &mut self,
        provider: Option<&Sp<String>>,
        entry_loc: Loc,
        what: &str,
        providers: &Providers,
        reported_none: &mut bool,
    ) -> Option<String> {
        match provider {
            Some(p) if providers.contains_key(&p.value) => Some(p.value.clone()),
            // A file or section that could not be read may declare it.
            _ if self.incomplete.names => None,
            Some(p) => {
                self.push(
                    Diagnostic::error(
                        Code::UnknownProvider,
                        format!("provider `{}` is not declared", p.value),
                    )
                    .at(p.loc, "no such provider")
                    .help_opt(
                        did_you_mean(&p.value, providers.keys().map(String::as_str)).or_else(
                            || {
                                Some(format!(
                                    "declared providers: {}",
                                    if providers.is_empty() {
                                        "none".to_owned()
                                    } else {
                                        providers.keys().cloned().collect::<Vec<_>>().join(", ")
                                    }
                                ))
                            },
                        ),
                    ),
                );
                None
            }
            None if providers.len() == 1 => providers.keys().next().cloned(),
            None if providers.is_empty() => {
                if !*reported_none {
                    *reported_none = true;
                    self.push(
                        Diagnostic::error(Code::NoProvider, format!("{what} is declared but no provider is"))
                            .at(entry_loc, "which HR system is this in?")
                            .help("declare the HR system under `providers:` (type clockify or connecteam)"),
                    );
                }
                None
            }
            None => {
                self.push(
                    Diagnostic::error(
                        Code::ProviderRequired,
                        format!(
                            "{what} must name its provider: {} providers are declared",
                            providers.len()
                        ),
                    )
                    .at(entry_loc, "add `provider:`")
                    .help(format!(
                        "one of: {}",
                        providers.keys().cloned().collect::<Vec<_>>().join(", ")
                    )),
                );
                None
            }
        }
    }

    pub(super) fn email(&mut self, e: &Sp<String>) -> Option<Email> {
        if is_email(&e.value) {
            Some(Email::new(&e.value))
        } else {
            self.push(
                Diagnostic::error(
                    Code::InvalidEmail,
                    format!("`{}` is not a valid email address", e.value),
                )
                .at(e.loc, "expected name@domain.tld"),
            );
            None
        }
    }

    pub(super) fn users(
        &mut self,
        raw: Vec<Sp<raw::User>>,
        providers: &Providers,
        profiles: &Profiles,
        protected: &[(Email, Loc)],
        rostered: super::rosters::Rostered,
    ) -> Vec<checked::User> {
        let super::rosters::Rostered {
            people,
            rules,
            known_attributes,
        } = rostered;
        let mut out = Vec::with_capacity(raw.len());
        // Each entry's own policies (its profile's, then its `time_off`).
        let mut layers: Vec<Vec<checked::TimeOff>> = Vec::with_capacity(raw.len());
        let mut seen: HashMap<(String, String), Loc> = HashMap::with_capacity(raw.len());
        let mut used_profiles: HashSet<&str> = HashSet::new();
        let mut reported_none = false;
        for u in raw {
            let loc = u.loc;
            let u = u.value;
            let email = self.email(&u.email);
            let provider = self.resolve_provider(
                u.provider.as_ref(),
                loc,
                "a user",
                providers,
                &mut reported_none,
            );
            let kind = provider
                .as_ref()
                .and_then(|p| providers.get(p))
                .and_then(|p| p.kind);
            if let (Some(email), Some(provider)) = (&email, &provider) {
                let key = (provider.clone(), email.key().to_owned());
                if let Some(first) = seen.get(&key) {
                    let first = *first;
                    self.push(
                        Diagnostic::error(
                            Code::Duplicate,
                            format!(
                                "user `{}` is declared twice in provider `{provider}`",
                                email.as_written()
                            ),
                        )
                        .at(u.email.loc, "declared again here")
                        .also(first, "first declared here")
                        .help("emails match case-insensitively; merge the two entries"),
                    );
                } else {
                    seen.insert(key, u.email.loc);
                }
            }
            let own = u.time_off.clone().unwrap_or_default();
            self.no_duplicate_policies(&own);
            for e in &own {
                self.entry(e, kind);
            }
            let start_date = u.start_date.as_ref().and_then(|d| self.calendar_date(d));
            let end_date = u.end_date.as_ref().and_then(|d| self.calendar_date(d));
            self.user_dates(&u, start_date, end_date);
            // By policy: its entries (several make a schedule by `from`). A
            // user's entries for a policy replace the profile's schedule.
            let mut merged: BTreeMap<(String, Option<String>), Vec<checked::TimeOff>> =
                BTreeMap::new();
            if let Some(profile) = &u.profile {
                match profiles.get_key_value(&profile.value) {
                    Some((name, (_, entries))) => {
                        used_profiles.insert(name.as_str());
                        for e in entries {
                            self.entry_for_kind(e, kind, loc);
                            self.tenure_needs_start(e, start_date, loc);
                            let mut t = time_off(e, Some(name));
                            t.because = vec![
                                self.entry_because(loc),
                                checked::Because::Profile(name.clone()),
                            ];
                            merged
                                .entry((t.policy.clone(), t.policy_type.clone()))
                                .or_default()
                                .push(t);
                        }
                    }
                    None if self.incomplete.names => {}
                    None => self.push(
                        Diagnostic::error(
                            Code::UnknownProfile,
                            format!("profile `{}` is not declared", profile.value),
                        )
                        .at(profile.loc, "no such profile")
                        .help_opt(did_you_mean(
                            &profile.value,
                            profiles.keys().map(String::as_str),
                        )),
                    ),
                }
            }
            let mut own_merged: BTreeMap<(String, Option<String>), Vec<checked::TimeOff>> =
                BTreeMap::new();
            for e in &own {
                self.tenure_needs_start(e, start_date, loc);
                let mut t = time_off(e, None);
                t.because = vec![self.entry_because(loc)];
                own_merged
                    .entry((t.policy.clone(), t.policy_type.clone()))
                    .or_default()
                    .push(t);
            }
            merged.extend(own_merged);
            if let (Some(status), Some(email)) = (&u.status, &email)
                && status.value == raw::Status::Inactive
                && let Some(protected) = protected.iter().find(|p| p.0.key() == email.key())
            {
                self.push(
                    Diagnostic::error(
                        Code::ProtectedUserInactive,
                        format!(
                            "`{}` is a protected user but is declared inactive",
                            email.as_written()
                        ),
                    )
                    .at(status.loc, "protected users are never deactivated")
                    .also(protected.1, "protected here"),
                );
            }
            if let (Some(email), Some(provider)) = (email, provider) {
                let attributes = u
                    .attributes
                    .iter()
                    .flat_map(|a| &a.entries)
                    .map(|(k, v)| (k.value.clone(), v.value.trim().to_owned()))
                    .collect();
                // Each policy's entries in `from` order (a schedule).
                layers.push(
                    merged
                        .into_values()
                        .flat_map(|mut schedule| {
                            schedule.sort_by_key(|t| t.from);
                            schedule
                        })
                        .collect(),
                );
                out.push(checked::User {
                    email,
                    provider,
                    status: u.status.map(|s| s.value),
                    time_off: Vec::new(),
                    start_date,
                    end_date,
                    loc,
                    attributes,
                    because: vec![self.entry_because(loc)],
                });
            }
        }
        let mut rule_profiles = Vec::new();
        let rules = self.rules(rules, profiles, &known_attributes, &mut rule_profiles);
        for name in &rule_profiles {
            if let Some((name, _)) = profiles.get_key_value(name) {
                used_profiles.insert(name.as_str());
            }
        }
        // A `users:` entry for a roster person overrides the row.
        let index: HashMap<(String, String), usize> = out
            .iter()
            .enumerate()
            .map(|(i, u)| ((u.provider.clone(), u.email.key().to_owned()), i))
            .collect();
        let mut entries: Vec<Option<(checked::User, Vec<checked::TimeOff>)>> =
            out.into_iter().zip(layers).map(Some).collect();
        let mut combined = Vec::with_capacity(people.len() + entries.len());
        for p in people {
            let mut user = checked::User {
                email: p.email,
                provider: p.provider,
                status: p.status,
                time_off: Vec::new(),
                loc: p.loc,
                attributes: p.attributes,
                start_date: p.start_date,
                end_date: p.end_date,
                because: vec![p.row],
            };
            let mut own = Vec::new();
            let key = (user.provider.clone(), user.email.key().to_owned());
            if let Some((entry, layer)) = index.get(&key).and_then(|i| entries[*i].take()) {
                user.status = entry.status.or(user.status);
                user.start_date = entry.start_date.or(user.start_date);
                user.end_date = entry.end_date.or(user.end_date);
                user.attributes.extend(entry.attributes);
                user.because.extend(entry.because);
                user.loc = entry.loc;
                own = layer;
            }
            combined.push((user, own));
        }
        combined.extend(entries.into_iter().flatten());
        let mut out = Vec::with_capacity(combined.len());
        for (mut user, own) in combined {
            self.apply_rules(&mut user, own, &rules);
            out.push(user);
        }
        // With a user or profile lost to an earlier error, "unused" may be wrong.
        let users_complete = !self.incomplete.users && !self.incomplete.names;
        for (name, (loc, _)) in profiles.iter().filter(|_| users_complete) {
            if !used_profiles.contains(name.as_str()) {
                self.push(
                    Diagnostic::warning(
                        Code::UnusedProfile,
                        format!("profile `{name}` is not used by any user"),
                    )
                    .at(*loc, "unused"),
                );
            }
        }
        out.sort_by(|a, b| (&a.provider, a.email.key()).cmp(&(&b.provider, b.email.key())));
        out
    }

    /// Profile entries are checked once on their own; here only what
    /// depends on the user's provider type.
    /// Reported once per profile entry, pointing at the first such user.
    pub(super) fn entry_for_kind(
        &mut self,
        e: &Sp<raw::TimeOffEntry>,
        kind: Option<Kind>,
        user: Loc,
    ) {
        if let (Some(Kind::Clockify), Some(pt)) = (kind, &e.value.policy_type)
            && self.reported.insert((Code::WrongProviderType, pt.loc))
        {
            self.push(
                Diagnostic::error(
                    Code::WrongProviderType,
                    "`policy_type` applies to Connecteam policies only, but this profile is used by a Clockify user",
                )
                .at(pt.loc, "not a Clockify setting")
                .also(user, "a Clockify user on this profile"),
            );
        }
    }
}

pub(super) fn time_off(e: &Sp<raw::TimeOffEntry>, profile: Option<&String>) -> checked::TimeOff {
    checked::TimeOff {
        policy: e.value.policy.value.clone(),
        policy_type: e.value.policy_type.as_ref().map(|p| p.value.clone()),
        amount: match (&e.value.allowance, &e.value.balance) {
            (Some(a), _) => Amount::from_f64(a.value).map(Declared::Allowance),
            // Tenure: the first tier's until evaluated on a date.
            (None, None) if e.value.allowance_by_tenure.is_some() => e
                .value
                .allowance_by_tenure
                .iter()
                .flatten()
                .next()
                .and_then(|t| Amount::from_f64(t.value.allowance.value))
                .map(Declared::Allowance),
            (None, Some(b)) => Amount::from_f64(b.value).map(Declared::Remaining),
            (None, None) => None,
        },
        allow_refund: e.value.allow_refund.as_ref().is_some_and(|r| r.value),
        unit: e.value.unit.as_ref().map(|u| u.value),
        profile: profile.cloned(),
        // Checked (and reported) by `entry`; here only read.
        from: e
            .value
            .from
            .as_ref()
            .and_then(|f| f.value.parse::<Date>().ok()),
        prorate: e.value.prorate.as_ref().is_some_and(|p| p.value),
        rounding: e.value.rounding.as_ref().map(|r| {
            let mut out = checked::Rounding::default();
            if let Some(step) = r
                .value
                .step
                .as_ref()
                .and_then(|s| Amount::from_f64(s.value))
            {
                out.step = step;
            }
            if let Some(mode) = &r.value.mode {
                out.mode = mode.value;
            }
            out
        }),
        tenure: e
            .value
            .allowance_by_tenure
            .iter()
            .flatten()
            .filter_map(|t| {
                Some(checked::Tier {
                    years: t.value.years.value,
                    allowance: Amount::from_f64(t.value.allowance.value)?,
                })
            })
            .collect(),
        basis: None,
        loc: e.loc,
        because: Vec::new(),
    }
}

/// A pragmatic email check: one `@`, a non-empty local part, a dotted domain
/// of letters, digits and hyphens, and no spaces.
pub(super) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}
