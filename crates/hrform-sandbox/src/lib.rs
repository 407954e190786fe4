//! The sandbox: a stateful, in-memory emulator of the Clockify and Connecteam
//! APIs, served over real HTTP on one address.
//!
//! It owns everything behind `hrform sandbox` and `--sandbox SEED`: the seed
//! fixture (`seed`), the emulated world (`state`), each vendor's endpoints
//! (`clockify`, `connecteam`: the only places that know the vendors' paths and
//! JSON), rate limits (`rate`), fault injection (`faults`), the inspection
//! endpoints under `/__sandbox/` (`inspect`) and the HTTP plumbing (`server`).
//! It shares no wire types with the API clients in `providers`, on purpose:
//! both are written from the API documents, so each checks the other.
//!
//! Clockify is served under `{base_url}/api` (paths `/v1/...`), Connecteam
//! under `{base_url}` (paths `/users/v1/...`, `/time-off/v1/...`).

mod clockify;
mod connecteam;
mod exchange;
mod faults;
mod inspect;
mod rate;
mod seed;
mod server;
mod state;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use tokio::sync::oneshot;

pub use faults::{FaultSpecError, Faults};
pub use rate::{Rate, RateLimits, RateSpecError};
pub use seed::*;

use exchange::Shared;
use server::{ConnMeta, KillableListener};

/// How the sandbox misbehaves on purpose. `Default` is a well-behaved sandbox.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// Injected faults (`--faults`).
    pub faults: Faults,
    /// Enforced rate limits (`--rate`).
    pub rate: RateLimits,
}

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The background runtime could not be built.
    #[error("cannot start the sandbox runtime: {0}")]
    Runtime(std::io::Error),
}

/// A running sandbox on the current tokio runtime. Dropping it stops it.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Sandbox {
    /// Start serving `seed` on 127.0.0.1 at a free port.
    pub async fn start(seed: Seed, options: Options) -> Result<Sandbox, SandboxError> {
        Self::start_on(seed, options, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Start serving `seed` on `addr` (port 0 picks a free port).
    pub async fn start_on(
        seed: Seed,
        options: Options,
        addr: SocketAddr,
    ) -> Result<Sandbox, SandboxError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let shared = Arc::new(Shared::new(seed, options));
        let app = Router::new()
            .fallback(server::handle)
            .with_state(shared)
            .into_make_service_with_connect_info::<ConnMeta>();
        let (tx, rx) = oneshot::channel::<()>();
        let serve =
            axum::serve(KillableListener::new(listener), app).with_graceful_shutdown(async move {
                let _ = rx.await;
            });
        let task = tokio::spawn(async move {
            if let Err(err) = serve.await {
                tracing::error!(target: "hrform::sandbox", "sandbox server failed: {err}");
            }
        });
        Ok(Sandbox {
            addr: local,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// Start on a background thread with its own tokio runtime, for sync
    /// callers. The sandbox stops when the handle is dropped.
    pub fn start_in_thread(seed: Seed, options: Options) -> Result<SandboxHandle, SandboxError> {
        Self::start_in_thread_on(seed, options, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
    }

    /// [`Sandbox::start_in_thread`] on a chosen address.
    pub fn start_in_thread_on(
        seed: Seed,
        options: Options,
        addr: SocketAddr,
    ) -> Result<SandboxHandle, SandboxError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("hrform-sandbox")
            .enable_all()
            .build()
            .map_err(SandboxError::Runtime)?;
        let sandbox = runtime.block_on(Sandbox::start_on(seed, options, addr))?;
        let addr = sandbox.addr();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("hrform-sandbox".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    // Wait for the handle to drop, off the async workers.
                    let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
                    sandbox.stop().await;
                });
            })
            .map_err(SandboxError::Runtime)?;
        Ok(SandboxHandle {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where a Clockify client points: under `/api` (the sandbox's URL
    /// layout is written here and in [`Sandbox::connecteam_base_url`] only).
    pub fn clockify_base_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// Where a Connecteam client points: the root.
    pub fn connecteam_base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stop serving and wait for the server task to end.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            // Graceful shutdown waits for open connections; don't wait forever.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), task).await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A sandbox running on its own thread; stops when dropped.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SandboxHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The request log (`/__sandbox/log`), one JSON object per request:
    /// the one log reader the tests and benchmarks share.
    #[doc(hidden)]
    pub fn log(&self) -> Vec<serde_json::Value> {
        let body = self.inspect(reqwest::Method::GET, "log");
        body["entries"].as_array().cloned().unwrap_or_default()
    }

    /// Empty the request log.
    #[doc(hidden)]
    pub fn clear_log(&self) {
        self.inspect(reqwest::Method::DELETE, "log");
    }

    /// The whole state (`/__sandbox/state`) as JSON.
    #[doc(hidden)]
    pub fn state(&self) -> serde_json::Value {
        self.inspect(reqwest::Method::GET, "state")
    }

    /// One inspection call, blocking (for tests and benchmarks, which are
    /// not async); panics when the sandbox cannot answer.
    fn inspect(&self, method: reqwest::Method, what: &str) -> serde_json::Value {
        let url = format!("{}/__sandbox/{what}", self.base_url());
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for one request")
            .block_on(async {
                let reply = reqwest::Client::new().request(method, &url).send().await?;
                let text = reply.text().await?;
                Ok::<_, reqwest::Error>(
                    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
                )
            })
            .expect("the sandbox answers its inspection calls")
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Ctrl-C, or SIGTERM on Unix.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
