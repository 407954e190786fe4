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

mod clock;
mod dates;
mod providers;
mod requests;
mod rosters;
mod settings;
mod users;

// What the rest of hrform checks as validation does (`hrform export`).
pub use requests::{is_request_key_char, tz_db};

use clock::*;

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
pub const ALLOWED_HOSTS_ENV: &str = "HRFORM_ALLOWED_HOSTS";
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
    context: &super::Context,
    files: Vec<String>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Config> {
    let mut v = Validator {
        diags,
        context,
        files,
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
    rosters: Vec<Sp<raw::Roster>>,
    rules: Vec<Sp<raw::Rule>>,
    requests: Vec<Sp<raw::TimeOffRequest>>,
    policies: Vec<(Sp<String>, Sp<String>, Sp<raw::PolicySettings>)>,
    settings: Option<Sp<raw::Settings>>,
}

struct Validator<'a> {
    diags: &'a mut Vec<Diagnostic>,
    /// Today and the allowed hosts.
    context: &'a super::Context,
    /// The display path of each file, by `FileId`, for provenance.
    files: Vec<String>,
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
            m.rosters.extend(doc.rosters.unwrap_or_default());
            m.rules.extend(doc.rules.unwrap_or_default());
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
        // The attributes rules may test: those a roster maps, those an
        // entry carries.
        let mut known_attributes: BTreeMap<String, Loc> = BTreeMap::new();
        for r in &m.rosters {
            for (k, _) in r.value.attributes.iter().flat_map(|a| &a.entries) {
                known_attributes.entry(k.value.clone()).or_insert(k.loc);
            }
        }
        for u in &m.users {
            for (k, _) in u.value.attributes.iter().flat_map(|a| &a.entries) {
                known_attributes.entry(k.value.clone()).or_insert(k.loc);
            }
        }
        let people = self.roster_people(m.rosters, &providers);
        let users = self.users(
            m.users,
            &providers,
            &profiles,
            &protected,
            rosters::Rostered {
                people,
                rules: m.rules,
                known_attributes,
            },
        );
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
            profile_names: profiles.keys().cloned().collect(),
            today: self.context.today(&settings.timezone),
            settings,
        })
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

#[cfg(test)]
mod tests {
    use super::providers::*;
    use super::requests::*;
    use super::users::*;
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
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(250))]

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
