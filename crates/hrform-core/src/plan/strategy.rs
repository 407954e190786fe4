//! How each list a plan needs is read: whole (every page) or filtered by
//! the people who matter, chosen by what each costs in calls from what is
//! known before reading (the people declared or targeted, page sizes, how
//! many values one call may carry, what the safety rules need to see). Pure:
//! counts in, a choice and its costs out; the providers do the reading.

use std::fmt;

/// A way to read a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Every page of the list.
    Whole,
    /// Only the people who matter (a filter parameter, or one call each).
    Filtered,
}

/// The cost of a list read each way, in calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Costs {
    /// Reading it whole: `None` when the list's size is not known yet (it
    /// then costs at least one call).
    pub whole: Option<u64>,
    /// Reading it filtered: `None` when a rule needs the whole list.
    pub filtered: Option<u64>,
}

impl Costs {
    /// The cheaper way: filtered only when allowed and strictly cheaper
    /// than whole (a list of unknown size costs at least one call, so a
    /// filtered read of one call is never costlier).
    pub fn choose(self) -> Strategy {
        match (self.filtered, self.whole) {
            (None, _) => Strategy::Whole,
            (Some(f), Some(w)) if f < w => Strategy::Filtered,
            (Some(f), None) if f <= 1 => Strategy::Filtered,
            _ => Strategy::Whole,
        }
    }

    /// The calls of the chosen way, when known.
    pub fn chosen_calls(self) -> Option<u64> {
        match self.choose() {
            Strategy::Whole => self.whole,
            Strategy::Filtered => self.filtered,
        }
    }
}

/// One list's choice, as `-v` prints it: `list=L chosen=S whole=N
/// filtered=N` (`?` when unknown before reading, `-` when not allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// `people`, `balances`, `balances:<policy type>`, `requests`, ...
    pub list: String,
    pub costs: Costs,
    pub chosen: Strategy,
}

impl Choice {
    pub fn new(list: impl Into<String>, costs: Costs) -> Self {
        Self {
            list: list.into(),
            costs,
            chosen: costs.choose(),
        }
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |c: Option<u64>, none: &'static str| {
            c.map_or_else(|| none.to_owned(), |c| c.to_string())
        };
        write!(
            f,
            "list={} chosen={} whole={} filtered={}",
            self.list,
            match self.chosen {
                Strategy::Whole => "whole",
                Strategy::Filtered => "filtered",
            },
            n(self.costs.whole, "?"),
            n(self.costs.filtered, "-"),
        )
    }
}

/// Calls to read `items` at `page` a page: at least one (an empty list
/// still costs a call).
pub fn pages(items: usize, page: usize) -> u64 {
    u64::try_from(items.div_ceil(page.max(1)).max(1)).unwrap_or(u64::MAX)
}

/// The query-string bytes hrform lets one filtered call carry: well below
/// the 8 KiB that servers and proxies commonly accept for a whole request
/// line.
pub const URL_BUDGET: usize = 6000;

/// `key=value&`'s length once percent-encoded (3 bytes for each byte
/// outside the unreserved set).
fn encoded(key: &str, value: &str) -> usize {
    let escaped = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    1
                } else {
                    3
                }
            })
            .sum::<usize>()
    };
    escaped(key) + escaped(value) + 2
}

/// `values` cut into the calls of a filtered read by repeated keys
/// (`key=v1&key=v2`): at most `per_call` values and [`URL_BUDGET`] bytes
/// (percent-encoded) a call. Empty when
/// there are no values.
pub fn chunks<'a>(key: &str, values: &'a [String], per_call: usize) -> Vec<&'a [String]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, v) in values.iter().enumerate() {
        let cost = encoded(key, v);
        if i > start && (i - start >= per_call.max(1) || bytes + cost > URL_BUDGET) {
            out.push(&values[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += cost;
    }
    if start < values.len() {
        out.push(&values[start..]);
    }
    out
}

/// The cost of reading the people list: whole at `page` a page (the
/// account's size when known) or filtered (`filtered_calls`, `None` when a
/// rule needs everyone: `unmanaged_users` and the percentage rule).
pub fn people(
    account: Option<usize>,
    page: usize,
    filtered_calls: u64,
    needs_everyone: bool,
) -> Costs {
    Costs {
        whole: account.map(|n| pages(n, page)),
        filtered: (!needs_everyone).then_some(filtered_calls),
    }
}

/// The calls a plan's read of one provider is expected to make, before
/// anything is read: the chosen way of each list at the sizes known (a list
/// of unknown size counted as one page), so a lower bound when `exact` is
/// false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    pub calls: u64,
    pub exact: bool,
}

impl Estimate {
    /// Seconds these calls take at `per_second`, the first `burst` at once
    /// (a window's allowance).
    pub fn seconds(self, per_second: f64, burst: u64) -> f64 {
        if !(per_second.is_finite() && per_second > 0.0) {
            return 0.0;
        }
        self.calls.saturating_sub(burst) as f64 / per_second
    }
}

/// [`Estimate`] of reading `scope` from a provider of `vendor`.
pub fn estimate(vendor: crate::model::Vendor, scope: &crate::model::ReadScope) -> Estimate {
    use crate::model::Vendor;
    use crate::vendors::{clockify, connecteam};
    let people = scope.emails.len();
    let mut policies: Vec<&str> = scope
        .policies
        .iter()
        .map(|(name, ty)| ty.as_deref().unwrap_or(name))
        .collect();
    policies.sort_unstable();
    policies.dedup();
    let everyone = scope.all_people || scope.all_policies;
    let (fixed, people_costs, balances) = match vendor {
        Vendor::Connecteam => {
            let chunks = chunks("emailAddresses", &scope.emails, 100).len() as u64;
            let costs = self::people(None, connecteam::wire::USERS_PAGE, chunks, scope.all_people);
            let per_type = match costs.choose() {
                Strategy::Filtered => chunks.max(1),
                Strategy::Whole => 1,
            };
            let requests = scope.requests.map_or(0, |(first, last)| {
                connecteam::wire::request_slices(first, last).len() as u64
            });
            (1 + requests, costs, per_type * policies.len() as u64)
        }
        Vendor::Clockify => {
            let costs = self::people(
                None,
                clockify::wire::USERS_PAGE,
                people as u64,
                scope.all_people,
            );
            let policies = policies.len() as u64;
            let balances = if everyone || policies == 0 {
                policies
            } else {
                policies.min(people as u64)
            };
            (2, costs, balances)
        }
    };
    let (people_calls, exact) = match people_costs.chosen_calls() {
        Some(n) => (n, true),
        None => (1, false),
    };
    Estimate {
        calls: fixed + people_calls + balances,
        exact: exact && balances == 0,
    }
}

/// The manifests as far as `--target` selects them, when reading only the
/// targeted people cannot change the plan's verdict: every selector names a
/// person; no rule needs everyone (`unmanaged_users`, the percentage rule);
/// and no one left out is declared inactive while a deactivation limit is
/// set (safety is judged on the whole plan, so a deactivation left unread
/// would be a deactivation left uncounted). `None`: read as for the whole
/// plan.
pub fn targeted(
    config: &crate::manifest::checked::Config,
    targets: &[super::Target],
) -> Option<crate::manifest::checked::Config> {
    use crate::manifest::checked::UnmanagedUsersSetting;
    let mut people = std::collections::HashSet::new();
    for t in targets {
        match t {
            super::Target::Email(e) => people.insert(e.as_str()),
            _ => return None,
        };
    }
    let settings = &config.settings;
    if people.is_empty()
        || settings.unmanaged_users != UnmanagedUsersSetting::Ignore
        || settings.safety.max_deactivation_percent.is_some()
    {
        return None;
    }
    let chosen = |email: &crate::manifest::checked::Email| people.contains(email.key());
    let uncounted = config
        .users
        .iter()
        .any(|u| !chosen(&u.email) && u.status == Some(crate::model::Status::Inactive));
    if uncounted && settings.safety.max_deactivations.is_some() {
        return None;
    }
    let mut narrowed = config.clone();
    narrowed.users.retain(|u| chosen(&u.email));
    narrowed.requests.retain(|r| chosen(&r.user));
    Some(narrowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cheaper_allowed_way_is_chosen() {
        use Strategy::*;
        // (whole, filtered, chosen)
        for (whole, filtered, want) in [
            (Some(10), Some(1), Filtered),
            (Some(1), Some(1), Whole),
            (Some(2), Some(20), Whole),
            (Some(100), Some(99), Filtered),
            (None, Some(1), Filtered),
            (None, Some(2), Whole),
            (Some(50), None, Whole),
            (None, None, Whole),
            (Some(1), Some(0), Filtered),
        ] {
            let costs = Costs { whole, filtered };
            assert_eq!(costs.choose(), want, "{costs:?}");
        }
    }

    #[test]
    fn the_strategy_line_is_stable() {
        let line = |whole, filtered| Choice::new("people", Costs { whole, filtered }).to_string();
        assert_eq!(
            line(Some(10), Some(1)),
            "list=people chosen=filtered whole=10 filtered=1"
        );
        assert_eq!(
            line(None, None),
            "list=people chosen=whole whole=? filtered=-"
        );
    }

    #[test]
    fn people_costs_by_vendor_and_size() {
        // Connecteam: 500 a page, emails 100 a call; Clockify: 5000 a page,
        // one call a person (its email filter takes one value).
        let connecteam_20 = chunks("emailAddresses", &emails(20), 100).len() as u64;
        let connecteam_250 = chunks("emailAddresses", &emails(250), 100).len() as u64;
        for (account, page, filtered, everyone, want) in [
            (Some(5000), 500, connecteam_20, false, Strategy::Filtered),
            (None, 500, connecteam_20, false, Strategy::Filtered),
            (None, 500, connecteam_250, false, Strategy::Whole),
            (Some(30_000), 500, connecteam_250, false, Strategy::Filtered),
            (Some(5000), 500, connecteam_20, true, Strategy::Whole),
            (Some(10_000), 5000, 1, false, Strategy::Filtered),
            (Some(10_000), 5000, 20, false, Strategy::Whole),
            (None, 5000, 1, false, Strategy::Filtered),
            (Some(300), 500, 1, false, Strategy::Whole),
        ] {
            let costs = people(account, page, filtered, everyone);
            assert_eq!(
                costs.choose(),
                want,
                "{account:?} {page} {filtered} {everyone}"
            );
        }
    }

    #[test]
    fn estimates_count_the_chosen_way_of_each_list() {
        use crate::model::{ReadScope, Vendor};
        let scope = |people: usize, policies: usize, everyone: bool| ReadScope {
            emails: emails(people),
            policies: (0..policies).map(|i| (format!("P{i}"), None)).collect(),
            all_people: everyone,
            ..ReadScope::default()
        };
        // (vendor, people, policies, everyone, calls, exact)
        for (vendor, people, policies, everyone, calls, exact) in [
            // types + one filtered users call + one filtered call per type
            (Vendor::Connecteam, 20, 3, false, 5, false),
            (Vendor::Connecteam, 20, 0, false, 2, true),
            // everyone: at least one page of each list
            (Vendor::Connecteam, 20, 3, true, 5, false),
            // me + policies + one user + one person's balances
            (Vendor::Clockify, 1, 2, false, 4, false),
            (Vendor::Clockify, 20, 2, false, 5, false),
        ] {
            let got = estimate(vendor, &scope(people, policies, everyone));
            assert_eq!(
                (got.calls, got.exact),
                (calls, exact),
                "{vendor:?} {people} {policies} {everyone}"
            );
        }
        let e = Estimate {
            calls: 125,
            exact: true,
        };
        assert_eq!(e.seconds(5.0 / 60.0, 5), 1440.0);
        assert_eq!(e.seconds(10.0, 0), 12.5);
    }

    fn emails(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("person{i}@example.com")).collect()
    }

    #[test]
    fn filter_values_are_cut_by_count_and_url_length() {
        // (values, length of each, per call, calls)
        for (n, len, per_call, want) in [
            (0, 10, 100, 0),
            (1, 10, 100, 1),
            (100, 10, 100, 1),
            (101, 10, 100, 2),
            (30, 240, 100, 2),
            (20, 240, 100, 1),
            (250, 20, 100, 3),
        ] {
            let values: Vec<String> = (0..n).map(|i| format!("{i:0>len$}")).collect();
            let got = chunks("emailAddresses", &values, per_call);
            assert_eq!(got.len(), want, "{n} values of {len}");
            assert_eq!(got.iter().map(|c| c.len()).sum::<usize>(), n);
            for c in &got {
                let bytes: usize = c.iter().map(|v| encoded("emailAddresses", v)).sum();
                assert!(c.len() == 1 || bytes <= URL_BUDGET);
            }
        }
        assert_eq!(pages(0, 100), 1);
        assert_eq!(pages(5000, 500), 10);
        assert_eq!(pages(10_001, 200), 51);
    }
}
