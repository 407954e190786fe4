//! The checks a seed's types cannot express: id formats, dates, and the
//! references between users, policies and requests.

use std::collections::{HashMap, HashSet};

use serde_saphyr::{Location, Spanned};

use super::clockify::ClockifySeed;
use super::connecteam::{ConnecteamRole, ConnecteamSeed};
use super::{parse_hms, parse_ymd};

pub(super) type Check = Result<(), (Location, String)>;

pub(super) fn unknown() -> Location {
    Location::UNKNOWN
}

pub(crate) fn is_hex24(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub(super) fn check_clockify(c: &ClockifySeed) -> Check {
    if !is_hex24(&c.workspace_id.value) {
        return Err((
            c.workspace_id.referenced,
            format!(
                "clockify.workspace_id {:?} is not 24 lowercase hex digits",
                c.workspace_id.value
            ),
        ));
    }
    let mut emails = HashSet::new();
    let mut ids = HashSet::new();
    for u in &c.users {
        if !emails.insert(u.email.to_lowercase()) {
            return Err((
                unknown(),
                format!("clockify.users: {} appears twice", u.email),
            ));
        }
        if let Some(id) = &u.id {
            if !is_hex24(id) {
                return Err((
                    unknown(),
                    format!("clockify user {}: id {id:?} is not 24 hex digits", u.email),
                ));
            }
            if !ids.insert(id.clone()) {
                return Err((unknown(), format!("clockify user id {id} appears twice")));
            }
        }
    }
    let known = |s: &Spanned<String>, what: &str| -> Check {
        if emails.contains(&s.value.to_lowercase()) {
            Ok(())
        } else {
            Err((
                s.referenced,
                format!("{what}: no clockify user has the email {:?}", s.value),
            ))
        }
    };
    known(&c.key_owner, "clockify.key_owner")?;
    let mut names = HashSet::new();
    for p in &c.policies {
        let len = p.name.chars().count();
        if !(2..=100).contains(&len) {
            return Err((
                unknown(),
                format!(
                    "clockify policy {:?}: a name has 2 to 100 characters",
                    p.name
                ),
            ));
        }
        if !names.insert(p.name.clone()) {
            return Err((
                unknown(),
                format!("clockify policy {:?} appears twice", p.name),
            ));
        }
        if let Some(id) = &p.id
            && (!is_hex24(id) || !ids.insert(id.clone()))
        {
            return Err((
                unknown(),
                format!(
                    "clockify policy {:?}: id {id:?} is not 24 hex digits or not unique",
                    p.name
                ),
            ));
        }
        let mut on = HashSet::new();
        for a in &p.assignments {
            known(&a.user, &format!("policy {:?}", p.name))?;
            if !on.insert(a.user.value.to_lowercase()) {
                return Err((
                    a.user.referenced,
                    format!("{} is on policy {:?} twice", a.user.value, p.name),
                ));
            }
        }
    }
    Ok(())
}

pub(super) fn check_connecteam(c: &ConnecteamSeed) -> Check {
    let mut roles = HashMap::new();
    let mut ids = HashSet::new();
    for u in &c.users {
        if roles.insert(u.email.to_lowercase(), u.role).is_some() {
            return Err((
                unknown(),
                format!("connecteam.users: {} appears twice", u.email),
            ));
        }
        if let Some(id) = u.id
            && (id == 0 || !ids.insert(id))
        {
            return Err((
                unknown(),
                format!("connecteam user {}: id {id} is 0 or not unique", u.email),
            ));
        }
    }
    let known = |s: &Spanned<String>, what: &str| -> Check {
        if roles.contains_key(&s.value.to_lowercase()) {
            Ok(())
        } else {
            Err((
                s.referenced,
                format!("{what}: no connecteam user has the email {:?}", s.value),
            ))
        }
    };
    known(&c.key_owner, "connecteam.key_owner")?;
    if roles.get(&c.key_owner.value.to_lowercase()) != Some(&ConnecteamRole::Owner) {
        return Err((
            c.key_owner.referenced,
            "connecteam.key_owner must have role owner (only owners can create API keys)"
                .to_owned(),
        ));
    }
    let mut type_names = HashSet::new();
    let mut all_ids = HashSet::new();
    for t in &c.policy_types {
        if !type_names.insert(t.name.clone()) {
            return Err((unknown(), format!("policy type {:?} appears twice", t.name)));
        }
        if let Some(id) = &t.id
            && (id.is_empty() || !all_ids.insert(id.clone()))
        {
            return Err((
                unknown(),
                format!("policy type {:?}: id {id:?} is empty or not unique", t.name),
            ));
        }
        let mut policy_names = HashSet::new();
        let mut on_type = HashSet::new();
        for p in &t.policies {
            if !policy_names.insert(p.name.clone()) {
                return Err((
                    unknown(),
                    format!("policy {:?} appears twice in type {:?}", p.name, t.name),
                ));
            }
            if let Some(id) = &p.id
                && (id.is_empty() || !all_ids.insert(id.clone()))
            {
                return Err((
                    unknown(),
                    format!("policy {:?}: id {id:?} is empty or not unique", p.name),
                ));
            }
            if p.hours_per_day <= 0.0 {
                return Err((
                    unknown(),
                    format!("policy {:?}: hours_per_day must be positive", p.name),
                ));
            }
            for a in &p.assignments {
                known(&a.user, &format!("policy {:?}", p.name))?;
                if !on_type.insert(a.user.value.to_lowercase()) {
                    return Err((
                        a.user.referenced,
                        format!(
                            "{} is on two policies of type {:?}; a user is on at most one",
                            a.user.value, t.name
                        ),
                    ));
                }
            }
        }
    }
    let mut request_ids = HashSet::new();
    for r in &c.requests {
        known(&r.user, "request")?;
        if !type_names.contains(&r.policy_type.value) {
            return Err((
                r.policy_type.referenced,
                format!("request: no policy type is named {:?}", r.policy_type.value),
            ));
        }
        let start = parse_date(&r.start_date)?;
        let end = parse_date(&r.end_date)?;
        if end < start {
            return Err((
                r.end_date.referenced,
                "request: end_date is before start_date".to_owned(),
            ));
        }
        if jiff::tz::TimeZone::get(&r.timezone).is_err() {
            return Err((
                r.user.referenced,
                format!("request: unknown time zone {:?}", r.timezone),
            ));
        }
        if !r.all_day {
            if start != end {
                return Err((
                    r.end_date.referenced,
                    "request: a partial-day request (all_day: false) has end_date = start_date"
                        .to_owned(),
                ));
            }
            match (&r.start_time, &r.end_time) {
                (Some(s), Some(e)) if parse_hms(s).is_some() && parse_hms(e).is_some() && s < e => {
                }
                _ => {
                    return Err((
                        r.user.referenced,
                        "request: all_day: false needs start_time < end_time, both HH:MM:SS"
                            .to_owned(),
                    ));
                }
            }
        }
        if let Some(id) = &r.id
            && (id.is_empty() || !request_ids.insert(id.clone()))
        {
            return Err((
                r.user.referenced,
                format!("request id {id:?} is empty or not unique"),
            ));
        }
    }
    Ok(())
}

pub(super) fn parse_date(s: &Spanned<String>) -> Result<jiff::civil::Date, (Location, String)> {
    parse_ymd(&s.value).ok_or_else(|| {
        (
            s.referenced,
            format!("{:?} is not a date (YYYY-MM-DD)", s.value),
        )
    })
}
