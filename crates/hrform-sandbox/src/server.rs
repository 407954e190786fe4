//! The HTTP machinery under both emulated APIs.
//!
//! This module owns the listener (whose connections can be dropped on
//! purpose, for the reset fault), the single request handler that routes by
//! path prefix to a vendor, reads the body under the 1 MiB limit, applies
//! latency, rate limits and faults in that order, and writes the request log.
//! It knows no vendor JSON: replies are built by `clockify.rs` and
//! `connecteam.rs` and carried as [`Reply`] values (`exchange.rs`).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::exchange::{Call, LogEntry, MAX_BODY, Reply, Shared, Vendor, lock};
use super::faults::Fault;
use super::{clockify, connecteam, inspect};

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
