//! The transport of one provider: its endpoint and API key, the shared
//! reqwest client, the read-only [`Reader`] and apply's [`Writer`], and the
//! request loop that sends a call, reads its answer (bounded, the key
//! masked) and asks [`super::retry`] what to do next.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use backon::BackoffBuilder as _;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret as _, SecretString};

use super::rate::{Rate, Throttle};
use super::retry::{self, Attempt, Decision, Outcome, Policy, Transport};
use super::{
    CALL_DEADLINE, Failure, MAX_ATTEMPTS, MAX_BODY_BYTES, ProviderError, REQUEST_TIMEOUT, Reply,
    Tree, WRITES_HALTED, Wire, describe,
};
use crate::apply::WriteAccess;
use crate::manifest::checked;
use crate::model::Method;

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
/// The backoff scale the context read ([`super::BACKOFF_SCALE_ENV`]), set once at
/// the edge (see [`set_backoff_scale`]): a provider client is made deep in
/// the plan, far from the context.
static BACKOFF_SCALE: std::sync::OnceLock<f64> = std::sync::OnceLock::new();

/// Set the backoff scale from the context, once per process (a number in
/// (0, 1]; anything else, or no call at all, is 1).
pub(crate) fn set_backoff_scale(scale: Option<f64>) {
    if let Some(scale) = scale.filter(|f| f.is_finite() && *f > 0.0 && *f <= 1.0) {
        let _ = BACKOFF_SCALE.set(scale);
    }
}

/// The backoff scale for a provider at `base` (1 unless one was set and
/// `base` is a loopback host).
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
    BACKOFF_SCALE.get().copied().unwrap_or(1.0)
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
    /// What error messages say about the provider's tree.
    tree: Tree,
    throttle: Throttle,
    calls: AtomicUsize,
    /// The retry policy; its scale, the factor applied to every retry wait
    /// and the call deadline ([`super::BACKOFF_SCALE_ENV`]).
    policy: Policy,
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
    pub(crate) fn new(
        endpoint: &Endpoint,
        wire: Wire,
        rate: Rate,
        tree: Tree,
    ) -> Result<Self, ProviderError> {
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
                tree,
                throttle: Throttle::new(rate, backoff_scale(&endpoint.base_url), wire.vendor),
                calls: AtomicUsize::new(0),
                policy: Policy {
                    scale: backoff_scale(&endpoint.base_url),
                    min_throttle_wait: wire.min_throttle_wait,
                },
            }),
        })
    }

    /// `d` shortened by the backoff scale ([`super::BACKOFF_SCALE_ENV`]).
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
        // Messages name the call by method and path only: a query can be
        // long and says little; it is logged (at `-v`) when the call fails.
        let call = describe(&method.to_string(), path, &[]);
        let full_call = describe(&method.to_string(), path, query);
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
            let turn = self.throttle.wait_turn(|d| self.scaled(d)).await;
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
            self.throttle.settle(&turn);
            // The attempt's error and outcome, for the retry policy.
            let (error, outcome) = match sent {
                Err(e) => {
                    let kind = if is_tls_failure(&e) {
                        Transport::Tls
                    } else if is_refused(&e) {
                        Transport::Refused
                    } else if e.is_connect() {
                        Transport::Connect
                    } else {
                        Transport::Lost
                    };
                    let error = ProviderError::Connection {
                        call: call.clone(),
                        message: without_url(&e),
                    };
                    (error, Outcome::Transport(kind))
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
                    self.throttle.note_window(&headers);
                    drop(turn);
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
                            Outcome::Transport(Transport::Lost),
                        ),
                        Ok(body) => {
                            let throttled = status.as_u16() == 429
                                || (status.is_success() && (self.wire.throttled_ok)(&body));
                            if status.is_success() && !throttled {
                                tracing::debug!(call = %full_call, status = status.as_u16(), "answered");
                                return Ok(Reply { headers, body });
                            }
                            let message = crate::escape::text(
                                &(self.wire.error_message)(&body).unwrap_or_else(|| excerpt(&body)),
                            )
                            .into_owned();
                            let code = (self.wire.error_code)(&body)
                                .map(|c| crate::escape::text(&c).into_owned());
                            tracing::info!(call = %full_call, status = status.as_u16(), "error answer");
                            let error = ProviderError::Status {
                                explained: super::explain::message(
                                    &self.tree,
                                    self.wire.vendor,
                                    &call,
                                    status.as_u16(),
                                    code.as_deref(),
                                    &message,
                                ),
                                call: call.clone(),
                                status: status.as_u16(),
                                message,
                            };
                            let outcome = Outcome::Answer {
                                status: status.as_u16(),
                                throttled,
                                hint: retry::server_hint(&headers),
                            };
                            (error, outcome)
                        }
                    }
                }
            };
            let attempt = Attempt {
                number: attempts,
                idempotent,
                backoff: backoff.next(),
                left: deadline.saturating_duration_since(tokio::time::Instant::now()),
            };
            match retry::classify(&self.policy, &attempt, &outcome) {
                // Not reached: a success returned above, with its body.
                Decision::Accept => {
                    return Err(Failure {
                        error,
                        unclear: false,
                    });
                }
                Decision::Retry(delay) => {
                    tracing::debug!(%call, %error, ?delay, "retrying");
                    tokio::time::sleep(delay).await;
                }
                Decision::GiveUp { unclear } => return Err(Failure { error, unclear }),
                Decision::UnclearWrite => {
                    return Err(Failure {
                        error,
                        unclear: true,
                    });
                }
                Decision::OutOfTime { unclear } => {
                    let mut failure = out_of_time(Some(&error), attempts);
                    failure.unclear = unclear;
                    return Err(failure);
                }
            }
        }
    }

    /// `d` shortened by the backoff scale ([`super::BACKOFF_SCALE_ENV`]).
    fn scaled(&self, d: Duration) -> Duration {
        self.policy.scaled(d)
    }
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
mod tests {
    use super::*;

    #[test]
    fn the_key_is_masked_in_answers() {
        let mut body = br#"{"message":"key sk-live-123456 is invalid; sk-live-123456"}"#.to_vec();
        mask_key(&mut body, "sk-live-123456");
        assert_eq!(body, br#"{"message":"key ******** is invalid; ********"}"#);
        let mut body = b"a b c".to_vec();
        mask_key(&mut body, "a");
        assert_eq!(body, b"a b c", "keys under 8 bytes are not masked");
    }
}
