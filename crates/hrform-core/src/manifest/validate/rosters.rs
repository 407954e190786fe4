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

    /// Find each mapped header, refusing secret-looking ones.
    fn columns(&mut self, r: &raw::Roster, table: &Table, shown: &str) -> Option<Columns> {
        let mut ok = true;
        let mut find = |v: &mut Validator<'_>, header: &Sp<String>| -> Option<usize> {
            if header_looks_secret(&header.value) {
                ok = false;
                v.push(
                    Diagnostic::error(
                        Code::RosterSecretHeader,
                        format!("hrform does not read the column `{}`: it looks like a secret or a personal identifier", header.value),
                    )
                    .at(header.loc, "not read")
                    .help("map only the columns rules and plans need"),
                );
                return None;
            }
            let found = table.headers.iter().position(|h| *h == header.value.trim());
            if found.is_none() {
                ok = false;
                v.push(
                    Diagnostic::error(
                        Code::RosterHeaderMissing,
                        format!("{shown}:1: no column `{}`", header.value),
                    )
                    .at(header.loc, "not in the header row")
                    .help_opt(
                        did_you_mean(&header.value, table.headers.iter().map(String::as_str))
                            .or_else(|| {
                                Some(format!(
                                    "the header row holds: {}",
                                    table.headers.join(", ")
                                ))
                            }),
                    ),
                );
            }
            found
        };
        let c = &r.columns.value;
        let email = find(self, &c.email);
        let name = c.name.as_ref().and_then(|h| find(self, h));
        let status = c.status.as_ref().and_then(|h| find(self, h));
        let start_date = c.start_date.as_ref().and_then(|h| find(self, h));
        let end_date = c.end_date.as_ref().and_then(|h| find(self, h));
        let provider = r.provider_column.as_ref().and_then(|h| find(self, h));
        let mut attributes = Vec::new();
        for (name, header) in r.attributes.iter().flat_map(|a| &a.entries) {
            if let Some(col) = find(self, header) {
                attributes.push((name.value.clone(), col));
            }
        }
        let _ = name;
        if !ok {
            return None;
        }
        Some(Columns {
            email: email?,
            status,
            start_date,
            end_date,
            provider,
            attributes,
        })
    }

    /// The `values:` maps, checked: fields that exist, status words valid.
    fn value_maps(&mut self, r: &raw::Roster) -> BTreeMap<String, BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        let attributes: Vec<&str> = r
            .attributes
            .iter()
            .flat_map(|a| a.entries.iter().map(|(k, _)| k.value.as_str()))
            .collect();
        for (field, map) in r.values.iter().flat_map(|v| &v.entries) {
            let known = field.value == "status"
                || field.value == "provider"
                || attributes.contains(&field.value.as_str());
            if !known {
                self.push(
                    Diagnostic::error(
                        Code::UnknownKey,
                        format!("`values.{}` maps no field of this roster", field.value),
                    )
                    .at(field.loc, "not status, provider or a mapped attribute")
                    .help_opt(did_you_mean(
                        &field.value,
                        ["status", "provider"]
                            .into_iter()
                            .chain(attributes.iter().copied()),
                    )),
                );
                continue;
            }
            let mut m = BTreeMap::new();
            for (cell, value) in &map.entries {
                if field.value == "status" && !matches!(value.value.as_str(), "active" | "inactive")
                {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            format!(
                                "`{}` is not a status: expected active or inactive",
                                value.value
                            ),
                        )
                        .at(value.loc, "active or inactive"),
                    );
                }
                m.insert(cell.value.trim().to_owned(), value.value.clone());
            }
            out.insert(field.value.clone(), m);
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

/// The columns found for a roster's fields.
struct Columns {
    email: usize,
    status: Option<usize>,
    start_date: Option<usize>,
    end_date: Option<usize>,
    provider: Option<usize>,
    attributes: Vec<(String, usize)>,
}

/// A cell through `values.<field>`: the mapped value, the cell itself when
/// the field has no map, `Err(cell)` when the map lacks it.
fn mapped<'a>(
    values: &'a BTreeMap<String, BTreeMap<String, String>>,
    field: &str,
    cell: &'a str,
) -> Result<&'a str, &'a str> {
    match values.get(field) {
        None => Ok(cell),
        Some(m) => m.get(cell).map(String::as_str).ok_or(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::Amount;
    use crate::manifest::checked::Declared;

    const LOC: Loc = Loc {
        file: FileId(0),
        line: 1,
        col: 1,
        len: 1,
    };

    fn give(policy: &str, days: Option<i64>) -> checked::TimeOff {
        checked::TimeOff {
            policy: policy.into(),
            policy_type: None,
            amount: days.map(|d| Declared::Allowance(Amount::from_f64(d as f64).unwrap())),
            allow_refund: false,
            unit: days.map(|_| checked::Unit::Days),
            profile: None,
            from: None,
            prorate: false,
            rounding: None,
            tenure: Vec::new(),
            basis: None,
            loc: LOC,
            because: vec![],
        }
    }

    fn rule(
        name: &str,
        when: &[(&str, &[&str])],
        except: &[&str],
        gives: Vec<checked::TimeOff>,
    ) -> Rule {
        Rule {
            name: name.into(),
            when: when
                .iter()
                .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect(),
            except: except.iter().map(|s| s.to_string()).collect(),
            gives,
        }
    }

    #[test]
    fn rules_match_every_key_any_value_after_trimming() {
        let attrs = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let r = rule(
            "ie",
            &[("type", &["Full-Time"]), ("country", &["IE", "GB"])],
            &["CEO@acme.test"],
            vec![],
        );
        let ada = Email::new("ada@acme.test");
        for (attributes, email, want) in [
            (
                attrs(&[("type", "Full-Time"), ("country", "IE")]),
                &ada,
                true,
            ),
            (
                attrs(&[("type", " Full-Time "), ("country", "GB")]),
                &ada,
                true,
            ),
            (
                attrs(&[("type", "Full-Time"), ("country", "FR")]),
                &ada,
                false,
            ),
            (
                attrs(&[("type", "full-time"), ("country", "IE")]),
                &ada,
                false,
            ),
            (attrs(&[("country", "IE")]), &ada, false),
            (
                attrs(&[("type", "Full-Time"), ("country", "IE")]),
                &Email::new("ceo@ACME.test"),
                false,
            ),
        ] {
            assert_eq!(
                rule_matches(&r, email, &attributes),
                want,
                "{attributes:?} {email}"
            );
        }
        let everyone = rule("all", &[], &[], vec![]);
        assert!(rule_matches(&everyone, &ada, &BTreeMap::new()));
    }

    #[test]
    fn rules_merge_by_policy_and_conflict_on_different_settings() {
        let a = rule(
            "a",
            &[],
            &[],
            vec![give("Vacation", Some(20)), give("Sick", None)],
        );
        let b = rule(
            "b",
            &[],
            &[],
            vec![give("Vacation", Some(20)), give("Parental", Some(5))],
        );
        let c = rule("c", &[], &[], vec![give("Vacation", Some(25))]);
        let given = merge_rules([&a, &b]).unwrap();
        let shown: Vec<(String, Vec<String>)> = given
            .into_iter()
            .map(|((p, _), (_, names))| (p, names))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("Parental".to_owned(), vec!["b".to_owned()]),
                ("Sick".to_owned(), vec!["a".to_owned()]),
                ("Vacation".to_owned(), vec!["a".to_owned(), "b".to_owned()]),
            ]
        );
        let conflict = merge_rules([&a, &b, &c]).unwrap_err();
        assert_eq!(
            (
                conflict.policy.as_str(),
                conflict.first.0.name.as_str(),
                conflict.second.0.name.as_str()
            ),
            ("Vacation", "a", "c")
        );
        assert!(merge_rules(std::iter::empty()).unwrap().is_empty());
    }

    #[test]
    fn secret_looking_headers() {
        for h in [
            "SSN",
            "Social Security Number",
            "API Key",
            "Password",
            "Bank Account",
            "IBAN",
            "Access Token",
        ] {
            assert!(header_looks_secret(h), "{h}");
        }
        for h in [
            "Work Email",
            "Department",
            "Employment Type",
            "Country",
            "Hire Date",
            "Preferred Name",
        ] {
            assert!(!header_looks_secret(h), "{h}");
        }
    }
}
