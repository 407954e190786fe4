//! The Clockify provider: the only module that knows Clockify's paths,
//! query parameters and JSON (`../shared/api/clockify.md`).
//!
//! Reading: the key owner (`GET /v1/user`), every workspace member with
//! their workspace membership (the membership status, not the account
//! status, says active or inactive), every policy, and the balances of the
//! policies the manifests reference, each list at its largest page size,
//! stopping on `Last-Page: true` (or a short page when the header is
//! missing). Calls: user status PUT, policy PUT (a full replace, users
//! written as a `{contains, ids, status}` filter), and the balance PATCH
//! grouping every user of one policy who gets the same value.
//!
//! Files: `transport` (error/throttle parsing), `read` (the reads), `write`
//! (apply's writer); the JSON shapes, paths and pure call builders are the
//! core's `vendors::clockify` (`wire`, `calls`). This file holds the client
//! and its configuration, given at construction. May import:
//! `crate::providers`, `crate::http`, `crate::model`,
//! `crate::manifest::checked`, `hrform_core::vendors::clockify`; never
//! `plan`, `apply` or `commands`.

mod read;
mod transport;
mod write;

use std::collections::BTreeMap;

pub(crate) use write::Writer;

use hrform_core::vendors::clockify::{Config, calls, wire};

use crate::http::{Rate, Reader};
use crate::manifest::checked::{self, ProviderKind};
use crate::model::{Call, Change, LiveState};
use crate::providers::{Endpoint, ProviderError};

/// A read-only Clockify client, with its configuration.
pub(crate) struct Client {
    config: Config,
    http: Reader,
    /// How each list was read, for `-v` (`hrform_core::plan::strategy`).
    pub(crate) choices: std::sync::Mutex<Vec<hrform_core::plan::strategy::Choice>>,
}

impl Client {
    /// `policies`: the manifests' per-policy settings (provider, policy) →
    /// settings; this client keeps its own `has_expiration` values.
    pub(crate) fn new(
        provider: &checked::Provider,
        policies: &BTreeMap<(String, String), checked::PolicySettings>,
        endpoint: Endpoint,
        manifest: &str,
    ) -> Result<Self, ProviderError> {
        let ProviderKind::Clockify {
            requests_per_second,
            ..
        } = &provider.kind
        else {
            unreachable!(
                "a Clockify client for a {} provider",
                provider.kind.type_name()
            );
        };
        Ok(Self {
            config: Config::new(provider, policies),
            http: Reader::new(
                &endpoint,
                transport::WIRE,
                Rate::PerSecond(*requests_per_second),
                crate::providers::tree(provider, manifest),
            )?,
            choices: std::sync::Mutex::new(Vec::new()),
        })
    }

    fn ws(&self) -> String {
        self.config.ws()
    }

    /// Requests sent so far (reads, writes and retries).
    pub(crate) fn requests(&self) -> usize {
        self.http.calls()
    }

    /// The calls that realise `changes` (the core's call builder).
    pub(crate) fn calls(&self, changes: &[Change], live: &LiveState) -> Vec<Call> {
        self.config.calls(changes, live)
    }
}
