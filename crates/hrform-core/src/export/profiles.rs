//! `hrform export --profiles`: people whose `time_off` is identical (same
//! policies, policy types, allowances, units and notes) share one profile,
//! so a large export reads as a few profiles and one `profile:` line per
//! person.
//!
//! What it owns: when a group becomes a profile ([`MIN_PEOPLE`]), the
//! profile's name, and keeping the grouping consistent when items are
//! left out. Names are made from the provider and the policy set, so the
//! same time off gets the same name on every export: `<provider>-<entry>-…`
//! where an entry is its policy (after its policy type, when one is
//! needed) and its allowance with `d` or `h` (`office-vacation-25d-sick-80h`),
//! in lower-case ASCII letters, digits, `-` and `.`. A name longer than
//! [`MAX_NAME`] is cut and ends in eight hex digits of a hash of the whole
//! set; a name the tree already has, or another group got first, gets
//! `-2`, `-3`, … (groups in name order, so the outcome is deterministic).

use std::collections::{BTreeMap, BTreeSet};

use super::{Entry, Export};

/// The fewest people a profile is made for: anyone whose time off no one
/// else shares stays inline.
pub const MIN_PEOPLE: usize = 2;

/// The longest profile name made.
pub const MAX_NAME: usize = 64;

/// One shared `time_off`.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub time_off: Vec<Entry>,
    /// How many exported people are on it.
    pub people: usize,
}

/// Group `export`'s people into profiles: every set of at least
/// [`MIN_PEOPLE`] people with the same non-empty `time_off` gets one.
/// `taken`: the profile names the tree already declares, never reused.
/// Any earlier grouping is undone first.
pub fn group(export: &mut Export, provider: &str, taken: &BTreeSet<String>) {
    export.profiles.clear();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, user) in export.users.iter_mut().enumerate() {
        user.profile = None;
        if !user.time_off.is_empty() {
            groups.entry(key(&user.time_off)).or_default().push(i);
        }
    }
    let mut named: Vec<(String, String, Vec<usize>)> = groups
        .into_iter()
        .filter(|(_, people)| people.len() >= MIN_PEOPLE)
        .map(|(key, people)| {
            let base = base_name(provider, &export.users[people[0]].time_off, &key);
            (base, key, people)
        })
        .collect();
    named.sort();
    let mut used = taken.clone();
    for (base, _, people) in named {
        let name = free(&base, &used);
        used.insert(name.clone());
        for &i in &people {
            export.users[i].profile = Some(name.clone());
        }
        export.profiles.push(Profile {
            name,
            time_off: export.users[people[0]].time_off.clone(),
            people: people.len(),
        });
    }
    export.profiles.sort_by(|a, b| a.name.cmp(&b.name));
}

/// After people were left out: drop the profiles no one is on any more,
/// and write inline again the people of a profile left with fewer than
/// [`MIN_PEOPLE`].
pub(super) fn prune(export: &mut Export) {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for u in &export.users {
        if let Some(p) = &u.profile {
            *count.entry(p.as_str()).or_default() += 1;
        }
    }
    let keep: BTreeMap<String, usize> = count
        .into_iter()
        .filter(|(_, n)| *n >= MIN_PEOPLE)
        .map(|(p, n)| (p.to_owned(), n))
        .collect();
    for u in &mut export.users {
        if u.profile.as_ref().is_some_and(|p| !keep.contains_key(p)) {
            u.profile = None;
        }
    }
    export.profiles.retain_mut(|p| match keep.get(&p.name) {
        Some(n) => {
            p.people = *n;
            true
        }
        None => false,
    });
}

/// What makes two `time_off` lists the same, as one string.
fn key(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        let (amount, unit) = match e.allowance {
            Some((a, u)) => (a.to_string(), u.to_string()),
            None => (String::new(), String::new()),
        };
        for part in [
            e.policy.as_str(),
            e.policy_type.as_deref().unwrap_or("\u{0}"),
            &amount,
            &unit,
            e.note.unwrap_or(""),
        ] {
            out.push_str(part);
            out.push('\u{1f}');
        }
        out.push('\u{1e}');
    }
    out
}

/// The name before collisions are settled.
fn base_name(provider: &str, entries: &[Entry], key: &str) -> String {
    let mut name = slug(provider, "provider");
    for e in entries {
        name.push('-');
        if let Some(t) = &e.policy_type {
            name.push_str(&slug(t, "type"));
            name.push('-');
        }
        name.push_str(&slug(&e.policy, "policy"));
        if let Some((amount, unit)) = e.allowance {
            name.push('-');
            name.push_str(&amount.to_string());
            name.push(match unit {
                crate::model::Unit::Days => 'd',
                crate::model::Unit::Hours => 'h',
            });
        }
    }
    if name.len() > MAX_NAME {
        // ASCII only, so any byte index is a character boundary.
        name.truncate(MAX_NAME - 9);
        let cut = name.trim_end_matches(['-', '.']).len();
        name.truncate(cut);
        name.push_str(&format!("-{:08x}", fnv1a(key) as u32));
    }
    name
}

/// `base`, or `base-2`, `base-3`, … : the first not in `used`.
fn free(base: &str, used: &BTreeSet<String>) -> String {
    if !used.contains(base) {
        return base.to_owned();
    }
    (2..)
        .map(|k| format!("{base}-{k}"))
        .find(|n| !used.contains(n))
        .expect("an unused suffix")
}

/// `s` in lower-case ASCII letters and digits, other runs as one `-`;
/// `empty` when nothing is left.
fn slug(s: &str, empty: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        empty.to_owned()
    } else {
        out.to_owned()
    }
}

/// FNV-1a, 64 bits: a hash that is the same on every platform and run.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::Amount;
    use crate::model::Unit;

    fn entry(policy: &str, ty: Option<&str>, allowance: Option<(i64, Unit)>) -> Entry {
        Entry {
            policy: policy.into(),
            policy_type: ty.map(Into::into),
            allowance: allowance.map(|(a, u)| (Amount::from_i64(a), u)),
            note: None,
        }
    }

    fn user(email: &str, time_off: Vec<Entry>) -> super::super::User {
        super::super::User {
            email: email.into(),
            name: None,
            status: Some(crate::model::Status::Active),
            status_note: None,
            time_off,
            profile: None,
        }
    }

    fn ft() -> Vec<Entry> {
        vec![
            entry("Sick", None, Some((80, Unit::Hours))),
            entry("Vacation", None, Some((25, Unit::Days))),
        ]
    }

    fn pt() -> Vec<Entry> {
        vec![
            entry("Sick", None, Some((40, Unit::Hours))),
            entry("Vacation", None, Some((12, Unit::Days))),
        ]
    }

    /// The profile of each person (by email) after grouping.
    fn grouped(users: Vec<super::super::User>, taken: &[&str]) -> (Vec<Option<String>>, Export) {
        let mut export = Export {
            users,
            ..Export::default()
        };
        let taken = taken.iter().map(|s| (*s).to_owned()).collect();
        group(&mut export, "office", &taken);
        (
            export.users.iter().map(|u| u.profile.clone()).collect(),
            export,
        )
    }

    /// (what, each person's time off, names taken, each person's profile).
    type Case<'a> = (
        &'a str,
        Vec<Vec<Entry>>,
        &'a [&'a str],
        Vec<Option<&'a str>>,
    );

    #[test]
    fn identical_time_off_shares_a_profile_and_singletons_stay_inline() {
        let cases: Vec<Case<'_>> = vec![
            (
                "two groups and one alone",
                vec![ft(), pt(), ft(), pt(), vec![entry("Parental", None, None)]],
                &[],
                vec![
                    Some("office-sick-80h-vacation-25d"),
                    Some("office-sick-40h-vacation-12d"),
                    Some("office-sick-80h-vacation-25d"),
                    Some("office-sick-40h-vacation-12d"),
                    None,
                ],
            ),
            (
                "no time off is never a profile",
                vec![vec![], vec![], ft()],
                &[],
                vec![None, None, None],
            ),
            (
                "a name the tree has gets a suffix",
                vec![ft(), ft()],
                &["office-sick-80h-vacation-25d"],
                vec![
                    Some("office-sick-80h-vacation-25d-2"),
                    Some("office-sick-80h-vacation-25d-2"),
                ],
            ),
            (
                "a policy type comes before its policy",
                vec![
                    vec![entry("Standard", Some("Time Off"), Some((2, Unit::Days)))],
                    vec![entry("Standard", Some("Time Off"), Some((2, Unit::Days)))],
                ],
                &[],
                vec![
                    Some("office-time-off-standard-2d"),
                    Some("office-time-off-standard-2d"),
                ],
            ),
            (
                "names that slug alike are told apart",
                vec![
                    vec![entry("Sick Leave", None, None)],
                    vec![entry("sick-leave", None, None)],
                    vec![entry("Sick Leave", None, None)],
                    vec![entry("sick-leave", None, None)],
                ],
                &[],
                vec![
                    Some("office-sick-leave"),
                    Some("office-sick-leave-2"),
                    Some("office-sick-leave"),
                    Some("office-sick-leave-2"),
                ],
            ),
        ];
        for (what, time_offs, taken, want) in cases {
            let users = time_offs
                .into_iter()
                .enumerate()
                .map(|(i, t)| user(&format!("p{i}@example.com"), t))
                .collect();
            let (got, export) = grouped(users, taken);
            let want: Vec<Option<String>> = want.iter().map(|w| w.map(str::to_owned)).collect();
            assert_eq!(got, want, "{what}");
            // Every profile is used by at least two, and holds their time off.
            for p in &export.profiles {
                let on: Vec<_> = export
                    .users
                    .iter()
                    .filter(|u| u.profile.as_ref() == Some(&p.name))
                    .collect();
                assert!(on.len() >= MIN_PEOPLE, "{what}");
                assert_eq!(on.len(), p.people, "{what}");
                assert!(on.iter().all(|u| u.time_off == p.time_off), "{what}");
            }
        }
    }

    /// Names are ASCII, bounded, and the same for the same set whatever
    /// order people come in; long sets end in a hash.
    #[test]
    fn names_are_stable_and_bounded() {
        let long: Vec<Entry> = (0..12)
            .map(|i| {
                entry(
                    &format!("Policy number {i} 日本"),
                    None,
                    Some((i, Unit::Days)),
                )
            })
            .collect();
        let (a, _) = grouped(
            vec![user("a@x.io", long.clone()), user("b@x.io", long.clone())],
            &[],
        );
        let name = a[0].clone().unwrap();
        assert!(name.len() <= MAX_NAME, "{name}");
        assert!(name.starts_with("office-policy-number-0-0d-"), "{name}");
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        );
        let (b, _) = grouped(
            vec![
                user("z@x.io", pt()),
                user("c@x.io", long.clone()),
                user("d@x.io", long),
                user("y@x.io", pt()),
            ],
            &[],
        );
        assert_eq!(b[1].as_deref(), Some(name.as_str()));
        let half = vec![entry("Vacation", None, None)];
        let (c, _) = grouped(
            vec![user("a@x.io", half.clone()), user("b@x.io", half)],
            &[],
        );
        assert_eq!(c[0].as_deref(), Some("office-vacation"));
        assert_eq!(slug("  Zoë's  day-off!! ", "x"), "zo-s-day-off");
        assert_eq!(slug("日本", "policy"), "policy");
    }

    /// Leaving people out keeps the grouping honest: a profile left with
    /// one person is inlined, one left out takes its people.
    #[test]
    fn leaving_out_prunes_profiles() {
        use super::super::render::Item;
        let users = vec![
            user("a@x.io", ft()),
            user("b@x.io", ft()),
            user("c@x.io", pt()),
            user("d@x.io", pt()),
            user("e@x.io", pt()),
        ];
        let (_, mut export) = grouped(users, &[]);
        assert_eq!(export.profiles.len(), 2);
        // Drop a@ (its profile falls to one person) and one of the three.
        export.leave_out(&[Item::User(0), Item::User(2)].into_iter().collect());
        let profiles: Vec<_> = export.users.iter().map(|u| u.profile.clone()).collect();
        assert_eq!(
            profiles,
            [
                None,
                Some("office-sick-40h-vacation-12d".into()),
                Some("office-sick-40h-vacation-12d".into())
            ]
        );
        assert_eq!(export.profiles.len(), 1);
        assert_eq!(export.profiles[0].people, 2);
        // A profile left out takes its people.
        export.leave_out(&[Item::Profile(0)].into_iter().collect());
        assert_eq!(export.users.len(), 1);
        assert!(export.profiles.is_empty());
    }
}
