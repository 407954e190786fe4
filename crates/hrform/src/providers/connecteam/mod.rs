//! The Connecteam provider: the only module that knows Connecteam's paths,
//! query parameters and JSON (`../shared/api/connecteam.md`).
//!
//! Reading: the policy types with their policies (one call), every user
//! (`userStatus=all`, 500 a page), and the balances of each policy type the
//! manifests reference (100 a page; the only place assignments show), with
//! limit/offset paging that stops on a short page. Calls: archive/restore in
//! batches of 25 (`PUT /users/v1/users`), the assignment PUT (one user a
//! call, carrying the balance when one is declared) and the absolute balance
//! PUT.
//!
//! Files: `transport` (error/throttle parsing), `read` (the reads), `write`
//! (apply's writer); the JSON shapes, paths and pure call builders are the
//! core's `vendors::connecteam` (`wire`, `calls`). This file holds the
//! client and its configuration, given at construction. May import:
//! `crate::providers`, `crate::http`, `crate::model`,
//! `crate::manifest::checked`, `hrform_core::vendors::connecteam`; never
//! `plan`, `apply` or `commands`.

mod read;
mod transport;
mod write;

use std::collections::BTreeMap;

pub(crate) use write::Writer;

use hrform_core::vendors::connecteam::{Config, calls, wire};

use crate::http::{Rate, Reader};
use crate::manifest::checked::{self, ProviderKind};
use crate::model::{Call, Change, LiveState};
use crate::providers::{Endpoint, ProviderError};

/// A read-only Connecteam client.
pub(crate) struct Client {
    config: Config,
    http: Reader,
    /// How each list was read, for `-v` (`hrform_core::plan::strategy`).
    pub(crate) choices: std::sync::Mutex<Vec<hrform_core::plan::strategy::Choice>>,
}

impl Client {
    /// `policies`: the manifests' per-policy settings, as every vendor's
    /// client gets them (Connecteam's calls need none of them).
    pub(crate) fn new(
        provider: &checked::Provider,
        _policies: &BTreeMap<(String, String), checked::PolicySettings>,
        endpoint: Endpoint,
        manifest: &str,
    ) -> Result<Self, ProviderError> {
        let ProviderKind::Connecteam {
            requests_per_minute,
        } = &provider.kind
        else {
            unreachable!(
                "a Connecteam client for a {} provider",
                provider.kind.type_name()
            );
        };
        Ok(Self {
            config: Config::new(provider),
            http: Reader::new(
                &endpoint,
                transport::WIRE,
                Rate::PerMinute(*requests_per_minute),
                crate::providers::tree(provider, manifest),
            )?,
            choices: std::sync::Mutex::new(Vec::new()),
        })
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
