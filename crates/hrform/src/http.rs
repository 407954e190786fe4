//! HTTP for the provider clients: one shared reqwest client (rustls) per
//! provider, the API key in a header marked sensitive, client-side
//! throttling at the provider's declared rate, and retries with backoff and
//! jitter for reads on 429, 5xx, throttling 200s and connection errors.
//!
//! It knows no vendor's paths or JSON: each provider hands it a [`Wire`]
//! saying which header carries the key, how to read an error body and how a
//! throttling 200 looks. [`Reader`] can only GET: the plan phase holds
//! nothing that can write. [`Writer`], made from a reader by apply, shares
//! its throttle; its constructor takes a [`WriteAccess`], a token only
//! `crate::apply` makes.
//!
//! May import: `crate::model` (`Method`), `crate::manifest::checked` (the
//! provider's URL and key variable), `crate::escape`, and from `apply` only
//! the [`WriteAccess`] type; never `providers`, `plan` or `commands`.
//!
//! Nothing a server does makes a call unbounded: a call, its retries and
//! their waits included, ends within [`CALL_DEADLINE`] of its first send,
//! and a body is read up to [`MAX_BODY_BYTES`]. Against a loopback host
//! (the sandbox), [`BACKOFF_SCALE_ENV`] shortens every retry wait.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use backon::BackoffBuilder as _;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret as _, SecretString};

use crate::apply::WriteAccess;
use crate::manifest::checked;
use crate::model::Method;

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
    /// The API answered with an error status.
    #[error("{call} failed: HTTP {status}: {message}")]
    Status {
        call: String,
        status: u16,
        message: String,
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

/// Where and how to reach a provider: its base URL and key. Normally from
/// the manifest and the environment; `--sandbox` overrides both.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub base_url: url::Url,
    pub key: SecretString,
}

impl Endpoint {
    /// The manifest's base URL and the key from the variable it names.
    pub(crate) fn from_config(provider: &checked::Provider) -> Result<Self, ProviderError> {
        let missing = |why| ProviderError::MissingKey {
            provider: provider.name.clone(),
            env: provider.api_key_env.clone(),
            why,
        };
        let key = match std::env::var(&provider.api_key_env) {
            Ok(k) if k.trim().is_empty() => return Err(missing("is empty")),
            Ok(k) => k,
            Err(std::env::VarError::NotPresent) => return Err(missing("is not set")),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(missing("is not valid UTF-8"));
            }
        };
        Ok(Self {
            base_url: provider.base_url.clone(),
            key: SecretString::from(key),
        })
    }
}

/// How long one request may take before it counts as a connection failure.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts per read, the first included.
const MAX_ATTEMPTS: usize = 10;
/// The longest hrform waits for a server-announced reset before retrying.
const MAX_SERVER_WAIT: Duration = Duration::from_secs(65);
/// The longest one call may take, its retries and their waits included.
pub(crate) const CALL_DEADLINE: Duration = Duration::from_secs(180);
/// The largest response body hrform reads (a Clockify users page of 5,000
/// is about 10 MB); a longer one is an error, and reading it stops there.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// The variable that shortens every wait of the retry logic (backoff, the
/// least throttle wait, server-announced waits) and the call deadline, for
/// test and benchmark runs against the sandbox: a factor in (0, 1],
/// honoured only when the provider's base URL is a loopback host.
pub(crate) const BACKOFF_SCALE_ENV: &str = "HRFORM_BACKOFF_SCALE";

/// The factor of [`BACKOFF_SCALE_ENV`] for a provider at `base` (1 unless
/// the variable holds a number in (0, 1] and `base` is a loopback host).
fn backoff_scale(base: &url::Url) -> f64 {
    let loopback = match base.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if !loopback {
        return 1.0;
    }
    std::env::var(BACKOFF_SCALE_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|f| f.is_finite() && *f > 0.0 && *f <= 1.0)
        .unwrap_or(1.0)
}

/// Attempts when the connection is refused: nothing listens there, and
/// minutes of backoff will not change that.
const REFUSED_ATTEMPTS: usize = 2;

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
    /// The header that carries the API key.
    pub auth_header: &'static str,
    /// The human message inside an error body, if the vendor's shape is found.
    pub error_message: fn(&[u8]) -> Option<String>,
    /// Whether a 200 body is really a throttle (Connecteam's quirk).
    pub throttled_ok: fn(&[u8]) -> bool,
    /// The least wait after a 429 (Clockify's CloudFront sends no hint).
    pub min_throttle_wait: Duration,
}

/// The client-side throttle: requests per second or per minute.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rate {
    PerSecond(f64),
    PerMinute(u32),
}

impl Rate {
    /// Per second: evenly spaced, no burst, so no window of one second ever
    /// holds more than the rate (Clockify sends no headers to steer by, and
    /// answers an excess with a bare 429). Per minute: the whole minute's
    /// allowance may go at once; Connecteam's `x-ratelimit-minute-remaining`
    /// and `-reset` headers then hold the client until its window resets.
    fn quota(self) -> Quota {
        match self {
            Rate::PerSecond(rps) => {
                let rps = if rps.is_finite() && rps > 0.0 {
                    rps
                } else {
                    1.0
                };
                Duration::try_from_secs_f64(1.0 / rps)
                    .ok()
                    .and_then(Quota::with_period)
                    .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                    .allow_burst(NonZeroU32::MIN)
            }
            Rate::PerMinute(n) => Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)),
        }
    }
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

/// What one provider's requests share: the client, key, throttle and
/// call count. Readers and writers of one provider hold the same one, so
/// reads made during apply count against the same rate.
struct Inner {
    client: reqwest::Client,
    /// The base URL without a trailing slash.
    base: String,
    key: SecretString,
    wire: Wire,
    limiter: DefaultDirectRateLimiter,
    /// Set when the server says its window is spent: wait until then.
    not_before: Mutex<Option<SystemTime>>,
    calls: AtomicUsize,
    /// The factor applied to every retry wait and the call deadline
    /// ([`BACKOFF_SCALE_ENV`]).
    scale: f64,
}

/// Why a request failed, and whether it may have taken effect.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: ProviderError,
    /// The request may have been applied (a dropped connection after it was
    /// sent, a timeout, a 5xx): read the live value before sending it again.
    pub unclear: bool,
}

/// A read-only HTTP client for one provider: it can only GET.
pub(crate) struct Reader {
    inner: Arc<Inner>,
}

/// The writing side of a provider's client, for apply only.
pub(crate) struct Writer {
    inner: Arc<Inner>,
}

impl Reader {
    pub(crate) fn new(endpoint: &Endpoint, wire: Wire, rate: Rate) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            // A redirect would carry the key header and the body to whatever
            // origin it names: never follow one (see `redirect`).
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hrform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Connection {
                call: "building the HTTP client".into(),
                message: e.to_string(),
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                base: endpoint.base_url.as_str().trim_end_matches('/').to_owned(),
                key: endpoint.key.clone(),
                wire,
                limiter: RateLimiter::direct(rate.quota()),
                not_before: Mutex::new(None),
                calls: AtomicUsize::new(0),
                scale: backoff_scale(&endpoint.base_url),
            }),
        })
    }

    /// `d` shortened by the backoff scale ([`BACKOFF_SCALE_ENV`]).
    pub(crate) fn scaled(&self, d: Duration) -> Duration {
        self.inner.scaled(d)
    }

    /// How many requests were sent, retries included.
    pub(crate) fn calls(&self) -> usize {
        self.inner.calls.load(Ordering::Relaxed)
    }

    /// `GET path?query`, retried on throttling, server errors and
    /// connection failures; any other non-2xx answer is an error naming the
    /// call and what the API said.
    pub(crate) async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Reply, ProviderError> {
        self.inner
            .request(Method::Get, path, query, None, true)
            .await
            .map_err(|f| f.error)
    }
}

impl Writer {
    /// The writer sharing `reader`'s client, key and throttle; only with
    /// apply's [`WriteAccess`].
    pub(crate) fn for_apply(reader: &Reader, _access: WriteAccess) -> Self {
        Self {
            inner: Arc::clone(&reader.inner),
        }
    }

    /// Send one write. Throttled requests (429, a throttling 200) were not
    /// processed and are always retried. Server errors and dropped
    /// connections are retried only when `idempotent`; otherwise the
    /// failure comes back marked unclear, for the caller to read the live
    /// value before anything is sent again.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        idempotent: bool,
    ) -> Result<Reply, Failure> {
        if let Some(reason) = WRITES_HALTED.get() {
            return Err(Failure {
                error: ProviderError::Connection {
                    call: describe(&method.to_string(), path, &[]),
                    message: reason.clone(),
                },
                unclear: false,
            });
        }
        self.inner
            .request(method, path, &[], body, idempotent)
            .await
    }
}

impl Inner {
    async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
        idempotent: bool,
    ) -> Result<Reply, Failure> {
        let call = describe(&method.to_string(), path, query);
        // From the first send: time queued behind the client-side throttle
        // before it is not the server's doing.
        let mut deadline: Option<tokio::time::Instant> = None;
        let mut backoff = backon::ExponentialBuilder::default()
            .with_min_delay(self.scaled(Duration::from_millis(250)))
            .with_max_delay(self.scaled(Duration::from_secs(20)))
            .with_jitter()
            .with_max_times(MAX_ATTEMPTS - 1)
            .build();
        let mut attempts = 0usize;
        // The failure a passed deadline reports: the call, the bound, and
        // the last thing that went wrong.
        let out_of_time = |last: Option<&ProviderError>, attempts: usize| Failure {
            error: ProviderError::Bound {
                call: call.clone(),
                message: format!(
                    "no answer within the call's deadline of {:.1}s (retries included) after {attempts} attempt(s){}",
                    self.scaled(CALL_DEADLINE).as_secs_f64(),
                    last.map_or_else(String::new, |e| format!("; last: {e}"))
                ),
            },
            // A write may have gone through on an attempt that timed out.
            unclear: method != Method::Get && attempts > 0,
        };
        loop {
            self.wait_turn().await;
            let deadline = *deadline
                .get_or_insert_with(|| tokio::time::Instant::now() + self.scaled(CALL_DEADLINE));
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Err(out_of_time(None, attempts));
            }
            attempts += 1;
            self.calls.fetch_add(1, Ordering::Relaxed);
            let mut auth =
                HeaderValue::from_str(self.key.expose_secret()).map_err(|_| Failure {
                    error: ProviderError::Connection {
                        call: call.clone(),
                        message: "the API key contains characters a header cannot carry".into(),
                    },
                    unclear: false,
                })?;
            auth.set_sensitive(true);
            let url = format!("{}{path}", self.base);
            let request = match method {
                Method::Get => self.client.get(url),
                Method::Put => self.client.put(url),
                Method::Patch => self.client.patch(url),
                Method::Post => self.client.post(url),
                Method::Delete => self.client.delete(url),
            };
            let mut request = request
                .query(query)
                .header(self.wire.auth_header, auth)
                .timeout(left.min(REQUEST_TIMEOUT));
            if let Some(body) = body {
                request = request.json(body);
            }
            let sent = request.send().await;
            // (error, whether it may have been applied, server's wait hint)
            let (error, unclear, server_wait) = match sent {
                Err(e) => {
                    let error = ProviderError::Connection {
                        call: call.clone(),
                        message: without_url(&e),
                    };
                    // A certificate or handshake failure, or a refused
                    // connection tried twice, is not going to heal.
                    if is_tls_failure(&e) || (is_refused(&e) && attempts >= REFUSED_ATTEMPTS) {
                        return Err(Failure {
                            error,
                            unclear: false,
                        });
                    }
                    // Refused connections never reached the server.
                    (error, !e.is_connect(), None)
                }
                Ok(response) if response.status().is_redirection() => {
                    return Err(Failure {
                        error: redirect(&call, &response),
                        unclear: false,
                    });
                }
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    self.note_window(&headers);
                    match read_body(response, MAX_BODY_BYTES, self.key.expose_secret()).await {
                        Err(BodyError::TooLong) => {
                            return Err(Failure {
                                error: ProviderError::Bound {
                                    call: call.clone(),
                                    message: format!(
                                        "the response body is longer than the {} MiB hrform reads",
                                        MAX_BODY_BYTES / (1024 * 1024)
                                    ),
                                },
                                unclear: method != Method::Get,
                            });
                        }
                        Err(BodyError::Read(e)) => (
                            ProviderError::Connection {
                                call: call.clone(),
                                message: without_url(&e),
                            },
                            true,
                            None,
                        ),
                        Ok(body) => {
                            let throttled = status.as_u16() == 429
                                || (status.is_success() && (self.wire.throttled_ok)(&body));
                            if status.is_success() && !throttled {
                                tracing::debug!(%call, status = status.as_u16(), "answered");
                                return Ok(Reply { headers, body });
                            }
                            let error = ProviderError::Status {
                                call: call.clone(),
                                status: status.as_u16(),
                                message: crate::escape::text(
                                    &(self.wire.error_message)(&body)
                                        .unwrap_or_else(|| excerpt(&body)),
                                )
                                .into_owned(),
                            };
                            if !(throttled || status.is_server_error()) {
                                return Err(Failure {
                                    error,
                                    unclear: false,
                                });
                            }
                            let least = self.scaled(self.wire.min_throttle_wait);
                            let wait = if throttled {
                                Some(
                                    server_hint(&headers)
                                        .map(|w| self.scaled(w))
                                        .map_or(least, |w| w.max(least)),
                                )
                            } else {
                                server_hint(&headers).map(|w| self.scaled(w))
                            };
                            (error, !throttled, wait)
                        }
                    }
                }
            };
            if unclear && !idempotent {
                return Err(Failure {
                    error,
                    unclear: true,
                });
            }
            let Some(delay) = backoff.next() else {
                return Err(Failure { error, unclear });
            };
            let delay =
                server_wait.map_or(delay, |w| w.min(self.scaled(MAX_SERVER_WAIT)).max(delay));
            if tokio::time::Instant::now() + delay >= deadline {
                let mut failure = out_of_time(Some(&error), attempts);
                failure.unclear = unclear;
                return Err(failure);
            }
            tracing::debug!(%call, %error, ?delay, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// `d` shortened by the backoff scale ([`BACKOFF_SCALE_ENV`]).
    fn scaled(&self, d: Duration) -> Duration {
        if self.scale < 1.0 {
            d.mul_f64(self.scale)
        } else {
            d
        }
    }

    /// Wait for the client-side throttle and any server-announced reset.
    async fn wait_turn(&self) {
        let until = *self.not_before.lock().expect("not_before lock");
        if let Some(until) = until
            && let Ok(wait) = until.duration_since(SystemTime::now())
        {
            tokio::time::sleep(self.scaled(wait.min(MAX_SERVER_WAIT))).await;
        }
        self.limiter.until_ready().await;
    }

    /// Connecteam says how much of its minute is left: when nothing is,
    /// hold every request until the window resets (at most
    /// [`MAX_SERVER_WAIT`] from now).
    fn note_window(&self, headers: &HeaderMap) {
        if let Some(wait) = window_wait(headers) {
            *self.not_before.lock().expect("not_before lock") = Some(SystemTime::now() + wait);
        }
    }
}

/// A whole number of seconds in a header value: digits only (no sign, no
/// fraction, no exponent), anything past `u64::MAX` saturating; `None`
/// for anything else. Never panics, whatever the bytes.
fn header_seconds(headers: &HeaderMap, name: &str) -> Option<u64> {
    let v = headers.get(name)?.to_str().ok()?.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(v.parse::<u64>().unwrap_or(u64::MAX))
}

/// The wait until the Unix time `reset` (seconds), in [0, [`MAX_SERVER_WAIT`]]:
/// integer arithmetic that saturates, so no reset can overflow a clock.
fn until_unix(reset: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    Duration::from_secs(reset.saturating_sub(now).min(MAX_SERVER_WAIT.as_secs()))
}

/// Connecteam's window: the wait until `x-ratelimit-minute-reset` when
/// `x-ratelimit-minute-remaining` is 0 (clamped like every server wait).
fn window_wait(headers: &HeaderMap) -> Option<Duration> {
    if header_seconds(headers, "x-ratelimit-minute-remaining") != Some(0) {
        return None;
    }
    header_seconds(headers, "x-ratelimit-minute-reset").map(until_unix)
}

/// Why a body could not be read.
enum BodyError {
    /// Longer than the cap: reading stopped there.
    TooLong,
    Read(reqwest::Error),
}

/// The whole body, read chunk by chunk up to `cap` bytes, with every
/// occurrence of `key` masked (see [`mask_key`]).
async fn read_body(
    mut response: reqwest::Response,
    cap: usize,
    key: &str,
) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(BodyError::TooLong);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if body.len() + chunk.len() > cap {
            return Err(BodyError::TooLong);
        }
        body.extend_from_slice(&chunk);
    }
    mask_key(&mut body, key);
    Ok(body)
}

/// The shortest API key masked in answers: a shorter one would mask
/// ordinary text (no vendor issues keys this short).
const MIN_MASKED_KEY: usize = 8;

/// Every occurrence of the API key in a server's answer replaced by
/// `********`, before anything reads it: an error message that quotes the
/// key, or a name or note holding it, then reaches no output, journal or
/// plan file, whatever prints it. (Only the key as sent is found; a
/// JSON-escaped spelling of it is not.)
fn mask_key(body: &mut Vec<u8>, key: &str) {
    let key = key.as_bytes();
    if key.len() < MIN_MASKED_KEY || !body.windows(key.len()).any(|w| w == key) {
        return;
    }
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i..].starts_with(key) {
            out.extend_from_slice(b"********");
            i += key.len();
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    *body = out;
}

/// `Retry-After` (seconds or an HTTP date) or Connecteam's minute reset,
/// clamped to [`MAX_SERVER_WAIT`]: a number too large, negative, fractional
/// or not a number is no hint (or the longest wait, when too large).
fn server_hint(headers: &HeaderMap) -> Option<Duration> {
    if let Some(secs) = header_seconds(headers, "retry-after") {
        return Some(Duration::from_secs(secs.min(MAX_SERVER_WAIT.as_secs())));
    }
    if let Some(at) = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v.trim()).ok())
    {
        return Some(
            at.duration_since(SystemTime::now())
                .unwrap_or_default()
                .min(MAX_SERVER_WAIT),
        );
    }
    header_seconds(headers, "x-ratelimit-minute-reset").map(until_unix)
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

/// A reqwest error's message without its URL (the call is named already).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "connection failed"
    };
    match causes(e).last().map(|s| s.to_string()) {
        Some(d) => format!("{kind}: {d}"),
        None => kind.to_owned(),
    }
}

/// A 3xx answer as an error: the call, the status and the origin the
/// `Location` names (scheme, host and port: never its path or query, which
/// may carry anything), so the user sees where the key would have gone.
fn redirect(call: &str, response: &reqwest::Response) -> ProviderError {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|l| match response.url().join(l) {
            Ok(to) => origin(&to),
            Err(_) => "an unreadable Location".to_owned(),
        });
    ProviderError::Redirect {
        call: call.to_owned(),
        status: response.status().as_u16(),
        location: location.unwrap_or_else(|| "no Location".to_owned()),
    }
}

/// `scheme://host:port` of `url`, the port always written.
fn origin(url: &url::Url) -> String {
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        Some(h) => h.to_string(),
        None => String::new(),
    };
    match url.port_or_known_default() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// The causes of a reqwest error, outermost first.
fn causes(e: &reqwest::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(std::error::Error::source(e), |s| s.source())
}

/// A TLS failure (a certificate the platform does not trust, a handshake
/// the server cannot complete): retrying cannot fix it. reqwest does not
/// expose rustls's error type, so it is recognised by its message.
fn is_tls_failure(e: &reqwest::Error) -> bool {
    e.is_connect()
        && causes(e).any(|s| {
            let m = s.to_string().to_ascii_lowercase();
            [
                "certificate",
                "handshake",
                "tls",
                "corrupt message",
                "peer sent",
            ]
            .iter()
            .any(|w| m.contains(w))
        })
}

/// Nothing listens at the address.
fn is_refused(e: &reqwest::Error) -> bool {
    e.is_connect()
        && causes(e).any(|s| {
            s.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        })
}

/// The start of a body that is not the vendor's error shape.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_owned();
    }
    let mut cut: String = text.chars().take(200).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod no_panic_tests {
    use super::*;
    use proptest::prelude::*;

    /// Header values a hostile server may send for a wait: huge, negative,
    /// fractional, exponents, dates, garbage.
    fn wait_value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            any::<i128>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| f.to_string()),
            Just("18446744073709551616".to_owned()),
            Just("9223372036854775808".to_owned()),
            Just("99999999999999999999999999999999999999999".to_owned()),
            Just("1e400".to_owned()),
            Just("Fri, 31 Dec 9999 23:59:59 GMT".to_owned()),
            "[ -~]{0,40}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// No value of `Retry-After`, `x-ratelimit-minute-reset` or
        /// `-remaining` panics, and every wait they yield is within
        /// `MAX_SERVER_WAIT`.
        #[test]
        fn rate_limit_headers_never_panic_and_stay_bounded(
            retry in proptest::option::of(wait_value()),
            reset in proptest::option::of(wait_value()),
            remaining in proptest::option::of(prop_oneof![Just("0".to_owned()), wait_value()]),
        ) {
            let mut headers = HeaderMap::new();
            for (name, v) in [
                ("retry-after", retry),
                ("x-ratelimit-minute-reset", reset),
                ("x-ratelimit-minute-remaining", remaining),
            ] {
                if let Some(v) = v.and_then(|v| HeaderValue::from_str(&v).ok()) {
                    headers.insert(name, v);
                }
            }
            for wait in [server_hint(&headers), window_wait(&headers)].into_iter().flatten() {
                prop_assert!(wait <= MAX_SERVER_WAIT, "{wait:?}");
            }
        }
    }

    #[test]
    fn the_key_is_masked_in_answers() {
        let mut body = br#"{"message":"key sk-live-123456 is invalid; sk-live-123456"}"#.to_vec();
        mask_key(&mut body, "sk-live-123456");
        assert_eq!(body, br#"{"message":"key ******** is invalid; ********"}"#);
        let mut body = b"a b c".to_vec();
        mask_key(&mut body, "a");
        assert_eq!(body, b"a b c", "keys under 8 bytes are not masked");
    }

    #[test]
    fn waits_past_any_clock_are_the_longest_wait() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "retry-after",
            HeaderValue::from_static("18446744073709551616"),
        );
        assert_eq!(server_hint(&headers), Some(MAX_SERVER_WAIT));
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-ratelimit-minute-remaining",
            HeaderValue::from_static("0"),
        );
        headers.insert(
            "x-ratelimit-minute-reset",
            HeaderValue::from_static("9223372036854775808"),
        );
        assert_eq!(window_wait(&headers), Some(MAX_SERVER_WAIT));
        assert_eq!(server_hint(&headers), Some(MAX_SERVER_WAIT));
        for garbage in ["-1", "1.5", "1e9", "soon", ""] {
            let mut headers = HeaderMap::new();
            headers.insert("retry-after", HeaderValue::from_str(garbage).unwrap());
            assert_eq!(server_hint(&headers), None, "{garbage:?}");
        }
    }
}
