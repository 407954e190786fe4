//! Rosters and rules: people read from the rows of HRIS tables, and the
//! policies rules give by attribute, merged with the `users:` entries.
//!
//! A row declares one person; every mapped cell is read or is an error
//! (nothing is dropped), located `file:ROW:HEADER`. Columns whose header
//! looks like a secret (`password`, `token`, `SSN`, `IBAN`, ...) are never
//! read, even if mapped. Every rule whose `when` matches a person applies;
//! two giving one policy different settings conflict. A `users:` entry for
//! a roster person overrides the row and the rules: its fields replace
//! theirs, by policy for `time_off`.

use std::collections::{BTreeMap, HashMap};

use super::users::time_off;
use super::{Profiles, Providers, Validator};
use crate::diag::{Code, Diagnostic, FileId, Loc, did_you_mean};
use crate::manifest::checked::{self, Because, Email, Status};
use crate::manifest::raw::{self, Sp};
use crate::table::Table;

mod columns;

use columns::mapped;

/// A person read from a roster row.
pub(super) struct RosterPerson {
    pub email: Email,
    pub provider: String,
    pub status: Option<Status>,
    pub attributes: BTreeMap<String, String>,
    pub start_date: Option<jiff::civil::Date>,
    pub end_date: Option<jiff::civil::Date>,
    pub row: Because,
    pub loc: Loc,
}

/// What rosters and rules add to the `users:` entries.
pub(super) struct Rostered {
    pub people: Vec<RosterPerson>,
    pub rules: Vec<Sp<raw::Rule>>,
    /// The attributes rules may test, where first declared.
    pub known_attributes: BTreeMap<String, Loc>,
}

/// A checked rule.
#[derive(Debug)]
pub(crate) struct Rule {
    pub name: String,
    pub when: Vec<(String, Vec<String>)>,
    pub except: Vec<String>,
    /// What it gives, profile entries replaced by its own, by policy.
    pub gives: Vec<checked::TimeOff>,
}

/// Whether a header names a column hrform must not read: secrets and
/// personal identifiers that have nothing to do with leave.
pub(crate) fn header_looks_secret(header: &str) -> bool {
    let k: String = header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    crate::manifest::decode::looks_like_secret(header)
        || [
            "ssn",
            "socialsecurity",
            "socialinsurance",
            "nationalid",
            "nationalinsurance",
            "taxid",
            "passport",
            "iban",
            "bankaccount",
            "accountnumber",
            "routingnumber",
            "sortcode",
        ]
        .iter()
        .any(|s| k.contains(s))
}

/// Whether `rule` applies to a person with `email` and `attributes`:
/// not excepted, and every `when` key holds one of its values (trimmed).
pub(crate) fn rule_matches(
    rule: &Rule,
    email: &Email,
    attributes: &BTreeMap<String, String>,
) -> bool {
    !rule
        .except
        .iter()
        .any(|e| crate::mailbox::key(e) == email.key())
        && rule.when.iter().all(|(key, values)| {
            attributes
                .get(key)
                .is_some_and(|v| values.iter().any(|w| w.trim() == v.trim()))
        })
}

/// What one entry's settings are, for telling a conflict from agreement.
fn settings(t: &checked::TimeOff) -> impl PartialEq + '_ {
    (t.amount, t.unit, t.allow_refund)
}

/// The policies the matching `rules` give, by (policy, policy type), each
/// with the rules that give it; `Err` with the first conflict: the policy
/// and the two rules' names and entries.
pub(crate) type Given = BTreeMap<(String, Option<String>), (checked::TimeOff, Vec<String>)>;

/// Two rules giving one policy different settings: the policy, and each
/// rule with its entry.
#[derive(Debug)]
pub(crate) struct Conflict<'r> {
    pub policy: String,
    pub first: (&'r Rule, Loc),
    pub second: (&'r Rule, Loc),
}

pub(crate) fn merge_rules<'r>(
    rules: impl IntoIterator<Item = &'r Rule>,
) -> Result<Given, Box<Conflict<'r>>> {
    let mut given: Given = BTreeMap::new();
    let mut from: HashMap<(String, Option<String>), &'r Rule> = HashMap::new();
    for rule in rules {
        for t in &rule.gives {
            let key = (t.policy.clone(), t.policy_type.clone());
            match given.get_mut(&key) {
                Some((first, names)) => {
                    if settings(first) != settings(t) {
                        let other = from[&key];
                        return Err(Box::new(Conflict {
                            policy: t.policy.clone(),
                            first: (other, first.loc),
                            second: (rule, t.loc),
                        }));
                    }
                    names.push(rule.name.clone());
                }
                None => {
                    from.insert(key.clone(), rule);
                    given.insert(key, (t.clone(), vec![rule.name.clone()]));
                }
            }
        }
    }
    Ok(given)
}

impl Validator<'_> {
    fn file_name(&self, file: FileId) -> String {
        self.files.get(file.0 as usize).cloned().unwrap_or_default()
    }

    /// The `Because` of a `users:` entry at `loc`.
    pub(super) fn entry_because(&self, loc: Loc) -> Because {
        Because::Entry {
            file: self.file_name(loc.file),
            line: loc.line,
        }
    }

    /// Read every roster's rows into people, reporting every cell that
    /// cannot be read and every duplicate.
    pub(super) fn roster_people(
        &mut self,
        rosters: Vec<Sp<raw::Roster>>,
        providers: &Providers,
    ) -> Vec<RosterPerson> {
        let mut out = Vec::new();
        let mut seen: HashMap<(String, String), (Because, Loc)> = HashMap::new();
        let mut reported_none = false;
        for roster in rosters {
            let r = roster.value;
            let Some((file, table)) = r.table.clone() else {
                continue;
            };
            let shown = self.file_name(file);
            // Fixed provider, or a column of provider names.
            let fixed = if r.provider_column.is_some() {
                if let Some(p) = &r.provider {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            "a roster has `provider` or `provider_column`, not both",
                        )
                        .at(p.loc, "remove one"),
                    );
                }
                None
            } else {
                let p = self.resolve_provider(
                    r.provider.as_ref(),
                    roster.loc,
                    "a roster",
                    providers,
                    &mut reported_none,
                );
                if p.is_none() {
                    continue;
                }
                p
            };
            let Some(cols) = self.columns(&r, &table, &shown) else {
                continue;
            };
            let values = self.value_maps(&r);
            let format = r
                .date_format
                .as_ref()
                .map_or("%Y-%m-%d".to_owned(), |f| f.value.clone());
            for row in &table.rows {
                let at = |col: usize| Loc {
                    file,
                    line: row.number,
                    col: u32::try_from(col + 1).unwrap_or(u32::MAX),
                    len: 0,
                };
                let cell = |col: usize| row.cells[col].trim();
                let bad = |v: &mut Validator<'_>, col: usize, msg: String, help: Option<String>| {
                    v.push(
                        Diagnostic::error(
                            Code::RosterCell,
                            format!("{shown}:{}:{}: {msg}", row.number, table.headers[col]),
                        )
                        .at(at(col), table.headers[col].clone())
                        .help_opt(help),
                    );
                };
                let email_text = cell(cols.email);
                let email = if super::users::is_email(email_text) {
                    Some(Email::new(email_text))
                } else {
                    bad(
                        self,
                        cols.email,
                        format!("`{email_text}` is not a valid email address"),
                        None,
                    );
                    None
                };
                let provider = match (&fixed, cols.provider) {
                    (Some(p), _) => Some(p.clone()),
                    (None, Some(col)) => {
                        let text = mapped(&values, "provider", cell(col));
                        match text {
                            Ok(p) if providers.contains_key(p) => Some(p.to_owned()),
                            Ok(p) | Err(p) => {
                                bad(
                                    self,
                                    col,
                                    format!("`{p}` is not a declared provider"),
                                    did_you_mean(p, providers.keys().map(String::as_str)),
                                );
                                None
                            }
                        }
                    }
                    (None, None) => None,
                };
                let status = cols.status.and_then(|col| {
                    let text = cell(col);
                    // An empty cell leaves the status unmanaged, unless
                    // `values.status` maps it.
                    if text.is_empty() && values.get("status").is_none_or(|m| !m.contains_key("")) {
                        return None;
                    }
                    let word = match mapped(&values, "status", text) {
                        Ok(w) => w.to_ascii_lowercase(),
                        Err(_) => {
                            let keys = values.get("status").into_iter().flat_map(|m| m.keys());
                            let help = did_you_mean(text, keys.map(String::as_str))
                                .unwrap_or_else(|| "map each status the file uses under `values: {status: {...}}`".to_owned());
                            bad(self, col, format!("unknown status value `{text}`"), Some(help));
                            return None;
                        }
                    };
                    match word.as_str() {
                        "active" => Some(Status::Active),
                        "inactive" => Some(Status::Inactive),
                        _ => {
                            bad(
                                self,
                                col,
                                format!("unknown status value `{text}`: expected active or inactive"),
                                Some("map the file's words with `values: {status: {Active: active, Terminated: inactive}}`".to_owned()),
                            );
                            None
                        }
                    }
                });
                let date = |v: &mut Validator<'_>, col: Option<usize>| {
                    let col = col?;
                    let text = cell(col);
                    if text.is_empty() {
                        return None;
                    }
                    // A spreadsheet's date cell is a date already (read
                    // as ISO 8601); `date_format` is for dates typed as text.
                    let format = if row.date_cells.contains(&col) {
                        "%Y-%m-%d"
                    } else {
                        format.as_str()
                    };
                    match jiff::civil::Date::strptime(format, text) {
                        Ok(d) => Some(d),
                        Err(_) => {
                            bad(
                                v,
                                col,
                                format!("`{text}` is not a date in the format `{format}`"),
                                Some(
                                    "set the roster's `date_format` to the file's, e.g. `%m/%d/%Y`"
                                        .to_owned(),
                                ),
                            );
                            None
                        }
                    }
                };
                let start_date = date(self, cols.start_date);
                let end_date = date(self, cols.end_date);
                let mut attributes = BTreeMap::new();
                for (name, col) in &cols.attributes {
                    match mapped(&values, name, cell(*col)) {
                        Ok(v) => {
                            attributes.insert(name.clone(), v.to_owned());
                        }
                        Err(v) => bad(self, *col, format!("`{v}` is not in `values.{name}`"), None),
                    }
                }
                let (Some(email), Some(provider)) = (email, provider) else {
                    continue;
                };
                let because = Because::Row {
                    file: shown.clone(),
                    row: row.number,
                };
                let key = (provider.clone(), email.key().to_owned());
                if let Some((first, first_loc)) = seen.get(&key) {
                    self.push(
                        Diagnostic::error(
                            Code::RosterDuplicate,
                            format!(
                                "`{}` is declared twice in provider `{provider}`: {first} and {because}",
                                email.as_written()
                            ),
                        )
                        .at(at(cols.email), "declared again here")
                        .also(*first_loc, "first declared here")
                        .help("emails match case-insensitively; keep one row per person"),
                    );
                    continue;
                }
                seen.insert(key, (because.clone(), at(cols.email)));
                out.push(RosterPerson {
                    email,
                    provider,
                    status,
                    attributes,
                    start_date,
                    end_date,
                    row: because,
                    loc: at(cols.email),
                });
            }
        }
        out
    }

    /// Check the rules: names unique, profiles declared, attributes tested
    /// that something maps.
    pub(super) fn rules(
        &mut self,
        raw: Vec<Sp<raw::Rule>>,
        profiles: &Profiles,
        known_attributes: &BTreeMap<String, Loc>,
        used_profiles: &mut Vec<String>,
    ) -> Vec<Rule> {
        let mut out: Vec<Rule> = Vec::new();
        let mut names: HashMap<String, Loc> = HashMap::new();
        for r in raw {
            let loc = r.loc;
            let r = r.value;
            self.not_empty(&r.name, "name");
            if let Some(first) = names.get(&r.name.value) {
                let first = *first;
                self.duplicate("rule", &r.name.value, first, r.name.loc);
            } else {
                names.insert(r.name.value.clone(), r.name.loc);
            }
            for (key, _) in &r.when.entries {
                if !known_attributes.contains_key(&key.value) && !self.incomplete.names {
                    self.push(
                        Diagnostic::error(
                            Code::RuleUnmappedAttribute,
                            format!(
                                "rule `{}` tests the attribute `{}`, which no roster maps and no `users:` entry carries",
                                r.name.value, key.value
                            ),
                        )
                        .at(key.loc, "never set")
                        .help_opt(did_you_mean(&key.value, known_attributes.keys().map(String::as_str)).or_else(|| {
                            Some("map it under a roster's `attributes:` (name: header)".to_owned())
                        })),
                    );
                }
            }
            for e in r.except.iter().flatten() {
                self.email(e);
            }
            let mut gives: BTreeMap<(String, Option<String>), checked::TimeOff> = BTreeMap::new();
            if let Some(profile) = &r.profile {
                match profiles.get_key_value(&profile.value) {
                    Some((name, (_, entries))) => {
                        used_profiles.push(name.clone());
                        for e in entries {
                            let mut t = time_off(e, Some(name));
                            t.because = vec![
                                Because::Rule(r.name.value.clone()),
                                Because::Profile(name.clone()),
                            ];
                            gives.insert((t.policy.clone(), t.policy_type.clone()), t);
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
            let own = r.time_off.unwrap_or_default();
            self.no_duplicate_policies(&own);
            for e in &own {
                self.entry(e, None);
                let mut t = time_off(e, None);
                t.because = vec![Because::Rule(r.name.value.clone())];
                gives.insert((t.policy.clone(), t.policy_type.clone()), t);
            }
            if r.profile.is_none() && own.is_empty() {
                self.push(
                    Diagnostic::error(
                        Code::MissingField,
                        format!(
                            "rule `{}` gives nothing: add `profile` or `time_off`",
                            r.name.value
                        ),
                    )
                    .at(loc, "no `profile`, no `time_off`"),
                );
            }
            out.push(Rule {
                name: r.name.value,
                when: r
                    .when
                    .entries
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            k.value,
                            v.value
                                .0
                                .into_iter()
                                .map(|s| s.value.trim().to_owned())
                                .collect(),
                        )
                    })
                    .collect(),
                except: r
                    .except
                    .unwrap_or_default()
                    .into_iter()
                    .map(|e| e.value)
                    .collect(),
                gives: gives.into_values().collect(),
            });
        }
        out
    }

    /// Give each user what the matching rules give, then their own
    /// entries on top, by policy; a conflict between rules is an error.
    pub(super) fn apply_rules(
        &mut self,
        user: &mut checked::User,
        own: Vec<checked::TimeOff>,
        rules: &[Rule],
    ) {
        let matching = rules
            .iter()
            .filter(|r| rule_matches(r, &user.email, &user.attributes));
        let given = match merge_rules(matching) {
            Ok(g) => g,
            Err(conflict) => {
                let Conflict {
                    policy,
                    first: (a, a_loc),
                    second: (b, b_loc),
                } = *conflict;
                let whence = user
                    .because
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                self.push(
                    Diagnostic::error(
                        Code::RuleConflict,
                        format!(
                            "`{}` ({whence}) gets `{policy}` from rules `{}` and `{}` with different settings",
                            user.email.as_written(),
                            a.name,
                            b.name
                        ),
                    )
                    .at(b_loc, format!("rule `{}`", b.name))
                    .also(a_loc, format!("rule `{}`", a.name))
                    .help("make the rules agree, narrow one's `when`, add the person to one's `except`, or give the person a `users:` entry"),
                );
                return;
            }
        };
        // By policy: what the rules give, then the person's own entries
        // (all of a policy's, a schedule by `from`) in place of it.
        let mut merged: BTreeMap<(String, Option<String>), Vec<checked::TimeOff>> = BTreeMap::new();
        for (key, (mut t, names)) in given {
            let mut because: Vec<Because> = user
                .because
                .iter()
                .filter(|b| matches!(b, Because::Row { .. }))
                .cloned()
                .collect();
            because.extend(names.into_iter().map(Because::Rule));
            if let Some(p) = &t.profile {
                because.push(Because::Profile(p.clone()));
            }
            t.because = because;
            merged.insert(key, vec![t]);
        }
        let mut own_by_policy: BTreeMap<(String, Option<String>), Vec<checked::TimeOff>> =
            BTreeMap::new();
        for t in own {
            own_by_policy
                .entry((t.policy.clone(), t.policy_type.clone()))
                .or_default()
                .push(t);
        }
        merged.extend(own_by_policy);
        user.time_off = merged
            .into_values()
            .flat_map(|mut schedule| {
                schedule.sort_by_key(|t| t.from);
                schedule
            })
            .collect();
    }
}

#[cfg(test)]
#[path = "rosters_tests.rs"]
mod tests;
