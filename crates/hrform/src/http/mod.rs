//! HTTP for the provider clients: one shared reqwest client (rustls) per
//! provider, the API key in a header marked sensitive, client-side
//! throttling at the provider's declared rate, and retries with backoff and
//! jitter for reads on 429, 5xx, throttling 200s and connection errors.
//!
//! It knows no vendor's paths or JSON: each provider hands it a [`Wire`]
//! saying which header carries the key, how to read an error body and how a
//! throttling 200 looks. [`Reader`] can only GET: the plan phase holds
//! nothing that can write. [`Writer`], made from a reader by apply, shares
//! its throttle; its constructor takes a [`crate::apply::WriteAccess`], a token only
//! `crate::apply` makes.
//!
//! May import: `crate::model` (`Method`), `crate::manifest::checked` (the
//! provider's URL and key variable), `crate::escape`, and from `apply` only
//! the `WriteAccess` type; never `providers`, `plan` or `commands`.
//!
//! Nothing a server does makes a call unbounded: a call, its retries and
//! their waits included, ends within [`CALL_DEADLINE`] of its first send,
//! and a body is read up to [`MAX_BODY_BYTES`]. Against a loopback host
//! (the sandbox), [`BACKOFF_SCALE_ENV`] shortens every retry wait.
//!
//! `transport` sends calls and reads answers, `retry` decides (purely)
//! what follows each attempt, `rate` spaces the requests in each vendor's
//! `window`, `explain` says what an error answer means for the tree.

pub(crate) mod explain;
mod rate;
mod retry;
mod transport;
mod window;

use std::time::Duration;

use reqwest::header::HeaderMap;

pub(crate) use explain::Tree;
pub(crate) use rate::Rate;
pub(crate) use transport::{Endpoint, Reader, Writer, set_backoff_scale};

/// Why talking to a provider failed. Messages name the call (method and
/// path, never the key) and what the API answered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProviderError {
    /// The environment variable that should hold the API key is unset,
    /// empty, or not UTF-8 (`why` says which).
    #[error("provider `{provider}`: the API key environment variable {env} {why}")]
    MissingKey {
        provider: String,
        env: String,
        why: &'static str,
    },
    /// The API answered with an error status: `explained` says what it
    /// means for the tree (see [`explain`]), `message` is what the vendor
    /// said.
    #[error("{explained}")]
    Status {
        call: String,
        status: u16,
        message: String,
        explained: String,
    },
    /// The API answered with a redirect, which hrform never follows: the
    /// key would go to the origin it names.
    #[error(
        "{call} failed: HTTP {status}: a redirect to {location}, which hrform never follows \
         (it would send the API key there); check the provider's base_url"
    )]
    Redirect {
        call: String,
        status: u16,
        location: String,
    },
    /// The connection failed or timed out (after retries).
    #[error("{call} failed: {message}")]
    Connection { call: String, message: String },
    /// The API answered something hrform cannot read.
    #[error("{call}: unexpected response: {message}")]
    Decode { call: String, message: String },
    /// A bound on server-driven work was reached (the call's deadline, the
    /// body size, the page cap, a page of nothing new).
    #[error("{call}: gave up: {message}")]
    Bound { call: String, message: String },
}
/// How long one request may take before it counts as a connection failure.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts per read, the first included.
const MAX_ATTEMPTS: usize = 10;
/// The longest one call may take, its retries and their waits included.
pub(crate) const CALL_DEADLINE: Duration = Duration::from_secs(180);
/// The largest response body hrform reads (a Clockify users page of 5,000
/// is about 10 MB); a longer one is an error, and reading it stops there.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// The variable that shortens every wait of the retry logic (backoff, the
/// least throttle wait, server-announced waits) and the call deadline, for
/// test and benchmark runs against the sandbox: a factor in (0, 1],
/// honoured only when the provider's base URL is a loopback host. Read
/// once by `crate::context`.
pub(crate) const BACKOFF_SCALE_ENV: &str = "HRFORM_BACKOFF_SCALE";
/// Why no write may be sent any more, once something said so (the journal
/// could not be written): every later write is refused unsent.
static WRITES_HALTED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Refuse every write from now on, for `reason` (kept: the first one).
pub(crate) fn halt_writes(reason: String) {
    let _ = WRITES_HALTED.set(reason);
}

/// What the HTTP layer must know about a vendor, supplied by its module.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wire {
    /// The HR system's name, for people to read (`Connecteam`).
    pub vendor: &'static str,
    /// The header that carries the API key.
    pub auth_header: &'static str,
    /// The human message inside an error body, if the vendor's shape is found.
    pub error_message: fn(&[u8]) -> Option<String>,
    /// The body's error code, as [`explain::TABLE`] keys it.
    pub error_code: fn(&[u8]) -> Option<String>,
    /// Whether a 200 body is really a throttle (Connecteam's quirk).
    pub throttled_ok: fn(&[u8]) -> bool,
    /// The least wait after a 429 (Clockify's CloudFront sends no hint).
    pub min_throttle_wait: Duration,
}
/// A successful response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// A header's value as text, if present and readable.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
/// Why a request failed, and whether it may have taken effect.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: ProviderError,
    /// The request may have been applied (a dropped connection after it was
    /// sent, a timeout, a 5xx): read the live value before sending it again.
    pub unclear: bool,
}
/// `GET /path?a=1&b=2`: how calls are named in messages and logs.
pub(crate) fn describe(method: &str, path: &str, query: &[(&str, String)]) -> String {
    let query = query_string(query);
    if query.is_empty() {
        format!("{method} {path}")
    } else {
        format!("{method} {path}?{query}")
    }
}

/// A query string, keys repeated for arrays, values percent-encoded.
pub(crate) fn query_string(query: &[(&str, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        s.append_pair(k, v);
    }
    s.finish()
}
