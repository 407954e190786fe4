//! Query parameters checked the FastAPI way, every problem collected into
//! one 422.

use serde_json::{Value, json};

use super::replies::{item, item_ctx, missing, unprocessable};
use crate::exchange::{Call, Reply};
use crate::state::parse_ymd;

/// Query parameters checked the FastAPI way: every problem is collected.
pub(super) struct Query<'c, 'a> {
    call: &'c Call<'a>,
    pub(super) errors: Vec<Value>,
}

impl<'c, 'a> Query<'c, 'a> {
    pub(super) fn new(call: &'c Call<'a>) -> Self {
        Self {
            call,
            errors: Vec::new(),
        }
    }

    pub(super) fn loc(name: &str) -> Vec<Value> {
        vec![json!("query"), json!(name)]
    }

    pub(super) fn int(
        &mut self,
        name: &str,
        default: i64,
        min: Option<i64>,
        max: Option<i64>,
    ) -> i64 {
        match self.call.one(name) {
            None => default,
            Some(v) => self
                .parse_int(v, &Self::loc(name), min, max)
                .unwrap_or(default),
        }
    }

    pub(super) fn opt_int(&mut self, name: &str, min: Option<i64>) -> Option<i64> {
        let v = self.call.one(name)?;
        self.parse_int(v, &Self::loc(name), min, None)
    }

    pub(super) fn parse_int(
        &mut self,
        v: &str,
        loc: &[Value],
        min: Option<i64>,
        max: Option<i64>,
    ) -> Option<i64> {
        let Ok(n) = v.trim().parse::<i64>() else {
            self.errors.push(item(
                loc,
                "value is not a valid integer",
                "type_error.integer",
            ));
            return None;
        };
        if let Some(min) = min.filter(|m| n < *m) {
            self.errors.push(item_ctx(
                loc,
                &format!("ensure this value is greater than or equal to {min}"),
                "value_error.number.not_ge",
                json!({"limit_value": min}),
            ));
            return None;
        }
        if let Some(max) = max.filter(|m| n > *m) {
            self.errors.push(item_ctx(
                loc,
                &format!("ensure this value is less than or equal to {max}"),
                "value_error.number.not_le",
                json!({"limit_value": max}),
            ));
            return None;
        }
        Some(n)
    }

    /// A repeated-key integer array (`?userIds=1&userIds=2`).
    pub(super) fn int_list(&mut self, name: &str) -> Vec<u64> {
        let values = self.call.all(name);
        let mut out = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            let loc = [json!("query"), json!(name), json!(i)];
            if let Some(n) = self.parse_int(v, &loc, Some(1), None) {
                out.push(u64::try_from(n).unwrap_or(0));
            }
        }
        out
    }

    pub(super) fn enum_value(
        &mut self,
        v: &str,
        loc: &[Value],
        allowed: &[&str],
    ) -> Option<String> {
        if allowed.contains(&v) {
            return Some(v.to_owned());
        }
        let permitted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
        self.errors.push(item_ctx(
            loc,
            &format!(
                "value is not a valid enumeration member; permitted: {}",
                permitted.join(", ")
            ),
            "type_error.enum",
            json!({"enum_values": allowed}),
        ));
        None
    }

    pub(super) fn one_enum(&mut self, name: &str, allowed: &[&str]) -> Option<String> {
        let v = self.call.one(name)?;
        self.enum_value(v, &Self::loc(name), allowed)
    }

    pub(super) fn enum_list(&mut self, name: &str, allowed: &[&str]) -> Vec<String> {
        let values = self.call.all(name);
        let mut out = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let loc = [json!("query"), json!(name), json!(i)];
            if let Some(s) = self.enum_value(v, &loc, allowed) {
                out.push(s);
            }
        }
        out
    }

    pub(super) fn bool(&mut self, name: &str, default: bool) -> bool {
        match self.call.one(name) {
            None => default,
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" | "t" | "y" => true,
                "false" | "0" | "no" | "off" | "f" | "n" => false,
                _ => {
                    self.errors.push(item(
                        &Self::loc(name),
                        "value could not be parsed to a boolean",
                        "type_error.bool",
                    ));
                    default
                }
            },
        }
    }

    pub(super) fn date(&mut self, name: &str) -> Option<jiff::civil::Date> {
        let Some(v) = self.call.one(name) else {
            self.errors.push(missing(&Self::loc(name)));
            return None;
        };
        let d = parse_ymd(v);
        if d.is_none() {
            self.errors.push(item(
                &Self::loc(name),
                "Invalid date format. Use YYYY-MM-DD",
                "value_error",
            ));
        }
        d
    }

    pub(super) fn finish(self) -> Result<(), Reply> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(unprocessable(self.errors))
        }
    }
}

pub(super) fn to_usize(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}
