//! The session of a plan: the read-only clients it read through and the
//! live state they read. Plan builds its calls from it; apply takes the
//! same session (no second read) and writes through writers it makes from
//! these clients with its `WriteAccess`. May import: `model`, `providers`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::{Call, Change, LiveState};
use crate::providers::ProviderClient;

/// The clients a plan was read through and the live state they read:
/// apply writes through them, against that state.
pub(crate) struct Session {
    pub clients: BTreeMap<String, Arc<ProviderClient>>,
    pub live: BTreeMap<String, LiveState>,
}

impl Session {
    /// The calls that realise `changes`, provider by provider (in name
    /// order), each built by its provider against the state read.
    pub(crate) fn calls(&self, changes: &[Change]) -> Vec<Call> {
        let mut calls = Vec::new();
        for (name, client) in &self.clients {
            let mine: Vec<Change> = changes
                .iter()
                .filter(|c| &c.provider == name)
                .cloned()
                .collect();
            if !mine.is_empty() {
                calls.extend(client.calls(&mine, &self.live[name]));
            }
        }
        calls
    }
}
