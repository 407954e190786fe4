//! Fault injection (`--faults error_rate=0.1,throttle_rate=0.05,...`), off by
//! default and reproducible from a seed.
//!
//! This module owns the `--faults` spec and the random draw that picks, for
//! each vendor request, at most one fault. What each fault looks like on the
//! wire is the vendors' business (`clockify.rs`, `connecteam.rs`); dropping
//! the connection is the server's (`server.rs`).

use std::str::FromStr;

use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};

/// Fault rates (each a probability per request) and added latency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// A 5xx (500, 502 or 503) instead of handling the request.
    pub error_rate: f64,
    /// A 429 in the vendor's style instead of handling the request.
    pub throttle_rate: f64,
    /// Connecteam only: a 200 with `{"detail":"Too many requests"}` instead
    /// of handling the request (Clockify requests drawing it get no fault).
    pub throttle200_rate: f64,
    /// A dropped connection: half before the request is handled, half after
    /// (so a write may have been applied though the client saw no response).
    pub reset_rate: f64,
    /// Latency added to every vendor response, in milliseconds.
    pub latency_ms: u64,
    /// The HTTP methods the fault rates apply to (all by default); a draw
    /// for another method is made and discarded, so the sequence of draws
    /// does not depend on this.
    pub methods: Methods,
    /// Seed of the random draws: the same seed and the same sequence of
    /// requests give the same faults.
    pub seed: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            error_rate: 0.0,
            throttle_rate: 0.0,
            throttle200_rate: 0.0,
            reset_rate: 0.0,
            latency_ms: 0,
            methods: Methods::ALL,
            seed: 0,
        }
    }
}

/// A set of HTTP methods, written `GET+POST` in a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Methods {
    pub get: bool,
    pub post: bool,
    pub put: bool,
    pub patch: bool,
}

impl Methods {
    pub const ALL: Methods = Methods {
        get: true,
        post: true,
        put: true,
        patch: true,
    };

    /// Whether `method` (upper case) is in the set.
    pub fn contains(self, method: &str) -> bool {
        match method {
            "GET" => self.get,
            "POST" => self.post,
            "PUT" => self.put,
            "PATCH" => self.patch,
            _ => false,
        }
    }
}

impl FromStr for Methods {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = Methods {
            get: false,
            post: false,
            put: false,
            patch: false,
        };
        for m in s.split('+').map(str::trim) {
            match m.to_ascii_uppercase().as_str() {
                "GET" => out.get = true,
                "POST" => out.post = true,
                "PUT" => out.put = true,
                "PATCH" => out.patch = true,
                _ => return Err(format!("{m:?} is not GET, POST, PUT or PATCH")),
            }
        }
        Ok(out)
    }
}

/// A `--faults` spec that does not parse; names the bad part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad --faults part {part:?}: {reason}")]
pub struct FaultSpecError {
    /// The offending part of the spec.
    pub part: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FromStr for Faults {
    type Err = FaultSpecError;

    /// Parse `error_rate=0.1,throttle_rate=0.05,throttle200_rate=0.02,reset_rate=0.01,latency_ms=20,methods=POST+PUT,seed=7`.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut out = Faults::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let err = |reason: String| FaultSpecError {
                part: part.to_owned(),
                reason,
            };
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| err("expected KEY=VALUE".to_owned()))?;
            let value = value.trim();
            let rate = || -> Result<f64, FaultSpecError> {
                let r: f64 = value
                    .parse()
                    .map_err(|_| err(format!("{value:?} is not a number")))?;
                if (0.0..=1.0).contains(&r) {
                    Ok(r)
                } else {
                    Err(err(format!("{value} is not a probability in 0..=1")))
                }
            };
            let whole = || -> Result<u64, FaultSpecError> {
                value
                    .parse()
                    .map_err(|_| err(format!("{value:?} is not a whole number")))
            };
            match key.trim() {
                "error_rate" => out.error_rate = rate()?,
                "throttle_rate" => out.throttle_rate = rate()?,
                "throttle200_rate" => out.throttle200_rate = rate()?,
                "reset_rate" => out.reset_rate = rate()?,
                "latency_ms" => out.latency_ms = whole()?,
                "methods" => out.methods = value.parse().map_err(err)?,
                "seed" => out.seed = whole()?,
                other => {
                    return Err(err(format!(
                        "unknown key {other:?}; expected error_rate, throttle_rate, \
                         throttle200_rate, reset_rate, latency_ms, methods or seed"
                    )));
                }
            }
        }
        let sum = out.error_rate + out.throttle_rate + out.throttle200_rate + out.reset_rate;
        if sum > 1.0 + 1e-9 {
            return Err(FaultSpecError {
                part: spec.to_owned(),
                reason: format!("the rates add up to {sum}, more than 1"),
            });
        }
        Ok(out)
    }
}

impl Faults {
    /// Whether any fault can happen.
    pub fn any(&self) -> bool {
        self.error_rate + self.throttle_rate + self.throttle200_rate + self.reset_rate > 0.0
            || self.latency_ms > 0
    }
}

/// The fault picked for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answer with this 5xx status.
    ServerError(u16),
    /// Answer 429 the vendor's way.
    Throttle,
    /// Connecteam's 200 `{"detail":"Too many requests"}`.
    Throttle200,
    /// Drop the connection without handling the request.
    ResetBefore,
    /// Handle the request, then drop the connection instead of answering.
    ResetAfter,
}

impl Fault {
    /// The name used in the request log.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Fault::ServerError(_) => "error",
            Fault::Throttle => "throttle",
            Fault::Throttle200 => "throttle200",
            Fault::ResetBefore => "reset_before",
            Fault::ResetAfter => "reset_after",
        }
    }
}

/// The random source of the draws.
#[derive(Debug)]
pub(crate) struct FaultState {
    faults: Faults,
    rng: SmallRng,
}

impl FaultState {
    pub(crate) fn new(faults: Faults) -> Self {
        Self {
            faults,
            rng: SmallRng::seed_from_u64(faults.seed),
        }
    }

    /// Draw the fault for one `method` request; `connecteam` enables the
    /// 200-throttle.
    pub(crate) fn draw(&mut self, connecteam: bool, method: &str) -> Option<Fault> {
        let fault = self.draw_any(connecteam);
        fault.filter(|_| self.faults.methods.contains(method))
    }

    fn draw_any(&mut self, connecteam: bool) -> Option<Fault> {
        let f = self.faults;
        if f.error_rate + f.throttle_rate + f.throttle200_rate + f.reset_rate <= 0.0 {
            return None;
        }
        // Always the same number of draws per request, so one vendor's
        // traffic does not shift the other's faults differently per kind.
        let r: f64 = self.rng.random();
        let sub: f64 = self.rng.random();
        let mut edge = f.error_rate;
        if r < edge {
            let status = if sub < 1.0 / 3.0 {
                500
            } else if sub < 2.0 / 3.0 {
                502
            } else {
                503
            };
            return Some(Fault::ServerError(status));
        }
        edge += f.throttle_rate;
        if r < edge {
            return Some(Fault::Throttle);
        }
        edge += f.throttle200_rate;
        if r < edge {
            return connecteam.then_some(Fault::Throttle200);
        }
        edge += f.reset_rate;
        if r < edge {
            return Some(if sub < 0.5 {
                Fault::ResetBefore
            } else {
                Fault::ResetAfter
            });
        }
        None
    }
}
