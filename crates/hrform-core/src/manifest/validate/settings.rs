//! Checks of `policies` and `settings`: per-policy settings, safety
//! limits, the leave year.

use super::*;

impl Validator<'_> {
    pub(super) fn policies(
        &mut self,
        raw: Vec<(Sp<String>, Sp<String>, Sp<raw::PolicySettings>)>,
        providers: &Providers,
    ) -> BTreeMap<(String, String), checked::PolicySettings> {
        let mut out: BTreeMap<(String, String), checked::PolicySettings> = BTreeMap::new();
        for (provider, policy, settings) in raw {
            let Some(info) = providers.get(&provider.value) else {
                if self.incomplete.names {
                    continue;
                }
                self.push(
                    Diagnostic::error(
                        Code::UnknownProvider,
                        format!(
                            "`policies` names provider `{}`, which is not declared",
                            provider.value
                        ),
                    )
                    .at(provider.loc, "no such provider")
                    .help_opt(did_you_mean(
                        &provider.value,
                        providers.keys().map(String::as_str),
                    )),
                );
                continue;
            };
            if let (Some(Kind::Connecteam), Some(h)) = (info.kind, &settings.value.has_expiration) {
                self.push(
                    Diagnostic::error(
                        Code::WrongProviderType,
                        "`has_expiration` applies to Clockify policies only",
                    )
                    .at(h.loc, "not a Connecteam setting"),
                );
            }
            if let (Some(Kind::Clockify), Some(c)) = (info.kind, &settings.value.carry_over) {
                self.push(
                    Diagnostic::error(
                        Code::WrongProviderType,
                        "`carry_over` applies to Connecteam policies only: Clockify counts usage itself",
                    )
                    .at(c.loc, "not a Clockify setting"),
                );
            }
            let key = (provider.value, policy.value);
            if let Some(first) = out.get(&key) {
                let first = first.loc;
                self.duplicate("policy settings for", &key.1, first, policy.loc);
                continue;
            }
            out.insert(
                key,
                checked::PolicySettings {
                    has_expiration: settings.value.has_expiration.map(|h| h.value),
                    carry_over: settings.value.carry_over.is_some_and(|c| c.value),
                    loc: policy.loc,
                },
            );
        }
        out
    }

    /// The settings, and the protected users with where each was declared.
    pub(super) fn settings(
        &mut self,
        raw: Option<Sp<raw::Settings>>,
    ) -> (checked::Settings, Vec<(Email, Loc)>) {
        let Some(s) = raw else {
            return (checked::Settings::default(), Vec::new());
        };
        let s = s.value;
        let safety = s.safety.map(|s| s.value).unwrap_or_default();
        let protected: Vec<(Email, Loc)> = safety
            .protected_users
            .unwrap_or_default()
            .iter()
            .filter_map(|e| self.email(e).map(|m| (m, e.loc)))
            .collect();
        let protected_users = protected.iter().map(|(e, _)| e.clone()).collect();
        let max_deactivation_percent = safety
            .max_deactivation_percent
            .and_then(|p| self.range_f64(&p, "max_deactivation_percent", 0.0, 100.0));
        let max_balance_change = safety
            .max_balance_change
            .and_then(|b| self.range_f64(&b, "max_balance_change", 0.0, 10_000.0))
            .and_then(Amount::from_f64);
        let leave_year_start = s
            .leave_year_start
            .as_ref()
            .and_then(|d| self.month_day(d))
            .unwrap_or((1, 1));
        let timezone = s
            .timezone
            .as_ref()
            .and_then(|tz| self.timezone(tz))
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let rounding = s
            .rounding
            .as_ref()
            .and_then(|r| self.rounding(r))
            .unwrap_or_default();
        let schedule_horizon_days = match &s.schedule_horizon_days {
            Some(h) if h.value > 366 => {
                self.out_of_range(
                    h.loc,
                    "schedule_horizon_days",
                    &h.value.to_string(),
                    "0 to 366",
                );
                31
            }
            Some(h) => h.value,
            None => 31,
        };
        let settings = checked::Settings {
            unmanaged_users: s
                .unmanaged_users
                .map(|u| u.value.into())
                .unwrap_or_default(),
            safety: checked::Safety {
                max_deactivations: safety.max_deactivations.map(|m| m.value),
                max_deactivation_percent,
                max_balance_change,
                protected_users,
            },
            prune_requests: s.prune_requests.is_some_and(|p| p.value),
            recreate_requests: s.recreate_requests.is_some_and(|p| p.value),
            leave_year_start,
            timezone,
            rounding,
            schedule_horizon_days,
        };
        (settings, protected)
    }

    /// `MM-DD`, a day every year has (not February 29).
    pub(super) fn month_day(&mut self, d: &Sp<String>) -> Option<(i8, i8)> {
        let parsed = d.value.split_once('-').and_then(|(m, day)| {
            let (m, day): (i8, i8) = (m.parse().ok()?, day.parse().ok()?);
            (d.value.len() == 5 && Date::new(2025, m, day).is_ok()).then_some((m, day))
        });
        if parsed.is_none() {
            self.push(
                Diagnostic::error(
                    Code::InvalidDate,
                    format!("`{}` is not a day of the year written `MM-DD`", d.value),
                )
                .at(d.loc, "expected MM-DD")
                .help("e.g. `leave_year_start: 04-01` for a leave year from April 1 (February 29 is not allowed)"),
            );
        }
        parsed
    }
}
