//! Clockify's pure half: its JSON shapes, paths and page sizes (`wire`) and
//! the call builders (`calls`), with the configuration they need
//! ([`Config`], from the manifests). The shell's `providers::clockify`
//! reads and writes over HTTP with these.

pub mod calls;
pub mod wire;

use std::collections::BTreeMap;

use crate::manifest::checked::{self, BalanceUpdate, ProviderKind};

/// What Clockify's calls need from the manifests.
#[derive(Debug, Clone)]
pub struct Config {
    /// The provider's name in the manifests.
    pub name: String,
    pub workspace: String,
    pub balance_update: BalanceUpdate,
    /// Policy name → declared `has_expiration` (the policy PUT must send
    /// it; the API never returns it).
    pub has_expiration: BTreeMap<String, bool>,
}

impl Config {
    /// `provider` must be a Clockify provider; `policies`: the manifests'
    /// per-policy settings (provider, policy) → settings, of which this
    /// keeps its own `has_expiration` values.
    pub fn new(
        provider: &checked::Provider,
        policies: &BTreeMap<(String, String), checked::PolicySettings>,
    ) -> Self {
        let ProviderKind::Clockify {
            workspace_id,
            balance_update,
            ..
        } = &provider.kind
        else {
            unreachable!(
                "a Clockify configuration for a {} provider",
                provider.kind.type_name()
            );
        };
        Self {
            name: provider.name.clone(),
            workspace: workspace_id.clone(),
            balance_update: *balance_update,
            has_expiration: policies
                .iter()
                .filter(|((p, _), _)| *p == provider.name)
                .filter_map(|((_, policy), s)| s.has_expiration.map(|h| (policy.clone(), h)))
                .collect(),
        }
    }

    /// `/v1/workspaces/{id}`: every workspace path starts here.
    pub fn ws(&self) -> String {
        wire::workspace_path(&self.workspace)
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
