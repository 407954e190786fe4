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
//! Files: `wire` (JSON shapes, paths, error/throttle parsing), `read`
//! (the reads), `calls` (pure call builders), `write` (apply's writer).
//! This file holds the client and its configuration, given at construction.
//! May import: `crate::providers`, `crate::http`, `crate::model`,
//! `crate::manifest::checked`; never `plan`, `apply` or `commands`.

mod calls;
mod read;
mod wire;
#[cfg(test)]
pub(super) use wire::decode_everything;
mod write;

use std::collections::BTreeMap;

pub(crate) use write::Writer;

use crate::http::{Rate, Reader};
use crate::manifest::checked::{self, BalanceUpdate, ProviderKind};
use crate::providers::{Endpoint, ProviderError};

/// A read-only Clockify client, with its configuration.
pub(crate) struct Client {
    name: String,
    workspace: String,
    balance_update: BalanceUpdate,
    /// Policy name → declared `has_expiration` (the policy PUT must send
    /// it; the API never returns it).
    has_expiration: BTreeMap<String, bool>,
    http: Reader,
}

impl Client {
    /// `policies`: the manifests' per-policy settings (provider, policy) →
    /// settings; this client keeps its own `has_expiration` values.
    pub(crate) fn new(
        provider: &checked::Provider,
        policies: &BTreeMap<(String, String), checked::PolicySettings>,
        endpoint: Endpoint,
    ) -> Result<Self, ProviderError> {
        let ProviderKind::Clockify {
            workspace_id,
            requests_per_second,
            balance_update,
        } = &provider.kind
        else {
            unreachable!(
                "a Clockify client for a {} provider",
                provider.kind.type_name()
            );
        };
        Ok(Self {
            name: provider.name.clone(),
            workspace: workspace_id.clone(),
            balance_update: *balance_update,
            has_expiration: policies
                .iter()
                .filter(|((p, _), _)| *p == provider.name)
                .filter_map(|((_, policy), s)| s.has_expiration.map(|h| (policy.clone(), h)))
                .collect(),
            http: Reader::new(&endpoint, wire::WIRE, Rate::PerSecond(*requests_per_second))?,
        })
    }

    fn ws(&self) -> String {
        wire::workspace_path(&self.workspace)
    }

    /// Requests sent so far (reads, writes and retries).
    pub(crate) fn requests(&self) -> usize {
        self.http.calls()
    }
}

/// Policies as if read (their ids and names), for the call builders' tests.
#[cfg(test)]
pub(crate) fn live_with_policies(policies: &[(&str, &str)]) -> crate::model::LiveState {
    let mut live = crate::model::LiveState::default();
    for (id, name) in policies {
        live.as_read.insert(
            (*id).to_owned(),
            serde_json::json!({ "id": id, "name": name }),
        );
    }
    live
}
