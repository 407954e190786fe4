//! Decoding each part of a manifest: the document itself, providers,
//! profiles, users, time-off entries and requests, and settings.

use serde_saphyr::Spanned;

use super::{Cx, Decode, MapReader, secret_locs};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::manifest::node::Node;
use crate::manifest::raw::*;

impl Decode for Manifest {
    const EXPECTED: &'static str = "a manifest";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        if node.value == Node::Null {
            return Some(Manifest::default());
        }
        let Some(mut m) = MapReader::new(node, "a manifest", cx) else {
            cx.incomplete.names = true;
            cx.incomplete.users = true;
            return None;
        };
        let providers: Option<NameMap<Sp<Provider>>> = m.opt("providers", cx);
        let profiles: Option<NameMap<Sp<Profile>>> = m.opt("profiles", cx);
        if (providers.is_none() && m.has("providers")) || (profiles.is_none() && m.has("profiles"))
        {
            cx.incomplete.names = true;
        }
        let users: Option<Vec<Sp<User>>> = m.opt("users", cx);
        if m.items("users") != users.as_ref().map(Vec::len) {
            cx.incomplete.users = true;
        }
        let manifest = Manifest {
            providers,
            profiles,
            users,
            rosters: m.opt("rosters", cx),
            rules: m.opt("rules", cx),
            time_off_requests: m.opt("time_off_requests", cx),
            policies: m.opt("policies", cx),
            settings: m.opt("settings", cx),
        };
        m.finish(cx);
        Some(manifest)
    }
}

impl Decode for Provider {
    const EXPECTED: &'static str = "a provider";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        let mut m = MapReader::new(node, "a provider", cx)?;
        let kind: Option<Sp<String>> = m.req("type", cx);
        // An `api_key_env` that is not a string may be the key itself.
        if let Some(env) = m.peek("api_key_env")
            && !matches!(env.value, Node::Str(_))
        {
            let locs = secret_locs(env, cx);
            cx.secrets.extend(locs);
        }
        let provider = match kind.as_ref().map(|k| k.value.as_str()) {
            Some("clockify") => {
                let workspace_id = m.req("workspace_id", cx);
                let base_url = m.opt("base_url", cx);
                let api_key_env = m.opt("api_key_env", cx);
                let requests_per_second = m.opt("requests_per_second", cx);
                let balance_update = m.opt("balance_update", cx);
                wrong_type_keys(&mut m, "clockify", &["requests_per_minute"], cx);
                workspace_id.map(|workspace_id| {
                    Provider::Clockify(ClockifyProvider {
                        workspace_id,
                        base_url,
                        api_key_env,
                        requests_per_second,
                        balance_update,
                    })
                })
            }
            Some("connecteam") => {
                let base_url = m.opt("base_url", cx);
                let api_key_env = m.opt("api_key_env", cx);
                let requests_per_minute = m.opt("requests_per_minute", cx);
                wrong_type_keys(
                    &mut m,
                    "connecteam",
                    &["workspace_id", "requests_per_second", "balance_update"],
                    cx,
                );
                Some(Provider::Connecteam(ConnecteamProvider {
                    base_url,
                    api_key_env,
                    requests_per_minute,
                }))
            }
            Some(other) => {
                let loc = kind.as_ref().map(|k| k.loc).unwrap_or(m.loc);
                cx.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!("unknown provider type `{other}`: expected clockify or connecteam"),
                    )
                    .at(loc, "not a provider type")
                    .help_opt(did_you_mean(other, ["clockify", "connecteam"])),
                );
                // The other keys cannot be judged without a type.
                return None;
            }
            None => return None,
        };
        m.finish(cx);
        provider
    }
}

/// Keys that belong to the other provider type: a clearer error than "unknown key".
fn wrong_type_keys(m: &mut MapReader<'_>, kind: &str, keys: &[&'static str], cx: &mut Cx<'_>) {
    for key in keys {
        if let Some(i) = m.entries.iter().position(|(k, _)| k.value == *key) {
            m.used[i] = true;
            let loc = cx.loc(&m.entries[i].0.referenced);
            cx.push(
                Diagnostic::error(
                    Code::WrongProviderType,
                    format!("`{key}` does not apply to a {kind} provider"),
                )
                .at(loc, format!("not a {kind} setting"))
                .help_opt(match *key {
                    "requests_per_second" => {
                        Some("Connecteam's throttle is `requests_per_minute`".to_owned())
                    }
                    "requests_per_minute" => {
                        Some("Clockify's throttle is `requests_per_second`".to_owned())
                    }
                    _ => None,
                }),
            );
        }
    }
}

impl Decode for Profile {
    const EXPECTED: &'static str = "a profile";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        let mut m = MapReader::new(node, "a profile", cx)?;
        let profile = Profile {
            time_off: m.opt("time_off", cx),
        };
        m.finish(cx);
        Some(profile)
    }
}

impl Decode for TimeOffEntry {
    const EXPECTED: &'static str = "a time-off entry";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        let mut m = MapReader::new(node, "a time-off entry", cx)?;
        let policy = m.req("policy", cx);
        let policy_type = m.opt("policy_type", cx);
        let allowance = m.opt("allowance", cx);
        let balance = m.opt("balance", cx);
        let allow_refund = m.opt("allow_refund", cx);
        let unit = m.opt("unit", cx);
        let unit_written = m.has("unit");
        let from = m.opt("from", cx);
        let prorate = m.opt("prorate", cx);
        let rounding = m.opt("rounding", cx);
        let allowance_by_tenure = m.opt("allowance_by_tenure", cx);
        m.finish(cx);
        Some(TimeOffEntry {
            policy: policy?,
            policy_type,
            allowance,
            balance,
            allow_refund,
            unit,
            unit_written,
            from,
            prorate,
            rounding,
            allowance_by_tenure,
        })
    }
}

impl Decode for User {
    const EXPECTED: &'static str = "a user";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        let mut m = MapReader::new(node, "a user", cx)?;
        let email = m.req("email", cx);
        let provider = m.opt("provider", cx);
        let status = m.opt("status", cx);
        let profile = m.opt("profile", cx);
        let time_off = m.opt("time_off", cx);
        let start_date = m.opt("start_date", cx);
        let end_date = m.opt("end_date", cx);
        let attributes = m.opt("attributes", cx);
        m.finish(cx);
        Some(User {
            email: email?,
            provider,
            status,
            profile,
            time_off,
            start_date,
            end_date,
            attributes,
        })
    }
}

impl Decode for Roster {
    const EXPECTED: &'static str = "a roster";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        let mut m = MapReader::new(node, "a roster", cx)?;
        let file = m.req("file", cx);
        let provider = m.opt("provider", cx);
        let provider_column = m.opt("provider_column", cx);
        let columns = m.req("columns", cx);
        let attributes = m.opt("attributes", cx);
        let values = m.opt("values", cx);
        let date_format = m.opt("date_format", cx);
        let delimiter = m.opt("delimiter", cx);
        let sheet = m.opt("sheet", cx);
        m.finish(cx);
        Some(Roster {
            file: file?,
            provider,
            provider_column,
            columns: columns?,
            attributes,
            values,
            date_format,
            delimiter,
            sheet,
            manifest: std::path::PathBuf::new(),
            table: None,
        })
    }
}

impl Decode for RosterColumns {
    const EXPECTED: &'static str = "roster columns";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        let mut m = MapReader::new(node, "roster columns", cx)?;
        let email = m.req("email", cx);
        let columns = RosterColumns {
            email: email?,
            name: m.opt("name", cx),
            status: m.opt("status", cx),
            start_date: m.opt("start_date", cx),
            end_date: m.opt("end_date", cx),
        };
        m.finish(cx);
        Some(columns)
    }
}

impl Decode for Rule {
    const EXPECTED: &'static str = "a rule";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        let mut m = MapReader::new(node, "a rule", cx)?;
        let name = m.req("name", cx);
        let when = m.req("when", cx);
        let profile = m.opt("profile", cx);
        let time_off = m.opt("time_off", cx);
        let except = m.opt("except", cx);
        m.finish(cx);
        Some(Rule {
            name: name?,
            when: when?,
            profile,
            time_off,
            except,
        })
    }
}

impl Decode for AnyOf {
    const EXPECTED: &'static str = "a value or a list of values";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        match &node.value {
            Node::Seq(_) => <Vec<Sp<String>> as Decode>::decode(node, cx).map(AnyOf),
            _ => <Sp<String> as Decode>::decode(node, cx).map(|v| AnyOf(vec![v])),
        }
    }
}

impl Decode for TimeOffRequest {
    const EXPECTED: &'static str = "a time-off request";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        let mut m = MapReader::new(node, "a time-off request", cx)?;
        let key = m.req("key", cx);
        let provider = m.opt("provider", cx);
        let user = m.req("user", cx);
        let policy_type = m.req("policy_type", cx);
        let start_date = m.req("start_date", cx);
        let end_date = m.req("end_date", cx);
        let all_day = m.opt("all_day", cx);
        let start_time = m.opt("start_time", cx);
        let end_time = m.opt("end_time", cx);
        let timezone = m.req("timezone", cx);
        let status = m.opt("status", cx);
        let employee_note = m.opt("employee_note", cx);
        let manager_note = m.opt("manager_note", cx);
        let adjust_for_dst = m.opt("adjust_for_dst", cx);
        let time_clock_id = m.opt("time_clock_id", cx);
        m.finish(cx);
        Some(TimeOffRequest {
            key: key?,
            provider,
            user: user?,
            policy_type: policy_type?,
            start_date: start_date?,
            end_date: end_date?,
            all_day,
            start_time,
            end_time,
            timezone: timezone?,
            status,
            employee_note,
            manager_note,
            adjust_for_dst,
            time_clock_id,
        })
    }
}

impl Decode for PolicySettings {
    const EXPECTED: &'static str = "policy settings";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        let mut m = MapReader::new(node, "policy settings", cx)?;
        let settings = PolicySettings {
            has_expiration: m.opt("has_expiration", cx),
            carry_over: m.opt("carry_over", cx),
        };
        m.finish(cx);
        Some(settings)
    }
}

impl Decode for Settings {
    const EXPECTED: &'static str = "settings";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        let mut m = MapReader::new(node, "settings", cx)?;
        let settings = Settings {
            unmanaged_users: m.opt("unmanaged_users", cx),
            safety: m.opt("safety", cx),
            prune_requests: m.opt("prune_requests", cx),
            recreate_requests: m.opt("recreate_requests", cx),
            leave_year_start: m.opt("leave_year_start", cx),
            timezone: m.opt("timezone", cx),
            rounding: m.opt("rounding", cx),
            schedule_horizon_days: m.opt("schedule_horizon_days", cx),
        };
        m.finish(cx);
        Some(settings)
    }
}

impl Decode for Safety {
    const EXPECTED: &'static str = "safety settings";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        let mut m = MapReader::new(node, "safety settings", cx)?;
        let safety = Safety {
            max_deactivations: m.opt("max_deactivations", cx),
            max_deactivation_percent: m.opt("max_deactivation_percent", cx),
            max_balance_change: m.opt("max_balance_change", cx),
            protected_users: m.opt("protected_users", cx),
        };
        m.finish(cx);
        Some(safety)
    }
}

impl Decode for TenureTier {
    const EXPECTED: &'static str = "a tenure tier";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        let mut m = MapReader::new(node, "a tenure tier", cx)?;
        let years = m.req("years", cx);
        let allowance = m.req("allowance", cx);
        m.finish(cx);
        Some(TenureTier {
            years: years?,
            allowance: allowance?,
        })
    }
}

impl Decode for Rounding {
    const EXPECTED: &'static str = "rounding settings";
    fn decode(node: &Spanned<Node>, cx: &mut Cx<'_>) -> Option<Self> {
        let mut m = MapReader::new(node, "rounding settings", cx)?;
        let rounding = Rounding {
            step: m.opt("step", cx),
            mode: m.opt("mode", cx),
        };
        m.finish(cx);
        Some(rounding)
    }
}
