//! Validation: merge the raw documents and check them into a [`Config`].
//!
//! Owns the meaning checks that need more than one value or more than one
//! document: names that must resolve (providers, profiles), uniqueness, email
//! and date syntax, balances, request day rules, time zones, URLs and
//! settings ranges. Every problem is collected; a `Config` is returned only
//! when there is no error.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::{Date, Time};

use super::checked::{self, Config, DaySpan, Declared, Email, ProviderKind};
use super::decode::Incomplete;
use super::raw::{self, Sp};
use crate::amount::Amount;
use crate::diag::{Code, Diagnostic, Loc, did_you_mean};

/// Default Clockify API base URL.
pub const CLOCKIFY_DEFAULT_BASE_URL: &str = "https://api.clockify.me/api";
/// Default Connecteam API base URL.
pub const CONNECTEAM_DEFAULT_BASE_URL: &str = "https://api.connecteam.com";
/// Clockify's documented API hosts: global, the regional ones (EU, USA,
/// UK, AU) and the developer sandbox (`../shared/api/clockify.md` §1, from
/// Clockify's OpenAPI document and docs.clockify.me).
pub(crate) const CLOCKIFY_HOSTS: &[&str] = &[
    "api.clockify.me",
    "euc1.clockify.me",
    "use2.clockify.me",
    "euw2.clockify.me",
    "apse2.clockify.me",
    "developer.clockify.me",
];
/// Connecteam's documented API hosts: global and AU
/// (`../shared/api/connecteam.md`, S1, S12, S13).
pub(crate) const CONNECTEAM_HOSTS: &[&str] = &["api.connecteam.com", "api-au.connecteam.com"];
/// The variable whoever runs hrform sets to allow more API hosts
/// (comma-separated `host` or `host:port`); a manifest cannot set it.
pub(crate) const ALLOWED_HOSTS_ENV: &str = "HRFORM_ALLOWED_HOSTS";
/// What an `api_key_env` must begin with: a manifest may name only
/// variables meant for hrform, never `GITHUB_TOKEN` or a cloud credential.
pub(crate) const KEY_VARIABLE_PREFIXES: &[&str] = &["HRFORM_", "CLOCKIFY_", "CONNECTEAM_"];
const CLOCKIFY_DEFAULT_RPS: f64 = 10.0;
const CLOCKIFY_MAX_RPS: f64 = 50.0;
const CONNECTEAM_DEFAULT_RPM: u32 = 100;
const CONNECTEAM_MAX_RPM: u32 = 200;

/// Merge and check `docs`, pushing every problem into `diags`.
pub(crate) fn validate(
    docs: Vec<raw::Manifest>,
    incomplete: Incomplete,
    diags: &mut Vec<Diagnostic>,
) -> Option<Config> {
    let mut v = Validator {
        diags,
        incomplete,
        reported: HashSet::new(),
    };
    let merged = v.merge(docs);
    let config = v.check(merged);
    let failed = v.diags.iter().any(Diagnostic::is_error);
    if failed { None } else { config }
}

/// A provider type, known as soon as the provider decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Clockify,
    Connecteam,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Clockify => "a Clockify provider",
            Kind::Connecteam => "a Connecteam provider",
        }
    }
}

/// What validation knows of a declared provider name.
struct ProviderInfo {
    /// `None` when the provider failed a check (already reported).
    checked: Option<checked::Provider>,
    /// `None` when the provider could not even be decoded.
    kind: Option<Kind>,
    loc: Loc,
}

type Providers = BTreeMap<String, ProviderInfo>;
type Profiles = BTreeMap<String, (Loc, Vec<Sp<raw::TimeOffEntry>>)>;

/// All documents together, before checking.
#[derive(Default)]
struct Merged {
    providers: Vec<(Sp<String>, Option<Sp<raw::Provider>>)>,
    profiles: Vec<(Sp<String>, Option<Sp<raw::Profile>>)>,
    users: Vec<Sp<raw::User>>,
    requests: Vec<Sp<raw::TimeOffRequest>>,
    policies: Vec<(Sp<String>, Sp<String>, Sp<raw::PolicySettings>)>,
    settings: Option<Sp<raw::Settings>>,
}

struct Validator<'a> {
    diags: &'a mut Vec<Diagnostic>,
    incomplete: Incomplete,
    /// Locations already reported for a diagnostic that could otherwise
    /// repeat once per user (a profile entry used by many).
    reported: HashSet<(Code, Loc)>,
}

impl Validator<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn duplicate(&mut self, what: &str, name: &str, first: Loc, again: Loc) {
        self.push(
            Diagnostic::error(
                Code::Duplicate,
                format!("{what} `{name}` is declared twice"),
            )
            .at(again, "declared again here")
            .also(first, "first declared here"),
        );
    }

    fn merge(&mut self, docs: Vec<raw::Manifest>) -> Merged {
        let mut m = Merged::default();
        for doc in docs {
            let providers = doc.providers.unwrap_or_default();
            m.providers
                .extend(providers.entries.into_iter().map(|(k, v)| (k, Some(v))));
            m.providers
                .extend(providers.failed.into_iter().map(|k| (k, None)));
            let profiles = doc.profiles.unwrap_or_default();
            m.profiles
                .extend(profiles.entries.into_iter().map(|(k, v)| (k, Some(v))));
            m.profiles
                .extend(profiles.failed.into_iter().map(|k| (k, None)));
            m.users.extend(doc.users.unwrap_or_default());
            m.requests.extend(doc.time_off_requests.unwrap_or_default());
            for (provider, policies) in doc.policies.unwrap_or_default().entries {
                for (policy, settings) in policies.entries {
                    m.policies.push((provider.clone(), policy, settings));
                }
            }
            if let Some(settings) = doc.settings {
                if let Some(first) = &m.settings {
                    let first = first.loc;
                    self.push(
                        Diagnostic::error(Code::Duplicate, "`settings` is declared in two places")
                            .at(settings.loc, "declared again here")
                            .also(first, "first declared here")
                            .help("keep one `settings` block for the whole configuration"),
                    );
                    // Still check the second block, so its own mistakes show.
                    self.settings(Some(settings));
                } else {
                    m.settings = Some(settings);
                }
            }
        }
        m
    }

    fn check(&mut self, m: Merged) -> Option<Config> {
        let providers = self.providers(m.providers);
        let profiles = self.profiles(m.profiles);
        let (settings, protected) = self.settings(m.settings);
        let users = self.users(m.users, &providers, &profiles, &protected);
        let requests = self.requests(m.requests, &providers);
        let policies = self.policies(m.policies, &providers);
        Some(Config {
            providers: providers
                .into_iter()
                .map(|(k, info)| info.checked.map(|p| (k, p)))
                .collect::<Option<_>>()?,
            users,
            requests,
            policies,
            settings,
        })
    }

    /// Providers by name. A provider that failed a check still resolves by
    /// name, so its users are not reported as unknown too.
    fn providers(&mut self, raw: Vec<(Sp<String>, Option<Sp<raw::Provider>>)>) -> Providers {
        let mut out = Providers::new();
        for (name, provider) in raw {
            let kind = provider.as_ref().map(|p| match p.value {
                raw::Provider::Clockify(_) => Kind::Clockify,
                raw::Provider::Connecteam(_) => Kind::Connecteam,
            });
            let checked = provider.and_then(|p| self.provider(&name, p));
            if let Some(first) = out.get(&name.value) {
                let first = first.loc;
                self.duplicate("provider", &name.value, first, name.loc);
                continue;
            }
            out.insert(
                name.value,
                ProviderInfo {
                    checked,
                    kind,
                    loc: name.loc,
                },
            );
        }
        out
    }

    fn provider(&mut self, name: &Sp<String>, p: Sp<raw::Provider>) -> Option<checked::Provider> {
        let (kind, base_url, api_key_env, default_url, default_env, hosts) = match p.value {
            raw::Provider::Clockify(c) => {
                let workspace_ok = c.workspace_id.value.len() == 24
                    && c.workspace_id
                        .value
                        .chars()
                        .all(|ch| ch.is_ascii_hexdigit());
                if !workspace_ok {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            format!("`{}` is not a Clockify workspace id", c.workspace_id.value),
                        )
                        .at(c.workspace_id.loc, "expected 24 hexadecimal characters")
                        .help("copy the id from the workspace settings URL, e.g. 64a687e29ae1f428e7ebe303"),
                    );
                }
                let rps = c
                    .requests_per_second
                    .map_or(Some(CLOCKIFY_DEFAULT_RPS), |r| {
                        self.range_f64(
                            &r,
                            "requests_per_second",
                            f64::MIN_POSITIVE,
                            CLOCKIFY_MAX_RPS,
                        )
                    });
                let kind = ProviderKind::Clockify {
                    workspace_id: c.workspace_id.value,
                    requests_per_second: rps.unwrap_or(CLOCKIFY_DEFAULT_RPS),
                    balance_update: c
                        .balance_update
                        .map_or(raw::BalanceUpdate::Auto, |b| b.value),
                };
                (
                    workspace_ok.then_some(kind),
                    c.base_url,
                    c.api_key_env,
                    CLOCKIFY_DEFAULT_BASE_URL,
                    "CLOCKIFY_API_KEY",
                    CLOCKIFY_HOSTS,
                )
            }
            raw::Provider::Connecteam(c) => {
                let rpm = match c.requests_per_minute {
                    None => Some(CONNECTEAM_DEFAULT_RPM),
                    Some(r) if (1..=CONNECTEAM_MAX_RPM).contains(&r.value) => Some(r.value),
                    Some(r) => {
                        self.out_of_range(
                            r.loc,
                            "requests_per_minute",
                            &r.value.to_string(),
                            "from 1 to 200",
                        );
                        None
                    }
                };
                (
                    rpm.map(|requests_per_minute| ProviderKind::Connecteam {
                        requests_per_minute,
                    }),
                    c.base_url,
                    c.api_key_env,
                    CONNECTEAM_DEFAULT_BASE_URL,
                    "CONNECTEAM_API_KEY",
                    CONNECTEAM_HOSTS,
                )
            }
        };
        let base_url = match base_url {
            Some(u) => self.base_url(&u, hosts),
            None => url::Url::parse(default_url).ok(),
        };
        let api_key_env = match api_key_env {
            Some(env) => self.api_key_env(env),
            None => Some(default_env.to_owned()),
        };
        Some(checked::Provider {
            name: name.value.clone(),
            kind: kind?,
            base_url: base_url?,
            api_key_env: api_key_env?,
            loc: p.loc,
        })
    }

    fn base_url(&mut self, u: &Sp<String>, vendor_hosts: &[&str]) -> Option<url::Url> {
        let url = match url::Url::parse(&u.value) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => url,
            Ok(_) => {
                self.push(
                    Diagnostic::error(
                        Code::InvalidUrl,
                        format!("`{}` is not an http(s) URL", u.value),
                    )
                    .at(u.loc, "expected https://host/path"),
                );
                return None;
            }
            Err(e) => {
                self.push(
                    Diagnostic::error(
                        Code::InvalidUrl,
                        format!("`{}` is not a valid URL: {e}", u.value),
                    )
                    .at(u.loc, "not a URL")
                    .help("write the full URL, e.g. https://api.clockify.me/api"),
                );
                return None;
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            self.push(
                Diagnostic::error(Code::SecretInManifest, "`base_url` carries credentials")
                    .at(u.loc, "credentials in the URL")
                    .secret(u.loc)
                    .help("remove them; hrform sends the API key named by `api_key_env`"),
            );
            return None;
        }
        if url.scheme() == "http" && !is_loopback(&url) {
            self.push(
                Diagnostic::error(
                    Code::InsecureBaseUrl,
                    format!(
                        "plain http to `{}` would send the API key in clear text",
                        url.host_str().unwrap_or_default()
                    ),
                )
                .at(u.loc, "not https")
                .help(
                    "use https; plain http is allowed only to loopback (127.0.0.1, ::1, localhost)",
                ),
            );
            return None;
        }
        let allowed = std::env::var(ALLOWED_HOSTS_ENV).unwrap_or_default();
        if !host_allowed(&url, vendor_hosts, &allowed) {
            let host = url.host_str().unwrap_or_default();
            self.push(
                Diagnostic::error(
                    Code::HostNotAllowed,
                    format!(
                        "`{host}` is not an API host of this provider's vendor: the API key would be sent there"
                    ),
                )
                .at(u.loc, "not an allowed host")
                .help(format!(
                    "use one of {}, or a loopback address (the sandbox); whoever runs hrform can allow \
                     another host in the environment variable {ALLOWED_HOSTS_ENV}",
                    vendor_hosts.join(", ")
                )),
            );
            return None;
        }
        Some(url)
    }

    fn api_key_env(&mut self, env: Sp<String>) -> Option<String> {
        let valid = !env.value.is_empty()
            && !env.value.starts_with(|c: char| c.is_ascii_digit())
            && env
                .value
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if valid {
            if KEY_VARIABLE_PREFIXES
                .iter()
                .any(|p| env.value.len() > p.len() && env.value.starts_with(p))
            {
                return Some(env.value);
            }
            self.push(
                Diagnostic::error(
                    Code::KeyVariableNotAllowed,
                    // Not echoed: a key pasted here can look like a name.
                    format!(
                        "`api_key_env` may only name a variable beginning {}: another could hold any credential of the environment",
                        KEY_VARIABLE_PREFIXES.join(", "),
                    ),
                )
                .at(env.loc, "not an hrform key variable")
                .secret(env.loc)
                .help("e.g. `api_key_env: CLOCKIFY_API_KEY` or `HRFORM_CLOCKIFY_EU_KEY`, exported by whoever runs hrform"),
            );
            return None;
        }
        // The value may be the key itself: never echo it.
        self.push(
            Diagnostic::error(
                Code::SecretInManifest,
                "`api_key_env` must be the UPPER_CASE name of an environment variable, not the key itself",
            )
            .at(env.loc, "not a variable name")
            .secret(env.loc)
            .help("e.g. `api_key_env: CLOCKIFY_API_KEY`, then export CLOCKIFY_API_KEY in the environment"),
        );
        None
    }

    fn out_of_range(&mut self, loc: Loc, what: &str, value: &str, range: &str) {
        self.push(
            Diagnostic::error(
                Code::OutOfRange,
                format!("`{what}` must be {range}, not {value}"),
            )
            .at(loc, format!("expected {range}")),
        );
    }

    fn range_f64(&mut self, v: &Sp<f64>, what: &str, min: f64, max: f64) -> Option<f64> {
        if v.value.is_finite() && v.value >= min && v.value <= max {
            return Some(v.value);
        }
        let range = if min > 0.0 && min < 1e-300 {
            format!("more than 0 and at most {max}")
        } else if max.is_infinite() {
            format!("at least {min}")
        } else {
            format!("from {min} to {max}")
        };
        self.out_of_range(v.loc, what, &number(v.value), &range);
        None
    }

    fn profiles(&mut self, raw: Vec<(Sp<String>, Option<Sp<raw::Profile>>)>) -> Profiles {
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
    fn entry(&mut self, e: &Sp<raw::TimeOffEntry>, kind: Option<Kind>) {
        let e = &e.value;
        self.not_empty(&e.policy, "policy");
        if let Some(pt) = &e.policy_type {
            self.not_empty(pt, "policy_type");
        }
        for (what, v) in [("allowance", &e.allowance), ("balance", &e.balance)] {
            let Some(b) = v else { continue };
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
            } else if b.value > 10_000.0 {
                self.push(
                    Diagnostic::error(
                        Code::InvalidBalance,
                        format!("{what} {} is over 10000", number(b.value)),
                    )
                    .at(b.loc, "too large")
                    .help("Clockify and Connecteam take balances up to 10000"),
                );
            }
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

    /// A name that must not be empty or blank.
    fn not_empty(&mut self, v: &Sp<String>, what: &str) -> bool {
        if v.value.trim().is_empty() {
            self.push(
                Diagnostic::error(Code::InvalidValue, format!("`{what}` must not be empty"))
                    .at(v.loc, "empty"),
            );
            return false;
        }
        true
    }

    fn no_duplicate_policies(&mut self, entries: &[Sp<raw::TimeOffEntry>]) {
        let mut seen: HashMap<(&str, Option<&str>), Loc> = HashMap::new();
        for e in entries {
            let key = (
                e.value.policy.value.as_str(),
                e.value.policy_type.as_ref().map(|p| p.value.as_str()),
            );
            if let Some(first) = seen.get(&key) {
                let first = *first;
                self.duplicate("policy", key.0, first, e.value.policy.loc);
            } else {
                seen.insert(key, e.value.policy.loc);
            }
        }
    }

    /// Resolve an entry's `provider:`, reporting unknown and missing ones.
    fn resolve_provider(
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

    fn email(&mut self, e: &Sp<String>) -> Option<Email> {
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

    fn users(
        &mut self,
        raw: Vec<Sp<raw::User>>,
        providers: &Providers,
        profiles: &Profiles,
        protected: &[(Email, Loc)],
    ) -> Vec<checked::User> {
        let mut out = Vec::with_capacity(raw.len());
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
            let own = u.time_off.unwrap_or_default();
            self.no_duplicate_policies(&own);
            for e in &own {
                self.entry(e, kind);
            }
            let mut merged: BTreeMap<(String, Option<String>), checked::TimeOff> = BTreeMap::new();
            if let Some(profile) = &u.profile {
                match profiles.get_key_value(&profile.value) {
                    Some((name, (_, entries))) => {
                        used_profiles.insert(name.as_str());
                        for e in entries {
                            self.entry_for_kind(e, kind, loc);
                            let t = time_off(e, Some(name));
                            merged.insert((t.policy.clone(), t.policy_type.clone()), t);
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
            for e in &own {
                let t = time_off(e, None);
                merged.insert((t.policy.clone(), t.policy_type.clone()), t);
            }
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
                out.push(checked::User {
                    email,
                    provider,
                    status: u.status.map(|s| s.value),
                    time_off: merged.into_values().collect(),
                    loc,
                });
            }
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
    fn entry_for_kind(&mut self, e: &Sp<raw::TimeOffEntry>, kind: Option<Kind>, user: Loc) {
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

    /// A request key goes into the manager note's marker, the plan, its
    /// Markdown and the journal: only letters, digits and `-_.:/`.
    fn request_key(&mut self, key: &Sp<String>) {
        if key.value.chars().all(is_request_key_char) {
            return;
        }
        let bad = key
            .value
            .chars()
            .find(|c| !is_request_key_char(*c))
            .unwrap_or_default();
        self.push(
            Diagnostic::error(
                Code::InvalidRequestKey,
                format!(
                    "request key `{}` holds {bad:?}: a key may hold only letters, digits and `-_.:/`",
                    crate::escape::text(&key.value),
                ),
            )
            .at(key.loc, "not a valid request key")
            .help("use the source system's id as it is, e.g. BHR-2024-0042"),
        );
    }

    fn requests(
        &mut self,
        raw: Vec<Sp<raw::TimeOffRequest>>,
        providers: &Providers,
    ) -> Vec<checked::Request> {
        let mut out = Vec::with_capacity(raw.len());
        let mut seen: HashMap<String, Loc> = HashMap::new();
        let mut reported_none = false;
        for r in raw {
            let loc = r.loc;
            let r = r.value;
            self.not_empty(&r.key, "key");
            self.request_key(&r.key);
            self.not_empty(&r.policy_type, "policy_type");
            if let Some(first) = seen.get(&r.key.value) {
                let first = *first;
                self.duplicate("request key", &r.key.value, first, r.key.loc);
            } else {
                seen.insert(r.key.value.clone(), r.key.loc);
            }
            let provider = self.resolve_provider(
                r.provider.as_ref(),
                loc,
                "a time-off request",
                providers,
                &mut reported_none,
            );
            if let Some(name) = &provider
                && let Some(kind) = providers.get(name).and_then(|p| p.kind)
                && kind != Kind::Connecteam
            {
                self.push(
                    Diagnostic::error(
                        Code::WrongProviderType,
                        format!(
                            "time-off requests are supported on Connecteam providers only; `{name}` is {}",
                            kind.label()
                        ),
                    )
                    .at(r.provider.as_ref().map_or(loc, |p| p.loc), "not a Connecteam provider"),
                );
            }
            let user = self.email(&r.user);
            let start = self.date(&r.start_date);
            let end = self.date(&r.end_date);
            if let (Some(s), Some(e)) = (start, end)
                && e < s
            {
                self.push(
                    Diagnostic::error(
                        Code::EndBeforeStart,
                        format!("the request ends ({e}) before it starts ({s})"),
                    )
                    .at(r.end_date.loc, "before start_date")
                    .also(r.start_date.loc, "starts here"),
                );
            }
            let span = self.day_span(&r, loc, start, end);
            let timezone = self.timezone(&r.timezone);
            if let (Some(date), Some(DaySpan::Partial { start, end }), Some(tz)) =
                (start, span, &timezone)
            {
                self.clock_changes(&r, date, start, end, tz);
            }
            if let (
                Some(provider),
                Some(user),
                Some(start_date),
                Some(end_date),
                Some(span),
                Some(zone),
            ) = (provider, user, start, end, span, timezone)
            {
                out.push(checked::Request {
                    key: r.key.value,
                    provider,
                    user,
                    policy_type: r.policy_type.value,
                    start_date,
                    end_date,
                    span,
                    // The database's spelling (the lookup ignores case):
                    // what is sent, and compared with what the API returns.
                    timezone: zone.iana_name().map_or(r.timezone.value, str::to_owned),
                    status: r.status.map_or(raw::RequestStatus::Approved, |s| s.value),
                    employee_note: r.employee_note.map(|n| n.value),
                    manager_note: r.manager_note.map(|n| n.value),
                    adjust_for_dst: r.adjust_for_dst.is_some_and(|a| a.value),
                    time_clock_id: r.time_clock_id.map(|t| t.value),
                    loc,
                });
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    fn date(&mut self, d: &Sp<String>) -> Option<Date> {
        let strict =
            d.value.len() == 10 && d.value.as_bytes()[4] == b'-' && d.value.as_bytes()[7] == b'-';
        if let (true, Ok(date)) = (strict, d.value.parse::<Date>()) {
            let today = checked::today(&jiff::tz::TimeZone::UTC);
            if plausible(date, today) {
                return Some(date);
            }
            self.push(
                Diagnostic::error(
                    Code::ImplausibleDate,
                    format!(
                        "`{}` is more than {DATE_BOUND_YEARS} years from today: surely a typo",
                        d.value
                    ),
                )
                .at(d.loc, "too far from today")
                .help(match plausible_year_fix(date, today) {
                    Some(fix) => format!("did you mean `{fix}`?"),
                    None => format!(
                        "requests must lie within {DATE_BOUND_YEARS} years of today, either way"
                    ),
                }),
            );
            return None;
        }
        let digits = |r: std::ops::Range<usize>| d.value.get(r).and_then(|p| p.parse::<i16>().ok());
        let shaped = strict
            && d.value
                .bytes()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        let diag = match (shaped, digits(0..4), digits(5..7), digits(8..10)) {
            (true, Some(_), Some(m), _) if !(1..=12).contains(&m) => Diagnostic::error(
                Code::InvalidDate,
                format!("`{}` is not a real date: there is no month {m}", d.value),
            )
            .at(d.loc, "no such month"),
            (true, Some(y), Some(m), Some(day)) => {
                let days = Date::new(y, m as i8, 1)
                    .map(|first| first.days_in_month())
                    .unwrap_or(31);
                Diagnostic::error(
                    Code::InvalidDate,
                    format!(
                        "`{}` is not a real date: {} {y} has {days} days, not {day}",
                        d.value,
                        month_name(m)
                    ),
                )
                .at(d.loc, "no such day")
            }
            _ => Diagnostic::error(
                Code::InvalidDate,
                format!("`{}` is not a date in YYYY-MM-DD form", d.value),
            )
            .at(d.loc, "expected YYYY-MM-DD")
            .help("dates are written YYYY-MM-DD, e.g. 2024-03-15"),
        };
        self.push(diag);
        None
    }

    fn time(&mut self, t: &Sp<String>) -> Option<Time> {
        let ok_shape = matches!(t.value.len(), 5 | 8)
            && t.value.bytes().enumerate().all(|(i, b)| {
                if i % 3 == 2 {
                    b == b':'
                } else {
                    b.is_ascii_digit()
                }
            });
        match t.value.parse::<Time>() {
            Ok(time) if ok_shape => Some(time),
            _ => {
                self.push(
                    Diagnostic::error(
                        Code::InvalidTime,
                        format!("`{}` is not a time of day", t.value),
                    )
                    .at(t.loc, "expected HH:MM or HH:MM:SS")
                    .help("times are written on a 24-hour clock, e.g. 09:00 or 13:30:00"),
                );
                None
            }
        }
    }

    fn day_span(
        &mut self,
        r: &raw::TimeOffRequest,
        loc: Loc,
        start: Option<Date>,
        end: Option<Date>,
    ) -> Option<DaySpan> {
        let all_day = r.all_day.as_ref().is_none_or(|a| a.value);
        let start_time = r.start_time.as_ref().map(|t| (t, self.time(t)));
        let end_time = r.end_time.as_ref().map(|t| (t, self.time(t)));
        if all_day {
            let mut times = [&start_time, &end_time]
                .into_iter()
                .flatten()
                .map(|(t, _)| t.loc);
            if let Some(first) = times.next() {
                let mut d =
                    Diagnostic::error(Code::TimesOnAllDay, "an all-day request cannot have times")
                        .at(first, "a time on an all-day request")
                        .help("remove the times, or set `all_day: false` for a partial day");
                for more in times {
                    d = d.also(more, "and here");
                }
                self.push(d);
                return None;
            }
            return Some(DaySpan::AllDay);
        }
        let all_day_loc = r.all_day.as_ref().map_or(loc, |a| a.loc);
        if let (Some(s), Some(e)) = (start, end)
            && s != e
        {
            self.push(
                Diagnostic::error(
                    Code::PartialDaySpansDates,
                    format!("a partial-day request must start and end on one date, not {s} to {e}"),
                )
                .at(r.end_date.loc, "a different date")
                .also(all_day_loc, "partial day")
                .help("split it into whole days (all_day: true) and a partial day"),
            );
        }
        let (Some((st, st_val)), Some((et, et_val))) = (start_time, end_time) else {
            self.push(
                Diagnostic::error(
                    Code::MissingTimes,
                    "a partial-day request needs `start_time` and `end_time`",
                )
                .at(all_day_loc, "partial day without times"),
            );
            return None;
        };
        let (start_t, end_t) = (st_val?, et_val?);
        if end_t <= start_t {
            self.push(
                Diagnostic::error(
                    Code::EndTimeNotAfterStart,
                    format!(
                        "the request ends at {} but starts at {}",
                        et.value, st.value
                    ),
                )
                .at(et.loc, "not after start_time")
                .also(st.loc, "starts here"),
            );
            return None;
        }
        Some(DaySpan::Partial {
            start: start_t,
            end: end_t,
        })
    }

    /// A partial day on a date the clocks change in the request's time zone.
    /// A time that does not exist there (skipped when the clocks go forward)
    /// is an error. A change inside the request, or a time that happens twice,
    /// is a warning unless `adjust_for_dst` is declared: Connecteam's
    /// `isAdjustForDayLightSaving` decides how such a request counts, and the
    /// hours on the clock are not the hours elapsed.
    fn clock_changes(
        &mut self,
        r: &raw::TimeOffRequest,
        date: Date,
        start: Time,
        end: Time,
        tz: &jiff::tz::TimeZone,
    ) {
        let tz_name = &r.timezone.value;
        let (Some(start_sp), Some(end_sp)) = (&r.start_time, &r.end_time) else {
            return;
        };
        match clock_finding(tz, date, start, end) {
            None => {}
            Some(ClockFinding::Skipped {
                start_skipped,
                end_skipped,
                change,
            }) => {
                let sps = [(start_skipped, start_sp), (end_skipped, end_sp)];
                for (_, sp) in sps.into_iter().filter(|(skipped, _)| *skipped) {
                    self.push(
                        Diagnostic::error(
                            Code::NonexistentLocalTime,
                            format!(
                                "`{}` does not exist on {date} in {tz_name}: the clocks go forward from {} to {}",
                                sp.value,
                                hm(change.from),
                                hm(change.to)
                            ),
                        )
                        .at(sp.loc, "no such time on this date")
                        .help(format!(
                            "write the time the clocks show, e.g. {} for the moment after the change",
                            hm(change.to)
                        )),
                    );
                }
            }
            Some(ClockFinding::Changes { .. }) if r.adjust_for_dst.is_some() => {}
            Some(ClockFinding::Changes {
                change,
                shortest,
                longest,
                twice,
            }) => {
                let detail = if twice.is_empty() {
                    format!(
                        "{}–{} is {} elapsed, not {}",
                        hm(start),
                        hm(end),
                        duration(longest),
                        duration(end.duration_since(start))
                    )
                } else {
                    let twice: Vec<String> = twice.into_iter().map(hm).collect();
                    format!(
                        "{} happens twice, so the request lasts {} or {}",
                        twice.join(" and "),
                        duration(shortest),
                        duration(longest)
                    )
                };
                self.push(
                    Diagnostic::warning(
                        Code::ClockChange,
                        format!(
                            "the clocks in {tz_name} go {} from {} to {} during this request on {date}: {detail}",
                            if change.forward { "forward" } else { "back" },
                            hm(change.from),
                            hm(change.to),
                        ),
                    )
                    .at(start_sp.loc, "the clocks change during this request")
                    .also(end_sp.loc, "ends here")
                    .help("declare `adjust_for_dst: true` or `false`: Connecteam's `isAdjustForDayLightSaving` decides how it counts the hours across the change"),
                );
            }
        }
    }

    /// The time zone named, from the bundled database.
    fn timezone(&mut self, tz: &Sp<String>) -> Option<jiff::tz::TimeZone> {
        let db = tz_db();
        if let Ok(zone) = db.get(&tz.value) {
            return Some(zone);
        }
        let names: Vec<String> = db.available().map(|n| n.as_str().to_owned()).collect();
        self.push(
            Diagnostic::error(
                Code::UnknownTimezone,
                format!("`{}` is not an IANA time zone", tz.value),
            )
            .at(tz.loc, "unknown time zone")
            .help(
                did_you_mean(&tz.value, names.iter().map(String::as_str)).unwrap_or_else(|| {
                    "use a name such as America/New_York or Europe/Berlin".to_owned()
                }),
            ),
        );
        None
    }

    fn policies(
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
    fn settings(
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
        };
        (settings, protected)
    }

    /// `MM-DD`, a day every year has (not February 29).
    fn month_day(&mut self, d: &Sp<String>) -> Option<(i8, i8)> {
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

/// A number as YAML writes it (`.nan`, `.inf`), for messages.
fn number(v: f64) -> String {
    if v.is_nan() {
        ".nan".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { ".inf" } else { "-.inf" }.to_owned()
    } else {
        v.to_string()
    }
}

/// The bundled time-zone database, opened once.
fn tz_db() -> &'static jiff::tz::TimeZoneDatabase {
    static DB: std::sync::OnceLock<jiff::tz::TimeZoneDatabase> = std::sync::OnceLock::new();
    DB.get_or_init(jiff::tz::TimeZoneDatabase::bundled)
}

/// A change of a time zone's offset, as the clocks show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ClockChange {
    forward: bool,
    from: Time,
    to: Time,
}

/// What the clocks do during a partial day.
#[derive(Debug, PartialEq)]
enum ClockFinding {
    /// The start or end time (or both) does not exist on the date: the
    /// clocks skip it going forward. Ending the moment they jump is not this.
    Skipped {
        start_skipped: bool,
        end_skipped: bool,
        change: ClockChange,
    },
    /// The clocks change after the start and before the end. The request
    /// lasts `longest`, or `shortest` when a time in `twice` happens twice.
    Changes {
        change: ClockChange,
        shortest: jiff::SignedDuration,
        longest: jiff::SignedDuration,
        twice: Vec<Time>,
    },
}

/// How the clocks of `tz` change between `start` and `end` on `date`, if
/// they do.
fn clock_finding(
    tz: &jiff::tz::TimeZone,
    date: Date,
    start: Time,
    end: Time,
) -> Option<ClockFinding> {
    use jiff::tz::AmbiguousOffset;
    let change_at = |t: jiff::Timestamp| {
        let before = tz.to_offset(t - jiff::SignedDuration::from_nanos(1));
        let after = tz.to_offset(t);
        ClockChange {
            forward: after > before,
            from: before.to_datetime(t).time(),
            to: after.to_datetime(t).time(),
        }
    };
    let mut skipped = [false, false];
    let mut end_at_jump = None;
    let mut gap_change = None;
    let mut twice = Vec::new();
    for (i, time) in [start, end].into_iter().enumerate() {
        let local = date.to_datetime(time);
        match tz.to_ambiguous_timestamp(local).offset() {
            AmbiguousOffset::Unambiguous { .. } => {}
            AmbiguousOffset::Fold { .. } => twice.push(time),
            AmbiguousOffset::Gap { before, after } => {
                // Read with the later offset, a skipped time falls before
                // the jump: the next transition is the jump.
                let change = after
                    .to_timestamp(local)
                    .ok()
                    .and_then(|t| tz.following(t).next())
                    .map(|t| change_at(t.timestamp()))?;
                if i == 1 && change.from == time {
                    // Read with the earlier offset, the jump's first moment is the jump.
                    end_at_jump = before.to_timestamp(local).ok();
                    continue;
                }
                skipped[i] = true;
                gap_change = Some(change);
            }
        }
    }
    if let Some(change) = gap_change {
        return Some(ClockFinding::Skipped {
            start_skipped: skipped[0],
            end_skipped: skipped[1],
            change,
        });
    }
    let starts = tz.to_ambiguous_timestamp(date.to_datetime(start));
    let ends = tz.to_ambiguous_timestamp(date.to_datetime(end));
    let (first, late_start) = (starts.earlier().ok()?, starts.later().ok()?);
    // A change at the end's very instant counts when the end is written on
    // the far side of it (03:00 after a jump from 02:00), not when it is
    // written as the moment of the jump (02:00).
    let (last, early_end, change_at_end) = match end_at_jump {
        Some(jump) => (jump, jump, false),
        None => (ends.later().ok()?, ends.earlier().ok()?, true),
    };
    let change = tz
        .following(first)
        .take_while(|t| t.timestamp() < last || (change_at_end && t.timestamp() == last))
        .map(|t| change_at(t.timestamp()))
        .find(|c| c.from != c.to)?;
    Some(ClockFinding::Changes {
        change,
        shortest: early_end.duration_since(late_start),
        longest: last.duration_since(first),
        twice,
    })
}

/// `HH:MM`, or `HH:MM:SS` when there are seconds.
fn hm(t: Time) -> String {
    if t.second() == 0 {
        format!("{:02}:{:02}", t.hour(), t.minute())
    } else {
        format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
    }
}

/// `1 h 30 min`, `2 h`, `45 min`.
fn duration(d: jiff::SignedDuration) -> String {
    let minutes = d.as_secs() / 60;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn month_name(m: i16) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    NAMES[(m.clamp(1, 12) - 1) as usize]
}

fn time_off(e: &Sp<raw::TimeOffEntry>, profile: Option<&String>) -> checked::TimeOff {
    checked::TimeOff {
        policy: e.value.policy.value.clone(),
        policy_type: e.value.policy_type.as_ref().map(|p| p.value.clone()),
        amount: match (&e.value.allowance, &e.value.balance) {
            (Some(a), _) => Amount::from_f64(a.value).map(Declared::Allowance),
            (None, Some(b)) => Amount::from_f64(b.value).map(Declared::Remaining),
            (None, None) => None,
        },
        allow_refund: e.value.allow_refund.as_ref().is_some_and(|r| r.value),
        unit: e.value.unit.as_ref().map(|u| u.value),
        profile: profile.cloned(),
        loc: e.loc,
    }
}

/// A pragmatic email check: one `@`, a non-empty local part, a dotted domain
/// of letters, digits and hyphens, and no spaces.
fn is_email(s: &str) -> bool {
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

/// Whether hrform may send a key to `url`'s host: a loopback address, one
/// of the vendor's documented hosts, or one named in `allowed` (the
/// comma-separated `HRFORM_ALLOWED_HOSTS`: `host` allows any port,
/// `host:port` only that one). Names compare case-insensitively, exactly:
/// no suffix or wildcard matching.
fn host_allowed(url: &url::Url, vendor_hosts: &[&str], allowed: &str) -> bool {
    if is_loopback(url) {
        return true;
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    if vendor_hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return true;
    }
    let port = url.port_or_known_default();
    allowed
        .split(',')
        .map(str::trim)
        .any(|entry| match entry.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && !h.ends_with(':') && p.parse::<u16>().is_ok() => {
                h.eq_ignore_ascii_case(host) && p.parse::<u16>().ok() == port
            }
            _ => !entry.is_empty() && entry.eq_ignore_ascii_case(host),
        })
}

/// What a request key may hold: ASCII letters and digits, `-_.:/`.
fn is_request_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.:/".contains(c)
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// How far from today a request date may lie, either way: further is a typo
/// (`0206-08-10` for `2026-08-10`), and reading the requests of such a
/// window would take thousands of calls.
const DATE_BOUND_YEARS: i16 = 10;

/// Whether `date` lies within [`DATE_BOUND_YEARS`] of `today`.
fn plausible(date: Date, today: Date) -> bool {
    let span = jiff::Span::new().years(DATE_BOUND_YEARS);
    match (today.checked_sub(span), today.checked_add(span)) {
        (Ok(lo), Ok(hi)) => lo <= date && date <= hi,
        _ => false,
    }
}

/// The plausible date whose year is nearest the written one in edits (at
/// most two digits changed or swapped: `0206` → `2026`), then nearest today.
fn plausible_year_fix(date: Date, today: Date) -> Option<Date> {
    let written = format!("{:04}", date.year());
    let bound = DATE_BOUND_YEARS;
    ((today.year() - bound)..=(today.year() + bound))
        .filter_map(|y| Date::new(y, date.month(), date.day()).ok())
        .filter(|d| plausible(*d, today))
        .map(|d| {
            let edits = strsim::damerau_levenshtein(&written, &format!("{:04}", d.year()));
            (edits, (d.year() - today.year()).abs(), d)
        })
        .filter(|(edits, _, _)| *edits <= 2)
        .min_by_key(|(edits, near, _)| (*edits, *near))
        .map(|(_, _, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Item 11: the suggestion for a far date reorders or changes one digit
    /// of its year, closest to today.
    #[test]
    fn far_dates_get_the_nearest_plausible_year() {
        let today = jiff::civil::date(2026, 12, 1);
        let fix = |y, m, d| plausible_year_fix(jiff::civil::date(y, m, d), today);
        assert!(!plausible(jiff::civil::date(206, 8, 10), today));
        assert_eq!(fix(206, 8, 10), Some(jiff::civil::date(2026, 8, 10)));
        assert_eq!(fix(2062, 1, 5), Some(jiff::civil::date(2026, 1, 5)));
        assert_eq!(fix(3026, 1, 5), Some(jiff::civil::date(2026, 1, 5)));
        assert!(plausible(jiff::civil::date(2030, 1, 1), today));
    }

    #[test]
    fn emails() {
        for ok in [
            "ada@example.com",
            "Ada.Lovelace+hr@sub.example.co.uk",
            "zoë@exämple.de",
        ] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@@example.com",
            "ada@ex..com",
            ".ada@example.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    /// Every instant of the three days around `date`, minute by minute,
    /// grouped by the local time the clocks of `tz` show: the oracle for
    /// [`clock_finding`], built from plain offset lookups.
    fn clock_faces(
        tz: &jiff::tz::TimeZone,
        date: Date,
    ) -> BTreeMap<jiff::civil::DateTime, Vec<jiff::Timestamp>> {
        let mut faces: BTreeMap<_, Vec<_>> = BTreeMap::new();
        let from = date
            .yesterday()
            .unwrap()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp();
        for minute in 0..3 * 24 * 60 {
            let t = from + jiff::SignedDuration::from_mins(minute);
            faces
                .entry(tz.to_offset(t).to_datetime(t))
                .or_default()
                .push(t);
        }
        faces
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        /// On the dates clocks change, in zones that move them by an hour,
        /// half an hour or by other amounts, both ways: a time is reported
        /// skipped exactly when no instant shows it (ending the moment the
        /// clocks jump excepted), and a change is reported exactly when the
        /// request's elapsed time can differ from the clock's, with the
        /// shortest and longest durations and the times that happen twice.
        #[test]
        fn clock_findings_match_the_clock_faces(
            zone in proptest::sample::select(vec![
                "Europe/Dublin", "America/New_York", "Australia/Lord_Howe",
                "America/Santiago", "Asia/Tehran", "Pacific/Chatham",
                "Europe/London", "Africa/Casablanca", "America/St_Johns",
            ]),
            year in 2019i16..2031,
            nth in 0usize..3,
            day_shift in -1i64..=1,
            a in 0i32..24 * 60,
            b in 0i32..24 * 60,
        ) {
            let (a, b) = (a.min(b), a.max(b));
            proptest::prop_assume!(a < b);
            let tz = jiff::tz::TimeZone::get(zone).unwrap();
            let jan1 = Date::new(year, 1, 1).unwrap().to_zoned_datetime(tz.clone()).unwrap();
            let Some(transition) = tz.following(jan1.timestamp()).nth(nth) else {
                return Ok(());
            };
            let date = tz.to_offset(transition.timestamp()).to_datetime(transition.timestamp()).date()
                + jiff::Span::new().days(day_shift);
            let time = |m: i32| Time::new((m / 60) as i8, (m % 60) as i8, 0, 0).unwrap();
            let (start, end) = (time(a), time(b));
            let faces = clock_faces(&tz, date);
            let at = |t: Time| faces.get(&date.to_datetime(t)).cloned().unwrap_or_default();
            let (starts, mut ends) = (at(start), at(end));
            let end_is_jump = ends.is_empty()
                && !at(time(b - 1)).is_empty()
                && b > 0;
            if end_is_jump {
                ends = vec![at(time(b - 1))[0] + jiff::SignedDuration::from_mins(1)];
            }
            let finding = clock_finding(&tz, date, start, end);
            if starts.is_empty() || ends.is_empty() {
                let Some(ClockFinding::Skipped { start_skipped, end_skipped, .. }) = finding else {
                    panic!("{zone} {date} {start}–{end}: not reported skipped: {finding:?}");
                };
                proptest::prop_assert_eq!((start_skipped, end_skipped), (starts.is_empty(), ends.is_empty()));
                return Ok(());
            }
            let elapsed: Vec<jiff::SignedDuration> = starts
                .iter()
                .flat_map(|s| ends.iter().map(move |e| e.duration_since(*s)))
                .collect();
            let shortest = *elapsed.iter().min().unwrap();
            let longest = *elapsed.iter().max().unwrap();
            let on_clock = end.duration_since(start);
            let mut twice = Vec::new();
            if starts.len() > 1 { twice.push(start); }
            if ends.len() > 1 { twice.push(end); }
            if shortest == on_clock && longest == on_clock {
                proptest::prop_assert_eq!(finding, None, "{} {} {}–{}", zone, date, start, end);
            } else {
                let Some(ClockFinding::Changes { shortest: s, longest: l, twice: t, .. }) = finding else {
                    panic!("{zone} {date} {start}–{end}: change not reported: {finding:?}");
                };
                proptest::prop_assert_eq!((s, l, t), (shortest, longest, twice), "{} {} {}–{}", zone, date, start, end);
            }
        }
    }

    #[test]
    fn allowed_hosts() {
        let ok = |u: &str, allowed: &str| {
            host_allowed(&url::Url::parse(u).unwrap(), CLOCKIFY_HOSTS, allowed)
        };
        assert!(ok("https://api.clockify.me/api", ""));
        assert!(ok("https://EUC1.clockify.me/api", ""));
        assert!(ok("http://127.0.0.1:9/api", ""));
        assert!(!ok("https://api.connecteam.com", ""));
        assert!(!ok("https://api.clockify.me.evil.example/api", ""));
        assert!(!ok("https://evil.example/api", ""));
        assert!(ok(
            "https://proxy.corp.example/api",
            " other.example, proxy.corp.example"
        ));
        assert!(ok(
            "https://proxy.corp.example:8443/api",
            "proxy.corp.example:8443"
        ));
        assert!(!ok(
            "https://proxy.corp.example/api",
            "proxy.corp.example:8443"
        ));
        assert!(!ok(
            "https://sub.proxy.corp.example/api",
            "proxy.corp.example"
        ));
    }

    #[test]
    fn loopback_hosts() {
        for (u, want) in [
            ("http://127.0.0.1:8080", true),
            ("http://127.8.0.1", true),
            ("http://localhost/api", true),
            ("http://[::1]:9000", true),
            ("http://10.0.0.1", false),
            ("http://api.clockify.me", false),
        ] {
            assert_eq!(is_loopback(&url::Url::parse(u).unwrap()), want, "{u}");
        }
    }
}
