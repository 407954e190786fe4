//! The session of a plan: the read-only clients it read through and the
//! live state they read. Apply takes the
//! same session (no second read) and writes through writers it makes from
//! these clients with its `WriteAccess`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::LiveState;
use crate::providers::ProviderClient;

/// The clients a plan was read through and the live state they read:
/// apply writes through them, against that state.
pub(crate) struct Session {
    pub clients: BTreeMap<String, Arc<ProviderClient>>,
    pub live: BTreeMap<String, LiveState>,
}
