//! JSON bodies decoded and their fields checked the pydantic way, every
//! problem collected into one 422.

use serde_json::{Map, Value, json};

use super::replies::{item, item_ctx, missing, unprocessable};
use crate::exchange::{Call, Reply};
use crate::state::{parse_hms, parse_ymd};

/// The JSON body, or FastAPI's 422 for one that does not decode.
pub(super) fn json_body(call: &Call<'_>) -> Result<Value, Reply> {
    serde_json::from_slice::<Value>(call.body).map_err(|err| {
        let pos = byte_offset(call.body, err.line(), err.column());
        unprocessable(vec![item_ctx(
            &[json!("body"), json!(pos)],
            &format!(
                "Expecting value: line {} column {} (char {pos})",
                err.line(),
                err.column()
            ),
            "value_error.jsondecode",
            json!({"msg": "Expecting value", "pos": pos, "lineno": err.line(), "colno": err.column()}),
        )])
    })
}

pub(super) fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in body.split(|b| *b == b'\n').enumerate() {
        if i + 1 == line {
            return offset + column.saturating_sub(1);
        }
        offset += l.len() + 1;
    }
    offset
}

pub(super) fn object_body(call: &Call<'_>) -> Result<Map<String, Value>, Reply> {
    match json_body(call)? {
        Value::Object(map) => Ok(map),
        _ => Err(unprocessable(vec![item(
            &[json!("body")],
            "value is not a valid dict",
            "type_error.dict",
        )])),
    }
}

/// Body fields checked the pydantic way: every problem is collected.
pub(super) struct Fields<'m> {
    map: &'m Map<String, Value>,
    prefix: Vec<Value>,
    pub(super) errors: Vec<Value>,
}

impl<'m> Fields<'m> {
    pub(super) fn new(map: &'m Map<String, Value>, prefix: Vec<Value>) -> Self {
        Self {
            map,
            prefix,
            errors: Vec::new(),
        }
    }

    pub(super) fn loc(&self, key: &str) -> Vec<Value> {
        let mut l = self.prefix.clone();
        l.push(json!(key));
        l
    }

    /// The value of `key`; `None` when absent or null (an error if required).
    pub(super) fn get(&mut self, key: &str, required: bool) -> Option<&'m Value> {
        match self.map.get(key) {
            None if required => {
                self.errors.push(missing(&self.loc(key)));
                None
            }
            Some(Value::Null) if required => {
                self.errors.push(item(
                    &self.loc(key),
                    "none is not an allowed value",
                    "type_error.none.not_allowed",
                ));
                None
            }
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    pub(super) fn int(&mut self, key: &str, required: bool, min: Option<i64>) -> Option<i64> {
        let v = self.get(key, required)?;
        let Some(n) = v.as_i64() else {
            self.errors.push(item(
                &self.loc(key),
                "value is not a valid integer",
                "type_error.integer",
            ));
            return None;
        };
        if let Some(min) = min.filter(|m| n < *m) {
            self.errors.push(item_ctx(
                &self.loc(key),
                &format!("ensure this value is greater than or equal to {min}"),
                "value_error.number.not_ge",
                json!({"limit_value": min}),
            ));
            return None;
        }
        Some(n)
    }

    pub(super) fn float(&mut self, key: &str, required: bool) -> Option<f64> {
        let v = self.get(key, required)?;
        let n = v.as_f64();
        if n.is_none() {
            self.errors.push(item(
                &self.loc(key),
                "value is not a valid float",
                "type_error.float",
            ));
        }
        n
    }

    pub(super) fn bool(&mut self, key: &str, required: bool) -> Option<bool> {
        let v = self.get(key, required)?;
        let b = v.as_bool();
        if b.is_none() {
            self.errors.push(item(
                &self.loc(key),
                "value could not be parsed to a boolean",
                "type_error.bool",
            ));
        }
        b
    }

    pub(super) fn str(&mut self, key: &str, required: bool) -> Option<&'m str> {
        let v = self.get(key, required)?;
        let s = v.as_str();
        if s.is_none() {
            self.errors
                .push(item(&self.loc(key), "str type expected", "type_error.str"));
        }
        s
    }

    pub(super) fn enum_str(
        &mut self,
        key: &str,
        required: bool,
        allowed: &[&str],
    ) -> Option<&'m str> {
        let s = self.str(key, required)?;
        if allowed.contains(&s) {
            return Some(s);
        }
        let permitted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
        self.errors.push(item_ctx(
            &self.loc(key),
            &format!(
                "value is not a valid enumeration member; permitted: {}",
                permitted.join(", ")
            ),
            "type_error.enum",
            json!({"enum_values": allowed}),
        ));
        None
    }

    pub(super) fn date(&mut self, key: &str, required: bool) -> Option<jiff::civil::Date> {
        let s = self.str(key, required)?;
        let d = parse_ymd(s);
        if d.is_none() {
            self.errors.push(item(
                &self.loc(key),
                "Invalid date format. Use YYYY-MM-DD",
                "value_error",
            ));
        }
        d
    }

    pub(super) fn time(&mut self, key: &str) -> Option<jiff::civil::Time> {
        let s = self.str(key, false)?;
        let t = parse_hms(s);
        if t.is_none() {
            self.errors.push(item(
                &self.loc(key),
                "Invalid time format. Use HH:MM:SS",
                "value_error",
            ));
        }
        t
    }

    pub(super) fn timezone(&mut self, key: &str, required: bool) -> Option<&'m str> {
        let s = self.str(key, required)?;
        if jiff::tz::TimeZone::get(s).is_err() {
            self.errors.push(item(
                &self.loc(key),
                "Invalid timezone. Use a Tz database name such as America/New_York",
                "value_error",
            ));
            return None;
        }
        Some(s)
    }

    pub(super) fn error(&mut self, key: &str, msg: &str) {
        let loc = self.loc(key);
        self.errors.push(item(&loc, msg, "value_error"));
    }
}
