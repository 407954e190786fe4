//! The HTTP machinery under both emulated APIs.
//!
//! This module owns the listener (whose connections can be dropped on
//! purpose, for the reset fault), the single request handler that routes by
//! path prefix to a vendor, reads the body under the 1 MiB limit, applies
//! latency, rate limits and faults in that order, and writes the request log.
//! It knows no vendor JSON: replies are built by `clockify.rs` and
//! `connecteam.rs` and carried as [`Reply`] values.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::Options;
use super::faults::{Fault, FaultState};
use super::rate::RateState;
use super::seed::Seed;
use super::state::World;
use super::{clockify, connecteam, inspect};

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
    fn of_path(path: &str) -> Option<Vendor> {
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

// ------------------------------------------------------------- the handler --

/// The one handler behind every path.
pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnMeta>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let query: Vec<(String, String)> = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();

    if path == "/__sandbox" || path.starts_with("/__sandbox/") {
        return inspect::handle(&shared, &parts.method, &path, &query).into_response();
    }
    let Some(vendor) = Vendor::of_path(&path) else {
        return Reply::text(StatusCode::NOT_FOUND, "text/plain", "Not Found".to_owned())
            .into_response();
    };

    let mut ex = Exchange {
        shared: &shared,
        conn: &conn,
        vendor,
        method: &parts.method,
        path: &path,
        query: &raw_query,
        body: None,
    };
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let reply = match vendor {
                Vendor::Clockify => clockify::too_large(),
                Vendor::Connecteam => connecteam::too_large(),
            };
            return ex.finish(reply, None);
        }
    };
    if parts.method != Method::GET && !bytes.is_empty() {
        ex.body = serde_json::from_slice::<Value>(&bytes).ok();
    }

    let latency = shared.options.faults.latency_ms;
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }

    // Rate limits first: a request over the limit is not processed.
    let ct_verdict = match vendor {
        Vendor::Clockify => {
            if !lock(&shared.rate).clockify() {
                return ex.finish(clockify::throttled(), Some("rate_limited"));
            }
            None
        }
        Vendor::Connecteam => {
            let verdict = lock(&shared.rate).connecteam();
            if !verdict.allowed {
                let reply = connecteam::rate_headers(
                    connecteam::throttled(&shared, verdict.connecteam),
                    verdict.connecteam,
                );
                return ex.finish(reply, Some("rate_limited"));
            }
            verdict.connecteam
        }
    };

    let fault = lock(&shared.faults).draw(vendor == Vendor::Connecteam, parts.method.as_str());
    let with_headers = |reply: Reply| match vendor {
        Vendor::Connecteam => connecteam::rate_headers(reply, ct_verdict),
        Vendor::Clockify => reply,
    };
    let early = match fault {
        Some(Fault::ServerError(status)) => Some(match vendor {
            Vendor::Clockify => clockify::server_error(status),
            Vendor::Connecteam => connecteam::server_error(status),
        }),
        Some(Fault::Throttle) => Some(match vendor {
            Vendor::Clockify => clockify::throttled(),
            Vendor::Connecteam => connecteam::throttled(&shared, ct_verdict),
        }),
        Some(Fault::Throttle200) => Some(connecteam::throttled_200(&shared)),
        Some(Fault::ResetBefore) => {
            conn.kill();
            Some(Reply::empty(StatusCode::INTERNAL_SERVER_ERROR))
        }
        Some(Fault::ResetAfter) | None => None,
    };
    if let Some(reply) = early {
        return ex.finish(with_headers(reply), fault.map(Fault::name));
    }

    let reply = {
        // Segments are percent-decoded, as a real server's router does: an
        // id sent encoded (`..%2Fx`) is one segment holding `../x`.
        let decoded: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
        let call = Call {
            method: &parts.method,
            segments: match vendor {
                Vendor::Clockify => segments.get(1..).map(<[&str]>::to_vec).unwrap_or_default(),
                Vendor::Connecteam => segments,
            },
            path: &path,
            query,
            headers: &parts.headers,
            body: &bytes,
        };
        let mut world = lock(&shared.world);
        match vendor {
            Vendor::Clockify => clockify::handle(&mut world, &call),
            Vendor::Connecteam => connecteam::handle(&mut world, &call),
        }
    };
    if fault == Some(Fault::ResetAfter) {
        conn.kill();
    }
    ex.finish(with_headers(reply), fault.map(Fault::name))
}

/// One exchange being handled: what the log needs to know about it.
struct Exchange<'a> {
    shared: &'a Shared,
    conn: &'a ConnMeta,
    vendor: Vendor,
    method: &'a Method,
    path: &'a str,
    query: &'a str,
    body: Option<Value>,
}

impl Exchange<'_> {
    /// Log the exchange and turn the reply into a response (which hyper
    /// fails to send when the connection was killed: the client sees a drop).
    fn finish(self, reply: Reply, fault: Option<&'static str>) -> Response {
        let dropped = self.conn.killed();
        {
            let mut log = lock(&self.shared.log);
            let seq = u64::try_from(log.len())
                .unwrap_or(u64::MAX)
                .saturating_add(1);
            log.push(LogEntry {
                seq,
                vendor: self.vendor,
                method: self.method.to_string(),
                path: self.path.to_owned(),
                query: self.query.to_owned(),
                status: (!dropped).then_some(reply.status.as_u16()),
                wrote: reply.wrote,
                fault,
                body: self.body,
            });
        }
        tracing::debug!(
            target: "hrform::sandbox",
            "{} {}{}{} -> {}{}",
            self.method,
            self.path,
            if self.query.is_empty() { "" } else { "?" },
            self.query,
            if dropped { "dropped".to_owned() } else { reply.status.as_u16().to_string() },
            fault.map(|f| format!(" ({f})")).unwrap_or_default(),
        );
        reply.into_response()
    }
}

// -------------------------------------------------------------- connections --

/// Per-connection information handed to the handler: the peer and a switch
/// that makes the connection fail its next read or write, which drops it.
#[derive(Debug, Clone)]
pub(crate) struct ConnMeta {
    #[allow(dead_code)]
    pub(crate) peer: SocketAddr,
    kill: Arc<AtomicBool>,
}

impl ConnMeta {
    fn kill(&self) {
        self.kill.store(true, Ordering::SeqCst);
    }

    fn killed(&self) -> bool {
        self.kill.load(Ordering::SeqCst)
    }
}

/// A TCP listener whose connections carry a kill switch.
#[derive(Debug)]
pub(crate) struct KillableListener {
    inner: TcpListener,
}

impl KillableListener {
    pub(crate) fn new(inner: TcpListener) -> Self {
        Self { inner }
    }
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = ConnMeta;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let kill = Arc::new(AtomicBool::new(false));
                    return (
                        KillableStream {
                            inner: stream,
                            kill: kill.clone(),
                        },
                        ConnMeta { peer, kill },
                    );
                }
                // Out of file descriptors and the like: wait, as axum does.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(ConnMeta {
            peer: self.inner.local_addr()?,
            kill: Arc::new(AtomicBool::new(false)),
        })
    }
}

impl axum::extract::connect_info::Connected<IncomingStream<'_, KillableListener>> for ConnMeta {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP stream that fails every read and write once killed, so hyper
/// abandons the connection without sending the response.
#[derive(Debug)]
pub(crate) struct KillableStream {
    inner: TcpStream,
    kill: Arc<AtomicBool>,
}

fn dropped() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "sandbox fault: connection dropped",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
