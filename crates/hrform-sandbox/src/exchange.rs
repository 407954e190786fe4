//! What the handler and the vendor emulators exchange: the shared state
//! ([`Shared`]), one request as a vendor sees it ([`Call`]), a vendor's
//! answer ([`Reply`]) and the request log's line ([`LogEntry`]).
//!
//! May import: the sandbox's `seed`, `state`, `faults`, `rate` and its
//! `Options`; axum's HTTP types. The vendor modules and `inspect` import
//! this, never `server`, so routing runs one way: `server` → vendors →
//! `exchange`.

use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use super::Options;
use super::faults::FaultState;
use super::rate::RateState;
use super::seed::Seed;
use super::state::World;

/// Largest request body accepted; larger ones get the vendor's 413.
pub(crate) const MAX_BODY: usize = 1024 * 1024;

/// Everything the handler shares between requests.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) seed: Seed,
    pub(crate) options: Options,
    pub(crate) world: Mutex<World>,
    pub(crate) log: Mutex<Vec<LogEntry>>,
    pub(crate) faults: Mutex<FaultState>,
    pub(crate) rate: Mutex<RateState>,
}

impl Shared {
    pub(crate) fn new(seed: Seed, options: Options) -> Self {
        Self {
            world: Mutex::new(World::from_seed(&seed)),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(FaultState::new(options.faults)),
            rate: Mutex::new(RateState::new(&options.rate)),
            seed,
            options,
        }
    }

    /// Back to the seeded world: state, log, rate windows and fault draws.
    pub(crate) fn reset(&self) {
        *lock(&self.world) = World::from_seed(&self.seed);
        lock(&self.log).clear();
        *lock(&self.faults) = FaultState::new(self.options.faults);
        *lock(&self.rate) = RateState::new(&self.options.rate);
    }
}

/// Lock a mutex; a panic elsewhere must not take the sandbox down with it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Which API a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Vendor {
    Clockify,
    Connecteam,
}

impl Vendor {
    pub(crate) fn of_path(path: &str) -> Option<Vendor> {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        match first {
            "api" => Some(Vendor::Clockify),
            "users" | "time-off" | "me" | "oauth" => Some(Vendor::Connecteam),
            _ => None,
        }
    }
}

/// One request as the vendor handlers see it.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) method: &'a Method,
    /// Path segments after the vendor's base (`/api` is dropped for Clockify).
    pub(crate) segments: Vec<&'a str>,
    pub(crate) path: &'a str,
    /// Decoded query pairs, in order, repeated keys kept.
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

impl Call<'_> {
    /// Every value given for a query key.
    pub(crate) fn all(&self, key: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The last value given for a query key (Spring and FastAPI both take one).
    pub(crate) fn one(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A vendor's answer, before it becomes an HTTP response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(HeaderName, String)>,
    pub(crate) body: ReplyBody,
    /// Whether handling the request changed the state.
    pub(crate) wrote: bool,
}

#[derive(Debug)]
pub(crate) enum ReplyBody {
    Empty,
    Json(Value),
    Text(&'static str, String),
}

impl Reply {
    pub(crate) fn json(status: StatusCode, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Json(body),
            wrote: false,
        }
    }

    pub(crate) fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Empty,
            wrote: false,
        }
    }

    pub(crate) fn text(status: StatusCode, content_type: &'static str, body: String) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Text(content_type, body),
            wrote: false,
        }
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers
            .push((HeaderName::from_static(name), value.into()));
        self
    }

    pub(crate) fn wrote(mut self) -> Reply {
        self.wrote = true;
        self
    }

    pub(crate) fn into_response(self) -> Response {
        let mut resp = match self.body {
            ReplyBody::Empty => Response::new(Body::empty()),
            ReplyBody::Json(v) => {
                let mut r = Response::new(Body::from(v.to_string()));
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                r
            }
            ReplyBody::Text(ct, s) => {
                let mut r = Response::new(Body::from(s));
                r.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
                r
            }
        };
        *resp.status_mut() = self.status;
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().append(name, v);
            }
        }
        resp
    }
}

/// One line of the request log (`GET /__sandbox/log`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LogEntry {
    /// 1-based position in the log.
    pub(crate) seq: u64,
    pub(crate) vendor: Vendor,
    pub(crate) method: String,
    pub(crate) path: String,
    /// The raw query string ("" when none).
    pub(crate) query: String,
    /// The status sent; null when the connection was dropped instead.
    pub(crate) status: Option<u16>,
    /// Whether the request changed the state.
    pub(crate) wrote: bool,
    /// The injected fault or limit, if any: error, throttle, throttle200,
    /// reset_before, reset_after, rate_limited.
    pub(crate) fault: Option<&'static str>,
    /// The JSON body of a non-GET request (null when absent or not JSON).
    pub(crate) body: Option<Value>,
}
