//! Connecteam's pure half: its JSON shapes, paths, page sizes and windows
//! (`wire`) and the call builders (`calls`), with the configuration they
//! need ([`Config`]). The shell's `providers::connecteam` reads and writes
//! over HTTP with these.

pub mod calls;
pub mod wire;

use crate::manifest::checked::{self, ProviderKind};

/// What Connecteam's calls need from the manifests.
#[derive(Debug, Clone)]
pub struct Config {
    /// The provider's name in the manifests.
    pub name: String,
}

impl Config {
    /// `provider` must be a Connecteam provider.
    pub fn new(provider: &checked::Provider) -> Self {
        let ProviderKind::Connecteam { .. } = &provider.kind else {
            unreachable!(
                "a Connecteam configuration for a {} provider",
                provider.kind.type_name()
            );
        };
        Self {
            name: provider.name.clone(),
        }
    }
}
